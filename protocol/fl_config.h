/* fl_config.h: server configuration, with Fluss's key names.
 *
 * Sources, later ones winning: built-in defaults, then conf/server.yaml (a YAML mapping; nested
 * mappings are flattened with '.' as Fluss does), then -Dkey=value arguments. Values are kept
 * as strings and parsed on access; typed getters reject malformed values with a message that
 * names the key. */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include "fl_base.h"

typedef struct fl_config_s fl_config_t;

fl_config_t *fl_config_new(void);
void fl_config_free(fl_config_t *conf);

/** @brief Load a YAML file. @param why OUT error text (static/thread buffer) on failure.
 *  @returns 0, or -1 with *why set. */
int fl_config_load_yaml(fl_config_t *conf, const char *path, const char **why /* OUT */);
/** @brief Apply "key=value" (the text after -D). @returns 0 or -1 if there is no '='. */
int fl_config_set_kv(fl_config_t *conf, const char *kv);
void fl_config_set(fl_config_t *conf, const char *key, const char *value);
void fl_config_unset(fl_config_t *conf, const char *key);

/** @returns the raw value, or NULL when unset. */
const char *fl_config_get(const fl_config_t *conf, const char *key);
const char *fl_config_get_str(const fl_config_t *conf, const char *key, const char *dflt);

/* Typed getters: 0 on success (default used when unset), -1 when the value does not parse;
 * *why then says which key holds what. */
int fl_config_get_int(const fl_config_t *conf, const char *key, int64_t dflt,
                      int64_t *out /* OUT */, const char **why /* OUT */);
int fl_config_get_bool(const fl_config_t *conf, const char *key, bool dflt, bool *out /* OUT */,
                       const char **why /* OUT */);
/** Memory sizes as Fluss writes them: "100mb", "1024m", "4k", "16 MB", "1gb", plain bytes. */
int fl_config_get_size(const fl_config_t *conf, const char *key, int64_t dflt,
                       int64_t *out /* OUT, bytes */, const char **why /* OUT */);
/** Durations as Fluss writes them: "10 min", "30s", "500 ms", "7 d", "1h"; plain = ms. */
int fl_config_get_duration(const fl_config_t *conf, const char *key, int64_t dflt_ms,
                           int64_t *out /* OUT, ms */, const char **why /* OUT */);

/** Parsers behind the getters, for other callers (table properties). @returns 0 or -1. */
int fl_parse_size(const char *s, int64_t *out /* OUT */);
int fl_parse_duration_ms(const char *s, int64_t *out /* OUT */);

/** @brief Call cb for every key that starts with prefix, in key order. */
typedef void (fl_config_each_cb)(const char *key, const char *value, void *arg);
void fl_config_each(const fl_config_t *conf, const char *prefix, fl_config_each_cb *cb,
                    void *arg);

#endif
