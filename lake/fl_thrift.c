/* fl_thrift.c: see fl_thrift.h for the wire format. */
#include "fl_thrift.h"

#include <assert.h>
#include <string.h>

/* ---- encoder ---- */

void fl_tc_put_uvarint(fl_buf_t *buf, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    fl_buf_put(buf, tmp, n);
}

void fl_tc_writer_init(fl_tc_writer_t *w, fl_buf_t *buf) {
    memset(w, 0, sizeof(*w));
    w->buf = buf;
}

static void tc_header(fl_tc_writer_t *w, int16_t id, uint8_t ctype) {
    assert(w->depth > 0);
    int16_t *last = &w->last_id[w->depth - 1];
    int delta = (int)id - (int)*last;
    if (delta > 0 && delta <= 15) {
        fl_buf_put_u8(w->buf, (uint8_t)(delta << 4 | ctype));
    } else {
        fl_buf_put_u8(w->buf, ctype);
        fl_tc_put_uvarint(w->buf, fl_tc_zigzag64(id));
    }
    *last = id;
}

void fl_tc_begin(fl_tc_writer_t *w) {
    assert(w->depth < FL_TC_MAX_DEPTH);
    w->last_id[w->depth++] = 0;
}

void fl_tc_field_struct(fl_tc_writer_t *w, int16_t id) {
    tc_header(w, id, FL_TC_STRUCT);
    fl_tc_begin(w);
}

void fl_tc_end(fl_tc_writer_t *w) {
    assert(w->depth > 0);
    fl_buf_put_u8(w->buf, FL_TC_STOP);
    w->depth--;
}

void fl_tc_field_bool(fl_tc_writer_t *w, int16_t id, bool v) {
    tc_header(w, id, v ? FL_TC_TRUE : FL_TC_FALSE);
}

void fl_tc_field_i8(fl_tc_writer_t *w, int16_t id, int8_t v) {
    tc_header(w, id, FL_TC_I8);
    fl_buf_put_u8(w->buf, (uint8_t)v);
}

void fl_tc_field_i16(fl_tc_writer_t *w, int16_t id, int16_t v) {
    tc_header(w, id, FL_TC_I16);
    fl_tc_put_uvarint(w->buf, fl_tc_zigzag64(v));
}

void fl_tc_field_i32(fl_tc_writer_t *w, int16_t id, int32_t v) {
    tc_header(w, id, FL_TC_I32);
    fl_tc_put_uvarint(w->buf, fl_tc_zigzag64(v));
}

void fl_tc_field_i64(fl_tc_writer_t *w, int16_t id, int64_t v) {
    tc_header(w, id, FL_TC_I64);
    fl_tc_put_uvarint(w->buf, fl_tc_zigzag64(v));
}

void fl_tc_field_double(fl_tc_writer_t *w, int16_t id, double v) {
    tc_header(w, id, FL_TC_DOUBLE);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    fl_buf_put_i64le(w->buf, (int64_t)bits);
}

void fl_tc_field_binary(fl_tc_writer_t *w, int16_t id, const void *p, size_t n) {
    tc_header(w, id, FL_TC_BINARY);
    fl_tc_elem_binary(w, p, n);
}

void fl_tc_field_string(fl_tc_writer_t *w, int16_t id, const char *s) {
    fl_tc_field_binary(w, id, s, strlen(s));
}

void fl_tc_field_list(fl_tc_writer_t *w, int16_t id, fl_tc_type_t etype, uint32_t n) {
    tc_header(w, id, FL_TC_LIST);
    if (n < 15) {
        fl_buf_put_u8(w->buf, (uint8_t)(n << 4 | etype));
    } else {
        fl_buf_put_u8(w->buf, (uint8_t)(0xF0 | etype));
        fl_tc_put_uvarint(w->buf, n);
    }
}

void fl_tc_elem_bool(fl_tc_writer_t *w, bool v) {
    fl_buf_put_u8(w->buf, v ? FL_TC_TRUE : FL_TC_FALSE);
}

void fl_tc_elem_i32(fl_tc_writer_t *w, int32_t v) {
    fl_tc_put_uvarint(w->buf, fl_tc_zigzag64(v));
}

void fl_tc_elem_i64(fl_tc_writer_t *w, int64_t v) {
    fl_tc_put_uvarint(w->buf, fl_tc_zigzag64(v));
}

void fl_tc_elem_binary(fl_tc_writer_t *w, const void *p, size_t n) {
    fl_tc_put_uvarint(w->buf, n);
    fl_buf_put(w->buf, p, n);
}

/* ---- decoder ---- */

typedef struct tc_dec_s {
    fl_reader_t *rd;
    uint32_t max_items;
} tc_dec_t;

static fl_err_t tc_value(tc_dec_t *d, uint8_t type, fl_tc_val_t *out, int depth);

/* Grow *items to hold at least n+1 entries (doubling; never from a declared count). */
static void tc_grow(fl_tc_val_t **items, uint32_t n, uint32_t *cap) {
    if (n < *cap) return;
    *cap = *cap ? *cap * 2 : 4;
    *items = fl_realloc(*items, (size_t)*cap * sizeof(**items));
}

static int64_t tc_rd_zigzag(fl_reader_t *rd) {
    return fl_tc_unzigzag64(fl_rd_uvarint(rd));
}

static bool tc_type_ok(uint8_t t) {
    return t >= FL_TC_TRUE && t <= FL_TC_STRUCT;
}

static fl_err_t tc_struct(tc_dec_t *d, fl_tc_val_t *out, int depth) {
    fl_reader_t *rd = d->rd;
    uint32_t cap = 0;
    int16_t last = 0;
    out->type = FL_TC_STRUCT;
    if (depth >= FL_TC_MAX_DEPTH) {
        fl_rd_fail(rd, FL_ERR__OVERFLOW);
        return rd->err;
    }
    for (;;) {
        uint8_t h = fl_rd_u8(rd);
        if (rd->err) return rd->err;
        if (h == FL_TC_STOP) return FL_ERR_NONE;
        uint8_t t = h & 0x0f;
        int16_t id;
        if (h >> 4) {
            id = (int16_t)(last + (h >> 4));
        } else {
            int64_t v = tc_rd_zigzag(rd);
            if (v < INT16_MIN || v > INT16_MAX) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
            id = (int16_t)v;
        }
        if (!tc_type_ok(t)) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        if (out->v.c.n >= d->max_items) fl_rd_fail(rd, FL_ERR__OVERFLOW);
        if (rd->err) return rd->err;
        last = id;
        tc_grow(&out->v.c.items, out->v.c.n, &cap);
        fl_tc_val_t *f = &out->v.c.items[out->v.c.n++];
        memset(f, 0, sizeof(*f));
        f->id = id;
        if (t == FL_TC_TRUE || t == FL_TC_FALSE) {
            f->type = FL_TC_TRUE;
            f->v.b = (t == FL_TC_TRUE);
            continue;
        }
        if (tc_value(d, t, f, depth + 1)) return rd->err;
    }
}

static fl_err_t tc_value(tc_dec_t *d, uint8_t type, fl_tc_val_t *out, int depth) {
    fl_reader_t *rd = d->rd;
    int16_t id = out->id;
    memset(out, 0, sizeof(*out));
    out->id = id;
    out->type = type;
    switch (type) {
    case FL_TC_TRUE:
    case FL_TC_FALSE: /* a collection element: one byte */
        out->type = FL_TC_TRUE;
        out->v.b = fl_rd_u8(rd) == FL_TC_TRUE;
        break;
    case FL_TC_I8:
        out->v.i = fl_rd_i8(rd);
        break;
    case FL_TC_I16:
    case FL_TC_I32:
    case FL_TC_I64: {
        int64_t v = tc_rd_zigzag(rd);
        if ((type == FL_TC_I16 && (v < INT16_MIN || v > INT16_MAX)) ||
            (type == FL_TC_I32 && (v < INT32_MIN || v > INT32_MAX)))
            fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        out->v.i = v;
        break;
    }
    case FL_TC_DOUBLE:
        out->v.d = fl_rd_f64le(rd);
        break;
    case FL_TC_BINARY: {
        uint64_t n = fl_rd_uvarint(rd);
        if (!rd->err && n > fl_rd_remaining(rd)) fl_rd_fail(rd, FL_ERR__UNDERFLOW);
        out->v.bin = fl_rd_bytes(rd, (size_t)n);
        break;
    }
    case FL_TC_LIST:
    case FL_TC_SET:
    case FL_TC_MAP: {
        if (depth >= FL_TC_MAX_DEPTH) {
            fl_rd_fail(rd, FL_ERR__OVERFLOW);
            break;
        }
        uint64_t n;
        uint8_t et, vt = 0;
        if (type == FL_TC_MAP) {
            n = fl_rd_uvarint(rd);
            uint8_t kv = n ? fl_rd_u8(rd) : 0;
            et = kv >> 4;
            vt = kv & 0x0f;
            if (n && (!tc_type_ok(et) || !tc_type_ok(vt))) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        } else {
            uint8_t h = fl_rd_u8(rd);
            et = h & 0x0f;
            n = h >> 4;
            if (n == 15) n = fl_rd_uvarint(rd);
            if (!tc_type_ok(et)) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        }
        if (rd->err) break;
        if (n > d->max_items) {
            fl_rd_fail(rd, FL_ERR__OVERFLOW);
            break;
        }
        out->v.c.etype = et;
        out->v.c.vtype = vt;
        uint32_t cap = 0, vcap = 0;
        for (uint64_t i = 0; i < n && !rd->err; i++) {
            /* Every element takes at least one byte: a lying count runs out of input. */
            if (!fl_rd_need(rd, 1)) break;
            tc_grow(&out->v.c.items, out->v.c.n, &cap);
            fl_tc_val_t *e = &out->v.c.items[out->v.c.n];
            e->id = 0;
            if (type == FL_TC_MAP) tc_grow(&out->v.c.vals, out->v.c.n, &vcap);
            out->v.c.n++;
            if (type == FL_TC_MAP) memset(&out->v.c.vals[out->v.c.n - 1], 0, sizeof(fl_tc_val_t));
            if (tc_value(d, et, e, depth + 1)) break;
            if (type == FL_TC_MAP) tc_value(d, vt, &out->v.c.vals[out->v.c.n - 1], depth + 1);
        }
        break;
    }
    case FL_TC_STRUCT:
        tc_struct(d, out, depth);
        break;
    default:
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
    }
    return rd->err;
}

fl_err_t fl_tc_decode_struct(fl_reader_t *rd, fl_tc_val_t *out, uint32_t max_items) {
    tc_dec_t d = {rd, max_items};
    memset(out, 0, sizeof(*out));
    fl_err_t err = tc_struct(&d, out, 0);
    if (err) fl_tc_val_free(out);
    return err;
}

void fl_tc_val_free(fl_tc_val_t *v) {
    if (v->type == FL_TC_STRUCT || v->type == FL_TC_LIST || v->type == FL_TC_SET ||
        v->type == FL_TC_MAP) {
        for (uint32_t i = 0; i < v->v.c.n; i++) {
            fl_tc_val_free(&v->v.c.items[i]);
            if (v->v.c.vals) fl_tc_val_free(&v->v.c.vals[i]);
        }
        fl_free(v->v.c.items);
        fl_free(v->v.c.vals);
    }
    memset(v, 0, sizeof(*v));
}

const fl_tc_val_t *fl_tc_get(const fl_tc_val_t *st, int16_t id) {
    if (!st || st->type != FL_TC_STRUCT) return NULL;
    for (uint32_t i = 0; i < st->v.c.n; i++)
        if (st->v.c.items[i].id == id) return &st->v.c.items[i];
    return NULL;
}

int64_t fl_tc_get_i(const fl_tc_val_t *st, int16_t id, int64_t dflt) {
    const fl_tc_val_t *f = fl_tc_get(st, id);
    if (!f) return dflt;
    switch (f->type) {
    case FL_TC_TRUE:
        return f->v.b;
    case FL_TC_I8:
    case FL_TC_I16:
    case FL_TC_I32:
    case FL_TC_I64:
        return f->v.i;
    default:
        return dflt;
    }
}
