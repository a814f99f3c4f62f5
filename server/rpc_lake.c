/* rpc_lake.c: lake tiering inside the server and the lake bookkeeping RPCs.
 *
 * Scheduling (loop thread): which lake-enabled table is due, and whether this thread or an
 * external tiering service (rpc_tiering.c) tiers it, is coordinator/fl_tiermgr.h. In short:
 * this thread is the default; while an external tiering service heartbeats (within 2 min) it
 * stands aside for due tables, except for a table's first round since start, which it always
 * does (without data when a service is present: it adopts a lake snapshot the coordinator
 * missed; the lake table exists since CreateTable, see "the lake catalog" below). The timer
 * fires when the next table is due (at most 1 s apart, to notice new tables), so a row waits
 * at most the freshness plus one round.
 *
 * A round: for each bucket this process leads, the range [tiered offset, high watermark) is
 * pinned as log slices and handed to the tiering worker (tablet/fl_tiering.c), which writes
 * Paimon or Iceberg tables (the table's table.datalake.format, which must be the server's
 * datalake.format). When the worker is done, the new lake snapshot and offsets are recorded in
 * the catalog (GetLakeSnapshot serves them) and the slices are released. A round that only met
 * empty or header-only batches still moves the offsets.
 *
 * Per table:  PENDING --fl_lake_plan: fl_tiermgr_local_begin--> LOCAL (in_flight)
 *             LOCAL --fl_lake_done: fl_tiermgr_local_end--> SCHEDULED (due a freshness after
 *             the round was planned; after a failure a freshness after it ended; at once after
 *             adopting a lake snapshot)
 * The first round of each table after start asks the lake whether it holds a newer tiering
 * snapshot than recorded (crash between the lake commit and the record) and adopts it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_iceberg.h"
#include "fl_paimon.h"
#include "fl_server_int.h"
#include "fl_tiering.h"
#include "fl_tiermgr.h"
#include "fl_vfs.h"

/* Log bytes one round may take, over all its buckets: the worker holds a round's rows in memory
 * until its commit (about 4 times the log bytes, decoded), so this bounds the tiering thread's
 * memory. A bucket gets an equal share (at least 1 MiB, whole batches: one batch may exceed
 * it); a capped round is followed by the next one at once. */
#define FL_TIER_MAX_BYTES_PER_ROUND (64ull << 20)
#define FL_TIER_MIN_BYTES_PER_BUCKET (1ull << 20)
#define FL_LAKE_TICK_MAX_MS 1000 /* longest sleep of the scheduler (new tables, config changes) */

typedef struct fl_lake_sched_s {
    int64_t table_id;
    bool in_flight;
    bool checked;          /* resume check done since start */
    bool bootstrap;        /* the round in flight tiers no data (fl_tiermgr.h rule 4) */
} fl_lake_sched_t;

static fl_lake_sched_t *fl_lake_sched(fl_server_t *srv, int64_t table_id) {
    for (size_t i = 0; i < srv->n_lake; i++)
        if (srv->lake[i].table_id == table_id) return &srv->lake[i];
    srv->lake = fl_realloc(srv->lake, (srv->n_lake + 1) * sizeof(*srv->lake));
    fl_lake_sched_t *ls = &srv->lake[srv->n_lake++];
    memset(ls, 0, sizeof(*ls));
    ls->table_id = table_id;
    return ls;
}

static bool fl_table_lake_enabled(const fl_table_t *t) {
    const char *en = fl_kvs_get(&t->desc.properties, "table.datalake.enabled");
    return en && !strcasecmp(en, "true");
}

/* Pin [start, hw) of a replica as slices. @returns the end offset covered. */
static int64_t fl_pin(fl_arena_t *a, fl_replica_t *rep, int64_t start, fl_tier_bucket_t *b,
                      uint64_t max_bytes, bool *capped) {
    fl_logstore_t *log = fl_replica_log(rep);
    int64_t hw = fl_logstore_high_watermark(log);
    size_t cap = 4;
    b->slices = fl_arena_alloc(a, cap * sizeof(fl_logslice_t));
    b->n_slices = 0;
    int64_t off = start;
    uint64_t bytes = 0;
    while (off < hw && bytes < max_bytes) {
        fl_logslice_t sl;
        uint64_t want = max_bytes - bytes;
        if (want > (16u << 20)) want = 16u << 20;
        if (fl_logstore_read(log, off, want, hw, true, &sl)) break;
        if (!sl.seg || sl.len == 0 || sl.next_offset <= off) {
            if (sl.seg) fl_logslice_release(&sl);
            break;
        }
        if (b->n_slices == cap) {
            fl_logslice_t *n = fl_arena_alloc(a, cap * 2 * sizeof(*n));
            memcpy(n, b->slices, cap * sizeof(*n));
            b->slices = n;
            cap *= 2;
        }
        b->slices[b->n_slices++] = sl;
        bytes += sl.len;
        off = sl.next_offset;
    }
    if (off < hw) *capped = true;
    return off;
}

/* @returns the tiering job format of a table this thread tiers, or NULL */
static const char *fl_lake_job_format(const fl_server_t *srv, const fl_table_t *t) {
    const char *fmt = fl_kvs_get(&t->desc.properties, "table.datalake.format");
    /* the server's warehouse belongs to its datalake.format: a table of another format waits */
    if (!fmt || strcasecmp(fmt, srv->lake_format)) return NULL;
    return !strcasecmp(fmt, "paimon") ? "paimon" : !strcasecmp(fmt, "iceberg") ? "iceberg" : NULL;
}

/* Plan a round of t (a PENDING table this thread may take). bootstrap: no data, only the lake
 * table and the resume check (an external tiering service will tier the data). */
static void fl_lake_plan(fl_server_t *srv, const fl_table_t *t, fl_lake_sched_t *ls,
                         const char *job_fmt, bool bootstrap) {
    fl_tiermgr_t *m = fl_server_tiermgr(srv);
    fl_tier_job_t *job = fl_calloc(1, sizeof(*job));
    job->planned_ms = fl_now_ms();
    job->arena = fl_arena_new(0);
    fl_arena_t *a = job->arena;
    job->table_id = t->id;
    job->db = fl_arena_strndup(a, t->db, strlen(t->db));
    job->table = fl_arena_strndup(a, t->name, strlen(t->name));
    fl_table_desc_copy(a, &t->desc, &job->desc);
    job->format = job_fmt;
    job->warehouse = fl_arena_strndup(a, srv->lake_warehouse, strlen(srv->lake_warehouse));
    job->offsets_dir = fl_arena_sprintf(a, "%s/lake/offsets/%s/%s-%" PRId64, srv->data_dir, t->db,
                                        t->name, t->id);
    job->known_snapshot = t->lake.snapshot_id;
    job->check_resume = !ls->checked;
    memset(&job->info, 0, sizeof(job->info));
    job->info.table_id = t->id;
    job->info.schema_id = t->schema_id;
    job->info.has_primary_key = t->desc.schema.has_primary_key;
    const char *lf = fl_kvs_get(&t->desc.properties, "table.log.format");
    job->info.log_format = lf && !strcasecmp(lf, "INDEXED") ? FL_LOG_INDEXED
                           : lf && !strcasecmp(lf, "COMPACTED") ? FL_LOG_COMPACTED
                                                                 : FL_LOG_ARROW;
    /* row type of the columns: of the job's own copy of the descriptor (the worker thread
     * reads it while the catalog may change) */
    job->info.row_type = fl_schema_row_type(a, &job->desc.schema);
    fl_server_table_kv_info(t, &job->info);

    /* the buckets: every (partition, bucket) of the table that this process leads */
    size_t nparts = t->desc.partition_keys.n ? t->n_parts : 1;
    size_t cap = nparts * (size_t)t->desc.bucket_count + 1;
    job->buckets = fl_arena_calloc(a, cap * sizeof(fl_tier_bucket_t));
    job->full = fl_arena_calloc(a, cap * sizeof(fl_tier_full_t));
    bool any = false;
    for (size_t p = 0; p < nparts; p++) {
        int64_t pid = t->desc.partition_keys.n ? t->parts[p].id : -1;
        const char *pname = t->desc.partition_keys.n ? t->parts[p].name : NULL;
        for (int32_t bk = 0; bk < t->desc.bucket_count; bk++) {
            int64_t start = fl_catalog_lake_offset(t, pid, bk);
            fl_err_t err = FL_ERR_NONE;
            const char *why = NULL;
            fl_replica_t *rep = fl_server_bucket_open(srv, a, t->id, pid >= 0, pid, bk, &err, &why);
            int64_t end = start;
            if (rep && !bootstrap && fl_replica_high_watermark(rep) > start) {
                fl_tier_bucket_t *b = &job->buckets[job->n];
                b->partition_id = pid;
                b->partition_name = pname ? fl_arena_strndup(a, pname, strlen(pname)) : NULL;
                b->bucket = bk;
                b->start = start;
                uint64_t share = FL_TIER_MAX_BYTES_PER_ROUND / (cap - 1);
                if (share < FL_TIER_MIN_BYTES_PER_BUCKET) share = FL_TIER_MIN_BYTES_PER_BUCKET;
                end = fl_pin(a, rep, start, b, share, &job->capped);
                b->end = end;
                if (end > start) {
                    job->n++;
                    any = true;
                }
            }
            if (end > 0) job->full[job->n_full++] = (fl_tier_full_t){pid, bk, end};
        }
    }
    if (!any && !job->check_resume && !bootstrap) {
        fl_tier_job_free(job);
        fl_free(job);
        /* nothing new: look again after the freshness interval */
        fl_tiermgr_local_end(m, t->id, fl_now_ms(), false);
        return;
    }
    if (fl_vfs_mkdirs(job->offsets_dir)) {
        fl_log_error("tiering", "mkdir() failed: %s (%s)", strerror(errno), job->offsets_dir);
        fl_tier_job_free(job);
        fl_free(job);
        fl_tiermgr_local_end(m, t->id, fl_now_ms(), false); /* retry after the interval */
        return;
    }
    ls->in_flight = true;
    ls->bootstrap = bootstrap;
    fl_tiermgr_local_begin(m, t->id);
    fl_tierer_submit(srv->tierer, job);
}

static void fl_lake_arm(fl_server_t *srv, int64_t delay_ms) {
    if (!srv->lake_timer || srv->stopping) return;
    if (delay_ms < 0) delay_ms = 0;
    if (delay_ms > FL_LAKE_TICK_MAX_MS) delay_ms = FL_LAKE_TICK_MAX_MS;
    struct timeval tv = {(time_t)(delay_ms / 1000), (suseconds_t)((delay_ms % 1000) * 1000)};
    evtimer_add(srv->lake_timer, &tv);
}

static void fl_lake_done(fl_server_t *srv, fl_tier_job_t *job) {
    fl_lake_sched_t *ls = fl_lake_sched(srv, job->table_id);
    ls->in_flight = false;
    ls->checked = true;
    /* the next round is due a freshness interval after this one was planned (not after it
     * ended), so a row waits at most the freshness plus one round; a failed round retries a
     * full interval from now; after adopting a lake snapshot, a round without data or a
     * round cut at FL_TIER_MAX_BYTES_PER_ROUND, the rest at once */
    int64_t last = job->err                                   ? fl_now_ms()
                   : job->resumed || ls->bootstrap || job->capped ? 0
                                                                  : job->planned_ms;
    /* ready (rule 4) after a good round, and when this writer refuses the table's layout
     * (deletion vectors, a partition key type it cannot write): it never wrote that table, so
     * there is nothing to adopt, and Fluss's own tiering service may tier it */
    bool ready = !job->err || job->err == FL_ERR_INVALID_TABLE_EXCEPTION;
    if (srv->tiermgr) fl_tiermgr_local_end(srv->tiermgr, job->table_id, last, ready);
    fl_lake_arm(srv, 0);
    const fl_table_t *t = fl_catalog_table_by_id(srv->catalog, job->table_id);
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    if (!t) {
        /* dropped meanwhile: nothing to record */
    } else if (job->resumed) {
        fl_lake_offset_t *o = fl_arena_alloc(a, (job->n_resume + 1) * sizeof(*o));
        for (size_t i = 0; i < job->n_resume; i++)
            o[i] = (fl_lake_offset_t){job->resume[i].partition_id, job->resume[i].bucket,
                                      job->resume[i].offset, -1};
        if (fl_catalog_lake_commit(srv->catalog, a, job->table_id, job->resume_snapshot, o,
                                   job->n_resume, &why))
            fl_log_error("tiering", "recording lake snapshot %" PRId64 " failed: %s",
                         job->resume_snapshot, why);
    } else if (job->err) {
        fl_log_warn("tiering", "round of %s.%s failed: %s (%s); retrying after the freshness interval",
                    job->db, job->table, fl_err2name(job->err), job->why);
    } else {
        fl_lake_offset_t *o = fl_arena_alloc(a, (job->n + 1) * sizeof(*o));
        for (size_t i = 0; i < job->n; i++)
            o[i] = (fl_lake_offset_t){job->buckets[i].partition_id, job->buckets[i].bucket,
                                      job->buckets[i].end, job->buckets[i].max_ts};
        if (job->snapshot_id < 0 && t->lake.snapshot_id < 0) {
            /* nothing in the lake yet and nothing tiered: no snapshot to attach offsets to;
             * union reads read these (empty) batches from the log */
        } else if (fl_catalog_lake_commit(srv->catalog, a, job->table_id, job->snapshot_id, o,
                                          job->n, &why)) {
            fl_log_error("tiering", "recording the lake snapshot of %s.%s failed: %s", job->db,
                         job->table, why);
        } else if (job->n) {
            fl_log_info("tiering",
                        "%s.%s: lake snapshot %" PRId64 ": %" PRIu64 " rows from %zu bucket(s), %" PRIu64
                        " log bytes, in %" PRId64 " ms",
                        job->db, job->table, job->snapshot_id >= 0 ? job->snapshot_id : t->lake.snapshot_id,
                        job->rows, job->n, job->bytes, job->elapsed_us / 1000);
        }
    }
    fl_arena_destroy(a);
    fl_tier_job_free(job);
    fl_free(job);
}

static void fl_lake_tick_cb(evutil_socket_t fd, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    if (srv->stopping) return;
    fl_tiermgr_t *m = fl_server_tiermgr(srv);
    int64_t now = fl_now_ms();
    fl_tiermgr_sync(m, srv->catalog, now);
    for (size_t d = 0; d < fl_catalog_database_count(srv->catalog); d++) {
        const fl_database_t *db = fl_catalog_database_at(srv->catalog, d);
        for (size_t i = 0;; i++) {
            const fl_table_t *t = fl_catalog_table_in(srv->catalog, db->name, i);
            if (!t) break;
            if (!fl_table_lake_enabled(t)) continue;
            const char *job_fmt = fl_lake_job_format(srv, t);
            if (!job_fmt) {
                fl_tiermgr_set_ready(m, t->id); /* never tiered here: nothing to wait for */
                continue;
            }
            fl_lake_sched_t *ls = fl_lake_sched(srv, t->id);
            if (ls->in_flight) continue;
            fl_tier_take_t take = fl_tiermgr_local_may_take(m, t->id, now);
            if (take == FL_TIER_TAKE_NO) continue;
            fl_lake_plan(srv, t, ls, job_fmt, take == FL_TIER_TAKE_BOOTSTRAP);
        }
    }
    int64_t next = fl_tiermgr_next_event(m, now);
    fl_lake_arm(srv, next == INT64_MAX ? FL_LAKE_TICK_MAX_MS : next - now);
}

/* The worker wrote a byte: collect finished rounds. */
static void fl_lake_wake_cb(evutil_socket_t fd, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(what);
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    fl_tier_job_t *job;
    while ((job = fl_tierer_take_done(srv->tierer))) fl_lake_done(srv, job);
}

static void fl_lake_notify(void *arg) {
    fl_server_t *srv = arg;
    char c = 1;
    ssize_t w = write(srv->lake_pipe[1], &c, 1);
    (void)w;
}

int fl_server_start_tiering(fl_server_t *srv) {
    if (pipe(srv->lake_pipe)) return -1;
    evutil_make_socket_nonblocking(srv->lake_pipe[0]);
    evutil_make_socket_nonblocking(srv->lake_pipe[1]);
    srv->lake_wake = event_new(srv->base, srv->lake_pipe[0], EV_READ | EV_PERSIST, fl_lake_wake_cb, srv);
    event_add(srv->lake_wake, NULL);
    srv->tierer = fl_tierer_new(fl_lake_notify, srv);
    if (!srv->tierer) return -1;
    srv->lake_timer = evtimer_new(srv->base, fl_lake_tick_cb, srv); /* re-armed by each tick */
    fl_lake_arm(srv, 0);
    fl_log_info("tiering", "lake tiering to %s under %s", srv->lake_format, srv->lake_warehouse);
    return 0;
}

void fl_server_stop_tiering(fl_server_t *srv) {
    if (!srv->tierer) {
        fl_tiermgr_free(srv->tiermgr);
        srv->tiermgr = NULL;
        return;
    }
    fl_tierer_stop(srv->tierer);
    fl_tier_job_t *job;
    while ((job = fl_tierer_take_done(srv->tierer))) fl_lake_done(srv, job);
    fl_tierer_free(srv->tierer);
    srv->tierer = NULL;
    if (srv->lake_timer) event_free(srv->lake_timer);
    if (srv->lake_wake) event_free(srv->lake_wake);
    srv->lake_timer = srv->lake_wake = NULL;
    close(srv->lake_pipe[0]);
    close(srv->lake_pipe[1]);
    fl_free(srv->lake);
    srv->lake = NULL;
    srv->n_lake = 0;
    fl_tiermgr_free(srv->tiermgr);
    srv->tiermgr = NULL;
}

/* ---- the lake catalog ------------------------------------------------------------------------
 *
 * Fluss's coordinator creates the lake table before the Fluss table (CoordinatorService
 * createTable, MetadataManager alterTableProperties when table.datalake.enabled turns true), so
 * an external tiering job finds it. The layouts are lake/fl_paimon.h and lake/fl_iceberg.h; the
 * in-process tiering thread opens the same tables later and finds them existing. An existing
 * lake table of the same layout is accepted, except that a new Fluss table needs an empty one
 * (Paimon's checkTableIsEmpty). Differences from Fluss: Iceberg's catalog refuses any existing
 * table; here an empty one of the same layout is taken (at CreateTable and AlterTable), like
 * Paimon's, so a CreateTable that failed after this step (no live tablet server yet) can be
 * retried. An existing Fluss table (IF NOT EXISTS) is not sent to the lake. Paimon layouts the
 * in-process writer cannot tier (deletion vectors, other partition key types) are made all
 * the same (fl_paimon_table_create): Fluss's tiering job may tier them. Runs on the loop
 * thread: it writes a few small files with fsync, once per table. */

fl_err_t fl_server_lake_create(fl_server_t *srv, fl_arena_t *a, const char *db, const char *name,
                               const fl_table_desc_t *desc, bool creating, const char **why) {
    const char *w = NULL;
    fl_err_t err = FL_ERR_NONE;
    bool nonempty = false;
    if (!strcmp(srv->lake_format, "paimon")) {
        err = fl_paimon_table_create(srv->lake_warehouse, db, name, desc, &nonempty, &w);
        if (!err && creating && nonempty) {
            *why = fl_arena_sprintf(a,
                                    "The table %s.%s already exists in Paimon catalog, and the table "
                                    "is not empty. Please first drop the table in Paimon catalog or "
                                    "use a new table name.",
                                    db, name);
            return FL_ERR_LAKE_TABLE_ALREADY_EXIST;
        }
    } else if (!strcmp(srv->lake_format, "iceberg")) {
        fl_iceberg_opts_t opts;
        fl_iceberg_opts_default(&opts);
        fl_iceberg_table_t *it = NULL;
        err = fl_iceberg_table_open(srv->lake_warehouse, db, name, desc, &opts, &it, &w);
        if (!err) {
            nonempty = fl_iceberg_table_snapshot_id(it) >= 0;
            fl_iceberg_table_close(it);
        }
        if (!err && nonempty) {
            *why = fl_arena_sprintf(a, "Table %s.%s already exists.", db, name);
            return FL_ERR_LAKE_TABLE_ALREADY_EXIST;
        }
    } else {
        /* lance (or none: the catalog refuses lake-enabled tables then): nothing written here */
        fl_log_warn("lake", "%s.%s: no lake table created for datalake.format '%s'", db, name,
                    srv->lake_format);
        return FL_ERR_NONE;
    }
    if (err == FL_ERR_LAKE_TABLE_ALREADY_EXIST) {
        *why = fl_arena_sprintf(a,
                                "The table %s.%s already exists in %s catalog, but the table schema "
                                "is not compatible (%s). Please first drop the table in %s catalog "
                                "or use a new table name.",
                                db, name, srv->lake_format[0] == 'p' ? "Paimon" : "Iceberg",
                                w ? w : "another layout", srv->lake_format[0] == 'p' ? "Paimon" : "Iceberg");
        fl_log_warn("lake", "%s", *why);
        return err;
    }
    if (err) {
        *why = fl_arena_sprintf(a, "Failed to create the %s table %s.%s: %s", srv->lake_format, db,
                                name, w ? w : fl_err2str(err));
        fl_log_warn("lake", "%s", *why);
        return err;
    }
    fl_log_info("lake", "%s.%s: %s lake table ready under %s", db, name, srv->lake_format,
                srv->lake_warehouse);
    return FL_ERR_NONE;
}

/* ---- GetLakeSnapshot (1032) ----------------------------------------------------------------- */

void fl_rpc_get_lake_snapshot(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__GetLakeSnapshotRequest *r = (const Fluss__GetLakeSnapshotRequest *)req->body;
    const fl_table_t *t = fl_catalog_table(srv->catalog, r->table_path->database_name, r->table_path->table_name);
    if (!t) {
        fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.",
                    r->table_path->database_name, r->table_path->table_name);
        return;
    }
    if (r->has_snapshot_id && r->has_readable && r->readable) {
        fl_req_fail(req, FL_ERR_UNKNOWN_SERVER_ERROR,
                    "snapshot_id and readable=true cannot be requested together.");
        return;
    }
    if (t->lake.snapshot_id < 0 || (r->has_snapshot_id && r->snapshot_id != t->lake.snapshot_id)) {
        fl_req_fail(req, FL_ERR_LAKE_SNAPSHOT_NOT_EXIST,
                    "Lake table snapshot not exist for table: %s.%s, table id: %" PRId64,
                    t->db, t->name, t->id);
        return;
    }
    Fluss__GetLakeSnapshotResponse resp = FLUSS__GET_LAKE_SNAPSHOT_RESPONSE__INIT;
    resp.table_id = t->id;
    resp.snapshotid = t->lake.snapshot_id;
    resp.bucket_snapshots = fl_arena_alloc(req->arena, (t->lake.n + 1) * sizeof(void *));
    for (size_t i = 0; i < t->lake.n; i++) {
        Fluss__PbLakeSnapshotForBucket *b = fl_arena_alloc(req->arena, sizeof(*b));
        fluss__pb_lake_snapshot_for_bucket__init(b);
        if (t->lake.offsets[i].partition_id >= 0) {
            b->has_partition_id = 1;
            b->partition_id = t->lake.offsets[i].partition_id;
        }
        b->bucket_id = t->lake.offsets[i].bucket;
        b->has_log_offset = 1;
        b->log_offset = t->lake.offsets[i].offset;
        resp.bucket_snapshots[resp.n_bucket_snapshots++] = b;
    }
    fl_req_respond(req, &resp.base);
}
