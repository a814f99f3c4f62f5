/* rpc_metadata.c: ApiVersions and GetMetadata (fluss-rpc.md 1.4 and 3.1). */
#include <string.h>

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

/* Bucket metadata of one table or partition: replicas from the stored assignment, the leader
 * is the first live replica (none when all are down: clients then refresh and retry). */
static Fluss__PbBucketMetadata **fl_pb_buckets(fl_req_t *req, const fl_assignment_t *as,
                                               int32_t n, size_t *count) {
    fl_server_t *srv = req->conn->srv;
    Fluss__PbBucketMetadata **out = fl_arena_alloc(req->arena, (size_t)(n + 1) * sizeof(void *));
    *count = 0;
    if (!as->replicas) return out;
    for (int32_t b = 0; b < n; b++) {
        Fluss__PbBucketMetadata *bm = fl_arena_alloc(req->arena, sizeof(*bm));
        fluss__pb_bucket_metadata__init(bm);
        bm->bucket_id = b;
        bm->n_replica_id = (size_t)as->rf;
        bm->replica_id = &as->replicas[b * as->rf];
        for (int32_t i = 0; i < as->rf; i++) {
            const fl_server_node_t *node = fl_cluster_tablet(srv->cluster, as->replicas[b * as->rf + i]);
            if (node && node->alive) {
                bm->has_leader_id = 1;
                bm->leader_id = node->id;
                bm->has_leader_epoch = 1;
                bm->leader_epoch = 0;
                break;
            }
        }
        out[(*count)++] = bm;
    }
    return out;
}

static Fluss__PbTableMetadata *fl_pb_table_meta(fl_req_t *req, const fl_table_t *t) {
    fl_server_t *srv = req->conn->srv;
    Fluss__PbTableMetadata *tm = fl_arena_alloc(req->arena, sizeof(*tm));
    fluss__pb_table_metadata__init(tm);
    tm->table_path = fl_arena_alloc(req->arena, sizeof(*tm->table_path));
    fluss__pb_table_path__init(tm->table_path);
    tm->table_path->database_name = (char *)t->db;
    tm->table_path->table_name = (char *)t->name;
    tm->table_id = t->id;
    tm->schema_id = t->schema_id;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_catalog_table_json(srv->catalog, srv->conf, t, &b);
    tm->table_json.data = fl_arena_alloc(req->arena, b.len);
    memcpy(tm->table_json.data, b.p, b.len);
    tm->table_json.len = b.len;
    fl_buf_free(&b);
    tm->created_time = t->created_ms;
    tm->modified_time = t->modified_ms;
    if (t->desc.partition_keys.n == 0)
        tm->bucket_metadata = fl_pb_buckets(req, &t->assign, t->desc.bucket_count, &tm->n_bucket_metadata);
    return tm;
}

static Fluss__PbPartitionMetadata *fl_pb_part_meta(fl_req_t *req, const fl_table_t *t,
                                                   const fl_partition_t *p) {
    Fluss__PbPartitionMetadata *pm = fl_arena_alloc(req->arena, sizeof(*pm));
    fluss__pb_partition_metadata__init(pm);
    pm->table_id = t->id;
    pm->partition_name = (char *)p->name;
    pm->partition_id = p->id;
    pm->bucket_metadata = fl_pb_buckets(req, &p->assign, t->desc.bucket_count, &pm->n_bucket_metadata);
    return pm;
}

/* Adds t to the response's tables once. */
static void fl_meta_add_table(fl_req_t *req, Fluss__MetadataResponse *resp, const fl_table_t *t,
                              size_t cap) {
    for (size_t i = 0; i < resp->n_table_metadata; i++)
        if (resp->table_metadata[i]->table_id == t->id) return;
    if (resp->n_table_metadata < cap) resp->table_metadata[resp->n_table_metadata++] = fl_pb_table_meta(req, t);
}

/* GetMetadata: host and port of every node are those of the listener the request arrived on
 * (RpcServiceBase#processMetadataRequest). Requested tables come with their bucket leaders;
 * requested partitions (by path or id) with theirs, plus their table. Unknown table ->
 * TABLE_NOT_EXIST (7); unknown partition -> PARTITION_NOT_EXISTS (36), which the writer's
 * dynamic partition creation relies on. */
void fl_rpc_get_metadata(fl_req_t *req) {
    fl_server_t *srv = req->conn->srv;
    const Fluss__MetadataRequest *mr = (const Fluss__MetadataRequest *)req->body;
    Fluss__MetadataResponse resp = FLUSS__METADATA_RESPONSE__INIT;
    size_t cap = mr->n_table_path + mr->n_partitions_path + mr->n_partitions_id + 1;
    resp.table_metadata = fl_arena_alloc(req->arena, cap * sizeof(void *));
    resp.partition_metadata = fl_arena_alloc(req->arena, cap * sizeof(void *));
    if ((mr->n_table_path || mr->n_partitions_path || mr->n_partitions_id) && !srv->catalog) {
        fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "This server has no table metadata.");
        return;
    }
    for (size_t i = 0; i < mr->n_table_path; i++) {
        const Fluss__PbTablePath *tp = mr->table_path[i];
        const fl_table_t *t = fl_catalog_table(srv->catalog, tp->database_name, tp->table_name);
        if (!t) {
            fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.",
                        tp->database_name, tp->table_name);
            return;
        }
        fl_meta_add_table(req, &resp, t, cap);
    }
    for (size_t i = 0; i < mr->n_partitions_path; i++) {
        const Fluss__PbPhysicalTablePath *pp = mr->partitions_path[i];
        const fl_table_t *t = fl_catalog_table(srv->catalog, pp->database_name, pp->table_name);
        if (!t) {
            fl_req_fail(req, FL_ERR_TABLE_NOT_EXIST, "Table '%s.%s' does not exist.",
                        pp->database_name, pp->table_name);
            return;
        }
        const fl_partition_t *p = pp->partition_name ? fl_catalog_partition(t, pp->partition_name) : NULL;
        if (!p) {
            fl_req_fail(req, FL_ERR_PARTITION_NOT_EXISTS,
                        "Table partition '%s.%s(p=%s)' does not exist.", pp->database_name,
                        pp->table_name, pp->partition_name ? pp->partition_name : "");
            return;
        }
        fl_meta_add_table(req, &resp, t, cap);
        resp.partition_metadata[resp.n_partition_metadata++] = fl_pb_part_meta(req, t, p);
    }
    for (size_t i = 0; i < mr->n_partitions_id; i++) {
        const fl_table_t *t = NULL;
        const fl_partition_t *p = fl_catalog_partition_by_id(srv->catalog, mr->partitions_id[i], &t);
        if (!p) {
            fl_req_fail(req, FL_ERR_PARTITION_NOT_EXISTS,
                        "The partition id '%lld' does not exist or you don't have permission to "
                        "access it.",
                        (long long)mr->partitions_id[i]);
            return;
        }
        fl_meta_add_table(req, &resp, t, cap);
        resp.partition_metadata[resp.n_partition_metadata++] = fl_pb_part_meta(req, t, p);
    }
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
