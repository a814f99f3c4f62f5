/* fl_logbatch.h: the Fluss LogRecordBatch header (ProduceLog / FetchLog payload and the bytes
 * stored in log segments). Digest: /work/shared/reference/fluss-formats.md section 1.
 *
 * A records blob is a concatenation of batches, each self-delimiting through Length. All
 * integers are little-endian.
 *
 *   field            V0 off  V1 off  size  notes
 *   BaseOffset          0       0     8    int64, written by the server (client writes 0)
 *   Length              8       8     4    int32, batch size - 12 (LOG_OVERHEAD)
 *   Magic              12      12     1    0 (what 0.9.1 writes) or 1
 *   CommitTimestamp    13      13     8    int64 ms, written by the server
 *   LeaderEpoch         -      21     4    int32, V1 only (-1 from clients)
 *   CRC                21      25     4    uint32 CRC-32C of [SchemaId, end of batch)
 *   SchemaId           25      29     2    int16
 *   Attributes         27      31     1    bit 0 = append-only; bits 1..7 must be 0
 *   LastOffsetDelta    28      32     4    int32, RecordCount - 1, or 0 when RecordCount = 0
 *   WriterId           32      36     8    int64, -1 = not idempotent
 *   BatchSequence      40      44     4    int32, -1 = not idempotent
 *   RecordCount        44      48     4    int32
 *   Records            48      52     ...  body (ARROW / INDEXED / COMPACTED)
 *
 * The CRC does not cover BaseOffset, Length, Magic, CommitTimestamp or LeaderEpoch, so the
 * server stamps them in place (fl_logbatch_stamp_*) without recomputing it. A batch with zero
 * records still takes one offset: next offset = BaseOffset + LastOffsetDelta + 1. */
#ifndef FL_LOGBATCH_H
#define FL_LOGBATCH_H

#include "fl_base.h"
#include "fl_buf.h"

#define FL_LOGBATCH_LOG_OVERHEAD 12 /* BaseOffset + Length */
#define FL_LOGBATCH_V0_HEADER 48
#define FL_LOGBATCH_V1_HEADER 52
#define FL_LOGBATCH_MAX_HEADER 52
#define FL_LOGBATCH_OFF_BASE_OFFSET 0
#define FL_LOGBATCH_OFF_LENGTH 8
#define FL_LOGBATCH_OFF_MAGIC 12
#define FL_LOGBATCH_OFF_COMMIT_TS 13
#define FL_LOGBATCH_OFF_V1_LEADER_EPOCH 21
#define FL_LOGBATCH_ATTR_APPEND_ONLY 0x01
#define FL_LOGBATCH_NO_WRITER_ID (-1)
#define FL_LOGBATCH_NO_BATCH_SEQUENCE (-1)
#define FL_LOGBATCH_NO_LEADER_EPOCH (-1)

/* A parsed header. p points at the batch (a view; nothing is copied). */
typedef struct fl_logbatch_s {
    const uint8_t *p;          /* start of the batch (BaseOffset) */
    size_t size;               /* whole batch in bytes = 12 + length */
    size_t header_size;        /* 48 (V0) or 52 (V1) */
    int64_t base_offset;
    int32_t length;
    int8_t magic;
    int64_t commit_timestamp;  /* ms */
    int32_t leader_epoch;      /* -1 for V0 */
    uint32_t crc;              /* as stored */
    int16_t schema_id;
    int8_t attributes;
    int32_t last_offset_delta;
    int64_t writer_id;
    int32_t batch_sequence;
    int32_t record_count;
} fl_logbatch_t;

/** @returns the header size for a magic value, or 0 for an unknown magic. */
size_t fl_logbatch_header_size(int magic);

/** @returns base_offset + last_offset_delta + 1 (the offset after the batch). */
static inline int64_t fl_logbatch_next_offset(const fl_logbatch_t *b) {
    return b->base_offset + (int64_t)b->last_offset_delta + 1;
}

/**
 * @brief Parse and check the header fields of the batch at p[0..avail) without touching the
 * body or the CRC. Checks: magic, Length >= header - 12 and 12 + Length <= max_size,
 * RecordCount >= 0 and LastOffsetDelta consistent with it, unknown attribute bits, the
 * WriterId / BatchSequence pairing. avail may be shorter than the batch (only the header must
 * be there).
 * @returns FL_ERR_NONE; FL_ERR__UNDERFLOW when avail is shorter than 12 bytes or than the
 * header; FL_ERR_RECORD_TOO_LARGE_EXCEPTION when the size exceeds max_size;
 * FL_ERR_CORRUPT_RECORD_EXCEPTION for an invalid field. *why (optional) names the check.
 */
fl_err_t fl_logbatch_parse_header(const uint8_t *p, size_t avail, size_t max_size,
                                  fl_logbatch_t *b /* OUT */, const char **why /* OUT */);

/** @returns the CRC-32C over [SchemaId, end) of a whole, parsed batch. */
uint32_t fl_logbatch_compute_crc(const fl_logbatch_t *b);

/**
 * @brief fl_logbatch_parse_header plus: the whole batch is in p[0..avail) and its CRC matches.
 * @returns as fl_logbatch_parse_header; a batch cut short gives FL_ERR__UNDERFLOW, a CRC
 * mismatch FL_ERR_CORRUPT_RECORD_EXCEPTION.
 */
fl_err_t fl_logbatch_validate(const uint8_t *p, size_t avail, size_t max_size,
                              fl_logbatch_t *b /* OUT */, const char **why /* OUT */);

/* Iterates consecutive batches of a byte range. */
typedef struct fl_logbatch_iter_s {
    const uint8_t *p;
    size_t len;
    size_t off;          /* start of the next batch to return */
    size_t max_size;     /* largest batch accepted */
    bool verify_crc;
    fl_err_t err;        /* after a return of -1: why the batch at off is bad */
    const char *why;     /* after -1: the check that failed */
    size_t trailing;     /* after 0: bytes of an incomplete trailing batch (0 when none) */
} fl_logbatch_iter_t;

void fl_logbatch_iter_init(fl_logbatch_iter_t *it, const void *p, size_t len, size_t max_size,
                           bool verify_crc);
/**
 * @returns 1 with *b set and the iterator advanced; 0 at the end, where it->trailing is the
 * size of an incomplete trailing batch (a clean stop, as the Java reader does); -1 when the
 * batch at it->off is invalid (it->err, it->why), and every further call returns -1.
 */
int fl_logbatch_iter_next(fl_logbatch_iter_t *it, fl_logbatch_t *b /* OUT */);

/* In-place stamping (the leader path, formats section 1.3). p is a batch at least
 * header-size long whose magic has been checked. The CRC stays valid. */
void fl_logbatch_stamp_base_offset(uint8_t *p, int64_t base_offset);
void fl_logbatch_stamp_commit_timestamp(uint8_t *p, int64_t ts_ms);
/** @returns FL_ERR__INVAL for a V0 batch (it has no LeaderEpoch field). */
fl_err_t fl_logbatch_stamp_leader_epoch(uint8_t *p, int32_t epoch);

/* Builder (tests and server-built batches): writes a valid batch around body. */
typedef struct fl_logbatch_build_s {
    int8_t magic;              /* 0 or 1 */
    int64_t base_offset;
    int64_t commit_timestamp;
    int32_t leader_epoch;      /* V1 only */
    int16_t schema_id;
    int8_t attributes;
    int32_t record_count;      /* LastOffsetDelta is derived from it */
    int64_t writer_id;
    int32_t batch_sequence;
} fl_logbatch_build_t;

/** @brief Defaults: V0, offsets/timestamps 0, schema 1, append-only, 1 record, no writer. */
void fl_logbatch_build_defaults(fl_logbatch_build_t *opt /* OUT */);
/** @brief Append one batch (header + body, CRC computed) to out. @returns its offset in out. */
size_t fl_logbatch_build(fl_buf_t *out, const fl_logbatch_build_t *opt, const void *body,
                         size_t body_len);

#endif
