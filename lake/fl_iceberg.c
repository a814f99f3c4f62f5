/* fl_iceberg.c: the Iceberg v2 table writer (see fl_iceberg.h for the layout and the protocol).
 *
 * Manifest-list record manifest_file (Avro; field ids as Iceberg 1.10.1's V2 writer):
 *   500 manifest_path string | 501 manifest_length long | 502 partition_spec_id int |
 *   517 content int | 515 sequence_number long | 516 min_sequence_number long |
 *   503 added_snapshot_id long | 504 added_files_count int | 505 existing_files_count int |
 *   506 deleted_files_count int | 512 added_rows_count long | 513 existing_rows_count long |
 *   514 deleted_rows_count long | 507 partitions [null, array<r508>] (element-id 508) |
 *   519 key_metadata [null, bytes]
 *   r508: 509 contains_null boolean | 518 contains_nan [null, boolean] |
 *         510 lower_bound [null, bytes] | 511 upper_bound [null, bytes]
 * Manifest record manifest_entry:
 *   0 status int (1 = ADDED) | 1 snapshot_id [null, long] | 3 sequence_number [null, long] |
 *   4 file_sequence_number [null, long] (both null: inherited) | 2 data_file r2:
 *   134 content | 100 file_path | 101 file_format | 102 partition r102 (one [null, T] field per
 *   spec field, field-id = partition field id) | 103 record_count | 104 file_size_in_bytes |
 *   108 column_sizes | 109 value_counts | 110 null_value_counts | 137 nan_value_counts |
 *   125 lower_bounds | 128 upper_bounds (each [null, array<k_v record>], logicalType map) |
 *   131 key_metadata | 132 split_offsets | 135 equality_ids | 140 sort_order_id |
 *   143 referenced_data_file */
#define _GNU_SOURCE
#include "fl_iceberg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl_arena.h"
#include "fl_lakefile.h"
#include "fl_log.h"
#include "fl_vfs.h"

#define ICE_MAX_META_FILE (256u << 20) /* largest metadata JSON / manifest list read back */
#define ICE_METADATA_LOG_MAX 100       /* write.metadata.previous-versions-max */
#define ICE_DEFAULT_TARGET (512ull << 20)

static const char *const ice_sys_names[3] = {"__bucket", "__offset", "__timestamp"};

/* ------------------------------------------------------------------------------------------ */
/* State */

/* One key written in this round: where its live row is. */
typedef struct ice_key_s {
    uint8_t *key;              /* round arena */
    uint32_t len, hash;
    int32_t file;              /* index into the bucket's data_paths; -1 = no live row */
    int64_t pos;
} ice_key_t;

typedef struct ice_pos_s {
    uint32_t file;             /* index into the bucket's data_paths */
    int64_t pos;
} ice_pos_t;

/* The round's state of one (partition, bucket). */
typedef struct ice_bucket_s {
    char *partition_name;      /* Fluss name ("" unpartitioned) */
    const char **part_vals;    /* identity partition values (round arena) */
    uint32_t *part_lens;
    int32_t bucket;
    char *dir;                 /* absolute directory of the files */
    /* the open data file */
    fl_pq_writer_t *pq;
    fl_lakefile_t *out;
    int64_t file_rows;
    char **data_paths;         /* every data file of this bucket in the round */
    uint32_t n_data_paths;
    /* the open equality-delete file */
    fl_pq_writer_t *eq;
    fl_lakefile_t *eq_out;
    /* position deletes, written at commit */
    ice_pos_t *pos;
    size_t n_pos, cap_pos;
    /* keys written in this round (PK tables) */
    ice_key_t *keys;
    size_t n_keys, cap_keys;   /* cap is a power of two */
    struct ice_bucket_s *next;
} ice_bucket_t;

/* A finished data or delete file. */
typedef struct ice_file_s {
    int content;               /* 0 data, 1 position deletes, 2 equality deletes */
    fl_avro_value_t df;        /* its data_file (r2) value, round arena */
    uint64_t size, rows;
    ice_bucket_t *b;
} ice_file_t;

struct fl_iceberg_round_s {
    fl_iceberg_table_t *t;
    fl_arena_t *arena;
    char uuid[37];
    uint32_t file_seq;
    ice_bucket_t *buckets, *last;
    ice_file_t **files;
    size_t n_files, cap_files;
    fl_lakeset_t created;      /* every file written (for abort) */
    uint64_t rows;
    fl_err_t err;              /* sticky I/O error */
};

struct fl_iceberg_table_s {
    fl_arena_t *arena;         /* lives as long as the table */
    char *path;                /* <warehouse>/<db>/<table> */
    char *mdir, *ddir;         /* metadata/, data/ */
    fl_iceberg_opts_t opts;
    fl_table_desc_t desc;      /* copy */
    uint32_t n_user;
    fl_type_t row_type;        /* ROW: user columns + __bucket, __offset, __timestamp */
    fl_type_t pos_type;        /* ROW: file_path STRING, pos BIGINT (position deletes) */
    fl_type_t eq_type;         /* ROW: the PK columns with their table ids (equality deletes) */
    bool is_pk;
    uint32_t n_pk;
    int *pk_idx;               /* PK user column indexes */
    uint32_t n_part;
    int *part_idx;             /* partition key user column indexes */
    int bucket_key;            /* user column of bucket[N](k), -1 = identity(__bucket) */
    int32_t num_buckets;
    const char *bucket_field;  /* partition field name of the bucket field */
    int32_t last_column_id;
    int32_t *top_ids;          /* field id of each top-level column of row_type */
    bool *in_repeated;         /* by field id: inside a list or map (no bounds) */
    json_t *schema;            /* schema 0 as desc gives it */
    json_t *spec_fields;       /* partition spec 0's fields */
    char *schema_json, *spec_json, *pos_schema_json, *eq_schema_json, *eq_ids_text;
    fl_avro_schema_t *entry_schema, *list_schema;
    char *entry_json, *list_json;
    /* the current metadata this handle knows */
    json_t *meta;
    int32_t version;           /* N of vN.metadata.json */
    fl_iceberg_round_t *round;
    char *why;
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers */

static void ice_set_why(fl_iceberg_table_t *t, const char **why, const char *fmt, ...)
    FL_PRINTF(3, 4);
static void ice_set_why(fl_iceberg_table_t *t, const char **why, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    fl_free(t->why);
    t->why = fl_strdup(tmp);
    if (why) *why = t->why;
    fl_log_warn("lake", "iceberg: %s", tmp);
}

static int64_t ice_now(const fl_iceberg_table_t *t) {
    return t->opts.now_ms ? t->opts.now_ms : fl_now_ms();
}

static fl_err_t ice_read_json(const char *path, json_t **out) {
    uint8_t *p;
    size_t len;
    *out = NULL;
    fl_err_t err = fl_vfs_read_file(path, ICE_MAX_META_FILE, &p, &len);
    if (err) return err;
    json_error_t jerr;
    *out = json_loadb((const char *)p, len, 0, &jerr);
    fl_free(p);
    return *out ? FL_ERR_NONE : FL_ERR_CORRUPT_MESSAGE;
}

static char *ice_dump(fl_arena_t *a, const json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    char *r = fl_arena_strndup(a, s ? s : "null", s ? strlen(s) : 4);
    free(s);
    return r;
}

/* Java's URLEncoder (what Iceberg's partition paths use): [A-Za-z0-9.*_-] kept, ' ' -> '+',
 * every other byte %XX. */
static void ice_url_encode(const char *s, size_t n, fl_buf_t *out) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '*' || c == '_') {
            fl_buf_put_u8(out, c);
        } else if (c == ' ') {
            fl_buf_put_u8(out, '+');
        } else {
            char tmp[4];
            snprintf(tmp, sizeof(tmp), "%%%02X", c);
            fl_buf_put(out, tmp, 3);
        }
    }
}

/* Avro-compatible name, as Iceberg's AvroSchemaUtil.makeCompatibleName. */
static char *ice_avro_name(fl_arena_t *a, const char *name) {
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; name[i]; i++) {
        unsigned char c = (unsigned char)name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (letter || (digit && i > 0)) {
            fl_buf_put_u8(&b, c);
        } else if (digit) {
            fl_buf_put_u8(&b, '_');
            fl_buf_put_u8(&b, c);
        } else {
            char tmp[8];
            snprintf(tmp, sizeof(tmp), "_x%X", c);
            fl_buf_put(&b, tmp, strlen(tmp));
        }
    }
    if (b.len == 0) fl_buf_put_u8(&b, '_');
    char *r = fl_arena_strndup(a, (const char *)b.p, b.len);
    fl_buf_free(&b);
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Types, schema JSON, field ids */

const char *fl_iceberg_type_name(const fl_type_t *t, char *buf, size_t len) {
    switch (t->root) {
    case FL_T_BOOLEAN: return "boolean";
    case FL_T_TINYINT: case FL_T_SMALLINT: case FL_T_INTEGER: return "int";
    case FL_T_BIGINT: return "long";
    case FL_T_FLOAT: return "float";
    case FL_T_DOUBLE: return "double";
    case FL_T_DECIMAL:
        snprintf(buf, len, "decimal(%d, %d)", t->precision, t->scale);
        return buf;
    case FL_T_CHAR: case FL_T_STRING: return "string";
    case FL_T_BINARY: case FL_T_BYTES: return "binary";
    case FL_T_DATE: return "date";
    case FL_T_TIME: return "time";
    case FL_T_TIMESTAMP: return "timestamp";
    case FL_T_TIMESTAMP_LTZ: return "timestamptz";
    default: return NULL;
    }
}

static bool ice_atomic(const fl_type_t *t) {
    return t->root != FL_T_ARRAY && t->root != FL_T_MAP && t->root != FL_T_ROW;
}

static json_t *ice_type_json(fl_iceberg_table_t *t, const fl_type_t *ty, int32_t *next,
                             bool repeated);

static json_t *ice_field_json(int32_t id, const char *name, bool required, json_t *type,
                              const char *doc) {
    json_t *f = json_object();
    json_object_set_new(f, "id", json_integer(id));
    json_object_set_new(f, "name", json_string(name));
    json_object_set_new(f, "required", json_boolean(required));
    json_object_set_new(f, "type", type);
    if (doc) json_object_set_new(f, "doc", json_string(doc));
    return f;
}

/* Assign ids as Iceberg's AssignFreshIds does (a struct's fields first, then each field's
 * nested types depth first) and build the type JSON. */
static json_t *ice_type_json(fl_iceberg_table_t *t, const fl_type_t *ty, int32_t *next,
                             bool repeated) {
    char tmp[64];
    switch (ty->root) {
    case FL_T_ROW: {
        int32_t *ids = fl_arena_calloc(t->arena, (ty->n_children + 1) * sizeof(int32_t));
        for (uint32_t i = 0; i < ty->n_children; i++) ids[i] = (*next)++;
        json_t *fields = json_array();
        for (uint32_t i = 0; i < ty->n_children; i++) {
            const fl_type_t *c = &ty->children[i];
            json_t *ct = ice_type_json(t, c, next, repeated);
            if (ice_atomic(c) && ids[i] <= t->last_column_id) t->in_repeated[ids[i]] = repeated;
            json_array_append_new(fields, ice_field_json(ids[i], ty->field_names[i], !c->nullable,
                                                         ct, ty->field_descriptions
                                                                 ? ty->field_descriptions[i]
                                                                 : NULL));
        }
        json_t *s = json_object();
        json_object_set_new(s, "type", json_string("struct"));
        json_object_set_new(s, "fields", fields);
        return s;
    }
    case FL_T_ARRAY: {
        int32_t eid = (*next)++;
        const fl_type_t *e = &ty->children[0];
        json_t *et = ice_type_json(t, e, next, true);
        if (ice_atomic(e) && eid <= t->last_column_id) t->in_repeated[eid] = true;
        json_t *s = json_object();
        json_object_set_new(s, "type", json_string("list"));
        json_object_set_new(s, "element-id", json_integer(eid));
        json_object_set_new(s, "element", et);
        json_object_set_new(s, "element-required", json_boolean(!e->nullable));
        return s;
    }
    case FL_T_MAP: {
        int32_t kid = (*next)++, vid = (*next)++;
        const fl_type_t *k = &ty->children[0], *v = &ty->children[1];
        json_t *kt = ice_type_json(t, k, next, true);
        json_t *vt = ice_type_json(t, v, next, true);
        if (ice_atomic(k) && kid <= t->last_column_id) t->in_repeated[kid] = true;
        if (ice_atomic(v) && vid <= t->last_column_id) t->in_repeated[vid] = true;
        json_t *s = json_object();
        json_object_set_new(s, "type", json_string("map"));
        json_object_set_new(s, "key-id", json_integer(kid));
        json_object_set_new(s, "key", kt);
        json_object_set_new(s, "value-id", json_integer(vid));
        json_object_set_new(s, "value", vt);
        json_object_set_new(s, "value-required", json_boolean(!v->nullable));
        return s;
    }
    default:
        return json_string(fl_iceberg_type_name(ty, tmp, sizeof(tmp)));
    }
}

static int32_t ice_count_ids(const fl_type_t *ty) {
    int32_t n = 0;
    for (uint32_t i = 0; i < ty->n_children; i++) n += 1 + ice_count_ids(&ty->children[i]);
    return n;
}

/* Build row_type, the schema JSON with ids and the per-id tables. */
static void ice_build_schema(fl_iceberg_table_t *t) {
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
    for (uint32_t i = 0; i < t->n_user; i++) {
        fl_type_copy(a, &sc->cols[i].type, &rt->children[i]);
        rt->field_names[i] = (char *)sc->cols[i].name;
        rt->field_descriptions[i] = (char *)sc->cols[i].comment;
    }
    for (uint32_t k = 0; k < 3; k++) {
        fl_type_t *ct = &rt->children[t->n_user + k];
        ct->nullable = false;
        ct->root = k == 0 ? FL_T_INTEGER : k == 1 ? FL_T_BIGINT : FL_T_TIMESTAMP_LTZ;
        ct->precision = k == 2 ? 6 : 0;
        rt->field_names[t->n_user + k] = (char *)ice_sys_names[k];
    }
    t->last_column_id = ice_count_ids(rt);
    t->in_repeated = fl_arena_calloc(a, (size_t)(t->last_column_id + 1) * sizeof(bool));
    int32_t next = 1;
    json_t *st = ice_type_json(t, rt, &next, false);
    t->top_ids = fl_arena_calloc(a, n * sizeof(int32_t));
    for (uint32_t i = 0; i < n; i++) {
        t->top_ids[i] = (int32_t)(i + 1);
        rt->field_ids[i] = (int32_t)(i + 1);
    }
    json_t *s = json_object();
    json_object_set_new(s, "type", json_string("struct"));
    json_object_set_new(s, "schema-id", json_integer(0));
    if (t->is_pk) {
        json_t *ids = json_array();
        for (uint32_t k = 0; k < t->n_pk; k++)
            json_array_append_new(ids, json_integer(t->top_ids[t->pk_idx[k]]));
        json_object_set_new(s, "identifier-field-ids", ids);
    }
    json_object_set(s, "fields", json_object_get(st, "fields"));
    json_decref(st);
    t->schema = s;
    t->schema_json = ice_dump(a, s);

    /* position-delete files: file_path, pos */
    fl_type_t *pt = &t->pos_type;
    memset(pt, 0, sizeof(*pt));
    pt->root = FL_T_ROW;
    pt->n_children = 2;
    pt->children = fl_arena_calloc(a, 2 * sizeof(fl_type_t));
    pt->field_names = fl_arena_calloc(a, 2 * sizeof(char *));
    pt->field_descriptions = fl_arena_calloc(a, 2 * sizeof(char *));
    pt->field_ids = fl_arena_calloc(a, 2 * sizeof(int32_t));
    pt->children[0].root = FL_T_STRING;
    pt->children[1].root = FL_T_BIGINT;
    pt->field_names[0] = "file_path";
    pt->field_names[1] = "pos";
    pt->field_ids[0] = FL_ICEBERG_POS_PATH_ID;
    pt->field_ids[1] = FL_ICEBERG_POS_POS_ID;
    t->pos_schema_json = fl_arena_sprintf(
        a, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":%d,\"name\":\"file_path\","
           "\"required\":true,\"type\":\"string\"},{\"id\":%d,\"name\":\"pos\",\"required\":true,"
           "\"type\":\"long\"}]}",
        FL_ICEBERG_POS_PATH_ID, FL_ICEBERG_POS_POS_ID);
    fl_buf_t ids;
    fl_buf_init(&ids);
    for (uint32_t k = 0; k < t->n_pk; k++) {
        char tmp[24];
        snprintf(tmp, sizeof(tmp), "%s%d", k ? ", " : "", t->top_ids[t->pk_idx[k]]);
        fl_buf_put(&ids, tmp, strlen(tmp));
    }
    t->eq_ids_text = fl_arena_strndup(a, ids.len ? (const char *)ids.p : "", ids.len);
    fl_buf_free(&ids);

    /* equality-delete files: the PK columns only (readers compare the equality_ids columns
     * only; a file with just those columns is what every reader handles, while DuckDB 1.5.5
     * mis-binds the extra columns of full-row delete files on identity-partitioned tables) */
    fl_type_t *et = &t->eq_type;
    uint32_t nk = t->n_pk ? t->n_pk : 1;
    memset(et, 0, sizeof(*et));
    et->root = FL_T_ROW;
    et->n_children = t->n_pk;
    et->children = fl_arena_calloc(a, nk * sizeof(fl_type_t));
    et->field_names = fl_arena_calloc(a, nk * sizeof(char *));
    et->field_descriptions = fl_arena_calloc(a, nk * sizeof(char *));
    et->field_ids = fl_arena_calloc(a, nk * sizeof(int32_t));
    json_t *ef = json_array();
    for (uint32_t k = 0; k < t->n_pk; k++) {
        int ci = t->pk_idx[k];
        et->children[k] = rt->children[ci];
        et->field_names[k] = rt->field_names[ci];
        et->field_ids[k] = t->top_ids[ci];
        json_array_append(ef, json_array_get(json_object_get(s, "fields"), (size_t)ci));
    }
    json_t *es = json_pack("{s:s, s:i, s:o}", "type", "struct", "schema-id", 0, "fields", ef);
    t->eq_schema_json = ice_dump(a, es);
    json_decref(es);
}

static void ice_build_spec(fl_iceberg_table_t *t) {
    json_t *fields = json_array();
    int32_t fid = 1000;
    for (uint32_t i = 0; i < t->n_part; i++) {
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string(t->row_type.field_names[t->part_idx[i]]));
        json_object_set_new(f, "transform", json_string("identity"));
        json_object_set_new(f, "source-id", json_integer(t->top_ids[t->part_idx[i]]));
        json_object_set_new(f, "field-id", json_integer(fid++));
        json_array_append_new(fields, f);
    }
    json_t *f = json_object();
    if (t->bucket_key >= 0) {
        t->bucket_field = fl_arena_sprintf(t->arena, "%s_bucket",
                                           t->row_type.field_names[t->bucket_key]);
        json_object_set_new(f, "name", json_string(t->bucket_field));
        char tr[32];
        snprintf(tr, sizeof(tr), "bucket[%d]", (int)t->num_buckets);
        json_object_set_new(f, "transform", json_string(tr));
        json_object_set_new(f, "source-id", json_integer(t->top_ids[t->bucket_key]));
    } else {
        t->bucket_field = "__bucket";
        json_object_set_new(f, "name", json_string("__bucket"));
        json_object_set_new(f, "transform", json_string("identity"));
        json_object_set_new(f, "source-id", json_integer(t->top_ids[t->n_user]));
    }
    json_object_set_new(f, "field-id", json_integer(fid));
    json_array_append_new(fields, f);
    t->spec_fields = fields;
    t->spec_json = ice_dump(t->arena, fields);
}

/* ------------------------------------------------------------------------------------------ */
/* Avro schemas of manifests and manifest lists */

static void ice_fid(fl_arena_t *a, fl_avro_schema_t *rec, uint32_t i, int32_t id) {
    char tmp[16];
    snprintf(tmp, sizeof(tmp), "%d", id);
    fl_avro_add_prop(a, &rec->fields[i].props, &rec->fields[i].n_props, "field-id", tmp);
}

static void ice_field(fl_arena_t *a, fl_avro_schema_t *rec, uint32_t i, const char *name,
                      fl_avro_schema_t *type, int32_t id) {
    bool opt = type->kind == FL_AVRO_UNION;
    fl_avro_field_set(a, rec, i, name, type, opt ? "null" : NULL);
    ice_fid(a, rec, i, id);
}

static fl_avro_schema_t *ice_opt(fl_arena_t *a, fl_avro_kind_t k) {
    return fl_avro_optional(a, fl_avro_prim(a, k));
}

static fl_avro_schema_t *ice_array(fl_arena_t *a, fl_avro_schema_t *items, int32_t element_id) {
    fl_avro_schema_t *s = fl_avro_array(a, items);
    char tmp[16];
    snprintf(tmp, sizeof(tmp), "%d", element_id);
    fl_avro_add_prop(a, &s->props, &s->n_props, "element-id", tmp);
    return s;
}

/* An int-keyed map: ["null", array<k<kid>_v<vid> {key int, value T}>] with logicalType map. */
static fl_avro_schema_t *ice_int_map(fl_arena_t *a, int32_t kid, int32_t vid, fl_avro_kind_t v) {
    char name[32];
    snprintf(name, sizeof(name), "k%d_v%d", kid, vid);
    fl_avro_schema_t *kv = fl_avro_record(a, name, 2);
    ice_field(a, kv, 0, "key", fl_avro_prim(a, FL_AVRO_INT), kid);
    ice_field(a, kv, 1, "value", fl_avro_prim(a, v), vid);
    fl_avro_schema_t *arr = fl_avro_array(a, kv);
    arr->logical = "map";
    return fl_avro_optional(a, arr);
}

static fl_avro_schema_t *ice_entry_schema(fl_iceberg_table_t *t) {
    fl_arena_t *a = t->arena;
    uint32_t np = (uint32_t)json_array_size(t->spec_fields);
    fl_avro_schema_t *part = fl_avro_record(a, "r102", np);
    for (uint32_t i = 0; i < np; i++) {
        json_t *f = json_array_get(t->spec_fields, i);
        bool is_int = i == np - 1; /* the bucket field; identity partitions are strings */
        ice_field(a, part, i, ice_avro_name(a, json_string_value(json_object_get(f, "name"))),
                  ice_opt(a, is_int ? FL_AVRO_INT : FL_AVRO_STRING),
                  (int32_t)json_integer_value(json_object_get(f, "field-id")));
    }
    fl_avro_schema_t *df = fl_avro_record(a, "r2", 17);
    ice_field(a, df, 0, "content", fl_avro_prim(a, FL_AVRO_INT), 134);
    ice_field(a, df, 1, "file_path", fl_avro_prim(a, FL_AVRO_STRING), 100);
    ice_field(a, df, 2, "file_format", fl_avro_prim(a, FL_AVRO_STRING), 101);
    ice_field(a, df, 3, "partition", part, 102);
    ice_field(a, df, 4, "record_count", fl_avro_prim(a, FL_AVRO_LONG), 103);
    ice_field(a, df, 5, "file_size_in_bytes", fl_avro_prim(a, FL_AVRO_LONG), 104);
    ice_field(a, df, 6, "column_sizes", ice_int_map(a, 117, 118, FL_AVRO_LONG), 108);
    ice_field(a, df, 7, "value_counts", ice_int_map(a, 119, 120, FL_AVRO_LONG), 109);
    ice_field(a, df, 8, "null_value_counts", ice_int_map(a, 121, 122, FL_AVRO_LONG), 110);
    ice_field(a, df, 9, "nan_value_counts", ice_int_map(a, 138, 139, FL_AVRO_LONG), 137);
    ice_field(a, df, 10, "lower_bounds", ice_int_map(a, 126, 127, FL_AVRO_BYTES), 125);
    ice_field(a, df, 11, "upper_bounds", ice_int_map(a, 129, 130, FL_AVRO_BYTES), 128);
    ice_field(a, df, 12, "key_metadata", ice_opt(a, FL_AVRO_BYTES), 131);
    ice_field(a, df, 13, "split_offsets",
              fl_avro_optional(a, ice_array(a, fl_avro_prim(a, FL_AVRO_LONG), 133)), 132);
    ice_field(a, df, 14, "equality_ids",
              fl_avro_optional(a, ice_array(a, fl_avro_prim(a, FL_AVRO_INT), 136)), 135);
    ice_field(a, df, 15, "sort_order_id", ice_opt(a, FL_AVRO_INT), 140);
    ice_field(a, df, 16, "referenced_data_file", ice_opt(a, FL_AVRO_STRING), 143);
    fl_avro_schema_t *e = fl_avro_record(a, "manifest_entry", 5);
    ice_field(a, e, 0, "status", fl_avro_prim(a, FL_AVRO_INT), 0);
    ice_field(a, e, 1, "snapshot_id", ice_opt(a, FL_AVRO_LONG), 1);
    ice_field(a, e, 2, "sequence_number", ice_opt(a, FL_AVRO_LONG), 3);
    ice_field(a, e, 3, "file_sequence_number", ice_opt(a, FL_AVRO_LONG), 4);
    ice_field(a, e, 4, "data_file", df, 2);
    return e;
}

static fl_avro_schema_t *ice_list_schema(fl_arena_t *a) {
    fl_avro_schema_t *fs = fl_avro_record(a, "r508", 4);
    ice_field(a, fs, 0, "contains_null", fl_avro_prim(a, FL_AVRO_BOOLEAN), 509);
    ice_field(a, fs, 1, "contains_nan", ice_opt(a, FL_AVRO_BOOLEAN), 518);
    ice_field(a, fs, 2, "lower_bound", ice_opt(a, FL_AVRO_BYTES), 510);
    ice_field(a, fs, 3, "upper_bound", ice_opt(a, FL_AVRO_BYTES), 511);
    fl_avro_schema_t *m = fl_avro_record(a, "manifest_file", 15);
    ice_field(a, m, 0, "manifest_path", fl_avro_prim(a, FL_AVRO_STRING), 500);
    ice_field(a, m, 1, "manifest_length", fl_avro_prim(a, FL_AVRO_LONG), 501);
    ice_field(a, m, 2, "partition_spec_id", fl_avro_prim(a, FL_AVRO_INT), 502);
    ice_field(a, m, 3, "content", fl_avro_prim(a, FL_AVRO_INT), 517);
    ice_field(a, m, 4, "sequence_number", fl_avro_prim(a, FL_AVRO_LONG), 515);
    ice_field(a, m, 5, "min_sequence_number", fl_avro_prim(a, FL_AVRO_LONG), 516);
    ice_field(a, m, 6, "added_snapshot_id", fl_avro_prim(a, FL_AVRO_LONG), 503);
    ice_field(a, m, 7, "added_files_count", fl_avro_prim(a, FL_AVRO_INT), 504);
    ice_field(a, m, 8, "existing_files_count", fl_avro_prim(a, FL_AVRO_INT), 505);
    ice_field(a, m, 9, "deleted_files_count", fl_avro_prim(a, FL_AVRO_INT), 506);
    ice_field(a, m, 10, "added_rows_count", fl_avro_prim(a, FL_AVRO_LONG), 512);
    ice_field(a, m, 11, "existing_rows_count", fl_avro_prim(a, FL_AVRO_LONG), 513);
    ice_field(a, m, 12, "deleted_rows_count", fl_avro_prim(a, FL_AVRO_LONG), 514);
    ice_field(a, m, 13, "partitions", fl_avro_optional(a, ice_array(a, fs, 508)), 507);
    ice_field(a, m, 14, "key_metadata", ice_opt(a, FL_AVRO_BYTES), 519);
    return m;
}

/* ------------------------------------------------------------------------------------------ */
/* Bounds (single-value serialization) */

static void ice_put_minimal_be(fl_buf_t *out, const uint8_t *be, size_t n) {
    size_t i = 0;
    while (i + 1 < n && ((be[i] == 0x00 && !(be[i + 1] & 0x80)) ||
                         (be[i] == 0xff && (be[i + 1] & 0x80))))
        i++;
    if (n == 0) fl_buf_put_u8(out, 0);
    else fl_buf_put(out, be + i, n - i);
}

bool fl_iceberg_bound_bytes(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *out) {
    if (d->is_null) return false;
    switch (t->root) {
    case FL_T_BOOLEAN: fl_buf_put_u8(out, d->v.b ? 1 : 0); return true;
    case FL_T_TINYINT: fl_buf_put_i32le(out, d->v.i8); return true;
    case FL_T_SMALLINT: fl_buf_put_i32le(out, d->v.i16); return true;
    case FL_T_INTEGER: case FL_T_DATE: fl_buf_put_i32le(out, d->v.i32); return true;
    case FL_T_BIGINT: fl_buf_put_i64le(out, d->v.i64); return true;
    case FL_T_TIME: fl_buf_put_i64le(out, (int64_t)d->v.i32 * 1000); return true;
    case FL_T_TIMESTAMP: case FL_T_TIMESTAMP_LTZ:
        fl_buf_put_i64le(out, d->v.ts.millis * 1000 + d->v.ts.nanos / 1000);
        return true;
    case FL_T_FLOAT: {
        uint32_t b;
        memcpy(&b, &d->v.f32, 4);
        fl_buf_put_i32le(out, (int32_t)b);
        return true;
    }
    case FL_T_DOUBLE: {
        uint64_t b;
        memcpy(&b, &d->v.f64, 8);
        fl_buf_put_i64le(out, (int64_t)b);
        return true;
    }
    case FL_T_DECIMAL:
        if (fl_type_decimal_compact(t)) {
            uint8_t be[8];
            uint64_t u = (uint64_t)d->v.dec.unscaled;
            for (int i = 7; i >= 0; i--) {
                be[i] = (uint8_t)u;
                u >>= 8;
            }
            ice_put_minimal_be(out, be, 8);
        } else {
            ice_put_minimal_be(out, d->v.dec.big, d->v.dec.big_len);
        }
        return true;
    case FL_T_CHAR: case FL_T_STRING: case FL_T_BINARY: case FL_T_BYTES:
        fl_buf_put(out, d->v.bytes.p, d->v.bytes.len);
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Metadata files: finding the current version */

static char *ice_meta_name(fl_arena_t *a, const char *mdir, int32_t v) {
    return fl_arena_sprintf(a, "%s/v%d.metadata.json", mdir, (int)v);
}

/* The current version as Java's HadoopTableOperations finds it: the hint, then forward while
 * v<N+1> exists; without a usable hint, the highest v<N> listed. 0 = no table. */
static fl_err_t ice_find_version(fl_arena_t *a, const char *mdir, int32_t *out) {
    *out = 0;
    char *hint = fl_arena_sprintf(a, "%s/version-hint.text", mdir);
    uint8_t *p;
    size_t len;
    int32_t v = 0;
    if (fl_vfs_read_file(hint, 64, &p, &len) == FL_ERR_NONE) {
        char tmp[65];
        memcpy(tmp, p, len);
        tmp[len] = 0;
        fl_free(p);
        char *end;
        long n = strtol(tmp, &end, 10);
        while (*end == '\n' || *end == '\r' || *end == ' ') end++;
        if (end != tmp && *end == 0 && n > 0 && n < INT32_MAX) v = (int32_t)n;
    }
    if (v > 0 && fl_lake_exists(ice_meta_name(a, mdir, v))) {
        while (v < INT32_MAX - 1 && fl_lake_exists(ice_meta_name(a, mdir, v + 1))) v++;
        *out = v;
        return FL_ERR_NONE;
    }
    DIR *d = fl_vfs->opendir(mdir);
    if (!d) return errno == ENOENT ? FL_ERR_NONE : FL_ERR__IO;
    struct dirent *de;
    while ((de = fl_vfs->readdir(d)) != NULL) {
        if (de->d_name[0] != 'v') continue;
        char *end;
        long n = strtol(de->d_name + 1, &end, 10);
        if (end != de->d_name + 1 && strcmp(end, ".metadata.json") == 0 && n > *out &&
            n < INT32_MAX)
            *out = (int32_t)n;
    }
    fl_vfs->closedir(d);
    return FL_ERR_NONE;
}

static json_t *ice_snapshot_by_id(const json_t *meta, int64_t id) {
    json_t *snaps = json_object_get(meta, "snapshots");
    for (size_t i = 0; i < json_array_size(snaps); i++) {
        json_t *s = json_array_get(snaps, i);
        if (json_integer_value(json_object_get(s, "snapshot-id")) == id) return s;
    }
    return NULL;
}

static int64_t ice_current_id(const json_t *meta) {
    json_t *c = json_object_get(meta, "current-snapshot-id");
    return json_is_integer(c) ? json_integer_value(c) : -1;
}

/* Load and sanity-check metadata file version v. */
static fl_err_t ice_load_meta(fl_iceberg_table_t *t, fl_arena_t *a, int32_t v, json_t **out,
                              const char **why) {
    char *path = ice_meta_name(a, t->mdir, v);
    json_t *m;
    fl_err_t err = ice_read_json(path, &m);
    if (err) {
        ice_set_why(t, why, "cannot read %s", path);
        return err == FL_ERR__NOENT || err == FL_ERR_CORRUPT_MESSAGE ? FL_ERR_CORRUPT_MESSAGE : err;
    }
    const char *bad = NULL;
    if (!json_is_object(m)) bad = "not an object";
    else if (json_integer_value(json_object_get(m, "format-version")) != 2)
        bad = "format-version is not 2";
    else if (!json_is_integer(json_object_get(m, "last-sequence-number")))
        bad = "no last-sequence-number";
    else if (!json_is_array(json_object_get(m, "schemas")) ||
             !json_is_array(json_object_get(m, "partition-specs")))
        bad = "no schemas or partition-specs";
    else if (!json_is_integer(json_object_get(m, "last-updated-ms")))
        bad = "no last-updated-ms";
    else {
        json_t *snaps = json_object_get(m, "snapshots");
        if (snaps && !json_is_array(snaps)) bad = "snapshots is not an array";
        for (size_t i = 0; !bad && i < json_array_size(snaps); i++) {
            json_t *s = json_array_get(snaps, i);
            if (!json_is_integer(json_object_get(s, "snapshot-id")) ||
                !json_is_integer(json_object_get(s, "sequence-number")) ||
                !json_is_string(json_object_get(s, "manifest-list")))
                bad = "a snapshot lacks snapshot-id, sequence-number or manifest-list";
        }
        int64_t cur = ice_current_id(m);
        if (!bad && cur >= 0 && !ice_snapshot_by_id(m, cur))
            bad = "current-snapshot-id is not in snapshots";
    }
    if (bad) {
        json_decref(m);
        ice_set_why(t, why, "%s: %s", path, bad);
        return FL_ERR_CORRUPT_MESSAGE;
    }
    *out = m;
    return FL_ERR_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* Table open */

void fl_iceberg_opts_default(fl_iceberg_opts_t *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->data_codec = FL_PQ_ZSTD;
    opts->manifest_codec = FL_AVRO_CODEC_DEFLATE;
    opts->target_file_bytes = ICE_DEFAULT_TARGET;
}

/* Types Iceberg's bucket transform accepts (and Fluss's IcebergKeyEncoder encodes). */
static bool ice_bucketable(const fl_type_t *t) {
    switch (t->root) {
    case FL_T_INTEGER: case FL_T_BIGINT: case FL_T_DECIMAL: case FL_T_DATE: case FL_T_TIME:
    case FL_T_TIMESTAMP: case FL_T_CHAR: case FL_T_STRING: case FL_T_BINARY: case FL_T_BYTES:
        return true;
    default:
        return false;
    }
}

static json_t *ice_properties(const fl_iceberg_table_t *t) {
    json_t *p = json_object();
    if (t->is_pk) {
        json_object_set_new(p, "write.delete.mode", json_string("merge-on-read"));
        json_object_set_new(p, "write.update.mode", json_string("merge-on-read"));
        json_object_set_new(p, "write.merge.mode", json_string("merge-on-read"));
    }
    const fl_kvs_t *sets[2] = {&t->desc.properties, &t->desc.custom_properties};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sets[s]->n; i++) {
            const fl_kv_t *kv = &sets[s]->items[i];
            if (!kv->key || !kv->value) continue;
            if (strncmp(kv->key, "iceberg.", 8) == 0) {
                json_object_set_new(p, kv->key + 8, json_string(kv->value));
            } else {
                char *k = fl_arena_sprintf(t->arena, "fluss.%s", kv->key);
                json_object_set_new(p, k, json_string(kv->value));
            }
        }
    }
    if (!json_object_get(p, "write.parquet.compression-codec"))
        json_object_set_new(p, "write.parquet.compression-codec", json_string("zstd"));
    return p;
}

static json_t *ice_new_metadata(fl_iceberg_table_t *t) {
    char uuid[37];
    fl_lake_uuid(uuid);
    json_t *m = json_object();
    json_object_set_new(m, "format-version", json_integer(2));
    json_object_set_new(m, "table-uuid", json_string(uuid));
    json_object_set_new(m, "location", json_string(t->path));
    json_object_set_new(m, "last-sequence-number", json_integer(0));
    json_object_set_new(m, "last-updated-ms", json_integer(ice_now(t)));
    json_object_set_new(m, "last-column-id", json_integer(t->last_column_id));
    json_object_set_new(m, "current-schema-id", json_integer(0));
    json_object_set_new(m, "schemas", json_pack("[O]", t->schema));
    json_object_set_new(m, "default-spec-id", json_integer(0));
    json_object_set_new(m, "partition-specs",
                        json_pack("[{s:i, s:O}]", "spec-id", 0, "fields", t->spec_fields));
    json_object_set_new(m, "last-partition-id",
                        json_integer(999 + (json_int_t)json_array_size(t->spec_fields)));
    json_object_set_new(m, "default-sort-order-id", json_integer(1));
    json_object_set_new(
        m, "sort-orders",
        json_pack("[{s:i, s:[{s:s, s:i, s:s, s:s}]}]", "order-id", 1, "fields", "transform",
                  "identity", "source-id", (int)t->top_ids[t->n_user + 1], "direction", "asc",
                  "null-order", "nulls-first"));
    json_object_set_new(m, "properties", ice_properties(t));
    json_object_set_new(m, "current-snapshot-id", json_integer(-1));
    json_object_set_new(m, "refs", json_object());
    json_object_set_new(m, "snapshots", json_array());
    json_object_set_new(m, "statistics", json_array());
    json_object_set_new(m, "partition-statistics", json_array());
    json_object_set_new(m, "snapshot-log", json_array());
    json_object_set_new(m, "metadata-log", json_array());
    return m;
}

/* Schema fields without "doc" (comments may change without changing the table). */
static json_t *ice_strip_docs(const json_t *j) {
    json_t *c = json_deep_copy(j);
    json_t *stack[64];
    int sp = 0;
    stack[sp++] = c;
    while (sp > 0) {
        json_t *x = stack[--sp];
        if (json_is_object(x)) {
            json_object_del(x, "doc");
            const char *k;
            json_t *v;
            json_object_foreach(x, k, v) if (sp < 64 && (json_is_object(v) || json_is_array(v)))
                stack[sp++] = v;
        } else if (json_is_array(x)) {
            for (size_t i = 0; i < json_array_size(x) && sp < 64; i++) {
                json_t *v = json_array_get(x, i);
                if (json_is_object(v) || json_is_array(v)) stack[sp++] = v;
            }
        }
    }
    return c;
}

/* Does the current schema/spec of meta match what desc gives? */
static bool ice_same_table(const fl_iceberg_table_t *t, const json_t *meta) {
    json_int_t sid = json_integer_value(json_object_get(meta, "current-schema-id"));
    json_int_t pid = json_integer_value(json_object_get(meta, "default-spec-id"));
    json_t *schema = NULL, *spec = NULL;
    json_t *ss = json_object_get(meta, "schemas"), *ps = json_object_get(meta, "partition-specs");
    for (size_t i = 0; i < json_array_size(ss); i++)
        if (json_integer_value(json_object_get(json_array_get(ss, i), "schema-id")) == sid)
            schema = json_array_get(ss, i);
    for (size_t i = 0; i < json_array_size(ps); i++)
        if (json_integer_value(json_object_get(json_array_get(ps, i), "spec-id")) == pid)
            spec = json_array_get(ps, i);
    if (!schema || !spec || sid != 0 || pid != 0) return false;
    json_t *a = ice_strip_docs(json_object_get(schema, "fields"));
    json_t *b = ice_strip_docs(json_object_get(t->schema, "fields"));
    bool same = json_equal(a, b) && json_equal(json_object_get(spec, "fields"), t->spec_fields);
    json_decref(a);
    json_decref(b);
    /* identifier fields as a set */
    json_t *hi = json_object_get(schema, "identifier-field-ids");
    json_t *wi = json_object_get(t->schema, "identifier-field-ids");
    if (json_array_size(hi) != json_array_size(wi)) return false;
    for (size_t i = 0; same && i < json_array_size(wi); i++) {
        bool found = false;
        for (size_t k = 0; k < json_array_size(hi); k++)
            found |= json_equal(json_array_get(wi, i), json_array_get(hi, k));
        same = found;
    }
    return same;
}

fl_err_t fl_iceberg_table_open(const char *warehouse, const char *db, const char *table,
                               const fl_table_desc_t *desc, const fl_iceberg_opts_t *opts,
                               fl_iceberg_table_t **out, const char **why) {
    static const char *no_why = "";
    *out = NULL;
    if (why) *why = no_why;
    fl_iceberg_table_t *t = fl_calloc(1, sizeof(*t));
    t->arena = fl_arena_new(0);
    if (opts) t->opts = *opts;
    else fl_iceberg_opts_default(&t->opts);
    if (!t->opts.target_file_bytes) t->opts.target_file_bytes = ICE_DEFAULT_TARGET;
    fl_table_desc_copy(t->arena, desc, &t->desc);
    if (warehouse[0] == '/') {
        t->path = fl_arena_sprintf(t->arena, "%s/%s/%s", warehouse, db, table);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd))) cwd[0] = 0;
        t->path = fl_arena_sprintf(t->arena, "%s/%s/%s/%s", cwd, warehouse, db, table);
    }
    t->mdir = fl_arena_sprintf(t->arena, "%s/metadata", t->path);
    t->ddir = fl_arena_sprintf(t->arena, "%s/data", t->path);
    const fl_schema_t *sc = &t->desc.schema;
    t->n_user = (uint32_t)sc->n_cols;
    t->is_pk = sc->primary_key.n > 0;
    fl_err_t err = FL_ERR_INVALID_TABLE_EXCEPTION;
    json_t *meta = NULL;

    for (uint32_t i = 0; i < t->n_user; i++) {
        for (int k = 0; k < 3; k++) {
            if (strcmp(sc->cols[i].name, ice_sys_names[k]) == 0) {
                ice_set_why(t, why, "Column '%s' conflicts with a reserved system column name.",
                            sc->cols[i].name);
                goto fail;
            }
        }
    }
    if (t->desc.bucket_count <= 0) {
        ice_set_why(t, why, "Bucket count (bucket.num) must be set");
        goto fail;
    }
    t->num_buckets = t->desc.bucket_count;
    t->n_part = (uint32_t)t->desc.partition_keys.n;
    t->part_idx = fl_arena_calloc(t->arena, (t->n_part + 1) * sizeof(int));
    for (uint32_t i = 0; i < t->n_part; i++) {
        int ci = fl_schema_col_index(sc, t->desc.partition_keys.items[i]);
        if (ci < 0 || (sc->cols[ci].type.root != FL_T_STRING && sc->cols[ci].type.root != FL_T_CHAR)) {
            ice_set_why(t, why, "Partition key only support string type for iceberg currently. "
                                "Column `%s` is not string type.",
                        t->desc.partition_keys.items[i]);
            goto fail;
        }
        t->part_idx[i] = ci;
    }
    t->pk_idx = fl_arena_calloc(t->arena, (sc->primary_key.n + 1) * sizeof(int));
    for (size_t i = 0; i < sc->primary_key.n; i++) {
        int ci = fl_schema_col_index(sc, sc->primary_key.items[i]);
        if (ci < 0 || !ice_atomic(&sc->cols[ci].type)) {
            ice_set_why(t, why, "primary key %s: missing or not atomic", sc->primary_key.items[i]);
            goto fail;
        }
        t->pk_idx[t->n_pk++] = ci;
    }
    /* bucket keys (TableDescriptor.getBucketKeys: PK tables default to PK minus partition keys) */
    const char *bkeys[2] = {NULL, NULL};
    size_t n_bkeys = 0;
    if (t->desc.bucket_keys.n) {
        for (size_t i = 0; i < t->desc.bucket_keys.n && n_bkeys < 2; i++)
            bkeys[n_bkeys++] = t->desc.bucket_keys.items[i];
        if (t->desc.bucket_keys.n > 1) n_bkeys = 2;
    } else if (t->is_pk) {
        for (size_t i = 0; i < sc->primary_key.n && n_bkeys < 2; i++)
            if (!fl_strs_has(&t->desc.partition_keys, sc->primary_key.items[i]))
                bkeys[n_bkeys++] = sc->primary_key.items[i];
    }
    if (n_bkeys > 1) {
        ice_set_why(t, why, "Only one bucket key is supported for Iceberg at the moment");
        goto fail;
    }
    if (t->is_pk && n_bkeys == 0) {
        ice_set_why(t, why, "Bucket key must be set for primary key Iceberg tables");
        goto fail;
    }
    t->bucket_key = -1;
    if (n_bkeys) {
        t->bucket_key = fl_schema_col_index(sc, bkeys[0]);
        if (t->bucket_key < 0 || !ice_bucketable(&sc->cols[t->bucket_key].type)) {
            ice_set_why(t, why, "bucket key %s: missing or of a type Iceberg cannot bucket",
                        bkeys[0]);
            goto fail;
        }
    }
    ice_build_schema(t);
    ice_build_spec(t);
    t->entry_schema = ice_entry_schema(t);
    t->list_schema = ice_list_schema(t->arena);
    fl_buf_t jb;
    fl_buf_init(&jb);
    fl_avro_schema_json(t->entry_schema, &jb);
    t->entry_json = fl_arena_strndup(t->arena, (const char *)jb.p, jb.len);
    fl_buf_reset(&jb);
    fl_avro_schema_json(t->list_schema, &jb);
    t->list_json = fl_arena_strndup(t->arena, (const char *)jb.p, jb.len);
    fl_buf_free(&jb);

    int32_t v;
    err = ice_find_version(t->arena, t->mdir, &v);
    if (err) {
        ice_set_why(t, why, "cannot list %s", t->mdir);
        goto fail;
    }
    if (v == 0) {
        /* create: directories, then v1.metadata.json (durable), then the hint */
        if (fl_vfs_mkdirs(t->mdir) != 0) {
            ice_set_why(t, why, "mkdir() failed: %s (%s)", strerror(errno), t->mdir);
            err = FL_ERR__IO;
            goto fail;
        }
        meta = ice_new_metadata(t);
        char *text = json_dumps(meta, JSON_COMPACT);
        err = fl_vfs_write_durable(t->mdir, "v1.metadata.json", text, strlen(text));
        free(text);
        if (!err) err = fl_vfs_write_durable(t->mdir, "version-hint.text", "1", 1);
        if (err) {
            ice_set_why(t, why, "cannot write %s/v1.metadata.json", t->mdir);
            goto fail;
        }
        (void)fl_vfs_fsync_dir(t->path);
        char *dbdir = fl_arena_sprintf(t->arena, "%s", t->path);
        *strrchr(dbdir, '/') = 0;
        (void)fl_vfs_fsync_dir(dbdir);
        t->version = 1;
    } else {
        err = ice_load_meta(t, t->arena, v, &meta, why);
        if (err) goto fail;
        if (!ice_same_table(t, meta)) {
            ice_set_why(t, why, "%s exists with a different schema or partition spec", t->path);
            err = FL_ERR_LAKE_TABLE_ALREADY_EXIST;
            goto fail;
        }
        t->version = v;
    }
    t->meta = meta;
    *out = t;
    return FL_ERR_NONE;
fail:
    json_decref(meta);
    if (why && t->why) {
        static _Thread_local char msg[1024];
        snprintf(msg, sizeof(msg), "%s", t->why);
        *why = msg;
    }
    fl_iceberg_table_close(t);
    return err;
}

void fl_iceberg_table_close(fl_iceberg_table_t *t) {
    if (!t) return;
    if (t->round) fl_iceberg_round_abort(t->round);
    json_decref(t->meta);
    json_decref(t->schema);
    json_decref(t->spec_fields);
    fl_free(t->why);
    fl_arena_destroy(t->arena);
    fl_free(t);
}

const char *fl_iceberg_table_path(const fl_iceberg_table_t *t) {
    return t->path;
}

int64_t fl_iceberg_table_snapshot_id(const fl_iceberg_table_t *t) {
    return ice_current_id(t->meta);
}

int32_t fl_iceberg_table_version(const fl_iceberg_table_t *t) {
    return t->version;
}

/* ------------------------------------------------------------------------------------------ */
/* Rounds */

fl_iceberg_round_t *fl_iceberg_round_begin(fl_iceberg_table_t *t) {
    if (t->round) return NULL;
    fl_iceberg_round_t *r = fl_calloc(1, sizeof(*r));
    r->t = t;
    r->arena = fl_arena_new(0);
    fl_lake_uuid(r->uuid);
    t->round = r;
    return r;
}

uint64_t fl_iceberg_round_rows(const fl_iceberg_round_t *r) {
    return r->rows;
}

static void ice_round_free(fl_iceberg_round_t *r, bool unlink_files) {
    for (ice_bucket_t *b = r->buckets; b; b = b->next) {
        if (b->pq) fl_pq_writer_free(b->pq);
        if (b->out && b->out->fd >= 0) fl_vfs->close(b->out->fd);
        if (b->eq) fl_pq_writer_free(b->eq);
        if (b->eq_out && b->eq_out->fd >= 0) fl_vfs->close(b->eq_out->fd);
        fl_free(b->pos);
        fl_free(b->keys);
        fl_free(b->data_paths);
    }
    if (unlink_files)
        fl_lakeset_unlink(&r->created);
    fl_free(r->files);
    fl_lakeset_free(&r->created);
    r->t->round = NULL;
    fl_arena_destroy(r->arena);
    fl_free(r);
}

void fl_iceberg_round_abort(fl_iceberg_round_t *r) {
    if (r) ice_round_free(r, true);
}

static ice_bucket_t *ice_bucket_get(fl_iceberg_round_t *r, const fl_datum_t *row, int32_t bucket,
                                    const char *pname, const char **why) {
    fl_iceberg_table_t *t = r->t;
    const char *name = pname ? pname : "";
    if (r->last && r->last->bucket == bucket && strcmp(r->last->partition_name, name) == 0)
        return r->last;
    for (ice_bucket_t *b = r->buckets; b; b = b->next) {
        if (b->bucket == bucket && strcmp(b->partition_name, name) == 0) {
            r->last = b;
            return b;
        }
    }
    fl_buf_t dir, joined;
    fl_buf_init(&dir);
    fl_buf_init(&joined);
    fl_buf_put(&dir, t->ddir, strlen(t->ddir));
    const char **vals = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(char *));
    uint32_t *lens = fl_arena_calloc(r->arena, (t->n_part + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < t->n_part; i++) {
        const fl_datum_t *d = &row[t->part_idx[i]];
        if (d->is_null) {
            fl_buf_free(&dir);
            fl_buf_free(&joined);
            *why = "null partition value";
            return NULL;
        }
        vals[i] = fl_arena_strndup(r->arena, (const char *)d->v.bytes.p, d->v.bytes.len);
        lens[i] = d->v.bytes.len;
        if (i) fl_buf_put_u8(&joined, '$');
        fl_buf_put(&joined, d->v.bytes.p, d->v.bytes.len);
        const char *key = t->row_type.field_names[t->part_idx[i]];
        fl_buf_put_u8(&dir, '/');
        ice_url_encode(key, strlen(key), &dir);
        fl_buf_put_u8(&dir, '_'); /* not '=': see fl_iceberg.h on the layout */
        ice_url_encode(vals[i], lens[i], &dir);
    }
    bool match = joined.len == strlen(name) && (joined.len == 0 || memcmp(joined.p, name, joined.len) == 0);
    fl_buf_free(&joined);
    if (!match) {
        fl_buf_free(&dir);
        *why = "partition name does not match the row's partition values";
        return NULL;
    }
    char tmp[32];
    fl_buf_put_u8(&dir, '/');
    ice_url_encode(t->bucket_field, strlen(t->bucket_field), &dir);
    snprintf(tmp, sizeof(tmp), "_%d", (int)bucket);
    fl_buf_put(&dir, tmp, strlen(tmp));
    ice_bucket_t *b = fl_arena_calloc(r->arena, sizeof(*b));
    b->partition_name = fl_arena_strndup(r->arena, name, strlen(name));
    b->part_vals = vals;
    b->part_lens = lens;
    b->bucket = bucket;
    b->dir = fl_arena_strndup(r->arena, (const char *)dir.p, dir.len);
    fl_buf_free(&dir);
    b->next = r->buckets;
    r->buckets = b;
    r->last = b;
    return b;
}

static void ice_add_file(fl_iceberg_round_t *r, ice_file_t *f) {
    if (r->n_files == r->cap_files) {
        r->cap_files = r->cap_files ? r->cap_files * 2 : 16;
        r->files = fl_realloc(r->files, r->cap_files * sizeof(*r->files));
    }
    r->files[r->n_files++] = f;
}

/* Open a Parquet file in b's directory. kind: 0 data, 1 position deletes, 2 equality deletes. */
static fl_err_t ice_file_start(fl_iceberg_round_t *r, ice_bucket_t *b, int kind,
                               fl_pq_writer_t **pq, fl_lakefile_t **out) {
    fl_iceberg_table_t *t = r->t;
    if (fl_vfs_mkdirs(b->dir) != 0) {
        fl_log_error("lake", "mkdir() failed: %s (%s)", strerror(errno), b->dir);
        return fl_vfs_errno2err(errno);
    }
    char *path = fl_arena_sprintf(r->arena, "%s/%05d-0-%s-%05u.parquet", b->dir, (int)b->bucket,
                                  r->uuid, ++r->file_seq);
    fl_err_t err = fl_lakefile_open(r->arena, &r->created, path, out);
    if (err) return err;
    fl_pq_kv_t kv[3];
    size_t n_kv = 0;
    kv[n_kv++] = (fl_pq_kv_t){"iceberg.schema", kind == 1   ? t->pos_schema_json
                                                : kind == 2 ? t->eq_schema_json
                                                            : t->schema_json};
    if (kind == 1) kv[n_kv++] = (fl_pq_kv_t){"delete-type", "position"};
    if (kind == 2) {
        kv[n_kv++] = (fl_pq_kv_t){"delete-type", "equality"};
        kv[n_kv++] = (fl_pq_kv_t){"delete-field-ids", t->eq_ids_text};
    }
    fl_pq_opts_t po;
    fl_pq_opts_default(&po);
    po.flavor = FL_PQ_ICEBERG;
    po.codec = t->opts.data_codec;
    po.row_group_bytes = 64u << 20;
    po.ids = kind == 0 ? FL_PQ_IDS_ICEBERG_FRESH : FL_PQ_IDS_TYPE;
    po.kv = kv;
    po.n_kv = n_kv;
    const fl_type_t *ft = kind == 0 ? &t->row_type : kind == 1 ? &t->pos_type : &t->eq_type;
    return fl_pq_writer_new(ft, &po, fl_lakefile_write, *out, pq);
}

/* An int-keyed map value from (id, long) pairs. */
static fl_avro_value_t ice_v_longmap(fl_arena_t *a, const int32_t *ids, const int64_t *vals,
                                     uint32_t n) {
    fl_avro_value_t arr = fl_avro_v_list(a, n);
    for (uint32_t i = 0; i < n; i++) {
        fl_avro_value_t kv = fl_avro_v_list(a, 2);
        kv.v.items[0] = fl_avro_v_int(ids[i]);
        kv.v.items[1] = fl_avro_v_long(vals[i]);
        arr.v.items[i] = kv;
    }
    return fl_avro_v_some(arr);
}

static fl_avro_value_t ice_v_partition(fl_iceberg_round_t *r, const ice_bucket_t *b) {
    fl_iceberg_table_t *t = r->t;
    fl_avro_value_t p = fl_avro_v_list(r->arena, t->n_part + 1);
    for (uint32_t i = 0; i < t->n_part; i++)
        p.v.items[i] = fl_avro_v_some(fl_avro_v_bytes(b->part_vals[i], b->part_lens[i]));
    p.v.items[t->n_part] = fl_avro_v_some(fl_avro_v_int(b->bucket));
    return p;
}

/* Finish a Parquet file and record its data_file value with the metrics readers prune with. */
static fl_err_t ice_file_finish(fl_iceberg_round_t *r, ice_bucket_t *b, int content,
                                fl_pq_writer_t *pq, fl_lakefile_t *out, const char *referenced) {
    fl_iceberg_table_t *t = r->t;
    fl_arena_t *a = r->arena;
    const fl_pq_file_stats_t *st;
    fl_err_t err = fl_pq_finish(pq, &st);
    fl_err_t cerr = fl_lakefile_close(out);
    if (!err) err = cerr;
    if (err) {
        fl_pq_writer_free(pq);
        return err;
    }
    uint32_t n = st->n_cols;
    int32_t *ids = fl_arena_calloc(a, (n + 1) * sizeof(int32_t));
    int64_t *sizes = fl_arena_calloc(a, (n + 1) * sizeof(int64_t));
    int64_t *counts = fl_arena_calloc(a, (n + 1) * sizeof(int64_t));
    int64_t *nulls = fl_arena_calloc(a, (n + 1) * sizeof(int64_t));
    int32_t *nan_ids = fl_arena_calloc(a, (n + 1) * sizeof(int32_t));
    int64_t *nans = fl_arena_calloc(a, (n + 1) * sizeof(int64_t));
    fl_avro_value_t lower = fl_avro_v_list(a, n), upper = fl_avro_v_list(a, n);
    uint32_t k = 0, kn = 0, kb = 0;
    for (uint32_t i = 0; i < n; i++) {
        const fl_pq_col_stats_t *cs = &st->cols[i];
        int32_t id = cs->field_id;
        if (id < 0) continue;
        bool table_col = id <= t->last_column_id;
        bool repeated = table_col && t->in_repeated[id];
        ids[k] = id;
        sizes[k] = (int64_t)cs->compressed_bytes;
        counts[k] = (int64_t)cs->num_values;
        nulls[k] = (int64_t)cs->null_count;
        k++;
        if (cs->type->root == FL_T_FLOAT || cs->type->root == FL_T_DOUBLE) {
            nan_ids[kn] = id;
            nans[kn++] = (int64_t)cs->nan_count;
        }
        /* bounds: exact values only; none for strings/binary (ordering and truncation rules
         * of the readers), none inside lists and maps */
        if (repeated || !cs->has_min_max) continue;
        fl_type_root_t root = cs->type->root;
        if (root == FL_T_STRING || root == FL_T_CHAR || root == FL_T_BINARY || root == FL_T_BYTES)
            continue;
        fl_buf_t lo, hi;
        fl_buf_init(&lo);
        fl_buf_init(&hi);
        bool ok = fl_iceberg_bound_bytes(cs->type, &cs->min, &lo) &&
                  fl_iceberg_bound_bytes(cs->type, &cs->max, &hi);
        if (ok) {
            fl_avro_value_t l = fl_avro_v_list(a, 2), u = fl_avro_v_list(a, 2);
            l.v.items[0] = u.v.items[0] = fl_avro_v_int(id);
            uint8_t *lp = fl_arena_alloc(a, lo.len + 1), *hp = fl_arena_alloc(a, hi.len + 1);
            memcpy(lp, lo.p, lo.len);
            memcpy(hp, hi.p, hi.len);
            l.v.items[1] = fl_avro_v_bytes(lp, (uint32_t)lo.len);
            u.v.items[1] = fl_avro_v_bytes(hp, (uint32_t)hi.len);
            lower.v.items[kb] = l;
            upper.v.items[kb] = u;
            kb++;
        }
        fl_buf_free(&lo);
        fl_buf_free(&hi);
    }
    lower.n = upper.n = kb;
    ice_file_t *f = fl_arena_calloc(a, sizeof(*f));
    f->content = content;
    f->size = st->file_size;
    f->rows = st->num_rows;
    f->b = b;
    fl_avro_value_t df = fl_avro_v_list(a, 17);
    df.v.items[0] = fl_avro_v_int(content);
    df.v.items[1] = fl_avro_v_str(out->path);
    df.v.items[2] = fl_avro_v_str("PARQUET");
    df.v.items[3] = ice_v_partition(r, b);
    df.v.items[4] = fl_avro_v_long((int64_t)st->num_rows);
    df.v.items[5] = fl_avro_v_long((int64_t)st->file_size);
    df.v.items[6] = ice_v_longmap(a, ids, sizes, k);
    df.v.items[7] = ice_v_longmap(a, ids, counts, k);
    df.v.items[8] = ice_v_longmap(a, ids, nulls, k);
    df.v.items[9] = ice_v_longmap(a, nan_ids, nans, kn);
    df.v.items[10] = fl_avro_v_some(lower);
    df.v.items[11] = fl_avro_v_some(upper);
    df.v.items[12] = fl_avro_v_null();
    fl_avro_value_t so = fl_avro_v_list(a, st->n_row_groups);
    for (uint32_t g = 0; g < st->n_row_groups; g++)
        so.v.items[g] = fl_avro_v_long((int64_t)st->row_group_offsets[g]);
    df.v.items[13] = fl_avro_v_some(so);
    if (content == 2) {
        fl_avro_value_t eq = fl_avro_v_list(a, t->n_pk);
        for (uint32_t i = 0; i < t->n_pk; i++) eq.v.items[i] = fl_avro_v_int(t->top_ids[t->pk_idx[i]]);
        df.v.items[14] = fl_avro_v_some(eq);
    } else {
        df.v.items[14] = fl_avro_v_null();
    }
    df.v.items[15] = fl_avro_v_null();
    df.v.items[16] = referenced ? fl_avro_v_some(fl_avro_v_str(referenced)) : fl_avro_v_null();
    f->df = df;
    fl_pq_writer_free(pq);
    ice_add_file(r, f);
    return FL_ERR_NONE;
}

static fl_err_t ice_data_finish(fl_iceberg_round_t *r, ice_bucket_t *b) {
    if (!b->pq) return FL_ERR_NONE;
    fl_pq_writer_t *pq = b->pq;
    b->pq = NULL;
    return ice_file_finish(r, b, 0, pq, b->out, NULL);
}

/* ---- the per-bucket key map (PK tables) ---- */

/* Canonical bytes of the PK values: per column a tag then fixed-width or length-prefixed
 * bytes. Equal keys give equal bytes. */
static void ice_key_bytes(const fl_iceberg_table_t *t, const fl_datum_t *row, fl_buf_t *out) {
    for (uint32_t k = 0; k < t->n_pk; k++) {
        const fl_type_t *ty = &t->row_type.children[t->pk_idx[k]];
        const fl_datum_t *d = &row[t->pk_idx[k]];
        fl_buf_put_u8(out, (uint8_t)ty->root);
        switch (ty->root) {
        case FL_T_BOOLEAN: fl_buf_put_u8(out, d->v.b); break;
        case FL_T_TINYINT: fl_buf_put_u8(out, (uint8_t)d->v.i8); break;
        case FL_T_SMALLINT: fl_buf_put_i16le(out, d->v.i16); break;
        case FL_T_INTEGER: case FL_T_DATE: case FL_T_TIME: fl_buf_put_i32le(out, d->v.i32); break;
        case FL_T_BIGINT: fl_buf_put_i64le(out, d->v.i64); break;
        case FL_T_FLOAT: fl_buf_put(out, &d->v.f32, 4); break;
        case FL_T_DOUBLE: fl_buf_put(out, &d->v.f64, 8); break;
        case FL_T_TIMESTAMP: case FL_T_TIMESTAMP_LTZ:
            fl_buf_put_i64le(out, d->v.ts.millis);
            fl_buf_put_i32le(out, d->v.ts.nanos);
            break;
        case FL_T_DECIMAL:
            if (fl_type_decimal_compact(ty)) {
                fl_buf_put_i64le(out, d->v.dec.unscaled);
                break;
            }
            fl_iceberg_bound_bytes(ty, d, out);
            break;
        default: /* strings, bytes */
            fl_buf_put_i32le(out, (int32_t)d->v.bytes.len);
            fl_buf_put(out, d->v.bytes.p, d->v.bytes.len);
            break;
        }
    }
}

static uint32_t ice_hash(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Find the slot of key (inserting an empty one if absent). */
static ice_key_t *ice_key_slot(fl_iceberg_round_t *r, ice_bucket_t *b, const uint8_t *key,
                               uint32_t len) {
    if ((b->n_keys + 1) * 2 > b->cap_keys) {
        size_t ncap = b->cap_keys ? b->cap_keys * 2 : 64;
        ice_key_t *nk = fl_calloc(ncap, sizeof(*nk));
        for (size_t i = 0; i < b->cap_keys; i++) {
            if (!b->keys[i].key) continue;
            size_t j = b->keys[i].hash & (ncap - 1);
            while (nk[j].key) j = (j + 1) & (ncap - 1);
            nk[j] = b->keys[i];
        }
        fl_free(b->keys);
        b->keys = nk;
        b->cap_keys = ncap;
    }
    uint32_t h = ice_hash(key, len);
    size_t j = h & (b->cap_keys - 1);
    while (b->keys[j].key) {
        if (b->keys[j].hash == h && b->keys[j].len == len && memcmp(b->keys[j].key, key, len) == 0)
            return &b->keys[j];
        j = (j + 1) & (b->cap_keys - 1);
    }
    ice_key_t *s = &b->keys[j];
    s->key = fl_arena_alloc(r->arena, len ? len : 1);
    memcpy(s->key, key, len);
    s->len = len;
    s->hash = h;
    s->file = -1;
    b->n_keys++;
    return s;
}

static void ice_pos_add(ice_bucket_t *b, int32_t file, int64_t pos) {
    if (b->n_pos == b->cap_pos) {
        b->cap_pos = b->cap_pos ? b->cap_pos * 2 : 64;
        b->pos = fl_realloc(b->pos, b->cap_pos * sizeof(*b->pos));
    }
    b->pos[b->n_pos++] = (ice_pos_t){(uint32_t)file, pos};
}

static void ice_table_row(const fl_iceberg_table_t *t, const fl_datum_t *user, int32_t bucket,
                          int64_t offset, int64_t ts, fl_datum_t *dst) {
    memcpy(dst, user, t->n_user * sizeof(fl_datum_t));
    memset(&dst[t->n_user], 0, 3 * sizeof(fl_datum_t));
    dst[t->n_user].v.i32 = bucket;
    dst[t->n_user + 1].v.i64 = offset;
    dst[t->n_user + 2].v.ts.millis = ts;
}

fl_err_t fl_iceberg_round_add(fl_iceberg_round_t *r, const char *partition_name, int32_t bucket,
                              const fl_datum_t *row, int change_type, int64_t log_offset,
                              int64_t timestamp_ms) {
    fl_iceberg_table_t *t = r->t;
    const char *why = NULL;
    if (r->err) return r->err;
    if (change_type < FL_ICEBERG_APPEND_ONLY || change_type > FL_ICEBERG_DELETE) return FL_ERR__INVAL;
    if (!t->is_pk && change_type > FL_ICEBERG_INSERT) return FL_ERR__INVAL;
    if (bucket < 0 || bucket >= t->num_buckets) return FL_ERR__INVAL;
    if ((t->n_part == 0) != (partition_name == NULL)) return FL_ERR__INVAL;
    for (uint32_t k = 0; k < t->n_pk; k++)
        if (row[t->pk_idx[k]].is_null) return FL_ERR__INVAL;
    ice_bucket_t *b = ice_bucket_get(r, row, bucket, partition_name, &why);
    if (!b) {
        fl_log_warn("lake", "iceberg %s: %s", t->path, why);
        return FL_ERR__INVAL;
    }
    fl_datum_t *full = fl_arena_alloc(r->arena, (t->n_user + 3) * sizeof(fl_datum_t));
    ice_table_row(t, row, bucket, log_offset, timestamp_ms, full);
    fl_err_t err;
    bool retract = change_type == FL_ICEBERG_UPDATE_BEFORE || change_type == FL_ICEBERG_DELETE;
    ice_key_t *slot = NULL;
    if (t->is_pk) {
        fl_buf_t kb;
        fl_buf_init(&kb);
        ice_key_bytes(t, row, &kb);
        slot = ice_key_slot(r, b, kb.p, (uint32_t)kb.len);
        fl_buf_free(&kb);
    }
    if (retract) {
        if (slot->file >= 0) { /* written in this round: drop that row */
            ice_pos_add(b, slot->file, slot->pos);
            slot->file = -1;
            r->rows++;
            return FL_ERR_NONE;
        }
        if (!b->eq) {
            err = ice_file_start(r, b, 2, &b->eq, &b->eq_out);
            if (err) {
                if (b->eq) fl_pq_writer_free(b->eq);
                b->eq = NULL;
                return r->err = err;
            }
        }
        fl_datum_t *key = fl_arena_alloc(r->arena, t->n_pk * sizeof(fl_datum_t));
        for (uint32_t k = 0; k < t->n_pk; k++) key[k] = row[t->pk_idx[k]];
        err = fl_pq_write_row(b->eq, key);
        if (err == FL_ERR__INVAL) return err;
        if (err) return r->err = err;
        r->rows++;
        return FL_ERR_NONE;
    }
    if (!b->pq) {
        err = ice_file_start(r, b, 0, &b->pq, &b->out);
        if (err) {
            if (b->pq) fl_pq_writer_free(b->pq);
            b->pq = NULL;
            return r->err = err;
        }
        b->data_paths = fl_realloc(b->data_paths, (b->n_data_paths + 1) * sizeof(char *));
        b->data_paths[b->n_data_paths++] = b->out->path;
        b->file_rows = 0;
    }
    err = fl_pq_write_row(b->pq, full);
    if (err == FL_ERR__INVAL) return err;
    if (err) return r->err = err;
    if (slot) {
        if (slot->file >= 0) ice_pos_add(b, slot->file, slot->pos); /* superseded in-round */
        slot->file = (int32_t)b->n_data_paths - 1;
        slot->pos = b->file_rows;
    }
    b->file_rows++;
    r->rows++;
    if (fl_pq_size_estimate(b->pq) >= t->opts.target_file_bytes) {
        err = ice_data_finish(r, b);
        if (err) r->err = err;
        return err;
    }
    return FL_ERR_NONE;
}

/* qsort_r: by file path, then position (the order Iceberg requires in position deletes). */
static int ice_pos_cmp(const void *x, const void *y, void *ctx) {
    const ice_bucket_t *b = ctx;
    const ice_pos_t *p = x, *q = y;
    if (p->file != q->file) {
        int c = strcmp(b->data_paths[p->file], b->data_paths[q->file]);
        if (c) return c;
    }
    return p->pos < q->pos ? -1 : p->pos > q->pos;
}

static fl_err_t ice_write_pos_deletes(fl_iceberg_round_t *r, ice_bucket_t *b) {
    if (b->n_pos == 0) return FL_ERR_NONE;
    qsort_r(b->pos, b->n_pos, sizeof(*b->pos), ice_pos_cmp, b);
    fl_pq_writer_t *pq = NULL;
    fl_lakefile_t *out = NULL;
    fl_err_t err = ice_file_start(r, b, 1, &pq, &out);
    bool single = true;
    for (size_t i = 0; i < b->n_pos && !err; i++) {
        const char *path = b->data_paths[b->pos[i].file];
        single &= b->pos[i].file == b->pos[0].file;
        fl_datum_t row[2];
        memset(row, 0, sizeof(row));
        row[0].v.bytes.p = (const uint8_t *)path;
        row[0].v.bytes.len = (uint32_t)strlen(path);
        row[1].v.i64 = b->pos[i].pos;
        err = fl_pq_write_row(pq, row);
    }
    if (err) {
        if (pq) fl_pq_writer_free(pq);
        return err;
    }
    return ice_file_finish(r, b, 1, pq, out, single ? b->data_paths[b->pos[0].file] : NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Commit */

/* Convert value v of writer schema ws into schema ds (by field names; absent or mismatched
 * optional fields become null). @returns false if a required field cannot be filled. */
static bool ice_convert(fl_arena_t *a, const fl_avro_schema_t *ws, const fl_avro_value_t *v,
                        const fl_avro_schema_t *ds, fl_avro_value_t *out, int depth) {
    if (depth > FL_AVRO_MAX_DEPTH) return false;
    if (ws->kind == FL_AVRO_UNION) {
        if (v->branch >= ws->n) return false;
        const fl_avro_schema_t *b = ws->branches[v->branch];
        if (b->kind == FL_AVRO_NULL) {
            if (ds->kind != FL_AVRO_UNION) return false;
            *out = fl_avro_v_null();
            return true;
        }
        return ice_convert(a, b, v, ds, out, depth + 1);
    }
    if (ds->kind == FL_AVRO_UNION) {
        for (uint32_t i = 0; i < ds->n; i++) {
            if (ds->branches[i]->kind == FL_AVRO_NULL) continue;
            if (!ice_convert(a, ws, v, ds->branches[i], out, depth + 1)) return false;
            out->branch = i;
            return true;
        }
        return false;
    }
    switch (ds->kind) {
    case FL_AVRO_INT: case FL_AVRO_LONG:
        if (ws->kind != FL_AVRO_INT && ws->kind != FL_AVRO_LONG) return false;
        {
            int64_t x = ws->kind == FL_AVRO_INT ? v->v.i : v->v.l;
            *out = ds->kind == FL_AVRO_INT ? fl_avro_v_int((int32_t)x) : fl_avro_v_long(x);
        }
        return true;
    case FL_AVRO_BOOLEAN:
        if (ws->kind != FL_AVRO_BOOLEAN) return false;
        *out = *v;
        return true;
    case FL_AVRO_STRING: case FL_AVRO_BYTES:
        if (ws->kind != FL_AVRO_STRING && ws->kind != FL_AVRO_BYTES) return false;
        *out = fl_avro_v_bytes(v->v.p, v->n);
        return true;
    case FL_AVRO_ARRAY: {
        if (ws->kind != FL_AVRO_ARRAY) return false;
        fl_avro_value_t arr = fl_avro_v_list(a, v->n);
        for (uint32_t i = 0; i < v->n; i++)
            if (!ice_convert(a, ws->items, &v->v.items[i], ds->items, &arr.v.items[i], depth + 1))
                return false;
        *out = arr;
        return true;
    }
    case FL_AVRO_RECORD: {
        if (ws->kind != FL_AVRO_RECORD) return false;
        fl_avro_value_t rec = fl_avro_v_list(a, ds->n);
        for (uint32_t i = 0; i < ds->n; i++) {
            int wi = fl_avro_field_index(ws, ds->fields[i].name);
            const fl_avro_schema_t *ft = ds->fields[i].type;
            if (wi < 0 || !ice_convert(a, ws->fields[wi].type, &v->v.items[wi], ft,
                                       &rec.v.items[i], depth + 1)) {
                if (ft->kind != FL_AVRO_UNION) return false;
                rec.v.items[i] = fl_avro_v_null();
            }
        }
        *out = rec;
        return true;
    }
    default:
        return false;
    }
}

/* The parent's manifests, converted to our manifest_file schema. */
static fl_err_t ice_parent_manifests(fl_iceberg_round_t *r, const json_t *parent,
                                     fl_avro_value_t **out, size_t *n, const char **why) {
    *out = NULL;
    *n = 0;
    if (!parent) return FL_ERR_NONE;
    const char *path = json_string_value(json_object_get(parent, "manifest-list"));
    if (strncmp(path, "file:", 5) == 0) {
        path += 5;
        while (path[0] == '/' && path[1] == '/') path++;
    }
    uint8_t *p;
    size_t len;
    fl_err_t err = fl_vfs_read_file(path, ICE_MAX_META_FILE, &p, &len);
    if (err) {
        *why = "cannot read the parent snapshot's manifest list";
        return err == FL_ERR__NOENT ? FL_ERR_CORRUPT_MESSAGE : err;
    }
    uint8_t *cp = fl_arena_alloc(r->arena, len ? len : 1);
    if (len) memcpy(cp, p, len);
    fl_free(p);
    fl_avro_file_t f;
    err = fl_avro_file_read(r->arena, cp, len, &f, why);
    if (err) return FL_ERR_CORRUPT_MESSAGE;
    fl_avro_value_t *vals = fl_arena_calloc(r->arena, (f.n_records + 1) * sizeof(*vals));
    for (size_t i = 0; i < f.n_records; i++) {
        if (!ice_convert(r->arena, f.schema, &f.records[i], r->t->list_schema, &vals[i], 0)) {
            *why = "the parent snapshot's manifest list does not fit the v2 manifest_file schema";
            return FL_ERR_CORRUPT_MESSAGE;
        }
    }
    *out = vals;
    *n = f.n_records;
    return FL_ERR_NONE;
}

typedef struct ice_manifest_s {
    char *path;
    uint64_t size;
    int content;
    int32_t files;
    int64_t rows;
    fl_avro_value_t partitions;
} ice_manifest_t;

static bool ice_ascii(const char *p, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80) return false;
    return true;
}

/* Write one manifest with the files of the given content class (0 data, 1 deletes). */
static fl_err_t ice_write_manifest(fl_iceberg_round_t *r, int cls, uint32_t k, int64_t snap_id,
                                   ice_manifest_t *m) {
    fl_iceberg_table_t *t = r->t;
    fl_arena_t *a = r->arena;
    fl_avro_meta_t meta[6] = {
        {"schema", t->schema_json, strlen(t->schema_json)},
        {"schema-id", "0", 1},
        {"partition-spec", t->spec_json, strlen(t->spec_json)},
        {"partition-spec-id", "0", 1},
        {"format-version", "2", 1},
        {"content", cls ? "deletes" : "data", cls ? 7 : 4},
    };
    fl_avro_writer_opts_t wo = {.codec = t->opts.manifest_codec, .meta = meta, .n_meta = 6};
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_avro_writer_t *w;
    fl_err_t err = fl_avro_writer_new_buf(t->entry_schema, t->entry_json, &wo, &buf, &w);
    if (err) {
        fl_buf_free(&buf);
        return err;
    }
    uint32_t np = t->n_part + 1;
    /* partition summaries: min/max per field */
    const ice_bucket_t **pmin = fl_arena_calloc(a, np * sizeof(*pmin));
    const ice_bucket_t **pmax = fl_arena_calloc(a, np * sizeof(*pmax));
    bool *nonascii = fl_arena_calloc(a, np * sizeof(bool));
    memset(m, 0, sizeof(*m));
    m->content = cls;
    for (size_t i = 0; i < r->n_files && !err; i++) {
        const ice_file_t *f = r->files[i];
        if ((f->content != 0) != (cls != 0)) continue;
        fl_avro_value_t e = fl_avro_v_list(a, 5);
        e.v.items[0] = fl_avro_v_int(1); /* ADDED */
        e.v.items[1] = fl_avro_v_some(fl_avro_v_long(snap_id));
        e.v.items[2] = fl_avro_v_null();
        e.v.items[3] = fl_avro_v_null();
        e.v.items[4] = f->df;
        err = fl_avro_writer_append(w, &e);
        m->files++;
        m->rows += (int64_t)f->rows;
        const ice_bucket_t *b = f->b;
        for (uint32_t p = 0; p < t->n_part; p++) {
            nonascii[p] |= !ice_ascii(b->part_vals[p], b->part_lens[p]);
            if (!pmin[p] || strcmp(b->part_vals[p], pmin[p]->part_vals[p]) < 0) pmin[p] = b;
            if (!pmax[p] || strcmp(b->part_vals[p], pmax[p]->part_vals[p]) > 0) pmax[p] = b;
        }
        if (!pmin[t->n_part] || b->bucket < pmin[t->n_part]->bucket) pmin[t->n_part] = b;
        if (!pmax[t->n_part] || b->bucket > pmax[t->n_part]->bucket) pmax[t->n_part] = b;
    }
    uint64_t size = 0;
    if (!err) err = fl_avro_writer_finish(w, &size);
    fl_avro_writer_free(w);
    if (!err) {
        m->path = fl_arena_sprintf(a, "%s/%s-m%u.avro", t->mdir, r->uuid, k);
        err = fl_lakefile_write_new(r->arena, &r->created, m->path, buf.p, buf.len);
        m->size = size;
    }
    fl_buf_free(&buf);
    if (err) return err;
    fl_avro_value_t parts = fl_avro_v_list(a, np);
    for (uint32_t p = 0; p < np; p++) {
        fl_avro_value_t s = fl_avro_v_list(a, 4);
        s.v.items[0] = fl_avro_v_bool(false);
        s.v.items[1] = fl_avro_v_some(fl_avro_v_bool(false));
        s.v.items[2] = s.v.items[3] = fl_avro_v_null();
        if (pmin[p] && p == t->n_part) {
            uint8_t *lo = fl_arena_alloc(a, 4), *hi = fl_arena_alloc(a, 4);
            for (int i = 0; i < 4; i++) {
                lo[i] = (uint8_t)((uint32_t)pmin[p]->bucket >> (8 * i));
                hi[i] = (uint8_t)((uint32_t)pmax[p]->bucket >> (8 * i));
            }
            s.v.items[2] = fl_avro_v_some(fl_avro_v_bytes(lo, 4));
            s.v.items[3] = fl_avro_v_some(fl_avro_v_bytes(hi, 4));
        } else if (pmin[p] && !nonascii[p]) {
            /* ASCII only: byte order = the order every reader compares strings in */
            s.v.items[2] = fl_avro_v_some(fl_avro_v_bytes(pmin[p]->part_vals[p], pmin[p]->part_lens[p]));
            s.v.items[3] = fl_avro_v_some(fl_avro_v_bytes(pmax[p]->part_vals[p], pmax[p]->part_lens[p]));
        }
        parts.v.items[p] = s;
    }
    m->partitions = fl_avro_v_some(parts);
    return FL_ERR_NONE;
}

static fl_avro_value_t ice_list_entry(fl_arena_t *a, const ice_manifest_t *m, int64_t seq,
                                      int64_t snap_id) {
    fl_avro_value_t v = fl_avro_v_list(a, 15);
    v.v.items[0] = fl_avro_v_str(m->path);
    v.v.items[1] = fl_avro_v_long((int64_t)m->size);
    v.v.items[2] = fl_avro_v_int(0);
    v.v.items[3] = fl_avro_v_int(m->content);
    v.v.items[4] = fl_avro_v_long(seq);
    v.v.items[5] = fl_avro_v_long(seq);
    v.v.items[6] = fl_avro_v_long(snap_id);
    v.v.items[7] = fl_avro_v_int(m->files);
    v.v.items[8] = fl_avro_v_int(0);
    v.v.items[9] = fl_avro_v_int(0);
    v.v.items[10] = fl_avro_v_long(m->rows);
    v.v.items[11] = fl_avro_v_long(0);
    v.v.items[12] = fl_avro_v_long(0);
    v.v.items[13] = m->partitions;
    v.v.items[14] = fl_avro_v_null();
    return v;
}

static int64_t ice_new_snapshot_id(const json_t *meta) {
    for (;;) {
        uint64_t x;
        fl_lake_random(&x, sizeof(x));
        int64_t id = (int64_t)(x & (uint64_t)INT64_MAX);
        if (id > 0 && !ice_snapshot_by_id(meta, id)) return id;
    }
}

static void ice_sum_set(json_t *s, const char *key, int64_t v) {
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    json_object_set_new(s, key, json_string(tmp));
}

/* parent total + added, or omitted when the parent has a summary without that total */
static void ice_sum_total(json_t *s, const json_t *parent_sum, const char *key, int64_t added) {
    int64_t base = 0;
    if (parent_sum) {
        const char *p = json_string_value(json_object_get(parent_sum, key));
        if (!p) return;
        base = strtoll(p, NULL, 10);
    }
    ice_sum_set(s, key, base + added);
}

fl_err_t fl_iceberg_round_commit(fl_iceberg_round_t *r, const char *commit_user,
                                 const char *const *summary_props, int64_t *snapshot_id,
                                 const char **why) {
    fl_iceberg_table_t *t = r->t;
    fl_arena_t *a = r->arena;
    static const char *no_why = "";
    if (why) *why = no_why;
    *snapshot_id = -1;
    fl_err_t err = r->err;
    json_t *nm = NULL;
    const char *w = NULL;
    if (err) {
        ice_set_why(t, why, "round failed earlier: %s", fl_err2str(err));
        goto fail;
    }
    if (r->rows == 0) {
        ice_round_free(r, true);
        return FL_ERR_NONE;
    }
    /* 1. data and delete files */
    for (ice_bucket_t *b = r->buckets; b && !err; b = b->next) {
        err = ice_data_finish(r, b);
        if (!err && b->eq) {
            fl_pq_writer_t *eq = b->eq;
            b->eq = NULL;
            err = ice_file_finish(r, b, 2, eq, b->eq_out, NULL);
        }
        if (!err) err = ice_write_pos_deletes(r, b);
    }
    for (ice_bucket_t *b = r->buckets; b && !err; b = b->next)
        if (b->n_data_paths || b->eq_out || b->n_pos) err = fl_vfs_fsync_dir(b->dir);
    if (err) {
        ice_set_why(t, why, "writing data files failed: %s", fl_err2str(err));
        goto fail;
    }
    /* 2. manifests and the manifest list */
    const json_t *meta = t->meta;
    int64_t parent_id = ice_current_id(meta);
    const json_t *parent = parent_id >= 0 ? ice_snapshot_by_id(meta, parent_id) : NULL;
    const json_t *parent_sum = parent ? json_object_get(parent, "summary") : NULL;
    int64_t seq = json_integer_value(json_object_get(meta, "last-sequence-number")) + 1;
    int64_t id = ice_new_snapshot_id(meta);
    int64_t now = ice_now(t);
    int64_t last_upd = json_integer_value(json_object_get(meta, "last-updated-ms"));
    if (now < last_upd) now = last_upd;
    if (parent && json_integer_value(json_object_get(parent, "timestamp-ms")) > now)
        now = json_integer_value(json_object_get(parent, "timestamp-ms"));
    /* counts for the summary */
    int64_t add_data = 0, add_rec = 0, add_size = 0, add_pos_files = 0, add_eq_files = 0;
    int64_t add_pos = 0, add_eq = 0, parts = 0;
    for (size_t i = 0; i < r->n_files; i++) {
        const ice_file_t *f = r->files[i];
        add_size += (int64_t)f->size;
        if (f->content == 0) {
            add_data++;
            add_rec += (int64_t)f->rows;
        } else if (f->content == 1) {
            add_pos_files++;
            add_pos += (int64_t)f->rows;
        } else {
            add_eq_files++;
            add_eq += (int64_t)f->rows;
        }
    }
    for (ice_bucket_t *b = r->buckets; b; b = b->next)
        for (size_t i = 0; i < r->n_files; i++)
            if (r->files[i]->b == b) {
                parts++;
                break;
            }
    ice_manifest_t man[2];
    size_t n_man = 0;
    if (fl_vfs_mkdirs(t->mdir) != 0) err = FL_ERR__IO;
    if (!err && add_data) err = ice_write_manifest(r, 0, (uint32_t)n_man, id, &man[n_man]), n_man++;
    if (!err && (add_pos_files || add_eq_files))
        err = ice_write_manifest(r, 1, (uint32_t)n_man, id, &man[n_man]), n_man++;
    fl_avro_value_t *old = NULL;
    size_t n_old = 0;
    if (!err) {
        err = ice_parent_manifests(r, parent, &old, &n_old, &w);
        if (err) {
            ice_set_why(t, why, "%s", w ? w : "cannot read the parent manifest list");
            goto fail;
        }
    }
    char *list_path = fl_arena_sprintf(a, "%s/snap-%" PRId64 "-1-%s.avro", t->mdir, id, r->uuid);
    if (!err) {
        char sid[24], pid[24], sq[24];
        snprintf(sid, sizeof(sid), "%" PRId64, id);
        if (parent) snprintf(pid, sizeof(pid), "%" PRId64, parent_id);
        else snprintf(pid, sizeof(pid), "null");
        snprintf(sq, sizeof(sq), "%" PRId64, seq);
        fl_avro_meta_t lm[4] = {
            {"snapshot-id", sid, strlen(sid)},
            {"parent-snapshot-id", pid, strlen(pid)},
            {"sequence-number", sq, strlen(sq)},
            {"format-version", "2", 1},
        };
        fl_avro_writer_opts_t wo = {.codec = t->opts.manifest_codec, .meta = lm, .n_meta = 4};
        fl_buf_t buf;
        fl_buf_init(&buf);
        fl_avro_writer_t *lw = NULL;
        err = fl_avro_writer_new_buf(t->list_schema, t->list_json, &wo, &buf, &lw);
        for (size_t i = 0; i < n_man && !err; i++) {
            fl_avro_value_t v = ice_list_entry(a, &man[i], seq, id);
            err = fl_avro_writer_append(lw, &v);
        }
        for (size_t i = 0; i < n_old && !err; i++) err = fl_avro_writer_append(lw, &old[i]);
        if (lw) {
            if (!err) err = fl_avro_writer_finish(lw, NULL);
            fl_avro_writer_free(lw);
        }
        if (!err) err = fl_lakefile_write_new(r->arena, &r->created, list_path, buf.p, buf.len);
        fl_buf_free(&buf);
    }
    if (!err) err = fl_vfs_fsync_dir(t->mdir);
    if (err) {
        ice_set_why(t, why, "writing manifests failed: %s", fl_err2str(err));
        goto fail;
    }
    /* 3. the new metadata file: the commit point */
    json_t *sum = json_object();
    json_object_set_new(sum, "operation",
                        json_string(!(add_pos_files || add_eq_files) ? "append"
                                    : add_data                      ? "overwrite"
                                                                    : "delete"));
    if (add_data) ice_sum_set(sum, "added-data-files", add_data);
    if (add_pos_files + add_eq_files) ice_sum_set(sum, "added-delete-files", add_pos_files + add_eq_files);
    if (add_eq_files) ice_sum_set(sum, "added-equality-delete-files", add_eq_files);
    if (add_pos_files) ice_sum_set(sum, "added-position-delete-files", add_pos_files);
    if (add_rec) ice_sum_set(sum, "added-records", add_rec);
    ice_sum_set(sum, "added-files-size", add_size);
    if (add_pos) ice_sum_set(sum, "added-position-deletes", add_pos);
    if (add_eq) ice_sum_set(sum, "added-equality-deletes", add_eq);
    ice_sum_set(sum, "changed-partition-count", parts);
    ice_sum_total(sum, parent_sum, "total-records", add_rec);
    ice_sum_total(sum, parent_sum, "total-files-size", add_size);
    ice_sum_total(sum, parent_sum, "total-data-files", add_data);
    ice_sum_total(sum, parent_sum, "total-delete-files", add_pos_files + add_eq_files);
    ice_sum_total(sum, parent_sum, "total-position-deletes", add_pos);
    ice_sum_total(sum, parent_sum, "total-equality-deletes", add_eq);
    json_object_set_new(sum, "commit-user",
                        json_string(commit_user ? commit_user : FL_ICEBERG_TIERING_USER));
    for (size_t i = 0; summary_props && summary_props[i] && summary_props[i + 1]; i += 2)
        json_object_set_new(sum, summary_props[i], json_string(summary_props[i + 1]));
    json_t *snap = json_object();
    json_object_set_new(snap, "sequence-number", json_integer(seq));
    json_object_set_new(snap, "snapshot-id", json_integer(id));
    if (parent) json_object_set_new(snap, "parent-snapshot-id", json_integer(parent_id));
    json_object_set_new(snap, "timestamp-ms", json_integer(now));
    json_object_set_new(snap, "summary", sum);
    json_object_set_new(snap, "manifest-list", json_string(list_path));
    json_object_set_new(snap, "schema-id", json_integer(0));

    nm = json_deep_copy(meta);
    json_object_set_new(nm, "last-sequence-number", json_integer(seq));
    json_object_set_new(nm, "last-updated-ms", json_integer(now));
    json_object_set_new(nm, "current-snapshot-id", json_integer(id));
    json_t *snaps = json_object_get(nm, "snapshots");
    if (!json_is_array(snaps)) {
        snaps = json_array();
        json_object_set_new(nm, "snapshots", snaps);
    }
    json_array_append_new(snaps, snap);
    json_t *refs = json_object_get(nm, "refs");
    if (!json_is_object(refs)) {
        refs = json_object();
        json_object_set_new(nm, "refs", refs);
    }
    json_object_set_new(refs, "main", json_pack("{s:I, s:s}", "snapshot-id", (json_int_t)id,
                                                "type", "branch"));
    json_t *slog = json_object_get(nm, "snapshot-log");
    if (!json_is_array(slog)) {
        slog = json_array();
        json_object_set_new(nm, "snapshot-log", slog);
    }
    json_array_append_new(slog, json_pack("{s:I, s:I}", "timestamp-ms", (json_int_t)now,
                                          "snapshot-id", (json_int_t)id));
    json_t *mlog = json_object_get(nm, "metadata-log");
    if (!json_is_array(mlog)) {
        mlog = json_array();
        json_object_set_new(nm, "metadata-log", mlog);
    }
    json_array_append_new(mlog, json_pack("{s:I, s:s}", "timestamp-ms", (json_int_t)last_upd,
                                          "metadata-file", ice_meta_name(a, t->mdir, t->version)));
    while (json_array_size(mlog) > ICE_METADATA_LOG_MAX) json_array_remove(mlog, 0);
    char *text = json_dumps(nm, JSON_COMPACT);
    char *tmp = fl_arena_sprintf(a, "%s/.%s.metadata.json.tmp", t->mdir, r->uuid);
    char *dst = ice_meta_name(a, t->mdir, t->version + 1);
    err = fl_lakefile_write_new(r->arena, &r->created, tmp, text, strlen(text));
    free(text);
    if (!err && fl_lake_exists(dst)) {
        ice_set_why(t, why, "%s appeared meanwhile (another writer)", dst);
        err = FL_ERR__EXISTS;
        goto fail;
    }
    if (!err && fl_vfs->rename(tmp, dst) != 0) {
        fl_log_error("lake", "rename() failed: %s (%s -> %s)", strerror(errno), tmp, dst);
        err = FL_ERR__IO;
    }
    if (err) {
        ice_set_why(t, why, "committing %s failed: %s", dst, fl_err2str(err));
        goto fail;
    }
    /* renamed: the snapshot may be visible now, so nothing of the round may be removed */
    fl_lakeset_forget(&r->created);
    err = fl_vfs_fsync_dir(t->mdir);
    if (err) {
        /* whether v<N+1> survives a crash is unknown: the handle must be reopened */
        ice_set_why(t, why, "fsync of %s after the commit failed: %s", t->mdir, fl_err2str(err));
        goto fail;
    }
    /* 4. the hint (best effort: readers walk forward from a stale one) */
    char hint[16];
    snprintf(hint, sizeof(hint), "%d", (int)(t->version + 1));
    if (fl_vfs_write_durable(t->mdir, "version-hint.text", hint, strlen(hint)) != FL_ERR_NONE)
        fl_log_warn("lake", "iceberg %s: cannot write metadata/version-hint.text", t->path);
    json_decref(t->meta);
    t->meta = nm;
    t->version++;
    ice_round_free(r, false);
    *snapshot_id = id;
    return FL_ERR_NONE;
fail:
    json_decref(nm);
    ice_round_free(r, true);
    return err ? err : FL_ERR__IO;
}

fl_err_t fl_iceberg_latest_snapshot(fl_iceberg_table_t *t, const char *commit_user, int64_t *id,
                                    int64_t *seq, fl_buf_t *summary_json, const char **why) {
    static const char *no_why = "";
    if (why) *why = no_why;
    *id = -1;
    if (seq) *seq = 0;
    int32_t v;
    fl_arena_t *a = fl_arena_new(0); /* path strings of this call */
    fl_err_t err = ice_find_version(a, t->mdir, &v);
    json_t *m = NULL;
    if (err) ice_set_why(t, why, "cannot list %s", t->mdir);
    else if (v > 0) err = ice_load_meta(t, a, v, &m, why);
    fl_arena_destroy(a);
    if (err) return err;
    int64_t cur = m ? ice_current_id(m) : -1;
    size_t guard = json_array_size(json_object_get(m, "snapshots")) + 1;
    while (cur >= 0 && guard-- > 0) {
        json_t *s = ice_snapshot_by_id(m, cur);
        if (!s) break; /* expired below here */
        json_t *sum = json_object_get(s, "summary");
        const char *user = json_string_value(json_object_get(sum, "commit-user"));
        if (!commit_user || (user && strcmp(user, commit_user) == 0)) {
            *id = cur;
            if (seq) *seq = json_integer_value(json_object_get(s, "sequence-number"));
            if (summary_json) {
                char *txt = json_is_object(sum) ? json_dumps(sum, JSON_COMPACT) : NULL;
                fl_buf_put(summary_json, txt ? txt : "{}", txt ? strlen(txt) : 2);
                free(txt);
            }
            json_decref(m);
            return FL_ERR_NONE;
        }
        json_t *p = json_object_get(s, "parent-snapshot-id");
        cur = json_is_integer(p) ? json_integer_value(p) : -1;
    }
    json_decref(m);
    if (summary_json) fl_buf_put(summary_json, "{}", 2);
    return FL_ERR_NONE;
}
