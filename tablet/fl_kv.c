/* fl_kv.c: primary-key buckets (Fluss KvTablet.putAsLeader, KvPreWriteBuffer, recovery).
 *
 * Write path of one KvRecordBatch:
 *   1. validate (size, magic, CRC, schema id), and the writer sequence (a retry of a batch
 *      already applied answers with its original offsets and changes nothing);
 *   2. read the current values of the batch's distinct keys at once (staged changes first,
 *      the others with one batched RocksDB MultiGet); for each record, merge
 *      with the merge engine, and emit changelog rows: +I for a new key, -U (old) and +U (new)
 *      for an update (only +U with table.changelog.image = WAL), -D for a delete of an existing
 *      key, nothing for a delete of a missing key or an update the merge engine ignores;
 *   3. build one changelog batch in the table's log format (ARROW with the table's
 *      compression, COMPACTED or INDEXED), attributes 0, the KV batch's writer id and sequence,
 *      and append it to the bucket's log (a batch with no rows when nothing changed, so the
 *      writer's sequence still advances);
 *   4. stage the new values with the log offset of their changelog row.
 * Staged changes move into RocksDB, in one write batch with the applied offset, when the
 * group commit moves the high watermark past them (fl_kv_commit): the latest change per key,
 * in key order (cheap memtable inserts). Lookups see staged changes. With agg_mode OVERWRITE
 * (Fluss MergeMode) step 2 ignores the merge engine and the delete behaviour.
 *
 * Invariant K1: RocksDB's applied offset A never exceeds what the log holds; every changelog
 * row below A is in RocksDB and none at or above it. At open, rows in [A, log end) are
 * replayed from the changelog (keys re-encoded from the rows with the table's key encoder,
 * as Fluss's KvRecoverHelper does). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_arrow.h"
#include "fl_keyenc.h"
#include "fl_kvbatch.h"
#include "fl_log.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_roaring.h"
#include "fl_row.h"
#include "fl_tablet_int.h"

/* ---- staged changes ----------------------------------------------------------------------- */

typedef struct fl_kventry_s {
    struct fl_kventry_s *next;      /* FIFO, ascending offsets */
    struct fl_kventry_s *hnext;     /* hash chain */
    int64_t offset;                 /* log offset of its changelog row */
    bool is_delete;
    uint32_t klen, vlen;
    uint8_t data[];                 /* key, then value */
} fl_kventry_t;

struct fl_kvpending_s {
    fl_kventry_t *head, *tail;
    fl_kventry_t **buckets;         /* hash: latest entry per key */
    size_t nbuckets, n;
};

static uint64_t fl_kvhash(const uint8_t *k, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
    return h;
}

static fl_kvpending_t *fl_kvp_new(void) {
    fl_kvpending_t *p = fl_calloc(1, sizeof(*p));
    p->nbuckets = 1024;
    p->buckets = fl_calloc(p->nbuckets, sizeof(void *));
    return p;
}

/* The latest staged entry for key, or NULL. */
static fl_kventry_t *fl_kvp_get(fl_kvpending_t *p, const uint8_t *k, size_t klen) {
    for (fl_kventry_t *e = p->buckets[fl_kvhash(k, klen) & (p->nbuckets - 1)]; e; e = e->hnext)
        if (e->klen == klen && !memcmp(e->data, k, klen)) return e;
    return NULL;
}

static void fl_kvp_unlink(fl_kvpending_t *p, fl_kventry_t *e) {
    fl_kventry_t **pp = &p->buckets[fl_kvhash(e->data, e->klen) & (p->nbuckets - 1)];
    while (*pp && *pp != e) pp = &(*pp)->hnext;
    if (*pp) *pp = e->hnext;
}

/* Double the hash buckets once the table holds twice as many entries as buckets (staged values
 * wait for the group commit, so a burst of large batches can stage many). */
static void fl_kvp_grow(fl_kvpending_t *p) {
    size_t nb = p->nbuckets * 2;
    fl_kventry_t **b = fl_calloc(nb, sizeof(void *));
    for (size_t i = 0; i < p->nbuckets; i++) {
        fl_kventry_t *e = p->buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            size_t j = fl_kvhash(e->data, e->klen) & (nb - 1);
            e->hnext = b[j];
            b[j] = e;
        }
    }
    fl_free(p->buckets);
    p->buckets = b;
    p->nbuckets = nb;
}

static void fl_kvp_put(fl_kvpending_t *p, const uint8_t *k, size_t klen, const uint8_t *v,
                       size_t vlen, bool is_delete, int64_t offset) {
    if (p->n >= p->nbuckets * 2) fl_kvp_grow(p);
    fl_kventry_t *old = fl_kvp_get(p, k, klen);
    if (old) fl_kvp_unlink(p, old); /* stays in the FIFO for the commit, but is shadowed */
    fl_kventry_t *e = fl_malloc(sizeof(*e) + klen + vlen);
    e->next = NULL;
    e->offset = offset;
    e->is_delete = is_delete;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    memcpy(e->data, k, klen);
    if (vlen) memcpy(e->data + klen, v, vlen);
    size_t b = fl_kvhash(k, klen) & (p->nbuckets - 1);
    e->hnext = p->buckets[b];
    p->buckets[b] = e;
    if (p->tail) p->tail->next = e;
    else p->head = e;
    p->tail = e;
    p->n++;
}

/* Remove the staged entries at or after offset (a changelog append that failed). */
static void fl_kvp_truncate(fl_kvpending_t *p, int64_t offset) {
    fl_kventry_t **pp = &p->head, *keep_tail = NULL;
    while (*pp && (*pp)->offset < offset) {
        keep_tail = *pp;
        pp = &(*pp)->next;
    }
    fl_kventry_t *e = *pp;
    *pp = NULL;
    p->tail = keep_tail;
    while (e) {
        fl_kventry_t *next = e->next;
        fl_kvp_unlink(p, e);
        fl_free(e);
        p->n--;
        e = next;
    }
    /* shadowed older entries for those keys must become visible again: rebuild the index */
    memset(p->buckets, 0, p->nbuckets * sizeof(void *));
    for (fl_kventry_t *x = p->head; x; x = x->next) {
        fl_kventry_t *old = fl_kvp_get(p, x->data, x->klen);
        if (old) fl_kvp_unlink(p, old);
        size_t b = fl_kvhash(x->data, x->klen) & (p->nbuckets - 1);
        x->hnext = p->buckets[b];
        p->buckets[b] = x;
    }
}

static void fl_kvp_free(fl_kvpending_t *p) {
    if (!p) return;
    fl_kventry_t *e = p->head;
    while (e) {
        fl_kventry_t *next = e->next;
        fl_free(e);
        e = next;
    }
    fl_free(p->buckets);
    fl_free(p);
}

/* ---- commit and recovery ------------------------------------------------------------------ */

/* key bytes (RocksDB's bytewise order), then offset */
static int fl_kventry_cmp(const void *x, const void *y) {
    const fl_kventry_t *a = *(fl_kventry_t *const *)x, *b = *(fl_kventry_t *const *)y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->data, b->data, n);
    if (c) return c;
    if (a->klen != b->klen) return a->klen < b->klen ? -1 : 1;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

fl_err_t fl_kv_commit(fl_replica_t *r) {
    if (!r->kv) return FL_ERR_NONE;
    int64_t hw = fl_logstore_high_watermark(r->log);
    fl_kvpending_t *p = r->pending;
    if (!p->head || p->head->offset >= hw) {
        if (hw > fl_kvstore_applied(r->kv) && !p->head) {
            fl_kvwrite_t *w = fl_kvwrite_new();
            fl_err_t err = fl_kvstore_write(r->kv, w, hw);
            fl_kvwrite_free(w);
            return err;
        }
        return FL_ERR_NONE;
    }
    /* the committed prefix in key order (FIFO order among equal keys), and only the latest
     * entry of each key: RocksDB inserts a write batch into the memtable's skip list one entry
     * after the other, reusing the previous insert position, so sorted keys cost a short walk
     * each instead of a search from the top */
    size_t n = 0;
    fl_kventry_t *e = p->head;
    for (; e && e->offset < hw; e = e->next) n++;
    int64_t applied = e ? e->offset : hw;
    fl_kventry_t **v = fl_malloc(n * sizeof(*v));
    n = 0;
    for (e = p->head; e && e->offset < hw; e = e->next) v[n++] = e;
    qsort(v, n, sizeof(*v), fl_kventry_cmp);
    fl_kvwrite_t *w = fl_kvwrite_new();
    for (size_t i = 0; i < n; i++) {
        e = v[i];
        if (i + 1 < n && v[i + 1]->klen == e->klen && !memcmp(v[i + 1]->data, e->data, e->klen))
            continue; /* a later change of the same key follows */
        if (e->is_delete) fl_kvwrite_del(w, e->data, e->klen);
        else fl_kvwrite_put(w, e->data, e->klen, e->data + e->klen, e->vlen);
    }
    fl_free(v);
    fl_err_t err = fl_kvstore_write(r->kv, w, applied);
    fl_kvwrite_free(w);
    if (err) return err;
    /* drop the committed prefix */
    while (p->head && p->head->offset < hw) {
        fl_kventry_t *x = p->head;
        p->head = x->next;
        if (fl_kvp_get(p, x->data, x->klen) == x) fl_kvp_unlink(p, x);
        fl_free(x);
        p->n--;
    }
    if (!p->head) p->tail = NULL;
    return FL_ERR_NONE;
}

/* Decode one log batch into rows (datums) and change types (shared with the tiering). */
fl_err_t fl_tablet_decode_batch(const fl_tablet_table_info_t *ti, fl_arena_t *a,
                                       const fl_logbatch_t *b, fl_datum_t ***rows,
                                       uint8_t **types, size_t *n) {
    *n = 0;
    if (b->record_count <= 0) return FL_ERR_NONE;
    size_t cnt = (size_t)b->record_count;
    *rows = fl_arena_alloc(a, cnt * sizeof(fl_datum_t *));
    *types = fl_arena_alloc(a, cnt);
    const uint8_t *body = b->p + b->header_size;
    size_t blen = b->size - b->header_size;
    if (ti->log_format == FL_LOG_ARROW) {
        size_t ct = (b->attributes & FL_LOGBATCH_ATTR_APPEND_ONLY) ? 0 : cnt;
        if (blen < ct) return FL_ERR_CORRUPT_MESSAGE;
        if (ct) memcpy(*types, body, ct);
        else memset(*types, FL_CHANGE_APPEND_ONLY, cnt);
        fl_arrow_batch_t *ab = NULL;
        fl_err_t err = fl_arrow_decode(a, ti->row_type, (int64_t)cnt, body + ct, blen - ct, 0, &ab);
        if (err) return err;
        for (size_t i = 0; i < cnt; i++) {
            (*rows)[i] = fl_arena_alloc(a, (ti->row_type->n_children + 1) * sizeof(fl_datum_t));
            err = fl_arrow_row(ab, (int64_t)i, a, (*rows)[i]);
            if (err) return err;
        }
        *n = cnt;
        return FL_ERR_NONE;
    }
    fl_row_format_t rf = ti->log_format == FL_LOG_INDEXED ? FL_ROW_INDEXED : FL_ROW_COMPACTED;
    fl_logrecord_iter_t it;
    fl_logrecord_iter_init(&it, body, blen, b->record_count);
    fl_logrecord_t rec;
    while (fl_logrecord_next(&it, &rec)) {
        fl_err_t err = fl_row_decode(rf, ti->row_type, rec.row.p, rec.row.len, a, &(*rows)[*n]);
        if (err) return err;
        (*types)[(*n)++] = (uint8_t)rec.change_type;
    }
    return *n == cnt ? FL_ERR_NONE : FL_ERR_CORRUPT_MESSAGE;
}

/* Replay changelog rows [applied, end) into RocksDB. */
static fl_err_t fl_kv_replay(fl_replica_t *r) {
    const fl_tablet_table_info_t *ti = &r->table->info;
    int64_t from = fl_kvstore_applied(r->kv), end = fl_logstore_end_offset(r->log);
    if (from < fl_logstore_start_offset(r->log)) from = fl_logstore_start_offset(r->log);
    if (from >= end) return FL_ERR_NONE;
    size_t rows = 0;
    fl_buf_t data, key, val;
    fl_buf_init(&data);
    fl_buf_init(&key);
    fl_buf_init(&val);
    fl_err_t err = FL_ERR_NONE;
    while (from < end && !err) {
        fl_buf_reset(&data);
        int64_t next = from;
        err = fl_logstore_read_copy(r->log, from, 4u << 20, end, true, &data, &next);
        if (err || next <= from) break;
        fl_logbatch_iter_t it;
        fl_logbatch_iter_init(&it, data.p, data.len, UINT32_MAX, false);
        fl_logbatch_t b;
        fl_kvwrite_t *w = fl_kvwrite_new();
        while (!err && fl_logbatch_iter_next(&it, &b) == 1) {
            fl_arena_t *a = fl_arena_new(0);
            fl_datum_t **rws = NULL;
            uint8_t *types = NULL;
            size_t n = 0;
            err = fl_tablet_decode_batch(ti, a, &b, &rws, &types, &n);
            for (size_t i = 0; i < n && !err; i++) {
                int64_t off = b.base_offset + (int64_t)i;
                if (off < from || types[i] == FL_CHANGE_UPDATE_BEFORE) continue;
                fl_buf_reset(&key);
                err = fl_keyenc_encode((fl_keyenc_kind_t)ti->key_encoder, ti->row_type, rws[i],
                                       ti->pk_idx, ti->n_pk, &key);
                if (err) break;
                if (types[i] == FL_CHANGE_DELETE) {
                    fl_kvwrite_del(w, key.p, key.len);
                } else {
                    fl_buf_reset(&val);
                    err = fl_row_encode_value((fl_row_format_t)ti->kv_format, b.schema_id,
                                              ti->row_type, rws[i], &val);
                    if (!err) fl_kvwrite_put(w, key.p, key.len, val.p, val.len);
                }
                rows++;
            }
            fl_arena_destroy(a);
        }
        if (!err) err = fl_kvstore_write(r->kv, w, next);
        fl_kvwrite_free(w);
        from = next;
    }
    fl_buf_free(&data);
    fl_buf_free(&key);
    fl_buf_free(&val);
    if (err)
        fl_log_error("kv", "%s: replaying the changelog failed at offset %" PRId64 ": %s", r->kv_dir,
                     from, fl_err2name(err));
    else
        fl_log_info("kv", "%s: replayed %zu changelog row(s) up to offset %" PRId64, r->kv_dir, rows, end);
    return err;
}

fl_err_t fl_kv_open(fl_tablet_t *tb, fl_replica_t *r, const char **why) {
    snprintf(r->kv_dir, sizeof(r->kv_dir), "%s/kv", r->dir);
    if (!tb->conf.kvenv) {
        *why = "this server has no KV storage configured";
        return FL_ERR_KV_STORAGE_EXCEPTION;
    }
    r->kv = fl_kvstore_open(tb->conf.kvenv, r->kv_dir, why);
    if (!r->kv) return FL_ERR_KV_STORAGE_EXCEPTION;
    r->pending = fl_kvp_new();
    if (fl_kvstore_applied(r->kv) > fl_logstore_end_offset(r->log)) {
        /* K1 broken: the log lost data the index has (power loss without fsync); the index
         * is rebuilt from the log so that both agree */
        fl_log_warn("kv", "%s: index applied up to %" PRId64 " but the log ends at %" PRId64
                          "; rebuilding the index from the log",
                    r->kv_dir, fl_kvstore_applied(r->kv), fl_logstore_end_offset(r->log));
        fl_kvstore_destroy(r->kv, r->kv_dir);
        r->kv = fl_kvstore_open(tb->conf.kvenv, r->kv_dir, why);
        if (!r->kv) return FL_ERR_KV_STORAGE_EXCEPTION;
    }
    fl_err_t err = fl_kv_replay(r);
    if (err) *why = "replaying the changelog into the KV index failed";
    return err;
}

void fl_kv_close(fl_replica_t *r, bool delete_data) {
    if (!r->kv) {
        fl_kvp_free(r->pending);
        return;
    }
    if (delete_data) {
        fl_kvstore_destroy(r->kv, r->kv_dir);
    } else {
        fl_kv_commit(r);
        fl_kvstore_close(r->kv);
    }
    r->kv = NULL;
    fl_kvp_free(r->pending);
    r->pending = NULL;
}

void fl_kv_checkpoint(fl_replica_t *r) {
    if (r->kv) fl_kvstore_flush(r->kv);
}

/* ---- reads --------------------------------------------------------------------------------- */

/* RocksDB answers for the keys that have no staged value: i indexes the missing keys */
typedef struct fl_lookup_s {
    fl_replica_lookup_cb *cb;
    void *arg;
    const size_t *idx;           /* missing key -> caller's index; NULL: the same */
} fl_lookup_t;

static void fl_lookup_db(void *arg, size_t i, const uint8_t *val, size_t vlen) {
    fl_lookup_t *l = arg;
    l->cb(l->arg, l->idx ? l->idx[i] : i, val, vlen);
}

fl_err_t fl_replica_lookup(fl_replica_t *r, size_t n, const uint8_t *const *keys,
                           const size_t *klens, fl_replica_lookup_cb *cb, void *arg) {
    if (!r->kv) return FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION;
    fl_lookup_t l = {cb, arg, NULL};
    if (!r->pending->n) return fl_kvstore_multi_get(r->kv, n, keys, klens, fl_lookup_db, &l);
    /* staged values answer first (the latest per key); the rest go to RocksDB together */
    const uint8_t **mk = fl_malloc((n + 1) * sizeof(*mk));
    size_t *ml = fl_malloc((n + 1) * sizeof(*ml)), *idx = fl_malloc((n + 1) * sizeof(*idx)), m = 0;
    for (size_t i = 0; i < n; i++) {
        fl_kventry_t *e = fl_kvp_get(r->pending, keys[i], klens[i]);
        if (!e) {
            mk[m] = keys[i];
            ml[m] = klens[i];
            idx[m++] = i;
        } else if (e->is_delete) {
            cb(arg, i, NULL, 0);
        } else {
            cb(arg, i, e->data + e->klen, e->vlen);
        }
    }
    l.idx = idx;
    fl_err_t err = m ? fl_kvstore_multi_get(r->kv, m, mk, ml, fl_lookup_db, &l) : FL_ERR_NONE;
    fl_free(mk);
    fl_free(ml);
    fl_free(idx);
    return err;
}

typedef struct fl_pscan_s {
    fl_replica_t *r;
    fl_replica_value_cb *cb;
    void *arg;
    bool stopped;
} fl_pscan_t;

static bool fl_pscan_db(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    fl_pscan_t *ps = arg;
    if (fl_kvp_get(ps->r->pending, k, kl)) return true; /* staged value wins; visited below */
    if (!ps->cb(k, kl, v, vl, ps->arg)) {
        ps->stopped = true;
        return false;
    }
    return true;
}

fl_err_t fl_replica_prefix_scan(fl_replica_t *r, const uint8_t *prefix, size_t plen,
                                fl_replica_value_cb *cb, void *arg) {
    if (!r->kv) return FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION;
    fl_pscan_t ps = {r, cb, arg, false};
    fl_err_t err = fl_kvstore_scan(r->kv, prefix, plen, fl_pscan_db, &ps);
    if (err || ps.stopped) return err;
    /* staged entries (the latest per key) */
    for (fl_kventry_t *e = r->pending->head; e; e = e->next) {
        if (fl_kvp_get(r->pending, e->data, e->klen) != e || e->is_delete) continue;
        if (e->klen < plen || memcmp(e->data, prefix, plen)) continue;
        if (!cb(e->data, e->klen, e->data + e->klen, e->vlen, arg)) break;
    }
    return FL_ERR_NONE;
}

/* ---- merging --------------------------------------------------------------------------------- */

static int fl_datum_cmp_version(const fl_type_t *t, const fl_datum_t *a, const fl_datum_t *b) {
    if (a->is_null || b->is_null) return a->is_null ? (b->is_null ? 0 : -1) : 1;
    switch (t->root) {
    case FL_T_INTEGER: return a->v.i32 < b->v.i32 ? -1 : a->v.i32 > b->v.i32;
    case FL_T_BIGINT: return a->v.i64 < b->v.i64 ? -1 : a->v.i64 > b->v.i64;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        if (a->v.ts.millis != b->v.ts.millis) return a->v.ts.millis < b->v.ts.millis ? -1 : 1;
        return a->v.ts.nanos < b->v.ts.nanos ? -1 : a->v.ts.nanos > b->v.ts.nanos;
    default: return 0;
    }
}

/* ---- aggregation merge engine (Fluss AggregateRowMerger, 0.9.1) ---------------------------- */

/* A decimal's unscaled value; big ones are at most 16 bytes (precision <= 38). */
static __int128 fl_agg_dec_get(const fl_type_t *t, const fl_decimal_t *d) {
    if (fl_type_decimal_compact(t)) return d->unscaled;
    __int128 v = d->big_len && (d->big[0] & 0x80) ? -1 : 0;
    for (uint32_t i = 0; i < d->big_len && i < 16; i++) v = (__int128)((unsigned __int128)v << 8) | d->big[i];
    return v;
}

static void fl_agg_dec_put(fl_arena_t *a, const fl_type_t *t, __int128 v, fl_datum_t *out) {
    out->is_null = false;
    memset(&out->v.dec, 0, sizeof(out->v.dec));
    if (fl_type_decimal_compact(t)) {
        out->v.dec.unscaled = (int64_t)v;
        return;
    }
    /* minimal big-endian two's complement, as BigInteger.toByteArray() */
    uint8_t tmp[16];
    for (int i = 15; i >= 0; i--) tmp[i] = (uint8_t)((unsigned __int128)v >> (8 * (15 - i)));
    int s = 0;
    while (s < 15 && ((tmp[s] == 0x00 && !(tmp[s + 1] & 0x80)) || (tmp[s] == 0xff && (tmp[s + 1] & 0x80)))) s++;
    uint8_t *p = fl_arena_alloc(a, 16 - (size_t)s);
    memcpy(p, tmp + s, 16 - (size_t)s);
    out->v.dec.big = p;
    out->v.dec.big_len = (uint32_t)(16 - s);
}

/* |v| < 10^precision (BigDecimal.precision() <= precision) */
static bool fl_agg_dec_fits(__int128 v, int32_t precision) {
    unsigned __int128 m = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v, lim = 1;
    for (int32_t i = 0; i < precision && i < 38; i++) lim *= 10;
    return m < lim;
}

/* Java's Float.compare / Double.compare: -0.0 < 0.0, NaN above everything and equal to itself. */
static int fl_agg_cmp_f64(double x, double y) {
    if (x < y) return -1;
    if (x > y) return 1;
    bool xn = x != x, yn = y != y;
    if (xn || yn) return xn - yn;
    if (x == 0.0 && y == 0.0) return (int)!signbit(x) - (int)!signbit(y);
    return 0;
}

/* InternalRowUtils.compare for the types max/min accept. */
static int fl_agg_cmp(const fl_type_t *t, const fl_datum_t *x, const fl_datum_t *y) {
    switch (t->root) {
    case FL_T_TINYINT: return (x->v.i8 > y->v.i8) - (x->v.i8 < y->v.i8);
    case FL_T_SMALLINT: return (x->v.i16 > y->v.i16) - (x->v.i16 < y->v.i16);
    case FL_T_INTEGER:
    case FL_T_DATE:
    case FL_T_TIME: return (x->v.i32 > y->v.i32) - (x->v.i32 < y->v.i32);
    case FL_T_BIGINT: return (x->v.i64 > y->v.i64) - (x->v.i64 < y->v.i64);
    case FL_T_FLOAT: return fl_agg_cmp_f64(x->v.f32, y->v.f32);
    case FL_T_DOUBLE: return fl_agg_cmp_f64(x->v.f64, y->v.f64);
    case FL_T_DECIMAL: {
        __int128 a = fl_agg_dec_get(t, &x->v.dec), b = fl_agg_dec_get(t, &y->v.dec);
        return (a > b) - (a < b);
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        if (x->v.ts.millis != y->v.ts.millis) return x->v.ts.millis < y->v.ts.millis ? -1 : 1;
        return (x->v.ts.nanos > y->v.ts.nanos) - (x->v.ts.nanos < y->v.ts.nanos);
    case FL_T_CHAR:
    case FL_T_STRING: { /* BinaryString.compareTo: unsigned bytes, then length */
        uint32_t n = x->v.bytes.len < y->v.bytes.len ? x->v.bytes.len : y->v.bytes.len;
        int c = n ? memcmp(x->v.bytes.p, y->v.bytes.p, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (x->v.bytes.len > y->v.bytes.len) - (x->v.bytes.len < y->v.bytes.len);
    }
    default: return 0;
    }
}

/* sum or product of two non-null values; integers wrap as Java's do, decimals that do not fit
 * become null (Decimal.fromBigDecimal), except a compact sum that fits in a long, which Fluss
 * stores unchecked (DecimalUtils.add fast path). */
static void fl_agg_arith(fl_arena_t *a, bool mul, const fl_type_t *t, const fl_datum_t *x,
                         const fl_datum_t *y, fl_datum_t *out) {
    out->is_null = false;
    switch (t->root) {
    case FL_T_TINYINT: out->v.i8 = (int8_t)(mul ? x->v.i8 * y->v.i8 : x->v.i8 + y->v.i8); break;
    case FL_T_SMALLINT: out->v.i16 = (int16_t)(mul ? x->v.i16 * y->v.i16 : x->v.i16 + y->v.i16); break;
    case FL_T_INTEGER:
        out->v.i32 = (int32_t)(mul ? (uint32_t)x->v.i32 * (uint32_t)y->v.i32
                                   : (uint32_t)x->v.i32 + (uint32_t)y->v.i32);
        break;
    case FL_T_BIGINT:
        out->v.i64 = (int64_t)(mul ? (uint64_t)x->v.i64 * (uint64_t)y->v.i64
                                   : (uint64_t)x->v.i64 + (uint64_t)y->v.i64);
        break;
    case FL_T_FLOAT: out->v.f32 = mul ? x->v.f32 * y->v.f32 : x->v.f32 + y->v.f32; break;
    case FL_T_DOUBLE: out->v.f64 = mul ? x->v.f64 * y->v.f64 : x->v.f64 + y->v.f64; break;
    case FL_T_DECIMAL: {
        __int128 p = fl_agg_dec_get(t, &x->v.dec), q = fl_agg_dec_get(t, &y->v.dec), r;
        if (!mul) {
            if (fl_type_decimal_compact(t)) {
                int64_t s;
                if (!__builtin_add_overflow(x->v.dec.unscaled, y->v.dec.unscaled, &s)) {
                    fl_agg_dec_put(a, t, s, out);
                    return;
                }
            }
            r = p + q; /* |p|, |q| < 10^38: no overflow */
        } else {
            if (__builtin_mul_overflow(p, q, &r)) { /* beyond 10^38 after rescaling too */
                out->is_null = true;
                return;
            }
            /* the product has scale 2s: back to s, rounding half up (away from zero) */
            __int128 div = 1;
            for (int32_t i = 0; i < t->scale; i++) div *= 10;
            __int128 quo = r / div, rem = r % div;
            if ((rem < 0 ? -rem : rem) >= div - (rem < 0 ? -rem : rem)) quo += r < 0 ? -1 : 1;
            r = quo;
        }
        if (!fl_agg_dec_fits(r, t->precision)) {
            out->is_null = true;
            return;
        }
        fl_agg_dec_put(a, t, r, out);
        break;
    }
    default: *out = *x; break; /* refused at CreateTable */
    }
}

/* Merge one column: acc is the stored value, in the incoming one (FieldAggregator.agg).
 * @returns FL_ERR_NONE, or a decode error of an rbm32/rbm64 bitmap. */
static fl_err_t fl_agg_field(fl_arena_t *a, fl_agg_fn_t fn, const char *delim, const fl_type_t *t,
                             const fl_datum_t *acc, const fl_datum_t *in, fl_datum_t *out) {
    switch (fn) {
    case FL_AGG_LAST_VALUE: *out = *in; return FL_ERR_NONE;
    case FL_AGG_LAST_VALUE_IGNORE_NULLS: *out = in->is_null ? *acc : *in; return FL_ERR_NONE;
    case FL_AGG_FIRST_VALUE: /* 0.9.1 implements both alike: a stored null is replaced */
    case FL_AGG_FIRST_VALUE_IGNORE_NULLS: *out = acc->is_null ? *in : *acc; return FL_ERR_NONE;
    default: break;
    }
    /* every other function ignores nulls; rbm32/rbm64 pass the other side through unchecked */
    if (acc->is_null || in->is_null) {
        *out = acc->is_null ? *in : *acc;
        return FL_ERR_NONE;
    }
    switch (fn) {
    case FL_AGG_SUM: fl_agg_arith(a, false, t, acc, in, out); break;
    case FL_AGG_PRODUCT: fl_agg_arith(a, true, t, acc, in, out); break;
    case FL_AGG_MAX: *out = fl_agg_cmp(t, acc, in) < 0 ? *in : *acc; break;
    case FL_AGG_MIN: *out = fl_agg_cmp(t, acc, in) > 0 ? *in : *acc; break;
    case FL_AGG_BOOL_AND: *out = *acc; out->v.b = acc->v.b && in->v.b; break;
    case FL_AGG_BOOL_OR: *out = *acc; out->v.b = acc->v.b || in->v.b; break;
    case FL_AGG_LISTAGG: {
        size_t dl = strlen(delim), n = (size_t)acc->v.bytes.len + dl + in->v.bytes.len;
        uint8_t *p = fl_arena_alloc(a, n ? n : 1);
        memcpy(p, acc->v.bytes.p, acc->v.bytes.len);
        memcpy(p + acc->v.bytes.len, delim, dl);
        memcpy(p + acc->v.bytes.len + dl, in->v.bytes.p, in->v.bytes.len);
        *out = *acc;
        out->v.bytes.p = p;
        out->v.bytes.len = (uint32_t)n;
        break;
    }
    case FL_AGG_RBM32:
    case FL_AGG_RBM64: { /* union, runOptimize, serialize (FieldRoaringBitmap32Agg/64Agg) */
        fl_buf_t *u = fl_arena_calloc(a, sizeof(fl_buf_t));
        fl_arena_cleanup_add(a, (fl_arena_cleanup_cb *)fl_buf_free, u);
        fl_err_t err = (fn == FL_AGG_RBM32 ? fl_rbm32_union : fl_rbm64_union)(
            acc->v.bytes.p, acc->v.bytes.len, in->v.bytes.p, in->v.bytes.len, u);
        if (err) return err;
        *out = *acc;
        out->v.bytes.p = u->p;
        out->v.bytes.len = (uint32_t)u->len;
        break;
    }
    default: *out = *in; break;
    }
    return FL_ERR_NONE;
}

/* The merged row of an upsert on an existing key: target columns (all when n_target is 0) are
 * aggregated, the others keep their stored values. @returns NULL when a column's values do not
 * merge (a malformed roaring bitmap). */
static fl_datum_t *fl_agg_row(const fl_table_ref_t *t, fl_arena_t *a, const fl_datum_t *old_row,
                              const fl_datum_t *new_row, const int32_t *target_cols, size_t n_target) {
    const fl_type_t *rt = t->info.row_type;
    fl_datum_t *m = fl_arena_alloc(a, (rt->n_children + 1) * sizeof(fl_datum_t));
    for (uint32_t c = 0; c < rt->n_children; c++) {
        bool target = !n_target;
        for (size_t i = 0; i < n_target; i++) target |= (uint32_t)target_cols[i] == c;
        if (!target) m[c] = old_row[c];
        else if (fl_agg_field(a, (fl_agg_fn_t)t->agg_fn[c], t->agg_delim[c], &rt->children[c],
                              &old_row[c], &new_row[c], &m[c]))
            return NULL;
    }
    return m;
}

/* One changelog row being built: change type and the full row (datums) for the log, plus the
 * stored-value bytes for the KV index. */
typedef struct fl_change_s {
    uint8_t type;
    fl_datum_t *row;
} fl_change_t;

/* The current values of a batch's distinct keys, copied into the request arena. */
typedef struct fl_kv_olds_s {
    fl_arena_t *a;
    fl_view_t *vals;
    uint8_t *found;
} fl_kv_olds_t;

static void fl_kv_olds_put(void *arg, size_t i, const uint8_t *val, size_t vlen) {
    fl_kv_olds_t *o = arg;
    if (!val) return;
    uint8_t *p = fl_arena_alloc(o->a, vlen ? vlen : 1);
    memcpy(p, val, vlen);
    o->vals[i].p = p;
    o->vals[i].len = vlen;
    o->found[i] = 1;
}

void fl_replica_put_kv(fl_replica_t *r, fl_arena_t *a, const uint8_t *batch, size_t len,
                       const int32_t *target_cols, size_t n_target, int32_t agg_mode,
                       int64_t now_ms, fl_put_result_t *res) {
    memset(res, 0, sizeof(*res));
    const fl_tablet_table_info_t *ti = &r->table->info;
    /* MergeMode OVERWRITE (1) bypasses the merge engine: the new row (or its target columns)
     * replaces the stored one and deletes are allowed whatever table.delete.behavior says
     * (Fluss KvTablet's DefaultRowMerger with DeleteBehavior.ALLOW); every other value is
     * DEFAULT (MergeMode.fromValue) */
    bool overwrite = agg_mode == FL_KV_MERGE_MODE_OVERWRITE;
    fl_merge_engine_t engine = overwrite ? FL_MERGE_DEFAULT : ti->merge_engine;
    fl_delete_behavior_t del_behavior = overwrite ? FL_DELETE_ALLOW : ti->delete_behavior;
    if (!r->kv) {
        res->err = FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION;
        res->why = "PutKv is only allowed on primary-key tables.";
        return;
    }
    fl_kvbatch_t kb;
    fl_err_t err = fl_kvbatch_parse(batch, len, &kb);
    if (err || kb.size != len) {
        res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
        res->why = err ? "The KV record batch is corrupt (size, magic, CRC or record framing)."
                       : "Bytes follow the KV record batch.";
        return;
    }
    if (kb.schema_id < 0 || kb.schema_id > ti->schema_id) {
        res->err = FL_ERR_SCHEMA_NOT_EXIST;
        res->why = fl_arena_sprintf(a, "Invalid schema id: %d, latest schema id: %d", kb.schema_id,
                                    ti->schema_id);
        return;
    }
    for (size_t i = 0; i < n_target; i++) {
        if (target_cols[i] < 0 || (uint32_t)target_cols[i] >= ti->row_type->n_children) {
            res->err = FL_ERR_INVALID_TARGET_COLUMN;
            res->why = fl_arena_sprintf(a, "Target column index %d is out of range.", target_cols[i]);
            return;
        }
    }
    if (n_target) {
        /* partial updates must carry the whole primary key */
        for (uint32_t k = 0; k < ti->n_pk; k++) {
            bool found = false;
            for (size_t i = 0; i < n_target; i++) found |= (uint32_t)target_cols[i] == ti->pk_idx[k];
            if (!found) {
                res->err = FL_ERR_INVALID_TARGET_COLUMN;
                res->why = fl_arena_sprintf(a,
                                            "The target write columns must contain the primary key "
                                            "columns; column '%s' is missing.",
                                            ti->row_type->field_names[ti->pk_idx[k]]);
                return;
            }
        }
        /* and every other column must be nullable (Fluss PartialUpdater.sanityCheck) */
        for (uint32_t c = 0; c < ti->row_type->n_children; c++) {
            bool key = false;
            for (uint32_t k = 0; k < ti->n_pk; k++) key |= ti->pk_idx[k] == c;
            if (!key && !ti->row_type->children[c].nullable) {
                res->err = FL_ERR_INVALID_TARGET_COLUMN;
                res->why = fl_arena_sprintf(a,
                                            "Partial Update requires all columns except primary "
                                            "key to be nullable, but column %s is NOT NULL.",
                                            ti->row_type->field_names[c]);
                return;
            }
        }
    }
    /* idempotence, as for appends */
    if (kb.writer_id != FL_LOGBATCH_NO_WRITER_ID) {
        fl_writer_batch_t dup;
        int32_t last;
        fl_seq_verdict_t v = fl_writers_check(r->writers, kb.writer_id, kb.batch_sequence, &dup, &last);
        if (v == FL_SEQ_DUPLICATE) {
            res->duplicate = true;
            res->next_offset = dup.last_offset + 1;
            return;
        }
        if (v == FL_SEQ_OUT_OF_ORDER) {
            res->err = FL_ERR_OUT_OF_ORDER_SEQUENCE_EXCEPTION;
            res->why = fl_arena_sprintf(a,
                                        "Out of order batch sequence for writer %" PRId64
                                        " in table-bucket %d : %d (incoming batch seq.), %d "
                                        "(current batch seq.)",
                                        kb.writer_id, r->bucket, kb.batch_sequence, last);
            return;
        }
    }
    fl_row_format_t kvf = (fl_row_format_t)ti->kv_format;
    size_t cap = (size_t)kb.record_count * 2 + 1, nch = 0;
    fl_change_t *ch = fl_arena_alloc(a, cap * sizeof(*ch));
    /* staged writes of this batch, applied to the pending buffer only after the append */
    typedef struct { fl_view_t key; fl_buf_t *val; bool del; size_t change; } fl_stage_t;
    fl_stage_t *st = fl_arena_alloc(a, ((size_t)kb.record_count + 1) * sizeof(*st));
    size_t nst = 0;
    /* the latest staged entry per key: open addressing, slots hold st index + 1 (0 = empty),
     * at most half full, so a batch of n records costs O(n) key compares, not O(n^2) */
    size_t smask = 15;
    while (smask + 1 < ((size_t)kb.record_count + 1) * 2) smask = smask * 2 + 1;
    uint32_t *slots = fl_arena_calloc(a, (smask + 1) * sizeof(uint32_t));
#define FL_STAGE_SLOT(k, kl)                                                                       \
    ({                                                                                             \
        size_t i_ = (size_t)fl_kvhash((k), (kl)) & smask;                                          \
        while (slots[i_] && !(st[slots[i_] - 1].key.len == (kl) &&                                 \
                              !memcmp(st[slots[i_] - 1].key.p, (k), (kl))))                        \
            i_ = (i_ + 1) & smask;                                                                 \
        &slots[i_];                                                                                \
    })
#define FL_STAGE_PUSH(...)                                                                         \
    do {                                                                                           \
        st[nst] = (fl_stage_t){__VA_ARGS__};                                                       \
        *FL_STAGE_SLOT(st[nst].key.p, st[nst].key.len) = (uint32_t)(nst + 1);                      \
        nst++;                                                                                     \
    } while (0)
    /* pass 1: the records, and the distinct keys among them, whose current values (staged,
     * then RocksDB) are read in one batched lookup */
    fl_kvrecord_t *recs = fl_arena_alloc(a, ((size_t)kb.record_count + 1) * sizeof(*recs));
    uint32_t *rkey = fl_arena_alloc(a, ((size_t)kb.record_count + 1) * sizeof(uint32_t));
    const uint8_t **dk = fl_arena_alloc(a, ((size_t)kb.record_count + 1) * sizeof(*dk));
    size_t *dkl = fl_arena_alloc(a, ((size_t)kb.record_count + 1) * sizeof(*dkl));
    uint32_t *kslots = fl_arena_calloc(a, (smask + 1) * sizeof(uint32_t));
    size_t nrec = 0, nkeys = 0;
    {
        fl_kvbatch_iter_t it;
        fl_kvbatch_iter_init(&kb, &it);
        fl_kvrecord_t rec;
        while (nrec < (size_t)kb.record_count && fl_kvbatch_next(&it, &rec)) {
            size_t i = (size_t)fl_kvhash(rec.key.p, rec.key.len) & smask;
            while (kslots[i] && !(dkl[kslots[i] - 1] == rec.key.len &&
                                  !memcmp(dk[kslots[i] - 1], rec.key.p, rec.key.len)))
                i = (i + 1) & smask;
            if (!kslots[i]) {
                dk[nkeys] = rec.key.p;
                dkl[nkeys] = rec.key.len;
                kslots[i] = (uint32_t)++nkeys;
            }
            rkey[nrec] = kslots[i] - 1;
            recs[nrec++] = rec;
        }
        if (it.rd.err) {
            res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
            res->why = "A KV record does not decode.";
            return;
        }
    }
    fl_kv_olds_t olds = {a, fl_arena_calloc(a, (nkeys + 1) * sizeof(fl_view_t)),
                         fl_arena_calloc(a, nkeys + 1)};
    if (fl_replica_lookup(r, nkeys, dk, dkl, fl_kv_olds_put, &olds)) {
        res->err = FL_ERR_KV_STORAGE_EXCEPTION;
        res->why = "Reading the current value failed.";
        return;
    }
    /* pass 2: merge and build the changelog */
    for (size_t ri = 0; ri < nrec; ri++) {
        const fl_kvrecord_t rec = recs[ri];
        /* the current value: earlier records of this batch, then staged or stored (pass 1) */
        const uint8_t *oldv = NULL;
        size_t oldlen = 0;
        bool have_old = false;
        uint32_t hit = *FL_STAGE_SLOT(rec.key.p, rec.key.len);
        if (hit) {
            const fl_stage_t *sp = &st[hit - 1];
            have_old = !sp->del;
            if (have_old) {
                oldv = sp->val->p;
                oldlen = sp->val->len;
            }
        } else if (olds.found[rkey[ri]]) {
            have_old = true;
            oldv = olds.vals[rkey[ri]].p;
            oldlen = olds.vals[rkey[ri]].len;
        }
        fl_datum_t *old_row = NULL;
        if (have_old) {
            int16_t sid;
            fl_view_t rb;
            if (fl_row_split_value(oldv, oldlen, &sid, &rb) ||
                fl_row_decode(kvf, ti->row_type, rb.p, rb.len, a, &old_row)) {
                res->err = FL_ERR_KV_STORAGE_EXCEPTION;
                res->why = "A stored value does not decode.";
                goto out;
            }
        }
        if (rec.is_delete) {
            if (del_behavior == FL_DELETE_IGNORE) continue;
            if (del_behavior == FL_DELETE_DISABLE) {
                res->err = FL_ERR_DELETION_DISABLED_EXCEPTION;
                res->why = "Delete operations are disabled for this table. The table.delete.behavior is set to 'disable'.";
                goto out;
            }
            if (!have_old) continue;
            if (n_target) {
                /* a partial delete nulls the target (non-key) columns; when nothing but the
                 * key is left, the row is deleted */
                fl_datum_t *nr = fl_arena_alloc(a, ti->row_type->n_children * sizeof(fl_datum_t));
                memcpy(nr, old_row, ti->row_type->n_children * sizeof(fl_datum_t));
                bool any = false;
                for (uint32_t c = 0; c < ti->row_type->n_children; c++) {
                    bool target = false, key = false;
                    for (size_t i = 0; i < n_target; i++) target |= (uint32_t)target_cols[i] == c;
                    for (uint32_t k = 0; k < ti->n_pk; k++) key |= ti->pk_idx[k] == c;
                    if (target && !key) nr[c].is_null = true;
                    else if (!key && !nr[c].is_null) any = true;
                }
                if (any) {
                    fl_buf_t *nv = fl_arena_calloc(a, sizeof(fl_buf_t));
                    if (fl_row_encode_value(kvf, (int16_t)ti->schema_id, ti->row_type, nr, nv)) {
                        res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
                        res->why = "A row does not encode.";
                        goto out;
                    }
                    fl_arena_cleanup_add(a, (fl_arena_cleanup_cb *)fl_buf_free, nv);
                    if (!ti->changelog_wal) ch[nch++] = (fl_change_t){FL_CHANGE_UPDATE_BEFORE, old_row};
                    ch[nch++] = (fl_change_t){FL_CHANGE_UPDATE_AFTER, nr};
                    FL_STAGE_PUSH(rec.key, nv, false, nch - 1);
                    continue;
                }
            }
            ch[nch++] = (fl_change_t){FL_CHANGE_DELETE, old_row};
            FL_STAGE_PUSH(rec.key, NULL, true, nch - 1);
            continue;
        }
        fl_datum_t *new_row = NULL;
        if (fl_row_decode(kvf, ti->row_type, rec.value.p, rec.value.len, a, &new_row)) {
            res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
            res->why = fl_arena_sprintf(a, "The value of a record does not decode as a %s row of the table.",
                                        kvf == FL_ROW_COMPACTED ? "COMPACTED" : "INDEXED");
            goto out;
        }
        /* a null primary-key column or a null NOT NULL column would be stored, logged and then
         * refused by replay (Fluss's CORRUPT_MESSAGE covers "a null key for a primary key table") */
        for (uint32_t c = 0; c < ti->row_type->n_children; c++) {
            bool key = false;
            for (uint32_t k = 0; k < ti->n_pk; k++) key |= ti->pk_idx[k] == c;
            if (new_row[c].is_null && (key || !ti->row_type->children[c].nullable)) {
                res->err = FL_ERR_CORRUPT_MESSAGE;
                res->why = fl_arena_sprintf(a, "The value of a record has a null %s column %s.",
                                            key ? "primary-key" : "NOT NULL",
                                            ti->row_type->field_names[c]);
                goto out;
            }
        }
        if (have_old) {
            if (engine == FL_MERGE_FIRST_ROW) continue;
            if (engine == FL_MERGE_VERSIONED && ti->version_col >= 0) {
                const fl_type_t *vt = &ti->row_type->children[ti->version_col];
                if (fl_datum_cmp_version(vt, &new_row[ti->version_col], &old_row[ti->version_col]) < 0)
                    continue; /* an older version: ignored */
            }
            if (engine == FL_MERGE_AGGREGATION) {
                new_row = fl_agg_row(r->table, a, old_row, new_row, target_cols, n_target);
                if (!new_row) { /* Java: a RuntimeException, UNKNOWN_SERVER_ERROR for the batch */
                    res->err = FL_ERR_UNKNOWN_SERVER_ERROR;
                    res->why = "Unable to se/deserialize roaring bitmap.";
                    goto out;
                }
            } else if (n_target) {
                /* partial update: non-target columns keep their stored values */
                fl_datum_t *merged = fl_arena_alloc(a, ti->row_type->n_children * sizeof(fl_datum_t));
                for (uint32_t c = 0; c < ti->row_type->n_children; c++) {
                    bool target = false;
                    for (size_t i = 0; i < n_target; i++) target |= (uint32_t)target_cols[i] == c;
                    merged[c] = target ? new_row[c] : old_row[c];
                }
                new_row = merged;
            }
        } else if (n_target) {
            for (uint32_t c = 0; c < ti->row_type->n_children; c++) {
                bool target = false;
                for (size_t i = 0; i < n_target; i++) target |= (uint32_t)target_cols[i] == c;
                if (!target) new_row[c].is_null = true;
            }
        }
        fl_buf_t *nv = fl_arena_calloc(a, sizeof(fl_buf_t));
        fl_arena_cleanup_add(a, (fl_arena_cleanup_cb *)fl_buf_free, nv);
        if (fl_row_encode_value(kvf, (int16_t)ti->schema_id, ti->row_type, new_row, nv)) {
            res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
            res->why = "A row does not encode.";
            goto out;
        }
        if (have_old) {
            if (!ti->changelog_wal) ch[nch++] = (fl_change_t){FL_CHANGE_UPDATE_BEFORE, old_row};
            ch[nch++] = (fl_change_t){FL_CHANGE_UPDATE_AFTER, new_row};
        } else {
            ch[nch++] = (fl_change_t){ti->changelog_wal ? FL_CHANGE_UPDATE_AFTER : FL_CHANGE_INSERT, new_row};
        }
        FL_STAGE_PUSH(rec.key, nv, false, nch - 1);
    }
    {
        /* the changelog batch */
        fl_buf_t body, batchbuf;
        fl_buf_init(&body);
        fl_buf_init(&batchbuf);
        if (nch) {
            if (ti->log_format == FL_LOG_ARROW) {
                for (size_t i = 0; i < nch; i++) fl_buf_put_u8(&body, ch[i].type);
                const fl_datum_t **rows = fl_arena_alloc(a, nch * sizeof(void *));
                for (size_t i = 0; i < nch; i++) rows[i] = ch[i].row;
                err = fl_arrow_encode(ti->row_type, rows, nch, (fl_arrow_codec_t)ti->arrow_codec,
                                      ti->arrow_level, &body);
            } else {
                fl_row_format_t lf = ti->log_format == FL_LOG_INDEXED ? FL_ROW_INDEXED : FL_ROW_COMPACTED;
                for (size_t i = 0; i < nch && !err; i++)
                    err = fl_logrecord_write_row(&body, lf, (fl_change_type_t)ch[i].type, ti->row_type, ch[i].row);
            }
        }
        if (err) {
            fl_buf_free(&body);
            res->err = FL_ERR_CORRUPT_RECORD_EXCEPTION;
            res->why = "The changelog batch could not be built.";
            goto out;
        }
        fl_logbatch_build_t opt;
        fl_logbatch_build_defaults(&opt);
        opt.schema_id = (int16_t)ti->schema_id;
        opt.attributes = 0;
        opt.record_count = (int32_t)nch;
        opt.writer_id = kb.writer_id;
        opt.batch_sequence = kb.batch_sequence;
        fl_logbatch_build(&batchbuf, &opt, body.p, body.len);
        fl_buf_free(&body);
        fl_append_result_t ar;
        int64_t base = fl_logstore_end_offset(r->log);
        fl_replica_append(r, a, batchbuf.p, batchbuf.len, now_ms, &ar);
        fl_buf_free(&batchbuf);
        if (ar.err) {
            res->err = ar.err;
            res->why = ar.why;
            goto out;
        }
        if (ar.duplicate) { /* cannot happen: checked above */
            res->duplicate = true;
            res->next_offset = ar.next_offset;
            goto out;
        }
        base = ar.base_offset;
        for (size_t s = 0; s < nst; s++)
            fl_kvp_put(r->pending, st[s].key.p, st[s].key.len, st[s].del ? NULL : st[s].val->p,
                       st[s].del ? 0 : st[s].val->len, st[s].del, base + (int64_t)st[s].change);
        res->next_offset = ar.next_offset;
    }
out:
    FL_UNUSED(fl_kvp_truncate);
#undef FL_STAGE_SLOT
#undef FL_STAGE_PUSH
}
