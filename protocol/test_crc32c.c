/* test_crc32c.c: CRC-32C against published check values, both code paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_crc32c.h"

uint32_t fl_crc32c_sw(uint32_t crc, const void *p, size_t n);

static void test_check_values(void **state) {
    (void)state;
    /* the standard check value: CRC-32C("123456789") = 0xE3069283 */
    assert_int_equal(fl_crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(fl_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    /* RFC 3720 B.4: 32 bytes of zeros -> 0x8A9136AA, of 0xFF -> 0x62A8AB43 */
    uint8_t z[32], f[32];
    memset(z, 0, sizeof(z));
    memset(f, 0xff, sizeof(f));
    assert_int_equal(fl_crc32c(z, 32), 0x8A9136AAu);
    assert_int_equal(fl_crc32c(f, 32), 0x62A8AB43u);
    assert_int_equal(fl_crc32c("", 0), 0);
}

static void test_paths_agree_and_extend(void **state) {
    (void)state;
    static uint8_t buf[4099];
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t off = 0; off < 9; off++) {
        for (size_t n = 0; n + off <= sizeof(buf); n += 97) {
            uint32_t a = fl_crc32c(buf + off, n);
            assert_int_equal(a, fl_crc32c_sw(0, buf + off, n));
            uint32_t half = fl_crc32c(buf + off, n / 2);
            assert_int_equal(fl_crc32c_extend(half, buf + off + n / 2, n - n / 2), a);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_paths_agree_and_extend),
    };
    return cmocka_run_group_tests_name("protocol_crc32c", tests, NULL, NULL);
}
