/* fl_frame.h: the Fluss frame codec (fluss-rpc.md 1.1).
 *
 * Request (client -> server), all big-endian:
 *   off  size  field
 *   0    4     frame_len    bytes after this field = 8 + body
 *   4    2     api_key      1000..1059
 *   6    2     api_version
 *   8    4     request_id   echoed in the response
 *   12   n     body         protobuf <Name>Request
 *
 * Response (server -> client):
 *   0    4     frame_len    5 + body (types 0 and 1), 1 + body (type 2)
 *   4    1     type         0 SUCCESS, 1 ERROR (body ErrorResponse), 2 SERVER_FAILURE
 *   5    4     request_id   absent for type 2
 *   9    n     body
 */
#ifndef FL_FRAME_H
#define FL_FRAME_H

#include "fl_buf.h"
#include "fl_reader.h"

#define FL_FRAME_PREFIX 4
#define FL_FRAME_REQ_HEADER 8  /* api_key + api_version + request_id */
#define FL_FRAME_RESP_HEADER 5 /* type + request_id */

typedef enum fl_resp_type_e {
    FL_RESP_SUCCESS = 0,
    FL_RESP_ERROR = 1,
    FL_RESP_SERVER_FAILURE = 2,
} fl_resp_type_t;

typedef struct fl_req_header_s {
    int32_t frame_len;   /* as sent: bytes after the length prefix */
    int16_t api_key;
    int16_t api_version;
    int32_t request_id;
} fl_req_header_t;

typedef enum fl_frame_verdict_e {
    FL_FRAME_OK = 0,
    FL_FRAME_NEGATIVE,   /* length prefix < 0 */
    FL_FRAME_TOO_SHORT,  /* length prefix < request header */
    FL_FRAME_TOO_LARGE,  /* length prefix > the configured maximum */
} fl_frame_verdict_t;

/** @brief Judge a request's length prefix before anything is allocated (STYLE.md 5). */
fl_frame_verdict_t fl_frame_check_len(int32_t frame_len, int32_t max_len);
const char *fl_frame_verdict_str(fl_frame_verdict_t v);

/** @brief Read the 12-byte request prefix+header. @returns rd->err. */
fl_err_t fl_frame_read_req_header(fl_reader_t *rd, fl_req_header_t *hdr /* OUT */);

/** @brief Begin a response frame in buf; @returns the offset of its length slot. */
size_t fl_frame_begin_resp(fl_buf_t *buf, fl_resp_type_t type, int32_t request_id);
/** @brief Begin a request frame in buf; @returns the offset of its length slot. */
size_t fl_frame_begin_req(fl_buf_t *buf, int16_t api_key, int16_t api_version,
                          int32_t request_id);
/** @brief Patch the length slot of a frame begun at `at` now that its body is written. */
void fl_frame_end(fl_buf_t *buf, size_t at);

/** @brief Append a complete ERROR_RESPONSE frame (ErrorResponse body) to buf.
 *  @param message NULL to omit error_message. */
void fl_frame_put_error(fl_buf_t *buf, int32_t request_id, fl_err_t code, const char *message);

/** Response header as a client reads it. */
typedef struct fl_resp_header_s {
    int32_t frame_len;
    fl_resp_type_t type;
    int32_t request_id; /* -1 for SERVER_FAILURE */
} fl_resp_header_t;

/** @brief Read a response's prefix and header (client side). @returns rd->err. */
fl_err_t fl_frame_read_resp_header(fl_reader_t *rd, fl_resp_header_t *hdr /* OUT */);

#endif
