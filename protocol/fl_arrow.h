/* fl_arrow.h: Arrow IPC record-batch messages, the body of Fluss ARROW log batches.
 *
 * A Fluss ARROW LogRecordBatch holds, after its header (and after RecordCount change-type bytes
 * when the batch is not append-only), exactly one Arrow IPC encapsulated message of type
 * RecordBatch. There is no Schema message: the schema is derived from the table's row type
 * (fl_arrow_field_* below), and the message is not aligned within the batch.
 *
 *   offset        size  field
 *   0             4     continuation marker 0xFFFFFFFF (absent in the pre-0.15 legacy format)
 *   4             4     metadata length M (int32 LE); 8 + M is a multiple of 8
 *   8             M     flatbuffer Message { version V5, header_type RecordBatch(3),
 *                         header RecordBatch { length, nodes[FieldNode{length, null_count}],
 *                         buffers[Buffer{offset, length}], compression BodyCompression{codec,
 *                         method=BUFFER} (absent when uncompressed) }, bodyLength } + padding
 *   8 + M         B     body: the buffers at their offsets (8-aligned by Java and by us, 64 by
 *                       arrow-rs); B = bodyLength
 *
 * Nodes and buffers are in pre-order over the Arrow fields (a field, then its children).
 * Buffers per node: fixed width (ints, float, date, time, timestamp, decimal, fixed binary,
 * bool) = validity + values; Utf8/Binary = validity + int32 offsets + bytes; List/Map =
 * validity + int32 offsets; Struct = validity. A MAP is List-shaped with one non-null child
 * struct "entries" {key, value}; an ARRAY's child is "element".
 *
 * With compression, every body buffer is: int64 LE uncompressed length, then the LZ4 frame or
 * ZSTD frame; length -1 means the bytes that follow are raw; a buffer of 0 bytes is written as
 * the 8-byte prefix 0 alone (Java) or as nothing (Arrow C++). Both are read; the encoder
 * writes Java's form for ZSTD and nothing for LZ4_FRAME (pyarrow rejects Java's LZ4 form). 
 *
 * Fluss type -> Arrow type: TINYINT..BIGINT Int(8..64, signed); BOOLEAN Bool; FLOAT/DOUBLE
 * FloatingPoint; CHAR/STRING Utf8; BINARY(n) FixedSizeBinary(n); BYTES Binary; DECIMAL(p,s)
 * Decimal128(p,s); DATE Date(DAY); TIME(p) p=0 Time32(s), 1-3 Time32(ms), 4-6 Time64(us), else
 * Time64(ns); TIMESTAMP(p)/TIMESTAMP_LTZ(p) Timestamp(unit by the same rule, no timezone);
 * ARRAY List; MAP Map(keysSorted=false); ROW Struct. Field nullability is the type's.
 *
 * Values (fl_datum_t): TIME is millis of day; TIMESTAMP* is {millis, nanos of milli 0..999999}
 * (decoding uses floor division, so pre-1970 sub-millisecond values stay in range);
 * DECIMAL is unscaled int64 when precision <= 18, else minimal big-endian bytes. */
#ifndef FL_ARROW_H
#define FL_ARROW_H

#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_reader.h"
#include "fl_types.h"

typedef enum fl_arrow_codec_e {
    FL_ARROW_CODEC_NONE = 0,
    FL_ARROW_CODEC_LZ4_FRAME,
    FL_ARROW_CODEC_ZSTD,
} fl_arrow_codec_t;

/* Default cap on the bytes one message may decompress to (all buffers together). */
#define FL_ARROW_MAX_DECODED_DEFAULT ((size_t)256 << 20)

/* One decoded Arrow node (a column or a nested child). Buffers are views into the message or
 * into arena memory holding decompressed copies; none is aligned, so read values with the
 * fl_arrow_col_* helpers. The node tree mirrors the Arrow one: ARRAY has 1 child (element),
 * MAP has 1 child (entries struct) which has 2 (key, value), ROW has one child per field. */
typedef struct fl_arrow_col_s {
    const fl_type_t *type;    /* borrowed from the caller's row type */
    int64_t length;           /* slots */
    int64_t null_count;
    const uint8_t *validity;  /* NULL when no slot is null */
    const uint8_t *offsets;   /* Utf8/Binary/List/Map: length + 1 int32 LE, else NULL */
    const uint8_t *values;    /* fixed-width values / variable bytes, else NULL */
    size_t values_len;        /* bytes at values */
    uint8_t unit;             /* TIME / TIMESTAMP: 0 s, 1 ms, 2 us, 3 ns */
    uint32_t n_children;
    struct fl_arrow_col_s *children;
} fl_arrow_col_t;

typedef struct fl_arrow_batch_s {
    const fl_type_t *row_type; /* borrowed */
    int64_t n_rows;
    fl_arrow_codec_t codec;    /* as recorded in the message */
    uint32_t n_cols;
    fl_arrow_col_t *cols;      /* one per row-type field */
    size_t msg_len;            /* bytes of the message (prefix + metadata + body) */
} fl_arrow_batch_t;

/**
 * @brief Decode and fully validate one RecordBatch message.
 * @param arena        holds the batch, its columns and decompressed buffers
 * @param row_type     ROW type of the table (or projected) schema; must outlive the batch
 * @param record_count the batch header's RecordCount; -1 skips the check
 * @param msg,len      the message bytes; they must outlive the batch (values are views)
 * @param max_decoded  cap on decompressed bytes, 0 = FL_ARROW_MAX_DECODED_DEFAULT
 * @returns FL_ERR_NONE; FL_ERR_CORRUPT_MESSAGE for inconsistent structure, FL_ERR__UNDERFLOW for
 *          truncation, FL_ERR__OVERFLOW when decompression would pass max_decoded,
 *          FL_ERR__INVAL for an unsupported row type. Trailing bytes after the message are
 *          ignored (batch->msg_len says where it ended).
 */
fl_err_t fl_arrow_decode(fl_arena_t *arena, const fl_type_t *row_type, int64_t record_count,
                         const uint8_t *msg, size_t len, size_t max_decoded,
                         fl_arrow_batch_t **out /* OUT */);

/** @returns true if slot i of col is null. */
static inline bool fl_arrow_col_is_null(const fl_arrow_col_t *col, int64_t i) {
    return col->validity && !((col->validity[i >> 3] >> (i & 7)) & 1);
}

/** @returns the fixed-width value of slot i as a sign-extended little-endian integer of
 * width bytes (1, 2, 4 or 8). */
static inline int64_t fl_arrow_col_int(const fl_arrow_col_t *col, int64_t i, unsigned width) {
    const uint8_t *p = col->values + (size_t)i * width;
    uint64_t v = 0;
    for (unsigned k = 0; k < width; k++) v |= (uint64_t)p[k] << (8 * k);
    if (width < 8 && (v >> (8 * width - 1)) & 1) v |= ~(uint64_t)0 << (8 * width);
    return (int64_t)v;
}

/** @returns the int32 offset j of a Utf8/Binary/List/Map node (0 <= j <= length). */
static inline int32_t fl_arrow_col_offset(const fl_arrow_col_t *col, int64_t j) {
    const uint8_t *p = col->offsets + (size_t)j * 4;
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

/**
 * @brief Materialise slot i of col as a datum. Variable-length values are views into the
 *        message or decompressed buffers; nested lists and decimals wider than 18 digits take
 *        memory from arena. The batch was validated by fl_arrow_decode(), so this cannot fail.
 */
void fl_arrow_col_get(const fl_arrow_col_t *col, int64_t i, fl_arena_t *arena,
                      fl_datum_t *out /* OUT */);

/** @brief Fill row[0..n_cols) with row i. @returns FL_ERR__INVAL when i is out of range. */
fl_err_t fl_arrow_row(const fl_arrow_batch_t *batch, int64_t i, fl_arena_t *arena,
                      fl_datum_t *row /* OUT: batch->n_cols datums */);

/* A row iterator over a decoded batch. */
typedef struct fl_arrow_iter_s {
    const fl_arrow_batch_t *batch;
    int64_t next;
} fl_arrow_iter_t;

static inline void fl_arrow_iter_init(fl_arrow_iter_t *it, const fl_arrow_batch_t *batch) {
    it->batch = batch;
    it->next = 0;
}

/** @returns true and fills row with the next row; false at the end. */
bool fl_arrow_iter_next(fl_arrow_iter_t *it, fl_arena_t *arena, fl_datum_t *row /* OUT */);

/**
 * @brief Append the RecordBatch message for n_rows rows, laid out as Fluss's Java writer does
 *        (Arrow Java VectorUnloader + MessageSerializer: V5, null counts, 8-aligned buffers,
 *        per-buffer compression with the raw fallback when compression does not pay).
 * @param rows   n_rows arrays of row_type->n_children datums
 * @param level  ZSTD level (Fluss default 3); ignored for other codecs
 * @returns FL_ERR_NONE; FL_ERR__INVAL for a value that does not fit its type (BINARY(n) of
 *          another length, a decimal wider than 128 bits, unsupported type). With 0 rows
 *          nothing is appended (Fluss writes a header-only batch).
 */
fl_err_t fl_arrow_encode(const fl_type_t *row_type, const fl_datum_t *const *rows,
                         size_t n_rows, fl_arrow_codec_t codec, int level, fl_buf_t *out);

/**
 * @brief Append the Schema message for row_type (continuation, length, flatbuffer Schema).
 *        Fluss never sends it; it turns encoded batches into a standard IPC stream (tests,
 *        tools).
 */
fl_err_t fl_arrow_encode_schema(const fl_type_t *row_type, fl_buf_t *out);

/**
 * @brief Column projection, as FileLogProjection does on fetch: append a RecordBatch message
 *        holding only the top-level columns cols[0..n) (strictly increasing indexes) with all
 *        their nested nodes. Buffers are copied as they are (still compressed, never
 *        decompressed), re-laid 8-aligned; the compression field is kept. The metadata is
 *        checked (node/buffer counts against row_type, buffers inside the body) but values
 *        are not.
 * @returns FL_ERR_INVALID_COLUMN_PROJECTION for bad indexes; decode errors otherwise.
 */
fl_err_t fl_arrow_project(const fl_type_t *row_type, const uint8_t *msg, size_t len,
                          const uint32_t *cols, size_t n, fl_buf_t *out);

/** @returns the number of Arrow nodes (fields, nested included) for type t. */
size_t fl_arrow_node_count(const fl_type_t *t);
/** @returns the number of Arrow buffers for type t (nested included). */
size_t fl_arrow_buffer_count(const fl_type_t *t);

#endif
