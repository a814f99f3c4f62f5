/* fl_avro.c: Avro binary encoding, schema JSON and object container files (see fl_avro.h). */
#include "fl_avro.h"

#include <jansson.h>
#include <snappy-c.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>
#include <zstd.h>

static const uint8_t fl_avro_magic[4] = {'O', 'b', 'j', 1};

/* ------------------------------------------------------------------------------------------ */
/* Schema building */

fl_avro_schema_t *fl_avro_prim(fl_arena_t *arena, fl_avro_kind_t kind) {
    fl_avro_schema_t *s = fl_arena_calloc(arena, sizeof(*s));
    s->kind = kind;
    return s;
}

fl_avro_schema_t *fl_avro_logical(fl_arena_t *arena, fl_avro_kind_t kind, const char *logical) {
    fl_avro_schema_t *s = fl_avro_prim(arena, kind);
    s->logical = fl_arena_strndup(arena, logical, strlen(logical));
    return s;
}

fl_avro_schema_t *fl_avro_decimal(fl_arena_t *arena, fl_avro_kind_t kind, int32_t precision,
                                  int32_t scale) {
    fl_avro_schema_t *s = fl_avro_logical(arena, kind, "decimal");
    s->precision = precision;
    s->scale = scale;
    return s;
}

fl_avro_schema_t *fl_avro_record(fl_arena_t *arena, const char *full_name, uint32_t n) {
    fl_avro_schema_t *s = fl_avro_prim(arena, FL_AVRO_RECORD);
    s->name = fl_arena_strndup(arena, full_name, strlen(full_name));
    s->n = n;
    s->fields = fl_arena_calloc(arena, (n ? n : 1) * sizeof(*s->fields));
    return s;
}

void fl_avro_field_set(fl_arena_t *arena, fl_avro_schema_t *rec, uint32_t i, const char *name,
                       fl_avro_schema_t *type, const char *default_json) {
    fl_avro_field_t *f = &rec->fields[i];
    f->name = fl_arena_strndup(arena, name, strlen(name));
    f->type = type;
    f->default_json = default_json ? fl_arena_strndup(arena, default_json, strlen(default_json))
                                   : NULL;
}

fl_avro_schema_t *fl_avro_array(fl_arena_t *arena, fl_avro_schema_t *items) {
    fl_avro_schema_t *s = fl_avro_prim(arena, FL_AVRO_ARRAY);
    s->items = items;
    return s;
}

fl_avro_schema_t *fl_avro_map(fl_arena_t *arena, fl_avro_schema_t *values) {
    fl_avro_schema_t *s = fl_avro_prim(arena, FL_AVRO_MAP);
    s->items = values;
    return s;
}

fl_avro_schema_t *fl_avro_optional(fl_arena_t *arena, fl_avro_schema_t *t) {
    fl_avro_schema_t *s = fl_avro_prim(arena, FL_AVRO_UNION);
    s->n = 2;
    s->branches = fl_arena_alloc(arena, 2 * sizeof(*s->branches));
    s->branches[0] = fl_avro_prim(arena, FL_AVRO_NULL);
    s->branches[1] = t;
    return s;
}

void fl_avro_add_prop(fl_arena_t *arena, fl_avro_prop_t **props, uint32_t *n, const char *key,
                      const char *json) {
    fl_avro_prop_t *np = fl_arena_alloc(arena, (*n + 1) * sizeof(*np));
    if (*n) memcpy(np, *props, *n * sizeof(*np));
    np[*n].key = fl_arena_strndup(arena, key, strlen(key));
    np[*n].json = fl_arena_strndup(arena, json, strlen(json));
    *props = np;
    (*n)++;
}

int fl_avro_field_index(const fl_avro_schema_t *rec, const char *name) {
    if (!rec || rec->kind != FL_AVRO_RECORD) return -1;
    for (uint32_t i = 0; i < rec->n; i++)
        if (strcmp(rec->fields[i].name, name) == 0) return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Schema JSON, as Java's Schema.toString() */

static const char *const fl_avro_kind_names[] = {
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
    "record", "enum", "array", "map", "union", "fixed",
};

/* Jackson's string escaping: \" \\ and control characters (short forms for \b \t \n \f \r,
 * \u00XX for the rest); everything else, UTF-8 included, raw. */
static void fl_avro_json_str(fl_buf_t *buf, const char *s) {
    fl_buf_put_u8(buf, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
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

static void fl_avro_put_cstr(fl_buf_t *buf, const char *s) {
    fl_buf_put(buf, s, strlen(s));
}

static void fl_avro_json_props(fl_buf_t *buf, const fl_avro_schema_t *s) {
    if (s->logical) {
        fl_avro_put_cstr(buf, ",\"logicalType\":");
        fl_avro_json_str(buf, s->logical);
        if (s->precision > 0) {
            char tmp[64];
            snprintf(tmp, sizeof(tmp), ",\"precision\":%d,\"scale\":%d", (int)s->precision,
                     (int)s->scale);
            fl_avro_put_cstr(buf, tmp);
        }
    }
    for (uint32_t i = 0; i < s->n_props; i++) {
        fl_buf_put_u8(buf, ',');
        fl_avro_json_str(buf, s->props[i].key);
        fl_buf_put_u8(buf, ':');
        fl_avro_put_cstr(buf, s->props[i].json);
    }
}

/* Writes "name" and, when it differs from the enclosing namespace, "namespace"; updates *ns. */
static void fl_avro_json_name(fl_buf_t *buf, const char *full, const char **ns,
                              char *nsbuf, size_t nscap) {
    const char *dot = strrchr(full, '.');
    const char *simple = dot ? dot + 1 : full;
    size_t nslen = dot ? (size_t)(dot - full) : 0;
    fl_avro_put_cstr(buf, "\"name\":");
    fl_avro_json_str(buf, simple);
    bool same = (*ns == NULL && nslen == 0) ||
                (*ns != NULL && strlen(*ns) == nslen && memcmp(*ns, full, nslen) == 0);
    if (!same) {
        fl_avro_put_cstr(buf, ",\"namespace\":");
        if (nslen) {
            size_t n = FL_MIN(nslen, nscap - 1);
            memcpy(nsbuf, full, n);
            nsbuf[n] = 0;
            fl_avro_json_str(buf, nsbuf);
        } else {
            fl_avro_put_cstr(buf, "\"\"");
        }
    }
    if (nslen) {
        size_t n = FL_MIN(nslen, nscap - 1);
        memcpy(nsbuf, full, n);
        nsbuf[n] = 0;
        *ns = nsbuf;
    } else {
        *ns = NULL;
    }
}

static void fl_avro_json_rec(const fl_avro_schema_t *s, fl_buf_t *buf, const char *ns) {
    switch (s->kind) {
    case FL_AVRO_NULL: case FL_AVRO_BOOLEAN: case FL_AVRO_INT: case FL_AVRO_LONG:
    case FL_AVRO_FLOAT: case FL_AVRO_DOUBLE: case FL_AVRO_BYTES: case FL_AVRO_STRING:
        if (!s->logical && s->n_props == 0) {
            fl_avro_json_str(buf, fl_avro_kind_names[s->kind]);
        } else {
            fl_avro_put_cstr(buf, "{\"type\":");
            fl_avro_json_str(buf, fl_avro_kind_names[s->kind]);
            fl_avro_json_props(buf, s);
            fl_buf_put_u8(buf, '}');
        }
        return;
    case FL_AVRO_RECORD: case FL_AVRO_ENUM: case FL_AVRO_FIXED: {
        char nsbuf[512];
        const char *inner = ns;
        fl_avro_put_cstr(buf, "{\"type\":");
        fl_avro_json_str(buf, fl_avro_kind_names[s->kind]);
        fl_buf_put_u8(buf, ',');
        fl_avro_json_name(buf, s->name ? s->name : "", &inner, nsbuf, sizeof(nsbuf));
        if (s->kind == FL_AVRO_RECORD) {
            fl_avro_put_cstr(buf, ",\"fields\":[");
            for (uint32_t i = 0; i < s->n; i++) {
                const fl_avro_field_t *f = &s->fields[i];
                if (i) fl_buf_put_u8(buf, ',');
                fl_avro_put_cstr(buf, "{\"name\":");
                fl_avro_json_str(buf, f->name);
                fl_avro_put_cstr(buf, ",\"type\":");
                fl_avro_json_rec(f->type, buf, inner);
                if (f->default_json) {
                    fl_avro_put_cstr(buf, ",\"default\":");
                    fl_avro_put_cstr(buf, f->default_json);
                }
                for (uint32_t k = 0; k < f->n_props; k++) {
                    fl_buf_put_u8(buf, ',');
                    fl_avro_json_str(buf, f->props[k].key);
                    fl_buf_put_u8(buf, ':');
                    fl_avro_put_cstr(buf, f->props[k].json);
                }
                fl_buf_put_u8(buf, '}');
            }
            fl_buf_put_u8(buf, ']');
        } else if (s->kind == FL_AVRO_ENUM) {
            fl_avro_put_cstr(buf, ",\"symbols\":[");
            for (uint32_t i = 0; i < s->n; i++) {
                if (i) fl_buf_put_u8(buf, ',');
                fl_avro_json_str(buf, s->symbols[i]);
            }
            fl_buf_put_u8(buf, ']');
        } else {
            char tmp[32];
            snprintf(tmp, sizeof(tmp), ",\"size\":%d", (int)s->size);
            fl_avro_put_cstr(buf, tmp);
        }
        fl_avro_json_props(buf, s);
        fl_buf_put_u8(buf, '}');
        return;
    }
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP:
        fl_avro_put_cstr(buf, s->kind == FL_AVRO_ARRAY ? "{\"type\":\"array\",\"items\":"
                                                       : "{\"type\":\"map\",\"values\":");
        fl_avro_json_rec(s->items, buf, ns);
        fl_avro_json_props(buf, s);
        fl_buf_put_u8(buf, '}');
        return;
    case FL_AVRO_UNION:
        fl_buf_put_u8(buf, '[');
        for (uint32_t i = 0; i < s->n; i++) {
            if (i) fl_buf_put_u8(buf, ',');
            fl_avro_json_rec(s->branches[i], buf, ns);
        }
        fl_buf_put_u8(buf, ']');
        return;
    }
}

void fl_avro_schema_json(const fl_avro_schema_t *schema, fl_buf_t *buf) {
    fl_avro_json_rec(schema, buf, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Schema parsing (jansson) */

typedef struct fl_avro_pctx_s {
    fl_arena_t *arena;
    const char *why;
    fl_avro_schema_t **named;
    size_t n_named, cap_named;
} fl_avro_pctx_t;

static char *fl_avro_full_name(fl_arena_t *arena, const char *name, const char *ns) {
    if (strchr(name, '.') || !ns || !*ns) return fl_arena_strndup(arena, name, strlen(name));
    return fl_arena_sprintf(arena, "%s.%s", ns, name);
}

static int fl_avro_kind_parse(const char *s, fl_avro_kind_t *out) {
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_avro_kind_names); i++) {
        if (i == FL_AVRO_UNION) continue;
        if (strcmp(s, fl_avro_kind_names[i]) == 0) {
            *out = (fl_avro_kind_t)i;
            return 0;
        }
    }
    return -1;
}

static char *fl_avro_json_dump(fl_arena_t *arena, json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) return fl_arena_strndup(arena, "null", 4);
    char *r = fl_arena_strndup(arena, s, strlen(s));
    free(s);
    return r;
}

static fl_avro_schema_t *fl_avro_parse_rec(fl_avro_pctx_t *c, json_t *j, const char *ns,
                                           int depth);

static void fl_avro_parse_props(fl_avro_pctx_t *c, json_t *j, fl_avro_schema_t *s,
                                const char *const *skip) {
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        bool skipped = false;
        for (const char *const *k = skip; *k; k++)
            if (strcmp(key, *k) == 0) skipped = true;
        if (skipped) continue;
        if (strcmp(key, "logicalType") == 0 && json_is_string(val)) {
            s->logical = fl_arena_strndup(c->arena, json_string_value(val),
                                          strlen(json_string_value(val)));
        } else if ((strcmp(key, "precision") == 0 || strcmp(key, "scale") == 0) &&
                   json_is_integer(val)) {
            if (key[0] == 'p') s->precision = (int32_t)json_integer_value(val);
            else s->scale = (int32_t)json_integer_value(val);
        } else {
            fl_avro_add_prop(c->arena, &s->props, &s->n_props, key,
                             fl_avro_json_dump(c->arena, val));
        }
    }
}

static void fl_avro_register(fl_avro_pctx_t *c, fl_avro_schema_t *s) {
    if (c->n_named == c->cap_named) {
        size_t cap = c->cap_named ? c->cap_named * 2 : 16;
        fl_avro_schema_t **n = fl_arena_alloc(c->arena, cap * sizeof(*n));
        if (c->n_named) memcpy(n, c->named, c->n_named * sizeof(*n));
        c->named = n;
        c->cap_named = cap;
    }
    c->named[c->n_named++] = s;
}

static fl_avro_schema_t *fl_avro_parse_rec(fl_avro_pctx_t *c, json_t *j, const char *ns,
                                           int depth) {
    if (depth > FL_AVRO_MAX_DEPTH) {
        c->why = "schema nested too deeply";
        return NULL;
    }
    if (json_is_string(j)) {
        const char *name = json_string_value(j);
        fl_avro_kind_t k;
        if (fl_avro_kind_parse(name, &k) == 0 && k != FL_AVRO_RECORD && k != FL_AVRO_ENUM &&
            k != FL_AVRO_ARRAY && k != FL_AVRO_MAP && k != FL_AVRO_FIXED)
            return fl_avro_prim(c->arena, k);
        char *full = fl_avro_full_name(c->arena, name, ns);
        for (size_t i = 0; i < c->n_named; i++)
            if (strcmp(c->named[i]->name, full) == 0 || strcmp(c->named[i]->name, name) == 0)
                return c->named[i];
        c->why = fl_arena_sprintf(c->arena, "unknown type name \"%s\"", name);
        return NULL;
    }
    if (json_is_array(j)) {
        fl_avro_schema_t *s = fl_avro_prim(c->arena, FL_AVRO_UNION);
        size_t n = json_array_size(j);
        if (n == 0 || n > 1024) {
            c->why = "union with no (or too many) branches";
            return NULL;
        }
        s->n = (uint32_t)n;
        s->branches = fl_arena_alloc(c->arena, n * sizeof(*s->branches));
        for (size_t i = 0; i < n; i++) {
            s->branches[i] = fl_avro_parse_rec(c, json_array_get(j, i), ns, depth + 1);
            if (!s->branches[i]) return NULL;
            if (s->branches[i]->kind == FL_AVRO_UNION) {
                c->why = "union directly inside a union";
                return NULL;
            }
        }
        return s;
    }
    if (!json_is_object(j)) {
        c->why = "schema is neither a name, an object nor a union";
        return NULL;
    }
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) {
        /* {"type": {...}} or {"type": [...]} wraps another schema */
        json_t *t = json_object_get(j, "type");
        if (t && (json_is_object(t) || json_is_array(t))) return fl_avro_parse_rec(c, t, ns, depth + 1);
        c->why = "schema object without a \"type\"";
        return NULL;
    }
    fl_avro_kind_t k;
    if (fl_avro_kind_parse(type, &k) != 0) {
        /* a named reference written as {"type":"name"} */
        json_t *tmp = json_string(type);
        fl_avro_schema_t *r = fl_avro_parse_rec(c, tmp, ns, depth + 1);
        json_decref(tmp);
        return r;
    }
    fl_avro_schema_t *s = fl_avro_prim(c->arena, k);
    static const char *const skip_prim[] = {"type", NULL};
    static const char *const skip_named[] = {"type", "name", "namespace", "fields", "symbols",
                                             "size", "doc", "aliases", "default", NULL};
    static const char *const skip_arr[] = {"type", "items", "values", NULL};
    switch (k) {
    case FL_AVRO_RECORD: case FL_AVRO_ENUM: case FL_AVRO_FIXED: {
        const char *name = json_string_value(json_object_get(j, "name"));
        if (!name) {
            c->why = "named type without a \"name\"";
            return NULL;
        }
        const char *own_ns = json_string_value(json_object_get(j, "namespace"));
        s->name = fl_avro_full_name(c->arena, name, own_ns ? own_ns : ns);
        const char *dot = strrchr(s->name, '.');
        const char *inner_ns = dot ? fl_arena_strndup(c->arena, s->name, (size_t)(dot - s->name))
                                   : NULL;
        fl_avro_register(c, s);
        if (k == FL_AVRO_RECORD) {
            json_t *fields = json_object_get(j, "fields");
            if (!json_is_array(fields) || json_array_size(fields) > 65536) {
                c->why = "record without a \"fields\" array";
                return NULL;
            }
            s->n = (uint32_t)json_array_size(fields);
            s->fields = fl_arena_calloc(c->arena, (s->n ? s->n : 1) * sizeof(*s->fields));
            for (uint32_t i = 0; i < s->n; i++) {
                json_t *f = json_array_get(fields, i);
                const char *fname = json_string_value(json_object_get(f, "name"));
                json_t *ftype = json_object_get(f, "type");
                if (!fname || !ftype) {
                    c->why = "record field without a name or type";
                    return NULL;
                }
                fl_avro_field_t *fd = &s->fields[i];
                fd->name = fl_arena_strndup(c->arena, fname, strlen(fname));
                fd->type = fl_avro_parse_rec(c, ftype, inner_ns, depth + 1);
                if (!fd->type) return NULL;
                json_t *def = json_object_get(f, "default");
                if (def) fd->default_json = fl_avro_json_dump(c->arena, def);
                const char *key;
                json_t *val;
                json_object_foreach(f, key, val) {
                    if (strcmp(key, "name") && strcmp(key, "type") && strcmp(key, "default") &&
                        strcmp(key, "doc") && strcmp(key, "aliases") && strcmp(key, "order"))
                        fl_avro_add_prop(c->arena, &fd->props, &fd->n_props, key,
                                         fl_avro_json_dump(c->arena, val));
                }
            }
        } else if (k == FL_AVRO_ENUM) {
            json_t *syms = json_object_get(j, "symbols");
            if (!json_is_array(syms) || json_array_size(syms) > 65536) {
                c->why = "enum without a \"symbols\" array";
                return NULL;
            }
            s->n = (uint32_t)json_array_size(syms);
            s->symbols = fl_arena_alloc(c->arena, (s->n ? s->n : 1) * sizeof(*s->symbols));
            for (uint32_t i = 0; i < s->n; i++) {
                const char *sym = json_string_value(json_array_get(syms, i));
                if (!sym) {
                    c->why = "enum symbol is not a string";
                    return NULL;
                }
                s->symbols[i] = fl_arena_strndup(c->arena, sym, strlen(sym));
            }
        } else {
            json_t *size = json_object_get(j, "size");
            if (!json_is_integer(size) || json_integer_value(size) < 0 ||
                json_integer_value(size) > (1 << 20)) {
                c->why = "fixed without a valid \"size\"";
                return NULL;
            }
            s->size = (int32_t)json_integer_value(size);
        }
        fl_avro_parse_props(c, j, s, skip_named);
        return s;
    }
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP: {
        json_t *items = json_object_get(j, k == FL_AVRO_ARRAY ? "items" : "values");
        if (!items) {
            c->why = "array without \"items\" or map without \"values\"";
            return NULL;
        }
        s->items = fl_avro_parse_rec(c, items, ns, depth + 1);
        if (!s->items) return NULL;
        fl_avro_parse_props(c, j, s, skip_arr);
        return s;
    }
    default:
        fl_avro_parse_props(c, j, s, skip_prim);
        return s;
    }
}

fl_err_t fl_avro_schema_parse(fl_arena_t *arena, const char *json, size_t len,
                              fl_avro_schema_t **out, const char **why) {
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
    *out = NULL;
    if (!j) {
        if (why) *why = fl_arena_sprintf(arena, "schema JSON: %s", jerr.text);
        return FL_ERR__INVAL;
    }
    fl_avro_pctx_t c = {.arena = arena};
    *out = fl_avro_parse_rec(&c, j, NULL, 0);
    json_decref(j);
    if (!*out) {
        if (why) *why = c.why ? c.why : "bad schema";
        return FL_ERR__INVAL;
    }
    return FL_ERR_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* Values */

fl_avro_value_t fl_avro_v_str(const char *s) {
    return fl_avro_v_bytes(s, (uint32_t)strlen(s));
}

fl_avro_value_t fl_avro_v_list(fl_arena_t *arena, uint32_t n) {
    fl_avro_value_t v = {0};
    v.n = n;
    v.v.items = fl_arena_calloc(arena, (n ? n : 1) * sizeof(fl_avro_value_t));
    return v;
}

fl_avro_value_t fl_avro_v_map(fl_arena_t *arena, uint32_t n) {
    fl_avro_value_t v = {0};
    v.n = n;
    v.v.items = fl_arena_calloc(arena, (n ? 2 * (size_t)n : 1) * sizeof(fl_avro_value_t));
    return v;
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding */

void fl_avro_put_long(fl_buf_t *buf, int64_t v) {
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    fl_buf_put_uvarint(buf, z);
}

void fl_avro_put_int(fl_buf_t *buf, int32_t v) {
    fl_avro_put_long(buf, v);
}

void fl_avro_put_bytes(fl_buf_t *buf, const void *p, size_t n) {
    fl_avro_put_long(buf, (int64_t)n);
    if (n) fl_buf_put(buf, p, n);
}

void fl_avro_put_string(fl_buf_t *buf, const char *s) {
    fl_avro_put_bytes(buf, s, strlen(s));
}

static fl_err_t fl_avro_encode_rec(fl_buf_t *buf, const fl_avro_schema_t *s,
                                   const fl_avro_value_t *v, int depth) {
    if (depth > FL_AVRO_MAX_DEPTH) return FL_ERR__INVAL;
    switch (s->kind) {
    case FL_AVRO_NULL: return FL_ERR_NONE;
    case FL_AVRO_BOOLEAN: fl_buf_put_u8(buf, v->v.b ? 1 : 0); return FL_ERR_NONE;
    case FL_AVRO_INT: fl_avro_put_int(buf, v->v.i); return FL_ERR_NONE;
    case FL_AVRO_LONG: fl_avro_put_long(buf, v->v.l); return FL_ERR_NONE;
    case FL_AVRO_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &v->v.f, 4);
        fl_buf_put_i32le(buf, (int32_t)bits);
        return FL_ERR_NONE;
    }
    case FL_AVRO_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->v.d, 8);
        fl_buf_put_i64le(buf, (int64_t)bits);
        return FL_ERR_NONE;
    }
    case FL_AVRO_BYTES:
    case FL_AVRO_STRING:
        if (v->n && !v->v.p) return FL_ERR__INVAL;
        fl_avro_put_bytes(buf, v->v.p, v->n);
        return FL_ERR_NONE;
    case FL_AVRO_FIXED:
        if ((int32_t)v->n != s->size || (v->n && !v->v.p)) return FL_ERR__INVAL;
        if (v->n) fl_buf_put(buf, v->v.p, v->n);
        return FL_ERR_NONE;
    case FL_AVRO_ENUM:
        if (v->v.i < 0 || (uint32_t)v->v.i >= s->n) return FL_ERR__INVAL;
        fl_avro_put_int(buf, v->v.i);
        return FL_ERR_NONE;
    case FL_AVRO_RECORD:
        if (v->n != s->n || (s->n && !v->v.items)) return FL_ERR__INVAL;
        for (uint32_t i = 0; i < s->n; i++) {
            fl_err_t err = fl_avro_encode_rec(buf, s->fields[i].type, &v->v.items[i], depth + 1);
            if (err) return err;
        }
        return FL_ERR_NONE;
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP:
        if (v->n && !v->v.items) return FL_ERR__INVAL;
        if (v->n) {
            fl_avro_put_long(buf, v->n);
            for (uint32_t i = 0; i < v->n; i++) {
                fl_err_t err;
                if (s->kind == FL_AVRO_MAP) {
                    const fl_avro_value_t *k = &v->v.items[2 * (size_t)i];
                    if (k->n && !k->v.p) return FL_ERR__INVAL;
                    fl_avro_put_bytes(buf, k->v.p, k->n);
                    err = fl_avro_encode_rec(buf, s->items, &v->v.items[2 * (size_t)i + 1],
                                             depth + 1);
                } else {
                    err = fl_avro_encode_rec(buf, s->items, &v->v.items[i], depth + 1);
                }
                if (err) return err;
            }
        }
        fl_avro_put_long(buf, 0);
        return FL_ERR_NONE;
    case FL_AVRO_UNION:
        if (v->branch >= s->n) return FL_ERR__INVAL;
        fl_avro_put_long(buf, v->branch);
        return fl_avro_encode_rec(buf, s->branches[v->branch], v, depth + 1);
    }
    return FL_ERR__INVAL;
}

fl_err_t fl_avro_encode(fl_buf_t *buf, const fl_avro_schema_t *schema, const fl_avro_value_t *v) {
    return fl_avro_encode_rec(buf, schema, v, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding */

static int64_t fl_avro_rd_long(fl_reader_t *rd) {
    uint64_t z = fl_rd_uvarint(rd);
    return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

static fl_err_t fl_avro_decode_rec(fl_reader_t *rd, const fl_avro_schema_t *s, fl_arena_t *arena,
                                   fl_avro_value_t *out, int depth) {
    if (depth > FL_AVRO_MAX_DEPTH) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return rd->err;
    }
    switch (s->kind) {
    case FL_AVRO_NULL: break;
    case FL_AVRO_BOOLEAN: {
        uint8_t b = fl_rd_u8(rd);
        if (b > 1) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        out->v.b = b == 1;
        break;
    }
    case FL_AVRO_INT: {
        int64_t l = fl_avro_rd_long(rd);
        if (l < INT32_MIN || l > INT32_MAX) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        out->v.i = (int32_t)l;
        break;
    }
    case FL_AVRO_LONG: out->v.l = fl_avro_rd_long(rd); break;
    case FL_AVRO_FLOAT: out->v.f = fl_rd_f32le(rd); break;
    case FL_AVRO_DOUBLE: out->v.d = fl_rd_f64le(rd); break;
    case FL_AVRO_BYTES:
    case FL_AVRO_STRING: {
        int64_t n = fl_avro_rd_long(rd);
        size_t len = fl_rd_count(rd, n, fl_rd_remaining(rd));
        fl_view_t vw = fl_rd_bytes(rd, len);
        out->v.p = vw.p;
        out->n = (uint32_t)vw.len;
        break;
    }
    case FL_AVRO_FIXED: {
        fl_view_t vw = fl_rd_bytes(rd, (size_t)s->size);
        out->v.p = vw.p;
        out->n = (uint32_t)vw.len;
        break;
    }
    case FL_AVRO_ENUM: {
        int64_t l = fl_avro_rd_long(rd);
        if (l < 0 || (uint64_t)l >= s->n) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        out->v.i = (int32_t)l;
        break;
    }
    case FL_AVRO_RECORD:
        *out = fl_avro_v_list(arena, s->n);
        for (uint32_t i = 0; i < s->n && !rd->err; i++)
            fl_avro_decode_rec(rd, s->fields[i].type, arena, &out->v.items[i], depth + 1);
        break;
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP: {
        size_t per = s->kind == FL_AVRO_MAP ? 2 : 1;
        size_t n = 0, cap = 0;
        fl_avro_value_t *items = NULL;
        for (;;) {
            int64_t count = fl_avro_rd_long(rd);
            if (rd->err || count == 0) break;
            if (count < 0) {
                if (count == INT64_MIN) {
                    fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
                    break;
                }
                count = -count;
                (void)fl_avro_rd_long(rd); /* block byte size */
            }
            if ((uint64_t)count > FL_AVRO_MAX_ITEMS - n) {
                fl_rd_fail(rd, FL_ERR__OVERFLOW);
                break;
            }
            for (int64_t k = 0; k < count && !rd->err; k++) {
                if (n == cap) {
                    size_t ncap = cap ? cap * 2 : 8;
                    fl_avro_value_t *ni = fl_arena_calloc(arena, ncap * per * sizeof(*ni));
                    if (n) memcpy(ni, items, n * per * sizeof(*ni));
                    items = ni;
                    cap = ncap;
                }
                if (per == 2) {
                    fl_avro_value_t *key = &items[2 * n];
                    int64_t kl = fl_avro_rd_long(rd);
                    fl_view_t vw = fl_rd_bytes(rd, fl_rd_count(rd, kl, fl_rd_remaining(rd)));
                    key->v.p = vw.p;
                    key->n = (uint32_t)vw.len;
                    fl_avro_decode_rec(rd, s->items, arena, &items[2 * n + 1], depth + 1);
                } else {
                    fl_avro_decode_rec(rd, s->items, arena, &items[n], depth + 1);
                }
                n++;
            }
            if (rd->err) break;
        }
        out->n = (uint32_t)n;
        out->v.items = items;
        break;
    }
    case FL_AVRO_UNION: {
        int64_t b = fl_avro_rd_long(rd);
        if (rd->err) break;
        if (b < 0 || (uint64_t)b >= s->n) {
            fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
            break;
        }
        fl_avro_decode_rec(rd, s->branches[b], arena, out, depth + 1);
        out->branch = (uint32_t)b;
        break;
    }
    }
    return rd->err;
}

fl_err_t fl_avro_decode(fl_reader_t *rd, const fl_avro_schema_t *schema, fl_arena_t *arena,
                        fl_avro_value_t *out) {
    memset(out, 0, sizeof(*out));
    return fl_avro_decode_rec(rd, schema, arena, out, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Codecs */

const char *fl_avro_codec_name(fl_avro_codec_t codec) {
    switch (codec) {
    case FL_AVRO_CODEC_NULL: return "null";
    case FL_AVRO_CODEC_DEFLATE: return "deflate";
    case FL_AVRO_CODEC_SNAPPY: return "snappy";
    case FL_AVRO_CODEC_ZSTD: return "zstandard";
    }
    return "null";
}

static fl_err_t fl_avro_compress(fl_avro_codec_t codec, int level, const uint8_t *p, size_t n,
                                 fl_buf_t *out) {
    switch (codec) {
    case FL_AVRO_CODEC_NULL:
        fl_buf_put(out, p, n);
        return FL_ERR_NONE;
    case FL_AVRO_CODEC_DEFLATE: {
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (deflateInit2(&zs, level > 0 ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return FL_ERR__INVAL;
        size_t bound = deflateBound(&zs, (uLong)n);
        uint8_t *dst = fl_buf_extend(out, bound);
        zs.next_in = (Bytef *)p;
        zs.avail_in = (uInt)n;
        zs.next_out = dst;
        zs.avail_out = (uInt)bound;
        int rc = deflate(&zs, Z_FINISH);
        size_t produced = bound - zs.avail_out;
        deflateEnd(&zs);
        out->len -= bound - produced;
        return rc == Z_STREAM_END ? FL_ERR_NONE : FL_ERR__INVAL;
    }
    case FL_AVRO_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        uint8_t *dst = fl_buf_extend(out, bound + 4);
        size_t clen = bound;
        if (snappy_compress((const char *)p, n, (char *)dst, &clen) != SNAPPY_OK)
            return FL_ERR__INVAL;
        out->len -= bound + 4 - clen;
        fl_buf_put_i32be(out, (int32_t)crc32(0L, p, (uInt)n));
        return FL_ERR_NONE;
    }
    case FL_AVRO_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(n);
        uint8_t *dst = fl_buf_extend(out, bound);
        size_t r = ZSTD_compress(dst, bound, p, n, level > 0 ? level : 3);
        if (ZSTD_isError(r)) return FL_ERR__INVAL;
        out->len -= bound - r;
        return FL_ERR_NONE;
    }
    }
    return FL_ERR__INVAL;
}

/* Decompress one block into arena memory. */
static fl_err_t fl_avro_decompress(fl_arena_t *arena, fl_avro_codec_t codec, const uint8_t *p,
                                   size_t n, const uint8_t **out, size_t *out_len) {
    switch (codec) {
    case FL_AVRO_CODEC_NULL:
        *out = p;
        *out_len = n;
        return FL_ERR_NONE;
    case FL_AVRO_CODEC_DEFLATE: {
        fl_buf_t b;
        fl_buf_init(&b);
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (inflateInit2(&zs, -15) != Z_OK) return FL_ERR_CORRUPT_MESSAGE;
        zs.next_in = (Bytef *)p;
        zs.avail_in = (uInt)n;
        int rc = Z_OK;
        while (rc == Z_OK) {
            if (b.len >= FL_AVRO_MAX_BLOCK) break;
            size_t chunk = FL_MAX((size_t)4096, n * 2);
            chunk = FL_MIN(chunk, FL_AVRO_MAX_BLOCK - b.len);
            uint8_t *dst = fl_buf_extend(&b, chunk);
            zs.next_out = dst;
            zs.avail_out = (uInt)chunk;
            rc = inflate(&zs, Z_NO_FLUSH);
            b.len -= zs.avail_out;
            if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
        }
        inflateEnd(&zs);
        if (rc != Z_STREAM_END) {
            fl_buf_free(&b);
            return FL_ERR_CORRUPT_MESSAGE;
        }
        uint8_t *cp = fl_arena_alloc(arena, b.len ? b.len : 1);
        if (b.len) memcpy(cp, b.p, b.len);
        *out = cp;
        *out_len = b.len;
        fl_buf_free(&b);
        return FL_ERR_NONE;
    }
    case FL_AVRO_CODEC_SNAPPY: {
        if (n < 4) return FL_ERR_CORRUPT_MESSAGE;
        size_t ulen;
        if (snappy_uncompressed_length((const char *)p, n - 4, &ulen) != SNAPPY_OK ||
            ulen > FL_AVRO_MAX_BLOCK)
            return FL_ERR_CORRUPT_MESSAGE;
        uint8_t *dst = fl_arena_alloc(arena, ulen ? ulen : 1);
        if (snappy_uncompress((const char *)p, n - 4, (char *)dst, &ulen) != SNAPPY_OK)
            return FL_ERR_CORRUPT_MESSAGE;
        uint32_t crc = ((uint32_t)p[n - 4] << 24) | ((uint32_t)p[n - 3] << 16) |
                       ((uint32_t)p[n - 2] << 8) | p[n - 1];
        if (crc != (uint32_t)crc32(0L, dst, (uInt)ulen)) return FL_ERR_CORRUPT_MESSAGE;
        *out = dst;
        *out_len = ulen;
        return FL_ERR_NONE;
    }
    case FL_AVRO_CODEC_ZSTD: {
        fl_buf_t b;
        fl_buf_init(&b);
        ZSTD_DStream *ds = ZSTD_createDStream();
        ZSTD_initDStream(ds);
        ZSTD_inBuffer in = {p, n, 0};
        size_t r = 1;
        bool bad = false;
        while (in.pos < in.size) {
            if (b.len >= FL_AVRO_MAX_BLOCK) {
                bad = true;
                break;
            }
            size_t chunk = FL_MIN(ZSTD_DStreamOutSize(), FL_AVRO_MAX_BLOCK - b.len);
            uint8_t *dst = fl_buf_extend(&b, chunk);
            ZSTD_outBuffer ob = {dst, chunk, 0};
            r = ZSTD_decompressStream(ds, &ob, &in);
            b.len -= chunk - ob.pos;
            if (ZSTD_isError(r)) {
                bad = true;
                break;
            }
            if (ob.pos == 0 && in.pos == in.size) break;
        }
        /* flush whatever is still buffered in the decoder */
        while (!bad && r != 0 && b.len < FL_AVRO_MAX_BLOCK) {
            size_t chunk = FL_MIN(ZSTD_DStreamOutSize(), FL_AVRO_MAX_BLOCK - b.len);
            uint8_t *dst = fl_buf_extend(&b, chunk);
            ZSTD_outBuffer ob = {dst, chunk, 0};
            r = ZSTD_decompressStream(ds, &ob, &in);
            b.len -= chunk - ob.pos;
            if (ZSTD_isError(r)) bad = true;
            if (ob.pos == 0) break;
        }
        ZSTD_freeDStream(ds);
        if (bad || r != 0) {
            fl_buf_free(&b);
            return FL_ERR_CORRUPT_MESSAGE;
        }
        uint8_t *cp = fl_arena_alloc(arena, b.len ? b.len : 1);
        if (b.len) memcpy(cp, b.p, b.len);
        *out = cp;
        *out_len = b.len;
        fl_buf_free(&b);
        return FL_ERR_NONE;
    }
    }
    return FL_ERR_CORRUPT_MESSAGE;
}

/* ------------------------------------------------------------------------------------------ */
/* Container writer */

struct fl_avro_writer_s {
    const fl_avro_schema_t *schema;
    fl_avro_codec_t codec;
    int level;
    size_t block_bytes;
    uint8_t sync[16];
    fl_avro_write_cb cb;
    void *ctx;
    fl_buf_t block;      /* uncompressed records of the open block */
    fl_buf_t out;        /* scratch for block framing */
    uint64_t block_count;
    uint64_t count;
    uint64_t written;
    fl_err_t err;        /* sticky sink error */
};

static fl_err_t fl_avro_buf_sink(void *ctx, const void *p, size_t n) {
    fl_buf_put((fl_buf_t *)ctx, p, n);
    return FL_ERR_NONE;
}

static fl_err_t fl_avro_emit(fl_avro_writer_t *w, const void *p, size_t n) {
    if (w->err) return w->err;
    w->err = w->cb(w->ctx, p, n);
    if (!w->err) w->written += n;
    return w->err;
}

fl_err_t fl_avro_writer_new(const fl_avro_schema_t *schema, const char *schema_json,
                            const fl_avro_writer_opts_t *opts, fl_avro_write_cb cb, void *ctx,
                            fl_avro_writer_t **out) {
    *out = NULL;
    if (!schema || !cb) return FL_ERR__INVAL;
    fl_avro_writer_opts_t def = {0};
    if (!opts) opts = &def;
    if (opts->codec > FL_AVRO_CODEC_ZSTD) return FL_ERR__INVAL;
    fl_avro_writer_t *w = fl_calloc(1, sizeof(*w));
    w->schema = schema;
    w->codec = opts->codec;
    w->level = opts->level;
    w->block_bytes = opts->block_bytes ? opts->block_bytes : 64000;
    w->cb = cb;
    w->ctx = ctx;
    fl_buf_init(&w->block);
    fl_buf_init(&w->out);
    if (opts->sync) {
        memcpy(w->sync, opts->sync, 16);
    } else if (getrandom(w->sync, 16, 0) != 16) {
        for (int i = 0; i < 16; i++) w->sync[i] = (uint8_t)(fl_mono_us() >> (i % 8));
    }

    fl_buf_t hdr, js;
    fl_buf_init(&hdr);
    fl_buf_init(&js);
    if (schema_json) {
        fl_buf_put(&js, schema_json, strlen(schema_json));
    } else {
        fl_avro_schema_json(schema, &js);
    }
    const char *codec = fl_avro_codec_name(w->codec);
    fl_buf_put(&hdr, fl_avro_magic, 4);
    fl_avro_put_long(&hdr, 2 + (int64_t)opts->n_meta);
    fl_avro_put_string(&hdr, "avro.schema");
    fl_avro_put_bytes(&hdr, js.p, js.len);
    fl_avro_put_string(&hdr, "avro.codec");
    fl_avro_put_bytes(&hdr, codec, strlen(codec));
    for (size_t i = 0; i < opts->n_meta; i++) {
        fl_avro_put_string(&hdr, opts->meta[i].key);
        fl_avro_put_bytes(&hdr, opts->meta[i].value, opts->meta[i].len);
    }
    fl_avro_put_long(&hdr, 0);
    fl_buf_put(&hdr, w->sync, 16);
    fl_err_t err = fl_avro_emit(w, hdr.p, hdr.len);
    fl_buf_free(&hdr);
    fl_buf_free(&js);
    if (err) {
        fl_avro_writer_free(w);
        return err;
    }
    *out = w;
    return FL_ERR_NONE;
}

fl_err_t fl_avro_writer_new_buf(const fl_avro_schema_t *schema, const char *schema_json,
                                const fl_avro_writer_opts_t *opts, fl_buf_t *buf,
                                fl_avro_writer_t **out) {
    return fl_avro_writer_new(schema, schema_json, opts, fl_avro_buf_sink, buf, out);
}

static fl_err_t fl_avro_flush_block(fl_avro_writer_t *w) {
    if (w->err) return w->err;
    if (w->block_count == 0) return FL_ERR_NONE;
    fl_buf_t data;
    fl_buf_init(&data);
    fl_err_t err = fl_avro_compress(w->codec, w->level, w->block.p, w->block.len, &data);
    if (!err) {
        fl_buf_reset(&w->out);
        fl_avro_put_long(&w->out, (int64_t)w->block_count);
        fl_avro_put_long(&w->out, (int64_t)data.len);
        err = fl_avro_emit(w, w->out.p, w->out.len);
        if (!err) err = fl_avro_emit(w, data.p, data.len);
        if (!err) err = fl_avro_emit(w, w->sync, 16);
    }
    fl_buf_free(&data);
    fl_buf_reset(&w->block);
    w->block_count = 0;
    if (err && !w->err) w->err = err;
    return err;
}

fl_err_t fl_avro_writer_append(fl_avro_writer_t *w, const fl_avro_value_t *v) {
    if (w->err) return w->err;
    size_t mark = w->block.len;
    fl_err_t err = fl_avro_encode(&w->block, w->schema, v);
    if (err) {
        w->block.len = mark;
        return err;
    }
    w->block_count++;
    w->count++;
    if (w->block.len >= w->block_bytes) return fl_avro_flush_block(w);
    return FL_ERR_NONE;
}

uint64_t fl_avro_writer_count(const fl_avro_writer_t *w) {
    return w->count;
}

fl_err_t fl_avro_writer_finish(fl_avro_writer_t *w, uint64_t *size) {
    fl_err_t err = fl_avro_flush_block(w);
    if (size) *size = w->written;
    return err;
}

void fl_avro_writer_free(fl_avro_writer_t *w) {
    if (!w) return;
    fl_buf_free(&w->block);
    fl_buf_free(&w->out);
    fl_free(w);
}

/* ------------------------------------------------------------------------------------------ */
/* Container reader */

fl_err_t fl_avro_file_read(fl_arena_t *arena, const void *data, size_t len, fl_avro_file_t *out,
                           const char **why) {
    memset(out, 0, sizeof(*out));
    const char *dummy;
    if (!why) why = &dummy;
    *why = NULL;
    fl_reader_t rd;
    fl_rd_init(&rd, data, len);
    fl_view_t magic = fl_rd_bytes(&rd, 4);
    if (rd.err || memcmp(magic.p, fl_avro_magic, 4) != 0) {
        *why = "not an Avro object container file (bad magic)";
        return FL_ERR_CORRUPT_MESSAGE;
    }
    /* header metadata map */
    size_t cap = 0;
    for (;;) {
        int64_t count = fl_avro_rd_long(&rd);
        if (rd.err || count == 0) break;
        if (count < 0) {
            if (count == INT64_MIN) fl_rd_fail(&rd, FL_ERR_CORRUPT_MESSAGE);
            count = -count;
            (void)fl_avro_rd_long(&rd);
        }
        if ((uint64_t)count > 4096 - out->n_meta) {
            fl_rd_fail(&rd, FL_ERR__OVERFLOW);
            break;
        }
        for (int64_t i = 0; i < count && !rd.err; i++) {
            if (out->n_meta == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                fl_avro_meta_t *nm = fl_arena_alloc(arena, ncap * sizeof(*nm));
                if (out->n_meta) memcpy(nm, out->meta, out->n_meta * sizeof(*nm));
                out->meta = nm;
                cap = ncap;
            }
            int64_t kl = fl_avro_rd_long(&rd);
            fl_view_t k = fl_rd_bytes(&rd, fl_rd_count(&rd, kl, fl_rd_remaining(&rd)));
            int64_t vl = fl_avro_rd_long(&rd);
            fl_view_t v = fl_rd_bytes(&rd, fl_rd_count(&rd, vl, fl_rd_remaining(&rd)));
            if (rd.err) break;
            fl_avro_meta_t *m = &out->meta[out->n_meta++];
            m->key = fl_arena_strndup(arena, (const char *)k.p, k.len);
            m->value = v.p;
            m->len = v.len;
        }
    }
    fl_view_t sync = fl_rd_bytes(&rd, 16);
    if (rd.err) {
        *why = "truncated or malformed header";
        return FL_ERR_CORRUPT_MESSAGE;
    }
    const fl_avro_meta_t *schema_m = NULL;
    out->codec = FL_AVRO_CODEC_NULL;
    for (size_t i = 0; i < out->n_meta; i++) {
        const fl_avro_meta_t *m = &out->meta[i];
        if (strcmp(m->key, "avro.schema") == 0) schema_m = m;
        if (strcmp(m->key, "avro.codec") == 0) {
            bool found = false;
            for (int c = FL_AVRO_CODEC_NULL; c <= FL_AVRO_CODEC_ZSTD; c++) {
                const char *name = fl_avro_codec_name((fl_avro_codec_t)c);
                if (m->len == strlen(name) && memcmp(m->value, name, m->len) == 0) {
                    out->codec = (fl_avro_codec_t)c;
                    found = true;
                }
            }
            if (!found) {
                *why = fl_arena_sprintf(arena, "unsupported codec \"%.*s\"", (int)FL_MIN(m->len, 64),
                                        (const char *)m->value);
                return FL_ERR_CORRUPT_MESSAGE;
            }
        }
    }
    if (!schema_m) {
        *why = "header has no avro.schema";
        return FL_ERR_CORRUPT_MESSAGE;
    }
    out->schema_json = fl_arena_strndup(arena, schema_m->value, schema_m->len);
    fl_avro_schema_t *schema;
    fl_err_t err = fl_avro_schema_parse(arena, out->schema_json, schema_m->len, &schema, why);
    if (err) return err;
    out->schema = schema;

    size_t rcap = 0;
    while (fl_rd_remaining(&rd) > 0) {
        int64_t count = fl_avro_rd_long(&rd);
        int64_t size = fl_avro_rd_long(&rd);
        if (rd.err || count <= 0 || size < 0) {
            *why = "malformed block header";
            return FL_ERR_CORRUPT_MESSAGE;
        }
        fl_view_t blk = fl_rd_bytes(&rd, fl_rd_count(&rd, size, fl_rd_remaining(&rd)));
        fl_view_t bsync = fl_rd_bytes(&rd, 16);
        if (rd.err) {
            *why = "truncated block";
            return FL_ERR_CORRUPT_MESSAGE;
        }
        if (memcmp(bsync.p, sync.p, 16) != 0) {
            *why = "sync marker mismatch after a block";
            return FL_ERR_CORRUPT_MESSAGE;
        }
        const uint8_t *raw;
        size_t raw_len;
        if (fl_avro_decompress(arena, out->codec, blk.p, blk.len, &raw, &raw_len) != FL_ERR_NONE) {
            *why = "block does not decompress";
            return FL_ERR_CORRUPT_MESSAGE;
        }
        if ((uint64_t)count > FL_AVRO_MAX_ITEMS) {
            *why = "block record count too large";
            return FL_ERR_CORRUPT_MESSAGE;
        }
        fl_reader_t br;
        fl_rd_init(&br, raw, raw_len);
        for (int64_t i = 0; i < count; i++) {
            if (out->n_records == rcap) {
                size_t ncap = rcap ? rcap * 2 : 16;
                if (ncap > FL_AVRO_MAX_ITEMS * 4ull) {
                    *why = "too many records";
                    return FL_ERR_CORRUPT_MESSAGE;
                }
                fl_avro_value_t *nr = fl_arena_alloc(arena, ncap * sizeof(*nr));
                if (out->n_records) memcpy(nr, out->records, out->n_records * sizeof(*nr));
                out->records = nr;
                rcap = ncap;
            }
            if (fl_avro_decode(&br, schema, arena, &out->records[out->n_records]) != FL_ERR_NONE) {
                *why = "malformed record in a block";
                return FL_ERR_CORRUPT_MESSAGE;
            }
            out->n_records++;
        }
        if (fl_rd_remaining(&br) != 0) {
            *why = "bytes left over in a block";
            return FL_ERR_CORRUPT_MESSAGE;
        }
    }
    return FL_ERR_NONE;
}
