/* 0006-produce_scan: `table produce` and `table scan` against a real fl-server: every type
 * round trips through every log format (JSON lines and CSV), bad input lines are reported with
 * line, column and reason and nothing of their batch is written, scan starts from earliest /
 * latest / a time, stops at --limit, follows new rows, reads partitions, notices a corrupt
 * batch; bucket keys spread rows; primary-key tables are refused. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fl_buf.h"
#include "fl_cli_test.h"
#include "fl_wire.h"

static fl_ts_t ts;
static fl_run_t r;

/* ---- running fl-admin with stdin ------------------------------------------------------------ */

typedef struct job_s {
    pid_t pid;
    int out, err;
} job_t;

static void job_start(job_t *j, const char *input, const char *const *args) {
    const char *argv[128];
    char addr[64];
    int n = 0;
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", ts.port);
    argv[n++] = FL_ADMIN_BIN;
    argv[n++] = "--bootstrap-server";
    argv[n++] = addr;
    for (int i = 0; args[i] && n < 126; i++) argv[n++] = args[i];
    argv[n] = NULL;
    char in_path[] = "/tmp/fl-cli-in-XXXXXX", out_path[] = "/tmp/fl-cli-out-XXXXXX",
         err_path[] = "/tmp/fl-cli-err-XXXXXX";
    int in = mkstemp(in_path);
    j->out = mkstemp(out_path);
    j->err = mkstemp(err_path);
    assert_true(in >= 0 && j->out >= 0 && j->err >= 0);
    unlink(in_path);
    unlink(out_path);
    unlink(err_path);
    size_t len = input ? strlen(input) : 0;
    assert_int_equal(write(in, input ? input : "", len), (ssize_t)len);
    lseek(in, 0, SEEK_SET);
    j->pid = fork();
    assert_true(j->pid >= 0);
    if (j->pid == 0) {
        dup2(in, 0);
        dup2(j->out, 1);
        dup2(j->err, 2);
        unsetenv("FL_BOOTSTRAP_SERVER");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in);
}

static void slurp(int fd, char *buf, size_t cap) {
    size_t n = 0;
    ssize_t k;
    lseek(fd, 0, SEEK_SET);
    while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0) n += (size_t)k;
    buf[n] = '\0';
}

static int job_wait(job_t *j, fl_run_t *res) {
    int status = 0;
    bool done = false;
    for (int i = 0; i < 6000 && !done; i++) {
        if (waitpid(j->pid, &status, WNOHANG) == j->pid) done = true;
        else usleep(10000);
    }
    if (!done) {
        kill(j->pid, SIGKILL);
        waitpid(j->pid, &status, 0);
    }
    slurp(j->out, res->out, sizeof(res->out));
    slurp(j->err, res->err, sizeof(res->err));
    close(j->out);
    close(j->err);
    res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!done) fail_msg("fl-admin ran for more than 60 s:\n%s\n%s", res->out, res->err);
    return res->status;
}

static int run_in(fl_run_t *res, const char *input, const char *const *args) {
    job_t j;
    job_start(&j, input, args);
    return job_wait(&j, res);
}

#define RUN(res, input, ...) run_in((res), (input), (const char *const[]){__VA_ARGS__, NULL})

/* ---- helpers ----------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted, joined again by '\n' (the caller frees). */
static char *sorted_lines(const char *text, size_t skip) {
    char *copy = strdup(text);
    char **lines = calloc(strlen(text) + 2, sizeof(char *));
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    assert_true(n >= skip);
    qsort(lines + skip, n - skip, sizeof(char *), cmp_str);
    fl_buf_t b;
    fl_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        fl_buf_put(&b, lines[i], strlen(lines[i]));
        fl_buf_put_u8(&b, '\n');
    }
    fl_buf_put_u8(&b, 0);
    char *out = strdup((char *)b.p);
    fl_buf_free(&b);
    free(lines);
    free(copy);
    return out;
}

static void assert_same_lines(const char *want, const char *got, size_t skip) {
    char *w = sorted_lines(want, skip), *g = sorted_lines(got, skip);
    if (strcmp(w, g)) {
        /* show the first differing line */
        const char *a = w, *b = g;
        while (*a && *a == *b) a++, b++;
        while (a > w && a[-1] != '\n') a--, b--;
        fail_msg("lines differ; first difference:\nwant: %.400s\ngot:  %.400s", a, b);
    }
    free(w);
    free(g);
}

static void b64(fl_buf_t *b, const uint8_t *p, size_t n) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {t[v >> 18], t[(v >> 12) & 63], i + 1 < n ? t[(v >> 6) & 63] : '=', i + 2 < n ? t[v & 63] : '='};
        fl_buf_put(b, q, 4);
    }
}

static void put(fl_buf_t *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    fl_buf_put(b, tmp, (size_t)n);
}

/* The all-types table; columns in order. */
static const char *const all_cols[] = {
    "id BIGINT",
    "c_boolean BOOLEAN",
    "c_tinyint TINYINT",
    "c_smallint SMALLINT",
    "c_int INT",
    "c_float FLOAT",
    "c_double DOUBLE",
    "c_decimal_small DECIMAL(10, 2)",
    "c_decimal_big DECIMAL(30, 5)",
    "c_char CHAR(4)",
    "c_string STRING",
    "c_binary BINARY(8)",
    "c_bytes BYTES",
    "c_date DATE",
    "c_time TIME",
    "c_time3 TIME(3)",
    "c_ts3 TIMESTAMP(3)",
    "c_ts6 TIMESTAMP(6)",
    "c_ltz3 TIMESTAMP_LTZ(3)",
    "c_ltz9 TIMESTAMP_LTZ(9)",
    "c_array ARRAY<INT>",
    "c_map MAP<STRING NOT NULL, DOUBLE>",
    "c_map2 MAP<INT NOT NULL, STRING>",
    "c_row ROW<f0 BIGINT, f1 STRING>",
    "c_nested ARRAY<ROW<a INT, b ARRAY<STRING>>>",
    "c_not_null INT NOT NULL",
};

static void create_all_types(const char *name, const char *format, const char *compression) {
    const char *args[80];
    int n = 0;
    args[n++] = "table";
    args[n++] = "create";
    args[n++] = name;
    for (size_t i = 0; i < sizeof(all_cols) / sizeof(all_cols[0]); i++) {
        args[n++] = "--column";
        args[n++] = all_cols[i];
    }
    char f[64], c[80];
    snprintf(f, sizeof(f), "table.log.format=%s", format);
    snprintf(c, sizeof(c), "table.log.arrow.compression.type=%s", compression);
    args[n++] = "--property";
    args[n++] = f;
    args[n++] = "--property";
    args[n++] = c;
    args[n++] = "--buckets";
    args[n++] = "2";
    args[n] = NULL;
    fl_run_t c0;
    fl_admin_at(&c0, ts.port, args);
    fl_expect(&c0, 0, "Created table", "");
}

/* Row i of the all-types table as the canonical JSON object scan prints (and produce reads). */
static void all_types_row(fl_buf_t *b, long i) {
    static const char *dates[] = {"1970-01-01", "2024-02-29", "1969-12-31", "0001-01-01", "9999-12-31", "1900-03-01"};
    static const char *times[] = {"00:00:00", "23:59:59", "12:34:56"};
    static const char *times3[] = {"00:00:00.000", "23:59:59.999", "12:34:56.789"};
    static const char *ts3[] = {"1970-01-01T00:00:00.000", "2024-02-29T23:59:59.999", "1969-12-31T23:59:59.999",
                                "1900-01-01T00:00:00.001"};
    static const char *ts6[] = {"2023-11-14T22:13:20.123456", "1969-12-31T23:59:59.999999",
                                "1970-01-01T00:00:00.000001"};
    static const char *ltz3[] = {"2023-11-14T22:13:20.001Z", "1969-07-20T20:17:40.000Z"};
    static const char *ltz9[] = {"2023-11-14T22:13:20.123456789Z", "1969-12-31T23:59:59.999999999Z",
                                 "1970-01-01T00:00:00.000000001Z"};
    static const char *floats[] = {"NaN", "-Infinity", "0.1", "1.0E20", "-0.0", "100.0", "1.5E-5"};
    static const char *doubles[] = {"Infinity", "3.141592653589793", "1.0E-300", "1234567.5", "0.001"};
    bool nulls = i % 7 == 3;
    put(b, "{\"id\":%ld", i);
    if (nulls) {
        for (size_t k = 1; k + 1 < sizeof(all_cols) / sizeof(all_cols[0]); k++) {
            char name[64];
            sscanf(all_cols[k], "%63s", name);
            put(b, ",\"%s\":null", name);
        }
        put(b, ",\"c_not_null\":%ld}", -i);
        return;
    }
    put(b, ",\"c_boolean\":%s", i % 2 ? "false" : "true");
    put(b, ",\"c_tinyint\":%ld", i % 256 - 128);
    put(b, ",\"c_smallint\":%ld", i * 7 - 30000);
    put(b, ",\"c_int\":%ld", i * 100003 - 1000000);
    if (i % 4 == 0) put(b, ",\"c_float\":\"%s\"", floats[(i / 4) % 2]);
    else put(b, ",\"c_float\":%s", floats[2 + i % 5]);
    if (i % 6 == 0) put(b, ",\"c_double\":\"%s\"", doubles[0]);
    else put(b, ",\"c_double\":%s", doubles[1 + i % 4]);
    put(b, ",\"c_decimal_small\":%s%ld.%02ld", i % 2 ? "-" : "", i * 13 + 7, i % 100);
    put(b, ",\"c_decimal_big\":%s1234567890123456789%ld.%05ld", i % 3 ? "" : "-", i % 10, i * 37 % 100000);
    if (i % 11 == 0) put(b, ",\"c_char\":\"\xc3\xbc\xc3\xb1\"");
    else put(b, ",\"c_char\":\"c%ld\"", i % 100);
    if (i % 5 == 1) put(b, ",\"c_string\":\"q\\\"b\\\\s\\n\\t\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\\u0001\"");
    else if (i % 5 == 2) put(b, ",\"c_string\":\"\"");
    else put(b, ",\"c_string\":\"string-%ld\"", i);
    uint8_t bin[8] = {(uint8_t)i, 1, 2, 3, 4, 5, 6, 0xff};
    put(b, ",\"c_binary\":\"");
    b64(b, bin, 8);
    put(b, "\",\"c_bytes\":\"");
    char bytes[32];
    int bl = i % 5 == 2 ? 0 : snprintf(bytes, sizeof(bytes), "bytes%ld", i);
    b64(b, (const uint8_t *)bytes, (size_t)bl);
    put(b, "\"");
    put(b, ",\"c_date\":\"%s\"", dates[i % 6]);
    put(b, ",\"c_time\":\"%s\"", times[i % 3]);
    put(b, ",\"c_time3\":\"%s\"", times3[i % 3]);
    put(b, ",\"c_ts3\":\"%s\"", ts3[i % 4]);
    put(b, ",\"c_ts6\":\"%s\"", ts6[i % 3]);
    put(b, ",\"c_ltz3\":\"%s\"", ltz3[i % 2]);
    put(b, ",\"c_ltz9\":\"%s\"", ltz9[i % 3]);
    if (i % 5 == 4) put(b, ",\"c_array\":[]");
    else put(b, ",\"c_array\":[%ld,%ld,null]", i, i + 1);
    put(b, ",\"c_map\":{\"k%ld\":1.5,\"z\":null}", i);
    put(b, ",\"c_map2\":[[%ld,\"a\"],[-2,null]]", i);
    put(b, ",\"c_row\":{\"f0\":%ld,\"f1\":\"nested%ld\"}", i, i);
    put(b, ",\"c_nested\":[{\"a\":%ld,\"b\":[\"x\",null]},null,{\"a\":null,\"b\":[]}]", i);
    put(b, ",\"c_not_null\":%ld}", -i);
}

static char *all_types_input(long from, long n) {
    fl_buf_t b;
    fl_buf_init(&b);
    for (long i = from; i < from + n; i++) {
        all_types_row(&b, i);
        fl_buf_put_u8(&b, '\n');
    }
    fl_buf_put_u8(&b, 0);
    char *s = strdup((char *)b.p);
    fl_buf_free(&b);
    return s;
}

/* Number of lines in s. */
static int nlines(const char *s) {
    return fl_count(s, "\n");
}

/* ---- fixtures ------------------------------------------------------------------------------------ */

static int setup(void **state) {
    (void)state;
    fl_ts_start(&ts, "local", NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(fl_ts_stop(&ts), 0);
    fl_cli_rmtree(ts.dir);
    return 0;
}

/* ---- tests --------------------------------------------------------------------------------------- */

static void round_trip(const char *name, const char *format, const char *compression) {
    create_all_types(name, format, compression);
    char *in = all_types_input(0, 60);
    RUN(&r, in, "table", "produce", name, "--batch-rows", "7");
    fl_expect(&r, 0, "Wrote 60 rows to fluss.", "");
    RUN(&r, NULL, "table", "scan", name, "--format", "jsonl", "--rows-only");
    fl_expect(&r, 0, NULL, "");
    assert_same_lines(in, r.out, 0);
    /* CSV: what scan prints, produce reads; a second table gets the same rows */
    RUN(&r, NULL, "table", "scan", name, "--format", "csv", "--rows-only");
    fl_expect(&r, 0, "id,c_boolean,c_tinyint,", "");
    char *csv = strdup(r.out);
    char copy[64];
    snprintf(copy, sizeof(copy), "%s_csv", name);
    create_all_types(copy, format, compression);
    RUN(&r, csv, "table", "produce", copy, "--format", "csv");
    fl_expect(&r, 0, "Wrote 60 rows", "");
    RUN(&r, NULL, "table", "scan", copy, "--format", "csv", "--rows-only");
    fl_expect(&r, 0, NULL, "");
    assert_same_lines(csv, r.out, 1);
    RUN(&r, NULL, "table", "scan", copy, "--format", "jsonl", "--rows-only");
    assert_same_lines(in, r.out, 0);
    /* the envelope: bucket, offset, timestamp, change; offsets per bucket from 0 */
    RUN(&r, NULL, "table", "scan", name, "--format", "jsonl", "--bucket", "0");
    fl_expect(&r, 0, "{\"bucket\":0,\"offset\":0,\"timestamp\":", "");
    assert_non_null(strstr(r.out, ",\"change\":\"+A\",\"row\":{\"id\":"));
    free(csv);
    free(in);
}

static void test_round_trip_arrow_zstd(void **state) {
    (void)state;
    round_trip("rt_arrow_zstd", "ARROW", "ZSTD");
}

static void test_round_trip_arrow_lz4(void **state) {
    (void)state;
    round_trip("rt_arrow_lz4", "ARROW", "LZ4_FRAME");
}

static void test_round_trip_arrow_none(void **state) {
    (void)state;
    round_trip("rt_arrow_none", "ARROW", "NONE");
}

static void test_round_trip_indexed(void **state) {
    (void)state;
    round_trip("rt_indexed", "INDEXED", "NONE");
}

static void test_round_trip_compacted(void **state) {
    (void)state;
    round_trip("rt_compacted", "COMPACTED", "NONE");
}

/* Other spellings of values produce accepts, and what they turn into. */
static void test_input_forms(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "forms", "--column", "id BIGINT", "--column", "d DECIMAL(10, 2)",
          "--column", "t TIMESTAMP(3)", "--column", "l TIMESTAMP_LTZ(6)", "--column", "dt DATE", "--column",
          "tm TIME(3)", "--column", "b BYTES", "--column", "s STRING", "--column", "f DOUBLE", "--buckets", "1");
    fl_expect(&r, 0, NULL, "");
    const char *in =
        "[1, \"1.5\", 1700000000123, \"2023-11-14T23:13:20.5+01:00\", 19000, 3600000, \"AQ\", \"x\", 1e2]\n"
        "\n"
        "{\"id\": 2, \"d\": -0.05, \"t\": \"2024-01-02 03:04:05\", \"l\": \"2024-01-02\", \"dt\": \"2024-01-02\","
        " \"tm\": \"01:02\", \"b\": \"AQI=\", \"f\": \"-inf\"}\n"
        "{\"id\": 3, \"d\": 12e-1, \"s\": \"42\"}\n";
    RUN(&r, in, "table", "produce", "forms");
    fl_expect(&r, 0, "Wrote 3 rows to fluss.forms in 1 batch.", "");
    RUN(&r, NULL, "table", "scan", "forms", "--format", "jsonl", "--rows-only", "--binary", "hex");
    fl_expect(&r, 0,
              "{\"id\":1,\"d\":1.50,\"t\":\"2023-11-14T22:13:20.123\",\"l\":\"2023-11-14T22:13:20.500000Z\","
              "\"dt\":\"2022-01-08\",\"tm\":\"01:00:00.000\",\"b\":\"01\",\"s\":\"x\",\"f\":100.0}\n"
              "{\"id\":2,\"d\":-0.05,\"t\":\"2024-01-02T03:04:05.000\",\"l\":\"2024-01-02T00:00:00.000000Z\","
              "\"dt\":\"2024-01-02\",\"tm\":\"01:02:00.000\",\"b\":\"0102\",\"s\":null,\"f\":\"-Infinity\"}\n"
              "{\"id\":3,\"d\":1.20,\"t\":null,\"l\":null,\"dt\":null,\"tm\":null,\"b\":null,\"s\":\"42\",\"f\":null}\n",
              "");
    /* hex in, and the text table */
    RUN(&r, "{\"id\":4,\"b\":\"0xCAFE\"}\n", "table", "produce", "forms", "--binary", "hex");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, NULL, "table", "scan", "forms", "--from", "latest");
    fl_expect(&r, 0, "BUCKET  OFFSET  TIMESTAMP  CHANGE  id  d  t  l  dt  tm  b  s  f\n(no rows)\n", "");
    RUN(&r, NULL, "table", "scan", "forms", "--limit", "1");
    fl_expect(&r, 0, "BUCKET  OFFSET  TIMESTAMP                 CHANGE  id  d     t", "");
    assert_int_equal(nlines(r.out), 2);
    assert_non_null(strstr(r.out, "0       0       "));
    assert_non_null(strstr(r.out, "+A      1   1.50  2023-11-14T22:13:20.123"));
    RUN(&r, NULL, "table", "scan", "forms", "--from", "3", "--limit", "0");
    fl_expect(&r, 0, "(no rows)", "");
    RUN(&r, NULL, "table", "scan", "forms", "--format", "csv", "--binary", "hex", "--from", "earliest");
    fl_expect(&r, 0, "bucket,offset,timestamp,change,id,d,t,l,dt,tm,b,s,f\n0,0,", "");
    assert_non_null(strstr(r.out, ",+A,4,,,,,,cafe,,\n"));
}

/* CSV specifics: quoting, a cell over two lines, null vs empty string, no header. */
static void test_csv(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "csvt", "--column", "id INT NOT NULL", "--column", "s STRING",
          "--column", "a ARRAY<STRING>", "--buckets", "1", "--property", "table.log.format=COMPACTED");
    fl_expect(&r, 0, NULL, "");
    const char *in = "s,id,a\r\n"
                     "\"a,b\",1,\"[\"\"x\"\"]\"\r\n"
                     "\"two\nlines \"\"q\"\"\",2,[]\n"
                     ",3,\n"
                     "\"\",4,\n";
    RUN(&r, in, "table", "produce", "csvt", "--format", "csv");
    fl_expect(&r, 0, "Wrote 4 rows", "");
    RUN(&r, NULL, "table", "scan", "csvt", "--format", "jsonl", "--rows-only");
    fl_expect(&r, 0,
              "{\"id\":1,\"s\":\"a,b\",\"a\":[\"x\"]}\n"
              "{\"id\":2,\"s\":\"two\\nlines \\\"q\\\"\",\"a\":[]}\n"
              "{\"id\":3,\"s\":null,\"a\":null}\n"
              "{\"id\":4,\"s\":\"\",\"a\":null}\n",
              "");
    RUN(&r, NULL, "table", "scan", "csvt", "--format", "csv", "--rows-only");
    fl_expect(&r, 0, "id,s,a\n1,\"a,b\",\"[\"\"x\"\"]\"\n2,\"two\nlines \"\"q\"\"\",[]\n3,,\n4,\"\",\n", "");
    RUN(&r, "5,five,\n", "table", "produce", "csvt", "--format", "csv", "--no-header");
    fl_expect(&r, 0, "Wrote 1 row to fluss.csvt in 1 batch.", "");
    /* header and cell errors */
    RUN(&r, "id,nope\n1,2\n", "table", "produce", "csvt", "--format", "csv");
    fl_expect(&r, 2, NULL, "error: line 1: the header names 'nope', which is not a column of fluss.csvt");
    RUN(&r, "id,s\n1,x\n2\n,y\n\"open,1\n", "table", "produce", "csvt", "--format", "csv");
    fl_expect(&r, 2, NULL, "error: line 3: 1 cells; expected 2 (as the header has)");
    fl_expect(&r, 2, NULL, "error: line 4, column 'id': null is not allowed (NOT NULL)");
    fl_expect(&r, 2, NULL, "error: line 5: a quoted cell is not closed before the end of the input");
    RUN(&r, NULL, "table", "scan", "csvt", "--format", "jsonl", "--rows-only");
    assert_int_equal(nlines(r.out), 5);
}

/* Bad lines: reported with line, column and reason; nothing of their batch is written; earlier
 * batches are. */
static void test_bad_lines(void **state) {
    (void)state;
    create_all_types("bad", "ARROW", "ZSTD");
    fl_buf_t b;
    fl_buf_init(&b);
    all_types_row(&b, 0);
    fl_buf_put_u8(&b, '\n');
    put(&b, "{\"id\":1,\"c_int\":\"12x\",\"c_not_null\":1}\n");
    put(&b, "{\"id\":2,\"c_tinyint\":300,\"c_not_null\":1}\n");
    put(&b, "{\"id\":3,\"c_decimal_small\":1.234,\"c_not_null\":1}\n");
    put(&b, "{\"id\":4,\"c_binary\":\"AQID\",\"c_not_null\":1}\n");
    put(&b, "{\"id\":5,\"c_date\":\"2023-02-29\",\"c_not_null\":1}\n");
    put(&b, "{\"id\":6,\"c_ts3\":\"2024-01-01T00:00:00.0001\",\"c_not_null\":1}\n");
    put(&b, "{\"id\":7,\"c_ts6\":\"2024-01-01T00:00:00Z\",\"c_not_null\":1}\n");
    put(&b, "{\"id\":8,\"c_char\":\"toolong\",\"c_not_null\":1}\n");
    put(&b, "{\"id\":9}\n");
    put(&b, "{\"id\":10,\"c_not_null\":1,\"c_nope\":1}\n");
    put(&b, "{\"id\":11,\"c_not_null\":1,\"c_array\":[1,\"x\"]}\n");
    put(&b, "{\"id\":12,\"c_not_null\":1,\"c_row\":{\"f9\":1}}\n");
    put(&b, "{\"id\":13,\"c_not_null\":1,\"c_string\":\"\xff\"}\n");
    put(&b, "{\"id\":14,\"c_not_null\":1 \n");
    put(&b, "[1, 2]\n");
    put(&b, "{\"id\":15,\"c_not_null\":1,\"c_map2\":{\"x\":\"y\"}}\n");
    put(&b, "{\"id\":16,\"c_not_null\":1,\"c_string\":42}\n");
    fl_buf_put_u8(&b, 0);
    RUN(&r, (char *)b.p, "table", "produce", "bad");
    fl_expect(&r, 2, "Wrote 0 rows to fluss.bad", NULL);
    fl_expect(&r, 2, NULL, "error: line 2, column 'c_int': '12x' is not an integer\n");
    fl_expect(&r, 2, NULL, "error: line 3, column 'c_tinyint': '300' is out of range for TINYINT [-128, 127]\n");
    fl_expect(&r, 2, NULL, "error: line 4, column 'c_decimal_small': '1.234' has more fractional digits than the scale allows");
    fl_expect(&r, 2, NULL, "error: line 5, column 'c_binary': 'AQID' decodes to 3 bytes; BINARY(8) takes exactly 8\n");
    fl_expect(&r, 2, NULL, "error: line 6, column 'c_date': '2023-02-29' is not a DATE (yyyy-mm-dd)\n");
    fl_expect(&r, 2, NULL, "error: line 7, column 'c_ts3': '2024-01-01T00:00:00.0001' has more fractional digits than TIMESTAMP(3) holds\n");
    fl_expect(&r, 2, NULL, "error: line 8, column 'c_ts6': '2024-01-01T00:00:00Z' has a time zone; TIMESTAMP(6) has none");
    fl_expect(&r, 2, NULL, "error: line 9, column 'c_char': 'toolong' has 7 characters; CHAR(4) holds at most 4\n");
    fl_expect(&r, 2, NULL, "error: line 10, column 'c_not_null': missing, and the column is NOT NULL\n");
    fl_expect(&r, 2, NULL, "error: line 11, column 'c_nope': table fluss.bad has no such column\n");
    fl_expect(&r, 2, NULL, "error: line 12, column 'c_array': element 1: 'x' is not an integer\n");
    fl_expect(&r, 2, NULL, "error: line 13, column 'c_row': ROW<f0 BIGINT, f1 STRING> has no field 'f9'\n");
    fl_expect(&r, 2, NULL, "error: line 14, column 'c_string': the text is not valid UTF-8\n");
    fl_expect(&r, 2, NULL, "error: line 15: invalid JSON: expected ',' or '}' at the end of the text\n");
    fl_expect(&r, 2, NULL, "error: line 16: 2 values; table fluss.bad has 26 columns\n");
    fl_expect(&r, 2, NULL, "error: line 17, column 'c_map2': key 'x': 'x' is not an integer\n");
    fl_expect(&r, 2, NULL, "error: line 18, column 'c_string': expected a string for STRING, got a number\n");
    fl_expect(&r, 2, NULL, "error: nothing of the batch starting on line 1 was written\n");
    RUN(&r, NULL, "table", "scan", "bad", "--format", "jsonl");
    fl_expect(&r, 0, NULL, "");
    assert_string_equal(r.out, "");

    /* batches of 2: the first batch is written, the one with the bad line is not, and
     * produce stops there */
    char *good = all_types_input(100, 3);
    fl_buf_reset(&b);
    fl_buf_put(&b, good, strlen(good));
    put(&b, "{\"id\":103,\"c_not_null\":\"x\"}\n");
    all_types_row(&b, 104);
    fl_buf_put_u8(&b, '\n');
    fl_buf_put_u8(&b, 0);
    RUN(&r, (char *)b.p, "table", "produce", "bad", "--batch-rows", "2");
    fl_expect(&r, 2, "Wrote 2 rows to fluss.bad in 1 batch.", "error: line 4, column 'c_not_null': 'x' is not an integer\n");
    fl_expect(&r, 2, NULL, "error: nothing of the batch starting on line 3 was written\n");
    RUN(&r, NULL, "table", "scan", "bad", "--format", "jsonl", "--rows-only");
    fl_expect(&r, 0, NULL, "");
    assert_int_equal(nlines(r.out), 2);
    assert_non_null(strstr(r.out, "{\"id\":100,"));
    assert_non_null(strstr(r.out, "{\"id\":101,"));
    free(good);
    fl_buf_free(&b);

    /* INDEXED stores CHAR(n) in n bytes: 4 characters of 2 bytes do not fit */
    create_all_types("bad_indexed", "INDEXED", "NONE");
    RUN(&r, "{\"id\":1,\"c_not_null\":1,\"c_char\":\"\xc3\xbc\xc3\xbc\xc3\xbc\"}\n", "table", "produce", "bad_indexed");
    fl_expect(&r, 2, NULL, "error: line 1: the row cannot be encoded as INDEXED: a value does not fit its type");

    /* usage */
    RUN(&r, "", "table", "produce", "bad", "--format", "xml");
    fl_expect(&r, 2, NULL, "error: --format must be jsonl or csv, not 'xml'");
    RUN(&r, "", "table", "produce", "bad", "--acks", "2");
    fl_expect(&r, 2, NULL, "error: --acks must be all, 1 or 0, not '2'");
    RUN(&r, "", "table", "produce", "bad", "--bucket", "5");
    fl_expect(&r, 2, NULL, "error: --bucket 5 is out of range: fluss.bad has 2 buckets");
    RUN(&r, "", "table", "produce", "bad", "--partition", "x");
    fl_expect(&r, 2, NULL, "error: fluss.bad is not partitioned; drop --partition");
    RUN(&r, "", "table", "produce", "nosuch");
    fl_expect(&r, 1, NULL, "error: TABLE_NOT_EXIST (7): ");
    RUN(&r, "", "table", "produce", "bad");
    fl_expect(&r, 0, "Wrote 0 rows to fluss.bad in 0 batches.", "");
    ADMIN(&r, ts.port, "table", "create", "pk", "--column", "id INT", "--primary-key", "id");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, "{\"id\":1}\n", "table", "produce", "pk");
    fl_expect(&r, 2, NULL, "error: fluss.pk is a primary-key table; produce writes log tables");
}

/* --acks, --bucket, --from latest / a time, --limit, --follow. */
static void test_scan_positions(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "pos", "--column", "id INT", "--column", "v STRING", "--buckets", "3");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, "{\"id\":1}\n{\"id\":2}\n", "table", "produce", "pos", "--bucket", "1", "--acks", "1");
    fl_expect(&r, 0, "BUCKET  ROWS  FIRST OFFSET  LAST OFFSET\n1       2     0             1\n", "");
    usleep(30000);
    RUN(&r, "{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n", "table", "--json", "produce", "pos", "--bucket", "1", "--acks", "0");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "rows")), 3);
    json_t *bk = json_array_get(json_object_get(j, "buckets"), 0);
    assert_int_equal(json_integer_value(json_object_get(bk, "bucket")), 1);
    assert_int_equal(json_integer_value(json_object_get(bk, "first_offset")), 2);
    assert_int_equal(json_integer_value(json_object_get(bk, "last_offset")), 4);
    json_decref(j);
    /* round robin: batches of one row land in different buckets */
    RUN(&r, "{\"id\":6}\n{\"id\":7}\n{\"id\":8}\n", "table", "produce", "pos", "--batch-rows", "1");
    fl_expect(&r, 0, "Wrote 3 rows to fluss.pos in 3 batches.", "");
    RUN(&r, NULL, "table", "scan", "pos", "--format", "jsonl", "--rows-only", "--bucket", "0");
    int b0 = nlines(r.out);
    RUN(&r, NULL, "table", "scan", "pos", "--format", "jsonl", "--rows-only", "--bucket", "2");
    int b2 = nlines(r.out);
    RUN(&r, NULL, "table", "scan", "pos", "--format", "jsonl", "--rows-only", "--bucket", "1");
    assert_int_equal(b0 + b2 + nlines(r.out), 8);
    assert_true(b0 == 1 && b2 == 1);

    /* the commit time of the second batch of bucket 1 */
    RUN(&r, NULL, "table", "scan", "pos", "--format", "jsonl", "--bucket", "1");
    fl_expect(&r, 0, NULL, "");
    const char *third = strstr(r.out, "\"offset\":2,\"timestamp\":");
    assert_non_null(third);
    long long t2 = atoll(third + strlen("\"offset\":2,\"timestamp\":"));
    const char *first = strstr(r.out, "\"offset\":0,\"timestamp\":");
    long long t1 = atoll(first + strlen("\"offset\":0,\"timestamp\":"));
    assert_true(t2 > t1);
    char from[32];
    snprintf(from, sizeof(from), "%lld", t2);
    RUN(&r, NULL, "table", "scan", "pos", "--bucket", "1", "--from", from, "--format", "jsonl", "--rows-only");
    fl_expect(&r, 0, "{\"id\":3,\"v\":null}\n{\"id\":4,\"v\":null}\n{\"id\":5,\"v\":null}\n", "");
    assert_int_equal(nlines(r.out), 4); /* and one of the round-robin rows 6..8 */
    time_t secs = (time_t)(t2 / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char iso[64];
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(iso + strlen(iso), sizeof(iso) - strlen(iso), ".%03lldZ", t2 % 1000);
    RUN(&r, NULL, "table", "scan", "pos", "--bucket", "1", "--from", iso, "--format", "jsonl", "--rows-only");
    fl_expect(&r, 0, "{\"id\":3,\"v\":null}\n", "");
    assert_int_equal(nlines(r.out), 4);
    RUN(&r, NULL, "table", "scan", "pos", "--from", "latest", "--format", "jsonl");
    fl_expect(&r, 0, NULL, "");
    assert_string_equal(r.out, "");
    RUN(&r, NULL, "table", "scan", "pos", "--limit", "4", "--format", "jsonl");
    assert_int_equal(nlines(r.out), 4);
    RUN(&r, NULL, "table", "scan", "pos", "--bucket", "1", "--limit", "2", "--format", "csv");
    fl_expect(&r, 0, "bucket,offset,timestamp,change,id,v\n1,0,", "");
    assert_int_equal(nlines(r.out), 3);

    /* --follow: waits for rows written after it started */
    job_t follow;
    job_start(&follow, NULL,
              (const char *const[]){"table", "scan", "pos", "--from", "latest", "--follow", "--limit", "2",
                                    "--format", "jsonl", "--rows-only", NULL});
    usleep(700000);
    RUN(&r, "{\"id\":100,\"v\":\"new\"}\n{\"id\":101,\"v\":\"new\"}\n", "table", "produce", "pos", "--bucket", "2");
    fl_expect(&r, 0, NULL, "");
    fl_run_t fr;
    job_wait(&follow, &fr);
    fl_expect(&fr, 0, "{\"id\":100,\"v\":\"new\"}\n{\"id\":101,\"v\":\"new\"}\n", "");

    /* usage */
    RUN(&r, NULL, "table", "scan", "pos", "--from", "yesterday");
    fl_expect(&r, 2, NULL, "error: --from must be earliest, latest, epoch milliseconds or an ISO-8601 time");
    RUN(&r, NULL, "table", "scan", "pos", "--bucket", "3");
    fl_expect(&r, 2, NULL, "error: --bucket 3 is out of range: fluss.pos has 3 buckets");
    RUN(&r, NULL, "table", "scan", "pos", "--format", "xml");
    fl_expect(&r, 2, NULL, "error: --format must be table, jsonl or csv");
    RUN(&r, NULL, "table", "scan", "pos", "--limit", "-1");
    fl_expect(&r, 2, NULL, "error: --limit must be a number of rows");
}

/* A bucket key: rows with the same key land in the same bucket, different keys spread. */
static void test_bucket_key(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "keyed", "--column", "k INT", "--column", "v STRING", "--bucket-key", "k",
          "--buckets", "4", "--property", "table.log.format=INDEXED");
    fl_expect(&r, 0, NULL, "");
    fl_buf_t b;
    fl_buf_init(&b);
    for (int i = 0; i < 200; i++) put(&b, "{\"k\":%d,\"v\":\"r%d\"}\n", i % 20, i);
    fl_buf_put_u8(&b, 0);
    RUN(&r, (char *)b.p, "table", "produce", "keyed", "--batch-rows", "33");
    fl_expect(&r, 0, "Wrote 200 rows", "");
    int seen_in[20];
    memset(seen_in, -1, sizeof(seen_in));
    int used = 0;
    for (int bucket = 0; bucket < 4; bucket++) {
        char bs[8];
        snprintf(bs, sizeof(bs), "%d", bucket);
        RUN(&r, NULL, "table", "scan", "keyed", "--bucket", bs, "--format", "jsonl", "--rows-only");
        fl_expect(&r, 0, NULL, "");
        used += r.out[0] != '\0';
        for (const char *p = strstr(r.out, "{\"k\":"); p; p = strstr(p + 1, "{\"k\":")) {
            int k = atoi(p + 5);
            assert_true(seen_in[k] == -1 || seen_in[k] == bucket);
            seen_in[k] = bucket;
        }
    }
    assert_true(used >= 3);
    for (int k = 0; k < 20; k++) assert_true(seen_in[k] >= 0);
    RUN(&r, "{\"k\":null}\n", "table", "produce", "keyed");
    fl_expect(&r, 2, NULL, "error: line 1, column 'k': a bucket key must not be null");
    RUN(&r, "{\"k\":1}\n", "table", "produce", "keyed", "--bucket", "1");
    fl_expect(&r, 2, NULL, "error: --bucket cannot be used with fluss.keyed: it has a bucket key");
    fl_buf_free(&b);
}

static void test_partitions(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "parts", "--column", "id INT", "--column", "region STRING", "--column",
          "day DATE", "--partition-key", "region,day", "--buckets", "2");
    fl_expect(&r, 0, NULL, "");
    ADMIN(&r, ts.port, "partition", "create", "parts", "region=eu,day=2024-01-01");
    fl_expect(&r, 0, NULL, "");
    ADMIN(&r, ts.port, "partition", "create", "parts", "region=us,day=2024-01-01");
    fl_expect(&r, 0, NULL, "");
    RUN(&r,
        "{\"id\":1,\"region\":\"eu\",\"day\":\"2024-01-01\"}\n"
        "{\"id\":2,\"region\":\"us\",\"day\":\"2024-01-01\"}\n"
        "{\"id\":3,\"region\":\"eu\",\"day\":\"2024-01-01\"}\n",
        "table", "produce", "parts");
    fl_expect(&r, 0, "Wrote 3 rows to fluss.parts in 2 batches.\nPARTITION", "");
    assert_non_null(strstr(r.out, "eu$2024-01-01  "));
    assert_non_null(strstr(r.out, "us$2024-01-01  "));
    /* --partition fills the partition columns the input leaves out */
    RUN(&r, "{\"id\":4}\n{\"id\":5,\"region\":\"eu\"}\n", "table", "produce", "parts", "--partition", "eu$2024-01-01");
    fl_expect(&r, 0, "Wrote 2 rows", "");
    RUN(&r, NULL, "table", "scan", "parts", "--partition", "eu$2024-01-01", "--format", "jsonl", "--rows-only");
    fl_expect(&r, 0, NULL, "");
    assert_same_lines("{\"id\":1,\"region\":\"eu\",\"day\":\"2024-01-01\"}\n"
                      "{\"id\":3,\"region\":\"eu\",\"day\":\"2024-01-01\"}\n"
                      "{\"id\":4,\"region\":\"eu\",\"day\":\"2024-01-01\"}\n"
                      "{\"id\":5,\"region\":\"eu\",\"day\":\"2024-01-01\"}\n",
                      r.out, 0);
    RUN(&r, NULL, "table", "scan", "parts", "--format", "jsonl");
    fl_expect(&r, 0, "{\"partition\":\"", "");
    assert_int_equal(nlines(r.out), 5);
    assert_int_equal(fl_count(r.out, "{\"partition\":\"us$2024-01-01\",\"bucket\":"), 1);
    RUN(&r, NULL, "table", "scan", "parts", "--partition", "us$2024-01-01");
    fl_expect(&r, 0, "PARTITION      BUCKET  OFFSET  TIMESTAMP", "");
    /* errors */
    RUN(&r, "{\"id\":6,\"region\":\"us\"}\n", "table", "produce", "parts", "--partition", "eu$2024-01-01");
    fl_expect(&r, 2, NULL, "error: line 1: the row belongs to partition 'us$2024-01-01', not to --partition 'eu$2024-01-01'");
    RUN(&r, "{\"id\":7,\"region\":\"apac\",\"day\":\"2024-01-01\"}\n", "table", "produce", "parts");
    fl_expect(&r, 2, NULL, "error: line 1: partition 'apac$2024-01-01' of fluss.parts does not exist");
    RUN(&r, "{\"id\":8}\n", "table", "produce", "parts");
    fl_expect(&r, 2, NULL, "error: line 1, column 'region': a partition key must not be null");
    RUN(&r, "", "table", "produce", "parts", "--partition", "xx$2024-01-01");
    fl_expect(&r, 1, NULL, "error: PARTITION_NOT_EXISTS (36): partition 'xx$2024-01-01' of fluss.parts does not exist");
    RUN(&r, NULL, "table", "scan", "parts", "--partition", "xx");
    fl_expect(&r, 1, NULL, "error: PARTITION_NOT_EXISTS (36): ");
    RUN(&r, NULL, "table", "scan", "parts", "--format", "jsonl", "--rows-only");
    assert_int_equal(nlines(r.out), 5);
}

/* A byte flipped in a stored batch: scan names the batch and says it is corrupt. */
static void test_corrupt_batch(void **state) {
    (void)state;
    ADMIN(&r, ts.port, "table", "create", "corrupt", "--column", "id INT", "--column", "v STRING", "--buckets", "1",
          "--property", "table.log.arrow.compression.type=NONE");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, "{\"id\":1,\"v\":\"aaaa\"}\n", "table", "produce", "corrupt");
    fl_expect(&r, 0, NULL, "");
    RUN(&r, "{\"id\":2,\"v\":\"bbbb\"}\n", "table", "produce", "corrupt");
    fl_expect(&r, 0, NULL, "");
    ADMIN(&r, ts.port, "--json", "table", "describe", "corrupt");
    json_t *j = fl_out_json(&r);
    long long id = json_integer_value(json_object_get(j, "table_id"));
    json_decref(j);
    char path[512];
    snprintf(path, sizeof(path), "%s/data/tablet/%lld/0/00000000000000000000.log", ts.dir, id);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t end = lseek(fd, 0, SEEK_END);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, end - 20), 1);
    byte ^= 0x40;
    assert_int_equal(pwrite(fd, &byte, 1, end - 20), 1);
    close(fd);
    RUN(&r, NULL, "table", "scan", "corrupt", "--format", "jsonl", "--rows-only");
    fl_expect(&r, 1, "{\"id\":1,\"v\":\"aaaa\"}\n",
              "error: the batch at offset 1 of fluss.corrupt bucket 0 is corrupt: CRC mismatch (stored 0x");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_arrow_zstd),
        cmocka_unit_test(test_round_trip_arrow_lz4),
        cmocka_unit_test(test_round_trip_arrow_none),
        cmocka_unit_test(test_round_trip_indexed),
        cmocka_unit_test(test_round_trip_compacted),
        cmocka_unit_test(test_input_forms),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_scan_positions),
        cmocka_unit_test(test_bucket_key),
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_corrupt_batch),
    };
    return cmocka_run_group_tests_name("cli_produce_scan", tests, setup, teardown);
}
