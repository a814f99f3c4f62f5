/* fl_tablevalid.h: what the coordinator does to a table descriptor on CreateTable, as Fluss
 * 0.9.1 does it: normalize the distribution (TableDescriptor), apply system defaults
 * (CoordinatorService#applySystemDefaults) and validate (TableDescriptorValidation). */
#ifndef FL_TABLEVALID_H
#define FL_TABLEVALID_H

#include "fl_catalog.h"

/** @brief Normalize, default and validate desc in place (allocating from a).
 *  @returns FL_ERR_NONE, or INVALID_TABLE_EXCEPTION / INVALID_CONFIG_EXCEPTION /
 *  INVALID_REPLICATION_FACTOR / BUCKET_MAX_NUM_EXCEPTION with *why. */
fl_err_t fl_table_prepare(fl_arena_t *a, fl_table_desc_t *desc, const fl_catalog_opts_t *opts,
                          const char **why /* OUT */);

/** @brief Validate one table property value against its option type.
 *  @returns FL_ERR_NONE, or INVALID_CONFIG_EXCEPTION for unknown keys and bad values. */
fl_err_t fl_table_option_check(fl_arena_t *a, const char *key, const char *value,
                               const char **why /* OUT */);

/** @returns true if key may be changed by AlterTable (table.datalake.enabled,
 *  table.datalake.freshness, table.log.tiered.local-segments). */
bool fl_table_option_alterable(const char *key);

/* Auto-partition settings of a table, parsed. */
typedef enum fl_time_unit_e { FL_TU_YEAR, FL_TU_QUARTER, FL_TU_MONTH, FL_TU_DAY, FL_TU_HOUR } fl_time_unit_t;
typedef struct fl_auto_partition_s {
    bool enabled;
    const char *key;      /* partition key the time goes into */
    fl_time_unit_t unit;
    int32_t num_precreate;
    int32_t num_retention;
    const char *time_zone; /* "UTC" when unset */
} fl_auto_partition_t;
void fl_table_auto_partition(const fl_table_desc_t *desc, fl_auto_partition_t *out /* OUT */);

/** @brief Check a partition value as Fluss does (non-empty, not . or .., <= 200 chars,
 *  [A-Za-z0-9_-], no "__" prefix when creating). @returns NULL or the reason. */
const char *fl_partition_value_invalid(fl_arena_t *a, const char *value, bool is_create);

/** @brief Format the auto-partition name for now_ms + offset units in the time zone. */
void fl_auto_partition_name(fl_time_unit_t unit, const char *tz, int64_t now_ms, int offset,
                            char *out, size_t len);

#endif
