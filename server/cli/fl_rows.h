/* fl_rows.h: rows as people write and read them (fl-admin table produce / scan): JSON values,
 * CSV cells and display text, converted to and from Fluss values (fl_datum_t, fl_types.h).
 *
 * Text forms, per type (the same in JSON strings and CSV cells; docs/cli.md "Values"):
 *   BOOLEAN            true | false (any case); JSON true/false
 *   TINYINT..BIGINT    decimal integer, range-checked
 *   FLOAT, DOUBLE      decimal or exponent notation, NaN, Infinity, -Infinity
 *   DECIMAL(p, s)      [-]digits[.digits][e[+-]n]; at most s fractional digits (no rounding),
 *                      at most p digits in all
 *   CHAR(n), STRING    UTF-8 text (validated); CHAR at most n characters
 *   BINARY(n), BYTES   base64 (RFC 4648, padding optional) or hex (fl_rowopts_t.hex_binary);
 *                      BINARY(n) exactly n bytes
 *   DATE               yyyy-mm-dd, or an integer: days since 1970-01-01
 *   TIME(p)            HH:MM[:SS[.fraction]], or an integer: milliseconds of the day
 *   TIMESTAMP(p)       yyyy-mm-dd[T| ]HH:MM[:SS[.fraction]] (no zone), or a yyyy-mm-dd date, or
 *                      an integer: epoch milliseconds
 *   TIMESTAMP_LTZ(p)   as TIMESTAMP plus an optional zone Z | +HH[:MM] | -HH[:MM] (no zone =
 *                      UTC), or an integer: epoch milliseconds
 *   ARRAY, MAP, ROW    JSON: an array; an object (keys in the key type's text form) or an
 *                      array of [key, value] pairs; an object keyed by field name or an array
 *                      in field order. In a CSV cell: that JSON as text.
 * A fraction may have up to 9 digits; digits beyond the type's precision must be 0 (values are
 * never rounded or truncated silently).
 *
 * Output (fl_rows_json / fl_rows_text) writes the same forms, so scan output is produce input:
 * FLOAT/DOUBLE the shortest text that reads back to the same value (with ".0" when integral),
 * DECIMAL exactly s fractional digits (a JSON number), TIME/TIMESTAMP exactly p fractional
 * digits, TIMESTAMP_LTZ in UTC with a "Z", MAP an object when its keys are CHAR/STRING and
 * [[key, value], ...] otherwise, ROW an object by field name. */
#ifndef FL_ROWS_H
#define FL_ROWS_H

#include <stdio.h>

#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_types.h"

/* ---- a small JSON reader that keeps numbers as text (exact DECIMAL and BIGINT) ---------- */

typedef enum fl_jkind_e {
    FL_J_NULL = 0,
    FL_J_BOOL,
    FL_J_NUM,
    FL_J_STR,
    FL_J_ARR,
    FL_J_OBJ,
} fl_jkind_t;

typedef struct fl_jval_s {
    fl_jkind_t kind;
    bool b;                    /* FL_J_BOOL */
    const char *s;             /* FL_J_NUM: the number as written; FL_J_STR: decoded UTF-8 */
    size_t len;                /* bytes at s (strings may hold NUL) */
    struct fl_jval_s *items;   /* FL_J_ARR elements, FL_J_OBJ member values */
    const char **keys;         /* FL_J_OBJ member names (decoded, NUL-terminated) */
    size_t n;                  /* element / member count */
} fl_jval_t;

#define FL_JSON_MAX_DEPTH 64

/**
 * @brief Parse exactly one JSON value from p[0..len) (surrounding white space allowed).
 * @returns FL_ERR_NONE, or FL_ERR__INVAL with *why (an arena string naming the character).
 */
fl_err_t fl_json_parse(fl_arena_t *a, const char *p, size_t len, fl_jval_t **out /* OUT */,
                       const char **why /* OUT */);

/* ---- values ------------------------------------------------------------------------------ */

typedef struct fl_rowopts_s {
    bool hex_binary; /* BINARY/BYTES as hex instead of base64 */
} fl_rowopts_t;

/**
 * @brief Convert a JSON value to a value of type t. JSON null gives a null datum (refused
 * when t is NOT NULL).
 * @returns FL_ERR_NONE, or FL_ERR__INVAL with *why ("'12x' is not an INT"); memory from a.
 */
fl_err_t fl_rows_from_json(fl_arena_t *a, const fl_type_t *t, const fl_jval_t *v,
                           const fl_rowopts_t *o, fl_datum_t *out /* OUT */,
                           const char **why /* OUT */);

/**
 * @brief Convert text (a CSV cell; s[0..len), need not be NUL-terminated) to a non-null value
 * of type t. ARRAY/MAP/ROW text is parsed as JSON.
 */
fl_err_t fl_rows_from_text(fl_arena_t *a, const fl_type_t *t, const char *s, size_t len,
                           const fl_rowopts_t *o, fl_datum_t *out /* OUT */,
                           const char **why /* OUT */);

/** @brief Append the JSON form of d (null -> null). */
void fl_rows_json(fl_buf_t *out, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o);

/** @brief Append the text form of a non-null d: scalars unquoted as in the table above,
 *  ARRAY/MAP/ROW as JSON. */
void fl_rows_text(fl_buf_t *out, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o);

/** @brief Append s[0..len) as a JSON string (quotes and escapes). */
void fl_rows_json_str(fl_buf_t *out, const char *s, size_t len);

/** @brief Append s[0..len) as one CSV cell (quoted when it must be; "" for an empty string). */
void fl_rows_csv_cell(fl_buf_t *out, const char *s, size_t len);

/**
 * @brief The partition value text Fluss derives from a partition column's value
 * (PartitionUtils.convertValueOfType): strings as they are, booleans, integers, BINARY/BYTES
 * as lower-case hex, DATE yyyy-mm-dd, TIME HH-mm-ss_SSS.
 * @returns FL_ERR_NONE, or FL_ERR__INVAL for FLOAT/DOUBLE/TIMESTAMP keys (not supported here).
 */
fl_err_t fl_rows_partition_value(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *out);

/** @brief Format epoch milliseconds as yyyy-mm-ddTHH:MM:SS.mmmZ. */
void fl_rows_fmt_millis(int64_t ms, char *buf, size_t len);

/**
 * @brief Parse an ISO-8601 date-time with optional zone (no zone = UTC), or a yyyy-mm-dd date,
 * into epoch milliseconds (sub-millisecond digits must be zero). @returns false if malformed.
 */
bool fl_rows_parse_instant(const char *s, int64_t *ms /* OUT */);

/* ---- CSV input --------------------------------------------------------------------------- */

typedef struct fl_csv_cell_s {
    const char *s;   /* arena copy, NUL-terminated */
    size_t len;
    bool quoted;     /* it was written in quotes ("" = empty string, not null) */
} fl_csv_cell_t;

/**
 * @brief Read one CSV record (RFC 4180: comma separator, "" escapes a quote, quoted cells may
 * span lines, CRLF or LF) from f. *line is the line number the record starts on (counting
 * from 1 across calls; the caller keeps it at 0 before the first call). Blank lines are
 * skipped.
 * @returns 1 with the cells, 0 at end of input, -1 for a malformed record (*why).
 */
int fl_csv_read(FILE *f, fl_arena_t *a, long *line /* IN/OUT */, long *start_line /* OUT */,
                fl_csv_cell_t **cells /* OUT */, size_t *n /* OUT */, const char **why /* OUT */);

#endif
