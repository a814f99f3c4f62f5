/* fl_roaring.c: see fl_roaring.h.
 *
 * Containers (both formats): the low 16 bits of the values sharing one high key.
 *   array  : card x u16 LE, strictly increasing
 *   bitmap : 1024 x u64 LE, bit (v & 63) of word (v >> 6)
 *   run    : [u16 LE n_runs] then n_runs x (u16 LE start, u16 LE length-1), in order,
 *            non-overlapping, start + length-1 <= 65535
 *
 * rbm32: portable RoaringBitmap (all integers little-endian)
 *   off  size  field
 *   0    4     cookie: 12346 (no run containers) or 12347 | (n-1) << 16 (some run containers)
 *   4    4     n, only with cookie 12346 (n <= 65536)
 *   4    r     with cookie 12347: run flags, (n+7)/8 bytes, bit i set = container i is a run
 *   .    4n    n x (u16 key, u16 card-1), keys strictly increasing
 *   .    4n    n x u32 offsets of the containers; absent when cookie 12347 and n < 4
 *   .    ...   n containers: run if flagged, else bitmap if card > 4096, else array
 * Decoding is CRoaring's (roaring_bitmap_portable_deserialize_safe) after fl_rbm32_check has
 * verified every invariant with our reader: CRoaring 0.2.66 checks lengths, not contents.
 *
 * rbm64: Roaring64Bitmap.serialize(DataOutput) of RoaringBitmap 1.3.0, little-endian
 *   off  size  field
 *   0    1     tag: 0 = empty (nothing follows), otherwise not empty
 *   1    8     i64 key count: the number of ART leaves (48-bit high keys)
 *   9    ...   ART nodes in pre-order, children in ascending key-byte order. Each node:
 *                0  1  type: 0 Node4, 1 Node16, 2 Node48, 3 Node256, 4 leaf
 *                1  2  i16 child count (leaf: 0)
 *                3  1  prefix length p (signed; leaf: 0), then p prefix bytes
 *              then the body:
 *                Node4   4 bytes: an i32 LE whose byte (3-i) from the low end is child key i
 *                Node16  16 bytes: two i64 LE; child key i is byte 7-i (i < 8) / 23-i (i >= 8)
 *                Node48  256 bytes: slot of key byte k at (k & ~7) + 7 - (k & 7); 0xFF = none,
 *                        else the child's slot < 48 (children follow in key order regardless)
 *                Node256 32 bytes: 4 x u64 LE, bit k set = a child with key byte k
 *                leaf    6 bytes high key (big-endian), i64 container index (level << 32 | slot)
 *              A node at depth d (key bytes consumed) matches its p prefix bytes at d..d+p-1,
 *              its children's key bytes at d+p; a leaf holds its whole key.
 *   .    4     i32 level count L; per level: 1 byte trim mark (-2), i32 slot count S, S slots:
 *                1 byte 0 = null, or 1 then: u8 type (0 run, 1 bitmap, 2 array), i32 card,
 *                container (array: card values; the card of a bitmap must be its popcount)
 *   .    16    i64 container count, i32 last level, i32 last slot (allocation cursor)
 * We write one level with one container per leaf, in key order, and a minimal ART: a leaf as
 * soon as one key is left, else a node with the longest common prefix, of the smallest type
 * that holds its children. */
#include "fl_roaring.h"

#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>

#include "fl_reader.h"

#define RB_COOKIE_NORUN 12346
#define RB_COOKIE_RUN 12347
#define RB_MAX_CONTAINERS 65536
#define RB_ARRAY_MAX 4096
#define RB_BITMAP_BYTES 8192
#define RB_WORDS 1024

enum { RB_RUN = 0, RB_BITMAP = 1, RB_ARRAY = 2 }; /* rbm64 container type bytes */
enum { ART_N4 = 0, ART_N16 = 1, ART_N48 = 2, ART_N256 = 3, ART_LEAF = 4 };

/* One decoded container: a view of its data and its shape, checked. */
typedef struct fl_rb_cont_s {
    uint8_t type;        /* RB_RUN / RB_BITMAP / RB_ARRAY */
    uint32_t n;          /* array: values; run: runs; bitmap: popcount */
    const uint8_t *data; /* array values, run pairs (after n_runs) or bitmap words, LE */
} fl_rb_cont_t;

static uint16_t rb_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint64_t rb_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* Reads a container's data and checks its invariants. For a bitmap, want_card (>= 0) must be
 * its popcount; for an array, n is the value count from the header. */
static void rb_read_cont(fl_reader_t *rd, uint8_t type, size_t n, int64_t want_card,
                         fl_rb_cont_t *c /* OUT */) {
    c->type = type;
    c->n = 0;
    c->data = NULL;
    if (type == RB_ARRAY) {
        fl_view_t v = fl_rd_bytes(rd, 2 * n);
        if (rd->err) return;
        for (size_t i = 1; i < n; i++)
            if (rb_u16(v.p + 2 * i) <= rb_u16(v.p + 2 * i - 2)) fl_rd_fail(rd, FL_ERR__INVAL);
        c->n = (uint32_t)n;
        c->data = v.p;
    } else if (type == RB_BITMAP) {
        fl_view_t v = fl_rd_bytes(rd, RB_BITMAP_BYTES);
        if (rd->err) return;
        int64_t card = 0;
        for (size_t w = 0; w < RB_WORDS; w++) card += __builtin_popcountll(rb_u64(v.p + 8 * w));
        if (want_card >= 0 && card != want_card) fl_rd_fail(rd, FL_ERR__INVAL);
        c->n = (uint32_t)card;
        c->data = v.p;
    } else if (type == RB_RUN) {
        size_t runs = fl_rd_u16le(rd);
        fl_view_t v = fl_rd_bytes(rd, 4 * runs);
        if (rd->err) return;
        int64_t card = 0, next = 0; /* next: the smallest value a run may start at */
        for (size_t i = 0; i < runs; i++) {
            uint32_t start = rb_u16(v.p + 4 * i), last = start + rb_u16(v.p + 4 * i + 2);
            if ((int64_t)start < next || last > 0xFFFF) {
                fl_rd_fail(rd, FL_ERR__INVAL);
                return;
            }
            card += last - start + 1;
            next = (int64_t)last + 1;
        }
        if (want_card >= 0 && card != want_card) fl_rd_fail(rd, FL_ERR__INVAL);
        c->n = (uint32_t)runs;
        c->data = v.p;
    } else {
        fl_rd_fail(rd, FL_ERR__INVAL);
    }
}

/* ---- rbm32 ---------------------------------------------------------------------------------- */

fl_err_t fl_rbm32_check(const uint8_t *p, size_t len, size_t *used) {
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    uint32_t cookie = fl_rd_u32le(&rd);
    size_t n;
    fl_view_t runflags = {NULL, 0};
    bool hasrun = (cookie & 0xFFFF) == RB_COOKIE_RUN;
    if (hasrun) {
        n = (cookie >> 16) + 1;
        runflags = fl_rd_bytes(&rd, (n + 7) / 8);
    } else if (cookie == RB_COOKIE_NORUN) {
        n = fl_rd_count(&rd, fl_rd_u32le(&rd), RB_MAX_CONTAINERS);
    } else {
        return rd.err ? rd.err : FL_ERR__INVAL;
    }
    fl_view_t hdr = fl_rd_bytes(&rd, 4 * n);
    if (!hasrun || n >= 4) fl_rd_skip(&rd, 4 * n); /* offsets: not needed to decode */
    for (size_t i = 0; i < n && !rd.err; i++) {
        uint16_t key = rb_u16(hdr.p + 4 * i);
        size_t card = (size_t)rb_u16(hdr.p + 4 * i + 2) + 1;
        if (i && key <= rb_u16(hdr.p + 4 * i - 4)) fl_rd_fail(&rd, FL_ERR__INVAL);
        fl_rb_cont_t c;
        if (hasrun && (runflags.p[i / 8] >> (i % 8) & 1))
            rb_read_cont(&rd, RB_RUN, 0, (int64_t)card, &c);
        else if (card > RB_ARRAY_MAX) rb_read_cont(&rd, RB_BITMAP, 0, (int64_t)card, &c);
        else rb_read_cont(&rd, RB_ARRAY, card, -1, &c);
    }
    if (rd.err) return rd.err;
    *used = rd.off;
    return FL_ERR_NONE;
}

fl_err_t fl_rbm32_union(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                        fl_buf_t *out) {
    size_t au, bu;
    fl_err_t err = fl_rbm32_check(a, alen, &au);
    if (!err) err = fl_rbm32_check(b, blen, &bu);
    if (err) return err;
    roaring_bitmap_t *x = roaring_bitmap_portable_deserialize_safe((const char *)a, au);
    roaring_bitmap_t *y = x ? roaring_bitmap_portable_deserialize_safe((const char *)b, bu) : NULL;
    if (!x || !y) { /* checked above: only an allocation failure gets here */
        if (x) roaring_bitmap_free(x);
        return FL_ERR__INVAL;
    }
    roaring_bitmap_or_inplace(x, y);
    roaring_bitmap_free(y);
    roaring_bitmap_run_optimize(x);
    size_t n = roaring_bitmap_portable_size_in_bytes(x);
    uint8_t *dst = fl_buf_extend(out, n);
    size_t wrote = roaring_bitmap_portable_serialize(x, (char *)dst);
    roaring_bitmap_free(x);
    if (wrote != n) { /* CRoaring disagreeing with itself */
        out->len -= n;
        return FL_ERR__INVAL;
    }
    return FL_ERR_NONE;
}

/* ---- rbm64: decoding ------------------------------------------------------------------------ */

typedef struct rb_leaf_s {
    uint64_t key;  /* 48-bit high key */
    uint64_t cidx; /* container index: level << 32 | slot */
} rb_leaf_t;

typedef struct rb_slot_s {
    bool present;
    fl_rb_cont_t c;
} rb_slot_t;

/* A decoded Roaring64Bitmap. Arrays grow as elements decode (each element costs input bytes). */
typedef struct rb64_s {
    rb_leaf_t *leaves;
    size_t n_leaves, cap_leaves;
    rb_slot_t *slots; /* all levels' slots, level after level */
    size_t n_slots, cap_slots;
    size_t *level_start, *level_len;
    size_t n_levels, cap_levels;
} rb64_t;

static void rb64_free(rb64_t *m) {
    fl_free(m->leaves);
    fl_free(m->slots);
    fl_free(m->level_start);
    fl_free(m->level_len);
    memset(m, 0, sizeof(*m));
}

/* Makes room for element n of arr (capacity cap), doubling. */
#define RB_GROW(arr, n, cap)                                                                       \
    do {                                                                                           \
        if ((n) >= (cap)) {                                                                        \
            (cap) = (cap) ? 2 * (cap) : 16;                                                        \
            (arr) = fl_realloc((arr), (cap) * sizeof(*(arr)));                                     \
        }                                                                                          \
    } while (0)

static uint8_t rb_keybyte(uint64_t key, unsigned i) { return (uint8_t)(key >> (8 * (5 - i))); }

/* One ART node at depth (key bytes fixed so far, in path); level counts nodes on the way. */
static void rb_art_node(fl_reader_t *rd, rb64_t *m, uint8_t path[6], unsigned depth,
                        unsigned level) {
    uint8_t type = fl_rd_u8(rd);
    int16_t count = fl_rd_i16le(rd);
    int8_t plen = fl_rd_i8(rd);
    if (rd->err) return;
    if (plen < 0 || level > 6) {
        fl_rd_fail(rd, FL_ERR__INVAL);
        return;
    }
    if (type == ART_LEAF) {
        fl_rd_skip(rd, (size_t)plen); /* Java reads and ignores a leaf's prefix */
        fl_view_t k = fl_rd_bytes(rd, 6);
        uint64_t cidx = (uint64_t)fl_rd_i64le(rd);
        if (rd->err) return;
        uint64_t key = 0;
        for (int i = 0; i < 6; i++) key = key << 8 | k.p[i];
        bool ok = !m->n_leaves || key > m->leaves[m->n_leaves - 1].key;
        for (unsigned i = 0; i < depth; i++) ok &= k.p[i] == path[i];
        if (!ok) {
            fl_rd_fail(rd, FL_ERR__INVAL);
            return;
        }
        RB_GROW(m->leaves, m->n_leaves, m->cap_leaves);
        m->leaves[m->n_leaves++] = (rb_leaf_t){key, cidx};
        return;
    }
    /* an inner node needs room for its prefix and one key byte below it */
    if (depth + (unsigned)plen >= 6 || count < 0) {
        fl_rd_fail(rd, FL_ERR__INVAL);
        return;
    }
    fl_view_t pre = fl_rd_bytes(rd, (size_t)plen);
    if (rd->err) return;
    if (plen) memcpy(path + depth, pre.p, (size_t)plen);
    unsigned d = depth + (unsigned)plen;
    uint8_t kb[256];
    size_t n = 0;
    switch (type) {
    case ART_N4:
    case ART_N16: {
        size_t w = type == ART_N4 ? 4 : 16;
        fl_view_t body = fl_rd_bytes(rd, w);
        if (rd->err) return;
        if ((size_t)count > w) {
            fl_rd_fail(rd, FL_ERR__INVAL);
            return;
        }
        for (n = 0; n < (size_t)count; n++)
            kb[n] = type == ART_N4 ? body.p[3 - n] : body.p[n < 8 ? 7 - n : 23 - n];
        for (size_t i = 1; i < n; i++)
            if (kb[i] <= kb[i - 1]) fl_rd_fail(rd, FL_ERR__INVAL);
        break;
    }
    case ART_N48: {
        fl_view_t body = fl_rd_bytes(rd, 256);
        if (rd->err) return;
        uint64_t used = 0; /* slots taken, so that Java's child table stays consistent */
        for (unsigned k = 0; k < 256; k++) {
            uint8_t slot = body.p[(k & ~7u) + 7 - (k & 7)];
            if (slot == 0xFF) continue;
            if (slot >= 48 || (used >> slot & 1)) fl_rd_fail(rd, FL_ERR__INVAL);
            used |= (uint64_t)1 << (slot & 63);
            kb[n++] = (uint8_t)k;
        }
        break;
    }
    case ART_N256: {
        fl_view_t body = fl_rd_bytes(rd, 32);
        if (rd->err) return;
        for (unsigned k = 0; k < 256; k++)
            if (body.p[k >> 3] >> (k & 7) & 1) kb[n++] = (uint8_t)k;
        break;
    }
    default: fl_rd_fail(rd, FL_ERR__INVAL); return;
    }
    if (n != (size_t)count) fl_rd_fail(rd, FL_ERR__INVAL);
    for (size_t i = 0; i < n && !rd->err; i++) {
        path[d] = kb[i];
        rb_art_node(rd, m, path, d + 1, level + 1);
    }
}

static fl_err_t rb64_decode(const uint8_t *p, size_t len, rb64_t *m /* OUT */) {
    memset(m, 0, sizeof(*m));
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    if (fl_rd_u8(&rd) == 0) return rd.err; /* empty */
    int64_t keys = fl_rd_i64le(&rd);
    uint8_t path[6] = {0};
    rb_art_node(&rd, m, path, 0, 0);
    if (!rd.err && (keys < 0 || (uint64_t)keys != m->n_leaves)) fl_rd_fail(&rd, FL_ERR__INVAL);
    /* the container list */
    int32_t levels = fl_rd_i32le(&rd);
    if (levels < 0) fl_rd_fail(&rd, FL_ERR__INVAL);
    for (int32_t l = 0; l < levels && !rd.err; l++) {
        fl_rd_skip(&rd, 1); /* trim mark */
        int32_t nslots = fl_rd_i32le(&rd);
        if (rd.err) break;
        if (nslots < 0) {
            fl_rd_fail(&rd, FL_ERR__INVAL);
            break;
        }
        if (m->n_levels == m->cap_levels) {
            m->cap_levels = m->cap_levels ? 2 * m->cap_levels : 4;
            m->level_start = fl_realloc(m->level_start, m->cap_levels * sizeof(size_t));
            m->level_len = fl_realloc(m->level_len, m->cap_levels * sizeof(size_t));
        }
        m->level_start[m->n_levels] = m->n_slots;
        m->level_len[m->n_levels] = 0;
        m->n_levels++;
        for (int32_t s = 0; s < nslots && !rd.err; s++) {
            uint8_t tag = fl_rd_u8(&rd);
            rb_slot_t slot = {false, {0, 0, NULL}};
            if (tag == 1) {
                uint8_t type = fl_rd_u8(&rd);
                int32_t card = fl_rd_i32le(&rd);
                if (card < 0) fl_rd_fail(&rd, FL_ERR__INVAL);
                if (rd.err) break;
                /* a run's card is not read back by Java; a bitmap's is trusted, so must hold */
                rb_read_cont(&rd, type, (size_t)card, type == RB_BITMAP ? card : -1, &slot.c);
                slot.present = true;
            } else if (tag != 0) {
                fl_rd_fail(&rd, FL_ERR__INVAL);
            }
            if (rd.err) break;
            RB_GROW(m->slots, m->n_slots, m->cap_slots);
            m->slots[m->n_slots++] = slot;
            m->level_len[m->n_levels - 1]++;
        }
    }
    fl_rd_skip(&rd, 16); /* container count and the allocation cursor: ours to recompute */
    /* every leaf must name a container */
    for (size_t i = 0; i < m->n_leaves && !rd.err; i++) {
        uint64_t lvl = m->leaves[i].cidx >> 32, s = m->leaves[i].cidx & 0xFFFFFFFFu;
        if (lvl >= m->n_levels || s >= m->level_len[lvl] ||
            !m->slots[m->level_start[lvl] + s].present)
            fl_rd_fail(&rd, FL_ERR__INVAL);
    }
    if (rd.err) {
        fl_err_t err = rd.err;
        rb64_free(m);
        return err;
    }
    return FL_ERR_NONE;
}

static const fl_rb_cont_t *rb64_cont(const rb64_t *m, size_t leaf) {
    uint64_t cidx = m->leaves[leaf].cidx;
    return &m->slots[m->level_start[cidx >> 32] + (cidx & 0xFFFFFFFFu)].c;
}

/* bits |= the container's values */
static void rb_cont_or(uint64_t bits[RB_WORDS], const fl_rb_cont_t *c) {
    if (c->type == RB_ARRAY) {
        for (uint32_t i = 0; i < c->n; i++) {
            uint16_t v = rb_u16(c->data + 2 * i);
            bits[v >> 6] |= (uint64_t)1 << (v & 63);
        }
    } else if (c->type == RB_BITMAP) {
        for (size_t w = 0; w < RB_WORDS; w++) bits[w] |= rb_u64(c->data + 8 * w);
    } else {
        for (uint32_t i = 0; i < c->n; i++) {
            uint32_t v = rb_u16(c->data + 4 * i), last = v + rb_u16(c->data + 4 * i + 2);
            /* whole words where possible */
            while (v <= last) {
                if ((v & 63) == 0 && last - v >= 63) {
                    bits[v >> 6] = ~(uint64_t)0;
                    v += 64;
                } else {
                    bits[v >> 6] |= (uint64_t)1 << (v & 63);
                    v++;
                }
            }
        }
    }
}

/* ---- rbm64: encoding ------------------------------------------------------------------------ */

/* The output being built: keys in order, and their containers already in wire form. */
typedef struct rb64_out_s {
    uint64_t *keys;
    size_t n, cap;
    fl_buf_t conts; /* the slots: 01, type, card, data */
} rb64_out_t;

static void rb_put_u16(fl_buf_t *b, uint32_t v) {
    uint8_t *p = fl_buf_extend(b, 2);
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* The first v' >= v whose bit is set (clear: is clear); 65536 when there is none. */
static uint32_t rb_next(const uint64_t bits[RB_WORDS], uint32_t v, bool clear) {
    if (v >= 65536) return 65536;
    uint32_t w = v >> 6;
    uint64_t x = (clear ? ~bits[w] : bits[w]) & (~(uint64_t)0 << (v & 63));
    while (!x) {
        if (++w == RB_WORDS) return 65536;
        x = clear ? ~bits[w] : bits[w];
    }
    return w * 64 + (uint32_t)__builtin_ctzll(x);
}

/* Appends the container of bits under key, as runOptimize leaves it: an array up to 4096
 * values, else a bitmap, unless runs take fewer bytes. Nothing for an empty one. */
static void rb64_out_add(rb64_out_t *o, uint64_t key, const uint64_t bits[RB_WORDS]) {
    uint64_t card = 0, runs = 0, prev_top = 0; /* prev_top: bit 63 of the previous word */
    for (size_t w = 0; w < RB_WORDS; w++) {
        card += (uint64_t)__builtin_popcountll(bits[w]);
        runs += (uint64_t)__builtin_popcountll(bits[w] & ~(bits[w] << 1 | prev_top));
        prev_top = bits[w] >> 63;
    }
    if (!card) return;
    size_t base = card <= RB_ARRAY_MAX ? 2 * card : RB_BITMAP_BYTES;
    uint8_t type = 2 + 4 * runs < base ? RB_RUN : card <= RB_ARRAY_MAX ? RB_ARRAY : RB_BITMAP;
    fl_buf_t *b = &o->conts;
    fl_buf_put_u8(b, 1);
    fl_buf_put_u8(b, type);
    fl_buf_put_i32le(b, (int32_t)card);
    if (type == RB_BITMAP) {
        for (size_t w = 0; w < RB_WORDS; w++) fl_buf_put_i64le(b, (int64_t)bits[w]);
    } else if (type == RB_ARRAY) {
        for (uint32_t w = 0; w < RB_WORDS; w++)
            for (uint64_t x = bits[w]; x; x &= x - 1)
                rb_put_u16(b, w * 64 + (uint32_t)__builtin_ctzll(x));
    } else {
        rb_put_u16(b, (uint32_t)runs);
        uint32_t v = 0, start;
        while ((start = rb_next(bits, v, false)) < 65536) {
            v = rb_next(bits, start, true);
            rb_put_u16(b, start);
            rb_put_u16(b, v - 1 - start);
        }
    }
    RB_GROW(o->keys, o->n, o->cap);
    o->keys[o->n++] = key;
}

/* The ART over keys[lo, hi) at depth; leaf i points at container slot i. */
static void rb_art_write(fl_buf_t *b, const uint64_t *keys, size_t lo, size_t hi, unsigned depth) {
    if (hi - lo == 1) {
        fl_buf_put_u8(b, ART_LEAF);
        fl_buf_put_i16le(b, 0);
        fl_buf_put_u8(b, 0);
        for (unsigned i = 0; i < 6; i++) fl_buf_put_u8(b, rb_keybyte(keys[lo], i));
        fl_buf_put_i64le(b, (int64_t)lo); /* level 0, slot lo */
        return;
    }
    /* keys are sorted and distinct: the first and last share the common prefix of all */
    unsigned d = depth;
    while (d < 5 && rb_keybyte(keys[lo], d) == rb_keybyte(keys[hi - 1], d)) d++;
    size_t n = 1;
    for (size_t i = lo + 1; i < hi; i++) n += rb_keybyte(keys[i], d) != rb_keybyte(keys[i - 1], d);
    uint8_t type = n <= 4 ? ART_N4 : n <= 16 ? ART_N16 : n <= 48 ? ART_N48 : ART_N256;
    fl_buf_put_u8(b, type);
    fl_buf_put_i16le(b, (int16_t)n);
    fl_buf_put_u8(b, (uint8_t)(d - depth));
    for (unsigned i = depth; i < d; i++) fl_buf_put_u8(b, rb_keybyte(keys[lo], i));
    size_t bodylen = type == ART_N4 ? 4 : type == ART_N16 ? 16 : type == ART_N48 ? 256 : 32;
    uint8_t *body = fl_buf_extend(b, bodylen);
    memset(body, type == ART_N48 ? 0xFF : 0, bodylen);
    size_t c = 0;
    for (size_t i = lo; i < hi; i++) {
        uint8_t k = rb_keybyte(keys[i], d);
        if (i > lo && k == rb_keybyte(keys[i - 1], d)) continue;
        switch (type) {
        case ART_N4: body[3 - c] = k; break;
        case ART_N16: body[c < 8 ? 7 - c : 23 - c] = k; break;
        case ART_N48: body[(k & ~7u) + 7 - (k & 7)] = (uint8_t)c; break;
        default: body[k >> 3] |= (uint8_t)(1u << (k & 7)); break;
        }
        c++;
    }
    for (size_t i = lo; i < hi;) {
        size_t j = i + 1;
        while (j < hi && rb_keybyte(keys[j], d) == rb_keybyte(keys[i], d)) j++;
        rb_art_write(b, keys, i, j, d + 1);
        i = j;
    }
}

static void rb64_out_finish(rb64_out_t *o, fl_buf_t *out) {
    if (!o->n) {
        fl_buf_put_u8(out, 0);
    } else {
        fl_buf_put_u8(out, 1);
        fl_buf_put_i64le(out, (int64_t)o->n);
        rb_art_write(out, o->keys, 0, o->n, 0);
        fl_buf_put_i32le(out, 1);
        fl_buf_put_u8(out, 0xFE); /* not trimmed */
        fl_buf_put_i32le(out, (int32_t)o->n);
        fl_buf_put(out, o->conts.p, o->conts.len);
        fl_buf_put_i64le(out, (int64_t)o->n);
        fl_buf_put_i32le(out, 0);
        fl_buf_put_i32le(out, (int32_t)(o->n - 1));
    }
    fl_free(o->keys);
    fl_buf_free(&o->conts);
}

fl_err_t fl_rbm64_union(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                        fl_buf_t *out) {
    rb64_t x, y;
    fl_err_t err = rb64_decode(a, alen, &x);
    if (err) return err;
    if ((err = rb64_decode(b, blen, &y))) {
        rb64_free(&x);
        return err;
    }
    rb64_out_t o = {NULL, 0, 0, {NULL, 0, 0}};
    fl_buf_init(&o.conts);
    uint64_t *bits = fl_malloc(RB_WORDS * sizeof(uint64_t));
    size_t i = 0, j = 0;
    while (i < x.n_leaves || j < y.n_leaves) {
        uint64_t kx = i < x.n_leaves ? x.leaves[i].key : UINT64_MAX;
        uint64_t ky = j < y.n_leaves ? y.leaves[j].key : UINT64_MAX;
        uint64_t key = kx < ky ? kx : ky;
        memset(bits, 0, RB_WORDS * sizeof(uint64_t));
        if (kx == key) rb_cont_or(bits, rb64_cont(&x, i++));
        if (ky == key) rb_cont_or(bits, rb64_cont(&y, j++));
        rb64_out_add(&o, key, bits);
    }
    fl_free(bits);
    rb64_free(&x);
    rb64_free(&y);
    rb64_out_finish(&o, out);
    return FL_ERR_NONE;
}

fl_err_t fl_rbm64_foreach(const uint8_t *p, size_t len, fl_rbm_value_cb *cb, void *arg) {
    rb64_t m;
    fl_err_t err = rb64_decode(p, len, &m);
    if (err) return err;
    uint64_t *bits = fl_malloc(RB_WORDS * sizeof(uint64_t));
    for (size_t i = 0; i < m.n_leaves; i++) {
        memset(bits, 0, RB_WORDS * sizeof(uint64_t));
        rb_cont_or(bits, rb64_cont(&m, i));
        for (uint32_t w = 0; w < RB_WORDS; w++)
            for (uint64_t x = bits[w]; x; x &= x - 1)
                cb(arg, m.leaves[i].key << 16 | (w * 64 + (uint32_t)__builtin_ctzll(x)));
    }
    fl_free(bits);
    rb64_free(&m);
    return FL_ERR_NONE;
}

static int rb_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void fl_rbm64_encode(const uint64_t *vals, size_t n, fl_buf_t *out) {
    uint64_t *s = fl_malloc((n ? n : 1) * sizeof(uint64_t));
    if (n) memcpy(s, vals, n * sizeof(uint64_t));
    qsort(s, n, sizeof(uint64_t), rb_cmp_u64);
    rb64_out_t o = {NULL, 0, 0, {NULL, 0, 0}};
    fl_buf_init(&o.conts);
    uint64_t *bits = fl_malloc(RB_WORDS * sizeof(uint64_t));
    for (size_t i = 0; i < n;) {
        uint64_t key = s[i] >> 16;
        memset(bits, 0, RB_WORDS * sizeof(uint64_t));
        for (; i < n && s[i] >> 16 == key; i++)
            bits[(s[i] & 0xFFFF) >> 6] |= (uint64_t)1 << (s[i] & 63);
        rb64_out_add(&o, key, bits);
    }
    fl_free(bits);
    fl_free(s);
    rb64_out_finish(&o, out);
}
