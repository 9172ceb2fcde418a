/* One nmap-os-db entry -> a personality. Where the fingerprint allows several values,
 * one is picked so that they agree with each other:
 *   TTL      per test: TG's value when T allows it, else the value of T closest to TG
 *            (nmap reports T = received TTL + hops - 1, TG = the TTL rounded up)
 *   DF, R    the first alternative
 *   windows  W1..W6 and ECN W as given (first alternative, low end of a range); the
 *            generic SYN-ACK window per layout is W1 (TS+SACK), W3 (TS), ECN W (SACK, none)
 *   options  O1..O6, ECN O, T2..T7 O verbatim (first non-empty alternative for OPS); the
 *            generic layouts come from O1 (TS+SACK), O3 (TS), ECN O (SACK), and ECN O less
 *            SACK; MSS and window scale from O1
 *   IP IDs   TI -> SYN-ACKs, CI -> resets, II -> ICMP; SS=S puts ICMP on the TCP counter
 *   ISN      GCD=0: constant; GCD <= 6 with ISR >= F0: random (what nmap sees of a
 *            random ISN); else a global clock at 2^(ISR/8)/s in GCD steps, spread 2^(SP/8)
 *   TS       U: none; 0: zero; 1/7/8/A: 2/100/200/1000 Hz; >= 1C: random per connection;
 *            else 2^TS Hz
 *   U1       IPL -> how much is quoted (a full quote means "up to 576 bytes in all");
 *            RIPL/RID as the same change applied to any probe (byte swap, +/- a few
 *            bytes) or a constant; RIPCK, RUCK, RUD as given
 * Ranges in SEQ (SP, ISR) are read at their middle: nmap writes them around what it saw. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "nmapdb.h"
#include "profile_ext.h"

static const char *get(const struct nmapdb_entry *e, enum nmap_test t, const char *a)
{
    return nmapdb_get(e, t, a);
}

static bool pick(const char *expr, bool nonempty, char *out, size_t cap)
{
    out[0] = '\0';
    return expr && nmap_expr_pick(expr, nonempty, out, cap);
}

static bool pick_hex(const char *expr, uint32_t *v)
{
    char b[32];
    return pick(expr, true, b, sizeof b) && nmap_hex(b, v);
}

/* Middle of the first alternative (a range's centre), for values nmap measured. */
static bool pick_mid(const char *expr, uint32_t *v)
{
    char alt[40];
    if (!expr)
        return false;
    size_t n = strcspn(expr, "|");
    if (n >= sizeof alt)
        return false;
    memcpy(alt, expr, n);
    alt[n] = '\0';
    char *dash = strchr(alt, '-');
    uint32_t lo, hi;
    if (dash) {
        *dash = '\0';
        if (!nmap_hex(alt, &lo) || !nmap_hex(dash + 1, &hi) || hi < lo)
            return false;
        *v = lo + (hi - lo) / 2;
        return true;
    }
    return pick_hex(expr, v);
}

static bool yes(const char *expr, bool dflt)
{
    char b[8];
    if (!pick(expr, true, b, sizeof b))
        return dflt;
    return b[0] == 'Y';
}

/* nmap reports T = TTL received + hops - 1 (hops from the U1 answer); TTLs above 255
 * mean the fingerprint was taken from further away: those are played with extra hops
 * (u1_answer.hops) and every TTL lowered by them. */
static uint8_t ttl_of(const struct nmapdb_entry *e, enum nmap_test t, uint8_t dflt, unsigned hops)
{
    uint32_t tg = 0, v;
    bool have_tg = pick_hex(get(e, t, "TG"), &tg);
    const char *texpr = get(e, t, "T");
    if (texpr && nmap_expr_pick_near(texpr, (have_tg ? tg : dflt) + hops, &v))
        v = v > hops ? v - hops : 1;
    else if (have_tg)
        v = tg;
    else
        return dflt;
    return (uint8_t)(v == 0 ? 1 : v > 255 ? 255 : v);
}

static unsigned hops_of(const struct nmapdb_entry *e)
{
    unsigned h = 0;
    for (int t = NT_ECN; t < NT_COUNT; t++) {
        uint32_t tg = 0, v;
        const char *texpr = get(e, (enum nmap_test)t, "T");
        pick_hex(get(e, (enum nmap_test)t, "TG"), &tg);
        if (texpr && nmap_expr_pick_near(texpr, tg ? tg : 64, &v) && v > 255 && v - 255 <= 30 && v - 255 > h)
            h = v - 255;
    }
    return h;
}

static uint8_t flags_of(const char *s)
{
    uint8_t f = 0;
    for (; *s; s++) {
        int b = *s == '.' || *s == 'W' ? -1 : tcp_flag_of_letter(*s);   /* nmap's letters only */
        if (b > 0)
            f |= (uint8_t)b;
    }
    return f;
}

static uint8_t quirks_of(const char *expr)
{
    char b[16];
    uint8_t q = 0;
    if (pick(expr, false, b, sizeof b))
        for (char *c = b; *c; c++)
            q |= *c == 'R' ? SQ_RES : *c == 'U' ? SQ_URP : 0;
    return q;
}

static uint8_t seq_rule_of(const char *expr, uint8_t dflt)
{
    char b[8];
    if (!pick(expr, true, b, sizeof b))
        return dflt;
    return !strcmp(b, "Z") ? SEQR_ZERO : !strcmp(b, "A") ? SEQR_ACK : !strcmp(b, "A+") ? SEQR_ACK1 : SEQR_OTHER;
}

static uint8_t ack_rule_of(const char *expr, uint8_t dflt)
{
    char b[8];
    if (!pick(expr, true, b, sizeof b))
        return dflt;
    return !strcmp(b, "Z") ? ACKR_ZERO : !strcmp(b, "S") ? ACKR_SEQ : !strcmp(b, "S+") ? ACKR_SEQ1 : ACKR_OTHER;
}

/* Letters of an nmap option string as a struct profile layout (L -> E), with MSS and
 * window scale values. */
struct opsinfo { char layout[24]; int mss; int ws; bool sack, ts; };

static bool ops_parse(const char *o, struct opsinfo *oi)
{
    memset(oi, 0, sizeof *oi);
    oi->mss = -1;
    oi->ws = -1;
    size_t n = 0;
    for (const char *c = o; *c;) {
        char l = *c++;
        uint32_t v = 0;
        if (l == 'M' || l == 'W') {
            int k = 0;
            while (isxdigit((unsigned char)*c) && k < 8)
                v = v << 4 | (uint32_t)(isdigit((unsigned char)*c) ? *c - '0' : toupper((unsigned char)*c) - 'A' + 10), c++, k++;
            if (k == 0)
                return false;
            if (l == 'M' && oi->mss < 0)
                oi->mss = (int)(v > 0xffff ? 0xffff : v);
            if (l == 'W' && oi->ws < 0)
                oi->ws = (int)(v > 14 ? 14 : v);
        } else if (l == 'T') {
            if ((*c != '0' && *c != '1') || (c[1] != '0' && c[1] != '1'))
                return false;
            c += 2;
            oi->ts = true;
        } else if (l == 'S') {
            oi->sack = true;
        } else if (l != 'N' && l != 'L') {
            return false;
        }
        if (n + 1 >= sizeof oi->layout)
            return false;
        oi->layout[n++] = l == 'L' ? 'E' : l;
    }
    oi->layout[n] = '\0';
    return true;
}

/* Drop option letter x and the NOP pair that pads it, and trailing EOL padding. */
static void drop_opt(char *lay, char x)
{
    char *p = strchr(lay, x);
    if (p) {
        char *from = p >= lay + 2 && p[-1] == 'N' && p[-2] == 'N' ? p - 2 : p;
        memmove(from, p + 1, strlen(p + 1) + 1);
    }
    size_t n = strlen(lay);
    while (n && lay[n - 1] == 'E')
        lay[--n] = '\0';
}

static struct ipidgen ipid_gen(const char *expr, uint8_t counter, uint8_t dflt)
{
    struct ipidgen g = { .kind = dflt, .counter = counter };
    char b[16];
    uint32_t v;
    if (!pick(expr, true, b, sizeof b))
        return g;
    if (!strcmp(b, "Z"))
        g.kind = IPG_ZERO;
    else if (!strcmp(b, "I"))
        g.kind = IPG_INCR;
    else if (!strcmp(b, "BI"))
        g.kind = IPG_BROKEN_INCR;
    else if (!strcmp(b, "RI"))
        g.kind = IPG_RANDOM_INCR;
    else if (!strcmp(b, "RD"))
        g.kind = IPG_RANDOM;
    else if (nmap_hex(b, &v)) {
        g.kind = IPG_CONST;
        g.value = (uint16_t)v;
    }
    return g;
}

static enum ipid_kind coarse(const struct ipidgen *g)
{
    switch ((enum ipidg_kind)g->kind) {
    case IPG_ZERO:     return IPID_ZERO;
    case IPG_RANDOM:   return IPID_RANDOM;
    case IPG_PER_FLOW: return IPID_PER_FLOW;
    default:           return IPID_GLOBAL;
    }
}

static bool incremental(const struct ipidgen *g)
{
    return g->kind == IPG_INCR || g->kind == IPG_BROKEN_INCR || g->kind == IPG_RANDOM_INCR;
}

/* 2^(x/8), saturated at 2^40. */
static uint64_t exp2_8(uint32_t x)
{
    static const uint64_t frac[8] = { 65536, 71468, 77936, 84990, 92682, 101070, 110218, 120194 };
    uint32_t k = x >> 3;
    if (k >= 40)
        return 1ull << 40;
    return (frac[x & 7] << k) >> 16;
}

/* Every ISN generator is a clock: a random ISN is, to nmap's six samples, a clock
 * running at about 2^33 per second with a spread of about 2^32.5, and playing it as one
 * puts ISR and SP at the middle of the fingerprint's ranges instead of wherever chance
 * lands them. */
static void isn_of(const struct nmapdb_entry *e, struct isngen *g)
{
    uint32_t gcd = 1, isr = 0, sp = 0;
    bool have_gcd = pick_hex(get(e, NT_SEQ, "GCD"), &gcd);
    bool have_isr = pick_mid(get(e, NT_SEQ, "ISR"), &isr);
    pick_mid(get(e, NT_SEQ, "SP"), &sp);
    memset(g, 0, sizeof *g);
    if (have_gcd && gcd == 0) {
        g->kind = ISG_CONST;
        g->value = 0x5f3759dfu;
        return;
    }
    if (!have_isr) {
        g->kind = ISG_RANDOM;
        g->gcd = have_gcd && gcd > 1 ? gcd : 1;
        return;
    }
    g->kind = ISG_CLOCK;
    g->gcd = gcd ? gcd : 1;
    g->rate = isr ? exp2_8(isr) : 0;
    g->sd = sp ? exp2_8(sp) : 0;
    if (gcd > 9)
        g->sd *= gcd;                  /* nmap divides the spread by a GCD above 9 */
}

static void ts_of(const struct nmapdb_entry *e, struct profile *p, struct tsgen *g)
{
    char b[16];
    uint32_t v;
    g->kind = TSG_PROFILE;
    if (!pick(get(e, NT_SEQ, "TS"), true, b, sizeof b))
        return;
    if (pick_mid(get(e, NT_SEQ, "TS"), &v))
        snprintf(b, sizeof b, "%X", v);   /* "20-22": the middle, 21 */
    if (!strcmp(b, "U")) {
        p->ts = false;
        return;
    }
    if (!nmap_hex(b, &v))
        return;
    g->kind = TSG_CLOCK;
    if (v == 0) {
        g->kind = TSG_ZERO;
        return;
    }
    g->hz = v == 1 ? 2 : v == 7 ? 100 : v == 8 ? 200 : v == 0xA ? 1000 : v < 0x1c ? 1u << v : 1000;
    if (v >= 0x1c) {
        g->kind = TSG_RANDOM;
        g->fast_log2 = (uint8_t)(v > 40 ? 40 : v);
    }
    p->ts_hz = g->hz;
}

static void set_opts(struct seg_answer *sa, const char *src)
{
    size_t n = strnlen(src, sizeof sa->opts - 1);
    memcpy(sa->opts, src, n);
    sa->opts[n] = '\0';
}

static void seg_of(const struct nmapdb_entry *e, enum nmap_test t, struct seg_answer *sa, unsigned hops)
{
    char b[56];
    uint32_t v;
    sa->respond = yes(get(e, t, "R"), true);
    sa->df = yes(get(e, t, "DF"), sa->df);
    sa->ttl = ttl_of(e, t, sa->ttl, hops);
    if (pick_hex(get(e, t, "W"), &v))
        sa->win = (uint16_t)v;
    if (pick(get(e, t, "F"), true, b, sizeof b))
        sa->flags = flags_of(b);
    sa->seq = seq_rule_of(get(e, t, "S"), sa->seq);
    sa->ack = ack_rule_of(get(e, t, "A"), sa->ack);
    if (get(e, t, "O") && pick(get(e, t, "O"), false, b, sizeof b))
        set_opts(sa, b);
    if (pick_hex(get(e, t, "RD"), &v))
        sa->rd = v;
    sa->quirks = quirks_of(get(e, t, "Q"));
}

static uint16_t swap16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }

/* A quoted 16-bit field: the same change applied to any probe when nmap's value is its
 * probe's value swapped or moved by a few bytes, else the value itself. */
static void quoted_field(const char *expr, uint16_t probe_val, uint8_t *kind, int32_t *arg)
{
    char b[16];
    uint32_t v;
    *kind = QR_GOOD;
    *arg = 0;
    if (!pick(expr, true, b, sizeof b) || !strcmp(b, "G") || !nmap_hex(b, &v) || v > 0xffff)
        return;
    int d = (int)v - probe_val, ds = (int)swap16((uint16_t)v) - probe_val;
    if (d == 0)
        return;
    if (ds == 0) {
        *kind = QR_SWAP;
    } else if (ds >= -64 && ds <= 64) {
        *kind = QR_SWAP_DELTA;
        *arg = ds;
    } else if (d >= -64 && d <= 64) {
        *kind = QR_DELTA;
        *arg = d;
    } else {
        *kind = QR_CONST;
        *arg = (int32_t)v;
    }
}

static void u1_of(const struct nmapdb_entry *e, struct u1_answer *u, unsigned hops)
{
    char b[16];
    uint32_t v;
    u->respond = yes(get(e, NT_U1, "R"), true);
    u->df = yes(get(e, NT_U1, "DF"), u->df);
    u->ttl = ttl_of(e, NT_U1, u->ttl, hops);
    u->hops = (uint8_t)hops;
    u->tos = 0;
    u->tos_copy = false;
    if (pick_hex(get(e, NT_U1, "IPL"), &v) && v <= 0xffff) {
        if (v > 0x1000 && swap16((uint16_t)v) >= 28 && swap16((uint16_t)v) <= 1500) {
            u->ipl_swap = true;
            v = swap16((uint16_t)v);
        }
        if (v < 28)
            v = 28;
        /* nmap's probe is 328 bytes: a whole quote (356 in all) says "quote what fits in
         * 576", more than that is padding */
        if (v >= 28 + 328) {
            u->quote_max = 576 - 28;
            u->pad_to = v > 28 + 328 ? (uint16_t)v : 0;
        } else {
            u->quote_max = (uint16_t)(v - 28);
            u->pad_to = 0;
        }
    }
    if (pick_hex(get(e, NT_U1, "UN"), &v))
        u->un = v;
    quoted_field(get(e, NT_U1, "RIPL"), 328, &u->ripl, &u->ripl_arg);
    /* the ID: kept, byte-swapped (0x4210), or one fixed value */
    u->rid = QR_GOOD;
    if (pick(get(e, NT_U1, "RID"), true, b, sizeof b) && nmap_hex(b, &v) && v != 0x1042 && v <= 0xffff) {
        u->rid = v == 0x4210 ? QR_SWAP : QR_CONST;
        u->rid_arg = (uint16_t)v;
    }
    if (pick(get(e, NT_U1, "RIPCK"), true, b, sizeof b))
        u->ripck = !strcmp(b, "Z") ? QCK_ZERO : !strcmp(b, "I") ? QCK_BAD : QCK_GOOD;
    if (pick(get(e, NT_U1, "RUCK"), true, b, sizeof b) && strcmp(b, "G") != 0 && nmap_hex(b, &v)) {
        u->ruck = QR_CONST;
        u->ruck_arg = (uint16_t)v;
    }
    if (pick(get(e, NT_U1, "RUD"), true, b, sizeof b))
        u->rud_bad = !strcmp(b, "I");
}

static void ie_of(const struct nmapdb_entry *e, struct ie_answer *ie, unsigned hops)
{
    char b[16];
    uint32_t v;
    ie->respond = yes(get(e, NT_IE, "R"), true);
    ie->ttl = ttl_of(e, NT_IE, ie->ttl, hops);
    if (pick(get(e, NT_IE, "DFI"), true, b, sizeof b))
        ie->dfi = !strcmp(b, "Y") ? DFI_Y : !strcmp(b, "S") ? DFI_S : !strcmp(b, "O") ? DFI_O : DFI_N;
    if (pick(get(e, NT_IE, "CD"), true, b, sizeof b)) {
        if (!strcmp(b, "Z"))
            ie->cd = CD_ZERO;
        else if (!strcmp(b, "S"))
            ie->cd = CD_SAME;
        else if (!strcmp(b, "O"))
            ie->cd = CD_OTHER;
        else if (nmap_hex(b, &v)) {
            ie->cd = CD_VALUE;
            ie->code = (uint8_t)v;
        }
    }
}

static void timers_of(const struct nmapdb_entry *e, struct profile *p)
{
    const char *vendor = e->nclass ? e->cls[0] : "";
    /* not visible to nmap or p0f; the stacks' defaults where known */
    p->synack_rto_ms = 1000;
    p->synack_retries = 5;
    p->fin_timeout_ms = 60000;
    p->time_wait_ms = 60000;
    if (!strncmp(vendor, "Microsoft", 9)) {
        p->synack_rto_ms = 3000;       /* TcpMaxConnectResponseRetransmissions 2 */
        p->synack_retries = 2;
        p->fin_timeout_ms = 120000;    /* TcpFinWait2Delay */
        p->time_wait_ms = 240000;      /* TcpTimedWaitDelay */
    } else if (strstr(vendor, "BSD") || !strncmp(vendor, "Apple", 5)) {
        p->synack_retries = 3;         /* syncache rexmtlimit */
    }
}

int nmapdb_to_profile(const struct nmapdb_entry *e, struct personality *out, char *why)
{
    memset(out, 0, sizeof *out);
    struct profile *p = &out->prof;
    struct profile_answers *a = &out->ans;
    snprintf(out->name, sizeof out->name, "%s", e->name);
    snprintf(out->os, sizeof out->os, "%s", e->name);
    snprintf(out->summary, sizeof out->summary, "nmap-os-db fingerprint at line %u", e->line);
    out->src_nmap = e->name;
    out->src_line = e->line;
    p->name = out->name;
    p->os = out->os;
    p->summary = out->summary;
    if (nmapdb_no_response(e, NT_T1)) {
        snprintf(why, 256, "\"%s\" (line %u): T1(R=N), the open port never answers a SYN", e->name, e->line);
        return -1;
    }

    /* IP and the handshake, from T1, OPS and WIN */
    unsigned hops = hops_of(e);
    p->ttl = ttl_of(e, NT_T1, ttl_of(e, NT_ECN, 64, hops), hops);
    p->df = yes(get(e, NT_T1, "DF"), yes(get(e, NT_ECN, "DF"), true));
    char o[NP_COUNT][56];
    uint32_t w[NP_COUNT];
    static const char *const on[6] = { "O1", "O2", "O3", "O4", "O5", "O6" };
    static const char *const wn[6] = { "W1", "W2", "W3", "W4", "W5", "W6" };
    bool have_ops = true, have_win = true;
    for (int i = 0; i < 6; i++) {
        have_ops &= get(e, NT_OPS, on[i]) && pick(get(e, NT_OPS, on[i]), true, o[i], sizeof o[i]);
        have_win &= pick_hex(get(e, NT_WIN, wn[i]), &w[i]);
    }
    bool ecn = e->t[NT_ECN].present && yes(get(e, NT_ECN, "R"), true);
    o[NP_ECN][0] = '\0';
    if (ecn)
        pick(get(e, NT_ECN, "O"), true, o[NP_ECN], sizeof o[NP_ECN]);
    w[NP_ECN] = 0;
    if (ecn)
        pick_hex(get(e, NT_ECN, "W"), &w[NP_ECN]);

    struct opsinfo o1, o3, oe;
    if (!have_ops || !ops_parse(o[0], &o1))
        ops_parse(ecn && o[NP_ECN][0] ? o[NP_ECN] : "M5B4", &o1);
    if (!have_ops || !ops_parse(o[2], &o3)) {
        o3 = o1;
        drop_opt(o3.layout, 'S');
    }
    if (!ecn || !o[NP_ECN][0] || !ops_parse(o[NP_ECN], &oe)) {
        oe = o1;
        drop_opt(oe.layout, 'T');
    }
    p->mss = (uint16_t)(o1.mss > 0 ? o1.mss : 1460);
    p->wscale = (int8_t)o1.ws;
    p->sack = o1.sack;
    p->ts = o1.ts;
    p->ts_hz = 1000;
    snprintf(out->layout[3], sizeof out->layout[3], "%s", o1.layout);
    snprintf(out->layout[2], sizeof out->layout[2], "%s", o3.layout);
    snprintf(out->layout[1], sizeof out->layout[1], "%s", oe.layout);
    snprintf(out->layout[0], sizeof out->layout[0], "%s", oe.layout);
    drop_opt(out->layout[0], 'S');
    for (int i = 0; i < 4; i++)
        p->synack_layout[i] = out->layout[i];
    p->synack_win = (uint16_t)(have_win ? w[0] : w[NP_ECN] ? w[NP_ECN] : 65535);
    a->synack_win[3] = p->synack_win;
    a->synack_win[2] = (uint16_t)(have_win ? w[2] : p->synack_win);
    a->synack_win[1] = a->synack_win[0] = (uint16_t)(w[NP_ECN] ? w[NP_ECN] : p->synack_win);
    p->rcv_wnd = p->synack_win > 65535 / 2 ? p->synack_win : 65535;

    /* IP IDs, ISNs, timestamps; the rest starts as Linux's answers and takes what the
     * entry says */
    char ss[8];
    bool shared = pick(get(e, NT_SEQ, "SS"), true, ss, sizeof ss) && !strcmp(ss, "S");
    struct ipidgen ti = ipid_gen(get(e, NT_SEQ, "TI"), IPC_SHARED, IPG_ZERO);
    struct ipidgen ci = ipid_gen(get(e, NT_SEQ, "CI"), IPC_RESET, ti.kind);
    struct ipidgen ii = ipid_gen(get(e, NT_SEQ, "II"), shared ? IPC_SHARED : IPC_ICMP, IPG_INCR);
    if (ci.kind == ti.kind && incremental(&ci))
        ci.counter = IPC_SHARED;
    struct ipidgen fl = ti;
    if (fl.kind == IPG_ZERO || fl.kind == IPG_CONST)
        fl.kind = IPG_PER_FLOW;            /* TI=Z: DF SYN-ACKs carry 0, sockets count */
    p->ipid_synack = coarse(&ti);
    p->ipid_flow = coarse(&fl);
    p->ipid_reset = coarse(&ci);
    p->isn = ISN_RANDOM;
    profile_answers_default(p, a);
    a->ipid_synack = ti;
    a->ipid_reset = ci;
    a->ipid_icmp = ii;
    a->ipid_flow = fl;
    isn_of(e, &a->isn);
    ts_of(e, p, &a->ts);
    a->synack_win[3] = p->synack_win;
    a->synack_win[2] = (uint16_t)(have_win ? w[2] : p->synack_win);
    a->synack_win[1] = a->synack_win[0] = (uint16_t)(w[NP_ECN] ? w[NP_ECN] : p->synack_win);
    a->ecn_flags = 0;

    /* nmap's SYN probes: T1's flags, DF, TTL and quirks with each probe's window and
     * options; the ECN probe from the ECN test */
    struct seg_answer t1 = { .respond = true, .df = p->df, .ttl = p->ttl, .flags = TH_SYN | TH_ACK,
                             .seq = SEQR_OTHER, .ack = ACKR_SEQ1 };
    seg_of(e, NT_T1, &t1, hops);
    for (int i = 0; i < 6; i++) {
        if (!have_ops || !have_win)
            break;
        a->probe[i] = t1;
        a->probe[i].win = (uint16_t)w[i];
        set_opts(&a->probe[i], o[i]);
        a->probe_mask |= (uint8_t)(1u << i);
    }
    if (e->t[NT_ECN].present) {
        struct seg_answer *sa = &a->probe[NP_ECN];
        *sa = (struct seg_answer){ .respond = true, .df = p->df, .ttl = p->ttl, .win = (uint16_t)w[NP_ECN],
                                   .flags = TH_SYN | TH_ACK, .seq = SEQR_OTHER, .ack = ACKR_SEQ1 };
        seg_of(e, NT_ECN, sa, hops);
        sa->flags = TH_SYN | TH_ACK;
        char cc[8];
        if (pick(get(e, NT_ECN, "CC"), true, cc, sizeof cc))
            a->ecn_flags = !strcmp(cc, "Y") ? TH_ECE : !strcmp(cc, "S") ? TH_ECE | TH_CWR
                         : !strcmp(cc, "O") ? TH_CWR : 0;
        sa->flags |= a->ecn_flags;
        set_opts(sa, o[NP_ECN]);
        a->probe_mask |= 1u << NP_ECN;
    }

    /* T2..T7 */
    for (int k = 0; k < STRAY_N; k++) {
        enum nmap_test t = (enum nmap_test)(NT_T2 + k);
        if (!e->t[t].present)
            continue;
        struct seg_answer *sa = &a->stray[k];
        if (nmapdb_no_response(e, t)) {
            sa->respond = false;
            continue;
        }
        sa->respond = true;
        seg_of(e, t, sa, hops);
    }
    p->closed_silent = !a->stray[STRAY_CLOSED_SYN].respond && !a->stray[STRAY_CLOSED_ACK].respond &&
                       !a->stray[STRAY_CLOSED_OTHER].respond;
    p->reset_win = a->stray[STRAY_CLOSED_SYN].respond ? a->stray[STRAY_CLOSED_SYN].win : 0;

    /* ICMP */
    if (e->t[NT_U1].present)
        u1_of(e, &a->u1, hops);
    a->u1.respond = e->t[NT_U1].present ? yes(get(e, NT_U1, "R"), true) : a->u1.respond;
    if (e->t[NT_IE].present)
        ie_of(e, &a->ie, hops);
    timers_of(e, p);
    return 0;
}
