/* fl_kvstore.c: see fl_kvstore.h. */
#include "fl_kvstore.h"

#include <rocksdb/c.h>
#include <stdio.h>
#include <string.h>

#include "fl_log.h"

#define FL_KV_APPLIED_KEY "fl.applied"

struct fl_kvenv_s {
    fl_kvenv_conf_t conf;
    rocksdb_cache_t *cache;
};

struct fl_kvstore_s {
    fl_kvenv_t *env;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *topts;
    rocksdb_column_family_handle_t *cf_data; /* "default" */
    rocksdb_column_family_handle_t *cf_meta; /* "fl_meta" */
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    int64_t applied;
};

struct fl_kvbatch_w_s {
    rocksdb_writebatch_t *wb;
    size_t n;
};

void fl_kvenv_conf_defaults(fl_kvenv_conf_t *c) {
    c->block_cache_bytes = 64ull << 20;
    c->write_buffer_bytes = 16ull << 20;
    c->write_buffer_count = 2;
    c->block_bytes = 4096;
    c->compression = 2;
    c->memtable_bloom_pct = 10;
}

fl_kvenv_t *fl_kvenv_new(const fl_kvenv_conf_t *conf) {
    fl_kvenv_t *env = fl_calloc(1, sizeof(*env));
    env->conf = *conf;
    env->cache = rocksdb_cache_create_lru(conf->block_cache_bytes);
    return env;
}

void fl_kvenv_free(fl_kvenv_t *env) {
    if (!env) return;
    rocksdb_cache_destroy(env->cache);
    fl_free(env);
}

uint64_t fl_kvenv_cache_usage(const fl_kvenv_t *env) {
    return (uint64_t)rocksdb_cache_get_usage(env->cache);
}

static void fl_kvstore_release(fl_kvstore_t *kv) {
    if (kv->cf_data) rocksdb_column_family_handle_destroy(kv->cf_data);
    if (kv->cf_meta) rocksdb_column_family_handle_destroy(kv->cf_meta);
    if (kv->db) rocksdb_close(kv->db);
    if (kv->wopts) rocksdb_writeoptions_destroy(kv->wopts);
    if (kv->ropts) rocksdb_readoptions_destroy(kv->ropts);
    if (kv->opts) rocksdb_options_destroy(kv->opts);
    if (kv->topts) rocksdb_block_based_options_destroy(kv->topts);
    fl_free(kv);
}

fl_kvstore_t *fl_kvstore_open(fl_kvenv_t *env, const char *dir, const char **why) {
    static __thread char msg[512];
    fl_kvstore_t *kv = fl_calloc(1, sizeof(*kv));
    kv->env = env;
    kv->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(kv->opts, 1);
    rocksdb_options_set_create_missing_column_families(kv->opts, 1);
    rocksdb_options_set_write_buffer_size(kv->opts, env->conf.write_buffer_bytes);
    rocksdb_options_set_max_write_buffer_number(kv->opts, env->conf.write_buffer_count);
    rocksdb_options_set_max_open_files(kv->opts, 256);
    rocksdb_options_set_keep_log_file_num(kv->opts, 2);
    rocksdb_options_set_max_log_file_size(kv->opts, 1 << 20);
    rocksdb_options_set_max_background_jobs(kv->opts, 2);
    if (env->conf.memtable_bloom_pct > 0) {
        rocksdb_options_set_memtable_prefix_bloom_size_ratio(kv->opts, env->conf.memtable_bloom_pct / 100.0);
        rocksdb_options_set_memtable_whole_key_filtering(kv->opts, 1);
    }
    static const int comp[] = {rocksdb_no_compression, rocksdb_snappy_compression,
                               rocksdb_lz4_compression, rocksdb_zstd_compression};
    rocksdb_options_set_compression(kv->opts, comp[env->conf.compression & 3]);
    kv->topts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(kv->topts, env->cache);
    rocksdb_block_based_options_set_block_size(kv->topts, env->conf.block_bytes);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(kv->topts, 1);
    rocksdb_block_based_options_set_filter_policy(kv->topts, rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(kv->opts, kv->topts);
    kv->wopts = rocksdb_writeoptions_create();
    kv->ropts = rocksdb_readoptions_create();
    const char *names[2] = {"default", "fl_meta"};
    const rocksdb_options_t *cfo[2] = {kv->opts, kv->opts};
    rocksdb_column_family_handle_t *handles[2] = {NULL, NULL};
    char *err = NULL;
    kv->db = rocksdb_open_column_families(kv->opts, dir, 2, names, cfo, handles, &err);
    if (err) {
        snprintf(msg, sizeof(msg), "rocksdb_open(%s) failed: %s", dir, err);
        rocksdb_free(err);
        kv->db = NULL;
        fl_kvstore_release(kv);
        *why = msg;
        return NULL;
    }
    kv->cf_data = handles[0];
    kv->cf_meta = handles[1];
    size_t vlen = 0;
    char *v = rocksdb_get_cf(kv->db, kv->ropts, kv->cf_meta, FL_KV_APPLIED_KEY,
                             strlen(FL_KV_APPLIED_KEY), &vlen, &err);
    if (err) {
        snprintf(msg, sizeof(msg), "reading the applied offset of %s failed: %s", dir, err);
        rocksdb_free(err);
        fl_kvstore_release(kv);
        *why = msg;
        return NULL;
    }
    if (v && vlen == 8) {
        uint64_t a = 0;
        for (int i = 0; i < 8; i++) a |= (uint64_t)(uint8_t)v[i] << (8 * i);
        kv->applied = (int64_t)a;
    }
    if (v) rocksdb_free(v);
    return kv;
}

void fl_kvstore_close(fl_kvstore_t *kv) {
    if (kv) fl_kvstore_release(kv);
}

void fl_kvstore_destroy(fl_kvstore_t *kv, const char *dir) {
    rocksdb_options_t *o = rocksdb_options_create();
    fl_kvstore_close(kv);
    char *err = NULL;
    rocksdb_destroy_db(o, dir, &err);
    if (err) {
        fl_log_warn("kv", "rocksdb_destroy_db(%s) failed: %s", dir, err);
        rocksdb_free(err);
    }
    rocksdb_options_destroy(o);
}

fl_err_t fl_kvstore_get(fl_kvstore_t *kv, const uint8_t *key, size_t klen, fl_buf_t *out) {
    char *err = NULL;
    size_t vlen = 0;
    char *v = rocksdb_get_cf(kv->db, kv->ropts, kv->cf_data, (const char *)key, klen, &vlen, &err);
    if (err) {
        fl_log_error("kv", "rocksdb_get() failed: %s", err);
        rocksdb_free(err);
        return FL_ERR_KV_STORAGE_EXCEPTION;
    }
    if (!v) return FL_ERR__NOENT;
    fl_buf_reset(out);
    fl_buf_put(out, v, vlen);
    rocksdb_free(v);
    return FL_ERR_NONE;
}

/* keys per MultiGet call: RocksDB works through a MultiGet in groups of 32 keys, sorted */
#define FL_KV_MGET_CHUNK 128

fl_err_t fl_kvstore_multi_get(fl_kvstore_t *kv, size_t n, const uint8_t *const *keys,
                              const size_t *klens, fl_kvstore_get_cb *cb, void *arg) {
    rocksdb_pinnableslice_t *vals[FL_KV_MGET_CHUNK];
    char *errs[FL_KV_MGET_CHUNK];
    fl_err_t ret = FL_ERR_NONE;
    for (size_t base = 0; base < n; base += FL_KV_MGET_CHUNK) {
        size_t m = n - base < FL_KV_MGET_CHUNK ? n - base : FL_KV_MGET_CHUNK;
        rocksdb_batched_multi_get_cf(kv->db, kv->ropts, kv->cf_data, m, (const char *const *)keys + base,
                                     klens + base, vals, errs, false);
        for (size_t i = 0; i < m; i++) {
            if (errs[i]) {
                if (!ret) fl_log_error("kv", "rocksdb_batched_multi_get_cf() failed: %s", errs[i]);
                rocksdb_free(errs[i]);
                ret = FL_ERR_KV_STORAGE_EXCEPTION;
            } else if (!ret) {
                size_t vlen = 0;
                const char *v = NULL;
                if (vals[i] && !(v = rocksdb_pinnableslice_value(vals[i], &vlen))) v = "";
                cb(arg, base + i, (const uint8_t *)v, vlen);
            }
            if (vals[i]) rocksdb_pinnableslice_destroy(vals[i]);
        }
        if (ret) break;
    }
    return ret;
}

int64_t fl_kvstore_applied(const fl_kvstore_t *kv) {
    return kv->applied;
}

fl_kvwrite_t *fl_kvwrite_new(void) {
    fl_kvwrite_t *w = fl_calloc(1, sizeof(*w));
    w->wb = rocksdb_writebatch_create();
    return w;
}

void fl_kvwrite_put(fl_kvwrite_t *w, const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen) {
    /* the column family is bound at write time: remember plain puts, re-target in write() */
    rocksdb_writebatch_put(w->wb, (const char *)key, klen, (const char *)val, vlen);
    w->n++;
}

void fl_kvwrite_del(fl_kvwrite_t *w, const uint8_t *key, size_t klen) {
    rocksdb_writebatch_delete(w->wb, (const char *)key, klen);
    w->n++;
}

size_t fl_kvwrite_count(const fl_kvwrite_t *w) {
    return w->n;
}

void fl_kvwrite_free(fl_kvwrite_t *w) {
    if (!w) return;
    rocksdb_writebatch_destroy(w->wb);
    fl_free(w);
}

fl_err_t fl_kvstore_write(fl_kvstore_t *kv, fl_kvwrite_t *w, int64_t applied) {
    /* puts without a column family go to "default" (the data); the applied offset to meta */
    uint8_t a[8];
    for (int i = 0; i < 8; i++) a[i] = (uint8_t)((uint64_t)applied >> (8 * i));
    rocksdb_writebatch_put_cf(w->wb, kv->cf_meta, FL_KV_APPLIED_KEY, strlen(FL_KV_APPLIED_KEY),
                              (const char *)a, 8);
    char *err = NULL;
    rocksdb_write(kv->db, kv->wopts, w->wb, &err);
    if (err) {
        fl_log_error("kv", "rocksdb_write() failed: %s", err);
        rocksdb_free(err);
        return FL_ERR_KV_STORAGE_EXCEPTION;
    }
    kv->applied = applied;
    return FL_ERR_NONE;
}

fl_err_t fl_kvstore_scan(fl_kvstore_t *kv, const uint8_t *prefix, size_t plen,
                         fl_kvstore_scan_cb *cb, void *arg) {
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(kv->db, kv->ropts, kv->cf_data);
    if (plen) rocksdb_iter_seek(it, (const char *)prefix, plen);
    else rocksdb_iter_seek_to_first(it);
    for (; rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        if (klen < plen || memcmp(k, prefix, plen) != 0) break;
        const char *v = rocksdb_iter_value(it, &vlen);
        if (!cb((const uint8_t *)k, klen, (const uint8_t *)v, vlen, arg)) break;
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    if (err) {
        fl_log_error("kv", "rocksdb iterator failed: %s", err);
        rocksdb_free(err);
        return FL_ERR_KV_STORAGE_EXCEPTION;
    }
    return FL_ERR_NONE;
}

fl_err_t fl_kvstore_flush(fl_kvstore_t *kv) {
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    char *err = NULL;
    rocksdb_flush_cf(kv->db, fo, kv->cf_data, &err);
    if (!err) rocksdb_flush_cf(kv->db, fo, kv->cf_meta, &err);
    rocksdb_flushoptions_destroy(fo);
    if (err) {
        fl_log_error("kv", "rocksdb_flush() failed: %s", err);
        rocksdb_free(err);
        return FL_ERR_KV_STORAGE_EXCEPTION;
    }
    return FL_ERR_NONE;
}

uint64_t fl_kvstore_estimate_keys(fl_kvstore_t *kv) {
    uint64_t n = 0;
    rocksdb_property_int_cf(kv->db, kv->cf_data, "rocksdb.estimate-num-keys", &n);
    return n;
}
