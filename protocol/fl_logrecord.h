/* fl_logrecord.h: the record body of INDEXED and COMPACTED log batches (fluss-common
 * record/IndexedLogRecord, CompactedLogRecord at 0.9.1): what follows the LogRecordBatch header
 * (fl_logbatch.h) when table.log.format is INDEXED or COMPACTED. Little-endian.
 *
 * Records back to back, RecordCount of them, no per-record offset or timestamp:
 *   offset  size        field
 *   0       4           Length       int32, bytes after this field = 1 + row size
 *   4       1           Attributes   the change type byte (fl_change_type_t, 0..4)
 *   5       Length - 1  Row          IndexedRow (INDEXED) or CompactedRow (COMPACTED), fl_row.h
 *
 * Record i has log offset BaseOffset + i and the batch's CommitTimestamp. Client batches are
 * append-only (change type 0); server changelog batches carry +I/-U/+U/-D. */
#ifndef FL_LOGRECORD_H
#define FL_LOGRECORD_H

#include "fl_base.h"
#include "fl_buf.h"
#include "fl_reader.h"
#include "fl_row.h"

/* ChangeType byte values (record/ChangeType.java). */
typedef enum fl_change_type_e {
    FL_CHANGE_APPEND_ONLY = 0,  /* +A */
    FL_CHANGE_INSERT = 1,       /* +I */
    FL_CHANGE_UPDATE_BEFORE = 2, /* -U */
    FL_CHANGE_UPDATE_AFTER = 3, /* +U */
    FL_CHANGE_DELETE = 4,       /* -D */
} fl_change_type_t;

/** @returns "+A", "+I", "-U", "+U", "-D", or "?" for other values. */
const char *fl_change_type_str(int change_type);

typedef struct fl_logrecord_s {
    uint8_t change_type;   /* fl_change_type_t, validated 0..4 */
    fl_view_t row;         /* the row bytes, a view into the input */
} fl_logrecord_t;

typedef struct fl_logrecord_iter_s {
    fl_reader_t rd;
    int32_t left;
} fl_logrecord_iter_t;

/**
 * @brief Check that [p, p + len) is exactly record_count well-framed records with valid
 * change types (rows are not decoded; see fl_row_decode).
 * @returns FL_ERR_NONE or FL_ERR_CORRUPT_MESSAGE.
 */
fl_err_t fl_logrecord_validate(const void *p, size_t len, int32_t record_count);

void fl_logrecord_iter_init(fl_logrecord_iter_t *it /* OUT */, const void *p, size_t len,
                            int32_t record_count);
/**
 * @brief The next record. @returns true with *rec filled; false at the end or on malformed
 * input (then it->rd.err is set: FL_ERR_CORRUPT_MESSAGE or FL_ERR__UNDERFLOW).
 */
bool fl_logrecord_next(fl_logrecord_iter_t *it, fl_logrecord_t *rec /* OUT */);

/** @brief Append a record holding already-encoded row bytes. */
void fl_logrecord_write(fl_buf_t *buf, fl_change_type_t change_type, const void *row,
                        size_t row_len);

/**
 * @brief Append a record whose row is encoded from datums in fmt (INDEXED or COMPACTED).
 * @returns fl_row_encode's error; buf is unchanged on error.
 */
fl_err_t fl_logrecord_write_row(fl_buf_t *buf, fl_row_format_t fmt, fl_change_type_t change_type,
                                const fl_type_t *row_type, const fl_datum_t *fields);

#endif
