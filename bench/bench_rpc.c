/* bench_rpc.c: frame codec and ApiVersions round-trip throughput, beside the loopback limits
 * measured in the same run.
 *
 *   bench_rpc <fl-server binary> [seconds] [connections] [pipeline depth]
 *
 * Prints "key value" lines that bench/run.sh turns into docs/benchmarks.md:
 *   codec_frames_per_s      encode a request frame, parse its header, unpack its body
 *   loopback_mb_per_s       one TCP stream over loopback, 1 MiB writes (the bandwidth limit)
 *   loopback_echo_rps       the same request/response sizes, connections and pipelining
 *                           against a trivial in-process echo server (the request-rate limit)
 *   server_rps              ApiVersions against fl-server
 *   server_rss_kb           fl-server resident set size after the run */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fl_frame.h"
#include "fl_pb.h"

static double now_s(void) {
    return (double)fl_mono_us() / 1e6;
}

static int listen_any(int *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 128)) {
        perror("bind/listen");
        exit(1);
    }
    socklen_t l = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return s;
}

static int connect_port(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof(a))) return -1;
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return s;
}

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* ---- codec ---------------------------------------------------------------------------- */

static double bench_codec(double secs) {
    Fluss__ApiVersionsRequest req = FLUSS__API_VERSIONS_REQUEST__INIT;
    req.client_software_name = "fluss";
    req.client_software_version = "0.9.1-incubating";
    fl_buf_t buf;
    fl_buf_init(&buf);
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 10000; i++) {
            fl_buf_reset(&buf);
            size_t at = fl_frame_begin_req(&buf, 1000, 0, i);
            fl_pb_pack(&buf, &req.base);
            fl_frame_end(&buf, at);
            fl_reader_t rd;
            fl_rd_init(&rd, buf.p, buf.len);
            fl_req_header_t hdr;
            fl_frame_read_req_header(&rd, &hdr);
            fl_arena_t *arena = fl_arena_new(0);
            const char *why;
            if (!fl_pb_unpack(arena, &fluss__api_versions_request__descriptor, rd.p + rd.off,
                              fl_rd_remaining(&rd), &why))
                abort();
            fl_arena_destroy(arena);
        }
        n += 10000;
        t = now_s();
    } while (t - t0 < secs);
    fl_buf_free(&buf);
    return (double)n / (t - t0);
}

/* ---- loopback bandwidth ---------------------------------------------------------------- */

typedef struct {
    int fd;
    size_t req_len, resp_len;
} echo_arg_t;

static uint8_t echo_resp[65536]; /* a real fl-server response, replayed by the echo server */

static void *sink_thread(void *arg) {
    int fd = *(int *)arg;
    static uint8_t b[1 << 20];
    while (read(fd, b, sizeof(b)) > 0) {
    }
    return NULL;
}

static double bench_loopback_bw(double secs) {
    int port, ls = listen_any(&port);
    int c = connect_port(port);
    int s = accept(ls, NULL, NULL);
    pthread_t th;
    pthread_create(&th, NULL, sink_thread, &s);
    static uint8_t chunk[1 << 20];
    memset(chunk, 7, sizeof(chunk));
    double t0 = now_s(), t;
    long bytes = 0;
    do {
        write_all(c, chunk, sizeof(chunk));
        bytes += sizeof(chunk);
        t = now_s();
    } while (t - t0 < secs);
    close(c);
    pthread_join(th, NULL);
    close(s);
    close(ls);
    return (double)bytes / (t - t0) / 1e6;
}

/* ---- request/response driver ------------------------------------------------------------ */

/* An echo server thread per connection: reads whole request frames, answers each with a
 * response frame of resp_len bytes. It does no protocol work: the loopback request limit. */
static void *echo_thread(void *arg) {
    echo_arg_t *ea = arg;
    uint8_t *in = malloc(1 << 20), *out = malloc(ea->resp_len * 4096);
    for (int i = 0; i < 4096; i++) memcpy(out + (size_t)i * ea->resp_len, echo_resp, ea->resp_len);
    size_t have = 0;
    for (;;) {
        ssize_t r = read(ea->fd, in + have, (1 << 20) - have);
        if (r <= 0) break;
        have += (size_t)r;
        size_t nreq = have / ea->req_len;
        if (nreq > 4096) nreq = 4096;
        if (nreq) {
            write_all(ea->fd, out, nreq * ea->resp_len);
            memmove(in, in + nreq * ea->req_len, have - nreq * ea->req_len);
            have -= nreq * ea->req_len;
        }
    }
    close(ea->fd);
    free(in);
    free(out);
    free(ea);
    return NULL;
}

typedef struct {
    int fd;
    int outstanding;
    uint8_t rbuf[1 << 16];
    size_t rlen;
} conn_t;

/* Keep `depth` requests in flight on each connection; count whole responses. */
static double drive(int port, int nconn, int depth, double secs, const fl_buf_t *frame) {
    conn_t *cs = calloc((size_t)nconn, sizeof(conn_t));
    struct pollfd *pfds = calloc((size_t)nconn, sizeof(struct pollfd));
    for (int i = 0; i < nconn; i++) {
        cs[i].fd = connect_port(port);
        if (cs[i].fd < 0) {
            perror("connect");
            exit(1);
        }
        uint8_t *burst = malloc(frame->len * (size_t)depth);
        for (int k = 0; k < depth; k++) memcpy(burst + k * frame->len, frame->p, frame->len);
        write_all(cs[i].fd, burst, frame->len * (size_t)depth);
        free(burst);
        cs[i].outstanding = depth;
    }
    long done = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < secs) {
        for (int i = 0; i < nconn; i++) pfds[i] = (struct pollfd){cs[i].fd, POLLIN, 0};
        poll(pfds, (nfds_t)nconn, 100);
        for (int i = 0; i < nconn; i++) {
            if (!(pfds[i].revents & POLLIN)) continue;
            conn_t *c = &cs[i];
            ssize_t r = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
            if (r <= 0) {
                fprintf(stderr, "connection closed during benchmark\n");
                exit(1);
            }
            c->rlen += (size_t)r;
            size_t off = 0;
            int got = 0;
            while (c->rlen - off >= 4) {
                uint32_t len = (uint32_t)c->rbuf[off] << 24 | (uint32_t)c->rbuf[off + 1] << 16 |
                               (uint32_t)c->rbuf[off + 2] << 8 | c->rbuf[off + 3];
                if (c->rlen - off < 4 + len) break;
                off += 4 + len;
                got++;
            }
            memmove(c->rbuf, c->rbuf + off, c->rlen - off);
            c->rlen -= off;
            done += got;
            if (got) {
                uint8_t *burst = malloc(frame->len * (size_t)got);
                for (int k = 0; k < got; k++) memcpy(burst + k * frame->len, frame->p, frame->len);
                write_all(c->fd, burst, frame->len * (size_t)got);
                free(burst);
            }
        }
        t = now_s();
    }
    for (int i = 0; i < nconn; i++) close(cs[i].fd);
    free(cs);
    free(pfds);
    return (double)done / (t - t0);
}

static void *accept_echo(void *arg) {
    int *a = arg; /* [listen fd, req_len, resp_len, nconn] */
    for (int i = 0; i < a[3]; i++) {
        int fd = accept(a[0], NULL, NULL);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        echo_arg_t *ea = malloc(sizeof(*ea));
        ea->fd = fd;
        ea->req_len = (size_t)a[1];
        ea->resp_len = (size_t)a[2];
        pthread_t th;
        pthread_create(&th, NULL, echo_thread, ea);
        pthread_detach(th);
    }
    return NULL;
}

static long rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_rpc <fl-server> [seconds] [connections] [depth]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    int nconn = argc > 3 ? atoi(argv[3]) : 4;
    int depth = argc > 4 ? atoi(argv[4]) : 64;
    signal(SIGPIPE, SIG_IGN);

    printf("codec_frames_per_s %.0f\n", bench_codec(secs));
    printf("loopback_mb_per_s %.0f\n", bench_loopback_bw(secs));

    /* the request frame, and the size of the server's answer to it */
    Fluss__ApiVersionsRequest req = FLUSS__API_VERSIONS_REQUEST__INIT;
    req.client_software_name = "fluss";
    req.client_software_version = "0.9.1-incubating";
    fl_buf_t frame;
    fl_buf_init(&frame);
    size_t at = fl_frame_begin_req(&frame, 1000, 0, 1);
    fl_pb_pack(&frame, &req.base);
    fl_frame_end(&frame, at);

    /* start the server */
    int sport, tmp = listen_any(&sport);
    close(tmp);
    char listen[64];
    snprintf(listen, sizeof(listen), "-Dbind.listeners=FLUSS://127.0.0.1:%d", sport);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 2);
        execl(argv[1], argv[1], "local", listen, "-Dserver.log-level=warn",
              "-Ddata.dir=/tmp/fl-bench-rpc", (char *)NULL);
        _exit(127);
    }
    int probe = -1;
    for (int i = 0; i < 200 && (probe = connect_port(sport)) < 0; i++) usleep(25000);
    if (probe < 0) {
        fprintf(stderr, "fl-server did not start\n");
        return 1;
    }
    write_all(probe, frame.p, frame.len);
    uint8_t rb[65536];
    ssize_t r = read(probe, rb, sizeof(rb));
    close(probe);
    int resp_len = (int)r;
    memcpy(echo_resp, rb, (size_t)r);

    int eport, els = listen_any(&eport);
    int ea[4] = {els, (int)frame.len, resp_len, nconn};
    pthread_t at_th;
    pthread_create(&at_th, NULL, accept_echo, ea);
    double echo = drive(eport, nconn, depth, secs, &frame);
    pthread_join(at_th, NULL);
    close(els);
    printf("loopback_echo_rps %.0f\n", echo);

    double srv = drive(sport, nconn, depth, secs, &frame);
    printf("server_rps %.0f\n", srv);
    printf("server_rss_kb %ld\n", rss_kb(pid));
    printf("request_bytes %zu\nresponse_bytes %d\nconnections %d\ndepth %d\nseconds %.1f\n",
           frame.len, resp_len, nconn, depth, secs);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    fl_buf_free(&frame);
    return 0;
}
