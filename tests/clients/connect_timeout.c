/* The seed's client that gives up on connect: a connect bounded by SO_SNDTIMEO (what the
 * seed meant to do with its 100 ms timeout) or by non-blocking connect + poll, and a close
 * right after the bound is hit, so a late SYN-ACK meets the kernel's RST (scenario 3).
 *
 *   connect_timeout HOST PORT TIMEOUT_MS [--sndtimeo|--poll]
 *   {"result": "ok"|"error", "errno": null|"ECONNREFUSED"|"EINPROGRESS"..., "timeout": bool,
 *    "how": "sndtimeo"|"poll", "sport": N, "elapsed_ms": F}
 * Exit 0 whenever the program ran (the result is in the line), 2 on bad arguments. */
#include "client.h"

int main(int argc, char **argv)
{
    const char *usage = "connect_timeout HOST PORT TIMEOUT_MS [--sndtimeo|--poll]";
    if (argc < 4 || argc > 5)
        cl_die_usage(usage);
    bool use_poll = false;
    if (argc == 5) {
        if (strcmp(argv[4], "--poll") == 0)
            use_poll = true;
        else if (strcmp(argv[4], "--sndtimeo") != 0)
            cl_die_usage(usage);
    }
    struct cl_sa sa = cl_addr(argv[1], argv[2]);
    unsigned ms = (unsigned)cl_num(argv[3], "TIMEOUT_MS", 3600000);
    if (ms == 0)
        cl_die_usage(usage);
    signal(SIGPIPE, SIG_IGN);

    int fd = cl_socket(&sa);
    double t0 = cl_now_ms();
    int e = use_poll ? cl_connect_poll(fd, &sa, ms) : cl_connect_sndtimeo(fd, &sa, ms);
    double el = cl_now_ms() - t0;
    int sport = cl_local_port(fd);
    /* Closing in SYN_SENT sends nothing; a late SYN-ACK then finds no socket. */
    close(fd);

    struct cl_json j = { .n = 0 };
    cl_j_str(&j, "result", e ? "error" : "ok");
    cl_j_errno(&j, "errno", e);
    cl_j_bool(&j, "timeout", e == EINPROGRESS || e == EAGAIN || e == ETIMEDOUT);
    cl_j_str(&j, "how", use_poll ? "poll" : "sndtimeo");
    cl_j_int(&j, "sport", sport);
    cl_j_ms(&j, "elapsed_ms", el);
    cl_j_print(&j);
    return 0;
}
