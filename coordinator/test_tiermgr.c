/* test_tiermgr.c: the tiering assignment state machine (epochs, fencing, heartbeat expiry,
 * freshness, the in-process/external rule) with a pinned clock, the offsets file codec
 * against the byte layout Fluss's TableBucketOffsetsJsonSerde writes, and following a real
 * catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl_tiermgr.h"

#define T_OUT 1000 /* heartbeat timeout in these tests */
#define CE 7       /* coordinator epoch */

static int64_t epoch_of(fl_tiermgr_t *m, int64_t id) {
    int64_t e = -1;
    assert_true(fl_tiermgr_state(m, id, &e) >= 0);
    return e;
}

static void test_external_epochs_and_fencing(void **state) {
    (void)state;
    fl_tiermgr_t *m = fl_tiermgr_new(CE, T_OUT, false);
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    int64_t id, ep;
    assert_false(fl_tiermgr_request(m, 0, &id, &ep)); /* no tables */
    fl_tiermgr_track(m, 42, 500, 1);
    fl_tiermgr_track(m, 41, 500, 1);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_PENDING);
    assert_int_equal(epoch_of(m, 42), 1);
    /* the table pending longest first */
    assert_true(fl_tiermgr_request(m, 10, &id, &ep));
    assert_int_equal(id, 42);
    assert_int_equal(ep, 1);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_EXTERNAL);
    assert_true(fl_tiermgr_request(m, 10, &id, &ep));
    assert_int_equal(id, 41);
    assert_false(fl_tiermgr_request(m, 10, &id, &ep));

    /* reports: coordinator epoch first, then the table, then the tiering epoch */
    assert_int_equal(fl_tiermgr_renew(m, a, 42, CE + 1, 1, 20, &why), FL_ERR_INVALID_COORDINATOR_EXCEPTION);
    assert_non_null(strstr(why, "coordinator epoch 8"));
    assert_int_equal(fl_tiermgr_renew(m, a, 99, CE, 1, 20, &why), FL_ERR_TABLE_NOT_EXIST);
    assert_string_equal(why, "The table 99 doesn't exist.");
    assert_int_equal(fl_tiermgr_renew(m, a, 42, CE, 0, 20, &why), FL_ERR_FENCED_TIERING_EPOCH_EXCEPTION);
    assert_string_equal(why, "The tiering epoch 0 is not match current epoch 1 in coordinator for table 42.");
    assert_int_equal(fl_tiermgr_renew(m, a, 42, CE, 1, 20, &why), FL_ERR_NONE);

    /* finished: scheduled for a freshness interval after the report */
    assert_int_equal(fl_tiermgr_finish(m, a, 42, CE, 1, false, 100, &why), FL_ERR_NONE);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_SCHEDULED);
    /* renew of a table not held: Fluss's IllegalStateException (-1) */
    assert_int_equal(fl_tiermgr_renew(m, a, 42, CE, 1, 120, &why), FL_ERR_UNKNOWN_SERVER_ERROR);
    /* a second finish with the same epoch changes nothing and succeeds (Fluss ignores it) */
    assert_int_equal(fl_tiermgr_finish(m, a, 42, CE, 1, false, 130, &why), FL_ERR_NONE);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_SCHEDULED);
    assert_int_equal(fl_tiermgr_next_event(m, 130), 600);
    fl_tiermgr_advance(m, 599);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_SCHEDULED);
    fl_tiermgr_advance(m, 600);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_PENDING);
    assert_int_equal(epoch_of(m, 42), 2);
    /* the old holder is fenced from now on */
    assert_int_equal(fl_tiermgr_finish(m, a, 42, CE, 1, false, 601, &why), FL_ERR_FENCED_TIERING_EPOCH_EXCEPTION);
    assert_int_equal(fl_tiermgr_fail(m, a, 42, CE, 1, 601, &why), FL_ERR_FENCED_TIERING_EPOCH_EXCEPTION);

    /* failed: pending again at once, next epoch */
    assert_true(fl_tiermgr_request(m, 700, &id, &ep));
    assert_int_equal(id, 42);
    assert_int_equal(ep, 2);
    assert_int_equal(fl_tiermgr_fail(m, a, 42, CE, 2, 710, &why), FL_ERR_NONE);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_PENDING);
    assert_int_equal(epoch_of(m, 42), 3);
    /* force-finished (the job's round hit its maximum duration): pending again at once */
    assert_true(fl_tiermgr_request(m, 720, &id, &ep));
    assert_int_equal(ep, 3);
    assert_int_equal(fl_tiermgr_finish(m, a, 42, CE, 3, true, 730, &why), FL_ERR_NONE);
    assert_int_equal(fl_tiermgr_state(m, 42, NULL), FL_TIER_PENDING);
    assert_int_equal(epoch_of(m, 42), 4);

    /* dropped: reports name an unknown table */
    fl_tiermgr_track(m, 42, 500, 2);
    fl_tiermgr_sweep(m, 2);
    assert_int_equal(fl_tiermgr_count(m), 1);
    assert_int_equal(fl_tiermgr_state(m, 41, NULL), -1);
    assert_int_equal(fl_tiermgr_renew(m, a, 41, CE, 1, 740, &why), FL_ERR_TABLE_NOT_EXIST);
    fl_tiermgr_free(m);
    fl_arena_destroy(a);
}

static void test_heartbeat_timeout(void **state) {
    (void)state;
    fl_tiermgr_t *m = fl_tiermgr_new(CE, T_OUT, false);
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    int64_t id, ep;
    fl_tiermgr_track(m, 5, 60000, 1);
    assert_true(fl_tiermgr_request(m, 1000, &id, &ep));
    assert_int_equal(fl_tiermgr_next_event(m, 1000), 2000);
    assert_int_equal(fl_tiermgr_renew(m, a, 5, CE, ep, 1500, &why), FL_ERR_NONE);
    assert_int_equal(fl_tiermgr_next_event(m, 1500), 2500);
    fl_tiermgr_advance(m, 2499);
    assert_int_equal(fl_tiermgr_state(m, 5, NULL), FL_TIER_EXTERNAL);
    fl_tiermgr_advance(m, 2500);
    assert_int_equal(fl_tiermgr_state(m, 5, NULL), FL_TIER_PENDING);
    assert_int_equal(epoch_of(m, 5), ep + 1);
    assert_int_equal(fl_tiermgr_renew(m, a, 5, CE, ep, 2600, &why), FL_ERR_FENCED_TIERING_EPOCH_EXCEPTION);
    fl_tiermgr_free(m);
    fl_arena_destroy(a);
}

static void test_rule_in_process_vs_external(void **state) {
    (void)state;
    fl_tiermgr_t *m = fl_tiermgr_new(CE, T_OUT, true);
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    int64_t id, ep;
    fl_tiermgr_track(m, 1, 100, 1);
    fl_tiermgr_track(m, 2, 100, 1);
    /* nobody external: the in-process thread takes due tables */
    assert_false(fl_tiermgr_external_active(m, 0));
    assert_int_equal(fl_tiermgr_local_may_take(m, 1, 0), FL_TIER_TAKE_ROUND);
    fl_tiermgr_local_begin(m, 1);
    assert_int_equal(fl_tiermgr_state(m, 1, NULL), FL_TIER_LOCAL);
    assert_int_equal(fl_tiermgr_local_may_take(m, 1, 0), FL_TIER_TAKE_NO); /* in flight */

    /* an external service appears: an in-flight local round is never handed out, nor a table
     * whose lake table the in-process thread has not made yet (rule 4) */
    fl_tiermgr_external_seen(m, 10);
    assert_true(fl_tiermgr_external_active(m, 10));
    assert_false(fl_tiermgr_request(m, 10, &id, &ep));
    /* ... that one gets a round without data, even now */
    assert_int_equal(fl_tiermgr_local_may_take(m, 2, 10), FL_TIER_TAKE_BOOTSTRAP);
    fl_tiermgr_local_begin(m, 2);
    fl_tiermgr_local_end(m, 2, 0, true); /* bootstrap done: due at once */
    fl_tiermgr_advance(m, 11);
    assert_int_equal(fl_tiermgr_state(m, 2, NULL), FL_TIER_PENDING);
    assert_int_equal(fl_tiermgr_local_may_take(m, 2, 11), FL_TIER_TAKE_NO); /* stands aside */
    assert_true(fl_tiermgr_request(m, 11, &id, &ep));
    assert_int_equal(id, 2);
    /* the local round of table 1 ends; due after its freshness, then it waits for the service */
    fl_tiermgr_local_end(m, 1, 5, true);
    assert_int_equal(fl_tiermgr_state(m, 1, NULL), FL_TIER_SCHEDULED);
    fl_tiermgr_advance(m, 105);
    assert_int_equal(fl_tiermgr_state(m, 1, NULL), FL_TIER_PENDING);
    assert_int_equal(fl_tiermgr_local_may_take(m, 1, 105), FL_TIER_TAKE_NO);
    assert_int_equal(fl_tiermgr_local_may_take(m, 2, 105), FL_TIER_TAKE_NO); /* held externally */
    /* the service keeps table 2 alive but stops asking for more: presence ends at 1010 + timeout */
    fl_tiermgr_external_seen(m, 1010);
    assert_int_equal(fl_tiermgr_renew(m, a, 2, CE, ep, 1010, &why), FL_ERR_NONE);
    assert_int_equal(fl_tiermgr_next_event(m, 1010), 2010);
    assert_int_equal(fl_tiermgr_local_may_take(m, 1, 2009), FL_TIER_TAKE_NO);
    /* silent for the timeout: the in-process thread takes over, table 2 expires too */
    assert_false(fl_tiermgr_external_active(m, 2010));
    assert_int_equal(fl_tiermgr_local_may_take(m, 1, 2010), FL_TIER_TAKE_ROUND);
    fl_tiermgr_advance(m, 2010);
    assert_int_equal(fl_tiermgr_local_may_take(m, 2, 2010), FL_TIER_TAKE_ROUND);
    assert_int_equal(epoch_of(m, 2), ep + 1);
    fl_tiermgr_free(m);
    fl_arena_destroy(a);
}

static void test_offsets_file_format(void **state) {
    (void)state;
    fl_buf_t b;
    fl_buf_init(&b);
    /* bytes as TableBucketOffsetsJsonSerde writes them (Jackson, no spaces) */
    fl_lake_offset_t np[] = {{-1, 3, 30, 9}, {-1, 0, 5, -1}, {-1, 1, 0, -1}};
    fl_lake_offsets_json(12, np, 3, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, "{\"version\":1,\"table_id\":12,\"bucket_offsets\":[5,0,-1,30]}");
    fl_buf_reset(&b);
    fl_lake_offset_t pt[] = {{9, 1, 7, -1}, {4, 0, 2, -1}, {9, 0, 3, -1}};
    fl_lake_offsets_json(13, pt, 3, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p,
                        "{\"version\":1,\"table_id\":13,\"partition_offsets\":[{\"partition_id\":4,"
                        "\"bucket_offsets\":[2]},{\"partition_id\":9,\"bucket_offsets\":[3,7]}]}");
    fl_buf_reset(&b);
    fl_lake_offsets_json(14, NULL, 0, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, "{\"version\":1,\"table_id\":14}");

    /* round trip, -1 skipped */
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    int64_t tid = 0;
    fl_lake_offset_t *o = NULL;
    size_t n = 0;
    const char *f1 = "{\"version\":1,\"table_id\":12,\"bucket_offsets\":[5,0,-1,30]}";
    assert_int_equal(fl_lake_offsets_parse(a, (const uint8_t *)f1, strlen(f1), 100, &tid, &o, &n, &why), FL_ERR_NONE);
    assert_int_equal(tid, 12);
    assert_int_equal(n, 3);
    assert_int_equal(o[2].bucket, 3);
    assert_int_equal(o[2].offset, 30);
    assert_int_equal(o[2].partition_id, -1);
    assert_int_equal(o[2].max_ts, -1);
    const char *f2 = "{\"version\":1,\"table_id\":13,\"partition_offsets\":[{\"partition_id\":4,"
                     "\"bucket_offsets\":[2]},{\"partition_id\":9,\"bucket_offsets\":[3,7]}]}";
    assert_int_equal(fl_lake_offsets_parse(a, (const uint8_t *)f2, strlen(f2), 100, &tid, &o, &n, &why), FL_ERR_NONE);
    assert_int_equal(n, 3);
    assert_int_equal(o[2].partition_id, 9);
    assert_int_equal(o[2].bucket, 1);
    assert_int_equal(o[2].offset, 7);
    const char *f3 = "{\"version\":1,\"table_id\":14}";
    assert_int_equal(fl_lake_offsets_parse(a, (const uint8_t *)f3, strlen(f3), 100, &tid, &o, &n, &why), FL_ERR_NONE);
    assert_int_equal(n, 0);

    /* malformed */
    const char *bad[] = {
        "", "[1]", "{\"version\":2,\"table_id\":1}", "{\"version\":1}",
        "{\"version\":1,\"table_id\":1,\"bucket_offsets\":[1],\"partition_offsets\":[]}",
        "{\"version\":1,\"table_id\":1,\"bucket_offsets\":[\"x\"]}",
        "{\"version\":1,\"table_id\":1,\"bucket_offsets\":[-2]}",
        "{\"version\":1,\"table_id\":1,\"bucket_offsets\":7}",
        "{\"version\":1,\"table_id\":1,\"partition_offsets\":[{\"bucket_offsets\":[1]}]}",
        "{\"version\":1,\"table_id\":1,\"bucket_offsets\":[1,2,3,4]}", /* over max_entries 3 */
        "{\"version\":1,\"table_id\":1,\"table_id\":2}",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        why = NULL;
        fl_err_t err = fl_lake_offsets_parse(a, (const uint8_t *)bad[i], strlen(bad[i]), 3, &tid, &o, &n, &why);
        if (err != FL_ERR_CORRUPT_MESSAGE) fail_msg("accepted: %s", bad[i]);
        assert_non_null(why);
    }
    fl_arena_destroy(a);
    fl_buf_free(&b);
}

static void test_follows_catalog(void **state) {
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/fl-tiermgr-XXXXXX");
    assert_non_null(mkdtemp(dir));
    const char *why = NULL;
    fl_metastore_t *ms = fl_metastore_open_rocksdb(dir, &why);
    assert_non_null(ms);
    fl_catalog_opts_t o = {.default_bucket_number = 2, .default_replication_factor = 1,
                           .datalake_format = "paimon", .max_partition_num = 3,
                           .max_bucket_num = 100, .allow_log_tables = true, .allow_kv_tables = true};
    fl_catalog_t *cat = fl_catalog_open(ms, &o, &why);
    assert_non_null(cat);
    int32_t servers[] = {0};
    fl_catalog_set_servers(cat, servers, 1);
    fl_arena_t *a = fl_arena_new(0);
    const char *lake = "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                       "\"partition_key\":[],\"properties\":{\"table.datalake.enabled\":\"true\","
                       "\"table.datalake.freshness\":\"30s\"},\"custom_properties\":{}}";
    const char *plain = "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
                        "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}";
    assert_int_equal(fl_catalog_create_table(cat, a, "fluss", "lt", lake, strlen(lake), false, &why), FL_ERR_NONE);
    assert_int_equal(fl_catalog_create_table(cat, a, "fluss", "pt", plain, strlen(plain), false, &why), FL_ERR_NONE);
    int64_t lt = fl_catalog_table(cat, "fluss", "lt")->id;
    fl_tiermgr_t *m = fl_tiermgr_new(0, T_OUT, false);
    fl_tiermgr_sync(m, cat, 1000);
    assert_int_equal(fl_tiermgr_count(m), 1);
    assert_int_equal(fl_tiermgr_state(m, lt, NULL), FL_TIER_PENDING);
    /* the table's freshness (30 s) drives the schedule */
    fl_tiermgr_local_begin(m, lt);
    fl_tiermgr_local_end(m, lt, 1000, true);
    assert_int_equal(fl_tiermgr_next_event(m, 1000), 31000);
    fl_tiermgr_sync(m, cat, 30999);
    assert_int_equal(fl_tiermgr_state(m, lt, NULL), FL_TIER_SCHEDULED);
    fl_tiermgr_sync(m, cat, 31000);
    assert_int_equal(fl_tiermgr_state(m, lt, NULL), FL_TIER_PENDING);
    assert_int_equal(fl_catalog_drop_table(cat, a, "fluss", "lt", false, &why), FL_ERR_NONE);
    fl_tiermgr_sync(m, cat, 31001);
    assert_int_equal(fl_tiermgr_count(m), 0);
    fl_tiermgr_free(m);
    fl_catalog_free(cat);
    fl_metastore_close(ms);
    fl_arena_destroy(a);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_external_epochs_and_fencing),
        cmocka_unit_test(test_heartbeat_timeout),
        cmocka_unit_test(test_rule_in_process_vs_external),
        cmocka_unit_test(test_offsets_file_format),
        cmocka_unit_test(test_follows_catalog),
    };
    return cmocka_run_group_tests_name("coordinator_tiermgr", tests, NULL, NULL);
}
