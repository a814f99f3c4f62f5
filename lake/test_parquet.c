/* test_parquet.c: the Parquet writer.
 *
 * Unit tests (cmocka) read the files back with our own Thrift decoder: magic, footer, every
 * page header, decompression, level decoding, statistics bytes and the statistics returned by
 * fl_pq_finish(); malformed rows, sink failures, zero rows, huge page counts.
 *
 * `test_lake_parquet --emit DIR` instead writes Parquet files plus, for each file X,
 * X.rows.jsonl (the rows as written) and X.meta.json (types, flavour, returned statistics),
 * for check_parquet.py to compare against pyarrow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "fl_parquet.h"
#include "fl_reader.h"
#include "fl_thrift.h"

/* ---------------------------------------------------------------- type helpers */

static fl_type_t ty(fl_type_root_t root, bool nullable, int p, int s) {
    fl_type_t t;
    memset(&t, 0, sizeof(t));
    t.root = root;
    t.nullable = nullable;
    t.precision = p;
    t.scale = s;
    t.length = p;
    return t;
}

static fl_type_t ty_row(bool nullable, uint32_t n, fl_type_t *children, char **names,
                        int32_t *ids) {
    fl_type_t t = ty(FL_T_ROW, nullable, 0, 0);
    t.n_children = n;
    t.children = children;
    t.field_names = names;
    t.field_ids = ids;
    return t;
}

static fl_type_t ty_array(bool nullable, fl_type_t *elem) {
    fl_type_t t = ty(FL_T_ARRAY, nullable, 0, 0);
    t.n_children = 1;
    t.children = elem;
    return t;
}

static fl_type_t ty_map(bool nullable, fl_type_t *kv) {
    fl_type_t t = ty(FL_T_MAP, nullable, 0, 0);
    t.n_children = 2;
    t.children = kv;
    return t;
}

/* ---------------------------------------------------------------- value pools (per row) */

static fl_datum_t g_pool[1 << 16];
static size_t g_pool_n;
static uint8_t g_bytes[4 << 20];
static size_t g_bytes_n;

static void pool_reset(void) {
    g_pool_n = 0;
    g_bytes_n = 0;
}

static fl_datum_t *pool_datums(size_t n) {
    assert_true(g_pool_n + n <= FL_ARRAY_LEN(g_pool));
    fl_datum_t *d = &g_pool[g_pool_n];
    memset(d, 0, n * sizeof(*d));
    g_pool_n += n;
    return d;
}

static uint8_t *pool_bytes(size_t n) {
    assert_true(g_bytes_n + n <= sizeof(g_bytes));
    uint8_t *p = &g_bytes[g_bytes_n];
    g_bytes_n += n;
    return p;
}

static uint64_t g_rng = 88172645463325252ULL;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static fl_datum_t d_null(void) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.is_null = true;
    return d;
}

static fl_datum_t d_i32(int32_t v) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.v.i32 = v;
    return d;
}

static fl_datum_t d_i64(int64_t v) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.v.i64 = v;
    return d;
}

static fl_datum_t d_f64(double v) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.v.f64 = v;
    return d;
}

static fl_datum_t d_bytes(const void *p, uint32_t n) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    uint8_t *q = pool_bytes(n);
    if (n) memcpy(q, p, n);
    d.v.bytes.p = q;
    d.v.bytes.len = n;
    return d;
}

static fl_datum_t d_str(const char *s) {
    return d_bytes(s, (uint32_t)strlen(s));
}

static fl_datum_t d_list(fl_datum_t *items, fl_datum_t *values, uint32_t n) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.v.list.items = items;
    d.v.list.values = values;
    d.v.list.n = n;
    return d;
}

/* ---------------------------------------------------------------- the flat schema */

enum {
    C_BOOL, C_I8, C_I16, C_I32, C_I64, C_F32, C_F64, C_D9, C_D18, C_D38, C_CHAR, C_STR, C_BIN,
    C_BYTES, C_DATE, C_TIME, C_TS3, C_TS6, C_TS9, C_LTZ3, C_LTZ6, C_LTZ9, C_ALLNULL, C_LOWCARD,
    C_N
};

static char *g_flat_names[C_N] = {
    "b", "i8", "i16", "i32", "i64", "f32", "f64", "d9", "d18", "d38", "ch", "s", "bin", "by",
    "dt", "tm", "ts3", "ts6", "ts9", "ltz3", "ltz6", "ltz9", "allnull", "lowcard"};
static fl_type_t g_flat_fields[C_N];
static int32_t g_flat_ids[C_N];
static fl_type_t g_flat;

static void flat_schema(void) {
    fl_type_t *f = g_flat_fields;
    f[C_BOOL] = ty(FL_T_BOOLEAN, true, 0, 0);
    f[C_I8] = ty(FL_T_TINYINT, true, 0, 0);
    f[C_I16] = ty(FL_T_SMALLINT, true, 0, 0);
    f[C_I32] = ty(FL_T_INTEGER, false, 0, 0); /* NOT NULL */
    f[C_I64] = ty(FL_T_BIGINT, true, 0, 0);
    f[C_F32] = ty(FL_T_FLOAT, true, 0, 0);
    f[C_F64] = ty(FL_T_DOUBLE, true, 0, 0);
    f[C_D9] = ty(FL_T_DECIMAL, true, 9, 2);
    f[C_D18] = ty(FL_T_DECIMAL, true, 18, 4);
    f[C_D38] = ty(FL_T_DECIMAL, true, 38, 10);
    f[C_CHAR] = ty(FL_T_CHAR, true, 8, 0);
    f[C_STR] = ty(FL_T_STRING, true, 0, 0);
    f[C_BIN] = ty(FL_T_BINARY, true, 4, 0);
    f[C_BYTES] = ty(FL_T_BYTES, true, 0, 0);
    f[C_DATE] = ty(FL_T_DATE, true, 0, 0);
    f[C_TIME] = ty(FL_T_TIME, true, 3, 0);
    f[C_TS3] = ty(FL_T_TIMESTAMP, true, 3, 0);
    f[C_TS6] = ty(FL_T_TIMESTAMP, true, 6, 0);
    f[C_TS9] = ty(FL_T_TIMESTAMP, true, 9, 0);
    f[C_LTZ3] = ty(FL_T_TIMESTAMP_LTZ, true, 3, 0);
    f[C_LTZ6] = ty(FL_T_TIMESTAMP_LTZ, true, 6, 0);
    f[C_LTZ9] = ty(FL_T_TIMESTAMP_LTZ, false, 9, 0);
    f[C_ALLNULL] = ty(FL_T_INTEGER, true, 0, 0);
    f[C_LOWCARD] = ty(FL_T_STRING, true, 0, 0);
    for (int i = 0; i < C_N; i++) g_flat_ids[i] = i; /* Paimon-style ids from 0 */
    g_flat = ty_row(false, C_N, g_flat_fields, g_flat_names, g_flat_ids);
}

static fl_datum_t big_dec(bool neg, uint32_t len) {
    uint8_t b[16];
    for (uint32_t i = 0; i < len; i++) b[i] = (uint8_t)rnd();
    if (len == 16) b[0] = neg ? (b[0] | 0xc0) : (b[0] & 0x3f); /* |v| < 2^126 < 10^38 */
    else b[0] = neg ? (b[0] | 0x80) : (b[0] & 0x7f);
    fl_datum_t d = d_bytes(b, len);
    fl_datum_t r;
    memset(&r, 0, sizeof(r));
    r.v.dec.big = d.v.bytes.p;
    r.v.dec.big_len = len;
    return r;
}

static const char *const g_words[] = {"", "a", "ab", "zz", "\xc3\xbc", "\xe6\x97\xa5\xe6\x9c\xac",
                                      "hello", "Zebra", "~tilde"};

/* Row i of the flat data set. Rows 0..7 hold edge values; later rows are random. */
static void flat_row(uint64_t i, fl_datum_t *r) {
    memset(r, 0, C_N * sizeof(*r));
    for (int c = 0; c < C_N; c++) r[c].is_null = g_flat_fields[c].nullable && rnd() % 8 == 0;
    r[C_ALLNULL].is_null = true;
    r[C_BOOL].v.b = rnd() & 1;
    r[C_I8].v.i8 = (int8_t)rnd();
    r[C_I16].v.i16 = (int16_t)rnd();
    r[C_I32].v.i32 = (int32_t)rnd();
    r[C_I64].v.i64 = (int64_t)rnd();
    r[C_F32].v.f32 = (float)((double)(int32_t)rnd() / 977.0);
    r[C_F64].v.f64 = (double)(int64_t)rnd() / 1e9;
    if (rnd() % 50 == 0) r[C_F32].v.f32 = NAN;
    if (rnd() % 50 == 0) r[C_F64].v.f64 = NAN;
    r[C_D9].v.dec.unscaled = (int64_t)(rnd() % 1999999999ULL) - 999999999;
    r[C_D18].v.dec.unscaled = (int64_t)(rnd() % 1999999999999999999ULL) - 999999999999999999LL;
    bool dnull = r[C_D38].is_null;
    r[C_D38] = big_dec(rnd() & 1, 1 + (uint32_t)(rnd() % 16));
    r[C_D38].is_null = dnull;
    char tmp[64];
    size_t n = rnd() % 9;
    for (size_t k = 0; k < n; k++) tmp[k] = (char)('a' + rnd() % 26);
    bool cn = r[C_CHAR].is_null;
    r[C_CHAR] = d_bytes(tmp, (uint32_t)n);
    r[C_CHAR].is_null = cn;
    bool sn = r[C_STR].is_null;
    r[C_STR] = d_str(g_words[rnd() % FL_ARRAY_LEN(g_words)]);
    if (rnd() % 2) {
        n = rnd() % 40;
        for (size_t k = 0; k < n; k++) tmp[k] = (char)(' ' + rnd() % 95);
        r[C_STR] = d_bytes(tmp, (uint32_t)n);
    }
    r[C_STR].is_null = sn;
    uint8_t bb[32];
    for (size_t k = 0; k < sizeof(bb); k++) bb[k] = (uint8_t)rnd();
    bool bn = r[C_BIN].is_null, byn = r[C_BYTES].is_null;
    r[C_BIN] = d_bytes(bb, 4);
    r[C_BIN].is_null = bn;
    r[C_BYTES] = d_bytes(bb + 4, (uint32_t)(rnd() % 21));
    r[C_BYTES].is_null = byn;
    r[C_DATE].v.i32 = (int32_t)(rnd() % 200001) - 100000;
    r[C_TIME].v.i32 = (int32_t)(rnd() % 86400000);
    int64_t ms = (int64_t)(rnd() % (1ULL << 42)) - (1LL << 41);
    r[C_TS3].v.ts = (fl_timestamp_t){ms, 0};
    r[C_TS6].v.ts = (fl_timestamp_t){ms + 17, (int32_t)(rnd() % 1000) * 1000};
    r[C_TS9].v.ts = (fl_timestamp_t){ms - 5, (int32_t)(rnd() % 1000000)};
    r[C_LTZ3].v.ts = (fl_timestamp_t){ms / 3, 0};
    r[C_LTZ6].v.ts = (fl_timestamp_t){-ms, (int32_t)(rnd() % 1000) * 1000};
    r[C_LTZ9].v.ts = (fl_timestamp_t){ms * 2 / 3, (int32_t)(rnd() % 1000000)};
    bool ln = r[C_LOWCARD].is_null;
    static const char *const lc[] = {"red", "green", "blue", "", "violet"};
    r[C_LOWCARD] = d_str(lc[rnd() % 5]);
    r[C_LOWCARD].is_null = ln;

    switch (i) {
    case 0: /* minima */
        for (int c = 0; c < C_N; c++) r[c].is_null = false;
        r[C_ALLNULL].is_null = true;
        r[C_BOOL].v.b = false;
        r[C_I8].v.i8 = INT8_MIN;
        r[C_I16].v.i16 = INT16_MIN;
        r[C_I32].v.i32 = INT32_MIN;
        r[C_I64].v.i64 = INT64_MIN;
        r[C_F32].v.f32 = -INFINITY;
        r[C_F64].v.f64 = -1e308;
        r[C_D9].v.dec.unscaled = -999999999;
        r[C_D18].v.dec.unscaled = -999999999999999999LL;
        {
            /* -(10^38 - 1) as 16 big-endian bytes */
            static const uint8_t m[16] = {0xb4, 0xc4, 0xb3, 0x57, 0xa5, 0x79, 0x3b, 0x85,
                                          0xf6, 0x75, 0xdd, 0xc0, 0x00, 0x00, 0x00, 0x01};
            r[C_D38].v.dec.big = m;
            r[C_D38].v.dec.big_len = 16;
        }
        r[C_STR] = d_str("");
        r[C_CHAR] = d_str("");
        r[C_BYTES] = d_bytes("", 0);
        r[C_BIN] = d_bytes("\x00\x00\x00\x00", 4);
        r[C_DATE].v.i32 = -719162; /* 0001-01-01 */
        r[C_TS9].v.ts = (fl_timestamp_t){-9000000000000LL, 1}; /* 1684, inside ns range */
        break;
    case 1: /* maxima */
        for (int c = 0; c < C_N; c++) r[c].is_null = false;
        r[C_ALLNULL].is_null = true;
        r[C_BOOL].v.b = true;
        r[C_I8].v.i8 = INT8_MAX;
        r[C_I16].v.i16 = INT16_MAX;
        r[C_I32].v.i32 = INT32_MAX;
        r[C_I64].v.i64 = INT64_MAX;
        r[C_F32].v.f32 = INFINITY;
        r[C_F64].v.f64 = 1e308;
        r[C_D9].v.dec.unscaled = 999999999;
        r[C_D18].v.dec.unscaled = 999999999999999999LL;
        {
            static const uint8_t m[16] = {0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a,
                                          0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff};
            r[C_D38].v.dec.big = m;
            r[C_D38].v.dec.big_len = 16;
        }
        r[C_STR] = d_str("\xf4\x8f\xbf\xbf"); /* U+10FFFF: the largest UTF-8 */
        r[C_BIN] = d_bytes("\xff\xff\xff\xff", 4);
        r[C_DATE].v.i32 = 2932896; /* 9999-12-31 */
        r[C_TIME].v.i32 = 86399999;
        r[C_TS9].v.ts = (fl_timestamp_t){9000000000000LL, 999999};
        r[C_TS6].v.ts = (fl_timestamp_t){253402300799999LL, 999000}; /* 9999-12-31 */
        break;
    case 2: /* zeros, negative zero, empty */
        r[C_F32].is_null = r[C_F64].is_null = false;
        r[C_F32].v.f32 = -0.0f;
        r[C_F64].v.f64 = 0.0;
        r[C_I64].is_null = false;
        r[C_I64].v.i64 = -1;
        r[C_BIN] = d_bytes("\x7f\xff\x00\x80", 4);
        break;
    case 3:
        r[C_F32].is_null = r[C_F64].is_null = false;
        r[C_F32].v.f32 = NAN;
        r[C_F64].v.f64 = NAN;
        break;
    case 4: /* pre-epoch timestamps with sub-milli digits */
        r[C_TS6].is_null = r[C_TS9].is_null = false;
        r[C_TS6].v.ts = (fl_timestamp_t){-1, 999000};
        r[C_TS9].v.ts = (fl_timestamp_t){-86400001, 123456};
        r[C_D38] = d_null();
        r[C_D38].is_null = false;
        r[C_D38].v.dec.big = (const uint8_t *)"\xff"; /* -1 in one byte */
        r[C_D38].v.dec.big_len = 1;
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- file reading (our side) */

typedef struct rd_file_s {
    fl_tc_val_t meta;        /* FileMetaData */
    uint64_t data_pages, dict_pages;
    uint64_t values;         /* sum of data-page num_values over all chunks */
    uint64_t plain_pages, dict_enc_pages;
} rd_file_t;

static void decompress(int codec, const uint8_t *p, size_t n, size_t un, uint8_t *out) {
    if (codec == 0) {
        assert_int_equal(n, un);
        memcpy(out, p, n);
    } else if (codec == 1) {
        size_t l = 0;
        assert_int_equal(snappy_uncompressed_length((const char *)p, n, &l), SNAPPY_OK);
        assert_int_equal(l, un);
        assert_int_equal(snappy_uncompress((const char *)p, n, (char *)out, &l), SNAPPY_OK);
    } else {
        assert_int_equal(codec, 6);
        size_t r = ZSTD_decompress(out, un ? un : 1, p, n);
        assert_false(ZSTD_isError(r));
        assert_int_equal(r, un);
    }
}

/* Decode the footer and walk every page of every chunk. */
static void read_file(const uint8_t *p, size_t n, rd_file_t *f) {
    memset(f, 0, sizeof(*f));
    assert_true(n >= 12);
    assert_memory_equal(p, "PAR1", 4);
    assert_memory_equal(p + n - 4, "PAR1", 4);
    uint32_t flen = (uint32_t)p[n - 8] | (uint32_t)p[n - 7] << 8 | (uint32_t)p[n - 6] << 16 |
                    (uint32_t)p[n - 5] << 24;
    assert_true(flen <= n - 12);
    fl_reader_t rd;
    fl_rd_init(&rd, p + n - 8 - flen, flen);
    assert_int_equal(fl_tc_decode_struct(&rd, &f->meta, 1u << 20), FL_ERR_NONE);
    assert_int_equal(fl_rd_end(&rd), FL_ERR_NONE);
    const fl_tc_val_t *rgs = fl_tc_get(&f->meta, 4);
    assert_non_null(rgs);
    uint64_t rows = 0;
    for (uint32_t g = 0; g < rgs->v.c.n; g++) {
        const fl_tc_val_t *rg = &rgs->v.c.items[g];
        rows += (uint64_t)fl_tc_get_i(rg, 3, -1);
        const fl_tc_val_t *cols = fl_tc_get(rg, 1);
        for (uint32_t c = 0; c < cols->v.c.n; c++) {
            const fl_tc_val_t *md = fl_tc_get(&cols->v.c.items[c], 3);
            int codec = (int)fl_tc_get_i(md, 4, -1);
            int64_t start = fl_tc_get_i(md, 11, fl_tc_get_i(md, 9, -1));
            int64_t total = fl_tc_get_i(md, 7, -1);
            int64_t total_unc = fl_tc_get_i(md, 6, -1);
            assert_true(start >= 4 && total > 0 && (uint64_t)(start + total) <= n - 8 - flen);
            fl_reader_t pr;
            fl_rd_init(&pr, p + start, (size_t)total);
            uint64_t chunk_values = 0, unc_sum = 0;
            while (fl_rd_remaining(&pr)) {
                size_t h0 = pr.off;
                fl_tc_val_t ph;
                assert_int_equal(fl_tc_decode_struct(&pr, &ph, 64), FL_ERR_NONE);
                size_t hlen = pr.off - h0;
                int type = (int)fl_tc_get_i(&ph, 1, -1);
                int64_t un = fl_tc_get_i(&ph, 2, -1), cn = fl_tc_get_i(&ph, 3, -1);
                unc_sum += hlen + (uint64_t)un;
                fl_view_t body = fl_rd_bytes(&pr, (size_t)cn);
                assert_int_equal(pr.err, FL_ERR_NONE);
                uint8_t *raw = fl_malloc((size_t)un + 1);
                decompress(codec, body.p, body.len, (size_t)un, raw);
                if (type == 2) {
                    assert_int_equal(pr.off - hlen - (size_t)cn, 0); /* dictionary first */
                    f->dict_pages++;
                } else {
                    assert_int_equal(type, 0);
                    const fl_tc_val_t *dh = fl_tc_get(&ph, 5);
                    chunk_values += (uint64_t)fl_tc_get_i(dh, 1, 0);
                    f->data_pages++;
                    if (fl_tc_get_i(dh, 2, -1) == 8) f->dict_enc_pages++;
                    else f->plain_pages++;
                }
                fl_free(raw);
                fl_tc_val_free(&ph);
            }
            assert_int_equal(chunk_values, (uint64_t)fl_tc_get_i(md, 5, -1));
            assert_int_equal(unc_sum, (uint64_t)total_unc);
            f->values += chunk_values;
        }
    }
    assert_int_equal(rows, (uint64_t)fl_tc_get_i(&f->meta, 3, -1));
}

/* Statistics struct of column c in row group g. */
static const fl_tc_val_t *chunk_stats(const rd_file_t *f, uint32_t g, uint32_t c) {
    const fl_tc_val_t *rg = &fl_tc_get(&f->meta, 4)->v.c.items[g];
    const fl_tc_val_t *md = fl_tc_get(&fl_tc_get(rg, 1)->v.c.items[c], 3);
    return fl_tc_get(md, 12);
}

static int64_t le_int(fl_view_t v) {
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++) x |= (uint64_t)v.p[i] << (8 * i);
    if (v.len == 4) return (int32_t)x;
    return (int64_t)x;
}

/* ---------------------------------------------------------------- writing helpers */

typedef struct sink_s {
    fl_buf_t buf;
    size_t fail_after; /* fail once this many bytes were accepted (0 = never) */
} sink_t;

static fl_err_t failing_sink(void *ctx, const void *p, size_t n) {
    sink_t *s = ctx;
    if (s->fail_after && s->buf.len + n > s->fail_after) return FL_ERR__IO;
    fl_buf_put(&s->buf, p, n);
    return FL_ERR_NONE;
}

static void write_flat(const fl_pq_opts_t *o, uint64_t rows, fl_buf_t *out,
                       const fl_pq_file_stats_t **st, fl_pq_writer_t **wout) {
    fl_pq_writer_t *w;
    assert_int_equal(fl_pq_writer_new_buf(&g_flat, o, out, &w), FL_ERR_NONE);
    g_rng = 12345;
    fl_datum_t r[C_N];
    for (uint64_t i = 0; i < rows; i++) {
        pool_reset();
        flat_row(i, r);
        assert_int_equal(fl_pq_write_row(w, r), FL_ERR_NONE);
    }
    assert_int_equal(fl_pq_finish(w, st), FL_ERR_NONE);
    *wout = w;
}

/* ---------------------------------------------------------------- unit tests */

/* A decoder for the hybrid encoding, to check the encoder. */
static void rle_decode(const uint8_t *p, size_t len, unsigned bw, uint32_t *out, size_t n) {
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    size_t k = 0;
    while (k < n) {
        uint64_t h = fl_rd_uvarint(&rd);
        assert_int_equal(rd.err, FL_ERR_NONE);
        if (h & 1) {
            size_t cnt = (size_t)(h >> 1) * 8;
            uint64_t acc = 0;
            unsigned nbits = 0;
            for (size_t i = 0; i < cnt; i++) {
                while (nbits < bw) {
                    acc |= (uint64_t)fl_rd_u8(&rd) << nbits;
                    nbits += 8;
                }
                uint32_t v = (uint32_t)(acc & ((1ULL << bw) - 1));
                acc >>= bw;
                nbits -= bw;
                if (k < n) out[k++] = v;
                else assert_int_equal(v, 0); /* padding */
            }
        } else {
            size_t cnt = (size_t)(h >> 1);
            uint32_t v = 0;
            for (unsigned b = 0; b < (bw + 7) / 8; b++) v |= (uint32_t)fl_rd_u8(&rd) << (8 * b);
            assert_true(cnt > 0 && k + cnt <= n);
            for (size_t i = 0; i < cnt; i++) out[k++] = v;
        }
    }
    assert_int_equal(rd.err, FL_ERR_NONE);
    assert_int_equal(fl_rd_remaining(&rd), 0);
}

static void test_rle_hybrid(void **state) {
    (void)state;
    static uint32_t v[5000], back[5000];
    for (unsigned bw = 1; bw <= 20; bw++) {
        for (int pattern = 0; pattern < 6; pattern++) {
            size_t n = 1 + rnd() % 4999;
            uint32_t mask = (uint32_t)((1ULL << bw) - 1);
            for (size_t i = 0; i < n; i++) {
                switch (pattern) {
                case 0: v[i] = (uint32_t)rnd() & mask; break;            /* literal */
                case 1: v[i] = (uint32_t)(i / 37) & mask; break;         /* runs */
                case 2: v[i] = (i % 100 < 9) ? 1 : 0; break;             /* mix */
                case 3: v[i] = mask; break;                              /* one run */
                case 4: v[i] = (uint32_t)(rnd() % 3 == 0 ? rnd() : 0) & mask; break;
                default: v[i] = (uint32_t)((i / (1 + rnd() % 12)) & mask); break;
                }
            }
            fl_buf_t b;
            fl_buf_init(&b);
            fl_pq_rle_encode(&b, v, n, bw);
            rle_decode(b.p, b.len, bw, back, n);
            assert_memory_equal(v, back, n * sizeof(uint32_t));
            fl_buf_free(&b);
        }
    }
    /* a long run is one RLE run: header + value bytes */
    for (size_t i = 0; i < 1000; i++) v[i] = 3;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_pq_rle_encode(&b, v, 1000, 2);
    assert_int_equal(b.len, 3); /* varint(2000) is 2 bytes, value 1 byte */
    fl_buf_free(&b);
}

static void test_flat_all_codecs(void **state) {
    (void)state;
    static const fl_pq_codec_t codecs[] = {FL_PQ_UNCOMPRESSED, FL_PQ_SNAPPY, FL_PQ_ZSTD};
    for (int flavor = 0; flavor < 2; flavor++) {
        for (size_t k = 0; k < FL_ARRAY_LEN(codecs); k++) {
            for (int dict = 0; dict < 2; dict++) {
                fl_pq_opts_t o;
                fl_pq_opts_default(&o);
                o.flavor = (fl_pq_flavor_t)flavor;
                o.codec = codecs[k];
                o.dictionary = dict;
                o.page_bytes = 1024;
                o.row_group_bytes = 200000;
                fl_buf_t out;
                fl_buf_init(&out);
                const fl_pq_file_stats_t *st;
                fl_pq_writer_t *w;
                write_flat(&o, 3000, &out, &st, &w);
                assert_int_equal(st->num_rows, 3000);
                assert_int_equal(st->file_size, out.len);
                assert_true(st->n_row_groups > 1);
                rd_file_t f;
                read_file(out.p, out.len, &f);
                assert_int_equal(f.values, 3000ULL * C_N);
                /* every chunk has pages; the 8-byte columns need several 1 KiB pages */
                assert_true(f.data_pages >= st->n_row_groups * C_N);
                if (!dict) assert_true(f.data_pages > st->n_row_groups * (C_N + 4));
                if (dict) {
                    assert_true(f.dict_pages > 0 && f.dict_enc_pages > 0);
                } else {
                    assert_int_equal(f.dict_pages, 0);
                    assert_int_equal(f.dict_enc_pages, 0);
                }
                assert_int_equal(fl_tc_get(&f.meta, 4)->v.c.n, st->n_row_groups);
                fl_tc_val_free(&f.meta);
                fl_pq_writer_free(w);
                fl_buf_free(&out);
            }
        }
    }
}

static void test_returned_stats(void **state) {
    (void)state;
    fl_pq_opts_t o;
    fl_pq_opts_default(&o);
    o.row_group_bytes = 30000;
    fl_buf_t out;
    fl_buf_init(&out);
    const fl_pq_file_stats_t *st;
    fl_pq_writer_t *w;
    write_flat(&o, 2000, &out, &st, &w);
    assert_int_equal(st->n_cols, C_N);
    const fl_pq_col_stats_t *s = st->cols;
    assert_string_equal(s[C_I64].path, "i64");
    assert_int_equal(s[C_I64].field_id, C_I64);
    assert_true(s[C_I8].min.v.i8 == INT8_MIN && s[C_I8].max.v.i8 == INT8_MAX);
    assert_true(s[C_I64].min.v.i64 == INT64_MIN && s[C_I64].max.v.i64 == INT64_MAX);
    assert_true(s[C_F32].min.v.f32 == -INFINITY && s[C_F32].max.v.f32 == INFINITY);
    assert_true(s[C_F32].nan_count >= 1 && s[C_F64].nan_count >= 1);
    assert_int_equal(s[C_I32].null_count, 0);
    assert_int_equal(s[C_ALLNULL].null_count, 2000);
    assert_int_equal(s[C_ALLNULL].num_values, 2000);
    assert_false(s[C_ALLNULL].has_min_max);
    assert_int_equal(s[C_STR].min.v.bytes.len, 0);
    assert_int_equal(s[C_STR].max.v.bytes.len, 4);
    assert_memory_equal(s[C_STR].max.v.bytes.p, "\xf4\x8f\xbf\xbf", 4);
    assert_memory_equal(s[C_BIN].min.v.bytes.p, "\x00\x00\x00\x00", 4);
    assert_memory_equal(s[C_BIN].max.v.bytes.p, "\xff\xff\xff\xff", 4);
    assert_int_equal(s[C_D38].min.v.dec.big_len, 16);
    assert_int_equal(s[C_D38].min.v.dec.big[0], 0xb4);
    assert_int_equal(s[C_D38].max.v.dec.big[0], 0x4b);
    assert_true(s[C_TS9].min.v.ts.millis == -9000000000000LL && s[C_TS9].min.v.ts.nanos == 1);
    assert_true(s[C_TS9].max.v.ts.nanos == 999999);
    assert_true(s[C_D9].min.v.dec.unscaled == -999999999);
    assert_false(s[C_BOOL].min.v.b);
    assert_true(s[C_BOOL].max.v.b);
    uint64_t total = 0;
    for (uint32_t c = 0; c < C_N; c++) total += s[c].compressed_bytes;
    assert_true(total < st->file_size);
    assert_int_equal(st->row_group_offsets[0], 4);

    /* footer statistics bytes, checked against the values (row group 0 holds rows 0..) */
    rd_file_t f;
    read_file(out.p, out.len, &f);
    const fl_tc_val_t *x = chunk_stats(&f, 0, C_I32);
    assert_int_equal(le_int(fl_tc_get(x, 6)->v.bin), INT32_MIN);
    assert_int_equal(le_int(fl_tc_get(x, 5)->v.bin), INT32_MAX);
    assert_int_equal(fl_tc_get_i(x, 3, -1), 0);
    x = chunk_stats(&f, 0, C_I8); /* INT32 physical, sign-extended */
    assert_int_equal(le_int(fl_tc_get(x, 6)->v.bin), -128);
    x = chunk_stats(&f, 0, C_ALLNULL);
    assert_null(fl_tc_get(x, 5));
    assert_null(fl_tc_get(x, 6));
    assert_true(fl_tc_get_i(x, 3, -1) > 0);
    x = chunk_stats(&f, 0, C_TS9); /* INT96: no min/max */
    assert_null(fl_tc_get(x, 6));
    x = chunk_stats(&f, 0, C_STR);
    assert_int_equal(fl_tc_get(x, 6)->v.bin.len, 0);
    x = chunk_stats(&f, 0, C_D38);
    assert_int_equal(fl_tc_get(x, 6)->v.bin.len, 16);
    assert_int_equal(fl_tc_get(x, 6)->v.bin.p[0], 0xb4);
    fl_tc_val_free(&f.meta);
    fl_pq_writer_free(w);
    fl_buf_free(&out);
}

/* Float edge cases: only NaN, only zeros, -0.0 and +0.0 mixed. */
static void test_float_edges(void **state) {
    (void)state;
    fl_type_t fields[2] = {ty(FL_T_DOUBLE, true, 0, 0), ty(FL_T_FLOAT, true, 0, 0)};
    char *names[2] = {"d", "f"};
    fl_type_t row = ty_row(false, 2, fields, names, NULL);
    for (int scenario = 0; scenario < 3; scenario++) {
        fl_buf_t out;
        fl_buf_init(&out);
        fl_pq_writer_t *w;
        assert_int_equal(fl_pq_writer_new_buf(&row, NULL, &out, &w), FL_ERR_NONE);
        for (int i = 0; i < 10; i++) {
            fl_datum_t r[2];
            memset(r, 0, sizeof(r));
            double v = scenario == 0 ? NAN : (i % 2 ? -0.0 : 0.0);
            if (scenario == 2 && i == 5) v = NAN;
            r[0].v.f64 = v;
            r[1].v.f32 = (float)v;
            assert_int_equal(fl_pq_write_row(w, r), FL_ERR_NONE);
        }
        const fl_pq_file_stats_t *st;
        assert_int_equal(fl_pq_finish(w, &st), FL_ERR_NONE);
        if (scenario == 0) {
            assert_false(st->cols[0].has_min_max);
            assert_int_equal(st->cols[0].nan_count, 10);
        } else {
            assert_true(st->cols[0].has_min_max);
            assert_true(signbit(st->cols[0].min.v.f64) && st->cols[0].min.v.f64 == 0);
            assert_true(!signbit(st->cols[0].max.v.f64) && st->cols[0].max.v.f64 == 0);
            assert_true(signbit(st->cols[1].min.v.f32));
        }
        rd_file_t f;
        read_file(out.p, out.len, &f);
        const fl_tc_val_t *x = chunk_stats(&f, 0, 0);
        if (scenario == 0) {
            assert_null(fl_tc_get(x, 6));
        } else {
            double mn, mx;
            memcpy(&mn, fl_tc_get(x, 6)->v.bin.p, 8);
            memcpy(&mx, fl_tc_get(x, 5)->v.bin.p, 8);
            assert_true(signbit(mn) && !signbit(mx) && mn == 0 && mx == 0);
        }
        fl_tc_val_free(&f.meta);
        fl_pq_writer_free(w);
        fl_buf_free(&out);
    }
}

static void test_invalid_rows_and_types(void **state) {
    (void)state;
    flat_schema();
    fl_buf_t out;
    fl_buf_init(&out);
    fl_pq_writer_t *w;
    assert_int_equal(fl_pq_writer_new_buf(&g_flat, NULL, &out, &w), FL_ERR_NONE);
    fl_datum_t r[C_N];
    g_rng = 7;
    pool_reset();
    flat_row(10, r);
    fl_datum_t keep = r[C_I32];
    r[C_I32].is_null = true; /* NOT NULL column */
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    r[C_I32] = keep;
    r[C_D9].is_null = false;
    r[C_D9].v.dec.unscaled = 1000000000; /* 10 digits in DECIMAL(9,2) */
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    r[C_D9].v.dec.unscaled = 5;
    uint8_t big17[17] = {0x01};
    r[C_D38].is_null = false;
    r[C_D38].v.dec.big = big17; /* 17 significant bytes */
    r[C_D38].v.dec.big_len = 17;
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    uint8_t padded[18] = {0}; /* redundant sign bytes are fine */
    padded[17] = 0x12;
    r[C_D38].v.dec.big = padded;
    r[C_D38].v.dec.big_len = 18;
    r[C_TS9].is_null = false;
    r[C_TS9].v.ts.nanos = 1000000; /* out of range */
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    r[C_TS9].v.ts.nanos = 0;
    r[C_TS6].is_null = false;
    r[C_TS6].v.ts.millis = INT64_MAX / 10; /* micros overflow */
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    r[C_TS6].v.ts.millis = 0;
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR_NONE);
    assert_int_equal(fl_pq_num_rows(w), 1);
    const fl_pq_file_stats_t *st;
    assert_int_equal(fl_pq_finish(w, &st), FL_ERR_NONE);
    assert_int_equal(st->num_rows, 1);
    assert_int_equal(st->cols[C_D38].min.v.dec.big_len, 18);
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL); /* after finish */
    assert_int_equal(fl_pq_finish(w, NULL), FL_ERR__INVAL);
    rd_file_t f;
    read_file(out.p, out.len, &f);
    assert_int_equal(f.values, C_N);
    {
        const fl_tc_val_t *x = chunk_stats(&f, 0, C_D38);
        fl_view_t mn = fl_tc_get(x, 6)->v.bin;
        assert_int_equal(mn.len, 16);
        assert_int_equal(mn.p[15], 0x12);
        assert_int_equal(mn.p[0], 0);
    }
    fl_tc_val_free(&f.meta);
    fl_pq_writer_free(w);
    fl_buf_free(&out);

    /* bad type trees */
    fl_type_t bad_dec[1] = {ty(FL_T_DECIMAL, true, 39, 0)};
    char *nm[1] = {"x"};
    fl_type_t row = ty_row(false, 1, bad_dec, nm, NULL);
    fl_buf_init(&out);
    assert_int_equal(fl_pq_writer_new_buf(&row, NULL, &out, &w), FL_ERR__INVAL);
    bad_dec[0].precision = 0;
    assert_int_equal(fl_pq_writer_new_buf(&row, NULL, &out, &w), FL_ERR__INVAL);
    fl_type_t scalar = ty(FL_T_INTEGER, false, 0, 0);
    assert_int_equal(fl_pq_writer_new_buf(&scalar, NULL, &out, &w), FL_ERR__INVAL);
    fl_type_t empty_row = ty_row(false, 0, NULL, NULL, NULL);
    assert_int_equal(fl_pq_writer_new_buf(&empty_row, NULL, &out, &w), FL_ERR__INVAL);
    /* nesting deeper than the limit */
    fl_type_t chain[40];
    chain[39] = ty(FL_T_INTEGER, true, 0, 0);
    for (int i = 38; i >= 0; i--) chain[i] = ty_array(true, &chain[i + 1]);
    row = ty_row(false, 1, chain, nm, NULL);
    assert_int_equal(fl_pq_writer_new_buf(&row, NULL, &out, &w), FL_ERR__INVAL);
    fl_pq_opts_t o;
    fl_pq_opts_default(&o);
    o.codec = (fl_pq_codec_t)2; /* GZIP: not offered */
    row = ty_row(false, 1, &chain[39], nm, NULL);
    assert_int_equal(fl_pq_writer_new_buf(&row, &o, &out, &w), FL_ERR__INVAL);
    fl_buf_free(&out);
}

static void test_zero_rows_and_sink_errors(void **state) {
    (void)state;
    fl_buf_t out;
    fl_buf_init(&out);
    fl_pq_writer_t *w;
    fl_pq_kv_t kv[2] = {{"iceberg.schema", "{}"}, {"novalue", NULL}};
    fl_pq_opts_t o;
    fl_pq_opts_default(&o);
    o.kv = kv;
    o.n_kv = 2;
    assert_int_equal(fl_pq_writer_new_buf(&g_flat, &o, &out, &w), FL_ERR_NONE);
    const fl_pq_file_stats_t *st;
    assert_int_equal(fl_pq_finish(w, &st), FL_ERR_NONE);
    assert_int_equal(st->num_rows, 0);
    assert_int_equal(st->n_row_groups, 0);
    assert_int_equal(st->file_size, out.len);
    assert_false(st->cols[0].has_min_max);
    rd_file_t f;
    read_file(out.p, out.len, &f);
    assert_int_equal(fl_tc_get_i(&f.meta, 3, -1), 0);
    const fl_tc_val_t *kvl = fl_tc_get(&f.meta, 5);
    assert_int_equal(kvl->v.c.n, 2);
    assert_memory_equal(fl_tc_get(&kvl->v.c.items[0], 1)->v.bin.p, "iceberg.schema", 14);
    assert_null(fl_tc_get(&kvl->v.c.items[1], 2));
    assert_int_equal(fl_tc_get(&f.meta, 2)->v.c.n, C_N + 1);
    assert_int_equal(fl_tc_get(&f.meta, 7)->v.c.n, C_N);
    fl_tc_val_free(&f.meta);
    fl_pq_writer_free(w);
    fl_buf_free(&out);

    /* a sink that fails part-way: the error is sticky */
    for (size_t fail_at = 1; fail_at < 20000; fail_at = fail_at * 3 + 1) {
        sink_t s = {{0}, fail_at};
        fl_buf_init(&s.buf);
        fl_pq_opts_default(&o);
        o.row_group_bytes = 20000;
        assert_int_equal(fl_pq_writer_new(&g_flat, &o, failing_sink, &s, &w), FL_ERR_NONE);
        fl_datum_t r[C_N];
        g_rng = 99;
        fl_err_t err = FL_ERR_NONE;
        for (int i = 0; i < 1000 && !err; i++) {
            pool_reset();
            flat_row((uint64_t)i, r);
            err = fl_pq_write_row(w, r);
        }
        if (!err) err = fl_pq_finish(w, NULL);
        assert_int_equal(err, FL_ERR__IO);
        assert_int_equal(fl_pq_write_row(w, r), FL_ERR__IO);
        assert_int_equal(fl_pq_finish(w, NULL), FL_ERR__IO);
        assert_true(s.buf.len <= fail_at);
        fl_pq_writer_free(w);
        fl_buf_free(&s.buf);
    }
}

/* Many rows of one required and one optional column: page row limit, page size limit, level
 * runs across page boundaries, automatic row groups. */
static void test_page_boundaries(void **state) {
    (void)state;
    fl_type_t fields[2] = {ty(FL_T_BIGINT, false, 0, 0), ty(FL_T_INTEGER, true, 0, 0)};
    char *names[2] = {"k", "v"};
    fl_type_t row = ty_row(false, 2, fields, names, NULL);
    fl_pq_opts_t o;
    fl_pq_opts_default(&o);
    o.codec = FL_PQ_SNAPPY;
    o.page_rows = 1000;
    o.row_group_bytes = 1 << 20;
    fl_buf_t out;
    fl_buf_init(&out);
    fl_pq_writer_t *w;
    assert_int_equal(fl_pq_writer_new_buf(&row, &o, &out, &w), FL_ERR_NONE);
    const uint64_t n = 300001;
    for (uint64_t i = 0; i < n; i++) {
        fl_datum_t r[2] = {d_i64((int64_t)i * 7919 - 1000000), d_i32((int32_t)(i % 5))};
        r[1].is_null = (i / 1000) % 3 == 1; /* null runs that straddle pages */
        assert_int_equal(fl_pq_write_row(w, r), FL_ERR_NONE);
    }
    const fl_pq_file_stats_t *st;
    assert_int_equal(fl_pq_finish(w, &st), FL_ERR_NONE);
    assert_int_equal(st->num_rows, n);
    assert_true(st->n_row_groups >= 2);
    assert_int_equal(st->cols[0].min.v.i64, -1000000);
    assert_int_equal(st->cols[0].max.v.i64, (int64_t)(n - 1) * 7919 - 1000000);
    assert_int_equal(st->cols[1].null_count, 100000);
    rd_file_t f;
    read_file(out.p, out.len, &f);
    assert_int_equal(f.values, 2 * n);
    assert_true(f.data_pages >= 2 * (n / 1000));
    fl_tc_val_free(&f.meta);
    fl_pq_writer_free(w);
    fl_buf_free(&out);
}

/* Dictionary fallback: a high-cardinality column overflows a small dictionary. */
static void test_dict_fallback(void **state) {
    (void)state;
    fl_type_t fields[2] = {ty(FL_T_STRING, false, 0, 0), ty(FL_T_STRING, false, 0, 0)};
    char *names[2] = {"uniq", "few"};
    fl_type_t row = ty_row(false, 2, fields, names, NULL);
    fl_pq_opts_t o;
    fl_pq_opts_default(&o);
    o.dict_max_bytes = 4096;
    o.page_bytes = 1024;
    fl_buf_t out;
    fl_buf_init(&out);
    fl_pq_writer_t *w;
    assert_int_equal(fl_pq_writer_new_buf(&row, &o, &out, &w), FL_ERR_NONE);
    char tmp[32];
    for (int i = 0; i < 5000; i++) {
        pool_reset();
        snprintf(tmp, sizeof(tmp), "value-%08d", i * 7 % 5000);
        fl_datum_t r[2] = {d_str(tmp), d_str(i % 3 ? "x" : "y")};
        assert_int_equal(fl_pq_write_row(w, r), FL_ERR_NONE);
    }
    const fl_pq_file_stats_t *st;
    assert_int_equal(fl_pq_finish(w, &st), FL_ERR_NONE);
    assert_memory_equal(st->cols[0].min.v.bytes.p, "value-00000000", 14);
    assert_memory_equal(st->cols[0].max.v.bytes.p, "value-00004999", 14);
    rd_file_t f;
    read_file(out.p, out.len, &f);
    assert_true(f.plain_pages > 0);     /* fallback happened */
    assert_true(f.dict_enc_pages >= 2); /* the "few" column and the first uniq pages */
    fl_tc_val_free(&f.meta);
    fl_pq_writer_free(w);
    fl_buf_free(&out);
}

/* ---------------------------------------------------------------- nested schema */

/* a ARRAY<INT>, m MAP<STRING, BIGINT>, r ROW<x INT, y STRING NOT NULL>,
 * al ARRAY<ROW<p INT, q ARRAY<STRING>>> NOT NULL, mm MAP<INT NOT NULL, ARRAY<INT>>,
 * aa ARRAY<ARRAY<DOUBLE>>, id INT NOT NULL */
enum { N_A, N_M, N_R, N_AL, N_MM, N_AA, N_ID, N_N };
static fl_type_t g_n_int, g_n_str, g_n_big, g_n_dbl, g_n_intnn, g_n_strnn;
static fl_type_t g_n_a, g_n_mkv[2], g_n_m, g_n_rf[2], g_n_r, g_n_qa, g_n_alf[2], g_n_alr, g_n_al;
static fl_type_t g_n_mmkv[2], g_n_mm, g_n_aai, g_n_aa, g_n_fields[N_N], g_nested;
static char *g_n_names[N_N] = {"a", "m", "r", "al", "mm", "aa", "id"};
static char *g_n_rnames[2] = {"x", "y"};
static char *g_n_alnames[2] = {"p", "q"};

static void nested_schema(void) {
    g_n_int = ty(FL_T_INTEGER, true, 0, 0);
    g_n_intnn = ty(FL_T_INTEGER, false, 0, 0);
    g_n_str = ty(FL_T_STRING, true, 0, 0);
    g_n_strnn = ty(FL_T_STRING, false, 0, 0);
    g_n_big = ty(FL_T_BIGINT, true, 0, 0);
    g_n_dbl = ty(FL_T_DOUBLE, true, 0, 0);
    g_n_a = ty_array(true, &g_n_int);
    g_n_mkv[0] = g_n_strnn;
    g_n_mkv[1] = g_n_big;
    g_n_m = ty_map(true, g_n_mkv);
    g_n_rf[0] = g_n_int;
    g_n_rf[1] = g_n_strnn;
    g_n_r = ty_row(true, 2, g_n_rf, g_n_rnames, NULL);
    g_n_qa = ty_array(true, &g_n_str);
    g_n_alf[0] = g_n_int;
    g_n_alf[1] = g_n_qa;
    g_n_alr = ty_row(true, 2, g_n_alf, g_n_alnames, NULL);
    g_n_al = ty_array(false, &g_n_alr);
    g_n_mmkv[0] = g_n_intnn;
    g_n_mmkv[1] = ty_array(true, &g_n_int);
    g_n_mm = ty_map(true, g_n_mmkv);
    g_n_aai = ty_array(true, &g_n_dbl);
    g_n_aa = ty_array(true, &g_n_aai);
    g_n_fields[N_A] = g_n_a;
    g_n_fields[N_M] = g_n_m;
    g_n_fields[N_R] = g_n_r;
    g_n_fields[N_AL] = g_n_al;
    g_n_fields[N_MM] = g_n_mm;
    g_n_fields[N_AA] = g_n_aa;
    g_n_fields[N_ID] = g_n_intnn;
    g_nested = ty_row(false, N_N, g_n_fields, g_n_names, NULL);
}

static fl_datum_t maybe_null(fl_datum_t d, int pct) {
    if ((int)(rnd() % 100) < pct) d.is_null = true;
    return d;
}

static fl_datum_t gen_int_list(uint32_t max) {
    uint32_t n = (uint32_t)(rnd() % (max + 1));
    fl_datum_t *it = pool_datums(n ? n : 1);
    for (uint32_t i = 0; i < n; i++) it[i] = maybe_null(d_i32((int32_t)(rnd() % 2000) - 1000), 15);
    return d_list(it, NULL, n);
}

static void nested_row(uint64_t i, fl_datum_t *r) {
    char tmp[24];
    r[N_A] = maybe_null(gen_int_list(5), 10);
    {
        uint32_t n = (uint32_t)(rnd() % 4);
        fl_datum_t *k = pool_datums(4), *v = pool_datums(4);
        for (uint32_t j = 0; j < n; j++) {
            snprintf(tmp, sizeof(tmp), "k%u", (unsigned)(rnd() % 50));
            k[j] = d_str(tmp);
            v[j] = maybe_null(d_i64((int64_t)rnd()), 20);
        }
        r[N_M] = maybe_null(d_list(k, v, n), 10);
    }
    {
        fl_datum_t *f = pool_datums(2);
        f[0] = maybe_null(d_i32((int32_t)i), 20);
        snprintf(tmp, sizeof(tmp), "y%u", (unsigned)(i % 97));
        f[1] = d_str(tmp);
        r[N_R] = maybe_null(d_list(f, NULL, 2), 15);
    }
    {
        uint32_t n = (uint32_t)(rnd() % 3);
        fl_datum_t *e = pool_datums(3);
        for (uint32_t j = 0; j < n; j++) {
            fl_datum_t *f = pool_datums(2);
            f[0] = maybe_null(d_i32((int32_t)(rnd() % 100)), 20);
            uint32_t qn = (uint32_t)(rnd() % 3);
            fl_datum_t *q = pool_datums(3);
            for (uint32_t z = 0; z < qn; z++) q[z] = maybe_null(d_str(g_words[rnd() % 9]), 20);
            f[1] = maybe_null(d_list(q, NULL, qn), 20);
            e[j] = maybe_null(d_list(f, NULL, 2), 15);
        }
        r[N_AL] = d_list(e, NULL, n);
    }
    {
        uint32_t n = (uint32_t)(rnd() % 3);
        fl_datum_t *k = pool_datums(3), *v = pool_datums(3);
        for (uint32_t j = 0; j < n; j++) {
            k[j] = d_i32((int32_t)j * 10 - (int32_t)(rnd() % 5));
            v[j] = maybe_null(gen_int_list(3), 25);
        }
        r[N_MM] = maybe_null(d_list(k, v, n), 10);
    }
    {
        uint32_t n = (uint32_t)(rnd() % 3);
        fl_datum_t *e = pool_datums(3);
        for (uint32_t j = 0; j < n; j++) {
            uint32_t m = (uint32_t)(rnd() % 3);
            fl_datum_t *x = pool_datums(3);
            for (uint32_t z = 0; z < m; z++) x[z] = maybe_null(d_f64((double)(int)(rnd() % 1000) / 8.0 - 60), 10);
            e[j] = maybe_null(d_list(x, NULL, m), 20);
        }
        r[N_AA] = maybe_null(d_list(e, NULL, n), 10);
    }
    r[N_ID] = d_i32((int32_t)i);
}

static void test_nested(void **state) {
    (void)state;
    nested_schema();
    fl_pq_opts_t o;
    fl_pq_opts_default(&o);
    o.flavor = FL_PQ_ICEBERG;
    o.ids = FL_PQ_IDS_ICEBERG_FRESH;
    o.page_rows = 300;
    o.row_group_bytes = 30000;
    fl_buf_t out;
    fl_buf_init(&out);
    fl_pq_writer_t *w;
    assert_int_equal(fl_pq_writer_new_buf(&g_nested, &o, &out, &w), FL_ERR_NONE);
    g_rng = 4242;
    fl_datum_t r[N_N];
    for (uint64_t i = 0; i < 3000; i++) {
        pool_reset();
        nested_row(i, r);
        assert_int_equal(fl_pq_write_row(w, r), FL_ERR_NONE);
    }
    /* invalid nested rows are refused whole */
    pool_reset();
    nested_row(0, r);
    r[N_AL].is_null = true; /* NOT NULL array */
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    nested_row(0, r);
    fl_datum_t badrow = d_list(pool_datums(1), NULL, 1); /* ROW with 1 of 2 fields */
    r[N_R] = badrow;
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    nested_row(0, r);
    fl_datum_t k[1] = {d_null()}, v[1] = {d_null()};
    r[N_MM] = d_list(k, v, 1); /* null map key */
    assert_int_equal(fl_pq_write_row(w, r), FL_ERR__INVAL);
    const fl_pq_file_stats_t *st;
    assert_int_equal(fl_pq_finish(w, &st), FL_ERR_NONE);
    assert_int_equal(st->num_rows, 3000);
    /* leaves: a.element, m.key, m.value, r.x, r.y, al.p, al.q.element, mm.key, mm.value.element,
     * aa.element.element, id */
    assert_int_equal(st->n_cols, 11);
    assert_string_equal(st->cols[0].path, "a.list.element");
    assert_string_equal(st->cols[1].path, "m.key_value.key");
    assert_string_equal(st->cols[6].path, "al.list.element.q.list.element");
    assert_string_equal(st->cols[9].path, "aa.list.element.list.element");
    /* Iceberg fresh ids: top level 1..7, then a.element=8, m.key=9, m.value=10, r.x=11, r.y=12,
     * al.element=13, p=14, q=15, q.element=16, mm.key=17, mm.value=18, mm.value.element=19,
     * aa.element=20, aa.element.element=21 */
    static const int32_t want_ids[11] = {8, 9, 10, 11, 12, 14, 16, 17, 19, 21, 7};
    for (int c = 0; c < 11; c++) assert_int_equal(st->cols[c].field_id, want_ids[c]);
    assert_int_equal(st->cols[10].num_values, 3000);
    assert_true(st->cols[0].num_values > 3000);
    rd_file_t f;
    read_file(out.p, out.len, &f);
    /* schema: root + a(3) + m(4) + r(3) + al(7) + mm(6) + aa(5) + id(1) */
    assert_int_equal(fl_tc_get(&f.meta, 2)->v.c.n, 1 + 3 + 4 + 3 + 7 + 6 + 5 + 1);
    fl_tc_val_free(&f.meta);
    fl_pq_writer_free(w);
    fl_buf_free(&out);
}

/* ---------------------------------------------------------------- --emit: files for pyarrow */

static void json_str(FILE *fp, const char *v) {
    fputc('"', fp);
    for (; v && *v; v++) {
        if (*v == '"' || *v == '\\') fputc('\\', fp);
        fputc(*v, fp);
    }
    fputc('"', fp);
}

static void json_hex(FILE *fp, const uint8_t *p, size_t n) {
    fputc('"', fp);
    for (size_t i = 0; i < n; i++) fprintf(fp, "%02x", p[i]);
    fputc('"', fp);
}

static void json_datum(FILE *fp, const fl_type_t *t, const fl_datum_t *d) {
    if (d->is_null) {
        fputs("null", fp);
        return;
    }
    switch (t->root) {
    case FL_T_BOOLEAN: fputs(d->v.b ? "true" : "false", fp); break;
    case FL_T_TINYINT: fprintf(fp, "%d", d->v.i8); break;
    case FL_T_SMALLINT: fprintf(fp, "%d", d->v.i16); break;
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME: fprintf(fp, "%d", d->v.i32); break;
    case FL_T_BIGINT: fprintf(fp, "%lld", (long long)d->v.i64); break;
    case FL_T_FLOAT: {
        uint32_t b;
        memcpy(&b, &d->v.f32, 4);
        fprintf(fp, "\"f32:%08x\"", b);
        break;
    }
    case FL_T_DOUBLE: {
        uint64_t b;
        memcpy(&b, &d->v.f64, 8);
        fprintf(fp, "\"f64:%016llx\"", (unsigned long long)b);
        break;
    }
    case FL_T_DECIMAL:
        if (fl_type_decimal_compact(t)) fprintf(fp, "%lld", (long long)d->v.dec.unscaled);
        else json_hex(fp, d->v.dec.big, d->v.dec.big_len);
        break;
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES: json_hex(fp, d->v.bytes.p, d->v.bytes.len); break;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        fprintf(fp, "[%lld,%d]", (long long)d->v.ts.millis, d->v.ts.nanos);
        break;
    case FL_T_ARRAY:
    case FL_T_ROW:
    case FL_T_MAP:
        fputc('[', fp);
        for (uint32_t i = 0; i < d->v.list.n; i++) {
            if (i) fputc(',', fp);
            if (t->root == FL_T_MAP) {
                fputc('[', fp);
                json_datum(fp, &t->children[0], &d->v.list.items[i]);
                fputc(',', fp);
                json_datum(fp, &t->children[1], &d->v.list.values[i]);
                fputc(']', fp);
            } else {
                json_datum(fp, t->root == FL_T_ROW ? &t->children[i] : &t->children[0],
                           &d->v.list.items[i]);
            }
        }
        fputc(']', fp);
        break;
    default: fputs("null", fp);
    }
}

static void json_type(FILE *fp, const char *name, const fl_type_t *t) {
    fprintf(fp, "{\"name\":\"%s\",\"root\":\"%s\",\"nullable\":%s,\"precision\":%d,\"scale\":%d",
            name ? name : "", fl_type_root_name(t->root), t->nullable ? "true" : "false",
            t->precision, t->scale);
    if (t->n_children) {
        fputs(",\"children\":[", fp);
        for (uint32_t i = 0; i < t->n_children; i++) {
            if (i) fputc(',', fp);
            json_type(fp, t->root == FL_T_ROW ? t->field_names[i] : "", &t->children[i]);
        }
        fputc(']', fp);
    }
    fputc('}', fp);
}

typedef void (*row_gen_fn)(uint64_t i, fl_datum_t *r);

static int emit_file(const char *dir, const char *name, const fl_type_t *row,
                     const fl_pq_opts_t *o, row_gen_fn gen, uint64_t rows, uint64_t seed) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.rows.jsonl", dir, name);
    FILE *rows_fp = fopen(path, "w");
    if (!rows_fp) return 1;
    fl_buf_t out;
    fl_buf_init(&out);
    fl_pq_writer_t *w;
    if (fl_pq_writer_new_buf(row, o, &out, &w)) return 1;
    g_rng = seed;
    fl_datum_t r[64];
    for (uint64_t i = 0; i < rows; i++) {
        pool_reset();
        gen(i, r);
        if (fl_pq_write_row(w, r)) return 1;
        fputc('[', rows_fp);
        for (uint32_t c = 0; c < row->n_children; c++) {
            if (c) fputc(',', rows_fp);
            json_datum(rows_fp, &row->children[c], &r[c]);
        }
        fputs("]\n", rows_fp);
    }
    fclose(rows_fp);
    const fl_pq_file_stats_t *st;
    if (fl_pq_finish(w, &st)) return 1;
    snprintf(path, sizeof(path), "%s/%s.parquet", dir, name);
    FILE *pf = fopen(path, "wb");
    if (!pf || fwrite(out.p, 1, out.len, pf) != out.len || fclose(pf)) return 1;

    snprintf(path, sizeof(path), "%s/%s.meta.json", dir, name);
    FILE *mf = fopen(path, "w");
    if (!mf) return 1;
    fprintf(mf, "{\"flavor\":\"%s\",\"codec\":%d,\"dictionary\":%s,\"ids\":%d,",
            o->flavor == FL_PQ_ICEBERG ? "iceberg" : "paimon", (int)o->codec,
            o->dictionary ? "true" : "false", (int)o->ids);
    fprintf(mf, "\"num_rows\":%llu,\"file_size\":%llu,\"row_group_offsets\":[",
            (unsigned long long)st->num_rows, (unsigned long long)st->file_size);
    for (uint32_t g = 0; g < st->n_row_groups; g++)
        fprintf(mf, "%s%llu", g ? "," : "", (unsigned long long)st->row_group_offsets[g]);
    fputs("],\"kv\":[", mf);
    for (size_t k = 0; k < o->n_kv; k++) {
        fputs(k ? ",[" : "[", mf);
        json_str(mf, o->kv[k].key);
        fputc(',', mf);
        json_str(mf, o->kv[k].value);
        fputc(']', mf);
    }
    fputs("],\"created_by\":", mf);
    json_str(mf, o->created_by);
    fputs(",\"schema\":", mf);
    json_type(mf, "", row);
    fputs(",\"stats\":[", mf);
    for (uint32_t c = 0; c < st->n_cols; c++) {
        const fl_pq_col_stats_t *s = &st->cols[c];
        fprintf(mf, "%s{\"path\":\"%s\",\"field_id\":%d,\"num_values\":%llu,\"null_count\":%llu,"
                    "\"nan_count\":%llu,\"has_min_max\":%s,\"min\":",
                c ? "," : "", s->path, s->field_id, (unsigned long long)s->num_values,
                (unsigned long long)s->null_count, (unsigned long long)s->nan_count,
                s->has_min_max ? "true" : "false");
        json_datum(mf, s->type, &s->min);
        fputs(",\"max\":", mf);
        json_datum(mf, s->type, &s->max);
        fputc('}', mf);
    }
    fputs("]}\n", mf);
    fclose(mf);
    fl_pq_writer_free(w);
    fl_buf_free(&out);
    return 0;
}

/* Rows with very long strings and all-null/NaN-only columns. */
static fl_type_t g_e_fields[4];
static char *g_e_names[4] = {"long_s", "nan_only", "null_only", "neg"};
static fl_type_t g_edge;
static void edge_row(uint64_t i, fl_datum_t *r) {
    memset(r, 0, 4 * sizeof(*r));
    size_t n = i % 3 == 0 ? (1u << 20) + i : i;
    uint8_t *p = pool_bytes(n);
    for (size_t k = 0; k < n; k++) p[k] = (uint8_t)('A' + (k * 7 + i) % 26);
    r[0].v.bytes.p = p;
    r[0].v.bytes.len = (uint32_t)n;
    r[1].v.f64 = NAN;
    r[1].is_null = i % 2;
    r[2].is_null = true;
    r[3].v.i64 = -(int64_t)(i * i) - 1;
}

static void flat_gen(uint64_t i, fl_datum_t *r) {
    flat_row(i, r);
}

static int emit_all(const char *dir) {
    mkdir(dir, 0755);
    flat_schema();
    nested_schema();
    g_e_fields[0] = ty(FL_T_STRING, false, 0, 0);
    g_e_fields[1] = ty(FL_T_DOUBLE, true, 0, 0);
    g_e_fields[2] = ty(FL_T_TIMESTAMP, true, 6, 0);
    g_e_fields[3] = ty(FL_T_BIGINT, false, 0, 0);
    g_edge = ty_row(false, 4, g_e_fields, g_e_names, NULL);
    static const fl_pq_kv_t kv[] = {{"iceberg.schema", "{\"type\":\"struct\"}"},
                                    {"fluss.test", "yes"}};
    static const struct {
        const char *name;
        int what; /* 0 flat, 1 nested, 2 edge */
        fl_pq_flavor_t flavor;
        fl_pq_codec_t codec;
        bool dict;
        fl_pq_ids_t ids;
        size_t page_bytes, rg_bytes, dict_max;
        uint64_t rows;
    } files[] = {
        {"flat_paimon_zstd_dict", 0, FL_PQ_PAIMON, FL_PQ_ZSTD, true, FL_PQ_IDS_TYPE, 4096, 60000, 0, 4000},
        {"flat_paimon_snappy_plain", 0, FL_PQ_PAIMON, FL_PQ_SNAPPY, false, FL_PQ_IDS_TYPE, 8192, 100000, 0, 3000},
        {"flat_iceberg_snappy_dict", 0, FL_PQ_ICEBERG, FL_PQ_SNAPPY, true, FL_PQ_IDS_ICEBERG_FRESH, 1 << 20, 1 << 30, 0, 3000},
        {"flat_iceberg_none_fallback", 0, FL_PQ_ICEBERG, FL_PQ_UNCOMPRESSED, true, FL_PQ_IDS_ICEBERG_FRESH, 2048, 80000, 2048, 3000},
        {"flat_zero_rows", 0, FL_PQ_PAIMON, FL_PQ_ZSTD, true, FL_PQ_IDS_TYPE, 0, 0, 0, 0},
        {"flat_one_row", 0, FL_PQ_ICEBERG, FL_PQ_ZSTD, true, FL_PQ_IDS_NONE, 0, 0, 0, 1},
        {"nested_iceberg_zstd", 1, FL_PQ_ICEBERG, FL_PQ_ZSTD, true, FL_PQ_IDS_ICEBERG_FRESH, 1024, 20000, 0, 3000},
        {"nested_paimon_plain", 1, FL_PQ_PAIMON, FL_PQ_UNCOMPRESSED, false, FL_PQ_IDS_TYPE, 1 << 20, 1 << 30, 0, 500},
        {"edge_long_strings", 2, FL_PQ_PAIMON, FL_PQ_SNAPPY, true, FL_PQ_IDS_TYPE, 0, 3 << 20, 0, 9},
    };
    for (size_t k = 0; k < FL_ARRAY_LEN(files); k++) {
        fl_pq_opts_t o;
        fl_pq_opts_default(&o);
        o.flavor = files[k].flavor;
        o.codec = files[k].codec;
        o.dictionary = files[k].dict;
        o.ids = files[k].ids;
        if (files[k].page_bytes) o.page_bytes = files[k].page_bytes;
        if (files[k].rg_bytes) o.row_group_bytes = files[k].rg_bytes;
        if (files[k].dict_max) o.dict_max_bytes = files[k].dict_max;
        o.kv = kv;
        o.n_kv = 2;
        o.created_by = "fluss-c-server version 0.1.0 (build test)";
        const fl_type_t *row = files[k].what == 0 ? &g_flat : files[k].what == 1 ? &g_nested
                                                                                 : &g_edge;
        row_gen_fn gen = files[k].what == 0 ? flat_gen : files[k].what == 1 ? nested_row
                                                                            : edge_row;
        if (emit_file(dir, files[k].name, row, &o, gen, files[k].rows, 1000 + k)) {
            fprintf(stderr, "emit %s failed\n", files[k].name);
            return 1;
        }
    }
    printf("wrote %zu files to %s\n", FL_ARRAY_LEN(files), dir);
    return 0;
}

static int setup(void **state) {
    (void)state;
    flat_schema();
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--emit")) return emit_all(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_hybrid),
        cmocka_unit_test(test_flat_all_codecs),
        cmocka_unit_test(test_returned_stats),
        cmocka_unit_test(test_float_edges),
        cmocka_unit_test(test_invalid_rows_and_types),
        cmocka_unit_test(test_zero_rows_and_sink_errors),
        cmocka_unit_test(test_page_boundaries),
        cmocka_unit_test(test_dict_fallback),
        cmocka_unit_test(test_nested),
    };
    return cmocka_run_group_tests_name("lake_parquet", tests, setup, NULL);
}
