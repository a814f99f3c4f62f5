/* test_logstore.c: append, reads (sendfile range and copy), rolling by size and time, the
 * offset and time indexes, high watermark, retention, truncation, the group-commit API, and
 * failed writes / fsyncs (ENOSPC rollback). Crash recovery is in test_recovery.c. */
#include "test_storage_util.h"

#include <errno.h>
#include <sys/sendfile.h>

#include "fl_logstore.h"
#include "fl_segment.h"
#include "fl_vfs.h"

static void small_conf(fl_logstore_conf_t *c) {
    fl_logstore_conf_defaults(c);
    c->segment_bytes = 16 * 1024;
    c->index_interval_bytes = 1024;
}

static void test_append_and_read(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    fl_logstore_conf_defaults(&conf);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_false(st.had_checkpoint);
    assert_int_equal(fl_logstore_end_offset(log), 0);
    static ref_t r;
    ref_init(&r);
    for (int i = 0; i < 50; i++)
        assert_int_equal(append_one(log, &r, 1 + i % 4, 100 + (size_t)i * 13, 1000 + i), FL_ERR_NONE);
    /* offsets are consecutive and count records (a zero-record batch would take one) */
    int64_t expect = 0;
    for (size_t i = 0; i < r.n; i++) {
        assert_int_equal(r.offsets[i], expect);
        expect += 1 + (int64_t)(i % 4);
    }
    assert_int_equal(fl_logstore_end_offset(log), expect);
    read_all_and_compare(log, &r, 0);

    /* a read at an offset inside a batch starts with that batch */
    fl_logslice_t s;
    int64_t mid = r.offsets[10] + 1; /* batch 10 has 3 records */
    assert_int_equal(fl_logstore_read(log, mid, 1, INT64_MAX, true, &s), FL_ERR_NONE);
    assert_int_equal(s.first_offset, r.offsets[10]);
    assert_int_equal(s.next_offset, r.offsets[11]);
    assert_int_equal(s.pos, r.pos[10]);
    assert_int_equal(s.len, r.pos[11] - r.pos[10]); /* min_one: whole first batch */
    /* zero-copy: sendfile the range and compare */
    char out[800];
    snprintf(out, sizeof(out), "%s/sendfile.out", d);
    int ofd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    off_t o = (off_t)s.pos;
    assert_int_equal(sendfile(ofd, s.fd, &o, s.len), (ssize_t)s.len);
    uint8_t back[4096];
    assert_int_equal(pread(ofd, back, sizeof(back), 0), (ssize_t)s.len);
    assert_memory_equal(back, r.bytes.p + r.pos[10], s.len);
    close(ofd);
    fl_logslice_release(&s);
    /* without min_one a too-small max_bytes gives nothing */
    assert_int_equal(fl_logstore_read(log, mid, 1, INT64_MAX, false, &s), FL_ERR_NONE);
    assert_int_equal(s.len, 0);
    /* max_bytes takes whole batches only */
    assert_int_equal(fl_logstore_read(log, 0, r.pos[3] + 10, INT64_MAX, true, &s), FL_ERR_NONE);
    assert_int_equal(s.len, r.pos[3]);
    assert_int_equal(s.next_offset, r.offsets[3]);
    fl_logslice_release(&s);
    /* the high watermark bounds what is visible */
    fl_logstore_set_high_watermark(log, r.offsets[5]);
    assert_int_equal(fl_logstore_high_watermark(log), r.offsets[5]);
    assert_int_equal(fl_logstore_read(log, 0, 1 << 20, fl_logstore_high_watermark(log), true, &s), FL_ERR_NONE);
    assert_int_equal(s.next_offset, r.offsets[5]);
    assert_int_equal(s.len, r.pos[5]);
    fl_logslice_release(&s);
    assert_int_equal(fl_logstore_read(log, r.offsets[5], 1 << 20, r.offsets[5], true, &s), FL_ERR_NONE);
    assert_int_equal(s.len, 0);
    fl_logstore_set_high_watermark(log, 1 << 30);
    assert_int_equal(fl_logstore_high_watermark(log), expect);
    /* out of range; the end itself is an empty read */
    assert_int_equal(fl_logstore_read(log, expect + 1, 100, INT64_MAX, true, &s),
                     FL_ERR_LOG_OFFSET_OUT_OF_RANGE_EXCEPTION);
    assert_int_equal(fl_logstore_read(log, -1, 100, INT64_MAX, true, &s),
                     FL_ERR_LOG_OFFSET_OUT_OF_RANGE_EXCEPTION);
    assert_int_equal(fl_logstore_read(log, expect, 100, INT64_MAX, true, &s), FL_ERR_NONE);
    assert_int_equal(s.len, 0);
    /* not whole batches: rejected, nothing written */
    fl_buf_t bad;
    fl_buf_init(&bad);
    tu_batch(&bad, 1, 50, 9);
    fl_append_info_t info;
    assert_int_equal(fl_logstore_append(log, bad.p, bad.len - 1, 5000, &info), FL_ERR__INVAL);
    bad.p[12] = 7; /* magic */
    assert_int_equal(fl_logstore_append(log, bad.p, bad.len, 5000, &info), FL_ERR_CORRUPT_RECORD_EXCEPTION);
    fl_buf_free(&bad);
    assert_int_equal(fl_logstore_end_offset(log), expect);

    /* several batches in one append share the commit timestamp; it never goes backwards */
    fl_buf_t two;
    fl_buf_init(&two);
    tu_batch(&two, 2, 30, 1);
    tu_batch(&two, 0, 0, 2); /* header-only batch: still one offset */
    assert_int_equal(fl_logstore_append(log, two.p, two.len, 10, &info), FL_ERR_NONE);
    assert_int_equal(info.batches, 2);
    assert_int_equal(info.base_offset, expect);
    assert_int_equal(info.next_offset, expect + 3);
    assert_int_equal(info.commit_timestamp, 1049); /* max(now=10, previous 1049) */
    r.offsets[r.n] = expect;
    r.ts[r.n] = 1049;
    r.pos[r.n++] = r.bytes.len;
    r.offsets[r.n] = expect + 2;
    r.ts[r.n] = 1049;
    r.pos[r.n++] = r.bytes.len + 78;
    fl_buf_put(&r.bytes, two.p, two.len);
    fl_buf_free(&two);

    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    /* a clean reopen scans nothing and finds the same log */
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_true(st.had_checkpoint);
    assert_true(st.clean_shutdown);
    assert_int_equal(st.bytes_scanned, 0);
    assert_int_equal(st.bytes_cut, 0);
    assert_int_equal(fl_logstore_end_offset(log), expect + 3);
    assert_int_equal(fl_logstore_flushed_offset(log), expect + 3);
    read_all_and_compare(log, &r, 0);
    assert_int_equal(append_one(log, &r, 1, 10, 0), FL_ERR_NONE);
    assert_int_equal(r.offsets[r.n - 1], expect + 3);
    assert_int_equal(r.ts[r.n - 1], 1049); /* the recovered max timestamp */
    fl_logstore_abandon(log);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_roll_index_and_time_lookup(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    ref_init(&r);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(append_one(log, &r, 2, 300 + (size_t)(i % 7) * 50, 100000 + 10 * i), FL_ERR_NONE);
        if (fl_logstore_flush_due(log, 0)) assert_int_equal(fl_logstore_flush(log, 0), FL_ERR_NONE);
    }
    size_t nseg = fl_logstore_segment_count(log);
    assert_true(nseg > 5);
    /* segments are named by their base offset and never exceed the size */
    for (size_t i = 0; i < nseg; i++) {
        char p[800];
        snprintf(p, sizeof(p), "%s/%020lld.log", d, (long long)fl_logstore_segment_base(log, i));
        assert_true(tu_exists(p));
        assert_true(tu_file_size(p) <= conf.segment_bytes);
        if (i > 0) {
            /* the base offset of each segment is the base of one of our batches */
            bool found = false;
            for (size_t k = 0; k < r.n; k++) found |= r.offsets[k] == fl_logstore_segment_base(log, i);
            assert_true(found);
        }
    }
    read_all_and_compare(log, &r, 0);
    read_all_and_compare(log, &r, 137);
    /* a read never crosses a segment */
    fl_logslice_t s;
    assert_int_equal(fl_logstore_read(log, 0, 1 << 30, INT64_MAX, true, &s), FL_ERR_NONE);
    assert_int_equal(s.next_offset, fl_logstore_segment_base(log, 1));
    fl_logslice_release(&s);

    /* time lookups: first batch with commit timestamp >= ts */
    int64_t off;
    for (size_t i = 0; i < r.n; i += 7) {
        assert_int_equal(fl_logstore_offset_for_time(log, r.ts[i], &off), FL_ERR_NONE);
        assert_int_equal(off, r.offsets[i]);
        assert_int_equal(fl_logstore_offset_for_time(log, r.ts[i] - 5, &off), FL_ERR_NONE);
        assert_int_equal(off, r.offsets[i]);
    }
    assert_int_equal(fl_logstore_offset_for_time(log, 0, &off), FL_ERR_NONE);
    assert_int_equal(off, 0);
    assert_int_equal(fl_logstore_offset_for_time(log, 1LL << 50, &off), FL_ERR_NONE);
    assert_int_equal(off, fl_logstore_end_offset(log));

    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    /* index files: entries ordered, each points at a batch with that base offset */
    char p[800];
    snprintf(p, sizeof(p), "%s/%020d.index", d, 0);
    size_t n;
    uint8_t *idx = (uint8_t *)tu_read_all(p, &n);
    assert_true(n >= 8 * 8);
    assert_int_equal(n % 8, 0);
    for (size_t e = 0; e < n / 8; e++) {
        uint32_t rel, pos;
        memcpy(&rel, idx + e * 8, 4);
        memcpy(&pos, idx + e * 8 + 4, 4);
        bool found = false;
        for (size_t k = 0; k < r.n; k++) found |= r.offsets[k] == rel && r.pos[k] == pos;
        assert_true(found);
    }
    free(idx);
    snprintf(p, sizeof(p), "%s/%020d.timeindex", d, 0);
    idx = (uint8_t *)tu_read_all(p, &n);
    assert_true(n >= 12 && n % 12 == 0);
    int64_t last_ts;
    memcpy(&last_ts, idx + n - 12, 8);
    free(idx);
    /* the sealed segment's last time entry is its largest timestamp */
    size_t last_in_seg0 = 0;
    fl_logstore_open_stats_t st2;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st2), FL_ERR_NONE);
    while (r.offsets[last_in_seg0 + 1] < fl_logstore_segment_base(log, 1)) last_in_seg0++;
    assert_int_equal(last_ts, r.ts[last_in_seg0]);
    /* lookups again after the reopen (lazily loaded indexes) */
    for (size_t i = 3; i < r.n; i += 11) {
        assert_int_equal(fl_logstore_offset_for_time(log, r.ts[i], &off), FL_ERR_NONE);
        assert_int_equal(off, r.offsets[i]);
    }
    read_all_and_compare(log, &r, 250);
    fl_logstore_abandon(log);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_roll_by_time(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    conf.segment_ms = 1000;
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    ref_init(&r);
    assert_int_equal(append_one(log, &r, 1, 10, 5000), FL_ERR_NONE);
    assert_int_equal(append_one(log, &r, 1, 10, 5999), FL_ERR_NONE);
    assert_int_equal(fl_logstore_segment_count(log), 1);
    assert_int_equal(append_one(log, &r, 1, 10, 6000), FL_ERR_NONE);
    assert_int_equal(fl_logstore_segment_count(log), 2);
    assert_int_equal(fl_logstore_segment_base(log, 1), 2);
    /* a roll makes a flush due whatever the policy */
    fl_logstore_abandon(log);
    conf.flush_policy = FL_FLUSH_NEVER;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_false(fl_logstore_flush_due(log, 0));
    assert_int_equal(append_one(log, &r, 1, 10, 6001), FL_ERR_NONE);
    assert_false(fl_logstore_flush_due(log, 1 << 30));
    assert_int_equal(append_one(log, &r, 1, 10, 7000), FL_ERR_NONE);
    assert_int_equal(fl_logstore_segment_count(log), 3);
    assert_true(fl_logstore_flush_due(log, 0));
    fl_logstore_abandon(log);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_group_commit_api(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    conf.flush_policy = FL_FLUSH_INTERVAL;
    conf.flush_interval_ms = 100;
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    fl_logsync_t job;
    assert_false(fl_logstore_sync_prepare(log, &job));
    static ref_t r;
    ref_init(&r);
    assert_int_equal(append_one(log, &r, 3, 100, 1), FL_ERR_NONE);
    assert_int_equal(fl_logstore_flushed_offset(log), 0);
    assert_false(fl_logstore_flush_due(log, 50));
    assert_true(fl_logstore_flush_due(log, 100));
    assert_true(fl_logstore_sync_prepare(log, &job));
    assert_int_equal(job.target_offset, 3);
    /* appends while the job runs are not covered by it */
    assert_int_equal(append_one(log, &r, 2, 100, 1), FL_ERR_NONE);
    fl_logstore_sync_run(&job);
    assert_int_equal(fl_logstore_sync_finish(log, &job, 100), FL_ERR_NONE);
    assert_int_equal(fl_logstore_flushed_offset(log), 3);
    assert_false(fl_logstore_flush_due(log, 150));
    assert_true(fl_logstore_flush_due(log, 200));
    assert_int_equal(fl_logstore_flush(log, 200), FL_ERR_NONE);
    assert_int_equal(fl_logstore_flushed_offset(log), 5);
    assert_false(fl_logstore_flush_due(log, 1000));

    /* a failed fsync fails the log: no more appends, flushed offset unchanged, never retried */
    fl_vfs_fault_install();
    assert_int_equal(append_one(log, &r, 1, 100, 1), FL_ERR_NONE);
    fl_vfs_fault_fail_nth(FL_VFS_OP_FSYNC, 1, EIO, false);
    size_t mark = tu_log_mark();
    assert_int_equal(fl_logstore_flush(log, 300), FL_ERR__IO);
    assert_true(fl_logstore_failed(log));
    assert_int_equal(fl_logstore_flushed_offset(log), 5);
    assert_true(tu_log_has(mark, "fdatasync() failed: Input/output error (segment "));
    assert_true(tu_log_has(mark, "stops accepting writes after a failed fsync"));
    assert_int_equal(append_one(log, &r, 1, 100, 1), FL_ERR_LOG_STORAGE_EXCEPTION);
    assert_int_equal(fl_logstore_flush(log, 400), FL_ERR_LOG_STORAGE_EXCEPTION);
    assert_false(fl_logstore_flush_due(log, 1000));
    fl_logstore_abandon(log);
    fl_vfs_fault_uninstall();
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_enospc_rolls_back(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    fl_vfs_fault_install();
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    ref_init(&r);
    for (int i = 0; i < 5; i++) assert_int_equal(append_one(log, &r, 1, 500, 10), FL_ERR_NONE);
    int64_t leo = fl_logstore_end_offset(log);
    char seg0[800];
    snprintf(seg0, sizeof(seg0), "%s/%020d.log", d, 0);
    uint64_t size = tu_file_size(seg0);
    /* the disk fills up in the middle of the next batch */
    fl_vfs_fault_space_limit(200);
    size_t mark = tu_log_mark();
    assert_int_equal(append_one(log, &r, 1, 500, 10), FL_ERR__NOSPC);
    assert_true(tu_log_has(mark, "write() failed: No space left on device (segment "));
    assert_true(tu_log_has(mark, "548 bytes, 200 written); truncating back to"));
    assert_int_equal(tu_file_size(seg0), size);
    assert_int_equal(fl_logstore_end_offset(log), leo);
    assert_false(fl_logstore_failed(log));
    /* space comes back: the next batch takes the same offset */
    fl_vfs_fault_space_limit(UINT64_MAX);
    assert_int_equal(append_one(log, &r, 1, 500, 10), FL_ERR_NONE);
    assert_int_equal(r.offsets[r.n - 1], leo);
    read_all_and_compare(log, &r, 0);
    /* when the rollback itself fails the log stops accepting writes */
    fl_vfs_fault_space_limit(100);
    fl_vfs_fault_fail_nth(FL_VFS_OP_FTRUNCATE, 1, EIO, false);
    assert_int_equal(append_one(log, &r, 1, 500, 10), FL_ERR__NOSPC);
    assert_true(fl_logstore_failed(log));
    assert_int_equal(append_one(log, &r, 1, 10, 10), FL_ERR_LOG_STORAGE_EXCEPTION);
    fl_logstore_abandon(log);
    fl_vfs_fault_uninstall();
    /* a restart cuts the 100 stray bytes and keeps every good batch */
    mark = tu_log_mark();
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(st.bytes_cut, 100);
    assert_int_equal(fl_logstore_end_offset(log), leo + 1);
    assert_true(tu_log_has(mark, "cut at byte "));
    read_all_and_compare(log, &r, 0);
    fl_logstore_abandon(log);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_retention(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    ref_init(&r);
    /* timestamps: 1000 per batch, so each segment covers a known time range */
    for (int i = 0; i < 200; i++) assert_int_equal(append_one(log, &r, 1, 900, 1000 * (i + 1)), FL_ERR_NONE);
    size_t nseg = fl_logstore_segment_count(log);
    assert_true(nseg >= 10);
    uint32_t deleted;
    /* nothing is deleted before it is flushed (L5) */
    assert_int_equal(fl_logstore_retain(log, 1LL << 40, 1, 0, &deleted), FL_ERR_NONE);
    assert_int_equal(deleted, 0);
    assert_int_equal(fl_logstore_flush(log, 0), FL_ERR_NONE);
    /* ttl: segments whose largest timestamp is older than now - ttl go */
    int64_t b2 = fl_logstore_segment_base(log, 2);
    int64_t seg1_max_ts = r.ts[b2 - 1]; /* one record per batch: offset == batch index */
    assert_int_equal(fl_logstore_retain(log, seg1_max_ts + 5000, 5000, 0, &deleted), FL_ERR_NONE);
    assert_int_equal(deleted, 1); /* segment 1's newest is exactly at the limit: kept */
    assert_int_equal(fl_logstore_retain(log, seg1_max_ts + 5001, 5000, 0, &deleted), FL_ERR_NONE);
    assert_int_equal(deleted, 1);
    assert_int_equal(fl_logstore_start_offset(log), b2);
    assert_int_equal(fl_logstore_segment_count(log), nseg - 2);
    char p[800];
    snprintf(p, sizeof(p), "%s/%020d.log", d, 0);
    assert_false(tu_exists(p));
    fl_logslice_t s;
    assert_int_equal(fl_logstore_read(log, b2 - 1, 100, INT64_MAX, true, &s),
                     FL_ERR_LOG_OFFSET_OUT_OF_RANGE_EXCEPTION);
    read_all_and_compare(log, &r, (size_t)b2);
    /* size: keep at least max_bytes */
    uint64_t total = fl_logstore_size_bytes(log);
    assert_int_equal(fl_logstore_retain(log, 0, 0, total / 2, &deleted), FL_ERR_NONE);
    assert_true(deleted > 0);
    assert_true(fl_logstore_size_bytes(log) >= total / 2);
    assert_true(fl_logstore_size_bytes(log) < total / 2 + conf.segment_bytes);
    /* everything expired: the active segment stays */
    assert_int_equal(fl_logstore_retain(log, 1LL << 40, 1, 0, &deleted), FL_ERR_NONE);
    assert_int_equal(fl_logstore_segment_count(log), 1);
    int64_t lso = fl_logstore_start_offset(log);
    assert_int_equal(lso, fl_logstore_segment_base(log, 0));
    fl_logstore_abandon(log); /* the retention checkpoint holds the start offset */
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(fl_logstore_start_offset(log), lso);
    assert_int_equal(st.bytes_scanned, 0);
    read_all_and_compare(log, &r, (size_t)lso);
    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_truncate(void **state) {
    (void)state;
    char *d = tu_new_dir('b');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    ref_init(&r);
    for (int i = 0; i < 120; i++) assert_int_equal(append_one(log, &r, 3, 700, 10 + i), FL_ERR_NONE);
    assert_int_equal(fl_logstore_flush(log, 0), FL_ERR_NONE);
    assert_int_equal(fl_logstore_checkpoint(log), FL_ERR_NONE);
    fl_logstore_set_high_watermark(log, fl_logstore_end_offset(log));
    size_t nseg = fl_logstore_segment_count(log);
    /* to an offset inside batch 40 (in an early segment): batch 40 goes whole */
    int64_t target = r.offsets[40] + 2;
    assert_int_equal(fl_logstore_truncate(log, target), FL_ERR_NONE);
    assert_int_equal(fl_logstore_end_offset(log), r.offsets[40]);
    assert_int_equal(fl_logstore_high_watermark(log), r.offsets[40]);
    assert_int_equal(fl_logstore_flushed_offset(log), r.offsets[40]);
    assert_true(fl_logstore_segment_count(log) < nseg);
    r.n = 40;
    r.bytes.len = r.pos[40];
    read_all_and_compare(log, &r, 0);
    /* appends continue from there; a crash-free reopen sees exactly that */
    for (int i = 0; i < 30; i++) assert_int_equal(append_one(log, &r, 1, 400, 500), FL_ERR_NONE);
    assert_int_equal(r.offsets[40], r.offsets[39] + 3);
    read_all_and_compare(log, &r, 0);
    assert_int_equal(fl_logstore_truncate(log, -1), FL_ERR__INVAL);
    assert_int_equal(fl_logstore_truncate(log, 1 << 30), FL_ERR_NONE); /* past the end: no-op */
    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(st.bytes_cut, 0);
    read_all_and_compare(log, &r, 0);
    /* truncation right after a checkpoint, then a crash: the truncated data must not come back */
    assert_int_equal(fl_logstore_truncate(log, r.offsets[10]), FL_ERR_NONE);
    fl_logstore_abandon(log);
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(fl_logstore_end_offset(log), r.offsets[10]);
    /* down to the start: an empty log at offset 0 */
    assert_int_equal(fl_logstore_truncate(log, 0), FL_ERR_NONE);
    assert_int_equal(fl_logstore_end_offset(log), 0);
    assert_int_equal(fl_logstore_segment_count(log), 1);
    fl_logstore_abandon(log);
    fl_buf_free(&r.bytes);
    free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_read),
        cmocka_unit_test(test_roll_index_and_time_lookup),
        cmocka_unit_test(test_roll_by_time),
        cmocka_unit_test(test_group_commit_api),
        cmocka_unit_test(test_enospc_rolls_back),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_truncate),
    };
    return cmocka_run_group_tests_name("storage_logstore", tests, tu_group_setup, tu_group_teardown);
}
