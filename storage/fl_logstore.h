/* fl_logstore.h: the log of one table bucket on local disk (a Fluss LogTablet's local log).
 *
 * One directory per bucket, holding:
 *   <20-digit base>.log / .index / .timeindex   segments (format: fl_segment.h)
 *   recovery-point                              the checkpoint below (durable-file recipe)
 *   *.tmp                                       leftovers of an interrupted durable write of
 *                                               one of the files above; deleted at open
 * Other files are left alone, so the tablet may keep e.g. a writer-state snapshot
 * ("writer-state.snapshot") here with fl_vfs_write_durable().
 *
 * recovery-point (68 bytes, little-endian):
 *   off size
 *   0   4   magic "FLRP"
 *   4   2   version (1)
 *   6   2   flags: bit 0 = written by a clean close
 *   8   8   recovery offset: every batch below it is fsynced, checked and indexed on disk
 *   16  8   base offset of the segment holding the recovery offset
 *   24  8   byte position of the recovery offset in that segment
 *   32  8   log start offset
 *   40  8   high watermark
 *   48  8   largest commit timestamp below the recovery offset (-1 when none)
 *   56  8   reserved (0)
 *   64  4   CRC-32C of bytes [0, 64)
 *
 * Durability invariants:
 *  L1. A batch is durable once a sync job that covers it finishes (flushed offset). The log
 *      never reports a batch flushed before fdatasync() of its segment (and, after a roll, of
 *      the directory) returned 0.
 *  L2. The recovery point is written only after the data below it and the index entries for
 *      it were fsynced. Recovery trusts everything below it and scans only what follows: from
 *      that byte of that segment to the end of the last segment.
 *  L3. Recovery cuts the log at the first batch that fails length, CRC or offset continuity,
 *      deletes every later segment, and logs the file, byte position, reason and bytes cut.
 *  L4. A failed write is rolled back with ftruncate to the last good size; if that fails, or
 *      an fsync fails, the log stops accepting appends (FL_ERR_LOG_STORAGE_EXCEPTION) until it
 *      is reopened. An fsync is never retried.
 *  L5. Retention deletes whole segments from the oldest, never the active one, never one at
 *      or after the recovery point's segment.
 *
 * Threads: a log is owned by one thread (the tablet's loop). Only fl_logstore_sync_run() may
 * run elsewhere (a worker), between _sync_prepare() and _sync_finish() on the owner thread.
 *
 * Write-behind (fl_logio_t, optional): with an I/O context attached, fl_logstore_append_async()
 * validates, rolls, assigns offsets and the commit timestamp and stamps the batches on the
 * owner thread, then hands the bytes to the context's writer thread; fl_logstore_sync_start()
 * hands an fsync job to its sync thread. The owner thread applies what finished with
 * fl_logio_complete() (woken through fl_logio_fd()). Three offsets then differ:
 *   end offset (fl_logstore_end_offset)      next offset to assign: appends see this
 *   written offset (fl_logstore_written_offset)  every batch below it is in the page cache;
 *                                            reads, indexes, segment sizes, syncs and the high
 *                                            watermark never go past it
 *   flushed offset                           L1
 * Writes of one log complete in the order they were assigned (one writer thread, FIFO).
 *  L6. A write that fails on the writer thread is rolled back with ftruncate (as L4) and fails
 *      the log, since the batches after it already have offsets; later queued writes of that log
 *      are discarded, never written. */
#ifndef FL_LOGSTORE_H
#define FL_LOGSTORE_H

#include "fl_base.h"
#include "fl_buf.h"

typedef struct fl_logstore_s fl_logstore_t;
typedef struct fl_segment_s fl_segment_t;

typedef enum fl_flush_policy_e {
    FL_FLUSH_EVERY_BATCH, /* fsync before acknowledging each group of appends */
    FL_FLUSH_INTERVAL,    /* fsync at most every flush_interval_ms */
    FL_FLUSH_NEVER,       /* leave it to the OS (segments are still synced when rolled) */
} fl_flush_policy_t;

typedef struct fl_logstore_conf_s {
    uint64_t segment_bytes;        /* log.segment.file-size; roll before exceeding (<= 2 GiB) */
    int64_t segment_ms;            /* roll when the first batch is this old; 0 = never */
    uint32_t index_interval_bytes; /* log.index.interval-size */
    uint64_t index_max_bytes;      /* log.index.file-size: roll when the offset index is full */
    uint32_t max_batch_bytes;      /* largest batch appended or recovered */
    fl_flush_policy_t flush_policy;
    int64_t flush_interval_ms;     /* FL_FLUSH_INTERVAL */
} fl_logstore_conf_t;

/** @brief Fluss defaults: 1 GiB segments, 4 KiB index interval, 10 MiB index, 64 MiB batches,
 * flush every batch. */
void fl_logstore_conf_defaults(fl_logstore_conf_t *conf /* OUT */);

/* What fl_logstore_open did: makes recovery time measurable (bench/). */
typedef struct fl_logstore_open_stats_s {
    bool had_checkpoint;      /* a valid recovery-point file was found */
    bool clean_shutdown;      /* ... written by fl_logstore_close() */
    uint32_t segments;        /* .log files found */
    uint32_t segments_scanned;
    uint32_t segments_deleted; /* after a cut, or discontinuous, or below the start offset */
    uint32_t indexes_rebuilt;
    uint64_t bytes_scanned;   /* segment bytes read and checked by recovery */
    uint64_t bytes_cut;       /* bytes removed from the tail (including deleted segments) */
    int64_t recovered_from;   /* offset where the scan started */
    int64_t elapsed_us;
    char cut_file[64];        /* first cut: segment file name ("" when none) */
    uint64_t cut_pos;         /* ... byte position */
    char cut_reason[160];
} fl_logstore_open_stats_t;

/**
 * @brief Open (creating dir and an empty log at offset 0 if needed) and recover a bucket log.
 * @returns FL_ERR_NONE; FL_ERR__IO / FL_ERR__NOSPC when the directory cannot be read or the
 * recovered state cannot be made durable.
 */
fl_err_t fl_logstore_open(const char *dir, const fl_logstore_conf_t *conf,
                          fl_logstore_t **log /* OUT */, fl_logstore_open_stats_t *st /* OUT */);
/** @brief Flush, write a clean recovery point, free. @returns the flush/checkpoint error. */
fl_err_t fl_logstore_close(fl_logstore_t *log);
/** @brief Free without any I/O (what a crash leaves; tests). */
void fl_logstore_abandon(fl_logstore_t *log);

int64_t fl_logstore_start_offset(const fl_logstore_t *log);
int64_t fl_logstore_end_offset(const fl_logstore_t *log);   /* next offset to assign */
int64_t fl_logstore_high_watermark(const fl_logstore_t *log);
int64_t fl_logstore_flushed_offset(const fl_logstore_t *log);
uint64_t fl_logstore_size_bytes(const fl_logstore_t *log);
size_t fl_logstore_segment_count(const fl_logstore_t *log);
/** @returns the base offset of segment i (0 = oldest). */
int64_t fl_logstore_segment_base(const fl_logstore_t *log, size_t i);
/** @returns true after a failed write rollback or fsync (L4). */
bool fl_logstore_failed(const fl_logstore_t *log);
/** @brief Set the high watermark (clamped to [start, written offset]). */
void fl_logstore_set_high_watermark(fl_logstore_t *log, int64_t hw);

typedef struct fl_append_info_s {
    int64_t base_offset;      /* of the first batch */
    int64_t next_offset;      /* after the last batch (the new log end offset) */
    int64_t commit_timestamp; /* stamped into every batch */
    uint32_t batches;
    uint64_t position;        /* byte position of the first batch in its segment */
} fl_append_info_t;

/**
 * @brief Append already validated batches (fl_logbatch_validate): assigns offsets from the log
 * end offset and the commit timestamp max(now_ms, previous), stamps them into records in place,
 * rolls the segment when needed, and writes (page cache; durability is the sync job's).
 * @returns FL_ERR_NONE; FL_ERR__INVAL when records are not whole batches;
 * FL_ERR_RECORD_TOO_LARGE_EXCEPTION; FL_ERR__NOSPC / FL_ERR__IO after rolling back (L4);
 * FL_ERR_LOG_STORAGE_EXCEPTION when the log has failed.
 */
fl_err_t fl_logstore_append(fl_logstore_t *log, uint8_t *records, size_t len, int64_t now_ms,
                            fl_append_info_t *info /* OUT */);

/** @brief Start a new segment now (no-op when the active one is empty). */
fl_err_t fl_logstore_roll(fl_logstore_t *log);

/* ---- write-behind ----------------------------------------------------------------------- */

typedef struct fl_logio_s fl_logio_t;
/* Called on the owner thread when a write-behind job is finished (written, discarded after a
 * failure, or never queued): the bytes may be freed or reused from then on. */
typedef void (fl_logio_release_cb)(void *arg);

/** @brief Start a writer thread and a sync thread. @returns NULL when threads cannot start. */
fl_logio_t *fl_logio_new(void);
/** @brief Stop the threads. Every log using io must be closed or abandoned first. */
void fl_logio_free(fl_logio_t *io);
/** @returns an eventfd that becomes readable when finished jobs wait for fl_logio_complete(). */
int fl_logio_fd(const fl_logio_t *io);
/** @brief Apply finished writes (sizes, indexes, written offsets; a failure fails the log, L6)
 *  and finished syncs (fl_logstore_sync_finish). Owner thread. @returns jobs applied. */
size_t fl_logio_complete(fl_logio_t *io, int64_t now_ms);
/** @brief Block until every job of every log is finished, then apply them. */
void fl_logio_drain(fl_logio_t *io, int64_t now_ms);

/** @brief Attach a log to an I/O context (NULL: synchronous, the default). Nothing may be in
 *  flight. */
void fl_logstore_set_io(fl_logstore_t *log, fl_logio_t *io);
/** @returns the log's I/O context, or NULL. */
fl_logio_t *fl_logstore_io(const fl_logstore_t *log);
/** @returns the offset below which every batch is written (== end offset when none is in
 *  flight). */
int64_t fl_logstore_written_offset(const fl_logstore_t *log);
/** @returns true while write or sync jobs of this log are queued, running or not yet applied. */
bool fl_logstore_io_pending(const fl_logstore_t *log);

/**
 * @brief fl_logstore_append, written behind: on FL_ERR_NONE the batches have their offsets
 * (info) and release(arg) is called on the owner thread once their write finished or was
 * discarded; until then records must stay valid and unchanged. The write's outcome shows as
 * the written offset passing info->next_offset, or as fl_logstore_failed() (L6). Without an
 * I/O context the write happens now and release runs before this returns. On an error nothing
 * was queued and release is not called.
 */
fl_err_t fl_logstore_append_async(fl_logstore_t *log, uint8_t *records, size_t len,
                                  int64_t now_ms, fl_logio_release_cb *release, void *arg,
                                  fl_append_info_t *info /* OUT */);

/* ---- group commit (STYLE.md 10) --------------------------------------------------------- */

/* An fsync job: prepared on the owner thread, run anywhere, finished on the owner thread. */
typedef struct fl_logsync_s {
    fl_segment_t **segs;     /* referenced segments with unsynced bytes */
    uint64_t *sizes;         /* their sizes at prepare */
    size_t n;
    const char *dir;
    bool sync_dir;           /* a segment was created since the last sync */
    int64_t target_offset;   /* log end offset at prepare */
    int64_t target_seg;      /* its segment base and byte position */
    uint64_t target_pos;
    int64_t target_max_ts;
    uint64_t gen;            /* truncation generation at prepare */
    fl_err_t err;            /* set by _run */
} fl_logsync_t;

/** @returns true when the flush policy wants a sync now (always after a roll). */
bool fl_logstore_flush_due(const fl_logstore_t *log, int64_t now_ms);
/** @brief Capture what must be synced. @returns false when there is nothing to do. */
bool fl_logstore_sync_prepare(fl_logstore_t *log, fl_logsync_t *job /* OUT */);
/** @brief fdatasync the captured segments (and the directory). Any thread. */
void fl_logstore_sync_run(fl_logsync_t *job);
/** @brief Advance the flushed offset, or fail the log (L4). Frees the job. @returns job->err. */
fl_err_t fl_logstore_sync_finish(fl_logstore_t *log, fl_logsync_t *job, int64_t now_ms);
/** @brief prepare + run + finish on the calling thread (after waiting for the log's
 *  write-behind jobs). */
fl_err_t fl_logstore_flush(fl_logstore_t *log, int64_t now_ms);
/** @brief Start a sync of everything written: on the I/O context's sync thread (finished by
 *  fl_logio_complete), or now without one. No-op while one is running (sync_busy).
 *  @returns FL_ERR_NONE, or the error of a synchronous flush. */
fl_err_t fl_logstore_sync_start(fl_logstore_t *log, int64_t now_ms);
/** @returns true while a sync job started by fl_logstore_sync_start() is not finished. */
bool fl_logstore_sync_busy(const fl_logstore_t *log);

/** @brief Persist index entries and write the recovery point at the flushed offset (L2).
 * Blocking; call every few seconds and after retention. */
fl_err_t fl_logstore_checkpoint(fl_logstore_t *log);

/* ---- reads ------------------------------------------------------------------------------ */

/* Whole batches [first_offset, next_offset) at [pos, pos + len) of fd, for sendfile(). The
 * segment stays referenced (its fd open even if retention deletes it) until released. A later
 * fl_logstore_truncate() may shorten the file: send at most what is still there. */
typedef struct fl_logslice_s {
    fl_segment_t *seg;       /* NULL when len == 0 */
    int fd;
    uint64_t pos;
    uint64_t len;
    int64_t first_offset;
    int64_t next_offset;     /* where the next read continues */
} fl_logslice_t;

/**
 * @brief Batches starting with the one containing offset, from one segment: at most
 * max_bytes (but the first batch whole when min_one), only batches ending at or below
 * max_offset (pass the high watermark for client fetches). A read at the end gives len 0.
 * @returns FL_ERR_LOG_OFFSET_OUT_OF_RANGE_EXCEPTION outside [start, end];
 * FL_ERR_CORRUPT_MESSAGE when the batch at offset is corrupt (logged once).
 */
fl_err_t fl_logstore_read(fl_logstore_t *log, int64_t offset, uint64_t max_bytes,
                          int64_t max_offset, bool min_one, fl_logslice_t *slice /* OUT */);
void fl_logslice_release(fl_logslice_t *slice);
/** @brief fl_logstore_read, copying the bytes into out (appended). */
fl_err_t fl_logstore_read_copy(fl_logstore_t *log, int64_t offset, uint64_t max_bytes,
                               int64_t max_offset, bool min_one, fl_buf_t *out,
                               int64_t *next_offset /* OUT */);

/** @brief Base offset of the first batch with commit timestamp >= ts; the log end offset
 * when there is none. */
fl_err_t fl_logstore_offset_for_time(fl_logstore_t *log, int64_t ts, int64_t *offset /* OUT */);

/* ---- retention and truncation ----------------------------------------------------------- */

/**
 * @brief Delete old segments (L5): those whose largest commit timestamp is older than
 * now_ms - ttl_ms (ttl_ms <= 0: off), then the oldest while the rest still hold at least
 * max_bytes (0: off). Advances the log start offset and checkpoints when it deleted any.
 */
fl_err_t fl_logstore_retain(fl_logstore_t *log, int64_t now_ms, int64_t ttl_ms,
                            uint64_t max_bytes, uint32_t *deleted /* OUT */);

/**
 * @brief Remove every batch at or after offset; a batch containing offset goes whole (the new
 * end is its base offset). Made durable (fsync, recovery point) before returning.
 * @returns FL_ERR__INVAL for an offset below the log start offset.
 */
fl_err_t fl_logstore_truncate(fl_logstore_t *log, int64_t offset);

#endif
