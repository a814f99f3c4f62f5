/* fl_arrow.c: Arrow IPC RecordBatch messages for Fluss ARROW log batches. The message layout
 * is described in fl_arrow.h; the flatbuffer encoding in fl_flatbuf.h.
 *
 * Flatbuffer tables used (Arrow format/Message.fbs, Schema.fbs; slot ids in brackets):
 *   Message         version:short[0] header_type:ubyte[1] header:table[2] bodyLength:long[3]
 *   RecordBatch     length:long[0] nodes:[FieldNode][1] buffers:[Buffer][2]
 *                   compression:BodyCompression[3]
 *   FieldNode       struct { length:long; null_count:long }        (16 bytes)
 *   Buffer          struct { offset:long; length:long }             (16 bytes)
 *   BodyCompression codec:byte[0] (LZ4_FRAME 0, ZSTD 1) method:byte[1] (BUFFER 0)
 *   Schema          endianness:short[0] fields:[Field][1]
 *   Field           name:string[0] nullable:bool[1] type_type:ubyte[2] type:table[3]
 *                   children:[Field][5]
 */
#include "fl_arrow.h"

#include <lz4frame.h>
#include <string.h>
#include <zstd.h>

#include "fl_flatbuf.h"

enum {
    MD_V4 = 3,
    MD_V5 = 4,
    HDR_SCHEMA = 1,
    HDR_RECORD_BATCH = 3,
    ARROW_CODEC_LZ4_FRAME = 0,
    ARROW_CODEC_ZSTD = 1,
    /* Type union members */
    TY_INT = 2,
    TY_FLOAT = 3,
    TY_BINARY = 4,
    TY_UTF8 = 5,
    TY_BOOL = 6,
    TY_DECIMAL = 7,
    TY_DATE = 8,
    TY_TIME = 9,
    TY_TIMESTAMP = 10,
    TY_LIST = 12,
    TY_STRUCT = 13,
    TY_FIXED_BINARY = 15,
    TY_MAP = 17,
};

/* Buffer slack a compressed buffer may declare beyond what its node needs. */
#define ARROW_SLACK 64

/* How a Fluss type is laid out in Arrow. */
typedef enum kind_e {
    K_BAD = 0,
    K_BOOL,   /* validity + bits */
    K_FIXED,  /* validity + width-byte values */
    K_VAR,    /* validity + offsets + bytes */
    K_LIST,   /* validity + offsets, child element */
    K_MAP,    /* validity + offsets, child entries{key, value} */
    K_STRUCT, /* validity, children */
} kind_t;

static unsigned time_unit(int32_t precision) {
    if (precision <= 0) return 0;
    if (precision <= 3) return 1;
    if (precision <= 6) return 2;
    return 3;
}

/* @returns the layout kind of t and, for K_FIXED, the value width in bytes. */
static kind_t type_kind(const fl_type_t *t, size_t *width) {
    *width = 0;
    switch (t->root) {
    case FL_T_BOOLEAN: return K_BOOL;
    case FL_T_TINYINT: *width = 1; return K_FIXED;
    case FL_T_SMALLINT: *width = 2; return K_FIXED;
    case FL_T_INTEGER:
    case FL_T_FLOAT:
    case FL_T_DATE: *width = 4; return K_FIXED;
    case FL_T_BIGINT:
    case FL_T_DOUBLE:
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: *width = 8; return K_FIXED;
    case FL_T_TIME: *width = time_unit(t->precision) <= 1 ? 4 : 8; return K_FIXED;
    case FL_T_DECIMAL:
        if (t->precision < 1 || t->precision > 38) return K_BAD;
        *width = 16;
        return K_FIXED;
    case FL_T_BINARY:
        if (t->length < 1) return K_BAD;
        *width = (size_t)t->length;
        return K_FIXED;
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BYTES: return K_VAR;
    case FL_T_ARRAY: return t->n_children == 1 ? K_LIST : K_BAD;
    case FL_T_MAP: return t->n_children == 2 ? K_MAP : K_BAD;
    case FL_T_ROW: return t->n_children >= 1 ? K_STRUCT : K_BAD;
    default: return K_BAD;
    }
}

size_t fl_arrow_node_count(const fl_type_t *t) {
    size_t n = 1;
    if (t->root == FL_T_MAP) n++; /* entries */
    if (t->root == FL_T_ARRAY || t->root == FL_T_MAP || t->root == FL_T_ROW)
        for (uint32_t i = 0; i < t->n_children; i++) n += fl_arrow_node_count(&t->children[i]);
    return n;
}

size_t fl_arrow_buffer_count(const fl_type_t *t) {
    size_t w;
    switch (type_kind(t, &w)) {
    case K_BOOL:
    case K_FIXED: return 2;
    case K_VAR: return 3;
    case K_LIST: return 2 + fl_arrow_buffer_count(&t->children[0]);
    case K_MAP:
        return 2 + 1 + fl_arrow_buffer_count(&t->children[0]) +
               fl_arrow_buffer_count(&t->children[1]);
    case K_STRUCT: {
        size_t n = 1;
        for (uint32_t i = 0; i < t->n_children; i++) n += fl_arrow_buffer_count(&t->children[i]);
        return n;
    }
    default: return 0;
    }
}

/* @returns true when every node of t has a supported layout. */
static bool type_ok(const fl_type_t *t, unsigned depth) {
    size_t w;
    kind_t k = type_kind(t, &w);
    if (k == K_BAD || depth > 64) return false;
    if (k == K_LIST || k == K_MAP || k == K_STRUCT)
        for (uint32_t i = 0; i < t->n_children; i++)
            if (!type_ok(&t->children[i], depth + 1)) return false;
    return true;
}

static bool row_type_ok(const fl_type_t *row_type) {
    return row_type && row_type->root == FL_T_ROW && row_type->n_children >= 1 &&
           type_ok(row_type, 0);
}

static size_t round8(size_t n) {
    return (n + 7) & ~(size_t)7;
}

/* ======================================================================================== */
/* Message framing and RecordBatch metadata                                                 */
/* ======================================================================================== */

/* The parts of a RecordBatch message located and bounds-checked. */
typedef struct msg_s {
    fl_reader_t md;          /* over the flatbuffer */
    fl_fbt_t rb;             /* RecordBatch table */
    int64_t length;          /* rows */
    size_t nodes, n_nodes;   /* position of FieldNode 0, count */
    size_t bufs, n_bufs;     /* position of Buffer 0, count */
    bool compressed;
    fl_arrow_codec_t codec;
    const uint8_t *body;
    size_t body_len;
    size_t msg_len;
} msg_t;

static fl_err_t msg_parse(const uint8_t *p, size_t len, msg_t *m) {
    memset(m, 0, sizeof(*m));
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    int32_t meta_len = fl_rd_i32le(&rd);
    if (meta_len == -1) meta_len = fl_rd_i32le(&rd); /* else: legacy 4-byte prefix */
    if (rd.err) return rd.err;
    if (meta_len <= 0) return FL_ERR_CORRUPT_MESSAGE; /* 0 is end-of-stream */
    fl_rd_narrow(&rd, (size_t)meta_len, &m->md);
    if (rd.err) return rd.err;

    fl_reader_t *md = &m->md;
    fl_fbt_t msg;
    fl_fb_root(md, &msg);
    int64_t version = fl_fb_int(md, &msg, 0, 2, 0);
    int64_t htype = fl_fb_int(md, &msg, 1, 1, 0);
    int64_t body_len = fl_fb_int(md, &msg, 3, 8, 0);
    bool has_rb = fl_fb_table(md, &msg, 2, &m->rb);
    if (md->err) return md->err;
    if ((version != MD_V4 && version != MD_V5) || htype != HDR_RECORD_BATCH || !has_rb)
        return FL_ERR_CORRUPT_MESSAGE;
    if (body_len < 0 || (uint64_t)body_len > fl_rd_remaining(&rd)) return FL_ERR__UNDERFLOW;
    m->body = p + rd.off;
    m->body_len = (size_t)body_len;
    m->msg_len = rd.off + (size_t)body_len;

    m->length = fl_fb_int(md, &m->rb, 0, 8, 0);
    m->n_nodes = fl_fb_vector(md, &m->rb, 1, 16, &m->nodes);
    m->n_bufs = fl_fb_vector(md, &m->rb, 2, 16, &m->bufs);
    fl_fbt_t bc;
    m->compressed = fl_fb_table(md, &m->rb, 3, &bc);
    if (m->compressed) {
        int64_t codec = fl_fb_int(md, &bc, 0, 1, ARROW_CODEC_LZ4_FRAME);
        int64_t method = fl_fb_int(md, &bc, 1, 1, 0);
        if (!md->err && method != 0) return FL_ERR_CORRUPT_MESSAGE;
        if (codec == ARROW_CODEC_LZ4_FRAME)
            m->codec = FL_ARROW_CODEC_LZ4_FRAME;
        else if (codec == ARROW_CODEC_ZSTD)
            m->codec = FL_ARROW_CODEC_ZSTD;
        else if (!md->err)
            return FL_ERR_CORRUPT_MESSAGE;
    }
    if (md->err) return md->err;
    if (m->length < 0 || m->length > INT32_MAX) return FL_ERR_CORRUPT_MESSAGE;
    return FL_ERR_NONE;
}

/* ======================================================================================== */
/* Decoding                                                                                 */
/* ======================================================================================== */

typedef struct dec_s {
    fl_arena_t *arena;
    msg_t *m;
    size_t node_i, buf_i;
    size_t budget; /* decompressed bytes still allowed */
    fl_err_t err;
} dec_t;

static bool dec_fail(dec_t *d, fl_err_t err) {
    if (!d->err) d->err = err;
    return false;
}

static bool dec_lz4(dec_t *d, const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return dec_fail(d, FL_ERR__IO);
    size_t in_off = 0, out_off = 0, hint = 1;
    bool ok = false;
    while (hint != 0) {
        size_t in_n = n - in_off, out_n = cap - out_off;
        if (in_n == 0) break; /* truncated frame */
        hint = LZ4F_decompress(dctx, dst + out_off, &out_n, src + in_off, &in_n, NULL);
        if (LZ4F_isError(hint)) break;
        in_off += in_n;
        out_off += out_n;
        if (hint != 0 && in_n == 0 && out_n == 0) break; /* no progress: output full */
    }
    /* the whole frame, and exactly the declared size: a frame holding more stalls above */
    ok = hint == 0 && in_off == n && out_off == cap;
    LZ4F_freeDecompressionContext(dctx);
    return ok ? true : dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
}

/* Take the next body buffer. need = bytes the node requires; a buffer may be empty when
 * allow_empty. Compressed buffers are decompressed into the arena, bounded by need + slack
 * and by the budget. */
static bool dec_buffer(dec_t *d, size_t need, bool allow_empty, fl_view_t *out) {
    msg_t *m = d->m;
    out->p = NULL;
    out->len = 0;
    if (d->err) return false;
    if (d->buf_i >= m->n_bufs) return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
    int64_t off = fl_fb_i64_at(&m->md, m->bufs + 16 * d->buf_i);
    int64_t blen = fl_fb_i64_at(&m->md, m->bufs + 16 * d->buf_i + 8);
    d->buf_i++;
    if (m->md.err) return dec_fail(d, m->md.err);
    if (off < 0 || blen < 0 || (uint64_t)off > m->body_len ||
        (uint64_t)blen > m->body_len - (size_t)off)
        return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
    const uint8_t *raw = m->body + off;
    size_t n = (size_t)blen;

    if (!m->compressed || n == 0) {
        out->p = n ? raw : NULL;
        out->len = n;
    } else {
        if (n < 8) return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
        fl_reader_t rd;
        fl_rd_init(&rd, raw, 8);
        int64_t ulen = fl_rd_i64le(&rd);
        if (ulen == -1) {
            out->p = raw + 8;
            out->len = n - 8;
        } else if (ulen == 0) {
            /* empty buffer (Java writes the prefix alone) */
        } else {
            if (ulen < 0 || (uint64_t)ulen < need || (uint64_t)ulen > round8(need) + ARROW_SLACK)
                return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
            if ((size_t)ulen > d->budget) return dec_fail(d, FL_ERR__OVERFLOW);
            uint8_t *dst = fl_arena_try_alloc(d->arena, (size_t)ulen);
            if (!dst) return dec_fail(d, FL_ERR__OVERFLOW);
            d->budget -= (size_t)ulen;
            if (m->codec == FL_ARROW_CODEC_ZSTD) {
                size_t r = ZSTD_decompress(dst, (size_t)ulen, raw + 8, n - 8);
                if (ZSTD_isError(r) || r != (size_t)ulen)
                    return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
            } else if (!dec_lz4(d, raw + 8, n - 8, dst, (size_t)ulen)) {
                return false;
            }
            out->p = dst;
            out->len = (size_t)ulen;
        }
    }
    if (out->len == 0 && (allow_empty || need == 0)) return true;
    if (out->len < need) return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
    return true;
}

static int64_t popcount_bits(const uint8_t *p, int64_t n) {
    int64_t c = 0;
    int64_t full = n / 8;
    for (int64_t i = 0; i < full; i++) c += __builtin_popcount(p[i]);
    if (n % 8) c += __builtin_popcount(p[full] & ((1u << (n % 8)) - 1));
    return c;
}

/* Validate an offsets buffer of n + 1 int32 values: non-negative, non-decreasing.
 * @returns the last offset, or -1 on error. */
static int64_t check_offsets(const fl_arrow_col_t *col, int64_t n) {
    if (n == 0) return 0;
    int32_t prev = fl_arrow_col_offset(col, 0);
    if (prev < 0) return -1;
    for (int64_t j = 1; j <= n; j++) {
        int32_t o = fl_arrow_col_offset(col, j);
        if (o < prev) return -1;
        prev = o;
    }
    return prev;
}

static bool dec_col(dec_t *d, const fl_type_t *t, bool is_entries, int64_t min_len,
                    int64_t exact_len, fl_arrow_col_t *col);

/* Decode the children of a struct-shaped node (ROW fields, or MAP entries key/value). */
static bool dec_struct_children(dec_t *d, const fl_type_t *const *types, uint32_t n,
                                fl_arrow_col_t *col) {
    col->n_children = n;
    col->children = fl_arena_calloc(d->arena, n * sizeof(fl_arrow_col_t));
    for (uint32_t i = 0; i < n; i++)
        if (!dec_col(d, types[i], false, col->length, -1, &col->children[i])) return false;
    return true;
}

/* Decode one node (and its subtree) of type t. is_entries marks the struct inside a MAP (t is
 * then the MAP type). The node's length must be exact_len when >= 0, else >= min_len. */
static bool dec_col(dec_t *d, const fl_type_t *t, bool is_entries, int64_t min_len,
                    int64_t exact_len, fl_arrow_col_t *col) {
    msg_t *m = d->m;
    memset(col, 0, sizeof(*col));
    col->type = t;
    if (d->err) return false;
    if (d->node_i >= m->n_nodes) return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
    int64_t len = fl_fb_i64_at(&m->md, m->nodes + 16 * d->node_i);
    int64_t nulls = fl_fb_i64_at(&m->md, m->nodes + 16 * d->node_i + 8);
    d->node_i++;
    if (m->md.err) return dec_fail(d, m->md.err);
    if (len < 0 || len > INT32_MAX || nulls < 0 || nulls > len ||
        (exact_len >= 0 && len != exact_len) || len < min_len)
        return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
    col->length = len;
    col->null_count = nulls;

    fl_view_t v;
    size_t bitmap = (size_t)(len + 7) / 8;
    if (!dec_buffer(d, bitmap, nulls == 0, &v)) return false;
    if (v.len) {
        if (popcount_bits(v.p, len) != len - nulls) return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
        if (nulls) col->validity = v.p;
    }

    size_t width;
    kind_t k = is_entries ? K_STRUCT : type_kind(t, &width);
    if (!is_entries && (t->root == FL_T_TIME || t->root == FL_T_TIMESTAMP ||
                        t->root == FL_T_TIMESTAMP_LTZ))
        col->unit = (uint8_t)time_unit(t->precision);
    switch (k) {
    case K_BOOL:
    case K_FIXED: {
        size_t need = k == K_BOOL ? bitmap : (size_t)len * width;
        if (!dec_buffer(d, need, false, &v)) return false;
        col->values = v.p;
        col->values_len = v.len;
        return true;
    }
    case K_VAR:
    case K_LIST:
    case K_MAP: {
        if (!dec_buffer(d, len ? (size_t)(len + 1) * 4 : 0, len == 0, &v)) return false;
        col->offsets = v.p;
        int64_t last = check_offsets(col, len);
        if (last < 0) return dec_fail(d, FL_ERR_CORRUPT_MESSAGE);
        if (k == K_VAR) {
            if (!dec_buffer(d, (size_t)last, last == 0, &v)) return false;
            col->values = v.p;
            col->values_len = v.len;
            return true;
        }
        col->n_children = 1;
        col->children = fl_arena_calloc(d->arena, sizeof(fl_arrow_col_t));
        if (k == K_LIST) return dec_col(d, &t->children[0], false, last, -1, col->children);
        return dec_col(d, t, true, last, -1, col->children);
    }
    case K_STRUCT: {
        if (is_entries) {
            const fl_type_t *kv[2] = {&t->children[0], &t->children[1]};
            return dec_struct_children(d, kv, 2, col);
        }
        const fl_type_t **types = fl_arena_alloc(d->arena, t->n_children * sizeof(*types));
        for (uint32_t i = 0; i < t->n_children; i++) types[i] = &t->children[i];
        return dec_struct_children(d, types, t->n_children, col);
    }
    default: return dec_fail(d, FL_ERR__INVAL);
    }
}

fl_err_t fl_arrow_decode(fl_arena_t *arena, const fl_type_t *row_type, int64_t record_count,
                         const uint8_t *msg, size_t len, size_t max_decoded,
                         fl_arrow_batch_t **out) {
    *out = NULL;
    if (!row_type_ok(row_type)) return FL_ERR__INVAL;
    msg_t m;
    fl_err_t err = msg_parse(msg, len, &m);
    if (err) return err;
    if (record_count >= 0 && m.length != record_count) return FL_ERR_CORRUPT_MESSAGE;
    size_t want_nodes = 0, want_bufs = 0;
    for (uint32_t i = 0; i < row_type->n_children; i++) {
        want_nodes += fl_arrow_node_count(&row_type->children[i]);
        want_bufs += fl_arrow_buffer_count(&row_type->children[i]);
    }
    if (m.n_nodes != want_nodes || m.n_bufs != want_bufs) return FL_ERR_CORRUPT_MESSAGE;

    dec_t d = {.arena = arena, .m = &m, .budget = max_decoded ? max_decoded
                                                              : FL_ARROW_MAX_DECODED_DEFAULT};
    fl_arrow_batch_t *b = fl_arena_calloc(arena, sizeof(*b));
    b->row_type = row_type;
    b->n_rows = m.length;
    b->codec = m.compressed ? m.codec : FL_ARROW_CODEC_NONE;
    b->msg_len = m.msg_len;
    b->n_cols = row_type->n_children;
    b->cols = fl_arena_calloc(arena, b->n_cols * sizeof(fl_arrow_col_t));
    for (uint32_t i = 0; i < b->n_cols; i++) {
        const fl_type_t *t = &row_type->children[i];
        if (!dec_col(&d, t, false, 0, m.length, &b->cols[i])) break;
        /* a NOT NULL column holding nulls was not written by a Fluss writer */
        if (!t->nullable && b->cols[i].null_count) {
            dec_fail(&d, FL_ERR_CORRUPT_MESSAGE);
            break;
        }
    }
    if (d.err) return d.err;
    *out = b;
    return FL_ERR_NONE;
}

/* ---- values ---- */

/* Floor division and modulo for b > 0. */
static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if (a % b < 0) q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b) {
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

/* Minimal big-endian two's complement of the 16-byte little-endian value at p. */
static void decimal_big(const uint8_t *p, fl_arena_t *arena, fl_decimal_t *dec) {
    uint8_t be[16];
    for (int i = 0; i < 16; i++) be[i] = p[15 - i];
    int start = 0;
    while (start < 15 && ((be[start] == 0x00 && !(be[start + 1] & 0x80)) ||
                          (be[start] == 0xff && (be[start + 1] & 0x80))))
        start++;
    uint8_t *copy = fl_arena_alloc(arena, (size_t)(16 - start));
    memcpy(copy, be + start, (size_t)(16 - start));
    dec->big = copy;
    dec->big_len = (uint32_t)(16 - start);
}

void fl_arrow_col_get(const fl_arrow_col_t *col, int64_t i, fl_arena_t *arena,
                      fl_datum_t *out) {
    memset(out, 0, sizeof(*out));
    if (fl_arrow_col_is_null(col, i)) {
        out->is_null = true;
        return;
    }
    const fl_type_t *t = col->type;
    switch (t->root) {
    case FL_T_BOOLEAN: out->v.b = (col->values[i >> 3] >> (i & 7)) & 1; break;
    case FL_T_TINYINT: out->v.i8 = (int8_t)fl_arrow_col_int(col, i, 1); break;
    case FL_T_SMALLINT: out->v.i16 = (int16_t)fl_arrow_col_int(col, i, 2); break;
    case FL_T_INTEGER:
    case FL_T_DATE: out->v.i32 = (int32_t)fl_arrow_col_int(col, i, 4); break;
    case FL_T_BIGINT: out->v.i64 = fl_arrow_col_int(col, i, 8); break;
    case FL_T_FLOAT: {
        uint32_t u = (uint32_t)fl_arrow_col_int(col, i, 4);
        memcpy(&out->v.f32, &u, 4);
        break;
    }
    case FL_T_DOUBLE: {
        uint64_t u = (uint64_t)fl_arrow_col_int(col, i, 8);
        memcpy(&out->v.f64, &u, 8);
        break;
    }
    case FL_T_DECIMAL:
        if (fl_type_decimal_compact(t)) {
            /* low 64 bits; a compact decimal's unscaled value fits */
            out->v.dec.unscaled = fl_arrow_col_int(col, 2 * i, 8);
        } else {
            decimal_big(col->values + (size_t)i * 16, arena, &out->v.dec);
        }
        break;
    case FL_T_CHAR:
    case FL_T_STRING:
    case FL_T_BYTES: {
        int32_t a = fl_arrow_col_offset(col, i), b = fl_arrow_col_offset(col, i + 1);
        out->v.bytes.p = col->values ? col->values + a : (const uint8_t *)"";
        out->v.bytes.len = (uint32_t)(b - a);
        break;
    }
    case FL_T_BINARY:
        out->v.bytes.p = col->values + (size_t)i * (size_t)t->length;
        out->v.bytes.len = (uint32_t)t->length;
        break;
    case FL_T_TIME:
        switch (col->unit) {
        case 0: out->v.i32 = (int32_t)(fl_arrow_col_int(col, i, 4) * 1000); break;
        case 1: out->v.i32 = (int32_t)fl_arrow_col_int(col, i, 4); break;
        case 2: out->v.i32 = (int32_t)(fl_arrow_col_int(col, i, 8) / 1000); break;
        default: out->v.i32 = (int32_t)(fl_arrow_col_int(col, i, 8) / 1000000); break;
        }
        break;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: {
        int64_t v = fl_arrow_col_int(col, i, 8);
        switch (col->unit) {
        case 0: out->v.ts.millis = (int64_t)((uint64_t)v * 1000); break; /* wraps as Java */
        case 1: out->v.ts.millis = v; break;
        case 2:
            out->v.ts.millis = floor_div(v, 1000);
            out->v.ts.nanos = (int32_t)floor_mod(v, 1000) * 1000;
            break;
        default:
            out->v.ts.millis = floor_div(v, 1000000);
            out->v.ts.nanos = (int32_t)floor_mod(v, 1000000);
            break;
        }
        break;
    }
    case FL_T_ARRAY:
    case FL_T_MAP: {
        int32_t a = fl_arrow_col_offset(col, i), b = fl_arrow_col_offset(col, i + 1);
        uint32_t n = (uint32_t)(b - a);
        out->v.list.n = n;
        if (t->root == FL_T_ARRAY) {
            fl_datum_t *items = fl_arena_alloc(arena, (n ? n : 1) * sizeof(fl_datum_t));
            for (uint32_t k = 0; k < n; k++)
                fl_arrow_col_get(col->children, a + k, arena, &items[k]);
            out->v.list.items = items;
        } else {
            const fl_arrow_col_t *entries = col->children;
            fl_datum_t *keys = fl_arena_alloc(arena, (n ? n : 1) * sizeof(fl_datum_t));
            fl_datum_t *vals = fl_arena_alloc(arena, (n ? n : 1) * sizeof(fl_datum_t));
            for (uint32_t k = 0; k < n; k++) {
                fl_arrow_col_get(&entries->children[0], a + k, arena, &keys[k]);
                fl_arrow_col_get(&entries->children[1], a + k, arena, &vals[k]);
            }
            out->v.list.items = keys;
            out->v.list.values = vals;
        }
        break;
    }
    case FL_T_ROW: {
        uint32_t n = col->n_children;
        fl_datum_t *items = fl_arena_alloc(arena, n * sizeof(fl_datum_t));
        for (uint32_t k = 0; k < n; k++) fl_arrow_col_get(&col->children[k], i, arena, &items[k]);
        out->v.list.items = items;
        out->v.list.n = n;
        break;
    }
    default: out->is_null = true; break;
    }
}

fl_err_t fl_arrow_row(const fl_arrow_batch_t *batch, int64_t i, fl_arena_t *arena,
                      fl_datum_t *row) {
    if (i < 0 || i >= batch->n_rows) return FL_ERR__INVAL;
    for (uint32_t c = 0; c < batch->n_cols; c++)
        fl_arrow_col_get(&batch->cols[c], i, arena, &row[c]);
    return FL_ERR_NONE;
}

bool fl_arrow_iter_next(fl_arrow_iter_t *it, fl_arena_t *arena, fl_datum_t *row) {
    if (it->next >= it->batch->n_rows) return false;
    fl_arrow_row(it->batch, it->next++, arena, row);
    return true;
}

/* ======================================================================================== */
/* Encoding                                                                                 */
/* ======================================================================================== */

/* A column being built, shaped like the Arrow node tree. */
typedef struct enc_col_s {
    const fl_type_t *type;
    bool is_entries; /* the struct inside a MAP (type is the MAP) */
    kind_t kind;
    size_t width;
    int64_t length, null_count;
    fl_buf_t validity, offsets, values;
    uint32_t n_children;
    struct enc_col_s *children;
} enc_col_t;

static void enc_init(enc_col_t *c, const fl_type_t *t, bool is_entries) {
    memset(c, 0, sizeof(*c));
    c->type = t;
    c->is_entries = is_entries;
    c->kind = is_entries ? K_STRUCT : type_kind(t, &c->width);
    fl_buf_init(&c->validity);
    fl_buf_init(&c->offsets);
    fl_buf_init(&c->values);
    if (c->kind == K_LIST) {
        c->n_children = 1;
        c->children = fl_calloc(1, sizeof(enc_col_t));
        enc_init(c->children, &t->children[0], false);
    } else if (c->kind == K_MAP) {
        c->n_children = 1;
        c->children = fl_calloc(1, sizeof(enc_col_t));
        enc_init(c->children, t, true);
    } else if (c->kind == K_STRUCT) {
        c->n_children = is_entries ? 2 : t->n_children;
        c->children = fl_calloc(c->n_children, sizeof(enc_col_t));
        for (uint32_t i = 0; i < c->n_children; i++)
            enc_init(&c->children[i], &t->children[i], false);
    }
}

static void enc_free(enc_col_t *c) {
    for (uint32_t i = 0; i < c->n_children; i++) enc_free(&c->children[i]);
    fl_free(c->children);
    fl_buf_free(&c->validity);
    fl_buf_free(&c->offsets);
    fl_buf_free(&c->values);
}

static void put_le(fl_buf_t *b, uint64_t v, size_t n) {
    uint8_t *p = fl_buf_extend(b, n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Append bit i (value on) to a bitmap buffer holding i bits so far. */
static void put_bit(fl_buf_t *b, int64_t i, bool on) {
    if ((size_t)(i / 8) >= b->len) fl_buf_put_u8(b, 0);
    if (on) b->p[i / 8] |= (uint8_t)(1u << (i % 8));
}

static int64_t enc_child_len(const enc_col_t *c) {
    return c->children[0].length;
}

static void put_offset(enc_col_t *c, int64_t v) {
    if (c->offsets.len == 0) put_le(&c->offsets, 0, 4);
    put_le(&c->offsets, (uint64_t)v, 4);
}

/* Fixed-width bytes of a non-null value; @returns false when it does not fit the type. */
static bool enc_fixed(enc_col_t *c, const fl_datum_t *v) {
    const fl_type_t *t = c->type;
    switch (t->root) {
    case FL_T_TINYINT: put_le(&c->values, (uint8_t)v->v.i8, 1); return true;
    case FL_T_SMALLINT: put_le(&c->values, (uint16_t)v->v.i16, 2); return true;
    case FL_T_INTEGER:
    case FL_T_DATE: put_le(&c->values, (uint32_t)v->v.i32, 4); return true;
    case FL_T_BIGINT: put_le(&c->values, (uint64_t)v->v.i64, 8); return true;
    case FL_T_FLOAT: {
        uint32_t u;
        memcpy(&u, &v->v.f32, 4);
        put_le(&c->values, u, 4);
        return true;
    }
    case FL_T_DOUBLE: {
        uint64_t u;
        memcpy(&u, &v->v.f64, 8);
        put_le(&c->values, u, 8);
        return true;
    }
    case FL_T_DECIMAL: {
        uint8_t le[16];
        if (fl_type_decimal_compact(t)) {
            uint64_t u = (uint64_t)v->v.dec.unscaled;
            for (int i = 0; i < 8; i++) le[i] = (uint8_t)(u >> (8 * i));
            memset(le + 8, v->v.dec.unscaled < 0 ? 0xff : 0x00, 8);
        } else {
            uint32_t n = v->v.dec.big_len;
            if (n > 16) return false;
            bool neg = n && (v->v.dec.big[0] & 0x80);
            memset(le, neg ? 0xff : 0x00, 16);
            for (uint32_t i = 0; i < n; i++) le[i] = v->v.dec.big[n - 1 - i];
        }
        fl_buf_put(&c->values, le, 16);
        return true;
    }
    case FL_T_BINARY:
        if (v->v.bytes.len != (uint32_t)t->length) return false;
        fl_buf_put(&c->values, v->v.bytes.p, v->v.bytes.len);
        return true;
    case FL_T_TIME: {
        int32_t ms = v->v.i32;
        switch (time_unit(t->precision)) {
        case 0: put_le(&c->values, (uint32_t)(ms / 1000), 4); break;
        case 1: put_le(&c->values, (uint32_t)ms, 4); break;
        case 2: put_le(&c->values, (uint64_t)((int64_t)ms * 1000), 8); break;
        default: put_le(&c->values, (uint64_t)((int64_t)ms * 1000000), 8); break;
        }
        return true;
    }
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: {
        int64_t ms = v->v.ts.millis, x;
        switch (time_unit(t->precision)) {
        case 0: x = ms / 1000; break;
        case 1: x = ms; break;
        /* unsigned arithmetic: out-of-range instants wrap (as in Java) instead of UB */
        case 2: x = (int64_t)((uint64_t)ms * 1000 + (uint64_t)(v->v.ts.nanos / 1000)); break;
        default: x = (int64_t)((uint64_t)ms * 1000000 + (uint64_t)v->v.ts.nanos); break;
        }
        put_le(&c->values, (uint64_t)x, 8);
        return true;
    }
    default: return false;
    }
}

static bool enc_append(enc_col_t *c, const fl_datum_t *v);

/* Append a value (v may be NULL: a null slot). */
static bool enc_append(enc_col_t *c, const fl_datum_t *v) {
    bool null = !v || v->is_null;
    int64_t i = c->length++;
    put_bit(&c->validity, i, !null);
    if (null) c->null_count++;
    switch (c->kind) {
    case K_BOOL: put_bit(&c->values, i, !null && v->v.b); return true;
    case K_FIXED:
        if (null) {
            memset(fl_buf_extend(&c->values, c->width), 0, c->width);
            return true;
        }
        return enc_fixed(c, v);
    case K_VAR:
        if (!null) fl_buf_put(&c->values, v->v.bytes.p, v->v.bytes.len);
        if (c->values.len > INT32_MAX) return false;
        put_offset(c, (int64_t)c->values.len);
        return true;
    case K_LIST:
        if (!null)
            for (uint32_t k = 0; k < v->v.list.n; k++)
                if (!enc_append(c->children, &v->v.list.items[k])) return false;
        if (enc_child_len(c) > INT32_MAX) return false;
        put_offset(c, enc_child_len(c));
        return true;
    case K_MAP: {
        enc_col_t *e = c->children;
        if (!null) {
            for (uint32_t k = 0; k < v->v.list.n; k++) {
                put_bit(&e->validity, e->length++, true);
                if (!enc_append(&e->children[0], &v->v.list.items[k]) ||
                    !enc_append(&e->children[1], &v->v.list.values[k]))
                    return false;
            }
        }
        if (e->length > INT32_MAX) return false;
        put_offset(c, e->length);
        return true;
    }
    case K_STRUCT:
        if (!null && v->v.list.n != c->n_children) return false;
        for (uint32_t k = 0; k < c->n_children; k++)
            if (!enc_append(&c->children[k], null ? NULL : &v->v.list.items[k])) return false;
        return true;
    default: return false;
    }
}

/* Body layout being assembled: node and buffer lists plus the body bytes. */
typedef struct body_s {
    fl_buf_t nodes;   /* FieldNode structs, 16 bytes each */
    fl_buf_t layout;  /* Buffer structs */
    fl_buf_t body;
    fl_arrow_codec_t codec;
    int level;
    size_t n_nodes, n_bufs;
    ZSTD_CCtx *zctx;  /* one compression context for every buffer of the batch */
} body_t;

static void body_pad(fl_buf_t *b) {
    size_t pad = round8(b->len) - b->len;
    if (pad) memset(fl_buf_extend(b, pad), 0, pad);
}

/* Add one buffer (n bytes at p), compressing it as Arrow Java's AbstractCompressionCodec:
 * compressed larger than raw -> prefix -1 and the raw bytes; empty -> see below. */
static fl_err_t body_add(body_t *bd, const uint8_t *p, size_t n) {
    size_t start = bd->body.len;
    if (bd->codec == FL_ARROW_CODEC_NONE) {
        fl_buf_put(&bd->body, p, n);
    } else if (n == 0) {
        /* Java writes the prefix 0 alone. Arrow C++ (pyarrow) cannot read that for LZ4 (it
         * hands the empty payload to the LZ4 frame decoder), while Arrow Java's VectorLoader and
         * arrow-rs skip 0-length buffers; so LZ4 gets the 0-length form, ZSTD Java's. */
        if (bd->codec == FL_ARROW_CODEC_ZSTD) put_le(&bd->body, 0, 8);
    } else {
        size_t bound = bd->codec == FL_ARROW_CODEC_ZSTD ? ZSTD_compressBound(n) : 0;
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof(prefs));
        prefs.frameInfo.blockSizeID = LZ4F_max64KB;
        prefs.frameInfo.blockMode = LZ4F_blockIndependent;
        if (bd->codec == FL_ARROW_CODEC_LZ4_FRAME) bound = LZ4F_compressFrameBound(n, &prefs);
        size_t at = bd->body.len;
        fl_buf_extend(&bd->body, 8 + bound);
        uint8_t *dst = bd->body.p + at + 8;
        size_t r;
        if (bd->codec == FL_ARROW_CODEC_ZSTD) {
            if (!bd->zctx && !(bd->zctx = ZSTD_createCCtx())) return FL_ERR__IO;
            r = ZSTD_compressCCtx(bd->zctx, dst, bound, p, n, bd->level);
            if (ZSTD_isError(r)) return FL_ERR__IO;
        } else {
            r = LZ4F_compressFrame(dst, bound, p, n, &prefs);
            if (LZ4F_isError(r)) return FL_ERR__IO;
        }
        bd->body.len = at;
        if (r > n) {
            put_le(&bd->body, UINT64_MAX, 8); /* -1: raw */
            fl_buf_put(&bd->body, p, n);
        } else {
            put_le(&bd->body, n, 8);
            bd->body.len += r; /* compressed bytes are already in place */
        }
    }
    put_le(&bd->layout, start, 8);
    put_le(&bd->layout, bd->body.len - start, 8);
    bd->n_bufs++;
    body_pad(&bd->body);
    return FL_ERR_NONE;
}

/* Emit nodes and buffers of c in pre-order, with the buffer sizes Arrow Java's vectors report:
 * everything empty for a 0-length node; validity ceil(n/8); offsets (n+1)*4. */
static fl_err_t body_col(body_t *bd, const enc_col_t *c) {
    fl_err_t err;
    put_le(&bd->nodes, (uint64_t)c->length, 8);
    put_le(&bd->nodes, (uint64_t)c->null_count, 8);
    bd->n_nodes++;
    bool empty = c->length == 0;
    if ((err = body_add(bd, c->validity.p, empty ? 0 : c->validity.len))) return err;
    switch (c->kind) {
    case K_BOOL:
    case K_FIXED: return body_add(bd, c->values.p, empty ? 0 : c->values.len);
    case K_VAR:
        if ((err = body_add(bd, c->offsets.p, empty ? 0 : c->offsets.len))) return err;
        return body_add(bd, c->values.p, empty ? 0 : c->values.len);
    case K_LIST:
    case K_MAP:
        if ((err = body_add(bd, c->offsets.p, empty ? 0 : c->offsets.len))) return err;
        return body_col(bd, c->children);
    case K_STRUCT:
        for (uint32_t k = 0; k < c->n_children; k++)
            if ((err = body_col(bd, &c->children[k]))) return err;
        return FL_ERR_NONE;
    default: return FL_ERR__INVAL;
    }
}

/* Append continuation + metadata length + Message{RecordBatch} + body to out. The metadata is
 * padded so that the body starts 8-aligned relative to the message start. */
static void write_record_batch(fl_buf_t *out, int64_t length, const uint8_t *nodes,
                               size_t n_nodes, const uint8_t *layout, size_t n_bufs,
                               bool compressed, fl_arrow_codec_t codec, const uint8_t *body,
                               size_t body_len) {
    fl_buf_put_i32le(out, -1);
    size_t len_at = fl_buf_reserve(out, 4);
    size_t md_start = out->len;
    fl_fbb_t b;
    fl_fbb_init(&b, out);
    fl_fbb_field_t mf[] = {
        {.id = 0, .size = 2, .value = MD_V5},
        {.id = 1, .size = 1, .value = HDR_RECORD_BATCH},
        {.id = 2, .size = 4, .is_ref = true},
        {.id = 3, .size = 8, .value = body_len},
    };
    size_t msg = fl_fbb_table(&b, mf, FL_ARRAY_LEN(mf));
    fl_fbb_field_t rf[] = {
        {.id = 0, .size = 8, .value = (uint64_t)length},
        {.id = 1, .size = 4, .is_ref = true},
        {.id = 2, .size = 4, .is_ref = true},
        {.id = 3, .size = 4, .is_ref = true},
    };
    size_t rb = fl_fbb_table(&b, rf, compressed ? 4 : 3);
    fl_fbb_patch_ref(&b, mf[2].pos, rb);
    size_t nv = fl_fbb_vector(&b, n_nodes, 8);
    fl_buf_put(out, nodes, 16 * n_nodes);
    fl_fbb_patch_ref(&b, rf[1].pos, nv);
    size_t bv = fl_fbb_vector(&b, n_bufs, 8);
    fl_buf_put(out, layout, 16 * n_bufs);
    fl_fbb_patch_ref(&b, rf[2].pos, bv);
    if (compressed) {
        fl_fbb_field_t cf[] = {
            {.id = 0, .size = 1,
             .value = codec == FL_ARROW_CODEC_ZSTD ? ARROW_CODEC_ZSTD : ARROW_CODEC_LZ4_FRAME},
            {.id = 1, .size = 1, .value = 0},
        };
        size_t bc = fl_fbb_table(&b, cf, FL_ARRAY_LEN(cf));
        fl_fbb_patch_ref(&b, rf[3].pos, bc);
    }
    fl_fbb_finish(&b, msg);
    fl_buf_patch_i32le(out, len_at, (int32_t)(out->len - md_start));
    fl_buf_put(out, body, body_len);
}

fl_err_t fl_arrow_encode(const fl_type_t *row_type, const fl_datum_t *const *rows,
                         size_t n_rows, fl_arrow_codec_t codec, int level, fl_buf_t *out) {
    if (!row_type_ok(row_type) || (unsigned)codec > FL_ARROW_CODEC_ZSTD) return FL_ERR__INVAL;
    if (n_rows == 0) return FL_ERR_NONE;
    if (n_rows > INT32_MAX) return FL_ERR__INVAL;
    uint32_t n_cols = row_type->n_children;
    enc_col_t *cols = fl_calloc(n_cols, sizeof(enc_col_t));
    for (uint32_t c = 0; c < n_cols; c++) enc_init(&cols[c], &row_type->children[c], false);
    body_t bd;
    memset(&bd, 0, sizeof(bd));
    fl_buf_init(&bd.nodes);
    fl_buf_init(&bd.layout);
    fl_buf_init(&bd.body);
    bd.codec = codec;
    bd.level = level;

    fl_err_t err = FL_ERR_NONE;
    for (size_t r = 0; r < n_rows && !err; r++)
        for (uint32_t c = 0; c < n_cols && !err; c++)
            if (!enc_append(&cols[c], &rows[r][c])) err = FL_ERR__INVAL;
    for (uint32_t c = 0; c < n_cols && !err; c++) err = body_col(&bd, &cols[c]);
    if (!err)
        write_record_batch(out, (int64_t)n_rows, bd.nodes.p, bd.n_nodes, bd.layout.p,
                           bd.n_bufs, codec != FL_ARROW_CODEC_NONE, codec, bd.body.p,
                           bd.body.len);

    for (uint32_t c = 0; c < n_cols; c++) enc_free(&cols[c]);
    fl_free(cols);
    fl_buf_free(&bd.nodes);
    fl_buf_free(&bd.layout);
    fl_buf_free(&bd.body);
    ZSTD_freeCCtx(bd.zctx);
    return err;
}

/* ---- schema ---- */

/* Write the type table of t (the Field.type union value). @returns its position. */
static size_t schema_type(fl_fbb_t *b, const fl_type_t *t) {
    fl_fbb_field_t f[3];
    size_t n = 0;
    unsigned unit = time_unit(t->precision);
    switch (t->root) {
    case FL_T_TINYINT:
    case FL_T_SMALLINT:
    case FL_T_INTEGER:
    case FL_T_BIGINT: {
        static const uint8_t bits[] = {[FL_T_TINYINT] = 8, [FL_T_SMALLINT] = 16,
                                       [FL_T_INTEGER] = 32, [FL_T_BIGINT] = 64};
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 4, .value = bits[t->root]};
        f[n++] = (fl_fbb_field_t){.id = 1, .size = 1, .value = 1};
        break;
    }
    case FL_T_FLOAT:
    case FL_T_DOUBLE:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 2, .value = t->root == FL_T_FLOAT ? 1 : 2};
        break;
    case FL_T_DECIMAL:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 4, .value = (uint32_t)t->precision};
        f[n++] = (fl_fbb_field_t){.id = 1, .size = 4, .value = (uint32_t)t->scale};
        f[n++] = (fl_fbb_field_t){.id = 2, .size = 4, .value = 128};
        break;
    case FL_T_BINARY:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 4, .value = (uint32_t)t->length};
        break;
    case FL_T_DATE:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 2, .value = 0}; /* DAY */
        break;
    case FL_T_TIME:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 2, .value = unit};
        f[n++] = (fl_fbb_field_t){.id = 1, .size = 4, .value = unit <= 1 ? 32 : 64};
        break;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 2, .value = unit};
        break;
    case FL_T_MAP:
        f[n++] = (fl_fbb_field_t){.id = 0, .size = 1, .value = 0}; /* keysSorted */
        break;
    default: break; /* Bool, Utf8, Binary, List, Struct_: empty tables */
    }
    return fl_fbb_table(b, f, n);
}

/* @returns the Type union member for t (Struct_ for a MAP's entries). */
static uint8_t type_union(const fl_type_t *t, bool is_entries) {
    switch (is_entries ? FL_T_ROW : t->root) {
    case FL_T_BOOLEAN: return TY_BOOL;
    case FL_T_TINYINT:
    case FL_T_SMALLINT:
    case FL_T_INTEGER:
    case FL_T_BIGINT: return TY_INT;
    case FL_T_FLOAT:
    case FL_T_DOUBLE: return TY_FLOAT;
    case FL_T_DECIMAL: return TY_DECIMAL;
    case FL_T_CHAR:
    case FL_T_STRING: return TY_UTF8;
    case FL_T_BYTES: return TY_BINARY;
    case FL_T_BINARY: return TY_FIXED_BINARY;
    case FL_T_DATE: return TY_DATE;
    case FL_T_TIME: return TY_TIME;
    case FL_T_TIMESTAMP:
    case FL_T_TIMESTAMP_LTZ: return TY_TIMESTAMP;
    case FL_T_ARRAY: return TY_LIST;
    case FL_T_MAP: return TY_MAP;
    default: return TY_STRUCT;
    }
}

/* Write Field{name, nullable, type, children}; with is_entries, the entries struct of the
 * MAP type t. @returns the table position. */
static size_t schema_field(fl_fbb_t *b, const char *name, const fl_type_t *t, bool is_entries) {
    fl_fbb_field_t f[] = {
        {.id = 0, .size = 4, .is_ref = true},
        {.id = 1, .size = 1, .value = is_entries ? 0 : t->nullable},
        {.id = 2, .size = 1, .value = 0},
        {.id = 3, .size = 4, .is_ref = true},
        {.id = 5, .size = 4, .is_ref = true},
    };
    f[2].value = type_union(t, is_entries);
    size_t tab = fl_fbb_table(b, f, FL_ARRAY_LEN(f));
    fl_fbb_patch_ref(b, f[0].pos, fl_fbb_string(b, name, strlen(name)));
    size_t ty = is_entries ? fl_fbb_table(b, NULL, 0) : schema_type(b, t);
    fl_fbb_patch_ref(b, f[3].pos, ty);

    uint32_t n = 0;
    if (is_entries) n = 2;
    else if (t->root == FL_T_ARRAY || t->root == FL_T_MAP) n = 1;
    else if (t->root == FL_T_ROW) n = t->n_children;
    size_t vec = fl_fbb_ref_vector(b, n);
    fl_fbb_patch_ref(b, f[4].pos, vec);
    for (uint32_t i = 0; i < n; i++) {
        size_t child;
        if (is_entries)
            child = schema_field(b, i == 0 ? "key" : "value", &t->children[i], false);
        else if (t->root == FL_T_ARRAY)
            child = schema_field(b, "element", &t->children[0], false);
        else if (t->root == FL_T_MAP)
            child = schema_field(b, "entries", t, true);
        else
            child = schema_field(b, t->field_names ? t->field_names[i] : "", &t->children[i],
                                 false);
        fl_fbb_patch_ref(b, vec + 4 + 4 * i, child);
    }
    return tab;
}

fl_err_t fl_arrow_encode_schema(const fl_type_t *row_type, fl_buf_t *out) {
    if (!row_type_ok(row_type)) return FL_ERR__INVAL;
    fl_buf_put_i32le(out, -1);
    size_t len_at = fl_buf_reserve(out, 4);
    size_t md_start = out->len;
    fl_fbb_t b;
    fl_fbb_init(&b, out);
    fl_fbb_field_t mf[] = {
        {.id = 0, .size = 2, .value = MD_V5},
        {.id = 1, .size = 1, .value = HDR_SCHEMA},
        {.id = 2, .size = 4, .is_ref = true},
        {.id = 3, .size = 8, .value = 0},
    };
    size_t msg = fl_fbb_table(&b, mf, FL_ARRAY_LEN(mf));
    fl_fbb_field_t sf[] = {
        {.id = 0, .size = 2, .value = 0}, /* little endian */
        {.id = 1, .size = 4, .is_ref = true},
    };
    size_t sch = fl_fbb_table(&b, sf, FL_ARRAY_LEN(sf));
    fl_fbb_patch_ref(&b, mf[2].pos, sch);
    size_t vec = fl_fbb_ref_vector(&b, row_type->n_children);
    fl_fbb_patch_ref(&b, sf[1].pos, vec);
    for (uint32_t i = 0; i < row_type->n_children; i++) {
        const char *name = row_type->field_names ? row_type->field_names[i] : "";
        size_t f = schema_field(&b, name, &row_type->children[i], false);
        fl_fbb_patch_ref(&b, vec + 4 + 4 * i, f);
    }
    fl_fbb_finish(&b, msg);
    fl_buf_patch_i32le(out, len_at, (int32_t)(out->len - md_start));
    return FL_ERR_NONE;
}

/* ======================================================================================== */
/* Projection                                                                               */
/* ======================================================================================== */

fl_err_t fl_arrow_project(const fl_type_t *row_type, const uint8_t *msg, size_t len,
                          const uint32_t *cols, size_t n, fl_buf_t *out) {
    if (!row_type_ok(row_type)) return FL_ERR__INVAL;
    if (n == 0) return FL_ERR_INVALID_COLUMN_PROJECTION;
    for (size_t i = 0; i < n; i++)
        if (cols[i] >= row_type->n_children || (i > 0 && cols[i] <= cols[i - 1]))
            return FL_ERR_INVALID_COLUMN_PROJECTION;
    msg_t m;
    fl_err_t err = msg_parse(msg, len, &m);
    if (err) return err;
    size_t want_nodes = 0, want_bufs = 0;
    for (uint32_t c = 0; c < row_type->n_children; c++) {
        want_nodes += fl_arrow_node_count(&row_type->children[c]);
        want_bufs += fl_arrow_buffer_count(&row_type->children[c]);
    }
    if (m.n_nodes != want_nodes || m.n_bufs != want_bufs) return FL_ERR_CORRUPT_MESSAGE;

    fl_buf_t nodes, layout, body;
    fl_buf_init(&nodes);
    fl_buf_init(&layout);
    fl_buf_init(&body);
    size_t node_i = 0, buf_i = 0, k = 0, out_nodes = 0, out_bufs = 0;
    for (uint32_t c = 0; c < row_type->n_children && !err; c++) {
        const fl_type_t *t = &row_type->children[c];
        size_t nn = fl_arrow_node_count(t), nb = fl_arrow_buffer_count(t);
        bool sel = k < n && cols[k] == c;
        if (sel) k++;
        /* every top-level node has the batch's length, selected or not */
        if (fl_fb_i64_at(&m.md, m.nodes + 16 * node_i) != m.length) err = FL_ERR_CORRUPT_MESSAGE;
        for (size_t j = 0; j < nn && sel; j++) {
            int64_t nl = fl_fb_i64_at(&m.md, m.nodes + 16 * (node_i + j));
            int64_t nc = fl_fb_i64_at(&m.md, m.nodes + 16 * (node_i + j) + 8);
            if (nl < 0 || nc < 0 || nc > nl) err = FL_ERR_CORRUPT_MESSAGE;
            put_le(&nodes, (uint64_t)nl, 8);
            put_le(&nodes, (uint64_t)nc, 8);
            out_nodes++;
        }
        for (size_t j = 0; j < nb; j++) {
            int64_t off = fl_fb_i64_at(&m.md, m.bufs + 16 * (buf_i + j));
            int64_t bl = fl_fb_i64_at(&m.md, m.bufs + 16 * (buf_i + j) + 8);
            if (off < 0 || bl < 0 || (uint64_t)off > m.body_len ||
                (uint64_t)bl > m.body_len - (size_t)off) {
                err = FL_ERR_CORRUPT_MESSAGE;
                break;
            }
            if (!sel) continue;
            put_le(&layout, body.len, 8);
            put_le(&layout, (uint64_t)bl, 8);
            fl_buf_put(&body, m.body + off, (size_t)bl);
            body_pad(&body);
            out_bufs++;
        }
        node_i += nn;
        buf_i += nb;
    }
    if (m.md.err && !err) err = m.md.err;
    if (!err)
        write_record_batch(out, m.length, nodes.p, out_nodes, layout.p, out_bufs, m.compressed,
                           m.codec, body.p, body.len);
    fl_buf_free(&nodes);
    fl_buf_free(&layout);
    fl_buf_free(&body);
    return err;
}
