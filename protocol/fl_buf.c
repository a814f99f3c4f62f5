/* fl_buf.c: see fl_buf.h. */
#include "fl_buf.h"

#include <string.h>

void fl_buf_init(fl_buf_t *buf) {
    buf->p = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void fl_buf_free(fl_buf_t *buf) {
    fl_free(buf->p);
    fl_buf_init(buf);
}

void fl_buf_reset(fl_buf_t *buf) {
    buf->len = 0;
}

uint8_t *fl_buf_extend(fl_buf_t *buf, size_t n) {
    if (buf->cap - buf->len < n) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap - buf->len < n) cap *= 2;
        buf->p = fl_realloc(buf->p, cap);
        buf->cap = cap;
    }
    uint8_t *p = buf->p + buf->len;
    buf->len += n;
    return p;
}

void fl_buf_put(fl_buf_t *buf, const void *p, size_t n) {
    if (n) memcpy(fl_buf_extend(buf, n), p, n);
}

void fl_buf_put_u8(fl_buf_t *buf, uint8_t v) {
    *fl_buf_extend(buf, 1) = v;
}

static void fl_put_be(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void fl_put_le(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void fl_buf_put_i16be(fl_buf_t *buf, int16_t v) { fl_put_be(fl_buf_extend(buf, 2), (uint16_t)v, 2); }
void fl_buf_put_i32be(fl_buf_t *buf, int32_t v) { fl_put_be(fl_buf_extend(buf, 4), (uint32_t)v, 4); }
void fl_buf_put_i64be(fl_buf_t *buf, int64_t v) { fl_put_be(fl_buf_extend(buf, 8), (uint64_t)v, 8); }
void fl_buf_put_i16le(fl_buf_t *buf, int16_t v) { fl_put_le(fl_buf_extend(buf, 2), (uint16_t)v, 2); }
void fl_buf_put_i32le(fl_buf_t *buf, int32_t v) { fl_put_le(fl_buf_extend(buf, 4), (uint32_t)v, 4); }
void fl_buf_put_i64le(fl_buf_t *buf, int64_t v) { fl_put_le(fl_buf_extend(buf, 8), (uint64_t)v, 8); }

void fl_buf_put_uvarint(fl_buf_t *buf, uint64_t v) {
    while (v >= 0x80) {
        fl_buf_put_u8(buf, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    fl_buf_put_u8(buf, (uint8_t)v);
}

size_t fl_buf_reserve(fl_buf_t *buf, size_t n) {
    size_t at = buf->len;
    memset(fl_buf_extend(buf, n), 0, n);
    return at;
}

void fl_buf_patch_i32be(fl_buf_t *buf, size_t at, int32_t v) {
    fl_put_be(buf->p + at, (uint32_t)v, 4);
}

void fl_buf_patch_i32le(fl_buf_t *buf, size_t at, int32_t v) {
    fl_put_le(buf->p + at, (uint32_t)v, 4);
}
