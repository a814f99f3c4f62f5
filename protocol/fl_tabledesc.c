/* fl_tabledesc.c: see fl_tabledesc.h. Parsing uses jansson; writing is done by hand so the
 * bytes match Jackson's compact output key for key. */
#include "fl_tabledesc.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* ---- small collections ------------------------------------------------------------------ */

const char *fl_kvs_get(const fl_kvs_t *kvs, const char *key) {
    for (size_t i = 0; i < kvs->n; i++)
        if (!strcmp(kvs->items[i].key, key)) return kvs->items[i].value;
    return NULL;
}

void fl_kvs_set(fl_arena_t *arena, fl_kvs_t *kvs, const char *key, const char *value) {
    for (size_t i = 0; i < kvs->n; i++) {
        if (!strcmp(kvs->items[i].key, key)) {
            kvs->items[i].value = fl_arena_strndup(arena, value, strlen(value));
            return;
        }
    }
    fl_kv_t *items = fl_arena_alloc(arena, (kvs->n + 1) * sizeof(*items));
    if (kvs->n) memcpy(items, kvs->items, kvs->n * sizeof(*items));
    items[kvs->n].key = fl_arena_strndup(arena, key, strlen(key));
    items[kvs->n].value = fl_arena_strndup(arena, value, strlen(value));
    kvs->items = items;
    kvs->n++;
}

bool fl_kvs_del(fl_kvs_t *kvs, const char *key) {
    for (size_t i = 0; i < kvs->n; i++) {
        if (!strcmp(kvs->items[i].key, key)) {
            memmove(&kvs->items[i], &kvs->items[i + 1], (kvs->n - i - 1) * sizeof(fl_kv_t));
            kvs->n--;
            return true;
        }
    }
    return false;
}

bool fl_strs_has(const fl_strs_t *strs, const char *s) {
    for (size_t i = 0; i < strs->n; i++)
        if (!strcmp(strs->items[i], s)) return true;
    return false;
}

int fl_schema_col_index(const fl_schema_t *schema, const char *name) {
    for (size_t i = 0; i < schema->n_cols; i++)
        if (!strcmp(schema->cols[i].name, name)) return (int)i;
    return -1;
}

/* ---- parsing ---------------------------------------------------------------------------- */

typedef struct fl_jp_s {
    fl_arena_t *arena;
    const char *why;
} fl_jp_t;

#define FL_JP_FAIL(jp, ...)                                                                    \
    do {                                                                                       \
        if (!(jp)->why) (jp)->why = fl_arena_sprintf((jp)->arena, __VA_ARGS__);               \
        return -1;                                                                             \
    } while (0)

static const char *fl_jp_str(fl_jp_t *jp, json_t *v) {
    return fl_arena_strndup(jp->arena, json_string_value(v), json_string_length(v));
}

static int fl_jp_int(fl_jp_t *jp, json_t *obj, const char *key, bool required, int32_t dflt,
                     int32_t *out) {
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) FL_JP_FAIL(jp, "missing \"%s\"", key);
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v)) FL_JP_FAIL(jp, "\"%s\" must be an integer", key);
    json_int_t x = json_integer_value(v);
    if (x < INT32_MIN || x > INT32_MAX) FL_JP_FAIL(jp, "\"%s\" is out of range", key);
    *out = (int32_t)x;
    return 0;
}

static int fl_jp_strs(fl_jp_t *jp, json_t *obj, const char *key, bool required, fl_strs_t *out,
                      bool *present) {
    json_t *v = json_object_get(obj, key);
    if (present) *present = v != NULL;
    out->items = NULL;
    out->n = 0;
    if (!v) {
        if (required) FL_JP_FAIL(jp, "missing \"%s\"", key);
        return 0;
    }
    if (!json_is_array(v)) FL_JP_FAIL(jp, "\"%s\" must be an array of strings", key);
    size_t n = json_array_size(v);
    out->items = fl_arena_alloc(jp->arena, (n ? n : 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) FL_JP_FAIL(jp, "\"%s\" must be an array of strings", key);
        out->items[out->n++] = fl_jp_str(jp, e);
    }
    return 0;
}

static int fl_jp_kvs(fl_jp_t *jp, json_t *obj, const char *key, bool required, fl_kvs_t *out) {
    json_t *v = json_object_get(obj, key);
    out->items = NULL;
    out->n = 0;
    if (!v) {
        if (required) FL_JP_FAIL(jp, "missing \"%s\"", key);
        return 0;
    }
    if (!json_is_object(v)) FL_JP_FAIL(jp, "\"%s\" must be an object", key);
    size_t n = json_object_size(v);
    out->items = fl_arena_alloc(jp->arena, (n ? n : 1) * sizeof(fl_kv_t));
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        if (!json_is_string(e))
            FL_JP_FAIL(jp, "value of \"%s\" in \"%s\" must be a string", k, key);
        out->items[out->n].key = fl_arena_strndup(jp->arena, k, strlen(k));
        out->items[out->n].value = fl_jp_str(jp, e);
        out->n++;
    }
    return 0;
}

static const char *fl_jp_opt_str(fl_jp_t *jp, json_t *obj, const char *key, int *bad) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return fl_jp_str(jp, v);
}

static int fl_jp_type(fl_jp_t *jp, json_t *v, fl_type_t *t, int depth) {
    memset(t, 0, sizeof(*t));
    if (depth > 32) FL_JP_FAIL(jp, "data type nested too deeply");
    if (!json_is_object(v)) FL_JP_FAIL(jp, "a data type must be a JSON object");
    json_t *tv = json_object_get(v, "type");
    if (!json_is_string(tv)) FL_JP_FAIL(jp, "data type without \"type\"");
    if (fl_type_root_parse(json_string_value(tv), &t->root))
        FL_JP_FAIL(jp, "unknown data type '%s'", json_string_value(tv));
    json_t *nv = json_object_get(v, "nullable");
    if (nv && !json_is_boolean(nv)) FL_JP_FAIL(jp, "\"nullable\" must be a boolean");
    t->nullable = nv ? json_is_true(nv) : true;
    switch (t->root) {
    case FL_T_CHAR:
    case FL_T_BINARY:
        if (fl_jp_int(jp, v, "length", true, 0, &t->length)) return -1;
        if (t->length < 1) FL_JP_FAIL(jp, "%s length must be at least 1", fl_type_root_name(t->root));
        break;
    case FL_T_DECIMAL:
        if (fl_jp_int(jp, v, "precision", true, 0, &t->precision)) return -1;
        if (fl_jp_int(jp, v, "scale", true, 0, &t->scale)) return -1;
        if (t->precision < 1 || t->precision > 38)
            FL_JP_FAIL(jp, "Decimal precision must be between 1 and 38 (both inclusive).");
        if (t->scale < 0 || t->scale > t->precision)
            FL_JP_FAIL(jp, "Decimal scale must be between 0 and the precision %d (both inclusive).",
                       t->precision);
        break;
    case FL_T_TIME:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        if (fl_jp_int(jp, v, "precision", true, 0, &t->precision)) return -1;
        if (t->precision < 0 || t->precision > (t->root == FL_T_TIME ? 9 : 9))
            FL_JP_FAIL(jp, "%s precision must be between 0 and 9 (both inclusive).",
                       fl_type_root_name(t->root));
        break;
    case FL_T_ARRAY:
        t->n_children = 1;
        t->children = fl_arena_calloc(jp->arena, sizeof(fl_type_t));
        if (fl_jp_type(jp, json_object_get(v, "element_type"), &t->children[0], depth + 1))
            return -1;
        break;
    case FL_T_MAP:
        t->n_children = 2;
        t->children = fl_arena_calloc(jp->arena, 2 * sizeof(fl_type_t));
        if (fl_jp_type(jp, json_object_get(v, "key_type"), &t->children[0], depth + 1) ||
            fl_jp_type(jp, json_object_get(v, "value_type"), &t->children[1], depth + 1))
            return -1;
        break;
    case FL_T_ROW: {
        json_t *fs = json_object_get(v, "fields");
        if (!json_is_array(fs)) FL_JP_FAIL(jp, "ROW type without \"fields\"");
        size_t n = json_array_size(fs);
        t->n_children = (uint32_t)n;
        t->children = fl_arena_calloc(jp->arena, (n ? n : 1) * sizeof(fl_type_t));
        t->field_names = fl_arena_calloc(jp->arena, (n ? n : 1) * sizeof(char *));
        t->field_descriptions = fl_arena_calloc(jp->arena, (n ? n : 1) * sizeof(char *));
        t->field_ids = fl_arena_calloc(jp->arena, (n ? n : 1) * sizeof(int32_t));
        for (size_t i = 0; i < n; i++) {
            json_t *f = json_array_get(fs, i);
            json_t *fname = json_object_get(f, "name");
            if (!json_is_string(fname)) FL_JP_FAIL(jp, "ROW field without \"name\"");
            t->field_names[i] = (char *)fl_jp_str(jp, fname);
            int bad = 0;
            t->field_descriptions[i] = (char *)fl_jp_opt_str(jp, f, "description", &bad);
            if (bad) FL_JP_FAIL(jp, "ROW field \"description\" must be a string");
            if (fl_jp_int(jp, f, "field_id", false, -1, &t->field_ids[i])) return -1;
            if (fl_jp_type(jp, json_object_get(f, "field_type"), &t->children[i], depth + 1))
                return -1;
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

static int fl_jp_schema(fl_jp_t *jp, json_t *v, fl_schema_t *s) {
    memset(s, 0, sizeof(*s));
    if (!json_is_object(v)) FL_JP_FAIL(jp, "schema must be a JSON object");
    json_t *cols = json_object_get(v, "columns");
    if (!json_is_array(cols)) FL_JP_FAIL(jp, "schema without \"columns\"");
    size_t n = json_array_size(cols);
    if (n == 0) FL_JP_FAIL(jp, "schema must have at least one column");
    s->cols = fl_arena_calloc(jp->arena, n * sizeof(fl_column_t));
    size_t with_id = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(cols, i);
        fl_column_t *col = &s->cols[i];
        if (!json_is_object(c)) FL_JP_FAIL(jp, "column %zu is not a JSON object", i);
        json_t *name = json_object_get(c, "name");
        if (!json_is_string(name)) FL_JP_FAIL(jp, "column %zu has no \"name\"", i);
        col->name = fl_jp_str(jp, name);
        json_t *dt = json_object_get(c, "data_type");
        if (!dt) FL_JP_FAIL(jp, "column '%s' has no \"data_type\"", col->name);
        if (fl_jp_type(jp, dt, &col->type, 0)) return -1;
        int bad = 0;
        col->comment = fl_jp_opt_str(jp, c, "comment", &bad);
        if (bad) FL_JP_FAIL(jp, "column '%s': \"comment\" must be a string", col->name);
        json_t *agg = json_object_get(c, "agg_function");
        if (agg && !json_is_null(agg)) {
            json_t *at = json_object_get(agg, "type");
            if (!json_is_string(at))
                FL_JP_FAIL(jp, "column '%s': agg_function without \"type\"", col->name);
            col->agg_type = fl_jp_str(jp, at);
            col->agg_has_params = json_object_get(agg, "parameters") != NULL;
            if (fl_jp_kvs(jp, agg, "parameters", false, &col->agg_params)) return -1;
        }
        json_t *id = json_object_get(c, "id");
        if (id) {
            with_id++;
            if (fl_jp_int(jp, c, "id", true, -1, &col->id)) return -1;
        } else {
            col->id = -1;
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(s->cols[k].name, col->name))
                FL_JP_FAIL(jp, "Table column %s is duplicated.", col->name);
        s->n_cols++;
    }
    if (with_id != 0 && with_id != n) FL_JP_FAIL(jp, "column ids must be set for all columns or for none");
    if (with_id == 0) {
        for (size_t i = 0; i < n; i++) s->cols[i].id = (int32_t)i;
        s->highest_field_id = (int32_t)n - 1;
    } else {
        int32_t hi = -1;
        for (size_t i = 0; i < n; i++) hi = FL_MAX(hi, s->cols[i].id);
        if (fl_jp_int(jp, v, "highest_field_id", false, hi, &s->highest_field_id)) return -1;
        if (s->highest_field_id < hi) s->highest_field_id = hi;
    }
    if (fl_jp_strs(jp, v, "primary_key", false, &s->primary_key, &s->has_primary_key)) return -1;
    if (s->has_primary_key && s->primary_key.n == 0) s->has_primary_key = false;
    for (size_t i = 0; i < s->primary_key.n; i++) {
        int idx = fl_schema_col_index(s, s->primary_key.items[i]);
        if (idx < 0)
            FL_JP_FAIL(jp, "Primary key column '%s' does not exist in the schema.",
                       s->primary_key.items[i]);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(s->primary_key.items[k], s->primary_key.items[i]))
                FL_JP_FAIL(jp, "Primary key column %s is duplicated.", s->primary_key.items[i]);
        s->cols[idx].type.nullable = false;
    }
    if (fl_jp_strs(jp, v, "auto_increment_column", false, &s->auto_increment, NULL)) return -1;
    for (size_t i = 0; i < s->auto_increment.n; i++)
        if (fl_schema_col_index(s, s->auto_increment.items[i]) < 0)
            FL_JP_FAIL(jp, "Auto increment column '%s' does not exist in the schema.",
                       s->auto_increment.items[i]);
    return 0;
}

static json_t *fl_jp_load(fl_jp_t *jp, const void *data, size_t len) {
    json_error_t err;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) jp->why = fl_arena_sprintf(jp->arena, "invalid JSON at byte %d: %s", err.position, err.text);
    else if (!json_is_object(root)) {
        jp->why = fl_arena_sprintf(jp->arena, "the descriptor must be a JSON object");
        json_decref(root);
        root = NULL;
    }
    return root;
}

static int fl_jp_version(fl_jp_t *jp, json_t *root) {
    int32_t version;
    if (fl_jp_int(jp, root, "version", false, 1, &version)) return -1;
    if (version != 1) FL_JP_FAIL(jp, "unsupported descriptor version %d", version);
    return 0;
}

fl_err_t fl_schema_parse(fl_arena_t *arena, const void *json, size_t len, fl_schema_t *out,
                         const char **why) {
    fl_jp_t jp = {arena, NULL};
    json_t *root = fl_jp_load(&jp, json, len);
    int rc = root ? (fl_jp_version(&jp, root) || fl_jp_schema(&jp, root, out)) : -1;
    json_decref(root);
    if (rc) *why = jp.why;
    return rc ? FL_ERR_INVALID_TABLE_EXCEPTION : FL_ERR_NONE;
}

fl_err_t fl_table_desc_parse(fl_arena_t *arena, const void *json, size_t len,
                             fl_table_desc_t *out, const char **why) {
    fl_jp_t jp = {arena, NULL};
    memset(out, 0, sizeof(*out));
    out->bucket_count = -1;
    json_t *root = fl_jp_load(&jp, json, len);
    int rc = -1;
    if (!root) goto done;
    if (fl_jp_version(&jp, root)) goto done;
    json_t *schema = json_object_get(root, "schema");
    if (!schema) {
        jp.why = "missing \"schema\"";
        goto done;
    }
    if (fl_jp_schema(&jp, schema, &out->schema)) goto done;
    int bad = 0;
    out->comment = fl_jp_opt_str(&jp, root, "comment", &bad);
    if (bad) {
        jp.why = "\"comment\" must be a string";
        goto done;
    }
    if (fl_jp_strs(&jp, root, "partition_key", true, &out->partition_keys, NULL)) goto done;
    if (fl_jp_strs(&jp, root, "bucket_key", false, &out->bucket_keys, &out->has_distribution))
        goto done;
    json_t *bc = json_object_get(root, "bucket_count");
    if (bc) {
        if (!out->has_distribution) {
            jp.why = "\"bucket_count\" is set without \"bucket_key\"";
            goto done;
        }
        if (fl_jp_int(&jp, root, "bucket_count", true, -1, &out->bucket_count)) goto done;
    }
    if (fl_jp_kvs(&jp, root, "properties", true, &out->properties)) goto done;
    if (fl_jp_kvs(&jp, root, "custom_properties", true, &out->custom_properties)) goto done;
    rc = 0;
done:
    json_decref(root);
    if (rc) *why = jp.why ? jp.why : "invalid table descriptor";
    return rc ? FL_ERR_INVALID_TABLE_EXCEPTION : FL_ERR_NONE;
}

fl_err_t fl_db_desc_parse(fl_arena_t *arena, const void *json, size_t len, fl_db_desc_t *out,
                          const char **why) {
    fl_jp_t jp = {arena, NULL};
    memset(out, 0, sizeof(*out));
    json_t *root = fl_jp_load(&jp, json, len);
    int rc = -1;
    if (!root || fl_jp_version(&jp, root)) goto done;
    int bad = 0;
    out->comment = fl_jp_opt_str(&jp, root, "comment", &bad);
    if (bad) {
        jp.why = "\"comment\" must be a string";
        goto done;
    }
    if (fl_jp_kvs(&jp, root, "custom_properties", false, &out->custom_properties)) goto done;
    rc = 0;
done:
    json_decref(root);
    if (rc) *why = jp.why ? jp.why : "invalid database descriptor";
    return rc ? FL_ERR_INVALID_DATABASE_EXCEPTION : FL_ERR_NONE;
}

/* ---- writing ---------------------------------------------------------------------------- */

static void fl_jw_raw(fl_buf_t *b, const char *s) {
    fl_buf_put(b, s, strlen(s));
}

/* JSON string with Jackson's escaping: ", \ and control characters; UTF-8 passes through. */
static void fl_jw_str(fl_buf_t *b, const char *s) {
    fl_buf_put_u8(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fl_jw_raw(b, "\\\""); break;
        case '\\': fl_jw_raw(b, "\\\\"); break;
        case '\n': fl_jw_raw(b, "\\n"); break;
        case '\r': fl_jw_raw(b, "\\r"); break;
        case '\t': fl_jw_raw(b, "\\t"); break;
        case '\b': fl_jw_raw(b, "\\b"); break;
        case '\f': fl_jw_raw(b, "\\f"); break;
        default:
            if (*p < 0x20) {
                char esc[8];
                snprintf(esc, sizeof(esc), "\\u%04X", *p);
                fl_jw_raw(b, esc);
            } else {
                fl_buf_put_u8(b, *p);
            }
        }
    }
    fl_buf_put_u8(b, '"');
}

static void fl_jw_key(fl_buf_t *b, const char *key, bool *first) {
    if (!*first) fl_buf_put_u8(b, ',');
    *first = false;
    fl_jw_str(b, key);
    fl_buf_put_u8(b, ':');
}

static void fl_jw_int(fl_buf_t *b, int64_t v) {
    char s[24];
    snprintf(s, sizeof(s), "%lld", (long long)v);
    fl_jw_raw(b, s);
}

static void fl_jw_strs(fl_buf_t *b, const fl_strs_t *strs) {
    fl_buf_put_u8(b, '[');
    for (size_t i = 0; i < strs->n; i++) {
        if (i) fl_buf_put_u8(b, ',');
        fl_jw_str(b, strs->items[i]);
    }
    fl_buf_put_u8(b, ']');
}

static void fl_jw_kvs(fl_buf_t *b, const fl_kvs_t *kvs) {
    fl_buf_put_u8(b, '{');
    bool first = true;
    for (size_t i = 0; i < kvs->n; i++) {
        fl_jw_key(b, kvs->items[i].key, &first);
        fl_jw_str(b, kvs->items[i].value);
    }
    fl_buf_put_u8(b, '}');
}

void fl_type_write(const fl_type_t *t, fl_buf_t *b) {
    bool first = true;
    fl_buf_put_u8(b, '{');
    fl_jw_key(b, "type", &first);
    fl_jw_str(b, fl_type_root_name(t->root));
    if (!t->nullable) {
        fl_jw_key(b, "nullable", &first);
        fl_jw_raw(b, "false");
    }
    switch (t->root) {
    case FL_T_CHAR:
    case FL_T_BINARY:
        fl_jw_key(b, "length", &first);
        fl_jw_int(b, t->length);
        break;
    case FL_T_DECIMAL:
        fl_jw_key(b, "precision", &first);
        fl_jw_int(b, t->precision);
        fl_jw_key(b, "scale", &first);
        fl_jw_int(b, t->scale);
        break;
    case FL_T_TIME:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        fl_jw_key(b, "precision", &first);
        fl_jw_int(b, t->precision);
        break;
    case FL_T_ARRAY:
        fl_jw_key(b, "element_type", &first);
        fl_type_write(&t->children[0], b);
        break;
    case FL_T_MAP:
        fl_jw_key(b, "key_type", &first);
        fl_type_write(&t->children[0], b);
        fl_jw_key(b, "value_type", &first);
        fl_type_write(&t->children[1], b);
        break;
    case FL_T_ROW:
        fl_jw_key(b, "fields", &first);
        fl_buf_put_u8(b, '[');
        for (uint32_t i = 0; i < t->n_children; i++) {
            bool ff = true;
            if (i) fl_buf_put_u8(b, ',');
            fl_buf_put_u8(b, '{');
            fl_jw_key(b, "name", &ff);
            fl_jw_str(b, t->field_names[i]);
            fl_jw_key(b, "field_type", &ff);
            fl_type_write(&t->children[i], b);
            if (t->field_descriptions && t->field_descriptions[i]) {
                fl_jw_key(b, "description", &ff);
                fl_jw_str(b, t->field_descriptions[i]);
            }
            fl_jw_key(b, "field_id", &ff);
            fl_jw_int(b, t->field_ids ? t->field_ids[i] : -1);
            fl_buf_put_u8(b, '}');
        }
        fl_buf_put_u8(b, ']');
        break;
    default:
        break;
    }
    fl_buf_put_u8(b, '}');
}

void fl_schema_write(const fl_schema_t *s, fl_buf_t *b) {
    bool first = true;
    fl_buf_put_u8(b, '{');
    fl_jw_key(b, "version", &first);
    fl_jw_raw(b, "1");
    fl_jw_key(b, "columns", &first);
    fl_buf_put_u8(b, '[');
    for (size_t i = 0; i < s->n_cols; i++) {
        const fl_column_t *c = &s->cols[i];
        bool cf = true;
        if (i) fl_buf_put_u8(b, ',');
        fl_buf_put_u8(b, '{');
        fl_jw_key(b, "name", &cf);
        fl_jw_str(b, c->name);
        fl_jw_key(b, "data_type", &cf);
        fl_type_write(&c->type, b);
        if (c->comment) {
            fl_jw_key(b, "comment", &cf);
            fl_jw_str(b, c->comment);
        }
        if (c->agg_type) {
            bool af = true;
            fl_jw_key(b, "agg_function", &cf);
            fl_buf_put_u8(b, '{');
            fl_jw_key(b, "type", &af);
            fl_jw_str(b, c->agg_type);
            if (c->agg_params.n) {
                fl_jw_key(b, "parameters", &af);
                fl_jw_kvs(b, &c->agg_params);
            }
            fl_buf_put_u8(b, '}');
        }
        fl_jw_key(b, "id", &cf);
        fl_jw_int(b, c->id);
        fl_buf_put_u8(b, '}');
    }
    fl_buf_put_u8(b, ']');
    if (s->has_primary_key) {
        fl_jw_key(b, "primary_key", &first);
        fl_jw_strs(b, &s->primary_key);
    }
    if (s->auto_increment.n) {
        fl_jw_key(b, "auto_increment_column", &first);
        fl_jw_strs(b, &s->auto_increment);
    }
    fl_jw_key(b, "highest_field_id", &first);
    fl_jw_int(b, s->highest_field_id);
    fl_buf_put_u8(b, '}');
}

void fl_table_desc_write(const fl_table_desc_t *d, fl_buf_t *b) {
    bool first = true;
    fl_buf_put_u8(b, '{');
    fl_jw_key(b, "version", &first);
    fl_jw_raw(b, "1");
    fl_jw_key(b, "schema", &first);
    fl_schema_write(&d->schema, b);
    if (d->comment) {
        fl_jw_key(b, "comment", &first);
        fl_jw_str(b, d->comment);
    }
    fl_jw_key(b, "partition_key", &first);
    fl_jw_strs(b, &d->partition_keys);
    if (d->has_distribution) {
        fl_jw_key(b, "bucket_key", &first);
        fl_jw_strs(b, &d->bucket_keys);
        if (d->bucket_count >= 0) {
            fl_jw_key(b, "bucket_count", &first);
            fl_jw_int(b, d->bucket_count);
        }
    }
    fl_jw_key(b, "properties", &first);
    fl_jw_kvs(b, &d->properties);
    fl_jw_key(b, "custom_properties", &first);
    fl_jw_kvs(b, &d->custom_properties);
    fl_buf_put_u8(b, '}');
}

void fl_db_desc_write(const fl_db_desc_t *d, fl_buf_t *b) {
    bool first = true;
    fl_buf_put_u8(b, '{');
    fl_jw_key(b, "version", &first);
    fl_jw_raw(b, "1");
    if (d->comment) {
        fl_jw_key(b, "comment", &first);
        fl_jw_str(b, d->comment);
    }
    fl_jw_key(b, "custom_properties", &first);
    fl_jw_kvs(b, &d->custom_properties);
    fl_buf_put_u8(b, '}');
}

/* ---- formatting and copying -------------------------------------------------------------- */

void fl_type_format(const fl_type_t *t, char *out, size_t len) {
    char inner[256] = "", inner2[256] = "";
    switch (t->root) {
    case FL_T_BOOLEAN: snprintf(out, len, "BOOLEAN"); break;
    case FL_T_TINYINT: snprintf(out, len, "TINYINT"); break;
    case FL_T_SMALLINT: snprintf(out, len, "SMALLINT"); break;
    case FL_T_INTEGER: snprintf(out, len, "INT"); break;
    case FL_T_BIGINT: snprintf(out, len, "BIGINT"); break;
    case FL_T_FLOAT: snprintf(out, len, "FLOAT"); break;
    case FL_T_DOUBLE: snprintf(out, len, "DOUBLE"); break;
    case FL_T_DECIMAL: snprintf(out, len, "DECIMAL(%d, %d)", t->precision, t->scale); break;
    case FL_T_CHAR: snprintf(out, len, "CHAR(%d)", t->length); break;
    case FL_T_STRING: snprintf(out, len, "STRING"); break;
    case FL_T_BINARY: snprintf(out, len, "BINARY(%d)", t->length); break;
    case FL_T_BYTES: snprintf(out, len, "BYTES"); break;
    case FL_T_DATE: snprintf(out, len, "DATE"); break;
    case FL_T_TIME: snprintf(out, len, "TIME(%d)", t->precision); break;
    case FL_T_TIMESTAMP: snprintf(out, len, "TIMESTAMP(%d)", t->precision); break;
    case FL_T_TIMESTAMP_LTZ: snprintf(out, len, "TIMESTAMP_LTZ(%d)", t->precision); break;
    case FL_T_ARRAY:
        fl_type_format(&t->children[0], inner, sizeof(inner));
        snprintf(out, len, "ARRAY<%s>", inner);
        break;
    case FL_T_MAP:
        fl_type_format(&t->children[0], inner, sizeof(inner));
        fl_type_format(&t->children[1], inner2, sizeof(inner2));
        snprintf(out, len, "MAP<%s, %s>", inner, inner2);
        break;
    case FL_T_ROW: {
        size_t off = (size_t)snprintf(out, len, "ROW<");
        for (uint32_t i = 0; i < t->n_children && off < len; i++) {
            fl_type_format(&t->children[i], inner, sizeof(inner));
            off += (size_t)snprintf(out + off, len - off, "%s%s %s", i ? ", " : "",
                                    t->field_names[i], inner);
        }
        if (off < len) snprintf(out + off, len - off, ">");
        break;
    }
    default: snprintf(out, len, "?"); break;
    }
    if (!t->nullable) {
        size_t n = strlen(out);
        if (n < len) snprintf(out + n, len - n, " NOT NULL");
    }
}

static const char *fl_cp_str(fl_arena_t *a, const char *s) {
    return s ? fl_arena_strndup(a, s, strlen(s)) : NULL;
}

static void fl_cp_strs(fl_arena_t *a, const fl_strs_t *src, fl_strs_t *dst) {
    dst->n = src->n;
    dst->items = fl_arena_alloc(a, (src->n ? src->n : 1) * sizeof(char *));
    for (size_t i = 0; i < src->n; i++) dst->items[i] = fl_cp_str(a, src->items[i]);
}

static void fl_cp_kvs(fl_arena_t *a, const fl_kvs_t *src, fl_kvs_t *dst) {
    dst->n = src->n;
    dst->items = fl_arena_alloc(a, (src->n ? src->n : 1) * sizeof(fl_kv_t));
    for (size_t i = 0; i < src->n; i++) {
        dst->items[i].key = fl_cp_str(a, src->items[i].key);
        dst->items[i].value = fl_cp_str(a, src->items[i].value);
    }
}

void fl_type_copy(fl_arena_t *a, const fl_type_t *src, fl_type_t *dst) {
    *dst = *src;
    if (!src->n_children) return;
    dst->children = fl_arena_calloc(a, src->n_children * sizeof(fl_type_t));
    for (uint32_t i = 0; i < src->n_children; i++)
        fl_type_copy(a, &src->children[i], &dst->children[i]);
    if (src->root == FL_T_ROW) {
        dst->field_names = fl_arena_alloc(a, src->n_children * sizeof(char *));
        dst->field_descriptions = fl_arena_alloc(a, src->n_children * sizeof(char *));
        dst->field_ids = fl_arena_alloc(a, src->n_children * sizeof(int32_t));
        for (uint32_t i = 0; i < src->n_children; i++) {
            dst->field_names[i] = (char *)fl_cp_str(a, src->field_names[i]);
            dst->field_descriptions[i] =
                (char *)fl_cp_str(a, src->field_descriptions ? src->field_descriptions[i] : NULL);
            dst->field_ids[i] = src->field_ids ? src->field_ids[i] : -1;
        }
    }
}

void fl_table_desc_copy(fl_arena_t *a, const fl_table_desc_t *src, fl_table_desc_t *dst) {
    *dst = *src;
    dst->schema.cols = fl_arena_calloc(a, (src->schema.n_cols ? src->schema.n_cols : 1) *
                                              sizeof(fl_column_t));
    for (size_t i = 0; i < src->schema.n_cols; i++) {
        const fl_column_t *s = &src->schema.cols[i];
        fl_column_t *d = &dst->schema.cols[i];
        *d = *s;
        d->name = fl_cp_str(a, s->name);
        d->comment = fl_cp_str(a, s->comment);
        d->agg_type = fl_cp_str(a, s->agg_type);
        fl_cp_kvs(a, &s->agg_params, &d->agg_params);
        fl_type_copy(a, &s->type, &d->type);
    }
    fl_cp_strs(a, &src->schema.primary_key, &dst->schema.primary_key);
    fl_cp_strs(a, &src->schema.auto_increment, &dst->schema.auto_increment);
    dst->comment = fl_cp_str(a, src->comment);
    fl_cp_strs(a, &src->partition_keys, &dst->partition_keys);
    fl_cp_strs(a, &src->bucket_keys, &dst->bucket_keys);
    fl_cp_kvs(a, &src->properties, &dst->properties);
    fl_cp_kvs(a, &src->custom_properties, &dst->custom_properties);
}

fl_type_t *fl_schema_row_type(fl_arena_t *a, const fl_schema_t *s) {
    fl_type_t *rt = fl_arena_calloc(a, sizeof(*rt));
    rt->root = FL_T_ROW;
    rt->n_children = (uint32_t)s->n_cols;
    rt->children = fl_arena_calloc(a, (s->n_cols + 1) * sizeof(fl_type_t));
    rt->field_names = fl_arena_calloc(a, (s->n_cols + 1) * sizeof(char *));
    rt->field_descriptions = fl_arena_calloc(a, (s->n_cols + 1) * sizeof(char *));
    rt->field_ids = fl_arena_calloc(a, (s->n_cols + 1) * sizeof(int32_t));
    for (size_t i = 0; i < s->n_cols; i++) {
        rt->children[i] = s->cols[i].type;
        rt->field_names[i] = (char *)s->cols[i].name;
        rt->field_ids[i] = s->cols[i].id;
    }
    return rt;
}
