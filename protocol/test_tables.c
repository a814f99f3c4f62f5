/* test_tables.c: the API and error tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_apis.h"
#include "fl_errors.h"

static void test_api_table_dense(void **state) {
    (void)state;
    for (int key = FL_API_KEY_MIN; key <= FL_API_KEY_MAX; key++) {
        const fl_api_t *api = fl_api_get(key);
        assert_non_null(api);
        assert_int_equal(api->key, key);
        assert_true(api->min_version <= api->max_version);
        assert_non_null(api->request);
        assert_non_null(api->response);
    }
    assert_null(fl_api_get(999));
    assert_null(fl_api_get(1060));
    assert_string_equal(fl_api_name(1060), "UNKNOWN(1060)");
}

static void test_api_facts(void **state) {
    (void)state;
    assert_string_equal(fl_api_get(FL_API_GET_METADATA)->request->short_name, "MetadataRequest");
    assert_int_equal(fl_api_get(FL_API_PUT_KV)->max_version, 1);
    assert_int_equal(fl_api_get(FL_API_LOOKUP)->max_version, 1);
    assert_int_equal(fl_api_get(FL_API_PREFIX_LOOKUP)->max_version, 1);
    assert_int_equal(fl_api_get(FL_API_PRODUCE_LOG)->roles, FL_ROLE_TS);
    assert_int_equal(fl_api_get(FL_API_CREATE_TABLE)->roles, FL_ROLE_CS);
    assert_int_equal(fl_api_get(FL_API_GET_TABLE_INFO)->roles, FL_ROLE_BOTH);
}

static void test_errors(void **state) {
    (void)state;
    assert_int_equal(FL_ERR_TABLE_NOT_EXIST, 7);
    assert_int_equal(FL_ERR_LAKE_SNAPSHOT_NOT_EXIST, 53);
    assert_int_equal(FL_ERR_INVALID_PRODUCER_ID_EXCEPTION, 63);
    assert_string_equal(fl_err2name(FL_ERR_NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER");
    assert_true(fl_err_retriable(FL_ERR_NOT_LEADER_OR_FOLLOWER));
    assert_false(fl_err_retriable(FL_ERR_TABLE_NOT_EXIST));
    assert_string_equal(fl_err2name((fl_err_t)64), "Err-64?");
    assert_string_equal(fl_err2str((fl_err_t)-7), "Err--7?");
    assert_true(fl_err_is_wire(FL_ERR_UNKNOWN_SERVER_ERROR));
    assert_false(fl_err_is_wire(FL_ERR__NOENT));
    assert_string_equal(fl_err2name(FL_ERR__NOENT), "NOENT");
    assert_int_equal(fl_err_wire(FL_ERR__UNDERFLOW), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(fl_err_wire(FL_ERR__NOENT), FL_ERR_UNKNOWN_SERVER_ERROR);
    /* every wire code from -1 to 63 is present */
    for (int c = -1; c <= 63; c++) assert_true(fl_err_is_wire((fl_err_t)c));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_table_dense),
        cmocka_unit_test(test_api_facts),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("protocol_tables", tests, NULL, NULL);
}
