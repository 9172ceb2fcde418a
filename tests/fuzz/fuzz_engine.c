/* libFuzzer target, stateful: the input is a program of steps driven into the real engine
 * (every mode at once, one port each, a small flow table) through its recording send hook:
 * valid handshakes, data, FINs and RSTs of several flows (half of them over IPv6), mutated
 * copies of them, random frames, and timer ticks between them.
 *
 * Invariants, checked after every step:
 *   - the flow table stays within its size;
 *   - every frame sent parses (pkt_parse) with no error, comes from our MAC, and is sent
 *     only for an address we own (IPv4 or IPv6 source, ARP sender);
 *   - the IP length fits the frame, and the IP, TCP, ICMP and ICMPv6 checksums verify;
 *   - a RST is never answered with a RST. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "csum.h"
#include "engine.h"
#include "mode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWNED   0xc612000au   /* 198.18.0.10 */
#define FOREIGN 0xc6120063u   /* 198.18.0.99: nobody's here */
#define CLIENT0 0xc6120001u   /* 198.18.0.1 .. .4 */
static const uint8_t owned6[16] = { 0x20, 0x01, 0, 2, [15] = 0x10 };    /* 2001:2::10 */
static const uint8_t foreign6[16] = { 0x20, 0x01, 0, 2, [15] = 0x63 };  /* 2001:2::63 */
#define MAX_FLOWS 16
#define NFLOWS 6
#define MAX_OUT 256

static const uint8_t our_mac[6] = { 2, 0, 0, 0, 0, 10 };
static const uint8_t their_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const char rules[] =
    "* 80 open echo\n* 81 rst\n* 82 silent\n* 83 delay delay=30\n"
    "* 84 unread read=10\n* 85 after-close\n* 86 backlog backlog=2\n"
    "* 87 backlog backlog=1 abort-on-overflow\n";

static struct {
    uint8_t buf[MAX_OUT][2048];
    size_t len[MAX_OUT];
    int n;
    bool lost;
} out;

static int record(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    if (out.n < MAX_OUT && len <= sizeof out.buf[0]) {
        memcpy(out.buf[out.n], frame, len);
        out.len[out.n++] = len;
    } else {
        out.lost = true;   /* checked no further, but never silently: */
        if (len > sizeof out.buf[0])
            abort();       /* nothing we send is that large with these rules */
    }
    return 0;
}

struct cflow {
    bool     v6;
    uint8_t  saddr6[16], daddr6[16];
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, peer;   /* our next sequence number; the responder's, as last seen */
};

struct input {
    const uint8_t *p;
    size_t n;
};

static unsigned take(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static bool verify_sum(const uint8_t *p, size_t len, uint32_t pseudo)
{
    return csum_fold(csum_partial(p, len, pseudo)) == 0;
}

/* The invariants on every frame sent in this step. in_rst: the step's input was a RST. */
static void check_out(const struct engine *e, bool in_rst)
{
    for (int i = 0; i < out.n; i++) {
        struct frame f;
        const uint8_t *b = out.buf[i];
        if (pkt_parse(&f, b, out.len[i]) != PKT_OK || memcmp(f.eth_src, e->mac, 6) != 0)
            abort();
        if (f.l3 == L3_ARP) {
            if (!addrset_has(e->addrs, f.arp_spa))
                abort();
            continue;
        }
        if (f.l3 == L3_IPV6) {
            if (!addrset_has6(e->addrs, f.saddr6) || f.ip_totlen != out.len[i] - f.l3_off)
                abort();
            if ((f.l4 == L4_TCP || f.l4 == L4_ICMP6) &&
                !verify_sum(b + f.l4_off, f.l4_len, csum_pseudo6(f.saddr6, f.daddr6, f.proto, (uint32_t)f.l4_len)))
                abort();
            if (in_rst && f.l4 == L4_TCP && (f.flags & TH_RST))
                abort();
            continue;
        }
        if (f.l3 != L3_IPV4 || !addrset_has(e->addrs, f.saddr))
            abort();
        if (f.ip_totlen > out.len[i] - f.l3_off ||
            (out.len[i] > 60 && f.ip_totlen != out.len[i] - f.l3_off))
            abort();
        if (!verify_sum(b + f.l3_off, f.ip_hlen, 0))
            abort();
        if (f.l4 == L4_TCP) {
            if (!verify_sum(b + f.l4_off, f.l4_len,
                            csum_pseudo4(f.saddr, f.daddr, 6, (uint16_t)f.l4_len)))
                abort();
            if (in_rst && (f.flags & TH_RST))
                abort();
        } else if (f.l4 == L4_ICMP) {
            if (!verify_sum(b + f.l4_off, f.l4_len, 0))
                abort();
        }
    }
}

/* Remember the responder's sequence numbers from its SYN-ACKs, so that later steps can
 * complete handshakes and stay in the window. */
static void learn(struct cflow *fl, int nfl)
{
    for (int i = 0; i < out.n; i++) {
        struct frame f;
        if (pkt_parse(&f, out.buf[i], out.len[i]) != PKT_OK || f.l4 != L4_TCP)
            continue;
        for (int k = 0; k < nfl; k++)
            if (fl[k].v6 == (f.l3 == L3_IPV6) && fl[k].sport == f.dport && fl[k].dport == f.sport &&
                (fl[k].v6 ? memcmp(fl[k].saddr6, f.daddr6, 16) == 0 : fl[k].saddr == f.daddr))
                fl[k].peer = f.seq + ((f.flags & TH_SYN) ? 1 : 0) + (uint32_t)f.payload_len;
    }
}

static struct tmpl_tcp6 t6;

static size_t segment(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap, const struct cflow *c,
                      uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t *payload, size_t plen)
{
    static const uint8_t syn_opts[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
    bool syn = flags & TH_SYN;
    struct ip4_spec ip = { .saddr = c->saddr, .daddr = c->daddr, .ttl = 64, .df = true, .id = 1 };
    struct tcp_spec tcp = { .sport = c->sport, .dport = c->dport, .seq = seq, .ack = ack,
                            .flags = flags, .win = 64240, .opts = syn ? syn_opts : NULL,
                            .optlen = syn ? sizeof syn_opts : 0 };
    if (c->v6) {
        struct ip6_hdr_spec ip6 = { .saddr = c->saddr6, .daddr = c->daddr6, .hlim = 64 };
        return tmpl_tcp6_build(&t6, buf, cap, their_mac, our_mac, &ip6, &tcp, payload, plen);
    }
    return tmpl_tcp4_build(t, buf, cap, their_mac, our_mac, &ip, &tcp, payload, plen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct engine e;
    static struct ruleset rs;
    static struct addrset owned;
    static struct tmpl_tcp4 t;
    static bool ready;
    char err[512];
    if (!ready) {
        ruleset_init(&rs);
        if (ruleset_load_buf(&rs, "fuzz", rules, sizeof rules - 1, err, sizeof err) != 0 ||
            addrset_add(&owned, OWNED) != 0 || addrset_add6(&owned, owned6) != 0 ||
            tmpl_tcp4_init(&t, their_mac, our_mac, err) != 0 || tmpl_tcp6_init(&t6, their_mac, our_mac, err) != 0)
            abort();
        ready = true;
    }
    if (engine_init(&e, &rs, profile_find("linux"), NULL, &owned, NULL, our_mac, MAX_FLOWS, err) != 0)
        abort();
    /* the same input, the same run: fixed keys instead of getrandom's */
    e.isn_key[0] = 0x0123456789abcdefULL;
    e.isn_key[1] = 0xfedcba9876543210ULL;
    e.rng = 0x9e3779b97f4a7c15ULL;
    gen_state_init(&e.gen, 42);
    e.send = record;
    e.ev.quiet = true;
    e.now_us = 1000000000ull;

    struct cflow fl[NFLOWS];
    for (int k = 0; k < NFLOWS; k++) {
        fl[k] = (struct cflow){ .v6 = k & 1, .saddr = CLIENT0 + (uint32_t)(k % 4), .daddr = OWNED,
                                .sport = (uint16_t)(40000 + k), .dport = (uint16_t)(80 + k),
                                .seq = 1000u * (uint32_t)(k + 1) };
        memcpy(fl[k].saddr6, owned6, 16);
        fl[k].saddr6[15] = (uint8_t)(1 + k % 4);          /* 2001:2::1 .. ::4 */
        memcpy(fl[k].daddr6, owned6, 16);
    }
    struct input in = { data, size };
    uint8_t frame[FRAME_MAX], payload[256];
    memset(payload, 'x', sizeof payload);
    while (in.n) {
        unsigned op = take(&in), arg = take(&in);
        struct cflow *c = &fl[arg % NFLOWS];
        size_t len = 0;
        out.n = 0;
        out.lost = false;
        switch (op % 10) {
        case 0:   /* a new connection attempt, to any of the ports and now and then elsewhere */
            c->dport = (uint16_t)(80 + (arg >> 3) % 9);
            c->daddr = (arg & 0x80) && (op & 0x80) ? FOREIGN : OWNED;
            memcpy(c->daddr6, (arg & 0x80) && (op & 0x80) ? foreign6 : owned6, 16);
            c->sport++;
            len = segment(&t, frame, sizeof frame, c, TH_SYN, c->seq, 0, NULL, 0);
            break;
        case 1:   /* the handshake's ACK */
            len = segment(&t, frame, sizeof frame, c, TH_ACK, c->seq + 1, c->peer, NULL, 0);
            c->seq++;
            break;
        case 2: { /* data, in the window */
            size_t n = take(&in) % sizeof payload;
            len = segment(&t, frame, sizeof frame, c, TH_ACK | TH_PSH, c->seq, c->peer, payload, n);
            c->seq += (uint32_t)n;
            break;
        }
        case 3:   /* FIN */
            len = segment(&t, frame, sizeof frame, c, TH_FIN | TH_ACK, c->seq, c->peer, NULL, 0);
            c->seq++;
            break;
        case 4:   /* RST, exact or off by the next byte */
            len = segment(&t, frame, sizeof frame, c, (arg & 1) ? TH_RST | TH_ACK : TH_RST,
                          c->seq + (take(&in) & 0x7f), c->peer, NULL, 0);
            break;
        case 5: { /* any flags at all, any numbers near the window */
            uint8_t fl_bits = (uint8_t)take(&in);
            len = segment(&t, frame, sizeof frame, c, fl_bits, c->seq + take(&in) - 128,
                          c->peer + take(&in) - 128, payload, take(&in) % 64);
            break;
        }
        case 6: { /* a valid segment with bytes changed */
            len = segment(&t, frame, sizeof frame, c, (uint8_t)(TH_ACK | (take(&in) & 0x3f)),
                          c->seq, c->peer, payload, take(&in) % 32);
            for (unsigned k = take(&in) % 8; k && len; k--) {
                unsigned pos = take(&in), v = take(&in);
                frame[(pos * 7) % len] ^= (uint8_t)(v | 1);
            }
            break;
        }
        case 7: { /* raw bytes from the input, after an Ethernet header to us */
            size_t n = take(&in) % 128;
            if (n > in.n)
                n = in.n;
            memcpy(frame, our_mac, 6);
            memcpy(frame + 6, their_mac, 6);
            frame[12] = (arg & 1) ? 0x08 : 0x86;
            frame[13] = (arg & 1) ? 0x00 : 0xdd;
            if (arg & 2)
                frame[13] = 0x06;       /* ARP */
            memcpy(frame + 14, in.p, n);
            in.p += n;
            in.n -= n;
            len = 14 + n;
            break;
        }
        default:  /* time passes: timers run */
            e.now_us += (uint64_t)(arg + 1) * ((op & 0x10) ? 100000u : 1000u);
            engine_timers(&e);
            break;
        }
        bool in_rst = false;
        if (len) {
            struct frame f;
            pkt_parse(&f, frame, len);
            in_rst = f.l4 == L4_TCP && (f.flags & TH_RST);
            e.now_us += 50;
            engine_rx(&e, &f);
        }
        if (e.ft.used > MAX_FLOWS)
            abort();
        check_out(&e, in_rst);
        learn(fl, NFLOWS);
    }
    engine_free(&e);
    return 0;
}
