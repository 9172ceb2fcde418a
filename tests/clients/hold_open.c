/* A client that connects and then just holds the connection, for backlog tests (scenario
 * 6): the connect shows whether the SYN was answered; the recv afterwards shows a reset
 * (ECONNRESET), a FIN (0) or nothing for SECONDS (EAGAIN).
 *
 *   hold_open HOST PORT SECONDS [CONNECT_TIMEOUT_MS]     (connect bound default 2000 ms)
 *   {"result": "ok"|"error", "errno": first error or null, "connect": null|errno,
 *    "connect_ms": F, "recv": N|-1|null, "recv_errno": ..., "sport": N, "elapsed_ms": F}
 * "result" is "ok" when the connect succeeded and nothing reset it. */
#include "client.h"

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5)
        cl_die_usage("hold_open HOST PORT SECONDS [CONNECT_TIMEOUT_MS]");
    struct cl_sa sa = cl_addr(argv[1], argv[2]);
    unsigned secs = (unsigned)cl_num(argv[3], "SECONDS", 86400);
    unsigned cms = argc == 5 ? (unsigned)cl_num(argv[4], "CONNECT_TIMEOUT_MS", 3600000) : 2000;
    signal(SIGPIPE, SIG_IGN);

    struct cl_json j = { .n = 0 };
    int fd = cl_socket(&sa);
    double t0 = cl_now_ms();
    int ce = cl_connect_sndtimeo(fd, &sa, cms);
    double cel = cl_now_ms() - t0;
    int sport = cl_local_port(fd);
    if (ce) {
        close(fd);
        cl_j_str(&j, "result", "error");
        cl_j_errno(&j, "errno", ce);
        cl_j_errno(&j, "connect", ce);
        cl_j_ms(&j, "connect_ms", cel);
        cl_j_raw(&j, "recv", "null");
        cl_j_int(&j, "sport", sport);
        cl_j_ms(&j, "elapsed_ms", cel);
        cl_j_print(&j);
        return 0;
    }

    /* Wait for whatever the peer does, up to SECONDS (0: do not wait). */
    ssize_t r = -1;
    int re = EAGAIN;
    if (secs) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n;
        while ((n = poll(&p, 1, (int)(secs * 1000))) == -1 && errno == EINTR)
            ;
        if (n > 0) {
            char b[4096];
            r = recv(fd, b, sizeof b, MSG_DONTWAIT);
            re = r < 0 ? errno : 0;
        }
    }
    double el = cl_now_ms() - t0;
    close(fd);

    bool reset = re && re != EAGAIN;
    cl_j_str(&j, "result", reset ? "error" : "ok");
    cl_j_errno(&j, "errno", reset ? re : 0);
    cl_j_raw(&j, "connect", "null");
    cl_j_ms(&j, "connect_ms", cel);
    cl_j_int(&j, "recv", (long)r);
    cl_j_errno(&j, "recv_errno", re);
    cl_j_int(&j, "sport", sport);
    cl_j_ms(&j, "elapsed_ms", el);
    cl_j_print(&j);
    return 0;
}
