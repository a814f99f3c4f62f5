/* fl_tiermgr.c: the tiering assignment state machine and the offsets file codec (see
 * fl_tiermgr.h for the states, the rule and the file format).
 *
 * Tables are kept in an array sorted by table id (binary search); the manager belongs to the
 * loop thread (@owner: loop). */
#include "fl_tiermgr.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fl_config.h"
#include "fl_log.h"

typedef struct fl_tier_entry_s {
    int64_t table_id;
    fl_tier_state_t state;
    int64_t epoch;        /* tiering epoch: +1 on every move to PENDING */
    int64_t freshness_ms; /* table.datalake.freshness */
    int64_t last_ms;      /* SCHEDULED: the last round (due at last_ms + freshness_ms) */
    int64_t hb_ms;        /* EXTERNAL: the last heartbeat naming the table */
    uint64_t pending_seq; /* PENDING: order of arrival (request_table hands out the lowest) */
    uint64_t gen;         /* sync round that last saw the table in the catalog */
    bool ready;           /* rule 4: the lake table exists */
} fl_tier_entry_t;

struct fl_tiermgr_s {
    fl_tier_entry_t *t;   /* ascending table_id */
    size_t n, cap;
    int32_t coordinator_epoch;
    int64_t timeout_ms;
    bool need_ready;
    int64_t external_hb_ms; /* last heartbeat from any external service, INT64_MIN: none */
    uint64_t seq;
    uint64_t gen;
};

static const char *fl_tier_state_name(fl_tier_state_t s) {
    switch (s) {
    case FL_TIER_SCHEDULED: return "Scheduled";
    case FL_TIER_PENDING: return "Pending";
    case FL_TIER_LOCAL: return "Tiering (in-process)";
    case FL_TIER_EXTERNAL: return "Tiering";
    }
    return "?";
}

fl_tiermgr_t *fl_tiermgr_new(int32_t coordinator_epoch, int64_t timeout_ms, bool need_ready) {
    fl_tiermgr_t *m = fl_calloc(1, sizeof(*m));
    m->coordinator_epoch = coordinator_epoch;
    m->timeout_ms = timeout_ms > 0 ? timeout_ms : FL_TIERMGR_TIMEOUT_MS;
    m->need_ready = need_ready;
    m->external_hb_ms = INT64_MIN;
    return m;
}

int32_t fl_tiermgr_next_coordinator_epoch(fl_metastore_t *ms) {
    static const char key[] = "tiering/coordinator_epoch";
    fl_buf_t v;
    fl_buf_init(&v);
    int64_t prev = -1;
    fl_err_t err = fl_metastore_get(ms, key, &v);
    if (err == FL_ERR_NONE) {
        char tmp[32];
        size_t n = v.len < sizeof(tmp) - 1 ? v.len : sizeof(tmp) - 1;
        memcpy(tmp, v.p, n);
        tmp[n] = 0;
        char *end = NULL;
        prev = strtoll(tmp, &end, 10);
        if (end == tmp || prev < 0 || prev >= INT32_MAX) prev = -1;
    }
    fl_buf_free(&v);
    int32_t epoch = (int32_t)(prev + 1);
    char val[32];
    snprintf(val, sizeof(val), "%d", epoch);
    fl_meta_batch_t *b = fl_meta_batch_new();
    fl_meta_batch_put_str(b, key, val);
    if ((err != FL_ERR_NONE && err != FL_ERR__NOENT) || fl_metastore_write(ms, b) != FL_ERR_NONE) {
        epoch = (int32_t)((fl_now_ms() / 1000) & 0x7fffffff);
        fl_log_error("tiering", "storing the coordinator epoch failed: %s; using %d",
                     ms->last_error, epoch);
    }
    fl_meta_batch_free(b);
    return epoch;
}

void fl_tiermgr_free(fl_tiermgr_t *m) {
    if (!m) return;
    fl_free(m->t);
    fl_free(m);
}

int32_t fl_tiermgr_coordinator_epoch(const fl_tiermgr_t *m) {
    return m->coordinator_epoch;
}

/* @returns the index of table_id, or -(insertion point) - 1 */
static ptrdiff_t fl_tier_find(const fl_tiermgr_t *m, int64_t table_id) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->t[mid].table_id < table_id) lo = mid + 1;
        else hi = mid;
    }
    if (lo < m->n && m->t[lo].table_id == table_id) return (ptrdiff_t)lo;
    return -(ptrdiff_t)lo - 1;
}

static fl_tier_entry_t *fl_tier_get(const fl_tiermgr_t *m, int64_t table_id) {
    ptrdiff_t i = fl_tier_find(m, table_id);
    return i >= 0 ? &m->t[i] : NULL;
}

static void fl_tier_to_pending(fl_tiermgr_t *m, fl_tier_entry_t *e) {
    e->state = FL_TIER_PENDING;
    e->epoch++;
    e->pending_seq = ++m->seq;
}

void fl_tiermgr_track(fl_tiermgr_t *m, int64_t table_id, int64_t freshness_ms, uint64_t gen) {
    ptrdiff_t i = fl_tier_find(m, table_id);
    fl_tier_entry_t *e;
    if (i < 0) {
        size_t at = (size_t)(-i - 1);
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 16;
            m->t = fl_realloc(m->t, m->cap * sizeof(*m->t));
        }
        memmove(&m->t[at + 1], &m->t[at], (m->n - at) * sizeof(*m->t));
        m->n++;
        e = &m->t[at];
        memset(e, 0, sizeof(*e));
        e->table_id = table_id;
        e->ready = !m->need_ready;
        fl_tier_to_pending(m, e); /* first seen: due at once (epoch 1) */
    } else {
        e = &m->t[i];
    }
    e->freshness_ms = freshness_ms > 0 ? freshness_ms : 0;
    e->gen = gen;
}

void fl_tiermgr_sweep(fl_tiermgr_t *m, uint64_t gen) {
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->t[i].gen == gen) m->t[k++] = m->t[i];
    m->n = k;
}

void fl_tiermgr_advance(fl_tiermgr_t *m, int64_t now_ms) {
    for (size_t i = 0; i < m->n; i++) {
        fl_tier_entry_t *e = &m->t[i];
        if (e->state == FL_TIER_SCHEDULED && now_ms - e->last_ms >= e->freshness_ms) {
            fl_tier_to_pending(m, e);
        } else if (e->state == FL_TIER_EXTERNAL && now_ms - e->hb_ms >= m->timeout_ms) {
            fl_log_warn("tiering",
                        "the lake tiering service holding table %" PRId64 " (tiering epoch %" PRId64
                        ") sent no heartbeat for %" PRId64 " ms; the table is pending again",
                        e->table_id, e->epoch, now_ms - e->hb_ms);
            fl_tier_to_pending(m, e);
        }
    }
}

void fl_tiermgr_sync(fl_tiermgr_t *m, const fl_catalog_t *cat, int64_t now_ms) {
    uint64_t gen = ++m->gen;
    for (size_t d = 0; d < fl_catalog_database_count(cat); d++) {
        const fl_database_t *db = fl_catalog_database_at(cat, d);
        for (size_t i = 0;; i++) {
            const fl_table_t *t = fl_catalog_table_in(cat, db->name, i);
            if (!t) break;
            const char *en = fl_kvs_get(&t->desc.properties, "table.datalake.enabled");
            if (!en || strcasecmp(en, "true")) continue;
            int64_t fresh = FL_TIERMGR_DEFAULT_FRESHNESS_MS;
            const char *f = fl_kvs_get(&t->desc.properties, "table.datalake.freshness");
            if (f && fl_parse_duration_ms(f, &fresh)) fresh = FL_TIERMGR_DEFAULT_FRESHNESS_MS;
            fl_tiermgr_track(m, t->id, fresh, gen);
        }
    }
    fl_tiermgr_sweep(m, gen);
    fl_tiermgr_advance(m, now_ms);
}

int64_t fl_tiermgr_next_event(const fl_tiermgr_t *m, int64_t now_ms) {
    int64_t next = INT64_MAX;
    bool pending = false;
    for (size_t i = 0; i < m->n; i++) {
        const fl_tier_entry_t *e = &m->t[i];
        int64_t at = INT64_MAX;
        if (e->state == FL_TIER_SCHEDULED) at = e->last_ms + e->freshness_ms;
        else if (e->state == FL_TIER_EXTERNAL) at = e->hb_ms + m->timeout_ms;
        else if (e->state == FL_TIER_PENDING) pending = true;
        if (at < next) next = at;
    }
    if (pending && fl_tiermgr_external_active(m, now_ms)) {
        int64_t at = m->external_hb_ms + m->timeout_ms;
        if (at < next) next = at;
    }
    return next;
}

int fl_tiermgr_state(const fl_tiermgr_t *m, int64_t table_id, int64_t *epoch) {
    const fl_tier_entry_t *e = fl_tier_get(m, table_id);
    if (!e) return -1;
    if (epoch) *epoch = e->epoch;
    return (int)e->state;
}

size_t fl_tiermgr_count(const fl_tiermgr_t *m) {
    return m->n;
}

/* ---- external tiering services -------------------------------------------------------------- */

void fl_tiermgr_external_seen(fl_tiermgr_t *m, int64_t now_ms) {
    if (!fl_tiermgr_external_active(m, now_ms))
        fl_log_info("tiering",
                    "an external lake tiering service is present (LakeTieringHeartbeat); due "
                    "tables go to it while it heartbeats at least every %" PRId64 " ms",
                    m->timeout_ms);
    m->external_hb_ms = now_ms;
}

bool fl_tiermgr_external_active(const fl_tiermgr_t *m, int64_t now_ms) {
    return m->external_hb_ms != INT64_MIN && now_ms - m->external_hb_ms < m->timeout_ms;
}

/* Fluss's validateHeartbeatRequest + validateTieringServiceRequest. */
static fl_err_t fl_tier_validate(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id, int32_t ce,
                                 int64_t te, fl_tier_entry_t **out, const char **why) {
    *out = NULL;
    if (ce != m->coordinator_epoch) {
        *why = fl_arena_sprintf(a,
                                "The coordinator epoch %d in request is not match current coordinator "
                                "epoch %d for table %" PRId64 ".",
                                ce, m->coordinator_epoch, table_id);
        return FL_ERR_INVALID_COORDINATOR_EXCEPTION;
    }
    fl_tier_entry_t *e = fl_tier_get(m, table_id);
    if (!e) {
        *why = fl_arena_sprintf(a, "The table %" PRId64 " doesn't exist.", table_id);
        return FL_ERR_TABLE_NOT_EXIST;
    }
    if (te != e->epoch) {
        *why = fl_arena_sprintf(a,
                                "The tiering epoch %" PRId64 " is not match current epoch %" PRId64
                                " in coordinator for table %" PRId64 ".",
                                te, e->epoch, table_id);
        return FL_ERR_FENCED_TIERING_EPOCH_EXCEPTION;
    }
    *out = e;
    return FL_ERR_NONE;
}

fl_err_t fl_tiermgr_renew(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id, int32_t coordinator_epoch,
                          int64_t tiering_epoch, int64_t now_ms, const char **why) {
    fl_tier_entry_t *e;
    fl_err_t err = fl_tier_validate(m, a, table_id, coordinator_epoch, tiering_epoch, &e, why);
    if (err) return err;
    if (e->state != FL_TIER_EXTERNAL) {
        *why = fl_arena_sprintf(a,
                                "The table %" PRId64 " to renew tiering heartbeat must in Tiering "
                                "state, but in %s state.",
                                table_id, fl_tier_state_name(e->state));
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
    e->hb_ms = now_ms;
    return FL_ERR_NONE;
}

fl_err_t fl_tiermgr_finish(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id,
                           int32_t coordinator_epoch, int64_t tiering_epoch, bool force,
                           int64_t now_ms, const char **why) {
    fl_tier_entry_t *e;
    fl_err_t err = fl_tier_validate(m, a, table_id, coordinator_epoch, tiering_epoch, &e, why);
    if (err) return err;
    if (e->state != FL_TIER_EXTERNAL) return FL_ERR_NONE;
    if (force) {
        fl_tier_to_pending(m, e); /* the round hit its time limit: the rest right away */
    } else {
        e->state = FL_TIER_SCHEDULED;
        e->last_ms = now_ms;
    }
    return FL_ERR_NONE;
}

fl_err_t fl_tiermgr_fail(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id, int32_t coordinator_epoch,
                         int64_t tiering_epoch, int64_t now_ms, const char **why) {
    FL_UNUSED(now_ms);
    fl_tier_entry_t *e;
    fl_err_t err = fl_tier_validate(m, a, table_id, coordinator_epoch, tiering_epoch, &e, why);
    if (err) return err;
    if (e->state == FL_TIER_EXTERNAL) fl_tier_to_pending(m, e);
    return FL_ERR_NONE;
}

bool fl_tiermgr_request(fl_tiermgr_t *m, int64_t now_ms, int64_t *table_id, int64_t *tiering_epoch) {
    fl_tier_entry_t *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        fl_tier_entry_t *e = &m->t[i];
        if (e->state != FL_TIER_PENDING || !e->ready) continue;
        if (!best || e->pending_seq < best->pending_seq) best = e;
    }
    if (!best) return false;
    best->state = FL_TIER_EXTERNAL;
    best->hb_ms = now_ms;
    *table_id = best->table_id;
    *tiering_epoch = best->epoch;
    return true;
}

/* ---- the in-process thread ------------------------------------------------------------------- */

fl_tier_take_t fl_tiermgr_local_may_take(const fl_tiermgr_t *m, int64_t table_id, int64_t now_ms) {
    const fl_tier_entry_t *e = fl_tier_get(m, table_id);
    if (!e || e->state != FL_TIER_PENDING) return FL_TIER_TAKE_NO;
    if (!fl_tiermgr_external_active(m, now_ms)) return FL_TIER_TAKE_ROUND;
    return e->ready ? FL_TIER_TAKE_NO : FL_TIER_TAKE_BOOTSTRAP;
}

void fl_tiermgr_local_begin(fl_tiermgr_t *m, int64_t table_id) {
    fl_tier_entry_t *e = fl_tier_get(m, table_id);
    if (e && e->state == FL_TIER_PENDING) e->state = FL_TIER_LOCAL;
}

void fl_tiermgr_local_end(fl_tiermgr_t *m, int64_t table_id, int64_t last_ms, bool ready) {
    fl_tier_entry_t *e = fl_tier_get(m, table_id);
    if (!e || (e->state != FL_TIER_LOCAL && e->state != FL_TIER_PENDING)) return;
    e->ready |= ready;
    if (last_ms <= 0) {
        fl_tier_to_pending(m, e); /* more to do at once */
        return;
    }
    e->state = FL_TIER_SCHEDULED;
    e->last_ms = last_ms;
}

void fl_tiermgr_set_ready(fl_tiermgr_t *m, int64_t table_id) {
    fl_tier_entry_t *e = fl_tier_get(m, table_id);
    if (e) e->ready = true;
}

/* ---- offsets files ----------------------------------------------------------------------------- */

static int fl_off_cmp(const void *x, const void *y) {
    const fl_lake_offset_t *a = x, *b = y;
    if (a->partition_id != b->partition_id) return a->partition_id < b->partition_id ? -1 : 1;
    return a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
}

/* one bucket_offsets array from sorted entries o[0..n) of one partition */
static void fl_off_array(const fl_lake_offset_t *o, size_t n, fl_buf_t *out) {
    char tmp[32];
    fl_buf_put(out, "[", 1);
    int32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && o[i].bucket == o[i - 1].bucket) continue; /* duplicates: the first wins */
        for (; next < o[i].bucket; next++) fl_buf_put(out, next ? ",-1" : "-1", next ? 3 : 2);
        snprintf(tmp, sizeof(tmp), "%s%" PRId64, next ? "," : "", o[i].offset);
        fl_buf_put(out, tmp, strlen(tmp));
        next = o[i].bucket + 1;
    }
    fl_buf_put(out, "]", 1);
}

void fl_lake_offsets_json(int64_t table_id, const fl_lake_offset_t *offsets, size_t n, fl_buf_t *out) {
    char tmp[96];
    snprintf(tmp, sizeof(tmp), "{\"version\":1,\"table_id\":%" PRId64, table_id);
    fl_buf_put(out, tmp, strlen(tmp));
    fl_lake_offset_t *o = fl_malloc((n + 1) * sizeof(*o));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (offsets[i].bucket >= 0) o[k++] = offsets[i];
    qsort(o, k, sizeof(*o), fl_off_cmp);
    if (k && o[0].partition_id < 0) {
        size_t e = 0;
        while (e < k && o[e].partition_id < 0) e++;
        fl_buf_put(out, ",\"bucket_offsets\":", 18);
        fl_off_array(o, e, out); /* a table is partitioned or not: the rest cannot occur */
    } else if (k) {
        fl_buf_put(out, ",\"partition_offsets\":[", 22);
        for (size_t s = 0; s < k;) {
            size_t e = s;
            while (e < k && o[e].partition_id == o[s].partition_id) e++;
            snprintf(tmp, sizeof(tmp), "%s{\"partition_id\":%" PRId64 ",\"bucket_offsets\":",
                     s ? "," : "", o[s].partition_id);
            fl_buf_put(out, tmp, strlen(tmp));
            fl_off_array(o + s, e - s, out);
            fl_buf_put(out, "}", 1);
            s = e;
        }
        fl_buf_put(out, "]", 1);
    }
    fl_buf_put(out, "}", 1);
    fl_free(o);
}

fl_err_t fl_lake_offsets_parse(fl_arena_t *a, const uint8_t *p, size_t len, size_t max_entries,
                               int64_t *table_id, fl_lake_offset_t **offsets, size_t *n,
                               const char **why) {
    *offsets = NULL;
    *n = 0;
    json_error_t je;
    json_t *root = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je);
    fl_err_t err = FL_ERR_CORRUPT_MESSAGE;
    if (!root || !json_is_object(root)) {
        *why = fl_arena_sprintf(a, "not a JSON object (%s at byte %d)", root ? "" : je.text,
                                root ? 0 : je.position);
        goto out;
    }
    json_t *ver = json_object_get(root, "version");
    json_t *tid = json_object_get(root, "table_id");
    json_t *bo = json_object_get(root, "bucket_offsets");
    json_t *po = json_object_get(root, "partition_offsets");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        *why = "unsupported version (expected 1)";
        goto out;
    }
    if (!json_is_integer(tid)) {
        *why = "table_id missing";
        goto out;
    }
    if ((bo && po) || (bo && !json_is_array(bo)) || (po && !json_is_array(po))) {
        *why = "bucket_offsets and partition_offsets: both present or not arrays";
        goto out;
    }
    *table_id = json_integer_value(tid);
    size_t cap = 16, k = 0;
    fl_lake_offset_t *o = fl_arena_alloc(a, cap * sizeof(*o));
    size_t parts = po ? json_array_size(po) : (bo ? 1 : 0);
    for (size_t i = 0; i < parts; i++) {
        json_t *arr = bo;
        int64_t pid = -1;
        if (po) {
            json_t *pe = json_array_get(po, i);
            json_t *pj = json_object_get(pe, "partition_id");
            arr = json_object_get(pe, "bucket_offsets");
            if (!json_is_integer(pj) || json_integer_value(pj) < 0 || !json_is_array(arr)) {
                *why = fl_arena_sprintf(a, "partition_offsets[%zu]: partition_id or bucket_offsets "
                                           "missing or invalid", i);
                goto out;
            }
            pid = json_integer_value(pj);
        }
        for (size_t b = 0; b < json_array_size(arr); b++) {
            json_t *v = json_array_get(arr, b);
            if (!json_is_integer(v) || json_integer_value(v) < -1) {
                *why = fl_arena_sprintf(a, "offset %zu of partition %" PRId64 " is not an offset",
                                        b, pid);
                goto out;
            }
            if (json_integer_value(v) == -1) continue;
            if (k == max_entries || b > INT32_MAX) {
                *why = fl_arena_sprintf(a, "more than %zu offsets", max_entries);
                goto out;
            }
            if (k == cap) {
                fl_lake_offset_t *no = fl_arena_alloc(a, cap * 2 * sizeof(*no));
                memcpy(no, o, cap * sizeof(*o));
                o = no;
                cap *= 2;
            }
            o[k++] = (fl_lake_offset_t){pid, (int32_t)b, json_integer_value(v), -1};
        }
    }
    *offsets = o;
    *n = k;
    err = FL_ERR_NONE;
out:
    json_decref(root);
    return err;
}
