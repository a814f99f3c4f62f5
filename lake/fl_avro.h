/* fl_avro.h: Apache Avro object container files (write and read) and the Avro binary encoding,
 * for Paimon manifests and manifest lists (lake-paimon.md 4.4-4.7) and Iceberg manifests.
 *
 * Object container file layout (Avro 1.11 spec, "Object Container Files"):
 *
 *   offset   size   contents
 *   0        4      magic "Obj" 0x01
 *   4        ...    file metadata: map<bytes>, Avro-encoded: blocks of
 *                     long count (>0), count x (string key, bytes value), then long 0.
 *                   Keys written here: "avro.schema" (the schema JSON, byte-exact as given)
 *                   and "avro.codec" ("null", "deflate", "snappy" or "zstandard"), then any
 *                   caller metadata.
 *   H        16     sync marker (random)
 *   H+16     ...    data blocks, each:
 *                     long  record count (> 0)
 *                     long  byte size of the (compressed) data
 *                     data  the records, Avro binary, concatenated; compressed as a whole:
 *                           deflate = raw RFC 1951 (no zlib header), snappy = snappy block +
 *                           4-byte big-endian CRC-32 of the uncompressed data, zstandard = one
 *                           zstd frame
 *                     16    the sync marker again
 *
 * Binary encoding: int/long = zig-zag varint; float/double = little-endian IEEE; bytes/string =
 * long length + bytes; boolean = 1 byte; null = nothing; record = fields in order; enum = int
 * index; array/map = blocks of (long count, items) ending with count 0 (a negative count is
 * followed by the block's byte size); union = long branch index + the branch's value; fixed =
 * its bytes.
 *
 * Schema JSON is printed exactly as Java's org.apache.avro.Schema.toString() (Avro 1.11) prints
 * it, since that is the text Paimon and Iceberg put in "avro.schema": compact, a record's
 * "namespace" only when it differs from the enclosing one, field keys in the order name, type,
 * default, then extra props; a primitive with props as {"type":..., props}.
 *
 * Everything schema- and value-shaped lives in a caller's arena. */
#ifndef FL_AVRO_H
#define FL_AVRO_H

#include "fl_arena.h"
#include "fl_base.h"
#include "fl_buf.h"
#include "fl_reader.h"

typedef enum fl_avro_kind_e {
    FL_AVRO_NULL = 0,
    FL_AVRO_BOOLEAN,
    FL_AVRO_INT,
    FL_AVRO_LONG,
    FL_AVRO_FLOAT,
    FL_AVRO_DOUBLE,
    FL_AVRO_BYTES,
    FL_AVRO_STRING,
    FL_AVRO_RECORD,
    FL_AVRO_ENUM,
    FL_AVRO_ARRAY,
    FL_AVRO_MAP,
    FL_AVRO_UNION,
    FL_AVRO_FIXED,
} fl_avro_kind_t;

typedef enum fl_avro_codec_e {
    FL_AVRO_CODEC_NULL = 0,
    FL_AVRO_CODEC_DEFLATE,
    FL_AVRO_CODEC_SNAPPY,
    FL_AVRO_CODEC_ZSTD, /* "zstandard" */
} fl_avro_codec_t;

/* An extra schema attribute: key plus its value as raw JSON text ("1", "\"map\"", "null"). */
typedef struct fl_avro_prop_s {
    const char *key;
    const char *json;
} fl_avro_prop_t;

typedef struct fl_avro_schema_s fl_avro_schema_t;

typedef struct fl_avro_field_s {
    const char *name;
    fl_avro_schema_t *type;
    const char *default_json;  /* raw JSON of "default", NULL = none */
    fl_avro_prop_t *props;     /* printed after "default" ("field-id") */
    uint32_t n_props;
} fl_avro_field_t;

struct fl_avro_schema_s {
    fl_avro_kind_t kind;
    const char *name;          /* RECORD/ENUM/FIXED: full name "ns.simple" */
    const char *logical;       /* "logicalType", NULL = none (printed first among props) */
    int32_t precision, scale;  /* decimal logical type (precision > 0 = print both) */
    int32_t size;              /* FIXED */
    uint32_t n;                /* RECORD fields, UNION branches, ENUM symbols */
    fl_avro_field_t *fields;   /* RECORD */
    fl_avro_schema_t **branches; /* UNION */
    const char **symbols;      /* ENUM */
    fl_avro_schema_t *items;   /* ARRAY items, MAP values */
    fl_avro_prop_t *props;     /* other props of the type, printed after the logical type */
    uint32_t n_props;
};

/* ---- building schemas (arena-allocated; names and strings are copied) ---- */
fl_avro_schema_t *fl_avro_prim(fl_arena_t *arena, fl_avro_kind_t kind);
/** @brief A primitive with a logicalType ("timestamp-millis", "date"). */
fl_avro_schema_t *fl_avro_logical(fl_arena_t *arena, fl_avro_kind_t kind, const char *logical);
fl_avro_schema_t *fl_avro_decimal(fl_arena_t *arena, fl_avro_kind_t kind /* BYTES or FIXED */,
                                  int32_t precision, int32_t scale);
/** @brief A record with n fields, to be set with fl_avro_field_set(). */
fl_avro_schema_t *fl_avro_record(fl_arena_t *arena, const char *full_name, uint32_t n);
void fl_avro_field_set(fl_arena_t *arena, fl_avro_schema_t *rec, uint32_t i, const char *name,
                       fl_avro_schema_t *type, const char *default_json);
fl_avro_schema_t *fl_avro_array(fl_arena_t *arena, fl_avro_schema_t *items);
fl_avro_schema_t *fl_avro_map(fl_arena_t *arena, fl_avro_schema_t *values);
/** @brief ["null", t], the way Paimon and Iceberg write optional values. */
fl_avro_schema_t *fl_avro_optional(fl_arena_t *arena, fl_avro_schema_t *t);
void fl_avro_add_prop(fl_arena_t *arena, fl_avro_prop_t **props, uint32_t *n, const char *key,
                      const char *json);

/** @brief Append the schema's JSON as Java's Schema.toString() prints it. */
void fl_avro_schema_json(const fl_avro_schema_t *schema, fl_buf_t *buf);
/**
 * @brief Parse schema JSON (as found in a file header) into a schema tree in arena. Named types
 * may be referenced by (full) name after their definition.
 * @returns FL_ERR__INVAL with *why (arena string) on malformed or unsupported JSON.
 */
fl_err_t fl_avro_schema_parse(fl_arena_t *arena, const char *json, size_t len,
                              fl_avro_schema_t **out /* OUT */, const char **why /* OUT */);
/** @returns the index of the record field called name, -1 if absent. */
int fl_avro_field_index(const fl_avro_schema_t *rec, const char *name);

/* ---- values ---- */

/* One Avro value, shaped by its schema. For a UNION the payload is the chosen branch's
 * (unions cannot nest), so ["null", long] holding 5 is {branch 1, v.l 5} and null is
 * {branch 0}. */
typedef struct fl_avro_value_s {
    uint32_t branch;   /* UNION: chosen branch */
    uint32_t n;        /* BYTES/STRING/FIXED: length; RECORD: fields; ARRAY: items; MAP: entries */
    union {
        bool b;
        int32_t i;     /* INT, ENUM symbol index */
        int64_t l;
        float f;
        double d;
        const uint8_t *p;                 /* BYTES, STRING (UTF-8), FIXED */
        struct fl_avro_value_s *items;    /* RECORD: n fields; ARRAY: n; MAP: 2n (key, value) */
    } v;
} fl_avro_value_t;

static inline fl_avro_value_t fl_avro_v_null(void) {
    fl_avro_value_t v = {0};
    return v;
}
static inline fl_avro_value_t fl_avro_v_bool(bool b) {
    fl_avro_value_t v = {0};
    v.v.b = b;
    return v;
}
static inline fl_avro_value_t fl_avro_v_int(int32_t i) {
    fl_avro_value_t v = {0};
    v.v.i = i;
    return v;
}
static inline fl_avro_value_t fl_avro_v_long(int64_t l) {
    fl_avro_value_t v = {0};
    v.v.l = l;
    return v;
}
static inline fl_avro_value_t fl_avro_v_bytes(const void *p, uint32_t n) {
    fl_avro_value_t v = {0};
    v.v.p = (const uint8_t *)p;
    v.n = n;
    return v;
}
fl_avro_value_t fl_avro_v_str(const char *s);
/** @brief Make v the non-null branch (1) of an optional ["null", T]. */
static inline fl_avro_value_t fl_avro_v_some(fl_avro_value_t v) {
    v.branch = 1;
    return v;
}
/** @brief A RECORD/ARRAY value with n zeroed items (MAP: 2n) from arena. */
fl_avro_value_t fl_avro_v_list(fl_arena_t *arena, uint32_t n);
fl_avro_value_t fl_avro_v_map(fl_arena_t *arena, uint32_t n);

/* ---- binary encoding ---- */
void fl_avro_put_long(fl_buf_t *buf, int64_t v);
void fl_avro_put_int(fl_buf_t *buf, int32_t v);
void fl_avro_put_bytes(fl_buf_t *buf, const void *p, size_t n);
void fl_avro_put_string(fl_buf_t *buf, const char *s);
/**
 * @brief Encode value as schema says.
 * @returns FL_ERR__INVAL if the value does not fit the schema (a branch out of range, an enum
 *          index out of range, a FIXED of the wrong size); buf may then hold a partial datum.
 */
fl_err_t fl_avro_encode(fl_buf_t *buf, const fl_avro_schema_t *schema, const fl_avro_value_t *v);

/* Limits a decoder enforces on untrusted input. */
#define FL_AVRO_MAX_DEPTH 32
#define FL_AVRO_MAX_ITEMS (1u << 24)      /* items in one array or map */
#define FL_AVRO_MAX_BLOCK (256u << 20)    /* one decompressed block, bytes */

/**
 * @brief Decode one datum of schema from rd into arena. Strings and bytes are views into the
 * reader's input. @returns rd->err (FL_ERR__UNDERFLOW, FL_ERR__OVERFLOW, FL_ERR_CORRUPT_MESSAGE
 * for a bad branch or enum index, a bad varint, or too deep nesting).
 */
fl_err_t fl_avro_decode(fl_reader_t *rd, const fl_avro_schema_t *schema, fl_arena_t *arena,
                        fl_avro_value_t *out /* OUT */);

/* ---- container files: writing ---- */

/** @brief Sink for file bytes, in order. @returns FL_ERR_NONE or a sticky error. */
typedef fl_err_t (*fl_avro_write_cb)(void *ctx, const void *p, size_t n);

typedef struct fl_avro_meta_s {
    const char *key;
    const void *value;
    size_t len;
} fl_avro_meta_t;

typedef struct fl_avro_writer_opts_s {
    fl_avro_codec_t codec;
    int level;                  /* deflate 1..9 / zstd level; 0 = codec default */
    size_t block_bytes;         /* close a block at this many uncompressed bytes; 0 = 64000 */
    const fl_avro_meta_t *meta; /* extra header metadata, copied into the header */
    size_t n_meta;
    const uint8_t *sync;        /* 16 bytes, NULL = random */
} fl_avro_writer_opts_t;

typedef struct fl_avro_writer_s fl_avro_writer_t;

/**
 * @brief Start a container file: writes the header at once. schema_json is the exact text put
 * in "avro.schema" (NULL = fl_avro_schema_json(schema)); it must describe schema.
 */
fl_err_t fl_avro_writer_new(const fl_avro_schema_t *schema, const char *schema_json,
                            const fl_avro_writer_opts_t *opts, fl_avro_write_cb cb, void *ctx,
                            fl_avro_writer_t **out /* OUT */);
/** @brief As fl_avro_writer_new(), appending the file to *buf. */
fl_err_t fl_avro_writer_new_buf(const fl_avro_schema_t *schema, const char *schema_json,
                                const fl_avro_writer_opts_t *opts, fl_buf_t *buf,
                                fl_avro_writer_t **out /* OUT */);
/** @brief Append one record. FL_ERR__INVAL if it does not fit the schema (nothing appended). */
fl_err_t fl_avro_writer_append(fl_avro_writer_t *w, const fl_avro_value_t *v);
/** @returns records appended so far. */
uint64_t fl_avro_writer_count(const fl_avro_writer_t *w);
/** @brief Write the last block. *size (optional) = exact file size. */
fl_err_t fl_avro_writer_finish(fl_avro_writer_t *w, uint64_t *size /* OUT */);
void fl_avro_writer_free(fl_avro_writer_t *w);

/* ---- container files: reading ---- */

typedef struct fl_avro_file_s {
    const fl_avro_schema_t *schema; /* the writer's schema, parsed from the header */
    const char *schema_json;        /* NUL-terminated copy in the arena */
    fl_avro_codec_t codec;
    fl_avro_meta_t *meta;           /* every header entry; values are views into the input */
    size_t n_meta;
    fl_avro_value_t *records;       /* all records, decoded with the writer's schema */
    size_t n_records;
} fl_avro_file_t;

/**
 * @brief Read a whole container file. Values point into data (null codec) or into arena.
 * @returns FL_ERR_CORRUPT_MESSAGE with *why for a bad magic, header, sync marker, codec, block
 *          or datum; FL_ERR__INVAL for an unsupported schema.
 */
fl_err_t fl_avro_file_read(fl_arena_t *arena, const void *data, size_t len,
                           fl_avro_file_t *out /* OUT */, const char **why /* OUT */);

/** @returns "null", "deflate", "snappy", "zstandard". */
const char *fl_avro_codec_name(fl_avro_codec_t codec);

#endif
