/* test_bucket.c: the Fluss MurmurHash variant, MathUtils.murmurHash, standard Murmur3 and the
 * three bucketing functions against BucketingFunctionTest (Java), fluss-rust's murmur_hash.rs
 * vectors and the Java-run vectors of fluss-formats.md 9.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_bucket.h"

static const char FOX[] = "The quick brown fox jumps over the lazy dog";

static void test_raw_hashes(void **state) {
    (void)state;
    assert_int_equal(fl_murmur3_32(FOX, strlen(FOX), 0), 0x2E4FF723u);
    assert_int_equal((uint32_t)fl_murmur_fluss("", 0, 42), 0x087FCD5Cu);
    assert_int_equal((uint32_t)fl_murmur_fluss(FOX, strlen(FOX), 42), 0x1BC6F880u);
    assert_int_equal((uint32_t)fl_murmur_fluss(FOX, strlen(FOX), 0), 0x5FD20A20u);
    assert_int_equal(fl_murmur_int(0), 0x2362F9DE);
    assert_int_equal(fl_murmur_int(42), 0x43A46E1D);
    assert_int_equal(fl_murmur_int(-77), 0x2EEB27DE);
    /* standard Murmur3 x86_32 published check values (tail combined LE) */
    assert_int_equal(fl_murmur3_32("", 0, 0), 0u);
    assert_int_equal(fl_murmur3_32("", 0, 1), 0x514E28B7u);
    assert_int_equal(fl_murmur3_32("\xff\xff\xff\xff", 4, 0), 0x76293B50u);
    assert_int_equal(fl_murmur3_32("\x21\x43\x65\x87", 4, 0), 0xF55B516Bu);
    assert_int_equal(fl_murmur3_32("\x21\x43\x65", 3, 0), 0x7E4A8634u);
    assert_int_equal(fl_murmur3_32("\x21\x43", 2, 0), 0xA0F7B07Au);
    assert_int_equal(fl_murmur3_32("\x21", 1, 0), 0x72661CF4u);
    /* the Fluss variant differs from Murmur3 only in the tail: aligned inputs agree */
    assert_int_equal((uint32_t)fl_murmur_fluss("\x21\x43\x65\x87", 4, 0), 0xF55B516Bu);
    assert_int_not_equal((uint32_t)fl_murmur_fluss("\x21\x43\x65", 3, 0), 0x7E4A8634u);
}

/* BucketingFunctionTest (Java) / rs bucketing tests. */
static void test_bucketing_function_test(void **state) {
    (void)state;
    static const uint8_t k1[] = {0x00, 0x0a};
    static const uint8_t k2[] = {0x00, 0x0a, 0x0a, 0x0a};
    static const char k3[] = "2bb87d68-baf9-4e64-90f9-f80910419fa6";
    struct {
        const void *p;
        size_t n;
        int32_t buckets;
        int32_t fluss, paimon, iceberg;
    } c[] = {
        {k1, sizeof(k1), 7, 1, 1, 3},
        {k2, sizeof(k2), 12, 0, 11, 4},
        {k3, strlen(k3), 16, 6, 12, 12},
        {FOX, strlen(FOX), 8, 6, 0, 3},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(c); i++) {
        int32_t b;
        assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, c[i].p, c[i].n, c[i].buckets, &b), 0);
        assert_int_equal(b, c[i].fluss);
        assert_int_equal(fl_bucket_of_key(FL_BUCKET_PAIMON, c[i].p, c[i].n, c[i].buckets, &b), 0);
        assert_int_equal(b, c[i].paimon);
        assert_int_equal(fl_bucket_of_key(FL_BUCKET_ICEBERG, c[i].p, c[i].n, c[i].buckets, &b),
                         0);
        assert_int_equal(b, c[i].iceberg);
    }
}

/* Java-run vectors (9.2): sign extension of tail bytes >= 0x80. */
static void test_sign_extended_tail(void **state) {
    (void)state;
    static const uint8_t c801[] = {0xc8, 0x01};
    int32_t b;
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, c801, 2, 16, &b), FL_ERR_NONE);
    assert_int_equal(b, 6); /* Rust's zero extension would give 10 */
    static const uint8_t ck[] = {0xc8, 0x01, 0x0c, 'h', 'e', 'l', 'l', 'o', ' ',
                                 'w',  'o',  'r',  'l', 'd', '!'};
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, ck, sizeof(ck), 16, &b), FL_ERR_NONE);
    assert_int_equal(b, 3);
}

static void test_errors_and_choice(void **state) {
    (void)state;
    int32_t b;
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, "", 0, 4, &b), FL_ERR__INVAL);
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_ICEBERG, "", 0, 4, &b), FL_ERR__INVAL);
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_FLUSS, "a", 1, 0, &b), FL_ERR__INVAL);
    assert_int_equal(fl_bucket_of_key(FL_BUCKET_PAIMON, "a", 1, -3, &b), FL_ERR__INVAL);
    /* buckets are always in range, for many keys and counts */
    for (uint32_t k = 0; k < 2000; k++) {
        uint8_t key[5] = {(uint8_t)k, (uint8_t)(k >> 8), 0x80, 0xff, (uint8_t)(k * 7)};
        for (int fn = 0; fn < 3; fn++) {
            int32_t n = (int32_t)(k % 97) + 1;
            assert_int_equal(fl_bucket_of_key((fl_bucket_fn_t)fn, key, 1 + k % 5, n, &b), 0);
            assert_true(b >= 0 && b < n);
        }
    }
    fl_bucket_fn_t fn;
    assert_int_equal(fl_bucket_fn_for_lake(NULL, &fn), FL_ERR_NONE);
    assert_int_equal(fn, FL_BUCKET_FLUSS);
    assert_int_equal(fl_bucket_fn_for_lake("lance", &fn), FL_ERR_NONE);
    assert_int_equal(fn, FL_BUCKET_FLUSS);
    assert_int_equal(fl_bucket_fn_for_lake("paimon", &fn), FL_ERR_NONE);
    assert_int_equal(fn, FL_BUCKET_PAIMON);
    assert_int_equal(fl_bucket_fn_for_lake("Iceberg", &fn), FL_ERR_NONE);
    assert_int_equal(fn, FL_BUCKET_ICEBERG);
    assert_int_equal(fl_bucket_fn_for_lake("delta", &fn), FL_ERR__INVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_hashes),
        cmocka_unit_test(test_bucketing_function_test),
        cmocka_unit_test(test_sign_extended_tail),
        cmocka_unit_test(test_errors_and_choice),
    };
    return cmocka_run_group_tests_name("protocol_bucket", tests, NULL, NULL);
}
