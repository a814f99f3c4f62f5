/* fl_flatbuf.c: see fl_flatbuf.h for the byte layout. */
#include "fl_flatbuf.h"

#include <string.h>

/* ---- reading ---- */

/* Move the cursor to absolute position pos; fails (sticky) when pos is outside the input. */
static bool fb_seek(fl_reader_t *rd, size_t pos) {
    if (rd->err) return false;
    if (pos > rd->len) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    rd->off = pos;
    return true;
}

static uint32_t fb_u32_at(fl_reader_t *rd, size_t pos) {
    return fb_seek(rd, pos) ? fl_rd_u32le(rd) : 0;
}

int64_t fl_fb_i64_at(fl_reader_t *rd, size_t pos) {
    return fb_seek(rd, pos) ? fl_rd_i64le(rd) : 0;
}

/* Validate the table at pos and fill *out. */
static bool fb_table_at(fl_reader_t *rd, size_t pos, fl_fbt_t *out) {
    memset(out, 0, sizeof(*out));
    if (!fb_seek(rd, pos)) return false;
    int32_t soff = fl_rd_i32le(rd);
    if (rd->err) return false;
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || (uint64_t)vt > rd->len || rd->len - (size_t)vt < 4) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    rd->off = (size_t)vt;
    uint16_t vt_len = fl_rd_u16le(rd);
    uint16_t obj_len = fl_rd_u16le(rd);
    if (vt_len < 4 || (vt_len & 1) || (size_t)vt_len > rd->len - (size_t)vt || obj_len < 4 ||
        (size_t)obj_len > rd->len - pos) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    out->pos = pos;
    out->vt = (size_t)vt;
    out->vt_len = vt_len;
    out->obj_len = obj_len;
    return true;
}

bool fl_fb_root(fl_reader_t *rd, fl_fbt_t *out) {
    uint32_t root = fb_u32_at(rd, 0);
    if (rd->err) {
        memset(out, 0, sizeof(*out));
        return false;
    }
    return fb_table_at(rd, root, out);
}

/* @returns the position of field id of size bytes, or 0 when absent. A slot that points outside
 * the table's declared object fails the reader. */
static size_t fb_field(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, unsigned size) {
    if (rd->err || t->vt_len == 0) return 0;
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vt_len) return 0;
    if (!fb_seek(rd, t->vt + slot)) return 0;
    uint16_t fo = fl_rd_u16le(rd);
    if (fo == 0) return 0;
    if (fo < 4 || (size_t)fo + size > t->obj_len) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return 0;
    }
    return t->pos + fo;
}

bool fl_fb_has(fl_reader_t *rd, const fl_fbt_t *t, unsigned id) {
    return fb_field(rd, t, id, 1) != 0;
}

int64_t fl_fb_int(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, unsigned size, int64_t def) {
    size_t at = fb_field(rd, t, id, size);
    if (!at || !fb_seek(rd, at)) return def;
    switch (size) {
    case 1: return fl_rd_i8(rd);
    case 2: return fl_rd_i16le(rd);
    case 4: return fl_rd_i32le(rd);
    default: return fl_rd_i64le(rd);
    }
}

/* @returns the target of the uoffset stored at slot, or 0 on error. */
static size_t fb_deref(fl_reader_t *rd, size_t slot) {
    uint32_t u = fb_u32_at(rd, slot);
    if (rd->err) return 0;
    if (u == 0 || (uint64_t)slot + u > rd->len) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return 0;
    }
    return slot + u;
}

bool fl_fb_table(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, fl_fbt_t *out) {
    memset(out, 0, sizeof(*out));
    size_t at = fb_field(rd, t, id, 4);
    if (!at) return false;
    size_t target = fb_deref(rd, at);
    return target && fb_table_at(rd, target, out);
}

size_t fl_fb_vector(fl_reader_t *rd, const fl_fbt_t *t, unsigned id, size_t elem_size,
                    size_t *start) {
    *start = 0;
    size_t at = fb_field(rd, t, id, 4);
    if (!at) return 0;
    size_t vp = fb_deref(rd, at);
    if (!vp) return 0;
    uint32_t n = fb_u32_at(rd, vp);
    if (rd->err) return 0;
    size_t room = rd->len - rd->off; /* bytes after the count */
    if (elem_size && n > room / elem_size) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return 0;
    }
    *start = rd->off;
    return n;
}

bool fl_fb_vector_table(fl_reader_t *rd, size_t start, size_t i, fl_fbt_t *out) {
    memset(out, 0, sizeof(*out));
    size_t target = fb_deref(rd, start + 4 * i);
    return target && fb_table_at(rd, target, out);
}

fl_view_t fl_fb_string(fl_reader_t *rd, const fl_fbt_t *t, unsigned id) {
    fl_view_t v = {NULL, 0};
    size_t start;
    size_t n = fl_fb_vector(rd, t, id, 1, &start);
    if (rd->err || !start) return v;
    v.p = rd->p + start;
    v.len = n;
    return v;
}

/* ---- building ---- */

static void fbb_le(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void fl_fbb_init(fl_fbb_t *b, fl_buf_t *buf) {
    b->buf = buf;
    b->base = buf->len;
    memset(fl_buf_extend(buf, 4), 0, 4);
}

size_t fl_fbb_pos(const fl_fbb_t *b) {
    return b->buf->len - b->base;
}

/* Pad with zeros until (pos + extra) is a multiple of align. */
static void fbb_pad(fl_fbb_t *b, size_t align, size_t extra) {
    size_t pad = (align - (fl_fbb_pos(b) + extra) % align) % align;
    if (pad) memset(fl_buf_extend(b->buf, pad), 0, pad);
}

size_t fl_fbb_table(fl_fbb_t *b, fl_fbb_field_t *fields, size_t n) {
    unsigned max_id = 0;
    bool wide = false;
    size_t obj = 4;
    for (size_t i = 0; i < n; i++) {
        if (fields[i].id > max_id) max_id = fields[i].id;
        if (fields[i].size == 8) wide = true;
        obj += fields[i].size;
    }
    size_t vt_len = 4 + 2 * (size_t)(n ? max_id + 1 : 0);

    /* vtable first, then the table aligned so that its 8-byte fields land on multiples of 8 */
    fbb_pad(b, 2, 0);
    size_t vt = fl_fbb_pos(b);
    uint8_t *v = fl_buf_extend(b->buf, vt_len);
    memset(v, 0, vt_len);
    if (wide)
        fbb_pad(b, 8, 4);
    else
        fbb_pad(b, 4, 0);
    size_t t = fl_fbb_pos(b);
    uint8_t *tp = fl_buf_extend(b->buf, obj);
    memset(tp, 0, obj);
    fbb_le(tp, (uint32_t)(int32_t)(t - vt), 4);

    /* fields in descending size order keep every one naturally aligned */
    size_t at = 4;
    for (unsigned size = 8; size >= 1; size /= 2) {
        for (size_t i = 0; i < n; i++) {
            if (fields[i].size != size) continue;
            fields[i].pos = t + at;
            uint8_t *fp = b->buf->p + b->base + t + at;
            if (!fields[i].is_ref) fbb_le(fp, fields[i].value, size);
            uint8_t *sp = b->buf->p + b->base + vt + 4 + 2 * fields[i].id;
            fbb_le(sp, at, 2);
            at += size;
        }
    }
    uint8_t *vp = b->buf->p + b->base + vt;
    fbb_le(vp, vt_len, 2);
    fbb_le(vp + 2, obj, 2);
    return t;
}

size_t fl_fbb_vector(fl_fbb_t *b, size_t n, size_t align) {
    fbb_pad(b, align < 4 ? 4 : align, 4);
    size_t p = fl_fbb_pos(b);
    fbb_le(fl_buf_extend(b->buf, 4), n, 4);
    return p;
}

size_t fl_fbb_ref_vector(fl_fbb_t *b, size_t n) {
    size_t p = fl_fbb_vector(b, n, 4);
    if (n) memset(fl_buf_extend(b->buf, 4 * n), 0, 4 * n);
    return p;
}

size_t fl_fbb_string(fl_fbb_t *b, const char *s, size_t len) {
    size_t p = fl_fbb_vector(b, len, 4);
    fl_buf_put(b->buf, s, len);
    fl_buf_put_u8(b->buf, 0);
    return p;
}

void fl_fbb_patch_ref(fl_fbb_t *b, size_t slot, size_t target) {
    fbb_le(b->buf->p + b->base + slot, (uint32_t)(target - slot), 4);
}

void fl_fbb_finish(fl_fbb_t *b, size_t root) {
    fbb_le(b->buf->p + b->base, (uint32_t)root, 4);
    fbb_pad(b, 8, 0);
}
