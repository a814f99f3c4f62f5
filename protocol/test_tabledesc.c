/* test_tabledesc.c: table/schema/type JSON against the fixtures of Fluss's serde tests
 * (fluss-formats.md 6, fluss-rpc.md 3.2): what the Java side writes must parse, and what we
 * write must equal what the Java side writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_tabledesc.h"

static void roundtrip(const char *json) {
    fl_arena_t *arena = fl_arena_new(0);
    fl_table_desc_t d;
    const char *why = NULL;
    fl_err_t err = fl_table_desc_parse(arena, json, strlen(json), &d, &why);
    if (err) fail_msg("parse failed: %s", why);
    fl_buf_t b;
    fl_buf_init(&b);
    fl_table_desc_write(&d, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, json);
    /* a deep copy writes the same bytes */
    fl_arena_t *a2 = fl_arena_new(0);
    fl_table_desc_t c;
    fl_table_desc_copy(a2, &d, &c);
    fl_arena_destroy(arena);
    fl_buf_reset(&b);
    fl_table_desc_write(&c, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, json);
    fl_arena_destroy(a2);
    fl_buf_free(&b);
}

static void test_fixture_roundtrip(void **state) {
    (void)state;
    /* fluss-rpc.md 3.2 fixture */
    roundtrip("{\"version\":1,\"schema\":{\"version\":1,\"columns\":[{\"name\":\"a\",\"data_type\":"
              "{\"type\":\"INTEGER\",\"nullable\":false},\"id\":0},{\"name\":\"b\",\"data_type\":"
              "{\"type\":\"STRING\"},\"id\":1}],\"primary_key\":[\"a\"],\"highest_field_id\":1},"
              "\"partition_key\":[],\"bucket_key\":[\"a\"],\"bucket_count\":32,\"properties\":"
              "{\"table.log.format\":\"INDEXED\"},\"custom_properties\":{}}");
    /* comment, partition keys, custom properties, every parameterised type */
    roundtrip(
        "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
        "{\"name\":\"id\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":false},\"comment\":\"the key\",\"id\":0},"
        "{\"name\":\"d\",\"data_type\":{\"type\":\"DECIMAL\",\"nullable\":false,\"precision\":10,\"scale\":2},\"id\":1},"
        "{\"name\":\"c\",\"data_type\":{\"type\":\"CHAR\",\"length\":3},\"id\":2},"
        "{\"name\":\"bi\",\"data_type\":{\"type\":\"BINARY\",\"length\":16},\"id\":3},"
        "{\"name\":\"t\",\"data_type\":{\"type\":\"TIME_WITHOUT_TIME_ZONE\",\"precision\":0},\"id\":4},"
        "{\"name\":\"ts\",\"data_type\":{\"type\":\"TIMESTAMP_WITHOUT_TIME_ZONE\",\"precision\":6},\"id\":5},"
        "{\"name\":\"ltz\",\"data_type\":{\"type\":\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",\"precision\":3},\"id\":6},"
        "{\"name\":\"arr\",\"data_type\":{\"type\":\"ARRAY\",\"element_type\":{\"type\":\"INTEGER\"}},\"id\":7},"
        "{\"name\":\"m\",\"data_type\":{\"type\":\"MAP\",\"key_type\":{\"type\":\"STRING\",\"nullable\":false},\"value_type\":{\"type\":\"DOUBLE\"}},\"id\":8},"
        "{\"name\":\"r\",\"data_type\":{\"type\":\"ROW\",\"fields\":[{\"name\":\"f0\",\"field_type\":{\"type\":\"BIGINT\"},\"field_id\":-1},"
        "{\"name\":\"f1\",\"field_type\":{\"type\":\"BOOLEAN\"},\"description\":\"x\",\"field_id\":10}]},\"id\":9},"
        "{\"name\":\"s\",\"data_type\":{\"type\":\"STRING\"},\"agg_function\":{\"type\":\"listagg\",\"parameters\":{\"delimiter\":\";\"}},\"id\":11}"
        "],\"primary_key\":[\"id\"],\"highest_field_id\":11},\"comment\":\"a \\\"quoted\\\" comment\\n\","
        "\"partition_key\":[],\"bucket_key\":[\"id\"],\"bucket_count\":4,"
        "\"properties\":{\"table.replication.factor\":\"1\",\"table.kv.format-version\":\"2\"},"
        "\"custom_properties\":{\"owner\":\"me\"}}");
    /* a log table without distribution */
    roundtrip("{\"version\":1,\"schema\":{\"version\":1,\"columns\":[{\"name\":\"a\",\"data_type\":"
              "{\"type\":\"INTEGER\"},\"id\":0}],\"highest_field_id\":0},\"partition_key\":[],"
              "\"properties\":{},\"custom_properties\":{}}");
}

static void test_ids_assigned_and_pk_not_null(void **state) {
    (void)state;
    /* what the Rust client sends: no ids, no highest_field_id, nullable PK column */
    const char *json = "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"INTEGER\"}},"
                       "{\"name\":\"v\",\"data_type\":{\"type\":\"STRING\"}}],\"primary_key\":[\"k\"]},"
                       "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}";
    fl_arena_t *arena = fl_arena_new(0);
    fl_table_desc_t d;
    const char *why = NULL;
    assert_int_equal(fl_table_desc_parse(arena, json, strlen(json), &d, &why), FL_ERR_NONE);
    assert_int_equal(d.schema.cols[0].id, 0);
    assert_int_equal(d.schema.cols[1].id, 1);
    assert_int_equal(d.schema.highest_field_id, 1);
    assert_false(d.schema.cols[0].type.nullable);
    assert_true(d.schema.cols[1].type.nullable);
    assert_false(d.has_distribution);
    assert_int_equal(d.bucket_count, -1);
    fl_arena_destroy(arena);
}

static void expect_invalid(const char *json, const char *why_part) {
    fl_arena_t *arena = fl_arena_new(0);
    fl_table_desc_t d;
    const char *why = NULL;
    assert_int_equal(fl_table_desc_parse(arena, json, strlen(json), &d, &why),
                     FL_ERR_INVALID_TABLE_EXCEPTION);
    assert_non_null(why);
    if (!strstr(why, why_part)) fail_msg("'%s' lacks '%s'", why, why_part);
    fl_arena_destroy(arena);
}

static void test_invalid(void **state) {
    (void)state;
    expect_invalid("not json", "invalid JSON");
    expect_invalid("[1]", "JSON object");
    expect_invalid("{\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}", "schema");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"NUMBER\"}}]},"
                   "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}",
                   "unknown data type 'NUMBER'");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}],"
                   "\"primary_key\":[\"b\"]},\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}",
                   "Primary key column 'b' does not exist");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":40,\"scale\":1}}]},"
                   "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}",
                   "precision");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"
                   "{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                   "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}",
                   "duplicated");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                   "\"partition_key\":[],\"properties\":{\"x\":1},\"custom_properties\":{}}",
                   "must be a string");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                   "\"partition_key\":[],\"bucket_count\":3,\"properties\":{},\"custom_properties\":{}}",
                   "bucket_key");
    expect_invalid("{\"schema\":{\"columns\":[]},\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}",
                   "at least one column");
    expect_invalid("{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                   "\"properties\":{},\"custom_properties\":{}}",
                   "partition_key");
}

static void test_type_format_and_db(void **state) {
    (void)state;
    fl_arena_t *arena = fl_arena_new(0);
    fl_schema_t s;
    const char *why;
    const char *json = "{\"version\":1,\"columns\":[{\"name\":\"m\",\"data_type\":{\"type\":\"MAP\","
                       "\"key_type\":{\"type\":\"STRING\",\"nullable\":false},\"value_type\":"
                       "{\"type\":\"DECIMAL\",\"precision\":5,\"scale\":1}},\"id\":0}],\"highest_field_id\":0}";
    assert_int_equal(fl_schema_parse(arena, json, strlen(json), &s, &why), FL_ERR_NONE);
    char out[128];
    fl_type_format(&s.cols[0].type, out, sizeof(out));
    assert_string_equal(out, "MAP<STRING NOT NULL, DECIMAL(5, 1)>");
    fl_buf_t b;
    fl_buf_init(&b);
    fl_schema_write(&s, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, json);

    fl_db_desc_t db;
    const char *dj = "{\"version\":1,\"comment\":\"c\",\"custom_properties\":{\"k\":\"v\"}}";
    assert_int_equal(fl_db_desc_parse(arena, dj, strlen(dj), &db, &why), FL_ERR_NONE);
    fl_buf_reset(&b);
    fl_db_desc_write(&db, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, dj);
    assert_int_equal(fl_db_desc_parse(arena, "{\"comment\":5}", 13, &db, &why),
                     FL_ERR_INVALID_DATABASE_EXCEPTION);
    fl_buf_free(&b);
    fl_arena_destroy(arena);
}

static void test_kvs(void **state) {
    (void)state;
    fl_arena_t *arena = fl_arena_new(0);
    fl_kvs_t kvs = {0};
    fl_kvs_set(arena, &kvs, "a", "1");
    fl_kvs_set(arena, &kvs, "b", "2");
    fl_kvs_set(arena, &kvs, "a", "3");
    assert_int_equal(kvs.n, 2);
    assert_string_equal(fl_kvs_get(&kvs, "a"), "3");
    assert_true(fl_kvs_del(&kvs, "a"));
    assert_false(fl_kvs_del(&kvs, "a"));
    assert_null(fl_kvs_get(&kvs, "a"));
    assert_string_equal(kvs.items[0].key, "b");
    fl_arena_destroy(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_roundtrip),
        cmocka_unit_test(test_ids_assigned_and_pk_not_null),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_type_format_and_db),
        cmocka_unit_test(test_kvs),
    };
    return cmocka_run_group_tests_name("protocol_tabledesc", tests, NULL, NULL);
}
