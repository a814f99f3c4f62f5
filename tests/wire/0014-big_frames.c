/* 0014-big_frames: requests of 64 KiB and more take their own path through the server: the
 * frame is read from the socket straight into a buffer the request owns (server/fl_conn.c) and
 * a ProduceLog body in plain encoding is decoded in place, its records never copied
 * (fl_rpc_produce_log_decode in server/rpc_log.c); anything else falls back to protobuf-c.
 * These cases feed that path well-formed and malformed bodies, sent whole, byte-dribbled and
 * cut off, and check after each that the answer is Fluss's (3 CORRUPT_MESSAGE for a body that is
 * not a valid ProduceLogRequest, as for small frames), that nothing of a refused request is
 * stored, and that the server keeps serving. Debug builds also decode every in-place request
 * with protobuf-c and abort when the two disagree, so a body one decoder takes and the other
 * refuses would kill the server here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_wire.h"

#define TABLE_JSON                                                                             \
    "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\"}},"          \
    "{\"name\":\"s\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[],"             \
    "\"bucket_key\":[],\"bucket_count\":1,\"properties\":"                                     \
    "{\"table.log.format\":\"INDEXED\"},\"custom_properties\":{}}"

static fl_ts_t ts;
static int fd;
static int64_t tid;
static int32_t next_id = 1000;

static fl_type_t col_types[2] = {{.root = FL_T_BIGINT, .nullable = true},
                                 {.root = FL_T_STRING, .nullable = true}};
static char *col_names[2] = {"k", "s"};
static int32_t col_ids[2] = {0, 1};
static const fl_type_t row_type = {.root = FL_T_ROW, .n_children = 2, .children = col_types,
                                   .field_names = col_names, .field_ids = col_ids};

/* One INDEXED batch of nrec rows with 1000-byte strings: about nrec KiB. */
static void build_batch(fl_buf_t *out, int nrec) {
    fl_buf_t body;
    fl_buf_init(&body);
    static char s[1000];
    memset(s, 'x', sizeof(s));
    for (int i = 0; i < nrec; i++) {
        fl_datum_t f[2];
        memset(f, 0, sizeof(f));
        f[0].v.i64 = i;
        f[1].v.bytes.p = (const uint8_t *)s;
        f[1].v.bytes.len = sizeof(s);
        assert_int_equal(fl_logrecord_write_row(&body, FL_ROW_INDEXED, FL_CHANGE_APPEND_ONLY,
                                                &row_type, f),
                         FL_ERR_NONE);
    }
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.record_count = nrec;
    fl_logbatch_build(out, &opt, body.p, body.len);
    fl_buf_free(&body);
}

/* ---- protobuf by hand ------------------------------------------------------------------------ */

static void put_uvarint(fl_buf_t *b, uint64_t v) {
    while (v >= 0x80) {
        fl_buf_put_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    fl_buf_put_u8(b, (uint8_t)v);
}

static void put_tag(fl_buf_t *b, uint64_t field, unsigned wt) {
    put_uvarint(b, field << 3 | wt);
}

static void put_bytes_field(fl_buf_t *b, uint64_t field, const void *p, size_t n) {
    put_tag(b, field, 2);
    put_uvarint(b, n);
    fl_buf_put(b, p, n);
}

/* PbProduceLogReqForBucket {bucket_id = 0, records}. */
static void bucket_msg(fl_buf_t *b, const fl_buf_t *records) {
    put_tag(b, 2, 0);
    put_uvarint(b, 0);
    put_bytes_field(b, 3, records->p, records->len);
}

/* ProduceLogRequest header fields: acks -1, table_id, timeout 30 s. */
static void request_head(fl_buf_t *b) {
    put_tag(b, 1, 0);
    put_uvarint(b, (uint64_t)(int64_t)-1); /* int32 -1: ten bytes, as protobuf writes it */
    put_tag(b, 2, 0);
    put_uvarint(b, (uint64_t)tid);
    put_tag(b, 3, 0);
    put_uvarint(b, 30000);
}

/* The frame: length prefix, ProduceLog v0 header, body. */
static void frame_of(fl_buf_t *f, int32_t id, const fl_buf_t *body) {
    uint8_t h[12];
    uint32_t len = (uint32_t)(8 + body->len);
    h[0] = (uint8_t)(len >> 24), h[1] = (uint8_t)(len >> 16), h[2] = (uint8_t)(len >> 8),
    h[3] = (uint8_t)len;
    h[4] = (uint8_t)(FL_API_PRODUCE_LOG >> 8), h[5] = (uint8_t)FL_API_PRODUCE_LOG;
    h[6] = h[7] = 0;
    h[8] = (uint8_t)((uint32_t)id >> 24), h[9] = (uint8_t)((uint32_t)id >> 16),
    h[10] = (uint8_t)((uint32_t)id >> 8), h[11] = (uint8_t)id;
    fl_buf_put(f, h, sizeof(h));
    fl_buf_put(f, body->p, body->len);
}

static int64_t latest(void) {
    return fl_cli_list_offset(fd, tid, 0, 1);
}

/* Read the answer to request id: 0 and the bucket's result, or the ERROR response's code. */
static int32_t answer(int32_t id, Fluss__PbProduceLogRespForBucket **bucket, fl_arena_t *a,
                      char *msg, size_t msg_len) {
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 10000, &buf, &resp), 0);
    assert_int_equal(resp.hdr.request_id, id);
    int32_t code = 0;
    if (resp.hdr.type != FL_RESP_SUCCESS) {
        code = resp.error_code;
        snprintf(msg, msg_len, "%s", resp.error_message);
    } else {
        Fluss__ProduceLogResponse *r = (Fluss__ProduceLogResponse *)fl_pb_unpack(
            a, &fluss__produce_log_response__descriptor, resp.body, resp.body_len, NULL);
        assert_non_null(r);
        assert_int_equal(r->n_buckets_resp, 1);
        *bucket = r->buckets_resp[0];
    }
    fl_buf_free(&buf);
    return code;
}

/* Send body as one ProduceLog frame (in pieces of `piece` bytes when not 0) and expect it to
 * land: its records at the previous latest offset, read back whole. */
static void expect_stored(const fl_buf_t *body, const fl_buf_t *records, int nrec, size_t piece) {
    int64_t before = latest();
    fl_buf_t f;
    fl_buf_init(&f);
    int32_t id = next_id++;
    frame_of(&f, id, body);
    assert_true(f.len >= 64 << 10);
    if (!piece) {
        fl_cli_send(fd, f.p, f.len);
    } else {
        for (size_t at = 0; at < f.len; at += piece) {
            fl_cli_send(fd, f.p + at, at + piece <= f.len ? piece : f.len - at);
            usleep(2000);
        }
    }
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbProduceLogRespForBucket *r = NULL;
    char msg[512] = "";
    int32_t code = answer(id, &r, a, msg, sizeof(msg));
    if (code) fail_msg("request refused: %d %s", code, msg);
    if (r->has_error_code && r->error_code)
        fail_msg("bucket refused: %d %s", r->error_code, r->error_message);
    assert_int_equal(r->base_offset, before);
    assert_int_equal(latest(), before + nrec);
    Fluss__PbFetchLogRespForBucket *got = fl_cli_fetch(fd, tid, 0, before, 8 << 20, a);
    assert_int_equal(got->records.len, records->len);
    /* the server stamped BaseOffset (8 bytes at 0) and CommitTimestamp; the rest is as sent */
    assert_memory_equal(got->records.data + 21, records->p + 21, records->len - 21);
    fl_arena_destroy(a);
    fl_buf_free(&f);
    fl_cli_assert_serving(fd);
}

/* Send body as one ProduceLog frame and expect Fluss's CORRUPT_MESSAGE (3) for the request,
 * nothing stored, the server serving. */
static void expect_corrupt(const fl_buf_t *body) {
    int64_t before = latest();
    fl_buf_t f;
    fl_buf_init(&f);
    int32_t id = next_id++;
    frame_of(&f, id, body);
    assert_true(f.len >= 64 << 10);
    fl_cli_send(fd, f.p, f.len);
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbProduceLogRespForBucket *r = NULL;
    char msg[512] = "";
    int32_t code = answer(id, &r, a, msg, sizeof(msg));
    if (code != 3) fail_msg("expected error 3, got %d (%s)", code, msg);
    if (!strstr(msg, "Invalid ProduceLogRequest")) fail_msg("message '%s'", msg);
    fl_arena_destroy(a);
    fl_buf_free(&f);
    assert_int_equal(latest(), before);
    fl_cli_assert_serving(fd);
    assert_true(fl_ts_alive(&ts));
}

/* ---- cases ---------------------------------------------------------------------------------- */

static void test_plain_whole_and_dribbled(void **state) {
    (void)state;
    fl_buf_t rec, body;
    fl_buf_init(&rec);
    fl_buf_init(&body);
    build_batch(&rec, 300);
    request_head(&body);
    fl_buf_t bm;
    fl_buf_init(&bm);
    bucket_msg(&bm, &rec);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_stored(&body, &rec, 300, 0);
    expect_stored(&body, &rec, 300, 7777);   /* arrives over many reads */
    expect_stored(&body, &rec, 300, 65535);  /* the prefix alone first, then the rest */
    fl_buf_free(&bm);
    fl_buf_free(&body);
    fl_buf_free(&rec);
}

/* Encodings the in-place decoder leaves to protobuf-c, which takes them. */
static void test_other_encodings(void **state) {
    (void)state;
    fl_buf_t rec, body, bm;
    fl_buf_init(&rec);
    fl_buf_init(&body);
    fl_buf_init(&bm);
    build_batch(&rec, 100);
    bucket_msg(&bm, &rec);
    /* an unknown field (number 9, varint) at the top level */
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    put_tag(&body, 9, 0);
    put_uvarint(&body, 12345);
    expect_stored(&body, &rec, 100, 0);
    /* the header fields after the bucket, and timeout_ms twice (the last one counts) */
    fl_buf_reset(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    put_tag(&body, 3, 0);
    put_uvarint(&body, 1);
    request_head(&body);
    expect_stored(&body, &rec, 100, 0);
    /* the bucket's fields in reverse order, with an unknown length-delimited field */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    put_bytes_field(&bm, 3, rec.p, rec.len);
    put_bytes_field(&bm, 15, "junk", 4);
    put_tag(&bm, 2, 0);
    put_uvarint(&bm, 0);
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_stored(&body, &rec, 100, 0);
    fl_buf_free(&bm);
    fl_buf_free(&body);
    fl_buf_free(&rec);
}

static void test_malformed(void **state) {
    (void)state;
    fl_buf_t rec, body, bm;
    fl_buf_init(&rec);
    fl_buf_init(&body);
    fl_buf_init(&bm);
    build_batch(&rec, 100);
    bucket_msg(&bm, &rec);

    /* the bucket's length runs past the body */
    request_head(&body);
    put_tag(&body, 4, 2);
    put_uvarint(&body, bm.len + 10);
    fl_buf_put(&body, bm.p, bm.len);
    expect_corrupt(&body);

    /* the records' length runs past the bucket message (the bucket length is right) */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    put_tag(&bm, 2, 0);
    put_uvarint(&bm, 0);
    put_tag(&bm, 3, 2);
    put_uvarint(&bm, rec.len + 1);
    fl_buf_put(&bm, rec.p, rec.len);
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_corrupt(&body);

    /* records with the wrong wire type (varint) and the bytes after it as garbage */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    put_tag(&bm, 2, 0);
    put_uvarint(&bm, 0);
    put_tag(&bm, 3, 0);
    put_uvarint(&bm, 1);
    fl_buf_put(&bm, "\x07\x07\x07", 3);
    fl_buf_put(&bm, rec.p, rec.len);
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_corrupt(&body);

    /* a required field missing: the bucket has no bucket_id */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    put_bytes_field(&bm, 3, rec.p, rec.len);
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_corrupt(&body);

    /* a required field missing at the top: no table_id */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    bucket_msg(&bm, &rec);
    put_tag(&body, 1, 0);
    put_uvarint(&body, 1);
    put_tag(&body, 3, 0);
    put_uvarint(&body, 30000);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_corrupt(&body);

    /* a tag whose field number is over 32 bits but whose low 32 bits read 4 */
    fl_buf_reset(&body);
    request_head(&body);
    put_tag(&body, (1ull << 32) + 4, 2);
    put_uvarint(&body, bm.len);
    fl_buf_put(&body, bm.p, bm.len);
    expect_corrupt(&body);

    /* the same inside the bucket, for bucket_id */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    put_tag(&bm, (1ull << 32) + 2, 0);
    put_uvarint(&bm, 0);
    put_bytes_field(&bm, 3, rec.p, rec.len);
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    expect_corrupt(&body);

    /* field number 0 */
    fl_buf_reset(&body);
    fl_buf_reset(&bm);
    bucket_msg(&bm, &rec);
    request_head(&body);
    put_tag(&body, 0, 2);
    put_uvarint(&body, bm.len);
    fl_buf_put(&body, bm.p, bm.len);
    expect_corrupt(&body);

    /* a varint of eleven bytes */
    fl_buf_reset(&body);
    request_head(&body);
    put_tag(&body, 4, 2);
    for (int i = 0; i < 10; i++) fl_buf_put_u8(&body, 0x80);
    fl_buf_put_u8(&body, 0x01);
    fl_buf_put(&body, bm.p, bm.len);
    expect_corrupt(&body);

    fl_buf_free(&bm);
    fl_buf_free(&body);
    fl_buf_free(&rec);
}

/* A large frame of another API with a body that is not protobuf. */
static void test_big_other_api(void **state) {
    (void)state;
    fl_buf_t body, f;
    fl_buf_init(&body);
    fl_buf_init(&f);
    fl_buf_put(&body, "\x0F\x00", 2); /* field 1, wire type 7 */
    uint8_t *junk = fl_buf_extend(&body, 100 << 10);
    memset(junk, 0x41, 100 << 10);
    int32_t id = next_id++;
    frame_of(&f, id, &body);
    f.p[5] = (uint8_t)FL_API_GET_METADATA;
    f.p[4] = (uint8_t)(FL_API_GET_METADATA >> 8);
    fl_cli_send(fd, f.p, f.len);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 10000, &buf, &resp), 0);
    assert_int_equal(resp.hdr.request_id, id);
    assert_int_not_equal(resp.hdr.type, FL_RESP_SUCCESS);
    assert_int_equal(resp.error_code, 3);
    fl_buf_free(&buf);
    fl_buf_free(&f);
    fl_buf_free(&body);
    fl_cli_assert_serving(fd);
}

/* A large frame cut off: the sender goes away mid-frame; nothing of it is stored. */
static void test_cut_off(void **state) {
    (void)state;
    int64_t before = latest();
    fl_buf_t rec, body, bm, f;
    fl_buf_init(&rec);
    fl_buf_init(&body);
    fl_buf_init(&bm);
    fl_buf_init(&f);
    build_batch(&rec, 500);
    bucket_msg(&bm, &rec);
    request_head(&body);
    put_bytes_field(&body, 4, bm.p, bm.len);
    frame_of(&f, next_id++, &body);
    int c = fl_cli_connect(ts.port);
    fl_cli_send(c, f.p, f.len / 2);
    usleep(100000);
    close(c);
    assert_true(fl_ts_log_has(&ts, "closed mid-frame"));
    assert_int_equal(latest(), before);
    /* and one that announces 50 MiB and sends 1 MiB: the rest never comes */
    c = fl_cli_connect(ts.port);
    uint8_t h[4] = {0x03, 0x20, 0x00, 0x00};
    fl_cli_send(c, h, 4);
    fl_cli_send(c, f.p + 4, 1 << 20 < f.len - 4 ? 1 << 20 : f.len - 4);
    fl_cli_assert_port_serving(ts.port);
    close(c);
    fl_cli_assert_serving(fd);
    assert_int_equal(latest(), before);
    fl_buf_free(&f);
    fl_buf_free(&bm);
    fl_buf_free(&body);
    fl_buf_free(&rec);
}

static int setup(void **state) {
    (void)state;
    const char *args[] = {"-Dserver.log-level=info", NULL};
    fl_ts_start(&ts, "local", args);
    fd = fl_cli_connect(ts.port);
    tid = fl_cli_create_table(fd, "big", TABLE_JSON);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    close(fd);
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_whole_and_dribbled),
        cmocka_unit_test(test_other_encodings),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_big_other_api),
        cmocka_unit_test(test_cut_off),
    };
    return cmocka_run_group_tests_name("wire_big_frames", tests, setup, teardown);
}
