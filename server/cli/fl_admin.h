/* fl_admin.h: what fl-admin's command files share (internal to server/cli/): the run context,
 * option access, messages and exit codes, server calls and text tables. fl_admin.c holds the
 * command table, the option parser and the catalog commands; fl_admin_log.c the log commands
 * (table produce, table scan); fl_admin_kv.c the primary-key and lake commands (table upsert,
 * delete, lookup, lake). */
#ifndef FL_ADMIN_H
#define FL_ADMIN_H

#include <jansson.h>

#include "fl_client.h"
#include "fl_rows.h"
#include "fl_tabledesc.h"

enum {
    FL_EXIT_OK = 0,
    FL_EXIT_SERVER = 1,  /* the server answered with an error */
    FL_EXIT_USAGE = 2,   /* the command line (or a table spec, or produce input) is wrong */
    FL_EXIT_CONNECT = 3, /* cannot connect, connection lost, timeout, unreadable answer */
};

/* ---- commands and options ----------------------------------------------------------------- */

typedef struct fl_optdef_s {
    const char *name;    /* without the leading "--" */
    const char *metavar; /* NULL: a flag without a value */
    bool repeat;         /* may be given more than once */
    const char *help;
} fl_optdef_t;

typedef struct fl_optval_s {
    const fl_optdef_t *def;
    const char *value; /* NULL for flags */
} fl_optval_t;

typedef struct fl_ctx_s fl_ctx_t;
typedef int(fl_cmd_cb)(fl_ctx_t *ctx);

typedef struct fl_cmd_s {
    const char *noun;
    const char *verb;
    const char *args; /* synopsis of the positional arguments */
    int min_args, max_args;
    const fl_optdef_t *opts; /* ends with {NULL} */
    fl_cmd_cb *run;
    const char *summary;
    const char *help; /* more lines for `--help`, or NULL */
} fl_cmd_t;

struct fl_ctx_s {
    const fl_cmd_t *cmd;
    const char *noun;      /* a known noun, once seen (for usage hints) */
    const char *bootstrap; /* host:port */
    bool json;
    int timeout_ms;
    const char **pos; /* positional arguments after NOUN VERB */
    int n_pos;
    fl_optval_t *opts;
    int n_opts;
    fl_arena_t *arena; /* everything of this run */
    fl_client_t cl;    /* to the bootstrap server */
    bool connected;
};

/* ---- messages and options ----------------------------------------------------------------- */

/** @brief "error: ..." and a --help hint on stderr. @returns FL_EXIT_USAGE. */
int fl_usage(const fl_ctx_t *ctx, const char *fmt, ...) FL_PRINTF(2, 3);
/** @brief Report a failed call on ctx->cl. @returns FL_EXIT_SERVER or FL_EXIT_CONNECT. */
int fl_report(fl_ctx_t *ctx, fl_err_t err);
/** @returns the last value of option name ("" for a flag), NULL when absent. */
const char *fl_opt(const fl_ctx_t *ctx, const char *name);
bool fl_flag(const fl_ctx_t *ctx, const char *name);
/** @brief "db.table" or "table" (database "fluss"). */
void fl_split_path(fl_arena_t *a, const char *s, const char **db, const char **table);

/* ---- server calls ------------------------------------------------------------------------- */

#define FL_RESP(stem) (&fluss__##stem##_response__descriptor)

/** @brief A call to the bootstrap server (connecting on first use), decoded into ctx->arena. */
fl_err_t fl_call(fl_ctx_t *ctx, int16_t key, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *desc, void *resp);
Fluss__PbTablePath *fl_pb_path(fl_arena_t *a, const char *db, const char *table);
fl_err_t fl_list_partitions(fl_ctx_t *ctx, const char *db, const char *table,
                            Fluss__PbPartitionSpec *filter, Fluss__ListPartitionInfosResponse **out);
/** @returns the partition name (values in partition-key order joined by '$'). */
const char *fl_part_name(fl_arena_t *a, const Fluss__PbPartitionSpec *ps);
/** @returns the tablet server with that id in a metadata response, or NULL. */
const Fluss__PbServerNode *fl_node(const Fluss__MetadataResponse *m, int32_t id);

/* ---- output ------------------------------------------------------------------------------- */

/** @brief Print root indented and free it. */
void fl_json_print(json_t *root);

/* A text table: a header row and rows of cells, columns padded to their widest cell. */
typedef struct fl_grid_s {
    fl_arena_t *a;
    size_t ncols;
    const char **cells; /* row-major, row 0 = header */
    size_t nrows, cap;
} fl_grid_t;

void fl_grid_init(fl_grid_t *g, fl_arena_t *a, size_t ncols, const char *const *header);
void fl_grid_row(fl_grid_t *g, const char *const *vals);
/** @brief Print the grid; empty (when not NULL) is printed when there are no rows. */
void fl_grid_print(const fl_grid_t *g, const char *indent, const char *empty);

#define FL_GRID_ROW(g, ...)                                                                     \
    do {                                                                                        \
        const char *row_[] = {__VA_ARGS__};                                                     \
        fl_grid_row((g), row_);                                                                 \
    } while (0)

/* ---- bucket leaders (fl_admin_log.c; used by the log and the kv commands) ------------------ */

/* Open connections to leaders, by "host:port". */
typedef struct fl_pool_s {
    fl_client_t **cl;
    size_t n, cap;
} fl_pool_t;

/* The connection to addr, opened on first use (or reopened after a local error); *err says
 * whether it is usable. */
fl_client_t *fl_pool_get(fl_ctx_t *ctx, fl_pool_t *pool, const char *addr, fl_err_t *err);
void fl_pool_close(fl_pool_t *pool);
/* Reports a failed call on a leader connection: exit 1 for a server error, 3 otherwise. */
int fl_report_cl(const fl_client_t *cl, fl_err_t err);
/* Reports a per-bucket error of a response (exit 1). */
int fl_bucket_error(const char *path, const char *pname, int32_t bucket, int32_t code,
                    const char *msg);

/* The leader of every bucket of a table or of one of its partitions. */
typedef struct fl_route_s {
    int64_t pid;                      /* -1: not partitioned */
    const char *pname;                /* NULL: not partitioned */
    int32_t n;
    const char **leader;              /* "host:port" per bucket, NULL = no leader */
} fl_route_t;

/* GetMetadata for table db.name (path "db.name", id table_id, n_buckets from its descriptor or
 * -1) when pname is NULL, or for its partition pid/pname: fills r. @returns an exit code. */
int fl_route_load(fl_ctx_t *ctx, const char *db, const char *name, const char *path,
                  int64_t table_id, int32_t n_buckets, int64_t pid, const char *pname,
                  fl_route_t *r);
/* The id of the partition named pname among parts (pnames[i] names parts' i-th), or -1. */
int64_t fl_part_id(const Fluss__ListPartitionInfosResponse *parts, const char *const *pnames,
                   const char *pname);

/* ---- table descriptors (fl_admin_log.c; used by the log and the kv commands) --------------- */

/* GetTableInfo of "db.table" (or "table") and its parsed descriptor. @returns an exit code. */
int fl_table_info_load(fl_ctx_t *ctx, const char *arg, const char **db, const char **name,
                       const char **path, int64_t *table_id, int32_t *schema_id,
                       fl_table_desc_t *desc);
/* The partitions of db.name and their names (pnames[i] for parts' i-th). @returns an exit code. */
int fl_table_parts_load(fl_ctx_t *ctx, const char *db, const char *name,
                        Fluss__ListPartitionInfosResponse **parts, const char ***pnames);

/* ---- options shared by the row commands ---------------------------------------------------- */

/* A decimal in [lo, hi]. */
bool fl_parse_count(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* --binary base64|hex into o->hex_binary. @returns an exit code. */
int fl_binary_opt(fl_ctx_t *ctx, fl_rowopts_t *o);

/* ---- log commands (fl_admin_log.c) -------------------------------------------------------- */

extern const fl_optdef_t fl_opts_table_produce[];
extern const fl_optdef_t fl_opts_table_scan[];
int fl_cmd_table_produce(fl_ctx_t *ctx);
int fl_cmd_table_scan(fl_ctx_t *ctx);

/* ---- primary-key and lake commands (fl_admin_kv.c) ---------------------------------------- */

extern const fl_optdef_t fl_opts_table_upsert[];
extern const fl_optdef_t fl_opts_table_delete[];
extern const fl_optdef_t fl_opts_table_lookup[];
int fl_cmd_table_upsert(fl_ctx_t *ctx);
int fl_cmd_table_delete(fl_ctx_t *ctx);
int fl_cmd_table_lookup(fl_ctx_t *ctx);
int fl_cmd_table_lake(fl_ctx_t *ctx);

#endif
