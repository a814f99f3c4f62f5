/* 0002-metadata: GetMetadata names the coordinator and tablet servers with the host and port of
 * the listener the request came in on (fluss-rpc.md 3.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

static Fluss__MetadataResponse *metadata(int fd, fl_arena_t *arena) {
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    return (Fluss__MetadataResponse *)fl_cli_call(fd, FL_API_GET_METADATA, 0, &req.base,
                                                  &fluss__metadata_response__descriptor, arena);
}

static void test_local_nodes(void **state) {
    (void)state;
    fl_ts_t ts;
    const char *args[] = {"-Dtablet-server.id=4", "-Dtablet-server.rack=r1", NULL};
    fl_ts_start(&ts, "local", args);
    int fd = fl_cli_connect(ts.port);
    fl_arena_t *arena = fl_arena_new(0);
    Fluss__MetadataResponse *r = metadata(fd, arena);
    assert_non_null(r->coordinator_server);
    assert_int_equal(r->coordinator_server->node_id, 0);
    assert_string_equal(r->coordinator_server->host, "127.0.0.1");
    assert_int_equal(r->coordinator_server->port, ts.port);
    assert_int_equal(r->n_tablet_servers, 1);
    assert_int_equal(r->tablet_servers[0]->node_id, 4);
    assert_int_equal(r->tablet_servers[0]->port, ts.port);
    assert_string_equal(r->tablet_servers[0]->rack, "r1");
    assert_int_equal(r->n_table_metadata, 0);
    fl_arena_destroy(arena);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_advertised_per_listener(void **state) {
    (void)state;
    /* Two listeners, each advertising its own host: a client on CLIENT is told the CLIENT
     * address of every node, a client on FLUSS the FLUSS address. */
    int p1 = fl_free_port(), p2 = fl_free_port();
    char bind[128], adv[160];
    snprintf(bind, sizeof(bind), "-Dbind.listeners=FLUSS://127.0.0.1:%d,CLIENT://127.0.0.1:%d",
             p1, p2);
    snprintf(adv, sizeof(adv),
             "-Dadvertised.listeners=FLUSS://fluss.internal:%d,CLIENT://client.example:9999", p1);
    const char *args[] = {bind, adv, NULL};
    fl_ts_t ts;
    fl_ts_start_on(&ts, "local", p1, args);
    fl_arena_t *arena = fl_arena_new(0);

    int fd = fl_cli_connect(p2);
    Fluss__MetadataResponse *r = metadata(fd, arena);
    assert_string_equal(r->coordinator_server->host, "client.example");
    assert_int_equal(r->coordinator_server->port, 9999);
    assert_int_equal(r->n_tablet_servers, 1);
    assert_string_equal(r->tablet_servers[0]->host, "client.example");
    assert_int_equal(r->tablet_servers[0]->port, 9999);
    close(fd);

    fd = fl_cli_connect(p1);
    r = metadata(fd, arena);
    assert_string_equal(r->coordinator_server->host, "fluss.internal");
    assert_int_equal(r->coordinator_server->port, p1);
    assert_string_equal(r->tablet_servers[0]->host, "fluss.internal");
    close(fd);
    fl_arena_destroy(arena);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_unknown_table(void **state) {
    (void)state;
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    int fd = fl_cli_connect(ts.port);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "nope";
    Fluss__PbTablePath *tps[] = {&tp};
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    req.n_table_path = 1;
    req.table_path = tps;
    fl_cli_send_request(fd, FL_API_GET_METADATA, 0, 77, &req.base);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 5000, &buf, &resp), 0);
    assert_int_equal(resp.hdr.type, FL_RESP_ERROR);
    assert_int_equal(resp.hdr.request_id, 77);
    assert_int_equal(resp.error_code, 7); /* TABLE_NOT_EXIST */
    fl_buf_free(&buf);
    fl_cli_assert_serving(fd);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_nodes),
        cmocka_unit_test(test_advertised_per_listener),
        cmocka_unit_test(test_unknown_table),
    };
    return cmocka_run_group_tests_name("wire_metadata", tests, NULL, NULL);
}
