/* fl_endpoint.c: see fl_endpoint.h. */
#include "fl_endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread char fl_ep_why[256];

int fl_endpoints_parse(const char *s, fl_endpoint_t *out, int max, const char **why) {
    int n = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        if (n == max) {
            snprintf(fl_ep_why, sizeof(fl_ep_why), "more than %d listeners in '%s'", max, s);
            goto bad;
        }
        fl_endpoint_t *ep = &out[n];
        const char *sep = strstr(p, "://");
        const char *comma = strchr(p, ',');
        if (!sep || (comma && comma < sep) || sep == p || (size_t)(sep - p) >= sizeof(ep->name)) {
            snprintf(fl_ep_why, sizeof(fl_ep_why),
                     "listener '%.*s' is not of the form NAME://host:port",
                     (int)(comma ? comma - p : (long)strlen(p)), p);
            goto bad;
        }
        memcpy(ep->name, p, (size_t)(sep - p));
        ep->name[sep - p] = '\0';
        for (char *c = ep->name; *c; c++) {
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-') {
                snprintf(fl_ep_why, sizeof(fl_ep_why), "bad listener name '%s'", ep->name);
                goto bad;
            }
        }
        const char *h = sep + 3, *hend, *colon;
        if (*h == '[') {
            hend = strchr(h, ']');
            if (!hend || hend[1] != ':') {
                snprintf(fl_ep_why, sizeof(fl_ep_why), "bad IPv6 address in listener '%s'",
                         ep->name);
                goto bad;
            }
            colon = hend + 1;
            h++;
        } else {
            const char *end = strchr(h, ',');
            if (!end) end = h + strlen(h);
            colon = NULL;
            for (const char *c = h; c < end; c++)
                if (*c == ':') colon = c;
            if (!colon) {
                snprintf(fl_ep_why, sizeof(fl_ep_why), "listener '%s' has no port", ep->name);
                goto bad;
            }
            hend = colon;
        }
        if ((size_t)(hend - h) >= sizeof(ep->host)) {
            snprintf(fl_ep_why, sizeof(fl_ep_why), "host too long in listener '%s'", ep->name);
            goto bad;
        }
        memcpy(ep->host, h, (size_t)(hend - h));
        ep->host[hend - h] = '\0';
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || port < 0 || port > 65535 || (*end && *end != ',' && *end != ' ')) {
            snprintf(fl_ep_why, sizeof(fl_ep_why), "bad port in listener '%s'", ep->name);
            goto bad;
        }
        ep->port = (int)port;
        for (int i = 0; i < n; i++) {
            if (!strcmp(out[i].name, ep->name)) {
                snprintf(fl_ep_why, sizeof(fl_ep_why), "listener name '%s' given twice",
                         ep->name);
                goto bad;
            }
        }
        n++;
        p = end;
    }
    if (n == 0) {
        snprintf(fl_ep_why, sizeof(fl_ep_why), "no listener in '%s'", s);
        goto bad;
    }
    return n;
bad:
    *why = fl_ep_why;
    return -1;
}

void fl_endpoints_format(const fl_endpoint_t *eps, int n, char *buf, size_t len) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && off < len; i++) {
        bool v6 = strchr(eps[i].host, ':') != NULL;
        int w = snprintf(buf + off, len - off, "%s%s://%s%s%s:%d", i ? "," : "", eps[i].name,
                         v6 ? "[" : "", eps[i].host, v6 ? "]" : "", eps[i].port);
        if (w < 0) break;
        off += (size_t)w;
    }
}

const fl_endpoint_t *fl_endpoints_find(const fl_endpoint_t *eps, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(eps[i].name, name)) return &eps[i];
    return NULL;
}
