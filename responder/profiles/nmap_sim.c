/* What nmap -O would record from a personality, computed offline: nmap's probes
 * (osscan2.cc) are built as real frames, handed to a real engine playing the personality
 * (port 80 open, every other port closed) through engine_rx, and what it sends back is
 * parsed and reduced to a fingerprint as nmap reduces it (makeTSeqFP, processT1_7Resp,
 * processTUdpResp, processTIcmpResp). One implementation, two drivers: the simulator runs
 * the responder's own code on a simulated clock, so what passes here is what goes on the
 * wire. It lets a personality be checked against nmap-os-db without a lab; the lab remains
 * the proof. No libm: the two logarithms and one square root are computed here. */
#include <stdio.h>
#include <string.h>
#include "be.h"
#include "craft.h"
#include "engine.h"
#include "mode.h"
#include "nmapdb.h"
#include "profile_ext.h"
#include "reply.h"

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

/* ---- the simulated host: a real engine, a recorder for what it sends ---- */
static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 1 }, their_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
#define OUR_IP 0xc6120001u
#define THEIR_IP 0xc6120002u
#define PROBE_TTL 50

#define OPEN_PORT 80
#define CLOSED_PORT 81

/* ---- one answer segment, as nmap reads it ---- */
struct seg {
    uint32_t seq, ack, tsval, rd;
    uint16_t win, urp, ipid;
    uint8_t ttl, flags, res;
    bool sent, df, has_rd;
    char ops[64];
};

struct sim {
    const struct personality *pers;
    struct engine e;
    struct ruleset rs;
    struct addrset as;
    struct tmpl_tcp4 t;
    uint64_t now_us;
    unsigned dist;              /* hops nmap counts from the U1 answer (1: next door) */
    uint8_t out[FRAME_MAX];     /* the last frame the engine sent */
    size_t outlen;
    int nout;
};

static int record(void *ctx, const uint8_t *frame, size_t len)
{
    struct sim *s = ctx;
    if (len <= sizeof s->out) {
        memcpy(s->out, frame, len);
        s->outlen = len;
        s->nout++;
    }
    return 0;
}

/* One probe frame into the engine at the simulated time; true when it answered, with
 * the answer parsed into *ans. */
static bool probe(struct sim *s, const uint8_t *frame, size_t len, struct frame *ans)
{
    struct frame in;
    if (!len || pkt_parse(&in, frame, len) != PKT_OK)
        return false;
    s->nout = 0;
    s->e.now_us = s->now_us;
    engine_rx(&s->e, &in);
    return s->nout > 0 && pkt_parse(ans, s->out, s->outlen) == PKT_OK;
}

/* nmap's TCP probe of shape ix (nmap_probe_shapes); its answer reduced to a seg. */
static void tcp_probe(struct sim *s, int ix, uint16_t dport, uint16_t sport, uint16_t urp, uint8_t res,
                      struct seg *out)
{
    const struct nmap_probe_shape *sh = &nmap_probe_shapes[ix];
    memset(out, 0, sizeof *out);
    struct ip4_spec ip = { .saddr = THEIR_IP, .daddr = OUR_IP, .ttl = PROBE_TTL, .df = sh->df,
                           .id = (uint16_t)(sport * 7) };
    struct tcp_spec t = { .sport = sport, .dport = dport, .seq = PROBE_SEQ, .ack = PROBE_ACK,
                          .flags = sh->flags, .res = res, .urp = urp, .win = sh->win,
                          .opts = sh->opt, .optlen = sh->len };
    uint8_t frame[256];
    size_t len = tmpl_tcp4_build(&s->t, frame, sizeof frame, their_mac, our_mac, &ip, &t, NULL, 0);
    struct frame a;
    if (!probe(s, frame, len, &a) || a.l4 != L4_TCP)
        return;
    out->sent = true;
    out->seq = a.seq;
    out->ack = a.ack;
    out->win = a.win;
    out->urp = a.urp;
    out->ipid = a.ip_id;
    out->ttl = a.ttl;
    out->df = a.df;
    out->flags = a.flags;
    out->res = a.th_res;
    out->tsval = a.opt.has_ts ? a.opt.tsval : 0;
    opt_string(a.data + a.l4_off + 20, (size_t)a.doff - 20, out->ops, sizeof out->ops);
    if ((a.flags & TH_RST) && a.payload_len) {
        out->has_rd = true;
        out->rd = crc32_ieee(a.payload, a.payload_len);
    }
}

static int sim_init(struct sim *s, uint64_t seed)
{
    char err[512];
    ruleset_init(&s->rs);
    struct rule open = { .mask = 0xffffffffu, .addr = OUR_IP, .mode = mode_find("open") };
    mode_params_default(&open.p);
    portset_add(&open.ports, OPEN_PORT);
    snprintf(open.where, sizeof open.where, "nmap simulation");
    if (!open.mode || ruleset_add(&s->rs, &open) != 0 || addrset_add(&s->as, OUR_IP) != 0 ||
        tmpl_tcp4_init(&s->t, their_mac, our_mac, err) != 0 ||
        engine_init(&s->e, &s->rs, &s->pers->prof, &s->pers->ans, &s->as, NULL, our_mac, 64, err) != 0)
        return -1;
    s->e.send = record;
    s->e.send_ctx = s;
    s->e.ev.quiet = true;
    /* the engine keys itself from getrandom; a seeded run is reproducible */
    s->e.isn_key[0] = seed * 0x9e3779b97f4a7c15ull;
    s->e.isn_key[1] = ~seed * 0xc2b2ae3d27d4eb4full;
    s->e.rng = (seed * 0x5851f42d4c957f2dull) | 1;
    gen_state_init(&s->e.gen, seed);
    return 0;
}

static void sim_free(struct sim *s)
{
    engine_free(&s->e);
    ruleset_free(&s->rs);
    addrset_free(&s->as);
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
    /* nmap's UDP probe: 300 'C's to a closed port, IP ID 0x1042 */
    uint8_t udp[8] = { 0xd4, 0x31, 0, CLOSED_PORT, 308 >> 8, 308 & 0xff, 0, 0 }, data[300], frame[FRAME_MAX];
    memset(data, 'C', sizeof data);
    struct l3_spec l3 = { .ip4 = { .saddr = THEIR_IP, .daddr = OUR_IP, .ttl = PROBE_TTL, .id = 0x1042 } };
    size_t len = build_l3_frame(frame, sizeof frame, their_mac, our_mac, &l3, 17, udp, sizeof udp,
                                data, sizeof data, 6, false);
    uint16_t sent_uck = len ? get16(frame + 14 + 20 + 6) : 0;
    struct frame ans;
    if (!probe(s, frame, len, &ans) || ans.l4 != L4_ICMP) {
        setv(obs, NT_U1, "R", "N");
        return;
    }
    const uint8_t *out = s->out;
    size_t n = s->outlen;
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
    setv(obs, NT_U1, "RUCK", uck == sent_uck ? "G" : hexs(o, uck));
    bool good = true;
    for (size_t i = 8 + 28; i < icmplen; i++)
        good &= icmp[i] == 'C';
    setv(obs, NT_U1, "RUD", good ? "G" : "I");
}

static void ie_test(struct sim *s, struct out *o, struct nmapdb_entry *obs, bool ttl_known, uint16_t iid[2])
{
    /* nmap's two echo requests: code 9, 120 zero bytes, DF, TOS 0; code 0, 150 bytes, TOS 4 */
    uint8_t out[2][FRAME_MAX];
    size_t n[2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        uint8_t icmp[8] = { 8, (uint8_t)(k ? 0 : 9), 0, 0, 0x12, (uint8_t)(0x34 + k), 0, (uint8_t)(0x27 + k) };
        uint8_t data[150] = { 0 }, frame[FRAME_MAX];
        struct l3_spec l3 = { .ip4 = { .saddr = THEIR_IP, .daddr = OUR_IP, .ttl = PROBE_TTL, .df = k == 0,
                                       .tos = (uint8_t)(k ? 4 : 0), .id = (uint16_t)(0x2000 + k) } };
        size_t len = build_l3_frame(frame, sizeof frame, their_mac, our_mac, &l3, 1, icmp, sizeof icmp,
                                    data, k ? 150 : 120, 2, false);
        struct frame ans;
        if (probe(s, frame, len, &ans) && ans.l4 == L4_ICMP) {
            memcpy(out[k], s->out, s->outlen);
            n[k] = s->outlen;
            iid[k] = ans.ip_id;
        }
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
    static _Thread_local struct sim s;      /* the engine is large: not on the stack */
    memset(&s, 0, sizeof s);
    s.pers = pers;
    s.now_us = 1000000000ull;
    if (sim_init(&s, seed) != 0) {
        sim_free(&s);
        return false;
    }
    memset(obs, 0, sizeof *obs);
    obs->name = "(simulated)";

    /* the six sequence probes, 100 ms apart; the first is also T1 */
    struct seg sa[6];
    uint32_t isn[6] = { 0 };
    uint16_t tid[6] = { 0 };
    int got = 0;
    bool ts_all = true;
    for (int i = 0; i < 6; i++) {
        tcp_probe(&s, NP_SEQ1 + i, OPEN_PORT, (uint16_t)(40000 + i), 0, 0, &sa[i]);
        if (sa[i].sent) {
            isn[got] = sa[i].seq;
            tid[got] = sa[i].ipid;
            got++;
            ts_all &= strchr(sa[i].ops, 'T') != NULL;
        }
        s.now_us += US_PER_PROBE;
    }

    /* then the others, in the order nmap queues them: ICMP, UDP, ECN, T2..T7 */
    uint16_t iid[2] = { 0, 0 };
    s.dist = 1;
    u1_test(&s, &o, obs);
    bool u1_sent = obs->t[NT_U1].val[0] && !strcmp(obs->t[NT_U1].val[0], "Y");
    ie_test(&s, &o, obs, u1_sent, iid);
    struct seg ecn, t[7];
    tcp_probe(&s, NP_ECN, OPEN_PORT, 40010, 63477, 8, &ecn);
    t[0] = sa[0];
    uint16_t cid[3] = { 0 };
    int ncid = 0;
    for (int i = 1; i < 7; i++) {
        tcp_probe(&s, NMAP_T2 + i - 1, i < 4 ? OPEN_PORT : CLOSED_PORT, (uint16_t)(40020 + i), 0, 0, &t[i]);
        if (i >= 4 && t[i].sent)
            cid[ncid++] = t[i].ipid;
    }
    sim_free(&s);

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
