/* fl_reader.c: see fl_reader.h. */
#include "fl_reader.h"

#include <string.h>

uint8_t fl_rd_u8(fl_reader_t *rd) {
    if (!fl_rd_need(rd, 1)) return 0;
    return rd->p[rd->off++];
}

int8_t fl_rd_i8(fl_reader_t *rd) {
    return (int8_t)fl_rd_u8(rd);
}

static uint64_t fl_rd_be(fl_reader_t *rd, size_t n) {
    if (!fl_rd_need(rd, n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | rd->p[rd->off + i];
    rd->off += n;
    return v;
}

static uint64_t fl_rd_le(fl_reader_t *rd, size_t n) {
    if (!fl_rd_need(rd, n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)rd->p[rd->off + i] << (8 * i);
    rd->off += n;
    return v;
}

int16_t fl_rd_i16be(fl_reader_t *rd) { return (int16_t)fl_rd_be(rd, 2); }
int32_t fl_rd_i32be(fl_reader_t *rd) { return (int32_t)fl_rd_be(rd, 4); }
int64_t fl_rd_i64be(fl_reader_t *rd) { return (int64_t)fl_rd_be(rd, 8); }
int16_t fl_rd_i16le(fl_reader_t *rd) { return (int16_t)fl_rd_le(rd, 2); }
uint16_t fl_rd_u16le(fl_reader_t *rd) { return (uint16_t)fl_rd_le(rd, 2); }
int32_t fl_rd_i32le(fl_reader_t *rd) { return (int32_t)fl_rd_le(rd, 4); }
uint32_t fl_rd_u32le(fl_reader_t *rd) { return (uint32_t)fl_rd_le(rd, 4); }
int64_t fl_rd_i64le(fl_reader_t *rd) { return (int64_t)fl_rd_le(rd, 8); }

float fl_rd_f32le(fl_reader_t *rd) {
    uint32_t u = (uint32_t)fl_rd_le(rd, 4);
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

double fl_rd_f64le(fl_reader_t *rd) {
    uint64_t u = fl_rd_le(rd, 8);
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

uint64_t fl_rd_uvarint(fl_reader_t *rd) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (!fl_rd_need(rd, 1)) return 0;
        uint8_t b = rd->p[rd->off++];
        if (shift == 63 && b > 1) break; /* would overflow 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    fl_rd_fail(rd, FL_ERR__OVERFLOW);
    return 0;
}

uint32_t fl_rd_uvarint32(fl_reader_t *rd) {
    uint32_t v = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        if (!fl_rd_need(rd, 1)) return 0;
        uint8_t b = rd->p[rd->off++];
        if (shift == 28 && b > 0x0f) break;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    fl_rd_fail(rd, FL_ERR__OVERFLOW);
    return 0;
}

fl_view_t fl_rd_bytes(fl_reader_t *rd, size_t n) {
    fl_view_t v = {NULL, 0};
    if (!fl_rd_need(rd, n)) return v;
    v.p = rd->p + rd->off;
    v.len = n;
    rd->off += n;
    return v;
}

void fl_rd_skip(fl_reader_t *rd, size_t n) {
    if (fl_rd_need(rd, n)) rd->off += n;
}

size_t fl_rd_count(fl_reader_t *rd, int64_t count, size_t max) {
    if (rd->err) return 0;
    if (count < 0 || (uint64_t)count > max) {
        fl_rd_fail(rd, FL_ERR__OVERFLOW);
        return 0;
    }
    return (size_t)count;
}

void fl_rd_narrow(fl_reader_t *rd, size_t n, fl_reader_t *sub) {
    fl_view_t v = fl_rd_bytes(rd, n);
    fl_rd_init(sub, v.p, v.len);
    if (rd->err) sub->err = rd->err;
}

fl_err_t fl_rd_end(fl_reader_t *rd) {
    if (!rd->err && rd->off != rd->len) rd->err = FL_ERR__TRAILING;
    return rd->err;
}
