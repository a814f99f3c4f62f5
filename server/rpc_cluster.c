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

/* The leader of every bucket as metadata responses name it: the first live replica, or -1. */
static int32_t *fl_hb_leaders(fl_req_t *req, const fl_assignment_t *as, int32_t buckets) {
    fl_server_t *srv = req->conn->srv;
    int32_t *leaders = fl_arena_alloc(req->arena, ((size_t)buckets + 1) * sizeof(int32_t));
    for (int32_t b = 0; b < buckets; b++) {
        leaders[b] = -1;
        for (int32_t i = 0; i < as->rf; i++) {
            const fl_server_node_t *node =
                fl_cluster_tablet(srv->cluster, as->replicas[b * as->rf + i]);
            if (node && node->alive) {
                leaders[b] = node->id;
                break;
            }
        }
    }
    return leaders;
}

static bool fl_hb_assigned(const fl_assignment_t *as, int32_t buckets, int32_t id) {
    if (!as->replicas) return false;
    for (size_t i = 0; i < (size_t)buckets * (size_t)as->rf; i++)
        if (as->replicas[i] == id) return true;
    return false;
}

static Flint__TabletBucketAssignment *fl_hb_assignment(fl_req_t *req, const fl_assignment_t *as,
                                                       int32_t buckets) {
    Flint__TabletBucketAssignment *pb = fl_arena_alloc(req->arena, sizeof(*pb));
    flint__tablet_bucket_assignment__init(pb);
    pb->replication_factor = as->rf;
    pb->n_replicas = (size_t)buckets * (size_t)as->rf;
    pb->replicas = as->replicas;
    pb->n_leaders = (size_t)buckets;
    pb->leaders = fl_hb_leaders(req, as, buckets);
    return pb;
}

/* Every table (and partition) with a replica on tablet server id, for its table cache
 * (server/fl_tablemeta.h): descriptor as stored, replica lists and current leaders. */
static void fl_hb_tables(fl_req_t *req, int32_t id, Flint__TabletServerHeartbeatResponse *resp) {
    fl_server_t *srv = req->conn->srv;
    size_t cap = 16;
    resp->tables = fl_arena_alloc(req->arena, cap * sizeof(void *));
    resp->has_tables_included = 1;
    resp->tables_included = 1;
    for (size_t d = 0; d < fl_catalog_database_count(srv->catalog); d++) {
        const fl_database_t *db = fl_catalog_database_at(srv->catalog, d);
        const fl_table_t *t;
        for (size_t i = 0; (t = fl_catalog_table_in(srv->catalog, db->name, i)); i++) {
            int32_t nb = t->desc.bucket_count;
            Flint__TabletBucketAssignment **as =
                fl_arena_alloc(req->arena, (t->n_parts + 1) * sizeof(void *));
            size_t n_as = 0;
            if (!t->desc.partition_keys.n) {
                if (fl_hb_assigned(&t->assign, nb, id))
                    as[n_as++] = fl_hb_assignment(req, &t->assign, nb);
            } else {
                for (size_t p = 0; p < t->n_parts; p++) {
                    if (!fl_hb_assigned(&t->parts[p].assign, nb, id)) continue;
                    Flint__TabletBucketAssignment *pb =
                        fl_hb_assignment(req, &t->parts[p].assign, nb);
                    pb->has_partition_id = 1;
                    pb->partition_id = t->parts[p].id;
                    pb->partition_name = (char *)t->parts[p].name;
                    as[n_as++] = pb;
                }
            }
            if (!n_as) continue;
            Flint__TabletTableMetadata *tm = fl_arena_alloc(req->arena, sizeof(*tm));
            flint__tablet_table_metadata__init(tm);
            tm->table_id = t->id;
            tm->database_name = (char *)t->db;
            tm->table_name = (char *)t->name;
            tm->schema_id = t->schema_id;
            fl_buf_t b;
            fl_buf_init(&b);
            fl_table_desc_write(&t->desc, &b);
            tm->descriptor.data = fl_arena_alloc(req->arena, b.len + 1);
            memcpy(tm->descriptor.data, b.p, b.len);
            tm->descriptor.len = b.len;
            fl_buf_free(&b);
            tm->assignments = as;
            tm->n_assignments = n_as;
            if (resp->n_tables == cap) {
                Flint__TabletTableMetadata **grown =
                    fl_arena_alloc(req->arena, 2 * cap * sizeof(void *));
                memcpy(grown, resp->tables, cap * sizeof(void *));
                resp->tables = grown;
                cap *= 2;
            }
            resp->tables[resp->n_tables++] = tm;
        }
    }
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
    resp.has_coordinator_epoch = 1;
    resp.coordinator_epoch = srv->coordinator_epoch;
    /* the tables again only when the tablet server's copy is not the current one */
    if (!r->has_known_metadata_version || !r->has_known_coordinator_epoch ||
        r->known_metadata_version != srv->metadata_version ||
        r->known_coordinator_epoch != srv->coordinator_epoch)
        fl_hb_tables(req, r->tablet_server_id, &resp);
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
