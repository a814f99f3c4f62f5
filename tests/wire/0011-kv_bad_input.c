/* 0011-kv_bad_input: what the primary-key path answers to bad PutKv and Lookup input, sent raw.
 * After every refused PutKv: the bucket answers the expected error code with no
 * log_end_offset; ListOffsets(latest) has not moved and nothing is readable there; a Lookup of
 * every key the test ever wrote still returns exactly the value the test expects (the good
 * records that shared the refused batch were not applied either); and a good PutKv afterwards
 * lands one offset further and reads back as one +I changelog row.
 *
 * Batches are KvRecordBatches (protocol/fl_kvbatch.h) with COMPACTED value rows
 * (protocol/fl_row.h) and COMPACTED keys (protocol/fl_keyenc.h) of the table
 * kv(k BIGINT NOT NULL PRIMARY KEY, v STRING, n BIGINT), log format COMPACTED so that the
 * changelog rows can be read back with protocol/fl_logrecord.h.
 *
 * Error codes, against Fluss 0.9.1 (v0.9.1-incubating):
 *  - PutKv / Lookup on a log table: 20 NON_PRIMARY_KEY_TABLE_EXCEPTION (Replica.putRecordsToLeader
 *    and lookup check isKvTable()); an unknown bucket: 21 UNKNOWN_TABLE_OR_BUCKET_EXCEPTION.
 *  - SchemaId above the latest or negative: 9 SCHEMA_NOT_EXIST
 *    (fluss-server/.../kv/KvTablet.java validateSchemaId, "Invalid schema id: x, latest schema
 *    id: y"), as fl-server answers.
 *  - target columns without a primary-key column: 35 INVALID_TARGET_COLUMN
 *    (fluss-server/.../kv/partialupdate/PartialUpdater.java sanityCheck).
 *  - a delete with table.delete.behavior = disable: 57 DELETION_DISABLED_EXCEPTION
 *    (KvTablet.processDeletion).
 *  - corrupt batches, records and rows: fl-server answers 14 CORRUPT_RECORD_EXCEPTION. Fluss
 *    0.9.1 is laxer here: the server never calls DefaultKvRecordBatch.ensureValid()/isValid()
 *    on the PutKv path (neither CRC nor magic is checked); a record whose KeyLength runs past
 *    the record throws InvalidRecordException / IndexOutOfBoundsException from
 *    DefaultKvRecord.readKeyAndRow, neither of which Errors.forException maps, so the client
 *    gets -1 UNKNOWN_SERVER_ERROR; a value row is a lazily decoded CompactedRow, so a truncated
 *    row fails (with -1) only when a field is read and trailing garbage is never noticed.
 *    fl-server refuses all of these up front with 14, before anything is staged; that is what
 *    this test pins down.
 *  - Keys are opaque bytes to both servers (KvTablet uses the Key bytes as given), so "a key
 *    that does not decode" here means KV record framing around the key that does not parse:
 *    a KeyLength varint running past its record, an unterminated varint, a record Length of
 *    0, negative or past the batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_crc32c.h"
#include "fl_keyenc.h"
#include "fl_kvbatch.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_row.h"
#include "fl_wire.h"

#define COL(name, type, nullable)                                                              \
    "{\"name\":\"" name "\",\"data_type\":{\"type\":\"" type "\",\"nullable\":" nullable "}}"
#define PK_JSON(buckets, props)                                                                \
    "{\"schema\":{\"columns\":[" COL("k", "BIGINT", "false") "," COL("v", "STRING", "true")    \
    "," COL("n", "BIGINT", "true") "],\"primary_key\":[\"k\"]},\"partition_key\":[],"          \
    "\"bucket_key\":[\"k\"],\"bucket_count\":" #buckets ",\"properties\":"                     \
    "{\"table.log.format\":\"COMPACTED\"" props "},\"custom_properties\":{}}"
#define NN_JSON                                                                                \
    "{\"schema\":{\"columns\":[" COL("k", "BIGINT", "false") "," COL("v", "STRING", "false")   \
    "," COL("n", "BIGINT", "true") "],\"primary_key\":[\"k\"]},\"partition_key\":[],"          \
    "\"bucket_key\":[\"k\"],\"bucket_count\":1,\"properties\":{},\"custom_properties\":{}}"
#define LOG_JSON                                                                               \
    "{\"schema\":{\"columns\":[" COL("k", "BIGINT", "true") "," COL("s", "STRING", "true")     \
    "]},\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":1,\"properties\":"             \
    "{\"table.log.format\":\"INDEXED\"},\"custom_properties\":{}}"

static fl_ts_t ts;
static int fd;
static int64_t tid;        /* kv: 2 buckets; the tests write bucket 0 */
static int64_t tid_nodel;  /* kv_nodel: same columns, table.delete.behavior = disable */
static int64_t tid_log;    /* a log table */
static int64_t tid_nn;     /* kv_nn(k BIGINT PRIMARY KEY, v STRING NOT NULL, n BIGINT) */
static int32_t schema_id;  /* latest schema id of kv */

/* ---- rows, keys and batches -------------------------------------------------------------- */

static fl_type_t col_types[3] = {{.root = FL_T_BIGINT, .nullable = false},
                                 {.root = FL_T_STRING, .nullable = true},
                                 {.root = FL_T_BIGINT, .nullable = true}};
static char *col_names[3] = {"k", "v", "n"};
static int32_t col_ids[3] = {0, 1, 2};
static const fl_type_t row_type = {.root = FL_T_ROW, .n_children = 3, .children = col_types,
                                   .field_names = col_names, .field_ids = col_ids};
static const uint32_t pk_idx[1] = {0};

/* The test's picture of table kv, bucket 0: keys 1..next_key-1. */
#define MAX_KEYS 512
typedef struct model_s {
    bool present;
    char v[40];
    int64_t n;
} model_t;
static model_t model[MAX_KEYS];
static int64_t next_key = 1;

static void fill_row(fl_datum_t f[3], int64_t key, const char *v, int64_t n) {
    memset(f, 0, 3 * sizeof(*f));
    f[0].v.i64 = key;
    if (v) {
        f[1].v.bytes.p = (const uint8_t *)v;
        f[1].v.bytes.len = (uint32_t)strlen(v);
    } else {
        f[1].is_null = true;
    }
    f[2].v.i64 = n;
}

static void encode_key(int64_t key, fl_buf_t *out) {
    fl_datum_t f[3];
    fill_row(f, key, "", 0);
    assert_int_equal(fl_keyenc_encode(FL_KEYENC_COMPACTED, &row_type, f, pk_idx, 1, out),
                     FL_ERR_NONE);
}

static void encode_row(int64_t key, const char *v, int64_t n, fl_buf_t *out) {
    fl_datum_t f[3];
    fill_row(f, key, v, n);
    assert_int_equal(fl_row_encode(FL_ROW_COMPACTED, &row_type, f, out), FL_ERR_NONE);
}

static void kv_upsert(fl_kvbatch_builder_t *b, int64_t key, const char *v, int64_t n) {
    fl_buf_t k, r;
    fl_buf_init(&k);
    fl_buf_init(&r);
    encode_key(key, &k);
    encode_row(key, v, n, &r);
    fl_kvbatch_builder_append(b, k.p, k.len, r.p, r.len);
    fl_buf_free(&k);
    fl_buf_free(&r);
}

static void kv_delete(fl_kvbatch_builder_t *b, int64_t key) {
    fl_buf_t k;
    fl_buf_init(&k);
    encode_key(key, &k);
    fl_kvbatch_builder_append(b, k.p, k.len, NULL, 0);
    fl_buf_free(&k);
}

/* Append a hand-made record: Length = length, then body (the builder counts it). */
static void kv_raw(fl_kvbatch_builder_t *b, int32_t length, const void *body, size_t len) {
    fl_buf_put_i32le(b->buf, length);
    fl_buf_put(b->buf, body, len);
    b->count++;
}

/* A record whose key is fine and whose value is the given bytes. */
static void kv_value(fl_kvbatch_builder_t *b, int64_t key, const void *val, size_t len) {
    fl_buf_t k;
    fl_buf_init(&k);
    encode_key(key, &k);
    fl_kvbatch_builder_append(b, k.p, k.len, val, len);
    fl_buf_free(&k);
}

static void put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the CRC of a patched batch at p so that only the patched field is wrong. */
static void recrc(uint8_t *p, size_t size) {
    put_le32(p + FL_KVBATCH_CRC_OFFSET,
             fl_crc32c(p + FL_KVBATCH_SCHEMA_ID_OFFSET, size - FL_KVBATCH_SCHEMA_ID_OFFSET));
}

/* Start a batch holding an update of key 1 and an insert of a fresh key: the good records a
 * refused batch must not apply. */
static void begin_with_good(fl_kvbatch_builder_t *b, fl_buf_t *buf, int16_t sid) {
    fl_kvbatch_builder_begin(b, buf, sid, -1, -1);
    kv_upsert(b, 1, "must not be applied", 666);
    kv_upsert(b, next_key + 100, "must not exist", 667);
}

/* ---- checks -------------------------------------------------------------------------------- */

static int64_t latest(int64_t table, int32_t bucket) {
    return fl_cli_list_offset(fd, table, bucket, 1);
}

static void assert_nothing_at(int64_t table, int32_t bucket, int64_t at) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbFetchLogRespForBucket *r = fl_cli_fetch(fd, table, bucket, at, 1 << 20, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->high_watermark, at);
    assert_true(!r->has_records || r->records.len == 0);
    fl_arena_destroy(a);
}

/* The stored value of one key as the server returns it: int16 LE schema id + COMPACTED row. */
static void expected_value(int64_t key, const model_t *m, fl_buf_t *out) {
    fl_datum_t f[3];
    fill_row(f, key, m->v, m->n);
    assert_int_equal(fl_row_encode_value(FL_ROW_COMPACTED, (int16_t)schema_id, &row_type, f, out),
                     FL_ERR_NONE);
}

/* Lookup of every key 1..next_key+100 (the +100 keys are the ones refused batches insert)
 * equals the model. */
static void check_model(void) {
    size_t n = (size_t)next_key + 100;
    assert_true(n < MAX_KEYS);
    fl_arena_t *a = fl_arena_new(0);
    ProtobufCBinaryData *keys = fl_arena_alloc(a, n * sizeof(*keys));
    fl_buf_t kb;
    fl_buf_init(&kb);
    for (size_t i = 0; i < n; i++) {
        fl_buf_reset(&kb);
        encode_key((int64_t)i + 1, &kb);
        keys[i].data = fl_arena_alloc(a, kb.len);
        memcpy(keys[i].data, kb.p, kb.len);
        keys[i].len = kb.len;
    }
    Fluss__PbLookupRespForBucket *r = fl_cli_lookup(fd, tid, 0, keys, n, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->n_values, n);
    for (size_t i = 0; i < n; i++) {
        int64_t key = (int64_t)i + 1;
        const model_t *m = &model[key];
        if (!m->present) {
            if (r->values[i]->has_values)
                fail_msg("key %lld: expected absent, found %zu bytes", (long long)key,
                         r->values[i]->values.len);
            continue;
        }
        if (!r->values[i]->has_values) fail_msg("key %lld: expected present", (long long)key);
        fl_buf_reset(&kb);
        expected_value(key, m, &kb);
        assert_int_equal(r->values[i]->values.len, kb.len);
        assert_memory_equal(r->values[i]->values.data, kb.p, kb.len);
    }
    fl_buf_free(&kb);
    fl_arena_destroy(a);
}

/* The changelog from offset `at` of (table, bucket): each row's change type and row bytes. */
typedef struct cl_row_s {
    uint8_t type;
    uint8_t row[128];
    size_t len;
    int64_t writer_id;
    int32_t seq;
} cl_row_t;

static size_t read_changelog(int64_t table, int32_t bucket, int64_t at, cl_row_t *out, size_t max,
                             size_t *batches /* OUT */) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbFetchLogRespForBucket *f = fl_cli_fetch(fd, table, bucket, at, 1 << 20, a);
    assert_false(f->has_error_code && f->error_code);
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, f->records.data, f->records.len, UINT32_MAX, true);
    fl_logbatch_t b;
    size_t n = 0, nb = 0;
    int64_t next = at;
    while (fl_logbatch_iter_next(&it, &b) == 1) {
        assert_int_equal(b.base_offset, next); /* no gap */
        next = fl_logbatch_next_offset(&b);
        nb++;
        fl_logrecord_iter_t ri;
        fl_logrecord_iter_init(&ri, b.p + b.header_size, b.size - b.header_size, b.record_count);
        fl_logrecord_t rec;
        int32_t got = 0;
        while (fl_logrecord_next(&ri, &rec)) {
            assert_true(n < max && rec.row.len <= sizeof(out[n].row));
            out[n].type = rec.change_type;
            memcpy(out[n].row, rec.row.p, rec.row.len);
            out[n].len = rec.row.len;
            out[n].writer_id = b.writer_id;
            out[n].seq = b.batch_sequence;
            n++;
            got++;
        }
        assert_int_equal(ri.rd.err, FL_ERR_NONE);
        assert_int_equal(got, b.record_count);
    }
    assert_int_equal(it.trailing, 0);
    assert_int_equal(next, f->high_watermark);
    fl_arena_destroy(a);
    if (batches) *batches = nb;
    return n;
}

static void assert_cl_row(const cl_row_t *c, uint8_t type, int64_t key, const char *v, int64_t n) {
    fl_buf_t r;
    fl_buf_init(&r);
    encode_row(key, v, n, &r);
    if (c->type != type) fail_msg("change type %d, expected %d", c->type, type);
    assert_int_equal(c->len, r.len);
    assert_memory_equal(c->row, r.p, r.len);
    fl_buf_free(&r);
}

/* Upsert one fresh key; it lands one offset further, reads back as one +I row, and Lookup
 * finds it. */
static void good_put(void) {
    int64_t key = next_key++;
    int64_t before = latest(tid, 0);
    char v[40];
    snprintf(v, sizeof(v), "good %lld", (long long)key);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, -1, -1);
    kv_upsert(&b, key, v, key * 10);
    fl_kvbatch_builder_finish(&b);
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid, 0, buf.p, buf.len, NULL, 0, a);
    if (r->has_error_code && r->error_code)
        fail_msg("good PutKv refused: %d %s", r->error_code, r->error_message);
    assert_true(r->has_log_end_offset);
    assert_int_equal(r->log_end_offset, before + 1);
    assert_int_equal(latest(tid, 0), before + 1);
    fl_arena_destroy(a);
    fl_buf_free(&buf);
    model[key].present = true;
    snprintf(model[key].v, sizeof(model[key].v), "%s", v);
    model[key].n = key * 10;
    cl_row_t cl[4];
    size_t nb;
    assert_int_equal(read_changelog(tid, 0, before, cl, 4, &nb), 1);
    assert_int_equal(nb, 1);
    assert_cl_row(&cl[0], FL_CHANGE_INSERT, key, v, key * 10);
    check_model();
}

/* PutKv of [p, p+len) to (table, bucket) with target columns; expect the bucket refused with
 * code (message containing msg when not NULL) and nothing changed. */
static void expect_refused_on(int64_t table, int32_t bucket, const void *p, size_t len,
                              const int32_t *targets, size_t n_targets, int32_t code,
                              const char *msg) {
    bool ours = table == tid && bucket == 0;
    int64_t before = ours ? latest(tid, 0) : -1;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbPutKvRespForBucket *r =
        fl_cli_put_kv(fd, -1, table, bucket, p, len, targets, n_targets, a);
    if (!r->has_error_code || r->error_code != code)
        fail_msg("expected error %d, got %d (%s), log end offset %lld", code,
                 r->has_error_code ? r->error_code : 0, r->error_message ? r->error_message : "",
                 r->has_log_end_offset ? (long long)r->log_end_offset : -1LL);
    assert_false(r->has_log_end_offset);
    assert_non_null(r->error_message);
    if (msg && !strstr(r->error_message, msg))
        fail_msg("message '%s' lacks '%s'", r->error_message, msg);
    fl_arena_destroy(a);
    if (ours) {
        assert_int_equal(latest(tid, 0), before);
        assert_nothing_at(tid, 0, before);
    }
    check_model();
    good_put();
}

static void expect_refused(const fl_buf_t *buf, int32_t code, const char *msg) {
    expect_refused_on(tid, 0, buf->p, buf->len, NULL, 0, code, msg);
}

/* ---- setup --------------------------------------------------------------------------------- */

static int setup(void **state) {
    (void)state;
    const char *args[] = {"-Dserver.log-level=debug", NULL};
    fl_ts_start(&ts, "local", args);
    fd = fl_cli_connect(ts.port);
    tid = fl_cli_create_table(fd, "kv", PK_JSON(2, ""));
    tid_nodel = fl_cli_create_table(fd, "kv_nodel",
                                    PK_JSON(1, ",\"table.delete.behavior\":\"disable\""));
    tid_log = fl_cli_create_table(fd, "log", LOG_JSON);
    tid_nn = fl_cli_create_table(fd, "kv_nn", NN_JSON);
    schema_id = fl_cli_schema_id(fd, "kv");
    assert_true(schema_id >= 0 && schema_id < 0x7fff);
    good_put(); /* key 1: the key every refused batch tries to update */
    good_put();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    close(fd);
    assert_true(fl_ts_alive(&ts));
    assert_int_equal(fl_ts_stop(&ts), 0);
    return 0;
}

/* ---- wrong table, wrong bucket ------------------------------------------------------------- */

static void test_put_to_log_table(void **state) {
    (void)state;
    int64_t before = latest(tid_log, 0);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, 0, -1, -1);
    kv_upsert(&b, 5, "x", 1);
    fl_kvbatch_builder_finish(&b);
    char msg[64];
    snprintf(msg, sizeof(msg), "Table %" PRId64 " is not a primary-key table", tid_log);
    expect_refused_on(tid_log, 0, buf.p, buf.len, NULL, 0, 20, msg);
    assert_int_equal(latest(tid_log, 0), before);
    assert_nothing_at(tid_log, 0, before);
    /* and to buckets that do not exist */
    expect_refused_on(tid, 2, buf.p, buf.len, NULL, 0, 21, "Unknown table or bucket");
    expect_refused_on(tid, -1, buf.p, buf.len, NULL, 0, 21, "Unknown table or bucket");
    expect_refused_on(tid + 1000, 0, buf.p, buf.len, NULL, 0, 21, "Unknown table or bucket");
    fl_buf_free(&buf);
}

static void test_lookup_errors(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t k;
    fl_buf_init(&k);
    encode_key(1, &k);
    ProtobufCBinaryData key = {k.len, k.p};
    Fluss__PbLookupRespForBucket *r = fl_cli_lookup(fd, tid_log, 0, &key, 1, a);
    assert_true(r->has_error_code);
    assert_int_equal(r->error_code, 20);
    assert_int_equal(r->n_values, 0);
    int32_t bad_buckets[] = {2, 99, -1};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad_buckets); i++) {
        r = fl_cli_lookup(fd, tid, bad_buckets[i], &key, 1, a);
        assert_true(r->has_error_code);
        assert_int_equal(r->error_code, 21);
        assert_int_equal(r->n_values, 0);
    }
    r = fl_cli_lookup(fd, tid + 1000, 0, &key, 1, a);
    assert_int_equal(r->error_code, 21);
    /* the same key in the right bucket is found */
    r = fl_cli_lookup(fd, tid, 0, &key, 1, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->n_values, 1);
    assert_true(r->values[0]->has_values);
    fl_buf_free(&k);
    fl_arena_destroy(a);
    check_model();
}

/* ---- batch framing ---------------------------------------------------------------------------- */

static void test_bad_crc(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_upsert(&b, next_key + 101, "z", 3);
    fl_kvbatch_builder_finish(&b);
    buf.p[buf.len - 1] ^= 0x01; /* one bit of the last row */
    expect_refused(&buf, 14, "corrupt");
    buf.p[buf.len - 1] ^= 0x01;
    buf.p[FL_KVBATCH_CRC_OFFSET + 1] ^= 0x40; /* the CRC field itself */
    expect_refused(&buf, 14, "corrupt");
    buf.p[FL_KVBATCH_CRC_OFFSET + 1] ^= 0x40;
    buf.p[FL_KVBATCH_SCHEMA_ID_OFFSET + 2] = 1; /* Attributes: covered by the CRC */
    expect_refused(&buf, 14, "corrupt");
    fl_buf_free(&buf);
}

static void test_bad_magic(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    begin_with_good(&b, &buf, (int16_t)schema_id);
    fl_kvbatch_builder_finish(&b);
    int8_t bad[] = {1, 2, -1};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        buf.p[4] = (uint8_t)bad[i]; /* Magic is outside the CRC */
        expect_refused(&buf, 14, "corrupt");
    }
    fl_buf_free(&buf);
}

static void test_record_count(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    begin_with_good(&b, &buf, (int16_t)schema_id); /* 2 records */
    fl_kvbatch_builder_finish(&b);
    int32_t bad[] = {1, 3, 0, -1, 1000000, INT32_MIN};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        put_le32(buf.p + 24, (uint32_t)bad[i]);
        recrc(buf.p, buf.len); /* a valid CRC: only the count is wrong */
        expect_refused(&buf, 14, "corrupt");
    }
    fl_buf_free(&buf);
}

static void test_batch_length(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    begin_with_good(&b, &buf, (int16_t)schema_id);
    size_t size = fl_kvbatch_builder_finish(&b);
    /* Length past the bytes, below the header, negative */
    int32_t bad[] = {(int32_t)size, (int32_t)size + 100, 10, -5};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        put_le32(buf.p, (uint32_t)bad[i]);
        expect_refused(&buf, 14, NULL);
    }
    put_le32(buf.p, (uint32_t)(size - 4));
    /* the blob cut inside the records, inside the header; an empty blob */
    expect_refused_on(tid, 0, buf.p, size - 3, NULL, 0, 14, NULL);
    expect_refused_on(tid, 0, buf.p, 20, NULL, 0, 14, NULL);
    expect_refused_on(tid, 0, buf.p, 0, NULL, 0, 14, NULL);
    /* bytes after the batch (Fluss reads one batch per bucket) */
    fl_buf_put(&buf, "\0\0\0\0", 4);
    expect_refused(&buf, 14, "Bytes follow");
    fl_buf_free(&buf);
}

/* ---- records whose key framing does not decode ------------------------------------------------- */

static void test_key_does_not_decode(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    /* KeyLength 100 in a 5-byte record */
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_raw(&b, 5, "\x64" "abcd", 5);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "corrupt");
    /* KeyLength one past the record end (the key would eat the first value byte of nothing) */
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_raw(&b, 4, "\x04" "abc", 4);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "corrupt");
    /* an unterminated KeyLength varint, and one of 6 bytes */
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_raw(&b, 3, "\x80\x80\x80", 3);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "corrupt");
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_raw(&b, 8, "\x81\x80\x80\x80\x80\x00" "ab", 8);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "corrupt");
    /* a record Length of 0, negative, past the batch */
    int32_t lens[] = {0, -1, 1000};
    for (size_t i = 0; i < FL_ARRAY_LEN(lens); i++) {
        fl_buf_reset(&buf);
        begin_with_good(&b, &buf, (int16_t)schema_id);
        kv_raw(&b, lens[i], "\x01\x02", 2);
        fl_kvbatch_builder_finish(&b);
        expect_refused(&buf, 14, "corrupt");
    }
    /* the bad record first, good ones after it */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, -1, -1);
    kv_raw(&b, 2, "\x09\x01", 2);
    kv_upsert(&b, 1, "must not be applied", 666);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "corrupt");
    fl_buf_free(&buf);
}

/* ---- values that do not decode as the table's row ------------------------------------------------ */

static void test_value_does_not_decode(void **state) {
    (void)state;
    fl_buf_t buf, row;
    fl_buf_init(&buf);
    fl_buf_init(&row);
    fl_kvbatch_builder_t b;
    int64_t key = next_key + 102;
    encode_row(key, "a string value", 77, &row);
    /* truncated: every proper prefix that is not empty (empty = a delete) */
    for (size_t cut = 1; cut < row.len; cut += (cut < 4 ? 1 : 5)) {
        fl_buf_reset(&buf);
        begin_with_good(&b, &buf, (int16_t)schema_id);
        kv_value(&b, key, row.p, cut);
        fl_kvbatch_builder_finish(&b);
        expect_refused(&buf, 14, "does not decode");
    }
    /* trailing garbage after a whole row */
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    fl_buf_t longer;
    fl_buf_init(&longer);
    fl_buf_put(&longer, row.p, row.len);
    fl_buf_put(&longer, "\xde\xad\xbe", 3);
    kv_value(&b, key, longer.p, longer.len);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "does not decode");
    fl_buf_free(&longer);
    /* a string length past the row: bitmap 0, k = 5, len 100, 3 bytes */
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_value(&b, key, "\x00\x05\x64" "abc", 6);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "does not decode");
    /* an over-long BIGINT varint (11 bytes) */
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_value(&b, key, "\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "does not decode");
    /* garbage */
    fl_buf_reset(&buf);
    begin_with_good(&b, &buf, (int16_t)schema_id);
    kv_value(&b, key, "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 14, "does not decode");
    fl_buf_free(&buf);
    fl_buf_free(&row);
}

/* ---- schema ids ---------------------------------------------------------------------------------- */

static void test_unknown_schema_id(void **state) {
    (void)state;
    int16_t bad[] = {(int16_t)(schema_id + 1), (int16_t)(schema_id + 7), 0x7fff, -1, INT16_MIN};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        fl_buf_t buf;
        fl_buf_init(&buf);
        fl_kvbatch_builder_t b;
        begin_with_good(&b, &buf, bad[i]);
        fl_kvbatch_builder_finish(&b);
        char msg[96];
        snprintf(msg, sizeof(msg), "Invalid schema id: %d, latest schema id: %d", bad[i],
                 schema_id);
        expect_refused(&buf, 9, msg);
        fl_buf_free(&buf);
    }
}

/* ---- partial updates ------------------------------------------------------------------------------ */

static void test_partial_update_target_columns(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    int64_t fresh = next_key + 100; /* the key begin_with_good inserts */
    begin_with_good(&b, &buf, (int16_t)schema_id);
    fl_kvbatch_builder_finish(&b);
    /* the primary key k (column 0) left out */
    int32_t no_pk[] = {1, 2};
    expect_refused_on(tid, 0, buf.p, buf.len, no_pk, 2, 35, "'k'");
    int32_t only_v[] = {1};
    expect_refused_on(tid, 0, buf.p, buf.len, only_v, 1, 35, "primary key");
    /* an index out of range */
    int32_t out_of_range[][2] = {{0, 3}, {0, 100}, {0, -1}, {INT32_MIN, 0}};
    for (size_t i = 0; i < FL_ARRAY_LEN(out_of_range); i++)
        expect_refused_on(tid, 0, buf.p, buf.len, out_of_range[i], 2, 35, "out of range");
    /* the same batch as a partial update of (k, n) works: v of key 1 is kept */
    int64_t before = latest(tid, 0);
    int32_t k_n[] = {0, 2};
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid, 0, buf.p, buf.len, k_n, 2, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->log_end_offset, before + 3); /* -U, +U of key 1; +I of the new key */
    model[1].n = 666; /* v of key 1 is kept */
    fl_arena_destroy(a);
    /* a partial insert nulls the non-target v: the model cannot say null, so check by hand */
    fl_buf_t k, want;
    fl_buf_init(&k);
    fl_buf_init(&want);
    encode_key(fresh, &k);
    fl_datum_t f[3];
    fill_row(f, fresh, NULL, 667);
    fl_row_encode_value(FL_ROW_COMPACTED, (int16_t)schema_id, &row_type, f, &want);
    a = fl_arena_new(0);
    ProtobufCBinaryData key = {k.len, k.p};
    Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, tid, 0, &key, 1, a);
    assert_true(l->values[0]->has_values);
    assert_int_equal(l->values[0]->values.len, want.len);
    assert_memory_equal(l->values[0]->values.data, want.p, want.len);
    fl_arena_destroy(a);
    /* delete it again so the model (which has no nulls) stays exact */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, -1, -1);
    kv_delete(&b, fresh);
    fl_kvbatch_builder_finish(&b);
    a = fl_arena_new(0);
    r = fl_cli_put_kv(fd, -1, tid, 0, buf.p, buf.len, NULL, 0, a);
    assert_false(r->has_error_code && r->error_code);
    fl_arena_destroy(a);
    check_model();
    fl_buf_free(&k);
    fl_buf_free(&want);
    fl_buf_free(&buf);
    good_put();
}

/* Partial updates need every non-key column nullable: Fluss's PartialUpdater.sanityCheck
 * answers 35 when any non-key column is NOT NULL, whether it is a target column or not. */
static void test_partial_update_not_null_column(void **state) {
    (void)state;
    int16_t sid = (int16_t)fl_cli_schema_id(fd, "kv_nn");
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t buf, k, want;
    fl_buf_init(&buf);
    fl_buf_init(&k);
    fl_buf_init(&want);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, sid, -1, -1);
    kv_upsert(&b, 1, "one", 1);
    fl_kvbatch_builder_finish(&b);
    Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid_nn, 0, buf.p, buf.len, NULL, 0, a);
    assert_false(r->has_error_code && r->error_code);
    int64_t before = latest(tid_nn, 0);
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, sid, -1, -1);
    kv_upsert(&b, 1, NULL, 100); /* what a client sends for a partial update of (k, n) */
    kv_upsert(&b, 2, NULL, 200);
    fl_kvbatch_builder_finish(&b);
    int32_t k_n[] = {0, 2};
    r = fl_cli_put_kv(fd, -1, tid_nn, 0, buf.p, buf.len, k_n, 2, a);
    assert_true(r->has_error_code);
    assert_int_equal(r->error_code, 35);
    assert_non_null(strstr(r->error_message, "column v is NOT NULL"));
    assert_false(r->has_log_end_offset);
    assert_int_equal(latest(tid_nn, 0), before);
    assert_nothing_at(tid_nn, 0, before);
    encode_key(1, &k);
    ProtobufCBinaryData key = {k.len, k.p};
    Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, tid_nn, 0, &key, 1, a);
    fl_datum_t f[3];
    fill_row(f, 1, "one", 1);
    fl_row_encode_value(FL_ROW_COMPACTED, sid, &row_type, f, &want);
    assert_true(l->values[0]->has_values);
    assert_int_equal(l->values[0]->values.len, want.len);
    assert_memory_equal(l->values[0]->values.data, want.p, want.len);
    /* Fluss checks every non-key column, targeted or not: (k, v) is refused as well */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, sid, -1, -1);
    kv_upsert(&b, 1, "uno", 100);
    fl_kvbatch_builder_finish(&b);
    int32_t k_v[] = {0, 1};
    r = fl_cli_put_kv(fd, -1, tid_nn, 0, buf.p, buf.len, k_v, 2, a);
    assert_int_equal(r->error_code, 35);
    assert_int_equal(latest(tid_nn, 0), before);
    /* the same batch as a full-row upsert works */
    r = fl_cli_put_kv(fd, -1, tid_nn, 0, buf.p, buf.len, NULL, 0, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->log_end_offset, before + 2); /* -U, +U */
    fl_buf_free(&buf);
    fl_buf_free(&k);
    fl_buf_free(&want);
    fl_arena_destroy(a);
}

/* A full-row upsert whose value row has a null primary-key column or a null NOT NULL column is
 * refused with 3 CORRUPT_MESSAGE before anything is written (otherwise replay of the changelog
 * could not decode it after a crash). */
static void test_null_in_not_null_column(void **state) {
    (void)state;
    int16_t sid = (int16_t)fl_cli_schema_id(fd, "kv_nn");
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    int64_t before = latest(tid_nn, 0);
    static const uint8_t v_null[] = {0x02, 0x08, 0x05};       /* k=4, v null, n=5 */
    static const uint8_t k_null[] = {0x01, 0x01, 0x61, 0x05}; /* k null, v="a", n=5 */
    const struct { const void *v; size_t n; const char *msg; } cases[] = {
        {v_null, sizeof(v_null), "NOT NULL column v"},
        {k_null, sizeof(k_null), "primary-key column k"},
    };
    for (size_t i = 0; i < 2; i++) {
        fl_buf_reset(&buf);
        fl_kvbatch_builder_begin(&b, &buf, sid, -1, -1);
        kv_upsert(&b, 7, "seven", 7); /* a good record in the same batch is not applied either */
        kv_value(&b, 4, cases[i].v, cases[i].n);
        fl_kvbatch_builder_finish(&b);
        Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid_nn, 0, buf.p, buf.len, NULL, 0, a);
        assert_true(r->has_error_code);
        assert_int_equal(r->error_code, 3);
        if (!strstr(r->error_message, cases[i].msg))
            fail_msg("message '%s' lacks '%s'", r->error_message, cases[i].msg);
        assert_false(r->has_log_end_offset);
        assert_int_equal(latest(tid_nn, 0), before);
        assert_nothing_at(tid_nn, 0, before);
    }
    fl_buf_t k;
    fl_buf_init(&k);
    encode_key(7, &k);
    ProtobufCBinaryData key = {k.len, k.p};
    Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, tid_nn, 0, &key, 1, a);
    assert_false(l->values[0]->has_values);
    fl_buf_free(&k);
    fl_buf_free(&buf);
    fl_arena_destroy(a);
}

/* ---- table.delete.behavior = disable --------------------------------------------------------------- */

static void test_deletion_disabled(void **state) {
    (void)state;
    fl_arena_t *a = fl_arena_new(0);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)fl_cli_schema_id(fd, "kv_nodel"), -1, -1);
    kv_upsert(&b, 1, "one", 1);
    fl_kvbatch_builder_finish(&b);
    Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid_nodel, 0, buf.p, buf.len, NULL, 0, a);
    assert_false(r->has_error_code && r->error_code);
    int64_t before = latest(tid_nodel, 0);
    assert_int_equal(before, 1);
    /* an upsert of a new key, then a delete of an existing one; also a delete of a missing
     * key (which Fluss refuses the same way: the check comes before the lookup) */
    int64_t del_keys[] = {1, 42};
    for (size_t i = 0; i < FL_ARRAY_LEN(del_keys); i++) {
        fl_buf_reset(&buf);
        fl_kvbatch_builder_begin(&b, &buf, (int16_t)fl_cli_schema_id(fd, "kv_nodel"), -1, -1);
        kv_upsert(&b, 2, "two", 2);
        kv_upsert(&b, 1, "changed", 11);
        kv_delete(&b, del_keys[i]);
        fl_kvbatch_builder_finish(&b);
        r = fl_cli_put_kv(fd, -1, tid_nodel, 0, buf.p, buf.len, NULL, 0, a);
        assert_true(r->has_error_code);
        assert_int_equal(r->error_code, 57);
        assert_non_null(strstr(r->error_message, "table.delete.behavior"));
        assert_false(r->has_log_end_offset);
        assert_int_equal(latest(tid_nodel, 0), before);
        assert_nothing_at(tid_nodel, 0, before);
        /* key 1 unchanged, key 2 absent */
        fl_buf_t k1, k2, want;
        fl_buf_init(&k1);
        fl_buf_init(&k2);
        fl_buf_init(&want);
        encode_key(1, &k1);
        encode_key(2, &k2);
        ProtobufCBinaryData keys[] = {{k1.len, k1.p}, {k2.len, k2.p}};
        Fluss__PbLookupRespForBucket *l = fl_cli_lookup(fd, tid_nodel, 0, keys, 2, a);
        assert_int_equal(l->n_values, 2);
        fl_datum_t f[3];
        fill_row(f, 1, "one", 1);
        fl_row_encode_value(FL_ROW_COMPACTED, (int16_t)fl_cli_schema_id(fd, "kv_nodel"), &row_type,
                            f, &want);
        assert_true(l->values[0]->has_values);
        assert_int_equal(l->values[0]->values.len, want.len);
        assert_memory_equal(l->values[0]->values.data, want.p, want.len);
        assert_false(l->values[1]->has_values);
        fl_buf_free(&k1);
        fl_buf_free(&k2);
        fl_buf_free(&want);
    }
    /* upserts still work */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)fl_cli_schema_id(fd, "kv_nodel"), -1, -1);
    kv_upsert(&b, 2, "two", 2);
    fl_kvbatch_builder_finish(&b);
    r = fl_cli_put_kv(fd, -1, tid_nodel, 0, buf.p, buf.len, NULL, 0, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->log_end_offset, before + 1);
    fl_buf_free(&buf);
    fl_arena_destroy(a);
}

/* ---- idempotent writers ------------------------------------------------------------------------ */

static int64_t init_writer(void) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = "kv";
    Fluss__PbTablePath *tps[] = {&tp};
    Fluss__InitWriterRequest req = FLUSS__INIT_WRITER_REQUEST__INIT;
    req.n_table_path = 1;
    req.table_path = tps;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__InitWriterResponse *r = (Fluss__InitWriterResponse *)fl_cli_call(
        fd, FL_API_INIT_WRITER, 0, &req.base, &fluss__init_writer_response__descriptor, a);
    int64_t id = r->writer_id;
    fl_arena_destroy(a);
    assert_true(id >= 0);
    return id;
}

static void test_idempotent_retry(void **state) {
    (void)state;
    int64_t wid = init_writer();
    int64_t k1 = next_key++, k2 = next_key++;
    int64_t before = latest(tid, 0);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    /* seq 0: insert k1, k2 and update key 1 */
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, wid, 0);
    kv_upsert(&b, k1, "idem 1", 1);
    kv_upsert(&b, k2, "idem 2", 2);
    kv_upsert(&b, 1, "idem update", 3);
    fl_kvbatch_builder_finish(&b);
    fl_arena_t *a = fl_arena_new(0);
    for (int i = 0; i < 3; i++) { /* the first time, then two retries of the same bytes */
        Fluss__PbPutKvRespForBucket *r =
            fl_cli_put_kv(fd, i == 2 ? 1 : -1, tid, 0, buf.p, buf.len, NULL, 0, a);
        if (r->has_error_code && r->error_code)
            fail_msg("try %d refused: %d %s", i, r->error_code, r->error_message);
        assert_true(r->has_log_end_offset);
        assert_int_equal(r->log_end_offset, before + 4); /* +I, +I, -U, +U */
        assert_int_equal(latest(tid, 0), before + 4);
    }
    model_t old1 = model[1];
    model[k1] = (model_t){true, "idem 1", 1};
    model[k2] = (model_t){true, "idem 2", 2};
    model[1] = (model_t){true, "idem update", 3};
    check_model();
    /* seq 1: delete k2 (and its retry) */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, wid, 1);
    kv_delete(&b, k2);
    fl_kvbatch_builder_finish(&b);
    for (int i = 0; i < 2; i++) {
        Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid, 0, buf.p, buf.len, NULL, 0, a);
        assert_false(r->has_error_code && r->error_code);
        assert_int_equal(r->log_end_offset, before + 5);
    }
    model[k2].present = false;
    /* the older seq 0 is still recognised as a duplicate, and changes nothing */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, wid, 0);
    kv_upsert(&b, k1, "idem 1", 1);
    kv_upsert(&b, k2, "idem 2", 2);
    kv_upsert(&b, 1, "idem update", 3);
    fl_kvbatch_builder_finish(&b);
    Fluss__PbPutKvRespForBucket *r = fl_cli_put_kv(fd, -1, tid, 0, buf.p, buf.len, NULL, 0, a);
    assert_false(r->has_error_code && r->error_code);
    assert_int_equal(r->log_end_offset, before + 4);
    assert_int_equal(latest(tid, 0), before + 5);
    check_model();
    /* a gap in the sequence: 31, nothing changes */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, (int16_t)schema_id, wid, 3);
    kv_upsert(&b, k1, "gap", 9);
    fl_kvbatch_builder_finish(&b);
    expect_refused(&buf, 31, "Out of order batch sequence");
    /* the changelog holds each operation once, under its writer and sequence */
    cl_row_t cl[8];
    size_t nb;
    size_t n = read_changelog(tid, 0, before, cl, 8, &nb);
    assert_int_equal(nb, 3); /* seq 0, seq 1, the good_put after the gap */
    assert_int_equal(n, 6);
    assert_cl_row(&cl[0], FL_CHANGE_INSERT, k1, "idem 1", 1);
    assert_cl_row(&cl[1], FL_CHANGE_INSERT, k2, "idem 2", 2);
    assert_cl_row(&cl[2], FL_CHANGE_UPDATE_BEFORE, 1, old1.v, old1.n);
    assert_cl_row(&cl[3], FL_CHANGE_UPDATE_AFTER, 1, "idem update", 3);
    assert_cl_row(&cl[4], FL_CHANGE_DELETE, k2, "idem 2", 2);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cl[i].writer_id, wid);
        assert_int_equal(cl[i].seq, 0);
    }
    assert_int_equal(cl[4].writer_id, wid);
    assert_int_equal(cl[4].seq, 1);
    assert_int_equal(cl[5].type, FL_CHANGE_INSERT);
    fl_arena_destroy(a);
    fl_buf_free(&buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_to_log_table),
        cmocka_unit_test(test_lookup_errors),
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_record_count),
        cmocka_unit_test(test_batch_length),
        cmocka_unit_test(test_key_does_not_decode),
        cmocka_unit_test(test_value_does_not_decode),
        cmocka_unit_test(test_unknown_schema_id),
        cmocka_unit_test(test_partial_update_target_columns),
        cmocka_unit_test(test_partial_update_not_null_column),
        cmocka_unit_test(test_null_in_not_null_column),
        cmocka_unit_test(test_deletion_disabled),
        cmocka_unit_test(test_idempotent_retry),
    };
    return cmocka_run_group_tests_name("wire_kv_bad_input", tests, setup, teardown);
}
