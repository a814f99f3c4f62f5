/* 0001-api_versions: the handshake every Java client starts with (fluss-rpc.md 1.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

/* The exact bytes the Java client sends first (fluss-rpc.md 1.1). */
static const uint8_t java_handshake[] = {0x00, 0x00, 0x00, 0x16, 0x03, 0xE8, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x0A, 0x05, 0x66, 0x6C, 0x75, 0x73,
                                         0x73, 0x12, 0x05, 0x30, 0x2E, 0x31, 0x2E, 0x30};

static Fluss__ApiVersionsResponse *handshake(int fd, fl_arena_t *arena) {
    fl_cli_send(fd, java_handshake, sizeof(java_handshake));
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 10000, &buf, &resp), 0);
    assert_int_equal(resp.hdr.type, FL_RESP_SUCCESS);
    assert_int_equal(resp.hdr.request_id, 0);
    const char *why;
    Fluss__ApiVersionsResponse *r = (Fluss__ApiVersionsResponse *)fl_pb_unpack(
        arena, &fluss__api_versions_response__descriptor, resp.body, resp.body_len, &why);
    assert_non_null(r);
    fl_buf_free(&buf);
    return r;
}

static bool lists(const Fluss__ApiVersionsResponse *r, int key) {
    for (size_t i = 0; i < r->n_api_versions; i++)
        if (r->api_versions[i]->api_key == key) return true;
    return false;
}

static void check_ranges(const Fluss__ApiVersionsResponse *r) {
    for (size_t i = 0; i < r->n_api_versions; i++) {
        const fl_api_t *api = fl_api_get(r->api_versions[i]->api_key);
        assert_non_null(api);
        assert_int_equal(r->api_versions[i]->min_version, api->min_version);
        assert_int_equal(r->api_versions[i]->max_version, api->max_version);
    }
}

static void test_local_omits_server_type(void **state) {
    (void)state;
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    int fd = fl_cli_connect(ts.port);
    fl_arena_t *arena = fl_arena_new(0);
    Fluss__ApiVersionsResponse *r = handshake(fd, arena);
    assert_false(r->has_server_type);
    assert_true(lists(r, FL_API_API_VERSIONS));
    assert_true(lists(r, FL_API_GET_METADATA));
    /* exactly the implemented APIs: nothing that has no handler yet */
    assert_false(lists(r, FL_API_REBALANCE));
    assert_false(lists(r, FL_API_AUTHENTICATE));
    check_ranges(r);
    fl_arena_destroy(arena);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_single_roles_set_server_type(void **state) {
    (void)state;
    fl_ts_t ts;
    fl_ts_start(&ts, "coordinator", NULL);
    int fd = fl_cli_connect(ts.port);
    fl_arena_t *arena = fl_arena_new(0);
    Fluss__ApiVersionsResponse *r = handshake(fd, arena);
    assert_true(r->has_server_type);
    assert_int_equal(r->server_type, FL_SERVER_TYPE_COORDINATOR);
    for (size_t i = 0; i < r->n_api_versions; i++)
        assert_true(fl_api_get(r->api_versions[i]->api_key)->roles & FL_ROLE_CS);
    check_ranges(r);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);

    const char *args[] = {"-Dtablet-server.id=3", "-Dserver.coordinator-address=127.0.0.1:1", NULL};
    fl_ts_start(&ts, "tabletServer", args);
    fd = fl_cli_connect(ts.port);
    r = handshake(fd, arena);
    assert_true(r->has_server_type);
    assert_int_equal(r->server_type, FL_SERVER_TYPE_TABLET_SERVER);
    for (size_t i = 0; i < r->n_api_versions; i++)
        assert_true(fl_api_get(r->api_versions[i]->api_key)->roles & FL_ROLE_TS);
    check_ranges(r);
    fl_arena_destroy(arena);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_omits_server_type),
        cmocka_unit_test(test_single_roles_set_server_type),
    };
    return cmocka_run_group_tests_name("wire_api_versions", tests, NULL, NULL);
}
