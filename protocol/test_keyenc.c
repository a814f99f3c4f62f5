/* test_keyenc.c: CompactedKeyEncoder, PaimonKeyEncoder and IcebergKeyEncoder against bytes the
 * Java v0.9.1 classes produce (fluss-formats.md 9.2, CompactedKeyEncoderTest, the 23-field
 * encoded_key.hex vector) and, for Iceberg, the hash values of the Iceberg spec appendix B. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fl_bucket.h"
#include "fl_keyenc.h"
#include "fl_row.h"

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
    return n;
}

static void assert_buf_hex(const fl_buf_t *buf, const char *hex) {
    static uint8_t want[4096];
    size_t n = unhex(hex, want, sizeof(want));
    if (buf->len != n || memcmp(buf->p, want, n)) {
        fprintf(stderr, "got  ");
        for (size_t i = 0; i < buf->len; i++) fprintf(stderr, "%02x", buf->p[i]);
        fprintf(stderr, "\nwant %s\n", hex);
        fail();
    }
}

static fl_type_t ty(fl_type_root_t r) {
    fl_type_t t;
    memset(&t, 0, sizeof(t));
    t.root = r;
    t.nullable = true;
    return t;
}
static fl_type_t ty_p(fl_type_root_t r, int32_t p) {
    fl_type_t t = ty(r);
    t.precision = p;
    t.length = p;
    return t;
}
static fl_type_t ty_nest(fl_type_root_t r, fl_type_t *c, uint32_t n) {
    fl_type_t t = ty(r);
    t.children = c;
    t.n_children = n;
    return t;
}
static fl_datum_t dn(void) {
    fl_datum_t d;
    memset(&d, 0, sizeof(d));
    d.is_null = true;
    return d;
}
static fl_datum_t dv(void) {
    fl_datum_t d = dn();
    d.is_null = false;
    return d;
}
static fl_datum_t d_i32(int32_t v) { fl_datum_t d = dv(); d.v.i32 = v; return d; }
static fl_datum_t d_i64(int64_t v) { fl_datum_t d = dv(); d.v.i64 = v; return d; }
static fl_datum_t d_str(const char *s) {
    fl_datum_t d = dv();
    d.v.bytes.p = (const uint8_t *)s;
    d.v.bytes.len = (uint32_t)strlen(s);
    return d;
}
static fl_datum_t d_ts(int64_t ms, int32_t ns) {
    fl_datum_t d = dv();
    d.v.ts.millis = ms;
    d.v.ts.nanos = ns;
    return d;
}
static fl_datum_t d_dec(int64_t unscaled) {
    fl_datum_t d = dv();
    d.v.dec.unscaled = unscaled;
    return d;
}
static fl_datum_t d_list(const fl_datum_t *items, const fl_datum_t *values, uint32_t n) {
    fl_datum_t d = dv();
    d.v.list.items = items;
    d.v.list.values = values;
    d.v.list.n = n;
    return d;
}

static void test_compacted_java_unit(void **state) {
    (void)state;
    fl_type_t f[3] = {ty(FL_T_INTEGER), ty(FL_T_BIGINT), ty(FL_T_INTEGER)};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 3);
    uint32_t idx[3] = {0, 1, 2};
    fl_datum_t r1[3] = {d_i32(1), d_i64(3), d_i32(2)};
    fl_datum_t r2[3] = {d_i32(2), d_i64(5), d_i32(6)};
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r1, idx, 3, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "010302");
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r2, idx, 3, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "020506");
    /* testEncodeKeyWithKeyNames: (STRING p1, BIGINT 1, STRING a2), key f2 -> 02 61 32 */
    fl_type_t g[3] = {ty(FL_T_STRING), ty(FL_T_BIGINT), ty(FL_T_STRING)};
    fl_type_t rg = ty_nest(FL_T_ROW, g, 3);
    fl_datum_t r3[3] = {d_str("p1"), d_i64(1), d_str("a2")};
    uint32_t k2 = 2;
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rg, r3, &k2, 1, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "026132");
    /* null key field */
    r1[1] = dn();
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r1, idx, 3, &buf), FL_ERR__INVAL);
    assert_int_equal(buf.len, 0);
    /* bad index */
    uint32_t bad = 3;
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r2, &bad, 1, &buf), FL_ERR__INVAL);
    fl_buf_free(&buf);
}

/* The 23-field all-types vector (encoded_key.hex; also fluss-rust's
 * test_all_data_types_java_compatible for the first 22 fields). */
static const char *ALL_TYPES_HEX =
    "01 02 0A00 64 D295FCD8CEB1AAAAAB01 33335341 EC51B81E856B2E40 C79901 C0B3A710"
    " 0A31323334353637383930 023230 0131 0568656C6C6F 09 010A DE9FD7B5B631 DE9FD7B5B63100"
    " DE9FD7B5B631 DE9FD7B5B63100"
    " 30 09000000 40000000 01000000 02000000 03000000 04000000 05000000 F5FFFFFF 00000000"
    " BC010000 5A8F0100 00000000"
    " 20 06000000 00000000 CDCCCC3D CDCC8C3F 000000BF 3333D340 FFFF7F7F 01000000"
    " 58 03000000 02000000 20000000 20000000 0000000000000000 18000000 40000000"
    " 03000000 02000000 6100000000000081 0000000000000000 6300000000000081"
    " 02000000 00000000 68656C6C6F000085 776F726C64000085"
    " 3C 18000000 03000000 00000000 00000000 01000000 02000000 00000000"
    " 03000000 01000000 0000000000000000 3100000000000081 3200000000000081";

static void test_compacted_all_types(void **state) {
    (void)state;
    fl_type_t el_int = ty(FL_T_INTEGER), el_float = ty(FL_T_FLOAT), el_str = ty(FL_T_STRING);
    el_float.nullable = false;
    fl_type_t el_arr_str = ty_nest(FL_T_ARRAY, &el_str, 1);
    fl_type_t map_kv[2] = {ty(FL_T_INTEGER), ty(FL_T_STRING)};
    map_kv[0].nullable = false;
    fl_type_t dec52 = ty_p(FL_T_DECIMAL, 5), dec200 = ty_p(FL_T_DECIMAL, 20);
    dec52.scale = 2;
    fl_type_t f[23] = {ty(FL_T_BOOLEAN), ty(FL_T_TINYINT), ty(FL_T_SMALLINT), ty(FL_T_INTEGER),
                       ty(FL_T_BIGINT), ty(FL_T_FLOAT), ty(FL_T_DOUBLE), ty(FL_T_DATE),
                       ty(FL_T_TIME), ty_p(FL_T_BINARY, 20), ty(FL_T_BYTES), ty_p(FL_T_CHAR, 2),
                       ty(FL_T_STRING), dec52, dec200, ty_p(FL_T_TIMESTAMP, 1),
                       ty_p(FL_T_TIMESTAMP, 5), ty_p(FL_T_TIMESTAMP_LTZ, 1),
                       ty_p(FL_T_TIMESTAMP_LTZ, 5), ty_nest(FL_T_ARRAY, &el_int, 1),
                       ty_nest(FL_T_ARRAY, &el_float, 1), ty_nest(FL_T_ARRAY, &el_arr_str, 1),
                       ty_nest(FL_T_MAP, map_kv, 2)};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 23);

    fl_datum_t ai[9];
    int32_t ints[9] = {1, 2, 3, 4, 5, -11, 0, 444, 102234};
    for (int i = 0; i < 9; i++) ai[i] = d_i32(ints[i]);
    ai[6] = dn();
    fl_datum_t af[6];
    float fmin;
    uint32_t one = 1;
    memcpy(&fmin, &one, 4);
    float fl[6] = {0.1f, 1.1f, -0.5f, 6.6f, 3.40282346638528859812e+38F, fmin};
    for (int i = 0; i < 6; i++) {
        af[i] = dv();
        af[i].v.f32 = fl[i];
    }
    fl_datum_t in0[3] = {d_str("a"), dn(), d_str("c")};
    fl_datum_t in2[2] = {d_str("hello"), d_str("world")};
    fl_datum_t outer[3] = {d_list(in0, NULL, 3), dn(), d_list(in2, NULL, 2)};
    fl_datum_t mk[3] = {d_i32(0), d_i32(1), d_i32(2)};
    fl_datum_t mv[3] = {dn(), d_str("1"), d_str("2")};

    fl_datum_t r[23];
    for (int i = 0; i < 23; i++) r[i] = dv();
    r[0].v.b = true;
    r[1].v.i8 = 2;
    r[2].v.i16 = 10;
    r[3].v.i32 = 100;
    r[4].v.i64 = -6101065172474983726LL;
    r[5].v.f32 = 13.2f;
    r[6].v.f64 = 15.21;
    r[7].v.i32 = 19655;    /* 2023-10-25 */
    r[8].v.i32 = 34200000; /* 09:30:00.0 */
    r[9] = d_str("1234567890");
    r[10] = d_str("20");
    r[11] = d_str("1");
    r[12] = d_str("hello");
    r[13] = d_dec(9);
    r[14] = d_dec(10); /* non-compact from an int64: BigInteger(10).toByteArray() = 0a */
    for (int i = 15; i < 19; i++) r[i] = d_ts(1698235273182LL, 0);
    r[19] = d_list(ai, NULL, 9);
    r[20] = d_list(af, NULL, 6);
    r[21] = d_list(outer, NULL, 3);
    r[22] = d_list(mk, mv, 3);
    uint32_t idx[23];
    for (uint32_t i = 0; i < 23; i++) idx[i] = i;

    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r, idx, 23, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, ALL_TYPES_HEX);

    /* CompactedKeyDecoder: decode back and re-encode to the same bytes; every truncation fails */
    fl_arena_t *arena = fl_arena_new(0);
    fl_datum_t *got;
    assert_int_equal(fl_row_decode_compacted_key(&rt, buf.p, buf.len, arena, &got), FL_ERR_NONE);
    assert_int_equal(got[4].v.i64, -6101065172474983726LL);
    assert_int_equal(got[21].v.list.n, 3);
    assert_true(got[21].v.list.items[1].is_null);
    assert_int_equal(got[21].v.list.items[2].v.list.items[1].v.bytes.len, 5);
    assert_memory_equal(got[21].v.list.items[2].v.list.items[1].v.bytes.p, "world", 5);
    assert_true(got[22].v.list.values[0].is_null);
    fl_buf_t again;
    fl_buf_init(&again);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, got, idx, 23, &again),
                     FL_ERR_NONE);
    assert_int_equal(again.len, buf.len);
    assert_memory_equal(again.p, buf.p, buf.len);
    for (size_t cut = 0; cut < buf.len; cut++) {
        uint8_t *copy = fl_malloc(cut ? cut : 1);
        memcpy(copy, buf.p, cut);
        assert_int_not_equal(fl_row_decode_compacted_key(&rt, copy, cut, arena, &got),
                             FL_ERR_NONE);
        fl_free(copy);
    }
    fl_arena_destroy(arena);
    fl_buf_free(&again);
    fl_buf_free(&buf);
}

/* Row (id INT 200, name STRING "hello world!"): keys and buckets from fluss-formats.md 9.2. */
static void test_keys_and_buckets_9_2(void **state) {
    (void)state;
    fl_type_t f[2] = {ty(FL_T_INTEGER), ty(FL_T_STRING)};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 2);
    fl_datum_t r[2] = {d_i32(200), d_str("hello world!")};
    uint32_t both[2] = {0, 1}, id = 0;
    int32_t bucket;
    fl_buf_t buf;
    fl_buf_init(&buf);

    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r, both, 2, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "c8010c68656c6c6f20776f726c6421");
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, buf.p, buf.len, 16, &bucket), FL_ERR_NONE);
    assert_int_equal(bucket, 3);

    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_PAIMON, &rt, r, both, 2, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "0000000000000000c8000000000000000c0000001800000068656c6c6f20776f72"
                         "6c642100000000");
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_PAIMON, buf.p, buf.len, 16, &bucket),
                     FL_ERR_NONE);
    assert_int_equal(bucket, 11);

    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_PAIMON, &rt, r, &id, 1, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "0000000000000000c800000000000000");
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_PAIMON, buf.p, buf.len, 16, &bucket),
                     FL_ERR_NONE);
    assert_int_equal(bucket, 11);

    /* CompactedKey(INT 200) = c8 01: tail byte c8 is sign-extended as in Java (Rust gives 10) */
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &rt, r, &id, 1, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "c801");
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, buf.p, buf.len, 16, &bucket), FL_ERR_NONE);
    assert_int_equal(bucket, 6);
    fl_buf_free(&buf);
}

/* Paimon layout details: null bits start at bit 8, non-compact decimal and timestamp go to
 * the variable part, 8 fields need a 16-byte header. */
static void test_paimon_layout(void **state) {
    (void)state;
    fl_type_t f[3] = {ty(FL_T_STRING), ty_p(FL_T_DECIMAL, 20), ty_p(FL_T_TIMESTAMP, 6)};
    fl_type_t rt = ty_nest(FL_T_ROW, f, 3);
    fl_datum_t r[3] = {dn(), d_dec(-2), d_ts(5, 7000)};
    uint32_t idx[3] = {0, 1, 2};
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_PAIMON, &rt, r, idx, 3, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "0001000000000000"           /* RowKind 0, field 0 null (bit 8) */
                         "0000000000000000"           /* slot 0: null */
                         "0100000020000000"           /* slot 1: 1 byte at offset 32 */
                         "581b000030000000"           /* slot 2: nanos 7000 at offset 48 */
                         "fe00000000000000 0000000000000000" /* 16 bytes: fe then zeros */
                         "0500000000000000");         /* millis */
    /* 57 fields: (57 + 63 + 8) / 64 * 8 = 16 header bytes */
    fl_type_t many[57];
    fl_datum_t mr[57];
    uint32_t midx[57];
    for (int i = 0; i < 57; i++) {
        many[i] = ty(FL_T_TINYINT);
        mr[i] = dv();
        mr[i].v.i8 = (int8_t)i;
        midx[i] = (uint32_t)i;
    }
    mr[56] = dn();
    fl_type_t mt = ty_nest(FL_T_ROW, many, 57);
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_PAIMON, &mt, mr, midx, 57, &buf), FL_ERR_NONE);
    assert_int_equal(buf.len, 16 + 8 * 57);
    assert_int_equal(buf.p[8], 0x01); /* bit 64 = field 56 */
    assert_int_equal(buf.p[16 + 8 * 55], 55);
    /* nested types are rejected */
    fl_type_t el = ty(FL_T_INTEGER);
    fl_type_t fa[1] = {ty_nest(FL_T_ARRAY, &el, 1)};
    fl_type_t ra = ty_nest(FL_T_ROW, fa, 1);
    fl_datum_t va[1] = {d_list(NULL, NULL, 0)};
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_PAIMON, &ra, va, idx, 1, &buf), FL_ERR__INVAL);
    assert_int_equal(buf.len, 0);
    fl_buf_free(&buf);
}

/* Iceberg: the encoded bytes hashed with Murmur3 must give the Iceberg spec's appendix B
 * values (the IcebergKeyEncoder's whole purpose), plus the exact bytes for each type. */
static void test_iceberg(void **state) {
    (void)state;
    struct {
        fl_type_t t;
        fl_datum_t d;
        int32_t spec_hash;
    } c[7];
    c[0].t = ty(FL_T_INTEGER);
    c[0].d = d_i32(34);
    c[0].spec_hash = 2017239379;
    c[1].t = ty(FL_T_BIGINT);
    c[1].d = d_i64(34);
    c[1].spec_hash = 2017239379;
    c[2].t = ty_p(FL_T_DECIMAL, 9);
    c[2].t.scale = 2;
    c[2].d = d_dec(1420); /* 14.20 */
    c[2].spec_hash = -500754589;
    c[3].t = ty(FL_T_DATE);
    c[3].d = d_i32(17486); /* 2017-11-16 */
    c[3].spec_hash = -653330422;
    c[4].t = ty(FL_T_TIME);
    c[4].d = d_i32(81068000); /* 22:31:08 in ms */
    c[4].spec_hash = -662762989;
    c[5].t = ty_p(FL_T_TIMESTAMP, 6);
    c[5].d = d_ts(1510871468000LL, 0); /* 2017-11-16T22:31:08 */
    c[5].spec_hash = -2047944441;
    c[6].t = ty(FL_T_STRING);
    c[6].d = d_str("iceberg");
    c[6].spec_hash = 1210000089;
    fl_buf_t buf;
    fl_buf_init(&buf);
    uint32_t idx = 0;
    for (size_t i = 0; i < FL_ARRAY_LEN(c); i++) {
        fl_type_t rt = ty_nest(FL_T_ROW, &c[i].t, 1);
        fl_buf_reset(&buf);
        assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &rt, &c[i].d, &idx, 1, &buf),
                         FL_ERR_NONE);
        assert_int_equal((int32_t)fl_murmur3_32(buf.p, buf.len, 0), c[i].spec_hash);
    }
    /* binary 00 01 02 03 -> -188683207 */
    static const uint8_t b4[] = {0, 1, 2, 3};
    fl_type_t tb = ty(FL_T_BYTES);
    fl_type_t rb = ty_nest(FL_T_ROW, &tb, 1);
    fl_datum_t db = dv();
    db.v.bytes.p = b4;
    db.v.bytes.len = 4;
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &rb, &db, &idx, 1, &buf), FL_ERR_NONE);
    assert_int_equal((int32_t)fl_murmur3_32(buf.p, buf.len, 0), -188683207);
    /* exact bytes: INT 42 as int64 LE; timestamp micros include nanos / 1000 */
    fl_type_t ti = ty(FL_T_INTEGER);
    fl_type_t ri = ty_nest(FL_T_ROW, &ti, 1);
    fl_datum_t di = d_i32(42);
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &ri, &di, &idx, 1, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "2a00000000000000");
    fl_type_t tt = ty_p(FL_T_TIMESTAMP, 9);
    fl_type_t rtt = ty_nest(FL_T_ROW, &tt, 1);
    fl_datum_t dt = d_ts(1, 1999);
    fl_buf_reset(&buf);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &rtt, &dt, &idx, 1, &buf), FL_ERR_NONE);
    assert_buf_hex(&buf, "e903000000000000"); /* 1000 + 1 */
    /* unsupported: TINYINT, BOOLEAN, TIMESTAMP_LTZ, two keys, null */
    fl_type_t bad[3] = {ty(FL_T_TINYINT), ty(FL_T_BOOLEAN), ty_p(FL_T_TIMESTAMP_LTZ, 3)};
    for (int i = 0; i < 3; i++) {
        fl_type_t rbad = ty_nest(FL_T_ROW, &bad[i], 1);
        fl_datum_t z = dv();
        assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &rbad, &z, &idx, 1, &buf),
                         FL_ERR__INVAL);
    }
    fl_type_t two[2] = {ty(FL_T_INTEGER), ty(FL_T_INTEGER)};
    fl_type_t r2 = ty_nest(FL_T_ROW, two, 2);
    fl_datum_t v2[2] = {d_i32(1), d_i32(2)};
    uint32_t i2[2] = {0, 1};
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &r2, v2, i2, 2, &buf), FL_ERR__INVAL);
    fl_datum_t nul = dn();
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &ri, &nul, &idx, 1, &buf),
                     FL_ERR__INVAL);
    fl_buf_free(&buf);
}

static void test_encoder_choice(void **state) {
    (void)state;
    fl_keyenc_kind_t k;
    assert_int_equal(fl_keyenc_for_bucket(NULL, &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_COMPACTED);
    assert_int_equal(fl_keyenc_for_bucket("lance", &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_COMPACTED);
    assert_int_equal(fl_keyenc_for_bucket("PAIMON", &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_PAIMON);
    assert_int_equal(fl_keyenc_for_bucket("iceberg", &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_ICEBERG);
    assert_int_equal(fl_keyenc_for_bucket("hudi", &k), FL_ERR__INVAL);
    assert_int_equal(fl_keyenc_for_pk("paimon", 2, false, &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_COMPACTED);
    assert_int_equal(fl_keyenc_for_pk("paimon", 2, true, &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_PAIMON);
    assert_int_equal(fl_keyenc_for_pk("paimon", 0, false, &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_PAIMON);
    assert_int_equal(fl_keyenc_for_pk("paimon", 3, false, &k), FL_ERR__INVAL);
    assert_int_equal(fl_keyenc_for_pk(NULL, 1, false, &k), FL_ERR_NONE);
    assert_int_equal(k, FL_KEYENC_COMPACTED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compacted_java_unit),
        cmocka_unit_test(test_compacted_all_types),
        cmocka_unit_test(test_keys_and_buckets_9_2),
        cmocka_unit_test(test_paimon_layout),
        cmocka_unit_test(test_iceberg),
        cmocka_unit_test(test_encoder_choice),
    };
    return cmocka_run_group_tests_name("protocol_keyenc", tests, NULL, NULL);
}
