/* 0005-lifecycle: start-up errors, idle timeout and graceful shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

static void test_sigterm_graceful(void **state) {
    (void)state;
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    int fd = fl_cli_connect(ts.port);
    fl_cli_assert_serving(fd);
    assert_int_equal(fl_ts_stop(&ts), 0); /* exit code 0 */
    assert_true(fl_cli_closed(fd, 5000));
    close(fd);
    assert_true(fl_ts_log_has(&ts, "received SIGTERM, shutting down"));
    assert_true(fl_ts_log_has(&ts, "stopped"));
}

static void test_sigint_graceful(void **state) {
    (void)state;
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    kill(ts.pid, SIGINT);
    assert_true(fl_ts_log_has(&ts, "received SIGINT, shutting down"));
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_idle_timeout(void **state) {
    (void)state;
    fl_ts_t ts;
    const char *args[] = {"-Dnetty.connection.max-idle-time=300 ms", NULL};
    fl_ts_start(&ts, "local", args);
    int fd = fl_cli_connect(ts.port);
    fl_cli_assert_serving(fd);
    assert_true(fl_cli_closed(fd, 3000));
    close(fd);
    assert_true(fl_ts_log_has(&ts, "idle for netty.connection.max-idle-time (300 ms)"));
    fl_cli_assert_port_serving(ts.port);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_max_connections(void **state) {
    (void)state;
    fl_ts_t ts;
    const char *args[] = {"-Dserver.max-connections=2", NULL};
    fl_ts_start(&ts, "local", args);
    usleep(200000); /* let the server see the readiness probe's connection close */
    int a = fl_cli_connect(ts.port), b = fl_cli_connect(ts.port);
    fl_cli_assert_serving(a);
    fl_cli_assert_serving(b);
    int c = fl_cli_connect(ts.port);
    assert_true(fl_cli_closed(c, 3000));
    close(c);
    assert_true(fl_ts_log_has(&ts, "(server.max-connections)"));
    close(a);
    usleep(100000);
    fl_cli_assert_serving(b);
    fl_cli_assert_port_serving(ts.port);
    close(b);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_bad_configuration(void **state) {
    (void)state;
    char out[4096];
    const char *a1[] = {"local", "-Dbind.listeners=localhost:9123", NULL};
    assert_int_equal(fl_ts_run_expect_exit(a1, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "is not of the form NAME://host:port"));

    const char *a2[] = {"tablet", "-Dbind.listeners=FLUSS://127.0.0.1:0", NULL};
    assert_int_equal(fl_ts_run_expect_exit(a2, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "tablet-server.id is required"));

    const char *a3[] = {"local", "--config", "/nonexistent/server.yaml", NULL};
    assert_int_equal(fl_ts_run_expect_exit(a3, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "cannot open /nonexistent/server.yaml"));

    const char *a4[] = {"--frobnicate", NULL};
    assert_int_equal(fl_ts_run_expect_exit(a4, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "unknown argument '--frobnicate'"));

    const char *a5[] = {"local", "-Dnetty.server.max-request-size=lots", NULL};
    assert_int_equal(fl_ts_run_expect_exit(a5, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "netty.server.max-request-size"));

    /* a port already taken */
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    char bind[64];
    snprintf(bind, sizeof(bind), "-Dbind.listeners=FLUSS://127.0.0.1:%d", ts.port);
    const char *a6[] = {"local", bind, NULL};
    assert_int_equal(fl_ts_run_expect_exit(a6, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "cannot bind listener FLUSS"));
    assert_int_equal(fl_ts_stop(&ts), 0);

    const char *a7[] = {"--version", NULL};
    assert_int_equal(fl_ts_run_expect_exit(a7, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "Apache Fluss 0.9.1-incubating"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_graceful),  cmocka_unit_test(test_sigint_graceful),
        cmocka_unit_test(test_idle_timeout),      cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_bad_configuration),
    };
    return cmocka_run_group_tests_name("wire_lifecycle", tests, NULL, NULL);
}
