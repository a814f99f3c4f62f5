/* 0001-usage: fl-admin without a working server: help, usage errors (exit 2), table specs
 * parsed locally (--dry-run prints the table JSON that would be sent), and every way of not
 * reaching a server (exit 3, naming the address). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fl_cli_test.h"
#include "fl_wire.h"

static fl_run_t r;

static void test_help_and_version(void **state) {
    (void)state;
    ADMIN(&r, 0, "--help");
    fl_expect(&r, 0, "usage: fl-admin", "");
    /* every command is listed */
    const char *cmds[] = {"cluster nodes", "database create", "database list", "database describe",
                          "database drop", "table create", "table list", "table describe",
                          "table drop", "table alter", "partition create", "partition list",
                          "partition drop"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strstr(r.out, cmds[i])) fail_msg("--help lacks '%s':\n%s", cmds[i], r.out);
    ADMIN(&r, 0, "-h");
    fl_expect(&r, 0, "exit codes", "");
    ADMIN(&r, 0, "table", "create", "--help");
    fl_expect(&r, 0, "--primary-key", "");
    assert_non_null(strstr(r.out, "--from-json"));
    assert_non_null(strstr(r.out, "--sql"));
    ADMIN(&r, 0, "partition", "--help");
    fl_expect(&r, 0, "create", "");
    assert_non_null(strstr(r.out, "drop"));
    ADMIN(&r, 0, "--version");
    fl_expect(&r, 0, "fl-admin ", "");
}

static void test_usage_errors(void **state) {
    (void)state;
    ADMIN(&r, 0, NULL);
    fl_expect(&r, 2, NULL, "error: no command given");
    ADMIN(&r, 0, "tables", "list");
    fl_expect(&r, 2, NULL, "error: unknown command 'tables'");
    ADMIN(&r, 0, "table", "creat");
    fl_expect(&r, 2, NULL, "unknown verb 'creat' for 'table'; expected one of: create, list");
    ADMIN(&r, 0, "table");
    fl_expect(&r, 2, NULL, "'table' needs a verb");
    ADMIN(&r, 0, "table", "list", "--bogus");
    fl_expect(&r, 2, NULL, "unknown option '--bogus' for 'table list'");
    ADMIN(&r, 0, "--column", "a INT", "table", "create", "t");
    fl_expect(&r, 2, NULL, "option '--column' must follow its command");
    ADMIN(&r, 0, "table", "describe");
    fl_expect(&r, 2, NULL, "'table describe' needs [DB.]TABLE");
    ADMIN(&r, 0, "table", "list", "a", "b");
    fl_expect(&r, 2, NULL, "unexpected argument 'b' for 'table list'");
    ADMIN(&r, 0, "database", "drop", "d", "--cascade=yes");
    fl_expect(&r, 2, NULL, "option '--cascade' takes no value");
    ADMIN(&r, 0, "database", "create", "d", "--comment");
    fl_expect(&r, 2, NULL, "option '--comment' needs a value");
    ADMIN(&r, 0, "table", "create", "t", "--column", "a INT", "--buckets", "2", "--buckets", "3");
    fl_expect(&r, 2, NULL, "option '--buckets' is given twice");
    ADMIN(&r, 0, "--timeout", "abc", "cluster", "nodes");
    fl_expect(&r, 2, NULL, "--timeout must be a number of seconds");
    ADMIN(&r, 0, "--timeout", "0", "cluster", "nodes");
    fl_expect(&r, 2, NULL, "--timeout must be a number of seconds");
    ADMIN(&r, 0, "--bootstrap-server", "localhost", "cluster", "nodes");
    fl_expect(&r, 2, NULL, "bad --bootstrap-server: 'localhost' is not host:port");
    ADMIN(&r, 0, "--bootstrap-server", "localhost:99999", "cluster", "nodes");
    fl_expect(&r, 2, NULL, "no valid port");
    ADMIN(&r, 0, "partition", "create", "fluss.t", "dt");
    fl_expect(&r, 2, NULL, "'dt' in partition spec 'dt' is not key=value");
    ADMIN(&r, 0, "partition", "drop", "fluss.t", "a=1,a=2");
    fl_expect(&r, 2, NULL, "partition key 'a' appears twice");
    ADMIN(&r, 0, "table", "alter", "fluss.t");
    fl_expect(&r, 2, NULL, "nothing to change");
    ADMIN(&r, 0, "table", "alter", "fluss.t", "--set", "novalue");
    fl_expect(&r, 2, NULL, "--set 'novalue' is not key=value");
    ADMIN(&r, 0, "database", "create", "d", "--custom-property", "=x");
    fl_expect(&r, 2, NULL, "--custom-property '=x' is not key=value");
}

/* Table specs are judged before any connection: the port here has no server, so reaching it
 * would be exit 3, not 2. */
static void test_bad_table_specs(void **state) {
    (void)state;
    int port = fl_free_port();
    ADMIN(&r, port, "table", "create", "fluss.t", "--column", "id INTT");
    fl_expect(&r, 2, NULL, "error: invalid --column 'id INTT': unknown data type 'INTT' at character 4");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE fluss.t (id NUMBR, v STRING)");
    fl_expect(&r, 2, NULL, "error: invalid --sql: unknown data type 'NUMBR' at character 26");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE fluss.t (id INT, v STRING");
    fl_expect(&r, 2, NULL, "expected ')' but found the end of the text");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a DECIMAL(40, 2))");
    fl_expect(&r, 2, NULL, "DECIMAL precision must be between 1 and 38, not 40");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a VARCHAR(10))");
    fl_expect(&r, 2, NULL, "Fluss has no VARCHAR(10)");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a TIMESTAMP(3) WITH TIME ZONE)");
    fl_expect(&r, 2, NULL, "TIMESTAMP WITH TIME ZONE is not supported by Fluss");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a MAP<INT>)");
    fl_expect(&r, 2, NULL, "expected ',' but found '>'");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a INT, a STRING)");
    fl_expect(&r, 2, NULL, "column a is defined twice");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a INT) WITH ('bucket.num'='x')");
    fl_expect(&r, 2, NULL, "'bucket.num' must be a positive number, not 'x'");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a INT, b AS a + 1)");
    fl_expect(&r, 2, NULL, "computed columns are not supported");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a INT) garbage");
    fl_expect(&r, 2, NULL, "unexpected 'garbage' at character 24");
    ADMIN(&r, port, "table", "create", "--sql", "CREATE TABLE t (a STRING COMMENT 'oops)");
    fl_expect(&r, 2, NULL, "unterminated string");
    ADMIN(&r, port, "table", "create", "fluss.t");
    fl_expect(&r, 2, NULL, "a table needs at least one --column");
    ADMIN(&r, port, "table", "create", "fluss.t", "--column", "a INT PRIMARY KEY", "--primary-key", "a");
    fl_expect(&r, 2, NULL, "the primary key is given both");
    ADMIN(&r, port, "table", "create", "fluss.t", "--column", "a INT", "--buckets", "0");
    fl_expect(&r, 2, NULL, "--buckets must be a positive number, not '0'");
    ADMIN(&r, port, "table", "create", "fluss.t", "--column", "a INT", "--property", "x");
    fl_expect(&r, 2, NULL, "--property 'x' is not key=value");
    ADMIN(&r, port, "table", "create", "fluss.t", "--sql", "CREATE TABLE t (a INT)", "--column", "b INT");
    fl_expect(&r, 2, NULL, "--column cannot be combined with --sql");
    ADMIN(&r, port, "table", "create", "fluss.t", "--sql", "CREATE TABLE fluss.u (a INT)");
    fl_expect(&r, 2, NULL, "the argument names table fluss.t but --sql creates fluss.u");
    ADMIN(&r, port, "table", "create", "fluss.t", "--from-json", "/nonexistent/t.json");
    fl_expect(&r, 2, NULL, "--from-json: cannot open '/nonexistent/t.json'");
}

static json_t *col_type(json_t *desc, size_t i) {
    return json_object_get(json_array_get(json_object_get(json_object_get(desc, "schema"), "columns"), i),
                           "data_type");
}

/* What the parsers send, checked field by field in the table JSON. */
static void test_dry_run_descriptors(void **state) {
    (void)state;
    ADMIN(&r, 0, "--json", "table", "create", "--dry-run", "--sql",
          "create table `my db`.t (id BIGINT, m MAP<STRING, ARRAY<INT NOT NULL>>, "
          "r ROW<a INT, b ROW<c DECIMAL(10, 2)>>, ts TIMESTAMP, tl TIMESTAMP(3) WITH LOCAL TIME ZONE, "
          "tz TIMESTAMP_LTZ, c CHAR(3), bi BINARY, v VARCHAR, vb VARBINARY(2147483647), "
          "d DECIMAL, t TIME, dp DOUBLE PRECISION, arr INT ARRAY, dt STRING COMMENT 'day', "
          "PRIMARY KEY (id, dt) NOT ENFORCED) COMMENT 'it''s' PARTITIONED BY (dt) "
          "WITH ('bucket.num' = '4', 'table.log.format' = 'ARROW', 'owner' = 'me');");
    fl_expect(&r, 0, NULL, "");
    json_t *j = fl_out_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "table")), "my db.t");
    json_t *d = json_object_get(j, "descriptor");
    char *s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    /* types as Fluss's JSON spells them, with Fluss's defaults */
    const char *expect[] = {
        "{\"type\":\"BIGINT\",\"nullable\":false}",
        "{\"type\":\"MAP\",\"key_type\":{\"type\":\"STRING\"},\"value_type\":{\"type\":\"ARRAY\","
        "\"element_type\":{\"type\":\"INTEGER\",\"nullable\":false}}}",
        "{\"type\":\"ROW\",\"fields\":[{\"name\":\"a\",\"field_type\":{\"type\":\"INTEGER\"},\"field_id\":3},"
        "{\"name\":\"b\",\"field_type\":{\"type\":\"ROW\",\"fields\":[{\"name\":\"c\",\"field_type\":"
        "{\"type\":\"DECIMAL\",\"precision\":10,\"scale\":2},\"field_id\":5}]},\"field_id\":4}]}",
        "{\"type\":\"TIMESTAMP_WITHOUT_TIME_ZONE\",\"precision\":6}",
        "{\"type\":\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",\"precision\":3}",
        "{\"type\":\"TIMESTAMP_WITH_LOCAL_TIME_ZONE\",\"precision\":6}",
        "{\"type\":\"CHAR\",\"length\":3}",
        "{\"type\":\"BINARY\",\"length\":1}",
        "{\"type\":\"STRING\"}",
        "{\"type\":\"BYTES\"}",
        "{\"type\":\"DECIMAL\",\"precision\":10,\"scale\":0}",
        "{\"type\":\"TIME_WITHOUT_TIME_ZONE\",\"precision\":0}",
        "{\"type\":\"DOUBLE\"}",
        "{\"type\":\"ARRAY\",\"element_type\":{\"type\":\"INTEGER\"}}",
        "{\"type\":\"STRING\",\"nullable\":false}",
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        char *got = json_dumps(col_type(d, i), JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!got || strcmp(got, expect[i])) fail_msg("column %zu: got %s, want %s", i, got, expect[i]);
        free(got);
    }
    json_t *schema = json_object_get(d, "schema");
    /* ids: columns and nested fields in Fluss's order; 15 columns + 3 nested fields */
    assert_int_equal(json_integer_value(json_object_get(schema, "highest_field_id")), 17);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(schema, "columns"), 4), "id")), 7);
    assert_non_null(strstr(s, "\"comment\":\"day\""));
    assert_non_null(strstr(s, "\"primary_key\":[\"id\",\"dt\"]"));
    assert_non_null(strstr(s, "\"comment\":\"it's\""));
    assert_non_null(strstr(s, "\"partition_key\":[\"dt\"]"));
    assert_non_null(strstr(s, "\"bucket_key\":[\"id\"]")); /* primary key minus partition keys */
    assert_non_null(strstr(s, "\"bucket_count\":4"));
    assert_non_null(strstr(s, "\"properties\":{\"table.log.format\":\"ARROW\"}"));
    assert_non_null(strstr(s, "\"custom_properties\":{\"owner\":\"me\"}"));
    free(s);
    json_decref(j);

    /* flags: the same descriptor shape; text mode prints the compact JSON itself */
    ADMIN(&r, 0, "table", "create", "orders", "--dry-run", "--column", "id BIGINT NOT NULL",
          "--column", "v STRING COMMENT \"the value\"", "--column", "dt STRING", "--primary-key", "id,dt",
          "--buckets", "3", "--bucket-key", "id", "--partition-key", "dt", "--property",
          "table.replication.factor=1", "--custom-property", "k=v=w", "--comment", "orders");
    fl_expect(&r, 0,
              "{\"version\":1,\"schema\":{\"version\":1,\"columns\":[{\"name\":\"id\",\"data_type\":"
              "{\"type\":\"BIGINT\",\"nullable\":false},\"id\":0},{\"name\":\"v\",\"data_type\":{\"type\":"
              "\"STRING\"},\"comment\":\"the value\",\"id\":1},{\"name\":\"dt\",\"data_type\":{\"type\":"
              "\"STRING\",\"nullable\":false},\"id\":2}],\"primary_key\":[\"id\",\"dt\"],"
              "\"highest_field_id\":2},\"comment\":\"orders\",\"partition_key\":[\"dt\"],\"bucket_key\":"
              "[\"id\"],\"bucket_count\":3,\"properties\":{\"table.replication.factor\":\"1\"},"
              "\"custom_properties\":{\"k\":\"v=w\"}}\n",
              "");

    /* a log table without bucket key: an empty bucket key, no count */
    ADMIN(&r, 0, "table", "create", "logs", "--dry-run", "--column", "line STRING");
    fl_expect(&r, 0, "\"partition_key\":[],\"bucket_key\":[],\"properties\":{}", "");
}

static void test_cannot_connect(void **state) {
    (void)state;
    int port = fl_free_port();
    char addr[64], want[128];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    snprintf(want, sizeof(want), "error: cannot connect to %s: Connection refused", addr);
    ADMIN(&r, port, "cluster", "nodes");
    fl_expect(&r, 3, NULL, want);
    ADMIN(&r, port, "--json", "database", "list");
    fl_expect(&r, 3, NULL, want);
    assert_string_equal(r.out, "");
    /* the address can come from the environment */
    const char *const args[] = {"table", "list", NULL};
    fl_admin_env(&r, addr, args);
    fl_expect(&r, 3, NULL, want);
    ADMIN(&r, 0, "--bootstrap-server", "no-such-host.invalid:9123", "cluster", "nodes");
    fl_expect(&r, 3, NULL, "error: cannot resolve host 'no-such-host.invalid'");
}

/* A listener that accepts (in the kernel backlog) but never answers: the handshake times out. */
static void test_timeout(void **state) {
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 4), 0);
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    int port = ntohs(a.sin_port);
    char want[128];
    snprintf(want, sizeof(want), "error: timed out after 0.5 s waiting for 127.0.0.1:%d to answer API_VERSIONS",
             port);
    ADMIN(&r, port, "--timeout", "0.5", "database", "list");
    fl_expect(&r, 3, NULL, want);
    close(s);
}

/* Something that is not a Fluss server answers the handshake with text: exit 3, saying so. */
static void test_not_a_fluss_server(void **state) {
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 4), 0);
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    int port = ntohs(a.sin_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int c = accept(s, NULL, NULL);
        const char *http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        if (c >= 0 && write(c, http, strlen(http)) > 0) sleep(2);
        _exit(0);
    }
    char want[160];
    snprintf(want, sizeof(want), "error: 127.0.0.1:%d sent a response frame of 1213486160 bytes", port);
    ADMIN(&r, port, "cluster", "nodes");
    fl_expect(&r, 3, NULL, want);
    assert_non_null(strstr(r.err, "it is not a Fluss server"));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_table_specs),
        cmocka_unit_test(test_dry_run_descriptors),
        cmocka_unit_test(test_cannot_connect),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_not_a_fluss_server),
    };
    return cmocka_run_group_tests_name("cli_usage", tests, NULL, NULL);
}
