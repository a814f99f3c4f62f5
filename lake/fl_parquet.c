/* fl_parquet.c: see fl_parquet.h for the file layout.
 *
 * Invariants:
 *  1. Pages start at row boundaries (repetition level 0): page limits are checked after each
 *     whole row only.
 *  2. A row is validated against the type tree before any column sees it, so a rejected row
 *     leaves every column chunk untouched (fl_pq_write_row() is all or nothing).
 *  3. A column chunk's dictionary page is emitted first, before its data pages; all data pages
 *     of a chunk are buffered until the row group is flushed, so the dictionary is complete by
 *     then. Once the dictionary outgrows dict_max_bytes, the page being built and every later
 *     page of the chunk are PLAIN (pages already encoded keep their dictionary ids).
 *  4. Statistics are tracked on Fluss values; every Fluss -> Parquet value conversion used here
 *     is monotonic, so converting the min and max gives the Parquet min and max.
 *  5. The sink sees bytes strictly in file order; w->offset is the number of bytes it
 *     accepted. A sink error is sticky (w->err). */
#include "fl_parquet.h"

#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "fl_thrift.h"

/* parquet.thrift enum values */
enum { PT_BOOLEAN = 0, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 };
enum {
    CT_NONE = -1,
    CT_UTF8 = 0,
    CT_MAP = 1,
    CT_LIST = 3,
    CT_DECIMAL = 5,
    CT_DATE = 6,
    CT_TIME_MILLIS = 7,
    CT_TIME_MICROS = 8,
    CT_TIMESTAMP_MILLIS = 9,
    CT_TIMESTAMP_MICROS = 10,
    CT_INT_8 = 15,
    CT_INT_16 = 16,
};
/* LogicalType union member ids */
enum {
    LT_NONE = 0,
    LT_STRING = 1,
    LT_MAP = 2,
    LT_LIST = 3,
    LT_DECIMAL = 5,
    LT_DATE = 6,
    LT_TIME = 7,
    LT_TIMESTAMP = 8,
    LT_INT = 10,
};
enum { UNIT_MILLIS = 1, UNIT_MICROS = 2 };
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_RLE_DICTIONARY = 8 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };

#define PQ_MAX_DEPTH 16
#define PQ_JULIAN_EPOCH 2440588 /* Julian day number of 1970-01-01 */
#define PQ_MS_PER_DAY 86400000LL

typedef enum pq_kind_e { K_LEAF, K_ROW, K_LIST, K_MAP, K_REPEATED } pq_kind_t;

/* How a Fluss value becomes a Parquet value. */
typedef enum pq_conv_e {
    V_BOOL,
    V_I8,
    V_I16,
    V_I32,       /* INTEGER, DATE, TIME as millis */
    V_I64,
    V_F32,
    V_F64,
    V_DEC32,     /* compact decimal, INT32 */
    V_DEC64,     /* compact decimal, INT64 */
    V_DECFIX,    /* big decimal, FIXED_LEN_BYTE_ARRAY, sign-extended */
    V_BYTES,     /* CHAR, STRING, BINARY, BYTES */
    V_TIME_MICROS,
    V_TS_MILLIS,
    V_TS_MICROS,
    V_TS_INT96,
} pq_conv_t;

typedef struct pq_node_s {
    char *name;                 /* owned */
    pq_kind_t kind;
    uint8_t rep;                /* REP_* */
    int32_t field_id;           /* -1 = none */
    const fl_type_t *type;      /* NULL for the synthetic repeated groups */
    uint32_t n_children;
    struct pq_node_s *children; /* owned */
    uint16_t max_def, max_rep;  /* levels reached at this node, itself included */
    int32_t col;                /* leaf: column index */
    /* schema element annotations */
    uint8_t ptype;
    int32_t type_length;
    int ctype;
    int ltype;
    bool lt_utc;
    int lt_unit;
    int lt_bits;
    pq_conv_t conv;
} pq_node_t;

typedef struct pq_stat_s {
    bool has;
    fl_datum_t min, max;
    fl_buf_t min_store, max_store; /* owned copies of variable-length min/max */
} pq_stat_t;

typedef struct pq_dent_s {
    uint32_t off;  /* raw value bytes in dict_plain */
    uint32_t len;
    uint32_t hash;
} pq_dent_t;

typedef struct pq_col_s {
    pq_node_t *leaf;
    char *path;                 /* owned, dotted */
    const char **parts;         /* owned array; names point into the nodes */
    uint32_t n_parts;
    /* page being built */
    uint32_t *rep, *def;
    size_t n_levels, cap_levels;
    uint32_t *idx;
    size_t n_idx, cap_idx;
    fl_buf_t plain;             /* PLAIN values of the page */
    uint32_t n_plain;           /* non-null values in the page */
    uint32_t page_rows;
    /* chunk of the current row group */
    fl_buf_t pages;             /* encoded data pages (headers included) */
    uint64_t chunk_values, chunk_nulls, chunk_nans, chunk_uncompressed;
    uint32_t n_dict_pages, n_plain_pages;
    pq_stat_t chunk_stat;
    /* dictionary of the chunk */
    bool dict_on;
    fl_buf_t dict_plain;
    pq_dent_t *dents;
    uint32_t dict_n, dents_cap;
    uint32_t *slots;            /* open addressing: entry index + 1, 0 = empty */
    uint32_t n_slots;
    /* whole file */
    pq_stat_t file_stat;
    uint64_t file_values, file_nulls, file_nans, file_bytes;
} pq_col_t;

struct fl_pq_writer_s {
    fl_pq_opts_t opts;          /* kv/created_by/message_name point to owned copies below */
    char *created_by, *message_name;
    fl_pq_kv_t *kv;             /* owned keys and values */
    const fl_type_t *row_type;
    fl_pq_write_cb cb;
    void *cb_ctx;
    pq_node_t root;
    pq_col_t *cols;
    uint32_t n_cols;
    size_t nested_next;         /* next opts.nested_ids entry */
    fl_err_t err;               /* sticky */
    bool started, finished;
    uint64_t offset;            /* bytes accepted by the sink */
    uint64_t num_rows;
    uint32_t rg_rows;
    fl_buf_t rg_meta;           /* encoded RowGroup structs, back to back */
    uint32_t n_rgs;
    uint64_t *rg_offsets;
    fl_buf_t body, comp, hdr;   /* scratch */
    fl_pq_col_stats_t *out_cols;
    fl_pq_file_stats_t out;
};

static const uint8_t pq_empty[1] = {0};

/* ---- small helpers ---- */

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static unsigned bit_width(uint32_t v) {
    return v ? 32u - (unsigned)__builtin_clz(v) : 0u;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int fl_pq_decimal_bytes(int precision) {
    int n = 1;
    while (pow(2.0, 8.0 * n - 1) < pow(10.0, precision)) n++;
    return n;
}

static const int64_t pq_pow10[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

/* ---- RLE / bit-packed hybrid ---- */

static size_t run_len(const uint32_t *v, size_t n, size_t i) {
    size_t j = i + 1;
    while (j < n && v[j] == v[i]) j++;
    return j - i;
}

static void rle_put_run(fl_buf_t *out, uint32_t value, size_t run, unsigned bw) {
    fl_tc_put_uvarint(out, (uint64_t)run << 1);
    for (unsigned b = 0; b < (bw + 7) / 8; b++) fl_buf_put_u8(out, (uint8_t)(value >> (8 * b)));
}

/* Bit-pack c values from v (zero-padded to a multiple of 8) as one literal run. */
static void rle_put_literal(fl_buf_t *out, const uint32_t *v, size_t c, unsigned bw) {
    size_t groups = (c + 7) / 8;
    fl_tc_put_uvarint(out, (uint64_t)groups << 1 | 1);
    uint64_t acc = 0;
    unsigned nbits = 0;
    for (size_t k = 0; k < groups * 8; k++) {
        acc |= (uint64_t)(k < c ? v[k] : 0) << nbits;
        nbits += bw;
        while (nbits >= 8) {
            fl_buf_put_u8(out, (uint8_t)acc);
            acc >>= 8;
            nbits -= 8;
        }
    }
}

/* Encode n values of width bw: runs of 8 or more equal values as RLE runs, the rest as
 * bit-packed groups of 8. Only the final literal run may be padded. */
void fl_pq_rle_encode(fl_buf_t *out, const uint32_t *v, size_t n, unsigned bw) {
    size_t i = 0;
    while (i < n) {
        size_t run = run_len(v, n, i);
        if (run >= 8) {
            rle_put_run(out, v[i], run, bw);
            i += run;
            continue;
        }
        size_t j = i;
        while (j < n) {
            size_t r = run_len(v, n, j);
            if (r >= 8) break;
            j += r;
        }
        size_t count = j - i;
        if (j < n) count += (8 - count % 8) % 8; /* borrow from the long run that follows */
        while (count > 0) {
            size_t c = FL_MIN(count, (size_t)504);
            rle_put_literal(out, v + i, FL_MIN(c, n - i), bw);
            i += c;
            count -= c;
        }
    }
}

/* ---- sink ---- */

static fl_err_t pq_emit(fl_pq_writer_t *w, const void *p, size_t n) {
    if (w->err) return w->err;
    if (!n) return FL_ERR_NONE;
    fl_err_t err = w->cb(w->cb_ctx, p, n);
    if (err) {
        w->err = err;
        return err;
    }
    w->offset += n;
    return FL_ERR_NONE;
}

static fl_err_t pq_start(fl_pq_writer_t *w) {
    if (w->started) return w->err;
    w->started = true;
    return pq_emit(w, "PAR1", 4);
}

static fl_err_t buf_sink(void *ctx, const void *p, size_t n) {
    fl_buf_put((fl_buf_t *)ctx, p, n);
    return FL_ERR_NONE;
}

/* ---- compression ---- */

/* Compress n bytes at p with the writer's codec; *out, *out_n is the result (maybe p itself). */
static fl_err_t pq_compress(fl_pq_writer_t *w, const uint8_t *p, size_t n, const uint8_t **out,
                            size_t *out_n) {
    if (n > INT32_MAX) return FL_ERR__OVERFLOW;
    fl_buf_reset(&w->comp);
    switch (w->opts.codec) {
    case FL_PQ_UNCOMPRESSED:
        *out = p;
        *out_n = n;
        break;
    case FL_PQ_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        char *dst = (char *)fl_buf_extend(&w->comp, cap);
        if (snappy_compress((const char *)p, n, dst, &cap) != SNAPPY_OK) return FL_ERR__INVAL;
        *out = (const uint8_t *)dst;
        *out_n = cap;
        break;
    }
    case FL_PQ_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        uint8_t *dst = fl_buf_extend(&w->comp, cap);
        size_t r = ZSTD_compress(dst, cap, p, n, w->opts.zstd_level ? w->opts.zstd_level : 3);
        if (ZSTD_isError(r)) return FL_ERR__INVAL;
        *out = dst;
        *out_n = r;
        break;
    }
    default:
        return FL_ERR__INVAL;
    }
    if (*out_n > INT32_MAX) return FL_ERR__OVERFLOW;
    return FL_ERR_NONE;
}

/* ---- values ---- */

/* The raw Parquet bytes of a non-null value (PLAIN without a length prefix; also the
 * statistics encoding). @returns the length; *out points to tmp or into the datum. */
static size_t value_raw(const pq_node_t *leaf, const fl_datum_t *d, uint8_t tmp[16],
                        const uint8_t **out) {
    *out = tmp;
    switch (leaf->conv) {
    case V_BOOL:
        tmp[0] = d->v.b ? 1 : 0;
        return 1;
    case V_I8:
        put32(tmp, (uint32_t)(int32_t)d->v.i8);
        return 4;
    case V_I16:
        put32(tmp, (uint32_t)(int32_t)d->v.i16);
        return 4;
    case V_I32:
        put32(tmp, (uint32_t)d->v.i32);
        return 4;
    case V_I64:
        put64(tmp, (uint64_t)d->v.i64);
        return 8;
    case V_F32:
        memcpy(tmp, &d->v.f32, 4);
        return 4;
    case V_F64:
        memcpy(tmp, &d->v.f64, 8);
        return 8;
    case V_DEC32:
        put32(tmp, (uint32_t)(int32_t)d->v.dec.unscaled);
        return 4;
    case V_DEC64:
        put64(tmp, (uint64_t)d->v.dec.unscaled);
        return 8;
    case V_DECFIX: {
        uint32_t L = (uint32_t)leaf->type_length, bl = d->v.dec.big_len;
        const uint8_t *b = d->v.dec.big;
        if (bl > L) { /* redundant sign bytes, checked by validation */
            b += bl - L;
            bl = L;
        }
        uint8_t fill = (bl && (b[0] & 0x80)) ? 0xff : 0x00;
        memset(tmp, fill, L - bl);
        if (bl) memcpy(tmp + (L - bl), b, bl);
        return L;
    }
    case V_BYTES:
        *out = d->v.bytes.len ? d->v.bytes.p : pq_empty;
        return d->v.bytes.len;
    case V_TIME_MICROS:
        put64(tmp, (uint64_t)((int64_t)d->v.i32 * 1000));
        return 8;
    case V_TS_MILLIS:
        put64(tmp, (uint64_t)d->v.ts.millis);
        return 8;
    case V_TS_MICROS:
        put64(tmp, (uint64_t)(d->v.ts.millis * 1000 + d->v.ts.nanos / 1000));
        return 8;
    case V_TS_INT96: {
        int64_t days = floor_div(d->v.ts.millis, PQ_MS_PER_DAY);
        int64_t ms = d->v.ts.millis - days * PQ_MS_PER_DAY;
        put64(tmp, (uint64_t)(ms * 1000000 + d->v.ts.nanos));
        put32(tmp + 8, (uint32_t)(int32_t)(days + PQ_JULIAN_EPOCH));
        return 12;
    }
    }
    return 0;
}

/* Byte i of a big-endian two's-complement value of len bytes sign-extended to L bytes. */
static uint8_t big_byte(const uint8_t *p, uint32_t len, uint32_t L, uint32_t i) {
    if (i < L - len) return (len && (p[0] & 0x80)) ? 0xff : 0x00;
    return p[i - (L - len)];
}

static int big_cmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl) {
    uint32_t L = FL_MAX(al, bl);
    for (uint32_t i = 0; i < L; i++) {
        uint8_t x = big_byte(a, al, L, i), y = big_byte(b, bl, L, i);
        if (x == y) continue;
        if (i == 0) return (int8_t)x < (int8_t)y ? -1 : 1;
        return x < y ? -1 : 1;
    }
    return 0;
}

#define CMP3(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* Compare two non-null leaf values in Paimon/Parquet order (floats: not NaN). */
static int datum_cmp(const pq_node_t *leaf, const fl_datum_t *a, const fl_datum_t *b) {
    switch (leaf->type->root) {
    case FL_T_BOOLEAN:
        return CMP3(a->v.b, b->v.b);
    case FL_T_TINYINT:
        return CMP3(a->v.i8, b->v.i8);
    case FL_T_SMALLINT:
        return CMP3(a->v.i16, b->v.i16);
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME:
        return CMP3(a->v.i32, b->v.i32);
    case FL_T_BIGINT:
        return CMP3(a->v.i64, b->v.i64);
    case FL_T_FLOAT:
        return CMP3(a->v.f32, b->v.f32);
    case FL_T_DOUBLE:
        return CMP3(a->v.f64, b->v.f64);
    case FL_T_DECIMAL:
        if (leaf->conv != V_DECFIX) return CMP3(a->v.dec.unscaled, b->v.dec.unscaled);
        return big_cmp(a->v.dec.big, a->v.dec.big_len, b->v.dec.big, b->v.dec.big_len);
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES: {
        uint32_t n = FL_MIN(a->v.bytes.len, b->v.bytes.len);
        int c = n ? memcmp(a->v.bytes.p, b->v.bytes.p, n) : 0;
        return c ? (c < 0 ? -1 : 1) : CMP3(a->v.bytes.len, b->v.bytes.len);
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: {
        int c = CMP3(a->v.ts.millis, b->v.ts.millis);
        return c ? c : CMP3(a->v.ts.nanos, b->v.ts.nanos);
    }
    default:
        return 0;
    }
}

/* Copy src into *dst, keeping variable-length bytes in store. */
static void stat_copy(const pq_node_t *leaf, fl_datum_t *dst, fl_buf_t *store,
                      const fl_datum_t *src) {
    *dst = *src;
    if (leaf->conv == V_BYTES) {
        fl_buf_reset(store);
        fl_buf_put(store, src->v.bytes.p, src->v.bytes.len);
        dst->v.bytes.p = store->len ? store->p : pq_empty;
    } else if (leaf->conv == V_DECFIX) {
        fl_buf_reset(store);
        fl_buf_put(store, src->v.dec.big, src->v.dec.big_len);
        dst->v.dec.big = store->len ? store->p : pq_empty;
    }
}

static void stat_update(const pq_node_t *leaf, pq_stat_t *st, const fl_datum_t *min,
                        const fl_datum_t *max) {
    if (!st->has) {
        stat_copy(leaf, &st->min, &st->min_store, min);
        stat_copy(leaf, &st->max, &st->max_store, max);
        st->has = true;
        return;
    }
    if (datum_cmp(leaf, min, &st->min) < 0) stat_copy(leaf, &st->min, &st->min_store, min);
    if (datum_cmp(leaf, max, &st->max) > 0) stat_copy(leaf, &st->max, &st->max_store, max);
}

static void stat_free(pq_stat_t *st) {
    fl_buf_free(&st->min_store);
    fl_buf_free(&st->max_store);
    memset(st, 0, sizeof(*st));
}

/* Floats: a zero min is written as -0.0 and a zero max as +0.0 (parquet.thrift). */
static void stat_normalize_zero(const pq_node_t *leaf, pq_stat_t *st) {
    if (!st->has) return;
    if (leaf->conv == V_F32) {
        if (st->min.v.f32 == 0.0f) st->min.v.f32 = -0.0f;
        if (st->max.v.f32 == 0.0f) st->max.v.f32 = 0.0f;
    } else if (leaf->conv == V_F64) {
        if (st->min.v.f64 == 0.0) st->min.v.f64 = -0.0;
        if (st->max.v.f64 == 0.0) st->max.v.f64 = 0.0;
    }
}

/* ---- schema ---- */

static void leaf_setup(pq_node_t *n, fl_pq_flavor_t flavor) {
    const fl_type_t *t = n->type;
    bool ice = flavor == FL_PQ_ICEBERG;
    n->kind = K_LEAF;
    n->ctype = CT_NONE;
    n->ltype = LT_NONE;
    switch (t->root) {
    case FL_T_BOOLEAN:
        n->ptype = PT_BOOLEAN;
        n->conv = V_BOOL;
        break;
    case FL_T_TINYINT:
    case FL_T_SMALLINT:
        n->ptype = PT_INT32;
        n->conv = t->root == FL_T_TINYINT ? V_I8 : V_I16;
        if (!ice) {
            n->ltype = LT_INT;
            n->lt_bits = t->root == FL_T_TINYINT ? 8 : 16;
            n->ctype = t->root == FL_T_TINYINT ? CT_INT_8 : CT_INT_16;
        }
        break;
    case FL_T_INTEGER:
        n->ptype = PT_INT32;
        n->conv = V_I32;
        break;
    case FL_T_BIGINT:
        n->ptype = PT_INT64;
        n->conv = V_I64;
        break;
    case FL_T_FLOAT:
        n->ptype = PT_FLOAT;
        n->conv = V_F32;
        break;
    case FL_T_DOUBLE:
        n->ptype = PT_DOUBLE;
        n->conv = V_F64;
        break;
    case FL_T_DECIMAL:
        n->ltype = LT_DECIMAL;
        n->ctype = CT_DECIMAL;
        if (t->precision <= 9) {
            n->ptype = PT_INT32;
            n->conv = V_DEC32;
        } else if (t->precision <= 18) {
            n->ptype = PT_INT64;
            n->conv = V_DEC64;
        } else {
            n->ptype = PT_FLBA;
            n->type_length = fl_pq_decimal_bytes(t->precision);
            n->conv = V_DECFIX;
        }
        break;
    case FL_T_CHAR:
    case FL_T_STRING:
        n->ptype = PT_BYTE_ARRAY;
        n->conv = V_BYTES;
        n->ltype = LT_STRING;
        n->ctype = CT_UTF8;
        break;
    case FL_T_BINARY:
    case FL_T_BYTES:
        n->ptype = PT_BYTE_ARRAY;
        n->conv = V_BYTES;
        break;
    case FL_T_DATE:
        n->ptype = PT_INT32;
        n->conv = V_I32;
        n->ltype = LT_DATE;
        n->ctype = CT_DATE;
        break;
    case FL_T_TIME:
        n->ltype = LT_TIME;
        if (ice) {
            n->ptype = PT_INT64;
            n->conv = V_TIME_MICROS;
            n->lt_utc = false;
            n->lt_unit = UNIT_MICROS;
        } else {
            n->ptype = PT_INT32;
            n->conv = V_I32;
            n->lt_utc = true;
            n->lt_unit = UNIT_MILLIS;
            n->ctype = CT_TIME_MILLIS;
        }
        break;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: {
        bool utc = t->root == FL_T_TIMESTAMP_LTZ;
        if (!ice && t->precision > 6) {
            n->ptype = PT_INT96;
            n->conv = V_TS_INT96;
            break;
        }
        n->ptype = PT_INT64;
        n->ltype = LT_TIMESTAMP;
        n->lt_utc = utc;
        if (!ice && t->precision <= 3) {
            n->conv = V_TS_MILLIS;
            n->lt_unit = UNIT_MILLIS;
            if (utc) n->ctype = CT_TIMESTAMP_MILLIS;
        } else {
            n->conv = V_TS_MICROS;
            n->lt_unit = UNIT_MICROS;
            if (utc) n->ctype = CT_TIMESTAMP_MICROS;
        }
        break;
    }
    default:
        break;
    }
}

static int32_t next_nested_id(fl_pq_writer_t *w) {
    if (w->opts.ids != FL_PQ_IDS_TYPE || !w->opts.nested_ids ||
        w->nested_next >= w->opts.n_nested_ids) {
        w->nested_next++;
        return -1;
    }
    return w->opts.nested_ids[w->nested_next++];
}

static fl_err_t build_node(fl_pq_writer_t *w, pq_node_t *n, const char *name, const fl_type_t *t,
                           int32_t id, bool force_required, uint16_t def, uint16_t rep,
                           int depth);

/* The synthetic repeated group of a LIST ("list") or MAP ("key_value"). */
static void build_repeated(pq_node_t *g, const char *name, uint32_t n_children, uint16_t def,
                           uint16_t rep) {
    g->name = fl_strdup(name);
    g->kind = K_REPEATED;
    g->rep = REP_REPEATED;
    g->field_id = -1;
    g->ctype = CT_NONE;
    g->max_def = def;
    g->max_rep = rep;
    g->n_children = n_children;
    g->children = fl_calloc(n_children, sizeof(pq_node_t));
}

static fl_err_t build_node(fl_pq_writer_t *w, pq_node_t *n, const char *name, const fl_type_t *t,
                           int32_t id, bool force_required, uint16_t def, uint16_t rep,
                           int depth) {
    if (!t || !name || depth > PQ_MAX_DEPTH || (unsigned)t->root >= FL_T__COUNT)
        return FL_ERR__INVAL;
    n->name = fl_strdup(name);
    n->type = t;
    n->field_id = w->opts.ids == FL_PQ_IDS_TYPE ? id : -1;
    n->rep = (t->nullable && !force_required) ? REP_OPTIONAL : REP_REQUIRED;
    if (n->rep == REP_OPTIONAL) def++;
    n->max_def = def;
    n->max_rep = rep;
    n->ctype = CT_NONE;
    n->col = -1;
    switch (t->root) {
    case FL_T_ROW:
        if (!t->n_children || !t->children || !t->field_names) return FL_ERR__INVAL;
        n->kind = K_ROW;
        n->n_children = t->n_children;
        n->children = fl_calloc(t->n_children, sizeof(pq_node_t));
        for (uint32_t i = 0; i < t->n_children; i++) {
            fl_err_t err = build_node(w, &n->children[i], t->field_names[i], &t->children[i],
                                      t->field_ids ? t->field_ids[i] : -1, false, def, rep,
                                      depth + 1);
            if (err) return err;
        }
        return FL_ERR_NONE;
    case FL_T_ARRAY: {
        if (t->n_children != 1 || !t->children) return FL_ERR__INVAL;
        n->kind = K_LIST;
        n->ctype = CT_LIST;
        n->ltype = LT_LIST;
        n->n_children = 1;
        n->children = fl_calloc(1, sizeof(pq_node_t));
        build_repeated(&n->children[0], "list", 1, def + 1, rep + 1);
        int32_t eid = next_nested_id(w);
        return build_node(w, &n->children[0].children[0], "element", &t->children[0], eid,
                          false, def + 1, rep + 1, depth + 1);
    }
    case FL_T_MAP: {
        if (t->n_children != 2 || !t->children) return FL_ERR__INVAL;
        n->kind = K_MAP;
        n->ctype = CT_MAP;
        n->ltype = LT_MAP;
        n->n_children = 1;
        n->children = fl_calloc(1, sizeof(pq_node_t));
        pq_node_t *g = &n->children[0];
        build_repeated(g, "key_value", 2, def + 1, rep + 1);
        int32_t kid = next_nested_id(w), vid = next_nested_id(w);
        fl_err_t err = build_node(w, &g->children[0], "key", &t->children[0], kid, true, def + 1,
                                  rep + 1, depth + 1);
        if (err) return err;
        return build_node(w, &g->children[1], "value", &t->children[1], vid, false, def + 1,
                          rep + 1, depth + 1);
    }
    case FL_T_DECIMAL:
        if (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision)
            return FL_ERR__INVAL;
        /* fall through */
    default:
        leaf_setup(n, w->opts.flavor);
        return FL_ERR_NONE;
    }
}

/* Iceberg's assignFreshIds: a struct's fields all get ids before any is descended into; a
 * list its element id; a map its key id then value id; then nested types, depth first. */
static void fresh_ids(pq_node_t *n, int32_t *next) {
    switch (n->kind) {
    case K_ROW:
        for (uint32_t i = 0; i < n->n_children; i++) n->children[i].field_id = (*next)++;
        for (uint32_t i = 0; i < n->n_children; i++) fresh_ids(&n->children[i], next);
        break;
    case K_LIST: {
        pq_node_t *e = &n->children[0].children[0];
        e->field_id = (*next)++;
        fresh_ids(e, next);
        break;
    }
    case K_MAP: {
        pq_node_t *g = &n->children[0];
        g->children[0].field_id = (*next)++;
        g->children[1].field_id = (*next)++;
        fresh_ids(&g->children[0], next);
        fresh_ids(&g->children[1], next);
        break;
    }
    default:
        break;
    }
}

static void node_free(pq_node_t *n) {
    for (uint32_t i = 0; n->children && i < n->n_children; i++) node_free(&n->children[i]);
    fl_free(n->children);
    fl_free(n->name);
}

/* Collect the leaves in schema order, with their paths. */
static void collect_leaves(fl_pq_writer_t *w, pq_node_t *n, const char **stack, uint32_t depth) {
    if (n != &w->root) stack[depth++] = n->name;
    if (n->kind != K_LEAF) {
        for (uint32_t i = 0; i < n->n_children; i++)
            collect_leaves(w, &n->children[i], stack, depth);
        return;
    }
    w->cols = fl_realloc(w->cols, (w->n_cols + 1) * sizeof(pq_col_t));
    pq_col_t *c = &w->cols[w->n_cols];
    memset(c, 0, sizeof(*c));
    n->col = (int32_t)w->n_cols++;
    c->leaf = n;
    c->n_parts = depth;
    c->parts = fl_calloc(depth, sizeof(char *));
    size_t len = 0;
    for (uint32_t i = 0; i < depth; i++) {
        c->parts[i] = stack[i];
        len += strlen(stack[i]) + 1;
    }
    c->path = fl_malloc(len);
    c->path[0] = 0;
    for (uint32_t i = 0; i < depth; i++) {
        if (i) strcat(c->path, ".");
        strcat(c->path, stack[i]);
    }
    fl_buf_init(&c->plain);
    fl_buf_init(&c->pages);
    fl_buf_init(&c->dict_plain);
}

/* ---- row validation (nothing is written unless the whole row fits) ---- */

static bool leaf_valid(const pq_node_t *n, const fl_datum_t *d) {
    const fl_type_t *t = n->type;
    switch (n->conv) {
    case V_DEC32:
    case V_DEC64: {
        int64_t u = d->v.dec.unscaled, lim = pq_pow10[t->precision];
        return u > -lim && u < lim;
    }
    case V_DECFIX: {
        const uint8_t *b = d->v.dec.big;
        uint32_t bl = d->v.dec.big_len;
        if (bl && !b) return false;
        /* Strip redundant sign bytes; what remains must fit the fixed width. */
        while (bl > 1 && ((b[0] == 0x00 && !(b[1] & 0x80)) || (b[0] == 0xff && (b[1] & 0x80)))) {
            b++;
            bl--;
        }
        return bl <= (uint32_t)n->type_length;
    }
    case V_BYTES:
        return d->v.bytes.p || !d->v.bytes.len;
    case V_TS_MILLIS:
    case V_TS_MICROS:
    case V_TS_INT96: {
        int64_t m = d->v.ts.millis, tmp;
        if (d->v.ts.nanos < 0 || d->v.ts.nanos > 999999) return false;
        if (n->conv == V_TS_MICROS && __builtin_mul_overflow(m, 1000, &tmp)) return false;
        if (n->conv == V_TS_MICROS && tmp > INT64_MAX - 999) return false;
        if (n->conv == V_TS_INT96) {
            int64_t days = floor_div(m, PQ_MS_PER_DAY) + PQ_JULIAN_EPOCH;
            if (days < INT32_MIN || days > INT32_MAX) return false;
        }
        return true;
    }
    default:
        return true;
    }
}

static bool row_valid(const pq_node_t *n, const fl_datum_t *d) {
    if (!d) return false;
    if (d->is_null) return n->rep == REP_OPTIONAL;
    const fl_datum_list_t *l = &d->v.list;
    switch (n->kind) {
    case K_LEAF:
        return leaf_valid(n, d);
    case K_ROW:
        if (l->n != n->n_children || !l->items) return false;
        for (uint32_t i = 0; i < l->n; i++)
            if (!row_valid(&n->children[i], &l->items[i])) return false;
        return true;
    case K_LIST: {
        if (l->n && !l->items) return false;
        const pq_node_t *e = &n->children[0].children[0];
        for (uint32_t i = 0; i < l->n; i++)
            if (!row_valid(e, &l->items[i])) return false;
        return true;
    }
    case K_MAP: {
        if (l->n && (!l->items || !l->values)) return false;
        const pq_node_t *g = &n->children[0];
        for (uint32_t i = 0; i < l->n; i++)
            if (!row_valid(&g->children[0], &l->items[i]) ||
                !row_valid(&g->children[1], &l->values[i]))
                return false;
        return true;
    }
    default:
        return false;
    }
}

/* ---- column buffering ---- */

static uint32_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return (uint32_t)(h ^ (h >> 32));
}

static void dict_rehash(pq_col_t *c) {
    uint32_t ns = c->n_slots ? c->n_slots * 2 : 256;
    fl_free(c->slots);
    c->slots = fl_calloc(ns, sizeof(uint32_t));
    c->n_slots = ns;
    for (uint32_t e = 0; e < c->dict_n; e++) {
        uint32_t s = c->dents[e].hash & (ns - 1);
        while (c->slots[s]) s = (s + 1) & (ns - 1);
        c->slots[s] = e + 1;
    }
}

/* @returns the dictionary id of the value, adding it when new. */
static uint32_t dict_id(pq_col_t *c, const uint8_t *raw, size_t n) {
    if ((c->dict_n + 1) * 2 > c->n_slots) dict_rehash(c);
    uint32_t h = hash_bytes(raw, n);
    uint32_t s = h & (c->n_slots - 1);
    for (; c->slots[s]; s = (s + 1) & (c->n_slots - 1)) {
        const pq_dent_t *e = &c->dents[c->slots[s] - 1];
        if (e->hash == h && e->len == n && !memcmp(c->dict_plain.p + e->off, raw, n))
            return c->slots[s] - 1;
    }
    if (c->dict_n == c->dents_cap) {
        c->dents_cap = c->dents_cap ? c->dents_cap * 2 : 64;
        c->dents = fl_realloc(c->dents, c->dents_cap * sizeof(pq_dent_t));
    }
    if (c->leaf->ptype == PT_BYTE_ARRAY) fl_buf_put_i32le(&c->dict_plain, (int32_t)n);
    pq_dent_t *e = &c->dents[c->dict_n];
    e->off = (uint32_t)c->dict_plain.len;
    e->len = (uint32_t)n;
    e->hash = h;
    fl_buf_put(&c->dict_plain, raw, n);
    c->slots[s] = ++c->dict_n;
    return c->dict_n - 1;
}

static void dict_reset(fl_pq_writer_t *w, pq_col_t *c) {
    fl_buf_reset(&c->dict_plain);
    c->dict_n = 0;
    if (c->slots) memset(c->slots, 0, c->n_slots * sizeof(uint32_t));
    c->dict_on = w->opts.dictionary && c->leaf->ptype != PT_BOOLEAN;
}

static void push_u32(uint32_t **a, size_t *n, size_t *cap, uint32_t v) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *a = fl_realloc(*a, *cap * sizeof(uint32_t));
    }
    (*a)[(*n)++] = v;
}

static void levels_push(pq_col_t *c, uint16_t r, uint16_t d) {
    const pq_node_t *leaf = c->leaf;
    if (c->n_levels == c->cap_levels) { /* rep and def grow together */
        c->cap_levels = c->cap_levels ? c->cap_levels * 2 : 1024;
        if (leaf->max_rep) c->rep = fl_realloc(c->rep, c->cap_levels * sizeof(uint32_t));
        if (leaf->max_def) c->def = fl_realloc(c->def, c->cap_levels * sizeof(uint32_t));
    }
    if (leaf->max_rep) c->rep[c->n_levels] = r;
    if (leaf->max_def) c->def[c->n_levels] = d;
    c->n_levels++;
}

static void col_add(fl_pq_writer_t *w, pq_col_t *c, uint16_t r, uint16_t d,
                    const fl_datum_t *v) {
    levels_push(c, r, d);
    c->chunk_values++;
    if (!v) {
        c->chunk_nulls++;
        return;
    }
    const pq_node_t *leaf = c->leaf;
    if (leaf->conv == V_BOOL) {
        if (c->n_plain % 8 == 0) fl_buf_put_u8(&c->plain, 0);
        if (v->v.b) c->plain.p[c->plain.len - 1] |= (uint8_t)(1u << (c->n_plain % 8));
    } else {
        uint8_t tmp[16];
        const uint8_t *raw;
        size_t n = value_raw(leaf, v, tmp, &raw);
        if (leaf->ptype == PT_BYTE_ARRAY) fl_buf_put_i32le(&c->plain, (int32_t)n);
        fl_buf_put(&c->plain, raw, n);
        if (c->dict_on) {
            uint32_t id = dict_id(c, raw, n);
            push_u32(&c->idx, &c->n_idx, &c->cap_idx, id);
            if (c->dict_plain.len > w->opts.dict_max_bytes) c->dict_on = false; /* inv. 3 */
        }
    }
    c->n_plain++;
    if ((leaf->conv == V_F32 && isnan(v->v.f32)) || (leaf->conv == V_F64 && isnan(v->v.f64))) {
        c->chunk_nans++;
        return;
    }
    stat_update(leaf, &c->chunk_stat, v, v);
}

/* Emit a null at every leaf under n. */
static void shred_nulls(fl_pq_writer_t *w, const pq_node_t *n, uint16_t r, uint16_t d) {
    if (n->kind == K_LEAF) {
        col_add(w, &w->cols[n->col], r, d, NULL);
        return;
    }
    for (uint32_t i = 0; i < n->n_children; i++) shred_nulls(w, &n->children[i], r, d);
}

/* Dremel shredding: r = repetition level of the first value, d = definition level reached by
 * the parent. */
static void shred(fl_pq_writer_t *w, const pq_node_t *n, const fl_datum_t *v, uint16_t r,
                  uint16_t d) {
    if (v->is_null) { /* only OPTIONAL nodes get here (row_valid) */
        shred_nulls(w, n, r, d);
        return;
    }
    if (n->rep == REP_OPTIONAL) d++;
    const fl_datum_list_t *l = &v->v.list;
    switch (n->kind) {
    case K_LEAF:
        col_add(w, &w->cols[n->col], r, d, v);
        break;
    case K_ROW:
        for (uint32_t i = 0; i < n->n_children; i++) shred(w, &n->children[i], &l->items[i], r, d);
        break;
    case K_LIST: {
        const pq_node_t *g = &n->children[0];
        if (!l->n) {
            shred_nulls(w, g, r, d);
            break;
        }
        for (uint32_t i = 0; i < l->n; i++)
            shred(w, &g->children[0], &l->items[i], i ? g->max_rep : r, (uint16_t)(d + 1));
        break;
    }
    case K_MAP: {
        const pq_node_t *g = &n->children[0];
        if (!l->n) {
            shred_nulls(w, g, r, d);
            break;
        }
        for (uint32_t i = 0; i < l->n; i++) {
            uint16_t rr = i ? g->max_rep : r;
            shred(w, &g->children[0], &l->items[i], rr, (uint16_t)(d + 1));
            shred(w, &g->children[1], &l->values[i], rr, (uint16_t)(d + 1));
        }
        break;
    }
    default:
        break;
    }
}

/* ---- pages ---- */

static void levels_section(fl_buf_t *body, const uint32_t *lv, size_t n, uint16_t max) {
    size_t at = fl_buf_reserve(body, 4);
    size_t start = body->len;
    fl_pq_rle_encode(body, lv, n, bit_width(max));
    fl_buf_patch_i32le(body, at, (int32_t)(body->len - start));
}

static size_t col_page_estimate(const pq_col_t *c) {
    size_t v = c->dict_on ? c->n_idx * (bit_width(c->dict_n) + 7) / 8 : c->plain.len;
    return v + c->n_levels / 4;
}

/* Encode, compress and append the column's current page to its chunk. */
static fl_err_t close_page(fl_pq_writer_t *w, pq_col_t *c) {
    if (!c->n_levels) return FL_ERR_NONE;
    const pq_node_t *leaf = c->leaf;
    fl_buf_t *body = &w->body;
    fl_buf_reset(body);
    if (leaf->max_rep) levels_section(body, c->rep, c->n_levels, leaf->max_rep);
    if (leaf->max_def) levels_section(body, c->def, c->n_levels, leaf->max_def);
    bool dict = c->dict_on && c->dict_n > 0; /* an all-null page needs no dictionary */
    if (dict) {
        unsigned bw = FL_MAX(1u, bit_width(c->dict_n ? c->dict_n - 1 : 0));
        fl_buf_put_u8(body, (uint8_t)bw);
        fl_pq_rle_encode(body, c->idx, c->n_idx, bw);
    } else {
        fl_buf_put(body, c->plain.p, c->plain.len);
    }
    if (c->n_levels > INT32_MAX) return FL_ERR__OVERFLOW;
    const uint8_t *cp;
    size_t cn;
    fl_err_t err = pq_compress(w, body->p, body->len, &cp, &cn);
    if (err) return err;
    fl_buf_reset(&w->hdr);
    fl_tc_writer_t tw;
    fl_tc_writer_init(&tw, &w->hdr);
    fl_tc_begin(&tw);
    fl_tc_field_i32(&tw, 1, PAGE_DATA);
    fl_tc_field_i32(&tw, 2, (int32_t)body->len);
    fl_tc_field_i32(&tw, 3, (int32_t)cn);
    fl_tc_field_struct(&tw, 5);
    fl_tc_field_i32(&tw, 1, (int32_t)c->n_levels);
    fl_tc_field_i32(&tw, 2, dict ? ENC_RLE_DICTIONARY : ENC_PLAIN);
    fl_tc_field_i32(&tw, 3, ENC_RLE);
    fl_tc_field_i32(&tw, 4, ENC_RLE);
    fl_tc_end(&tw);
    fl_tc_end(&tw);
    fl_buf_put(&c->pages, w->hdr.p, w->hdr.len);
    fl_buf_put(&c->pages, cp, cn);
    c->chunk_uncompressed += w->hdr.len + body->len;
    if (dict)
        c->n_dict_pages++;
    else
        c->n_plain_pages++;
    c->n_levels = 0;
    c->n_idx = 0;
    c->n_plain = 0;
    c->page_rows = 0;
    fl_buf_reset(&c->plain);
    return FL_ERR_NONE;
}

/* ---- footer pieces ---- */

static void put_stats(fl_tc_writer_t *tw, const pq_node_t *leaf, pq_stat_t *st, uint64_t nulls) {
    fl_tc_field_struct(tw, 12);
    fl_tc_field_i64(tw, 3, (int64_t)nulls);
    if (st->has && leaf->ptype != PT_INT96) {
        stat_normalize_zero(leaf, st);
        uint8_t tmin[16], tmax[16];
        const uint8_t *pmin, *pmax;
        size_t nmin = value_raw(leaf, &st->min, tmin, &pmin);
        size_t nmax = value_raw(leaf, &st->max, tmax, &pmax);
        fl_tc_field_binary(tw, 5, pmax, nmax);
        fl_tc_field_binary(tw, 6, pmin, nmin);
        fl_tc_field_bool(tw, 7, true);
        fl_tc_field_bool(tw, 8, true);
    }
    fl_tc_end(tw);
}

/* Write the column's chunk (dictionary page + data pages) and its ColumnChunk metadata. */
static fl_err_t write_chunk(fl_pq_writer_t *w, pq_col_t *c, fl_tc_writer_t *tw,
                            uint64_t *rg_uncompressed, uint64_t *rg_compressed) {
    fl_err_t err = close_page(w, c);
    if (err) return err;
    const pq_node_t *leaf = c->leaf;
    uint64_t chunk_start = w->offset;
    bool has_dict = c->n_dict_pages > 0;
    uint64_t uncompressed = c->chunk_uncompressed;
    if (has_dict) {
        const uint8_t *cp;
        size_t cn;
        if ((err = pq_compress(w, c->dict_plain.p, c->dict_plain.len, &cp, &cn))) return err;
        fl_buf_reset(&w->hdr);
        fl_tc_writer_t hw;
        fl_tc_writer_init(&hw, &w->hdr);
        fl_tc_begin(&hw);
        fl_tc_field_i32(&hw, 1, PAGE_DICTIONARY);
        fl_tc_field_i32(&hw, 2, (int32_t)c->dict_plain.len);
        fl_tc_field_i32(&hw, 3, (int32_t)cn);
        fl_tc_field_struct(&hw, 7);
        fl_tc_field_i32(&hw, 1, (int32_t)c->dict_n);
        fl_tc_field_i32(&hw, 2, ENC_PLAIN);
        fl_tc_end(&hw);
        fl_tc_end(&hw);
        uncompressed += w->hdr.len + c->dict_plain.len;
        if ((err = pq_emit(w, w->hdr.p, w->hdr.len))) return err;
        if ((err = pq_emit(w, cp, cn))) return err;
    }
    uint64_t data_off = w->offset;
    if ((err = pq_emit(w, c->pages.p, c->pages.len))) return err;
    uint64_t compressed = w->offset - chunk_start;

    /* ColumnChunk */
    fl_tc_begin(tw);
    fl_tc_field_i64(tw, 2, (int64_t)chunk_start);
    fl_tc_field_struct(tw, 3);
    fl_tc_field_i32(tw, 1, leaf->ptype);
    int encs[3], n_encs = 0;
    if (has_dict || c->n_plain_pages) encs[n_encs++] = ENC_PLAIN;
    if (leaf->max_def || leaf->max_rep) encs[n_encs++] = ENC_RLE;
    if (has_dict) encs[n_encs++] = ENC_RLE_DICTIONARY;
    fl_tc_field_list(tw, 2, FL_TC_I32, (uint32_t)n_encs);
    for (int i = 0; i < n_encs; i++) fl_tc_elem_i32(tw, encs[i]);
    fl_tc_field_list(tw, 3, FL_TC_BINARY, c->n_parts);
    for (uint32_t i = 0; i < c->n_parts; i++)
        fl_tc_elem_binary(tw, c->parts[i], strlen(c->parts[i]));
    fl_tc_field_i32(tw, 4, w->opts.codec);
    fl_tc_field_i64(tw, 5, (int64_t)c->chunk_values);
    fl_tc_field_i64(tw, 6, (int64_t)uncompressed);
    fl_tc_field_i64(tw, 7, (int64_t)compressed);
    fl_tc_field_i64(tw, 9, (int64_t)data_off);
    if (has_dict) fl_tc_field_i64(tw, 11, (int64_t)chunk_start);
    put_stats(tw, leaf, &c->chunk_stat, c->chunk_nulls);
    uint32_t n_es = (has_dict ? 2 : 0) + (c->n_plain_pages ? 1 : 0);
    fl_tc_field_list(tw, 13, FL_TC_STRUCT, n_es);
    if (has_dict) {
        fl_tc_begin(tw);
        fl_tc_field_i32(tw, 1, PAGE_DICTIONARY);
        fl_tc_field_i32(tw, 2, ENC_PLAIN);
        fl_tc_field_i32(tw, 3, 1);
        fl_tc_end(tw);
        fl_tc_begin(tw);
        fl_tc_field_i32(tw, 1, PAGE_DATA);
        fl_tc_field_i32(tw, 2, ENC_RLE_DICTIONARY);
        fl_tc_field_i32(tw, 3, (int32_t)c->n_dict_pages);
        fl_tc_end(tw);
    }
    if (c->n_plain_pages) {
        fl_tc_begin(tw);
        fl_tc_field_i32(tw, 1, PAGE_DATA);
        fl_tc_field_i32(tw, 2, ENC_PLAIN);
        fl_tc_field_i32(tw, 3, (int32_t)c->n_plain_pages);
        fl_tc_end(tw);
    }
    fl_tc_end(tw); /* ColumnMetaData */
    fl_tc_end(tw); /* ColumnChunk */

    *rg_uncompressed += uncompressed;
    *rg_compressed += compressed;
    /* merge into the file totals and reset the chunk */
    c->file_values += c->chunk_values;
    c->file_nulls += c->chunk_nulls;
    c->file_nans += c->chunk_nans;
    c->file_bytes += compressed;
    if (c->chunk_stat.has)
        stat_update(leaf, &c->file_stat, &c->chunk_stat.min, &c->chunk_stat.max);
    c->chunk_stat.has = false;
    c->chunk_values = c->chunk_nulls = c->chunk_nans = c->chunk_uncompressed = 0;
    c->n_dict_pages = c->n_plain_pages = 0;
    fl_buf_reset(&c->pages);
    dict_reset(w, c);
    return FL_ERR_NONE;
}

fl_err_t fl_pq_flush_row_group(fl_pq_writer_t *w) {
    if (w->err) return w->err;
    if (w->finished) return FL_ERR__INVAL;
    if (!w->rg_rows) return FL_ERR_NONE;
    fl_err_t err = pq_start(w);
    if (err) return err;
    uint64_t rg_start = w->offset, unc = 0, comp = 0;
    fl_tc_writer_t tw;
    fl_tc_writer_init(&tw, &w->rg_meta);
    fl_tc_begin(&tw); /* RowGroup */
    fl_tc_field_list(&tw, 1, FL_TC_STRUCT, w->n_cols);
    for (uint32_t i = 0; i < w->n_cols; i++) {
        if ((err = write_chunk(w, &w->cols[i], &tw, &unc, &comp))) {
            if (!w->err) w->err = err;
            return err;
        }
    }
    fl_tc_field_i64(&tw, 2, (int64_t)unc);
    fl_tc_field_i64(&tw, 3, (int64_t)w->rg_rows);
    fl_tc_field_i64(&tw, 5, (int64_t)rg_start);
    fl_tc_field_i64(&tw, 6, (int64_t)comp);
    fl_tc_field_i16(&tw, 7, (int16_t)w->n_rgs);
    fl_tc_end(&tw);
    w->rg_offsets = fl_realloc(w->rg_offsets, (w->n_rgs + 1) * sizeof(uint64_t));
    w->rg_offsets[w->n_rgs++] = rg_start;
    w->rg_rows = 0;
    if (w->n_rgs > INT16_MAX) w->err = FL_ERR__OVERFLOW;
    return w->err;
}

/* ---- public API ---- */

void fl_pq_opts_default(fl_pq_opts_t *o) {
    memset(o, 0, sizeof(*o));
    o->flavor = FL_PQ_PAIMON;
    o->codec = FL_PQ_ZSTD;
    o->dictionary = true;
    o->dict_max_bytes = 1u << 20;
    o->page_bytes = 1u << 20;
    o->page_rows = 20000;
    o->row_group_bytes = (size_t)128 << 20;
    o->ids = FL_PQ_IDS_TYPE;
}

fl_err_t fl_pq_writer_new(const fl_type_t *row, const fl_pq_opts_t *opts, fl_pq_write_cb cb,
                          void *ctx, fl_pq_writer_t **out) {
    *out = NULL;
    if (!row || row->root != FL_T_ROW || !cb) return FL_ERR__INVAL;
    fl_pq_opts_t o;
    if (opts)
        o = *opts;
    else
        fl_pq_opts_default(&o);
    if (o.codec != FL_PQ_UNCOMPRESSED && o.codec != FL_PQ_SNAPPY && o.codec != FL_PQ_ZSTD)
        return FL_ERR__INVAL;
    if (o.flavor != FL_PQ_PAIMON && o.flavor != FL_PQ_ICEBERG) return FL_ERR__INVAL;
    if (!o.page_bytes) o.page_bytes = 1u << 20;
    if (!o.page_rows) o.page_rows = 20000;
    if (!o.row_group_bytes) o.row_group_bytes = (size_t)128 << 20;
    if (!o.dict_max_bytes) o.dict_max_bytes = 1u << 20;

    fl_pq_writer_t *w = fl_calloc(1, sizeof(*w));
    w->opts = o;
    w->row_type = row;
    w->cb = cb;
    w->cb_ctx = ctx;
    w->created_by = fl_strdup(o.created_by ? o.created_by
                                           : "fluss-c-server version 0.1.0 (build local)");
    w->message_name = fl_strdup(o.message_name ? o.message_name
                                : o.flavor == FL_PQ_ICEBERG ? "table" : "paimon_schema");
    w->kv = fl_calloc(o.n_kv ? o.n_kv : 1, sizeof(fl_pq_kv_t));
    for (size_t i = 0; i < o.n_kv; i++) {
        w->kv[i].key = fl_strdup(o.kv[i].key ? o.kv[i].key : "");
        w->kv[i].value = o.kv[i].value ? fl_strdup(o.kv[i].value) : NULL;
    }
    w->opts.kv = w->kv;
    fl_buf_init(&w->rg_meta);
    fl_buf_init(&w->body);
    fl_buf_init(&w->comp);
    fl_buf_init(&w->hdr);

    fl_err_t err = build_node(w, &w->root, w->message_name, row, -1, true, 0, 0, 0);
    if (err) {
        fl_pq_writer_free(w);
        return err;
    }
    w->root.field_id = -1;
    if (o.ids == FL_PQ_IDS_ICEBERG_FRESH) {
        int32_t next = 1;
        fresh_ids(&w->root, &next);
    }
    const char *stack[PQ_MAX_DEPTH * 3 + 4];
    collect_leaves(w, &w->root, stack, 0);
    for (uint32_t i = 0; i < w->n_cols; i++) dict_reset(w, &w->cols[i]);
    *out = w;
    return FL_ERR_NONE;
}

fl_err_t fl_pq_writer_new_buf(const fl_type_t *row, const fl_pq_opts_t *opts, fl_buf_t *buf,
                              fl_pq_writer_t **out) {
    return fl_pq_writer_new(row, opts, buf_sink, buf, out);
}

fl_err_t fl_pq_write_row(fl_pq_writer_t *w, const fl_datum_t *row) {
    if (w->err) return w->err;
    if (w->finished || !row) return FL_ERR__INVAL;
    const pq_node_t *root = &w->root;
    for (uint32_t i = 0; i < root->n_children; i++)
        if (!row_valid(&root->children[i], &row[i])) return FL_ERR__INVAL;
    for (uint32_t i = 0; i < root->n_children; i++) shred(w, &root->children[i], &row[i], 0, 0);
    w->num_rows++;
    w->rg_rows++;
    uint64_t buffered = 0;
    for (uint32_t i = 0; i < w->n_cols; i++) {
        pq_col_t *c = &w->cols[i];
        c->page_rows++;
        if (c->page_rows >= w->opts.page_rows || col_page_estimate(c) >= w->opts.page_bytes) {
            fl_err_t err = close_page(w, c);
            if (err) return w->err = err;
        }
        buffered += c->pages.len + col_page_estimate(c) + c->dict_plain.len;
    }
    if (buffered >= w->opts.row_group_bytes) return fl_pq_flush_row_group(w);
    return FL_ERR_NONE;
}

uint64_t fl_pq_size_estimate(const fl_pq_writer_t *w) {
    uint64_t n = w->offset;
    for (uint32_t i = 0; i < w->n_cols; i++)
        n += w->cols[i].pages.len + col_page_estimate(&w->cols[i]) + w->cols[i].dict_plain.len;
    return n;
}

uint64_t fl_pq_num_rows(const fl_pq_writer_t *w) {
    return w->num_rows;
}

static void put_schema_element(fl_tc_writer_t *tw, const pq_node_t *n, bool is_root) {
    fl_tc_begin(tw);
    if (n->kind == K_LEAF) fl_tc_field_i32(tw, 1, n->ptype);
    if (n->kind == K_LEAF && n->ptype == PT_FLBA) fl_tc_field_i32(tw, 2, n->type_length);
    if (!is_root) fl_tc_field_i32(tw, 3, n->rep);
    fl_tc_field_string(tw, 4, n->name);
    if (n->kind != K_LEAF) fl_tc_field_i32(tw, 5, (int32_t)n->n_children);
    if (!is_root && n->ctype != CT_NONE) fl_tc_field_i32(tw, 6, n->ctype);
    if (!is_root && n->ltype == LT_DECIMAL) {
        fl_tc_field_i32(tw, 7, n->type->scale);
        fl_tc_field_i32(tw, 8, n->type->precision);
    }
    if (!is_root && n->field_id >= 0) fl_tc_field_i32(tw, 9, n->field_id);
    if (!is_root && n->ltype != LT_NONE) {
        fl_tc_field_struct(tw, 10);
        fl_tc_field_struct(tw, (int16_t)n->ltype);
        switch (n->ltype) {
        case LT_DECIMAL:
            fl_tc_field_i32(tw, 1, n->type->scale);
            fl_tc_field_i32(tw, 2, n->type->precision);
            break;
        case LT_TIME:
        case LT_TIMESTAMP:
            fl_tc_field_bool(tw, 1, n->lt_utc);
            fl_tc_field_struct(tw, 2);
            fl_tc_field_struct(tw, (int16_t)n->lt_unit);
            fl_tc_end(tw);
            fl_tc_end(tw);
            break;
        case LT_INT:
            fl_tc_field_i8(tw, 1, (int8_t)n->lt_bits);
            fl_tc_field_bool(tw, 2, true);
            break;
        default:
            break;
        }
        fl_tc_end(tw);
        fl_tc_end(tw);
    }
    fl_tc_end(tw);
    for (uint32_t i = 0; i < n->n_children; i++) put_schema_element(tw, &n->children[i], false);
}

static uint32_t count_nodes(const pq_node_t *n) {
    uint32_t k = 1;
    for (uint32_t i = 0; i < n->n_children; i++) k += count_nodes(&n->children[i]);
    return k;
}

fl_err_t fl_pq_finish(fl_pq_writer_t *w, const fl_pq_file_stats_t **stats) {
    if (stats) *stats = NULL;
    if (w->err) return w->err;
    if (w->finished) return FL_ERR__INVAL;
    fl_err_t err = fl_pq_flush_row_group(w);
    if (err) return err;
    if ((err = pq_start(w))) return err;
    w->finished = true;

    fl_buf_t footer;
    fl_buf_init(&footer);
    fl_tc_writer_t tw;
    fl_tc_writer_init(&tw, &footer);
    fl_tc_begin(&tw);
    fl_tc_field_i32(&tw, 1, 1);
    fl_tc_field_list(&tw, 2, FL_TC_STRUCT, count_nodes(&w->root));
    put_schema_element(&tw, &w->root, true);
    fl_tc_field_i64(&tw, 3, (int64_t)w->num_rows);
    fl_tc_field_list(&tw, 4, FL_TC_STRUCT, w->n_rgs);
    fl_buf_put(&footer, w->rg_meta.p, w->rg_meta.len);
    if (w->opts.n_kv) {
        fl_tc_field_list(&tw, 5, FL_TC_STRUCT, (uint32_t)w->opts.n_kv);
        for (size_t i = 0; i < w->opts.n_kv; i++) {
            fl_tc_begin(&tw);
            fl_tc_field_string(&tw, 1, w->kv[i].key);
            if (w->kv[i].value) fl_tc_field_string(&tw, 2, w->kv[i].value);
            fl_tc_end(&tw);
        }
    }
    fl_tc_field_string(&tw, 6, w->created_by);
    fl_tc_field_list(&tw, 7, FL_TC_STRUCT, w->n_cols);
    for (uint32_t i = 0; i < w->n_cols; i++) {
        fl_tc_begin(&tw);
        fl_tc_field_struct(&tw, 1); /* TYPE_ORDER */
        fl_tc_end(&tw);
        fl_tc_end(&tw);
    }
    fl_tc_end(&tw);
    uint8_t tail[8];
    put32(tail, (uint32_t)footer.len);
    memcpy(tail + 4, "PAR1", 4);
    err = pq_emit(w, footer.p, footer.len);
    if (!err) err = pq_emit(w, tail, 8);
    fl_buf_free(&footer);
    if (err) return err;

    w->out_cols = fl_calloc(w->n_cols ? w->n_cols : 1, sizeof(fl_pq_col_stats_t));
    for (uint32_t i = 0; i < w->n_cols; i++) {
        pq_col_t *c = &w->cols[i];
        fl_pq_col_stats_t *s = &w->out_cols[i];
        stat_normalize_zero(c->leaf, &c->file_stat);
        s->path = c->path;
        s->field_id = c->leaf->field_id;
        s->type = c->leaf->type;
        s->num_values = c->file_values;
        s->null_count = c->file_nulls;
        s->nan_count = c->file_nans;
        s->has_min_max = c->file_stat.has;
        if (s->has_min_max) {
            s->min = c->file_stat.min;
            s->max = c->file_stat.max;
        } else {
            s->min.is_null = s->max.is_null = true;
        }
        s->compressed_bytes = c->file_bytes;
    }
    w->out.file_size = w->offset;
    w->out.num_rows = w->num_rows;
    w->out.n_cols = w->n_cols;
    w->out.cols = w->out_cols;
    w->out.n_row_groups = w->n_rgs;
    w->out.row_group_offsets = w->rg_offsets;
    if (stats) *stats = &w->out;
    return FL_ERR_NONE;
}

void fl_pq_writer_free(fl_pq_writer_t *w) {
    if (!w) return;
    for (uint32_t i = 0; i < w->n_cols; i++) {
        pq_col_t *c = &w->cols[i];
        fl_free(c->path);
        fl_free(c->parts);
        fl_free(c->rep);
        fl_free(c->def);
        fl_free(c->idx);
        fl_buf_free(&c->plain);
        fl_buf_free(&c->pages);
        fl_buf_free(&c->dict_plain);
        fl_free(c->dents);
        fl_free(c->slots);
        stat_free(&c->chunk_stat);
        stat_free(&c->file_stat);
    }
    fl_free(w->cols);
    node_free(&w->root);
    for (size_t i = 0; i < w->opts.n_kv; i++) {
        fl_free((char *)w->kv[i].key);
        fl_free((char *)w->kv[i].value);
    }
    fl_free(w->kv);
    fl_free(w->created_by);
    fl_free(w->message_name);
    fl_buf_free(&w->rg_meta);
    fl_buf_free(&w->body);
    fl_buf_free(&w->comp);
    fl_buf_free(&w->hdr);
    fl_free(w->rg_offsets);
    fl_free(w->out_cols);
    fl_free(w);
}
