/* test_lake_util.h: helpers shared by the Paimon and Iceberg writer tests (header-only; each
 * test file is its own executable): datum constructors, scratch directories, descriptors,
 * JSON and file checks. */
#ifndef TEST_LAKE_UTIL_H
#define TEST_LAKE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_tabledesc.h"
#include "fl_types.h"

static inline fl_datum_t d_null(void) {
    fl_datum_t d = {0};
    d.is_null = true;
    return d;
}
static inline fl_datum_t d_i32(int32_t v) {
    fl_datum_t d = {0};
    d.v.i32 = v;
    return d;
}
static inline fl_datum_t d_i64(int64_t v) {
    fl_datum_t d = {0};
    d.v.i64 = v;
    return d;
}
static inline fl_datum_t d_str(const char *s) {
    fl_datum_t d = {0};
    d.v.bytes.p = (const uint8_t *)s;
    d.v.bytes.len = (uint32_t)strlen(s);
    return d;
}
static inline fl_datum_t d_bytes(const void *p, uint32_t n) {
    fl_datum_t d = {0};
    d.v.bytes.p = p;
    d.v.bytes.len = n;
    return d;
}
static inline fl_datum_t d_f64(double v) {
    fl_datum_t d = {0};
    d.v.f64 = v;
    return d;
}
static inline fl_datum_t d_dec(int64_t v) {
    fl_datum_t d = {0};
    d.v.dec.unscaled = v;
    return d;
}
static inline fl_datum_t d_ts(int64_t ms, int32_t nanos) {
    fl_datum_t d = {0};
    d.v.ts.millis = ms;
    d.v.ts.nanos = nanos;
    return d;
}

static inline void rm_rf(const char *path) {
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "rm -rf %s failed\n", path);
}

static inline char *tmpdir(void) {
    char tmpl[] = "/tmp/fl_lake_XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static inline fl_table_desc_t *parse_desc(fl_arena_t *a, const char *json) {
    fl_table_desc_t *d = fl_arena_calloc(a, sizeof(*d));
    const char *why = NULL;
    fl_err_t err = fl_table_desc_parse(a, json, strlen(json), d, &why);
    if (err) fprintf(stderr, "desc: %s\n", why);
    assert_int_equal(err, FL_ERR_NONE);
    return d;
}

static inline json_t *load_json(const char *path) {
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) fprintf(stderr, "%s: %s\n", path, e.text);
    return j;
}

/* Files below dir whose name matches the find(1) pattern ("*": every regular file). */
static inline size_t count_files(const char *dir, const char *pattern) {
    char cmd[4300];
    snprintf(cmd, sizeof(cmd), "find '%s' -name '%s' 2>/dev/null | wc -l", dir, pattern);
    if (strcmp(pattern, "*") == 0) /* every regular file */
        snprintf(cmd, sizeof(cmd), "find '%s' -type f 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p) {
        if (fscanf(p, "%zu", &n) != 1) n = 0;
        pclose(p);
    }
    return n;
}

static inline void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}


/* Canonical row text (shared with check_paimon.py / check_iceberg.py and the Java dumps) */

static inline void fmt_str(fl_buf_t *o, const uint8_t *p, uint32_t n) {
    fl_buf_put_u8(o, '"');
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\') {
            fl_buf_put_u8(o, '\\');
            fl_buf_put_u8(o, p[i]);
        } else if (p[i] < 0x20) {
            char t[8];
            snprintf(t, sizeof(t), "\\u%04x", p[i]);
            fl_buf_put(o, t, 6);
        } else {
            fl_buf_put_u8(o, p[i]);
        }
    }
    fl_buf_put_u8(o, '"');
}

/* A value in the canonical row text the readers' checks print too; timestamps keep their nanos
 * rounded down to a multiple of ts_unit (1000 for Iceberg's micros, 1 for Paimon). */
static inline void fmt_value(fl_buf_t *o, const fl_type_t *t, const fl_datum_t *d, int32_t ts_unit) {
    char tmp[128];
    if (d->is_null) {
        fl_buf_put(o, "null", 4);
        return;
    }
    switch (t->root) {
    case FL_T_BOOLEAN: snprintf(tmp, sizeof(tmp), "%s", d->v.b ? "true" : "false"); break;
    case FL_T_TINYINT: snprintf(tmp, sizeof(tmp), "%d", d->v.i8); break;
    case FL_T_SMALLINT: snprintf(tmp, sizeof(tmp), "%d", d->v.i16); break;
    case FL_T_INTEGER: case FL_T_DATE: case FL_T_TIME: snprintf(tmp, sizeof(tmp), "%d", d->v.i32); break;
    case FL_T_BIGINT: snprintf(tmp, sizeof(tmp), "%" PRId64, d->v.i64); break;
    case FL_T_FLOAT: {
        uint32_t b;
        memcpy(&b, &d->v.f32, 4);
        snprintf(tmp, sizeof(tmp), "\"f32:%08x\"", b);
        break;
    }
    case FL_T_DOUBLE: {
        uint64_t b;
        memcpy(&b, &d->v.f64, 8);
        snprintf(tmp, sizeof(tmp), "\"f64:%016" PRIx64 "\"", b);
        break;
    }
    case FL_T_DECIMAL:
        if (fl_type_decimal_compact(t)) {
            snprintf(tmp, sizeof(tmp), "\"d:%" PRId64 "\"", d->v.dec.unscaled);
        } else {
            __int128 v = (d->v.dec.big_len && (d->v.dec.big[0] & 0x80)) ? -1 : 0;
            for (uint32_t i = 0; i < d->v.dec.big_len; i++) v = v * 256 + d->v.dec.big[i];
            char digits[64];
            int n = 0;
            bool neg = v < 0;
            unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
            do {
                digits[n++] = (char)('0' + (int)(u % 10));
                u /= 10;
            } while (u);
            int k = snprintf(tmp, sizeof(tmp), "\"d:%s", neg ? "-" : "");
            while (n) tmp[k++] = digits[--n];
            tmp[k++] = '"';
            tmp[k] = 0;
        }
        break;
    case FL_T_CHAR: case FL_T_STRING:
        fmt_str(o, d->v.bytes.p, d->v.bytes.len);
        return;
    case FL_T_BINARY: case FL_T_BYTES:
        fl_buf_put(o, "\"x:", 3);
        for (uint32_t i = 0; i < d->v.bytes.len; i++) {
            snprintf(tmp, sizeof(tmp), "%02x", d->v.bytes.p[i]);
            fl_buf_put(o, tmp, 2);
        }
        fl_buf_put_u8(o, '"');
        return;
    case FL_T_TIMESTAMP: case FL_T_TIMESTAMP_LTZ:
        snprintf(tmp, sizeof(tmp), "\"ts:%" PRId64 ":%d\"", d->v.ts.millis,
                 d->v.ts.nanos / ts_unit * ts_unit);
        break;
    case FL_T_ARRAY: case FL_T_ROW:
        fl_buf_put_u8(o, '[');
        for (uint32_t i = 0; i < d->v.list.n; i++) {
            if (i) fl_buf_put_u8(o, ',');
            fmt_value(o, t->root == FL_T_ROW ? &t->children[i] : &t->children[0], &d->v.list.items[i], ts_unit);
        }
        fl_buf_put_u8(o, ']');
        return;
    case FL_T_MAP:
        fl_buf_put_u8(o, '[');
        for (uint32_t i = 0; i < d->v.list.n; i++) {
            if (i) fl_buf_put_u8(o, ',');
            fl_buf_put_u8(o, '[');
            fmt_value(o, &t->children[0], &d->v.list.items[i], ts_unit);
            fl_buf_put_u8(o, ',');
            fmt_value(o, &t->children[1], &d->v.list.values[i], ts_unit);
            fl_buf_put_u8(o, ']');
        }
        fl_buf_put_u8(o, ']');
        return;
    default: snprintf(tmp, sizeof(tmp), "null"); break;
    }
    fl_buf_put(o, tmp, strlen(tmp));
}

#endif
