/* rpc_tiering.c: the coordinator RPCs of an external lake tiering service (Fluss 0.9.1's Flink
 * tiering job, org.apache.fluss.flink.tiering): LakeTieringHeartbeat (1042),
 * PrepareLakeTableSnapshot (1052) and CommitLakeTableSnapshot (1030).
 *
 * Who tiers which table, and when, is coordinator/fl_tiermgr.h (states, epochs, timeouts and
 * the rule between this service and the in-process tiering thread of server/rpc_lake.c). In
 * short: the in-process thread is the default; once an external service has heartbeated
 * within the heartbeat timeout (2 min), due tables go to it and the in-process thread stands
 * aside for them until the service has been silent for the timeout; a heartbeat never hands
 * out a table whose in-process round is in flight, nor, where the in-process thread runs, a
 * table before its first in-process round since start (which creates the lake table).
 *
 * One round of the tiering job, as the server sees it:
 *   1. LakeTieringHeartbeat{request_table} -> tiering_table {table_id, table_path, epoch}
 *      (heartbeats then name it in tiering_tables until the job reports it finished/failed).
 *   2. The job reads the log (GetLakeSnapshot, ListOffsets, FetchLog ...) and writes the lake.
 *   3. PrepareLakeTableSnapshot{table, per-bucket log end offsets}: the offsets, merged over
 *      the table's recorded ones (unless ignore_previous_table_offsets), are written as an
 *      offsets file (fl_tiermgr.h) at
 *        <remote.data.dir>/lake/<db>/<table>-<table id>/metadata/<uuid>.offsets
 *      (remote.data.dir defaults to <data.dir>/remote); the path goes back to the job, which
 *      puts it into the lake snapshot's "fluss-offsets" property.
 *   4. The job commits the lake snapshot, then CommitLakeTableSnapshot{table, snapshot id,
 *      tiered offsets file path}: the file is read back and recorded with
 *      fl_catalog_lake_commit, exactly as an in-process round is, so GetLakeSnapshot and union
 *      reads cannot tell the two apart. max_timestamp comes from tables_req when sent. A
 *      request without lake_table_snapshot_metadata (pre-0.9 jobs) records tables_req's
 *      offsets directly.
 *   5. LakeTieringHeartbeat{finished_tables} -> SCHEDULED until the freshness passes again.
 *
 * Errors, as Fluss answers them: per table (heartbeat entries carry an ErrorResponse; prepare
 * and commit entries error_code/error_message): INVALID_COORDINATOR_EXCEPTION (23) for a
 * coordinator epoch of an earlier start, TABLE_NOT_EXIST (7) for a table that is not (or no
 * longer) lake-enabled, FENCED_TIERING_EPOCH_EXCEPTION (50) for a stale tiering epoch,
 * UNKNOWN_SERVER_ERROR (-1) for a heartbeat on a table not held (Fluss's
 * IllegalStateException) and for a bucket without log_end_offset. Deliberately stricter than
 * Fluss, which would write or read whatever it is given: Prepare and Commit refuse unknown
 * table ids (7), buckets outside the table or a partition id on the wrong kind of table
 * (UNKNOWN_TABLE_OR_BUCKET_EXCEPTION, 21), and Commit reads offsets files only from this
 * server's own offsets directories (-1 otherwise). Offsets of partitions dropped meanwhile
 * are left out, as the catalog forgets those buckets anyway. Commit takes no tiering epoch
 * (Fluss fences only heartbeats).
 *
 * Not kept: Fluss's list of lake snapshots per table (readable snapshot vs tiered snapshot,
 * earliest_snapshot_id_to_keep): the catalog keeps the latest snapshot, which is what
 * GetLakeSnapshot serves both as latest and as readable. Deletion-vector tables, the only case
 * where they differ, are refused by the lake writers here, so they never reach a tiering job
 * where the in-process thread runs. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "fl_server_int.h"
#include "fl_tiermgr.h"
#include "fl_vfs.h"

#define FL_OFFSETS_FILE_MAX (16u << 20) /* bytes read back from an offsets file */

fl_tiermgr_t *fl_server_tiermgr(fl_server_t *srv) {
    if (!srv->tiermgr)
        srv->tiermgr = fl_tiermgr_new(fl_tiermgr_next_coordinator_epoch(srv->ms),
                                      FL_TIERMGR_TIMEOUT_MS, srv->tierer != NULL);
    return srv->tiermgr;
}

/* ---- LakeTieringHeartbeat (1042) --------------------------------------------------------- */

typedef fl_err_t (fl_tier_report_cb)(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id,
                                     int32_t coordinator_epoch, int64_t tiering_epoch, bool force,
                                     int64_t now_ms, const char **why);

static fl_err_t fl_report_renew(fl_tiermgr_t *m, fl_arena_t *a, int64_t id, int32_t ce, int64_t te,
                                bool force, int64_t now, const char **why) {
    FL_UNUSED(force);
    return fl_tiermgr_renew(m, a, id, ce, te, now, why);
}

static fl_err_t fl_report_finish(fl_tiermgr_t *m, fl_arena_t *a, int64_t id, int32_t ce, int64_t te,
                                 bool force, int64_t now, const char **why) {
    fl_err_t err = fl_tiermgr_finish(m, a, id, ce, te, force, now, why);
    if (!err)
        fl_log_info("tiering", "table %" PRId64 ": the external tiering service finished its round "
                    "(tiering epoch %" PRId64 "%s)", id, te, force ? ", forced: pending again" : "");
    return err;
}

static fl_err_t fl_report_fail(fl_tiermgr_t *m, fl_arena_t *a, int64_t id, int32_t ce, int64_t te,
                               bool force, int64_t now, const char **why) {
    FL_UNUSED(force);
    fl_err_t err = fl_tiermgr_fail(m, a, id, ce, te, now, why);
    if (!err)
        fl_log_warn("tiering", "table %" PRId64 ": the external tiering service reports its round "
                    "failed (tiering epoch %" PRId64 "); pending again", id, te);
    return err;
}

/* One PbHeartbeatRespForTable per entry, in request order. */
static Fluss__PbHeartbeatRespForTable **fl_heartbeat_reports(fl_req_t *req, fl_tiermgr_t *m,
                                                             Fluss__PbHeartbeatReqForTable **in,
                                                             size_t n, fl_tier_report_cb *cb,
                                                             const int64_t *forced, size_t n_forced,
                                                             int64_t now) {
    Fluss__PbHeartbeatRespForTable **out = fl_arena_alloc(req->arena, (n + 1) * sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        Fluss__PbHeartbeatRespForTable *r = fl_arena_alloc(req->arena, sizeof(*r));
        fluss__pb_heartbeat_resp_for_table__init(r);
        r->table_id = in[i]->table_id;
        bool force = false;
        for (size_t k = 0; k < n_forced; k++) force |= forced[k] == in[i]->table_id;
        const char *why = NULL;
        fl_err_t err = cb(m, req->arena, in[i]->table_id, in[i]->coordinator_epoch,
                          in[i]->tiering_epoch, force, now, &why);
        if (err) {
            r->error = fl_arena_alloc(req->arena, sizeof(*r->error));
            fluss__error_response__init(r->error);
            r->error->error_code = fl_err_wire(err);
            r->error->error_message = (char *)why;
        }
        out[i] = r;
    }
    return out;
}

void fl_rpc_lake_tiering_heartbeat(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__LakeTieringHeartbeatRequest *r = (const Fluss__LakeTieringHeartbeatRequest *)req->body;
    fl_tiermgr_t *m = fl_server_tiermgr(srv);
    int64_t now = fl_now_ms();
    fl_tiermgr_sync(m, srv->catalog, now);
    fl_tiermgr_external_seen(m, now);

    Fluss__LakeTieringHeartbeatResponse resp = FLUSS__LAKE_TIERING_HEARTBEAT_RESPONSE__INIT;
    resp.coordinator_epoch = fl_tiermgr_coordinator_epoch(m);
    /* Fluss's order: failed, then still tiering, then finished, then a new table */
    resp.failed_table_resp = fl_heartbeat_reports(req, m, r->failed_tables, r->n_failed_tables,
                                                  fl_report_fail, NULL, 0, now);
    resp.n_failed_table_resp = r->n_failed_tables;
    resp.tiering_table_resp = fl_heartbeat_reports(req, m, r->tiering_tables, r->n_tiering_tables,
                                                   fl_report_renew, NULL, 0, now);
    resp.n_tiering_table_resp = r->n_tiering_tables;
    resp.finished_table_resp = fl_heartbeat_reports(req, m, r->finished_tables,
                                                    r->n_finished_tables, fl_report_finish,
                                                    r->force_finished_tables,
                                                    r->n_force_finished_tables, now);
    resp.n_finished_table_resp = r->n_finished_tables;

    int64_t id, epoch;
    if (r->has_request_table && r->request_table && fl_tiermgr_request(m, now, &id, &epoch)) {
        const fl_table_t *t = fl_catalog_table_by_id(srv->catalog, id); /* synced just now */
        Fluss__PbLakeTieringTableInfo *ti = fl_arena_alloc(req->arena, sizeof(*ti));
        fluss__pb_lake_tiering_table_info__init(ti);
        ti->table_id = id;
        ti->tiering_epoch = epoch;
        ti->table_path = fl_arena_alloc(req->arena, sizeof(*ti->table_path));
        fluss__pb_table_path__init(ti->table_path);
        ti->table_path->database_name = (char *)(t ? t->db : "");
        ti->table_path->table_name = (char *)(t ? t->name : "");
        resp.tiering_table = ti;
        fl_log_info("tiering", "%s.%s (table %" PRId64 ") handed to the external tiering service "
                    "(connection %llu), tiering epoch %" PRId64,
                    ti->table_path->database_name, ti->table_path->table_name, id,
                    (unsigned long long)req->conn->id, epoch);
    }
    fl_req_respond(req, &resp.base);
}

/* ---- PrepareLakeTableSnapshot (1052) ----------------------------------------------------- */

/* The root under which prepared offsets files go: remote.data.dir (a local path or file://
 * URI), else <data.dir>/remote. NULL when remote.data.dir names another file system. */
static const char *fl_remote_root(fl_server_t *srv, fl_arena_t *a) {
    const char *r = fl_config_get(srv->conf, "remote.data.dir");
    if (!r || !*r) return fl_arena_sprintf(a, "%s/remote", srv->data_dir);
    if (!strncmp(r, "file://", 7)) r += 7;
    else if (!strncmp(r, "file:", 5)) r += 5;
    else if (strstr(r, "://")) return NULL;
    if (r[0] == '/') return r;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd))) return NULL;
    return fl_arena_sprintf(a, "%s/%s", cwd, r);
}

static void fl_uuid(char out[37]) {
    uint8_t u[16];
    if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u)) {
        uint64_t x = (uint64_t)fl_mono_us() * 0x9e3779b97f4a7c15ull ^ (uint64_t)fl_now_ms();
        for (size_t i = 0; i < sizeof(u); i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
            u[i] = (uint8_t)(x >> 56);
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant */
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < sizeof(u); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
        out[k++] = hex[u[i] >> 4];
        out[k++] = hex[u[i] & 15];
    }
    out[k] = 0;
}

/* One table of a prepare request. @returns the path written, or NULL with *err and *why. */
static const char *fl_prepare_table(fl_server_t *srv, fl_arena_t *a, const Fluss__PbTableOffsets *to,
                                    bool ignore_previous, fl_err_t *err, const char **why) {
    const fl_table_t *t = fl_catalog_table_by_id(srv->catalog, to->table_id);
    if (!t) {
        *err = FL_ERR_TABLE_NOT_EXIST;
        *why = fl_arena_sprintf(a, "Table id %" PRId64 " does not exist.", to->table_id);
        return NULL;
    }
    bool partitioned = t->desc.partition_keys.n > 0;
    size_t prev = ignore_previous ? 0 : t->lake.n;
    fl_lake_offset_t *o = fl_arena_alloc(a, (prev + to->n_bucket_offsets + 1) * sizeof(*o));
    size_t n = 0;
    for (size_t i = 0; i < prev; i++) o[n++] = t->lake.offsets[i];
    for (size_t i = 0; i < to->n_bucket_offsets; i++) {
        const Fluss__PbBucketOffset *b = to->bucket_offsets[i];
        if (b->has_partition_id != partitioned || b->bucket_id < 0 ||
            b->bucket_id >= t->desc.bucket_count) {
            *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
            *why = fl_arena_sprintf(a, "Bucket %d%s%s of table %s.%s (%" PRId64 ") does not exist.",
                                    b->bucket_id, b->has_partition_id ? " of a partition" : "",
                                    partitioned && !b->has_partition_id ? " without a partition" : "",
                                    t->db, t->name, t->id);
            return NULL;
        }
        if (!b->has_log_end_offset || b->log_end_offset < 0) {
            *err = FL_ERR_UNKNOWN_SERVER_ERROR;
            *why = fl_arena_sprintf(a, "Bucket %d of table %" PRId64 " has no valid log_end_offset.",
                                    b->bucket_id, t->id);
            return NULL;
        }
        int64_t pid = b->has_partition_id ? b->partition_id : -1;
        if (pid >= 0 && !fl_catalog_partition_by_id(srv->catalog, pid, NULL)) continue; /* dropped */
        size_t j = 0;
        while (j < n && !(o[j].partition_id == pid && o[j].bucket == b->bucket_id)) j++;
        if (j == n) n++;
        o[j] = (fl_lake_offset_t){pid, b->bucket_id, b->log_end_offset, -1};
    }
    const char *root = fl_remote_root(srv, a);
    if (!root) {
        *err = FL_ERR_UNKNOWN_SERVER_ERROR;
        *why = "remote.data.dir must be a local path or a file:// URI for lake offsets files.";
        return NULL;
    }
    char *dir = fl_arena_sprintf(a, "%s/lake/%s/%s-%" PRId64 "/metadata", root, t->db, t->name, t->id);
    char uuid[37];
    fl_uuid(uuid);
    char *name = fl_arena_sprintf(a, "%s.offsets", uuid);
    fl_buf_t b;
    fl_buf_init(&b);
    fl_lake_offsets_json(t->id, o, n, &b);
    fl_err_t e = FL_ERR_NONE;
    if (fl_vfs_mkdirs(dir)) {
        fl_log_error("tiering", "mkdir() failed: %s (%s)", strerror(errno), dir);
        e = FL_ERR__IO;
    } else {
        e = fl_vfs_write_durable(dir, name, b.p, b.len);
    }
    fl_buf_free(&b);
    if (e) {
        *err = FL_ERR_UNKNOWN_SERVER_ERROR;
        *why = fl_arena_sprintf(a, "Writing the lake offsets file %s/%s failed: %s.", dir, name,
                                fl_err2str(e));
        return NULL;
    }
    return fl_arena_sprintf(a, "%s/%s", dir, name);
}

void fl_rpc_prepare_lake_table_snapshot(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__PrepareLakeTableSnapshotRequest *r =
        (const Fluss__PrepareLakeTableSnapshotRequest *)req->body;
    bool ignore = r->has_ignore_previous_table_offsets && r->ignore_previous_table_offsets;
    Fluss__PrepareLakeTableSnapshotResponse resp = FLUSS__PREPARE_LAKE_TABLE_SNAPSHOT_RESPONSE__INIT;
    resp.prepare_lake_table_resp =
        fl_arena_alloc(req->arena, (r->n_bucket_offsets + 1) * sizeof(void *));
    for (size_t i = 0; i < r->n_bucket_offsets; i++) {
        Fluss__PbPrepareLakeTableRespForTable *pr = fl_arena_alloc(req->arena, sizeof(*pr));
        fluss__pb_prepare_lake_table_resp_for_table__init(pr);
        pr->has_table_id = 1;
        pr->table_id = r->bucket_offsets[i]->table_id;
        fl_err_t err = FL_ERR_NONE;
        const char *why = NULL;
        const char *path = fl_prepare_table(srv, req->arena, r->bucket_offsets[i], ignore, &err, &why);
        if (path) {
            pr->lake_table_offsets_path = (char *)path;
            fl_log_debug("tiering", "table %" PRId64 ": offsets prepared in %s", pr->table_id, path);
        } else {
            pr->has_error_code = 1;
            pr->error_code = fl_err_wire(err);
            pr->error_message = (char *)why;
            fl_log_warn("tiering", "PrepareLakeTableSnapshot of table %" PRId64 " refused: %s",
                        pr->table_id, why);
        }
        resp.prepare_lake_table_resp[resp.n_prepare_lake_table_resp++] = pr;
    }
    fl_req_respond(req, &resp.base);
}

/* ---- CommitLakeTableSnapshot (1030) ------------------------------------------------------ */

/* Is path a file under root (both resolved)? */
static bool fl_path_under(const char *path, const char *root) {
    char rp[PATH_MAX], rr[PATH_MAX];
    if (!root || !realpath(path, rp) || !realpath(root, rr)) return false;
    size_t n = strlen(rr);
    return !strncmp(rp, rr, n) && rp[n] == '/';
}

static fl_err_t fl_commit_table(fl_server_t *srv, fl_arena_t *a,
                                const Fluss__PbLakeTableSnapshotMetadata *md,
                                const Fluss__CommitLakeTableSnapshotRequest *r, const char **why) {
    const fl_table_t *t = fl_catalog_table_by_id(srv->catalog, md->table_id);
    if (!t) {
        *why = fl_arena_sprintf(a, "Table %" PRId64 " not found in coordinator context.", md->table_id);
        return FL_ERR_TABLE_NOT_EXIST;
    }
    if (md->snapshot_id < 0) {
        *why = fl_arena_sprintf(a, "Invalid lake snapshot id %" PRId64 ".", md->snapshot_id);
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
    const char *path = md->tiered_bucket_offsets_file_path;
    /* only offsets files this server wrote: prepared ones and the in-process thread's */
    const char *inproc = fl_arena_sprintf(a, "%s/lake/offsets", srv->data_dir);
    if (!fl_path_under(path, fl_remote_root(srv, a)) && !fl_path_under(path, inproc)) {
        *why = fl_arena_sprintf(a, "The lake offsets file %s does not exist or was not written by "
                                   "this server.", path);
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
    uint8_t *p = NULL;
    size_t len = 0;
    fl_err_t err = fl_vfs_read_file(path, FL_OFFSETS_FILE_MAX, &p, &len);
    if (err) {
        *why = fl_arena_sprintf(a, "Reading the lake offsets file %s failed: %s.", path,
                                fl_err2str(err));
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
    int64_t tid = -1;
    fl_lake_offset_t *o = NULL;
    size_t n = 0;
    size_t max = (t->n_parts + 1) * (size_t)(t->desc.bucket_count > 0 ? t->desc.bucket_count : 1) + 64;
    const char *pwhy = NULL;
    err = fl_lake_offsets_parse(a, p, len, max, &tid, &o, &n, &pwhy);
    fl_free(p);
    if (err || tid != t->id) {
        *why = fl_arena_sprintf(a, "The lake offsets file %s is not one of table %" PRId64 ": %s.",
                                path, t->id, err ? pwhy : "another table id");
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
    /* max timestamps, reported per bucket in tables_req (metrics only in Fluss) */
    for (size_t i = 0; i < r->n_tables_req; i++) {
        const Fluss__PbLakeTableSnapshotInfo *si = r->tables_req[i];
        if (!si->has_table_id || si->table_id != t->id) continue;
        for (size_t k = 0; k < si->n_buckets_req; k++) {
            const Fluss__PbLakeTableOffsetForBucket *b = si->buckets_req[k];
            int64_t pid = b->has_partition_id ? b->partition_id : -1;
            for (size_t j = 0; j < n && b->has_max_timestamp; j++)
                if (o[j].partition_id == pid && o[j].bucket == b->bucket_id)
                    o[j].max_ts = b->max_timestamp;
        }
    }
    if (md->readable_bucket_offsets_file_path && strcmp(md->readable_bucket_offsets_file_path, path))
        fl_log_warn("tiering", "%s.%s: lake snapshot %" PRId64 " has a readable offsets file other than "
                    "its tiered one; only the latest snapshot is kept", t->db, t->name, md->snapshot_id);
    err = fl_catalog_lake_commit(srv->catalog, a, t->id, md->snapshot_id, o, n, why);
    if (!err)
        fl_log_info("tiering", "%s.%s: lake snapshot %" PRId64 " committed by an external tiering "
                    "service (%zu bucket offsets from %s)", t->db, t->name, md->snapshot_id, n, path);
    return err;
}

/* Pre-0.9 requests: the offsets travel in tables_req. */
static fl_err_t fl_commit_table_v1(fl_server_t *srv, fl_arena_t *a,
                                   const Fluss__PbLakeTableSnapshotInfo *si,
                                   const char **why) {
    const fl_table_t *t = si->has_table_id ? fl_catalog_table_by_id(srv->catalog, si->table_id) : NULL;
    if (!t) {
        *why = fl_arena_sprintf(a, "Table %" PRId64 " not found in coordinator context.", si->table_id);
        return FL_ERR_TABLE_NOT_EXIST;
    }
    fl_lake_offset_t *o = fl_arena_alloc(a, (si->n_buckets_req + 1) * sizeof(*o));
    size_t n = 0;
    bool partitioned = t->desc.partition_keys.n > 0;
    for (size_t k = 0; k < si->n_buckets_req; k++) {
        const Fluss__PbLakeTableOffsetForBucket *b = si->buckets_req[k];
        if (b->has_partition_id != partitioned || b->bucket_id < 0 ||
            b->bucket_id >= t->desc.bucket_count) {
            *why = fl_arena_sprintf(a, "Bucket %d of table %" PRId64 " does not exist.", b->bucket_id,
                                    t->id);
            return FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        }
        if (!b->has_log_end_offset || b->log_end_offset < 0) continue;
        o[n++] = (fl_lake_offset_t){b->has_partition_id ? b->partition_id : -1, b->bucket_id,
                                    b->log_end_offset, b->has_max_timestamp ? b->max_timestamp : -1};
    }
    if (si->snapshot_id < 0) {
        *why = fl_arena_sprintf(a, "Invalid lake snapshot id %" PRId64 ".", si->snapshot_id);
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
    return fl_catalog_lake_commit(srv->catalog, a, t->id, si->snapshot_id, o, n, why);
}

void fl_rpc_commit_lake_table_snapshot(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__CommitLakeTableSnapshotRequest *r =
        (const Fluss__CommitLakeTableSnapshotRequest *)req->body;
    bool v1 = r->n_lake_table_snapshot_metadata == 0;
    size_t n = v1 ? r->n_tables_req : r->n_lake_table_snapshot_metadata;
    Fluss__CommitLakeTableSnapshotResponse resp = FLUSS__COMMIT_LAKE_TABLE_SNAPSHOT_RESPONSE__INIT;
    resp.table_resp = fl_arena_alloc(req->arena, (n + 1) * sizeof(void *));
    for (size_t i = 0; i < n; i++) {
        Fluss__PbCommitLakeTableSnapshotRespForTable *tr = fl_arena_alloc(req->arena, sizeof(*tr));
        fluss__pb_commit_lake_table_snapshot_resp_for_table__init(tr);
        const char *why = NULL;
        fl_err_t err;
        if (v1) {
            tr->table_id = r->tables_req[i]->table_id;
            err = fl_commit_table_v1(srv, req->arena, r->tables_req[i], &why);
        } else {
            tr->table_id = r->lake_table_snapshot_metadata[i]->table_id;
            err = fl_commit_table(srv, req->arena, r->lake_table_snapshot_metadata[i], r, &why);
        }
        if (err) {
            tr->has_error_code = 1;
            tr->error_code = fl_err_wire(err);
            tr->error_message = (char *)(why ? why : fl_err2str(err));
            fl_log_warn("tiering", "CommitLakeTableSnapshot of table %" PRId64 " refused: %s",
                        tr->table_id, tr->error_message);
        }
        resp.table_resp[resp.n_table_resp++] = tr;
    }
    fl_req_respond(req, &resp.base);
}
