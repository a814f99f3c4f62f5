/* fl_lakefile.c: see fl_lakefile.h. */
#include "fl_lakefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "fl_base.h"
#include "fl_log.h"
#include "fl_vfs.h"

fl_err_t fl_lakefile_open(fl_arena_t *a, fl_lakeset_t *set, const char *path,
                          fl_lakefile_t **out) {
    fl_lakefile_t *o = fl_arena_calloc(a, sizeof(*o));
    o->path = fl_arena_strndup(a, path, strlen(path));
    o->fd = fl_vfs->open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        fl_log_error("lake", "open() failed: %s (file %s)", strerror(errno), path);
        return fl_vfs_errno2err(errno);
    }
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->paths = fl_realloc(set->paths, set->cap * sizeof(char *));
    }
    set->paths[set->n++] = o->path;
    *out = o;
    return FL_ERR_NONE;
}

fl_err_t fl_lakefile_write(void *ctx, const void *p, size_t n) {
    fl_lakefile_t *o = ctx;
    if (o->err) return o->err;
    size_t written = 0;
    o->err = fl_write_full(o->fd, p, n, (off_t)o->off, &written);
    if (o->err) fl_log_error("lake", "pwrite() failed: %s (file %s)", strerror(errno), o->path);
    o->off += written;
    return o->err;
}

fl_err_t fl_lakefile_close(fl_lakefile_t *o) {
    fl_err_t err = o->err;
    if (o->fd >= 0) {
        if (!err && fl_vfs->fsync(o->fd) != 0) {
            fl_log_error("lake", "fsync() failed: %s (file %s)", strerror(errno), o->path);
            err = FL_ERR__IO;
        }
        fl_vfs->close(o->fd);
        o->fd = -1;
    }
    return err;
}

fl_err_t fl_lakefile_write_new(fl_arena_t *a, fl_lakeset_t *set, const char *path,
                               const void *p, size_t n) {
    fl_lakefile_t *o;
    fl_err_t err = fl_lakefile_open(a, set, path, &o);
    if (err) return err;
    fl_lakefile_write(o, p, n);
    return fl_lakefile_close(o);
}

void fl_lakeset_unlink(fl_lakeset_t *set) {
    for (size_t i = 0; i < set->n; i++) fl_vfs->unlink(set->paths[i]);
    set->n = 0;
}

void fl_lakeset_forget(fl_lakeset_t *set) {
    set->n = 0;
}

void fl_lakeset_free(fl_lakeset_t *set) {
    fl_free(set->paths);
    set->paths = NULL;
    set->n = set->cap = 0;
}

void fl_lake_random(void *p, size_t n) {
    if (getrandom(p, n, 0) == (ssize_t)n) return;
    uint64_t x = (uint64_t)fl_mono_us() * 6364136223846793005ull + (uint64_t)getpid();
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ((uint8_t *)p)[i] = (uint8_t)(x >> 56);
    }
}

void fl_lake_uuid(char out[37]) {
    uint8_t b[16];
    fl_lake_random(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

bool fl_lake_exists(const char *path) {
    int fd = fl_vfs->open(path, O_RDONLY, 0);
    if (fd < 0) return false;
    fl_vfs->close(fd);
    return true;
}
