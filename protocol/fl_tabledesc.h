/* fl_tabledesc.h: Fluss's table, schema, data-type and database JSON (fluss-formats.md 6,
 * fluss-rpc.md 3.2), parsed into C structures and written back exactly as the Java server
 * writes them (Jackson, compact, keys in the order below).
 *
 *   DataType   {"type":ROOT, ["nullable":false], per-root keys}
 *   Column     {"name", "data_type", ["comment"], ["agg_function":{"type",["parameters"]}], "id"}
 *   Schema     {"version":1, "columns":[...], ["primary_key":[...]],
 *               ["auto_increment_column":[...]], "highest_field_id":N}
 *   Table      {"version":1, "schema", ["comment"], "partition_key":[...],
 *               ["bucket_key":[...], ["bucket_count":N]], "properties":{}, "custom_properties":{}}
 *   Database   {"version":1, ["comment"], "custom_properties":{}}
 *
 * Everything a parse returns lives in the arena given to it; free the arena to free it. */
#ifndef FL_TABLEDESC_H
#define FL_TABLEDESC_H

#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_types.h"

typedef struct fl_kv_s {
    const char *key;
    const char *value;
} fl_kv_t;

typedef struct fl_kvs_s {
    fl_kv_t *items;
    size_t n;
} fl_kvs_t;

typedef struct fl_strs_s {
    const char **items;
    size_t n;
} fl_strs_t;

typedef struct fl_column_s {
    const char *name;
    fl_type_t type;
    const char *comment;      /* NULL when absent */
    const char *agg_type;     /* agg_function.type, NULL when absent */
    fl_kvs_t agg_params;      /* agg_function.parameters */
    bool agg_has_params;      /* "parameters" was present */
    int32_t id;               /* -1 when absent */
} fl_column_t;

typedef struct fl_schema_s {
    fl_column_t *cols;
    size_t n_cols;
    fl_strs_t primary_key;    /* n == 0: log table */
    bool has_primary_key;
    fl_strs_t auto_increment;
    int32_t highest_field_id;
} fl_schema_t;

typedef struct fl_table_desc_s {
    fl_schema_t schema;
    const char *comment;      /* NULL when absent */
    fl_strs_t partition_keys;
    bool has_distribution;    /* bucket_key present */
    fl_strs_t bucket_keys;
    int32_t bucket_count;     /* -1 when absent */
    fl_kvs_t properties;
    fl_kvs_t custom_properties;
} fl_table_desc_t;

typedef struct fl_db_desc_s {
    const char *comment;
    fl_kvs_t custom_properties;
} fl_db_desc_t;

/* Parsing: FL_ERR_NONE, or FL_ERR_INVALID_TABLE_EXCEPTION (table/schema/type) /
 * FL_ERR_INVALID_DATABASE_EXCEPTION (database) with *why naming the problem (arena string).
 * Column ids: all present or all absent; absent ones are assigned 0..n-1 and highest_field_id
 * becomes n-1 (Schema builder). Primary-key columns become NOT NULL. */
fl_err_t fl_table_desc_parse(fl_arena_t *arena, const void *json, size_t len,
                             fl_table_desc_t *out /* OUT */, const char **why /* OUT */);
fl_err_t fl_schema_parse(fl_arena_t *arena, const void *json, size_t len,
                         fl_schema_t *out /* OUT */, const char **why /* OUT */);
fl_err_t fl_db_desc_parse(fl_arena_t *arena, const void *json, size_t len,
                          fl_db_desc_t *out /* OUT */, const char **why /* OUT */);

/* Writing: appends compact JSON to buf. */
void fl_table_desc_write(const fl_table_desc_t *desc, fl_buf_t *buf);
void fl_schema_write(const fl_schema_t *schema, fl_buf_t *buf);
void fl_type_write(const fl_type_t *type, fl_buf_t *buf);
void fl_db_desc_write(const fl_db_desc_t *desc, fl_buf_t *buf);

/** @brief Render a type the way Fluss prints it in messages ("INT NOT NULL", "STRING"). */
void fl_type_format(const fl_type_t *type, char *out, size_t len);

/** @brief Deep-copy into another arena (for catalogs that outlive the request). */
void fl_table_desc_copy(fl_arena_t *arena, const fl_table_desc_t *src, fl_table_desc_t *dst /* OUT */);
/** @returns the ROW type of the schema's columns (names, ids), allocated in arena; its
 *  children share the columns' types, so it lives as long as the schema does. */
fl_type_t *fl_schema_row_type(fl_arena_t *arena, const fl_schema_t *s);
void fl_type_copy(fl_arena_t *arena, const fl_type_t *src, fl_type_t *dst /* OUT */);

/* Lookups. */
int fl_schema_col_index(const fl_schema_t *schema, const char *name); /* -1 if absent */
const char *fl_kvs_get(const fl_kvs_t *kvs, const char *key);          /* NULL if absent */
/** @brief Set (or replace) key in kvs, allocating from arena; keeps insertion order. */
void fl_kvs_set(fl_arena_t *arena, fl_kvs_t *kvs, const char *key, const char *value);
/** @brief Remove key; @returns true if it was there. */
bool fl_kvs_del(fl_kvs_t *kvs, const char *key);
bool fl_strs_has(const fl_strs_t *strs, const char *s);

#endif
