/* test_logbatch.c: LogRecordBatch header parsing, validation, iteration, stamping and the
 * builder, against the golden vectors made by the v0.9.1 Java classes (fluss-formats.md 9.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fl_buf.h"
#include "fl_logbatch.h"

#define MAXB (16u << 20)

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == '|' || *s == '\n') {
            s++;
            continue;
        }
        unsigned v;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* Section 9.2 vectors. */
static const char *const V_COMPACTED =
    "0000000000000000 2d000000 00 0000000000000000 1912186b 0100 01 00000000"
    "ffffffffffffffff ffffffff 01000000 | 05000000 00 00 01 01 61";
static const char *const V_CHANGELOG =
    "000000000000000036000000000000000000000000e6aa83f7010000010000000700000000000000030000000200"
    "0000050000000200010161050000000300010162";
static const char *const V_INDEXED =
    "000000000000000033000000000000000000000000907788a701000100000000ffffffffffffffffffffffff0100"
    "00000b0000000000010000000100000061";
static const char *const V_HEADER_ONLY =
    "000000000000000024000000000000000000000000a80731c6010000000000000700000000000000040000000000"
    "0000";

struct golden {
    const char *hex;
    size_t size;
    uint32_t crc;
    int8_t attributes;
    int32_t records;
    int64_t writer;
    int32_t seq;
};

static const struct golden goldens[] = {
    {NULL, 57, 0x6b181219u, 1, 1, -1, -1},
    {NULL, 66, 0xf783aae6u, 0, 2, 7, 3},
    {NULL, 63, 0xa7887790u, 1, 1, -1, -1},
    {NULL, 48, 0xc63107a8u, 0, 0, 7, 4},
};

static const char *golden_hex(size_t i) {
    const char *h[] = {V_COMPACTED, V_CHANGELOG, V_INDEXED, V_HEADER_ONLY};
    return h[i];
}

static void test_golden_vectors_parse_and_rebuild(void **state) {
    (void)state;
    for (size_t i = 0; i < FL_ARRAY_LEN(goldens); i++) {
        const struct golden *g = &goldens[i];
        uint8_t in[128];
        size_t n = unhex(golden_hex(i), in, sizeof(in));
        assert_int_equal(n, g->size);
        fl_logbatch_t b;
        const char *why = NULL;
        assert_int_equal(fl_logbatch_validate(in, n, MAXB, &b, &why), FL_ERR_NONE);
        assert_null(why);
        assert_int_equal(b.size, g->size);
        assert_int_equal(b.magic, 0);
        assert_int_equal(b.header_size, 48);
        assert_int_equal(b.crc, g->crc);
        assert_int_equal(b.schema_id, 1);
        assert_int_equal(b.attributes, g->attributes);
        assert_int_equal(b.record_count, g->records);
        assert_int_equal(b.last_offset_delta, g->records ? g->records - 1 : 0);
        assert_int_equal(b.writer_id, g->writer);
        assert_int_equal(b.batch_sequence, g->seq);
        assert_int_equal(b.leader_epoch, -1);
        assert_int_equal(fl_logbatch_next_offset(&b), g->records ? g->records : 1);

        /* the builder reproduces the Java bytes exactly from the same fields and body */
        fl_logbatch_build_t opt;
        fl_logbatch_build_defaults(&opt);
        opt.attributes = g->attributes;
        opt.record_count = g->records;
        opt.writer_id = g->writer;
        opt.batch_sequence = g->seq;
        fl_buf_t out;
        fl_buf_init(&out);
        fl_logbatch_build(&out, &opt, in + 48, n - 48);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, in, n);
        fl_buf_free(&out);
    }
}

static void test_stamping_keeps_crc(void **state) {
    (void)state;
    uint8_t in[128];
    size_t n = unhex(V_COMPACTED, in, sizeof(in));
    fl_logbatch_stamp_base_offset(in, 0x0102030405060708LL);
    fl_logbatch_stamp_commit_timestamp(in, 1700000000123LL);
    assert_int_equal(fl_logbatch_stamp_leader_epoch(in, 5), FL_ERR__INVAL); /* V0 */
    fl_logbatch_t b;
    assert_int_equal(fl_logbatch_validate(in, n, MAXB, &b, NULL), FL_ERR_NONE);
    assert_int_equal(b.base_offset, 0x0102030405060708LL);
    assert_int_equal(b.commit_timestamp, 1700000000123LL);
    assert_int_equal(in[0], 0x08); /* little-endian */
    assert_int_equal(in[13], (uint8_t)(1700000000123LL & 0xff));

    /* V1: leader epoch at 21, CRC at 25 */
    fl_logbatch_build_t opt;
    fl_logbatch_build_defaults(&opt);
    opt.magic = 1;
    opt.record_count = 3;
    fl_buf_t out;
    fl_buf_init(&out);
    fl_logbatch_build(&out, &opt, "abcdef", 6);
    assert_int_equal(out.len, 52 + 6);
    assert_int_equal(fl_logbatch_validate(out.p, out.len, MAXB, &b, NULL), FL_ERR_NONE);
    assert_int_equal(b.leader_epoch, -1);
    assert_int_equal(b.last_offset_delta, 2);
    assert_int_equal(fl_logbatch_stamp_leader_epoch(out.p, 9), FL_ERR_NONE);
    fl_logbatch_stamp_base_offset(out.p, 100);
    assert_int_equal(fl_logbatch_validate(out.p, out.len, MAXB, &b, NULL), FL_ERR_NONE);
    assert_int_equal(b.leader_epoch, 9);
    assert_int_equal(out.p[21], 9);
    assert_int_equal(fl_logbatch_next_offset(&b), 103);
    /* the CRC covers the body: flipping a body byte fails */
    out.p[out.len - 1] ^= 0x40;
    const char *why = NULL;
    assert_int_equal(fl_logbatch_validate(out.p, out.len, MAXB, &b, &why),
                     FL_ERR_CORRUPT_RECORD_EXCEPTION);
    assert_string_equal(why, "CRC mismatch");
    fl_buf_free(&out);
}

/* Each malformed header field is rejected with the right error. */
static void test_malformed_headers(void **state) {
    (void)state;
    uint8_t good[128], in[128];
    size_t n = unhex(V_COMPACTED, good, sizeof(good));
    fl_logbatch_t b;
    const char *why;

    /* truncations: every prefix is UNDERFLOW (never corrupt, never a crash) */
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(fl_logbatch_validate(good, k, MAXB, &b, NULL), FL_ERR__UNDERFLOW);
    }
    struct {
        size_t off;
        uint8_t val;
        fl_err_t err;
        const char *why;
    } cases[] = {
        {12, 2, FL_ERR_CORRUPT_RECORD_EXCEPTION, "unknown magic"},
        {12, 0xff, FL_ERR_CORRUPT_RECORD_EXCEPTION, "unknown magic"},
        {8, 10, FL_ERR_CORRUPT_RECORD_EXCEPTION, "length below header size"},
        {11, 0x80, FL_ERR_CORRUPT_RECORD_EXCEPTION, "length below header size"}, /* negative */
        {11, 0x10, FL_ERR_RECORD_TOO_LARGE_EXCEPTION, "batch over size limit"},
        {27, 0x03, FL_ERR_CORRUPT_RECORD_EXCEPTION, "unknown attribute bits"},
        {28, 0x01, FL_ERR_CORRUPT_RECORD_EXCEPTION, "last offset delta does not match record count"},
        {47, 0x80, FL_ERR_CORRUPT_RECORD_EXCEPTION, "negative record count"},
        {40, 0x05, FL_ERR_CORRUPT_RECORD_EXCEPTION, "batch sequence without writer id"},
        {32, 0xf0, FL_ERR_CORRUPT_RECORD_EXCEPTION, "invalid writer id or batch sequence"},
        {7, 0x80, FL_ERR_CORRUPT_RECORD_EXCEPTION, "negative base offset"},
        {25, 0x02, FL_ERR_CORRUPT_RECORD_EXCEPTION, "CRC mismatch"}, /* schema id is covered */
        {21, 0x00, FL_ERR_CORRUPT_RECORD_EXCEPTION, "CRC mismatch"},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        memcpy(in, good, n);
        in[cases[i].off] = cases[i].val;
        why = NULL;
        assert_int_equal(fl_logbatch_validate(in, n, MAXB, &b, &why), cases[i].err);
        assert_non_null(why);
        assert_string_equal(why, cases[i].why);
    }
    /* a smaller caller limit rejects the batch as too large */
    assert_int_equal(fl_logbatch_validate(good, n, 56, &b, NULL), FL_ERR_RECORD_TOO_LARGE_EXCEPTION);
    assert_int_equal(fl_logbatch_validate(good, n, 57, &b, NULL), FL_ERR_NONE);
    /* Length says 4 bytes more than there are: truncated, not corrupt */
    memcpy(in, good, n);
    in[8] = 0x2d + 4;
    assert_int_equal(fl_logbatch_validate(in, n, MAXB, &b, &why), FL_ERR__UNDERFLOW);
    assert_string_equal(why, "truncated batch");
}

static void test_iterate(void **state) {
    (void)state;
    uint8_t all[512];
    size_t n = 0;
    size_t starts[4];
    for (size_t i = 0; i < 4; i++) {
        starts[i] = n;
        n += unhex(golden_hex(i), all + n, sizeof(all) - n);
    }
    fl_logbatch_iter_t it;
    fl_logbatch_t b;
    for (int crc = 0; crc < 2; crc++) {
        fl_logbatch_iter_init(&it, all, n, MAXB, crc);
        for (size_t i = 0; i < 4; i++) {
            assert_int_equal(fl_logbatch_iter_next(&it, &b), 1);
            assert_ptr_equal(b.p, all + starts[i]);
        }
        assert_int_equal(fl_logbatch_iter_next(&it, &b), 0);
        assert_int_equal(it.trailing, 0);
        assert_int_equal(it.off, n);
    }
    /* every truncation of the last batch stops cleanly after three */
    for (size_t cut = starts[3]; cut < n; cut++) {
        fl_logbatch_iter_init(&it, all, cut, MAXB, true);
        int got = 0;
        while (fl_logbatch_iter_next(&it, &b) == 1) got++;
        assert_int_equal(got, 3);
        assert_int_equal(it.err, FL_ERR_NONE);
        assert_int_equal(it.off, starts[3]);
        assert_int_equal(it.trailing, cut - starts[3]);
    }
    /* a corrupt second batch: one good, then -1 at its start, sticky */
    all[starts[1] + 50] ^= 1;
    fl_logbatch_iter_init(&it, all, n, MAXB, true);
    assert_int_equal(fl_logbatch_iter_next(&it, &b), 1);
    assert_int_equal(fl_logbatch_iter_next(&it, &b), -1);
    assert_int_equal(it.off, starts[1]);
    assert_int_equal(it.err, FL_ERR_CORRUPT_RECORD_EXCEPTION);
    assert_string_equal(it.why, "CRC mismatch");
    assert_int_equal(fl_logbatch_iter_next(&it, &b), -1);
    /* without CRC checks the body flip is not seen */
    fl_logbatch_iter_init(&it, all, n, MAXB, false);
    int got = 0;
    while (fl_logbatch_iter_next(&it, &b) == 1) got++;
    assert_int_equal(got, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_vectors_parse_and_rebuild),
        cmocka_unit_test(test_stamping_keeps_crc),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_iterate),
    };
    return cmocka_run_group_tests_name("protocol_logbatch", tests, NULL, NULL);
}
