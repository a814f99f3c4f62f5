/* fl_wire.c: see fl_wire.h. */
#include "fl_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>

int fl_free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    int port = ntohs(a.sin_port);
    close(s);
    return port;
}

static int fl_try_connect(int port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(s);
        return -1;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return s;
}

void fl_ts_start(fl_ts_t *ts, const char *role, const char *const *args) {
    fl_ts_start_on(ts, role, 0, args);
}

static void fl_ts_spawn(fl_ts_t *ts, const char *role, const char *const *args);

void fl_ts_start_on(fl_ts_t *ts, const char *role, int port, const char *const *args) {
    memset(ts, 0, sizeof(*ts));
    snprintf(ts->dir, sizeof(ts->dir), "/tmp/fl-wire-XXXXXX");
    assert_non_null(mkdtemp(ts->dir));
    snprintf(ts->log, sizeof(ts->log), "%s/server.log", ts->dir);
    ts->port = port ? port : fl_free_port();
    ts->own_listener = port == 0;
    fl_ts_spawn(ts, role, args);
}

void fl_ts_restart(fl_ts_t *ts, const char *role, const char *const *args) {
    assert_true(ts->pid == 0);
    fl_ts_spawn(ts, role, args);
}

void fl_ts_kill9(fl_ts_t *ts) {
    if (ts->pid <= 0) return;
    kill(ts->pid, SIGKILL);
    waitpid(ts->pid, NULL, 0);
    ts->pid = 0;
}

static void fl_ts_spawn(fl_ts_t *ts, const char *role, const char *const *args) {
    char listen[64], data[300];
    snprintf(listen, sizeof(listen), "-Dbind.listeners=FLUSS://127.0.0.1:%d", ts->port);
    snprintf(data, sizeof(data), "-Ddata.dir=%s/data", ts->dir);
    const char *argv[64];
    int n = 0;
    argv[n++] = FL_SERVER_BIN;
    argv[n++] = role;
    if (ts->own_listener) argv[n++] = listen;
    argv[n++] = data;
    for (int i = 0; args && args[i] && n < 62; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(ts->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        dup2(fd, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    ts->pid = pid;
    for (int i = 0; i < 400; i++) {
        int s = fl_try_connect(ts->port);
        if (s >= 0) {
            close(s);
            return;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "fl-server exited early; log %s\n", ts->log);
            fail();
        }
        usleep(25000);
    }
    fail_msg("fl-server did not listen on port %d", ts->port);
}

int fl_ts_run_expect_exit(const char *const *argv_tail, char *out, size_t out_len) {
    char path[] = "/tmp/fl-wire-out-XXXXXX";
    int ofd = mkstemp(path);
    const char *argv[32];
    int n = 0;
    argv[n++] = FL_SERVER_BIN;
    for (int i = 0; argv_tail[i] && n < 31; i++) argv[n++] = argv_tail[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(ofd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) break;
        usleep(25000);
        if (i == 199) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            close(ofd);
            unlink(path);
            fail_msg("fl-server did not exit");
        }
    }
    ssize_t r = pread(ofd, out, out_len - 1, 0);
    out[r > 0 ? r : 0] = '\0';
    close(ofd);
    unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fl_ts_stop(fl_ts_t *ts) {
    if (ts->pid <= 0) return 0;
    kill(ts->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600; i++) {
        if (waitpid(ts->pid, &status, WNOHANG) == ts->pid) {
            ts->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(25000);
    }
    kill(ts->pid, SIGKILL);
    waitpid(ts->pid, &status, 0);
    ts->pid = 0;
    fail_msg("fl-server did not stop within 15 s of SIGTERM");
    return -1;
}

bool fl_ts_alive(const fl_ts_t *ts) {
    return ts->pid > 0 && kill(ts->pid, 0) == 0 && waitpid(ts->pid, NULL, WNOHANG) == 0;
}

bool fl_ts_log_has(const fl_ts_t *ts, const char *s) {
    for (int i = 0; i < 120; i++) {
        FILE *f = fopen(ts->log, "rb");
        if (f) {
            static char buf[1 << 20];
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[n] = '\0';
            if (strstr(buf, s)) return true;
        }
        usleep(25000);
    }
    fprintf(stderr, "log %s lacks: %s\n", ts->log, s);
    return false;
}

int fl_cli_connect(int port) {
    int s = fl_try_connect(port);
    assert_true(s >= 0);
    return s;
}

void fl_cli_send(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        assert_true(w > 0);
        b += w;
        n -= (size_t)w;
    }
}

void fl_cli_send_request(int fd, int16_t key, int16_t ver, int32_t id,
                         const ProtobufCMessage *msg) {
    fl_buf_t buf;
    fl_buf_init(&buf);
    size_t at = fl_frame_begin_req(&buf, key, ver, id);
    if (msg) fl_pb_pack(&buf, msg);
    fl_frame_end(&buf, at);
    fl_cli_send(fd, buf.p, buf.len);
    fl_buf_free(&buf);
}

/* @returns bytes read (n), 0 on EOF, -1 on error, -2 on timeout */
static int fl_read_full(int fd, uint8_t *p, size_t n, int timeout_ms) {
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr == 0) return -2;
        if (pr < 0 && errno == EINTR) continue;
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r == 0) return 0;
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)r;
    }
    return (int)n;
}

int fl_cli_read_frame(int fd, int timeout_ms, fl_buf_t *out) {
    fl_buf_reset(out);
    uint8_t pfx[4];
    int r = fl_read_full(fd, pfx, 4, timeout_ms);
    if (r <= 0) return r == -2 ? -2 : -1;
    uint32_t len = (uint32_t)pfx[0] << 24 | (uint32_t)pfx[1] << 16 | (uint32_t)pfx[2] << 8 | pfx[3];
    assert_true(len < (256u << 20));
    fl_buf_put(out, pfx, 4);
    uint8_t *body = fl_buf_extend(out, len);
    r = len ? fl_read_full(fd, body, len, timeout_ms) : 0;
    if (len && r <= 0) return r == -2 ? -2 : -1;
    return 0;
}

bool fl_cli_closed(int fd, int timeout_ms) {
    uint8_t b[256];
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr <= 0) return false;
        ssize_t r = recv(fd, b, sizeof(b), 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) return true;
        if (r < 0) return false;
        /* data before the close: keep reading */
    }
}

int fl_cli_read_resp(int fd, int timeout_ms, fl_buf_t *buf, fl_cli_resp_t *resp) {
    memset(resp, 0, sizeof(*resp));
    int rc = fl_cli_read_frame(fd, timeout_ms, buf);
    if (rc) return rc;
    fl_reader_t rd;
    fl_rd_init(&rd, buf->p, buf->len);
    assert_int_equal(fl_frame_read_resp_header(&rd, &resp->hdr), FL_ERR_NONE);
    resp->body = rd.p + rd.off;
    resp->body_len = fl_rd_remaining(&rd);
    if (resp->hdr.type != FL_RESP_SUCCESS) {
        Fluss__ErrorResponse *er =
            fluss__error_response__unpack(NULL, resp->body_len, resp->body);
        assert_non_null(er);
        resp->error_code = er->error_code;
        if (er->error_message)
            snprintf(resp->error_message, sizeof(resp->error_message), "%s", er->error_message);
        fluss__error_response__free_unpacked(er, NULL);
    }
    return 0;
}

ProtobufCMessage *fl_cli_call(int fd, int16_t key, int16_t ver, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *desc, fl_arena_t *arena) {
    static int32_t next_id = 1;
    int32_t id = next_id++;
    fl_cli_send_request(fd, key, ver, id, req);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    assert_int_equal(fl_cli_read_resp(fd, 10000, &buf, &resp), 0);
    if (resp.hdr.type != FL_RESP_SUCCESS)
        fail_msg("request %d (api %d) failed: %d %s", id, key, resp.error_code,
                 resp.error_message);
    assert_int_equal(resp.hdr.request_id, id);
    const char *why = NULL;
    ProtobufCMessage *msg = fl_pb_unpack(arena, desc, resp.body, resp.body_len, &why);
    if (!msg) fail_msg("response does not decode: %s", why);
    fl_buf_free(&buf);
    return msg;
}

void fl_cli_assert_serving(int fd) {
    fl_arena_t *arena = fl_arena_new(0);
    Fluss__ApiVersionsRequest req = FLUSS__API_VERSIONS_REQUEST__INIT;
    req.client_software_name = "fl-wire-test";
    req.client_software_version = "0";
    Fluss__ApiVersionsResponse *resp = (Fluss__ApiVersionsResponse *)fl_cli_call(
        fd, 1000, 0, &req.base, &fluss__api_versions_response__descriptor, arena);
    assert_true(resp->n_api_versions > 0);
    fl_arena_destroy(arena);
}

void fl_cli_assert_port_serving(int port) {
    int fd = fl_cli_connect(port);
    fl_cli_assert_serving(fd);
    close(fd);
}

/* ---- log tables ---------------------------------------------------------------------------- */

#include "fl_apis.h"

int fl_cli_try_call(int fd, int16_t key, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *desc, fl_arena_t *arena,
                    ProtobufCMessage **out, char *errmsg, size_t errmsg_len) {
    static int32_t next_id = 1 << 24; /* apart from fl_cli_call's ids */
    int32_t id = next_id++;
    if (out) *out = NULL;
    if (errmsg && errmsg_len) errmsg[0] = '\0';
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_buf_t frame;
    fl_buf_init(&frame);
    size_t at = fl_frame_begin_req(&frame, key, 0, id);
    if (req) fl_pb_pack(&frame, req);
    fl_frame_end(&frame, at);
    ssize_t w = 0;
    for (size_t done = 0; done < frame.len; done += (size_t)w) {
        w = send(fd, frame.p + done, frame.len - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) w = 0;
        else if (w <= 0) break;
    }
    fl_buf_free(&frame);
    if (w <= 0) return -1;
    fl_cli_resp_t resp;
    int rc = fl_cli_read_resp(fd, 10000, &buf, &resp);
    if (rc) {
        fl_buf_free(&buf);
        return -1;
    }
    assert_int_equal(resp.hdr.request_id, id);
    if (resp.hdr.type != FL_RESP_SUCCESS) {
        if (errmsg && errmsg_len) snprintf(errmsg, errmsg_len, "%s", resp.error_message);
        fl_buf_free(&buf);
        return resp.error_code ? resp.error_code : -1;
    }
    if (out && desc) {
        const char *why = NULL;
        *out = fl_pb_unpack(arena, desc, resp.body, resp.body_len, &why);
        if (!*out) fail_msg("response to api %d does not decode: %s", key, why);
    }
    fl_buf_free(&buf);
    return 0;
}

int64_t fl_cli_create_table(int fd, const char *name, const char *json) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__CreateTableRequest req = FLUSS__CREATE_TABLE_REQUEST__INIT;
    req.table_path = &tp;
    req.table_json.data = (uint8_t *)json;
    req.table_json.len = strlen(json);
    fl_arena_t *a = fl_arena_new(0);
    fl_cli_call(fd, FL_API_CREATE_TABLE, 0, &req.base, &fluss__create_table_response__descriptor, a);
    Fluss__GetTableInfoRequest gi = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    gi.table_path = &tp;
    Fluss__GetTableInfoResponse *info = (Fluss__GetTableInfoResponse *)fl_cli_call(
        fd, FL_API_GET_TABLE_INFO, 0, &gi.base, &fluss__get_table_info_response__descriptor, a);
    int64_t id = info->table_id;
    fl_arena_destroy(a);
    return id;
}

Fluss__PbProduceLogRespForBucket *fl_cli_produce(int fd, int32_t acks, int64_t table_id,
                                                 int32_t bucket, const void *records, size_t len,
                                                 fl_arena_t *arena) {
    Fluss__PbProduceLogReqForBucket b = FLUSS__PB_PRODUCE_LOG_REQ_FOR_BUCKET__INIT;
    b.bucket_id = bucket;
    b.records.data = (uint8_t *)records;
    b.records.len = len;
    Fluss__PbProduceLogReqForBucket *bs[] = {&b};
    Fluss__ProduceLogRequest req = FLUSS__PRODUCE_LOG_REQUEST__INIT;
    req.acks = acks;
    req.table_id = table_id;
    req.timeout_ms = 30000;
    req.n_buckets_req = 1;
    req.buckets_req = bs;
    Fluss__ProduceLogResponse *r = (Fluss__ProduceLogResponse *)fl_cli_call(
        fd, FL_API_PRODUCE_LOG, 0, &req.base, &fluss__produce_log_response__descriptor, arena);
    assert_int_equal(r->n_buckets_resp, 1);
    assert_int_equal(r->buckets_resp[0]->bucket_id, bucket);
    return r->buckets_resp[0];
}

Fluss__PbFetchLogRespForBucket *fl_cli_fetch(int fd, int64_t table_id, int32_t bucket,
                                             int64_t offset, int32_t max_bytes, fl_arena_t *arena) {
    Fluss__PbFetchLogReqForBucket b = FLUSS__PB_FETCH_LOG_REQ_FOR_BUCKET__INIT;
    b.bucket_id = bucket;
    b.fetch_offset = offset;
    b.max_fetch_bytes = max_bytes;
    Fluss__PbFetchLogReqForBucket *bs[] = {&b};
    Fluss__PbFetchLogReqForTable t = FLUSS__PB_FETCH_LOG_REQ_FOR_TABLE__INIT;
    t.table_id = table_id;
    t.n_buckets_req = 1;
    t.buckets_req = bs;
    Fluss__PbFetchLogReqForTable *ts[] = {&t};
    Fluss__FetchLogRequest req = FLUSS__FETCH_LOG_REQUEST__INIT;
    req.follower_server_id = -1;
    req.max_bytes = max_bytes;
    req.n_tables_req = 1;
    req.tables_req = ts;
    Fluss__FetchLogResponse *r = (Fluss__FetchLogResponse *)fl_cli_call(
        fd, FL_API_FETCH_LOG, 0, &req.base, &fluss__fetch_log_response__descriptor, arena);
    assert_int_equal(r->n_tables_resp, 1);
    assert_int_equal(r->tables_resp[0]->n_buckets_resp, 1);
    return r->tables_resp[0]->buckets_resp[0];
}

int64_t fl_cli_list_offset(int fd, int64_t table_id, int32_t bucket, int32_t type) {
    int32_t ids[] = {bucket};
    Fluss__ListOffsetsRequest req = FLUSS__LIST_OFFSETS_REQUEST__INIT;
    req.follower_server_id = -1;
    req.offset_type = type;
    req.table_id = table_id;
    req.n_bucket_id = 1;
    req.bucket_id = ids;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__ListOffsetsResponse *r = (Fluss__ListOffsetsResponse *)fl_cli_call(
        fd, FL_API_LIST_OFFSETS, 0, &req.base, &fluss__list_offsets_response__descriptor, a);
    assert_int_equal(r->n_buckets_resp, 1);
    Fluss__PbListOffsetsRespForBucket *b = r->buckets_resp[0];
    if (b->has_error_code && b->error_code)
        fail_msg("ListOffsets of table %lld bucket %d: error %d %s", (long long)table_id, bucket,
                 b->error_code, b->error_message ? b->error_message : "");
    assert_true(b->has_offset);
    int64_t off = b->offset;
    fl_arena_destroy(a);
    return off;
}

/* ---- primary-key tables -------------------------------------------------------------------- */

Fluss__PbPutKvRespForBucket *fl_cli_put_kv(int fd, int32_t acks, int64_t table_id, int32_t bucket,
                                           const void *records, size_t len,
                                           const int32_t *target_cols, size_t n_target,
                                           fl_arena_t *arena) {
    Fluss__PbPutKvReqForBucket b = FLUSS__PB_PUT_KV_REQ_FOR_BUCKET__INIT;
    b.bucket_id = bucket;
    b.records.data = (uint8_t *)records;
    b.records.len = len;
    Fluss__PbPutKvReqForBucket *bs[] = {&b};
    Fluss__PutKvRequest req = FLUSS__PUT_KV_REQUEST__INIT;
    req.acks = acks;
    req.table_id = table_id;
    req.timeout_ms = 30000;
    req.n_target_columns = n_target;
    req.target_columns = (int32_t *)target_cols;
    req.n_buckets_req = 1;
    req.buckets_req = bs;
    Fluss__PutKvResponse *r = (Fluss__PutKvResponse *)fl_cli_call(
        fd, FL_API_PUT_KV, 0, &req.base, &fluss__put_kv_response__descriptor, arena);
    assert_int_equal(r->n_buckets_resp, 1);
    assert_int_equal(r->buckets_resp[0]->bucket_id, bucket);
    return r->buckets_resp[0];
}

Fluss__PbLookupRespForBucket *fl_cli_lookup(int fd, int64_t table_id, int32_t bucket,
                                            const ProtobufCBinaryData *keys, size_t n,
                                            fl_arena_t *arena) {
    Fluss__PbLookupReqForBucket b = FLUSS__PB_LOOKUP_REQ_FOR_BUCKET__INIT;
    b.bucket_id = bucket;
    b.n_keys = n;
    b.keys = (ProtobufCBinaryData *)keys;
    Fluss__PbLookupReqForBucket *bs[] = {&b};
    Fluss__LookupRequest req = FLUSS__LOOKUP_REQUEST__INIT;
    req.table_id = table_id;
    req.n_buckets_req = 1;
    req.buckets_req = bs;
    Fluss__LookupResponse *r = (Fluss__LookupResponse *)fl_cli_call(
        fd, FL_API_LOOKUP, 0, &req.base, &fluss__lookup_response__descriptor, arena);
    assert_int_equal(r->n_buckets_resp, 1);
    assert_int_equal(r->buckets_resp[0]->bucket_id, bucket);
    return r->buckets_resp[0];
}

int32_t fl_cli_schema_id(int fd, const char *name) {
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = (char *)name;
    Fluss__GetTableInfoRequest gi = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    gi.table_path = &tp;
    fl_arena_t *a = fl_arena_new(0);
    Fluss__GetTableInfoResponse *info = (Fluss__GetTableInfoResponse *)fl_cli_call(
        fd, FL_API_GET_TABLE_INFO, 0, &gi.base, &fluss__get_table_info_response__descriptor, a);
    int32_t id = info->schema_id;
    fl_arena_destroy(a);
    return id;
}
