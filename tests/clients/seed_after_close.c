/* The seed's second client (scenario 5): write 4096, sleep 1 s, write 4096 to a server that
 * read once and closed, so the second write is data after close and draws an RST; a third
 * write 200 ms later shows what the application sees (EPIPE or ECONNRESET).
 *
 *   seed_after_close HOST PORT
 *   {"result": "ok"|"error", "errno": first write error or null, "connect": null|errno,
 *    "writes": [n, n, n], "write_errno": [e, e, e], "sport": N, "elapsed_ms": F} */
#include "client.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        cl_die_usage("seed_after_close HOST PORT");
    struct cl_sa sa = cl_addr(argv[1], argv[2]);
    signal(SIGPIPE, SIG_IGN);

    struct cl_json j = { .n = 0 };
    int fd = cl_socket(&sa);
    double t0 = cl_now_ms();
    int ce = cl_connect_sndtimeo(fd, &sa, 2000);
    int sport = cl_local_port(fd);
    if (ce) {
        cl_j_str(&j, "result", "error");
        cl_j_errno(&j, "errno", ce);
        cl_j_errno(&j, "connect", ce);
        cl_j_int(&j, "sport", sport);
        cl_j_ms(&j, "elapsed_ms", cl_now_ms() - t0);
        cl_j_print(&j);
        close(fd);
        return 0;
    }

    static char buf[4096];
    static const unsigned pause_ms[3] = { 0, 1000, 200 };
    ssize_t n[3];
    int e[3], first = 0;
    for (int i = 0; i < 3; i++) {
        cl_sleep_ms(pause_ms[i]);
        n[i] = write(fd, buf, sizeof buf);
        e[i] = n[i] < 0 ? errno : 0;
        if (e[i] && !first)
            first = e[i];
    }
    double el = cl_now_ms() - t0;
    close(fd);

    char ws[64], es[128];
    snprintf(ws, sizeof ws, "[%ld, %ld, %ld]", (long)n[0], (long)n[1], (long)n[2]);
    int off = 0;
    for (int i = 0; i < 3; i++) {
        const char *name = e[i] ? cl_errname(e[i]) : NULL;
        off += snprintf(es + off, sizeof es - (size_t)off, "%s%s%s%s", i ? ", " : "[",
                        name ? "\"" : "", name ? name : "null", name ? "\"" : "");
    }
    snprintf(es + off, sizeof es - (size_t)off, "]");

    cl_j_str(&j, "result", first ? "error" : "ok");
    cl_j_errno(&j, "errno", first);
    cl_j_raw(&j, "connect", "null");
    cl_j_raw(&j, "writes", "%s", ws);
    cl_j_raw(&j, "write_errno", "%s", es);
    cl_j_int(&j, "sport", sport);
    cl_j_ms(&j, "elapsed_ms", el);
    cl_j_print(&j);
    return 0;
}
