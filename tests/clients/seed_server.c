/* The seed's server, for comparing rstcraft with a real kernel: listen, accept, read(4096)
 * once, close. Whatever is left unread makes the kernel reset (scenario 4); data arriving
 * after the close is reset too (scenario 5). One child per connection, as the seed forked.
 *
 *   seed_server ADDR PORT [--once] [--backlog N] [--no-accept] [--settle MS]
 * stdout: {"result": "listening", "addr": A, "port": P} first, then one line per connection:
 *   {"result": "ok"|"error", "errno": ..., "read": N, "peer": A, "pport": P, "elapsed_ms": F}
 * --no-accept listens and never accepts (a full accept queue: scenario 6).
 * --settle MS waits that long after accept before the read, so that a write the client sent
 * in several segments has all arrived: the seed reads at once, and what one read() returns
 * then depends on the scheduler (a first read of 2896 of 5000 bytes closes with FIN). */
#include "client.h"
#include <sys/wait.h>

static long settle_ms;

static int handle(int cfd, const struct cl_sa *peer)
{
    char buf[4096];
    if (settle_ms)
        usleep((useconds_t)settle_ms * 1000);
    double t0 = cl_now_ms();
    ssize_t n = read(cfd, buf, sizeof buf);
    int e = n < 0 ? errno : 0;
    double el = cl_now_ms() - t0;
    close(cfd);

    char a[INET6_ADDRSTRLEN];
    cl_host(peer, a);
    struct cl_json j = { .n = 0 };
    cl_j_str(&j, "result", e ? "error" : "ok");
    cl_j_errno(&j, "errno", e);
    cl_j_int(&j, "read", (long)n);
    cl_j_str(&j, "peer", a);
    cl_j_int(&j, "pport", cl_port(peer));
    cl_j_ms(&j, "elapsed_ms", el);
    cl_j_print(&j);
    return 0;
}

int main(int argc, char **argv)
{
    const char *usage = "seed_server ADDR PORT [--once] [--backlog N] [--no-accept] [--settle MS]";
    if (argc < 3)
        cl_die_usage(usage);
    bool once = false, no_accept = false;
    int backlog = 128;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            once = true;
        else if (strcmp(argv[i], "--no-accept") == 0)
            no_accept = true;
        else if (strcmp(argv[i], "--backlog") == 0 && i + 1 < argc)
            backlog = (int)cl_num(argv[++i], "--backlog", 65535);
        else if (strcmp(argv[i], "--settle") == 0 && i + 1 < argc)
            settle_ms = (long)cl_num(argv[++i], "--settle", 10000);
        else
            cl_die_usage(usage);
    }
    struct cl_sa sa = cl_addr(argv[1], argv[2]);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN);   /* no zombies from the per-connection children */

    int lfd = cl_socket(&sa);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, &sa.u.sa, sa.len) == -1 || listen(lfd, backlog) == -1) {
        fprintf(stderr, "seed_server: %s:%s: %s\n", argv[1], argv[2], strerror(errno));
        return 3;
    }
    struct cl_json j = { .n = 0 };
    cl_j_str(&j, "result", "listening");
    cl_j_str(&j, "addr", argv[1]);
    cl_j_int(&j, "port", cl_port(&sa));
    cl_j_int(&j, "backlog", backlog);
    cl_j_print(&j);

    if (no_accept) {
        for (;;)
            pause();
    }
    for (;;) {
        struct cl_sa peer;
        memset(&peer, 0, sizeof peer);
        peer.len = sizeof peer.u;
        int cfd = accept(lfd, &peer.u.sa, &peer.len);
        if (cfd == -1) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fprintf(stderr, "seed_server: accept: %s\n", strerror(errno));
            return 3;
        }
        if (once) {
            close(lfd);
            return handle(cfd, &peer);
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(lfd);
            _exit(handle(cfd, &peer));
        }
        close(cfd);
    }
}
