/* test_lakefile.c: the round file set shared by the Paimon and Iceberg writers: create-only
 * names, sticky errors, fsync failure reported at close, abort removing exactly the round's
 * files, forget after publish, UUID form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_lakefile.h"
#include "fl_vfs.h"

static char dir[] = "/tmp/fl-lakefile-XXXXXX";

static const char *p(const char *name) {
    static char buf[2][256];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
    return buf[k];
}

static off_t size_of(const char *path) {
    struct stat st;
    return stat(path, &st) ? -1 : st.st_size;
}

static void test_write_close_unlink(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_lakeset_t set = {0};
    fl_lakefile_t *f;
    assert_int_equal(fl_lakefile_open(a, &set, p("a"), &f), FL_ERR_NONE);
    assert_int_equal(fl_lakefile_write(f, "hello ", 6), FL_ERR_NONE);
    assert_int_equal(fl_lakefile_write(f, "world", 5), FL_ERR_NONE);
    assert_int_equal(f->off, 11);
    assert_int_equal(fl_lakefile_close(f), FL_ERR_NONE);
    assert_int_equal(size_of(p("a")), 11);
    assert_int_equal(fl_lakefile_write_new(a, &set, p("b"), "xyz", 3), FL_ERR_NONE);
    /* names are never reused: a second create of "a" fails and is not added to the set */
    assert_int_not_equal(fl_lakefile_open(a, &set, p("a"), &f), FL_ERR_NONE);
    assert_int_equal(set.n, 2);
    assert_true(fl_lake_exists(p("a")));
    /* abort: both files go, a file the set does not name stays */
    fl_lakeset_t other = {0};
    assert_int_equal(fl_lakefile_write_new(a, &other, p("other"), "o", 1), FL_ERR_NONE);
    fl_lakeset_free(&other);
    fl_lakeset_unlink(&set);
    assert_false(fl_lake_exists(p("a")));
    assert_false(fl_lake_exists(p("b")));
    assert_true(fl_lake_exists(p("other")));
    assert_int_equal(set.n, 0);
    /* published: forget keeps the files */
    assert_int_equal(fl_lakefile_write_new(a, &set, p("c"), "c", 1), FL_ERR_NONE);
    fl_lakeset_forget(&set);
    fl_lakeset_unlink(&set);
    assert_true(fl_lake_exists(p("c")));
    fl_lakeset_free(&set);
    unlink(p("c"));
    unlink(p("other"));
    fl_arena_destroy(a);
}

static void test_faults_stick(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_lakeset_t set = {0};
    fl_lakefile_t *f;
    fl_vfs_fault_install();
    /* a failed write sticks: later writes and the close report it */
    assert_int_equal(fl_lakefile_open(a, &set, p("w"), &f), FL_ERR_NONE);
    fl_vfs_fault_fail_nth(FL_VFS_OP_PWRITE, 1, ENOSPC, false);
    assert_int_not_equal(fl_lakefile_write(f, "abc", 3), FL_ERR_NONE);
    assert_int_not_equal(fl_lakefile_write(f, "abc", 3), FL_ERR_NONE);
    assert_int_not_equal(fl_lakefile_close(f), FL_ERR_NONE);
    /* a failed fsync is reported by close */
    assert_int_equal(fl_lakefile_open(a, &set, p("s"), &f), FL_ERR_NONE);
    assert_int_equal(fl_lakefile_write(f, "abc", 3), FL_ERR_NONE);
    fl_vfs_fault_fail_nth(FL_VFS_OP_FSYNC, 1, EIO, false);
    assert_int_equal(fl_lakefile_close(f), FL_ERR__IO);
    assert_int_equal(f->fd, -1);
    fl_vfs_fault_uninstall();
    fl_lakeset_unlink(&set);
    assert_false(fl_lake_exists(p("w")));
    assert_false(fl_lake_exists(p("s")));
    fl_lakeset_free(&set);
    fl_arena_destroy(a);
}

static void test_uuid(void **state) {
    (void)state;
    char u1[37], u2[37];
    fl_lake_uuid(u1);
    fl_lake_uuid(u2);
    assert_int_equal(strlen(u1), 36);
    assert_string_not_equal(u1, u2);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) assert_int_equal(u1[i], '-');
        else assert_non_null(strchr("0123456789abcdef", u1[i]));
    }
    assert_int_equal(u1[14], '4');                 /* version 4 */
    assert_non_null(strchr("89ab", u1[19]));       /* RFC 4122 variant */
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_close_unlink),
        cmocka_unit_test(test_faults_stick),
        cmocka_unit_test(test_uuid),
    };
    int rc = cmocka_run_group_tests_name("lakefile", tests, NULL, NULL);
    rmdir(dir);
    return rc;
}
