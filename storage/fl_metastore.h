/* fl_metastore.h: the durable metadata store behind the coordinator.
 *
 * A small ordered key-value store with atomic, durable multi-key writes. The embedded default
 * keeps it in RocksDB under <data.dir>/coordinator/meta (synced writes: a write returns only
 * after RocksDB's WAL is on disk, so it survives kill -9 at any point). The ops table is the
 * seam for a ZooKeeper-backed store (multi-coordinator high availability) later: the
 * coordinator only ever calls through it.
 *
 * Keys and values are byte strings; the coordinator uses printable keys such as
 * "db/<name>", "table/<id>", "seq/table_id". */
#ifndef FL_METASTORE_H
#define FL_METASTORE_H

#include "fl_base.h"
#include "fl_buf.h"

typedef struct fl_metastore_s fl_metastore_t;
typedef struct fl_meta_batch_s fl_meta_batch_t;

/* Called for each key under a prefix, in key order; return false to stop. */
typedef bool (fl_meta_scan_cb)(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                               void *arg);

typedef struct fl_metastore_ops_s {
    const char *name;
    /* FL_ERR_NONE and the value in *val (replacing its content), FL_ERR__NOENT, or an error */
    fl_err_t (*get)(fl_metastore_t *ms, const char *key, fl_buf_t *val);
    /* atomic and durable: all of the batch or none of it, on disk before returning */
    fl_err_t (*write)(fl_metastore_t *ms, const fl_meta_batch_t *batch);
    fl_err_t (*scan)(fl_metastore_t *ms, const char *prefix, fl_meta_scan_cb *cb, void *arg);
    void (*close)(fl_metastore_t *ms);
} fl_metastore_ops_t;

struct fl_metastore_s {
    const fl_metastore_ops_t *ops;
    char last_error[256]; /* text of the last failure */
};

/** @brief Open (creating if needed) the RocksDB-backed store in dir.
 *  @returns NULL with *why set on failure. */
fl_metastore_t *fl_metastore_open_rocksdb(const char *dir, const char **why /* OUT */);

static inline fl_err_t fl_metastore_get(fl_metastore_t *ms, const char *key, fl_buf_t *val) {
    return ms->ops->get(ms, key, val);
}
static inline fl_err_t fl_metastore_write(fl_metastore_t *ms, const fl_meta_batch_t *batch) {
    return ms->ops->write(ms, batch);
}
static inline fl_err_t fl_metastore_scan(fl_metastore_t *ms, const char *prefix,
                                         fl_meta_scan_cb *cb, void *arg) {
    return ms->ops->scan(ms, prefix, cb, arg);
}
static inline void fl_metastore_close(fl_metastore_t *ms) {
    if (ms) ms->ops->close(ms);
}

/* Batches: puts and deletes applied together. */
fl_meta_batch_t *fl_meta_batch_new(void);
void fl_meta_batch_put(fl_meta_batch_t *b, const char *key, const void *val, size_t vlen);
void fl_meta_batch_put_str(fl_meta_batch_t *b, const char *key, const char *val);
void fl_meta_batch_del(fl_meta_batch_t *b, const char *key);
size_t fl_meta_batch_count(const fl_meta_batch_t *b);
void fl_meta_batch_free(fl_meta_batch_t *b);

/* Iterating a batch (for store implementations). */
typedef struct fl_meta_op_s {
    bool del;
    char *key;
    uint8_t *val;
    size_t vlen;
} fl_meta_op_t;
const fl_meta_op_t *fl_meta_batch_ops(const fl_meta_batch_t *b, size_t *n /* OUT */);

#endif
