/* fl_row.h: Fluss CompactedRow and IndexedRow (the row bytes inside KV records, COMPACTED and
 * INDEXED log records and stored KV values), with nested ARRAY / MAP / ROW values as BinaryArray
 * and BinaryMap. Formats as written by fluss-common 0.9.1 (CompactedRowWriter,
 * IndexedRowWriter, BinaryArrayWriter, BinaryMap.valueOf); every integer is little-endian.
 *
 * Null bitmap (both row formats): (n_fields + 7) / 8 bytes; field i is bit (i & 7) of byte
 * (i >> 3), LSB first; 1 = null. Null fields write no value bytes.
 *
 * CompactedRow:
 *   offset  size        field
 *   0       nb          null bitmap
 *   nb      ...         non-null fields back to back, no alignment:
 *     BOOLEAN, TINYINT        1 byte
 *     SMALLINT                2 bytes LE
 *     INT, DATE, TIME         unsigned LEB128 of the 32-bit two's complement (1..5 bytes)
 *     BIGINT                  unsigned LEB128 of the 64-bit two's complement (1..10 bytes)
 *     FLOAT, DOUBLE           4 / 8 bytes IEEE LE
 *     CHAR, STRING, BINARY, BYTES   varint len + bytes (no padding)
 *     DECIMAL p <= 18         varint64(unscaled);  p > 18: varint len + big-endian bytes
 *     TIMESTAMP[_LTZ] p <= 3  varint64(millis);    p > 3: varint64(millis) varint32(nanos)
 *     ARRAY / MAP / ROW       varint len + BinaryArray / BinaryMap / nested CompactedRow
 *
 * IndexedRow:
 *   offset     size        field
 *   0          nb          null bitmap
 *   nb         4 * nvar    int32 LE lengths, one slot per variable-length column of the type
 *                          (STRING, BYTES, ARRAY, MAP, ROW, DECIMAL p > 18); filled in field
 *                          order for non-null variable columns only, unused slots stay 0
 *   nb+4*nvar  ...         non-null values in field order:
 *     BOOLEAN, TINYINT 1; SMALLINT 2; INT, DATE, TIME, FLOAT 4; BIGINT, DOUBLE 8 (LE)
 *     DECIMAL p <= 18  int64 LE unscaled;  p > 18: variable, big-endian bytes
 *     CHAR(n), BINARY(n)   exactly n bytes, zero-padded (CHAR reads back without trailing 0s)
 *     STRING, BYTES        variable, raw bytes
 *     TIMESTAMP[_LTZ]      int64 millis; p > 3 adds int32 nanos of the millisecond
 *     ARRAY / MAP / ROW    variable: BinaryArray / BinaryMap / nested IndexedRow
 *
 * BinaryArray (n elements; offsets are relative to the array start):
 *   offset   size                 field
 *   0        4                    int32 n
 *   4        ((n + 31) / 32) * 4  null bits (element i = bit i, LSB first)
 *   H        w * n                fixed slots, H = 4 + ((n+31)/32)*4, w = 1 BOOLEAN/TINYINT,
 *                                 2 SMALLINT, 4 INT/FLOAT/DATE/TIME, 8 everything else;
 *                                 fixed part rounded up to 8
 *   ...      ...                  variable part, each item padded to 8
 *   8-byte slot of a variable item: (offset << 32) | len. Strings and bytes of <= 7 bytes are
 *   inline instead: top byte 0x80 | len, data in the low bytes (LE, i.e. at the slot start).
 *   Non-compact DECIMAL: 16 zeroed bytes in the variable part, slot = (offset << 32) | len.
 *   Non-compact TIMESTAMP: int64 millis in the variable part, slot = (offset << 32) | nanos.
 *   Nested ROW elements are rows of the enclosing format (CompactedRow or IndexedRow).
 *   NaN FLOAT/DOUBLE elements are written as the canonical Java NaN.
 *
 * BinaryMap:
 *   0        4        int32 byte size K of the key array
 *   4        K        key BinaryArray
 *   4+K      rest     value BinaryArray (same element count)
 *
 * Stored KV value (ValueEncoder): int16 LE schema id, then the row bytes.
 *
 * Values are fl_datum_t (fl_types.h); a row is an array of datums, one per field. Decoded
 * strings, bytes and non-compact decimals are views into the input; datums are allocated from
 * the caller's arena, bounded by the input size (never by a count read from the input). */
#ifndef FL_ROW_H
#define FL_ROW_H

#include "fl_arena.h"
#include "fl_base.h"
#include "fl_buf.h"
#include "fl_reader.h"
#include "fl_types.h"

typedef enum fl_row_format_e {
    FL_ROW_COMPACTED = 0, /* table.kv.format / table.log.format COMPACTED */
    FL_ROW_INDEXED = 1,   /* INDEXED */
} fl_row_format_t;

/** Deepest type nesting the codecs accept (FL_ERR__OVERFLOW beyond). */
#define FL_ROW_MAX_DEPTH 32

/**
 * @brief Append the encoding of one row to buf.
 * @param row_type a FL_T_ROW type; fields has row_type->n_children datums.
 * @returns FL_ERR_NONE, or FL_ERR__INVAL when a value does not fit its type (CHAR/BINARY
 *          longer than n in INDEXED, decimal wider than 16 bytes, list of the wrong arity). On
 *          error buf->len is restored to its value at the call.
 */
fl_err_t fl_row_encode(fl_row_format_t fmt, const fl_type_t *row_type, const fl_datum_t *fields,
                       fl_buf_t *buf);

/**
 * @brief Decode exactly [p, p + len) as one row of row_type.
 * @param fields_out OUT: row_type->n_children datums allocated from arena.
 * @returns FL_ERR_NONE; FL_ERR__UNDERFLOW / FL_ERR__TRAILING / FL_ERR__OVERFLOW /
 *          FL_ERR_CORRUPT_MESSAGE for malformed input.
 */
fl_err_t fl_row_decode(fl_row_format_t fmt, const fl_type_t *row_type, const void *p, size_t len,
                       fl_arena_t *arena, fl_datum_t **fields_out /* OUT */);

/**
 * @brief Append one non-null value exactly as CompactedRowWriter writes it (no null bitmap).
 * This is the building block of CompactedKeyEncoder. @returns FL_ERR__INVAL on a bad value.
 */
fl_err_t fl_row_write_compacted_value(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *buf);

/**
 * @brief Decode a CompactedKeyEncoder key (compacted values, no null bitmap) of key_type's
 * fields, consuming all of [p, p + len). @param fields_out OUT: from arena.
 */
fl_err_t fl_row_decode_compacted_key(const fl_type_t *key_type, const void *p, size_t len,
                                     fl_arena_t *arena, fl_datum_t **fields_out /* OUT */);

/** @brief Append a stored KV value: int16 LE schema_id, then the encoded row. */
fl_err_t fl_row_encode_value(fl_row_format_t fmt, int16_t schema_id, const fl_type_t *row_type,
                             const fl_datum_t *fields, fl_buf_t *buf);

/**
 * @brief Split a stored KV value (ValueDecoder) into its schema id and row bytes (a view).
 * @returns FL_ERR__UNDERFLOW when shorter than 2 bytes.
 */
fl_err_t fl_row_split_value(const void *p, size_t len, int16_t *schema_id /* OUT */,
                            fl_view_t *row /* OUT */);

/**
 * @brief The minimal big-endian two's-complement bytes of v (Java BigInteger.toByteArray()).
 * @returns the number of bytes written to out (1..8).
 */
size_t fl_row_unscaled_bytes(int64_t v, uint8_t out[8] /* OUT */);

/** @returns true for the IndexedRow variable-length columns (length-list slot holders). */
bool fl_row_indexed_is_var(const fl_type_t *t);

#endif
