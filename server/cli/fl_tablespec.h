/* fl_tablespec.h: table specs written by people, turned into a Fluss table descriptor
 * (protocol/fl_tabledesc.h) that fl_table_desc_write() sends as the table JSON.
 *
 * Two notations, one grammar for types (Flink SQL names, as Fluss's Flink catalog maps them):
 *
 *   column   NAME TYPE [NOT NULL | NULL] [PRIMARY KEY [NOT ENFORCED]] [COMMENT 'text']
 *   type     BOOLEAN | TINYINT | SMALLINT | INT | INTEGER | BIGINT | FLOAT | DOUBLE [PRECISION]
 *            | STRING | VARCHAR | VARCHAR(2147483647) | CHAR[(n)] | BINARY[(n)] | BYTES
 *            | VARBINARY | VARBINARY(2147483647) | DECIMAL|DEC|NUMERIC[(p[, s])] | DATE
 *            | TIME[(p)] | TIMESTAMP[(p)] [WITHOUT TIME ZONE | WITH LOCAL TIME ZONE]
 *            | TIMESTAMP_LTZ[(p)] | ARRAY<type> | MAP<type, type>
 *            | ROW<name type ['description'], ...> | ROW(name type, ...)
 *            each optionally followed by NOT NULL / NULL; `type ARRAY` is ARRAY<type>.
 *   table    CREATE TABLE [IF NOT EXISTS] [db.]name ( column | PRIMARY KEY (c, ...) [NOT ENFORCED]
 *            , ... ) [COMMENT 'text'] [PARTITIONED BY (c, ...)]
 *            [DISTRIBUTED BY [HASH] (c, ...) [INTO n BUCKETS]] [WITH ('k' = 'v', ...)] [;]
 *
 * WITH options map as Fluss's Flink catalog maps them: 'bucket.num' is the bucket count,
 * 'bucket.key' the comma-separated bucket key, keys starting with "table." are table
 * properties, every other key is a custom property. Identifiers may be `back-quoted`; string
 * literals use single (or double) quotes, a quote doubled inside.
 *
 * Defaults are Fluss's DataTypeParser's: CHAR/BINARY length 1, DECIMAL(10, 0), TIME(0),
 * TIMESTAMP(6), TIMESTAMP_LTZ(6). Fluss has no VARCHAR(n)/VARBINARY(n) below the maximum; they
 * are refused rather than silently widened. Semantic checks (a primary key naming a missing
 * column, bucket keys, property values) are the server's: it answers with Fluss's error codes
 * and texts. */
#ifndef FL_TABLESPEC_H
#define FL_TABLESPEC_H

#include "fl_tabledesc.h"

typedef struct fl_sql_table_s {
    const char *db;          /* NULL when the statement names no database */
    const char *table;
    bool if_not_exists;
    fl_table_desc_t desc;    /* finished: see fl_spec_finish */
} fl_sql_table_t;

/** @brief Parse one type. @returns FL_ERR_NONE or FL_ERR__INVAL with *why (arena string). */
fl_err_t fl_spec_parse_type(fl_arena_t *arena, const char *text, fl_type_t *out /* OUT */,
                            const char **why /* OUT */);

/** @brief Parse one column definition. *is_pk is set when it says PRIMARY KEY. */
fl_err_t fl_spec_parse_column(fl_arena_t *arena, const char *text, fl_column_t *out /* OUT */,
                              bool *is_pk /* OUT */, const char **why /* OUT */);

/** @brief Parse a CREATE TABLE statement into a finished descriptor. */
fl_err_t fl_spec_parse_sql(fl_arena_t *arena, const char *sql, fl_sql_table_t *out /* OUT */,
                           const char **why /* OUT */);

/** @brief Finish a descriptor built from parts: column and nested field ids in Fluss's order
 *  (column id, then its nested fields depth first), highest_field_id, and the bucket key
 *  defaulting to the primary key minus the partition keys when none was given. */
void fl_spec_finish(fl_arena_t *arena, fl_table_desc_t *desc);

/** @brief Append item to a string list (arena-grown). */
void fl_strs_push(fl_arena_t *arena, fl_strs_t *strs, const char *item);

/** @brief Split "a, b ,c" into trimmed, non-empty items appended to strs.
 *  @returns false if an item is empty. */
bool fl_strs_split(fl_arena_t *arena, const char *csv, fl_strs_t *strs);

#endif
