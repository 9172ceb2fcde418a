/* xgen: write a large synthetic capture for `scripts/bench explain`: CONNS TCP connections
 * (default 1,000,000) as crafted Ethernet frames through pcap_dump, 64 at a time
 * interleaved, most of them ordinary (handshake, request, a 3-segment response, FINs both
 * ways) and 1% ending in each reset cause the way a Linux peer or an on-path device ends
 * it. Frames are cut at 128 bytes as `tcpdump -s 128` would; lengths stay real.
 *
 *     xgen OUT.pcap [CONNS]
 *
 * Addresses: clients 198.18.0.0/16 (TTL 64), servers 198.19.0.1-100 (TTL 63, one hop away);
 * the firewall's and the injector's resets carry TTL 64 and 50. Prints the packet count. */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP 128
#define BATCH 64
#define MAXP 24

enum { NORMAL, CLOSED, NOANS, ABORT, ABORTIVE, AFTERCLOSE, BACKLOG, STALE, KEEPALIVE, INJECT,
       REJECT, CHALLENGE, NKIND };

struct pkt {
    double t;
    int from_server;
    uint8_t flags, ttl;
    uint32_t seq, ack;
    uint16_t len, win, id;
    uint8_t df;
};

struct conn {
    uint32_t cip, sip;
    uint16_t cport, sport;
    uint32_t cisn, sisn;
    uint16_t cid, sid;
    int n;
    struct pkt p[MAXP];
};

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void add(struct conn *c, double t, int srv, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t len)
{
    struct pkt *p = &c->p[c->n++];
    p->t = t;
    p->from_server = srv;
    p->flags = flags;
    p->seq = seq;
    p->ack = ack;
    p->len = len;
    p->ttl = srv ? 63 : 64;
    p->win = (flags & 0x04) ? 0 : (flags & 0x02 ? 64240 : 502);
    p->id = srv ? c->sid++ : c->cid++;
    p->df = 1;
    if ((flags & 0x04) && !(flags & 0x10))
        p->id = 0;
}

/* seq/ack relative to the ISNs */
#define C(t, f, s, a, l) add(c, t0 + (t), 0, f, c->cisn + (s), c->sisn + (a), l)
#define S(t, f, s, a, l) add(c, t0 + (t), 1, f, c->sisn + (s), c->cisn + (a), l)
enum { F = 0x01, SY = 0x02, R = 0x04, P = 0x08, A = 0x10 };

static void handshake(struct conn *c, double t0)
{
    add(c, t0, 0, SY, c->cisn, 0, 0);
    add(c, t0 + 0.0002, 1, SY | A, c->sisn, c->cisn + 1, 0);
    C(0.0004, A, 1, 1, 0);
}

static void build(struct conn *c, int kind, double t0)
{
    c->n = 0;
    switch (kind) {
    case CLOSED:
        add(c, t0, 0, SY, c->cisn, 0, 0);
        add(c, t0 + 0.0002, 1, R | A, 0, c->cisn + 1, 0);
        return;
    case REJECT:
        add(c, t0, 0, SY, c->cisn, 0, 0);
        add(c, t0 + 0.0001, 1, R | A, 0, c->cisn + 1, 0);
        c->p[1].ttl = 64;
        return;
    case NOANS:
        for (int i = 0; i < 3; i++)
            add(c, t0 + (i ? (i == 1 ? 1.0 : 3.0) : 0), 0, SY, c->cisn, 0, 0);
        return;
    case ABORT:
        add(c, t0, 0, SY, c->cisn, 0, 0);
        add(c, t0 + 0.3, 1, SY | A, c->sisn, c->cisn + 1, 0);
        add(c, t0 + 0.3001, 0, R, c->cisn + 1, 0, 0);
        return;
    case BACKLOG:
        handshake(c, t0);
        C(0.0005, P | A, 1, 1, 100);
        S(0.0006, R, 1, 0, 0);
        c->p[c->n - 1].ack = 0;
        return;
    default:
        break;
    }
    handshake(c, t0);
    C(0.0005, P | A, 1, 1, 200);
    S(0.0007, A, 1, 201, 0);
    switch (kind) {
    case ABORTIVE:
        S(0.1, R | A, 1, 201, 0);
        c->p[c->n - 1].win = 502;
        return;
    case AFTERCLOSE:
        S(0.05, F | A, 1, 201, 0);
        C(0.0502, A, 201, 2, 0);
        C(0.3, P | A, 201, 2, 300);
        S(0.3002, R, 2, 0, 0);
        c->p[c->n - 1].ack = 0;
        return;
    case STALE:
        S(0.001, P | A, 1, 201, 100);
        C(0.0012, A, 201, 101, 0);
        C(5.0, P | A, 201, 101, 50);
        S(5.0002, R, 101, 0, 0);
        c->p[c->n - 1].ack = 0;
        return;
    case KEEPALIVE:
        S(0.001, P | A, 1, 201, 100);
        C(0.0012, A, 201, 101, 0);
        C(1.0, A, 200, 101, 0);
        C(2.0, A, 200, 101, 0);
        C(3.0, R | A, 201, 101, 0);
        c->p[c->n - 1].win = 502;
        return;
    case INJECT:
        S(0.001, P | A, 1, 201, 1000);
        S(0.0011, R | A, 1001, 201, 0);
        c->p[c->n - 1].ttl = 50;
        c->p[c->n - 1].df = 0;
        c->p[c->n - 1].win = 8192;
        S(0.1, P | A, 1001, 201, 1000);
        C(0.1002, R, 201, 0, 0);
        c->p[c->n - 1].ack = 0;
        return;
    case CHALLENGE:
        S(0.001, P | A, 1, 201, 1000);
        S(0.0011, R, 1778, 0, 0);      /* in the window, off every segment boundary */
        c->p[c->n - 1].ttl = 64;
        C(0.0012, A, 201, 1001, 0);
        S(0.1, P | A, 1001, 201, 1000);
        C(0.1002, A, 201, 2001, 0);
        S(0.1003, F | A, 2001, 201, 0);
        C(0.1004, F | A, 201, 2002, 0);
        S(0.1005, A, 2002, 202, 0);
        return;
    default:
        break;
    }
    /* normal: a 3-segment response, FINs both ways */
    S(0.001, A, 1, 201, 1448);
    S(0.0011, A, 1449, 201, 1448);
    S(0.0012, P | A, 2897, 201, 500);
    C(0.0013, A, 201, 3397, 0);
    C(0.002, F | A, 201, 3397, 0);
    S(0.0021, F | A, 3397, 202, 0);
    C(0.0022, A, 202, 3398, 0);
}

static size_t frame(uint8_t *b, const struct conn *c, const struct pkt *p, uint32_t *wire)
{
    static const uint8_t cmac[6] = { 2, 0, 0, 0, 0, 1 }, smac[6] = { 2, 0, 0, 0, 0, 2 };
    memcpy(b, p->from_server ? cmac : smac, 6);
    memcpy(b + 6, p->from_server ? smac : cmac, 6);
    b[12] = 0x08;
    b[13] = 0x00;
    uint8_t *ip = b + 14, *th = ip + 20;
    uint16_t tot = (uint16_t)(40 + p->len);
    uint32_t src = p->from_server ? c->sip : c->cip, dst = p->from_server ? c->cip : c->sip;
    uint16_t sp = p->from_server ? c->sport : c->cport, dp = p->from_server ? c->cport : c->sport;
    ip[0] = 0x45;
    ip[1] = 0;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[4] = (uint8_t)(p->id >> 8);
    ip[5] = (uint8_t)p->id;
    ip[6] = p->df ? 0x40 : 0;
    ip[7] = 0;
    ip[8] = p->ttl;
    ip[9] = 6;
    ip[10] = ip[11] = 0;
    uint32_t s = htonl(src), d = htonl(dst);
    memcpy(ip + 12, &s, 4);
    memcpy(ip + 16, &d, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8);
    ip[11] = (uint8_t)~sum;
    uint32_t seq = htonl(p->seq), ack = htonl(p->ack);
    th[0] = (uint8_t)(sp >> 8);
    th[1] = (uint8_t)sp;
    th[2] = (uint8_t)(dp >> 8);
    th[3] = (uint8_t)dp;
    memcpy(th + 4, &seq, 4);
    memcpy(th + 8, &ack, 4);
    th[12] = 5 << 4;
    th[13] = p->flags;
    th[14] = (uint8_t)(p->win >> 8);
    th[15] = (uint8_t)p->win;
    memset(th + 16, 0, 4);
    *wire = 54u + p->len;
    memset(th + 20, 'x', SNAP - 54);
    return *wire < SNAP ? *wire : SNAP;
}

struct ev { double t; int c, i; };

static int cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: xgen OUT.pcap [CONNS]\n");
        return 2;
    }
    long conns = argc > 2 ? atol(argv[2]) : 1000000;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAP);
    pcap_dumper_t *d = pcap_dump_open(dead, argv[1]);
    if (!d) {
        fprintf(stderr, "xgen: %s\n", pcap_geterr(dead));
        return 3;
    }
    static struct conn cs[BATCH];
    static struct ev evs[BATCH * MAXP];
    uint8_t buf[SNAP];
    uint64_t packets = 0, kinds[NKIND] = { 0 };
    double base = 1700000000.0;
    for (long start = 0; start < conns; start += BATCH) {
        int nb = (int)(conns - start < BATCH ? conns - start : BATCH), ne = 0;
        for (int k = 0; k < nb; k++) {
            long id = start + k;
            struct conn *c = &cs[k];
            c->cip = (198u << 24 | 18u << 16) | (uint32_t)(id / 20000 % 65536);
            c->cport = (uint16_t)(10000 + id % 20000 * 2 + 1);
            c->sip = (198u << 24 | 19u << 16) | (uint32_t)(1 + id / 7 % 100);
            c->sport = (uint16_t)(id % 3 ? 443 : 80);
            c->cisn = rnd();
            c->sisn = rnd();
            c->cid = (uint16_t)rnd();
            c->sid = (uint16_t)rnd();
            int kind = (int)(id % 100) < NKIND - 1 ? (int)(id % 100) + 1 : NORMAL;
            kinds[kind]++;
            build(c, kind, base + k * 0.00005);
            for (int i = 0; i < c->n; i++)
                evs[ne++] = (struct ev){ c->p[i].t, k, i };
        }
        qsort(evs, (size_t)ne, sizeof evs[0], cmp_ev);
        double last = base;
        for (int e = 0; e < ne; e++) {
            const struct conn *c = &cs[evs[e].c];
            const struct pkt *p = &c->p[evs[e].i];
            uint32_t wire;
            size_t cap = frame(buf, c, p, &wire);
            struct pcap_pkthdr h;
            h.ts.tv_sec = (time_t)p->t;
            h.ts.tv_usec = (suseconds_t)((p->t - (double)(time_t)p->t) * 1e6);
            h.caplen = (uint32_t)cap;
            h.len = wire;
            pcap_dump((u_char *)d, &h, buf);
            packets++;
            last = p->t;
        }
        base = last + 0.0001;
    }
    pcap_dump_close(d);
    pcap_close(dead);
    printf("%llu packets, %ld connections", (unsigned long long)packets, conns);
    for (int k = 1; k < NKIND; k++)
        printf(", %llu kind%d", (unsigned long long)kinds[k], k);
    printf("\n");
    return 0;
}
