/* test_logrecord.c: INDEXED / COMPACTED log record bodies against the V0 batches written by
 * MemoryLogRecordsCompactedBuilder / MemoryLogRecordsIndexedBuilder (Java v0.9.1,
 * fluss-formats.md 9.2): the body is everything after the 48-byte V0 header. Plus malformed
 * bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fl_crc32c.h"
#include "fl_logrecord.h"

#define V0_HEADER 48

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

static const char *COMPACTED_APPEND =
    "0000000000000000 2d000000 00 0000000000000000 1912186b 0100 01 00000000"
    "ffffffffffffffff ffffffff 01000000 05000000 00 00 01 01 61";
static const char *COMPACTED_CHANGELOG =
    "000000000000000036000000000000000000000000e6aa83f701000001000000070000000000000003000000"
    "02000000050000000200010161050000000300010162";
static const char *INDEXED_APPEND =
    "000000000000000033000000000000000000000000907788a701000100000000ffffffffffffffffffffffff"
    "010000000b0000000000010000000100000061";

static fl_type_t row_type;
static fl_type_t fields[2];

static void setup_type(void) {
    memset(fields, 0, sizeof(fields));
    fields[0].root = FL_T_INTEGER;
    fields[1].root = FL_T_STRING;
    fields[0].nullable = fields[1].nullable = true;
    memset(&row_type, 0, sizeof(row_type));
    row_type.root = FL_T_ROW;
    row_type.children = fields;
    row_type.n_children = 2;
}

static void row_val(fl_datum_t v[2], int32_t id, const char *s) {
    memset(v, 0, 2 * sizeof(fl_datum_t));
    v[0].v.i32 = id;
    v[1].v.bytes.p = (const uint8_t *)s;
    v[1].v.bytes.len = (uint32_t)strlen(s);
}

/* Build the body from datums, compare with the Java batch's body, and check that the batch
 * CRC (over [25, end) of the Java header + our body) still matches the stored one. */
static void check_batch(const char *hex, fl_row_format_t fmt, const fl_change_type_t *cts,
                        const char *const *strs, int n) {
    setup_type();
    uint8_t batch[256];
    size_t bn = unhex(hex, batch, sizeof(batch));
    fl_buf_t buf;
    fl_buf_init(&buf);
    for (int i = 0; i < n; i++) {
        fl_datum_t v[2];
        row_val(v, 1, strs[i]);
        assert_int_equal(fl_logrecord_write_row(&buf, fmt, cts[i], &row_type, v), FL_ERR_NONE);
    }
    assert_int_equal(V0_HEADER + buf.len, bn);
    assert_memory_equal(buf.p, batch + V0_HEADER, buf.len);
    uint32_t stored;
    memcpy(&stored, batch + 21, 4);
    uint8_t whole[256];
    memcpy(whole, batch, V0_HEADER);
    memcpy(whole + V0_HEADER, buf.p, buf.len);
    assert_int_equal(fl_crc32c(whole + 25, bn - 25), stored);

    /* iterate and decode */
    fl_logrecord_iter_t it;
    fl_logrecord_iter_init(&it, buf.p, buf.len, n);
    fl_logrecord_t rec;
    fl_arena_t *arena = fl_arena_new(0);
    for (int i = 0; i < n; i++) {
        assert_true(fl_logrecord_next(&it, &rec));
        assert_int_equal(rec.change_type, cts[i]);
        fl_datum_t *got;
        assert_int_equal(fl_row_decode(fmt, &row_type, rec.row.p, rec.row.len, arena, &got),
                         FL_ERR_NONE);
        assert_int_equal(got[0].v.i32, 1);
        assert_int_equal(got[1].v.bytes.len, strlen(strs[i]));
        assert_memory_equal(got[1].v.bytes.p, strs[i], strlen(strs[i]));
        /* the pre-encoded path writes the same record */
        fl_buf_t one;
        fl_buf_init(&one);
        fl_logrecord_write(&one, (fl_change_type_t)rec.change_type, rec.row.p, rec.row.len);
        assert_int_equal(one.len, 5 + rec.row.len);
        assert_memory_equal(one.p, rec.row.p - 5, one.len);
        fl_buf_free(&one);
    }
    assert_false(fl_logrecord_next(&it, &rec));
    assert_int_equal(it.rd.err, FL_ERR_NONE);
    assert_int_equal(fl_logrecord_validate(buf.p, buf.len, n), FL_ERR_NONE);
    fl_arena_destroy(arena);

    /* every truncation and a count one off are corrupt */
    for (size_t cut = 0; cut < buf.len; cut++) {
        uint8_t *copy = fl_malloc(cut ? cut : 1);
        memcpy(copy, buf.p, cut);
        assert_int_equal(fl_logrecord_validate(copy, cut, n), FL_ERR_CORRUPT_MESSAGE);
        fl_free(copy);
    }
    assert_int_equal(fl_logrecord_validate(buf.p, buf.len, n + 1), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(fl_logrecord_validate(buf.p, buf.len, n - 1), FL_ERR_CORRUPT_MESSAGE);
    fl_buf_free(&buf);
}

static void test_compacted_append_only(void **state) {
    (void)state;
    const fl_change_type_t cts[] = {FL_CHANGE_APPEND_ONLY};
    const char *const strs[] = {"a"};
    check_batch(COMPACTED_APPEND, FL_ROW_COMPACTED, cts, strs, 1);
}

static void test_compacted_changelog(void **state) {
    (void)state;
    const fl_change_type_t cts[] = {FL_CHANGE_UPDATE_BEFORE, FL_CHANGE_UPDATE_AFTER};
    const char *const strs[] = {"a", "b"};
    check_batch(COMPACTED_CHANGELOG, FL_ROW_COMPACTED, cts, strs, 2);
}

static void test_indexed_append_only(void **state) {
    (void)state;
    const fl_change_type_t cts[] = {FL_CHANGE_APPEND_ONLY};
    const char *const strs[] = {"a"};
    check_batch(INDEXED_APPEND, FL_ROW_INDEXED, cts, strs, 1);
}

static void test_malformed(void **state) {
    (void)state;
    uint8_t b[64];
    size_t n;
    /* change type 5 */
    n = unhex("05000000 05 00010161", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, 1), FL_ERR_CORRUPT_MESSAGE);
    n = unhex("05000000 04 00010161", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, 1), FL_ERR_NONE);
    /* Length zero, negative, past the end */
    n = unhex("00000000 00", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, 1), FL_ERR_CORRUPT_MESSAGE);
    n = unhex("fbffffff 00 00010161", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, 1), FL_ERR_CORRUPT_MESSAGE);
    n = unhex("06000000 00 00010161", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, 1), FL_ERR_CORRUPT_MESSAGE);
    /* record count negative, larger than the bytes could hold, zero with bytes */
    n = unhex("05000000 00 00010161", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, -1), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(fl_logrecord_validate(b, n, 0x7fffffff), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(fl_logrecord_validate(b, n, 0), FL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(fl_logrecord_validate(b, 0, 0), FL_ERR_NONE);
    /* a 1-byte record (change type only, empty row) frames fine */
    n = unhex("01000000 03", b, sizeof(b));
    assert_int_equal(fl_logrecord_validate(b, n, 1), FL_ERR_NONE);
    assert_string_equal(fl_change_type_str(FL_CHANGE_UPDATE_BEFORE), "-U");
    assert_string_equal(fl_change_type_str(9), "?");
    /* write_row leaves buf unchanged on an encode error */
    setup_type();
    fields[1].root = FL_T_CHAR;
    fields[1].length = 1;
    fl_datum_t v[2];
    row_val(v, 1, "too long");
    fl_buf_t buf;
    fl_buf_init(&buf);
    assert_int_equal(fl_logrecord_write_row(&buf, FL_ROW_INDEXED, FL_CHANGE_INSERT, &row_type, v),
                     FL_ERR__INVAL);
    assert_int_equal(buf.len, 0);
    fl_buf_free(&buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compacted_append_only),
        cmocka_unit_test(test_compacted_changelog),
        cmocka_unit_test(test_indexed_append_only),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests_name("protocol_logrecord", tests, NULL, NULL);
}
