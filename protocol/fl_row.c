/* fl_row.c: CompactedRow / IndexedRow / BinaryArray / BinaryMap codecs; formats in fl_row.h.
 *
 * Encoding appends to an fl_buf_t. Arrays are written in place: the fixed part is reserved and
 * zeroed, variable items are appended after it and the slots are patched (by offset, since the
 * buffer may move). A length prefix (varint for CompactedRow) is inserted in front of a nested
 * value after it has been written.
 *
 * Decoding reads through fl_reader_t; random access into a BinaryArray uses sub-readers made
 * after an explicit bounds check. Datums come from the arena under a budget derived from the
 * input length and the type (never from a count in the input): a BinaryArray slot may point at
 * bytes another slot also uses, so without the budget a small input could expand
 * exponentially. */
#include "fl_row.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* small helpers                                                                              */

static inline void put_le(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline size_t round8(size_t n) {
    return (n + 7) & ~(size_t)7;
}

static inline size_t bitmap_bytes(uint32_t n) {
    return ((size_t)n + 7) / 8;
}

static void pad_to8(fl_buf_t *buf, size_t base) {
    size_t used = buf->len - base;
    size_t pad = round8(used) - used;
    if (pad) memset(fl_buf_extend(buf, pad), 0, pad);
}

static size_t uvarint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Insert varint(buf->len - start) at start, shifting the value right. */
static void insert_len_prefix(fl_buf_t *buf, size_t start) {
    size_t n = buf->len - start;
    size_t k = uvarint_size(n);
    fl_buf_extend(buf, k);
    memmove(buf->p + start + k, buf->p + start, n);
    uint64_t v = n;
    for (size_t i = 0; i < k; i++) {
        buf->p[start + i] = (uint8_t)((v & 0x7f) | (i + 1 < k ? 0x80 : 0));
        v >>= 7;
    }
}

size_t fl_row_unscaled_bytes(int64_t v, uint8_t out[8]) {
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++) tmp[7 - i] = (uint8_t)((uint64_t)v >> (8 * i));
    size_t s = 0;
    while (s < 7 && ((tmp[s] == 0x00 && !(tmp[s + 1] & 0x80)) ||
                     (tmp[s] == 0xff && (tmp[s + 1] & 0x80))))
        s++;
    memcpy(out, tmp + s, 8 - s);
    return 8 - s;
}

/* The unscaled bytes of a non-compact decimal datum: its big bytes, or derived from unscaled. */
static fl_err_t decimal_big(const fl_datum_t *d, const uint8_t **p, size_t *n, uint8_t tmp[8]) {
    if (d->v.dec.big) {
        *p = d->v.dec.big;
        *n = d->v.dec.big_len;
    } else {
        *n = fl_row_unscaled_bytes(d->v.dec.unscaled, tmp);
        *p = tmp;
    }
    return (*n == 0 || *n > 16) ? FL_ERR__INVAL : FL_ERR_NONE;
}

bool fl_row_indexed_is_var(const fl_type_t *t) {
    switch (t->root) {
    case FL_T_STRING:
    case FL_T_BYTES:
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW:
        return true;
    case FL_T_DECIMAL:
        return !fl_type_decimal_compact(t);
    default:
        return false;
    }
}

/* BinaryArray.calculateFixLengthPartSize; 0 for an unknown root. */
static size_t array_slot_width(fl_type_root_t r) {
    switch (r) {
    case FL_T_BOOLEAN:
    case FL_T_TINYINT:
        return 1;
    case FL_T_SMALLINT:
        return 2;
    case FL_T_INTEGER:
    case FL_T_FLOAT:
    case FL_T_DATE:
    case FL_T_TIME:
        return 4;
    case FL_T_BIGINT:
    case FL_T_DOUBLE:
    case FL_T_DECIMAL:
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW:
        return 8;
    default:
        return 0;
    }
}

static inline size_t array_header(uint64_t n) {
    return 4 + (size_t)((n + 31) / 32) * 4;
}

/* ------------------------------------------------------------------------------------------ */
/* encoding                                                                                   */

static fl_err_t enc_row(fl_row_format_t fmt, const fl_type_t *rt, const fl_datum_t *f,
                        uint32_t n, fl_buf_t *buf, int depth);
static fl_err_t enc_array(fl_row_format_t fmt, const fl_type_t *et, const fl_datum_t *items,
                          uint32_t n, fl_buf_t *buf, int depth);

/* BinaryMap: int32 key-array size, key array, value array. */
static fl_err_t enc_map(fl_row_format_t fmt, const fl_type_t *mt, const fl_datum_t *d,
                        fl_buf_t *buf, int depth) {
    if (mt->n_children != 2 || (d->v.list.n && (!d->v.list.items || !d->v.list.values)))
        return FL_ERR__INVAL;
    size_t at = buf->len;
    fl_buf_put_i32le(buf, 0);
    fl_err_t err = enc_array(fmt, &mt->children[0], d->v.list.items, d->v.list.n, buf, depth);
    if (err) return err;
    size_t ksize = buf->len - at - 4;
    if (ksize > INT32_MAX) return FL_ERR__INVAL;
    fl_buf_patch_i32le(buf, at, (int32_t)ksize);
    return enc_array(fmt, &mt->children[1], d->v.list.values, d->v.list.n, buf, depth);
}

/* A nested ARRAY / MAP / ROW value in the binary form of fmt (no length prefix). */
static fl_err_t enc_nested(fl_row_format_t fmt, const fl_type_t *t, const fl_datum_t *d,
                           fl_buf_t *buf, int depth) {
    if (depth >= FL_ROW_MAX_DEPTH) return FL_ERR__OVERFLOW;
    switch (t->root) {
    case FL_T_ARRAY:
        if (t->n_children != 1 || (d->v.list.n && !d->v.list.items)) return FL_ERR__INVAL;
        return enc_array(fmt, &t->children[0], d->v.list.items, d->v.list.n, buf, depth + 1);
    case FL_T_MAP:
        return enc_map(fmt, t, d, buf, depth + 1);
    case FL_T_ROW:
        if (d->v.list.n != t->n_children || (d->v.list.n && !d->v.list.items))
            return FL_ERR__INVAL;
        return enc_row(fmt, t, d->v.list.items, t->n_children, buf, depth + 1);
    default:
        return FL_ERR__INVAL;
    }
}

static fl_err_t enc_compacted_value(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *buf,
                                    int depth) {
    switch (t->root) {
    case FL_T_BOOLEAN:
        fl_buf_put_u8(buf, d->v.b ? 1 : 0);
        return FL_ERR_NONE;
    case FL_T_TINYINT:
        fl_buf_put_u8(buf, (uint8_t)d->v.i8);
        return FL_ERR_NONE;
    case FL_T_SMALLINT:
        fl_buf_put_i16le(buf, d->v.i16);
        return FL_ERR_NONE;
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME:
        fl_buf_put_uvarint(buf, (uint32_t)d->v.i32);
        return FL_ERR_NONE;
    case FL_T_BIGINT:
        fl_buf_put_uvarint(buf, (uint64_t)d->v.i64);
        return FL_ERR_NONE;
    case FL_T_FLOAT: {
        uint32_t u;
        memcpy(&u, &d->v.f32, 4);
        fl_buf_put_i32le(buf, (int32_t)u);
        return FL_ERR_NONE;
    }
    case FL_T_DOUBLE: {
        uint64_t u;
        memcpy(&u, &d->v.f64, 8);
        fl_buf_put_i64le(buf, (int64_t)u);
        return FL_ERR_NONE;
    }
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES:
        fl_buf_put_uvarint(buf, d->v.bytes.len);
        fl_buf_put(buf, d->v.bytes.p, d->v.bytes.len);
        return FL_ERR_NONE;
    case FL_T_DECIMAL: {
        if (fl_type_decimal_compact(t)) {
            fl_buf_put_uvarint(buf, (uint64_t)d->v.dec.unscaled);
            return FL_ERR_NONE;
        }
        const uint8_t *p;
        size_t n;
        uint8_t tmp[8];
        if (decimal_big(d, &p, &n, tmp)) return FL_ERR__INVAL;
        fl_buf_put_uvarint(buf, n);
        fl_buf_put(buf, p, n);
        return FL_ERR_NONE;
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        fl_buf_put_uvarint(buf, (uint64_t)d->v.ts.millis);
        if (!fl_type_timestamp_compact(t)) fl_buf_put_uvarint(buf, (uint32_t)d->v.ts.nanos);
        return FL_ERR_NONE;
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW: {
        size_t start = buf->len;
        fl_err_t err = enc_nested(FL_ROW_COMPACTED, t, d, buf, depth);
        if (err) return err;
        insert_len_prefix(buf, start);
        return FL_ERR_NONE;
    }
    default:
        return FL_ERR__INVAL;
    }
}

/* One IndexedRow value (the caller records the length of a variable-length one). */
static fl_err_t enc_indexed_value(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *buf,
                                  int depth) {
    switch (t->root) {
    case FL_T_BOOLEAN:
        fl_buf_put_u8(buf, d->v.b ? 1 : 0);
        return FL_ERR_NONE;
    case FL_T_TINYINT:
        fl_buf_put_u8(buf, (uint8_t)d->v.i8);
        return FL_ERR_NONE;
    case FL_T_SMALLINT:
        fl_buf_put_i16le(buf, d->v.i16);
        return FL_ERR_NONE;
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME:
        fl_buf_put_i32le(buf, d->v.i32);
        return FL_ERR_NONE;
    case FL_T_BIGINT:
        fl_buf_put_i64le(buf, d->v.i64);
        return FL_ERR_NONE;
    case FL_T_FLOAT:
    case FL_T_DOUBLE:
        return enc_compacted_value(t, d, buf, depth); /* same raw IEEE LE bytes */
    case FL_T_CHAR:
    case FL_T_BINARY: {
        if (t->length < 0 || d->v.bytes.len > (uint32_t)t->length) return FL_ERR__INVAL;
        uint8_t *p = fl_buf_extend(buf, (size_t)t->length);
        if (d->v.bytes.len) memcpy(p, d->v.bytes.p, d->v.bytes.len);
        memset(p + d->v.bytes.len, 0, (size_t)t->length - d->v.bytes.len);
        return FL_ERR_NONE;
    }
    case FL_T_STRING:
    case FL_T_BYTES:
        fl_buf_put(buf, d->v.bytes.p, d->v.bytes.len);
        return FL_ERR_NONE;
    case FL_T_DECIMAL: {
        if (fl_type_decimal_compact(t)) {
            fl_buf_put_i64le(buf, d->v.dec.unscaled);
            return FL_ERR_NONE;
        }
        const uint8_t *p;
        size_t n;
        uint8_t tmp[8];
        if (decimal_big(d, &p, &n, tmp)) return FL_ERR__INVAL;
        fl_buf_put(buf, p, n);
        return FL_ERR_NONE;
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        fl_buf_put_i64le(buf, d->v.ts.millis);
        if (!fl_type_timestamp_compact(t)) fl_buf_put_i32le(buf, d->v.ts.nanos);
        return FL_ERR_NONE;
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW:
        return enc_nested(FL_ROW_INDEXED, t, d, buf, depth);
    default:
        return FL_ERR__INVAL;
    }
}

static fl_err_t enc_row(fl_row_format_t fmt, const fl_type_t *rt, const fl_datum_t *f,
                        uint32_t n, fl_buf_t *buf, int depth) {
    if (rt->root != FL_T_ROW || n != rt->n_children) return FL_ERR__INVAL;
    size_t base = buf->len;
    size_t nb = bitmap_bytes(n);
    size_t nvar = 0;
    if (fmt == FL_ROW_INDEXED)
        for (uint32_t i = 0; i < n; i++) nvar += fl_row_indexed_is_var(&rt->children[i]);
    size_t hdr = nb + 4 * nvar;
    if (hdr) memset(fl_buf_extend(buf, hdr), 0, hdr);
    size_t var_slot = 0;
    for (uint32_t i = 0; i < n; i++) {
        const fl_type_t *t = &rt->children[i];
        if (f[i].is_null) {
            buf->p[base + (i >> 3)] |= (uint8_t)(1u << (i & 7));
            continue;
        }
        fl_err_t err;
        if (fmt == FL_ROW_COMPACTED) {
            err = enc_compacted_value(t, &f[i], buf, depth);
        } else {
            size_t start = buf->len;
            err = enc_indexed_value(t, &f[i], buf, depth);
            if (!err && fl_row_indexed_is_var(t)) {
                size_t vlen = buf->len - start;
                if (vlen > INT32_MAX) return FL_ERR__INVAL;
                fl_buf_patch_i32le(buf, base + nb + 4 * var_slot++, (int32_t)vlen);
            }
        }
        if (err) return err;
    }
    return FL_ERR_NONE;
}

/* The slot of a variable item written at start for the array at base: offset<<32 | low32. */
static fl_err_t slot_ref(fl_buf_t *buf, size_t base, size_t start, uint64_t low32,
                         uint64_t *slot) {
    size_t rel = start - base;
    if (rel > INT32_MAX || low32 > UINT32_MAX) return FL_ERR__INVAL;
    *slot = ((uint64_t)rel << 32) | low32;
    return FL_ERR_NONE;
}

static fl_err_t enc_array(fl_row_format_t fmt, const fl_type_t *et, const fl_datum_t *items,
                          uint32_t n, fl_buf_t *buf, int depth) {
    size_t w = array_slot_width(et->root);
    if (!w) return FL_ERR__INVAL;
    if (n > INT32_MAX / 8) return FL_ERR__INVAL;
    size_t base = buf->len;
    size_t hdr = array_header(n);
    size_t fixed = round8(hdr + w * n);
    memset(fl_buf_extend(buf, fixed), 0, fixed);
    put_le(buf->p + base, n, 4);
    for (uint32_t i = 0; i < n; i++) {
        const fl_datum_t *d = &items[i];
        size_t so = base + hdr + w * i; /* slot offset in buf */
        if (d->is_null) {
            buf->p[base + 4 + (i >> 3)] |= (uint8_t)(1u << (i & 7));
            continue;
        }
        uint64_t slot = 0;
        fl_err_t err = FL_ERR_NONE;
        switch (et->root) {
        case FL_T_BOOLEAN:
            buf->p[so] = d->v.b ? 1 : 0;
            continue;
        case FL_T_TINYINT:
            buf->p[so] = (uint8_t)d->v.i8;
            continue;
        case FL_T_SMALLINT:
            put_le(buf->p + so, (uint16_t)d->v.i16, 2);
            continue;
        case FL_T_INTEGER:
        case FL_T_DATE:
        case FL_T_TIME:
            put_le(buf->p + so, (uint32_t)d->v.i32, 4);
            continue;
        case FL_T_FLOAT: {
            uint32_t u = 0x7fc00000u; /* Float.NaN */
            if (!isnan(d->v.f32)) memcpy(&u, &d->v.f32, 4);
            put_le(buf->p + so, u, 4);
            continue;
        }
        case FL_T_DOUBLE: {
            uint64_t u = 0x7ff8000000000000ull; /* Double.NaN */
            if (!isnan(d->v.f64)) memcpy(&u, &d->v.f64, 8);
            put_le(buf->p + so, u, 8);
            continue;
        }
        case FL_T_BIGINT:
            put_le(buf->p + so, (uint64_t)d->v.i64, 8);
            continue;
        case FL_T_CHAR:
        case FL_T_STRING:
        case FL_T_BINARY:
        case FL_T_BYTES: {
            uint32_t len = d->v.bytes.len;
            if (len <= 7) {
                slot = (uint64_t)(0x80 | len) << 56;
                for (uint32_t k = 0; k < len; k++) slot |= (uint64_t)d->v.bytes.p[k] << (8 * k);
            } else {
                size_t start = buf->len;
                fl_buf_put(buf, d->v.bytes.p, len);
                pad_to8(buf, base);
                err = slot_ref(buf, base, start, len, &slot);
            }
            break;
        }
        case FL_T_DECIMAL:
            if (fl_type_decimal_compact(et)) {
                slot = (uint64_t)d->v.dec.unscaled;
            } else {
                const uint8_t *p;
                size_t bn;
                uint8_t tmp[8];
                if (decimal_big(d, &p, &bn, tmp)) return FL_ERR__INVAL;
                size_t start = buf->len;
                uint8_t *dst = fl_buf_extend(buf, 16);
                memset(dst, 0, 16);
                memcpy(dst, p, bn);
                err = slot_ref(buf, base, start, bn, &slot);
            }
            break;
        case FL_T_TIMESTAMP:
        case FL_T_TIMESTAMP_LTZ:
            if (fl_type_timestamp_compact(et)) {
                slot = (uint64_t)d->v.ts.millis;
            } else {
                size_t start = buf->len;
                fl_buf_put_i64le(buf, d->v.ts.millis);
                err = slot_ref(buf, base, start, (uint32_t)d->v.ts.nanos, &slot);
            }
            break;
        case FL_T_ARRAY:
        case FL_T_MAP:
        case FL_T_ROW: {
            size_t start = buf->len;
            err = enc_nested(fmt, et, d, buf, depth);
            if (err) return err;
            size_t size = buf->len - start;
            pad_to8(buf, base);
            err = slot_ref(buf, base, start, size, &slot);
            break;
        }
        default:
            return FL_ERR__INVAL;
        }
        if (err) return err;
        put_le(buf->p + so, slot, 8);
    }
    return FL_ERR_NONE;
}

fl_err_t fl_row_encode(fl_row_format_t fmt, const fl_type_t *row_type, const fl_datum_t *fields,
                       fl_buf_t *buf) {
    size_t mark = buf->len;
    fl_err_t err = enc_row(fmt, row_type, fields, row_type->n_children, buf, 0);
    if (err) buf->len = mark;
    return err;
}

fl_err_t fl_row_write_compacted_value(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *buf) {
    size_t mark = buf->len;
    fl_err_t err = d->is_null ? FL_ERR__INVAL : enc_compacted_value(t, d, buf, 0);
    if (err) buf->len = mark;
    return err;
}

fl_err_t fl_row_encode_value(fl_row_format_t fmt, int16_t schema_id, const fl_type_t *row_type,
                             const fl_datum_t *fields, fl_buf_t *buf) {
    size_t mark = buf->len;
    fl_buf_put_i16le(buf, schema_id);
    fl_err_t err = fl_row_encode(fmt, row_type, fields, buf);
    if (err) buf->len = mark;
    return err;
}

fl_err_t fl_row_split_value(const void *p, size_t len, int16_t *schema_id, fl_view_t *row) {
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    *schema_id = fl_rd_i16le(&rd);
    *row = fl_rd_bytes(&rd, fl_rd_remaining(&rd));
    return rd.err;
}

/* ------------------------------------------------------------------------------------------ */
/* decoding                                                                                   */

typedef struct dec_ctx_s {
    fl_arena_t *arena;
    size_t budget; /* datums still allowed */
} dec_ctx_t;

static fl_datum_t *dalloc(dec_ctx_t *ctx, size_t n) {
    if (n > ctx->budget) return NULL;
    ctx->budget -= n;
    size_t bytes = (n ? n : 1) * sizeof(fl_datum_t);
    fl_datum_t *d = fl_arena_try_alloc(ctx->arena, bytes);
    if (d) memset(d, 0, bytes);
    return d;
}

static size_t type_nodes(const fl_type_t *t, int depth) {
    if (depth > FL_ROW_MAX_DEPTH) return 1;
    size_t n = 1;
    for (uint32_t i = 0; i < t->n_children; i++) n += type_nodes(&t->children[i], depth + 1);
    return n;
}

static void ctx_init(dec_ctx_t *ctx, fl_arena_t *arena, const fl_type_t *t, size_t len) {
    ctx->arena = arena;
    ctx->budget = 8 * len + 64 * type_nodes(t, 0) + 1024;
}

static fl_err_t dec_row(dec_ctx_t *ctx, fl_row_format_t fmt, const fl_type_t *rt,
                        fl_reader_t *rd, bool bitmap, fl_datum_t *out, int depth);
static fl_err_t dec_array(dec_ctx_t *ctx, fl_row_format_t fmt, const fl_type_t *et,
                          fl_view_t in, fl_datum_t *d, int depth);

static fl_err_t check_nanos(int64_t nanos) {
    return (nanos < 0 || nanos > 999999) ? FL_ERR_CORRUPT_MESSAGE : FL_ERR_NONE;
}

static fl_err_t dec_map(dec_ctx_t *ctx, fl_row_format_t fmt, const fl_type_t *mt, fl_view_t in,
                        fl_datum_t *d, int depth) {
    if (mt->n_children != 2) return FL_ERR__INVAL;
    fl_reader_t rd;
    fl_rd_init(&rd, in.p, in.len);
    int32_t ks = fl_rd_i32le(&rd);
    if (rd.err) return rd.err;
    if (ks < 0 || (size_t)ks > fl_rd_remaining(&rd)) return FL_ERR_CORRUPT_MESSAGE;
    fl_view_t kv = fl_rd_bytes(&rd, (size_t)ks);
    fl_view_t vv = fl_rd_bytes(&rd, fl_rd_remaining(&rd));
    fl_datum_t keys, vals;
    fl_err_t err = dec_array(ctx, fmt, &mt->children[0], kv, &keys, depth);
    if (!err) err = dec_array(ctx, fmt, &mt->children[1], vv, &vals, depth);
    if (err) return err;
    if (keys.v.list.n != vals.v.list.n) return FL_ERR_CORRUPT_MESSAGE;
    d->v.list.items = keys.v.list.items;
    d->v.list.values = vals.v.list.items;
    d->v.list.n = keys.v.list.n;
    return FL_ERR_NONE;
}

static fl_err_t dec_nested(dec_ctx_t *ctx, fl_row_format_t fmt, const fl_type_t *t,
                           fl_view_t in, fl_datum_t *d, int depth) {
    if (depth >= FL_ROW_MAX_DEPTH) return FL_ERR__OVERFLOW;
    switch (t->root) {
    case FL_T_ARRAY:
        if (t->n_children != 1) return FL_ERR__INVAL;
        return dec_array(ctx, fmt, &t->children[0], in, d, depth + 1);
    case FL_T_MAP:
        return dec_map(ctx, fmt, t, in, d, depth + 1);
    case FL_T_ROW: {
        fl_datum_t *f = dalloc(ctx, t->n_children);
        if (!f) return FL_ERR__OVERFLOW;
        fl_reader_t rd;
        fl_rd_init(&rd, in.p, in.len);
        fl_err_t err = dec_row(ctx, fmt, t, &rd, true, f, depth + 1);
        if (err) return err;
        d->v.list.items = f;
        d->v.list.n = t->n_children;
        return FL_ERR_NONE;
    }
    default:
        return FL_ERR__INVAL;
    }
}

static fl_err_t dec_compacted_value(dec_ctx_t *ctx, const fl_type_t *t, fl_reader_t *rd,
                                    fl_datum_t *d, int depth) {
    switch (t->root) {
    case FL_T_BOOLEAN:
        d->v.b = fl_rd_u8(rd) != 0;
        break;
    case FL_T_TINYINT:
        d->v.i8 = fl_rd_i8(rd);
        break;
    case FL_T_SMALLINT:
        d->v.i16 = fl_rd_i16le(rd);
        break;
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME:
        d->v.i32 = (int32_t)fl_rd_uvarint32(rd);
        break;
    case FL_T_BIGINT:
        d->v.i64 = (int64_t)fl_rd_uvarint(rd);
        break;
    case FL_T_FLOAT:
        d->v.f32 = fl_rd_f32le(rd);
        break;
    case FL_T_DOUBLE:
        d->v.f64 = fl_rd_f64le(rd);
        break;
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES: {
        uint32_t n = fl_rd_uvarint32(rd);
        fl_view_t v = fl_rd_bytes(rd, n);
        d->v.bytes.p = v.p;
        d->v.bytes.len = (uint32_t)v.len;
        break;
    }
    case FL_T_DECIMAL:
        if (fl_type_decimal_compact(t)) {
            d->v.dec.unscaled = (int64_t)fl_rd_uvarint(rd);
        } else {
            uint32_t n = fl_rd_uvarint32(rd);
            fl_view_t v = fl_rd_bytes(rd, n);
            if (!rd->err && (n == 0 || n > 16)) return FL_ERR_CORRUPT_MESSAGE;
            d->v.dec.big = v.p;
            d->v.dec.big_len = (uint32_t)v.len;
        }
        break;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        d->v.ts.millis = (int64_t)fl_rd_uvarint(rd);
        if (!fl_type_timestamp_compact(t)) {
            uint32_t nanos = fl_rd_uvarint32(rd);
            if (!rd->err && check_nanos(nanos)) return FL_ERR_CORRUPT_MESSAGE;
            d->v.ts.nanos = (int32_t)nanos;
        }
        break;
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW: {
        uint32_t n = fl_rd_uvarint32(rd);
        fl_view_t v = fl_rd_bytes(rd, n);
        if (rd->err) return rd->err;
        return dec_nested(ctx, FL_ROW_COMPACTED, t, v, d, depth);
    }
    default:
        return FL_ERR__INVAL;
    }
    return rd->err;
}

static fl_err_t dec_indexed_value(dec_ctx_t *ctx, const fl_type_t *t, fl_reader_t *rd,
                                  fl_reader_t *lens, fl_datum_t *d, int depth) {
    if (fl_row_indexed_is_var(t)) {
        int32_t n = fl_rd_i32le(lens);
        if (lens->err) return FL_ERR_CORRUPT_MESSAGE; /* more non-null var columns than slots */
        if (n < 0) return FL_ERR_CORRUPT_MESSAGE;
        fl_view_t v = fl_rd_bytes(rd, (size_t)n);
        if (rd->err) return rd->err;
        switch (t->root) {
        case FL_T_STRING:
        case FL_T_BYTES:
            d->v.bytes.p = v.p;
            d->v.bytes.len = (uint32_t)v.len;
            return FL_ERR_NONE;
        case FL_T_DECIMAL:
            if (n == 0 || n > 16) return FL_ERR_CORRUPT_MESSAGE;
            d->v.dec.big = v.p;
            d->v.dec.big_len = (uint32_t)v.len;
            return FL_ERR_NONE;
        default:
            return dec_nested(ctx, FL_ROW_INDEXED, t, v, d, depth);
        }
    }
    switch (t->root) {
    case FL_T_BOOLEAN:
        d->v.b = fl_rd_u8(rd) != 0;
        break;
    case FL_T_TINYINT:
        d->v.i8 = fl_rd_i8(rd);
        break;
    case FL_T_SMALLINT:
        d->v.i16 = fl_rd_i16le(rd);
        break;
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME:
        d->v.i32 = fl_rd_i32le(rd);
        break;
    case FL_T_BIGINT:
        d->v.i64 = fl_rd_i64le(rd);
        break;
    case FL_T_FLOAT:
        d->v.f32 = fl_rd_f32le(rd);
        break;
    case FL_T_DOUBLE:
        d->v.f64 = fl_rd_f64le(rd);
        break;
    case FL_T_DECIMAL: /* compact */
        d->v.dec.unscaled = fl_rd_i64le(rd);
        break;
    case FL_T_CHAR:
    case FL_T_BINARY: {
        if (t->length < 0) return FL_ERR__INVAL;
        fl_view_t v = fl_rd_bytes(rd, (size_t)t->length);
        size_t n = v.len;
        if (t->root == FL_T_CHAR)
            while (n && v.p[n - 1] == 0) n--;
        d->v.bytes.p = v.p;
        d->v.bytes.len = (uint32_t)n;
        break;
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        d->v.ts.millis = fl_rd_i64le(rd);
        if (!fl_type_timestamp_compact(t)) {
            int32_t nanos = fl_rd_i32le(rd);
            if (!rd->err && check_nanos(nanos)) return FL_ERR_CORRUPT_MESSAGE;
            d->v.ts.nanos = nanos;
        }
        break;
    default:
        return FL_ERR__INVAL;
    }
    return rd->err;
}

static fl_err_t dec_row(dec_ctx_t *ctx, fl_row_format_t fmt, const fl_type_t *rt,
                        fl_reader_t *rd, bool bitmap, fl_datum_t *out, int depth) {
    if (rt->root != FL_T_ROW) return FL_ERR__INVAL;
    uint32_t n = rt->n_children;
    fl_view_t bits = {NULL, 0};
    if (bitmap) bits = fl_rd_bytes(rd, bitmap_bytes(n));
    fl_reader_t lens;
    fl_rd_init(&lens, NULL, 0);
    if (fmt == FL_ROW_INDEXED) {
        size_t nvar = 0;
        for (uint32_t i = 0; i < n; i++) nvar += fl_row_indexed_is_var(&rt->children[i]);
        fl_rd_narrow(rd, 4 * nvar, &lens);
    }
    if (rd->err) return rd->err;
    for (uint32_t i = 0; i < n; i++) {
        fl_datum_t *d = &out[i];
        memset(d, 0, sizeof(*d));
        if (bitmap && (bits.p[i >> 3] >> (i & 7)) & 1) {
            d->is_null = true;
            continue;
        }
        fl_err_t err = fmt == FL_ROW_COMPACTED
                           ? dec_compacted_value(ctx, &rt->children[i], rd, d, depth)
                           : dec_indexed_value(ctx, &rt->children[i], rd, &lens, d, depth);
        if (err) return err;
    }
    return fl_rd_end(rd);
}

/* A reader over [off, off + n) of the array bytes, after checking the range. */
static bool sub_at(fl_view_t in, uint64_t off, uint64_t n, fl_reader_t *sub) {
    if (off > in.len || n > in.len - off) return false;
    fl_rd_init(sub, in.p + off, (size_t)n);
    return true;
}

static fl_err_t dec_array(dec_ctx_t *ctx, fl_row_format_t fmt, const fl_type_t *et,
                          fl_view_t in, fl_datum_t *d, int depth) {
    size_t w = array_slot_width(et->root);
    if (!w) return FL_ERR__INVAL;
    fl_reader_t rd;
    fl_rd_init(&rd, in.p, in.len);
    int32_t n = fl_rd_i32le(&rd);
    if (rd.err) return rd.err;
    if (n < 0) return FL_ERR_CORRUPT_MESSAGE;
    size_t hdr = array_header((uint64_t)n);
    if ((uint64_t)hdr + (uint64_t)w * (uint64_t)n > in.len) return FL_ERR_CORRUPT_MESSAGE;
    fl_datum_t *items = dalloc(ctx, (size_t)n);
    if (!items) return FL_ERR__OVERFLOW;
    for (int32_t i = 0; i < n; i++) {
        fl_datum_t *e = &items[i];
        if ((in.p[4 + (i >> 3)] >> (i & 7)) & 1) {
            e->is_null = true;
            continue;
        }
        fl_reader_t s;
        sub_at(in, hdr + w * (size_t)i, w, &s); /* in range: checked above */
        switch (et->root) {
        case FL_T_BOOLEAN:
            e->v.b = fl_rd_u8(&s) != 0;
            continue;
        case FL_T_TINYINT:
            e->v.i8 = fl_rd_i8(&s);
            continue;
        case FL_T_SMALLINT:
            e->v.i16 = fl_rd_i16le(&s);
            continue;
        case FL_T_INTEGER:
        case FL_T_DATE:
        case FL_T_TIME:
            e->v.i32 = fl_rd_i32le(&s);
            continue;
        case FL_T_FLOAT:
            e->v.f32 = fl_rd_f32le(&s);
            continue;
        case FL_T_DOUBLE:
            e->v.f64 = fl_rd_f64le(&s);
            continue;
        case FL_T_BIGINT:
            e->v.i64 = fl_rd_i64le(&s);
            continue;
        default:
            break;
        }
        uint64_t slot = (uint64_t)fl_rd_i64le(&s);
        uint64_t off = slot >> 32, low = slot & 0xffffffffu;
        fl_reader_t v;
        switch (et->root) {
        case FL_T_CHAR:
        case FL_T_STRING:
        case FL_T_BINARY:
        case FL_T_BYTES:
            if (slot >> 63) { /* inline: top byte 0x80 | len, data at the slot start */
                size_t len = (size_t)((slot >> 56) & 0x7f);
                if (len > 7) return FL_ERR_CORRUPT_MESSAGE;
                sub_at(in, hdr + w * (size_t)i, len, &v);
            } else if (!sub_at(in, off, low, &v)) {
                return FL_ERR_CORRUPT_MESSAGE;
            }
            e->v.bytes.p = v.p;
            e->v.bytes.len = (uint32_t)v.len;
            break;
        case FL_T_DECIMAL:
            if (fl_type_decimal_compact(et)) {
                e->v.dec.unscaled = (int64_t)slot;
            } else {
                if (low == 0 || low > 16 || !sub_at(in, off, low, &v))
                    return FL_ERR_CORRUPT_MESSAGE;
                e->v.dec.big = v.p;
                e->v.dec.big_len = (uint32_t)low;
            }
            break;
        case FL_T_TIMESTAMP:
        case FL_T_TIMESTAMP_LTZ:
            if (fl_type_timestamp_compact(et)) {
                e->v.ts.millis = (int64_t)slot;
            } else {
                if (check_nanos((int64_t)low) || !sub_at(in, off, 8, &v))
                    return FL_ERR_CORRUPT_MESSAGE;
                e->v.ts.millis = fl_rd_i64le(&v);
                e->v.ts.nanos = (int32_t)low;
            }
            break;
        case FL_T_ARRAY:
        case FL_T_MAP:
        case FL_T_ROW: {
            if (!sub_at(in, off, low, &v)) return FL_ERR_CORRUPT_MESSAGE;
            fl_view_t nv = {v.p, v.len};
            fl_err_t err = dec_nested(ctx, fmt, et, nv, e, depth);
            if (err) return err;
            break;
        }
        default:
            return FL_ERR__INVAL;
        }
    }
    d->v.list.items = items;
    d->v.list.values = NULL;
    d->v.list.n = (uint32_t)n;
    return FL_ERR_NONE;
}

fl_err_t fl_row_decode(fl_row_format_t fmt, const fl_type_t *row_type, const void *p, size_t len,
                       fl_arena_t *arena, fl_datum_t **fields_out) {
    dec_ctx_t ctx;
    ctx_init(&ctx, arena, row_type, len);
    *fields_out = NULL;
    if (row_type->root != FL_T_ROW) return FL_ERR__INVAL;
    fl_datum_t *f = dalloc(&ctx, row_type->n_children);
    if (!f) return FL_ERR__OVERFLOW;
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    fl_err_t err = dec_row(&ctx, fmt, row_type, &rd, true, f, 0);
    if (!err) *fields_out = f;
    return err;
}

fl_err_t fl_row_decode_compacted_key(const fl_type_t *key_type, const void *p, size_t len,
                                     fl_arena_t *arena, fl_datum_t **fields_out) {
    dec_ctx_t ctx;
    ctx_init(&ctx, arena, key_type, len);
    *fields_out = NULL;
    if (key_type->root != FL_T_ROW) return FL_ERR__INVAL;
    fl_datum_t *f = dalloc(&ctx, key_type->n_children);
    if (!f) return FL_ERR__OVERFLOW;
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    fl_err_t err = dec_row(&ctx, FL_ROW_COMPACTED, key_type, &rd, false, f, 0);
    if (!err) *fields_out = f;
    return err;
}
