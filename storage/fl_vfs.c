/* fl_vfs.c: the POSIX table, write/read helpers, the durable-file recipe and the fault VFS. */
#include "fl_vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fl_log.h"

/* ---- POSIX ------------------------------------------------------------------------------ */

static int fl_px_open(const char *path, int flags, mode_t mode) {
    return open(path, flags | O_CLOEXEC, mode);
}
static struct dirent *fl_px_readdir(DIR *dir) {
    return readdir(dir);
}

const fl_vfs_t fl_vfs_posix = {
    .name = "posix",
    .open = fl_px_open,
    .close = close,
    .pread = pread,
    .pwrite = pwrite,
    .fsync = fsync,
    .fdatasync = fdatasync,
    .ftruncate = ftruncate,
    .fstat = fstat,
    .rename = rename,
    .unlink = unlink,
    .mkdir = mkdir,
    .opendir = opendir,
    .readdir = fl_px_readdir,
    .closedir = closedir,
};

const fl_vfs_t *fl_vfs = &fl_vfs_posix;

const fl_vfs_t *fl_vfs_install(const fl_vfs_t *vfs) {
    const fl_vfs_t *old = fl_vfs;
    fl_vfs = vfs ? vfs : &fl_vfs_posix;
    return old;
}

fl_err_t fl_vfs_errno2err(int e) {
    return (e == ENOSPC || e == EDQUOT) ? FL_ERR__NOSPC : FL_ERR__IO;
}

fl_err_t fl_write_full(int fd, const void *p, size_t n, off_t off, size_t *written) {
    size_t done = 0;
    fl_err_t err = FL_ERR_NONE;
    while (done < n) {
        ssize_t w = fl_vfs->pwrite(fd, (const uint8_t *)p + done, n - done, off + (off_t)done);
        if (w < 0) {
            if (errno == EINTR) continue;
            err = fl_vfs_errno2err(errno);
            break;
        }
        if (w == 0) { /* no progress and no errno: treat as a full disk */
            errno = ENOSPC;
            err = FL_ERR__NOSPC;
            break;
        }
        done += (size_t)w;
    }
    if (written) *written = done;
    return err;
}

ssize_t fl_read_full(int fd, void *p, size_t n, off_t off) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = fl_vfs->pread(fd, (uint8_t *)p + done, n - done, off + (off_t)done);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int fl_vfs_mkdirs(const char *path) {
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char ch = tmp[i];
            tmp[i] = 0;
            if (fl_vfs->mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            tmp[i] = ch;
        }
    }
    return 0;
}

fl_err_t fl_vfs_fsync_dir(const char *dir) {
    int fd = fl_vfs->open(dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) {
        fl_log_error("storage", "open() failed: %s (directory %s)", strerror(errno), dir);
        return FL_ERR__IO;
    }
    fl_err_t err = FL_ERR_NONE;
    if (fl_vfs->fsync(fd) != 0) {
        fl_log_error("storage", "fsync() failed: %s (directory %s)", strerror(errno), dir);
        err = FL_ERR__IO;
    }
    fl_vfs->close(fd);
    return err;
}

fl_err_t fl_vfs_write_durable(const char *dir, const char *name, const void *p, size_t n) {
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    int fd = fl_vfs->open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        fl_log_error("storage", "open() failed: %s (file %s)", strerror(e), tmp);
        return fl_vfs_errno2err(e);
    }
    fl_err_t err = fl_write_full(fd, p, n, 0, NULL);
    if (err) {
        fl_log_error("storage", "write() failed: %s (file %s, %zu bytes)", strerror(errno), tmp,
                     n);
        goto err;
    }
    if (fl_vfs->fsync(fd) != 0) {
        fl_log_error("storage", "fsync() failed: %s (file %s)", strerror(errno), tmp);
        err = FL_ERR__IO;
        goto err;
    }
    fl_vfs->close(fd);
    fd = -1;
    if (fl_vfs->rename(tmp, dst) != 0) {
        fl_log_error("storage", "rename() failed: %s (%s -> %s)", strerror(errno), tmp, dst);
        err = FL_ERR__IO;
        goto err;
    }
    return fl_vfs_fsync_dir(dir);
err:
    if (fd >= 0) fl_vfs->close(fd);
    fl_vfs->unlink(tmp);
    return err;
}

fl_err_t fl_vfs_read_file(const char *path, size_t max, uint8_t **p, size_t *len) {
    *p = NULL;
    *len = 0;
    int fd = fl_vfs->open(path, O_RDONLY, 0);
    if (fd < 0) return errno == ENOENT ? FL_ERR__NOENT : FL_ERR__IO;
    struct stat st;
    fl_err_t err = FL_ERR_NONE;
    if (fl_vfs->fstat(fd, &st) != 0) {
        err = FL_ERR__IO;
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        err = FL_ERR__OVERFLOW;
        goto out;
    }
    uint8_t *buf = fl_malloc((size_t)st.st_size + 1);
    ssize_t r = fl_read_full(fd, buf, (size_t)st.st_size, 0);
    if (r < 0) {
        fl_free(buf);
        err = FL_ERR__IO;
        goto out;
    }
    *p = buf;
    *len = (size_t)r;
out:
    fl_vfs->close(fd);
    return err;
}

/* ---- fault VFS -------------------------------------------------------------------------- */

enum { FT_WRITE, FT_TRUNC };

typedef struct fl_ft_op_s {
    int kind;
    off_t off;     /* FT_WRITE: position; FT_TRUNC: new length */
    size_t len;
    uint8_t *data; /* FT_WRITE: copy of the bytes that reached the file */
} fl_ft_op_t;

typedef struct fl_ft_file_s {
    dev_t dev;
    ino_t ino;
    char *path;
    bool gone;         /* unlinked or replaced by a rename */
    uint8_t *durable;  /* contents at the last fsync */
    size_t durable_len;
    fl_ft_op_t *ops;   /* since the last fsync */
    size_t n_ops, cap_ops;
} fl_ft_file_t;

#define FL_FT_MAX_FD 4096

static struct {
    fl_ft_file_t **files;
    size_t n_files, cap_files;
    int fd_file[FL_FT_MAX_FD]; /* index into files + 1; 0 = untracked */
    bool fd_dead[FL_FT_MAX_FD];
    unsigned fail_mask;
    uint64_t fail_n, fail_count;
    int fail_errno;
    bool fail_persistent, fail_latched;
    uint64_t space_left;
    size_t short_max;
    unsigned eintr_every, eintr_count;
    fl_vfs_fault_stats_t st;
} ft;

static int fl_ft_bit(unsigned op) {
    return __builtin_ctz(op);
}

/* @returns true if this call must fail (errno set). */
static bool fl_ft_fault(unsigned op) {
    ft.st.calls[fl_ft_bit(op)]++;
    if (!(ft.fail_mask & op)) return false;
    if (ft.fail_latched) {
        ft.st.faults++;
        errno = ft.fail_errno;
        return true;
    }
    if (ft.fail_n == 0) return false;
    if (++ft.fail_count == ft.fail_n) {
        ft.st.faults++;
        errno = ft.fail_errno;
        if (ft.fail_persistent) ft.fail_latched = true;
        else ft.fail_n = 0;
        return true;
    }
    return false;
}

static bool fl_ft_dead(int fd) {
    if (fd >= 0 && fd < FL_FT_MAX_FD && ft.fd_dead[fd]) {
        errno = EIO;
        return true;
    }
    return false;
}

static fl_ft_file_t *fl_ft_of_fd(int fd) {
    if (fd < 0 || fd >= FL_FT_MAX_FD || ft.fd_file[fd] == 0) return NULL;
    return ft.files[ft.fd_file[fd] - 1];
}

/* The current contents of a tracked file (through its own read-only fd: the caller's may be
 * write-only). */
static void fl_ft_read_all(const char *path, uint8_t **p, size_t *len) {
    struct stat st;
    *p = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        *p = fl_malloc((size_t)st.st_size);
        ssize_t r = pread(fd, *p, (size_t)st.st_size, 0);
        *len = r > 0 ? (size_t)r : 0;
    }
    close(fd);
}

static void fl_ft_clear_ops(fl_ft_file_t *f) {
    for (size_t i = 0; i < f->n_ops; i++) fl_free(f->ops[i].data);
    f->n_ops = 0;
}

static void fl_ft_add_op(fl_ft_file_t *f, int kind, off_t off, const void *data, size_t len) {
    if (f->n_ops == f->cap_ops) {
        f->cap_ops = f->cap_ops ? f->cap_ops * 2 : 16;
        f->ops = fl_realloc(f->ops, f->cap_ops * sizeof(*f->ops));
    }
    fl_ft_op_t *op = &f->ops[f->n_ops++];
    op->kind = kind;
    op->off = off;
    op->len = len;
    op->data = NULL;
    if (data && len) {
        op->data = fl_malloc(len);
        memcpy(op->data, data, len);
    }
}

static int fl_ft_open(const char *path, int flags, mode_t mode) {
    if (fl_ft_fault(FL_VFS_OP_OPEN)) return -1;
    int fd = open(path, flags | O_CLOEXEC, mode);
    if (fd < 0) return fd;
    if (fd >= FL_FT_MAX_FD) {
        close(fd);
        errno = EMFILE;
        return -1;
    }
    ft.fd_dead[fd] = false;
    ft.fd_file[fd] = 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fd;
    size_t i;
    for (i = 0; i < ft.n_files; i++) {
        fl_ft_file_t *f = ft.files[i];
        if (!f->gone && f->dev == st.st_dev && f->ino == st.st_ino) break;
    }
    if (i == ft.n_files) {
        fl_ft_file_t *f = fl_calloc(1, sizeof(*f));
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->path = fl_strdup(path);
        /* whatever it holds now counts as durable (O_TRUNC already emptied it) */
        fl_ft_read_all(path, &f->durable, &f->durable_len);
        if (ft.n_files == ft.cap_files) {
            ft.cap_files = ft.cap_files ? ft.cap_files * 2 : 32;
            ft.files = fl_realloc(ft.files, ft.cap_files * sizeof(*ft.files));
        }
        ft.files[ft.n_files++] = f;
    } else if (flags & O_TRUNC) {
        fl_ft_add_op(ft.files[i], FT_TRUNC, 0, NULL, 0);
    }
    ft.fd_file[fd] = (int)i + 1;
    return fd;
}

static int fl_ft_close(int fd) {
    if (fd >= 0 && fd < FL_FT_MAX_FD) {
        ft.fd_file[fd] = 0;
        ft.fd_dead[fd] = false;
    }
    return close(fd);
}

static ssize_t fl_ft_pread(int fd, void *buf, size_t n, off_t off) {
    if (fl_ft_dead(fd) || fl_ft_fault(FL_VFS_OP_PREAD)) return -1;
    ssize_t r = pread(fd, buf, n, off);
    if (r > 0) ft.st.bytes_read += (uint64_t)r;
    return r;
}

static ssize_t fl_ft_pwrite(int fd, const void *buf, size_t n, off_t off) {
    if (fl_ft_dead(fd) || fl_ft_fault(FL_VFS_OP_PWRITE)) return -1;
    if (ft.eintr_every && ++ft.eintr_count % ft.eintr_every == 0) {
        errno = EINTR;
        return -1;
    }
    if (ft.short_max && n > ft.short_max) n = ft.short_max;
    if (ft.space_left == 0 && n > 0) {
        ft.st.faults++;
        errno = ENOSPC;
        return -1;
    }
    if (ft.space_left != UINT64_MAX && n > ft.space_left) n = (size_t)ft.space_left;
    ssize_t w = pwrite(fd, buf, n, off);
    if (w > 0) {
        if (ft.space_left != UINT64_MAX) ft.space_left -= (uint64_t)w;
        ft.st.bytes_written += (uint64_t)w;
        fl_ft_file_t *f = fl_ft_of_fd(fd);
        if (f) fl_ft_add_op(f, FT_WRITE, off, buf, (size_t)w);
    }
    return w;
}

static int fl_ft_sync_common(int fd, int (*fn)(int)) {
    if (fl_ft_dead(fd) || fl_ft_fault(FL_VFS_OP_FSYNC)) return -1;
    int r = fn(fd);
    fl_ft_file_t *f = fl_ft_of_fd(fd);
    if (r == 0 && f) {
        fl_free(f->durable);
        fl_ft_read_all(f->path, &f->durable, &f->durable_len);
        fl_ft_clear_ops(f);
    }
    return r;
}
static int fl_ft_fsync(int fd) {
    return fl_ft_sync_common(fd, fsync);
}
static int fl_ft_fdatasync(int fd) {
    return fl_ft_sync_common(fd, fdatasync);
}

static int fl_ft_ftruncate(int fd, off_t len) {
    if (fl_ft_dead(fd) || fl_ft_fault(FL_VFS_OP_FTRUNCATE)) return -1;
    int r = ftruncate(fd, len);
    fl_ft_file_t *f = fl_ft_of_fd(fd);
    if (r == 0 && f) fl_ft_add_op(f, FT_TRUNC, len, NULL, 0);
    return r;
}

static int fl_ft_fstat(int fd, struct stat *st) {
    if (fl_ft_dead(fd) || fl_ft_fault(FL_VFS_OP_FSTAT)) return -1;
    return fstat(fd, st);
}

static fl_ft_file_t *fl_ft_by_path(const char *path) {
    for (size_t i = 0; i < ft.n_files; i++) {
        if (!ft.files[i]->gone && strcmp(ft.files[i]->path, path) == 0) return ft.files[i];
    }
    return NULL;
}

static int fl_ft_rename(const char *from, const char *to) {
    if (fl_ft_fault(FL_VFS_OP_RENAME)) return -1;
    int r = rename(from, to);
    if (r == 0) {
        fl_ft_file_t *old = fl_ft_by_path(to);
        fl_ft_file_t *f = fl_ft_by_path(from);
        if (old && old != f) old->gone = true;
        if (f) {
            fl_free(f->path);
            f->path = fl_strdup(to);
        }
    }
    return r;
}

static int fl_ft_unlink(const char *path) {
    if (fl_ft_fault(FL_VFS_OP_UNLINK)) return -1;
    int r = unlink(path);
    if (r == 0) {
        fl_ft_file_t *f = fl_ft_by_path(path);
        if (f) f->gone = true;
    }
    return r;
}

static int fl_ft_mkdir(const char *path, mode_t mode) {
    if (fl_ft_fault(FL_VFS_OP_MKDIR)) return -1;
    return mkdir(path, mode);
}

static DIR *fl_ft_opendir(const char *path) {
    if (fl_ft_fault(FL_VFS_OP_OPENDIR)) return NULL;
    return opendir(path);
}

static const fl_vfs_t fl_vfs_fault = {
    .name = "fault",
    .open = fl_ft_open,
    .close = fl_ft_close,
    .pread = fl_ft_pread,
    .pwrite = fl_ft_pwrite,
    .fsync = fl_ft_fsync,
    .fdatasync = fl_ft_fdatasync,
    .ftruncate = fl_ft_ftruncate,
    .fstat = fl_ft_fstat,
    .rename = fl_ft_rename,
    .unlink = fl_ft_unlink,
    .mkdir = fl_ft_mkdir,
    .opendir = fl_ft_opendir,
    .readdir = fl_px_readdir,
    .closedir = closedir,
};

static void fl_ft_forget_all(void) {
    for (size_t i = 0; i < ft.n_files; i++) {
        fl_ft_clear_ops(ft.files[i]);
        fl_free(ft.files[i]->ops);
        fl_free(ft.files[i]->durable);
        fl_free(ft.files[i]->path);
        fl_free(ft.files[i]);
    }
    fl_free(ft.files);
    memset(&ft, 0, sizeof(ft));
    ft.space_left = UINT64_MAX;
}

void fl_vfs_fault_install(void) {
    fl_ft_forget_all();
    fl_vfs_install(&fl_vfs_fault);
}

void fl_vfs_fault_uninstall(void) {
    fl_ft_forget_all();
    fl_vfs_install(NULL);
}

void fl_vfs_fault_fail_nth(unsigned ops_mask, uint64_t n, int err, bool persistent) {
    ft.fail_mask = n ? ops_mask : 0;
    ft.fail_n = n;
    ft.fail_count = 0;
    ft.fail_errno = err;
    ft.fail_persistent = persistent;
    ft.fail_latched = false;
}

void fl_vfs_fault_space_limit(uint64_t bytes) {
    ft.space_left = bytes;
}

void fl_vfs_fault_short_writes(size_t max, unsigned eintr_every) {
    ft.short_max = max;
    ft.eintr_every = eintr_every;
    ft.eintr_count = 0;
}

void fl_vfs_fault_stats(fl_vfs_fault_stats_t *st) {
    *st = ft.st;
}

void fl_vfs_fault_reset_stats(void) {
    memset(&ft.st, 0, sizeof(ft.st));
}

/* A growable image of a file's contents used to replay ops. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} fl_ft_img_t;

static void fl_ft_img_resize(fl_ft_img_t *img, size_t len) {
    if (len > img->cap) {
        size_t cap = img->cap ? img->cap : 4096;
        while (cap < len) cap *= 2;
        img->p = fl_realloc(img->p, cap);
        img->cap = cap;
    }
    if (len > img->len) memset(img->p + img->len, 0, len - img->len);
    img->len = len;
}

static void fl_ft_img_apply(fl_ft_img_t *img, const fl_ft_op_t *op, size_t keep) {
    if (op->kind == FT_TRUNC) {
        fl_ft_img_resize(img, (size_t)op->off);
        return;
    }
    size_t end = (size_t)op->off + keep;
    if (end > img->len) fl_ft_img_resize(img, end);
    if (keep) memcpy(img->p + op->off, op->data, keep);
}

void fl_vfs_fault_crash(fl_vfs_crash_t mode, unsigned tear_sectors) {
    for (size_t i = 0; i < ft.n_files; i++) {
        fl_ft_file_t *f = ft.files[i];
        if (f->gone) continue;
        fl_ft_img_t img = {0};
        fl_ft_img_resize(&img, f->durable_len);
        if (f->durable_len) memcpy(img.p, f->durable, f->durable_len);
        size_t last_w = SIZE_MAX;
        for (size_t k = 0; k < f->n_ops; k++)
            if (f->ops[k].kind == FT_WRITE) last_w = k;
        for (size_t k = 0; k < f->n_ops && mode != FL_VFS_CRASH_DROP_UNSYNCED; k++) {
            const fl_ft_op_t *op = &f->ops[k];
            if (k != last_w || mode == FL_VFS_CRASH_KEEP_ALL) {
                fl_ft_img_apply(&img, op, op->len);
                continue;
            }
            /* the torn write: keep whole sectors from its start */
            size_t start = (size_t)op->off, end = start + op->len;
            size_t keep_end = (start / 512 + tear_sectors) * 512;
            if (keep_end < start) keep_end = start;
            if (keep_end > end) keep_end = end;
            fl_ft_img_apply(&img, op, keep_end - start);
            if (mode == FL_VFS_CRASH_TEAR_LAST && img.len < end) fl_ft_img_resize(&img, end);
            if (mode == FL_VFS_CRASH_TEAR_LAST && keep_end < end) {
                /* the file was written up to end, but those sectors never reached the disk */
                size_t z_end = FL_MIN(end, img.len);
                if (z_end > keep_end) memset(img.p + keep_end, 0, z_end - keep_end);
            }
        }
        int fd = open(f->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd >= 0) {
            size_t done = 0;
            while (done < img.len) {
                ssize_t w = pwrite(fd, img.p + done, img.len - done, (off_t)done);
                if (w <= 0) break;
                done += (size_t)w;
            }
            close(fd);
        }
        fl_free(f->durable);
        f->durable = img.p;
        f->durable_len = img.len;
        fl_ft_clear_ops(f);
    }
    /* the process that held these fds is gone */
    for (int fd = 0; fd < FL_FT_MAX_FD; fd++) {
        if (ft.fd_file[fd]) ft.fd_dead[fd] = true;
    }
}
