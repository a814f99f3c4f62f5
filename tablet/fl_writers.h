/* fl_writers.h: idempotent-writer state of one bucket (Fluss WriterStateEntry /
 * WriterAppendInfo).
 *
 * For every writer id the last five appended batches are remembered (sequence, first and last
 * offset, commit timestamp). A batch whose sequence matches one of them is a duplicate from a
 * client retry: it is not appended again and is answered with the original offsets. A batch is
 * otherwise accepted only if its sequence is the last one + 1 (0 after INT32_MAX); a writer
 * the bucket has never seen must start at sequence 0.
 *
 * The state is rebuilt at start-up from a snapshot (written with each log checkpoint) plus the
 * batch headers appended after it, so that retries after a crash are still recognised.
 *
 * Snapshot file "writer-state.snapshot" (little-endian):
 *   off  size  field
 *   0    4     magic "FLWS"
 *   4    2     version (1)
 *   6    2     reserved
 *   8    8     end offset: the state covers every batch below it
 *   16   4     writer count W
 *   20   ...   W entries: writer id (8), batch count n (1), n x {sequence (4), first offset (8),
 *              last offset (8), timestamp (8)}, last-seen ms (8)
 *   end  4     CRC-32C of everything before it */
#ifndef FL_WRITERS_H
#define FL_WRITERS_H

#include "fl_base.h"
#include "fl_buf.h"

#define FL_WRITER_BATCHES 5

typedef struct fl_writer_batch_s {
    int32_t seq;
    int64_t first_offset;
    int64_t last_offset;
    int64_t timestamp;
} fl_writer_batch_t;

typedef struct fl_writers_s fl_writers_t;

fl_writers_t *fl_writers_new(void);
void fl_writers_free(fl_writers_t *w);

typedef enum fl_seq_verdict_e {
    FL_SEQ_OK = 0,        /* append it */
    FL_SEQ_DUPLICATE,     /* already appended: *dup has its offsets */
    FL_SEQ_OUT_OF_ORDER,  /* OUT_OF_ORDER_SEQUENCE_EXCEPTION (31) */
} fl_seq_verdict_t;

/** @brief Judge a batch of writer_id with sequence seq. @param last_seq OUT the writer's
 *  last sequence (-1 when unknown), for the error message. */
fl_seq_verdict_t fl_writers_check(const fl_writers_t *w, int64_t writer_id, int32_t seq,
                                  fl_writer_batch_t *dup /* OUT */, int32_t *last_seq /* OUT */);
/** @brief Record an appended batch. */
void fl_writers_update(fl_writers_t *w, int64_t writer_id, int32_t seq, int64_t first_offset,
                       int64_t last_offset, int64_t timestamp, int64_t now_ms);
/** @brief Forget writers not seen for expire_ms (server.writer-id.expiration-time). */
size_t fl_writers_expire(fl_writers_t *w, int64_t now_ms, int64_t expire_ms);
size_t fl_writers_count(const fl_writers_t *w);

/** @brief Forget every batch at or after offset (log truncation). */
void fl_writers_truncate(fl_writers_t *w, int64_t offset);

/** @brief Serialize the state, covering batches below end_offset. */
void fl_writers_snapshot(const fl_writers_t *w, int64_t end_offset, fl_buf_t *out);
/** @brief Load a snapshot. @returns FL_ERR_NONE with *end_offset, or FL_ERR_CORRUPT_MESSAGE. */
fl_err_t fl_writers_load(fl_writers_t *w, const uint8_t *p, size_t len, int64_t *end_offset);

#endif
