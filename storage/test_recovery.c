/* test_recovery.c: crash recovery of a bucket log (fl_logstore.h L1-L5).
 *
 *  - power cuts at many points and in every crash mode of the fault VFS: no flushed batch is
 *    lost, and the tail is cut exactly where an independent scan (the protocol iterator over
 *    the raw files) finds the first bad batch;
 *  - a failing syscall at every position N of a workload, then a power cut;
 *  - exact log lines for each kind of bad tail;
 *  - a byte flipped in the middle of a closed segment: reported, everything before served;
 *  - missing and garbage index files are rebuilt identically;
 *  - recovery reads only the tail after the recovery point (bytes counted by the VFS). */
#include "test_storage_util.h"

#include <dirent.h>
#include <errno.h>

#include "fl_crc32c.h"
#include "fl_logstore.h"
#include "fl_vfs.h"

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What recovery must find, computed independently: walk every .log in name order with the
 * protocol iterator (CRC on) and the continuity rule, and stop at the first bad batch. */
typedef struct {
    int64_t leo;
    char cut_file[64];
    uint64_t cut_pos;
    uint64_t bytes_after_cut;
} expect_t;

static void independent_scan(const char *dir, expect_t *ex) {
    memset(ex, 0, sizeof(*ex));
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[512];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l == 24 && strcmp(de->d_name + 20, ".log") == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    /* files wholly below the log start offset in the recovery point (an unlink that failed
     * during retention) are not part of the log */
    char rpp[800];
    snprintf(rpp, sizeof(rpp), "%s/recovery-point", dir);
    size_t rplen;
    char *rp = tu_read_all(rpp, &rplen);
    int64_t lso = 0;
    if (rp && rplen == 68) memcpy(&lso, rp + 32, 8);
    free(rp);
    while (n > 1 && atoll(names[1]) <= lso) {
        free(names[0]);
        memmove(names, names + 1, (n - 1) * sizeof(*names));
        n--;
    }
    bool cut = false;
    int64_t expected = n ? atoll(names[0]) : 0;
    for (size_t i = 0; i < n; i++) {
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        size_t len;
        char *p = tu_read_all(path, &len);
        if (cut) {
            ex->bytes_after_cut += len;
        } else if (atoll(names[i]) != expected) {
            cut = true;
            snprintf(ex->cut_file, sizeof(ex->cut_file), "%s", names[i]);
            ex->cut_pos = 0;
            ex->bytes_after_cut += len;
        } else {
            fl_logbatch_iter_t it;
            fl_logbatch_t b;
            fl_logbatch_iter_init(&it, p, len, 64u << 20, true);
            int rc;
            while ((rc = fl_logbatch_iter_next(&it, &b)) == 1) {
                if (b.base_offset != expected) {
                    it.off -= b.size;
                    rc = -1;
                    break;
                }
                expected = fl_logbatch_next_offset(&b);
            }
            if (rc != 0 || it.trailing) {
                cut = true;
                snprintf(ex->cut_file, sizeof(ex->cut_file), "%s", names[i]);
                ex->cut_pos = it.off;
                ex->bytes_after_cut += len - it.off;
            }
        }
        free(p);
        free(names[i]);
    }
    ex->leo = expected;
}

static void small_conf(fl_logstore_conf_t *c) {
    fl_logstore_conf_defaults(c);
    c->segment_bytes = 8 * 1024;
    c->index_interval_bytes = 1024;
}

/* Reopen after a crash and check everything a crash may and may not do. */
static void check_recovery(const char *d, const fl_logstore_conf_t *conf, ref_t *r, int64_t acked) {
    expect_t ex;
    independent_scan(d, &ex);
    size_t mark = tu_log_mark();
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, conf, &log, &st), FL_ERR_NONE);
    int64_t leo = fl_logstore_end_offset(log);
    assert_true(leo >= acked);               /* no flushed batch lost */
    if (leo != ex.leo)
        fprintf(stderr, "%s: recovered end %lld, independent scan %lld (cut %s at %llu)\n", d,
                (long long)leo, (long long)ex.leo, ex.cut_file, (unsigned long long)ex.cut_pos);
    assert_int_equal(leo, ex.leo);           /* cut exactly at the first bad batch */
    assert_int_equal(st.bytes_cut, ex.bytes_after_cut);
    if (ex.cut_file[0]) {
        assert_string_equal(st.cut_file, ex.cut_file);
        assert_int_equal(st.cut_pos, ex.cut_pos);
        char line[1024];
        if (ex.cut_pos > 0 || strstr(st.cut_reason, "does not follow") == NULL)
            snprintf(line, sizeof(line), "recovery: %s/%s: cut at byte %llu (%s)", d, ex.cut_file,
                     (unsigned long long)ex.cut_pos, st.cut_reason);
        else
            snprintf(line, sizeof(line), "recovery: %s/%s: %s", d, ex.cut_file, st.cut_reason);
        assert_true(tu_log_has(mark, line));
    } else {
        assert_int_equal(st.cut_file[0], 0);
    }
    /* what survived is exactly a prefix of what was appended, CRCs intact */
    ref_truncate(r, leo);
    size_t first = 0;
    while (first < r->n && r->offsets[first] < fl_logstore_start_offset(log)) first++;
    read_all_and_compare(log, r, first);
    /* the log takes appends again, and the next start finds it clean */
    assert_int_equal(append_one(log, r, 1, 100, 1LL << 40), FL_ERR_NONE);
    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
    assert_int_equal(fl_logstore_open(d, conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(st.bytes_cut, 0);
    assert_int_equal(st.bytes_scanned, 0);
    assert_int_equal(fl_logstore_end_offset(log), leo + 1);
    fl_logstore_abandon(log);
}

static void crash_case(int steps, fl_vfs_crash_t mode, unsigned tear, int flush_every, int ckpt_every) {
    char *d = tu_new_dir('r');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    fl_vfs_fault_install();
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    fl_buf_free(&r.bytes);
    ref_init(&r);
    int64_t acked = 0;
    for (int i = 0; i < steps; i++) {
        assert_int_equal(append_one(log, &r, 1 + i % 3, 1300 + (size_t)(i % 5) * 200, 1000 + i), FL_ERR_NONE);
        if ((i + 1) % flush_every == 0) {
            assert_int_equal(fl_logstore_flush(log, 0), FL_ERR_NONE);
            acked = fl_logstore_flushed_offset(log);
        }
        if (ckpt_every && (i + 1) % ckpt_every == 0) assert_int_equal(fl_logstore_checkpoint(log), FL_ERR_NONE);
    }
    fl_vfs_fault_crash(mode, tear);
    fl_logstore_abandon(log);
    fl_vfs_fault_uninstall();
    check_recovery(d, &conf, &r, acked);
    free(d);
}

static void test_power_cut_everywhere(void **state) {
    (void)state;
    const struct {
        fl_vfs_crash_t mode;
        unsigned tear;
    } modes[] = {
        {FL_VFS_CRASH_DROP_UNSYNCED, 0}, {FL_VFS_CRASH_KEEP_ALL, 0}, {FL_VFS_CRASH_TEAR_LAST, 0},
        {FL_VFS_CRASH_TEAR_LAST, 1},     {FL_VFS_CRASH_TEAR_LAST, 3}, {FL_VFS_CRASH_CUT_LAST, 1},
        {FL_VFS_CRASH_CUT_LAST, 2},      {FL_VFS_CRASH_CUT_LAST, 5},
    };
    int cases = 0;
    for (size_t m = 0; m < FL_ARRAY_LEN(modes); m++) {
        for (int steps = 1; steps <= 25; steps += 3) {
            crash_case(steps, modes[m].mode, modes[m].tear, 2, 5);
            crash_case(steps, modes[m].mode, modes[m].tear, 4, 0);
            cases += 2;
        }
    }
    assert_int_equal(cases, 144);
}

/* The workload of test_fail_every_call. @returns the flushed offset it last saw. */
static int64_t fail_workload(fl_logstore_t *log, ref_t *r) {
    int64_t acked = 0;
    for (int i = 0; i < 30; i++) {
        append_one(log, r, 1 + i % 2, 900 + (size_t)i * 10, 1000 + i);
        if (i % 3 == 2 && fl_logstore_flush(log, 0) == FL_ERR_NONE) acked = fl_logstore_flushed_offset(log);
        if (i % 10 == 9) fl_logstore_checkpoint(log);
        if (i == 20) {
            uint32_t del;
            fl_logstore_retain(log, 1LL << 40, 1, 0, &del);
        }
    }
    return acked;
}

/* Fail the N-th storage syscall of a workload (for every N), then cut the power. */
static void test_fail_every_call(void **state) {
    (void)state;
    fl_logstore_conf_t conf;
    small_conf(&conf);
    const unsigned ops = FL_VFS_OP_PWRITE | FL_VFS_OP_FSYNC | FL_VFS_OP_FTRUNCATE | FL_VFS_OP_RENAME |
                         FL_VFS_OP_OPEN | FL_VFS_OP_UNLINK | FL_VFS_OP_PREAD;
    static ref_t r;
    /* count the calls the workload makes */
    uint64_t calls = 0;
    {
        char *d = tu_new_dir('r');
        fl_vfs_fault_install();
        fl_logstore_t *log;
        fl_logstore_open_stats_t st;
        assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
        fl_vfs_fault_reset_stats();
        ref_init(&r);
        fail_workload(log, &r);
        fl_vfs_fault_stats_t fs;
        fl_vfs_fault_stats(&fs);
        for (int b = 0; b < 16; b++)
            if (ops & (1u << b)) calls += fs.calls[b];
        fl_logstore_abandon(log);
        fl_vfs_fault_uninstall();
        free(d);
    }
    assert_true(calls > 100);
    for (uint64_t nth = 1; nth <= calls; nth++) {
        char *d = tu_new_dir('r');
        fl_vfs_fault_install();
        fl_logstore_t *log;
        fl_logstore_open_stats_t st;
        assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
        fl_vfs_fault_fail_nth(ops, nth, nth % 2 ? EIO : ENOSPC, false);
        fl_buf_free(&r.bytes);
        ref_init(&r);
        int64_t acked = fail_workload(log, &r);
        fl_vfs_fault_stats_t fs;
        fl_vfs_fault_stats(&fs);
        assert_int_equal(fs.faults, 1); /* the N-th call did fail */
        fl_vfs_fault_crash(FL_VFS_CRASH_DROP_UNSYNCED, 0);
        fl_logstore_abandon(log);
        fl_vfs_fault_uninstall();
        check_recovery(d, &conf, &r, acked);
        free(d);
    }
}

static void build_closed_log(const char *d, const fl_logstore_conf_t *conf, ref_t *r, int batches) {
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, conf, &log, &st), FL_ERR_NONE);
    fl_buf_free(&r->bytes);
    ref_init(r);
    for (int i = 0; i < batches; i++)
        assert_int_equal(append_one(log, r, 2, 700 + (size_t)(i % 4) * 90, 5000 + 7 * i), FL_ERR_NONE);
    assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
}

static void seg_path(char *out, const char *d, int64_t base, const char *ext) {
    snprintf(out, 800, "%s/%020lld%s", d, (long long)base, ext);
}

/* index of the first batch of the segment whose base offset is base */
static size_t batch_of(const ref_t *r, int64_t off) {
    for (size_t i = 0; i < r->n; i++)
        if (r->offsets[i] == off) return i;
    fail();
    return 0;
}

static void test_bad_tail_log_lines(void **state) {
    (void)state;
    char *d = tu_new_dir('r');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    conf.segment_bytes = 1 << 20; /* one segment */
    static ref_t r;
    build_closed_log(d, &conf, &r, 20);
    int64_t leo = r.offsets[19] + 2;
    char seg[800];
    seg_path(seg, d, 0, ".log");
    uint64_t size = tu_file_size(seg);

    struct {
        const char *what;
        size_t garbage;
        char reason[160];
    } cases[6];
    size_t nc = 0;
    fl_buf_t b;
    fl_buf_init(&b);
    for (int c = 0; c < 6; c++) {
        fl_buf_reset(&b);
        tu_batch(&b, 1, 400, 77);
        fl_logbatch_stamp_base_offset(b.p, leo);
        switch (c) {
        case 0: /* zeros where a batch should start */
            memset(b.p, 0, 100);
            b.len = 100;
            snprintf(cases[nc].reason, 160, "length below header size");
            break;
        case 1: /* a header cut short */
            b.len = 30;
            snprintf(cases[nc].reason, 160, "incomplete batch header (30 bytes left)");
            break;
        case 2: /* a body cut short */
            b.len = 300;
            snprintf(cases[nc].reason, 160, "incomplete batch (size 448, 300 bytes left)");
            break;
        case 3: /* whole but with the wrong base offset */
            fl_logbatch_stamp_base_offset(b.p, 0);
            snprintf(cases[nc].reason, 160, "offset discontinuity (batch base offset 0, expected %lld)",
                     (long long)leo);
            break;
        case 4: { /* whole, right offset, one body bit flipped */
            fl_logbatch_t h;
            assert_int_equal(fl_logbatch_parse_header(b.p, b.len, 1 << 20, &h, NULL), FL_ERR_NONE);
            b.p[300] ^= 0x10;
            uint32_t crc = fl_crc32c(b.p + 25, b.len - 25);
            snprintf(cases[nc].reason, 160, "CRC mismatch (stored %08x, computed %08x)", h.crc, crc);
            break;
        }
        case 5: /* unknown magic */
            b.p[12] = 9;
            snprintf(cases[nc].reason, 160, "unknown magic");
            break;
        }
        cases[nc].garbage = b.len;
        tu_write_file(seg, b.p, b.len, true);
        size_t mark = tu_log_mark();
        fl_logstore_t *log;
        fl_logstore_open_stats_t st;
        assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
        char line[1024];
        snprintf(line, sizeof(line),
                 "recovery: %s/%020d.log: cut at byte %llu (%s), %zu bytes removed; log end offset %lld",
                 d, 0, (unsigned long long)size, cases[nc].reason, cases[nc].garbage, (long long)leo);
        assert_true(tu_log_has(mark, line));
        assert_true(st.clean_shutdown);
        assert_int_equal(st.bytes_scanned, cases[nc].garbage); /* only the tail was read */
        assert_int_equal(st.bytes_cut, cases[nc].garbage);
        assert_int_equal(st.cut_pos, size);
        assert_string_equal(st.cut_reason, cases[nc].reason);
        assert_int_equal(fl_logstore_end_offset(log), leo);
        assert_int_equal(tu_file_size(seg), size);
        read_all_and_compare(log, &r, 0);
        assert_int_equal(fl_logstore_close(log), FL_ERR_NONE);
        nc++;
    }
    /* a whole valid batch that made it to disk unflushed is kept */
    fl_buf_reset(&b);
    tu_batch(&b, 4, 200, 5);
    fl_logbatch_stamp_base_offset(b.p, leo);
    tu_write_file(seg, b.p, b.len, true);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(st.bytes_cut, 0);
    assert_int_equal(fl_logstore_end_offset(log), leo + 4);
    fl_logstore_abandon(log);
    /* a damaged recovery point: warned, then the whole log is scanned */
    char rp[800];
    snprintf(rp, sizeof(rp), "%s/recovery-point", d);
    tu_write_file(rp, "garbage", 7, false);
    size_t mark = tu_log_mark();
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    char line[1024];
    snprintf(line, sizeof(line), "recovery point %s is damaged (wrong size); scanning the whole log", rp);
    assert_true(tu_log_has(mark, line));
    assert_false(st.had_checkpoint);
    assert_int_equal(st.bytes_scanned, tu_file_size(seg));
    assert_int_equal(fl_logstore_end_offset(log), leo + 4);
    fl_logstore_abandon(log);
    fl_buf_free(&b);
    free(d);
}

static void test_corrupt_closed_segment(void **state) {
    (void)state;
    char *d = tu_new_dir('r');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    conf.segment_bytes = 16 * 1024;
    static ref_t r;
    build_closed_log(d, &conf, &r, 120);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_true(fl_logstore_segment_count(log) >= 6);
    int64_t b2 = fl_logstore_segment_base(log, 2), b3 = fl_logstore_segment_base(log, 3);
    int64_t b4 = fl_logstore_segment_base(log, 4), b5 = fl_logstore_segment_base(log, 5);
    fl_logstore_abandon(log);
    /* segment 2: flip a body byte of its 6th batch; segment 4: break the base offset of its
     * 3rd batch (not covered by the CRC, caught by continuity) */
    size_t s2 = batch_of(&r, b2), k = s2 + 5;
    uint64_t flip_at = r.pos[k] - r.pos[s2];
    char seg2[800], seg4[800];
    seg_path(seg2, d, b2, ".log");
    seg_path(seg4, d, b4, ".log");
    tu_flip(seg2, flip_at + 200, 0x01);
    size_t s4 = batch_of(&r, b4), k4 = s4 + 2;
    tu_flip(seg4, r.pos[k4] - r.pos[s4], 0x01); /* lowest byte of BaseOffset */

    size_t mark = tu_log_mark();
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(st.bytes_scanned, 0); /* recovery does not read closed segments... */
    /* ...the read path checks them: everything before the bad batch is served */
    fl_buf_t got;
    fl_buf_init(&got);
    int64_t off = 0, next = 0;
    fl_err_t err;
    while ((err = fl_logstore_read_copy(log, off, 2500, INT64_MAX, true, &got, &next)) == FL_ERR_NONE) {
        assert_true(next > off);
        off = next;
    }
    assert_int_equal(err, FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(off, r.offsets[k]);
    assert_int_equal(got.len, r.pos[k]);
    assert_memory_equal(got.p, r.bytes.p, got.len);
    char line[1024];
    snprintf(line, sizeof(line), "corrupt batch in %s at byte %llu: CRC mismatch (stored ", seg2,
             (unsigned long long)flip_at);
    assert_true(tu_log_has(mark, line));
    snprintf(line, sizeof(line), "; offsets from %lld in this segment are not served", (long long)r.offsets[k]);
    assert_true(tu_log_has(mark, line));
    /* the same offset keeps failing; the next segment is served */
    assert_int_equal(fl_logstore_read_copy(log, r.offsets[k] + 1, 2500, INT64_MAX, true, &got, &next),
                     FL_ERR_CORRUPT_MESSAGE);
    off = b3;
    fl_buf_reset(&got);
    while ((err = fl_logstore_read_copy(log, off, 2500, INT64_MAX, true, &got, &next)) == FL_ERR_NONE) off = next;
    assert_int_equal(err, FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(off, r.offsets[k4]);
    snprintf(line, sizeof(line), "corrupt batch in %s at byte %llu: offset discontinuity (batch base offset %lld, expected %lld)",
             seg4, (unsigned long long)(r.pos[k4] - r.pos[s4]), (long long)(r.offsets[k4] ^ 1),
             (long long)r.offsets[k4]);
    assert_true(tu_log_has(mark, line));
    /* after it, segment 5 on */
    ref_t *rp = &r;
    read_all_and_compare(log, rp, batch_of(&r, b5));
    fl_buf_free(&got);
    fl_logstore_abandon(log);
    free(d);
}

static void test_index_files_rebuilt(void **state) {
    (void)state;
    char *d = tu_new_dir('r');
    fl_logstore_conf_t conf;
    small_conf(&conf);
    conf.segment_bytes = 16 * 1024;
    static ref_t r;
    build_closed_log(d, &conf, &r, 120);
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    size_t nseg = fl_logstore_segment_count(log);
    int64_t base[16];
    for (size_t i = 0; i < nseg; i++) base[i] = fl_logstore_segment_base(log, i);
    fl_logstore_abandon(log);
    char p[800], q[800];
    /* keep the originals */
    char *orig_idx[16], *orig_tidx[16];
    size_t orig_idx_len[16], orig_tidx_len[16];
    for (size_t i = 0; i < nseg; i++) {
        seg_path(p, d, base[i], ".index");
        orig_idx[i] = tu_read_all(p, &orig_idx_len[i]);
        seg_path(p, d, base[i], ".timeindex");
        orig_tidx[i] = tu_read_all(p, &orig_tidx_len[i]);
        assert_non_null(orig_idx[i]);
        assert_non_null(orig_tidx[i]);
    }
    /* 0: offset index missing; 1: garbage offset index; 2: time index of a torn size;
     * 3: last time entry off by one ms; 4: entries pointing past the batches;
     * last (active, at the recovery point): garbage */
    seg_path(p, d, base[0], ".index");
    unlink(p);
    seg_path(p, d, base[1], ".index");
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)(i * 97 + 13);
    tu_write_file(p, junk, sizeof(junk), false);
    seg_path(p, d, base[2], ".timeindex");
    tu_write_file(p, orig_tidx[2], 13, false);
    seg_path(p, d, base[3], ".timeindex");
    tu_flip(p, orig_tidx_len[3] - 12, 0x01);
    seg_path(p, d, base[4], ".index");
    {
        uint8_t e[8] = {1, 0, 0, 0, 0x40, 0, 0, 0}; /* offset +1 at byte 64: not a batch start */
        tu_write_file(p, e, 8, false);
    }
    seg_path(p, d, base[nseg - 1], ".index");
    tu_write_file(p, junk, 24, false);

    size_t mark = tu_log_mark();
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_int_equal(st.indexes_rebuilt, 1); /* the active segment's, at open */
    /* the rest are rebuilt when first used */
    read_all_and_compare(log, &r, 0);
    int64_t off;
    for (size_t i = 0; i < r.n; i += 9) {
        assert_int_equal(fl_logstore_offset_for_time(log, r.ts[i], &off), FL_ERR_NONE);
        assert_int_equal(off, r.offsets[i]);
    }
    const char *reasons[] = {
        "offset index missing",
        "offset index entry ",
        "time index size 13 is not a multiple of 12",
        "time index entry ",
        "offset index entry 0 does not point at batch ",
    };
    for (size_t i = 0; i < 5; i++) {
        char line[1024];
        seg_path(p, d, base[i], ".index");
        seg_path(q, d, base[i], ".log");
        snprintf(line, sizeof(line), "index %s: %s", p, reasons[i]);
        assert_true(tu_log_has(mark, line));
        snprintf(line, sizeof(line), "; rebuilt from %llu bytes of %s", (unsigned long long)tu_file_size(q), q);
        assert_true(tu_log_has(mark, line));
    }
    fl_logstore_abandon(log);
    /* rebuilt files are byte-identical to the ones written during the appends */
    for (size_t i = 0; i < nseg; i++) {
        size_t n;
        seg_path(p, d, base[i], ".index");
        char *now = tu_read_all(p, &n);
        assert_int_equal(n, orig_idx_len[i]);
        assert_memory_equal(now, orig_idx[i], n);
        free(now);
        seg_path(p, d, base[i], ".timeindex");
        now = tu_read_all(p, &n);
        assert_int_equal(n, orig_tidx_len[i]);
        assert_memory_equal(now, orig_tidx[i], n);
        free(now);
        free(orig_idx[i]);
        free(orig_tidx[i]);
    }
    free(d);
}

static void test_recovery_reads_only_the_tail(void **state) {
    (void)state;
    char *d = tu_new_dir('r');
    fl_logstore_conf_t conf;
    fl_logstore_conf_defaults(&conf);
    conf.segment_bytes = 1 << 20;
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    static ref_t r;
    fl_buf_free(&r.bytes);
    ref_init(&r);
    for (int i = 0; i < 500; i++) assert_int_equal(append_one(log, &r, 10, 16000, 1000 + i), FL_ERR_NONE);
    assert_int_equal(fl_logstore_flush(log, 0), FL_ERR_NONE);
    assert_int_equal(fl_logstore_checkpoint(log), FL_ERR_NONE);
    size_t tail_from = r.n;
    for (int i = 0; i < 10; i++) assert_int_equal(append_one(log, &r, 1, 1300, 5000 + i), FL_ERR_NONE);
    assert_int_equal(fl_logstore_flush(log, 0), FL_ERR_NONE);
    fl_logstore_abandon(log); /* the process dies: no clean close */
    uint64_t total = r.bytes.len;
    uint64_t tail = r.bytes.len - r.pos[tail_from];

    fl_vfs_fault_install(); /* count what the reopen reads */
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    fl_vfs_fault_stats_t fs;
    fl_vfs_fault_stats(&fs);
    assert_true(st.had_checkpoint);
    assert_false(st.clean_shutdown);
    assert_int_equal(st.recovered_from, r.offsets[tail_from]);
    assert_int_equal(st.bytes_scanned, tail);
    assert_int_equal(st.segments_scanned, 1);
    assert_true(st.segments >= 8);
    /* everything read through the VFS: the tail, the indexes of one segment, probes */
    fprintf(stderr, "recovery read %llu bytes through the VFS for a %llu-byte tail of %llu bytes\n",
            (unsigned long long)fs.bytes_read, (unsigned long long)tail, (unsigned long long)total);
    assert_true(fs.bytes_read < tail + 64 * 1024);
    assert_true(st.elapsed_us >= 0);
    read_all_and_compare(log, &r, 0);
    fl_logstore_abandon(log);
    fl_vfs_fault_uninstall();
    /* without the recovery point, the same log costs a full scan */
    char rp[800];
    snprintf(rp, sizeof(rp), "%s/recovery-point", d);
    unlink(rp);
    assert_int_equal(fl_logstore_open(d, &conf, &log, &st), FL_ERR_NONE);
    assert_false(st.had_checkpoint);
    assert_int_equal(st.bytes_scanned, total);
    assert_int_equal(fl_logstore_end_offset(log), r.offsets[r.n - 1] + 1);
    fl_logstore_abandon(log);
    free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_tail_log_lines),
        cmocka_unit_test(test_corrupt_closed_segment),
        cmocka_unit_test(test_index_files_rebuilt),
        cmocka_unit_test(test_recovery_reads_only_the_tail),
        cmocka_unit_test(test_power_cut_everywhere),
        cmocka_unit_test(test_fail_every_call),
    };
    return cmocka_run_group_tests_name("storage_recovery", tests, tu_group_setup, tu_group_teardown);
}
