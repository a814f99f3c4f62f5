/* fl_logstore.c: a bucket's log: segments, append, group-commit sync, recovery point,
 * recovery, reads, retention and truncation. Invariants L1-L5 are in fl_logstore.h. */
#include "fl_logstore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fl_crc32c.h"
#include "fl_log.h"
#include "fl_logbatch.h"
#include "fl_segment.h"
#include "fl_vfs.h"

#define FL_RP_NAME "recovery-point"
#define FL_RP_SIZE 68
#define FL_RP_VERSION 1
#define FL_RP_CLEAN 0x1

struct fl_logstore_s {
    char *dir;
    fl_logstore_conf_t conf;
    fl_segment_t **segs;      /* by base offset; the last one is the active segment */
    size_t n_segs, cap_segs;
    int64_t lso;              /* log start offset */
    int64_t hw;               /* high watermark, set by the caller */
    int64_t flushed;          /* L1 */
    int64_t max_ts;           /* largest commit timestamp assigned or recovered */
    bool failed;              /* L4 */
    bool dir_dirty;           /* a segment file was created or removed since the last sync */
    int64_t last_flush_ms;
    uint64_t gen;             /* bumped by truncation; stale sync jobs do not advance */
    /* the recovery point (L2): the flushed position */
    int64_t rp_offset, rp_seg;
    uint64_t rp_pos;
    int64_t rp_max_ts;
    /* write-behind (fl_logio_t) */
    fl_logio_t *io;
    size_t io_jobs;           /* queued, running or finished but not applied (write + sync) */
    size_t w_jobs;            /* ... of them writes */
    uint64_t w_bytes;         /* bytes of those writes */
    uint32_t w_batches;
    int64_t a_next;           /* while w_jobs: next offset to assign */
    uint64_t a_pos;           /* ... and its byte position in the active segment */
    int64_t a_ts;             /* largest commit timestamp assigned */
    bool sync_busy;           /* a sync job of fl_logstore_sync_start is out */
    bool w_failed;            /* @owner: writer thread. A write failed: discard the rest (L6) */
};

static void fl_log_wait_io(fl_logstore_t *log, bool writes_only);

typedef struct fl_rp_s {
    uint16_t flags;
    int64_t offset, seg, lso, hw, max_ts;
    uint64_t pos;
} fl_rp_t;

void fl_logstore_conf_defaults(fl_logstore_conf_t *conf) {
    memset(conf, 0, sizeof(*conf));
    conf->segment_bytes = 1ull << 30;
    conf->segment_ms = 0;
    conf->index_interval_bytes = 4096;
    conf->index_max_bytes = 10ull << 20;
    conf->max_batch_bytes = 64u << 20;
    conf->flush_policy = FL_FLUSH_EVERY_BATCH;
    conf->flush_interval_ms = 1000;
}

static fl_segment_t *fl_active(const fl_logstore_t *log) {
    return log->segs[log->n_segs - 1];
}

int64_t fl_logstore_start_offset(const fl_logstore_t *log) { return log->lso; }
int64_t fl_logstore_end_offset(const fl_logstore_t *log) {
    return log->w_jobs ? log->a_next : fl_active(log)->next_offset;
}
int64_t fl_logstore_written_offset(const fl_logstore_t *log) { return fl_active(log)->next_offset; }
bool fl_logstore_io_pending(const fl_logstore_t *log) { return log->io_jobs > 0; }
fl_logio_t *fl_logstore_io(const fl_logstore_t *log) { return log->io; }
bool fl_logstore_sync_busy(const fl_logstore_t *log) { return log->sync_busy; }
int64_t fl_logstore_high_watermark(const fl_logstore_t *log) { return log->hw; }
int64_t fl_logstore_flushed_offset(const fl_logstore_t *log) { return log->flushed; }
size_t fl_logstore_segment_count(const fl_logstore_t *log) { return log->n_segs; }
bool fl_logstore_failed(const fl_logstore_t *log) { return log->failed; }

int64_t fl_logstore_segment_base(const fl_logstore_t *log, size_t i) {
    return i < log->n_segs ? log->segs[i]->base_offset : -1;
}

uint64_t fl_logstore_size_bytes(const fl_logstore_t *log) {
    uint64_t n = 0;
    for (size_t i = 0; i < log->n_segs; i++) n += log->segs[i]->size;
    return n;
}

void fl_logstore_set_high_watermark(fl_logstore_t *log, int64_t hw) {
    int64_t leo = fl_logstore_written_offset(log);
    log->hw = hw < log->lso ? log->lso : hw > leo ? leo : hw;
}

static void fl_log_push_seg(fl_logstore_t *log, fl_segment_t *seg) {
    if (log->n_segs == log->cap_segs) {
        log->cap_segs = log->cap_segs ? log->cap_segs * 2 : 16;
        log->segs = fl_realloc(log->segs, log->cap_segs * sizeof(*log->segs));
    }
    log->segs[log->n_segs++] = seg;
}

static void fl_log_free(fl_logstore_t *log) {
    for (size_t i = 0; i < log->n_segs; i++) fl_segment_unref(log->segs[i]);
    fl_free(log->segs);
    fl_free(log->dir);
    fl_free(log);
}

static fl_err_t fl_log_ensure_index(fl_logstore_t *log, fl_segment_t *seg) {
    if (seg->idx_loaded) return FL_ERR_NONE;
    return fl_segment_load_index(seg, log->conf.max_batch_bytes, log->conf.index_interval_bytes,
                                 log->conf.index_max_bytes, NULL, NULL);
}

/* @returns the index of the segment holding offset (the last with base <= offset). */
static size_t fl_log_seg_for(const fl_logstore_t *log, int64_t offset) {
    size_t lo = 0, hi = log->n_segs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base_offset <= offset) lo = mid + 1;
        else hi = mid;
    }
    return lo ? lo - 1 : 0;
}

static void fl_log_seg_name(const fl_segment_t *seg, char *out, size_t cap) {
    fl_segment_name(seg->base_offset, ".log", out, cap);
}

/* ---- recovery point --------------------------------------------------------------------- */

static void fl_put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t fl_get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static fl_err_t fl_rp_write(fl_logstore_t *log, bool clean) {
    uint8_t b[FL_RP_SIZE];
    memset(b, 0, sizeof(b));
    memcpy(b, "FLRP", 4);
    b[4] = FL_RP_VERSION;
    b[6] = clean ? FL_RP_CLEAN : 0;
    fl_put64(b + 8, (uint64_t)log->rp_offset);
    fl_put64(b + 16, (uint64_t)log->rp_seg);
    fl_put64(b + 24, log->rp_pos);
    fl_put64(b + 32, (uint64_t)log->lso);
    fl_put64(b + 40, (uint64_t)log->hw);
    fl_put64(b + 48, (uint64_t)log->rp_max_ts);
    uint32_t crc = fl_crc32c(b, 64);
    for (int i = 0; i < 4; i++) b[64 + i] = (uint8_t)(crc >> (8 * i));
    return fl_vfs_write_durable(log->dir, FL_RP_NAME, b, sizeof(b));
}

static bool fl_rp_read(const char *dir, fl_rp_t *rp) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, FL_RP_NAME);
    uint8_t *b = NULL;
    size_t len = 0;
    fl_err_t err = fl_vfs_read_file(path, 4096, &b, &len);
    if (err == FL_ERR__NOENT) return false;
    const char *why = NULL;
    if (err) why = fl_err2str(err);
    else if (len != FL_RP_SIZE) why = "wrong size";
    else if (memcmp(b, "FLRP", 4) != 0) why = "bad magic";
    else if (b[4] != FL_RP_VERSION || b[5] != 0) why = "unknown version";
    else if (fl_crc32c(b, 64) != ((uint32_t)b[64] | (uint32_t)b[65] << 8 | (uint32_t)b[66] << 16 |
                                  (uint32_t)b[67] << 24))
        why = "CRC mismatch";
    if (!why) {
        rp->flags = (uint16_t)(b[6] | b[7] << 8);
        rp->offset = (int64_t)fl_get64(b + 8);
        rp->seg = (int64_t)fl_get64(b + 16);
        rp->pos = fl_get64(b + 24);
        rp->lso = (int64_t)fl_get64(b + 32);
        rp->hw = (int64_t)fl_get64(b + 40);
        rp->max_ts = (int64_t)fl_get64(b + 48);
        if (rp->seg < 0 || rp->offset < rp->seg || rp->lso < 0 || rp->pos > (1ull << 40))
            why = "values out of range";
    }
    fl_free(b);
    if (why) {
        fl_log_warn("storage", "recovery point %s is damaged (%s); scanning the whole log", path, why);
        return false;
    }
    return true;
}

static fl_err_t fl_log_checkpoint(fl_logstore_t *log, bool clean) {
    for (size_t i = 0; i < log->n_segs; i++) {
        fl_err_t err = fl_segment_persist_index(log->segs[i]);
        if (err) return err;
    }
    return fl_rp_write(log, clean);
}

fl_err_t fl_logstore_checkpoint(fl_logstore_t *log) {
    return fl_log_checkpoint(log, false);
}

/* ---- open / recovery -------------------------------------------------------------------- */

static int fl_cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Delete a leftover "<our file>.tmp". */
static void fl_log_maybe_remove_tmp(const char *dir, const char *name) {
    size_t n = strlen(name);
    if (n < 5 || strcmp(name + n - 4, ".tmp") != 0) return;
    char stem[256];
    if (n - 4 >= sizeof(stem)) return;
    memcpy(stem, name, n - 4);
    stem[n - 4] = 0;
    int64_t base;
    if (strcmp(stem, FL_RP_NAME) != 0 && !fl_segment_parse_name(stem, ".index", &base) &&
        !fl_segment_parse_name(stem, ".timeindex", &base) && !fl_segment_parse_name(stem, ".log", &base))
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (fl_vfs->unlink(path) == 0) fl_log_info("storage", "recovery: removed leftover %s", path);
}

static void fl_log_drop_segments_from(fl_logstore_t *log, size_t from, int64_t cut_offset,
                                      fl_logstore_open_stats_t *st) {
    for (size_t j = from; j < log->n_segs; j++) {
        fl_segment_t *s = log->segs[j];
        char name[64];
        fl_log_seg_name(s, name, sizeof(name));
        fl_log_warn("storage", "recovery: %s/%s: deleted (%llu bytes after the cut at offset %lld)",
                    log->dir, name, (unsigned long long)s->size, (long long)cut_offset);
        st->bytes_cut += s->size;
        st->segments_deleted++;
        fl_segment_unlink(s);
        fl_segment_unref(s);
    }
    if (from < log->n_segs) log->dir_dirty = true;
    log->n_segs = from;
}

fl_err_t fl_logstore_open(const char *dir, const fl_logstore_conf_t *conf, fl_logstore_t **logp,
                          fl_logstore_open_stats_t *st) {
    int64_t t0 = fl_mono_us();
    memset(st, 0, sizeof(*st));
    *logp = NULL;
    if (fl_vfs->mkdir(dir, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        fl_log_error("storage", "mkdir() failed: %s (directory %s)", strerror(e), dir);
        return fl_vfs_errno2err(e);
    }
    fl_logstore_t *log = fl_calloc(1, sizeof(*log));
    log->dir = fl_strdup(dir);
    log->conf = *conf;
    if (log->conf.segment_bytes > (2ull << 30)) log->conf.segment_bytes = 2ull << 30;
    if (log->conf.index_interval_bytes == 0) log->conf.index_interval_bytes = 4096;
    log->max_ts = -1;
    log->a_ts = -1;
    fl_err_t err = FL_ERR_NONE;

    fl_rp_t rp;
    memset(&rp, 0, sizeof(rp));
    st->had_checkpoint = fl_rp_read(dir, &rp);
    st->clean_shutdown = st->had_checkpoint && (rp.flags & FL_RP_CLEAN);

    DIR *d = fl_vfs->opendir(dir);
    if (!d) {
        fl_log_error("storage", "opendir() failed: %s (directory %s)", strerror(errno), dir);
        fl_log_free(log);
        return FL_ERR__IO;
    }
    int64_t *bases = NULL;
    size_t n_bases = 0, cap_bases = 0;
    struct dirent *de;
    while ((de = fl_vfs->readdir(d)) != NULL) {
        int64_t base;
        if (fl_segment_parse_name(de->d_name, ".log", &base)) {
            if (n_bases == cap_bases) {
                cap_bases = cap_bases ? cap_bases * 2 : 16;
                bases = fl_realloc(bases, cap_bases * sizeof(*bases));
            }
            bases[n_bases++] = base;
        } else {
            fl_log_maybe_remove_tmp(dir, de->d_name);
        }
    }
    fl_vfs->closedir(d);
    if (n_bases) qsort(bases, n_bases, sizeof(*bases), fl_cmp_i64);
    for (size_t i = 0; i < n_bases; i++) {
        fl_segment_t *seg;
        err = fl_segment_open(log->dir, bases[i], false, &seg);
        if (err) break;
        fl_log_push_seg(log, seg);
    }
    fl_free(bases);
    if (err) goto err;
    st->segments = (uint32_t)log->n_segs;

    /* Where the scan starts (L2). */
    size_t k = 0;
    uint64_t start_pos = 0;
    int64_t expected = log->n_segs ? log->segs[0]->base_offset : (st->had_checkpoint ? rp.offset : 0);
    bool trusted = false, partial = false;
    if (st->had_checkpoint && log->n_segs) {
        size_t i = log->n_segs;
        for (size_t j = 0; j < log->n_segs; j++)
            if (log->segs[j]->base_offset == rp.seg) i = j;
        if (i < log->n_segs && log->segs[i]->size >= rp.pos) {
            k = i;
            start_pos = rp.pos;
            expected = rp.offset;
            trusted = true;
            log->max_ts = rp.max_ts;
        } else if (i < log->n_segs) {
            /* The recovery point's segment is shorter than recorded (its tail was cut or torn
             * after the checkpoint). The segments before it were synced and checked whole
             * before the checkpoint was written (L2): keep trusting them and re-scan only this
             * segment from its first byte. */
            fl_log_warn("storage",
                        "recovery point of %s (offset %lld, segment %lld, byte %llu) lies beyond the "
                        "end of its segment (%llu bytes); re-scanning that segment",
                        dir, (long long)rp.offset, (long long)rp.seg, (unsigned long long)rp.pos,
                        (unsigned long long)log->segs[i]->size);
            k = i;
            start_pos = 0;
            expected = log->segs[i]->base_offset;
            trusted = true;
            partial = true;
            log->max_ts = rp.max_ts;
        } else {
            fl_log_warn("storage",
                        "recovery point of %s (offset %lld, segment %lld, byte %llu) does not match "
                        "the segment files; scanning the whole log",
                        dir, (long long)rp.offset, (long long)rp.seg, (unsigned long long)rp.pos);
        }
    }
    for (size_t j = 0; trusted && j < k; j++) log->segs[j]->next_offset = log->segs[j + 1]->base_offset;
    st->recovered_from = expected;

    if (trusted && start_pos > 0) {
        /* the checkpointed prefix of segment k: load its indexes as far as the recovery point */
        fl_segment_t *seg = log->segs[k];
        uint64_t file_size = seg->size;
        seg->size = start_pos;
        seg->next_offset = expected;
        bool rebuilt = false;
        err = fl_segment_load_index(seg, conf->max_batch_bytes, log->conf.index_interval_bytes,
                                    conf->index_max_bytes, &st->bytes_scanned, &rebuilt);
        if (rebuilt) st->indexes_rebuilt++;
        seg->size = file_size;
        if (err) goto err;
    }

    for (size_t i = k; i < log->n_segs; i++) {
        fl_segment_t *seg = log->segs[i];
        char name[64];
        fl_log_seg_name(seg, name, sizeof(name));
        uint64_t from = 0;
        if (i == k && trusted) {
            from = start_pos;
            if (from == 0) fl_segment_index_reset(seg);
        } else {
            if (seg->base_offset != expected) {
                snprintf(st->cut_reason, sizeof(st->cut_reason),
                         "segment base offset %lld does not follow end offset %lld",
                         (long long)seg->base_offset, (long long)expected);
                fl_log_warn("storage", "recovery: %s/%s: %s", dir, name, st->cut_reason);
                if (!st->cut_file[0]) {
                    snprintf(st->cut_file, sizeof(st->cut_file), "%s", name);
                    st->cut_pos = 0;
                }
                fl_log_drop_segments_from(log, i, expected, st);
                break;
            }
            fl_segment_index_reset(seg);
        }
        fl_segscan_t scan;
        err = fl_segment_scan(seg, from, seg->size, expected, conf->max_batch_bytes, true,
                              log->conf.index_interval_bytes, &scan);
        st->segments_scanned++;
        st->bytes_scanned += scan.bytes_read;
        if (err) goto err;
        if (from == 0) seg->verified_to = scan.end_pos;
        else {
            seg->vrun_lo = from;
            seg->vrun_hi = scan.end_pos;
        }
        seg->next_offset = scan.next_offset;
        if (scan.end_pos > from) seg->synced_size = from; /* what survived may sit in the page cache */
        expected = scan.next_offset;
        if (seg->max_ts > log->max_ts) log->max_ts = seg->max_ts;
        if (!scan.stopped) continue;
        uint64_t cut = seg->size - scan.end_pos;
        fl_log_warn("storage", "recovery: %s/%s: cut at byte %llu (%s), %llu bytes removed; log end offset %lld",
                    dir, name, (unsigned long long)scan.end_pos, scan.why, (unsigned long long)cut,
                    (long long)scan.next_offset);
        if (!st->cut_file[0]) {
            snprintf(st->cut_file, sizeof(st->cut_file), "%s", name);
            st->cut_pos = scan.end_pos;
            snprintf(st->cut_reason, sizeof(st->cut_reason), "%s", scan.why);
        }
        if (fl_vfs->ftruncate(seg->fd, (off_t)scan.end_pos) != 0) {
            fl_log_error("storage", "ftruncate() failed: %s (segment %s/%s, position %llu)",
                         strerror(errno), dir, name, (unsigned long long)scan.end_pos);
            err = FL_ERR__IO;
            goto err;
        }
        seg->size = scan.end_pos;
        seg->synced_size = 0;
        st->bytes_cut += cut;
        fl_log_drop_segments_from(log, i + 1, scan.next_offset, st);
        break;
    }

    if (log->n_segs == 0) {
        fl_segment_t *seg;
        err = fl_segment_open(log->dir, expected, true, &seg);
        if (err) goto err;
        fl_segment_index_reset(seg);
        fl_log_push_seg(log, seg);
        log->dir_dirty = true;
    }
    /* every scanned segment but the active one is closed: give it its final time entry */
    for (size_t i = k; i + 1 < log->n_segs; i++) fl_segment_seal(log->segs[i]);

    int64_t leo = fl_logstore_end_offset(log);
    log->lso = log->segs[0]->base_offset;
    if (st->had_checkpoint && rp.lso > log->lso) log->lso = rp.lso > leo ? leo : rp.lso;
    /* segments wholly below the start offset: an interrupted retention */
    while (log->n_segs > 1 && log->segs[1]->base_offset <= log->lso) {
        fl_segment_t *s = log->segs[0];
        char name[64];
        fl_log_seg_name(s, name, sizeof(name));
        fl_log_info("storage", "recovery: %s/%s: deleted (below log start offset %lld)", dir, name,
                    (long long)log->lso);
        fl_segment_unlink(s);
        fl_segment_unref(s);
        memmove(log->segs, log->segs + 1, (log->n_segs - 1) * sizeof(*log->segs));
        log->n_segs--;
        st->segments_deleted++;
        log->dir_dirty = true;
        if (k > 0) k--;
    }
    log->hw = st->had_checkpoint ? rp.hw : log->lso;
    fl_logstore_set_high_watermark(log, log->hw);

    /* Make the recovered state durable so the next start does not scan it again. */
    bool changed = st->bytes_scanned > 0 || st->segments_deleted > 0 || st->bytes_cut > 0 ||
                   log->dir_dirty || !st->had_checkpoint || st->indexes_rebuilt > 0;
    fl_segment_t *act = fl_active(log);
    if (partial) {
        /* trusted up to the start of the re-scanned segment only */
        log->flushed = st->recovered_from;
        log->rp_offset = log->flushed;
        log->rp_seg = st->recovered_from;
        log->rp_pos = 0;
        log->rp_max_ts = rp.max_ts;
    } else {
        log->flushed = trusted ? rp.offset : log->lso;
        log->rp_offset = log->flushed;
        log->rp_seg = trusted ? rp.seg : act->base_offset;
        log->rp_pos = trusted ? rp.pos : 0;
        log->rp_max_ts = trusted ? rp.max_ts : -1;
    }
    if (changed) {
        err = fl_logstore_flush(log, 0);
        if (!err) err = fl_log_checkpoint(log, false);
        if (err) goto err;
    } else {
        log->flushed = leo;
    }
    st->elapsed_us = fl_mono_us() - t0;
    fl_log_info("storage",
                "opened log %s: offsets [%lld, %lld), %zu segments, %s, scanned %llu bytes from offset "
                "%lld, cut %llu bytes, in %lld us",
                dir, (long long)log->lso, (long long)leo, log->n_segs,
                st->clean_shutdown ? "clean shutdown" : st->had_checkpoint ? "unclean shutdown" : "no recovery point",
                (unsigned long long)st->bytes_scanned, (long long)st->recovered_from,
                (unsigned long long)st->bytes_cut, (long long)st->elapsed_us);
    *logp = log;
    return FL_ERR_NONE;
err:
    fl_log_free(log);
    return err;
}

fl_err_t fl_logstore_close(fl_logstore_t *log) {
    fl_err_t err = FL_ERR_NONE;
    fl_log_wait_io(log, false);
    if (!log->failed) {
        fl_segment_seal(fl_active(log));
        err = fl_logstore_flush(log, 0);
        if (!err) err = fl_log_checkpoint(log, true);
    }
    fl_log_free(log);
    return err;
}

void fl_logstore_abandon(fl_logstore_t *log) {
    fl_log_wait_io(log, false); /* the jobs point at the log */
    fl_log_free(log);
}

/* ---- append ----------------------------------------------------------------------------- */

fl_err_t fl_logstore_roll(fl_logstore_t *log) {
    fl_log_wait_io(log, true); /* the active segment's size must be final */
    fl_segment_t *act = fl_active(log);
    if (act->size == 0) return FL_ERR_NONE;
    fl_segment_t *seg;
    fl_err_t err = fl_segment_open(log->dir, act->next_offset, true, &seg);
    if (err) return err;
    fl_segment_seal(act);
    fl_segment_index_reset(seg);
    seg->next_offset = act->next_offset;
    fl_log_push_seg(log, seg);
    log->dir_dirty = true;
    return FL_ERR_NONE;
}

/* Roll before appending len bytes (span offsets) at byte size / offset leo of act? idx is
 * the number of offset-index entries the segment will have before this append. */
static bool fl_log_roll_due(const fl_logstore_t *log, const fl_segment_t *act, uint64_t size,
                            int64_t leo, size_t len, int64_t span, int64_t now_ms, uint64_t idx) {
    return size > 0 &&
           (size + len > log->conf.segment_bytes ||
            (log->conf.segment_ms > 0 && act->first_ts >= 0 &&
             now_ms - act->first_ts >= log->conf.segment_ms) ||
            (idx + 1) * FL_OIDX_ENTRY > log->conf.index_max_bytes ||
            leo + span - act->base_offset > INT32_MAX);
}

/* Count the whole batches of records. @returns FL_ERR_NONE, the iterator's error, or
 * FL_ERR__INVAL for trailing bytes. */
static fl_err_t fl_log_count_batches(const fl_logstore_t *log, uint8_t *records, size_t len,
                                     uint32_t *n, int64_t *span) {
    fl_logbatch_iter_t it;
    fl_logbatch_t b;
    int r;
    *n = 0;
    *span = 0;
    fl_logbatch_iter_init(&it, records, len, log->conf.max_batch_bytes, false);
    while ((r = fl_logbatch_iter_next(&it, &b)) == 1) {
        (*n)++;
        *span += (int64_t)b.last_offset_delta + 1;
    }
    if (r < 0) return it.err;
    if (it.trailing) return FL_ERR__INVAL;
    return FL_ERR_NONE;
}

/* Stamp offsets from off and the commit timestamp ts into every batch. @returns the next
 * offset. */
static int64_t fl_log_stamp(const fl_logstore_t *log, uint8_t *records, size_t len, int64_t off,
                            int64_t ts) {
    fl_logbatch_t b;
    for (size_t p = 0; p < len;) {
        fl_logbatch_parse_header(records + p, len - p, log->conf.max_batch_bytes, &b, NULL);
        fl_logbatch_stamp_base_offset(records + p, off);
        fl_logbatch_stamp_commit_timestamp(records + p, ts);
        off += (int64_t)b.last_offset_delta + 1;
        p += b.size;
    }
    return off;
}

/* The batches of records were written at pos of seg: index them, grow the segment. */
static void fl_log_written(fl_logstore_t *log, fl_segment_t *seg, const uint8_t *records,
                           size_t len, uint64_t pos, int64_t ts) {
    fl_logbatch_t b;
    int64_t off = seg->next_offset;
    for (size_t p = 0; p < len;) {
        fl_logbatch_parse_header(records + p, len - p, log->conf.max_batch_bytes, &b, NULL);
        fl_segment_index_batch(seg, pos + p, off, ts, b.size, log->conf.index_interval_bytes);
        off += (int64_t)b.last_offset_delta + 1;
        p += b.size;
    }
    if (seg->verified_to == pos) seg->verified_to = pos + len;
    seg->size = pos + len;
    seg->next_offset = off;
    if (ts > log->max_ts) log->max_ts = ts;
}

fl_err_t fl_logstore_append(fl_logstore_t *log, uint8_t *records, size_t len, int64_t now_ms,
                            fl_append_info_t *info) {
    memset(info, 0, sizeof(*info));
    if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    if (len == 0) return FL_ERR__INVAL;
    uint32_t n;
    int64_t records_span;
    fl_err_t err = fl_log_count_batches(log, records, len, &n, &records_span);
    if (err) return err;

    fl_log_wait_io(log, true);
    if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    fl_segment_t *act = fl_active(log);
    int64_t leo = act->next_offset;
    if (fl_log_roll_due(log, act, act->size, leo, len, records_span, now_ms, act->n_oidx)) {
        err = fl_logstore_roll(log);
        if (err) return err;
        act = fl_active(log);
    }
    int64_t ts = FL_MAX(now_ms, FL_MAX(log->max_ts, log->a_ts));
    int64_t off = fl_log_stamp(log, records, len, leo, ts);
    uint64_t pos = act->size;
    size_t written = 0;
    err = fl_write_full(act->fd, records, len, (off_t)pos, &written);
    if (err) {
        int e = errno;
        char name[64];
        fl_log_seg_name(act, name, sizeof(name));
        fl_log_error("storage", "write() failed: %s (segment %s/%s, position %llu, %zu bytes, %zu written); "
                     "truncating back to %llu",
                     strerror(e), log->dir, name, (unsigned long long)pos, len, written,
                     (unsigned long long)pos);
        if (fl_vfs->ftruncate(act->fd, (off_t)pos) != 0) {
            fl_log_error("storage", "ftruncate() failed: %s (segment %s/%s, position %llu); "
                         "log stops accepting writes",
                         strerror(errno), log->dir, name, (unsigned long long)pos);
            log->failed = true;
        }
        return err;
    }
    log->a_ts = ts;
    fl_log_written(log, act, records, len, pos, ts);
    info->base_offset = leo;
    info->next_offset = off;
    info->commit_timestamp = ts;
    info->batches = n;
    info->position = pos;
    return FL_ERR_NONE;
}

/* ---- write-behind ----------------------------------------------------------------------- */

enum { FL_IOQ_WRITE = 0, FL_IOQ_SYNC = 1, FL_IOQ_N = 2 };

/* A job: allocated and applied on the owner thread, run on the queue's thread. */
typedef struct fl_iojob_s {
    struct fl_iojob_s *next;
    int kind;                       /* FL_IOQ_* */
    fl_logstore_t *log;
    /* FL_IOQ_WRITE: records [p, p + len) at pos of seg (referenced) */
    fl_segment_t *seg;
    const uint8_t *p;
    size_t len;
    uint64_t pos;
    int64_t ts;
    uint32_t batches;
    fl_logio_release_cb *release;
    void *release_arg;
    bool discarded;                 /* not written: an earlier write of the log failed (L6) */
    fl_err_t err;
    /* FL_IOQ_SYNC */
    fl_logsync_t sync;
} fl_iojob_t;

struct fl_logio_s {
    pthread_mutex_t mu;
    pthread_cond_t work[FL_IOQ_N];  /* a queue got a job, or stop */
    pthread_cond_t done_cv;         /* a job finished */
    fl_iojob_t *head[FL_IOQ_N], *tail[FL_IOQ_N]; /* @lock: mu */
    fl_iojob_t *done, *done_tail;   /* @lock: mu. Finished, in finishing order */
    bool stop;                      /* @lock: mu */
    pthread_t th[FL_IOQ_N];
    int nth;
    int efd;                        /* written when done turns non-empty */
    size_t outstanding;             /* @owner: loop. Submitted, not applied */
};

typedef struct fl_iothread_arg_s {
    fl_logio_t *io;
    int q;
} fl_iothread_arg_t;

static void fl_io_run_write(fl_iojob_t *j) {
    fl_logstore_t *log = j->log;
    if (log->w_failed) {
        j->discarded = true;
        return;
    }
    size_t written = 0;
    fl_err_t err = fl_write_full(j->seg->fd, j->p, j->len, (off_t)j->pos, &written);
    if (!err) return;
    int e = errno;
    char name[64];
    fl_log_seg_name(j->seg, name, sizeof(name));
    fl_log_error("storage", "write() failed: %s (segment %s/%s, position %llu, %zu bytes, %zu written); "
                 "truncating back to %llu; the log stops accepting writes (later batches already "
                 "have offsets)",
                 strerror(e), log->dir, name, (unsigned long long)j->pos, j->len, written,
                 (unsigned long long)j->pos);
    if (fl_vfs->ftruncate(j->seg->fd, (off_t)j->pos) != 0)
        fl_log_error("storage", "ftruncate() failed: %s (segment %s/%s, position %llu)",
                     strerror(errno), log->dir, name, (unsigned long long)j->pos);
    log->w_failed = true;
    j->err = err;
}

static void *fl_io_thread(void *argp) {
    fl_iothread_arg_t *arg = argp;
    fl_logio_t *io = arg->io;
    int q = arg->q;
    fl_free(arg);
    pthread_mutex_lock(&io->mu);
    for (;;) {
        while (!io->head[q] && !io->stop) pthread_cond_wait(&io->work[q], &io->mu);
        fl_iojob_t *j = io->head[q];
        if (!j) break; /* stopping and empty */
        io->head[q] = j->next;
        if (!io->head[q]) io->tail[q] = NULL;
        pthread_mutex_unlock(&io->mu);
        if (q == FL_IOQ_WRITE) fl_io_run_write(j);
        else fl_logstore_sync_run(&j->sync);
        j->next = NULL;
        pthread_mutex_lock(&io->mu);
        bool wake = !io->done;
        if (io->done_tail) io->done_tail->next = j;
        else io->done = j;
        io->done_tail = j;
        pthread_cond_broadcast(&io->done_cv);
        if (wake) {
            uint64_t one = 1;
            ssize_t w = write(io->efd, &one, sizeof(one));
            (void)w; /* EAGAIN: the counter is already non-zero */
        }
    }
    pthread_mutex_unlock(&io->mu);
    return NULL;
}

fl_logio_t *fl_logio_new(void) {
    fl_logio_t *io = fl_calloc(1, sizeof(*io));
    io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (io->efd < 0) {
        fl_log_error("storage", "eventfd() failed: %s", strerror(errno));
        fl_free(io);
        return NULL;
    }
    pthread_mutex_init(&io->mu, NULL);
    pthread_cond_init(&io->done_cv, NULL);
    for (int q = 0; q < FL_IOQ_N; q++) {
        pthread_cond_init(&io->work[q], NULL);
        fl_iothread_arg_t *arg = fl_malloc(sizeof(*arg));
        arg->io = io;
        arg->q = q;
        int rc = pthread_create(&io->th[q], NULL, fl_io_thread, arg);
        if (rc != 0) {
            fl_log_error("storage", "pthread_create() failed: %s", strerror(rc));
            fl_free(arg);
            fl_logio_free(io);
            return NULL;
        }
        io->nth++;
    }
    return io;
}

static void fl_io_apply(fl_iojob_t *j, int64_t now_ms) {
    fl_logstore_t *log = j->log;
    if (j->kind == FL_IOQ_WRITE) {
        log->w_jobs--;
        log->w_bytes -= j->len;
        log->w_batches -= j->batches;
        if (j->err) {
            log->failed = true;
        } else if (!j->discarded) {
            /* writes of a log finish in assignment order: this one continues the segment */
            fl_log_written(log, j->seg, j->p, j->len, j->pos, j->ts);
        }
        fl_segment_unref(j->seg);
        if (j->release) j->release(j->release_arg);
    } else {
        log->sync_busy = false;
        fl_logstore_sync_finish(log, &j->sync, now_ms);
    }
    log->io_jobs--;
    fl_free(j);
}

size_t fl_logio_complete(fl_logio_t *io, int64_t now_ms) {
    uint64_t v;
    ssize_t r = read(io->efd, &v, sizeof(v));
    (void)r;
    pthread_mutex_lock(&io->mu);
    fl_iojob_t *list = io->done;
    io->done = io->done_tail = NULL;
    pthread_mutex_unlock(&io->mu);
    size_t n = 0;
    while (list) {
        fl_iojob_t *j = list;
        list = j->next;
        io->outstanding--;
        fl_io_apply(j, now_ms);
        n++;
    }
    return n;
}

/* Block until a job finishes (unless some already wait), then apply what finished. */
static void fl_io_wait_some(fl_logio_t *io) {
    pthread_mutex_lock(&io->mu);
    while (!io->done) pthread_cond_wait(&io->done_cv, &io->mu);
    pthread_mutex_unlock(&io->mu);
    fl_logio_complete(io, fl_now_ms());
}

void fl_logio_drain(fl_logio_t *io, int64_t now_ms) {
    while (io->outstanding) fl_io_wait_some(io);
    fl_logio_complete(io, now_ms);
}

void fl_logio_free(fl_logio_t *io) {
    if (!io) return;
    if (io->outstanding) fl_logio_drain(io, fl_now_ms());
    pthread_mutex_lock(&io->mu);
    io->stop = true;
    for (int q = 0; q < FL_IOQ_N; q++) pthread_cond_broadcast(&io->work[q]);
    pthread_mutex_unlock(&io->mu);
    for (int q = 0; q < io->nth; q++) pthread_join(io->th[q], NULL);
    for (int q = 0; q < FL_IOQ_N; q++) pthread_cond_destroy(&io->work[q]);
    pthread_cond_destroy(&io->done_cv);
    pthread_mutex_destroy(&io->mu);
    close(io->efd);
    fl_free(io);
}

int fl_logio_fd(const fl_logio_t *io) { return io->efd; }

static void fl_io_submit(fl_logio_t *io, fl_iojob_t *j) {
    j->next = NULL;
    j->log->io_jobs++;
    io->outstanding++;
    pthread_mutex_lock(&io->mu);
    if (io->tail[j->kind]) io->tail[j->kind]->next = j;
    else io->head[j->kind] = j;
    io->tail[j->kind] = j;
    pthread_cond_signal(&io->work[j->kind]);
    pthread_mutex_unlock(&io->mu);
}

/* Wait for the log's write jobs (writes_only) or all its jobs to finish and be applied. */
static void fl_log_wait_io(fl_logstore_t *log, bool writes_only) {
    while (log->io && (writes_only ? log->w_jobs : log->io_jobs)) fl_io_wait_some(log->io);
}

void fl_logstore_set_io(fl_logstore_t *log, fl_logio_t *io) {
    fl_log_wait_io(log, false);
    log->io = io;
}

fl_err_t fl_logstore_append_async(fl_logstore_t *log, uint8_t *records, size_t len,
                                  int64_t now_ms, fl_logio_release_cb *release, void *arg,
                                  fl_append_info_t *info) {
    if (!log->io) {
        fl_err_t err = fl_logstore_append(log, records, len, now_ms, info);
        if (!err && release) release(arg);
        return err;
    }
    memset(info, 0, sizeof(*info));
    if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    if (len == 0) return FL_ERR__INVAL;
    uint32_t n;
    int64_t span;
    fl_err_t err = fl_log_count_batches(log, records, len, &n, &span);
    if (err) return err;
    fl_segment_t *act = fl_active(log);
    if (log->w_jobs &&
        fl_log_roll_due(log, act, log->a_pos, log->a_next, len, span, now_ms,
                        act->n_oidx + log->w_batches + log->w_bytes / log->conf.index_interval_bytes)) {
        /* roll only once the active segment's writes are in: its size must be final */
        fl_log_wait_io(log, true);
        if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    }
    if (!log->w_jobs) {
        if (fl_log_roll_due(log, act, act->size, act->next_offset, len, span, now_ms, act->n_oidx)) {
            err = fl_logstore_roll(log);
            if (err) return err;
            act = fl_active(log);
        }
        log->a_next = act->next_offset;
        log->a_pos = act->size;
    }
    int64_t leo = log->a_next;
    uint64_t pos = log->a_pos;
    int64_t ts = FL_MAX(now_ms, FL_MAX(log->max_ts, log->a_ts));
    int64_t off = fl_log_stamp(log, records, len, leo, ts);
    log->a_ts = ts;
    log->a_next = off;
    log->a_pos = pos + len;
    log->w_jobs++;
    log->w_bytes += len;
    log->w_batches += n;
    fl_iojob_t *j = fl_calloc(1, sizeof(*j));
    j->kind = FL_IOQ_WRITE;
    j->log = log;
    j->seg = act;
    fl_segment_ref(act);
    j->p = records;
    j->len = len;
    j->pos = pos;
    j->ts = ts;
    j->batches = n;
    j->release = release;
    j->release_arg = arg;
    fl_io_submit(log->io, j);
    info->base_offset = leo;
    info->next_offset = off;
    info->commit_timestamp = ts;
    info->batches = n;
    info->position = pos;
    return FL_ERR_NONE;
}

/* ---- group commit ----------------------------------------------------------------------- */

bool fl_logstore_flush_due(const fl_logstore_t *log, int64_t now_ms) {
    if (log->failed) return false;
    bool pending = log->dir_dirty, closed_pending = false;
    for (size_t i = 0; i < log->n_segs; i++) {
        if (log->segs[i]->synced_size < log->segs[i]->size) {
            pending = true;
            if (i + 1 < log->n_segs) closed_pending = true;
        }
    }
    if (!pending) return false;
    if (closed_pending) return true;
    switch (log->conf.flush_policy) {
    case FL_FLUSH_EVERY_BATCH: return true;
    case FL_FLUSH_INTERVAL: return now_ms - log->last_flush_ms >= log->conf.flush_interval_ms;
    default: return false;
    }
}

static void fl_log_set_rp(fl_logstore_t *log, int64_t offset, int64_t seg, uint64_t pos, int64_t max_ts) {
    log->flushed = offset;
    log->rp_offset = offset;
    log->rp_seg = seg;
    log->rp_pos = pos;
    log->rp_max_ts = max_ts;
}

bool fl_logstore_sync_prepare(fl_logstore_t *log, fl_logsync_t *job) {
    memset(job, 0, sizeof(*job));
    fl_segment_t *act = fl_active(log);
    job->dir = log->dir;
    job->gen = log->gen;
    job->target_offset = act->next_offset;
    job->target_seg = act->base_offset;
    job->target_pos = act->size;
    job->target_max_ts = log->max_ts;
    job->sync_dir = log->dir_dirty;
    for (size_t i = 0; i < log->n_segs; i++) {
        fl_segment_t *seg = log->segs[i];
        if (seg->synced_size >= seg->size) continue;
        if (job->n == 0) {
            job->segs = fl_malloc(log->n_segs * sizeof(*job->segs));
            job->sizes = fl_malloc(log->n_segs * sizeof(*job->sizes));
        }
        fl_segment_ref(seg);
        job->segs[job->n] = seg;
        job->sizes[job->n] = seg->size;
        job->n++;
    }
    if (job->n == 0 && !job->sync_dir) {
        if (job->target_offset > log->flushed)
            fl_log_set_rp(log, job->target_offset, job->target_seg, job->target_pos, job->target_max_ts);
        return false;
    }
    log->dir_dirty = false;
    return true;
}

void fl_logstore_sync_run(fl_logsync_t *job) {
    job->err = FL_ERR_NONE;
    for (size_t i = 0; i < job->n; i++) {
        if (fl_vfs->fdatasync(job->segs[i]->fd) != 0) {
            char name[64];
            fl_log_seg_name(job->segs[i], name, sizeof(name));
            fl_log_error("storage", "fdatasync() failed: %s (segment %s/%s)", strerror(errno),
                         job->dir, name);
            job->err = FL_ERR__IO;
            return;
        }
    }
    if (job->sync_dir) job->err = fl_vfs_fsync_dir(job->dir);
}

fl_err_t fl_logstore_sync_finish(fl_logstore_t *log, fl_logsync_t *job, int64_t now_ms) {
    fl_err_t err = job->err;
    if (err) {
        if (!log->failed)
            fl_log_error("storage", "log %s stops accepting writes after a failed fsync", log->dir);
        log->failed = true;
    } else {
        for (size_t i = 0; i < job->n; i++) {
            fl_segment_t *seg = job->segs[i];
            if (!seg->removed && job->sizes[i] > seg->synced_size)
                seg->synced_size = FL_MIN(job->sizes[i], seg->size);
        }
        if (job->gen == log->gen && job->target_offset > log->flushed)
            fl_log_set_rp(log, job->target_offset, job->target_seg, job->target_pos, job->target_max_ts);
        log->last_flush_ms = now_ms;
    }
    for (size_t i = 0; i < job->n; i++) fl_segment_unref(job->segs[i]);
    fl_free(job->segs);
    fl_free(job->sizes);
    memset(job, 0, sizeof(*job));
    return err;
}

fl_err_t fl_logstore_flush(fl_logstore_t *log, int64_t now_ms) {
    fl_log_wait_io(log, false);
    if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    fl_logsync_t job;
    if (!fl_logstore_sync_prepare(log, &job)) return FL_ERR_NONE;
    fl_logstore_sync_run(&job);
    return fl_logstore_sync_finish(log, &job, now_ms);
}

fl_err_t fl_logstore_sync_start(fl_logstore_t *log, int64_t now_ms) {
    if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    if (!log->io) return fl_logstore_flush(log, now_ms);
    if (log->sync_busy) return FL_ERR_NONE;
    fl_iojob_t *j = fl_calloc(1, sizeof(*j));
    if (!fl_logstore_sync_prepare(log, &j->sync)) {
        fl_free(j);
        return FL_ERR_NONE;
    }
    j->kind = FL_IOQ_SYNC;
    j->log = log;
    log->sync_busy = true;
    fl_io_submit(log->io, j);
    return FL_ERR_NONE;
}

/* ---- reads ------------------------------------------------------------------------------ */

fl_err_t fl_logstore_read(fl_logstore_t *log, int64_t offset, uint64_t max_bytes,
                          int64_t max_offset, bool min_one, fl_logslice_t *slice) {
    memset(slice, 0, sizeof(*slice));
    slice->fd = -1;
    slice->first_offset = slice->next_offset = offset;
    int64_t leo = fl_logstore_end_offset(log);
    if (offset < log->lso || offset > leo) return FL_ERR_LOG_OFFSET_OUT_OF_RANGE_EXCEPTION;
    /* batches still being written behind are not there yet */
    if (offset >= fl_logstore_written_offset(log) || offset >= max_offset) return FL_ERR_NONE;
    fl_segment_t *seg = log->segs[fl_log_seg_for(log, offset)];
    fl_err_t err = fl_log_ensure_index(log, seg);
    if (err) return err;
    fl_segrange_t r;
    err = fl_segment_find(seg, offset, max_bytes, max_offset, min_one, log->conf.max_batch_bytes, &r);
    if (err) return err;
    if (r.len == 0) return FL_ERR_NONE;
    fl_segment_ref(seg);
    slice->seg = seg;
    slice->fd = seg->fd;
    slice->pos = r.pos;
    slice->len = r.len;
    slice->first_offset = r.first_offset;
    slice->next_offset = r.next_offset;
    return FL_ERR_NONE;
}

void fl_logslice_release(fl_logslice_t *slice) {
    if (slice->seg) fl_segment_unref(slice->seg);
    slice->seg = NULL;
    slice->fd = -1;
}

fl_err_t fl_logstore_read_copy(fl_logstore_t *log, int64_t offset, uint64_t max_bytes,
                               int64_t max_offset, bool min_one, fl_buf_t *out, int64_t *next) {
    fl_logslice_t s;
    fl_err_t err = fl_logstore_read(log, offset, max_bytes, max_offset, min_one, &s);
    *next = s.next_offset;
    if (err || s.len == 0) return err;
    uint8_t *p = fl_buf_extend(out, (size_t)s.len);
    ssize_t got = fl_read_full(s.fd, p, (size_t)s.len, (off_t)s.pos);
    if (got != (ssize_t)s.len) {
        fl_log_error("storage", "pread() failed: %s (log %s, position %llu, %llu bytes)",
                     got < 0 ? strerror(errno) : "short read", log->dir, (unsigned long long)s.pos,
                     (unsigned long long)s.len);
        out->len -= (size_t)s.len;
        err = FL_ERR__IO;
    }
    fl_logslice_release(&s);
    return err;
}

fl_err_t fl_logstore_offset_for_time(fl_logstore_t *log, int64_t ts, int64_t *offset) {
    for (size_t i = 0; i < log->n_segs; i++) {
        fl_segment_t *seg = log->segs[i];
        fl_err_t err = fl_log_ensure_index(log, seg);
        if (err) return err;
        err = fl_segment_find_ts(seg, ts, log->conf.max_batch_bytes, offset);
        if (err == FL_ERR__NOENT) continue;
        if (err) return err;
        if (*offset < log->lso) *offset = log->lso;
        return FL_ERR_NONE;
    }
    *offset = fl_logstore_written_offset(log);
    return FL_ERR_NONE;
}

/* ---- retention and truncation ----------------------------------------------------------- */

fl_err_t fl_logstore_retain(fl_logstore_t *log, int64_t now_ms, int64_t ttl_ms,
                            uint64_t max_bytes, uint32_t *deleted) {
    *deleted = 0;
    uint64_t total = fl_logstore_size_bytes(log);
    while (log->n_segs > 1) {
        fl_segment_t *seg = log->segs[0];
        if (seg->base_offset >= log->rp_seg) break; /* L5 */
        fl_err_t err = fl_log_ensure_index(log, seg);
        if (err) return err;
        bool expired = ttl_ms > 0 && seg->max_ts < now_ms - ttl_ms;
        bool over = max_bytes > 0 && total - seg->size >= max_bytes;
        if (!expired && !over) break;
        char name[64];
        fl_log_seg_name(seg, name, sizeof(name));
        fl_log_info("storage",
                    "retention: deleted %s/%s (offsets %lld-%lld, %llu bytes, largest timestamp %lld, %s)",
                    log->dir, name, (long long)seg->base_offset, (long long)seg->next_offset - 1,
                    (unsigned long long)seg->size, (long long)seg->max_ts, expired ? "ttl" : "size");
        total -= seg->size;
        fl_segment_unlink(seg);
        fl_segment_unref(seg);
        memmove(log->segs, log->segs + 1, (log->n_segs - 1) * sizeof(*log->segs));
        log->n_segs--;
        if (log->segs[0]->base_offset > log->lso) log->lso = log->segs[0]->base_offset;
        if (log->hw < log->lso) log->hw = log->lso;
        log->dir_dirty = true;
        (*deleted)++;
    }
    return *deleted ? fl_log_checkpoint(log, false) : FL_ERR_NONE;
}

fl_err_t fl_logstore_truncate(fl_logstore_t *log, int64_t offset) {
    fl_log_wait_io(log, false);
    if (offset < log->lso) return FL_ERR__INVAL;
    if (log->failed) return FL_ERR_LOG_STORAGE_EXCEPTION;
    if (offset >= fl_logstore_end_offset(log)) return FL_ERR_NONE;
    size_t i = fl_log_seg_for(log, offset);
    fl_segment_t *seg = log->segs[i];
    fl_err_t err = fl_log_ensure_index(log, seg);
    if (err) return err;
    uint64_t pos;
    int64_t base;
    err = fl_segment_locate(seg, offset, log->conf.max_batch_bytes, &pos, &base);
    if (err) return err;
    log->gen++;
    for (size_t j = i + 1; j < log->n_segs; j++) {
        fl_segment_unlink(log->segs[j]);
        fl_segment_unref(log->segs[j]);
    }
    log->n_segs = i + 1;
    char name[64];
    fl_log_seg_name(seg, name, sizeof(name));
    if (fl_vfs->ftruncate(seg->fd, (off_t)pos) != 0) {
        fl_log_error("storage", "ftruncate() failed: %s (segment %s/%s, position %llu); "
                     "log stops accepting writes",
                     strerror(errno), log->dir, name, (unsigned long long)pos);
        log->failed = true;
        return FL_ERR__IO;
    }
    fl_log_info("storage", "truncated %s/%s at byte %llu (log end offset %lld -> %lld)", log->dir,
                name, (unsigned long long)pos, (long long)fl_logstore_end_offset(log), (long long)base);
    seg->size = pos;
    seg->next_offset = base;
    seg->synced_size = 0; /* the new size must be synced too */
    if (seg->verified_to > pos) seg->verified_to = pos;
    seg->vrun_lo = seg->vrun_hi = 0;
    if (seg->corrupt_at >= pos) seg->corrupt_at = UINT64_MAX;
    fl_segment_index_trim(seg, pos, base);
    err = fl_segment_refresh_tail(seg, log->conf.max_batch_bytes);
    if (err) return err;
    if (log->hw > base) log->hw = base;
    if (log->flushed > base) log->flushed = base;
    if (log->rp_offset > base) {
        log->rp_offset = base;
        log->rp_seg = seg->base_offset;
        log->rp_pos = pos;
    }
    log->dir_dirty = true;
    err = fl_logstore_flush(log, 0);
    if (!err) err = fl_log_checkpoint(log, false);
    return err;
}
