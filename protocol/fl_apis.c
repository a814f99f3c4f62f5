/* fl_apis.c: the table behind fl_apis.h, expanded from fl_apis.def. */
#include "fl_apis.h"

#include <stdio.h>

#include "fluss.pb-c.h"

#define ROLE_CS FL_ROLE_CS
#define ROLE_TS FL_ROLE_TS
#define ROLE_BOTH FL_ROLE_BOTH

static const fl_api_t fl_apis[] = {
#define X(key, name, minv, maxv, role, Stem, stem)                                             \
    {(key), #name, (minv), (maxv), ROLE_##role, &fluss__##stem##_request__descriptor,          \
     &fluss__##stem##_response__descriptor},
#include "fl_apis.def"
#undef X
};

const fl_api_t *fl_api_get(int key) {
    if (key < FL_API_KEY_MIN || key > FL_API_KEY_MAX) return NULL;
    const fl_api_t *api = &fl_apis[key - FL_API_KEY_MIN];
    return api->key == key ? api : NULL;
}

const char *fl_api_name(int key) {
    const fl_api_t *api = fl_api_get(key);
    if (api) return api->name;
    static __thread char buf[32];
    snprintf(buf, sizeof(buf), "UNKNOWN(%d)", key);
    return buf;
}
