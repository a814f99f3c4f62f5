/* rpc_cluster.c: membership between fl-server processes: the tablet-server heartbeat (served
 * by the coordinator), the liveness check that marks silent tablet servers dead, and the
 * forwarding of catalog reads from tablet-server processes to the coordinator. */
#include <stdio.h>
#include <string.h>

#include "fl_internal.pb-c.h"
#include "fl_server_int.h"

void fl_rpc_forward(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    if (!fl_coordlink_forward(srv->coordlink, req, req->raw, req->raw_len))
        fl_req_fail(req, FL_ERR_NETWORK_EXCEPTION,
                    "This tablet server is not connected to its coordinator yet.");
}

void fl_rpc_ts_heartbeat(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Flint__TabletServerHeartbeatRequest *r =
        (const Flint__TabletServerHeartbeatRequest *)req->body;
    fl_endpoint_t eps[FL_MAX_ENDPOINTS];
    const char *why = NULL;
    int n = fl_endpoints_parse(r->listeners, eps, FL_MAX_ENDPOINTS, &why);
    if (n < 0) {
        fl_req_fail(req, FL_ERR_INVALID_CONFIG_EXCEPTION, "Bad listeners of tablet server %d: %s",
                    r->tablet_server_id, why);
        return;
    }
    const fl_server_node_t *old = fl_cluster_tablet(srv->cluster, r->tablet_server_id);
    bool was_alive = old && old->alive;
    fl_err_t err = fl_cluster_register_tablet(srv->cluster, r->tablet_server_id, eps, n, r->rack,
                                              fl_now_ms());
    if (err) {
        fl_req_fail(req, FL_ERR_INVALID_CONFIG_EXCEPTION, "Bad tablet server id %d.",
                    r->tablet_server_id);
        return;
    }
    if (!was_alive) {
        fl_log_info("cluster", "tablet server %d registered (%s%s%s)", r->tablet_server_id,
                    r->listeners, r->rack ? ", rack " : "", r->rack ? r->rack : "");
        fl_server_notify_metadata(srv);
    }
    Flint__TabletServerHeartbeatResponse resp = FLINT__TABLET_SERVER_HEARTBEAT_RESPONSE__INIT;
    resp.metadata_version = srv->metadata_version;
    fl_req_respond(req, &resp.base);
}

/* Every quarter of the timeout: a tablet server (other than this process's own) whose last
 * heartbeat is older than server.heartbeat-timeout is marked dead; its buckets lose it as
 * leader (the next live replica leads, or none). */
static void fl_liveness_cb(evutil_socket_t fd, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    int64_t now = fl_now_ms();
    bool changed = false;
    size_t n = fl_cluster_tablet_count(srv->cluster);
    for (size_t i = 0; i < n; i++) {
        const fl_server_node_t *node = fl_cluster_tablet_at(srv->cluster, i);
        if (!node->alive || ((srv->roles & FL_ROLE_TS) && node->id == srv->tablet_id)) continue;
        int64_t silent = now - node->last_heartbeat_ms;
        if (silent > srv->opts.heartbeat_timeout_ms) {
            fl_cluster_mark_dead(srv->cluster, node->id);
            fl_log_warn("cluster",
                        "tablet server %d sent no heartbeat for %lld ms (server.heartbeat-timeout "
                        "%lld ms); marked dead",
                        node->id, (long long)silent, (long long)srv->opts.heartbeat_timeout_ms);
            changed = true;
        }
    }
    if (changed) fl_server_notify_metadata(srv);
}

void fl_server_start_liveness(fl_server_t *srv) {
    srv->liveness_timer = event_new(srv->base, -1, EV_PERSIST, fl_liveness_cb, srv);
    int64_t every = FL_MAX(srv->opts.heartbeat_timeout_ms / 4, 50);
    struct timeval tv = {(time_t)(every / 1000), (suseconds_t)((every % 1000) * 1000)};
    evtimer_add(srv->liveness_timer, &tv);
}
