/* fl_alloc.c: allocation that aborts on failure, and clocks. */
#include "fl_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void FL_NORETURN fl_oom(size_t size) {
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
    fflush(stderr);
    abort();
}

void *fl_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) fl_oom(size);
    return p;
}

void *fl_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) fl_oom(n * size);
    return p;
}

void *fl_realloc(void *old, size_t size) {
    void *p = realloc(old, size ? size : 1);
    if (!p) fl_oom(size);
    return p;
}

char *fl_strdup(const char *s) {
    return fl_strndup(s, strlen(s));
}

char *fl_strndup(const char *s, size_t n) {
    char *p = fl_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void fl_free(void *p) {
    free(p);
}

int64_t fl_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t fl_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
