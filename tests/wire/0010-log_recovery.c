/* 0010-log_recovery: a bucket log's on-disk damage and crashes, through the real binary.
 *
 * test_flip_only / test_cut_only / test_flip_and_cut: small segments
 * (-Dlog.segment.file-size=64kb), a clean stop (SIGTERM, exit 0), then one flipped byte in the
 * body of the batch at the middle of a closed segment, and/or the active segment's tail cut in
 * the middle of its last batch. After a restart the server must start, log each problem with
 * the storage layer's own line (the cut: fl_logstore_open's "recovery: <dir>/<file>: cut at
 * byte ..."; the flip, found when a fetch reaches it: fl_segment.c's "corrupt batch in <file>
 * at byte ...: CRC mismatch"), serve every batch before the flipped one and the intact
 * segments after it, answer a fetch at the damaged offsets with LOG_STORAGE_EXCEPTION (10),
 * end the log where the cut left it (the flip must not cost the intact, fsynced segments after
 * it), and keep accepting produces there.
 *
 * test_kill9_storm: acks -1 with -Dlog.flush.interval-messages=1 (fsync per group of appends),
 * SIGKILL at 20 random moments of a pipelined produce stream. After every restart each
 * acknowledged batch is in the log exactly once at the offset it was acknowledged with, no
 * batch appears twice, offsets are continuous, and the log takes appends.
 *
 * Batches carry INDEXED rows (k BIGINT, s STRING): batch `key` holds rows k = key * 1000 + i,
 * s = "key <key> row <i> " padded, so every batch read back names itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

#define ROWS_PER_BATCH 3

static fl_type_t col_types[2] = {{.root = FL_T_BIGINT, .nullable = true},
                                 {.root = FL_T_STRING, .nullable = true}};
static char *col_names[2] = {"k", "s"};
static int32_t col_ids[2] = {0, 1};
static const fl_type_t row_type = {.root = FL_T_ROW, .n_children = 2, .children = col_types,
                                   .field_names = col_names, .field_ids = col_ids};

static int row_text(char *out, size_t cap, int64_t key, int i, size_t pad) {
    int n = snprintf(out, cap, "key %lld row %d ", (long long)key, i);
    while ((size_t)n < pad && (size_t)n + 1 < cap) {
        out[n] = (char)('a' + (key + n) % 26);
        n++;
    }
    out[n] = '\0';
    return n;
}

/* Appends one batch named key (ROWS_PER_BATCH rows, strings padded to pad bytes). */
static void build_batch(fl_buf_t *out, int64_t key, size_t pad) {
    fl_buf_t body;
    fl_buf_init(&body);
    for (int i = 0; i < ROWS_PER_BATCH; i++) {
        char s[1024];
        int n = row_text(s, sizeof(s), key, i, pad);
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
    opt.record_count = ROWS_PER_BATCH;
    fl_logbatch_build(out, &opt, body.p, body.len);
    fl_buf_free(&body);
}

/* Decodes a batch read back and checks every row against its key. @returns the key. */
static int64_t batch_key(const fl_logbatch_t *b, size_t pad) {
    assert_int_equal(b->record_count, ROWS_PER_BATCH);
    fl_arena_t *a = fl_arena_new(0);
    fl_logrecord_iter_t it;
    fl_logrecord_iter_init(&it, b->p + b->header_size, b->size - b->header_size, b->record_count);
    fl_logrecord_t rec;
    int64_t key = -1;
    int i = 0;
    while (fl_logrecord_next(&it, &rec)) {
        fl_datum_t *f;
        assert_int_equal(fl_row_decode(FL_ROW_INDEXED, &row_type, rec.row.p, rec.row.len, a, &f),
                         FL_ERR_NONE);
        if (i == 0) key = f[0].v.i64 / 1000;
        assert_int_equal(f[0].v.i64, key * 1000 + i);
        char s[1024];
        int n = row_text(s, sizeof(s), key, i, pad);
        assert_int_equal(f[1].v.bytes.len, n);
        assert_memory_equal(f[1].v.bytes.p, s, (size_t)n);
        i++;
    }
    assert_int_equal(it.rd.err, FL_ERR_NONE);
    assert_int_equal(i, ROWS_PER_BATCH);
    fl_arena_destroy(a);
    return key;
}

/* Reads [from, to) of bucket 0 and calls fn(batch) for each batch; asserts continuity and CRCs.
 * @returns the offset reached (== to unless a fetch fails; then *err_code is set). */
typedef void(batch_fn)(const fl_logbatch_t *b, void *arg);
static int64_t read_range(int fd, int64_t tid, int64_t from, int64_t to, batch_fn *fn, void *arg,
                          int32_t *err_code) {
    int64_t next = from;
    *err_code = 0;
    while (next < to) {
        fl_arena_t *a = fl_arena_new(0);
        Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, tid, 0, next, 256 << 10, a);
        if (f->has_error_code && f->error_code) {
            *err_code = f->error_code;
            assert_false(f->has_records && f->records.len);
            fl_arena_destroy(a);
            return next;
        }
        assert_true(f->has_records && f->records.len > 0);
        fl_logbatch_iter_t it;
        fl_logbatch_iter_init(&it, f->records.data, f->records.len, UINT32_MAX, true);
        fl_logbatch_t b;
        int rc;
        while ((rc = fl_logbatch_iter_next(&it, &b)) == 1) {
            assert_int_equal(b.base_offset, next);
            fn(&b, arg);
            next = fl_logbatch_next_offset(&b);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(it.trailing, 0);
        fl_arena_destroy(a);
    }
    return next;
}

static int64_t produce_one(int fd, int64_t tid, int64_t key, size_t pad) {
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, key, pad);
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, tid, 0, rec.p, rec.len, a);
    if (r->has_error_code && r->error_code)
        fail_msg("produce of batch %lld refused: %d %s", (long long)key, r->error_code,
                 r->error_message);
    assert_true(r->has_base_offset);
    int64_t off = r->base_offset;
    fl_arena_destroy(a);
    fl_buf_free(&rec);
    return off;
}

/* ---- files ---------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .log file names of dir, sorted (20-digit names sort by offset). */
static size_t list_segments(const char *dir, char names[][32], size_t cap) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *ptrs[256];
    static char store[256][32];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l == 24 && !strcmp(e->d_name + 20, ".log")) {
            snprintf(store[n], 32, "%s", e->d_name);
            ptrs[n] = store[n];
            n++;
        }
    }
    closedir(d);
    qsort(ptrs, n, sizeof(*ptrs), cmp_str);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) snprintf(names[i], 32, "%s", ptrs[i]);
    return n;
}

static uint8_t *read_all(const char *path, size_t *len) {
    int f = open(path, O_RDONLY);
    assert_true(f >= 0);
    struct stat st;
    assert_int_equal(fstat(f, &st), 0);
    uint8_t *p = malloc((size_t)st.st_size + 1);
    assert_int_equal(pread(f, p, (size_t)st.st_size, 0), st.st_size);
    close(f);
    *len = (size_t)st.st_size;
    return p;
}

/* Batch layout of a segment file: positions, base offsets and sizes. */
typedef struct {
    size_t pos[1024], size[1024], header[1024];
    int64_t base[1024];
    size_t n;
} seg_batches_t;

static void scan_file(const uint8_t *p, size_t len, seg_batches_t *sb) {
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, p, len, UINT32_MAX, true);
    fl_logbatch_t b;
    sb->n = 0;
    while (fl_logbatch_iter_next(&it, &b) == 1 && sb->n < 1024) {
        sb->pos[sb->n] = (size_t)(b.p - p);
        sb->size[sb->n] = b.size;
        sb->header[sb->n] = b.header_size;
        sb->base[sb->n] = b.base_offset;
        sb->n++;
    }
    assert_int_equal(it.trailing, 0);
    assert_int_equal(it.err, FL_ERR_NONE);
}

/* ---- test 1: a flipped byte and a cut tail ------------------------------------------------------ */

#define PAD1 600
#define N1 150

static int64_t acked1[N1];

static void check_prefix(const fl_logbatch_t *b, void *arg) {
    int64_t *count = arg;
    int64_t key = batch_key(b, PAD1);
    assert_true(key >= 0 && key < N1);
    assert_int_equal(acked1[key], b->base_offset);
    (*count)++;
}

/* Produce N1 batches into 64 KiB segments, stop cleanly, damage the files (flip: one byte of
 * the batch body in the middle of closed segment 1; cut: the active segment's last batch cut
 * in half), restart, and check what the server makes of it. */
static fl_ts_t ts; /* the server of the running test */

static void damage_and_restart(bool flip, bool cut) {
    const char *args[] = {"-Dlog.segment.file-size=64kb", NULL};
    fl_ts_start(&ts, "local", args);
    int fd = fl_cli_connect(ts.port);
    int64_t tid = fl_cli_create_table(fd, "flip", TABLE_JSON);
    for (int64_t k = 0; k < N1; k++) acked1[k] = produce_one(fd, tid, k, PAD1);
    int64_t end = fl_cli_list_offset(fd, tid, 0, 1);
    assert_int_equal(end, N1 * ROWS_PER_BATCH);
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);

    char dir[512];
    snprintf(dir, sizeof(dir), "%s/data/tablet/%" PRId64 "/0", ts.dir, tid);
    char names[64][32];
    size_t nseg = list_segments(dir, names, 64);
    assert_true(nseg >= 4);

    /* the batch at the middle of closed segment 1 */
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, names[1]);
    size_t len;
    uint8_t *p = read_all(path, &len);
    static seg_batches_t sb;
    scan_file(p, len, &sb);
    free(p);
    size_t victim = 0;
    while (victim + 1 < sb.n && sb.pos[victim + 1] <= len / 2) victim++;
    size_t flip_at = sb.pos[victim] + sb.header[victim] + (sb.size[victim] - sb.header[victim]) / 2;
    int64_t damaged = flip ? sb.base[victim] : end;
    size_t damaged_pos = sb.pos[victim];
    int64_t next_seg_base = sb.base[sb.n - 1] + ROWS_PER_BATCH;
    if (flip) {
        int f = open(path, O_RDWR);
        uint8_t byte;
        assert_int_equal(pread(f, &byte, 1, (off_t)flip_at), 1);
        byte ^= 0x20;
        assert_int_equal(pwrite(f, &byte, 1, (off_t)flip_at), 1);
        close(f);
        print_message("flipped byte %zu of %s (batch at byte %zu, offsets %lld..%lld)\n", flip_at,
                      names[1], damaged_pos, (long long)damaged,
                      (long long)damaged + ROWS_PER_BATCH - 1);
    }

    /* the active segment's last batch */
    char apath[700];
    snprintf(apath, sizeof(apath), "%s/%s", dir, names[nseg - 1]);
    p = read_all(apath, &len);
    scan_file(p, len, &sb);
    free(p);
    assert_true(sb.n >= 2);
    size_t last = sb.n - 1;
    size_t cut_to = sb.pos[last] + sb.size[last] / 2;
    int64_t new_end = cut ? sb.base[last] : end;
    if (cut) {
        assert_int_equal(truncate(apath, (off_t)cut_to), 0);
        print_message("cut %s to %zu bytes (last batch at byte %zu, offset %lld)\n",
                      names[nseg - 1], cut_to, sb.pos[last], (long long)new_end);
    }

    fl_ts_restart(&ts, "local", args);
    fd = fl_cli_connect(ts.port);
    /* the bucket's log is opened (recovered) on first use */
    int64_t latest = fl_cli_list_offset(fd, tid, 0, 1);
    if (latest != new_end)
        fail_msg("after the restart the log ends at %lld, expected %lld (the %s); see %s", (long long)latest,
                 (long long)new_end, cut ? "cut tail" : "undamaged end", ts.log);
    char line[1024];
    if (cut) {
        snprintf(line, sizeof(line),
                 "WARN  [storage] recovery: %s/%s: cut at byte %zu (incomplete batch (size %zu, %zu "
                 "bytes left)), %zu bytes removed; log end offset %lld",
                 dir, names[nseg - 1], sb.pos[last], sb.size[last], cut_to - sb.pos[last],
                 cut_to - sb.pos[last], (long long)new_end);
        assert_true(fl_ts_log_has(&ts, line));
    }
    assert_int_equal(fl_cli_list_offset(fd, tid, 0, 0), 0);

    /* everything before the damaged batch is served, byte-checked */
    int64_t count = 0;
    int32_t code;
    int64_t reached = read_range(fd, tid, 0, flip ? damaged : latest, check_prefix, &count, &code);
    assert_int_equal(code, 0);
    assert_int_equal(reached, flip ? damaged : latest);
    assert_int_equal(count, reached / ROWS_PER_BATCH);
    fl_arena_t *a = fl_arena_new(0);
    if (flip) {
        /* the damaged offsets: an error code, no records */
        for (int64_t off = damaged; off < damaged + ROWS_PER_BATCH; off++) {
            Fluss__PbFetchLogRespForBucket *fr = fl_cli_fetch(fd, tid, 0, off, 1 << 20, a);
            if (!fr->has_error_code || fr->error_code == 0)
                fail_msg("fetch at damaged offset %lld: no error (%zu bytes)", (long long)off,
                         fr->has_records ? fr->records.len : 0);
            assert_int_equal(fr->error_code, 10); /* LOG_STORAGE_EXCEPTION */
            assert_false(fr->has_records && fr->records.len);
        }
        snprintf(line, sizeof(line), "ERROR [storage] corrupt batch in %s/%s at byte %zu: CRC mismatch",
                 dir, names[1], damaged_pos);
        assert_true(fl_ts_log_has(&ts, line));
        /* the segments after the damaged one are intact and served */
        count = 0;
        reached = read_range(fd, tid, next_seg_base, latest, check_prefix, &count, &code);
        assert_int_equal(code, 0);
        assert_int_equal(reached, latest);
        assert_int_equal(count, (latest - next_seg_base) / ROWS_PER_BATCH);
    }
    /* new produces go on at the end */
    assert_int_equal(produce_one(fd, tid, 1000, PAD1), new_end);
    assert_int_equal(fl_cli_list_offset(fd, tid, 0, 1), new_end + ROWS_PER_BATCH);
    Fluss__PbFetchLogRespForBucket *fr = fl_cli_fetch(fd, tid, 0, new_end, 1 << 20, a);
    assert_false(fr->has_error_code && fr->error_code);
    fl_logbatch_t b;
    assert_int_equal(fl_logbatch_validate(fr->records.data, fr->records.len, UINT32_MAX, &b, NULL),
                     FL_ERR_NONE);
    assert_int_equal(batch_key(&b, PAD1), 1000);
    fl_arena_destroy(a);
    close(fd);
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_flip_only(void **state) {
    (void)state;
    damage_and_restart(true, false);
}

static void test_cut_only(void **state) {
    (void)state;
    damage_and_restart(false, true);
}

static void test_flip_and_cut(void **state) {
    (void)state;
    damage_and_restart(true, true);
}

/* ---- test 2: kill -9 during a produce stream ------------------------------------------------------ */

#define PAD2 200
#define MAX_KEYS 100000
#define WINDOW 8

static int64_t acked2[MAX_KEYS]; /* base offset acknowledged, -1 when not (yet) */
static int seen2[MAX_KEYS];
static int64_t next_key2;

static void count_batch(const fl_logbatch_t *b, void *arg) {
    (void)arg;
    int64_t key = batch_key(b, PAD2);
    assert_true(key >= 0 && key < next_key2);
    seen2[key]++;
    if (seen2[key] > 1) fail_msg("batch %lld appears twice (again at %lld)", (long long)key, (long long)b->base_offset);
    if (acked2[key] >= 0 && acked2[key] != b->base_offset)
        fail_msg("batch %lld acknowledged at %lld, found at %lld", (long long)key,
                 (long long)acked2[key], (long long)b->base_offset);
}

/* Sends a produce of batch key; @returns false when the connection is gone. */
static bool send_produce(int fd, int64_t tid, int32_t id, int64_t key) {
    fl_buf_t rec;
    fl_buf_init(&rec);
    build_batch(&rec, key, PAD2);
    Fluss__PbProduceLogReqForBucket b = FLUSS__PB_PRODUCE_LOG_REQ_FOR_BUCKET__INIT;
    b.bucket_id = 0;
    b.records.data = rec.p;
    b.records.len = rec.len;
    Fluss__PbProduceLogReqForBucket *bs[] = {&b};
    Fluss__ProduceLogRequest req = FLUSS__PRODUCE_LOG_REQUEST__INIT;
    req.acks = -1;
    req.table_id = tid;
    req.timeout_ms = 30000;
    req.n_buckets_req = 1;
    req.buckets_req = bs;
    fl_buf_t frame;
    fl_buf_init(&frame);
    size_t at = fl_frame_begin_req(&frame, FL_API_PRODUCE_LOG, 0, id);
    fl_pb_pack(&frame, &req.base);
    fl_frame_end(&frame, at);
    bool ok = true;
    for (size_t done = 0; done < frame.len;) {
        ssize_t w = send(fd, frame.p + done, frame.len - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            ok = false;
            break;
        }
        done += (size_t)w;
    }
    fl_buf_free(&frame);
    fl_buf_free(&rec);
    return ok;
}

/* Produces with WINDOW requests in flight until the connection dies (the server is killed).
 * @returns the number of batches acknowledged. */
static int stream_until_dead(int fd, int64_t tid) {
    static int64_t key_of[1 << 20];
    int32_t id = 0;
    int inflight = 0, acked = 0;
    bool alive = true;
    while (alive) {
        while (inflight < WINDOW && alive) {
            if (next_key2 >= MAX_KEYS || id >= (1 << 20) - 1) fail_msg("too many batches");
            key_of[++id] = next_key2;
            acked2[next_key2] = -1;
            next_key2++;
            alive = send_produce(fd, tid, id, key_of[id]);
            inflight++;
        }
        fl_buf_t buf;
        fl_buf_init(&buf);
        fl_cli_resp_t resp;
        if (fl_cli_read_resp(fd, 10000, &buf, &resp) != 0) {
            fl_buf_free(&buf);
            break;
        }
        inflight--;
        assert_int_equal(resp.hdr.type, FL_RESP_SUCCESS);
        assert_true(resp.hdr.request_id > 0 && resp.hdr.request_id <= id);
        const char *why;
        fl_arena_t *a = fl_arena_new(0);
        Fluss__ProduceLogResponse *r = (Fluss__ProduceLogResponse *)fl_pb_unpack(
            a, &fluss__produce_log_response__descriptor, resp.body, resp.body_len, &why);
        assert_non_null(r);
        assert_int_equal(r->n_buckets_resp, 1);
        Fluss__PbProduceLogRespForBucket *br = r->buckets_resp[0];
        if (br->has_error_code && br->error_code)
            fail_msg("produce refused: %d %s", br->error_code, br->error_message);
        assert_true(br->has_base_offset);
        acked2[key_of[resp.hdr.request_id]] = br->base_offset;
        acked++;
        fl_arena_destroy(a);
        fl_buf_free(&buf);
    }
    close(fd);
    return acked;
}

static void test_kill9_storm(void **state) {
    (void)state;
    const char *args[] = {"-Dlog.flush.interval-messages=1", "-Dlog.segment.file-size=64kb",
                          "-Dlog.replica.high-watermark.checkpoint-interval=200 ms", NULL};
    fl_ts_start(&ts, "local", args);
    int fd = fl_cli_connect(ts.port);
    int64_t tid = fl_cli_create_table(fd, "storm", TABLE_JSON);
    close(fd);
    unsigned seed = (unsigned)fl_mono_us();
    print_message("seed %u\n", seed);
    srand(seed);
    int64_t t0 = fl_mono_us();
    for (int round = 0; round < 20; round++) {
        int delay_ms = 20 + rand() % 230;
        fd = fl_cli_connect(ts.port);
        pid_t killer = fork();
        assert_true(killer >= 0);
        if (killer == 0) {
            usleep((useconds_t)delay_ms * 1000);
            kill(ts.pid, SIGKILL);
            _exit(0);
        }
        int acked = stream_until_dead(fd, tid);
        assert_int_equal(waitpid(killer, NULL, 0), killer);
        int status;
        assert_int_equal(waitpid(ts.pid, &status, 0), ts.pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        ts.pid = 0;

        fl_ts_restart(&ts, "local", args);
        fd = fl_cli_connect(ts.port);
        int64_t latest = fl_cli_list_offset(fd, tid, 0, 1);
        memset(seen2, 0, sizeof(seen2[0]) * (size_t)next_key2);
        int32_t code;
        int64_t reached = read_range(fd, tid, 0, latest, count_batch, NULL, &code);
        assert_int_equal(code, 0);
        assert_int_equal(reached, latest);
        int64_t n_acked = 0, n_present = 0;
        for (int64_t k = 0; k < next_key2; k++) {
            if (acked2[k] >= 0) {
                n_acked++;
                if (seen2[k] != 1)
                    fail_msg("round %d: acknowledged batch %lld (offset %lld) is missing", round,
                             (long long)k, (long long)acked2[k]);
            }
            n_present += seen2[k];
        }
        /* the log still takes appends, at its end */
        int64_t k = next_key2++;
        acked2[k] = produce_one(fd, tid, k, PAD2);
        assert_int_equal(acked2[k], latest);
        assert_int_equal(fl_cli_list_offset(fd, tid, 0, 1), latest + ROWS_PER_BATCH);
        close(fd);
        print_message("round %2d: kill after %3d ms, %3d acked this round; log holds %lld batches "
                      "(%lld acknowledged, %lld sent)\n",
                      round, delay_ms, acked, (long long)n_present, (long long)n_acked,
                      (long long)next_key2 - 1);
    }
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
    print_message("20 rounds in %lld ms\n", (long long)((fl_mono_us() - t0) / 1000));
}

/* A failed test leaves its server running: end it. */
static int kill_leftover(void **state) {
    (void)state;
    fl_ts_kill9(&ts);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_flip_only, kill_leftover),
        cmocka_unit_test_teardown(test_cut_only, kill_leftover),
        cmocka_unit_test_teardown(test_flip_and_cut, kill_leftover),
        cmocka_unit_test_teardown(test_kill9_storm, kill_leftover),
    };
    return cmocka_run_group_tests_name("wire_log_recovery", tests, NULL, NULL);
}
