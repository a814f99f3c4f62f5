/* 0013-tiering_rpc: the three RPCs of an external lake tiering service (Fluss 0.9.1's Flink
 * tiering job) against bad input: LakeTieringHeartbeat (1042), PrepareLakeTableSnapshot
 * (1052), CommitLakeTableSnapshot (1030), on a local server with datalake.format = paimon
 * (its in-process tiering thread running).
 *
 * Codes, against Fluss 0.9.1 (CoordinatorService#lakeTieringHeartbeat, LakeTableTieringManager
 * #validateTieringServiceRequest, ServerRpcMessageUtils#toTableBucketOffsets): per-table
 * errors inside a successful response; a coordinator epoch of another start 23
 * INVALID_COORDINATOR_EXCEPTION, an unknown table 7 TABLE_NOT_EXIST, a stale tiering epoch 50
 * FENCED_TIERING_EPOCH_EXCEPTION, a heartbeat on a table not held -1 (Fluss's
 * IllegalStateException), a bucket without log_end_offset -1. fl-server is stricter than Fluss
 * where Fluss writes or reads whatever it is given (see server/rpc_tiering.c): unknown table
 * ids in Prepare/Commit 7, buckets outside the table 21, an offsets path the server did not
 * write -1. A body missing a required field is 3 CORRUPT_MESSAGE for the whole request.
 * Also: the Paimon table exists once CreateTable answers, and the table is handed out only
 * after the in-process thread's first round (its resume check); the
 * prepared offsets file has Fluss's bytes; a commit shows in GetLakeSnapshot; a restart bumps
 * the coordinator epoch and fences the reports of before.
 * Second test: a coordinator-only process makes the Paimon table at CreateTable and at the
 * AlterTable enabling the lake (Fluss's CoordinatorService / MetadataManager), answers 54
 * LAKE_TABLE_ALREADY_EXIST for an incompatible lake table and 15 for a reserved column name,
 * creating no Fluss table then. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

#define COL(name, type)                                                                        \
    "{\"name\":\"" name "\",\"data_type\":{\"type\":\"" type "\",\"nullable\":true}}"
#define LAKE_JSON                                                                              \
    "{\"schema\":{\"columns\":[" COL("k", "BIGINT") "," COL("s", "STRING") "]},"              \
    "\"partition_key\":[],\"bucket_key\":[\"k\"],\"bucket_count\":2,\"properties\":"          \
    "{\"table.datalake.enabled\":\"true\",\"table.datalake.freshness\":\"1h\"},"              \
    "\"custom_properties\":{}}"

static const char *const ARGS[] = {"-Ddatalake.format=paimon", NULL};
static fl_ts_t ts;
static int fd;

typedef struct hb_s {
    Fluss__PbHeartbeatReqForTable tiering, finished, failed;
    Fluss__PbHeartbeatReqForTable *pt, *pf, *pl;
    Fluss__LakeTieringHeartbeatRequest req;
} hb_t;

/* A heartbeat naming (id, ce, te) in the lists selected by which ('t', 'f', 'x' failed). */
static Fluss__LakeTieringHeartbeatResponse *heartbeat(fl_arena_t *a, const char *which, int64_t id,
                                                      int32_t ce, int64_t te, bool request,
                                                      bool force) {
    hb_t h;
    Fluss__LakeTieringHeartbeatRequest init = FLUSS__LAKE_TIERING_HEARTBEAT_REQUEST__INIT;
    h.req = init;
    Fluss__PbHeartbeatReqForTable e = FLUSS__PB_HEARTBEAT_REQ_FOR_TABLE__INIT;
    e.table_id = id;
    e.coordinator_epoch = ce;
    e.tiering_epoch = te;
    h.tiering = h.finished = h.failed = e;
    h.pt = &h.tiering;
    h.pf = &h.finished;
    h.pl = &h.failed;
    if (strchr(which, 't')) {
        h.req.n_tiering_tables = 1;
        h.req.tiering_tables = &h.pt;
    }
    if (strchr(which, 'f')) {
        h.req.n_finished_tables = 1;
        h.req.finished_tables = &h.pf;
    }
    if (strchr(which, 'x')) {
        h.req.n_failed_tables = 1;
        h.req.failed_tables = &h.pl;
    }
    int64_t forced[1] = {id};
    if (force) {
        h.req.n_force_finished_tables = 1;
        h.req.force_finished_tables = forced;
    }
    h.req.has_request_table = request;
    h.req.request_table = request;
    return (Fluss__LakeTieringHeartbeatResponse *)fl_cli_call(
        fd, FL_API_LAKE_TIERING_HEARTBEAT, 0, &h.req.base,
        &fluss__lake_tiering_heartbeat_response__descriptor, a);
}

/* the error code of the single entry (0 = none) */
static int32_t entry_error(Fluss__PbHeartbeatRespForTable **r, size_t n, int64_t id) {
    assert_int_equal(n, 1);
    assert_int_equal(r[0]->table_id, id);
    return r[0]->error ? r[0]->error->error_code : 0;
}

static Fluss__PbPrepareLakeTableRespForTable *prepare(fl_arena_t *a, int64_t id, int32_t bucket,
                                                      bool with_offset, int64_t offset) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "lt";
    Fluss__PbBucketOffset b = FLUSS__PB_BUCKET_OFFSET__INIT;
    b.bucket_id = bucket;
    b.has_log_end_offset = with_offset;
    b.log_end_offset = offset;
    Fluss__PbBucketOffset *pb = &b;
    Fluss__PbTableOffsets to = FLUSS__PB_TABLE_OFFSETS__INIT;
    to.table_id = id;
    to.table_path = &tp;
    to.n_bucket_offsets = 1;
    to.bucket_offsets = &pb;
    Fluss__PbTableOffsets *pto = &to;
    Fluss__PrepareLakeTableSnapshotRequest req = FLUSS__PREPARE_LAKE_TABLE_SNAPSHOT_REQUEST__INIT;
    req.n_bucket_offsets = 1;
    req.bucket_offsets = &pto;
    Fluss__PrepareLakeTableSnapshotResponse *r = (Fluss__PrepareLakeTableSnapshotResponse *)fl_cli_call(
        fd, FL_API_PREPARE_LAKE_TABLE_SNAPSHOT, 0, &req.base,
        &fluss__prepare_lake_table_snapshot_response__descriptor, a);
    assert_int_equal(r->n_prepare_lake_table_resp, 1);
    assert_true(r->prepare_lake_table_resp[0]->has_table_id);
    assert_int_equal(r->prepare_lake_table_resp[0]->table_id, id);
    return r->prepare_lake_table_resp[0];
}

static Fluss__PbCommitLakeTableSnapshotRespForTable *commit(fl_arena_t *a, int64_t id, int64_t snap,
                                                            const char *path) {
    Fluss__PbLakeTableSnapshotMetadata md = FLUSS__PB_LAKE_TABLE_SNAPSHOT_METADATA__INIT;
    md.table_id = id;
    md.snapshot_id = snap;
    md.tiered_bucket_offsets_file_path = (char *)path;
    md.readable_bucket_offsets_file_path = (char *)path;
    Fluss__PbLakeTableSnapshotMetadata *pmd = &md;
    Fluss__PbLakeTableOffsetForBucket b = FLUSS__PB_LAKE_TABLE_OFFSET_FOR_BUCKET__INIT;
    b.bucket_id = 0;
    b.has_log_end_offset = 1;
    b.log_end_offset = 3;
    b.has_max_timestamp = 1;
    b.max_timestamp = 1700000000000;
    Fluss__PbLakeTableOffsetForBucket *pb = &b;
    Fluss__PbLakeTableSnapshotInfo si = FLUSS__PB_LAKE_TABLE_SNAPSHOT_INFO__INIT;
    si.has_table_id = 1;
    si.table_id = id;
    si.snapshot_id = snap;
    si.n_buckets_req = 1;
    si.buckets_req = &pb;
    Fluss__PbLakeTableSnapshotInfo *psi = &si;
    Fluss__CommitLakeTableSnapshotRequest req = FLUSS__COMMIT_LAKE_TABLE_SNAPSHOT_REQUEST__INIT;
    req.n_lake_table_snapshot_metadata = 1;
    req.lake_table_snapshot_metadata = &pmd;
    req.n_tables_req = 1;
    req.tables_req = &psi;
    Fluss__CommitLakeTableSnapshotResponse *r = (Fluss__CommitLakeTableSnapshotResponse *)fl_cli_call(
        fd, FL_API_COMMIT_LAKE_TABLE_SNAPSHOT, 0, &req.base,
        &fluss__commit_lake_table_snapshot_response__descriptor, a);
    assert_int_equal(r->n_table_resp, 1);
    assert_int_equal(r->table_resp[0]->table_id, id);
    return r->table_resp[0];
}

static void test_tiering_rpcs(void **state) {
    (void)state;
    fl_ts_start(&ts, "local", ARGS);
    fd = fl_cli_connect(ts.port);
    fl_arena_t *a = fl_arena_new(0);

    /* a tiering service registers (an empty heartbeat): nothing to hand out yet */
    Fluss__LakeTieringHeartbeatResponse *h = heartbeat(a, "", 0, 0, 0, true, false);
    int32_t ce = h->coordinator_epoch;
    assert_null(h->tiering_table);
    assert_int_equal(h->n_tiering_table_resp + h->n_finished_table_resp + h->n_failed_table_resp, 0);

    int64_t id = fl_cli_create_table(fd, "lt", LAKE_JSON);
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/data/lake/paimon/fluss.db/lt/schema/schema-0", ts.dir);
    assert_int_equal(stat(path, &st), 0); /* made by CreateTable */
    /* handed out once the in-process thread has done its first round (rule 4) */
    Fluss__PbLakeTieringTableInfo *ti = NULL;
    for (int i = 0; i < 100 && !ti; i++) {
        h = heartbeat(a, "", 0, 0, 0, true, false);
        ti = h->tiering_table;
        if (!ti) usleep(100 * 1000);
    }
    assert_non_null(ti);
    assert_int_equal(ti->table_id, id);
    assert_string_equal(ti->table_path->database_name, "fluss");
    assert_string_equal(ti->table_path->table_name, "lt");
    int64_t te = ti->tiering_epoch;
    assert_true(te >= 1);
    assert_null(heartbeat(a, "", 0, 0, 0, true, false)->tiering_table); /* one holder only */

    /* heartbeats on the held table: stale tiering epoch, other coordinator epoch, unknown table */
    h = heartbeat(a, "t", id, ce, te - 1, false, false);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id), 50);
    assert_non_null(strstr(h->tiering_table_resp[0]->error->error_message, "tiering epoch"));
    h = heartbeat(a, "t", id, ce + 1, te, false, false);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id), 23);
    h = heartbeat(a, "t", id + 1000, ce, te, false, false);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id + 1000), 7);
    h = heartbeat(a, "t", id, ce, te, false, false);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id), 0);
    /* stale finished / failed reports change nothing */
    h = heartbeat(a, "f", id, ce, te + 1, false, false);
    assert_int_equal(entry_error(h->finished_table_resp, h->n_finished_table_resp, id), 50);
    h = heartbeat(a, "x", id, ce, te - 1, false, false);
    assert_int_equal(entry_error(h->failed_table_resp, h->n_failed_table_resp, id), 50);
    h = heartbeat(a, "t", id, ce, te, false, false);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id), 0);

    /* PrepareLakeTableSnapshot: unknown table, bucket outside the table, no offset */
    Fluss__PbPrepareLakeTableRespForTable *pr = prepare(a, id + 1000, 0, true, 3);
    assert_true(pr->has_error_code);
    assert_int_equal(pr->error_code, 7);
    assert_null(pr->lake_table_offsets_path);
    pr = prepare(a, id, 2, true, 3);
    assert_int_equal(pr->error_code, 21);
    pr = prepare(a, id, -1, true, 3);
    assert_int_equal(pr->error_code, 21);
    pr = prepare(a, id, 0, false, 0);
    assert_int_equal(pr->error_code, -1);
    /* good: the offsets file, with Fluss's bytes, under <data.dir>/remote/lake/<db>/<t>-<id>/metadata */
    pr = prepare(a, id, 1, true, 3);
    assert_false(pr->has_error_code);
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/data/remote/lake/fluss/lt-%" PRId64 "/metadata/", ts.dir, id);
    assert_non_null(pr->lake_table_offsets_path);
    assert_memory_equal(pr->lake_table_offsets_path, dir, strlen(dir));
    assert_non_null(strstr(pr->lake_table_offsets_path, ".offsets"));
    FILE *f = fopen(pr->lake_table_offsets_path, "r");
    assert_non_null(f);
    char body[256] = "";
    assert_true(fgets(body, sizeof(body), f) != NULL);
    fclose(f);
    char want[256];
    snprintf(want, sizeof(want), "{\"version\":1,\"table_id\":%" PRId64 ",\"bucket_offsets\":[-1,3]}", id);
    assert_string_equal(body, want);
    char good[600];
    snprintf(good, sizeof(good), "%s", pr->lake_table_offsets_path);

    /* CommitLakeTableSnapshot: unknown table, a path the server did not write, then good */
    Fluss__PbCommitLakeTableSnapshotRespForTable *cr = commit(a, id + 1000, 1, good);
    assert_true(cr->has_error_code);
    assert_int_equal(cr->error_code, 7);
    cr = commit(a, id, 1, "/etc/passwd");
    assert_int_equal(cr->error_code, -1);
    cr = commit(a, id, 1, "/nonexistent/x.offsets");
    assert_int_equal(cr->error_code, -1);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "lt";
    Fluss__GetLakeSnapshotRequest gl = FLUSS__GET_LAKE_SNAPSHOT_REQUEST__INIT;
    gl.table_path = &tp;
    assert_int_equal(fl_cli_try_call(fd, FL_API_GET_LAKE_SNAPSHOT, &gl.base, NULL, a, NULL, NULL, 0), 53);
    cr = commit(a, id, 1, good);
    assert_false(cr->has_error_code);
    Fluss__GetLakeSnapshotResponse *ls = (Fluss__GetLakeSnapshotResponse *)fl_cli_call(
        fd, FL_API_GET_LAKE_SNAPSHOT, 0, &gl.base, &fluss__get_lake_snapshot_response__descriptor, a);
    assert_int_equal(ls->snapshotid, 1);
    assert_int_equal(ls->n_bucket_snapshots, 1);
    assert_int_equal(ls->bucket_snapshots[0]->bucket_id, 1);
    assert_int_equal(ls->bucket_snapshots[0]->log_offset, 3);
    /* readable too (union reads) */
    gl.has_readable = 1;
    gl.readable = 1;
    ls = (Fluss__GetLakeSnapshotResponse *)fl_cli_call(fd, FL_API_GET_LAKE_SNAPSHOT, 0, &gl.base,
                                                      &fluss__get_lake_snapshot_response__descriptor, a);
    assert_int_equal(ls->snapshotid, 1);

    /* a body without a required field: the whole request is refused */
    fl_buf_t fr;
    fl_buf_init(&fr);
    size_t at = fl_frame_begin_req(&fr, FL_API_COMMIT_LAKE_TABLE_SNAPSHOT, 0, 4242);
    static const uint8_t no_path[] = {0x12, 0x04, 0x08, 0x01, 0x10, 0x01}; /* metadata{1:1,2:1} */
    fl_buf_put(&fr, no_path, sizeof(no_path));
    fl_frame_end(&fr, at);
    fl_cli_send(fd, fr.p, fr.len);
    fl_buf_free(&fr);
    fl_buf_t rb;
    fl_buf_init(&rb);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 5000, &rb, &resp), 0);
    assert_int_equal(resp.hdr.request_id, 4242);
    assert_int_equal(resp.hdr.type, FL_RESP_ERROR);
    assert_int_equal(resp.error_code, 3);
    fl_buf_free(&rb);

    /* finished: not held any more; renewing it is Fluss's IllegalStateException */
    h = heartbeat(a, "f", id, ce, te, false, false);
    assert_int_equal(entry_error(h->finished_table_resp, h->n_finished_table_resp, id), 0);
    h = heartbeat(a, "t", id, ce, te, false, false);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id), -1);
    assert_null(heartbeat(a, "", 0, 0, 0, true, false)->tiering_table); /* freshness: 1 h */

    /* a restart: a new coordinator epoch, the reports of before are refused */
    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
    fl_ts_restart(&ts, "local", ARGS);
    fd = fl_cli_connect(ts.port);
    h = heartbeat(a, "t", id, ce, te, true, false);
    assert_int_equal(h->coordinator_epoch, ce + 1);
    assert_int_equal(entry_error(h->tiering_table_resp, h->n_tiering_table_resp, id), 23);
    /* the recorded snapshot survived */
    ls = (Fluss__GetLakeSnapshotResponse *)fl_cli_call(fd, FL_API_GET_LAKE_SNAPSHOT, 0, &gl.base,
                                                      &fluss__get_lake_snapshot_response__descriptor, a);
    assert_int_equal(ls->snapshotid, 1);

    close(fd);
    assert_int_equal(fl_ts_stop(&ts), 0);
    fl_arena_destroy(a);
}

/* ---- the lake table made by the coordinator (CreateTable, AlterTable) -------------------------
 * A coordinator-only process (no in-process tiering thread anywhere) and one tablet server, as
 * the "streaming lakehouse" deployment: the Paimon table exists as soon as CreateTable (or the
 * AlterTable enabling the lake) answers, so Fluss's tiering job finds it; Fluss's errors when
 * the lake refuses (the Fluss table is then not created). */

static int try_create(int cfd, const char *name, const char *json, char *msg, size_t msg_len) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = strlen(json);
    int rc = fl_cli_try_call(cfd, FL_API_CREATE_TABLE, &req.base, NULL, a, NULL, msg, msg_len);
    fl_arena_destroy(a);
    return rc;
}

static int try_call_path(int cfd, int16_t key, const char *name, fl_arena_t *a) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    if (key == FL_API_DROP_TABLE) {
        Fluss__DropTableRequest d = FLUSS__DROP_TABLE_REQUEST__INIT;
        d.table_path = &tp;
        return fl_cli_try_call(cfd, key, &d.base, NULL, a, NULL, NULL, 0);
    }
    Fluss__GetTableInfoRequest g = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    g.table_path = &tp;
    return fl_cli_try_call(cfd, FL_API_GET_TABLE_INFO, &g.base, NULL, a, NULL, NULL, 0);
}

static bool lake_schema_exists(const fl_ts_t *cs, const char *table) {
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/data/lake/paimon/fluss.db/%s/schema/schema-0", cs->dir, table);
    return stat(path, &st) == 0;
}

#define PLAIN_JSON(cols, lake)                                                                 \
    "{\"schema\":{\"columns\":[" cols "]},\"partition_key\":[],\"bucket_key\":[\"k\"],"       \
    "\"bucket_count\":2,\"properties\":{\"table.datalake.enabled\":\"" lake "\"},"              \
    "\"custom_properties\":{}}"

static void test_coordinator_makes_lake_table(void **state) {
    (void)state;
    fl_ts_t cs, tab;
    fl_ts_start(&cs, "coordinator", ARGS);
    char coord[64];
    snprintf(coord, sizeof(coord), "-Dserver.coordinator-address=127.0.0.1:%d", cs.port);
    const char *targs[] = {"-Dtablet-server.id=1", coord, "-Ddatalake.format=paimon",
                           "-Dserver.heartbeat-interval=100 ms", NULL};
    fl_ts_start(&tab, "tablet", targs);
    int cfd = fl_cli_connect(cs.port);
    fl_arena_t *a = fl_arena_new(0);
    char msg[512];

    /* until the tablet server registered, CreateTable is INVALID_REPLICATION_FACTOR; such a
     * refused CreateTable may leave an empty lake table behind, which the next one takes */
    int rc = -1;
    for (int i = 0; i < 100; i++) {
        rc = try_create(cfd, "lt", LAKE_JSON, msg, sizeof(msg));
        if (rc != 17) break;
        usleep(50 * 1000);
    }
    assert_int_equal(rc, 0);
    assert_true(lake_schema_exists(&cs, "lt"));
    assert_true(fl_ts_log_has(&cs, "fluss.lt: paimon lake table ready"));
    /* IF NOT EXISTS on the existing table: nothing changes */
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "lt";
    Fluss__CreateTableRequest again = FLUSS__CREATE_TABLE_REQUEST__INIT;
    again.table_path = &tp;
    again.table_json.data = (uint8_t *)LAKE_JSON;
    again.table_json.len = strlen(LAKE_JSON);
    again.ignore_if_exists = 1;
    assert_int_equal(fl_cli_try_call(cfd, FL_API_CREATE_TABLE, &again.base, NULL, a, NULL, NULL, 0), 0);
    assert_int_equal(try_create(cfd, "lt", LAKE_JSON, NULL, 0), 8);

    /* a table without the lake has no lake table until AlterTable enables it */
    const char *off = PLAIN_JSON(COL("k", "BIGINT") "," COL("s", "STRING"), "false");
    assert_int_equal(try_create(cfd, "nl", off, NULL, 0), 0);
    assert_false(lake_schema_exists(&cs, "nl"));
    Fluss__PbAlterConfig ac = FLUSS__PB_ALTER_CONFIG__INIT;
    ac.config_key = "table.datalake.enabled";
    ac.config_value = "true";
    ac.op_type = 0;
    Fluss__PbAlterConfig *acs[] = {&ac};
    tp.table_name = "nl";
    Fluss__AlterTableRequest alt = FLUSS__ALTER_TABLE_REQUEST__INIT;
    alt.table_path = &tp;
    alt.n_config_changes = 1;
    alt.config_changes = acs;
    /* an invalid change next to it: the catalog's error, and no lake table */
    Fluss__PbAlterConfig bad = FLUSS__PB_ALTER_CONFIG__INIT;
    bad.config_key = "table.datalake.freshness";
    bad.config_value = "soon";
    Fluss__PbAlterConfig *both[] = {&ac, &bad};
    alt.n_config_changes = 2;
    alt.config_changes = both;
    assert_int_equal(fl_cli_try_call(cfd, FL_API_ALTER_TABLE, &alt.base, NULL, a, NULL, NULL, 0), 39);
    assert_false(lake_schema_exists(&cs, "nl"));
    alt.n_config_changes = 1;
    alt.config_changes = acs;
    assert_int_equal(fl_cli_try_call(cfd, FL_API_ALTER_TABLE, &alt.base, NULL, a, NULL, NULL, 0), 0);
    assert_true(lake_schema_exists(&cs, "nl"));
    /* enabling again (already enabled) and disabling touch nothing */
    assert_int_equal(fl_cli_try_call(cfd, FL_API_ALTER_TABLE, &alt.base, NULL, a, NULL, NULL, 0), 0);

    /* the lake table outlives DropTable; a new Fluss table of another schema under the same
     * name is refused with LakeTableAlreadyExist and not created; the same schema is taken */
    assert_int_equal(try_call_path(cfd, FL_API_DROP_TABLE, "lt", a), 0);
    assert_true(lake_schema_exists(&cs, "lt"));
    const char *other = PLAIN_JSON(COL("k", "BIGINT") "," COL("x", "INTEGER"), "true");
    msg[0] = 0;
    rc = try_create(cfd, "lt", other, msg, sizeof(msg));
    assert_int_equal(rc, 54);
    assert_non_null(strstr(msg, "fluss.lt already exists in Paimon catalog"));
    assert_int_equal(try_call_path(cfd, FL_API_GET_TABLE_INFO, "lt", a), 7);
    assert_int_equal(try_create(cfd, "lt", LAKE_JSON, NULL, 0), 0);

    /* a column the lake reserves: Fluss's InvalidTableException, no table either way */
    const char *sys = PLAIN_JSON(COL("k", "BIGINT") "," COL("__offset", "BIGINT"), "true");
    rc = try_create(cfd, "sys", sys, msg, sizeof(msg));
    assert_int_equal(rc, 15);
    assert_int_equal(try_call_path(cfd, FL_API_GET_TABLE_INFO, "sys", a), 7);
    assert_false(lake_schema_exists(&cs, "sys"));

    /* layouts this server's writer does not tier but Fluss's tiering service does (deletion
     * vectors, a DATE partition key): the lake table is made all the same */
    const char *dv = "{\"schema\":{\"columns\":[" COL("k", "BIGINT") "," COL("d", "DATE") "]},"
                     "\"partition_key\":[\"d\"],\"bucket_key\":[\"k\"],\"bucket_count\":2,"
                     "\"properties\":{\"table.datalake.enabled\":\"true\"},"
                     "\"custom_properties\":{\"paimon.deletion-vectors.enabled\":\"true\"}}";
    rc = try_create(cfd, "dv", dv, msg, sizeof(msg));
    if (rc) print_message("%s\n", msg);
    assert_int_equal(rc, 0);
    assert_true(lake_schema_exists(&cs, "dv"));

    /* the tiering service is handed the table at once (no in-process round to wait for) */
    Fluss__LakeTieringHeartbeatRequest hb = FLUSS__LAKE_TIERING_HEARTBEAT_REQUEST__INIT;
    hb.has_request_table = 1;
    hb.request_table = 1;
    Fluss__LakeTieringHeartbeatResponse *h = (Fluss__LakeTieringHeartbeatResponse *)fl_cli_call(
        cfd, FL_API_LAKE_TIERING_HEARTBEAT, 0, &hb.base,
        &fluss__lake_tiering_heartbeat_response__descriptor, a);
    assert_non_null(h->tiering_table);

    close(cfd);
    fl_arena_destroy(a);
    assert_int_equal(fl_ts_stop(&tab), 0);
    assert_int_equal(fl_ts_stop(&cs), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tiering_rpcs),
                                       cmocka_unit_test(test_coordinator_makes_lake_table)};
    return cmocka_run_group_tests_name("wire_tiering_rpc", tests, NULL, NULL);
}
