/* fl_log.c: one line per call, written with a single write(2) so that lines from several
 * threads never interleave. */
#include "fl_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static fl_log_level_t fl_log_level = FL_LOG_INFO;
static int fl_log_fd = -1;

static const char *const fl_log_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

int fl_log_parse_level(const char *s, fl_log_level_t *out) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (fl_log_level_t)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = FL_LOG_WARN;
        return 0;
    }
    return -1;
}

void fl_log_set_level(fl_log_level_t level) {
    fl_log_level = level;
}

fl_log_level_t fl_log_get_level(void) {
    return fl_log_level;
}

int fl_log_set_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    if (fl_log_fd >= 0) close(fl_log_fd);
    fl_log_fd = fd;
    return 0;
}

void fl_log_write(fl_log_level_t level, const char *module, const char *fmt, ...) {
    if (level < fl_log_level) return;
    int saved_errno = errno;
    char line[4096];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, fl_log_names[level], module);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : FL_MIN((size_t)m, sizeof(line) - (size_t)n - 2));
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    if (fl_log_fd >= 0) w = write(fl_log_fd, line, len);
    (void)w;
    errno = saved_errno;
}
