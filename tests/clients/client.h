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

/* An IPv4 or IPv6 socket address. */
struct cl_sa {
    union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; struct sockaddr_storage ss; } u;
    socklen_t len;
};

static inline struct cl_sa cl_addr(const char *host, const char *port)
{
    struct cl_sa a;
    memset(&a, 0, sizeof a);
    uint16_t p = htons((uint16_t)cl_num(port, "PORT", 65535));
    if (inet_pton(AF_INET, host, &a.u.in.sin_addr) == 1) {
        a.u.in.sin_family = AF_INET;
        a.u.in.sin_port = p;
        a.len = sizeof a.u.in;
    } else if (inet_pton(AF_INET6, host, &a.u.in6.sin6_addr) == 1) {
        a.u.in6.sin6_family = AF_INET6;
        a.u.in6.sin6_port = p;
        a.len = sizeof a.u.in6;
    } else {
        fprintf(stderr, "HOST: expected an IPv4 or IPv6 address, got '%s'\n", host);
        exit(2);
    }
    return a;
}

static inline int cl_port(const struct cl_sa *a)
{
    return ntohs(a->u.sa.sa_family == AF_INET6 ? a->u.in6.sin6_port : a->u.in.sin_port);
}

/* The address as text into buf (>= INET6_ADDRSTRLEN). */
static inline const char *cl_host(const struct cl_sa *a, char *buf)
{
    bool v6 = a->u.sa.sa_family == AF_INET6;
    inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&a->u.in6.sin6_addr : (const void *)&a->u.in.sin_addr,
              buf, INET6_ADDRSTRLEN);
    return buf;
}

static inline void cl_timeo(int fd, int opt, unsigned ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };
    if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) == -1) {
        perror("setsockopt");
        exit(3);
    }
}

static inline int cl_socket(const struct cl_sa *a)
{
    int fd = socket(a->u.sa.sa_family, SOCK_STREAM, 0);
    if (fd == -1) {
        perror("socket");
        exit(3);
    }
    return fd;
}

static inline int cl_local_port(int fd)
{
    struct cl_sa a;
    memset(&a, 0, sizeof a);
    a.len = sizeof a.u;
    if (getsockname(fd, &a.u.sa, &a.len) == -1)
        return -1;
    return cl_port(&a);
}

/* A blocking connect bounded by SO_SNDTIMEO, as the seed's client did (SO_RCVTIMEO does not
 * apply to connect). Returns 0 or an errno; EINPROGRESS means the bound was hit. */
static inline int cl_connect_sndtimeo(int fd, const struct cl_sa *sa, unsigned ms)
{
    if (ms)
        cl_timeo(fd, SO_SNDTIMEO, ms);
    int r = connect(fd, &sa->u.sa, sa->len);
    int e = r == 0 ? 0 : errno;
    if (ms)
        cl_timeo(fd, SO_SNDTIMEO, 0);
    return e;
}

/* Non-blocking connect + poll. Returns 0 or an errno; EINPROGRESS means the bound was hit. */
static inline int cl_connect_poll(int fd, const struct cl_sa *sa, unsigned ms)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int e = 0;
    if (connect(fd, &sa->u.sa, sa->len) == -1) {
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
