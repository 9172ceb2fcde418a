/* connflood: real TCP connections as fast as the kernels take them, for `scripts/bench
 * censor`'s rate step (Python clients top out near 6,000 a second, far below the kernels).
 *
 *     connflood server IP PORT              accept, read the request, close (prints "ready")
 *     connflood client IP PORT SECONDS N    N connections in flight at once, each: connect,
 *                                           send an HTTP request for blocked.test, wait for
 *                                           the end (EOF from the server or a reset), close;
 *                                           a new one at once, for SECONDS
 *
 * The client prints one line: "conns C reset R eof E other O secs S". Each connection is
 * counted once, when it ends: reset (ECONNRESET), eof (the server's FIN came first, with or
 * without a reset after it), other (what else ended it, counted by errno on stderr). Only for the lab's addresses: it goes where it is told. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXN 4096

static const char REQ[] = "GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int addr_of(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *b = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, ip, &a->sin_addr) == 1) {
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        *len = sizeof *a;
        return 0;
    }
    if (inet_pton(AF_INET6, ip, &b->sin6_addr) == 1) {
        b->sin6_family = AF_INET6;
        b->sin6_port = htons((uint16_t)port);
        *len = sizeof *b;
        return 0;
    }
    return -1;
}

static int serve(const struct sockaddr_storage *ss, socklen_t len)
{
    int ls = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (const struct sockaddr *)ss, len) != 0 || listen(ls, 4096) != 0) {
        perror("connflood server");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("ready\n");
    fflush(stdout);
    struct epoll_event evs[256];
    char buf[4096];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r < 0 && errno == EAGAIN)
                continue;
            close(fd);   /* the request read (or the end): close, the client sees EOF */
        }
    }
}

struct conn {
    int fd;
    int sent;
};

static int start(int ep, struct conn *c, const struct sockaddr_storage *ss, socklen_t len)
{
    c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    c->sent = 0;
    if (c->fd < 0)
        return -1;
    if (connect(c->fd, (const struct sockaddr *)ss, len) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        return -1;
    }
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c };
    return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static int client(const struct sockaddr_storage *ss, socklen_t len, double secs, int n)
{
    static struct conn conns[MAXN];
    static unsigned long why[200];
    unsigned long done = 0, reset = 0, eof = 0, other = 0;
    int ep = epoll_create1(0);
    double t0 = now_s(), end = t0 + secs;
    int live = 0;
    for (int i = 0; i < n; i++)
        if (start(ep, &conns[i], ss, len) == 0)
            live++;
    struct epoll_event evs[256];
    while (live > 0) {
        int k = epoll_wait(ep, evs, 256, 1000);
        if (k == 0)
            break;   /* a second with nothing: the rest are stuck; count them as other */
        for (int i = 0; i < k; i++) {
            struct conn *c = evs[i].data.ptr;
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            char buf[512];
            ssize_t r = -1;
            if (!err && !c->sent && (evs[i].events & EPOLLOUT)) {
                if (send(c->fd, REQ, sizeof REQ - 1, MSG_NOSIGNAL) < 0)
                    err = errno;
                c->sent = 1;
                struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                if (!err)
                    continue;
            }
            if (!err) {
                r = recv(c->fd, buf, sizeof buf, 0);
                if (r < 0)
                    err = errno;
                if (r > 0 || err == EAGAIN)
                    continue;   /* an answer's bytes: wait for its end */
            }
            if (err == ECONNRESET)
                reset++;
            else if ((r == 0 && !err) || (err == EPIPE && c->sent))
                eof++;   /* EPIPE: a reset after the server's FIN (tcp_reset in CLOSE_WAIT) */
            else {
                other++;
                if (err > 0 && err < 200)
                    why[err]++;
            }
            done++;
            close(c->fd);
            live--;
            if (now_s() < end && start(ep, c, ss, len) == 0)
                live++;
        }
    }
    other += (unsigned long)live;
    done += (unsigned long)live;
    printf("conns %lu reset %lu eof %lu other %lu secs %.3f\n", done, reset, eof, other, now_s() - t0);
    for (int e = 1; e < 200; e++)   /* what ended the "other" ones, on stderr */
        if (why[e])
            fprintf(stderr, "connflood: %lu ended with %s\n", why[e], strerror(e));
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (argc >= 4 && !strcmp(argv[1], "server") && addr_of(argv[2], atoi(argv[3]), &ss, &len) == 0)
        return serve(&ss, len);
    if (argc >= 6 && !strcmp(argv[1], "client") && addr_of(argv[2], atoi(argv[3]), &ss, &len) == 0) {
        int n = atoi(argv[5]);
        if (n >= 1 && n <= MAXN)
            return client(&ss, len, atof(argv[4]), n);
    }
    fprintf(stderr, "usage: connflood server IP PORT | client IP PORT SECONDS N(1..%d)\n", MAXN);
    return 2;
}
