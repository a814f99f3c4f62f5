/* fl_log.h: leveled logging to stderr (and optionally a file).
 *
 * Lines look like: 2026-11-25T02:40:01.123Z WARN  [server] message
 * Log lines name the failed call and errno separately (STYLE.md 3):
 *   fl_log_error("storage", "fsync() failed: %s (segment %s)", strerror(errno), name); */
#ifndef FL_LOG_H
#define FL_LOG_H

#include "fl_base.h"

typedef enum fl_log_level_e {
    FL_LOG_DEBUG = 0,
    FL_LOG_INFO = 1,
    FL_LOG_WARN = 2,
    FL_LOG_ERROR = 3,
} fl_log_level_t;

/** @returns 0 and sets *out for "debug", "info", "warn", "error" (any case); -1 otherwise. */
int fl_log_parse_level(const char *s, fl_log_level_t *out /* OUT */);
void fl_log_set_level(fl_log_level_t level);
fl_log_level_t fl_log_get_level(void);
/** @brief Also append log lines to path (opened in append mode). @returns 0 or -1. */
int fl_log_set_file(const char *path);
void fl_log_write(fl_log_level_t level, const char *module, const char *fmt, ...)
    FL_PRINTF(3, 4);

#define fl_log_debug(mod, ...)                                                                 \
    do {                                                                                       \
        if (fl_log_get_level() <= FL_LOG_DEBUG) fl_log_write(FL_LOG_DEBUG, mod, __VA_ARGS__);  \
    } while (0)
#define fl_log_info(mod, ...) fl_log_write(FL_LOG_INFO, mod, __VA_ARGS__)
#define fl_log_warn(mod, ...) fl_log_write(FL_LOG_WARN, mod, __VA_ARGS__)
#define fl_log_error(mod, ...) fl_log_write(FL_LOG_ERROR, mod, __VA_ARGS__)

#endif
