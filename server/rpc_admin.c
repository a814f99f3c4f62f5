/* rpc_admin.c: databases, tables, schemas and partitions (fluss-rpc.md 3.2, 3.7): decode ->
 * coordinator/fl_catalog -> encode. The catalog answers with Fluss's error codes and texts. */
#include <string.h>
#include <strings.h>

#include "fl_server_int.h"
#include "fl_tablevalid.h"

#define REQ(type) const type *r = (const type *)req->body
#define CAT (req->conn->srv->catalog)

static void fl_rpc_done(fl_req_t *req, fl_err_t err, const char *why,
                        const ProtobufCMessage *ok) {
    if (err) fl_req_fail(req, err, "%s", why ? why : fl_err2str(err));
    else fl_req_respond(req, ok);
}

/* ---- databases ---------------------------------------------------------------------------- */

void fl_rpc_create_database(fl_req_t *req) {
    REQ(Fluss__CreateDatabaseRequest);
    const char *why = NULL;
    fl_err_t err = fl_catalog_create_database(
        CAT, req->arena, r->database_name, r->has_database_json ? r->database_json.data : NULL,
        r->has_database_json ? r->database_json.len : 0, r->ignore_if_exists, &why);
    Fluss__CreateDatabaseResponse resp = FLUSS__CREATE_DATABASE_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

void fl_rpc_drop_database(fl_req_t *req) {
    REQ(Fluss__DropDatabaseRequest);
    const char *why = NULL;
    fl_err_t err = fl_catalog_drop_database(CAT, req->arena, r->database_name,
                                            r->ignore_if_not_exists, r->cascade, &why);
    fl_server_notify_metadata(req->conn->srv);
    Fluss__DropDatabaseResponse resp = FLUSS__DROP_DATABASE_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

void fl_rpc_list_databases(fl_req_t *req) {
    REQ(Fluss__ListDatabasesRequest);
    Fluss__ListDatabasesResponse resp = FLUSS__LIST_DATABASES_RESPONSE__INIT;
    size_t n = fl_catalog_database_count(CAT);
    if (r->has_include_summary && r->include_summary) {
        resp.database_summary = fl_arena_alloc(req->arena, (n + 1) * sizeof(void *));
        for (size_t i = 0; i < n; i++) {
            const fl_database_t *db = fl_catalog_database_at(CAT, i);
            Fluss__PbDatabaseSummary *s = fl_arena_alloc(req->arena, sizeof(*s));
            fluss__pb_database_summary__init(s);
            s->database_name = (char *)db->name;
            s->created_time = db->created_ms;
            s->table_count = (int32_t)fl_catalog_table_count_in(CAT, db->name);
            resp.database_summary[resp.n_database_summary++] = s;
        }
    } else {
        resp.database_name = fl_arena_alloc(req->arena, (n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
            resp.database_name[resp.n_database_name++] = (char *)fl_catalog_database_at(CAT, i)->name;
    }
    fl_req_respond(req, &resp.base);
}

void fl_rpc_database_exists(fl_req_t *req) {
    REQ(Fluss__DatabaseExistsRequest);
    Fluss__DatabaseExistsResponse resp = FLUSS__DATABASE_EXISTS_RESPONSE__INIT;
    resp.exists = fl_catalog_database(CAT, r->database_name) != NULL;
    fl_req_respond(req, &resp.base);
}

void fl_rpc_get_database_info(fl_req_t *req) {
    REQ(Fluss__GetDatabaseInfoRequest);
    const fl_database_t *db = fl_catalog_database(CAT, r->database_name);
    if (!db) {
        fl_req_fail(req, FL_ERR_DATABASE_NOT_EXIST, "Database '%s' does not exist.", r->database_name);
        return;
    }
    fl_buf_t b;
    fl_buf_init(&b);
    fl_db_desc_write(&db->desc, &b);
    Fluss__GetDatabaseInfoResponse resp = FLUSS__GET_DATABASE_INFO_RESPONSE__INIT;
    resp.database_json.data = fl_arena_alloc(req->arena, b.len);
    memcpy(resp.database_json.data, b.p, b.len);
    resp.database_json.len = b.len;
    fl_buf_free(&b);
    resp.created_time = db->created_ms;
    resp.modified_time = db->modified_ms;
    fl_req_respond(req, &resp.base);
}

/* ---- tables ------------------------------------------------------------------------------- */

static const fl_table_t *fl_rpc_table(fl_req_t *req, const Fluss__PbTablePath *tp) {
    const fl_table_t *t = fl_catalog_table(CAT, tp->database_name, tp->table_name);
    if (!t)
        fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.",
                    tp->database_name, tp->table_name);
    return t;
}

static ProtobufCBinaryData fl_rpc_bytes(fl_req_t *req, const fl_buf_t *b) {
    ProtobufCBinaryData d;
    d.data = fl_arena_alloc(req->arena, b->len ? b->len : 1);
    memcpy(d.data, b->p, b->len);
    d.len = b->len;
    return d;
}

static bool fl_desc_lake_enabled(const fl_table_desc_t *d) {
    const char *en = fl_kvs_get(&d->properties, "table.datalake.enabled");
    return en && !strcasecmp(en, "true");
}

/* The lake table of a new lake-enabled table, before the Fluss table (Fluss's order). The
 * descriptor is prepared exactly as the catalog will store it; a request the catalog is going
 * to refuse (bad name or descriptor, missing database, existing table) skips this step and
 * gets the catalog's error. */
static fl_err_t fl_rpc_create_lake_table(fl_req_t *req, const Fluss__CreateTableRequest *r,
                                         const char **why) {
    fl_server_t *srv = req->conn->srv;
    const char *db = r->table_path->database_name, *name = r->table_path->table_name;
    if (fl_catalog_invalid_name(req->arena, db) || fl_catalog_invalid_name(req->arena, name) ||
        !fl_catalog_database(CAT, db) || fl_catalog_table(CAT, db, name))
        return FL_ERR_NONE;
    fl_table_desc_t desc;
    const char *w = NULL;
    if (fl_table_desc_parse(req->arena, r->table_json.data, r->table_json.len, &desc, &w) ||
        fl_table_prepare(req->arena, &desc, &srv->cat_opts, &w) || !fl_desc_lake_enabled(&desc))
        return FL_ERR_NONE;
    return fl_server_lake_create(srv, req->arena, db, name, &desc, true, why);
}

void fl_rpc_create_table(fl_req_t *req) {
    REQ(Fluss__CreateTableRequest);
    const char *why = NULL;
    fl_err_t err = fl_rpc_create_lake_table(req, r, &why);
    if (err) {
        fl_req_fail(req, err, "%s", why ? why : fl_err2str(err));
        return;
    }
    err = fl_catalog_create_table(CAT, req->arena, r->table_path->database_name,
                                           r->table_path->table_name, r->table_json.data,
                                           r->table_json.len, r->ignore_if_exists, &why);
    if (!err) fl_server_notify_metadata(req->conn->srv);
    Fluss__CreateTableResponse resp = FLUSS__CREATE_TABLE_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

void fl_rpc_drop_table(fl_req_t *req) {
    REQ(Fluss__DropTableRequest);
    const char *why = NULL;
    fl_err_t err = fl_catalog_drop_table(CAT, req->arena, r->table_path->database_name,
                                         r->table_path->table_name, r->ignore_if_not_exists, &why);
    if (!err) fl_server_notify_metadata(req->conn->srv);
    Fluss__DropTableResponse resp = FLUSS__DROP_TABLE_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

void fl_rpc_get_table_info(fl_req_t *req) {
    REQ(Fluss__GetTableInfoRequest);
    const fl_table_t *t = fl_rpc_table(req, r->table_path);
    if (!t) return;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_catalog_table_json(CAT, req->conn->srv->conf, t, &b);
    Fluss__GetTableInfoResponse resp = FLUSS__GET_TABLE_INFO_RESPONSE__INIT;
    resp.table_id = t->id;
    resp.schema_id = t->schema_id;
    resp.table_json = fl_rpc_bytes(req, &b);
    resp.created_time = t->created_ms;
    resp.modified_time = t->modified_ms;
    fl_buf_free(&b);
    fl_req_respond(req, &resp.base);
}

void fl_rpc_list_tables(fl_req_t *req) {
    REQ(Fluss__ListTablesRequest);
    if (!fl_catalog_database(CAT, r->database_name)) {
        fl_req_fail(req, FL_ERR_DATABASE_NOT_EXIST, "Database %s does not exist.", r->database_name);
        return;
    }
    size_t n = fl_catalog_table_count_in(CAT, r->database_name);
    Fluss__ListTablesResponse resp = FLUSS__LIST_TABLES_RESPONSE__INIT;
    resp.table_name = fl_arena_alloc(req->arena, (n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        resp.table_name[resp.n_table_name++] = (char *)fl_catalog_table_in(CAT, r->database_name, i)->name;
    fl_req_respond(req, &resp.base);
}

void fl_rpc_table_exists(fl_req_t *req) {
    REQ(Fluss__TableExistsRequest);
    Fluss__TableExistsResponse resp = FLUSS__TABLE_EXISTS_RESPONSE__INIT;
    resp.exists = fl_catalog_table(CAT, r->table_path->database_name, r->table_path->table_name) != NULL;
    fl_req_respond(req, &resp.base);
}

void fl_rpc_get_table_schema(fl_req_t *req) {
    REQ(Fluss__GetTableSchemaRequest);
    const fl_table_t *t = fl_rpc_table(req, r->table_path);
    if (!t) return;
    int32_t sid = r->has_schema_id ? r->schema_id : t->schema_id;
    const fl_schema_t *s = fl_catalog_schema(t, sid);
    if (!s) {
        fl_req_fail(req, FL_ERR_SCHEMA_NOT_EXIST, "Schema for table %s.%s with schema id %d does not exist.",
                    t->db, t->name, sid);
        return;
    }
    fl_buf_t b;
    fl_buf_init(&b);
    fl_schema_write(s, &b);
    Fluss__GetTableSchemaResponse resp = FLUSS__GET_TABLE_SCHEMA_RESPONSE__INIT;
    resp.schema_id = sid;
    resp.schema_json = fl_rpc_bytes(req, &b);
    fl_buf_free(&b);
    fl_req_respond(req, &resp.base);
}

/* AlterTable turning table.datalake.enabled on creates the lake table first (Fluss's
 * preAlterTableProperties), with the altered descriptor. Changes the catalog will refuse skip
 * this step and get the catalog's error. */
static fl_err_t fl_rpc_alter_lake_table(fl_req_t *req, const Fluss__AlterTableRequest *r,
                                        const fl_alter_t *ch, const char **why) {
    fl_server_t *srv = req->conn->srv;
    const char *db = r->table_path->database_name, *name = r->table_path->table_name;
    const fl_table_t *t = fl_catalog_table(CAT, db, name);
    if (!t || fl_desc_lake_enabled(&t->desc) ||
        !fl_kvs_get(&t->desc.properties, "table.datalake.format"))
        return FL_ERR_NONE;
    fl_table_desc_t nd;
    fl_table_desc_copy(req->arena, &t->desc, &nd);
    for (size_t i = 0; i < r->n_config_changes; i++) {
        const fl_alter_t *c = &ch[i];
        if ((c->op != 0 && c->op != 1) || (c->op == 0 && !c->value)) return FL_ERR_NONE;
        bool table_opt = !strncmp(c->key, "table.", 6);
        const char *w = NULL;
        if (table_opt && (!fl_table_option_alterable(c->key) ||
                          (c->op == 0 && fl_table_option_check(req->arena, c->key, c->value, &w))))
            return FL_ERR_NONE;
        fl_kvs_t *kvs = table_opt ? &nd.properties : &nd.custom_properties;
        if (c->op == 0) fl_kvs_set(req->arena, kvs, c->key, c->value);
        else fl_kvs_del(kvs, c->key);
    }
    if (!fl_desc_lake_enabled(&nd)) return FL_ERR_NONE;
    return fl_server_lake_create(srv, req->arena, db, name, &nd, false, why);
}

void fl_rpc_alter_table(fl_req_t *req) {
    REQ(Fluss__AlterTableRequest);
    if (r->n_add_columns || r->n_drop_columns || r->n_rename_columns || r->n_modify_columns) {
        fl_req_fail(req, FL_ERR_INVALID_ALTER_TABLE_EXCEPTION,
                    "Schema changes through AlterTable are not supported by this server yet.");
        return;
    }
    fl_alter_t *ch = fl_arena_alloc(req->arena, (r->n_config_changes + 1) * sizeof(*ch));
    for (size_t i = 0; i < r->n_config_changes; i++) {
        ch[i].key = r->config_changes[i]->config_key;
        ch[i].value = r->config_changes[i]->config_value;
        ch[i].op = r->config_changes[i]->op_type;
    }
    const char *why = NULL;
    fl_err_t err = fl_rpc_alter_lake_table(req, r, ch, &why);
    if (err) {
        fl_req_fail(req, err, "%s", why ? why : fl_err2str(err));
        return;
    }
    err = fl_catalog_alter_table(CAT, req->arena, r->table_path->database_name,
                                          r->table_path->table_name, ch, r->n_config_changes,
                                          r->ignore_if_not_exists, &why);
    if (!err) fl_server_notify_metadata(req->conn->srv);
    Fluss__AlterTableResponse resp = FLUSS__ALTER_TABLE_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

/* ---- partitions --------------------------------------------------------------------------- */

static void fl_rpc_spec(fl_req_t *req, const Fluss__PbPartitionSpec *ps, fl_kvs_t *out) {
    out->n = 0;
    out->items = fl_arena_alloc(req->arena, (ps->n_partition_key_values + 1) * sizeof(fl_kv_t));
    for (size_t i = 0; i < ps->n_partition_key_values; i++) {
        out->items[out->n].key = ps->partition_key_values[i]->key;
        out->items[out->n].value = ps->partition_key_values[i]->value;
        out->n++;
    }
}

void fl_rpc_create_partition(fl_req_t *req) {
    REQ(Fluss__CreatePartitionRequest);
    fl_kvs_t spec;
    fl_rpc_spec(req, r->partition_spec, &spec);
    const char *why = NULL;
    /* the flag is named ignore_if_not_exists on the wire but means "ignore if it exists" */
    fl_err_t err = fl_catalog_create_partition(CAT, req->arena, r->table_path->database_name,
                                               r->table_path->table_name, &spec,
                                               r->ignore_if_not_exists, &why);
    if (!err) fl_server_notify_metadata(req->conn->srv);
    Fluss__CreatePartitionResponse resp = FLUSS__CREATE_PARTITION_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

void fl_rpc_drop_partition(fl_req_t *req) {
    REQ(Fluss__DropPartitionRequest);
    fl_kvs_t spec;
    fl_rpc_spec(req, r->partition_spec, &spec);
    const char *why = NULL;
    fl_err_t err = fl_catalog_drop_partition(CAT, req->arena, r->table_path->database_name,
                                             r->table_path->table_name, &spec,
                                             r->ignore_if_not_exists, &why);
    if (!err) fl_server_notify_metadata(req->conn->srv);
    Fluss__DropPartitionResponse resp = FLUSS__DROP_PARTITION_RESPONSE__INIT;
    fl_rpc_done(req, err, why, &resp.base);
}

void fl_rpc_list_partition_infos(fl_req_t *req) {
    REQ(Fluss__ListPartitionInfosRequest);
    const fl_table_t *t = fl_rpc_table(req, r->table_path);
    if (!t) return;
    const fl_strs_t *keys = &t->desc.partition_keys;
    if (keys->n == 0) {
        fl_req_fail(req, FL_ERR_TABLE_NOT_PARTITIONED_EXCEPTION,
                    "Table '%s.%s' is not a partitioned table.", t->db, t->name);
        return;
    }
    fl_kvs_t filter = {0};
    if (r->partial_partition_spec) {
        fl_rpc_spec(req, r->partial_partition_spec, &filter);
        for (size_t i = 0; i < filter.n; i++) {
            if (!fl_strs_has(keys, filter.items[i].key)) {
                fl_req_fail(req, FL_ERR_PARTITION_SPEC_INVALID_EXCEPTION,
                            "table %s.%s does not contain partitionKey '%s'", t->db, t->name,
                            filter.items[i].key);
                return;
            }
        }
    }
    Fluss__ListPartitionInfosResponse resp = FLUSS__LIST_PARTITION_INFOS_RESPONSE__INIT;
    resp.partitions_info = fl_arena_alloc(req->arena, (t->n_parts + 1) * sizeof(void *));
    for (size_t i = 0; i < t->n_parts; i++) {
        const char **vals;
        size_t nv = fl_partition_values(req->arena, t->parts[i].name, &vals);
        bool match = true;
        for (size_t f = 0; f < filter.n && match; f++)
            for (size_t k = 0; k < keys->n && k < nv; k++)
                if (!strcmp(keys->items[k], filter.items[f].key) &&
                    strcmp(vals[k], filter.items[f].value))
                    match = false;
        if (!match) continue;
        Fluss__PbPartitionInfo *pi = fl_arena_alloc(req->arena, sizeof(*pi));
        fluss__pb_partition_info__init(pi);
        pi->partition_id = t->parts[i].id;
        pi->partition_spec = fl_arena_alloc(req->arena, sizeof(*pi->partition_spec));
        fluss__pb_partition_spec__init(pi->partition_spec);
        pi->partition_spec->partition_key_values = fl_arena_alloc(req->arena, (nv + 1) * sizeof(void *));
        for (size_t k = 0; k < nv && k < keys->n; k++) {
            Fluss__PbKeyValue *kv = fl_arena_alloc(req->arena, sizeof(*kv));
            fluss__pb_key_value__init(kv);
            kv->key = (char *)keys->items[k];
            kv->value = (char *)vals[k];
            pi->partition_spec->partition_key_values[pi->partition_spec->n_partition_key_values++] = kv;
        }
        resp.partitions_info[resp.n_partitions_info++] = pi;
    }
    fl_req_respond(req, &resp.base);
}
