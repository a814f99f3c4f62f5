/* fl_errors.h: the error enum generated from fl_errors.def (STYLE.md 2). */
#ifndef FL_ERRORS_H
#define FL_ERRORS_H

#include <stdbool.h>

typedef enum fl_err_e {
#define X(name, code, retriable, desc) FL_ERR_##name = (code),
#include "fl_errors.def"
#undef X
} fl_err_t;

/** @returns the default message for a code, or "Err-<n>?" for an unknown one. */
const char *fl_err2str(fl_err_t err);
/** @returns the symbolic name ("TABLE_NOT_EXIST"), or "Err-<n>?" for an unknown code. */
const char *fl_err2name(fl_err_t err);
/** @returns true if a Java client would retry a request that failed with this code. */
bool fl_err_retriable(fl_err_t err);
/** @returns true if the code is one of Fluss's wire codes (-1..63). */
bool fl_err_is_wire(fl_err_t err);
/** @returns the wire code to send for err: wire codes pass through, local errors map to the
 * closest wire code (UNKNOWN_SERVER_ERROR when there is none). */
fl_err_t fl_err_wire(fl_err_t err);

#endif
