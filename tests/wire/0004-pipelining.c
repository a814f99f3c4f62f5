/* 0004-pipelining: many requests in flight on one connection, answered by request id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

static void test_pipelined_requests(void **state) {
    (void)state;
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    int fd = fl_cli_connect(ts.port);
    enum { N = 2000 };
    fl_buf_t out;
    fl_buf_init(&out);
    Fluss__ApiVersionsRequest av = FLUSS__API_VERSIONS_REQUEST__INIT;
    av.client_software_name = "pipe";
    av.client_software_version = "1";
    Fluss__MetadataRequest md = FLUSS__METADATA_REQUEST__INIT;
    for (int i = 0; i < N; i++) {
        /* ids deliberately not in order */
        int32_t id = (i * 7919) % N;
        size_t at = fl_frame_begin_req(&out, i % 2 ? FL_API_GET_METADATA : FL_API_API_VERSIONS,
                                       0, id);
        fl_pb_pack(&out, i % 2 ? &md.base : &av.base);
        fl_frame_end(&out, at);
    }
    fl_cli_send(fd, out.p, out.len); /* one write, 2000 requests */
    static bool seen[N];
    memset(seen, 0, sizeof(seen));
    fl_buf_t buf;
    fl_buf_init(&buf);
    for (int i = 0; i < N; i++) {
        fl_cli_resp_t resp;
        assert_int_equal(fl_cli_read_resp(fd, 10000, &buf, &resp), 0);
        assert_int_equal(resp.hdr.type, FL_RESP_SUCCESS);
        assert_true(resp.hdr.request_id >= 0 && resp.hdr.request_id < N);
        assert_false(seen[resp.hdr.request_id]);
        seen[resp.hdr.request_id] = true;
    }
    fl_buf_free(&buf);
    fl_buf_free(&out);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pipelined_requests)};
    return cmocka_run_group_tests_name("wire_pipelining", tests, NULL, NULL);
}
