/* fl_segment.c: see fl_segment.h for the file formats and invariants S1-S3. */
#include "fl_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_crc32c.h"
#include "fl_log.h"
#include "fl_vfs.h"

#define FL_SEG_SCAN_WINDOW (1u << 20)   /* recovery / rebuild reads */
#define FL_SEG_READ_WINDOW (64u << 10)  /* header walks on the read path */
#define FL_SEG_PROBE_WINDOW 4096u       /* spot checks and short walks */

/* ---- names, lifetime -------------------------------------------------------------------- */

void fl_segment_name(int64_t base, const char *ext, char *out, size_t cap) {
    snprintf(out, cap, "%020lld%s", (long long)base, ext);
}

bool fl_segment_parse_name(const char *name, const char *ext, int64_t *base) {
    size_t el = strlen(ext);
    if (strlen(name) != FL_SEG_NAME_LEN + el || strcmp(name + FL_SEG_NAME_LEN, ext) != 0)
        return false;
    int64_t v = 0;
    for (int i = 0; i < FL_SEG_NAME_LEN; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        if (v > (INT64_MAX - 9) / 10) return false;
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return true;
}

static void fl_seg_path(const fl_segment_t *seg, const char *ext, char *out, size_t cap) {
    char name[64];
    fl_segment_name(seg->base_offset, ext, name, sizeof(name));
    snprintf(out, cap, "%s/%s", seg->dir, name);
}

fl_err_t fl_segment_open(const char *dir, int64_t base, bool create, fl_segment_t **segp) {
    fl_segment_t *seg = fl_calloc(1, sizeof(*seg));
    seg->dir = dir;
    seg->base_offset = base;
    seg->next_offset = base;
    seg->refs = 1;
    seg->max_ts = -1;
    seg->max_ts_offset = -1;
    seg->first_ts = -1;
    seg->corrupt_at = UINT64_MAX;
    char path[4096];
    fl_seg_path(seg, ".log", path, sizeof(path));
    seg->fd = fl_vfs->open(path, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0644);
    if (seg->fd < 0) {
        int e = errno;
        fl_log_error("storage", "open() failed: %s (segment %s)", strerror(e), path);
        fl_free(seg);
        return fl_vfs_errno2err(e);
    }
    struct stat st;
    if (fl_vfs->fstat(seg->fd, &st) != 0) {
        fl_log_error("storage", "fstat() failed: %s (segment %s)", strerror(errno), path);
        fl_vfs->close(seg->fd);
        fl_free(seg);
        return FL_ERR__IO;
    }
    seg->size = (uint64_t)st.st_size;
    seg->synced_size = create ? 0 : seg->size;
    *segp = seg;
    return FL_ERR_NONE;
}

void fl_segment_ref(fl_segment_t *seg) {
    seg->refs++;
}

void fl_segment_unref(fl_segment_t *seg) {
    if (seg->refs <= 0) {
        fl_log_error("storage", "segment %lld: reference count underflow", (long long)seg->base_offset);
        abort();
    }
    if (--seg->refs > 0) return;
    if (seg->fd >= 0) fl_vfs->close(seg->fd);
    fl_free(seg->oidx);
    fl_free(seg->tidx);
    fl_free(seg);
}

void fl_segment_unlink(fl_segment_t *seg) {
    static const char *const exts[] = {".log", ".index", ".timeindex"};
    char path[4096];
    for (size_t i = 0; i < FL_ARRAY_LEN(exts); i++) {
        fl_seg_path(seg, exts[i], path, sizeof(path));
        if (fl_vfs->unlink(path) != 0 && errno != ENOENT)
            fl_log_warn("storage", "unlink() failed: %s (file %s)", strerror(errno), path);
    }
    seg->removed = true;
}

/* ---- indexes in memory ------------------------------------------------------------------ */

void fl_segment_index_reset(fl_segment_t *seg) {
    seg->n_oidx = seg->n_tidx = 0;
    seg->oidx_persisted = seg->tidx_persisted = 0;
    seg->idx_rewrite = true;
    seg->idx_loaded = true;
    seg->bytes_since_index = 0;
    seg->max_ts = -1;
    seg->max_ts_offset = -1;
    seg->first_ts = -1;
}

static void fl_seg_push_oidx(fl_segment_t *seg, uint32_t rel, uint32_t pos) {
    if (seg->n_oidx == seg->cap_oidx) {
        seg->cap_oidx = seg->cap_oidx ? seg->cap_oidx * 2 : 64;
        seg->oidx = fl_realloc(seg->oidx, seg->cap_oidx * sizeof(*seg->oidx));
    }
    seg->oidx[seg->n_oidx].rel = rel;
    seg->oidx[seg->n_oidx].pos = pos;
    seg->n_oidx++;
}

static void fl_seg_push_tidx(fl_segment_t *seg, int64_t ts, uint32_t rel) {
    if (seg->n_tidx && (ts <= seg->tidx[seg->n_tidx - 1].ts || rel <= seg->tidx[seg->n_tidx - 1].rel))
        return;
    if (seg->n_tidx == seg->cap_tidx) {
        seg->cap_tidx = seg->cap_tidx ? seg->cap_tidx * 2 : 64;
        seg->tidx = fl_realloc(seg->tidx, seg->cap_tidx * sizeof(*seg->tidx));
    }
    seg->tidx[seg->n_tidx].ts = ts;
    seg->tidx[seg->n_tidx].rel = rel;
    seg->n_tidx++;
}

void fl_segment_index_batch(fl_segment_t *seg, uint64_t pos, int64_t base, int64_t ts,
                            uint64_t size, uint32_t interval) {
    uint32_t rel = (uint32_t)(base - seg->base_offset);
    if (seg->bytes_since_index >= interval) {
        fl_seg_push_oidx(seg, rel, (uint32_t)pos);
        fl_seg_push_tidx(seg, ts, rel);
        seg->bytes_since_index = 0;
    }
    seg->bytes_since_index += size;
    if (ts > seg->max_ts) {
        seg->max_ts = ts;
        seg->max_ts_offset = base;
    }
    if (pos == 0) seg->first_ts = ts;
}

void fl_segment_seal(fl_segment_t *seg) {
    if (seg->idx_loaded && seg->max_ts >= 0)
        fl_seg_push_tidx(seg, seg->max_ts, (uint32_t)(seg->max_ts_offset - seg->base_offset));
}

void fl_segment_index_trim(fl_segment_t *seg, uint64_t pos, int64_t next) {
    int64_t rel_end = next - seg->base_offset;
    while (seg->n_oidx &&
           (seg->oidx[seg->n_oidx - 1].pos >= pos || (int64_t)seg->oidx[seg->n_oidx - 1].rel >= rel_end))
        seg->n_oidx--;
    while (seg->n_tidx && (int64_t)seg->tidx[seg->n_tidx - 1].rel >= rel_end) seg->n_tidx--;
    if (seg->oidx_persisted > seg->n_oidx || seg->tidx_persisted > seg->n_tidx) {
        seg->idx_rewrite = true;
        seg->oidx_persisted = FL_MIN(seg->oidx_persisted, seg->n_oidx);
        seg->tidx_persisted = FL_MIN(seg->tidx_persisted, seg->n_tidx);
    }
}

void fl_segment_floor(const fl_segment_t *seg, int64_t offset, uint64_t *pos, int64_t *base) {
    *pos = 0;
    *base = seg->base_offset;
    if (offset < seg->base_offset) return; /* n_oidx is 0 until loaded */
    int64_t rel = offset - seg->base_offset;
    size_t lo = 0, hi = seg->n_oidx; /* first entry with rel > target */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((int64_t)seg->oidx[mid].rel <= rel) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return;
    *pos = seg->oidx[lo - 1].pos;
    *base = seg->base_offset + seg->oidx[lo - 1].rel;
}

/* ---- reading batches -------------------------------------------------------------------- */

typedef struct fl_segrd_s {
    fl_segment_t *seg;
    uint8_t *buf;
    size_t cap;
    uint64_t wpos;       /* window [wpos, wpos + wlen) */
    size_t wlen;
    uint64_t bytes_read;
} fl_segrd_t;

static void fl_segrd_init(fl_segrd_t *r, fl_segment_t *seg, size_t cap) {
    r->seg = seg;
    r->buf = fl_malloc(cap);
    r->cap = cap;
    r->wpos = 0;
    r->wlen = 0;
    r->bytes_read = 0;
}

static void fl_segrd_free(fl_segrd_t *r) {
    fl_free(r->buf);
}

/* @returns a pointer to the bytes at pos and *avail (>= want unless limit comes first), or
 * NULL on a read error (logged). */
static const uint8_t *fl_segrd_get(fl_segrd_t *r, uint64_t pos, size_t want, uint64_t limit,
                                   size_t *avail) {
    uint64_t left = limit > pos ? limit - pos : 0;
    if (want > r->cap) want = r->cap;
    if (want > left) want = (size_t)left;
    if (pos >= r->wpos && pos + want <= r->wpos + r->wlen) {
        *avail = (size_t)FL_MIN((uint64_t)(r->wpos + r->wlen - pos), left);
        return r->buf + (pos - r->wpos);
    }
    size_t n = (size_t)FL_MIN((uint64_t)r->cap, left);
    ssize_t got = fl_read_full(r->seg->fd, r->buf, n, (off_t)pos);
    if (got < 0) {
        char path[4096];
        fl_seg_path(r->seg, ".log", path, sizeof(path));
        fl_log_error("storage", "pread() failed: %s (segment %s, position %llu)", strerror(errno),
                     path, (unsigned long long)pos);
        r->wlen = 0;
        return NULL;
    }
    r->bytes_read += (uint64_t)got;
    r->wpos = pos;
    r->wlen = (size_t)got;
    *avail = (size_t)got;
    return r->buf;
}

/* Check the batch at pos: header (and the CRC when crc) within [pos, limit).
 * @returns FL_ERR_NONE, FL_ERR__UNDERFLOW (incomplete), FL_ERR__IO, or a corrupt code. */
static fl_err_t fl_seg_check(fl_segrd_t *r, uint64_t pos, uint64_t limit, uint32_t max_batch,
                             bool crc, fl_logbatch_t *b, char *why, size_t whycap) {
    size_t avail;
    const uint8_t *p = fl_segrd_get(r, pos, FL_LOGBATCH_MAX_HEADER, limit, &avail);
    if (!p) return FL_ERR__IO;
    const char *w = NULL;
    fl_err_t err = fl_logbatch_parse_header(p, avail, max_batch, b, &w);
    if (err == FL_ERR__UNDERFLOW) {
        snprintf(why, whycap, "incomplete batch header (%zu bytes left)", avail);
        return err;
    }
    if (err) {
        snprintf(why, whycap, "%s", w);
        return err;
    }
    if (pos + b->size > limit) {
        snprintf(why, whycap, "incomplete batch (size %zu, %llu bytes left)", b->size,
                 (unsigned long long)(limit - pos));
        return FL_ERR__UNDERFLOW;
    }
    if (!crc) return FL_ERR_NONE;
    uint64_t at = pos + (b->magic == 0 ? 25 : 29), end = pos + b->size;
    uint32_t c = 0;
    while (at < end) {
        p = fl_segrd_get(r, at, (size_t)FL_MIN(end - at, (uint64_t)r->cap), limit, &avail);
        if (!p) return FL_ERR__IO;
        size_t n = (size_t)FL_MIN((uint64_t)avail, end - at);
        if (n == 0) {
            snprintf(why, whycap, "file shorter than expected");
            return FL_ERR__UNDERFLOW;
        }
        c = fl_crc32c_extend(c, p, n);
        at += n;
    }
    if (c != b->crc) {
        snprintf(why, whycap, "CRC mismatch (stored %08x, computed %08x)", b->crc, c);
        return FL_ERR_CORRUPT_RECORD_EXCEPTION;
    }
    return FL_ERR_NONE;
}

fl_err_t fl_segment_scan(fl_segment_t *seg, uint64_t start, uint64_t limit, int64_t expected,
                         uint32_t max_batch, bool build_index, uint32_t interval,
                         fl_segscan_t *scan) {
    memset(scan, 0, sizeof(*scan));
    fl_segrd_t rd;
    fl_segrd_init(&rd, seg, FL_SEG_SCAN_WINDOW);
    uint64_t pos = start;
    fl_err_t err = FL_ERR_NONE;
    while (pos < limit) {
        fl_logbatch_t b;
        fl_err_t e = fl_seg_check(&rd, pos, limit, max_batch, true, &b, scan->why, sizeof(scan->why));
        if (e == FL_ERR__IO) {
            err = e;
            break;
        }
        if (e == FL_ERR_NONE && b.base_offset != expected) {
            snprintf(scan->why, sizeof(scan->why),
                     "offset discontinuity (batch base offset %lld, expected %lld)",
                     (long long)b.base_offset, (long long)expected);
            e = FL_ERR_CORRUPT_RECORD_EXCEPTION;
        }
        if (e) {
            scan->stopped = true;
            break;
        }
        if (build_index)
            fl_segment_index_batch(seg, pos, b.base_offset, b.commit_timestamp, b.size, interval);
        expected = fl_logbatch_next_offset(&b);
        pos += b.size;
        scan->batches++;
    }
    scan->end_pos = pos;
    scan->next_offset = expected;
    scan->bytes_read = rd.bytes_read;
    fl_segrd_free(&rd);
    return err;
}

/* Walk headers (no CRC) from the index floor to the batch containing offset, within limit.
 * @returns FL_ERR_NONE with *pos and *b; FL_ERR__NOENT when offset is past the last batch;
 * FL_ERR_CORRUPT_MESSAGE / FL_ERR__IO. */
static fl_err_t fl_seg_walk_to(fl_segment_t *seg, fl_segrd_t *rd, int64_t offset, uint64_t limit,
                               uint32_t max_batch, uint64_t *posp, fl_logbatch_t *b) {
    uint64_t pos;
    int64_t exp;
    fl_segment_floor(seg, offset, &pos, &exp);
    char why[160];
    for (;;) {
        if (pos >= limit) return FL_ERR__NOENT;
        fl_err_t e = fl_seg_check(rd, pos, limit, max_batch, false, b, why, sizeof(why));
        if (e == FL_ERR__IO) return e;
        if (e || b->base_offset != exp) return FL_ERR_CORRUPT_MESSAGE;
        if (fl_logbatch_next_offset(b) > offset) break;
        pos += b->size;
        exp = fl_logbatch_next_offset(b);
    }
    *posp = pos;
    return FL_ERR_NONE;
}

fl_err_t fl_segment_refresh_tail(fl_segment_t *seg, uint32_t max_batch) {
    uint64_t pos = 0;
    int64_t exp = seg->base_offset;
    if (seg->n_oidx) {
        pos = seg->oidx[seg->n_oidx - 1].pos;
        exp = seg->base_offset + seg->oidx[seg->n_oidx - 1].rel;
    }
    seg->bytes_since_index = seg->size - pos;
    seg->max_ts = seg->n_tidx ? seg->tidx[seg->n_tidx - 1].ts : -1;
    seg->max_ts_offset = seg->n_tidx ? seg->base_offset + seg->tidx[seg->n_tidx - 1].rel : -1;
    seg->first_ts = -1;
    if (seg->size == 0) return FL_ERR_NONE;
    fl_segrd_t rd;
    fl_segrd_init(&rd, seg, FL_SEG_PROBE_WINDOW);
    fl_err_t err = FL_ERR_NONE;
    char why[160];
    fl_logbatch_t b;
    err = fl_seg_check(&rd, 0, seg->size, max_batch, false, &b, why, sizeof(why));
    if (err) goto out;
    seg->first_ts = b.commit_timestamp;
    while (pos < seg->size) {
        err = fl_seg_check(&rd, pos, seg->size, max_batch, false, &b, why, sizeof(why));
        if (err) goto out;
        if (b.base_offset != exp) {
            err = FL_ERR_CORRUPT_MESSAGE;
            goto out;
        }
        if (b.commit_timestamp > seg->max_ts) {
            seg->max_ts = b.commit_timestamp;
            seg->max_ts_offset = b.base_offset;
        }
        pos += b.size;
        exp = fl_logbatch_next_offset(&b);
    }
out:
    fl_segrd_free(&rd);
    return err == FL_ERR__IO ? err : (err ? FL_ERR_CORRUPT_MESSAGE : FL_ERR_NONE);
}

/* ---- index files ------------------------------------------------------------------------ */

static void fl_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void fl_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t fl_get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t fl_get64(const uint8_t *p) {
    return (uint64_t)fl_get32(p) | (uint64_t)fl_get32(p + 4) << 32;
}

static uint8_t *fl_seg_encode_oidx(const fl_segment_t *seg, size_t from, size_t *len) {
    *len = (seg->n_oidx - from) * FL_OIDX_ENTRY;
    uint8_t *p = fl_malloc(*len + 1);
    for (size_t i = from; i < seg->n_oidx; i++) {
        fl_le32(p + (i - from) * FL_OIDX_ENTRY, seg->oidx[i].rel);
        fl_le32(p + (i - from) * FL_OIDX_ENTRY + 4, seg->oidx[i].pos);
    }
    return p;
}

static uint8_t *fl_seg_encode_tidx(const fl_segment_t *seg, size_t from, size_t *len) {
    *len = (seg->n_tidx - from) * FL_TIDX_ENTRY;
    uint8_t *p = fl_malloc(*len + 1);
    for (size_t i = from; i < seg->n_tidx; i++) {
        fl_le64(p + (i - from) * FL_TIDX_ENTRY, (uint64_t)seg->tidx[i].ts);
        fl_le32(p + (i - from) * FL_TIDX_ENTRY + 8, seg->tidx[i].rel);
    }
    return p;
}

static fl_err_t fl_seg_append_file(const fl_segment_t *seg, const char *ext, const uint8_t *p,
                                   size_t len, uint64_t at) {
    char path[4096];
    fl_seg_path(seg, ext, path, sizeof(path));
    int fd = fl_vfs->open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
        int e = errno;
        fl_log_error("storage", "open() failed: %s (index %s)", strerror(e), path);
        return fl_vfs_errno2err(e);
    }
    fl_err_t err = fl_write_full(fd, p, len, (off_t)at, NULL);
    if (err) {
        fl_log_error("storage", "write() failed: %s (index %s, position %llu)", strerror(errno),
                     path, (unsigned long long)at);
    } else if (fl_vfs->ftruncate(fd, (off_t)(at + len)) != 0 || fl_vfs->fsync(fd) != 0) {
        fl_log_error("storage", "fsync() failed: %s (index %s)", strerror(errno), path);
        err = FL_ERR__IO;
    }
    fl_vfs->close(fd);
    return err;
}

fl_err_t fl_segment_persist_index(fl_segment_t *seg) {
    if (!seg->idx_loaded) return FL_ERR_NONE;
    char name[64];
    size_t olen, tlen;
    fl_err_t err = FL_ERR_NONE;
    if (seg->idx_rewrite) {
        uint8_t *o = fl_seg_encode_oidx(seg, 0, &olen);
        uint8_t *t = fl_seg_encode_tidx(seg, 0, &tlen);
        fl_segment_name(seg->base_offset, ".index", name, sizeof(name));
        err = fl_vfs_write_durable(seg->dir, name, o, olen);
        if (!err) {
            fl_segment_name(seg->base_offset, ".timeindex", name, sizeof(name));
            err = fl_vfs_write_durable(seg->dir, name, t, tlen);
        }
        fl_free(o);
        fl_free(t);
        if (err) return err;
    } else {
        if (seg->oidx_persisted == seg->n_oidx && seg->tidx_persisted == seg->n_tidx)
            return FL_ERR_NONE;
        uint8_t *o = fl_seg_encode_oidx(seg, seg->oidx_persisted, &olen);
        err = fl_seg_append_file(seg, ".index", o, olen, seg->oidx_persisted * FL_OIDX_ENTRY);
        fl_free(o);
        if (err) return err;
        uint8_t *t = fl_seg_encode_tidx(seg, seg->tidx_persisted, &tlen);
        err = fl_seg_append_file(seg, ".timeindex", t, tlen, seg->tidx_persisted * FL_TIDX_ENTRY);
        fl_free(t);
        if (err) return err;
    }
    seg->idx_rewrite = false;
    seg->oidx_persisted = seg->n_oidx;
    seg->tidx_persisted = seg->n_tidx;
    return FL_ERR_NONE;
}

/* Check the files' entries; fills the arrays. @returns NULL when valid, else the reason. */
static const char *fl_seg_check_index(fl_segment_t *seg, uint64_t file_size, const uint8_t *o,
                                      size_t olen, const uint8_t *t, size_t tlen,
                                      uint32_t max_batch, char *why, size_t whycap) {
    /* file_size > seg->size only for the segment holding the recovery point, whose index may
     * hold entries for data after it; anywhere else an entry past the end is damage */
    bool strict = file_size <= seg->size;
    int64_t rel_end = seg->next_offset - seg->base_offset;
    if (olen % FL_OIDX_ENTRY) {
        snprintf(why, whycap, "offset index size %zu is not a multiple of %d", olen, FL_OIDX_ENTRY);
        return why;
    }
    if (tlen % FL_TIDX_ENTRY) {
        snprintf(why, whycap, "time index size %zu is not a multiple of %d", tlen, FL_TIDX_ENTRY);
        return why;
    }
    seg->n_oidx = seg->n_tidx = 0;
    for (size_t i = 0; i < olen / FL_OIDX_ENTRY; i++) {
        uint32_t rel = fl_get32(o + i * FL_OIDX_ENTRY), pos = fl_get32(o + i * FL_OIDX_ENTRY + 4);
        if (seg->n_oidx && (rel <= seg->oidx[seg->n_oidx - 1].rel || pos <= seg->oidx[seg->n_oidx - 1].pos)) {
            snprintf(why, whycap, "offset index entry %zu out of order", i);
            return why;
        }
        if (pos >= file_size || (strict && (int64_t)rel >= rel_end)) {
            snprintf(why, whycap, "offset index entry %zu past the end of the segment", i);
            return why;
        }
        fl_seg_push_oidx(seg, rel, pos);
    }
    for (size_t i = 0; i < tlen / FL_TIDX_ENTRY; i++) {
        int64_t ts = (int64_t)fl_get64(t + i * FL_TIDX_ENTRY);
        uint32_t rel = fl_get32(t + i * FL_TIDX_ENTRY + 8);
        if (seg->n_tidx && (ts <= seg->tidx[seg->n_tidx - 1].ts || rel <= seg->tidx[seg->n_tidx - 1].rel)) {
            snprintf(why, whycap, "time index entry %zu out of order", i);
            return why;
        }
        if (strict && (int64_t)rel >= rel_end) {
            snprintf(why, whycap, "time index entry %zu past the end of the segment", i);
            return why;
        }
        fl_seg_push_tidx(seg, ts, rel);
    }
    /* entries past the end belong to data that was cut (or never made it): drop them */
    size_t on = seg->n_oidx, tn = seg->n_tidx;
    fl_segment_index_trim(seg, seg->size, seg->next_offset);
    if (seg->n_oidx != on || seg->n_tidx != tn) seg->idx_rewrite = true;
    /* spot checks against the .log: the first and last offset entries, the last time entry */
    fl_segrd_t rd;
    fl_segrd_init(&rd, seg, FL_SEG_PROBE_WINDOW);
    const char *res = NULL;
    size_t picks[2] = {0, seg->n_oidx ? seg->n_oidx - 1 : 0};
    for (int k = 0; k < 2 && seg->n_oidx && !res; k++) {
        const fl_oidx_entry_t *e = &seg->oidx[picks[k]];
        fl_logbatch_t b;
        char w[160];
        fl_err_t err = fl_seg_check(&rd, e->pos, seg->size, max_batch, false, &b, w, sizeof(w));
        if (err || b.base_offset != seg->base_offset + e->rel) {
            snprintf(why, whycap, "offset index entry %zu does not point at batch %lld", picks[k],
                     (long long)(seg->base_offset + e->rel));
            res = why;
        }
    }
    if (!res && seg->n_tidx) {
        const fl_tidx_entry_t *e = &seg->tidx[seg->n_tidx - 1];
        uint64_t pos;
        fl_logbatch_t b;
        fl_err_t err = fl_seg_walk_to(seg, &rd, seg->base_offset + e->rel, seg->size, max_batch, &pos, &b);
        if (err || b.base_offset != seg->base_offset + e->rel || b.commit_timestamp != e->ts) {
            snprintf(why, whycap, "time index entry %zu does not match batch %lld", seg->n_tidx - 1,
                     (long long)(seg->base_offset + e->rel));
            res = why;
        }
    }
    fl_segrd_free(&rd);
    return res;
}

fl_err_t fl_segment_load_index(fl_segment_t *seg, uint32_t max_batch, uint32_t interval,
                               uint64_t index_max_bytes, uint64_t *scanned, bool *rebuilt) {
    if (rebuilt) *rebuilt = false;
    char dpath[4096], opath[4096], tpath[4096];
    fl_seg_path(seg, ".log", dpath, sizeof(dpath));
    fl_seg_path(seg, ".index", opath, sizeof(opath));
    fl_seg_path(seg, ".timeindex", tpath, sizeof(tpath));
    uint8_t *o = NULL, *t = NULL;
    size_t olen = 0, tlen = 0;
    char why[200];
    const char *reason = NULL;
    uint64_t cap = index_max_bytes * 2 + 4096;
    fl_err_t eo = fl_vfs_read_file(opath, cap, &o, &olen);
    fl_err_t et = fl_vfs_read_file(tpath, cap, &t, &tlen);
    if (eo == FL_ERR__NOENT || et == FL_ERR__NOENT) {
        snprintf(why, sizeof(why), "%s missing", eo == FL_ERR__NOENT ? "offset index" : "time index");
        reason = why;
    } else if (eo || et) {
        snprintf(why, sizeof(why), "unreadable (%s)", fl_err2str(eo ? eo : et));
        reason = why;
    } else {
        struct stat st;
        uint64_t file_size = seg->size;
        if (fl_vfs->fstat(seg->fd, &st) == 0 && (uint64_t)st.st_size > file_size)
            file_size = (uint64_t)st.st_size;
        reason = fl_seg_check_index(seg, file_size, o, olen, t, tlen, max_batch, why, sizeof(why));
    }
    fl_free(o);
    fl_free(t);
    if (!reason) {
        seg->idx_loaded = true;
        bool rewrite = seg->idx_rewrite;
        seg->oidx_persisted = seg->n_oidx;
        seg->tidx_persisted = seg->n_tidx;
        seg->idx_rewrite = rewrite;
        fl_err_t err = fl_segment_refresh_tail(seg, max_batch);
        if (err == FL_ERR_NONE) return FL_ERR_NONE;
        if (err == FL_ERR__IO) return err;
        snprintf(why, sizeof(why), "indexes do not match the batches after the last entry");
        reason = why;
    }
    /* rebuild from the .log */
    fl_segment_index_reset(seg);
    fl_segscan_t scan;
    fl_err_t err = fl_segment_scan(seg, 0, seg->size, seg->base_offset, max_batch, true, interval, &scan);
    if (scanned) *scanned += scan.bytes_read;
    if (err) return err;
    if (rebuilt) *rebuilt = true;
    fl_log_warn("storage", "index %s: %s; rebuilt from %llu bytes of %s", opath, reason,
                (unsigned long long)scan.bytes_read, dpath);
    if (scan.stopped) {
        fl_log_error("storage",
                     "corrupt batch in %s at byte %llu: %s; offsets from %lld in this segment are not served",
                     dpath, (unsigned long long)scan.end_pos, scan.why, (long long)scan.next_offset);
        seg->corrupt_at = scan.end_pos;
    }
    seg->verified_to = scan.end_pos;
    fl_segment_seal(seg);
    err = fl_segment_persist_index(seg);
    if (err) fl_log_warn("storage", "index %s not written (%s); kept in memory", opath, fl_err2str(err));
    return FL_ERR_NONE;
}

/* ---- read path -------------------------------------------------------------------------- */

static bool fl_seg_verified(const fl_segment_t *seg, uint64_t pos) {
    return pos < seg->verified_to || (pos >= seg->vrun_lo && pos < seg->vrun_hi);
}

static void fl_seg_mark_verified(fl_segment_t *seg, uint64_t pos, uint64_t size) {
    if (pos == seg->verified_to) {
        seg->verified_to += size;
        if (seg->verified_to >= seg->vrun_lo && seg->verified_to < seg->vrun_hi)
            seg->verified_to = seg->vrun_hi;
    } else if (pos == seg->vrun_hi && seg->vrun_hi > seg->vrun_lo) {
        seg->vrun_hi += size;
    } else {
        seg->vrun_lo = pos;
        seg->vrun_hi = pos + size;
    }
}

static void fl_seg_report_corrupt(fl_segment_t *seg, uint64_t pos, int64_t offset, const char *why) {
    if (pos >= seg->corrupt_at) return;
    seg->corrupt_at = pos;
    char path[4096];
    fl_seg_path(seg, ".log", path, sizeof(path));
    fl_log_error("storage",
                 "corrupt batch in %s at byte %llu: %s; offsets from %lld in this segment are not served",
                 path, (unsigned long long)pos, why, (long long)offset);
}

/* Check the batch at pos for the read path (CRC when not yet verified). */
static fl_err_t fl_seg_read_check(fl_segment_t *seg, fl_segrd_t *rd, uint64_t pos, uint64_t limit,
                                  int64_t exp, uint32_t max_batch, fl_logbatch_t *b) {
    char why[160];
    bool verify = !fl_seg_verified(seg, pos);
    fl_err_t e = fl_seg_check(rd, pos, limit, max_batch, verify, b, why, sizeof(why));
    if (e == FL_ERR__IO) return e;
    if (!e && b->base_offset != exp) {
        snprintf(why, sizeof(why), "offset discontinuity (batch base offset %lld, expected %lld)",
                 (long long)b->base_offset, (long long)exp);
        e = FL_ERR_CORRUPT_MESSAGE;
    }
    if (e) {
        fl_seg_report_corrupt(seg, pos, exp, why);
        return FL_ERR_CORRUPT_MESSAGE;
    }
    if (verify) fl_seg_mark_verified(seg, pos, b->size);
    return FL_ERR_NONE;
}

fl_err_t fl_segment_find(fl_segment_t *seg, int64_t offset, uint64_t max_bytes,
                         int64_t max_offset, bool min_one, uint32_t max_batch, fl_segrange_t *r) {
    memset(r, 0, sizeof(*r));
    r->first_ts = -1;
    uint64_t pos;
    int64_t exp;
    fl_segment_floor(seg, offset, &pos, &exp);
    r->first_offset = r->next_offset = exp;
    uint64_t limit = seg->size;
    if (seg->corrupt_at != UINT64_MAX && pos <= seg->corrupt_at) limit = seg->corrupt_at;
    fl_segrd_t rd;
    fl_segrd_init(&rd, seg, FL_SEG_READ_WINDOW);
    fl_err_t err = FL_ERR_NONE;
    fl_logbatch_t b;
    for (;;) {
        if (pos >= limit) {
            /* past the last batch; or stopped by a known corrupt batch */
            if (limit < seg->size) err = FL_ERR_CORRUPT_MESSAGE;
            r->pos = pos;
            r->first_offset = r->next_offset = exp;
            goto out;
        }
        err = fl_seg_read_check(seg, &rd, pos, limit, exp, max_batch, &b);
        if (err) goto out;
        if (fl_logbatch_next_offset(&b) > offset) break;
        pos += b.size;
        exp = fl_logbatch_next_offset(&b);
    }
    r->pos = pos;
    r->first_offset = r->next_offset = b.base_offset;
    r->first_ts = b.commit_timestamp;
    for (;;) {
        if (fl_logbatch_next_offset(&b) > max_offset) break;
        if (r->len + b.size > max_bytes && !(r->len == 0 && min_one)) break;
        r->len += b.size;
        r->next_offset = fl_logbatch_next_offset(&b);
        pos += b.size;
        if (pos >= limit || r->len >= max_bytes) break;
        if (fl_seg_read_check(seg, &rd, pos, limit, r->next_offset, max_batch, &b) != FL_ERR_NONE)
            break; /* serve what precedes it; the next read reports it */
    }
out:
    fl_segrd_free(&rd);
    return err;
}

fl_err_t fl_segment_find_ts(fl_segment_t *seg, int64_t ts, uint32_t max_batch, int64_t *offset) {
    if (seg->max_ts < ts) return FL_ERR__NOENT;
    int64_t start = seg->base_offset;
    for (size_t i = seg->n_tidx; i > 0; i--) {
        if (seg->tidx[i - 1].ts < ts) {
            start = seg->base_offset + seg->tidx[i - 1].rel;
            break;
        }
    }
    fl_segrd_t rd;
    fl_segrd_init(&rd, seg, FL_SEG_READ_WINDOW);
    uint64_t pos;
    fl_logbatch_t b;
    fl_err_t err = fl_seg_walk_to(seg, &rd, start, seg->size, max_batch, &pos, &b);
    char why[160];
    while (err == FL_ERR_NONE) {
        if (b.commit_timestamp >= ts) {
            *offset = b.base_offset;
            break;
        }
        int64_t exp = fl_logbatch_next_offset(&b);
        pos += b.size;
        if (pos >= seg->size) {
            err = FL_ERR__NOENT;
            break;
        }
        err = fl_seg_check(&rd, pos, seg->size, max_batch, false, &b, why, sizeof(why));
        if (err == FL_ERR_NONE && b.base_offset != exp) err = FL_ERR_CORRUPT_MESSAGE;
        else if (err && err != FL_ERR__IO) err = FL_ERR_CORRUPT_MESSAGE;
    }
    fl_segrd_free(&rd);
    return err;
}

fl_err_t fl_segment_locate(fl_segment_t *seg, int64_t offset, uint32_t max_batch, uint64_t *pos,
                           int64_t *base) {
    fl_segrd_t rd;
    fl_segrd_init(&rd, seg, FL_SEG_PROBE_WINDOW);
    fl_logbatch_t b;
    fl_err_t err = fl_seg_walk_to(seg, &rd, offset, seg->size, max_batch, pos, &b);
    if (!err) *base = b.base_offset;
    fl_segrd_free(&rd);
    return err;
}
