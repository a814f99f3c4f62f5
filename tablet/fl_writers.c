/* fl_writers.c: see fl_writers.h. An open-addressing hash table keyed by writer id. */
#include "fl_writers.h"

#include <string.h>

#include "fl_crc32c.h"
#include "fl_reader.h"

typedef struct fl_writer_s {
    int64_t id;            /* 0 slot empty is marked by used=false */
    bool used;
    uint8_t n;             /* batches remembered (<= FL_WRITER_BATCHES), oldest first */
    fl_writer_batch_t b[FL_WRITER_BATCHES];
    int64_t last_seen_ms;
} fl_writer_t;

struct fl_writers_s {
    fl_writer_t *slots;
    size_t cap;            /* power of two */
    size_t n;
};

fl_writers_t *fl_writers_new(void) {
    fl_writers_t *w = fl_calloc(1, sizeof(*w));
    w->cap = 16;
    w->slots = fl_calloc(w->cap, sizeof(fl_writer_t));
    return w;
}

void fl_writers_free(fl_writers_t *w) {
    if (!w) return;
    fl_free(w->slots);
    fl_free(w);
}

static size_t fl_wh(int64_t id, size_t cap) {
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 17) & (cap - 1);
}

static fl_writer_t *fl_writer_find(const fl_writers_t *w, int64_t id) {
    for (size_t i = fl_wh(id, w->cap), k = 0; k < w->cap; k++, i = (i + 1) & (w->cap - 1)) {
        if (!w->slots[i].used) return NULL;
        if (w->slots[i].id == id) return &w->slots[i];
    }
    return NULL;
}

static fl_writer_t *fl_writer_insert(fl_writers_t *w, int64_t id);

static void fl_writers_grow(fl_writers_t *w) {
    fl_writer_t *old = w->slots;
    size_t oldcap = w->cap;
    w->cap *= 2;
    w->slots = fl_calloc(w->cap, sizeof(fl_writer_t));
    w->n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used) *fl_writer_insert(w, old[i].id) = old[i];
    fl_free(old);
}

static fl_writer_t *fl_writer_insert(fl_writers_t *w, int64_t id) {
    if ((w->n + 1) * 4 > w->cap * 3) fl_writers_grow(w);
    for (size_t i = fl_wh(id, w->cap);; i = (i + 1) & (w->cap - 1)) {
        if (!w->slots[i].used) {
            memset(&w->slots[i], 0, sizeof(w->slots[i]));
            w->slots[i].used = true;
            w->slots[i].id = id;
            w->n++;
            return &w->slots[i];
        }
        if (w->slots[i].id == id) return &w->slots[i];
    }
}

/* Backward-shift deletion keeps probe chains intact. */
static void fl_writer_remove(fl_writers_t *w, fl_writer_t *e) {
    size_t i = (size_t)(e - w->slots);
    w->slots[i].used = false;
    w->n--;
    for (size_t j = (i + 1) & (w->cap - 1); w->slots[j].used; j = (j + 1) & (w->cap - 1)) {
        fl_writer_t tmp = w->slots[j];
        w->slots[j].used = false;
        w->n--;
        *fl_writer_insert(w, tmp.id) = tmp;
    }
}

fl_seq_verdict_t fl_writers_check(const fl_writers_t *w, int64_t writer_id, int32_t seq,
                                  fl_writer_batch_t *dup, int32_t *last_seq) {
    const fl_writer_t *e = fl_writer_find(w, writer_id);
    int32_t last = e && e->n ? e->b[e->n - 1].seq : -1;
    *last_seq = last;
    if (e) {
        for (int i = 0; i < e->n; i++) {
            if (e->b[i].seq == seq) {
                *dup = e->b[i];
                return FL_SEQ_DUPLICATE;
            }
        }
    }
    if ((int64_t)seq == (int64_t)last + 1 || (seq == 0 && last == INT32_MAX)) return FL_SEQ_OK;
    return FL_SEQ_OUT_OF_ORDER;
}

void fl_writers_update(fl_writers_t *w, int64_t writer_id, int32_t seq, int64_t first_offset,
                       int64_t last_offset, int64_t timestamp, int64_t now_ms) {
    fl_writer_t *e = fl_writer_insert(w, writer_id);
    if (e->n == FL_WRITER_BATCHES) {
        memmove(&e->b[0], &e->b[1], (FL_WRITER_BATCHES - 1) * sizeof(e->b[0]));
        e->n--;
    }
    e->b[e->n++] = (fl_writer_batch_t){seq, first_offset, last_offset, timestamp};
    e->last_seen_ms = now_ms;
}

size_t fl_writers_expire(fl_writers_t *w, int64_t now_ms, int64_t expire_ms) {
    size_t removed = 0;
    for (size_t i = 0; i < w->cap;) {
        if (w->slots[i].used && now_ms - w->slots[i].last_seen_ms > expire_ms) {
            fl_writer_remove(w, &w->slots[i]);
            removed++;
            continue; /* the slot may hold a shifted entry now */
        }
        i++;
    }
    return removed;
}

size_t fl_writers_count(const fl_writers_t *w) {
    return w->n;
}

void fl_writers_truncate(fl_writers_t *w, int64_t offset) {
    for (size_t i = 0; i < w->cap;) {
        fl_writer_t *e = &w->slots[i];
        if (e->used) {
            while (e->n && e->b[e->n - 1].last_offset >= offset) e->n--;
            if (!e->n) {
                fl_writer_remove(w, e);
                continue;
            }
        }
        i++;
    }
}

void fl_writers_snapshot(const fl_writers_t *w, int64_t end_offset, fl_buf_t *out) {
    size_t start = out->len;
    fl_buf_put(out, "FLWS", 4);
    fl_buf_put_i16le(out, 1);
    fl_buf_put_i16le(out, 0);
    fl_buf_put_i64le(out, end_offset);
    fl_buf_put_i32le(out, (int32_t)w->n);
    for (size_t i = 0; i < w->cap; i++) {
        const fl_writer_t *e = &w->slots[i];
        if (!e->used) continue;
        fl_buf_put_i64le(out, e->id);
        fl_buf_put_u8(out, e->n);
        for (int k = 0; k < e->n; k++) {
            fl_buf_put_i32le(out, e->b[k].seq);
            fl_buf_put_i64le(out, e->b[k].first_offset);
            fl_buf_put_i64le(out, e->b[k].last_offset);
            fl_buf_put_i64le(out, e->b[k].timestamp);
        }
        fl_buf_put_i64le(out, e->last_seen_ms);
    }
    fl_buf_put_i32le(out, (int32_t)fl_crc32c(out->p + start, out->len - start));
}

fl_err_t fl_writers_load(fl_writers_t *w, const uint8_t *p, size_t len, int64_t *end_offset) {
    if (len < 24 || fl_crc32c(p, len - 4) != (uint32_t)(p[len - 4] | p[len - 3] << 8 |
                                                        p[len - 2] << 16 | (uint32_t)p[len - 1] << 24))
        return FL_ERR_CORRUPT_MESSAGE;
    fl_reader_t rd;
    fl_rd_init(&rd, p, len - 4);
    fl_view_t magic = fl_rd_bytes(&rd, 4);
    if (rd.err || memcmp(magic.p, "FLWS", 4) || fl_rd_i16le(&rd) != 1) return FL_ERR_CORRUPT_MESSAGE;
    fl_rd_i16le(&rd);
    int64_t end = fl_rd_i64le(&rd);
    size_t n = fl_rd_count(&rd, fl_rd_i32le(&rd), 1u << 24);
    for (size_t i = 0; i < n && !rd.err; i++) {
        int64_t id = fl_rd_i64le(&rd);
        uint8_t nb = fl_rd_u8(&rd);
        if (nb > FL_WRITER_BATCHES) fl_rd_fail(&rd, FL_ERR_CORRUPT_MESSAGE);
        fl_writer_batch_t b[FL_WRITER_BATCHES];
        for (int k = 0; k < nb && !rd.err; k++) {
            b[k].seq = fl_rd_i32le(&rd);
            b[k].first_offset = fl_rd_i64le(&rd);
            b[k].last_offset = fl_rd_i64le(&rd);
            b[k].timestamp = fl_rd_i64le(&rd);
        }
        int64_t seen = fl_rd_i64le(&rd);
        if (rd.err) break;
        fl_writer_t *e = fl_writer_insert(w, id);
        e->n = nb;
        memcpy(e->b, b, nb * sizeof(b[0]));
        e->last_seen_ms = seen;
    }
    if (fl_rd_end(&rd)) return FL_ERR_CORRUPT_MESSAGE;
    *end_offset = end;
    return FL_ERR_NONE;
}
