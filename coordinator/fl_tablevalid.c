/* fl_tablevalid.c: see fl_tablevalid.h. Error texts follow Fluss's where users see them. */
#include "fl_tablevalid.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- table options ------------------------------------------------------------------------ */

typedef enum { OPT_INT, OPT_LONG, OPT_BOOL, OPT_DURATION, OPT_STRING, OPT_ENUM } fl_opt_kind_t;

typedef struct fl_table_opt_s {
    const char *key;
    fl_opt_kind_t kind;
    const char *const *values; /* OPT_ENUM: upper-case names, NULL-terminated */
} fl_table_opt_t;

static const char *const log_formats[] = {"ARROW", "INDEXED", "COMPACTED", NULL};
static const char *const kv_formats[] = {"COMPACTED", "INDEXED", NULL};
static const char *const compressions[] = {"NONE", "LZ4_FRAME", "ZSTD", NULL};
static const char *const time_units[] = {"YEAR", "QUARTER", "MONTH", "DAY", "HOUR", NULL};
static const char *const lake_formats[] = {"PAIMON", "ICEBERG", "LANCE", NULL};
static const char *const merge_engines[] = {"FIRST_ROW", "VERSIONED", "AGGREGATION", NULL};
static const char *const delete_behaviors[] = {"ALLOW", "IGNORE", "DISABLE", NULL};
static const char *const changelog_images[] = {"FULL", "WAL", NULL};

/* Every table.* option of Fluss 0.9.1 (ConfigOptions) with its type. */
static const fl_table_opt_t fl_table_opts[] = {
    {"table.replication.factor", OPT_INT, NULL},
    {"table.log.format", OPT_ENUM, log_formats},
    {"table.log.arrow.compression.type", OPT_ENUM, compressions},
    {"table.log.arrow.compression.zstd.level", OPT_INT, NULL},
    {"table.kv.format", OPT_ENUM, kv_formats},
    {"table.kv.format-version", OPT_INT, NULL},
    {"table.auto-partition.enabled", OPT_BOOL, NULL},
    {"table.auto-partition.key", OPT_STRING, NULL},
    {"table.auto-partition.time-unit", OPT_ENUM, time_units},
    {"table.auto-partition.time-zone", OPT_STRING, NULL},
    {"table.auto-partition.num-precreate", OPT_INT, NULL},
    {"table.auto-partition.num-retention", OPT_INT, NULL},
    {"table.log.ttl", OPT_DURATION, NULL},
    {"table.log.tiered.local-segments", OPT_INT, NULL},
    {"table.datalake.enabled", OPT_BOOL, NULL},
    {"table.datalake.format", OPT_ENUM, lake_formats},
    {"table.datalake.freshness", OPT_DURATION, NULL},
    {"table.datalake.auto-compaction", OPT_BOOL, NULL},
    {"table.datalake.auto-expire-snapshot", OPT_BOOL, NULL},
    {"table.merge-engine", OPT_ENUM, merge_engines},
    {"table.merge-engine.versioned.ver-column", OPT_STRING, NULL},
    {"table.delete.behavior", OPT_ENUM, delete_behaviors},
    {"table.auto-increment.cache-size", OPT_LONG, NULL},
    {"table.changelog.image", OPT_ENUM, changelog_images},
};

static const fl_table_opt_t *fl_opt_find(const char *key) {
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_table_opts); i++)
        if (!strcmp(fl_table_opts[i].key, key)) return &fl_table_opts[i];
    return NULL;
}

static bool fl_parse_i64(const char *s, int64_t *out) {
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (*end) return false;
    *out = v;
    return true;
}

static int fl_enum_index(const char *const *values, const char *v) {
    for (int i = 0; values[i]; i++)
        if (!strcasecmp(values[i], v)) return i;
    return -1;
}

fl_err_t fl_table_option_check(fl_arena_t *a, const char *key, const char *value,
                               const char **why) {
    const fl_table_opt_t *opt = fl_opt_find(key);
    if (!opt) {
        if (!strncmp(key, "table.", 6))
            *why = fl_arena_sprintf(
                a, "'%s' is not a recognized Fluss table property in the current cluster version. "
                   "You may be using an older Fluss cluster that does not support this property.",
                key);
        else
            *why = fl_arena_sprintf(a,
                                    "'%s' is not a Fluss table property. Please use "
                                    "'.customProperty(..)' to set custom properties.",
                                    key);
        return FL_ERR_INVALID_CONFIG_EXCEPTION;
    }
    int64_t x;
    bool ok = true;
    switch (opt->kind) {
    case OPT_INT: ok = fl_parse_i64(value, &x) && x >= INT32_MIN && x <= INT32_MAX; break;
    case OPT_LONG: ok = fl_parse_i64(value, &x); break;
    case OPT_BOOL: ok = !strcasecmp(value, "true") || !strcasecmp(value, "false"); break;
    case OPT_DURATION: ok = fl_parse_duration_ms(value, &x) == 0; break;
    case OPT_ENUM: ok = fl_enum_index(opt->values, value) >= 0; break;
    case OPT_STRING: break;
    }
    if (!ok) {
        *why = fl_arena_sprintf(a, "Invalid value for config '%s'. Reason: could not parse value '%s'.",
                                key, value);
        return FL_ERR_INVALID_CONFIG_EXCEPTION;
    }
    return FL_ERR_NONE;
}

bool fl_table_option_alterable(const char *key) {
    return !strcmp(key, "table.datalake.enabled") || !strcmp(key, "table.datalake.freshness") ||
           !strcmp(key, "table.log.tiered.local-segments");
}

static const char *fl_prop(const fl_table_desc_t *d, const char *key) {
    return fl_kvs_get(&d->properties, key);
}

static bool fl_prop_true(const fl_table_desc_t *d, const char *key) {
    const char *v = fl_prop(d, key);
    return v && !strcasecmp(v, "true");
}

static int32_t fl_prop_int(const fl_table_desc_t *d, const char *key, int32_t dflt) {
    const char *v = fl_prop(d, key);
    int64_t x;
    return v && fl_parse_i64(v, &x) ? (int32_t)x : dflt;
}

void fl_table_auto_partition(const fl_table_desc_t *d, fl_auto_partition_t *ap) {
    memset(ap, 0, sizeof(*ap));
    ap->enabled = fl_prop_true(d, "table.auto-partition.enabled");
    ap->key = fl_prop(d, "table.auto-partition.key");
    if (!ap->key && d->partition_keys.n == 1) ap->key = d->partition_keys.items[0];
    const char *u = fl_prop(d, "table.auto-partition.time-unit");
    int ui = u ? fl_enum_index(time_units, u) : -1;
    ap->unit = ui >= 0 ? (fl_time_unit_t)ui : FL_TU_DAY;
    ap->num_precreate = fl_prop_int(d, "table.auto-partition.num-precreate", 2);
    ap->num_retention = fl_prop_int(d, "table.auto-partition.num-retention", 7);
    ap->time_zone = fl_prop(d, "table.auto-partition.time-zone");
    if (!ap->time_zone) ap->time_zone = "UTC";
}

/* ---- partitions ------------------------------------------------------------------------- */

const char *fl_partition_value_invalid(fl_arena_t *a, const char *v, bool is_create) {
    if (!*v) return "the empty string is not allowed";
    if (!strcmp(v, ".")) return "'.' is not allowed";
    if (!strcmp(v, "..")) return "'..' is not allowed";
    if (strlen(v) > 200)
        return fl_arena_sprintf(a, "the length of '%s' is longer than the max allowed length 200", v);
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return fl_arena_sprintf(a,
                                    "'%s' contains one or more characters other than ASCII "
                                    "alphanumerics, '_' and '-'",
                                    v);
    if (is_create && !strncmp(v, "__", 2))
        return "'__' is not allowed as prefix, since it is reserved for internal "
               "databases/internal tables/internal partitions in Fluss server";
    return NULL;
}

/* Civil time in a zone: "UTC", "Z", "GMT", fixed offsets "+08:00"/"UTC+8", or an IANA zone
 * name resolved through the C library's tz database. */
static void fl_zoned_tm(const char *tz, time_t t, struct tm *out) {
    if (!tz || !strcasecmp(tz, "UTC") || !strcasecmp(tz, "Z") || !strcasecmp(tz, "GMT")) {
        gmtime_r(&t, out);
        return;
    }
    const char *p = tz;
    if (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3)) p += 3;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, h = 0, m = 0;
        sscanf(p + 1, "%d:%d", &h, &m);
        t += sign * (h * 3600 + m * 60);
        gmtime_r(&t, out);
        return;
    }
    char *old = getenv("TZ");
    char saved[256] = "";
    if (old) snprintf(saved, sizeof(saved), "%s", old);
    setenv("TZ", tz, 1);
    tzset();
    localtime_r(&t, out);
    if (old) setenv("TZ", saved, 1);
    else unsetenv("TZ");
    tzset();
}

void fl_auto_partition_name(fl_time_unit_t unit, const char *tz, int64_t now_ms, int offset,
                            char *out, size_t len) {
    struct tm tm;
    fl_zoned_tm(tz, (time_t)(now_ms / 1000), &tm);
    /* Shift in civil time, as java.time's plusX does, then normalise with timegm. */
    switch (unit) {
    case FL_TU_YEAR: tm.tm_year += offset; break;
    case FL_TU_QUARTER: tm.tm_mon += offset * 3; break;
    case FL_TU_MONTH: tm.tm_mon += offset; break;
    case FL_TU_DAY: tm.tm_mday += offset; break;
    case FL_TU_HOUR: tm.tm_hour += offset; break;
    }
    if (unit == FL_TU_MONTH || unit == FL_TU_QUARTER || unit == FL_TU_YEAR) tm.tm_mday = 1;
    tm.tm_isdst = 0;
    time_t norm = timegm(&tm);
    gmtime_r(&norm, &tm);
    int y = tm.tm_year + 1900, mo = tm.tm_mon + 1;
    switch (unit) {
    case FL_TU_YEAR: snprintf(out, len, "%04d", y); break;
    case FL_TU_QUARTER: snprintf(out, len, "%04d%d", y, (mo - 1) / 3 + 1); break;
    case FL_TU_MONTH: snprintf(out, len, "%04d%02d", y, mo); break;
    case FL_TU_DAY: snprintf(out, len, "%04d%02d%02d", y, mo, tm.tm_mday); break;
    case FL_TU_HOUR: snprintf(out, len, "%04d%02d%02d%02d", y, mo, tm.tm_mday, tm.tm_hour); break;
    }
}

/* ---- create-table preparation --------------------------------------------------------------- */

static const char *fl_strs_fmt(fl_arena_t *a, const fl_strs_t *s) {
    size_t n = 3;
    for (size_t i = 0; i < s->n; i++) n += strlen(s->items[i]) + 2;
    char *out = fl_arena_alloc(a, n);
    strcpy(out, "[");
    for (size_t i = 0; i < s->n; i++) {
        if (i) strcat(out, ", ");
        strcat(out, s->items[i]);
    }
    strcat(out, "]");
    return out;
}

static bool fl_type_is_nested(fl_type_root_t r) {
    return r == FL_T_ARRAY || r == FL_T_MAP || r == FL_T_ROW;
}

#define FL_BAD(code, ...)                                                                      \
    do {                                                                                       \
        *why = fl_arena_sprintf(a, __VA_ARGS__);                                               \
        return (code);                                                                         \
    } while (0)

static fl_err_t fl_normalize_distribution(fl_arena_t *a, fl_table_desc_t *d, const char **why) {
    const fl_schema_t *s = &d->schema;
    bool pk = s->has_primary_key;
    for (size_t i = 0; i < d->partition_keys.n; i++) {
        const char *k = d->partition_keys.items[i];
        if (pk && !fl_strs_has(&s->primary_key, k))
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "Partitioned Primary Key Table requires partition key %s is a subset of the "
                   "primary key %s.",
                   fl_strs_fmt(a, &d->partition_keys), fl_strs_fmt(a, &s->primary_key));
        if (fl_schema_col_index(s, k) < 0)
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION, "Partition key '%s' does not exist in the schema.", k);
    }
    for (size_t i = 0; i < d->bucket_keys.n; i++)
        if (fl_strs_has(&d->partition_keys, d->bucket_keys.items[i]))
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "Bucket key %s shouldn't include any column in partition keys %s.",
                   fl_strs_fmt(a, &d->bucket_keys), fl_strs_fmt(a, &d->partition_keys));
    if (pk) {
        if (d->bucket_keys.n == 0) {
            /* default bucket key: primary key minus partition keys */
            d->bucket_keys.items = fl_arena_alloc(a, (s->primary_key.n + 1) * sizeof(char *));
            d->bucket_keys.n = 0;
            for (size_t i = 0; i < s->primary_key.n; i++)
                if (!fl_strs_has(&d->partition_keys, s->primary_key.items[i]))
                    d->bucket_keys.items[d->bucket_keys.n++] = s->primary_key.items[i];
            d->has_distribution = true;
        } else {
            for (size_t i = 0; i < d->bucket_keys.n; i++)
                if (!fl_strs_has(&s->primary_key, d->bucket_keys.items[i]))
                    FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                           "Bucket keys must be a subset of primary keys excluding partition keys "
                           "for primary-key tables. The primary keys are %s, the partition keys "
                           "are %s, but the user-defined bucket keys are %s.",
                           fl_strs_fmt(a, &s->primary_key), fl_strs_fmt(a, &d->partition_keys),
                           fl_strs_fmt(a, &d->bucket_keys));
        }
    }
    for (size_t i = 0; i < d->bucket_keys.n; i++)
        if (fl_schema_col_index(s, d->bucket_keys.items[i]) < 0)
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION, "Bucket key '%s' does not exist in the schema.",
                   d->bucket_keys.items[i]);
    return FL_ERR_NONE;
}

static void fl_set_prop(fl_arena_t *a, fl_table_desc_t *d, const char *k, const char *v) {
    fl_kvs_set(a, &d->properties, k, v);
}

/* ---- aggregate functions (AggFunctionType) -------------------------------------------------- */

typedef struct fl_agg_kind_s {
    const char *name;             /* upper case */
    const fl_type_root_t *roots;  /* NULL: every type */
    const char *roots_str;        /* as Arrays.deepToString prints the DataTypeRoots */
} fl_agg_kind_t;

static const fl_type_root_t agg_numeric[] = {FL_T_TINYINT, FL_T_SMALLINT, FL_T_INTEGER, FL_T_BIGINT,
                                             FL_T_FLOAT,   FL_T_DOUBLE,   FL_T_DECIMAL, FL_T__COUNT};
static const fl_type_root_t agg_maxmin[] = {
    FL_T_CHAR,  FL_T_STRING, FL_T_TINYINT, FL_T_SMALLINT,  FL_T_INTEGER,       FL_T_BIGINT, FL_T_FLOAT,
    FL_T_DOUBLE, FL_T_DECIMAL, FL_T_DATE,  FL_T_TIME,      FL_T_TIMESTAMP,     FL_T_TIMESTAMP_LTZ,
    FL_T__COUNT};
static const fl_type_root_t agg_string[] = {FL_T_STRING, FL_T_CHAR, FL_T__COUNT};
static const fl_type_root_t agg_bool[] = {FL_T_BOOLEAN, FL_T__COUNT};
static const fl_type_root_t agg_bytes[] = {FL_T_BYTES, FL_T__COUNT};
#define AGG_NUMERIC_STR "[TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL]"
#define AGG_MAXMIN_STR                                                                             \
    "[CHAR, STRING, TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL, DATE, "            \
    "TIME_WITHOUT_TIME_ZONE, TIMESTAMP_WITHOUT_TIME_ZONE, TIMESTAMP_WITH_LOCAL_TIME_ZONE]"

static const fl_agg_kind_t agg_kinds[] = {
    {"SUM", agg_numeric, AGG_NUMERIC_STR},
    {"PRODUCT", agg_numeric, AGG_NUMERIC_STR},
    {"MAX", agg_maxmin, AGG_MAXMIN_STR},
    {"MIN", agg_maxmin, AGG_MAXMIN_STR},
    {"LAST_VALUE", NULL, NULL},
    {"LAST_VALUE_IGNORE_NULLS", NULL, NULL},
    {"FIRST_VALUE", NULL, NULL},
    {"FIRST_VALUE_IGNORE_NULLS", NULL, NULL},
    {"LISTAGG", agg_string, "[STRING, CHAR]"},
    {"STRING_AGG", agg_string, "[STRING, CHAR]"},
    {"BOOL_AND", agg_bool, "[BOOLEAN]"},
    {"BOOL_OR", agg_bool, "[BOOLEAN]"},
    {"RBM32", agg_bytes, "[BYTES]"},
    {"RBM64", agg_bytes, "[BYTES]"},
};

/* AggFunctionType.fromString: '-' becomes '_', upper case, trimmed; NULL when unknown. */
static const fl_agg_kind_t *fl_agg_kind(const char *name) {
    char up[32];
    size_t i = 0;
    while (*name && (unsigned char)*name <= ' ') name++;
    for (; *name && i < sizeof(up) - 1; name++, i++)
        up[i] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
    while (i > 0 && (unsigned char)up[i - 1] <= ' ') i--;
    up[i] = '\0';
    for (size_t k = 0; k < FL_ARRAY_LEN(agg_kinds); k++)
        if (!strcmp(up, agg_kinds[k].name)) return &agg_kinds[k];
    return NULL;
}

/* Fluss's schema deserializer drops an agg_function whose type it does not know. */
static void fl_drop_unknown_agg(fl_table_desc_t *d) {
    for (size_t i = 0; i < d->schema.n_cols; i++) {
        fl_column_t *c = &d->schema.cols[i];
        if (c->agg_type && !fl_agg_kind(c->agg_type)) {
            c->agg_type = NULL;
            c->agg_params.n = 0;
            c->agg_has_params = false;
        }
    }
}

/* TableDescriptorValidation#validateAggregationFunctionParameters */
static fl_err_t fl_check_agg_functions(fl_arena_t *a, const fl_schema_t *s, const char **why) {
    for (size_t i = 0; i < s->n_cols; i++) {
        const fl_column_t *c = &s->cols[i];
        if (fl_strs_has(&s->primary_key, c->name) || !c->agg_type) continue;
        const fl_agg_kind_t *k = fl_agg_kind(c->agg_type);
        if (!k) continue;
        char lower[32];
        size_t n = 0;
        for (; k->name[n] && n < sizeof(lower) - 1; n++) lower[n] = (char)tolower((unsigned char)k->name[n]);
        lower[n] = '\0';
        bool listagg = k->roots == agg_string;
        for (size_t p = 0; p < c->agg_params.n; p++) {
            const fl_kv_t *kv = &c->agg_params.items[p];
            if (!listagg || strcmp(kv->key, "delimiter"))
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "Invalid aggregation function for column '%s': Parameter '%s' is not "
                       "supported for aggregation function '%s'. Supported parameters: %s",
                       c->name, kv->key, lower, listagg ? "[delimiter]" : "none");
            if (!kv->value || !*kv->value)
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "Invalid aggregation function for column '%s': Parameter '%s' for "
                       "aggregation function '%s' must be a non-empty string",
                       c->name, kv->key, lower);
        }
        bool ok = !k->roots;
        for (const fl_type_root_t *r = k->roots; r && *r != FL_T__COUNT; r++) ok |= *r == c->type.root;
        if (!ok) {
            char tb[256];
            fl_type_format(&c->type, tb, sizeof(tb));
            FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                   "Invalid aggregation function for column '%s': Data type for %s column must be "
                   "part of %s but was '%s'.",
                   c->name, lower, k->roots_str, tb);
        }
    }
    return FL_ERR_NONE;
}

fl_err_t fl_table_prepare(fl_arena_t *a, fl_table_desc_t *d, const fl_catalog_opts_t *opts,
                          const char **why) {
    fl_err_t err = fl_normalize_distribution(a, d, why);
    if (err) return err;
    fl_drop_unknown_agg(d);
    const fl_schema_t *s = &d->schema;
    bool pk = s->has_primary_key;
    if (pk && !opts->allow_kv_tables)
        FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
               "Creation of Primary Key Tables is disallowed in the cluster.");
    if (!pk && !opts->allow_log_tables)
        FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION, "Creation of Log Tables is disallowed in the cluster.");

    /* Property values are checked before defaults are added (validateTableDescriptor runs on
     * the user's keys; the defaults are valid by construction). */
    for (size_t i = 0; i < d->properties.n; i++) {
        err = fl_table_option_check(a, d->properties.items[i].key, d->properties.items[i].value, why);
        if (err) return err;
    }
    bool lake_enabled = fl_prop_true(d, "table.datalake.enabled");

    /* applySystemDefaults */
    if (!d->has_distribution) {
        d->has_distribution = true;
        d->bucket_keys.n = 0;
    }
    if (d->bucket_count < 0) d->bucket_count = opts->default_bucket_number;
    char num[24];
    if (!fl_prop(d, "table.replication.factor")) {
        snprintf(num, sizeof(num), "%d", opts->default_replication_factor);
        fl_set_prop(a, d, "table.replication.factor", num);
    }
    if (d->partition_keys.n > 1 && fl_prop_true(d, "table.auto-partition.enabled") &&
        !fl_prop(d, "table.auto-partition.num-precreate"))
        fl_set_prop(a, d, "table.auto-partition.num-precreate", "0");
    if (opts->datalake_format && !fl_prop(d, "table.datalake.format"))
        fl_set_prop(a, d, "table.datalake.format", opts->datalake_format);
    if (lake_enabled && !opts->datalake_format)
        FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
               "'table.datalake.enabled' is enabled for the table, but the Fluss cluster doesn't "
               "enable datalake tables.");
    const char *me = fl_prop(d, "table.merge-engine");
    if (pk && me && !fl_prop(d, "table.delete.behavior"))
        fl_set_prop(a, d, "table.delete.behavior", "IGNORE");
    if (pk) {
        const char *kv = fl_prop(d, "table.kv.format-version");
        if (!kv) fl_set_prop(a, d, "table.kv.format-version", "2");
        else if (fl_prop_int(d, "table.kv.format-version", 2) > 2)
            FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                   "Unsupported 'table.kv.format-version' %s; the highest supported is 2.", kv);
    }

    /* TableDescriptorValidation */
    if (d->bucket_count <= 0) FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION, "Bucket number must be set.");
    if (d->bucket_count > opts->max_bucket_num)
        FL_BAD(FL_ERR_BUCKET_MAX_NUM_EXCEPTION, "Bucket count %d exceeds the maximum limit %d.",
               d->bucket_count, opts->max_bucket_num);
    for (size_t i = 0; i < d->bucket_keys.n; i++) {
        const fl_type_t *t = &s->cols[fl_schema_col_index(s, d->bucket_keys.items[i])].type;
        if (fl_type_is_nested(t->root)) {
            char tb[256];
            fl_type_format(t, tb, sizeof(tb));
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "Bucket key column '%s' has unsupported data type %s. Currently, bucket key "
                   "column does not support types: [ARRAY, MAP, ROW].",
                   d->bucket_keys.items[i], tb);
        }
    }
    for (size_t i = 0; i < s->primary_key.n; i++) {
        const fl_type_t *t = &s->cols[fl_schema_col_index(s, s->primary_key.items[i])].type;
        if (fl_type_is_nested(t->root)) {
            char tb[256];
            fl_type_format(t, tb, sizeof(tb));
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "Primary key column '%s' has unsupported data type %s. Currently, primary key "
                   "column does not support types: [ARRAY, MAP, ROW].",
                   s->primary_key.items[i], tb);
        }
    }
    int32_t rf = fl_prop_int(d, "table.replication.factor", 1);
    if (rf <= 0) FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION, "'table.replication.factor' must be greater than 0.");
    const char *lf = fl_prop(d, "table.log.format");
    const char *kf = fl_prop(d, "table.kv.format");
    if (pk && (!kf || !strcasecmp(kf, "COMPACTED")) && lf && !strcasecmp(lf, "INDEXED"))
        FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
               "Currently, Primary Key Table supports ARROW or COMPACTED log format when kv "
               "format is COMPACTED.");
    if (fl_prop(d, "table.log.arrow.compression.zstd.level")) {
        int32_t lvl = fl_prop_int(d, "table.log.arrow.compression.zstd.level", 3);
        if (lvl < 1 || lvl > 22)
            FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                   "Invalid ZSTD compression level: %d. Expected a value between 1 and 22.", lvl);
    }
    if (me) {
        if (!pk)
            FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION, "Merge engine is only supported in primary key table.");
        if (!strcasecmp(me, "VERSIONED")) {
            const char *vc = fl_prop(d, "table.merge-engine.versioned.ver-column");
            if (!vc)
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "'table.merge-engine.versioned.ver-column' must be set for versioned merge engine.");
            int idx = fl_schema_col_index(s, vc);
            if (idx < 0)
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "The version column '%s' for versioned merge engine doesn't exist in schema.", vc);
            fl_type_root_t r = s->cols[idx].type.root;
            if (r != FL_T_INTEGER && r != FL_T_BIGINT && r != FL_T_TIMESTAMP && r != FL_T_TIMESTAMP_LTZ) {
                char tb[256];
                fl_type_format(&s->cols[idx].type, tb, sizeof(tb));
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "The version column '%s' for versioned merge engine must be one type of "
                       "[INT, BIGINT, TIMESTAMP, TIMESTAMP_LTZ], but got %s.",
                       vc, tb);
            }
        } else if (!strcasecmp(me, "AGGREGATION")) {
            const char *ci = fl_prop(d, "table.changelog.image");
            if (ci && !strcasecmp(ci, "WAL"))
                FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
                       "Table with 'AGGREGATION' merge engine does not support 'WAL' changelog "
                       "image mode. Aggregation merge engine tables require FULL changelog image "
                       "mode for correct UNDO recovery. Please set 'table.changelog.image' to "
                       "'FULL' or remove the setting.");
            err = fl_check_agg_functions(a, s, why);
            if (err) return err;
        }
    }
    const char *db = fl_prop(d, "table.delete.behavior");
    if (db && !pk)
        FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
               "The 'table.delete.behavior' configuration is only supported for primary key tables.");
    if (pk && me && db && !strcasecmp(db, "ALLOW") &&
        (!strcasecmp(me, "FIRST_ROW") || !strcasecmp(me, "VERSIONED"))) {
        char up[32];
        snprintf(up, sizeof(up), "%s", me);
        for (char *c = up; *c; c++) *c = (char)toupper((unsigned char)*c);
        FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
               "Table with '%s' merge engine does not support delete operations. The "
               "'table.delete.behavior' config must be set to 'ignore' or 'disable', but got 'allow'.",
               up);
    }
    if (fl_prop_int(d, "table.log.tiered.local-segments", 2) <= 0)
        FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION, "'table.log.tiered.local-segments' must be greater than 0.");

    fl_auto_partition_t ap;
    fl_table_auto_partition(d, &ap);
    if (d->partition_keys.n == 0 && ap.enabled)
        FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION,
               "Currently, auto partition is only supported for partitioned table, please set "
               "table property 'table.auto-partition.enabled' to false.");
    for (size_t i = 0; i < d->partition_keys.n; i++) {
        const fl_type_t *t = &s->cols[fl_schema_col_index(s, d->partition_keys.items[i])].type;
        if (fl_type_is_nested(t->root) || t->root == FL_T_DECIMAL) {
            char tb[256];
            fl_type_format(t, tb, sizeof(tb));
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "Currently, partitioned table supported partition key type are [CHAR, STRING, "
                   "BOOLEAN, BINARY, BYTES, TINYINT, SMALLINT, INTEGER, DATE, "
                   "TIME_WITHOUT_TIME_ZONE, BIGINT, FLOAT, DOUBLE, TIMESTAMP_WITHOUT_TIME_ZONE, "
                   "TIMESTAMP_WITH_LOCAL_TIME_ZONE], but got partition key '%s' with data type %s.",
                   d->partition_keys.items[i], tb);
        }
    }
    if (ap.enabled && d->partition_keys.n > 1) {
        const char *k = fl_prop(d, "table.auto-partition.key");
        if (!k || !*k)
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "Currently, auto partitioned table must set one auto partition key when it has "
                   "multiple partition keys. Please set table property 'table.auto-partition.key'.");
        if (!fl_strs_has(&d->partition_keys, k))
            FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                   "The specified key for auto partitioned table is not a partition key. Your key "
                   "'%s' is not in key list %s",
                   k, fl_strs_fmt(a, &d->partition_keys));
    }
    if (ap.enabled && ap.num_precreate < 0)
        FL_BAD(FL_ERR_INVALID_CONFIG_EXCEPTION, "'table.auto-partition.num-precreate' must not be negative.");

    static const char *const system_columns[] = {"__offset", "__timestamp", "__bucket",
                                                 "_change_type", "_log_offset", "_commit_timestamp"};
    for (size_t i = 0; i < s->n_cols; i++)
        for (size_t k = 0; k < FL_ARRAY_LEN(system_columns); k++)
            if (!strcmp(s->cols[i].name, system_columns[k]))
                FL_BAD(FL_ERR_INVALID_TABLE_EXCEPTION,
                       "%s cannot be used as column names, because they are reserved system "
                       "columns in Fluss. Please use other names for these columns. The reserved "
                       "system columns are: __offset, __timestamp, __bucket, _change_type, "
                       "_log_offset, _commit_timestamp",
                       s->cols[i].name);
    return FL_ERR_NONE;
}
