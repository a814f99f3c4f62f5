/* fl_errors.c: lookups over the table in fl_errors.def. */
#include "fl_errors.h"

#include <stdio.h>

typedef struct fl_err_desc_s {
    int code;
    bool retriable;
    const char *name;
    const char *desc;
} fl_err_desc_t;

static const fl_err_desc_t fl_err_descs[] = {
#define X(name, code, retriable, desc) {(code), (retriable), #name, (desc)},
#include "fl_errors.def"
#undef X
};

static const fl_err_desc_t *fl_err_find(fl_err_t err) {
    for (size_t i = 0; i < sizeof(fl_err_descs) / sizeof(fl_err_descs[0]); i++)
        if (fl_err_descs[i].code == (int)err) return &fl_err_descs[i];
    return NULL;
}

/* Unknown codes print "Err-<n>?" from a small ring of thread-local buffers so that a caller
 * may format two of them in one log line. */
static const char *fl_err_unknown(fl_err_t err) {
    static __thread char bufs[4][24];
    static __thread unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "Err-%d?", (int)err);
    return b;
}

const char *fl_err2str(fl_err_t err) {
    const fl_err_desc_t *d = fl_err_find(err);
    return d ? d->desc : fl_err_unknown(err);
}

const char *fl_err2name(fl_err_t err) {
    const fl_err_desc_t *d = fl_err_find(err);
    if (!d) return fl_err_unknown(err);
    return d->name[0] == '_' ? d->name + 1 : d->name;
}

bool fl_err_retriable(fl_err_t err) {
    const fl_err_desc_t *d = fl_err_find(err);
    return d && d->retriable;
}

bool fl_err_is_wire(fl_err_t err) {
    return (int)err >= -1 && (int)err <= 63 && fl_err_find(err) != NULL;
}

fl_err_t fl_err_wire(fl_err_t err) {
    if (fl_err_is_wire(err)) return err;
    switch (err) {
    case FL_ERR__UNDERFLOW:
    case FL_ERR__TRAILING:
        return FL_ERR_CORRUPT_MESSAGE;
    case FL_ERR__NOSPC:
    case FL_ERR__IO:
        return FL_ERR_STORAGE_EXCEPTION;
    case FL_ERR__INVAL:
    case FL_ERR__CONFIG:
        return FL_ERR_INVALID_CONFIG_EXCEPTION;
    default:
        return FL_ERR_UNKNOWN_SERVER_ERROR;
    }
}
