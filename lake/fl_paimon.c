/* fl_paimon.c: the Paimon table writer (see fl_paimon.h for the layout and the protocol). */
#define _GNU_SOURCE
#include "fl_paimon.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fl_arena.h"
#include "fl_lakefile.h"
#include "fl_log.h"
#include "fl_vfs.h"

#define FL_PAIMON_MAX_META_FILE (1u << 30)  /* largest manifest/snapshot we read back */
#define FL_PAIMON_STATS_TRUNCATE 16          /* metadata.stats-mode = truncate(16) */
#define FL_PAIMON_KEY_FIELD_ID_BASE 1073741823 /* Integer.MAX_VALUE / 2 */
#define FL_PAIMON_SEQ_FIELD_ID 2147483646
#define FL_PAIMON_KIND_FIELD_ID 2147483645
#define FL_PAIMON_RECORD "org.apache.paimon.avro.generated.record"

static const char *const fl_paimon_sys_names[3] = {"__bucket", "__offset", "__timestamp"};

/* ------------------------------------------------------------------------------------------ */
/* State */

/* A manifest file meta (one record of a manifest list). */
typedef struct fl_paimon_mfmeta_s {
    char *file_name;
    int64_t file_size, num_added, num_deleted, schema_id;
    fl_buf_t pmin, pmax;       /* partition stats BinaryRows */
    int64_t *null_counts;      /* partition stats null counts; INT64_MIN = null */
    uint32_t n_null_counts;
    bool has_bucket, has_level;
    int32_t min_bucket, max_bucket, min_level, max_level;
} fl_paimon_mfmeta_t;

/* Highest sequence number used so far in one (partition, Paimon bucket). */
typedef struct fl_paimon_seq_s {
    fl_buf_t partition;        /* serialized partition BinaryRow */
    int32_t bucket;
    int64_t max_seq;           /* -1 = none */
} fl_paimon_seq_t;

struct fl_paimon_table_s {
    fl_arena_t *arena;         /* lives as long as the table */
    char *path;                /* <warehouse>/<db>.db/<table> */
    fl_paimon_opts_t opts;
    fl_table_desc_t desc;      /* copy */
    uint32_t n_user;           /* user columns */
    fl_type_t row_type;        /* ROW: user columns + system columns (Paimon ids) */
    fl_type_t pk_file_type;    /* ROW: _KEY_*, _SEQUENCE_NUMBER, _VALUE_KIND, table columns */
    bool is_pk;
    uint32_t n_keys;           /* trimmed PK fields */
    int *key_idx;              /* their user column indexes */
    uint32_t n_part;
    int *part_idx;             /* partition key user column indexes */
    int32_t num_buckets;       /* the "bucket" option: -1 = bucket-unaware */
    int64_t schema_id;
    /* Avro schemas and their header JSON */
    fl_avro_schema_t *entry_schema, *meta_schema;
    char *entry_json, *meta_json;
    /* the latest snapshot this handle knows */
    int64_t snapshot_id;       /* 0 = none */
    int64_t total_records;
    fl_paimon_mfmeta_t **metas; /* base + delta manifests of the latest snapshot */
    size_t n_metas;
    fl_paimon_seq_t *seqs;
    size_t n_seqs, cap_seqs;
    fl_paimon_round_t *round;  /* the open round, if any */
    char *why;                 /* fl_malloc'd message of the last failure */
};

/* A finished data or changelog file. */
typedef struct fl_paimon_dfile_s {
    char *name;
    char *path;                /* absolute */
    uint64_t size, rows;
    fl_buf_t min_key, max_key;
    fl_buf_t kmin, kmax;       /* key stats */
    int64_t *knulls;
    fl_buf_t vmin, vmax;       /* value stats */
    int64_t *vnulls;           /* INT64_MIN = null */
    int64_t min_seq, max_seq;
    int64_t delete_rows;
    bool changelog;
    struct fl_paimon_bucket_s *bs;
} fl_paimon_dfile_t;

/* One PK record buffered in a round. */
typedef struct fl_paimon_rec_s {
    fl_datum_t *row;           /* user columns, deep copy in the round arena */
    int64_t seq;
    int64_t offset, ts;
    int8_t kind;               /* Paimon RowKind: 0 +I, 1 -U, 2 +U, 3 -D */
} fl_paimon_rec_t;

/* The round's state of one (partition, Fluss bucket). */
typedef struct fl_paimon_bucket_s {
    char *partition_name;      /* Fluss name ("" unpartitioned) */
    fl_datum_t *part_vals;     /* partition values (round arena) */
    fl_buf_t partition;        /* serialized BinaryRow */
    char *dir;                 /* absolute directory of the files */
    int32_t fluss_bucket;
    int32_t paimon_bucket;
    int64_t next_seq;          /* next sequence number of this round */
    /* append tables: the open data file */
    fl_pq_writer_t *pq;
    fl_lakefile_t *out;
    int64_t file_min_seq, file_max_seq;
    /* PK tables: buffered records */
    fl_paimon_rec_t *recs;
    size_t n_recs, cap_recs;
    struct fl_paimon_bucket_s *next;
} fl_paimon_bucket_t;

struct fl_paimon_round_s {
    fl_paimon_table_t *t;
    fl_arena_t *arena;
    char uuid[37];
    uint32_t file_seq;         /* n in data-<uuid>-<n> */
    fl_paimon_bucket_t *buckets;
    fl_paimon_bucket_t *last;  /* lookup cache */
    fl_paimon_dfile_t **files;
    size_t n_files, cap_files;
    fl_lakeset_t created;      /* every file written (for abort) */
    uint64_t rows;
    fl_err_t err;              /* sticky I/O error */
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers */

static void fl_paimon_set_why(fl_paimon_table_t *t, const char **why, const char *fmt, ...)
    FL_PRINTF(3, 4);
static void fl_paimon_set_why(fl_paimon_table_t *t, const char **why, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (t) {
        fl_free(t->why);
        t->why = fl_strdup(tmp);
        if (why) *why = t->why;
    } else if (why) {
        *why = "see log";
    }
    fl_log_warn("lake", "paimon: %s", tmp);
}

static int64_t fl_paimon_now(const fl_paimon_table_t *t) {
    return t->opts.now_ms ? t->opts.now_ms : fl_now_ms();
}

/* Write a whole small file under a fresh name (the round tracks it for abort). */
/* ------------------------------------------------------------------------------------------ */
/* JSON: Jackson's default pretty printer */

static void fl_paimon_json_str(fl_buf_t *buf, const char *s, size_t n) {
    fl_buf_put_u8(buf, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fl_buf_put_u8(buf, '\\');
            fl_buf_put_u8(buf, c);
        } else if (c < 0x20) {
            char tmp[8];
            switch (c) {
            case '\b': fl_buf_put(buf, "\\b", 2); break;
            case '\t': fl_buf_put(buf, "\\t", 2); break;
            case '\n': fl_buf_put(buf, "\\n", 2); break;
            case '\f': fl_buf_put(buf, "\\f", 2); break;
            case '\r': fl_buf_put(buf, "\\r", 2); break;
            default:
                snprintf(tmp, sizeof(tmp), "\\u%04X", c);
                fl_buf_put(buf, tmp, 6);
            }
        } else {
            fl_buf_put_u8(buf, c);
        }
    }
    fl_buf_put_u8(buf, '"');
}

static void fl_paimon_indent(fl_buf_t *buf, int level) {
    fl_buf_put_u8(buf, '\n');
    for (int i = 0; i < level; i++) fl_buf_put(buf, "  ", 2);
}

static void fl_paimon_pp(const json_t *j, int level, fl_buf_t *buf) {
    char tmp[64];
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        if (json_object_size(j) == 0) {
            fl_buf_put(buf, "{ }", 3);
            return;
        }
        fl_buf_put_u8(buf, '{');
        const char *key;
        json_t *val;
        bool first = true;
        json_object_foreach((json_t *)j, key, val) {
            if (!first) fl_buf_put_u8(buf, ',');
            first = false;
            fl_paimon_indent(buf, level + 1);
            fl_paimon_json_str(buf, key, strlen(key));
            fl_buf_put(buf, " : ", 3);
            fl_paimon_pp(val, level + 1, buf);
        }
        fl_paimon_indent(buf, level);
        fl_buf_put_u8(buf, '}');
        return;
    }
    case JSON_ARRAY: {
        if (json_array_size(j) == 0) {
            fl_buf_put(buf, "[ ]", 3);
            return;
        }
        fl_buf_put_u8(buf, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i) fl_buf_put_u8(buf, ',');
            fl_buf_put_u8(buf, ' ');
            fl_paimon_pp(json_array_get(j, i), level, buf);
        }
        fl_buf_put(buf, " ]", 2);
        return;
    }
    case JSON_STRING:
        fl_paimon_json_str(buf, json_string_value(j), json_string_length(j));
        return;
    case JSON_INTEGER:
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        fl_buf_put(buf, tmp, strlen(tmp));
        return;
    case JSON_REAL:
        snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(j));
        fl_buf_put(buf, tmp, strlen(tmp));
        return;
    case JSON_TRUE: fl_buf_put(buf, "true", 4); return;
    case JSON_FALSE: fl_buf_put(buf, "false", 5); return;
    case JSON_NULL: fl_buf_put(buf, "null", 4); return;
    }
}

void fl_paimon_json_pretty(const struct json_t *j, fl_buf_t *out) {
    fl_paimon_pp(j, 0, out);
}

/* ------------------------------------------------------------------------------------------ */
/* Types and schema JSON */

static bool fl_paimon_atomic(const fl_type_t *t) {
    return t->root != FL_T_ARRAY && t->root != FL_T_MAP && t->root != FL_T_ROW;
}

void fl_paimon_type_string(const fl_type_t *t, fl_buf_t *out) {
    char tmp[96];
    switch (t->root) {
    case FL_T_BOOLEAN: snprintf(tmp, sizeof(tmp), "BOOLEAN"); break;
    case FL_T_TINYINT: snprintf(tmp, sizeof(tmp), "TINYINT"); break;
    case FL_T_SMALLINT: snprintf(tmp, sizeof(tmp), "SMALLINT"); break;
    case FL_T_INTEGER: snprintf(tmp, sizeof(tmp), "INT"); break;
    case FL_T_BIGINT: snprintf(tmp, sizeof(tmp), "BIGINT"); break;
    case FL_T_FLOAT: snprintf(tmp, sizeof(tmp), "FLOAT"); break;
    case FL_T_DOUBLE: snprintf(tmp, sizeof(tmp), "DOUBLE"); break;
    case FL_T_DECIMAL: snprintf(tmp, sizeof(tmp), "DECIMAL(%d, %d)", t->precision, t->scale); break;
    case FL_T_CHAR: snprintf(tmp, sizeof(tmp), "CHAR(%d)", t->length); break;
    case FL_T_STRING: snprintf(tmp, sizeof(tmp), "STRING"); break;
    case FL_T_BINARY: snprintf(tmp, sizeof(tmp), "BINARY(%d)", t->length); break;
    case FL_T_BYTES: snprintf(tmp, sizeof(tmp), "BYTES"); break;
    case FL_T_DATE: snprintf(tmp, sizeof(tmp), "DATE"); break;
    case FL_T_TIME: snprintf(tmp, sizeof(tmp), "TIME(%d)", t->precision); break;
    case FL_T_TIMESTAMP: snprintf(tmp, sizeof(tmp), "TIMESTAMP(%d)", t->precision); break;
    case FL_T_TIMESTAMP_LTZ:
        snprintf(tmp, sizeof(tmp), "TIMESTAMP(%d) WITH LOCAL TIME ZONE", t->precision);
        break;
    case FL_T_ARRAY: snprintf(tmp, sizeof(tmp), "ARRAY"); break;
    case FL_T_MAP: snprintf(tmp, sizeof(tmp), "MAP"); break;
    default: snprintf(tmp, sizeof(tmp), "ROW"); break;
    }
    fl_buf_put(out, tmp, strlen(tmp));
    if (!t->nullable) fl_buf_put(out, " NOT NULL", 9);
}

static json_t *fl_paimon_type_json(const fl_type_t *t);

static json_t *fl_paimon_field_json(int32_t id, const char *name, const fl_type_t *type,
                                    const char *description) {
    json_t *f = json_object();
    json_object_set_new(f, "id", json_integer(id));
    json_object_set_new(f, "name", json_string(name));
    json_object_set_new(f, "type", fl_paimon_type_json(type));
    if (description) json_object_set_new(f, "description", json_string(description));
    return f;
}

static json_t *fl_paimon_type_json(const fl_type_t *t) {
    fl_buf_t b;
    fl_buf_init(&b);
    fl_paimon_type_string(t, &b);
    json_t *s = json_stringn((const char *)b.p, b.len);
    fl_buf_free(&b);
    if (fl_paimon_atomic(t)) return s;
    json_t *o = json_object();
    json_object_set_new(o, "type", s);
    if (t->root == FL_T_ARRAY) {
        json_object_set_new(o, "element", fl_paimon_type_json(&t->children[0]));
    } else if (t->root == FL_T_MAP) {
        json_object_set_new(o, "key", fl_paimon_type_json(&t->children[0]));
        json_object_set_new(o, "value", fl_paimon_type_json(&t->children[1]));
    } else {
        json_t *fields = json_array();
        for (uint32_t i = 0; i < t->n_children; i++)
            json_array_append_new(fields, fl_paimon_field_json(
                                              t->field_ids[i], t->field_names[i], &t->children[i],
                                              t->field_descriptions ? t->field_descriptions[i]
                                                                    : NULL));
        json_object_set_new(o, "fields", fields);
    }
    return o;
}

/* Paimon's ReassignFieldId: nested ROW fields take ids from the table's counter, pre-order. */
static void fl_paimon_assign_ids(fl_type_t *t, int32_t *counter) {
    if (t->root == FL_T_ROW) {
        for (uint32_t i = 0; i < t->n_children; i++) {
            t->field_ids[i] = ++*counter;
            fl_paimon_assign_ids(&t->children[i], counter);
        }
    } else {
        for (uint32_t i = 0; i < t->n_children; i++) fl_paimon_assign_ids(&t->children[i], counter);
    }
}

static bool fl_paimon_starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The table options Fluss sets (PaimonConversions.toPaimonSchema), in the order it sets them. */
static json_t *fl_paimon_options_json(const fl_paimon_table_t *t, const fl_strs_t *bucket_keys) {
    json_t *o = json_object();
    char tmp[32];
    json_object_set_new(o, "partition.legacy-name", json_string("false"));
    snprintf(tmp, sizeof(tmp), "%d", (int)t->num_buckets);
    json_object_set_new(o, "bucket", json_string(tmp));
    if (bucket_keys->n) {
        fl_buf_t b;
        fl_buf_init(&b);
        for (size_t i = 0; i < bucket_keys->n; i++) {
            if (i) fl_buf_put_u8(&b, ',');
            fl_buf_put(&b, bucket_keys->items[i], strlen(bucket_keys->items[i]));
        }
        json_object_set_new(o, "bucket-key", json_stringn((const char *)b.p, b.len));
        fl_buf_free(&b);
    }
    if (t->is_pk) json_object_set_new(o, "changelog-producer", json_string("input"));
    const fl_kvs_t *sets[2] = {&t->desc.properties, &t->desc.custom_properties};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sets[s]->n; i++) {
            const fl_kv_t *kv = &sets[s]->items[i];
            if (!kv->key || !kv->value) continue;
            if (fl_paimon_starts(kv->key, "paimon.")) {
                json_object_set_new(o, kv->key + 7, json_string(kv->value));
            } else if (!fl_paimon_starts(kv->key, "table.datalake.paimon.")) {
                char *k = fl_arena_sprintf(t->arena, "fluss.%s", kv->key);
                json_object_set_new(o, k, json_string(kv->value));
            }
        }
    }
    return o;
}

static json_t *fl_paimon_strs_json(const fl_strs_t *s) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++) json_array_append_new(a, json_string(s->items[i]));
    return a;
}

/* ------------------------------------------------------------------------------------------ */
/* BinaryRow */

static size_t fl_paimon_bitset_bytes(uint32_t n) {
    return ((n + 63 + 8) / 64) * 8;
}

/* Append var-part bytes padded to 8 and point slot at them. */
static void fl_paimon_var(fl_buf_t *out, size_t row_start, size_t slot, const void *p, size_t n,
                          uint32_t low) {
    size_t off = out->len - row_start;
    size_t padded = (n + 7) & ~(size_t)7;
    uint8_t *dst = fl_buf_extend(out, padded);
    memset(dst, 0, padded);
    if (n) memcpy(dst, p, n);
    uint64_t v = ((uint64_t)off << 32) | low;
    for (int i = 0; i < 8; i++) out->p[slot + i] = (uint8_t)(v >> (8 * i));
}

void fl_paimon_binrow(const fl_type_t *const *types, const fl_datum_t *vals, uint32_t n,
                      fl_buf_t *out) {
    fl_buf_put_i32be(out, (int32_t)n);
    size_t start = out->len;
    size_t nb = fl_paimon_bitset_bytes(n);
    size_t fixed = nb + 8 * (size_t)n;
    uint8_t *z = fl_buf_extend(out, fixed);
    memset(z, 0, fixed);
    for (uint32_t i = 0; i < n; i++) {
        const fl_type_t *t = types[i];
        const fl_datum_t *d = &vals[i];
        size_t slot = start + nb + 8 * (size_t)i;
        if (!t || d->is_null || !fl_paimon_atomic(t)) {
            out->p[start + (i + 8) / 8] |= (uint8_t)(1u << ((i + 8) % 8));
            continue;
        }
        uint64_t v = 0;
        bool fixed_val = true;
        switch (t->root) {
        case FL_T_BOOLEAN: v = d->v.b ? 1 : 0; break;
        case FL_T_TINYINT: v = (uint8_t)d->v.i8; break;
        case FL_T_SMALLINT: v = (uint16_t)d->v.i16; break;
        case FL_T_INTEGER: case FL_T_DATE: case FL_T_TIME: v = (uint32_t)d->v.i32; break;
        case FL_T_BIGINT: v = (uint64_t)d->v.i64; break;
        case FL_T_FLOAT: {
            uint32_t bits;
            memcpy(&bits, &d->v.f32, 4);
            v = bits;
            break;
        }
        case FL_T_DOUBLE: memcpy(&v, &d->v.f64, 8); break;
        case FL_T_DECIMAL:
            if (fl_type_decimal_compact(t)) {
                v = (uint64_t)d->v.dec.unscaled;
            } else {
                uint8_t b16[16] = {0};
                uint32_t bl = FL_MIN(d->v.dec.big_len, 16u);
                if (bl) memcpy(b16, d->v.dec.big, bl);
                /* 16 bytes reserved, the first nbytes hold the value */
                size_t off = out->len - start;
                uint8_t *dst = fl_buf_extend(out, 16);
                memcpy(dst, b16, 16);
                uint64_t sv = ((uint64_t)off << 32) | bl;
                for (int k = 0; k < 8; k++) out->p[slot + k] = (uint8_t)(sv >> (8 * k));
                fixed_val = false;
            }
            break;
        case FL_T_TIMESTAMP: case FL_T_TIMESTAMP_LTZ:
            if (fl_type_timestamp_compact(t)) {
                v = (uint64_t)d->v.ts.millis;
            } else {
                uint8_t m[8];
                for (int k = 0; k < 8; k++) m[k] = (uint8_t)((uint64_t)d->v.ts.millis >> (8 * k));
                fl_paimon_var(out, start, slot, m, 8, (uint32_t)d->v.ts.nanos);
                fixed_val = false;
            }
            break;
        default: /* CHAR, STRING, BINARY, BYTES */
            if (d->v.bytes.len <= 7) {
                if (d->v.bytes.len) memcpy(&out->p[slot], d->v.bytes.p, d->v.bytes.len);
                out->p[slot + 7] = (uint8_t)(0x80 | d->v.bytes.len);
            } else {
                fl_paimon_var(out, start, slot, d->v.bytes.p, d->v.bytes.len, d->v.bytes.len);
            }
            fixed_val = false;
            break;
        }
        if (fixed_val)
            for (int k = 0; k < 8; k++) out->p[slot + k] = (uint8_t)(v >> (8 * k));
    }
}

static void fl_paimon_empty_row(fl_buf_t *out) {
    fl_paimon_binrow(NULL, NULL, 0, out);
}

/* ------------------------------------------------------------------------------------------ */
/* Values: compare and copy */

static int fl_paimon_cmp_bytes(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl) {
    int c = memcmp(a, b, FL_MIN(al, bl));
    if (c) return c < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

/* Java's Double.compare: -0.0 < 0.0, NaN above everything. */
static int fl_paimon_cmp_double(double a, double b) {
    if (a < b) return -1;
    if (a > b) return 1;
    int64_t x, y;
    memcpy(&x, &a, 8);
    memcpy(&y, &b, 8);
    if (a != a) x = 0x7ff8000000000000ll;
    if (b != b) y = 0x7ff8000000000000ll;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Big-endian two's-complement compare. */
static int fl_paimon_cmp_big(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl) {
    bool an = al && (a[0] & 0x80), bn = bl && (b[0] & 0x80);
    if (an != bn) return an ? -1 : 1;
    uint32_t n = FL_MAX(al, bl);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t x = i + al >= n ? a[i + al - n] : (an ? 0xff : 0);
        uint8_t y = i + bl >= n ? b[i + bl - n] : (bn ? 0xff : 0);
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

/* Paimon's order of two non-null atomic values of type t. */
static int fl_paimon_cmp(const fl_type_t *t, const fl_datum_t *a, const fl_datum_t *b) {
    if (a->is_null || b->is_null) return a->is_null == b->is_null ? 0 : a->is_null ? -1 : 1;
    switch (t->root) {
    case FL_T_BOOLEAN: return (int)a->v.b - (int)b->v.b;
    case FL_T_TINYINT: return a->v.i8 < b->v.i8 ? -1 : a->v.i8 > b->v.i8;
    case FL_T_SMALLINT: return a->v.i16 < b->v.i16 ? -1 : a->v.i16 > b->v.i16;
    case FL_T_INTEGER: case FL_T_DATE: case FL_T_TIME:
        return a->v.i32 < b->v.i32 ? -1 : a->v.i32 > b->v.i32;
    case FL_T_BIGINT: return a->v.i64 < b->v.i64 ? -1 : a->v.i64 > b->v.i64;
    case FL_T_FLOAT: return fl_paimon_cmp_double(a->v.f32, b->v.f32);
    case FL_T_DOUBLE: return fl_paimon_cmp_double(a->v.f64, b->v.f64);
    case FL_T_DECIMAL:
        if (fl_type_decimal_compact(t))
            return a->v.dec.unscaled < b->v.dec.unscaled ? -1 : a->v.dec.unscaled > b->v.dec.unscaled;
        return fl_paimon_cmp_big(a->v.dec.big, a->v.dec.big_len, b->v.dec.big, b->v.dec.big_len);
    case FL_T_TIMESTAMP: case FL_T_TIMESTAMP_LTZ:
        if (a->v.ts.millis != b->v.ts.millis) return a->v.ts.millis < b->v.ts.millis ? -1 : 1;
        return a->v.ts.nanos < b->v.ts.nanos ? -1 : a->v.ts.nanos > b->v.ts.nanos;
    case FL_T_CHAR: case FL_T_STRING: case FL_T_BINARY: case FL_T_BYTES:
        return fl_paimon_cmp_bytes(a->v.bytes.p, a->v.bytes.len, b->v.bytes.p, b->v.bytes.len);
    default: return 0;
    }
}

static void fl_paimon_copy(fl_arena_t *a, const fl_type_t *t, const fl_datum_t *src,
                           fl_datum_t *dst) {
    *dst = *src;
    if (src->is_null) return;
    switch (t->root) {
    case FL_T_CHAR: case FL_T_STRING: case FL_T_BINARY: case FL_T_BYTES:
        if (src->v.bytes.len) {
            uint8_t *p = fl_arena_alloc(a, src->v.bytes.len);
            memcpy(p, src->v.bytes.p, src->v.bytes.len);
            dst->v.bytes.p = p;
        }
        break;
    case FL_T_DECIMAL:
        if (!fl_type_decimal_compact(t) && src->v.dec.big_len) {
            uint8_t *p = fl_arena_alloc(a, src->v.dec.big_len);
            memcpy(p, src->v.dec.big, src->v.dec.big_len);
            dst->v.dec.big = p;
        }
        break;
    case FL_T_ARRAY: case FL_T_MAP: case FL_T_ROW: {
        uint32_t n = src->v.list.n;
        fl_datum_t *items = fl_arena_alloc(a, (n ? n : 1) * sizeof(*items));
        fl_datum_t *values = NULL;
        if (t->root == FL_T_MAP) values = fl_arena_alloc(a, (n ? n : 1) * sizeof(*values));
        for (uint32_t i = 0; i < n; i++) {
            const fl_type_t *ct = t->root == FL_T_ROW ? &t->children[i] : &t->children[0];
            if (t->root == FL_T_ROW && i >= t->n_children) break;
            fl_paimon_copy(a, ct, &src->v.list.items[i], &items[i]);
            if (values) fl_paimon_copy(a, &t->children[1], &src->v.list.values[i], &values[i]);
        }
        dst->v.list.items = items;
        dst->v.list.values = values;
        break;
    }
    default: break;
    }
}

/* Stats truncation as truncate(16): strings keep 16 code points for the min; the max keeps 16
 * code points with the last one incremented (false = no upper bound). */
static size_t fl_paimon_utf8_prefix(const uint8_t *p, size_t n, size_t cps, size_t *last) {
    size_t i = 0, k = 0;
    *last = 0;
    while (i < n && k < cps) {
        *last = i;
        size_t step = 1;
        if (p[i] >= 0xf0) step = 4;
        else if (p[i] >= 0xe0) step = 3;
        else if (p[i] >= 0xc0) step = 2;
        i = FL_MIN(n, i + step);
        k++;
    }
    return i;
}

static void fl_paimon_put_utf8(fl_buf_t *b, uint32_t cp) {
    if (cp < 0x80) {
        fl_buf_put_u8(b, (uint8_t)cp);
    } else if (cp < 0x800) {
        fl_buf_put_u8(b, (uint8_t)(0xc0 | (cp >> 6)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        fl_buf_put_u8(b, (uint8_t)(0xe0 | (cp >> 12)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else {
        fl_buf_put_u8(b, (uint8_t)(0xf0 | (cp >> 18)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3f)));
    }
}

static bool fl_paimon_truncate_max(fl_arena_t *a, fl_datum_t *d) {
    size_t last;
    size_t cut = fl_paimon_utf8_prefix(d->v.bytes.p, d->v.bytes.len, FL_PAIMON_STATS_TRUNCATE, &last);
    if (cut >= d->v.bytes.len) return true;
    const uint8_t *p = d->v.bytes.p;
    uint32_t cp;
    size_t len = cut - last;
    if (len == 1) cp = p[last];
    else if (len == 2) cp = ((p[last] & 0x1fu) << 6) | (p[last + 1] & 0x3fu);
    else if (len == 3) cp = ((p[last] & 0x0fu) << 12) | ((p[last + 1] & 0x3fu) << 6) | (p[last + 2] & 0x3fu);
    else cp = ((p[last] & 0x07u) << 18) | ((p[last + 1] & 0x3fu) << 12) | ((p[last + 2] & 0x3fu) << 6) | (p[last + 3] & 0x3fu);
    cp++;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000;
    if (cp > 0x10ffff) return false;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_buf_put(&b, p, last);
    fl_paimon_put_utf8(&b, cp);
    uint8_t *np = fl_arena_alloc(a, b.len);
    memcpy(np, b.p, b.len);
    d->v.bytes.p = np;
    d->v.bytes.len = (uint32_t)b.len;
    fl_buf_free(&b);
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Avro schemas of manifests and manifest lists (ManifestEntry / ManifestFileMeta, _VERSION 2) */

static fl_avro_schema_t *fl_paimon_stats_schema(fl_arena_t *a, const char *name) {
    fl_avro_schema_t *s = fl_avro_record(a, name, 3);
    fl_avro_field_set(a, s, 0, "_MIN_VALUES", fl_avro_prim(a, FL_AVRO_BYTES), NULL);
    fl_avro_field_set(a, s, 1, "_MAX_VALUES", fl_avro_prim(a, FL_AVRO_BYTES), NULL);
    fl_avro_field_set(a, s, 2, "_NULL_COUNTS",
                      fl_avro_optional(a, fl_avro_array(a, fl_avro_optional(
                                                              a, fl_avro_prim(a, FL_AVRO_LONG)))),
                      "null");
    return s;
}

static fl_avro_schema_t *fl_paimon_opt(fl_arena_t *a, fl_avro_kind_t k) {
    return fl_avro_optional(a, fl_avro_prim(a, k));
}

static fl_avro_schema_t *fl_paimon_entry_schema(fl_arena_t *a) {
    fl_avro_schema_t *file = fl_avro_record(a, FL_PAIMON_RECORD "__FILE", 20);
    fl_avro_field_set(a, file, 0, "_FILE_NAME", fl_avro_prim(a, FL_AVRO_STRING), NULL);
    fl_avro_field_set(a, file, 1, "_FILE_SIZE", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, file, 2, "_ROW_COUNT", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, file, 3, "_MIN_KEY", fl_avro_prim(a, FL_AVRO_BYTES), NULL);
    fl_avro_field_set(a, file, 4, "_MAX_KEY", fl_avro_prim(a, FL_AVRO_BYTES), NULL);
    fl_avro_field_set(a, file, 5, "_KEY_STATS",
                      fl_paimon_stats_schema(a, FL_PAIMON_RECORD "__FILE__KEY_STATS"), NULL);
    fl_avro_field_set(a, file, 6, "_VALUE_STATS",
                      fl_paimon_stats_schema(a, FL_PAIMON_RECORD "__FILE__VALUE_STATS"), NULL);
    fl_avro_field_set(a, file, 7, "_MIN_SEQUENCE_NUMBER", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, file, 8, "_MAX_SEQUENCE_NUMBER", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, file, 9, "_SCHEMA_ID", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, file, 10, "_LEVEL", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, file, 11, "_EXTRA_FILES",
                      fl_avro_array(a, fl_avro_prim(a, FL_AVRO_STRING)), NULL);
    fl_avro_field_set(a, file, 12, "_CREATION_TIME",
                      fl_avro_optional(a, fl_avro_logical(a, FL_AVRO_LONG, "timestamp-millis")),
                      "null");
    fl_avro_field_set(a, file, 13, "_DELETE_ROW_COUNT", fl_paimon_opt(a, FL_AVRO_LONG), "null");
    fl_avro_field_set(a, file, 14, "_EMBEDDED_FILE_INDEX", fl_paimon_opt(a, FL_AVRO_BYTES), "null");
    fl_avro_field_set(a, file, 15, "_FILE_SOURCE", fl_paimon_opt(a, FL_AVRO_INT), "null");
    fl_avro_field_set(a, file, 16, "_VALUE_STATS_COLS",
                      fl_avro_optional(a, fl_avro_array(a, fl_avro_prim(a, FL_AVRO_STRING))),
                      "null");
    fl_avro_field_set(a, file, 17, "_EXTERNAL_PATH", fl_paimon_opt(a, FL_AVRO_STRING), "null");
    fl_avro_field_set(a, file, 18, "_FIRST_ROW_ID", fl_paimon_opt(a, FL_AVRO_LONG), "null");
    fl_avro_field_set(a, file, 19, "_WRITE_COLS",
                      fl_avro_optional(a, fl_avro_array(a, fl_avro_prim(a, FL_AVRO_STRING))),
                      "null");
    fl_avro_schema_t *e = fl_avro_record(a, FL_PAIMON_RECORD, 6);
    fl_avro_field_set(a, e, 0, "_VERSION", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, e, 1, "_KIND", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, e, 2, "_PARTITION", fl_avro_prim(a, FL_AVRO_BYTES), NULL);
    fl_avro_field_set(a, e, 3, "_BUCKET", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, e, 4, "_TOTAL_BUCKETS", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, e, 5, "_FILE", file, NULL);
    return e;
}

static fl_avro_schema_t *fl_paimon_meta_schema(fl_arena_t *a) {
    fl_avro_schema_t *m = fl_avro_record(a, FL_PAIMON_RECORD, 11);
    fl_avro_field_set(a, m, 0, "_VERSION", fl_avro_prim(a, FL_AVRO_INT), NULL);
    fl_avro_field_set(a, m, 1, "_FILE_NAME", fl_avro_prim(a, FL_AVRO_STRING), NULL);
    fl_avro_field_set(a, m, 2, "_FILE_SIZE", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, m, 3, "_NUM_ADDED_FILES", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, m, 4, "_NUM_DELETED_FILES", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, m, 5, "_PARTITION_STATS",
                      fl_paimon_stats_schema(a, FL_PAIMON_RECORD "__PARTITION_STATS"), NULL);
    fl_avro_field_set(a, m, 6, "_SCHEMA_ID", fl_avro_prim(a, FL_AVRO_LONG), NULL);
    fl_avro_field_set(a, m, 7, "_MIN_BUCKET", fl_paimon_opt(a, FL_AVRO_INT), "null");
    fl_avro_field_set(a, m, 8, "_MAX_BUCKET", fl_paimon_opt(a, FL_AVRO_INT), "null");
    fl_avro_field_set(a, m, 9, "_MIN_LEVEL", fl_paimon_opt(a, FL_AVRO_INT), "null");
    fl_avro_field_set(a, m, 10, "_MAX_LEVEL", fl_paimon_opt(a, FL_AVRO_INT), "null");
    return m;
}

static fl_avro_value_t fl_paimon_v_buf(const fl_buf_t *b) {
    return fl_avro_v_bytes(b->p, (uint32_t)b->len);
}

static fl_avro_value_t fl_paimon_v_stats(fl_arena_t *a, const fl_buf_t *min, const fl_buf_t *max,
                                         const int64_t *nulls, uint32_t n) {
    fl_avro_value_t s = fl_avro_v_list(a, 3);
    s.v.items[0] = fl_paimon_v_buf(min);
    s.v.items[1] = fl_paimon_v_buf(max);
    fl_avro_value_t arr = fl_avro_v_list(a, n);
    for (uint32_t i = 0; i < n; i++)
        arr.v.items[i] = nulls[i] == INT64_MIN ? fl_avro_v_null()
                                               : fl_avro_v_some(fl_avro_v_long(nulls[i]));
    s.v.items[2] = fl_avro_v_some(arr);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading back JSON and Avro */

static fl_err_t fl_paimon_read_json(const char *path, json_t **out) {
    uint8_t *p;
    size_t len;
    *out = NULL;
    fl_err_t err = fl_vfs_read_file(path, FL_PAIMON_MAX_META_FILE, &p, &len);
    if (err) return err;
    json_error_t jerr;
    *out = json_loadb((const char *)p, len, 0, &jerr);
    fl_free(p);
    return *out ? FL_ERR_NONE : FL_ERR_CORRUPT_MESSAGE;
}

static const fl_avro_value_t *fl_paimon_get(const fl_avro_schema_t *s, const fl_avro_value_t *v,
                                            const char *name, const fl_avro_schema_t **fs) {
    int i = fl_avro_field_index(s, name);
    if (i < 0) return NULL;
    if (fs) *fs = s->fields[i].type;
    return &v->v.items[i];
}

/* A long/int field, possibly inside ["null", T]; @returns false when absent or null. */
static bool fl_paimon_get_long(const fl_avro_schema_t *s, const fl_avro_value_t *v,
                               const char *name, int64_t *out) {
    const fl_avro_schema_t *fs;
    const fl_avro_value_t *f = fl_paimon_get(s, v, name, &fs);
    if (!f) return false;
    if (fs->kind == FL_AVRO_UNION) {
        fs = fs->branches[f->branch];
    }
    if (fs->kind == FL_AVRO_LONG) *out = f->v.l;
    else if (fs->kind == FL_AVRO_INT) *out = f->v.i;
    else return false;
    return true;
}

static bool fl_paimon_get_bytes(const fl_avro_schema_t *s, const fl_avro_value_t *v,
                                const char *name, const uint8_t **p, uint32_t *n) {
    const fl_avro_schema_t *fs;
    const fl_avro_value_t *f = fl_paimon_get(s, v, name, &fs);
    if (!f) return false;
    if (fs->kind == FL_AVRO_UNION) fs = fs->branches[f->branch];
    if (fs->kind != FL_AVRO_BYTES && fs->kind != FL_AVRO_STRING) return false;
    *p = f->v.p;
    *n = f->n;
    return true;
}

static fl_err_t fl_paimon_read_avro(fl_arena_t *a, const char *path, fl_avro_file_t *f,
                                    const char **why) {
    uint8_t *p;
    size_t len;
    fl_err_t err = fl_vfs_read_file(path, FL_PAIMON_MAX_META_FILE, &p, &len);
    if (err) {
        *why = "cannot read a manifest file";
        return err;
    }
    /* keep the bytes alive with the arena: copy them in */
    uint8_t *cp = fl_arena_alloc(a, len ? len : 1);
    if (len) memcpy(cp, p, len);
    fl_free(p);
    return fl_avro_file_read(a, cp, len, f, why);
}

static void fl_paimon_mfmeta_free(fl_paimon_mfmeta_t *m) {
    if (!m) return;
    fl_free(m->file_name);
    fl_buf_free(&m->pmin);
    fl_buf_free(&m->pmax);
    fl_free(m->null_counts);
    fl_free(m);
}

/* Read a manifest list; appends its metas to t->metas. */
static fl_err_t fl_paimon_load_list(fl_paimon_table_t *t, const char *name, const char **why) {
    fl_arena_t *a = fl_arena_new(0);
    char *path = fl_arena_sprintf(a, "%s/manifest/%s", t->path, name);
    fl_avro_file_t f;
    fl_err_t err = fl_paimon_read_avro(a, path, &f, why);
    if (err) goto out;
    const fl_avro_schema_t *s = f.schema;
    for (size_t i = 0; i < f.n_records; i++) {
        const fl_avro_value_t *v = &f.records[i];
        fl_paimon_mfmeta_t *m = fl_calloc(1, sizeof(*m));
        const uint8_t *p;
        uint32_t n;
        int64_t x;
        bool ok = s->kind == FL_AVRO_RECORD && fl_paimon_get_bytes(s, v, "_FILE_NAME", &p, &n);
        if (ok) m->file_name = fl_strndup((const char *)p, n);
        ok = ok && fl_paimon_get_long(s, v, "_FILE_SIZE", &m->file_size) &&
             fl_paimon_get_long(s, v, "_NUM_ADDED_FILES", &m->num_added) &&
             fl_paimon_get_long(s, v, "_NUM_DELETED_FILES", &m->num_deleted) &&
             fl_paimon_get_long(s, v, "_SCHEMA_ID", &m->schema_id);
        m->has_bucket = fl_paimon_get_long(s, v, "_MIN_BUCKET", &x);
        m->min_bucket = (int32_t)x;
        m->has_bucket = m->has_bucket && fl_paimon_get_long(s, v, "_MAX_BUCKET", &x);
        m->max_bucket = (int32_t)x;
        m->has_level = fl_paimon_get_long(s, v, "_MIN_LEVEL", &x);
        m->min_level = (int32_t)x;
        m->has_level = m->has_level && fl_paimon_get_long(s, v, "_MAX_LEVEL", &x);
        m->max_level = (int32_t)x;
        const fl_avro_schema_t *ps;
        const fl_avro_value_t *pv = ok ? fl_paimon_get(s, v, "_PARTITION_STATS", &ps) : NULL;
        ok = pv && ps->kind == FL_AVRO_RECORD;
        if (ok && fl_paimon_get_bytes(ps, pv, "_MIN_VALUES", &p, &n)) fl_buf_put(&m->pmin, p, n);
        else ok = false;
        if (ok && fl_paimon_get_bytes(ps, pv, "_MAX_VALUES", &p, &n)) fl_buf_put(&m->pmax, p, n);
        else ok = false;
        if (ok) {
            const fl_avro_schema_t *ns;
            const fl_avro_value_t *nv = fl_paimon_get(ps, pv, "_NULL_COUNTS", &ns);
            if (nv && ns->kind == FL_AVRO_UNION) ns = ns->branches[nv->branch];
            if (nv && ns->kind == FL_AVRO_ARRAY) {
                m->n_null_counts = nv->n;
                m->null_counts = fl_calloc(nv->n ? nv->n : 1, sizeof(int64_t));
                const fl_avro_schema_t *is = ns->items;
                for (uint32_t k = 0; k < nv->n; k++) {
                    const fl_avro_value_t *iv = &nv->v.items[k];
                    const fl_avro_schema_t *b = is->kind == FL_AVRO_UNION ? is->branches[iv->branch] : is;
                    m->null_counts[k] = b->kind == FL_AVRO_LONG ? iv->v.l : INT64_MIN;
                }
            }
        }
        if (!ok) {
            fl_paimon_mfmeta_free(m);
            *why = "manifest list record lacks a required field";
            err = FL_ERR_CORRUPT_MESSAGE;
            goto out;
        }
        t->metas = fl_realloc(t->metas, (t->n_metas + 1) * sizeof(*t->metas));
        t->metas[t->n_metas++] = m;
    }
out:
    fl_arena_destroy(a);
    return err;
}

static fl_paimon_seq_t *fl_paimon_seq_slot(fl_paimon_table_t *t, const fl_buf_t *partition,
                                           int32_t bucket) {
    for (size_t i = 0; i < t->n_seqs; i++) {
        fl_paimon_seq_t *s = &t->seqs[i];
        if (s->bucket == bucket && s->partition.len == partition->len &&
            memcmp(s->partition.p, partition->p, partition->len) == 0)
            return s;
    }
    if (t->n_seqs == t->cap_seqs) {
        size_t ncap = t->cap_seqs ? t->cap_seqs * 2 : 16;
        fl_paimon_seq_t *ns = fl_calloc(ncap, sizeof(*ns));
        if (t->n_seqs) memcpy(ns, t->seqs, t->n_seqs * sizeof(*ns));
        fl_free(t->seqs);
        t->seqs = ns;
        t->cap_seqs = ncap;
        /* pointers into the old array held by an open round are refreshed by lookup */
    }
    fl_paimon_seq_t *s = &t->seqs[t->n_seqs++];
    fl_buf_init(&s->partition);
    fl_buf_put(&s->partition, partition->p, partition->len);
    s->bucket = bucket;
    s->max_seq = -1;
    return s;
}

/* Scan the manifests of the latest snapshot for each bucket's highest sequence number. */
static fl_err_t fl_paimon_load_seqs(fl_paimon_table_t *t, const char **why) {
    for (size_t i = 0; i < t->n_metas; i++) {
        fl_arena_t *a = fl_arena_new(0);
        char *path = fl_arena_sprintf(a, "%s/manifest/%s", t->path, t->metas[i]->file_name);
        fl_avro_file_t f;
        fl_err_t err = fl_paimon_read_avro(a, path, &f, why);
        for (size_t k = 0; !err && k < f.n_records; k++) {
            const fl_avro_schema_t *s = f.schema, *fs;
            const fl_avro_value_t *v = &f.records[k];
            int64_t kind, bucket, maxseq;
            const uint8_t *p;
            uint32_t n;
            const fl_avro_value_t *fv = fl_paimon_get(s, v, "_FILE", &fs);
            if (!fv || fs->kind != FL_AVRO_RECORD || !fl_paimon_get_long(s, v, "_KIND", &kind) ||
                !fl_paimon_get_long(s, v, "_BUCKET", &bucket) ||
                !fl_paimon_get_bytes(s, v, "_PARTITION", &p, &n) ||
                !fl_paimon_get_long(fs, fv, "_MAX_SEQUENCE_NUMBER", &maxseq)) {
                *why = "manifest entry lacks a required field";
                err = FL_ERR_CORRUPT_MESSAGE;
                break;
            }
            if (kind != 0) continue;
            fl_buf_t pb = {(uint8_t *)p, n, n};
            fl_paimon_seq_t *slot = fl_paimon_seq_slot(t, &pb, (int32_t)bucket);
            if (maxseq > slot->max_seq) slot->max_seq = maxseq;
        }
        fl_arena_destroy(a);
        if (err) return err;
    }
    return FL_ERR_NONE;
}

/* Snapshot id from LATEST, verified against the directory as Paimon does. 0 = none. */
static fl_err_t fl_paimon_find_latest(const char *table_path, int64_t *out) {
    char path[4096];
    *out = 0;
    snprintf(path, sizeof(path), "%s/snapshot/LATEST", table_path);
    uint8_t *p;
    size_t len;
    int64_t hint = -1;
    if (fl_vfs_read_file(path, 64, &p, &len) == FL_ERR_NONE) {
        char tmp[65];
        memcpy(tmp, p, len);
        tmp[len] = 0;
        fl_free(p);
        char *end;
        long long v = strtoll(tmp, &end, 10);
        if (end != tmp && *end == 0 && v > 0) hint = v;
    }
    if (hint > 0) {
        char next[4096];
        snprintf(path, sizeof(path), "%s/snapshot/snapshot-%" PRId64, table_path, hint);
        snprintf(next, sizeof(next), "%s/snapshot/snapshot-%" PRId64, table_path, hint + 1);
        if (fl_lake_exists(path) && !fl_lake_exists(next)) {
            *out = hint;
            return FL_ERR_NONE;
        }
    }
    snprintf(path, sizeof(path), "%s/snapshot", table_path);
    DIR *d = fl_vfs->opendir(path);
    if (!d) return errno == ENOENT ? FL_ERR_NONE : FL_ERR__IO;
    struct dirent *de;
    while ((de = fl_vfs->readdir(d)) != NULL) {
        if (strncmp(de->d_name, "snapshot-", 9) != 0) continue;
        char *end;
        long long v = strtoll(de->d_name + 9, &end, 10);
        if (*end == 0 && v > *out) *out = v;
    }
    fl_vfs->closedir(d);
    return FL_ERR_NONE;
}

/* Load the latest snapshot's state into t. */
static fl_err_t fl_paimon_load_state(fl_paimon_table_t *t, const char **why) {
    int64_t id;
    fl_err_t err = fl_paimon_find_latest(t->path, &id);
    if (err) {
        fl_paimon_set_why(t, why, "cannot list %s/snapshot", t->path);
        return err;
    }
    t->snapshot_id = id;
    if (id == 0) return FL_ERR_NONE;
    char path[4096];
    snprintf(path, sizeof(path), "%s/snapshot/snapshot-%" PRId64, t->path, id);
    json_t *j;
    err = fl_paimon_read_json(path, &j);
    if (err) {
        fl_paimon_set_why(t, why, "cannot read %s", path);
        return err == FL_ERR__NOENT ? FL_ERR_CORRUPT_MESSAGE : err;
    }
    const char *base = json_string_value(json_object_get(j, "baseManifestList"));
    const char *delta = json_string_value(json_object_get(j, "deltaManifestList"));
    json_t *total = json_object_get(j, "totalRecordCount");
    if (!base || !delta) {
        json_decref(j);
        fl_paimon_set_why(t, why, "%s lacks its manifest lists", path);
        return FL_ERR_CORRUPT_MESSAGE;
    }
    t->total_records = json_is_integer(total) ? json_integer_value(total) : 0;
    const char *w = NULL;
    err = fl_paimon_load_list(t, base, &w);
    if (!err) err = fl_paimon_load_list(t, delta, &w);
    if (!err) err = fl_paimon_load_seqs(t, &w);
    if (!json_is_integer(total) && !err) {
        /* recount like Paimon: rows of live ADD entries are not tracked here; use the metas */
        t->total_records = 0;
    }
    json_decref(j);
    if (err) fl_paimon_set_why(t, why, "snapshot %" PRId64 ": %s", id, w ? w : "unreadable");
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* Table open */

void fl_paimon_opts_default(fl_paimon_opts_t *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->data_codec = FL_PQ_ZSTD;
    opts->manifest_codec = FL_AVRO_CODEC_DEFLATE;
    opts->target_file_bytes = 128ull << 20;
}

static bool fl_paimon_part_type_ok(const fl_type_t *t) {
    switch (t->root) {
    case FL_T_STRING: case FL_T_CHAR: case FL_T_BOOLEAN: case FL_T_TINYINT: case FL_T_SMALLINT:
    case FL_T_INTEGER: case FL_T_BIGINT:
        return true;
    default:
        return false;
    }
}

static void fl_paimon_build_types(fl_paimon_table_t *t) {
    fl_arena_t *a = t->arena;
    const fl_schema_t *sc = &t->desc.schema;
    uint32_t n = t->n_user + 3;
    fl_type_t *rt = &t->row_type;
    memset(rt, 0, sizeof(*rt));
    rt->root = FL_T_ROW;
    rt->n_children = n;
    rt->children = fl_arena_calloc(a, n * sizeof(fl_type_t));
    rt->field_names = fl_arena_calloc(a, n * sizeof(char *));
    rt->field_descriptions = fl_arena_calloc(a, n * sizeof(char *));
    rt->field_ids = fl_arena_calloc(a, n * sizeof(int32_t));
    int32_t counter = -1;
    for (uint32_t i = 0; i < t->n_user; i++) {
        fl_type_copy(a, &sc->cols[i].type, &rt->children[i]);
        rt->field_names[i] = (char *)sc->cols[i].name;
        rt->field_descriptions[i] = (char *)sc->cols[i].comment;
        rt->field_ids[i] = ++counter;
        fl_paimon_assign_ids(&rt->children[i], &counter);
    }
    for (uint32_t k = 0; k < 3; k++) {
        fl_type_t *ct = &rt->children[t->n_user + k];
        ct->nullable = true;
        ct->root = k == 0 ? FL_T_INTEGER : k == 1 ? FL_T_BIGINT : FL_T_TIMESTAMP_LTZ;
        ct->precision = k == 2 ? 3 : 0;
        rt->field_names[t->n_user + k] = (char *)fl_paimon_sys_names[k];
        rt->field_ids[t->n_user + k] = ++counter;
    }
    t->schema_id = 0;
    if (!t->is_pk) return;
    uint32_t m = t->n_keys + 2 + n;
    fl_type_t *ft = &t->pk_file_type;
    memset(ft, 0, sizeof(*ft));
    ft->root = FL_T_ROW;
    ft->n_children = m;
    ft->children = fl_arena_calloc(a, m * sizeof(fl_type_t));
    ft->field_names = fl_arena_calloc(a, m * sizeof(char *));
    ft->field_descriptions = fl_arena_calloc(a, m * sizeof(char *));
    ft->field_ids = fl_arena_calloc(a, m * sizeof(int32_t));
    for (uint32_t k = 0; k < t->n_keys; k++) {
        int ci = t->key_idx[k];
        ft->children[k] = rt->children[ci];
        ft->children[k].nullable = false;
        ft->field_names[k] = fl_arena_sprintf(a, "_KEY_%s", rt->field_names[ci]);
        ft->field_ids[k] = FL_PAIMON_KEY_FIELD_ID_BASE + rt->field_ids[ci];
    }
    ft->children[t->n_keys].root = FL_T_BIGINT;
    ft->field_names[t->n_keys] = "_SEQUENCE_NUMBER";
    ft->field_ids[t->n_keys] = FL_PAIMON_SEQ_FIELD_ID;
    ft->children[t->n_keys + 1].root = FL_T_TINYINT;
    ft->field_names[t->n_keys + 1] = "_VALUE_KIND";
    ft->field_ids[t->n_keys + 1] = FL_PAIMON_KIND_FIELD_ID;
    for (uint32_t i = 0; i < n; i++) {
        ft->children[t->n_keys + 2 + i] = rt->children[i];
        ft->field_names[t->n_keys + 2 + i] = rt->field_names[i];
        ft->field_ids[t->n_keys + 2 + i] = rt->field_ids[i];
    }
}

/* The schema-0 JSON object for t (Paimon's SchemaSerializer order). */
static json_t *fl_paimon_schema_json(fl_paimon_table_t *t, const fl_strs_t *bucket_keys) {
    json_t *s = json_object();
    json_object_set_new(s, "version", json_integer(3));
    json_object_set_new(s, "id", json_integer(0));
    json_t *fields = json_array();
    int32_t highest = -1;
    for (uint32_t i = 0; i < t->row_type.n_children; i++) {
        json_array_append_new(fields, fl_paimon_field_json(t->row_type.field_ids[i],
                                                           t->row_type.field_names[i],
                                                           &t->row_type.children[i],
                                                           t->row_type.field_descriptions[i]));
    }
    /* the last id handed out is the sytem column __timestamp's */
    highest = t->row_type.field_ids[t->row_type.n_children - 1];
    json_object_set_new(s, "fields", fields);
    json_object_set_new(s, "highestFieldId", json_integer(highest));
    json_object_set_new(s, "partitionKeys", fl_paimon_strs_json(&t->desc.partition_keys));
    json_object_set_new(s, "primaryKeys", fl_paimon_strs_json(&t->desc.schema.primary_key));
    json_object_set_new(s, "options", fl_paimon_options_json(t, bucket_keys));
    if (t->desc.comment) json_object_set_new(s, "comment", json_string(t->desc.comment));
    json_object_set_new(s, "timeMillis", json_integer(fl_paimon_now(t)));
    return s;
}

static fl_err_t fl_paimon_latest_schema(const char *table_path, int64_t *id) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/schema", table_path);
    *id = -1;
    DIR *d = fl_vfs->opendir(path);
    if (!d) return errno == ENOENT ? FL_ERR_NONE : FL_ERR__IO;
    struct dirent *de;
    while ((de = fl_vfs->readdir(d)) != NULL) {
        if (strncmp(de->d_name, "schema-", 7) != 0) continue;
        char *end;
        long long v = strtoll(de->d_name + 7, &end, 10);
        if (*end == 0 && v > *id) *id = v;
    }
    fl_vfs->closedir(d);
    return FL_ERR_NONE;
}

/* create_only: fl_paimon_table_create (the lake catalog): tables this writer cannot tier are
 * taken, an existing table's state is not loaded (only whether it has a snapshot), and no
 * handle is returned. */
static fl_err_t fl_paimon_open_impl(const char *warehouse, const char *db, const char *table,
                                    const fl_table_desc_t *desc, const fl_paimon_opts_t *opts,
                                    bool create_only, bool *has_snapshot,
                                    fl_paimon_table_t **out, const char **why) {
    static const char *no_why = "";
    *out = NULL;
    if (why) *why = no_why;
    fl_paimon_table_t *t = fl_calloc(1, sizeof(*t));
    t->arena = fl_arena_new(0);
    if (opts) t->opts = *opts;
    else fl_paimon_opts_default(&t->opts);
    if (!t->opts.target_file_bytes) t->opts.target_file_bytes = 128ull << 20;
    fl_table_desc_copy(t->arena, desc, &t->desc);
    t->path = fl_arena_sprintf(t->arena, "%s/%s.db/%s", warehouse, db, table);
    const fl_schema_t *sc = &t->desc.schema;
    t->n_user = (uint32_t)sc->n_cols;
    t->is_pk = sc->primary_key.n > 0;
    fl_err_t err = FL_ERR_INVALID_TABLE_EXCEPTION;
    json_t *want = NULL, *have = NULL;

    for (uint32_t i = 0; i < t->n_user; i++) {
        for (int k = 0; k < 3; k++) {
            if (strcmp(sc->cols[i].name, fl_paimon_sys_names[k]) == 0) {
                fl_paimon_set_why(t, why, "Column %s conflicts with a system column name of paimon table, please rename the column.",
                                  sc->cols[i].name);
                goto fail;
            }
        }
    }
    const fl_kvs_t *sets[2] = {&t->desc.properties, &t->desc.custom_properties};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sets[s]->n; i++) {
            const fl_kv_t *kv = &sets[s]->items[i];
            if (!create_only && kv->key && kv->value &&
                strcmp(kv->key, "paimon.deletion-vectors.enabled") == 0 &&
                strcmp(kv->value, "true") == 0) {
                fl_paimon_set_why(t, why, "deletion vectors are not supported by this writer");
                goto fail;
            }
        }
    }
    /* partition keys */
    t->n_part = (uint32_t)t->desc.partition_keys.n;
    t->part_idx = fl_arena_calloc(t->arena, (t->n_part + 1) * sizeof(int));
    for (uint32_t i = 0; i < t->n_part; i++) {
        int ci = fl_schema_col_index(sc, t->desc.partition_keys.items[i]);
        if (ci < 0 || !(create_only ? fl_paimon_atomic(&sc->cols[ci].type)
                                    : fl_paimon_part_type_ok(&sc->cols[ci].type))) {
            fl_paimon_set_why(t, why, "partition key %s: missing or of an unsupported type",
                              t->desc.partition_keys.items[i]);
            goto fail;
        }
        t->part_idx[i] = ci;
    }
    /* trimmed primary key */
    t->key_idx = fl_arena_calloc(t->arena, (sc->primary_key.n + 1) * sizeof(int));
    for (size_t i = 0; i < sc->primary_key.n; i++) {
        const char *k = sc->primary_key.items[i];
        int ci = fl_schema_col_index(sc, k);
        if (ci < 0 || !fl_paimon_atomic(&sc->cols[ci].type)) {
            fl_paimon_set_why(t, why, "primary key %s: missing or not atomic", k);
            goto fail;
        }
        if (fl_strs_has(&t->desc.partition_keys, k)) continue;
        t->key_idx[t->n_keys++] = ci;
    }
    if (t->is_pk && t->n_keys == 0) {
        fl_paimon_set_why(t, why, "primary key has no column besides the partition keys");
        goto fail;
    }
    /* buckets (TableDescriptor.getBucketKeys: PK tables default to PK minus partition keys) */
    fl_strs_t bucket_keys = {0};
    if (t->desc.bucket_keys.n) {
        bucket_keys = t->desc.bucket_keys;
    } else if (t->is_pk) {
        bucket_keys.items = fl_arena_calloc(t->arena, t->n_keys * sizeof(char *));
        for (uint32_t k = 0; k < t->n_keys; k++)
            bucket_keys.items[bucket_keys.n++] = sc->cols[t->key_idx[k]].name;
    }
    if (bucket_keys.n) {
        if (t->desc.bucket_count <= 0) {
            fl_paimon_set_why(t, why, "Bucket count should be set.");
            goto fail;
        }
        t->num_buckets = t->desc.bucket_count;
    } else {
        t->num_buckets = -1;
    }
    fl_paimon_build_types(t);
    t->entry_schema = fl_paimon_entry_schema(t->arena);
    t->meta_schema = fl_paimon_meta_schema(t->arena);
    fl_buf_t jb;
    fl_buf_init(&jb);
    fl_avro_schema_json(t->entry_schema, &jb);
    t->entry_json = fl_arena_strndup(t->arena, (const char *)jb.p, jb.len);
    fl_buf_reset(&jb);
    fl_avro_schema_json(t->meta_schema, &jb);
    t->meta_json = fl_arena_strndup(t->arena, (const char *)jb.p, jb.len);
    fl_buf_free(&jb);

    want = fl_paimon_schema_json(t, &bucket_keys);
    int64_t sid;
    err = fl_paimon_latest_schema(t->path, &sid);
    if (err) {
        fl_paimon_set_why(t, why, "cannot list %s/schema", t->path);
        goto fail;
    }
    char path[4096];
    if (sid < 0) {
        /* create: directories, then schema-0 by the durable recipe */
        snprintf(path, sizeof(path), "%s/schema", t->path);
        if (fl_vfs_mkdirs(path) != 0) {
            fl_paimon_set_why(t, why, "mkdir() failed: %s (%s)", strerror(errno), path);
            err = FL_ERR__IO;
            goto fail;
        }
        fl_buf_t sb;
        fl_buf_init(&sb);
        fl_paimon_json_pretty(want, &sb);
        err = fl_vfs_write_durable(path, "schema-0", sb.p, sb.len);
        fl_buf_free(&sb);
        if (err) {
            fl_paimon_set_why(t, why, "cannot write %s/schema-0", path);
            goto fail;
        }
        snprintf(path, sizeof(path), "%s/%s.db", warehouse, db);
        (void)fl_vfs_fsync_dir(path);
        (void)fl_vfs_fsync_dir(t->path);
    } else {
        snprintf(path, sizeof(path), "%s/schema/schema-%" PRId64, t->path, sid);
        err = fl_paimon_read_json(path, &have);
        if (err) {
            fl_paimon_set_why(t, why, "cannot read %s", path);
            err = FL_ERR_CORRUPT_MESSAGE;
            goto fail;
        }
        /* compare by name/type only: ids and descriptions may differ after evolution */
        json_t *hf = json_object_get(have, "fields"), *wf = json_object_get(want, "fields");
        bool same = json_is_array(hf) && json_array_size(hf) == json_array_size(wf) &&
                    json_equal(json_object_get(have, "partitionKeys"),
                               json_object_get(want, "partitionKeys")) &&
                    json_equal(json_object_get(have, "primaryKeys"),
                               json_object_get(want, "primaryKeys"));
        for (size_t i = 0; same && i < json_array_size(wf); i++) {
            json_t *h = json_array_get(hf, i), *w = json_array_get(wf, i);
            same = json_equal(json_object_get(h, "name"), json_object_get(w, "name")) &&
                   json_equal(json_object_get(h, "type"), json_object_get(w, "type"));
        }
        if (!same) {
            fl_paimon_set_why(t, why, "%s exists with a different schema", t->path);
            err = FL_ERR_LAKE_TABLE_ALREADY_EXIST;
            goto fail;
        }
        t->schema_id = sid;
        if (create_only) {
            int64_t snap = 0;
            err = fl_paimon_find_latest(t->path, &snap);
            if (err) {
                fl_paimon_set_why(t, why, "cannot list %s/snapshot", t->path);
                goto fail;
            }
            if (has_snapshot) *has_snapshot = snap > 0;
            json_decref(want);
            json_decref(have);
            fl_paimon_table_close(t);
            return FL_ERR_NONE;
        }
        /* the bucket count of an existing table is its own */
        const char *b = json_string_value(json_object_get(json_object_get(have, "options"), "bucket"));
        if (b) t->num_buckets = (int32_t)strtol(b, NULL, 10);
        err = fl_paimon_load_state(t, why);
        if (err) goto fail;
    }
    json_decref(want);
    json_decref(have);
    if (create_only) {
        fl_paimon_table_close(t);
        return FL_ERR_NONE;
    }
    *out = t;
    return FL_ERR_NONE;
fail:
    json_decref(want);
    json_decref(have);
    if (why && t->why) {
        /* keep the message alive after the table is gone */
        static _Thread_local char msg[1024];
        snprintf(msg, sizeof(msg), "%s", t->why);
        *why = msg;
    }
    fl_paimon_table_close(t);
    return err;
}

fl_err_t fl_paimon_table_open(const char *warehouse, const char *db, const char *table,
                              const fl_table_desc_t *desc, const fl_paimon_opts_t *opts,
                              fl_paimon_table_t **out, const char **why) {
    return fl_paimon_open_impl(warehouse, db, table, desc, opts, false, NULL, out, why);
}

fl_err_t fl_paimon_table_create(const char *warehouse, const char *db, const char *table,
                                const fl_table_desc_t *desc, bool *has_snapshot,
                                const char **why) {
    fl_paimon_table_t *unused = NULL;
    if (has_snapshot) *has_snapshot = false;
    return fl_paimon_open_impl(warehouse, db, table, desc, NULL, true, has_snapshot, &unused, why);
}

void fl_paimon_table_close(fl_paimon_table_t *t) {
    if (!t) return;
    if (t->round) fl_paimon_round_abort(t->round);
    for (size_t i = 0; i < t->n_metas; i++) fl_paimon_mfmeta_free(t->metas[i]);
    fl_free(t->metas);
    for (size_t i = 0; i < t->n_seqs; i++) fl_buf_free(&t->seqs[i].partition);
    fl_free(t->seqs);
    fl_free(t->why);
    fl_arena_destroy(t->arena);
    fl_free(t);
}

const char *fl_paimon_table_path(const fl_paimon_table_t *t) {
    return t->path;
}

int64_t fl_paimon_table_snapshot_id(const fl_paimon_table_t *t) {
    return t->snapshot_id;
}

/* ------------------------------------------------------------------------------------------ */
/* Rounds */

fl_paimon_round_t *fl_paimon_round_begin(fl_paimon_table_t *t) {
    if (t->round) return NULL;
    fl_paimon_round_t *r = fl_calloc(1, sizeof(*r));
    r->t = t;
    r->arena = fl_arena_new(0);
    fl_lake_uuid(r->uuid);
    t->round = r;
    return r;
}

uint64_t fl_paimon_round_rows(const fl_paimon_round_t *r) {
    return r->rows;
}

static void fl_paimon_round_free(fl_paimon_round_t *r, bool unlink_files) {
    for (fl_paimon_bucket_t *b = r->buckets; b; b = b->next) {
        if (b->pq) fl_pq_writer_free(b->pq);
        if (b->out && b->out->fd >= 0) fl_vfs->close(b->out->fd);
        fl_buf_free(&b->partition);
        fl_free(b->recs);
    }
    for (size_t i = 0; i < r->n_files; i++) {
        fl_paimon_dfile_t *f = r->files[i];
        fl_buf_free(&f->min_key);
        fl_buf_free(&f->max_key);
        fl_buf_free(&f->kmin);
        fl_buf_free(&f->kmax);
        fl_buf_free(&f->vmin);
        fl_buf_free(&f->vmax);
    }
    if (unlink_files) {
        fl_lakeset_unlink(&r->created);
    }
    fl_free(r->files);
    fl_lakeset_free(&r->created);
    r->t->round = NULL;
    fl_arena_destroy(r->arena);
    fl_free(r);
}

void fl_paimon_round_abort(fl_paimon_round_t *r) {
    if (r) fl_paimon_round_free(r, true);
}

/* Render one partition value as Paimon's cast-to-string does (partition.legacy-name=false). */
static void fl_paimon_part_str(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *out) {
    char tmp[32];
    if (d->is_null) return;
    switch (t->root) {
    case FL_T_BOOLEAN: snprintf(tmp, sizeof(tmp), "%s", d->v.b ? "true" : "false"); break;
    case FL_T_TINYINT: snprintf(tmp, sizeof(tmp), "%d", d->v.i8); break;
    case FL_T_SMALLINT: snprintf(tmp, sizeof(tmp), "%d", d->v.i16); break;
    case FL_T_INTEGER: snprintf(tmp, sizeof(tmp), "%d", d->v.i32); break;
    case FL_T_BIGINT: snprintf(tmp, sizeof(tmp), "%" PRId64, d->v.i64); break;
    default:
        fl_buf_put(out, d->v.bytes.p, d->v.bytes.len);
        return;
    }
    fl_buf_put(out, tmp, strlen(tmp));
}

void fl_paimon_escape_path(const char *s, size_t n, fl_buf_t *out) {
    static const char special[] = "\"#%'*/:=?\\\x7f{}[]^";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || (c && strchr(special, c))) {
            char tmp[4];
            snprintf(tmp, sizeof(tmp), "%%%02X", c);
            fl_buf_put(out, tmp, 3);
        } else {
            fl_buf_put_u8(out, c);
        }
    }
}

static fl_paimon_bucket_t *fl_paimon_bucket_get(fl_paimon_round_t *r, const fl_datum_t *row,
                                                int32_t bucket, const char *pname,
                                                const char **why) {
    fl_paimon_table_t *t = r->t;
    const char *name = pname ? pname : "";
    if (r->last && r->last->fluss_bucket == bucket && strcmp(r->last->partition_name, name) == 0)
        return r->last;
    for (fl_paimon_bucket_t *b = r->buckets; b; b = b->next) {
        if (b->fluss_bucket == bucket && strcmp(b->partition_name, name) == 0) {
            r->last = b;
            return b;
        }
    }
    fl_paimon_bucket_t *b = fl_arena_calloc(r->arena, sizeof(*b));
    b->partition_name = fl_arena_strndup(r->arena, name, strlen(name));
    b->fluss_bucket = bucket;
    b->paimon_bucket = t->num_buckets < 0 ? 0 : bucket;
    fl_buf_init(&b->partition);
    b->part_vals = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(fl_datum_t));
    const fl_type_t **ptypes = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(*ptypes));
    fl_buf_t dir, joined;
    fl_buf_init(&dir);
    fl_buf_init(&joined);
    fl_buf_put(&dir, t->path, strlen(t->path));
    for (uint32_t i = 0; i < t->n_part; i++) {
        int ci = t->part_idx[i];
        ptypes[i] = &t->row_type.children[ci];
        fl_paimon_copy(r->arena, ptypes[i], &row[ci], &b->part_vals[i]);
        fl_buf_t v;
        fl_buf_init(&v);
        fl_paimon_part_str(ptypes[i], &row[ci], &v);
        if (i) fl_buf_put_u8(&joined, '$');
        fl_buf_put(&joined, v.p, v.len);
        fl_buf_put_u8(&dir, '/');
        const char *key = t->row_type.field_names[ci];
        fl_paimon_escape_path(key, strlen(key), &dir);
        fl_buf_put_u8(&dir, '=');
        if (v.len == 0) fl_buf_put(&dir, "__DEFAULT_PARTITION__", 21);
        else fl_paimon_escape_path((const char *)v.p, v.len, &dir);
        fl_buf_free(&v);
    }
    bool match = joined.len == strlen(name) && (joined.len == 0 || memcmp(joined.p, name, joined.len) == 0);
    fl_buf_free(&joined);
    if (!match) {
        fl_buf_free(&dir);
        fl_buf_free(&b->partition);
        *why = "partition name does not match the row's partition values";
        return NULL;
    }
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "/bucket-%d", (int)b->paimon_bucket);
    fl_buf_put(&dir, tmp, strlen(tmp));
    b->dir = fl_arena_strndup(r->arena, (const char *)dir.p, dir.len);
    fl_buf_free(&dir);
    fl_paimon_binrow(ptypes, b->part_vals, t->n_part, &b->partition);
    b->next_seq = fl_paimon_seq_slot(t, &b->partition, b->paimon_bucket)->max_seq + 1;
    /* several Fluss buckets of a bucket-unaware table share Paimon bucket 0: continue after
     * the sequence numbers the round already handed out there */
    for (fl_paimon_bucket_t *o = r->buckets; o; o = o->next) {
        if (o->paimon_bucket == b->paimon_bucket && o->partition.len == b->partition.len &&
            memcmp(o->partition.p, b->partition.p, b->partition.len) == 0 && o->next_seq > b->next_seq)
            b->next_seq = o->next_seq;
    }
    b->next = r->buckets;
    r->buckets = b;
    r->last = b;
    return b;
}

static void fl_paimon_add_file(fl_paimon_round_t *r, fl_paimon_dfile_t *f) {
    if (r->n_files == r->cap_files) {
        r->cap_files = r->cap_files ? r->cap_files * 2 : 16;
        r->files = fl_realloc(r->files, r->cap_files * sizeof(*r->files));
    }
    r->files[r->n_files++] = f;
}

/* Stats BinaryRows over columns [first, first + n) of the file type from the writer's leaf
 * statistics (top-level atomic columns only; the rest get null). */
static void fl_paimon_stats_rows(fl_paimon_round_t *r, const fl_type_t *ft, uint32_t first,
                                 uint32_t n, const fl_pq_file_stats_t *st, bool truncate,
                                 fl_buf_t *min, fl_buf_t *max, int64_t **nulls) {
    const fl_type_t **types = fl_arena_calloc(r->arena, (n + 1) * sizeof(*types));
    fl_datum_t *mins = fl_arena_calloc(r->arena, (n + 1) * sizeof(fl_datum_t));
    fl_datum_t *maxs = fl_arena_calloc(r->arena, (n + 1) * sizeof(fl_datum_t));
    *nulls = fl_arena_calloc(r->arena, (n + 1) * sizeof(int64_t));
    for (uint32_t i = 0; i < n; i++) {
        const fl_type_t *ct = &ft->children[first + i];
        const char *name = ft->field_names[first + i];
        mins[i].is_null = maxs[i].is_null = true;
        (*nulls)[i] = INT64_MIN;
        if (!fl_paimon_atomic(ct)) continue;
        const fl_pq_col_stats_t *cs = NULL;
        for (uint32_t k = 0; k < st->n_cols; k++)
            if (strcmp(st->cols[k].path, name) == 0) cs = &st->cols[k];
        if (!cs) continue;
        (*nulls)[i] = (int64_t)cs->null_count;
        /* Paimon keeps no min/max for BINARY/BYTES (byte[] is not Comparable) */
        if (!cs->has_min_max || ct->root == FL_T_BINARY || ct->root == FL_T_BYTES) continue;
        types[i] = ct;
        fl_paimon_copy(r->arena, ct, &cs->min, &mins[i]);
        fl_paimon_copy(r->arena, ct, &cs->max, &maxs[i]);
        if (truncate && (ct->root == FL_T_STRING || ct->root == FL_T_CHAR)) {
            size_t last;
            mins[i].v.bytes.len = (uint32_t)fl_paimon_utf8_prefix(
                mins[i].v.bytes.p, mins[i].v.bytes.len, FL_PAIMON_STATS_TRUNCATE, &last);
            if (!fl_paimon_truncate_max(r->arena, &maxs[i])) {
                mins[i].is_null = maxs[i].is_null = true; /* as Paimon: no bounds */
                types[i] = NULL;
            }
        }
    }
    fl_paimon_binrow(types, mins, n, min);
    fl_paimon_binrow(types, maxs, n, max);
}

/* Open a new Parquet file in b's directory. */
static fl_err_t fl_paimon_file_start(fl_paimon_round_t *r, fl_paimon_bucket_t *b,
                                     const fl_type_t *ft, bool changelog, fl_pq_writer_t **pq,
                                     fl_lakefile_t **out, char **name) {
    if (fl_vfs_mkdirs(b->dir) != 0) {
        fl_log_error("lake", "mkdir() failed: %s (%s)", strerror(errno), b->dir);
        return FL_ERR__IO;
    }
    *name = fl_arena_sprintf(r->arena, "%s-%s-%u.parquet", changelog ? "changelog" : "data",
                             r->uuid, r->file_seq++);
    char *path = fl_arena_sprintf(r->arena, "%s/%s", b->dir, *name);
    fl_err_t err = fl_lakefile_open(r->arena, &r->created, path, out);
    if (err) return err;
    fl_pq_opts_t po;
    fl_pq_opts_default(&po);
    po.flavor = FL_PQ_PAIMON;
    po.codec = r->t->opts.data_codec;
    po.row_group_bytes = 64u << 20;
    po.ids = FL_PQ_IDS_TYPE;
    return fl_pq_writer_new(ft, &po, fl_lakefile_write, *out, pq);
}

/* Finish a Parquet file and record its meta. keys_n = trimmed PK arity (0 for append). */
static fl_err_t fl_paimon_file_finish(fl_paimon_round_t *r, fl_paimon_bucket_t *b,
                                      const fl_type_t *ft, fl_pq_writer_t *pq,
                                      fl_lakefile_t *out, char *name, bool changelog,
                                      int64_t min_seq, int64_t max_seq, int64_t deletes,
                                      const fl_datum_t *first_key, const fl_datum_t *last_key) {
    fl_paimon_table_t *t = r->t;
    const fl_pq_file_stats_t *st;
    fl_err_t err = fl_pq_finish(pq, &st);
    fl_err_t cerr = fl_lakefile_close(out);
    if (!err) err = cerr;
    if (err) {
        fl_pq_writer_free(pq);
        return err;
    }
    fl_paimon_dfile_t *f = fl_arena_calloc(r->arena, sizeof(*f));
    f->name = name;
    f->path = out->path;
    f->size = st->file_size;
    f->rows = st->num_rows;
    f->min_seq = min_seq;
    f->max_seq = max_seq;
    f->delete_rows = deletes;
    f->changelog = changelog;
    f->bs = b;
    fl_buf_init(&f->min_key);
    fl_buf_init(&f->max_key);
    fl_buf_init(&f->kmin);
    fl_buf_init(&f->kmax);
    fl_buf_init(&f->vmin);
    fl_buf_init(&f->vmax);
    uint32_t nk = t->is_pk ? t->n_keys : 0;
    if (nk) {
        const fl_type_t **kt = fl_arena_calloc(r->arena, nk * sizeof(*kt));
        for (uint32_t k = 0; k < nk; k++) kt[k] = &ft->children[k];
        fl_paimon_binrow(kt, first_key, nk, &f->min_key);
        fl_paimon_binrow(kt, last_key, nk, &f->max_key);
        fl_paimon_stats_rows(r, ft, 0, nk, st, false, &f->kmin, &f->kmax, &f->knulls);
    } else {
        fl_paimon_empty_row(&f->min_key);
        fl_paimon_empty_row(&f->max_key);
        fl_paimon_empty_row(&f->kmin);
        fl_paimon_empty_row(&f->kmax);
    }
    uint32_t first = t->is_pk ? t->n_keys + 2 : 0;
    fl_paimon_stats_rows(r, ft, first, t->row_type.n_children, st, true, &f->vmin, &f->vmax,
                         &f->vnulls);
    fl_pq_writer_free(pq);
    fl_paimon_add_file(r, f);
    return FL_ERR_NONE;
}

/* Fill the table-row datums (user + system columns) into dst. */
static void fl_paimon_table_row(const fl_paimon_table_t *t, const fl_datum_t *user, int32_t bucket,
                                int64_t offset, int64_t ts, fl_datum_t *dst) {
    memcpy(dst, user, t->n_user * sizeof(fl_datum_t));
    memset(&dst[t->n_user], 0, 3 * sizeof(fl_datum_t));
    dst[t->n_user].v.i32 = bucket;
    dst[t->n_user + 1].v.i64 = offset;
    dst[t->n_user + 2].v.ts.millis = ts;
}

static fl_err_t fl_paimon_append_finish(fl_paimon_round_t *r, fl_paimon_bucket_t *b) {
    if (!b->pq) return FL_ERR_NONE;
    fl_pq_writer_t *pq = b->pq;
    b->pq = NULL;
    char *name = strrchr(b->out->path, '/') + 1;
    return fl_paimon_file_finish(r, b, &r->t->row_type, pq, b->out, name, false, b->file_min_seq,
                                 b->file_max_seq, 0, NULL, NULL);
}

fl_err_t fl_paimon_round_add(fl_paimon_round_t *r, const char *partition_name, int32_t bucket,
                             const fl_datum_t *row, int change_type, int64_t log_offset,
                             int64_t timestamp_ms) {
    fl_paimon_table_t *t = r->t;
    const char *why = NULL;
    if (r->err) return r->err;
    if (change_type < FL_PAIMON_APPEND_ONLY || change_type > FL_PAIMON_DELETE) return FL_ERR__INVAL;
    if (!t->is_pk && change_type > FL_PAIMON_INSERT) return FL_ERR__INVAL;
    if (bucket < 0 || (t->num_buckets > 0 && bucket >= t->num_buckets)) return FL_ERR__INVAL;
    if ((t->n_part == 0) != (partition_name == NULL)) return FL_ERR__INVAL;
    for (uint32_t k = 0; k < t->n_keys; k++)
        if (row[t->key_idx[k]].is_null) return FL_ERR__INVAL;
    fl_paimon_bucket_t *b = fl_paimon_bucket_get(r, row, bucket, partition_name, &why);
    if (!b) {
        fl_log_warn("lake", "paimon %s: %s", t->path, why);
        return FL_ERR__INVAL;
    }
    if (!t->is_pk) {
        fl_err_t err;
        if (!b->pq) {
            char *name;
            err = fl_paimon_file_start(r, b, &t->row_type, false, &b->pq, &b->out, &name);
            if (err) {
                if (b->pq) fl_pq_writer_free(b->pq);
                b->pq = NULL;
                r->err = err;
                return err;
            }
            b->file_min_seq = b->next_seq;
        }
        fl_datum_t *full = fl_arena_alloc(r->arena, (t->n_user + 3) * sizeof(fl_datum_t));
        fl_paimon_table_row(t, row, bucket, log_offset, timestamp_ms, full);
        err = fl_pq_write_row(b->pq, full);
        if (err == FL_ERR__INVAL) return err;
        if (err) {
            r->err = err;
            return err;
        }
        b->file_max_seq = b->next_seq++;
        r->rows++;
        if (fl_pq_size_estimate(b->pq) >= t->opts.target_file_bytes) {
            err = fl_paimon_append_finish(r, b);
            if (err) r->err = err;
            return err;
        }
        return FL_ERR_NONE;
    }
    /* PK: validate against the Parquet writer's rules later; buffer a deep copy */
    if (b->n_recs == b->cap_recs) {
        b->cap_recs = b->cap_recs ? b->cap_recs * 2 : 64;
        b->recs = fl_realloc(b->recs, b->cap_recs * sizeof(*b->recs));
    }
    fl_paimon_rec_t *rec = &b->recs[b->n_recs];
    rec->row = fl_arena_alloc(r->arena, (t->n_user ? t->n_user : 1) * sizeof(fl_datum_t));
    for (uint32_t i = 0; i < t->n_user; i++) {
        const fl_type_t *ct = &t->row_type.children[i];
        if (row[i].is_null && !ct->nullable) return FL_ERR__INVAL;
        fl_paimon_copy(r->arena, ct, &row[i], &rec->row[i]);
    }
    static const int8_t kinds[5] = {0, 0, 1, 2, 3};
    rec->kind = kinds[change_type];
    rec->seq = b->next_seq++;
    rec->offset = log_offset;
    rec->ts = timestamp_ms;
    b->n_recs++;
    r->rows++;
    return FL_ERR_NONE;
}

/* qsort_r comparator: by trimmed key, then sequence number. */
static int fl_paimon_rec_cmp(const void *x, const void *y, void *ctx) {
    const fl_paimon_table_t *t = ctx;
    const fl_paimon_rec_t *a = x, *b = y;
    for (uint32_t k = 0; k < t->n_keys; k++) {
        int ci = t->key_idx[k];
        int c = fl_paimon_cmp(&t->row_type.children[ci], &a->row[ci], &b->row[ci]);
        if (c) return c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool fl_paimon_same_key(const fl_paimon_table_t *t, const fl_paimon_rec_t *a,
                               const fl_paimon_rec_t *b) {
    for (uint32_t k = 0; k < t->n_keys; k++) {
        int ci = t->key_idx[k];
        if (fl_paimon_cmp(&t->row_type.children[ci], &a->row[ci], &b->row[ci])) return false;
    }
    return true;
}

/* Write the PK bucket's data file(s) (one row per key, latest wins) or changelog file(s)
 * (every record), in key order, rolling at the target size. */
static fl_err_t fl_paimon_pk_write(fl_paimon_round_t *r, fl_paimon_bucket_t *b, bool changelog) {
    fl_paimon_table_t *t = r->t;
    const fl_type_t *ft = &t->pk_file_type;
    uint32_t nf = ft->n_children;
    fl_datum_t *frow = fl_arena_alloc(r->arena, nf * sizeof(fl_datum_t));
    fl_datum_t *first_key = fl_arena_alloc(r->arena, (t->n_keys + 1) * sizeof(fl_datum_t));
    fl_datum_t *last_key = fl_arena_alloc(r->arena, (t->n_keys + 1) * sizeof(fl_datum_t));
    fl_pq_writer_t *pq = NULL;
    fl_lakefile_t *out = NULL;
    char *name = NULL;
    int64_t min_seq = 0, max_seq = 0, deletes = 0;
    fl_err_t err = FL_ERR_NONE;
    for (size_t i = 0; i < b->n_recs && !err; i++) {
        const fl_paimon_rec_t *rec = &b->recs[i];
        if (!changelog && i + 1 < b->n_recs && fl_paimon_same_key(t, rec, &b->recs[i + 1]))
            continue; /* not the latest record of its key */
        if (!pq) {
            err = fl_paimon_file_start(r, b, ft, changelog, &pq, &out, &name);
            if (err) break;
            min_seq = INT64_MAX;
            max_seq = INT64_MIN;
            deletes = 0;
            for (uint32_t k = 0; k < t->n_keys; k++) first_key[k] = rec->row[t->key_idx[k]];
        }
        for (uint32_t k = 0; k < t->n_keys; k++) frow[k] = rec->row[t->key_idx[k]];
        memset(&frow[t->n_keys], 0, 2 * sizeof(fl_datum_t));
        frow[t->n_keys].v.i64 = rec->seq;
        frow[t->n_keys + 1].v.i8 = rec->kind;
        fl_paimon_table_row(t, rec->row, b->fluss_bucket, rec->offset, rec->ts,
                            &frow[t->n_keys + 2]);
        err = fl_pq_write_row(pq, frow);
        if (err) break;
        if (rec->seq < min_seq) min_seq = rec->seq;
        if (rec->seq > max_seq) max_seq = rec->seq;
        if (rec->kind == 1 || rec->kind == 3) deletes++;
        for (uint32_t k = 0; k < t->n_keys; k++) last_key[k] = rec->row[t->key_idx[k]];
        bool key_ends = i + 1 >= b->n_recs || !fl_paimon_same_key(t, rec, &b->recs[i + 1]);
        if (key_ends && fl_pq_size_estimate(pq) >= t->opts.target_file_bytes) {
            err = fl_paimon_file_finish(r, b, ft, pq, out, name, changelog, min_seq, max_seq,
                                        deletes, first_key, last_key);
            pq = NULL;
        }
    }
    if (!err && pq) {
        err = fl_paimon_file_finish(r, b, ft, pq, out, name, changelog, min_seq, max_seq, deletes,
                                    first_key, last_key);
        pq = NULL;
    }
    if (pq) {
        fl_pq_writer_free(pq);
        if (out) fl_lakefile_close(out);
    }
    return err;
}

/* The ADD manifest entry of file f. */
static fl_avro_value_t fl_paimon_entry_value(fl_paimon_round_t *r, const fl_paimon_dfile_t *f,
                                             int64_t creation_ms) {
    fl_paimon_table_t *t = r->t;
    fl_arena_t *a = r->arena;
    fl_avro_value_t e = fl_avro_v_list(a, 6);
    e.v.items[0] = fl_avro_v_int(2);
    e.v.items[1] = fl_avro_v_int(0);
    e.v.items[2] = fl_paimon_v_buf(&f->bs->partition);
    e.v.items[3] = fl_avro_v_int(f->bs->paimon_bucket);
    e.v.items[4] = fl_avro_v_int(t->num_buckets);
    fl_avro_value_t m = fl_avro_v_list(a, 20);
    m.v.items[0] = fl_avro_v_str(f->name);
    m.v.items[1] = fl_avro_v_long((int64_t)f->size);
    m.v.items[2] = fl_avro_v_long((int64_t)f->rows);
    m.v.items[3] = fl_paimon_v_buf(&f->min_key);
    m.v.items[4] = fl_paimon_v_buf(&f->max_key);
    uint32_t nk = t->is_pk ? t->n_keys : 0;
    m.v.items[5] = fl_paimon_v_stats(a, &f->kmin, &f->kmax, f->knulls, nk);
    m.v.items[6] = fl_paimon_v_stats(a, &f->vmin, &f->vmax, f->vnulls, t->row_type.n_children);
    m.v.items[7] = fl_avro_v_long(f->min_seq);
    m.v.items[8] = fl_avro_v_long(f->max_seq);
    m.v.items[9] = fl_avro_v_long(t->schema_id);
    m.v.items[10] = fl_avro_v_int(0);
    m.v.items[11] = fl_avro_v_list(a, 0);
    m.v.items[12] = fl_avro_v_some(fl_avro_v_long(creation_ms));
    m.v.items[13] = fl_avro_v_some(fl_avro_v_long(f->delete_rows));
    m.v.items[14] = fl_avro_v_null();
    m.v.items[15] = fl_avro_v_some(fl_avro_v_int(0)); /* FileSource.APPEND */
    m.v.items[16] = fl_avro_v_null();                 /* stats cover every column */
    m.v.items[17] = fl_avro_v_null();
    m.v.items[18] = fl_avro_v_null();
    m.v.items[19] = fl_avro_v_null();
    e.v.items[5] = m;
    return e;
}

/* Write one manifest with the files selected by changelog; returns its meta. */
static fl_err_t fl_paimon_write_manifest(fl_paimon_round_t *r, bool changelog, uint32_t k,
                                         fl_paimon_mfmeta_t **out, int64_t *rows) {
    fl_paimon_table_t *t = r->t;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_avro_writer_opts_t wo = {.codec = t->opts.manifest_codec};
    fl_avro_writer_t *w;
    fl_err_t err = fl_avro_writer_new_buf(t->entry_schema, t->entry_json, &wo, &buf, &w);
    if (err) {
        fl_buf_free(&buf);
        return err;
    }
    /* local wall clock millis, as Paimon's LocalDateTime-based creation time */
    int64_t now = fl_paimon_now(t);
    time_t secs = (time_t)(now / 1000);
    struct tm lt;
    localtime_r(&secs, &lt);
    int64_t creation = now + (int64_t)lt.tm_gmtoff * 1000;
    fl_paimon_mfmeta_t *m = fl_calloc(1, sizeof(*m));
    m->min_bucket = INT32_MAX;
    m->max_bucket = INT32_MIN;
    const fl_type_t **ptypes = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(*ptypes));
    fl_datum_t *pmin = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(fl_datum_t));
    fl_datum_t *pmax = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(fl_datum_t));
    m->n_null_counts = t->n_part;
    m->null_counts = fl_calloc(t->n_part + 1, sizeof(int64_t));
    bool any = false;
    *rows = 0;
    for (size_t i = 0; i < r->n_files; i++) {
        const fl_paimon_dfile_t *f = r->files[i];
        if (f->changelog != changelog) continue;
        fl_avro_value_t e = fl_paimon_entry_value(r, f, creation);
        err = fl_avro_writer_append(w, &e);
        if (err) break;
        m->num_added++;
        *rows += (int64_t)f->rows;
        m->min_bucket = FL_MIN(m->min_bucket, f->bs->paimon_bucket);
        m->max_bucket = FL_MAX(m->max_bucket, f->bs->paimon_bucket);
        for (uint32_t p = 0; p < t->n_part; p++) {
            const fl_type_t *pt = &t->row_type.children[t->part_idx[p]];
            const fl_datum_t *v = &f->bs->part_vals[p];
            ptypes[p] = pt;
            if (v->is_null) {
                m->null_counts[p]++;
                continue;
            }
            if (!any || pmin[p].is_null || fl_paimon_cmp(pt, v, &pmin[p]) < 0) pmin[p] = *v;
            if (!any || pmax[p].is_null || fl_paimon_cmp(pt, v, &pmax[p]) > 0) pmax[p] = *v;
        }
        any = true;
    }
    uint64_t size = 0;
    if (!err) err = fl_avro_writer_finish(w, &size);
    fl_avro_writer_free(w);
    if (!err) {
        m->file_name = fl_strdup(fl_arena_sprintf(r->arena, "manifest-%s-%u", r->uuid, k));
        char *path = fl_arena_sprintf(r->arena, "%s/manifest/%s", t->path, m->file_name);
        err = fl_lakefile_write_new(r->arena, &r->created, path, buf.p, buf.len);
        m->file_size = (int64_t)size;
        m->schema_id = t->schema_id;
        fl_buf_init(&m->pmin);
        fl_buf_init(&m->pmax);
        for (uint32_t p = 0; p < t->n_part; p++)
            if (pmin[p].is_null || !any) ptypes[p] = NULL;
        fl_paimon_binrow(ptypes, pmin, t->n_part, &m->pmin);
        fl_paimon_binrow(ptypes, pmax, t->n_part, &m->pmax);
        m->has_bucket = m->has_level = true;
        m->min_level = m->max_level = 0;
    }
    fl_buf_free(&buf);
    if (err) {
        fl_paimon_mfmeta_free(m);
        return err;
    }
    *out = m;
    return FL_ERR_NONE;
}

static fl_avro_value_t fl_paimon_meta_value(fl_arena_t *a, const fl_paimon_mfmeta_t *m) {
    fl_avro_value_t v = fl_avro_v_list(a, 11);
    v.v.items[0] = fl_avro_v_int(2);
    v.v.items[1] = fl_avro_v_str(m->file_name);
    v.v.items[2] = fl_avro_v_long(m->file_size);
    v.v.items[3] = fl_avro_v_long(m->num_added);
    v.v.items[4] = fl_avro_v_long(m->num_deleted);
    v.v.items[5] = fl_paimon_v_stats(a, &m->pmin, &m->pmax, m->null_counts, m->n_null_counts);
    v.v.items[6] = fl_avro_v_long(m->schema_id);
    v.v.items[7] = m->has_bucket ? fl_avro_v_some(fl_avro_v_int(m->min_bucket)) : fl_avro_v_null();
    v.v.items[8] = m->has_bucket ? fl_avro_v_some(fl_avro_v_int(m->max_bucket)) : fl_avro_v_null();
    v.v.items[9] = m->has_level ? fl_avro_v_some(fl_avro_v_int(m->min_level)) : fl_avro_v_null();
    v.v.items[10] = m->has_level ? fl_avro_v_some(fl_avro_v_int(m->max_level)) : fl_avro_v_null();
    return v;
}

static fl_err_t fl_paimon_write_list(fl_paimon_round_t *r, fl_paimon_mfmeta_t *const *metas,
                                     size_t n, uint32_t k, char **name, int64_t *size) {
    fl_paimon_table_t *t = r->t;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_avro_writer_opts_t wo = {.codec = t->opts.manifest_codec};
    fl_avro_writer_t *w;
    fl_err_t err = fl_avro_writer_new_buf(t->meta_schema, t->meta_json, &wo, &buf, &w);
    if (err) {
        fl_buf_free(&buf);
        return err;
    }
    for (size_t i = 0; i < n && !err; i++) {
        fl_avro_value_t v = fl_paimon_meta_value(r->arena, metas[i]);
        err = fl_avro_writer_append(w, &v);
    }
    uint64_t sz = 0;
    if (!err) err = fl_avro_writer_finish(w, &sz);
    fl_avro_writer_free(w);
    if (!err) {
        *name = fl_arena_sprintf(r->arena, "manifest-list-%s-%u", r->uuid, k);
        err = fl_lakefile_write_new(r->arena, &r->created, fl_arena_sprintf(r->arena, "%s/manifest/%s", t->path, *name),
                                  buf.p, buf.len);
        *size = (int64_t)sz;
    }
    fl_buf_free(&buf);
    return err;
}

/* Write path/name atomically by tmp + rename; with no_replace, fail with FL_ERR__EXISTS when
 * name exists. */
static fl_err_t fl_paimon_publish(fl_paimon_round_t *r, const char *dir, const char *name,
                                  const void *p, size_t n, bool no_replace) {
    char *tmp = fl_arena_sprintf(r->arena, "%s/.%s.%s.tmp", dir, name, r->uuid);
    char *dst = fl_arena_sprintf(r->arena, "%s/%s", dir, name);
    fl_err_t err = fl_lakefile_write_new(r->arena, &r->created, tmp, p, n);
    if (err) return err;
    if (no_replace && fl_lake_exists(dst)) return FL_ERR__EXISTS;
    if (fl_vfs->rename(tmp, dst) != 0) {
        fl_log_error("lake", "rename() failed: %s (%s -> %s)", strerror(errno), tmp, dst);
        return FL_ERR__IO;
    }
    return fl_vfs_fsync_dir(dir);
}

fl_err_t fl_paimon_round_commit(fl_paimon_round_t *r, const char *commit_user,
                                const char *const *snapshot_props, int64_t *snapshot_id,
                                const char **why) {
    fl_paimon_table_t *t = r->t;
    static const char *no_why = "";
    if (why) *why = no_why;
    *snapshot_id = -1;
    fl_err_t err = r->err;
    fl_paimon_mfmeta_t *data_m = NULL, *log_m = NULL;
    json_t *snap = NULL;
    if (err) {
        fl_paimon_set_why(t, why, "round failed earlier: %s", fl_err2str(err));
        goto fail;
    }
    if (r->rows == 0) {
        /* like Fluss: a round whose write results are all empty commits nothing */
        fl_paimon_round_free(r, true);
        return FL_ERR_NONE;
    }
    /* 1. data files */
    for (fl_paimon_bucket_t *b = r->buckets; b && !err; b = b->next) {
        if (!t->is_pk) {
            err = fl_paimon_append_finish(r, b);
            continue;
        }
        if (b->n_recs == 0) continue;
        qsort_r(b->recs, b->n_recs, sizeof(*b->recs), fl_paimon_rec_cmp, t);
        err = fl_paimon_pk_write(r, b, false);
        if (!err) err = fl_paimon_pk_write(r, b, true);
    }
    if (err) {
        fl_paimon_set_why(t, why, "writing data files failed: %s", fl_err2str(err));
        goto fail;
    }
    for (fl_paimon_bucket_t *b = r->buckets; b && !err; b = b->next) err = fl_vfs_fsync_dir(b->dir);
    /* 2. manifests and lists */
    char *mdir = fl_arena_sprintf(r->arena, "%s/manifest", t->path);
    char *sdir = fl_arena_sprintf(r->arena, "%s/snapshot", t->path);
    if (!err && (fl_vfs_mkdirs(mdir) != 0 || fl_vfs_mkdirs(sdir) != 0)) err = FL_ERR__IO;
    int64_t delta_rows = 0, log_rows = 0;
    bool has_log = false;
    for (size_t i = 0; i < r->n_files; i++) has_log |= r->files[i]->changelog;
    if (!err) err = fl_paimon_write_manifest(r, false, 0, &data_m, &delta_rows);
    if (!err && has_log) err = fl_paimon_write_manifest(r, true, 1, &log_m, &log_rows);
    char *base_name = NULL, *delta_name = NULL, *log_name = NULL;
    int64_t base_size = 0, delta_size = 0, log_size = 0;
    if (!err) err = fl_paimon_write_list(r, t->metas, t->n_metas, 0, &base_name, &base_size);
    if (!err) err = fl_paimon_write_list(r, &data_m, 1, 1, &delta_name, &delta_size);
    if (!err && log_m) err = fl_paimon_write_list(r, &log_m, 1, 2, &log_name, &log_size);
    if (!err) err = fl_vfs_fsync_dir(mdir);
    if (err) {
        fl_paimon_set_why(t, why, "writing manifests failed: %s", fl_err2str(err));
        goto fail;
    }
    /* 3. the snapshot: the commit point */
    int64_t id = t->snapshot_id + 1;
    snap = json_object();
    json_object_set_new(snap, "version", json_integer(3));
    json_object_set_new(snap, "id", json_integer(id));
    json_object_set_new(snap, "schemaId", json_integer(t->schema_id));
    json_object_set_new(snap, "baseManifestList", json_string(base_name));
    json_object_set_new(snap, "baseManifestListSize", json_integer(base_size));
    json_object_set_new(snap, "deltaManifestList", json_string(delta_name));
    json_object_set_new(snap, "deltaManifestListSize", json_integer(delta_size));
    json_object_set_new(snap, "changelogManifestList", log_name ? json_string(log_name) : json_null());
    if (log_name) json_object_set_new(snap, "changelogManifestListSize", json_integer(log_size));
    json_object_set_new(snap, "commitUser",
                        json_string(commit_user ? commit_user : FL_PAIMON_TIERING_USER));
    json_object_set_new(snap, "commitIdentifier", json_integer(INT64_MAX));
    json_object_set_new(snap, "commitKind", json_string("APPEND"));
    json_object_set_new(snap, "timeMillis", json_integer(fl_paimon_now(t)));
    json_object_set_new(snap, "logOffsets", json_object());
    json_object_set_new(snap, "totalRecordCount", json_integer(t->total_records + delta_rows));
    json_object_set_new(snap, "deltaRecordCount", json_integer(delta_rows));
    json_object_set_new(snap, "changelogRecordCount", json_integer(log_rows));
    if (snapshot_props && snapshot_props[0]) {
        json_t *props = json_object();
        for (size_t i = 0; snapshot_props[i] && snapshot_props[i + 1]; i += 2)
            json_object_set_new(props, snapshot_props[i], json_string(snapshot_props[i + 1]));
        json_object_set_new(snap, "properties", props);
    }
    fl_buf_t sb;
    fl_buf_init(&sb);
    fl_paimon_json_pretty(snap, &sb);
    char *sname = fl_arena_sprintf(r->arena, "snapshot-%" PRId64, id);
    err = fl_paimon_publish(r, sdir, sname, sb.p, sb.len, true);
    fl_buf_free(&sb);
    if (err) {
        fl_paimon_set_why(t, why, "committing %s failed: %s", sname, fl_err2str(err));
        goto fail;
    }
    /* committed: the snapshot file is no longer the round's to remove */
    fl_lakeset_forget(&r->created);
    /* 4. hints (best effort: readers fall back to listing) */
    char idbuf[32];
    snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
    if (fl_vfs_write_durable(sdir, "LATEST", idbuf, strlen(idbuf)) != FL_ERR_NONE)
        fl_log_warn("lake", "paimon %s: cannot write snapshot/LATEST", t->path);
    char *ep = fl_arena_sprintf(r->arena, "%s/EARLIEST", sdir);
    if (!fl_lake_exists(ep) && fl_vfs_write_durable(sdir, "EARLIEST", idbuf, strlen(idbuf)) != FL_ERR_NONE)
        fl_log_warn("lake", "paimon %s: cannot write snapshot/EARLIEST", t->path);
    /* the handle's state follows */
    t->snapshot_id = id;
    t->total_records += delta_rows;
    t->metas = fl_realloc(t->metas, (t->n_metas + 1) * sizeof(*t->metas));
    t->metas[t->n_metas++] = data_m;
    data_m = NULL;
    fl_paimon_mfmeta_free(log_m);
    for (fl_paimon_bucket_t *b = r->buckets; b; b = b->next) {
        fl_paimon_seq_t *s = fl_paimon_seq_slot(t, &b->partition, b->paimon_bucket);
        if (b->next_seq - 1 > s->max_seq) s->max_seq = b->next_seq - 1;
    }
    json_decref(snap);
    fl_paimon_round_free(r, false);
    *snapshot_id = id;
    return FL_ERR_NONE;
fail:
    json_decref(snap);
    fl_paimon_mfmeta_free(data_m);
    fl_paimon_mfmeta_free(log_m);
    fl_paimon_round_free(r, true);
    return err ? err : FL_ERR__IO;
}

fl_err_t fl_paimon_latest_snapshot(fl_paimon_table_t *t, const char *commit_user, int64_t *id,
                                   fl_buf_t *props_json, const char **why) {
    static const char *no_why = "";
    if (why) *why = no_why;
    *id = 0;
    int64_t latest;
    fl_err_t err = fl_paimon_find_latest(t->path, &latest);
    if (err) {
        fl_paimon_set_why(t, why, "cannot list %s/snapshot", t->path);
        return err;
    }
    for (int64_t s = latest; s > 0; s--) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/snapshot/snapshot-%" PRId64, t->path, s);
        json_t *j;
        err = fl_paimon_read_json(path, &j);
        if (err == FL_ERR__NOENT) break; /* expired below here */
        if (err) {
            fl_paimon_set_why(t, why, "cannot parse %s", path);
            return FL_ERR_CORRUPT_MESSAGE;
        }
        const char *user = json_string_value(json_object_get(j, "commitUser"));
        if (commit_user && (!user || strcmp(user, commit_user) != 0)) {
            json_decref(j);
            continue;
        }
        *id = s;
        if (props_json) {
            json_t *p = json_object_get(j, "properties");
            char *txt = json_is_object(p) ? json_dumps(p, JSON_COMPACT) : NULL;
            if (txt) fl_buf_put(props_json, txt, strlen(txt));
            else fl_buf_put(props_json, "{}", 2);
            free(txt);
        }
        json_decref(j);
        return FL_ERR_NONE;
    }
    if (props_json) fl_buf_put(props_json, "{}", 2);
    return FL_ERR_NONE;
}
