/* fl_kvstore.h: the KV index of one primary-key bucket, on RocksDB (its C API).
 *
 * Keys are the primary-key bytes as clients encode them; values are the stored value
 * (2-byte LE schema id + row). One extra key, "\0fl.applied", holds the log offset up to which
 * the bucket's changelog has been applied (exclusive), written in the same RocksDB write batch
 * as the changes it covers, so the KV state and the offset always agree. Every user key is
 * non-empty and its first byte can be 0, so the meta key lives in a separate column family.
 *
 * RocksDB's own WAL is on and not synced per write: after a process crash (kill -9) RocksDB
 * recovers its memtable from the WAL in the page cache; after a power loss the tablet replays
 * the bucket's changelog from the applied offset (fl_kv.c). (The tablet writes one batch per
 * group commit, so the WAL costs one write() of the batch per commit: about 1% of the upsert
 * path, measured with bench/bench_kv.c; not worth a replay of up to two memtables per bucket
 * after every kill -9.)
 *
 * Reads: the memtables carry a whole-key bloom filter (memtable_prefix_bloom_size_ratio with
 * memtable_whole_key_filtering), so a point read of a key that is not in a memtable skips the
 * skip-list search; the tablet reads the current values of a whole KvRecordBatch, and the keys
 * of a Lookup request, with one batched MultiGet (fl_kvstore_multi_get).
 *
 * Tuning keys (Fluss names): kv.rocksdb.block.cache-size (shared by every bucket of the
 * process), kv.rocksdb.writebuffer.size, kv.rocksdb.writebuffer.count,
 * kv.rocksdb.block.blocksize, kv.rocksdb.compression (ours: none, lz4, zstd, snappy). */
#ifndef FL_KVSTORE_H
#define FL_KVSTORE_H

#include "fl_base.h"
#include "fl_buf.h"

typedef struct fl_kvstore_s fl_kvstore_t;
typedef struct fl_kvenv_s fl_kvenv_t;

typedef struct fl_kvenv_conf_s {
    uint64_t block_cache_bytes;   /* shared LRU block cache */
    uint64_t write_buffer_bytes;  /* per bucket memtable */
    int write_buffer_count;
    uint64_t block_bytes;
    int compression;              /* 0 none, 1 snappy, 2 lz4, 3 zstd */
    int memtable_bloom_pct;       /* memtable whole-key bloom filter, % of the write buffer
                                   * (0 = none) */
} fl_kvenv_conf_t;

/** @brief Defaults: 64 MiB cache, 16 MiB write buffers x 2, 4 KiB blocks, LZ4, memtable bloom
 *  filters of 10% of the write buffer. */
void fl_kvenv_conf_defaults(fl_kvenv_conf_t *conf /* OUT */);
/** @brief Shared resources of every KV store of the process (block cache). */
fl_kvenv_t *fl_kvenv_new(const fl_kvenv_conf_t *conf);
void fl_kvenv_free(fl_kvenv_t *env);
/** @returns bytes in the shared block cache (for metrics and benchmarks). */
uint64_t fl_kvenv_cache_usage(const fl_kvenv_t *env);

/** @brief Open (creating) the store in dir. @returns NULL with *why on failure. */
fl_kvstore_t *fl_kvstore_open(fl_kvenv_t *env, const char *dir, const char **why /* OUT */);
void fl_kvstore_close(fl_kvstore_t *kv);
/** @brief Close and delete the directory's RocksDB files. */
void fl_kvstore_destroy(fl_kvstore_t *kv, const char *dir);

/** @returns FL_ERR_NONE with the value appended to out (out is reset first), FL_ERR__NOENT,
 *  or FL_ERR_KV_STORAGE_EXCEPTION. */
fl_err_t fl_kvstore_get(fl_kvstore_t *kv, const uint8_t *key, size_t klen, fl_buf_t *out);
/** One key's answer from fl_kvstore_multi_get: val is NULL when the key is absent; the view is
 *  valid only during the call. */
typedef void (fl_kvstore_get_cb)(void *arg, size_t i, const uint8_t *val, size_t vlen);
/** @brief Point reads of n keys with RocksDB's batched MultiGet, in chunks (the keys need not
 *  be sorted or distinct). cb is called once for every key, i = its index in keys.
 *  @returns FL_ERR_NONE, or FL_ERR_KV_STORAGE_EXCEPTION (logged) when a read failed; cb may
 *  have been called for some keys then. */
fl_err_t fl_kvstore_multi_get(fl_kvstore_t *kv, size_t n, const uint8_t *const *keys,
                              const size_t *klens, fl_kvstore_get_cb *cb, void *arg);
/** @returns the applied changelog offset (0 for a new store). */
int64_t fl_kvstore_applied(const fl_kvstore_t *kv);

/* A write batch: puts and deletes applied atomically with a new applied offset. */
typedef struct fl_kvbatch_w_s fl_kvwrite_t;
fl_kvwrite_t *fl_kvwrite_new(void);
void fl_kvwrite_put(fl_kvwrite_t *w, const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen);
void fl_kvwrite_del(fl_kvwrite_t *w, const uint8_t *key, size_t klen);
size_t fl_kvwrite_count(const fl_kvwrite_t *w);
void fl_kvwrite_free(fl_kvwrite_t *w);
/** @brief Apply w and set the applied offset. @returns FL_ERR_KV_STORAGE_EXCEPTION on failure. */
fl_err_t fl_kvstore_write(fl_kvstore_t *kv, fl_kvwrite_t *w, int64_t applied_offset);

/** @brief Visit keys starting with prefix in key order; cb returns false to stop. */
typedef bool (fl_kvstore_scan_cb)(const uint8_t *key, size_t klen, const uint8_t *val,
                                  size_t vlen, void *arg);
fl_err_t fl_kvstore_scan(fl_kvstore_t *kv, const uint8_t *prefix, size_t plen,
                         fl_kvstore_scan_cb *cb, void *arg);
/** @brief Flush memtables to SST files (bounds what a crash recovery replays). */
fl_err_t fl_kvstore_flush(fl_kvstore_t *kv);
/** @returns RocksDB's estimate of live keys. */
uint64_t fl_kvstore_estimate_keys(fl_kvstore_t *kv);

#endif
