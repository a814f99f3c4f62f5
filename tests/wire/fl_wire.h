/* fl_wire.h: helpers for black-box wire tests. They start the real fl-server binary on a
 * loopback port and speak raw bytes or framed protobuf to it. */
#ifndef FL_WIRE_H
#define FL_WIRE_H

#include <sys/types.h>

#include "fl_buf.h"
#include "fl_frame.h"
#include "fl_pb.h"

typedef struct fl_ts_s {
    pid_t pid;
    int port;
    char dir[256];      /* scratch directory (data.dir lives below it) */
    char log[300];      /* server stderr */
    bool own_listener;  /* fl_ts_start chose the listener (and adds -Dbind.listeners) */
} fl_ts_t;

/** @brief Start `fl-server <role>` with -D args (NULL-terminated) on a free port.
 *  Aborts the test on failure. */
void fl_ts_start(fl_ts_t *ts, const char *role, const char *const *args);
/** @brief Like fl_ts_start, but the caller's args set bind.listeners; wait for `port`. */
void fl_ts_start_on(fl_ts_t *ts, const char *role, int port, const char *const *args);
/** @returns a loopback port that was free a moment ago. */
int fl_free_port(void);
/** @brief SIGKILL the server (no clean shutdown). */
void fl_ts_kill9(fl_ts_t *ts);
/** @brief Start the server again on the same port and data directory. */
void fl_ts_restart(fl_ts_t *ts, const char *role, const char *const *args);
/** @brief Start and expect the process to exit; @returns its exit code. */
int fl_ts_run_expect_exit(const char *const *argv_tail, char *out, size_t out_len);
/** @brief SIGTERM, wait. @returns the exit status (or 128+signal). */
int fl_ts_stop(fl_ts_t *ts);
/** @returns true if the server log contains s (waits up to 3 s for it to appear). */
bool fl_ts_log_has(const fl_ts_t *ts, const char *s);
/** @returns true while the server process runs. */
bool fl_ts_alive(const fl_ts_t *ts);

int fl_cli_connect(int port); /* aborts on failure */
void fl_cli_send(int fd, const void *p, size_t n);
void fl_cli_send_request(int fd, int16_t key, int16_t ver, int32_t id,
                         const ProtobufCMessage *msg);
/** @brief Read one response frame (prefix included) into out.
 *  @returns 0, -1 on EOF/reset before a whole frame, -2 on timeout. */
int fl_cli_read_frame(int fd, int timeout_ms, fl_buf_t *out);
/** @returns true if the peer closes the connection within timeout_ms (no data expected). */
bool fl_cli_closed(int fd, int timeout_ms);

/** Parsed response. body points into the frame buffer. */
typedef struct fl_cli_resp_s {
    fl_resp_header_t hdr;
    const uint8_t *body;
    size_t body_len;
    int32_t error_code;       /* for ERROR/SERVER_FAILURE */
    char error_message[512];  /* "" when absent */
} fl_cli_resp_t;

/** @brief Read and parse one response. @returns 0, or as fl_cli_read_frame. */
int fl_cli_read_resp(int fd, int timeout_ms, fl_buf_t *buf, fl_cli_resp_t *resp);
/** @brief Round trip: send a request and read its response (asserts success type and id),
 *  decoding the body into arena with desc. */
ProtobufCMessage *fl_cli_call(int fd, int16_t key, int16_t ver, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *desc, fl_arena_t *arena);
/** @brief ApiVersions round trip on fd; asserts it works (the "server still serves" check). */
void fl_cli_assert_serving(int fd);
/** @brief Open a fresh connection and check it is served, then close it. */
void fl_cli_assert_port_serving(int port);

/* ---- log tables (ProduceLog, FetchLog, ListOffsets) ------------------------------------- */

/** @brief Send req and read its response without asserting anything about it.
 *  @returns 0 with *out decoded into arena (out may be NULL), -1 when the connection died or
 *  timed out, or the error code of an ERROR_RESPONSE (message into errmsg when not NULL). */
int fl_cli_try_call(int fd, int16_t key, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *desc, fl_arena_t *arena,
                    ProtobufCMessage **out /* OUT */, char *errmsg /* OUT */, size_t errmsg_len);
/** @brief CreateTable fluss.<name> from Fluss table JSON. @returns the new table's id. */
int64_t fl_cli_create_table(int fd, const char *name, const char *json);
/** @brief ProduceLog of one records blob to one bucket (asserts the request itself succeeds).
 *  @returns the bucket's answer, in arena. */
Fluss__PbProduceLogRespForBucket *fl_cli_produce(int fd, int32_t acks, int64_t table_id,
                                                 int32_t bucket, const void *records, size_t len,
                                                 fl_arena_t *arena);
/** @brief FetchLog of one bucket from offset (no waiting). @returns the bucket's answer. */
Fluss__PbFetchLogRespForBucket *fl_cli_fetch(int fd, int64_t table_id, int32_t bucket,
                                             int64_t offset, int32_t max_bytes, fl_arena_t *arena);
/** @brief ListOffsets of one bucket, type 0 earliest, 1 latest. Fails the test on an error.
 *  @returns the offset. */
int64_t fl_cli_list_offset(int fd, int64_t table_id, int32_t bucket, int32_t type);

/* ---- primary-key tables (PutKv, Lookup) -------------------------------------------------- */

/** @brief PutKv of one KV batch to one bucket; target_cols/n_target give a partial update
 *  (n_target 0: all columns). Asserts the request itself succeeds. @returns the bucket's
 *  answer, in arena. */
Fluss__PbPutKvRespForBucket *fl_cli_put_kv(int fd, int32_t acks, int64_t table_id, int32_t bucket,
                                           const void *records, size_t len,
                                           const int32_t *target_cols, size_t n_target,
                                           fl_arena_t *arena);
/** @brief Lookup of n keys in one bucket. Asserts the request itself succeeds. @returns the
 *  bucket's answer, in arena (values[i]->has_values is false for a missing key). */
Fluss__PbLookupRespForBucket *fl_cli_lookup(int fd, int64_t table_id, int32_t bucket,
                                            const ProtobufCBinaryData *keys, size_t n,
                                            fl_arena_t *arena);
/** @returns the latest schema id of fluss.<name> (GetTableInfo). */
int32_t fl_cli_schema_id(int fd, const char *name);

#endif
