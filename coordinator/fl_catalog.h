/* fl_catalog.h: databases, tables, schemas and partitions: the coordinator's source of truth.
 *
 * State lives in memory (owned by the loop thread) and every change is written through to the
 * metadata store (storage/fl_metastore.h) in one atomic, synced batch before it becomes
 * visible, so a kill -9 at any point leaves either the old or the new state. Ids (tables,
 * partitions) come from counters stored in the same batch as the object that takes the id, so
 * they are never reused.
 *
 * Store layout (keys -> values):
 *   db/<name>                       {"version":1,"descriptor":{db json},"created_time","modified_time"}
 *   table/<id>                      {"version":1,"database","table","schema_id","descriptor":{table json},
 *                                    "created_time","modified_time"}
 *   schema/<table id>/<schema id>   schema json
 *   partition/<table id>/<part id>  {"version":1,"name","created_time","replicas":[[..],..]}
 *   (tables carry "replicas" too when not partitioned)
 *   seq/table_id, seq/partition_id  next id, decimal
 *   lake/<table id>                 {"version":1,"snapshot_id":S,"offsets":[{"partition_id","bucket",
 *                                    "offset","max_ts"},...]}
 *   tiering/coordinator_epoch       decimal; written by coordinator/fl_tiermgr.c, not the catalog */
#ifndef FL_CATALOG_H
#define FL_CATALOG_H

#include "fl_arena.h"
#include "fl_config.h"
#include "fl_metastore.h"
#include "fl_tabledesc.h"

typedef struct fl_catalog_s fl_catalog_t;

typedef struct fl_catalog_opts_s {
    int32_t default_bucket_number;      /* default.bucket.number */
    int32_t default_replication_factor; /* default.replication.factor */
    const char *datalake_format;        /* datalake.format, lower case, NULL when none */
    int32_t max_partition_num;          /* max.partition.num */
    int32_t max_bucket_num;             /* max.bucket.num */
    bool allow_log_tables;              /* allow.create.log.tables */
    bool allow_kv_tables;               /* allow.create.kv.tables */
} fl_catalog_opts_t;

/* Replica assignment of a table's (or a partition's) buckets: replicas[b * rf + i] is the i-th
 * replica of bucket b; the first live replica leads. Fixed at creation and stored. */
typedef struct fl_assignment_s {
    int32_t *replicas;    /* bucket_count * rf server ids, in the owning arena */
    int32_t rf;
} fl_assignment_t;

typedef struct fl_partition_s {
    int64_t id;
    const char *name;     /* values joined by '$' in partition-key order */
    int64_t created_ms;
    fl_assignment_t assign;
} fl_partition_t;

typedef struct fl_schema_ver_s {
    int32_t id;
    fl_schema_t schema;
} fl_schema_ver_t;

/* How far a lake-enabled table is tiered: the lake snapshot and, per bucket, the first log
 * offset not in it (exclusive end). */
typedef struct fl_lake_offset_s {
    int64_t partition_id;     /* -1 when not partitioned */
    int32_t bucket;
    int64_t offset;
    int64_t max_ts;           /* largest commit timestamp tiered, -1 unknown */
} fl_lake_offset_t;

typedef struct fl_lake_state_s {
    int64_t snapshot_id;      /* -1: none yet */
    fl_lake_offset_t *offsets; /* fl_malloc'd */
    size_t n;
    int64_t updated_ms;
} fl_lake_state_t;

typedef struct fl_table_s {
    int64_t id;
    const char *db;
    const char *name;
    fl_arena_t *arena;        /* owns everything below */
    fl_table_desc_t desc;     /* as stored: system defaults applied, latest schema */
    int32_t schema_id;        /* latest */
    fl_schema_ver_t *schemas; /* every schema version, ascending */
    size_t n_schemas;
    int64_t created_ms, modified_ms;
    fl_partition_t *parts;    /* ascending id */
    size_t n_parts, cap_parts;
    fl_assignment_t assign;   /* non-partitioned tables only */
    fl_lake_state_t lake;     /* lake-enabled tables */
} fl_table_t;

typedef struct fl_database_s {
    const char *name;
    fl_arena_t *arena;
    fl_db_desc_t desc;
    int64_t created_ms, modified_ms;
} fl_database_t;

/** @brief Load the catalog from the store; create database "fluss" when there is none.
 *  @returns NULL with *why set on failure (unreadable or corrupt store). */
fl_catalog_t *fl_catalog_open(fl_metastore_t *ms, const fl_catalog_opts_t *opts,
                              const char **why /* OUT */);
void fl_catalog_free(fl_catalog_t *cat);

/** @brief Tell the catalog which tablet servers are alive (ascending ids): new tables and
 *  partitions get replicas among them. */
void fl_catalog_set_servers(fl_catalog_t *cat, const int32_t *ids, size_t n);

/* Every operation returns FL_ERR_NONE or the Fluss error code with *why (arena string). */

fl_err_t fl_catalog_create_database(fl_catalog_t *cat, fl_arena_t *a, const char *name,
                                    const void *json, size_t json_len, bool ignore_if_exists,
                                    const char **why);
fl_err_t fl_catalog_drop_database(fl_catalog_t *cat, fl_arena_t *a, const char *name,
                                  bool ignore_if_not_exists, bool cascade, const char **why);
const fl_database_t *fl_catalog_database(const fl_catalog_t *cat, const char *name);
size_t fl_catalog_database_count(const fl_catalog_t *cat);
const fl_database_t *fl_catalog_database_at(const fl_catalog_t *cat, size_t i); /* name order */
size_t fl_catalog_table_count_in(const fl_catalog_t *cat, const char *db);

fl_err_t fl_catalog_create_table(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                 const char *name, const void *json, size_t json_len,
                                 bool ignore_if_exists, const char **why);
fl_err_t fl_catalog_drop_table(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                               const char *name, bool ignore_if_not_exists, const char **why);
/** @returns the table, or NULL (and, when why != NULL, TABLE_NOT_EXIST's message). */
const fl_table_t *fl_catalog_table(const fl_catalog_t *cat, const char *db, const char *name);
const fl_table_t *fl_catalog_table_by_id(const fl_catalog_t *cat, int64_t id);
/** @brief Tables of db in name order: call with i = 0, 1, ... until NULL. */
const fl_table_t *fl_catalog_table_in(const fl_catalog_t *cat, const char *db, size_t i);
const fl_schema_t *fl_catalog_schema(const fl_table_t *t, int32_t schema_id);

/* AlterTable property changes (PbAlterConfig). op: 0 SET, 1 DELETE (2 APPEND, 3 SUBTRACT are
 * refused as Fluss does for table options). */
typedef struct fl_alter_s {
    const char *key;
    const char *value; /* NULL for DELETE */
    int32_t op;
} fl_alter_t;
fl_err_t fl_catalog_alter_table(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                const char *name, const fl_alter_t *changes, size_t n,
                                bool ignore_if_not_exists, const char **why);

/* Partitions: spec as key/value pairs (any order). */
fl_err_t fl_catalog_create_partition(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                     const char *name, const fl_kvs_t *spec,
                                     bool ignore_if_exists, const char **why);
fl_err_t fl_catalog_drop_partition(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                   const char *name, const fl_kvs_t *spec,
                                   bool ignore_if_not_exists, const char **why);
const fl_partition_t *fl_catalog_partition(const fl_table_t *t, const char *partition_name);
const fl_partition_t *fl_catalog_partition_by_id(const fl_catalog_t *cat, int64_t id,
                                                 const fl_table_t **table /* OUT */);

/** @brief Create the partitions auto-partitioning wants now (num-precreate ahead of now_ms)
 *  and drop the expired ones (beyond num-retention), for every auto-partitioned table.
 *  @returns the number of partitions created plus dropped. */
int fl_catalog_auto_partition(fl_catalog_t *cat, int64_t now_ms);

/** @brief Record a committed lake snapshot of a table: its id and the new per-bucket tiered
 *  offsets, merged over the previous ones (new values win). snapshot_id -1 keeps the current
 *  snapshot and only moves offsets (a round that tiered only empty batches). */
fl_err_t fl_catalog_lake_commit(fl_catalog_t *cat, fl_arena_t *a, int64_t table_id,
                                int64_t snapshot_id, const fl_lake_offset_t *offsets, size_t n,
                                const char **why);
/** @returns the tiered offset of a bucket, or 0 when it was never tiered. */
int64_t fl_catalog_lake_offset(const fl_table_t *t, int64_t partition_id, int32_t bucket);

/** @brief Split a partition name back into values (for the spec of PbPartitionInfo). */
size_t fl_partition_values(fl_arena_t *a, const char *name, const char ***values /* OUT */);

/** @brief The table JSON to return to clients (GetTableInfo, metadata): the stored
 *  descriptor, plus table.datalake.<fmt>.* from the server's datalake.<fmt>.* keys for
 *  lake-enabled tables (without keys naming a password or secret). */
void fl_catalog_table_json(const fl_catalog_t *cat, const fl_config_t *conf, const fl_table_t *t,
                           fl_buf_t *out);

/** @brief Check a database or table name as Fluss's TablePath does.
 *  @returns NULL when valid, else the reason. */
const char *fl_catalog_invalid_name(fl_arena_t *a, const char *name);

#endif
