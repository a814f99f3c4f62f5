/* 0003-tables: every `table` verb against a real fl-server: create from flags, from --sql and
 * from --from-json (a descriptor read back by `describe --json`), list, describe (schema,
 * keys, buckets, partitions, properties, bucket leaders), alter, drop; text and --json; and
 * the server's refusals in words with exit 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_cli_test.h"
#include "fl_wire.h"

static fl_ts_t ts;
static fl_run_t r;

static int setup(void **state) {
    (void)state;
    fl_ts_start(&ts, "local", NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(fl_ts_stop(&ts), 0);
    fl_cli_rmtree(ts.dir);
    return 0;
}

static void test_create_from_flags_and_describe(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "fluss.orders", "--column", "id BIGINT NOT NULL",
          "--column", "v STRING COMMENT 'the value'", "--column", "amount DECIMAL(10, 2)",
          "--primary-key", "id", "--buckets", "4", "--bucket-key", "id", "--property",
          "table.log.format=ARROW", "--custom-property", "owner=ops", "--comment", "all orders");
    fl_expect(&r, 0, "Created table fluss.orders.\n", "");

    ADMIN(&r, ts.port, "table", "describe", "fluss.orders");
    fl_expect(&r, 0, "Table:            fluss.orders\nKind:             primary-key table\n", "");
    fl_expect(&r, 0, "Comment:          all orders\n", "");
    fl_expect(&r, 0,
              "Columns:\n"
              "  ID  NAME    TYPE            NULL      COMMENT\n"
              "  0   id      BIGINT          NOT NULL\n"
              "  1   v       STRING          NULL      the value\n"
              "  2   amount  DECIMAL(10, 2)  NULL\n",
              "");
    fl_expect(&r, 0,
              "Primary key:      id\nBucket key:       id\nBuckets:          4\nPartition keys:   (none)\n", "");
    fl_expect(&r, 0, "  table.log.format", "");
    fl_expect(&r, 0, "Custom properties:\n  owner = ops\n", "");
    assert_null(strstr(r.out, "Partitions:"));
    /* one tablet server: every bucket led by it, at the address clients use */
    char row[128];
    for (int b = 0; b < 4; b++) {
        snprintf(row, sizeof(row), "  %d       0       127.0.0.1:%d  0\n", b, ts.port);
        fl_expect(&r, 0, row, "");
    }
    fl_expect(&r, 0, "Buckets:\n  BUCKET  LEADER  LEADER ADDRESS", "");

    ADMIN(&r, ts.port, "--json", "table", "describe", "orders"); /* default database */
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "database")), "fluss");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "primary_key");
    json_t *cols = json_object_get(j, "columns");
    assert_int_equal(json_array_size(cols), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 2), "type")), "DECIMAL(10, 2)");
    assert_true(json_is_false(json_object_get(json_array_get(cols, 0), "nullable")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 1), "comment")), "the value");
    assert_int_equal(json_integer_value(json_object_get(j, "bucket_count")), 4);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "primary_key"), 0)), "id");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "properties"), "table.log.format")),
                        "ARROW");
    json_t *buckets = json_object_get(j, "buckets");
    assert_int_equal(json_array_size(buckets), 4);
    json_t *b3 = json_array_get(buckets, 3);
    assert_int_equal(json_integer_value(json_object_get(b3, "bucket")), 3);
    assert_int_equal(json_integer_value(json_object_get(b3, "leader")), 0);
    assert_true(json_is_null(json_object_get(b3, "partition")));
    snprintf(row, sizeof(row), "127.0.0.1:%d", ts.port);
    assert_string_equal(json_string_value(json_object_get(b3, "leader_address")), row);
    assert_int_equal(json_array_size(json_object_get(b3, "replicas")), 1);
    assert_true(json_is_object(json_object_get(j, "descriptor")));

    /* --from-json: the descriptor describe printed makes the same table elsewhere */
    char path[300];
    snprintf(path, sizeof(path), "%s/orders.json", ts.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    json_dumpf(json_object_get(j, "descriptor"), f, JSON_COMPACT);
    fclose(f);
    json_decref(j);
    ADMIN(&r, ts.port, "table", "create", "fluss.orders_copy", "--from-json", path);
    fl_expect(&r, 0, "Created table fluss.orders_copy.", "");
    ADMIN(&r, ts.port, "table", "describe", "fluss.orders_copy");
    fl_expect(&r, 0, "  2   amount  DECIMAL(10, 2)  NULL\n", "");
    fl_expect(&r, 0, "Buckets:          4\n", "");

    /* a bad JSON file is the server's to judge: INVALID_TABLE_EXCEPTION in words */
    f = fopen(path, "w");
    fputs("{\"schema\": 1}", f);
    fclose(f);
    ADMIN(&r, ts.port, "table", "create", "fluss.broken", "--from-json", path);
    fl_expect(&r, 1, NULL, "error: INVALID_TABLE_EXCEPTION (15): ");
}

static void test_create_from_sql_partitioned(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "--json", "table", "create", "--sql",
          "CREATE TABLE IF NOT EXISTS fluss.events (id BIGINT, name STRING, tags ARRAY<STRING>, "
          "dt STRING, PRIMARY KEY (id, dt) NOT ENFORCED) COMMENT 'events' PARTITIONED BY (dt) "
          "WITH ('bucket.num'='2', 'table.log.format'='ARROW', 'origin'='cli')");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "table")), "fluss.events");
    assert_true(json_is_true(json_object_get(j, "created")));
    json_decref(j);
    /* IF NOT EXISTS from the statement makes the second run a no-op */
    ADMIN(&r, ts.port, "table", "create", "--sql", "CREATE TABLE IF NOT EXISTS fluss.events (x INT)");
    fl_expect(&r, 0, "Table fluss.events already exists; left unchanged.", "");

    ADMIN(&r, ts.port, "partition", "create", "fluss.events", "dt=2024-01-01");
    fl_expect(&r, 0, "Created partition fluss.events(dt=2024-01-01).", "");
    ADMIN(&r, ts.port, "partition", "create", "fluss.events", "dt=2024-01-02");
    fl_expect(&r, 0, NULL, "");

    ADMIN(&r, ts.port, "table", "describe", "fluss.events");
    fl_expect(&r, 0, "  2   tags  ARRAY<STRING>  NULL\n", "");
    fl_expect(&r, 0, "Primary key:      id, dt\nBucket key:       id\nBuckets:          2\n"
                     "Partition keys:   dt\n", "");
    fl_expect(&r, 0, "Custom properties:\n  origin = cli\n", "");
    fl_expect(&r, 0, "Partitions:\n  ID  NAME        SPEC\n", "");
    fl_expect(&r, 0, "  2024-01-02  dt=2024-01-02\n", "");
    fl_expect(&r, 0, "Buckets:\n  PARTITION   BUCKET  LEADER  LEADER ADDRESS", "");
    assert_int_equal(fl_count(r.out, "\n  2024-01-01  "), 2); /* its 2 buckets */
    assert_int_equal(fl_count(r.out, "\n  2024-01-02  "), 2);

    ADMIN(&r, ts.port, "--json", "table", "describe", "fluss.events");
    j = fl_out_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "partitions")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(
                            json_object_get(j, "partitions"), 0), "spec"), "dt")), "2024-01-01");
    json_t *buckets = json_object_get(j, "buckets");
    assert_int_equal(json_array_size(buckets), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(buckets, 3), "partition")),
                        "2024-01-02");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "partition_keys"), 0)), "dt");
    json_decref(j);
}

static void test_list_alter_drop(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "database", "create", "other");
    fl_expect(&r, 0, NULL, "");
    ADMIN(&r, ts.port, "table", "create", "other.logs", "--column", "line STRING");
    fl_expect(&r, 0, "Created table other.logs.", "");

    ADMIN(&r, ts.port, "table", "list");
    fl_expect(&r, 0, "DATABASE  TABLE\n", "");
    fl_expect(&r, 0, "fluss     orders\n", "");
    fl_expect(&r, 0, "other     logs\n", "");
    ADMIN(&r, ts.port, "table", "list", "other");
    fl_expect(&r, 0, "DATABASE  TABLE\nother     logs\n", "");
    ADMIN(&r, ts.port, "--json", "table", "list", "fluss");
    json_t *j = fl_out_json(&r);
    json_t *tables = json_object_get(j, "tables");
    bool found = false;
    for (size_t i = 0; i < json_array_size(tables); i++) {
        assert_string_equal(json_string_value(json_object_get(json_array_get(tables, i), "database")), "fluss");
        found |= !strcmp(json_string_value(json_object_get(json_array_get(tables, i), "table")), "orders");
    }
    assert_true(found);
    json_decref(j);

    ADMIN(&r, ts.port, "table", "describe", "other.logs");
    fl_expect(&r, 0, "Kind:             log table\n", "");
    fl_expect(&r, 0, "Primary key:      (none)\n", "");

    /* alter: a property the server lets change, then one it refuses in words */
    ADMIN(&r, ts.port, "table", "alter", "other.logs", "--set", "table.log.tiered.local-segments=5");
    fl_expect(&r, 0, "Altered table other.logs (1 change).", "");
    ADMIN(&r, ts.port, "--json", "table", "describe", "other.logs");
    j = fl_out_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "properties"),
                                                          "table.log.tiered.local-segments")), "5");
    json_decref(j);
    ADMIN(&r, ts.port, "--json", "table", "alter", "other.logs", "--reset",
          "table.log.tiered.local-segments");
    fl_expect(&r, 0, NULL, "");
    j = fl_out_json(&r);
    assert_true(json_is_true(json_object_get(j, "altered")));
    json_decref(j);
    ADMIN(&r, ts.port, "table", "describe", "other.logs");
    fl_expect(&r, 0, NULL, "");
    assert_null(strstr(r.out, "table.log.tiered.local-segments"));
    ADMIN(&r, ts.port, "table", "alter", "other.logs", "--set", "table.log.format=INDEXED");
    fl_expect(&r, 1, NULL, "error: INVALID_ALTER_TABLE_EXCEPTION (56): ");

    ADMIN(&r, ts.port, "table", "drop", "other.logs");
    fl_expect(&r, 0, "Dropped table other.logs.\n", "");
    ADMIN(&r, ts.port, "table", "drop", "other.logs");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST (7): Table other.logs does not exist.");
    ADMIN(&r, ts.port, "table", "drop", "other.logs", "--if-exists");
    fl_expect(&r, 0, "Table other.logs does not exist; nothing dropped.", "");
    ADMIN(&r, ts.port, "--json", "table", "drop", "fluss.orders_copy");
    j = fl_out_json(&r);
    assert_true(json_is_true(json_object_get(j, "dropped")));
    json_decref(j);
    ADMIN(&r, ts.port, "table", "list", "other");
    fl_expect(&r, 0, "DATABASE  TABLE\n(no tables)\n", "");
}

static void test_server_refusals(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "fluss.orders", "--column", "id INT");
    fl_expect(&r, 1, NULL, "error: TABLE_ALREADY_EXIST (8): Table fluss.orders already exists.");
    assert_string_equal(r.out, "");
    ADMIN(&r, ts.port, "table", "create", "nodb.t", "--column", "id INT");
    fl_expect(&r, 1, NULL, "error: DATABASE_NOT_EXIST (4): Database nodb does not exist.");
    /* primary key column missing */
    ADMIN(&r, ts.port, "table", "create", "fluss.t", "--column", "a INT", "--primary-key", "b");
    fl_expect(&r, 1, NULL,
              "error: INVALID_TABLE_EXCEPTION (15): Failed to parse table descriptor: Primary key column "
              "'b' does not exist in the schema.");
    ADMIN(&r, ts.port, "table", "create", "--sql", "CREATE TABLE t (a INT, PRIMARY KEY (zz) NOT ENFORCED)");
    fl_expect(&r, 1, NULL, "Primary key column 'zz' does not exist in the schema.");
    ADMIN(&r, ts.port, "table", "create", "fluss.t", "--column", "a INT", "--partition-key", "zz");
    fl_expect(&r, 1, NULL, "error: INVALID_TABLE_EXCEPTION (15): ");
    ADMIN(&r, ts.port, "table", "create", "fluss.t", "--column", "a INT", "--property", "table.log.format=PARQUET");
    fl_expect(&r, 1, NULL, "error: INVALID_CONFIG_EXCEPTION (39): ");
    assert_non_null(strstr(r.err, "table.log.format"));
    ADMIN(&r, ts.port, "table", "create", "fluss.t", "--column", "a INT", "--property", "table.replication.factor=3");
    fl_expect(&r, 1, NULL, "error: INVALID_REPLICATION_FACTOR (17): ");
    ADMIN(&r, ts.port, "table", "create", "fluss.bad.name", "--column", "a INT");
    fl_expect(&r, 1, NULL, "error: INVALID_TABLE_EXCEPTION (15): Table name bad.name is invalid");
    ADMIN(&r, ts.port, "table", "describe", "fluss.nope");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST (7): Table 'fluss.nope' does not exist.");
    ADMIN(&r, ts.port, "table", "exists-nothing");
    fl_expect(&r, 2, NULL, "unknown verb");
    /* nothing of the refused tables was stored */
    ADMIN(&r, ts.port, "table", "list", "fluss");
    fl_expect(&r, 0, NULL, "");
    assert_null(strstr(r.out, " t\n"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_from_flags_and_describe),
        cmocka_unit_test(test_create_from_sql_partitioned),
        cmocka_unit_test(test_list_alter_drop),
        cmocka_unit_test(test_server_refusals),
    };
    return cmocka_run_group_tests_name("cli_tables", tests, setup, teardown);
}
