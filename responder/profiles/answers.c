/* Answers to segments outside any connection and to nmap's fixed SYN probes, as a
 * profile_answers table describes them; Linux's answers for a bare struct profile. */
#include <string.h>
#include "profile_ext.h"

enum stray_kind stray_kind_of(bool listening, uint8_t flags)
{
    if (flags & TH_RST)
        return STRAY_N;
    if (listening) {
        if (flags & TH_ACK)
            return STRAY_OPEN_ACK;
        if (flags & TH_SYN)
            return (flags & TH_FIN) ? STRAY_OPEN_SYNFIN : STRAY_N;
        return STRAY_OPEN_NOFLAGS;
    }
    if ((flags & TH_SYN) && !(flags & TH_ACK))
        return STRAY_CLOSED_SYN;
    if (flags & TH_ACK)
        return STRAY_CLOSED_ACK;
    return STRAY_CLOSED_OTHER;
}

/* nmap 7.9x osscan2.cc: the option bytes, windows, flags and DF of its six sequence probes,
 * its ECN probe (SYN|ECE|CWR) and T2..T7. TSval is 0xFFFFFFFF and TSecr 0 in every probe. */
#define T_OPTS { 3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 }
const struct nmap_probe_shape nmap_probe_shapes[NMAP_SHAPES] = {
    [NP_SEQ1] = { 1, TH_SYN, false, 20, { 3, 3, 10, 1, 2, 4, 5, 0xb4, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    [NP_SEQ2] = { 63, TH_SYN, false, 20, { 2, 4, 5, 0x78, 3, 3, 0, 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 } },
    [NP_SEQ3] = { 4, TH_SYN, false, 20, { 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 1, 3, 3, 5, 1, 2, 4, 2, 0x80 } },
    [NP_SEQ4] = { 4, TH_SYN, false, 16, { 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 3, 3, 10, 0 } },
    [NP_SEQ5] = { 16, TH_SYN, false, 20, { 2, 4, 2, 0x18, 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 3, 3, 10, 0 } },
    [NP_SEQ6] = { 512, TH_SYN, false, 16, { 2, 4, 1, 9, 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 } },
    [NP_ECN]  = { 3, TH_SYN | TH_ECE | TH_CWR, false, 12, { 3, 3, 10, 1, 2, 4, 5, 0xb4, 4, 2, 1, 1 } },
    [NMAP_T2 + 0] = { 128, 0, true, 20, T_OPTS },
    [NMAP_T2 + 1] = { 256, TH_SYN | TH_FIN | TH_URG | TH_PSH, false, 20, T_OPTS },
    [NMAP_T2 + 2] = { 1024, TH_ACK, true, 20, T_OPTS },
    [NMAP_T2 + 3] = { 31337, TH_SYN, false, 20, T_OPTS },
    [NMAP_T2 + 4] = { 32768, TH_ACK, true, 20, T_OPTS },
    [NMAP_T2 + 5] = { 65535, TH_FIN | TH_PSH | TH_URG, false, 20,
                      { 3, 3, 15, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
};

enum nmap_probe nmap_probe_of(const struct frame *syn)
{
    if (syn->l4 != L4_TCP || syn->doff < 20 || syn->l4_off + syn->doff > syn->len)
        return NP_COUNT;
    const uint8_t *opt = syn->data + syn->l4_off + 20;
    size_t olen = (size_t)syn->doff - 20;
    for (int i = 0; i < NP_COUNT; i++) {
        const struct nmap_probe_shape *p = &nmap_probe_shapes[i];
        if (syn->flags == p->flags && syn->win == p->win && olen == p->len && memcmp(opt, p->opt, olen) == 0)
            return (enum nmap_probe)i;
    }
    return NP_COUNT;
}

const struct seg_answer *synack_answer(const struct profile_answers *a, const struct frame *syn)
{
    if (!a->probe_mask)
        return NULL;
    enum nmap_probe k = nmap_probe_of(syn);
    return k == NP_COUNT || !(a->probe_mask & (1u << k)) ? NULL : &a->probe[k];
}

uint16_t synack_window(const struct profile *p, const struct profile_answers *a, unsigned layout_ix)
{
    uint16_t w = a && layout_ix < 4 ? a->synack_win[layout_ix] : 0;
    return w ? w : p->synack_win;
}

static bool hexnum(const char **s, uint32_t *v)
{
    const char *p = *s;
    uint32_t x = 0;
    int n = 0;
    for (; n < 9; p++, n++) {
        char c = *p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            break;
        x = x << 4 | (uint32_t)d;
    }
    if (n == 0 || n > 8)
        return false;
    *s = p;
    *v = x;
    return true;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

int seg_opts_encode(const char *s, uint32_t tsval, uint32_t tsecr, uint8_t out[TCPOPT_MAXLEN])
{
    size_t n = 0;
    uint32_t v;
    while (*s) {
        char c = *s++;
        size_t need = c == 'M' ? 4 : c == 'W' ? 3 : c == 'S' ? 2 : c == 'T' ? 10 : 1;
        if (n + need > TCPOPT_MAXLEN)
            return -1;
        switch (c) {
        case 'M':
            if (!hexnum(&s, &v) || v > 0xffff)
                return -1;
            out[n++] = TCPOPT_MSS; out[n++] = 4; out[n++] = (uint8_t)(v >> 8); out[n++] = (uint8_t)v;
            break;
        case 'W':
            if (!hexnum(&s, &v) || v > 0xff)
                return -1;
            out[n++] = TCPOPT_WS; out[n++] = 3; out[n++] = (uint8_t)v;
            break;
        case 'N': out[n++] = TCPOPT_NOP; break;
        case 'L': out[n++] = TCPOPT_EOL; break;
        case 'S': out[n++] = TCPOPT_SACKOK; out[n++] = 2; break;
        case 'T':
            if ((s[0] != '0' && s[0] != '1') || (s[1] != '0' && s[1] != '1'))
                return -1;
            out[n++] = TCPOPT_TS; out[n++] = 10;
            be32(out + n, s[0] == '1' ? (tsval ? tsval : 1) : 0);
            be32(out + n + 4, s[1] == '1' ? (tsecr ? tsecr : 1) : 0);
            n += 8;
            s += 2;
            break;
        default:
            return -1;
        }
    }
    while (n % 4) {
        if (n == TCPOPT_MAXLEN)
            return -1;
        out[n++] = TCPOPT_EOL;
    }
    return (int)n;
}

void seg_answer_apply(const struct seg_answer *sa, const struct frame *in,
                      struct ip4_spec *ip, struct tcp_spec *t)
{
    ip->df = sa->df;
    ip->ttl = sa->ttl;
    t->win = sa->win;
    t->flags = sa->flags;
    /* the quirks as some stacks show them: the probe's reserved bits / urgent pointer
     * copied back, or a fixed non-zero value when the probe had none */
    t->res = sa->quirks & SQ_RES ? (in->th_res & 0x0f ? in->th_res & 0x0f : 0x08) : 0;
    t->urp = sa->quirks & SQ_URP ? (in->urp ? in->urp : 1) : 0;
}

static uint32_t seg_len(const struct frame *f)
{
    return (uint32_t)f->payload_len + ((f->flags & TH_SYN) ? 1u : 0u) + ((f->flags & TH_FIN) ? 1u : 0u);
}

void seg_answer_seqack(const struct seg_answer *sa, const struct frame *in, uint32_t isn,
                       uint32_t *seq, uint32_t *ack)
{
    switch ((enum seq_rule)sa->seq) {
    case SEQR_ZERO:  *seq = 0; break;
    case SEQR_ACK:   *seq = in->ack; break;
    case SEQR_ACK1:  *seq = in->ack + 1; break;
    case SEQR_OTHER: *seq = isn; break;
    }
    uint32_t len = seg_len(in), o;
    switch ((enum ack_rule)sa->ack) {
    case ACKR_ZERO: *ack = 0; break;
    case ACKR_SEQ:  *ack = in->seq + (uint32_t)in->payload_len; break;
    case ACKR_SEQ1: *ack = in->seq + 1 + (uint32_t)in->payload_len; break;
    case ACKR_RFC:  *ack = in->seq + len; break;
    case ACKR_OTHER:
        /* anything but 0, SEG.SEQ and SEG.SEQ+1: the sequence space the segment used
         * (SYN+FIN: +2), else the segment's own ACK field */
        o = in->seq + len;
        if (o == 0 || o == in->seq || o == in->seq + 1)
            o = in->ack;
        if (o == 0 || o == in->seq || o == in->seq + 1)
            o = in->seq + 2;
        *ack = o;
        break;
    }
}

bool stray_answer_fill(const struct seg_answer *sa, const struct frame *in, uint32_t isn,
                       uint32_t tsval, struct ip4_spec *ip, struct tcp_spec *t,
                       uint8_t opts[TCPOPT_MAXLEN], uint8_t data[4], size_t *dlen)
{
    *dlen = 0;
    if (!sa->respond || (in->flags & TH_RST))
        return false;
    memset(ip, 0, sizeof *ip);
    memset(t, 0, sizeof *t);
    ip->saddr = in->daddr;
    ip->daddr = in->saddr;
    t->sport = in->dport;
    t->dport = in->sport;
    seg_answer_seqack(sa, in, isn, &t->seq, &t->ack);
    seg_answer_apply(sa, in, ip, t);
    if (sa->opts[0]) {
        int olen = seg_opts_encode(sa->opts, tsval, in->opt.has_ts ? in->opt.tsval : 0, opts);
        if (olen > 0) {
            t->opts = opts;
            t->optlen = (size_t)olen;
        }
    }
    if (sa->rd && (sa->flags & TH_RST)) {
        crc32_forge4(sa->rd, data);
        *dlen = 4;
    }
    return true;
}

/* ---- CRC-32 ---- */

static void crc_table(uint32_t t[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
}

uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

void crc32_forge4(uint32_t target, uint8_t out[4])
{
    /* Each table entry has a distinct top byte, so walking back from the wanted final
     * register names the table index of each of the four steps; walking forward from the
     * initial register then gives the bytes that select those indices. */
    uint32_t t[256];
    uint8_t top[256];
    crc_table(t);
    for (int i = 0; i < 256; i++)
        top[t[i] >> 24] = (uint8_t)i;
    uint8_t k[4];
    uint32_t reg = target ^ 0xFFFFFFFFu;
    for (int i = 3; i >= 0; i--) {
        k[i] = top[reg >> 24];
        reg = (reg ^ t[k[i]]) << 8;
    }
    reg = 0xFFFFFFFFu;
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)((reg ^ k[i]) & 0xff);
        reg = (reg >> 8) ^ t[k[i]];
    }
}

/* ---- Linux ---- */

static struct ipidgen ipid_of(enum ipid_kind k, uint8_t counter)
{
    struct ipidgen g = { .kind = IPG_ZERO, .counter = counter };
    switch (k) {
    case IPID_ZERO:     g.kind = IPG_ZERO; break;
    case IPID_GLOBAL:   g.kind = IPG_INCR; g.counter = IPC_SHARED; break;
    case IPID_PER_FLOW: g.kind = IPG_PER_FLOW; break;
    case IPID_RANDOM:   g.kind = IPG_RANDOM; break;
    }
    return g;
}

static struct seg_answer rst_answer(const struct profile *p, uint8_t flags, uint8_t seq, uint8_t ack)
{
    struct seg_answer a = { .respond = true, .df = p->df, .ttl = p->ttl, .win = p->reset_win,
                            .flags = flags, .seq = seq, .ack = ack };
    return a;
}

void profile_answers_default(const struct profile *p, struct profile_answers *a)
{
    memset(a, 0, sizeof *a);
    a->ipid_synack = ipid_of(p->ipid_synack, IPC_SHARED);
    a->ipid_flow = ipid_of(p->ipid_flow, IPC_SHARED);
    a->ipid_reset = ipid_of(p->ipid_reset, IPC_RESET);
    /* icmp_reply / icmp_send take their IDs from ip_idents: a counter per destination
     * (nmap: II=I), unless the profile counts everything on one counter */
    a->ipid_icmp = (struct ipidgen){ .kind = IPG_INCR,
                                     .counter = p->ipid_synack == IPID_GLOBAL ? IPC_SHARED : IPC_ICMP };
    a->isn.kind = ISG_PROFILE;
    a->ts.kind = TSG_PROFILE;
    a->ecn_flags = TH_ECE;            /* net.ipv4.tcp_ecn = 2: ECN when the peer asks */
    /* tcp_select_initial_window rounds the window down to a multiple of the MSS less the
     * timestamp option: 65160 with timestamps is 64240 without */
    if (p->mss > 12 && p->synack_win == 65535u / (p->mss - 12u) * (p->mss - 12u)) {
        a->synack_win[0] = a->synack_win[1] = (uint16_t)(65535u / p->mss * p->mss);
        a->synack_win[2] = a->synack_win[3] = p->synack_win;
    }
    /* tcp_rcv_state_process, LISTEN: ACK -> RST; SYN with FIN or no SYN -> discard.
     * tcp_v4_send_reset: RST seq=SEG.ACK for an ACK, else RST|ACK ack=SEG.SEQ+SEG.LEN */
    a->stray[STRAY_OPEN_ACK] = rst_answer(p, TH_RST, SEQR_ACK, ACKR_ZERO);
    a->stray[STRAY_CLOSED_SYN] = rst_answer(p, TH_RST | TH_ACK, SEQR_ZERO, ACKR_RFC);
    a->stray[STRAY_CLOSED_ACK] = rst_answer(p, TH_RST, SEQR_ACK, ACKR_ZERO);
    a->stray[STRAY_CLOSED_OTHER] = rst_answer(p, TH_RST | TH_ACK, SEQR_ZERO, ACKR_RFC);
    if (p->closed_silent)
        for (int k = STRAY_CLOSED_SYN; k <= STRAY_CLOSED_OTHER; k++)
            a->stray[k].respond = false;
    /* icmp_send: no DF, TOS precedence 6 plus the probe's TOS bits, quote up to 576 bytes
     * in all; icmp_reply: no DF, code and TOS copied */
    a->u1 = (struct u1_answer){ .respond = !p->closed_silent, .df = false, .ttl = p->ttl,
                                .tos = 0xc0, .tos_copy = true, .quote_max = 576 - 28 };
    a->ie = (struct ie_answer){ .respond = true, .dfi = DFI_N, .ttl = p->ttl, .cd = CD_SAME };
}
