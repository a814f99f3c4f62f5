/* bench_log.c: log-table append and fetch throughput of the real fl-server, beside the disk
 * and loopback limits measured in the same run on the same file system.
 *
 *   bench_log <fl-server binary> <work dir> [log MiB] [connections] [depth] [seconds]
 *
 * work dir must be on the file system under test: the disk probes and every server's data.dir
 * live below it (each run starts from an empty data.dir; everything is deleted at the end).
 * log MiB (default 1024) is the volume of each disk probe and of each append run; an append
 * run also stops after `seconds` (default 15; the 1 MiB run that feeds the fetch gets 4x).
 *
 * Prints "key value" lines that bench/run.sh turns into docs/benchmarks.md:
 *   disk_seq_mb_per_s         1 MiB pwrite()s of a new file, one fdatasync at the end (the
 *                             second of two passes: the first backs the guest's memory)
 *   disk_cache_mb_per_s       the same pwrite()s alone (the page-cache write rate)
 *   disk_fsync_1m_per_s       pwrite 1 MiB + fdatasync, repeated (growing file), ops/s
 *   disk_fsync_16k_per_s      the same with 16 KiB
 *   loopback_mb_per_s         one TCP stream over 127.0.0.1, 1 MiB writes
 *   append_<b>_<f>_*          ProduceLog, acks=-1, b = 1m | 16k batches, f = interval (the
 *                             default flush policy: background fsync every 5 s) | fsync
 *                             (-Dlog.flush.interval-messages=1: fsync per group commit):
 *                             mb_per_s, rows_per_s (acknowledged), mib, secs, hwm_kb (VmHWM)
 *   fetch_*                   FetchLog of everything the 1m_interval run appended, once the
 *                             background flush and checkpoint covered it (flush_wait_s), from
 *                             offset 0, 1 MiB per bucket per request: pipelined, one
 *                             connection per bucket (fetch_mb_per_s), and as the Java client
 *                             fetches (one request for all buckets at a time, 16 MiB per
 *                             request: fetch_client_mb_per_s); fetch_hwm_kb after both */
#include "bench_util.h"

#include <pthread.h>

static const char *g_bin, *g_work;
static uint64_t g_log_bytes;
static int g_conns, g_depth;
static double g_secs;

/* ---- limits: disk and loopback ------------------------------------------------------------- */

/* pwrite(chunk) + fdatasync to a growing file for secs (or max bytes). @returns ops/s. */
static double disk_fsync(size_t chunk, double secs, uint64_t max) {
    char path[600];
    snprintf(path, sizeof(path), "%s/disk-probe", g_work);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fb_die("open disk probe: %s", strerror(errno));
    uint8_t *buf = fl_malloc(chunk);
    fb_fill_random(buf, chunk);
    double t0 = fb_now_s(), t = t0;
    uint64_t off = 0;
    long ops = 0;
    while (t - t0 < secs && off < max) {
        if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk) fb_die("pwrite: %s", strerror(errno));
        if (fdatasync(fd)) fb_die("fdatasync: %s", strerror(errno));
        off += chunk;
        ops++;
        t = fb_now_s();
    }
    close(fd);
    unlink(path);
    fl_free(buf);
    return (double)ops / (t - t0);
}

static void *sink_thread(void *arg) {
    int fd = *(int *)arg;
    uint8_t *b = fl_malloc(1 << 20);
    while (read(fd, b, 1 << 20) > 0) {
    }
    fl_free(b);
    return NULL;
}

/* One TCP stream over loopback, 1 MiB writes, for secs. @returns MB/s. */
static double loopback_bw(double secs) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1)) fb_die("listen: %s", strerror(errno));
    getsockname(ls, (struct sockaddr *)&a, &l);
    int c = fb_connect(ntohs(a.sin_port));
    int s = accept(ls, NULL, NULL);
    pthread_t th;
    pthread_create(&th, NULL, sink_thread, &s);
    size_t chunk = 1 << 20;
    uint8_t *buf = fl_malloc(chunk);
    fb_fill_random(buf, chunk);
    double t0 = fb_now_s(), t;
    uint64_t bytes = 0;
    do {
        fb_write_all(c, buf, chunk);
        bytes += chunk;
        t = fb_now_s();
    } while (t - t0 < secs);
    close(c);
    pthread_join(th, NULL);
    close(s);
    close(ls);
    fl_free(buf);
    return (double)bytes / 1e6 / (t - t0);
}

/* ---- fetch ------------------------------------------------------------------------------------ */

static uint32_t rd_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Check one bucket answer of a fetch: no error, records start with a batch at `expect` (when
 * >= 0). @returns the offset after the last whole batch in the records. */
/* A FetchLogResponse read in place, as a zero-copy consumer reads it: the records of each
 * bucket stay views into the response frame (protobuf-c would copy every MiB once more, and
 * this client shares the machine's cores with the server). Field numbers: FetchLogResponse
 * tables_resp 1; PbFetchLogRespForTable buckets_resp 2; PbFetchLogRespForBucket bucket_id 2,
 * error_code 3, records 8; everything else is skipped by wire type. */
typedef struct fetched_s {
    int32_t bucket, error;
    const uint8_t *rec;
    size_t len;
} fetched_t;

static void pb_skip(fl_reader_t *rd, unsigned wt) {
    if (wt == 0) fl_rd_uvarint(rd);
    else if (wt == 1) fl_rd_skip(rd, 8);
    else if (wt == 5) fl_rd_skip(rd, 4);
    else if (wt == 2) fl_rd_skip(rd, (size_t)fl_rd_uvarint(rd));
    else fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
}

/* @returns how many buckets were filled into out (at most max); dies on a malformed frame. */
static size_t fetch_walk(const uint8_t *frame, size_t len, fetched_t *out, size_t max) {
    fl_reader_t rd;
    fl_rd_init(&rd, frame, len);
    fl_resp_header_t hdr;
    if (fl_frame_read_resp_header(&rd, &hdr) || hdr.type != FL_RESP_SUCCESS)
        fb_die("%s", "FetchLog answered with an error response");
    size_t n = 0;
    while (fl_rd_remaining(&rd) && !rd.err) {
        uint64_t key = fl_rd_uvarint(&rd);
        if (key != (1 << 3 | 2)) {
            pb_skip(&rd, (unsigned)(key & 7));
            continue;
        }
        fl_reader_t t;
        fl_rd_narrow(&rd, (size_t)fl_rd_uvarint(&rd), &t);
        while (fl_rd_remaining(&t) && !t.err) {
            uint64_t tk = fl_rd_uvarint(&t);
            if (tk != (2 << 3 | 2)) {
                pb_skip(&t, (unsigned)(tk & 7));
                continue;
            }
            fl_reader_t b;
            fl_rd_narrow(&t, (size_t)fl_rd_uvarint(&t), &b);
            fetched_t f = {-1, 0, NULL, 0};
            while (fl_rd_remaining(&b) && !b.err) {
                uint64_t bk = fl_rd_uvarint(&b);
                unsigned field = (unsigned)(bk >> 3), wt = (unsigned)(bk & 7);
                if (field == 2 && wt == 0) f.bucket = (int32_t)fl_rd_uvarint(&b);
                else if (field == 3 && wt == 0) f.error = (int32_t)fl_rd_uvarint(&b);
                else if (field == 8 && wt == 2) {
                    fl_view_t v = fl_rd_bytes(&b, (size_t)fl_rd_uvarint(&b));
                    f.rec = v.p;
                    f.len = v.len;
                } else {
                    pb_skip(&b, wt);
                }
            }
            if (b.err) fb_die("%s", "malformed FetchLog bucket");
            if (n == max) fb_die("%s", "FetchLog answered too many buckets");
            out[n++] = f;
        }
        if (t.err) fb_die("%s", "malformed FetchLog table");
    }
    if (rd.err) fb_die("%s", "malformed FetchLog response");
    return n;
}

static int64_t check_fetched(const fetched_t *bo, int64_t expect) {
    if (bo->error) {
        fprintf(stderr, "FetchLog bucket %d: error %d\n", bo->bucket, bo->error);
        exit(1);
    }
    fl_logbatch_iter_t it;
    fl_logbatch_iter_init(&it, bo->rec, bo->len, UINT32_MAX, false);
    fl_logbatch_t b;
    int64_t next = -1;
    bool first = true;
    while (fl_logbatch_iter_next(&it, &b) == 1) {
        if (first && expect >= 0 && b.base_offset != expect) {
            fprintf(stderr, "FetchLog bucket %d: asked for offset %" PRId64 ", got a batch at %" PRId64 "\n",
                    bo->bucket, expect, b.base_offset);
            exit(1);
        }
        first = false;
        next = fl_logbatch_next_offset(&b);
    }
    return next;
}

typedef struct fetch_conn_s {
    int fd;
    int bucket;
    int64_t next_k;      /* next batch index to request */
    int64_t n_batches;   /* batches in the bucket */
    int outstanding;
    fl_buf_t rbuf;       /* the response being read: its length prefix, then the whole frame */
    size_t want;         /* the frame's size once the prefix is in */
    size_t have;         /* bytes of it read so far */
} fetch_conn_t;

static void fetch_send(fetch_conn_t *c, int64_t table_id, int32_t rows) {
    Fluss__PbFetchLogReqForBucket bq = FLUSS__PB_FETCH_LOG_REQ_FOR_BUCKET__INIT;
    bq.bucket_id = c->bucket;
    bq.fetch_offset = c->next_k * rows;
    bq.max_fetch_bytes = 1 << 20;
    Fluss__PbFetchLogReqForBucket *bqs[1] = {&bq};
    Fluss__PbFetchLogReqForTable tq = FLUSS__PB_FETCH_LOG_REQ_FOR_TABLE__INIT;
    tq.table_id = table_id;
    tq.n_buckets_req = 1;
    tq.buckets_req = bqs;
    Fluss__PbFetchLogReqForTable *tqs[1] = {&tq};
    Fluss__FetchLogRequest req = FLUSS__FETCH_LOG_REQUEST__INIT;
    req.follower_server_id = -1;
    req.max_bytes = 16 << 20;
    req.n_tables_req = 1;
    req.tables_req = tqs;
    fl_buf_t f;
    fl_buf_init(&f);
    fb_frame(&f, FL_API_FETCH_LOG, (int32_t)c->next_k, &req.base);
    fb_write_all(c->fd, f.p, f.len);
    fl_buf_free(&f);
    c->next_k++;
    c->outstanding++;
}

/* Pipelined: a connection per bucket, `depth` fetches in flight, each for the next batch (batch
 * k of a bucket is at offset k * rows; a 1 MiB batch fills a 1 MiB fetch). @returns bytes. */
static uint64_t fetch_pipelined(int port, int64_t table_id, int buckets, const int64_t *end,
                                int32_t rows, double *secs) {
    fetch_conn_t *cs = fl_calloc((size_t)buckets, sizeof(*cs));
    struct pollfd *pfds = fl_calloc((size_t)buckets, sizeof(*pfds));
    int active = 0;
    double t0 = fb_now_s();
    for (int i = 0; i < buckets; i++) {
        fetch_conn_t *c = &cs[i];
        c->fd = fb_connect(port);
        c->bucket = i;
        c->n_batches = end[i] / rows;
        fl_buf_init(&c->rbuf);
        while (c->outstanding < g_depth && c->next_k < c->n_batches) fetch_send(c, table_id, rows);
        if (c->outstanding) active++;
    }
    uint64_t bytes = 0;
    while (active) {
        for (int i = 0; i < buckets; i++) pfds[i] = (struct pollfd){cs[i].fd, cs[i].outstanding ? POLLIN : 0, 0};
        if (poll(pfds, (nfds_t)buckets, 30000) <= 0) fb_die("%s", "fl-server stopped answering fetches");
        for (int i = 0; i < buckets; i++) {
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            fetch_conn_t *c = &cs[i];
            /* the 4-byte length first, then the frame read straight into its own buffer; read
             * on until the socket is drained, so poll() runs once per burst, not per read */
            while (c->outstanding) {
                if (c->rbuf.len < 4) fl_buf_extend(&c->rbuf, 4 - c->rbuf.len);
                size_t want = c->have < 4 ? 4 : c->want;
                ssize_t r = recv(c->fd, c->rbuf.p + c->have, want - c->have, MSG_DONTWAIT);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (r <= 0) fb_die("%s", "fl-server closed a fetch connection");
                c->have += (size_t)r;
                if (c->have < want) continue;
                if (want == 4) {
                    c->want = 4 + (size_t)rd_be32(c->rbuf.p);
                    fl_buf_extend(&c->rbuf, c->want - c->rbuf.len); /* rbuf.len == 4 here */
                    continue;
                }
                int32_t id = (int32_t)rd_be32(c->rbuf.p + 5);
                fetched_t bo;
                if (fetch_walk(c->rbuf.p, c->rbuf.len, &bo, 1) != 1)
                    fb_die("%s", "FetchLog answered other than one bucket");
                if (check_fetched(&bo, (int64_t)id * rows) < 0) fb_die("%s", "empty fetch");
                bytes += bo.len;
                c->rbuf.len = 0;
                c->have = 0;
                c->outstanding--;
                if (c->next_k < c->n_batches) fetch_send(c, table_id, rows);
                else if (!c->outstanding) active--;
            }
        }
    }
    *secs = fb_now_s() - t0;
    for (int i = 0; i < buckets; i++) {
        close(cs[i].fd);
        fl_buf_free(&cs[i].rbuf);
    }
    fl_free(cs);
    fl_free(pfds);
    return bytes;
}

/* As the Java LogFetcher does: one request at a time naming every bucket at its next offset,
 * 1 MiB per bucket, 16 MiB per request. @returns bytes. */
static uint64_t fetch_client(int port, int64_t table_id, int buckets, const int64_t *end,
                             double *secs) {
    int fd = fb_connect(port);
    int64_t next[64];
    for (int i = 0; i < buckets; i++) next[i] = 0;
    uint64_t bytes = 0;
    fl_buf_t resp; /* the request, then its response (read whole, walked in place) */
    fl_buf_init(&resp);
    int32_t call_id = 0;
    double t0 = fb_now_s();
    for (;;) {
        Fluss__PbFetchLogReqForBucket bq[64], *bqs[64];
        size_t n = 0;
        for (int i = 0; i < buckets; i++) {
            if (next[i] >= end[i]) continue;
            fluss__pb_fetch_log_req_for_bucket__init(&bq[n]);
            bq[n].bucket_id = i;
            bq[n].fetch_offset = next[i];
            bq[n].max_fetch_bytes = 1 << 20;
            bqs[n] = &bq[n];
            n++;
        }
        if (!n) break;
        Fluss__PbFetchLogReqForTable tq = FLUSS__PB_FETCH_LOG_REQ_FOR_TABLE__INIT;
        tq.table_id = table_id;
        tq.n_buckets_req = n;
        tq.buckets_req = bqs;
        Fluss__PbFetchLogReqForTable *tqs[1] = {&tq};
        Fluss__FetchLogRequest req = FLUSS__FETCH_LOG_REQUEST__INIT;
        req.follower_server_id = -1;
        req.max_bytes = 16 << 20;
        req.n_tables_req = 1;
        req.tables_req = tqs;
        fl_buf_reset(&resp);
        fb_frame(&resp, FL_API_FETCH_LOG, ++call_id, &req.base);
        fb_write_all(fd, resp.p, resp.len);
        if (fb_read_frame(fd, &resp)) fb_die("%s", "connection closed during FetchLog");
        fetched_t got[64];
        size_t nb = fetch_walk(resp.p, resp.len, got, 64);
        for (size_t k = 0; k < nb; k++) {
            int b = got[k].bucket;
            if (b < 0 || b >= buckets) fb_die("%s", "FetchLog answered an unknown bucket");
            int64_t nx = check_fetched(&got[k], next[b]);
            if (nx > next[b]) next[b] = nx;
            bytes += got[k].len;
        }
    }
    *secs = fb_now_s() - t0;
    fl_buf_free(&resp);
    close(fd);
    return bytes;
}

/* ---- append runs ------------------------------------------------------------------------------ */

/* One server, fresh data dir: append batches of batch_bytes under a flush policy; print the
 * append_* keys; when fetch is set, then fetch everything back and print fetch_*. */
static void run_append(const char *tag, size_t batch_bytes, bool fsync_each, bool fetch) {
    fb_server_t srv;
    memset(&srv, 0, sizeof(srv));
    srv.bin = g_bin;
    snprintf(srv.data_dir, sizeof(srv.data_dir), "%s/data-%s", g_work, tag);
    snprintf(srv.log_path, sizeof(srv.log_path), "%s/server-%s.log", g_work, tag);
    fb_rmtree(srv.data_dir);
    unlink(srv.log_path);
    const char *extra[] = {"-Dserver.log-level=warn",
                           fsync_each ? "-Dlog.flush.interval-messages=1" : NULL, NULL};
    fb_server_start(&srv, extra);
    int buckets = g_conns < 64 ? g_conns : 64;
    int64_t table_id = fb_create_table(srv.port, "bench", buckets);

    fl_buf_t batch;
    fl_buf_init(&batch);
    int32_t rows = fb_build_batch(&batch, batch_bytes);
    fb_produce_t pr;
    memset(&pr, 0, sizeof(pr));
    pr.port = srv.port;
    pr.table_id = table_id;
    pr.conns = g_conns;
    pr.buckets = buckets;
    pr.depth = g_depth;
    pr.batch = &batch;
    pr.rows = rows;
    pr.max_bytes = g_log_bytes;
    pr.max_secs = fetch ? 4 * g_secs : g_secs;
    fb_produce_run(&pr);
    printf("append_%s_mb_per_s %.1f\n", tag, (double)pr.acked_bytes / 1e6 / pr.secs);
    printf("append_%s_rows_per_s %.0f\n", tag, (double)pr.acked_rows / pr.secs);
    printf("append_%s_mib %.1f\n", tag, (double)pr.acked_bytes / 1048576.0);
    printf("append_%s_secs %.2f\n", tag, pr.secs);
    printf("append_%s_batch_bytes %zu\n", tag, batch.len);
    printf("append_%s_rows_per_batch %d\n", tag, rows);
    printf("append_%s_hwm_kb %ld\n", tag, fb_proc_kb(srv.pid, "VmHWM:"));
    fflush(stdout);

    if (fetch) {
        int64_t total_rows = 0;
        for (int b = 0; b < buckets; b++) total_rows += pr.end_offset[b];
        if ((uint64_t)total_rows != pr.acked_rows) fb_die("%s", "acknowledged offsets do not add up");
        /* fetch after the background flush of what was appended: that fdatasync runs on the
         * event loop and would stall the first fetches (see docs/benchmarks.md) */
        double t0 = fb_now_s();
        for (int b = 0; b < buckets; b++) {
            char dir[700];
            snprintf(dir, sizeof(dir), "%s/tablet/%" PRId64 "/%d", srv.data_dir, table_id, b);
            int64_t off = -1, seg;
            uint64_t pos;
            while ((!fb_read_rp(dir, &off, &seg, &pos) || off < pr.end_offset[b]) &&
                   fb_now_s() - t0 < 30)
                usleep(50000);
            if (off < pr.end_offset[b]) fb_die("%s", "no checkpoint at the log end within 30 s");
        }
        printf("fetch_flush_wait_s %.1f\n", fb_now_s() - t0);
        double secs;
        uint64_t bytes = fetch_pipelined(srv.port, table_id, buckets, pr.end_offset, rows, &secs);
        if (bytes != pr.acked_bytes) fb_die("%s", "fetched bytes differ from appended bytes");
        printf("fetch_mb_per_s %.1f\nfetch_mib %.1f\nfetch_secs %.2f\n", (double)bytes / 1e6 / secs,
               (double)bytes / 1048576.0, secs);
        bytes = fetch_client(srv.port, table_id, buckets, pr.end_offset, &secs);
        if (bytes != pr.acked_bytes) fb_die("%s", "fetched bytes differ from appended bytes");
        printf("fetch_client_mb_per_s %.1f\nfetch_client_secs %.2f\n", (double)bytes / 1e6 / secs, secs);
        printf("fetch_hwm_kb %ld\n", fb_proc_kb(srv.pid, "VmHWM:"));
        fflush(stdout);
    }
    fb_server_stop(&srv, SIGTERM);
    fb_rmtree(srv.data_dir);
    fl_buf_free(&batch);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_log <fl-server> <work dir> [log MiB] [connections] [depth] "
                        "[seconds]\n");
        return 2;
    }
    g_bin = argv[1];
    g_work = argv[2];
    g_log_bytes = (uint64_t)(argc > 3 ? atol(argv[3]) : 1024) << 20;
    g_conns = argc > 4 ? atoi(argv[4]) : 4;
    g_depth = argc > 5 ? atoi(argv[5]) : 8;
    g_secs = argc > 6 ? atof(argv[6]) : 15;
    if (g_conns < 1 || g_conns > 64 || g_depth < 1 || g_log_bytes == 0) {
        fprintf(stderr, "bench_log: connections must be 1..64, depth and size positive\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fb_malloc_keep();
    mkdir(g_work, 0755);

    printf("log_mib %llu\nconnections %d\ndepth %d\nseconds %.1f\n",
           (unsigned long long)(g_log_bytes >> 20), g_conns, g_depth, g_secs);
    double cache;
    printf("disk_seq_mb_per_s %.1f\n", fb_disk_seq(g_work, g_log_bytes, &cache));
    printf("disk_cache_mb_per_s %.1f\n", cache);
    double f1 = disk_fsync(1 << 20, 5, g_log_bytes);
    printf("disk_fsync_1m_per_s %.1f\ndisk_fsync_1m_mb_per_s %.1f\n", f1, f1 * 1048576 / 1e6);
    double f16 = disk_fsync(16 << 10, 5, g_log_bytes);
    printf("disk_fsync_16k_per_s %.1f\ndisk_fsync_16k_mb_per_s %.1f\n", f16, f16 * 16384 / 1e6);
    printf("loopback_mb_per_s %.0f\n", loopback_bw(3));
    fflush(stdout);

    run_append("1m_interval", 1 << 20, false, true);
    run_append("16k_interval", 16 << 10, false, false);
    run_append("1m_fsync", 1 << 20, true, false);
    run_append("16k_fsync", 16 << 10, true, false);
    return 0;
}
