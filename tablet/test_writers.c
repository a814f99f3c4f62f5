/* test_writers.c: idempotent-writer bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_writers.h"

static void test_sequences(void **state) {
    (void)state;
    fl_writers_t *w = fl_writers_new();
    fl_writer_batch_t dup;
    int32_t last;
    assert_int_equal(fl_writers_check(w, 7, 1, &dup, &last), FL_SEQ_OUT_OF_ORDER); /* must start at 0 */
    assert_int_equal(last, -1);
    assert_int_equal(fl_writers_check(w, 7, 0, &dup, &last), FL_SEQ_OK);
    for (int s = 0; s < 8; s++) fl_writers_update(w, 7, s, s * 10, s * 10 + 9, 1000 + s, 1);
    assert_int_equal(fl_writers_check(w, 7, 8, &dup, &last), FL_SEQ_OK);
    assert_int_equal(fl_writers_check(w, 7, 6, &dup, &last), FL_SEQ_DUPLICATE);
    assert_int_equal(dup.first_offset, 60);
    assert_int_equal(dup.last_offset, 69);
    assert_int_equal(fl_writers_check(w, 7, 2, &dup, &last), FL_SEQ_OUT_OF_ORDER); /* too old */
    assert_int_equal(fl_writers_check(w, 7, 10, &dup, &last), FL_SEQ_OUT_OF_ORDER); /* gap */
    assert_int_equal(last, 7);
    fl_writers_update(w, 9, INT32_MAX, 100, 100, 1, 1);
    assert_int_equal(fl_writers_check(w, 9, 0, &dup, &last), FL_SEQ_OK); /* wrap */
    fl_writers_free(w);
}

static void test_many_writers_expire_truncate(void **state) {
    (void)state;
    fl_writers_t *w = fl_writers_new();
    for (int64_t id = 0; id < 10000; id++) fl_writers_update(w, id, 0, id, id, 0, id < 5000 ? 10 : 100);
    assert_int_equal(fl_writers_count(w), 10000);
    assert_int_equal(fl_writers_expire(w, 105, 50), 5000);
    assert_int_equal(fl_writers_count(w), 5000);
    fl_writer_batch_t dup;
    int32_t last;
    for (int64_t id = 0; id < 10000; id++)
        assert_int_equal(fl_writers_check(w, id, 0, &dup, &last), id < 5000 ? FL_SEQ_OK : FL_SEQ_DUPLICATE);
    fl_writers_truncate(w, 7500); /* writers whose batch sits at >= 7500 forget it */
    assert_int_equal(fl_writers_count(w), 2500);
    assert_int_equal(fl_writers_check(w, 8000, 0, &dup, &last), FL_SEQ_OK);
    fl_writers_free(w);
}

static void test_snapshot_roundtrip_and_corruption(void **state) {
    (void)state;
    fl_writers_t *w = fl_writers_new();
    for (int64_t id = 1; id <= 50; id++)
        for (int s = 0; s < 7; s++) fl_writers_update(w, id * 1000, s, id * 100 + s, id * 100 + s, s, 5);
    fl_buf_t b;
    fl_buf_init(&b);
    fl_writers_snapshot(w, 12345, &b);
    fl_writers_t *r = fl_writers_new();
    int64_t end = 0;
    assert_int_equal(fl_writers_load(r, b.p, b.len, &end), FL_ERR_NONE);
    assert_int_equal(end, 12345);
    assert_int_equal(fl_writers_count(r), 50);
    fl_writer_batch_t dup;
    int32_t last;
    assert_int_equal(fl_writers_check(r, 7000, 4, &dup, &last), FL_SEQ_DUPLICATE);
    assert_int_equal(dup.first_offset, 704);
    assert_int_equal(fl_writers_check(r, 7000, 7, &dup, &last), FL_SEQ_OK);
    /* every single-byte flip and every truncation is refused */
    for (size_t i = 0; i < b.len; i++) {
        b.p[i] ^= 0x40;
        fl_writers_t *x = fl_writers_new();
        assert_int_equal(fl_writers_load(x, b.p, b.len, &end), FL_ERR_CORRUPT_MESSAGE);
        fl_writers_free(x);
        b.p[i] ^= 0x40;
    }
    for (size_t n = 0; n < b.len; n += 7) {
        fl_writers_t *x = fl_writers_new();
        assert_int_equal(fl_writers_load(x, b.p, n, &end), FL_ERR_CORRUPT_MESSAGE);
        fl_writers_free(x);
    }
    fl_buf_free(&b);
    fl_writers_free(w);
    fl_writers_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_many_writers_expire_truncate),
        cmocka_unit_test(test_snapshot_roundtrip_and_corruption),
    };
    return cmocka_run_group_tests_name("tablet_writers", tests, NULL, NULL);
}
