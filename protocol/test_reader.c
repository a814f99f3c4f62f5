/* test_reader.c: the bounds-checked reader and the buffer writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_buf.h"
#include "fl_reader.h"

static void test_fixed_widths(void **state) {
    (void)state;
    const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff, 0xfe};
    fl_reader_t rd;
    fl_rd_init(&rd, in, sizeof(in));
    assert_int_equal(fl_rd_i32be(&rd), 0x01020304);
    assert_int_equal(fl_rd_i32le(&rd), 0x08070605);
    assert_int_equal(fl_rd_i16le(&rd), (int16_t)0xfeff);
    assert_int_equal(fl_rd_end(&rd), FL_ERR_NONE);
}

static void test_underflow_is_sticky(void **state) {
    (void)state;
    const uint8_t in[] = {0x00, 0x01, 0x02};
    fl_reader_t rd;
    fl_rd_init(&rd, in, sizeof(in));
    assert_int_equal(fl_rd_i32be(&rd), 0);
    assert_int_equal(rd.err, FL_ERR__UNDERFLOW);
    /* later reads keep failing even though a byte would be there */
    assert_int_equal(fl_rd_u8(&rd), 0);
    assert_int_equal(fl_rd_remaining(&rd), 0);
    assert_int_equal(rd.err, FL_ERR__UNDERFLOW);
}

static void test_varints(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    const uint64_t vals[] = {0, 1, 127, 128, 300, 0xffffffffULL, 0xffffffffffffffffULL};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) fl_buf_put_uvarint(&buf, vals[i]);
    fl_reader_t rd;
    fl_rd_init(&rd, buf.p, buf.len);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        assert_true(fl_rd_uvarint(&rd) == vals[i]);
    assert_int_equal(fl_rd_end(&rd), FL_ERR_NONE);
    fl_buf_free(&buf);

    /* 11 continuation bytes: over-long encoding */
    const uint8_t bad[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    fl_rd_init(&rd, bad, sizeof(bad));
    fl_rd_uvarint(&rd);
    assert_int_equal(rd.err, FL_ERR__OVERFLOW);

    /* 32-bit varint that needs 33 bits */
    const uint8_t bad32[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
    fl_rd_init(&rd, bad32, sizeof(bad32));
    fl_rd_uvarint32(&rd);
    assert_int_equal(rd.err, FL_ERR__OVERFLOW);

    /* truncated varint */
    const uint8_t trunc[] = {0x80, 0x80};
    fl_rd_init(&rd, trunc, sizeof(trunc));
    fl_rd_uvarint(&rd);
    assert_int_equal(rd.err, FL_ERR__UNDERFLOW);
}

static void test_views_and_narrow(void **state) {
    (void)state;
    const uint8_t in[] = {3, 'a', 'b', 'c', 9, 9};
    fl_reader_t rd, sub;
    fl_rd_init(&rd, in, sizeof(in));
    size_t n = fl_rd_count(&rd, fl_rd_u8(&rd), 16);
    fl_view_t v = fl_rd_bytes(&rd, n);
    assert_int_equal(v.len, 3);
    assert_ptr_equal(v.p, in + 1); /* a view, not a copy */
    fl_rd_narrow(&rd, 2, &sub);
    assert_int_equal(fl_rd_u8(&sub), 9);
    assert_int_equal(fl_rd_end(&sub), FL_ERR__TRAILING);
    assert_int_equal(fl_rd_end(&rd), FL_ERR_NONE);

    /* narrowing past the end fails both readers */
    fl_rd_init(&rd, in, sizeof(in));
    fl_rd_narrow(&rd, 7, &sub);
    assert_int_equal(rd.err, FL_ERR__UNDERFLOW);
    assert_int_equal(sub.err, FL_ERR__UNDERFLOW);
}

static void test_count_limits(void **state) {
    (void)state;
    fl_reader_t rd;
    fl_rd_init(&rd, "", 0);
    assert_int_equal(fl_rd_count(&rd, 5, 10), 5);
    assert_int_equal(fl_rd_count(&rd, -1, 10), 0);
    assert_int_equal(rd.err, FL_ERR__OVERFLOW);
    fl_rd_init(&rd, "", 0);
    fl_rd_count(&rd, 11, 10);
    assert_int_equal(rd.err, FL_ERR__OVERFLOW);
}

static void test_buf_patch(void **state) {
    (void)state;
    fl_buf_t buf;
    fl_buf_init(&buf);
    size_t at = fl_buf_reserve(&buf, 4);
    for (int i = 0; i < 1000; i++) fl_buf_put_i64le(&buf, i); /* forces several regrowths */
    fl_buf_patch_i32be(&buf, at, (int32_t)(buf.len - 4));
    fl_reader_t rd;
    fl_rd_init(&rd, buf.p, buf.len);
    assert_int_equal(fl_rd_i32be(&rd), 8000);
    for (int i = 0; i < 1000; i++) assert_int_equal(fl_rd_i64le(&rd), i);
    assert_int_equal(fl_rd_end(&rd), FL_ERR_NONE);
    fl_buf_free(&buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_widths),   cmocka_unit_test(test_underflow_is_sticky),
        cmocka_unit_test(test_varints),        cmocka_unit_test(test_views_and_narrow),
        cmocka_unit_test(test_count_limits),   cmocka_unit_test(test_buf_patch),
    };
    return cmocka_run_group_tests_name("protocol_reader", tests, NULL, NULL);
}
