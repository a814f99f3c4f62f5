/* 0008-cluster: one coordinator and three tablet-server processes. Tablet servers register
 * through heartbeats, a 12-bucket table's leaders spread evenly over them, tablet servers
 * answer catalog reads (forwarded to the coordinator), and a killed tablet server is marked
 * dead within server.heartbeat-timeout; a restarted one comes back. Tablet servers store data:
 * the coordinator sends them the tables they hold in heartbeat responses, so ProduceLog,
 * FetchLog, ListOffsets, PutKv and Lookup work at each bucket's leader (and are refused
 * elsewhere), a tablet server restarted after kill -9 serves its acknowledged data again, and
 * dropping tables deletes their replica directories on the tablet servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_keyenc.h"
#include "fl_kvbatch.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_row.h"
#include "fl_wire.h"

static fl_ts_t cs, ts[3];
static char coord_addr[64];

static Fluss__MetadataResponse *metadata(int port, fl_arena_t *a, const char *table) {
    int fd = fl_cli_connect(port);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)table;
    Fluss__PbTablePath *tps[] = {&tp};
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    if (table) {
        req.n_table_path = 1;
        req.table_path = tps;
    }
    Fluss__MetadataResponse *r = (Fluss__MetadataResponse *)fl_cli_call(
        fd, FL_API_GET_METADATA, 0, &req.base, &fluss__metadata_response__descriptor, a);
    close(fd);
    return r;
}

static size_t alive_count(int port) {
    fl_arena_t *a = fl_arena_new(0);
    size_t n = metadata(port, a, NULL)->n_tablet_servers;
    fl_arena_destroy(a);
    return n;
}

static void start_tablet(int i) {
    char id[32];
    snprintf(id, sizeof(id), "-Dtablet-server.id=%d", i + 1);
    const char *args[] = {id, coord_addr, "-Dserver.heartbeat-interval=100 ms", NULL};
    fl_ts_start(&ts[i], "tablet", args);
}

static int setup(void **state) {
    (void)state;
    const char *args[] = {"-Dserver.heartbeat-timeout=1 s", NULL};
    fl_ts_start(&cs, "coordinator", args);
    snprintf(coord_addr, sizeof(coord_addr), "-Dserver.coordinator-address=127.0.0.1:%d", cs.port);
    for (int i = 0; i < 3; i++) start_tablet(i);
    for (int tries = 0; tries < 100 && alive_count(cs.port) < 3; tries++) usleep(50000);
    assert_int_equal(alive_count(cs.port), 3);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++)
        if (ts[i].pid) assert_int_equal(fl_ts_stop(&ts[i]), 0);
    assert_int_equal(fl_ts_stop(&cs), 0);
    return 0;
}

static void create_table(int port, const char *name, int buckets, int rf) {
    char json[512];
    snprintf(json, sizeof(json),
             "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
             "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":%d,\"properties\":"
             "{\"table.replication.factor\":\"%d\"},\"custom_properties\":{}}",
             buckets, rf);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = strlen(json);
    int fd = fl_cli_connect(port);
    fl_arena_t *a = fl_arena_new(0);
    fl_cli_call(fd, FL_API_CREATE_TABLE, 0, &req.base, &fluss__create_table_response__descriptor, a);
    fl_arena_destroy(a);
    close(fd);
}

static void test_leaders_spread(void **state) {
    (void)state;
    create_table(cs.port, "spread", 12, 1);
    fl_arena_t *a = fl_arena_new(0);
    /* ask a tablet server: it forwards to the coordinator */
    Fluss__MetadataResponse *r = metadata(ts[1].port, a, "spread");
    assert_non_null(r->coordinator_server);
    assert_int_equal(r->coordinator_server->port, cs.port);
    assert_int_equal(r->n_tablet_servers, 3);
    assert_int_equal(r->n_table_metadata, 1);
    assert_int_equal(r->table_metadata[0]->n_bucket_metadata, 12);
    int per[4] = {0};
    for (size_t b = 0; b < 12; b++) {
        Fluss__PbBucketMetadata *bm = r->table_metadata[0]->bucket_metadata[b];
        assert_true(bm->has_leader_id);
        assert_true(bm->leader_id >= 1 && bm->leader_id <= 3);
        per[bm->leader_id]++;
    }
    assert_int_equal(per[1], 4);
    assert_int_equal(per[2], 4);
    assert_int_equal(per[3], 4);
    /* tablet servers are advertised with their own ports */
    for (size_t i = 0; i < r->n_tablet_servers; i++)
        assert_int_equal(r->tablet_servers[i]->port, ts[r->tablet_servers[i]->node_id - 1].port);
    fl_arena_destroy(a);
}

static void test_dead_tablet_server(void **state) {
    (void)state;
    create_table(cs.port, "replicated", 6, 3);
    fl_ts_kill9(&ts[1]); /* tablet server 2 */
    int64_t t0 = fl_mono_us();
    while (alive_count(cs.port) == 3 && fl_mono_us() - t0 < 5000000) usleep(50000);
    int64_t took_ms = (fl_mono_us() - t0) / 1000;
    assert_int_equal(alive_count(cs.port), 2);
    print_message("tablet server 2 marked dead after %lld ms (timeout 1000 ms)\n", (long long)took_ms);
    assert_true(took_ms < 4000); /* the timeout plus one liveness check, with slack for a busy machine */
    assert_true(fl_ts_log_has(&cs, "tablet server 2 sent no heartbeat"));
    fl_arena_t *a = fl_arena_new(0);
    Fluss__MetadataResponse *r = metadata(cs.port, a, "replicated");
    for (size_t b = 0; b < r->table_metadata[0]->n_bucket_metadata; b++) {
        Fluss__PbBucketMetadata *bm = r->table_metadata[0]->bucket_metadata[b];
        assert_int_equal(bm->n_replica_id, 3);
        assert_true(bm->has_leader_id);
        assert_true(bm->leader_id != 2); /* leadership moved to a live replica */
    }
    r = metadata(cs.port, a, "spread");
    int leaderless = 0;
    for (size_t b = 0; b < 12; b++)
        if (!r->table_metadata[0]->bucket_metadata[b]->has_leader_id) leaderless++;
    assert_int_equal(leaderless, 4); /* replication factor 1: its buckets have no leader */
    fl_arena_destroy(a);

    /* it comes back after a restart */
    fl_ts_restart(&ts[1], "tablet", (const char *[]){"-Dtablet-server.id=2", coord_addr,
                                                    "-Dserver.heartbeat-interval=100 ms", NULL});
    for (int tries = 0; tries < 100 && alive_count(cs.port) < 3; tries++) usleep(50000);
    assert_int_equal(alive_count(cs.port), 3);
}

/* ---- data on tablet-server processes ------------------------------------------------------ */

#define DATA_BUCKETS 6
#define ROWS 3

static fl_type_t col_types[2] = {{.root = FL_T_BIGINT, .nullable = false},
                                 {.root = FL_T_STRING, .nullable = true}};
static char *col_names[2] = {"k", "s"};
static int32_t col_ids[2] = {0, 1};
static const fl_type_t row_type = {.root = FL_T_ROW, .n_children = 2, .children = col_types,
                                   .field_names = col_names, .field_ids = col_ids};

static int row_text(char *out, size_t cap, int64_t key) {
    return snprintf(out, cap, "row %lld of the split cluster", (long long)key);
}

static void row_of(fl_datum_t f[2], int64_t key, char *s, size_t cap) {
    memset(f, 0, 2 * sizeof(fl_datum_t));
    f[0].v.i64 = key;
    f[1].v.bytes.p = (const uint8_t *)s;
    f[1].v.bytes.len = (uint32_t)row_text(s, cap, key);
}

/* One INDEXED batch of ROWS rows with keys bucket * 100 + i. */
static void build_batch(fl_buf_t *out, int32_t bucket) {
    fl_buf_t body;
    fl_buf_init(&body);
    for (int i = 0; i < ROWS; i++) {
        char s[64];
        fl_datum_t f[2];
        row_of(f, bucket * 100 + i, s, sizeof(s));
        assert_int_equal(fl_logrecord_write_row(&body, FL_ROW_INDEXED, FL_CHANGE_APPEND_ONLY,
                                                &row_type, f),
                         FL_ERR_NONE);
    }
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.record_count = ROWS;
    fl_logbatch_build(out, &opt, body.p, body.len);
    fl_buf_free(&body);
}

/* The rows of the batch at the start of records are bucket's. */
static void check_batch(const ProtobufCBinaryData *records, int32_t bucket) {
    fl_logbatch_t b;
    const char *why = NULL;
    assert_int_equal(fl_logbatch_validate(records->data, records->len, records->len, &b, &why),
                     FL_ERR_NONE);
    assert_int_equal(b.record_count, ROWS);
    fl_arena_t *a = fl_arena_new(0);
    fl_logrecord_iter_t it;
    fl_logrecord_iter_init(&it, b.p + b.header_size, b.size - b.header_size, b.record_count);
    fl_logrecord_t rec;
    int i = 0;
    while (fl_logrecord_next(&it, &rec)) {
        fl_datum_t *f;
        assert_int_equal(fl_row_decode(FL_ROW_INDEXED, &row_type, rec.row.p, rec.row.len, a, &f),
                         FL_ERR_NONE);
        assert_int_equal(f[0].v.i64, bucket * 100 + i);
        char s[64];
        int n = row_text(s, sizeof(s), bucket * 100 + i);
        assert_int_equal(f[1].v.bytes.len, n);
        assert_memory_equal(f[1].v.bytes.p, s, (size_t)n);
        i++;
    }
    assert_int_equal(i, ROWS);
    fl_arena_destroy(a);
}

static int ts_port(int32_t id) {
    assert_true(id >= 1 && id <= 3);
    return ts[id - 1].port;
}

/* Bucket leaders of fluss.<table> as the coordinator's metadata names them. */
static int64_t leaders_of(const char *table, int32_t *leaders, int n) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__MetadataResponse *r = metadata(cs.port, a, table);
    assert_int_equal(r->n_table_metadata, 1);
    int64_t id = r->table_metadata[0]->table_id;
    assert_int_equal(r->table_metadata[0]->n_bucket_metadata, n);
    for (int b = 0; b < n; b++) {
        Fluss__PbBucketMetadata *bm = r->table_metadata[0]->bucket_metadata[b];
        assert_int_equal(bm->bucket_id, b);
        assert_true(bm->has_leader_id);
        leaders[b] = bm->leader_id;
    }
    fl_arena_destroy(a);
    return id;
}

/* Retriable answers while a tablet server learns about a new table (or restarts). */
static bool retriable(int32_t code) {
    return code == FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION ||
           code == FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION || code == FL_ERR_NOT_LEADER_OR_FOLLOWER;
}

/* No retry: a tablet server that does not know a table yet (just created) waits for the
 * coordinator's metadata instead of refusing, so the first ProduceLog is accepted. */
static void produce_to_leader(int64_t tid, int32_t bucket, int32_t leader) {
    fl_buf_t batch;
    fl_buf_init(&batch);
    build_batch(&batch, bucket);
    int fd = fl_cli_connect(ts_port(leader));
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(fd, -1, tid, bucket, batch.p, batch.len, a);
    if (r->has_error_code && r->error_code)
        fail_msg("ProduceLog bucket %d at server %d: %d %s", bucket, leader, r->error_code,
                 r->error_message ? r->error_message : "");
    assert_int_equal(r->base_offset, 0);
    fl_arena_destroy(a);
    close(fd);
    fl_buf_free(&batch);
}

/* FetchLog from 0 at the leader (retrying retriable errors): the bucket's batch comes back. */
static void fetch_from_leader(int64_t tid, int32_t bucket, int32_t leader) {
    int fd = fl_cli_connect(ts_port(leader));
    int64_t t0 = fl_mono_us();
    for (;;) {
        fl_arena_t *a = fl_arena_new(0);
        Fluss__PbFetchLogRespForBucket *r = fl_cli_fetch(fd, tid, bucket, 0, 1 << 20, a);
        int32_t code = r->has_error_code ? r->error_code : 0;
        if (!code) {
            assert_true(r->has_high_watermark);
            assert_int_equal(r->high_watermark, ROWS);
            assert_true(r->has_records);
            check_batch(&r->records, bucket);
            fl_arena_destroy(a);
            break;
        }
        if (!retriable(code) || fl_mono_us() - t0 > 10000000)
            fail_msg("FetchLog bucket %d at server %d: %d %s", bucket, leader, code,
                     r->error_message ? r->error_message : "");
        fl_arena_destroy(a);
        usleep(50000);
    }
    assert_int_equal(fl_cli_list_offset(fd, tid, bucket, 0), 0);
    assert_int_equal(fl_cli_list_offset(fd, tid, bucket, 1), ROWS);
    close(fd);
}

static const uint32_t pk_idx[1] = {0};

static void put_to_leader(int64_t tid, int16_t sid, int32_t bucket, int32_t leader) {
    fl_buf_t buf, k, v;
    fl_buf_init(&buf);
    fl_buf_init(&k);
    fl_buf_init(&v);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, sid, -1, -1);
    char s[64];
    fl_datum_t f[2];
    row_of(f, 1000 + bucket, s, sizeof(s));
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &row_type, f, pk_idx, 1, &k), FL_ERR_NONE);
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &row_type, f, &v), FL_ERR_NONE);
    fl_kvbatch_builder_append(&b, k.p, k.len, v.p, v.len);
    fl_kvbatch_builder_finish(&b);
    int fd = fl_cli_connect(ts_port(leader));
    int64_t t0 = fl_mono_us();
    for (;;) {
        fl_arena_t *a = fl_arena_new(0);
        Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid, bucket, buf.p, buf.len, NULL, 0, a);
        int32_t code = r->has_error_code ? r->error_code : 0;
        fl_arena_destroy(a);
        if (!code) break;
        if (!retriable(code) || fl_mono_us() - t0 > 10000000)
            fail_msg("PutKv bucket %d at server %d: %d", bucket, leader, code);
        usleep(50000);
    }
    close(fd);
    fl_buf_free(&buf);
    fl_buf_free(&k);
    fl_buf_free(&v);
}

static void lookup_at_leader(int64_t tid, int16_t sid, int32_t bucket, int32_t leader) {
    char s[64];
    fl_datum_t f[2];
    row_of(f, 1000 + bucket, s, sizeof(s));
    fl_buf_t k, v;
    fl_buf_init(&k);
    fl_buf_init(&v);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &row_type, f, pk_idx, 1, &k), FL_ERR_NONE);
    assert_int_equal(fl_row_encode_value(FL_ROW_COMPACTED, sid, &row_type, f, &v), FL_ERR_NONE);
    ProtobufCBinaryData keys[] = {{k.len, k.p}};
    int fd = fl_cli_connect(ts_port(leader));
    int64_t t0 = fl_mono_us();
    for (;;) {
        fl_arena_t *a = fl_arena_new(0);
        Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, tid, bucket, keys, 1, a);
        int32_t code = l->has_error_code ? l->error_code : 0;
        if (!code) {
            assert_int_equal(l->n_values, 1);
            assert_true(l->values[0]->has_values);
            assert_int_equal(l->values[0]->values.len, v.len);
            assert_memory_equal(l->values[0]->values.data, v.p, v.len);
            fl_arena_destroy(a);
            break;
        }
        fl_arena_destroy(a);
        if (!retriable(code) || fl_mono_us() - t0 > 10000000)
            fail_msg("Lookup bucket %d at server %d: %d", bucket, leader, code);
        usleep(50000);
    }
    close(fd);
    fl_buf_free(&k);
    fl_buf_free(&v);
}

static bool replica_dir_exists(int32_t server, int64_t tid) {
    char path[512];
    snprintf(path, sizeof(path), "%s/data/tablet/%lld", ts[server - 1].dir, (long long)tid);
    struct stat st;
    return stat(path, &st) == 0;
}

static void drop_table(const char *name) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__DropTableRequest req = FLUSS__DROP_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    int fd = fl_cli_connect(cs.port);
    fl_arena_t *a = fl_arena_new(0);
    fl_cli_call(fd, FL_API_DROP_TABLE, 0, &req.base, &fluss__drop_table_response__descriptor, a);
    fl_arena_destroy(a);
    close(fd);
}

static void test_split_data(void **state) {
    (void)state;
    for (int tries = 0; tries < 100 && alive_count(cs.port) < 3; tries++) usleep(50000);
    assert_int_equal(alive_count(cs.port), 3);
    int fd = fl_cli_connect(cs.port);
    int64_t tid = fl_cli_create_table(
        fd, "split_log",
        "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":"
        "false}},{\"name\":\"s\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[],"
        "\"bucket_key\":[],\"bucket_count\":6,\"properties\":{\"table.log.format\":\"INDEXED\","
        "\"table.replication.factor\":\"1\"},\"custom_properties\":{}}");
    int64_t kid = fl_cli_create_table(
        fd, "split_kv",
        "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":"
        "false}},{\"name\":\"s\",\"data_type\":{\"type\":\"STRING\"}}],\"primary_key\":[\"k\"]},"
        "\"partition_key\":[],\"bucket_key\":[\"k\"],\"bucket_count\":3,\"properties\":"
        "{\"table.replication.factor\":\"1\"},\"custom_properties\":{}}");
    int16_t ksid = (int16_t)fl_cli_schema_id(fd, "split_kv");
    close(fd);
    int32_t leaders[DATA_BUCKETS], kleaders[3];
    assert_int_equal(leaders_of("split_log", leaders, DATA_BUCKETS), tid);
    assert_int_equal(leaders_of("split_kv", kleaders, 3), kid);
    int per[4] = {0};
    for (int b = 0; b < DATA_BUCKETS; b++) per[leaders[b]]++;
    assert_true(per[1] && per[2] && per[3]); /* buckets on all three tablet servers */

    for (int b = 0; b < DATA_BUCKETS; b++) produce_to_leader(tid, b, leaders[b]);
    /* a tablet server that does not lead a bucket refuses it */
    {
        int other = leaders[0] % 3 + 1;
        fl_buf_t batch;
        fl_buf_init(&batch);
        build_batch(&batch, 0);
        int ofd = fl_cli_connect(ts_port(other));
        fl_arena_t *a = fl_arena_new(0);
        Fluss__PbProduceLogRespForBucket *r = fl_cli_produce(ofd, -1, tid, 0, batch.p, batch.len, a);
        assert_true(r->has_error_code);
        assert_int_equal(r->error_code, FL_ERR_NOT_LEADER_OR_FOLLOWER);
        fl_arena_destroy(a);
        close(ofd);
        fl_buf_free(&batch);
    }
    for (int b = 0; b < DATA_BUCKETS; b++) fetch_from_leader(tid, b, leaders[b]);
    for (int b = 0; b < 3; b++) put_to_leader(kid, ksid, b, kleaders[b]);
    for (int b = 0; b < 3; b++) lookup_at_leader(kid, ksid, b, kleaders[b]);

    /* kill -9 the leader of log bucket 0 and restart it: its buckets serve the data again */
    int32_t victim = leaders[0];
    fl_ts_kill9(&ts[victim - 1]);
    char id[32];
    snprintf(id, sizeof(id), "-Dtablet-server.id=%d", victim);
    fl_ts_restart(&ts[victim - 1], "tablet", (const char *[]){id, coord_addr,
                                                          "-Dserver.heartbeat-interval=100 ms",
                                                          NULL});
    for (int tries = 0; tries < 100 && alive_count(cs.port) < 3; tries++) usleep(50000);
    assert_int_equal(alive_count(cs.port), 3);
    for (int b = 0; b < DATA_BUCKETS; b++)
        if (leaders[b] == victim) fetch_from_leader(tid, b, victim);
    for (int b = 0; b < 3; b++)
        if (kleaders[b] == victim) lookup_at_leader(kid, ksid, b, victim);

    /* dropping the tables deletes their replicas on every tablet server */
    for (int s = 1; s <= 3; s++) {
        if (per[s]) assert_true(replica_dir_exists(s, tid));
    }
    drop_table("split_log");
    drop_table("split_kv");
    int64_t t0 = fl_mono_us();
    for (;;) {
        bool any = false;
        for (int s = 1; s <= 3; s++)
            any = any || replica_dir_exists(s, tid) || replica_dir_exists(s, kid);
        if (!any) break;
        if (fl_mono_us() - t0 > 10000000) fail_msg("replica directories outlived DropTable");
        usleep(50000);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaders_spread),
        cmocka_unit_test(test_dead_tablet_server),
        cmocka_unit_test(test_split_data),
    };
    return cmocka_run_group_tests_name("wire_cluster", tests, setup, teardown);
}
