/* fl_buf.h: a growable byte buffer for building responses and files.
 *
 * Size slots: fl_buf_reserve() returns the offset of n bytes to be filled later (for a length
 * prefix whose value is known only at the end); fl_buf_patch_i32be() fills it. */
#ifndef FL_BUF_H
#define FL_BUF_H

#include "fl_base.h"

typedef struct fl_buf_s {
    uint8_t *p;  /* owned, fl_malloc'd */
    size_t len;  /* bytes written */
    size_t cap;  /* bytes allocated */
} fl_buf_t;

void fl_buf_init(fl_buf_t *buf);
void fl_buf_free(fl_buf_t *buf);
void fl_buf_reset(fl_buf_t *buf);
/** @returns a pointer to n writable bytes at the end; the caller writes them. */
uint8_t *fl_buf_extend(fl_buf_t *buf, size_t n);
void fl_buf_put(fl_buf_t *buf, const void *p, size_t n);
void fl_buf_put_u8(fl_buf_t *buf, uint8_t v);
void fl_buf_put_i16be(fl_buf_t *buf, int16_t v);
void fl_buf_put_i32be(fl_buf_t *buf, int32_t v);
void fl_buf_put_i64be(fl_buf_t *buf, int64_t v);
void fl_buf_put_i16le(fl_buf_t *buf, int16_t v);
void fl_buf_put_i32le(fl_buf_t *buf, int32_t v);
void fl_buf_put_i64le(fl_buf_t *buf, int64_t v);
void fl_buf_put_uvarint(fl_buf_t *buf, uint64_t v);
size_t fl_buf_reserve(fl_buf_t *buf, size_t n);
void fl_buf_patch_i32be(fl_buf_t *buf, size_t at, int32_t v);
void fl_buf_patch_i32le(fl_buf_t *buf, size_t at, int32_t v);

#endif
