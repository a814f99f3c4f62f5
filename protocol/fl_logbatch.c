/* fl_logbatch.c: see fl_logbatch.h for the byte layout. */
#include "fl_logbatch.h"

#include <string.h>

#include "fl_crc32c.h"
#include "fl_reader.h"

/* The CRC slot and the field after it (SchemaId) sit 4 bytes apart in both versions. */
static size_t fl_logbatch_crc_off(int magic) {
    return magic == 0 ? 21 : 25;
}

size_t fl_logbatch_header_size(int magic) {
    switch (magic) {
    case 0: return FL_LOGBATCH_V0_HEADER;
    case 1: return FL_LOGBATCH_V1_HEADER;
    default: return 0;
    }
}

#define FL_LB_FAIL(e, w)                                                                       \
    do {                                                                                       \
        if (why) *why = (w);                                                                   \
        return (e);                                                                            \
    } while (0)

fl_err_t fl_logbatch_parse_header(const uint8_t *p, size_t avail, size_t max_size,
                                  fl_logbatch_t *b, const char **why) {
    memset(b, 0, sizeof(*b));
    b->p = p;
    if (why) *why = NULL;
    fl_reader_t rd;
    fl_rd_init(&rd, p, avail);
    if (avail < FL_LOGBATCH_LOG_OVERHEAD) FL_LB_FAIL(FL_ERR__UNDERFLOW, "truncated header");
    b->base_offset = fl_rd_i64le(&rd);
    b->length = fl_rd_i32le(&rd);
    if (b->length < FL_LOGBATCH_V0_HEADER - FL_LOGBATCH_LOG_OVERHEAD)
        FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "length below header size");
    b->size = (size_t)b->length + FL_LOGBATCH_LOG_OVERHEAD;
    if (b->size > max_size) FL_LB_FAIL(FL_ERR_RECORD_TOO_LARGE_EXCEPTION, "batch over size limit");
    if (avail <= FL_LOGBATCH_OFF_MAGIC) FL_LB_FAIL(FL_ERR__UNDERFLOW, "truncated header");
    b->magic = fl_rd_i8(&rd);
    b->header_size = fl_logbatch_header_size(b->magic);
    if (b->header_size == 0) FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "unknown magic");
    if (b->size < b->header_size)
        FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "length below header size");
    if (avail < b->header_size) FL_LB_FAIL(FL_ERR__UNDERFLOW, "truncated header");
    b->commit_timestamp = fl_rd_i64le(&rd);
    b->leader_epoch = b->magic >= 1 ? fl_rd_i32le(&rd) : FL_LOGBATCH_NO_LEADER_EPOCH;
    b->crc = fl_rd_u32le(&rd);
    b->schema_id = fl_rd_i16le(&rd);
    b->attributes = fl_rd_i8(&rd);
    b->last_offset_delta = fl_rd_i32le(&rd);
    b->writer_id = fl_rd_i64le(&rd);
    b->batch_sequence = fl_rd_i32le(&rd);
    b->record_count = fl_rd_i32le(&rd);
    if (rd.err) FL_LB_FAIL(FL_ERR__UNDERFLOW, "truncated header"); /* not reached */
    if (b->record_count < 0) FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "negative record count");
    if (b->last_offset_delta != (b->record_count == 0 ? 0 : b->record_count - 1))
        FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "last offset delta does not match record count");
    if ((uint8_t)b->attributes & ~(uint8_t)FL_LOGBATCH_ATTR_APPEND_ONLY)
        FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "unknown attribute bits");
    if (b->writer_id == FL_LOGBATCH_NO_WRITER_ID) {
        if (b->batch_sequence != FL_LOGBATCH_NO_BATCH_SEQUENCE)
            FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "batch sequence without writer id");
    } else if (b->writer_id < 0 || b->batch_sequence < 0) {
        FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "invalid writer id or batch sequence");
    }
    if (b->base_offset < 0) FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "negative base offset");
    return FL_ERR_NONE;
}

uint32_t fl_logbatch_compute_crc(const fl_logbatch_t *b) {
    size_t from = fl_logbatch_crc_off(b->magic) + 4;
    return fl_crc32c(b->p + from, b->size - from);
}

fl_err_t fl_logbatch_validate(const uint8_t *p, size_t avail, size_t max_size, fl_logbatch_t *b,
                              const char **why) {
    fl_err_t err = fl_logbatch_parse_header(p, avail, max_size, b, why);
    if (err) return err;
    if (avail < b->size) FL_LB_FAIL(FL_ERR__UNDERFLOW, "truncated batch");
    if (fl_logbatch_compute_crc(b) != b->crc)
        FL_LB_FAIL(FL_ERR_CORRUPT_RECORD_EXCEPTION, "CRC mismatch");
    return FL_ERR_NONE;
}

void fl_logbatch_iter_init(fl_logbatch_iter_t *it, const void *p, size_t len, size_t max_size,
                           bool verify_crc) {
    memset(it, 0, sizeof(*it));
    it->p = (const uint8_t *)p;
    it->len = len;
    it->max_size = max_size;
    it->verify_crc = verify_crc;
}

int fl_logbatch_iter_next(fl_logbatch_iter_t *it, fl_logbatch_t *b) {
    if (it->err) return -1;
    size_t avail = it->len - it->off;
    if (avail == 0) return 0;
    const uint8_t *p = it->p + it->off;
    fl_err_t err = it->verify_crc ? fl_logbatch_validate(p, avail, it->max_size, b, &it->why)
                                  : fl_logbatch_parse_header(p, avail, it->max_size, b, &it->why);
    if (err == FL_ERR_NONE && !it->verify_crc && avail < b->size) err = FL_ERR__UNDERFLOW;
    if (err == FL_ERR__UNDERFLOW) {
        it->trailing = avail;
        return 0;
    }
    if (err) {
        it->err = err;
        return -1;
    }
    it->off += b->size;
    return 1;
}

static void fl_put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void fl_logbatch_stamp_base_offset(uint8_t *p, int64_t base_offset) {
    fl_put_le(p + FL_LOGBATCH_OFF_BASE_OFFSET, (uint64_t)base_offset, 8);
}

void fl_logbatch_stamp_commit_timestamp(uint8_t *p, int64_t ts_ms) {
    fl_put_le(p + FL_LOGBATCH_OFF_COMMIT_TS, (uint64_t)ts_ms, 8);
}

fl_err_t fl_logbatch_stamp_leader_epoch(uint8_t *p, int32_t epoch) {
    if (p[FL_LOGBATCH_OFF_MAGIC] != 1) return FL_ERR__INVAL;
    fl_put_le(p + FL_LOGBATCH_OFF_V1_LEADER_EPOCH, (uint32_t)epoch, 4);
    return FL_ERR_NONE;
}

void fl_logbatch_build_defaults(fl_logbatch_build_t *opt) {
    memset(opt, 0, sizeof(*opt));
    opt->leader_epoch = FL_LOGBATCH_NO_LEADER_EPOCH;
    opt->schema_id = 1;
    opt->attributes = FL_LOGBATCH_ATTR_APPEND_ONLY;
    opt->record_count = 1;
    opt->writer_id = FL_LOGBATCH_NO_WRITER_ID;
    opt->batch_sequence = FL_LOGBATCH_NO_BATCH_SEQUENCE;
}

size_t fl_logbatch_build(fl_buf_t *out, const fl_logbatch_build_t *opt, const void *body,
                         size_t body_len) {
    size_t hs = fl_logbatch_header_size(opt->magic);
    if (hs == 0) hs = FL_LOGBATCH_V0_HEADER; /* caller bug; keep the buffer well-formed */
    size_t at = out->len;
    uint8_t *p = fl_buf_extend(out, hs + body_len);
    size_t o = 0;
    fl_put_le(p + o, (uint64_t)opt->base_offset, 8), o += 8;
    fl_put_le(p + o, (uint64_t)(hs + body_len - FL_LOGBATCH_LOG_OVERHEAD), 4), o += 4;
    p[o++] = (uint8_t)(hs == FL_LOGBATCH_V1_HEADER ? 1 : 0);
    fl_put_le(p + o, (uint64_t)opt->commit_timestamp, 8), o += 8;
    if (hs == FL_LOGBATCH_V1_HEADER) fl_put_le(p + o, (uint32_t)opt->leader_epoch, 4), o += 4;
    size_t crc_at = o;
    o += 4;
    fl_put_le(p + o, (uint16_t)opt->schema_id, 2), o += 2;
    p[o++] = (uint8_t)opt->attributes;
    int32_t lod = opt->record_count > 0 ? opt->record_count - 1 : 0;
    fl_put_le(p + o, (uint32_t)lod, 4), o += 4;
    fl_put_le(p + o, (uint64_t)opt->writer_id, 8), o += 8;
    fl_put_le(p + o, (uint32_t)opt->batch_sequence, 4), o += 4;
    fl_put_le(p + o, (uint32_t)opt->record_count, 4), o += 4;
    if (body_len) memcpy(p + o, body, body_len);
    fl_put_le(p + crc_at, fl_crc32c(p + crc_at + 4, hs + body_len - crc_at - 4), 4);
    return at;
}
