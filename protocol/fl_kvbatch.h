/* fl_kvbatch.h: KvRecordBatch, the PutKv payload (fluss-common record/DefaultKvRecordBatch,
 * DefaultKvRecord, KvRecordBatchBuilder at 0.9.1). All integers little-endian.
 *
 * Batch header (magic 0):
 *   offset  size  field
 *   0       4     Length          int32, batch size - 4
 *   4       1     Magic           int8, 0
 *   5       4     CRC             uint32, CRC-32C of bytes [9, 4 + Length)
 *   9       2     SchemaId        int16, schema of the value rows
 *   11      1     Attributes      int8, 0
 *   12      8     WriterId        int64, -1 when not idempotent
 *   20      4     BatchSequence   int32, -1 when not idempotent
 *   24      4     RecordCount     int32
 *   28      ...   Records
 *
 * Record:
 *   offset  size  field
 *   0       4     Length          int32, bytes after this field
 *   4       1..5  KeyLength       unsigned LEB128
 *   ...     K     Key             the encoded primary key (fl_keyenc.h)
 *   ...     rest  Value           the row bytes (table.kv.format, fl_row.h), without a schema
 *                                 id; no bytes at all = DELETE
 *
 * fl_kvbatch_parse() validates everything up front (size, magic, CRC, record count, each
 * record's framing and that the records fill the batch exactly), so iterating a parsed batch
 * cannot fail. */
#ifndef FL_KVBATCH_H
#define FL_KVBATCH_H

#include "fl_base.h"
#include "fl_buf.h"
#include "fl_reader.h"

#define FL_KVBATCH_HEADER_SIZE 28
#define FL_KVBATCH_MAGIC 0
#define FL_KVBATCH_CRC_OFFSET 5
#define FL_KVBATCH_SCHEMA_ID_OFFSET 9
#define FL_KVBATCH_RECORD_MIN 5 /* Length + a 1-byte KeyLength */

typedef struct fl_kvbatch_s {
    size_t size;            /* bytes of the whole batch: 4 + Length */
    int8_t magic;
    uint32_t crc;
    int16_t schema_id;
    int8_t attributes;
    int64_t writer_id;
    int32_t batch_sequence;
    int32_t record_count;
    fl_view_t records;      /* the record bytes, a view into the input */
} fl_kvbatch_t;

typedef struct fl_kvrecord_s {
    fl_view_t key;          /* view into the input */
    fl_view_t value;        /* row bytes; empty when is_delete */
    bool is_delete;
} fl_kvrecord_t;

typedef struct fl_kvbatch_iter_s {
    fl_reader_t rd;
    int32_t left;
} fl_kvbatch_iter_t;

/**
 * @brief Parse and fully validate the batch at the start of [p, p + len). Bytes after
 * out->size are not looked at (the caller decides whether trailing bytes are allowed).
 * @returns FL_ERR_NONE; FL_ERR_CORRUPT_MESSAGE for a bad size, magic, CRC, record count or
 *          record framing; FL_ERR__UNDERFLOW when the input is shorter than the header.
 */
fl_err_t fl_kvbatch_parse(const void *p, size_t len, fl_kvbatch_t *out /* OUT */);

void fl_kvbatch_iter_init(const fl_kvbatch_t *batch, fl_kvbatch_iter_t *it /* OUT */);
/**
 * @brief The next record. @returns true with *rec filled, false at the end or on malformed
 * input (then it->rd.err is set; never for a batch fl_kvbatch_parse accepted).
 */
bool fl_kvbatch_next(fl_kvbatch_iter_t *it, fl_kvrecord_t *rec /* OUT */);

/* Builder: writes a batch the way KvRecordBatchBuilder does (attributes 0, magic 0). */
typedef struct fl_kvbatch_builder_s {
    fl_buf_t *buf;          /* not owned */
    size_t start;           /* offset of the batch in buf */
    int32_t count;
} fl_kvbatch_builder_t;

/** @brief Start a batch at the end of buf (writes the header with placeholders). */
void fl_kvbatch_builder_begin(fl_kvbatch_builder_t *b, fl_buf_t *buf, int16_t schema_id,
                              int64_t writer_id, int32_t batch_sequence);
/** @brief Append a record; value NULL means DELETE (value_len must then be 0). */
void fl_kvbatch_builder_append(fl_kvbatch_builder_t *b, const void *key, size_t key_len,
                               const void *value, size_t value_len);
/** @brief Fill Length, RecordCount and CRC. @returns the batch size in bytes. */
size_t fl_kvbatch_builder_finish(fl_kvbatch_builder_t *b);

#endif
