/* What nmap -O would record from a personality, computed offline: nmap's probes
 * (osscan2.cc) are built as frames, answered through the same functions the engine uses
 * (answers.c, gen.c, icmp_answer.c), and the answers reduced to a fingerprint as nmap
 * reduces them (makeTSeqFP, processT1_7Resp, processTUdpResp, processTIcmpResp). It lets
 * a personality be checked against nmap-os-db without a lab; the lab remains the proof.
 * No libm: the two logarithms and one square root are computed here. */
#include <stdio.h>
#include <string.h>
#include "icmp_answer.h"
#include "nmapdb.h"
#include "profile_ext.h"

#define PROBE_SEQ 0x5d1d2a10u      /* nmap's tcpSeqBase / tcpAck: any values */
#define PROBE_ACK 0x7a3f9c21u
#define US_PER_PROBE 100000u       /* nmap sends the sequence probes 100 ms apart */

static double ln(double x)
{
    /* x = m * 2^k with m in [1, 2); ln m = 2 atanh((m - 1) / (m + 1)) */
    int k = 0;
    while (x >= 2) { x /= 2; k++; }
    while (x < 1) { x *= 2; k--; }
    double z = (x - 1) / (x + 1), z2 = z * z, term = z, sum = 0;
    for (int i = 1; i < 60; i += 2) {
        sum += term / i;
        term *= z2;
    }
    return 2 * sum + k * 0.69314718055994531;
}

static double log2d(double x) { return ln(x) / 0.69314718055994531; }

static double sqrtd(double x)
{
    if (x <= 0)
        return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 200; i++)
        r = (r + x / r) / 2;
    return r;
}

/* ---- output strings ---- */
struct out { char *p, *end; bool ok; };

static const char *emit(struct out *o, const char *fmt_hex_or_str, uint32_t v, const char *s)
{
    if (!o->ok)
        return "";
    char tmp[64];
    if (s)
        snprintf(tmp, sizeof tmp, "%s", s);
    else
        snprintf(tmp, sizeof tmp, fmt_hex_or_str, v);
    size_t n = strlen(tmp) + 1;
    if ((size_t)(o->end - o->p) < n) {
        o->ok = false;
        return "";
    }
    char *r = o->p;
    memcpy(r, tmp, n);
    o->p += n;
    return r;
}
static const char *hexs(struct out *o, uint32_t v) { return emit(o, "%X", v, NULL); }
static const char *str(struct out *o, const char *s) { return emit(o, NULL, 0, s); }

static void setv(struct nmapdb_entry *obs, enum nmap_test t, const char *attr, const char *v)
{
    int i = nmap_attr_index(t, attr, strlen(attr));
    if (i >= 0) {
        obs->t[t].present = true;
        obs->t[t].val[i] = v;
    }
}

/* nmap's get_tcpopt_string */
static void opt_string(const uint8_t *p, size_t n, char *s, size_t cap)
{
    size_t o = 0;
    s[0] = '\0';
    for (size_t i = 0; i < n && o + 12 < cap;) {
        uint8_t k = p[i];
        if (k == 0 || k == 1) {
            s[o++] = k == 0 ? 'L' : 'N';
            i++;
            continue;
        }
        if (i + 1 >= n || p[i + 1] < 2 || i + p[i + 1] > n)
            break;
        const uint8_t *q = p + i + 2;
        switch (k) {
        case 2: o += (size_t)snprintf(s + o, cap - o, "M%X", (unsigned)(q[0] << 8 | q[1])); break;
        case 3: o += (size_t)snprintf(s + o, cap - o, "W%X", q[0]); break;
        case 4: s[o++] = 'S'; break;
        case 8:
            s[o++] = 'T';
            s[o++] = q[0] | q[1] | q[2] | q[3] ? '1' : '0';
            s[o++] = q[4] | q[5] | q[6] | q[7] ? '1' : '0';
            break;
        default: break;
        }
        s[o] = '\0';
        i += p[i + 1];
    }
    s[o] = '\0';
}

/* ---- probe frames ---- */
struct probe_frame {
    uint8_t bytes[14 + 60 + 60 + 400];
    struct frame f;
};

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 1 }, their_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
#define OUR_IP 0xc6120001u
#define THEIR_IP 0xc6120002u

/* The few option fields the answers look at, read from the probe's bytes. */
static void probe_opts(struct tcp_opts *o, const uint8_t *p, size_t len)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < len;) {
        uint8_t k = p[i];
        if (k == 0)
            break;
        if (k == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
            break;
        const uint8_t *q = p + i + 2;
        if (k == TCPOPT_MSS && p[i + 1] == 4) { o->has_mss = true; o->mss = (uint16_t)(q[0] << 8 | q[1]); }
        if (k == TCPOPT_WS && p[i + 1] == 3) { o->has_ws = true; o->wscale = q[0]; }
        if (k == TCPOPT_SACKOK) o->sack_ok = true;
        if (k == TCPOPT_TS && p[i + 1] == 10) {
            o->has_ts = true;
            o->tsval = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
            o->tsecr = (uint32_t)q[4] << 24 | (uint32_t)q[5] << 16 | (uint32_t)q[6] << 8 | q[7];
        }
        i += p[i + 1];
    }
}

static void tcp_probe(struct probe_frame *pf, uint8_t flags, uint16_t win, bool df,
                      const uint8_t *opt, size_t olen, uint16_t dport, uint16_t sport, uint16_t urp, uint8_t res)
{
    memset(pf, 0, sizeof *pf);
    struct frame *f = &pf->f;
    uint8_t *b = pf->bytes;
    memcpy(b, our_mac, 6);
    memcpy(b + 6, their_mac, 6);
    b[12] = 0x08;
    size_t doff = 20 + olen;
    uint8_t *tcp = b + 14 + 20;
    memcpy(tcp + 20, opt, olen);
    f->data = b;
    f->len = 14 + 20 + doff;
    memcpy(f->eth_dst, our_mac, 6);
    memcpy(f->eth_src, their_mac, 6);
    f->ethertype = ETHTYPE_IPV4;
    f->l3_off = 14;
    f->l3 = L3_IPV4;
    f->ip_ver = 4;
    f->saddr = THEIR_IP;
    f->daddr = OUR_IP;
    f->ttl = 50;
    f->proto = 6;
    f->df = df;
    f->ip_hlen = 20;
    f->ip_totlen = (uint16_t)(20 + doff);
    f->l4_off = 34;
    f->l4_len = doff;
    f->l4 = L4_TCP;
    f->sport = sport;
    f->dport = dport;
    f->seq = PROBE_SEQ;
    f->ack = PROBE_ACK;
    f->flags = flags;
    f->th_res = res;
    f->win = win;
    f->urp = urp;
    f->doff = (uint8_t)doff;
    probe_opts(&f->opt, opt, olen);
    f->payload = b + f->len;
}

/* nmap's probe options (osscan2.cc prbOpts) and windows */
static const struct { uint16_t win; uint8_t len; uint8_t opt[20]; } prb[13] = {
    { 1, 20, { 3, 3, 10, 1, 2, 4, 5, 0xb4, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    { 63, 20, { 2, 4, 5, 0x78, 3, 3, 0, 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 } },
    { 4, 20, { 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 1, 3, 3, 5, 1, 2, 4, 2, 0x80 } },
    { 4, 16, { 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 3, 3, 10, 0 } },
    { 16, 20, { 2, 4, 2, 0x18, 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 3, 3, 10, 0 } },
    { 512, 16, { 2, 4, 1, 9, 4, 2, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 } },
    { 3, 12, { 3, 3, 10, 1, 2, 4, 5, 0xb4, 4, 2, 1, 1 } },
    { 128, 20, { 3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    { 256, 20, { 3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    { 1024, 20, { 3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    { 31337, 20, { 3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    { 32768, 20, { 3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
    { 65535, 20, { 3, 3, 15, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 } },
};
#define OPEN_PORT 80
#define CLOSED_PORT 81

/* ---- one answer segment, as the engine would build it ---- */
struct seg {
    uint32_t seq, ack, tsval, rd;
    uint16_t win, urp, ipid;
    uint8_t ttl, flags, res;
    bool sent, df, has_rd;
    char ops[64];
};

struct sim {
    const struct personality *pers;
    struct gen_state g;
    uint64_t now_us;
    uint32_t host_ts_off;
    unsigned dist;              /* hops nmap counts from the U1 answer (1: next door) */
};

/* ISG_PROFILE (the profile's keyed hash or random ISN) looks random to nmap */
static uint32_t next_isn(struct sim *s)
{
    static const struct isngen random_isn = { .kind = ISG_RANDOM };
    const struct isngen *ig = &s->pers->ans.isn;
    return isngen_next(ig->kind == ISG_PROFILE ? &random_isn : ig, &s->g, s->now_us);
}

static uint32_t tsval_now(struct sim *s)
{
    const struct tsgen *tg = &s->pers->ans.ts;
    uint32_t off = tsgen_offset(tg, &s->g, s->pers->prof.ts_hz, s->now_us, s->host_ts_off);
    return tsgen_val(tg, s->pers->prof.ts_hz, s->now_us, off);
}

/* The SYN-ACK to SYN probe f, per the engine's hooks. */
static void synack(struct sim *s, const struct frame *f, struct seg *out)
{
    const struct profile *p = &s->pers->prof;
    const struct profile_answers *a = &s->pers->ans;
    memset(out, 0, sizeof *out);
    const struct seg_answer *sa = synack_answer(a, f);
    if (sa && !sa->respond)
        return;
    out->sent = true;
    uint16_t flow_ctr = (uint16_t)ipidgen_next(&(struct ipidgen){ .kind = IPG_RANDOM }, &s->g, NULL, s->now_us);
    out->ipid = ipidgen_next(&a->ipid_synack, &s->g, &flow_ctr, s->now_us);
    out->seq = next_isn(s);
    out->ack = f->seq + 1;
    bool ws_ok = f->opt.has_ws && p->wscale >= 0, sack_ok = f->opt.sack_ok && p->sack;
    bool ts_ok = f->opt.has_ts && p->ts;
    uint32_t tsval = tsval_now(s);
    uint8_t opts[TCPOPT_MAXLEN];
    int olen;
    if (sa) {
        out->win = sa->win;
        out->df = sa->df;
        out->ttl = sa->ttl;
        out->flags = sa->flags;
        out->res = sa->quirks & SQ_RES ? (f->th_res ? f->th_res : 8) : 0;
        out->urp = sa->quirks & SQ_URP ? (f->urp ? f->urp : 1) : 0;
        if (sa->seq == SEQR_ZERO) out->seq = 0;
        else if (sa->seq == SEQR_ACK) out->seq = f->ack;
        else if (sa->seq == SEQR_ACK1) out->seq = f->ack + 1;
        if (sa->ack == ACKR_ZERO) out->ack = 0;
        else if (sa->ack == ACKR_SEQ) out->ack = f->seq;
        else if (sa->ack == ACKR_OTHER) out->ack = f->seq + 2;
        olen = seg_opts_encode(sa->opts, tsval, f->opt.tsval, opts);
    } else {
        unsigned ix = (ts_ok ? 2u : 0u) | (sack_ok ? 1u : 0u);
        out->win = synack_window(p, a, ix);
        out->df = p->df;
        out->ttl = p->ttl;
        out->flags = TH_SYN | TH_ACK;
        if ((f->flags & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR))
            out->flags |= a->ecn_flags;
        /* tcp_send_synack's walk over the layout */
        struct optitem it[12];
        size_t n = 0;
        for (const char *c = p->synack_layout[ix]; c && *c && n < 12; c++) {
            if (*c == 'N' && c[1] == 'W' && !ws_ok)
                continue;
            memset(&it[n], 0, sizeof it[n]);
            switch (*c) {
            case 'M': it[n].kind = OI_MSS; it[n].mss = p->mss; break;
            case 'N': it[n].kind = OI_NOP; break;
            case 'E': it[n].kind = OI_EOL; break;
            case 'S': it[n].kind = OI_SACKOK; break;
            case 'W':
                if (!ws_ok)
                    continue;
                it[n].kind = OI_WS; it[n].ws = (uint8_t)p->wscale;
                break;
            case 'T': it[n].kind = OI_TS; it[n].tsval = tsval; it[n].tsecr = f->opt.tsval; break;
            default: continue;
            }
            n++;
        }
        /* the same encoding as crafter's tcpopt_encode, restated to stay self-contained */
        olen = 0;
        for (size_t i = 0; i < n && olen >= 0; i++) {
            uint8_t *q = opts + olen;
            int need = it[i].kind == OI_MSS ? 4 : it[i].kind == OI_WS ? 3 : it[i].kind == OI_SACKOK ? 2
                     : it[i].kind == OI_TS ? 10 : 1;
            if (olen + need > TCPOPT_MAXLEN) { olen = -1; break; }
            switch (it[i].kind) {
            case OI_MSS: q[0] = 2; q[1] = 4; q[2] = (uint8_t)(it[i].mss >> 8); q[3] = (uint8_t)it[i].mss; break;
            case OI_WS: q[0] = 3; q[1] = 3; q[2] = it[i].ws; break;
            case OI_SACKOK: q[0] = 4; q[1] = 2; break;
            case OI_TS:
                q[0] = 8; q[1] = 10;
                for (int b = 0; b < 4; b++) {
                    q[2 + b] = (uint8_t)(it[i].tsval >> (24 - 8 * b));
                    q[6 + b] = (uint8_t)(it[i].tsecr >> (24 - 8 * b));
                }
                break;
            case OI_NOP: q[0] = 1; break;
            default: q[0] = 0; break;
            }
            olen += need;
        }
        while (olen > 0 && olen % 4)
            opts[olen++] = 0;
    }
    out->tsval = tsval;
    if (olen > 0)
        opt_string(opts, (size_t)olen, out->ops, sizeof out->ops);
}

static void stray(struct sim *s, const struct frame *f, bool listening, struct seg *out)
{
    const struct profile_answers *a = &s->pers->ans;
    memset(out, 0, sizeof *out);
    enum stray_kind k = stray_kind_of(listening, f->flags);
    if (k == STRAY_N)
        return;
    struct ip4_spec ip;
    struct tcp_spec t;
    uint8_t opts[TCPOPT_MAXLEN], data[4];
    size_t dlen;
    uint32_t tsval = tsval_now(s);
    if (!stray_answer_fill(&a->stray[k], f, next_isn(s), tsval, &ip, &t, opts, data, &dlen))
        return;
    out->sent = true;
    out->ipid = ipidgen_next(a->stray[k].flags & TH_SYN ? &a->ipid_synack : &a->ipid_reset, &s->g, NULL,
                            s->now_us);
    out->df = ip.df;
    out->ttl = ip.ttl;
    out->flags = t.flags;
    out->res = t.res;
    out->urp = t.urp;
    out->win = t.win;
    out->seq = t.seq;
    out->ack = t.ack;
    if (t.optlen)
        opt_string(t.opts, t.optlen, out->ops, sizeof out->ops);
    if (dlen && (t.flags & TH_RST)) {
        out->has_rd = true;
        out->rd = crc32_ieee(data, dlen);
    }
}

static uint32_t ttl_guess(uint8_t ttl)
{
    return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

/* processT1_7Resp / processTEcnResp */
static void seg_test(struct out *o, struct nmapdb_entry *obs, enum nmap_test t, const struct seg *sg,
                     bool ttl_known, unsigned dist)
{
    if (!sg->sent) {
        setv(obs, t, "R", "N");
        return;
    }
    char fl[12], *p = fl;
    static const struct { uint8_t f; char c; } defs[] = {
        { TH_ECE, 'E' }, { TH_URG, 'U' }, { TH_ACK, 'A' }, { TH_PSH, 'P' }, { TH_RST, 'R' }, { TH_SYN, 'S' }, { TH_FIN, 'F' },
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (sg->flags & defs[i].f)
            *p++ = defs[i].c;
    *p = '\0';
    char q[4], *qp = q;
    if (sg->res)
        *qp++ = 'R';
    if (!(sg->flags & TH_URG) && sg->urp)
        *qp++ = 'U';
    *qp = '\0';
    setv(obs, t, "R", "Y");
    setv(obs, t, "DF", sg->df ? "Y" : "N");
    if (ttl_known)
        setv(obs, t, "T", hexs(o, sg->ttl + dist - 1));
    else
        setv(obs, t, "TG", hexs(o, ttl_guess(sg->ttl)));
    if (t != NT_T1)
        setv(obs, t, "W", hexs(o, sg->win));
    if (t == NT_ECN) {
        bool ece = sg->flags & TH_ECE, cwr = sg->flags & TH_CWR;
        setv(obs, t, "CC", ece && cwr ? "S" : ece ? "Y" : !cwr ? "N" : "O");
        setv(obs, t, "O", str(o, sg->ops));
        setv(obs, t, "Q", str(o, q));
        return;
    }
    setv(obs, t, "S", sg->seq == 0 ? "Z" : sg->seq == PROBE_ACK ? "A" : sg->seq == PROBE_ACK + 1 ? "A+" : "O");
    setv(obs, t, "A", sg->ack == 0 ? "Z" : sg->ack == PROBE_SEQ ? "S" : sg->ack == PROBE_SEQ + 1 ? "S+" : "O");
    setv(obs, t, "F", str(o, fl));
    if (t != NT_T1)
        setv(obs, t, "O", str(o, sg->ops));
    setv(obs, t, "RD", sg->has_rd ? hexs(o, sg->rd) : "0");
    setv(obs, t, "Q", str(o, q));
}

/* nmap's IP ID classes (get_ipid_sequence_16, identify_sequence) */
static const char *ipid_class(struct out *o, const uint16_t *ids, int n)
{
    if (n < 2)
        return NULL;
    uint32_t d[8];
    bool allz = true;
    for (int i = 1; i < n; i++) {
        if (ids[i - 1] || ids[i])
            allz = false;
        d[i - 1] = (uint32_t)ids[i] - (uint32_t)ids[i - 1];
        if (n > 2 && d[i - 1] > 20000)
            return "RD";
    }
    if (allz)
        return "Z";
    bool allsame = true, k = true, l = true, j = true;
    for (int i = 0; i < n - 1; i++) {
        d[i] &= 0xffff;
        allsame &= d[i] == 0;
    }
    if (allsame)
        return hexs(o, ids[0]);
    for (int i = 0; i < n - 1; i++)
        if (d[i] > 1000 && (d[i] % 256 != 0 || d[i] >= 25600))
            return "RI";
    for (int i = 0; i < n - 1; i++) {
        if (d[i] > 5120 || d[i] % 256 != 0) k = false;
        if (d[i] % 2 != 0) l = false;
        if (d[i] > 9) j = false;
    }
    return k ? "BI" : l ? "I" : j ? "I" : NULL;
}

const char *nmap_ipid_class(const uint16_t *ids, int n, char *buf, size_t len)
{
    struct out o = { buf, buf + len, true };
    const char *c = n <= 8 ? ipid_class(&o, ids, n) : NULL;
    return c && o.ok ? c : NULL;
}

static bool incr_class(const char *c)
{
    return c && (!strcmp(c, "I") || !strcmp(c, "BI") || !strcmp(c, "RI"));
}

/* makeTSeqFP's GCD, ISR and SP */
static void seq_numbers(struct out *o, struct nmapdb_entry *obs, const uint32_t *isn, int n)
{
    uint32_t diffs[8] = { 0 }, gcd;
    double rates[8], avg = 0;
    for (int i = 1; i < n; i++) {
        uint32_t a = isn[i] - isn[i - 1], b = isn[i - 1] - isn[i];
        diffs[i - 1] = a < b ? a : b;
        rates[i - 1] = diffs[i - 1] * 1000000.0 / US_PER_PROBE;
        avg += rates[i - 1];
    }
    avg /= n - 1;
    gcd = diffs[0];
    for (int i = 1; i < n - 1; i++) {
        uint32_t x = gcd > diffs[i] ? gcd : diffs[i], y = gcd > diffs[i] ? diffs[i] : gcd;
        while (y) { uint32_t c = x % y; x = y; y = c; }
        gcd = x;
    }
    uint32_t isr = 0, sp = 0;
    if (gcd) {
        isr = avg >= 1 ? (uint32_t)(log2d(avg) * 8 + 0.5) : 0;
        double div = gcd > 9 ? gcd : 1, var = 0;
        for (int i = 0; i < n - 1; i++) {
            double r = rates[i] / div - avg / div;
            var += r * r;
        }
        var /= n - 2;
        double sd = sqrtd(var);
        sp = sd <= 1 ? 0 : (uint32_t)(log2d(sd) * 8 + 0.5);
    }
    setv(obs, NT_SEQ, "SP", hexs(o, sp));
    setv(obs, NT_SEQ, "GCD", hexs(o, gcd));
    setv(obs, NT_SEQ, "ISR", hexs(o, isr));
}

static void ts_class(struct out *o, struct nmapdb_entry *obs, const struct seg *sa, int n, bool ts)
{
    if (!ts) {
        setv(obs, NT_SEQ, "TS", "U");
        return;
    }
    double hz = 0;
    bool zero = false;
    for (int i = 0; i < n; i++)
        zero |= sa[i].tsval == 0;
    if (zero) {
        setv(obs, NT_SEQ, "TS", "0");
        return;
    }
    for (int i = 1; i < n; i++) {
        uint32_t a = sa[i].tsval - sa[i - 1].tsval, b = sa[i - 1].tsval - sa[i].tsval;
        hz += (a < b ? a : b) / (US_PER_PROBE / 1e6) / (n - 1);
    }
    uint32_t v = hz <= 5.66 ? 1 : hz > 70 && hz <= 150 ? 7 : hz > 150 && hz <= 350 ? 8
               : (uint32_t)(0.5 + log2d(hz));
    setv(obs, NT_SEQ, "TS", hexs(o, v));
}

static void u1_test(struct sim *s, struct out *o, struct nmapdb_entry *obs)
{
    struct probe_frame pf;
    memset(&pf, 0, sizeof pf);
    uint8_t *b = pf.bytes, *ip = b + 14, *udp = ip + 20;
    memcpy(b, our_mac, 6);
    memcpy(b + 6, their_mac, 6);
    b[12] = 0x08;
    ip[0] = 0x45; ip[2] = 328 >> 8; ip[3] = 328 & 0xff; ip[4] = 0x10; ip[5] = 0x42; ip[8] = 50; ip[9] = 17;
    ip[12] = THEIR_IP >> 24; ip[13] = THEIR_IP >> 16 & 0xff; ip[14] = THEIR_IP >> 8 & 0xff; ip[15] = THEIR_IP & 0xff;
    ip[16] = OUR_IP >> 24; ip[17] = OUR_IP >> 16 & 0xff; ip[18] = OUR_IP >> 8 & 0xff; ip[19] = OUR_IP & 0xff;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (uint32_t)ip[i] << 8 | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8); ip[11] = (uint8_t)~sum;
    udp[0] = 0xd4; udp[1] = 0x31; udp[2] = 0; udp[3] = 81; udp[4] = 308 >> 8; udp[5] = 308 & 0xff;
    memset(udp + 8, 'C', 300);
    udp[6] = 0x12; udp[7] = 0x34;          /* any checksum: nmap compares it with its own */
    struct frame *f = &pf.f;
    f->data = b; f->len = 14 + 328; f->l3 = L3_IPV4; f->l3_off = 14; f->ip_ver = 4;
    memcpy(f->eth_dst, our_mac, 6); memcpy(f->eth_src, their_mac, 6);
    f->saddr = THEIR_IP; f->daddr = OUR_IP; f->ttl = 50; f->proto = 17; f->ip_id = 0x1042;
    f->ip_hlen = 20; f->ip_totlen = 328; f->l4 = L4_UDP; f->l4_off = 34; f->l4_len = 308;
    f->sport = 0xd431; f->dport = 81; f->payload = udp + 8; f->payload_len = 300;
    uint8_t out[FRAME_MAX];
    const struct profile_answers *a = &s->pers->ans;
    size_t n = icmp_port_unreach(out, sizeof out, our_mac, f, &a->u1,
                                 ipidgen_next(&a->ipid_icmp, &s->g, NULL, s->now_us));
    if (!n) {
        setv(obs, NT_U1, "R", "N");
        return;
    }
    const uint8_t *rip = out + 14, *icmp = rip + 20, *q = icmp + 8;
    if (n < 14 + 28 + 20)
        return;
    size_t icmplen = n - 34;
    uint16_t ipl = (uint16_t)(rip[2] << 8 | rip[3]);
    setv(obs, NT_U1, "R", "Y");
    setv(obs, NT_U1, "DF", rip[6] & 0x40 ? "Y" : "N");
    s->dist = 50u - q[8] + 1;          /* processTUdpResp: udpttl - quoted TTL + 1 */
    setv(obs, NT_U1, "T", hexs(o, rip[8] + s->dist - 1));
    setv(obs, NT_U1, "IPL", hexs(o, ipl));
    setv(obs, NT_U1, "UN", hexs(o, (uint32_t)icmp[4] << 24 | (uint32_t)icmp[5] << 16 | (uint32_t)icmp[6] << 8 | icmp[7]));
    if (icmplen < 8 + 28)
        return;
    uint16_t qlen = (uint16_t)(q[2] << 8 | q[3]), qid = (uint16_t)(q[4] << 8 | q[5]);
    setv(obs, NT_U1, "RIPL", qlen == 328 ? "G" : hexs(o, qlen));
    setv(obs, NT_U1, "RID", qid == 0x1042 ? "G" : hexs(o, qid));
    uint16_t ck = (uint16_t)(q[10] << 8 | q[11]);
    if (ck == 0) {
        setv(obs, NT_U1, "RIPCK", "Z");
    } else {
        uint32_t cs = 0;
        for (int i = 0; i < 20; i += 2)
            if (i != 10) cs += (uint32_t)q[i] << 8 | q[i + 1];
        while (cs >> 16) cs = (cs & 0xffff) + (cs >> 16);
        setv(obs, NT_U1, "RIPCK", (uint16_t)~cs == ck ? "G" : "I");
    }
    uint16_t uck = (uint16_t)(q[26] << 8 | q[27]);
    setv(obs, NT_U1, "RUCK", uck == 0x1234 ? "G" : hexs(o, uck));
    bool good = true;
    for (size_t i = 8 + 28; i < icmplen; i++)
        good &= icmp[i] == 'C';
    setv(obs, NT_U1, "RUD", good ? "G" : "I");
}

static void ie_test(struct sim *s, struct out *o, struct nmapdb_entry *obs, bool ttl_known, uint16_t iid[2])
{
    const struct profile_answers *a = &s->pers->ans;
    uint8_t out[2][FRAME_MAX];
    size_t n[2];
    for (int k = 0; k < 2; k++) {
        struct probe_frame pf;
        memset(&pf, 0, sizeof pf);
        size_t dl = k ? 150 : 120;
        uint8_t *b = pf.bytes, *icmp = b + 34;
        memcpy(b, our_mac, 6);
        memcpy(b + 6, their_mac, 6);
        b[12] = 0x08;
        icmp[0] = 8; icmp[1] = k ? 0 : 9; icmp[4] = 0x12; icmp[5] = (uint8_t)(0x34 + k); icmp[7] = (uint8_t)(0x27 + k);
        struct frame *f = &pf.f;
        f->data = b; f->len = 34 + 8 + dl; f->l3 = L3_IPV4; f->l3_off = 14; f->ip_ver = 4;
        memcpy(f->eth_dst, our_mac, 6); memcpy(f->eth_src, their_mac, 6);
        f->saddr = THEIR_IP; f->daddr = OUR_IP; f->ttl = 50; f->proto = 1; f->df = k == 0;
        f->tos = k ? 4 : 0; f->ip_hlen = 20; f->ip_totlen = (uint16_t)(28 + dl);
        f->l4 = L4_ICMP; f->l4_off = 34; f->l4_len = 8 + dl; f->icmp_type = 8; f->icmp_code = icmp[1];
        iid[k] = ipidgen_next(&a->ipid_icmp, &s->g, NULL, s->now_us);
        n[k] = icmp_echo_reply(out[k], sizeof out[k], our_mac, f, &a->ie, iid[k]);
    }
    if (!n[0] || !n[1]) {
        setv(obs, NT_IE, "R", "N");
        return;
    }
    bool d1 = out[0][20] & 0x40, d2 = out[1][20] & 0x40;
    uint8_t c1 = out[0][35], c2 = out[1][35];
    setv(obs, NT_IE, "R", "Y");
    setv(obs, NT_IE, "DFI", d1 && d2 ? "Y" : d1 && !d2 ? "S" : !d1 && !d2 ? "N" : "O");
    if (ttl_known)
        setv(obs, NT_IE, "T", hexs(o, out[1][22] + s->dist - 1));
    else
        setv(obs, NT_IE, "TG", hexs(o, ttl_guess(out[1][22])));
    setv(obs, NT_IE, "CD", c1 == c2 ? (c1 == 0 ? "Z" : hexs(o, c1)) : c1 == 9 && c2 == 0 ? "S" : "O");
}

bool nmapdb_simulate(const struct personality *pers, uint64_t seed, struct nmapdb_entry *obs,
                     char *buf, size_t cap)
{
    struct out o = { buf, buf + cap, true };
    struct sim s = { .pers = pers, .now_us = 1000000000ull };
    gen_state_init(&s.g, seed);
    s.host_ts_off = (uint32_t)(seed * 2654435761u);
    memset(obs, 0, sizeof *obs);
    obs->name = "(simulated)";
    struct probe_frame pf;

    /* the six sequence probes, 100 ms apart; the first is also T1 */
    struct seg sa[6];
    uint32_t isn[6] = { 0 };
    uint16_t tid[6] = { 0 };
    int got = 0;
    bool ts_all = true;
    for (int i = 0; i < 6; i++) {
        tcp_probe(&pf, TH_SYN, prb[i].win, false, prb[i].opt, prb[i].len, OPEN_PORT, (uint16_t)(40000 + i), 0, 0);
        synack(&s, &pf.f, &sa[i]);
        if (sa[i].sent) {
            isn[got] = sa[i].seq;
            tid[got] = sa[i].ipid;
            got++;
            ts_all &= strchr(sa[i].ops, 'T') != NULL;
        }
        s.now_us += US_PER_PROBE;
    }

    /* then the others, in the order nmap queues them: ICMP, UDP, ECN, T2..T7 */
    uint16_t iid[2];
    s.dist = 1;
    u1_test(&s, &o, obs);
    bool u1_sent = obs->t[NT_U1].val[0] && !strcmp(obs->t[NT_U1].val[0], "Y");
    ie_test(&s, &o, obs, u1_sent, iid);
    struct seg ecn, t[7];
    tcp_probe(&pf, TH_SYN | TH_ECE | TH_CWR, prb[6].win, false, prb[6].opt, prb[6].len, OPEN_PORT, 40010, 63477, 8);
    synack(&s, &pf.f, &ecn);
    t[0] = sa[0];
    static const uint8_t tflags[7] = { TH_SYN, 0, TH_SYN | TH_FIN | TH_URG | TH_PSH, TH_ACK, TH_SYN, TH_ACK, TH_FIN | TH_PSH | TH_URG };
    static const bool tdf[7] = { false, true, false, true, false, true, false };
    uint16_t cid[3] = { 0 };
    int ncid = 0;
    for (int i = 1; i < 7; i++) {
        tcp_probe(&pf, tflags[i], prb[6 + i].win, tdf[i], prb[6 + i].opt, prb[6 + i].len,
                  i < 4 ? OPEN_PORT : CLOSED_PORT, (uint16_t)(40020 + i), 0, 0);
        stray(&s, &pf.f, i < 4, &t[i]);
        if (i >= 4 && t[i].sent)
            cid[ncid++] = t[i].ipid;
    }

    /* SEQ */
    if (got >= 4)
        seq_numbers(&o, obs, isn, got);
    const char *ti = got >= 3 ? ipid_class(&o, tid, got) : NULL, *ci = ipid_class(&o, cid, ncid);
    bool ie_sent = obs->t[NT_IE].val[0] && !strcmp(obs->t[NT_IE].val[0], "Y");
    const char *ii = ie_sent ? ipid_class(&o, iid, 2) : NULL;
    if (ti)
        setv(obs, NT_SEQ, "TI", ti);
    if (ci)
        setv(obs, NT_SEQ, "CI", ci);
    if (ii)
        setv(obs, NT_SEQ, "II", ii);
    if (incr_class(ti) && incr_class(ii)) {
        uint32_t avg = (uint32_t)(tid[got - 1] - tid[0]) / (uint32_t)(got - 1);
        setv(obs, NT_SEQ, "SS", iid[0] < tid[got - 1] + 3 * avg ? "S" : "O");
    }
    if (got >= 2)
        ts_class(&o, obs, sa, got, ts_all);

    /* OPS, WIN, ECN, T1..T7 (T5..T7 only when a closed port answers: nmap needs one) */
    bool all = got == 6;
    if (all) {
        static const char *const on[6] = { "O1", "O2", "O3", "O4", "O5", "O6" };
        static const char *const wn[6] = { "W1", "W2", "W3", "W4", "W5", "W6" };
        for (int i = 0; i < 6; i++) {
            setv(obs, NT_OPS, on[i], str(&o, sa[i].ops));
            setv(obs, NT_WIN, wn[i], hexs(&o, sa[i].win));
        }
    }
    seg_test(&o, obs, NT_ECN, &ecn, u1_sent, s.dist);
    bool closed_seen = t[4].sent || t[5].sent || t[6].sent;
    for (int i = 0; i < 7; i++)
        if (i < 4 || closed_seen)
            seg_test(&o, obs, (enum nmap_test)(NT_T1 + i), &t[i], u1_sent, s.dist);
    return o.ok;
}

size_t nmapdb_rank(const struct nmapdb *db, const struct nmapdb_entry *obs,
                   const struct nmapdb_entry **best, double *acc, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < db->n; i++) {
        double sc = nmapdb_score(db, &db->e[i], obs);
        size_t pos = n;
        while (pos > 0 && acc[pos - 1] < sc)
            pos--;
        if (pos >= max)
            continue;
        size_t last = n < max ? n : max - 1;
        for (size_t k = last; k > pos; k--) {
            best[k] = best[k - 1];
            acc[k] = acc[k - 1];
        }
        best[pos] = &db->e[i];
        acc[pos] = sc;
        if (n < max)
            n++;
    }
    return n;
}
