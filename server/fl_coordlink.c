/* fl_coordlink.c: a tablet-server process's link to its coordinator.
 *
 * One TCP connection to server.coordinator-address carries
 *   - the heartbeat (fl_internal.proto, key 9001) every server.heartbeat-interval, which
 *     registers this tablet server and keeps it alive in the coordinator's eyes;
 *     and, in its response, brings the table metadata this tablet server needs whenever it
 *     changed (fl_tablemeta.h); tables that disappear from it have their replicas deleted;
 *   - requests this process cannot answer itself because the catalog lives in the
 *     coordinator (GetTableInfo, ListTables, GetMetadata ...). They are forwarded byte for
 *     byte under a new request id and the coordinator's answer is relayed back under the
 *     client's request id.
 * When the connection drops, forwarded requests fail with NETWORK_EXCEPTION (retriable: the
 * Java client retries) and the link reconnects with a growing backoff (100 ms .. 5 s).
 *
 * Owner: the loop thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "fl_internal.pb-c.h"
#include "fl_server_int.h"
#include "fl_tablemeta.h"

typedef struct fl_fwd_s {
    int32_t id;           /* request id on the coordinator connection */
    fl_req_t *req;        /* NULL for heartbeats */
    int64_t hb_seq;       /* heartbeats: their number (link->hb_sent at sending) */
    struct fl_fwd_s *next;
} fl_fwd_t;

struct fl_coordlink_s {
    fl_server_t *srv;
    char host[256];
    int port;
    struct bufferevent *bev;
    bool connected;
    int32_t next_id;
    fl_fwd_t *pending;
    int hb_inflight;      /* heartbeats sent, not answered */
    int64_t hb_sent;      /* heartbeats sent on this process's links so far */
    bool hb_again;        /* send another heartbeat when the one in flight is answered */
    struct fl_await_s *waiting; /* parked data requests (fl_coordlink_await), newest first */
    struct event *hb_timer;
    struct event *retry_timer;
    int64_t backoff_ms;
    int64_t interval_ms;
    int64_t start_ms;
    bool warned;
};

typedef struct fl_await_s {
    fl_req_t *req;
    fl_handler_cb *cb;
    int64_t need_seq;     /* released by the answer to heartbeat number >= need_seq */
    struct fl_await_s *next;
} fl_await_t;

static void fl_link_connect(fl_coordlink_t *link);

/* Run the handlers of the parked requests that fresh metadata (the answer to heartbeat
 * answered_seq) or a failure (INT64_MAX) releases, oldest first. */
static void fl_link_release(fl_coordlink_t *link, int64_t answered_seq) {
    fl_await_t *ready = NULL, **pp = &link->waiting;
    while (*pp) {
        fl_await_t *w = *pp;
        if (w->need_seq <= answered_seq) {
            *pp = w->next;
            w->next = ready; /* reverses: oldest first */
            ready = w;
        } else {
            pp = &w->next;
        }
    }
    while (ready) {
        fl_await_t *w = ready;
        ready = w->next;
        fl_req_t *req = w->req;
        fl_handler_cb *cb = w->cb;
        fl_free(w);
        cb(req);
    }
}

static void fl_link_fail_pending(fl_coordlink_t *link, const char *why) {
    fl_fwd_t *f = link->pending;
    link->pending = NULL;
    link->hb_inflight = 0;
    while (f) {
        fl_fwd_t *next = f->next;
        if (f->req) fl_req_fail(f->req, FL_ERR_NETWORK_EXCEPTION, "%s", why);
        fl_free(f);
        f = next;
    }
}

static void fl_link_down(fl_coordlink_t *link, const char *why) {
    if (link->bev) {
        bufferevent_free(link->bev);
        link->bev = NULL;
    }
    if (link->connected || !link->warned) {
        fl_log_warn("coordlink", "coordinator %s:%d unreachable: %s; retrying", link->host,
                    link->port, why);
        link->warned = true;
    }
    link->connected = false;
    link->hb_again = false;
    fl_link_fail_pending(link, "Lost the connection to the coordinator.");
    fl_link_release(link, INT64_MAX);
    struct timeval tv = {(time_t)(link->backoff_ms / 1000),
                         (suseconds_t)((link->backoff_ms % 1000) * 1000)};
    evtimer_add(link->retry_timer, &tv);
    link->backoff_ms = FL_MIN(link->backoff_ms * 2, 5000);
}

static void fl_link_send(fl_coordlink_t *link, int16_t key, int16_t ver, fl_req_t *req,
                         const uint8_t *body, size_t body_len) {
    fl_fwd_t *f = fl_calloc(1, sizeof(*f));
    f->id = link->next_id++ & 0x7fffffff;
    f->req = req;
    if (!req) f->hb_seq = ++link->hb_sent;
    f->next = link->pending;
    link->pending = f;
    fl_buf_t buf;
    fl_buf_init(&buf);
    size_t at = fl_frame_begin_req(&buf, key, ver, f->id);
    fl_buf_put(&buf, body, body_len);
    fl_frame_end(&buf, at);
    bufferevent_write(link->bev, buf.p, buf.len);
    fl_buf_free(&buf);
}

static void fl_link_heartbeat(fl_coordlink_t *link) {
    fl_server_t *srv = link->srv;
    fl_endpoint_t eps[FL_MAX_ENDPOINTS];
    for (int i = 0; i < srv->n_listeners; i++) eps[i] = srv->listeners[i].advertised;
    char listeners[1024];
    fl_endpoints_format(eps, srv->n_listeners, listeners, sizeof(listeners));
    Flint__TabletServerHeartbeatRequest hb = FLINT__TABLET_SERVER_HEARTBEAT_REQUEST__INIT;
    hb.tablet_server_id = srv->tablet_id;
    hb.listeners = listeners;
    if (srv->rack[0]) hb.rack = srv->rack;
    hb.start_time = link->start_ms;
    int64_t version, epoch;
    if (fl_tablemeta_version(srv->tablemeta, &version, &epoch)) {
        hb.has_known_metadata_version = hb.has_known_coordinator_epoch = 1;
        hb.known_metadata_version = version;
        hb.known_coordinator_epoch = epoch;
    }
    link->hb_inflight++;
    fl_buf_t body;
    fl_buf_init(&body);
    fl_pb_pack(&body, &hb.base);
    fl_link_send(link, FL_API_INTERNAL_TS_HEARTBEAT, 0, NULL, body.p, body.len);
    fl_buf_free(&body);
}

/* A heartbeat response: take the tables it brings; replicas of tables (and partitions) no
 * longer among them were dropped (or moved away): close and delete them. */
static void fl_link_heartbeat_done(fl_coordlink_t *link, int64_t seq, const uint8_t *body,
                                   size_t len) {
    fl_server_t *srv = link->srv;
    fl_arena_t *a = fl_arena_new(0);
    const char *why = NULL;
    Flint__TabletServerHeartbeatResponse *resp = (Flint__TabletServerHeartbeatResponse *)
        fl_pb_unpack(a, &flint__tablet_server_heartbeat_response__descriptor, body, len, &why);
    if (!resp) {
        fl_log_warn("coordlink", "undecodable heartbeat response: %s", why);
    } else if (resp->tables_included) {
        bool first = !fl_tablemeta_synced(srv->tablemeta);
        if (fl_tablemeta_apply(srv->tablemeta, resp, &why)) {
            fl_log_warn("coordlink", "table metadata from the coordinator refused: %s", why);
        } else {
            if (first)
                fl_log_info("coordlink", "table metadata received: %zu tables with replicas here",
                            fl_tablemeta_count(srv->tablemeta));
            fl_rpc_log_forget_dropped(srv);
            fl_tablet_retain(srv->tablet, fl_tablemeta_exists, srv->tablemeta);
        }
    }
    fl_arena_destroy(a);
    if (link->hb_again && !link->hb_inflight) {
        link->hb_again = false;
        fl_link_heartbeat(link);
    }
    fl_link_release(link, seq);
}

void fl_coordlink_refresh(fl_coordlink_t *link) {
    if (!link || !link->connected) return;
    if (link->hb_inflight) link->hb_again = true; /* its answer may predate what is wanted */
    else fl_link_heartbeat(link);
}

bool fl_coordlink_await(fl_coordlink_t *link, fl_req_t *req, fl_handler_cb *cb) {
    if (!link || !link->connected) return false;
    fl_await_t *w = fl_calloc(1, sizeof(*w));
    w->req = req;
    w->cb = cb;
    /* the next heartbeat sent: either now, or right after the answer to the one in flight */
    w->need_seq = link->hb_sent + 1;
    w->next = link->waiting;
    link->waiting = w;
    fl_coordlink_refresh(link);
    return true;
}

void fl_coordlink_release(fl_coordlink_t *link) {
    if (link) fl_link_release(link, INT64_MAX);
}

static void fl_link_hb_cb(evutil_socket_t fd, short what, void *arg) {
    fl_coordlink_t *link = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    if (link->connected) fl_link_heartbeat(link);
}

static void fl_link_retry_cb(evutil_socket_t fd, short what, void *arg) {
    FL_UNUSED(fd);
    FL_UNUSED(what);
    fl_link_connect(arg);
}

static void fl_link_read_cb(struct bufferevent *bev, void *arg) {
    fl_coordlink_t *link = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t have = evbuffer_get_length(in);
        if (have < FL_FRAME_PREFIX + FL_FRAME_RESP_HEADER) return;
        uint8_t hb[FL_FRAME_PREFIX + FL_FRAME_RESP_HEADER];
        evbuffer_copyout(in, hb, sizeof(hb));
        fl_reader_t rd;
        fl_rd_init(&rd, hb, sizeof(hb));
        fl_resp_header_t hdr;
        fl_frame_read_resp_header(&rd, &hdr);
        if (rd.err || hdr.frame_len < FL_FRAME_RESP_HEADER || hdr.type == FL_RESP_SERVER_FAILURE) {
            fl_link_down(link, "malformed response frame");
            return;
        }
        size_t total = FL_FRAME_PREFIX + (size_t)hdr.frame_len;
        if (have < total) return;
        const uint8_t *frame = evbuffer_pullup(in, (ssize_t)total);
        fl_fwd_t **pp = &link->pending, *f = NULL;
        while (*pp && (*pp)->id != hdr.request_id) pp = &(*pp)->next;
        if (*pp) {
            f = *pp;
            *pp = f->next;
        }
        if (!f) {
            fl_log_warn("coordlink", "response for unknown request id %d from the coordinator",
                        hdr.request_id);
        } else if (f->req) {
            /* relay: same type and body, the client's request id */
            fl_buf_t out;
            fl_buf_init(&out);
            fl_buf_put(&out, frame, total);
            out.p[4 + 1] = (uint8_t)(f->req->hdr.request_id >> 24);
            out.p[4 + 2] = (uint8_t)(f->req->hdr.request_id >> 16);
            out.p[4 + 3] = (uint8_t)(f->req->hdr.request_id >> 8);
            out.p[4 + 4] = (uint8_t)f->req->hdr.request_id;
            fl_req_finish_raw(f->req, &out);
            fl_buf_free(&out);
        } else if (hdr.type != FL_RESP_SUCCESS) {
            if (link->hb_inflight) link->hb_inflight--;
            fl_log_warn("coordlink", "the coordinator refused this tablet server's heartbeat");
            fl_link_release(link, f->hb_seq);
        } else {
            if (link->hb_inflight) link->hb_inflight--;
            if (link->warned) {
                fl_log_info("coordlink", "registered with coordinator %s:%d as tablet server %d",
                            link->host, link->port, link->srv->tablet_id);
                link->warned = false;
            }
            fl_link_heartbeat_done(link, f->hb_seq, frame + FL_FRAME_PREFIX + FL_FRAME_RESP_HEADER,
                                   total - FL_FRAME_PREFIX - FL_FRAME_RESP_HEADER);
        }
        fl_free(f);
        evbuffer_drain(in, total);
    }
}

static void fl_link_event_cb(struct bufferevent *bev, short what, void *arg) {
    fl_coordlink_t *link = arg;
    FL_UNUSED(bev);
    if (what & BEV_EVENT_CONNECTED) {
        link->connected = true;
        link->backoff_ms = 100;
        fl_log_info("coordlink", "connected to coordinator %s:%d", link->host, link->port);
        link->warned = true; /* log the registration when its answer arrives */
        fl_link_heartbeat(link);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        int err = EVUTIL_SOCKET_ERROR();
        fl_link_down(link, (what & BEV_EVENT_EOF) ? "connection closed"
                                                  : evutil_socket_error_to_string(err));
    }
}

static void fl_link_connect(fl_coordlink_t *link) {
    fl_server_t *srv = link->srv;
    link->bev = bufferevent_socket_new(srv->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(link->bev, fl_link_read_cb, NULL, fl_link_event_cb, link);
    bufferevent_enable(link->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect_hostname(link->bev, NULL, AF_UNSPEC, link->host, link->port))
        fl_link_down(link, "connect failed");
}

fl_coordlink_t *fl_coordlink_new(fl_server_t *srv, const char *address, int64_t interval_ms,
                                 const char **why) {
    static __thread char msg[300];
    const char *colon = strrchr(address, ':');
    if (!colon || colon == address || !colon[1]) {
        snprintf(msg, sizeof(msg), "server.coordinator-address '%s' is not host:port", address);
        *why = msg;
        return NULL;
    }
    fl_coordlink_t *link = fl_calloc(1, sizeof(*link));
    link->srv = srv;
    size_t hl = (size_t)(colon - address);
    if (address[0] == '[' && hl >= 2 && address[hl - 1] == ']') {
        memcpy(link->host, address + 1, FL_MIN(hl - 2, sizeof(link->host) - 1));
    } else {
        memcpy(link->host, address, FL_MIN(hl, sizeof(link->host) - 1));
    }
    link->port = atoi(colon + 1);
    link->backoff_ms = 100;
    link->interval_ms = interval_ms;
    link->start_ms = fl_now_ms();
    link->hb_timer = event_new(srv->base, -1, EV_PERSIST, fl_link_hb_cb, link);
    link->retry_timer = evtimer_new(srv->base, fl_link_retry_cb, link);
    struct timeval tv = {(time_t)(interval_ms / 1000), (suseconds_t)((interval_ms % 1000) * 1000)};
    evtimer_add(link->hb_timer, &tv);
    fl_link_connect(link);
    return link;
}

bool fl_coordlink_forward(fl_coordlink_t *link, fl_req_t *req, const uint8_t *body,
                          size_t body_len) {
    if (!link || !link->connected) return false;
    fl_link_send(link, req->hdr.api_key, req->hdr.api_version, req, body, body_len);
    return true;
}

void fl_coordlink_free(fl_coordlink_t *link) {
    if (!link) return;
    if (link->bev) bufferevent_free(link->bev);
    fl_link_fail_pending(link, "The tablet server is shutting down.");
    fl_link_release(link, INT64_MAX);
    event_free(link->hb_timer);
    event_free(link->retry_timer);
    fl_free(link);
}
