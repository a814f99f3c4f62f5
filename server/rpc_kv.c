/* rpc_kv.c: primary-key tables (fluss-rpc.md 3.4, 3.5, 3.6): PutKv, Lookup, PrefixLookup and
 * GetLatestKvSnapshots. Decode -> tablet/fl_kv.c -> encode. PutKv responses wait for the group
 * commit of their changelog batches, as produce responses do. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fl_server_int.h"
#include "fl_tablemeta.h"

static void fl_putkv_fail_bucket(fl_produce_t *p, size_t i, fl_err_t code, const char *msg) {
    Fluss__PutKvResponse *resp = p->arg;
    Fluss__PbPutKvRespForBucket *out = resp->buckets_resp[i];
    out->has_log_end_offset = 0;
    out->has_error_code = 1;
    out->error_code = code;
    out->error_message = (char *)msg;
}

/* v0 clients and a lake table with kv format version 2 and a non-default bucket key */
static bool fl_kv_v0_refused(fl_req_t *req, int64_t table_id) {
    if (req->hdr.api_version >= 1) return false;
    fl_server_t *srv = req->conn->srv;
    const fl_table_t *t = srv->catalog ? fl_catalog_table_by_id(srv->catalog, table_id)
                                       : fl_tablemeta_table(srv->tablemeta, table_id);
    if (!t || !t->desc.schema.has_primary_key) return false;
    const char *fmt = fl_kvs_get(&t->desc.properties, "table.datalake.format");
    const char *ver = fl_kvs_get(&t->desc.properties, "table.kv.format-version");
    if (!fmt || !ver || strcmp(ver, "2")) return false;
    fl_tablet_table_info_t info;
    memset(&info, 0, sizeof(info));
    fl_server_table_kv_info(t, &info);
    return info.key_encoder == 0; /* COMPACTED keys although a lake format is set */
}

void fl_rpc_put_kv(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__PutKvRequest *r = (const Fluss__PutKvRequest *)req->body;
    if (fl_server_await_tables(req, fl_rpc_put_kv, &r->table_id, 1)) return;
    if (r->acks != 0 && r->acks != 1 && r->acks != -1) {
        fl_req_fail(req, FL_ERR_INVALID_REQUIRED_ACKS, "Invalid required acks: %d", r->acks);
        return;
    }
    if (fl_kv_v0_refused(req, r->table_id)) {
        fl_req_fail(req, FL_ERR_UNSUPPORTED_VERSION,
                    "The client is too old for this table (PutKv v0 with a non-default bucket "
                    "key on a lake table); upgrade to 0.9.");
        return;
    }
    size_t n = r->n_buckets_req;
    fl_produce_t *p = fl_write_wait_new(req, n);
    Fluss__PutKvResponse *resp = fl_arena_alloc(req->arena, sizeof(*resp));
    fluss__put_kv_response__init(resp);
    resp->buckets_resp = fl_arena_alloc(req->arena, (n + 1) * sizeof(void *));
    p->msg = &resp->base;
    p->arg = resp;
    p->fail = fl_putkv_fail_bucket;
    int64_t now = fl_now_ms();
    bool wait = false;
    for (size_t i = 0; i < n; i++) {
        const Fluss__PbPutKvReqForBucket *b = r->buckets_req[i];
        Fluss__PbPutKvRespForBucket *out = fl_arena_alloc(req->arena, sizeof(*out));
        fluss__pb_put_kv_resp_for_bucket__init(out);
        out->bucket_id = b->bucket_id;
        out->has_partition_id = b->has_partition_id;
        out->partition_id = b->partition_id;
        resp->buckets_resp[resp->n_buckets_resp++] = out;
        fl_err_t err = FL_ERR_NONE;
        const char *why = NULL;
        fl_replica_t *rep = fl_server_bucket(req, r->table_id, b->has_partition_id, b->partition_id,
                                             b->bucket_id, &err, &why);
        if (rep && !fl_replica_table(rep)->has_primary_key) {
            rep = NULL;
            err = FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION;
            why = fl_arena_sprintf(req->arena, "Table %" PRId64 " is not a primary-key table; use ProduceLog.",
                                   r->table_id);
        }
        if (rep) {
            fl_put_result_t res;
            fl_replica_put_kv(rep, req->arena, b->records.data, b->records.len, r->target_columns,
                              r->n_target_columns, r->has_agg_mode ? r->agg_mode : FL_KV_MERGE_MODE_DEFAULT,
                              now, &res);
            if (res.err) {
                err = res.err;
                why = res.why;
            } else {
                fl_write_wait_set(p, i, rep, res.next_offset);
                out->has_log_end_offset = 1;
                out->log_end_offset = res.next_offset;
                wait = true;
            }
        }
        if (err) {
            out->has_error_code = 1;
            out->error_code = fl_err_wire(err);
            out->error_message = (char *)why;
            fl_log_debug("kv", "PutKv to table %" PRId64 " bucket %d refused: %d %s", r->table_id,
                         b->bucket_id, out->error_code, why ? why : "");
        }
    }
    if (!wait || r->acks == 0) {
        fl_req_respond(req, &resp->base);
        return;
    }
    fl_write_wait_add(srv, p);
}

/* The values of one bucket's Lookup, copied once, straight from RocksDB's pinned blocks (or
 * the staged values) into the request arena. */
typedef struct fl_lookup_vals_s {
    fl_arena_t *arena;
    Fluss__PbValue **vals;
} fl_lookup_vals_t;

static void fl_lookup_collect(void *arg, size_t i, const uint8_t *v, size_t vl) {
    fl_lookup_vals_t *lv = arg;
    if (!v) return; /* absent: a PbValue without values */
    Fluss__PbValue *pv = lv->vals[i];
    pv->has_values = 1;
    pv->values.data = fl_arena_alloc(lv->arena, vl ? vl : 1);
    memcpy(pv->values.data, v, vl);
    pv->values.len = vl;
}

void fl_rpc_lookup(fl_req_t *req) {
    const Fluss__LookupRequest *r = (const Fluss__LookupRequest *)req->body;
    if (fl_server_await_tables(req, fl_rpc_lookup, &r->table_id, 1)) return;
    if (fl_kv_v0_refused(req, r->table_id)) {
        fl_req_fail(req, FL_ERR_UNSUPPORTED_VERSION,
                    "The client is too old for this table (Lookup v0 with a non-default bucket "
                    "key on a lake table); upgrade to 0.9.");
        return;
    }
    if (r->has_insert_if_not_exists && r->insert_if_not_exists) {
        fl_req_fail(req, FL_ERR_UNSUPPORTED_VERSION, "Lookup with insert-if-not-exists is not supported.");
        return;
    }
    Fluss__LookupResponse resp = FLUSS__LOOKUP_RESPONSE__INIT;
    resp.buckets_resp = fl_arena_alloc(req->arena, (r->n_buckets_req + 1) * sizeof(void *));
    for (size_t i = 0; i < r->n_buckets_req; i++) {
        const Fluss__PbLookupReqForBucket *b = r->buckets_req[i];
        Fluss__PbLookupRespForBucket *out = fl_arena_alloc(req->arena, sizeof(*out));
        fluss__pb_lookup_resp_for_bucket__init(out);
        out->bucket_id = b->bucket_id;
        out->has_partition_id = b->has_partition_id;
        out->partition_id = b->partition_id;
        resp.buckets_resp[resp.n_buckets_resp++] = out;
        fl_err_t err = FL_ERR_NONE;
        const char *why = NULL;
        fl_replica_t *rep = fl_server_bucket(req, r->table_id, b->has_partition_id, b->partition_id,
                                             b->bucket_id, &err, &why);
        if (rep && !fl_replica_table(rep)->has_primary_key) {
            rep = NULL;
            err = FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION;
            why = "Lookup is only supported on primary-key tables.";
        }
        if (rep) {
            size_t nk = b->n_keys;
            const uint8_t **keys = fl_arena_alloc(req->arena, (nk + 1) * sizeof(*keys));
            size_t *klens = fl_arena_alloc(req->arena, (nk + 1) * sizeof(*klens));
            fl_lookup_vals_t lv = {req->arena, fl_arena_alloc(req->arena, (nk + 1) * sizeof(void *))};
            for (size_t k = 0; k < nk; k++) {
                keys[k] = b->keys[k].data;
                klens[k] = b->keys[k].len;
                lv.vals[k] = fl_arena_alloc(req->arena, sizeof(Fluss__PbValue));
                fluss__pb_value__init(lv.vals[k]);
            }
            if (fl_replica_lookup(rep, nk, keys, klens, fl_lookup_collect, &lv)) {
                err = FL_ERR_KV_STORAGE_EXCEPTION;
                why = "Reading the KV index failed.";
            } else {
                out->values = lv.vals;
                out->n_values = nk;
            }
        }
        if (err) {
            out->has_error_code = 1;
            out->error_code = fl_err_wire(err);
            out->error_message = (char *)why;
        }
    }
    fl_req_respond(req, &resp.base);
}

typedef struct fl_plist_s {
    fl_arena_t *arena;
    ProtobufCBinaryData *vals;
    size_t n, cap;
} fl_plist_t;

static bool fl_prefix_collect(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    FL_UNUSED(k);
    FL_UNUSED(kl);
    fl_plist_t *pl = arg;
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 16;
        ProtobufCBinaryData *nv = fl_arena_alloc(pl->arena, cap * sizeof(*nv));
        if (pl->n) memcpy(nv, pl->vals, pl->n * sizeof(*nv));
        pl->vals = nv;
        pl->cap = cap;
    }
    pl->vals[pl->n].data = fl_arena_alloc(pl->arena, vl ? vl : 1);
    memcpy(pl->vals[pl->n].data, v, vl);
    pl->vals[pl->n].len = vl;
    pl->n++;
    return true;
}

void fl_rpc_prefix_lookup(fl_req_t *req) {
    const Fluss__PrefixLookupRequest *r = (const Fluss__PrefixLookupRequest *)req->body;
    if (fl_server_await_tables(req, fl_rpc_prefix_lookup, &r->table_id, 1)) return;
    if (fl_kv_v0_refused(req, r->table_id)) {
        fl_req_fail(req, FL_ERR_UNSUPPORTED_VERSION,
                    "The client is too old for this table (PrefixLookup v0); upgrade to 0.9.");
        return;
    }
    Fluss__PrefixLookupResponse resp = FLUSS__PREFIX_LOOKUP_RESPONSE__INIT;
    resp.buckets_resp = fl_arena_alloc(req->arena, (r->n_buckets_req + 1) * sizeof(void *));
    for (size_t i = 0; i < r->n_buckets_req; i++) {
        const Fluss__PbPrefixLookupReqForBucket *b = r->buckets_req[i];
        Fluss__PbPrefixLookupRespForBucket *out = fl_arena_alloc(req->arena, sizeof(*out));
        fluss__pb_prefix_lookup_resp_for_bucket__init(out);
        out->bucket_id = b->bucket_id;
        out->has_partition_id = b->has_partition_id;
        out->partition_id = b->partition_id;
        resp.buckets_resp[resp.n_buckets_resp++] = out;
        fl_err_t err = FL_ERR_NONE;
        const char *why = NULL;
        fl_replica_t *rep = fl_server_bucket(req, r->table_id, b->has_partition_id, b->partition_id,
                                             b->bucket_id, &err, &why);
        if (rep && !fl_replica_table(rep)->has_primary_key) {
            rep = NULL;
            err = FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION;
            why = "Prefix lookup is only supported on primary-key tables.";
        }
        if (rep) {
            out->value_lists = fl_arena_alloc(req->arena, (b->n_keys + 1) * sizeof(void *));
            for (size_t k = 0; k < b->n_keys && !err; k++) {
                fl_plist_t pl = {req->arena, NULL, 0, 0};
                err = fl_replica_prefix_scan(rep, b->keys[k].data, b->keys[k].len, fl_prefix_collect, &pl);
                Fluss__PbValueList *vl = fl_arena_alloc(req->arena, sizeof(*vl));
                fluss__pb_value_list__init(vl);
                vl->n_values = pl.n;
                vl->values = pl.vals;
                out->value_lists[out->n_value_lists++] = vl;
                if (err) why = "Reading the KV index failed.";
            }
            if (err) out->n_value_lists = 0;
        }
        if (err) {
            out->has_error_code = 1;
            out->error_code = fl_err_wire(err);
            out->error_message = (char *)why;
        }
    }
    fl_req_respond(req, &resp.base);
}

/* No KV snapshots are kept: every bucket answers "none", which tells readers to start from
 * the changelog at its earliest offset (fluss-rpc.md 3.6). */
void fl_rpc_kv_snapshots(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__GetLatestKvSnapshotsRequest *r = (const Fluss__GetLatestKvSnapshotsRequest *)req->body;
    const fl_table_t *t = fl_catalog_table(srv->catalog, r->table_path->database_name, r->table_path->table_name);
    if (!t) {
        fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.",
                    r->table_path->database_name, r->table_path->table_name);
        return;
    }
    if (!t->desc.schema.has_primary_key) {
        fl_req_fail(req, FL_ERR_NON_PRIMARY_KEY_TABLE_EXCEPTION,
                    "Table '%s.%s' is not a primary-key table.", t->db, t->name);
        return;
    }
    Fluss__GetLatestKvSnapshotsResponse resp = FLUSS__GET_LATEST_KV_SNAPSHOTS_RESPONSE__INIT;
    resp.table_id = t->id;
    if (r->partition_name) {
        const fl_partition_t *p = fl_catalog_partition(t, r->partition_name);
        if (!p) {
            fl_req_fail(req, FL_ERR_PARTITION_NOT_EXISTS, "Partition '%s' of table '%s.%s' does not exist.",
                        r->partition_name, t->db, t->name);
            return;
        }
        resp.has_partition_id = 1;
        resp.partition_id = p->id;
    } else if (t->desc.partition_keys.n) {
        fl_req_fail(req, FL_ERR_PARTITION_NOT_EXISTS, "Table '%s.%s' is partitioned: name a partition.",
                    t->db, t->name);
        return;
    }
    resp.latest_snapshots = fl_arena_alloc(req->arena, ((size_t)t->desc.bucket_count + 1) * sizeof(void *));
    for (int32_t b = 0; b < t->desc.bucket_count; b++) {
        Fluss__PbKvSnapshot *s = fl_arena_alloc(req->arena, sizeof(*s));
        fluss__pb_kv_snapshot__init(s);
        s->bucket_id = b;
        resp.latest_snapshots[resp.n_latest_snapshots++] = s;
    }
    fl_req_respond(req, &resp.base);
}

/* ---- 1033 LimitScan ------------------------------------------------------------------------- */

typedef struct fl_limit_vals_s {
    fl_buf_t *out;
    int32_t left;
    int32_t n;
} fl_limit_vals_t;

/* DefaultValueRecordBatch record: Length int32 LE (= size - 4), then the stored value (schema id
 * int16 + row), exactly as Fluss's builder appends stored value bytes. */
static bool fl_limit_collect(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    FL_UNUSED(k);
    FL_UNUSED(kl);
    fl_limit_vals_t *lv = arg;
    if (lv->left <= 0) return false;
    fl_buf_put_i32le(lv->out, (int32_t)vl);
    fl_buf_put(lv->out, v, vl);
    lv->left--;
    lv->n++;
    return lv->left > 0;
}

/* The first `limit` values of a primary-key bucket as a DefaultValueRecordBatch
 * (Length int32 LE = size - 4, Magic int8 = 0, RecordCount int32 LE, records); for a log table
 * the batches from max(log start, high watermark - limit) up to the high watermark, which the
 * client trims to the last `limit` rows (Fluss Replica.limitKvScan / limitLogScan). */
void fl_rpc_limit_scan(fl_req_t *req) {
    const Fluss__LimitScanRequest *r = (const Fluss__LimitScanRequest *)req->body;
    if (fl_server_await_tables(req, fl_rpc_limit_scan, &r->table_id, 1)) return;
    Fluss__LimitScanResponse resp = FLUSS__LIMIT_SCAN_RESPONSE__INIT;
    fl_err_t err = FL_ERR_NONE;
    const char *why = NULL;
    fl_replica_t *rep = fl_server_bucket(req, r->table_id, r->has_partition_id, r->partition_id,
                                         r->bucket_id, &err, &why);
    fl_buf_t *out = fl_arena_calloc(req->arena, sizeof(fl_buf_t));
    fl_arena_cleanup_add(req->arena, (fl_arena_cleanup_cb *)fl_buf_free, out);
    if (rep && fl_replica_table(rep)->has_primary_key) {
        fl_buf_put_i32le(out, 0); /* length, patched below */
        fl_buf_put_u8(out, 0);    /* magic V0 */
        fl_buf_put_i32le(out, 0); /* record count, patched below */
        fl_limit_vals_t lv = {out, r->limit, 0};
        if (r->limit > 0) err = fl_replica_prefix_scan(rep, (const uint8_t *)"", 0, fl_limit_collect, &lv);
        if (err) {
            why = "Reading the KV index failed.";
        } else {
            fl_buf_patch_i32le(out, 0, (int32_t)(out->len - 4));
            fl_buf_patch_i32le(out, 5, lv.n);
            resp.has_is_log_table = 1;
            resp.is_log_table = 0;
        }
    } else if (rep) {
        fl_logstore_t *log = fl_replica_log(rep);
        int64_t hw = fl_replica_high_watermark(rep);
        int64_t start = fl_replica_start_offset(rep);
        int64_t off = r->limit > 0 && hw - r->limit > start ? hw - r->limit : start;
        if (r->limit <= 0) off = hw;
        while (!err && off < hw) {
            int64_t next = off;
            err = fl_logstore_read_copy(log, off, 64u << 20, hw, true, out, &next);
            if (next <= off) break;
            off = next;
        }
        if (err) {
            why = fl_arena_sprintf(req->arena, "Reading the log of bucket %d failed: %s", r->bucket_id,
                                   fl_err2str(err));
        } else {
            resp.has_is_log_table = 1;
            resp.is_log_table = 1;
        }
    }
    if (err) {
        resp.has_error_code = 1;
        resp.error_code = fl_err_wire(err);
        resp.error_message = (char *)why;
    } else if (out->len) {
        resp.has_records = 1;
        resp.records.data = out->p;
        resp.records.len = out->len;
    }
    fl_req_respond(req, &resp.base);
}

/* ---- 1056-1058 KV snapshot leases ------------------------------------------------------------ */

/* No KV snapshots are kept (GetLatestKvSnapshots answers "none"), so there is nothing to pin:
 * every snapshot asked for is unavailable, and releasing or dropping a lease succeeds. Fluss's
 * Flink source drops its lease when a batch read of a primary-key table ends. */
void fl_rpc_acquire_kv_snapshot_lease(fl_req_t *req) {
    const Fluss__AcquireKvSnapshotLeaseRequest *r = (const Fluss__AcquireKvSnapshotLeaseRequest *)req->body;
    Fluss__AcquireKvSnapshotLeaseResponse resp = FLUSS__ACQUIRE_KV_SNAPSHOT_LEASE_RESPONSE__INIT;
    resp.n_unavailable_snapshots = r->n_snapshots_to_lease;
    resp.unavailable_snapshots = r->snapshots_to_lease;
    fl_req_respond(req, &resp.base);
}

void fl_rpc_release_kv_snapshot_lease(fl_req_t *req) {
    Fluss__ReleaseKvSnapshotLeaseResponse resp = FLUSS__RELEASE_KV_SNAPSHOT_LEASE_RESPONSE__INIT;
    fl_req_respond(req, &resp.base);
}

void fl_rpc_drop_kv_snapshot_lease(fl_req_t *req) {
    Fluss__DropKvSnapshotLeaseResponse resp = FLUSS__DROP_KV_SNAPSHOT_LEASE_RESPONSE__INIT;
    fl_req_respond(req, &resp.base);
}
