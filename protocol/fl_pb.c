/* fl_pb.c: see fl_pb.h. */
#include "fl_pb.h"

#include <string.h>

#include "fl_reader.h"

void fl_pb_pack(fl_buf_t *buf, const ProtobufCMessage *msg) {
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *p = fl_buf_extend(buf, n);
    protobuf_c_message_pack(msg, p);
}

ProtobufCMessage *fl_pb_unpack(fl_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                               const uint8_t *data, size_t len, const char **why) {
    ProtobufCAllocator alloc;
    fl_arena_pb_allocator(arena, &alloc);
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, &alloc, len, data);
    if (!msg) *why = fl_pb_diagnose(arena, desc, data, len);
    return msg;
}

#define FL_PB_MAX_DEPTH 16

/* Walk one message level with the bounds-checked reader. Records which field numbers are
 * present (up to field 63, which covers every Fluss message) and recurses into present
 * sub-messages. Writes the first problem found into *out. */
static void fl_pb_walk(fl_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                       const uint8_t *data, size_t len, const char *prefix, int depth,
                       size_t base, const char **out) {
    fl_reader_t rd;
    fl_rd_init(&rd, data, len);
    uint64_t present = 0;
    while (!*out && fl_rd_remaining(&rd) > 0) {
        size_t at = rd.off;
        uint64_t key = fl_rd_uvarint(&rd);
        uint32_t num = (uint32_t)(key >> 3), wt = (uint32_t)(key & 7);
        const ProtobufCFieldDescriptor *fd =
            num ? protobuf_c_message_descriptor_get_field(desc, num) : NULL;
        fl_view_t sub = {NULL, 0};
        switch (wt) {
        case 0: fl_rd_uvarint(&rd); break;
        case 1: fl_rd_skip(&rd, 8); break;
        case 5: fl_rd_skip(&rd, 4); break;
        case 2: {
            uint64_t n = fl_rd_uvarint(&rd);
            if (n > fl_rd_remaining(&rd)) fl_rd_fail(&rd, FL_ERR__UNDERFLOW);
            else sub = fl_rd_bytes(&rd, (size_t)n);
            break;
        }
        default:
            *out = fl_arena_sprintf(arena, "invalid protobuf wire type %u at byte %zu",
                                    wt, base + at);
            return;
        }
        if (rd.err || num == 0) {
            *out = fl_arena_sprintf(arena, "truncated or invalid protobuf field at byte %zu",
                                    base + at);
            return;
        }
        if (!fd) continue; /* unknown fields are skipped, as the Java parser does */
        if (num < 64) present |= (uint64_t)1 << num;
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE && wt == 2 && depth < FL_PB_MAX_DEPTH) {
            const char *p = fl_arena_sprintf(arena, "%s%s.", prefix, fd->name);
            fl_pb_walk(arena, fd->descriptor, sub.p, sub.len, p, depth + 1,
                       base + (size_t)(sub.p - data), out);
        } else if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING ||
                   fd->type == PROTOBUF_C_TYPE_BYTES) {
            if (wt != 2)
                *out = fl_arena_sprintf(arena, "field %s%s has wire type %u, expected 2",
                                        prefix, fd->name, wt);
        }
    }
    if (*out) return;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &desc->fields[i];
        if (fd->label == PROTOBUF_C_LABEL_REQUIRED && fd->id < 64 &&
            !(present & ((uint64_t)1 << fd->id))) {
            *out = fl_arena_sprintf(arena, "required field %s%s (%u) of %s is missing", prefix,
                                    fd->name, fd->id, desc->short_name);
            return;
        }
    }
}

const char *fl_pb_diagnose(fl_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                           const uint8_t *data, size_t len) {
    const char *out = NULL;
    fl_pb_walk(arena, desc, data, len, "", 0, 0, &out);
    if (!out)
        out = fl_arena_sprintf(arena, "%s body of %zu bytes does not decode", desc->short_name,
                               len);
    return out;
}
