/* fl_tablet.c: see fl_tablet.h. */
#include "fl_tablet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_log.h"
#include "fl_logbatch.h"
#include "fl_tabledesc.h"
#include "fl_vfs.h"

#define FL_WRITER_SNAPSHOT "writer-state.snapshot"

#include "fl_tablet_int.h"


/* ---- helpers ------------------------------------------------------------------------------ */

/* rm -rf through the VFS (one level of bucket directories holds only files). */
static void fl_rmtree(const char *path) {
    DIR *d = fl_vfs->opendir(path);
    if (!d) return;
    struct dirent *e;
    char child[1024];
    while ((e = fl_vfs->readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (fl_vfs->unlink(child) != 0) fl_rmtree(child);
    }
    fl_vfs->closedir(d);
    rmdir(path);
}

static int fl_rkey_cmp(const fl_replica_t *r, int64_t t, int64_t p, int32_t b) {
    if (r->table_id != t) return r->table_id < t ? -1 : 1;
    if (r->partition_id != p) return r->partition_id < p ? -1 : 1;
    if (r->bucket != b) return r->bucket < b ? -1 : 1;
    return 0;
}

static size_t fl_rpos(const fl_tablet_t *tb, int64_t t, int64_t p, int32_t b, bool *found) {
    size_t lo = 0, hi = tb->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = fl_rkey_cmp(tb->replicas[mid], t, p, b);
        if (!c) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

static void fl_table_unref(fl_table_ref_t *t) {
    if (--t->refs > 0) return;
    fl_arena_destroy(t->arena);
    fl_free(t);
}

/* The aggregate function of each column (Fluss AggregationContext): primary-key columns keep
 * the last value; a column without agg_function, or with a name Fluss does not know (its
 * schema deserializer drops those), gets last_value_ignore_nulls. */
static void fl_table_agg_fns(fl_table_ref_t *t, const fl_tablet_table_info_t *info) {
    static const struct { const char *name; fl_agg_fn_t fn; } names[] = {
        {"LAST_VALUE_IGNORE_NULLS", FL_AGG_LAST_VALUE_IGNORE_NULLS},
        {"LAST_VALUE", FL_AGG_LAST_VALUE},
        {"FIRST_VALUE", FL_AGG_FIRST_VALUE},
        {"FIRST_VALUE_IGNORE_NULLS", FL_AGG_FIRST_VALUE_IGNORE_NULLS},
        {"SUM", FL_AGG_SUM},
        {"PRODUCT", FL_AGG_PRODUCT},
        {"MAX", FL_AGG_MAX},
        {"MIN", FL_AGG_MIN},
        {"LISTAGG", FL_AGG_LISTAGG},
        {"STRING_AGG", FL_AGG_LISTAGG},
        {"BOOL_AND", FL_AGG_BOOL_AND},
        {"BOOL_OR", FL_AGG_BOOL_OR},
        {"RBM32", FL_AGG_RBM32},
        {"RBM64", FL_AGG_RBM64},
    };
    uint32_t n = info->row_type->n_children;
    t->agg_fn = fl_arena_calloc(t->arena, n + 1);
    t->agg_delim = fl_arena_calloc(t->arena, (n + 1) * sizeof(char *));
    for (uint32_t c = 0; c < n; c++) {
        t->agg_delim[c] = ",";
        bool key = false;
        for (uint32_t k = 0; k < info->n_pk; k++) key |= info->pk_idx[k] == c;
        if (key) {
            t->agg_fn[c] = FL_AGG_LAST_VALUE;
            continue;
        }
        const fl_column_t *col = info->cols ? &info->cols[c] : NULL;
        if (!col || !col->agg_type) continue;
        char up[32];
        size_t i = 0;
        const char *p = col->agg_type;
        while (*p == ' ' || *p == '\t') p++;
        for (; *p && i < sizeof(up) - 1; p++, i++)
            up[i] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        while (i > 0 && (up[i - 1] == ' ' || up[i - 1] == '\t')) i--;
        up[i] = '\0';
        for (size_t k = 0; k < FL_ARRAY_LEN(names); k++)
            if (!strcmp(up, names[k].name)) t->agg_fn[c] = (uint8_t)names[k].fn;
        const char *d = fl_kvs_get(&col->agg_params, "delimiter");
        if (d && *d) t->agg_delim[c] = fl_arena_strndup(t->arena, d, strlen(d));
    }
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

fl_tablet_t *fl_tablet_new(const fl_tablet_conf_t *conf, int32_t server_id) {
    fl_tablet_t *tb = fl_calloc(1, sizeof(*tb));
    tb->conf = *conf;
    snprintf(tb->data_dir, sizeof(tb->data_dir), "%s/tablet", conf->data_dir);
    tb->conf.data_dir = tb->data_dir;
    tb->server_id = server_id;
    if (conf->write_behind) {
        tb->io = fl_logio_new();
        if (!tb->io)
            fl_log_warn("tablet", "cannot start the log I/O threads; writing on the event loop");
    }
    return tb;
}

int fl_tablet_io_fd(const fl_tablet_t *tb) {
    return tb->io ? fl_logio_fd(tb->io) : -1;
}

static void fl_replica_write_writer_snapshot(fl_replica_t *r) {
    fl_buf_t b;
    fl_buf_init(&b);
    fl_writers_snapshot(r->writers, fl_logstore_flushed_offset(r->log), &b);
    fl_err_t err = fl_vfs_write_durable(r->dir, FL_WRITER_SNAPSHOT, b.p, b.len);
    if (err)
        fl_log_warn("tablet", "writer-state snapshot of %s not written: %s", r->dir,
                    fl_err2name(err));
    fl_buf_free(&b);
}

static void fl_replica_close(fl_replica_t *r, bool delete_data) {
    if (r->log && fl_logstore_io_pending(r->log)) {
        /* let the writes in flight land (and be committed to the KV index) first */
        fl_logstore_flush(r->log, fl_now_ms());
        if (!fl_logstore_failed(r->log) && r->table->info.has_primary_key)
            fl_logstore_set_high_watermark(r->log, fl_logstore_written_offset(r->log));
    }
    fl_kv_close(r, delete_data);
    if (r->log) {
        if (delete_data) {
            fl_logstore_abandon(r->log);
        } else {
            fl_err_t err = fl_logstore_flush(r->log, fl_now_ms());
            if (!err) fl_replica_write_writer_snapshot(r);
            err = fl_logstore_close(r->log);
            if (err) fl_log_error("tablet", "closing log %s failed: %s", r->dir, fl_err2name(err));
        }
    }
    if (delete_data) fl_rmtree(r->dir);
    fl_writers_free(r->writers);
    fl_table_unref(r->table);
    fl_free(r);
}

void fl_tablet_free(fl_tablet_t *tb) {
    if (!tb) return;
    if (tb->io) fl_logio_drain(tb->io, fl_now_ms());
    for (size_t i = 0; i < tb->n; i++) fl_replica_close(tb->replicas[i], false);
    fl_logio_free(tb->io);
    fl_free(tb->replicas);
    fl_free(tb);
}

/* Rebuild writer state: the snapshot, then the batch headers after it. */
static void fl_replica_recover_writers(fl_replica_t *r) {
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", r->dir, FL_WRITER_SNAPSHOT);
    uint8_t *p = NULL;
    size_t len = 0;
    int64_t from = fl_logstore_start_offset(r->log);
    fl_err_t err = fl_vfs_read_file(path, 64u << 20, &p, &len);
    if (!err) {
        int64_t end = 0;
        if (fl_writers_load(r->writers, p, len, &end) == FL_ERR_NONE) {
            from = FL_MAX(end, from);
        } else {
            fl_log_warn("tablet", "writer-state snapshot %s is corrupt; rebuilding from the log",
                        path);
            fl_writers_free(r->writers);
            r->writers = fl_writers_new();
        }
        fl_free(p);
    }
    int64_t end = fl_logstore_end_offset(r->log);
    fl_buf_t buf;
    fl_buf_init(&buf);
    int64_t now = fl_now_ms();
    size_t replayed = 0;
    while (from < end) {
        fl_buf_reset(&buf);
        int64_t next = from;
        if (fl_logstore_read_copy(r->log, from, 4u << 20, end, true, &buf, &next) || next <= from)
            break;
        fl_logbatch_iter_t it;
        fl_logbatch_iter_init(&it, buf.p, buf.len, 1u << 30, false);
        fl_logbatch_t b;
        while (fl_logbatch_iter_next(&it, &b) == 1) {
            if (b.writer_id != FL_LOGBATCH_NO_WRITER_ID && b.base_offset >= from) {
                fl_writers_update(r->writers, b.writer_id, b.batch_sequence, b.base_offset,
                                  fl_logbatch_next_offset(&b) - 1, b.commit_timestamp, now);
                replayed++;
            }
        }
        from = next;
    }
    fl_buf_free(&buf);
    if (replayed || fl_writers_count(r->writers))
        fl_log_info("tablet", "%s: %zu idempotent writer(s) restored (%zu batch header(s) replayed)",
                    r->dir, fl_writers_count(r->writers), replayed);
}

fl_replica_t *fl_tablet_lead(fl_tablet_t *tb, const fl_tablet_table_info_t *info,
                             int64_t partition_id, int32_t bucket, int32_t leader_epoch,
                             fl_err_t *err, const char **why) {
    bool found;
    size_t pos = fl_rpos(tb, info->table_id, partition_id, bucket, &found);
    if (found) {
        fl_replica_t *r = tb->replicas[pos];
        if (leader_epoch > r->leader_epoch) r->leader_epoch = leader_epoch;
        return r;
    }
    fl_replica_t *r = fl_calloc(1, sizeof(*r));
    r->table_id = info->table_id;
    r->partition_id = partition_id;
    r->bucket = bucket;
    r->leader_epoch = leader_epoch;
    if (partition_id >= 0)
        snprintf(r->dir, sizeof(r->dir), "%s/%" PRId64 "/p%" PRId64 "-%d", tb->data_dir,
                 info->table_id, partition_id, bucket);
    else
        snprintf(r->dir, sizeof(r->dir), "%s/%" PRId64 "/%d", tb->data_dir, info->table_id, bucket);
    /* share the table info among the table's replicas */
    for (size_t i = 0; i < tb->n; i++) {
        if (tb->replicas[i]->table_id == info->table_id) {
            r->table = tb->replicas[i]->table;
            r->table->refs++;
            break;
        }
    }
    if (!r->table) {
        r->table = fl_calloc(1, sizeof(*r->table));
        r->table->arena = fl_arena_new(0);
        r->table->refs = 1;
        r->table->info = *info;
        fl_type_t *rt = fl_arena_alloc(r->table->arena, sizeof(*rt));
        fl_type_copy(r->table->arena, info->row_type, rt);
        r->table->info.row_type = rt;
        if (info->has_primary_key) fl_table_agg_fns(r->table, info);
        r->table->info.cols = NULL;
    }
    r->writers = fl_writers_new();
    if (fl_vfs_mkdirs(r->dir)) {
        *err = FL_ERR_LOG_STORAGE_EXCEPTION;
        *why = "cannot create the bucket directory";
        fl_log_error("tablet", "mkdir() failed: %s (%s)", strerror(errno), r->dir);
        fl_replica_close(r, false);
        return NULL;
    }
    fl_logstore_open_stats_t st;
    fl_err_t e = fl_logstore_open(r->dir, &tb->conf.log, &r->log, &st);
    if (e) {
        *err = FL_ERR_LOG_STORAGE_EXCEPTION;
        *why = "cannot open the bucket's log";
        fl_log_error("tablet", "opening log %s failed: %s", r->dir, fl_err2name(e));
        r->log = NULL;
        fl_replica_close(r, false);
        return NULL;
    }
    fl_logstore_set_io(r->log, tb->io);
    if (st.bytes_cut)
        fl_log_warn("tablet", "%s: recovery cut %" PRIu64 " byte(s) at %s position %" PRIu64 ": %s",
                    r->dir, st.bytes_cut, st.cut_file, st.cut_pos, st.cut_reason);
    fl_replica_recover_writers(r);
    /* everything recovered is durable (it survived), so it is visible */
    fl_logstore_set_high_watermark(r->log, fl_logstore_end_offset(r->log));
    if (info->has_primary_key) {
        fl_err_t kerr = fl_kv_open(tb, r, why);
        if (kerr) {
            *err = kerr;
            fl_log_error("tablet", "opening the KV index of %s failed: %s", r->dir, *why);
            fl_replica_close(r, false);
            return NULL;
        }
    }
    r->last_checkpoint_ms = r->last_retention_ms = fl_now_ms();
    if (tb->n == tb->cap) {
        tb->cap = tb->cap ? tb->cap * 2 : 16;
        tb->replicas = fl_realloc(tb->replicas, tb->cap * sizeof(*tb->replicas));
    }
    memmove(&tb->replicas[pos + 1], &tb->replicas[pos], (tb->n - pos) * sizeof(*tb->replicas));
    tb->replicas[pos] = r;
    tb->n++;
    fl_log_info("tablet", "leading bucket %d of table %" PRId64 "%s (log %s: offsets %" PRId64
                          "..%" PRId64 ", recovered in %" PRId64 " us)",
                bucket, info->table_id, partition_id >= 0 ? " (partitioned)" : "", r->dir,
                fl_logstore_start_offset(r->log), fl_logstore_end_offset(r->log), st.elapsed_us);
    return r;
}

fl_replica_t *fl_tablet_replica(fl_tablet_t *tb, int64_t table_id, int64_t partition_id,
                                int32_t bucket) {
    bool found;
    size_t pos = fl_rpos(tb, table_id, partition_id, bucket, &found);
    return found ? tb->replicas[pos] : NULL;
}

static void fl_tablet_drop_where(fl_tablet_t *tb, int64_t table_id, bool any_partition,
                                 int64_t partition_id) {
    size_t k = 0;
    for (size_t i = 0; i < tb->n; i++) {
        fl_replica_t *r = tb->replicas[i];
        if (r->table_id == table_id && (any_partition || r->partition_id == partition_id)) {
            fl_log_info("tablet", "dropping bucket %d of table %" PRId64 " (%s)", r->bucket,
                        r->table_id, r->dir);
            fl_replica_close(r, true);
        } else {
            tb->replicas[k++] = r;
        }
    }
    tb->n = k;
}

void fl_tablet_drop_table(fl_tablet_t *tb, int64_t table_id) {
    fl_tablet_drop_where(tb, table_id, true, -1);
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/%" PRId64, tb->data_dir, table_id);
    rmdir(dir);
}

void fl_tablet_drop_partition(fl_tablet_t *tb, int64_t table_id, int64_t partition_id) {
    fl_tablet_drop_where(tb, table_id, false, partition_id);
}

size_t fl_tablet_retain(fl_tablet_t *tb, fl_tablet_exists_cb *exists, void *arg) {
    size_t k = 0, dropped = 0;
    for (size_t i = 0; i < tb->n; i++) {
        fl_replica_t *r = tb->replicas[i];
        if (exists(r->table_id, r->partition_id, arg)) {
            tb->replicas[k++] = r;
            continue;
        }
        fl_log_info("tablet", "bucket %d of table %" PRId64 " no longer exists; deleting %s",
                    r->bucket, r->table_id, r->dir);
        int64_t table_id = r->table_id;
        fl_replica_close(r, true);
        dropped++;
        char dir[600];
        snprintf(dir, sizeof(dir), "%s/%" PRId64, tb->data_dir, table_id);
        rmdir(dir); /* succeeds once the table's last bucket is gone */
    }
    tb->n = k;
    return dropped;
}

size_t fl_tablet_replica_count(const fl_tablet_t *tb) {
    return tb->n;
}

/* ---- append --------------------------------------------------------------------------------- */

static void fl_replica_append_x(fl_replica_t *r, fl_arena_t *a, uint8_t *records, size_t len,
                                int64_t now_ms, bool inplace, fl_append_result_t *res);

void fl_replica_append(fl_replica_t *r, fl_arena_t *a, uint8_t *records, size_t len,
                       int64_t now_ms, fl_append_result_t *res) {
    fl_replica_append_x(r, a, records, len, now_ms, false, res);
}

void fl_replica_append_inplace(fl_replica_t *r, fl_arena_t *a, uint8_t *records, size_t len,
                               int64_t now_ms, fl_append_result_t *res) {
    fl_replica_append_x(r, a, records, len, now_ms, true, res);
}

bool fl_replica_writes_pending(const fl_replica_t *r) {
    return fl_logstore_io_pending(r->log);
}

static void fl_replica_free_copy(void *arg) {
    fl_free(arg);
}

static void fl_replica_append_x(fl_replica_t *r, fl_arena_t *a, uint8_t *records, size_t len,
                                int64_t now_ms, bool inplace, fl_append_result_t *res) {
    memset(res, 0, sizeof(*res));
    if (fl_logstore_failed(r->log)) {
        res->err = FL_ERR_LOG_STORAGE_EXCEPTION;
        res->why = fl_arena_sprintf(a, "The log of bucket %d is failed after an I/O error.", r->bucket);
        return;
    }
    /* 1. every batch whole and valid, one writer sequence chain */
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, records, len, r->log ? UINT32_MAX : 0, true);
    fl_logbatch_t b;
    size_t nb = 0;
    int64_t wid = FL_LOGBATCH_NO_WRITER_ID;
    int32_t first_seq = 0, seq_next = 0;
    int rc;
    while ((rc = fl_logbatch_iter_next(&it, &b)) == 1) {
        if (b.schema_id < 1 || b.schema_id > r->table->info.schema_id) {
            res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
            res->why = fl_arena_sprintf(a, "Batch at byte %zu has unknown schema id %d (table has %d).",
                                        it.off - b.size, b.schema_id, r->table->info.schema_id);
            return;
        }
        if (nb == 0) {
            wid = b.writer_id;
            first_seq = b.batch_sequence;
        } else if (b.writer_id != wid || (wid != FL_LOGBATCH_NO_WRITER_ID && b.batch_sequence != seq_next)) {
            res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
            res->why = "Batches of one request must come from one writer in sequence.";
            return;
        }
        seq_next = b.batch_sequence + 1;
        nb++;
    }
    if (rc < 0 || it.trailing || nb == 0) {
        res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
        res->why = rc < 0 ? fl_arena_sprintf(a, "Record is corrupt at byte %zu in table bucket %d: %s",
                                             it.off, r->bucket, it.why ? it.why : fl_err2str(it.err))
                          : fl_arena_sprintf(a, "Cannot append record batch with illegal length %zu "
                                                "to log for table bucket %d.",
                                             it.trailing ? it.trailing : len, r->bucket);
        if (rc < 0 && it.err == FL_ERR_RECORD_TOO_LARGE_EXCEPTION) res->err = it.err;
        return;
    }
    /* 2. idempotence */
    if (wid != FL_LOGBATCH_NO_WRITER_ID) {
        fl_writer_batch_t dup;
        int32_t last;
        fl_seq_verdict_t v = fl_writers_check(r->writers, wid, first_seq, &dup, &last);
        if (v == FL_SEQ_DUPLICATE) {
            res->duplicate = true;
            res->base_offset = dup.first_offset;
            res->next_offset = dup.last_offset + 1;
            return;
        }
        if (v == FL_SEQ_OUT_OF_ORDER) {
            res->err = FL_ERR_OUT_OF_ORDER_SEQUENCE_EXCEPTION;
            res->why = fl_arena_sprintf(a,
                                        "Out of order batch sequence for writer %" PRId64
                                        " in table-bucket %d : %d (incoming batch seq.), %d "
                                        "(current batch seq.)",
                                        wid, r->bucket, first_seq, last);
            return;
        }
    }
    /* 3. append (stamps offsets and commit timestamp in place; written behind when the
     * tablet has I/O threads, from a copy unless the caller keeps records alive) */
    fl_append_info_t info;
    fl_err_t err;
    if (!fl_logstore_io(r->log)) {
        err = fl_logstore_append(r->log, records, len, now_ms, &info);
    } else if (inplace) {
        err = fl_logstore_append_async(r->log, records, len, now_ms, NULL, NULL, &info);
    } else {
        uint8_t *copy = fl_malloc(len);
        memcpy(copy, records, len);
        records = copy;
        err = fl_logstore_append_async(r->log, copy, len, now_ms, fl_replica_free_copy, copy, &info);
        if (err) fl_free(copy);
    }
    if (err) {
        res->err = err == FL_ERR_RECORD_TOO_LARGE_EXCEPTION ? err : FL_ERR_LOG_STORAGE_EXCEPTION;
        res->why = fl_arena_sprintf(a, "Append to bucket %d failed: %s", r->bucket, fl_err2str(err));
        return;
    }
    if (wid != FL_LOGBATCH_NO_WRITER_ID) {
        fl_logbatch_iter_init(&it, records, len, UINT32_MAX, false);
        while (fl_logbatch_iter_next(&it, &b) == 1)
            fl_writers_update(r->writers, b.writer_id, b.batch_sequence, b.base_offset,
                              fl_logbatch_next_offset(&b) - 1, b.commit_timestamp, now_ms);
    }
    r->dirty = true;
    res->base_offset = info.base_offset;
    res->next_offset = info.next_offset;
}

/* ---- group commit ------------------------------------------------------------------------------ */

static bool fl_tablet_commit_x(fl_tablet_t *tb, int64_t now_ms, bool wait) {
    bool moved = false;
    if (tb->io) {
        if (wait) fl_logio_drain(tb->io, now_ms);
        else fl_logio_complete(tb->io, now_ms);
    }
    for (size_t i = 0; i < tb->n; i++) {
        fl_replica_t *r = tb->replicas[i];
        if (fl_logstore_failed(r->log)) continue;
        bool due = fl_logstore_flush_due(r->log, now_ms);
        if (r->dirty || due) {
            if (due && !fl_logstore_sync_busy(r->log)) {
                /* on the sync thread with write-behind (finished by a later commit) */
                fl_err_t err = wait ? fl_logstore_flush(r->log, now_ms)
                                    : fl_logstore_sync_start(r->log, now_ms);
                if (err)
                    fl_log_error("tablet", "flush of %s failed: %s; the bucket stops accepting writes",
                                 r->dir, fl_err2name(err));
            }
            if (fl_logstore_failed(r->log)) continue;
            /* never past what is written (the high watermark bounds every read) */
            int64_t visible = tb->conf.log.flush_policy == FL_FLUSH_EVERY_BATCH
                                  ? fl_logstore_flushed_offset(r->log)
                                  : fl_logstore_written_offset(r->log);
            if (visible > fl_logstore_high_watermark(r->log)) {
                fl_logstore_set_high_watermark(r->log, visible);
                moved = true;
            }
            r->dirty = fl_logstore_high_watermark(r->log) < fl_logstore_end_offset(r->log);
            if (r->kv && fl_kv_commit(r))
                fl_log_error("tablet", "%s: writing committed changes to the KV index failed", r->dir);
        }
        if (now_ms - r->last_checkpoint_ms >= tb->conf.checkpoint_interval_ms) {
            r->last_checkpoint_ms = now_ms;
            if (fl_logstore_checkpoint(r->log) == FL_ERR_NONE) fl_replica_write_writer_snapshot(r);
            fl_kv_checkpoint(r);
            fl_writers_expire(r->writers, now_ms, tb->conf.writer_expire_ms);
        }
        if (now_ms - r->last_retention_ms >= tb->conf.retention_check_ms) {
            r->last_retention_ms = now_ms;
            uint32_t deleted = 0;
            fl_logstore_retain(r->log, now_ms, r->table->info.ttl_ms, 0, &deleted);
            if (deleted)
                fl_log_info("tablet", "%s: table.log.ttl removed %u segment(s); log starts at %" PRId64,
                            r->dir, deleted, fl_logstore_start_offset(r->log));
        }
    }
    return moved;
}

bool fl_tablet_commit(fl_tablet_t *tb, int64_t now_ms) {
    return fl_tablet_commit_x(tb, now_ms, false);
}

bool fl_tablet_commit_wait(fl_tablet_t *tb, int64_t now_ms) {
    return fl_tablet_commit_x(tb, now_ms, true);
}

/* ---- reads ---------------------------------------------------------------------------------- */

int64_t fl_replica_high_watermark(const fl_replica_t *r) { return fl_logstore_high_watermark(r->log); }
int64_t fl_replica_start_offset(const fl_replica_t *r) { return fl_logstore_start_offset(r->log); }
int64_t fl_replica_end_offset(const fl_replica_t *r) { return fl_logstore_end_offset(r->log); }
fl_logstore_t *fl_replica_log(fl_replica_t *r) { return r->log; }
const fl_tablet_table_info_t *fl_replica_table(const fl_replica_t *r) { return &r->table->info; }
bool fl_replica_failed(const fl_replica_t *r) { return fl_logstore_failed(r->log); }

fl_err_t fl_replica_list_offset(fl_replica_t *r, int type, int64_t ts, int64_t *offset) {
    switch (type) {
    case 0:
        *offset = fl_logstore_start_offset(r->log);
        return FL_ERR_NONE;
    case 1:
        *offset = fl_logstore_high_watermark(r->log);
        return FL_ERR_NONE;
    case 2: {
        fl_err_t err = fl_logstore_offset_for_time(r->log, ts, offset);
        if (!err && *offset > fl_logstore_high_watermark(r->log))
            *offset = fl_logstore_high_watermark(r->log);
        return err;
    }
    default:
        return FL_ERR__INVAL;
    }
}

/* 41 bits of milliseconds, 10 bits of server id, 12 bits of a per-ms counter: unique across
 * restarts (as long as the clock does not run backwards by more than it ran forward) and
 * across tablet servers. */
int64_t fl_tablet_new_writer_id(fl_tablet_t *tb, int64_t now_ms) {
    if (now_ms > tb->last_writer_ms) {
        tb->last_writer_ms = now_ms;
        tb->writer_counter = 0;
    } else if (++tb->writer_counter >= 4096) {
        tb->last_writer_ms++;
        tb->writer_counter = 0;
    }
    return ((tb->last_writer_ms & ((1LL << 41) - 1)) << 22) |
           ((int64_t)(tb->server_id & 1023) << 12) | tb->writer_counter;
}
