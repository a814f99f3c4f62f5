/* test_arrow.c: Arrow IPC record batches (fl_arrow) and the flatbuffer helper (fl_flatbuf).
 *
 * Without arguments: cmocka unit tests (round trips for every Fluss type and codec, the Java
 * buffer layout, projection, malformed input).
 * For protocol/check_arrow.py (the pyarrow peer):
 *   test_protocol_arrow --write DIR   write IPC streams (our schema + our batches) to DIR
 *   test_protocol_arrow --read FILE   decode the record batch of a pyarrow-written stream and
 *                                     compare it with the generated rows; exit status 0/1
 * Both sides generate the same rows from the same formulas (gen_datum here, gen_value there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_arrow.h"
#include "fl_flatbuf.h"

/* ---- types ---- */

static fl_type_t mk(fl_type_root_t root, bool nullable) {
    fl_type_t t;
    memset(&t, 0, sizeof(t));
    t.root = root;
    t.nullable = nullable;
    return t;
}

static fl_type_t mkp(fl_type_root_t root, int32_t p) {
    fl_type_t t = mk(root, true);
    t.precision = p;
    return t;
}

static fl_type_t mk_row(fl_arena_t *a, uint32_t n, const fl_type_t *kids, const char *const *names,
                        bool nullable) {
    fl_type_t t = mk(FL_T_ROW, nullable);
    t.n_children = n;
    t.children = fl_arena_alloc(a, n * sizeof(fl_type_t));
    memcpy(t.children, kids, n * sizeof(fl_type_t));
    t.field_names = fl_arena_alloc(a, n * sizeof(char *));
    for (uint32_t i = 0; i < n; i++) t.field_names[i] = (char *)names[i];
    return t;
}

static fl_type_t mk_list(fl_arena_t *a, fl_type_root_t root, const fl_type_t *kids, uint32_t n) {
    fl_type_t t = mk(root, true);
    t.n_children = n;
    t.children = fl_arena_alloc(a, n * sizeof(fl_type_t));
    memcpy(t.children, kids, n * sizeof(fl_type_t));
    return t;
}

/* The all-types schema; keep in step with SCHEMA in check_arrow.py. */
#define N_COLS 28
static const char *const col_names[N_COLS] = {
    "c_bool", "c_tinyint", "c_smallint", "c_int", "c_bigint", "c_float", "c_double",
    "c_dec10", "c_dec30", "c_char", "c_string", "c_binary", "c_bytes", "c_date",
    "c_time0", "c_time3", "c_time6", "c_time9", "c_ts0", "c_ts3", "c_ts6", "c_ts9",
    "c_ltz3", "c_ltz6", "c_arr", "c_map", "c_row", "c_arr2"};

static fl_type_t all_types(fl_arena_t *a) {
    fl_type_t k[N_COLS];
    k[0] = mk(FL_T_BOOLEAN, true);
    k[1] = mk(FL_T_TINYINT, true);
    k[2] = mk(FL_T_SMALLINT, true);
    k[3] = mk(FL_T_INTEGER, false);
    k[4] = mk(FL_T_BIGINT, true);
    k[5] = mk(FL_T_FLOAT, true);
    k[6] = mk(FL_T_DOUBLE, true);
    k[7] = mkp(FL_T_DECIMAL, 10);
    k[7].scale = 2;
    k[8] = mkp(FL_T_DECIMAL, 30);
    k[8].scale = 5;
    k[9] = mk(FL_T_CHAR, true);
    k[9].length = 5;
    k[10] = mk(FL_T_STRING, true);
    k[11] = mk(FL_T_BINARY, true);
    k[11].length = 4;
    k[12] = mk(FL_T_BYTES, true);
    k[13] = mk(FL_T_DATE, true);
    k[14] = mkp(FL_T_TIME, 0);
    k[15] = mkp(FL_T_TIME, 3);
    k[16] = mkp(FL_T_TIME, 6);
    k[17] = mkp(FL_T_TIME, 9);
    k[18] = mkp(FL_T_TIMESTAMP, 0);
    k[19] = mkp(FL_T_TIMESTAMP, 3);
    k[20] = mkp(FL_T_TIMESTAMP, 6);
    k[21] = mkp(FL_T_TIMESTAMP, 9);
    k[22] = mkp(FL_T_TIMESTAMP_LTZ, 3);
    k[23] = mkp(FL_T_TIMESTAMP_LTZ, 6);
    fl_type_t e = mk(FL_T_INTEGER, true);
    k[24] = mk_list(a, FL_T_ARRAY, &e, 1);
    fl_type_t kv[2] = {mk(FL_T_STRING, false), mk(FL_T_BIGINT, true)};
    k[25] = mk_list(a, FL_T_MAP, kv, 2);
    fl_type_t rk[2] = {mk(FL_T_INTEGER, true), mk(FL_T_STRING, true)};
    static const char *const rn[2] = {"x", "y"};
    k[26] = mk_row(a, 2, rk, rn, true);
    fl_type_t s = mk(FL_T_STRING, true);
    fl_type_t inner = mk_list(a, FL_T_ARRAY, &s, 1);
    k[27] = mk_list(a, FL_T_ARRAY, &inner, 1);
    return mk_row(a, N_COLS, k, col_names, false);
}

/* ---- the generated rows (same formulas as check_arrow.py gen_value) ---- */

static bool gen_null(const fl_type_t *t, int c, int i) {
    return t->nullable && (i * 7 + c) % 5 == 0;
}

static const uint8_t *dup(fl_arena_t *a, const char *s, uint32_t *len) {
    *len = (uint32_t)strlen(s);
    return (const uint8_t *)fl_arena_strndup(a, s, *len);
}

static void gen_datum(fl_arena_t *a, const fl_type_t *rt, int c, int i, fl_datum_t *d) {
    const fl_type_t *t = &rt->children[c];
    memset(d, 0, sizeof(*d));
    if (gen_null(t, c, i)) {
        d->is_null = true;
        return;
    }
    char s[64];
    int64_t I = i;
    switch (c) {
    case 0: d->v.b = i % 3 == 0; break;
    case 1: d->v.i8 = (int8_t)((i * 37) % 256 - 128); break;
    case 2: d->v.i16 = (int16_t)(i * 1001 - 20000); break;
    case 3: d->v.i32 = i * 123457 - 1000000; break;
    case 4: d->v.i64 = I * 9876543210123LL - 5000000000000000LL; break;
    case 5: d->v.f32 = (float)i * 1.5f - 7.25f; break;
    case 6: d->v.f64 = (double)i * 0.1 - 3.0; break;
    case 7: d->v.dec.unscaled = I * 12345 - 100000; break;
    case 8: {
        __int128 v = (__int128)(I - 18) * (__int128)100000000000000000LL * 1000 + I;
        uint8_t be[16];
        for (int k = 0; k < 16; k++) be[15 - k] = (uint8_t)(v >> (8 * k));
        int st = 0;
        while (st < 15 && ((be[st] == 0 && !(be[st + 1] & 0x80)) ||
                           (be[st] == 0xff && (be[st + 1] & 0x80))))
            st++;
        uint8_t *p = fl_arena_alloc(a, 16);
        memcpy(p, be + st, (size_t)(16 - st));
        d->v.dec.big = p;
        d->v.dec.big_len = (uint32_t)(16 - st);
        break;
    }
    case 9:
        snprintf(s, sizeof(s), "ch%d", i % 1000);
        d->v.bytes.p = dup(a, s, &d->v.bytes.len);
        break;
    case 10: {
        s[0] = 0;
        for (int k = 0; k < i % 4; k++)
            snprintf(s + strlen(s), sizeof(s) - strlen(s), "s%d-\xc3\xa9", i);
        d->v.bytes.p = dup(a, s, &d->v.bytes.len);
        break;
    }
    case 11: {
        uint8_t *p = fl_arena_alloc(a, 4);
        p[0] = (uint8_t)i, p[1] = (uint8_t)(i + 1);
        p[2] = (uint8_t)(i + 2), p[3] = (uint8_t)(255 - i);
        d->v.bytes.p = p;
        d->v.bytes.len = 4;
        break;
    }
    case 12: {
        uint32_t n = (uint32_t)(i % 5);
        uint8_t *p = fl_arena_alloc(a, 8);
        for (uint32_t k = 0; k < n; k++) p[k] = (uint8_t)(i + (int)k);
        d->v.bytes.p = p;
        d->v.bytes.len = n;
        break;
    }
    case 13: d->v.i32 = i * 100 - 2000; break;
    case 14: d->v.i32 = (int32_t)((I * 3723000) % 86400000); break;
    case 15:
    case 16:
    case 17: d->v.i32 = (int32_t)((I * 3723456 + c) % 86400000); break;
    case 18: d->v.ts.millis = I * 86400000 - 100000000000LL; break;
    case 19:
    case 22: d->v.ts.millis = I * 86400123 - 100000000000LL; break;
    case 20:
    case 23:
        d->v.ts.millis = I * 86400123 - 100000000000LL;
        d->v.ts.nanos = (i * 7919) % 1000 * 1000;
        break;
    case 21:
        d->v.ts.millis = I * 86400123 - 100000000000LL;
        d->v.ts.nanos = (i * 7919) % 1000000;
        break;
    case 24: {
        uint32_t n = (uint32_t)(i % 4);
        fl_datum_t *it = fl_arena_calloc(a, 4 * sizeof(fl_datum_t));
        for (uint32_t k = 0; k < n; k++) {
            it[k].is_null = k == 2;
            it[k].v.i32 = i * 10 + (int)k;
        }
        d->v.list.items = it;
        d->v.list.n = n;
        break;
    }
    case 25: {
        uint32_t n = (uint32_t)(i % 3);
        fl_datum_t *ks = fl_arena_calloc(a, 3 * sizeof(fl_datum_t));
        fl_datum_t *vs = fl_arena_calloc(a, 3 * sizeof(fl_datum_t));
        for (uint32_t k = 0; k < n; k++) {
            snprintf(s, sizeof(s), "k%u", k);
            ks[k].v.bytes.p = dup(a, s, &ks[k].v.bytes.len);
            vs[k].is_null = k == 1;
            vs[k].v.i64 = I * 100 + k;
        }
        d->v.list.items = ks;
        d->v.list.values = vs;
        d->v.list.n = n;
        break;
    }
    case 26: {
        fl_datum_t *f = fl_arena_calloc(a, 2 * sizeof(fl_datum_t));
        f[0].v.i32 = i;
        f[1].is_null = i % 4 == 1;
        snprintf(s, sizeof(s), "r%d", i);
        f[1].v.bytes.p = dup(a, s, &f[1].v.bytes.len);
        d->v.list.items = f;
        d->v.list.n = 2;
        break;
    }
    case 27: {
        uint32_t n = (uint32_t)(i % 3);
        fl_datum_t *outer = fl_arena_calloc(a, 3 * sizeof(fl_datum_t));
        for (uint32_t k = 0; k < n; k++) {
            outer[k].is_null = (i + (int)k) % 4 == 3;
            fl_datum_t *in = fl_arena_calloc(a, 4 * sizeof(fl_datum_t));
            for (uint32_t j = 0; j <= k; j++) {
                snprintf(s, sizeof(s), "a%d_%u_%u", i, k, j);
                in[j].v.bytes.p = dup(a, s, &in[j].v.bytes.len);
            }
            outer[k].v.list.items = in;
            outer[k].v.list.n = k + 1;
        }
        d->v.list.items = outer;
        d->v.list.n = n;
        break;
    }
    default: d->is_null = true; break;
    }
}

static const fl_datum_t **gen_rows(fl_arena_t *a, const fl_type_t *rt, int n) {
    const fl_datum_t **rows = fl_arena_alloc(a, (size_t)n * sizeof(*rows));
    for (int i = 0; i < n; i++) {
        fl_datum_t *r = fl_arena_alloc(a, rt->n_children * sizeof(fl_datum_t));
        for (uint32_t c = 0; c < rt->n_children; c++) gen_datum(a, rt, (int)c, i, &r[c]);
        rows[i] = r;
    }
    return rows;
}

/* ---- comparison ---- */

static __int128 dec_value(const fl_type_t *t, const fl_decimal_t *d) {
    if (fl_type_decimal_compact(t)) return d->unscaled;
    __int128 v = (d->big_len && (d->big[0] & 0x80)) ? -1 : 0;
    for (uint32_t k = 0; k < d->big_len; k++)
        v = (__int128)(((unsigned __int128)v << 8) | d->big[k]);
    return v;
}

static bool datum_eq(const fl_type_t *t, const fl_datum_t *x, const fl_datum_t *y) {
    if (x->is_null || y->is_null) return x->is_null == y->is_null;
    switch (t->root) {
    case FL_T_BOOLEAN: return x->v.b == y->v.b;
    case FL_T_TINYINT: return x->v.i8 == y->v.i8;
    case FL_T_SMALLINT: return x->v.i16 == y->v.i16;
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME: return x->v.i32 == y->v.i32;
    case FL_T_BIGINT: return x->v.i64 == y->v.i64;
    case FL_T_FLOAT: return memcmp(&x->v.f32, &y->v.f32, 4) == 0;
    case FL_T_DOUBLE: return memcmp(&x->v.f64, &y->v.f64, 8) == 0;
    case FL_T_DECIMAL: return dec_value(t, &x->v.dec) == dec_value(t, &y->v.dec);
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        return x->v.ts.millis == y->v.ts.millis && x->v.ts.nanos == y->v.ts.nanos;
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES:
        return x->v.bytes.len == y->v.bytes.len &&
               (x->v.bytes.len == 0 || !memcmp(x->v.bytes.p, y->v.bytes.p, x->v.bytes.len));
    case FL_T_ARRAY:
        if (x->v.list.n != y->v.list.n) return false;
        for (uint32_t k = 0; k < x->v.list.n; k++)
            if (!datum_eq(&t->children[0], &x->v.list.items[k], &y->v.list.items[k])) return false;
        return true;
    case FL_T_MAP:
        if (x->v.list.n != y->v.list.n) return false;
        for (uint32_t k = 0; k < x->v.list.n; k++)
            if (!datum_eq(&t->children[0], &x->v.list.items[k], &y->v.list.items[k]) ||
                !datum_eq(&t->children[1], &x->v.list.values[k], &y->v.list.values[k]))
                return false;
        return true;
    case FL_T_ROW:
        if (x->v.list.n != t->n_children || y->v.list.n != t->n_children) return false;
        for (uint32_t k = 0; k < t->n_children; k++)
            if (!datum_eq(&t->children[k], &x->v.list.items[k], &y->v.list.items[k])) return false;
        return true;
    default: return false;
    }
}

/* @returns the number of mismatching values between the batch and the expected rows
 * (columns cols[0..n) of the full schema when cols != NULL). */
static int batch_mismatches(fl_arena_t *a, const fl_arrow_batch_t *b, const fl_type_t *full,
                            const fl_datum_t **rows, int n_rows, const uint32_t *cols) {
    int bad = 0;
    if (b->n_rows != n_rows) return 1000000;
    fl_datum_t *row = fl_arena_alloc(a, b->n_cols * sizeof(fl_datum_t));
    fl_arrow_iter_t it;
    fl_arrow_iter_init(&it, b);
    int i = 0;
    while (fl_arrow_iter_next(&it, a, row)) {
        for (uint32_t c = 0; c < b->n_cols; c++) {
            uint32_t src = cols ? cols[c] : c;
            if (!datum_eq(&full->children[src], &row[c], &rows[i][src])) {
                if (bad < 5) fprintf(stderr, "mismatch row %d column %s\n", i, col_names[src]);
                bad++;
            }
        }
        i++;
    }
    return bad + (i != n_rows);
}

/* ---- helpers for mutating messages ---- */

/* Locate metadata and the RecordBatch vectors of an encoded message. */
typedef struct loc_s {
    size_t md;          /* metadata start in the message */
    size_t md_len;
    size_t body;        /* body start */
    size_t nodes, n_nodes, bufs, n_bufs; /* absolute positions in the message */
} loc_t;

static void locate(const uint8_t *msg, size_t len, loc_t *l) {
    fl_reader_t rd;
    fl_rd_init(&rd, msg, len);
    assert_int_equal(fl_rd_i32le(&rd), -1);
    l->md_len = (size_t)fl_rd_i32le(&rd);
    l->md = 8;
    l->body = 8 + l->md_len;
    fl_reader_t md;
    fl_rd_init(&md, msg + 8, l->md_len);
    fl_fbt_t m, rb;
    assert_true(fl_fb_root(&md, &m));
    assert_true(fl_fb_table(&md, &m, 2, &rb));
    l->n_nodes = fl_fb_vector(&md, &rb, 1, 16, &l->nodes);
    l->n_bufs = fl_fb_vector(&md, &rb, 2, 16, &l->bufs);
    assert_int_equal(md.err, FL_ERR_NONE);
    l->nodes += 8;
    l->bufs += 8;
}

static int64_t ld64(const uint8_t *p) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)p[k] << (8 * k);
    return (int64_t)v;
}

static void st64(uint8_t *p, int64_t x) {
    for (int k = 0; k < 8; k++) p[k] = (uint8_t)((uint64_t)x >> (8 * k));
}

static fl_err_t try_decode(const fl_type_t *rt, int64_t count, const uint8_t *p, size_t len) {
    fl_arena_t *a = fl_arena_new(0);
    fl_arrow_batch_t *b;
    fl_err_t err = fl_arrow_decode(a, rt, count, p, len, 0, &b);
    if (!err) {
        /* materialise everything: must stay in bounds */
        fl_datum_t *row = fl_arena_alloc(a, b->n_cols * sizeof(fl_datum_t));
        for (int64_t i = 0; i < b->n_rows; i++) fl_arrow_row(b, i, a, row);
    }
    fl_arena_destroy(a);
    return err;
}

/* ======================================================================================== */
/* unit tests                                                                               */
/* ======================================================================================== */

static void roundtrip(fl_arrow_codec_t codec, int n_rows) {
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const fl_datum_t **rows = gen_rows(a, &rt, n_rows);
    fl_buf_t out;
    fl_buf_init(&out);
    assert_int_equal(fl_arrow_encode(&rt, rows, (size_t)n_rows, codec, 3, &out), FL_ERR_NONE);
    fl_arrow_batch_t *b;
    assert_int_equal(fl_arrow_decode(a, &rt, n_rows, out.p, out.len, 0, &b), FL_ERR_NONE);
    assert_int_equal(b->codec, codec);
    assert_int_equal(b->msg_len, out.len);
    assert_int_equal(batch_mismatches(a, b, &rt, rows, n_rows, NULL), 0);
    /* the decoder does not need alignment: decode from an odd address */
    uint8_t *odd = fl_arena_alloc(a, out.len + 1);
    memcpy(odd + 1, out.p, out.len);
    assert_int_equal(fl_arrow_decode(a, &rt, n_rows, odd + 1, out.len, 0, &b), FL_ERR_NONE);
    assert_int_equal(batch_mismatches(a, b, &rt, rows, n_rows, NULL), 0);
    fl_buf_free(&out);
    fl_arena_destroy(a);
}

static void test_roundtrip_none(void **state) {
    (void)state;
    roundtrip(FL_ARROW_CODEC_NONE, 37);
    roundtrip(FL_ARROW_CODEC_NONE, 1);
}

static void test_roundtrip_zstd(void **state) {
    (void)state;
    roundtrip(FL_ARROW_CODEC_ZSTD, 37);
    roundtrip(FL_ARROW_CODEC_ZSTD, 1);
    roundtrip(FL_ARROW_CODEC_ZSTD, 3000);
}

static void test_roundtrip_lz4(void **state) {
    (void)state;
    roundtrip(FL_ARROW_CODEC_LZ4_FRAME, 37);
    roundtrip(FL_ARROW_CODEC_LZ4_FRAME, 3000);
}

/* The byte layout Arrow Java's VectorUnloader + MessageSerializer produce for
 * (a INT NOT NULL, s STRING) with rows (1, "ab"), (2, null), (3, "c"). */
static void test_java_layout(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t k[2] = {mk(FL_T_INTEGER, false), mk(FL_T_STRING, true)};
    static const char *const names[2] = {"a", "s"};
    fl_type_t rt = mk_row(a, 2, k, names, false);
    fl_datum_t r[3][2];
    memset(r, 0, sizeof(r));
    r[0][0].v.i32 = 1, r[1][0].v.i32 = 2, r[2][0].v.i32 = 3;
    r[0][1].v.bytes.p = (const uint8_t *)"ab", r[0][1].v.bytes.len = 2;
    r[1][1].is_null = true;
    r[2][1].v.bytes.p = (const uint8_t *)"c", r[2][1].v.bytes.len = 1;
    const fl_datum_t *rows[3] = {r[0], r[1], r[2]};
    fl_buf_t out;
    fl_buf_init(&out);
    assert_int_equal(fl_arrow_encode(&rt, rows, 3, FL_ARROW_CODEC_NONE, 0, &out), FL_ERR_NONE);
    loc_t l;
    locate(out.p, out.len, &l);
    assert_int_equal((8 + l.md_len) % 8, 0);
    assert_int_equal(l.n_nodes, 2);
    assert_int_equal(l.n_bufs, 5);
    /* nodes: (3, 0), (3, 1) */
    assert_int_equal(ld64(out.p + l.nodes), 3);
    assert_int_equal(ld64(out.p + l.nodes + 8), 0);
    assert_int_equal(ld64(out.p + l.nodes + 16), 3);
    assert_int_equal(ld64(out.p + l.nodes + 24), 1);
    /* buffers: validity 1 @0, values 12 @8, validity 1 @24, offsets 16 @32, data 3 @48 */
    static const int64_t want[5][2] = {{0, 1}, {8, 12}, {24, 1}, {32, 16}, {48, 3}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ld64(out.p + l.bufs + 16 * i), want[i][0]);
        assert_int_equal(ld64(out.p + l.bufs + 16 * i + 8), want[i][1]);
    }
    assert_int_equal(out.len - l.body, 56); /* body padded to 8 */
    const uint8_t *body = out.p + l.body;
    assert_int_equal(body[0], 0x07);  /* NOT NULL column: validity present, all set */
    assert_int_equal(body[24], 0x05); /* row 1 null */
    assert_int_equal(ld64(body + 32) & 0xffffffff, 0);
    assert_memory_equal(body + 48, "abc", 3);

    /* empty rows write nothing */
    size_t before = out.len;
    assert_int_equal(fl_arrow_encode(&rt, rows, 0, FL_ARROW_CODEC_ZSTD, 3, &out), FL_ERR_NONE);
    assert_int_equal(out.len, before);

    /* compressed: a 1-byte validity buffer does not pay, so it is stored raw behind -1;
     * ZSTD data carries the uncompressed length */
    fl_buf_reset(&out);
    assert_int_equal(fl_arrow_encode(&rt, rows, 3, FL_ARROW_CODEC_ZSTD, 3, &out), FL_ERR_NONE);
    locate(out.p, out.len, &l);
    int64_t off0 = ld64(out.p + l.bufs), len0 = ld64(out.p + l.bufs + 8);
    assert_int_equal(len0, 9);
    assert_int_equal(ld64(out.p + l.body + off0), -1);
    for (size_t i = 0; i < l.n_bufs; i++) assert_int_equal(ld64(out.p + l.bufs + 16 * i) % 8, 0);
    fl_buf_free(&out);
    fl_arena_destroy(a);
}

static void test_bad_values(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t k[1] = {mk(FL_T_BINARY, true)};
    k[0].length = 4;
    static const char *const names[1] = {"b"};
    fl_type_t rt = mk_row(a, 1, k, names, false);
    fl_datum_t r[1];
    memset(r, 0, sizeof(r));
    r[0].v.bytes.p = (const uint8_t *)"abc";
    r[0].v.bytes.len = 3; /* BINARY(4) needs 4 bytes */
    const fl_datum_t *rows[1] = {r};
    fl_buf_t out;
    fl_buf_init(&out);
    assert_int_equal(fl_arrow_encode(&rt, rows, 1, FL_ARROW_CODEC_NONE, 0, &out), FL_ERR__INVAL);
    fl_type_t bad = mk(FL_T_INTEGER, false); /* not a ROW */
    assert_int_equal(fl_arrow_encode(&bad, rows, 1, FL_ARROW_CODEC_NONE, 0, &out), FL_ERR__INVAL);
    fl_buf_free(&out);
    fl_arena_destroy(a);
}

static void projection(fl_arrow_codec_t codec) {
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const int n = 21;
    const fl_datum_t **rows = gen_rows(a, &rt, n);
    fl_buf_t out, proj;
    fl_buf_init(&out);
    fl_buf_init(&proj);
    assert_int_equal(fl_arrow_encode(&rt, rows, n, codec, 3, &out), FL_ERR_NONE);
    static const uint32_t sel[] = {1, 8, 10, 24, 25, 26, 27};
    assert_int_equal(fl_arrow_project(&rt, out.p, out.len, sel, FL_ARRAY_LEN(sel), &proj),
                     FL_ERR_NONE);
    fl_type_t pk[FL_ARRAY_LEN(sel)];
    const char *pn[FL_ARRAY_LEN(sel)];
    for (size_t i = 0; i < FL_ARRAY_LEN(sel); i++)
        pk[i] = rt.children[sel[i]], pn[i] = col_names[sel[i]];
    fl_type_t pt = mk_row(a, FL_ARRAY_LEN(sel), pk, pn, false);
    fl_arrow_batch_t *b;
    assert_int_equal(fl_arrow_decode(a, &pt, n, proj.p, proj.len, 0, &b), FL_ERR_NONE);
    assert_int_equal(b->codec, codec);
    assert_int_equal(batch_mismatches(a, b, &rt, rows, n, sel), 0);
    assert_true(proj.len < out.len);

    /* buffers are copied byte for byte (compressed ones stay compressed) */
    loc_t lo, lp;
    locate(out.p, out.len, &lo);
    locate(proj.p, proj.len, &lp);
    /* column 1 (TINYINT) is original buffers 2 and 3 (column 0 BOOLEAN has 2 buffers) */
    for (int j = 0; j < 2; j++) {
        int64_t ol = ld64(out.p + lo.bufs + 16 * (2 + j) + 8);
        int64_t pl = ld64(proj.p + lp.bufs + 16 * j + 8);
        assert_int_equal(ol, pl);
        assert_memory_equal(out.p + lo.body + ld64(out.p + lo.bufs + 16 * (2 + j)),
                            proj.p + lp.body + ld64(proj.p + lp.bufs + 16 * j), (size_t)ol);
    }

    /* bad projections */
    static const uint32_t unsorted[] = {3, 1}, dupl[] = {1, 1}, range[] = {N_COLS};
    assert_int_equal(fl_arrow_project(&rt, out.p, out.len, unsorted, 2, &proj),
                     FL_ERR_INVALID_COLUMN_PROJECTION);
    assert_int_equal(fl_arrow_project(&rt, out.p, out.len, dupl, 2, &proj),
                     FL_ERR_INVALID_COLUMN_PROJECTION);
    assert_int_equal(fl_arrow_project(&rt, out.p, out.len, range, 1, &proj),
                     FL_ERR_INVALID_COLUMN_PROJECTION);
    assert_int_equal(fl_arrow_project(&rt, out.p, out.len, sel, 0, &proj),
                     FL_ERR_INVALID_COLUMN_PROJECTION);
    fl_buf_free(&out);
    fl_buf_free(&proj);
    fl_arena_destroy(a);
}

static void test_projection(void **state) {
    (void)state;
    projection(FL_ARROW_CODEC_NONE);
    projection(FL_ARROW_CODEC_ZSTD);
    projection(FL_ARROW_CODEC_LZ4_FRAME);
}

/* Cut the message at every position: every prefix fails, nothing crashes. */
static void test_truncated(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const fl_datum_t **rows = gen_rows(a, &rt, 9);
    for (int codec = 0; codec <= FL_ARROW_CODEC_ZSTD; codec++) {
        fl_buf_t out, proj;
        fl_buf_init(&out);
        fl_buf_init(&proj);
        assert_int_equal(fl_arrow_encode(&rt, rows, 9, (fl_arrow_codec_t)codec, 3, &out), 0);
        static const uint32_t sel[] = {0, 27};
        for (size_t cut = 0; cut < out.len; cut++) {
            uint8_t *p = fl_malloc(cut ? cut : 1); /* exact size: ASan sees any overread */
            memcpy(p, out.p, cut);
            assert_int_not_equal(try_decode(&rt, 9, p, cut), FL_ERR_NONE);
            assert_int_not_equal(fl_arrow_project(&rt, p, cut, sel, 2, &proj), FL_ERR_NONE);
            fl_free(p);
        }
        assert_int_equal(try_decode(&rt, 9, out.p, out.len), FL_ERR_NONE);
        assert_int_not_equal(try_decode(&rt, 8, out.p, out.len), FL_ERR_NONE); /* count */
        fl_buf_free(&out);
        fl_buf_free(&proj);
    }
    fl_arena_destroy(a);
}

/* Flip every byte of the message (metadata to many values, body to two): decode and
 * projection must never crash; most metadata flips must be caught. */
static void test_metadata_fuzz(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const fl_datum_t **rows = gen_rows(a, &rt, 6);
    for (int codec = 0; codec <= FL_ARROW_CODEC_ZSTD; codec++) {
        fl_buf_t out, proj;
        fl_buf_init(&out);
        fl_buf_init(&proj);
        assert_int_equal(fl_arrow_encode(&rt, rows, 6, (fl_arrow_codec_t)codec, 3, &out), 0);
        loc_t l;
        locate(out.p, out.len, &l);
        static const uint32_t sel[] = {3, 25};
        size_t caught = 0, tried = 0;
        uint8_t *p = fl_malloc(out.len);
        static const uint8_t vals[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x10};
        for (size_t pos = 0; pos < out.len; pos++) {
            /* metadata: several values per byte; body (values, compressed frames): two */
            size_t nv = pos < l.body ? FL_ARRAY_LEN(vals) + 1 : 2;
            for (size_t v = 0; v < nv; v++) {
                memcpy(p, out.p, out.len);
                p[pos] = v + 1 < nv ? vals[v] : (uint8_t)(out.p[pos] ^ 0x04);
                if (p[pos] == out.p[pos]) continue;
                fl_err_t err = try_decode(&rt, 6, p, out.len);
                if (pos < l.body) tried++, caught += err != FL_ERR_NONE;
                fl_buf_reset(&proj);
                (void)fl_arrow_project(&rt, p, out.len, sel, 2, &proj);
            }
        }
        /* padding and a few harmless scalars may change without effect; the rest must fail */
        assert_true(caught * 10 > tried * 7);
        fl_free(p);
        fl_buf_free(&out);
        fl_buf_free(&proj);
    }
    fl_arena_destroy(a);
}

/* Targeted corruptions of a ZSTD message. */
static void test_targeted_corruption(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const int n = 40;
    const fl_datum_t **rows = gen_rows(a, &rt, n);
    for (int codec = 0; codec <= FL_ARROW_CODEC_ZSTD; codec++) {
        fl_buf_t out;
        fl_buf_init(&out);
        assert_int_equal(fl_arrow_encode(&rt, rows, n, (fl_arrow_codec_t)codec, 3, &out), 0);
        loc_t l;
        locate(out.p, out.len, &l);
        size_t body_len = out.len - l.body;
        uint8_t *p = fl_malloc(out.len);
#define RESET() memcpy(p, out.p, out.len)
        /* bogus root offset / vtable offset */
        RESET();
        st64(p + 8, 0x7ffffff0); /* root uoffset (+ the following 4 bytes) */
        assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
        RESET();
        uint32_t root = (uint32_t)p[8] | (uint32_t)p[9] << 8;
        p[8 + root] = 0x80, p[8 + root + 3] = 0x7f; /* soffset far away */
        assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
        RESET();
        p[4] = 0xff, p[5] = 0xff, p[6] = 0xff, p[7] = 0x7f; /* metadata length */
        assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
        /* every buffer out of the body, by offset and by length */
        for (size_t i = 0; i < l.n_bufs; i++) {
            RESET();
            int64_t bl = ld64(p + l.bufs + 16 * i + 8);
            st64(p + l.bufs + 16 * i, (int64_t)body_len - bl + 8);
            if (bl > 0) assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
            RESET();
            st64(p + l.bufs + 16 * i + 8, (int64_t)body_len + 1);
            assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
            RESET();
            st64(p + l.bufs + 16 * i, -8);
            assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
        }
        /* node lengths and null counts that lie */
        for (size_t i = 0; i < l.n_nodes; i++) {
            RESET();
            st64(p + l.nodes + 16 * i, ld64(p + l.nodes + 16 * i) + 1);
            assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
            RESET();
            st64(p + l.nodes + 16 * i + 8, ld64(p + l.nodes + 16 * i + 8) + 1);
            assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
        }
        /* decompressed sizes that lie */
        if (codec != FL_ARROW_CODEC_NONE) {
            size_t lies = 0;
            for (size_t i = 0; i < l.n_bufs; i++) {
                size_t at = l.body + (size_t)ld64(out.p + l.bufs + 16 * i);
                int64_t ulen = ld64(out.p + at);
                if (ld64(out.p + l.bufs + 16 * i + 8) < 8 || ulen <= 0) continue;
                static const int64_t deltas[] = {1, -1, 8, 1LL << 40};
                for (size_t d = 0; d < FL_ARRAY_LEN(deltas); d++) {
                    RESET();
                    st64(p + at, ulen + deltas[d]);
                    assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
                    lies++;
                }
                RESET();
                st64(p + at, -2);
                assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
            }
            assert_true(lies > 20);
            /* a budget smaller than the data */
            fl_arrow_batch_t *b;
            assert_int_equal(fl_arrow_decode(a, &rt, n, out.p, out.len, 64, &b), FL_ERR__OVERFLOW);
        } else {
            /* offsets that go backwards (c_string: buffers 21..23; offsets at 22) */
            size_t at = l.body + (size_t)ld64(out.p + l.bufs + 16 * 22);
            RESET();
            st64(p + at + 8, 0x7fffffff);
            assert_int_not_equal(try_decode(&rt, n, p, out.len), 0);
        }
        /* wrong row type: one column less */
        fl_type_t less = rt;
        less.n_children--;
        assert_int_not_equal(try_decode(&less, n, out.p, out.len), 0);
#undef RESET
        fl_free(p);
        fl_buf_free(&out);
    }
    fl_arena_destroy(a);
}

/* The flatbuffer reader on hand-made inputs. */
static void test_flatbuf_reader(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_fbb_t b;
    fl_fbb_init(&b, &buf);
    fl_fbb_field_t f[] = {{.id = 0, .size = 8, .value = 0x1122334455667788ULL},
                          {.id = 2, .size = 2, .value = 0xfffe},
                          {.id = 3, .size = 4, .is_ref = true}};
    size_t t = fl_fbb_table(&b, f, 3);
    fl_fbb_patch_ref(&b, f[2].pos, fl_fbb_string(&b, "hey", 3));
    fl_fbb_finish(&b, t);
    assert_int_equal(buf.len % 8, 0);
    assert_int_equal(f[0].pos % 8, 0);
    fl_reader_t rd;
    fl_rd_init(&rd, buf.p, buf.len);
    fl_fbt_t tab;
    assert_true(fl_fb_root(&rd, &tab));
    assert_true(fl_fb_int(&rd, &tab, 0, 8, 0) == 0x1122334455667788LL);
    assert_int_equal(fl_fb_int(&rd, &tab, 1, 4, 42), 42); /* absent */
    assert_int_equal(fl_fb_int(&rd, &tab, 2, 2, 0), -2);
    assert_int_equal(fl_fb_int(&rd, &tab, 9, 4, 7), 7); /* beyond the vtable */
    fl_view_t s = fl_fb_string(&rd, &tab, 3);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.p, "hey", 3);
    assert_int_equal(rd.err, FL_ERR_NONE);
    /* a field slot pointing past the object is caught */
    fl_reader_t rd2;
    uint8_t *c = fl_malloc(buf.len);
    memcpy(c, buf.p, buf.len);
    c[tab.vt + 4] = 0xf0;
    fl_rd_init(&rd2, c, buf.len);
    assert_true(fl_fb_root(&rd2, &tab));
    fl_fb_int(&rd2, &tab, 0, 8, 0);
    assert_int_equal(rd2.err, FL_ERR_CORRUPT_MESSAGE);
    /* a string whose count runs past the end */
    memcpy(c, buf.p, buf.len);
    fl_rd_init(&rd2, c, buf.len);
    assert_true(fl_fb_root(&rd2, &tab));
    size_t str_at = f[2].pos + (size_t)fl_fb_int(&rd2, &tab, 3, 4, 0);
    c[str_at + 3] = 0x7f;
    fl_fb_string(&rd2, &tab, 3);
    assert_int_equal(rd2.err, FL_ERR_CORRUPT_MESSAGE);
    fl_free(c);
    fl_buf_free(&buf);
}

/* ======================================================================================== */
/* the pyarrow peer (check_arrow.py)                                                        */
/* ======================================================================================== */

#define PEER_ROWS 37

static int write_file(const char *dir, const char *name, const fl_buf_t *buf) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return perror(path), 1;
    size_t w = fwrite(buf->p, 1, buf->len, f);
    return fclose(f) != 0 || w != buf->len;
}

static void put_eos(fl_buf_t *b) {
    fl_buf_put_i32le(b, -1);
    fl_buf_put_i32le(b, 0);
}

static int peer_write(const char *dir) {
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const fl_datum_t **rows = gen_rows(a, &rt, PEER_ROWS);
    static const char *const files[] = {"c_none.arrows", "c_lz4.arrows", "c_zstd.arrows"};
    int rc = 0;
    for (int codec = 0; codec <= FL_ARROW_CODEC_ZSTD && !rc; codec++) {
        fl_buf_t s;
        fl_buf_init(&s);
        rc |= fl_arrow_encode_schema(&rt, &s) != FL_ERR_NONE;
        rc |= fl_arrow_encode(&rt, rows, PEER_ROWS, (fl_arrow_codec_t)codec, 3, &s) != 0;
        /* a second batch with one row (single-byte bitmaps) */
        rc |= fl_arrow_encode(&rt, rows + 5, 1, (fl_arrow_codec_t)codec, 3, &s) != 0;
        put_eos(&s);
        rc |= write_file(dir, files[codec], &s);
        fl_buf_free(&s);
    }
    /* projection of the ZSTD batch onto columns 1, 8, 10, 24..27 */
    static const uint32_t sel[] = {1, 8, 10, 24, 25, 26, 27};
    fl_type_t pk[FL_ARRAY_LEN(sel)];
    const char *pn[FL_ARRAY_LEN(sel)];
    for (size_t i = 0; i < FL_ARRAY_LEN(sel); i++)
        pk[i] = rt.children[sel[i]], pn[i] = col_names[sel[i]];
    fl_type_t pt = mk_row(a, FL_ARRAY_LEN(sel), pk, pn, false);
    fl_buf_t msg, s;
    fl_buf_init(&msg);
    fl_buf_init(&s);
    rc |= fl_arrow_encode(&rt, rows, PEER_ROWS, FL_ARROW_CODEC_ZSTD, 3, &msg) != 0;
    rc |= fl_arrow_encode_schema(&pt, &s) != 0;
    rc |= fl_arrow_project(&rt, msg.p, msg.len, sel, FL_ARRAY_LEN(sel), &s) != 0;
    put_eos(&s);
    rc |= write_file(dir, "c_projected.arrows", &s);
    fl_buf_free(&msg);
    fl_buf_free(&s);
    fl_arena_destroy(a);
    return rc;
}

/* Decode every record batch of a pyarrow stream (after its schema message); the batches hold
 * the generated rows 0..n-1 in order. */
static int peer_read(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return perror(path), 1;
    fl_buf_t in;
    fl_buf_init(&in);
    uint8_t tmp[65536];
    size_t r;
    while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0) fl_buf_put(&in, tmp, r);
    fclose(f);
    fl_arena_t *a = fl_arena_new(0);
    fl_type_t rt = all_types(a);
    const fl_datum_t **rows = gen_rows(a, &rt, PEER_ROWS);
    int rc = 0, batches = 0, row0 = 0;
    size_t off = 0;
    bool first = true;
    while (off + 8 <= in.len && !rc) {
        fl_reader_t rd;
        fl_rd_init(&rd, in.p + off, in.len - off);
        int32_t cont = fl_rd_i32le(&rd), mlen = fl_rd_i32le(&rd);
        if (cont != -1 || mlen < 0) return fprintf(stderr, "bad stream framing\n"), 1;
        if (mlen == 0) break; /* end of stream */
        if (first) { /* the schema message has no body */
            off += 8 + (size_t)mlen;
            first = false;
            continue;
        }
        fl_arrow_batch_t *b;
        fl_err_t err = fl_arrow_decode(a, &rt, -1, in.p + off, in.len - off, 0, &b);
        if (err) {
            fprintf(stderr, "%s: batch %d: %s\n", path, batches, fl_err2name(err));
            rc = 1;
            break;
        }
        if (row0 + b->n_rows > PEER_ROWS) return fprintf(stderr, "too many rows\n"), 1;
        int bad = batch_mismatches(a, b, &rt, rows + row0, (int)b->n_rows, NULL);
        /* and the same batch projected (pyarrow's layout: empty validity buffers, C++ frames) */
        static const uint32_t sel[] = {0, 8, 12, 25, 27};
        fl_type_t pk[FL_ARRAY_LEN(sel)];
        const char *pn[FL_ARRAY_LEN(sel)];
        for (size_t k = 0; k < FL_ARRAY_LEN(sel); k++)
            pk[k] = rt.children[sel[k]], pn[k] = col_names[sel[k]];
        fl_type_t pt = mk_row(a, FL_ARRAY_LEN(sel), pk, pn, false);
        fl_buf_t proj;
        fl_buf_init(&proj);
        fl_arrow_batch_t *pb = NULL;
        err = fl_arrow_project(&rt, in.p + off, in.len - off, sel, FL_ARRAY_LEN(sel), &proj);
        if (!err) err = fl_arrow_decode(a, &pt, b->n_rows, proj.p, proj.len, 0, &pb);
        if (err || batch_mismatches(a, pb, &rt, rows + row0, (int)b->n_rows, sel)) {
            fprintf(stderr, "%s: batch %d: projection failed (%s)\n", path, batches,
                    fl_err2name(err));
            rc = 1;
        }
        fl_buf_free(&proj);
        fprintf(stderr, "%s: batch %d: %lld rows, codec %d, %d mismatches, projected %s\n",
                path, batches, (long long)b->n_rows, (int)b->codec, bad, pb ? "ok" : "-");
        if (bad) rc = 1;
        row0 += (int)b->n_rows;
        off += b->msg_len;
        batches++;
    }
    if (!rc && row0 != PEER_ROWS) {
        fprintf(stderr, "%s: %d rows, want %d\n", path, row0, PEER_ROWS);
        rc = 1;
    }
    fl_arena_destroy(a);
    fl_buf_free(&in);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--write")) return peer_write(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--read")) return peer_read(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatbuf_reader),
        cmocka_unit_test(test_java_layout),
        cmocka_unit_test(test_roundtrip_none),
        cmocka_unit_test(test_roundtrip_zstd),
        cmocka_unit_test(test_roundtrip_lz4),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_metadata_fuzz),
        cmocka_unit_test(test_targeted_corruption),
    };
    return cmocka_run_group_tests_name("protocol_arrow", tests, NULL, NULL);
}
