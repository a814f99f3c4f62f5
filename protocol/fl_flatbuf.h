/* fl_flatbuf.h: the small part of FlatBuffers that Arrow IPC metadata needs.
 *
 * Wire layout (all little-endian; positions are relative to the first byte of the buffer):
 *
 *   offset  size  field
 *   0       4     uoffset of the root table (root = 0 + value)
 *   table T:
 *   T+0     4     soffset: the table's vtable is at T - value (may lie before or after T)
 *   T+4     ...   inline fields (scalars, structs, uoffsets to sub-tables/vectors/strings)
 *   vtable V:
 *   V+0     2     vtable length in bytes (4 + 2 * number of slots)
 *   V+2     2     inline size of the table object (from T, soffset included)
 *   V+4+2i  2     offset of field i from T; 0 = absent (the reader uses the default)
 *   vector / string at P (reached through a uoffset stored at F: P = F + value):
 *   P+0     4     element count (for strings: byte count, a NUL follows the bytes)
 *   P+4     ...   elements; a vector of tables holds uoffsets, each relative to its own slot
 *
 * Reading goes through fl_reader_t: every position, vtable slot, vector count and uoffset is
 * bounds-checked, failures set the reader's sticky error (FL_ERR_CORRUPT_MESSAGE for bad
 * structure, FL_ERR__UNDERFLOW for reads past the end), and unaligned data is read byte-wise.
 *
 * Building is front to back: a table is written with zeroed slots for its references, the
 * referenced objects are appended after it (uoffsets must point forward) and the slots are
 * patched. Vtables are written just before their table. Scalars are aligned to their size
 * relative to the buffer start, as the FlatBuffers verifier used by Arrow C++ requires. */
#ifndef FL_FLATBUF_H
#define FL_FLATBUF_H

#include "fl_buf.h"
#include "fl_reader.h"

/* ---- reading ---- */

/* A validated table: its position, its vtable and the sizes both declare. */
typedef struct fl_fbt_s {
    size_t pos;       /* T */
    size_t vt;        /* V */
    uint16_t vt_len;  /* vtable length in bytes */
    uint16_t obj_len; /* inline object size */
} fl_fbt_t;

/** @brief Validate the root table of the buffer rd covers. @returns false on error (rd->err). */
bool fl_fb_root(fl_reader_t *rd, fl_fbt_t *out /* OUT */);
/** @returns true when field id is present in the table. */
bool fl_fb_has(fl_reader_t *rd, const fl_fbt_t *t, unsigned id);
/** @returns the signed scalar field id of size bytes (1, 2, 4 or 8), or def when absent. */
int64_t fl_fb_int(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, unsigned size, int64_t def);
/** @brief Follow the table reference in field id. @returns false when absent or on error. */
bool fl_fb_table(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, fl_fbt_t *out /* OUT */);
/** @brief Locate the vector in field id whose elements are elem_size bytes each.
 *  @returns the element count (0 when absent); *start = position of element 0. */
size_t fl_fb_vector(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, size_t elem_size,
                    size_t *start /* OUT */);
/** @brief Follow element i of a vector of tables starting at start. */
bool fl_fb_vector_table(fl_reader_t *rd, size_t start, size_t i, fl_fbt_t *out /* OUT */);
/** @returns the string in field id as a view (empty when absent). */
fl_view_t fl_fb_string(fl_reader_t *rd, const fl_fbt_t *t, unsigned id);
/** @returns the little-endian int64 at absolute position pos (vector elements, structs). */
int64_t fl_fb_i64_at(fl_reader_t *rd, size_t pos);

/* ---- building ---- */

typedef struct fl_fbb_s {
    fl_buf_t *buf; /* output; the flatbuffer starts at buf->p + base */
    size_t base;
} fl_fbb_t;

/* One field of a table being written. */
typedef struct fl_fbb_field_s {
    uint16_t id;    /* slot number in the schema */
    uint8_t size;   /* 1, 2, 4 or 8; references are 4 */
    bool is_ref;    /* a uoffset patched later with fl_fbb_patch_ref() */
    uint64_t value; /* scalar value (two's complement for signed) */
    size_t pos;     /* OUT: position of the field, relative to base */
} fl_fbb_field_t;

/** @brief Start a flatbuffer at the end of buf (4 bytes for the root offset). */
void fl_fbb_init(fl_fbb_t *b, fl_buf_t *buf);
/** @returns the current position relative to base. */
size_t fl_fbb_pos(const fl_fbb_t *b);
/** @brief Write a vtable and a table with the n fields. @returns the table position. */
size_t fl_fbb_table(fl_fbb_t *b, fl_fbb_field_t *fields, size_t n);
/** @brief Begin a vector of n elements aligned to align; the caller appends the elements.
 *  @returns the position of the vector (its count). */
size_t fl_fbb_vector(fl_fbb_t *b, size_t n, size_t align);
/** @brief A vector of n table references; slot i is at the returned position + 4 + 4i. */
size_t fl_fbb_ref_vector(fl_fbb_t *b, size_t n);
/** @returns the position of a string object holding s[0..len). */
size_t fl_fbb_string(fl_fbb_t *b, const char *s, size_t len);
/** @brief Store at slot (a reference field) the uoffset to target (target > slot). */
void fl_fbb_patch_ref(fl_fbb_t *b, size_t slot, size_t target);
/** @brief Point the root offset at root and pad the buffer to a multiple of 8. */
void fl_fbb_finish(fl_fbb_t *b, size_t root);

#endif
