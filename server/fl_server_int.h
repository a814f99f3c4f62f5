/* fl_server_int.h: what server/ files share among themselves. Not included outside server/.
 *
 * Ownership: every structure here belongs to the event-loop thread (@owner: loop).
 *
 * Request life cycle (fl_conn.c):
 *   bytes arrive -> fl_conn_read_cb frames them -> fl_dispatch() checks key/version, decodes
 *   the body into the request arena -> handler -> fl_req_respond() or fl_req_fail() queues the
 *   response and destroys the request (and its arena). A handler may keep the request and
 *   answer later (long polls, acks=all); responses then go out in completion order, which
 *   clients allow (correlation is by request id only). */
#ifndef FL_SERVER_INT_H
#define FL_SERVER_INT_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_catalog.h"
#include "fl_cluster.h"
#include "fl_endpoint.h"
#include "fl_frame.h"
#include "fl_log.h"
#include "fl_pb.h"
#include "fl_server.h"
#include "fl_tablet.h"

typedef struct fl_conn_s fl_conn_t;
typedef struct fl_req_s fl_req_t;
typedef struct fl_listener_s fl_listener_t;
typedef struct fl_coordlink_s fl_coordlink_t;

struct fl_listener_s {
    fl_server_t *srv;
    struct evconnlistener *lev;
    fl_endpoint_t bind;       /* as configured; port filled in after binding port 0 */
    fl_endpoint_t advertised; /* what clients are told for this listener */
};

struct fl_conn_s {
    fl_server_t *srv;
    fl_listener_t *lis;
    struct bufferevent *bev; /* NULL once closed */
    uint64_t id;
    char peer[64];           /* "ip:port" */
    int inflight;            /* requests handed to handlers, not yet answered */
    int refs;                /* 1 while open + 1 per in-flight request */
    bool close_after_flush;  /* close when output drains and nothing is in flight */
    bool read_paused;        /* reading disabled for backpressure */
    int64_t frames;          /* requests read */
    fl_conn_t *prev, *next;  /* srv->conns */
    /* a large frame read straight from the socket into its own buffer (fl_conn.c) */
    uint8_t *big;            /* the whole frame, prefix included; NULL when none */
    size_t big_len, big_have;
    struct event *big_ev;    /* EV_READ on the socket while big fills (the bufferevent's
                              * reading is disabled meanwhile) */
};

struct fl_req_s {
    fl_conn_t *conn;
    fl_arena_t *arena;
    fl_req_header_t hdr;
    const fl_api_t *api;
    ProtobufCMessage *body; /* decoded request, in arena */
    const uint8_t *raw;     /* the encoded body: valid only during the handler call */
    size_t raw_len;
    int64_t start_us;
    bool meta_waited;       /* tablet-server process: already waited once for table metadata */
};

typedef struct fl_server_opts_s {
    int32_t max_frame;        /* netty.server.max-request-size, bytes */
    int64_t idle_ms;          /* netty.connection.max-idle-time */
    int64_t max_conns;        /* server.max-connections */
    int64_t max_inflight;     /* server.max-inflight-requests-per-connection */
    int64_t out_high;         /* stop reading while a connection's output exceeds this */
    int64_t shutdown_ms;      /* server.shutdown-timeout */
    int64_t heartbeat_ms;     /* server.heartbeat-interval (tablet -> coordinator) */
    int64_t heartbeat_timeout_ms; /* server.heartbeat-timeout (coordinator marks dead) */
} fl_server_opts_t;

typedef void (fl_before_sleep_cb)(fl_server_t *srv, void *arg);

struct fl_server_s {
    fl_config_t *conf;            /* not owned */
    unsigned roles;               /* FL_ROLE_* */
    fl_server_opts_t opts;
    struct event_base *base;
    fl_listener_t listeners[FL_MAX_ENDPOINTS];
    int n_listeners;
    int32_t tablet_id;            /* tablet-server.id, -1 when not a tablet server */
    char rack[64];
    fl_cluster_t *cluster;        /* membership (coordinator role), owned */
    fl_metastore_t *ms;           /* metadata store (coordinator role), owned */
    fl_catalog_t *catalog;        /* databases/tables/partitions (coordinator role), owned */
    fl_catalog_opts_t cat_opts;   /* the catalog's options (coordinator role); datalake_format
                                   * points at lake_format */
    struct event *auto_partition_timer;
    struct event *liveness_timer; /* coordinator: marks silent tablet servers dead */
    fl_coordlink_t *coordlink;    /* tablet-server process: link to the coordinator */
    int64_t metadata_version;     /* grows on every metadata change */
    int64_t coordinator_epoch;    /* coordinator role: this process's start (ms), so that
                                   * tablet servers tell its metadata versions from an
                                   * earlier coordinator process's */
    struct fl_tablemeta_s *tablemeta; /* tablet-server process: tables with a replica here,
                                   * from the coordinator (fl_tablemeta.h), owned */
    fl_tablet_t *tablet;          /* buckets this process hosts (tablet role), owned */
    fl_kvenv_t *kvenv;            /* RocksDB resources shared by primary-key buckets, owned */
    struct fl_produce_s *pending_produce; /* produce responses waiting for a group commit */
    struct fl_fetch_s *parked_fetches;    /* long polls waiting for data */
    struct event *tick_timer;     /* wakes the loop each second for background flushes */
    struct event *io_wake;        /* the tablet's write-behind jobs finished (fl_tablet_io_fd) */
    /* lake tiering (local role with datalake.format set) */
    struct fl_tierer_s *tierer;
    struct fl_lake_sched_s *lake; /* per lake-enabled table */
    size_t n_lake;
    int lake_pipe[2];
    struct event *lake_timer, *lake_wake;
    char lake_format[16];         /* datalake.format, lower case ("" = none): every role */
    char lake_warehouse[1024];    /* datalake.<format>.warehouse (default <data.dir>/lake/<fmt>) */
    char data_dir[1024];          /* absolute data.dir */
    struct fl_tiermgr_s *tiermgr; /* lake tiering assignment (catalog roles), owned; made on
                                   * first use by fl_server_tiermgr (rpc_tiering.c) */
    int64_t auto_partition_ms;    /* auto-partition.check.interval */
    fl_conn_t *conns;             /* open connections */
    int64_t n_conns;
    uint64_t next_conn_id;
    struct event *sig_term, *sig_int, *shutdown_timer, *accept_retry;
    bool stopping;
    bool stop_loop;
    int64_t refused_conns;        /* over server.max-connections */
};

/* fl_conn.c */
void fl_conn_accept(fl_listener_t *lis, evutil_socket_t fd, const struct sockaddr *sa, int salen);
void fl_conn_close(fl_conn_t *conn, const char *reason);
void fl_conn_send(fl_conn_t *conn, const fl_buf_t *frame);
void fl_conn_send_error(fl_conn_t *conn, int32_t request_id, fl_err_t code, const char *msg);
void fl_server_maybe_finish(fl_server_t *srv);

/* Requests: every handler ends its request with exactly one of these. */
void fl_req_respond(fl_req_t *req, const ProtobufCMessage *resp);
void fl_req_fail(fl_req_t *req, fl_err_t code, const char *fmt, ...) FL_PRINTF(3, 4);
/* One piece of a response: memory (fd < 0) or a file range sent with sendfile. */
typedef struct fl_piece_s {
    const uint8_t *p;      /* memory piece */
    int fd;                /* file piece, or -1 */
    uint64_t off;
    uint64_t len;
    void (*release)(void *arg); /* file pieces: called when the range is no longer needed */
    void *release_arg;
} fl_piece_t;
/** @brief Answer with a frame made of pieces (they must add up to a whole frame). */
void fl_req_respond_pieces(fl_req_t *req, fl_piece_t *pieces, size_t n);
/** @brief Answer with a complete, already encoded response frame. */
void fl_req_finish_raw(fl_req_t *req, const fl_buf_t *frame);

/* fl_coordlink.c (tablet-server processes) */
fl_coordlink_t *fl_coordlink_new(fl_server_t *srv, const char *address, int64_t interval_ms,
                                 const char **why);
/** @brief Forward req to the coordinator; false when the link is down. */
bool fl_coordlink_forward(fl_coordlink_t *link, fl_req_t *req, const uint8_t *body, size_t len);
void fl_coordlink_free(fl_coordlink_t *link);
/** @brief Ask the coordinator for fresh table metadata now (a data request named a table or
 *  partition the cache does not know); at most one such heartbeat is in flight. */
void fl_coordlink_refresh(fl_coordlink_t *link);

/* fl_dispatch.c */
typedef void (fl_handler_cb)(fl_req_t *req);
/** @brief Route one complete frame (prefix included) read from conn. */
void fl_dispatch(fl_conn_t *conn, const uint8_t *frame, size_t len);
/** @brief fl_dispatch of a frame in its own fl_malloc'd buffer, which the request takes over
 *  (freed with its arena): decoders may then keep views into it (fl_rpc_produce_log_decode). */
void fl_dispatch_owned(fl_conn_t *conn, uint8_t *frame, size_t len);
/** @returns the handler for key in this server's roles, or NULL. */
fl_handler_cb *fl_dispatch_handler(const fl_server_t *srv, int key);

/* fl_coordlink.c: data requests naming tables this tablet-server process does not know yet
 * (just created, or the process just started) wait for the next heartbeat answer */
/** @brief Park req until a heartbeat sent from now on is answered (or the link drops), then
 *  run cb(req) again. @returns false (nothing parked) when the link is down. */
bool fl_coordlink_await(fl_coordlink_t *link, fl_req_t *req, fl_handler_cb *cb);
/** @brief Run every parked request's handler now (shutdown). */
void fl_coordlink_release(fl_coordlink_t *link);
/** @brief In a data handler of a tablet-server process: when the table metadata is not in yet
 *  or lacks one of the n table ids, park the request once (fl_coordlink_await) and return
 *  true; the handler returns and is called again when fresh metadata arrived. */
bool fl_server_await_tables(fl_req_t *req, fl_handler_cb *cb, const int64_t *ids, size_t n);

void fl_server_start_liveness(fl_server_t *srv);

/** @brief Metadata changed (tables, partitions, servers): tell whoever caches it. */
void fl_server_notify_metadata(fl_server_t *srv);

/* rpc_*.c handlers */
void fl_rpc_api_versions(fl_req_t *req);
void fl_rpc_get_metadata(fl_req_t *req);
void fl_rpc_create_database(fl_req_t *req);
void fl_rpc_drop_database(fl_req_t *req);
void fl_rpc_list_databases(fl_req_t *req);
void fl_rpc_database_exists(fl_req_t *req);
void fl_rpc_get_database_info(fl_req_t *req);
void fl_rpc_create_table(fl_req_t *req);
void fl_rpc_drop_table(fl_req_t *req);
void fl_rpc_get_table_info(fl_req_t *req);
void fl_rpc_list_tables(fl_req_t *req);
void fl_rpc_table_exists(fl_req_t *req);
void fl_rpc_get_table_schema(fl_req_t *req);
void fl_rpc_alter_table(fl_req_t *req);
void fl_rpc_create_partition(fl_req_t *req);
void fl_rpc_drop_partition(fl_req_t *req);
void fl_rpc_list_partition_infos(fl_req_t *req);
void fl_rpc_forward(fl_req_t *req);
void fl_rpc_init_writer(fl_req_t *req);
void fl_rpc_fs_token(fl_req_t *req);
void fl_rpc_produce_log(fl_req_t *req);
/** @brief Decode a ProduceLogRequest body with records as views into body (no copy), which
 *  must outlive the request. Only the plain encoding (each field once, no unknown fields) is
 *  taken; @returns NULL otherwise, and protobuf-c then decodes it (and explains errors). */
ProtobufCMessage *fl_rpc_produce_log_decode(fl_arena_t *arena, const uint8_t *body, size_t len);
void fl_rpc_fetch_log(fl_req_t *req);
void fl_rpc_list_offsets(fl_req_t *req);
void fl_rpc_put_kv(fl_req_t *req);
void fl_rpc_lookup(fl_req_t *req);
void fl_rpc_prefix_lookup(fl_req_t *req);
void fl_rpc_kv_snapshots(fl_req_t *req);
void fl_rpc_limit_scan(fl_req_t *req);
void fl_rpc_acquire_kv_snapshot_lease(fl_req_t *req);
void fl_rpc_release_kv_snapshot_lease(fl_req_t *req);
void fl_rpc_drop_kv_snapshot_lease(fl_req_t *req);
void fl_rpc_get_lake_snapshot(fl_req_t *req);
/* rpc_lake.c */
int fl_server_start_tiering(fl_server_t *srv);
void fl_server_stop_tiering(fl_server_t *srv);
/** @brief The coordinator's lake catalog (Fluss's LakeCatalog.createTable): create the lake
 *  table of db.name (desc with system defaults applied) in the cluster's datalake.format under
 *  its warehouse, or accept an existing one of the same layout. creating: CreateTable (the lake
 *  table must then hold no snapshot); else AlterTable enabling table.datalake.enabled.
 *  @returns FL_ERR_NONE (also for a format without a writer here, logged), or the Fluss error
 *  with *why (in a): LAKE_TABLE_ALREADY_EXIST, INVALID_TABLE_EXCEPTION, ... */
fl_err_t fl_server_lake_create(fl_server_t *srv, fl_arena_t *a, const char *db, const char *name,
                               const fl_table_desc_t *desc, bool creating, const char **why);
/* rpc_tiering.c: an external lake tiering service (Fluss's Flink tiering job) */
void fl_rpc_lake_tiering_heartbeat(fl_req_t *req);
void fl_rpc_prepare_lake_table_snapshot(fl_req_t *req);
void fl_rpc_commit_lake_table_snapshot(fl_req_t *req);
/** @returns the tiering assignment state (coordinator/fl_tiermgr.h), made on first use. */
struct fl_tiermgr_s *fl_server_tiermgr(fl_server_t *srv);

/* rpc_log.c */
/** @brief The replica this process leads for a bucket (opened on first use), or NULL with the
 *  Fluss error (UNKNOWN_TABLE_OR_BUCKET, NOT_LEADER_OR_FOLLOWER, LOG_STORAGE). */
fl_replica_t *fl_server_bucket(fl_req_t *req, int64_t table_id, bool has_partition,
                               int64_t partition_id, int32_t bucket, fl_err_t *err,
                               const char **why);
/* A write (ProduceLog or PutKv) waiting for the group commit: per bucket, the replica and the
 * log offset that must be committed before the response (msg) goes out; fail() records a
 * per-bucket error when a bucket's log fails meanwhile. Lives in the request arena. */
typedef struct fl_produce_s {
    fl_req_t *req;
    Fluss__ProduceLogResponse resp; /* ProduceLog's response */
    const ProtobufCMessage *msg;     /* the response to send */
    size_t n;                        /* buckets */
    fl_replica_t **replicas;         /* per bucket; NULL when nothing to wait for */
    int64_t *targets;
    void (*fail)(struct fl_produce_s *p, size_t i, fl_err_t code, const char *msg);
    void *arg;                       /* the typed response for fail() */
    struct fl_produce_s *next;
} fl_produce_t;
struct fl_produce_s *fl_write_wait_new(fl_req_t *req, size_t n);
void fl_write_wait_set(struct fl_produce_s *p, size_t i, fl_replica_t *r, int64_t target);
void fl_write_wait_add(fl_server_t *srv, struct fl_produce_s *p);
fl_replica_t *fl_server_bucket_open(fl_server_t *srv, fl_arena_t *arena, int64_t table_id,
                                    bool has_partition, int64_t partition_id, int32_t bucket,
                                    fl_err_t *err, const char **why);
void fl_server_table_kv_info(const fl_table_t *t, fl_tablet_table_info_t *info /* OUT */);
/** @brief Group commit, then answer produces and wake fetches (once per loop iteration). */
void fl_server_before_sleep(fl_server_t *srv);
/** @brief Answer everything waiting (shutdown). */
void fl_rpc_log_drain(fl_server_t *srv);
/** @brief Forget replicas of dropped tables/partitions in waiting requests. */
void fl_rpc_log_forget_dropped(fl_server_t *srv);
void fl_rpc_ts_heartbeat(fl_req_t *req);

#endif
