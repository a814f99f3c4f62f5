/* test_cluster.c: membership bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_cluster.h"

static void test_register_and_order(void **state) {
    (void)state;
    fl_cluster_t *c = fl_cluster_new();
    assert_null(fl_cluster_coordinator(c));
    fl_endpoint_t eps[2];
    const char *why;
    assert_int_equal(fl_endpoints_parse("FLUSS://h1:1,CLIENT://h2:2", eps, 2, &why), 2);
    fl_cluster_set_coordinator(c, eps, 2);
    assert_int_equal(fl_cluster_coordinator(c)->id, 0);
    assert_int_equal(fl_cluster_register_tablet(c, 5, eps, 1, "r1", 100), FL_ERR_NONE);
    assert_int_equal(fl_cluster_register_tablet(c, 2, eps, 2, NULL, 100), FL_ERR_NONE);
    assert_int_equal(fl_cluster_register_tablet(c, 5, eps, 2, "r2", 200), FL_ERR_NONE);
    assert_int_equal(fl_cluster_register_tablet(c, -1, eps, 1, NULL, 1), FL_ERR__INVAL);
    assert_int_equal(fl_cluster_tablet_count(c), 2);
    assert_int_equal(fl_cluster_tablet_at(c, 0)->id, 2);
    assert_int_equal(fl_cluster_tablet_at(c, 1)->id, 5);
    assert_string_equal(fl_cluster_tablet(c, 5)->rack, "r2");
    assert_int_equal(fl_cluster_tablet(c, 5)->registered_ms, 100);
    assert_int_equal(fl_cluster_tablet(c, 5)->last_heartbeat_ms, 200);
    /* endpoint per listener, falling back to the first */
    assert_int_equal(fl_node_endpoint(fl_cluster_tablet(c, 2), "CLIENT")->port, 2);
    assert_int_equal(fl_node_endpoint(fl_cluster_tablet(c, 2), "OTHER")->port, 1);
    fl_cluster_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_register_and_order)};
    return cmocka_run_group_tests_name("coordinator_cluster", tests, NULL, NULL);
}
