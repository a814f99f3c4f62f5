/* rpc_log.c: the log path of tablet servers (fluss-rpc.md 3.3 and 3.6): InitWriter,
 * ProduceLog, FetchLog with long polling and column projection, ListOffsets, and
 * GetFileSystemSecurityToken. Decode -> tablet/ -> encode.
 *
 * Produce responses with acks 1 or -1 wait for the group commit (fl_server_before_sleep): the
 * batches have their offsets when the handler returns and are written from the request arena
 * by the tablet's writer thread; a commit after that write (and, per the flush policy, the
 * fsync) makes them visible before anyone is told. Fetches that find fewer
 * than min_bytes park until a high watermark moves or max_wait_ms passes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include <stdlib.h>

#include "fl_arrow.h"
#include "fl_keyenc.h"
#include "fl_row.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_reader.h"
#include "fl_server_int.h"
#include "fl_tablemeta.h"

#define FETCH_FROM_EARLIEST (-2)

/* ---- resolving buckets ---------------------------------------------------------------------- */

static fl_log_format_t fl_table_log_format(const fl_table_t *t) {
    const char *f = fl_kvs_get(&t->desc.properties, "table.log.format");
    if (f && !strcasecmp(f, "INDEXED")) return FL_LOG_INDEXED;
    if (f && !strcasecmp(f, "COMPACTED")) return FL_LOG_COMPACTED;
    return FL_LOG_ARROW;
}

/* The log-format and primary-key details of a table, from its properties. */
void fl_server_table_kv_info(const fl_table_t *t, fl_tablet_table_info_t *info) {
    const fl_kvs_t *p = &t->desc.properties;
    const char *v = fl_kvs_get(p, "table.log.arrow.compression.type");
    info->arrow_codec = !v || !strcasecmp(v, "ZSTD") ? FL_ARROW_CODEC_ZSTD
                        : !strcasecmp(v, "LZ4_FRAME") ? FL_ARROW_CODEC_LZ4_FRAME
                                                      : FL_ARROW_CODEC_NONE;
    v = fl_kvs_get(p, "table.log.arrow.compression.zstd.level");
    info->arrow_level = v ? atoi(v) : 3;
    if (!t->desc.schema.has_primary_key) return;
    v = fl_kvs_get(p, "table.kv.format");
    info->kv_format = v && !strcasecmp(v, "INDEXED") ? FL_ROW_INDEXED : FL_ROW_COMPACTED;
    const fl_schema_t *s = &t->desc.schema;
    info->n_pk = 0;
    for (size_t i = 0; i < s->primary_key.n && info->n_pk < FL_ARRAY_LEN(info->pk_idx); i++) {
        if (fl_strs_has(&t->desc.partition_keys, s->primary_key.items[i])) continue;
        info->pk_idx[info->n_pk++] = (uint32_t)fl_schema_col_index(s, s->primary_key.items[i]);
    }
    bool default_bucket_key = t->desc.bucket_keys.n == info->n_pk;
    for (size_t i = 0; i < t->desc.bucket_keys.n && default_bucket_key; i++)
        default_bucket_key = fl_schema_col_index(s, t->desc.bucket_keys.items[i]) == (int)info->pk_idx[i];
    v = fl_kvs_get(p, "table.kv.format-version");
    fl_keyenc_kind_t kind = FL_KEYENC_COMPACTED;
    fl_keyenc_for_pk(fl_kvs_get(p, "table.datalake.format"), v ? atoi(v) : 0, default_bucket_key, &kind);
    info->key_encoder = kind;
    v = fl_kvs_get(p, "table.merge-engine");
    info->merge_engine = !v                            ? FL_MERGE_DEFAULT
                         : !strcasecmp(v, "FIRST_ROW") ? FL_MERGE_FIRST_ROW
                         : !strcasecmp(v, "VERSIONED") ? FL_MERGE_VERSIONED
                                                       : FL_MERGE_AGGREGATION;
    v = fl_kvs_get(p, "table.merge-engine.versioned.ver-column");
    info->version_col = v ? fl_schema_col_index(s, v) : -1;
    v = fl_kvs_get(p, "table.delete.behavior");
    info->delete_behavior = !v || !strcasecmp(v, "ALLOW") ? FL_DELETE_ALLOW
                            : !strcasecmp(v, "IGNORE")     ? FL_DELETE_IGNORE
                                                           : FL_DELETE_DISABLE;
    v = fl_kvs_get(p, "table.changelog.image");
    info->changelog_wal = v && !strcasecmp(v, "WAL");
    info->cols = s->cols;
}

/* Find (opening on first use) the replica this server leads for a bucket, or say why not. */
fl_replica_t *fl_server_bucket(fl_req_t *req, int64_t table_id, bool has_partition,
                               int64_t partition_id, int32_t bucket, fl_err_t *err,
                               const char **why) {
    return fl_server_bucket_open(req->conn->srv, req->arena, table_id, has_partition, partition_id,
                                 bucket, err, why);
}

static fl_replica_t *fl_server_bucket_lead(fl_server_t *srv, fl_arena_t *arena,
                                           const fl_table_t *t, int64_t pid, int32_t bucket,
                                           fl_err_t *err, const char **why);

bool fl_server_await_tables(fl_req_t *req, fl_handler_cb *cb, const int64_t *ids, size_t n) {
    fl_server_t *srv = req->conn->srv;
    if (srv->catalog || !srv->tablemeta || req->meta_waited || srv->stopping) return false;
    bool missing = !fl_tablemeta_synced(srv->tablemeta);
    for (size_t i = 0; i < n && !missing; i++)
        missing = !fl_tablemeta_table(srv->tablemeta, ids[i]);
    if (!missing) return false;
    req->meta_waited = true;
    return fl_coordlink_await(srv->coordlink, req, cb);
}

/* A tablet-server process: the table comes from the coordinator's metadata (fl_tablemeta.h)
 * and this server leads a bucket when the coordinator names it leader. Until the first
 * metadata arrives, and for tables or partitions it does not know yet (just created), the
 * answer is retriable and the metadata is asked for again. */
static fl_replica_t *fl_server_bucket_open_ts(fl_server_t *srv, fl_arena_t *arena,
                                              int64_t table_id, bool has_partition,
                                              int64_t partition_id, int32_t bucket,
                                              fl_err_t *err, const char **why) {
    int64_t pid = has_partition ? partition_id : -1;
    if (!fl_tablemeta_synced(srv->tablemeta)) {
        fl_coordlink_refresh(srv->coordlink);
        *err = FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Tablet server %d has not received the table metadata "
                                       "from the coordinator yet.", srv->tablet_id);
        return NULL;
    }
    const fl_table_t *t = fl_tablemeta_table(srv->tablemeta, table_id);
    if (!t) {
        fl_coordlink_refresh(srv->coordlink);
        *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Unknown table or bucket: TableBucket{tableId=%" PRId64
                                            ", bucket=%d}", table_id, bucket);
        return NULL;
    }
    if (t->desc.partition_keys.n) {
        if (!has_partition || !fl_tablemeta_partition(t, pid)) {
            fl_coordlink_refresh(srv->coordlink);
            *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
            *why = fl_arena_sprintf(arena, "Unknown partition %" PRId64 " of table %" PRId64 ".",
                                    pid, table_id);
            return NULL;
        }
    } else if (has_partition) {
        *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Table %" PRId64 " is not partitioned.", table_id);
        return NULL;
    }
    if (bucket < 0 || bucket >= t->desc.bucket_count) {
        *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Unknown table or bucket: TableBucket{tableId=%" PRId64
                                            ", bucket=%d}", table_id, bucket);
        return NULL;
    }
    if (fl_tablemeta_leader(srv->tablemeta, table_id, pid, bucket) != srv->tablet_id) {
        *err = FL_ERR_NOT_LEADER_OR_FOLLOWER;
        *why = fl_arena_sprintf(arena,
                                "server %d is not leader or follower for TableBucket{tableId=%" PRId64
                                ", bucket=%d}", srv->tablet_id, table_id, bucket);
        return NULL;
    }
    fl_replica_t *r = fl_tablet_replica(srv->tablet, table_id, pid, bucket);
    if (r) return r;
    return fl_server_bucket_lead(srv, arena, t, pid, bucket, err, why);
}

fl_replica_t *fl_server_bucket_open(fl_server_t *srv, fl_arena_t *arena, int64_t table_id,
                                    bool has_partition, int64_t partition_id, int32_t bucket,
                                    fl_err_t *err, const char **why) {
    if (!srv->catalog)
        return fl_server_bucket_open_ts(srv, arena, table_id, has_partition, partition_id, bucket,
                                        err, why);
    int64_t pid = has_partition ? partition_id : -1;
    fl_replica_t *r = fl_tablet_replica(srv->tablet, table_id, pid, bucket);
    if (r) return r;
    const fl_table_t *t = srv->catalog ? fl_catalog_table_by_id(srv->catalog, table_id) : NULL;
    if (!t) {
        *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Unknown table or bucket: TableBucket{tableId=%" PRId64
                                            ", bucket=%d}", table_id, bucket);
        return NULL;
    }
    const fl_assignment_t *as = &t->assign;
    if (t->desc.partition_keys.n) {
        const fl_table_t *pt = NULL;
        const fl_partition_t *p = has_partition ? fl_catalog_partition_by_id(srv->catalog, pid, &pt) : NULL;
        if (!p || pt != t) {
            *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
            *why = fl_arena_sprintf(arena, "Unknown partition %" PRId64 " of table %" PRId64 ".",
                                    pid, table_id);
            return NULL;
        }
        as = &p->assign;
    } else if (has_partition) {
        *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Table %" PRId64 " is not partitioned.", table_id);
        return NULL;
    }
    if (bucket < 0 || bucket >= t->desc.bucket_count || !as->replicas) {
        *err = FL_ERR_UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
        *why = fl_arena_sprintf(arena, "Unknown table or bucket: TableBucket{tableId=%" PRId64
                                            ", bucket=%d}", table_id, bucket);
        return NULL;
    }
    int32_t leader = -1;
    for (int32_t i = 0; i < as->rf; i++) {
        const fl_server_node_t *n = fl_cluster_tablet(srv->cluster, as->replicas[bucket * as->rf + i]);
        if (n && n->alive) {
            leader = n->id;
            break;
        }
    }
    if (leader != srv->tablet_id) {
        *err = FL_ERR_NOT_LEADER_OR_FOLLOWER;
        *why = fl_arena_sprintf(arena,
                                "server %d is not leader or follower for TableBucket{tableId=%" PRId64
                                ", bucket=%d}", srv->tablet_id, table_id, bucket);
        return NULL;
    }
    return fl_server_bucket_lead(srv, arena, t, pid, bucket, err, why);
}

/* Open (recovering) the replica of a bucket this server leads. */
static fl_replica_t *fl_server_bucket_lead(fl_server_t *srv, fl_arena_t *arena,
                                           const fl_table_t *t, int64_t pid, int32_t bucket,
                                           fl_err_t *err, const char **why) {
    fl_tablet_table_info_t info;
    memset(&info, 0, sizeof(info));
    info.table_id = t->id;
    info.schema_id = t->schema_id;
    info.log_format = fl_table_log_format(t);
    info.has_primary_key = t->desc.schema.has_primary_key;
    info.ttl_ms = 7LL * 86400000;
    const char *ttl = fl_kvs_get(&t->desc.properties, "table.log.ttl");
    if (ttl) fl_parse_duration_ms(ttl, &info.ttl_ms);
    info.row_type = fl_schema_row_type(arena, &t->desc.schema);
    fl_server_table_kv_info(t, &info);
    return fl_tablet_lead(srv->tablet, &info, pid, bucket, 0, err, why);
}

/* ---- InitWriter / security token -------------------------------------------------------------- */

void fl_rpc_init_writer(fl_req_t *req) {
    Fluss__InitWriterResponse resp = FLUSS__INIT_WRITER_RESPONSE__INIT;
    resp.writer_id = fl_tablet_new_writer_id(req->conn->srv->tablet, fl_now_ms());
    fl_req_respond(req, &resp.base);
}

/* No remote storage: answer as Fluss does for a local file system (schema "file", empty token). */
void fl_rpc_fs_token(fl_req_t *req) {
    Fluss__GetFileSystemSecurityTokenResponse resp = FLUSS__GET_FILE_SYSTEM_SECURITY_TOKEN_RESPONSE__INIT;
    resp.schema = "file";
    resp.token.data = (uint8_t *)"";
    resp.token.len = 0;
    fl_req_respond(req, &resp.base);
}

/* ---- ProduceLog -------------------------------------------------------------------------------- */

/* ProduceLogRequest without copying the records (fluss.proto; protobuf wire format):
 *   1 acks (varint, required)  2 table_id (varint, required)  3 timeout_ms (varint, required)
 *   4 buckets_req (length-delimited, repeated): PbProduceLogReqForBucket
 *       1 partition_id (varint, optional)  2 bucket_id (varint, required)
 *       3 records (length-delimited, required)
 * Anything else (unknown or repeated scalar fields, other wire types, a missing required
 * field, a bad varint or length) returns NULL: protobuf-c then decodes the body as usual, so
 * errors read the same either way. Varints of int32 fields are truncated as protobuf does. */
static bool fl_produce_decode_bucket(fl_arena_t *a, fl_reader_t *rd,
                                     Fluss__PbProduceLogReqForBucket **out) {
    Fluss__PbProduceLogReqForBucket *b = fl_arena_alloc(a, sizeof(*b));
    fluss__pb_produce_log_req_for_bucket__init(b);
    unsigned seen = 0;
    while (fl_rd_remaining(rd) && !rd->err) {
        uint64_t key = fl_rd_uvarint(rd);
        if (key >> 3 > 3) return false; /* before narrowing: 2^32 + 2 is no field 2 */
        unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
        if (field < 1 || (seen & (1u << field))) return false;
        seen |= 1u << field;
        if (field == 3) {
            if (wt != 2) return false;
            uint64_t n = fl_rd_uvarint(rd);
            if (rd->err || n > fl_rd_remaining(rd)) return false;
            fl_view_t v = fl_rd_bytes(rd, (size_t)n);
            b->records.data = (uint8_t *)v.p; /* the frame is the request's: ours to stamp */
            b->records.len = v.len;
            continue;
        }
        if (wt != 0) return false;
        uint64_t v = fl_rd_uvarint(rd);
        if (field == 1) {
            b->has_partition_id = 1;
            b->partition_id = (int64_t)v;
        } else {
            b->bucket_id = (int32_t)v;
        }
    }
    if (rd->err || (seen & 0xC) != 0xC) return false;
    *out = b;
    return true;
}

ProtobufCMessage *fl_rpc_produce_log_decode(fl_arena_t *a, const uint8_t *body, size_t len) {
    Fluss__ProduceLogRequest *r = fl_arena_alloc(a, sizeof(*r));
    fluss__produce_log_request__init(r);
    fl_reader_t rd;
    fl_rd_init(&rd, body, len);
    unsigned seen = 0;
    size_t cap = 0;
    while (fl_rd_remaining(&rd) && !rd.err) {
        uint64_t key = fl_rd_uvarint(&rd);
        if (key >> 3 > 4) return NULL; /* before narrowing: 2^32 + 4 is no field 4 */
        unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
        if (field < 1) return NULL;
        if (field == 4) {
            if (wt != 2) return NULL;
            uint64_t n = fl_rd_uvarint(&rd);
            if (rd.err || n > fl_rd_remaining(&rd)) return NULL;
            fl_reader_t sub;
            fl_rd_narrow(&rd, (size_t)n, &sub);
            if (r->n_buckets_req == cap) { /* grows with what decodes, never from a count */
                size_t ncap = cap ? cap * 2 : 4;
                Fluss__PbProduceLogReqForBucket **nb = fl_arena_alloc(a, ncap * sizeof(*nb));
                if (cap) memcpy(nb, r->buckets_req, cap * sizeof(*nb));
                r->buckets_req = nb;
                cap = ncap;
            }
            if (!fl_produce_decode_bucket(a, &sub, &r->buckets_req[r->n_buckets_req])) return NULL;
            r->n_buckets_req++;
            continue;
        }
        if (wt != 0 || (seen & (1u << field))) return NULL;
        seen |= 1u << field;
        uint64_t v = fl_rd_uvarint(&rd);
        if (field == 1) r->acks = (int32_t)v;
        else if (field == 2) r->table_id = (int64_t)v;
        else r->timeout_ms = (int32_t)v;
    }
    if (rd.err || (seen & 0xE) != 0xE) return NULL;
#ifndef NDEBUG
    /* debug builds: protobuf-c must read the same request */
    const char *why = NULL;
    const Fluss__ProduceLogRequest *pb = (const Fluss__ProduceLogRequest *)fl_pb_unpack(
        a, &fluss__produce_log_request__descriptor, body, len, &why);
    bool same = pb && pb->acks == r->acks && pb->table_id == r->table_id &&
                pb->timeout_ms == r->timeout_ms && pb->n_buckets_req == r->n_buckets_req;
    for (size_t i = 0; same && i < r->n_buckets_req; i++) {
        const Fluss__PbProduceLogReqForBucket *x = pb->buckets_req[i], *y = r->buckets_req[i];
        same = x->has_partition_id == y->has_partition_id && x->partition_id == y->partition_id &&
               x->bucket_id == y->bucket_id && x->records.len == y->records.len &&
               (!y->records.len || !memcmp(x->records.data, y->records.data, y->records.len));
    }
    if (!same) {
        fl_log_error("server", "ProduceLog decoders disagree (%s)", why ? why : "fields differ");
        abort();
    }
#endif
    return &r->base;
}

static void fl_produce_fail_bucket(fl_produce_t *p, size_t i, fl_err_t code, const char *msg) {
    Fluss__PbProduceLogRespForBucket *out = p->resp.buckets_resp[i];
    out->has_base_offset = 0;
    out->has_error_code = 1;
    out->error_code = code;
    out->error_message = (char *)msg;
}

fl_produce_t *fl_write_wait_new(fl_req_t *req, size_t n) {
    fl_produce_t *p = fl_arena_calloc(req->arena, sizeof(*p));
    p->req = req;
    p->n = n;
    p->replicas = fl_arena_calloc(req->arena, (n + 1) * sizeof(void *));
    p->targets = fl_arena_calloc(req->arena, (n + 1) * sizeof(int64_t));
    return p;
}

void fl_write_wait_add(fl_server_t *srv, fl_produce_t *p) {
    p->next = srv->pending_produce;
    srv->pending_produce = p;
}

void fl_write_wait_set(fl_produce_t *p, size_t i, fl_replica_t *r, int64_t target) {
    p->replicas[i] = r;
    p->targets[i] = target;
}

void fl_rpc_produce_log(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__ProduceLogRequest *r = (const Fluss__ProduceLogRequest *)req->body;
    if (fl_server_await_tables(req, fl_rpc_produce_log, &r->table_id, 1)) return;
    if (r->acks != 0 && r->acks != 1 && r->acks != -1) {
        fl_req_fail(req, FL_ERR_INVALID_REQUIRED_ACKS, "Invalid required acks: %d", r->acks);
        return;
    }
    size_t n = r->n_buckets_req;
    fl_produce_t *p = fl_write_wait_new(req, n);
    fluss__produce_log_response__init(&p->resp);
    p->msg = &p->resp.base;
    p->fail = fl_produce_fail_bucket;
    p->resp.buckets_resp = fl_arena_alloc(req->arena, (n + 1) * sizeof(void *));
    int64_t now = fl_now_ms();
    bool wait = false;
    for (size_t i = 0; i < n; i++) {
        const Fluss__PbProduceLogReqForBucket *b = r->buckets_req[i];
        Fluss__PbProduceLogRespForBucket *out = fl_arena_alloc(req->arena, sizeof(*out));
        fluss__pb_produce_log_resp_for_bucket__init(out);
        out->bucket_id = b->bucket_id;
        out->has_partition_id = b->has_partition_id;
        out->partition_id = b->partition_id;
        p->resp.buckets_resp[p->resp.n_buckets_resp++] = out;
        fl_err_t err = FL_ERR_NONE;
        const char *why = NULL;
        fl_replica_t *rep = fl_server_bucket(req, r->table_id, b->has_partition_id, b->partition_id,
                                             b->bucket_id, &err, &why);
        if (rep && fl_replica_table(rep)->has_primary_key) {
            rep = NULL;
            err = FL_ERR_INVALID_TABLE_EXCEPTION;
            why = "ProduceLog is not allowed on a primary-key table; use PutKv.";
        }
        if (rep) {
            fl_append_result_t res;
            /* records is in the request arena: ours to stamp, and alive until the response,
             * which waits for the write to settle (fl_produce_complete), so it is written from
             * there. acks=0 answers at once: its bytes are copied for the writer. */
            if (r->acks == 0)
                fl_replica_append(rep, req->arena, b->records.data, b->records.len, now, &res);
            else
                fl_replica_append_inplace(rep, req->arena, b->records.data, b->records.len, now, &res);
            if (res.err) {
                err = res.err;
                why = res.why;
            } else {
                out->has_base_offset = 1;
                out->base_offset = res.base_offset;
                fl_write_wait_set(p, i, rep, res.next_offset);
                wait = true;
            }
        }
        if (err) {
            fl_log_debug("tablet", "produce to table %" PRId64 " bucket %d refused: %s %s",
                         r->table_id, b->bucket_id, fl_err2name(err), why ? why : "");
            out->has_error_code = 1;
            out->error_code = fl_err_wire(err);
            out->error_message = (char *)why;
        }
    }
    if (!wait || r->acks == 0) {
        fl_req_respond(req, &p->resp.base);
        return;
    }
    fl_write_wait_add(srv, p);
}

/* After a group commit: answer every produce whose batches are now durable and visible. */
static void fl_produce_complete(fl_server_t *srv) {
    fl_produce_t **pp = &srv->pending_produce;
    while (*pp) {
        fl_produce_t *p = *pp;
        bool ready = true;
        for (size_t i = 0; i < p->n && ready; i++) {
            fl_replica_t *rep = p->replicas[i];
            if (!rep) continue;
            if (fl_replica_failed(rep)) {
                /* the writer thread may still read this request's bytes: wait for it */
                if (fl_replica_writes_pending(rep)) {
                    ready = false;
                    continue;
                }
                p->fail(p, i, FL_ERR_LOG_STORAGE_EXCEPTION, "The bucket's log failed to sync.");
                p->replicas[i] = NULL;
            } else if (fl_replica_high_watermark(rep) < p->targets[i]) {
                ready = false;
            }
        }
        if (!ready) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        fl_req_respond(p->req, p->msg);
    }
}

/* ---- FetchLog ---------------------------------------------------------------------------------- */

typedef struct fl_fetch_s {
    fl_req_t *req;
    struct event *timer;
    struct fl_fetch_s *next;
} fl_fetch_t;

/* Rewrite each ARROW batch of data to the projected columns (FileLogProjection): same header
 * but Length, the change-type vector kept, a new Arrow message. The CRC is left as it was; the
 * Java client does not check it on projected fetches. */
static fl_err_t fl_project_batches(fl_arena_t *a, const fl_type_t *row_type, const uint8_t *data,
                                   size_t len, const int32_t *cols, size_t ncols, fl_buf_t *out) {
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, data, len, UINT32_MAX, false);
    fl_logbatch_t b;
    int rc;
    while ((rc = fl_logbatch_iter_next(&it, &b)) == 1) {
        size_t hdr = b.header_size;
        size_t ct = (b.attributes & FL_LOGBATCH_ATTR_APPEND_ONLY) ? 0 : (size_t)b.record_count;
        if (b.record_count == 0 || b.size <= hdr + ct) {
            fl_buf_put(out, b.p, b.size);
            continue;
        }
        size_t at = out->len;
        fl_buf_put(out, b.p, hdr + ct);
        fl_err_t err = fl_arrow_project(row_type, b.p + hdr + ct, b.size - hdr - ct,
                                        (const uint32_t *)cols, ncols, out); /* validated >= 0 */
        if (err) return err;
        fl_buf_patch_i32le(out, at + FL_LOGBATCH_OFF_LENGTH, (int32_t)(out->len - at - FL_LOGBATCH_LOG_OVERHEAD));
    }
    FL_UNUSED(a);
    return rc < 0 ? it.err : FL_ERR_NONE;
}

/* Where a bucket's records are when they are not in the message: a log slice to send with
 * sendfile. Indexed [table][bucket] like the response. */
typedef struct fl_fetch_out_s {
    Fluss__FetchLogResponse resp;
    fl_logslice_t **slices;   /* per table: per bucket; seg == NULL when unused */
} fl_fetch_out_t;

static void fl_fetch_out_release(fl_fetch_out_t *o) {
    for (size_t t = 0; t < o->resp.n_tables_resp; t++)
        for (size_t b = 0; b < o->resp.tables_resp[t]->n_buckets_resp; b++)
            if (o->slices[t][b].seg) fl_logslice_release(&o->slices[t][b]);
}

/* Reads every bucket once. @returns the number of record bytes gathered. */
static size_t fl_fetch_read(fl_req_t *req, fl_fetch_out_t *o, bool *errors) {
    Fluss__FetchLogResponse *resp = &o->resp;
    fluss__fetch_log_response__init(resp);
    const Fluss__FetchLogRequest *r = (const Fluss__FetchLogRequest *)req->body;
    int64_t budget = r->max_bytes > 0 ? r->max_bytes : 16 << 20;
    size_t total = 0;
    *errors = false;
    resp->n_tables_resp = 0;
    resp->tables_resp = fl_arena_alloc(req->arena, (r->n_tables_req + 1) * sizeof(void *));
    o->slices = fl_arena_calloc(req->arena, (r->n_tables_req + 1) * sizeof(void *));
    for (size_t t = 0; t < r->n_tables_req; t++) {
        const Fluss__PbFetchLogReqForTable *tr = r->tables_req[t];
        Fluss__PbFetchLogRespForTable *to = fl_arena_alloc(req->arena, sizeof(*to));
        fluss__pb_fetch_log_resp_for_table__init(to);
        to->table_id = tr->table_id;
        to->buckets_resp = fl_arena_alloc(req->arena, (tr->n_buckets_req + 1) * sizeof(void *));
        o->slices[resp->n_tables_resp] =
            fl_arena_calloc(req->arena, (tr->n_buckets_req + 1) * sizeof(fl_logslice_t));
        fl_logslice_t *tslices = o->slices[resp->n_tables_resp];
        resp->tables_resp[resp->n_tables_resp++] = to;
        for (size_t i = 0; i < tr->n_buckets_req; i++) {
            const Fluss__PbFetchLogReqForBucket *b = tr->buckets_req[i];
            Fluss__PbFetchLogRespForBucket *bo = fl_arena_alloc(req->arena, sizeof(*bo));
            fluss__pb_fetch_log_resp_for_bucket__init(bo);
            bo->bucket_id = b->bucket_id;
            bo->has_partition_id = b->has_partition_id;
            bo->partition_id = b->partition_id;
            to->buckets_resp[to->n_buckets_resp++] = bo;
            fl_err_t err = FL_ERR_NONE;
            const char *why = NULL;
            fl_replica_t *rep = fl_server_bucket(req, tr->table_id, b->has_partition_id,
                                                 b->partition_id, b->bucket_id, &err, &why);
            if (rep && tr->projection_pushdown_enabled) {
                const fl_tablet_table_info_t *ti = fl_replica_table(rep);
                if (ti->log_format != FL_LOG_ARROW) {
                    err = FL_ERR_INVALID_COLUMN_PROJECTION;
                    why = "Column projection is only supported for ARROW format.";
                    rep = NULL;
                } else {
                    for (size_t k = 0; k < tr->n_projected_fields; k++) {
                        if (tr->projected_fields[k] < 0 ||
                            (uint32_t)tr->projected_fields[k] >= ti->row_type->n_children ||
                            (k && tr->projected_fields[k] <= tr->projected_fields[k - 1])) {
                            err = FL_ERR_INVALID_COLUMN_PROJECTION;
                            why = "Projected fields must be ascending column indexes of the table.";
                            rep = NULL;
                            break;
                        }
                    }
                }
            }
            if (rep) {
                int64_t hw = fl_replica_high_watermark(rep);
                int64_t start = fl_replica_start_offset(rep);
                int64_t off = b->fetch_offset == FETCH_FROM_EARLIEST ? start : b->fetch_offset;
                if (off < start || off > hw) {
                    err = FL_ERR_LOG_OFFSET_OUT_OF_RANGE_EXCEPTION;
                    why = fl_arena_sprintf(req->arena,
                                           "Received request for offset %" PRId64 " for table "
                                           "bucket %d, but we only have log segments from offset %"
                                           PRId64 " up to %" PRId64 ".",
                                           off, b->bucket_id, start, hw);
                } else {
                    int64_t max = FL_MIN((int64_t)b->max_fetch_bytes > 0 ? b->max_fetch_bytes : 1 << 20, budget);
                    fl_buf_t data;
                    fl_buf_init(&data);
                    int64_t next = off;
                    bool zero_copy = !tr->projection_pushdown_enabled;
                    if (off < hw && max > 0 && zero_copy) {
                        /* no projection: the stored bytes go out as they are, by sendfile */
                        fl_logslice_t *sl = &tslices[to->n_buckets_resp - 1];
                        err = fl_logstore_read(fl_replica_log(rep), off, (uint64_t)max, hw,
                                               total == 0, sl);
                        if (!err && sl->len == 0 && sl->seg) fl_logslice_release(sl);
                        if (!err && sl->seg) {
                            bo->has_high_watermark = 1;
                            bo->high_watermark = hw;
                            bo->has_log_start_offset = 1;
                            bo->log_start_offset = start;
                            total += sl->len;
                            budget -= (int64_t)sl->len;
                            continue;
                        }
                    } else if (off < hw && max > 0)
                        err = fl_logstore_read_copy(fl_replica_log(rep), off, (uint64_t)max, hw,
                                                    total == 0, &data, &next);
                    if (!err && data.len && tr->projection_pushdown_enabled) {
                        fl_buf_t proj;
                        fl_buf_init(&proj);
                        const fl_tablet_table_info_t *ti = fl_replica_table(rep);
                        err = fl_project_batches(req->arena, ti->row_type, data.p, data.len,
                                                 tr->projected_fields, tr->n_projected_fields, &proj);
                        fl_buf_free(&data);
                        data = proj;
                        if (err) why = "Cannot project the stored batches.";
                    }
                    if (err == FL_ERR_CORRUPT_MESSAGE) {
                        err = FL_ERR_LOG_STORAGE_EXCEPTION;
                        why = "The stored log is damaged at this offset.";
                    }
                    if (!err) {
                        bo->has_high_watermark = 1;
                        bo->high_watermark = hw;
                        bo->has_log_start_offset = 1;
                        bo->log_start_offset = start;
                        bo->has_records = 1;
                        bo->records.data = fl_arena_alloc(req->arena, data.len ? data.len : 1);
                        if (data.len) memcpy(bo->records.data, data.p, data.len);
                        bo->records.len = data.len;
                        total += data.len;
                        budget -= (int64_t)data.len;
                    }
                    fl_buf_free(&data);
                }
            }
            if (err) {
                *errors = true;
                bo->has_error_code = 1;
                bo->error_code = fl_err_wire(err);
                bo->error_message = (char *)(why ? why : fl_err2str(err));
            }
        }
    }
    return total;
}

/* Encodes the response around the log slices and sends it: protobuf framing in memory,
 * records by sendfile. Field numbers: FetchLogResponse.tables_resp = 1 (0x0A);
 * PbFetchLogRespForTable.buckets_resp = 2 (0x12); PbFetchLogRespForBucket.records = 8 (0x42). */
static size_t fl_varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void fl_slice_release_free(void *arg) {
    fl_logslice_release(arg);
    fl_free(arg);
}

static void fl_fetch_send(fl_req_t *req, fl_fetch_out_t *o) {
    Fluss__FetchLogResponse *resp = &o->resp;
    size_t nt = resp->n_tables_resp;
    /* sizes: per bucket, per table */
    size_t *tsize = fl_arena_calloc(req->arena, (nt + 1) * sizeof(size_t));
    size_t **bsize = fl_arena_calloc(req->arena, (nt + 1) * sizeof(size_t *));
    size_t body = 0, nfiles = 0;
    for (size_t t = 0; t < nt; t++) {
        Fluss__PbFetchLogRespForTable *to = resp->tables_resp[t];
        bsize[t] = fl_arena_calloc(req->arena, (to->n_buckets_resp + 1) * sizeof(size_t));
        size_t ts = 1 + fl_varint_len((uint64_t)to->table_id); /* field 1, varint */
        for (size_t b = 0; b < to->n_buckets_resp; b++) {
            fl_logslice_t *sl = &o->slices[t][b];
            size_t bs = protobuf_c_message_get_packed_size(&to->buckets_resp[b]->base);
            if (sl->seg) {
                bs += 1 + fl_varint_len(sl->len) + sl->len;
                nfiles++;
            }
            bsize[t][b] = bs;
            ts += 1 + fl_varint_len(bs) + bs;
        }
        tsize[t] = ts;
        body += 1 + fl_varint_len(ts) + ts;
    }
    /* memory pieces are offsets into one buffer until it stops growing */
    fl_buf_t mem;
    fl_buf_init(&mem);
    size_t cap = 2 * nfiles + 2, np = 0;
    fl_piece_t *pieces = fl_arena_calloc(req->arena, cap * sizeof(fl_piece_t));
    size_t *mem_start = fl_arena_calloc(req->arena, cap * sizeof(size_t));
    size_t cur = 0; /* start of the open memory piece in mem */
    size_t at = fl_frame_begin_resp(&mem, FL_RESP_SUCCESS, req->hdr.request_id);
    fl_buf_patch_i32be(&mem, at, (int32_t)(FL_FRAME_RESP_HEADER + body));
    for (size_t t = 0; t < nt; t++) {
        Fluss__PbFetchLogRespForTable *to = resp->tables_resp[t];
        fl_buf_put_u8(&mem, 0x0A);
        fl_buf_put_uvarint(&mem, tsize[t]);
        fl_buf_put_u8(&mem, 0x08);
        fl_buf_put_uvarint(&mem, (uint64_t)to->table_id);
        for (size_t b = 0; b < to->n_buckets_resp; b++) {
            fl_logslice_t *sl = &o->slices[t][b];
            fl_buf_put_u8(&mem, 0x12);
            fl_buf_put_uvarint(&mem, bsize[t][b]);
            fl_pb_pack(&mem, &to->buckets_resp[b]->base);
            if (!sl->seg) continue;
            fl_buf_put_u8(&mem, 0x42);
            fl_buf_put_uvarint(&mem, sl->len);
            mem_start[np] = cur;
            pieces[np].fd = -1;
            pieces[np].len = mem.len - cur;
            np++;
            fl_logslice_t *keep = fl_arena_alloc(req->arena, sizeof(*keep));
            *keep = *sl;
            memset(sl, 0, sizeof(*sl)); /* ownership moves to the piece */
            /* the slice must outlive the request arena: give it its own allocation */
            fl_logslice_t *own = fl_malloc(sizeof(*own));
            *own = *keep;
            pieces[np].fd = own->fd;
            pieces[np].off = own->pos;
            pieces[np].len = own->len;
            pieces[np].release = fl_slice_release_free;
            pieces[np].release_arg = own;
            np++;
            cur = mem.len;
        }
    }
    if (mem.len > cur) {
        mem_start[np] = cur;
        pieces[np].fd = -1;
        pieces[np].len = mem.len - cur;
        np++;
    }
    for (size_t i = 0; i < np; i++)
        if (pieces[i].fd < 0) pieces[i].p = mem.p + mem_start[i];
    fl_req_respond_pieces(req, pieces, np);
    fl_buf_free(&mem);
}

static void fl_fetch_answer(fl_fetch_t *f) {
    fl_fetch_out_t o;
    bool errors;
    fl_fetch_read(f->req, &o, &errors);
    if (f->timer) event_free(f->timer);
    fl_fetch_send(f->req, &o);
}

static void fl_fetch_unpark(fl_server_t *srv, fl_fetch_t *f) {
    for (fl_fetch_t **pp = &srv->parked_fetches; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            return;
        }
    }
}

static void fl_fetch_timeout_cb(evutil_socket_t fd, short what, void *arg) {
    fl_fetch_t *f = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    fl_fetch_unpark(f->req->conn->srv, f);
    fl_fetch_answer(f);
}

void fl_rpc_fetch_log(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__FetchLogRequest *r = (const Fluss__FetchLogRequest *)req->body;
    if (!srv->catalog && !req->meta_waited) {
        size_t nt = FL_MIN(r->n_tables_req, (size_t)64);
        int64_t ids[64];
        for (size_t i = 0; i < nt; i++) ids[i] = r->tables_req[i]->table_id;
        if (fl_server_await_tables(req, fl_rpc_fetch_log, ids, nt)) return;
    }
    fl_fetch_out_t o;
    bool errors;
    size_t got = fl_fetch_read(req, &o, &errors);
    int64_t min_bytes = r->has_min_bytes ? r->min_bytes : -1;
    int64_t max_wait = r->has_max_wait_ms ? r->max_wait_ms : (min_bytes > 0 ? 100 : -1);
    if (errors || max_wait <= 0 || min_bytes <= 0 || (int64_t)got >= min_bytes || srv->stopping) {
        fl_fetch_send(req, &o);
        return;
    }
    fl_fetch_out_release(&o);
    /* long poll: wait for data (a high watermark moving) or the timeout */
    fl_fetch_t *f = fl_arena_calloc(req->arena, sizeof(*f));
    f->req = req;
    f->timer = evtimer_new(srv->base, fl_fetch_timeout_cb, f);
    struct timeval tv = {(time_t)(max_wait / 1000), (suseconds_t)((max_wait % 1000) * 1000)};
    evtimer_add(f->timer, &tv);
    f->next = srv->parked_fetches;
    srv->parked_fetches = f;
}

/* High watermarks moved: parked fetches that now have data are answered. */
static void fl_fetch_wake(fl_server_t *srv) {
    fl_fetch_t *list = srv->parked_fetches;
    srv->parked_fetches = NULL;
    while (list) {
        fl_fetch_t *f = list;
        list = f->next;
        f->next = NULL;
        /* re-read: answer if anything is there now (or the connection is gone) */
        fl_fetch_out_t o;
        bool errors;
        size_t got = fl_fetch_read(f->req, &o, &errors);
        if (got > 0 || errors || !f->req->conn->bev || srv->stopping) {
            event_free(f->timer);
            fl_fetch_send(f->req, &o);
        } else {
            fl_fetch_out_release(&o);
            f->next = srv->parked_fetches;
            srv->parked_fetches = f;
        }
    }
}

/* ---- ListOffsets ------------------------------------------------------------------------------- */

void fl_rpc_list_offsets(fl_req_t *req) {
    const Fluss__ListOffsetsRequest *r = (const Fluss__ListOffsetsRequest *)req->body;
    if (fl_server_await_tables(req, fl_rpc_list_offsets, &r->table_id, 1)) return;
    Fluss__ListOffsetsResponse resp = FLUSS__LIST_OFFSETS_RESPONSE__INIT;
    resp.buckets_resp = fl_arena_alloc(req->arena, (r->n_bucket_id + 1) * sizeof(void *));
    for (size_t i = 0; i < r->n_bucket_id; i++) {
        Fluss__PbListOffsetsRespForBucket *bo = fl_arena_alloc(req->arena, sizeof(*bo));
        fluss__pb_list_offsets_resp_for_bucket__init(bo);
        bo->bucket_id = r->bucket_id[i];
        resp.buckets_resp[resp.n_buckets_resp++] = bo;
        fl_err_t err = FL_ERR_NONE;
        const char *why = NULL;
        fl_replica_t *rep = fl_server_bucket(req, r->table_id, r->has_partition_id, r->partition_id,
                                             r->bucket_id[i], &err, &why);
        if (rep) {
            if (r->offset_type < 0 || r->offset_type > 2 ||
                (r->offset_type == 2 && !r->has_starttimestamp)) {
                err = FL_ERR__INVAL;
                why = "Unknown offset type, or a timestamp lookup without a timestamp.";
                err = FL_ERR_INVALID_TIMESTAMP_EXCEPTION;
            } else {
                int64_t off;
                err = fl_replica_list_offset(rep, r->offset_type, r->starttimestamp, &off);
                if (!err) {
                    bo->has_offset = 1;
                    bo->offset = off;
                } else {
                    why = "Offset lookup failed.";
                }
            }
        }
        if (err) {
            bo->has_error_code = 1;
            bo->error_code = fl_err_wire(err);
            bo->error_message = (char *)why;
        }
    }
    fl_req_respond(req, &resp.base);
}

/* ---- the group-commit hook ------------------------------------------------------------------------ */

void fl_server_before_sleep(fl_server_t *srv) {
    if (!srv->tablet) return;
    bool moved = fl_tablet_commit(srv->tablet, fl_now_ms());
    if (srv->pending_produce) fl_produce_complete(srv);
    if (moved && srv->parked_fetches) fl_fetch_wake(srv);
}

/* Shutdown: answer everything that waits. */
void fl_rpc_log_drain(fl_server_t *srv) {
    if (!srv->tablet) return;
    fl_tablet_commit_wait(srv->tablet, fl_now_ms());
    fl_produce_complete(srv);
    while (srv->parked_fetches) {
        fl_fetch_t *f = srv->parked_fetches;
        srv->parked_fetches = f->next;
        fl_fetch_answer(f);
    }
}

/* Replicas are closed when their table or partition is dropped: the produces waiting on them
 * are answered first (their data is going away with the table), fetches answer with what the
 * catalog now says. Called before fl_tablet_retain(). */
void fl_rpc_log_forget_dropped(fl_server_t *srv) {
    /* every write in flight lands (requests' bytes are read by the writer thread until then) */
    fl_tablet_commit_wait(srv->tablet, fl_now_ms());
    fl_produce_complete(srv);
    for (fl_produce_t *p = srv->pending_produce; p; p = p->next)
        for (size_t i = 0; i < p->n; i++)
            p->replicas[i] = NULL; /* failed syncs: nothing left to wait for */
    fl_produce_complete(srv);
    while (srv->parked_fetches) {
        fl_fetch_t *f = srv->parked_fetches;
        srv->parked_fetches = f->next;
        fl_fetch_answer(f);
    }
}

