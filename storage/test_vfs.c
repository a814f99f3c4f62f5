/* test_vfs.c: fl_write_full under short writes and EINTR, the durable-file recipe, and the
 * fault VFS itself (fail call N, disk full, crash modes), since the recovery tests rely on it. */
#include "test_storage_util.h"

#include <errno.h>
#include <sys/stat.h>

#include "fl_vfs.h"

static char *dir;

static int setup(void **state) {
    (void)state;
    dir = tu_mkdtemp();
    tu_log_capture(dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fl_vfs_fault_uninstall();
    tu_rmrf(dir);
    free(dir);
    return 0;
}

static void path_of(char *out, const char *name) {
    snprintf(out, 600, "%s/%s", dir, name);
}

static void test_write_full_short_and_eintr(void **state) {
    (void)state;
    fl_vfs_fault_install();
    fl_vfs_fault_short_writes(7, 3); /* at most 7 bytes per call, every 3rd call EINTR */
    char path[600];
    path_of(path, "wf");
    int fd = fl_vfs->open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (uint8_t)(i * 7);
    size_t written = 0;
    assert_int_equal(fl_write_full(fd, buf, sizeof(buf), 100, &written), FL_ERR_NONE);
    assert_int_equal(written, sizeof(buf));
    uint8_t back[1100];
    assert_int_equal(fl_read_full(fd, back, sizeof(back), 0), 1100);
    assert_memory_equal(back + 100, buf, sizeof(buf));
    fl_vfs_fault_stats_t st;
    fl_vfs_fault_stats(&st);
    assert_true(st.calls[2] >= 1000 / 7); /* many pwrite calls were needed */

    /* disk full mid-write: a short write, then ENOSPC; written says how much landed */
    fl_vfs_fault_short_writes(0, 0);
    fl_vfs_fault_space_limit(300);
    assert_int_equal(fl_write_full(fd, buf, sizeof(buf), 1100, &written), FL_ERR__NOSPC);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(written, 300);
    fl_vfs->close(fd);
}

static void test_fail_nth(void **state) {
    (void)state;
    fl_vfs_fault_install();
    char path[600];
    path_of(path, "fn");
    int fd = fl_vfs->open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    fl_vfs_fault_fail_nth(FL_VFS_OP_PWRITE | FL_VFS_OP_FSYNC, 3, EIO, false);
    assert_int_equal(fl_vfs->pwrite(fd, "a", 1, 0), 1);
    assert_int_equal(fl_vfs->fsync(fd), 0);
    assert_int_equal(fl_vfs->pwrite(fd, "b", 1, 1), -1); /* third matching call */
    assert_int_equal(errno, EIO);
    assert_int_equal(fl_vfs->pwrite(fd, "b", 1, 1), 1); /* one-shot */
    fl_vfs_fault_fail_nth(FL_VFS_OP_FSYNC, 1, EIO, true);
    assert_int_equal(fl_vfs->fsync(fd), -1);
    assert_int_equal(fl_vfs->fsync(fd), -1); /* persistent */
    assert_int_equal(fl_vfs->pwrite(fd, "c", 1, 2), 1);
    fl_vfs_fault_fail_nth(0, 0, 0, false);
    assert_int_equal(fl_vfs->fsync(fd), 0);
    fl_vfs->close(fd);
}

static void test_durable_recipe(void **state) {
    (void)state;
    fl_vfs_fault_install();
    assert_int_equal(fl_vfs_write_durable(dir, "meta", "version-1", 9), FL_ERR_NONE);
    char path[600], tmp[600];
    path_of(path, "meta");
    path_of(tmp, "meta.tmp");
    uint8_t *p;
    size_t n;
    assert_int_equal(fl_vfs_read_file(path, 100, &p, &n), FL_ERR_NONE);
    assert_int_equal(n, 9);
    assert_memory_equal(p, "version-1", 9);
    fl_free(p);
    /* every step failing leaves the old file whole and no temp file behind */
    unsigned ops[] = {FL_VFS_OP_OPEN, FL_VFS_OP_PWRITE, FL_VFS_OP_FSYNC, FL_VFS_OP_RENAME};
    for (size_t i = 0; i < FL_ARRAY_LEN(ops); i++) {
        fl_vfs_fault_fail_nth(ops[i], 1, i == 1 ? ENOSPC : EIO, false);
        fl_err_t err = fl_vfs_write_durable(dir, "meta", "version-2!", 10);
        assert_int_equal(err, i == 1 ? FL_ERR__NOSPC : FL_ERR__IO);
        assert_int_equal(fl_vfs_read_file(path, 100, &p, &n), FL_ERR_NONE);
        assert_int_equal(n, 9);
        fl_free(p);
        assert_false(tu_exists(tmp));
    }
    /* the recipe survives a power cut right after it returns */
    fl_vfs_fault_fail_nth(0, 0, 0, false);
    assert_int_equal(fl_vfs_write_durable(dir, "meta", "version-3", 9), FL_ERR_NONE);
    fl_vfs_fault_crash(FL_VFS_CRASH_DROP_UNSYNCED, 0);
    assert_int_equal(fl_vfs_read_file(path, 100, &p, &n), FL_ERR_NONE);
    assert_memory_equal(p, "version-3", 9);
    fl_free(p);
    assert_int_equal(fl_vfs_read_file(path, 4, &p, &n), FL_ERR__OVERFLOW);
    path_of(path, "nope");
    assert_int_equal(fl_vfs_read_file(path, 4, &p, &n), FL_ERR__NOENT);
}

/* Build a file: 1000 synced bytes, then unsynced writes of 700 and 1300 bytes. */
static int crash_fixture(const char *name) {
    char path[600];
    path_of(path, name);
    int fd = fl_vfs->open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    uint8_t a[1000], b[700], c[1300];
    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    memset(c, 'c', sizeof(c));
    assert_int_equal(fl_write_full(fd, a, sizeof(a), 0, NULL), FL_ERR_NONE);
    assert_int_equal(fl_vfs->fdatasync(fd), 0);
    assert_int_equal(fl_write_full(fd, b, sizeof(b), 1000, NULL), FL_ERR_NONE);
    assert_int_equal(fl_write_full(fd, c, sizeof(c), 1700, NULL), FL_ERR_NONE);
    return fd;
}

static void test_crash_modes(void **state) {
    (void)state;
    char path[600];
    size_t n;
    char *p;

    fl_vfs_fault_install();
    int fd = crash_fixture("c1");
    fl_vfs_fault_crash(FL_VFS_CRASH_DROP_UNSYNCED, 0);
    path_of(path, "c1");
    assert_int_equal(tu_file_size(path), 1000);
    /* the old fd is dead after the crash */
    assert_int_equal(fl_vfs->pwrite(fd, "x", 1, 0), -1);
    assert_int_equal(errno, EIO);
    fl_vfs->close(fd);

    fd = crash_fixture("c2");
    fl_vfs_fault_crash(FL_VFS_CRASH_KEEP_ALL, 0);
    path_of(path, "c2");
    assert_int_equal(tu_file_size(path), 3000);
    fl_vfs->close(fd);

    /* tear: the 1300-byte write at 1700 keeps sectors from 1536: 1 sector -> up to 2048 */
    fd = crash_fixture("c3");
    fl_vfs_fault_crash(FL_VFS_CRASH_TEAR_LAST, 1);
    path_of(path, "c3");
    p = tu_read_all(path, &n);
    assert_int_equal(n, 3000);
    assert_int_equal(p[999], 'a');
    assert_int_equal(p[1699], 'b');
    assert_int_equal(p[1700], 'c');
    assert_int_equal(p[2047], 'c');
    assert_int_equal(p[2048], 0);
    assert_int_equal(p[2999], 0);
    free(p);
    fl_vfs->close(fd);

    fd = crash_fixture("c4");
    fl_vfs_fault_crash(FL_VFS_CRASH_CUT_LAST, 2);
    path_of(path, "c4");
    p = tu_read_all(path, &n);
    assert_int_equal(n, 2560);
    assert_int_equal(p[2559], 'c');
    free(p);
    fl_vfs->close(fd);

    /* an unsynced truncate is undone by a power cut */
    fd = crash_fixture("c5");
    assert_int_equal(fl_vfs->fdatasync(fd), 0);
    assert_int_equal(fl_vfs->ftruncate(fd, 10), 0);
    fl_vfs_fault_crash(FL_VFS_CRASH_DROP_UNSYNCED, 0);
    path_of(path, "c5");
    assert_int_equal(tu_file_size(path), 3000);
    fl_vfs->close(fd);
}

/* mkdir -p: nested, idempotent, refuses a path that does not fit and a file in the way. */
static void test_mkdirs(void **state) {
    (void)state;
    char p[600], big[5000];
    path_of(p, "m/a/b/c");
    assert_int_equal(fl_vfs_mkdirs(p), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fl_vfs_mkdirs(p), 0); /* exists already */
    memset(big, 'x', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = 0;
    errno = 0;
    assert_int_equal(fl_vfs_mkdirs(big), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    path_of(p, "m/file");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    path_of(p, "m/file/sub");
    assert_int_equal(fl_vfs_mkdirs(p), -1);
    assert_int_equal(errno, ENOTDIR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkdirs),
        cmocka_unit_test(test_write_full_short_and_eintr),
        cmocka_unit_test(test_fail_nth),
        cmocka_unit_test(test_durable_recipe),
        cmocka_unit_test(test_crash_modes),
    };
    return cmocka_run_group_tests_name("storage_vfs", tests, setup, teardown);
}
