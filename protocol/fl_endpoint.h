/* fl_endpoint.h: listener lists as Fluss writes them (bind.listeners, advertised.listeners,
 * PbServerNode.listeners): "NAME://host:port[,NAME2://host:port]". Hosts may be names, IPv4
 * or bracketed IPv6 ("[::1]"). */
#ifndef FL_ENDPOINT_H
#define FL_ENDPOINT_H

#include "fl_base.h"

#define FL_MAX_ENDPOINTS 8

typedef struct fl_endpoint_s {
    char name[64];  /* listener name, upper case as given ("FLUSS") */
    char host[256]; /* without brackets */
    int port;       /* 0..65535; 0 = pick one when binding */
} fl_endpoint_t;

/** @brief Parse a listener list. @param why OUT error text on failure.
 *  @returns the number of endpoints (>= 1), or -1. */
int fl_endpoints_parse(const char *s, fl_endpoint_t *out /* OUT */, int max,
                       const char **why /* OUT */);
/** @brief Format endpoints back into "NAME://host:port,..." in buf. */
void fl_endpoints_format(const fl_endpoint_t *eps, int n, char *buf, size_t len);
/** @returns the endpoint named name, or NULL. */
const fl_endpoint_t *fl_endpoints_find(const fl_endpoint_t *eps, int n, const char *name);

#endif
