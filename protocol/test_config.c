/* test_config.c: configuration files, overrides, sizes, durations and listener lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl_config.h"
#include "fl_endpoint.h"

static void test_yaml_and_overrides(void **state) {
    (void)state;
    char path[] = "/tmp/fl_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *yaml = "# comment\n"
                       "bind.listeners: FLUSS://localhost:9123\n"
                       "default.bucket.number: 3\n"
                       "datalake:\n"
                       "  format: paimon\n"
                       "  paimon:\n"
                       "    warehouse: /tmp/wh\n"
                       "netty.server.max-request-size: 100mb\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    fl_config_t *conf = fl_config_new();
    const char *why = NULL;
    assert_int_equal(fl_config_load_yaml(conf, path, &why), 0);
    unlink(path);
    assert_string_equal(fl_config_get(conf, "bind.listeners"), "FLUSS://localhost:9123");
    assert_string_equal(fl_config_get(conf, "datalake.format"), "paimon");
    assert_string_equal(fl_config_get(conf, "datalake.paimon.warehouse"), "/tmp/wh");
    int64_t v;
    assert_int_equal(fl_config_get_int(conf, "default.bucket.number", 1, &v, &why), 0);
    assert_int_equal(v, 3);
    assert_int_equal(fl_config_get_size(conf, "netty.server.max-request-size", 0, &v, &why), 0);
    assert_int_equal(v, 100 * 1024 * 1024);
    assert_int_equal(fl_config_set_kv(conf, "default.bucket.number=7"), 0);
    assert_int_equal(fl_config_get_int(conf, "default.bucket.number", 1, &v, &why), 0);
    assert_int_equal(v, 7);
    assert_int_equal(fl_config_set_kv(conf, "novalue"), -1);
    fl_config_set(conf, "default.bucket.number", "seven");
    assert_int_equal(fl_config_get_int(conf, "default.bucket.number", 1, &v, &why), -1);
    assert_non_null(strstr(why, "default.bucket.number"));
    fl_config_free(conf);
}

static void test_bad_yaml(void **state) {
    (void)state;
    char path[] = "/tmp/fl_test_config_XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "a: [1, 2\nb: : :\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    fl_config_t *conf = fl_config_new();
    const char *why = NULL;
    assert_int_equal(fl_config_load_yaml(conf, path, &why), -1);
    assert_non_null(strstr(why, path));
    unlink(path);
    assert_int_equal(fl_config_load_yaml(conf, "/nonexistent/server.yaml", &why), -1);
    assert_non_null(strstr(why, "cannot open"));
    fl_config_free(conf);
}

static void test_units(void **state) {
    (void)state;
    int64_t v;
    assert_int_equal(fl_parse_size("1024m", &v), 0);
    assert_int_equal(v, 1024LL * 1024 * 1024);
    assert_int_equal(fl_parse_size("4k", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(fl_parse_size("16 MB", &v), 0);
    assert_int_equal(v, 16LL << 20);
    assert_int_equal(fl_parse_size("12", &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(fl_parse_size("12 parsecs", &v), -1);
    assert_int_equal(fl_parse_size("-1mb", &v), -1);
    assert_int_equal(fl_parse_duration_ms("10 min", &v), 0);
    assert_int_equal(v, 600000);
    assert_int_equal(fl_parse_duration_ms("30s", &v), 0);
    assert_int_equal(v, 30000);
    assert_int_equal(fl_parse_duration_ms("500 ms", &v), 0);
    assert_int_equal(v, 500);
    assert_int_equal(fl_parse_duration_ms("7 d", &v), 0);
    assert_int_equal(v, 7LL * 86400000);
    assert_int_equal(fl_parse_duration_ms("soon", &v), -1);
}

static void test_endpoints(void **state) {
    (void)state;
    fl_endpoint_t eps[FL_MAX_ENDPOINTS];
    const char *why = NULL;
    int n = fl_endpoints_parse("FLUSS://localhost:9123, CLIENT://[::1]:9124", eps,
                               FL_MAX_ENDPOINTS, &why);
    assert_int_equal(n, 2);
    assert_string_equal(eps[0].name, "FLUSS");
    assert_string_equal(eps[0].host, "localhost");
    assert_int_equal(eps[0].port, 9123);
    assert_string_equal(eps[1].host, "::1");
    assert_int_equal(eps[1].port, 9124);
    char buf[256];
    fl_endpoints_format(eps, n, buf, sizeof(buf));
    assert_string_equal(buf, "FLUSS://localhost:9123,CLIENT://[::1]:9124");
    assert_ptr_equal(fl_endpoints_find(eps, n, "CLIENT"), &eps[1]);
    assert_int_equal(fl_endpoints_parse("localhost:9123", eps, FL_MAX_ENDPOINTS, &why), -1);
    assert_int_equal(fl_endpoints_parse("A://h:99999", eps, FL_MAX_ENDPOINTS, &why), -1);
    assert_non_null(strstr(why, "port"));
    assert_int_equal(fl_endpoints_parse("A://h:1,A://h:2", eps, FL_MAX_ENDPOINTS, &why), -1);
    assert_int_equal(fl_endpoints_parse("", eps, FL_MAX_ENDPOINTS, &why), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_and_overrides),
        cmocka_unit_test(test_bad_yaml),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_endpoints),
    };
    return cmocka_run_group_tests_name("protocol_config", tests, NULL, NULL);
}
