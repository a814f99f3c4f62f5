/* 0007-kv_lake: `table upsert`, `table delete`, `table lookup` and `table lake` against a real
 * fl-server: rows of many types round trip through upsert and lookup in both KV formats (and
 * with the Paimon key encoding of a lake table), partial updates change only their columns,
 * deletes remove keys and show as -D in the changelog, bad input is reported with line, column
 * and reason and nothing of its batch is written, log tables are refused, partitioned and
 * composite keys route to their bucket, and `table lake` reports the snapshot, tiered offsets
 * and the lag of a lake-enabled table on a server started with datalake.format=paimon. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fl_buf.h"
#include "fl_cli_test.h"
#include "fl_wire.h"

static fl_ts_t ts;   /* a plain server */
static fl_ts_t lake; /* started with -Ddatalake.format=paimon */
static fl_run_t r;

/* ---- running fl-admin with stdin ------------------------------------------------------------ */

static void slurp(int fd, char *buf, size_t cap) {
    size_t n = 0;
    ssize_t k;
    lseek(fd, 0, SEEK_SET);
    while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0) n += (size_t)k;
    buf[n] = '\0';
}

static int run_in(fl_run_t *res, int port, const char *input, const char *const *args) {
    const char *argv[128];
    char addr[64];
    int n = 0;
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    argv[n++] = FL_ADMIN_BIN;
    argv[n++] = "--bootstrap-server";
    argv[n++] = addr;
    for (int i = 0; args[i] && n < 126; i++) argv[n++] = args[i];
    argv[n] = NULL;
    char in_path[] = "/tmp/fl-cli-in-XXXXXX", out_path[] = "/tmp/fl-cli-out-XXXXXX",
         err_path[] = "/tmp/fl-cli-err-XXXXXX";
    int in = mkstemp(in_path), out = mkstemp(out_path), err = mkstemp(err_path);
    assert_true(in >= 0 && out >= 0 && err >= 0);
    unlink(in_path);
    unlink(out_path);
    unlink(err_path);
    size_t len = input ? strlen(input) : 0;
    assert_int_equal(write(in, input ? input : "", len), (ssize_t)len);
    lseek(in, 0, SEEK_SET);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        unsetenv("FL_BOOTSTRAP_SERVER");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in);
    int status = 0;
    bool done = false;
    for (int i = 0; i < 6000 && !done; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) done = true;
        else usleep(10000);
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    slurp(out, res->out, sizeof(res->out));
    slurp(err, res->err, sizeof(res->err));
    close(out);
    close(err);
    res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!done) fail_msg("fl-admin ran for more than 60 s:\n%s\n%s", res->out, res->err);
    return res->status;
}

#define RUN(res, input, ...) run_in((res), ts.port, (input), (const char *const[]){__VA_ARGS__, NULL})
#define RUNL(res, input, ...) run_in((res), lake.port, (input), (const char *const[]){__VA_ARGS__, NULL})

static void put(fl_buf_t *b, const char *fmt, ...) {
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    fl_buf_put(b, tmp, (size_t)n);
}

/* stdout must be exactly want; on a difference show the first differing line. */
static void expect_out(const fl_run_t *res, const char *want) {
    if (!strcmp(res->out, want)) return;
    const char *a = want, *b = res->out;
    while (*a && *a == *b) a++, b++;
    while (a > want && a[-1] != '\n') a--, b--;
    fail_msg("stdout differs (exit %d); first difference:\nwant: %.400s\ngot:  %.400s\nstderr: %.400s", res->status,
             a, b, res->err);
}

/* ---- the typed table ------------------------------------------------------------------------ */

static void create_typed(int port, const char *name, const char *kv_format) {
    char f[64];
    snprintf(f, sizeof(f), "table.kv.format=%s", kv_format);
    run_in(&r, port, NULL,
           (const char *const[]){"table", "create", name, "--column", "id BIGINT", "--column", "k STRING",
                                 "--column", "c_bool BOOLEAN", "--column", "c_int INT", "--column", "c_double DOUBLE",
                                 "--column", "c_dec DECIMAL(10, 2)", "--column", "c_big DECIMAL(30, 5)",
                                 "--column", "c_bytes BYTES", "--column", "c_date DATE", "--column",
                                 "c_ts TIMESTAMP(6)", "--column", "c_ltz TIMESTAMP_LTZ(3)", "--column",
                                 "c_arr ARRAY<INT>", "--column", "c_row ROW<a INT, b STRING>", "--primary-key",
                                 "id,k", "--buckets", "4", "--property", f, NULL});
    fl_expect(&r, 0, "Created table", "");
}

/* Row i (version v) as lookup prints it. */
static void typed_row(fl_buf_t *b, long i, int v) {
    static const char *bytes[] = {"", "AQID", "/w==", "AAAAAAAAAAA="};
    if (i % 5 == 4) {
        put(b, "{\"id\":%ld,\"k\":\"key-%ld\",\"c_bool\":null,\"c_int\":null,\"c_double\":null,\"c_dec\":null,"
               "\"c_big\":null,\"c_bytes\":null,\"c_date\":null,\"c_ts\":null,\"c_ltz\":null,\"c_arr\":null,"
               "\"c_row\":null}\n", i, i);
        return;
    }
    put(b,
        "{\"id\":%ld,\"k\":\"key-%ld\",\"c_bool\":%s,\"c_int\":%ld,\"c_double\":%ld.5,\"c_dec\":%ld.%02d,"
        "\"c_big\":123456789012345678901234.%05d,\"c_bytes\":\"%s\",\"c_date\":\"2024-02-%02ld\","
        "\"c_ts\":\"2023-11-14T22:13:20.%06ld\",\"c_ltz\":\"1969-07-20T20:17:40.%03ldZ\",\"c_arr\":[%ld,null,%d],"
        "\"c_row\":{\"a\":%d,\"b\":\"r\xc3\xa9\\\"%ld\"}}\n",
        i, i, (i + v) % 2 ? "true" : "false", i * 1000 - 7 + v, -i * 3 - v, i * 7, v, (int)(i * 13 % 100000),
        bytes[(i + v) % 4], i % 28 + 1, i * 37 + v, i % 1000, i, v, v, i);
}

static void typed_keys(fl_buf_t *b, long from, long to) {
    for (long i = from; i < to; i++) put(b, "{\"id\":%ld,\"k\":\"key-%ld\"}\n", i, i);
    fl_buf_put_u8(b, 0);
}

static void round_trip(int port, const char *name, const char *kv_format) {
    create_typed(port, name, kv_format);
    fl_buf_t in, keys;
    fl_buf_init(&in);
    fl_buf_init(&keys);
    for (long i = 0; i < 40; i++) typed_row(&in, i, 0);
    fl_buf_put_u8(&in, 0);
    run_in(&r, port, (char *)in.p, (const char *const[]){"table", "upsert", name, "--batch-rows", "7", NULL});
    fl_expect(&r, 0, "Upserted 40 rows into fluss.", "");
    typed_keys(&keys, 0, 40);
    run_in(&r, port, (char *)keys.p, (const char *const[]){"table", "lookup", name, "--format", "jsonl", NULL});
    fl_expect(&r, 0, NULL, "");
    expect_out(&r, (char *)in.p);
    /* an upsert of existing keys replaces their rows */
    fl_buf_reset(&in);
    for (long i = 10; i < 20; i++) typed_row(&in, i, 1);
    fl_buf_put_u8(&in, 0);
    run_in(&r, port, (char *)in.p, (const char *const[]){"table", "upsert", name, NULL});
    fl_expect(&r, 0, "Upserted 10 rows", "");
    fl_buf_reset(&keys);
    typed_keys(&keys, 10, 20);
    run_in(&r, port, (char *)keys.p, (const char *const[]){"--json", "table", "lookup", name, NULL});
    fl_expect(&r, 0, NULL, "");
    expect_out(&r, (char *)in.p);
    fl_buf_free(&in);
    fl_buf_free(&keys);
}

/* ---- setup ------------------------------------------------------------------------------------ */

static int setup(void **state) {
    (void)state;
    fl_ts_start(&ts, "local", NULL);
    fl_ts_start(&lake, "local", (const char *const[]){"-Ddatalake.format=paimon", NULL});
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(fl_ts_stop(&ts), 0);
    assert_int_equal(fl_ts_stop(&lake), 0);
    fl_cli_rmtree(ts.dir);
    fl_cli_rmtree(lake.dir);
    return 0;
}

static void create_users_age(const char *name, const char *age) {
    RUN(&r, NULL, "table", "create", name, "--column", "id INT", "--column", "name STRING", "--column", age,
        "--primary-key", "id", "--buckets", "3");
    fl_expect(&r, 0, "Created table", "");
    RUN(&r, "{\"id\":1,\"name\":\"ann\",\"age\":30}\n[2,\"bob\",40]\n{\"id\":3,\"name\":\"cy\",\"age\":50}\n",
        "table", "upsert", name);
    fl_expect(&r, 0, "Upserted 3 rows into fluss.", "");
}

static void create_users(const char *name) {
    create_users_age(name, "age INT NOT NULL");
}

/* ---- tests -------------------------------------------------------------------------------------- */

static void test_round_trip_compacted(void **state) {
    (void)state;
    round_trip(ts.port, "typed_compacted", "COMPACTED");
}

static void test_round_trip_indexed(void **state) {
    (void)state;
    round_trip(ts.port, "typed_indexed", "INDEXED");
}

static void test_lookup_output(void **state) {
    (void)state;
    create_users("users");
    RUN(&r, NULL, "table", "lookup", "users", "--key", "{\"id\":2}");
    fl_expect(&r, 0, NULL, "");
    expect_out(&r, "id  name  age\n2   bob   40\n");
    RUN(&r, "{\"id\":3}\n{\"id\":99}\n\n{\"id\":1}\n", "table", "lookup", "users");
    fl_expect(&r, 0, NULL, "not found: {\"id\":99}\n");
    expect_out(&r, "id  name  age\n3   cy    50\n1   ann   30\n");
    RUN(&r, "{\"id\":3}\n{\"id\":99}\n", "table", "lookup", "users", "--format", "jsonl");
    fl_expect(&r, 0, NULL, "");
    expect_out(&r, "{\"id\":3,\"name\":\"cy\",\"age\":50}\nnull\n");
    RUN(&r, NULL, "table", "lookup", "users", "--key", "{\"id\":98}");
    fl_expect(&r, 0, NULL, "not found: {\"id\":98}");
    expect_out(&r, "");
    /* keys name the primary key and nothing else */
    RUN(&r, NULL, "table", "lookup", "users", "--key", "{\"id\":1,\"age\":3}");
    fl_expect(&r, 2, NULL, "error: --key, column 'age': not a primary-key column");
    RUN(&r, NULL, "table", "lookup", "users", "--key", "{}");
    fl_expect(&r, 2, NULL, "error: --key, column 'id': missing: every primary-key column is needed");
    RUN(&r, "{\"id\":1}\n{\"id\":\"x\"}\n", "table", "lookup", "users");
    fl_expect(&r, 2, NULL, "error: line 2, column 'id': ");
    expect_out(&r, "");
    RUN(&r, NULL, "table", "lookup", "nope", "--key", "{\"id\":1}");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST");
}

static void test_partial_update(void **state) {
    (void)state;
    /* the server refuses a partial update while a non-key column is NOT NULL (as Fluss does) */
    create_users("partial_nn");
    RUN(&r, "{\"id\":1,\"name\":\"x\"}\n", "table", "upsert", "partial_nn", "--columns", "id,name");
    fl_expect(&r, 1, NULL, "error: INVALID_TARGET_COLUMN (35): ");
    create_users_age("partial", "age INT");
    RUN(&r, "{\"id\":1,\"age\":31}\n{\"id\":2,\"age\":41}\n", "table", "upsert", "partial", "--columns", "id,age");
    fl_expect(&r, 0, "Upserted 2 rows", "");
    RUN(&r, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n", "table", "lookup", "partial", "--format", "jsonl");
    expect_out(&r, "{\"id\":1,\"name\":\"ann\",\"age\":31}\n{\"id\":2,\"name\":\"bob\",\"age\":41}\n"
                   "{\"id\":3,\"name\":\"cy\",\"age\":50}\n");
    RUN(&r, "{\"id\":3,\"name\":null}\n", "table", "upsert", "partial", "--columns", "name, id");
    fl_expect(&r, 0, "Upserted 1 row", "");
    RUN(&r, NULL, "table", "lookup", "partial", "--key", "{\"id\":3}", "--format", "jsonl");
    expect_out(&r, "{\"id\":3,\"name\":null,\"age\":50}\n");
    /* the list must hold the key; rows name only listed columns */
    RUN(&r, "{\"id\":1,\"age\":1}\n", "table", "upsert", "partial", "--columns", "age");
    fl_expect(&r, 2, NULL, "error: --columns must include every primary-key column; 'id' is missing");
    RUN(&r, "{\"id\":1,\"age\":1}\n", "table", "upsert", "partial", "--columns", "id,nope");
    fl_expect(&r, 2, NULL, "error: --columns: table fluss.partial has no column 'nope'");
    RUN(&r, "{\"id\":1,\"age\":1,\"name\":\"z\"}\n", "table", "upsert", "partial", "--columns", "id,age");
    fl_expect(&r, 2, NULL, "error: line 1, column 'name': not in --columns");
    RUN(&r, "[1,\"z\",1]\n", "table", "upsert", "partial", "--columns", "id,age");
    fl_expect(&r, 2, NULL, "error: line 1: expected a JSON object keyed by column name");
    RUN(&r, NULL, "table", "lookup", "partial", "--key", "{\"id\":1}", "--format", "jsonl");
    expect_out(&r, "{\"id\":1,\"name\":\"ann\",\"age\":31}\n");
}

static void test_delete(void **state) {
    (void)state;
    create_users("del");
    RUN(&r, "{\"id\":2}\n{\"id\":3,\"name\":\"ignored\",\"age\":0}\n{\"id\":77}\n", "table", "delete", "del");
    fl_expect(&r, 0, "Deleted 3 rows from fluss.del", "");
    RUN(&r, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n", "table", "lookup", "del", "--format", "jsonl");
    expect_out(&r, "{\"id\":1,\"name\":\"ann\",\"age\":30}\nnull\nnull\n");
    RUN(&r, "{\"name\":\"ann\"}\n", "table", "delete", "del");
    fl_expect(&r, 2, NULL, "error: line 1, column 'id': missing: every primary-key column is needed");
    RUN(&r, NULL, "--json", "table", "delete", "del");
    fl_expect(&r, 0, "\"deleted\": 0", "");
    /* the changelog shows what the server made of it */
    RUN(&r, NULL, "table", "scan", "del", "--format", "csv");
    fl_expect(&r, 0, NULL, "");
    assert_int_equal(fl_count(r.out, ",+I,"), 3);
    assert_int_equal(fl_count(r.out, ",-D,"), 2);
}

static void test_bad_input(void **state) {
    (void)state;
    create_users("bad");
    RUN(&r, "{\"id\":10,\"name\":\"x\",\"age\":1}\n{\"id\":11,\"age\":\"old\"}\n{\"id\":12,\n{\"id\":null,\"age\":1}\n"
            "{\"id\":13,\"nope\":1,\"age\":1}\n{\"id\":14}\n[1,2]\n",
        "table", "upsert", "bad");
    fl_expect(&r, 2, NULL, "error: line 2, column 'age': 'old' is not an integer");
    assert_non_null(strstr(r.err, "error: line 3: "));
    assert_non_null(strstr(r.err, "error: line 4, column 'id': null is not allowed (INT NOT NULL)"));
    assert_non_null(strstr(r.err, "error: line 5, column 'nope': table fluss.bad has no such column"));
    assert_non_null(strstr(r.err, "error: line 6, column 'age': missing, and the column is NOT NULL"));
    assert_non_null(strstr(r.err, "error: line 7: 2 values; table fluss.bad has 3 columns"));
    assert_non_null(strstr(r.err, "error: nothing of the batch starting on line 1 was written"));
    RUN(&r, NULL, "table", "lookup", "bad", "--key", "{\"id\":10}", "--format", "jsonl");
    expect_out(&r, "null\n");
    /* a later batch with a bad line: the earlier batches stay written */
    RUN(&r, "{\"id\":20,\"age\":1}\n{\"id\":21,\"age\":1}\n{\"id\":22,\"age\":true}\n", "table", "upsert", "bad",
        "--batch-rows", "2");
    fl_expect(&r, 2, NULL, "error: line 3, column 'age': ");
    assert_non_null(strstr(r.err, "nothing of the batch starting on line 3 was written"));
    RUN(&r, "{\"id\":20}\n{\"id\":22}\n", "table", "lookup", "bad", "--format", "jsonl");
    expect_out(&r, "{\"id\":20,\"name\":null,\"age\":1}\nnull\n");
    RUN(&r, "", "table", "upsert", "bad", "--batch-rows", "0");
    fl_expect(&r, 2, NULL, "error: --batch-rows must be a number in [1, 1000000], not '0'");
}

static void test_log_table(void **state) {
    (void)state;
    RUN(&r, NULL, "table", "create", "logt", "--column", "id INT");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, NULL, "table", "lookup", "logt", "--key", "{\"id\":1}");
    fl_expect(&r, 2, NULL, "error: fluss.logt is a log table (it has no primary key); table lookup works on "
                           "primary-key tables");
    RUN(&r, "{\"id\":1}\n", "table", "upsert", "logt");
    fl_expect(&r, 2, NULL, "error: fluss.logt is a log table (it has no primary key); table upsert works on");
    RUN(&r, "{\"id\":1}\n", "table", "delete", "logt");
    fl_expect(&r, 2, NULL, "table delete works on primary-key tables");
}

static void test_partitioned_composite(void **state) {
    (void)state;
    /* primary key (id, region, dt), partitioned by dt, bucket key region: the KV key is the
     * physical key (id, region) in the compacted encoding, the bucket from region alone */
    RUN(&r, NULL, "table", "create", "pc", "--column", "id INT", "--column", "region STRING", "--column",
        "dt STRING", "--column", "v DOUBLE", "--primary-key", "id,region,dt", "--partition-key", "dt",
        "--bucket-key", "region", "--buckets", "4");
    fl_expect(&r, 0, "Created table", "");
    RUN(&r, NULL, "partition", "create", "pc", "dt=2024");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, NULL, "partition", "create", "pc", "dt=2025");
    fl_expect(&r, 0, NULL, "");
    fl_buf_t in, keys;
    fl_buf_init(&in);
    fl_buf_init(&keys);
    for (int i = 0; i < 30; i++) {
        put(&in, "{\"id\":%d,\"region\":\"r%d\",\"dt\":\"%s\",\"v\":%d.25}\n", i % 10, i % 7, i % 2 ? "2024" : "2025", i);
        put(&keys, "{\"id\":%d,\"region\":\"r%d\",\"dt\":\"%s\"}\n", i % 10, i % 7, i % 2 ? "2024" : "2025");
    }
    fl_buf_put_u8(&in, 0);
    fl_buf_put_u8(&keys, 0);
    RUN(&r, (char *)in.p, "table", "upsert", "pc");
    fl_expect(&r, 0, "Upserted 30 rows", "");
    RUN(&r, (char *)keys.p, "table", "lookup", "pc", "--format", "jsonl");
    fl_expect(&r, 0, NULL, "");
    expect_out(&r, (char *)in.p);
    /* rows of one region are in one bucket of each partition */
    for (int bucket = 0; bucket < 4; bucket++) {
        char bs[4];
        snprintf(bs, sizeof(bs), "%d", bucket);
        RUN(&r, NULL, "table", "scan", "pc", "--bucket", bs, "--format", "jsonl", "--rows-only");
        for (int reg = 0; reg < 7; reg++) {
            char pat[32];
            snprintf(pat, sizeof(pat), "\"region\":\"r%d\"", reg);
            if (strstr(r.out, pat)) {
                for (int other = 0; other < 4; other++) {
                    if (other == bucket) continue;
                    fl_run_t r2;
                    snprintf(bs, sizeof(bs), "%d", other);
                    run_in(&r2, ts.port, NULL,
                           (const char *const[]){"table", "scan", "pc", "--bucket", bs, "--format", "jsonl",
                                                 "--rows-only", NULL});
                    assert_null(strstr(r2.out, pat));
                }
            }
        }
    }
    RUN(&r, "{\"id\":1,\"region\":\"x\",\"dt\":\"2030\",\"v\":1}\n", "table", "upsert", "pc");
    fl_expect(&r, 2, NULL, "error: line 1: partition '2030' of fluss.pc does not exist");
    RUN(&r, NULL, "table", "lookup", "pc", "--key", "{\"id\":1,\"region\":\"r1\"}");
    fl_expect(&r, 2, NULL, "error: --key, column 'dt': missing: every primary-key column is needed");
    fl_buf_free(&in);
    fl_buf_free(&keys);
}

static void test_lake(void **state) {
    (void)state;
    /* a table that is not lake-enabled has no snapshot */
    run_in(&r, lake.port, NULL, (const char *const[]){"table", "create", "plain", "--column", "id INT",
                                                      "--primary-key", "id", NULL});
    fl_expect(&r, 0, NULL, "");
    RUNL(&r, NULL, "table", "lake", "plain");
    fl_expect(&r, 1, NULL, "error: LAKE_SNAPSHOT_NOT_EXIST (53): fluss.plain has no lake snapshot yet: the table "
                           "is not lake-enabled");
    RUNL(&r, NULL, "table", "lake", "nope");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST");
    /* the Paimon key encoding and bucket function of a lake table round trip too */
    round_trip(lake.port, "typed_lake", "COMPACTED");
    RUNL(&r, NULL, "table", "create", "lk", "--column", "id INT", "--column", "v STRING", "--primary-key", "id",
         "--buckets", "2", "--property", "table.datalake.enabled=true", "--property",
         "table.datalake.freshness=1s");
    fl_expect(&r, 0, NULL, "");
    RUNL(&r, "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n{\"id\":4,\"v\":\"d\"}\n",
         "table", "upsert", "lk");
    fl_expect(&r, 0, "Upserted 4 rows", "");
    /* wait until the tiering has committed everything */
    json_t *j = NULL;
    for (int i = 0; i < 300; i++) {
        RUNL(&r, NULL, "--json", "table", "lake", "lk");
        if (r.status == 0) {
            j = fl_out_json(&r);
            json_int_t tiered = 0;
            json_t *b;
            size_t k;
            json_array_foreach(json_object_get(j, "buckets"), k, b) tiered += json_integer_value(json_object_get(b, "tiered_offset"));
            if (tiered == 4) break;
            json_decref(j);
            j = NULL;
        } else {
            fl_expect(&r, 1, NULL, "LAKE_SNAPSHOT_NOT_EXIST (53)");
        }
        usleep(100000);
    }
    assert_non_null(j);
    assert_true(json_integer_value(json_object_get(j, "snapshot_id")) >= 1);
    assert_true(json_is_true(json_object_get(j, "lake_enabled")));
    assert_string_equal(json_string_value(json_object_get(j, "lake_format")), "paimon");
    assert_true(json_real_value(json_object_get(j, "lag_seconds")) == 0.0);
    json_t *b;
    size_t k;
    int64_t before = fl_now_ms();
    json_array_foreach(json_object_get(j, "buckets"), k, b) {
        assert_int_equal(json_integer_value(json_object_get(b, "behind")), 0);
        assert_int_equal(json_integer_value(json_object_get(b, "tiered_offset")),
                         json_integer_value(json_object_get(b, "log_end_offset")));
        if (json_integer_value(json_object_get(b, "tiered_offset")) > 0) {
            int64_t t = json_integer_value(json_object_get(b, "last_tiered_timestamp"));
            assert_true(t > before - 120000 && t <= before);
        }
    }
    json_decref(j);
    RUNL(&r, NULL, "table", "lake", "lk");
    fl_expect(&r, 0, "Lake snapshot:  ", "");
    assert_non_null(strstr(r.out, "Lake lag:       0.0 s (every record is in the lake)"));
    assert_non_null(strstr(r.out, "BUCKET  TIERED OFFSET  LOG END OFFSET  BEHIND  LAST TIERED RECORD"));
    /* no more rounds for an hour: new rows wait, and the lag grows */
    RUNL(&r, NULL, "table", "alter", "lk", "--set", "table.datalake.freshness=1h");
    fl_expect(&r, 0, NULL, "");
    usleep(1500000);
    RUNL(&r, "{\"id\":5,\"v\":\"e\"}\n{\"id\":6,\"v\":\"f\"}\n", "table", "upsert", "lk");
    fl_expect(&r, 0, NULL, "");
    usleep(1200000);
    RUNL(&r, NULL, "--json", "table", "lake", "lk");
    fl_expect(&r, 0, NULL, "");
    j = fl_out_json(&r);
    double lag = json_real_value(json_object_get(j, "lag_seconds"));
    assert_true(lag >= 1.0 && lag < 60.0);
    json_int_t behind = 0;
    json_array_foreach(json_object_get(j, "buckets"), k, b) {
        behind += json_integer_value(json_object_get(b, "behind"));
        if (json_integer_value(json_object_get(b, "behind")) > 0)
            assert_true(json_integer_value(json_object_get(b, "oldest_untiered_timestamp")) > before);
    }
    assert_int_equal(behind, 2);
    json_decref(j);
    /* the rows are readable by key all along */
    RUNL(&r, "{\"id\":1}\n{\"id\":6}\n", "table", "lookup", "lk", "--format", "jsonl");
    expect_out(&r, "{\"id\":1,\"v\":\"a\"}\n{\"id\":6,\"v\":\"f\"}\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_compacted),
        cmocka_unit_test(test_round_trip_indexed),
        cmocka_unit_test(test_lookup_output),
        cmocka_unit_test(test_partial_update),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_log_table),
        cmocka_unit_test(test_partitioned_composite),
        cmocka_unit_test(test_lake),
    };
    return cmocka_run_group_tests_name("cli_kv_lake", tests, setup, teardown);
}
