/* test_kvstore.c: the KV index of a primary-key bucket: batched point reads (MultiGet) across
 * chunk boundaries, with misses, duplicates, memtable and SST hits; the applied offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl_kvstore.h"

#define NKEYS 700 /* more than five MultiGet chunks */

typedef struct answers_s {
    int calls[NKEYS];
    char val[NKEYS][32];
    bool found[NKEYS];
} answers_t;

static void collect(void *arg, size_t i, const uint8_t *v, size_t vl) {
    answers_t *a = arg;
    assert_true(i < NKEYS);
    a->calls[i]++;
    a->found[i] = v != NULL;
    if (v) {
        assert_true(vl < sizeof(a->val[i]));
        memcpy(a->val[i], v, vl);
        a->val[i][vl] = '\0';
    }
}

static void check(fl_kvstore_t *kv, int written, int flushed_gen) {
    /* keys k0..k(NKEYS-1) asked in a scrambled order with some asked twice; only even keys
     * below `written` exist, with values "v<n>.<gen>" */
    static char kbuf[NKEYS][16];
    const uint8_t *keys[NKEYS];
    size_t klens[NKEYS];
    int which[NKEYS];
    for (int i = 0; i < NKEYS; i++) {
        which[i] = (i * 379) % NKEYS;
        if (i % 50 == 49) which[i] = which[i - 1]; /* a duplicate */
        klens[i] = (size_t)snprintf(kbuf[i], sizeof(kbuf[i]), "k%d", which[i]);
        keys[i] = (const uint8_t *)kbuf[i];
    }
    answers_t *a = calloc(1, sizeof(*a));
    assert_int_equal(fl_kvstore_multi_get(kv, NKEYS, keys, klens, collect, a), FL_ERR_NONE);
    for (int i = 0; i < NKEYS; i++) {
        assert_int_equal(a->calls[i], 1);
        bool want = which[i] % 2 == 0 && which[i] < written;
        assert_int_equal(a->found[i], want);
        if (want) {
            char exp[32];
            snprintf(exp, sizeof(exp), "v%d.%d", which[i], which[i] < 100 ? flushed_gen + 1 : flushed_gen);
            assert_string_equal(a->val[i], exp);
        }
    }
    free(a);
    /* zero keys: no call */
    assert_int_equal(fl_kvstore_multi_get(kv, 0, keys, klens, collect, NULL), FL_ERR_NONE);
}

static void test_multi_get(void **state) {
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/fl-kvstore-XXXXXX");
    assert_non_null(mkdtemp(dir));
    fl_kvenv_conf_t conf;
    fl_kvenv_conf_defaults(&conf);
    assert_int_equal(conf.memtable_bloom_pct, 10);
    fl_kvenv_t *env = fl_kvenv_new(&conf);
    const char *why = NULL;
    fl_kvstore_t *kv = fl_kvstore_open(env, dir, &why);
    assert_non_null(kv);
    assert_int_equal(fl_kvstore_applied(kv), 0);
    /* generation 0: even keys below 600, flushed to an SST; then keys below 100 rewritten in
     * the memtable (generation 1), and one deleted */
    fl_kvwrite_t *w = fl_kvwrite_new();
    char k[16], v[32];
    for (int i = 0; i < 600; i += 2) {
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%d.0", i);
        fl_kvwrite_put(w, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v));
    }
    assert_int_equal(fl_kvstore_write(kv, w, 300), FL_ERR_NONE);
    fl_kvwrite_free(w);
    assert_int_equal(fl_kvstore_flush(kv), FL_ERR_NONE);
    w = fl_kvwrite_new();
    for (int i = 0; i < 100; i += 2) {
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%d.1", i);
        fl_kvwrite_put(w, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v));
    }
    fl_kvwrite_put(w, (const uint8_t *)"k598", 4, (const uint8_t *)"x", 1);
    fl_kvwrite_del(w, (const uint8_t *)"k598", 4);
    assert_int_equal(fl_kvstore_write(kv, w, 351), FL_ERR_NONE);
    fl_kvwrite_free(w);
    assert_int_equal(fl_kvstore_applied(kv), 351);
    check(kv, 598, 0);
    /* after a reopen: the same answers (WAL recovery), and the applied offset */
    fl_kvstore_close(kv);
    kv = fl_kvstore_open(env, dir, &why);
    assert_non_null(kv);
    assert_int_equal(fl_kvstore_applied(kv), 351);
    check(kv, 598, 0);
    fl_kvstore_destroy(kv, dir);
    fl_kvenv_free(env);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_get),
    };
    return cmocka_run_group_tests_name("kvstore", tests, NULL, NULL);
}
