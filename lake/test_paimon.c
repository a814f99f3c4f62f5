/* test_paimon.c: the Paimon table writer.
 *
 * Unit tests (cmocka): BinaryRow bytes against lake-paimon.md 4.8's vectors and the Fluss
 * PaimonKeyEncoder, schema/snapshot JSON, manifests read back, PK merge semantics, empty rounds,
 * a crash before the snapshot rename, reopen + more rounds, malformed inputs.
 *
 * `test_lake_paimon --emit DIR` writes DIR/wh (a warehouse with the tables below) and
 * DIR/expect/<table>.{rows,types,snapshots}[...] for the real readers: lake/check_paimon.py
 * (pypaimon) and tests/lakecheck (Paimon Java).
 *
 * Row lines (one JSON array per row, all columns, sorted bytewise) use these value forms:
 *   null | true/false | integers | "f32:<hex bits>" | "f64:<hex bits>" | "d:<unscaled>" |
 *   strings as JSON (only \" \\ and \u00XX for control characters escaped) | "x:<hex>" for
 *   BINARY/BYTES | DATE days | TIME millis | "ts:<millis>:<nanos of milli>" | ARRAY [..] |
 *   MAP [[k,v],..] | ROW [..].
 * expect/snapshots: "<table> <latest id> <totalRecordCount or -1> <fluss-offsets> [java-only]". */
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
#include "fl_keyenc.h"
#include "fl_paimon.h"
#include "fl_tabledesc.h"
#include "fl_vfs.h"
#include "test_lake_util.h"

/* ------------------------------------------------------------------------------------------ */
/* helpers */

static char *hexs(const fl_buf_t *b, size_t from) {
    static char out[8192];
    size_t n = 0;
    for (size_t i = from; i < b->len && n + 3 < sizeof(out); i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%02x", b->p[i]);
    out[n] = 0;
    return out;
}

/* Paimon bucket of a key made of one BIGINT/INT/STRING datum. */
static int32_t paimon_bucket(const fl_type_t *t, const fl_datum_t *key, int32_t n) {
    fl_buf_t b;
    fl_buf_init(&b);
    const fl_type_t *ts[1] = {t};
    fl_paimon_binrow(ts, key, 1, &b);
    int32_t bucket = -1;
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_PAIMON, b.p + 4, b.len - 4, n, &bucket), 0);
    fl_buf_free(&b);
    return bucket;
}

/* ------------------------------------------------------------------------------------------ */
/* Canonical row text (shared format with check_paimon.py and PaimonDump.java) */

static void fmt_val(fl_buf_t *o, const fl_type_t *t, const fl_datum_t *d) {
    fmt_value(o, t, d, 1);
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
            if (strcmp(m->keys[i], key) == 0) {
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

/* A table under test: the writer, the model, and the types of all columns. */
typedef struct tt_s {
    fl_paimon_table_t *t;
    fl_paimon_round_t *r;
    const fl_table_desc_t *desc;
    model_t m;
    int pk_col;            /* user column that is the model key (-1: log table) */
    int part_col;          /* user partition column or -1 */
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
    assert_int_equal(fl_paimon_round_add(tt->r, part, bucket, row, kind, off, ts), FL_ERR_NONE);
    char *line = row_line(tt, row, bucket, off, ts);
    if (tt->pk_col < 0) {
        model_put(&tt->m, NULL, line);
    } else {
        char *key = row_key(tt, row);
        bool retract = kind == FL_PAIMON_UPDATE_BEFORE || kind == FL_PAIMON_DELETE;
        model_put(&tt->m, key, retract ? NULL : line);
        free(key);
    }
    free(line);
}

static int64_t tt_commit(tt_t *tt, const char *offsets) {
    int64_t id = -2;
    const char *why = NULL;
    const char *props[] = {"fluss-offsets", offsets, NULL};
    fl_err_t err = fl_paimon_round_commit(tt->r, FL_PAIMON_TIERING_USER, props, &id, &why);
    if (err) fprintf(stderr, "commit: %s\n", why);
    assert_int_equal(err, FL_ERR_NONE);
    tt->r = NULL;
    return id;
}

/* Type strings of all Paimon columns, for check_paimon.py. */
static void write_types(const tt_t *tt, const char *path) {
    fl_buf_t o;
    fl_buf_init(&o);
    fl_buf_put_u8(&o, '[');
    const fl_schema_t *s = &tt->desc->schema;
    for (size_t i = 0; i < s->n_cols; i++) {
        char tmp[256];
        fl_type_format(&s->cols[i].type, tmp, sizeof(tmp));
        json_t *j = json_string(fl_type_root_name(s->cols[i].type.root));
        char *js = json_dumps(j, JSON_ENCODE_ANY);
        json_decref(j);
        snprintf(tmp, sizeof(tmp), "%s[%s,%d]", i ? "," : "", js, s->cols[i].type.precision);
        free(js);
        fl_buf_put(&o, tmp, strlen(tmp));
    }
    const char *sys = ",[\"INTEGER\",0],[\"BIGINT\",0],[\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",3]]\n";
    fl_buf_put(&o, sys, strlen(sys));
    fl_buf_put_u8(&o, 0);
    write_text(path, (const char *)o.p);
    fl_buf_free(&o);
}

/* ------------------------------------------------------------------------------------------ */
/* The tables written by --emit (and by the unit tests, in a temp warehouse) */

static const char *DESC_LOG =
    "{\"version\":1,\"schema\":{\"version\":1,\"columns\":["
    "{\"name\":\"id\",\"data_type\":{\"type\":\"INTEGER\"},\"id\":0},"
    "{\"name\":\"name\",\"data_type\":{\"type\":\"STRING\"},\"id\":1},"
    "{\"name\":\"v\",\"data_type\":{\"type\":\"DOUBLE\"},\"id\":2}],\"highest_field_id\":2},"
    "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":3,"
    "\"properties\":{\"table.datalake.enabled\":\"true\",\"table.datalake.format\":\"paimon\","
    "\"table.replication.factor\":\"1\"},\"custom_properties\":{\"k1\":\"v1\"}}";

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
    "\"custom_properties\":{\"paimon.file.format\":\"parquet\"}}";

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

static fl_paimon_opts_t g_opts;

static void tt_open(tt_t *tt, fl_arena_t *a, const char *wh, const char *name, const char *desc,
                    int pk_col, int part_col) {
    memset(tt, 0, sizeof(*tt));
    tt->desc = parse_desc(a, desc);
    tt->pk_col = pk_col;
    tt->part_col = part_col;
    const char *why = NULL;
    fl_err_t err = fl_paimon_table_open(wh, "fl", name, tt->desc, &g_opts, &tt->t, &why);
    if (err) fprintf(stderr, "open %s: %s\n", name, why);
    assert_int_equal(err, FL_ERR_NONE);
}

static void tt_close(tt_t *tt) {
    fl_paimon_table_close(tt->t);
    model_free(&tt->m);
}

static void tt_expect(tt_t *tt, const char *dir, const char *name, const char *suffix) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.rows%s", dir, name, suffix);
    model_write(&tt->m, path);
}

/* log table, bucket-unaware: 2 rounds over Fluss buckets 0..2 */
static void write_log(const char *wh, const char *exp, fl_arena_t *a) {
    tt_t tt;
    tt_open(&tt, a, wh, "logt", DESC_LOG, -1, -1);
    int64_t off[3] = {0, 0, 0};
    for (int round = 0; round < 2; round++) {
        tt.r = fl_paimon_round_begin(tt.t);
        for (int i = 0; i < 30; i++) {
            int b = i % 3;
            char name[32];
            snprintf(name, sizeof(name), "n%d-%d", round, i);
            fl_datum_t row[3] = {d_i32(round * 100 + i), i % 7 == 0 ? d_null() : d_str(name),
                                 d_f64(i * 1.5)};
            tt_add(&tt, NULL, b, row, FL_PAIMON_APPEND_ONLY, off[b]++, 1700000000000 + i);
        }
        assert_int_equal(tt_commit(&tt, round ? "/r/logt-2.offsets" : "/r/logt-1.offsets"), round + 1);
    }
    tt_expect(&tt, exp, "logt", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/logt.types", exp));
    tt_close(&tt);
}

/* log table with a bucket key: rows go to the Paimon bucket of their key */
static void write_logb(const char *wh, const char *exp, fl_arena_t *a) {
    tt_t tt;
    tt_open(&tt, a, wh, "logb", DESC_LOGB, -1, -1);
    fl_type_t bt = {.root = FL_T_BIGINT, .nullable = true};
    tt.r = fl_paimon_round_begin(tt.t);
    for (int i = 0; i < 40; i++) {
        fl_datum_t row[2] = {d_i64(i * 7919), d_str(i % 2 ? "odd" : "even")};
        int32_t b = paimon_bucket(&bt, &row[0], 3);
        tt_add(&tt, NULL, b, row, FL_PAIMON_APPEND_ONLY, i, 1700000000000 + i);
    }
    assert_int_equal(tt_commit(&tt, "/r/logb-1.offsets"), 1);
    tt_expect(&tt, exp, "logb", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/logb.types", exp));
    tt_close(&tt);
}

/* PK table: round 1 inserts 1..40; round 2 updates (-U/+U), deletes, insert+delete of a new
 * key, and a key updated twice. Also snapshot 1's rows for time travel. */
static void write_pk(const char *wh, const char *exp, fl_arena_t *a) {
    tt_t tt;
    tt_open(&tt, a, wh, "pk", DESC_PK, 0, -1);
    fl_type_t kt = {.root = FL_T_BIGINT};
    int64_t off[4] = {0};
    char names[64][32];
    tt.r = fl_paimon_round_begin(tt.t);
    for (int i = 1; i <= 40; i++) {
        snprintf(names[i], sizeof(names[i]), "name-%d", i);
        fl_datum_t row[3] = {d_i64(i), d_str(names[i]), d_dec(i * 100 + 5)};
        int32_t b = paimon_bucket(&kt, &row[0], 4);
        tt_add(&tt, NULL, b, row, FL_PAIMON_INSERT, off[b]++, 1700000001000 + i);
    }
    assert_int_equal(tt_commit(&tt, "/r/pk-1.offsets"), 1);
    tt_expect(&tt, exp, "pk", "@1");
    tt.r = fl_paimon_round_begin(tt.t);
    for (int i = 1; i <= 40; i += 3) { /* update */
        fl_datum_t before[3] = {d_i64(i), d_str(names[i]), d_dec(i * 100 + 5)};
        fl_datum_t after[3] = {d_i64(i), d_str("updated"), d_dec(-i)};
        int32_t b = paimon_bucket(&kt, &before[0], 4);
        tt_add(&tt, NULL, b, before, FL_PAIMON_UPDATE_BEFORE, off[b]++, 1700000002000 + i);
        tt_add(&tt, NULL, b, after, FL_PAIMON_UPDATE_AFTER, off[b]++, 1700000002000 + i);
    }
    for (int i = 2; i <= 40; i += 5) { /* delete */
        fl_datum_t row[3] = {d_i64(i), d_str(names[i]), d_dec(i * 100 + 5)};
        int32_t b = paimon_bucket(&kt, &row[0], 4);
        tt_add(&tt, NULL, b, row, FL_PAIMON_DELETE, off[b]++, 1700000003000 + i);
    }
    { /* a new key inserted and deleted in the same round; key 4 updated twice */
        fl_datum_t row[3] = {d_i64(1000), d_str("ghost"), d_null()};
        int32_t b = paimon_bucket(&kt, &row[0], 4);
        tt_add(&tt, NULL, b, row, FL_PAIMON_INSERT, off[b]++, 1700000004000);
        tt_add(&tt, NULL, b, row, FL_PAIMON_DELETE, off[b]++, 1700000004001);
        fl_datum_t u1[3] = {d_i64(4), d_str("u1"), d_dec(1)};
        fl_datum_t u2[3] = {d_i64(4), d_str("u2"), d_dec(2)};
        b = paimon_bucket(&kt, &u1[0], 4);
        tt_add(&tt, NULL, b, u1, FL_PAIMON_UPDATE_AFTER, off[b]++, 1700000004002);
        tt_add(&tt, NULL, b, u2, FL_PAIMON_UPDATE_AFTER, off[b]++, 1700000004003);
    }
    assert_int_equal(tt_commit(&tt, "/r/pk-2.offsets"), 2);
    tt_expect(&tt, exp, "pk", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/pk.types", exp));
    tt_close(&tt);
}

/* partitioned PK table (dt STRING) with two rounds; partitioned log table */
static void write_part(const char *wh, const char *exp, fl_arena_t *a) {
    tt_t tt;
    tt_open(&tt, a, wh, "part", DESC_PART, 1, 0);
    fl_type_t kt = {.root = FL_T_INTEGER};
    const char *days[3] = {"2025-01-01", "2025-01-02", "x y"};
    for (int round = 0; round < 2; round++) {
        tt.r = fl_paimon_round_begin(tt.t);
        for (int d = 0; d < 3; d++) {
            for (int i = 0; i < 12; i++) {
                char v[32];
                snprintf(v, sizeof(v), "r%d-%s-%d", round, days[d], i);
                fl_datum_t row[3] = {d_str(days[d]), d_i32(i), d_str(v)};
                int32_t b = paimon_bucket(&kt, &row[1], 2);
                int kind = round == 0 ? FL_PAIMON_INSERT
                                      : (i % 4 == 0 ? FL_PAIMON_DELETE : FL_PAIMON_UPDATE_AFTER);
                if (round == 1 && kind == FL_PAIMON_DELETE) {
                    char old[32];
                    snprintf(old, sizeof(old), "r0-%s-%d", days[d], i);
                    row[2] = d_str(fl_arena_sprintf(a, "%s", old));
                }
                tt_add(&tt, days[d], b, row, kind, round * 100 + i, 1700000005000 + i);
            }
        }
        assert_int_equal(tt_commit(&tt, "/r/part.offsets"), round + 1);
    }
    tt_expect(&tt, exp, "part", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/part.types", exp));
    tt_close(&tt);

    tt_open(&tt, a, wh, "plog", DESC_PLOG, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
    const char *regions[2] = {"eu", "us"};
    for (int i = 0; i < 20; i++) {
        fl_datum_t row[2] = {d_str(regions[i % 2]), d_i32(i)};
        tt_add(&tt, regions[i % 2], i % 3 == 0 ? 1 : 0, row, FL_PAIMON_APPEND_ONLY, i, 1700000006000 + i);
    }
    assert_int_equal(tt_commit(&tt, "/r/plog.offsets"), 1);
    tt_expect(&tt, exp, "plog", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/plog.types", exp));
    tt_close(&tt);

    /* partition values that need Hive escaping in the path (pypaimon does not unescape) */
    tt_open(&tt, a, wh, "pesc", DESC_PLOG, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
    const char *odd[3] = {"a/b", "x y:z=%", "{q}#?"};
    for (int i = 0; i < 9; i++) {
        fl_datum_t row[2] = {d_str(odd[i % 3]), d_i32(i)};
        tt_add(&tt, odd[i % 3], 0, row, FL_PAIMON_APPEND_ONLY, i, 1700000006100 + i);
    }
    assert_int_equal(tt_commit(&tt, "/r/pesc.offsets"), 1);
    tt_expect(&tt, exp, "pesc", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/pesc.types", exp));
    tt_close(&tt);
}

/* every type, nulls, very long and non-ASCII strings */
static void write_types_table(const char *wh, const char *exp, fl_arena_t *a) {
    tt_t tt;
    tt_open(&tt, a, wh, "types", DESC_TYPES, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
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
        if (i == 7) /* a row of nulls */
            for (int c = 0; c < 22; c++) row[c] = d_null();
        tt_add(&tt, NULL, 0, row, FL_PAIMON_APPEND_ONLY, i, 1700000007000 + i);
    }
    assert_int_equal(tt_commit(&tt, "/r/types.offsets"), 1);
    tt_expect(&tt, exp, "types", "");
    write_types(&tt, fl_arena_sprintf(a, "%s/types.types", exp));
    tt_close(&tt);
}

static void write_all(const char *dir) {
    fl_arena_t *a = fl_arena_new(0);
    char *wh = fl_arena_sprintf(a, "%s/wh", dir);
    char *exp = fl_arena_sprintf(a, "%s/expect", dir);
    rm_rf(wh);
    rm_rf(exp);
    assert_int_equal(mkdir(exp, 0755) == 0 || errno == EEXIST, 1);
    write_log(wh, exp, a);
    write_logb(wh, exp, a);
    write_pk(wh, exp, a);
    write_part(wh, exp, a);
    write_types_table(wh, exp, a);
    /* snapshot expectations: id, user, kind, total records, fluss-offsets of the latest */
    write_text(fl_arena_sprintf(a, "%s/snapshots", exp),
               "logt 2 60 /r/logt-2.offsets\n"
               "logb 1 40 /r/logb-1.offsets\n"
               "pk 2 -1 /r/pk-2.offsets\n"
               "part 2 -1 /r/part.offsets\n"
               "plog 1 20 /r/plog.offsets\n"
               "pesc 1 9 /r/pesc.offsets java-only\n"
               "types 1 12 /r/types.offsets\n");
    fl_arena_destroy(a);
}

/* ------------------------------------------------------------------------------------------ */
/* Unit tests */

static void test_binrow_vectors(void **state) {
    (void)state;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_paimon_binrow(NULL, NULL, 0, &b);
    assert_string_equal(hexs(&b, 0), "000000000000000000000000");
    fl_type_t st = {.root = FL_T_STRING, .nullable = true};
    const fl_type_t *ts[1] = {&st};
    fl_datum_t v = d_str("2025");
    fl_buf_reset(&b);
    fl_paimon_binrow(ts, &v, 1, &b);
    assert_string_equal(hexs(&b, 0), "0000000100000000000000003230323500000084");
    v = d_str("2025-01-01");
    fl_buf_reset(&b);
    fl_paimon_binrow(ts, &v, 1, &b);
    assert_string_equal(hexs(&b, 0), "0000000100000000000000000a00000010000000"
                                     "323032352d30312d3031000000000000");
    fl_type_t bt = {.root = FL_T_BIGINT};
    ts[0] = &bt;
    v = d_i64(42);
    fl_buf_reset(&b);
    fl_paimon_binrow(ts, &v, 1, &b);
    assert_string_equal(hexs(&b, 0), "0000000100000000000000002a00000000000000");
    /* null field: bit 8 */
    v = d_null();
    fl_buf_reset(&b);
    fl_paimon_binrow(ts, &v, 1, &b);
    assert_string_equal(hexs(&b, 0), "0000000100010000000000000000000000000000");
    fl_buf_free(&b);
}

/* Our BinaryRow bytes equal Fluss's PaimonKeyEncoder (independent implementation in protocol/). */
static void test_binrow_matches_keyenc(void **state) {
    (void)state;
    fl_type_t ch[4] = {{.root = FL_T_INTEGER}, {.root = FL_T_STRING}, {.root = FL_T_DECIMAL, .precision = 30, .scale = 2},
                       {.root = FL_T_TIMESTAMP, .precision = 6}};
    char *names[4] = {"a", "b", "c", "d"};
    int32_t ids[4] = {0, 1, 2, 3};
    fl_type_t row = {.root = FL_T_ROW, .n_children = 4, .children = ch, .field_names = names, .field_ids = ids};
    static const uint8_t big[3] = {0x01, 0xe2, 0x40};
    fl_datum_t vals[4] = {d_i32(-5), d_str("a string longer than seven"), {0}, d_ts(1700000000123, 456000)};
    vals[2].v.dec.big = big;
    vals[2].v.dec.big_len = 3;
    const fl_type_t *ts[4] = {&ch[0], &ch[1], &ch[2], &ch[3]};
    fl_buf_t mine, theirs;
    fl_buf_init(&mine);
    fl_buf_init(&theirs);
    fl_paimon_binrow(ts, vals, 4, &mine);
    uint32_t idx[4] = {0, 1, 2, 3};
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_PAIMON, &row, vals, idx, 4, &theirs), 0);
    assert_int_equal(mine.len - 4, theirs.len);
    assert_memory_equal(mine.p + 4, theirs.p, theirs.len);
    fl_buf_free(&mine);
    fl_buf_free(&theirs);
}

static void test_escape_and_types(void **state) {
    (void)state;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_paimon_escape_path("a b/c:d=e%f\x01g{}", strlen("a b/c:d=e%f\x01g{}"), &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, "a b%2Fc%3Ad%3De%25f%01g%7B%7D");
    fl_type_t t = {.root = FL_T_DECIMAL, .precision = 10, .scale = 2};
    fl_buf_reset(&b);
    fl_paimon_type_string(&t, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, "DECIMAL(10, 2) NOT NULL");
    fl_type_t l = {.root = FL_T_TIMESTAMP_LTZ, .precision = 3, .nullable = true};
    fl_buf_reset(&b);
    fl_paimon_type_string(&l, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, "TIMESTAMP(3) WITH LOCAL TIME ZONE");
    json_t *j = json_pack("{s:i,s:[{s:i},{s:i}],s:[],s:{},s:{s:s}}", "version", 3, "fields", "id", 0,
                          "id", 1, "partitionKeys", "options", "o", "k", "v");
    fl_buf_reset(&b);
    fl_paimon_json_pretty(j, &b);
    fl_buf_put_u8(&b, 0);
    assert_string_equal((char *)b.p, "{\n  \"version\" : 3,\n  \"fields\" : [ {\n    \"id\" : 0\n  }, {\n"
                                     "    \"id\" : 1\n  } ],\n  \"partitionKeys\" : [ ],\n"
                                     "  \"options\" : { },\n  \"o\" : {\n    \"k\" : \"v\"\n  }\n}");
    json_decref(j);
    fl_buf_free(&b);
}

/* The emitted warehouse, checked from C: schema-0, snapshots, manifests decode, file counts. */
static void test_tables_structure(void **state) {
    (void)state;
    char *dir = tmpdir();
    write_all(dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/wh/fl.db/pk/schema/schema-0", dir);
    json_t *s = load_json(path);
    assert_non_null(s);
    assert_int_equal(json_integer_value(json_object_get(s, "version")), 3);
    assert_int_equal(json_integer_value(json_object_get(s, "highestFieldId")), 5);
    json_t *opts = json_object_get(s, "options");
    assert_string_equal(json_string_value(json_object_get(opts, "bucket")), "4");
    assert_string_equal(json_string_value(json_object_get(opts, "bucket-key")), "id");
    assert_string_equal(json_string_value(json_object_get(opts, "changelog-producer")), "input");
    assert_string_equal(json_string_value(json_object_get(opts, "partition.legacy-name")), "false");
    assert_string_equal(json_string_value(json_object_get(opts, "file.format")), "parquet");
    assert_string_equal(json_string_value(json_object_get(opts, "fluss.table.kv.format-version")), "2");
    json_t *f0 = json_array_get(json_object_get(s, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "type")), "BIGINT NOT NULL");
    json_t *f5 = json_array_get(json_object_get(s, "fields"), 5);
    assert_string_equal(json_string_value(json_object_get(f5, "name")), "__timestamp");
    assert_string_equal(json_string_value(json_object_get(f5, "type")),
                        "TIMESTAMP(3) WITH LOCAL TIME ZONE");
    assert_string_equal(json_string_value(json_object_get(s, "comment")), "orders");
    json_decref(s);
    /* log table without bucket key: bucket -1, no bucket-key; custom k1 -> fluss.k1 */
    snprintf(path, sizeof(path), "%s/wh/fl.db/logt/schema/schema-0", dir);
    s = load_json(path);
    opts = json_object_get(s, "options");
    assert_string_equal(json_string_value(json_object_get(opts, "bucket")), "-1");
    assert_null(json_object_get(opts, "bucket-key"));
    assert_string_equal(json_string_value(json_object_get(opts, "fluss.k1")), "v1");
    assert_string_equal(json_string_value(json_object_get(opts, "fluss.table.datalake.format")), "paimon");
    json_decref(s);
    /* nested ROW fields take ids after their column: c_row id 21, a 22, b 23, __bucket 24 */
    snprintf(path, sizeof(path), "%s/wh/fl.db/types/schema/schema-0", dir);
    s = load_json(path);
    assert_int_equal(json_integer_value(json_object_get(s, "highestFieldId")), 26);
    json_t *row = json_array_get(json_object_get(s, "fields"), 21);
    assert_int_equal(json_integer_value(json_object_get(row, "id")), 21);
    json_t *rt = json_object_get(row, "type");
    assert_string_equal(json_string_value(json_object_get(rt, "type")), "ROW");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(rt, "fields"), 1), "id")), 23);
    json_decref(s);
    /* snapshot 2 of pk: lists, counts, properties; LATEST/EARLIEST */
    snprintf(path, sizeof(path), "%s/wh/fl.db/pk/snapshot/snapshot-2", dir);
    s = load_json(path);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "commitUser")), "__fluss_lake_tiering");
    assert_int_equal(json_integer_value(json_object_get(s, "commitIdentifier")), INT64_MAX);
    assert_string_equal(json_string_value(json_object_get(s, "commitKind")), "APPEND");
    assert_non_null(json_string_value(json_object_get(s, "changelogManifestList")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "properties"), "fluss-offsets")),
                        "/r/pk-2.offsets");
    /* 40 rows in round 1; round 2 data files hold one row per touched key */
    assert_int_equal(json_integer_value(json_object_get(s, "totalRecordCount")),
                     40 + json_integer_value(json_object_get(s, "deltaRecordCount")));
    /* base list of snapshot 2 holds snapshot 1's manifest; delta the new one */
    fl_arena_t *a = fl_arena_new(0);
    snprintf(path, sizeof(path), "%s/wh/fl.db/pk/manifest/%s", dir,
             json_string_value(json_object_get(s, "baseManifestList")));
    uint8_t *p;
    size_t len;
    assert_int_equal(fl_vfs_read_file(path, 1 << 20, &p, &len), 0);
    fl_avro_file_t af;
    const char *why;
    assert_int_equal(fl_avro_file_read(a, p, len, &af, &why), 0);
    assert_int_equal(af.n_records, 1);
    assert_int_equal(af.codec, FL_AVRO_CODEC_DEFLATE);
    /* the header schema is Paimon's ManifestFileMeta schema text */
    assert_non_null(strstr(af.schema_json, "{\"type\":\"record\",\"name\":\"record\",\"namespace\":"
                                           "\"org.apache.paimon.avro.generated\",\"fields\":[{\"name\":"
                                           "\"_VERSION\",\"type\":\"int\"},{\"name\":\"_FILE_NAME\""));
    fl_free(p);
    json_decref(s);
    /* data files: PK buckets have data + changelog files, all at level 0 */
    snprintf(path, sizeof(path), "%s/wh/fl.db/pk", dir);
    assert_true(count_files(path, "data-*") >= 5);
    assert_true(count_files(path, "changelog-*") >= 5);
    snprintf(path, sizeof(path), "%s/wh/fl.db/logt/bucket-0", dir);
    assert_int_equal(count_files(path, "data-*"), 6); /* per round, one file per Fluss bucket */
    snprintf(path, sizeof(path), "%s/wh/fl.db/part/dt=x y/bucket-0", dir);
    assert_true(count_files(path, "data-*") >= 1);
    snprintf(path, sizeof(path), "%s/wh/fl.db/pk/snapshot/LATEST", dir);
    assert_int_equal(fl_vfs_read_file(path, 64, &p, &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], '2');
    fl_free(p);
    snprintf(path, sizeof(path), "%s/wh/fl.db/pk/snapshot/EARLIEST", dir);
    assert_int_equal(fl_vfs_read_file(path, 64, &p, &len), 0);
    assert_int_equal(p[0], '1');
    fl_free(p);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* Round 2's PK data files: exactly one row per key, deletes counted, seq continue after round 1. */
static void test_pk_manifest_entries(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "p", DESC_PK, 0, -1);
    fl_datum_t r1[3] = {d_i64(7), d_str("a"), d_dec(1)};
    tt.r = fl_paimon_round_begin(tt.t);
    tt_add(&tt, NULL, 0, r1, FL_PAIMON_INSERT, 0, 1);
    fl_datum_t r2[3] = {d_i64(8), d_str("b"), d_dec(2)};
    tt_add(&tt, NULL, 0, r2, FL_PAIMON_INSERT, 1, 1);
    assert_int_equal(tt_commit(&tt, "o1"), 1);
    tt.r = fl_paimon_round_begin(tt.t);
    tt_add(&tt, NULL, 0, r1, FL_PAIMON_UPDATE_BEFORE, 2, 2);
    fl_datum_t r1b[3] = {d_i64(7), d_str("a2"), d_dec(3)};
    tt_add(&tt, NULL, 0, r1b, FL_PAIMON_UPDATE_AFTER, 3, 2);
    tt_add(&tt, NULL, 0, r2, FL_PAIMON_DELETE, 4, 2);
    assert_int_equal(tt_commit(&tt, "o2"), 2);
    char path[4096];
    snprintf(path, sizeof(path), "%s/fl.db/p/snapshot/snapshot-2", dir);
    json_t *s = load_json(path);
    assert_int_equal(json_integer_value(json_object_get(s, "deltaRecordCount")), 2);
    assert_int_equal(json_integer_value(json_object_get(s, "changelogRecordCount")), 3);
    assert_int_equal(json_integer_value(json_object_get(s, "totalRecordCount")), 4);
    /* the delta manifest's entry */
    snprintf(path, sizeof(path), "%s/fl.db/p/manifest/%s", dir,
             json_string_value(json_object_get(s, "deltaManifestList")));
    uint8_t *p;
    size_t len;
    assert_int_equal(fl_vfs_read_file(path, 1 << 20, &p, &len), 0);
    fl_avro_file_t lf;
    const char *why;
    assert_int_equal(fl_avro_file_read(a, p, len, &lf, &why), 0);
    assert_int_equal(lf.n_records, 1);
    const fl_avro_value_t *name = &lf.records[0].v.items[1];
    snprintf(path, sizeof(path), "%s/fl.db/p/manifest/%.*s", dir, (int)name->n, (const char *)name->v.p);
    uint8_t *mp;
    assert_int_equal(fl_vfs_read_file(path, 1 << 20, &mp, &len), 0);
    fl_avro_file_t mf;
    assert_int_equal(fl_avro_file_read(a, mp, len, &mf, &why), 0);
    assert_int_equal(mf.n_records, 1);
    const fl_avro_value_t *file = &mf.records[0].v.items[5];
    assert_int_equal(file->v.items[2].v.l, 2);         /* _ROW_COUNT: keys 7 and 8 */
    assert_int_equal(file->v.items[7].v.l, 3);         /* _MIN_SEQUENCE_NUMBER: 0,1 then 2,3,4 */
    assert_int_equal(file->v.items[8].v.l, 4);
    assert_int_equal(file->v.items[10].v.i, 0);        /* _LEVEL */
    assert_int_equal(file->v.items[13].branch, 1);
    assert_int_equal(file->v.items[13].v.l, 1);        /* _DELETE_ROW_COUNT: the -D of key 8 */
    /* _MIN_KEY / _MAX_KEY: BIGINT 7 and 8 */
    assert_int_equal(file->v.items[3].n, 20);
    assert_int_equal(file->v.items[3].v.p[12], 7);
    assert_int_equal(file->v.items[4].v.p[12], 8);
    fl_free(p);
    fl_free(mp);
    json_decref(s);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* Zero rows: no snapshot (like Fluss); then an abort leaves no file behind. */
static void test_empty_round_and_abort(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "e", DESC_LOG, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
    assert_null(fl_paimon_round_begin(tt.t)); /* one round at a time */
    assert_int_equal(tt_commit(&tt, "o"), -1);
    char path[4096];
    snprintf(path, sizeof(path), "%s/fl.db/e", dir);
    assert_int_equal(count_files(path, "snapshot-*"), 0);
    tt.r = fl_paimon_round_begin(tt.t);
    fl_datum_t row[3] = {d_i32(1), d_str("x"), d_f64(1)};
    assert_int_equal(fl_paimon_round_add(tt.r, NULL, 0, row, 0, 0, 0), 0);
    assert_int_equal(count_files(path, "data-*"), 1);
    fl_paimon_round_abort(tt.r);
    tt.r = NULL;
    assert_int_equal(count_files(path, "data-*"), 0);
    int64_t id = 7;
    fl_buf_t props;
    fl_buf_init(&props);
    assert_int_equal(fl_paimon_latest_snapshot(tt.t, NULL, &id, &props, NULL), 0);
    assert_int_equal(id, 0);
    fl_buf_free(&props);
    /* bad inputs */
    tt.r = fl_paimon_round_begin(tt.t);
    assert_int_equal(fl_paimon_round_add(tt.r, "p", 0, row, 0, 0, 0), FL_ERR__INVAL);   /* not partitioned */
    assert_int_equal(fl_paimon_round_add(tt.r, NULL, -1, row, 0, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_paimon_round_add(tt.r, NULL, 0, row, FL_PAIMON_DELETE, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_paimon_round_add(tt.r, NULL, 0, row, 9, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_paimon_round_rows(tt.r), 0);
    fl_paimon_round_abort(tt.r);
    tt.r = NULL;
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* A crash between writing the files and renaming the snapshot: the table still reads as
 * before (snapshot 1), a reopened handle commits snapshot 2, stray files do not matter. */
static void test_crash_before_rename_and_reopen(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    tt_t tt;
    tt_open(&tt, a, dir, "c", DESC_PK, 0, -1);
    fl_datum_t r1[3] = {d_i64(1), d_str("one"), d_dec(100)};
    tt.r = fl_paimon_round_begin(tt.t);
    tt_add(&tt, NULL, 0, r1, FL_PAIMON_INSERT, 0, 5);
    assert_int_equal(tt_commit(&tt, "o1"), 1);

    fl_vfs_fault_install();
    fl_vfs_fault_fail_nth(FL_VFS_OP_RENAME, 1, EIO, false);
    tt.r = fl_paimon_round_begin(tt.t);
    fl_datum_t r2[3] = {d_i64(2), d_str("two"), d_dec(200)};
    assert_int_equal(fl_paimon_round_add(tt.r, NULL, 1, r2, FL_PAIMON_INSERT, 0, 6), 0);
    int64_t id = 0;
    const char *why = NULL;
    const char *props[] = {"fluss-offsets", "o2", NULL};
    assert_int_equal(fl_paimon_round_commit(tt.r, NULL, props, &id, &why), FL_ERR__IO);
    tt.r = NULL;
    assert_int_equal(id, -1);
    fl_vfs_fault_uninstall();
    char path[4096];
    snprintf(path, sizeof(path), "%s/fl.db/c/snapshot", dir);
    assert_int_equal(count_files(path, "snapshot-*"), 1);
    assert_int_equal(count_files(path, ".snapshot-*"), 0); /* the temp file was removed */
    /* a power cut with stray files: simulate by leaving a foreign file in the bucket */
    snprintf(path, sizeof(path), "%s/fl.db/c/bucket-1/data-stray-0.parquet", dir);
    write_text(path, "not parquet");
    fl_buf_t pj;
    fl_buf_init(&pj);
    assert_int_equal(fl_paimon_latest_snapshot(tt.t, FL_PAIMON_TIERING_USER, &id, &pj, NULL), 0);
    assert_int_equal(id, 1);
    fl_buf_put_u8(&pj, 0);
    assert_string_equal((char *)pj.p, "{\"fluss-offsets\":\"o1\"}");
    fl_buf_free(&pj);
    fl_paimon_table_close(tt.t);

    /* reopen: state comes from disk; sequence numbers continue; commit round 2 */
    const char *w2 = NULL;
    assert_int_equal(fl_paimon_table_open(dir, "fl", "c", tt.desc, &g_opts, &tt.t, &w2), 0);
    assert_int_equal(fl_paimon_table_snapshot_id(tt.t), 1);
    tt.r = fl_paimon_round_begin(tt.t);
    tt_add(&tt, NULL, 1, r2, FL_PAIMON_INSERT, 0, 6);
    fl_datum_t r1u[3] = {d_i64(1), d_str("uno"), d_dec(101)};
    tt_add(&tt, NULL, 0, r1u, FL_PAIMON_UPDATE_AFTER, 1, 7);
    assert_int_equal(tt_commit(&tt, "o3"), 2);
    /* a stale LATEST (crash between the snapshot rename and the hint) is detected */
    snprintf(path, sizeof(path), "%s/fl.db/c/snapshot/LATEST", dir);
    write_text(path, "1");
    fl_paimon_table_close(tt.t);
    assert_int_equal(fl_paimon_table_open(dir, "fl", "c", tt.desc, &g_opts, &tt.t, &w2), 0);
    assert_int_equal(fl_paimon_table_snapshot_id(tt.t), 2);
    tt.r = fl_paimon_round_begin(tt.t);
    fl_datum_t r3[3] = {d_i64(3), d_str("three"), d_null()};
    tt_add(&tt, NULL, 2, r3, FL_PAIMON_INSERT, 0, 8);
    assert_int_equal(tt_commit(&tt, "o4"), 3);
    /* snapshot 3's base list carries snapshots 1 and 2's manifests */
    snprintf(path, sizeof(path), "%s/fl.db/c/snapshot/snapshot-3", dir);
    json_t *s = load_json(path);
    assert_int_equal(json_integer_value(json_object_get(s, "totalRecordCount")), 4);
    snprintf(path, sizeof(path), "%s/fl.db/c/manifest/%s", dir,
             json_string_value(json_object_get(s, "baseManifestList")));
    uint8_t *p;
    size_t len;
    assert_int_equal(fl_vfs_read_file(path, 1 << 20, &p, &len), 0);
    fl_avro_file_t af;
    assert_int_equal(fl_avro_file_read(a, p, len, &af, &why), 0);
    assert_int_equal(af.n_records, 2);
    fl_free(p);
    json_decref(s);
    /* a different schema for the same name is refused */
    fl_table_desc_t *other = parse_desc(a, DESC_LOG);
    fl_paimon_table_t *t2 = NULL;
    assert_int_equal(fl_paimon_table_open(dir, "fl", "c", other, &g_opts, &t2, &w2),
                     FL_ERR_LAKE_TABLE_ALREADY_EXIST);
    assert_null(t2);
    tt_close(&tt);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* Invalid table definitions. */
static void test_invalid_tables(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    fl_paimon_table_t *t = NULL;
    const char *why = NULL;
    fl_table_desc_t *d = parse_desc(a,
        "{\"schema\":{\"columns\":[{\"name\":\"__offset\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}");
    assert_int_equal(fl_paimon_table_open(dir, "fl", "bad", d, &g_opts, &t, &why),
                     FL_ERR_INVALID_TABLE_EXCEPTION);
    assert_non_null(strstr(why, "__offset"));
    d = parse_desc(a,
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"properties\":{},\"custom_properties\":{\"paimon.deletion-vectors.enabled\":\"true\"}}");
    assert_int_equal(fl_paimon_table_open(dir, "fl", "dv", d, &g_opts, &t, &why),
                     FL_ERR_INVALID_TABLE_EXCEPTION);
    d = parse_desc(a,
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"DOUBLE\"}}]},"
        "\"partition_key\":[\"a\"],\"properties\":{},\"custom_properties\":{}}");
    assert_int_equal(fl_paimon_table_open(dir, "fl", "pd", d, &g_opts, &t, &why),
                     FL_ERR_INVALID_TABLE_EXCEPTION);
    /* partition name that does not match the row */
    tt_t tt;
    tt_open(&tt, a, dir, "pl", DESC_PLOG, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
    fl_datum_t row[2] = {d_str("eu"), d_i32(1)};
    assert_int_equal(fl_paimon_round_add(tt.r, "us", 0, row, 0, 0, 0), FL_ERR__INVAL);
    assert_int_equal(fl_paimon_round_add(tt.r, NULL, 0, row, 0, 0, 0), FL_ERR__INVAL);
    fl_paimon_round_abort(tt.r);
    tt_close(&tt);
    /* a corrupt snapshot file makes open fail cleanly */
    tt_open(&tt, a, dir, "cs", DESC_LOG, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
    fl_datum_t lr[3] = {d_i32(1), d_str("x"), d_f64(1)};
    tt_add(&tt, NULL, 0, lr, 0, 0, 0);
    assert_int_equal(tt_commit(&tt, "o"), 1);
    tt_close(&tt);
    char path[4096];
    snprintf(path, sizeof(path), "%s/fl.db/cs/snapshot/snapshot-1", dir);
    write_text(path, "{\"version\":3,");
    d = parse_desc(a, DESC_LOG);
    assert_int_equal(fl_paimon_table_open(dir, "fl", "cs", d, &g_opts, &t, &why),
                     FL_ERR_CORRUPT_MESSAGE);
    assert_null(t);
    fl_arena_destroy(a);
    rm_rf(dir);
    free(dir);
}

/* The coordinator's part: create makes schema-0 without a handle, accepts the same table again
 * (telling whether it holds a snapshot), refuses one of another schema (54) and reserved column
 * names (15), and takes layouts only Fluss's own tiering service writes (deletion vectors). */
static void test_table_create(void **state) {
    (void)state;
    char *dir = tmpdir();
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    bool snap = true;
    fl_table_desc_t *d = parse_desc(a, DESC_LOG);
    assert_int_equal(fl_paimon_table_create(dir, "fl", "c", d, &snap, &why), FL_ERR_NONE);
    assert_false(snap);
    char path[4096];
    snprintf(path, sizeof(path), "%s/fl.db/c/schema/schema-0", dir);
    assert_int_equal(access(path, R_OK), 0);
    snap = true;
    assert_int_equal(fl_paimon_table_create(dir, "fl", "c", d, &snap, &why), FL_ERR_NONE);
    assert_false(snap);
    /* the tiering writer opens what create made, and after one commit create sees a snapshot */
    tt_t tt;
    tt_open(&tt, a, dir, "c", DESC_LOG, -1, -1);
    tt.r = fl_paimon_round_begin(tt.t);
    fl_datum_t lr[3] = {d_i32(1), d_str("x"), d_f64(1)};
    tt_add(&tt, NULL, 0, lr, 0, 0, 0);
    assert_int_equal(tt_commit(&tt, "o"), 1);
    tt_close(&tt);
    assert_int_equal(fl_paimon_table_create(dir, "fl", "c", d, &snap, &why), FL_ERR_NONE);
    assert_true(snap);
    /* same name, other schema */
    assert_int_equal(fl_paimon_table_create(dir, "fl", "c", parse_desc(a, DESC_LOGB), NULL, &why),
                     FL_ERR_LAKE_TABLE_ALREADY_EXIST);
    assert_non_null(strstr(why, "different schema"));
    /* a column named like a system column */
    d = parse_desc(a,
        "{\"schema\":{\"columns\":[{\"name\":\"__bucket\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}");
    assert_int_equal(fl_paimon_table_create(dir, "fl", "sys", d, NULL, &why),
                     FL_ERR_INVALID_TABLE_EXCEPTION);
    snprintf(path, sizeof(path), "%s/fl.db/sys/schema/schema-0", dir);
    assert_int_not_equal(access(path, R_OK), 0);
    /* deletion vectors: this writer refuses to open it, create makes it */
    d = parse_desc(a,
        "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"
        "\"partition_key\":[],\"properties\":{},\"custom_properties\":{\"paimon.deletion-vectors.enabled\":\"true\"}}");
    assert_int_equal(fl_paimon_table_create(dir, "fl", "dv", d, NULL, &why), FL_ERR_NONE);
    fl_paimon_table_t *t = NULL;
    assert_int_equal(fl_paimon_table_open(dir, "fl", "dv", d, &g_opts, &t, &why),
                     FL_ERR_INVALID_TABLE_EXCEPTION);
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
    fl_paimon_opts_default(&g_opts);
    if (argc == 3 && strcmp(argv[1], "--emit") == 0) {
        /* cmocka asserts need a test context: the writer runs as a one-test group */
        g_emit_dir = argv[2];
        mkdir(g_emit_dir, 0755);
        const struct CMUnitTest emit[] = {cmocka_unit_test(test_emit)};
        return cmocka_run_group_tests_name("lake_paimon_emit", emit, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binrow_vectors),
        cmocka_unit_test(test_binrow_matches_keyenc),
        cmocka_unit_test(test_escape_and_types),
        cmocka_unit_test(test_tables_structure),
        cmocka_unit_test(test_pk_manifest_entries),
        cmocka_unit_test(test_empty_round_and_abort),
        cmocka_unit_test(test_crash_before_rename_and_reopen),
        cmocka_unit_test(test_invalid_tables),
        cmocka_unit_test(test_table_create),
    };
    return cmocka_run_group_tests_name("lake_paimon", tests, NULL, NULL);
}
