/* test_catalog.c: the catalog against a real metadata store: persistence across reopen, id
 * counters, cascade drops, partitions, auto-partition names, lake properties in table JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl_catalog.h"
#include "fl_tablevalid.h"

static char dir[64];

static const char *LOG_T = "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"
                           "{\"name\":\"dt\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[],"
                           "\"properties\":{},\"custom_properties\":{}}";
static const char *PART_T = "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"
                            "{\"name\":\"dt\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[\"dt\"],"
                            "\"properties\":{},\"custom_properties\":{}}";

static fl_catalog_opts_t opts(void) {
    fl_catalog_opts_t o = {.default_bucket_number = 2, .default_replication_factor = 1,
                           .datalake_format = NULL, .max_partition_num = 3,
                           .max_bucket_num = 100, .allow_log_tables = true, .allow_kv_tables = true};
    return o;
}

static fl_catalog_t *open_cat(fl_metastore_t **ms, fl_catalog_opts_t o) {
    const char *why = NULL;
    *ms = fl_metastore_open_rocksdb(dir, &why);
    assert_non_null(*ms);
    fl_catalog_t *cat = fl_catalog_open(*ms, &o, &why);
    if (!cat) fail_msg("open: %s", why);
    int32_t servers[] = {0};
    fl_catalog_set_servers(cat, servers, 1);
    return cat;
}

static void test_persistence_and_ids(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-cat-XXXXXX");
    assert_non_null(mkdtemp(dir));
    fl_metastore_t *ms;
    fl_catalog_t *cat = open_cat(&ms, opts());
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    assert_non_null(fl_catalog_database(cat, "fluss")); /* default database */
    assert_int_equal(fl_catalog_create_database(cat, a, "d", NULL, 0, false, &why), FL_ERR_NONE);
    assert_int_equal(fl_catalog_create_table(cat, a, "d", "t1", LOG_T, strlen(LOG_T), false, &why), FL_ERR_NONE);
    assert_int_equal(fl_catalog_create_table(cat, a, "d", "t2", PART_T, strlen(PART_T), false, &why), FL_ERR_NONE);
    fl_kv_t kv = {"dt", "x"};
    fl_kvs_t spec = {&kv, 1};
    assert_int_equal(fl_catalog_create_partition(cat, a, "d", "t2", &spec, false, &why), FL_ERR_NONE);
    kv.value = "y";
    assert_int_equal(fl_catalog_create_partition(cat, a, "d", "t2", &spec, false, &why), FL_ERR_NONE);
    kv.value = "z";
    assert_int_equal(fl_catalog_create_partition(cat, a, "d", "t2", &spec, false, &why), FL_ERR_NONE);
    kv.value = "w"; /* max.partition.num = 3 */
    assert_int_equal(fl_catalog_create_partition(cat, a, "d", "t2", &spec, false, &why),
                     FL_ERR_PARTITION_MAX_NUM_EXCEPTION);
    const fl_table_t *t1 = fl_catalog_table(cat, "d", "t1");
    assert_int_equal(t1->id, 0);
    assert_int_equal(t1->desc.bucket_count, 2);
    assert_int_equal(t1->assign.rf, 1);
    assert_int_equal(fl_catalog_drop_table(cat, a, "d", "t1", false, &why), FL_ERR_NONE);
    fl_catalog_free(cat);
    fl_metastore_close(ms);

    cat = open_cat(&ms, opts());
    assert_null(fl_catalog_table(cat, "d", "t1"));
    const fl_table_t *t2 = fl_catalog_table(cat, "d", "t2");
    assert_non_null(t2);
    assert_int_equal(t2->id, 1);
    assert_int_equal(t2->n_parts, 3);
    assert_string_equal(t2->parts[0].name, "x");
    assert_int_equal(t2->parts[2].id, 2);
    assert_int_equal(t2->parts[0].assign.rf, 1);
    /* ids are never reused: the dropped table's id 0 stays burnt */
    assert_int_equal(fl_catalog_create_table(cat, a, "d", "t3", LOG_T, strlen(LOG_T), false, &why), FL_ERR_NONE);
    assert_int_equal(fl_catalog_table(cat, "d", "t3")->id, 2);
    /* cascade drop removes tables and partitions */
    assert_int_equal(fl_catalog_drop_database(cat, a, "d", false, false, &why), FL_ERR_DATABASE_NOT_EMPTY);
    assert_int_equal(fl_catalog_drop_database(cat, a, "d", false, true, &why), FL_ERR_NONE);
    fl_catalog_free(cat);
    fl_metastore_close(ms);

    cat = open_cat(&ms, opts());
    assert_null(fl_catalog_database(cat, "d"));
    assert_null(fl_catalog_table_by_id(cat, 1));
    assert_int_equal(fl_catalog_create_table(cat, a, "fluss", "t4", LOG_T, strlen(LOG_T), false, &why), FL_ERR_NONE);
    assert_int_equal(fl_catalog_table(cat, "fluss", "t4")->id, 3);
    fl_catalog_free(cat);
    fl_metastore_close(ms);
    fl_arena_destroy(a);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_lake_properties(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-cat-XXXXXX");
    assert_non_null(mkdtemp(dir));
    fl_catalog_opts_t o = opts();
    o.datalake_format = "PAIMON";
    fl_metastore_t *ms;
    fl_catalog_t *cat = open_cat(&ms, o);
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    const char *lake = "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                       "\"partition_key\":[],\"properties\":{\"table.datalake.enabled\":\"true\","
                       "\"table.datalake.freshness\":\"30s\"},\"custom_properties\":{}}";
    assert_int_equal(fl_catalog_create_table(cat, a, "fluss", "lt", lake, strlen(lake), false, &why), FL_ERR_NONE);
    const fl_table_t *t = fl_catalog_table(cat, "fluss", "lt");
    assert_string_equal(fl_kvs_get(&t->desc.properties, "table.datalake.format"), "paimon");
    fl_config_t *conf = fl_config_new();
    fl_config_set(conf, "datalake.format", "paimon");
    fl_config_set(conf, "datalake.paimon.metastore", "filesystem");
    fl_config_set(conf, "datalake.paimon.warehouse", "/data/wh");
    fl_config_set(conf, "datalake.paimon.s3.secret-key", "hidden");
    fl_buf_t b;
    fl_buf_init(&b);
    fl_catalog_table_json(cat, conf, t, &b);
    fl_buf_put_u8(&b, 0);
    assert_non_null(strstr((char *)b.p, "\"table.datalake.paimon.warehouse\":\"/data/wh\""));
    assert_non_null(strstr((char *)b.p, "\"table.datalake.paimon.metastore\":\"filesystem\""));
    assert_null(strstr((char *)b.p, "hidden"));
    fl_buf_free(&b);
    fl_config_free(conf);
    fl_catalog_free(cat);
    fl_metastore_close(ms);
    fl_arena_destroy(a);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_auto_partition_names(void **state) {
    (void)state;
    char out[32];
    int64_t t = 1732530600000LL; /* 2024-11-25T10:30:00Z */
    fl_auto_partition_name(FL_TU_DAY, "UTC", t, 0, out, sizeof(out));
    assert_string_equal(out, "20241125");
    fl_auto_partition_name(FL_TU_DAY, "UTC", t, 7, out, sizeof(out));
    assert_string_equal(out, "20241202");
    fl_auto_partition_name(FL_TU_HOUR, "UTC", t, -11, out, sizeof(out));
    assert_string_equal(out, "2024112423");
    fl_auto_partition_name(FL_TU_MONTH, "UTC", t, 2, out, sizeof(out));
    assert_string_equal(out, "202501");
    fl_auto_partition_name(FL_TU_QUARTER, "UTC", t, 1, out, sizeof(out));
    assert_string_equal(out, "20251");
    fl_auto_partition_name(FL_TU_YEAR, "UTC", t, -1, out, sizeof(out));
    assert_string_equal(out, "2023");
    fl_auto_partition_name(FL_TU_DAY, "+14:00", t, 0, out, sizeof(out));
    assert_string_equal(out, "20241126");
    fl_auto_partition_name(FL_TU_HOUR, "Asia/Shanghai", t, 0, out, sizeof(out));
    assert_string_equal(out, "2024112518");
}

static void test_auto_partition_schedule(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-cat-XXXXXX");
    assert_non_null(mkdtemp(dir));
    fl_catalog_opts_t o = opts();
    o.max_partition_num = 100;
    fl_metastore_t *ms;
    fl_catalog_t *cat = open_cat(&ms, o);
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    const char *auto_t =
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"
        "{\"name\":\"dt\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[\"dt\"],"
        "\"properties\":{\"table.auto-partition.enabled\":\"true\",\"table.auto-partition.time-unit\":\"DAY\","
        "\"table.auto-partition.num-precreate\":\"2\",\"table.auto-partition.num-retention\":\"3\","
        "\"table.auto-partition.time-zone\":\"UTC\"},\"custom_properties\":{}}";
    assert_int_equal(fl_catalog_create_table(cat, a, "fluss", "daily", auto_t, strlen(auto_t), false, &why),
                     FL_ERR_NONE);
    const fl_table_t *t = fl_catalog_table(cat, "fluss", "daily");
    assert_int_equal(t->n_parts, 2); /* today and tomorrow, pre-created at creation */
    /* ten days later: eight new days are created up to day+11, and everything older than
     * three days before day+10 is dropped */
    int64_t day = 86400000LL;
    int64_t now = fl_now_ms();
    int changed = fl_catalog_auto_partition(cat, now + 10 * day);
    assert_true(changed > 0);
    t = fl_catalog_table(cat, "fluss", "daily");
    char oldest[16], newest[16];
    fl_auto_partition_name(FL_TU_DAY, "UTC", now + 10 * day, -3, oldest, sizeof(oldest));
    fl_auto_partition_name(FL_TU_DAY, "UTC", now + 10 * day, 1, newest, sizeof(newest));
    for (size_t i = 0; i < t->n_parts; i++) {
        assert_true(strcmp(t->parts[i].name, oldest) >= 0);
        assert_true(strcmp(t->parts[i].name, newest) <= 0);
    }
    assert_non_null(fl_catalog_partition(t, newest));
    /* a second run at the same time changes nothing */
    assert_int_equal(fl_catalog_auto_partition(cat, now + 10 * day), 0);
    fl_catalog_free(cat);
    fl_metastore_close(ms);
    fl_arena_destroy(a);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persistence_and_ids),
        cmocka_unit_test(test_lake_properties),
        cmocka_unit_test(test_auto_partition_names),
        cmocka_unit_test(test_auto_partition_schedule),
    };
    return cmocka_run_group_tests_name("coordinator_catalog", tests, NULL, NULL);
}
