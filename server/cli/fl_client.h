/* fl_client.h: a small blocking Fluss client for tools (fl-admin).
 *
 * One TCP connection to one server, one request in flight at a time. fl_client_open()
 * connects with a deadline and performs the ApiVersions handshake; fl_client_call() sends a
 * request (at the highest version both sides serve, capped by the API's known maximum) and
 * waits for the response with its request id, decoding the body with protobuf-c into the
 * caller's arena.
 *
 * Frames are those of protocol/fl_frame.h:
 *   request   [len i32][api_key i16][api_version i16][request_id i32][protobuf body]
 *   response  [len i32][type u8][request_id i32][protobuf body]   (type 2 has no request id)
 *
 * Errors come back in two kinds, told apart by fl_err_is_wire():
 *   - the server answered with ERROR_RESPONSE (or SERVER_FAILURE): the Fluss wire code, and
 *     fl_client_errmsg() holds the server's message (or the code's default text);
 *   - the conversation failed (cannot resolve, connect, send, a timeout, the peer closed, a
 *     frame that does not parse): a local FL_ERR__* code, and the message names the address
 *     and what happened ("connection refused", "timed out after 5 s waiting for ...").
 * A server that does not serve the API at all answers as UNSUPPORTED_VERSION (2) without a
 * round trip. */
#ifndef FL_CLIENT_H
#define FL_CLIENT_H

#include "fl_apis.h"
#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_pb.h"

#define FL_CLIENT_MAX_RESPONSE (256 * 1024 * 1024) /* judged before reading a body */

typedef struct fl_client_s {
    int fd;                   /* -1 when closed */
    char addr[300];           /* "host:port" as given, for messages */
    int timeout_ms;           /* per call: connect, and each request's round trip */
    int32_t next_id;          /* request ids, from 1 */
    bool served[FL_API_KEY_MAX - FL_API_KEY_MIN + 1];   /* from ApiVersions */
    int16_t max_ver[FL_API_KEY_MAX - FL_API_KEY_MIN + 1];
    int32_t server_type;      /* ApiVersionsResponse.server_type, -1 when omitted */
    fl_buf_t rbuf;            /* the last response frame */
    char errmsg[1024];        /* the last error, in words */
} fl_client_t;

/** @brief Split "host:port" ("[v6]:port" too) into its parts.
 *  @returns FL_ERR_NONE, or FL_ERR__INVAL with a reason in why. */
fl_err_t fl_client_parse_addr(const char *addr, char *host /* OUT */, size_t host_len,
                              int *port /* OUT */, char *why /* OUT */, size_t why_len);

/** @brief Connect to addr ("host:port") within timeout_ms and do the ApiVersions handshake.
 *  cl is always initialised, so fl_client_close() and fl_client_errmsg() work after a
 *  failure. @returns FL_ERR_NONE, a local error (cannot connect) or a server's error code. */
fl_err_t fl_client_open(fl_client_t *cl, const char *addr, int timeout_ms);

/** @brief Close the connection and free the buffers. Safe to call twice. */
void fl_client_close(fl_client_t *cl);

/** @brief Send req as API api_key and wait for its response.
 *  @param resp_desc descriptor of the expected response body.
 *  @param arena the decoded response lives here.
 *  @param resp OUT the decoded response (only on FL_ERR_NONE).
 *  @returns FL_ERR_NONE, the server's Fluss error code, or a local error; see the header
 *  comment. After a local error the connection is closed. */
fl_err_t fl_client_call(fl_client_t *cl, int16_t api_key, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp_desc, fl_arena_t *arena,
                        ProtobufCMessage **resp /* OUT */);

/** @returns true if the server advertised api_key in ApiVersions. */
bool fl_client_serves(const fl_client_t *cl, int16_t api_key);

/** @returns the last error's message ("" when there was none). */
const char *fl_client_errmsg(const fl_client_t *cl);

#endif
