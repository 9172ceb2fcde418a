/* `rstcraft censor`: the live driver of the censor engine (censor_engine.c): frames from
 * the capture in, forged frames out through the same interface, one line per event. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "addrset.h"
#include "censor.h"
#include "cli.h"
#include "linesink.h"
#include "cmds.h"
#include "cpu_latency.h"
#include "craft.h"
#include "netio.h"

static volatile sig_atomic_t censor_stop;
static void on_sig(int s) { (void)s; censor_stop = 1; }

struct live {
    struct censor c;
    struct netio net;
    struct censor_drop drop;
    struct censor_route route;   /* a router's interface: resets to the far end by the route */
    bool dropping;
    uint64_t t0;
    double real0;              /* wall clock at t0, for event times */
};

static void send_frame(void *user, const uint8_t *frame, size_t len)
{
    struct live *L = user;
    if (!censor_route_send(&L->route, frame, len))
        netio_send(&L->net, frame, len);
}

/* a.b.c.d:port, [v6]:port */
static const char *ep(const struct caddr *ip, uint16_t port, char *buf, size_t cap)
{
    char a[CADDR_STRLEN];
    snprintf(buf, cap, caddr_is4(ip) ? "%s:%u" : "[%s]:%u", caddr_str(ip, a), port);
    return buf;
}

static void on_event(void *user, const struct censor_event *ev)
{
    struct live *L = user;
    /* the resets have left: now the connection's own packets stop being forwarded */
    if (L->dropping && ev->kind != CEV_UNPARSED)
        censor_drop_flow(&L->drop, ev->f);
    if (L->c.o.quiet)
        return;
    char cb[CADDR_STRLEN + 8], sb[CADDR_STRLEN + 8];
    double t = L->real0 + (double)(ev->now_ns - L->t0) / 1e9;
    double until = ev->residual_until_ns ? (double)(ev->residual_until_ns - ev->now_ns) / 1e9 : 0;
    const char *kind = ev->kind == CEV_TRIGGER ? "trigger" : ev->kind == CEV_RESIDUAL ? "residual" : "unparsed";
    ep(&ev->f->c.ip, ev->f->c.port, cb, sizeof cb);
    ep(&ev->f->s.ip, ev->f->s.port, sb, sizeof sb);
    if (L->c.o.json) {
        printf("{\"event\":\"%s\",\"ts\":%.6f,\"client\":\"%s\",\"server\":\"%s\",\"trigger\":\"%s\","
               "\"match\":", kind, t, cb, sb, ev->trigger);
        cli_json_str(stdout, ev->match);
        printf(",\"injector\":\"%s\",\"to_client\":%u,\"to_server\":%u,\"residual_s\":%.3f}\n",
               L->c.o.inj->name, ev->to_client, ev->to_server, until);
    } else if (ev->kind == CEV_UNPARSED) {
        printf("%.6f %s > %s %s: %s, not censored\n", t, cb, sb, ev->trigger, ev->match);
    } else {
        printf("%.6f %s > %s %s=%s: %s, %u forged to the client, %u to the server", t, cb, sb,
               ev->trigger, ev->match, L->c.o.inj->name, ev->to_client, ev->to_server);
        if (until > 0)
            printf("; blocked for %.0f s", until);
        putchar('\n');
    }
    fflush(stdout);
}

static void on_frame(void *user, const struct timeval *ts, const uint8_t *frame, size_t caplen,
                     size_t wirelen)
{
    (void)ts;
    (void)wirelen;
    struct live *L = user;
    struct frame f;
    pkt_parse(&f, frame, caplen);
    censor_input(&L->c, &f, now_mono_ns());
}

static void print_counts(const struct live *L)
{
    const struct censor_stats *s = &L->c.st;
    fprintf(stderr,
            "rstcraft censor: frames=%" PRIu64 " tcp=%" PRIu64 " flows=%" PRIu64 " triggers=%" PRIu64
            " residual=%" PRIu64 " forged=%" PRIu64 " unparsed=%" PRIu64 " malformed=%" PRIu64
            " bad-checksum=%" PRIu64 " ignored-rst=%" PRIu64 " evicted=%" PRIu64 " no-buffer=%" PRIu64
            " ring-full=%" PRIu64 " routed=%" PRIu64 " unroutable=%" PRIu64 "%s",
            s->frames, s->tcp, s->flows, s->triggers, s->residual_hits, s->forged, s->unparsed,
            s->malformed, s->bad_csum, s->ignored_rst, L->c.t.evicted, L->c.t.no_buffer,
            L->net.rx_drop_kernel, L->route.routed, L->route.unroutable, L->dropping ? "" : "\n");
    if (L->dropping)
        fprintf(stderr, " drop-failed=%" PRIu64 "\n", L->drop.cmds_failed);
}

int censor_main(int argc, char **argv)
{
    static struct live L;
    char err[NETIO_ERRLEN];
    memset(&L, 0, sizeof L);
    L.route.fd = -1;
    int rc = censor_parse_args(&L.c.o, argc, argv, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "rstcraft censor: %s\n", err);
        return 2;
    }
    L.c.send = send_frame;
    L.c.event = on_event;
    L.c.user = &L;
    if (censor_init(&L.c, err, sizeof err) < 0) {
        fprintf(stderr, "rstcraft censor: %s\n", err);
        return 3;
    }
    int status = 3, qos_fd = -1;
    bool ran = false;
    static struct linesink sink;
    FILE *orig_stdout = NULL;
    /* the capture ring read in place, as the responder reads it: no copy and no lock per
     * frame; slots hold a jumbo frame (the engine needs the payload, not only headers) */
    L.net.direct = true;
    L.net.snaplen = FRAME_MAX;
    if (netio_open(&L.net, L.c.o.ifname, NULL, err) < 0) {
        fprintf(stderr, "rstcraft censor: %s\n", err);
        goto out;
    }
    if (censor_route_open(&L.route, &L.net, err, sizeof err) < 0) {
        fprintf(stderr, "rstcraft censor: %s\n", err);
        goto out;
    }
    if (L.c.o.wfile && netio_dump_open(&L.net, L.c.o.wfile, err) < 0) {
        fprintf(stderr, "rstcraft censor: %s\n", err);
        goto out;
    }
    if (L.c.o.cpu_latency_us >= 0 &&
        (qos_fd = cpu_latency_hold(L.c.o.cpu_latency_us, err, sizeof err)) < 0) {
        fprintf(stderr, "rstcraft censor: %s\n", err);
        goto out;
    }
    cli_on_stop(on_sig);
    if (L.c.o.drop) {
        if (censor_drop_open(&L.drop, err, sizeof err) < 0) {
            fprintf(stderr, "rstcraft censor: %s\n", err);
            goto out;
        }
        L.dropping = true;
        if (L.drop.stale_removed)
            fprintf(stderr, "rstcraft censor: removed %u table(s) of censors that are gone\n",
                    L.drop.stale_removed);
    }
    L.t0 = now_mono_ns();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    L.real0 = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9;
    if (!L.c.o.quiet)
        fprintf(stderr, "rstcraft censor: watching %s, injector %s, tracking %s%s%s%s\n", L.c.o.ifname,
                L.c.o.inj->name, tcb_name(L.c.o.tcb), L.dropping ? ", dropping in table " : "",
                L.dropping ? L.drop.table : "", qos_fd >= 0 ? ", CPU latency request held" : "");
    fflush(stderr);
    uint64_t next_tick = L.t0 + 1000000000ull, next_link = 0;
    /* a spinner keeps its path from trigger to reset in the caches (censor_warm.c) */
    static struct censor_warm warm;
    if (L.c.o.busy_poll)
        (void)censor_warm_init(&warm, &L.c.o);
    ran = true;
    /* a reader that does not keep up loses event lines (counted), never a trigger */
    orig_stdout = linesink_take_stdout(&sink, 256 * 1024);
    L.net.spinning = L.c.o.busy_poll;
    while (!censor_stop) {
        uint64_t now = now_mono_ns();
        if (L.c.o.duration_ns && now - L.t0 >= L.c.o.duration_ns)
            break;
        if (now >= next_tick) {
            censor_tick(&L.c, now);
            next_tick = now + 1000000000ull;
        }
        /* spinning reads the ring in place with no system call per turn (the link and a
         * lost ring head are looked at every 10 ms); sleeping waits for a frame, a link
         * change or the next second */
        short revents = 0;
        bool spin = L.c.o.busy_poll, look = !spin || now >= next_link;
        if (look) {
            struct pollfd p[2] = { { .fd = L.net.fd, .events = POLLIN },
                                   { .fd = L.net.lw.fd, .events = POLLIN } };
            if (poll(p, 2, spin ? 0 : 100) < 0 && errno != EINTR) {
                fprintf(stderr, "rstcraft censor: poll: %s\n", strerror(errno));
                goto out;
            }
            revents = p[0].revents & ~POLLIN;
            if (p[1].revents)
                revents |= POLLPRI;
            if (spin)
                next_link = now + 10000000ull;
            else if (!(p[0].revents & POLLIN) && !revents)
                continue;
        }
        /* a link that goes down is waited out (said once), a deleted one ends the run;
         * a pending socket error is taken, so a flap never leaves us spinning */
        if (revents && netio_link_check(&L.net, revents, err) < 0) {
            fprintf(stderr, "rstcraft censor: %s\n", err);
            status = 1;
            goto out;
        }
        int got = netio_dispatch(&L.net, on_frame, &L);
        if (got < 0) {
            fprintf(stderr, "rstcraft censor: capture on %s failed\n", L.c.o.ifname);
            goto out;
        }
        if (spin && look)
            netio_spin_look(&L.net, got);
        if (spin && got == 0 && netio_spin_idle(&L.net, now))
            censor_warm_run(&warm, now);   /* at the pace the send path is kept warm */
    }
    status = 0;
out:
    if (ran) {
        linesink_give_stdout(&sink, orig_stdout, "rstcraft censor");
        netio_take_drops(&L.net);   /* ring-full in the counts */
        print_counts(&L);
    }
    if (L.dropping)
        censor_drop_close(&L.drop);
    if (qos_fd >= 0)
        close(qos_fd);
    censor_route_close(&L.route);
    censor_warm_free(&warm);
    netio_close(&L.net);
    censor_free(&L.c);
    return status;
}
