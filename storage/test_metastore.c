/* test_metastore.c: the RocksDB metadata store: atomic batches, prefix scans, reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl_metastore.h"

static char dir[64];

static bool collect(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    char *out = arg;
    strncat(out, (const char *)k, kl);
    strcat(out, "=");
    strncat(out, (const char *)v, vl);
    strcat(out, ";");
    return true;
}

static void test_batches_scan_reopen(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-meta-XXXXXX");
    assert_non_null(mkdtemp(dir));
    const char *why = NULL;
    fl_metastore_t *ms = fl_metastore_open_rocksdb(dir, &why);
    assert_non_null(ms);
    fl_meta_batch_t *b = fl_meta_batch_new();
    fl_meta_batch_put_str(b, "db/fluss", "{}");
    fl_meta_batch_put_str(b, "db/sales", "{\"c\":1}");
    fl_meta_batch_put_str(b, "dc/other", "x");
    fl_meta_batch_put_str(b, "seq/table_id", "7");
    assert_int_equal(fl_meta_batch_count(b), 4);
    assert_int_equal(fl_metastore_write(ms, b), FL_ERR_NONE);
    fl_meta_batch_free(b);

    char out[256] = "";
    assert_int_equal(fl_metastore_scan(ms, "db/", collect, out), FL_ERR_NONE);
    assert_string_equal(out, "db/fluss={};db/sales={\"c\":1};");

    b = fl_meta_batch_new();
    fl_meta_batch_del(b, "db/fluss");
    fl_meta_batch_put_str(b, "seq/table_id", "8");
    assert_int_equal(fl_metastore_write(ms, b), FL_ERR_NONE);
    fl_meta_batch_free(b);
    fl_metastore_close(ms);

    ms = fl_metastore_open_rocksdb(dir, &why);
    assert_non_null(ms);
    fl_buf_t v;
    fl_buf_init(&v);
    assert_int_equal(fl_metastore_get(ms, "db/fluss", &v), FL_ERR__NOENT);
    assert_int_equal(fl_metastore_get(ms, "seq/table_id", &v), FL_ERR_NONE);
    assert_int_equal(v.len, 1);
    assert_int_equal(v.p[0], '8');
    out[0] = '\0';
    fl_metastore_scan(ms, "db/", collect, out);
    assert_string_equal(out, "db/sales={\"c\":1};");
    fl_buf_free(&v);
    fl_metastore_close(ms);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_open_failure(void **state) {
    (void)state;
    const char *why = NULL;
    assert_null(fl_metastore_open_rocksdb("/proc/version/cannot", &why));
    assert_non_null(strstr(why, "cannot open metadata store"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_scan_reopen),
        cmocka_unit_test(test_open_failure),
    };
    return cmocka_run_group_tests_name("storage_metastore", tests, NULL, NULL);
}
