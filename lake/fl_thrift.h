/* fl_thrift.h: the Thrift compact protocol, as Parquet uses it for page headers and the footer.
 *
 * Wire format (Thrift compact protocol, all multi-byte integers are ULEB128 varints of the
 * zigzag value unless noted):
 *
 *   struct      := field* STOP(0x00)
 *   field       := header value
 *   header      := (delta << 4 | ctype)                 when 1 <= delta <= 15
 *                | ctype, zigzag-varint i16 field id     otherwise
 *                  (delta = id - previous id in the same struct; it starts at 0 per struct)
 *   ctype       := 1 BOOL_TRUE | 2 BOOL_FALSE | 3 I8 | 4 I16 | 5 I32 | 6 I64 | 7 DOUBLE
 *                | 8 BINARY | 9 LIST | 10 SET | 11 MAP | 12 STRUCT
 *   bool field  := the value is the ctype itself (no payload)
 *   i8          := 1 byte;  i16/i32/i64 := zigzag varint;  double := 8 bytes little-endian
 *   binary      := varint length, bytes
 *   list/set    := (n << 4 | etype) when n < 15, else (0xF0 | etype) varint n; then n values
 *                  (bool elements are one byte each: 1 true, 2 false)
 *   map         := 0x00 when empty, else varint n, (ktype << 4 | vtype), n key/value pairs
 *
 * The encoder writes into an fl_buf_t and tracks the last field id of each open struct. The
 * decoder (used by tests and by anything that reads a footer back) builds a tree of values
 * through the bounds-checked fl_reader_t; it never sizes an allocation from a declared count. */
#ifndef FL_THRIFT_H
#define FL_THRIFT_H

#include "fl_base.h"
#include "fl_buf.h"
#include "fl_reader.h"

/* Compact-protocol type codes (on the wire). */
typedef enum fl_tc_type_e {
    FL_TC_STOP = 0,
    FL_TC_TRUE = 1,    /* BOOL in a field header (true); also the BOOL element type */
    FL_TC_FALSE = 2,   /* BOOL in a field header (false) */
    FL_TC_I8 = 3,
    FL_TC_I16 = 4,
    FL_TC_I32 = 5,
    FL_TC_I64 = 6,
    FL_TC_DOUBLE = 7,
    FL_TC_BINARY = 8,
    FL_TC_LIST = 9,
    FL_TC_SET = 10,
    FL_TC_MAP = 11,
    FL_TC_STRUCT = 12,
} fl_tc_type_t;

#define FL_TC_BOOL FL_TC_TRUE
#define FL_TC_MAX_DEPTH 32

/* ---- encoder ---- */

typedef struct fl_tc_writer_s {
    fl_buf_t *buf;                     /* not owned */
    int16_t last_id[FL_TC_MAX_DEPTH];  /* last field id written, per open struct */
    int depth;                         /* open structs; 0 = top level, before the outer struct */
} fl_tc_writer_t;

void fl_tc_writer_init(fl_tc_writer_t *w, fl_buf_t *buf);

/* Structs. fl_tc_begin() opens the outermost struct (or a struct that is a list element);
 * fl_tc_field_struct() opens a struct that is field `id` of the current struct. Each is closed
 * by fl_tc_end(), which writes STOP. */
void fl_tc_begin(fl_tc_writer_t *w);
void fl_tc_field_struct(fl_tc_writer_t *w, int16_t id);
void fl_tc_end(fl_tc_writer_t *w);

/* Scalar fields of the current struct. */
void fl_tc_field_bool(fl_tc_writer_t *w, int16_t id, bool v);
void fl_tc_field_i8(fl_tc_writer_t *w, int16_t id, int8_t v);
void fl_tc_field_i16(fl_tc_writer_t *w, int16_t id, int16_t v);
void fl_tc_field_i32(fl_tc_writer_t *w, int16_t id, int32_t v);
void fl_tc_field_i64(fl_tc_writer_t *w, int16_t id, int64_t v);
void fl_tc_field_double(fl_tc_writer_t *w, int16_t id, double v);
void fl_tc_field_binary(fl_tc_writer_t *w, int16_t id, const void *p, size_t n);
void fl_tc_field_string(fl_tc_writer_t *w, int16_t id, const char *s);

/* A list field: the header, then exactly n elements written with the fl_tc_elem_* calls (or,
 * for etype STRUCT, n fl_tc_begin()/fl_tc_end() pairs). */
void fl_tc_field_list(fl_tc_writer_t *w, int16_t id, fl_tc_type_t etype, uint32_t n);
void fl_tc_elem_bool(fl_tc_writer_t *w, bool v);
void fl_tc_elem_i32(fl_tc_writer_t *w, int32_t v);
void fl_tc_elem_i64(fl_tc_writer_t *w, int64_t v);
void fl_tc_elem_binary(fl_tc_writer_t *w, const void *p, size_t n);

/* Raw helpers, exposed for tests. */
void fl_tc_put_uvarint(fl_buf_t *buf, uint64_t v);
static inline uint64_t fl_tc_zigzag64(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t fl_tc_unzigzag64(uint64_t v) {
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- decoder (a generic value tree) ---- */

typedef struct fl_tc_val_s {
    uint8_t type;     /* fl_tc_type_t; bools are always FL_TC_TRUE with v.b set */
    int16_t id;       /* field id when this value is a struct field, else 0 */
    union {
        bool b;
        int64_t i;    /* I8, I16, I32, I64 */
        double d;
        fl_view_t bin; /* a view into the decoded input */
        struct {
            struct fl_tc_val_s *items; /* owned; fields of a struct, elements of a list/set,
                                        * or keys of a map */
            struct fl_tc_val_s *vals;  /* owned; map values */
            uint32_t n;
            uint8_t etype;             /* list/set element type, map key type */
            uint8_t vtype;             /* map value type */
        } c;
    } v;
} fl_tc_val_t;

/**
 * @brief Decode one struct from rd into *out (type FL_TC_STRUCT).
 * @param max_items the most elements any one list/map/struct may hold; more fail
 *        with FL_ERR__OVERFLOW. Nesting deeper than FL_TC_MAX_DEPTH fails the same way.
 * @returns FL_ERR_NONE, or the reader's error (underflow, overflow, FL_ERR_CORRUPT_MESSAGE for
 *          a bad type code). On error *out is freed and zeroed.
 */
fl_err_t fl_tc_decode_struct(fl_reader_t *rd, fl_tc_val_t *out /* OUT */, uint32_t max_items);
void fl_tc_val_free(fl_tc_val_t *v);
/** @returns field `id` of struct st, or NULL. */
const fl_tc_val_t *fl_tc_get(const fl_tc_val_t *st, int16_t id);
/** @returns field `id` as an integer, or dflt when absent or not an integer/bool. */
int64_t fl_tc_get_i(const fl_tc_val_t *st, int16_t id, int64_t dflt);

#endif
