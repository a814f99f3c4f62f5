/* fl_frame.c: see fl_frame.h. */
#include "fl_frame.h"

#include "fl_pb.h"

fl_frame_verdict_t fl_frame_check_len(int32_t frame_len, int32_t max_len) {
    if (frame_len < 0) return FL_FRAME_NEGATIVE;
    if (frame_len < FL_FRAME_REQ_HEADER) return FL_FRAME_TOO_SHORT;
    if (frame_len > max_len) return FL_FRAME_TOO_LARGE;
    return FL_FRAME_OK;
}

const char *fl_frame_verdict_str(fl_frame_verdict_t v) {
    switch (v) {
    case FL_FRAME_OK: return "ok";
    case FL_FRAME_NEGATIVE: return "negative frame length";
    case FL_FRAME_TOO_SHORT: return "frame shorter than the request header";
    case FL_FRAME_TOO_LARGE: return "frame longer than netty.server.max-request-size";
    }
    return "?";
}

fl_err_t fl_frame_read_req_header(fl_reader_t *rd, fl_req_header_t *hdr) {
    hdr->frame_len = fl_rd_i32be(rd);
    hdr->api_key = fl_rd_i16be(rd);
    hdr->api_version = fl_rd_i16be(rd);
    hdr->request_id = fl_rd_i32be(rd);
    return rd->err;
}

size_t fl_frame_begin_resp(fl_buf_t *buf, fl_resp_type_t type, int32_t request_id) {
    size_t at = fl_buf_reserve(buf, FL_FRAME_PREFIX);
    fl_buf_put_u8(buf, (uint8_t)type);
    if (type != FL_RESP_SERVER_FAILURE) fl_buf_put_i32be(buf, request_id);
    return at;
}

size_t fl_frame_begin_req(fl_buf_t *buf, int16_t api_key, int16_t api_version,
                          int32_t request_id) {
    size_t at = fl_buf_reserve(buf, FL_FRAME_PREFIX);
    fl_buf_put_i16be(buf, api_key);
    fl_buf_put_i16be(buf, api_version);
    fl_buf_put_i32be(buf, request_id);
    return at;
}

void fl_frame_end(fl_buf_t *buf, size_t at) {
    fl_buf_patch_i32be(buf, at, (int32_t)(buf->len - at - FL_FRAME_PREFIX));
}

void fl_frame_put_error(fl_buf_t *buf, int32_t request_id, fl_err_t code, const char *message) {
    size_t at = fl_frame_begin_resp(buf, FL_RESP_ERROR, request_id);
    Fluss__ErrorResponse er = FLUSS__ERROR_RESPONSE__INIT;
    er.error_code = (int32_t)code;
    er.error_message = (char *)message;
    fl_pb_pack(buf, &er.base);
    fl_frame_end(buf, at);
}

fl_err_t fl_frame_read_resp_header(fl_reader_t *rd, fl_resp_header_t *hdr) {
    hdr->frame_len = fl_rd_i32be(rd);
    hdr->type = (fl_resp_type_t)fl_rd_u8(rd);
    hdr->request_id = hdr->type == FL_RESP_SERVER_FAILURE ? -1 : fl_rd_i32be(rd);
    if (!rd->err && hdr->type > FL_RESP_SERVER_FAILURE) fl_rd_fail(rd, FL_ERR_CORRUPT_MESSAGE);
    return rd->err;
}
