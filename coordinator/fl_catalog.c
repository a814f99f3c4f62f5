/* fl_catalog.c: see fl_catalog.h. */
#define _GNU_SOURCE
#include "fl_catalog.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fl_log.h"
#include "fl_tablevalid.h"

struct fl_catalog_s {
    fl_metastore_t *ms;           /* not owned */
    fl_catalog_opts_t opts;
    char *datalake_format;        /* owned copy of opts.datalake_format */
    fl_database_t **dbs;          /* sorted by name */
    size_t n_dbs, cap_dbs;
    fl_table_t **tables;          /* sorted by (db, name) */
    size_t n_tables, cap_tables;
    int64_t next_table_id;
    int64_t next_partition_id;
    int32_t *servers;             /* live tablet servers, ascending */
    size_t n_servers;
};

#define FL_BAD(code, ...)                                                                      \
    do {                                                                                       \
        *why = fl_arena_sprintf(a, __VA_ARGS__);                                               \
        return (code);                                                                         \
    } while (0)

void fl_catalog_set_servers(fl_catalog_t *cat, const int32_t *ids, size_t n) {
    cat->servers = fl_realloc(cat->servers, (n ? n : 1) * sizeof(int32_t));
    memcpy(cat->servers, ids, n * sizeof(int32_t));
    cat->n_servers = n;
}

/* Replicas of bucket b: servers[(start + b + i) % n], start = id % n, so the buckets of one
 * table spread their leaders evenly and different tables start on different servers. */
static fl_err_t fl_assign(fl_catalog_t *cat, fl_arena_t *owner, fl_arena_t *a, int64_t id,
                          int32_t buckets, int32_t rf, fl_assignment_t *out, const char **why) {
    if (rf > (int32_t)cat->n_servers)
        FL_BAD(FL_ERR_INVALID_REPLICATION_FACTOR,
               "Replication factor: %d larger than available tablet servers: %zu.", rf,
               cat->n_servers);
    out->rf = rf;
    out->replicas = fl_arena_alloc(owner, (size_t)buckets * (size_t)rf * sizeof(int32_t));
    size_t n = cat->n_servers, start = (size_t)(id % (int64_t)n);
    for (int32_t b = 0; b < buckets; b++)
        for (int32_t i = 0; i < rf; i++)
            out->replicas[b * rf + i] = cat->servers[(start + (size_t)b + (size_t)i) % n];
    return FL_ERR_NONE;
}

static void fl_assign_write(fl_buf_t *b, const fl_assignment_t *as, int32_t buckets) {
    char num[16];
    fl_buf_put(b, "[", 1);
    for (int32_t k = 0; k < buckets; k++) {
        fl_buf_put(b, k ? ",[" : "[", k ? 2 : 1);
        for (int32_t i = 0; i < as->rf; i++) {
            snprintf(num, sizeof(num), "%s%d", i ? "," : "", as->replicas[k * as->rf + i]);
            fl_buf_put(b, num, strlen(num));
        }
        fl_buf_put(b, "]", 1);
    }
    fl_buf_put(b, "]", 1);
}

static bool fl_assign_read(fl_arena_t *owner, json_t *arr, int32_t buckets, fl_assignment_t *out) {
    if (!json_is_array(arr) || (int32_t)json_array_size(arr) != buckets || buckets <= 0) return false;
    json_t *first = json_array_get(arr, 0);
    int32_t rf = (int32_t)json_array_size(first);
    if (rf <= 0) return false;
    out->rf = rf;
    out->replicas = fl_arena_alloc(owner, (size_t)buckets * (size_t)rf * sizeof(int32_t));
    for (int32_t b = 0; b < buckets; b++) {
        json_t *r = json_array_get(arr, (size_t)b);
        if (!json_is_array(r) || (int32_t)json_array_size(r) != rf) return false;
        for (int32_t i = 0; i < rf; i++)
            out->replicas[b * rf + i] = (int32_t)json_integer_value(json_array_get(r, (size_t)i));
    }
    return true;
}

/* ---- names -------------------------------------------------------------------------------- */

const char *fl_catalog_invalid_name(fl_arena_t *a, const char *name) {
    if (!name) return "null string is not allowed";
    if (!*name) return "the empty string is not allowed";
    if (!strcmp(name, ".")) return "'.' is not allowed";
    if (!strcmp(name, "..")) return "'..' is not allowed";
    if (strlen(name) > 200)
        return fl_arena_sprintf(a, "the length of '%s' is longer than the max allowed length 200", name);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return fl_arena_sprintf(a,
                                    "'%s' contains one or more characters other than ASCII "
                                    "alphanumerics, '_' and '-'",
                                    name);
    if (!strncmp(name, "__", 2))
        return "'__' is not allowed as prefix, since it is reserved for internal "
               "databases/internal tables/internal partitions in Fluss server";
    return NULL;
}

/* ---- in-memory indexes ---------------------------------------------------------------------- */

static int fl_db_cmp(const fl_catalog_t *cat, size_t i, const char *name) {
    return strcmp(cat->dbs[i]->name, name);
}

static size_t fl_db_pos(const fl_catalog_t *cat, const char *name, bool *found) {
    size_t lo = 0, hi = cat->n_dbs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = fl_db_cmp(cat, mid, name);
        if (!c) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

static int fl_tbl_cmp(const fl_table_t *t, const char *db, const char *name) {
    int c = strcmp(t->db, db);
    return c ? c : strcmp(t->name, name);
}

static size_t fl_tbl_pos(const fl_catalog_t *cat, const char *db, const char *name, bool *found) {
    size_t lo = 0, hi = cat->n_tables;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = fl_tbl_cmp(cat->tables[mid], db, name);
        if (!c) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

static void fl_db_insert(fl_catalog_t *cat, fl_database_t *db) {
    bool found;
    size_t i = fl_db_pos(cat, db->name, &found);
    if (cat->n_dbs == cat->cap_dbs) {
        cat->cap_dbs = cat->cap_dbs ? cat->cap_dbs * 2 : 8;
        cat->dbs = fl_realloc(cat->dbs, cat->cap_dbs * sizeof(*cat->dbs));
    }
    memmove(&cat->dbs[i + 1], &cat->dbs[i], (cat->n_dbs - i) * sizeof(*cat->dbs));
    cat->dbs[i] = db;
    cat->n_dbs++;
}

static void fl_db_remove(fl_catalog_t *cat, const char *name) {
    bool found;
    size_t i = fl_db_pos(cat, name, &found);
    if (!found) return;
    fl_arena_destroy(cat->dbs[i]->arena);
    fl_free(cat->dbs[i]);
    memmove(&cat->dbs[i], &cat->dbs[i + 1], (cat->n_dbs - i - 1) * sizeof(*cat->dbs));
    cat->n_dbs--;
}

static void fl_tbl_insert(fl_catalog_t *cat, fl_table_t *t) {
    bool found;
    size_t i = fl_tbl_pos(cat, t->db, t->name, &found);
    if (cat->n_tables == cat->cap_tables) {
        cat->cap_tables = cat->cap_tables ? cat->cap_tables * 2 : 16;
        cat->tables = fl_realloc(cat->tables, cat->cap_tables * sizeof(*cat->tables));
    }
    memmove(&cat->tables[i + 1], &cat->tables[i], (cat->n_tables - i) * sizeof(*cat->tables));
    cat->tables[i] = t;
    cat->n_tables++;
}

static void fl_tbl_free(fl_table_t *t) {
    fl_free(t->parts);
    fl_free(t->lake.offsets);
    fl_arena_destroy(t->arena);
}

static void fl_tbl_remove(fl_catalog_t *cat, fl_table_t *t) {
    for (size_t i = 0; i < cat->n_tables; i++) {
        if (cat->tables[i] == t) {
            memmove(&cat->tables[i], &cat->tables[i + 1],
                    (cat->n_tables - i - 1) * sizeof(*cat->tables));
            cat->n_tables--;
            fl_tbl_free(t);
            fl_free(t);
            return;
        }
    }
}

const fl_database_t *fl_catalog_database(const fl_catalog_t *cat, const char *name) {
    bool found;
    size_t i = fl_db_pos(cat, name, &found);
    return found ? cat->dbs[i] : NULL;
}

size_t fl_catalog_database_count(const fl_catalog_t *cat) {
    return cat->n_dbs;
}

const fl_database_t *fl_catalog_database_at(const fl_catalog_t *cat, size_t i) {
    return i < cat->n_dbs ? cat->dbs[i] : NULL;
}

const fl_table_t *fl_catalog_table(const fl_catalog_t *cat, const char *db, const char *name) {
    bool found;
    size_t i = fl_tbl_pos(cat, db, name, &found);
    return found ? cat->tables[i] : NULL;
}

const fl_table_t *fl_catalog_table_by_id(const fl_catalog_t *cat, int64_t id) {
    for (size_t i = 0; i < cat->n_tables; i++)
        if (cat->tables[i]->id == id) return cat->tables[i];
    return NULL;
}

const fl_table_t *fl_catalog_table_in(const fl_catalog_t *cat, const char *db, size_t i) {
    bool found;
    size_t start = fl_tbl_pos(cat, db, "", &found);
    if (start + i < cat->n_tables && !strcmp(cat->tables[start + i]->db, db))
        return cat->tables[start + i];
    return NULL;
}

size_t fl_catalog_table_count_in(const fl_catalog_t *cat, const char *db) {
    size_t n = 0;
    while (fl_catalog_table_in(cat, db, n)) n++;
    return n;
}

const fl_schema_t *fl_catalog_schema(const fl_table_t *t, int32_t schema_id) {
    for (size_t i = 0; i < t->n_schemas; i++)
        if (t->schemas[i].id == schema_id) return &t->schemas[i].schema;
    return NULL;
}

const fl_partition_t *fl_catalog_partition(const fl_table_t *t, const char *name) {
    for (size_t i = 0; i < t->n_parts; i++)
        if (!strcmp(t->parts[i].name, name)) return &t->parts[i];
    return NULL;
}

const fl_partition_t *fl_catalog_partition_by_id(const fl_catalog_t *cat, int64_t id,
                                                 const fl_table_t **table) {
    for (size_t i = 0; i < cat->n_tables; i++)
        for (size_t k = 0; k < cat->tables[i]->n_parts; k++)
            if (cat->tables[i]->parts[k].id == id) {
                if (table) *table = cat->tables[i];
                return &cat->tables[i]->parts[k];
            }
    return NULL;
}

static fl_partition_t *fl_part_add(fl_table_t *t, int64_t id, const char *name, int64_t created) {
    if (t->n_parts == t->cap_parts) {
        t->cap_parts = t->cap_parts ? t->cap_parts * 2 : 8;
        t->parts = fl_realloc(t->parts, t->cap_parts * sizeof(*t->parts));
    }
    size_t i = t->n_parts;
    while (i > 0 && t->parts[i - 1].id > id) i--;
    memmove(&t->parts[i + 1], &t->parts[i], (t->n_parts - i) * sizeof(*t->parts));
    t->parts[i].id = id;
    t->parts[i].name = fl_arena_strndup(t->arena, name, strlen(name));
    t->parts[i].created_ms = created;
    memset(&t->parts[i].assign, 0, sizeof(t->parts[i].assign));
    t->n_parts++;
    return &t->parts[i];
}

static void fl_part_del(fl_table_t *t, int64_t id) {
    for (size_t i = 0; i < t->n_parts; i++) {
        if (t->parts[i].id == id) {
            memmove(&t->parts[i], &t->parts[i + 1], (t->n_parts - i - 1) * sizeof(*t->parts));
            t->n_parts--;
            return;
        }
    }
}

/* ---- store records ------------------------------------------------------------------------ */

static void fl_key(char *out, size_t len, const char *fmt, ...) FL_PRINTF(3, 4);
static void fl_key(char *out, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

static void fl_jstr(fl_buf_t *b, const char *s) {
    /* names are validated ([A-Za-z0-9_-]); partition names too; nothing to escape */
    fl_buf_put_u8(b, '"');
    fl_buf_put(b, s, strlen(s));
    fl_buf_put_u8(b, '"');
}

static void fl_rec_db(fl_buf_t *b, const fl_database_t *db) {
    char num[64];
    fl_buf_put(b, "{\"version\":1,\"descriptor\":", 26);
    fl_db_desc_write(&db->desc, b);
    snprintf(num, sizeof(num), ",\"created_time\":%" PRId64 ",\"modified_time\":%" PRId64 "}",
             db->created_ms, db->modified_ms);
    fl_buf_put(b, num, strlen(num));
}

static void fl_rec_table(fl_buf_t *b, const fl_table_t *t) {
    char num[128];
    fl_buf_put(b, "{\"version\":1,\"database\":", 24);
    fl_jstr(b, t->db);
    fl_buf_put(b, ",\"table\":", 9);
    fl_jstr(b, t->name);
    snprintf(num, sizeof(num), ",\"schema_id\":%d,\"descriptor\":", t->schema_id);
    fl_buf_put(b, num, strlen(num));
    fl_table_desc_write(&t->desc, b);
    if (t->assign.replicas) {
        fl_buf_put(b, ",\"replicas\":", 12);
        fl_assign_write(b, &t->assign, t->desc.bucket_count);
    }
    snprintf(num, sizeof(num), ",\"created_time\":%" PRId64 ",\"modified_time\":%" PRId64 "}",
             t->created_ms, t->modified_ms);
    fl_buf_put(b, num, strlen(num));
}

static void fl_batch_put_buf(fl_meta_batch_t *batch, const char *key, const fl_buf_t *b) {
    fl_meta_batch_put(batch, key, b->p, b->len);
}

static void fl_batch_seq(fl_meta_batch_t *batch, const char *key, int64_t next) {
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, next);
    fl_meta_batch_put_str(batch, key, v);
}

static fl_err_t fl_commit(fl_catalog_t *cat, fl_arena_t *a, fl_meta_batch_t *batch,
                          const char **why) {
    fl_err_t err = fl_metastore_write(cat->ms, batch);
    fl_meta_batch_free(batch);
    if (err) *why = fl_arena_sprintf(a, "metadata store write failed: %s", cat->ms->last_error);
    return err;
}

/* ---- loading ------------------------------------------------------------------------------ */

typedef struct fl_load_s {
    fl_catalog_t *cat;
    const char *why;
    char whybuf[512];
} fl_load_t;

static json_t *fl_load_json(fl_load_t *ld, const uint8_t *k, size_t kl, const uint8_t *v,
                            size_t vl) {
    json_error_t err;
    json_t *root = json_loadb((const char *)v, vl, 0, &err);
    if (!root || !json_is_object(root)) {
        snprintf(ld->whybuf, sizeof(ld->whybuf), "corrupt metadata record %.*s: %s", (int)kl,
                 (const char *)k, root ? "not an object" : err.text);
        ld->why = ld->whybuf;
        json_decref(root);
        return NULL;
    }
    return root;
}

static char *fl_sub_json(json_t *root, const char *key) {
    json_t *v = json_object_get(root, key);
    return v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
}

static bool fl_load_seq(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    fl_load_t *ld = arg;
    char key[64], val[32];
    snprintf(key, sizeof(key), "%.*s", (int)kl, (const char *)k);
    snprintf(val, sizeof(val), "%.*s", (int)vl, (const char *)v);
    int64_t n = strtoll(val, NULL, 10);
    if (!strcmp(key, "seq/table_id")) ld->cat->next_table_id = n;
    else if (!strcmp(key, "seq/partition_id")) ld->cat->next_partition_id = n;
    return true;
}

static bool fl_load_db(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    fl_load_t *ld = arg;
    json_t *root = fl_load_json(ld, k, kl, v, vl);
    if (!root) return false;
    fl_database_t *db = fl_calloc(1, sizeof(*db));
    db->arena = fl_arena_new(0);
    db->name = fl_arena_strndup(db->arena, (const char *)k + 3, kl - 3);
    char *desc = fl_sub_json(root, "descriptor");
    const char *why = NULL;
    if (!desc || fl_db_desc_parse(db->arena, desc, strlen(desc), &db->desc, &why)) {
        snprintf(ld->whybuf, sizeof(ld->whybuf), "corrupt database record %s: %s", db->name,
                 why ? why : "no descriptor");
        ld->why = ld->whybuf;
        free(desc);
        json_decref(root);
        fl_arena_destroy(db->arena);
        fl_free(db);
        return false;
    }
    free(desc);
    db->created_ms = json_integer_value(json_object_get(root, "created_time"));
    db->modified_ms = json_integer_value(json_object_get(root, "modified_time"));
    json_decref(root);
    fl_db_insert(ld->cat, db);
    return true;
}

static bool fl_load_table(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    fl_load_t *ld = arg;
    json_t *root = fl_load_json(ld, k, kl, v, vl);
    if (!root) return false;
    fl_table_t *t = fl_calloc(1, sizeof(*t));
    t->arena = fl_arena_new(0);
    char idbuf[32];
    snprintf(idbuf, sizeof(idbuf), "%.*s", (int)(kl > 6 ? kl - 6 : 0), (const char *)k + 6);
    t->id = strtoll(idbuf, NULL, 10); /* keys are not NUL-terminated */
    const char *dbn = json_string_value(json_object_get(root, "database"));
    const char *tn = json_string_value(json_object_get(root, "table"));
    char *desc = fl_sub_json(root, "descriptor");
    const char *why = NULL;
    if (!dbn || !tn || !desc ||
        fl_table_desc_parse(t->arena, desc, strlen(desc), &t->desc, &why)) {
        snprintf(ld->whybuf, sizeof(ld->whybuf), "corrupt table record %.*s: %s", (int)kl,
                 (const char *)k, why ? why : "missing fields");
        ld->why = ld->whybuf;
        free(desc);
        json_decref(root);
        fl_tbl_free(t);
        fl_free(t);
        return false;
    }
    free(desc);
    t->db = fl_arena_strndup(t->arena, dbn, strlen(dbn));
    t->name = fl_arena_strndup(t->arena, tn, strlen(tn));
    t->schema_id = (int32_t)json_integer_value(json_object_get(root, "schema_id"));
    t->created_ms = json_integer_value(json_object_get(root, "created_time"));
    t->modified_ms = json_integer_value(json_object_get(root, "modified_time"));
    t->lake.snapshot_id = -1;
    json_t *reps = json_object_get(root, "replicas");
    if (reps && !fl_assign_read(t->arena, reps, t->desc.bucket_count, &t->assign)) {
        snprintf(ld->whybuf, sizeof(ld->whybuf), "corrupt replica assignment in %.*s", (int)kl,
                 (const char *)k);
        ld->why = ld->whybuf;
        json_decref(root);
        fl_tbl_free(t);
        fl_free(t);
        return false;
    }
    json_decref(root);
    fl_tbl_insert(ld->cat, t);
    return true;
}

static fl_table_t *fl_tbl_by_id_mut(fl_catalog_t *cat, int64_t id) {
    return (fl_table_t *)fl_catalog_table_by_id(cat, id);
}

static bool fl_load_schema(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    fl_load_t *ld = arg;
    char key[96];
    snprintf(key, sizeof(key), "%.*s", (int)kl, (const char *)k);
    long long tid = 0;
    int sid = 0;
    if (sscanf(key, "schema/%lld/%d", &tid, &sid) != 2) return true;
    fl_table_t *t = fl_tbl_by_id_mut(ld->cat, tid);
    if (!t) {
        fl_log_warn("catalog", "schema record %s of a table that does not exist; ignored", key);
        return true;
    }
    fl_schema_t s;
    const char *why = NULL;
    if (fl_schema_parse(t->arena, v, vl, &s, &why)) {
        snprintf(ld->whybuf, sizeof(ld->whybuf), "corrupt schema record %s: %s", key, why);
        ld->why = ld->whybuf;
        return false;
    }
    fl_schema_ver_t *vs = fl_arena_alloc(t->arena, (t->n_schemas + 1) * sizeof(*vs));
    if (t->n_schemas) memcpy(vs, t->schemas, t->n_schemas * sizeof(*vs));
    size_t i = t->n_schemas;
    while (i > 0 && vs[i - 1].id > sid) {
        vs[i] = vs[i - 1];
        i--;
    }
    vs[i].id = sid;
    vs[i].schema = s;
    t->schemas = vs;
    t->n_schemas++;
    return true;
}

static bool fl_load_lake(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg) {
    fl_load_t *ld = arg;
    char key[64];
    snprintf(key, sizeof(key), "%.*s", (int)kl, (const char *)k);
    long long tid = 0;
    if (sscanf(key, "lake/%lld", &tid) != 1) return true;
    fl_table_t *t = fl_tbl_by_id_mut(ld->cat, tid);
    json_t *root = fl_load_json(ld, k, kl, v, vl);
    if (!root) return false;
    if (t) {
        t->lake.snapshot_id = json_integer_value(json_object_get(root, "snapshot_id"));
        json_t *arr = json_object_get(root, "offsets");
        size_t n = json_array_size(arr);
        t->lake.offsets = fl_calloc(n ? n : 1, sizeof(fl_lake_offset_t));
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_array_get(arr, i);
            t->lake.offsets[i].partition_id = json_integer_value(json_object_get(o, "partition_id"));
            t->lake.offsets[i].bucket = (int32_t)json_integer_value(json_object_get(o, "bucket"));
            t->lake.offsets[i].offset = json_integer_value(json_object_get(o, "offset"));
            t->lake.offsets[i].max_ts = json_integer_value(json_object_get(o, "max_ts"));
        }
        t->lake.n = n;
    }
    json_decref(root);
    return true;
}

static bool fl_load_partition(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                              void *arg) {
    fl_load_t *ld = arg;
    char key[96];
    snprintf(key, sizeof(key), "%.*s", (int)kl, (const char *)k);
    long long tid = 0, pid = 0;
    if (sscanf(key, "partition/%lld/%lld", &tid, &pid) != 2) return true;
    fl_table_t *t = fl_tbl_by_id_mut(ld->cat, tid);
    json_t *root = fl_load_json(ld, k, kl, v, vl);
    if (!root) return false;
    const char *name = json_string_value(json_object_get(root, "name"));
    if (t && name) {
        fl_partition_t *p =
            fl_part_add(t, pid, name, json_integer_value(json_object_get(root, "created_time")));
        json_t *reps = json_object_get(root, "replicas");
        if (reps && !fl_assign_read(t->arena, reps, t->desc.bucket_count, &p->assign)) {
            snprintf(ld->whybuf, sizeof(ld->whybuf), "corrupt replica assignment in %s", key);
            ld->why = ld->whybuf;
            json_decref(root);
            return false;
        }
    }
    json_decref(root);
    return true;
}

/* ---- open / free --------------------------------------------------------------------------- */

static fl_err_t fl_create_db_locked(fl_catalog_t *cat, fl_arena_t *a, const char *name,
                                    const fl_db_desc_t *desc, const char **why);

fl_catalog_t *fl_catalog_open(fl_metastore_t *ms, const fl_catalog_opts_t *opts,
                              const char **why) {
    fl_catalog_t *cat = fl_calloc(1, sizeof(*cat));
    cat->ms = ms;
    cat->opts = *opts;
    if (opts->datalake_format) {
        cat->datalake_format = fl_strdup(opts->datalake_format);
        for (char *c = cat->datalake_format; *c; c++) *c = (char)tolower((unsigned char)*c);
        cat->opts.datalake_format = cat->datalake_format;
    }
    static __thread fl_load_t ld;
    memset(&ld, 0, sizeof(ld));
    ld.cat = cat;
    fl_err_t err = FL_ERR_NONE;
    if (!err) err = fl_metastore_scan(ms, "seq/", fl_load_seq, &ld);
    if (!err && !ld.why) err = fl_metastore_scan(ms, "db/", fl_load_db, &ld);
    if (!err && !ld.why) err = fl_metastore_scan(ms, "table/", fl_load_table, &ld);
    if (!err && !ld.why) err = fl_metastore_scan(ms, "schema/", fl_load_schema, &ld);
    if (!err && !ld.why) err = fl_metastore_scan(ms, "partition/", fl_load_partition, &ld);
    if (!err && !ld.why) err = fl_metastore_scan(ms, "lake/", fl_load_lake, &ld);
    if (err && !ld.why) {
        snprintf(ld.whybuf, sizeof(ld.whybuf), "cannot read the metadata store: %s",
                 ms->last_error);
        ld.why = ld.whybuf;
    }
    for (size_t i = 0; !ld.why && i < cat->n_tables; i++) {
        fl_table_t *t = cat->tables[i];
        if (!fl_catalog_schema(t, t->schema_id)) {
            snprintf(ld.whybuf, sizeof(ld.whybuf), "table %s.%s (id %" PRId64 ") has no schema %d",
                     t->db, t->name, t->id, t->schema_id);
            ld.why = ld.whybuf;
        }
        if (t->id >= cat->next_table_id) cat->next_table_id = t->id + 1;
        for (size_t k = 0; k < t->n_parts; k++)
            if (t->parts[k].id >= cat->next_partition_id) cat->next_partition_id = t->parts[k].id + 1;
    }
    if (ld.why) {
        *why = ld.why;
        fl_catalog_free(cat);
        return NULL;
    }
    if (cat->n_dbs == 0) {
        /* CoordinatorServer#createDefaultDatabase: the Flink catalog's default database */
        fl_arena_t *a = fl_arena_new(0);
        fl_db_desc_t desc = {0};
        const char *w = NULL;
        if (fl_create_db_locked(cat, a, "fluss", &desc, &w)) {
            snprintf(ld.whybuf, sizeof(ld.whybuf), "cannot create the default database: %s", w);
            *why = ld.whybuf;
            fl_arena_destroy(a);
            fl_catalog_free(cat);
            return NULL;
        }
        fl_arena_destroy(a);
    }
    fl_log_info("catalog", "loaded %zu database(s), %zu table(s); next table id %" PRId64
                           ", next partition id %" PRId64,
                cat->n_dbs, cat->n_tables, cat->next_table_id, cat->next_partition_id);
    return cat;
}

void fl_catalog_free(fl_catalog_t *cat) {
    if (!cat) return;
    for (size_t i = 0; i < cat->n_dbs; i++) {
        fl_arena_destroy(cat->dbs[i]->arena);
        fl_free(cat->dbs[i]);
    }
    for (size_t i = 0; i < cat->n_tables; i++) {
        fl_tbl_free(cat->tables[i]);
        fl_free(cat->tables[i]);
    }
    fl_free(cat->dbs);
    fl_free(cat->tables);
    fl_free(cat->datalake_format);
    fl_free(cat->servers);
    fl_free(cat);
}

/* ---- databases ---------------------------------------------------------------------------- */

static fl_err_t fl_create_db_locked(fl_catalog_t *cat, fl_arena_t *a, const char *name,
                                    const fl_db_desc_t *desc, const char **why) {
    fl_database_t *db = fl_calloc(1, sizeof(*db));
    db->arena = fl_arena_new(0);
    db->name = fl_arena_strndup(db->arena, name, strlen(name));
    db->desc.comment = desc->comment ? fl_arena_strndup(db->arena, desc->comment, strlen(desc->comment)) : NULL;
    for (size_t i = 0; i < desc->custom_properties.n; i++)
        fl_kvs_set(db->arena, &db->desc.custom_properties, desc->custom_properties.items[i].key,
                   desc->custom_properties.items[i].value);
    db->created_ms = db->modified_ms = fl_now_ms();
    fl_buf_t b;
    fl_buf_init(&b);
    fl_rec_db(&b, db);
    char key[256];
    fl_key(key, sizeof(key), "db/%s", name);
    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_batch_put_buf(batch, key, &b);
    fl_buf_free(&b);
    fl_err_t err = fl_commit(cat, a, batch, why);
    if (err) {
        fl_arena_destroy(db->arena);
        fl_free(db);
        return err;
    }
    fl_db_insert(cat, db);
    return FL_ERR_NONE;
}

fl_err_t fl_catalog_create_database(fl_catalog_t *cat, fl_arena_t *a, const char *name,
                                    const void *json, size_t json_len, bool ignore_if_exists,
                                    const char **why) {
    const char *bad = fl_catalog_invalid_name(a, name);
    if (bad) FL_BAD(FL_ERR_INVALID_DATABASE_EXCEPTION, "Database name %s is invalid: %s", name, bad);
    fl_db_desc_t desc = {0};
    if (json && json_len) {
        const char *w = NULL;
        if (fl_db_desc_parse(a, json, json_len, &desc, &w))
            FL_BAD(FL_ERR_INVALID_DATABASE_EXCEPTION, "Invalid database descriptor: %s", w);
    }
    if (fl_catalog_database(cat, name)) {
        if (ignore_if_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_DATABASE_ALREADY_EXIST, "Database %s already exists.", name);
    }
    fl_err_t err = fl_create_db_locked(cat, a, name, &desc, why);
    if (!err) fl_log_info("catalog", "created database %s", name);
    return err;
}

static void fl_batch_drop_table(fl_meta_batch_t *batch, const fl_table_t *t) {
    char key[128];
    fl_key(key, sizeof(key), "table/%" PRId64, t->id);
    fl_meta_batch_del(batch, key);
    fl_key(key, sizeof(key), "lake/%" PRId64, t->id);
    fl_meta_batch_del(batch, key);
    for (size_t i = 0; i < t->n_schemas; i++) {
        fl_key(key, sizeof(key), "schema/%" PRId64 "/%d", t->id, t->schemas[i].id);
        fl_meta_batch_del(batch, key);
    }
    for (size_t i = 0; i < t->n_parts; i++) {
        fl_key(key, sizeof(key), "partition/%" PRId64 "/%" PRId64, t->id, t->parts[i].id);
        fl_meta_batch_del(batch, key);
    }
}

fl_err_t fl_catalog_drop_database(fl_catalog_t *cat, fl_arena_t *a, const char *name,
                                  bool ignore_if_not_exists, bool cascade, const char **why) {
    if (!fl_catalog_database(cat, name)) {
        if (ignore_if_not_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_DATABASE_NOT_EXIST, "Database %s does not exist.", name);
    }
    size_t n = fl_catalog_table_count_in(cat, name);
    if (n && !cascade) FL_BAD(FL_ERR_DATABASE_NOT_EMPTY, "Database %s is not empty.", name);
    fl_meta_batch_t *batch = fl_meta_batch_new();
    char key[256];
    fl_key(key, sizeof(key), "db/%s", name);
    fl_meta_batch_del(batch, key);
    for (size_t i = 0; i < n; i++) fl_batch_drop_table(batch, fl_catalog_table_in(cat, name, i));
    fl_err_t err = fl_commit(cat, a, batch, why);
    if (err) return err;
    while (n--) fl_tbl_remove(cat, (fl_table_t *)fl_catalog_table_in(cat, name, 0));
    fl_db_remove(cat, name);
    fl_log_info("catalog", "dropped database %s", name);
    return FL_ERR_NONE;
}

/* ---- tables ------------------------------------------------------------------------------- */

static fl_err_t fl_check_path(fl_arena_t *a, const char *db, const char *name, const char **why) {
    const char *bad = fl_catalog_invalid_name(a, db);
    if (bad) FL_BAD(FL_ERR_INVALID_DATABASE_EXCEPTION, "Database name %s is invalid: %s", db, bad);
    bad = fl_catalog_invalid_name(a, name);
    if (bad) FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION, "Table name %s is invalid: %s", name, bad);
    return FL_ERR_NONE;
}

static int fl_create_partition_locked(fl_catalog_t *cat, fl_table_t *t, const char *pname,
                                      const char **why, fl_arena_t *a);

fl_err_t fl_catalog_create_table(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                 const char *name, const void *json, size_t json_len,
                                 bool ignore_if_exists, const char **why) {
    fl_err_t err = fl_check_path(a, db, name, why);
    if (err) return err;
    fl_table_desc_t desc;
    const char *w = NULL;
    if (fl_table_desc_parse(a, json, json_len, &desc, &w))
        FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION, "Failed to parse table descriptor: %s", w);
    err = fl_table_prepare(a, &desc, &cat->opts, why);
    if (err) return err;
    if (!fl_catalog_database(cat, db))
        FL_BAD(FL_ERR_DATABASE_NOT_EXIST, "Database %s does not exist.", db);
    if (fl_catalog_table(cat, db, name)) {
        if (ignore_if_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_TABLE_ALREADY_EXIST, "Table %s.%s already exists.", db, name);
    }

    fl_table_t *t = fl_calloc(1, sizeof(*t));
    t->arena = fl_arena_new(0);
    t->id = cat->next_table_id;
    t->db = fl_arena_strndup(t->arena, db, strlen(db));
    t->name = fl_arena_strndup(t->arena, name, strlen(name));
    fl_table_desc_copy(t->arena, &desc, &t->desc);
    t->schema_id = 1;
    t->schemas = fl_arena_alloc(t->arena, sizeof(*t->schemas));
    t->schemas[0].id = 1;
    t->schemas[0].schema = t->desc.schema;
    t->n_schemas = 1;
    t->created_ms = t->modified_ms = fl_now_ms();
    t->lake.snapshot_id = -1;
    int32_t rf = 1;
    const char *rfs = fl_kvs_get(&t->desc.properties, "table.replication.factor");
    if (rfs) rf = atoi(rfs);
    if (t->desc.partition_keys.n == 0) {
        err = fl_assign(cat, t->arena, a, t->id, t->desc.bucket_count, rf, &t->assign, why);
        if (err) {
            fl_tbl_free(t);
            fl_free(t);
            return err;
        }
    } else if (rf > (int32_t)cat->n_servers) {
        fl_tbl_free(t);
        fl_free(t);
        FL_BAD(FL_ERR_INVALID_REPLICATION_FACTOR,
               "Replication factor: %d larger than available tablet servers: %zu.", rf,
               cat->n_servers);
    }

    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_buf_t b;
    fl_buf_init(&b);
    char key[128];
    fl_rec_table(&b, t);
    fl_key(key, sizeof(key), "table/%" PRId64, t->id);
    fl_batch_put_buf(batch, key, &b);
    fl_buf_reset(&b);
    fl_schema_write(&t->desc.schema, &b);
    fl_key(key, sizeof(key), "schema/%" PRId64 "/1", t->id);
    fl_batch_put_buf(batch, key, &b);
    fl_buf_free(&b);
    fl_batch_seq(batch, "seq/table_id", t->id + 1);
    err = fl_commit(cat, a, batch, why);
    if (err) {
        fl_tbl_free(t);
        fl_free(t);
        return err;
    }
    cat->next_table_id = t->id + 1;
    fl_tbl_insert(cat, t);
    fl_log_info("catalog", "created table %s.%s (id %" PRId64 ", %d bucket(s)%s)", db, name, t->id,
                t->desc.bucket_count, t->desc.schema.has_primary_key ? ", primary key" : "");

    /* auto partitions are created at once (Fluss's AutoPartitionManager does it on creation) */
    fl_auto_partition_t ap;
    fl_table_auto_partition(&t->desc, &ap);
    if (ap.enabled && ap.num_precreate > 0 && t->desc.partition_keys.n == 1) {
        int64_t now = fl_now_ms();
        for (int i = 0; i < ap.num_precreate; i++) {
            char pname[32];
            fl_auto_partition_name(ap.unit, ap.time_zone, now, i, pname, sizeof(pname));
            if (!fl_catalog_partition(t, pname) && fl_create_partition_locked(cat, t, pname, why, a))
                fl_log_warn("catalog", "auto partition %s of %s.%s not created: %s", pname, db,
                            name, *why);
        }
    }
    return FL_ERR_NONE;
}

fl_err_t fl_catalog_drop_table(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                               const char *name, bool ignore_if_not_exists, const char **why) {
    fl_table_t *t = (fl_table_t *)fl_catalog_table(cat, db, name);
    if (!t) {
        if (ignore_if_not_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_TABLE_NOT_EXIST, "Table %s.%s does not exist.", db, name);
    }
    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_batch_drop_table(batch, t);
    fl_err_t err = fl_commit(cat, a, batch, why);
    if (err) return err;
    fl_log_info("catalog", "dropped table %s.%s (id %" PRId64 ")", db, name, t->id);
    fl_tbl_remove(cat, t);
    return FL_ERR_NONE;
}

fl_err_t fl_catalog_alter_table(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                const char *name, const fl_alter_t *changes, size_t n,
                                bool ignore_if_not_exists, const char **why) {
    fl_err_t err = fl_check_path(a, db, name, why);
    if (err) return err;
    fl_table_t *t = (fl_table_t *)fl_catalog_table(cat, db, name);
    if (!t) {
        if (ignore_if_not_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_TABLE_NOT_EXIST, "Table %s.%s does not exist.", db, name);
    }
    /* work on a copy; install it only after the store has it */
    fl_table_desc_t nd;
    fl_table_desc_copy(a, &t->desc, &nd);
    const char *fmt = fl_kvs_get(&nd.properties, "table.datalake.format");
    for (size_t i = 0; i < n; i++) {
        const fl_alter_t *c = &changes[i];
        if (c->op != 0 && c->op != 1)
            FL_BAD(FL_ERR_INVALID_ALTER_TABLE_EXCEPTION, "Unsupported alter table change: op %d on '%s'.",
                   c->op, c->key);
        bool table_opt = !strncmp(c->key, "table.", 6);
        if (table_opt) {
            if (!fl_table_option_alterable(c->key))
                FL_BAD(FL_ERR_INVALID_ALTER_TABLE_EXCEPTION,
                       "The option '%s' is not supported to alter yet.", c->key);
            if (!fmt && !strcmp(c->key, "table.datalake.enabled"))
                FL_BAD(FL_ERR_INVALID_ALTER_TABLE_EXCEPTION,
                       "The option 'table.datalake.enabled' cannot be altered for tables that were"
                       " created before the Fluss cluster enabled datalake.");
            if (c->op == 0) {
                if (!c->value) FL_BAD(FL_ERR_INVALID_ALTER_TABLE_EXCEPTION, "SET '%s' needs a value.", c->key);
                err = fl_table_option_check(a, c->key, c->value, why);
                if (err) return err;
                fl_kvs_set(a, &nd.properties, c->key, c->value);
            } else {
                fl_kvs_del(&nd.properties, c->key);
            }
        } else {
            const char *lake_on = fl_kvs_get(&nd.properties, "table.datalake.enabled");
            if (fmt && lake_on && !strcasecmp(lake_on, "true") && !strncmp(c->key, fmt, strlen(fmt)) &&
                c->key[strlen(fmt)] == '.')
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "Property '%s' is not supported to alter which is for datalake table.", c->key);
            if (c->op == 0) {
                if (!c->value) FL_BAD(FL_ERR_INVALID_ALTER_TABLE_EXCEPTION, "SET '%s' needs a value.", c->key);
                fl_kvs_set(a, &nd.custom_properties, c->key, c->value);
            } else {
                fl_kvs_del(&nd.custom_properties, c->key);
            }
        }
    }
    fl_table_t tmp = *t;
    tmp.desc = nd;
    tmp.modified_ms = fl_now_ms();
    fl_buf_t b;
    fl_buf_init(&b);
    fl_rec_table(&b, &tmp);
    char key[128];
    fl_key(key, sizeof(key), "table/%" PRId64, t->id);
    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_batch_put_buf(batch, key, &b);
    fl_buf_free(&b);
    err = fl_commit(cat, a, batch, why);
    if (err) return err;
    /* install: copy into the table's own arena (the old copy stays there until drop) */
    fl_table_desc_copy(t->arena, &nd, &t->desc);
    t->schemas[t->n_schemas - 1].schema = t->desc.schema;
    t->modified_ms = tmp.modified_ms;
    fl_log_info("catalog", "altered %zu propert%s of %s.%s", n, n == 1 ? "y" : "ies", db, name);
    return FL_ERR_NONE;
}

/* ---- partitions --------------------------------------------------------------------------- */

size_t fl_partition_values(fl_arena_t *a, const char *name, const char ***values) {
    size_t n = 1;
    for (const char *p = name; *p; p++)
        if (*p == '$') n++;
    const char **vs = fl_arena_alloc(a, n * sizeof(char *));
    size_t i = 0;
    const char *start = name;
    for (const char *p = name;; p++) {
        if (*p == '$' || !*p) {
            vs[i++] = fl_arena_strndup(a, start, (size_t)(p - start));
            if (!*p) break;
            start = p + 1;
        }
    }
    *values = vs;
    return n;
}

/* Resolve a spec into the partition name; validate it as PartitionUtils#validatePartitionSpec. */
static fl_err_t fl_resolve_spec(fl_arena_t *a, const fl_table_t *t, const fl_kvs_t *spec,
                                bool is_create, const char **name, const char **why) {
    const fl_strs_t *keys = &t->desc.partition_keys;
    if (keys->n == 0)
        FL_BAD(FL_ERR_TABLE_NOT_PARTITIONED_EXCEPTION, "Table %s.%s is not a partitioned table.",
               t->db, t->name);
    if (spec->n != keys->n)
        FL_BAD(FL_ERR_PARTITION_SPEC_INVALID_EXCEPTION,
               "PartitionSpec size is not equal to partition keys size for partitioned table %s.%s.",
               t->db, t->name);
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < keys->n; i++) {
        const char *v = fl_kvs_get(spec, keys->items[i]);
        if (!v) {
            fl_buf_free(&b);
            FL_BAD(FL_ERR_PARTITION_SPEC_INVALID_EXCEPTION,
                   "PartitionSpec does not contain partition key '%s' for partitioned table %s.%s.",
                   keys->items[i], t->db, t->name);
        }
        const char *bad = fl_partition_value_invalid(a, v, is_create);
        if (bad) {
            fl_buf_free(&b);
            FL_BAD(FL_ERR_PARTITION_SPEC_INVALID_EXCEPTION,
                   "The partition value %s is invalid: %s", v, bad);
        }
        if (i) fl_buf_put_u8(&b, '$');
        fl_buf_put(&b, v, strlen(v));
    }
    *name = fl_arena_strndup(a, (const char *)b.p, b.len);
    fl_buf_free(&b);
    return FL_ERR_NONE;
}

static const char *fl_qualified(fl_arena_t *a, const fl_table_t *t, const char *pname) {
    const char **vs;
    size_t n = fl_partition_values(a, pname, &vs);
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < n && i < t->desc.partition_keys.n; i++) {
        if (i) fl_buf_put_u8(&b, '/');
        fl_buf_put(&b, t->desc.partition_keys.items[i], strlen(t->desc.partition_keys.items[i]));
        fl_buf_put_u8(&b, '=');
        fl_buf_put(&b, vs[i], strlen(vs[i]));
    }
    const char *s = fl_arena_strndup(a, (const char *)b.p, b.len);
    fl_buf_free(&b);
    return s;
}

static int fl_create_partition_locked(fl_catalog_t *cat, fl_table_t *t, const char *pname,
                                      const char **why, fl_arena_t *a) {
    if ((int64_t)t->n_parts + 1 > cat->opts.max_partition_num) {
        *why = fl_arena_sprintf(a,
                                "Exceed the maximum number of partitions for table %s.%s, only "
                                "allow %d partitions.",
                                t->db, t->name, cat->opts.max_partition_num);
        return FL_ERR_PARTITION_MAX_NUM_EXCEPTION;
    }
    int64_t total = (int64_t)t->desc.bucket_count * (int64_t)(t->n_parts + 1);
    if (total > cat->opts.max_bucket_num) {
        *why = fl_arena_sprintf(a,
                                "Adding partition '%s' would result in %" PRId64
                                " total buckets for table %s.%s, exceeding the maximum of %d buckets.",
                                pname, total, t->db, t->name, cat->opts.max_bucket_num);
        return FL_ERR_BUCKET_MAX_NUM_EXCEPTION;
    }
    int64_t id = cat->next_partition_id;
    int64_t now = fl_now_ms();
    const char *rfs = fl_kvs_get(&t->desc.properties, "table.replication.factor");
    fl_assignment_t as;
    fl_err_t err = fl_assign(cat, a, a, id, t->desc.bucket_count, rfs ? atoi(rfs) : 1, &as, why);
    if (err) return err;
    char key[128], head[512];
    fl_key(key, sizeof(key), "partition/%" PRId64 "/%" PRId64, t->id, id);
    snprintf(head, sizeof(head),
             "{\"version\":1,\"name\":\"%s\",\"created_time\":%" PRId64 ",\"replicas\":", pname, now);
    fl_buf_t rec;
    fl_buf_init(&rec);
    fl_buf_put(&rec, head, strlen(head));
    fl_assign_write(&rec, &as, t->desc.bucket_count);
    fl_buf_put(&rec, "}", 1);
    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_batch_put_buf(batch, key, &rec);
    fl_buf_free(&rec);
    fl_batch_seq(batch, "seq/partition_id", id + 1);
    err = fl_commit(cat, a, batch, why);
    if (err) return err;
    cat->next_partition_id = id + 1;
    fl_partition_t *p = fl_part_add(t, id, pname, now);
    size_t nrep = (size_t)t->desc.bucket_count * (size_t)as.rf;
    p->assign.rf = as.rf;
    p->assign.replicas = fl_arena_alloc(t->arena, nrep * sizeof(int32_t));
    memcpy(p->assign.replicas, as.replicas, nrep * sizeof(int32_t));
    fl_log_info("catalog", "created partition %s of %s.%s (id %" PRId64 ")", pname, t->db, t->name, id);
    return FL_ERR_NONE;
}

fl_err_t fl_catalog_create_partition(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                     const char *name, const fl_kvs_t *spec,
                                     bool ignore_if_exists, const char **why) {
    fl_err_t err = fl_check_path(a, db, name, why);
    if (err) return err;
    fl_table_t *t = (fl_table_t *)fl_catalog_table(cat, db, name);
    if (!t) FL_BAD(FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.", db, name);
    const char *pname;
    err = fl_resolve_spec(a, t, spec, true, &pname, why);
    if (err) return err;
    if (fl_catalog_partition(t, pname)) {
        if (ignore_if_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_PARTITION_ALREADY_EXISTS, "Partition '%s' already exists for table %s.%s",
               fl_qualified(a, t, pname), db, name);
    }
    return (fl_err_t)fl_create_partition_locked(cat, t, pname, why, a);
}

static fl_err_t fl_drop_partition_locked(fl_catalog_t *cat, fl_arena_t *a, fl_table_t *t,
                                         const fl_partition_t *p, const char **why) {
    char key[128];
    fl_key(key, sizeof(key), "partition/%" PRId64 "/%" PRId64, t->id, p->id);
    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_meta_batch_del(batch, key);
    fl_err_t err = fl_commit(cat, a, batch, why);
    if (err) return err;
    fl_log_info("catalog", "dropped partition %s of %s.%s (id %" PRId64 ")", p->name, t->db,
                t->name, p->id);
    fl_part_del(t, p->id);
    return FL_ERR_NONE;
}

fl_err_t fl_catalog_drop_partition(fl_catalog_t *cat, fl_arena_t *a, const char *db,
                                   const char *name, const fl_kvs_t *spec,
                                   bool ignore_if_not_exists, const char **why) {
    fl_err_t err = fl_check_path(a, db, name, why);
    if (err) return err;
    fl_table_t *t = (fl_table_t *)fl_catalog_table(cat, db, name);
    if (!t) FL_BAD(FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.", db, name);
    const char *pname;
    err = fl_resolve_spec(a, t, spec, false, &pname, why);
    if (err) return err;
    const fl_partition_t *p = fl_catalog_partition(t, pname);
    if (!p) {
        if (ignore_if_not_exists) return FL_ERR_NONE;
        FL_BAD(FL_ERR_PARTITION_NOT_EXISTS, "Partition '%s' does not exist for table %s.%s",
               fl_qualified(a, t, pname), db, name);
    }
    return fl_drop_partition_locked(cat, a, t, p, why);
}

int fl_catalog_auto_partition(fl_catalog_t *cat, int64_t now_ms) {
    int changed = 0;
    fl_arena_t *a = fl_arena_new(0);
    for (size_t i = 0; i < cat->n_tables; i++) {
        fl_table_t *t = cat->tables[i];
        fl_auto_partition_t ap;
        fl_table_auto_partition(&t->desc, &ap);
        if (!ap.enabled || !ap.key) continue;
        int key_idx = -1;
        for (size_t k = 0; k < t->desc.partition_keys.n; k++)
            if (!strcmp(t->desc.partition_keys.items[k], ap.key)) key_idx = (int)k;
        if (key_idx < 0) continue;
        const char *why = NULL;
        if (t->desc.partition_keys.n == 1) {
            for (int off = 0; off < ap.num_precreate; off++) {
                char pname[32];
                fl_auto_partition_name(ap.unit, ap.time_zone, now_ms, off, pname, sizeof(pname));
                if (fl_catalog_partition(t, pname)) continue;
                if (fl_create_partition_locked(cat, t, pname, &why, a) == 0) changed++;
                else fl_log_warn("catalog", "auto partition %s of %s.%s: %s", pname, t->db, t->name, why);
            }
        }
        if (ap.num_retention <= 0) continue;
        char oldest[32];
        fl_auto_partition_name(ap.unit, ap.time_zone, now_ms, -ap.num_retention, oldest, sizeof(oldest));
        for (size_t k = 0; k < t->n_parts;) {
            const char **vs;
            size_t nv = fl_partition_values(a, t->parts[k].name, &vs);
            const char *v = (size_t)key_idx < nv ? vs[key_idx] : NULL;
            /* auto-partition values are fixed-width digits, so string order is time order */
            if (v && strlen(v) == strlen(oldest) && strcmp(v, oldest) < 0 &&
                fl_drop_partition_locked(cat, a, t, &t->parts[k], &why) == 0) {
                changed++;
                continue;
            }
            k++;
        }
    }
    fl_arena_destroy(a);
    return changed;
}

/* ---- table JSON for clients -------------------------------------------------------------------- */

typedef struct fl_lake_props_s {
    fl_arena_t *a;
    fl_kvs_t *props;
    size_t prefix_len;
    const char *fmt;
} fl_lake_props_t;

static void fl_add_lake_prop(const char *key, const char *value, void *arg) {
    fl_lake_props_t *lp = arg;
    const char *k = key + lp->prefix_len;
    if (strcasestr(k, "password") || strcasestr(k, "secret")) return;
    char *full = fl_arena_sprintf(lp->a, "table.datalake.%s.%s", lp->fmt, k);
    fl_kvs_set(lp->a, lp->props, full, value);
}

void fl_catalog_table_json(const fl_catalog_t *cat, const fl_config_t *conf, const fl_table_t *t,
                           fl_buf_t *out) {
    const char *en = fl_kvs_get(&t->desc.properties, "table.datalake.enabled");
    if (!conf || !cat->datalake_format || !en || strcasecmp(en, "true")) {
        fl_table_desc_write(&t->desc, out);
        return;
    }
    fl_arena_t *a = fl_arena_new(0);
    fl_table_desc_t d = t->desc;
    fl_kvs_t props = {0};
    for (size_t i = 0; i < d.properties.n; i++)
        fl_kvs_set(a, &props, d.properties.items[i].key, d.properties.items[i].value);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "datalake.%s.", cat->datalake_format);
    fl_lake_props_t lp = {a, &props, strlen(prefix), cat->datalake_format};
    fl_config_each(conf, prefix, fl_add_lake_prop, &lp);
    d.properties = props;
    fl_table_desc_write(&d, out);
    fl_arena_destroy(a);
}

/* ---- lake bookkeeping ----------------------------------------------------------------------- */

int64_t fl_catalog_lake_offset(const fl_table_t *t, int64_t partition_id, int32_t bucket) {
    for (size_t i = 0; i < t->lake.n; i++)
        if (t->lake.offsets[i].partition_id == partition_id && t->lake.offsets[i].bucket == bucket)
            return t->lake.offsets[i].offset;
    return 0;
}

fl_err_t fl_catalog_lake_commit(fl_catalog_t *cat, fl_arena_t *a, int64_t table_id,
                                int64_t snapshot_id, const fl_lake_offset_t *offsets, size_t n,
                                const char **why) {
    fl_table_t *t = fl_tbl_by_id_mut(cat, table_id);
    if (!t) FL_BAD(FL_ERR_TABLE_NOT_EXIST, "Table id %" PRId64 " does not exist.", table_id);
    /* merge: previous offsets, overwritten by the new ones; buckets of dropped partitions go */
    size_t cap = t->lake.n + n;
    fl_lake_offset_t *m = fl_calloc(cap ? cap : 1, sizeof(*m));
    size_t mn = 0;
    for (size_t i = 0; i < t->lake.n; i++) {
        const fl_lake_offset_t *o = &t->lake.offsets[i];
        if (o->partition_id >= 0 && !fl_catalog_partition_by_id(cat, o->partition_id, NULL)) continue;
        m[mn++] = *o;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < mn && !(m[j].partition_id == offsets[i].partition_id && m[j].bucket == offsets[i].bucket)) j++;
        if (j == mn) mn++;
        m[j] = offsets[i];
    }
    int64_t sid = snapshot_id >= 0 ? snapshot_id : t->lake.snapshot_id;
    fl_buf_t b;
    fl_buf_init(&b);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "{\"version\":1,\"snapshot_id\":%" PRId64 ",\"offsets\":[", sid);
    fl_buf_put(&b, tmp, strlen(tmp));
    for (size_t i = 0; i < mn; i++) {
        snprintf(tmp, sizeof(tmp),
                 "%s{\"partition_id\":%" PRId64 ",\"bucket\":%d,\"offset\":%" PRId64 ",\"max_ts\":%" PRId64 "}",
                 i ? "," : "", m[i].partition_id, m[i].bucket, m[i].offset, m[i].max_ts);
        fl_buf_put(&b, tmp, strlen(tmp));
    }
    fl_buf_put(&b, "]}", 2);
    char key[64];
    fl_key(key, sizeof(key), "lake/%" PRId64, table_id);
    fl_meta_batch_t *batch = fl_meta_batch_new();
    fl_batch_put_buf(batch, key, &b);
    fl_buf_free(&b);
    fl_err_t err = fl_commit(cat, a, batch, why);
    if (err) {
        fl_free(m);
        return err;
    }
    fl_free(t->lake.offsets);
    t->lake.offsets = m;
    t->lake.n = mn;
    t->lake.snapshot_id = sid;
    t->lake.updated_ms = fl_now_ms();
    return FL_ERR_NONE;
}
