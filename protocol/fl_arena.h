/* fl_arena.h: an arena per request (STYLE.md 7).
 *
 * Everything a request decodes or builds comes from its arena and is freed at once when the
 * response is queued. An arena may carry a byte budget: allocations past it fail cleanly with
 * FL_ERR_MESSAGE_TOO_LARGE-style handling in the caller (fl_arena_try_alloc returns NULL),
 * while fl_arena_alloc (no budget check) aborts only on real out-of-memory.
 * Non-memory resources register a cleanup that runs, newest first, on destroy. */
#ifndef FL_ARENA_H
#define FL_ARENA_H

#include "fl_base.h"

typedef struct fl_arena_s fl_arena_t;
typedef void (fl_arena_cleanup_cb)(void *arg);

/** @brief Create an arena. @param budget bytes allowed in total, 0 = unlimited. */
fl_arena_t *fl_arena_new(size_t budget);
void fl_arena_destroy(fl_arena_t *arena);

/** @returns size bytes, 16-byte aligned; aborts on out-of-memory, ignores the budget. */
void *fl_arena_alloc(fl_arena_t *arena, size_t size);
/** @returns size bytes, or NULL when the arena's budget would be exceeded. */
void *fl_arena_try_alloc(fl_arena_t *arena, size_t size);
void *fl_arena_calloc(fl_arena_t *arena, size_t size);
char *fl_arena_strndup(fl_arena_t *arena, const char *s, size_t n);
char *fl_arena_sprintf(fl_arena_t *arena, const char *fmt, ...) FL_PRINTF(2, 3);
void fl_arena_cleanup_add(fl_arena_t *arena, fl_arena_cleanup_cb *cb, void *arg);
/** @returns the number of bytes handed out so far. */
size_t fl_arena_used(const fl_arena_t *arena);

/* A ProtobufCAllocator view of the arena, so that protobuf-c unpacks into it. Freeing is a
 * no-op; the arena frees everything at once. */
struct ProtobufCAllocator;
void fl_arena_pb_allocator(fl_arena_t *arena, struct ProtobufCAllocator *out /* OUT */);

#endif
