/* The seed's first client (writes 5000 bytes to a server that reads 4096 and closes), made
 * to report what it sees: instead of sleeping it blocks in recv, so the server's RST
 * (scenario 4) or FIN shows up as ECONNRESET or 0. Then one more send shows the later
 * error (EPIPE); it is only tried after an error, since after a clean FIN a send would
 * provoke the data-after-close RST of scenario 5 instead.
 *
 *   seed_unread HOST PORT [BYTES]          (BYTES default 5000)
 *   {"result": "ok"|"error", "errno": null|"ECONNRESET"|..., "connect": null|errno,
 *    "sent": N, "recv": N|-1, "recv_errno": ..., "send_errno": ...|"skipped",
 *    "sport": N, "elapsed_ms": F}   (elapsed: connect to the recv's return) */
#include "client.h"

int main(int argc, char **argv)
{
    const char *usage = "seed_unread HOST PORT [BYTES]";
    if (argc < 3 || argc > 4)
        cl_die_usage(usage);
    struct cl_sa sa = cl_addr(argv[1], argv[2]);
    size_t bytes = argc == 4 ? cl_num(argv[3], "BYTES", 1 << 24) : 5000;
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

    char *buf = calloc(1, bytes ? bytes : 1);
    if (!buf) {
        perror("calloc");
        return 3;
    }
    ssize_t w = write(fd, buf, bytes);   /* one write, as the seed did */
    int we = w < 0 ? errno : 0;

    cl_timeo(fd, SO_RCVTIMEO, 3000);
    char rb[65536];
    ssize_t r = recv(fd, rb, sizeof rb, 0);
    int re = r < 0 ? errno : 0;
    double el = cl_now_ms() - t0;

    int se = 0;
    bool tried_send = false;
    if (re || we) {
        tried_send = true;
        if (send(fd, "x", 1, MSG_NOSIGNAL) < 0)
            se = errno;
    }
    close(fd);
    free(buf);

    int first = we ? we : re;
    cl_j_str(&j, "result", first ? "error" : "ok");
    cl_j_errno(&j, "errno", first);
    cl_j_raw(&j, "connect", "null");
    cl_j_int(&j, "sent", (long)w);
    cl_j_errno(&j, "write_errno", we);
    cl_j_int(&j, "recv", (long)r);
    cl_j_errno(&j, "recv_errno", re);
    if (tried_send)
        cl_j_errno(&j, "send_errno", se);
    else
        cl_j_str(&j, "send_errno", "skipped");
    cl_j_int(&j, "sport", sport);
    cl_j_ms(&j, "elapsed_ms", el);
    cl_j_print(&j);
    return 0;
}
