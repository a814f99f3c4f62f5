/* fl_reader.h: the bounds-checked reader every non-protobuf decoder uses (STYLE.md 4).
 *
 * A reader is a view (p, len) with a cursor. Reads past the end set a sticky error
 * (FL_ERR__UNDERFLOW) and return zeros, so decoders are straight-line code that checks
 * rd->err once at the end (or at an `err_parse:` label). Byte strings come back as views into
 * the input; nothing is copied or allocated. Counts read from the input are checked against a
 * caller-given maximum by fl_rd_count().
 *
 * Frame headers are big-endian (_be); Fluss record batches, KV batches and rows are
 * little-endian (_le). */
#ifndef FL_READER_H
#define FL_READER_H

#include "fl_base.h"

typedef struct fl_reader_s {
    const uint8_t *p; /* start of the input */
    size_t len;       /* input length in bytes */
    size_t off;       /* cursor */
    fl_err_t err;     /* sticky: FL_ERR_NONE until the first failure */
} fl_reader_t;

typedef struct fl_view_s {
    const uint8_t *p;
    size_t len;
} fl_view_t;

static inline void fl_rd_init(fl_reader_t *rd, const void *p, size_t len) {
    rd->p = (const uint8_t *)p;
    rd->len = len;
    rd->off = 0;
    rd->err = FL_ERR_NONE;
}

static inline size_t fl_rd_remaining(const fl_reader_t *rd) {
    return rd->err ? 0 : rd->len - rd->off;
}

/** @returns true when n more bytes are there; else sets the sticky error. */
static inline bool fl_rd_need(fl_reader_t *rd, size_t n) {
    if (rd->err) return false;
    if (n > rd->len - rd->off) {
        rd->err = FL_ERR__UNDERFLOW;
        return false;
    }
    return true;
}

/** @brief Fail the reader with err (first failure wins). */
static inline void fl_rd_fail(fl_reader_t *rd, fl_err_t err) {
    if (!rd->err) rd->err = err;
}

uint8_t fl_rd_u8(fl_reader_t *rd);
int8_t fl_rd_i8(fl_reader_t *rd);
int16_t fl_rd_i16be(fl_reader_t *rd);
int32_t fl_rd_i32be(fl_reader_t *rd);
int64_t fl_rd_i64be(fl_reader_t *rd);
int16_t fl_rd_i16le(fl_reader_t *rd);
uint16_t fl_rd_u16le(fl_reader_t *rd);
int32_t fl_rd_i32le(fl_reader_t *rd);
uint32_t fl_rd_u32le(fl_reader_t *rd);
int64_t fl_rd_i64le(fl_reader_t *rd);
float fl_rd_f32le(fl_reader_t *rd);
double fl_rd_f64le(fl_reader_t *rd);
/** Unsigned LEB128 (protobuf varint), at most 10 bytes; longer encodings fail. */
uint64_t fl_rd_uvarint(fl_reader_t *rd);
/** Unsigned LEB128 that must fit in 32 bits (at most 5 bytes). */
uint32_t fl_rd_uvarint32(fl_reader_t *rd);
/** @returns a view of the next n bytes and advances; an empty view on failure. */
fl_view_t fl_rd_bytes(fl_reader_t *rd, size_t n);
void fl_rd_skip(fl_reader_t *rd, size_t n);
/** @returns a count read earlier, after checking 0 <= count <= max. */
size_t fl_rd_count(fl_reader_t *rd, int64_t count, size_t max);
/** @brief Make sub a reader over the next n bytes of rd and advance rd past them. */
void fl_rd_narrow(fl_reader_t *rd, size_t n, fl_reader_t *sub /* OUT */);
/** @brief Fail with FL_ERR__TRAILING if bytes are left. @returns rd->err. */
fl_err_t fl_rd_end(fl_reader_t *rd);

#endif
