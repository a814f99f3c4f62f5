/* fl_conn.c: connections, framing and responses.
 *
 * Framing (STYLE.md 5): the 4-byte length prefix is judged before anything is allocated.
 *   - negative, or shorter than the 8-byte request header: the stream cannot be trusted and
 *     there is no request id to answer; log and close.
 *   - longer than netty.server.max-request-size: answer ERROR_RESPONSE with the request id
 *     (when its header is already here) and close, since the stream cannot be resynchronised
 *     without reading the oversized body.
 *   - otherwise wait for the whole frame, then dispatch it (fl_dispatch.c).
 *   - a frame of at least FL_CONN_DIRECT_MIN bytes is not gathered in the bufferevent: what
 *     has arrived moves into a buffer of the frame's size, the bufferevent stops reading, and
 *     the rest is recv()ed straight into that buffer; the request then owns the buffer
 *     (fl_dispatch_owned), so ProduceLog records are written to the log from where they
 *     landed: one copy out of the socket instead of three.
 * Backpressure: reading stops while a connection has server.max-inflight-requests-per-connection
 * requests unanswered or more than out_high bytes of unsent responses. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "fl_server_int.h"

#define FL_CONN_DIRECT_MIN (64 << 10)
#define FL_CONN_MAX_SINGLE_IO (1 << 20)

static void fl_conn_read_cb(struct bufferevent *bev, void *arg);
static void fl_conn_write_cb(struct bufferevent *bev, void *arg);
static void fl_conn_event_cb(struct bufferevent *bev, short what, void *arg);

static void fl_conn_unref(fl_conn_t *conn) {
    if (--conn->refs > 0) return;
    fl_free(conn);
}

static void fl_peer_str(const struct sockaddr *sa, char *buf, size_t len) {
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%d", ip, port);
    } else {
        snprintf(buf, len, "?");
    }
}

void fl_conn_accept(fl_listener_t *lis, evutil_socket_t fd, const struct sockaddr *sa,
                    int salen) {
    fl_server_t *srv = lis->srv;
    FL_UNUSED(salen);
    if (srv->stopping) {
        evutil_closesocket(fd);
        return;
    }
    if (srv->n_conns >= srv->opts.max_conns) {
        if (srv->refused_conns++ % 1000 == 0) {
            char peer[64];
            fl_peer_str(sa, peer, sizeof(peer));
            fl_log_warn("server",
                        "refusing connection from %s: %lld connections open "
                        "(server.max-connections); %lld refused so far",
                        peer, (long long)srv->n_conns, (long long)srv->refused_conns);
        }
        evutil_closesocket(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    struct bufferevent *bev =
        bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        fl_log_error("server", "bufferevent_socket_new() failed for fd %d", (int)fd);
        evutil_closesocket(fd);
        return;
    }
    fl_conn_t *conn = fl_calloc(1, sizeof(*conn));
    conn->srv = srv;
    conn->lis = lis;
    conn->bev = bev;
    conn->id = ++srv->next_conn_id;
    conn->refs = 1;
    fl_peer_str(sa, conn->peer, sizeof(conn->peer));
    conn->next = srv->conns;
    if (srv->conns) srv->conns->prev = conn;
    srv->conns = conn;
    srv->n_conns++;
    bufferevent_setcb(bev, fl_conn_read_cb, fl_conn_write_cb, fl_conn_event_cb, conn);
    /* libevent moves at most 16 KiB per callback by default: a 1 MiB fetch answer would take 64
     * sendfile() calls and loop iterations */
    bufferevent_set_max_single_write(bev, FL_CONN_MAX_SINGLE_IO);
    bufferevent_set_max_single_read(bev, FL_CONN_DIRECT_MIN);
    if (srv->opts.idle_ms > 0) {
        struct timeval tv = {(time_t)(srv->opts.idle_ms / 1000),
                             (suseconds_t)((srv->opts.idle_ms % 1000) * 1000)};
        bufferevent_set_timeouts(bev, &tv, NULL);
    }
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    fl_log_debug("server", "connection %llu from %s on listener %s",
                 (unsigned long long)conn->id, conn->peer, lis->bind.name);
}

void fl_conn_close(fl_conn_t *conn, const char *reason) {
    if (!conn->bev) return;
    fl_server_t *srv = conn->srv;
    fl_log_debug("server", "closing connection %llu from %s: %s", (unsigned long long)conn->id,
                 conn->peer, reason);
    if (conn->big_ev) event_free(conn->big_ev);
    conn->big_ev = NULL;
    fl_free(conn->big);
    conn->big = NULL;
    bufferevent_free(conn->bev);
    conn->bev = NULL;
    if (conn->prev) conn->prev->next = conn->next;
    else srv->conns = conn->next;
    if (conn->next) conn->next->prev = conn->prev;
    conn->prev = conn->next = NULL;
    srv->n_conns--;
    fl_conn_unref(conn);
    fl_server_maybe_finish(srv);
}

/* Close now if the connection was marked to close and has nothing left to do. */
static bool fl_conn_try_finish(fl_conn_t *conn) {
    if (!conn->bev || !conn->close_after_flush || conn->inflight > 0) return false;
    if (evbuffer_get_length(bufferevent_get_output(conn->bev)) > 0) return false;
    fl_conn_close(conn, "closed after flushing its responses");
    return true;
}

static void fl_conn_update_reading(fl_conn_t *conn) {
    if (!conn->bev || conn->big) return; /* a large frame is being read: judged after it */
    fl_server_t *srv = conn->srv;
    size_t out = evbuffer_get_length(bufferevent_get_output(conn->bev));
    bool pause = conn->close_after_flush || conn->inflight >= srv->opts.max_inflight ||
                 (int64_t)out > srv->opts.out_high;
    if (pause && !conn->read_paused) {
        bufferevent_disable(conn->bev, EV_READ);
        conn->read_paused = true;
    } else if (!pause && conn->read_paused) {
        conn->read_paused = false;
        bufferevent_enable(conn->bev, EV_READ);
        /* frames may already be buffered */
        if (evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0)
            bufferevent_trigger(conn->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS | BEV_TRIG_IGNORE_WATERMARKS);
    }
}

void fl_conn_send(fl_conn_t *conn, const fl_buf_t *frame) {
    if (!conn->bev) return;
    bufferevent_write(conn->bev, frame->p, frame->len);
}

void fl_conn_send_error(fl_conn_t *conn, int32_t request_id, fl_err_t code, const char *msg) {
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_frame_put_error(&buf, request_id, code, msg);
    fl_conn_send(conn, &buf);
    fl_buf_free(&buf);
}

static void fl_conn_reject_frame(fl_conn_t *conn, struct evbuffer *in, int32_t len,
                                 fl_frame_verdict_t verdict) {
    fl_server_t *srv = conn->srv;
    size_t have = evbuffer_get_length(in);
    if (verdict == FL_FRAME_TOO_LARGE && have >= FL_FRAME_PREFIX + FL_FRAME_REQ_HEADER) {
        uint8_t hb[FL_FRAME_PREFIX + FL_FRAME_REQ_HEADER];
        evbuffer_copyout(in, hb, sizeof(hb));
        fl_reader_t rd;
        fl_rd_init(&rd, hb, sizeof(hb));
        fl_req_header_t hdr;
        fl_frame_read_req_header(&rd, &hdr);
        fl_log_warn("server",
                    "connection %llu from %s: %s request id %d frame of %d bytes is over "
                    "netty.server.max-request-size (%d); answering and closing",
                    (unsigned long long)conn->id, conn->peer, fl_api_name(hdr.api_key),
                    hdr.request_id, len, srv->opts.max_frame);
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "Request frame of %d bytes exceeds netty.server.max-request-size (%d bytes).",
                 len, srv->opts.max_frame);
        fl_conn_send_error(conn, hdr.request_id, FL_ERR_UNKNOWN_SERVER_ERROR, msg);
    } else {
        fl_log_warn("server", "connection %llu from %s: %s (length prefix %d); closing",
                    (unsigned long long)conn->id, conn->peer, fl_frame_verdict_str(verdict),
                    len);
    }
    evbuffer_drain(in, have);
    conn->close_after_flush = true;
    fl_conn_update_reading(conn);
    fl_conn_try_finish(conn);
}

/* The socket of a connection reading a large frame is readable (or idle too long). */
static void fl_conn_big_cb(evutil_socket_t fd, short what, void *arg) {
    fl_conn_t *conn = arg;
    if (what & EV_TIMEOUT) {
        fl_log_info("server",
                    "connection %llu from %s idle for netty.connection.max-idle-time (%lld ms) "
                    "with %zu bytes of an incomplete request; closing",
                    (unsigned long long)conn->id, conn->peer, (long long)conn->srv->opts.idle_ms,
                    conn->big_have);
        fl_conn_close(conn, "idle");
        return;
    }
    ssize_t r = recv(fd, conn->big + conn->big_have, conn->big_len - conn->big_have, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (r <= 0) {
        if (r == 0)
            fl_log_info("server",
                        "connection %llu from %s closed mid-frame with %zu bytes of an "
                        "incomplete request; discarded",
                        (unsigned long long)conn->id, conn->peer, conn->big_have);
        else
            fl_log_debug("server", "connection %llu from %s: socket error: %s",
                         (unsigned long long)conn->id, conn->peer, strerror(errno));
        fl_conn_close(conn, r == 0 ? "peer closed" : "socket error");
        return;
    }
    conn->big_have += (size_t)r;
    if (conn->big_have < conn->big_len) return;
    /* whole: hand it over, and let the bufferevent read what follows */
    event_del(conn->big_ev);
    uint8_t *frame = conn->big;
    size_t len = conn->big_len;
    conn->big = NULL;
    conn->big_len = conn->big_have = 0;
    conn->refs++;
    conn->frames++;
    fl_dispatch_owned(conn, frame, len);
    if (conn->bev) {
        bufferevent_enable(conn->bev, EV_READ);
        fl_conn_update_reading(conn);
    }
    fl_conn_unref(conn);
}

/* A large frame of total bytes has begun in `in` (all of in belongs to it): read the rest
 * straight into its own buffer. */
static void fl_conn_big_start(fl_conn_t *conn, struct evbuffer *in, size_t total) {
    fl_server_t *srv = conn->srv;
    conn->big = fl_malloc(total);
    conn->big_len = total;
    conn->big_have = (size_t)evbuffer_remove(in, conn->big, total);
    bufferevent_disable(conn->bev, EV_READ);
    if (!conn->big_ev)
        conn->big_ev = event_new(srv->base, bufferevent_getfd(conn->bev), EV_READ | EV_PERSIST,
                                 fl_conn_big_cb, conn);
    struct timeval tv = {(time_t)(srv->opts.idle_ms / 1000),
                         (suseconds_t)((srv->opts.idle_ms % 1000) * 1000)};
    event_add(conn->big_ev, srv->opts.idle_ms > 0 ? &tv : NULL);
}

static void fl_conn_read_cb(struct bufferevent *bev, void *arg) {
    fl_conn_t *conn = arg;
    fl_server_t *srv = conn->srv;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (conn->big) return; /* reading a large frame itself */
    conn->refs++; /* keep conn alive through handlers that might close it */
    while (conn->bev && !conn->close_after_flush && !conn->read_paused) {
        size_t have = evbuffer_get_length(in);
        if (have < FL_FRAME_PREFIX) break;
        uint8_t pb[4];
        evbuffer_copyout(in, pb, 4);
        int32_t len = (int32_t)((uint32_t)pb[0] << 24 | (uint32_t)pb[1] << 16 |
                                (uint32_t)pb[2] << 8 | pb[3]);
        fl_frame_verdict_t verdict = fl_frame_check_len(len, srv->opts.max_frame);
        if (verdict != FL_FRAME_OK) {
            fl_conn_reject_frame(conn, in, len, verdict);
            break;
        }
        size_t total = FL_FRAME_PREFIX + (size_t)len;
        if (have < total) {
            /* wait for the rest; read no more than this frame's worth before dispatching */
            if (total >= FL_CONN_DIRECT_MIN) fl_conn_big_start(conn, in, total);
            break;
        }
        const uint8_t *frame = evbuffer_pullup(in, (ssize_t)total);
        conn->frames++;
        fl_dispatch(conn, frame, total);
        if (conn->bev) evbuffer_drain(in, total);
        fl_conn_update_reading(conn);
    }
    fl_conn_unref(conn);
}

static void fl_conn_write_cb(struct bufferevent *bev, void *arg) {
    fl_conn_t *conn = arg;
    FL_UNUSED(bev);
    if (fl_conn_try_finish(conn)) return;
    fl_conn_update_reading(conn);
}

static void fl_conn_event_cb(struct bufferevent *bev, short what, void *arg) {
    fl_conn_t *conn = arg;
    FL_UNUSED(bev);
    size_t pending = conn->bev ? evbuffer_get_length(bufferevent_get_input(conn->bev)) : 0;
    if (what & BEV_EVENT_TIMEOUT) {
        fl_log_info("server",
                    "connection %llu from %s idle for netty.connection.max-idle-time (%lld ms); "
                    "closing",
                    (unsigned long long)conn->id, conn->peer, (long long)conn->srv->opts.idle_ms);
        fl_conn_close(conn, "idle");
    } else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        int err = EVUTIL_SOCKET_ERROR();
        if (pending > 0) {
            fl_log_info("server",
                        "connection %llu from %s closed mid-frame with %zu bytes of an "
                        "incomplete request; discarded",
                        (unsigned long long)conn->id, conn->peer, pending);
        } else if (what & BEV_EVENT_ERROR) {
            fl_log_debug("server", "connection %llu from %s: socket error: %s",
                         (unsigned long long)conn->id, conn->peer,
                         evutil_socket_error_to_string(err));
        }
        fl_conn_close(conn, (what & BEV_EVENT_EOF) ? "peer closed" : "socket error");
    }
}

/* ---- requests ---------------------------------------------------------------------------- */

void fl_req_finish_raw(fl_req_t *req, const fl_buf_t *frame) {
    fl_conn_t *conn = req->conn;
    fl_server_t *srv = conn->srv;
    if (conn->bev) fl_conn_send(conn, frame);
    conn->inflight--;
    fl_arena_destroy(req->arena); /* req itself lives in the arena */
    if (conn->bev && !fl_conn_try_finish(conn)) fl_conn_update_reading(conn);
    fl_conn_unref(conn); /* may free conn */
    fl_server_maybe_finish(srv);
}

/* A response made of pieces: memory is copied into the output buffer, file ranges are queued
 * as evbuffer file segments, which libevent writes with sendfile(2). A file piece's cleanup
 * callback runs once libevent no longer needs the range (sent, or the connection closed). */
static void fl_piece_cleanup_cb(struct evbuffer_file_segment const *seg, int flags, void *arg) {
    FL_UNUSED(seg);
    FL_UNUSED(flags);
    fl_piece_t *pc = arg;
    pc->release(pc->release_arg);
    fl_free(pc);
}

void fl_req_respond_pieces(fl_req_t *req, fl_piece_t *pieces, size_t n) {
    fl_conn_t *conn = req->conn;
    fl_server_t *srv = conn->srv;
    if (conn->bev) {
        struct evbuffer *out = bufferevent_get_output(conn->bev);
        for (size_t i = 0; i < n; i++) {
            fl_piece_t *pc = &pieces[i];
            if (pc->fd < 0) {
                evbuffer_add(out, pc->p, pc->len);
                continue;
            }
            fl_piece_t *keep = fl_malloc(sizeof(*keep));
            *keep = *pc;
            struct evbuffer_file_segment *seg =
                evbuffer_file_segment_new(pc->fd, (ev_off_t)pc->off, (ev_off_t)pc->len, 0);
            if (!seg) {
                /* cannot happen for a regular file; fall back to a copy */
                uint8_t *tmp = fl_malloc(pc->len ? pc->len : 1);
                ssize_t r = pread(pc->fd, tmp, pc->len, (off_t)pc->off);
                evbuffer_add(out, tmp, r > 0 ? (size_t)r : 0);
                fl_free(tmp);
                keep->release(keep->release_arg);
                fl_free(keep);
                continue;
            }
            evbuffer_file_segment_add_cleanup_cb(seg, fl_piece_cleanup_cb, keep);
            evbuffer_add_file_segment(out, seg, 0, (ev_off_t)pc->len);
            evbuffer_file_segment_free(seg); /* the evbuffer keeps its own reference */
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if (pieces[i].fd >= 0) pieces[i].release(pieces[i].release_arg);
    }
    conn->inflight--;
    fl_arena_destroy(req->arena);
    if (conn->bev && !fl_conn_try_finish(conn)) fl_conn_update_reading(conn);
    fl_conn_unref(conn);
    fl_server_maybe_finish(srv);
}

void fl_req_respond(fl_req_t *req, const ProtobufCMessage *resp) {
    fl_buf_t buf;
    fl_buf_init(&buf);
    size_t at = fl_frame_begin_resp(&buf, FL_RESP_SUCCESS, req->hdr.request_id);
    fl_pb_pack(&buf, resp);
    fl_frame_end(&buf, at);
    fl_log_debug("server", "connection %llu: %s request %d answered in %lld us",
                 (unsigned long long)req->conn->id, req->api ? req->api->name : "?",
                 req->hdr.request_id, (long long)(fl_mono_us() - req->start_us));
    fl_req_finish_raw(req, &buf);
    fl_buf_free(&buf);
}

void fl_req_fail(fl_req_t *req, fl_err_t code, const char *fmt, ...) {
    char msg[1024];
    const char *m = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        m = msg;
    }
    code = fl_err_wire(code);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_frame_put_error(&buf, req->hdr.request_id, code, m);
    fl_log_debug("server", "connection %llu: %s request %d failed: %s %s",
                 (unsigned long long)req->conn->id, req->api ? req->api->name : "?",
                 req->hdr.request_id, fl_err2name(code), m ? m : "");
    fl_req_finish_raw(req, &buf);
    fl_buf_free(&buf);
}
