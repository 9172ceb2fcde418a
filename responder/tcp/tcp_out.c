/* Segment output. Linux references: tcp_output.c (tcp_options_write, tcp_select_window,
 * tcp_send_active_reset), tcp_ipv4.c (tcp_v4_send_reset), ip_output.c (IP ID choice). */
#include <string.h>
#include "tcp_out.h"

/* An IPv6 segment's addresses and flow label (the IPv4 ones travel in ip4_spec). */
struct to6 {
    const uint8_t *src, *dst;
    uint32_t label;
};

static const struct to6 *flow_to6(const struct flow *fl, struct to6 *t)
{
    if (!fl->v6)
        return NULL;
    t->src = fl->saddr6;
    t->dst = fl->caddr6;
    t->label = fl->flowlabel;
    return t;
}

/* The TOS (traffic class) of an answer to f, which has no flow. */
static uint8_t reset_tos(const struct engine *e, const struct frame *f)
{
    return e->prof->reset_tos_reflect ? (uint8_t)(f->tos & 0xfc) : e->prof->tos;
}

/* An answer to f, which has no flow: labelled as the profile labels those (Linux: a hash
 * of the addresses and ports, tcp_v6_send_reset from the control socket). */
static const struct to6 *frame_to6(struct engine *e, const struct frame *f, struct to6 *t)
{
    if (f->l3 != L3_IPV6)
        return NULL;
    t->src = f->daddr6;
    t->dst = f->saddr6;
    t->label = engine_label(e, e->prof->fl6_stateless, f);
    return t;
}

static uint16_t next_ipid(struct engine *e, const struct ipidgen *g, struct flow *fl)
{
    return ipidgen_next(g, &e->gen, fl ? &fl->ip_id : NULL, e->now_us);
}

uint32_t tcp_tsval(const struct engine *e, const struct flow *fl)
{
    return tsgen_val(&e->ans->ts, e->prof->ts_hz, e->now_us, fl->ts_off);
}

uint16_t tcp_our_mss(const struct engine *e, const struct flow *fl)
{
    /* the profile's MSS is for IPv4; an IPv6 header is 20 bytes longer (Linux: 1440 on a
     * 1500-byte link, tcp_v6 advmss) */
    uint16_t m = e->prof->mss;
    return fl->v6 && m > 20 + 64 ? (uint16_t)(m - 20) : m;
}

uint32_t tcp_rcv_window(const struct engine *e, const struct flow *fl)
{
    uint32_t w = e->prof->rcv_wnd;
    return fl->unread >= w ? 0 : w - fl->unread;
}

/* to6 NULL: IPv4 per ip; else IPv6 to to6's addresses, ip's TTL and TOS its hop limit and
 * traffic class. */
static void send_frame(struct engine *e, const uint8_t dst_mac[6], const struct ip4_spec *ip,
                       const struct to6 *to6, const struct tcp_spec *tcp, const uint8_t *data, size_t len)
{
    size_t n;
    if (to6) {
        /* a probe answer's TTL (nmap's) stands for the hop limit; else the profile's */
        uint8_t hlim = ip->ttl == e->prof->ttl ? engine_hlim(e) : ip->ttl;
        struct ip6_hdr_spec h = { .saddr = to6->src, .daddr = to6->dst, .hlim = hlim,
                                  .tclass = ip->tos, .flowlabel = to6->label };
        n = tmpl_tcp6_build(&e->tmpl6, e->txbuf, sizeof e->txbuf, e->mac, dst_mac, &h, tcp, data, len);
    } else {
        n = tmpl_tcp4_build(&e->tmpl, e->txbuf, sizeof e->txbuf, e->mac, dst_mac, ip, tcp, data, len);
    }
    if (n)
        e->hook.frame(e, e->txbuf, n);
}

static void ip_for_flow(const struct engine *e, const struct flow *fl, struct ip4_spec *ip)
{
    memset(ip, 0, sizeof *ip);
    ip->saddr = fl->saddr;
    ip->daddr = fl->caddr;
    ip->ttl = e->prof->ttl;
    ip->tos = e->prof->tos;
    ip->df = e->prof->df;
}

/* The SYN-ACK a profile gives one of nmap's probe shapes: window, options, flags, DF and
 * TTL exactly as the fingerprint recorded them. */
static void send_probe_synack(struct engine *e, struct flow *fl)
{
    uint8_t opts[TCPOPT_MAXLEN];
    int olen = seg_opts_encode(fl->sa->opts, tcp_tsval(e, fl), fl->ts_recent, opts);
    struct ip4_spec ip;
    ip_for_flow(e, fl, &ip);
    ip.id = next_ipid(e, &e->ans->ipid_synack, fl);
    struct tcp_spec t = {
        .sport = fl->sport, .dport = fl->cport, .seq = fl->iss, .ack = fl->probe_ack,
        .opts = opts, .optlen = olen > 0 ? (size_t)olen : 0,
    };
    struct frame syn = { .th_res = fl->syn_res, .urp = fl->syn_urp };
    seg_answer_apply(fl->sa, &syn, &ip, &t);
    struct to6 t6;
    send_frame(e, fl->cmac, &ip, flow_to6(fl, &t6), &t, NULL, 0);
}

void tcp_send_synack(struct engine *e, struct flow *fl)
{
    if (fl->sa) {
        send_probe_synack(e, fl);
        return;
    }
    const struct profile *p = e->prof;
    struct optitem it[12];
    size_t n = 0;
    unsigned ix = (fl->ts_ok ? 2u : 0u) | (fl->sack_ok ? 1u : 0u);
    const char *lay = p->synack_layout[ix];
    for (const char *c = lay; *c && n < sizeof it / sizeof *it; c++) {
        if (*c == 'N' && c[1] == 'W' && !fl->ws_ok)
            continue;
        memset(&it[n], 0, sizeof it[n]);
        switch (*c) {
        case 'M': it[n].kind = OI_MSS; it[n].mss = tcp_our_mss(e, fl); break;
        case 'N': it[n].kind = OI_NOP; break;
        case 'E': it[n].kind = OI_EOL; break;
        case 'S': it[n].kind = OI_SACKOK; break;
        case 'W':
            if (!fl->ws_ok)
                continue;
            it[n].kind = OI_WS; it[n].ws = fl->rcv_wscale;
            break;
        case 'T':
            it[n].kind = OI_TS; it[n].tsval = tcp_tsval(e, fl); it[n].tsecr = fl->ts_recent;
            break;
        default:
            continue;
        }
        n++;
    }
    uint8_t opts[TCPOPT_MAXLEN];
    int olen = tcpopt_encode(opts, it, n);
    struct ip4_spec ip;
    ip_for_flow(e, fl, &ip);
    ip.id = next_ipid(e, &e->ans->ipid_synack, fl);
    struct tcp_spec t = {
        .sport = fl->sport, .dport = fl->cport, .seq = fl->iss, .ack = fl->rcv_nxt,
        .flags = (uint8_t)(TH_SYN | TH_ACK | (fl->ecn_syn ? e->ans->ecn_flags : 0)),
        .win = synack_window(p, e->ans, ix),
        .opts = opts, .optlen = olen > 0 ? (size_t)olen : 0,
    };
    struct to6 t6;
    send_frame(e, fl->cmac, &ip, flow_to6(fl, &t6), &t, NULL, 0);
}

static size_t flow_options(const struct engine *e, const struct flow *fl, bool with_sack,
                           uint8_t opts[TCPOPT_MAXLEN])
{
    struct optitem it[8];
    size_t n = 0;
    memset(it, 0, sizeof it);
    if (fl->ts_ok) {
        it[n++].kind = OI_NOP;
        it[n++].kind = OI_NOP;
        it[n].kind = OI_TS;
        it[n].tsval = tcp_tsval(e, fl);
        it[n++].tsecr = fl->ts_recent;
    }
    /* tcp_established_options: SACK blocks fill what room the timestamp leaves */
    if (with_sack && fl->sack_ok && fl->nofo) {
        unsigned max = fl->ts_ok ? 3 : 4, k = fl->nofo < max ? fl->nofo : max;
        it[n++].kind = OI_NOP;
        it[n++].kind = OI_NOP;
        it[n].kind = OI_SACK;
        it[n].nsack = (uint8_t)k;
        for (unsigned i = 0; i < k; i++) {
            it[n].sack[i].l = fl->ofo[i].l;
            it[n].sack[i].r = fl->ofo[i].r;
        }
        n++;
    }
    int olen = tcpopt_encode(opts, it, n);
    return olen > 0 ? (size_t)olen : 0;
}

static void send_on_flow(struct engine *e, struct flow *fl, uint32_t seq, uint8_t flags,
                         const uint8_t *data, size_t len, bool with_sack)
{
    uint8_t opts[TCPOPT_MAXLEN];
    size_t olen = flow_options(e, fl, with_sack, opts);
    struct ip4_spec ip;
    ip_for_flow(e, fl, &ip);
    ip.id = next_ipid(e, &e->ans->ipid_flow, fl);
    uint32_t w = tcp_rcv_window(e, fl) >> fl->rcv_wscale;
    struct tcp_spec t = {
        .sport = fl->sport, .dport = fl->cport, .seq = seq,
        .ack = (flags & TH_ACK) ? fl->rcv_nxt : 0, .flags = flags,
        .win = (uint16_t)(w > 65535 ? 65535 : w), .opts = opts, .optlen = olen,
    };
    struct to6 t6;
    send_frame(e, fl->cmac, &ip, flow_to6(fl, &t6), &t, data, len);
    if (seq == fl->snd_nxt)
        fl->snd_nxt += (uint32_t)len + ((flags & TH_FIN) ? 1u : 0u);
}

void tcp_send_flow(struct engine *e, struct flow *fl, uint8_t flags, const uint8_t *data, size_t len)
{
    send_on_flow(e, fl, fl->snd_nxt, flags, data, len, false);
}

void tcp_send_at(struct engine *e, struct flow *fl, uint32_t seq, uint8_t flags,
                 const uint8_t *data, size_t len)
{
    send_on_flow(e, fl, seq, flags, data, len, false);
}

void tcp_send_ack(struct engine *e, struct flow *fl)
{
    send_on_flow(e, fl, fl->snd_nxt, TH_ACK, NULL, 0, true);
}

int tcp_send_stray_answer(struct engine *e, const struct frame *f, const struct seg_answer *sa)
{
    struct ip4_spec ip;
    struct tcp_spec t;
    uint8_t opts[TCPOPT_MAXLEN], data[4];
    size_t dlen;
    struct flow none = { .ts_off = 0 };
    if (!stray_answer_fill(sa, f, (uint32_t)e->rng, tcp_tsval(e, &none), &ip, &t, opts, data, &dlen))
        return -1;
    ip.tos = reset_tos(e, f);
    ip.id = next_ipid(e, (t.flags & TH_SYN) ? &e->ans->ipid_synack : &e->ans->ipid_reset, NULL);
    struct to6 t6;
    send_frame(e, f->eth_src, &ip, frame_to6(e, f, &t6), &t, dlen ? data : NULL, dlen);
    return t.flags;
}

int tcp_send_reset_for(struct engine *e, const struct frame *f)
{
    if (f->flags & TH_RST)
        return -1;
    struct ip4_spec ip = {
        .saddr = f->daddr, .daddr = f->saddr, .ttl = e->prof->ttl, .tos = reset_tos(e, f),
        .df = e->prof->df, .id = next_ipid(e, &e->ans->ipid_reset, NULL),
    };
    struct tcp_spec t = { .sport = f->dport, .dport = f->sport, .win = e->prof->reset_win };
    if (f->flags & TH_ACK) {
        t.seq = f->ack;
        t.flags = TH_RST;
    } else {
        t.ack = f->seq + (uint32_t)f->payload_len + ((f->flags & TH_SYN) ? 1u : 0u) +
                ((f->flags & TH_FIN) ? 1u : 0u);
        t.flags = TH_RST | TH_ACK;
    }
    struct to6 t6;
    send_frame(e, f->eth_src, &ip, frame_to6(e, f, &t6), &t, NULL, 0);
    return t.flags;
}
