/* fl_tablespec.c: see fl_tablespec.h. A tokenizer and a recursive-descent parser; every error
 * names what was expected, what was found and the character position (1-based). */
#include "fl_tablespec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FL_SPEC_MAX_DEPTH 32
#define FL_SPEC_VARCHAR_MAX 2147483647L

typedef enum fl_tok_kind_e {
    TK_END = 0,
    TK_IDENT,  /* bare word (may be a keyword) */
    TK_QIDENT, /* `quoted` identifier, never a keyword */
    TK_STRING, /* 'literal' or "literal", unescaped */
    TK_NUMBER,
    TK_PUNCT,  /* one ASCII punctuation character: ( ) , . < > = ; ... */
    TK_BAD,    /* a character that starts no token, or an unterminated quote */
} fl_tok_kind_t;

typedef struct fl_tok_s {
    fl_tok_kind_t kind;
    const char *text; /* arena string: identifier/literal value, punct char, number digits */
    size_t pos;       /* 1-based character position in the input */
} fl_tok_t;

typedef struct fl_sp_s {
    fl_arena_t *arena;
    const char *src;
    fl_tok_t *toks;
    size_t n, cap, i;
    const char *why; /* first error */
} fl_sp_t;

static void fl_sp_fail(fl_sp_t *sp, const char *fmt, ...) FL_PRINTF(2, 3);
static void fl_sp_fail(fl_sp_t *sp, const char *fmt, ...) {
    if (sp->why) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    sp->why = fl_arena_strndup(sp->arena, buf, strlen(buf));
}

static void fl_sp_push(fl_sp_t *sp, fl_tok_kind_t kind, const char *text, size_t len, size_t pos) {
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 32;
        fl_tok_t *t = fl_arena_alloc(sp->arena, cap * sizeof(*t));
        if (sp->n) memcpy(t, sp->toks, sp->n * sizeof(*t));
        sp->toks = t;
        sp->cap = cap;
    }
    sp->toks[sp->n].kind = kind;
    sp->toks[sp->n].text = fl_arena_strndup(sp->arena, text, len);
    sp->toks[sp->n].pos = pos;
    sp->n++;
}

/* Quoted text from s[0] (the quote) to its closing quote; a doubled quote is one quote.
 * @returns the length consumed, or 0 when unterminated. */
static size_t fl_sp_quoted(fl_sp_t *sp, const char *s, char **out) {
    char q = s[0];
    size_t cap = strlen(s) + 1, n = 0;
    char *buf = fl_arena_alloc(sp->arena, cap);
    for (size_t k = 1; s[k]; k++) {
        if (s[k] == q) {
            if (s[k + 1] == q) {
                buf[n++] = q;
                k++;
                continue;
            }
            buf[n] = '\0';
            *out = buf;
            return k + 1;
        }
        buf[n++] = s[k];
    }
    return 0;
}

static void fl_sp_lex(fl_sp_t *sp) {
    const char *s = sp->src;
    size_t k = 0;
    while (s[k]) {
        unsigned char c = (unsigned char)s[k];
        size_t pos = k + 1;
        if (isspace(c)) {
            k++;
        } else if (c == '-' && s[k + 1] == '-') { /* -- comment to end of line */
            while (s[k] && s[k] != '\n') k++;
        } else if (isalpha(c) || c == '_') {
            size_t b = k;
            while (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '$') k++;
            fl_sp_push(sp, TK_IDENT, s + b, k - b, pos);
        } else if (isdigit(c)) {
            size_t b = k;
            while (isdigit((unsigned char)s[k])) k++;
            fl_sp_push(sp, TK_NUMBER, s + b, k - b, pos);
        } else if (c == '`' || c == '\'' || c == '"') {
            char *v = NULL;
            size_t used = fl_sp_quoted(sp, s + k, &v);
            if (!used) {
                fl_sp_push(sp, TK_BAD, s + k, 1, pos);
                fl_sp_fail(sp, "unterminated %s starting at character %zu",
                           c == '`' ? "quoted identifier" : "string", pos);
                return;
            }
            fl_sp_push(sp, c == '`' ? TK_QIDENT : TK_STRING, v, strlen(v), pos);
            k += used;
        } else if (ispunct(c)) { /* ( ) , . < > = ; are grammar; others only appear in errors */
            fl_sp_push(sp, TK_PUNCT, s + k, 1, pos);
            k++;
        } else {
            fl_sp_push(sp, TK_BAD, s + k, 1, pos);
            fl_sp_fail(sp, "unexpected character '%c' at character %zu", c, pos);
            return;
        }
    }
    fl_sp_push(sp, TK_END, "", 0, k + 1);
}

static const fl_tok_t *fl_sp_peek(const fl_sp_t *sp) {
    return &sp->toks[sp->i < sp->n ? sp->i : sp->n - 1];
}

static const fl_tok_t *fl_sp_peek2(const fl_sp_t *sp) {
    return &sp->toks[sp->i + 1 < sp->n ? sp->i + 1 : sp->n - 1];
}

static const fl_tok_t *fl_sp_next(fl_sp_t *sp) {
    const fl_tok_t *t = fl_sp_peek(sp);
    if (t->kind != TK_END) sp->i++;
    return t;
}

/* How a token reads in a message. */
static const char *fl_sp_desc(fl_sp_t *sp, const fl_tok_t *t) {
    switch (t->kind) {
    case TK_END: return "the end of the text";
    case TK_STRING: return fl_arena_sprintf(sp->arena, "string '%s'", t->text);
    default: return fl_arena_sprintf(sp->arena, "'%s'", t->text);
    }
}

static bool fl_tok_kw(const fl_tok_t *t, const char *kw) {
    return t->kind == TK_IDENT && !strcasecmp(t->text, kw);
}

static bool fl_tok_punct(const fl_tok_t *t, char c) {
    return t->kind == TK_PUNCT && t->text[0] == c;
}

static bool fl_sp_accept_kw(fl_sp_t *sp, const char *kw) {
    if (!fl_tok_kw(fl_sp_peek(sp), kw)) return false;
    sp->i++;
    return true;
}

static bool fl_sp_accept(fl_sp_t *sp, char c) {
    if (!fl_tok_punct(fl_sp_peek(sp), c)) return false;
    sp->i++;
    return true;
}

static bool fl_sp_expect_kw(fl_sp_t *sp, const char *kw) {
    if (fl_sp_accept_kw(sp, kw)) return true;
    const fl_tok_t *t = fl_sp_peek(sp);
    fl_sp_fail(sp, "expected %s but found %s at character %zu", kw, fl_sp_desc(sp, t), t->pos);
    return false;
}

static bool fl_sp_expect(fl_sp_t *sp, char c) {
    if (fl_sp_accept(sp, c)) return true;
    const fl_tok_t *t = fl_sp_peek(sp);
    fl_sp_fail(sp, "expected '%c' but found %s at character %zu", c, fl_sp_desc(sp, t), t->pos);
    return false;
}

static const char *fl_sp_ident(fl_sp_t *sp, const char *what) {
    const fl_tok_t *t = fl_sp_peek(sp);
    if (t->kind == TK_IDENT || t->kind == TK_QIDENT) {
        sp->i++;
        return t->text;
    }
    fl_sp_fail(sp, "expected %s but found %s at character %zu", what, fl_sp_desc(sp, t), t->pos);
    return NULL;
}

static const char *fl_sp_string(fl_sp_t *sp, const char *what) {
    const fl_tok_t *t = fl_sp_peek(sp);
    if (t->kind == TK_STRING) {
        sp->i++;
        return t->text;
    }
    fl_sp_fail(sp, "expected %s (a quoted string) but found %s at character %zu", what,
               fl_sp_desc(sp, t), t->pos);
    return NULL;
}

static bool fl_sp_int(fl_sp_t *sp, const char *what, long min, long max, int32_t *out) {
    const fl_tok_t *t = fl_sp_peek(sp);
    if (t->kind != TK_NUMBER) {
        fl_sp_fail(sp, "expected %s (a number) but found %s at character %zu", what,
                   fl_sp_desc(sp, t), t->pos);
        return false;
    }
    errno = 0;
    long v = strtol(t->text, NULL, 10);
    if (errno || v < min || v > max) {
        fl_sp_fail(sp, "%s must be between %ld and %ld, not %s (character %zu)", what, min, max,
                   t->text, t->pos);
        return false;
    }
    sp->i++;
    *out = (int32_t)v;
    return true;
}

/* ( n ) optional; @returns false on a parse error, *out keeps its default when absent. */
static bool fl_sp_opt_param(fl_sp_t *sp, const char *what, long min, long max, int32_t *out) {
    if (!fl_sp_accept(sp, '(')) return true;
    return fl_sp_int(sp, what, min, max, out) && fl_sp_expect(sp, ')');
}

static bool fl_sp_type(fl_sp_t *sp, fl_type_t *t, int depth);

/* NOT NULL / NULL after a type. */
static void fl_sp_nullability(fl_sp_t *sp, fl_type_t *t) {
    if (fl_tok_kw(fl_sp_peek(sp), "NOT") && fl_tok_kw(fl_sp_peek2(sp), "NULL")) {
        sp->i += 2;
        t->nullable = false;
    } else if (fl_sp_accept_kw(sp, "NULL")) {
        t->nullable = true;
    }
}

static bool fl_sp_type_nullable(fl_sp_t *sp, fl_type_t *t, int depth) {
    if (!fl_sp_type(sp, t, depth)) return false;
    fl_sp_nullability(sp, t);
    return true;
}

/* Fields of ROW<...> or ROW(...), up to the closing token. */
static bool fl_sp_row_fields(fl_sp_t *sp, fl_type_t *t, char close, int depth) {
    size_t cap = 0;
    while (!fl_tok_punct(fl_sp_peek(sp), close)) {
        if (t->n_children && !fl_sp_expect(sp, ',')) return false;
        const char *name = fl_sp_ident(sp, "a ROW field name");
        if (!name) return false;
        for (uint32_t k = 0; k < t->n_children; k++)
            if (!strcmp(t->field_names[k], name)) {
                fl_sp_fail(sp, "ROW field %s is duplicated", name);
                return false;
            }
        if (t->n_children == cap) {
            size_t nc = cap ? cap * 2 : 4;
            fl_type_t *ch = fl_arena_calloc(sp->arena, nc * sizeof(*ch));
            char **names = fl_arena_calloc(sp->arena, nc * sizeof(char *));
            char **descs = fl_arena_calloc(sp->arena, nc * sizeof(char *));
            int32_t *ids = fl_arena_calloc(sp->arena, nc * sizeof(int32_t));
            if (cap) {
                memcpy(ch, t->children, cap * sizeof(*ch));
                memcpy(names, t->field_names, cap * sizeof(char *));
                memcpy(descs, t->field_descriptions, cap * sizeof(char *));
                memcpy(ids, t->field_ids, cap * sizeof(int32_t));
            }
            t->children = ch;
            t->field_names = names;
            t->field_descriptions = descs;
            t->field_ids = ids;
            cap = nc;
        }
        uint32_t k = t->n_children;
        t->field_names[k] = (char *)name;
        t->field_ids[k] = -1;
        if (!fl_sp_type_nullable(sp, &t->children[k], depth + 1)) return false;
        if (fl_sp_peek(sp)->kind == TK_STRING) t->field_descriptions[k] = (char *)fl_sp_next(sp)->text;
        t->n_children++;
    }
    sp->i++; /* close */
    return true;
}

static bool fl_sp_type(fl_sp_t *sp, fl_type_t *t, int depth) {
    memset(t, 0, sizeof(*t));
    t->nullable = true;
    if (depth > FL_SPEC_MAX_DEPTH) {
        fl_sp_fail(sp, "data type nested more than %d levels deep", FL_SPEC_MAX_DEPTH);
        return false;
    }
    const fl_tok_t *tok = fl_sp_peek(sp);
    if (tok->kind != TK_IDENT) {
        fl_sp_fail(sp, "expected a data type but found %s at character %zu", fl_sp_desc(sp, tok),
                   tok->pos);
        return false;
    }
    sp->i++;
    const char *n = tok->text;
    bool ok = true;
    if (!strcasecmp(n, "BOOLEAN") || !strcasecmp(n, "BOOL")) {
        t->root = FL_T_BOOLEAN;
    } else if (!strcasecmp(n, "TINYINT")) {
        t->root = FL_T_TINYINT;
    } else if (!strcasecmp(n, "SMALLINT")) {
        t->root = FL_T_SMALLINT;
    } else if (!strcasecmp(n, "INT") || !strcasecmp(n, "INTEGER")) {
        t->root = FL_T_INTEGER;
    } else if (!strcasecmp(n, "BIGINT")) {
        t->root = FL_T_BIGINT;
    } else if (!strcasecmp(n, "FLOAT")) {
        t->root = FL_T_FLOAT;
    } else if (!strcasecmp(n, "DOUBLE")) {
        t->root = FL_T_DOUBLE;
        fl_sp_accept_kw(sp, "PRECISION");
    } else if (!strcasecmp(n, "STRING")) {
        t->root = FL_T_STRING;
    } else if (!strcasecmp(n, "BYTES")) {
        t->root = FL_T_BYTES;
    } else if (!strcasecmp(n, "VARCHAR") || !strcasecmp(n, "VARBINARY")) {
        bool chr = !strcasecmp(n, "VARCHAR");
        int32_t len = (int32_t)FL_SPEC_VARCHAR_MAX;
        t->root = chr ? FL_T_STRING : FL_T_BYTES;
        if (!fl_sp_opt_param(sp, chr ? "VARCHAR length" : "VARBINARY length", 1,
                             FL_SPEC_VARCHAR_MAX, &len))
            return false;
        if (len != FL_SPEC_VARCHAR_MAX) {
            fl_sp_fail(sp, "Fluss has no %s(%d) (character %zu): use %s, or %s(n) for a fixed length",
                       chr ? "VARCHAR" : "VARBINARY", len, tok->pos, chr ? "STRING" : "BYTES",
                       chr ? "CHAR" : "BINARY");
            return false;
        }
    } else if (!strcasecmp(n, "CHAR") || !strcasecmp(n, "CHARACTER")) {
        t->root = FL_T_CHAR;
        t->length = 1;
        ok = fl_sp_opt_param(sp, "CHAR length", 1, FL_SPEC_VARCHAR_MAX, &t->length);
    } else if (!strcasecmp(n, "BINARY")) {
        t->root = FL_T_BINARY;
        t->length = 1;
        ok = fl_sp_opt_param(sp, "BINARY length", 1, FL_SPEC_VARCHAR_MAX, &t->length);
    } else if (!strcasecmp(n, "DECIMAL") || !strcasecmp(n, "DEC") || !strcasecmp(n, "NUMERIC")) {
        t->root = FL_T_DECIMAL;
        t->precision = 10;
        t->scale = 0;
        if (fl_sp_accept(sp, '(')) {
            ok = fl_sp_int(sp, "DECIMAL precision", 1, 38, &t->precision);
            if (ok && fl_sp_accept(sp, ','))
                ok = fl_sp_int(sp, "DECIMAL scale", 0, t->precision, &t->scale);
            ok = ok && fl_sp_expect(sp, ')');
        }
    } else if (!strcasecmp(n, "DATE")) {
        t->root = FL_T_DATE;
    } else if (!strcasecmp(n, "TIME")) {
        t->root = FL_T_TIME;
        t->precision = 0;
        ok = fl_sp_opt_param(sp, "TIME precision", 0, 9, &t->precision);
        if (ok && fl_sp_accept_kw(sp, "WITHOUT"))
            ok = fl_sp_expect_kw(sp, "TIME") && fl_sp_expect_kw(sp, "ZONE");
    } else if (!strcasecmp(n, "TIMESTAMP")) {
        t->root = FL_T_TIMESTAMP;
        t->precision = 6;
        ok = fl_sp_opt_param(sp, "TIMESTAMP precision", 0, 9, &t->precision);
        if (ok && fl_sp_accept_kw(sp, "WITHOUT")) {
            ok = fl_sp_expect_kw(sp, "TIME") && fl_sp_expect_kw(sp, "ZONE");
        } else if (ok && fl_sp_accept_kw(sp, "WITH")) {
            if (!fl_sp_accept_kw(sp, "LOCAL")) {
                fl_sp_fail(sp, "TIMESTAMP WITH TIME ZONE is not supported by Fluss (character %zu); "
                           "use TIMESTAMP_LTZ", tok->pos);
                return false;
            }
            ok = fl_sp_expect_kw(sp, "TIME") && fl_sp_expect_kw(sp, "ZONE");
            t->root = FL_T_TIMESTAMP_LTZ;
        }
    } else if (!strcasecmp(n, "TIMESTAMP_LTZ")) {
        t->root = FL_T_TIMESTAMP_LTZ;
        t->precision = 6;
        ok = fl_sp_opt_param(sp, "TIMESTAMP_LTZ precision", 0, 9, &t->precision);
    } else if (!strcasecmp(n, "ARRAY")) {
        t->root = FL_T_ARRAY;
        t->n_children = 1;
        t->children = fl_arena_calloc(sp->arena, sizeof(fl_type_t));
        ok = fl_sp_expect(sp, '<') && fl_sp_type_nullable(sp, &t->children[0], depth + 1) &&
             fl_sp_expect(sp, '>');
    } else if (!strcasecmp(n, "MAP")) {
        t->root = FL_T_MAP;
        t->n_children = 2;
        t->children = fl_arena_calloc(sp->arena, 2 * sizeof(fl_type_t));
        ok = fl_sp_expect(sp, '<') && fl_sp_type_nullable(sp, &t->children[0], depth + 1) &&
             fl_sp_expect(sp, ',') && fl_sp_type_nullable(sp, &t->children[1], depth + 1) &&
             fl_sp_expect(sp, '>');
    } else if (!strcasecmp(n, "ROW")) {
        t->root = FL_T_ROW;
        if (fl_sp_accept(sp, '<')) ok = fl_sp_row_fields(sp, t, '>', depth);
        else if (fl_sp_accept(sp, '(')) ok = fl_sp_row_fields(sp, t, ')', depth);
        else ok = fl_sp_expect(sp, '<');
        if (ok && t->n_children == 0) {
            fl_sp_fail(sp, "ROW type at character %zu has no fields", tok->pos);
            return false;
        }
    } else if (!strcasecmp(n, "MULTISET") || !strcasecmp(n, "INTERVAL") || !strcasecmp(n, "RAW") ||
               !strcasecmp(n, "VARIANT") || !strcasecmp(n, "NULL")) {
        fl_sp_fail(sp, "data type %s (character %zu) is not supported by Fluss", n, tok->pos);
        return false;
    } else {
        fl_sp_fail(sp, "unknown data type '%s' at character %zu", n, tok->pos);
        return false;
    }
    if (!ok) return false;
    /* suffix notation: INT ARRAY */
    while (fl_tok_kw(fl_sp_peek(sp), "ARRAY")) {
        sp->i++;
        fl_type_t *elem = fl_arena_calloc(sp->arena, sizeof(*elem));
        *elem = *t;
        memset(t, 0, sizeof(*t));
        t->root = FL_T_ARRAY;
        t->nullable = true;
        t->n_children = 1;
        t->children = elem;
    }
    return true;
}

/* NAME TYPE [NOT NULL|NULL] {PRIMARY KEY [NOT ENFORCED] | COMMENT 'text'} */
static bool fl_sp_column(fl_sp_t *sp, fl_column_t *col, bool *is_pk) {
    memset(col, 0, sizeof(*col));
    col->id = -1;
    *is_pk = false;
    col->name = fl_sp_ident(sp, "a column name");
    if (!col->name) return false;
    const fl_tok_t *t = fl_sp_peek(sp);
    if (fl_tok_kw(t, "AS")) {
        fl_sp_fail(sp, "column %s: computed columns are not supported (character %zu)", col->name,
                   t->pos);
        return false;
    }
    if (!fl_sp_type_nullable(sp, &col->type, 0)) return false;
    for (;;) {
        if (fl_sp_accept_kw(sp, "PRIMARY")) {
            if (!fl_sp_expect_kw(sp, "KEY")) return false;
            if (fl_sp_accept_kw(sp, "NOT") && !fl_sp_expect_kw(sp, "ENFORCED")) return false;
            *is_pk = true;
        } else if (fl_sp_accept_kw(sp, "COMMENT")) {
            if (!(col->comment = fl_sp_string(sp, "the column comment"))) return false;
        } else if (fl_tok_kw(fl_sp_peek(sp), "METADATA")) {
            fl_sp_fail(sp, "column %s: metadata columns are not supported (character %zu)",
                       col->name, fl_sp_peek(sp)->pos);
            return false;
        } else {
            return true;
        }
    }
}

static bool fl_sp_idents(fl_sp_t *sp, fl_strs_t *out, const char *what) {
    if (!fl_sp_expect(sp, '(')) return false;
    do {
        const char *id = fl_sp_ident(sp, what);
        if (!id) return false;
        fl_strs_push(sp->arena, out, id);
    } while (fl_sp_accept(sp, ','));
    return fl_sp_expect(sp, ')');
}

static bool fl_sp_end(fl_sp_t *sp) {
    const fl_tok_t *t = fl_sp_peek(sp);
    if (t->kind == TK_END) return true;
    fl_sp_fail(sp, "unexpected %s at character %zu", fl_sp_desc(sp, t), t->pos);
    return false;
}

static bool fl_sp_init(fl_sp_t *sp, fl_arena_t *arena, const char *text) {
    memset(sp, 0, sizeof(*sp));
    sp->arena = arena;
    sp->src = text;
    fl_sp_lex(sp);
    return sp->why == NULL;
}

void fl_strs_push(fl_arena_t *arena, fl_strs_t *strs, const char *item) {
    const char **items = fl_arena_alloc(arena, (strs->n + 1) * sizeof(char *));
    if (strs->n) memcpy(items, strs->items, strs->n * sizeof(char *));
    items[strs->n++] = item;
    strs->items = items;
}

bool fl_strs_split(fl_arena_t *arena, const char *csv, fl_strs_t *strs) {
    const char *p = csv;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && isspace((unsigned char)*p)) p++, len--;
        while (len && isspace((unsigned char)p[len - 1])) len--;
        if (!len) return false;
        fl_strs_push(arena, strs, fl_arena_strndup(arena, p, len));
        if (!comma) return true;
        p = comma + 1;
    }
}

fl_err_t fl_spec_parse_type(fl_arena_t *arena, const char *text, fl_type_t *out, const char **why) {
    fl_sp_t sp;
    if (fl_sp_init(&sp, arena, text) && fl_sp_type_nullable(&sp, out, 0) && fl_sp_end(&sp))
        return FL_ERR_NONE;
    *why = sp.why;
    return FL_ERR__INVAL;
}

fl_err_t fl_spec_parse_column(fl_arena_t *arena, const char *text, fl_column_t *out, bool *is_pk,
                              const char **why) {
    fl_sp_t sp;
    if (fl_sp_init(&sp, arena, text) && fl_sp_column(&sp, out, is_pk) && fl_sp_end(&sp))
        return FL_ERR_NONE;
    *why = sp.why;
    return FL_ERR__INVAL;
}

/* ---- ids and defaults --------------------------------------------------------------------- */

static void fl_spec_assign_nested(fl_type_t *t, int32_t *hi) {
    if (t->root == FL_T_ROW) {
        for (uint32_t i = 0; i < t->n_children; i++) {
            t->field_ids[i] = ++*hi;
            fl_spec_assign_nested(&t->children[i], hi);
        }
    } else {
        for (uint32_t i = 0; i < t->n_children; i++) fl_spec_assign_nested(&t->children[i], hi);
    }
}

void fl_spec_finish(fl_arena_t *arena, fl_table_desc_t *d) {
    int32_t hi = -1;
    for (size_t i = 0; i < d->schema.n_cols; i++) {
        d->schema.cols[i].id = ++hi;
        fl_spec_assign_nested(&d->schema.cols[i].type, &hi);
    }
    d->schema.highest_field_id = hi;
    d->schema.has_primary_key = d->schema.primary_key.n > 0;
    for (size_t i = 0; i < d->schema.primary_key.n; i++) {
        int idx = fl_schema_col_index(&d->schema, d->schema.primary_key.items[i]);
        if (idx >= 0) d->schema.cols[idx].type.nullable = false;
    }
    if (!d->has_distribution) {
        d->has_distribution = true;
        d->bucket_keys.n = 0;
        for (size_t i = 0; i < d->schema.primary_key.n; i++)
            if (!fl_strs_has(&d->partition_keys, d->schema.primary_key.items[i]))
                fl_strs_push(arena, &d->bucket_keys, d->schema.primary_key.items[i]);
    }
}

/* ---- CREATE TABLE ------------------------------------------------------------------------- */

static bool fl_sp_with(fl_sp_t *sp, fl_table_desc_t *d, bool *bucket_key_set) {
    if (!fl_sp_expect(sp, '(')) return false;
    do {
        size_t kpos = fl_sp_peek(sp)->pos;
        const char *k = fl_sp_string(sp, "an option key");
        if (!k || !fl_sp_expect(sp, '=')) return false;
        size_t vpos = fl_sp_peek(sp)->pos;
        const char *v = fl_sp_string(sp, "an option value");
        if (!v) return false;
        if (fl_kvs_get(&d->properties, k) || fl_kvs_get(&d->custom_properties, k)) {
            fl_sp_fail(sp, "option '%s' is given twice (character %zu)", k, kpos);
            return false;
        }
        if (!strcmp(k, "bucket.num")) {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (!*v || *end || errno || n < 1 || n > INT32_MAX) {
                fl_sp_fail(sp, "'bucket.num' must be a positive number, not '%s' (character %zu)", v,
                           vpos);
                return false;
            }
            if (d->bucket_count >= 0) {
                fl_sp_fail(sp, "the bucket count is given twice "
                               "(DISTRIBUTED BY ... INTO and 'bucket.num')");
                return false;
            }
            d->bucket_count = (int32_t)n;
        } else if (!strcmp(k, "bucket.key")) {
            if (*bucket_key_set) {
                fl_sp_fail(sp, "the bucket key is given twice (DISTRIBUTED BY and 'bucket.key')");
                return false;
            }
            if (!fl_strs_split(sp->arena, v, &d->bucket_keys)) {
                fl_sp_fail(sp, "'bucket.key' has an empty column name (character %zu)", vpos);
                return false;
            }
            *bucket_key_set = true;
        } else if (!strncmp(k, "table.", 6)) {
            fl_kvs_set(sp->arena, &d->properties, k, v);
        } else {
            fl_kvs_set(sp->arena, &d->custom_properties, k, v);
        }
    } while (fl_sp_accept(sp, ','));
    return fl_sp_expect(sp, ')');
}

static bool fl_sp_create(fl_sp_t *sp, fl_sql_table_t *out) {
    fl_table_desc_t *d = &out->desc;
    memset(out, 0, sizeof(*out));
    d->bucket_count = -1;
    if (!fl_sp_expect_kw(sp, "CREATE")) return false;
    if (fl_tok_kw(fl_sp_peek(sp), "TEMPORARY")) {
        fl_sp_fail(sp, "temporary tables live in Flink, not in Fluss");
        return false;
    }
    if (!fl_sp_expect_kw(sp, "TABLE")) return false;
    if (fl_sp_accept_kw(sp, "IF")) {
        if (!fl_sp_expect_kw(sp, "NOT") || !fl_sp_expect_kw(sp, "EXISTS")) return false;
        out->if_not_exists = true;
    }
    const char *first = fl_sp_ident(sp, "the table name");
    if (!first) return false;
    if (fl_sp_accept(sp, '.')) {
        out->db = first;
        if (!(out->table = fl_sp_ident(sp, "the table name after the database"))) return false;
        if (fl_tok_punct(fl_sp_peek(sp), '.')) {
            fl_sp_fail(sp, "a table name has at most two parts (database.table), at character %zu",
                       fl_sp_peek(sp)->pos);
            return false;
        }
    } else {
        out->table = first;
    }
    if (!fl_sp_expect(sp, '(')) return false;
    size_t cap = 0;
    do {
        const fl_tok_t *t = fl_sp_peek(sp);
        if (fl_tok_kw(t, "CONSTRAINT")) {
            sp->i++;
            if (!fl_sp_ident(sp, "the constraint name")) return false;
            t = fl_sp_peek(sp);
            if (!fl_tok_kw(t, "PRIMARY")) {
                fl_sp_fail(sp, "expected PRIMARY KEY but found %s at character %zu",
                           fl_sp_desc(sp, t), t->pos);
                return false;
            }
        }
        if (fl_tok_kw(t, "PRIMARY") && fl_tok_kw(fl_sp_peek2(sp), "KEY")) {
            sp->i += 2;
            if (d->schema.primary_key.n) {
                fl_sp_fail(sp, "more than one PRIMARY KEY (character %zu)", t->pos);
                return false;
            }
            if (!fl_sp_idents(sp, &d->schema.primary_key, "a primary key column")) return false;
            if (fl_sp_accept_kw(sp, "NOT") && !fl_sp_expect_kw(sp, "ENFORCED")) return false;
            continue;
        }
        if (fl_tok_kw(t, "WATERMARK")) {
            fl_sp_fail(sp, "WATERMARK (character %zu) belongs to Flink; fl-admin does not store it",
                       t->pos);
            return false;
        }
        if (fl_tok_kw(t, "LIKE")) {
            fl_sp_fail(sp, "LIKE (character %zu) is not supported", t->pos);
            return false;
        }
        if (d->schema.n_cols == cap) {
            size_t nc = cap ? cap * 2 : 8;
            fl_column_t *cols = fl_arena_alloc(sp->arena, nc * sizeof(*cols));
            if (cap) memcpy(cols, d->schema.cols, cap * sizeof(*cols));
            d->schema.cols = cols;
            cap = nc;
        }
        fl_column_t *col = &d->schema.cols[d->schema.n_cols];
        bool is_pk;
        size_t cpos = t->pos;
        if (!fl_sp_column(sp, col, &is_pk)) return false;
        if (fl_schema_col_index(&d->schema, col->name) >= 0) {
            fl_sp_fail(sp, "column %s is defined twice (character %zu)", col->name, cpos);
            return false;
        }
        d->schema.n_cols++;
        if (is_pk) {
            if (d->schema.primary_key.n) {
                fl_sp_fail(sp, "more than one PRIMARY KEY (column %s)", col->name);
                return false;
            }
            fl_strs_push(sp->arena, &d->schema.primary_key, col->name);
        }
    } while (fl_sp_accept(sp, ','));
    if (!fl_sp_expect(sp, ')')) return false;
    if (d->schema.n_cols == 0) {
        fl_sp_fail(sp, "the table has no columns");
        return false;
    }
    bool bucket_key_set = false;
    for (;;) {
        if (fl_sp_accept_kw(sp, "COMMENT")) {
            if (!(d->comment = fl_sp_string(sp, "the table comment"))) return false;
        } else if (fl_sp_accept_kw(sp, "PARTITIONED")) {
            if (!fl_sp_expect_kw(sp, "BY") ||
                !fl_sp_idents(sp, &d->partition_keys, "a partition column"))
                return false;
        } else if (fl_sp_accept_kw(sp, "DISTRIBUTED")) {
            if (!fl_sp_expect_kw(sp, "BY")) return false;
            fl_sp_accept_kw(sp, "HASH");
            if (!fl_sp_idents(sp, &d->bucket_keys, "a bucket key column")) return false;
            bucket_key_set = true;
            if (fl_sp_accept_kw(sp, "INTO")) {
                if (!fl_sp_int(sp, "the bucket count", 1, INT32_MAX, &d->bucket_count) ||
                    !fl_sp_expect_kw(sp, "BUCKETS"))
                    return false;
            }
        } else if (fl_sp_accept_kw(sp, "WITH")) {
            if (!fl_sp_with(sp, d, &bucket_key_set)) return false;
        } else {
            break;
        }
    }
    fl_sp_accept(sp, ';');
    if (!fl_sp_end(sp)) return false;
    d->has_distribution = bucket_key_set;
    fl_spec_finish(sp->arena, d);
    return true;
}

fl_err_t fl_spec_parse_sql(fl_arena_t *arena, const char *sql, fl_sql_table_t *out,
                           const char **why) {
    fl_sp_t sp;
    if (fl_sp_init(&sp, arena, sql) && fl_sp_create(&sp, out)) return FL_ERR_NONE;
    *why = sp.why;
    return FL_ERR__INVAL;
}
