/* test_kvbatch.c: KvRecordBatch against the batch KvRecordBatchBuilder (Java v0.9.1) wrote
 * (fluss-formats.md 9.2), and malformed batches: every truncation, bad CRC, magic, sizes,
 * record counts, key-length varints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fl_crc32c.h"
#include "fl_kvbatch.h"
#include "fl_row.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (const char *s = hex; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9') v = *s - '0';
        else if (*s >= 'a' && *s <= 'f') v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') v = *s - 'A' + 10;
        else continue;
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static const char *GOLDEN =
    "2800000000226e12e20100000700000000000000000000000200000006000000010100010161020000000101";

/* Fix up Length and CRC of a hand-edited batch so that only the intended defect remains. */
static void refresh(uint8_t *b, size_t n) {
    uint32_t len = (uint32_t)(n - 4);
    memcpy(b, &len, 4);
    uint32_t crc = fl_crc32c(b + 9, n - 9);
    memcpy(b + 5, &crc, 4);
}

static fl_err_t parse_exact(const uint8_t *p, size_t n, fl_kvbatch_t *kb) {
    uint8_t *copy = fl_malloc(n ? n : 1); /* exact size so ASan sees any over-read */
    memcpy(copy, p, n);
    fl_err_t err = fl_kvbatch_parse(copy, n, kb);
    fl_free(copy);
    return err;
}

static void test_golden_build(void **state) {
    (void)state;
    /* value row (1, "a") in COMPACTED: 00 01 01 61; key = CompactedKey(INT 1) = 01 */
    static const uint8_t key[] = {0x01};
    static const uint8_t row[] = {0x00, 0x01, 0x01, 0x61};
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_buf_put(&buf, "xyz", 3); /* a batch need not start at offset 0 of the buffer */
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, 1, 7, 0);
    fl_kvbatch_builder_append(&b, key, 1, row, sizeof(row));
    fl_kvbatch_builder_append(&b, key, 1, NULL, 0);
    size_t size = fl_kvbatch_builder_finish(&b);
    uint8_t want[128];
    size_t wn = unhex(GOLDEN, want, sizeof(want));
    assert_int_equal(size, wn);
    assert_int_equal(buf.len, 3 + wn);
    assert_memory_equal(buf.p + 3, want, wn);
    fl_buf_free(&buf);
}

static void test_golden_parse(void **state) {
    (void)state;
    uint8_t in[128];
    size_t n = unhex(GOLDEN, in, sizeof(in));
    fl_kvbatch_t kb;
    assert_int_equal(fl_kvbatch_parse(in, n, &kb), FL_ERR_NONE);
    assert_int_equal(kb.size, n);
    assert_int_equal(kb.magic, 0);
    assert_int_equal(kb.crc, 0xe2126e22u);
    assert_int_equal(kb.schema_id, 1);
    assert_int_equal(kb.attributes, 0);
    assert_int_equal(kb.writer_id, 7);
    assert_int_equal(kb.batch_sequence, 0);
    assert_int_equal(kb.record_count, 2);
    fl_kvbatch_iter_t it;
    fl_kvbatch_iter_init(&kb, &it);
    fl_kvrecord_t rec;
    assert_true(fl_kvbatch_next(&it, &rec));
    assert_int_equal(rec.key.len, 1);
    assert_int_equal(rec.key.p[0], 0x01);
    assert_false(rec.is_delete);
    assert_int_equal(rec.value.len, 4);
    assert_memory_equal(rec.value.p, "\x00\x01\x01\x61", 4);
    assert_true(fl_kvbatch_next(&it, &rec));
    assert_true(rec.is_delete);
    assert_int_equal(rec.value.len, 0);
    assert_false(fl_kvbatch_next(&it, &rec));
    assert_int_equal(it.rd.err, FL_ERR_NONE);
    /* trailing bytes after the batch are the caller's business */
    in[n] = 0xaa;
    assert_int_equal(fl_kvbatch_parse(in, n + 1, &kb), FL_ERR_NONE);
    assert_int_equal(kb.size, n);
}

/* KV records for key (INT 200, "hello world!") and value (null, "x", null, "yz") (9.2). */
static void test_golden_records(void **state) {
    (void)state;
    uint8_t key[32], val[32];
    size_t kn = unhex("c8010c68656c6c6f20776f726c6421", key, sizeof(key));
    size_t vn = unhex("05017802797a", val, sizeof(val));
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_kvbatch_builder_t b;
    fl_kvbatch_builder_begin(&b, &buf, 1, -1, -1);
    fl_kvbatch_builder_append(&b, key, kn, val, vn);
    fl_kvbatch_builder_append(&b, key, kn, NULL, 0);
    size_t size = fl_kvbatch_builder_finish(&b);
    uint8_t want[128];
    size_t wn = unhex("160000000fc8010c68656c6c6f20776f726c642105017802797a100000000fc8010c6865"
                      "6c6c6f20776f726c6421",
                      want, sizeof(want));
    assert_int_equal(size, FL_KVBATCH_HEADER_SIZE + wn);
    assert_memory_equal(buf.p + FL_KVBATCH_HEADER_SIZE, want, wn);
    fl_kvbatch_t kb;
    assert_int_equal(fl_kvbatch_parse(buf.p, buf.len, &kb), FL_ERR_NONE);
    assert_int_equal(kb.writer_id, -1);
    assert_int_equal(kb.batch_sequence, -1);
    /* a 200-byte key needs a 2-byte KeyLength varint */
    fl_buf_reset(&buf);
    uint8_t big[200];
    memset(big, 'k', sizeof(big));
    fl_kvbatch_builder_begin(&b, &buf, 3, 1, 2);
    fl_kvbatch_builder_append(&b, big, sizeof(big), val, vn);
    fl_kvbatch_builder_finish(&b);
    assert_int_equal(fl_kvbatch_parse(buf.p, buf.len, &kb), FL_ERR_NONE);
    fl_kvbatch_iter_t it;
    fl_kvbatch_iter_init(&kb, &it);
    fl_kvrecord_t rec;
    assert_true(fl_kvbatch_next(&it, &rec));
    assert_int_equal(rec.key.len, 200);
    assert_int_equal(rec.value.len, vn);
    /* an empty batch */
    fl_buf_reset(&buf);
    fl_kvbatch_builder_begin(&b, &buf, 1, -1, -1);
    assert_int_equal(fl_kvbatch_builder_finish(&b), FL_KVBATCH_HEADER_SIZE);
    assert_int_equal(fl_kvbatch_parse(buf.p, buf.len, &kb), FL_ERR_NONE);
    assert_int_equal(kb.record_count, 0);
    fl_buf_free(&buf);
}

static void test_truncation_and_crc(void **state) {
    (void)state;
    uint8_t in[128];
    size_t n = unhex(GOLDEN, in, sizeof(in));
    fl_kvbatch_t kb;
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(parse_exact(in, cut, &kb), FL_ERR__UNDERFLOW);
    /* every single-byte change after the Length field is caught (CRC, magic, or both) */
    for (size_t i = 4; i < n; i++) {
        uint8_t copy[128];
        memcpy(copy, in, n);
        copy[i] ^= 0x5a;
        assert_int_equal(parse_exact(copy, n, &kb), FL_ERR_CORRUPT_MESSAGE);
    }
}

static void test_malformed(void **state) {
    (void)state;
    uint8_t in[128], b[160];
    size_t n = unhex(GOLDEN, in, sizeof(in));
    fl_kvbatch_t kb;
    /* Length below the header size, negative */
    memcpy(b, in, n);
    uint32_t small = 10;
    memcpy(b, &small, 4);
    assert_int_equal(parse_exact(b, n, &kb), FL_ERR_CORRUPT_MESSAGE);
    uint32_t neg = 0xffffffffu;
    memcpy(b, &neg, 4);
    assert_int_equal(parse_exact(b, n, &kb), FL_ERR_CORRUPT_MESSAGE);
    /* bad magic with a correct CRC */
    memcpy(b, in, n);
    b[4] = 1;
    assert_int_equal(parse_exact(b, n, &kb), FL_ERR_CORRUPT_MESSAGE);
    /* record counts: one too many, one too few, negative, huge */
    int32_t counts[] = {3, 1, -1, 0x7fffffff, 0};
    for (size_t i = 0; i < FL_ARRAY_LEN(counts); i++) {
        memcpy(b, in, n);
        memcpy(b + 24, &counts[i], 4);
        refresh(b, n);
        assert_int_equal(parse_exact(b, n, &kb), FL_ERR_CORRUPT_MESSAGE);
    }
    /* record Length past the end, zero, negative */
    int32_t rlens[] = {100, 0, -5, 7};
    for (size_t i = 0; i < FL_ARRAY_LEN(rlens); i++) {
        memcpy(b, in, n);
        memcpy(b + 28, &rlens[i], 4);
        refresh(b, n);
        assert_int_equal(parse_exact(b, n, &kb), FL_ERR_CORRUPT_MESSAGE);
    }
    /* KeyLength past the record, unterminated varint, over 32 bits */
    const char *recs[] = {
        "0600000009 0100010161 020000000101",
        "0200000080 80 020000000101",
        "06000000ffffffffff 61 020000000101",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(recs); i++) {
        memcpy(b, in, 28);
        size_t rn = unhex(recs[i], b + 28, sizeof(b) - 28);
        refresh(b, 28 + rn);
        assert_int_equal(parse_exact(b, 28 + rn, &kb), FL_ERR_CORRUPT_MESSAGE);
    }
    /* garbage between the last record and the end of the batch */
    memcpy(b, in, n);
    b[n] = 0;
    refresh(b, n + 1);
    assert_int_equal(parse_exact(b, n + 1, &kb), FL_ERR_CORRUPT_MESSAGE);
    /* sanity: refresh() alone keeps the batch valid */
    memcpy(b, in, n);
    refresh(b, n);
    assert_int_equal(parse_exact(b, n, &kb), FL_ERR_NONE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_build),
        cmocka_unit_test(test_golden_parse),
        cmocka_unit_test(test_golden_records),
        cmocka_unit_test(test_truncation_and_crc),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("protocol_kvbatch", tests, NULL, NULL);
}
