/* test_frame.c: frame codec against the byte vectors of fluss-rpc.md 1.1 (made by the Java
 * client and server), and protobuf diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_frame.h"
#include "fl_pb.h"

/* Java client handshake: ApiVersionsRequest{"fluss","0.1.0"}, request id 0. */
static const uint8_t java_api_versions_req[] = {
    0x00, 0x00, 0x00, 0x16, 0x03, 0xE8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x05,
    0x66, 0x6C, 0x75, 0x73, 0x73, 0x12, 0x05, 0x30, 0x2E, 0x31, 0x2E, 0x30};

/* Success reply with one PbApiVersion{1000,0,0} and no server_type. */
static const uint8_t java_api_versions_resp[] = {0x00, 0x00, 0x00, 0x0E, 0x00, 0x00, 0x00,
                                                 0x00, 0x00, 0x0A, 0x07, 0x08, 0xE8, 0x07,
                                                 0x10, 0x00, 0x18, 0x00};

/* Error reply for request 5, TABLE_NOT_EXIST, no message. */
static const uint8_t java_error_resp[] = {0x00, 0x00, 0x00, 0x07, 0x01, 0x00,
                                          0x00, 0x00, 0x05, 0x08, 0x07};

static void test_decode_java_request(void **state) {
    (void)state;
    fl_reader_t rd;
    fl_rd_init(&rd, java_api_versions_req, sizeof(java_api_versions_req));
    fl_req_header_t hdr;
    assert_int_equal(fl_frame_read_req_header(&rd, &hdr), FL_ERR_NONE);
    assert_int_equal(hdr.frame_len, (int)sizeof(java_api_versions_req) - 4);
    assert_int_equal(hdr.api_key, 1000);
    assert_int_equal(hdr.api_version, 0);
    assert_int_equal(hdr.request_id, 0);
    fl_arena_t *arena = fl_arena_new(0);
    const char *why = NULL;
    Fluss__ApiVersionsRequest *req = (Fluss__ApiVersionsRequest *)fl_pb_unpack(
        arena, &fluss__api_versions_request__descriptor, rd.p + rd.off, fl_rd_remaining(&rd),
        &why);
    assert_non_null(req);
    assert_string_equal(req->client_software_name, "fluss");
    assert_string_equal(req->client_software_version, "0.1.0");
    fl_arena_destroy(arena);
}

static void test_encode_request_like_java(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    size_t at = fl_frame_begin_req(&buf, 1000, 0, 0);
    Fluss__ApiVersionsRequest req = FLUSS__API_VERSIONS_REQUEST__INIT;
    req.client_software_name = "fluss";
    req.client_software_version = "0.1.0";
    fl_pb_pack(&buf, &req.base);
    fl_frame_end(&buf, at);
    assert_int_equal(buf.len, sizeof(java_api_versions_req));
    assert_memory_equal(buf.p, java_api_versions_req, buf.len);
    fl_buf_free(&buf);
}

static void test_encode_success_like_java(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    size_t at = fl_frame_begin_resp(&buf, FL_RESP_SUCCESS, 0);
    Fluss__PbApiVersion v = FLUSS__PB_API_VERSION__INIT;
    v.api_key = 1000;
    Fluss__PbApiVersion *vs[] = {&v};
    Fluss__ApiVersionsResponse resp = FLUSS__API_VERSIONS_RESPONSE__INIT;
    resp.n_api_versions = 1;
    resp.api_versions = vs;
    fl_pb_pack(&buf, &resp.base);
    fl_frame_end(&buf, at);
    assert_int_equal(buf.len, sizeof(java_api_versions_resp));
    assert_memory_equal(buf.p, java_api_versions_resp, buf.len);
    fl_buf_free(&buf);
}

static void test_encode_error_like_java(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_frame_put_error(&buf, 5, FL_ERR_TABLE_NOT_EXIST, NULL);
    assert_int_equal(buf.len, sizeof(java_error_resp));
    assert_memory_equal(buf.p, java_error_resp, buf.len);

    fl_reader_t rd;
    fl_rd_init(&rd, buf.p, buf.len);
    fl_resp_header_t hdr;
    assert_int_equal(fl_frame_read_resp_header(&rd, &hdr), FL_ERR_NONE);
    assert_int_equal(hdr.type, FL_RESP_ERROR);
    assert_int_equal(hdr.request_id, 5);
    fl_buf_free(&buf);
}

static void test_negative_int32_is_ten_bytes(void **state) {
    (void)state;
    /* fluss-rpc.md 1.2: follower_server_id = -1 -> 08 FF FF FF FF FF FF FF FF FF 01 */
    Fluss__ListOffsetsRequest req = FLUSS__LIST_OFFSETS_REQUEST__INIT;
    req.follower_server_id = -1;
    req.offset_type = 0;
    req.table_id = 0;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_pb_pack(&buf, &req.base);
    const uint8_t want[] = {0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    assert_true(buf.len >= sizeof(want));
    assert_memory_equal(buf.p, want, sizeof(want));
    fl_buf_free(&buf);
}

static void test_length_verdicts(void **state) {
    (void)state;
    assert_int_equal(fl_frame_check_len(-1, 100), FL_FRAME_NEGATIVE);
    assert_int_equal(fl_frame_check_len(7, 100), FL_FRAME_TOO_SHORT);
    assert_int_equal(fl_frame_check_len(8, 100), FL_FRAME_OK);
    assert_int_equal(fl_frame_check_len(100, 100), FL_FRAME_OK);
    assert_int_equal(fl_frame_check_len(101, 100), FL_FRAME_TOO_LARGE);
}

static void test_diagnose(void **state) {
    (void)state;
    fl_arena_t *arena = fl_arena_new(0);
    const char *why = NULL;
    /* only field 1 of ApiVersionsRequest: field 2 (required) missing */
    const uint8_t missing[] = {0x0A, 0x01, 'x'};
    assert_null(fl_pb_unpack(arena, &fluss__api_versions_request__descriptor, missing,
                             sizeof(missing), &why));
    assert_non_null(strstr(why, "client_software_version"));
    assert_non_null(strstr(why, "missing"));

    /* wire type 7 does not exist */
    const uint8_t badwt[] = {0x0F, 0x00};
    assert_null(fl_pb_unpack(arena, &fluss__api_versions_request__descriptor, badwt,
                             sizeof(badwt), &why));
    assert_non_null(strstr(why, "wire type 7"));

    /* length running past the end */
    const uint8_t trunc[] = {0x0A, 0x7F, 'x'};
    assert_null(fl_pb_unpack(arena, &fluss__api_versions_request__descriptor, trunc,
                             sizeof(trunc), &why));
    assert_non_null(strstr(why, "byte 0"));

    /* nested required field missing: MetadataRequest.table_path[0].table_name */
    const uint8_t nested[] = {0x0A, 0x03, 0x0A, 0x01, 'd'};
    assert_null(fl_pb_unpack(arena, &fluss__metadata_request__descriptor, nested,
                             sizeof(nested), &why));
    assert_non_null(strstr(why, "table_path.table_name"));
    fl_arena_destroy(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_java_request),
        cmocka_unit_test(test_encode_request_like_java),
        cmocka_unit_test(test_encode_success_like_java),
        cmocka_unit_test(test_encode_error_like_java),
        cmocka_unit_test(test_negative_int32_is_ten_bytes),
        cmocka_unit_test(test_length_verdicts),
        cmocka_unit_test(test_diagnose),
    };
    return cmocka_run_group_tests_name("protocol_frame", tests, NULL, NULL);
}
