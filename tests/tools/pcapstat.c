/* SYN -> answer latency from a capture, for the benchmarks. Each SYN (no ACK) is paired
 * with the first SYN-ACK or RST that comes back on the same 4-tuple reversed; the gap is
 * the answer latency as seen where the capture was taken. A tuple that is answered and
 * then sees a new SYN starts a new pair.
 *
 *   pcapstat FILE [--target IP] [--delay-ms MS]
 *
 * IPv4 and IPv6 (no extension headers). --target keeps only SYNs sent to IP. --delay-ms adds the error of each gap against the
 * expected delay (delay mode). Output, one line each, key=value:
 *   pcapstat: syns=N answered=N synack=N rst=N min_us= p50_us= p90_us= p99_us= max_us= mean_us=
 *   pcapstat: delay_ms=D err_min_us= err_p50_us= err_max_us= abs_p50_us= abs_p99_us= abs_max_us= under=N
 * Exit 2 on a usage error, 1 when the file cannot be read. Build:
 *   cc -std=c11 -D_GNU_SOURCE -O2 -o build/tools/pcapstat tests/tools/pcapstat.c -lpcap */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
    uint32_t caddr, saddr;      /* SYN source (client) and destination */
    uint16_t cport, sport;
    bool     used, waiting;     /* waiting: SYN seen, no answer yet */
    int64_t  syn_ns;
};

struct table {
    struct pair *v;
    size_t cap, n;
};

struct stats {
    int64_t *lat;               /* nanoseconds */
    size_t n, cap;
    uint64_t syns, synack, rst;
};

static uint64_t tuple_hash(uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp)
{
    uint64_t x = ((uint64_t)ca << 32 | sa) ^ ((uint64_t)cp << 16 | sp) * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 31; x *= 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 29);
}

static struct pair *slot(struct table *t, uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp, bool add);

static bool grow(struct table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 4096;
    struct pair *nv = calloc(ncap, sizeof *nv);
    if (!nv)
        return false;
    struct table old = *t;
    t->v = nv;
    t->cap = ncap;
    t->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.v[i].used)
            *slot(t, old.v[i].caddr, old.v[i].cport, old.v[i].saddr, old.v[i].sport, true) = old.v[i];
    free(old.v);
    return true;
}

/* Open addressing, linear probing; add creates the slot (NULL only when out of memory). */
static struct pair *slot(struct table *t, uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp, bool add)
{
    if (add && (t->n + 1) * 2 > t->cap && !grow(t))
        return NULL;
    if (!t->cap)
        return NULL;
    for (size_t i = tuple_hash(ca, cp, sa, sp) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct pair *p = &t->v[i];
        if (!p->used) {
            if (!add)
                return NULL;
            p->used = true;
            p->caddr = ca; p->cport = cp; p->saddr = sa; p->sport = sp;
            t->n++;
            return p;
        }
        if (p->caddr == ca && p->cport == cp && p->saddr == sa && p->sport == sp)
            return p;
    }
}

static bool push(struct stats *s, int64_t v)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4096;
        int64_t *nv = realloc(s->lat, nc * sizeof *nv);
        if (!nv)
            return false;
        s->lat = nv;
        s->cap = nc;
    }
    s->lat[s->n++] = v;
    return true;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* The IPv4 or IPv6 header inside a captured frame, or NULL. */
static const uint8_t *ip_of(int dlt, const uint8_t *d, size_t len, size_t *iplen)
{
    size_t off;
    uint16_t et;
    switch (dlt) {
    case DLT_EN10MB:
        if (len < 14)
            return NULL;
        et = rd16(d + 12);
        off = 14;
        if ((et == 0x8100 || et == 0x88a8) && len >= 18) {
            et = rd16(d + 16);
            off = 18;
        }
        break;
    case DLT_LINUX_SLL:
        if (len < 16)
            return NULL;
        et = rd16(d + 14);
        off = 16;
        break;
    case DLT_LINUX_SLL2:
        if (len < 20)
            return NULL;
        et = rd16(d);
        off = 20;
        break;
    case DLT_RAW:
    case DLT_IPV4:
        et = 0x0800;
        off = 0;
        break;
    default:
        return NULL;
    }
    if (et == 0x86dd && len >= off + 40 && (d[off] >> 4) == 6) {
        *iplen = len - off;
        return d + off;
    }
    if (et != 0x0800 || len < off + 20 || (d[off] >> 4) != 4)
        return NULL;
    *iplen = len - off;
    return d + off;
}

static uint32_t fold6(const uint8_t *a)
{
    return rd32(a) ^ rd32(a + 4) ^ rd32(a + 8) ^ rd32(a + 12);
}

struct ctx {
    struct table t;
    struct stats s;
    uint32_t target;
    bool have_target, oom;
    int dlt;
    bool nano;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
    struct ctx *c = (struct ctx *)(void *)user;
    size_t len;
    const uint8_t *ip = ip_of(c->dlt, d, h->caplen, &len);
    if (!ip)
        return;
    bool v6 = (ip[0] >> 4) == 6;
    size_t ihl = v6 ? 40 : (size_t)(ip[0] & 15) * 4;
    if (v6 ? ip[6] != 6 : (ip[9] != 6 || ihl < 20 || (rd16(ip + 6) & 0x1fff)))
        return;
    if (len < ihl + 14)
        return;
    const uint8_t *th = ip + ihl;
    /* IPv6: the addresses folded to 32 bits, which keeps the lab's apart */
    uint32_t src = v6 ? fold6(ip + 8) : rd32(ip + 12), dst = v6 ? fold6(ip + 24) : rd32(ip + 16);
    uint16_t sp = rd16(th), dp = rd16(th + 2);
    uint8_t fl = th[13];
    int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * (c->nano ? 1 : 1000);
    if ((fl & 0x12) == 0x02) {                       /* SYN without ACK */
        if (c->have_target && dst != c->target)
            return;
        struct pair *p = slot(&c->t, src, sp, dst, dp, true);
        if (!p) {
            c->oom = true;
            return;
        }
        if (!p->waiting) {                           /* a retransmitted SYN keeps the first */
            p->waiting = true;
            p->syn_ns = ts;
            c->s.syns++;
        }
        return;
    }
    bool synack = (fl & 0x12) == 0x12, rst = (fl & 0x04) != 0;
    if (!synack && !rst)
        return;
    struct pair *p = slot(&c->t, dst, dp, src, sp, false);
    if (!p || !p->waiting || ts < p->syn_ns)
        return;
    p->waiting = false;
    if (synack)
        c->s.synack++;
    else
        c->s.rst++;
    if (!push(&c->s, ts - p->syn_ns))
        c->oom = true;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const int64_t *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)v[k - 1] / 1000.0;
}

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, "pcapstat: %s%s%s\nusage: pcapstat FILE [--target IP] [--delay-ms MS]\n",
            msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    static struct ctx c;
    const char *file = NULL;
    double delay_ms = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--target") && i + 1 < argc) {
            struct in_addr a;
            uint8_t a6[16];
            if (inet_pton(AF_INET, argv[++i], &a) == 1)
                c.target = ntohl(a.s_addr);
            else if (inet_pton(AF_INET6, argv[i], a6) == 1)
                c.target = fold6(a6);
            else
                return usage("bad --target address", argv[i]);
            c.have_target = true;
        } else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc) {
            char *end;
            errno = 0;
            delay_ms = strtod(argv[++i], &end);
            if (errno || *end || end == argv[i] || !(delay_ms >= 0 && delay_ms < 1e7))
                return usage("bad --delay-ms", argv[i]);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: pcapstat FILE [--target IP] [--delay-ms MS]\n");
            return 0;
        } else if (argv[i][0] == '-' || file) {
            return usage("unexpected argument", argv[i]);
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return usage("no capture file given", NULL);
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        fprintf(stderr, "pcapstat: %s\n", ebuf);
        return 1;
    }
    c.dlt = pcap_datalink(p);
    c.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    if (pcap_loop(p, -1, on_packet, (u_char *)&c) == PCAP_ERROR)
        /* a file cut short (capture killed) still gives what it holds */
        fprintf(stderr, "pcapstat: %s: %s (using what was read)\n", file, pcap_geterr(p));
    pcap_close(p);
    if (c.oom) {
        fprintf(stderr, "pcapstat: out of memory\n");
        return 1;
    }
    struct stats *s = &c.s;
    qsort(s->lat, s->n, sizeof *s->lat, cmp64);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += (double)s->lat[i];
    printf("pcapstat: syns=%llu answered=%zu synack=%llu rst=%llu min_us=%.1f p50_us=%.1f "
           "p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n",
           (unsigned long long)s->syns, s->n, (unsigned long long)s->synack,
           (unsigned long long)s->rst, s->n ? (double)s->lat[0] / 1000.0 : 0.0,
           pct(s->lat, s->n, 0.5), pct(s->lat, s->n, 0.9), pct(s->lat, s->n, 0.99),
           s->n ? (double)s->lat[s->n - 1] / 1000.0 : 0.0, s->n ? sum / (double)s->n / 1000.0 : 0.0);
    if (delay_ms >= 0) {
        int64_t want = (int64_t)(delay_ms * 1e6);
        size_t under = 0;
        int64_t *err = malloc((s->n ? s->n : 1) * sizeof *err);
        int64_t *abserr = malloc((s->n ? s->n : 1) * sizeof *abserr);
        if (!err || !abserr) {
            free(err);
            free(abserr);
            fprintf(stderr, "pcapstat: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < s->n; i++) {
            err[i] = s->lat[i] - want;               /* sorted, since lat is */
            abserr[i] = err[i] < 0 ? -err[i] : err[i];
            under += err[i] < 0;
        }
        qsort(abserr, s->n, sizeof *abserr, cmp64);
        printf("pcapstat: delay_ms=%g err_min_us=%.1f err_p50_us=%.1f err_max_us=%.1f "
               "abs_p50_us=%.1f abs_p99_us=%.1f abs_max_us=%.1f under=%zu\n", delay_ms,
               s->n ? (double)err[0] / 1000.0 : 0.0, pct(err, s->n, 0.5),
               s->n ? (double)err[s->n - 1] / 1000.0 : 0.0, pct(abserr, s->n, 0.5),
               pct(abserr, s->n, 0.99), s->n ? (double)abserr[s->n - 1] / 1000.0 : 0.0, under);
        free(err);
        free(abserr);
    }
    free(s->lat);
    free(c.t.v);
    return 0;
}
