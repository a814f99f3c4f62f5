/* fl_base.h: allocation, small macros and the error type shared by every layer.
 *
 * protocol/ is the bottom layer of the tree: storage/, lake/, tablet/, coordinator/ and
 * server/ may include this header; it includes nothing of theirs. */
#ifndef FL_BASE_H
#define FL_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fl_errors.h"

#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define FL_UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#define FL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define FL_NORETURN __attribute__((noreturn))
#else
#define FL_PRINTF(fmt, args)
#define FL_NORETURN
#endif

/* Allocation failure is not an error a caller can handle: these log the size and abort
 * (STYLE.md 8). They never return NULL. */
void *fl_malloc(size_t size);
void *fl_calloc(size_t n, size_t size);
void *fl_realloc(void *p, size_t size);
char *fl_strdup(const char *s);
char *fl_strndup(const char *s, size_t n);
void fl_free(void *p);

/* Monotonic and wall clocks, in milliseconds / microseconds. */
int64_t fl_now_ms(void);      /* wall clock, ms since the epoch */
int64_t fl_mono_us(void);     /* monotonic, µs */

#endif
