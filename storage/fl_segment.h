/* fl_segment.h: one log segment of a bucket log: <base>.log plus its two sparse indexes.
 * Internal to storage/ (fl_logstore.c and the storage tests); the tablet uses fl_logstore.h.
 *
 * Files, named by the base offset (the offset of the first batch) as 20 zero-padded digits:
 *
 *   00000000000000012345.log        whole LogRecordBatches (protocol/fl_logbatch.h) back to
 *                                   back, exactly as served to clients. No segment header.
 *   00000000000000012345.index      offset index, 8-byte little-endian entries:
 *                                     off size
 *                                     0   4    uint32 relative offset (batch BaseOffset - base)
 *                                     4   4    uint32 byte position of that batch in the .log
 *                                   one entry per log.index.interval-size bytes appended;
 *                                   relative offsets and positions strictly increase.
 *   00000000000000012345.timeindex  time index, 12-byte little-endian entries:
 *                                     0   8    int64  commit timestamp (ms) of the batch
 *                                     8   4    uint32 relative offset of that batch
 *                                   added with an offset-index entry when the timestamp grew,
 *                                   and for the last batch when the segment is sealed, so the
 *                                   last entry of a closed segment holds its largest timestamp.
 *
 * Invariants:
 *  S1. Batch base offsets are continuous: each batch's BaseOffset is the previous batch's
 *      next offset, and the first is the segment's base offset. Commit timestamps never go
 *      down (the log assigns max(now, previous)).
 *  S2. The indexes are caches: the in-memory arrays are authoritative while the process runs,
 *      the files are written lazily (fl_segment_persist_index) and rebuilt from the .log when
 *      missing or failing validation (fl_segment_load_index).
 *  S3. [0, verified_to) and [vrun_lo, vrun_hi) hold batches that passed length, CRC and
 *      continuity checks in this process; anything else is checked before it is served.
 *
 * @owner: loop (every field), except that a sync job or a write-behind job may read fd and
 * base_offset from a worker thread while holding a reference. */
#ifndef FL_SEGMENT_H
#define FL_SEGMENT_H

#include "fl_base.h"
#include "fl_logbatch.h"

#define FL_SEG_NAME_LEN 20
#define FL_OIDX_ENTRY 8
#define FL_TIDX_ENTRY 12

typedef struct fl_oidx_entry_s {
    uint32_t rel;  /* batch base offset - segment base */
    uint32_t pos;  /* byte position in the .log */
} fl_oidx_entry_t;

typedef struct fl_tidx_entry_s {
    int64_t ts;    /* commit timestamp, ms */
    uint32_t rel;
} fl_tidx_entry_t;

typedef struct fl_segment_s {
    const char *dir;            /* bucket directory, borrowed from the log */
    int64_t base_offset;
    int64_t next_offset;        /* offset after the last batch */
    uint64_t size;              /* bytes of whole batches in the .log */
    uint64_t synced_size;       /* bytes known to be fsynced */
    int fd;                     /* the .log, O_RDWR; -1 when closed */
    int refs;                   /* the log holds one; slices and sync jobs one each */
    bool removed;               /* deleted from the log (files unlinked) */

    bool idx_loaded;            /* the arrays below are valid */
    bool idx_rewrite;           /* files must be rewritten whole (rebuilt or trimmed) */
    fl_oidx_entry_t *oidx;
    size_t n_oidx, cap_oidx, oidx_persisted;
    fl_tidx_entry_t *tidx;
    size_t n_tidx, cap_tidx, tidx_persisted;
    uint64_t bytes_since_index; /* appended since the last offset-index entry */

    int64_t max_ts;             /* largest commit timestamp; -1 when empty or not loaded */
    int64_t max_ts_offset;      /* base offset of the batch carrying max_ts */
    int64_t first_ts;           /* commit timestamp of the first batch; -1 when empty */

    uint64_t verified_to;       /* S3 */
    uint64_t vrun_lo, vrun_hi;  /* S3: the last verified run outside the prefix */
    uint64_t corrupt_at;        /* first bad batch found by a read; UINT64_MAX when none */
} fl_segment_t;

/* Result of a scan over [start, limit) of a segment. */
typedef struct fl_segscan_s {
    uint64_t end_pos;           /* OUT: after the last good batch */
    int64_t next_offset;        /* OUT: offset after the last good batch */
    uint64_t bytes_read;        /* OUT: bytes read from the .log */
    uint32_t batches;           /* OUT: good batches */
    bool stopped;               /* OUT: a bad or incomplete batch at end_pos ended the scan */
    char why[160];              /* OUT: when stopped, the reason */
} fl_segscan_t;

/** @brief File name of a segment: "<20 digits><ext>" into out (at least 32 bytes). */
void fl_segment_name(int64_t base, const char *ext, char *out /* OUT */, size_t cap);
/** @returns true and *base if name is "<20 digits>.log" (exactly). */
bool fl_segment_parse_name(const char *name, const char *ext, int64_t *base /* OUT */);

/** @brief Open (create when create=true) the .log of base in dir. Indexes are not loaded. */
fl_err_t fl_segment_open(const char *dir, int64_t base, bool create, fl_segment_t **seg /* OUT */);
void fl_segment_ref(fl_segment_t *seg);
/** @brief Drop a reference; the last one closes the fd and frees the segment. */
void fl_segment_unref(fl_segment_t *seg);
/** @brief Unlink the segment's three files (the fd stays usable until the last unref). */
void fl_segment_unlink(fl_segment_t *seg);

/** @brief Start empty in-memory indexes (for a new segment or a scan from 0). */
void fl_segment_index_reset(fl_segment_t *seg);
/** @brief Record a batch appended at pos in the indexes (S2). */
void fl_segment_index_batch(fl_segment_t *seg, uint64_t pos, int64_t base, int64_t ts,
                            uint64_t size, uint32_t interval);
/** @brief Add the final time-index entry for the largest timestamp (on roll / close). */
void fl_segment_seal(fl_segment_t *seg);
/** @brief Drop index entries at or past the batch position pos / offset next. */
void fl_segment_index_trim(fl_segment_t *seg, uint64_t pos, int64_t next);

/**
 * @brief Scan and check the batches in [start, limit): header, length, CRC, continuity from
 * expected. With build_index, good batches are added to the indexes and max_ts is updated.
 */
fl_err_t fl_segment_scan(fl_segment_t *seg, uint64_t start, uint64_t limit, int64_t expected,
                         uint32_t max_batch, bool build_index, uint32_t interval,
                         fl_segscan_t *scan /* OUT */);

/**
 * @brief Load the index files of a segment whose size and next_offset are known, check them
 * (entry size, ordering, bounds, spot checks against the .log) and drop entries at or past
 * seg->size. Missing or damaged files are rebuilt by a full scan, with a log line.
 * *scanned (optional) adds the bytes read by a rebuild; *rebuilt is set when one happened.
 */
fl_err_t fl_segment_load_index(fl_segment_t *seg, uint32_t max_batch, uint32_t interval,
                               uint64_t index_max_bytes, uint64_t *scanned /* OUT */,
                               bool *rebuilt /* OUT */);
/** @brief Write index entries not yet in the files (or the whole files) and fsync them. */
fl_err_t fl_segment_persist_index(fl_segment_t *seg);

/** @brief Recompute max_ts, max_ts_offset and bytes_since_index by reading the headers after
 * the last index entry (a few KiB). Indexes must be loaded. */
fl_err_t fl_segment_refresh_tail(fl_segment_t *seg, uint32_t max_batch);

/** @returns the position and base offset of the last index entry at or below offset. */
void fl_segment_floor(const fl_segment_t *seg, int64_t offset, uint64_t *pos /* OUT */,
                      int64_t *base /* OUT */);

/* A contiguous range of whole batches in one segment. */
typedef struct fl_segrange_s {
    uint64_t pos;
    uint64_t len;
    int64_t first_offset;       /* base offset of the first batch */
    int64_t next_offset;        /* offset after the last batch */
    int64_t first_ts;           /* commit timestamp of the first batch (-1 when len == 0) */
} fl_segrange_t;

/**
 * @brief Find the batches starting with the one containing offset: whole batches only, at
 * most max_bytes (the first batch even when larger if min_one), only batches whose next offset
 * is <= max_offset. Batches outside the verified ranges are CRC-checked first (S3).
 * @returns FL_ERR_NONE (len may be 0); FL_ERR_CORRUPT_MESSAGE when the batch at offset is bad
 * (logged once with file and byte position); FL_ERR__IO.
 */
fl_err_t fl_segment_find(fl_segment_t *seg, int64_t offset, uint64_t max_bytes,
                         int64_t max_offset, bool min_one, uint32_t max_batch,
                         fl_segrange_t *r /* OUT */);

/**
 * @brief The first batch whose commit timestamp is >= ts. @returns FL_ERR_NONE with *offset,
 * FL_ERR__NOENT when every batch is older.
 */
fl_err_t fl_segment_find_ts(fl_segment_t *seg, int64_t ts, uint32_t max_batch,
                            int64_t *offset /* OUT */);

/** @brief Position and base offset of the batch containing offset (header walk, no CRC).
 * @returns FL_ERR__NOENT when offset is past the last batch. */
fl_err_t fl_segment_locate(fl_segment_t *seg, int64_t offset, uint32_t max_batch,
                           uint64_t *pos /* OUT */, int64_t *base /* OUT */);

#endif
