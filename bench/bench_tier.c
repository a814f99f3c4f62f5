/* bench_tier.c: lake tiering of a log table by the real fl-server (datalake.format=paimon or
 * iceberg): the tiering thread's throughput (rows/s, MB/s of Parquet written, per CPU second) and
 * the lake lag under a steady append stream, beside the disk write limit measured in the same run.
 *
 *   bench_tier <fl-server binary> <work dir> [rows] [lag rows/s] [lag seconds] [paimon|iceberg]
 *
 * Defaults: 5000000 rows, 20000 rows/s for 60 s, paimon. lag seconds 0 skips the lag phase.
 * With iceberg every output key gets the prefix "iceberg_" (paimon's keys are unprefixed), so
 * the outputs of both formats read as one key set. work dir must be on the file system under
 * test; the disk probe and each phase's fresh data.dir live below it (deleted at the end).
 * Table, both phases: fluss.<name> (id BIGINT NOT NULL, name STRING, amount DOUBLE, ts BIGINT),
 * INDEXED log format, 3 buckets, table.datalake.enabled=true; batches of 1000 distinct rows
 * (ids ascending, 2^17 distinct names, pseudo-random amounts), one connection per bucket.
 *
 * Phase "tput" (table.datalake.freshness 1s): append `rows` as fast as the server takes them
 * (acks=-1, 8 requests in flight per connection) while rounds run, then poll GetLakeSnapshot
 * every 10 ms until the lake offsets reach the log end. The tiering thread's own figures come
 * from the server's "lake snapshot N: R rows from B bucket(s), X log bytes, in T ms" lines
 * (sum of R and T), its CPU time from /proc/<pid>/task/<tid>/stat (the one thread with nice 10:
 * tablet/fl_tiering.c lowers its priority), the Parquet bytes from a walk of the lake table
 * (the .parquet files below <data>/lake/paimon/fluss.db/<table>/ for Paimon, below
 * <data>/lake/iceberg/fluss/<table>/data/ for Iceberg).
 *
 * Phase "lag" (freshness 5s, a fresh server): one 1000-row batch every 1000/rate s, round robin
 * over the buckets, for `lag seconds`; GetLakeSnapshot every 10 ms. A batch's lag runs from its
 * acknowledgement to the first poll whose lake offset for its bucket covers it.
 *
 * Prints "key value" lines for bench/run.sh (names below in main). Exits non-zero when a check
 * fails (lake row count != appended, Parquet missing). */
#include "bench_util.h"

#include <math.h>

#define BT_BUCKETS 3
#define BT_BATCH_ROWS 1000
#define BT_DEPTH 8
#define BT_POLL_S 0.01

static const char *g_bin, *g_work;
static const char *g_format = "paimon", *g_pfx = ""; /* g_pfx: "iceberg_" for iceberg */

/* One "key value" line; the key gets g_pfx. */
#define BT_OUT(fmt, ...) printf("%s" fmt, g_pfx, __VA_ARGS__)

/* ---- table and batches ------------------------------------------------------------------------ */

static int64_t create_table(int port, const char *name, const char *freshness) {
    char json[1400];
    snprintf(json, sizeof(json),
             "{\"schema\":{\"columns\":[{\"name\":\"id\",\"data_type\":{\"type\":\"BIGINT\","
             "\"nullable\":false}},{\"name\":\"name\",\"data_type\":{\"type\":\"STRING\"}},"
             "{\"name\":\"amount\",\"data_type\":{\"type\":\"DOUBLE\"}},{\"name\":\"ts\","
             "\"data_type\":{\"type\":\"BIGINT\"}}]},\"partition_key\":[],\"bucket_key\":[],"
             "\"bucket_count\":%d,\"properties\":{\"table.log.format\":\"INDEXED\","
             "\"table.replication.factor\":\"1\",\"table.datalake.enabled\":\"true\","
             "\"table.datalake.freshness\":\"%s\"},\"custom_properties\":{}}",
             BT_BUCKETS, freshness);
    return fb_create_table_json(port, name, json, BT_BUCKETS, NULL);
}

/* One INDEXED batch of BT_BATCH_ROWS rows with ids first_id.. (distinct content per batch). */
static void build_batch(fl_buf_t *out, fl_buf_t *body, int64_t first_id) {
    static fl_type_t fields[4] = {{.root = FL_T_BIGINT}, {.root = FL_T_STRING, .nullable = true},
                                  {.root = FL_T_DOUBLE, .nullable = true},
                                  {.root = FL_T_BIGINT, .nullable = true}};
    static char *names[4] = {"id", "name", "amount", "ts"};
    static int32_t ids[4] = {0, 1, 2, 3};
    fl_type_t row = {.root = FL_T_ROW, .n_children = 4, .children = fields, .field_names = names,
                     .field_ids = ids};
    fl_buf_reset(body);
    for (int32_t i = 0; i < BT_BATCH_ROWS; i++) {
        int64_t id = first_id + i;
        uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;
        char name[32];
        int nl = snprintf(name, sizeof(name), "customer-%06u", (unsigned)(h >> 47));
        fl_datum_t d[4];
        memset(d, 0, sizeof(d));
        d[0].v.i64 = id;
        d[1].v.bytes.p = (const uint8_t *)name;
        d[1].v.bytes.len = (size_t)nl;
        d[2].v.f64 = (double)(h >> 40 & 0xfffff) / 100.0;
        d[3].v.i64 = 1764000000000 + id / 20;
        if (fl_logrecord_write_row(body, FL_ROW_INDEXED, FL_CHANGE_APPEND_ONLY, &row, d))
            fb_die("%s", "row encoding failed");
    }
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.record_count = BT_BATCH_ROWS;
    fl_buf_reset(out);
    fl_logbatch_build(out, &opt, body->p, body->len);
}

/* ---- GetLakeSnapshot -------------------------------------------------------------------------- */

/* lake[b] = the lake's log offset of bucket b (0 when absent). @returns the snapshot id, or -1
 * while there is none (LAKE_SNAPSHOT_NOT_EXIST). */
static int64_t lake_poll(int fd, const char *table, int64_t lake[BT_BUCKETS]) {
    static int32_t id = 1000;
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)table;
    Fluss__GetLakeSnapshotRequest req = FLUSS__GET_LAKE_SNAPSHOT_REQUEST__INIT;
    req.table_path = &tp;
    fl_buf_t b;
    fl_buf_init(&b);
    fb_frame(&b, FL_API_GET_LAKE_SNAPSHOT, ++id, &req.base);
    fb_write_all(fd, b.p, b.len);
    if (fb_read_frame(fd, &b)) fb_die("%s", "connection closed during GetLakeSnapshot");
    fl_reader_t rd;
    fl_rd_init(&rd, b.p, b.len);
    fl_resp_header_t hdr;
    if (fl_frame_read_resp_header(&rd, &hdr)) fb_die("%s", "bad GetLakeSnapshot response header");
    int64_t snap = -1;
    for (int i = 0; i < BT_BUCKETS; i++) lake[i] = 0;
    if (hdr.type == FL_RESP_SUCCESS) {
        fl_arena_t *a = fl_arena_new(0);
        Fluss__GetLakeSnapshotResponse *r = (Fluss__GetLakeSnapshotResponse *)fb_decode(
            b.p, b.len, &fluss__get_lake_snapshot_response__descriptor, a);
        snap = r->snapshotid;
        for (size_t i = 0; i < r->n_bucket_snapshots; i++) {
            const Fluss__PbLakeSnapshotForBucket *bs = r->bucket_snapshots[i];
            if (bs->bucket_id >= 0 && bs->bucket_id < BT_BUCKETS && bs->has_log_offset)
                lake[bs->bucket_id] = bs->log_offset;
        }
        fl_arena_destroy(a);
    }
    fl_buf_free(&b);
    return snap;
}

/* ---- the producer ----------------------------------------------------------------------------- */

typedef struct bt_chunk_s {
    int bucket;
    double t_ack;  /* 0 until acknowledged */
    int64_t end;   /* base offset + rows */
    double t_lake; /* first poll that saw end covered; 0 until then */
} bt_chunk_t;

typedef struct bt_run_s {
    int port;
    int64_t table_id;
    const char *table;
    int64_t n_chunks;
    double rate_rows; /* 0: as fast as acknowledged */
    bool poll_lake;   /* poll every BT_POLL_S while sending, and afterwards until covered */
    double lake_timeout_s;
    /* out */
    bt_chunk_t *chunks;
    double t0, t_last_ack, t_lake_done; /* t_lake_done 0 when not covered */
    uint64_t bytes;
    int64_t end[BT_BUCKETS];
    int64_t lake[BT_BUCKETS];
    int64_t snapshot;
} bt_run_t;

typedef struct bt_conn_s {
    int fd;
    fl_buf_t rbuf;
    int64_t fifo[BT_DEPTH]; /* chunk indexes in flight, oldest first */
    int head, n;
} bt_conn_t;

static void lake_update(bt_run_t *r, int lfd, int64_t *cursor, double now) {
    r->snapshot = lake_poll(lfd, r->table, r->lake);
    for (int b = 0; b < BT_BUCKETS; b++)
        for (int64_t i = cursor[b]; i < r->n_chunks; i += BT_BUCKETS) {
            bt_chunk_t *c = &r->chunks[i];
            if (c->t_ack == 0 || c->end > r->lake[b]) break;
            c->t_lake = now;
            cursor[b] = i + BT_BUCKETS;
        }
}

static bool lake_covered(const bt_run_t *r, const int64_t *cursor) {
    for (int b = 0; b < BT_BUCKETS; b++)
        if (cursor[b] < r->n_chunks) return false;
    return true;
}

static void run_stream(bt_run_t *r) {
    r->chunks = fl_calloc((size_t)r->n_chunks + 1, sizeof(bt_chunk_t));
    bt_conn_t cs[BT_BUCKETS];
    struct pollfd pfds[BT_BUCKETS];
    for (int b = 0; b < BT_BUCKETS; b++) {
        cs[b] = (bt_conn_t){.fd = fb_connect(r->port)};
        if (cs[b].fd < 0) fb_die("connect: %s", strerror(errno));
        fl_buf_init(&cs[b].rbuf);
        r->end[b] = 0;
    }
    int lfd = fb_connect(r->port);
    if (lfd < 0) fb_die("connect: %s", strerror(errno));
    int64_t cursor[BT_BUCKETS] = {0, 1, 2};
    fl_buf_t batch, body, frame;
    fl_buf_init(&batch);
    fl_buf_init(&body);
    fl_buf_init(&frame);
    int64_t next = 0, acked = 0;
    int32_t rid = 0;
    r->bytes = 0;
    r->t0 = fb_now_s();
    r->t_lake_done = 0;
    double next_poll = r->t0 + BT_POLL_S;
    while (acked < r->n_chunks) {
        double now = fb_now_s();
        /* send what is due on connections with room */
        while (next < r->n_chunks) {
            bt_conn_t *c = &cs[next % BT_BUCKETS];
            if (c->n == BT_DEPTH) break;
            if (r->rate_rows > 0 && now < r->t0 + (double)next * BT_BATCH_ROWS / r->rate_rows) break;
            build_batch(&batch, &body, next * BT_BATCH_ROWS);
            Fluss__PbProduceLogReqForBucket bq = FLUSS__PB_PRODUCE_LOG_REQ_FOR_BUCKET__INIT;
            bq.bucket_id = (int32_t)(next % BT_BUCKETS);
            bq.records.data = batch.p;
            bq.records.len = batch.len;
            Fluss__PbProduceLogReqForBucket *bqs[1] = {&bq};
            Fluss__ProduceLogRequest req = FLUSS__PRODUCE_LOG_REQUEST__INIT;
            req.acks = -1;
            req.table_id = r->table_id;
            req.timeout_ms = 30000;
            req.n_buckets_req = 1;
            req.buckets_req = bqs;
            fl_buf_reset(&frame);
            fb_frame(&frame, FL_API_PRODUCE_LOG, ++rid, &req.base);
            fb_write_all(c->fd, frame.p, frame.len);
            r->bytes += batch.len;
            c->fifo[(c->head + c->n++) % BT_DEPTH] = next;
            r->chunks[next].bucket = (int)(next % BT_BUCKETS);
            next++;
            now = fb_now_s();
        }
        if (r->poll_lake && now >= next_poll) {
            lake_update(r, lfd, cursor, now);
            next_poll += BT_POLL_S;
            if (next_poll < now) next_poll = now + BT_POLL_S;
        }
        double wait = 1.0;
        if (next < r->n_chunks && r->rate_rows > 0)
            wait = r->t0 + (double)next * BT_BATCH_ROWS / r->rate_rows - now;
        if (r->poll_lake && next_poll - now < wait) wait = next_poll - now;
        if (wait < 0) wait = 0;
        for (int b = 0; b < BT_BUCKETS; b++) pfds[b] = (struct pollfd){cs[b].fd, POLLIN, 0};
        int pr = poll(pfds, BT_BUCKETS, (int)(wait * 1000) + (wait > 0));
        if (pr < 0 && errno != EINTR) fb_die("poll: %s", strerror(errno));
        now = fb_now_s();
        for (int b = 0; pr > 0 && b < BT_BUCKETS; b++) {
            if (!(pfds[b].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            bt_conn_t *c = &cs[b];
            uint8_t *p = fl_buf_extend(&c->rbuf, 65536);
            ssize_t n = read(c->fd, p, 65536);
            if (n <= 0) fb_die("%s", "fl-server closed a produce connection");
            c->rbuf.len -= 65536 - (size_t)n;
            size_t pos = 0;
            while (c->rbuf.len - pos >= 4) {
                const uint8_t *f = c->rbuf.p + pos;
                uint32_t len = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
                if (c->rbuf.len - pos < 4 + (size_t)len) break;
                fl_arena_t *a = fl_arena_new(0);
                Fluss__ProduceLogResponse *resp = (Fluss__ProduceLogResponse *)fb_decode(
                    f, 4 + len, &fluss__produce_log_response__descriptor, a);
                if (resp->n_buckets_resp != 1 || !c->n) fb_die("%s", "unexpected ProduceLog answer");
                Fluss__PbProduceLogRespForBucket *bo = resp->buckets_resp[0];
                if (bo->has_error_code && bo->error_code)
                    fb_die("ProduceLog bucket %d: error %d %s", bo->bucket_id, bo->error_code,
                           bo->error_message ? bo->error_message : "");
                bt_chunk_t *ch = &r->chunks[c->fifo[c->head]];
                c->head = (c->head + 1) % BT_DEPTH;
                c->n--;
                ch->t_ack = now;
                ch->end = bo->base_offset + BT_BATCH_ROWS;
                if (ch->end > r->end[b]) r->end[b] = ch->end;
                r->t_last_ack = now;
                acked++;
                fl_arena_destroy(a);
                pos += 4 + len;
            }
            memmove(c->rbuf.p, c->rbuf.p + pos, c->rbuf.len - pos);
            c->rbuf.len -= pos;
        }
    }
    /* until the lake covers every acknowledged batch */
    double deadline = fb_now_s() + r->lake_timeout_s;
    for (;;) {
        double now = fb_now_s();
        lake_update(r, lfd, cursor, now);
        if (lake_covered(r, cursor)) {
            r->t_lake_done = now;
            break;
        }
        if (now > deadline) break;
        usleep((useconds_t)(BT_POLL_S * 1e6));
    }
    for (int b = 0; b < BT_BUCKETS; b++) {
        close(cs[b].fd);
        fl_buf_free(&cs[b].rbuf);
    }
    close(lfd);
    fl_buf_free(&batch);
    fl_buf_free(&body);
    fl_buf_free(&frame);
}

/* ---- what the server reports ------------------------------------------------------------------ */

typedef struct bt_rounds_s {
    int n;
    uint64_t rows, log_bytes;
    double ms_sum, ms_max;
} bt_rounds_t;

/* Sum the "<db>.<table>: lake snapshot N: R rows from B bucket(s), X log bytes, in T ms" lines. */
static bt_rounds_t parse_rounds(const char *log_path, const char *table) {
    bt_rounds_t s = {0};
    char key[128], line[1024];
    snprintf(key, sizeof(key), "fluss.%s: lake snapshot ", table);
    FILE *f = fopen(log_path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, key);
        if (!p) continue;
        long long snap, ms;
        unsigned long long rows, bytes;
        int nb;
        if (sscanf(p + strlen(key), "%lld: %llu rows from %d bucket(s), %llu log bytes, in %lld ms", &snap,
                   &rows, &nb, &bytes, &ms) != 5)
            continue;
        s.n++;
        s.rows += rows;
        s.log_bytes += bytes;
        s.ms_sum += (double)ms;
        if ((double)ms > s.ms_max) s.ms_max = (double)ms;
    }
    if (f) fclose(f);
    return s;
}

/* CPU seconds (utime + stime) of the thread with nice 10 (the tiering worker) and of the process. */
static void cpu_times(pid_t pid, double *tier_s, double *proc_s) {
    double tick = (double)sysconf(_SC_CLK_TCK);
    char path[128], buf[1024];
    *tier_s = *proc_s = -1;
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *p = strrchr(buf, ')');
        unsigned long long ut, st;
        long prio, nice;
        /* fields 3.. after the name: state ppid pgrp session tty tpgid flags minflt cminflt
         * majflt cmajflt utime stime cutime cstime priority nice */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %ld %ld",
                         &ut, &st, &prio, &nice) != 4)
            continue;
        if (nice == 10) *tier_s = (double)(ut + st) / tick;
    }
    if (d) closedir(d);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *p = strrchr(buf, ')');
        unsigned long long ut, st;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            *proc_s = (double)(ut + st) / tick;
    }
}

static uint64_t g_pq_bytes, g_pq_files;

static int pq_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)ftw;
    size_t n = strlen(path);
    if (flag == FTW_F && n > 8 && !strcmp(path + n - 8, ".parquet")) {
        g_pq_bytes += (uint64_t)sb->st_size;
        g_pq_files++;
    }
    return 0;
}

static void start_server(fb_server_t *srv, const char *phase) {
    memset(srv, 0, sizeof(*srv));
    srv->bin = g_bin;
    snprintf(srv->data_dir, sizeof(srv->data_dir), "%s/%s-data", g_work, phase);
    snprintf(srv->log_path, sizeof(srv->log_path), "%s/%s-server.log", g_work, phase);
    fb_rmtree(srv->data_dir);
    unlink(srv->log_path);
    char fmt_opt[64];
    snprintf(fmt_opt, sizeof(fmt_opt), "-Ddatalake.format=%s", g_format);
    const char *extra[] = {fmt_opt, NULL};
    fb_server_start(srv, extra);
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p) {
    size_t i = (size_t)ceil(p * (double)n);
    return v[i ? i - 1 : 0];
}

int main(int argc, char **argv) {
    if (argc < 3)
        fb_die("usage: %s <fl-server> <work dir> [rows] [lag rows/s] [lag seconds] [paimon|iceberg]", argv[0]);
    fb_malloc_keep();
    signal(SIGPIPE, SIG_IGN);
    g_bin = argv[1];
    g_work = argv[2];
    int64_t rows = argc > 3 ? atoll(argv[3]) : 5000000;
    double lag_rate = argc > 4 ? atof(argv[4]) : 20000;
    double lag_secs = argc > 5 ? atof(argv[5]) : 60;
    if (argc > 6) g_format = argv[6];
    if (!strcmp(g_format, "iceberg"))
        g_pfx = "iceberg_";
    else if (strcmp(g_format, "paimon"))
        fb_die("format must be paimon or iceberg, not %s", g_format);
    mkdir(g_work, 0755);
    int bad = 0;

    /* limit: the second of two passes (the first backs the guest's memory, see bench_log.c) */
    BT_OUT("disk_seq_mb_per_s %.1f\n", fb_disk_seq(g_work, 256u << 20, NULL));
    BT_OUT("buckets %d\n", BT_BUCKETS);
    BT_OUT("batch_rows %d\n", BT_BATCH_ROWS);
    BT_OUT("depth %d\n", BT_DEPTH);

    /* ---- throughput ---- */
    fb_server_t srv;
    start_server(&srv, "tput");
    bt_run_t r = {.port = srv.port, .table = "tier_tput", .lake_timeout_s = 150};
    r.table_id = create_table(srv.port, r.table, "1s");
    r.n_chunks = (rows + BT_BATCH_ROWS - 1) / BT_BATCH_ROWS;
    double tier0, proc0, tier1, proc1;
    cpu_times(srv.pid, &tier0, &proc0);
    run_stream(&r);
    cpu_times(srv.pid, &tier1, &proc1);
    int64_t appended = r.n_chunks * BT_BATCH_ROWS, lake_rows = 0, log_end = 0;
    for (int b = 0; b < BT_BUCKETS; b++) {
        lake_rows += r.lake[b];
        log_end += r.end[b];
    }
    bt_rounds_t rs = parse_rounds(srv.log_path, r.table);
    char tdir[900];
    if (*g_pfx)
        snprintf(tdir, sizeof(tdir), "%s/lake/iceberg/fluss/%s/data", srv.data_dir, r.table);
    else
        snprintf(tdir, sizeof(tdir), "%s/lake/paimon/fluss.db/%s", srv.data_dir, r.table);
    g_pq_bytes = g_pq_files = 0;
    nftw(tdir, pq_cb, 16, FTW_PHYS);
    double tsec = rs.ms_sum / 1e3, tcpu = tier1 - tier0;
    BT_OUT("tput_rows %" PRId64 "\n", appended);
    BT_OUT("tput_freshness_s %d\n", 1);
    BT_OUT("tput_append_secs %.3f\n", r.t_last_ack - r.t0);
    BT_OUT("tput_append_rows_per_s %.0f\n", (double)appended / (r.t_last_ack - r.t0));
    BT_OUT("tput_log_mb %.1f\n", (double)r.bytes / 1e6);
    BT_OUT("tput_catchup_secs %.3f\n", r.t_lake_done ? r.t_lake_done - r.t_last_ack : -1.0);
    BT_OUT("tput_total_secs %.3f\n", r.t_lake_done ? r.t_lake_done - r.t0 : -1.0);
    BT_OUT("tput_rounds %d\n", rs.n);
    BT_OUT("tput_round_rows %" PRIu64 "\n", rs.rows);
    BT_OUT("tput_round_log_mb %.1f\n", (double)rs.log_bytes / 1e6);
    BT_OUT("tput_round_secs %.3f\n", tsec);
    BT_OUT("tput_round_max_ms %.0f\n", rs.ms_max);
    BT_OUT("tput_tier_rows_per_s %.0f\n", tsec > 0 ? (double)rs.rows / tsec : 0);
    BT_OUT("tput_tier_cpu_s %.2f\n", tcpu);
    BT_OUT("tput_server_cpu_s %.2f\n", proc1 - proc0);
    BT_OUT("tput_tier_rows_per_cpu_s %.0f\n", tcpu > 0 ? (double)rs.rows / tcpu : 0);
    BT_OUT("tput_parquet_files %" PRIu64 "\n", g_pq_files);
    BT_OUT("tput_parquet_mb %.2f\n", (double)g_pq_bytes / 1e6);
    BT_OUT("tput_parquet_mb_per_s %.2f\n", tsec > 0 ? (double)g_pq_bytes / 1e6 / tsec : 0);
    BT_OUT("tput_parquet_mb_per_cpu_s %.2f\n", tcpu > 0 ? (double)g_pq_bytes / 1e6 / tcpu : 0);
    BT_OUT("tput_log_mb_per_s %.1f\n", tsec > 0 ? (double)rs.log_bytes / 1e6 / tsec : 0);
    BT_OUT("tput_lake_rows %" PRId64 "\n", lake_rows);
    BT_OUT("tput_hwm_kb %ld\n", fb_proc_kb(srv.pid, "VmHWM:"));
    bool ok = r.t_lake_done && lake_rows == appended && log_end == appended &&
              rs.rows == (uint64_t)appended && g_pq_files > 0;
    BT_OUT("tput_ok %d\n", ok);
    if (!ok) {
        fprintf(stderr, "tput check failed: appended %" PRId64 ", log end %" PRId64 ", lake %" PRId64
                        ", rounds' rows %" PRIu64 ", %" PRIu64 " parquet files; see %s\n",
                appended, log_end, lake_rows, rs.rows, g_pq_files, srv.log_path);
        bad = 1;
    }
    fb_server_stop(&srv, SIGTERM);
    if (!bad) fb_rmtree(srv.data_dir);
    fl_free(r.chunks);
    if (lag_secs <= 0) return bad;

    /* ---- lag under a steady stream ---- */
    start_server(&srv, "lag");
    bt_run_t l = {.port = srv.port, .table = "tier_lag", .rate_rows = lag_rate, .poll_lake = true,
                  .lake_timeout_s = 30};
    l.table_id = create_table(srv.port, l.table, "5s");
    l.n_chunks = (int64_t)(lag_rate * lag_secs / BT_BATCH_ROWS);
    if (l.n_chunks < 1) l.n_chunks = 1;
    run_stream(&l);
    appended = l.n_chunks * BT_BATCH_ROWS;
    lake_rows = 0;
    for (int b = 0; b < BT_BUCKETS; b++) lake_rows += l.lake[b];
    double *lags = fl_malloc((size_t)l.n_chunks * sizeof(double));
    size_t nl = 0;
    for (int64_t i = 0; i < l.n_chunks; i++)
        if (l.chunks[i].t_lake > 0) lags[nl++] = (l.chunks[i].t_lake - l.chunks[i].t_ack) * 1e3;
    qsort(lags, nl, sizeof(double), cmp_dbl);
    bt_rounds_t lr = parse_rounds(srv.log_path, l.table);
    BT_OUT("lag_rate_rows_per_s %.0f\n", lag_rate);
    BT_OUT("lag_achieved_rows_per_s %.0f\n", (double)appended / (l.t_last_ack - l.t0));
    BT_OUT("lag_secs %.0f\n", lag_secs);
    BT_OUT("lag_freshness_s %d\n", 5);
    BT_OUT("lag_batches %" PRId64 "\n", l.n_chunks);
    BT_OUT("lag_measured %zu\n", nl);
    if (nl) {
        BT_OUT("lag_p50_ms %.0f\n", pct(lags, nl, 0.5));
        BT_OUT("lag_p90_ms %.0f\n", pct(lags, nl, 0.9));
        BT_OUT("lag_p99_ms %.0f\n", pct(lags, nl, 0.99));
        BT_OUT("lag_max_ms %.0f\n", lags[nl - 1]);
        double sum = 0;
        for (size_t i = 0; i < nl; i++) sum += lags[i];
        BT_OUT("lag_mean_ms %.0f\n", sum / (double)nl);
    }
    BT_OUT("lag_rounds %d\n", lr.n);
    BT_OUT("lag_round_mean_ms %.0f\n", lr.n ? lr.ms_sum / lr.n : 0);
    BT_OUT("lag_round_max_ms %.0f\n", lr.ms_max);
    BT_OUT("lag_lake_rows %" PRId64 "\n", lake_rows);
    BT_OUT("lag_appended_rows %" PRId64 "\n", appended);
    ok = lake_rows == appended && nl == (size_t)l.n_chunks && lr.rows == (uint64_t)appended;
    BT_OUT("lag_ok %d\n", ok);
    if (!ok) {
        fprintf(stderr, "lag check failed: appended %" PRId64 ", lake %" PRId64 ", rounds' rows %" PRIu64
                        ", %zu of %" PRId64 " batches seen in the lake; see %s\n",
                appended, lake_rows, lr.rows, nl, l.n_chunks, srv.log_path);
        bad = 1;
    }
    fb_server_stop(&srv, SIGTERM);
    if (!bad) fb_rmtree(srv.data_dir);
    fl_free(lags);
    fl_free(l.chunks);
    return bad;
}
