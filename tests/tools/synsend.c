/* A lab SYN generator for the benchmarks: Linux-like SYNs on an AF_PACKET socket, sent in
 * sendmmsg batches on an absolute schedule (packet i is due at start + i/rate, so a late
 * wake-up is caught up instead of lowering the rate). Source ports, then source addresses,
 * cycle over their ranges so that every SYN is a distinct flow until the product of the
 * ranges is used up. Only 198.18.0.0/15 and 2001:2::/48 addresses are accepted: this is
 * a lab tool. An IPv6 --dst sends IPv6 SYNs (hop limit 64, MSS 1440) from
 * 2001:2:0:1::N, N counting from the low 32 bits of --src (an IPv6 address or range
 * there, default 2001:2:0:1::1); --dmac is then required.
 *
 *   synsend -i IFACE --dst IP [--dport N] [--src IP[-IP]] [--sports LO-HI]
 *           [--rate PPS] (--count N | --duration S) [--dmac MAC] [--smac MAC] [--batch N]
 *
 * --rate 0 (the default) sends as fast as the socket takes frames. Without --dmac the
 * destination MAC is asked for with ARP from the first source address. One line on stdout:
 *   synsend: sent=N flows=F elapsed=S rate=PPS target=PPS errors=E
 * Exit 2 on a usage error, 1 on a runtime error. Build:
 *   cc -std=c11 -D_GNU_SOURCE -O2 -o build/tools/synsend tests/tools/synsend.c */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 256
#define FRAME_LEN (14 + 40 + 40)   /* Ethernet + IPv6 + TCP with 20 bytes of options */
#define FRAME_LEN4 (14 + 20 + 40)  /* the same over IPv4 */

struct opts {
    const char *ifname;
    uint32_t dst, src_lo, src_hi;   /* host order; IPv6: src_* are the low 32 bits */
    bool     v6;
    uint8_t  dst6[16], src6[16];    /* IPv6: the destination, the sources' first 12 bytes */
    uint16_t dport, sport_lo, sport_hi;
    double   rate, duration;
    uint64_t count;
    bool     have_dmac, have_smac;
    uint8_t  dmac[6], smac[6];
    unsigned batch;
};

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "synsend: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until_ns(uint64_t t)
{
    struct timespec ts = { .tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
        ;
}

static bool lab_addr(uint32_t a) { return (a & 0xfffe0000u) == 0xc6120000u; }   /* 198.18/15 */
static bool lab_addr6(const uint8_t *a) { return a[0] == 0x20 && a[1] == 1 && a[2] == 0 && a[3] == 2 && a[4] == 0 && a[5] == 0; }

static bool parse_ip(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return false;
    *out = ntohl(a.s_addr);
    return true;
}

static bool parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255)
            return false;
        m[i] = (uint8_t)v[i];
    }
    return true;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static bool parse_src(const char *s, uint32_t *lo, uint32_t *hi)
{
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash++ = '\0';
    if (!parse_ip(buf, lo))
        return false;
    *hi = *lo;
    return !dash || (parse_ip(dash, hi) && *hi >= *lo);
}

static bool parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
    unsigned a, b;
    char tail;
    int n = sscanf(s, "%u-%u%c", &a, &b, &tail);
    if (n == 1)
        b = a;
    else if (n != 2)
        return false;
    if (a == 0 || a > 65535 || b > 65535 || b < a)
        return false;
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return true;
}

/* An IPv6 "A[-B]" whose addresses differ in their low 32 bits at most. */
static bool parse_src6(const char *s, struct opts *o)
{
    char buf[100];
    uint8_t a[16], b[16];
    if (strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash++ = '\0';
    if (inet_pton(AF_INET6, buf, a) != 1 || (dash && inet_pton(AF_INET6, dash, b) != 1))
        return false;
    if (!dash)
        memcpy(b, a, 16);
    memcpy(o->src6, a, 12);
    o->src_lo = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
    o->src_hi = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
    return memcmp(a, b, 12) == 0 && o->src_hi >= o->src_lo;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    enum { O_DST = 256, O_DPORT, O_SRC, O_SPORTS, O_RATE, O_COUNT, O_DUR, O_DMAC, O_SMAC, O_BATCH };
    static const struct option lo[] = {
        { "iface", required_argument, NULL, 'i' }, { "dst", required_argument, NULL, O_DST },
        { "dport", required_argument, NULL, O_DPORT }, { "src", required_argument, NULL, O_SRC },
        { "sports", required_argument, NULL, O_SPORTS }, { "rate", required_argument, NULL, O_RATE },
        { "count", required_argument, NULL, O_COUNT }, { "duration", required_argument, NULL, O_DUR },
        { "dmac", required_argument, NULL, O_DMAC }, { "smac", required_argument, NULL, O_SMAC },
        { "batch", required_argument, NULL, O_BATCH }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    o->dport = 80;
    o->sport_lo = 1024;
    o->sport_hi = 65535;
    o->batch = 64;
    bool have_src = false;
    int c;
    uint64_t v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "i:h", lo, NULL)) != -1) {
        switch (c) {
        case 'i': o->ifname = optarg; break;
        case O_DST:
            o->v6 = strchr(optarg, ':') != NULL;
            if (o->v6 ? inet_pton(AF_INET6, optarg, o->dst6) != 1 : !parse_ip(optarg, &o->dst))
                return usage_error("bad --dst address", optarg);
            if (o->v6)
                o->dst = 1;
            break;
        case O_DPORT:
            if (!parse_u64(optarg, 1, 65535, &v)) return usage_error("bad --dport (1-65535)", optarg);
            o->dport = (uint16_t)v;
            break;
        case O_SRC:
            if (strchr(optarg, ':') ? !parse_src6(optarg, o) : !parse_src(optarg, &o->src_lo, &o->src_hi))
                return usage_error("bad --src (IP or IP-IP)", optarg);
            have_src = true;
            break;
        case O_SPORTS:
            if (!parse_ports(optarg, &o->sport_lo, &o->sport_hi))
                return usage_error("bad --sports (LO-HI within 1-65535)", optarg);
            break;
        case O_RATE:
            if (!parse_double(optarg, 0, 1e8, &o->rate)) return usage_error("bad --rate (packets a second, 0 = unpaced)", optarg);
            break;
        case O_COUNT:
            if (!parse_u64(optarg, 1, UINT64_MAX / 2, &o->count)) return usage_error("bad --count", optarg);
            break;
        case O_DUR:
            if (!parse_double(optarg, 0.001, 86400, &o->duration)) return usage_error("bad --duration (seconds)", optarg);
            break;
        case O_DMAC: if (!parse_mac(optarg, o->dmac)) return usage_error("bad --dmac", optarg); o->have_dmac = true; break;
        case O_SMAC: if (!parse_mac(optarg, o->smac)) return usage_error("bad --smac", optarg); o->have_smac = true; break;
        case O_BATCH:
            if (!parse_u64(optarg, 1, BATCH_MAX, &v)) return usage_error("bad --batch (1-256)", optarg);
            o->batch = (unsigned)v;
            break;
        case 'h':
            printf("usage: synsend -i IFACE --dst IP [--dport N] [--src IP[-IP]] [--sports LO-HI]\n"
                   "               [--rate PPS] (--count N | --duration S) [--dmac MAC] [--smac MAC] [--batch N]\n");
            return 1;
        default:
            return usage_error("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (!o->ifname)
        return usage_error("-i IFACE is required", NULL);
    if (!o->dst)
        return usage_error("--dst IP is required", NULL);
    if (o->v6) {
        static const uint8_t dflt[12] = { 0x20, 0x01, 0, 2, 0, 0, 0, 1 };   /* 2001:2:0:1:: */
        if (!have_src) {
            memcpy(o->src6, dflt, 12);
            o->src_lo = o->src_hi = 1;
        }
        if (!lab_addr6(o->dst6) || !lab_addr6(o->src6))
            return usage_error("lab tool: addresses must be in 2001:2::/48", NULL);
        if (!o->have_dmac)
            return usage_error("IPv6 needs --dmac (no neighbour discovery here)", NULL);
    } else {
        if (!have_src)
            o->src_lo = o->src_hi = 0xc6120101u;   /* 198.18.1.1 */
        if (!lab_addr(o->dst) || !lab_addr(o->src_lo) || !lab_addr(o->src_hi))
            return usage_error("lab tool: addresses must be in 198.18.0.0/15", NULL);
    }
    if (!o->count && o->duration == 0)
        return usage_error("give --count N or --duration S", NULL);
    return 0;
}

static uint16_t csum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
    for (; n > 1; n -= 2, p += 2)
        s += (uint32_t)p[0] << 8 | p[1];
    if (n)
        s += (uint32_t)p[0] << 8;
    return s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* The fixed part of every SYN, shaped like a Linux connect(): DF, TTL 64, window 64240,
 * options mss 1460, sackOK, TS, nop, wscale 7. */
static size_t iphl(const struct opts *o) { return o->v6 ? 40 : 20; }

static void frame_template(uint8_t *f, const struct opts *o)
{
    memset(f, 0, FRAME_LEN);
    memcpy(f, o->dmac, 6);
    memcpy(f + 6, o->smac, 6);
    uint8_t *ip = f + 14;
    if (o->v6) {
        put16(f + 12, 0x86dd);
        ip[0] = 0x60;
        put16(ip + 4, 40);
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, o->src6, 12);
        memcpy(ip + 24, o->dst6, 16);
    } else {
        put16(f + 12, 0x0800);
        ip[0] = 0x45;
        put16(ip + 2, 20 + 40);
        put16(ip + 6, 0x4000);
        ip[8] = 64;
        ip[9] = 6;
        put32(ip + 16, o->dst);
    }
    uint8_t *th = ip + iphl(o);
    put16(th + 2, o->dport);
    th[12] = 10 << 4;
    th[13] = 0x02;
    put16(th + 14, 64240);
    static const uint8_t opt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7 };
    memcpy(th + 20, opt, sizeof opt);
    if (o->v6)
        put16(th + 22, 1440);
}

static uint32_t mix32(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
    return (uint32_t)(x ^ (x >> 33));
}

/* SYN number i: its flow is i modulo the flow space, source port varying fastest. */
static void frame_fill(uint8_t *f, const struct opts *o, uint64_t i, uint64_t nflows, uint64_t salt)
{
    uint64_t k = i % nflows;
    uint32_t nports = (uint32_t)o->sport_hi - o->sport_lo + 1;
    uint16_t sport = (uint16_t)(o->sport_lo + k % nports);
    uint32_t src = o->src_lo + (uint32_t)(k / nports);
    uint8_t *ip = f + 14, *th = ip + iphl(o);
    uint32_t s;
    if (o->v6) {
        put32(ip + 20, src);
        s = csum_add(0, ip + 8, 32);
    } else {
        put16(ip + 4, (uint16_t)mix32(i ^ salt));
        put32(ip + 12, src);
        put16(ip + 10, 0);
        put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
        s = csum_add(0, ip + 12, 8);
    }
    put16(th, sport);
    put32(th + 4, mix32(i * 0x9e3779b97f4a7c15ULL ^ salt));
    put32(th + 28, (uint32_t)(i + 1));   /* TSval */
    put16(th + 16, 0);
    s += 6 + 40;
    put16(th + 16, csum_fold(csum_add(s, th, 40)));
}

static int iface_setup(int fd, const char *ifname, int *ifindex, uint8_t mac[6], bool want_mac)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (strlen(ifname) >= sizeof ifr.ifr_name) {
        fprintf(stderr, "synsend: no such interface: %s\n", ifname);
        return -1;
    }
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
        fprintf(stderr, "synsend: no such interface: %s\n", ifname);
        return -1;
    }
    *ifindex = ifr.ifr_ifindex;
    if (want_mac) {
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
            fprintf(stderr, "synsend: cannot read the MAC of %s: %s\n", ifname, strerror(errno));
            return -1;
        }
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    }
    return 0;
}

/* Ask who has o->dst, from the first source address; three tries, 300 ms apart. */
static int arp_resolve(struct opts *o, int ifindex)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
    if (fd < 0) {
        fprintf(stderr, "synsend: ARP socket: %s\n", strerror(errno));
        return -1;
    }
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
                               .sll_ifindex = ifindex };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        fprintf(stderr, "synsend: ARP bind: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    uint8_t req[42];
    memset(req, 0xff, 6);
    memcpy(req + 6, o->smac, 6);
    put16(req + 12, 0x0806);
    put16(req + 14, 1);
    put16(req + 16, 0x0800);
    req[18] = 6;
    req[19] = 4;
    put16(req + 20, 1);
    memcpy(req + 22, o->smac, 6);
    put32(req + 28, o->src_lo);
    memset(req + 32, 0, 6);
    put32(req + 38, o->dst);
    for (int tries = 0; tries < 3 && !stop; tries++) {
        if (send(fd, req, sizeof req, 0) < 0) {
            fprintf(stderr, "synsend: ARP send: %s\n", strerror(errno));
            break;
        }
        uint64_t until = now_ns() + 300000000u;
        for (uint64_t t; (t = now_ns()) < until && !stop;) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, (int)((until - t) / 1000000u) + 1) <= 0)
                continue;
            uint8_t b[128];
            ssize_t n = recv(fd, b, sizeof b, 0);
            if (n >= 42 && b[12] == 0x08 && b[13] == 0x06 && b[21] == 2 &&
                ((uint32_t)b[28] << 24 | (uint32_t)b[29] << 16 | (uint32_t)b[30] << 8 | b[31]) == o->dst) {
                memcpy(o->dmac, b + 22, 6);
                close(fd);
                return 0;
            }
        }
    }
    close(fd);
    struct in_addr a = { htonl(o->dst) };
    fprintf(stderr, "synsend: no ARP answer for %s on %s (give --dmac)\n", inet_ntoa(a), o->ifname);
    return -1;
}

int main(int argc, char **argv)
{
    struct opts o;
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    int fd = socket(AF_PACKET, SOCK_RAW, 0);   /* protocol 0: send only, nothing queued to us */
    if (fd < 0) {
        fprintf(stderr, "synsend: packet socket: %s%s\n", strerror(errno),
                errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
        return 1;
    }
    int ifindex;
    if (iface_setup(fd, o.ifname, &ifindex, o.smac, !o.have_smac) != 0)
        return 1;
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        fprintf(stderr, "synsend: bind to %s: %s\n", o.ifname, strerror(errno));
        return 1;
    }
    int one = 1, sndbuf = 4 << 20;
    (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!o.have_dmac && arp_resolve(&o, ifindex) != 0)
        return 1;

    uint64_t nflows = (uint64_t)(o.src_hi - o.src_lo + 1) * ((uint64_t)o.sport_hi - o.sport_lo + 1);
    if (o.count > nflows)
        fprintf(stderr, "synsend: warning: %llu SYNs over %llu distinct flows: flows repeat\n",
                (unsigned long long)o.count, (unsigned long long)nflows);

    static uint8_t frames[BATCH_MAX][FRAME_LEN];
    struct iovec iov[BATCH_MAX];
    struct mmsghdr msg[BATCH_MAX];
    memset(msg, 0, sizeof msg);
    for (unsigned b = 0; b < BATCH_MAX; b++) {
        frame_template(frames[b], &o);
        iov[b].iov_base = frames[b];
        iov[b].iov_len = o.v6 ? FRAME_LEN : FRAME_LEN4;
        msg[b].msg_hdr.msg_iov = &iov[b];
        msg[b].msg_hdr.msg_iovlen = 1;
    }
    uint64_t salt = now_ns() * 0x9e3779b97f4a7c15ULL;
    double ns_per = o.rate > 0 ? 1e9 / o.rate : 0;
    uint64_t t0 = now_ns();
    uint64_t t_end = o.duration > 0 ? t0 + (uint64_t)(o.duration * 1e9) : UINT64_MAX;
    /* tried = sent + errors: the schedule and --count follow frames tried, so a socket that
     * refuses frames cannot keep the loop going forever */
    uint64_t t_last = t0;
    uint64_t tried = 0, sent = 0, errors = 0, limit = o.count ? o.count : UINT64_MAX;
    int last_errno = 0;
    while (!stop && tried < limit) {
        uint64_t now = now_ns();
        if (now >= t_end)
            break;
        uint64_t want = limit - tried < o.batch ? limit - tried : o.batch;
        if (ns_per > 0) {
            /* every packet whose deadline has passed, but never more than one batch */
            uint64_t due = (uint64_t)((double)(now - t0) / ns_per) + 1;
            if (due <= tried) {
                uint64_t next = t0 + (uint64_t)((double)tried * ns_per);
                sleep_until_ns(next < t_end ? next : t_end);
                continue;
            }
            if (due - tried < want)
                want = due - tried;
        }
        for (unsigned b = 0; b < want; b++)
            frame_fill(frames[b], &o, tried + b, nflows, salt);
        unsigned done = 0;
        while (done < want && !stop) {
            int r = sendmmsg(fd, msg + done, (unsigned)(want - done), 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                /* ENOBUFS and the like: that frame is lost, the schedule goes on */
                last_errno = errno;
                errors++;
                done++;
                continue;
            }
            done += (unsigned)r;
            sent += (unsigned)r;
            t_last = now_ns();
        }
        tried += done;
    }
    double el = (double)(now_ns() - t0) / 1e9;
    /* --count N spans N-1 intervals (the first frame leaves at once); --duration is the span */
    double rate = o.count && !o.duration && sent > 1 && t_last > t0
                  ? (double)(sent - 1) / ((double)(t_last - t0) / 1e9)
                  : el > 0 ? (double)sent / el : 0.0;
    printf("synsend: sent=%llu flows=%llu elapsed=%.3f rate=%.0f target=%.0f errors=%llu\n",
           (unsigned long long)sent, (unsigned long long)(tried < nflows ? tried : nflows), el,
           rate, o.rate, (unsigned long long)errors);
    if (errors)
        fprintf(stderr, "synsend: %llu frames not sent (last error: %s)\n",
                (unsigned long long)errors, strerror(last_errno));
    close(fd);
    return 0;
}
