/* fl_tablet.h: the tablet server's buckets (replicas): their logs, writer state, appends,
 * reads, offsets, group commit and retention.
 *
 * Bucket state machine (per replica; the server layer drives it from metadata):
 *
 *   (absent) --fl_tablet_lead()--> LEADER --fl_tablet_drop_table()--> (absent, data deleted)
 *
 * Only leaders exist so far (replication factor > 1 places followers that do not replicate yet;
 * see docs/architecture.md). A replica's log lives in <data.dir>/tablet/<table id>/<bucket>
 * or <data.dir>/tablet/<table id>/p<partition id>-<bucket>.
 *
 * Durability and visibility (group commit, STYLE.md 10):
 *   appends get their offsets at once and go to the page cache at once (or, with
 *   conf.write_behind, on the tablet's writer thread); fl_tablet_commit(), called once per
 *   event-loop iteration, applies finished writes and syncs, starts an fsync of every log whose
 *   flush policy asks for it (on the sync thread with write_behind, else inline) and moves each
 *   high watermark up to what may be read: the flushed offset under the per-batch policy, the
 *   written offset otherwise (never past bytes not yet written). Acknowledgements that need
 *   durability wait for that commit. Readers see data only below the high watermark.
 *   With write_behind, the owner of the event loop watches fl_tablet_io_fd() so that the loop
 *   comes round (and fl_tablet_commit runs) when a write or sync finishes. */
#ifndef FL_TABLET_H
#define FL_TABLET_H

#include "fl_arena.h"
#include "fl_logstore.h"
#include "fl_types.h"
#include "fl_writers.h"

typedef enum fl_log_format_e {
    FL_LOG_ARROW = 0,
    FL_LOG_INDEXED = 1,
    FL_LOG_COMPACTED = 2,
} fl_log_format_t;

typedef enum fl_merge_engine_e {
    FL_MERGE_DEFAULT = 0,     /* last row wins (partial updates by target columns) */
    FL_MERGE_FIRST_ROW,
    FL_MERGE_VERSIONED,
    FL_MERGE_AGGREGATION,
} fl_merge_engine_t;

typedef enum fl_delete_behavior_e {
    FL_DELETE_ALLOW = 0,
    FL_DELETE_IGNORE,
    FL_DELETE_DISABLE,
} fl_delete_behavior_t;

/* What the tablet needs to know about a table; the server layer fills it from the catalog. */
typedef struct fl_tablet_table_info_s {
    int64_t table_id;
    int32_t schema_id;        /* latest */
    fl_log_format_t log_format;
    bool has_primary_key;
    int64_t ttl_ms;           /* table.log.ttl; <= 0: keep forever */
    const fl_type_t *row_type; /* ROW of the columns (copied) */
    /* log format details */
    int arrow_codec;          /* fl_arrow_codec_t: table.log.arrow.compression.type */
    int arrow_level;          /* table.log.arrow.compression.zstd.level */
    /* primary-key tables */
    int kv_format;            /* fl_row_format_t: table.kv.format */
    int key_encoder;          /* fl_keyenc_kind_t for the primary key */
    uint32_t n_pk;            /* physical primary key (PK minus partition keys) */
    uint32_t pk_idx[16];      /* column indexes */
    fl_merge_engine_t merge_engine;
    int32_t version_col;      /* versioned: column index */
    fl_delete_behavior_t delete_behavior;
    bool changelog_wal;       /* table.changelog.image = WAL */
    const struct fl_column_s *cols; /* schema columns (agg_function); read only by
                                     * fl_tablet_lead, which keeps what it needs */
} fl_tablet_table_info_t;

typedef struct fl_kvenv_s fl_kvenv_t;

typedef struct fl_tablet_conf_s {
    const char *data_dir;
    fl_kvenv_t *kvenv;             /* shared RocksDB resources (may be NULL: no KV tables) */
    fl_logstore_conf_t log;
    int64_t writer_expire_ms;      /* server.writer-id.expiration-time */
    int64_t checkpoint_interval_ms; /* recovery point + writer snapshot */
    int64_t retention_check_ms;
    bool write_behind;             /* segment writes and fsyncs on the tablet's I/O threads */
} fl_tablet_conf_t;

typedef struct fl_tablet_s fl_tablet_t;
typedef struct fl_replica_s fl_replica_t;

fl_tablet_t *fl_tablet_new(const fl_tablet_conf_t *conf, int32_t server_id);
/** @brief Flush and checkpoint every log, free everything. */
void fl_tablet_free(fl_tablet_t *tablet);
/** @returns the fd to watch for readability (finished write-behind jobs), or -1 without
 *  write_behind. fl_tablet_commit() consumes the readiness. */
int fl_tablet_io_fd(const fl_tablet_t *tablet);

/** @brief Become (or stay) leader of a bucket: opens (recovering) its log on first use.
 *  @returns the replica, or NULL with *err / *why when its log cannot be opened. */
fl_replica_t *fl_tablet_lead(fl_tablet_t *tablet, const fl_tablet_table_info_t *info,
                             int64_t partition_id, int32_t bucket, int32_t leader_epoch,
                             fl_err_t *err /* OUT */, const char **why /* OUT */);
/** @returns the replica or NULL. partition_id -1 for non-partitioned tables. */
fl_replica_t *fl_tablet_replica(fl_tablet_t *tablet, int64_t table_id, int64_t partition_id,
                                int32_t bucket);
/** @brief Close and delete every replica of a table (dropped). */
void fl_tablet_drop_table(fl_tablet_t *tablet, int64_t table_id);
/** @brief Close and delete the replicas of one partition (dropped). */
void fl_tablet_drop_partition(fl_tablet_t *tablet, int64_t table_id, int64_t partition_id);
/** @brief Drop every replica whose table (or partition) exists() denies. @returns how many. */
typedef bool (fl_tablet_exists_cb)(int64_t table_id, int64_t partition_id, void *arg);
size_t fl_tablet_retain(fl_tablet_t *tablet, fl_tablet_exists_cb *exists, void *arg);

/* ---- append --------------------------------------------------------------------------- */

typedef struct fl_append_result_s {
    fl_err_t err;
    const char *why;          /* arena string when err */
    int64_t base_offset;      /* of the first batch (original offsets for a duplicate) */
    int64_t next_offset;      /* log end offset after it: what durability waits for */
    bool duplicate;           /* a retry of batches already appended: nothing was written */
} fl_append_result_t;

/** @brief Validate (size, CRC, writer sequence) and append a records blob (one or more whole
 *  batches). Nothing of it is stored when anything is invalid. Offsets are assigned at the
 *  call (res). records may be freed when this returns (with write_behind the bytes are
 *  copied for the writer thread); it is stamped in place unless copied. */
void fl_replica_append(fl_replica_t *r, fl_arena_t *a, uint8_t *records, size_t len,
                       int64_t now_ms, fl_append_result_t *res /* OUT */);
/** @brief fl_replica_append without the copy: records is stamped in place and written from
 *  where it is, so the caller keeps it valid and unchanged until the write settled: until
 *  fl_replica_high_watermark() >= res->next_offset, or, once fl_replica_failed(), until
 *  fl_replica_writes_pending() is false. (A duplicate or a refused append writes nothing.) */
void fl_replica_append_inplace(fl_replica_t *r, fl_arena_t *a, uint8_t *records, size_t len,
                               int64_t now_ms, fl_append_result_t *res /* OUT */);
/** @returns true while write-behind work of the replica's log is not finished. */
bool fl_replica_writes_pending(const fl_replica_t *r);

/** @brief Group commit: apply finished writes and syncs, start the syncs the flush policies
 *  ask for, advance high watermarks, checkpoint and apply retention when due. Call once per
 *  loop iteration. @returns true when some high watermark moved (wake waiting fetches). */
bool fl_tablet_commit(fl_tablet_t *tablet, int64_t now_ms);
/** @brief fl_tablet_commit after waiting for every write-behind job, with the syncs the flush
 *  policies ask for done inline: afterwards every appended batch is written and, where the
 *  policy asks, flushed and visible (shutdown, dropping tables). Blocks. */
bool fl_tablet_commit_wait(fl_tablet_t *tablet, int64_t now_ms);

/* ---- reads ------------------------------------------------------------------------------ */

int64_t fl_replica_high_watermark(const fl_replica_t *r);
int64_t fl_replica_start_offset(const fl_replica_t *r);
int64_t fl_replica_end_offset(const fl_replica_t *r);
fl_logstore_t *fl_replica_log(fl_replica_t *r);
const fl_tablet_table_info_t *fl_replica_table(const fl_replica_t *r);
bool fl_replica_failed(const fl_replica_t *r);

/** @brief Offset lookup for ListOffsets: type 0 earliest, 1 latest (high watermark), 2 the
 *  first batch with commit timestamp >= ts. */
fl_err_t fl_replica_list_offset(fl_replica_t *r, int type, int64_t ts, int64_t *offset /* OUT */);

/* ---- primary-key buckets (fl_kv.c) ------------------------------------------------------- */

typedef struct fl_put_result_s {
    fl_err_t err;
    const char *why;
    int64_t next_offset;      /* log end offset after the changelog batch */
    bool duplicate;
} fl_put_result_t;

/* PutKvRequest.agg_mode (Fluss MergeMode): 0 DEFAULT merges through the table's merge engine;
 * 1 OVERWRITE replaces the stored row (undo of a Flink failover); other values mean DEFAULT. */
#define FL_KV_MERGE_MODE_DEFAULT 0
#define FL_KV_MERGE_MODE_OVERWRITE 1

/** @brief Apply a KvRecordBatch: merge each record with the stored row, append the changelog
 *  batch (+I, -U/+U, -D) to the bucket's log in the table's log format, and stage the new
 *  values; they become visible to the KV index when the changelog is committed.
 *  @param target_cols partial update: column indexes to take from the new row (NULL = all).
 *  @param agg_mode FL_KV_MERGE_MODE_*. */
void fl_replica_put_kv(fl_replica_t *r, fl_arena_t *a, const uint8_t *batch, size_t len,
                       const int32_t *target_cols, size_t n_target, int32_t agg_mode,
                       int64_t now_ms, fl_put_result_t *res /* OUT */);
/** One key's answer from fl_replica_lookup: the stored value (schema id + row), or val NULL
 *  when the key is absent; the view is valid only during the call. */
typedef void (fl_replica_lookup_cb)(void *arg, size_t i, const uint8_t *val, size_t vlen);
/** @brief Look n keys up (staged values first, the others in one batched RocksDB read); cb is
 *  called once per key, in no particular order, with i = the key's index.
 *  @returns FL_ERR_NONE or a storage error. */
fl_err_t fl_replica_lookup(fl_replica_t *r, size_t n, const uint8_t *const *keys,
                           const size_t *klens, fl_replica_lookup_cb *cb, void *arg);
/** @brief Every stored value whose key starts with prefix (staged values included). */
typedef bool (fl_replica_value_cb)(const uint8_t *key, size_t klen, const uint8_t *val,
                                   size_t vlen, void *arg);
fl_err_t fl_replica_prefix_scan(fl_replica_t *r, const uint8_t *prefix, size_t plen,
                                fl_replica_value_cb *cb, void *arg);

/** @returns a fresh idempotent writer id, unique across restarts and tablet servers. */
int64_t fl_tablet_new_writer_id(fl_tablet_t *tablet, int64_t now_ms);

size_t fl_tablet_replica_count(const fl_tablet_t *tablet);

#endif
