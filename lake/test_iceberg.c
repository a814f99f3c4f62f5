/* test_iceberg.c: the Iceberg v2 table writer.
 *
 * Unit tests (cmocka): single-value bound bytes, schema JSON and field ids (AssignFreshIds),
 * metadata/manifest/manifest-list structure read back, PK merge-on-read files (equality and
 * position deletes), empty rounds and abort, a failed rename and a stale version hint, two
 * writers racing for v<N+1>, invalid tables, malformed metadata and manifest lists.
 *
 * `test_lake_iceberg --emit DIR` writes DIR/wh (a Hadoop-catalog warehouse, namespace "fl") and
 * DIR/expect for the real readers: lake/check_iceberg.py (pyiceberg, DuckDB) and tests/lakecheck
 * IcebergDump (the Iceberg 1.10.1 Java library):
 *   T.rows        one canonical JSON array per row (user columns, __bucket, __offset,
 *                 __timestamp), sorted bytewise; value forms as lake/test_paimon.c documents
 *                 them, with TIME as millis of day and timestamps at micro precision
 *                 ("ts:<millis>:<nanos of milli>")
 *   T.rows@<id>   the rows as of snapshot <id> (time travel)
 *   T.types       [[fluss type root, precision], ...] per column
 *   snapshots     "T <current snapshot id> <sequence number> <total-records> <fluss-offsets>
 *                 <operation> <snapshot count> [eqdel]" (eqdel: has equality deletes, which
 *                 pyiceberg cannot scan)
 *   filters       "T <column> <eq|lt|ge> <long or s:string> [prunes]": the Java check runs a
 *                 filtered scan, which must return exactly the expectation rows matching the
 *                 predicate (wrong column bounds or partition values lose rows) and, with
 *                 "prunes", must plan fewer files than the unfiltered scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl_arena.h"
#include "fl_avro.h"
#include "fl_bucket.h"
#include "fl_iceberg.h"
#include "fl_keyenc.h"
#include "fl_tabledesc.h"
#include "fl_vfs.h"
#include "test_lake_util.h"

/* ------------------------------------------------------------------------------------------ */
/* helpers */


/* The Fluss bucket of a one-column key, with Iceberg's hash (IcebergBucketingFunction). */
static int32_t ice_bucket(fl_type_root_t root, const fl_datum_t *key, int32_t n) {
    fl_type_t kt = {.root = root};
    char *names[1] = {"k"};
    int32_t ids[1] = {0};
    fl_type_t row = {.root = FL_T_ROW, .n_children = 1, .children = &kt, .field_names = names,
                     .field_ids = ids};
    uint32_t idx[1] = {0};
    fl_buf_t b;
    fl_buf_init(&b);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_ICEBERG, &row, key, idx, 1, &b), 0);
    int32_t bucket = -1;
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_ICEBERG, b.p, b.len, n, &bucket), 0);
    fl_buf_free(&b);
    return bucket;
}

static fl_avro_file_t read_avro(fl_arena_t *a, const char *path) {
    uint8_t *p;
    size_t len;
    assert_int_equal(fl_vfs_read_file(path, 64u << 20, &p, &len), 0);
    uint8_t *cp = fl_arena_alloc(a, len);
    memcpy(cp, p, len);
    fl_free(p);
    fl_avro_file_t f;
    const char *why = NULL;
    fl_err_t err = fl_avro_file_read(a, cp, len, &f, &why);
    if (err) fprintf(stderr, "%s: %s\n", path, why);
    assert_int_equal(err, 0);
    return f;
}

static const char *avro_meta(const fl_avro_file_t *f, const char *key, fl_arena_t *a) {
    for (size_t i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0)
            return fl_arena_strndup(a, f->meta[i].value, f->meta[i].len);
    return NULL;
}

static const fl_avro_value_t *field(const fl_avro_schema_t *s, const fl_avro_value_t *v,
                                    const char *name) {
    int i = fl_avro_field_index(s, name);
    assert_true(i >= 0);
    return &v->v.items[i];
}

static const fl_avro_schema_t *field_schema(const fl_avro_schema_t *s, const char *name) {
    int i = fl_avro_field_index(s, name);
    assert_true(i >= 0);
    const fl_avro_schema_t *t = s->fields[i].type;
    return t->kind == FL_AVRO_UNION ? t->branches[1] : t;
}

/* ------------------------------------------------------------------------------------------ */
/* Canonical row text (shared with check_iceberg.py and IcebergDump.java) */

static void fmt_val(fl_buf_t *o, const fl_type_t *t, const fl_datum_t *d) {
    fmt_value(o, t, d, 1000);
}

/* Expected table contents: key -> line (PK) or a list of lines (log). */
typedef struct model_s {
    char **keys;
    char **lines;
    size_t n, cap;
} model_t;

static void model_put(model_t *m, const char *key, const char *line) {
    if (key) {
        for (size_t i = 0; i < m->n; i++) {
            if (m->keys[i] && strcmp(m->keys[i], key) == 0) {
                free(m->lines[i]);
                m->lines[i] = line ? strdup(line) : NULL;
                return;
            }
        }
    }
    if (!line) return;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->keys = realloc(m->keys, m->cap * sizeof(char *));
        m->lines = realloc(m->lines, m->cap * sizeof(char *));
    }
    m->keys[m->n] = key ? strdup(key) : NULL;
    m->lines[m->n] = strdup(line);
    m->n++;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void model_write(const model_t *m, const char *path) {
    char **ls = calloc(m->n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->lines[i]) ls[k++] = m->lines[i];
    qsort(ls, k, sizeof(char *), cmp_str);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < k; i++) fprintf(f, "%s\n", ls[i]);
    fclose(f);
    free(ls);
}

static void model_free(model_t *m) {
    for (size_t i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->lines[i]);
    }
    free(m->keys);
    free(m->lines);
    memset(m, 0, sizeof(*m));
}

/* A table under test: the writer, the model, the snapshots committed. */
typedef struct tt_s {
    fl_iceberg_table_t *t;
    fl_iceberg_round_t *r;
    const fl_table_desc_t *desc;
    const char *name;
    model_t m;
    int pk_col;            /* user column that is the model key (-1: log table) */
    int part_col;          /* user partition column or -1 */
    int64_t ids[8];        /* snapshot ids committed */
    int n_ids;
    bool eqdel;            /* wrote equality deletes */
    int64_t records;       /* data rows written (total-records) */
} tt_t;

static char *row_line(const tt_t *tt, const fl_datum_t *row, int32_t bucket, int64_t off,
                      int64_t ts) {
    fl_buf_t o;
    fl_buf_init(&o);
    fl_buf_put_u8(&o, '[');
    const fl_schema_t *s = &tt->desc->schema;
    for (size_t i = 0; i < s->n_cols; i++) {
        if (i) fl_buf_put_u8(&o, ',');
        fmt_val(&o, &s->cols[i].type, &row[i]);
    }
    char tmp[128];
    snprintf(tmp, sizeof(tmp), ",%d,%" PRId64 ",\"ts:%" PRId64 ":0\"]", bucket, off, ts);
    fl_buf_put(&o, tmp, strlen(tmp));
    fl_buf_put_u8(&o, 0);
    char *r = strdup((const char *)o.p);
    fl_buf_free(&o);
    return r;
}

static char *row_key(const tt_t *tt, const fl_datum_t *row) {
    fl_buf_t o;
    fl_buf_init(&o);
    if (tt->part_col >= 0) fmt_val(&o, &tt->desc->schema.cols[tt->part_col].type, &row[tt->part_col]);
    fl_buf_put_u8(&o, '|');
    fmt_val(&o, &tt->desc->schema.cols[tt->pk_col].type, &row[tt->pk_col]);
    fl_buf_put_u8(&o, 0);
    char *r = strdup((const char *)o.p);
    fl_buf_free(&o);
    return r;
}

/* Add a record to the round and the model. */
static void tt_add(tt_t *tt, const char *part, int32_t bucket, const fl_datum_t *row, int kind,
                   int64_t off, int64_t ts) {
    assert_int_equal(fl_iceberg_round_add(tt->r, part, bucket, row, kind, off, ts), FL_ERR_NONE);
    char *line = row_line(tt, row, bucket, off, ts);
    bool retract = kind == FL_ICEBERG_UPDATE_BEFORE || kind == FL_ICEBERG_DELETE;
    if (!retract) tt->records++;
    if (tt->pk_col < 0) {
        model_put(&tt->m, NULL, line);
    } else {
        char *key = row_key(tt, row);
        model_put(&tt->m, key, retract ? NULL : line);
        free(key);
    }
    free(line);
}

static fl_iceberg_opts_t g_opts;

static int64_t tt_commit(tt_t *tt, const char *offsets) {
    int64_t id = -2;
    const char *why = NULL;
    const char *props[] = {"fluss-offsets", offsets, NULL};
    fl_err_t err = fl_iceberg_round_commit(tt->r, FL_ICEBERG_TIERING_USER, props, &id, &why);
    if (err) fprintf(stderr, "commit: %s\n", why);
    assert_int_equal(err, FL_ERR_NONE);
    tt->r = NULL;
    if (id > 0) tt->ids[tt->n_ids++] = id;
    return id;
}

static void tt_open(tt_t *tt, fl_arena_t *a, const char *wh, const char *name, const char *desc,
                    int pk_col, int part_col) {
    memset(tt, 0, sizeof(*tt));
    tt->desc = parse_desc(a, desc);
    tt->name = name;
    tt->pk_col = pk_col;
    tt->part_col = part_col;
    const char *why = NULL;
    fl_err_t err = fl_iceberg_table_open(wh, "fl", name, tt->desc, &g_opts, &tt->t, &why);
    if (err) fprintf(stderr, "open %s: %s\n", name, why);
    assert_int_equal(err, FL_ERR_NONE);
}

static void tt_close(tt_t *tt) {
    fl_iceberg_table_close(tt->t);
    model_free(&tt->m);
}

/* Type list of all columns, for check_iceberg.py. */
static void write_types(const tt_t *tt, const char *path) {
    fl_buf_t o;
    fl_buf_init(&o);
    fl_buf_put_u8(&o, '[');
    const fl_schema_t *s = &tt->desc->schema;
    for (size_t i = 0; i < s->n_cols; i++) {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s[\"%s\",%d]", i ? "," : "",
                 fl_type_root_name(s->cols[i].type.root), s->cols[i].type.precision);
        fl_buf_put(&o, tmp, strlen(tmp));
    }
    const char *sys = ",[\"INTEGER\",0],[\"BIGINT\",0],[\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",6]]\n";
    fl_buf_put(&o, sys, strlen(sys));
    fl_buf_put_u8(&o, 0);
    write_text(path, (const char *)o.p);
    fl_buf_free(&o);
}

/* Expectation files of a finished table: rows, types, its snapshots line. */
static void tt_expect(tt_t *tt, fl_arena_t *a, const char *exp, FILE *snaps, const char *offsets,
                      const char *op) {
    model_write(&tt->m, fl_arena_sprintf(a, "%s/%s.rows", exp, tt->name));
    write_types(tt, fl_arena_sprintf(a, "%s/%s.types", exp, tt->name));
    int64_t seq = 0;
    int64_t id = -1;
    assert_int_equal(fl_iceberg_latest_snapshot(tt->t, NULL, &id, &seq, NULL, NULL), 0);
    assert_int_equal(id, tt->ids[tt->n_ids - 1]);
    fprintf(snaps, "%s %" PRId64 " %" PRId64 " %" PRId64 " %s %s %d%s\n", tt->name, id, seq,
            tt->records, offsets, op, tt->n_ids, tt->eqdel ? " eqdel" : "");
}

/* ------------------------------------------------------------------------------------------ */
/* The tables written by --emit (and by the unit tests, in a temp warehouse) */

static const char *DESC_LOG =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"id\",\"data_type\":{\"type\":\"INTEGER\"},\"id\":0},"
    "{\"name\":\"name\",\"data_type\":{\"type\":\"STRING\"},\"comment\":\"who\",\"id\":1},"
    "{\"name\":\"v\",\"data_type\":{\"type\":\"DOUBLE\"},\"id\":2}],\"highest_field_id\":2},"
    "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":3,"
    "\"properties\":{\"table.datalake.enabled\":\"true\",\"table.datalake.format\":\"iceberg\","
    "\"table.replication.factor\":\"1\"},\"custom_properties\":{\"k1\":\"v1\","
    "\"iceberg.commit.retry.num-retries\":\"5\"}}";

static const char *DESC_LOGB =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"id\",\"data_type\":{\"type\":\"BIGINT\"},\"id\":0},"
    "{\"name\":\"msg\",\"data_type\":{\"type\":\"STRING\"},\"id\":1}],\"highest_field_id\":1},"
    "\"partition_key\":[],\"bucket_key\":[\"id\"],\"bucket_count\":3,"
    "\"properties\":{\"table.datalake.enabled\":\"true\"},\"custom_properties\":{}}";

static const char *DESC_PK =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"id\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":false},\"id\":0},"
    "{\"name\":\"name\",\"data_type\":{\"type\":\"STRING\"},\"id\":1},"
    "{\"name\":\"amount\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":10,\"scale\":2},\"id\":2}],"
    "\"primary_key\":[\"id\"],\"highest_field_id\":2},"
    "\"comment\":\"orders\",\"partition_key\":[],\"bucket_key\":[\"id\"],\"bucket_count\":4,"
    "\"properties\":{\"table.datalake.enabled\":\"true\",\"table.kv.format-version\":\"2\"},"
    "\"custom_properties\":{}}";

static const char *DESC_PART =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"dt\",\"data_type\":{\"type\":\"STRING\",\"nullable\":false},\"id\":0},"
    "{\"name\":\"id\",\"data_type\":{\"type\":\"INTEGER\",\"nullable\":false},\"id\":1},"
    "{\"name\":\"v\",\"data_type\":{\"type\":\"STRING\"},\"id\":2}],"
    "\"primary_key\":[\"dt\",\"id\"],\"highest_field_id\":2},"
    "\"partition_key\":[\"dt\"],\"bucket_key\":[\"id\"],\"bucket_count\":2,"
    "\"properties\":{\"table.datalake.enabled\":\"true\"},\"custom_properties\":{}}";

static const char *DESC_PLOG =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"region\",\"data_type\":{\"type\":\"STRING\"},\"id\":0},"
    "{\"name\":\"n\",\"data_type\":{\"type\":\"INTEGER\"},\"id\":1}],\"highest_field_id\":1},"
    "\"partition_key\":[\"region\"],\"bucket_key\":[],\"bucket_count\":2,"
    "\"properties\":{\"table.datalake.enabled\":\"true\"},\"custom_properties\":{}}";

static const char *DESC_TYPES =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"c_bool\",\"data_type\":{\"type\":\"BOOLEAN\"},\"id\":0},"
    "{\"name\":\"c_i8\",\"data_type\":{\"type\":\"TINYINT\"},\"id\":1},"
    "{\"name\":\"c_i16\",\"data_type\":{\"type\":\"SMALLINT\"},\"id\":2},"
    "{\"name\":\"c_i32\",\"data_type\":{\"type\":\"INTEGER\"},\"id\":3},"
    "{\"name\":\"c_i64\",\"data_type\":{\"type\":\"BIGINT\"},\"id\":4},"
    "{\"name\":\"c_f32\",\"data_type\":{\"type\":\"FLOAT\"},\"id\":5},"
    "{\"name\":\"c_f64\",\"data_type\":{\"type\":\"DOUBLE\"},\"id\":6},"
    "{\"name\":\"c_dec\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":10,\"scale\":2},\"id\":7},"
    "{\"name\":\"c_bigdec\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":30,\"scale\":3},\"id\":8},"
    "{\"name\":\"c_char\",\"data_type\":{\"type\":\"CHAR\",\"length\":3},\"id\":9},"
    "{\"name\":\"c_str\",\"data_type\":{\"type\":\"STRING\"},\"id\":10},"
    "{\"name\":\"c_bin\",\"data_type\":{\"type\":\"BINARY\",\"length\":4},\"id\":11},"
    "{\"name\":\"c_bytes\",\"data_type\":{\"type\":\"BYTES\"},\"id\":12},"
    "{\"name\":\"c_date\",\"data_type\":{\"type\":\"DATE\"},\"id\":13},"
    "{\"name\":\"c_time\",\"data_type\":{\"type\":\"TIME_WITHOUT_TIME_ZONE\",\"precision\":3},\"id\":14},"
    "{\"name\":\"c_ts3\",\"data_type\":{\"type\":\"TIMESTAMP_WITHOUT_TIME_ZONE\",\"precision\":3},\"id\":15},"
    "{\"name\":\"c_ts6\",\"data_type\":{\"type\":\"TIMESTAMP_WITHOUT_TIME_ZONE\",\"precision\":6},\"id\":16},"
    "{\"name\":\"c_ltz3\",\"data_type\":{\"type\":\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",\"precision\":3},\"id\":17},"
    "{\"name\":\"c_ltz6\",\"data_type\":{\"type\":\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",\"precision\":6},\"id\":18},"
    "{\"name\":\"c_arr\",\"data_type\":{\"type\":\"ARRAY\",\"element_type\":{\"type\":\"INTEGER\"}},\"id\":19},"
    "{\"name\":\"c_map\",\"data_type\":{\"type\":\"MAP\",\"key_type\":{\"type\":\"STRING\",\"nullable\":false},"
    "\"value_type\":{\"type\":\"INTEGER\"}},\"id\":20},"
    "{\"name\":\"c_row\",\"data_type\":{\"type\":\"ROW\",\"fields\":[{\"name\":\"a\",\"field_type\":{\"type\":\"INTEGER\"},\"field_id\":22},"
    "{\"name\":\"b\",\"field_type\":{\"type\":\"STRING\"},\"field_id\":23}]},\"id\":21}],"
    "\"highest_field_id\":23},"
    "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":1,"
    "\"properties\":{\"table.datalake.enabled\":\"true\"},\"custom_properties\":{}}";

/* log table without bucket key: identity(__bucket); 2 rounds over buckets 0..2 */
static void write_log(const char *wh, const char *exp, fl_arena_t *a, FILE *snaps) {
    tt_t tt;
    tt_open(&tt, a, wh, "logt", DESC_LOG, -1, -1);
    int64_t off[3] = {0, 0, 0};
    for (int round = 0; round < 2; round++) {
        tt.r = fl_iceberg_round_begin(tt.t);
        for (int i = 0; i < 30; i++) {
            int b = i % 3;
            char *name = fl_arena_sprintf(a, "n%d-%d", round, i);
            fl_datum_t row[3] = {d_i32(round * 100 + i), i % 7 == 0 ? d_null() : d_str(name),
                                 i == 5 ? d_f64(0.0 / 0.0) : d_f64(i * 1.5)};
            tt_add(&tt, NULL, b, row, FL_ICEBERG_APPEND_ONLY, off[b]++, 1700000000000 + i);
        }
        assert_true(tt_commit(&tt, round ? "/r/logt-2.offsets" : "/r/logt-1.offsets") > 0);
    }
    tt_expect(&tt, a, exp, snaps, "/r/logt-2.offsets", "append");
    tt_close(&tt);
}

/* log table with a bucket key: bucket[3](id), rows in the bucket of Iceberg's hash */
static void write_logb(const char *wh, const char *exp, fl_arena_t *a, FILE *snaps) {
    tt_t tt;
    tt_open(&tt, a, wh, "logb", DESC_LOGB, -1, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    int64_t off[3] = {0};
    for (int i = 0; i < 40; i++) {
        fl_datum_t row[2] = {d_i64(i * 7919), d_str(i % 2 ? "odd" : "even")};
        int32_t b = ice_bucket(FL_T_BIGINT, &row[0], 3);
        tt_add(&tt, NULL, b, row, FL_ICEBERG_APPEND_ONLY, off[b]++, 1700000000000 + i);
    }
    assert_true(tt_commit(&tt, "/r/logb-1.offsets") > 0);
    tt_expect(&tt, a, exp, snaps, "/r/logb-1.offsets", "append");
    tt_close(&tt);
}

/* PK table over three rounds: inserts; -U/+U updates, deletes, an insert+delete of a new key
 * and a key updated twice in one round; then re-inserting a deleted key, updating a key
 * updated before, deleting a round-1 key, a new key inserted then updated twice. */
static void write_pk(const char *wh, const char *exp, fl_arena_t *a, FILE *snaps) {
    tt_t tt;
    tt_open(&tt, a, wh, "pk", DESC_PK, 0, -1);
    int64_t off[4] = {0};
    char names[64][32];
#define PK_ADD(row, kind, ts)                                                                      \
    do {                                                                                           \
        int32_t b_ = ice_bucket(FL_T_BIGINT, &(row)[0], 4);                                        \
        tt_add(&tt, NULL, b_, row, kind, off[b_]++, ts);                                           \
    } while (0)
    tt.r = fl_iceberg_round_begin(tt.t);
    for (int i = 1; i <= 40; i++) {
        snprintf(names[i], sizeof(names[i]), "name-%d", i);
        fl_datum_t row[3] = {d_i64(i), d_str(names[i]), d_dec(i * 100 + 5)};
        PK_ADD(row, FL_ICEBERG_INSERT, 1700000001000 + i);
    }
    assert_true(tt_commit(&tt, "/r/pk-1.offsets") > 0);
    model_write(&tt.m, fl_arena_sprintf(a, "%s/pk.rows@%" PRId64, exp, tt.ids[0]));
    tt.r = fl_iceberg_round_begin(tt.t);
    for (int i = 1; i <= 40; i += 3) {
        fl_datum_t before[3] = {d_i64(i), d_str(names[i]), d_dec(i * 100 + 5)};
        fl_datum_t after[3] = {d_i64(i), d_str("updated"), d_dec(-i)};
        PK_ADD(before, FL_ICEBERG_UPDATE_BEFORE, 1700000002000 + i);
        PK_ADD(after, FL_ICEBERG_UPDATE_AFTER, 1700000002000 + i);
    }
    for (int i = 2; i <= 40; i += 5) {
        fl_datum_t row[3] = {d_i64(i), d_str(names[i]), d_dec(i * 100 + 5)};
        PK_ADD(row, FL_ICEBERG_DELETE, 1700000003000 + i);
    }
    {
        fl_datum_t g[3] = {d_i64(1000), d_str("ghost"), d_null()};
        PK_ADD(g, FL_ICEBERG_INSERT, 1700000004000);
        PK_ADD(g, FL_ICEBERG_DELETE, 1700000004001);
        fl_datum_t u0[3] = {d_i64(4), d_str("updated"), d_dec(-4)};
        fl_datum_t u1[3] = {d_i64(4), d_str("u1"), d_dec(1)};
        fl_datum_t u2[3] = {d_i64(4), d_str("u2"), d_dec(2)};
        PK_ADD(u0, FL_ICEBERG_UPDATE_BEFORE, 1700000004002);
        PK_ADD(u1, FL_ICEBERG_UPDATE_AFTER, 1700000004003);
        PK_ADD(u1, FL_ICEBERG_UPDATE_BEFORE, 1700000004004);
        PK_ADD(u2, FL_ICEBERG_UPDATE_AFTER, 1700000004005);
    }
    tt.eqdel = true;
    assert_true(tt_commit(&tt, "/r/pk-2.offsets") > 0);
    tt.r = fl_iceberg_round_begin(tt.t);
    {
        fl_datum_t k2[3] = {d_i64(2), d_str("back"), d_dec(22)};
        PK_ADD(k2, FL_ICEBERG_INSERT, 1700000005000);
        fl_datum_t k1a[3] = {d_i64(1), d_str("updated"), d_dec(-1)};
        fl_datum_t k1b[3] = {d_i64(1), d_str("again"), d_dec(11)};
        PK_ADD(k1a, FL_ICEBERG_UPDATE_BEFORE, 1700000005001);
        PK_ADD(k1b, FL_ICEBERG_UPDATE_AFTER, 1700000005002);
        fl_datum_t k3[3] = {d_i64(3), d_str(names[3]), d_dec(305)};
        PK_ADD(k3, FL_ICEBERG_DELETE, 1700000005003);
        fl_datum_t n1[3] = {d_i64(2000), d_str("new"), d_dec(1)};
        fl_datum_t n2[3] = {d_i64(2000), d_str("newer"), d_dec(2)};
        fl_datum_t n3[3] = {d_i64(2000), d_str("newest"), d_dec(3)};
        PK_ADD(n1, FL_ICEBERG_INSERT, 1700000005004);
        PK_ADD(n1, FL_ICEBERG_UPDATE_BEFORE, 1700000005005);
        PK_ADD(n2, FL_ICEBERG_UPDATE_AFTER, 1700000005006);
        PK_ADD(n2, FL_ICEBERG_UPDATE_BEFORE, 1700000005007);
        PK_ADD(n3, FL_ICEBERG_UPDATE_AFTER, 1700000005008);
    }
#undef PK_ADD
    assert_true(tt_commit(&tt, "/r/pk-3.offsets") > 0);
    tt_expect(&tt, a, exp, snaps, "/r/pk-3.offsets", "overwrite");
    tt_close(&tt);
}

/* partitioned PK table (dt STRING, PK dt+id, bucket[2](id)), two rounds; partitioned log
 * table with values that need URL encoding in paths */
static void write_part(const char *wh, const char *exp, fl_arena_t *a, FILE *snaps) {
    tt_t tt;
    tt_open(&tt, a, wh, "part", DESC_PART, 1, 0);
    const char *days[3] = {"2025-01-01", "2025-01-02", "x y"};
    int64_t off[3][2] = {{0}};
    for (int round = 0; round < 2; round++) {
        tt.r = fl_iceberg_round_begin(tt.t);
        for (int d = 0; d < 3; d++) {
            for (int i = 0; i < 12; i++) {
                char *v = fl_arena_sprintf(a, "r%d-%s-%d", round, days[d], i);
                char *old = fl_arena_sprintf(a, "r0-%s-%d", days[d], i);
                fl_datum_t row[3] = {d_str(days[d]), d_i32(i), d_str(v)};
                fl_datum_t prev[3] = {d_str(days[d]), d_i32(i), d_str(old)};
                int32_t b = ice_bucket(FL_T_INTEGER, &row[1], 2);
                int64_t ts = 1700000005000 + i;
                if (round == 0) {
                    tt_add(&tt, days[d], b, row, FL_ICEBERG_INSERT, off[d][b]++, ts);
                } else if (i % 4 == 0) {
                    tt_add(&tt, days[d], b, prev, FL_ICEBERG_DELETE, off[d][b]++, ts);
                } else {
                    tt_add(&tt, days[d], b, prev, FL_ICEBERG_UPDATE_BEFORE, off[d][b]++, ts);
                    tt_add(&tt, days[d], b, row, FL_ICEBERG_UPDATE_AFTER, off[d][b]++, ts);
                }
            }
        }
        if (round) tt.eqdel = true;
        assert_true(tt_commit(&tt, "/r/part.offsets") > 0);
    }
    tt_expect(&tt, a, exp, snaps, "/r/part.offsets", "overwrite");
    tt_close(&tt);

    tt_open(&tt, a, wh, "plog", DESC_PLOG, -1, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    const char *regions[4] = {"eu", "us", "a/b", "x y=%"};
    for (int i = 0; i < 24; i++) {
        fl_datum_t row[2] = {d_str(regions[i % 4]), d_i32(i)};
        tt_add(&tt, regions[i % 4], i % 3 == 0 ? 1 : 0, row, FL_ICEBERG_APPEND_ONLY, i,
               1700000006000 + i);
    }
    assert_true(tt_commit(&tt, "/r/plog.offsets") > 0);
    tt_expect(&tt, a, exp, snaps, "/r/plog.offsets", "append");
    tt_close(&tt);
}

/* every type, nulls, NaN, very long and non-ASCII strings */
static void write_types_table(const char *wh, const char *exp, fl_arena_t *a, FILE *snaps) {
    tt_t tt;
    tt_open(&tt, a, wh, "types", DESC_TYPES, -1, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    static uint8_t bigdec[3][16] = {{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09},
                                    {0xff, 0x00},
                                    {0x00, 0x80}};
    static const uint32_t bigdec_len[3] = {9, 2, 2};
    char *longstr = fl_arena_alloc(a, 300001);
    for (int i = 0; i < 300000; i++) longstr[i] = (char)('a' + i % 26);
    longstr[300000] = 0;
    for (int i = 0; i < 12; i++) {
        fl_datum_t row[22];
        memset(row, 0, sizeof(row));
        row[0].v.b = i % 2;
        row[1].v.i8 = (int8_t)(i * 20 - 100);
        row[2].v.i16 = (int16_t)(i * 3000 - 20000);
        row[3].v.i32 = i * 100000 - 7;
        row[4].v.i64 = (int64_t)i * 1000000000007ll - 5;
        row[5].v.f32 = (float)i / 4.0f - 1.25f;
        row[6].v.f64 = i * 3.25 - 10.0;
        row[7].v.dec.unscaled = i * 12345 - 50000;
        row[8].v.dec.big = bigdec[i % 3];
        row[8].v.dec.big_len = bigdec_len[i % 3];
        row[9] = d_str(i % 2 ? "abc" : "xy ");
        if (i == 3) row[10] = d_str(longstr);
        else if (i == 4) row[10] = d_str("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \"q\" \\ \t");
        else if (i == 5) row[10] = d_str("");
        else row[10] = d_str(fl_arena_sprintf(a, "s%02d-%s", i, "zzzzzzzzzzzzzzzzzzzzzzzz"));
        static const uint8_t bin[4] = {0xde, 0xad, 0xbe, 0xef};
        row[11] = d_bytes(bin, 4);
        row[12] = d_bytes(longstr, (uint32_t)(i * 5));
        row[13].v.i32 = 19000 + i;
        row[14].v.i32 = i * 3600000 + 123;
        row[15] = d_ts(1700000000123ll + i, 0);
        row[16] = d_ts(1700000000123ll + i, (i * 7 % 1000) * 1000);
        row[17] = d_ts(-86400000ll * i + 5, 0);
        row[18] = d_ts(1600000000000ll + i, 999000);
        fl_datum_t *arr = fl_arena_calloc(a, 3 * sizeof(fl_datum_t));
        arr[0] = d_i32(i);
        arr[1] = d_null();
        arr[2] = d_i32(-i);
        row[19].v.list.items = arr;
        row[19].v.list.n = (uint32_t)(i % 4);
        fl_datum_t *mk = fl_arena_calloc(a, 2 * sizeof(fl_datum_t));
        fl_datum_t *mv = fl_arena_calloc(a, 2 * sizeof(fl_datum_t));
        mk[0] = d_str("k1");
        mk[1] = d_str("k2");
        mv[0] = d_i32(i);
        mv[1] = d_null();
        row[20].v.list.items = mk;
        row[20].v.list.values = mv;
        row[20].v.list.n = (uint32_t)(i % 3);
        fl_datum_t *rf = fl_arena_calloc(a, 2 * sizeof(fl_datum_t));
        rf[0] = d_i32(i * 2);
        rf[1] = i % 2 ? d_null() : d_str("inner");
        row[21].v.list.items = rf;
        row[21].v.list.n = 2;
        if (i == 7)
            for (int c = 0; c < 22; c++) row[c] = d_null();
        tt_add(&tt, NULL, 0, row, FL_ICEBERG_APPEND_ONLY, i, 1700000007000 + i);
    }
    assert_true(tt_commit(&tt, "/r/types.offsets") > 0);
    tt_expect(&tt, a, exp, snaps, "/r/types.offsets", "append");
    tt_close(&tt);
}

static void write_all(const char *dir) {
    fl_arena_t *a = fl_arena_new(0);
    char *wh = fl_arena_sprintf(a, "%s/wh", dir);
    char *exp = fl_arena_sprintf(a, "%s/expect", dir);
    rm_rf(wh);
    rm_rf(exp);
    assert_int_equal(mkdir(exp, 0755) == 0 || errno == EEXIST, 1);
    FILE *snaps = fopen(fl_arena_sprintf(a, "%s/snapshots", exp), "w");
    assert_non_null(snaps);
    write_log(wh, exp, a, snaps);
    write_logb(wh, exp, a, snaps);
    write_pk(wh, exp, a, snaps);
    write_part(wh, exp, a, snaps);
    write_types_table(wh, exp, a, snaps);
    fclose(snaps);
    /* filtered scans for the Java check: bounds of __offset and the key, partition values */
    write_text(fl_arena_sprintf(a, "%s/filters", exp),
               "logt __offset ge 15 prunes\n"
               "logt __offset lt 3 prunes\n"
               "logt id eq 105 prunes\n"
               "logt __bucket eq 2 prunes\n"
               "logb id eq 7919 prunes\n"
               "logb id ge 300000 prunes\n"
               "pk id eq 10 prunes\n"
               "pk id eq 2 prunes\n"
               "pk id lt 5\n"
               "pk id ge 1000\n"
               "pk __offset lt 4 prunes\n"
               "part id eq 3 prunes\n"
               "part dt eq s:x+y prunes\n"
               "part dt eq s:2025-01-02 prunes\n"
               "plog region eq s:a/b prunes\n"
               "plog n ge 20\n"
               "types c_i64 ge 5000000000030\n"
               "types c_i32 ge 0\n"
               "types c_date eq 19003\n");
    fl_arena_destroy(a);
}

/* ------------------------------------------------------------------------------------------ */
/* Unit tests */

static void test_bound_bytes(void **state) {
    (void)state;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_type_t ti = {.root = FL_T_INTEGER}, tl = {.root = FL_T_BIGINT};
    fl_type_t td = {.root = FL_T_DECIMAL, .precision = 4, .scale = 2};
    fl_type_t tt = {.root = FL_T_TIME}, tts = {.root = FL_T_TIMESTAMP, .precision = 6};
    fl_type_t ts8 = {.root = FL_T_TINYINT}, tf = {.root = FL_T_FLOAT};
    fl_datum_t d = d_i32(34);
    assert_true(fl_iceberg_bound_bytes(&ti, &d, &b));
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.p, "\x22\x00\x00\x00", 4);
    fl_buf_reset(&b);
    d = d_i64(-2);
    assert_true(fl_iceberg_bound_bytes(&tl, &d, &b));
    assert_memory_equal(b.p, "\xfe\xff\xff\xff\xff\xff\xff\xff", 8);
    /* decimal: minimal big-endian two's complement of the unscaled value */
    const struct { int64_t v; const char *bytes; size_t n; } decs[] = {
        {1420, "\x05\x8c", 2}, {0, "\x00", 1}, {-1, "\xff", 1}, {127, "\x7f", 1},
        {128, "\x00\x80", 2}, {-128, "\x80", 1}, {-129, "\xff\x7f", 2}};
    for (size_t i = 0; i < sizeof(decs) / sizeof(decs[0]); i++) {
        fl_buf_reset(&b);
        d = d_dec(decs[i].v);
        assert_true(fl_iceberg_bound_bytes(&td, &d, &b));
        assert_int_equal(b.len, decs[i].n);
        assert_memory_equal(b.p, decs[i].bytes, decs[i].n);
    }
    /* time: millis of day -> micros as long; timestamp: micros, sub-micro digits dropped */
    fl_buf_reset(&b);
    d = d_i32(81068000); /* 22:31:08 */
    assert_true(fl_iceberg_bound_bytes(&tt, &d, &b));
    int64_t v;
    memcpy(&v, b.p, 8);
    assert_int_equal(v, 81068000000ll);
    fl_buf_reset(&b);
    d = d_ts(1510871468000ll, 123456);
    assert_true(fl_iceberg_bound_bytes(&tts, &d, &b));
    memcpy(&v, b.p, 8);
    assert_int_equal(v, 1510871468000123ll);
    fl_buf_reset(&b);
    d.is_null = false;
    d.v.i8 = -3;
    assert_true(fl_iceberg_bound_bytes(&ts8, &d, &b));
    assert_memory_equal(b.p, "\xfd\xff\xff\xff", 4);
    fl_buf_reset(&b);
    d.v.f32 = 1.0f;
    assert_true(fl_iceberg_bound_bytes(&tf, &d, &b));
    assert_memory_equal(b.p, "\x00\x00\x80\x3f", 4);
    d = d_null();
    assert_false(fl_iceberg_bound_bytes(&ti, &d, &b));
    fl_type_t ta = {.root = FL_T_ARRAY};
    d = d_i32(1);
    assert_false(fl_iceberg_bound_bytes(&ta, &d, &b));
    char tb[32];
    assert_string_equal(fl_iceberg_type_name(&td, tb, sizeof(tb)), "decimal(4, 2)");
    fl_type_t tz = {.root = FL_T_TIMESTAMP_LTZ};
    assert_string_equal(fl_iceberg_type_name(&tz, tb, sizeof(tb)), "timestamptz");
    fl_buf_free(&b);
}

/* Schema JSON: AssignFreshIds order, system columns, identifier fields, spec, sort order,
 * properties; the data file's value_counts keys are exactly the leaf ids. */
static void test_schema_and_ids(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "types", DESC_TYPES, -1, -1);
    char *path = fl_arena_sprintf(a, "%s/fl/types/metadata/v1.metadata.json", dir);
    json_t *m = load_json(path);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "format-version")), 2);
    /* 22 user + 3 system top-level (1..25), then c_arr element 26, c_map key 27 value 28,
     * c_row a 29 b 30 */
    assert_int_equal(json_integer_value(json_object_get(m, "last-column-id")), 30);
    json_t *fields = json_object_get(json_array_get(json_object_get(m, "schemas"), 0), "fields");
    assert_int_equal(json_array_size(fields), 25);
    json_t *arr = json_object_get(json_array_get(fields, 19), "type");
    assert_int_equal(json_integer_value(json_object_get(arr, "element-id")), 26);
    json_t *map = json_object_get(json_array_get(fields, 20), "type");
    assert_int_equal(json_integer_value(json_object_get(map, "key-id")), 27);
    assert_int_equal(json_integer_value(json_object_get(map, "value-id")), 28);
    json_t *row = json_object_get(json_array_get(fields, 21), "type");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(row, "fields"), 1), "id")), 30);
    json_t *ts = json_array_get(fields, 24);
    assert_string_equal(json_string_value(json_object_get(ts, "name")), "__timestamp");
    assert_string_equal(json_string_value(json_object_get(ts, "type")), "timestamptz");
    assert_true(json_is_true(json_object_get(ts, "required")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 7), "type")),
                        "decimal(10, 2)");
    json_t *spec = json_array_get(json_object_get(m, "partition-specs"), 0);
    json_t *pf = json_array_get(json_object_get(spec, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(pf, "name")), "__bucket");
    assert_int_equal(json_integer_value(json_object_get(pf, "source-id")), 23);
    assert_int_equal(json_integer_value(json_object_get(pf, "field-id")), 1000);
    assert_int_equal(json_integer_value(json_object_get(m, "last-partition-id")), 1000);
    json_t *so = json_array_get(json_object_get(json_array_get(json_object_get(m, "sort-orders"), 0), "fields"), 0);
    assert_int_equal(json_integer_value(json_object_get(so, "source-id")), 24);
    assert_int_equal(json_integer_value(json_object_get(m, "current-snapshot-id")), -1);
    json_decref(m);
    /* one row; the manifest's value_counts keys = leaf ids 1..25 minus 20..22 plus 26..30 */
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t r[22];
    for (int i = 0; i < 22; i++) r[i] = d_null();
    tt_add(&tt, NULL, 0, r, 0, 0, 0);
    int64_t id = tt_commit(&tt, "o");
    assert_true(id > 0);
    assert_int_equal(fl_iceberg_table_version(tt.t), 2);
    m = load_json(fl_arena_sprintf(a, "%s/fl/types/metadata/v2.metadata.json", dir));
    json_t *snap = json_array_get(json_object_get(m, "snapshots"), 0);
    fl_avro_file_t lf = read_avro(a, json_string_value(json_object_get(snap, "manifest-list")));
    assert_int_equal(lf.n_records, 1);
    const fl_avro_value_t *mp = field(lf.schema, &lf.records[0], "manifest_path");
    fl_avro_file_t mf = read_avro(a, fl_arena_strndup(a, (const char *)mp->v.p, mp->n));
    const fl_avro_value_t *df = field(mf.schema, &mf.records[0], "data_file");
    const fl_avro_schema_t *dfs = field_schema(mf.schema, "data_file");
    const fl_avro_value_t *vc = field(dfs, df, "value_counts");
    assert_int_equal(vc->branch, 1);
    int seen[40] = {0};
    for (uint32_t i = 0; i < vc->n; i++) seen[vc->v.items[i].v.items[0].v.i]++;
    for (int k = 1; k <= 30; k++) assert_int_equal(seen[k], (k >= 20 && k <= 22) ? 0 : 1);
    json_decref(m);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* The emitted warehouse, checked from C: hints, metadata, manifest lists carry the parents'
 * manifests, header keys, field ids in the Avro schemas, delete files of the PK table. */
static void test_tables_structure(void **state) {
    (void)state;
    char *dir = tmpdir();
    write_all(dir);
    fl_arena_t *a = fl_arena_new(0);
    char *md = fl_arena_sprintf(a, "%s/wh/fl/pk/metadata", dir);
    uint8_t *p;
    size_t len;
    assert_int_equal(fl_vfs_read_file(fl_arena_sprintf(a, "%s/version-hint.text", md), 64, &p, &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], '4');
    fl_free(p);
    json_t *m = load_json(fl_arena_sprintf(a, "%s/v4.metadata.json", md));
    assert_int_equal(json_integer_value(json_object_get(m, "last-sequence-number")), 3);
    json_t *snaps = json_object_get(m, "snapshots");
    assert_int_equal(json_array_size(snaps), 3);
    json_t *s3 = json_array_get(snaps, 2);
    json_t *sum = json_object_get(s3, "summary");
    assert_string_equal(json_string_value(json_object_get(sum, "operation")), "overwrite");
    assert_string_equal(json_string_value(json_object_get(sum, "commit-user")), "__fluss_lake_tiering");
    assert_string_equal(json_string_value(json_object_get(sum, "fluss-offsets")), "/r/pk-3.offsets");
    assert_int_equal(json_integer_value(json_object_get(s3, "parent-snapshot-id")),
                     json_integer_value(json_object_get(json_array_get(snaps, 1), "snapshot-id")));
    assert_int_equal(json_array_size(json_object_get(m, "metadata-log")), 3);
    json_t *schema = json_array_get(json_object_get(m, "schemas"), 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(schema, "identifier-field-ids"), 0)), 1);
    json_t *props = json_object_get(m, "properties");
    assert_string_equal(json_string_value(json_object_get(props, "write.delete.mode")), "merge-on-read");
    assert_string_equal(json_string_value(json_object_get(props, "fluss.table.kv.format-version")), "2");
    json_t *pf = json_array_get(json_object_get(json_array_get(json_object_get(m, "partition-specs"), 0), "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(pf, "transform")), "bucket[4]");
    assert_string_equal(json_string_value(json_object_get(pf, "name")), "id_bucket");
    /* round 3's list: 2 new manifests (data, deletes) + round 2's 2 + round 1's 1 */
    fl_avro_file_t lf = read_avro(a, json_string_value(json_object_get(s3, "manifest-list")));
    assert_int_equal(lf.n_records, 5);
    assert_non_null(strstr(lf.schema_json, "\"field-id\":500"));
    assert_non_null(strstr(lf.schema_json, "\"element-id\":508"));
    assert_string_equal(avro_meta(&lf, "format-version", a), "2");
    assert_string_equal(avro_meta(&lf, "parent-snapshot-id", a),
                        fl_arena_sprintf(a, "%" PRId64, (int64_t)json_integer_value(
                                                            json_object_get(s3, "parent-snapshot-id"))));
    int64_t seqs[5];
    int n_eq = 0, n_pos = 0, n_data = 0;
    for (size_t i = 0; i < lf.n_records; i++) {
        seqs[i] = field(lf.schema, &lf.records[i], "sequence_number")->v.l;
        int content = field(lf.schema, &lf.records[i], "content")->v.i;
        const fl_avro_value_t *mp = field(lf.schema, &lf.records[i], "manifest_path");
        char *mpath = fl_arena_strndup(a, (const char *)mp->v.p, mp->n);
        fl_avro_file_t mf = read_avro(a, mpath);
        struct stat st;
        assert_int_equal(stat(mpath, &st), 0);
        assert_int_equal(field(lf.schema, &lf.records[i], "manifest_length")->v.l, st.st_size);
        assert_string_equal(avro_meta(&mf, "content", a), content ? "deletes" : "data");
        assert_non_null(avro_meta(&mf, "partition-spec", a));
        assert_non_null(strstr(mf.schema_json, "\"field-id\":1000"));
        assert_non_null(strstr(mf.schema_json, "\"field-id\":143"));
        const fl_avro_schema_t *dfs = field_schema(mf.schema, "data_file");
        for (size_t k = 0; k < mf.n_records; k++) {
            const fl_avro_value_t *df = field(mf.schema, &mf.records[k], "data_file");
            int c = field(dfs, df, "content")->v.i;
            const fl_avro_value_t *fp = field(dfs, df, "file_path");
            char *fpath = fl_arena_strndup(a, (const char *)fp->v.p, fp->n);
            assert_int_equal(stat(fpath, &st), 0);
            assert_int_equal(field(dfs, df, "file_size_in_bytes")->v.l, st.st_size);
            assert_int_equal(field(mf.schema, &mf.records[k], "status")->v.i, 1);
            assert_int_equal(field(mf.schema, &mf.records[k], "sequence_number")->branch, 0);
            const fl_avro_value_t *eq = field(dfs, df, "equality_ids");
            if (c == 2) {
                n_eq++;
                assert_int_equal(eq->branch, 1);
                assert_int_equal(eq->n, 1);
                assert_int_equal(eq->v.items[0].v.i, 1);
            } else {
                assert_int_equal(eq->branch, 0);
            }
            if (c == 1) n_pos++;
            if (c == 0) n_data++;
            assert_int_equal(c != 0, content != 0);
        }
    }
    assert_int_equal(seqs[0], 3);
    assert_int_equal(seqs[4], 1);
    assert_true(n_eq >= 2 && n_pos >= 2 && n_data >= 8);
    json_decref(m);
    /* the partitioned log table's directories are URL-encoded */
    char *pl = fl_arena_sprintf(a, "%s/wh/fl/plog/data", dir);
    assert_int_equal(count_files(pl, "region_a%2Fb"), 1);
    assert_int_equal(count_files(pl, "region_x+y%3D%25"), 1);
    assert_int_equal(count_files(fl_arena_sprintf(a, "%s/wh/fl/logt/data", dir), "*.parquet"), 6);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* Zero records: no snapshot; abort removes the round's files; bad inputs keep the round. */
static void test_empty_round_and_abort(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "e", DESC_LOG, -1, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    assert_null(fl_iceberg_round_begin(tt.t));
    assert_int_equal(tt_commit(&tt, "o"), -1);
    char *md = fl_arena_sprintf(a, "%s/fl/e/metadata", dir);
    assert_int_equal(count_files(md, "v*.metadata.json"), 1);
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t row[3] = {d_i32(1), d_str("x"), d_f64(1)};
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, row, 0, 0, 0), 0);
    char *dd = fl_arena_sprintf(a, "%s/fl/e/data", dir);
    assert_int_equal(count_files(dd, "*.parquet"), 1);
    fl_iceberg_round_abort(tt.r);
    tt.r = NULL;
    assert_int_equal(count_files(dd, "*.parquet"), 0);
    int64_t id = 7, seq = 7;
    fl_buf_t sj;
    fl_buf_init(&sj);
    assert_int_equal(fl_iceberg_latest_snapshot(tt.t, NULL, &id, &seq, &sj, NULL), 0);
    assert_int_equal(id, -1);
    assert_int_equal(seq, 0);
    assert_int_equal(sj.len, 2);
    fl_buf_free(&sj);
    tt.r = fl_iceberg_round_begin(tt.t);
    assert_int_equal(fl_iceberg_round_add(tt.r, "p", 0, row, 0, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, -1, row, 0, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 3, row, 0, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, row, FL_ICEBERG_DELETE, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, row, 9, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_rows(tt.r), 0);
    tt_add(&tt, NULL, 1, row, 0, 0, 0); /* still usable */
    assert_true(tt_commit(&tt, "o") > 0);
    tt_close(&tt);
    /* PK: null key and a null in a NOT NULL column are refused; the round goes on */
    tt_open(&tt, a, dir, "k", DESC_PK, 0, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t bad[3] = {d_null(), d_str("x"), d_dec(1)};
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, bad, FL_ICEBERG_INSERT, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, bad, FL_ICEBERG_DELETE, 0, 0), FL_ERR__INVAL);
    fl_datum_t big[3] = {d_i64(1), d_str("x"), d_dec(100000000000ll)}; /* > DECIMAL(10,2) */
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, big, FL_ICEBERG_INSERT, 0, 0), FL_ERR__INVAL);
    fl_datum_t ok[3] = {d_i64(1), d_str("x"), d_dec(1)};
    tt_add(&tt, NULL, 0, ok, FL_ICEBERG_INSERT, 0, 0);
    assert_true(tt_commit(&tt, "o") > 0);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* In-round merge: +I,+U,+U of one key gives 3 data rows and 2 position deletes; -D of a key
 * written in this round is a position delete; -D of an older key an equality delete. */
static void test_pk_delete_files(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "p", DESC_PK, 0, -1);
    fl_datum_t r1[3] = {d_i64(7), d_str("a"), d_dec(1)};
    fl_datum_t r2[3] = {d_i64(7), d_str("b"), d_dec(2)};
    fl_datum_t r3[3] = {d_i64(7), d_str("c"), d_dec(3)};
    fl_datum_t o1[3] = {d_i64(8), d_str("o"), d_dec(8)};
    tt.r = fl_iceberg_round_begin(tt.t);
    tt_add(&tt, NULL, 0, o1, FL_ICEBERG_INSERT, 0, 1);
    assert_true(tt_commit(&tt, "o1") > 0);
    tt.r = fl_iceberg_round_begin(tt.t);
    tt_add(&tt, NULL, 0, r1, FL_ICEBERG_INSERT, 1, 1);
    tt_add(&tt, NULL, 0, r2, FL_ICEBERG_UPDATE_AFTER, 2, 1);
    tt_add(&tt, NULL, 0, r3, FL_ICEBERG_UPDATE_AFTER, 3, 1);
    tt_add(&tt, NULL, 0, o1, FL_ICEBERG_DELETE, 4, 1);
    fl_datum_t g[3] = {d_i64(9), d_str("g"), d_null()};
    tt_add(&tt, NULL, 0, g, FL_ICEBERG_INSERT, 5, 1);
    tt_add(&tt, NULL, 0, g, FL_ICEBERG_DELETE, 6, 1);
    int64_t id = tt_commit(&tt, "o2");
    assert_true(id > 0);
    int64_t got = 0, seq = 0;
    fl_buf_t sj;
    fl_buf_init(&sj);
    assert_int_equal(fl_iceberg_latest_snapshot(tt.t, FL_ICEBERG_TIERING_USER, &got, &seq, &sj, NULL), 0);
    assert_int_equal(got, id);
    assert_int_equal(seq, 2);
    fl_buf_put_u8(&sj, 0);
    json_t *sum = json_loads((const char *)sj.p, 0, NULL);
    fl_buf_free(&sj);
    assert_string_equal(json_string_value(json_object_get(sum, "added-records")), "4");
    assert_string_equal(json_string_value(json_object_get(sum, "added-position-deletes")), "3");
    assert_string_equal(json_string_value(json_object_get(sum, "added-equality-deletes")), "1");
    assert_string_equal(json_string_value(json_object_get(sum, "total-records")), "5");
    assert_string_equal(json_string_value(json_object_get(sum, "total-delete-files")), "2");
    assert_string_equal(json_string_value(json_object_get(sum, "fluss-offsets")), "o2");
    json_decref(sum);
    /* another commit user is skipped by the filtered lookup */
    assert_int_equal(fl_iceberg_latest_snapshot(tt.t, "someone-else", &got, &seq, NULL, NULL), 0);
    assert_int_equal(got, -1);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* A failed rename leaves the table as it was (files removed); a stale hint is walked past; two
 * handles race for the same version: the loser gets FL_ERR__EXISTS and leaves no files. */
static void test_failed_commit_and_reopen(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "c", DESC_PK, 0, -1);
    fl_datum_t r1[3] = {d_i64(1), d_str("one"), d_dec(100)};
    tt.r = fl_iceberg_round_begin(tt.t);
    tt_add(&tt, NULL, 0, r1, FL_ICEBERG_INSERT, 0, 5);
    int64_t first = tt_commit(&tt, "o1");
    char *td = fl_arena_sprintf(a, "%s/fl/c", dir);
    size_t files_before = count_files(td, "*");

    fl_vfs_fault_install();
    fl_vfs_fault_fail_nth(FL_VFS_OP_RENAME, 1, EIO, false);
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t r2[3] = {d_i64(2), d_str("two"), d_dec(200)};
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 1, r2, FL_ICEBERG_INSERT, 0, 6), 0);
    int64_t id = 0;
    const char *why = NULL;
    const char *props[] = {"fluss-offsets", "o2", NULL};
    assert_int_equal(fl_iceberg_round_commit(tt.r, NULL, props, &id, &why), FL_ERR__IO);
    tt.r = NULL;
    assert_int_equal(id, -1);
    fl_vfs_fault_uninstall();
    assert_int_equal(count_files(td, "*"), files_before); /* everything of the round removed */
    assert_int_equal(fl_iceberg_table_snapshot_id(tt.t), first);
    fl_iceberg_table_close(tt.t);

    const char *w2 = NULL;
    assert_int_equal(fl_iceberg_table_open(dir, "fl", "c", tt.desc, &g_opts, &tt.t, &w2), 0);
    assert_int_equal(fl_iceberg_table_snapshot_id(tt.t), first);
    tt.r = fl_iceberg_round_begin(tt.t);
    tt_add(&tt, NULL, 1, r2, FL_ICEBERG_INSERT, 0, 6);
    int64_t second = tt_commit(&tt, "o3");
    assert_int_equal(fl_iceberg_table_version(tt.t), 3);
    /* a stale hint (crash between the rename and the hint) */
    write_text(fl_arena_sprintf(a, "%s/metadata/version-hint.text", td), "2");
    fl_iceberg_table_close(tt.t);
    assert_int_equal(fl_iceberg_table_open(dir, "fl", "c", tt.desc, &g_opts, &tt.t, &w2), 0);
    assert_int_equal(fl_iceberg_table_version(tt.t), 3);
    assert_int_equal(fl_iceberg_table_snapshot_id(tt.t), second);
    /* an unreadable hint: listing finds v3 */
    write_text(fl_arena_sprintf(a, "%s/metadata/version-hint.text", td), "garbage");
    fl_iceberg_table_t *t2 = NULL;
    assert_int_equal(fl_iceberg_table_open(dir, "fl", "c", tt.desc, &g_opts, &t2, &w2), 0);
    assert_int_equal(fl_iceberg_table_version(t2), 3);
    /* race: t2 commits v4 first, tt's commit must fail and remove its files */
    fl_iceberg_round_t *r2h = fl_iceberg_round_begin(t2);
    fl_datum_t r3[3] = {d_i64(3), d_str("three"), d_null()};
    assert_int_equal(fl_iceberg_round_add(r2h, NULL, 2, r3, FL_ICEBERG_INSERT, 0, 8), 0);
    assert_int_equal(fl_iceberg_round_commit(r2h, NULL, props, &id, &why), 0);
    size_t files_after_t2 = count_files(td, "*");
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t r4[3] = {d_i64(4), d_str("four"), d_null()};
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 3, r4, FL_ICEBERG_INSERT, 0, 9), 0);
    assert_int_equal(fl_iceberg_round_commit(tt.r, NULL, props, &id, &why), FL_ERR__EXISTS);
    tt.r = NULL;
    assert_int_equal(count_files(td, "*"), files_after_t2);
    fl_iceberg_table_close(t2);
    /* a different schema for the same name is refused */
    fl_table_desc_t *other = parse_desc(a, DESC_LOG);
    assert_int_equal(fl_iceberg_table_open(dir, "fl", "c", other, &g_opts, &t2, &w2),
                     FL_ERR_LAKE_TABLE_ALREADY_EXIST);
    assert_null(t2);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* Invalid table definitions and malformed files on disk. */
static void test_invalid_and_malformed(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    fl_iceberg_table_t *t = NULL;
    const char *why = NULL;
    static const char *bad[] = {
        /* system column name */
        "{\"schema\":{\"columns\":[{\"name\":\"__offset\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":1,\"properties\":{},\"custom_properties\":{}}",
        /* no bucket count */
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}",
        /* non-string partition key */
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[\"a\"],\"bucket_key\":[],\"bucket_count\":1,\"properties\":{},\"custom_properties\":{}}",
        /* two bucket keys */
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"
        "{\"name\":\"b\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"bucket_key\":[\"a\",\"b\"],\"bucket_count\":2,\"properties\":{},"
        "\"custom_properties\":{}}",
        /* a bucket key Iceberg cannot bucket */
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"DOUBLE\"}}]},"
        "\"partition_key\":[],\"bucket_key\":[\"a\"],\"bucket_count\":2,\"properties\":{},"
        "\"custom_properties\":{}}",
        /* PK of two non-partition columns: two bucket keys */
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"
        "{\"name\":\"b\",\"data_type\":{\"type\":\"INTEGER\"}}],\"primary_key\":[\"a\",\"b\"]},"
        "\"partition_key\":[],\"bucket_key\":[\"a\",\"b\"],\"bucket_count\":2,\"properties\":{},\"custom_properties\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fl_table_desc_t *d = parse_desc(a, bad[i]);
        char name[16];
        snprintf(name, sizeof(name), "bad%zu", i);
        assert_int_equal(fl_iceberg_table_open(dir, "fl", name, d, &g_opts, &t, &why),
                         FL_ERR_INVALID_TABLE_EXCEPTION);
        assert_null(t);
        assert_true(strlen(why) > 0);
    }
    /* partition name that does not match the row */
    tt_t tt;
    tt_open(&tt, a, dir, "pl", DESC_PLOG, -1, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t row[2] = {d_str("eu"), d_i32(1)};
    assert_int_equal(fl_iceberg_round_add(tt.r, "us", 0, row, 0, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, row, 0, 0, 0), FL_ERR__INVAL);
    fl_iceberg_round_abort(tt.r);
    tt.r = NULL;
    tt_close(&tt);
    /* malformed metadata files: open fails cleanly */
    tt_open(&tt, a, dir, "cs", DESC_LOG, -1, -1);
    tt.r = fl_iceberg_round_begin(tt.t);
    fl_datum_t lr[3] = {d_i32(1), d_str("x"), d_f64(1)};
    tt_add(&tt, NULL, 0, lr, 0, 0, 0);
    assert_true(tt_commit(&tt, "o") > 0);
    char *v2 = fl_arena_sprintf(a, "%s/fl/cs/metadata/v2.metadata.json", dir);
    uint8_t *good;
    size_t good_len;
    assert_int_equal(fl_vfs_read_file(v2, 1 << 20, &good, &good_len), 0);
    fl_table_desc_t *d = parse_desc(a, DESC_LOG);
    static const char *broken[] = {
        "{\"format-version\":2,",
        "[]",
        "{\"format-version\":1,\"last-sequence-number\":0,\"schemas\":[],\"partition-specs\":[],"
        "\"last-updated-ms\":1}",
        "{\"format-version\":2,\"last-sequence-number\":0,\"schemas\":[],\"partition-specs\":[],"
        "\"last-updated-ms\":1,\"current-snapshot-id\":5,\"snapshots\":[]}",
        "{\"format-version\":2,\"last-sequence-number\":0,\"schemas\":[],\"partition-specs\":[],"
        "\"last-updated-ms\":1,\"snapshots\":[{\"snapshot-id\":\"1\"}]}",
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        write_text(v2, broken[i]);
        assert_int_equal(fl_iceberg_table_open(dir, "fl", "cs", d, &g_opts, &t, &why),
                         FL_ERR_CORRUPT_MESSAGE);
        assert_null(t);
    }
    /* a corrupt manifest list: the next commit fails (nothing visible) */
    FILE *f = fopen(v2, "w");
    fwrite(good, 1, good_len, f);
    fclose(f);
    fl_free(good);
    tt_close(&tt);
    tt_open(&tt, a, dir, "cs", DESC_LOG, -1, -1);
    json_t *m = load_json(v2);
    const char *list = json_string_value(json_object_get(json_array_get(json_object_get(m, "snapshots"), 0), "manifest-list"));
    uint8_t *lb;
    size_t ll;
    assert_int_equal(fl_vfs_read_file(list, 1 << 20, &lb, &ll), 0);
    f = fopen(list, "w");
    fwrite(lb, 1, ll / 2, f); /* cut in half */
    fclose(f);
    fl_free(lb);
    tt.r = fl_iceberg_round_begin(tt.t);
    assert_int_equal(fl_iceberg_round_add(tt.r, NULL, 0, lr, 0, 1, 0), 0);
    int64_t id = 0;
    assert_int_equal(fl_iceberg_round_commit(tt.r, NULL, NULL, &id, &why), FL_ERR_CORRUPT_MESSAGE);
    tt.r = NULL;
    assert_int_equal(id, -1);
    assert_int_equal(fl_iceberg_table_version(tt.t), 2);
    assert_int_equal(count_files(fl_arena_sprintf(a, "%s/fl/cs/metadata", dir), "v*.metadata.json"), 2);
    json_decref(m);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* Rolling data files at the target size: positions of keys span files. */
static void test_rolling_files(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    fl_iceberg_opts_t small = g_opts;
    small.target_file_bytes = 1; /* every row closes its file */
    tt_t tt;
    memset(&tt, 0, sizeof(tt));
    tt.desc = parse_desc(a, DESC_PK);
    tt.name = "roll";
    tt.pk_col = 0;
    tt.part_col = -1;
    const char *why = NULL;
    assert_int_equal(fl_iceberg_table_open(dir, "fl", "roll", tt.desc, &small, &tt.t, &why), 0);
    tt.r = fl_iceberg_round_begin(tt.t);
    for (int i = 0; i < 5; i++) {
        fl_datum_t row[3] = {d_i64(1), d_str("v"), d_dec(i)};
        tt_add(&tt, NULL, 0, row, i ? FL_ICEBERG_UPDATE_AFTER : FL_ICEBERG_INSERT, i, 1);
    }
    assert_true(tt_commit(&tt, "o") > 0);
    char *dd = fl_arena_sprintf(a, "%s/fl/roll/data", dir);
    assert_int_equal(count_files(dd, "*.parquet"), 6); /* 5 data + 1 position delete */
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

static const char *g_emit_dir;

static void test_emit(void **state) {
    (void)state;
    write_all(g_emit_dir);
    printf("wrote %s/wh and %s/expect\n", g_emit_dir, g_emit_dir);
}

int main(int argc, char **argv) {
    fl_iceberg_opts_default(&g_opts);
    g_opts.now_ms = 1750000000000;
    if (argc == 3 && strcmp(argv[1], "--emit") == 0) {
        g_emit_dir = argv[2];
        mkdir(g_emit_dir, 0755);
        const struct CMUnitTest emit[] = {cmocka_unit_test(test_emit)};
        return cmocka_run_group_tests_name("lake_iceberg_emit", emit, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_bytes),
        cmocka_unit_test(test_schema_and_ids),
        cmocka_unit_test(test_tables_structure),
        cmocka_unit_test(test_empty_round_and_abort),
        cmocka_unit_test(test_pk_delete_files),
        cmocka_unit_test(test_failed_commit_and_reopen),
        cmocka_unit_test(test_invalid_and_malformed),
        cmocka_unit_test(test_rolling_files),
    };
    return cmocka_run_group_tests_name("lake_iceberg", tests, NULL, NULL);
}
