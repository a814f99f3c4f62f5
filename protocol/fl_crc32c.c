/* fl_crc32c.c: CRC-32C with the SSE4.2 instruction when the CPU has it (checked once at run
 * time), else slicing-by-8 tables. Both paths are tested against the same vectors. */
#include "fl_crc32c.h"

#include <string.h>

static uint32_t fl_crc_tab[8][256];
static int fl_crc_hw = -1; /* -1 unknown, 0 no, 1 yes */

static void fl_crc_init_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        fl_crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            fl_crc_tab[t][i] = (fl_crc_tab[t - 1][i] >> 8) ^ fl_crc_tab[0][fl_crc_tab[t - 1][i] & 0xff];
}

uint32_t fl_crc32c_sw(uint32_t crc, const void *p, size_t n);
uint32_t fl_crc32c_sw(uint32_t crc, const void *p, size_t n) {
    const uint8_t *b = p;
    uint32_t c = ~crc;
    while (n && ((uintptr_t)b & 7)) {
        c = (c >> 8) ^ fl_crc_tab[0][(c ^ *b++) & 0xff];
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        w ^= c;
        c = fl_crc_tab[7][w & 0xff] ^ fl_crc_tab[6][(w >> 8) & 0xff] ^
            fl_crc_tab[5][(w >> 16) & 0xff] ^ fl_crc_tab[4][(w >> 24) & 0xff] ^
            fl_crc_tab[3][(w >> 32) & 0xff] ^ fl_crc_tab[2][(w >> 40) & 0xff] ^
            fl_crc_tab[1][(w >> 48) & 0xff] ^ fl_crc_tab[0][w >> 56];
        b += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ fl_crc_tab[0][(c ^ *b++) & 0xff];
    return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t fl_crc32c_hw(uint32_t crc, const void *p,
                                                               size_t n) {
    const uint8_t *b = p;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)b & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *b++);
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        c = __builtin_ia32_crc32di(c, w);
        b += 8;
        n -= 8;
    }
    while (n--) c = __builtin_ia32_crc32qi((uint32_t)c, *b++);
    return ~(uint32_t)c;
}
#endif

static void fl_crc_setup(void) {
    fl_crc_init_tables();
#if defined(__x86_64__)
    __builtin_cpu_init();
    fl_crc_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    fl_crc_hw = 0;
#endif
}

uint32_t fl_crc32c_extend(uint32_t crc, const void *p, size_t n) {
    if (__builtin_expect(fl_crc_hw < 0, 0)) fl_crc_setup();
#if defined(__x86_64__)
    if (fl_crc_hw) return fl_crc32c_hw(crc, p, n);
#endif
    return fl_crc32c_sw(crc, p, n);
}

uint32_t fl_crc32c(const void *p, size_t n) {
    return fl_crc32c_extend(0, p, n);
}
