/* fl_server.c: building the server from configuration, the listeners and the event loop.
 *
 * The loop (STYLE.md 10): while (!stop) { event_base_loop(EVLOOP_ONCE); before_sleep(); }.
 * before_sleep is where later layers persist what callbacks appended (group commit) before
 * responses are released.
 *
 * Shutdown on SIGTERM/SIGINT: listeners close at once, connections with nothing in flight
 * close once their output drains, and the loop ends when none is left or when
 * server.shutdown-timeout passes. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <strings.h>

#include <event2/buffer.h>

#include "fl_kvstore.h"
#include "fl_server_int.h"
#include "fl_tablemeta.h"
#include "fl_vfs.h"

static __thread char fl_srv_why[512];

static void fl_server_tick_cb(evutil_socket_t fd, short what, void *arg) {
    FL_UNUSED(fd);
    FL_UNUSED(what);
    FL_UNUSED(arg); /* waking the loop is the point: before_sleep runs after it */
}

static int fl_server_open_catalog(fl_server_t *srv, fl_config_t *conf, const char **why);
static int fl_server_open_tablet(fl_server_t *srv, fl_config_t *conf, const char **why);

static void fl_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                         int salen, void *arg) {
    FL_UNUSED(lev);
    fl_conn_accept(arg, fd, sa, salen);
}

static void fl_accept_retry_cb(evutil_socket_t fd, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    if (srv->stopping) return;
    for (int i = 0; i < srv->n_listeners; i++)
        if (srv->listeners[i].lev) evconnlistener_enable(srv->listeners[i].lev);
}

static void fl_accept_error_cb(struct evconnlistener *lev, void *arg) {
    fl_listener_t *lis = arg;
    int err = EVUTIL_SOCKET_ERROR();
    fl_log_error("server", "accept() failed on listener %s: %s; pausing accepts for 100 ms",
                 lis->bind.name, evutil_socket_error_to_string(err));
    evconnlistener_disable(lev);
    struct timeval tv = {0, 100000};
    evtimer_add(lis->srv->accept_retry, &tv);
}

/* Bind one listener; fills in the real port when the configured one is 0. */
static int fl_listener_bind(fl_server_t *srv, fl_listener_t *lis) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof(port), "%d", lis->bind.port);
    const char *host = lis->bind.host[0] ? lis->bind.host : NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(fl_srv_why, sizeof(fl_srv_why), "cannot resolve listener %s host '%s': %s",
                 lis->bind.name, lis->bind.host, gai_strerror(rc));
        return -1;
    }
    lis->lev = evconnlistener_new_bind(srv->base, fl_accept_cb, lis,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                           LEV_OPT_CLOSE_ON_EXEC,
                                       1024, res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (!lis->lev) {
        snprintf(fl_srv_why, sizeof(fl_srv_why), "cannot bind listener %s to %s:%d: %s",
                 lis->bind.name, lis->bind.host, lis->bind.port, strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(lis->lev, fl_accept_error_cb);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(evconnlistener_get_fd(lis->lev), (struct sockaddr *)&ss, &sl) == 0) {
        int p = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
        if (lis->bind.port == 0) lis->bind.port = p;
        if (lis->advertised.port == 0) lis->advertised.port = p;
    }
    return 0;
}

static void fl_signal_cb(evutil_socket_t sig, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(what);
    fl_log_info("server", "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    fl_server_stop(srv);
}

static void fl_shutdown_timer_cb(evutil_socket_t fd, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    fl_log_warn("server",
                "server.shutdown-timeout (%lld ms) passed with %lld connection(s) still busy; "
                "closing them",
                (long long)srv->opts.shutdown_ms, (long long)srv->n_conns);
    while (srv->conns) fl_conn_close(srv->conns, "shutdown timeout");
    srv->stop_loop = true;
}

void fl_server_maybe_finish(fl_server_t *srv) {
    if (srv->stopping && srv->n_conns == 0) srv->stop_loop = true;
}

void fl_server_stop(fl_server_t *srv) {
    if (srv->stopping) return;
    srv->stopping = true;
    fl_coordlink_release(srv->coordlink);
    fl_rpc_log_drain(srv);
    fl_server_stop_tiering(srv);
    for (int i = 0; i < srv->n_listeners; i++) {
        if (srv->listeners[i].lev) {
            evconnlistener_free(srv->listeners[i].lev);
            srv->listeners[i].lev = NULL;
        }
    }
    /* Connections with nothing in flight close once their output drains. */
    fl_conn_t *next;
    for (fl_conn_t *conn = srv->conns; conn; conn = next) {
        next = conn->next;
        conn->close_after_flush = true;
        if (conn->inflight == 0 &&
            evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
            fl_conn_close(conn, "shutdown");
        else
            bufferevent_disable(conn->bev, EV_READ);
    }
    struct timeval tv = {(time_t)(srv->opts.shutdown_ms / 1000),
                         (suseconds_t)((srv->opts.shutdown_ms % 1000) * 1000)};
    evtimer_add(srv->shutdown_timer, &tv);
    fl_server_maybe_finish(srv);
}

/* Lift the open-file limit to its hard maximum: every connection is a descriptor. */
static void fl_raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fl_log_warn("server", "setrlimit(RLIMIT_NOFILE) failed: %s", strerror(errno));
    }
}

#define FL_CONF_GET(fn, key, dflt, out)                                                        \
    do {                                                                                       \
        int64_t v_;                                                                            \
        if (fn(conf, key, dflt, &v_, why)) goto err;                                           \
        (out) = v_;                                                                            \
    } while (0)

static int fl_server_load_opts(fl_server_t *srv, fl_config_t *conf, const char **why) {
    int64_t max_frame;
    FL_CONF_GET(fl_config_get_size, "netty.server.max-request-size", 100LL << 20, max_frame);
    if (max_frame < 64 || max_frame > INT32_MAX) {
        snprintf(fl_srv_why, sizeof(fl_srv_why),
                 "netty.server.max-request-size must be between 64 bytes and 2gb");
        *why = fl_srv_why;
        return -1;
    }
    srv->opts.max_frame = (int32_t)max_frame;
    FL_CONF_GET(fl_config_get_duration, "netty.connection.max-idle-time", 600000,
                srv->opts.idle_ms);
    FL_CONF_GET(fl_config_get_int, "server.max-connections", 10000, srv->opts.max_conns);
    FL_CONF_GET(fl_config_get_int, "server.max-inflight-requests-per-connection", 500,
                srv->opts.max_inflight);
    FL_CONF_GET(fl_config_get_duration, "server.shutdown-timeout", 10000, srv->opts.shutdown_ms);
    FL_CONF_GET(fl_config_get_duration, "server.heartbeat-interval", 1000, srv->opts.heartbeat_ms);
    FL_CONF_GET(fl_config_get_duration, "server.heartbeat-timeout", 10000,
                srv->opts.heartbeat_timeout_ms);
    srv->opts.out_high = 64LL << 20;
    if (srv->opts.max_conns < 1 || srv->opts.max_inflight < 1) {
        snprintf(fl_srv_why, sizeof(fl_srv_why),
                 "server.max-connections and server.max-inflight-requests-per-connection must "
                 "be at least 1");
        *why = fl_srv_why;
        return -1;
    }
    return 0;
err:
    return -1;
}

fl_server_t *fl_server_new(fl_config_t *conf, unsigned roles, const char **why) {
    fl_server_t *srv = fl_calloc(1, sizeof(*srv));
    srv->conf = conf;
    srv->roles = roles;
    srv->tablet_id = -1;
    srv->coordinator_epoch = fl_now_ms();
    if (fl_server_load_opts(srv, conf, why)) goto err;

    fl_endpoint_t bind[FL_MAX_ENDPOINTS], adv[FL_MAX_ENDPOINTS];
    const char *bl = fl_config_get(conf, "bind.listeners");
    if (!bl) {
        snprintf(fl_srv_why, sizeof(fl_srv_why),
                 "bind.listeners is not set (e.g. bind.listeners: FLUSS://localhost:9123)");
        *why = fl_srv_why;
        goto err;
    }
    int nb = fl_endpoints_parse(bl, bind, FL_MAX_ENDPOINTS, why);
    if (nb < 0) goto err;
    int na = 0;
    const char *al = fl_config_get(conf, "advertised.listeners");
    if (al) {
        na = fl_endpoints_parse(al, adv, FL_MAX_ENDPOINTS, why);
        if (na < 0) goto err;
        for (int i = 0; i < na; i++) {
            if (!fl_endpoints_find(bind, nb, adv[i].name)) {
                snprintf(fl_srv_why, sizeof(fl_srv_why),
                         "advertised.listeners names listener %s, which bind.listeners lacks",
                         adv[i].name);
                *why = fl_srv_why;
                goto err;
            }
        }
    }
    const char *internal = fl_config_get_str(conf, "internal.listener.name", "FLUSS");
    if (!fl_endpoints_find(bind, nb, internal) && nb > 1) {
        snprintf(fl_srv_why, sizeof(fl_srv_why),
                 "internal.listener.name %s is not one of bind.listeners", internal);
        *why = fl_srv_why;
        goto err;
    }

    if (roles & FL_ROLE_TS) {
        int64_t id;
        const char *idv = fl_config_get(conf, "tablet-server.id");
        if (!idv && roles == FL_ROLE_TS) {
            snprintf(fl_srv_why, sizeof(fl_srv_why),
                     "tablet-server.id is required for a tablet server");
            *why = fl_srv_why;
            goto err;
        }
        if (fl_config_get_int(conf, "tablet-server.id", 0, &id, why)) goto err;
        if (id < 0 || id > INT32_MAX) {
            snprintf(fl_srv_why, sizeof(fl_srv_why), "tablet-server.id must be >= 0");
            *why = fl_srv_why;
            goto err;
        }
        srv->tablet_id = (int32_t)id;
        snprintf(srv->rack, sizeof(srv->rack), "%s",
                 fl_config_get_str(conf, "tablet-server.rack", ""));
    }

    struct event_config *ec = event_config_new();
    srv->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!srv->base) {
        snprintf(fl_srv_why, sizeof(fl_srv_why), "event_base_new() failed");
        *why = fl_srv_why;
        goto err;
    }
    srv->accept_retry = evtimer_new(srv->base, fl_accept_retry_cb, srv);
    srv->shutdown_timer = evtimer_new(srv->base, fl_shutdown_timer_cb, srv);
    fl_raise_nofile();

    /* Signals first: a SIGTERM during start-up stops the server cleanly. */
    srv->sig_term = evsignal_new(srv->base, SIGTERM, fl_signal_cb, srv);
    srv->sig_int = evsignal_new(srv->base, SIGINT, fl_signal_cb, srv);
    evsignal_add(srv->sig_term, NULL);
    evsignal_add(srv->sig_int, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* data.dir, absolute; the default lake warehouse lives under it */
    {
        const char *dd = fl_config_get_str(conf, "data.dir", "/tmp/fluss-data");
        char cwd[512] = "";
        if (dd[0] != '/' && getcwd(cwd, sizeof(cwd)))
            snprintf(srv->data_dir, sizeof(srv->data_dir), "%s/%s", cwd, dd);
        else
            snprintf(srv->data_dir, sizeof(srv->data_dir), "%s", dd);
        const char *fmt = fl_config_get(conf, "datalake.format");
        if (fmt) {
            snprintf(srv->lake_format, sizeof(srv->lake_format), "%s", fmt);
            for (char *c = srv->lake_format; *c; c++) *c = (char)tolower((unsigned char)*c);
            char key[64], dflt[1100];
            snprintf(key, sizeof(key), "datalake.%s.warehouse", srv->lake_format);
            if (!fl_config_get(conf, key)) {
                snprintf(dflt, sizeof(dflt), "%s/lake/%s", srv->data_dir, srv->lake_format);
                fl_config_set(conf, key, dflt);
            }
            snprintf(srv->lake_warehouse, sizeof(srv->lake_warehouse), "%s", fl_config_get(conf, key));
            if (!strcmp(srv->lake_format, "paimon") && !fl_config_get(conf, "datalake.paimon.metastore"))
                fl_config_set(conf, "datalake.paimon.metastore", "filesystem");
            if (!strcmp(srv->lake_format, "iceberg") && !fl_config_get(conf, "datalake.iceberg.type"))
                fl_config_set(conf, "datalake.iceberg.type", "hadoop");
        }
    }

    /* Storage before listeners: once the port accepts connections, the server is ready. */
    if ((roles & FL_ROLE_CS) && fl_server_open_catalog(srv, conf, why)) goto err;
    if ((roles & FL_ROLE_TS) && fl_server_open_tablet(srv, conf, why)) goto err;

    for (int i = 0; i < nb; i++) {
        fl_listener_t *lis = &srv->listeners[srv->n_listeners++];
        lis->srv = srv;
        lis->bind = bind[i];
        const fl_endpoint_t *a = fl_endpoints_find(adv, na, bind[i].name);
        lis->advertised = a ? *a : bind[i];
        if (fl_listener_bind(srv, lis)) {
            *why = fl_srv_why;
            goto err;
        }
    }

    /* Membership: the coordinator knows itself; in local mode the tablet server in the same
     * process is registered at once. Separate tablet-server processes join over RPC. */
    srv->cluster = fl_cluster_new();
    fl_endpoint_t eps[FL_MAX_ENDPOINTS];
    for (int i = 0; i < srv->n_listeners; i++) eps[i] = srv->listeners[i].advertised;
    if (roles & FL_ROLE_CS) fl_cluster_set_coordinator(srv->cluster, eps, srv->n_listeners);
    if (roles == FL_ROLE_BOTH)
        fl_cluster_register_tablet(srv->cluster, srv->tablet_id, eps, srv->n_listeners,
                                   srv->rack, fl_now_ms());
    fl_server_notify_metadata(srv);
    if (roles & FL_ROLE_CS) fl_server_start_liveness(srv);
    if (roles == FL_ROLE_BOTH && srv->lake_format[0] && fl_server_start_tiering(srv)) {
        snprintf(fl_srv_why, sizeof(fl_srv_why), "cannot start the tiering thread");
        *why = fl_srv_why;
        goto err;
    }
    if (roles == FL_ROLE_TS) {
        const char *ca = fl_config_get(conf, "server.coordinator-address");
        if (!ca) {
            snprintf(fl_srv_why, sizeof(fl_srv_why),
                     "server.coordinator-address (host:port of the coordinator) is required for "
                     "a tablet server");
            *why = fl_srv_why;
            goto err;
        }
        srv->tablemeta = fl_tablemeta_new();
        srv->coordlink = fl_coordlink_new(srv, ca, srv->opts.heartbeat_ms, why);
        if (!srv->coordlink) goto err;
    }

    return srv;
err:
    fl_server_free(srv);
    return NULL;
}

/* Does the catalog still have this table (and partition)? */
static bool fl_server_bucket_exists(int64_t table_id, int64_t partition_id, void *arg) {
    fl_server_t *srv = arg;
    const fl_table_t *t = fl_catalog_table_by_id(srv->catalog, table_id);
    if (!t) return false;
    if (partition_id < 0) return true;
    const fl_table_t *pt = NULL;
    return fl_catalog_partition_by_id(srv->catalog, partition_id, &pt) && pt == t;
}

void fl_server_notify_metadata(fl_server_t *srv) {
    srv->metadata_version++;
    if (!srv->catalog) return;
    /* buckets of dropped tables and partitions: forget waiting requests, delete their data */
    if (srv->tablet) {
        fl_rpc_log_forget_dropped(srv);
        fl_tablet_retain(srv->tablet, fl_server_bucket_exists, srv);
    }
    /* the catalog places new replicas on the live tablet servers */
    size_t n = fl_cluster_tablet_count(srv->cluster), k = 0;
    int32_t *ids = fl_malloc((n ? n : 1) * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        const fl_server_node_t *node = fl_cluster_tablet_at(srv->cluster, i);
        if (node->alive) ids[k++] = node->id;
    }
    fl_catalog_set_servers(srv->catalog, ids, k);
    fl_free(ids);
}

static void fl_auto_partition_cb(evutil_socket_t fd, short what, void *arg) {
    fl_server_t *srv = arg;
    FL_UNUSED(fd);
    FL_UNUSED(what);
    int changed = fl_catalog_auto_partition(srv->catalog, fl_now_ms());
    if (changed) fl_server_notify_metadata(srv);
}

/* The coordinator's metadata lives in <data.dir>/coordinator/meta (RocksDB). */
static int fl_server_open_catalog(fl_server_t *srv, fl_config_t *conf, const char **why) {
    const char *data = fl_config_get_str(conf, "data.dir", "/tmp/fluss-data");
    char path[4096];
    snprintf(path, sizeof(path), "%s/coordinator/meta", data);
    if (fl_vfs_mkdirs(path)) {
        snprintf(fl_srv_why, sizeof(fl_srv_why), "cannot create %s: %s", path, strerror(errno));
        *why = fl_srv_why;
        return -1;
    }
    srv->ms = fl_metastore_open_rocksdb(path, why);
    if (!srv->ms) return -1;
    fl_catalog_opts_t o;
    memset(&o, 0, sizeof(o));
    int64_t v;
    bool bv;
#define GETI(key, dflt, field)                                                                 \
    if (fl_config_get_int(conf, key, dflt, &v, why)) return -1;                                \
    if (v < 1 || v > INT32_MAX) {                                                              \
        snprintf(fl_srv_why, sizeof(fl_srv_why), "%s must be between 1 and %d", key, INT32_MAX); \
        *why = fl_srv_why;                                                                     \
        return -1;                                                                             \
    }                                                                                          \
    o.field = (int32_t)v;
    GETI("default.bucket.number", 1, default_bucket_number);
    GETI("default.replication.factor", 1, default_replication_factor);
    GETI("max.partition.num", 1000, max_partition_num);
    GETI("max.bucket.num", 128000, max_bucket_num);
#undef GETI
    if (fl_config_get_bool(conf, "allow.create.log.tables", true, &bv, why)) return -1;
    o.allow_log_tables = bv;
    if (fl_config_get_bool(conf, "allow.create.kv.tables", true, &bv, why)) return -1;
    o.allow_kv_tables = bv;
    const char *fmt = fl_config_get(conf, "datalake.format");
    if (fmt && strcasecmp(fmt, "paimon") && strcasecmp(fmt, "iceberg") && strcasecmp(fmt, "lance")) {
        snprintf(fl_srv_why, sizeof(fl_srv_why),
                 "datalake.format '%s' is not one of paimon, iceberg, lance", fmt);
        *why = fl_srv_why;
        return -1;
    }
    o.datalake_format = fmt ? srv->lake_format : NULL; /* lower case */
    srv->cat_opts = o; /* CreateTable prepares descriptors as the catalog will (rpc_admin.c) */
    srv->catalog = fl_catalog_open(srv->ms, &o, why);
    if (!srv->catalog) return -1;
    if (fl_config_get_duration(conf, "auto-partition.check.interval", 600000,
                               &srv->auto_partition_ms, why))
        return -1;
    srv->auto_partition_timer =
        event_new(srv->base, -1, EV_PERSIST, fl_auto_partition_cb, srv);
    struct timeval tv = {(time_t)(srv->auto_partition_ms / 1000),
                         (suseconds_t)((srv->auto_partition_ms % 1000) * 1000)};
    evtimer_add(srv->auto_partition_timer, &tv);
    return 0;
}

/* The tablet role: bucket logs under <data.dir>/tablet, with Fluss's log.* keys. */
static int fl_server_open_tablet(fl_server_t *srv, fl_config_t *conf, const char **why) {
    fl_tablet_conf_t tc;
    memset(&tc, 0, sizeof(tc));
    tc.data_dir = fl_config_get_str(conf, "data.dir", "/tmp/fluss-data");
    fl_logstore_conf_defaults(&tc.log);
    int64_t v;
    if (fl_config_get_size(conf, "log.segment.file-size", 1LL << 30, &v, why)) return -1;
    tc.log.segment_bytes = (uint64_t)FL_MIN(FL_MAX(v, 64 << 10), INT32_MAX);
    if (fl_config_get_size(conf, "log.index.file-size", 10LL << 20, &v, why)) return -1;
    tc.log.index_max_bytes = (uint64_t)FL_MAX(v, 4096);
    if (fl_config_get_size(conf, "log.index.interval-size", 4096, &v, why)) return -1;
    tc.log.index_interval_bytes = (uint32_t)FL_MAX(v, 1);
    if (fl_config_get_duration(conf, "server.log.segment-roll-interval", 0, &v, why)) return -1;
    tc.log.segment_ms = v;
    tc.log.max_batch_bytes = (uint32_t)srv->opts.max_frame;
    /* Flush policy: log.flush.interval-messages = 1 fsyncs every group of appends before they
     * are acknowledged (Fluss's option; larger values are treated as 1, since appends are
     * synced in groups anyway). Otherwise server.log.flush-interval syncs in the background
     * at that interval (bounding what recovery must scan after a crash), and 0 never. */
    int64_t msgs;
    if (fl_config_get_int(conf, "log.flush.interval-messages", INT64_MAX, &msgs, why)) return -1;
    int64_t interval;
    if (fl_config_get_duration(conf, "server.log.flush-interval", 5000, &interval, why)) return -1;
    if (msgs < INT64_MAX) {
        tc.log.flush_policy = FL_FLUSH_EVERY_BATCH;
    } else if (interval > 0) {
        tc.log.flush_policy = FL_FLUSH_INTERVAL;
        tc.log.flush_interval_ms = interval;
    } else {
        tc.log.flush_policy = FL_FLUSH_NEVER;
    }
    if (fl_config_get_duration(conf, "server.writer-id.expiration-time", 7LL * 86400000,
                               &tc.writer_expire_ms, why))
        return -1;
    if (fl_config_get_duration(conf, "log.replica.high-watermark.checkpoint-interval", 5000,
                               &tc.checkpoint_interval_ms, why))
        return -1;
    tc.retention_check_ms = 60000;
    /* RocksDB for primary-key buckets, with Fluss's kv.rocksdb.* names */
    fl_kvenv_conf_t kc;
    fl_kvenv_conf_defaults(&kc);
    if (fl_config_get_size(conf, "kv.rocksdb.block.cache-size", (int64_t)kc.block_cache_bytes, &v, why)) return -1;
    kc.block_cache_bytes = (uint64_t)FL_MAX(v, 1 << 20);
    if (fl_config_get_size(conf, "kv.rocksdb.writebuffer.size", (int64_t)kc.write_buffer_bytes, &v, why)) return -1;
    kc.write_buffer_bytes = (uint64_t)FL_MAX(v, 1 << 20);
    if (fl_config_get_int(conf, "kv.rocksdb.writebuffer.count", kc.write_buffer_count, &v, why)) return -1;
    kc.write_buffer_count = (int)FL_MAX(v, 2);
    if (fl_config_get_size(conf, "kv.rocksdb.block.blocksize", (int64_t)kc.block_bytes, &v, why)) return -1;
    kc.block_bytes = (uint64_t)FL_MAX(v, 512);
    const char *comp = fl_config_get_str(conf, "server.kv.compression", "lz4");
    kc.compression = !strcasecmp(comp, "none") ? 0 : !strcasecmp(comp, "snappy") ? 1
                     : !strcasecmp(comp, "zstd") ? 3 : 2;
    srv->kvenv = fl_kvenv_new(&kc);
    tc.kvenv = srv->kvenv;
    /* segment writes and fsyncs run on the tablet's I/O threads; the loop comes round (and
     * before_sleep commits) when they finish */
    tc.write_behind = true;
    srv->tablet = fl_tablet_new(&tc, srv->tablet_id);
    int iofd = fl_tablet_io_fd(srv->tablet);
    if (iofd >= 0) {
        srv->io_wake = event_new(srv->base, iofd, EV_READ | EV_PERSIST, fl_server_tick_cb, srv);
        event_add(srv->io_wake, NULL);
    }
    /* the loop must come round for the background flush even when idle */
    srv->tick_timer = event_new(srv->base, -1, EV_PERSIST, fl_server_tick_cb, srv);
    struct timeval tv = {1, 0};
    evtimer_add(srv->tick_timer, &tv);
    return 0;
}

int fl_server_run(fl_server_t *srv) {
    for (int i = 0; i < srv->n_listeners; i++) {
        char eps[300];
        fl_endpoints_format(&srv->listeners[i].bind, 1, eps, sizeof(eps));
        char adv[300];
        fl_endpoints_format(&srv->listeners[i].advertised, 1, adv, sizeof(adv));
        fl_log_info("server", "listening on %s (advertised as %s)", eps, adv);
    }
    while (!srv->stop_loop) {
        if (event_base_loop(srv->base, EVLOOP_ONCE) < 0) {
            fl_log_error("server", "event_base_loop() failed");
            return 1;
        }
        /* before_sleep: group commit, then the responses it releases */
        fl_server_before_sleep(srv);
    }
    fl_log_info("server", "stopped");
    return 0;
}

void fl_server_free(fl_server_t *srv) {
    if (!srv) return;
    fl_coordlink_release(srv->coordlink); /* parked requests answer while the tablet exists */
    while (srv->conns) fl_conn_close(srv->conns, "server freed");
    for (int i = 0; i < srv->n_listeners; i++)
        if (srv->listeners[i].lev) evconnlistener_free(srv->listeners[i].lev);
    if (srv->sig_term) event_free(srv->sig_term);
    if (srv->sig_int) event_free(srv->sig_int);
    /* freeing the events restored the default actions; a second SIGTERM/SIGINT while the
     * tablet closes (final log flush, RocksDB close) must not cut that short: ignore them now
     * (kill -9 still aborts, and recovery copes with that) */
    if (srv->sig_term || srv->sig_int) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
    }
    if (srv->accept_retry) event_free(srv->accept_retry);
    if (srv->shutdown_timer) event_free(srv->shutdown_timer);
    fl_server_stop_tiering(srv);
    if (srv->auto_partition_timer) event_free(srv->auto_partition_timer);
    if (srv->tick_timer) event_free(srv->tick_timer);
    if (srv->io_wake) event_free(srv->io_wake);
    fl_tablet_free(srv->tablet);
    fl_kvenv_free(srv->kvenv);
    if (srv->liveness_timer) event_free(srv->liveness_timer);
    fl_coordlink_free(srv->coordlink);
    fl_tablemeta_free(srv->tablemeta);
    fl_catalog_free(srv->catalog);
    fl_metastore_close(srv->ms);
    fl_cluster_free(srv->cluster);
    if (srv->base) event_base_free(srv->base);
    fl_free(srv);
}
