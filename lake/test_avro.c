/* test_avro.c: Avro binary encoding, schema JSON (Java Schema.toString() form), container files
 * with every codec, and malformed input. The manifests written with this module are read by
 * pypaimon (fastavro) and Paimon Java in lake_paimon_pypaimon / lake_paimon_java, and the Java
 * check compares the header schema text with Paimon's own AvroSchemaConverter output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fl_arena.h"
#include "fl_avro.h"

static void test_zigzag(void **state) {
    (void)state;
    struct {
        int64_t v;
        const char *hex;
    } cases[] = {{0, "00"}, {-1, "01"}, {1, "02"}, {-2, "03"}, {63, "7e"}, {-64, "7f"}, {64, "8001"},
                 {-65, "8101"}, {INT64_MAX, "feffffffffffffffff01"}, {INT64_MIN, "ffffffffffffffffff01"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fl_buf_t b;
        fl_buf_init(&b);
        fl_avro_put_long(&b, cases[i].v);
        char hex[64] = {0};
        for (size_t k = 0; k < b.len; k++) snprintf(hex + 2 * k, 3, "%02x", b.p[k]);
        assert_string_equal(hex, cases[i].hex);
        fl_reader_t rd;
        fl_rd_init(&rd, b.p, b.len);
        fl_arena_t *a = fl_arena_new(0);
        fl_avro_value_t v;
        assert_int_equal(fl_avro_decode(&rd, fl_avro_prim(a, FL_AVRO_LONG), a, &v), 0);
        assert_true(v.v.l == cases[i].v);
        fl_arena_destroy(a);
        fl_buf_free(&b);
    }
}

static fl_avro_schema_t *sample_schema(fl_arena_t *a) {
    fl_avro_schema_t *inner = fl_avro_record(a, "ns.rec_c", 1);
    fl_avro_field_set(a, inner, 0, "x", fl_avro_prim(a, FL_AVRO_STRING), NULL);
    fl_avro_schema_t *other = fl_avro_record(a, "other.r", 1);
    fl_avro_field_set(a, other, 0, "y", fl_avro_prim(a, FL_AVRO_BOOLEAN), NULL);
    fl_avro_schema_t *kv = fl_avro_array(a, fl_avro_prim(a, FL_AVRO_INT));
    fl_avro_add_prop(a, &kv->props, &kv->n_props, "logicalType", "\"map\"");
    fl_avro_schema_t *s = fl_avro_record(a, "ns.rec", 10);
    fl_avro_field_set(a, s, 0, "a", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, s, 1, "b", fl_avro_optional(a, fl_avro_prim(a, FL_AVRO_LONG)), "null");
    fl_avro_field_set(a, s, 2, "c", inner, NULL);
    fl_avro_field_set(a, s, 3, "d", fl_avro_logical(a, FL_AVRO_LONG, "timestamp-millis"), NULL);
    fl_avro_field_set(a, s, 4, "e", fl_avro_decimal(a, FL_AVRO_BYTES, 10, 2), NULL);
    fl_avro_field_set(a, s, 5, "f", fl_avro_array(a, fl_avro_prim(a, FL_AVRO_STRING)), NULL);
    fl_avro_field_set(a, s, 6, "g", fl_avro_map(a, fl_avro_prim(a, FL_AVRO_DOUBLE)), NULL);
    fl_avro_field_set(a, s, 7, "h\"q", other, NULL);
    fl_avro_add_prop(a, &s->fields[7].props, &s->fields[7].n_props, "field-id", "7");
    fl_avro_field_set(a, s, 8, "i", kv, NULL);
    fl_avro_field_set(a, s, 9, "j", fl_avro_prim(a, FL_AVRO_FLOAT), NULL);
    return s;
}

static const char *SAMPLE_JSON =
    "{\"type\":\"record\",\"name\":\"rec\",\"namespace\":\"ns\",\"fields\":["
    "{\"name\":\"a\",\"type\":\"int\"},"
    "{\"name\":\"b\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"c\",\"type\":{\"type\":\"record\",\"name\":\"rec_c\",\"fields\":[{\"name\":\"x\",\"type\":\"string\"}]}},"
    "{\"name\":\"d\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"e\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}},"
    "{\"name\":\"f\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"g\",\"type\":{\"type\":\"map\",\"values\":\"double\"}},"
    "{\"name\":\"h\\\"q\",\"type\":{\"type\":\"record\",\"name\":\"r\",\"namespace\":\"other\",\"fields\":[{\"name\":\"y\",\"type\":\"boolean\"}]},\"field-id\":7},"
    "{\"name\":\"i\",\"type\":{\"type\":\"array\",\"items\":\"int\",\"logicalType\":\"map\"}},"
    "{\"name\":\"j\",\"type\":\"float\"}]}";

static void test_schema_json(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t b;
    fl_buf_init(&b);
    fl_avro_schema_json(sample_schema(a), &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, SAMPLE_JSON);
    /* parse and print again: the same text */
    fl_avro_schema_t *p;
    const char *why;
    assert_int_equal(fl_avro_schema_parse(a, SAMPLE_JSON, strlen(SAMPLE_JSON), &p, &why), 0);
    fl_buf_reset(&b);
    fl_avro_schema_json(p, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, SAMPLE_JSON);
    assert_int_equal(fl_avro_field_index(p, "g"), 6);
    assert_int_equal(fl_avro_field_index(p, "zz"), -1);
    /* named references resolve */
    const char *ref = "{\"type\":\"record\",\"name\":\"n.a\",\"fields\":[{\"name\":\"s\",\"type\":"
                      "{\"type\":\"fixed\",\"name\":\"f16\",\"size\":16}},{\"name\":\"t\",\"type\":\"f16\"},"
                      "{\"name\":\"u\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\"]}}]}";
    assert_int_equal(fl_avro_schema_parse(a, ref, strlen(ref), &p, &why), 0);
    assert_ptr_equal(p->fields[0].type, p->fields[1].type);
    /* malformed schemas */
    const char *bad[] = {"", "{", "{\"type\":\"record\"}", "{\"type\":\"record\",\"name\":\"x\"}",
                         "\"nosuch\"", "[]", "[[\"int\"]]", "{\"type\":\"fixed\",\"name\":\"f\",\"size\":-1}",
                         "{\"type\":\"array\"}", "42"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(fl_avro_schema_parse(a, bad[i], strlen(bad[i]), &p, &why), FL_ERR__INVAL);
    /* nesting deeper than the limit */
    fl_buf_reset(&b);
    for (int i = 0; i < 100; i++) fl_buf_put(&b, "{\"type\":\"array\",\"items\":", 24);
    fl_buf_put(&b, "\"int\"", 5);
    for (int i = 0; i < 100; i++) fl_buf_put_u8(&b, '}');
    assert_int_equal(fl_avro_schema_parse(a, (char *)b.p, b.len, &p, &why), FL_ERR__INVAL);
    fl_buf_free(&b);
    fl_arena_destroy(a);
}

static fl_avro_value_t sample_value(fl_arena_t *a, int i) {
    fl_avro_value_t v = fl_avro_v_list(a, 10);
    v.v.items[0] = fl_avro_v_int(i * 7 - 3);
    v.v.items[1] = i % 3 ? fl_avro_v_some(fl_avro_v_long((int64_t)i << 40)) : fl_avro_v_null();
    v.v.items[2] = fl_avro_v_list(a, 1);
    v.v.items[2].v.items[0] = fl_avro_v_str(fl_arena_sprintf(a, "row %d", i));
    v.v.items[3] = fl_avro_v_long(1700000000000 + i);
    static const uint8_t dec[2] = {0x04, 0xd2};
    v.v.items[4] = fl_avro_v_bytes(dec, 2);
    v.v.items[5] = fl_avro_v_list(a, (uint32_t)(i % 4));
    for (int k = 0; k < i % 4; k++) v.v.items[5].v.items[k] = fl_avro_v_str("s");
    v.v.items[6] = fl_avro_v_map(a, 1);
    v.v.items[6].v.items[0] = fl_avro_v_str("k");
    v.v.items[6].v.items[1].v.d = i * 0.5;
    v.v.items[7] = fl_avro_v_list(a, 1);
    v.v.items[7].v.items[0] = fl_avro_v_bool(i % 2);
    v.v.items[8] = fl_avro_v_list(a, 0);
    v.v.items[9].v.f = (float)i;
    return v;
}

static void check_value(const fl_avro_value_t *v, int i) {
    assert_int_equal(v->n, 10);
    assert_int_equal(v->v.items[0].v.i, i * 7 - 3);
    assert_int_equal(v->v.items[1].branch, i % 3 ? 1u : 0u);
    if (i % 3) assert_true(v->v.items[1].v.l == ((int64_t)i << 40));
    char want[32];
    snprintf(want, sizeof(want), "row %d", i);
    assert_int_equal(v->v.items[2].v.items[0].n, strlen(want));
    assert_memory_equal(v->v.items[2].v.items[0].v.p, want, strlen(want));
    assert_int_equal(v->v.items[5].n, (uint32_t)(i % 4));
    assert_int_equal(v->v.items[6].n, 1);
    assert_true(v->v.items[6].v.items[1].v.d == i * 0.5);
    assert_int_equal(v->v.items[7].v.items[0].v.b, i % 2);
    assert_true(v->v.items[9].v.f == (float)i);
}

static void test_container_codecs(void **state) {
    (void)state;
    for (int c = FL_AVRO_CODEC_NULL; c <= FL_AVRO_CODEC_ZSTD; c++) {
        fl_arena_t *a = fl_arena_new(0);
        fl_avro_schema_t *s = sample_schema(a);
        fl_buf_t file;
        fl_buf_init(&file);
        static const uint8_t sync[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        fl_avro_meta_t meta = {"x.key", "v", 1};
        fl_avro_writer_opts_t o = {.codec = (fl_avro_codec_t)c, .block_bytes = 300, .sync = sync,
                                   .meta = &meta, .n_meta = 1};
        fl_avro_writer_t *w;
        assert_int_equal(fl_avro_writer_new_buf(s, NULL, &o, &file, &w), 0);
        const int n = 500;
        for (int i = 0; i < n; i++) {
            fl_avro_value_t v = sample_value(a, i);
            assert_int_equal(fl_avro_writer_append(w, &v), 0);
        }
        /* a value that does not fit is refused and not counted */
        fl_avro_value_t bad = sample_value(a, 1);
        bad.v.items[1].branch = 5;
        assert_int_equal(fl_avro_writer_append(w, &bad), FL_ERR__INVAL);
        assert_int_equal(fl_avro_writer_count(w), n);
        uint64_t size;
        assert_int_equal(fl_avro_writer_finish(w, &size), 0);
        fl_avro_writer_free(w);
        assert_int_equal(size, file.len);
        fl_avro_file_t f;
        const char *why = NULL;
        assert_int_equal(fl_avro_file_read(a, file.p, file.len, &f, &why), 0);
        assert_int_equal(f.codec, c);
        assert_int_equal(f.n_records, n);
        assert_string_equal(f.schema_json, SAMPLE_JSON);
        for (int i = 0; i < n; i++) check_value(&f.records[i], i);
        bool found = false;
        for (size_t k = 0; k < f.n_meta; k++)
            if (strcmp(f.meta[k].key, "x.key") == 0 && f.meta[k].len == 1) found = true;
        assert_true(found);

        /* every truncation fails cleanly (or, at a block boundary, reads fewer records) */
        for (size_t cut = 0; cut < file.len; cut += (c == 0 ? 1 : 7)) {
            fl_arena_t *b = fl_arena_new(0);
            fl_avro_file_t g;
            fl_err_t err = fl_avro_file_read(b, file.p, cut, &g, &why);
            if (!err) assert_true(g.n_records < (size_t)n);
            fl_arena_destroy(b);
        }
        /* flipped bytes: never a crash; a flipped sync marker is always caught */
        for (size_t pos = 4; pos < file.len; pos += 13) {
            fl_arena_t *b = fl_arena_new(0);
            file.p[pos] ^= 0x5a;
            fl_avro_file_t g;
            (void)fl_avro_file_read(b, file.p, file.len, &g, &why);
            file.p[pos] ^= 0x5a;
            fl_arena_destroy(b);
        }
        file.p[file.len - 1] ^= 1;
        assert_int_equal(fl_avro_file_read(a, file.p, file.len, &f, &why), FL_ERR_CORRUPT_MESSAGE);
        assert_string_equal(why, "sync marker mismatch after a block");
        fl_buf_free(&file);
        fl_arena_destroy(a);
    }
}

static void test_malformed_datums(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_avro_value_t v;
    fl_reader_t rd;
    /* union branch out of range */
    static const uint8_t u[] = {0x04, 0x02};
    fl_rd_init(&rd, u, sizeof(u));
    assert_int_equal(fl_avro_decode(&rd, fl_avro_optional(a, fl_avro_prim(a, FL_AVRO_LONG)), a, &v),
                     FL_ERR_CORRUPT_MESSAGE);
    /* an array of nulls claiming 2^40 items must not loop or allocate that much */
    fl_buf_t b;
    fl_buf_init(&b);
    fl_avro_put_long(&b, (int64_t)1 << 40);
    fl_rd_init(&rd, b.p, b.len);
    assert_int_equal(fl_avro_decode(&rd, fl_avro_array(a, fl_avro_prim(a, FL_AVRO_NULL)), a, &v),
                     FL_ERR__OVERFLOW);
    /* a string longer than the input */
    fl_buf_reset(&b);
    fl_avro_put_long(&b, 1000);
    fl_buf_put(&b, "abc", 3);
    fl_rd_init(&rd, b.p, b.len);
    assert_int_equal(fl_avro_decode(&rd, fl_avro_prim(a, FL_AVRO_STRING), a, &v), FL_ERR__OVERFLOW);
    /* negative length */
    fl_buf_reset(&b);
    fl_avro_put_long(&b, -5);
    fl_rd_init(&rd, b.p, b.len);
    assert_int_not_equal(fl_avro_decode(&rd, fl_avro_prim(a, FL_AVRO_BYTES), a, &v), 0);
    /* an int that does not fit 32 bits; a varint of 11 bytes; boolean 2 */
    fl_buf_reset(&b);
    fl_avro_put_long(&b, (int64_t)1 << 33);
    fl_rd_init(&rd, b.p, b.len);
    assert_int_equal(fl_avro_decode(&rd, fl_avro_prim(a, FL_AVRO_INT), a, &v), FL_ERR_CORRUPT_MESSAGE);
    static const uint8_t vi[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    fl_rd_init(&rd, vi, sizeof(vi));
    assert_int_not_equal(fl_avro_decode(&rd, fl_avro_prim(a, FL_AVRO_LONG), a, &v), 0);
    static const uint8_t two[] = {2};
    fl_rd_init(&rd, two, 1);
    assert_int_equal(fl_avro_decode(&rd, fl_avro_prim(a, FL_AVRO_BOOLEAN), a, &v), FL_ERR_CORRUPT_MESSAGE);
    /* negative block count with a byte size (allowed by the spec) */
    fl_buf_reset(&b);
    fl_avro_put_long(&b, -2);
    fl_avro_put_long(&b, 2);
    fl_avro_put_long(&b, 5);
    fl_avro_put_long(&b, 6);
    fl_avro_put_long(&b, 0);
    fl_rd_init(&rd, b.p, b.len);
    assert_int_equal(fl_avro_decode(&rd, fl_avro_array(a, fl_avro_prim(a, FL_AVRO_LONG)), a, &v), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.v.items[1].v.l, 6);
    /* files: bad magic, no schema, unknown codec */
    static const uint8_t junk[] = "Obj\x02xxxxxxxxxxxxxxxxxxxxxxx";
    fl_avro_file_t f;
    const char *why;
    assert_int_equal(fl_avro_file_read(a, junk, sizeof(junk), &f, &why), FL_ERR_CORRUPT_MESSAGE);
    fl_buf_reset(&b);
    fl_buf_put(&b, "Obj\x01", 4);
    fl_avro_put_long(&b, 1);
    fl_avro_put_string(&b, "avro.codec");
    fl_avro_put_string(&b, "lzma");
    fl_avro_put_long(&b, 0);
    fl_buf_put(&b, "0123456789abcdef", 16);
    assert_int_equal(fl_avro_file_read(a, b.p, b.len, &f, &why), FL_ERR_CORRUPT_MESSAGE);
    assert_non_null(strstr(why, "lzma"));
    b.len = 4;
    fl_avro_put_long(&b, 0);
    fl_buf_put(&b, "0123456789abcdef", 16);
    assert_int_equal(fl_avro_file_read(a, b.p, b.len, &f, &why), FL_ERR_CORRUPT_MESSAGE);
    assert_string_equal(why, "header has no avro.schema");
    fl_buf_free(&b);
    fl_arena_destroy(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zigzag),
        cmocka_unit_test(test_schema_json),
        cmocka_unit_test(test_container_codecs),
        cmocka_unit_test(test_malformed_datums),
    };
    return cmocka_run_group_tests_name("lake_avro", tests, NULL, NULL);
}
