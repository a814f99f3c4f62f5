/* fl_cli_test.c: see fl_cli_test.h. */
#define _GNU_SOURCE /* nftw */
#include "fl_cli_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void fl_slurp(int fd, char *buf, size_t cap) {
    size_t n = 0;
    lseek(fd, 0, SEEK_SET);
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0) n += (size_t)r;
    buf[n] = '\0';
}

int fl_admin_env(fl_run_t *r, const char *env_server, const char *const *args) {
    const char *argv[128];
    int n = 0;
    argv[n++] = FL_ADMIN_BIN;
    for (int i = 0; args[i] && n < 126; i++) argv[n++] = args[i];
    argv[n] = NULL;
    char out_path[] = "/tmp/fl-cli-out-XXXXXX", err_path[] = "/tmp/fl-cli-err-XXXXXX";
    int out = mkstemp(out_path), err = mkstemp(err_path);
    assert_true(out >= 0 && err >= 0);
    unlink(out_path);
    unlink(err_path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out, 1);
        dup2(err, 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        if (env_server) setenv("FL_BOOTSTRAP_SERVER", env_server, 1);
        else unsetenv("FL_BOOTSTRAP_SERVER");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    bool done = false;
    for (int i = 0; i < 6000 && !done; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) done = true;
        else usleep(10000);
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    fl_slurp(out, r->out, sizeof(r->out));
    fl_slurp(err, r->err, sizeof(r->err));
    close(out);
    close(err);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!done) fail_msg("fl-admin %s ran for more than 60 s", args[0] ? args[0] : "");
    return r->status;
}

int fl_admin_at(fl_run_t *r, int port, const char *const *args) {
    const char *argv[128];
    char addr[64];
    int n = 0;
    if (port > 0) {
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        argv[n++] = "--bootstrap-server";
        argv[n++] = addr;
    }
    for (int i = 0; args[i] && n < 126; i++) argv[n++] = args[i];
    argv[n] = NULL;
    return fl_admin_env(r, NULL, argv);
}

void fl_expect(const fl_run_t *r, int status, const char *out_has, const char *err_has) {
    bool ok = r->status == status;
    if (out_has && !strstr(r->out, out_has)) ok = false;
    if (err_has && !err_has[0] && r->err[0]) ok = false;
    if (err_has && err_has[0] && !strstr(r->err, err_has)) ok = false;
    if (!ok)
        fail_msg("expected exit %d, stdout containing '%s', stderr containing '%s';\n"
                 "got exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s",
                 status, out_has ? out_has : "", err_has ? err_has : "", r->status, r->out, r->err);
}

json_t *fl_out_json(const fl_run_t *r) {
    json_error_t e;
    json_t *j = json_loads(r->out, 0, &e);
    if (!j) fail_msg("stdout is not JSON (%s at %d):\n%s", e.text, e.position, r->out);
    return j;
}

int fl_count(const char *hay, const char *s) {
    int n = 0;
    for (const char *p = strstr(hay, s); p; p = strstr(p + 1, s)) n++;
    return n;
}

static int fl_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fl_cli_rmtree(const char *dir) {
    if (dir[0]) nftw(dir, fl_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
