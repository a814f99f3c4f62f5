/* fl_cluster.c: see fl_cluster.h. Tablet servers are few; a sorted array suffices. */
#include "fl_cluster.h"

#include <stdio.h>
#include <string.h>

struct fl_cluster_s {
    bool has_coordinator;
    fl_server_node_t coordinator;
    fl_server_node_t *tablets; /* sorted by id */
    size_t n_tablets, cap;
};

fl_cluster_t *fl_cluster_new(void) {
    return fl_calloc(1, sizeof(fl_cluster_t));
}

void fl_cluster_free(fl_cluster_t *cluster) {
    if (!cluster) return;
    fl_free(cluster->tablets);
    fl_free(cluster);
}

static void fl_node_set_eps(fl_server_node_t *node, const fl_endpoint_t *eps, int n) {
    if (n > FL_MAX_ENDPOINTS) n = FL_MAX_ENDPOINTS;
    memcpy(node->eps, eps, (size_t)n * sizeof(*eps));
    node->n_eps = n;
}

void fl_cluster_set_coordinator(fl_cluster_t *cluster, const fl_endpoint_t *eps, int n) {
    memset(&cluster->coordinator, 0, sizeof(cluster->coordinator));
    cluster->coordinator.id = 0;
    fl_node_set_eps(&cluster->coordinator, eps, n);
    cluster->coordinator.alive = true;
    cluster->has_coordinator = true;
}

const fl_server_node_t *fl_cluster_coordinator(const fl_cluster_t *cluster) {
    return cluster->has_coordinator ? &cluster->coordinator : NULL;
}

fl_err_t fl_cluster_register_tablet(fl_cluster_t *cluster, int32_t id, const fl_endpoint_t *eps,
                                    int n, const char *rack, int64_t now_ms) {
    if (id < 0) return FL_ERR__INVAL;
    size_t i = 0;
    while (i < cluster->n_tablets && cluster->tablets[i].id < id) i++;
    if (i == cluster->n_tablets || cluster->tablets[i].id != id) {
        if (cluster->n_tablets == cluster->cap) {
            cluster->cap = cluster->cap ? cluster->cap * 2 : 4;
            cluster->tablets = fl_realloc(cluster->tablets, cluster->cap * sizeof(fl_server_node_t));
        }
        memmove(&cluster->tablets[i + 1], &cluster->tablets[i],
                (cluster->n_tablets - i) * sizeof(fl_server_node_t));
        cluster->n_tablets++;
        memset(&cluster->tablets[i], 0, sizeof(fl_server_node_t));
        cluster->tablets[i].id = id;
        cluster->tablets[i].registered_ms = now_ms;
    }
    fl_server_node_t *node = &cluster->tablets[i];
    fl_node_set_eps(node, eps, n);
    snprintf(node->rack, sizeof(node->rack), "%s", rack ? rack : "");
    node->alive = true;
    node->last_heartbeat_ms = now_ms;
    return FL_ERR_NONE;
}

void fl_cluster_mark_dead(fl_cluster_t *cluster, int32_t id) {
    for (size_t i = 0; i < cluster->n_tablets; i++)
        if (cluster->tablets[i].id == id) cluster->tablets[i].alive = false;
}

size_t fl_cluster_tablet_count(const fl_cluster_t *cluster) {
    return cluster->n_tablets;
}

const fl_server_node_t *fl_cluster_tablet_at(const fl_cluster_t *cluster, size_t i) {
    return i < cluster->n_tablets ? &cluster->tablets[i] : NULL;
}

const fl_server_node_t *fl_cluster_tablet(const fl_cluster_t *cluster, int32_t id) {
    for (size_t i = 0; i < cluster->n_tablets; i++)
        if (cluster->tablets[i].id == id) return &cluster->tablets[i];
    return NULL;
}

const fl_endpoint_t *fl_node_endpoint(const fl_server_node_t *node, const char *listener) {
    const fl_endpoint_t *ep = fl_endpoints_find(node->eps, node->n_eps, listener);
    return ep ? ep : (node->n_eps ? &node->eps[0] : NULL);
}
