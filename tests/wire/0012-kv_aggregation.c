/* 0012-kv_aggregation: the 'aggregation' merge engine of primary-key tables, over the wire.
 *
 * Facts, from Fluss 0.9.1 (v0.9.1-incubating):
 *  - the function of a column comes from the schema, Column JSON "agg_function":{"type",
 *    ["parameters":{"delimiter"}]} (ColumnJsonSerde); Flink's 'fields.<col>.agg' options are
 *    turned into that by the connector. An unknown type name is dropped by the deserializer.
 *    Primary-key columns keep the last value; other columns default to last_value_ignore_nulls
 *    (AggregationContext).
 *  - merge: the first row of a key is stored as given; later rows aggregate field by field
 *    (FieldXxxAgg.agg(stored, incoming)); every upsert of an existing key logs -U old, +U new
 *    (AggregateRowMerger always builds a new row). Partial updates aggregate only the target
 *    columns.
 *  - sum/product: nulls ignored, integers wrap as Java's arithmetic does, a DECIMAL result
 *    that does not fit its precision becomes null (Decimal.fromBigDecimal), except a compact
 *    sum that fits a long, stored unchecked (DecimalUtils.add fast path).
 *  - first_value and first_value_ignore_nulls are implemented alike: a stored null is replaced.
 *  - listagg / string_agg: stored + delimiter (default ",") + incoming, nulls ignored.
 *  - rbm32 / rbm64 (BYTES): serialized RoaringBitmap / Roaring64Bitmap; a null on either side
 *    gives the other side's bytes unchanged (unchecked), else the serialized union. Bytes that
 *    do not deserialize make the agg throw: the batch fails with -1 UNKNOWN_SERVER_ERROR.
 *  - deletes: table.delete.behavior defaults to IGNORE for a merge engine (applySystemDefaults);
 *    ALLOW removes the whole row (-D).
 *  - CreateTable: TableDescriptorValidation#validateAggregationFunctionParameters refuses bad
 *    parameters and types with 39 INVALID_CONFIG_EXCEPTION, "Invalid aggregation function for
 *    column '<c>': ...".
 * Tables use log format COMPACTED so that changelog rows read back with fl_logrecord.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_keyenc.h"
#include "fl_kvbatch.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_roaring.h"
#include "fl_row.h"
#include "fl_wire.h"

#define COL(name, type) "{\"name\":\"" name "\",\"data_type\":{\"type\":\"" type "\"}"
#define AGG(fn) ",\"agg_function\":{\"type\":\"" fn "\"}}"
#define AGGP(fn, params) ",\"agg_function\":{\"type\":\"" fn "\",\"parameters\":{" params "}}}"
#define TABLE_JSON(cols, props)                                                                \
    "{\"schema\":{\"columns\":[" cols "],\"primary_key\":[\"k\"]},\"partition_key\":[],"       \
    "\"bucket_key\":[\"k\"],\"bucket_count\":1,\"properties\":{\"table.merge-engine\":"        \
    "\"aggregation\",\"table.log.format\":\"COMPACTED\"" props "},\"custom_properties\":{}}"

/* agg(k BIGINT NOT NULL, ...): one column per function */
enum { K, S_I, S_B, S_D, S_DEC, S_BDEC, S_TINY, P_S, P_DEC, MX_S, MN_TS, MX_BDEC, LV, LVIN, FV,
       FVIN, LA, LA2, BAND, BOR, R32, R64, NC };
#define AGG_COLS                                                                               \
    "{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":false}},"                 \
    COL("s_i", "INTEGER") AGG("sum") "," COL("s_b", "BIGINT") AGG("SUM") ","                   \
    COL("s_d", "DOUBLE") AGG("sum") ","                                                        \
    "{\"name\":\"s_dec\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":4,\"scale\":2}"     \
    AGG("sum") ","                                                                             \
    "{\"name\":\"s_bdec\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":20,\"scale\":2}"   \
    AGG("sum") ","                                                                             \
    COL("s_tiny", "TINYINT") AGG("sum") "," COL("p_s", "SMALLINT") AGG("product") ","          \
    "{\"name\":\"p_dec\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":4,\"scale\":2}"     \
    AGG("product") ","                                                                         \
    COL("mx_s", "STRING") AGG("max") ","                                                       \
    "{\"name\":\"mn_ts\",\"data_type\":{\"type\":\"TIMESTAMP_WITHOUT_TIME_ZONE\","             \
    "\"precision\":3}" AGG("min") ","                                                          \
    "{\"name\":\"mx_bdec\",\"data_type\":{\"type\":\"DECIMAL\",\"precision\":20,\"scale\":2}"  \
    AGG("max") ","                                                                             \
    COL("lv", "STRING") AGG("last_value") "," COL("lvin", "STRING") "},"                       \
    COL("fv", "INTEGER") AGG("first_value") "," COL("fvin", "INTEGER")                         \
    AGG("first-value-ignore-nulls") ","                                                        \
    COL("la", "STRING") AGG("listagg") "," COL("la2", "STRING")                                \
    AGGP("string_agg", "\"delimiter\":\";\"") ","                                              \
    COL("band", "BOOLEAN") AGG("bool_and") "," COL("bor", "BOOLEAN") AGG("bool_or") ","       \
    COL("r32", "BYTES") AGG("rbm32") "," COL("r64", "BYTES") AGG("RBM64")

static fl_ts_t ts;
static int fd;
static int64_t tid, tid_allow;
static int16_t sid;

static fl_type_t types[NC];
static char *names[NC];
static int32_t ids[NC];
static fl_type_t row_type = {.root = FL_T_ROW, .n_children = NC, .children = types,
                             .field_names = names, .field_ids = ids};
static const uint32_t pk_idx[1] = {K};

static void init_types(void) {
    static const struct { const char *n; fl_type_root_t r; int p, s; } c[NC] = {
        {"k", FL_T_BIGINT, 0, 0},         {"s_i", FL_T_INTEGER, 0, 0},
        {"s_b", FL_T_BIGINT, 0, 0},       {"s_d", FL_T_DOUBLE, 0, 0},
        {"s_dec", FL_T_DECIMAL, 4, 2},    {"s_bdec", FL_T_DECIMAL, 20, 2},
        {"s_tiny", FL_T_TINYINT, 0, 0},   {"p_s", FL_T_SMALLINT, 0, 0},
        {"p_dec", FL_T_DECIMAL, 4, 2},    {"mx_s", FL_T_STRING, 0, 0},
        {"mn_ts", FL_T_TIMESTAMP, 3, 0},  {"mx_bdec", FL_T_DECIMAL, 20, 2},
        {"lv", FL_T_STRING, 0, 0},        {"lvin", FL_T_STRING, 0, 0},
        {"fv", FL_T_INTEGER, 0, 0},       {"fvin", FL_T_INTEGER, 0, 0},
        {"la", FL_T_STRING, 0, 0},        {"la2", FL_T_STRING, 0, 0},
        {"band", FL_T_BOOLEAN, 0, 0},     {"bor", FL_T_BOOLEAN, 0, 0},
        {"r32", FL_T_BYTES, 0, 0},        {"r64", FL_T_BYTES, 0, 0},
    };
    for (int i = 0; i < NC; i++) {
        types[i] = (fl_type_t){.root = c[i].r, .nullable = i != K, .precision = c[i].p,
                               .scale = c[i].s};
        names[i] = (char *)c[i].n;
        ids[i] = i;
    }
}

/* ---- rows ------------------------------------------------------------------------------------ */

typedef fl_datum_t row_t[NC];
static uint8_t bigbuf[64][16];
static int nbig;

static void nulls(row_t r, int64_t key) {
    memset(r, 0, sizeof(row_t));
    for (int i = 0; i < NC; i++) r[i].is_null = true;
    r[K].is_null = false;
    r[K].v.i64 = key;
}
static void set_i(row_t r, int c, int64_t v) {
    r[c].is_null = false;
    switch (types[c].root) {
    case FL_T_TINYINT: r[c].v.i8 = (int8_t)v; break;
    case FL_T_SMALLINT: r[c].v.i16 = (int16_t)v; break;
    case FL_T_INTEGER: r[c].v.i32 = (int32_t)v; break;
    case FL_T_BOOLEAN: r[c].v.b = v != 0; break;
    case FL_T_TIMESTAMP: r[c].v.ts.millis = v; break;
    case FL_T_DECIMAL:
        if (types[c].precision <= 18) {
            r[c].v.dec.unscaled = v;
        } else { /* minimal big-endian two's complement */
            uint8_t *b = bigbuf[nbig++ % 64];
            for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
            int s = 0;
            while (s < 7 && ((b[s] == 0 && !(b[s + 1] & 0x80)) || (b[s] == 0xff && (b[s + 1] & 0x80)))) s++;
            r[c].v.dec.big = b + s;
            r[c].v.dec.big_len = (uint32_t)(8 - s);
        }
        break;
    default: r[c].v.i64 = v; break;
    }
}
static void set_d(row_t r, int c, double v) {
    r[c].is_null = false;
    r[c].v.f64 = v;
}
static void set_s(row_t r, int c, const char *s) {
    r[c].is_null = false;
    r[c].v.bytes.p = (const uint8_t *)s;
    r[c].v.bytes.len = (uint32_t)strlen(s);
}

static void encode_key(int64_t key, fl_buf_t *out) {
    row_t r;
    nulls(r, key);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &row_type, r, pk_idx, 1, out), FL_ERR_NONE);
}

/* ---- requests ---------------------------------------------------------------------------------- */

typedef struct op_s {
    int64_t key;
    const fl_datum_t *row; /* NULL: delete */
} op_t;

/* PutKv v1 with agg_mode (MergeMode: 0 DEFAULT, 1 OVERWRITE); -1: the field is absent */
static int32_t put_agg_mode = -1;

static Fluss__PbPutKvRespForBucket *put(int64_t table, const op_t *ops, size_t n, const int32_t *target,
                                        size_t n_target, fl_arena_t *a) {
    fl_buf_t buf, k, v;
    fl_buf_init(&buf);
    fl_buf_init(&k);
    fl_buf_init(&v);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, sid, -1, -1);
    for (size_t i = 0; i < n; i++) {
        fl_buf_reset(&k);
        fl_buf_reset(&v);
        encode_key(ops[i].key, &k);
        if (ops[i].row)
            assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &row_type, ops[i].row, &v), FL_ERR_NONE);
        fl_kvbatch_builder_append(&b, k.p, k.len, ops[i].row ? v.p : NULL, v.len);
    }
    fl_kvbatch_builder_finish(&b);
    Fluss__PbPutKvRespForBucket *r;
    if (put_agg_mode < 0) {
        r = fl_cli_put_kv(fd, -1, table, 0, buf.p, buf.len, target, n_target, a);
    } else {
        Fluss__PbPutKvReqForBucket rb = FLUSS__PB_PUT_KV_REQ_FOR_BUCKET__INIT;
        rb.records.data = buf.p;
        rb.records.len = buf.len;
        Fluss__PbPutKvReqForBucket *bs[] = {&rb};
        Fluss__PutKvRequest req = FLUSS__PUT_KV_REQUEST__INIT;
        req.acks = -1;
        req.table_id = table;
        req.timeout_ms = 30000;
        req.n_target_columns = n_target;
        req.target_columns = (int32_t *)target;
        req.has_agg_mode = 1;
        req.agg_mode = put_agg_mode;
        req.n_buckets_req = 1;
        req.buckets_req = bs;
        Fluss__PutKvResponse *resp = (Fluss__PutKvResponse *)fl_cli_call(
            fd, FL_API_PUT_KV, 1, &req.base, &fluss__put_kv_response__descriptor, a);
        assert_int_equal(resp->n_buckets_resp, 1);
        r = resp->buckets_resp[0];
    }
    fl_buf_free(&buf);
    fl_buf_free(&k);
    fl_buf_free(&v);
    return r;
}

static void put_ok(int64_t table, const op_t *ops, size_t n, const int32_t *target, size_t n_target) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbPutKvRespForBucket *r = put(table, ops, n, target, n_target, a);
    if (r->has_error_code && r->error_code)
        fail_msg("PutKv: %d %s", r->error_code, r->error_message ? r->error_message : "");
    fl_arena_destroy(a);
}

/* Lookup of key equals want (NULL: absent). */
static void expect_stored(int64_t table, int64_t key, const fl_datum_t *want) {
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t k, v;
    fl_buf_init(&k);
    fl_buf_init(&v);
    encode_key(key, &k);
    ProtobufCBinaryData keys[] = {{k.len, k.p}};
    Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, table, 0, keys, 1, a);
    assert_int_equal(l->n_values, 1);
    if (!want) {
        assert_false(l->values[0]->has_values);
    } else {
        assert_true(l->values[0]->has_values);
        assert_int_equal(fl_row_encode_value(FL_ROW_COMPACTED, sid, &row_type, want, &v), FL_ERR_NONE);
        if (l->values[0]->values.len != v.len || memcmp(l->values[0]->values.data, v.p, v.len)) {
            /* say which column differs */
            fl_datum_t *got = NULL;
            int16_t gs;
            fl_view_t rb;
            assert_int_equal(fl_row_split_value(l->values[0]->values.data, l->values[0]->values.len, &gs, &rb), 0);
            assert_int_equal(fl_row_decode(FL_ROW_COMPACTED, &row_type, rb.p, rb.len, a, &got), 0);
            for (int c = 0; c < NC; c++)
                if (got[c].is_null != want[c].is_null)
                    print_error("column %s: null %d, expected %d\n", names[c], got[c].is_null, want[c].is_null);
            fail_msg("key %lld: stored value differs", (long long)key);
        }
    }
    fl_buf_free(&k);
    fl_buf_free(&v);
    fl_arena_destroy(a);
}

/* The changelog rows from offset at: types[] and rows (re-encoded compare). */
static size_t changelog(int64_t table, int64_t at, uint8_t *ctypes, fl_buf_t *rows, size_t max) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, table, 0, at, 1 << 20, a);
    assert_false(f->has_error_code && f->error_code);
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, f->records.data, f->records.len, UINT32_MAX, true);
    fl_logbatch_t b;
    size_t n = 0;
    while (fl_logbatch_iter_next(&it, &b) == 1) {
        fl_logrecord_iter_t ri;
        fl_logrecord_iter_init(&ri, b.p + b.header_size, b.size - b.header_size, b.record_count);
        fl_logrecord_t rec;
        while (fl_logrecord_next(&ri, &rec)) {
            assert_true(n < max);
            ctypes[n] = rec.change_type;
            fl_buf_init(&rows[n]);
            fl_buf_put(&rows[n], rec.row.p, rec.row.len);
            n++;
        }
        assert_int_equal(ri.rd.err, FL_ERR_NONE);
    }
    fl_arena_destroy(a);
    return n;
}

static void expect_changelog(int64_t table, int64_t at, const uint8_t *want_types,
                             const fl_datum_t *const *want_rows, size_t n) {
    uint8_t ct[16];
    fl_buf_t rows[16];
    size_t got = changelog(table, at, ct, rows, 16);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        fl_buf_t w;
        fl_buf_init(&w);
        assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &row_type, want_rows[i], &w), FL_ERR_NONE);
        if (ct[i] != want_types[i]) fail_msg("row %zu: change type %d, expected %d", i, ct[i], want_types[i]);
        assert_int_equal(rows[i].len, w.len);
        assert_memory_equal(rows[i].p, w.p, w.len);
        fl_buf_free(&w);
    }
    for (size_t i = 0; i < got; i++) fl_buf_free(&rows[i]);
}

static int64_t latest(int64_t table) { return fl_cli_list_offset(fd, table, 0, 1); }

/* ---- setup ------------------------------------------------------------------------------------- */

static int setup(void **state) {
    (void)state;
    init_types();
    const char *args[] = {NULL};
    fl_ts_start(&ts, "local", args);
    fd = fl_cli_connect(ts.port);
    tid = fl_cli_create_table(fd, "agg", TABLE_JSON(AGG_COLS, ""));
    tid_allow = fl_cli_create_table(fd, "agg_allow",
                                    TABLE_JSON(AGG_COLS, ",\"table.delete.behavior\":\"allow\""));
    sid = (int16_t)fl_cli_schema_id(fd, "agg");
    assert_int_equal(fl_cli_schema_id(fd, "agg_allow"), sid);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    close(fd);
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void first_row(row_t r, int64_t key) {
    nulls(r, key);
    set_i(r, S_I, 10);
    set_i(r, S_B, 1000000000000LL);
    set_d(r, S_D, 0.5);
    set_i(r, S_DEC, 9000);          /* 90.00 */
    set_i(r, S_BDEC, 123456789012345LL);
    set_i(r, S_TINY, 100);
    set_i(r, P_S, 3);
    set_i(r, P_DEC, 150);           /* 1.50 */
    set_s(r, MX_S, "banana");
    set_i(r, MN_TS, 2000);
    set_i(r, MX_BDEC, -5);
    set_s(r, LV, "a");
    set_s(r, LVIN, "a");
    set_i(r, FVIN, 7);              /* fv stays null: first_value takes a later non-null */
    set_s(r, LA, "x");
    set_s(r, LA2, "x");
    set_i(r, BAND, 1);
    set_i(r, BOR, 0);
}

/* Every function over three upserts of one key, with the -U/+U changelog. */
static void test_functions(void **state) {
    (void)state;
    row_t r1, r2, r3, m2, m3;
    first_row(r1, 1);
    int64_t at = latest(tid);
    op_t o1[] = {{1, r1}};
    put_ok(tid, o1, 1, NULL, 0);
    expect_stored(tid, 1, r1);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_INSERT}, (const fl_datum_t *[]){r1}, 1);

    nulls(r2, 1);
    set_i(r2, S_I, -3);
    set_i(r2, S_B, 5);
    set_d(r2, S_D, 0.25);
    set_i(r2, S_DEC, 9000);         /* 90.00 + 90.00 = 180.00: beyond DECIMAL(4,2), kept */
    set_i(r2, S_BDEC, -45);
    set_i(r2, S_TINY, 100);         /* wraps to -56 */
    set_i(r2, P_S, -4);
    set_i(r2, P_DEC, 125);          /* 1.50 * 1.25 = 1.875 -> 1.88 (half up) */
    set_s(r2, MX_S, "apple");
    set_i(r2, MN_TS, 1000);
    set_i(r2, MX_BDEC, 7);
    set_s(r2, LV, "b");
    set_s(r2, LVIN, "b");
    set_i(r2, FV, 5);
    set_i(r2, FVIN, 8);
    set_s(r2, LA, "y");
    set_s(r2, LA2, "y");
    set_i(r2, BAND, 0);
    set_i(r2, BOR, 1);
    memcpy(m2, r1, sizeof(row_t));
    set_i(m2, S_I, 7);
    set_i(m2, S_B, 1000000000005LL);
    set_d(m2, S_D, 0.75);
    set_i(m2, S_DEC, 18000);
    set_i(m2, S_BDEC, 123456789012300LL);
    set_i(m2, S_TINY, -56);
    set_i(m2, P_S, -12);
    set_i(m2, P_DEC, 188);
    set_i(m2, MN_TS, 1000);
    set_i(m2, MX_BDEC, 7);
    set_s(m2, LV, "b");
    set_s(m2, LVIN, "b");
    set_i(m2, FV, 5);
    set_s(m2, LA, "x,y");
    set_s(m2, LA2, "x;y");
    set_i(m2, BAND, 0);
    set_i(m2, BOR, 1);
    at = latest(tid);
    op_t o2[] = {{1, r2}};
    put_ok(tid, o2, 1, NULL, 0);
    expect_stored(tid, 1, m2);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER},
                     (const fl_datum_t *[]){r1, m2}, 2);

    /* all nulls: only last_value changes; then overflowing decimal products become null */
    nulls(r3, 1);
    set_i(r3, P_DEC, 9999);         /* 1.88 * 99.99 = 187.98: beyond DECIMAL(4,2) -> null */
    memcpy(m3, m2, sizeof(row_t));
    m3[LV].is_null = true;
    m3[P_DEC].is_null = true;
    at = latest(tid);
    op_t o3[] = {{1, r3}};
    put_ok(tid, o3, 1, NULL, 0);
    expect_stored(tid, 1, m3);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER},
                     (const fl_datum_t *[]){m2, m3}, 2);

    /* an upsert that changes nothing still logs -U/+U (AggregateRowMerger builds a new row) */
    row_t r4;
    nulls(r4, 1);
    at = latest(tid);
    op_t o4[] = {{1, r4}};
    put_ok(tid, o4, 1, NULL, 0);
    expect_stored(tid, 1, m3);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER},
                     (const fl_datum_t *[]){m3, m3}, 2);
}

/* Several records of one key in one batch aggregate in order. */
static void test_same_batch(void **state) {
    (void)state;
    row_t a1, a2, a3, want;
    nulls(a1, 2);
    set_i(a1, S_I, 1);
    set_s(a1, LA, "p");
    nulls(a2, 2);
    set_i(a2, S_I, 2);
    set_s(a2, LA, "q");
    nulls(a3, 2);
    set_i(a3, S_I, 3);
    set_s(a3, LA, "r");
    nulls(want, 2);
    set_i(want, S_I, 6);
    set_s(want, LA, "p,q,r");
    op_t o[] = {{2, a1}, {2, a2}, {2, a3}};
    int64_t at = latest(tid);
    put_ok(tid, o, 3, NULL, 0);
    expect_stored(tid, 2, want);
    uint8_t ct[16];
    fl_buf_t rows[16];
    size_t n = changelog(tid, at, ct, rows, 16);
    assert_int_equal(n, 5); /* +I, -U, +U, -U, +U */
    assert_int_equal(ct[0], FL_CHANGE_INSERT);
    assert_int_equal(ct[3], FL_CHANGE_UPDATE_BEFORE);
    assert_int_equal(ct[4], FL_CHANGE_UPDATE_AFTER);
    for (size_t i = 0; i < n; i++) fl_buf_free(&rows[i]);
}

/* A partial update aggregates the target columns only. */
static void test_partial_update(void **state) {
    (void)state;
    row_t r1, p, want;
    first_row(r1, 3);
    op_t o1[] = {{3, r1}};
    put_ok(tid, o1, 1, NULL, 0);
    nulls(p, 3);
    set_i(p, S_I, 5);
    set_s(p, LA, "z");
    set_s(p, LV, "ignored"); /* not a target column */
    set_i(p, S_B, 99);       /* not a target column */
    memcpy(want, r1, sizeof(row_t));
    set_i(want, S_I, 15);
    set_s(want, LA, "x,z");
    int32_t target[] = {K, S_I, LA};
    int64_t at = latest(tid);
    op_t o2[] = {{3, p}};
    put_ok(tid, o2, 1, target, 3);
    expect_stored(tid, 3, want);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER},
                     (const fl_datum_t *[]){r1, want}, 2);
}

/* Deletes: ignored by default (no changelog row), whole-row with table.delete.behavior=allow. */
static void test_deletes(void **state) {
    (void)state;
    row_t r1;
    first_row(r1, 4);
    op_t ins[] = {{4, r1}};
    put_ok(tid, ins, 1, NULL, 0);
    put_ok(tid_allow, ins, 1, NULL, 0);
    int64_t at = latest(tid);
    op_t del[] = {{4, NULL}};
    put_ok(tid, del, 1, NULL, 0);
    expect_stored(tid, 4, r1);
    expect_changelog(tid, at, NULL, NULL, 0);

    at = latest(tid_allow);
    put_ok(tid_allow, del, 1, NULL, 0);
    expect_stored(tid_allow, 4, NULL);
    expect_changelog(tid_allow, at, (uint8_t[]){FL_CHANGE_DELETE}, (const fl_datum_t *[]){r1}, 1);
    /* a new row after the delete starts over */
    at = latest(tid_allow);
    put_ok(tid_allow, ins, 1, NULL, 0);
    expect_stored(tid_allow, 4, r1);
    expect_changelog(tid_allow, at, (uint8_t[]){FL_CHANGE_INSERT}, (const fl_datum_t *[]){r1}, 1);
}

/* PutKv agg_mode (Fluss MergeMode, KvTablet.putAsLeader): 1 OVERWRITE bypasses the merge engine
 * (DefaultRowMerger with DeleteBehavior.ALLOW): the row replaces the stored one, partial updates
 * take the target columns as given, deletes remove the row although the table ignores deletes;
 * 0 and unknown values (MergeMode.fromValue) aggregate as usual. */
static void test_agg_mode(void **state) {
    (void)state;
    row_t r1, r2, want, p;
    first_row(r1, 7);
    op_t o1[] = {{7, r1}};
    put_ok(tid, o1, 1, NULL, 0);
    /* OVERWRITE: the stored row becomes r2 exactly, logged as -U r1, +U r2 */
    first_row(r2, 7);
    set_i(r2, S_I, 1000);
    set_s(r2, LA, "w");
    int64_t at = latest(tid);
    put_agg_mode = 1;
    op_t o2[] = {{7, r2}};
    put_ok(tid, o2, 1, NULL, 0);
    expect_stored(tid, 7, r2);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER},
                     (const fl_datum_t *[]){r1, r2}, 2);
    /* OVERWRITE partial update: the target column takes the new value, no sum */
    nulls(p, 7);
    set_i(p, S_I, 3);
    int32_t target[] = {K, S_I};
    put_ok(tid, (op_t[]){{7, p}}, 1, target, 2);
    memcpy(want, r2, sizeof(row_t));
    set_i(want, S_I, 3);
    expect_stored(tid, 7, want);
    /* agg_mode 0 and an unknown value aggregate again */
    put_agg_mode = 0;
    put_ok(tid, (op_t[]){{7, p}}, 1, target, 2);
    set_i(want, S_I, 6);
    expect_stored(tid, 7, want);
    put_agg_mode = 5;
    put_ok(tid, (op_t[]){{7, p}}, 1, target, 2);
    set_i(want, S_I, 9);
    expect_stored(tid, 7, want);
    /* OVERWRITE delete on a table whose deletes are ignored: the row goes (-D) */
    put_agg_mode = 1;
    at = latest(tid);
    put_ok(tid, (op_t[]){{7, NULL}}, 1, NULL, 0);
    expect_stored(tid, 7, NULL);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_DELETE}, (const fl_datum_t *[]){want}, 1);
    put_agg_mode = -1;
}

static void expect_create_refused(const char *name, const char *json, const char *msg) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = strlen(json);
    char err[512] = "";
    int rc = fl_cli_try_call(fd, FL_API_CREATE_TABLE, &req.base,
                             &fluss__create_table_response__descriptor, NULL, NULL, err, sizeof(err));
    if (rc != 39) fail_msg("%s: answer %d (%s), expected 39", name, rc, err);
    if (!strstr(err, msg)) fail_msg("%s: message '%s' lacks '%s'", name, err, msg);
}

#define KCOL "{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":false}},"

static void test_invalid_tables(void **state) {
    (void)state;
    expect_create_refused("bad1", TABLE_JSON(KCOL COL("v", "STRING") AGG("sum"), ""),
                          "Invalid aggregation function for column 'v': Data type for sum column "
                          "must be part of [TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, "
                          "DECIMAL] but was 'STRING'.");
    expect_create_refused("bad2", TABLE_JSON(KCOL COL("v", "INTEGER") AGG("listagg"), ""),
                          "Data type for listagg column must be part of [STRING, CHAR] but was 'INT'.");
    expect_create_refused("bad3", TABLE_JSON(KCOL COL("v", "INTEGER") AGG("bool_or"), ""),
                          "Data type for bool_or column must be part of [BOOLEAN]");
    expect_create_refused("bad4", TABLE_JSON(KCOL COL("v", "BOOLEAN") AGG("max"), ""),
                          "Data type for max column must be part of [CHAR, STRING, TINYINT");
    expect_create_refused("bad5", TABLE_JSON(KCOL COL("v", "INTEGER") AGGP("sum", "\"delimiter\":\",\""), ""),
                          "Parameter 'delimiter' is not supported for aggregation function 'sum'. "
                          "Supported parameters: none");
    expect_create_refused("bad6", TABLE_JSON(KCOL COL("v", "STRING") AGGP("listagg", "\"sep\":\",\""), ""),
                          "Parameter 'sep' is not supported for aggregation function 'listagg'. "
                          "Supported parameters: [delimiter]");
    expect_create_refused("bad7", TABLE_JSON(KCOL COL("v", "STRING") AGGP("listagg", "\"delimiter\":\"\""), ""),
                          "Parameter 'delimiter' for aggregation function 'listagg' must be a "
                          "non-empty string");
    expect_create_refused("bad8", TABLE_JSON(KCOL COL("v", "STRING") AGG("sum"),
                                             ",\"table.changelog.image\":\"WAL\""),
                          "does not support 'WAL' changelog image mode");
    expect_create_refused("bad9", TABLE_JSON(KCOL COL("v", "STRING") AGG("rbm32"), ""),
                          "Data type for rbm32 column must be part of [BYTES] but was 'STRING'.");
    expect_create_refused("bad10", TABLE_JSON(KCOL COL("v", "BIGINT") AGG("rbm64"), ""),
                          "Data type for rbm64 column must be part of [BYTES] but was 'BIGINT'.");
    /* a wrong type on a primary-key column is not checked; an unknown name is dropped */
    int64_t t = fl_cli_create_table(fd, "agg_unknown",
                                    TABLE_JSON(KCOL COL("v", "STRING") AGG("no_such_fn"), ""));
    assert_true(t > 0);
    fl_cli_assert_serving(fd);
}

/* ---- rbm32 / rbm64 ---- */

static void set_b(row_t r, int c, const fl_buf_t *b) {
    r[c].is_null = false;
    r[c].v.bytes.p = b->p;
    r[c].v.bytes.len = (uint32_t)b->len;
}

static void hex_to(const char *h, fl_buf_t *out) {
    for (size_t i = 0; h[2 * i]; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        fl_buf_put_u8(out, (uint8_t)v);
    }
}

static void collect64(void *arg, uint64_t v) {
    fl_buf_put_i64le(arg, (int64_t)v);
}

/* The values of a stored rbm64 column of key, as i64 LE in out. */
static void stored_r64(int64_t table, int64_t key, fl_buf_t *out) {
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t k;
    fl_buf_init(&k);
    encode_key(key, &k);
    ProtobufCBinaryData keys[] = {{k.len, k.p}};
    Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, table, 0, keys, 1, a);
    assert_true(l->values[0]->has_values);
    fl_datum_t *got = NULL;
    int16_t gs;
    fl_view_t rb;
    assert_int_equal(fl_row_split_value(l->values[0]->values.data, l->values[0]->values.len, &gs, &rb), 0);
    assert_int_equal(fl_row_decode(FL_ROW_COMPACTED, &row_type, rb.p, rb.len, a, &got), 0);
    assert_false(got[R64].is_null);
    assert_int_equal(fl_rbm64_foreach(got[R64].v.bytes.p, got[R64].v.bytes.len, collect64, out), FL_ERR_NONE);
    fl_buf_free(&k);
    fl_arena_destroy(a);
}

/* Unions over the wire; nulls pass the other side through; an empty bitmap changes nothing;
 * malformed bytes fail the batch (-1) and leave the stored row as it was. */
static void test_roaring(void **state) {
    (void)state;
    /* {1,2} and {2,3} as Java writes them (Fluss's documented example) */
    fl_buf_t a32, b32, e32, u32, a64, b64, e64, u64, bad;
    fl_buf_t *bufs[] = {&a32, &b32, &e32, &u32, &a64, &b64, &e64, &u64, &bad};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) fl_buf_init(bufs[i]);
    hex_to("3a30000001000000000001001000000001000200", &a32);
    hex_to("3a30000001000000000001001000000002000300", &b32);
    hex_to("3a30000000000000", &e32);
    const uint64_t va[] = {1, 2, 1ull << 40, UINT64_MAX}, vb[] = {2, 3, 5ull << 48};
    fl_rbm64_encode(va, 4, &a64);
    fl_rbm64_encode(vb, 3, &b64);
    fl_rbm64_encode(NULL, 0, &e64);
    assert_int_equal(fl_rbm32_union(a32.p, a32.len, b32.p, b32.len, &u32), FL_ERR_NONE);
    assert_int_equal(fl_rbm64_union(a64.p, a64.len, b64.p, b64.len, &u64), FL_ERR_NONE);

    row_t r, want;
    nulls(r, 9); /* first row: r32 null, r64 given */
    set_b(r, R64, &a64);
    put_ok(tid, (op_t[]){{9, r}}, 1, NULL, 0);
    nulls(r, 9); /* stored null r32 takes the incoming bytes as they are; null r64 keeps a64 */
    set_b(r, R32, &a32);
    put_ok(tid, (op_t[]){{9, r}}, 1, NULL, 0);
    nulls(want, 9);
    set_b(want, R32, &a32);
    set_b(want, R64, &a64);
    expect_stored(tid, 9, want);
    nulls(r, 9);
    set_b(r, R32, &b32);
    set_b(r, R64, &b64);
    int64_t at = latest(tid);
    put_ok(tid, (op_t[]){{9, r}}, 1, NULL, 0);
    set_b(want, R32, &u32);
    set_b(want, R64, &u64);
    expect_stored(tid, 9, want);
    row_t before;
    nulls(before, 9);
    set_b(before, R32, &a32);
    set_b(before, R64, &a64);
    expect_changelog(tid, at, (uint8_t[]){FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER},
                     (const fl_datum_t *[]){before, want}, 2);
    fl_buf_t vals;
    fl_buf_init(&vals);
    stored_r64(tid, 9, &vals);
    const uint64_t vu[] = {1, 2, 3, 1ull << 40, 5ull << 48, UINT64_MAX};
    assert_int_equal(vals.len, sizeof(vu));
    for (size_t i = 0; i < 6; i++) assert_int_equal(((const uint64_t *)(const void *)vals.p)[i], vu[i]);
    fl_buf_free(&vals);
    /* empty bitmaps: the union is what was stored (our re-serialization of it) */
    nulls(r, 9);
    set_b(r, R32, &e32);
    set_b(r, R64, &e64);
    put_ok(tid, (op_t[]){{9, r}}, 1, NULL, 0);
    expect_stored(tid, 9, want);
    /* malformed: refused, nothing stored, the server goes on */
    const char *bads[2][3] = {{"00", "3a30000001000000000001001000000002000100", "3b30"},
                              {"0102", "01ffffffffffffffff", "3a30000001000000000001001000000001000200"}};
    for (int which = 0; which < 2; which++)
        for (size_t i = 0; i < 3; i++) {
            fl_buf_reset(&bad);
            hex_to(bads[which][i], &bad);
            nulls(r, 9);
            set_b(r, which ? R64 : R32, &bad);
            fl_arena_t *a = fl_arena_new(0);
            Fluss__PbPutKvRespForBucket *pr = put(tid, (op_t[]){{9, r}}, 1, NULL, 0, a);
            assert_true(pr->has_error_code);
            assert_int_equal(pr->error_code, -1);
            assert_non_null(strstr(pr->error_message, "roaring bitmap"));
            fl_arena_destroy(a);
            expect_stored(tid, 9, want);
        }
    fl_cli_assert_serving(fd);
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) fl_buf_free(bufs[i]);
}

/* After a restart the functions come back from the stored schema (agg_function). */
static void test_after_restart(void **state) {
    (void)state;
    close(fd);
    const char *args[] = {NULL};
    fl_ts_kill9(&ts);
    fl_ts_restart(&ts, "local", args);
    fd = fl_cli_connect(ts.port);
    row_t a4, want;
    nulls(a4, 2);
    set_i(a4, S_I, 4);
    set_s(a4, LA, "s");
    nulls(want, 2);
    set_i(want, S_I, 10);
    set_s(want, LA, "p,q,r,s");
    op_t o[] = {{2, a4}};
    put_ok(tid, o, 1, NULL, 0);
    expect_stored(tid, 2, want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_functions),     cmocka_unit_test(test_same_batch),
        cmocka_unit_test(test_partial_update), cmocka_unit_test(test_deletes),
        cmocka_unit_test(test_invalid_tables), cmocka_unit_test(test_agg_mode),
        cmocka_unit_test(test_roaring),        cmocka_unit_test(test_after_restart),
    };
    return cmocka_run_group_tests_name("0012-kv_aggregation", tests, setup, teardown);
}
