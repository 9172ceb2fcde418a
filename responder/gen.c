/* IP ID, ISN and timestamp generators, shaped after what nmap's SEQ test measures
 * (osscan2.cc makeTSeqFP, get_ipid_sequence_16): a generator here produces the class
 * nmap prints (Z, I, BI, RI, RD, a constant; GCD/ISR/SP; TS). */
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

uint16_t ipidgen_next(const struct ipidgen *g, struct gen_state *st, uint16_t *flow_ctr)
{
    uint16_t *c = &st->ipid[g->counter < IPC_N ? g->counter : IPC_SHARED];
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
        /* nmap's RI: a step above 1000 that is not a multiple of 256; steps stay small
         * so the 16-bit counter wraps (which nmap reads as RD) rarely */
        uint16_t step = (uint16_t)(1001 + rnd(st) % 300);
        if (step % 256 == 0)
            step++;
        *c = (uint16_t)(*c + step);
        return *c;
    }
    case IPG_RANDOM:
        return (uint16_t)(rnd(st) >> 32);
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
