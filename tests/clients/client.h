/* Shared bits of the seed-like clients: argument parsing, a monotonic clock, connect with
 * a bound, and the one JSON line each program prints. Header-only because the Makefile
 * builds every tests/clients/NAME.c on its own. */
#ifndef RSTCRAFT_TEST_CLIENT_H
#define RSTCRAFT_TEST_CLIENT_H
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static inline double cl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void cl_sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* "ECONNREFUSED"; never NULL. */
static inline const char *cl_errname(int e)
{
    const char *n = e ? strerrorname_np(e) : NULL;
    return n ? n : "EUNKNOWN";
}

static inline void cl_die_usage(const char *usage)
{
    fprintf(stderr, "usage: %s\n", usage);
    exit(2);
}

static inline unsigned long cl_num(const char *s, const char *what, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max) {
        fprintf(stderr, "%s: expected a number up to %lu, got '%s'\n", what, max, s);
        exit(2);
    }
    return v;
}

static inline struct sockaddr_in cl_addr(const char *host, const char *port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cl_num(port, "PORT", 65535));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "HOST: expected an IPv4 address, got '%s'\n", host);
        exit(2);
    }
    return sa;
}

static inline void cl_timeo(int fd, int opt, unsigned ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };
    if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) == -1) {
        perror("setsockopt");
        exit(3);
    }
}

static inline int cl_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        perror("socket");
        exit(3);
    }
    return fd;
}

static inline int cl_local_port(int fd)
{
    struct sockaddr_in sa = { .sin_port = 0 };
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
        return -1;
    return ntohs(sa.sin_port);
}

/* A blocking connect bounded by SO_SNDTIMEO, as the seed's client did (SO_RCVTIMEO does not
 * apply to connect). Returns 0 or an errno; EINPROGRESS means the bound was hit. */
static inline int cl_connect_sndtimeo(int fd, const struct sockaddr_in *sa, unsigned ms)
{
    if (ms)
        cl_timeo(fd, SO_SNDTIMEO, ms);
    int r = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    int e = r == 0 ? 0 : errno;
    if (ms)
        cl_timeo(fd, SO_SNDTIMEO, 0);
    return e;
}

/* Non-blocking connect + poll. Returns 0 or an errno; EINPROGRESS means the bound was hit. */
static inline int cl_connect_poll(int fd, const struct sockaddr_in *sa, unsigned ms)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int e = 0;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == -1) {
        e = errno;
        if (e == EINPROGRESS) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int n;
            while ((n = poll(&p, 1, (int)ms)) == -1 && errno == EINTR)
                ;
            if (n > 0) {
                socklen_t len = sizeof e;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
            }
        }
    }
    fcntl(fd, F_SETFL, fl);
    return e;
}

/* The one JSON line each client prints, built field by field. Keys and values here are
 * ours (errno names, numbers), so nothing needs escaping. */
struct cl_json { char buf[2048]; size_t n; };

static inline void cl_j_raw(struct cl_json *j, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void cl_j_raw(struct cl_json *j, const char *key, const char *fmt, ...)
{
    if (j->n >= sizeof j->buf - 1)
        return;
    int w = snprintf(j->buf + j->n, sizeof j->buf - j->n, "%s\"%s\": ", j->n ? ", " : "{", key);
    if (w < 0)
        return;
    j->n += (size_t)w;
    if (j->n >= sizeof j->buf - 1) {
        j->n = sizeof j->buf - 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(j->buf + j->n, sizeof j->buf - j->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        j->n += (size_t)w;
    if (j->n >= sizeof j->buf - 1)
        j->n = sizeof j->buf - 1;
}
static inline void cl_j_str(struct cl_json *j, const char *k, const char *v) { cl_j_raw(j, k, "\"%s\"", v); }
static inline void cl_j_int(struct cl_json *j, const char *k, long v) { cl_j_raw(j, k, "%ld", v); }
static inline void cl_j_ms(struct cl_json *j, const char *k, double v) { cl_j_raw(j, k, "%.3f", v); }
static inline void cl_j_bool(struct cl_json *j, const char *k, bool v) { cl_j_raw(j, k, "%s", v ? "true" : "false"); }
/* errno 0 -> null */
static inline void cl_j_errno(struct cl_json *j, const char *k, int e)
{
    if (e)
        cl_j_str(j, k, cl_errname(e));
    else
        cl_j_raw(j, k, "null");
}
static inline void cl_j_print(struct cl_json *j)
{
    printf("%s}\n", j->buf);
    fflush(stdout);
}
#endif
