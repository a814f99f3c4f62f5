/* fl_iceberg.h: the Apache Iceberg (format v2) table layout the tiering thread writes, as
 * Fluss 0.9.1's tiering service (fluss-lake-iceberg on Iceberg 1.10.1) would, in a Hadoop
 * catalog (lake-iceberg.md sections 1, 2 and 4).
 *
 * On disk, under <warehouse>/<db>/<table>/:
 *
 *   metadata/v<N>.metadata.json     table metadata, format-version 2: schema 0 (user columns,
 *                                   then __bucket int, __offset long, __timestamp timestamptz,
 *                                   all three required; ids by Iceberg's assignFreshIds;
 *                                   identifier-field-ids = the PK for PK tables), spec 0
 *                                   ([identity(partition key)...,] bucket[N](bucket key) or
 *                                   identity(__bucket)), sort order 1 (__offset asc), properties
 *                                   (iceberg.<k> -> <k>, other <k> -> fluss.<k>, merge-on-read
 *                                   modes for PK tables), snapshots, refs.main, logs
 *   metadata/version-hint.text      "N" (no newline); a hint, readers verify it
 *   metadata/snap-<id>-1-<uuid>.avro   manifest list (Avro, record manifest_file, field ids
 *                                   500..519): this round's manifests + all of the parent's
 *   metadata/<uuid>-m0.avro         data manifest (record manifest_entry / r2 / r102)
 *   metadata/<uuid>-m1.avro         delete manifest (position and equality delete files)
 *   data/[<pkey>_<v>/...]<bfield>_<bucket>/<bucket %05d>-0-<uuid>-<n %05d>.parquet
 *                                   data, equality-delete and position-delete files (Parquet,
 *                                   field ids on every column, footer key "iceberg.schema");
 *                                   names and values URL-encoded as Java's URLEncoder does.
 *                                   Readers find files through the manifests only; Java's
 *                                   default provider writes "<name>=<value>" directories, but
 *                                   DuckDB 1.5.5 reads "name=value" paths of delete files as
 *                                   Hive partitions and then mis-binds the delete columns of
 *                                   identity-partitioned PK tables, so '_' is used instead.
 *
 * Every manifest entry carries the file's exact size, row count, column sizes, value/null/NaN
 * counts and lower/upper bounds (single-value serialization) for top-level and struct
 * primitive columns. String and binary columns get no bounds (never a wrong one: Java compares
 * strings in its own order and truncates). Partition summaries in the manifest list carry
 * bounds for int fields and for string fields whose values are all ASCII.
 *
 * Primary-key tables are merge-on-read (lake-iceberg.md 1.8): per (partition, bucket) and round,
 * +I/+U append the row to the data file; a key already written in this round first gets a
 * position delete of its earlier row. -U/-D of a key written in this round become a position
 * delete; otherwise the key goes to the bucket's equality-delete file (equality_ids = the PK
 * ids), which removes rows of earlier rounds (lower sequence numbers) only. Fluss's Java writer
 * puts the full row in that file; readers compare only the equality_ids columns, so a file of
 * just the PK columns means the same (and DuckDB 1.5.5 mis-reads full-row ones, see .c).
 *
 * Commit protocol of one round (durability invariants, in order):
 *   1. Data and delete files are written under fresh names and fsynced; their directories are
 *      fsynced.
 *   2. The manifests and the manifest list are written under fresh names and fsynced;
 *      metadata/ is fsynced.
 *   3. metadata/.<uuid>.metadata.json.tmp is written and fsynced, renamed to v<N+1>.metadata.json
 *      only if that name does not exist (as Java's HadoopTableOperations: check, then rename),
 *      and metadata/ is fsynced. This rename is the commit point.
 *   4. version-hint.text is replaced by tmp + rename.
 * A crash before 3's rename leaves only unreferenced files (readers follow references from the
 * metadata file only). A crash between 3 and 4 leaves a stale hint; Java readers and this
 * writer's open walk forward from the hint while v<N+1> exists.
 *
 * Round state machine (one round at a time per table):
 *   (none) --fl_iceberg_round_begin--> OPEN --fl_iceberg_round_add--> OPEN
 *   OPEN --fl_iceberg_round_commit--> (none)   snapshot visible, or nothing for 0 rows
 *   OPEN --fl_iceberg_round_abort / failed commit--> (none)   files of the round unlinked
 *
 * Threading: a table and its round belong to one thread (the lake tiering worker). */
#ifndef FL_ICEBERG_H
#define FL_ICEBERG_H

#include "fl_avro.h"
#include "fl_base.h"
#include "fl_buf.h"
#include "fl_parquet.h"
#include "fl_tabledesc.h"
#include "fl_types.h"

/* Fluss change types as fl_iceberg_round_add() takes them (the values of Fluss's ChangeType
 * bytes, as FL_PAIMON_* uses them). */
enum {
    FL_ICEBERG_APPEND_ONLY = 0,   /* +A */
    FL_ICEBERG_INSERT = 1,        /* +I */
    FL_ICEBERG_UPDATE_BEFORE = 2, /* -U */
    FL_ICEBERG_UPDATE_AFTER = 3,  /* +U */
    FL_ICEBERG_DELETE = 4,        /* -D */
};

#define FL_ICEBERG_TIERING_USER "__fluss_lake_tiering"

/* Field ids of the position-delete file columns (Iceberg's MetadataColumns). */
#define FL_ICEBERG_POS_PATH_ID 2147483546
#define FL_ICEBERG_POS_POS_ID 2147483545

typedef struct fl_iceberg_opts_s {
    fl_pq_codec_t data_codec;       /* Parquet codec (default ZSTD, Iceberg's default) */
    fl_avro_codec_t manifest_codec; /* default DEFLATE, as Java writes */
    uint64_t target_file_bytes;     /* roll data files at this size; 0 = 512 MiB */
    int64_t now_ms;                 /* 0 = wall clock; tests pin timestamps */
} fl_iceberg_opts_t;

void fl_iceberg_opts_default(fl_iceberg_opts_t *opts /* OUT */);

typedef struct fl_iceberg_table_s fl_iceberg_table_t;
typedef struct fl_iceberg_round_s fl_iceberg_round_t;

/**
 * @brief Create <warehouse>/<db>/<table>/ with v1.metadata.json derived from desc as Fluss
 * 0.9.1's IcebergLakeCatalog does, or open the existing table (its current schema and
 * partition spec must be what desc gives) and load its current metadata.
 * @param desc the Fluss table; copied.
 * @returns FL_ERR_INVALID_TABLE_EXCEPTION (a user column named __bucket/__offset/__timestamp,
 *          no bucket count, more than one bucket key, a PK table without a bucket key, a
 *          partition key that is not a string, a bucket key Iceberg cannot bucket),
 *          FL_ERR_LAKE_TABLE_ALREADY_EXIST (existing table with another schema or spec),
 *          FL_ERR_CORRUPT_MESSAGE (unreadable metadata), FL_ERR__IO; *why is a message valid
 *          until the next call on the table (or, on failure, on this thread).
 */
fl_err_t fl_iceberg_table_open(const char *warehouse, const char *db, const char *table,
                               const fl_table_desc_t *desc, const fl_iceberg_opts_t *opts,
                               fl_iceberg_table_t **out /* OUT */, const char **why /* OUT */);
void fl_iceberg_table_close(fl_iceberg_table_t *t);
/** @returns the table directory (<warehouse>/<db>/<table>). */
const char *fl_iceberg_table_path(const fl_iceberg_table_t *t);
/** @returns the current snapshot id this handle knows (-1 = none). */
int64_t fl_iceberg_table_snapshot_id(const fl_iceberg_table_t *t);
/** @returns the metadata version N of v<N>.metadata.json this handle knows. */
int32_t fl_iceberg_table_version(const fl_iceberg_table_t *t);

/** @brief Start a round (NULL if one is already open on t). */
fl_iceberg_round_t *fl_iceberg_round_begin(fl_iceberg_table_t *t);

/**
 * @brief Add one Fluss record to the round.
 * @param partition_name NULL for a non-partitioned table, else the Fluss partition name (values
 *        joined with '$'); it must match the row's partition column values.
 * @param bucket the Fluss bucket, written as the last partition value and into __bucket
 *        (0 <= bucket < bucket count). For bucket[N](k) specs the caller hashes keys with
 *        Iceberg's murmur3 (FL_BUCKET_ICEBERG), as Fluss does for iceberg tables.
 * @param row the user columns (no system columns); referenced only during the call.
 * @param change_type FL_ICEBERG_APPEND_ONLY..FL_ICEBERG_DELETE; log tables take 0 or 1 only.
 * @param log_offset written to __offset (-1 for KV-snapshot rows); timestamp_ms to __timestamp.
 * @returns FL_ERR__INVAL (wrong partition, bucket out of range, a null key, a row the Parquet
 *          writer refuses, a retract on a log table; the round stays usable); FL_ERR__IO from a
 *          file write (sticky).
 */
fl_err_t fl_iceberg_round_add(fl_iceberg_round_t *r, const char *partition_name, int32_t bucket,
                              const fl_datum_t *row, int change_type, int64_t log_offset,
                              int64_t timestamp_ms);
/** @returns records added so far. */
uint64_t fl_iceberg_round_rows(const fl_iceberg_round_t *r);

/**
 * @brief Write the round's files and commit a snapshot (see the protocol above). The round is
 * freed whatever the outcome.
 * @param commit_user the summary's "commit-user" (NULL = FL_ICEBERG_TIERING_USER).
 * @param summary_props NULL or k1, v1, k2, v2, ..., NULL: extra snapshot summary entries
 *        (Fluss puts "fluss-offsets" = its offsets file path here).
 * @param snapshot_id OUT: the new snapshot id, or -1 when the round had no records (like
 *        Fluss, an empty round commits nothing).
 * @returns FL_ERR_NONE; FL_ERR__EXISTS if v<N+1>.metadata.json appeared meanwhile (another
 *          writer: reopen the table); FL_ERR__IO / FL_ERR__NOSPC on write failures (nothing
 *          became visible, the round's files are removed).
 */
fl_err_t fl_iceberg_round_commit(fl_iceberg_round_t *r, const char *commit_user,
                                 const char *const *summary_props,
                                 int64_t *snapshot_id /* OUT */, const char **why /* OUT */);
/** @brief Drop the round and unlink the files it wrote. */
void fl_iceberg_round_abort(fl_iceberg_round_t *r);

/**
 * @brief Read the newest snapshot from disk (not from the handle's cache), for resuming tiering
 * after a crash. Iceberg snapshot ids are random: compare sequence numbers, not ids (Fluss's
 * LakeCommitter does the same).
 * @param commit_user NULL = the current snapshot; else the newest ancestor of the current
 *        snapshot whose summary has that commit-user.
 * @param id OUT: the snapshot id, -1 when there is none.
 * @param seq OUT (may be NULL): its sequence-number, 0 when there is none.
 * @param summary_json OUT (may be NULL): its "summary" object as compact JSON ("{}" when none);
 *        appended. "fluss-offsets" is in there.
 * @returns FL_ERR_NONE (also when there is no snapshot), FL_ERR_CORRUPT_MESSAGE, FL_ERR__IO.
 */
fl_err_t fl_iceberg_latest_snapshot(fl_iceberg_table_t *t, const char *commit_user,
                                    int64_t *id /* OUT */, int64_t *seq /* OUT */,
                                    fl_buf_t *summary_json /* OUT */, const char **why /* OUT */);

/* ---- pieces exposed for tests ---- */

/**
 * @brief Iceberg's single-value serialization of an atomic Fluss value as the Iceberg type it
 * maps to (int 4-byte LE, long/time/timestamp 8-byte LE micros, float/double LE, decimal
 * minimal big-endian two's complement, string UTF-8, binary raw, boolean 1 byte).
 * @returns false for a null or nested value.
 */
bool fl_iceberg_bound_bytes(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *out);
/** @brief The Iceberg type string of an atomic Fluss type ("decimal(10, 2)", "timestamptz"). */
const char *fl_iceberg_type_name(const fl_type_t *t, char *buf, size_t len);

#endif
