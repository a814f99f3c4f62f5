/* 0002-databases: `cluster nodes` and every `database` verb against a real fl-server (local
 * role), in text and --json, and the server's refusals printed in words with exit 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
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

static void test_cluster_nodes(void **state) {
    (void)state;
    char row[128];
    ADMIN(&r, ts.port, "cluster", "nodes");
    fl_expect(&r, 0, "ID  ROLE", "");
    snprintf(row, sizeof(row), "coordinator    127.0.0.1  %d", ts.port);
    fl_expect(&r, 0, row, "");
    snprintf(row, sizeof(row), "tablet-server  127.0.0.1  %d", ts.port);
    fl_expect(&r, 0, row, "");

    ADMIN(&r, ts.port, "--json", "cluster", "nodes");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    json_t *nodes = json_object_get(j, "nodes");
    assert_int_equal(json_array_size(nodes), 2);
    json_t *cs = json_array_get(nodes, 0), *tsn = json_array_get(nodes, 1);
    assert_string_equal(json_string_value(json_object_get(cs, "role")), "coordinator");
    assert_string_equal(json_string_value(json_object_get(tsn, "role")), "tablet-server");
    assert_string_equal(json_string_value(json_object_get(tsn, "host")), "127.0.0.1");
    assert_int_equal(json_integer_value(json_object_get(tsn, "port")), ts.port);
    assert_true(json_is_null(json_object_get(tsn, "rack")));
    json_decref(j);
}

static void test_database_lifecycle(void **state) {
    (void)state;
    /* the default database is there */
    ADMIN(&r, ts.port, "database", "list");
    fl_expect(&r, 0, "NAME   TABLES  CREATED\nfluss  0 ", "");

    ADMIN(&r, ts.port, "database", "create", "sales", "--comment", "all sales", "--custom-property",
          "owner=ops", "--custom-property", "tier=gold");
    fl_expect(&r, 0, "Created database sales.\n", "");
    ADMIN(&r, ts.port, "--json", "database", "create", "empty");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "database")), "empty");
    assert_true(json_is_true(json_object_get(j, "created")));
    json_decref(j);

    /* exists: refused in words, or a no-op with --if-not-exists */
    ADMIN(&r, ts.port, "database", "create", "sales");
    fl_expect(&r, 1, NULL, "error: DATABASE_ALREADY_EXIST (6): Database sales already exists.");
    assert_string_equal(r.out, "");
    ADMIN(&r, ts.port, "database", "create", "sales", "--if-not-exists");
    fl_expect(&r, 0, "Database sales already exists; left unchanged.", "");
    ADMIN(&r, ts.port, "--json", "database", "create", "sales", "--if-not-exists");
    j = fl_out_json(&r);
    assert_true(json_is_false(json_object_get(j, "created")));
    json_decref(j);
    ADMIN(&r, ts.port, "database", "create", "bad name");
    fl_expect(&r, 1, NULL, "error: INVALID_DATABASE_EXCEPTION (16): Database name bad name is invalid");

    ADMIN(&r, ts.port, "database", "describe", "sales");
    fl_expect(&r, 0, "Database:         sales\nComment:          all sales\n", "");
    fl_expect(&r, 0, "Tables:           (none)\n", "");
    fl_expect(&r, 0, "Custom properties:\n  owner = ops\n  tier  = gold\n", "");
    ADMIN(&r, ts.port, "--json", "database", "describe", "sales");
    fl_expect(&r, 0, NULL, "");
    j = fl_out_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "comment")), "all sales");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "custom_properties"), "tier")), "gold");
    assert_true(json_integer_value(json_object_get(j, "created_time")) > 1600000000000LL);
    assert_int_equal(json_array_size(json_object_get(j, "tables")), 0);
    json_decref(j);

    ADMIN(&r, ts.port, "--json", "database", "list");
    j = fl_out_json(&r);
    json_t *dbs = json_object_get(j, "databases");
    assert_int_equal(json_array_size(dbs), 3);
    int seen = 0;
    for (size_t i = 0; i < json_array_size(dbs); i++) {
        const char *n = json_string_value(json_object_get(json_array_get(dbs, i), "name"));
        seen += !strcmp(n, "fluss") + !strcmp(n, "sales") + !strcmp(n, "empty");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(dbs, i), "tables")), 0);
    }
    assert_int_equal(seen, 3);
    json_decref(j);

    /* does not exist */
    ADMIN(&r, ts.port, "database", "describe", "nope");
    fl_expect(&r, 1, NULL, "error: DATABASE_NOT_EXIST (4): Database 'nope' does not exist.");
    ADMIN(&r, ts.port, "database", "drop", "nope");
    fl_expect(&r, 1, NULL, "error: DATABASE_NOT_EXIST (4):");
    ADMIN(&r, ts.port, "database", "drop", "nope", "--if-exists");
    fl_expect(&r, 0, "Database nope does not exist; nothing dropped.", "");
    ADMIN(&r, ts.port, "table", "list", "nope");
    fl_expect(&r, 1, NULL, "error: DATABASE_NOT_EXIST (4): Database nope does not exist.");

    /* not empty: refused in words; --cascade drops it with its tables */
    ADMIN(&r, ts.port, "table", "create", "sales.orders", "--column", "id BIGINT");
    fl_expect(&r, 0, "Created table sales.orders.", "");
    ADMIN(&r, ts.port, "database", "describe", "sales");
    fl_expect(&r, 0, "Tables:           orders\n", "");
    ADMIN(&r, ts.port, "database", "list");
    fl_expect(&r, 0, "sales  1 ", "");
    ADMIN(&r, ts.port, "database", "drop", "sales");
    fl_expect(&r, 1, NULL, "error: DATABASE_NOT_EMPTY (5): Database sales is not empty.");
    ADMIN(&r, ts.port, "database", "drop", "sales", "--cascade");
    fl_expect(&r, 0, "Dropped database sales and its tables.", "");
    ADMIN(&r, ts.port, "--json", "database", "drop", "empty", "--if-exists");
    fl_expect(&r, 0, NULL, "");
    j = fl_out_json(&r);
    assert_true(json_is_true(json_object_get(j, "dropped")));
    json_decref(j);
    ADMIN(&r, ts.port, "database", "list");
    fl_expect(&r, 0, NULL, "");
    assert_null(strstr(r.out, "sales"));
    assert_null(strstr(r.out, "empty"));
    ADMIN(&r, ts.port, "table", "describe", "sales.orders");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST (7): Table 'sales.orders' does not exist.");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_nodes),
        cmocka_unit_test(test_database_lifecycle),
    };
    return cmocka_run_group_tests_name("cli_databases", tests, setup, teardown);
}
