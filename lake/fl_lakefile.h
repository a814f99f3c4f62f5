/* fl_lakefile.h: the files a lake commit round writes (shared by fl_paimon.c and fl_iceberg.c).
 *
 * A round writes new files only (O_EXCL: a name is never reused), each fsynced before the
 * snapshot that names it is published. Until that publish the round owns its files and an
 * abort removes them (fl_lakeset_unlink); once the snapshot may be visible the set is
 * forgotten (fl_lakeset_forget) and nothing of the round may be removed any more.
 * Every call goes through fl_vfs, so tests can inject faults. */
#ifndef FL_LAKEFILE_H
#define FL_LAKEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fl_arena.h"
#include "fl_errors.h"

/* An output file being written: bytes go out at off; the first error sticks. */
typedef struct fl_lakefile_s {
    int fd;
    uint64_t off;
    fl_err_t err;
    char *path;
} fl_lakefile_t;

/* Paths of every file a round created (for abort). */
typedef struct fl_lakeset_s {
    char **paths;
    size_t n, cap;
} fl_lakeset_t;

/** @brief Create path (must not exist) and remember it in set; the handle lives in arena a. */
fl_err_t fl_lakefile_open(fl_arena_t *a, fl_lakeset_t *set, const char *path,
                          fl_lakefile_t **out /* OUT */);
/** @brief Append n bytes (an fl_*_write_fn sink: ctx is the fl_lakefile_t). */
fl_err_t fl_lakefile_write(void *ctx, const void *p, size_t n);
/** @brief fsync and close. @returns the first error of the file's life. */
fl_err_t fl_lakefile_close(fl_lakefile_t *f);
/** @brief open + write + close of a whole small file. */
fl_err_t fl_lakefile_write_new(fl_arena_t *a, fl_lakeset_t *set, const char *path,
                               const void *p, size_t n);

/** @brief Remove every file of the set (abort before publish). */
void fl_lakeset_unlink(fl_lakeset_t *set);
/** @brief Published: the files are no longer the round's to remove. */
void fl_lakeset_forget(fl_lakeset_t *set);
void fl_lakeset_free(fl_lakeset_t *set);

/** @brief n random bytes (getrandom, or a time-seeded generator when it fails). */
void fl_lake_random(void *p, size_t n);
/** @brief A random (version 4) UUID in its 36-character text form. */
void fl_lake_uuid(char out[37]);
/** @returns true when path can be opened for reading. */
bool fl_lake_exists(const char *path);

#endif
