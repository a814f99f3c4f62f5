/* fl_tiering.c: see fl_tiering.h. */
#define _GNU_SOURCE
#include "fl_tiering.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fl_iceberg.h"
#include "fl_log.h"
#include "fl_logbatch.h"
#include "fl_paimon.h"
#include "fl_tablet_int.h"
#include "fl_vfs.h"

typedef struct fl_tier_table_s { /* open lake tables, worker-owned */
    int64_t table_id;
    fl_paimon_table_t *pt;     /* format "paimon" */
    fl_iceberg_table_t *it;    /* format "iceberg" */
    int64_t known;             /* the lake snapshot the coordinator records as latest, as far
                                * as this handle knows: another writer (an external tiering
                                * service) committed when a job names a different one */
    struct fl_tier_table_s *next;
} fl_tier_table_t;

struct fl_tierer_s {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fl_tier_job_t *queue, *queue_tail; /* @lock: mu */
    fl_tier_job_t *done;               /* @lock: mu */
    bool stop;                         /* @lock: mu */
    void (*notify)(void *);
    void *arg;
    fl_tier_table_t *tables;           /* worker-owned */
};

void fl_tier_job_free(fl_tier_job_t *job) {
    for (size_t i = 0; i < job->n; i++)
        for (size_t k = 0; k < job->buckets[i].n_slices; k++) fl_logslice_release(&job->buckets[i].slices[k]);
    fl_arena_destroy(job->arena);
}

/* ---- the worker -------------------------------------------------------------------------------- */

static bool fl_tier_is_iceberg(const fl_tier_job_t *job) {
    return job->format && !strcmp(job->format, "iceberg");
}

static fl_tier_table_t *fl_tier_find(fl_tierer_t *t, int64_t table_id) {
    for (fl_tier_table_t *x = t->tables; x; x = x->next)
        if (x->table_id == table_id) return x;
    return NULL;
}

static void fl_tier_table_close(fl_tier_table_t *x) {
    if (x->pt) fl_paimon_table_close(x->pt);
    if (x->it) fl_iceberg_table_close(x->it);
}

static fl_iceberg_table_t *fl_tier_open_iceberg(fl_tierer_t *t, fl_tier_job_t *job) {
    fl_tier_table_t *x = fl_tier_find(t, job->table_id);
    if (x && x->it) return x->it;
    fl_iceberg_opts_t opts;
    fl_iceberg_opts_default(&opts);
    fl_iceberg_table_t *it = NULL;
    const char *why = NULL;
    fl_err_t err = fl_iceberg_table_open(job->warehouse, job->db, job->table, &job->desc, &opts, &it, &why);
    if (err) {
        job->err = err;
        snprintf(job->why, sizeof(job->why), "opening the Iceberg table failed: %s", why ? why : fl_err2str(err));
        return NULL;
    }
    x = fl_calloc(1, sizeof(*x));
    x->table_id = job->table_id;
    x->it = it;
    x->known = job->known_snapshot;
    x->next = t->tables;
    t->tables = x;
    return it;
}

static fl_paimon_table_t *fl_tier_open(fl_tierer_t *t, fl_tier_job_t *job) {
    for (fl_tier_table_t *x = t->tables; x; x = x->next)
        if (x->table_id == job->table_id && x->pt) return x->pt;
    fl_paimon_opts_t opts;
    fl_paimon_opts_default(&opts);
    fl_paimon_table_t *pt = NULL;
    const char *why = NULL;
    fl_err_t err = fl_paimon_table_open(job->warehouse, job->db, job->table, &job->desc, &opts, &pt, &why);
    if (err) {
        job->err = err;
        snprintf(job->why, sizeof(job->why), "opening the Paimon table failed: %s", why ? why : fl_err2str(err));
        return NULL;
    }
    fl_tier_table_t *x = fl_calloc(1, sizeof(*x));
    x->table_id = job->table_id;
    x->pt = pt;
    x->known = job->known_snapshot;
    x->next = t->tables;
    t->tables = x;
    return pt;
}

static void fl_tier_forget(fl_tierer_t *t, int64_t table_id) {
    for (fl_tier_table_t **pp = &t->tables; *pp; pp = &(*pp)->next) {
        if ((*pp)->table_id == table_id) {
            fl_tier_table_t *x = *pp;
            *pp = x->next;
            fl_tier_table_close(x);
            fl_free(x);
            return;
        }
    }
}

/* The offsets file, as Fluss 0.9.1 writes it (TableBucketOffsetsJsonSerde). */
static void fl_tier_offsets_json(const fl_tier_job_t *job, fl_buf_t *out) {
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "{\"version\":1,\"table_id\":%" PRId64 ",", job->table_id);
    fl_buf_put(out, tmp, strlen(tmp));
    int32_t buckets = job->desc.bucket_count;
    if (!job->desc.partition_keys.n) {
        fl_buf_put(out, "\"bucket_offsets\":[", 18);
        for (int32_t b = 0; b < buckets; b++) {
            int64_t off = -1;
            for (size_t i = 0; i < job->n_full; i++)
                if (job->full[i].bucket == b && job->full[i].partition_id < 0) off = job->full[i].offset;
            snprintf(tmp, sizeof(tmp), "%s%" PRId64, b ? "," : "", off);
            fl_buf_put(out, tmp, strlen(tmp));
        }
        fl_buf_put(out, "]}", 2);
        return;
    }
    fl_buf_put(out, "\"partition_offsets\":[", 21);
    bool first = true;
    for (size_t i = 0; i < job->n_full; i++) {
        int64_t pid = job->full[i].partition_id;
        bool seen = false;
        for (size_t k = 0; k < i; k++) seen |= job->full[k].partition_id == pid;
        if (seen) continue;
        snprintf(tmp, sizeof(tmp), "%s{\"partition_id\":%" PRId64 ",\"bucket_offsets\":[", first ? "" : ",", pid);
        fl_buf_put(out, tmp, strlen(tmp));
        first = false;
        for (int32_t b = 0; b < buckets; b++) {
            int64_t off = -1;
            for (size_t k = 0; k < job->n_full; k++)
                if (job->full[k].partition_id == pid && job->full[k].bucket == b) off = job->full[k].offset;
            snprintf(tmp, sizeof(tmp), "%s%" PRId64, b ? "," : "", off);
            fl_buf_put(out, tmp, strlen(tmp));
        }
        fl_buf_put(out, "]}", 2);
    }
    fl_buf_put(out, "]}", 2);
}

/* Parse an offsets file back (resume after a crash). */
static bool fl_tier_read_offsets(fl_tier_job_t *job, const char *path) {
    uint8_t *p = NULL;
    size_t len = 0;
    if (fl_vfs_read_file(path, 16u << 20, &p, &len)) return false;
    json_error_t je;
    json_t *root = json_loadb((const char *)p, len, 0, &je);
    fl_free(p);
    if (!root) return false;
    size_t cap = 64, n = 0;
    fl_tier_full_t *r = fl_arena_alloc(job->arena, cap * sizeof(*r));
    json_t *bo = json_object_get(root, "bucket_offsets");
    json_t *po = json_object_get(root, "partition_offsets");
    for (size_t k = 0; k < (po ? json_array_size(po) : 1); k++) {
        json_t *arr = po ? json_object_get(json_array_get(po, k), "bucket_offsets") : bo;
        int64_t pid = po ? json_integer_value(json_object_get(json_array_get(po, k), "partition_id")) : -1;
        for (size_t b = 0; b < json_array_size(arr); b++) {
            int64_t off = json_integer_value(json_array_get(arr, b));
            if (off < 0) continue;
            if (n == cap) {
                fl_tier_full_t *nr = fl_arena_alloc(job->arena, cap * 2 * sizeof(*nr));
                memcpy(nr, r, cap * sizeof(*nr));
                r = nr;
                cap *= 2;
            }
            r[n++] = (fl_tier_full_t){pid, (int32_t)b, off};
        }
    }
    json_decref(root);
    job->resume = r;
    job->n_resume = n;
    return true;
}

/* Resume check for Iceberg: snapshot ids are random, so "newer than recorded" cannot be an id
 * comparison. The coordinator only ever records snapshots this worker committed, so the
 * lake's newest tiering snapshot is either the recorded one or a later one (committed, then
 * the process died before the record). Any other id is adopted through its offsets file. */
static void fl_tier_resume_iceberg(fl_tier_job_t *job, fl_iceberg_table_t *it) {
    int64_t id = -1, seq = 0;
    fl_buf_t sum;
    fl_buf_init(&sum);
    const char *why = NULL;
    if (fl_iceberg_latest_snapshot(it, FL_ICEBERG_TIERING_USER, &id, &seq, &sum, &why) == FL_ERR_NONE &&
        id >= 0 && id != job->known_snapshot) {
        fl_buf_put_u8(&sum, 0);
        json_t *root = json_loads((const char *)sum.p, 0, NULL);
        const char *path = root ? json_string_value(json_object_get(root, "fluss-offsets")) : NULL;
        if (path && fl_tier_read_offsets(job, path)) {
            job->resumed = true;
            job->resume_snapshot = id;
            fl_log_warn("tiering",
                        "%s.%s: the lake has snapshot %" PRId64 " (sequence %" PRId64 ") that the "
                        "coordinator did not record (a crash after the lake commit); adopting its offsets",
                        job->db, job->table, id, seq);
        }
        json_decref(root);
    }
    fl_buf_free(&sum);
}

static void fl_tier_run(fl_tierer_t *t, fl_tier_job_t *job) {
    int64_t t0 = fl_mono_us();
    job->snapshot_id = -1;
    bool ice = fl_tier_is_iceberg(job);
    fl_tier_table_t *cached = fl_tier_find(t, job->table_id);
    if (cached && cached->known != job->known_snapshot) {
        /* someone else committed since this handle's last round (Fluss's tiering service held
         * the table meanwhile): reopen from the lake's current state */
        fl_log_info("tiering", "%s.%s: lake snapshot %" PRId64 " was committed by another writer; reopening the table",
                    job->db, job->table, job->known_snapshot);
        fl_tier_forget(t, job->table_id);
    }
    fl_paimon_table_t *pt = NULL;
    fl_iceberg_table_t *ice_t = NULL;
    if (ice) {
        ice_t = fl_tier_open_iceberg(t, job);
        if (!ice_t) return;
        if (job->check_resume) {
            fl_tier_resume_iceberg(job, ice_t);
            if (job->resumed) return;
        }
    } else {
        pt = fl_tier_open(t, job);
        if (!pt) return;
    }
    if (!ice && job->check_resume) {
        int64_t id = 0;
        fl_buf_t props;
        fl_buf_init(&props);
        const char *why = NULL;
        if (fl_paimon_latest_snapshot(pt, FL_PAIMON_TIERING_USER, &id, &props, &why) == FL_ERR_NONE &&
            id > job->known_snapshot && id > 0) {
            fl_buf_put_u8(&props, 0);
            json_t *root = json_loads((const char *)props.p, 0, NULL);
            const char *path = root ? json_string_value(json_object_get(root, "fluss-offsets")) : NULL;
            if (path && fl_tier_read_offsets(job, path)) {
                job->resumed = true;
                job->resume_snapshot = id;
                fl_log_warn("tiering",
                            "%s.%s: the lake has snapshot %" PRId64 " that the coordinator did not "
                            "record (a crash after the lake commit); adopting its offsets",
                            job->db, job->table, id);
            }
            json_decref(root);
        }
        fl_buf_free(&props);
        if (job->resumed) return;
    }
    fl_paimon_round_t *round = NULL;
    fl_iceberg_round_t *iround = NULL;
    if (ice) iround = fl_iceberg_round_begin(ice_t);
    else round = fl_paimon_round_begin(pt);
    if (!round && !iround) {
        job->err = FL_ERR__INVAL;
        snprintf(job->why, sizeof(job->why), "a round is already open");
        return;
    }
    fl_buf_t data;
    fl_buf_init(&data);
    for (size_t i = 0; i < job->n && !job->err; i++) {
        fl_tier_bucket_t *b = &job->buckets[i];
        b->max_ts = -1;
        for (size_t k = 0; k < b->n_slices && !job->err; k++) {
            fl_logslice_t *sl = &b->slices[k];
            fl_buf_reset(&data);
            uint8_t *dst = fl_buf_extend(&data, sl->len);
            ssize_t r = fl_read_full(sl->fd, dst, sl->len, (off_t)sl->pos);
            if (r < 0 || (uint64_t)r != sl->len) {
                job->err = FL_ERR_LOG_STORAGE_EXCEPTION;
                snprintf(job->why, sizeof(job->why), "reading the log failed: %s", strerror(errno));
                break;
            }
            job->bytes += sl->len;
            fl_logbatch_iter_t it;
            fl_logbatch_iter_init(&it, data.p, data.len, UINT32_MAX, true);
            fl_logbatch_t lb;
            int rc;
            while (!job->err && (rc = fl_logbatch_iter_next(&it, &lb)) == 1) {
                if (fl_logbatch_next_offset(&lb) <= b->start || lb.base_offset >= b->end) continue;
                fl_arena_t *a = fl_arena_new(0);
                fl_datum_t **rows = NULL;
                uint8_t *types = NULL;
                size_t n = 0;
                fl_err_t err = fl_tablet_decode_batch(&job->info, a, &lb, &rows, &types, &n);
                if (err) {
                    job->err = err;
                    snprintf(job->why, sizeof(job->why), "batch at offset %" PRId64 " does not decode: %s",
                             lb.base_offset, fl_err2name(err));
                }
                for (size_t x = 0; x < n && !job->err; x++) {
                    int64_t off = lb.base_offset + (int64_t)x;
                    if (off < b->start || off >= b->end) continue;
                    int ct = types[x] == 0 ? FL_PAIMON_APPEND_ONLY : types[x];
                    if (ice)
                        err = fl_iceberg_round_add(iround, b->partition_name, b->bucket, rows[x], ct, off,
                                                   lb.commit_timestamp);
                    else
                        err = fl_paimon_round_add(round, b->partition_name, b->bucket, rows[x], ct, off,
                                                  lb.commit_timestamp);
                    if (err) {
                        job->err = err;
                        snprintf(job->why, sizeof(job->why), "row at offset %" PRId64 " refused by the %s writer",
                                 off, ice ? "Iceberg" : "Paimon");
                    }
                    b->rows++;
                }
                if (lb.commit_timestamp > b->max_ts) b->max_ts = lb.commit_timestamp;
                fl_arena_destroy(a);
            }
            if (!job->err && rc < 0) {
                job->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
                snprintf(job->why, sizeof(job->why), "corrupt batch in the log: %s", it.why ? it.why : "");
            }
        }
        job->rows += b->rows;
    }
    fl_buf_free(&data);
    if (job->err) {
        if (ice) fl_iceberg_round_abort(iround);
        else fl_paimon_round_abort(round);
        fl_tier_forget(t, job->table_id); /* reopen next time from the lake's state */
        return;
    }
    /* offsets file first, then the snapshot that names it */
    char name[96], path[1024];
    snprintf(name, sizeof(name), "%016" PRIx64 "-%" PRId64 ".offsets", (uint64_t)fl_now_ms(), job->table_id);
    snprintf(path, sizeof(path), "%s/%s", job->offsets_dir, name);
    fl_buf_t off;
    fl_buf_init(&off);
    fl_tier_offsets_json(job, &off);
    fl_err_t err = fl_vfs_write_durable(job->offsets_dir, name, off.p, off.len);
    fl_buf_free(&off);
    if (err) {
        if (ice) fl_iceberg_round_abort(iround);
        else fl_paimon_round_abort(round);
        job->err = err;
        snprintf(job->why, sizeof(job->why), "writing the offsets file %s failed", path);
        return;
    }
    const char *props[] = {"fluss-offsets", path, NULL};
    const char *why = NULL;
    if (ice)
        err = fl_iceberg_round_commit(iround, FL_ICEBERG_TIERING_USER, props, &job->snapshot_id, &why);
    else
        err = fl_paimon_round_commit(round, FL_PAIMON_TIERING_USER, props, &job->snapshot_id, &why);
    if (err) {
        job->err = err;
        snprintf(job->why, sizeof(job->why), "%s commit failed: %s", ice ? "Iceberg" : "Paimon",
                 why ? why : fl_err2str(err));
        fl_tier_forget(t, job->table_id);
    } else if (job->snapshot_id >= 0) {
        fl_tier_table_t *x = fl_tier_find(t, job->table_id);
        if (x) x->known = job->snapshot_id;
    }
    job->elapsed_us = fl_mono_us() - t0;
}

static void *fl_tier_main(void *arg) {
    fl_tierer_t *t = arg;
    /* a lower priority than the event loop: tiering yields the CPU to client traffic */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->queue && !t->stop) pthread_cond_wait(&t->cv, &t->mu);
        if (t->stop) break;
        fl_tier_job_t *job = t->queue;
        t->queue = job->next;
        if (!t->queue) t->queue_tail = NULL;
        pthread_mutex_unlock(&t->mu);
        fl_tier_run(t, job);
        pthread_mutex_lock(&t->mu);
        job->next = t->done;
        t->done = job;
        pthread_mutex_unlock(&t->mu);
        t->notify(t->arg);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

fl_tierer_t *fl_tierer_new(void (*notify)(void *), void *arg) {
    fl_tierer_t *t = fl_calloc(1, sizeof(*t));
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->notify = notify;
    t->arg = arg;
    if (pthread_create(&t->thread, NULL, fl_tier_main, t) != 0) {
        fl_log_error("tiering", "pthread_create() failed: %s", strerror(errno));
        fl_free(t);
        return NULL;
    }
    return t;
}

void fl_tierer_submit(fl_tierer_t *t, fl_tier_job_t *job) {
    job->next = NULL;
    pthread_mutex_lock(&t->mu);
    if (t->queue_tail) t->queue_tail->next = job;
    else t->queue = job;
    t->queue_tail = job;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

fl_tier_job_t *fl_tierer_take_done(fl_tierer_t *t) {
    pthread_mutex_lock(&t->mu);
    fl_tier_job_t *j = t->done;
    if (j) t->done = j->next;
    pthread_mutex_unlock(&t->mu);
    return j;
}

void fl_tierer_stop(fl_tierer_t *t) {
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    /* queued, never started: hand back as failed */
    pthread_mutex_lock(&t->mu);
    while (t->queue) {
        fl_tier_job_t *j = t->queue;
        t->queue = j->next;
        j->err = FL_ERR__CLOSED;
        snprintf(j->why, sizeof(j->why), "server stopping");
        j->next = t->done;
        t->done = j;
    }
    t->queue_tail = NULL;
    pthread_mutex_unlock(&t->mu);
}

void fl_tierer_free(fl_tierer_t *t) {
    if (!t) return;
    while (t->tables) {
        fl_tier_table_t *x = t->tables;
        t->tables = x->next;
        fl_tier_table_close(x);
        fl_free(x);
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    fl_free(t);
}
