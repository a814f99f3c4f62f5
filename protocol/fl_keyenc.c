/* fl_keyenc.c: key encoders; byte layouts in fl_keyenc.h. */
#include "fl_keyenc.h"

#include <string.h>
#include <strings.h>

#include "fl_row.h"

static inline void put_le(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

fl_err_t fl_keyenc_for_bucket(const char *lake_format, fl_keyenc_kind_t *kind) {
    if (!lake_format || !*lake_format || !strcasecmp(lake_format, "lance")) {
        *kind = FL_KEYENC_COMPACTED;
    } else if (!strcasecmp(lake_format, "paimon")) {
        *kind = FL_KEYENC_PAIMON;
    } else if (!strcasecmp(lake_format, "iceberg")) {
        *kind = FL_KEYENC_ICEBERG;
    } else {
        return FL_ERR__INVAL;
    }
    return FL_ERR_NONE;
}

fl_err_t fl_keyenc_for_pk(const char *lake_format, int kv_format_version, bool default_bucket_key,
                          fl_keyenc_kind_t *kind) {
    if (kv_format_version < 0 || kv_format_version > 2) return FL_ERR__INVAL;
    if (kv_format_version == 2 && !default_bucket_key) {
        *kind = FL_KEYENC_COMPACTED;
        return FL_ERR_NONE;
    }
    return fl_keyenc_for_bucket(lake_format, kind);
}

static fl_err_t enc_compacted(const fl_type_t *rt, const fl_datum_t *row, const uint32_t *idx,
                              size_t n, fl_buf_t *buf) {
    for (size_t i = 0; i < n; i++) {
        const fl_datum_t *d = &row[idx[i]];
        if (d->is_null) return FL_ERR__INVAL;
        fl_err_t err = fl_row_write_compacted_value(&rt->children[idx[i]], d, buf);
        if (err) return err;
    }
    return FL_ERR_NONE;
}

/* Paimon BinaryRow: variable items go at the end of buf, 8-aligned from base. */
static fl_err_t paimon_var(fl_buf_t *buf, size_t base, const uint8_t *p, size_t n,
                           size_t room, uint64_t low32, uint64_t *slot) {
    size_t start = buf->len;
    size_t rounded = (room + 7) & ~(size_t)7;
    uint8_t *dst = fl_buf_extend(buf, rounded);
    memset(dst, 0, rounded);
    if (n) memcpy(dst, p, n);
    if (start - base > INT32_MAX) return FL_ERR__INVAL;
    *slot = ((uint64_t)(start - base) << 32) | low32;
    return FL_ERR_NONE;
}

static fl_err_t enc_paimon(const fl_type_t *rt, const fl_datum_t *row, const uint32_t *idx,
                           size_t n, fl_buf_t *buf) {
    size_t base = buf->len;
    size_t nb = ((n + 63 + 8) / 64) * 8;
    size_t fixed = nb + 8 * n;
    memset(fl_buf_extend(buf, fixed), 0, fixed); /* byte 0: RowKind INSERT = 0 */
    for (size_t i = 0; i < n; i++) {
        const fl_type_t *t = &rt->children[idx[i]];
        const fl_datum_t *d = &row[idx[i]];
        size_t so = base + nb + 8 * i;
        if (d->is_null) {
            if (t->root >= FL_T_ARRAY) return FL_ERR__INVAL;
            buf->p[base + ((i + 8) >> 3)] |= (uint8_t)(1u << ((i + 8) & 7));
            continue;
        }
        uint64_t slot = 0;
        fl_err_t err = FL_ERR_NONE;
        switch (t->root) {
        case FL_T_BOOLEAN:
            slot = d->v.b ? 1 : 0;
            break;
        case FL_T_TINYINT:
            slot = (uint8_t)d->v.i8;
            break;
        case FL_T_SMALLINT:
            slot = (uint16_t)d->v.i16;
            break;
        case FL_T_INTEGER:
        case FL_T_DATE:
        case FL_T_TIME:
            slot = (uint32_t)d->v.i32;
            break;
        case FL_T_FLOAT: {
            uint32_t u;
            memcpy(&u, &d->v.f32, 4);
            slot = u;
            break;
        }
        case FL_T_DOUBLE:
            memcpy(&slot, &d->v.f64, 8);
            break;
        case FL_T_BIGINT:
            slot = (uint64_t)d->v.i64;
            break;
        case FL_T_CHAR:
        case FL_T_STRING:
        case FL_T_BINARY:
        case FL_T_BYTES: {
            uint32_t len = d->v.bytes.len;
            if (len <= 7) {
                slot = (uint64_t)(0x80 | len) << 56;
                for (uint32_t k = 0; k < len; k++) slot |= (uint64_t)d->v.bytes.p[k] << (8 * k);
            } else {
                err = paimon_var(buf, base, d->v.bytes.p, len, len, len, &slot);
            }
            break;
        }
        case FL_T_DECIMAL:
            if (fl_type_decimal_compact(t)) {
                slot = (uint64_t)d->v.dec.unscaled;
            } else {
                uint8_t tmp[8];
                const uint8_t *p = d->v.dec.big;
                size_t bn = d->v.dec.big_len;
                if (!p) {
                    bn = fl_row_unscaled_bytes(d->v.dec.unscaled, tmp);
                    p = tmp;
                }
                if (bn == 0 || bn > 16) return FL_ERR__INVAL;
                err = paimon_var(buf, base, p, bn, 16, bn, &slot);
            }
            break;
        case FL_T_TIMESTAMP:
        case FL_T_TIMESTAMP_LTZ:
            if (fl_type_timestamp_compact(t)) {
                slot = (uint64_t)d->v.ts.millis;
            } else {
                uint8_t ms[8];
                put_le(ms, (uint64_t)d->v.ts.millis, 8);
                err = paimon_var(buf, base, ms, 8, 8, (uint32_t)d->v.ts.nanos, &slot);
            }
            break;
        default:
            return FL_ERR__INVAL;
        }
        if (err) return err;
        put_le(buf->p + so, slot, 8);
    }
    return FL_ERR_NONE;
}

static fl_err_t enc_iceberg(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *buf) {
    if (d->is_null) return FL_ERR__INVAL;
    switch (t->root) {
    case FL_T_INTEGER:
    case FL_T_DATE:
        fl_buf_put_i64le(buf, (int64_t)d->v.i32);
        return FL_ERR_NONE;
    case FL_T_TIME:
        fl_buf_put_i64le(buf, (int64_t)d->v.i32 * 1000);
        return FL_ERR_NONE;
    case FL_T_BIGINT:
        fl_buf_put_i64le(buf, d->v.i64);
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
    case FL_T_TIMESTAMP:
        fl_buf_put_i64le(buf, (int64_t)((uint64_t)d->v.ts.millis * 1000u +
                                         (uint64_t)(int64_t)(d->v.ts.nanos / 1000)));
        return FL_ERR_NONE;
    case FL_T_DECIMAL: {
        uint8_t tmp[8];
        if (d->v.dec.big && !fl_type_decimal_compact(t)) {
            if (!d->v.dec.big_len) return FL_ERR__INVAL;
            fl_buf_put(buf, d->v.dec.big, d->v.dec.big_len);
        } else {
            size_t n = fl_row_unscaled_bytes(d->v.dec.unscaled, tmp);
            fl_buf_put(buf, tmp, n);
        }
        return FL_ERR_NONE;
    }
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES:
        fl_buf_put(buf, d->v.bytes.p, d->v.bytes.len);
        return FL_ERR_NONE;
    default:
        return FL_ERR__INVAL;
    }
}

fl_err_t fl_keyenc_encode(fl_keyenc_kind_t kind, const fl_type_t *row_type,
                          const fl_datum_t *row, const uint32_t *key_idx, size_t n,
                          fl_buf_t *buf) {
    if (row_type->root != FL_T_ROW) return FL_ERR__INVAL;
    for (size_t i = 0; i < n; i++)
        if (key_idx[i] >= row_type->n_children) return FL_ERR__INVAL;
    size_t mark = buf->len;
    fl_err_t err;
    switch (kind) {
    case FL_KEYENC_COMPACTED:
        err = enc_compacted(row_type, row, key_idx, n, buf);
        break;
    case FL_KEYENC_PAIMON:
        err = enc_paimon(row_type, row, key_idx, n, buf);
        break;
    case FL_KEYENC_ICEBERG:
        err = n == 1 ? enc_iceberg(&row_type->children[key_idx[0]], &row[key_idx[0]], buf)
                     : FL_ERR__INVAL;
        break;
    default:
        err = FL_ERR__INVAL;
    }
    if (err) buf->len = mark;
    return err;
}
