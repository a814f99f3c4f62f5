/* fl_admin_log.c: `fl-admin table produce` and `fl-admin table scan`, the log-table commands.
 * A blocking, single-threaded cousin of the Java writer and log scanner (fluss-rpc.md 3.3,
 * 3.6), for people and scripts.
 *
 * produce: GetTableInfo (schema id, schema, properties) -> ListPartitionInfos (partitioned
 * tables) -> GetMetadata (bucket leaders) -> InitWriter (an idempotent writer id) -> for each
 * batch of input rows: parse and check every row (fl_rows.h), choose partition and bucket,
 * encode one LogRecordBatch per (partition, bucket) in the table's log format, and send them
 * with ProduceLog to each bucket's leader. Nothing of a batch is sent unless all its rows are
 * good. Batch sequences count from 0 per bucket, as the Java IdempotenceManager does.
 *
 *   LogRecordBatch written (fl_logbatch.h): magic 0, BaseOffset 0 and CommitTimestamp 0 (the
 *   server stamps them), SchemaId = the table's, Attributes = append-only, WriterId from
 *   InitWriter, BatchSequence per bucket from 0, RecordCount rows; body = one Arrow IPC
 *   RecordBatch message (ARROW, with table.log.arrow.compression.*) or RecordCount records
 *   [int32 length][change type 0][row] (INDEXED / COMPACTED).
 *
 * Bucket choice: --bucket N; else the bucket key's hash (fl_keyenc + fl_bucket, the function
 * of table.datalake.format) when the table has a bucket key; else round robin per batch (each
 * partition's counter starting at a random bucket, as RoundRobinBucketAssigner does).
 *
 * scan: the same lookups, then start offsets (earliest: fetch offset -2; latest and timestamps
 * through ListOffsets to each leader), then FetchLog rounds to every leader until --limit rows
 * are printed or, without --follow, every bucket has reached its high watermark. Every batch's
 * CRC is checked before it is decoded. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fl_admin.h"
#include "fl_arrow.h"
#include "fl_bucket.h"
#include "fl_keyenc.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_row.h"
#include "fl_rows.h"
#include "fl_tabledesc.h"

#define FL_FETCH_EARLIEST (-2)
#define FL_PRODUCE_DEFAULT_BATCH_ROWS 1000
#define FL_PRODUCE_MAX_BATCH_ROWS 1000000
#define FL_PRODUCE_MAX_LINE_ERRORS 20
#define FL_SCAN_MAX_BYTES (16 << 20)
#define FL_SCAN_BUCKET_BYTES (1 << 20)
#define FL_SCAN_FOLLOW_WAIT_MS 500

/* ---- the table, as both commands see it ---------------------------------------------------- */

typedef enum fl_logfmt_e { FL_LOGFMT_ARROW, FL_LOGFMT_INDEXED, FL_LOGFMT_COMPACTED } fl_logfmt_t;

typedef struct fl_ltable_s {
    const char *db, *name, *path;     /* path = "db.name" */
    int64_t table_id;
    int32_t schema_id;
    fl_table_desc_t desc;
    fl_type_t row_type;               /* ROW of the columns */
    fl_logfmt_t fmt;
    fl_arrow_codec_t codec;
    int zstd_level;
    int32_t n_buckets;                /* -1 until known */
    uint32_t *bkey;                   /* bucket-key column indexes */
    size_t n_bkey;
    fl_keyenc_kind_t keyenc;
    fl_bucket_fn_t bucket_fn;
    uint32_t *pkey;                   /* partition-key column indexes */
    size_t n_pkey;
    Fluss__ListPartitionInfosResponse *parts; /* partitioned tables */
    const char **pnames;              /* their names, as parts */
} fl_ltable_t;

/* Leaders of one partition's (or the table's) buckets. */

fl_client_t *fl_pool_get(fl_ctx_t *ctx, fl_pool_t *pool, const char *addr, fl_err_t *err) {
    for (size_t i = 0; i < pool->n; i++)
        if (!strcmp(pool->cl[i]->addr, addr)) {
            *err = FL_ERR_NONE;
            if (pool->cl[i]->fd < 0) { /* closed after a local error: try once more */
                fl_client_close(pool->cl[i]);
                *err = fl_client_open(pool->cl[i], addr, ctx->timeout_ms);
            }
            return pool->cl[i];
        }
    if (pool->n == pool->cap) {
        pool->cap = pool->cap ? pool->cap * 2 : 4;
        pool->cl = fl_realloc(pool->cl, pool->cap * sizeof(*pool->cl));
    }
    fl_client_t *cl = fl_calloc(1, sizeof(*cl));
    cl->fd = -1;
    pool->cl[pool->n++] = cl;
    *err = fl_client_open(cl, addr, ctx->timeout_ms);
    return cl;
}

void fl_pool_close(fl_pool_t *pool) {
    for (size_t i = 0; i < pool->n; i++) {
        fl_client_close(pool->cl[i]);
        fl_free(pool->cl[i]);
    }
    fl_free(pool->cl);
    memset(pool, 0, sizeof(*pool));
}

/* As fl_report, for a leader connection. */
int fl_report_cl(const fl_client_t *cl, fl_err_t err) {
    const char *msg = fl_client_errmsg(cl);
    if (fl_err_is_wire(err)) {
        fprintf(stderr, "error: %s (%d): %s\n", fl_err2name(err), (int)err, msg[0] ? msg : fl_err2str(err));
        return FL_EXIT_SERVER;
    }
    fprintf(stderr, "error: %s\n", msg[0] ? msg : fl_err2str(err));
    return FL_EXIT_CONNECT;
}

/* A per-bucket error in a response (exit 1). */
int fl_bucket_error(const char *path, const char *pname, int32_t bucket, int32_t code,
                    const char *msg) {
    fl_err_t err = (fl_err_t)code;
    fprintf(stderr, "error: %s (%d): %s (table %s%s%s, bucket %d)\n", fl_err2name(err), code,
            msg && msg[0] ? msg : fl_err2str(err), path, pname ? ", partition " : "",
            pname ? pname : "", bucket);
    return FL_EXIT_SERVER;
}

static int fl_col_index(const fl_ltable_t *t, const char *name) {
    return fl_schema_col_index(&t->desc.schema, name);
}

int fl_table_info_load(fl_ctx_t *ctx, const char *arg, const char **db, const char **name,
                       const char **path, int64_t *table_id, int32_t *schema_id,
                       fl_table_desc_t *desc) {
    fl_split_path(ctx->arena, arg, db, name);
    *path = fl_arena_sprintf(ctx->arena, "%s.%s", *db, *name);
    Fluss__GetTableInfoRequest req = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, *db, *name);
    Fluss__GetTableInfoResponse *info;
    fl_err_t err = fl_call(ctx, FL_API_GET_TABLE_INFO, &req.base, FL_RESP(get_table_info), &info);
    if (err) return fl_report(ctx, err);
    const char *why = NULL;
    if (fl_table_desc_parse(ctx->arena, info->table_json.data, info->table_json.len, desc, &why)) {
        fprintf(stderr, "error: the table descriptor %s sent for %s does not parse: %s\n",
                ctx->bootstrap, *path, why);
        return FL_EXIT_CONNECT;
    }
    *table_id = info->table_id;
    *schema_id = info->schema_id;
    return FL_EXIT_OK;
}

int fl_table_parts_load(fl_ctx_t *ctx, const char *db, const char *name,
                        Fluss__ListPartitionInfosResponse **parts, const char ***pnames) {
    fl_err_t err = fl_list_partitions(ctx, db, name, NULL, parts);
    if (err) return fl_report(ctx, err);
    size_t np = (*parts)->n_partitions_info;
    *pnames = fl_arena_alloc(ctx->arena, (np + 1) * sizeof(char *));
    for (size_t i = 0; i < np; i++)
        (*pnames)[i] = fl_part_name(ctx->arena, (*parts)->partitions_info[i]->partition_spec);
    return FL_EXIT_OK;
}

int64_t fl_part_id(const Fluss__ListPartitionInfosResponse *parts, const char *const *pnames,
                   const char *pname) {
    for (size_t i = 0; parts && i < parts->n_partitions_info; i++)
        if (!strcmp(pnames[i], pname)) return parts->partitions_info[i]->partition_id;
    return -1;
}

/* GetTableInfo and everything derived from the descriptor. @returns an exit code. */
static int fl_ltable_load(fl_ctx_t *ctx, const char *arg, fl_ltable_t *t) {
    memset(t, 0, sizeof(*t));
    int rc = fl_table_info_load(ctx, arg, &t->db, &t->name, &t->path, &t->table_id, &t->schema_id,
                                &t->desc);
    if (rc) return rc;
    t->row_type = *fl_schema_row_type(ctx->arena, &t->desc.schema);
    const fl_kvs_t *p = &t->desc.properties;
    const char *f = fl_kvs_get(p, "table.log.format");
    t->fmt = f && !strcasecmp(f, "INDEXED")     ? FL_LOGFMT_INDEXED
             : f && !strcasecmp(f, "COMPACTED") ? FL_LOGFMT_COMPACTED
                                                : FL_LOGFMT_ARROW;
    const char *c = fl_kvs_get(p, "table.log.arrow.compression.type");
    t->codec = c && !strcasecmp(c, "NONE")        ? FL_ARROW_CODEC_NONE
               : c && !strcasecmp(c, "LZ4_FRAME") ? FL_ARROW_CODEC_LZ4_FRAME
                                                  : FL_ARROW_CODEC_ZSTD;
    const char *lvl = fl_kvs_get(p, "table.log.arrow.compression.zstd.level");
    t->zstd_level = lvl ? atoi(lvl) : 3;
    t->n_buckets = t->desc.bucket_count;
    t->bkey = fl_arena_alloc(ctx->arena, (t->desc.bucket_keys.n + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < t->desc.bucket_keys.n; i++) {
        int k = fl_col_index(t, t->desc.bucket_keys.items[i]);
        if (k < 0) {
            fprintf(stderr, "error: bucket key column '%s' of %s is not in its schema\n",
                    t->desc.bucket_keys.items[i], t->path);
            return FL_EXIT_CONNECT;
        }
        t->bkey[t->n_bkey++] = (uint32_t)k;
    }
    const char *lake = fl_kvs_get(p, "table.datalake.format");
    if (t->n_bkey && (fl_keyenc_for_bucket(lake, &t->keyenc) || fl_bucket_fn_for_lake(lake, &t->bucket_fn))) {
        fprintf(stderr, "error: table %s has an unknown table.datalake.format '%s'\n", t->path, lake);
        return FL_EXIT_CONNECT;
    }
    t->pkey = fl_arena_alloc(ctx->arena, (t->desc.partition_keys.n + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < t->desc.partition_keys.n; i++) {
        int k = fl_col_index(t, t->desc.partition_keys.items[i]);
        if (k < 0) {
            fprintf(stderr, "error: partition key column '%s' of %s is not in its schema\n",
                    t->desc.partition_keys.items[i], t->path);
            return FL_EXIT_CONNECT;
        }
        t->pkey[t->n_pkey++] = (uint32_t)k;
    }
    if (t->n_pkey) return fl_table_parts_load(ctx, t->db, t->name, &t->parts, &t->pnames);
    return FL_EXIT_OK;
}

/* The id of a partition by name, or -1. */
static int64_t fl_ltable_pid(const fl_ltable_t *t, const char *pname) {
    return fl_part_id(t->parts, t->pnames, pname);
}

int fl_route_load(fl_ctx_t *ctx, const char *db, const char *name, const char *path,
                  int64_t table_id, int32_t n_buckets, int64_t pid, const char *pname,
                  fl_route_t *r) {
    memset(r, 0, sizeof(*r));
    r->pid = pid;
    r->pname = pname;
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    Fluss__PbTablePath *tp = fl_pb_path(ctx->arena, db, name);
    req.n_table_path = 1;
    req.table_path = &tp;
    Fluss__PbPhysicalTablePath pp = FLUSS__PB_PHYSICAL_TABLE_PATH__INIT;
    Fluss__PbPhysicalTablePath *ppp = &pp;
    if (pname) {
        pp.database_name = (char *)db;
        pp.table_name = (char *)name;
        pp.partition_name = (char *)pname;
        req.n_partitions_path = 1;
        req.partitions_path = &ppp;
    }
    Fluss__MetadataResponse *m;
    fl_err_t err = fl_call(ctx, FL_API_GET_METADATA, &req.base, FL_RESP(metadata), &m);
    if (err) return fl_report(ctx, err);
    Fluss__PbBucketMetadata **bms = NULL;
    size_t nb = 0;
    for (size_t i = 0; i < m->n_table_metadata && !pname; i++)
        if (m->table_metadata[i]->table_id == table_id) {
            bms = m->table_metadata[i]->bucket_metadata;
            nb = m->table_metadata[i]->n_bucket_metadata;
        }
    for (size_t i = 0; i < m->n_partition_metadata && pname; i++)
        if (m->partition_metadata[i]->partition_id == pid) {
            bms = m->partition_metadata[i]->bucket_metadata;
            nb = m->partition_metadata[i]->n_bucket_metadata;
        }
    int32_t n = n_buckets;
    for (size_t i = 0; i < nb; i++) n = FL_MAX(n, bms[i]->bucket_id + 1);
    if (n <= 0) {
        fprintf(stderr, "error: the metadata from %s lists no buckets for %s%s%s\n", ctx->bootstrap,
                path, pname ? " partition " : "", pname ? pname : "");
        return FL_EXIT_CONNECT;
    }
    r->n = n;
    r->leader = fl_arena_calloc(ctx->arena, (size_t)n * sizeof(char *));
    for (size_t i = 0; i < nb; i++) {
        const Fluss__PbBucketMetadata *bm = bms[i];
        if (bm->bucket_id < 0 || !bm->has_leader_id) continue;
        const Fluss__PbServerNode *node = fl_node(m, bm->leader_id);
        if (node) r->leader[bm->bucket_id] = fl_arena_sprintf(ctx->arena, "%s:%d", node->host, node->port);
    }
    return FL_EXIT_OK;
}

/* Option helpers. */
bool fl_parse_count(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) return false;
    *out = v;
    return true;
}

int fl_binary_opt(fl_ctx_t *ctx, fl_rowopts_t *o) {
    const char *b = fl_opt(ctx, "binary");
    o->hex_binary = false;
    if (!b || !strcmp(b, "base64")) return FL_EXIT_OK;
    if (!strcmp(b, "hex")) {
        o->hex_binary = true;
        return FL_EXIT_OK;
    }
    return fl_usage(ctx, "--binary must be base64 or hex, not '%s'", b);
}

/* ================================== produce ================================================ */

/* Where a row goes and what it is. */
typedef struct fl_prow_s {
    fl_datum_t *f;        /* one per column */
    long line;
    int64_t pid;          /* -1 when not partitioned */
    const char *pname;
    int32_t bucket;       /* -1: round robin, chosen per batch */
} fl_prow_t;

/* Per (partition, bucket): the writer state and what was written. */
typedef struct fl_pstate_s {
    int64_t pid;
    const char *pname;
    int32_t bucket;
    int32_t next_seq;
    int64_t rows;
    int64_t first_offset, last_offset; /* -1 when unknown */
} fl_pstate_t;

/* Per partition: route and round-robin counter. */
typedef struct fl_ppart_s {
    int64_t pid;
    const char *pname;
    fl_route_t route;
    uint32_t rr;
} fl_ppart_t;

typedef struct fl_producer_s {
    fl_ctx_t *ctx;
    fl_ltable_t t;
    fl_rowopts_t ro;
    bool csv, header;
    int32_t acks;
    int64_t batch_rows;
    int32_t fixed_bucket;          /* --bucket, or -1 */
    const char *only_part;         /* --partition */
    fl_datum_t *part_fill;         /* --partition values, per partition-key column */
    int64_t writer_id;
    fl_pool_t pool;
    fl_ppart_t *parts;
    size_t n_parts, cap_parts;
    fl_pstate_t *st;
    size_t n_st, cap_st;
    /* input */
    FILE *in;
    long line;
    int *csv_cols;                 /* CSV cell i -> column index */
    size_t csv_n;
    char *lbuf;                    /* getline buffer */
    size_t lcap;
    /* totals */
    int64_t rows, batches;
    int n_errors;
} fl_producer_t;

static void fl_line_error(fl_producer_t *pr, long line, const char *col, const char *why) {
    if (pr->n_errors++ >= FL_PRODUCE_MAX_LINE_ERRORS) return;
    if (col) fprintf(stderr, "error: line %ld, column '%s': %s\n", line, col, why);
    else fprintf(stderr, "error: line %ld: %s\n", line, why);
}

static fl_ppart_t *fl_ppart(fl_producer_t *pr, int64_t pid, const char *pname, int *rc) {
    *rc = FL_EXIT_OK;
    for (size_t i = 0; i < pr->n_parts; i++)
        if (pr->parts[i].pid == pid) return &pr->parts[i];
    if (pr->n_parts == pr->cap_parts) {
        pr->cap_parts = pr->cap_parts ? pr->cap_parts * 2 : 4;
        pr->parts = fl_realloc(pr->parts, pr->cap_parts * sizeof(*pr->parts));
    }
    fl_ppart_t *p = &pr->parts[pr->n_parts];
    memset(p, 0, sizeof(*p));
    p->pid = pid;
    p->pname = pname ? fl_arena_strndup(pr->ctx->arena, pname, strlen(pname)) : NULL;
    *rc = fl_route_load(pr->ctx, pr->t.db, pr->t.name, pr->t.path, pr->t.table_id, pr->t.n_buckets,
                        pid, p->pname, &p->route);
    if (*rc) return NULL;
    p->rr = (uint32_t)rand();
    pr->n_parts++;
    return p;
}

static fl_pstate_t *fl_pstate(fl_producer_t *pr, int64_t pid, const char *pname, int32_t bucket) {
    for (size_t i = 0; i < pr->n_st; i++)
        if (pr->st[i].pid == pid && pr->st[i].bucket == bucket) return &pr->st[i];
    if (pr->n_st == pr->cap_st) {
        pr->cap_st = pr->cap_st ? pr->cap_st * 2 : 16;
        pr->st = fl_realloc(pr->st, pr->cap_st * sizeof(*pr->st));
    }
    fl_pstate_t *s = &pr->st[pr->n_st++];
    memset(s, 0, sizeof(*s));
    s->pid = pid;
    s->pname = pname;
    s->bucket = bucket;
    s->first_offset = s->last_offset = -1;
    return s;
}

/* Read the next input row into a (values only; no routing). @returns 1, 0 at the end, -1 for
 * a bad line (reported), -2 for an input error (reported; fatal). */
static int fl_read_row(fl_producer_t *pr, fl_arena_t *a, fl_prow_t *row) {
    const fl_type_t *rt = &pr->t.row_type;
    size_t nc = rt->n_children;
    row->f = fl_arena_calloc(a, (nc + 1) * sizeof(fl_datum_t));
    bool *seen = fl_arena_calloc(a, nc + 1);
    const char *why = NULL;
    if (pr->csv) {
        fl_csv_cell_t *cells;
        size_t n;
        long start;
        int rc = fl_csv_read(pr->in, a, &pr->line, &start, &cells, &n, &why);
        row->line = start;
        if (rc == 0) return 0;
        if (rc < 0) {
            fl_line_error(pr, start, NULL, why);
            return -1;
        }
        if (n != pr->csv_n) {
            fl_line_error(pr, start, NULL,
                          fl_arena_sprintf(a, "%zu cells; expected %zu (%s)", n, pr->csv_n,
                                           pr->header ? "as the header has" : "one per column"));
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            int c = pr->csv_cols[i];
            seen[c] = true;
            const fl_type_t *ct = &rt->children[c];
            if (!cells[i].quoted && cells[i].len == 0) {
                row->f[c].is_null = true;
                continue;
            }
            if (fl_rows_from_text(a, ct, cells[i].s, cells[i].len, &pr->ro, &row->f[c], &why)) {
                fl_line_error(pr, start, rt->field_names[c], why);
                return -1;
            }
        }
    } else {
        ssize_t len;
        for (;;) {
            len = getline(&pr->lbuf, &pr->lcap, pr->in);
            if (len < 0) {
                if (ferror(pr->in)) {
                    fprintf(stderr, "error: cannot read stdin: %s\n", strerror(errno));
                    return -2;
                }
                return 0;
            }
            pr->line++;
            size_t k = 0;
            while (k < (size_t)len && strchr(" \t\r\n", pr->lbuf[k])) k++;
            if (k < (size_t)len) break; /* not blank */
        }
        row->line = pr->line;
        fl_jval_t *v;
        if (fl_json_parse(a, pr->lbuf, (size_t)len, &v, &why)) {
            fl_line_error(pr, row->line, NULL, why);
            return -1;
        }
        if (v->kind == FL_J_OBJ) {
            for (size_t k = 0; k < v->n; k++) {
                int c = fl_col_index(&pr->t, v->keys[k]);
                if (c < 0) {
                    fl_line_error(pr, row->line, v->keys[k], fl_arena_sprintf(a, "table %s has no such column", pr->t.path));
                    return -1;
                }
                if (seen[c]) {
                    fl_line_error(pr, row->line, v->keys[k], "given twice");
                    return -1;
                }
                seen[c] = true;
                if (fl_rows_from_json(a, &rt->children[c], &v->items[k], &pr->ro, &row->f[c], &why)) {
                    fl_line_error(pr, row->line, v->keys[k], why);
                    return -1;
                }
            }
        } else if (v->kind == FL_J_ARR) {
            if (v->n != nc) {
                fl_line_error(pr, row->line, NULL,
                              fl_arena_sprintf(a, "%zu values; table %s has %zu columns", v->n, pr->t.path, nc));
                return -1;
            }
            for (size_t c = 0; c < nc; c++) {
                seen[c] = true;
                if (fl_rows_from_json(a, &rt->children[c], &v->items[c], &pr->ro, &row->f[c], &why)) {
                    fl_line_error(pr, row->line, rt->field_names[c], why);
                    return -1;
                }
            }
        } else {
            fl_line_error(pr, row->line, NULL, "expected a JSON object (by column name) or array (in column order)");
            return -1;
        }
    }
    /* missing columns are null; --partition fills its columns */
    for (size_t c = 0; c < nc; c++)
        if (!seen[c]) row->f[c].is_null = true;
    for (size_t k = 0; pr->part_fill && k < pr->t.n_pkey; k++) {
        uint32_t c = pr->t.pkey[k];
        if (row->f[c].is_null) row->f[c] = pr->part_fill[k];
    }
    for (size_t c = 0; c < nc; c++)
        if (row->f[c].is_null && !rt->children[c].nullable) {
            fl_line_error(pr, row->line, rt->field_names[c], seen[c] ? "null is not allowed (NOT NULL)"
                                                                      : "missing, and the column is NOT NULL");
            return -1;
        }
    return 1;
}

/* Partition and bucket of a parsed row. @returns 1, -1 for a bad line (reported), or an exit
 * code + 100 for a failed metadata call. */
static int fl_route_row(fl_producer_t *pr, fl_arena_t *a, fl_prow_t *row) {
    const fl_ltable_t *t = &pr->t;
    row->pid = -1;
    row->pname = NULL;
    if (t->n_pkey) {
        fl_buf_t b;
        fl_buf_init(&b);
        for (size_t k = 0; k < t->n_pkey; k++) {
            uint32_t c = t->pkey[k];
            if (k) fl_buf_put_u8(&b, '$');
            if (row->f[c].is_null) {
                fl_buf_free(&b);
                fl_line_error(pr, row->line, t->row_type.field_names[c], "a partition key must not be null");
                return -1;
            }
            if (fl_rows_partition_value(&t->row_type.children[c], &row->f[c], &b)) {
                fl_buf_free(&b);
                fl_line_error(pr, row->line, t->row_type.field_names[c],
                              "fl-admin cannot derive partition names from this type");
                return -1;
            }
        }
        row->pname = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
        fl_buf_free(&b);
        if (pr->only_part && strcmp(row->pname, pr->only_part)) {
            fl_line_error(pr, row->line, NULL,
                          fl_arena_sprintf(a, "the row belongs to partition '%s', not to --partition '%s'",
                                           row->pname, pr->only_part));
            return -1;
        }
        row->pid = fl_ltable_pid(t, row->pname);
        if (row->pid < 0) {
            fl_line_error(pr, row->line, NULL,
                          fl_arena_sprintf(a, "partition '%s' of %s does not exist (create it with "
                                              "'fl-admin partition create')", row->pname, t->path));
            return -1;
        }
    }
    int rc;
    fl_ppart_t *pp = fl_ppart(pr, row->pid, row->pname, &rc);
    if (!pp) return 100 + rc;
    row->pname = pp->pname;
    int32_t nb = pp->route.n;
    if (pr->fixed_bucket >= 0) {
        if (pr->fixed_bucket >= nb) {
            fl_line_error(pr, row->line, NULL,
                          fl_arena_sprintf(a, "--bucket %d is out of range: %s%s%s has %d buckets",
                                           pr->fixed_bucket, t->path, row->pname ? " partition " : "",
                                           row->pname ? row->pname : "", nb));
            return -1;
        }
        row->bucket = pr->fixed_bucket;
    } else if (t->n_bkey) {
        fl_buf_t key;
        fl_buf_init(&key);
        for (size_t k = 0; k < t->n_bkey; k++)
            if (row->f[t->bkey[k]].is_null) {
                fl_buf_free(&key);
                fl_line_error(pr, row->line, t->row_type.field_names[t->bkey[k]],
                              "a bucket key must not be null");
                return -1;
            }
        fl_err_t err = fl_keyenc_encode(t->keyenc, &t->row_type, row->f, t->bkey, t->n_bkey, &key);
        int32_t bucket = 0;
        if (!err) err = fl_bucket_of_key(t->bucket_fn, key.p, key.len, nb, &bucket);
        fl_buf_free(&key);
        if (err) {
            fl_line_error(pr, row->line, NULL, fl_arena_sprintf(a, "cannot hash the bucket key: %s", fl_err2str(err)));
            return -1;
        }
        row->bucket = bucket;
    } else {
        row->bucket = -1;
    }
    return 1;
}

/* One LogRecordBatch of a batch of input. */
typedef struct fl_pgroup_s {
    int64_t pid;
    const char *pname;
    int32_t bucket;
    fl_prow_t **rows;
    size_t n, cap;
    fl_buf_t records;     /* the batch, built */
    const char *leader;
    fl_pstate_t *st;
    bool sent;
} fl_pgroup_t;

static void fl_group_add(fl_arena_t *a, fl_pgroup_t *g, fl_prow_t *row) {
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        fl_prow_t **r = fl_arena_alloc(a, cap * sizeof(*r));
        if (g->n) memcpy(r, g->rows, g->n * sizeof(*r));
        g->rows = r;
        g->cap = cap;
    }
    g->rows[g->n++] = row;
}

static void fl_buf_free_cb(void *arg) {
    fl_buf_free(arg);
}

/* Encode the group's rows as one batch body. @returns false with the bad row reported. */
static bool fl_group_encode(fl_producer_t *pr, fl_arena_t *a, fl_pgroup_t *g, fl_buf_t *body) {
    const fl_ltable_t *t = &pr->t;
    if (t->fmt == FL_LOGFMT_ARROW) {
        const fl_datum_t **rows = fl_arena_alloc(a, (g->n + 1) * sizeof(*rows));
        for (size_t i = 0; i < g->n; i++) rows[i] = g->rows[i]->f;
        fl_err_t err = fl_arrow_encode(&t->row_type, rows, g->n, t->codec, t->zstd_level, body);
        if (!err) return true;
        /* find the row that does not fit */
        for (size_t i = 0; i < g->n; i++) {
            fl_buf_t one;
            fl_buf_init(&one);
            fl_err_t e1 = fl_arrow_encode(&t->row_type, &rows[i], 1, FL_ARROW_CODEC_NONE, 0, &one);
            fl_buf_free(&one);
            if (e1) {
                fl_line_error(pr, g->rows[i]->line, NULL,
                              fl_arena_sprintf(a, "the row cannot be encoded as Arrow: %s", fl_err2str(e1)));
                return false;
            }
        }
        fl_line_error(pr, g->rows[0]->line, NULL,
                      fl_arena_sprintf(a, "the batch cannot be encoded as Arrow: %s", fl_err2str(err)));
        return false;
    }
    fl_row_format_t rf = t->fmt == FL_LOGFMT_INDEXED ? FL_ROW_INDEXED : FL_ROW_COMPACTED;
    for (size_t i = 0; i < g->n; i++) {
        fl_err_t err = fl_logrecord_write_row(body, rf, FL_CHANGE_APPEND_ONLY, &t->row_type, g->rows[i]->f);
        if (err) {
            fl_line_error(pr, g->rows[i]->line, NULL,
                          fl_arena_sprintf(a, "the row cannot be encoded as %s: a value does not fit its "
                                              "type (%s)", rf == FL_ROW_INDEXED ? "INDEXED" : "COMPACTED",
                                           fl_err2str(err)));
            return false;
        }
    }
    return true;
}

/* Send every group (one ProduceLog per leader). @returns an exit code. */
static int fl_send_groups(fl_producer_t *pr, fl_arena_t *a, fl_pgroup_t *gs, size_t ng) {
    for (size_t i = 0; i < ng; i++) {
        if (gs[i].sent) continue;
        const char *leader = gs[i].leader;
        Fluss__ProduceLogRequest req = FLUSS__PRODUCE_LOG_REQUEST__INIT;
        req.acks = pr->acks;
        req.table_id = pr->t.table_id;
        req.timeout_ms = pr->ctx->timeout_ms;
        req.buckets_req = fl_arena_alloc(a, ng * sizeof(void *));
        fl_pgroup_t **idx = fl_arena_alloc(a, ng * sizeof(*idx));
        for (size_t j = i; j < ng; j++) {
            if (gs[j].sent || strcmp(gs[j].leader, leader)) continue;
            Fluss__PbProduceLogReqForBucket *b = fl_arena_alloc(a, sizeof(*b));
            fluss__pb_produce_log_req_for_bucket__init(b);
            b->has_partition_id = gs[j].pid >= 0;
            b->partition_id = gs[j].pid;
            b->bucket_id = gs[j].bucket;
            b->records.data = gs[j].records.p;
            b->records.len = gs[j].records.len;
            idx[req.n_buckets_req] = &gs[j];
            req.buckets_req[req.n_buckets_req++] = b;
            gs[j].sent = true;
        }
        fl_err_t err;
        fl_client_t *cl = fl_pool_get(pr->ctx, &pr->pool, leader, &err);
        Fluss__ProduceLogResponse *resp = NULL;
        if (!err) err = fl_client_call(cl, FL_API_PRODUCE_LOG, &req.base, FL_RESP(produce_log), a,
                                       (ProtobufCMessage **)&resp);
        if (err) return fl_report_cl(cl, err);
        for (size_t k = 0; k < req.n_buckets_req; k++) {
            fl_pgroup_t *g = idx[k];
            const Fluss__PbProduceLogRespForBucket *br = NULL;
            for (size_t m = 0; m < resp->n_buckets_resp; m++) {
                const Fluss__PbProduceLogRespForBucket *x = resp->buckets_resp[m];
                if (x->bucket_id == g->bucket && (!x->has_partition_id || x->partition_id == g->pid))
                    br = x;
            }
            if (!br) {
                fprintf(stderr, "error: %s did not answer for bucket %d of %s\n", leader, g->bucket, pr->t.path);
                return FL_EXIT_CONNECT;
            }
            if (br->has_error_code && br->error_code != FL_ERR_NONE &&
                br->error_code != FL_ERR_DUPLICATE_SEQUENCE_EXCEPTION)
                return fl_bucket_error(pr->t.path, g->pname, g->bucket, br->error_code, br->error_message);
            fl_pstate_t *st = g->st;
            st->rows += (int64_t)g->n;
            pr->rows += (int64_t)g->n;
            pr->batches++;
            if (br->has_base_offset) {
                int64_t last = br->base_offset + (int64_t)g->n - 1;
                if (st->first_offset < 0 || br->base_offset < st->first_offset) st->first_offset = br->base_offset;
                if (last > st->last_offset) st->last_offset = last;
            }
        }
    }
    return FL_EXIT_OK;
}

/* Read, check, route, encode and send one batch of input. *eof is set at the end of input.
 * @returns an exit code. */
static int fl_produce_batch(fl_producer_t *pr, bool *eof) {
    fl_arena_t *a = fl_arena_new(0);
    fl_prow_t *rows = fl_arena_alloc(a, (size_t)pr->batch_rows * sizeof(*rows));
    size_t n = 0;
    int rc = FL_EXIT_OK;
    bool bad = false;
    long first_line = 0;
    for (int64_t lines = 0; lines < pr->batch_rows; lines++) {
        int r = fl_read_row(pr, a, &rows[n]);
        if (r == 0) {
            *eof = true;
            break;
        }
        if (r == -2) {
            rc = FL_EXIT_USAGE;
            goto out;
        }
        if (!first_line) first_line = rows[n].line;
        if (r < 0) {
            bad = true;
            continue;
        }
        r = fl_route_row(pr, a, &rows[n]);
        if (r >= 100) {
            rc = r - 100;
            goto out;
        }
        if (r < 0) {
            bad = true;
            continue;
        }
        n++;
    }
    if (bad) {
        rc = FL_EXIT_USAGE;
        goto out;
    }
    if (n == 0) goto out;
    /* group by (partition, bucket); keyless rows take the partition's next bucket */
    fl_pgroup_t *gs = fl_arena_calloc(a, (n + 1) * sizeof(*gs));
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        fl_prow_t *row = &rows[i];
        int prc;
        fl_ppart_t *pp = fl_ppart(pr, row->pid, row->pname, &prc);
        if (!pp) {
            rc = prc;
            goto out;
        }
        size_t g = 0;
        while (g < ng && !(gs[g].pid == row->pid && (row->bucket < 0 || gs[g].bucket == row->bucket)))
            g++;
        if (g == ng) {
            gs[ng].pid = row->pid;
            gs[ng].pname = pp->pname;
            gs[ng].bucket = row->bucket >= 0 ? row->bucket : (int32_t)(pp->rr++ % (uint32_t)pp->route.n);
            gs[ng].leader = pp->route.leader[gs[ng].bucket];
            ng++;
        }
        fl_group_add(a, &gs[g], row);
    }
    for (size_t g = 0; g < ng; g++) {
        if (!gs[g].leader) {
            rc = fl_bucket_error(pr->t.path, gs[g].pname, gs[g].bucket, FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION,
                                 "the bucket has no leader");
            goto out;
        }
    }
    /* encode all before sending any */
    for (size_t g = 0; g < ng; g++) {
        fl_buf_t body;
        fl_buf_init(&body);
        if (!fl_group_encode(pr, a, &gs[g], &body)) {
            fl_buf_free(&body);
            rc = FL_EXIT_USAGE;
            goto out;
        }
        char *copy = fl_arena_alloc(a, body.len + 1);
        memcpy(copy, body.p, body.len);
        size_t blen = body.len;
        fl_buf_free(&body);
        gs[g].st = fl_pstate(pr, gs[g].pid, gs[g].pname, gs[g].bucket);
        fl_logbatch_build_t opt;
        fl_logbatch_build_defaults(&opt);
        opt.magic = 0;
        opt.schema_id = (int16_t)pr->t.schema_id;
        opt.attributes = FL_LOGBATCH_ATTR_APPEND_ONLY;
        opt.record_count = (int32_t)gs[g].n;
        opt.writer_id = pr->writer_id;
        opt.batch_sequence = gs[g].st->next_seq++;
        fl_buf_init(&gs[g].records);
        fl_logbatch_build(&gs[g].records, &opt, copy, blen);
        fl_arena_cleanup_add(a, fl_buf_free_cb, &gs[g].records);
    }
    rc = fl_send_groups(pr, a, gs, ng);
out:
    if (bad || (rc == FL_EXIT_USAGE && pr->n_errors)) {
        if (pr->n_errors > FL_PRODUCE_MAX_LINE_ERRORS)
            fprintf(stderr, "error: ... and %d more bad lines\n", pr->n_errors - FL_PRODUCE_MAX_LINE_ERRORS);
        fprintf(stderr, "error: nothing of the batch starting on line %ld was written\n", first_line);
    }
    fl_arena_destroy(a);
    return rc;
}

static int fl_pstate_cmp(const void *x, const void *y) {
    const fl_pstate_t *a = x, *b = y;
    if (a->pname && b->pname && strcmp(a->pname, b->pname)) return strcmp(a->pname, b->pname);
    return a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
}

static void fl_produce_summary(fl_producer_t *pr) {
    fl_ctx_t *ctx = pr->ctx;
    if (pr->n_st) qsort(pr->st, pr->n_st, sizeof(*pr->st), fl_pstate_cmp);
    bool part = pr->t.n_pkey > 0;
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "table", json_string(pr->t.path));
        json_object_set_new(o, "rows", json_integer(pr->rows));
        json_object_set_new(o, "batches", json_integer(pr->batches));
        json_t *arr = json_array();
        for (size_t i = 0; i < pr->n_st; i++) {
            const fl_pstate_t *s = &pr->st[i];
            if (!s->rows) continue;
            json_t *b = json_object();
            if (part) json_object_set_new(b, "partition", json_string(s->pname));
            json_object_set_new(b, "bucket", json_integer(s->bucket));
            json_object_set_new(b, "rows", json_integer(s->rows));
            json_object_set_new(b, "first_offset", s->first_offset >= 0 ? json_integer(s->first_offset) : json_null());
            json_object_set_new(b, "last_offset", s->last_offset >= 0 ? json_integer(s->last_offset) : json_null());
            json_array_append_new(arr, b);
        }
        json_object_set_new(o, "buckets", arr);
        fl_json_print(o);
        return;
    }
    printf("Wrote %" PRId64 " row%s to %s in %" PRId64 " batch%s.\n", pr->rows, pr->rows == 1 ? "" : "s",
           pr->t.path, pr->batches, pr->batches == 1 ? "" : "es");
    if (!pr->rows) return;
    fl_grid_t g;
    if (part)
        fl_grid_init(&g, ctx->arena, 5, (const char *[]){"PARTITION", "BUCKET", "ROWS", "FIRST OFFSET", "LAST OFFSET"});
    else
        fl_grid_init(&g, ctx->arena, 4, (const char *[]){"BUCKET", "ROWS", "FIRST OFFSET", "LAST OFFSET"});
    for (size_t i = 0; i < pr->n_st; i++) {
        const fl_pstate_t *s = &pr->st[i];
        if (!s->rows) continue;
        const char *b = fl_arena_sprintf(ctx->arena, "%d", s->bucket);
        const char *r = fl_arena_sprintf(ctx->arena, "%" PRId64, s->rows);
        const char *f = s->first_offset >= 0 ? fl_arena_sprintf(ctx->arena, "%" PRId64, s->first_offset) : "-";
        const char *l = s->last_offset >= 0 ? fl_arena_sprintf(ctx->arena, "%" PRId64, s->last_offset) : "-";
        if (part) FL_GRID_ROW(&g, s->pname, b, r, f, l);
        else FL_GRID_ROW(&g, b, r, f, l);
    }
    fl_grid_print(&g, "", NULL);
}

/* CSV header (or column order) -> pr->csv_cols. @returns an exit code. */
static int fl_csv_header(fl_producer_t *pr) {
    const fl_type_t *rt = &pr->t.row_type;
    fl_ctx_t *ctx = pr->ctx;
    if (!pr->header) {
        pr->csv_n = rt->n_children;
        pr->csv_cols = fl_arena_alloc(ctx->arena, (pr->csv_n + 1) * sizeof(int));
        for (size_t i = 0; i < pr->csv_n; i++) pr->csv_cols[i] = (int)i;
        return FL_EXIT_OK;
    }
    fl_csv_cell_t *cells;
    size_t n;
    long start;
    const char *why = NULL;
    int rc = fl_csv_read(pr->in, ctx->arena, &pr->line, &start, &cells, &n, &why);
    if (rc == 0) return FL_EXIT_OK; /* empty input: nothing to write */
    if (rc < 0) {
        fprintf(stderr, "error: line %ld: %s\n", start, why);
        return FL_EXIT_USAGE;
    }
    pr->csv_n = n;
    pr->csv_cols = fl_arena_alloc(ctx->arena, (n + 1) * sizeof(int));
    for (size_t i = 0; i < n; i++) {
        int c = fl_col_index(&pr->t, cells[i].s);
        if (c < 0) {
            fprintf(stderr, "error: line %ld: the header names '%s', which is not a column of %s "
                            "(use --no-header for input without a header line)\n", start, cells[i].s, pr->t.path);
            return FL_EXIT_USAGE;
        }
        for (size_t k = 0; k < i; k++)
            if (pr->csv_cols[k] == c) {
                fprintf(stderr, "error: line %ld: the header names column '%s' twice\n", start, cells[i].s);
                return FL_EXIT_USAGE;
            }
        pr->csv_cols[i] = c;
    }
    return FL_EXIT_OK;
}

int fl_cmd_table_produce(fl_ctx_t *ctx) {
    fl_producer_t pr;
    memset(&pr, 0, sizeof(pr));
    pr.ctx = ctx;
    pr.in = stdin;
    pr.fixed_bucket = -1;
    const char *fmt = fl_opt(ctx, "format");
    if (!fmt || !strcmp(fmt, "jsonl") || !strcmp(fmt, "json")) pr.csv = false;
    else if (!strcmp(fmt, "csv")) pr.csv = true;
    else return fl_usage(ctx, "--format must be jsonl or csv, not '%s'", fmt);
    pr.header = !fl_flag(ctx, "no-header");
    if (!pr.csv && !pr.header) return fl_usage(ctx, "--no-header is for --format csv");
    const char *acks = fl_opt(ctx, "acks");
    if (!acks || !strcmp(acks, "all") || !strcmp(acks, "-1")) pr.acks = -1;
    else if (!strcmp(acks, "1")) pr.acks = 1;
    else if (!strcmp(acks, "0")) pr.acks = 0;
    else return fl_usage(ctx, "--acks must be all, 1 or 0, not '%s'", acks);
    pr.batch_rows = FL_PRODUCE_DEFAULT_BATCH_ROWS;
    const char *br = fl_opt(ctx, "batch-rows");
    if (br && !fl_parse_count(br, 1, FL_PRODUCE_MAX_BATCH_ROWS, &pr.batch_rows))
        return fl_usage(ctx, "--batch-rows must be a number in [1, %d], not '%s'", FL_PRODUCE_MAX_BATCH_ROWS, br);
    const char *bk = fl_opt(ctx, "bucket");
    int64_t v;
    if (bk) {
        if (!fl_parse_count(bk, 0, INT32_MAX, &v)) return fl_usage(ctx, "--bucket must be a bucket number, not '%s'", bk);
        pr.fixed_bucket = (int32_t)v;
    }
    int rc = fl_binary_opt(ctx, &pr.ro);
    if (rc) return rc;
    pr.only_part = fl_opt(ctx, "partition");

    if ((rc = fl_ltable_load(ctx, ctx->pos[0], &pr.t))) return rc;
    fl_ltable_t *t = &pr.t;
    if (t->desc.schema.has_primary_key)
        return fl_usage(ctx, "%s is a primary-key table; produce writes log tables (primary-key tables "
                             "take upserts)", t->path);
    if (pr.fixed_bucket >= 0 && t->n_bkey)
        return fl_usage(ctx, "--bucket cannot be used with %s: it has a bucket key, so each row goes to "
                             "the bucket of its key", t->path);
    if (pr.fixed_bucket >= 0 && t->n_buckets > 0 && pr.fixed_bucket >= t->n_buckets)
        return fl_usage(ctx, "--bucket %d is out of range: %s has %d bucket%s", pr.fixed_bucket, t->path,
                        t->n_buckets, t->n_buckets == 1 ? "" : "s");
    if (pr.only_part) {
        if (!t->n_pkey) return fl_usage(ctx, "%s is not partitioned; drop --partition", t->path);
        if (fl_ltable_pid(t, pr.only_part) < 0) {
            fprintf(stderr, "error: %s (%d): partition '%s' of %s does not exist\n",
                    fl_err2name(FL_ERR_PARTITION_NOT_EXISTS), FL_ERR_PARTITION_NOT_EXISTS, pr.only_part, t->path);
            return FL_EXIT_SERVER;
        }
        /* the partition's values, to fill partition columns the input leaves out */
        pr.part_fill = fl_arena_calloc(ctx->arena, (t->n_pkey + 1) * sizeof(fl_datum_t));
        const char *p = pr.only_part;
        for (size_t k = 0; k < t->n_pkey; k++) {
            const char *e = strchr(p, '$');
            size_t len = e && k + 1 < t->n_pkey ? (size_t)(e - p) : strlen(p);
            const char *why = NULL;
            uint32_t c = t->pkey[k];
            if (fl_rows_from_text(ctx->arena, &t->row_type.children[c], p, len, &pr.ro, &pr.part_fill[k], &why))
                pr.part_fill[k].is_null = true; /* rows must then give the value themselves */
            p += len + (e ? 1 : 0);
        }
    }
    srand((unsigned)(fl_mono_us() ^ (int64_t)getpid()));

    /* a writer id from a tablet server (InitWriter is a tablet-server API) */
    Fluss__MetadataRequest mreq = FLUSS__METADATA_REQUEST__INIT;
    Fluss__MetadataResponse *m;
    fl_err_t err = fl_call(ctx, FL_API_GET_METADATA, &mreq.base, FL_RESP(metadata), &m);
    if (err) return fl_report(ctx, err);
    if (!m->n_tablet_servers) {
        fprintf(stderr, "error: the cluster at %s has no live tablet server\n", ctx->bootstrap);
        return FL_EXIT_SERVER;
    }
    const char *ts = fl_arena_sprintf(ctx->arena, "%s:%d", m->tablet_servers[0]->host, m->tablet_servers[0]->port);
    Fluss__InitWriterRequest wreq = FLUSS__INIT_WRITER_REQUEST__INIT;
    Fluss__PbTablePath *tpp = fl_pb_path(ctx->arena, t->db, t->name);
    wreq.n_table_path = 1;
    wreq.table_path = &tpp;
    Fluss__InitWriterResponse *wr = NULL;
    fl_client_t *wcl = fl_pool_get(ctx, &pr.pool, ts, &err);
    if (!err) err = fl_client_call(wcl, FL_API_INIT_WRITER, &wreq.base, FL_RESP(init_writer), ctx->arena,
                                   (ProtobufCMessage **)&wr);
    if (err) {
        rc = fl_report_cl(wcl, err);
        goto out;
    }
    pr.writer_id = wr->writer_id;

    if (pr.csv && (rc = fl_csv_header(&pr))) goto out;
    bool eof = false;
    while (!eof && !rc) rc = fl_produce_batch(&pr, &eof);
    fl_produce_summary(&pr);
out:
    free(pr.lbuf);
    fl_free(pr.parts);
    fl_free(pr.st);
    fl_pool_close(&pr.pool);
    return rc;
}

const fl_optdef_t fl_opts_table_produce[] = {
    {"format", "jsonl|csv", false,
     "input format (default jsonl: a JSON object by column name, or an array in column order, per line)"},
    {"no-header", NULL, false, "CSV input has no header line: cells are in column order"},
    {"bucket", "N", false, "write every row to bucket N (tables without a bucket key)"},
    {"partition", "NAME", false,
     "write to this partition only (rows of others are refused); fills partition columns left out"},
    {"acks", "all|1|0", false, "acknowledgement to wait for (default all)"},
    {"batch-rows", "N", false, "input rows per batch; a batch is checked whole before it is sent (default 1000)"},
    {"binary", "base64|hex", false, "how BINARY and BYTES values are written (default base64)"},
    {NULL},
};

/* ==================================== scan ================================================= */

typedef enum fl_sfmt_e { FL_SFMT_TABLE, FL_SFMT_JSONL, FL_SFMT_CSV } fl_sfmt_t;

typedef struct fl_sbucket_s {
    int64_t pid;
    const char *pname;
    int32_t bucket;
    const char *leader;
    int64_t offset;        /* next offset to fetch, or FL_FETCH_EARLIEST */
    int64_t hw;            /* -1 until known */
    bool done;
} fl_sbucket_t;

typedef struct fl_scanner_s {
    fl_ctx_t *ctx;
    fl_ltable_t t;
    fl_rowopts_t ro;
    fl_sfmt_t fmt;
    bool rows_only, follow;
    int64_t limit;         /* -1: none */
    int64_t printed;
    fl_sbucket_t *b;
    size_t nb;
    bool *sent;            /* per bucket, scratch of fl_scan_round */
    fl_pool_t pool;
    bool header_done;
    fl_grid_t grid;        /* FL_SFMT_TABLE: rows of the current response */
    fl_arena_t *ga;        /* the grid's arena */
} fl_scanner_t;

/* Offsets from ListOffsets (type 1 latest, 2 by timestamp) for every bucket. */
static int fl_scan_list_offsets(fl_scanner_t *sc, int32_t type, int64_t ts) {
    fl_ctx_t *ctx = sc->ctx;
    bool *done = fl_arena_calloc(ctx->arena, sc->nb + 1);
    for (size_t i = 0; i < sc->nb; i++) {
        if (done[i]) continue;
        Fluss__ListOffsetsRequest req = FLUSS__LIST_OFFSETS_REQUEST__INIT;
        req.follower_server_id = -1;
        req.offset_type = type;
        req.table_id = sc->t.table_id;
        req.has_partition_id = sc->b[i].pid >= 0;
        req.partition_id = sc->b[i].pid;
        req.has_starttimestamp = type == 2;
        req.starttimestamp = ts;
        req.bucket_id = fl_arena_alloc(ctx->arena, sc->nb * sizeof(int32_t));
        size_t *idx = fl_arena_alloc(ctx->arena, sc->nb * sizeof(size_t));
        for (size_t j = i; j < sc->nb; j++) {
            if (done[j] || sc->b[j].pid != sc->b[i].pid || strcmp(sc->b[j].leader, sc->b[i].leader)) continue;
            idx[req.n_bucket_id] = j;
            req.bucket_id[req.n_bucket_id++] = sc->b[j].bucket;
            done[j] = true;
        }
        fl_err_t err;
        fl_client_t *cl = fl_pool_get(ctx, &sc->pool, sc->b[i].leader, &err);
        Fluss__ListOffsetsResponse *r = NULL;
        if (!err) err = fl_client_call(cl, FL_API_LIST_OFFSETS, &req.base, FL_RESP(list_offsets), ctx->arena,
                                       (ProtobufCMessage **)&r);
        if (err) return fl_report_cl(cl, err);
        for (size_t k = 0; k < req.n_bucket_id; k++) {
            fl_sbucket_t *sb = &sc->b[idx[k]];
            const Fluss__PbListOffsetsRespForBucket *br = NULL;
            for (size_t m = 0; m < r->n_buckets_resp; m++)
                if (r->buckets_resp[m]->bucket_id == sb->bucket) br = r->buckets_resp[m];
            if (!br || (br->has_error_code && br->error_code) || !br->has_offset)
                return fl_bucket_error(sc->t.path, sb->pname, sb->bucket,
                                       br && br->has_error_code ? br->error_code : FL_ERR_UNKNOWN_SERVER_ERROR,
                                       br ? br->error_message : "no offset in the ListOffsets answer");
            sb->offset = br->offset;
        }
    }
    return FL_EXIT_OK;
}

static const char *fl_fmt_change(int ct) {
    return fl_change_type_str(ct);
}

/* Print one row in the chosen format. */
static void fl_scan_emit(fl_scanner_t *sc, const fl_sbucket_t *sb, int64_t offset, int64_t ts,
                         int change, const fl_datum_t *f) {
    const fl_type_t *rt = &sc->t.row_type;
    bool part = sc->t.n_pkey > 0;
    fl_buf_t b;
    fl_buf_init(&b);
    char tsbuf[64];
    fl_rows_fmt_millis(ts, tsbuf, sizeof(tsbuf));
    if (sc->fmt == FL_SFMT_JSONL) {
        if (!sc->rows_only) {
            fl_buf_put(&b, "{", 1);
            if (part) {
                fl_buf_put(&b, "\"partition\":", 12);
                fl_rows_json_str(&b, sb->pname, strlen(sb->pname));
                fl_buf_put_u8(&b, ',');
            }
            char meta[160];
            int n = snprintf(meta, sizeof(meta), "\"bucket\":%d,\"offset\":%" PRId64 ",\"timestamp\":%" PRId64
                             ",\"change\":\"%s\",\"row\":", sb->bucket, offset, ts, fl_fmt_change(change));
            fl_buf_put(&b, meta, (size_t)n);
        }
        fl_buf_put_u8(&b, '{');
        for (uint32_t c = 0; c < rt->n_children; c++) {
            if (c) fl_buf_put_u8(&b, ',');
            fl_rows_json_str(&b, rt->field_names[c], strlen(rt->field_names[c]));
            fl_buf_put_u8(&b, ':');
            fl_rows_json(&b, &rt->children[c], &f[c], &sc->ro);
        }
        fl_buf_put_u8(&b, '}');
        if (!sc->rows_only) fl_buf_put_u8(&b, '}');
        fl_buf_put_u8(&b, '\n');
        fwrite(b.p, 1, b.len, stdout);
    } else if (sc->fmt == FL_SFMT_CSV) {
        if (!sc->header_done) {
            sc->header_done = true;
            fl_buf_t h;
            fl_buf_init(&h);
            if (!sc->rows_only) {
                const char *meta = part ? "partition,bucket,offset,timestamp,change" : "bucket,offset,timestamp,change";
                fl_buf_put(&h, meta, strlen(meta));
            }
            for (uint32_t c = 0; c < rt->n_children; c++) {
                if (c || !sc->rows_only) fl_buf_put_u8(&h, ',');
                fl_rows_csv_cell(&h, rt->field_names[c], strlen(rt->field_names[c]));
            }
            fl_buf_put_u8(&h, '\n');
            fwrite(h.p, 1, h.len, stdout);
            fl_buf_free(&h);
        }
        if (!sc->rows_only) {
            if (part) {
                fl_rows_csv_cell(&b, sb->pname, strlen(sb->pname));
                fl_buf_put_u8(&b, ',');
            }
            char meta[160];
            int n = snprintf(meta, sizeof(meta), "%d,%" PRId64 ",%s,%s", sb->bucket, offset, tsbuf,
                             fl_fmt_change(change));
            fl_buf_put(&b, meta, (size_t)n);
        }
        fl_buf_t cell;
        fl_buf_init(&cell);
        for (uint32_t c = 0; c < rt->n_children; c++) {
            if (c || !sc->rows_only) fl_buf_put_u8(&b, ',');
            if (f[c].is_null) continue; /* an empty unquoted cell */
            fl_buf_reset(&cell);
            fl_rows_text(&cell, &rt->children[c], &f[c], &sc->ro);
            fl_rows_csv_cell(&b, (const char *)cell.p, cell.len);
        }
        fl_buf_free(&cell);
        fl_buf_put_u8(&b, '\n');
        fwrite(b.p, 1, b.len, stdout);
    } else {
        size_t nmeta = sc->rows_only ? 0 : part ? 5 : 4;
        size_t n = nmeta + rt->n_children;
        const char **cells = fl_arena_alloc(sc->ga, n * sizeof(char *));
        size_t k = 0;
        if (!sc->rows_only) {
            if (part) cells[k++] = fl_arena_strndup(sc->ga, sb->pname, strlen(sb->pname));
            cells[k++] = fl_arena_sprintf(sc->ga, "%d", sb->bucket);
            cells[k++] = fl_arena_sprintf(sc->ga, "%" PRId64, offset);
            cells[k++] = fl_arena_strndup(sc->ga, tsbuf, strlen(tsbuf));
            cells[k++] = fl_fmt_change(change);
        }
        for (uint32_t c = 0; c < rt->n_children; c++) {
            if (f[c].is_null) {
                cells[k++] = "NULL";
                continue;
            }
            fl_buf_reset(&b);
            fl_rows_text(&b, &rt->children[c], &f[c], &sc->ro);
            /* keep each row on one line */
            for (size_t i = 0; i < b.len; i++)
                if (b.p[i] == '\n' || b.p[i] == '\r' || b.p[i] == '\t') b.p[i] = ' ';
            cells[k++] = fl_arena_strndup(sc->ga, b.len ? (const char *)b.p : "", b.len);
        }
        fl_grid_row(&sc->grid, cells);
    }
    fl_buf_free(&b);
    sc->printed++;
}

static void fl_scan_grid_new(fl_scanner_t *sc) {
    const fl_type_t *rt = &sc->t.row_type;
    bool part = sc->t.n_pkey > 0;
    size_t nmeta = sc->rows_only ? 0 : part ? 5 : 4;
    size_t n = nmeta + rt->n_children;
    sc->ga = fl_arena_new(0);
    const char **h = fl_arena_alloc(sc->ga, n * sizeof(char *));
    size_t k = 0;
    if (!sc->rows_only) {
        if (part) h[k++] = "PARTITION";
        h[k++] = "BUCKET";
        h[k++] = "OFFSET";
        h[k++] = "TIMESTAMP";
        h[k++] = "CHANGE";
    }
    for (uint32_t c = 0; c < rt->n_children; c++) h[k++] = rt->field_names[c];
    fl_grid_init(&sc->grid, sc->ga, n, h);
}

/* Print the rows gathered for the table format: the header with the first rows, later chunks
 * without it (each chunk padded to its own widths). */
static void fl_scan_grid_flush(fl_scanner_t *sc) {
    if (sc->fmt != FL_SFMT_TABLE || !sc->ga || sc->grid.nrows < 2) return;
    const fl_grid_t *g = &sc->grid;
    if (!sc->header_done) {
        fl_grid_print(g, "", NULL);
        sc->header_done = true;
    } else {
        size_t *w = fl_arena_calloc(g->a, g->ncols * sizeof(size_t));
        for (size_t r = 0; r < g->nrows; r++)
            for (size_t c = 0; c < g->ncols; c++) w[c] = FL_MAX(w[c], strlen(g->cells[r * g->ncols + c]));
        for (size_t r = 1; r < g->nrows; r++) {
            const char **row = &g->cells[r * g->ncols];
            for (size_t c = 0; c < g->ncols; c++) {
                if (c + 1 == g->ncols) fputs(row[c], stdout);
                else printf("%-*s  ", (int)w[c], row[c]);
            }
            fputc('\n', stdout);
        }
    }
    fl_arena_destroy(sc->ga);
    sc->ga = NULL;
    fl_scan_grid_new(sc);
}

/* Decode and print the records of one bucket's answer. @returns an exit code. */
static int fl_scan_records(fl_scanner_t *sc, fl_sbucket_t *sb, const uint8_t *p, size_t len, fl_arena_t *a) {
    const fl_ltable_t *t = &sc->t;
    size_t off = 0;
    while (off < len && (sc->limit < 0 || sc->printed < sc->limit)) {
        fl_logbatch_t b;
        const char *why = NULL;
        fl_err_t err = fl_logbatch_validate(p + off, len - off, UINT32_MAX, &b, &why);
        if (err == FL_ERR__UNDERFLOW) break; /* a cut-off trailing batch: fetched again next round */
        int64_t at = sb->offset >= 0 ? sb->offset : -1;
        if (err) {
            fl_logbatch_t h;
            if (!fl_logbatch_parse_header(p + off, len - off, UINT32_MAX, &h, NULL)) {
                at = h.base_offset;
                if (why && !strcmp(why, "CRC mismatch"))
                    why = fl_arena_sprintf(a, "CRC mismatch (stored 0x%08x, computed 0x%08x)", h.crc,
                                           fl_logbatch_compute_crc(&h));
            }
            fprintf(stderr, "error: the batch at offset %" PRId64 " of %s%s%s bucket %d is corrupt: %s\n", at,
                    t->path, sb->pname ? " partition " : "", sb->pname ? sb->pname : "", sb->bucket,
                    why ? why : fl_err2str(err));
            return FL_EXIT_SERVER;
        }
        off += b.size;
        int64_t next = fl_logbatch_next_offset(&b);
        if (b.record_count == 0) {
            sb->offset = FL_MAX(sb->offset, next);
            continue;
        }
        if (b.schema_id != t->schema_id) {
            fprintf(stderr, "error: the batch at offset %" PRId64 " of %s bucket %d has schema id %d; fl-admin "
                            "reads only the table's current schema %d\n", b.base_offset, t->path, sb->bucket,
                    b.schema_id, t->schema_id);
            return FL_EXIT_SERVER;
        }
        const uint8_t *body = b.p + b.header_size;
        size_t blen = b.size - b.header_size;
        bool append_only = b.attributes & FL_LOGBATCH_ATTR_APPEND_ONLY;
        const char *bad = NULL;
        if (t->fmt == FL_LOGFMT_ARROW) {
            size_t nct = append_only ? 0 : (size_t)b.record_count;
            if (nct > blen) {
                bad = "the change-type vector is cut short";
            } else {
                fl_arrow_batch_t *ab = NULL;
                err = fl_arrow_decode(a, &t->row_type, b.record_count, body + nct, blen - nct, 0, &ab);
                if (err) bad = fl_arena_sprintf(a, "its Arrow data does not decode (%s)", fl_err2str(err));
                for (int64_t i = 0; !bad && i < ab->n_rows; i++) {
                    int64_t o = b.base_offset + i;
                    if (o < sb->offset) continue;
                    if (sc->limit >= 0 && sc->printed >= sc->limit) break;
                    fl_datum_t *row = fl_arena_alloc(a, (t->row_type.n_children + 1) * sizeof(fl_datum_t));
                    fl_arrow_row(ab, i, a, row);
                    fl_scan_emit(sc, sb, o, b.commit_timestamp, nct ? body[i] : FL_CHANGE_APPEND_ONLY, row);
                    sb->offset = o + 1;
                }
            }
        } else {
            fl_row_format_t rf = t->fmt == FL_LOGFMT_INDEXED ? FL_ROW_INDEXED : FL_ROW_COMPACTED;
            fl_logrecord_iter_t it;
            fl_logrecord_iter_init(&it, body, blen, b.record_count);
            fl_logrecord_t rec;
            int64_t i = 0;
            while (fl_logrecord_next(&it, &rec)) {
                int64_t o = b.base_offset + i++;
                if (o < sb->offset) continue;
                if (sc->limit >= 0 && sc->printed >= sc->limit) break;
                fl_datum_t *row;
                err = fl_row_decode(rf, &t->row_type, rec.row.p, rec.row.len, a, &row);
                if (err) {
                    bad = fl_arena_sprintf(a, "record %" PRId64 " does not decode (%s)", i - 1, fl_err2str(err));
                    break;
                }
                fl_scan_emit(sc, sb, o, b.commit_timestamp, rec.change_type, row);
                sb->offset = o + 1;
            }
            if (!bad && it.rd.err) bad = fl_arena_sprintf(a, "its records are malformed (%s)", fl_err2str(it.rd.err));
        }
        if (bad) {
            fprintf(stderr, "error: the batch at offset %" PRId64 " of %s bucket %d passed its CRC check but %s\n",
                    b.base_offset, t->path, sb->bucket, bad);
            return FL_EXIT_SERVER;
        }
        if (sc->limit < 0 || sc->printed < sc->limit) sb->offset = FL_MAX(sb->offset, next);
    }
    return FL_EXIT_OK;
}

/* One FetchLog round to every leader. *progress says whether any offset moved. */
static int fl_scan_round(fl_scanner_t *sc, bool *progress) {
    fl_ctx_t *ctx = sc->ctx;
    bool *sent = sc->sent;
    memset(sent, 0, sc->nb + 1);
    *progress = false;
    for (size_t i = 0; i < sc->nb; i++) {
        if (sent[i] || sc->b[i].done) continue;
        if (sc->limit >= 0 && sc->printed >= sc->limit) break;
        const char *leader = sc->b[i].leader;
        fl_arena_t *a = fl_arena_new(0);
        Fluss__FetchLogRequest req = FLUSS__FETCH_LOG_REQUEST__INIT;
        req.follower_server_id = -1;
        req.max_bytes = FL_SCAN_MAX_BYTES;
        if (sc->follow) {
            req.has_max_wait_ms = 1;
            req.max_wait_ms = FL_SCAN_FOLLOW_WAIT_MS;
            req.has_min_bytes = 1;
            req.min_bytes = 1;
        }
        Fluss__PbFetchLogReqForTable tr = FLUSS__PB_FETCH_LOG_REQ_FOR_TABLE__INIT;
        Fluss__PbFetchLogReqForTable *trp = &tr;
        tr.table_id = sc->t.table_id;
        tr.projection_pushdown_enabled = 0;
        tr.buckets_req = fl_arena_alloc(a, sc->nb * sizeof(void *));
        size_t *idx = fl_arena_alloc(a, sc->nb * sizeof(size_t));
        for (size_t j = i; j < sc->nb; j++) {
            if (sent[j] || sc->b[j].done || strcmp(sc->b[j].leader, leader)) continue;
            Fluss__PbFetchLogReqForBucket *b = fl_arena_alloc(a, sizeof(*b));
            fluss__pb_fetch_log_req_for_bucket__init(b);
            b->has_partition_id = sc->b[j].pid >= 0;
            b->partition_id = sc->b[j].pid;
            b->bucket_id = sc->b[j].bucket;
            b->fetch_offset = sc->b[j].offset;
            b->max_fetch_bytes = FL_SCAN_BUCKET_BYTES;
            idx[tr.n_buckets_req] = j;
            tr.buckets_req[tr.n_buckets_req++] = b;
            sent[j] = true;
        }
        req.n_tables_req = 1;
        req.tables_req = &trp;
        fl_err_t err;
        fl_client_t *cl = fl_pool_get(ctx, &sc->pool, leader, &err);
        Fluss__FetchLogResponse *r = NULL;
        if (!err) err = fl_client_call(cl, FL_API_FETCH_LOG, &req.base, FL_RESP(fetch_log), a, (ProtobufCMessage **)&r);
        if (err) {
            fl_arena_destroy(a);
            return fl_report_cl(cl, err);
        }
        int rc = FL_EXIT_OK;
        for (size_t k = 0; k < tr.n_buckets_req && !rc; k++) {
            fl_sbucket_t *sb = &sc->b[idx[k]];
            const Fluss__PbFetchLogRespForBucket *br = NULL;
            for (size_t t = 0; t < r->n_tables_resp; t++) {
                if (r->tables_resp[t]->table_id != sc->t.table_id) continue;
                for (size_t m = 0; m < r->tables_resp[t]->n_buckets_resp; m++) {
                    const Fluss__PbFetchLogRespForBucket *x = r->tables_resp[t]->buckets_resp[m];
                    if (x->bucket_id == sb->bucket && (!x->has_partition_id || x->partition_id == sb->pid)) br = x;
                }
            }
            if (!br) {
                fprintf(stderr, "error: %s did not answer for bucket %d of %s\n", leader, sb->bucket, sc->t.path);
                rc = FL_EXIT_CONNECT;
                break;
            }
            if (br->has_error_code && br->error_code) {
                rc = fl_bucket_error(sc->t.path, sb->pname, sb->bucket, br->error_code, br->error_message);
                break;
            }
            int64_t before = sb->offset;
            if (br->has_high_watermark) sb->hw = br->high_watermark;
            if (br->has_records && br->records.len)
                rc = fl_scan_records(sc, sb, br->records.data, br->records.len, a);
            if (sb->offset != before) *progress = true;
            if (sb->offset == FL_FETCH_EARLIEST && (!br->has_records || !br->records.len)) {
                /* nothing at the log start: the bucket is empty up to the high watermark */
                if (br->has_log_start_offset && sb->hw >= 0 && br->log_start_offset >= sb->hw)
                    sb->offset = br->log_start_offset;
                if (!sc->follow) sb->done = true;
            }
            if (!sc->follow && sb->hw >= 0 && sb->offset >= sb->hw) sb->done = true;
        }
        fl_scan_grid_flush(sc);
        fflush(stdout);
        fl_arena_destroy(a);
        if (rc) return rc;
    }
    return FL_EXIT_OK;
}

int fl_cmd_table_scan(fl_ctx_t *ctx) {
    fl_scanner_t sc;
    memset(&sc, 0, sizeof(sc));
    sc.ctx = ctx;
    sc.limit = -1;
    const char *fmt = fl_opt(ctx, "format");
    if (!fmt) sc.fmt = ctx->json ? FL_SFMT_JSONL : FL_SFMT_TABLE;
    else if (!strcmp(fmt, "table")) sc.fmt = FL_SFMT_TABLE;
    else if (!strcmp(fmt, "jsonl") || !strcmp(fmt, "json")) sc.fmt = FL_SFMT_JSONL;
    else if (!strcmp(fmt, "csv")) sc.fmt = FL_SFMT_CSV;
    else return fl_usage(ctx, "--format must be table, jsonl or csv, not '%s'", fmt);
    sc.rows_only = fl_flag(ctx, "rows-only");
    sc.follow = fl_flag(ctx, "follow");
    int rc = fl_binary_opt(ctx, &sc.ro);
    if (rc) return rc;
    const char *lim = fl_opt(ctx, "limit");
    if (lim && !fl_parse_count(lim, 0, INT64_MAX, &sc.limit))
        return fl_usage(ctx, "--limit must be a number of rows, not '%s'", lim);
    int64_t want_bucket = -1;
    const char *bk = fl_opt(ctx, "bucket");
    if (bk && !fl_parse_count(bk, 0, INT32_MAX, &want_bucket))
        return fl_usage(ctx, "--bucket must be a bucket number, not '%s'", bk);
    const char *from = fl_opt(ctx, "from");
    int32_t otype = -1; /* -1 earliest, 1 latest, 2 timestamp */
    int64_t from_ts = 0;
    if (!from || !strcmp(from, "earliest")) {
        otype = -1;
    } else if (!strcmp(from, "latest")) {
        otype = 1;
    } else {
        otype = 2;
        char *end;
        errno = 0;
        long long v = strtoll(from, &end, 10);
        if (*from && !*end && !errno && v >= 0) from_ts = v;
        else if (!fl_rows_parse_instant(from, &from_ts))
            return fl_usage(ctx, "--from must be earliest, latest, epoch milliseconds or an ISO-8601 time "
                                 "(2024-01-02T03:04:05Z), not '%s'", from);
    }
    const char *only_part = fl_opt(ctx, "partition");
    if ((rc = fl_ltable_load(ctx, ctx->pos[0], &sc.t))) return rc;
    fl_ltable_t *t = &sc.t;
    if (only_part && !t->n_pkey) return fl_usage(ctx, "%s is not partitioned; drop --partition", t->path);

    /* the buckets to read, with their leaders */
    size_t nparts = t->n_pkey ? t->parts->n_partitions_info : 1;
    fl_route_t *routes = fl_arena_calloc(ctx->arena, (nparts + 1) * sizeof(*routes));
    size_t nr = 0;
    if (!t->n_pkey) {
        if ((rc = fl_route_load(ctx, t->db, t->name, t->path, t->table_id, t->n_buckets, -1, NULL,
                                &routes[nr++])))
            return rc;
    } else {
        bool found = false;
        for (size_t i = 0; i < nparts; i++) {
            const Fluss__PbPartitionInfo *pi = t->parts->partitions_info[i];
            const char *name = t->pnames[i];
            if (only_part && strcmp(name, only_part)) continue;
            found = true;
            if ((rc = fl_route_load(ctx, t->db, t->name, t->path, t->table_id, t->n_buckets,
                                    pi->partition_id, name, &routes[nr++])))
                return rc;
        }
        if (only_part && !found) {
            fprintf(stderr, "error: %s (%d): partition '%s' of %s does not exist\n",
                    fl_err2name(FL_ERR_PARTITION_NOT_EXISTS), FL_ERR_PARTITION_NOT_EXISTS, only_part, t->path);
            return FL_EXIT_SERVER;
        }
    }
    size_t cap = 0;
    for (size_t i = 0; i < nr; i++) cap += (size_t)routes[i].n;
    sc.b = fl_arena_calloc(ctx->arena, (cap + 1) * sizeof(*sc.b));
    for (size_t i = 0; i < nr; i++) {
        if (want_bucket >= routes[i].n) {
            return fl_usage(ctx, "--bucket %" PRId64 " is out of range: %s has %d bucket%s", want_bucket,
                            t->path, routes[i].n, routes[i].n == 1 ? "" : "s");
        }
        for (int32_t k = 0; k < routes[i].n; k++) {
            if (want_bucket >= 0 && k != want_bucket) continue;
            fl_sbucket_t *sb = &sc.b[sc.nb++];
            sb->pid = routes[i].pid;
            sb->pname = routes[i].pname;
            sb->bucket = k;
            sb->leader = routes[i].leader[k];
            sb->offset = FL_FETCH_EARLIEST;
            sb->hw = -1;
            if (!sb->leader)
                return fl_bucket_error(t->path, sb->pname, k, FL_ERR_LEADER_NOT_AVAILABLE_EXCEPTION,
                                       "the bucket has no leader");
        }
    }
    sc.sent = fl_arena_calloc(ctx->arena, sc.nb + 1);
    if (otype > 0 && (rc = fl_scan_list_offsets(&sc, otype, from_ts))) goto out;
    if (sc.fmt == FL_SFMT_TABLE) fl_scan_grid_new(&sc);
    for (;;) {
        if (sc.limit >= 0 && sc.printed >= sc.limit) break;
        bool any = false;
        for (size_t i = 0; i < sc.nb; i++) any = any || !sc.b[i].done;
        if (!any) break;
        bool progress;
        if ((rc = fl_scan_round(&sc, &progress))) break;
        if (!progress && !sc.follow) {
            /* nothing moved and nothing is left below the high watermark that we could read */
            for (size_t i = 0; i < sc.nb; i++) sc.b[i].done = true;
        }
    }
    if (sc.fmt == FL_SFMT_TABLE && sc.ga) {
        if (!sc.header_done) {
            fl_grid_print(&sc.grid, "", "(no rows)");
        }
        fl_arena_destroy(sc.ga);
        sc.ga = NULL;
    }
out:
    if (sc.ga) fl_arena_destroy(sc.ga);
    fl_pool_close(&sc.pool);
    return rc;
}

const fl_optdef_t fl_opts_table_scan[] = {
    {"from", "earliest|latest|TIME", false,
     "where to start: the log start (default), the end, or the first row at or after a time "
     "(epoch milliseconds or ISO-8601, e.g. 2024-01-02T03:04:05Z)"},
    {"limit", "N", false, "stop after N rows"},
    {"bucket", "N", false, "read only bucket N"},
    {"partition", "NAME", false, "read only this partition (NAME as 'partition list' shows it)"},
    {"format", "table|jsonl|csv", false, "output format (default table; jsonl with --json)"},
    {"rows-only", NULL, false, "print only the columns (no partition, bucket, offset, timestamp, change)"},
    {"follow", NULL, false, "keep waiting for new rows (until --limit or interrupted)"},
    {"binary", "base64|hex", false, "how BINARY and BYTES values are printed (default base64)"},
    {NULL},
};
