/* 0008-cluster: one coordinator and three tablet-server processes. Tablet servers register
 * through heartbeats, a 12-bucket table's leaders spread evenly over them, tablet servers
 * answer catalog reads (forwarded to the coordinator), and a killed tablet server is marked
 * dead within server.heartbeat-timeout; a restarted one comes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

static fl_ts_t cs, ts[3];
static char coord_addr[64];

static Fluss__MetadataResponse *metadata(int port, fl_arena_t *a, const char *table) {
    int fd = fl_cli_connect(port);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)table;
    Fluss__PbTablePath *tps[] = {&tp};
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    if (table) {
        req.n_table_path = 1;
        req.table_path = tps;
    }
    Fluss__MetadataResponse *r = (Fluss__MetadataResponse *)fl_cli_call(
        fd, FL_API_GET_METADATA, 0, &req.base, &fluss__metadata_response__descriptor, a);
    close(fd);
    return r;
}

static size_t alive_count(int port) {
    fl_arena_t *a = fl_arena_new(0);
    size_t n = metadata(port, a, NULL)->n_tablet_servers;
    fl_arena_destroy(a);
    return n;
}

static void start_tablet(int i) {
    char id[32];
    snprintf(id, sizeof(id), "-Dtablet-server.id=%d", i + 1);
    const char *args[] = {id, coord_addr, "-Dserver.heartbeat-interval=100 ms", NULL};
    fl_ts_start(&ts[i], "tablet", args);
}

static int setup(void **state) {
    (void)state;
    const char *args[] = {"-Dserver.heartbeat-timeout=1 s", NULL};
    fl_ts_start(&cs, "coordinator", args);
    snprintf(coord_addr, sizeof(coord_addr), "-Dserver.coordinator-address=127.0.0.1:%d", cs.port);
    for (int i = 0; i < 3; i++) start_tablet(i);
    for (int tries = 0; tries < 100 && alive_count(cs.port) < 3; tries++) usleep(50000);
    assert_int_equal(alive_count(cs.port), 3);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++)
        if (ts[i].pid) assert_int_equal(fl_ts_stop(&ts[i]), 0);
    assert_int_equal(fl_ts_stop(&cs), 0);
    return 0;
}

static void create_table(int port, const char *name, int buckets, int rf) {
    char json[512];
    snprintf(json, sizeof(json),
             "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
             "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":%d,\"properties\":"
             "{\"table.replication.factor\":\"%d\"},\"custom_properties\":{}}",
             buckets, rf);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = strlen(json);
    int fd = fl_cli_connect(port);
    fl_arena_t *a = fl_arena_new(0);
    fl_cli_call(fd, FL_API_CREATE_TABLE, 0, &req.base, &fluss__create_table_response__descriptor, a);
    fl_arena_destroy(a);
    close(fd);
}

static void test_leaders_spread(void **state) {
    (void)state;
    create_table(cs.port, "spread", 12, 1);
    fl_arena_t *a = fl_arena_new(0);
    /* ask a tablet server: it forwards to the coordinator */
    Fluss__MetadataResponse *r = metadata(ts[1].port, a, "spread");
    assert_non_null(r->coordinator_server);
    assert_int_equal(r->coordinator_server->port, cs.port);
    assert_int_equal(r->n_tablet_servers, 3);
    assert_int_equal(r->n_table_metadata, 1);
    assert_int_equal(r->table_metadata[0]->n_bucket_metadata, 12);
    int per[4] = {0};
    for (size_t b = 0; b < 12; b++) {
        Fluss__PbBucketMetadata *bm = r->table_metadata[0]->bucket_metadata[b];
        assert_true(bm->has_leader_id);
        assert_true(bm->leader_id >= 1 && bm->leader_id <= 3);
        per[bm->leader_id]++;
    }
    assert_int_equal(per[1], 4);
    assert_int_equal(per[2], 4);
    assert_int_equal(per[3], 4);
    /* tablet servers are advertised with their own ports */
    for (size_t i = 0; i < r->n_tablet_servers; i++)
        assert_int_equal(r->tablet_servers[i]->port, ts[r->tablet_servers[i]->node_id - 1].port);
    fl_arena_destroy(a);
}

static void test_dead_tablet_server(void **state) {
    (void)state;
    create_table(cs.port, "replicated", 6, 3);
    fl_ts_kill9(&ts[1]); /* tablet server 2 */
    int64_t t0 = fl_mono_us();
    while (alive_count(cs.port) == 3 && fl_mono_us() - t0 < 5000000) usleep(50000);
    int64_t took_ms = (fl_mono_us() - t0) / 1000;
    assert_int_equal(alive_count(cs.port), 2);
    print_message("tablet server 2 marked dead after %lld ms (timeout 1000 ms)\n", (long long)took_ms);
    assert_true(took_ms < 4000); /* the timeout plus one liveness check, with slack for a busy machine */
    assert_true(fl_ts_log_has(&cs, "tablet server 2 sent no heartbeat"));
    fl_arena_t *a = fl_arena_new(0);
    Fluss__MetadataResponse *r = metadata(cs.port, a, "replicated");
    for (size_t b = 0; b < r->table_metadata[0]->n_bucket_metadata; b++) {
        Fluss__PbBucketMetadata *bm = r->table_metadata[0]->bucket_metadata[b];
        assert_int_equal(bm->n_replica_id, 3);
        assert_true(bm->has_leader_id);
        assert_true(bm->leader_id != 2); /* leadership moved to a live replica */
    }
    r = metadata(cs.port, a, "spread");
    int leaderless = 0;
    for (size_t b = 0; b < 12; b++)
        if (!r->table_metadata[0]->bucket_metadata[b]->has_leader_id) leaderless++;
    assert_int_equal(leaderless, 4); /* replication factor 1: its buckets have no leader */
    fl_arena_destroy(a);

    /* it comes back after a restart */
    fl_ts_restart(&ts[1], "tablet", (const char *[]){"-Dtablet-server.id=2", coord_addr,
                                                    "-Dserver.heartbeat-interval=100 ms", NULL});
    for (int tries = 0; tries < 100 && alive_count(cs.port) < 3; tries++) usleep(50000);
    assert_int_equal(alive_count(cs.port), 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaders_spread),
        cmocka_unit_test(test_dead_tablet_server),
    };
    return cmocka_run_group_tests_name("wire_cluster", tests, setup, teardown);
}
