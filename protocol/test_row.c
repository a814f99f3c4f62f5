/* test_row.c: CompactedRow / IndexedRow / BinaryArray / BinaryMap against the bytes the Java
 * v0.9.1 classes produce (fluss-formats.md 9.2, encoded_key.hex), round trips of nested
 * values, and malformed input (every truncation, bad varints, bad lengths, amplification). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fl_row.h"

/* ---- helpers ---- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (const char *s = hex; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9') v = *s - '0';
        else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
        else continue;
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

static fl_type_t ty(fl_type_root_t r) {
    fl_type_t t;
    memset(&t, 0, sizeof(t));
    t.root = r;
    t.nullable = true;
    return t;
}
static fl_type_t ty_p(fl_type_root_t r, int32_t precision) {
    fl_type_t t = ty(r);
    t.precision = precision;
    return t;
}
static fl_type_t ty_len(fl_type_root_t r, int32_t len) {
    fl_type_t t = ty(r);
    t.length = len;
    return t;
}
static fl_type_t ty_dec(int32_t p, int32_t s) {
    fl_type_t t = ty(FL_T_DECIMAL);
    t.precision = p;
    t.scale = s;
    return t;
}
static fl_type_t ty_nest(fl_type_root_t r, fl_type_t *children, uint32_t n) {
    fl_type_t t = ty(r);
    t.children = children;
    t.n_children = n;
    return t;
}

static fl_datum_t d_null(void) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.is_null = true;
    return d;
}
#define D(field, val) ({ fl_datum_t _d; memset(&_d, 0, sizeof(_d)); _d.v.field = (val); _d; })
static fl_datum_t d_str(const char *s) {
    fl_datum_t d = d_null();
    d.is_null = false;
    d.v.bytes.p = (const uint8_t *)s;
    d.v.bytes.len = (uint32_t)strlen(s);
    return d;
}
static fl_datum_t d_bytes(const uint8_t *p, uint32_t n) {
    fl_datum_t d = d_null();
    d.is_null = false;
    d.v.bytes.p = p;
    d.v.bytes.len = n;
    return d;
}
static fl_datum_t d_ts(int64_t ms, int32_t ns) {
    fl_datum_t d = d_null();
    d.is_null = false;
    d.v.ts.millis = ms;
    d.v.ts.nanos = ns;
    return d;
}
static fl_datum_t d_list(const fl_datum_t *items, const fl_datum_t *values, uint32_t n) {
    fl_datum_t d = d_null();
    d.is_null = false;
    d.v.list.items = items;
    d.v.list.values = values;
    d.v.list.n = n;
    return d;
}

static void assert_buf_hex(const fl_buf_t *buf, size_t from, const char *hex) {
    static uint8_t want[8192];
    size_t n = unhex(hex, want, sizeof(want));
    if (buf->len - from != n || memcmp(buf->p + from, want, n)) {
        fprintf(stderr, "got  ");
        for (size_t i = from; i < buf->len; i++) fprintf(stderr, "%02x", buf->p[i]);
        fprintf(stderr, "\nwant %s\n", hex);
        fail();
    }
}

/* Deep equality of two values of type t (non-compact decimals compare their bytes). */
static bool datum_eq(const fl_type_t *t, const fl_datum_t *a, const fl_datum_t *b) {
    if (a->is_null || b->is_null) return a->is_null == b->is_null;
    switch (t->root) {
    case FL_T_BOOLEAN: return a->v.b == b->v.b;
    case FL_T_TINYINT: return a->v.i8 == b->v.i8;
    case FL_T_SMALLINT: return a->v.i16 == b->v.i16;
    case FL_T_INTEGER: case FL_T_DATE: case FL_T_TIME: return a->v.i32 == b->v.i32;
    case FL_T_BIGINT: return a->v.i64 == b->v.i64;
    case FL_T_FLOAT: return memcmp(&a->v.f32, &b->v.f32, 4) == 0 ||
                            (isnan(a->v.f32) && isnan(b->v.f32));
    case FL_T_DOUBLE: return memcmp(&a->v.f64, &b->v.f64, 8) == 0 ||
                             (isnan(a->v.f64) && isnan(b->v.f64));
    case FL_T_CHAR: case FL_T_STRING: case FL_T_BINARY: case FL_T_BYTES:
        return a->v.bytes.len == b->v.bytes.len &&
               (a->v.bytes.len == 0 || !memcmp(a->v.bytes.p, b->v.bytes.p, a->v.bytes.len));
    case FL_T_DECIMAL: {
        if (fl_type_decimal_compact(t)) return a->v.dec.unscaled == b->v.dec.unscaled;
        uint8_t ta[8], tb[8];
        const uint8_t *pa = a->v.dec.big, *pb = b->v.dec.big;
        size_t na = a->v.dec.big_len, nb = b->v.dec.big_len;
        if (!pa) { na = fl_row_unscaled_bytes(a->v.dec.unscaled, ta); pa = ta; }
        if (!pb) { nb = fl_row_unscaled_bytes(b->v.dec.unscaled, tb); pb = tb; }
        return na == nb && !memcmp(pa, pb, na);
    }
    case FL_T_TIMESTAMP: case FL_T_TIMESTAMP_LTZ:
        return a->v.ts.millis == b->v.ts.millis &&
               (fl_type_timestamp_compact(t) || a->v.ts.nanos == b->v.ts.nanos);
    case FL_T_ARRAY:
        if (a->v.list.n != b->v.list.n) return false;
        for (uint32_t i = 0; i < a->v.list.n; i++)
            if (!datum_eq(&t->children[0], &a->v.list.items[i], &b->v.list.items[i])) return false;
        return true;
    case FL_T_MAP:
        if (a->v.list.n != b->v.list.n) return false;
        for (uint32_t i = 0; i < a->v.list.n; i++)
            if (!datum_eq(&t->children[0], &a->v.list.items[i], &b->v.list.items[i]) ||
                !datum_eq(&t->children[1], &a->v.list.values[i], &b->v.list.values[i]))
                return false;
        return true;
    case FL_T_ROW:
        if (a->v.list.n != b->v.list.n || a->v.list.n != t->n_children) return false;
        for (uint32_t i = 0; i < a->v.list.n; i++)
            if (!datum_eq(&t->children[i], &a->v.list.items[i], &b->v.list.items[i])) return false;
        return true;
    default: return false;
    }
}

static void assert_row_eq(const fl_type_t *rt, const fl_datum_t *a, const fl_datum_t *b) {
    for (uint32_t i = 0; i < rt->n_children; i++) {
        if (!datum_eq(&rt->children[i], &a[i], &b[i])) {
            fprintf(stderr, "field %u differs\n", i);
            fail();
        }
    }
}

/* Decode, compare with want, re-encode to the same bytes; then every truncation and one extra
 * byte must fail without crashing. */
static void check_codec(fl_row_format_t fmt, const fl_type_t *rt, const uint8_t *enc, size_t n,
                        const fl_datum_t *want, bool reencode_same) {
    fl_arena_t *arena = fl_arena_new(0);
    fl_datum_t *got;
    assert_int_equal(fl_row_decode(fmt, rt, enc, n, arena, &got), FL_ERR_NONE);
    if (want) assert_row_eq(rt, want, got);
    if (reencode_same) {
        fl_buf_t buf;
        fl_buf_init(&buf);
        assert_int_equal(fl_row_encode(fmt, rt, got, &buf), FL_ERR_NONE);
        assert_int_equal(buf.len, n);
        assert_memory_equal(buf.p, enc, n);
        fl_buf_free(&buf);
    }
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = fl_malloc(cut ? cut : 1); /* exact size so ASan sees any over-read */
        memcpy(copy, enc, cut);
        fl_err_t err = fl_row_decode(fmt, rt, copy, cut, arena, &got);
        if (err == FL_ERR_NONE) {
            fprintf(stderr, "truncation at %zu of %zu decoded\n", cut, n);
            fail();
        }
        fl_free(copy);
    }
    uint8_t *longer = fl_malloc(n + 1);
    memcpy(longer, enc, n);
    longer[n] = 0;
    assert_int_equal(fl_row_decode(fmt, rt, longer, n + 1, arena, &got), FL_ERR__TRAILING);
    fl_free(longer);
    fl_arena_destroy(arena);
}

/* Flip every byte to a few values; decoding must never crash or over-read. */
static void fuzz_bytes(fl_row_format_t fmt, const fl_type_t *rt, const uint8_t *enc, size_t n) {
    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x08};
    uint8_t *copy = fl_malloc(n);
    for (size_t i = 0; i < n; i++) {
        for (size_t v = 0; v < FL_ARRAY_LEN(vals); v++) {
            fl_arena_t *arena = fl_arena_new(0);
            memcpy(copy, enc, n);
            copy[i] = vals[v];
            fl_datum_t *got;
            (void)fl_row_decode(fmt, rt, copy, n, arena, &got);
            fl_arena_destroy(arena);
        }
    }
    fl_free(copy);
}

/* ---- the 14-column vector (fluss-formats.md 9.2) ---- */

static fl_type_t k14_fields[14];
static fl_type_t k14_row;
static fl_datum_t k14_vals[14];
static const uint8_t k14_bytes[] = {1, 2, 3};
static const uint8_t k14_bin[] = {9, 8};
static const uint8_t k14_dec20[] = {0x85}; /* BigInteger(-123).toByteArray() */

static void k14_setup(void) {
    fl_type_t f[14] = {
        ty(FL_T_INTEGER), ty(FL_T_BIGINT), ty(FL_T_STRING), ty(FL_T_BOOLEAN),
        ty(FL_T_SMALLINT), ty(FL_T_DOUBLE), ty_dec(10, 2), ty_dec(20, 2),
        ty_p(FL_T_TIMESTAMP, 3), ty_p(FL_T_TIMESTAMP_LTZ, 6), ty(FL_T_DATE), ty(FL_T_BYTES),
        ty_len(FL_T_CHAR, 3), ty_len(FL_T_BINARY, 4)};
    memcpy(k14_fields, f, sizeof(f));
    k14_row = ty_nest(FL_T_ROW, k14_fields, 14);
    fl_datum_t dec10 = d_null(), dec20 = d_null();
    dec10.is_null = dec20.is_null = false;
    dec10.v.dec.unscaled = 12345;
    dec20.v.dec.big = k14_dec20;
    dec20.v.dec.big_len = 1;
    fl_datum_t v[14] = {D(i32, -1), D(i64, 300), d_str("h\xc3\xa9llo"), D(b, true),
                        D(i16, -2), D(f64, 1.5), dec10, dec20,
                        d_ts(1698235273182LL, 0), d_ts(1698235273182LL, 123456), D(i32, 19655),
                        d_bytes(k14_bytes, 3), d_str("ab"), d_bytes(k14_bin, 2)};
    memcpy(k14_vals, v, sizeof(v));
}

static const char *K14_COMPACTED =
    "0000ffffffff0fac020668c3a96c6c6f01feff000000000000f83fb9600185de9fd7b5b631de9fd7b5b631c0c4"
    "07c7990103010203026162020908";
static const char *K14_INDEXED =
    "0000060000000100000003000000ffffffff2c0100000000000068c3a96c6c6f01feff000000000000f83f3930"
    "00000000000085decfb5668b010000decfb5668b01000040e20100c74c000001020361620009080000";

static void test_golden_14_compacted(void **state) {
    (void)state;
    k14_setup();
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &k14_row, k14_vals, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, 0, K14_COMPACTED);
    check_codec(FL_ROW_COMPACTED, &k14_row, buf.p, buf.len, k14_vals, true);
    fuzz_bytes(FL_ROW_COMPACTED, &k14_row, buf.p, buf.len);
    fl_buf_free(&buf);
}

static void test_golden_14_indexed(void **state) {
    (void)state;
    k14_setup();
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_row_encode(FL_ROW_INDEXED, &k14_row, k14_vals, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, 0, K14_INDEXED);
    /* BINARY(4) reads back zero-padded (as Java's getBinary), CHAR(3) without its padding */
    static const uint8_t bin4[] = {9, 8, 0, 0};
    fl_datum_t want[14];
    memcpy(want, k14_vals, sizeof(want));
    want[13] = d_bytes(bin4, 4);
    check_codec(FL_ROW_INDEXED, &k14_row, buf.p, buf.len, want, true);
    fuzz_bytes(FL_ROW_INDEXED, &k14_row, buf.p, buf.len);
    fl_buf_free(&buf);
}

static void test_golden_nulls_and_value(void **state) {
    (void)state;
    fl_type_t f[4] = {ty(FL_T_INTEGER), ty(FL_T_STRING), ty(FL_T_BIGINT), ty(FL_T_STRING)};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 4);
    fl_datum_t v[4] = {d_null(), d_str("x"), d_null(), d_str("yz")};
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &rt, v, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, 0, "05017802797a");
    check_codec(FL_ROW_COMPACTED, &rt, buf.p, buf.len, v, true);
    fl_buf_reset(&buf);
    assert_int_equal(fl_row_encode(FL_ROW_INDEXED, &rt, v, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, 0, "05010000000200000078797a");
    check_codec(FL_ROW_INDEXED, &rt, buf.p, buf.len, v, true);
    /* stored KV value: int16 LE schema id + row */
    fl_buf_reset(&buf);
    assert_int_equal(fl_row_encode_value(FL_ROW_COMPACTED, 1, &rt, v, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, 0, "010005017802797a");
    int16_t sid;
    fl_view_t row;
    assert_int_equal(fl_row_split_value(buf.p, buf.len, &sid, &row), FL_ERR_NONE);
    assert_int_equal(sid, 1);
    assert_int_equal(row.len, 6);
    assert_ptr_equal(row.p, buf.p + 2);
    assert_int_equal(fl_row_split_value(buf.p, 1, &sid, &row), FL_ERR__UNDERFLOW);
    fl_buf_free(&buf);
}

/* ---- nested values: the arrays and map of encoded_key.hex (Java CompactedKeyEncoderTest) ----
 * A CompactedRow writes an ARRAY / MAP exactly as the key writer does, so a row of these four
 * columns is the null-bitmap byte followed by the four key segments. */

static const char *HEX_ARR_INT =
    "30 09000000 40000000 01000000 02000000 03000000 04000000 05000000 f5ffffff 00000000"
    " bc010000 5a8f0100 00000000";
static const char *HEX_ARR_FLOAT =
    "20 06000000 00000000 cdcccc3d cdcc8c3f 000000bf 3333d340 ffff7f7f 01000000";
static const char *HEX_ARR_ARR_STR =
    "58 03000000 02000000 20000000 20000000 0000000000000000 18000000 40000000"
    " 03000000 02000000 6100000000000081 0000000000000000 6300000000000081"
    " 02000000 00000000 68656c6c6f000085 776f726c64000085";
static const char *HEX_MAP =
    "3c 18000000 03000000 00000000 00000000 01000000 02000000 00000000"
    " 03000000 01000000 0000000000000000 3100000000000081 3200000000000081";

static fl_type_t n_int, n_float, n_str, n_arr_str, n_int_nn;
static fl_type_t n_fields[4];
static fl_type_t n_row;
static fl_datum_t n_vals[4];
static fl_datum_t a_int[9], a_float[6], a_inner0[3], a_inner2[2], a_outer[3], m_keys[3], m_vals[3];

static void nested_setup(void) {
    n_int = ty(FL_T_INTEGER);
    n_int_nn = ty(FL_T_INTEGER);
    n_int_nn.nullable = false;
    n_float = ty(FL_T_FLOAT);
    n_float.nullable = false;
    n_str = ty(FL_T_STRING);
    n_arr_str = ty_nest(FL_T_ARRAY, &n_str, 1);
    static fl_type_t map_kv[2];
    map_kv[0] = n_int_nn;
    map_kv[1] = n_str;
    n_fields[0] = ty_nest(FL_T_ARRAY, &n_int, 1);
    n_fields[1] = ty_nest(FL_T_ARRAY, &n_float, 1);
    n_fields[2] = ty_nest(FL_T_ARRAY, &n_arr_str, 1);
    n_fields[3] = ty_nest(FL_T_MAP, map_kv, 2);
    n_row = ty_nest(FL_T_ROW, n_fields, 4);
    int32_t ints[9] = {1, 2, 3, 4, 5, -11, 0, 444, 102234};
    for (int i = 0; i < 9; i++) a_int[i] = D(i32, ints[i]);
    a_int[6] = d_null();
    float fmin;
    uint32_t one = 1;
    memcpy(&fmin, &one, 4); /* Float.MIN_VALUE */
    float fl[6] = {0.1f, 1.1f, -0.5f, 6.6f, 3.40282346638528859812e+38F, fmin};
    for (int i = 0; i < 6; i++) a_float[i] = D(f32, fl[i]);
    a_inner0[0] = d_str("a");
    a_inner0[1] = d_null();
    a_inner0[2] = d_str("c");
    a_inner2[0] = d_str("hello");
    a_inner2[1] = d_str("world");
    a_outer[0] = d_list(a_inner0, NULL, 3);
    a_outer[1] = d_null();
    a_outer[2] = d_list(a_inner2, NULL, 2);
    for (int i = 0; i < 3; i++) m_keys[i] = D(i32, i);
    m_vals[0] = d_null();
    m_vals[1] = d_str("1");
    m_vals[2] = d_str("2");
    n_vals[0] = d_list(a_int, NULL, 9);
    n_vals[1] = d_list(a_float, NULL, 6);
    n_vals[2] = d_list(a_outer, NULL, 3);
    n_vals[3] = d_list(m_keys, m_vals, 3);
}

static void test_golden_arrays_and_map(void **state) {
    (void)state;
    nested_setup();
    char hex[4096];
    snprintf(hex, sizeof(hex), "00 %s %s %s %s", HEX_ARR_INT, HEX_ARR_FLOAT, HEX_ARR_ARR_STR,
             HEX_MAP);
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &n_row, n_vals, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, 0, hex);
    check_codec(FL_ROW_COMPACTED, &n_row, buf.p, buf.len, n_vals, true);
    fuzz_bytes(FL_ROW_COMPACTED, &n_row, buf.p, buf.len);
    fl_buf_free(&buf);
}

/* ---- round trips of everything nested, both formats ---- */

static void test_roundtrip_nested_all(void **state) {
    (void)state;
    /* ROW<a INT, s STRING, d DECIMAL(30,3), t TIMESTAMP(9)> */
    fl_type_t rf[4] = {ty(FL_T_INTEGER), ty(FL_T_STRING), ty_dec(30, 3), ty_p(FL_T_TIMESTAMP, 9)};
    fl_type_t inner_row = ty_nest(FL_T_ROW, rf, 4);
    fl_type_t el_dec_big = ty_dec(25, 2), el_dec = ty_dec(9, 2);
    fl_type_t el_ts = ty_p(FL_T_TIMESTAMP_LTZ, 6), el_ts3 = ty_p(FL_T_TIMESTAMP, 3);
    fl_type_t el_bytes = ty(FL_T_BYTES), el_bool = ty(FL_T_BOOLEAN), el_i8 = ty(FL_T_TINYINT);
    fl_type_t el_i16 = ty(FL_T_SMALLINT), el_i64 = ty(FL_T_BIGINT), el_f64 = ty(FL_T_DOUBLE);
    fl_type_t map_kv[2] = {ty(FL_T_STRING), inner_row};
    fl_type_t f[13] = {
        ty_nest(FL_T_ARRAY, &inner_row, 1), ty_nest(FL_T_ARRAY, &el_dec_big, 1),
        ty_nest(FL_T_ARRAY, &el_dec, 1),    ty_nest(FL_T_ARRAY, &el_ts, 1),
        ty_nest(FL_T_ARRAY, &el_ts3, 1),    ty_nest(FL_T_ARRAY, &el_bytes, 1),
        ty_nest(FL_T_ARRAY, &el_bool, 1),   ty_nest(FL_T_ARRAY, &el_i8, 1),
        ty_nest(FL_T_ARRAY, &el_i16, 1),    ty_nest(FL_T_ARRAY, &el_i64, 1),
        ty_nest(FL_T_ARRAY, &el_f64, 1),    ty_nest(FL_T_MAP, map_kv, 2),
        inner_row};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 13);

    static const uint8_t big[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};
    fl_datum_t r0[4] = {D(i32, 7), d_str("a string longer than seven"), d_null(),
                        d_ts(-5, 999999)};
    fl_datum_t r1[4] = {d_null(), d_str("short"), d_null(), d_ts(1, 1)};
    r0[2] = d_null();
    r0[2].is_null = false;
    r0[2].v.dec.big = big;
    r0[2].v.dec.big_len = sizeof(big);
    r1[2] = d_null();
    r1[2].is_null = false;
    r1[2].v.dec.unscaled = -1; /* non-compact from an int64: bytes ff */
    fl_datum_t rows[3] = {d_list(r0, NULL, 4), d_null(), d_list(r1, NULL, 4)};
    fl_datum_t decs_big[2] = {r0[2], d_null()};
    fl_datum_t decs[3] = {D(i32, 0), d_null(), D(i32, 0)};
    decs[0] = d_null();
    decs[0].is_null = false;
    decs[0].v.dec.unscaled = -987654321;
    decs[2] = decs[0];
    decs[2].v.dec.unscaled = 5;
    fl_datum_t tss[3] = {d_ts(1698235273182LL, 123456), d_null(), d_ts(-1, 0)};
    fl_datum_t ts3[2] = {d_ts(42, 0), d_ts(-42, 0)};
    static const uint8_t b8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    fl_datum_t byts[4] = {d_bytes(b8, 8), d_bytes(b8, 7), d_bytes(b8, 0), d_null()};
    fl_datum_t bools[3] = {D(b, true), D(b, false), d_null()};
    fl_datum_t i8s[2] = {D(i8, -128), D(i8, 127)};
    fl_datum_t i16s[3] = {D(i16, -32768), d_null(), D(i16, 12345)};
    fl_datum_t i64s[2] = {D(i64, INT64_MIN), D(i64, INT64_MAX)};
    fl_datum_t f64s[2] = {D(f64, -0.0), D(f64, NAN)};
    fl_datum_t mk[2] = {d_str("k1"), d_str("a key longer than 7")};
    fl_datum_t mv[2] = {d_list(r1, NULL, 4), d_null()};
    fl_datum_t v[13] = {d_list(rows, NULL, 3), d_list(decs_big, NULL, 2), d_list(decs, NULL, 3),
                        d_list(tss, NULL, 3),  d_list(ts3, NULL, 2),      d_list(byts, NULL, 4),
                        d_list(bools, NULL, 3), d_list(i8s, NULL, 2),     d_list(i16s, NULL, 3),
                        d_list(i64s, NULL, 2), d_list(f64s, NULL, 2),     d_list(mk, mv, 2),
                        d_list(r0, NULL, 4)};
    for (int fmt = 0; fmt < 2; fmt++) {
        fl_buf_t buf;
        fl_buf_init(&buf);
        assert_int_equal(fl_row_encode((fl_row_format_t)fmt, &rt, v, &buf), FL_ERR_NONE);
        check_codec((fl_row_format_t)fmt, &rt, buf.p, buf.len, v, true);
        fuzz_bytes((fl_row_format_t)fmt, &rt, buf.p, buf.len);
        fl_buf_free(&buf);
    }
    /* an empty array and an empty map */
    fl_datum_t e[13];
    memcpy(e, v, sizeof(e));
    e[0] = d_list(NULL, NULL, 0);
    e[11] = d_list(NULL, NULL, 0);
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_row_encode(FL_ROW_INDEXED, &rt, e, &buf), FL_ERR_NONE);
    check_codec(FL_ROW_INDEXED, &rt, buf.p, buf.len, e, true);
    fl_buf_free(&buf);
}

/* ---- encoder argument errors ---- */

static void test_encode_rejects(void **state) {
    (void)state;
    fl_type_t f[1] = {ty_len(FL_T_CHAR, 2)};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 1);
    fl_datum_t v[1] = {d_str("abc")};
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_buf_put_u8(&buf, 0xee);
    assert_int_equal(fl_row_encode(FL_ROW_INDEXED, &rt, v, &buf), FL_ERR__INVAL);
    assert_int_equal(buf.len, 1); /* unchanged on error */
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &rt, v, &buf), FL_ERR_NONE);
    /* a decimal wider than 16 bytes */
    static const uint8_t wide[17] = {1};
    fl_type_t fd[1] = {ty_dec(38, 0)};
    fl_type_t rd = ty_nest(FL_T_ROW, fd, 1);
    fl_datum_t dv[1] = {d_null()};
    dv[0].is_null = false;
    dv[0].v.dec.big = wide;
    dv[0].v.dec.big_len = 17;
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &rd, dv, &buf), FL_ERR__INVAL);
    /* a nested row with the wrong arity */
    fl_type_t inner = ty_nest(FL_T_ROW, f, 1);
    fl_type_t fr[1] = {inner};
    fl_type_t rr = ty_nest(FL_T_ROW, fr, 1);
    fl_datum_t two[2] = {d_str("a"), d_str("b")};
    fl_datum_t rv[1] = {d_list(two, NULL, 2)};
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &rr, rv, &buf), FL_ERR__INVAL);
    fl_buf_free(&buf);
}

static void test_unscaled_bytes(void **state) {
    (void)state;
    struct { int64_t v; const char *hex; } c[] = {
        {0, "00"}, {1, "01"}, {-1, "ff"}, {127, "7f"}, {128, "0080"}, {-128, "80"},
        {-129, "ff7f"}, {-123, "85"}, {12345, "3039"}, {INT64_MAX, "7fffffffffffffff"},
        {INT64_MIN, "8000000000000000"}};
    for (size_t i = 0; i < FL_ARRAY_LEN(c); i++) {
        uint8_t out[8], want[8];
        size_t n = fl_row_unscaled_bytes(c[i].v, out);
        size_t wn = unhex(c[i].hex, want, sizeof(want));
        assert_int_equal(n, wn);
        assert_memory_equal(out, want, n);
    }
}

/* ---- malformed input, one defect at a time ---- */

static fl_err_t dec1(fl_row_format_t fmt, const fl_type_t *rt, const char *hex) {
    uint8_t in[512];
    size_t n = unhex(hex, in, sizeof(in));
    uint8_t *exact = fl_malloc(n ? n : 1);
    memcpy(exact, in, n);
    fl_arena_t *arena = fl_arena_new(0);
    fl_datum_t *out;
    fl_err_t err = fl_row_decode(fmt, rt, exact, n, arena, &out);
    fl_arena_destroy(arena);
    fl_free(exact);
    return err;
}

static void test_malformed(void **state) {
    (void)state;
    fl_type_t fi[1] = {ty(FL_T_INTEGER)};
    fl_type_t r_int = ty_nest(FL_T_ROW, fi, 1);
    fl_type_t fb[1] = {ty(FL_T_BIGINT)};
    fl_type_t r_big = ty_nest(FL_T_ROW, fb, 1);
    fl_type_t fs[1] = {ty(FL_T_STRING)};
    fl_type_t r_str = ty_nest(FL_T_ROW, fs, 1);
    fl_type_t str = ty(FL_T_STRING), i32 = ty(FL_T_INTEGER);
    fl_type_t fa[1] = {ty_nest(FL_T_ARRAY, &str, 1)};
    fl_type_t r_arr = ty_nest(FL_T_ROW, fa, 1);
    fl_type_t fai[1] = {ty_nest(FL_T_ARRAY, &i32, 1)};
    fl_type_t r_arri = ty_nest(FL_T_ROW, fai, 1);
    fl_type_t kv[2] = {i32, str};
    fl_type_t fm[1] = {ty_nest(FL_T_MAP, kv, 2)};
    fl_type_t r_map = ty_nest(FL_T_ROW, fm, 1);
    fl_type_t fd[1] = {ty_dec(20, 0)};
    fl_type_t r_dec = ty_nest(FL_T_ROW, fd, 1);
    fl_type_t ft[1] = {ty_p(FL_T_TIMESTAMP, 6)};
    fl_type_t r_ts = ty_nest(FL_T_ROW, ft, 1);
    fl_type_t ts6 = ty_p(FL_T_TIMESTAMP, 6);
    fl_type_t fat[1] = {ty_nest(FL_T_ARRAY, &ts6, 1)};
    fl_type_t r_arrts = ty_nest(FL_T_ROW, fat, 1);

    /* varints: 6-byte INT, 11-byte BIGINT, a 5th INT byte over 4 bits, unterminated */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, "00 8080808001"), FL_ERR_NONE); /* 2^28 */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, "00 8080808080 01"), FL_ERR__OVERFLOW);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, "00 ffffffff1f"), FL_ERR__OVERFLOW);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, "00 ffffffff0f"), FL_ERR_NONE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_big, "00 ffffffffffffffffff01"), FL_ERR_NONE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_big, "00 ffffffffffffffffff02"),
                     FL_ERR__OVERFLOW);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_big, "00 ffffffffffffffffffff01"),
                     FL_ERR__OVERFLOW);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, "00 80"), FL_ERR__UNDERFLOW);
    /* string length past the end, huge length */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_str, "00 05 6162"), FL_ERR__UNDERFLOW);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_str, "00 ffffffff0f 61"), FL_ERR__UNDERFLOW);
    /* indexed: negative variable length, length past the end */
    assert_int_equal(dec1(FL_ROW_INDEXED, &r_str, "00 ffffffff"), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_INDEXED, &r_str, "00 05000000 6162"), FL_ERR__UNDERFLOW);
    /* decimal of 0 or 17 bytes */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_dec, "00 00"), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_dec, "00 11 0102030405060708090a0b0c0d0e0f1011"),
                     FL_ERR_CORRUPT_MESSAGE);
    /* nanos of the millisecond out of range */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_ts, "00 01 c0843d"), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_ts, "00 01 bf843d"), FL_ERR_NONE);
    assert_int_equal(dec1(FL_ROW_INDEXED, &r_ts, "00 0100000000000000 ffffffff"),
                     FL_ERR_CORRUPT_MESSAGE);
    /* arrays: negative count, count larger than the bytes, a slot pointing outside */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 04 ffffffff"), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 08 ffffff7f00000000"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 10 01000000 00000000 0800000010000000"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 10 01000000 00000000 0100000010000000"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 10 01000000 00000000 08000000ffffffff"),
                     FL_ERR_CORRUPT_MESSAGE);
    /* inline length over 7 */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 10 01000000 00000000 6100000000000088"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 10 01000000 00000000 6100000000000081"),
                     FL_ERR_NONE);
    /* a slot pointing at itself (offset 8, length 8) decodes the slot bytes as a string */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arr, "00 10 01000000 00000000 0800000008000000"),
                     FL_ERR_NONE);
    /* fixed part longer than the array bytes */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arri, "00 08 02000000 00000000"),
                     FL_ERR_CORRUPT_MESSAGE);
    /* non-compact timestamp element with bad nanos / millis outside */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arrts,
                          "00 18 01000000 00000000 40420f0010000000 0000000000000000"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arrts,
                          "00 18 01000000 00000000 3f420f0014000000 0000000000000000"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_arrts,
                          "00 18 01000000 00000000 3f420f0010000000 0000000000000000"),
                     FL_ERR_NONE);
    /* maps: key size past the end, negative, element counts differ */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_map, "00 04 10000000"), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_map, "00 04 ffffffff"), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_map,
                          "00 1c 08000000 00000000 00000000 01000000 00000000 0000000000000081"),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_map,
                          "00 14 08000000 00000000 00000000 00000000 00000000"),
                     FL_ERR_NONE);
    /* the null bitmap itself missing */
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, ""), FL_ERR__UNDERFLOW);
    assert_int_equal(dec1(FL_ROW_COMPACTED, &r_int, "01"), FL_ERR_NONE);
}

/* Slots that share one inner array must not let a small input allocate without bound. */
static void test_amplification_bounded(void **state) {
    (void)state;
    fl_type_t i32 = ty(FL_T_INTEGER);
    fl_type_t inner = ty_nest(FL_T_ARRAY, &i32, 1);
    fl_type_t fa[1] = {ty_nest(FL_T_ARRAY, &inner, 1)};
    fl_type_t rt = ty_nest(FL_T_ROW, fa, 1);
    const uint32_t outer_n = 2000, inner_n = 2000;
    size_t ohdr = 4 + ((outer_n + 31) / 32) * 4, ofixed = (ohdr + 8 * outer_n + 7) & ~7u;
    size_t ihdr = 4 + ((inner_n + 31) / 32) * 4, isize = (ihdr + 4 * inner_n + 7) & ~7u;
    size_t alen = ofixed + isize;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_buf_put_u8(&buf, 0);
    fl_buf_put_uvarint(&buf, alen);
    size_t base = buf.len;
    memset(fl_buf_extend(&buf, alen), 0, alen);
    uint8_t *a = buf.p + base;
    memcpy(a, &outer_n, 4);
    for (uint32_t i = 0; i < outer_n; i++) {
        uint64_t slot = ((uint64_t)ofixed << 32) | isize;
        memcpy(a + ohdr + 8 * i, &slot, 8);
    }
    memcpy(a + ofixed, &inner_n, 4);
    fl_arena_t *arena = fl_arena_new(0);
    fl_datum_t *out;
    assert_int_equal(fl_row_decode(FL_ROW_COMPACTED, &rt, buf.p, buf.len, arena, &out),
                     FL_ERR__OVERFLOW);
    assert_true(fl_arena_used(arena) <= (8 * buf.len + 4096) * sizeof(fl_datum_t));
    fl_arena_destroy(arena);
    /* the same bytes with one outer element decode fine */
    uint32_t one = 1;
    uint64_t slot0 = ((uint64_t)ofixed << 32) | isize;
    memcpy(buf.p + base, &one, 4);
    memcpy(buf.p + base + 8, &slot0, 8); /* n = 1: the header is 8 bytes */
    arena = fl_arena_new(0);
    assert_int_equal(fl_row_decode(FL_ROW_COMPACTED, &rt, buf.p, buf.len, arena, &out),
                     FL_ERR_NONE);
    assert_int_equal(out[0].v.list.n, 1);
    assert_int_equal(out[0].v.list.items[0].v.list.n, inner_n);
    fl_arena_destroy(arena);
    fl_buf_free(&buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_14_compacted),
        cmocka_unit_test(test_golden_14_indexed),
        cmocka_unit_test(test_golden_nulls_and_value),
        cmocka_unit_test(test_golden_arrays_and_map),
        cmocka_unit_test(test_roundtrip_nested_all),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_unscaled_bytes),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_amplification_bounded),
    };
    return cmocka_run_group_tests_name("protocol_row", tests, NULL, NULL);
}
