/* test_writebehind.c: the log's write-behind path (fl_logio_t): appends written on the writer
 * thread in assignment order across segment rolls, the written offset bounding reads and the
 * high watermark, syncs on the sync thread, release callbacks, a failed write failing the log
 * and discarding the writes queued after it (L6), a failed fsync (L4), and recovery of what
 * write-behind left on disk. */
#include "test_storage_util.h"

#include <errno.h>

#include "fl_logstore.h"
#include "fl_segment.h"
#include "fl_vfs.h"

/* Batches handed to the writer: each owns its bytes until released. */
typedef struct pending_s {
    fl_buf_t b;
    int released;
} pending_t;

static void release_cb(void *arg) {
    pending_t *p = arg;
    p->released++;
}

#define NB 300

/* Append batch i asynchronously and record it in the reference (bytes as stamped). */
static fl_err_t append_async(fl_logstore_t *log, ref_t *r, pending_t *pd, int records,
                             size_t body, int64_t now) {
    fl_buf_init(&pd->b);
    tu_batch(&pd->b, records, body, (uint32_t)r->n + 1);
    fl_append_info_t info;
    fl_err_t err = fl_logstore_append_async(log, pd->b.p, pd->b.len, now, release_cb, pd, &info);
    if (!err) {
        assert_int_equal(info.batches, 1);
        r->offsets[r->n] = info.base_offset;
        r->pos[r->n] = r->bytes.len;
        r->ts[r->n] = info.commit_timestamp;
        r->n++;
        fl_buf_put(&r->bytes, pd->b.p, pd->b.len); /* stamped at the call */
        /* offsets are assigned now; the bytes may not be written yet */
        assert_int_equal(fl_logstore_end_offset(log), info.next_offset);
        assert_true(fl_logstore_written_offset(log) <= info.next_offset);
    }
    return err;
}

static void test_appends_rolls_and_reads(void **state) {
    (void)state;
    char *d = tu_new_dir('w');
    fl_logstore_conf_t conf;
    fl_logstore_conf_defaults(&conf);
    conf.segment_bytes = 16 * 1024;
    conf.index_interval_bytes = 1024;
    conf.flush_policy = FL_FLUSH_INTERVAL;
    fl_logio_t *io = fl_logio_new();
    assert_non_null(io);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    fl_logstore_set_io(log, io);
    assert_ptr_equal(fl_logstore_io(log), io);
    static ref_t r;
    ref_init(&r);
    static pending_t pd[NB];
    memset(pd, 0, sizeof(pd));
    for (int i = 0; i < NB; i++) {
        assert_int_equal(append_async(log, &r, &pd[i], 1 + i % 3, 200 + (size_t)(i * 7) % 900, 1000 + i),
                         FL_ERR_NONE);
        /* whatever is not written yet is neither readable nor under the high watermark */
        int64_t w = fl_logstore_written_offset(log);
        fl_logslice_t s;
        assert_int_equal(fl_logstore_read(log, w, 1 << 20, INT64_MAX, true, &s), FL_ERR_NONE);
        assert_int_equal(s.len, 0);
        fl_logstore_set_high_watermark(log, INT64_MAX);
        assert_int_equal(fl_logstore_high_watermark(log), w); /* clamped to the written offset */
        if (i % 50 == 0) fl_logio_complete(io, 2000);
    }
    int64_t end = fl_logstore_end_offset(log);
    assert_true(fl_logstore_segment_count(log) > 5); /* rolled (each roll waits for its writes) */
    fl_logio_drain(io, 2000);
    assert_false(fl_logstore_io_pending(log));
    assert_int_equal(fl_logstore_written_offset(log), end);
    for (int i = 0; i < NB; i++) assert_int_equal(pd[i].released, 1);
    read_all_and_compare(log, &r, 0);
    /* consecutive offsets, timestamps never going down */
    for (size_t i = 1; i < r.n; i++) assert_true(r.ts[i] >= r.ts[i - 1]);
    /* sync on the sync thread: flushed once applied */
    assert_true(fl_logstore_flush_due(log, 1 << 30));
    assert_int_equal(fl_logstore_sync_start(log, 3000), FL_ERR_NONE);
    assert_true(fl_logstore_sync_busy(log));
    assert_int_equal(fl_logstore_sync_start(log, 3000), FL_ERR_NONE); /* no second job */
    fl_logio_drain(io, 3000);
    assert_false(fl_logstore_sync_busy(log));
    assert_int_equal(fl_logstore_flushed_offset(log), end);
    /* a time lookup and a synchronous append still work beside write-behind */
    int64_t off;
    assert_int_equal(fl_logstore_offset_for_time(log, r.ts[100], &off), FL_ERR_NONE);
    assert_true(off <= r.offsets[100]);
    assert_int_equal(append_one(log, &r, 2, 300, 5000), FL_ERR_NONE);
    fl_logstore_set_high_watermark(log, fl_logstore_end_offset(log));
    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    /* reopen: everything is there */
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_true(st.clean_shutdown);
    read_all_and_compare(log, &r, 0);
    /* close with writes in flight waits for them */
    fl_logstore_set_io(log, io);
    static pending_t more[20];
    for (int i = 0; i < 20; i++) assert_int_equal(append_async(log, &r, &more[i], 1, 500, 6000), FL_ERR_NONE);
    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    for (int i = 0; i < 20; i++) assert_int_equal(more[i].released, 1);
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    read_all_and_compare(log, &r, 0);
    fl_logstore_abandon(log);
    fl_logio_free(io);
    for (int i = 0; i < NB; i++) fl_buf_free(&pd[i].b);
    for (int i = 0; i < 20; i++) fl_buf_free(&more[i].b);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_failed_write_fails_log(void **state) {
    (void)state;
    char *d = tu_new_dir('w');
    fl_logstore_conf_t conf;
    fl_logstore_conf_defaults(&conf);
    conf.flush_policy = FL_FLUSH_INTERVAL;
    fl_vfs_fault_install();
    fl_logio_t *io = fl_logio_new();
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    fl_logstore_set_io(log, io);
    static ref_t r;
    ref_init(&r);
    static pending_t pd[10];
    memset(pd, 0, sizeof(pd));
    for (int i = 0; i < 3; i++) assert_int_equal(append_async(log, &r, &pd[i], 1, 500, 10), FL_ERR_NONE);
    fl_logio_drain(io, 10);
    int64_t good = fl_logstore_written_offset(log);
    char seg0[800];
    snprintf(seg0, sizeof(seg0), "%s/%020d.log", d, 0);
    uint64_t size = tu_file_size(seg0);
    /* the disk fills up in the middle of the next write; the ones queued after it have their
     * offsets already and are never written */
    fl_vfs_fault_space_limit(200);
    size_t mark = tu_log_mark();
    for (int i = 3; i < 10; i++) assert_int_equal(append_async(log, &r, &pd[i], 1, 500, 10), FL_ERR_NONE);
    assert_int_equal(fl_logstore_end_offset(log), good + 7);
    fl_logio_drain(io, 10);
    assert_true(fl_logstore_failed(log));
    assert_true(tu_log_has(mark, "write() failed: No space left on device (segment "));
    assert_true(tu_log_has(mark, "the log stops accepting writes"));
    for (int i = 0; i < 10; i++) assert_int_equal(pd[i].released, 1);
    assert_int_equal(tu_file_size(seg0), size); /* rolled back, nothing after it written */
    assert_int_equal(fl_logstore_written_offset(log), good);
    assert_int_equal(fl_logstore_end_offset(log), good); /* nothing in flight any more */
    fl_logstore_set_high_watermark(log, INT64_MAX);
    assert_int_equal(fl_logstore_high_watermark(log), good);
    pending_t late = {0};
    assert_int_equal(append_async(log, &r, &late, 1, 10, 10), FL_ERR_LOG_STORAGE_EXCEPTION);
    assert_int_equal(late.released, 0);
    fl_buf_free(&late.b);
    fl_logstore_abandon(log);
    fl_vfs_fault_space_limit(UINT64_MAX);
    /* restart: the good prefix */
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(fl_logstore_end_offset(log), good);
    r.n = 3;
    r.bytes.len = r.pos[3];
    read_all_and_compare(log, &r, 0);
    fl_logstore_abandon(log);
    fl_logio_free(io);
    fl_vfs_fault_uninstall();
    for (int i = 0; i < 10; i++) fl_buf_free(&pd[i].b);
    fl_buf_free(&r.bytes);
    free(d);
}

static void test_failed_fsync_on_sync_thread(void **state) {
    (void)state;
    char *d = tu_new_dir('w');
    fl_logstore_conf_t conf;
    fl_logstore_conf_defaults(&conf);
    fl_vfs_fault_install();
    fl_logio_t *io = fl_logio_new();
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    fl_logstore_set_io(log, io);
    static ref_t r;
    ref_init(&r);
    static pending_t pd[4];
    memset(pd, 0, sizeof(pd));
    for (int i = 0; i < 2; i++) assert_int_equal(append_async(log, &r, &pd[i], 1, 100, 10), FL_ERR_NONE);
    fl_logio_drain(io, 10);
    assert_int_equal(fl_logstore_sync_start(log, 20), FL_ERR_NONE);
    fl_logio_drain(io, 20);
    int64_t flushed = fl_logstore_flushed_offset(log);
    assert_int_equal(flushed, fl_logstore_end_offset(log));
    for (int i = 2; i < 4; i++) assert_int_equal(append_async(log, &r, &pd[i], 1, 100, 10), FL_ERR_NONE);
    fl_logio_drain(io, 30);
    fl_vfs_fault_fail_nth(FL_VFS_OP_FSYNC, 1, EIO, false);
    size_t mark = tu_log_mark();
    assert_int_equal(fl_logstore_sync_start(log, 40), FL_ERR_NONE);
    fl_logio_drain(io, 40);
    assert_true(tu_log_has(mark, "fdatasync() failed: Input/output error (segment "));
    assert_true(tu_log_has(mark, "stops accepting writes after a failed fsync"));
    assert_true(fl_logstore_failed(log));
    assert_int_equal(fl_logstore_flushed_offset(log), flushed); /* never believed (L4) */
    assert_int_equal(fl_logstore_sync_start(log, 50), FL_ERR_LOG_STORAGE_EXCEPTION);
    pending_t late = {0};
    assert_int_equal(append_async(log, &r, &late, 1, 10, 10), FL_ERR_LOG_STORAGE_EXCEPTION);
    fl_buf_free(&late.b);
    fl_logstore_abandon(log);
    fl_logio_free(io);
    fl_vfs_fault_uninstall();
    for (int i = 0; i < 4; i++) fl_buf_free(&pd[i].b);
    fl_buf_free(&r.bytes);
    free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_rolls_and_reads),
        cmocka_unit_test(test_failed_write_fails_log),
        cmocka_unit_test(test_failed_fsync_on_sync_thread),
    };
    return cmocka_run_group_tests_name("storage_writebehind", tests, tu_group_setup, tu_group_teardown);
}
