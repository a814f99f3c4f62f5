/* rpc_metadata.c: ApiVersions and GetMetadata (fluss-rpc.md 1.4 and 3.1). */
#include "fl_server_int.h"

/* ApiVersions lists exactly the APIs this process has a handler for, with the version range
 * from fl_apis.def. server_type: a process serving both roles on one port omits it (the Java
 * client then skips its type check on both the coordinator and the tablet-server connection
 * it opens to that port); a single-role process sets 1 (coordinator) or 2 (tablet server). */
void fl_rpc_api_versions(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    Fluss__ApiVersionsResponse resp = FLUSS__API_VERSIONS_RESPONSE__INIT;
    size_t n = 0;
    Fluss__PbApiVersion **vs =
        fl_arena_alloc(req->arena, sizeof(*vs) * (FL_API_KEY_MAX - FL_API_KEY_MIN + 1));
    for (int key = FL_API_KEY_MIN; key <= FL_API_KEY_MAX; key++) {
        if (!fl_dispatch_handler(srv, key)) continue;
        const fl_api_t *api = fl_api_get(key);
        Fluss__PbApiVersion *v = fl_arena_alloc(req->arena, sizeof(*v));
        fluss__pb_api_version__init(v);
        v->api_key = key;
        v->min_version = api->min_version;
        v->max_version = api->max_version;
        vs[n++] = v;
    }
    resp.n_api_versions = n;
    resp.api_versions = vs;
    if (srv->roles == FL_ROLE_CS) {
        resp.has_server_type = 1;
        resp.server_type = FL_SERVER_TYPE_COORDINATOR;
    } else if (srv->roles == FL_ROLE_TS) {
        resp.has_server_type = 1;
        resp.server_type = FL_SERVER_TYPE_TABLET_SERVER;
    }
    fl_req_respond(req, &resp.base);
}

static Fluss__PbServerNode *fl_pb_server_node(fl_req_t *req, const fl_server_node_t *node) {
    const fl_endpoint_t *ep = fl_node_endpoint(node, req->conn->lis->bind.name);
    if (!ep) return NULL;
    Fluss__PbServerNode *pb = fl_arena_alloc(req->arena, sizeof(*pb));
    fluss__pb_server_node__init(pb);
    pb->node_id = node->id;
    pb->host = (char *)ep->host;
    pb->port = ep->port;
    if (node->rack[0]) pb->rack = (char *)node->rack;
    return pb;
}

/* GetMetadata: host and port of every node are those of the listener the request arrived on
 * (RpcServiceBase#processMetadataRequest). Tables and partitions come with the coordinator
 * issue; until then a request naming a table answers TABLE_NOT_EXIST, as Fluss does for a table
 * it does not know. */
void fl_rpc_get_metadata(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__MetadataRequest *mr = (const Fluss__MetadataRequest *)req->body;
    if (mr->n_table_path > 0) {
        fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.",
                    mr->table_path[0]->database_name, mr->table_path[0]->table_name);
        return;
    }
    if (mr->n_partitions_path > 0 || mr->n_partitions_id > 0) {
        fl_req_fail(req, FL_ERR_PARTITION_NOT_EXISTS, "The partition does not exist.");
        return;
    }
    Fluss__MetadataResponse resp = FLUSS__METADATA_RESPONSE__INIT;
    const fl_server_node_t *cs = fl_cluster_coordinator(srv->cluster);
    if (cs) resp.coordinator_server = fl_pb_server_node(req, cs);
    size_t n = fl_cluster_tablet_count(srv->cluster);
    resp.tablet_servers = fl_arena_alloc(req->arena, sizeof(*resp.tablet_servers) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        const fl_server_node_t *ts = fl_cluster_tablet_at(srv->cluster, i);
        if (!ts->alive) continue;
        Fluss__PbServerNode *pb = fl_pb_server_node(req, ts);
        if (pb) resp.tablet_servers[resp.n_tablet_servers++] = pb;
    }
    fl_req_respond(req, &resp.base);
}
