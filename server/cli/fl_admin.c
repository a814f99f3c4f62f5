/* fl_admin.c: fl-admin, the admin CLI. It speaks the Fluss wire protocol to one server (the
 * bootstrap server; in the local role it serves every API the CLI uses) through fl_client.
 *
 *   fl-admin [--bootstrap-server HOST:PORT] [--json] [--timeout SEC] NOUN VERB [ARGS] [OPTIONS]
 *
 * Commands are rows of fl_cmds[] (noun, verb, arguments, options, handler); adding a verb is
 * adding a row and a handler. Exit codes (docs/cli.md):
 *   0 success; 1 the server answered with an error ("error: NAME (code): message");
 *   2 usage error (bad command, option, argument or table spec); 3 cannot connect, the
 *   connection failed, or the server did not answer in time (the message names the address). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl_apis.h"
#include "fl_client.h"
#include "fl_tabledesc.h"
#include "fl_tablespec.h"
#include "fl_admin.h"

#define FL_ADMIN_VERSION "0.1.0"
#define FL_ADMIN_DEFAULT_SERVER "localhost:9123"
#define FL_ADMIN_DEFAULT_TIMEOUT_MS 30000
#define FL_ADMIN_DEFAULT_DB "fluss"
#define FL_ADMIN_MAX_SPEC_FILE (16 * 1024 * 1024)

/* ---- messages ----------------------------------------------------------------------------- */

int fl_usage(const fl_ctx_t *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (ctx && ctx->cmd)
        fprintf(stderr, "Run 'fl-admin %s %s --help' for its usage.\n", ctx->cmd->noun,
                ctx->cmd->verb);
    else if (ctx && ctx->noun)
        fprintf(stderr, "Run 'fl-admin %s --help' for its verbs.\n", ctx->noun);
    else
        fputs("Run 'fl-admin --help' for usage.\n", stderr);
    return FL_EXIT_USAGE;
}

/* Report a failed call: the server's error by name, code and message (exit 1), or what went
 * wrong talking to it (exit 3). */
int fl_report(fl_ctx_t *ctx, fl_err_t err) {
    const char *msg = fl_client_errmsg(&ctx->cl);
    if (fl_err_is_wire(err)) {
        fprintf(stderr, "error: %s (%d): %s\n", fl_err2name(err), (int)err,
                msg[0] ? msg : fl_err2str(err));
        return FL_EXIT_SERVER;
    }
    fprintf(stderr, "error: %s\n", msg[0] ? msg : fl_err2str(err));
    return FL_EXIT_CONNECT;
}

/* ---- option access ------------------------------------------------------------------------ */

const char *fl_opt(const fl_ctx_t *ctx, const char *name) {
    const char *v = NULL;
    for (int i = 0; i < ctx->n_opts; i++)
        if (!strcmp(ctx->opts[i].def->name, name)) v = ctx->opts[i].value ? ctx->opts[i].value : "";
    return v;
}

bool fl_flag(const fl_ctx_t *ctx, const char *name) {
    return fl_opt(ctx, name) != NULL;
}

/* Split "k=v" (first '='). @returns false when there is no '=' or the key is empty. */
static bool fl_split_kv(fl_arena_t *a, const char *s, const char **k, const char **v) {
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) return false;
    *k = fl_arena_strndup(a, s, (size_t)(eq - s));
    *v = eq + 1;
    return true;
}

/* A table path "db.table", or "table" in the default database. */
void fl_split_path(fl_arena_t *a, const char *s, const char **db, const char **table) {
    const char *dot = strchr(s, '.');
    if (!dot) {
        *db = FL_ADMIN_DEFAULT_DB;
        *table = s;
    } else {
        *db = fl_arena_strndup(a, s, (size_t)(dot - s));
        *table = dot + 1;
    }
}

/* A partition spec "k=v[,k=v]" into PbPartitionSpec. @returns NULL with *why on error. */
static Fluss__PbPartitionSpec *fl_parse_spec(fl_arena_t *a, const char *s, const char **why) {
    Fluss__PbPartitionSpec *ps = fl_arena_alloc(a, sizeof(*ps));
    fluss__pb_partition_spec__init(ps);
    size_t n = 1;
    for (const char *p = s; *p; p++) n += *p == ',';
    ps->partition_key_values = fl_arena_alloc(a, n * sizeof(void *));
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *item = fl_arena_strndup(a, p, len);
        const char *k, *v;
        if (!fl_split_kv(a, item, &k, &v)) {
            *why = fl_arena_sprintf(a, "'%s' in partition spec '%s' is not key=value", item, s);
            return NULL;
        }
        for (size_t i = 0; i < ps->n_partition_key_values; i++)
            if (!strcmp(ps->partition_key_values[i]->key, k)) {
                *why = fl_arena_sprintf(a, "partition key '%s' appears twice in '%s'", k, s);
                return NULL;
            }
        Fluss__PbKeyValue *kv = fl_arena_alloc(a, sizeof(*kv));
        fluss__pb_key_value__init(kv);
        kv->key = (char *)k;
        kv->value = (char *)v;
        ps->partition_key_values[ps->n_partition_key_values++] = kv;
        if (!comma) break;
        p = comma + 1;
    }
    return ps;
}

/* ---- server calls ------------------------------------------------------------------------- */

fl_err_t fl_call(fl_ctx_t *ctx, int16_t key, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *desc, void *resp) {
    if (!ctx->connected) {
        fl_err_t err = fl_client_open(&ctx->cl, ctx->bootstrap, ctx->timeout_ms);
        ctx->connected = true; /* opened once: a failed open is not retried by later calls */
        if (err) return err;
    }
    return fl_client_call(&ctx->cl, key, req, desc, ctx->arena, (ProtobufCMessage **)resp);
}

Fluss__PbTablePath *fl_pb_path(fl_arena_t *a, const char *db, const char *table) {
    Fluss__PbTablePath *tp = fl_arena_alloc(a, sizeof(*tp));
    fluss__pb_table_path__init(tp);
    tp->database_name = (char *)db;
    tp->table_name = (char *)table;
    return tp;
}

static fl_err_t fl_database_exists(fl_ctx_t *ctx, const char *db, bool *exists) {
    Fluss__DatabaseExistsRequest req = FLUSS__DATABASE_EXISTS_REQUEST__INIT;
    req.database_name = (char *)db;
    Fluss__DatabaseExistsResponse *r;
    fl_err_t err = fl_call(ctx, FL_API_DATABASE_EXISTS, &req.base,
                           FL_RESP(database_exists), &r);
    if (!err) *exists = r->exists;
    return err;
}

static fl_err_t fl_table_exists(fl_ctx_t *ctx, const char *db, const char *table, bool *exists) {
    Fluss__TableExistsRequest req = FLUSS__TABLE_EXISTS_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, db, table);
    Fluss__TableExistsResponse *r;
    fl_err_t err = fl_call(ctx, FL_API_TABLE_EXISTS, &req.base,
                           FL_RESP(table_exists), &r);
    if (!err) *exists = r->exists;
    return err;
}

fl_err_t fl_list_partitions(fl_ctx_t *ctx, const char *db, const char *table,
                                   Fluss__PbPartitionSpec *filter,
                                   Fluss__ListPartitionInfosResponse **out) {
    Fluss__ListPartitionInfosRequest req = FLUSS__LIST_PARTITION_INFOS_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, db, table);
    req.partial_partition_spec = filter;
    return fl_call(ctx, FL_API_LIST_PARTITION_INFOS, &req.base,
                   FL_RESP(list_partition_infos), out);
}

/* ---- output ------------------------------------------------------------------------------- */

void fl_json_print(json_t *root) {
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

static json_t *fl_json_str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

static json_t *fl_json_strs(const fl_strs_t *s) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++) json_array_append_new(a, json_string(s->items[i]));
    return a;
}

static json_t *fl_json_kvs(const fl_kvs_t *kvs) {
    json_t *o = json_object();
    for (size_t i = 0; i < kvs->n; i++)
        json_object_set_new(o, kvs->items[i].key, json_string(kvs->items[i].value));
    return o;
}

static const char *fl_fmt_time(fl_arena_t *a, int64_t ms) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&t, &tm)) return "-";
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return fl_arena_strndup(a, buf, strlen(buf));
}

static const char *fl_fmt_strs(fl_arena_t *a, const fl_strs_t *s, const char *none) {
    if (!s->n) return none;
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < s->n; i++) {
        if (i) fl_buf_put(&b, ", ", 2);
        fl_buf_put(&b, s->items[i], strlen(s->items[i]));
    }
    const char *r = fl_arena_strndup(a, (const char *)b.p, b.len);
    fl_buf_free(&b);
    return r;
}

void fl_grid_row(fl_grid_t *g, const char *const *vals) {
    if (g->nrows == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        const char **c = fl_arena_alloc(g->a, cap * g->ncols * sizeof(char *));
        if (g->nrows) memcpy(c, g->cells, g->nrows * g->ncols * sizeof(char *));
        g->cells = c;
        g->cap = cap;
    }
    for (size_t i = 0; i < g->ncols; i++)
        g->cells[g->nrows * g->ncols + i] = vals[i] ? vals[i] : "";
    g->nrows++;
}

void fl_grid_init(fl_grid_t *g, fl_arena_t *a, size_t ncols, const char *const *header) {
    memset(g, 0, sizeof(*g));
    g->a = a;
    g->ncols = ncols;
    fl_grid_row(g, header);
}

void fl_grid_print(const fl_grid_t *g, const char *indent, const char *empty) {
    size_t *w = fl_arena_calloc(g->a, g->ncols * sizeof(size_t));
    for (size_t r = 0; r < g->nrows; r++)
        for (size_t c = 0; c < g->ncols; c++)
            w[c] = FL_MAX(w[c], strlen(g->cells[r * g->ncols + c]));
    for (size_t r = 0; r < g->nrows; r++) {
        const char **row = &g->cells[r * g->ncols];
        size_t last = g->ncols; /* no padding after the last non-empty cell */
        while (last > 1 && !row[last - 1][0]) last--;
        fputs(indent, stdout);
        for (size_t c = 0; c < last; c++) {
            if (c + 1 == last) fputs(row[c], stdout);
            else printf("%-*s  ", (int)w[c], row[c]);
        }
        fputc('\n', stdout);
    }
    if (g->nrows == 1 && empty) printf("%s%s\n", indent, empty);
}

static const char *fl_i64s(fl_arena_t *a, int64_t v) {
    return fl_arena_sprintf(a, "%lld", (long long)v);
}

/* Prints "Label:" padded to a column, then the value. */
static void fl_field(const char *label, const char *value) {
    printf("%-18s%s\n", label, value ? value : "-");
}

static void fl_print_kvs(const char *label, const fl_kvs_t *kvs) {
    printf("%s\n", label);
    if (!kvs->n) printf("  (none)\n");
    size_t w = 0;
    for (size_t i = 0; i < kvs->n; i++) w = FL_MAX(w, strlen(kvs->items[i].key));
    for (size_t i = 0; i < kvs->n; i++)
        printf("  %-*s = %s\n", (int)w, kvs->items[i].key, kvs->items[i].value);
}

/* A simple "did it" answer for create/drop/alter. */
static int fl_done(fl_ctx_t *ctx, const char *kind, const char *name, const char *verb_key,
                   bool did, const char *text) {
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, kind, json_string(name));
        json_object_set_new(o, verb_key, json_boolean(did));
        fl_json_print(o);
    } else {
        printf("%s\n", text);
    }
    return FL_EXIT_OK;
}

/* ---- cluster ------------------------------------------------------------------------------ */

static int fl_cmd_cluster_nodes(fl_ctx_t *ctx) {
    Fluss__MetadataRequest req = FLUSS__METADATA_REQUEST__INIT;
    Fluss__MetadataResponse *r;
    fl_err_t err = fl_call(ctx, FL_API_GET_METADATA, &req.base, FL_RESP(metadata), &r);
    if (err) return fl_report(ctx, err);
    size_t n = r->n_tablet_servers + (r->coordinator_server ? 1 : 0);
    const Fluss__PbServerNode **nodes = fl_arena_alloc(ctx->arena, (n + 1) * sizeof(void *));
    const char **roles = fl_arena_alloc(ctx->arena, (n + 1) * sizeof(char *));
    size_t k = 0;
    if (r->coordinator_server) {
        nodes[k] = r->coordinator_server;
        roles[k++] = "coordinator";
    }
    for (size_t i = 0; i < r->n_tablet_servers; i++) {
        nodes[k] = r->tablet_servers[i];
        roles[k++] = "tablet-server";
    }
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < k; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(nodes[i]->node_id));
            json_object_set_new(o, "role", json_string(roles[i]));
            json_object_set_new(o, "host", json_string(nodes[i]->host));
            json_object_set_new(o, "port", json_integer(nodes[i]->port));
            json_object_set_new(o, "rack", fl_json_str_or_null(nodes[i]->rack));
            json_array_append_new(arr, o);
        }
        json_t *root = json_object();
        json_object_set_new(root, "nodes", arr);
        fl_json_print(root);
        return FL_EXIT_OK;
    }
    fl_grid_t g;
    fl_grid_init(&g, ctx->arena, 5, (const char *[]){"ID", "ROLE", "HOST", "PORT", "RACK"});
    for (size_t i = 0; i < k; i++)
        FL_GRID_ROW(&g, fl_i64s(ctx->arena, nodes[i]->node_id), roles[i], nodes[i]->host,
                    fl_i64s(ctx->arena, nodes[i]->port), nodes[i]->rack ? nodes[i]->rack : "-");
    fl_grid_print(&g, "", "(no nodes)");
    return FL_EXIT_OK;
}

/* ---- databases ---------------------------------------------------------------------------- */

static int fl_cmd_db_create(fl_ctx_t *ctx) {
    const char *name = ctx->pos[0];
    bool ine = fl_flag(ctx, "if-not-exists");
    fl_db_desc_t desc = {0};
    desc.comment = fl_opt(ctx, "comment");
    for (int i = 0; i < ctx->n_opts; i++) {
        if (strcmp(ctx->opts[i].def->name, "custom-property")) continue;
        const char *k, *v;
        if (!fl_split_kv(ctx->arena, ctx->opts[i].value, &k, &v))
            return fl_usage(ctx, "--custom-property '%s' is not key=value", ctx->opts[i].value);
        fl_kvs_set(ctx->arena, &desc.custom_properties, k, v);
    }
    fl_err_t err;
    if (ine) {
        bool exists = false;
        if ((err = fl_database_exists(ctx, name, &exists))) return fl_report(ctx, err);
        if (exists)
            return fl_done(ctx, "database", name, "created", false,
                           fl_arena_sprintf(ctx->arena, "Database %s already exists; left unchanged.",
                                            name));
    }
    fl_buf_t b;
    fl_buf_init(&b);
    fl_db_desc_write(&desc, &b);
    Fluss__CreateDatabaseRequest req = FLUSS__CREATE_DATABASE_REQUEST__INIT;
    req.database_name = (char *)name;
    req.ignore_if_exists = ine;
    req.has_database_json = 1;
    req.database_json.data = fl_arena_alloc(ctx->arena, b.len);
    memcpy(req.database_json.data, b.p, b.len);
    req.database_json.len = b.len;
    fl_buf_free(&b);
    Fluss__CreateDatabaseResponse *r;
    err = fl_call(ctx, FL_API_CREATE_DATABASE, &req.base, FL_RESP(create_database), &r);
    if (err) return fl_report(ctx, err);
    return fl_done(ctx, "database", name, "created", true,
                   fl_arena_sprintf(ctx->arena, "Created database %s.", name));
}

static int fl_cmd_db_list(fl_ctx_t *ctx) {
    Fluss__ListDatabasesRequest req = FLUSS__LIST_DATABASES_REQUEST__INIT;
    req.has_include_summary = 1;
    req.include_summary = 1;
    Fluss__ListDatabasesResponse *r;
    fl_err_t err = fl_call(ctx, FL_API_LIST_DATABASES, &req.base, FL_RESP(list_databases), &r);
    if (err) return fl_report(ctx, err);
    bool summary = r->n_database_summary > 0;
    size_t n = summary ? r->n_database_summary : r->n_database_name;
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            if (summary) {
                const Fluss__PbDatabaseSummary *s = r->database_summary[i];
                json_object_set_new(o, "name", json_string(s->database_name));
                json_object_set_new(o, "tables", json_integer(s->table_count));
                json_object_set_new(o, "created_time", json_integer(s->created_time));
            } else {
                json_object_set_new(o, "name", json_string(r->database_name[i]));
            }
            json_array_append_new(arr, o);
        }
        json_t *root = json_object();
        json_object_set_new(root, "databases", arr);
        fl_json_print(root);
        return FL_EXIT_OK;
    }
    fl_grid_t g;
    fl_grid_init(&g, ctx->arena, 3, (const char *[]){"NAME", "TABLES", "CREATED"});
    for (size_t i = 0; i < n; i++) {
        if (summary) {
            const Fluss__PbDatabaseSummary *s = r->database_summary[i];
            FL_GRID_ROW(&g, s->database_name, fl_i64s(ctx->arena, s->table_count),
                        fl_fmt_time(ctx->arena, s->created_time));
        } else {
            FL_GRID_ROW(&g, r->database_name[i], "-", "-");
        }
    }
    fl_grid_print(&g, "", "(no databases)");
    return FL_EXIT_OK;
}

static int fl_cmd_db_describe(fl_ctx_t *ctx) {
    const char *name = ctx->pos[0];
    Fluss__GetDatabaseInfoRequest req = FLUSS__GET_DATABASE_INFO_REQUEST__INIT;
    req.database_name = (char *)name;
    Fluss__GetDatabaseInfoResponse *r;
    fl_err_t err = fl_call(ctx, FL_API_GET_DATABASE_INFO, &req.base, FL_RESP(get_database_info), &r);
    if (err) return fl_report(ctx, err);
    fl_db_desc_t desc;
    const char *why = NULL;
    if (fl_db_desc_parse(ctx->arena, r->database_json.data, r->database_json.len, &desc, &why)) {
        fprintf(stderr, "error: the database descriptor %s sent for %s does not parse: %s\n",
                ctx->bootstrap, name, why);
        return FL_EXIT_CONNECT;
    }
    Fluss__ListTablesRequest lt = FLUSS__LIST_TABLES_REQUEST__INIT;
    lt.database_name = (char *)name;
    Fluss__ListTablesResponse *tr;
    if ((err = fl_call(ctx, FL_API_LIST_TABLES, &lt.base, FL_RESP(list_tables), &tr)))
        return fl_report(ctx, err);
    fl_strs_t tables = {(const char **)tr->table_name, tr->n_table_name};
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "comment", fl_json_str_or_null(desc.comment));
        json_object_set_new(o, "custom_properties", fl_json_kvs(&desc.custom_properties));
        json_object_set_new(o, "created_time", json_integer(r->created_time));
        json_object_set_new(o, "modified_time", json_integer(r->modified_time));
        json_object_set_new(o, "tables", fl_json_strs(&tables));
        fl_json_print(o);
        return FL_EXIT_OK;
    }
    fl_field("Database:", name);
    fl_field("Comment:", desc.comment ? desc.comment : "-");
    fl_field("Created:", fl_fmt_time(ctx->arena, r->created_time));
    fl_field("Modified:", fl_fmt_time(ctx->arena, r->modified_time));
    fl_field("Tables:", fl_fmt_strs(ctx->arena, &tables, "(none)"));
    fl_print_kvs("Custom properties:", &desc.custom_properties);
    return FL_EXIT_OK;
}

static int fl_cmd_db_drop(fl_ctx_t *ctx) {
    const char *name = ctx->pos[0];
    bool ie = fl_flag(ctx, "if-exists");
    fl_err_t err;
    if (ie) {
        bool exists = true;
        if ((err = fl_database_exists(ctx, name, &exists))) return fl_report(ctx, err);
        if (!exists)
            return fl_done(ctx, "database", name, "dropped", false,
                           fl_arena_sprintf(ctx->arena, "Database %s does not exist; nothing dropped.",
                                            name));
    }
    Fluss__DropDatabaseRequest req = FLUSS__DROP_DATABASE_REQUEST__INIT;
    req.database_name = (char *)name;
    req.ignore_if_not_exists = ie;
    req.cascade = fl_flag(ctx, "cascade");
    Fluss__DropDatabaseResponse *r;
    err = fl_call(ctx, FL_API_DROP_DATABASE, &req.base, FL_RESP(drop_database), &r);
    if (err) return fl_report(ctx, err);
    return fl_done(ctx, "database", name, "dropped", true,
                   fl_arena_sprintf(ctx->arena, "Dropped database %s%s.", name,
                                    req.cascade ? " and its tables" : ""));
}

/* ---- tables ------------------------------------------------------------------------------- */

/* Read a whole file ("-" = stdin) into the arena. @returns NULL with *why. */
static const char *fl_read_file(fl_arena_t *a, const char *path, size_t *len, const char **why) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        *why = fl_arena_sprintf(a, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    fl_buf_t b;
    fl_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        fl_buf_put(&b, chunk, n);
        if (b.len > FL_ADMIN_MAX_SPEC_FILE) break;
    }
    bool bad = ferror(f);
    if (f != stdin) fclose(f);
    const char *out = NULL;
    if (bad) *why = fl_arena_sprintf(a, "cannot read '%s': %s", path, strerror(errno));
    else if (b.len > FL_ADMIN_MAX_SPEC_FILE)
        *why = fl_arena_sprintf(a, "'%s' is larger than %d bytes", path, FL_ADMIN_MAX_SPEC_FILE);
    else {
        out = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
        *len = b.len;
    }
    fl_buf_free(&b);
    return out;
}

/* Build the table descriptor from --column, --primary-key, ... flags. */
static int fl_table_from_flags(fl_ctx_t *ctx, fl_table_desc_t *d) {
    memset(d, 0, sizeof(*d));
    d->bucket_count = -1;
    size_t ncols = 0;
    for (int i = 0; i < ctx->n_opts; i++) ncols += !strcmp(ctx->opts[i].def->name, "column");
    if (!ncols) return fl_usage(ctx, "a table needs at least one --column (or use --sql or --from-json)");
    d->schema.cols = fl_arena_calloc(ctx->arena, ncols * sizeof(fl_column_t));
    bool pk_inline = false;
    for (int i = 0; i < ctx->n_opts; i++) {
        const char *name = ctx->opts[i].def->name, *v = ctx->opts[i].value;
        const char *why = NULL;
        if (!strcmp(name, "column")) {
            fl_column_t *col = &d->schema.cols[d->schema.n_cols];
            bool is_pk = false;
            if (fl_spec_parse_column(ctx->arena, v, col, &is_pk, &why))
                return fl_usage(ctx, "invalid --column '%s': %s", v, why);
            if (fl_schema_col_index(&d->schema, col->name) >= 0)
                return fl_usage(ctx, "column %s is given twice", col->name);
            d->schema.n_cols++;
            if (is_pk) {
                pk_inline = true;
                fl_strs_push(ctx->arena, &d->schema.primary_key, col->name);
            }
        } else if (!strcmp(name, "primary-key") || !strcmp(name, "bucket-key") ||
                   !strcmp(name, "partition-key")) {
            fl_strs_t *dst = !strcmp(name, "primary-key") ? &d->schema.primary_key
                           : !strcmp(name, "bucket-key")  ? &d->bucket_keys
                                                          : &d->partition_keys;
            if (!fl_strs_split(ctx->arena, v, dst))
                return fl_usage(ctx, "--%s '%s' has an empty column name", name, v);
            if (dst == &d->bucket_keys) d->has_distribution = true;
        } else if (!strcmp(name, "buckets")) {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (!*v || *end || errno || n < 1 || n > INT32_MAX)
                return fl_usage(ctx, "--buckets must be a positive number, not '%s'", v);
            d->bucket_count = (int32_t)n;
        } else if (!strcmp(name, "property") || !strcmp(name, "custom-property")) {
            const char *k, *val;
            if (!fl_split_kv(ctx->arena, v, &k, &val))
                return fl_usage(ctx, "--%s '%s' is not key=value", name, v);
            fl_kvs_set(ctx->arena, !strcmp(name, "property") ? &d->properties : &d->custom_properties,
                       k, val);
        } else if (!strcmp(name, "comment")) {
            d->comment = v;
        }
    }
    if (pk_inline && fl_flag(ctx, "primary-key"))
        return fl_usage(ctx, "the primary key is given both in a --column and in --primary-key");
    fl_spec_finish(ctx->arena, d);
    return FL_EXIT_OK;
}

static int fl_cmd_table_create(fl_ctx_t *ctx) {
    const char *sql = fl_opt(ctx, "sql"), *file = fl_opt(ctx, "from-json");
    bool ine = fl_flag(ctx, "if-not-exists");
    static const char *const spec_flags[] = {"column", "primary-key", "bucket-key", "buckets",
                                             "partition-key", "property", "custom-property",
                                             "comment"};
    const char *flag_used = NULL;
    for (size_t i = 0; i < FL_ARRAY_LEN(spec_flags) && !flag_used; i++)
        if (fl_flag(ctx, spec_flags[i])) flag_used = spec_flags[i];
    if (sql && file) return fl_usage(ctx, "--sql and --from-json cannot be used together");
    if ((sql || file) && flag_used)
        return fl_usage(ctx, "--%s cannot be combined with %s; put it in the spec", flag_used,
                        sql ? "--sql" : "--from-json");

    const char *db = NULL, *table = NULL;
    if (ctx->n_pos) fl_split_path(ctx->arena, ctx->pos[0], &db, &table);
    const uint8_t *json = NULL;
    size_t json_len = 0;
    fl_buf_t b;
    fl_buf_init(&b);
    if (file) {
        const char *why = NULL;
        json = (const uint8_t *)fl_read_file(ctx->arena, file, &json_len, &why);
        if (!json) {
            fl_buf_free(&b);
            return fl_usage(ctx, "--from-json: %s", why);
        }
        if (!table) {
            fl_buf_free(&b);
            return fl_usage(ctx, "name the table to create (DB.TABLE) before --from-json");
        }
    } else {
        fl_table_desc_t desc;
        if (sql) {
            fl_sql_table_t st;
            const char *why = NULL;
            if (fl_spec_parse_sql(ctx->arena, sql, &st, &why)) {
                fl_buf_free(&b);
                return fl_usage(ctx, "invalid --sql: %s", why);
            }
            if (table) {
                const char *sdb = st.db ? st.db : db;
                if (strcmp(sdb, db) || strcmp(st.table, table)) {
                    fl_buf_free(&b);
                    return fl_usage(ctx, "the argument names table %s.%s but --sql creates %s.%s", db,
                                    table, sdb, st.table);
                }
            } else {
                db = st.db ? st.db : FL_ADMIN_DEFAULT_DB;
                table = st.table;
            }
            ine = ine || st.if_not_exists;
            desc = st.desc;
        } else {
            if (!table) {
                fl_buf_free(&b);
                return fl_usage(ctx, "name the table to create (DB.TABLE)");
            }
            int rc = fl_table_from_flags(ctx, &desc);
            if (rc) {
                fl_buf_free(&b);
                return rc;
            }
        }
        fl_table_desc_write(&desc, &b);
        json = b.p;
        json_len = b.len;
    }
    const char *path = fl_arena_sprintf(ctx->arena, "%s.%s", db, table);
    int rc = FL_EXIT_OK;
    if (fl_flag(ctx, "dry-run")) {
        if (ctx->json) {
            json_t *o = json_object();
            json_object_set_new(o, "table", json_string(path));
            json_object_set_new(o, "if_not_exists", json_boolean(ine));
            json_error_t jerr;
            json_t *d = json_loadb((const char *)json, json_len, 0, &jerr);
            json_object_set_new(o, "descriptor", d ? d : json_stringn((const char *)json, json_len));
            fl_json_print(o);
        } else {
            fwrite(json, 1, json_len, stdout);
            fputc('\n', stdout);
        }
        goto out;
    }
    fl_err_t err;
    if (ine) {
        bool exists = false;
        if ((err = fl_table_exists(ctx, db, table, &exists))) {
            rc = fl_report(ctx, err);
            goto out;
        }
        if (exists) {
            rc = fl_done(ctx, "table", path, "created", false,
                         fl_arena_sprintf(ctx->arena, "Table %s already exists; left unchanged.", path));
            goto out;
        }
    }
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, db, table);
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = json_len;
    req.ignore_if_exists = ine;
    Fluss__CreateTableResponse *r;
    err = fl_call(ctx, FL_API_CREATE_TABLE, &req.base, FL_RESP(create_table), &r);
    if (err) rc = fl_report(ctx, err);
    else
        rc = fl_done(ctx, "table", path, "created", true,
                     fl_arena_sprintf(ctx->arena, "Created table %s.", path));
out:
    fl_buf_free(&b);
    return rc;
}

static int fl_cmd_table_list(fl_ctx_t *ctx) {
    fl_strs_t dbs = {0};
    fl_err_t err;
    if (ctx->n_pos) {
        fl_strs_push(ctx->arena, &dbs, ctx->pos[0]);
    } else {
        Fluss__ListDatabasesRequest req = FLUSS__LIST_DATABASES_REQUEST__INIT;
        Fluss__ListDatabasesResponse *r;
        if ((err = fl_call(ctx, FL_API_LIST_DATABASES, &req.base, FL_RESP(list_databases), &r)))
            return fl_report(ctx, err);
        for (size_t i = 0; i < r->n_database_name; i++) fl_strs_push(ctx->arena, &dbs, r->database_name[i]);
    }
    json_t *arr = ctx->json ? json_array() : NULL;
    fl_grid_t g;
    fl_grid_init(&g, ctx->arena, 2, (const char *[]){"DATABASE", "TABLE"});
    for (size_t d = 0; d < dbs.n; d++) {
        Fluss__ListTablesRequest req = FLUSS__LIST_TABLES_REQUEST__INIT;
        req.database_name = (char *)dbs.items[d];
        Fluss__ListTablesResponse *r;
        err = fl_call(ctx, FL_API_LIST_TABLES, &req.base, FL_RESP(list_tables), &r);
        if (err == FL_ERR_DATABASE_NOT_EXIST && !ctx->n_pos) continue; /* dropped meanwhile */
        if (err) {
            json_decref(arr);
            return fl_report(ctx, err);
        }
        for (size_t i = 0; i < r->n_table_name; i++) {
            if (arr) {
                json_t *o = json_object();
                json_object_set_new(o, "database", json_string(dbs.items[d]));
                json_object_set_new(o, "table", json_string(r->table_name[i]));
                json_array_append_new(arr, o);
            } else {
                FL_GRID_ROW(&g, dbs.items[d], r->table_name[i]);
            }
        }
    }
    if (arr) {
        json_t *root = json_object();
        json_object_set_new(root, "tables", arr);
        fl_json_print(root);
    } else {
        fl_grid_print(&g, "", "(no tables)");
    }
    return FL_EXIT_OK;
}

/* Partition name as the server stores it: values in partition-key order joined by '$'. */
const char *fl_part_name(fl_arena_t *a, const Fluss__PbPartitionSpec *ps) {
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < ps->n_partition_key_values; i++) {
        if (i) fl_buf_put_u8(&b, '$');
        fl_buf_put(&b, ps->partition_key_values[i]->value, strlen(ps->partition_key_values[i]->value));
    }
    const char *r = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
    fl_buf_free(&b);
    return r;
}

static const char *fl_spec_text(fl_arena_t *a, const Fluss__PbPartitionSpec *ps) {
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < ps->n_partition_key_values; i++) {
        if (i) fl_buf_put_u8(&b, ',');
        const Fluss__PbKeyValue *kv = ps->partition_key_values[i];
        fl_buf_put(&b, kv->key, strlen(kv->key));
        fl_buf_put_u8(&b, '=');
        fl_buf_put(&b, kv->value, strlen(kv->value));
    }
    const char *r = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
    fl_buf_free(&b);
    return r;
}

static json_t *fl_json_spec(const Fluss__PbPartitionSpec *ps) {
    json_t *o = json_object();
    for (size_t i = 0; i < ps->n_partition_key_values; i++)
        json_object_set_new(o, ps->partition_key_values[i]->key,
                            json_string(ps->partition_key_values[i]->value));
    return o;
}

const Fluss__PbServerNode *fl_node(const Fluss__MetadataResponse *m, int32_t id) {
    for (size_t i = 0; i < m->n_tablet_servers; i++)
        if (m->tablet_servers[i]->node_id == id) return m->tablet_servers[i];
    return NULL;
}

static const char *fl_replicas_text(fl_arena_t *a, const Fluss__PbBucketMetadata *bm) {
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < bm->n_replica_id; i++) {
        char tmp[16];
        int n = snprintf(tmp, sizeof(tmp), "%s%d", i ? "," : "", bm->replica_id[i]);
        fl_buf_put(&b, tmp, (size_t)n);
    }
    const char *r = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
    fl_buf_free(&b);
    return r;
}

static void fl_bucket_rows(fl_ctx_t *ctx, const Fluss__MetadataResponse *m, const char *partition,
                           Fluss__PbBucketMetadata *const *bms, size_t n, fl_grid_t *g, json_t *arr) {
    for (size_t i = 0; i < n; i++) {
        const Fluss__PbBucketMetadata *bm = bms[i];
        const Fluss__PbServerNode *leader = bm->has_leader_id ? fl_node(m, bm->leader_id) : NULL;
        if (arr) {
            json_t *o = json_object();
            json_object_set_new(o, "partition", fl_json_str_or_null(partition));
            json_object_set_new(o, "bucket", json_integer(bm->bucket_id));
            json_object_set_new(o, "leader", bm->has_leader_id ? json_integer(bm->leader_id) : json_null());
            json_object_set_new(o, "leader_address",
                                leader ? json_string(fl_arena_sprintf(ctx->arena, "%s:%d",
                                                                      leader->host, leader->port))
                                       : json_null());
            json_t *reps = json_array();
            for (size_t k = 0; k < bm->n_replica_id; k++)
                json_array_append_new(reps, json_integer(bm->replica_id[k]));
            json_object_set_new(o, "replicas", reps);
            json_array_append_new(arr, o);
        } else {
            const char *lead = bm->has_leader_id ? fl_i64s(ctx->arena, bm->leader_id) : "none";
            const char *addr =
                leader ? fl_arena_sprintf(ctx->arena, "%s:%d", leader->host, leader->port) : "-";
            if (partition)
                FL_GRID_ROW(g, partition, fl_i64s(ctx->arena, bm->bucket_id), lead, addr,
                            fl_replicas_text(ctx->arena, bm));
            else
                FL_GRID_ROW(g, fl_i64s(ctx->arena, bm->bucket_id), lead, addr,
                            fl_replicas_text(ctx->arena, bm));
        }
    }
}

static int fl_cmd_table_describe(fl_ctx_t *ctx) {
    const char *db, *table;
    fl_split_path(ctx->arena, ctx->pos[0], &db, &table);
    const char *path = fl_arena_sprintf(ctx->arena, "%s.%s", db, table);
    Fluss__GetTableInfoRequest req = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, db, table);
    Fluss__GetTableInfoResponse *info;
    fl_err_t err = fl_call(ctx, FL_API_GET_TABLE_INFO, &req.base, FL_RESP(get_table_info), &info);
    if (err) return fl_report(ctx, err);
    fl_table_desc_t d;
    const char *why = NULL;
    if (fl_table_desc_parse(ctx->arena, info->table_json.data, info->table_json.len, &d, &why)) {
        fprintf(stderr, "error: the table descriptor %s sent for %s does not parse: %s\n",
                ctx->bootstrap, path, why);
        return FL_EXIT_CONNECT;
    }
    bool partitioned = d.partition_keys.n > 0;
    Fluss__ListPartitionInfosResponse *parts = NULL;
    if (partitioned && (err = fl_list_partitions(ctx, db, table, NULL, &parts)))
        return fl_report(ctx, err);
    size_t nparts = parts ? parts->n_partitions_info : 0;

    Fluss__MetadataRequest mreq = FLUSS__METADATA_REQUEST__INIT;
    Fluss__PbTablePath *tpp = req.table_path;
    mreq.n_table_path = 1;
    mreq.table_path = &tpp;
    mreq.partitions_path = fl_arena_alloc(ctx->arena, (nparts + 1) * sizeof(void *));
    for (size_t i = 0; i < nparts; i++) {
        Fluss__PbPhysicalTablePath *pp = fl_arena_alloc(ctx->arena, sizeof(*pp));
        fluss__pb_physical_table_path__init(pp);
        pp->database_name = (char *)db;
        pp->table_name = (char *)table;
        pp->partition_name = (char *)fl_part_name(ctx->arena, parts->partitions_info[i]->partition_spec);
        mreq.partitions_path[mreq.n_partitions_path++] = pp;
    }
    Fluss__MetadataResponse *m;
    if ((err = fl_call(ctx, FL_API_GET_METADATA, &mreq.base, FL_RESP(metadata), &m)))
        return fl_report(ctx, err);
    const Fluss__PbTableMetadata *tm = NULL;
    for (size_t i = 0; i < m->n_table_metadata; i++)
        if (m->table_metadata[i]->table_id == info->table_id) tm = m->table_metadata[i];

    json_t *root = NULL, *buckets = NULL;
    fl_grid_t g;
    if (ctx->json) {
        root = json_object();
        buckets = json_array();
    } else if (partitioned) {
        fl_grid_init(&g, ctx->arena, 5,
                     (const char *[]){"PARTITION", "BUCKET", "LEADER", "LEADER ADDRESS", "REPLICAS"});
    } else {
        fl_grid_init(&g, ctx->arena, 4, (const char *[]){"BUCKET", "LEADER", "LEADER ADDRESS", "REPLICAS"});
    }
    if (tm && !partitioned)
        fl_bucket_rows(ctx, m, NULL, tm->bucket_metadata, tm->n_bucket_metadata, &g, buckets);
    for (size_t i = 0; i < m->n_partition_metadata; i++) {
        const Fluss__PbPartitionMetadata *pm = m->partition_metadata[i];
        if (pm->table_id != info->table_id) continue;
        fl_bucket_rows(ctx, m, pm->partition_name, pm->bucket_metadata, pm->n_bucket_metadata, &g, buckets);
    }

    const char *kind = d.schema.has_primary_key ? "primary-key table" : "log table";
    if (root) {
        json_object_set_new(root, "database", json_string(db));
        json_object_set_new(root, "table", json_string(table));
        json_object_set_new(root, "table_id", json_integer(info->table_id));
        json_object_set_new(root, "schema_id", json_integer(info->schema_id));
        json_object_set_new(root, "kind", json_string(d.schema.has_primary_key ? "primary_key" : "log"));
        json_object_set_new(root, "comment", fl_json_str_or_null(d.comment));
        json_object_set_new(root, "created_time", json_integer(info->created_time));
        json_object_set_new(root, "modified_time", json_integer(info->modified_time));
        json_t *cols = json_array();
        for (size_t i = 0; i < d.schema.n_cols; i++) {
            const fl_column_t *c = &d.schema.cols[i];
            fl_type_t t = c->type;
            t.nullable = true;
            char tb[1024];
            fl_type_format(&t, tb, sizeof(tb));
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(c->id));
            json_object_set_new(o, "name", json_string(c->name));
            json_object_set_new(o, "type", json_string(tb));
            json_object_set_new(o, "nullable", json_boolean(c->type.nullable));
            json_object_set_new(o, "comment", fl_json_str_or_null(c->comment));
            json_array_append_new(cols, o);
        }
        json_object_set_new(root, "columns", cols);
        json_object_set_new(root, "primary_key", fl_json_strs(&d.schema.primary_key));
        json_object_set_new(root, "bucket_key", fl_json_strs(&d.bucket_keys));
        json_object_set_new(root, "bucket_count",
                            d.bucket_count >= 0 ? json_integer(d.bucket_count) : json_null());
        json_object_set_new(root, "partition_keys", fl_json_strs(&d.partition_keys));
        json_object_set_new(root, "properties", fl_json_kvs(&d.properties));
        json_object_set_new(root, "custom_properties", fl_json_kvs(&d.custom_properties));
        json_t *pa = json_array();
        for (size_t i = 0; i < nparts; i++) {
            const Fluss__PbPartitionInfo *pi = parts->partitions_info[i];
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(pi->partition_id));
            json_object_set_new(o, "name", json_string(fl_part_name(ctx->arena, pi->partition_spec)));
            json_object_set_new(o, "spec", fl_json_spec(pi->partition_spec));
            json_array_append_new(pa, o);
        }
        json_object_set_new(root, "partitions", pa);
        json_object_set_new(root, "buckets", buckets);
        json_error_t jerr;
        json_t *raw = json_loadb((const char *)info->table_json.data, info->table_json.len, 0, &jerr);
        json_object_set_new(root, "descriptor", raw ? raw : json_null());
        fl_json_print(root);
        return FL_EXIT_OK;
    }
    fl_field("Table:", path);
    fl_field("Kind:", kind);
    fl_field("Table id:", fl_i64s(ctx->arena, info->table_id));
    fl_field("Schema id:", fl_i64s(ctx->arena, info->schema_id));
    fl_field("Comment:", d.comment ? d.comment : "-");
    fl_field("Created:", fl_fmt_time(ctx->arena, info->created_time));
    fl_field("Modified:", fl_fmt_time(ctx->arena, info->modified_time));
    printf("\nColumns:\n");
    fl_grid_t cg;
    fl_grid_init(&cg, ctx->arena, 5, (const char *[]){"ID", "NAME", "TYPE", "NULL", "COMMENT"});
    for (size_t i = 0; i < d.schema.n_cols; i++) {
        const fl_column_t *c = &d.schema.cols[i];
        fl_type_t t = c->type;
        t.nullable = true;
        char tb[1024];
        fl_type_format(&t, tb, sizeof(tb));
        FL_GRID_ROW(&cg, fl_i64s(ctx->arena, c->id), c->name, fl_arena_strndup(ctx->arena, tb, strlen(tb)),
                    c->type.nullable ? "NULL" : "NOT NULL", c->comment ? c->comment : "");
    }
    fl_grid_print(&cg, "  ", NULL);
    printf("\n");
    fl_field("Primary key:", fl_fmt_strs(ctx->arena, &d.schema.primary_key, "(none)"));
    fl_field("Bucket key:", fl_fmt_strs(ctx->arena, &d.bucket_keys, "(none)"));
    fl_field("Buckets:", d.bucket_count >= 0 ? fl_i64s(ctx->arena, d.bucket_count) : "(server default)");
    fl_field("Partition keys:", fl_fmt_strs(ctx->arena, &d.partition_keys, "(none)"));
    printf("\n");
    fl_print_kvs("Properties:", &d.properties);
    fl_print_kvs("Custom properties:", &d.custom_properties);
    if (partitioned) {
        printf("\nPartitions:\n");
        fl_grid_t pg;
        fl_grid_init(&pg, ctx->arena, 3, (const char *[]){"ID", "NAME", "SPEC"});
        for (size_t i = 0; i < nparts; i++) {
            const Fluss__PbPartitionInfo *pi = parts->partitions_info[i];
            FL_GRID_ROW(&pg, fl_i64s(ctx->arena, pi->partition_id),
                        fl_part_name(ctx->arena, pi->partition_spec),
                        fl_spec_text(ctx->arena, pi->partition_spec));
        }
        fl_grid_print(&pg, "  ", "(none)");
    }
    printf("\nBuckets:\n");
    fl_grid_print(&g, "  ", "(none)");
    return FL_EXIT_OK;
}

static int fl_cmd_table_drop(fl_ctx_t *ctx) {
    const char *db, *table;
    fl_split_path(ctx->arena, ctx->pos[0], &db, &table);
    const char *path = fl_arena_sprintf(ctx->arena, "%s.%s", db, table);
    bool ie = fl_flag(ctx, "if-exists");
    fl_err_t err;
    if (ie) {
        bool exists = true;
        if ((err = fl_table_exists(ctx, db, table, &exists))) return fl_report(ctx, err);
        if (!exists)
            return fl_done(ctx, "table", path, "dropped", false,
                           fl_arena_sprintf(ctx->arena, "Table %s does not exist; nothing dropped.", path));
    }
    Fluss__DropTableRequest req = FLUSS__DROP_TABLE_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, db, table);
    req.ignore_if_not_exists = ie;
    Fluss__DropTableResponse *r;
    err = fl_call(ctx, FL_API_DROP_TABLE, &req.base, FL_RESP(drop_table), &r);
    if (err) return fl_report(ctx, err);
    return fl_done(ctx, "table", path, "dropped", true,
                   fl_arena_sprintf(ctx->arena, "Dropped table %s.", path));
}

static int fl_cmd_table_alter(fl_ctx_t *ctx) {
    const char *db, *table;
    fl_split_path(ctx->arena, ctx->pos[0], &db, &table);
    const char *path = fl_arena_sprintf(ctx->arena, "%s.%s", db, table);
    Fluss__AlterTableRequest req = FLUSS__ALTER_TABLE_REQUEST__INIT;
    req.table_path = fl_pb_path(ctx->arena, db, table);
    req.ignore_if_not_exists = fl_flag(ctx, "if-exists");
    req.config_changes = fl_arena_alloc(ctx->arena, ((size_t)ctx->n_opts + 1) * sizeof(void *));
    for (int i = 0; i < ctx->n_opts; i++) {
        const char *name = ctx->opts[i].def->name, *v = ctx->opts[i].value;
        bool set = !strcmp(name, "set");
        if (!set && strcmp(name, "reset")) continue;
        Fluss__PbAlterConfig *c = fl_arena_alloc(ctx->arena, sizeof(*c));
        fluss__pb_alter_config__init(c);
        if (set) {
            const char *k, *val;
            if (!fl_split_kv(ctx->arena, v, &k, &val))
                return fl_usage(ctx, "--set '%s' is not key=value", v);
            c->config_key = (char *)k;
            c->config_value = (char *)val;
            c->op_type = 0; /* SET */
        } else {
            if (!*v) return fl_usage(ctx, "--reset needs a property key");
            c->config_key = (char *)v;
            c->op_type = 1; /* DELETE */
        }
        req.config_changes[req.n_config_changes++] = c;
    }
    if (!req.n_config_changes)
        return fl_usage(ctx, "nothing to change: give --set KEY=VALUE or --reset KEY");
    Fluss__AlterTableResponse *r;
    fl_err_t err = fl_call(ctx, FL_API_ALTER_TABLE, &req.base, FL_RESP(alter_table), &r);
    if (err) return fl_report(ctx, err);
    return fl_done(ctx, "table", path, "altered", true,
                   fl_arena_sprintf(ctx->arena, "Altered table %s (%zu change%s).", path,
                                    req.n_config_changes, req.n_config_changes == 1 ? "" : "s"));
}

/* ---- partitions --------------------------------------------------------------------------- */

/* Does the partition with exactly this spec exist? */
static fl_err_t fl_partition_exists(fl_ctx_t *ctx, const char *db, const char *table,
                                    Fluss__PbPartitionSpec *spec, bool *exists) {
    Fluss__ListPartitionInfosResponse *r;
    fl_err_t err = fl_list_partitions(ctx, db, table, spec, &r);
    if (err) return err;
    *exists = false;
    for (size_t i = 0; i < r->n_partitions_info; i++)
        if (r->partitions_info[i]->partition_spec->n_partition_key_values == spec->n_partition_key_values)
            *exists = true;
    return FL_ERR_NONE;
}

static int fl_cmd_part_create_drop(fl_ctx_t *ctx, bool create) {
    const char *db, *table, *why = NULL;
    fl_split_path(ctx->arena, ctx->pos[0], &db, &table);
    Fluss__PbPartitionSpec *spec = fl_parse_spec(ctx->arena, ctx->pos[1], &why);
    if (!spec) return fl_usage(ctx, "%s", why);
    const char *label = fl_arena_sprintf(ctx->arena, "%s.%s(%s)", db, table, ctx->pos[1]);
    bool ignore = fl_flag(ctx, create ? "if-not-exists" : "if-exists");
    fl_err_t err;
    if (ignore) {
        bool exists = false;
        if ((err = fl_partition_exists(ctx, db, table, spec, &exists))) return fl_report(ctx, err);
        if (exists == create)
            return fl_done(ctx, "partition", label, create ? "created" : "dropped", false,
                           fl_arena_sprintf(ctx->arena,
                                            create ? "Partition %s already exists; left unchanged."
                                                   : "Partition %s does not exist; nothing dropped.",
                                            label));
    }
    if (create) {
        Fluss__CreatePartitionRequest req = FLUSS__CREATE_PARTITION_REQUEST__INIT;
        req.table_path = fl_pb_path(ctx->arena, db, table);
        req.partition_spec = spec;
        req.ignore_if_not_exists = ignore; /* named so on the wire; means "ignore if it exists" */
        Fluss__CreatePartitionResponse *r;
        err = fl_call(ctx, FL_API_CREATE_PARTITION, &req.base, FL_RESP(create_partition), &r);
    } else {
        Fluss__DropPartitionRequest req = FLUSS__DROP_PARTITION_REQUEST__INIT;
        req.table_path = fl_pb_path(ctx->arena, db, table);
        req.partition_spec = spec;
        req.ignore_if_not_exists = ignore;
        Fluss__DropPartitionResponse *r;
        err = fl_call(ctx, FL_API_DROP_PARTITION, &req.base, FL_RESP(drop_partition), &r);
    }
    if (err) return fl_report(ctx, err);
    return fl_done(ctx, "partition", label, create ? "created" : "dropped", true,
                   fl_arena_sprintf(ctx->arena, "%s partition %s.", create ? "Created" : "Dropped", label));
}

static int fl_cmd_part_create(fl_ctx_t *ctx) {
    return fl_cmd_part_create_drop(ctx, true);
}

static int fl_cmd_part_drop(fl_ctx_t *ctx) {
    return fl_cmd_part_create_drop(ctx, false);
}

static int fl_cmd_part_list(fl_ctx_t *ctx) {
    const char *db, *table, *why = NULL;
    fl_split_path(ctx->arena, ctx->pos[0], &db, &table);
    Fluss__PbPartitionSpec *filter = NULL;
    if (ctx->n_pos > 1 && !(filter = fl_parse_spec(ctx->arena, ctx->pos[1], &why)))
        return fl_usage(ctx, "%s", why);
    Fluss__ListPartitionInfosResponse *r;
    fl_err_t err = fl_list_partitions(ctx, db, table, filter, &r);
    if (err) return fl_report(ctx, err);
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n_partitions_info; i++) {
            const Fluss__PbPartitionInfo *pi = r->partitions_info[i];
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(pi->partition_id));
            json_object_set_new(o, "name", json_string(fl_part_name(ctx->arena, pi->partition_spec)));
            json_object_set_new(o, "spec", fl_json_spec(pi->partition_spec));
            json_array_append_new(arr, o);
        }
        json_t *root = json_object();
        json_object_set_new(root, "partitions", arr);
        fl_json_print(root);
        return FL_EXIT_OK;
    }
    fl_grid_t g;
    fl_grid_init(&g, ctx->arena, 3, (const char *[]){"ID", "NAME", "SPEC"});
    for (size_t i = 0; i < r->n_partitions_info; i++) {
        const Fluss__PbPartitionInfo *pi = r->partitions_info[i];
        FL_GRID_ROW(&g, fl_i64s(ctx->arena, pi->partition_id), fl_part_name(ctx->arena, pi->partition_spec),
                    fl_spec_text(ctx->arena, pi->partition_spec));
    }
    fl_grid_print(&g, "", "(no partitions)");
    return FL_EXIT_OK;
}

/* ---- the command table -------------------------------------------------------------------- */

static const fl_optdef_t fl_opts_none[] = {{NULL}};

static const fl_optdef_t fl_opts_db_create[] = {
    {"comment", "TEXT", false, "a comment stored with the database"},
    {"custom-property", "KEY=VALUE", true, "a custom property (repeatable)"},
    {"if-not-exists", NULL, false, "succeed without change when it exists"},
    {NULL},
};
static const fl_optdef_t fl_opts_db_drop[] = {
    {"cascade", NULL, false, "drop its tables too (without it a database with tables is refused)"},
    {"if-exists", NULL, false, "succeed without change when it does not exist"},
    {NULL},
};
static const fl_optdef_t fl_opts_table_create[] = {
    {"column", "SPEC", true,
     "a column, in order (repeatable): 'NAME TYPE [NOT NULL] [PRIMARY KEY] [COMMENT \"text\"]'; "
     "types are Flink SQL names (INT, STRING, DECIMAL(10, 2), ARRAY<INT>, ...)"},
    {"primary-key", "COL[,COL]", false, "primary-key columns (makes a primary-key table)"},
    {"bucket-key", "COL[,COL]", false, "bucket key (default: primary key minus partition keys)"},
    {"buckets", "N", false, "number of buckets (default: the server's default.bucket.number)"},
    {"partition-key", "COL[,COL]", false, "partition keys"},
    {"property", "KEY=VALUE", true, "a table property, e.g. table.log.format=ARROW (repeatable)"},
    {"custom-property", "KEY=VALUE", true, "a custom property (repeatable)"},
    {"comment", "TEXT", false, "the table comment"},
    {"sql", "'CREATE TABLE ...'", false, "the whole table as a SQL-like statement (see docs/cli.md)"},
    {"from-json", "FILE", false, "the Fluss table JSON from FILE ('-' = stdin)"},
    {"if-not-exists", NULL, false, "succeed without change when it exists"},
    {"dry-run", NULL, false, "print the table JSON that would be sent; contact no server"},
    {NULL},
};
static const fl_optdef_t fl_opts_if_exists[] = {
    {"if-exists", NULL, false, "succeed without change when it does not exist"},
    {NULL},
};
static const fl_optdef_t fl_opts_table_alter[] = {
    {"set", "KEY=VALUE", true, "set a table property (repeatable)"},
    {"reset", "KEY", true, "remove a table property (repeatable)"},
    {"if-exists", NULL, false, "succeed without change when the table does not exist"},
    {NULL},
};
static const fl_optdef_t fl_opts_if_not_exists[] = {
    {"if-not-exists", NULL, false, "succeed without change when it exists"},
    {NULL},
};

static const fl_cmd_t fl_cmds[] = {
    {"cluster", "nodes", "", 0, 0, fl_opts_none, fl_cmd_cluster_nodes,
     "list the coordinator and the live tablet servers", NULL},
    {"database", "create", "NAME", 1, 1, fl_opts_db_create, fl_cmd_db_create, "create a database", NULL},
    {"database", "list", "", 0, 0, fl_opts_none, fl_cmd_db_list,
     "list databases with their table counts", NULL},
    {"database", "describe", "NAME", 1, 1, fl_opts_none, fl_cmd_db_describe,
     "show a database: comment, custom properties, times, tables", NULL},
    {"database", "drop", "NAME", 1, 1, fl_opts_db_drop, fl_cmd_db_drop, "drop a database", NULL},
    {"table", "create", "[DB.]TABLE", 0, 1, fl_opts_table_create, fl_cmd_table_create,
     "create a table from flags, a SQL-like statement or a Fluss table JSON",
     "A TABLE without a database is in database 'fluss'. With --sql the name may come from\n"
     "the statement instead.\n\n"
     "examples:\n"
     "  fl-admin table create fluss.orders --column 'id BIGINT' --column 'v STRING' \\\n"
     "      --primary-key id --buckets 4\n"
     "  fl-admin table create --sql \"CREATE TABLE fluss.t (id BIGINT, dt STRING,\n"
     "      PRIMARY KEY (id, dt) NOT ENFORCED) PARTITIONED BY (dt) WITH ('bucket.num'='4')\"\n"
     "  fl-admin table create fluss.copy --from-json t.json\n"},
    {"table", "list", "[DB]", 0, 1, fl_opts_none, fl_cmd_table_list,
     "list the tables of DB (of every database without DB)", NULL},
    {"table", "describe", "[DB.]TABLE", 1, 1, fl_opts_none, fl_cmd_table_describe,
     "show schema, keys, buckets, partitions, properties and bucket leaders", NULL},
    {"table", "drop", "[DB.]TABLE", 1, 1, fl_opts_if_exists, fl_cmd_table_drop, "drop a table", NULL},
    {"table", "alter", "[DB.]TABLE", 1, 1, fl_opts_table_alter, fl_cmd_table_alter,
     "set or remove table properties", NULL},
    {"table", "produce", "[DB.]TABLE", 1, 1, fl_opts_table_produce, fl_cmd_table_produce,
     "append rows read from stdin (JSON lines or CSV) to a log table",
     "Each input line is a JSON object keyed by column name (missing columns are null) or a\n"
     "JSON array in column order; with --format csv a header line names the columns (or, with\n"
     "--no-header, cells are in column order) and an empty unquoted cell is null. Values are\n"
     "written as docs/cli.md \"Values\" describes: DECIMAL and BIGINT exactly, DATE yyyy-mm-dd,\n"
     "TIME HH:MM:SS[.fff], TIMESTAMP[_LTZ] ISO-8601 or epoch milliseconds, BINARY/BYTES base64\n"
     "(or hex with --binary hex), ARRAY/MAP/ROW as JSON. Rows are sent in batches; a batch with a\n"
     "bad line is not sent: the line, column and reason are printed and the exit code is 2.\n\n"
     "examples:\n"
     "  echo '{\"id\": 1, \"v\": \"a\"}' | fl-admin table produce fluss.events\n"
     "  fl-admin table produce fluss.events --format csv < events.csv\n"},
    {"table", "scan", "[DB.]TABLE", 1, 1, fl_opts_table_scan, fl_cmd_table_scan,
     "print the rows of a table's log (every bucket, or one), from a start point",
     "Reads every bucket (of every partition, unless --partition) from its leader until --limit\n"
     "rows are printed or, without --follow, the end of the log as it was. Each row shows its\n"
     "bucket, offset, commit timestamp and change type (+A append, +I insert, -U/+U update\n"
     "before/after, -D delete). With --format jsonl each line is\n"
     "{\"bucket\",\"offset\",\"timestamp\",\"change\",\"row\":{column: value}}; --rows-only prints\n"
     "the row object alone, which 'table produce' reads back.\n\n"
     "examples:\n"
     "  fl-admin table scan fluss.events --limit 10\n"
     "  fl-admin table scan fluss.events --from 2024-01-02T00:00:00Z --format jsonl --follow\n"},
    {"table", "upsert", "[DB.]TABLE", 1, 1, fl_opts_table_upsert, fl_cmd_table_upsert,
     "insert or update rows read from stdin (JSON lines) in a primary-key table",
     "Each input line is a JSON object keyed by column name (missing columns are null) or a\n"
     "JSON array in column order, as for 'table produce'. A row replaces the row with the same\n"
     "primary key. With --columns only those columns change (a partial update; the list must\n"
     "include the primary key, and input rows may name only those columns). A batch with a bad\n"
     "line is not sent: the line, column and reason are printed and the exit code is 2.\n\n"
     "examples:\n"
     "  echo '{\"id\": 1, \"v\": \"a\"}' | fl-admin table upsert fluss.users\n"
     "  echo '{\"id\": 1, \"v\": \"b\"}' | fl-admin table upsert fluss.users --columns id,v\n"},
    {"table", "delete", "[DB.]TABLE", 1, 1, fl_opts_table_delete, fl_cmd_table_delete,
     "delete rows of a primary-key table by key (JSON lines on stdin)",
     "Each input line names at least the primary-key columns (other columns are checked and\n"
     "ignored). Deleting a key that does not exist is not an error.\n\n"
     "examples:\n"
     "  echo '{\"id\": 1}' | fl-admin table delete fluss.users\n"},
    {"table", "lookup", "[DB.]TABLE", 1, 1, fl_opts_table_lookup, fl_cmd_table_lookup,
     "print the rows of a primary-key table with the given keys",
     "The key is --key '{\"id\": 1}' or one JSON object per line on stdin, naming every\n"
     "primary-key column and nothing else. The table format prints the rows found and, on\n"
     "stderr, 'not found: KEY' for each key without a row; jsonl prints one line per key in\n"
     "input order: the row object, or null. A missing key does not change the exit code.\n\n"
     "examples:\n"
     "  fl-admin table lookup fluss.users --key '{\"id\": 1}'\n"
     "  printf '{\"id\":1}\\n{\"id\":2}\\n' | fl-admin table lookup fluss.users --format jsonl\n"},
    {"table", "lake", "[DB.]TABLE", 1, 1, fl_opts_none, fl_cmd_table_lake,
     "show the table's lake state: latest snapshot, tiered offsets, lag",
     "Shows the latest lake snapshot id, and per bucket the next offset to tier against the log\n"
     "end offset and the commit time of the last tiered record. The lag is the age of the oldest\n"
     "record not yet in the lake (0 when every record is tiered). A table without a lake\n"
     "snapshot fails with LAKE_SNAPSHOT_NOT_EXIST (53), exit code 1.\n"},
    {"partition", "create", "[DB.]TABLE KEY=VALUE[,KEY=VALUE]", 2, 2, fl_opts_if_not_exists,
     fl_cmd_part_create, "create a partition", NULL},
    {"partition", "list", "[DB.]TABLE [KEY=VALUE[,KEY=VALUE]]", 1, 2, fl_opts_none, fl_cmd_part_list,
     "list partitions, optionally only those matching a partial spec", NULL},
    {"partition", "drop", "[DB.]TABLE KEY=VALUE[,KEY=VALUE]", 2, 2, fl_opts_if_exists, fl_cmd_part_drop,
     "drop a partition", NULL},
};

static const fl_optdef_t fl_global_opts[] = {
    {"bootstrap-server", "HOST:PORT", false,
     "the server to talk to (default: $FL_BOOTSTRAP_SERVER, else " FL_ADMIN_DEFAULT_SERVER ")"},
    {"json", NULL, false, "print machine-readable JSON instead of text"},
    {"timeout", "SEC", false, "connect and per-request timeout in seconds (default 30)"},
    {"help", NULL, false, "show help (after a command: that command's help)"},
    {"version", NULL, false, "print the version"},
    {NULL},
};

static void fl_print_opts(FILE *f, const fl_optdef_t *opts) {
    for (const fl_optdef_t *o = opts; o->name; o++) {
        char head[128];
        snprintf(head, sizeof(head), "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        if (strlen(head) > 30) fprintf(f, "  %s\n  %-30s  %s\n", head, "", o->help);
        else fprintf(f, "  %-30s  %s\n", head, o->help);
    }
}

static void fl_help_global(FILE *f) {
    fputs("usage: fl-admin [--bootstrap-server HOST:PORT] [--json] [--timeout SEC] NOUN VERB [ARGS]\n"
          "\nAdminister a Fluss (fl-server) cluster over the Fluss wire protocol.\n\ncommands:\n", f);
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_cmds); i++) {
        char head[128];
        snprintf(head, sizeof(head), "%s %s %s", fl_cmds[i].noun, fl_cmds[i].verb, fl_cmds[i].args);
        if (strlen(head) > 40) fprintf(f, "  %s\n  %-40s  %s\n", head, "", fl_cmds[i].summary);
        else fprintf(f, "  %-40s  %s\n", head, fl_cmds[i].summary);
    }
    fputs("\nglobal options:\n", f);
    fl_print_opts(f, fl_global_opts);
    fputs("\nexit codes: 0 success, 1 the server answered with an error, 2 usage error,\n"
          "            3 cannot connect, connection lost or timeout\n"
          "\n'fl-admin NOUN VERB --help' describes one command; docs/cli.md describes them all.\n", f);
}

static void fl_help_noun(FILE *f, const char *noun) {
    fprintf(f, "usage: fl-admin [global options] %s VERB [ARGS]\n\nverbs:\n", noun);
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_cmds); i++)
        if (!strcmp(fl_cmds[i].noun, noun))
            fprintf(f, "  %-10s %-36s  %s\n", fl_cmds[i].verb, fl_cmds[i].args, fl_cmds[i].summary);
}

static void fl_help_cmd(FILE *f, const fl_cmd_t *c) {
    fprintf(f, "usage: fl-admin [global options] %s %s%s%s%s\n\n%s.\n", c->noun, c->verb,
            c->args[0] ? " " : "", c->args, c->opts[0].name ? " [OPTIONS]" : "", c->summary);
    if (c->help) fprintf(f, "\n%s", c->help);
    if (c->opts[0].name) {
        fputs("\noptions:\n", f);
        fl_print_opts(f, c->opts);
    }
}

static const fl_cmd_t *fl_find_cmd(const char *noun, const char *verb) {
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_cmds); i++)
        if (!strcmp(fl_cmds[i].noun, noun) && !strcmp(fl_cmds[i].verb, verb)) return &fl_cmds[i];
    return NULL;
}

static bool fl_known_noun(const char *noun) {
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_cmds); i++)
        if (!strcmp(fl_cmds[i].noun, noun)) return true;
    return false;
}

static const char *fl_verbs_of(fl_arena_t *a, const char *noun) {
    fl_strs_t v = {0};
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_cmds); i++)
        if (!strcmp(fl_cmds[i].noun, noun)) fl_strs_push(a, &v, fl_cmds[i].verb);
    return fl_fmt_strs(a, &v, "");
}

static const char *fl_nouns(fl_arena_t *a) {
    fl_strs_t v = {0};
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_cmds); i++)
        if (!fl_strs_has(&v, fl_cmds[i].noun)) fl_strs_push(a, &v, fl_cmds[i].noun);
    return fl_fmt_strs(a, &v, "");
}

static const fl_optdef_t *fl_find_opt(const fl_optdef_t *opts, const char *name, size_t len) {
    for (const fl_optdef_t *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len)) return o;
    return NULL;
}

/* ---- main --------------------------------------------------------------------------------- */

static int fl_admin_run(fl_ctx_t *ctx, int argc, char **argv) {
    const char *noun = NULL, *verb = NULL;
    bool help = false, version = false, end_opts = false;
    const char *timeout = NULL;
    ctx->pos = fl_arena_alloc(ctx->arena, (size_t)argc * sizeof(char *));
    ctx->opts = fl_arena_alloc(ctx->arena, (size_t)argc * sizeof(fl_optval_t));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (end_opts || a[0] != '-' || a[1] == '\0') {
            if (!noun) {
                noun = a;
                if (fl_known_noun(noun)) ctx->noun = noun;
            } else if (!verb) {
                verb = a;
                ctx->cmd = fl_find_cmd(noun, verb);
                if (!ctx->cmd) {
                    if (!fl_known_noun(noun))
                        return fl_usage(ctx, "unknown command '%s'; commands: %s", noun,
                                        fl_nouns(ctx->arena));
                    return fl_usage(ctx, "unknown verb '%s' for '%s'; expected one of: %s", verb, noun,
                                    fl_verbs_of(ctx->arena, noun));
                }
            } else ctx->pos[ctx->n_pos++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            end_opts = true;
            continue;
        }
        const char *name, *inline_val = NULL;
        size_t nlen;
        if (a[1] == '-') {
            name = a + 2;
            const char *eq = strchr(name, '=');
            nlen = eq ? (size_t)(eq - name) : strlen(name);
            if (eq) inline_val = eq + 1;
        } else if (!strcmp(a, "-h")) {
            name = "help";
            nlen = 4;
        } else if (!strcmp(a, "-b")) {
            name = "bootstrap-server";
            nlen = 16;
        } else {
            return fl_usage(ctx, "unknown option '%s'", a);
        }
        const fl_optdef_t *def = fl_find_opt(fl_global_opts, name, nlen);
        bool global = def != NULL;
        if (!def && ctx->cmd) def = fl_find_opt(ctx->cmd->opts, name, nlen);
        if (!def) {
            if (!ctx->cmd) {
                if (noun && !verb && fl_known_noun(noun))
                    return fl_usage(ctx, "option '--%.*s' must follow a verb (%s VERB ...)",
                                    (int)nlen, name, noun);
                for (size_t k = 0; k < FL_ARRAY_LEN(fl_cmds); k++)
                    if (fl_find_opt(fl_cmds[k].opts, name, nlen))
                        return fl_usage(ctx, "option '--%.*s' must follow its command (e.g. %s %s)",
                                        (int)nlen, name, fl_cmds[k].noun, fl_cmds[k].verb);
                return fl_usage(ctx, "unknown option '--%.*s'", (int)nlen, name);
            }
            return fl_usage(ctx, "unknown option '--%.*s' for '%s %s'", (int)nlen, name,
                            ctx->cmd->noun, ctx->cmd->verb);
        }
        const char *val = NULL;
        if (def->metavar) {
            if (inline_val) val = inline_val;
            else if (i + 1 < argc) val = argv[++i];
            else return fl_usage(ctx, "option '--%s' needs a value (%s)", def->name, def->metavar);
        } else if (inline_val) {
            return fl_usage(ctx, "option '--%s' takes no value", def->name);
        }
        if (global) {
            if (!strcmp(def->name, "bootstrap-server")) ctx->bootstrap = val;
            else if (!strcmp(def->name, "json")) ctx->json = true;
            else if (!strcmp(def->name, "timeout")) timeout = val;
            else if (!strcmp(def->name, "help")) help = true;
            else if (!strcmp(def->name, "version")) version = true;
            continue;
        }
        if (!def->repeat)
            for (int k = 0; k < ctx->n_opts; k++)
                if (ctx->opts[k].def == def)
                    return fl_usage(ctx, "option '--%s' is given twice", def->name);
        ctx->opts[ctx->n_opts].def = def;
        ctx->opts[ctx->n_opts++].value = val;
    }
    if (help) {
        if (ctx->cmd) fl_help_cmd(stdout, ctx->cmd);
        else if (noun && fl_known_noun(noun)) fl_help_noun(stdout, noun);
        else if (noun)
            return fl_usage(ctx, "unknown command '%s'; commands: %s", noun, fl_nouns(ctx->arena));
        else fl_help_global(stdout);
        return FL_EXIT_OK;
    }
    if (version) {
        printf("fl-admin %s (Apache Fluss 0.9.1 wire protocol)\n", FL_ADMIN_VERSION);
        return FL_EXIT_OK;
    }
    if (!noun) return fl_usage(ctx, "no command given; commands: %s", fl_nouns(ctx->arena));
    if (!ctx->cmd) {
        if (!fl_known_noun(noun))
            return fl_usage(ctx, "unknown command '%s'; commands: %s", noun, fl_nouns(ctx->arena));
        return fl_usage(ctx, "'%s' needs a verb: %s", noun, fl_verbs_of(ctx->arena, noun));
    }
    if (ctx->n_pos < ctx->cmd->min_args || ctx->n_pos > ctx->cmd->max_args) {
        if (ctx->n_pos < ctx->cmd->min_args)
            return fl_usage(ctx, "'%s %s' needs %s", ctx->cmd->noun, ctx->cmd->verb, ctx->cmd->args);
        return fl_usage(ctx, "unexpected argument '%s' for '%s %s' (it takes %s)",
                        ctx->pos[ctx->cmd->max_args], ctx->cmd->noun, ctx->cmd->verb,
                        ctx->cmd->args[0] ? ctx->cmd->args : "no arguments");
    }
    for (int i = 0; i < ctx->n_pos; i++)
        if (!ctx->pos[i][0]) return fl_usage(ctx, "argument %d is empty", i + 1);
    if (timeout) {
        char *end;
        errno = 0;
        double s = strtod(timeout, &end);
        if (!*timeout || *end || errno || !(s > 0) || s > 86400)
            return fl_usage(ctx, "--timeout must be a number of seconds in (0, 86400], not '%s'", timeout);
        ctx->timeout_ms = (int)(s * 1000);
        if (ctx->timeout_ms < 1) ctx->timeout_ms = 1;
    }
    if (!ctx->bootstrap) ctx->bootstrap = getenv("FL_BOOTSTRAP_SERVER");
    if (!ctx->bootstrap || !ctx->bootstrap[0]) ctx->bootstrap = FL_ADMIN_DEFAULT_SERVER;
    char host[256], why[300];
    int port;
    if (fl_client_parse_addr(ctx->bootstrap, host, sizeof(host), &port, why, sizeof(why)))
        return fl_usage(ctx, "bad --bootstrap-server: %s", why);
    return ctx->cmd->run(ctx);
}

int main(int argc, char **argv) {
    fl_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.timeout_ms = FL_ADMIN_DEFAULT_TIMEOUT_MS;
    ctx.arena = fl_arena_new(0);
    ctx.cl.fd = -1;
    int rc = fl_admin_run(&ctx, argc, argv);
    fl_client_close(&ctx.cl); /* also after a failed open, which still owns its buffer */
    fl_arena_destroy(ctx.arena);
    fflush(stdout);
    return rc;
}
