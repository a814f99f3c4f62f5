/* fl_logrecord.c: INDEXED / COMPACTED log record bodies; layout in fl_logrecord.h. */
#include "fl_logrecord.h"

#define LOGREC_MIN 5 /* Length + Attributes */

const char *fl_change_type_str(int change_type) {
    static const char *const names[] = {"+A", "+I", "-U", "+U", "-D"};
    return change_type >= 0 && change_type < (int)FL_ARRAY_LEN(names) ? names[change_type] : "?";
}

void fl_logrecord_iter_init(fl_logrecord_iter_t *it, const void *p, size_t len,
                            int32_t record_count) {
    fl_rd_init(&it->rd, p, len);
    it->left = record_count;
    if (record_count < 0 || (size_t)record_count > len / LOGREC_MIN)
        fl_rd_fail(&it->rd, FL_ERR_CORRUPT_MESSAGE);
}

bool fl_logrecord_next(fl_logrecord_iter_t *it, fl_logrecord_t *rec) {
    fl_reader_t *rd = &it->rd;
    if (it->left <= 0 || rd->err) return false;
    int32_t len = fl_rd_i32le(rd);
    if (rd->err) return false;
    if (len < 1 || (size_t)len > fl_rd_remaining(rd)) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    uint8_t ct = fl_rd_u8(rd);
    if (ct > FL_CHANGE_DELETE) {
        fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
        return false;
    }
    rec->change_type = ct;
    rec->row = fl_rd_bytes(rd, (size_t)len - 1);
    it->left--;
    return true;
}

fl_err_t fl_logrecord_validate(const void *p, size_t len, int32_t record_count) {
    fl_logrecord_iter_t it;
    fl_logrecord_iter_init(&it, p, len, record_count);
    fl_logrecord_t rec;
    while (fl_logrecord_next(&it, &rec)) {
    }
    if (it.rd.err || fl_rd_end(&it.rd)) return FL_ERR_CORRUPT_MESSAGE;
    return FL_ERR_NONE;
}

void fl_logrecord_write(fl_buf_t *buf, fl_change_type_t change_type, const void *row,
                        size_t row_len) {
    fl_buf_put_i32le(buf, (int32_t)(row_len + 1));
    fl_buf_put_u8(buf, (uint8_t)change_type);
    fl_buf_put(buf, row, row_len);
}

fl_err_t fl_logrecord_write_row(fl_buf_t *buf, fl_row_format_t fmt, fl_change_type_t change_type,
                                const fl_type_t *row_type, const fl_datum_t *fields) {
    size_t start = buf->len;
    fl_buf_put_i32le(buf, 0);
    fl_buf_put_u8(buf, (uint8_t)change_type);
    fl_err_t err = fl_row_encode(fmt, row_type, fields, buf);
    if (err) {
        buf->len = start;
        return err;
    }
    fl_buf_patch_i32le(buf, start, (int32_t)(buf->len - start - 4));
    return FL_ERR_NONE;
}
