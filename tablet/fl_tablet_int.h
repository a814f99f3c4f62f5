/* fl_tablet_int.h: what tablet/ files share among themselves (not included elsewhere). */
#ifndef FL_TABLET_INT_H
#define FL_TABLET_INT_H

#include "fl_kvstore.h"
#include "fl_tablet.h"

typedef struct fl_kvpending_s fl_kvpending_t;

/* Aggregate functions of the aggregation merge engine (Fluss AggFunctionType). */
typedef enum fl_agg_fn_e {
    FL_AGG_LAST_VALUE_IGNORE_NULLS = 0, /* the default for a column without agg_function */
    FL_AGG_LAST_VALUE,                  /* also every primary-key column */
    FL_AGG_FIRST_VALUE,
    FL_AGG_FIRST_VALUE_IGNORE_NULLS,
    FL_AGG_SUM,
    FL_AGG_PRODUCT,
    FL_AGG_MAX,
    FL_AGG_MIN,
    FL_AGG_LISTAGG,                     /* and its alias string_agg */
    FL_AGG_BOOL_AND,
    FL_AGG_BOOL_OR,
    FL_AGG_RBM32,                       /* union of serialized RoaringBitmaps (BYTES) */
    FL_AGG_RBM64,                       /* union of serialized Roaring64Bitmaps (BYTES) */
} fl_agg_fn_t;

typedef struct fl_table_ref_s {
    fl_tablet_table_info_t info; /* row_type copied into arena; cols not kept */
    uint8_t *agg_fn;             /* aggregation merge engine: fl_agg_fn_t per column */
    const char **agg_delim;      /* listagg delimiter per column */
    fl_arena_t *arena;
    int refs;
} fl_table_ref_t;

struct fl_replica_s {
    int64_t table_id;
    int64_t partition_id;      /* -1 when not partitioned */
    int32_t bucket;
    int32_t leader_epoch;
    fl_table_ref_t *table;     /* shared by the table's replicas */
    fl_logstore_t *log;
    fl_writers_t *writers;
    char dir[512];
    bool dirty;                /* appended since the last commit */
    int64_t last_checkpoint_ms;
    int64_t last_retention_ms;
    /* primary-key buckets */
    fl_kvstore_t *kv;          /* RocksDB index, NULL for log tables */
    fl_kvpending_t *pending;   /* changes whose changelog is not committed yet */
    char kv_dir[600];
};

struct fl_tablet_s {
    fl_tablet_conf_t conf;
    char data_dir[512];
    int32_t server_id;
    fl_replica_t **replicas;   /* sorted by (table, partition, bucket) */
    size_t n, cap;
    int64_t last_writer_ms;
    int64_t writer_counter;
    fl_logio_t *io;            /* write-behind threads (conf.write_behind), or NULL */
};

/* fl_kv.c */
struct fl_logbatch_s;
/** @brief Decode a stored log batch of the table into rows and change types (arena). */
fl_err_t fl_tablet_decode_batch(const fl_tablet_table_info_t *ti, fl_arena_t *a,
                                const struct fl_logbatch_s *b, fl_datum_t ***rows,
                                uint8_t **types, size_t *n);
/** @brief Open the KV index of a primary-key bucket and replay the changelog it lacks. */
fl_err_t fl_kv_open(fl_tablet_t *tb, fl_replica_t *r, const char **why);
/** @brief Move staged changes below the high watermark into RocksDB. */
fl_err_t fl_kv_commit(fl_replica_t *r);
/** @brief Close (commit what can be) or destroy the KV index. */
void fl_kv_close(fl_replica_t *r, bool delete_data);
/** @brief Periodic: flush RocksDB memtables (bounds replay after a power loss). */
void fl_kv_checkpoint(fl_replica_t *r);

#endif
