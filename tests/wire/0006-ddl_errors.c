/* 0006-ddl_errors: the coordinator's answers to bad DDL, sent raw (the Java client refuses
 * most of these before sending, so only the wire can show what the server does). Each answer
 * must carry Fluss's error code; nothing of a refused request may be stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

static fl_ts_t ts;
static int fd;

static int setup(void **state) {
    (void)state;
    fl_ts_start(&ts, "local", NULL);
    fd = fl_cli_connect(ts.port);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
    return 0;
}

/* Sends req, expects an ERROR_RESPONSE with code (and a message containing part). */
static void expect(int16_t key, const ProtobufCMessage *req, int32_t code, const char *part) {
    static int32_t id = 100;
    fl_cli_send_request(fd, key, 0, ++id, req);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 5000, &buf, &resp), 0);
    assert_int_equal(resp.hdr.request_id, id);
    if (resp.hdr.type != FL_RESP_ERROR || resp.error_code != code)
        fail_msg("%s: expected error %d, got type %d code %d '%s'", fl_api_name(key), code,
                 resp.hdr.type, resp.error_code, resp.error_message);
    if (part && !strstr(resp.error_message, part))
        fail_msg("message '%s' lacks '%s'", resp.error_message, part);
    fl_buf_free(&buf);
}

static void create_table(const char *db, const char *name, const char *json, int32_t code,
                         const char *part) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = (char *)db;
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = strlen(json);
    expect(FL_API_CREATE_TABLE, &req.base, code, part);
}

static bool table_exists(const char *db, const char *name) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = (char *)db;
    tp.table_name = (char *)name;
    Fluss__TableExistsRequest req = FLUSS__TABLE_EXISTS_REQUEST__INIT;
    req.table_path = &tp;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__TableExistsResponse *r = (Fluss__TableExistsResponse *)fl_cli_call(
        fd, FL_API_TABLE_EXISTS, 0, &req.base, &fluss__table_exists_response__descriptor, a);
    bool e = r->exists;
    fl_arena_destroy(a);
    return e;
}

#define COLS "{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},{\"name\":\"b\",\"data_type\":{\"type\":\"STRING\"}}"
#define TAIL ",\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}"

static void test_invalid_table_descriptors(void **state) {
    (void)state;
    /* 15 INVALID_TABLE_EXCEPTION */
    create_table("fluss", "t", "{not json", 15, "Failed to parse table descriptor");
    create_table("fluss", "t", "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"NUMBER\"}}]}" TAIL,
                 15, "unknown data type 'NUMBER'");
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "],\"primary_key\":[\"x\"]}" TAIL, 15,
                 "Primary key column 'x' does not exist");
    create_table("fluss", "t",
                 "{\"schema\":{\"columns\":[" COLS "],\"primary_key\":[\"a\"]},\"partition_key\":[],"
                 "\"bucket_key\":[\"b\"],\"bucket_count\":2,\"properties\":{},\"custom_properties\":{}}",
                 15, "Bucket keys must be a subset of primary keys");
    create_table("fluss", "t",
                 "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[\"a\"],"
                 "\"bucket_key\":[\"a\"],\"properties\":{},\"custom_properties\":{}}",
                 15, "shouldn't include any column in partition keys");
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[\"zz\"],"
                 "\"properties\":{},\"custom_properties\":{}}", 15, "Partition key 'zz' does not exist");
    create_table("fluss", "t", "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"ARRAY\","
                 "\"element_type\":{\"type\":\"INTEGER\"}}}],\"primary_key\":[\"a\"]}" TAIL, 15,
                 "Bucket key column 'a' has unsupported data type ARRAY<INT> NOT NULL");
    create_table("fluss", "bad.name", "{\"schema\":{\"columns\":[" COLS "]}" TAIL, 15, "Table name bad.name is invalid");
    create_table("fluss", "__t", "{\"schema\":{\"columns\":[" COLS "]}" TAIL, 15, "'__' is not allowed as prefix");
    /* 39 INVALID_CONFIG_EXCEPTION: bad property values */
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[],"
                 "\"properties\":{\"table.log.format\":\"PARQUET\"},\"custom_properties\":{}}", 39,
                 "table.log.format");
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[],"
                 "\"properties\":{\"table.replication.factor\":\"0\"},\"custom_properties\":{}}", 39,
                 "must be greater than 0");
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[],"
                 "\"properties\":{\"owner\":\"me\"},\"custom_properties\":{}}", 39,
                 "is not a Fluss table property");
    /* 17 INVALID_REPLICATION_FACTOR: one tablet server */
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[],"
                 "\"properties\":{\"table.replication.factor\":\"3\"},\"custom_properties\":{}}", 17,
                 "larger than available tablet servers");
    /* 49 BUCKET_MAX_NUM_EXCEPTION */
    create_table("fluss", "t", "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[],\"bucket_key\":[],"
                 "\"bucket_count\":200000,\"properties\":{},\"custom_properties\":{}}", 49,
                 "exceeds the maximum limit");
    /* 16 INVALID_DATABASE_EXCEPTION, 4 DATABASE_NOT_EXIST */
    create_table("bad db", "t", "{\"schema\":{\"columns\":[" COLS "]}" TAIL, 16, "Database name bad db is invalid");
    create_table("nodb", "t", "{\"schema\":{\"columns\":[" COLS "]}" TAIL, 4, "Database nodb does not exist");
    assert_false(table_exists("fluss", "t"));
    /* and a good one goes through afterwards */
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "t";
    const char *good = "{\"schema\":{\"columns\":[" COLS "]}" TAIL;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)good;
    req.table_json.len = strlen(good);
    fl_arena_t *a = fl_arena_new(0);
    fl_cli_call(fd, FL_API_CREATE_TABLE, 0, &req.base, &fluss__create_table_response__descriptor, a);
    fl_arena_destroy(a);
    assert_true(table_exists("fluss", "t"));
    create_table("fluss", "t", good, 8, "already exists"); /* 8 TABLE_ALREADY_EXIST */
}

static void test_database_errors(void **state) {
    (void)state;
    Fluss__CreateDatabaseRequest cd = FLUSS__CREATE_DATABASE_REQUEST__INIT;
    cd.database_name = "bad name";
    expect(FL_API_CREATE_DATABASE, &cd.base, 16, "is invalid");
    cd.database_name = "d1";
    cd.has_database_json = 1;
    cd.database_json.data = (uint8_t *)"{\"comment\":7}";
    cd.database_json.len = 13;
    expect(FL_API_CREATE_DATABASE, &cd.base, 16, "Invalid database descriptor");
    cd.database_name = "fluss";
    cd.has_database_json = 0;
    expect(FL_API_CREATE_DATABASE, &cd.base, 6, "already exists"); /* 6 DATABASE_ALREADY_EXIST */
    Fluss__DropDatabaseRequest dd = FLUSS__DROP_DATABASE_REQUEST__INIT;
    dd.database_name = "nodb";
    expect(FL_API_DROP_DATABASE, &dd.base, 4, "does not exist");
    dd.database_name = "fluss"; /* holds table t from the test above */
    expect(FL_API_DROP_DATABASE, &dd.base, 5, "is not empty"); /* 5 DATABASE_NOT_EMPTY */
    Fluss__GetDatabaseInfoRequest gi = FLUSS__GET_DATABASE_INFO_REQUEST__INIT;
    gi.database_name = "nodb";
    expect(FL_API_GET_DATABASE_INFO, &gi.base, 4, NULL);
    Fluss__ListTablesRequest lt = FLUSS__LIST_TABLES_REQUEST__INIT;
    lt.database_name = "nodb";
    expect(FL_API_LIST_TABLES, &lt.base, 4, NULL);
}

static void test_partition_errors(void **state) {
    (void)state;
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "t"; /* not partitioned */
    Fluss__PbKeyValue kv = FLUSS__PB_KEY_VALUE__INIT;
    kv.key = "a";
    kv.value = "1";
    Fluss__PbKeyValue *kvs[] = {&kv};
    Fluss__PbPartitionSpec spec = FLUSS__PB_PARTITION_SPEC__INIT;
    spec.n_partition_key_values = 1;
    spec.partition_key_values = kvs;
    Fluss__CreatePartitionRequest cp = FLUSS__CREATE_PARTITION_REQUEST__INIT;
    cp.table_path = &tp;
    cp.partition_spec = &spec;
    expect(FL_API_CREATE_PARTITION, &cp.base, 37, "not a partitioned table");
    tp.table_name = "nope";
    expect(FL_API_CREATE_PARTITION, &cp.base, 7, "does not exist");

    /* a partitioned table: wrong keys and bad values -> 43 */
    Fluss__PbTablePath pt = FLUSS__PB_TABLE_PATH__INIT;
    pt.database_name = "fluss";
    pt.table_name = "p";
    const char *json = "{\"schema\":{\"columns\":[" COLS "]},\"partition_key\":[\"b\"],\"properties\":{},"
                       "\"custom_properties\":{}}";
    Fluss__CreateTableRequest ct = FLUSS__CREATE_TABLE_REQUEST__INIT;
    ct.table_path = &pt;
    ct.table_json.data = (uint8_t *)json;
    ct.table_json.len = strlen(json);
    fl_arena_t *a = fl_arena_new(0);
    fl_cli_call(fd, FL_API_CREATE_TABLE, 0, &ct.base, &fluss__create_table_response__descriptor, a);
    cp.table_path = &pt;
    expect(FL_API_CREATE_PARTITION, &cp.base, 43, "does not contain partition key 'b'");
    kv.key = "b";
    kv.value = "x/y";
    expect(FL_API_CREATE_PARTITION, &cp.base, 43, "contains one or more characters");
    kv.value = "";
    expect(FL_API_CREATE_PARTITION, &cp.base, 43, "empty string");
    kv.value = "__x";
    expect(FL_API_CREATE_PARTITION, &cp.base, 43, "prefix");
    kv.value = "ok";
    fl_cli_call(fd, FL_API_CREATE_PARTITION, 0, &cp.base, &fluss__create_partition_response__descriptor, a);
    expect(FL_API_CREATE_PARTITION, &cp.base, 42, "already exists"); /* 42 */
    Fluss__DropPartitionRequest dp = FLUSS__DROP_PARTITION_REQUEST__INIT;
    dp.table_path = &pt;
    dp.partition_spec = &spec;
    kv.value = "other";
    expect(FL_API_DROP_PARTITION, &dp.base, 36, "does not exist"); /* 36 PARTITION_NOT_EXISTS */

    /* metadata for an unknown partition: 36, which the writer's dynamic creation relies on */
    Fluss__PbPhysicalTablePath pp = FLUSS__PB_PHYSICAL_TABLE_PATH__INIT;
    pp.database_name = "fluss";
    pp.table_name = "p";
    pp.partition_name = "missing";
    Fluss__PbPhysicalTablePath *pps[] = {&pp};
    Fluss__MetadataRequest md = FLUSS__METADATA_REQUEST__INIT;
    md.n_partitions_path = 1;
    md.partitions_path = pps;
    expect(FL_API_GET_METADATA, &md.base, 36, "does not exist");
    fl_arena_destroy(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_table_descriptors),
        cmocka_unit_test(test_database_errors),
        cmocka_unit_test(test_partition_errors),
    };
    return cmocka_run_group_tests_name("wire_ddl_errors", tests, setup, teardown);
}
