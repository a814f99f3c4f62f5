/* 0009-bad_batches: what the log path answers to bad record batches and bad log requests,
 * sent raw (the Java client never builds most of these). Each case is its own test against one
 * server. After every refused produce, ListOffsets and FetchLog must show that nothing of it was
 * stored (latest offset unchanged, nothing to fetch there), the server's debug log must name the
 * refusal, and a well-behaved produce must still land at the unchanged latest offset.
 *
 * Batches are real Fluss LogRecordBatches (protocol/fl_logbatch.h) with INDEXED record bodies
 * (protocol/fl_logrecord.h, rows of (k BIGINT, s STRING)); the table uses table.log.format
 * INDEXED so that no Arrow body is needed.
 *
 * Upstream reference for the error codes: Fluss 0.9.1's LogTablet.analyzeAndValidateRecords
 * (fluss-server/src/main/java/org/apache/fluss/server/log/LogTablet.java, v0.9.1-incubating
 * line 1018) throws CorruptRecordException -- wire code 14, CORRUPT_RECORD_EXCEPTION -- for a
 * batch whose isValid() fails (size below the header or CRC mismatch), per table bucket. The
 * sequence rule (a writer's first batch must be sequence 0, then +1) is WriterAppendInfo
 * .inSequence (OutOfOrderSequenceException, 31). Where fl-server is stricter than Fluss:
 * Fluss's MemorySegmentLogInputStream silently stops at a batch whose Length runs past the
 * bytes (the valid prefix is appended); fl-server refuses the whole blob with 14, which is what
 * this test pins down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_crc32c.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_wire.h"

#define TABLE_JSON(buckets)                                                                    \
    "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\"}},"          \
    "{\"name\":\"s\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[],"             \
    "\"bucket_key\":[],\"bucket_count\":" #buckets ",\"properties\":"                          \
    "{\"table.log.format\":\"INDEXED\"},\"custom_properties\":{}}"

static fl_ts_t ts;
static fl_ts_t t1; /* test_not_leader's second process (tablet server 1) */
static int fd;
static int64_t tid; /* table "t": 2 buckets, INDEXED; the tests write bucket 0 */
static int64_t next_key = 1;

/* ---- batches ------------------------------------------------------------------------------ */

static fl_type_t col_types[2] = {{.root = FL_T_BIGINT, .nullable = true},
                                 {.root = FL_T_STRING, .nullable = true}};
static char *col_names[2] = {"k", "s"};
static int32_t col_ids[2] = {0, 1};
static const fl_type_t row_type = {.root = FL_T_ROW, .n_children = 2, .children = col_types,
                                   .field_names = col_names, .field_ids = col_ids};

/* Appends one batch of nrec INDEXED rows (k = key * 1000 + i, s = "row <key>/<i>"). */
static size_t build_batch(fl_buf_t *out, int64_t key, int nrec, int64_t writer_id, int32_t seq) {
    fl_buf_t body;
    fl_buf_init(&body);
    for (int i = 0; i < nrec; i++) {
        char s[64];
        int n = snprintf(s, sizeof(s), "row %lld/%d", (long long)key, i);
        fl_datum_t f[2];
        memset(f, 0, sizeof(f));
        f[0].v.i64 = key * 1000 + i;
        f[1].v.bytes.p = (const uint8_t *)s;
        f[1].v.bytes.len = (uint32_t)n;
        assert_int_equal(fl_logrecord_write_row(&body, FL_ROW_INDEXED, FL_CHANGE_APPEND_ONLY,
                                                &row_type, f),
                         FL_ERR_NONE);
    }
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.record_count = nrec;
    opt.writer_id = writer_id;
    opt.batch_sequence = seq;
    size_t at = fl_logbatch_build(out, &opt, body.p, body.len);
    fl_buf_free(&body);
    return at;
}

static void put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the CRC of a (patched) V0 batch so only the patched field is wrong. */
static void recrc(uint8_t *p, size_t size) {
    put_le32(p + 21, fl_crc32c(p + 25, size - 25));
}

/* ---- the server log ------------------------------------------------------------------------- */

static long log_size(void) {
    struct stat st;
    return stat(ts.log, &st) == 0 ? (long)st.st_size : 0;
}

/* true when the log, from byte `from` on, contains s (waits up to 3 s). */
static bool log_has_since(long from, const char *s) {
    static char buf[1 << 20];
    for (int i = 0; i < 120; i++) {
        FILE *f = fopen(ts.log, "rb");
        if (f) {
            fseek(f, from, SEEK_SET);
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[n] = '\0';
            if (strstr(buf, s)) return true;
        }
        usleep(25000);
    }
    fprintf(stderr, "log %s (from byte %ld) lacks: %s\n", ts.log, from, s);
    return false;
}

/* ---- checks -------------------------------------------------------------------------------- */

static int64_t latest(int32_t bucket) {
    return fl_cli_list_offset(fd, tid, bucket, 1);
}

/* Nothing is readable at offset `at` (the unchanged high watermark). */
static void assert_nothing_at(int32_t bucket, int64_t at) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbFetchLogRespForBucket *r = fl_cli_fetch(fd, tid, bucket, at, 1 << 20, a);
    assert_false(r->has_error_code && r->error_code);
    assert_true(r->has_high_watermark);
    assert_int_equal(r->high_watermark, at);
    assert_true(!r->has_records || r->records.len == 0);
    fl_arena_destroy(a);
}

/* A valid produce lands at the current latest offset, and reads back byte for byte (apart
 * from the server-stamped BaseOffset and CommitTimestamp). */
static void good_produce(void) {
    int64_t before = latest(0);
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 3, -1, -1);
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    if (r->has_error_code && r->error_code)
        fail_msg("good produce refused: %d %s", r->error_code, r->error_message);
    assert_true(r->has_base_offset);
    assert_int_equal(r->base_offset, before);
    assert_int_equal(latest(0), before + 3);
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, tid, 0, before, 1 << 20, a);
    assert_false(f->has_error_code && f->error_code);
    assert_int_equal(f->records.len, rec.len);
    fl_logbatch_t b;
    assert_int_equal(fl_logbatch_validate(f->records.data, f->records.len, UINT32_MAX, &b, NULL),
                     FL_ERR_NONE);
    assert_int_equal(b.base_offset, before);
    assert_memory_equal(f->records.data + 21, rec.p + 21, rec.len - 21);
    fl_arena_destroy(a);
    fl_buf_free(&rec);
}

/* Produce records (acks -1) to bucket 0 of table; expect the bucket refused with code whose
 * message contains msg; nothing stored; the debug log names it (log_part, when not NULL). */
static void expect_refused_on(int64_t table, int32_t bucket, const void *records, size_t len,
                              int32_t code, const char *msg, const char *log_part) {
    bool ours = table == tid && bucket >= 0 && bucket < 2;
    int64_t before = ours ? latest(bucket) : -1;
    long from = log_size();
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, table, bucket, records, len, a);
    if (!r->has_error_code || r->error_code != code)
        fail_msg("expected error %d, got %d (%s), base offset %lld", code,
                 r->has_error_code ? r->error_code : 0, r->error_message ? r->error_message : "",
                 r->has_base_offset ? (long long)r->base_offset : -1LL);
    assert_false(r->has_base_offset);
    assert_non_null(r->error_message);
    if (msg && !strstr(r->error_message, msg))
        fail_msg("message '%s' lacks '%s'", r->error_message, msg);
    fl_arena_destroy(a);
    if (ours) {
        assert_int_equal(latest(bucket), before);
        assert_nothing_at(bucket, before);
    }
    if (log_part) {
        char line[512];
        snprintf(line, sizeof(line), "DEBUG [tablet] produce to table %" PRId64 " bucket %d refused: %s",
                 table, bucket, log_part);
        assert_true(log_has_since(from, line));
    }
    good_produce();
}

static void expect_refused(const void *records, size_t len, int32_t code, const char *msg,
                           const char *log_part) {
    expect_refused_on(tid, 0, records, len, code, msg, log_part);
}

/* ---- setup --------------------------------------------------------------------------------- */

static int setup(void **state) {
    (void)state;
    const char *args[] = {"-Dserver.log-level=debug", "-Dserver.heartbeat-timeout=2 s", NULL};
    fl_ts_start(&ts, "local", args);
    fd = fl_cli_connect(ts.port);
    tid = fl_cli_create_table(fd, "t", TABLE_JSON(2));
    good_produce();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    close(fd);
    fl_ts_kill9(&t1); /* only when test_not_leader failed before stopping it */
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
    return 0;
}

/* ---- corrupt batches ------------------------------------------------------------------------ */

static void test_bad_crc(void **state) {
    (void)state;
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 3, -1, -1);
    rec.p[rec.len - 2] ^= 0x01; /* one bit of the last row */
    expect_refused(rec.p, rec.len, 14, "CRC mismatch",
                   "CORRUPT_RECORD_EXCEPTION Record is corrupt at byte 0 in table bucket 0: CRC mismatch");
    /* the CRC field itself */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 1, -1, -1);
    rec.p[22] ^= 0x80;
    expect_refused(rec.p, rec.len, 14, "CRC mismatch", "CORRUPT_RECORD_EXCEPTION");
    fl_buf_free(&rec);
}

static void test_record_count_mismatch(void **state) {
    (void)state;
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 3, -1, -1); /* LastOffsetDelta 2 */
    put_le32(rec.p + 44, 2);                  /* RecordCount 2 */
    recrc(rec.p, rec.len);                    /* a valid CRC: only the count is wrong */
    expect_refused(rec.p, rec.len, 14, "last offset delta does not match record count",
                   "CORRUPT_RECORD_EXCEPTION");
    /* a negative count */
    put_le32(rec.p + 44, (uint32_t)-1);
    recrc(rec.p, rec.len);
    expect_refused(rec.p, rec.len, 14, "negative record count", "CORRUPT_RECORD_EXCEPTION");
    fl_buf_free(&rec);
}

static void test_unknown_magic(void **state) {
    (void)state;
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 2, -1, -1);
    rec.p[FL_LOGBATCH_OFF_MAGIC] = 7;
    expect_refused(rec.p, rec.len, 14, "unknown magic",
                   "CORRUPT_RECORD_EXCEPTION Record is corrupt at byte 0 in table bucket 0: unknown magic");
    fl_buf_free(&rec);
}

static void test_truncated_batch(void **state) {
    (void)state;
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 3, -1, -1);
    /* Length 100 bytes past the records bytes */
    int32_t len = (int32_t)(rec.len - FL_LOGBATCH_LOG_OVERHEAD);
    put_le32(rec.p + FL_LOGBATCH_OFF_LENGTH, (uint32_t)(len + 100));
    char msg[128];
    snprintf(msg, sizeof(msg), "illegal length %zu", rec.len);
    expect_refused(rec.p, rec.len, 14, msg, "CORRUPT_RECORD_EXCEPTION Cannot append record batch");
    /* the blob cut in the middle of the batch (Length intact) */
    put_le32(rec.p + FL_LOGBATCH_OFF_LENGTH, (uint32_t)len);
    expect_refused(rec.p, rec.len / 2, 14, "illegal length", "CORRUPT_RECORD_EXCEPTION");
    /* cut inside the header */
    expect_refused(rec.p, 30, 14, "illegal length", "CORRUPT_RECORD_EXCEPTION");
    /* Length below the header size */
    put_le32(rec.p + FL_LOGBATCH_OFF_LENGTH, 10);
    expect_refused(rec.p, rec.len, 14, "length below header size", "CORRUPT_RECORD_EXCEPTION");
    /* an empty records field */
    expect_refused(rec.p, 0, 14, NULL, "CORRUPT_RECORD_EXCEPTION");
    fl_buf_free(&rec);
}

static void test_second_batch_corrupt(void **state) {
    (void)state;
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 3, -1, -1);
    size_t second = build_batch(&rec, next_key++, 2, -1, -1);
    rec.p[rec.len - 1] ^= 0x10;
    char part[160];
    snprintf(part, sizeof(part),
             "CORRUPT_RECORD_EXCEPTION Record is corrupt at byte %zu in table bucket 0: CRC mismatch",
             second);
    expect_refused(rec.p, rec.len, 14, "CRC mismatch", part);
    /* the same with a good batch after a bad one, and with a trailing half batch */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 1, -1, -1);
    rec.p[rec.len - 1] ^= 0x10;
    build_batch(&rec, next_key++, 1, -1, -1);
    expect_refused(rec.p, rec.len, 14, "CRC mismatch", "CORRUPT_RECORD_EXCEPTION");
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 2, -1, -1);
    size_t whole = rec.len;
    build_batch(&rec, next_key++, 2, -1, -1);
    expect_refused(rec.p, whole + (rec.len - whole) / 2, 14, "illegal length",
                   "CORRUPT_RECORD_EXCEPTION");
    fl_buf_free(&rec);
}

/* ---- addressing and request-level errors ------------------------------------------------------ */

static void test_unknown_table_and_bucket(void **state) {
    (void)state;
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 1, -1, -1);
    expect_refused_on(tid + 1000, 0, rec.p, rec.len, 21, "Unknown table or bucket", NULL);
    expect_refused_on(tid, 2, rec.p, rec.len, 21, "Unknown table or bucket", NULL);
    expect_refused_on(tid, 99, rec.p, rec.len, 21, "Unknown table or bucket", NULL);
    expect_refused_on(tid, -1, rec.p, rec.len, 21, "Unknown table or bucket", NULL);
    /* ListOffsets and FetchLog say the same */
    int32_t ids[] = {7};
    Fluss__ListOffsetsRequest lo = FLUSS__LIST_OFFSETS_REQUEST__INIT;
    lo.follower_server_id = -1;
    lo.offset_type = 1;
    lo.table_id = tid;
    lo.n_bucket_id = 1;
    lo.bucket_id = ids;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__ListOffsetsResponse *lr = (Fluss__ListOffsetsResponse *)fl_cli_call(
        fd, FL_API_LIST_OFFSETS, 0, &lo.base, &fluss__list_offsets_response__descriptor, a);
    assert_int_equal(lr->buckets_resp[0]->error_code, 21);
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, tid + 1000, 0, 0, 1 << 20, a);
    assert_int_equal(f->error_code, 21);
    fl_arena_destroy(a);
    fl_buf_free(&rec);
}

static void test_invalid_acks(void **state) {
    (void)state;
    int64_t before = latest(0);
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 1, -1, -1);
    Fluss__PbProduceLogReqForBucket b = FLUSS__PB_PRODUCE_LOG_REQ_FOR_BUCKET__INIT;
    b.bucket_id = 0;
    b.records.data = rec.p;
    b.records.len = rec.len;
    Fluss__PbProduceLogReqForBucket *bs[] = {&b};
    Fluss__ProduceLogRequest req = FLUSS__PRODUCE_LOG_REQUEST__INIT;
    req.table_id = tid;
    req.timeout_ms = 1000;
    req.n_buckets_req = 1;
    req.buckets_req = bs;
    int32_t bad[] = {2, -2, 3};
    long from = log_size();
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        req.acks = bad[i];
        char msg[256];
        int rc = fl_cli_try_call(fd, FL_API_PRODUCE_LOG, &req.base, NULL, NULL, NULL, msg,
                                 sizeof(msg));
        assert_int_equal(rc, 18); /* INVALID_REQUIRED_ACKS, as a whole-request ERROR_RESPONSE */
        assert_non_null(strstr(msg, "acks"));
        char line[128];
        snprintf(line, sizeof(line), "failed: INVALID_REQUIRED_ACKS Invalid required acks: %d", bad[i]);
        assert_true(log_has_since(from, line));
    }
    assert_int_equal(latest(0), before);
    assert_nothing_at(0, before);
    good_produce();
    fl_buf_free(&rec);
}

/* ---- idempotent writers ------------------------------------------------------------------------ */

static int64_t init_writer(void) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "t";
    Fluss__PbTablePath *tps[] = {&tp};
    Fluss__InitWriterRequest req = FLUSS__INIT_WRITER_REQUEST__INIT;
    req.n_table_path = 1;
    req.table_path = tps;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__InitWriterResponse *r = (Fluss__InitWriterResponse *)fl_cli_call(
        fd, FL_API_INIT_WRITER, 0, &req.base, &fluss__init_writer_response__descriptor, a);
    int64_t id = r->writer_id;
    fl_arena_destroy(a);
    assert_true(id >= 0);
    return id;
}

static void test_idempotent_duplicate(void **state) {
    (void)state;
    int64_t wid = init_writer();
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 3, wid, 0);
    int64_t before = latest(0);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->base_offset, before);
    assert_int_equal(latest(0), before + 3);
    /* the same bytes again (a retry): same base offset, nothing appended */
    for (int i = 0; i < 2; i++) {
        r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
        assert_false(r->has_error_code && r->error_code);
        assert_true(r->has_base_offset);
        assert_int_equal(r->base_offset, before);
        assert_int_equal(latest(0), before + 3);
    }
    /* and with acks 1 */
    r = fl_cli_produce(fd, 1, tid, 0, rec.p, rec.len, a);
    assert_int_equal(r->base_offset, before);
    /* the next sequence continues */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 2, wid, 1);
    r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    assert_int_equal(r->base_offset, before + 3);
    /* an older batch of the window is still a duplicate of its own offsets */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 3, wid, 0);
    r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    assert_int_equal(r->base_offset, before);
    assert_int_equal(latest(0), before + 5);
    /* read back: exactly two batches after `before` */
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, tid, 0, before, 1 << 20, a);
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, f->records.data, f->records.len, UINT32_MAX, true);
    fl_logbatch_t b;
    int n = 0;
    while (fl_logbatch_iter_next(&it, &b) == 1) {
        assert_int_equal(b.writer_id, wid);
        assert_int_equal(b.batch_sequence, n);
        n++;
    }
    assert_int_equal(n, 2);
    fl_arena_destroy(a);
    fl_buf_free(&rec);
    good_produce();
}

static void test_sequence_gap(void **state) {
    (void)state;
    int64_t wid = init_writer();
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 1, wid, 0);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    assert_false(r->has_error_code && r->error_code);
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 1, wid, 2); /* 1 is missing */
    char msg[200];
    snprintf(msg, sizeof(msg), "Out of order batch sequence for writer %" PRId64
             " in table-bucket 0 : 2 (incoming batch seq.), 0 (current batch seq.)", wid);
    expect_refused(rec.p, rec.len, 31, msg, "OUT_OF_ORDER_SEQUENCE_EXCEPTION");
    /* two batches of one request that skip a sequence between them */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 1, wid, 1);
    build_batch(&rec, next_key++, 1, wid, 3);
    expect_refused(rec.p, rec.len, 14, "in sequence", "CORRUPT_RECORD_EXCEPTION");
    /* the writer goes on at 1 */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 1, wid, 1);
    int64_t before = latest(0);
    r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->base_offset, before);
    fl_arena_destroy(a);
    fl_buf_free(&rec);
}

static void test_new_writer_nonzero_sequence(void **state) {
    (void)state;
    int64_t wid = init_writer();
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 2, wid, 5);
    char msg[200];
    snprintf(msg, sizeof(msg), "writer %" PRId64 " in table-bucket 0 : 5 (incoming batch seq.), -1", wid);
    expect_refused(rec.p, rec.len, 31, msg, "OUT_OF_ORDER_SEQUENCE_EXCEPTION");
    /* a batch sequence without a writer id is corrupt */
    fl_buf_reset(&rec);
    build_batch(&rec, next_key++, 1, -1, 4);
    expect_refused(rec.p, rec.len, 14, "batch sequence without writer id", "CORRUPT_RECORD_EXCEPTION");
    fl_buf_free(&rec);
}

/* ---- fetch ----------------------------------------------------------------------------------- */

static void test_fetch_out_of_range(void **state) {
    (void)state;
    int64_t hw = latest(0);
    fl_arena_t *a = fl_arena_new(0);
    int64_t bad[] = {hw + 1, hw + 1000000, -1, -3};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, tid, 0, bad[i], 1 << 20, a);
        if (!f->has_error_code || f->error_code != 19)
            fail_msg("fetch at %lld (hw %lld): expected 19, got %d", (long long)bad[i],
                     (long long)hw, f->has_error_code ? f->error_code : 0);
        assert_non_null(f->error_message);
        assert_false(f->has_records && f->records.len);
    }
    /* at the high watermark itself: empty, no error */
    assert_nothing_at(0, hw);
    fl_arena_destroy(a);
    good_produce();
}

static void test_fetch_from_earliest(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    int64_t hw = latest(0);
    assert_true(hw > 0);
    assert_int_equal(fl_cli_list_offset(fd, tid, 0, 0), 0);
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, tid, 0, -2, 1 << 20, a);
    assert_false(f->has_error_code && f->error_code);
    assert_int_equal(f->high_watermark, hw);
    assert_int_equal(f->log_start_offset, 0);
    /* everything from 0 to the high watermark, continuous */
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, f->records.data, f->records.len, UINT32_MAX, true);
    fl_logbatch_t b;
    int64_t next = 0;
    while (fl_logbatch_iter_next(&it, &b) == 1) {
        assert_int_equal(b.base_offset, next);
        next = fl_logbatch_next_offset(&b);
    }
    assert_int_equal(it.trailing, 0);
    assert_int_equal(next, hw);
    /* the other bucket, never written: -2 gives an empty answer at 0 */
    f = fl_cli_fetch(fd, tid, 1, -2, 1 << 20, a);
    assert_false(f->has_error_code && f->error_code);
    assert_int_equal(f->high_watermark, 0);
    assert_true(!f->has_records || f->records.len == 0);
    fl_arena_destroy(a);
}

static void test_projection_on_indexed(void **state) {
    (void)state;
    Fluss__PbFetchLogReqForBucket b = FLUSS__PB_FETCH_LOG_REQ_FOR_BUCKET__INIT;
    b.bucket_id = 0;
    b.fetch_offset = 0;
    b.max_fetch_bytes = 1 << 20;
    Fluss__PbFetchLogReqForBucket *bs[] = {&b};
    int32_t cols[] = {0};
    Fluss__PbFetchLogReqForTable t = FLUSS__PB_FETCH_LOG_REQ_FOR_TABLE__INIT;
    t.table_id = tid;
    t.projection_pushdown_enabled = 1;
    t.n_projected_fields = 1;
    t.projected_fields = cols;
    t.n_buckets_req = 1;
    t.buckets_req = bs;
    Fluss__PbFetchLogReqForTable *tsr[] = {&t};
    Fluss__FetchLogRequest req = FLUSS__FETCH_LOG_REQUEST__INIT;
    req.follower_server_id = -1;
    req.max_bytes = 1 << 20;
    req.n_tables_req = 1;
    req.tables_req = tsr;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__FetchLogResponse *r = (Fluss__FetchLogResponse *)fl_cli_call(
        fd, FL_API_FETCH_LOG, 0, &req.base, &fluss__fetch_log_response__descriptor, a);
    Fluss__PbFetchLogRespForBucket *f = r->tables_resp[0]->buckets_resp[0];
    assert_true(f->has_error_code);
    assert_int_equal(f->error_code, 34); /* INVALID_COLUMN_PROJECTION */
    assert_non_null(strstr(f->error_message, "ARROW"));
    assert_false(f->has_records && f->records.len);
    fl_arena_destroy(a);
    good_produce();
}

/* ---- a bucket led by another tablet server ---------------------------------------------------- */

static Fluss__MetadataResponse *metadata(fl_arena_t *a, const char *table) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)table;
    Fluss__PbTablePath *tps[] = {&tp};
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    if (table) {
        req.n_table_path = 1;
        req.table_path = tps;
    }
    return (Fluss__MetadataResponse *)fl_cli_call(fd, FL_API_GET_METADATA, 0, &req.base,
                                                  &fluss__metadata_response__descriptor, a);
}

static void test_not_leader(void **state) {
    (void)state;
    char coord[64];
    snprintf(coord, sizeof(coord), "-Dserver.coordinator-address=127.0.0.1:%d", ts.port);
    const char *args[] = {"-Dtablet-server.id=1", coord, "-Dserver.heartbeat-interval=100 ms", NULL};
    fl_ts_start(&t1, "tablet", args);
    fl_arena_t *a = fl_arena_new(0);
    for (int i = 0; i < 100 && metadata(a, NULL)->n_tablet_servers < 2; i++) usleep(50000);
    assert_int_equal(metadata(a, NULL)->n_tablet_servers, 2);

    int64_t spread = fl_cli_create_table(fd, "spread", TABLE_JSON(8));
    Fluss__MetadataResponse *m = metadata(a, "spread");
    assert_int_equal(m->n_table_metadata, 1);
    int32_t theirs = -1, ours = -1;
    for (size_t i = 0; i < m->table_metadata[0]->n_bucket_metadata; i++) {
        Fluss__PbBucketMetadata *bm = m->table_metadata[0]->bucket_metadata[i];
        assert_true(bm->has_leader_id);
        if (bm->leader_id == 1 && theirs < 0) theirs = bm->bucket_id;
        if (bm->leader_id == 0 && ours < 0) ours = bm->bucket_id;
    }
    assert_true(theirs >= 0 && ours >= 0);

    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, next_key++, 2, -1, -1);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, spread, theirs, rec.p, rec.len, a);
    assert_true(r->has_error_code);
    assert_int_equal(r->error_code, 12); /* NOT_LEADER_OR_FOLLOWER */
    assert_false(r->has_base_offset);
    assert_non_null(strstr(r->error_message, "is not leader or follower"));
    /* FetchLog of that bucket says the same; the local server created no log for it */
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, spread, theirs, 0, 1 << 20, a);
    assert_int_equal(f->error_code, 12);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/data/tablet/%" PRId64 "/%d", ts.dir, spread, theirs);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0);
    /* a bucket the local server leads takes the same bytes */
    r = fl_cli_produce(fd, -1, spread, ours, rec.p, rec.len, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->base_offset, 0);
    fl_buf_free(&rec);
    fl_arena_destroy(a);
    assert_int_equal(fl_ts_stop(&t1), 0);
    good_produce();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_record_count_mismatch),
        cmocka_unit_test(test_unknown_magic),
        cmocka_unit_test(test_truncated_batch),
        cmocka_unit_test(test_second_batch_corrupt),
        cmocka_unit_test(test_unknown_table_and_bucket),
        cmocka_unit_test(test_invalid_acks),
        cmocka_unit_test(test_idempotent_duplicate),
        cmocka_unit_test(test_sequence_gap),
        cmocka_unit_test(test_new_writer_nonzero_sequence),
        cmocka_unit_test(test_fetch_out_of_range),
        cmocka_unit_test(test_fetch_from_earliest),
        cmocka_unit_test(test_projection_on_indexed),
        cmocka_unit_test(test_not_leader),
    };
    return cmocka_run_group_tests_name("wire_bad_batches", tests, setup, teardown);
}
