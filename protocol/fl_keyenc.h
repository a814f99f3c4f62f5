/* fl_keyenc.h: the key encoders of Fluss 0.9.1 (fluss-common row/encode): the bytes of a
 * primary key (the KV key, lookup keys) and of a bucket key (hashed by fl_bucket.h).
 *
 * CompactedKeyEncoder: the key fields as CompactedRow values in key order, with NO null bitmap
 *   (fl_row.h); a null key field is an error. (INT 1, BIGINT 3, INT 2) -> 01 03 02.
 *
 * PaimonKeyEncoder: a Paimon BinaryRow of the key fields (arity a):
 *   offset      size                      field
 *   0           nb = ((a + 63 + 8)/64)*8  header: byte 0 = RowKind (INSERT = 0), null bit of
 *                                         field i is bit (i + 8), LSB first
 *   nb + 8i     8                         slot i: BOOLEAN/TINYINT 1 byte, SMALLINT 2, INT/DATE/
 *                                         TIME/FLOAT 4, BIGINT/DOUBLE 8 (LE, rest zero);
 *                                         CHAR/STRING/BINARY/BYTES <= 7 bytes inline (top byte
 *                                         0x80 | len, data from the slot start), else
 *                                         (offset << 32) | len; DECIMAL p <= 18 the unscaled
 *                                         int64, else (offset << 32) | len of 16 zeroed bytes
 *                                         holding the big-endian unscaled bytes; TIMESTAMP[_LTZ]
 *                                         p <= 3 millis, else (offset << 32) | nanos with the
 *                                         millis as int64 at offset. Null: zero slot.
 *   nb + 8a     ...                       variable part, each item padded to 8 (offsets are
 *                                         from the row start)
 *   ARRAY, MAP and ROW keys are rejected.
 *
 * IcebergKeyEncoder: exactly one key field, no length prefix, the bytes Iceberg's bucket
 *   transform hashes: INT/DATE as int64 LE; TIME as int64 LE micros (ms * 1000); BIGINT int64
 *   LE; TIMESTAMP as int64 LE micros (ms * 1000 + nanos / 1000); FLOAT/DOUBLE raw LE; STRING/
 *   CHAR UTF-8; BINARY/BYTES raw; DECIMAL the minimal big-endian unscaled bytes. TINYINT,
 *   SMALLINT, BOOLEAN, TIMESTAMP_LTZ and nested types are rejected, as is null.
 *
 * Which encoder (KeyEncoder.ofPrimaryKeyEncoder / ofBucketKeyEncoder): see fl_keyenc_for_pk()
 * and fl_keyenc_for_bucket(). */
#ifndef FL_KEYENC_H
#define FL_KEYENC_H

#include "fl_base.h"
#include "fl_buf.h"
#include "fl_types.h"

typedef enum fl_keyenc_kind_e {
    FL_KEYENC_COMPACTED = 0,
    FL_KEYENC_PAIMON = 1,
    FL_KEYENC_ICEBERG = 2,
} fl_keyenc_kind_t;

/**
 * @brief The bucket-key encoder for table.datalake.format: NULL/"" and "lance" -> COMPACTED,
 * "paimon" -> PAIMON, "iceberg" -> ICEBERG (any case). @returns FL_ERR__INVAL otherwise.
 */
fl_err_t fl_keyenc_for_bucket(const char *lake_format, fl_keyenc_kind_t *kind /* OUT */);

/**
 * @brief The primary-key encoder. kv_format_version is table.kv.format-version (0 when
 * absent). Version 1/absent: the lake encoder. Version 2: the lake encoder when the bucket key
 * equals the physical primary key (default_bucket_key), otherwise COMPACTED (so that bucket
 * key bytes are a prefix of the key bytes, for prefix lookup). Other versions: FL_ERR__INVAL.
 */
fl_err_t fl_keyenc_for_pk(const char *lake_format, int kv_format_version, bool default_bucket_key,
                          fl_keyenc_kind_t *kind /* OUT */);

/**
 * @brief Append the key of row (datums of row_type's fields) made of the fields key_idx[0..n).
 * @returns FL_ERR_NONE; FL_ERR__INVAL for a null key field (COMPACTED, ICEBERG), an unsupported
 *          type, a bad index, or n != 1 for ICEBERG. On error buf->len is unchanged.
 */
fl_err_t fl_keyenc_encode(fl_keyenc_kind_t kind, const fl_type_t *row_type,
                          const fl_datum_t *row, const uint32_t *key_idx, size_t n,
                          fl_buf_t *buf);

#endif
