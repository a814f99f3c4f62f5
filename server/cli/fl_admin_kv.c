/* fl_admin_kv.c: `fl-admin table upsert | delete | lookup | lake`, the primary-key and lake
 * commands. A blocking, single-threaded cousin of the Java UpsertWriter, Lookuper and the lake
 * snapshot calls of the Admin (fluss-rpc.md 3.4, 3.5), for people and scripts.
 *
 * upsert / delete: GetTableInfo -> ListPartitionInfos (partitioned tables) -> GetMetadata per
 * partition (bucket leaders) -> for each batch of input rows (JSON lines, as `table produce`
 * reads them): parse and check every row, encode its primary key (fl_keyenc_for_pk, over the
 * physical primary key: the key columns that are not partition columns) and its bucket key
 * (fl_keyenc_for_bucket + fl_bucket_of_key, the function of table.datalake.format), group the
 * rows by (partition, bucket), build one KvRecordBatch per group and send them with PutKv to
 * each bucket's leader. Nothing of a batch is sent unless all its rows are good.
 *
 *   KvRecordBatch written (fl_kvbatch.h): SchemaId = the table's, WriterId -1 and
 *   BatchSequence -1 (not idempotent), one record per row: key = the encoded primary key,
 *   value = the row in table.kv.format (upsert; columns left out are null) or no value
 *   (delete). --columns sends PutKv.target_columns (column indexes, in schema order): the
 *   server then changes only those columns of an existing row.
 *
 * lookup: the same key and bucket encoding for each key (--key, or JSON lines on stdin), one
 * Lookup per leader; a value is [int16 schema id][row in table.kv.format] (fl_row_split_value).
 *
 * lake: GetLakeSnapshot (the latest tiered snapshot and the next offset to tier per bucket),
 * ListOffsets latest (the log end offset) per bucket, and for the lag one small FetchLog per
 * bucket: the commit timestamp of the batch holding the last tiered record (offset - 1), and of
 * the first record not yet tiered. The server does not report tiering times itself. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fl_admin.h"
#include "fl_bucket.h"
#include "fl_keyenc.h"
#include "fl_kvbatch.h"
#include "fl_logbatch.h"
#include "fl_row.h"
#include "fl_rows.h"
#include "fl_tabledesc.h"

#define FL_KV_DEFAULT_BATCH_ROWS 1000
#define FL_KV_MAX_BATCH_ROWS 1000000
#define FL_KV_MAX_LINE_ERRORS 20
#define FL_LAKE_FETCH_BYTES (1 << 20)

/* ---- the table ------------------------------------------------------------------------------ */

typedef struct fl_ktable_s {
    const char *db, *name, *path;     /* path = "db.name" */
    int64_t table_id;
    int32_t schema_id;
    fl_table_desc_t desc;
    fl_type_t row_type;               /* ROW of the columns */
    fl_row_format_t kv_fmt;
    uint32_t *pk;                     /* physical primary key (no partition columns) */
    size_t n_pk;
    bool *is_key;                     /* per column: a primary-key column (partition ones too) */
    fl_keyenc_kind_t pk_enc;
    uint32_t *bkey;                   /* bucket key */
    size_t n_bkey;
    fl_keyenc_kind_t bkey_enc;
    fl_bucket_fn_t bucket_fn;
    uint32_t *pkey;                   /* partition key */
    size_t n_pkey;
    Fluss__ListPartitionInfosResponse *parts;
    const char **pnames;
} fl_ktable_t;

/* Column indexes of the names in l into out (allocated). @returns false with the bad name. */
static bool fl_kcols(fl_arena_t *a, const fl_schema_t *s, const fl_strs_t *l, const fl_strs_t *skip,
                     uint32_t **out, size_t *n, const char **bad) {
    *out = fl_arena_alloc(a, (l->n + 1) * sizeof(uint32_t));
    *n = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (skip && fl_strs_has(skip, l->items[i])) continue;
        int k = fl_schema_col_index(s, l->items[i]);
        if (k < 0) {
            *bad = l->items[i];
            return false;
        }
        (*out)[(*n)++] = (uint32_t)k;
    }
    return true;
}

/* GetTableInfo and everything derived from it. need_pk: refuse log tables. @returns an exit code. */
static int fl_ktable_load(fl_ctx_t *ctx, const char *arg, bool need_pk, const char *what, fl_ktable_t *t) {
    memset(t, 0, sizeof(*t));
    int rc = fl_table_info_load(ctx, arg, &t->db, &t->name, &t->path, &t->table_id, &t->schema_id,
                                &t->desc);
    if (rc) return rc;
    const fl_schema_t *s = &t->desc.schema;
    if (need_pk && !s->has_primary_key)
        return fl_usage(ctx, "%s is a log table (it has no primary key); %s works on primary-key tables "
                             "(use 'table produce' / 'table scan' for log tables)", t->path, what);
    t->row_type = *fl_schema_row_type(ctx->arena, s);
    const fl_kvs_t *p = &t->desc.properties;
    const char *kf = fl_kvs_get(p, "table.kv.format");
    t->kv_fmt = kf && !strcasecmp(kf, "INDEXED") ? FL_ROW_INDEXED : FL_ROW_COMPACTED;
    const char *bad = NULL;
    if (!fl_kcols(ctx->arena, s, &s->primary_key, &t->desc.partition_keys, &t->pk, &t->n_pk, &bad) ||
        !fl_kcols(ctx->arena, s, &t->desc.bucket_keys, NULL, &t->bkey, &t->n_bkey, &bad) ||
        !fl_kcols(ctx->arena, s, &t->desc.partition_keys, NULL, &t->pkey, &t->n_pkey, &bad)) {
        fprintf(stderr, "error: key column '%s' of %s is not in its schema\n", bad, t->path);
        return FL_EXIT_CONNECT;
    }
    t->is_key = fl_arena_calloc(ctx->arena, s->n_cols + 1);
    for (size_t i = 0; i < s->primary_key.n; i++) {
        int k = fl_schema_col_index(s, s->primary_key.items[i]);
        if (k >= 0) t->is_key[k] = true;
    }
    bool default_bkey = t->n_bkey == t->n_pk;
    for (size_t i = 0; i < t->n_bkey && default_bkey; i++) default_bkey = t->bkey[i] == t->pk[i];
    const char *lake = fl_kvs_get(p, "table.datalake.format");
    const char *ver = fl_kvs_get(p, "table.kv.format-version");
    if (s->has_primary_key &&
        (fl_keyenc_for_pk(lake, ver ? atoi(ver) : 0, default_bkey, &t->pk_enc) ||
         fl_keyenc_for_bucket(lake, &t->bkey_enc) || fl_bucket_fn_for_lake(lake, &t->bucket_fn))) {
        fprintf(stderr, "error: table %s has a table.datalake.format ('%s') or table.kv.format-version "
                        "('%s') fl-admin does not know\n", t->path, lake ? lake : "", ver ? ver : "");
        return FL_EXIT_CONNECT;
    }
    if (t->n_pkey) return fl_table_parts_load(ctx, t->db, t->name, &t->parts, &t->pnames);
    return FL_EXIT_OK;
}

/* Routes are looked up once per partition. */
typedef struct fl_kroutes_s {
    fl_route_t *r;
    size_t n, cap;
} fl_kroutes_t;

static const fl_route_t *fl_kroutes_get(fl_ctx_t *ctx, const fl_ktable_t *t, fl_kroutes_t *rs, int64_t pid,
                                         const char *pname, int *rc) {
    *rc = FL_EXIT_OK;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i].pid == pid) return &rs->r[i];
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 4;
        fl_route_t *nr = fl_arena_alloc(ctx->arena, cap * sizeof(*nr));
        if (rs->n) memcpy(nr, rs->r, rs->n * sizeof(*nr));
        rs->r = nr;
        rs->cap = cap;
    }
    const char *name = pname ? fl_arena_strndup(ctx->arena, pname, strlen(pname)) : NULL;
    if ((*rc = fl_route_load(ctx, t->db, t->name, t->path, t->table_id, t->desc.bucket_count, pid, name,
                             &rs->r[rs->n])))
        return NULL;
    return &rs->r[rs->n++];
}

/* ---- reading rows and keys ---------------------------------------------------------------- */

typedef enum fl_kmode_e { FL_KMODE_UPSERT, FL_KMODE_DELETE, FL_KMODE_LOOKUP } fl_kmode_t;

typedef struct fl_krow_s {
    fl_datum_t *f;                    /* one per column */
    long line;
    const char *src;                  /* the input line (lookup: to name a key not found) */
    int64_t pid;
    const char *pname;
    int32_t bucket;
    const char *leader;
    fl_buf_t key;                     /* the encoded primary key */
} fl_krow_t;

typedef struct fl_kjob_s {
    fl_ctx_t *ctx;
    fl_ktable_t t;
    fl_kmode_t mode;
    fl_rowopts_t ro;
    bool *target;                     /* --columns, per column (NULL: all) */
    int32_t *target_idx;
    size_t n_target;
    int64_t batch_rows;
    fl_kroutes_t routes;
    fl_pool_t pool;
    FILE *in;
    long line;
    char *lbuf;
    size_t lcap;
    int n_errors;
    int64_t rows, batches;
} fl_kjob_t;

static void fl_kline_error(fl_kjob_t *j, long line, const char *col, const char *why) {
    if (j->n_errors++ >= FL_KV_MAX_LINE_ERRORS) return;
    const char *what = j->mode == FL_KMODE_LOOKUP && line == 0 ? "--key" : NULL;
    if (what && col) fprintf(stderr, "error: %s, column '%s': %s\n", what, col, why);
    else if (what) fprintf(stderr, "error: %s: %s\n", what, why);
    else if (col) fprintf(stderr, "error: line %ld, column '%s': %s\n", line, col, why);
    else fprintf(stderr, "error: line %ld: %s\n", line, why);
}

static void fl_kbuf_free_cb(void *arg) {
    fl_buf_free(arg);
}

/* Parse one JSON text into row (values only). @returns 1, or -1 for bad input (reported). */
static int fl_kparse(fl_kjob_t *j, fl_arena_t *a, const char *text, size_t len, fl_krow_t *row) {
    const fl_ktable_t *t = &j->t;
    const fl_type_t *rt = &t->row_type;
    size_t nc = rt->n_children;
    row->f = fl_arena_calloc(a, (nc + 1) * sizeof(fl_datum_t));
    while (len && strchr(" \t\r\n", text[len - 1])) len--;
    row->src = fl_arena_strndup(a, text, len);
    bool *seen = fl_arena_calloc(a, nc + 1);
    const char *why = NULL;
    fl_jval_t *v;
    if (fl_json_parse(a, text, len, &v, &why)) {
        fl_kline_error(j, row->line, NULL, why);
        return -1;
    }
    bool lookup = j->mode == FL_KMODE_LOOKUP;
    if (v->kind == FL_J_OBJ) {
        for (size_t k = 0; k < v->n; k++) {
            int c = fl_schema_col_index(&t->desc.schema, v->keys[k]);
            if (c < 0) {
                fl_kline_error(j, row->line, v->keys[k], fl_arena_sprintf(a, "table %s has no such column", t->path));
                return -1;
            }
            if (seen[c]) {
                fl_kline_error(j, row->line, v->keys[k], "given twice");
                return -1;
            }
            if (lookup && !t->is_key[c]) {
                fl_kline_error(j, row->line, v->keys[k], "not a primary-key column; a key names only those");
                return -1;
            }
            if (j->target && !j->target[c]) {
                fl_kline_error(j, row->line, v->keys[k], "not in --columns");
                return -1;
            }
            seen[c] = true;
            if (fl_rows_from_json(a, &rt->children[c], &v->items[k], &j->ro, &row->f[c], &why)) {
                fl_kline_error(j, row->line, v->keys[k], why);
                return -1;
            }
        }
    } else if (v->kind == FL_J_ARR && !lookup && !j->target) {
        if (v->n != nc) {
            fl_kline_error(j, row->line, NULL, fl_arena_sprintf(a, "%zu values; table %s has %zu columns", v->n, t->path, nc));
            return -1;
        }
        for (size_t c = 0; c < nc; c++) {
            seen[c] = true;
            if (fl_rows_from_json(a, &rt->children[c], &v->items[c], &j->ro, &row->f[c], &why)) {
                fl_kline_error(j, row->line, rt->field_names[c], why);
                return -1;
            }
        }
    } else {
        fl_kline_error(j, row->line, NULL,
                       lookup || j->target ? "expected a JSON object keyed by column name"
                                           : "expected a JSON object (by column name) or array (in column order)");
        return -1;
    }
    for (size_t c = 0; c < nc; c++) {
        if (!seen[c]) row->f[c].is_null = true;
        if (!row->f[c].is_null) continue;
        if (t->is_key[c]) {
            fl_kline_error(j, row->line, rt->field_names[c], seen[c] ? "a primary-key column must not be null"
                                                                     : "missing: every primary-key column is needed");
            return -1;
        }
        if (j->mode == FL_KMODE_UPSERT && !rt->children[c].nullable && (!j->target || j->target[c])) {
            fl_kline_error(j, row->line, rt->field_names[c], seen[c] ? "null is not allowed (NOT NULL)"
                                                                     : "missing, and the column is NOT NULL");
            return -1;
        }
    }
    return 1;
}

/* Partition, bucket, leader and key of a parsed row. @returns 1, -1 for a bad row (reported),
 * or 100 + an exit code. */
static int fl_kroute_row(fl_kjob_t *j, fl_arena_t *a, fl_krow_t *row) {
    const fl_ktable_t *t = &j->t;
    const fl_type_t *rt = &t->row_type;
    row->pid = -1;
    row->pname = NULL;
    if (t->n_pkey) {
        fl_buf_t b;
        fl_buf_init(&b);
        for (size_t k = 0; k < t->n_pkey; k++) {
            uint32_t c = t->pkey[k];
            if (k) fl_buf_put_u8(&b, '$');
            if (fl_rows_partition_value(&rt->children[c], &row->f[c], &b)) {
                fl_buf_free(&b);
                fl_kline_error(j, row->line, rt->field_names[c], "fl-admin cannot derive partition names from this type");
                return -1;
            }
        }
        row->pname = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
        fl_buf_free(&b);
        row->pid = fl_part_id(t->parts, t->pnames, row->pname);
        if (row->pid < 0) {
            fl_kline_error(j, row->line, NULL, fl_arena_sprintf(a, "partition '%s' of %s does not exist", row->pname, t->path));
            return -1;
        }
    }
    int rc;
    const fl_route_t *r = fl_kroutes_get(j->ctx, t, &j->routes, row->pid, row->pname, &rc);
    if (!r) return 100 + rc;
    row->pname = r->pname;
    fl_buf_t bk;
    fl_buf_init(&bk);
    fl_err_t err = fl_keyenc_encode(t->bkey_enc, rt, row->f, t->bkey, t->n_bkey, &bk);
    if (!err) err = fl_bucket_of_key(t->bucket_fn, bk.p, bk.len, r->n, &row->bucket);
    fl_buf_free(&bk);
    if (err) {
        fl_kline_error(j, row->line, NULL, fl_arena_sprintf(a, "cannot encode the bucket key: %s", fl_err2str(err)));
        return -1;
    }
    fl_buf_init(&row->key);
    fl_arena_cleanup_add(a, fl_kbuf_free_cb, &row->key);
    if ((err = fl_keyenc_encode(t->pk_enc, rt, row->f, t->pk, t->n_pk, &row->key))) {
        fl_kline_error(j, row->line, NULL, fl_arena_sprintf(a, "cannot encode the primary key: %s", fl_err2str(err)));
        return -1;
    }
    row->leader = r->leader[row->bucket];
    return 1;
}

/* The next non-blank input line. @returns 1, 0 at the end, -2 for a read error (reported). */
static int fl_kgetline(fl_kjob_t *j, const char **text, size_t *len) {
    for (;;) {
        ssize_t n = getline(&j->lbuf, &j->lcap, j->in);
        if (n < 0) {
            if (ferror(j->in)) {
                fprintf(stderr, "error: cannot read stdin: %s\n", strerror(errno));
                return -2;
            }
            return 0;
        }
        j->line++;
        size_t k = 0;
        while (k < (size_t)n && strchr(" \t\r\n", j->lbuf[k])) k++;
        if (k < (size_t)n) {
            *text = j->lbuf;
            *len = (size_t)n;
            return 1;
        }
    }
}

/* Read and route up to batch_rows rows. @returns an exit code; *n rows, *eof at the end. */
static int fl_kread_batch(fl_kjob_t *j, fl_arena_t *a, fl_krow_t *rows, size_t *n, bool *eof, long *first_line) {
    bool bad = false;
    *n = 0;
    for (int64_t lines = 0; lines < j->batch_rows; lines++) {
        const char *text;
        size_t len;
        int r = fl_kgetline(j, &text, &len);
        if (r == 0) {
            *eof = true;
            break;
        }
        if (r < 0) return FL_EXIT_USAGE;
        fl_krow_t *row = &rows[*n];
        memset(row, 0, sizeof(*row));
        row->line = j->line;
        if (!*first_line) *first_line = j->line;
        if (fl_kparse(j, a, text, len, row) < 0) {
            bad = true;
            continue;
        }
        r = fl_kroute_row(j, a, row);
        if (r >= 100) return r - 100;
        if (r < 0) {
            bad = true;
            continue;
        }
        (*n)++;
    }
    return bad ? FL_EXIT_USAGE : FL_EXIT_OK;
}

/* ================================ upsert / delete ========================================== */

typedef struct fl_kgroup_s {
    int64_t pid;
    const char *pname;
    int32_t bucket;
    const char *leader;
    size_t n;
    fl_buf_t batch;
    bool sent;
} fl_kgroup_t;

static int fl_kput_send(fl_kjob_t *j, fl_arena_t *a, fl_kgroup_t *gs, size_t ng) {
    for (size_t i = 0; i < ng; i++) {
        if (gs[i].sent) continue;
        const char *leader = gs[i].leader;
        Fluss__PutKvRequest req = FLUSS__PUT_KV_REQUEST__INIT;
        req.acks = -1;
        req.table_id = j->t.table_id;
        req.timeout_ms = j->ctx->timeout_ms;
        req.n_target_columns = j->n_target;
        req.target_columns = j->target_idx;
        req.buckets_req = fl_arena_alloc(a, ng * sizeof(void *));
        fl_kgroup_t **idx = fl_arena_alloc(a, ng * sizeof(*idx));
        for (size_t k = i; k < ng; k++) {
            if (gs[k].sent || strcmp(gs[k].leader, leader)) continue;
            Fluss__PbPutKvReqForBucket *b = fl_arena_alloc(a, sizeof(*b));
            fluss__pb_put_kv_req_for_bucket__init(b);
            b->has_partition_id = gs[k].pid >= 0;
            b->partition_id = gs[k].pid;
            b->bucket_id = gs[k].bucket;
            b->records.data = gs[k].batch.p;
            b->records.len = gs[k].batch.len;
            idx[req.n_buckets_req] = &gs[k];
            req.buckets_req[req.n_buckets_req++] = b;
            gs[k].sent = true;
        }
        fl_err_t err;
        fl_client_t *cl = fl_pool_get(j->ctx, &j->pool, leader, &err);
        Fluss__PutKvResponse *resp = NULL;
        if (!err) err = fl_client_call(cl, FL_API_PUT_KV, &req.base, FL_RESP(put_kv), a, (ProtobufCMessage **)&resp);
        if (err) return fl_report_cl(cl, err);
        for (size_t k = 0; k < req.n_buckets_req; k++) {
            const fl_kgroup_t *g = idx[k];
            const Fluss__PbPutKvRespForBucket *br = NULL;
            for (size_t m = 0; m < resp->n_buckets_resp; m++) {
                const Fluss__PbPutKvRespForBucket *x = resp->buckets_resp[m];
                if (x->bucket_id == g->bucket && (!x->has_partition_id || x->partition_id == g->pid)) br = x;
            }
            if (!br) {
                fprintf(stderr, "error: %s did not answer for bucket %d of %s\n", leader, g->bucket, j->t.path);
                return FL_EXIT_CONNECT;
            }
            if (br->has_error_code && br->error_code)
                return fl_bucket_error(j->t.path, g->pname, g->bucket, br->error_code, br->error_message);
            j->rows += (int64_t)g->n;
            j->batches++;
        }
    }
    return FL_EXIT_OK;
}

static int fl_kput_batch(fl_kjob_t *j, bool *eof) {
    fl_arena_t *a = fl_arena_new(0);
    fl_krow_t *rows = fl_arena_alloc(a, (size_t)j->batch_rows * sizeof(*rows));
    size_t n = 0;
    long first_line = 0;
    int rc = fl_kread_batch(j, a, rows, &n, eof, &first_line);
    if (rc || !n) goto out;
    fl_kgroup_t *gs = fl_arena_calloc(a, (n + 1) * sizeof(*gs));
    size_t *gi = fl_arena_alloc(a, (n + 1) * sizeof(size_t));
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        while (g < ng && !(gs[g].pid == rows[i].pid && gs[g].bucket == rows[i].bucket)) g++;
        if (g == ng) {
            gs[ng].pid = rows[i].pid;
            gs[ng].pname = rows[i].pname;
            gs[ng].bucket = rows[i].bucket;
            gs[ng].leader = rows[i].leader;
            if (!gs[ng].leader) {
                rc = fl_bucket_error(j->t.path, rows[i].pname, rows[i].bucket, FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION,
                                      "the bucket has no leader");
                goto out;
            }
            fl_buf_init(&gs[ng].batch);
            fl_arena_cleanup_add(a, fl_kbuf_free_cb, &gs[ng].batch);
            ng++;
        }
        gi[i] = g;
    }
    /* encode every row before sending any */
    fl_kvbatch_builder_t *bs = fl_arena_alloc(a, (ng + 1) * sizeof(*bs));
    for (size_t g = 0; g < ng; g++) fl_kvbatch_builder_begin(&bs[g], &gs[g].batch, (int16_t)j->t.schema_id, -1, -1);
    fl_buf_t val;
    fl_buf_init(&val);
    for (size_t i = 0; i < n; i++) {
        fl_krow_t *row = &rows[i];
        fl_kgroup_t *g = &gs[gi[i]];
        if (j->mode == FL_KMODE_DELETE) {
            fl_kvbatch_builder_append(&bs[gi[i]], row->key.p, row->key.len, NULL, 0);
        } else {
            fl_buf_reset(&val);
            fl_err_t err = fl_row_encode(j->t.kv_fmt, &j->t.row_type, row->f, &val);
            if (err) {
                fl_kline_error(j, row->line, NULL,
                               fl_arena_sprintf(a, "the row cannot be encoded as %s: a value does not fit its type (%s)",
                                                j->t.kv_fmt == FL_ROW_INDEXED ? "INDEXED" : "COMPACTED", fl_err2str(err)));
                rc = FL_EXIT_USAGE;
                break;
            }
            fl_kvbatch_builder_append(&bs[gi[i]], row->key.p, row->key.len, val.p ? val.p : (const uint8_t *)"",
                                      val.len);
        }
        g->n++;
    }
    fl_buf_free(&val);
    if (rc) goto out;
    for (size_t g = 0; g < ng; g++) fl_kvbatch_builder_finish(&bs[g]);
    rc = fl_kput_send(j, a, gs, ng);
out:
    if (rc == FL_EXIT_USAGE && j->n_errors) {
        if (j->n_errors > FL_KV_MAX_LINE_ERRORS)
            fprintf(stderr, "error: ... and %d more bad lines\n", j->n_errors - FL_KV_MAX_LINE_ERRORS);
        fprintf(stderr, "error: nothing of the batch starting on line %ld was written\n", first_line);
    }
    fl_arena_destroy(a);
    return rc;
}

static int fl_kput(fl_ctx_t *ctx, fl_kmode_t mode) {
    fl_kjob_t j;
    memset(&j, 0, sizeof(j));
    j.ctx = ctx;
    j.mode = mode;
    j.in = stdin;
    const char *verb = mode == FL_KMODE_DELETE ? "delete" : "upsert";
    int rc = fl_binary_opt(ctx, &j.ro);
    if (rc) return rc;
    j.batch_rows = FL_KV_DEFAULT_BATCH_ROWS;
    const char *br = fl_opt(ctx, "batch-rows");
    if (br && !fl_parse_count(br, 1, FL_KV_MAX_BATCH_ROWS, &j.batch_rows))
        return fl_usage(ctx, "--batch-rows must be a number in [1, %d], not '%s'", FL_KV_MAX_BATCH_ROWS, br);
    const char *cols = mode == FL_KMODE_UPSERT ? fl_opt(ctx, "columns") : NULL;
    if ((rc = fl_ktable_load(ctx, ctx->pos[0], true, fl_arena_sprintf(ctx->arena, "table %s", verb), &j.t))) return rc;
    fl_ktable_t *t = &j.t;
    size_t nc = t->row_type.n_children;
    if (cols) {
        j.target = fl_arena_calloc(ctx->arena, nc + 1);
        char *list = fl_arena_strndup(ctx->arena, cols, strlen(cols));
        for (char *save = NULL, *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
            while (*c == ' ') c++;
            size_t l = strlen(c);
            while (l && c[l - 1] == ' ') c[--l] = '\0';
            int k = fl_schema_col_index(&t->desc.schema, c);
            if (k < 0) return fl_usage(ctx, "--columns: table %s has no column '%s'", t->path, c);
            j.target[k] = true;
        }
        for (size_t c = 0; c < nc; c++)
            if (t->is_key[c] && !j.target[c])
                return fl_usage(ctx, "--columns must include every primary-key column; '%s' is missing",
                                t->row_type.field_names[c]);
        j.target_idx = fl_arena_alloc(ctx->arena, (nc + 1) * sizeof(int32_t));
        for (size_t c = 0; c < nc; c++)
            if (j.target[c]) j.target_idx[j.n_target++] = (int32_t)c;
    }
    bool eof = false;
    while (!eof && !rc) rc = fl_kput_batch(&j, &eof);
    if (!rc) {
        const char *done = mode == FL_KMODE_DELETE ? "Deleted" : "Upserted";
        if (ctx->json) {
            json_t *o = json_object();
            json_object_set_new(o, "table", json_string(t->path));
            json_object_set_new(o, mode == FL_KMODE_DELETE ? "deleted" : "upserted", json_integer(j.rows));
            json_object_set_new(o, "batches", json_integer(j.batches));
            fl_json_print(o);
        } else {
            printf("%s %" PRId64 " row%s %s %s in %" PRId64 " batch%s.\n", done, j.rows, j.rows == 1 ? "" : "s",
                   mode == FL_KMODE_DELETE ? "from" : "into", t->path, j.batches, j.batches == 1 ? "" : "es");
        }
    }
    free(j.lbuf);
    fl_pool_close(&j.pool);
    return rc;
}

int fl_cmd_table_upsert(fl_ctx_t *ctx) {
    return fl_kput(ctx, FL_KMODE_UPSERT);
}

int fl_cmd_table_delete(fl_ctx_t *ctx) {
    return fl_kput(ctx, FL_KMODE_DELETE);
}

const fl_optdef_t fl_opts_table_upsert[] = {
    {"columns", "COL[,COL]", false,
     "partial update: change only these columns of existing rows (must include the primary key)"},
    {"batch-rows", "N", false, "input rows per batch; a batch is checked whole before it is sent (default 1000)"},
    {"binary", "base64|hex", false, "how BINARY and BYTES values are written (default base64)"},
    {NULL},
};

const fl_optdef_t fl_opts_table_delete[] = {
    {"batch-rows", "N", false, "input rows per batch; a batch is checked whole before it is sent (default 1000)"},
    {"binary", "base64|hex", false, "how BINARY and BYTES key values are written (default base64)"},
    {NULL},
};

/* ==================================== lookup =============================================== */

/* One key's row as text cells or one JSON line. */
static void fl_klookup_json(fl_buf_t *b, const fl_ktable_t *t, const fl_datum_t *f, const fl_rowopts_t *o) {
    const fl_type_t *rt = &t->row_type;
    fl_buf_put_u8(b, '{');
    for (uint32_t c = 0; c < rt->n_children; c++) {
        if (c) fl_buf_put_u8(b, ',');
        fl_rows_json_str(b, rt->field_names[c], strlen(rt->field_names[c]));
        fl_buf_put_u8(b, ':');
        fl_rows_json(b, &rt->children[c], &f[c], o);
    }
    fl_buf_put_u8(b, '}');
}

int fl_cmd_table_lookup(fl_ctx_t *ctx) {
    fl_kjob_t j;
    memset(&j, 0, sizeof(j));
    j.ctx = ctx;
    j.mode = FL_KMODE_LOOKUP;
    j.in = stdin;
    j.batch_rows = FL_KV_MAX_BATCH_ROWS;
    const char *fmt = fl_opt(ctx, "format");
    bool jsonl;
    if (!fmt) jsonl = ctx->json;
    else if (!strcmp(fmt, "table")) jsonl = false;
    else if (!strcmp(fmt, "jsonl") || !strcmp(fmt, "json")) jsonl = true;
    else return fl_usage(ctx, "--format must be table or jsonl, not '%s'", fmt);
    int rc = fl_binary_opt(ctx, &j.ro);
    if (rc) return rc;
    const char *key = fl_opt(ctx, "key");
    if ((rc = fl_ktable_load(ctx, ctx->pos[0], true, "table lookup", &j.t))) return rc;
    fl_ktable_t *t = &j.t;
    fl_arena_t *a = fl_arena_new(0);
    size_t n = 0, cap = 16;
    fl_krow_t *rows = fl_arena_alloc(a, cap * sizeof(*rows));
    if (key) {
        memset(&rows[0], 0, sizeof(rows[0]));
        if (fl_kparse(&j, a, key, strlen(key), &rows[0]) < 0) rc = FL_EXIT_USAGE;
        else if ((rc = fl_kroute_row(&j, a, &rows[0])) == 1) rc = FL_EXIT_OK, n = 1;
        else rc = rc >= 100 ? rc - 100 : FL_EXIT_USAGE;
    } else {
        bool eof = false;
        while (!eof && !rc) {
            if (n == cap) {
                fl_krow_t *nr = fl_arena_alloc(a, cap * 2 * sizeof(*nr));
                memcpy(nr, rows, cap * sizeof(*nr));
                rows = nr;
                cap *= 2;
            }
            const char *text;
            size_t len;
            int r = fl_kgetline(&j, &text, &len);
            if (r == 0) break;
            if (r < 0) {
                rc = FL_EXIT_USAGE;
                break;
            }
            fl_krow_t *row = &rows[n];
            memset(row, 0, sizeof(*row));
            row->line = j.line;
            if (fl_kparse(&j, a, text, len, row) < 0) continue;
            r = fl_kroute_row(&j, a, row);
            if (r >= 100) rc = r - 100;
            else if (r == 1) n++;
        }
        if (!rc && j.n_errors) rc = FL_EXIT_USAGE;
    }
    if (rc) {
        if (rc == FL_EXIT_USAGE && j.n_errors > FL_KV_MAX_LINE_ERRORS)
            fprintf(stderr, "error: ... and %d more bad lines\n", j.n_errors - FL_KV_MAX_LINE_ERRORS);
        goto out;
    }
    fl_datum_t **found = fl_arena_calloc(a, (n + 1) * sizeof(*found));
    bool *sent = fl_arena_calloc(a, n + 1);
    for (size_t i = 0; i < n && !rc; i++) {
        if (sent[i]) continue;
        if (!rows[i].leader) {
            rc = fl_bucket_error(t->path, rows[i].pname, rows[i].bucket, FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION,
                                  "the bucket has no leader");
            break;
        }
        const char *leader = rows[i].leader;
        /* one request per leader: one PbLookupReqForBucket per (partition, bucket) */
        Fluss__LookupRequest req = FLUSS__LOOKUP_REQUEST__INIT;
        req.table_id = t->table_id;
        req.buckets_req = fl_arena_alloc(a, n * sizeof(void *));
        size_t **members = fl_arena_alloc(a, n * sizeof(size_t *));
        for (size_t k = i; k < n; k++) {
            if (sent[k] || !rows[k].leader || strcmp(rows[k].leader, leader)) continue;
            size_t b = 0;
            while (b < req.n_buckets_req && !(req.buckets_req[b]->bucket_id == rows[k].bucket &&
                                               req.buckets_req[b]->partition_id == rows[k].pid))
                b++;
            if (b == req.n_buckets_req) {
                Fluss__PbLookupReqForBucket *pb = fl_arena_alloc(a, sizeof(*pb));
                fluss__pb_lookup_req_for_bucket__init(pb);
                pb->has_partition_id = rows[k].pid >= 0;
                pb->partition_id = rows[k].pid;
                pb->bucket_id = rows[k].bucket;
                pb->keys = fl_arena_alloc(a, n * sizeof(ProtobufCBinaryData));
                members[b] = fl_arena_alloc(a, n * sizeof(size_t));
                req.buckets_req[req.n_buckets_req++] = pb;
            }
            Fluss__PbLookupReqForBucket *pb = req.buckets_req[b];
            members[b][pb->n_keys] = k;
            pb->keys[pb->n_keys].data = rows[k].key.p;
            pb->keys[pb->n_keys].len = rows[k].key.len;
            pb->n_keys++;
            sent[k] = true;
        }
        fl_err_t err;
        fl_client_t *cl = fl_pool_get(ctx, &j.pool, leader, &err);
        Fluss__LookupResponse *resp = NULL;
        if (!err) err = fl_client_call(cl, FL_API_LOOKUP, &req.base, FL_RESP(lookup), a, (ProtobufCMessage **)&resp);
        if (err) {
            rc = fl_report_cl(cl, err);
            break;
        }
        for (size_t b = 0; b < req.n_buckets_req && !rc; b++) {
            const Fluss__PbLookupReqForBucket *pb = req.buckets_req[b];
            const Fluss__PbLookupRespForBucket *br = NULL;
            for (size_t m = 0; m < resp->n_buckets_resp; m++) {
                const Fluss__PbLookupRespForBucket *x = resp->buckets_resp[m];
                if (x->bucket_id == pb->bucket_id && (!x->has_partition_id || x->partition_id == pb->partition_id)) br = x;
            }
            const char *pname = rows[members[b][0]].pname;
            if (!br) {
                fprintf(stderr, "error: %s did not answer for bucket %d of %s\n", leader, pb->bucket_id, t->path);
                rc = FL_EXIT_CONNECT;
                break;
            }
            if (br->has_error_code && br->error_code) {
                rc = fl_bucket_error(t->path, pname, pb->bucket_id, br->error_code, br->error_message);
                break;
            }
            if (br->n_values != pb->n_keys) {
                fprintf(stderr, "error: %s answered %zu values for %zu keys (table %s, bucket %d)\n", leader,
                        br->n_values, pb->n_keys, t->path, pb->bucket_id);
                rc = FL_EXIT_CONNECT;
                break;
            }
            for (size_t v = 0; v < br->n_values; v++) {
                const Fluss__PbValue *pv = br->values[v];
                if (!pv->has_values) continue; /* not found */
                int16_t sid;
                fl_view_t body;
                fl_datum_t *f = NULL;
                err = fl_row_split_value(pv->values.data, pv->values.len, &sid, &body);
                if (!err && sid != t->schema_id) {
                    fprintf(stderr, "error: a row of %s has schema id %d; fl-admin reads only the table's current "
                                    "schema %d\n", t->path, sid, t->schema_id);
                    rc = FL_EXIT_SERVER;
                    break;
                }
                if (!err) err = fl_row_decode(t->kv_fmt, &t->row_type, body.p, body.len, a, &f);
                if (err) {
                    fprintf(stderr, "error: the value %s answered for %s bucket %d does not decode (%s)\n", leader,
                            t->path, pb->bucket_id, fl_err2str(err));
                    rc = FL_EXIT_SERVER;
                    break;
                }
                found[members[b][v]] = f;
            }
        }
    }
    if (rc) goto out;
    /* print in input order */
    fl_buf_t b;
    fl_buf_init(&b);
    if (jsonl) {
        for (size_t i = 0; i < n; i++) {
            fl_buf_reset(&b);
            if (found[i]) fl_klookup_json(&b, t, found[i], &j.ro);
            else fl_buf_put(&b, "null", 4);
            fl_buf_put_u8(&b, '\n');
            fwrite(b.p, 1, b.len, stdout);
        }
    } else {
        size_t nc = t->row_type.n_children;
        fl_grid_t g;
        fl_grid_init(&g, a, nc, (const char *const *)t->row_type.field_names);
        for (size_t i = 0; i < n; i++) {
            if (!found[i]) continue;
            const char **cells = fl_arena_alloc(a, (nc + 1) * sizeof(char *));
            for (size_t c = 0; c < nc; c++) {
                if (found[i][c].is_null) {
                    cells[c] = "NULL";
                    continue;
                }
                fl_buf_reset(&b);
                fl_rows_text(&b, &t->row_type.children[c], &found[i][c], &j.ro);
                for (size_t k = 0; k < b.len; k++)
                    if (b.p[k] == '\n' || b.p[k] == '\r' || b.p[k] == '\t') b.p[k] = ' ';
                cells[c] = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
            }
            fl_grid_row(&g, cells);
        }
        if (g.nrows > 1) fl_grid_print(&g, "", NULL);
        fflush(stdout);
        for (size_t i = 0; i < n; i++)
            if (!found[i]) fprintf(stderr, "not found: %s\n", rows[i].src);
    }
    fl_buf_free(&b);
out:
    fl_arena_destroy(a);
    free(j.lbuf);
    fl_pool_close(&j.pool);
    return rc;
}

const fl_optdef_t fl_opts_table_lookup[] = {
    {"key", "JSON", false, "the key: a JSON object of the primary-key columns (default: one per line on stdin)"},
    {"format", "table|jsonl", false, "output format (default table; jsonl with --json)"},
    {"binary", "base64|hex", false, "how BINARY and BYTES values are read and printed (default base64)"},
    {NULL},
};

/* ===================================== lake ================================================ */

typedef struct fl_lbucket_s {
    int64_t pid;
    const char *pname;
    int32_t bucket;
    const char *leader;
    int64_t tiered;                   /* next offset to tier (0: nothing tiered) */
    int64_t end;                      /* log end offset, -1 unknown */
    int64_t last_tiered_ts;           /* commit time of the last tiered record, -1 unknown */
    int64_t first_untiered_ts;        /* commit time of the first record not tiered, -1 none/unknown */
} fl_lbucket_t;

/* The commit timestamp of the batch holding offset (FetchLog). @returns -1 when unknown. */
static int64_t fl_lake_batch_ts(fl_ctx_t *ctx, fl_pool_t *pool, const fl_ktable_t *t, const fl_lbucket_t *lb,
                                int64_t offset) {
    fl_arena_t *a = fl_arena_new(0);
    int64_t ts = -1;
    Fluss__FetchLogRequest req = FLUSS__FETCH_LOG_REQUEST__INIT;
    req.follower_server_id = -1;
    req.max_bytes = FL_LAKE_FETCH_BYTES;
    Fluss__PbFetchLogReqForTable tr = FLUSS__PB_FETCH_LOG_REQ_FOR_TABLE__INIT;
    Fluss__PbFetchLogReqForTable *trp = &tr;
    tr.table_id = t->table_id;
    Fluss__PbFetchLogReqForBucket b = FLUSS__PB_FETCH_LOG_REQ_FOR_BUCKET__INIT;
    Fluss__PbFetchLogReqForBucket *bp = &b;
    b.has_partition_id = lb->pid >= 0;
    b.partition_id = lb->pid;
    b.bucket_id = lb->bucket;
    b.fetch_offset = offset;
    b.max_fetch_bytes = FL_LAKE_FETCH_BYTES;
    tr.n_buckets_req = 1;
    tr.buckets_req = &bp;
    req.n_tables_req = 1;
    req.tables_req = &trp;
    fl_err_t err;
    fl_client_t *cl = fl_pool_get(ctx, pool, lb->leader, &err);
    Fluss__FetchLogResponse *r = NULL;
    if (!err) err = fl_client_call(cl, FL_API_FETCH_LOG, &req.base, FL_RESP(fetch_log), a, (ProtobufCMessage **)&r);
    for (size_t i = 0; !err && i < r->n_tables_resp; i++)
        for (size_t k = 0; k < r->tables_resp[i]->n_buckets_resp; k++) {
            const Fluss__PbFetchLogRespForBucket *br = r->tables_resp[i]->buckets_resp[k];
            if (br->bucket_id != lb->bucket || (br->has_error_code && br->error_code) || !br->has_records) continue;
            const uint8_t *p = br->records.data;
            size_t len = br->records.len, off = 0;
            fl_logbatch_t lbh;
            while (off < len && !fl_logbatch_parse_header(p + off, len - off, UINT32_MAX, &lbh, NULL)) {
                if (offset >= lbh.base_offset && offset < fl_logbatch_next_offset(&lbh)) {
                    ts = lbh.commit_timestamp;
                    break;
                }
                if (lbh.size == 0) break;
                off += lbh.size;
            }
        }
    fl_arena_destroy(a);
    return ts;
}

int fl_cmd_table_lake(fl_ctx_t *ctx) {
    fl_ktable_t t;
    int rc = fl_ktable_load(ctx, ctx->pos[0], false, "table lake", &t);
    if (rc) return rc;
    const char *en = fl_kvs_get(&t.desc.properties, "table.datalake.enabled");
    bool enabled = en && !strcasecmp(en, "true");
    const char *lfmt = fl_kvs_get(&t.desc.properties, "table.datalake.format");
    Fluss__GetLakeSnapshotRequest req = FLUSS__GET_LAKE_SNAPSHOT_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, t.db, t.name);
    Fluss__GetLakeSnapshotResponse *snap;
    fl_err_t err = fl_call(ctx, FL_API_GET_LAKE_SNAPSHOT, &req.base, FL_RESP(get_lake_snapshot), &snap);
    if (err == FL_ERR_LAKE_SNAPSHOT_NOT_EXIST) {
        fprintf(stderr, "error: %s (%d): %s has no lake snapshot yet: %s\n", fl_err2name(err), (int)err, t.path,
                enabled ? "tiering has not committed one (wait for table.datalake.freshness, and check that the "
                          "server runs with datalake.format set)"
                        : "the table is not lake-enabled (table.datalake.enabled is not true)");
        return FL_EXIT_SERVER;
    }
    if (err) return fl_report(ctx, err);

    /* every bucket (of every partition) with its leader */
    fl_kroutes_t rs;
    memset(&rs, 0, sizeof(rs));
    size_t nparts = t.n_pkey ? t.parts->n_partitions_info : 1;
    for (size_t i = 0; i < nparts; i++) {
        int64_t pid = t.n_pkey ? t.parts->partitions_info[i]->partition_id : -1;
        if (!fl_kroutes_get(ctx, &t, &rs, pid, t.n_pkey ? t.pnames[i] : NULL, &rc)) return rc;
    }
    size_t nb = 0;
    for (size_t i = 0; i < rs.n; i++) nb += (size_t)rs.r[i].n;
    fl_lbucket_t *lb = fl_arena_calloc(ctx->arena, (nb + 1) * sizeof(*lb));
    nb = 0;
    for (size_t i = 0; i < rs.n; i++)
        for (int32_t k = 0; k < rs.r[i].n; k++) {
            fl_lbucket_t *x = &lb[nb++];
            x->pid = rs.r[i].pid;
            x->pname = rs.r[i].pname;
            x->bucket = k;
            x->leader = rs.r[i].leader[k];
            x->end = x->last_tiered_ts = x->first_untiered_ts = -1;
            for (size_t s = 0; s < snap->n_bucket_snapshots; s++) {
                const Fluss__PbLakeSnapshotForBucket *bs = snap->bucket_snapshots[s];
                if (bs->bucket_id == k && (bs->has_partition_id ? bs->partition_id : -1) == x->pid &&
                    bs->has_log_offset)
                    x->tiered = bs->log_offset;
            }
            if (!x->leader)
                return fl_bucket_error(t.path, x->pname, k, FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION, "the bucket has no leader");
        }
    /* log end offsets: ListOffsets latest, one request per (partition, leader) */
    fl_pool_t pool;
    memset(&pool, 0, sizeof(pool));
    bool *done = fl_arena_calloc(ctx->arena, nb + 1);
    for (size_t i = 0; i < nb && !rc; i++) {
        if (done[i]) continue;
        Fluss__ListOffsetsRequest lr = FLUSS__LIST_OFFSETS_REQUEST__INIT;
        lr.follower_server_id = -1;
        lr.offset_type = 1;
        lr.table_id = t.table_id;
        lr.has_partition_id = lb[i].pid >= 0;
        lr.partition_id = lb[i].pid;
        lr.bucket_id = fl_arena_alloc(ctx->arena, nb * sizeof(int32_t));
        size_t *idx = fl_arena_alloc(ctx->arena, nb * sizeof(size_t));
        for (size_t k = i; k < nb; k++) {
            if (done[k] || lb[k].pid != lb[i].pid || strcmp(lb[k].leader, lb[i].leader)) continue;
            idx[lr.n_bucket_id] = k;
            lr.bucket_id[lr.n_bucket_id++] = lb[k].bucket;
            done[k] = true;
        }
        fl_client_t *cl = fl_pool_get(ctx, &pool, lb[i].leader, &err);
        Fluss__ListOffsetsResponse *r = NULL;
        if (!err) err = fl_client_call(cl, FL_API_LIST_OFFSETS, &lr.base, FL_RESP(list_offsets), ctx->arena,
                                       (ProtobufCMessage **)&r);
        if (err) {
            rc = fl_report_cl(cl, err);
            break;
        }
        for (size_t k = 0; k < lr.n_bucket_id; k++) {
            fl_lbucket_t *x = &lb[idx[k]];
            for (size_t m = 0; m < r->n_buckets_resp; m++) {
                const Fluss__PbListOffsetsRespForBucket *br = r->buckets_resp[m];
                if (br->bucket_id != x->bucket) continue;
                if (br->has_error_code && br->error_code) {
                    rc = fl_bucket_error(t.path, x->pname, x->bucket, br->error_code, br->error_message);
                    break;
                }
                if (br->has_offset) x->end = br->offset;
            }
        }
    }
    if (rc) goto out;
    int64_t now = fl_now_ms();
    double lag = 0;
    bool lag_known = true;
    for (size_t i = 0; i < nb; i++) {
        fl_lbucket_t *x = &lb[i];
        if (x->tiered > 0) x->last_tiered_ts = fl_lake_batch_ts(ctx, &pool, &t, x, x->tiered - 1);
        if (x->end > x->tiered) {
            x->first_untiered_ts = fl_lake_batch_ts(ctx, &pool, &t, x, x->tiered);
            if (x->first_untiered_ts < 0) lag_known = false;
            else lag = FL_MAX(lag, (double)(now - x->first_untiered_ts) / 1000.0);
        }
        if (x->end < 0) lag_known = false;
    }
    bool part = t.n_pkey > 0;
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "table", json_string(t.path));
        json_object_set_new(o, "lake_enabled", json_boolean(enabled));
        json_object_set_new(o, "lake_format", lfmt ? json_string(lfmt) : json_null());
        json_object_set_new(o, "snapshot_id", json_integer(snap->snapshotid));
        json_object_set_new(o, "lag_seconds", lag_known ? json_real(lag) : json_null());
        json_t *arr = json_array();
        for (size_t i = 0; i < nb; i++) {
            const fl_lbucket_t *x = &lb[i];
            json_t *b = json_object();
            if (part) json_object_set_new(b, "partition", json_string(x->pname));
            json_object_set_new(b, "bucket", json_integer(x->bucket));
            json_object_set_new(b, "tiered_offset", json_integer(x->tiered));
            json_object_set_new(b, "log_end_offset", x->end >= 0 ? json_integer(x->end) : json_null());
            json_object_set_new(b, "behind", x->end >= 0 ? json_integer(FL_MAX(0, x->end - x->tiered)) : json_null());
            json_object_set_new(b, "last_tiered_timestamp",
                                x->last_tiered_ts >= 0 ? json_integer(x->last_tiered_ts) : json_null());
            json_object_set_new(b, "oldest_untiered_timestamp",
                                x->first_untiered_ts >= 0 ? json_integer(x->first_untiered_ts) : json_null());
            json_array_append_new(arr, b);
        }
        json_object_set_new(o, "buckets", arr);
        fl_json_print(o);
        goto out;
    }
    printf("Table:          %s\n", t.path);
    printf("Lake format:    %s%s\n", lfmt ? lfmt : "-", enabled ? "" : " (table.datalake.enabled is not true)");
    printf("Lake snapshot:  %" PRId64 "\n", snap->snapshotid);
    if (lag_known) printf("Lake lag:       %.1f s%s\n", lag, lag == 0 ? " (every record is in the lake)" : "");
    else printf("Lake lag:       unknown (the first untiered record could not be read)\n");
    fl_grid_t g;
    const char *hdr[] = {"PARTITION", "BUCKET", "TIERED OFFSET", "LOG END OFFSET", "BEHIND", "LAST TIERED RECORD"};
    fl_grid_init(&g, ctx->arena, part ? 6 : 5, part ? hdr : hdr + 1);
    for (size_t i = 0; i < nb; i++) {
        const fl_lbucket_t *x = &lb[i];
        char ts[64] = "-";
        if (x->last_tiered_ts >= 0) fl_rows_fmt_millis(x->last_tiered_ts, ts, sizeof(ts));
        const char *c[6];
        size_t k = 0;
        if (part) c[k++] = x->pname;
        c[k++] = fl_arena_sprintf(ctx->arena, "%d", x->bucket);
        c[k++] = fl_arena_sprintf(ctx->arena, "%" PRId64, x->tiered);
        c[k++] = x->end >= 0 ? fl_arena_sprintf(ctx->arena, "%" PRId64, x->end) : "-";
        c[k++] = x->end >= 0 ? fl_arena_sprintf(ctx->arena, "%" PRId64, FL_MAX(0, x->end - x->tiered)) : "-";
        c[k++] = fl_arena_strndup(ctx->arena, ts, strlen(ts));
        fl_grid_row(&g, c);
    }
    fl_grid_print(&g, "", NULL);
out:
    fl_pool_close(&pool);
    return rc;
}
