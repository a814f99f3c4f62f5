/* fl_apis.h: the API list from fl_apis.def as data. */
#ifndef FL_APIS_H
#define FL_APIS_H

#include <protobuf-c/protobuf-c.h>

#include "fl_base.h"

/* Server roles as bits, so that a local process (both) serves the union. */
#define FL_ROLE_CS 0x1
#define FL_ROLE_TS 0x2
#define FL_ROLE_BOTH (FL_ROLE_CS | FL_ROLE_TS)

/* ServerType ids of ApiVersionsResponse.server_type (fluss-rpc.md 1.4). */
#define FL_SERVER_TYPE_COORDINATOR 1
#define FL_SERVER_TYPE_TABLET_SERVER 2

typedef enum fl_api_key_e {
#define X(key, name, minv, maxv, role, Stem, stem) FL_API_##name = (key),
#include "fl_apis.def"
#undef X
} fl_api_key_t;

#define FL_API_KEY_MIN 1000
#define FL_API_KEY_MAX 1059

/* Keys of our own between fl-server processes (protocol/fl_internal.proto). Never listed in
 * ApiVersions; served only by the coordinator. */
#define FL_API_INTERNAL_MIN 9000
#define FL_API_INTERNAL_TS_HEARTBEAT 9001

typedef struct fl_api_s {
    int16_t key;
    const char *name;      /* "CREATE_TABLE" */
    int16_t min_version;
    int16_t max_version;
    unsigned roles;        /* FL_ROLE_* bits of the servers that serve it */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
} fl_api_t;

/** @returns the API for key, or NULL if Fluss 0.9.1 has no such key. */
const fl_api_t *fl_api_get(int key);
/** @returns the API's name, or "UNKNOWN(<key>)" in a thread-local buffer. */
const char *fl_api_name(int key);

#endif
