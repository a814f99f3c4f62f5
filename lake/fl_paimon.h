/* fl_paimon.h: the Apache Paimon 1.3.1 table layout the tiering thread writes, exactly as
 * Fluss 0.9.1's tiering service (fluss-lake-paimon) would (lake-paimon.md sections 1, 2, 4).
 *
 * On disk, under <warehouse>/<db>.db/<table>/ (filesystem catalog):
 *
 *   schema/schema-0                 JSON (Jackson pretty print): version 3, fields = user columns
 *                                   + __bucket INT, __offset BIGINT, __timestamp
 *                                   TIMESTAMP(3) WITH LOCAL TIME ZONE; partitionKeys,
 *                                   primaryKeys, options (bucket, bucket-key,
 *                                   changelog-producer=input for PK tables,
 *                                   partition.legacy-name=false, fluss.<k> / paimon.<x> -> <x>)
 *   [k1=v1/...]bucket-<b>/data-<uuid>-<n>.parquet       data files (level 0)
 *   [k1=v1/...]bucket-<b>/changelog-<uuid>-<n>.parquet  PK tables: every input record
 *   manifest/manifest-<uuid>-<n>    Avro: one ADD entry per data (or changelog) file
 *   manifest/manifest-list-<uuid>-<n>  Avro: manifest file metas (base / delta / changelog)
 *   snapshot/snapshot-<N>           JSON: version 3, lists, commitUser, commitIdentifier
 *                                   INT64_MAX, APPEND, record counts, properties
 *   snapshot/LATEST, EARLIEST       hint files: the id as text, no newline
 *
 * Data file columns: append (log) tables = the table columns. PK tables = _KEY_<pk> for each
 * PK column that is not a partition key, _SEQUENCE_NUMBER BIGINT, _VALUE_KIND TINYINT, then the
 * table columns; one row per key per data file (the latest record of the round, which may be a
 * retract counted in _DELETE_ROW_COUNT), sorted by key in Paimon's key order.
 *
 * Commit protocol of one round (durability invariants, in order):
 *   1. Data and changelog files are written under fresh names and fsynced, then their
 *      directories are fsynced.
 *   2. The manifest(s) and manifest lists are written under fresh names and fsynced, then
 *      manifest/ is fsynced.
 *   3. snapshot/.snapshot-N.<uuid>.tmp is written and fsynced; it is renamed to snapshot-N only
 *      if snapshot-N does not exist; snapshot/ is fsynced. This rename is the commit point.
 *   4. LATEST (and EARLIEST, the first time) are replaced by tmp + rename.
 * A crash before 3's rename leaves only unreferenced files, which readers never look at (they
 * only follow references from snapshots). A crash between 3 and 4 leaves a stale LATEST; the
 * Java reader then lists the directory (snapshot-(N+1) exists), and this writer's open does too.
 *
 * Round state machine (one round at a time per table):
 *   (none) --fl_paimon_round_begin--> OPEN --fl_paimon_round_add--> OPEN
 *   OPEN --fl_paimon_round_commit--> (none)   snapshot N+1 visible, or no snapshot for 0 rows
 *   OPEN --fl_paimon_round_abort / failed commit--> (none)   files of the round unlinked
 *
 * Threading: a table and its round belong to one thread (the lake tiering worker). */
#ifndef FL_PAIMON_H
#define FL_PAIMON_H

#include "fl_avro.h"
#include "fl_base.h"
#include "fl_buf.h"
#include "fl_parquet.h"
#include "fl_tabledesc.h"
#include "fl_types.h"

/* Fluss change types as fl_paimon_round_add() takes them. */
enum {
    FL_PAIMON_APPEND_ONLY = 0,  /* +A */
    FL_PAIMON_INSERT = 1,       /* +I */
    FL_PAIMON_UPDATE_BEFORE = 2, /* -U */
    FL_PAIMON_UPDATE_AFTER = 3, /* +U */
    FL_PAIMON_DELETE = 4,       /* -D */
};

#define FL_PAIMON_TIERING_USER "__fluss_lake_tiering"

typedef struct fl_paimon_opts_s {
    fl_pq_codec_t data_codec;          /* Parquet codec of data files (default ZSTD, as Paimon) */
    fl_avro_codec_t manifest_codec;    /* default DEFLATE (Paimon writes zstandard; both read) */
    uint64_t target_file_bytes;        /* roll data files at this size; 0 = 128 MiB */
    int64_t now_ms;                    /* 0 = wall clock; tests pin timeMillis */
} fl_paimon_opts_t;

void fl_paimon_opts_default(fl_paimon_opts_t *opts /* OUT */);

typedef struct fl_paimon_table_s fl_paimon_table_t;
typedef struct fl_paimon_round_s fl_paimon_round_t;

/**
 * @brief Create <warehouse>/<db>.db/<table>/ with schema-0 derived from desc as Fluss 0.9.1
 * does, or open the existing table (its latest schema must have the same fields, partition
 * keys and primary keys as desc would give) and load its latest snapshot.
 * @param desc the Fluss table (columns, PK, partition keys, bucket keys/count, properties);
 *        copied.
 * @returns FL_ERR_INVALID_TABLE_EXCEPTION (a user column named __bucket/__offset/__timestamp,
 *          bucket keys without a bucket count, deletion vectors, an unsupported partition key
 *          type), FL_ERR_LAKE_TABLE_ALREADY_EXIST (existing table with another schema),
 *          FL_ERR_CORRUPT_MESSAGE (unreadable schema/snapshot/manifest), FL_ERR__IO; *why is
 *          a static or table-owned message valid until the next call on the table.
 */
fl_err_t fl_paimon_table_open(const char *warehouse, const char *db, const char *table,
                              const fl_table_desc_t *desc, const fl_paimon_opts_t *opts,
                              fl_paimon_table_t **out /* OUT */, const char **why /* OUT */);
/**
 * @brief The lake catalog's part (Fluss's PaimonLakeCatalog.createTable, run by the
 * coordinator at CreateTable): write schema-0 as fl_paimon_table_open would, or accept an
 * existing table with the same fields, partition keys and primary keys. Unlike
 * fl_paimon_table_open it also takes tables this writer cannot tier but Fluss's own tiering
 * service can (deletion vectors, partition keys of any atomic type). No handle is kept.
 * @param has_snapshot OUT (may be NULL): the existing table has a snapshot (false when made).
 * @returns as fl_paimon_table_open.
 */
fl_err_t fl_paimon_table_create(const char *warehouse, const char *db, const char *table,
                                const fl_table_desc_t *desc, bool *has_snapshot /* OUT */,
                                const char **why /* OUT */);
void fl_paimon_table_close(fl_paimon_table_t *t);
/** @returns the table directory. */
const char *fl_paimon_table_path(const fl_paimon_table_t *t);
/** @returns the id of the latest snapshot this handle knows (0 = none). */
int64_t fl_paimon_table_snapshot_id(const fl_paimon_table_t *t);

/** @brief Start a round (NULL if one is already open on t). */
fl_paimon_round_t *fl_paimon_round_begin(fl_paimon_table_t *t);

/**
 * @brief Add one Fluss record to the round.
 * @param partition_name NULL for a non-partitioned table, else the Fluss partition name (values
 *        joined with '$'); it must match the row's partition column values.
 * @param bucket the Fluss bucket = the Paimon bucket (bucket-unaware tables: written to
 *        bucket-0, bucket kept in __bucket).
 * @param row the user columns (no system columns); referenced only during the call.
 * @param change_type FL_PAIMON_APPEND_ONLY..FL_PAIMON_DELETE; log tables take 0 or 1 only.
 * @param log_offset written to __offset (-1 for KV-snapshot rows); timestamp_ms to __timestamp.
 * @returns FL_ERR__INVAL (wrong partition, bucket out of range, a row the Parquet writer
 *          refuses, a retract on a log table); FL_ERR__IO from a data file write. The round
 *          stays usable after FL_ERR__INVAL.
 */
fl_err_t fl_paimon_round_add(fl_paimon_round_t *r, const char *partition_name, int32_t bucket,
                             const fl_datum_t *row, int change_type, int64_t log_offset,
                             int64_t timestamp_ms);
/** @returns rows added so far. */
uint64_t fl_paimon_round_rows(const fl_paimon_round_t *r);

/**
 * @brief Write the round's files and commit a snapshot (see the protocol above). The round is
 * freed whatever the outcome.
 * @param snapshot_props NULL or k1, v1, k2, v2, ..., NULL: the snapshot's "properties" (Fluss
 *        puts "fluss-offsets" = its offsets file path here).
 * @param snapshot_id OUT: the new snapshot id, or -1 when the round had no rows (like Fluss,
 *        an empty round commits nothing).
 * @returns FL_ERR_NONE; FL_ERR__EXISTS if snapshot-N appeared meanwhile (another writer);
 *          FL_ERR__IO / FL_ERR__NOSPC on write failures (nothing became visible, the round's
 *          files are removed).
 */
fl_err_t fl_paimon_round_commit(fl_paimon_round_t *r, const char *commit_user,
                                const char *const *snapshot_props, int64_t *snapshot_id /* OUT */,
                                const char **why /* OUT */);
/** @brief Drop the round and unlink the files it wrote. */
void fl_paimon_round_abort(fl_paimon_round_t *r);

/**
 * @brief Read the newest committed snapshot from disk (not from the handle's cache), for
 * resuming tiering after a crash.
 * @param commit_user NULL = any; else the newest snapshot committed by that user.
 * @param id OUT: the snapshot id, 0 when there is none.
 * @param props_json OUT (may be NULL): the snapshot's "properties" object as compact JSON
 *        ("{}" when absent); appended.
 * @returns FL_ERR_NONE (also when there is no snapshot), FL_ERR_CORRUPT_MESSAGE, FL_ERR__IO.
 */
fl_err_t fl_paimon_latest_snapshot(fl_paimon_table_t *t, const char *commit_user,
                                   int64_t *id /* OUT */, fl_buf_t *props_json /* OUT */,
                                   const char **why /* OUT */);

/* ---- pieces exposed for tests and for the Iceberg/union-read code ---- */

/**
 * @brief Serialize a row of atomic values as Paimon's BinaryRow with the 4-byte big-endian
 * arity prefix (SerializationUtils.serializeBinaryRow, lake-paimon.md 4.8). types[i] may be
 * NULL or nested: that field is written as null.
 */
void fl_paimon_binrow(const fl_type_t *const *types, const fl_datum_t *vals, uint32_t n,
                      fl_buf_t *out);
/** @brief Paimon's schema-JSON type string of an atomic type ("DECIMAL(10, 2) NOT NULL"). */
void fl_paimon_type_string(const fl_type_t *t, fl_buf_t *out);
/** @brief Hive-style escaping of a partition path component (PartitionPathUtils). */
void fl_paimon_escape_path(const char *s, size_t n, fl_buf_t *out);
/** @brief Append j as Jackson's default pretty printer writes it (Paimon's JSON files). */
struct json_t;
void fl_paimon_json_pretty(const struct json_t *j, fl_buf_t *out);

#endif
