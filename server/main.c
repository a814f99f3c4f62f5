/* main.c: the fl-server binary. One binary, three roles:
 *
 *   fl-server local        coordinator and tablet server in one process (the default)
 *   fl-server coordinator  the coordinator only       (alias: coordinatorServer)
 *   fl-server tablet       a tablet server only        (alias: tabletServer)
 *
 * Options: --config FILE | --configDir DIR (reads DIR/server.yaml, as Fluss does),
 * -Dkey=value (repeatable; wins over the file), --version, --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_log.h"
#include "fl_server.h"

#define FL_VERSION "0.1.0"
#define FL_COMPAT "Apache Fluss 0.9.1-incubating"

static void usage(FILE *out) {
    fprintf(out,
            "usage: fl-server [local|coordinator|tablet] [--config FILE | --configDir DIR] "
            "[-Dkey=value ...]\n"
            "\n"
            "roles:\n"
            "  local        coordinator and tablet server in one process (default)\n"
            "  coordinator  the coordinator only (alias coordinatorServer)\n"
            "  tablet       a tablet server only (alias tabletServer)\n"
            "\n"
            "options:\n"
            "  --config FILE     configuration file (YAML, Fluss key names)\n"
            "  --configDir DIR   read DIR/server.yaml\n"
            "  -Dkey=value       set a configuration key, overriding the file\n"
            "  --version         print the version and exit\n"
            "  --help            print this help and exit\n");
}

static int parse_role(const char *s, unsigned *roles) {
    if (!strcmp(s, "local")) *roles = FL_ROLE_BOTH;
    else if (!strcmp(s, "coordinator") || !strcmp(s, "coordinatorServer")) *roles = FL_ROLE_CS;
    else if (!strcmp(s, "tablet") || !strcmp(s, "tabletServer")) *roles = FL_ROLE_TS;
    else return -1;
    return 0;
}

int main(int argc, char **argv) {
    unsigned roles = FL_ROLE_BOTH;
    const char *config_path = NULL;
    char dir_path[4096];
    fl_config_t *conf = fl_config_new();
    /* -D overrides are applied after the file, whatever their position. */
    const char **overrides = calloc((size_t)argc, sizeof(char *));
    int n_over = 0;
    int rc = 2;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "--version")) {
            printf("fl-server %s (wire-compatible with %s)\n", FL_VERSION, FL_COMPAT);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "--config") || !strcmp(a, "-c")) {
            if (++i == argc) goto missing;
            config_path = argv[i];
        } else if (!strcmp(a, "--configDir")) {
            if (++i == argc) goto missing;
            snprintf(dir_path, sizeof(dir_path), "%s/server.yaml", argv[i]);
            config_path = dir_path;
        } else if (!strncmp(a, "-D", 2)) {
            const char *kv = a[2] ? a + 2 : (++i < argc ? argv[i] : NULL);
            if (!kv || !strchr(kv, '=')) {
                fprintf(stderr, "fl-server: -D needs key=value, got '%s'\n", kv ? kv : "");
                goto out;
            }
            overrides[n_over++] = kv;
        } else if (a[0] != '-' && parse_role(a, &roles) == 0) {
            /* role */
        } else {
            fprintf(stderr, "fl-server: unknown argument '%s'\n", a);
            usage(stderr);
            goto out;
        }
    }

    const char *why = NULL;
    if (config_path && fl_config_load_yaml(conf, config_path, &why)) {
        fprintf(stderr, "fl-server: %s\n", why);
        goto out;
    }
    for (int i = 0; i < n_over; i++) fl_config_set_kv(conf, overrides[i]);
    if (!fl_config_get(conf, "bind.listeners"))
        fl_config_set(conf, "bind.listeners", "FLUSS://localhost:9123");

    fl_log_level_t lvl;
    const char *lv = fl_config_get_str(conf, "server.log-level", "info");
    if (fl_log_parse_level(lv, &lvl)) {
        fprintf(stderr, "fl-server: server.log-level '%s' is not debug, info, warn or error\n",
                lv);
        goto out;
    }
    fl_log_set_level(lvl);
    const char *lf = fl_config_get(conf, "server.log-file");
    if (lf && fl_log_set_file(lf)) {
        fprintf(stderr, "fl-server: cannot open server.log-file %s\n", lf);
        goto out;
    }

    fl_log_info("server", "fl-server %s starting as %s (%s)", FL_VERSION,
                roles == FL_ROLE_BOTH ? "local (coordinator + tablet server)"
                : roles == FL_ROLE_CS ? "coordinator"
                                      : "tablet server",
                FL_COMPAT);
    fl_server_t *srv = fl_server_new(conf, roles, &why);
    if (!srv) {
        fl_log_error("server", "cannot start: %s", why);
        rc = 1;
        goto out;
    }
    rc = fl_server_run(srv);
    fl_server_free(srv);
    goto out;
missing:
    fprintf(stderr, "fl-server: %s needs an argument\n", argv[argc - 1]);
out:
    free(overrides);
    fl_config_free(conf);
    return rc;
}
