/* fl_vfs.h: every syscall storage/ makes goes through this table (STYLE.md 13), so tests can
 * install a faulty one: fail call N, disk full, short writes and EINTR, and a simulated crash
 * that drops (or tears, at 512-byte granularity) everything not fsynced.
 *
 * The table is process-global, like SQLite's aSyscall[]. Install a VFS only while no storage
 * object is doing I/O (tests install it before opening a log).
 *
 * Also here: fl_write_full() (EINTR and short-write retry) and the one durable-file recipe
 * (STYLE.md 11): write <name>.tmp, fsync it, rename over <name>, fsync the directory. */
#ifndef FL_VFS_H
#define FL_VFS_H

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fl_base.h"

typedef struct fl_vfs_s {
    const char *name;
    int (*open)(const char *path, int flags, mode_t mode);
    int (*close)(int fd);
    ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
    ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
    int (*fsync)(int fd);
    int (*fdatasync)(int fd);
    int (*ftruncate)(int fd, off_t len);
    int (*fstat)(int fd, struct stat *st);
    int (*rename)(const char *from, const char *to);
    int (*unlink)(const char *path);
    int (*mkdir)(const char *path, mode_t mode);
    DIR *(*opendir)(const char *path);
    struct dirent *(*readdir)(DIR *dir);
    int (*closedir)(DIR *dir);
} fl_vfs_t;

/* The table in use (never NULL). Call through it: fl_vfs->pread(fd, ...). */
extern const fl_vfs_t *fl_vfs;
/* Plain POSIX. */
extern const fl_vfs_t fl_vfs_posix;
/** @brief Install vfs (NULL restores fl_vfs_posix). @returns the previous table. */
const fl_vfs_t *fl_vfs_install(const fl_vfs_t *vfs);

/** @returns the fl_err_t for an errno from a failed write (ENOSPC/EDQUOT -> FL_ERR__NOSPC,
 * everything else FL_ERR__IO). */
fl_err_t fl_vfs_errno2err(int e);

/**
 * @brief pwrite all n bytes at off, retrying EINTR and short writes.
 * @returns FL_ERR_NONE, or FL_ERR__NOSPC / FL_ERR__IO with errno set; *written (optional) is
 * the number of bytes that did reach the file, so the caller can ftruncate them back.
 */
fl_err_t fl_write_full(int fd, const void *p, size_t n, off_t off, size_t *written /* OUT */);
/** @brief pread up to n bytes at off, retrying EINTR and short reads until EOF.
 * @returns bytes read (< n only at EOF), or -1 with errno set. */
ssize_t fl_read_full(int fd, void *p, size_t n, off_t off);

/** @brief fsync the directory path (makes renames/creates/unlinks in it durable). */
fl_err_t fl_vfs_fsync_dir(const char *dir);

/** @brief mkdir -p through the VFS (mode 0755; existing directories are fine).
 *  @returns 0, or -1 with errno set (ENAMETOOLONG beyond 4095 bytes). */
int fl_vfs_mkdirs(const char *path);

/**
 * @brief The durable-file recipe: write p[0..n) to dir/name.tmp, fsync, rename to dir/name,
 * fsync dir. On failure the temp file is removed and the old dir/name is untouched. Logs the
 * failing call ("fsync() failed: <errno> (file ...)").
 */
fl_err_t fl_vfs_write_durable(const char *dir, const char *name, const void *p, size_t n);

/**
 * @brief Read a whole small file (at most max bytes) into a fl_malloc'd buffer.
 * @returns FL_ERR_NONE; FL_ERR__NOENT if it does not exist; FL_ERR__OVERFLOW if it is larger
 * than max; FL_ERR__IO otherwise. *p must be fl_free'd.
 */
fl_err_t fl_vfs_read_file(const char *path, size_t max, uint8_t **p /* OUT */,
                          size_t *len /* OUT */);

/* ---------------------------------------------------------------------------------------- */
/* Fault-injecting VFS for tests.
 *
 * It wraps POSIX and tracks every file opened through it (by inode). The contents a file had
 * at its last fsync/fdatasync (or when it was first opened through the fault VFS) are its
 * "durable image". fl_vfs_fault_crash() rewrites every tracked file as a power cut would leave
 * it, then marks every fd opened before the crash dead (any call on it but close fails EIO). */

typedef enum fl_vfs_op_e {
    FL_VFS_OP_OPEN = 1 << 0,
    FL_VFS_OP_PREAD = 1 << 1,
    FL_VFS_OP_PWRITE = 1 << 2,
    FL_VFS_OP_FSYNC = 1 << 3, /* fsync and fdatasync */
    FL_VFS_OP_FTRUNCATE = 1 << 4,
    FL_VFS_OP_RENAME = 1 << 5,
    FL_VFS_OP_UNLINK = 1 << 6,
    FL_VFS_OP_MKDIR = 1 << 7,
    FL_VFS_OP_OPENDIR = 1 << 8,
    FL_VFS_OP_FSTAT = 1 << 9,
} fl_vfs_op_t;

typedef enum fl_vfs_crash_e {
    FL_VFS_CRASH_DROP_UNSYNCED, /* every file reverts to its durable image */
    FL_VFS_CRASH_KEEP_ALL,      /* every write made it (a process crash, not a power cut) */
    FL_VFS_CRASH_TEAR_LAST,     /* all but each file's last unsynced write made it; of that
                                 * write only the first tear_sectors 512-byte sectors (file
                                 * aligned) made it, the rest reads as zeros */
    FL_VFS_CRASH_CUT_LAST,      /* as TEAR_LAST, but the file ends after the kept sectors */
} fl_vfs_crash_t;

typedef struct fl_vfs_fault_stats_s {
    uint64_t calls[16];    /* per op bit index (FL_VFS_OP_x = 1 << i) */
    uint64_t bytes_read;   /* by pread */
    uint64_t bytes_written;
    uint64_t faults;       /* injected failures so far */
} fl_vfs_fault_stats_t;

/** @brief Install the fault VFS with no faults armed and fresh tracking/stats. */
void fl_vfs_fault_install(void);
/** @brief Forget all tracking and restore fl_vfs_posix. */
void fl_vfs_fault_uninstall(void);
/**
 * @brief Make the n-th (1-based, counted from now) call of any op in ops_mask fail with err.
 * persistent: every later matching call fails too. n = 0 disarms.
 */
void fl_vfs_fault_fail_nth(unsigned ops_mask, uint64_t n, int err, bool persistent);
/** @brief Disk full after bytes more bytes of pwrite: the write crossing the limit is short,
 * the next one fails ENOSPC. UINT64_MAX disarms. */
void fl_vfs_fault_space_limit(uint64_t bytes);
/** @brief Every pwrite writes at most max bytes (0 = no limit); every eintr_every-th pwrite
 * (0 = never) fails EINTR first. */
void fl_vfs_fault_short_writes(size_t max, unsigned eintr_every);
/** @brief Simulate a power cut (see fl_vfs_crash_t). */
void fl_vfs_fault_crash(fl_vfs_crash_t mode, unsigned tear_sectors);
/** @brief Counters since install or the last reset. */
void fl_vfs_fault_stats(fl_vfs_fault_stats_t *st /* OUT */);
void fl_vfs_fault_reset_stats(void);

#endif
