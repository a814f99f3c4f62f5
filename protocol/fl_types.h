/* fl_types.h: Fluss data types and in-memory values, shared by every record format (rows,
 * Arrow, Parquet, Avro) and by schema JSON.
 *
 * A type is a tree (ARRAY/MAP/ROW have children). Values are fl_datum_t; a row is an array of
 * datums, one per field. Variable-length values are views (pointer + length) whose memory
 * belongs to whoever built the datum (usually a request arena or the decoded input). */
#ifndef FL_TYPES_H
#define FL_TYPES_H

#include "fl_base.h"

/* DataTypeRoot names as they appear in Fluss JSON ("type": "INTEGER"). */
typedef enum fl_type_root_e {
    FL_T_BOOLEAN = 0,
    FL_T_TINYINT,
    FL_T_SMALLINT,
    FL_T_INTEGER,
    FL_T_BIGINT,
    FL_T_FLOAT,
    FL_T_DOUBLE,
    FL_T_DECIMAL,    /* precision, scale */
    FL_T_CHAR,       /* length */
    FL_T_STRING,
    FL_T_BINARY,     /* length */
    FL_T_BYTES,
    FL_T_DATE,
    FL_T_TIME,       /* TIME_WITHOUT_TIME_ZONE, precision */
    FL_T_TIMESTAMP,  /* TIMESTAMP_WITHOUT_TIME_ZONE, precision */
    FL_T_TIMESTAMP_LTZ, /* TIMESTAMP_WITH_LOCAL_TIME_ZONE, precision */
    FL_T_ARRAY,      /* children[0] = element */
    FL_T_MAP,        /* children[0] = key, children[1] = value */
    FL_T_ROW,        /* children[i] = field i, field_names[i], field_ids[i] */
    FL_T__COUNT
} fl_type_root_t;

typedef struct fl_type_s {
    fl_type_root_t root;
    bool nullable;
    int32_t length;      /* CHAR, BINARY */
    int32_t precision;   /* DECIMAL, TIME, TIMESTAMP, TIMESTAMP_LTZ */
    int32_t scale;       /* DECIMAL */
    uint32_t n_children;
    struct fl_type_s *children;    /* ARRAY: 1, MAP: 2, ROW: n fields */
    char **field_names;            /* ROW only */
    char **field_descriptions;     /* ROW only; entries may be NULL */
    int32_t *field_ids;            /* ROW only; -1 when absent */
} fl_type_t;

/* A timestamp: epoch milliseconds plus nanoseconds within the millisecond (0..999999). */
typedef struct fl_timestamp_s {
    int64_t millis;
    int32_t nanos;
} fl_timestamp_t;

/* A decimal: compact (precision <= 18) as the unscaled int64; otherwise the unscaled value as
 * minimal big-endian two's-complement bytes (as Java's BigInteger.toByteArray()). */
typedef struct fl_decimal_s {
    int64_t unscaled;        /* valid when compact */
    const uint8_t *big;      /* valid when not compact */
    uint32_t big_len;
} fl_decimal_t;

struct fl_datum_s;

/* ARRAY values: n elements. MAP values: n keys and n values. ROW values: n fields. */
typedef struct fl_datum_list_s {
    const struct fl_datum_s *items;
    const struct fl_datum_s *values; /* MAP only */
    uint32_t n;
} fl_datum_list_t;

typedef struct fl_datum_s {
    bool is_null;
    union {
        bool b;
        int8_t i8;
        int16_t i16;
        int32_t i32;     /* INTEGER, DATE (days since epoch), TIME (millis of day) */
        int64_t i64;
        float f32;
        double f64;
        fl_decimal_t dec;
        fl_timestamp_t ts;
        struct {
            const uint8_t *p;
            uint32_t len;
        } bytes;         /* CHAR, STRING (UTF-8), BINARY, BYTES */
        fl_datum_list_t list; /* ARRAY, MAP, ROW */
    } v;
} fl_datum_t;

/** @returns the JSON root name ("INTEGER", "TIMESTAMP_WITH_LOCAL_TIME_ZONE"). */
const char *fl_type_root_name(fl_type_root_t root);
/** @returns 0 and sets *out for a root name, -1 for an unknown one. */
int fl_type_root_parse(const char *name, fl_type_root_t *out /* OUT */);
/** @returns true for DECIMAL with precision <= 18. */
bool fl_type_decimal_compact(const fl_type_t *t);
/** @returns true for TIMESTAMP / TIMESTAMP_LTZ with precision <= 3. */
bool fl_type_timestamp_compact(const fl_type_t *t);

#endif
