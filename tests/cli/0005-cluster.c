/* 0005-cluster: fl-admin against a coordinator and two tablet-server processes: the node list,
 * bucket leaders and replicas spread over both tablet servers, and a tablet server (which does
 * not serve DDL) named as the bootstrap server: exit 1 saying which API it does not serve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_cli_test.h"
#include "fl_wire.h"

static fl_ts_t cs, tab[2];
static fl_run_t r;

static int tablet_count(void) {
    fl_run_t c;
    ADMIN(&c, cs.port, "--json", "cluster", "nodes");
    if (c.status) return -1;
    json_t *j = fl_out_json(&c);
    int n = (int)json_array_size(json_object_get(j, "nodes")) - 1;
    json_decref(j);
    return n;
}

static int setup(void **state) {
    (void)state;
    fl_ts_start(&cs, "coordinator", NULL);
    char coord[64];
    snprintf(coord, sizeof(coord), "-Dserver.coordinator-address=127.0.0.1:%d", cs.port);
    for (int i = 0; i < 2; i++) {
        char id[32];
        snprintf(id, sizeof(id), "-Dtablet-server.id=%d", i + 1);
        const char *args[] = {id, coord, "-Dserver.heartbeat-interval=100 ms", NULL};
        fl_ts_start(&tab[i], "tablet", args);
    }
    for (int tries = 0; tries < 100 && tablet_count() < 2; tries++) usleep(50000);
    assert_int_equal(tablet_count(), 2);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < 2; i++) assert_int_equal(fl_ts_stop(&tab[i]), 0);
    assert_int_equal(fl_ts_stop(&cs), 0);
    for (int i = 0; i < 2; i++) fl_cli_rmtree(tab[i].dir);
    fl_cli_rmtree(cs.dir);
    return 0;
}

static void test_nodes_and_leaders(void **state) {
    (void)state;
    char want[128];
    ADMIN(&r, cs.port, "cluster", "nodes");
    snprintf(want, sizeof(want), "0   coordinator    127.0.0.1  %d", cs.port);
    fl_expect(&r, 0, want, "");
    for (int i = 0; i < 2; i++) {
        snprintf(want, sizeof(want), "%d   tablet-server  127.0.0.1  %d", i + 1, tab[i].port);
        fl_expect(&r, 0, want, "");
    }

    ADMIN(&r, cs.port, "table", "create", "fluss.spread", "--column", "a INT", "--buckets", "4",
          "--property", "table.replication.factor=2");
    fl_expect(&r, 0, "Created table fluss.spread.", "");
    ADMIN(&r, cs.port, "--json", "table", "describe", "fluss.spread");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    json_t *buckets = json_object_get(j, "buckets");
    assert_int_equal(json_array_size(buckets), 4);
    int led[3] = {0};
    for (size_t b = 0; b < 4; b++) {
        json_t *bm = json_array_get(buckets, b);
        int leader = (int)json_integer_value(json_object_get(bm, "leader"));
        assert_true(leader == 1 || leader == 2);
        led[leader]++;
        json_t *reps = json_object_get(bm, "replicas");
        assert_int_equal(json_array_size(reps), 2);
        assert_int_equal(json_integer_value(json_array_get(reps, 0)), leader);
        snprintf(want, sizeof(want), "127.0.0.1:%d", tab[leader - 1].port);
        assert_string_equal(json_string_value(json_object_get(bm, "leader_address")), want);
    }
    assert_true(led[1] > 0 && led[2] > 0);
    json_decref(j);
    ADMIN(&r, cs.port, "table", "describe", "fluss.spread");
    snprintf(want, sizeof(want), "127.0.0.1:%d  1,2\n", tab[0].port);
    fl_expect(&r, 0, want, "");
    snprintf(want, sizeof(want), "127.0.0.1:%d  2,1\n", tab[1].port);
    fl_expect(&r, 0, want, "");
}

static void test_tablet_server_as_bootstrap(void **state) {
    (void)state;
    char want[160];
    snprintf(want, sizeof(want),
             "error: UNSUPPORTED_VERSION (2): the server at 127.0.0.1:%d does not serve "
             "CREATE_DATABASE (API key 1001)", tab[0].port);
    ADMIN(&r, tab[0].port, "database", "create", "x");
    fl_expect(&r, 1, NULL, want);
    assert_string_equal(r.out, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_and_leaders),
        cmocka_unit_test(test_tablet_server_as_bootstrap),
    };
    return cmocka_run_group_tests_name("cli_cluster", tests, setup, teardown);
}
