/* fl_metastore.c: batches, and the RocksDB implementation of the metadata store. */
#include "fl_metastore.h"

#include <rocksdb/c.h>
#include <stdio.h>
#include <string.h>

#include "fl_log.h"

struct fl_meta_batch_s {
    fl_meta_op_t *ops;
    size_t n, cap;
};

fl_meta_batch_t *fl_meta_batch_new(void) {
    return fl_calloc(1, sizeof(fl_meta_batch_t));
}

static fl_meta_op_t *fl_meta_batch_add(fl_meta_batch_t *b) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->ops = fl_realloc(b->ops, b->cap * sizeof(*b->ops));
    }
    fl_meta_op_t *op = &b->ops[b->n++];
    memset(op, 0, sizeof(*op));
    return op;
}

void fl_meta_batch_put(fl_meta_batch_t *b, const char *key, const void *val, size_t vlen) {
    fl_meta_op_t *op = fl_meta_batch_add(b);
    op->key = fl_strdup(key);
    op->val = fl_malloc(vlen ? vlen : 1);
    if (vlen) memcpy(op->val, val, vlen);
    op->vlen = vlen;
}

void fl_meta_batch_put_str(fl_meta_batch_t *b, const char *key, const char *val) {
    fl_meta_batch_put(b, key, val, strlen(val));
}

void fl_meta_batch_del(fl_meta_batch_t *b, const char *key) {
    fl_meta_op_t *op = fl_meta_batch_add(b);
    op->del = true;
    op->key = fl_strdup(key);
}

size_t fl_meta_batch_count(const fl_meta_batch_t *b) {
    return b->n;
}

const fl_meta_op_t *fl_meta_batch_ops(const fl_meta_batch_t *b, size_t *n) {
    *n = b->n;
    return b->ops;
}

void fl_meta_batch_free(fl_meta_batch_t *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        fl_free(b->ops[i].key);
        fl_free(b->ops[i].val);
    }
    fl_free(b->ops);
    fl_free(b);
}

/* ---- RocksDB ---------------------------------------------------------------------------- */

typedef struct fl_metastore_rdb_s {
    fl_metastore_t base;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    rocksdb_block_based_table_options_t *topts;
    rocksdb_cache_t *cache;
} fl_metastore_rdb_t;

static fl_err_t fl_rdb_fail(fl_metastore_rdb_t *r, const char *what, char *err) {
    snprintf(r->base.last_error, sizeof(r->base.last_error), "%s failed: %s", what, err);
    fl_log_error("metastore", "%s", r->base.last_error);
    rocksdb_free(err);
    return FL_ERR_STORAGE_EXCEPTION;
}

static fl_err_t fl_rdb_get(fl_metastore_t *ms, const char *key, fl_buf_t *val) {
    fl_metastore_rdb_t *r = (fl_metastore_rdb_t *)ms;
    char *err = NULL;
    size_t vlen = 0;
    char *v = rocksdb_get(r->db, r->ropts, key, strlen(key), &vlen, &err);
    if (err) return fl_rdb_fail(r, "rocksdb_get()", err);
    if (!v) return FL_ERR__NOENT;
    fl_buf_reset(val);
    fl_buf_put(val, v, vlen);
    rocksdb_free(v);
    return FL_ERR_NONE;
}

static fl_err_t fl_rdb_write(fl_metastore_t *ms, const fl_meta_batch_t *b) {
    fl_metastore_rdb_t *r = (fl_metastore_rdb_t *)ms;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    for (size_t i = 0; i < b->n; i++) {
        const fl_meta_op_t *op = &b->ops[i];
        if (op->del) rocksdb_writebatch_delete(wb, op->key, strlen(op->key));
        else rocksdb_writebatch_put(wb, op->key, strlen(op->key), (const char *)op->val, op->vlen);
    }
    char *err = NULL;
    rocksdb_write(r->db, r->wopts, wb, &err);
    rocksdb_writebatch_destroy(wb);
    if (err) return fl_rdb_fail(r, "rocksdb_write()", err);
    return FL_ERR_NONE;
}

static fl_err_t fl_rdb_scan(fl_metastore_t *ms, const char *prefix, fl_meta_scan_cb *cb,
                            void *arg) {
    fl_metastore_rdb_t *r = (fl_metastore_rdb_t *)ms;
    size_t plen = strlen(prefix);
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ropts);
    for (rocksdb_iter_seek(it, prefix, plen); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        if (klen < plen || memcmp(k, prefix, plen) != 0) break;
        const char *v = rocksdb_iter_value(it, &vlen);
        if (!cb((const uint8_t *)k, klen, (const uint8_t *)v, vlen, arg)) break;
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    if (err) return fl_rdb_fail(r, "rocksdb iterator", err);
    return FL_ERR_NONE;
}

static void fl_rdb_close(fl_metastore_t *ms) {
    fl_metastore_rdb_t *r = (fl_metastore_rdb_t *)ms;
    if (r->db) rocksdb_close(r->db);
    if (r->wopts) rocksdb_writeoptions_destroy(r->wopts);
    if (r->ropts) rocksdb_readoptions_destroy(r->ropts);
    if (r->opts) rocksdb_options_destroy(r->opts);
    if (r->topts) rocksdb_block_based_options_destroy(r->topts);
    if (r->cache) rocksdb_cache_destroy(r->cache);
    fl_free(r);
}

static const fl_metastore_ops_t fl_rdb_ops = {
    .name = "rocksdb",
    .get = fl_rdb_get,
    .write = fl_rdb_write,
    .scan = fl_rdb_scan,
    .close = fl_rdb_close,
};

fl_metastore_t *fl_metastore_open_rocksdb(const char *dir, const char **why) {
    static __thread char msg[512];
    fl_metastore_rdb_t *r = fl_calloc(1, sizeof(*r));
    r->base.ops = &fl_rdb_ops;
    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, 1);
    /* Metadata is small: keep RocksDB's footprint small too. */
    rocksdb_options_set_write_buffer_size(r->opts, 1 << 20);
    rocksdb_options_set_max_write_buffer_number(r->opts, 2);
    rocksdb_options_set_max_open_files(r->opts, 64);
    rocksdb_options_set_keep_log_file_num(r->opts, 2);
    rocksdb_options_set_max_log_file_size(r->opts, 1 << 20);
    rocksdb_options_set_paranoid_checks(r->opts, 1);
    r->cache = rocksdb_cache_create_lru(1 << 20);
    r->topts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(r->topts, r->cache);
    rocksdb_options_set_block_based_table_factory(r->opts, r->topts);
    r->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->wopts, 1);
    r->ropts = rocksdb_readoptions_create();
    char *err = NULL;
    r->db = rocksdb_open(r->opts, dir, &err);
    if (err) {
        snprintf(msg, sizeof(msg), "cannot open metadata store %s: %s", dir, err);
        rocksdb_free(err);
        r->db = NULL;
        fl_rdb_close(&r->base);
        *why = msg;
        return NULL;
    }
    return &r->base;
}
