/* bench_recovery.c: how long a bucket log takes to come back after a crash, through the real
 * fl-server and through storage/fl_logstore directly.
 *
 *   bench_recovery <fl-server binary> <work dir> [log MiB] [tail MiB]
 *
 * (a) fl-server: append `log MiB` (default 1024) of 1 MiB batches to a one-bucket table (acks=-1,
 *     default flush policy), wait until the background checkpoint has written a recovery point
 *     at the log end, append `tail MiB` (default 64) more, kill -9 at once, start again and time
 *     until the port accepts and until the bucket answers its first ListOffsets (logs open
 *     lazily, so that request pays for recovery).
 * (b) fl_logstore: the same shape of log built with fl_logstore_append, flushed and
 *     checkpointed, a tail appended, abandoned without any I/O (what a crash leaves); then
 *     opened with the recovery point (page cache warm, and cold through posix_fadvise), without
 *     it (the whole log is scanned), and after a clean close.
 *
 * Prints "key value" lines for bench/run.sh:
 *   srv_*    log_mib, tail_mib (bytes after the recovery point at the kill), checkpoint_wait_s,
 *            listen_ms (exec to accepting), first_list_ms (exec to the first ListOffsets
 *            answer), first_list_only_ms, next_list_us, open_us (the server's own "recovered in")
 *   store_*  append_mb_per_s; <case>_us, <case>_scanned_mib, <case>_segments for the cases
 *            warm, cold, full_warm, full_cold, clean */
#include "bench_util.h"
#include "fl_log.h"
#include "fl_logstore.h"
#include "fl_vfs.h"

static uint64_t g_log_bytes, g_tail_bytes;
static const char *g_bin, *g_work;

/* Bytes of segment data after the recovery point: what recovery must scan. */
static uint64_t bytes_after_rp(const char *dir, int64_t seg, uint64_t pos) {
    DIR *d = opendir(dir);
    uint64_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l != 24 || strcmp(e->d_name + 20, ".log")) continue;
        int64_t base = strtoll(e->d_name, NULL, 10);
        if (base < seg) continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0) n += (uint64_t)st.st_size - (base == seg ? pos : 0);
    }
    if (d) closedir(d);
    return n;
}

/* Drop the directory's files from the page cache (they are synced first, so the pages are
 * clean): the next open reads from the disk. */
static void drop_cache(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    if (d) closedir(d);
}

/* Read every file of the directory once, so the next open finds it in the page cache. */
static void warm_cache(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    uint8_t *buf = fl_malloc(1 << 20);
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        while (read(fd, buf, 1 << 20) > 0) {
        }
        close(fd);
    }
    if (d) closedir(d);
    fl_free(buf);
}

/* ---- (a) through fl-server -------------------------------------------------------------------- */

static void bench_server(void) {
    fb_server_t srv;
    memset(&srv, 0, sizeof(srv));
    srv.bin = g_bin;
    snprintf(srv.data_dir, sizeof(srv.data_dir), "%s/data-recovery", g_work);
    snprintf(srv.log_path, sizeof(srv.log_path), "%s/server-recovery.log", g_work);
    fb_rmtree(srv.data_dir);
    unlink(srv.log_path);
    const char *extra[] = {"-Dserver.log-level=info", NULL};
    fb_server_start(&srv, extra);
    int64_t table_id = fb_create_table(srv.port, "recovery", 1);
    char bucket_dir[700];
    snprintf(bucket_dir, sizeof(bucket_dir), "%s/tablet/%" PRId64 "/0", srv.data_dir, table_id);

    fl_buf_t batch;
    fl_buf_init(&batch);
    int32_t rows = fb_build_batch(&batch, 1 << 20);
    fb_produce_t pr;
    memset(&pr, 0, sizeof(pr));
    pr.port = srv.port;
    pr.table_id = table_id;
    pr.conns = 1;
    pr.buckets = 1;
    pr.depth = 8;
    pr.batch = &batch;
    pr.rows = rows;
    pr.max_bytes = g_log_bytes;
    pr.max_secs = 300;
    fb_produce_run(&pr);
    int64_t e1 = pr.end_offset[0];

    /* the background flush (server.log.flush-interval) and checkpoint
     * (log.replica.high-watermark.checkpoint-interval) must have covered the log end */
    double t0 = fb_now_s();
    int64_t rp_off = -1, rp_seg = 0;
    uint64_t rp_pos = 0;
    while ((!fb_read_rp(bucket_dir, &rp_off, &rp_seg, &rp_pos) || rp_off < e1) && fb_now_s() - t0 < 30)
        usleep(50000);
    if (rp_off < e1) fb_die("%s", "no recovery point at the log end within 30 s");
    printf("srv_checkpoint_wait_s %.1f\n", fb_now_s() - t0);
    usleep(300000); /* the writer-state snapshot follows the recovery point */

    pr.max_bytes = g_tail_bytes;
    fb_produce_run(&pr);
    int64_t e2 = pr.end_offset[0];
    fb_read_rp(bucket_dir, &rp_off, &rp_seg, &rp_pos);
    uint64_t tail = bytes_after_rp(bucket_dir, rp_seg, rp_pos);
    fb_server_stop(&srv, SIGKILL);
    uint64_t total = bytes_after_rp(bucket_dir, 0, 0);
    printf("srv_log_mib %.1f\nsrv_tail_mib %.1f\n", (double)total / 1048576.0, (double)tail / 1048576.0);

    /* restart and time the first answers */
    double ts = fb_now_s();
    fb_server_start(&srv, extra);
    double t_listen = fb_now_s();
    int fd = fb_connect(srv.port);
    int32_t code;
    double t_req = fb_now_s();
    int64_t off = fb_list_latest(fd, table_id, 0, &code);
    double t_first = fb_now_s();
    if (off != e2) {
        fprintf(stderr, "after restart the bucket ends at %" PRId64 " (code %d), expected %" PRId64 "\n",
                off, code, e2);
        exit(1);
    }
    double t_n = fb_now_s();
    fb_list_latest(fd, table_id, 0, &code);
    double t_next = fb_now_s() - t_n;
    close(fd);
    printf("srv_listen_ms %.1f\nsrv_first_list_ms %.1f\nsrv_first_list_only_ms %.1f\nsrv_next_list_us %.0f\n",
           (t_listen - ts) * 1e3, (t_first - ts) * 1e3, (t_first - t_req) * 1e3, t_next * 1e6);
    fb_server_stop(&srv, SIGTERM);

    /* the server's own measurement of the open: the last "recovered in N us" it logged */
    FILE *f = fopen(srv.log_path, "r");
    char line[2048];
    long open_us = -1;
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "recovered in ");
        if (p) open_us = atol(p + 13);
    }
    if (f) fclose(f);
    printf("srv_open_us %ld\n", open_us);
    fflush(stdout);
    fb_rmtree(srv.data_dir);
    fl_buf_free(&batch);
}

/* ---- (b) fl_logstore directly ------------------------------------------------------------------ */

static void open_case(const char *name, const char *dir, const fl_logstore_conf_t *conf,
                      int64_t expect_end, bool close_clean) {
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    fl_err_t err = fl_logstore_open(dir, conf, &log, &st);
    if (err) fb_die("fl_logstore_open failed: %s", fl_err2name(err));
    if (fl_logstore_end_offset(log) != expect_end) fb_die("%s: recovered log end differs", name);
    printf("store_%s_us %" PRId64 "\nstore_%s_scanned_mib %.1f\nstore_%s_segments %u\n"
           "store_%s_indexes_rebuilt %u\n",
           name, st.elapsed_us, name, (double)st.bytes_scanned / 1048576.0, name,
           st.segments_scanned, name, st.indexes_rebuilt);
    fflush(stdout);
    if (close_clean) {
        if (fl_logstore_close(log)) fb_die("%s", "fl_logstore_close failed");
    } else {
        fl_logstore_abandon(log);
    }
}

static void put_file(const char *path, const uint8_t *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, p, n) != (ssize_t)n) fb_die("cannot write %s", path);
    fsync(fd);
    close(fd);
}

static void bench_store(void) {
    char dir[600], rp_path[700];
    snprintf(dir, sizeof(dir), "%s/store", g_work);
    snprintf(rp_path, sizeof(rp_path), "%s/recovery-point", dir);
    fb_rmtree(dir);
    fl_logstore_conf_t conf;
    fl_logstore_conf_defaults(&conf);
    conf.flush_policy = FL_FLUSH_INTERVAL;
    conf.flush_interval_ms = 5000;
    conf.max_batch_bytes = 100 << 20;
    fl_logstore_t *log;
    fl_logstore_open_stats_t st;
    if (fl_logstore_open(dir, &conf, &log, &st)) fb_die("%s", "fl_logstore_open failed");
    fl_buf_t batch;
    fl_buf_init(&batch);
    fb_build_batch(&batch, 1 << 20);
    fl_append_info_t info;
    double t0 = fb_now_s();
    uint64_t n = 0;
    for (; n < g_log_bytes; n += batch.len)
        if (fl_logstore_append(log, batch.p, batch.len, fl_now_ms(), &info)) fb_die("%s", "append failed");
    if (fl_logstore_flush(log, fl_now_ms()) || fl_logstore_checkpoint(log)) fb_die("%s", "flush failed");
    double secs = fb_now_s() - t0;
    printf("store_append_mb_per_s %.1f\n", (double)n / 1e6 / secs);
    for (uint64_t m = 0; m < g_tail_bytes; m += batch.len)
        if (fl_logstore_append(log, batch.p, batch.len, fl_now_ms(), &info)) fb_die("%s", "append failed");
    int64_t end = fl_logstore_end_offset(log);
    printf("store_log_mib %.1f\n", (double)fl_logstore_size_bytes(log) / 1048576.0);
    fl_logstore_abandon(log); /* the crash */
    int64_t rpo, rps;
    uint64_t rpp;
    if (!fb_read_rp(dir, &rpo, &rps, &rpp)) fb_die("%s", "no recovery point written");
    printf("store_tail_mib %.1f\n", (double)bytes_after_rp(dir, rps, rpp) / 1048576.0);
    uint8_t *rp;
    size_t rp_len;
    if (fl_vfs_read_file(rp_path, 4096, &rp, &rp_len)) fb_die("%s", "cannot read the recovery point");

    /* every open below writes a new recovery point: put the crash-time one back first */
    open_case("warm", dir, &conf, end, false);
    put_file(rp_path, rp, rp_len);
    drop_cache(dir);
    open_case("cold", dir, &conf, end, false);
    unlink(rp_path);
    warm_cache(dir);
    open_case("full_warm", dir, &conf, end, false);
    unlink(rp_path);
    drop_cache(dir);
    open_case("full_cold", dir, &conf, end, false);
    open_case("reopen", dir, &conf, end, true); /* nothing to scan; then a clean close */
    open_case("clean", dir, &conf, end, true);
    fl_free(rp);
    fl_buf_free(&batch);
    fb_rmtree(dir);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_recovery <fl-server> <work dir> [log MiB] [tail MiB]\n");
        return 2;
    }
    g_bin = argv[1];
    g_work = argv[2];
    g_log_bytes = (uint64_t)(argc > 3 ? atol(argv[3]) : 1024) << 20;
    g_tail_bytes = (uint64_t)(argc > 4 ? atol(argv[4]) : 64) << 20;
    signal(SIGPIPE, SIG_IGN);
    fb_malloc_keep();
    mkdir(g_work, 0755);
    fl_log_set_level(FL_LOG_WARN);
    bench_server();
    bench_store();
    return 0;
}
