/* fl_arena.c: bump allocator over a chain of chunks.
 *
 * Layout: each chunk is one malloc'd block with a header followed by its data. Requests
 * larger than a quarter of the default chunk size get a chunk of their own, so a single
 * large allocation never wastes the rest of a shared chunk. */
#include "fl_arena.h"

#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FL_ARENA_CHUNK 8192
#define FL_ARENA_ALIGN 16

typedef struct fl_arena_chunk_s {
    struct fl_arena_chunk_s *next;
    size_t size; /* data bytes in this chunk */
    size_t used; /* data bytes handed out */
    _Alignas(FL_ARENA_ALIGN) unsigned char data[];
} fl_arena_chunk_t;

typedef struct fl_arena_cleanup_s {
    struct fl_arena_cleanup_s *next;
    fl_arena_cleanup_cb *cb;
    void *arg;
} fl_arena_cleanup_t;

struct fl_arena_s {
    fl_arena_chunk_t *head;       /* newest chunk first */
    fl_arena_cleanup_t *cleanups; /* newest first */
    size_t budget;                /* 0 = unlimited */
    size_t used;                  /* bytes handed out */
};

fl_arena_t *fl_arena_new(size_t budget) {
    fl_arena_t *arena = fl_calloc(1, sizeof(*arena));
    arena->budget = budget;
    return arena;
}

void fl_arena_destroy(fl_arena_t *arena) {
    if (!arena) return;
    for (fl_arena_cleanup_t *c = arena->cleanups; c; c = c->next) c->cb(c->arg);
    fl_arena_chunk_t *ch = arena->head;
    while (ch) {
        fl_arena_chunk_t *next = ch->next;
        fl_free(ch);
        ch = next;
    }
    fl_free(arena);
}

static void *fl_arena_take(fl_arena_t *arena, size_t size) {
    size_t need = (size + FL_ARENA_ALIGN - 1) & ~(size_t)(FL_ARENA_ALIGN - 1);
    if (need == 0) need = FL_ARENA_ALIGN;
    fl_arena_chunk_t *ch = arena->head;
    if (!ch || ch->size - ch->used < need) {
        size_t csize = need > FL_ARENA_CHUNK / 4 ? need : FL_ARENA_CHUNK;
        fl_arena_chunk_t *n = fl_malloc(sizeof(*n) + csize);
        n->size = csize;
        n->used = 0;
        if (ch && csize != FL_ARENA_CHUNK && ch->size - ch->used >= FL_ARENA_ALIGN) {
            /* A dedicated large chunk goes behind the current one so the current one keeps
             * serving small allocations. */
            n->next = ch->next;
            ch->next = n;
        } else {
            n->next = ch;
            arena->head = n;
        }
        ch = n;
    }
    void *p = ch->data + ch->used;
    ch->used += need;
    arena->used += need;
    return p;
}

void *fl_arena_alloc(fl_arena_t *arena, size_t size) {
    return fl_arena_take(arena, size);
}

void *fl_arena_try_alloc(fl_arena_t *arena, size_t size) {
    if (arena->budget && (size > arena->budget || arena->used > arena->budget - size))
        return NULL;
    return fl_arena_take(arena, size);
}

void *fl_arena_calloc(fl_arena_t *arena, size_t size) {
    void *p = fl_arena_take(arena, size);
    memset(p, 0, size);
    return p;
}

char *fl_arena_strndup(fl_arena_t *arena, const char *s, size_t n) {
    char *p = fl_arena_take(arena, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *fl_arena_sprintf(fl_arena_t *arena, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *p = fl_arena_take(arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void fl_arena_cleanup_add(fl_arena_t *arena, fl_arena_cleanup_cb *cb, void *arg) {
    fl_arena_cleanup_t *c = fl_arena_take(arena, sizeof(*c));
    c->cb = cb;
    c->arg = arg;
    c->next = arena->cleanups;
    arena->cleanups = c;
}

size_t fl_arena_used(const fl_arena_t *arena) {
    return arena->used;
}

static void *fl_arena_pb_alloc(void *data, size_t size) {
    return fl_arena_try_alloc((fl_arena_t *)data, size);
}

static void fl_arena_pb_free(void *data, void *p) {
    FL_UNUSED(data);
    FL_UNUSED(p);
}

void fl_arena_pb_allocator(fl_arena_t *arena, struct ProtobufCAllocator *out) {
    out->alloc = fl_arena_pb_alloc;
    out->free = fl_arena_pb_free;
    out->allocator_data = arena;
}
