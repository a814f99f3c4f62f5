/* 0004-partitions: `partition create|list|drop` against a real fl-server, in text and --json,
 * with partial-spec filters, the --if-(not-)exists no-ops and the server's refusals in words. */
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
    fl_run_t c;
    ADMIN(&c, ts.port, "table", "create", "fluss.sales", "--column", "id BIGINT", "--column",
          "region STRING", "--column", "dt STRING", "--partition-key", "region,dt", "--buckets", "1");
    fl_expect(&c, 0, "Created table fluss.sales.", "");
    ADMIN(&c, ts.port, "table", "create", "fluss.flat", "--column", "id BIGINT");
    fl_expect(&c, 0, NULL, "");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(fl_ts_stop(&ts), 0);
    fl_cli_rmtree(ts.dir);
    return 0;
}

static void test_create_list_drop(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "partition", "list", "fluss.sales");
    fl_expect(&r, 0, "ID  NAME  SPEC\n(no partitions)\n", "");

    ADMIN(&r, ts.port, "partition", "create", "fluss.sales", "region=eu,dt=2024-01-01");
    fl_expect(&r, 0, "Created partition fluss.sales(region=eu,dt=2024-01-01).\n", "");
    /* key order in the spec does not matter */
    ADMIN(&r, ts.port, "partition", "create", "fluss.sales", "dt=2024-01-02,region=eu");
    fl_expect(&r, 0, NULL, "");
    ADMIN(&r, ts.port, "--json", "partition", "create", "sales", "region=us,dt=2024-01-01");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    assert_true(json_is_true(json_object_get(j, "created")));
    json_decref(j);

    ADMIN(&r, ts.port, "partition", "list", "fluss.sales");
    fl_expect(&r, 0, "ID  NAME           SPEC\n", "");
    fl_expect(&r, 0, "eu$2024-01-01  region=eu,dt=2024-01-01\n", "");
    fl_expect(&r, 0, "eu$2024-01-02  region=eu,dt=2024-01-02\n", "");
    fl_expect(&r, 0, "us$2024-01-01  region=us,dt=2024-01-01\n", "");

    /* partial spec */
    ADMIN(&r, ts.port, "--json", "partition", "list", "fluss.sales", "region=eu");
    fl_expect(&r, 0, NULL, "");
    j = fl_out_json(&r);
    json_t *parts = json_object_get(j, "partitions");
    assert_int_equal(json_array_size(parts), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_array_get(parts, i);
        assert_string_equal(json_string_value(json_object_get(json_object_get(p, "spec"), "region")), "eu");
        assert_true(json_is_integer(json_object_get(p, "id")));
        assert_non_null(strstr(json_string_value(json_object_get(p, "name")), "eu$"));
    }
    json_decref(j);
    ADMIN(&r, ts.port, "partition", "list", "fluss.sales", "dt=2024-01-01");
    fl_expect(&r, 0, NULL, "");
    assert_int_equal(fl_count(r.out, "dt=2024-01-01\n"), 2);
    assert_int_equal(fl_count(r.out, "dt=2024-01-02"), 0);

    /* exists / does not exist */
    ADMIN(&r, ts.port, "partition", "create", "fluss.sales", "region=eu,dt=2024-01-01");
    fl_expect(&r, 1, NULL, "error: PARTITION_ALREADY_EXISTS (42): ");
    ADMIN(&r, ts.port, "partition", "create", "fluss.sales", "region=eu,dt=2024-01-01", "--if-not-exists");
    fl_expect(&r, 0, "Partition fluss.sales(region=eu,dt=2024-01-01) already exists; left unchanged.", "");
    ADMIN(&r, ts.port, "partition", "drop", "fluss.sales", "region=xx,dt=2024-01-01");
    fl_expect(&r, 1, NULL, "error: PARTITION_NOT_EXISTS (36): ");
    ADMIN(&r, ts.port, "partition", "drop", "fluss.sales", "region=xx,dt=2024-01-01", "--if-exists");
    fl_expect(&r, 0, "Partition fluss.sales(region=xx,dt=2024-01-01) does not exist; nothing dropped.", "");

    ADMIN(&r, ts.port, "partition", "drop", "fluss.sales", "region=eu,dt=2024-01-02");
    fl_expect(&r, 0, "Dropped partition fluss.sales(region=eu,dt=2024-01-02).\n", "");
    ADMIN(&r, ts.port, "--json", "partition", "drop", "fluss.sales", "region=us,dt=2024-01-01", "--if-exists");
    j = fl_out_json(&r);
    assert_true(json_is_true(json_object_get(j, "dropped")));
    json_decref(j);
    ADMIN(&r, ts.port, "--json", "partition", "list", "fluss.sales");
    j = fl_out_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "partitions")), 1);
    json_decref(j);
}

static void test_refusals(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "partition", "list", "fluss.flat");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_PARTITIONED_EXCEPTION (37): Table 'fluss.flat' is not a partitioned table.");
    ADMIN(&r, ts.port, "partition", "create", "fluss.flat", "a=1");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_PARTITIONED_EXCEPTION (37): ");
    ADMIN(&r, ts.port, "partition", "list", "fluss.sales", "color=red");
    fl_expect(&r, 1, NULL, "error: PARTITION_SPEC_INVALID_EXCEPTION (43): table fluss.sales does not contain partitionKey 'color'");
    ADMIN(&r, ts.port, "partition", "create", "fluss.sales", "region=eu");
    fl_expect(&r, 1, NULL, "error: PARTITION_SPEC_INVALID_EXCEPTION (43): ");
    ADMIN(&r, ts.port, "partition", "list", "fluss.nope");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST (7): ");
    ADMIN(&r, ts.port, "partition", "create", "nodb.t", "a=1");
    fl_expect(&r, 1, NULL, "error: ");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_list_drop),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests_name("cli_partitions", tests, setup, teardown);
}
