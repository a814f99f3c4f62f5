/* fl_client.c: see fl_client.h. */
#include "fl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fl_frame.h"

#define FL_CLIENT_SOFTWARE "fl-admin"
#define FL_CLIENT_VERSION "0.1.0"

static void fl_cl_msg(fl_client_t *cl, const char *fmt, ...) FL_PRINTF(2, 3);
static void fl_cl_msg(fl_client_t *cl, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cl->errmsg, sizeof(cl->errmsg), fmt, ap);
    va_end(ap);
}

/* Milliseconds left until deadline (a fl_mono_us() value), at least 0. */
static int fl_cl_left_ms(int64_t deadline_us) {
    int64_t left = (deadline_us - fl_mono_us()) / 1000;
    return left < 0 ? 0 : (int)FL_MIN(left, INT32_MAX);
}

static const char *fl_cl_secs(const fl_client_t *cl, char *buf, size_t len) {
    if (cl->timeout_ms % 1000) snprintf(buf, len, "%.3g s", cl->timeout_ms / 1000.0);
    else snprintf(buf, len, "%d s", cl->timeout_ms / 1000);
    return buf;
}

fl_err_t fl_client_parse_addr(const char *addr, char *host, size_t host_len, int *port,
                              char *why, size_t why_len) {
    const char *colon;
    const char *h = addr;
    size_t hlen;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':') {
            snprintf(why, why_len,
                     "'%s' is not host:port (an IPv6 address goes in brackets: [::1]:9123)", addr);
            return FL_ERR__INVAL;
        }
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || strchr(addr, ':') != colon) {
            snprintf(why, why_len, "'%s' is not host:port", addr);
            return FL_ERR__INVAL;
        }
        hlen = (size_t)(colon - addr);
    }
    if (hlen == 0 || hlen >= host_len) {
        snprintf(why, why_len, "'%s' has no host (expected host:port)", addr);
        return FL_ERR__INVAL;
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || p < 1 || p > 65535) {
        snprintf(why, why_len, "'%s' has no valid port (1..65535)", addr);
        return FL_ERR__INVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return FL_ERR_NONE;
}

/* Connect to one resolved address within the deadline. @returns the fd or -1 with errno. */
static int fl_cl_connect_one(const struct addrinfo *ai, int64_t deadline_us) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) goto fail;
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int rc;
    do rc = poll(&pfd, 1, fl_cl_left_ms(deadline_us));
    while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        errno = ETIMEDOUT;
        goto fail;
    }
    if (rc < 0) goto fail;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) goto fail;
    if (soerr) {
        errno = soerr;
        goto fail;
    }
    return fd;
fail: {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
}

/* Write all of buf before the deadline. @returns 0 or a local error (message set). */
static fl_err_t fl_cl_send_all(fl_client_t *cl, const uint8_t *p, size_t n, int64_t deadline_us,
                               const char *what) {
    char secs[32];
    while (n > 0) {
        ssize_t w = send(cl->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = cl->fd, .events = POLLOUT};
            int rc = poll(&pfd, 1, fl_cl_left_ms(deadline_us));
            if (rc == 0) {
                fl_cl_msg(cl, "timed out after %s sending %s to %s", fl_cl_secs(cl, secs, sizeof(secs)),
                          what, cl->addr);
                return FL_ERR__AGAIN;
            }
            continue;
        }
        fl_cl_msg(cl, "cannot send %s to %s: %s", what, cl->addr, strerror(errno));
        return FL_ERR__IO;
    }
    return FL_ERR_NONE;
}

/* Read exactly n bytes into the end of rbuf before the deadline. */
static fl_err_t fl_cl_recv_n(fl_client_t *cl, size_t n, int64_t deadline_us, const char *what) {
    char secs[32];
    while (n > 0) {
        /* grow with the bytes that arrive, not with the length the peer announced */
        size_t chunk = FL_MIN(n, (size_t)65536);
        uint8_t *p = fl_buf_extend(&cl->rbuf, chunk);
        ssize_t r = recv(cl->fd, p, chunk, 0);
        if (r > 0) {
            cl->rbuf.len -= chunk - (size_t)r;
            n -= (size_t)r;
            continue;
        }
        cl->rbuf.len -= chunk;
        if (r == 0) {
            fl_cl_msg(cl, "%s closed the connection while we waited for the %s response", cl->addr,
                      what);
            return FL_ERR__CLOSED;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd pfd = {.fd = cl->fd, .events = POLLIN};
            int rc = poll(&pfd, 1, fl_cl_left_ms(deadline_us));
            if (rc == 0) {
                fl_cl_msg(cl, "timed out after %s waiting for %s to answer %s",
                          fl_cl_secs(cl, secs, sizeof(secs)), cl->addr, what);
                return FL_ERR__AGAIN;
            }
            continue;
        }
        fl_cl_msg(cl, "cannot read the %s response from %s: %s", what, cl->addr, strerror(errno));
        return FL_ERR__IO;
    }
    return FL_ERR_NONE;
}

static void fl_cl_drop(fl_client_t *cl) {
    if (cl->fd >= 0) close(cl->fd);
    cl->fd = -1;
}

/* One round trip: send, then read frames until the one with our request id. */
static fl_err_t fl_cl_roundtrip(fl_client_t *cl, int16_t key, int16_t ver,
                                const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *resp_desc, fl_arena_t *arena,
                                ProtobufCMessage **resp) {
    const char *what = fl_api_name(key);
    if (cl->fd < 0) {
        fl_cl_msg(cl, "not connected to %s", cl->addr);
        return FL_ERR__CLOSED;
    }
    int64_t deadline = fl_mono_us() + (int64_t)cl->timeout_ms * 1000;
    int32_t id = cl->next_id++;
    fl_buf_t out;
    fl_buf_init(&out);
    size_t at = fl_frame_begin_req(&out, key, ver, id);
    fl_pb_pack(&out, req);
    fl_frame_end(&out, at);
    fl_err_t err = fl_cl_send_all(cl, out.p, out.len, deadline, what);
    fl_buf_free(&out);
    if (err) goto fail;
    for (;;) {
        fl_buf_reset(&cl->rbuf);
        if ((err = fl_cl_recv_n(cl, 4, deadline, what))) goto fail;
        fl_reader_t rd;
        fl_rd_init(&rd, cl->rbuf.p, 4);
        int32_t len = fl_rd_i32be(&rd);
        if (len < 1 || len > FL_CLIENT_MAX_RESPONSE) {
            fl_cl_msg(cl, "%s sent a response frame of %d bytes (expected 1..%d); it is not a "
                      "Fluss server or the stream is corrupt", cl->addr, len, FL_CLIENT_MAX_RESPONSE);
            err = FL_ERR__INVAL;
            goto fail;
        }
        if ((err = fl_cl_recv_n(cl, (size_t)len, deadline, what))) goto fail;
        fl_resp_header_t hdr;
        fl_rd_init(&rd, cl->rbuf.p, cl->rbuf.len);
        if (fl_frame_read_resp_header(&rd, &hdr)) {
            fl_cl_msg(cl, "%s sent a response header that does not parse", cl->addr);
            err = FL_ERR__INVAL;
            goto fail;
        }
        if (hdr.type != FL_RESP_SERVER_FAILURE && hdr.request_id != id) continue; /* stale */
        const uint8_t *body = cl->rbuf.p + rd.off;
        size_t body_len = cl->rbuf.len - rd.off;
        const char *why = NULL;
        if (hdr.type == FL_RESP_SUCCESS) {
            ProtobufCMessage *m = fl_pb_unpack(arena, resp_desc, body, body_len, &why);
            if (!m) {
                fl_cl_msg(cl, "the %s response from %s does not decode: %s", what, cl->addr, why);
                err = FL_ERR__INVAL;
                goto fail;
            }
            *resp = m;
            cl->errmsg[0] = '\0';
            return FL_ERR_NONE;
        }
        Fluss__ErrorResponse *er = (Fluss__ErrorResponse *)fl_pb_unpack(
            arena, &fluss__error_response__descriptor, body, body_len, &why);
        if (!er) {
            fl_cl_msg(cl, "the error response to %s from %s does not decode: %s", what, cl->addr, why);
            err = FL_ERR__INVAL;
            goto fail;
        }
        fl_err_t code = (fl_err_t)er->error_code;
        if (!fl_err_is_wire(code) || code == FL_ERR_NONE) code = FL_ERR_UNKNOWN_SERVER_ERROR;
        if (er->error_message && er->error_message[0])
            fl_cl_msg(cl, "%s", er->error_message);
        else
            fl_cl_msg(cl, "%s", fl_err2str(code));
        if (hdr.type == FL_RESP_SERVER_FAILURE) fl_cl_drop(cl); /* the stream is done */
        return code;
    }
fail:
    fl_cl_drop(cl);
    return err;
}

fl_err_t fl_client_open(fl_client_t *cl, const char *addr, int timeout_ms) {
    memset(cl, 0, sizeof(*cl));
    cl->fd = -1;
    cl->next_id = 1;
    cl->server_type = -1;
    cl->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    fl_buf_init(&cl->rbuf);
    snprintf(cl->addr, sizeof(cl->addr), "%s", addr);

    char host[256], why[300], secs[32];
    int port;
    if (fl_client_parse_addr(addr, host, sizeof(host), &port, why, sizeof(why))) {
        fl_cl_msg(cl, "%s", why);
        return FL_ERR__INVAL;
    }
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai) {
        fl_cl_msg(cl, "cannot resolve host '%s' (from %s): %s", host, addr, gai_strerror(gai));
        return FL_ERR__IO;
    }
    int64_t deadline = fl_mono_us() + (int64_t)cl->timeout_ms * 1000;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai && cl->fd < 0; ai = ai->ai_next) {
        cl->fd = fl_cl_connect_one(ai, deadline);
        if (cl->fd < 0) last_errno = errno;
    }
    freeaddrinfo(res);
    if (cl->fd < 0) {
        if (last_errno == ETIMEDOUT)
            fl_cl_msg(cl, "cannot connect to %s: timed out after %s", addr,
                      fl_cl_secs(cl, secs, sizeof(secs)));
        else
            fl_cl_msg(cl, "cannot connect to %s: %s", addr, strerror(last_errno));
        return FL_ERR__IO;
    }
    int one = 1;
    setsockopt(cl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    Fluss__ApiVersionsRequest req = FLUSS__API_VERSIONS_REQUEST__INIT;
    req.client_software_name = FL_CLIENT_SOFTWARE;
    req.client_software_version = FL_CLIENT_VERSION;
    fl_arena_t *arena = fl_arena_new(0);
    ProtobufCMessage *m = NULL;
    fl_err_t err = fl_cl_roundtrip(cl, FL_API_API_VERSIONS, 0, &req.base,
                                   &fluss__api_versions_response__descriptor, arena, &m);
    if (!err) {
        const Fluss__ApiVersionsResponse *r = (const Fluss__ApiVersionsResponse *)m;
        for (size_t i = 0; i < r->n_api_versions; i++) {
            int key = r->api_versions[i]->api_key;
            if (key < FL_API_KEY_MIN || key > FL_API_KEY_MAX) continue;
            cl->served[key - FL_API_KEY_MIN] = true;
            cl->max_ver[key - FL_API_KEY_MIN] = (int16_t)r->api_versions[i]->max_version;
        }
        if (r->has_server_type) cl->server_type = r->server_type;
    } else if (fl_err_is_wire(err)) {
        char msg[sizeof(cl->errmsg)];
        snprintf(msg, sizeof(msg), "%s", cl->errmsg);
        fl_cl_msg(cl, "ApiVersions handshake with %s failed: %s", addr, msg);
    }
    fl_arena_destroy(arena);
    return err;
}

void fl_client_close(fl_client_t *cl) {
    fl_cl_drop(cl);
    fl_buf_free(&cl->rbuf);
}

bool fl_client_serves(const fl_client_t *cl, int16_t api_key) {
    return api_key >= FL_API_KEY_MIN && api_key <= FL_API_KEY_MAX &&
           cl->served[api_key - FL_API_KEY_MIN];
}

fl_err_t fl_client_call(fl_client_t *cl, int16_t api_key, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp_desc, fl_arena_t *arena,
                        ProtobufCMessage **resp) {
    const fl_api_t *api = fl_api_get(api_key);
    if (!api) {
        fl_cl_msg(cl, "unknown API key %d", api_key);
        return FL_ERR__INVAL;
    }
    if (!fl_client_serves(cl, api_key)) {
        fl_cl_msg(cl, "the server at %s does not serve %s (API key %d)", cl->addr, api->name,
                  api_key);
        return FL_ERR_UNSUPPORTED_VERSION;
    }
    int16_t ver = FL_MIN(api->max_version, cl->max_ver[api_key - FL_API_KEY_MIN]);
    return fl_cl_roundtrip(cl, api_key, ver, req, resp_desc, arena, resp);
}

const char *fl_client_errmsg(const fl_client_t *cl) {
    return cl->errmsg;
}
