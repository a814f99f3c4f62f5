/* fl_types.c: see fl_types.h. */
#include "fl_types.h"

#include <string.h>

static const char *const fl_type_names[FL_T__COUNT] = {
    [FL_T_BOOLEAN] = "BOOLEAN",
    [FL_T_TINYINT] = "TINYINT",
    [FL_T_SMALLINT] = "SMALLINT",
    [FL_T_INTEGER] = "INTEGER",
    [FL_T_BIGINT] = "BIGINT",
    [FL_T_FLOAT] = "FLOAT",
    [FL_T_DOUBLE] = "DOUBLE",
    [FL_T_DECIMAL] = "DECIMAL",
    [FL_T_CHAR] = "CHAR",
    [FL_T_STRING] = "STRING",
    [FL_T_BINARY] = "BINARY",
    [FL_T_BYTES] = "BYTES",
    [FL_T_DATE] = "DATE",
    [FL_T_TIME] = "TIME_WITHOUT_TIME_ZONE",
    [FL_T_TIMESTAMP] = "TIMESTAMP_WITHOUT_TIME_ZONE",
    [FL_T_TIMESTAMP_LTZ] = "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
    [FL_T_ARRAY] = "ARRAY",
    [FL_T_MAP] = "MAP",
    [FL_T_ROW] = "ROW",
};

const char *fl_type_root_name(fl_type_root_t root) {
    return (unsigned)root < FL_T__COUNT ? fl_type_names[root] : "?";
}

int fl_type_root_parse(const char *name, fl_type_root_t *out) {
    for (int i = 0; i < FL_T__COUNT; i++) {
        if (!strcmp(name, fl_type_names[i])) {
            *out = (fl_type_root_t)i;
            return 0;
        }
    }
    return -1;
}

bool fl_type_decimal_compact(const fl_type_t *t) {
    return t->root == FL_T_DECIMAL && t->precision <= 18;
}

bool fl_type_timestamp_compact(const fl_type_t *t) {
    return (t->root == FL_T_TIMESTAMP || t->root == FL_T_TIMESTAMP_LTZ) && t->precision <= 3;
}
