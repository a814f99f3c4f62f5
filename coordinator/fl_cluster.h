/* fl_cluster.h: cluster membership as the coordinator tracks it: the coordinator node and the
 * tablet servers with their listeners, rack and liveness.
 *
 * Owner: the event-loop thread of the process that runs the coordinator role. */
#ifndef FL_CLUSTER_H
#define FL_CLUSTER_H

#include "fl_base.h"
#include "fl_endpoint.h"

typedef struct fl_server_node_s {
    int32_t id;                         /* tablet-server.id; 0 for the coordinator */
    fl_endpoint_t eps[FL_MAX_ENDPOINTS]; /* advertised listeners */
    int n_eps;
    char rack[64];                      /* "" when not given */
    bool alive;
    int64_t registered_ms;              /* wall clock of registration */
    int64_t last_heartbeat_ms;          /* wall clock of the last sign of life */
} fl_server_node_t;

typedef struct fl_cluster_s fl_cluster_t;

fl_cluster_t *fl_cluster_new(void);
void fl_cluster_free(fl_cluster_t *cluster);

/** @brief Record the coordinator's advertised listeners (its id is always 0 in 0.9.1). */
void fl_cluster_set_coordinator(fl_cluster_t *cluster, const fl_endpoint_t *eps, int n);
/** @returns the coordinator node, or NULL when none is known. */
const fl_server_node_t *fl_cluster_coordinator(const fl_cluster_t *cluster);

/** @brief Register (or re-register) tablet server id; it is alive from now on.
 *  @returns FL_ERR_NONE, or FL_ERR__INVAL for a negative id. */
fl_err_t fl_cluster_register_tablet(fl_cluster_t *cluster, int32_t id, const fl_endpoint_t *eps,
                                    int n, const char *rack, int64_t now_ms);
/** @brief Mark tablet server id dead (it stays known; a heartbeat revives it). */
void fl_cluster_mark_dead(fl_cluster_t *cluster, int32_t id);
/** @returns the number of tablet servers known (alive or not). */
size_t fl_cluster_tablet_count(const fl_cluster_t *cluster);
/** @returns tablet server i (0 <= i < count), in ascending id order. */
const fl_server_node_t *fl_cluster_tablet_at(const fl_cluster_t *cluster, size_t i);
/** @returns the tablet server with this id, or NULL. */
const fl_server_node_t *fl_cluster_tablet(const fl_cluster_t *cluster, int32_t id);

/** @brief Find the endpoint of node for a request that arrived on listener `listener`:
 *  the node's endpoint of that name, else its first one. @returns NULL if it has none. */
const fl_endpoint_t *fl_node_endpoint(const fl_server_node_t *node, const char *listener);

#endif
