/* fl_rows.c: see fl_rows.h. */
#include "fl_rows.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fl_row.h"
#include "fl_tabledesc.h"

typedef __int128 fl_i128_t;

/* ---- JSON reader ------------------------------------------------------------------------- */

typedef struct fl_jp_s {
    fl_arena_t *a;
    const char *p;
    size_t len, off;
    const char *why;
} fl_jp_t;

static void fl_jp_ws(fl_jp_t *jp) {
    while (jp->off < jp->len && (jp->p[jp->off] == ' ' || jp->p[jp->off] == '\t' ||
                                 jp->p[jp->off] == '\n' || jp->p[jp->off] == '\r'))
        jp->off++;
}

static bool fl_jp_fail(fl_jp_t *jp, const char *what) {
    if (!jp->why) {
        if (jp->off >= jp->len)
            jp->why = fl_arena_sprintf(jp->a, "invalid JSON: %s at the end of the text", what);
        else
            jp->why = fl_arena_sprintf(jp->a, "invalid JSON: %s at character %zu", what, jp->off + 1);
    }
    return false;
}

static void fl_utf8_put(fl_buf_t *b, uint32_t c) {
    if (c < 0x80) {
        fl_buf_put_u8(b, (uint8_t)c);
    } else if (c < 0x800) {
        fl_buf_put_u8(b, (uint8_t)(0xC0 | (c >> 6)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        fl_buf_put_u8(b, (uint8_t)(0xE0 | (c >> 12)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | ((c >> 6) & 0x3F)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | (c & 0x3F)));
    } else {
        fl_buf_put_u8(b, (uint8_t)(0xF0 | (c >> 18)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | ((c >> 12) & 0x3F)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | ((c >> 6) & 0x3F)));
        fl_buf_put_u8(b, (uint8_t)(0x80 | (c & 0x3F)));
    }
}

static int fl_hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool fl_jp_hex4(fl_jp_t *jp, uint32_t *out) {
    if (jp->len - jp->off < 4) return fl_jp_fail(jp, "short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = fl_hexval((unsigned char)jp->p[jp->off + (size_t)i]);
        if (h < 0) return fl_jp_fail(jp, "bad \\u escape");
        v = v << 4 | (uint32_t)h;
    }
    jp->off += 4;
    *out = v;
    return true;
}

/* At the opening quote. */
static bool fl_jp_string(fl_jp_t *jp, const char **s, size_t *len) {
    jp->off++;
    fl_buf_t b;
    fl_buf_init(&b);
    bool ok = false;
    while (jp->off < jp->len) {
        unsigned char c = (unsigned char)jp->p[jp->off];
        if (c == '"') {
            jp->off++;
            ok = true;
            break;
        }
        if (c < 0x20) {
            fl_jp_fail(jp, "control character in a string");
            break;
        }
        if (c != '\\') {
            fl_buf_put_u8(&b, c);
            jp->off++;
            continue;
        }
        jp->off++;
        if (jp->off >= jp->len) break;
        char e = jp->p[jp->off++];
        uint32_t u;
        switch (e) {
        case '"': fl_buf_put_u8(&b, '"'); break;
        case '\\': fl_buf_put_u8(&b, '\\'); break;
        case '/': fl_buf_put_u8(&b, '/'); break;
        case 'b': fl_buf_put_u8(&b, '\b'); break;
        case 'f': fl_buf_put_u8(&b, '\f'); break;
        case 'n': fl_buf_put_u8(&b, '\n'); break;
        case 'r': fl_buf_put_u8(&b, '\r'); break;
        case 't': fl_buf_put_u8(&b, '\t'); break;
        case 'u':
            if (!fl_jp_hex4(jp, &u)) goto out;
            if (u >= 0xD800 && u < 0xDC00) {
                uint32_t lo;
                if (jp->len - jp->off < 2 || jp->p[jp->off] != '\\' || jp->p[jp->off + 1] != 'u') {
                    fl_jp_fail(jp, "lone surrogate in \\u escape");
                    goto out;
                }
                jp->off += 2;
                if (!fl_jp_hex4(jp, &lo)) goto out;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    fl_jp_fail(jp, "bad surrogate pair");
                    goto out;
                }
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if (u >= 0xDC00 && u < 0xE000) {
                fl_jp_fail(jp, "lone surrogate in \\u escape");
                goto out;
            }
            fl_utf8_put(&b, u);
            break;
        default:
            jp->off--;
            fl_jp_fail(jp, "unknown escape");
            goto out;
        }
    }
out:
    if (!ok) {
        fl_jp_fail(jp, "unterminated string");
        fl_buf_free(&b);
        return false;
    }
    *s = fl_arena_strndup(jp->a, b.len ? (const char *)b.p : "", b.len);
    *len = b.len;
    fl_buf_free(&b);
    return true;
}

static bool fl_jp_value(fl_jp_t *jp, fl_jval_t *v, int depth);

/* Grow an arena array of fl_jval_t (and keys) by doubling. */
typedef struct fl_jlist_s {
    fl_jval_t *items;
    const char **keys;
    size_t n, cap;
} fl_jlist_t;

static fl_jval_t *fl_jlist_add(fl_arena_t *a, fl_jlist_t *l, bool keys) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        fl_jval_t *it = fl_arena_alloc(a, cap * sizeof(*it));
        if (l->n) memcpy(it, l->items, l->n * sizeof(*it));
        l->items = it;
        if (keys) {
            const char **k = fl_arena_alloc(a, cap * sizeof(*k));
            if (l->n) memcpy(k, l->keys, l->n * sizeof(*k));
            l->keys = k;
        }
        l->cap = cap;
    }
    fl_jval_t *v = &l->items[l->n++];
    memset(v, 0, sizeof(*v));
    return v;
}

static bool fl_jp_lit(fl_jp_t *jp, const char *lit) {
    size_t n = strlen(lit);
    if (jp->len - jp->off < n || memcmp(jp->p + jp->off, lit, n)) return fl_jp_fail(jp, "unexpected text");
    jp->off += n;
    return true;
}

static bool fl_jp_value(fl_jp_t *jp, fl_jval_t *v, int depth) {
    memset(v, 0, sizeof(*v));
    fl_jp_ws(jp);
    if (jp->off >= jp->len) return fl_jp_fail(jp, "a value is missing");
    if (depth > FL_JSON_MAX_DEPTH) return fl_jp_fail(jp, "nesting too deep");
    char c = jp->p[jp->off];
    if (c == '"') {
        v->kind = FL_J_STR;
        return fl_jp_string(jp, &v->s, &v->len);
    }
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        v->kind = obj ? FL_J_OBJ : FL_J_ARR;
        jp->off++;
        fl_jlist_t l = {0};
        fl_jp_ws(jp);
        if (jp->off < jp->len && jp->p[jp->off] == close) {
            jp->off++;
            return true;
        }
        for (;;) {
            fl_jp_ws(jp);
            const char *key = NULL;
            size_t klen = 0;
            if (obj) {
                if (jp->off >= jp->len || jp->p[jp->off] != '"') return fl_jp_fail(jp, "expected a member name");
                if (!fl_jp_string(jp, &key, &klen)) return false;
                fl_jp_ws(jp);
                if (jp->off >= jp->len || jp->p[jp->off] != ':') return fl_jp_fail(jp, "expected ':'");
                jp->off++;
            }
            fl_jval_t *item = fl_jlist_add(jp->a, &l, obj);
            if (obj) l.keys[l.n - 1] = key;
            if (!fl_jp_value(jp, item, depth + 1)) return false;
            fl_jp_ws(jp);
            if (jp->off < jp->len && jp->p[jp->off] == ',') {
                jp->off++;
                continue;
            }
            if (jp->off < jp->len && jp->p[jp->off] == close) {
                jp->off++;
                break;
            }
            return fl_jp_fail(jp, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        v->items = l.items;
        v->keys = l.keys;
        v->n = l.n;
        return true;
    }
    if (c == 't') {
        v->kind = FL_J_BOOL;
        v->b = true;
        return fl_jp_lit(jp, "true");
    }
    if (c == 'f') {
        v->kind = FL_J_BOOL;
        return fl_jp_lit(jp, "false");
    }
    if (c == 'n') {
        v->kind = FL_J_NULL;
        return fl_jp_lit(jp, "null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = jp->off;
        if (jp->p[jp->off] == '-') jp->off++;
        size_t d0 = jp->off;
        while (jp->off < jp->len && isdigit((unsigned char)jp->p[jp->off])) jp->off++;
        if (jp->off == d0 || (jp->p[d0] == '0' && jp->off - d0 > 1)) return fl_jp_fail(jp, "bad number");
        if (jp->off < jp->len && jp->p[jp->off] == '.') {
            jp->off++;
            size_t f0 = jp->off;
            while (jp->off < jp->len && isdigit((unsigned char)jp->p[jp->off])) jp->off++;
            if (jp->off == f0) return fl_jp_fail(jp, "bad number");
        }
        if (jp->off < jp->len && (jp->p[jp->off] == 'e' || jp->p[jp->off] == 'E')) {
            jp->off++;
            if (jp->off < jp->len && (jp->p[jp->off] == '+' || jp->p[jp->off] == '-')) jp->off++;
            size_t e0 = jp->off;
            while (jp->off < jp->len && isdigit((unsigned char)jp->p[jp->off])) jp->off++;
            if (jp->off == e0) return fl_jp_fail(jp, "bad number");
        }
        v->kind = FL_J_NUM;
        v->len = jp->off - start;
        v->s = fl_arena_strndup(jp->a, jp->p + start, v->len);
        return true;
    }
    return fl_jp_fail(jp, "unexpected character");
}

fl_err_t fl_json_parse(fl_arena_t *a, const char *p, size_t len, fl_jval_t **out, const char **why) {
    fl_jp_t jp = {a, p, len, 0, NULL};
    fl_jval_t *v = fl_arena_alloc(a, sizeof(*v));
    if (!fl_jp_value(&jp, v, 0)) {
        *why = jp.why;
        return FL_ERR__INVAL;
    }
    fl_jp_ws(&jp);
    if (jp.off != jp.len) {
        fl_jp_fail(&jp, "text after the value");
        *why = jp.why;
        return FL_ERR__INVAL;
    }
    *out = v;
    return FL_ERR_NONE;
}

/* ---- small helpers --------------------------------------------------------------------------- */

static const char *fl_type_name(fl_arena_t *a, const fl_type_t *t) {
    fl_type_t c = *t;
    c.nullable = true;
    char buf[512];
    fl_type_format(&c, buf, sizeof(buf));
    return fl_arena_strndup(a, buf, strlen(buf));
}

/* A quoted excerpt of the input for messages (at most 40 bytes). */
static const char *fl_quote(fl_arena_t *a, const char *s, size_t len) {
    if (len > 40) return fl_arena_sprintf(a, "'%.*s...'", 37, s);
    return fl_arena_sprintf(a, "'%.*s'", (int)len, s);
}

static bool fl_bad(fl_arena_t *a, const char **why, const char *fmt, ...) FL_PRINTF(3, 4);
static bool fl_bad(fl_arena_t *a, const char **why, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    *why = fl_arena_strndup(a, buf, strlen(buf));
    return false;
}

/* Trim ASCII white space. */
static void fl_trim(const char **s, size_t *len) {
    while (*len && isspace((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1])) (*len)--;
}

/* Strict decimal integer (optional sign, digits). */
static bool fl_parse_i64(const char *s, size_t len, int64_t *out) {
    if (!len || len > 24) return false;
    char buf[32];
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t i = (buf[0] == '-' || buf[0] == '+') ? 1 : 0;
    if (i == len) return false;
    for (size_t k = i; k < len; k++)
        if (!isdigit((unsigned char)buf[k])) return false;
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool fl_utf8_valid(const uint8_t *p, size_t len, size_t *chars) {
    size_t n = 0;
    for (size_t i = 0; i < len; n++) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= len || (p[i + j] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
            return false;
        i += k + 1;
    }
    if (chars) *chars = n;
    return true;
}

/* ---- base64 / hex ---------------------------------------------------------------------------- */

static const char fl_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int fl_b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static bool fl_b64_decode(fl_arena_t *a, const char *s, size_t len, uint8_t **out, size_t *olen) {
    while (len && s[len - 1] == '=') len--;
    if (len % 4 == 1) return false;
    uint8_t *o = fl_arena_alloc(a, len * 3 / 4 + 1);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = fl_b64val((unsigned char)s[i]);
        if (v < 0) return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits && (acc & ((1u << bits) - 1))) return false; /* non-canonical trailing bits */
    *out = o;
    *olen = n;
    return true;
}

static void fl_b64_encode(fl_buf_t *b, const uint8_t *p, size_t len) {
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {fl_b64[v >> 18], fl_b64[(v >> 12) & 63], fl_b64[(v >> 6) & 63], fl_b64[v & 63]};
        fl_buf_put(b, q, 4);
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char q[4] = {fl_b64[v >> 18], fl_b64[(v >> 12) & 63], '=', '='};
        fl_buf_put(b, q, 4);
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char q[4] = {fl_b64[v >> 18], fl_b64[(v >> 12) & 63], fl_b64[(v >> 6) & 63], '='};
        fl_buf_put(b, q, 4);
    }
}

static void fl_hex_encode(fl_buf_t *b, const uint8_t *p, size_t len) {
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        fl_buf_put_u8(b, (uint8_t)hx[p[i] >> 4]);
        fl_buf_put_u8(b, (uint8_t)hx[p[i] & 15]);
    }
}

static bool fl_hex_decode(fl_arena_t *a, const char *s, size_t len, uint8_t **out, size_t *olen) {
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len % 2) return false;
    uint8_t *o = fl_arena_alloc(a, len / 2 + 1);
    for (size_t i = 0; i < len; i += 2) {
        int h = fl_hexval((unsigned char)s[i]), l = fl_hexval((unsigned char)s[i + 1]);
        if (h < 0 || l < 0) return false;
        o[i / 2] = (uint8_t)(h << 4 | l);
    }
    *out = o;
    *olen = len / 2;
    return true;
}

/* ---- calendar ---------------------------------------------------------------------------- */

static int64_t fl_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void fl_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int fl_month_days(int64_t y, int m) {
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : md[m - 1];
}

static int64_t fl_floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Parser over a NUL-terminated copy. */
typedef struct fl_tp_s {
    const char *s;
    size_t i;
} fl_tp_t;

static bool fl_tp_digits(fl_tp_t *tp, int n, int64_t *out) {
    int64_t v = 0;
    for (int k = 0; k < n; k++) {
        char c = tp->s[tp->i];
        if (!isdigit((unsigned char)c)) return false;
        v = v * 10 + (c - '0');
        tp->i++;
    }
    *out = v;
    return true;
}

/* yyyy-mm-dd (year: optional sign, 4+ digits) -> days. */
static bool fl_tp_date(fl_tp_t *tp, int64_t *days) {
    int sign = 1;
    if (tp->s[tp->i] == '-' || tp->s[tp->i] == '+') sign = tp->s[tp->i++] == '-' ? -1 : 1;
    size_t y0 = tp->i;
    int64_t y = 0;
    while (isdigit((unsigned char)tp->s[tp->i]) && tp->i - y0 < 9) y = y * 10 + (tp->s[tp->i++] - '0');
    if (tp->i - y0 < 4) return false;
    y *= sign;
    int64_t m, d;
    if (tp->s[tp->i++] != '-' || !fl_tp_digits(tp, 2, &m) || tp->s[tp->i++] != '-' ||
        !fl_tp_digits(tp, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > fl_month_days(y, (int)m)) return false;
    *days = fl_days_from_civil(y, (int)m, (int)d);
    return true;
}

/* HH:MM[:SS[.fraction]] -> nanos of day; *frac_digits = digits of the fraction. */
static bool fl_tp_time(fl_tp_t *tp, int64_t *nanos, int *frac_digits) {
    int64_t h, mi, sec = 0, frac = 0;
    int nd = 0;
    if (!fl_tp_digits(tp, 2, &h) || tp->s[tp->i++] != ':' || !fl_tp_digits(tp, 2, &mi)) return false;
    if (tp->s[tp->i] == ':') {
        tp->i++;
        if (!fl_tp_digits(tp, 2, &sec)) return false;
        if (tp->s[tp->i] == '.') {
            tp->i++;
            while (isdigit((unsigned char)tp->s[tp->i])) {
                if (nd == 9) return false;
                frac = frac * 10 + (tp->s[tp->i++] - '0');
                nd++;
            }
            if (!nd) return false;
        }
    }
    if (h > 23 || mi > 59 || sec > 59) return false;
    for (int k = nd; k < 9; k++) frac *= 10;
    *nanos = ((h * 60 + mi) * 60 + sec) * 1000000000LL + frac;
    *frac_digits = nd;
    return true;
}

/* Z | +HH[:MM] | -HH[:MM] | +HHMM -> offset seconds. */
static bool fl_tp_zone(fl_tp_t *tp, int64_t *off_s, bool *has) {
    *has = false;
    *off_s = 0;
    char c = tp->s[tp->i];
    if (c == 'Z' || c == 'z') {
        tp->i++;
        *has = true;
        return true;
    }
    if (c != '+' && c != '-') return true;
    tp->i++;
    int64_t h, m = 0;
    if (!fl_tp_digits(tp, 2, &h)) return false;
    if (tp->s[tp->i] == ':') tp->i++;
    if (isdigit((unsigned char)tp->s[tp->i]) && !fl_tp_digits(tp, 2, &m)) return false;
    if (h > 18 || m > 59) return false;
    *off_s = (c == '-' ? -1 : 1) * (h * 3600 + m * 60);
    *has = true;
    return true;
}

/* A date-time: date [(T|' ') time] [zone]. Seconds since the epoch and nanos of the second. */
static bool fl_parse_datetime(const char *s, int64_t *secs, int64_t *nanos, int *frac_digits,
                              bool *has_zone) {
    fl_tp_t tp = {s, 0};
    int64_t days, nod = 0;
    *frac_digits = 0;
    if (!fl_tp_date(&tp, &days)) return false;
    if (tp.s[tp.i] == 'T' || tp.s[tp.i] == 't' || tp.s[tp.i] == ' ') {
        tp.i++;
        if (!fl_tp_time(&tp, &nod, frac_digits)) return false;
    }
    int64_t off = 0;
    if (!fl_tp_zone(&tp, &off, has_zone) || tp.s[tp.i]) return false;
    *secs = days * 86400 + nod / 1000000000LL - off;
    *nanos = nod % 1000000000LL;
    return true;
}

bool fl_rows_parse_instant(const char *s, int64_t *ms) {
    int64_t secs, nanos;
    int fd;
    bool zone;
    if (!fl_parse_datetime(s, &secs, &nanos, &fd, &zone) || nanos % 1000000) return false;
    *ms = secs * 1000 + nanos / 1000000;
    return true;
}

static int64_t fl_pow10(int n) {
    int64_t v = 1;
    while (n-- > 0) v *= 10;
    return v;
}

/* ---- decimal ----------------------------------------------------------------------------- */

static bool fl_parse_decimal(const char *s, size_t len, int precision, int scale, fl_i128_t *out,
                             const char **reason) {
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    /* digits: integer part then fraction, as one digit string with a decimal exponent */
    char digits[128];
    size_t nd = 0;
    int64_t exp10 = 0;
    bool any = false, dot = false;
    for (; i < len; i++) {
        char c = s[i];
        if (isdigit((unsigned char)c)) {
            any = true;
            if (nd == 0 && c == '0') {
                if (dot) exp10--;
                continue; /* leading zeros */
            }
            if (nd >= sizeof(digits)) {
                *reason = "has too many digits";
                return false;
            }
            digits[nd++] = c;
            if (dot) exp10--;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (!any) return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int64_t e;
        if (!fl_parse_i64(s + i + 1, len - i - 1, &e) || e > 1000 || e < -1000) return false;
        exp10 += e;
        i = len;
    }
    if (i != len) return false;
    /* value = digits * 10^exp10; unscaled = digits * 10^(exp10 + scale) */
    int64_t shift = exp10 + scale;
    while (shift < 0 && nd > 0 && digits[nd - 1] == '0') {
        nd--;
        shift++;
    }
    if (nd == 0) {
        *out = 0;
        return true;
    }
    if (shift < 0) {
        *reason = "has more fractional digits than the scale allows (values are not rounded)";
        return false;
    }
    if ((int64_t)nd + shift > precision) {
        *reason = "has more digits than the precision allows";
        return false;
    }
    fl_i128_t v = 0;
    for (size_t k = 0; k < nd; k++) v = v * 10 + (digits[k] - '0');
    for (int64_t k = 0; k < shift; k++) v *= 10;
    *out = neg ? -v : v;
    return true;
}

/* Minimal big-endian two's complement of v (as BigInteger.toByteArray). */
static size_t fl_i128_bytes(fl_i128_t v, uint8_t out[16]) {
    uint8_t full[16];
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--) {
        full[i] = (uint8_t)u;
        u >>= 8;
    }
    size_t start = 0;
    while (start < 15 && ((full[start] == 0x00 && !(full[start + 1] & 0x80)) ||
                          (full[start] == 0xFF && (full[start + 1] & 0x80))))
        start++;
    memcpy(out, full + start, 16 - start);
    return 16 - start;
}

static fl_i128_t fl_decimal_value(const fl_type_t *t, const fl_decimal_t *d) {
    if (fl_type_decimal_compact(t)) return d->unscaled;
    if (!d->big_len) return 0;
    fl_i128_t v = (d->big[0] & 0x80) ? -1 : 0;
    for (uint32_t i = 0; i < d->big_len && i < 16; i++) v = (fl_i128_t)((unsigned __int128)v << 8 | d->big[i]);
    return v;
}

static void fl_decimal_text(fl_buf_t *b, fl_i128_t v, int scale) {
    char digits[64];
    size_t n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while ((int)n <= scale) digits[n++] = '0';
    if (neg) fl_buf_put_u8(b, '-');
    for (size_t i = n; i-- > 0;) {
        fl_buf_put_u8(b, (uint8_t)digits[i]);
        if (scale > 0 && (int)i == scale) fl_buf_put_u8(b, '.');
    }
}

/* ---- text -> datum ------------------------------------------------------------------------- */

static bool fl_from_nested_json(fl_arena_t *a, const fl_type_t *t, const char *s, size_t len,
                                const fl_rowopts_t *o, fl_datum_t *out, const char **why) {
    fl_jval_t *v;
    if (fl_json_parse(a, s, len, &v, why)) return false;
    if (v->kind == FL_J_NULL) return fl_bad(a, why, "a %s value must not be null here", fl_type_name(a, t));
    return fl_rows_from_json(a, t, v, o, out, why) == FL_ERR_NONE;
}

static bool fl_from_text(fl_arena_t *a, const fl_type_t *t, const char *s0, size_t len0,
                         const fl_rowopts_t *o, fl_datum_t *out, const char **why) {
    memset(out, 0, sizeof(*out));
    const char *s = s0;
    size_t len = len0;
    const char *q = fl_quote(a, s0, len0);
    if (t->root != FL_T_CHAR && t->root != FL_T_STRING) fl_trim(&s, &len);
    char *z = fl_arena_strndup(a, s, len); /* NUL-terminated copy */
    int64_t i64;
    switch (t->root) {
    case FL_T_BOOLEAN:
        if (len == 4 && !strncasecmp(s, "true", 4)) out->v.b = true;
        else if (len == 5 && !strncasecmp(s, "false", 5)) out->v.b = false;
        else return fl_bad(a, why, "%s is not a BOOLEAN (true or false)", q);
        return true;
    case FL_T_TINYINT:
    case FL_T_SMALLINT:
    case FL_T_INTEGER:
    case FL_T_BIGINT: {
        static const int64_t lo[] = {INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN};
        static const int64_t hi[] = {INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};
        int k = t->root - FL_T_TINYINT;
        if (!fl_parse_i64(s, len, &i64)) return fl_bad(a, why, "%s is not an integer", q);
        if (i64 < lo[k] || i64 > hi[k])
            return fl_bad(a, why, "%s is out of range for %s [%" PRId64 ", %" PRId64 "]", q,
                          fl_type_name(a, t), lo[k], hi[k]);
        if (k == 0) out->v.i8 = (int8_t)i64;
        else if (k == 1) out->v.i16 = (int16_t)i64;
        else if (k == 2) out->v.i32 = (int32_t)i64;
        else out->v.i64 = i64;
        return true;
    }
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
        double d;
        if (!strcasecmp(z, "nan")) d = NAN;
        else if (!strcasecmp(z, "infinity") || !strcasecmp(z, "inf") || !strcasecmp(z, "+infinity"))
            d = INFINITY;
        else if (!strcasecmp(z, "-infinity") || !strcasecmp(z, "-inf")) d = -INFINITY;
        else {
            char *end;
            errno = 0;
            bool ok = len > 0 && (isdigit((unsigned char)z[0]) || z[0] == '-' || z[0] == '+' || z[0] == '.');
            for (size_t k = 0; ok && k < len; k++)
                ok = isdigit((unsigned char)z[k]) || strchr("+-.eE", z[k]);
            if (!ok) return fl_bad(a, why, "%s is not a number", q);
            if (t->root == FL_T_FLOAT) d = strtof(z, &end);
            else d = strtod(z, &end);
            if (*end) return fl_bad(a, why, "%s is not a number", q);
            if (isinf(d)) return fl_bad(a, why, "%s is out of range for %s", q, fl_type_name(a, t));
        }
        if (t->root == FL_T_FLOAT) out->v.f32 = (float)d;
        else out->v.f64 = d;
        return true;
    }
    case FL_T_DECIMAL: {
        fl_i128_t v;
        const char *reason = NULL;
        if (!fl_parse_decimal(s, len, t->precision, t->scale, &v, &reason))
            return fl_bad(a, why, "%s %s", q, reason ? fl_arena_sprintf(a, "%s for %s", reason, fl_type_name(a, t))
                                                      : fl_arena_sprintf(a, "is not a %s", fl_type_name(a, t)));
        if (fl_type_decimal_compact(t)) {
            out->v.dec.unscaled = (int64_t)v;
        } else {
            uint8_t *bytes = fl_arena_alloc(a, 16);
            out->v.dec.big_len = (uint32_t)fl_i128_bytes(v, bytes);
            out->v.dec.big = bytes;
        }
        return true;
    }
    case FL_T_CHAR:
    case FL_T_STRING: {
        size_t chars;
        if (!fl_utf8_valid((const uint8_t *)s, len, &chars))
            return fl_bad(a, why, "the text is not valid UTF-8");
        if (t->root == FL_T_CHAR && (int64_t)chars > t->length)
            return fl_bad(a, why, "%s has %zu characters; %s holds at most %d", q, chars,
                          fl_type_name(a, t), t->length);
        out->v.bytes.p = (const uint8_t *)fl_arena_strndup(a, s, len);
        out->v.bytes.len = (uint32_t)len;
        return true;
    }
    case FL_T_BINARY:
    case FL_T_BYTES: {
        uint8_t *p;
        size_t n;
        bool ok = o->hex_binary ? fl_hex_decode(a, s, len, &p, &n) : fl_b64_decode(a, s, len, &p, &n);
        if (!ok) return fl_bad(a, why, "%s is not %s", q, o->hex_binary ? "hex" : "base64");
        if (t->root == FL_T_BINARY && (int64_t)n != t->length)
            return fl_bad(a, why, "%s decodes to %zu bytes; %s takes exactly %d", q, n,
                          fl_type_name(a, t), t->length);
        out->v.bytes.p = p;
        out->v.bytes.len = (uint32_t)n;
        return true;
    }
    case FL_T_DATE: {
        fl_tp_t tp = {z, 0};
        int64_t days;
        if (fl_parse_i64(s, len, &i64)) days = i64;
        else if (!fl_tp_date(&tp, &days) || z[tp.i])
            return fl_bad(a, why, "%s is not a DATE (yyyy-mm-dd)", q);
        if (days < INT32_MIN || days > INT32_MAX) return fl_bad(a, why, "%s is out of range for DATE", q);
        out->v.i32 = (int32_t)days;
        return true;
    }
    case FL_T_TIME: {
        int64_t ms;
        if (fl_parse_i64(s, len, &i64)) {
            ms = i64;
        } else {
            fl_tp_t tp = {z, 0};
            int64_t nanos;
            int fd;
            if (!fl_tp_time(&tp, &nanos, &fd) || z[tp.i])
                return fl_bad(a, why, "%s is not a TIME (HH:MM:SS[.fff])", q);
            if (nanos % fl_pow10(9 - FL_MIN(t->precision, 3)))
                return fl_bad(a, why, "%s has more fractional digits than %s holds", q, fl_type_name(a, t));
            ms = nanos / 1000000;
        }
        if (ms < 0 || ms >= 86400000) return fl_bad(a, why, "%s is not a time of day", q);
        out->v.i32 = (int32_t)ms;
        return true;
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: {
        if (fl_parse_i64(s, len, &i64)) {
            out->v.ts.millis = i64;
            out->v.ts.nanos = 0;
            return true;
        }
        int64_t secs, nanos;
        int fd;
        bool zone;
        const char *form = t->root == FL_T_TIMESTAMP ? "yyyy-mm-ddTHH:MM:SS[.f]"
                                                     : "yyyy-mm-ddTHH:MM:SS[.f][Z|+HH:MM]";
        if (!fl_parse_datetime(z, &secs, &nanos, &fd, &zone))
            return fl_bad(a, why, "%s is not a %s (%s or epoch milliseconds)", q,
                          fl_type_name(a, t), form);
        if (zone && t->root == FL_T_TIMESTAMP)
            return fl_bad(a, why, "%s has a time zone; %s has none (use TIMESTAMP_LTZ)", q,
                          fl_type_name(a, t));
        if (nanos % fl_pow10(9 - t->precision))
            return fl_bad(a, why, "%s has more fractional digits than %s holds", q, fl_type_name(a, t));
        out->v.ts.millis = secs * 1000 + nanos / 1000000;
        out->v.ts.nanos = (int32_t)(nanos % 1000000);
        return true;
    }
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW:
        return fl_from_nested_json(a, t, s, len, o, out, why);
    default:
        return fl_bad(a, why, "unsupported type %s", fl_type_name(a, t));
    }
}

fl_err_t fl_rows_from_text(fl_arena_t *a, const fl_type_t *t, const char *s, size_t len,
                           const fl_rowopts_t *o, fl_datum_t *out, const char **why) {
    return fl_from_text(a, t, s, len, o, out, why) ? FL_ERR_NONE : FL_ERR__INVAL;
}

static const char *fl_jkind_name(fl_jkind_t k) {
    static const char *n[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return n[k];
}

static bool fl_from_json(fl_arena_t *a, const fl_type_t *t, const fl_jval_t *v,
                         const fl_rowopts_t *o, fl_datum_t *out, const char **why, int depth) {
    memset(out, 0, sizeof(*out));
    if (depth > FL_ROW_MAX_DEPTH) return fl_bad(a, why, "nesting too deep");
    if (v->kind == FL_J_NULL) {
        if (!t->nullable) return fl_bad(a, why, "null is not allowed (%s NOT NULL)", fl_type_name(a, t));
        out->is_null = true;
        return true;
    }
    switch (t->root) {
    case FL_T_BOOLEAN:
        if (v->kind == FL_J_BOOL) {
            out->v.b = v->b;
            return true;
        }
        if (v->kind == FL_J_STR) return fl_from_text(a, t, v->s, v->len, o, out, why);
        return fl_bad(a, why, "expected true or false, got %s", fl_jkind_name(v->kind));
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BINARY:
    case FL_T_BYTES:
        if (v->kind != FL_J_STR)
            return fl_bad(a, why, "expected a string for %s, got %s", fl_type_name(a, t),
                          fl_jkind_name(v->kind));
        return fl_from_text(a, t, v->s, v->len, o, out, why);
    case FL_T_ARRAY: {
        if (v->kind != FL_J_ARR)
            return fl_bad(a, why, "expected an array for %s, got %s", fl_type_name(a, t), fl_jkind_name(v->kind));
        fl_datum_t *items = fl_arena_alloc(a, (v->n + 1) * sizeof(*items));
        for (size_t i = 0; i < v->n; i++) {
            const char *w;
            if (!fl_from_json(a, &t->children[0], &v->items[i], o, &items[i], &w, depth + 1))
                return fl_bad(a, why, "element %zu: %s", i, w);
        }
        out->v.list.items = items;
        out->v.list.n = (uint32_t)v->n;
        return true;
    }
    case FL_T_MAP: {
        size_t n = v->n;
        fl_datum_t *keys = fl_arena_alloc(a, (n + 1) * sizeof(*keys));
        fl_datum_t *vals = fl_arena_alloc(a, (n + 1) * sizeof(*vals));
        const fl_type_t *kt = &t->children[0], *vt = &t->children[1];
        for (size_t i = 0; i < n; i++) {
            const char *w;
            if (v->kind == FL_J_OBJ) {
                if (!fl_from_text(a, kt, v->keys[i], strlen(v->keys[i]), o, &keys[i], &w))
                    return fl_bad(a, why, "key %s: %s", fl_quote(a, v->keys[i], strlen(v->keys[i])), w);
                if (!fl_from_json(a, vt, &v->items[i], o, &vals[i], &w, depth + 1))
                    return fl_bad(a, why, "value of key %s: %s", fl_quote(a, v->keys[i], strlen(v->keys[i])), w);
            } else if (v->kind == FL_J_ARR) {
                const fl_jval_t *pair = &v->items[i];
                if (pair->kind != FL_J_ARR || pair->n != 2)
                    return fl_bad(a, why, "entry %zu: expected a [key, value] pair", i);
                if (!fl_from_json(a, kt, &pair->items[0], o, &keys[i], &w, depth + 1))
                    return fl_bad(a, why, "entry %zu key: %s", i, w);
                if (!fl_from_json(a, vt, &pair->items[1], o, &vals[i], &w, depth + 1))
                    return fl_bad(a, why, "entry %zu value: %s", i, w);
            } else {
                return fl_bad(a, why, "expected an object or [[key, value], ...] for %s, got %s",
                              fl_type_name(a, t), fl_jkind_name(v->kind));
            }
        }
        out->v.list.items = keys;
        out->v.list.values = vals;
        out->v.list.n = (uint32_t)n;
        return true;
    }
    case FL_T_ROW: {
        size_t nf = t->n_children;
        fl_datum_t *f = fl_arena_calloc(a, (nf + 1) * sizeof(*f));
        if (v->kind == FL_J_ARR) {
            if (v->n != nf)
                return fl_bad(a, why, "expected %zu fields for %s, got %zu", nf, fl_type_name(a, t), v->n);
            for (size_t i = 0; i < nf; i++) {
                const char *w;
                if (!fl_from_json(a, &t->children[i], &v->items[i], o, &f[i], &w, depth + 1))
                    return fl_bad(a, why, "field %s: %s", t->field_names[i], w);
            }
        } else if (v->kind == FL_J_OBJ) {
            bool *seen = fl_arena_calloc(a, nf + 1);
            for (size_t k = 0; k < v->n; k++) {
                size_t i = 0;
                while (i < nf && strcmp(t->field_names[i], v->keys[k])) i++;
                if (i == nf) return fl_bad(a, why, "%s has no field '%s'", fl_type_name(a, t), v->keys[k]);
                if (seen[i]) return fl_bad(a, why, "field '%s' is given twice", v->keys[k]);
                seen[i] = true;
                const char *w;
                if (!fl_from_json(a, &t->children[i], &v->items[k], o, &f[i], &w, depth + 1))
                    return fl_bad(a, why, "field %s: %s", t->field_names[i], w);
            }
            for (size_t i = 0; i < nf; i++) {
                if (seen[i]) continue;
                if (!t->children[i].nullable)
                    return fl_bad(a, why, "field %s is missing and NOT NULL", t->field_names[i]);
                f[i].is_null = true;
            }
        } else {
            return fl_bad(a, why, "expected an object or an array for %s, got %s", fl_type_name(a, t),
                          fl_jkind_name(v->kind));
        }
        out->v.list.items = f;
        out->v.list.n = (uint32_t)nf;
        return true;
    }
    default:
        if (v->kind == FL_J_NUM || v->kind == FL_J_STR) return fl_from_text(a, t, v->s, v->len, o, out, why);
        return fl_bad(a, why, "expected a %s value, got %s", fl_type_name(a, t), fl_jkind_name(v->kind));
    }
}

fl_err_t fl_rows_from_json(fl_arena_t *a, const fl_type_t *t, const fl_jval_t *v,
                           const fl_rowopts_t *o, fl_datum_t *out, const char **why) {
    return fl_from_json(a, t, v, o, out, why, 0) ? FL_ERR_NONE : FL_ERR__INVAL;
}

/* ---- datum -> text --------------------------------------------------------------------------- */

void fl_rows_json_str(fl_buf_t *b, const char *s, size_t len) {
    static const char hx[] = "0123456789abcdef";
    fl_buf_put_u8(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fl_buf_put(b, "\\\"", 2); break;
        case '\\': fl_buf_put(b, "\\\\", 2); break;
        case '\n': fl_buf_put(b, "\\n", 2); break;
        case '\r': fl_buf_put(b, "\\r", 2); break;
        case '\t': fl_buf_put(b, "\\t", 2); break;
        case '\b': fl_buf_put(b, "\\b", 2); break;
        case '\f': fl_buf_put(b, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15]};
                fl_buf_put(b, e, 6);
            } else {
                fl_buf_put_u8(b, c);
            }
        }
    }
    fl_buf_put_u8(b, '"');
}

void fl_rows_csv_cell(fl_buf_t *b, const char *s, size_t len) {
    bool quote = len == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]);
    for (size_t i = 0; i < len && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        fl_buf_put(b, s, len);
        return;
    }
    fl_buf_put_u8(b, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') fl_buf_put_u8(b, '"');
        fl_buf_put_u8(b, (uint8_t)s[i]);
    }
    fl_buf_put_u8(b, '"');
}

static void fl_putf(fl_buf_t *b, const char *fmt, ...) FL_PRINTF(2, 3);
static void fl_putf(fl_buf_t *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    fl_buf_put(b, tmp, (size_t)FL_MIN(n, (int)sizeof(tmp) - 1));
}

/* The shortest decimal that reads back to the same value, laid out as Java's Double.toString /
 * Float.toString: plain with at least one fractional digit when 1e-3 <= |v| < 1e7 ("100.0",
 * "0.001"), else d.dddE[-]n ("1.0E20"); NaN, Infinity, -Infinity. */
static void fl_float_text(fl_buf_t *b, double d, bool single) {
    char tmp[64];
    if (isnan(d)) {
        fl_buf_put(b, "NaN", 3);
        return;
    }
    if (isinf(d)) {
        if (d < 0) fl_buf_put(b, "-Infinity", 9);
        else fl_buf_put(b, "Infinity", 8);
        return;
    }
    if (d == 0) {
        if (signbit(d)) fl_buf_put(b, "-0.0", 4);
        else fl_buf_put(b, "0.0", 3);
        return;
    }
    int p = 1;
    for (; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
        if (single ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d) break;
    }
    /* tmp = [-]d.ddde[+-]XX with p significant digits */
    const char *e = strchr(tmp, 'e');
    int exp10 = atoi(e + 1);
    if (exp10 >= -3 && exp10 < 7) {
        int frac = FL_MAX(1, p - 1 - exp10);
        snprintf(tmp, sizeof(tmp), "%.*f", frac, d);
        fl_buf_put(b, tmp, strlen(tmp));
        return;
    }
    char mant[32];
    size_t ml = (size_t)(e - tmp);
    memcpy(mant, tmp, ml);
    mant[ml] = '\0';
    if (!strchr(mant, '.')) {
        mant[ml++] = '.';
        mant[ml++] = '0';
        mant[ml] = '\0';
    }
    fl_putf(b, "%sE%d", mant, exp10);
}

static void fl_year_text(fl_buf_t *b, int64_t y) {
    if (y > 9999) fl_putf(b, "+%" PRId64, y);
    else if (y < 0) fl_putf(b, "-%04" PRId64, -y);
    else fl_putf(b, "%04" PRId64, y);
}

static void fl_date_text(fl_buf_t *b, int64_t days) {
    int64_t y;
    int m, d;
    fl_civil_from_days(days, &y, &m, &d);
    fl_year_text(b, y);
    fl_putf(b, "-%02d-%02d", m, d);
}

/* HH:MM:SS and p fractional digits of nanos_of_second. */
static void fl_clock_text(fl_buf_t *b, int64_t sec_of_day, int64_t nanos, int p) {
    fl_putf(b, "%02d:%02d:%02d", (int)(sec_of_day / 3600), (int)(sec_of_day / 60 % 60), (int)(sec_of_day % 60));
    if (p > 0) {
        char frac[16];
        snprintf(frac, sizeof(frac), "%09" PRId64, nanos);
        fl_buf_put_u8(b, '.');
        fl_buf_put(b, frac, (size_t)FL_MIN(p, 9));
    }
}

static void fl_ts_text(fl_buf_t *b, const fl_timestamp_t *ts, int p, bool ltz) {
    int64_t secs = fl_floordiv(ts->millis, 1000);
    int64_t ms = ts->millis - secs * 1000;
    int64_t days = fl_floordiv(secs, 86400);
    fl_date_text(b, days);
    fl_buf_put_u8(b, 'T');
    fl_clock_text(b, secs - days * 86400, ms * 1000000 + ts->nanos, p);
    if (ltz) fl_buf_put_u8(b, 'Z');
}

void fl_rows_fmt_millis(int64_t ms, char *buf, size_t len) {
    fl_buf_t b;
    fl_buf_init(&b);
    fl_timestamp_t ts = {ms, 0};
    fl_ts_text(&b, &ts, 3, true);
    snprintf(buf, len, "%.*s", (int)b.len, (const char *)b.p);
    fl_buf_free(&b);
}

static void fl_value(fl_buf_t *b, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o,
                     bool json);

static bool fl_string_keys(const fl_type_t *t) {
    return t->root == FL_T_CHAR || t->root == FL_T_STRING;
}

static void fl_nested_json(fl_buf_t *b, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o) {
    const fl_datum_list_t *l = &d->v.list;
    if (t->root == FL_T_ARRAY) {
        fl_buf_put_u8(b, '[');
        for (uint32_t i = 0; i < l->n; i++) {
            if (i) fl_buf_put_u8(b, ',');
            fl_rows_json(b, &t->children[0], &l->items[i], o);
        }
        fl_buf_put_u8(b, ']');
    } else if (t->root == FL_T_MAP && fl_string_keys(&t->children[0])) {
        fl_buf_put_u8(b, '{');
        for (uint32_t i = 0; i < l->n; i++) {
            if (i) fl_buf_put_u8(b, ',');
            if (l->items[i].is_null) fl_buf_put(b, "\"\"", 2); /* cannot happen: keys are NOT NULL */
            else fl_rows_json_str(b, (const char *)l->items[i].v.bytes.p, l->items[i].v.bytes.len);
            fl_buf_put_u8(b, ':');
            fl_rows_json(b, &t->children[1], &l->values[i], o);
        }
        fl_buf_put_u8(b, '}');
    } else if (t->root == FL_T_MAP) {
        fl_buf_put_u8(b, '[');
        for (uint32_t i = 0; i < l->n; i++) {
            if (i) fl_buf_put_u8(b, ',');
            fl_buf_put_u8(b, '[');
            fl_rows_json(b, &t->children[0], &l->items[i], o);
            fl_buf_put_u8(b, ',');
            fl_rows_json(b, &t->children[1], &l->values[i], o);
            fl_buf_put_u8(b, ']');
        }
        fl_buf_put_u8(b, ']');
    } else {
        fl_buf_put_u8(b, '{');
        for (uint32_t i = 0; i < l->n && i < t->n_children; i++) {
            if (i) fl_buf_put_u8(b, ',');
            fl_rows_json_str(b, t->field_names[i], strlen(t->field_names[i]));
            fl_buf_put_u8(b, ':');
            fl_rows_json(b, &t->children[i], &l->items[i], o);
        }
        fl_buf_put_u8(b, '}');
    }
}

static void fl_value(fl_buf_t *b, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o,
                     bool json) {
    size_t at = b->len;
    bool quote = false; /* JSON: the text form goes in a string */
    switch (t->root) {
    case FL_T_BOOLEAN: fl_buf_put(b, d->v.b ? "true" : "false", d->v.b ? 4 : 5); return;
    case FL_T_TINYINT: fl_putf(b, "%d", d->v.i8); return;
    case FL_T_SMALLINT: fl_putf(b, "%d", d->v.i16); return;
    case FL_T_INTEGER: fl_putf(b, "%" PRId32, d->v.i32); return;
    case FL_T_BIGINT: fl_putf(b, "%" PRId64, d->v.i64); return;
    case FL_T_FLOAT:
    case FL_T_DOUBLE: {
        double v = t->root == FL_T_FLOAT ? (double)d->v.f32 : d->v.f64;
        quote = isnan(v) || isinf(v);
        fl_float_text(b, v, t->root == FL_T_FLOAT);
        break;
    }
    case FL_T_DECIMAL: fl_decimal_text(b, fl_decimal_value(t, &d->v.dec), t->scale); return;
    case FL_T_CHAR:
    case FL_T_STRING:
        if (json) fl_rows_json_str(b, (const char *)d->v.bytes.p, d->v.bytes.len);
        else fl_buf_put(b, d->v.bytes.p, d->v.bytes.len);
        return;
    case FL_T_BINARY:
    case FL_T_BYTES:
        quote = true;
        if (o->hex_binary) fl_hex_encode(b, d->v.bytes.p, d->v.bytes.len);
        else fl_b64_encode(b, d->v.bytes.p, d->v.bytes.len);
        break;
    case FL_T_DATE:
        quote = true;
        fl_date_text(b, d->v.i32);
        break;
    case FL_T_TIME:
        quote = true;
        fl_clock_text(b, d->v.i32 / 1000, (int64_t)(d->v.i32 % 1000) * 1000000, t->precision);
        break;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        quote = true;
        fl_ts_text(b, &d->v.ts, t->precision, t->root == FL_T_TIMESTAMP_LTZ);
        break;
    case FL_T_ARRAY:
    case FL_T_MAP:
    case FL_T_ROW: fl_nested_json(b, t, d, o); return;
    default: fl_buf_put(b, "?", 1); return;
    }
    if (json && quote) {
        /* move the text into a JSON string (it needs no escapes) */
        size_t n = b->len - at;
        char *tmp = fl_malloc(n + 1);
        memcpy(tmp, b->p + at, n);
        b->len = at;
        fl_buf_put_u8(b, '"');
        fl_buf_put(b, tmp, n);
        fl_buf_put_u8(b, '"');
        fl_free(tmp);
    }
}

void fl_rows_json(fl_buf_t *out, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o) {
    if (d->is_null) fl_buf_put(out, "null", 4);
    else fl_value(out, t, d, o, true);
}

void fl_rows_text(fl_buf_t *out, const fl_type_t *t, const fl_datum_t *d, const fl_rowopts_t *o) {
    fl_value(out, t, d, o, false);
}

fl_err_t fl_rows_partition_value(const fl_type_t *t, const fl_datum_t *d, fl_buf_t *out) {
    switch (t->root) {
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BOOLEAN:
    case FL_T_TINYINT:
    case FL_T_SMALLINT:
    case FL_T_INTEGER:
    case FL_T_BIGINT:
    case FL_T_DATE: {
        fl_rowopts_t o = {false};
        fl_value(out, t, d, &o, false);
        return FL_ERR_NONE;
    }
    case FL_T_BINARY:
    case FL_T_BYTES:
        fl_hex_encode(out, d->v.bytes.p, d->v.bytes.len);
        return FL_ERR_NONE;
    case FL_T_TIME: {
        int32_t ms = d->v.i32;
        fl_putf(out, "%02d-%02d-%02d_%03d", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
        return FL_ERR_NONE;
    }
    default:
        return FL_ERR__INVAL;
    }
}

/* ---- CSV --------------------------------------------------------------------------------------- */

int fl_csv_read(FILE *f, fl_arena_t *a, long *line, long *start_line, fl_csv_cell_t **cells,
                size_t *n, const char **why) {
    int c;
    /* skip blank lines */
    for (;;) {
        c = getc(f);
        if (c == EOF) return 0;
        if (c == '\n') {
            (*line)++;
            continue;
        }
        if (c == '\r') {
            int c2 = getc(f);
            if (c2 == '\n') {
                (*line)++;
                continue;
            }
            if (c2 != EOF) ungetc(c2, f);
        }
        break;
    }
    (*line)++;
    *start_line = *line;
    fl_csv_cell_t *out = NULL;
    size_t cnt = 0, cap = 0;
    fl_buf_t b;
    fl_buf_init(&b);
    bool end = false;
    while (!end) {
        bool quoted = false;
        fl_buf_reset(&b);
        if (c == '"') {
            quoted = true;
            for (;;) {
                c = getc(f);
                if (c == EOF) {
                    fl_buf_free(&b);
                    *why = "a quoted cell is not closed before the end of the input";
                    return -1;
                }
                if (c == '"') {
                    c = getc(f);
                    if (c == '"') {
                        fl_buf_put_u8(&b, '"');
                        continue;
                    }
                    break;
                }
                if (c == '\n') (*line)++;
                fl_buf_put_u8(&b, (uint8_t)c);
            }
            if (c == '\r') {
                int c2 = getc(f);
                if (c2 != '\n' && c2 != EOF) ungetc(c2, f);
                c = '\n';
            }
            if (c != ',' && c != '\n' && c != EOF) {
                fl_buf_free(&b);
                *why = fl_arena_sprintf(a, "unexpected '%c' after a closing quote", c);
                /* skip the rest of the line */
                while (c != '\n' && c != EOF) c = getc(f);
                return -1;
            }
        } else {
            while (c != ',' && c != '\n' && c != EOF) {
                if (c == '\r') {
                    int c2 = getc(f);
                    if (c2 == '\n' || c2 == EOF) {
                        c = '\n';
                        break;
                    }
                    ungetc(c2, f);
                }
                fl_buf_put_u8(&b, (uint8_t)c);
                c = getc(f);
            }
        }
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            fl_csv_cell_t *nc = fl_arena_alloc(a, ncap * sizeof(*nc));
            if (cnt) memcpy(nc, out, cnt * sizeof(*nc));
            out = nc;
            cap = ncap;
        }
        out[cnt].s = fl_arena_strndup(a, b.len ? (const char *)b.p : "", b.len);
        out[cnt].len = b.len;
        out[cnt].quoted = quoted;
        cnt++;
        if (c == ',') c = getc(f);
        else end = true;
    }
    fl_buf_free(&b);
    *cells = out;
    *n = cnt;
    return 1;
}
