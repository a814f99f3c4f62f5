/* bench_kv.c: primary-key table upserts and lookups of the real fl-server, beside RocksDB's own
 * db_bench (fillrandom, readrandom) run in the same process tree on the same file system with
 * the options of our KV store (storage/fl_kvstore.c, fl_kvenv_conf_defaults()).
 *
 *   bench_kv <fl-server> <work dir> [keys] [connections] [depth] [runs] [buckets]
 *            [log format] [db_bench binary | -]
 *
 * runs is a comma list of fl-server runs, each "batch KiB" or "batch KiB:LOG FORMAT" (ARROW,
 * COMPACTED), every one against a fresh server and data.dir. Defaults: 1000000 keys, 4
 * connections, 4 requests in flight per connection, runs "2048" (client.writer.batch-size),
 * 1 bucket, log format ARROW, db_bench from PATH ("-" skips it).
 *
 * Both sides see the same workload, with db_bench's semantics:
 *   fill   `keys` writes of 16-byte keys drawn uniformly with replacement from a key space of
 *          `keys` (so about 63% distinct), values of 100 bytes that compress to about half;
 *   read   `keys` point reads. db_bench's readrandom draws from the key space (about 37% miss);
 *          ours draws only keys that were written (every lookup returns a row).
 * fl-server side: table fluss.kvbench (k STRING NOT NULL primary key, v BYTES), kv format
 * COMPACTED; KvRecordBatches (writer id -1) of CompactedRows with CompactedKeyEncoder keys,
 * routed to buckets by the client's bucket function, sent as PutKv v1 (acks=-1), one batch per
 * request, `depth` requests in flight on each connection; then Lookup v1 requests of up to 128
 * keys (client.lookup.max-batch-size), grouped by bucket, pipelined the same way.
 *
 * Prints "key value" lines that bench/run.sh turns into docs/benchmarks.md:
 *   dbb_fill_ops_per_s, dbb_read_ops_per_s   db_bench's own figures (ops/sec)
 *   dbb_read_found                           keys readrandom found
 *   dbb_maxrss_kb                            db_bench's peak RSS (getrusage of the child)
 *   distinct_keys, lookup_requests, lookup_keys_per_request
 * and per fl-server run, prefixed <format>_<KiB>k_ (e.g. arrow_2048k_upserts_per_s):
 *   upserts_per_s, upsert_secs               PutKv records acknowledged / first send to last ack
 *   batches, records_per_batch, batch_bytes, upsert_hwm_kb (VmHWM after the upserts)
 *   lookups_per_s, lookup_secs, lookups_found, lookups_checked, hwm_kb (VmHWM at the end)
 * and the KV store options both sides use:
 *   block_cache_bytes, write_buffer_bytes, write_buffer_count, block_bytes, compression,
 *   memtable_bloom_pct */
#include "bench_util.h"

#include <sys/resource.h>

#include "fl_bucket.h"
#include "fl_keyenc.h"
#include "fl_kvbatch.h"
#include "fl_kvstore.h"
#include "fl_row.h"

#define KEY_BYTES 16
#define VALUE_BYTES 100
#define LOOKUP_BATCH 128 /* client.lookup.max-batch-size */

static const char *const g_comp_names[] = {"none", "snappy", "lz4", "zstd"};

static uint64_t g_rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void) {
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545f4914f6cdd1dull;
}

/* ---- db_bench ------------------------------------------------------------------------------ */

/* "<name> : X micros/op Y ops/sec ..." -> Y */
static double dbb_ops(const char *out, const char *name, long *found) {
    const char *l = out;
    size_t nl = strlen(name);
    while ((l = strstr(l, name))) {
        if ((l == out || l[-1] == '\n') && (l[nl] == ' ' || l[nl] == ':')) {
            double us, ops;
            const char *c = strchr(l, ':');
            if (c && sscanf(c + 1, "%lf micros/op %lf ops/sec", &us, &ops) == 2) {
                const char *f = strstr(l, " found)"), *eol = strchr(l, '\n');
                if (found && f && (!eol || f < eol)) {
                    const char *o = f;
                    while (o > l && o[-1] != '(') o--;
                    *found = atol(o);
                }
                return ops;
            }
        }
        l += nl;
    }
    return -1;
}

/* Run db_bench fillrandom,readrandom with the KV store's options; prints the dbb_* lines. */
static void run_db_bench(const char *bin, const char *work, long keys, const fl_kvenv_conf_t *kc) {
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/db_bench", work);
    fb_rmtree(dir);
    char a[20][96];
    int n = 0;
    snprintf(a[n++], 96, "--db=%s", dir);
    snprintf(a[n++], 96, "--benchmarks=fillrandom,readrandom");
    snprintf(a[n++], 96, "--num=%ld", keys);
    snprintf(a[n++], 96, "--key_size=%d", KEY_BYTES);
    snprintf(a[n++], 96, "--value_size=%d", VALUE_BYTES);
    snprintf(a[n++], 96, "--threads=1");
    snprintf(a[n++], 96, "--cache_size=%" PRIu64, kc->block_cache_bytes);
    snprintf(a[n++], 96, "--write_buffer_size=%" PRIu64, kc->write_buffer_bytes);
    snprintf(a[n++], 96, "--max_write_buffer_number=%d", kc->write_buffer_count);
    snprintf(a[n++], 96, "--block_size=%" PRIu64, kc->block_bytes);
    snprintf(a[n++], 96, "--compression_type=%s", g_comp_names[kc->compression & 3]);
    snprintf(a[n++], 96, "--memtable_bloom_size_ratio=%g", kc->memtable_bloom_pct / 100.0);
    snprintf(a[n++], 96, "--memtable_whole_key_filtering=%s", kc->memtable_bloom_pct > 0 ? "true" : "false");
    snprintf(a[n++], 96, "--bloom_bits=10");
    snprintf(a[n++], 96, "--cache_index_and_filter_blocks=1");
    snprintf(a[n++], 96, "--open_files=256");
    snprintf(a[n++], 96, "--max_background_jobs=2");
    snprintf(a[n++], 96, "--seed=1");
    char *argv[24] = {(char *)bin};
    for (int i = 0; i < n; i++) argv[i + 1] = a[i];
    argv[n + 1] = NULL;
    int pfd[2];
    if (pipe(pfd)) fb_die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2); /* its progress lines */
        close(pfd[0]);
        close(pfd[1]);
        execvp(bin, argv);
        _exit(127);
    }
    close(pfd[1]);
    fl_buf_t out;
    fl_buf_init(&out);
    for (;;) {
        uint8_t *p = fl_buf_extend(&out, 4096);
        ssize_t r = read(pfd[0], p, 4096);
        out.len -= 4096 - (size_t)(r > 0 ? r : 0);
        if (r <= 0) break;
    }
    close(pfd[0]);
    fl_buf_put_u8(&out, 0);
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        fb_die("db_bench failed (status %d):\n%s", st, (char *)out.p);
    long found = -1;
    double fill = dbb_ops((char *)out.p, "fillrandom", NULL);
    double read = dbb_ops((char *)out.p, "readrandom", &found);
    if (fill <= 0 || read <= 0) fb_die("unexpected db_bench output:\n%s", (char *)out.p);
    printf("dbb_fill_ops_per_s %.0f\n", fill);
    printf("dbb_read_ops_per_s %.0f\n", read);
    printf("dbb_read_found %ld\n", found);
    printf("dbb_maxrss_kb %ld\n", ru.ru_maxrss);
    fflush(stdout);
    fl_buf_free(&out);
    fb_rmtree(dir);
}

/* ---- the table ----------------------------------------------------------------------------- */

static fl_type_t g_fields[2] = {{.root = FL_T_STRING, .nullable = false},
                                {.root = FL_T_BYTES, .nullable = true}};
static char *g_names[2] = {"k", "v"};
static int32_t g_ids[2] = {0, 1};
static const fl_type_t g_row = {.root = FL_T_ROW, .n_children = 2, .children = g_fields,
                                .field_names = g_names, .field_ids = g_ids};

/* Create fluss.kvbench and wait until every bucket answers. @returns the table id. */
static int64_t create_kv_table(int port, int buckets, const char *log_format, int32_t *schema_id) {
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"STRING\","
             "\"nullable\":false}},{\"name\":\"v\",\"data_type\":{\"type\":\"BYTES\"}}],"
             "\"primary_key\":[\"k\"]},\"partition_key\":[],\"bucket_key\":[\"k\"],"
             "\"bucket_count\":%d,\"properties\":{\"table.log.format\":\"%s\","
             "\"table.kv.format\":\"COMPACTED\",\"table.replication.factor\":\"1\"},"
             "\"custom_properties\":{}}",
             buckets, log_format);
    return fb_create_table_json(port, "kvbench", json, buckets, schema_id);
}

/* ---- requests ------------------------------------------------------------------------------ */

typedef struct req_s {
    fl_buf_t frame;
    int32_t n;     /* records (PutKv) or keys (Lookup) in it */
} req_t;

typedef struct reqs_s {
    req_t *v;
    size_t n, cap;
} reqs_t;

static req_t *reqs_add(reqs_t *rs) {
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 256;
        rs->v = fl_realloc(rs->v, rs->cap * sizeof(req_t));
    }
    req_t *r = &rs->v[rs->n++];
    fl_buf_init(&r->frame);
    r->n = 0;
    return r;
}

static void reqs_free(reqs_t *rs) {
    for (size_t i = 0; i < rs->n; i++) fl_buf_free(&rs->v[i].frame);
    fl_free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

/* The 16 key bytes of key number i. */
static void key_text(uint64_t i, char out[KEY_BYTES + 1]) {
    snprintf(out, KEY_BYTES + 1, "%016" PRIu64, i);
}

/* CompactedKeyEncoder bytes of key text, and its bucket. */
static void key_encode(const char *text, int buckets, fl_buf_t *key, int32_t *bucket) {
    fl_datum_t d[2];
    memset(d, 0, sizeof(d));
    d[0].v.bytes.p = (const uint8_t *)text;
    d[0].v.bytes.len = KEY_BYTES;
    d[1].is_null = true;
    static const uint32_t idx[1] = {0};
    fl_buf_reset(key);
    if (fl_keyenc_encode(FL_KEYENC_COMPACTED, &g_row, d, idx, 1, key)) fb_die("%s", "key encoding failed");
    if (fl_bucket_of_key(FL_BUCKET_FLUSS, key->p, key->len, buckets, bucket)) fb_die("%s", "bucket failed");
}

typedef struct bucket_w_s {
    fl_buf_t batch;
    fl_kvbatch_builder_t b;
    bool open;
} bucket_w_t;

static void put_frame(reqs_t *rs, int64_t table_id, int32_t bucket, bucket_w_t *bw) {
    fl_kvbatch_builder_finish(&bw->b);
    Fluss__PbPutKvReqForBucket bq = FLUSS__PB_PUT_KV_REQ_FOR_BUCKET__INIT;
    bq.bucket_id = bucket;
    bq.records.data = bw->batch.p;
    bq.records.len = bw->batch.len;
    Fluss__PbPutKvReqForBucket *bqs[1] = {&bq};
    Fluss__PutKvRequest req = FLUSS__PUT_KV_REQUEST__INIT;
    req.acks = -1;
    req.table_id = table_id;
    req.timeout_ms = 30000;
    req.n_buckets_req = 1;
    req.buckets_req = bqs;
    req_t *r = reqs_add(rs);
    r->n = bw->b.count;
    size_t at = fl_frame_begin_req(&r->frame, FL_API_PUT_KV, 1, (int32_t)rs->n);
    fl_pb_pack(&r->frame, &req.base);
    fl_frame_end(&r->frame, at);
    fl_buf_reset(&bw->batch);
    bw->open = false;
}

/* db_bench's value generator idea: 100-byte values, each half random bytes and half a copy of
 * them (compression ratio about 0.5), taken from a 1 MiB pool at successive positions. */
#define POOL_BYTES (1u << 20)
static uint8_t g_pool[POOL_BYTES + VALUE_BYTES];

static void pool_fill(void) {
    for (size_t off = 0; off + VALUE_BYTES <= sizeof(g_pool); off += VALUE_BYTES) {
        for (int i = 0; i < VALUE_BYTES / 2; i++) g_pool[off + i] = (uint8_t)(' ' + rnd() % 95);
        memcpy(g_pool + off + VALUE_BYTES / 2, g_pool + off, VALUE_BYTES / 2);
    }
}

/* PutKv requests for `keys` upserts; written[] marks the key numbers used. */
static void build_puts(reqs_t *rs, int64_t table_id, int32_t schema_id, long keys, int buckets,
                       size_t batch_bytes, uint8_t *written) {
    bucket_w_t *bw = fl_calloc((size_t)buckets, sizeof(*bw));
    for (int b = 0; b < buckets; b++) fl_buf_init(&bw[b].batch);
    fl_buf_t key, val;
    fl_buf_init(&key);
    fl_buf_init(&val);
    size_t vpos = 0;
    for (long i = 0; i < keys; i++) {
        uint64_t k = rnd() % (uint64_t)keys;
        written[k] = 1;
        char text[KEY_BYTES + 1];
        key_text(k, text);
        int32_t bucket;
        key_encode(text, buckets, &key, &bucket);
        fl_datum_t d[2];
        memset(d, 0, sizeof(d));
        d[0].v.bytes.p = (const uint8_t *)text;
        d[0].v.bytes.len = KEY_BYTES;
        d[1].v.bytes.p = g_pool + vpos;
        d[1].v.bytes.len = VALUE_BYTES;
        vpos = (vpos + VALUE_BYTES) % POOL_BYTES;
        fl_buf_reset(&val);
        if (fl_row_encode(FL_ROW_COMPACTED, &g_row, d, &val)) fb_die("%s", "row encoding failed");
        bucket_w_t *w = &bw[bucket];
        size_t rec = 4 + 1 + key.len + val.len;
        if (w->open && w->batch.len + rec > batch_bytes) put_frame(rs, table_id, bucket, w);
        if (!w->open) {
            fl_kvbatch_builder_begin(&w->b, &w->batch, (int16_t)schema_id, -1, -1);
            w->open = true;
        }
        fl_kvbatch_builder_append(&w->b, key.p, key.len, val.p, val.len);
    }
    for (int b = 0; b < buckets; b++) {
        if (bw[b].open) put_frame(rs, table_id, b, &bw[b]);
        fl_buf_free(&bw[b].batch);
    }
    fl_free(bw);
    fl_buf_free(&key);
    fl_buf_free(&val);
}

/* Lookup requests for `n` keys drawn uniformly from the written ones, LOOKUP_BATCH per request,
 * grouped by bucket as the client's LookupSender does. */
static void build_lookups(reqs_t *rs, int64_t table_id, long keys, long n, int buckets,
                          const uint8_t *written) {
    uint64_t *have = fl_malloc((size_t)keys * sizeof(uint64_t));
    size_t nh = 0;
    for (long k = 0; k < keys; k++)
        if (written[k]) have[nh++] = (uint64_t)k;
    uint8_t *kbytes = fl_malloc((size_t)LOOKUP_BATCH * 32);
    size_t *klen = fl_malloc(LOOKUP_BATCH * sizeof(size_t));
    int32_t *kb = fl_malloc(LOOKUP_BATCH * sizeof(int32_t));
    Fluss__PbLookupReqForBucket *bq = fl_calloc((size_t)buckets, sizeof(*bq));
    Fluss__PbLookupReqForBucket **bqs = fl_calloc((size_t)buckets, sizeof(*bqs));
    ProtobufCBinaryData *keyv = fl_calloc(LOOKUP_BATCH, sizeof(*keyv));
    fl_buf_t key;
    fl_buf_init(&key);
    for (long done = 0; done < n;) {
        int m = (int)FL_MIN((long)LOOKUP_BATCH, n - done);
        for (int i = 0; i < m; i++) {
            char text[KEY_BYTES + 1];
            key_text(have[rnd() % nh], text);
            key_encode(text, buckets, &key, &kb[i]);
            memcpy(kbytes + (size_t)i * 32, key.p, key.len);
            klen[i] = key.len;
        }
        Fluss__LookupRequest req = FLUSS__LOOKUP_REQUEST__INIT;
        req.table_id = table_id;
        req.buckets_req = bqs;
        size_t kv = 0;
        for (int b = 0; b < buckets; b++) {
            Fluss__PbLookupReqForBucket *q = &bq[req.n_buckets_req];
            fluss__pb_lookup_req_for_bucket__init(q);
            q->bucket_id = b;
            q->keys = keyv + kv;
            for (int i = 0; i < m; i++) {
                if (kb[i] != b) continue;
                keyv[kv].data = kbytes + (size_t)i * 32;
                keyv[kv].len = klen[i];
                kv++;
                q->n_keys++;
            }
            if (q->n_keys) bqs[req.n_buckets_req++] = q;
        }
        req_t *r = reqs_add(rs);
        r->n = m;
        size_t at = fl_frame_begin_req(&r->frame, FL_API_LOOKUP, 1, (int32_t)rs->n);
        fl_pb_pack(&r->frame, &req.base);
        fl_frame_end(&r->frame, at);
        done += m;
    }
    fl_buf_free(&key);
    fl_free(keyv);
    fl_free(bqs);
    fl_free(bq);
    fl_free(kb);
    fl_free(klen);
    fl_free(kbytes);
    fl_free(have);
}

/* ---- pipelined driver ---------------------------------------------------------------------- */

typedef struct tally_s {
    long records;   /* PutKv: acknowledged records; Lookup: keys answered */
    long found;     /* Lookup: values returned */
    long checked;   /* Lookup: values whose key column was compared with the key asked */
} tally_t;

static void check_put(const req_t *rq, const uint8_t *f, size_t len, tally_t *t) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PutKvResponse *resp =
        (Fluss__PutKvResponse *)fb_decode(f, len, &fluss__put_kv_response__descriptor, a);
    if (resp->n_buckets_resp != 1) fb_die("%s", "PutKv answered != 1 bucket");
    Fluss__PbPutKvRespForBucket *b = resp->buckets_resp[0];
    if (b->has_error_code && b->error_code)
        fb_die("PutKv bucket %d: error %d %s", b->bucket_id, b->error_code,
               b->error_message ? b->error_message : "");
    t->records += rq->n;
    fl_arena_destroy(a);
}

/* Checks every answer's count and, for the first value of each bucket, that the row's key
 * column is the key asked for (stored value: int16 schema id, null bitmap, varint 16, key). */
static void check_lookup(const req_t *rq, const uint8_t *f, size_t len, tally_t *t) {
    fl_arena_t *a = fl_arena_new(0);
    Fluss__LookupResponse *resp =
        (Fluss__LookupResponse *)fb_decode(f, len, &fluss__lookup_response__descriptor, a);
    /* the keys asked, from the request frame itself */
    fl_reader_t rd;
    fl_rd_init(&rd, rq->frame.p, rq->frame.len);
    fl_req_header_t hdr;
    if (fl_frame_read_req_header(&rd, &hdr)) fb_die("%s", "own request does not parse");
    const char *why;
    Fluss__LookupRequest *req = (Fluss__LookupRequest *)fl_pb_unpack(
        a, &fluss__lookup_request__descriptor, rd.p + rd.off, fl_rd_remaining(&rd), &why);
    if (!req || req->n_buckets_req != resp->n_buckets_resp) fb_die("%s", "Lookup answered other buckets");
    for (size_t i = 0; i < resp->n_buckets_resp; i++) {
        Fluss__PbLookupRespForBucket *b = resp->buckets_resp[i];
        Fluss__PbLookupReqForBucket *q = req->buckets_req[i];
        if (b->has_error_code && b->error_code)
            fb_die("Lookup bucket %d: error %d %s", b->bucket_id, b->error_code,
                   b->error_message ? b->error_message : "");
        if (b->bucket_id != q->bucket_id || b->n_values != q->n_keys)
            fb_die("Lookup bucket %d answered %zu values for %zu keys", b->bucket_id, b->n_values,
                   q->n_keys);
        for (size_t k = 0; k < b->n_values; k++) {
            if (!b->values[k]->has_values) continue;
            t->found++;
            if (k) continue;
            const ProtobufCBinaryData *v = &b->values[k]->values, *key = &q->keys[k];
            if (v->len != 2 + 1 + key->len + 1 + VALUE_BYTES || memcmp(v->data + 3, key->data, key->len))
                fb_die("Lookup of bucket %d returned another row (%zu bytes)", b->bucket_id, v->len);
            t->checked++;
        }
    }
    t->records += rq->n;
    fl_arena_destroy(a);
}

typedef void(check_fn)(const req_t *rq, const uint8_t *f, size_t len, tally_t *t);

typedef struct dconn_s {
    int fd;
    size_t *fifo;  /* indices of the requests in flight, in send order */
    int head, count;
    fl_buf_t rbuf;
    size_t rpos;
} dconn_t;

/* Send every request of rs, keeping `depth` in flight per connection; check each answer.
 * @returns seconds from the first send to the last answer. */
static double drive(int port, const reqs_t *rs, int conns, int depth, check_fn *check, tally_t *t) {
    dconn_t *cs = fl_calloc((size_t)conns, sizeof(*cs));
    struct pollfd *pfds = fl_calloc((size_t)conns, sizeof(*pfds));
    for (int i = 0; i < conns; i++) {
        cs[i].fd = fb_connect(port);
        if (cs[i].fd < 0) fb_die("connect: %s", strerror(errno));
        cs[i].fifo = fl_calloc((size_t)depth, sizeof(size_t));
        fl_buf_init(&cs[i].rbuf);
    }
    size_t next = 0;
    long outstanding = 0;
    double t0 = fb_now_s();
    for (int k = 0; k < depth; k++)
        for (int i = 0; i < conns && next < rs->n; i++) {
            dconn_t *c = &cs[i];
            c->fifo[(c->head + c->count++) % depth] = next;
            fb_write_all(c->fd, rs->v[next].frame.p, rs->v[next].frame.len);
            next++;
            outstanding++;
        }
    while (outstanding > 0) {
        for (int i = 0; i < conns; i++) pfds[i] = (struct pollfd){cs[i].fd, POLLIN, 0};
        if (poll(pfds, (nfds_t)conns, 60000) <= 0) fb_die("%s", "fl-server stopped answering");
        for (int i = 0; i < conns; i++) {
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            dconn_t *c = &cs[i];
            uint8_t *p = fl_buf_extend(&c->rbuf, 1 << 18);
            ssize_t r = read(c->fd, p, 1 << 18);
            if (r <= 0) fb_die("%s", "fl-server closed a connection");
            c->rbuf.len -= (1 << 18) - (size_t)r;
            int got = 0;
            while (c->rbuf.len - c->rpos >= 4) {
                const uint8_t *f = c->rbuf.p + c->rpos;
                uint32_t len = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
                if (c->rbuf.len - c->rpos < 4 + (size_t)len) break;
                if (!c->count) fb_die("%s", "an answer nobody asked for");
                size_t idx = c->fifo[c->head];
                c->head = (c->head + 1) % depth;
                c->count--;
                check(&rs->v[idx], f, 4 + len, t);
                c->rpos += 4 + len;
                got++;
            }
            memmove(c->rbuf.p, c->rbuf.p + c->rpos, c->rbuf.len - c->rpos);
            c->rbuf.len -= c->rpos;
            c->rpos = 0;
            outstanding -= got;
            for (int k = 0; k < got && next < rs->n; k++) {
                c->fifo[(c->head + c->count++) % depth] = next;
                fb_write_all(c->fd, rs->v[next].frame.p, rs->v[next].frame.len);
                next++;
                outstanding++;
            }
        }
    }
    double secs = fb_now_s() - t0;
    for (int i = 0; i < conns; i++) {
        close(cs[i].fd);
        fl_free(cs[i].fifo);
        fl_buf_free(&cs[i].rbuf);
    }
    fl_free(cs);
    fl_free(pfds);
    return secs;
}

/* ---- one fl-server run ---------------------------------------------------------------------- */

/* A fresh fl-server: `keys` upserts in batches of batch_kib, then `keys` lookups. Prints the
 * figures prefixed "b<batch KiB>_". */
static void run_server(const char *bin, const char *work, long keys, int conns, int depth,
                       long batch_kib, int buckets, const char *log_format) {
    fb_server_t srv;
    memset(&srv, 0, sizeof(srv));
    srv.bin = bin;
    snprintf(srv.data_dir, sizeof(srv.data_dir), "%s/data-kv", work);
    snprintf(srv.log_path, sizeof(srv.log_path), "%s/server-kv.log", work);
    fb_rmtree(srv.data_dir);
    unlink(srv.log_path);
    fb_server_start(&srv, NULL);
    int32_t schema_id = 0;
    int64_t table_id = create_kv_table(srv.port, buckets, log_format, &schema_id);

    g_rng = 0x2545f4914f6cdd1dull; /* every run sees the same keys and values */
    pool_fill();
    uint8_t *written = fl_calloc((size_t)keys, 1);
    reqs_t puts = {0};
    build_puts(&puts, table_id, schema_id, keys, buckets, (size_t)batch_kib * 1024, written);
    long distinct = 0;
    for (long k = 0; k < keys; k++) distinct += written[k];
    uint64_t bytes = 0;
    for (size_t i = 0; i < puts.n; i++) bytes += puts.v[i].frame.len;
    tally_t tp = {0};
    double secs = drive(srv.port, &puts, conns, depth, check_put, &tp);
    if (tp.records != keys) fb_die("only %ld of %ld upserts acknowledged", tp.records, keys);
    char px[48];
    snprintf(px, sizeof(px), "%s_%ldk_", log_format, batch_kib);
    for (char *c = px; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    static bool once;
    if (!once) printf("distinct_keys %ld\n", distinct);
    printf("%supserts_per_s %.0f\n%supsert_secs %.3f\n%sbatches %zu\n"
           "%srecords_per_batch %.0f\n%sbatch_bytes %.0f\n%supsert_hwm_kb %ld\n",
           px, (double)tp.records / secs, px, secs, px, puts.n, px,
           (double)keys / (double)puts.n, px, (double)bytes / (double)puts.n, px,
           fb_proc_kb(srv.pid, "VmHWM:"));
    fflush(stdout);
    reqs_free(&puts);

    reqs_t looks = {0};
    build_lookups(&looks, table_id, keys, keys, buckets, written);
    tally_t tl = {0};
    secs = drive(srv.port, &looks, conns, depth, check_lookup, &tl);
    if (!once) printf("lookup_requests %zu\nlookup_keys_per_request %d\n", looks.n, LOOKUP_BATCH);
    once = true;
    printf("%slookups_per_s %.0f\n%slookup_secs %.3f\n%slookups_found %ld\n%slookups_checked %ld\n"
           "%shwm_kb %ld\n",
           px, (double)tl.records / secs, px, secs, px, tl.found, px, tl.checked, px,
           fb_proc_kb(srv.pid, "VmHWM:"));
    fflush(stdout);
    reqs_free(&looks);
    fl_free(written);
    if (tl.found != keys) fb_die("only %ld of %ld lookups found their row", tl.found, keys);
    fb_server_stop(&srv, SIGTERM);
    fb_rmtree(srv.data_dir);
    unlink(srv.log_path);
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <fl-server> <work dir> [keys] [connections] [depth] "
                        "[batch KiB[,KiB...]] [buckets] [ARROW|COMPACTED|INDEXED] [db_bench | -]\n",
                argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *bin = argv[1], *work = argv[2];
    long keys = argc > 3 ? atol(argv[3]) : 1000000;
    int conns = argc > 4 ? atoi(argv[4]) : 4;
    int depth = argc > 5 ? atoi(argv[5]) : 4;
    const char *sizes = argc > 6 ? argv[6] : "2048";
    int buckets = argc > 7 ? atoi(argv[7]) : 1;
    const char *log_format = argc > 8 ? argv[8] : "ARROW";
    const char *dbb = argc > 9 ? argv[9] : "db_bench";
    if (keys < 1 || conns < 1 || depth < 1 || buckets < 1) fb_die("%s", "bad arguments");
    mkdir(work, 0755);
    fl_kvenv_conf_t kc;
    fl_kvenv_conf_defaults(&kc);
    printf("keys %ld\nkey_bytes %d\nvalue_bytes %d\nconnections %d\ndepth %d\nbuckets %d\n"
           "log_format %s\nblock_cache_bytes %" PRIu64 "\nwrite_buffer_bytes %" PRIu64
           "\nwrite_buffer_count %d\nblock_bytes %" PRIu64 "\ncompression %s\nmemtable_bloom_pct %d\nbatch_kib %s\n",
           keys, KEY_BYTES, VALUE_BYTES, conns, depth, buckets, log_format, kc.block_cache_bytes,
           kc.write_buffer_bytes, kc.write_buffer_count, kc.block_bytes,
           g_comp_names[kc.compression & 3], kc.memtable_bloom_pct, sizes);
    fflush(stdout);

    if (strcmp(dbb, "-")) run_db_bench(dbb, work, keys, &kc);
    for (const char *s = sizes; *s;) {
        /* "KiB" or "KiB:FORMAT" */
        char fmt[16];
        long kib = atol(s);
        const char *end = strchr(s, ','), *colon = strchr(s, ':');
        if (colon && (!end || colon < end)) {
            size_t n = (size_t)((end ? end : s + strlen(s)) - colon - 1);
            if (n >= sizeof(fmt)) fb_die("bad run list %s", sizes);
            memcpy(fmt, colon + 1, n);
            fmt[n] = 0;
        } else {
            snprintf(fmt, sizeof(fmt), "%s", log_format);
        }
        if (kib < 1) fb_die("bad run list %s", sizes);
        run_server(bin, work, keys, conns, depth, kib, buckets, fmt);
        if (!end) break;
        s = end + 1;
    }
    return 0;
}
