/* fl_parquet.h: a Parquet file writer for the lake tiering (Paimon and Iceberg data files).
 *
 * File layout (all offsets from the start of the file; integers little-endian):
 *
 *   offset        size   contents
 *   0             4      magic "PAR1"
 *   4             ...    row group 0: for each leaf column in schema order, one column chunk:
 *                          [dictionary page: PageHeader (Thrift compact) + PLAIN values]
 *                          data page v1 *: PageHeader + body
 *                          body (compressed as a whole by the chunk codec) =
 *                            [u32 len + RLE/bit-packed repetition levels]   if max_rep > 0
 *                            [u32 len + RLE/bit-packed definition levels]   if max_def > 0
 *                            values: PLAIN, or RLE_DICTIONARY (u8 bit width + RLE/bit-packed ids)
 *                 ...    row group 1 ...
 *   F             M      FileMetaData (Thrift compact): schema, row groups with column chunk
 *                        metadata and statistics, key/value metadata, created_by, column orders
 *   F+M           4      M (footer length)
 *   F+M+4         4      magic "PAR1"
 *
 * Types follow what Paimon 1.3.1 and Iceberg 1.10.1 write for each Fluss type (see
 * /work/shared/reference/lake-paimon.md 4.9 and lake-iceberg.md 1.2); the flavour picks one.
 * Nested ARRAY/MAP/ROW use 3-level LIST, MAP key_value groups and plain groups.
 *
 * Usage: fl_pq_writer_new(), fl_pq_write_row() per row, fl_pq_finish(), fl_pq_writer_free().
 * Row groups are flushed when the buffered (encoded, compressed) pages reach row_group_bytes,
 * or when the caller calls fl_pq_flush_row_group(). The writer is single-threaded. */
#ifndef FL_PARQUET_H
#define FL_PARQUET_H

#include "fl_base.h"
#include "fl_buf.h"
#include "fl_types.h"

typedef enum fl_pq_flavor_e {
    FL_PQ_PAIMON = 0,   /* message "paimon_schema"; TINYINT/SMALLINT INT(8/16); TIME INT32
                         * millis; TIMESTAMP millis (p<=3) / micros (p<=6) / INT96 (p>6) */
    FL_PQ_ICEBERG = 1,  /* message "table"; plain INT32 for TINYINT/SMALLINT; TIME INT64
                         * micros; TIMESTAMP always micros */
} fl_pq_flavor_t;

/* Values are Parquet's CompressionCodec numbers. */
typedef enum fl_pq_codec_e {
    FL_PQ_UNCOMPRESSED = 0,
    FL_PQ_SNAPPY = 1,
    FL_PQ_ZSTD = 6,
} fl_pq_codec_t;

typedef enum fl_pq_ids_e {
    FL_PQ_IDS_TYPE = 0,        /* ROW fields: fl_type_t.field_ids (-1 = none); list element and
                                * map key/value: opts.nested_ids in schema pre-order */
    FL_PQ_IDS_ICEBERG_FRESH,   /* Iceberg's assignFreshIds: top level 1..N, then nested ids
                                * depth first (lake-iceberg.md 1.3) */
    FL_PQ_IDS_NONE,
} fl_pq_ids_t;

/** @brief Sink for file bytes, called in order. @returns FL_ERR_NONE or an error that makes the
 * writer fail (sticky). */
typedef fl_err_t (*fl_pq_write_cb)(void *ctx, const void *p, size_t n);

typedef struct fl_pq_kv_s {
    const char *key;
    const char *value;   /* may be NULL */
} fl_pq_kv_t;

typedef struct fl_pq_opts_s {
    fl_pq_flavor_t flavor;
    fl_pq_codec_t codec;
    int zstd_level;            /* 0 = 3 */
    bool dictionary;           /* try RLE_DICTIONARY (not for BOOLEAN) */
    size_t dict_max_bytes;     /* PLAIN size of a chunk's dictionary before falling back to
                                * PLAIN for the rest of the chunk; default 1 MiB */
    size_t page_bytes;         /* target data page size before compression; default 1 MiB */
    uint32_t page_rows;        /* most rows per data page; default 20000 */
    size_t row_group_bytes;    /* flush a row group at this many buffered bytes; 128 MiB */
    const char *message_name;  /* NULL = flavour default */
    const char *created_by;    /* NULL = "fluss-c-server version 0.1.0 (build local)" */
    const fl_pq_kv_t *kv;      /* footer key/value metadata, copied */
    size_t n_kv;
    fl_pq_ids_t ids;
    const int32_t *nested_ids; /* FL_PQ_IDS_TYPE: ids for list elements / map keys and values,
                                * in schema pre-order; NULL or too short = no id */
    size_t n_nested_ids;
} fl_pq_opts_t;

/** @brief Defaults: PAIMON, ZSTD, dictionary on, 1 MiB pages, 128 MiB row groups. */
void fl_pq_opts_default(fl_pq_opts_t *opts /* OUT */);

/* Statistics of one leaf column over the whole file, returned by fl_pq_finish(). Min and max
 * are Fluss values of the leaf's type (for a TIMESTAMP: millis + nanos; for a DECIMAL: the
 * unscaled value), true bounds under Paimon's order (numbers numerically, strings and bytes
 * unsigned byte-wise, floats by value ignoring NaN with min -0.0 / max +0.0 at zero). Views
 * (bytes, big decimals) stay valid until fl_pq_writer_free(). */
typedef struct fl_pq_col_stats_s {
    const char *path;          /* dotted leaf path: "a", "b.list.element", "c.key_value.key" */
    int32_t field_id;          /* the leaf's Parquet field id, -1 if none */
    const fl_type_t *type;     /* the leaf's Fluss type (points into the caller's type) */
    uint64_t num_values;       /* value slots including nulls (level entries) */
    uint64_t null_count;       /* slots that are null at any level */
    uint64_t nan_count;        /* FLOAT/DOUBLE NaNs */
    bool has_min_max;          /* false when every value is null or NaN */
    fl_datum_t min, max;
    uint64_t compressed_bytes; /* bytes of the column's chunks in the file, headers included */
} fl_pq_col_stats_t;

typedef struct fl_pq_file_stats_s {
    uint64_t file_size;        /* exact bytes handed to the sink */
    uint64_t num_rows;
    uint32_t n_cols;           /* leaf columns */
    const fl_pq_col_stats_t *cols;
    uint32_t n_row_groups;
    const uint64_t *row_group_offsets; /* file offset of each row group's first page */
} fl_pq_file_stats_t;

typedef struct fl_pq_writer_s fl_pq_writer_t;

/**
 * @brief Create a writer for rows of type `row` (an FL_T_ROW; it must outlive the writer).
 * @returns FL_ERR__INVAL for an unsupported type tree (not a ROW, depth > 16, DECIMAL
 *          precision outside 1..38, a ROW without fields, bad options).
 */
fl_err_t fl_pq_writer_new(const fl_type_t *row, const fl_pq_opts_t *opts, fl_pq_write_cb cb,
                          void *ctx, fl_pq_writer_t **out /* OUT */);
/** @brief As fl_pq_writer_new(), appending the file to *buf. */
fl_err_t fl_pq_writer_new_buf(const fl_type_t *row, const fl_pq_opts_t *opts, fl_buf_t *buf,
                              fl_pq_writer_t **out /* OUT */);

/**
 * @brief Append one row: an array of datums, one per field of the ROW type.
 * @returns FL_ERR__INVAL when the row does not fit the type (null in a NOT NULL position,
 *          a null map key, wrong field count of a nested ROW, a decimal out of range for its
 *          precision, a timestamp out of range); the row is then not written and the writer
 *          stays usable. A sink error is sticky and returned by every later call.
 */
fl_err_t fl_pq_write_row(fl_pq_writer_t *w, const fl_datum_t *row);
/** @brief Write the rows buffered so far as a row group (a no-op when there are none). */
fl_err_t fl_pq_flush_row_group(fl_pq_writer_t *w);
/** @brief Bytes handed to the sink so far plus bytes buffered (for rolling files by size). */
uint64_t fl_pq_size_estimate(const fl_pq_writer_t *w);
/** @brief Rows accepted so far. */
uint64_t fl_pq_num_rows(const fl_pq_writer_t *w);

/**
 * @brief Flush, write the footer and return the file's statistics. A file with zero rows is
 * valid (schema, no row groups).
 * @param stats OUT, may be NULL; valid until fl_pq_writer_free().
 */
fl_err_t fl_pq_finish(fl_pq_writer_t *w, const fl_pq_file_stats_t **stats /* OUT */);
void fl_pq_writer_free(fl_pq_writer_t *w);

/** @brief Append n values of bit width bw in Parquet's RLE/bit-packed hybrid (no length
 * prefix). Exposed for tests. */
void fl_pq_rle_encode(fl_buf_t *out, const uint32_t *v, size_t n, unsigned bw);

/** @returns the FIXED_LEN_BYTE_ARRAY width of a DECIMAL of precision p (as Paimon/Iceberg). */
int fl_pq_decimal_bytes(int precision);

#endif
