/* IP ID, ISN and timestamp generators, shaped after what nmap's SEQ test measures
 * (osscan2.cc makeTSeqFP, get_ipid_sequence_16): a generator here produces the class
 * nmap prints (Z, I, BI, RI, RD, a constant; GCD/ISR/SP; TS). */
#include <string.h>
#include "profile_ext.h"

static uint64_t rnd(struct gen_state *st)
{
    /* xorshift64*: fast and good enough to look random to a scanner */
    st->rng ^= st->rng >> 12;
    st->rng ^= st->rng << 25;
    st->rng ^= st->rng >> 27;
    return st->rng * 0x2545F4914F6CDD1DULL;
}

void gen_state_init(struct gen_state *g, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    g->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    /* TCP counters low, ICMP's high: a separate ICMP sequence then never looks like the
     * continuation of the TCP one (nmap's SS=O) */
    g->ipid[IPC_SHARED] = (uint16_t)(rnd(g) >> 50);
    g->ipid[IPC_RESET] = (uint16_t)(rnd(g) >> 50);
    g->ipid[IPC_ICMP] = (uint16_t)(0x8000 | rnd(g) >> 50);
    g->isn_init = false;
    g->isn_phase = 0;
    g->ts_init = false;
}

/* nmap takes each class's IP IDs from a few answers close together (TI: the six SYN-ACKs,
 * 100 ms apart; CI: the three closed-port RSTs; II: two echo replies) and calls any
 * decrease between two of them RD (get_diffs compares them as 32-bit numbers). So a
 * counter that wraps inside that window turns I, BI or RI into RD, which the database
 * entry does not say: BI wraps every 256 IDs, RI every ~57. A counter that would wrap
 * within one scan's worth of IDs starts low again, but only after a pause no scan has
 * inside it, where nmap compares nothing across. */
#define IPID_IDLE_US 1000000u   /* SEQ probes are 100 ms apart; an OS scan's tries closer */
#define IPID_SCAN_IDS 40        /* IDs one counter gives to one OS scan (2 tries), at most */
#define RI_STEP_MIN 1001
#define RI_STEP_SPAN 300

static bool near_wrap(enum ipidg_kind k, uint16_t c)
{
    switch (k) {
    case IPG_INCR:
        return c > 65535 - IPID_SCAN_IDS;
    case IPG_BROKEN_INCR:
        return (c & 0xff) > 255 - IPID_SCAN_IDS;
    case IPG_RANDOM_INCR:
        return c > 65535 - IPID_SCAN_IDS * (RI_STEP_MIN + RI_STEP_SPAN);
    default:
        return false;
    }
}

static void rewind_idle(enum ipidg_kind k, struct gen_state *st, unsigned ci, uint64_t now_us)
{
    uint16_t *c = &st->ipid[ci];
    /* ipid_us holds the time + 1: 0 is "never used" */
    uint64_t last = st->ipid_us[ci];
    bool idle = last == 0 || (now_us + 1 >= last && now_us + 1 - last >= IPID_IDLE_US);
    st->ipid_us[ci] = now_us + 1;
    if (!idle || !near_wrap(k, *c))
        return;
    if (k == IPG_BROKEN_INCR)
        *c = (uint16_t)((*c & 0xff00) + 0x100);
    else   /* low again, in the counter's own half: ICMP's stays apart from TCP's (SS=O) */
        *c = (uint16_t)((ci == IPC_ICMP ? 0x8000u : 0u) | rnd(st) >> 52);   /* +0..4095 */
}

/* Would nmap, seeing v after h, fail to call the pair random? As three or more samples
 * (TI, CI) a pair is RD when v < h or v - h > 20000; as two (II, never RD) it must be RI:
 * a 16-bit step above 1000 that is not a multiple of 256 below 25600. */
static bool rd_pair_weak(uint16_t h, uint16_t v)
{
    uint16_t d = (uint16_t)(v - h);
    return (v >= h && v - h <= 20000) || d <= 1000 || (d % 256 == 0 && d < 25600);
}

/* RD: random, but never weak against any of the counter's last IPID_RD_HIST IDs, so that
 * nmap's samples read RD (and II's pair RI) every time, whatever else was answered between
 * them. The windows left out cover at most ~63,300 of the 65,536 values. */
static uint16_t rd_next(struct gen_state *st, unsigned ci)
{
    uint16_t *h = st->rd_hist[ci];
    uint16_t v = 0;
    for (unsigned tries = 0;; tries++) {
        v = (uint16_t)(rnd(st) >> 48);
        if (tries >= 32)                       /* unlucky: walk on to a value that fits */
            for (unsigned k = 0; k < 65536u; k++, v++) {
                bool ok = true;
                for (int i = 0; i < IPID_RD_HIST; i++)
                    ok = ok && !rd_pair_weak(h[i], v);
                if (ok)
                    break;
            }
        bool ok = true;
        for (int i = 0; i < IPID_RD_HIST; i++)
            ok = ok && !rd_pair_weak(h[i], v);
        if (ok || tries >= 32)
            break;
    }
    memmove(h + 1, h, (IPID_RD_HIST - 1) * sizeof *h);
    h[0] = v;
    return v;
}

uint16_t ipidgen_next(const struct ipidgen *g, struct gen_state *st, uint16_t *flow_ctr,
                      uint64_t now_us)
{
    unsigned ci = g->counter < IPC_N ? g->counter : IPC_SHARED;
    uint16_t *c = &st->ipid[ci];
    rewind_idle((enum ipidg_kind)g->kind, st, ci, now_us);
    switch ((enum ipidg_kind)g->kind) {
    case IPG_ZERO:
        return 0;
    case IPG_CONST:
        return g->value;
    case IPG_INCR:
        return ++*c;
    case IPG_BROKEN_INCR:
        /* a counter written without htons on a little-endian host: steps of 256 */
        ++*c;
        return (uint16_t)(*c << 8 | *c >> 8);
    case IPG_RANDOM_INCR: {
        /* nmap's RI: a step above 1000 that is not a multiple of 256 */
        uint16_t step = (uint16_t)(RI_STEP_MIN + rnd(st) % RI_STEP_SPAN);
        if (step % 256 == 0)
            step++;
        *c = (uint16_t)(*c + step);
        return *c;
    }
    case IPG_RANDOM:
        return rd_next(st, ci);
    case IPG_PER_FLOW:
        return flow_ctr ? (*flow_ctr)++ : 0;
    }
    return 0;
}

uint32_t isngen_next(const struct isngen *g, struct gen_state *st, uint64_t now_us)
{
    switch ((enum isng_kind)g->kind) {
    case ISG_CONST:
        return g->value;
    case ISG_CLOCK:
        break;
    case ISG_RANDOM: {
        uint32_t v = (uint32_t)(rnd(st) >> 32);
        return g->gcd > 1 ? v - v % g->gcd : v;
    }
    case ISG_PROFILE:
    default:
        return (uint32_t)(rnd(st) >> 32);
    }
    if (!st->isn_init) {
        st->isn_init = true;
        st->isn_us = now_us;
        st->isn_last = (uint32_t)(rnd(st) >> 32);
        if (g->gcd > 1)
            st->isn_last -= st->isn_last % g->gcd;
        return st->isn_last;
    }
    /* In gcd units per interval: mean m, spread sd_u. A spread of half a unit or more:
     * rates m + sd_u*z with z cycling +1 -1 +1 -1 0, so that any five consecutive
     * intervals have mean m and (nmap divides by n-2 = 4) deviation sd_u. Less: m's
     * fraction as c extra units in every five intervals. Either way the steps are not
     * all equal when they exceed one unit, which keeps their GCD at gcd. */
    static const int z[5] = { 1, -1, 1, -1, 0 };
    double dt = (double)(now_us - st->isn_us) / 1e6;
    uint64_t gcd = g->gcd ? g->gcd : 1;
    double m = (double)g->rate * dt / (double)gcd, sd_u = (double)g->sd * dt / (double)gcd;
    unsigned ph = st->isn_phase % 5;
    uint64_t k;
    if (sd_u >= 0.5) {
        double x = m + sd_u * z[ph];
        k = x > 0.5 ? (uint64_t)(x + 0.5) : 0;
    } else {
        /* a slow clock may not move at all between two connections */
        uint64_t a = m >= 1 ? (uint64_t)m : 0;
        unsigned c = (unsigned)(((m - (double)a) * 5) + 0.5);
        if (c >= 5) {
            a++;
            c = 0;
        }
        if (c == 0 && (a == 0 || a >= 2 || sd_u >= 0.2))
            c = 1;                     /* one extra unit in five: a spread of ~0.45 unit */
        k = a + (ph < c ? 1 : 0);
    }
    if (k > 1000)
        k += rnd(st) % 7 - 3;          /* exact products of the rate share factors: break them */
    st->isn_phase = (uint8_t)((ph + 1) % 5);
    if (k * gcd > 0x7fffffffu)         /* nmap folds larger steps back (MOD_DIFF) */
        k = 0x7fffffffu / gcd;
    st->isn_last += (uint32_t)(k * gcd);
    st->isn_us = now_us;
    return st->isn_last;
}

static uint32_t ticks(uint32_t hz, uint64_t now_us)
{
    return (uint32_t)(now_us / 1000 * hz / 1000);
}

uint32_t tsgen_offset(const struct tsgen *g, struct gen_state *st, uint32_t hz_default,
                      uint64_t now_us, uint32_t per_host)
{
    if (g->kind != TSG_RANDOM)
        return per_host;
    /* the fast clock advances 2^fast_log2 per second between connections; a connection
     * then ticks at hz from there */
    if (!st->ts_init) {
        st->ts_init = true;
        st->ts_fast = (uint32_t)(rnd(st) >> 32);
    } else {
        uint64_t dt = now_us - st->ts_us;
        uint64_t rate = g->fast_log2 < 40 ? 1ull << g->fast_log2 : 1ull << 40;
        st->ts_fast += (uint32_t)(rate / 1000000 * dt + (rate % 1000000) * dt / 1000000);
    }
    st->ts_us = now_us;
    return st->ts_fast - ticks(g->hz ? g->hz : hz_default, now_us);
}

uint32_t tsgen_val(const struct tsgen *g, uint32_t hz_default, uint64_t now_us, uint32_t off)
{
    switch ((enum tsg_kind)g->kind) {
    case TSG_ZERO:
        return 0;
    case TSG_CLOCK:
    case TSG_RANDOM:
        return ticks(g->hz ? g->hz : hz_default, now_us) + off;
    case TSG_PROFILE:
        break;
    }
    return ticks(hz_default, now_us) + off;
}
