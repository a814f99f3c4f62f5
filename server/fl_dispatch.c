/* fl_dispatch.c: one complete frame in, one handler call (or one error response) out.
 *
 * Checks, in order, each answered with ERROR_RESPONSE on the same request id, the connection
 * staying open (the frame itself was well delimited):
 *   1. api_key unknown to Fluss 0.9.1, or not served by this process's roles
 *        -> UNSUPPORTED_VERSION (2). (The Java server drops such requests unanswered, which
 *           hangs its clients; fluss-rpc.md 1.3 recommends answering.)
 *   2. api_version outside the served range -> UNSUPPORTED_VERSION (2).
 *   3. body that is not valid protobuf or lacks a required field -> CORRUPT_MESSAGE (3), with
 *      a message that names the bad byte offset or the missing field.
 * Every rejection is logged at WARN with the connection, the API and the reason. */
#include <stdio.h>
#include <string.h>

#include "fl_internal.pb-c.h"

#include "fl_server_int.h"

/* The handler table: which APIs this server implements. ApiVersions is generated from it. */
typedef struct fl_handler_entry_s {
    int16_t key;
    fl_handler_cb *cb;
    bool needs_catalog; /* served only where the catalog lives (coordinator, local) */
} fl_handler_entry_t;

static const fl_handler_entry_t fl_handlers[] = {
    {FL_API_API_VERSIONS, fl_rpc_api_versions, false},
    {FL_API_GET_METADATA, fl_rpc_get_metadata, true},
    {FL_API_CREATE_DATABASE, fl_rpc_create_database, true},
    {FL_API_DROP_DATABASE, fl_rpc_drop_database, true},
    {FL_API_LIST_DATABASES, fl_rpc_list_databases, true},
    {FL_API_DATABASE_EXISTS, fl_rpc_database_exists, true},
    {FL_API_GET_DATABASE_INFO, fl_rpc_get_database_info, true},
    {FL_API_CREATE_TABLE, fl_rpc_create_table, true},
    {FL_API_DROP_TABLE, fl_rpc_drop_table, true},
    {FL_API_GET_TABLE_INFO, fl_rpc_get_table_info, true},
    {FL_API_LIST_TABLES, fl_rpc_list_tables, true},
    {FL_API_TABLE_EXISTS, fl_rpc_table_exists, true},
    {FL_API_GET_TABLE_SCHEMA, fl_rpc_get_table_schema, true},
    {FL_API_ALTER_TABLE, fl_rpc_alter_table, true},
    {FL_API_CREATE_PARTITION, fl_rpc_create_partition, true},
    {FL_API_DROP_PARTITION, fl_rpc_drop_partition, true},
    {FL_API_LIST_PARTITION_INFOS, fl_rpc_list_partition_infos, true},
    {FL_API_GET_FILESYSTEM_SECURITY_TOKEN, fl_rpc_fs_token, false},
    {FL_API_INIT_WRITER, fl_rpc_init_writer, false},
    {FL_API_PRODUCE_LOG, fl_rpc_produce_log, false},
    {FL_API_FETCH_LOG, fl_rpc_fetch_log, false},
    {FL_API_LIST_OFFSETS, fl_rpc_list_offsets, false},
    {FL_API_PUT_KV, fl_rpc_put_kv, false},
    {FL_API_LOOKUP, fl_rpc_lookup, false},
    {FL_API_PREFIX_LOOKUP, fl_rpc_prefix_lookup, false},
    {FL_API_LIMIT_SCAN, fl_rpc_limit_scan, false},
    {FL_API_ACQUIRE_KV_SNAPSHOT_LEASE, fl_rpc_acquire_kv_snapshot_lease, false},
    {FL_API_RELEASE_KV_SNAPSHOT_LEASE, fl_rpc_release_kv_snapshot_lease, false},
    {FL_API_DROP_KV_SNAPSHOT_LEASE, fl_rpc_drop_kv_snapshot_lease, false},
    {FL_API_GET_LATEST_KV_SNAPSHOTS, fl_rpc_kv_snapshots, true},
    {FL_API_GET_LAKE_SNAPSHOT, fl_rpc_get_lake_snapshot, true},
    {FL_API_LAKE_TIERING_HEARTBEAT, fl_rpc_lake_tiering_heartbeat, true},
    {FL_API_PREPARE_LAKE_TABLE_SNAPSHOT, fl_rpc_prepare_lake_table_snapshot, true},
    {FL_API_COMMIT_LAKE_TABLE_SNAPSHOT, fl_rpc_commit_lake_table_snapshot, true},
};

/* A tablet-server process has no catalog: the APIs that both server types serve and that need
 * it are forwarded to the coordinator over the coordinator link. */
fl_handler_cb *fl_dispatch_handler(const fl_server_t *srv, int key) {
    const fl_api_t *api = fl_api_get(key);
    if (!api || !(api->roles & srv->roles)) return NULL;
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_handlers); i++) {
        if (fl_handlers[i].key != key) continue;
        if (!fl_handlers[i].needs_catalog || srv->catalog) return fl_handlers[i].cb;
        return srv->coordlink && api->roles == FL_ROLE_BOTH ? fl_rpc_forward : NULL;
    }
    return NULL;
}

/* Our own keys between fl-server processes (fl_internal.proto). */
typedef struct fl_internal_api_s {
    int16_t key;
    const char *name;
    const ProtobufCMessageDescriptor *request;
    fl_handler_cb *cb;
} fl_internal_api_t;

static const fl_internal_api_t fl_internal_apis[] = {
    {FL_API_INTERNAL_TS_HEARTBEAT, "TABLET_SERVER_HEARTBEAT",
     &flint__tablet_server_heartbeat_request__descriptor, fl_rpc_ts_heartbeat},
};

static const fl_internal_api_t *fl_internal_api(const fl_server_t *srv, int key) {
    if (!srv->catalog) return NULL; /* served by the coordinator only */
    for (size_t i = 0; i < FL_ARRAY_LEN(fl_internal_apis); i++)
        if (fl_internal_apis[i].key == key) return &fl_internal_apis[i];
    return NULL;
}

static const char *fl_role_str(unsigned roles) {
    switch (roles) {
    case FL_ROLE_CS: return "coordinator";
    case FL_ROLE_TS: return "tablet server";
    default: return "local server";
    }
}

static void fl_free_cb(void *p) {
    fl_free(p);
}

static void fl_dispatch_x(fl_conn_t *conn, const uint8_t *frame, size_t len, uint8_t *owned);

void fl_dispatch(fl_conn_t *conn, const uint8_t *frame, size_t len) {
    fl_dispatch_x(conn, frame, len, NULL);
}

void fl_dispatch_owned(fl_conn_t *conn, uint8_t *frame, size_t len) {
    fl_dispatch_x(conn, frame, len, frame);
}

static void fl_dispatch_x(fl_conn_t *conn, const uint8_t *frame, size_t len, uint8_t *owned) {
    fl_server_t *srv = conn->srv;
    fl_reader_t rd;
    fl_rd_init(&rd, frame, len);
    fl_req_header_t hdr;
    fl_frame_read_req_header(&rd, &hdr); /* length checked by the caller: cannot fail */
    const fl_api_t *api = fl_api_get(hdr.api_key);
    fl_handler_cb *cb = fl_dispatch_handler(srv, hdr.api_key);
    const fl_internal_api_t *iapi = NULL;
    fl_api_t internal;
    if (!cb && hdr.api_key >= FL_API_INTERNAL_MIN && (iapi = fl_internal_api(srv, hdr.api_key))) {
        memset(&internal, 0, sizeof(internal));
        internal.key = iapi->key;
        internal.name = iapi->name;
        internal.request = iapi->request;
        api = &internal;
        cb = iapi->cb;
    }
    char msg[256];
    if (!cb) {
        if (!api)
            snprintf(msg, sizeof(msg), "Unknown API key %d.", hdr.api_key);
        else
            snprintf(msg, sizeof(msg), "API %s (%d) is not served by this %s.", api->name,
                     hdr.api_key, fl_role_str(srv->roles));
        fl_log_warn("server", "connection %llu from %s: request %d: %s",
                    (unsigned long long)conn->id, conn->peer, hdr.request_id, msg);
        fl_conn_send_error(conn, hdr.request_id, FL_ERR_UNSUPPORTED_VERSION, msg);
        fl_free(owned);
        return;
    }
    if (hdr.api_version < api->min_version || hdr.api_version > api->max_version) {
        snprintf(msg, sizeof(msg), "API %s version %d is not supported; supported: %d to %d.",
                 api->name, hdr.api_version, api->min_version, api->max_version);
        fl_log_warn("server", "connection %llu from %s: request %d: %s",
                    (unsigned long long)conn->id, conn->peer, hdr.request_id, msg);
        fl_conn_send_error(conn, hdr.request_id, FL_ERR_UNSUPPORTED_VERSION, msg);
        fl_free(owned);
        return;
    }

    fl_arena_t *arena = fl_arena_new(0);
    if (owned) fl_arena_cleanup_add(arena, fl_free_cb, owned);
    fl_req_t *req = fl_arena_calloc(arena, sizeof(*req));
    req->conn = conn;
    req->arena = arena;
    req->hdr = hdr;
    req->api = api;
    req->start_us = fl_mono_us();
    const char *why = NULL;
    req->api = iapi ? NULL : api;
    req->raw = rd.p + rd.off;
    req->raw_len = fl_rd_remaining(&rd);
    req->body = NULL;
    if (owned && !iapi && hdr.api_key == FL_API_PRODUCE_LOG) /* records stay in the frame */
        req->body = fl_rpc_produce_log_decode(arena, req->raw, req->raw_len);
    if (!req->body) req->body = fl_pb_unpack(arena, api->request, req->raw, req->raw_len, &why);
    conn->inflight++;
    conn->refs++;
    if (!req->body) {
        fl_log_warn("server", "connection %llu from %s: %s request %d: bad body: %s",
                    (unsigned long long)conn->id, conn->peer, api->name, hdr.request_id, why);
        fl_req_fail(req, FL_ERR_CORRUPT_MESSAGE, "Invalid %s: %s.", api->request->short_name,
                    why);
        return;
    }
    cb(req);
}
