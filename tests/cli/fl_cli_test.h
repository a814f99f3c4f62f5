/* fl_cli_test.h: run the fl-admin binary as a subprocess and check what it printed and how it
 * exited. Used by the black-box CLI tests next to this file. */
#ifndef FL_CLI_TEST_H
#define FL_CLI_TEST_H

#include <jansson.h>
#include <stdbool.h>

typedef struct fl_run_s {
    int status;       /* exit code, or 128 + signal */
    char out[262144]; /* stdout, NUL-terminated (truncated if longer) */
    char err[65536];  /* stderr */
} fl_run_t;

/** @brief Run fl-admin with args (NULL-terminated), with FL_BOOTSTRAP_SERVER removed from its
 *  environment unless env_server is non-NULL (then set to it). Fails the test if it runs for
 *  more than 60 s. @returns r->status. */
int fl_admin_env(fl_run_t *r, const char *env_server, const char *const *args);

/** @brief As fl_admin_env with "--bootstrap-server 127.0.0.1:<port>" first (port 0: none). */
int fl_admin_at(fl_run_t *r, int port, const char *const *args);

/** @brief Fail with the command's output unless it exited with status and its stdout contains
 *  out_has and its stderr contains err_has (NULL: no check; "" for err_has: stderr empty). */
void fl_expect(const fl_run_t *r, int status, const char *out_has, const char *err_has);

/** @brief Parse stdout as JSON (fails the test if it is not). Caller json_decref()s. */
json_t *fl_out_json(const fl_run_t *r);

/** @brief Remove a test server's scratch directory (after a clean stop; kept on failure). */
void fl_cli_rmtree(const char *dir);

/** @returns the number of times s occurs in hay. */
int fl_count(const char *hay, const char *s);

#define ADMIN(r, port, ...) fl_admin_at((r), (port), (const char *const[]){__VA_ARGS__, NULL})

#endif
