/* fl_pb.h: protobuf-c glue. Bodies are decoded by protobuf-c into the request arena and
 * packed straight into output buffers. */
#ifndef FL_PB_H
#define FL_PB_H

#include <protobuf-c/protobuf-c.h>

#include "fl_arena.h"
#include "fl_buf.h"
#include "fluss.pb-c.h"

/** @brief Append the packed message to buf. */
void fl_pb_pack(fl_buf_t *buf, const ProtobufCMessage *msg);

/** @brief Decode a body into the arena.
 *  @param why OUT on failure: a sentence naming what is wrong (arena string).
 *  @returns the message, or NULL with *why set. */
ProtobufCMessage *fl_pb_unpack(fl_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                               const uint8_t *data, size_t len, const char **why /* OUT */);

/** @brief Explain why a body does not decode: bad wire structure (with byte offset) or the
 *  names of missing required fields (nested ones as a.b). @returns an arena string. */
const char *fl_pb_diagnose(fl_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                           const uint8_t *data, size_t len);

#endif
