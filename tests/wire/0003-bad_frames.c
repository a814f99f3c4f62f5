/* 0003-bad_frames: malformed input never hurts. Each case is its own test against one shared
 * server; after each, a second, well-behaved client must still be served, and the server log
 * must name what was wrong. What each case gets is described in docs/protocol.md ("Bad
 * input"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

static fl_ts_t ts;

static int setup(void **state) {
    (void)state;
    const char *args[] = {"-Dnetty.server.max-request-size=1kb", NULL};
    fl_ts_start(&ts, "local", args);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
    return 0;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A raw request frame: header fields and arbitrary body bytes. */
static size_t raw_frame(uint8_t *out, int16_t key, int16_t ver, int32_t id, const void *body,
                        size_t body_len) {
    put_be32(out, (uint32_t)(8 + body_len));
    out[4] = (uint8_t)(key >> 8);
    out[5] = (uint8_t)key;
    out[6] = (uint8_t)(ver >> 8);
    out[7] = (uint8_t)ver;
    put_be32(out + 8, (uint32_t)id);
    memcpy(out + 12, body, body_len);
    return 12 + body_len;
}

static void expect_error(int fd, int32_t id, int32_t code, const char *msg_part) {
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 5000, &buf, &resp), 0);
    assert_int_equal(resp.hdr.type, FL_RESP_ERROR);
    assert_int_equal(resp.hdr.request_id, id);
    assert_int_equal(resp.error_code, code);
    if (msg_part && !strstr(resp.error_message, msg_part))
        fail_msg("error message '%s' lacks '%s'", resp.error_message, msg_part);
    fl_buf_free(&buf);
}

static void test_truncated_header(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    /* length 5: shorter than the 8-byte request header; no request id to answer */
    const uint8_t f[] = {0x00, 0x00, 0x00, 0x05, 0x03, 0xE8, 0x00, 0x00, 0x00};
    fl_cli_send(fd, f, sizeof(f));
    assert_true(fl_cli_closed(fd, 5000));
    close(fd);
    assert_true(fl_ts_log_has(&ts, "frame shorter than the request header (length prefix 5)"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_length_over_maximum(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    uint8_t f[12];
    raw_frame(f, 1000, 0, 41, "", 0);
    put_be32(f, 4096); /* over the 1kb maximum configured above */
    fl_cli_send(fd, f, sizeof(f));
    expect_error(fd, 41, -1, "exceeds netty.server.max-request-size");
    assert_true(fl_cli_closed(fd, 5000));
    close(fd);
    assert_true(fl_ts_log_has(&ts, "frame of 4096 bytes is over netty.server.max-request-size"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_negative_length(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    const uint8_t f[] = {0xFF, 0xFF, 0xFF, 0xF0, 0x03, 0xE8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
    fl_cli_send(fd, f, sizeof(f));
    assert_true(fl_cli_closed(fd, 5000));
    close(fd);
    assert_true(fl_ts_log_has(&ts, "negative frame length (length prefix -16)"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_unknown_api_key(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    uint8_t f[64];
    size_t n = raw_frame(f, 999, 0, 42, "", 0);
    fl_cli_send(fd, f, n);
    expect_error(fd, 42, 2, "Unknown API key 999");
    /* the connection itself stays usable */
    fl_cli_assert_serving(fd);
    close(fd);
    assert_true(fl_ts_log_has(&ts, "request 42: Unknown API key 999"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_api_not_implemented(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    uint8_t f[64];
    size_t n = raw_frame(f, FL_API_REBALANCE, 0, 43, "", 0);
    fl_cli_send(fd, f, n);
    expect_error(fd, 43, 2, "REBALANCE");
    fl_cli_assert_serving(fd);
    close(fd);
    assert_true(fl_ts_log_has(&ts, "request 43: API REBALANCE (1049) is not served"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_unsupported_version(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    Fluss__ApiVersionsRequest req = FLUSS__API_VERSIONS_REQUEST__INIT;
    req.client_software_name = "x";
    req.client_software_version = "y";
    fl_cli_send_request(fd, FL_API_API_VERSIONS, 5, 44, &req.base);
    expect_error(fd, 44, 2, "version 5 is not supported");
    fl_cli_assert_serving(fd);
    close(fd);
    assert_true(fl_ts_log_has(&ts, "request 44: API API_VERSIONS version 5 is not supported"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_body_not_protobuf(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    uint8_t f[64];
    const uint8_t junk[] = {0x0F, 0x00, 0x41, 0x42}; /* field 1, wire type 7 */
    size_t n = raw_frame(f, FL_API_GET_METADATA, 0, 45, junk, sizeof(junk));
    fl_cli_send(fd, f, n);
    expect_error(fd, 45, 3, "Invalid MetadataRequest");
    fl_cli_assert_serving(fd);
    close(fd);
    assert_true(fl_ts_log_has(&ts, "GET_METADATA request 45: bad body: invalid protobuf wire type 7"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_missing_required_field(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    uint8_t f[64];
    /* ApiVersionsRequest with client_software_name only */
    const uint8_t body[] = {0x0A, 0x05, 'f', 'l', 'u', 's', 's'};
    size_t n = raw_frame(f, FL_API_API_VERSIONS, 0, 46, body, sizeof(body));
    fl_cli_send(fd, f, n);
    expect_error(fd, 46, 3, "client_software_version");
    fl_cli_assert_serving(fd);
    close(fd);
    assert_true(fl_ts_log_has(
        &ts, "request 46: bad body: required field client_software_version (2) of "
             "ApiVersionsRequest is missing"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_disconnect_mid_frame(void **state) {
    (void)state;
    int fd = fl_cli_connect(ts.port);
    uint8_t f[64];
    const uint8_t body[] = {0x0A, 0x05, 'f', 'l', 'u', 's', 's', 0x12, 0x01, '1'};
    size_t n = raw_frame(f, FL_API_API_VERSIONS, 0, 47, body, sizeof(body));
    fl_cli_send(fd, f, n - 4); /* all but the last 4 bytes */
    usleep(100000);
    close(fd);
    assert_true(fl_ts_log_has(&ts, "closed mid-frame with 18 bytes of an incomplete request"));
    fl_cli_assert_port_serving(ts.port);
}

static void test_thousand_idle_connections(void **state) {
    (void)state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 1200 && rl.rlim_max >= 1200) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    enum { N = 1000 };
    static int fds[N];
    for (int i = 0; i < N; i++) fds[i] = fl_cli_connect(ts.port);
    /* while all are open, a new client is still served */
    fl_cli_assert_port_serving(ts.port);
    /* and an old one too */
    fl_cli_assert_serving(fds[N / 2]);
    for (int i = 0; i < N; i++) close(fds[i]);
    usleep(200000);
    fl_cli_assert_port_serving(ts.port);
    assert_true(fl_ts_alive(&ts));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_length_over_maximum),
        cmocka_unit_test(test_negative_length),
        cmocka_unit_test(test_unknown_api_key),
        cmocka_unit_test(test_api_not_implemented),
        cmocka_unit_test(test_unsupported_version),
        cmocka_unit_test(test_body_not_protobuf),
        cmocka_unit_test(test_missing_required_field),
        cmocka_unit_test(test_disconnect_mid_frame),
        cmocka_unit_test(test_thousand_idle_connections),
    };
    return cmocka_run_group_tests_name("wire_bad_frames", tests, setup, teardown);
}
