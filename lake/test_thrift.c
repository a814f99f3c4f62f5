/* test_thrift.c: the Thrift compact encoder against its decoder, against hand-computed bytes,
 * and the decoder against malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_thrift.h"

static fl_tc_val_t decode_ok(const fl_buf_t *b) {
    fl_reader_t rd;
    fl_tc_val_t v;
    fl_rd_init(&rd, b->p, b->len);
    assert_int_equal(fl_tc_decode_struct(&rd, &v, 100000), FL_ERR_NONE);
    assert_int_equal(fl_rd_end(&rd), FL_ERR_NONE);
    return v;
}

static fl_err_t decode_err(const void *p, size_t n) {
    fl_reader_t rd;
    fl_tc_val_t v;
    fl_rd_init(&rd, p, n);
    fl_err_t err = fl_tc_decode_struct(&rd, &v, 1000);
    if (!err) fl_tc_val_free(&v);
    return err;
}

/* Known bytes: field headers with short deltas, long deltas, zigzag ints. */
static void test_known_bytes(void **state) {
    (void)state;
    fl_buf_t b;
    fl_buf_init(&b);
    fl_tc_writer_t w;
    fl_tc_writer_init(&w, &b);
    fl_tc_begin(&w);
    fl_tc_field_i32(&w, 1, 1);       /* 0x15 0x02 */
    fl_tc_field_i32(&w, 2, -1);      /* delta 1: 0x15 0x01 */
    fl_tc_field_bool(&w, 3, true);   /* 0x11 */
    fl_tc_field_bool(&w, 4, false);  /* 0x12 */
    fl_tc_field_i64(&w, 40, 150);    /* delta 36: 0x06, zigzag(40)=80=0x50, zigzag(150)=300 */
    fl_tc_field_string(&w, 41, "hi"); /* 0x18 0x02 'h' 'i' */
    fl_tc_end(&w);
    static const uint8_t want[] = {0x15, 0x02, 0x15, 0x01, 0x11, 0x12, 0x06, 0x50,
                                   0xac, 0x02, 0x18, 0x02, 'h',  'i',  0x00};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.p, want, sizeof(want));
    fl_buf_free(&b);
}

static void test_scalars_round_trip(void **state) {
    (void)state;
    static const int64_t i64s[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN,
                                   INT64_MAX, INT64_MIN, -1234567890123LL};
    fl_buf_t b;
    fl_buf_init(&b);
    fl_tc_writer_t w;
    fl_tc_writer_init(&w, &b);
    fl_tc_begin(&w);
    int16_t id = 1;
    for (size_t i = 0; i < FL_ARRAY_LEN(i64s); i++) fl_tc_field_i64(&w, id++, i64s[i]);
    fl_tc_field_i32(&w, 100, INT32_MIN);   /* delta > 15 */
    fl_tc_field_i32(&w, 99, -7);           /* negative delta: long form */
    fl_tc_field_i16(&w, 1000, -32768);
    fl_tc_field_i8(&w, 1001, -128);
    fl_tc_field_double(&w, 1002, -2.5e300);
    fl_tc_field_bool(&w, 32767, true);
    fl_tc_end(&w);

    fl_tc_val_t v = decode_ok(&b);
    assert_int_equal(v.v.c.n, FL_ARRAY_LEN(i64s) + 6);
    for (size_t i = 0; i < FL_ARRAY_LEN(i64s); i++) {
        const fl_tc_val_t *f = fl_tc_get(&v, (int16_t)(i + 1));
        assert_non_null(f);
        assert_int_equal(f->type, FL_TC_I64);
        assert_true(f->v.i == i64s[i]);
    }
    assert_int_equal(fl_tc_get_i(&v, 100, 0), INT32_MIN);
    assert_int_equal(fl_tc_get_i(&v, 99, 0), -7);
    assert_int_equal(fl_tc_get_i(&v, 1000, 0), -32768);
    assert_int_equal(fl_tc_get_i(&v, 1001, 0), -128);
    assert_true(fl_tc_get(&v, 1002)->v.d == -2.5e300);
    assert_int_equal(fl_tc_get_i(&v, 32767, 0), 1);
    assert_null(fl_tc_get(&v, 5000));
    fl_tc_val_free(&v);
    fl_buf_free(&b);
}

static void test_nested_lists_strings(void **state) {
    (void)state;
    size_t big = 100000;
    char *s = fl_malloc(big);
    for (size_t i = 0; i < big; i++) s[i] = (char)('a' + i % 26);
    fl_buf_t b;
    fl_buf_init(&b);
    fl_tc_writer_t w;
    fl_tc_writer_init(&w, &b);
    fl_tc_begin(&w);
    fl_tc_field_binary(&w, 1, s, big);
    fl_tc_field_binary(&w, 2, "", 0);
    fl_tc_field_list(&w, 3, FL_TC_I32, 3); /* short list header */
    fl_tc_elem_i32(&w, -1);
    fl_tc_elem_i32(&w, 0);
    fl_tc_elem_i32(&w, 1 << 30);
    fl_tc_field_list(&w, 20, FL_TC_STRUCT, 40); /* long list header, struct elements */
    for (int i = 0; i < 40; i++) {
        fl_tc_begin(&w);
        fl_tc_field_i32(&w, 1, i);
        fl_tc_field_struct(&w, 17); /* nested struct, delta > 15 */
        fl_tc_field_i64(&w, 2, -i);
        fl_tc_field_list(&w, 3, FL_TC_BINARY, 2);
        fl_tc_elem_binary(&w, "x", 1);
        fl_tc_elem_binary(&w, "yz", 2);
        fl_tc_end(&w);
        fl_tc_field_i32(&w, 18, 7); /* id resumes after the nested struct */
        fl_tc_end(&w);
    }
    fl_tc_field_list(&w, 21, FL_TC_BOOL, 2);
    fl_tc_elem_bool(&w, true);
    fl_tc_elem_bool(&w, false);
    fl_tc_field_list(&w, 22, FL_TC_I64, 0);
    fl_tc_end(&w);
    assert_int_equal(w.depth, 0);

    fl_tc_val_t v = decode_ok(&b);
    const fl_tc_val_t *f = fl_tc_get(&v, 1);
    assert_int_equal(f->v.bin.len, big);
    assert_memory_equal(f->v.bin.p, s, big);
    assert_int_equal(fl_tc_get(&v, 2)->v.bin.len, 0);
    const fl_tc_val_t *l = fl_tc_get(&v, 3);
    assert_int_equal(l->type, FL_TC_LIST);
    assert_int_equal(l->v.c.n, 3);
    assert_int_equal(l->v.c.items[0].v.i, -1);
    assert_int_equal(l->v.c.items[2].v.i, 1 << 30);
    l = fl_tc_get(&v, 20);
    assert_int_equal(l->v.c.n, 40);
    assert_int_equal(l->v.c.etype, FL_TC_STRUCT);
    for (int i = 0; i < 40; i++) {
        const fl_tc_val_t *e = &l->v.c.items[i];
        assert_int_equal(fl_tc_get_i(e, 1, -99), i);
        assert_int_equal(fl_tc_get_i(e, 18, -99), 7);
        const fl_tc_val_t *n = fl_tc_get(e, 17);
        assert_int_equal(n->type, FL_TC_STRUCT);
        assert_int_equal(fl_tc_get_i(n, 2, 99), -i);
        const fl_tc_val_t *sl = fl_tc_get(n, 3);
        assert_int_equal(sl->v.c.n, 2);
        assert_int_equal(sl->v.c.items[1].v.bin.len, 2);
        assert_memory_equal(sl->v.c.items[1].v.bin.p, "yz", 2);
    }
    l = fl_tc_get(&v, 21);
    assert_true(l->v.c.items[0].v.b);
    assert_false(l->v.c.items[1].v.b);
    assert_int_equal(fl_tc_get(&v, 22)->v.c.n, 0);
    fl_tc_val_free(&v);
    fl_buf_free(&b);
    fl_free(s);
}

static void test_malformed(void **state) {
    (void)state;
    /* empty input, missing STOP, truncated varint, truncated binary */
    assert_int_equal(decode_err("", 0), FL_ERR__UNDERFLOW);
    assert_int_equal(decode_err("\x15\x02", 2), FL_ERR__UNDERFLOW);
    assert_int_equal(decode_err("\x15\x82", 2), FL_ERR__UNDERFLOW);
    assert_int_equal(decode_err("\x18\x05" "ab", 4), FL_ERR__UNDERFLOW);
    /* binary length far beyond the input (no allocation from it) */
    assert_int_equal(decode_err("\x18\xff\xff\xff\xff\x0f", 6), FL_ERR__UNDERFLOW);
    /* bad type codes 13, 0 in a list */
    assert_int_equal(decode_err("\x1d\x00", 2), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(decode_err("\x19\x10\x00", 3), FL_ERR_CORRUPT_MESSAGE);
    /* list claims 2^31 elements: over the item limit */
    assert_int_equal(decode_err("\x19\xf5\x80\x80\x80\x80\x08\x00", 8), FL_ERR__OVERFLOW);
    /* list claims 900 i32 but holds 2 bytes: underflow, not a 900-element allocation */
    assert_int_equal(decode_err("\x19\xf5\x84\x07\x02\x04", 6), FL_ERR__UNDERFLOW);
    /* i32 value out of range */
    assert_int_equal(decode_err("\x15\xfe\xff\xff\xff\x7f\x00", 7), FL_ERR_CORRUPT_MESSAGE);
    /* varint longer than 10 bytes */
    assert_int_equal(
        decode_err("\x16\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00", 13),
        FL_ERR__OVERFLOW);
    /* nesting deeper than FL_TC_MAX_DEPTH */
    uint8_t deep[200];
    memset(deep, 0x1c, 100); /* field 1, struct, repeated */
    memset(deep + 100, 0, 100);
    assert_int_equal(decode_err(deep, sizeof(deep)), FL_ERR__OVERFLOW);
    /* just under the limit is fine */
    memset(deep, 0x1c, FL_TC_MAX_DEPTH - 1);
    memset(deep + FL_TC_MAX_DEPTH - 1, 0, FL_TC_MAX_DEPTH);
    assert_int_equal(decode_err(deep, 2 * FL_TC_MAX_DEPTH - 1), FL_ERR_NONE);
    /* map: decoded, values kept */
    static const uint8_t map[] = {0x1b, 0x02, 0x85, 0x01, 'a', 0x02, 0x01, 'b', 0x04, 0x00};
    fl_reader_t rd;
    fl_tc_val_t v;
    fl_rd_init(&rd, map, sizeof(map));
    assert_int_equal(fl_tc_decode_struct(&rd, &v, 10), FL_ERR_NONE);
    const fl_tc_val_t *m = fl_tc_get(&v, 1);
    assert_int_equal(m->v.c.n, 2);
    assert_int_equal(m->v.c.vals[0].v.i, 1);
    assert_int_equal(m->v.c.vals[1].v.i, 2);
    fl_tc_val_free(&v);
    /* every truncation of a valid message fails cleanly */
    fl_buf_t b;
    fl_buf_init(&b);
    fl_tc_writer_t w;
    fl_tc_writer_init(&w, &b);
    fl_tc_begin(&w);
    fl_tc_field_string(&w, 1, "abc");
    fl_tc_field_list(&w, 2, FL_TC_STRUCT, 1);
    fl_tc_begin(&w);
    fl_tc_field_i64(&w, 30, -5);
    fl_tc_end(&w);
    fl_tc_end(&w);
    for (size_t n = 0; n < b.len; n++) assert_int_not_equal(decode_err(b.p, n), FL_ERR_NONE);
    assert_int_equal(decode_err(b.p, b.len), FL_ERR_NONE);
    fl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_bytes),
        cmocka_unit_test(test_scalars_round_trip),
        cmocka_unit_test(test_nested_lists_strings),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("lake_thrift", tests, NULL, NULL);
}
