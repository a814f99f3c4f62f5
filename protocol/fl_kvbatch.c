/* fl_kvbatch.c: KvRecordBatch parse / iterate / build; layout in fl_kvbatch.h. */
#include "fl_kvbatch.h"

#include <string.h>

#include "fl_crc32c.h"

/* One record's framing from rd; rd is left after the record. */
static bool read_record(fl_reader_t *rd, fl_kvrecord_t *rec) {
    int32_t len = fl_rd_i32le(rd);
    if (rd->err) return false;
    if (len < 1 || (size_t)len > fl_rd_remaining(rd)) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    fl_reader_t r;
    fl_rd_narrow(rd, (size_t)len, &r);
    uint32_t klen = fl_rd_uvarint32(&r);
    if (r.err || klen > fl_rd_remaining(&r)) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    rec->key = fl_rd_bytes(&r, klen);
    rec->value = fl_rd_bytes(&r, fl_rd_remaining(&r));
    rec->is_delete = rec->value.len == 0;
    return true;
}

fl_err_t fl_kvbatch_parse(const void *p, size_t len, fl_kvbatch_t *out) {
    memset(out, 0, sizeof(*out));
    fl_reader_t rd;
    fl_rd_init(&rd, p, len);
    int32_t length = fl_rd_i32le(&rd);
    out->magic = fl_rd_i8(&rd);
    out->crc = fl_rd_u32le(&rd);
    out->schema_id = fl_rd_i16le(&rd);
    out->attributes = fl_rd_i8(&rd);
    out->writer_id = fl_rd_i64le(&rd);
    out->batch_sequence = fl_rd_i32le(&rd);
    out->record_count = fl_rd_i32le(&rd);
    if (rd.err) return rd.err;
    if (length < FL_KVBATCH_HEADER_SIZE - 4) return FL_ERR_CORRUPT_MESSAGE;
    out->size = 4 + (size_t)length;
    if (out->size > len) return FL_ERR__UNDERFLOW;
    if (out->magic != FL_KVBATCH_MAGIC) return FL_ERR_CORRUPT_MESSAGE;
    const uint8_t *b = p;
    if (fl_crc32c(b + FL_KVBATCH_SCHEMA_ID_OFFSET, out->size - FL_KVBATCH_SCHEMA_ID_OFFSET) !=
        out->crc)
        return FL_ERR_CORRUPT_MESSAGE;
    out->records.p = b + FL_KVBATCH_HEADER_SIZE;
    out->records.len = out->size - FL_KVBATCH_HEADER_SIZE;
    if (out->record_count < 0 ||
        (size_t)out->record_count > out->records.len / FL_KVBATCH_RECORD_MIN)
        return FL_ERR_CORRUPT_MESSAGE;
    /* walk the records once: exactly record_count of them must fill the batch */
    fl_kvbatch_iter_t it;
    fl_kvbatch_iter_init(out, &it);
    fl_kvrecord_t rec;
    while (fl_kvbatch_next(&it, &rec)) {
    }
    if (it.rd.err) return FL_ERR_CORRUPT_MESSAGE;
    if (fl_rd_end(&it.rd)) return FL_ERR_CORRUPT_MESSAGE;
    return FL_ERR_NONE;
}

void fl_kvbatch_iter_init(const fl_kvbatch_t *batch, fl_kvbatch_iter_t *it) {
    fl_rd_init(&it->rd, batch->records.p, batch->records.len);
    it->left = batch->record_count;
}

bool fl_kvbatch_next(fl_kvbatch_iter_t *it, fl_kvrecord_t *rec) {
    if (it->left <= 0 || it->rd.err) return false;
    if (!read_record(&it->rd, rec)) return false;
    it->left--;
    return true;
}

void fl_kvbatch_builder_begin(fl_kvbatch_builder_t *b, fl_buf_t *buf, int16_t schema_id,
                              int64_t writer_id, int32_t batch_sequence) {
    b->buf = buf;
    b->start = buf->len;
    b->count = 0;
    fl_buf_put_i32le(buf, 0);                /* Length, patched */
    fl_buf_put_u8(buf, FL_KVBATCH_MAGIC);
    fl_buf_put_i32le(buf, 0);                /* CRC, patched */
    fl_buf_put_i16le(buf, schema_id);
    fl_buf_put_u8(buf, 0);                   /* Attributes */
    fl_buf_put_i64le(buf, writer_id);
    fl_buf_put_i32le(buf, batch_sequence);
    fl_buf_put_i32le(buf, 0);                /* RecordCount, patched */
}

void fl_kvbatch_builder_append(fl_kvbatch_builder_t *b, const void *key, size_t key_len,
                               const void *value, size_t value_len) {
    size_t klen_size = 1;
    for (uint64_t v = key_len; v >= 0x80; v >>= 7) klen_size++;
    size_t body = klen_size + key_len + (value ? value_len : 0);
    fl_buf_put_i32le(b->buf, (int32_t)body);
    fl_buf_put_uvarint(b->buf, key_len);
    fl_buf_put(b->buf, key, key_len);
    if (value) fl_buf_put(b->buf, value, value_len);
    b->count++;
}

size_t fl_kvbatch_builder_finish(fl_kvbatch_builder_t *b) {
    size_t size = b->buf->len - b->start;
    fl_buf_patch_i32le(b->buf, b->start, (int32_t)(size - 4));
    fl_buf_patch_i32le(b->buf, b->start + 24, b->count);
    const uint8_t *p = b->buf->p + b->start;
    uint32_t crc = fl_crc32c(p + FL_KVBATCH_SCHEMA_ID_OFFSET, size - FL_KVBATCH_SCHEMA_ID_OFFSET);
    fl_buf_patch_i32le(b->buf, b->start + FL_KVBATCH_CRC_OFFSET, (int32_t)crc);
    return size;
}
