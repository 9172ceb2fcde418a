/* `rstcraft explain -r FILE | -i IFACE [--json] [-v] [--max-flows N] [FILTER...]`: read a
 * capture (pcap or pcapng, any of the link types below) and say why every reset in it was
 * sent. From a file, a closed-port verdict waits for the end when the sender's other
 * packets have not been seen yet (a firewall's reset is told by its TTL against them);
 * live, each finding is printed as soon as its hold time is over. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "cmds.h"
#include "explain.h"
#include "linesink.h"
#include "linkwatch.h"
#include "rd.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct run {
    struct xtrack t;
    struct xreport rp;
    int dlt;
    bool live;
    bool opened;               /* the capture could be opened: print the summary */
    struct xrst *deferred;     /* closed-port verdicts that wait for the whole capture */
    size_t ndef, capdef;
};

static volatile sig_atomic_t stop;
static pcap_t *live_pcap;                   /* the capture a signal breaks out of */

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    if (live_pcap)
        pcap_breakloop(live_pcap);
}

static void usage(FILE *o)
{
    fputs("usage: rstcraft explain -r FILE [options] [FILTER...]\n"
          "       rstcraft explain -i IFACE [options] [FILTER...]\n"
          "Say why every TCP reset in a capture was sent, with the packets that prove it,\n"
          "and report connection attempts that got no answer at all.\n"
          "  -r FILE          read a pcap or pcapng file ('-' for stdin)\n"
          "  -i IFACE         capture live; each finding once its cause is known\n"
          "  --json, -j       JSON Lines: ts, src, dst, cause, by, evidence, saw\n"
          "  -v               print the packets each verdict rests on\n"
          "  --max-flows N    flows tracked at once (default 262144; 256 bytes each);\n"
          "                   the least recently active is finished early when full\n"
          "  -h, --help       this text\n"
          "FILTER is a pcap filter expression, as tcpdump takes it.\n"
          "Causes: closed-port no-answer client-abort abortive-close data-after-close\n"
          "        backlog-overflow stale-connection keepalive-timeout injected\n"
          "        firewall-reject challenge-ack icmp-reject unknown\n"
          "Live, a link going down and up is said on stderr and waited out; findings a slow\n"
          "reader of stdout has no room for are dropped and counted, never the capture.\n"
          "Exit: 0 read to the end, 1 the interface was deleted or renamed (-i), 2 usage,\n"
          "      3 the capture could not be (fully) read.\n", o);
}

static void show(struct run *rn, const struct xrst *r)
{
    struct verdict v;
    xclassify(r, &rn->t.hosts, &v);
    xreport_finding(&rn->rp, r, &v);
}

static void on_record(void *ctx, const struct xrst *r)
{
    struct run *rn = ctx;
    if (!rn->live && r->rst.flags && r->dir == 1 && !(r->s[1].flags & XSIDE_SEEN) &&
        !xhosts_get(&rn->t.hosts, r->key.addr[1], r->key.v6)) {
        if (rn->ndef == rn->capdef) {
            size_t n = rn->capdef ? rn->capdef * 2 : 64;
            struct xrst *d = realloc(rn->deferred, n * sizeof *d);
            if (d) {
                rn->deferred = d;
                rn->capdef = n;
            }
        }
        if (rn->ndef < rn->capdef) {
            rn->deferred[rn->ndef++] = *r;
            return;
        }
    }
    show(rn, r);
}

/* Hand one captured frame to the tracker, whatever its link layer. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct run *rn = (struct run *)user;
    struct frame f;
    struct rd r = { data, h->caplen };
    double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
    size_t off = 0;
    switch (rn->dlt) {
    case DLT_EN10MB:
        pkt_parse(&f, data, h->caplen);
        xtrack_frame(&rn->t, &f, ts);
        return;
    case DLT_LINUX_SLL:  off = 16; break;
    case DLT_LINUX_SLL2: off = 20; break;
    case DLT_NULL:
    case DLT_LOOP:       off = 4; break;
    default:             off = 0; break;  /* raw IP */
    }
    if (!rd_have(&r, 0, off)) {             /* shorter than its link header: counted as skipped */
        memset(&f, 0, sizeof f);
        f.err = PKT_E_TRUNC_L2;
    } else {
        pkt_parse_ip(&f, data + off, h->caplen - off);
    }
    xtrack_frame(&rn->t, &f, ts);
}

static bool dlt_ok(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 || dlt == DLT_RAW ||
           dlt == DLT_IPV4 || dlt == DLT_IPV6 || dlt == DLT_NULL || dlt == DLT_LOOP;
}

static int set_filter_prog(pcap_t *p, struct bpf_program *prog, const char *expr, const char *what)
{
    if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "rstcraft explain: bad filter '%s' for %s: %s\n", expr, what, pcap_geterr(p));
        return -1;
    }
    return 0;
}

static int set_filter(pcap_t *p, const char *expr, const char *what)
{
    struct bpf_program prog;
    if (!expr || !*expr)
        return 0;
    if (set_filter_prog(p, &prog, expr, what) != 0)
        return -1;
    int rc = pcap_setfilter(p, &prog);
    if (rc != 0)
        fprintf(stderr, "rstcraft explain: cannot set filter '%s' on %s: %s\n", expr, what, pcap_geterr(p));
    pcap_freecode(&prog);
    return rc ? -1 : 0;
}

static int cmp_ts(const void *a, const void *b)
{
    const struct xrst *x = a, *y = b;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

/* What is left at the end of a file: flows, then the verdicts that waited for all hosts. */
static void finish_file(struct run *rn)
{
    xtrack_flush(&rn->t);
    if (rn->ndef)
        qsort(rn->deferred, rn->ndef, sizeof *rn->deferred, cmp_ts);
    for (size_t i = 0; i < rn->ndef; i++)
        show(rn, &rn->deferred[i]);
}

static int link_unsupported(const char *path, int dlt)
{
    const char *name = pcap_datalink_val_to_name(dlt);
    fprintf(stderr, "rstcraft explain: %s: link type %s (%d) is not supported "
                    "(Ethernet, Linux cooked SLL/SLL2, raw IP, loopback are)\n",
            path, name ? name : "?", dlt);
    return 3;
}

/* A classic pcap file, mapped: records in place, the filter run with pcap_offline_filter. */
static int read_mapped(struct run *rn, struct xmap *m, const char *path, const char *expr)
{
    rn->dlt = m->dlt;
    if (!dlt_ok(rn->dlt))
        return link_unsupported(path, rn->dlt);
    struct bpf_program prog;
    bool filtered = expr && *expr;
    if (filtered) {
        pcap_t *dead = pcap_open_dead(m->dlt, (int)(m->snaplen ? m->snaplen : 262144));
        if (!dead || set_filter_prog(dead, &prog, expr, path) != 0) {
            if (dead)
                pcap_close(dead);
            return 2;
        }
        pcap_close(dead);
    }
    rn->opened = true;
    char err[256];
    struct pcap_pkthdr h;
    const uint8_t *data;
    int n, rc = 0;
    while (!stop && (n = xmap_next(m, &h, &data, err, sizeof err)) == 1)
        if (!filtered || pcap_offline_filter(&prog, &h, data))
            on_frame((u_char *)rn, &h, data);
    if (!stop && n < 0) {
        fprintf(stderr, "rstcraft explain: %s: %s (after %llu packets; findings up to there follow)\n",
                path, err, (unsigned long long)rn->t.packets);
        rc = 3;
    }
    if (filtered)
        pcap_freecode(&prog);
    finish_file(rn);
    return rc;
}

static int read_file(struct run *rn, const char *path, const char *expr)
{
    char err[PCAP_ERRBUF_SIZE];
    struct xmap m;
    int mapped = xmap_open(&m, path, err, sizeof err);
    if (mapped < 0) {
        fprintf(stderr, "rstcraft explain: cannot read %s: %s\n", path, err);
        return 3;
    }
    if (mapped) {
        int rc = read_mapped(rn, &m, path, expr);
        xmap_close(&m);
        return rc;
    }
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        fprintf(stderr, "rstcraft explain: cannot read %s: %s\n", path, err);
        return 3;
    }
    rn->dlt = pcap_datalink(p);
    if (!dlt_ok(rn->dlt)) {
        pcap_close(p);
        return link_unsupported(path, rn->dlt);
    }
    if (set_filter(p, expr, path) != 0) {
        pcap_close(p);
        return 2;
    }
    rn->opened = true;
    live_pcap = p;
    int rc = 0;
    if (pcap_loop(p, -1, on_frame, (u_char *)rn) == PCAP_ERROR) {
        fprintf(stderr, "rstcraft explain: %s: %s (after %llu packets; findings up to there follow)\n",
                path, pcap_geterr(p), (unsigned long long)rn->t.packets);
        rc = 3;
    }
    live_pcap = NULL;
    pcap_close(p);
    finish_file(rn);
    return rc;
}

static double now_wall(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The capture socket's pending error, taken (so that poll does not report it again and
 * libpcap does not end the capture for a link that only went down); 0: none. */
static int take_sock_error(int fd)
{
    int e = 0;
    socklen_t len = sizeof e;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 ? e : 0;
}

/* Frames and link changes until a signal: 0, 1 (the interface went away: one line said),
 * or 3 (the capture failed). A link down is said and waited out in poll; nothing spins. */
static int live_loop(struct run *rn, pcap_t *p, int fd, struct linkwatch *lw, const char *ifname)
{
    char err[LINKWATCH_ERRLEN];
    while (!stop) {
        struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = lw->fd, .events = POLLIN } };
        if (poll(pfd, 2, 200) < 0 && errno != EINTR)
            return 3;
        short bad = pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL);
        int e = bad ? take_sock_error(fd) : 0;
        bool linkerr = e == ENETDOWN || e == ENXIO || e == ENODEV;
        if ((pfd[1].revents || linkerr) &&
            linkwatch_check(lw, "rstcraft explain", linkerr, err, sizeof err) < 0)
            goto gone;
        if (bad & (POLLHUP | POLLNVAL)) {
            fprintf(stderr, "rstcraft explain: %s: the capture socket was closed under us\n", ifname);
            return 3;
        }
        if (pcap_dispatch(p, -1, on_frame, (u_char *)rn) == PCAP_ERROR) {
            /* libpcap saw the link's error first: gone, down (wait for it), or a real one */
            if (linkwatch_check(lw, "rstcraft explain", true, err, sizeof err) < 0)
                goto gone;
            if (lw->up) {
                fprintf(stderr, "rstcraft explain: %s: %s\n", ifname, pcap_geterr(p));
                return 3;
            }
        }
        xtrack_tick(&rn->t, now_wall());
    }
    return 0;
gone:
    fprintf(stderr, "rstcraft explain: %s\n", err);
    return 1;
}

static int read_live(struct run *rn, const char *ifname, const char *expr)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_create(ifname, err);
    if (!p) {
        fprintf(stderr, "rstcraft explain: %s: %s\n", ifname, err);
        return 3;
    }
    pcap_set_snaplen(p, 256);               /* headers are all explain reads */
    pcap_set_immediate_mode(p, 1);
    pcap_set_timeout(p, 200);
    int st = pcap_activate(p);
    if (st < 0) {
        fprintf(stderr, "rstcraft explain: cannot capture on %s: %s\n", ifname, pcap_geterr(p));
        pcap_close(p);
        return 3;
    }
    rn->dlt = pcap_datalink(p);
    if (!dlt_ok(rn->dlt) || set_filter(p, expr, ifname) != 0) {
        if (!dlt_ok(rn->dlt))
            fprintf(stderr, "rstcraft explain: %s: link type %d is not supported\n", ifname, rn->dlt);
        pcap_close(p);
        return 3;
    }
    rn->live = true;
    rn->opened = true;
    live_pcap = p;
    setvbuf(stdout, NULL, _IOLBF, 0);
    fprintf(stderr, "rstcraft explain: listening on %s\n", ifname);
    /* Non-blocking reads after poll(): time passes for the tracker even when the wire is
     * quiet, so a finding is printed once its hold is over, not at the next packet. */
    int fd = pcap_get_selectable_fd(p);
    if (fd < 0 || pcap_setnonblock(p, 1, err) != 0) {
        fprintf(stderr, "rstcraft explain: %s: cannot poll the capture\n", ifname);
        live_pcap = NULL;
        pcap_close(p);
        return 3;
    }
    struct linkwatch lw;
    char lerr[LINKWATCH_ERRLEN];
    if (linkwatch_open(&lw, (int)if_nametoindex(ifname), ifname, lerr) != 0)
        fprintf(stderr, "rstcraft explain: warning: %s; link changes are seen only as errors\n",
                lerr);
    int rc = live_loop(rn, p, fd, &lw, ifname);
    linkwatch_close(&lw);
    live_pcap = NULL;
    pcap_close(p);
    xtrack_flush(&rn->t);
    return rc;
}

/* The filter words after the options, joined by spaces as tcpdump does. */
static char *join_args(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = calloc(1, n);
    if (!s)
        return NULL;
    size_t at = 0;
    for (int i = 0; i < argc; i++)
        at += (size_t)snprintf(s + at, n - at, "%s%s", i ? " " : "", argv[i]);
    return s;
}

int explain_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "verbose", no_argument, NULL, 'v' },
        { "max-flows", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *file = NULL, *iface = NULL;
    struct run rn;
    memset(&rn, 0, sizeof rn);
    rn.rp.out = stdout;
    unsigned long max_flows = 262144;
    int c;
    optind = 1;
    opterr = 0;                             /* one line of our own instead of getopt's */
    while ((c = getopt_long(argc, argv, "+r:i:jvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': file = optarg; break;
        case 'i': iface = optarg; break;
        case 'j': rn.rp.json = true; break;
        case 'v': rn.rp.verbose = true; break;
        case 'm': {
            char *end;
            max_flows = strtoul(optarg, &end, 10);
            if (*end || max_flows < 1 || max_flows > 100000000) {
                fprintf(stderr, "rstcraft explain: --max-flows wants a number from 1 to 100000000, not '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'h': usage(stdout); return 0;
        default:
            if (optopt && strchr("ri", optopt))
                fprintf(stderr, "rstcraft explain: -%c needs an argument (see --help)\n", optopt);
            else
                fprintf(stderr, "rstcraft explain: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (!!file == !!iface) {
        fprintf(stderr, "rstcraft explain: give one of -r FILE or -i IFACE (see --help)\n");
        return 2;
    }
    char *expr = join_args(argc - optind, argv + optind);
    if (!expr || xtrack_init(&rn.t, (uint32_t)max_flows, on_record, &rn) != 0) {
        fprintf(stderr, "rstcraft explain: out of memory for %lu flows\n", max_flows);
        free(expr);
        return 3;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* live, the wire does not wait for stdout: a reader that falls behind loses findings
     * (counted), never packets; from a file every finding is written, however slowly */
    struct linesink sink = { .fd = -1 };
    FILE *orig_stdout = iface ? linesink_take_stdout(&sink, 256 * 1024) : NULL;
    rn.rp.out = stdout;
    int rc = file ? read_file(&rn, file, expr) : read_live(&rn, iface, expr);
    if (rc != 2 && rc != 1 && rn.opened) {
        xreport_summary(&rn.rp, rn.rp.json ? stderr : stdout);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "rstcraft explain: %llu packets, %llu TCP, %llu resets, %llu others skipped, "
                        "%llu flows finished early (table full), peak RSS %ld KiB\n",
                (unsigned long long)rn.t.packets, (unsigned long long)rn.t.tcp,
                (unsigned long long)rn.t.resets, (unsigned long long)rn.t.skipped,
                (unsigned long long)rn.t.evicted, ru.ru_maxrss);
    }
    linesink_give_stdout(&sink, orig_stdout, "rstcraft explain");
    free(rn.deferred);
    free(expr);
    xtrack_free(&rn.t);
    return rc;
}
