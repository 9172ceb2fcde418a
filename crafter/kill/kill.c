/* `rstcraft kill -i IFACE FILTER`: reset live TCP connections (IPv4, IPv6) that match a pcap
 * filter. Both directions are sniffed; each end gets an RST at its exact RCV.NXT
 * (kill_flow.c). An end owned by this namespace's kernel is reached through a raw IP socket
 * of its family (the kernel loops it back); any other through the interface at the link
 * layer (libnet).
 * --probe finds idle connections in the kernel's socket table and provokes an RFC 5961
 * challenge ACK with a spoofed SYN, which carries the exact sequence numbers. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cmds.h"
#include "craft.h"
#include "kill.h"
#include "cli.h"
#include "linesink.h"

#define SENT_RING   512
#define DONE_QUIET  (200ull * 1000000ull)    /* an end silent this long after our RST is gone */
#define RETRY_GAP   (2ull * 1000000ull)
#define MAX_RSTS    64
#define PROBE_GAP   (600ull * 1000000ull)    /* Linux rate-limits challenge ACKs to 1 / 500 ms */
#define MAX_PROBES  4

struct kopts {
    char ifname[64];
    char filter[2048];
    bool client_only, server_only, probe, once, json, quiet;
    uint64_t count;
    uint64_t timeout_ms;
};

struct sent_rec { uint8_t saddr[16], daddr[16]; uint32_t seq; uint16_t sport, dport; uint8_t flags; };

struct killer {
    struct kopts o;
    pcap_t *cap;
    struct bpf_program prog;
    bool has_prog;
    struct netio net;
    int raw, raw6;              /* IPPROTO_RAW sockets: the header is ours */
    struct tmpl_tcp4 tmpl;
    struct ktable t;
    struct sent_rec sent[SENT_RING];
    unsigned sent_i;
    uint64_t killed, rsts, probes;
    uint64_t t0;
};

static volatile int kill_stop;
static void on_sig(int s) { (void)s; kill_stop = 1; }

static void kusage(FILE *out)
{
    fputs(
"usage: rstcraft kill -i IFACE [options] FILTER...\n"
"  Resets the live TCP connections (IPv4 and IPv6) matching the pcap FILTER, e.g.\n"
"  'host 198.18.0.2 and port 5001', 'host 2001:2::2 and port 5001'. Each end gets an\n"
"  RST at its exact RCV.NXT.\n"
"  -i, --iface IFACE   where to sniff and send (both directions must pass there)\n"
"  --client            reset only the client end (the one that sent the SYN)\n"
"  --server            reset only the server end\n"
"  --probe             also find idle connections of this host (socket table) and provoke\n"
"                      a challenge ACK (spoofed SYN, RFC 5961) to learn their sequence numbers\n"
"  --count N           exit after N connections were reset\n"
"  --once              one RST per end per connection, no retries when it keeps talking\n"
"  --timeout SEC       exit after SEC seconds (decimals allowed)\n"
"  --json              one JSON object per line;  -q  only the final count\n"
"Exit: 0 at least one connection reset, 1 none, 2 usage error, 3 runtime error.\n", out);
}

static int kparse(struct kopts *o, int argc, char **argv, char *err, size_t errlen)
{
    enum { K_CLIENT = 256, K_SERVER, K_PROBE, K_COUNT, K_ONCE, K_JSON, K_TIMEOUT };
    static const struct option lo[] = {
        { "iface", required_argument, 0, 'i' }, { "interface", required_argument, 0, 'i' },
        { "client", no_argument, 0, K_CLIENT }, { "server", no_argument, 0, K_SERVER },
        { "probe", no_argument, 0, K_PROBE },   { "count", required_argument, 0, K_COUNT },
        { "once", no_argument, 0, K_ONCE },     { "json", no_argument, 0, K_JSON },
        { "timeout", required_argument, 0, K_TIMEOUT }, { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },        { 0, 0, 0, 0 },
    };
    memset(o, 0, sizeof *o);
    optind = 0;
    opterr = 0;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "+:i:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'h': kusage(stdout); return 1;
        case 'i':
            if (cli_ifname(optarg, err, errlen) != 0)
                return -1;
            snprintf(o->ifname, sizeof o->ifname, "%s", optarg);
            break;
        case K_CLIENT: o->client_only = true; break;
        case K_SERVER: o->server_only = true; break;
        case K_PROBE: o->probe = true; break;
        case K_ONCE: o->once = true; break;
        case K_JSON: o->json = true; break;
        case 'q': o->quiet = true; break;
        case K_COUNT:
            if (craft_parse_uint(optarg, 1000000000, &v, "--count", err, errlen) < 0)
                return -1;
            if (!v) {
                snprintf(err, errlen, "--count must be at least 1");
                return -1;
            }
            o->count = v;
            break;
        case K_TIMEOUT: {
            uint64_t ns;
            if (craft_parse_interval(optarg, &ns, err, errlen) < 0) {
                snprintf(err, errlen, "bad --timeout \"%.48s\" (seconds, or 500ms, 2s)", optarg);
                return -1;
            }
            o->timeout_ms = ns / 1000000 ? ns / 1000000 : 1;
            break;
        }
        default:
            return cli_getopt_error(c, argv, lo, "rstcraft kill", err, errlen);
        }
    }
    if (!o->ifname[0]) {
        snprintf(err, errlen, "missing -i IFACE");
        return -1;
    }
    if (o->client_only && o->server_only) {
        snprintf(err, errlen, "--client and --server exclude each other (default: both ends)");
        return -1;
    }
    size_t n = 0;
    for (int i = optind; i < argc; i++) {
        size_t l = strlen(argv[i]);
        if (n + l + 2 > sizeof o->filter) {
            snprintf(err, errlen, "filter too long");
            return -1;
        }
        if (n)
            o->filter[n++] = ' ';
        memcpy(o->filter + n, argv[i], l);
        n += l;
        o->filter[n] = 0;
    }
    if (!n) {
        snprintf(err, errlen, "missing FILTER: kill only resets the connections a filter names "
                              "(e.g. 'host 198.18.0.2 and port 80')");
        return -1;
    }
    return 0;
}

static uint64_t now_ns(void) { return now_mono_ns(); }

static const char *ep(const struct kflow *k, const struct kside *s, char *buf)
{
    return cli_endpoint(buf, k->v6, s->ip, s->port);
}

static bool side_wanted(const struct killer *K, const struct kflow *k, int side)
{
    int server = kflow_server(k);
    if (K->o.client_only)
        return side != server;
    if (K->o.server_only)
        return side == server;
    return true;
}

static bool is_ours(struct killer *K, const struct frame *f, const uint8_t *src, const uint8_t *dst)
{
    for (unsigned i = 0; i < SENT_RING; i++) {
        const struct sent_rec *s = &K->sent[i];
        if (s->seq == f->seq && s->sport == f->sport && s->dport == f->dport && s->flags == f->flags &&
            memcmp(s->saddr, src, 16) == 0 && memcmp(s->daddr, dst, 16) == 0)
            return true;
    }
    return false;
}

/* Hand an IP packet to this namespace's kernel, addressed to one of its own addresses. */
static int send_local(struct killer *K, bool v6, const uint8_t *daddr, const uint8_t *pkt, size_t len)
{
    if (v6) {
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        memcpy(&sin6.sin6_addr, daddr, 16);
        return sendto(K->raw6, pkt, len, 0, (struct sockaddr *)&sin6, sizeof sin6) < 0 ? -1 : 0;
    }
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    memcpy(&sin.sin_addr, daddr, 4);
    return sendto(K->raw, pkt, len, 0, (struct sockaddr *)&sin, sizeof sin) < 0 ? -1 : 0;
}

/* Send one segment to side `to` of k, from its peer. */
static int send_to(struct killer *K, struct kflow *k, int to, uint32_t seq, uint32_t ack, uint8_t flags,
                   const char **via)
{
    struct kside *T = &k->s[to], *P = &k->s[!to];
    uint8_t frame[128], dmac[6];
    uint16_t id;
    if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
        id = (uint16_t)now_ns();
    if (T->has_mac)
        memcpy(dmac, T->mac, 6);
    else if (P->has_mac)
        memcpy(dmac, P->to_mac, 6);
    else if (!T->local) {
        if (nl_neigh_get(k->v6, K->net.ifindex, T->ip, dmac) != 1)
            return -1;
    } else {
        memset(dmac, 0, 6);
    }
    size_t len = kill_build(&K->tmpl, frame, sizeof frame, K->net.mac, dmac, k->v6, P->ip, P->port, T->ip,
                            T->port, seq, ack, flags, id);
    if (!len)
        return -1;
    struct sent_rec *r = &K->sent[K->sent_i++ % SENT_RING];
    memcpy(r->saddr, P->ip, 16);
    memcpy(r->daddr, T->ip, 16);
    r->sport = P->port;
    r->dport = T->port;
    r->seq = seq;
    r->flags = flags;
    if (T->local) {
        *via = "raw";
        return send_local(K, k->v6, T->ip, frame + 14, len - 14);
    }
    *via = "link";
    return netio_send(&K->net, frame, len);
}

static void kill_side(struct killer *K, struct kflow *k, int side, uint64_t now)
{
    struct kside *T = &k->s[side];
    uint32_t seq;
    if (T->got_rst || !kflow_rcv_nxt(k, side, &seq) || T->rsts >= MAX_RSTS)
        return;
    if (T->rsts && (!T->alive_after_rst || K->o.once || now - T->rst_ns < RETRY_GAP))
        return;
    const struct kside *P = &k->s[!side];
    uint32_t ack = T->has_nxt ? T->snd_nxt : 0;
    uint8_t flags = T->has_nxt ? (TH_RST | TH_ACK) : TH_RST;
    const char *via = "?";
    if (send_to(K, k, side, seq, ack, flags, &via) < 0) {
        fprintf(stderr, "rstcraft kill: cannot send the RST to %s\n", ep(k, T, (char[CLI_EPLEN]){ 0 }));
        T->rsts = MAX_RSTS;
        return;
    }
    T->rsts++;
    T->rst_ns = now;
    T->rst_seq = seq;
    T->alive_after_rst = false;
    if (!k->first_rst_ns)
        k->first_rst_ns = now;
    K->rsts++;
    char a[CLI_EPLEN], b[CLI_EPLEN];
    const char *role = side == kflow_server(k) ? "server" : "client";
    if (K->o.quiet)
        return;
    if (K->o.json)
        printf("{\"event\":\"rst\",\"to\":\"%s\",\"from\":\"%s\",\"seq\":%u,\"ack\":%u,\"end\":\"%s\",\"via\":\"%s\",\"try\":%u}\n",
               ep(k, T, a), ep(k, P, b), seq, ack, role, via, T->rsts);
    else
        printf("rst %s <- %s seq=%u ack=%u (%s, %s, try %u)\n", ep(k, T, a), ep(k, P, b),
               seq, ack, role, via, T->rsts);
    fflush(stdout);
}

static void probe_flow(struct killer *K, struct kflow *k, uint64_t now)
{
    if (k->probes >= MAX_PROBES || (k->probes && now - k->probe_ns < PROBE_GAP))
        return;
    bool any = false;
    for (int s = 0; s < 2; s++) {
        uint32_t seq;
        if (!side_wanted(K, k, s) || k->s[s].got_rst)
            continue;
        /* known for a wanted end: nothing to learn */
        if (kflow_rcv_nxt(k, s, &seq))
            return;
    }
    for (int s = 0; s < 2; s++) {
        uint32_t rnd;
        const char *via = "?";
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            rnd = (uint32_t)now;
        if (send_to(K, k, s, rnd, 0, TH_SYN, &via) == 0) {
            any = true;
            if (!K->o.quiet && K->o.json) {
                char a[CLI_EPLEN];
                printf("{\"event\":\"probe\",\"to\":\"%s\",\"via\":\"%s\"}\n", ep(k, &k->s[s], a), via);
            } else if (!K->o.quiet) {
                char a[CLI_EPLEN];
                printf("probe %s (spoofed SYN for a challenge ACK, %s)\n", ep(k, &k->s[s], a), via);
            }
        }
    }
    if (any) {
        k->probes++;
        k->probe_ns = now;
        K->probes++;
        fflush(stdout);
    }
}

static void check_flow(struct killer *K, struct kflow *k, uint64_t now)
{
    if (!k->wanted || k->state == KF_DONE)
        return;
    for (int s = 0; s < 2; s++)
        if (side_wanted(K, k, s))
            kill_side(K, k, s, now);
    if (K->o.probe)
        probe_flow(K, k, now);
    bool dead = true, any_rst = false;
    for (int s = 0; s < 2; s++) {
        if (!side_wanted(K, k, s))
            continue;
        const struct kside *T = &k->s[s];
        if (T->rsts)
            any_rst = true;
        bool gone = T->got_rst || (T->rsts && !T->alive_after_rst && now - T->rst_ns >= DONE_QUIET) ||
                    (T->rsts && K->o.once);
        if (!gone)
            dead = false;
    }
    if (!dead || !any_rst)
        return;
    k->state = KF_DONE;
    k->done_ns = now;
    K->killed++;
    if (K->o.quiet)
        return;
    int srv = kflow_server(k);
    char a[CLI_EPLEN], b[CLI_EPLEN];
    const struct kside *C = &k->s[!srv], *S = &k->s[srv];
    unsigned n = k->s[0].rsts + k->s[1].rsts;
    double ms = (double)(k->first_rst_ns - k->created_ns) / 1e6;
    if (K->o.json)
        printf("{\"event\":\"killed\",\"client\":\"%s\",\"server\":\"%s\",\"rsts\":%u,\"probes\":%u,"
               "\"first_rst_after_ms\":%.3f}\n", ep(k, C, a), ep(k, S, b), n, k->probes, ms);
    else
        printf("killed %s <-> %s: %u RST%s, %u probe%s\n", ep(k, C, a), ep(k, S, b), n,
               n == 1 ? "" : "s", k->probes, k->probes == 1 ? "" : "s");
    fflush(stdout);
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct killer *K = (struct killer *)(void *)user;
    struct frame f;
    pkt_parse(&f, bytes, h->caplen);
    if ((f.l3 != L3_IPV4 && f.l3 != L3_IPV6) || f.l4 != L4_TCP)
        return;
    uint8_t src[16], dst[16];
    pkt_addrs(&f, src, dst);
    if (is_ours(K, &f, src, dst))
        return;
    /* the capture is cut after the headers: the length comes from the IP header */
    size_t hl = (size_t)f.ip_hlen + f.doff;
    f.payload_len = f.ip_totlen > hl ? f.ip_totlen - hl : 0;
    uint64_t now = now_ns();
    int from;
    struct kflow *k = ktable_find(&K->t, f.l3 == L3_IPV6, src, f.sport, dst, f.dport, &from, true, now);
    if (!k)
        return;
    if (!k->s[0].seen && !k->s[1].seen && !k->wanted) {
        /* the capture filter let it through: it is named by the user's filter */
        k->wanted = true;
        k->s[0].local = kernel_owns(k->v6, k->s[0].ip);
        k->s[1].local = kernel_owns(k->v6, k->s[1].ip);
    }
    kflow_segment(k, from, &f, now);
    if (k->state == KF_DONE && !(f.flags & TH_RST) && !K->o.once) {
        /* it talks again: not dead after all */
        k->state = KF_TRACK;
        K->killed--;
    }
    check_flow(K, k, now);
}

/* sock_diag: a connection of ours the filter names, perhaps idle */
static void on_diag(void *user, bool v6, const uint8_t *lip, uint16_t lport, const uint8_t *rip, uint16_t rport,
                    bool listens)
{
    struct killer *K = user;
    int from;
    uint64_t now = now_ns();
    if (ktable_find(&K->t, v6, lip, lport, rip, rport, &from, false, now))
        return;
    uint8_t fr[128];
    static const uint8_t z[6];
    bool match = false;
    for (int dir = 0; dir < 2 && !match; dir++) {
        size_t len = dir ? kill_build(&K->tmpl, fr, sizeof fr, z, z, v6, rip, rport, lip, lport, 0, 0, TH_ACK, 0)
                         : kill_build(&K->tmpl, fr, sizeof fr, z, z, v6, lip, lport, rip, rport, 0, 0, TH_ACK, 0);
        struct pcap_pkthdr h = { .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };
        if (len && pcap_offline_filter(&K->prog, &h, fr))
            match = true;
    }
    if (!match)
        return;
    struct kflow *k = ktable_find(&K->t, v6, lip, lport, rip, rport, &from, true, now);
    if (!k)
        return;
    k->wanted = true;
    k->s[0].local = true;
    k->s[1].local = kernel_owns(v6, rip);
    if (listens)
        k->client = 1;
}

static int open_capture(struct killer *K, char *err, size_t errlen)
{
    char eb[PCAP_ERRBUF_SIZE] = "";
    K->cap = pcap_create(K->o.ifname, eb);
    if (!K->cap) {
        snprintf(err, errlen, "capture on %s: %s", K->o.ifname, eb);
        return -1;
    }
    pcap_set_snaplen(K->cap, 256);
    pcap_set_immediate_mode(K->cap, 1);
    pcap_set_buffer_size(K->cap, 4 << 20);
    int rc = pcap_activate(K->cap);
    if (rc < 0) {
        snprintf(err, errlen, "capture on %s: %s", K->o.ifname,
                 rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" : pcap_geterr(K->cap));
        return -1;
    }
    if (pcap_datalink(K->cap) != DLT_EN10MB) {
        snprintf(err, errlen, "%s is not an Ethernet interface", K->o.ifname);
        return -1;
    }
    char full[2200];
    snprintf(full, sizeof full, "(ip or ip6) and tcp and (%s)", K->o.filter);
    if (pcap_compile(K->cap, &K->prog, full, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter \"%.200s\": %s", K->o.filter, pcap_geterr(K->cap));
        return -2;
    }
    K->has_prog = true;
    if (pcap_setfilter(K->cap, &K->prog) != 0 || pcap_setnonblock(K->cap, 1, eb) != 0) {
        snprintf(err, errlen, "capture on %s: %s", K->o.ifname, pcap_geterr(K->cap));
        return -1;
    }
    return 0;
}

int kill_main(int argc, char **argv)
{
    static struct killer K;
    char err[NETIO_ERRLEN];
    memset(&K, 0, sizeof K);
    K.raw = K.raw6 = -1;
    int rc = kparse(&K.o, argc, argv, err, CRAFT_ERRLEN);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "rstcraft kill: %s\n", err);
        return 2;
    }
    int status = 3;
    rc = open_capture(&K, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "rstcraft kill: %s\n", err);
        status = rc == -2 ? 2 : 3;
        goto out;
    }
    /* libnet for link-layer sends; its own capture gets a filter nothing matches */
    if (netio_open(&K.net, K.o.ifname, "ether proto 0x88b5", err) < 0) {
        fprintf(stderr, "rstcraft kill: %s\n", err);
        goto out;
    }
    K.raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (K.raw < 0) {
        fprintf(stderr, "rstcraft kill: raw socket: %s\n", strerror(errno));
        goto out;
    }
    /* none on a kernel without IPv6: a local IPv6 end then cannot be reached (said per RST) */
    K.raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    static const uint8_t z[6];
    if (tmpl_tcp4_init(&K.tmpl, z, z, err) < 0) {
        fprintf(stderr, "rstcraft kill: %s\n", err);
        goto out;
    }
    cli_on_stop(on_sig);
    /* a reader that does not keep up loses lines, never a connection to reset */
    static struct linesink out;
    FILE *orig_stdout = linesink_take_stdout(&out, 256 * 1024);
    K.t0 = now_ns();
    if (!K.o.quiet && !K.o.json)
        fprintf(stderr, "rstcraft kill: listening on %s for: %s\n", K.o.ifname, K.o.filter);
    uint64_t next_diag = 0;
    int fd = pcap_get_selectable_fd(K.cap);
    while (!kill_stop) {
        uint64_t now = now_ns();
        if (K.o.timeout_ms && now - K.t0 >= K.o.timeout_ms * 1000000ull)
            break;
        if (K.o.count && K.killed >= K.o.count)
            break;
        if (K.o.probe && now >= next_diag) {
            kdiag_established(on_diag, &K);
            next_diag = now + 500ull * 1000000ull;
        }
        for (size_t i = 0; i < K.t.n; i++)
            check_flow(&K, &K.t.v[i], now);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        poll(&p, 1, 10);
        if (pcap_dispatch(K.cap, -1, on_frame, (u_char *)&K) < 0) {
            fprintf(stderr, "rstcraft kill: capture: %s\n", pcap_geterr(K.cap));
            linesink_give_stdout(&out, orig_stdout, "rstcraft kill");
            goto out;
        }
    }
    if (K.o.json)
        printf("{\"event\":\"summary\",\"killed\":%llu,\"rsts\":%llu,\"probes\":%llu,\"flows\":%zu}\n",
               (unsigned long long)K.killed, (unsigned long long)K.rsts, (unsigned long long)K.probes, K.t.n);
    else
        printf("%llu connection%s reset (%llu RSTs, %llu probes)\n", (unsigned long long)K.killed,
               K.killed == 1 ? "" : "s", (unsigned long long)K.rsts, (unsigned long long)K.probes);
    fflush(stdout);
    status = K.killed ? 0 : 1;
    linesink_give_stdout(&out, orig_stdout, "rstcraft kill");
out:
    if (K.has_prog)
        pcap_freecode(&K.prog);
    if (K.cap)
        pcap_close(K.cap);
    netio_close(&K.net);
    if (K.raw >= 0)
        close(K.raw);
    if (K.raw6 >= 0)
        close(K.raw6);
    ktable_free(&K.t);
    return status;
}
