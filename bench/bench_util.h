/* bench_util.h: what bench_log.c and bench_recovery.c share: starting the real fl-server on a
 * loopback port, synchronous calls, table creation, INDEXED batches, and the pipelined
 * ProduceLog driver. Header-only (static inline) so each benchmark stays one executable.
 * Include it first: nftw() needs _GNU_SOURCE before any system header. */
#ifndef FL_BENCH_UTIL_H
#define FL_BENCH_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_frame.h"
#include "fl_logbatch.h"
#include "fl_logrecord.h"
#include "fl_pb.h"

/** @brief Keep freed memory in the heap: the clients decode MiB-sized responses into fresh
 *  arenas, and without this glibc returns the memory after each one and the next one pays a
 *  page fault per 4 KiB (which made the client, not the server, the bottleneck). */
static inline void fb_malloc_keep(void) {
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

static inline double fb_now_s(void) {
    return (double)fl_mono_us() / 1e6;
}

#define fb_die(...)                                                                           \
    do {                                                                                      \
        fprintf(stderr, __VA_ARGS__);                                                         \
        fputc('\n', stderr);                                                                  \
        exit(1);                                                                              \
    } while (0)

static inline int fb_free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof(a))) fb_die("bind: %s", strerror(errno));
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static inline int fb_connect(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
        close(s);
        return -1;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return s;
}

static inline void fb_write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            fb_die("write to fl-server failed: %s", w < 0 ? strerror(errno) : "closed");
        }
        p += w;
        n -= (size_t)w;
    }
}

static inline int fb_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/** @brief rm -rf path. */
static inline void fb_rmtree(const char *path) {
    nftw(path, fb_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/** @returns a "VmHWM:" / "VmRSS:" figure of /proc/<pid>/status in KiB, -1 when absent. */
static inline long fb_proc_kb(pid_t pid, const char *key) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, kl)) kb = atol(line + kl);
    if (f) fclose(f);
    return kb;
}

/* ---- the server process ----------------------------------------------------------------- */

typedef struct fb_server_s {
    const char *bin;
    pid_t pid;
    int port;
    char data_dir[512];
    char log_path[600];
} fb_server_t;

/** @brief Start `fl-server local` on srv->port (chosen when 0) with data.dir srv->data_dir and
 *  extra -D arguments (NULL-terminated); stderr goes to srv->log_path. Waits until it accepts. */
static inline void fb_server_start(fb_server_t *srv, const char *const *extra) {
    if (!srv->port) srv->port = fb_free_port();
    char listen[64], data[600];
    snprintf(listen, sizeof(listen), "-Dbind.listeners=FLUSS://127.0.0.1:%d", srv->port);
    snprintf(data, sizeof(data), "-Ddata.dir=%s", srv->data_dir);
    const char *argv[32] = {srv->bin, "local", listen, data};
    int n = 4;
    for (int i = 0; extra && extra[i] && n < 31; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    srv->pid = fork();
    if (srv->pid == 0) {
        int lf = open(srv->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lf >= 0) dup2(lf, 2);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 1);
        execv(srv->bin, (char *const *)argv);
        _exit(127);
    }
    int fd = -1;
    for (int i = 0; i < 5000 && (fd = fb_connect(srv->port)) < 0; i++) usleep(2000);
    if (fd < 0) fb_die("fl-server did not start; see %s", srv->log_path);
    close(fd);
}

/** @brief SIGTERM (or SIGKILL) and reap. */
static inline void fb_server_stop(fb_server_t *srv, int sig) {
    if (srv->pid <= 0) return;
    kill(srv->pid, sig);
    waitpid(srv->pid, NULL, 0);
    srv->pid = 0;
}

static inline uint64_t fb_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* The recovery point's offset, segment and position; false when there is none yet. */
static inline bool fb_read_rp(const char *dir, int64_t *offset, int64_t *seg, uint64_t *pos) {
    char path[700];
    snprintf(path, sizeof(path), "%s/recovery-point", dir);
    uint8_t b[68];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return false;
    ssize_t n = read(fd, b, sizeof(b));
    close(fd);
    if (n != (ssize_t)sizeof(b) || memcmp(b, "FLRP", 4)) return false;
    *offset = (int64_t)fb_le64(b + 8);
    *seg = (int64_t)fb_le64(b + 16);
    *pos = fb_le64(b + 24);
    return true;
}

/* ---- synchronous calls ---------------------------------------------------------------------- */

/** @brief Read exactly one response frame (prefix included) into out. @returns 0 or -1. */
static inline int fb_read_frame(int fd, fl_buf_t *out) {
    fl_buf_reset(out);
    uint8_t pre[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t r = read(fd, pre + got, 4 - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    uint32_t len = (uint32_t)pre[0] << 24 | (uint32_t)pre[1] << 16 | (uint32_t)pre[2] << 8 | pre[3];
    fl_buf_put(out, pre, 4);
    uint8_t *p = fl_buf_extend(out, len);
    got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/** @brief Decode a response frame's body; exits on an error response or a bad body. */
static inline ProtobufCMessage *fb_decode(const uint8_t *frame, size_t len,
                                          const ProtobufCMessageDescriptor *desc, fl_arena_t *a) {
    fl_reader_t rd;
    fl_rd_init(&rd, frame, len);
    fl_resp_header_t hdr;
    if (fl_frame_read_resp_header(&rd, &hdr)) fb_die("bad response header (%s)", desc->name);
    if (hdr.type != FL_RESP_SUCCESS) {
        const char *why;
        Fluss__ErrorResponse *e = (Fluss__ErrorResponse *)fl_pb_unpack(
            a, &fluss__error_response__descriptor, rd.p + rd.off, fl_rd_remaining(&rd), &why);
        fprintf(stderr, "%s: error response %d: %s\n", desc->name, e ? e->error_code : -1,
                e && e->error_message ? e->error_message : "?");
        exit(1);
    }
    const char *why;
    ProtobufCMessage *m = fl_pb_unpack(a, desc, rd.p + rd.off, fl_rd_remaining(&rd), &why);
    if (!m) fb_die("undecodable response: %s", why);
    return m;
}

static inline void fb_frame(fl_buf_t *out, int16_t key, int32_t id, const ProtobufCMessage *msg) {
    size_t at = fl_frame_begin_req(out, key, 0, id);
    fl_pb_pack(out, msg);
    fl_frame_end(out, at);
}

/** @brief Send one request and decode its response into a. */
static inline ProtobufCMessage *fb_call(int fd, int16_t key, const ProtobufCMessage *req,
                                        const ProtobufCMessageDescriptor *desc, fl_arena_t *a) {
    static int32_t id = 1;
    fl_buf_t b;
    fl_buf_init(&b);
    fb_frame(&b, key, ++id, req);
    fb_write_all(fd, b.p, b.len);
    if (fb_read_frame(fd, &b)) fb_die("connection closed during %s", desc->name);
    ProtobufCMessage *m = fb_decode(b.p, b.len, desc, a);
    fl_buf_free(&b);
    return m;
}

/** @brief ListOffsets (latest = the high watermark) of one bucket. @returns the offset, or -1
 *  with *code set when the bucket answered with an error. */
static inline int64_t fb_list_latest(int fd, int64_t table_id, int32_t bucket, int32_t *code) {
    Fluss__ListOffsetsRequest req = FLUSS__LIST_OFFSETS_REQUEST__INIT;
    req.follower_server_id = -1;
    req.offset_type = 1;
    req.table_id = table_id;
    req.n_bucket_id = 1;
    req.bucket_id = &bucket;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__ListOffsetsResponse *r = (Fluss__ListOffsetsResponse *)fb_call(
        fd, FL_API_LIST_OFFSETS, &req.base, &fluss__list_offsets_response__descriptor, a);
    int64_t off = -1;
    *code = 0;
    if (r->n_buckets_resp != 1) fb_die("ListOffsets answered %s buckets", "!= 1");
    if (r->buckets_resp[0]->has_error_code) *code = r->buckets_resp[0]->error_code;
    else off = r->buckets_resp[0]->offset;
    fl_arena_destroy(a);
    return off;
}

/** @brief CreateTable fluss.<name> from Fluss table JSON with `buckets` buckets and wait until
 *  every bucket answers ListOffsets (its log is open). @returns the table id; its schema id
 *  into *schema_id when not NULL. */
static inline int64_t fb_create_table_json(int port, const char *name, const char *json,
                                           int buckets, int32_t *schema_id) {
    int fd = fb_connect(port);
    if (fd < 0) fb_die("cannot connect to fl-server (%s)", name);
    fl_arena_t *a = fl_arena_new(0);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest cr = FLUSS__CREATE_TABLE_REQUEST__INIT;
    cr.table_path = &tp;
    cr.table_json.data = (uint8_t *)json;
    cr.table_json.len = strlen(json);
    fb_call(fd, FL_API_CREATE_TABLE, &cr.base, &fluss__create_table_response__descriptor, a);
    Fluss__GetTableInfoRequest gi = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    gi.table_path = &tp;
    Fluss__GetTableInfoResponse *ti = (Fluss__GetTableInfoResponse *)fb_call(
        fd, FL_API_GET_TABLE_INFO, &gi.base, &fluss__get_table_info_response__descriptor, a);
    int64_t id = ti->table_id;
    if (schema_id) *schema_id = ti->schema_id;
    fl_arena_destroy(a);
    for (int b = 0; b < buckets; b++) {
        int32_t code = 0;
        for (int tries = 0; tries < 500; tries++) {
            if (fb_list_latest(fd, id, b, &code) >= 0) break;
            usleep(10000);
        }
        if (code) fb_die("bucket %d of %s does not open: error %d", b, name, code);
    }
    close(fd);
    return id;
}

/** @brief fluss.<name> (a INT NOT NULL, b BIGINT NOT NULL, c STRING), INDEXED log format,
 *  `buckets` buckets, via fb_create_table_json. @returns the table id. */
static inline int64_t fb_create_table(int port, const char *name, int buckets) {
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\","
             "\"nullable\":false}},{\"name\":\"b\",\"data_type\":{\"type\":\"BIGINT\",\"nullable\":"
             "false}},{\"name\":\"c\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[],"
             "\"bucket_key\":[],\"bucket_count\":%d,\"properties\":{\"table.log.format\":"
             "\"INDEXED\",\"table.replication.factor\":\"1\"},\"custom_properties\":{}}",
             buckets);
    return fb_create_table_json(port, name, json, buckets, NULL);
}

/* ---- the disk limit ---------------------------------------------------------------------------- */

/** @brief n pseudo-random bytes (xorshift; the same every call), so compression cannot help. */
static inline void fb_fill_random(uint8_t *p, size_t n) {
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

/** @brief Sequential write of `bytes` in 1 MiB pwrite()s to a new file in dir, then fdatasync.
 *  @returns MB/s including the fdatasync; *cache_mb_s (when not NULL) gets the rate of the
 *  pwrite()s alone (into the page cache). */
static inline double fb_disk_seq_once(const char *dir, uint64_t bytes, double *cache_mb_s) {
    char path[600];
    snprintf(path, sizeof(path), "%s/disk-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fb_die("open disk probe: %s", strerror(errno));
    size_t chunk = 1 << 20;
    uint8_t *buf = fl_malloc(chunk);
    fb_fill_random(buf, chunk);
    double t0 = fb_now_s();
    for (uint64_t off = 0; off < bytes; off += chunk)
        if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk) fb_die("pwrite: %s", strerror(errno));
    if (cache_mb_s) *cache_mb_s = (double)bytes / 1e6 / (fb_now_s() - t0);
    if (fdatasync(fd)) fb_die("fdatasync: %s", strerror(errno));
    double t = fb_now_s() - t0;
    close(fd);
    unlink(path);
    fl_free(buf);
    return (double)bytes / 1e6 / t;
}

/** @brief fb_disk_seq_once twice, the first untimed: in a virtual machine the first write into
 *  memory the guest has not touched lately pays for the host backing it (4x slower here),
 *  which would make the limit depend on what ran before. */
static inline double fb_disk_seq(const char *dir, uint64_t bytes, double *cache_mb_s) {
    fb_disk_seq_once(dir, bytes, cache_mb_s);
    return fb_disk_seq_once(dir, bytes, cache_mb_s);
}

/* ---- batches ------------------------------------------------------------------------------ */

/** @brief One INDEXED batch of at most target bytes (header included) of rows
 *  (a INT, b BIGINT, c STRING of 100 bytes), not idempotent. @returns the row count. */
static inline int32_t fb_build_batch(fl_buf_t *out, size_t target) {
    static fl_type_t fields[3] = {{.root = FL_T_INTEGER}, {.root = FL_T_BIGINT},
                                  {.root = FL_T_STRING, .nullable = true}};
    static char *names[3] = {"a", "b", "c"};
    static int32_t ids[3] = {0, 1, 2};
    fl_type_t row = {.root = FL_T_ROW, .n_children = 3, .children = fields, .field_names = names,
                     .field_ids = ids};
    static const char text[] = "fl-server benchmark row payload: the quick brown fox jumps over "
                               "the lazy dog, 0123456789ABCDEF";
    fl_buf_t body;
    fl_buf_init(&body);
    int32_t n = 0;
    for (;;) {
        fl_datum_t d[3];
        memset(d, 0, sizeof(d));
        d[0].v.i32 = n;
        d[1].v.i64 = (int64_t)n * 1000003;
        d[2].v.bytes.p = (const uint8_t *)text;
        d[2].v.bytes.len = 100;
        size_t before = body.len;
        if (fl_logrecord_write_row(&body, FL_ROW_INDEXED, FL_CHANGE_APPEND_ONLY, &row, d))
            fb_die("%s", "row encoding failed");
        if (FL_LOGBATCH_V0_HEADER + body.len > target) {
            body.len = before;
            break;
        }
        n++;
    }
    if (fl_logrecord_validate(body.p, body.len, n)) fb_die("%s", "generated records do not validate");
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.record_count = n;
    fl_buf_reset(out);
    fl_logbatch_build(out, &opt, body.p, body.len);
    fl_buf_free(&body);
    return n;
}

/* ---- pipelined ProduceLog ------------------------------------------------------------------- */

typedef struct fb_produce_s {
    /* in */
    int port;
    int64_t table_id;
    int conns;              /* connection i writes to bucket i % buckets */
    int buckets;
    int depth;              /* requests in flight per connection */
    const fl_buf_t *batch;  /* one batch, sent as the records of every request */
    int32_t rows;           /* rows in it */
    uint64_t max_bytes;     /* stop sending after this many batch bytes in total ... */
    double max_secs;        /* ... or after this long */
    /* out */
    uint64_t acked_bytes, acked_rows, acked_requests;
    double secs;            /* first send to last acknowledgement */
    int64_t end_offset[64]; /* per bucket: largest base offset + rows acknowledged */
} fb_produce_t;

typedef struct fb_pconn_s {
    int fd;
    int bucket;
    int outstanding;
    fl_buf_t frame;  /* the request, its id patched before each send */
    fl_buf_t rbuf;
    size_t rpos;
    int32_t next_id;
} fb_pconn_t;

static inline void fb_pconn_send(fb_pconn_t *c) {
    int32_t id = ++c->next_id;
    uint8_t *p = c->frame.p + 8; /* prefix 4, api key 2, version 2, then the request id */
    p[0] = (uint8_t)(id >> 24);
    p[1] = (uint8_t)(id >> 16);
    p[2] = (uint8_t)(id >> 8);
    p[3] = (uint8_t)id;
    fb_write_all(c->fd, c->frame.p, c->frame.len);
    c->outstanding++;
}

/** @brief Drive ProduceLog with acks=-1 until max_bytes were sent (or max_secs passed) and every
 *  request is answered. Exits on any error answer. */
static inline void fb_produce_run(fb_produce_t *pr) {
    fb_pconn_t *cs = fl_calloc((size_t)pr->conns, sizeof(*cs));
    struct pollfd *pfds = fl_calloc((size_t)pr->conns, sizeof(*pfds));
    for (int b = 0; b < 64; b++) pr->end_offset[b] = 0;
    pr->acked_bytes = pr->acked_rows = pr->acked_requests = 0;
    for (int i = 0; i < pr->conns; i++) {
        fb_pconn_t *c = &cs[i];
        c->fd = fb_connect(pr->port);
        if (c->fd < 0) fb_die("connect: %s", strerror(errno));
        c->bucket = i % pr->buckets;
        Fluss__PbProduceLogReqForBucket bq = FLUSS__PB_PRODUCE_LOG_REQ_FOR_BUCKET__INIT;
        bq.bucket_id = c->bucket;
        bq.records.data = pr->batch->p;
        bq.records.len = pr->batch->len;
        Fluss__PbProduceLogReqForBucket *bqs[1] = {&bq};
        Fluss__ProduceLogRequest req = FLUSS__PRODUCE_LOG_REQUEST__INIT;
        req.acks = -1;
        req.table_id = pr->table_id;
        req.timeout_ms = 30000;
        req.n_buckets_req = 1;
        req.buckets_req = bqs;
        fl_buf_init(&c->frame);
        fl_buf_init(&c->rbuf);
        fb_frame(&c->frame, FL_API_PRODUCE_LOG, 0, &req.base);
    }
    uint64_t sent = 0;
    double t0 = fb_now_s(), t = t0;
    bool sending = true;
    for (int k = 0; k < pr->depth && sending; k++)
        for (int i = 0; i < pr->conns && sending; i++) {
            fb_pconn_send(&cs[i]);
            sent += pr->batch->len;
            sending = sent < pr->max_bytes;
        }
    int outstanding = 0;
    for (int i = 0; i < pr->conns; i++) outstanding += cs[i].outstanding;
    while (outstanding > 0) {
        for (int i = 0; i < pr->conns; i++) pfds[i] = (struct pollfd){cs[i].fd, POLLIN, 0};
        if (poll(pfds, (nfds_t)pr->conns, 30000) <= 0) fb_die("%s", "fl-server stopped answering");
        t = fb_now_s();
        if (t - t0 >= pr->max_secs) sending = false;
        for (int i = 0; i < pr->conns; i++) {
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            fb_pconn_t *c = &cs[i];
            uint8_t *p = fl_buf_extend(&c->rbuf, 65536);
            ssize_t r = read(c->fd, p, 65536);
            if (r <= 0) fb_die("%s", "fl-server closed a produce connection");
            c->rbuf.len -= 65536 - (size_t)r;
            int got = 0;
            while (c->rbuf.len - c->rpos >= 4) {
                const uint8_t *f = c->rbuf.p + c->rpos;
                uint32_t len = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
                if (c->rbuf.len - c->rpos < 4 + (size_t)len) break;
                fl_arena_t *a = fl_arena_new(0);
                Fluss__ProduceLogResponse *resp = (Fluss__ProduceLogResponse *)fb_decode(
                    f, 4 + len, &fluss__produce_log_response__descriptor, a);
                if (resp->n_buckets_resp != 1) fb_die("%s", "ProduceLog answered != 1 bucket");
                Fluss__PbProduceLogRespForBucket *bo = resp->buckets_resp[0];
                if (bo->has_error_code && bo->error_code) {
                    fprintf(stderr, "ProduceLog bucket %d: error %d %s\n", bo->bucket_id,
                            bo->error_code, bo->error_message ? bo->error_message : "");
                    exit(1);
                }
                int64_t end = bo->base_offset + pr->rows;
                if (bo->bucket_id >= 0 && bo->bucket_id < 64 && end > pr->end_offset[bo->bucket_id])
                    pr->end_offset[bo->bucket_id] = end;
                pr->acked_bytes += pr->batch->len;
                pr->acked_rows += (uint64_t)pr->rows;
                pr->acked_requests++;
                fl_arena_destroy(a);
                c->rpos += 4 + len;
                got++;
            }
            memmove(c->rbuf.p, c->rbuf.p + c->rpos, c->rbuf.len - c->rpos);
            c->rbuf.len -= c->rpos;
            c->rpos = 0;
            c->outstanding -= got;
            outstanding -= got;
            for (int k = 0; k < got && sending; k++) {
                fb_pconn_send(c);
                outstanding++;
                sent += pr->batch->len;
                sending = sent < pr->max_bytes;
            }
        }
    }
    pr->secs = t - t0;
    for (int i = 0; i < pr->conns; i++) {
        close(cs[i].fd);
        fl_buf_free(&cs[i].frame);
        fl_buf_free(&cs[i].rbuf);
    }
    fl_free(cs);
    fl_free(pfds);
}

#endif
