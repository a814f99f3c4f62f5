/* fl_config.c: see fl_config.h. Keys are few (tens), so a sorted array is enough. */
#include "fl_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

typedef struct fl_config_kv_s {
    char *key;
    char *value;
} fl_config_kv_t;

struct fl_config_s {
    fl_config_kv_t *kv; /* sorted by key */
    size_t n, cap;
};

static __thread char fl_config_why[512];

fl_config_t *fl_config_new(void) {
    return fl_calloc(1, sizeof(fl_config_t));
}

void fl_config_free(fl_config_t *conf) {
    if (!conf) return;
    for (size_t i = 0; i < conf->n; i++) {
        fl_free(conf->kv[i].key);
        fl_free(conf->kv[i].value);
    }
    fl_free(conf->kv);
    fl_free(conf);
}

static size_t fl_config_find(const fl_config_t *conf, const char *key, bool *found) {
    size_t lo = 0, hi = conf->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(conf->kv[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

void fl_config_set(fl_config_t *conf, const char *key, const char *value) {
    bool found;
    size_t i = fl_config_find(conf, key, &found);
    if (found) {
        fl_free(conf->kv[i].value);
        conf->kv[i].value = fl_strdup(value);
        return;
    }
    if (conf->n == conf->cap) {
        conf->cap = conf->cap ? conf->cap * 2 : 32;
        conf->kv = fl_realloc(conf->kv, conf->cap * sizeof(*conf->kv));
    }
    memmove(&conf->kv[i + 1], &conf->kv[i], (conf->n - i) * sizeof(*conf->kv));
    conf->kv[i].key = fl_strdup(key);
    conf->kv[i].value = fl_strdup(value);
    conf->n++;
}

void fl_config_unset(fl_config_t *conf, const char *key) {
    bool found;
    size_t i = fl_config_find(conf, key, &found);
    if (!found) return;
    fl_free(conf->kv[i].key);
    fl_free(conf->kv[i].value);
    memmove(&conf->kv[i], &conf->kv[i + 1], (conf->n - i - 1) * sizeof(*conf->kv));
    conf->n--;
}

static char *fl_trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

int fl_config_set_kv(fl_config_t *conf, const char *kv) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return -1;
    char *key = fl_strndup(kv, (size_t)(eq - kv));
    char *value = fl_strdup(eq + 1);
    fl_config_set(conf, fl_trim(key), fl_trim(value));
    fl_free(key);
    fl_free(value);
    return 0;
}

/* YAML: walk the event stream keeping a stack of mapping keys; scalar values become
 * "a.b.c" = value, sequences of scalars become comma-joined values. */
int fl_config_load_yaml(fl_config_t *conf, const char *path, const char **why) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(fl_config_why, sizeof(fl_config_why), "cannot open %s: %s", path,
                 strerror(errno));
        *why = fl_config_why;
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    char *stack[32];     /* key per mapping depth */
    bool expect_key[32]; /* next scalar at this depth is a key */
    int depth = -1;
    char *seq = NULL;    /* accumulating a sequence value */
    int rc = 0;
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(fl_config_why, sizeof(fl_config_why), "%s:%zu:%zu: %s", path,
                     parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                     parser.problem ? parser.problem : "YAML syntax error");
            rc = -1;
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
            if (depth + 1 >= 32) {
                snprintf(fl_config_why, sizeof(fl_config_why), "%s: nested too deep", path);
                rc = -1;
                done = true;
                break;
            }
            depth++;
            stack[depth] = NULL;
            expect_key[depth] = true;
            break;
        case YAML_MAPPING_END_EVENT:
            if (depth >= 0) fl_free(stack[depth]);
            depth--;
            if (depth >= 0) {
                fl_free(stack[depth]);
                stack[depth] = NULL;
                expect_key[depth] = true;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
            seq = fl_strdup("");
            break;
        case YAML_SEQUENCE_END_EVENT:
            if (depth >= 0 && stack[depth]) {
                char full[1024] = "";
                for (int i = 0; i <= depth; i++) {
                    if (i) strncat(full, ".", sizeof(full) - strlen(full) - 1);
                    strncat(full, stack[i] ? stack[i] : "", sizeof(full) - strlen(full) - 1);
                }
                fl_config_set(conf, full, seq);
                fl_free(stack[depth]);
                stack[depth] = NULL;
                expect_key[depth] = true;
            }
            fl_free(seq);
            seq = NULL;
            break;
        case YAML_SCALAR_EVENT: {
            const char *v = (const char *)ev.data.scalar.value;
            if (seq) {
                size_t n = strlen(seq);
                seq = fl_realloc(seq, n + strlen(v) + 2);
                if (n) strcat(seq, ",");
                strcat(seq, v);
            } else if (depth < 0) {
                /* a bare scalar document: ignore (empty file is "~") */
            } else if (expect_key[depth]) {
                stack[depth] = fl_strdup(v);
                expect_key[depth] = false;
            } else {
                char full[1024] = "";
                for (int i = 0; i <= depth; i++) {
                    if (i) strncat(full, ".", sizeof(full) - strlen(full) - 1);
                    strncat(full, stack[i] ? stack[i] : "", sizeof(full) - strlen(full) - 1);
                }
                fl_config_set(conf, full, v);
                fl_free(stack[depth]);
                stack[depth] = NULL;
                expect_key[depth] = true;
            }
            break;
        }
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    for (int i = 0; i <= depth && i < 32; i++) fl_free(stack[i]);
    fl_free(seq);
    yaml_parser_delete(&parser);
    fclose(f);
    if (rc) *why = fl_config_why;
    return rc;
}

const char *fl_config_get(const fl_config_t *conf, const char *key) {
    bool found;
    size_t i = fl_config_find(conf, key, &found);
    return found ? conf->kv[i].value : NULL;
}

const char *fl_config_get_str(const fl_config_t *conf, const char *key, const char *dflt) {
    const char *v = fl_config_get(conf, key);
    return v ? v : dflt;
}

static int fl_config_bad(const char *key, const char *v, const char *what, const char **why) {
    snprintf(fl_config_why, sizeof(fl_config_why), "configuration key %s: '%s' is not %s", key,
             v, what);
    *why = fl_config_why;
    return -1;
}

int fl_config_get_int(const fl_config_t *conf, const char *key, int64_t dflt, int64_t *out,
                      const char **why) {
    const char *v = fl_config_get(conf, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (errno || end == v || *end) return fl_config_bad(key, v, "an integer", why);
    *out = x;
    return 0;
}

int fl_config_get_bool(const fl_config_t *conf, const char *key, bool dflt, bool *out,
                       const char **why) {
    const char *v = fl_config_get(conf, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!strcasecmp(v, "true")) *out = true;
    else if (!strcasecmp(v, "false")) *out = false;
    else return fl_config_bad(key, v, "true or false", why);
    return 0;
}

/* Splits "<number><spaces><unit>" into a number and a lower-case unit. */
static int fl_split_unit(const char *s, double *num, char *unit, size_t unit_len) {
    while (isspace((unsigned char)*s)) s++;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || x < 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    size_t n = 0;
    while (*end && !isspace((unsigned char)*end) && n + 1 < unit_len)
        unit[n++] = (char)tolower((unsigned char)*end++);
    unit[n] = '\0';
    while (isspace((unsigned char)*end)) end++;
    if (*end) return -1;
    *num = x;
    return 0;
}

int fl_parse_size(const char *s, int64_t *out) {
    double x;
    char unit[16];
    if (fl_split_unit(s, &x, unit, sizeof(unit))) return -1;
    static const struct { const char *u; double m; } units[] = {
        {"", 1}, {"b", 1}, {"bytes", 1},
        {"k", 1024.0}, {"kb", 1024.0}, {"kibibytes", 1024.0},
        {"m", 1048576.0}, {"mb", 1048576.0}, {"mebibytes", 1048576.0},
        {"g", 1073741824.0}, {"gb", 1073741824.0}, {"gibibytes", 1073741824.0},
        {"t", 1099511627776.0}, {"tb", 1099511627776.0}, {"tebibytes", 1099511627776.0},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
        if (!strcmp(unit, units[i].u)) {
            double b = x * units[i].m;
            if (b > 9.2e18) return -1;
            *out = (int64_t)b;
            return 0;
        }
    }
    return -1;
}

int fl_parse_duration_ms(const char *s, int64_t *out) {
    double x;
    char unit[16];
    if (fl_split_unit(s, &x, unit, sizeof(unit))) return -1;
    static const struct { const char *u; double m; } units[] = {
        {"", 1}, {"ms", 1}, {"milli", 1}, {"millis", 1}, {"millisecond", 1},
        {"milliseconds", 1},
        {"s", 1000}, {"sec", 1000}, {"secs", 1000}, {"second", 1000}, {"seconds", 1000},
        {"min", 60000}, {"mins", 60000}, {"minute", 60000}, {"minutes", 60000}, {"m", 60000},
        {"h", 3600000}, {"hour", 3600000}, {"hours", 3600000},
        {"d", 86400000}, {"day", 86400000}, {"days", 86400000},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
        if (!strcmp(unit, units[i].u)) {
            double ms = x * units[i].m;
            if (ms > 9.2e18) return -1;
            *out = (int64_t)ms;
            return 0;
        }
    }
    return -1;
}

int fl_config_get_size(const fl_config_t *conf, const char *key, int64_t dflt, int64_t *out,
                       const char **why) {
    const char *v = fl_config_get(conf, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (fl_parse_size(v, out)) return fl_config_bad(key, v, "a memory size (e.g. 100mb)", why);
    return 0;
}

int fl_config_get_duration(const fl_config_t *conf, const char *key, int64_t dflt_ms,
                           int64_t *out, const char **why) {
    const char *v = fl_config_get(conf, key);
    if (!v) {
        *out = dflt_ms;
        return 0;
    }
    if (fl_parse_duration_ms(v, out)) return fl_config_bad(key, v, "a duration (e.g. 30 s)", why);
    return 0;
}

void fl_config_each(const fl_config_t *conf, const char *prefix, fl_config_each_cb *cb,
                    void *arg) {
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < conf->n; i++)
        if (!strncmp(conf->kv[i].key, prefix, plen)) cb(conf->kv[i].key, conf->kv[i].value, arg);
}
