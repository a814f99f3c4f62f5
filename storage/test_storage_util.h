/* test_storage_util.h: helpers shared by the storage unit tests (header-only; each test file
 * is its own executable). */
#ifndef TEST_STORAGE_UTIL_H
#define TEST_STORAGE_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_buf.h"
#include "fl_log.h"
#include "fl_logbatch.h"
#include "fl_logstore.h"
#include "fl_vfs.h"

static int tu_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tu_rmrf(const char *dir) {
    nftw(dir, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR; the returned string is static per call site use. */
static inline char *tu_mkdtemp(void) {
    const char *t = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof(tmpl), "%s/fl-storage-XXXXXX", t && *t ? t : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Append one valid V0 batch of `records` records with a pseudo-random body of body_len
 * bytes to out. @returns its offset in out. */
static inline size_t tu_batch(fl_buf_t *out, int records, size_t body_len, uint32_t seed) {
    uint8_t *body = malloc(body_len + 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < body_len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        body[i] = (uint8_t)x;
    }
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.record_count = records;
    size_t at = fl_logbatch_build(out, &opt, body, body_len);
    free(body);
    return at;
}

/* Log capture: every line also goes to one file per process; checks look after a mark. */
static char tu_log_path[600];

static inline void tu_log_capture(const char *dir) {
    snprintf(tu_log_path, sizeof(tu_log_path), "%s.log.txt", dir);
    assert_int_equal(fl_log_set_file(tu_log_path), 0);
}

static inline char *tu_read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *len = 0;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    size_t got = fread(p, 1, (size_t)n, f);
    p[got] = 0;
    fclose(f);
    *len = got;
    return p;
}

static inline size_t tu_log_mark(void) {
    size_t n;
    free(tu_read_all(tu_log_path, &n));
    return n;
}

static inline bool tu_log_has(size_t mark, const char *needle) {
    size_t n;
    char *p = tu_read_all(tu_log_path, &n);
    bool found = p && n >= mark && strstr(p + mark, needle) != NULL;
    if (!found) fprintf(stderr, "log line not found: %s\n", needle);
    free(p);
    return found;
}

static inline uint64_t tu_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

static inline bool tu_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static inline void tu_write_file(const char *path, const void *p, size_t n, bool append) {
    FILE *f = fopen(path, append ? "ab" : "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static inline void tu_flip(const char *path, uint64_t off, uint8_t mask) {
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= mask;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

/* The appended batches as stored (stamped), concatenated, for comparison with reads. */
typedef struct {
    fl_buf_t bytes;
    int64_t offsets[4096];  /* base offset of batch i */
    size_t pos[4096];       /* position of batch i in bytes */
    int64_t ts[4096];
    size_t n;
} ref_t;

static inline void ref_init(ref_t *r) {
    memset(r, 0, sizeof(*r));
    fl_buf_init(&r->bytes);
}

static inline fl_err_t append_one(fl_logstore_t *log, ref_t *r, int records, size_t body, int64_t now) {
    fl_buf_t b;
    fl_buf_init(&b);
    tu_batch(&b, records, body, (uint32_t)r->n + 1);
    fl_append_info_t info;
    fl_err_t err = fl_logstore_append(log, b.p, b.len, now, &info);
    if (!err) {
        assert_int_equal(info.batches, 1);
        r->offsets[r->n] = info.base_offset;
        r->pos[r->n] = r->bytes.len;
        r->ts[r->n] = info.commit_timestamp;
        r->n++;
        fl_buf_put(&r->bytes, b.p, b.len);
    }
    fl_buf_free(&b);
    return err;
}

/* Read everything from offset to the end with small reads; compare with the reference. */
static inline void read_all_and_compare(fl_logstore_t *log, const ref_t *r, size_t from_batch) {
    fl_buf_t got;
    fl_buf_init(&got);
    int64_t leo = fl_logstore_end_offset(log);
    int64_t off = from_batch < r->n ? r->offsets[from_batch] : leo;
    size_t from_pos = from_batch < r->n ? r->pos[from_batch] : r->bytes.len;
    while (off < leo) {
        int64_t next;
        assert_int_equal(fl_logstore_read_copy(log, off, 3000, INT64_MAX, true, &got, &next), FL_ERR_NONE);
        assert_true(next > off);
        off = next;
    }
    assert_int_equal(got.len, r->bytes.len - from_pos);
    if (got.len) assert_memory_equal(got.p, r->bytes.p + from_pos, got.len);
    /* and every batch still validates with its CRC after stamping */
    fl_logbatch_iter_t it;
    fl_logbatch_t b;
    fl_logbatch_iter_init(&it, got.p, got.len, 1 << 20, true);
    size_t i = from_batch;
    while (fl_logbatch_iter_next(&it, &b) == 1) {
        assert_int_equal(b.base_offset, r->offsets[i]);
        assert_int_equal(b.commit_timestamp, r->ts[i]);
        i++;
    }
    assert_int_equal(i, r->n);
    fl_buf_free(&got);
}

/* Forget the batches at or after offset leo. */
static inline void ref_truncate(ref_t *r, int64_t leo) {
    size_t n = r->n;
    while (n && r->offsets[n - 1] >= leo) n--;
    if (n < r->n) r->bytes.len = r->pos[n];
    r->n = n;
}

/* A scratch root per test executable (the group setup makes it and captures the log there,
 * the group teardown removes the fault VFS and the root) and fresh directories numbered under
 * it: <root>/<prefix><n>. */
static char *tu_root;
static int tu_dir_no;

static inline int tu_group_setup(void **state) {
    (void)state;
    tu_root = tu_mkdtemp();
    tu_log_capture(tu_root);
    return 0;
}

static inline int tu_group_teardown(void **state) {
    (void)state;
    fl_vfs_fault_uninstall();
    tu_rmrf(tu_root);
    free(tu_root);
    return 0;
}

static inline char *tu_new_dir(char prefix) {
    char *d = malloc(700);
    snprintf(d, 700, "%s/%c%d", tu_root, prefix, tu_dir_no++);
    return d;
}

#endif
