/* Probe identity and reply matching. Every probe is a function of its index i, so a reply
 * is matched by inverting the fields it echoes back to i, not by searching a table:
 *   TCP seq  = base + i * 65537 (mod 2^32; 65537 is odd, so this is a bijection and its
 *              inverse is multiplication by 0xffff0001). A reply's ACK (seq + len), an RST's
 *              seq (our ack) or a quoted header's seq gives i exactly.
 *   sport    = 1024 + (base + i) mod 64512, IPv4 ID = base + i, ICMP seq = base + i:
 *              i modulo 64512 / 65536; candidates in the window are checked one by one.
 * When the user fixed all of them, probes are identical on the wire; replies then go to the
 * oldest unanswered probe and are reported as ambiguous. */
#include <stdlib.h>
#include <string.h>
#include "craft.h"
#include "rd.h"

#define SEQ_INV     0xffff0001u      /* 65537 * 0xffff0001 == 1 (mod 2^32) */
#define SPORT_SPAN  64512u
#define WEAK_SCAN   65536u           /* probes looked at when identity is weak */
#define MAX_CAND    64
#define RING_MAX    (1u << 20)

uint16_t probe_dport(const struct probe_gen *g, uint64_t i)
{
    if (g->nports == 0)
        return 0;
    uint64_t k = g->nport_total ? i % g->nport_total : 0;
    for (size_t r = 0; r < g->nports; r++) {
        uint64_t span = (uint64_t)g->ports[r].hi - g->ports[r].lo + 1;
        if (k < span)
            return (uint16_t)(g->ports[r].lo + k);
        k -= span;
    }
    return g->ports[0].lo;
}

void probe_fields(const struct probe_gen *g, uint64_t i, struct probe_fields *out)
{
    out->dport = probe_dport(g, i);
    out->sport = g->sport_var ? (uint16_t)(1024 + (g->sport_base + i) % SPORT_SPAN) : g->sport;
    out->seq = g->seq_var ? g->seq + (uint32_t)i * SEQ_STRIDE : g->seq;
    out->ack = g->ack_var ? g->ack + (uint32_t)i * SEQ_STRIDE : g->ack;
    out->id = g->id_var ? (uint16_t)(g->id + i) : g->id;
    out->icmp_seq = (uint16_t)(g->icmp_seq + i);
}

int probe_tab_init(struct probe_tab *t, uint64_t count)
{
    memset(t, 0, sizeof *t);
    t->cap = (count && count < RING_MAX) ? count : RING_MAX;
    t->r = calloc(t->cap, sizeof *t->r);
    return t->r ? 0 : -1;
}

void probe_tab_free(struct probe_tab *t)
{
    free(t->r);
    t->r = NULL;
}

const char *match_quality_str(enum match_quality q)
{
    switch (q) {
    case MQ_EXACT: return "exact";
    case MQ_AMBIGUOUS: return "ambiguous";
    case MQ_TUPLE: return "tuple";
    default: return "none";
    }
}

static uint64_t window_lo(const struct probe_tab *t)
{
    return t->sent > t->cap ? t->sent - t->cap : 0;
}

/* strict: every echoed field agrees; loose: the tuple and quoted fields only */
static bool verify(const struct probe_gen *g, uint64_t i, const struct reply_key *k, bool strict)
{
    struct probe_fields f;
    probe_fields(g, i, &f);
    if (k->proto != CP_ICMP && (k->sport != f.sport || k->dport != f.dport))
        return false;
    if (k->has_seq && k->seq != f.seq)
        return false;
    if (k->has_id && k->id != f.id)
        return false;
    if (k->has_icmp && (k->icmp_id != g->icmp_id || k->icmp_seq != f.icmp_seq))
        return false;
    if (!strict)
        return true;
    if (k->has_ack) {
        uint32_t synfin = (g->flags & TH_SYN ? 1u : 0u) + (g->flags & TH_FIN ? 1u : 0u);
        if (k->ack != f.seq + g->seglen && k->ack != f.seq + synfin && k->ack != f.seq)
            return false;
    }
    if (k->has_rseq && k->rseq != f.ack)
        return false;
    return true;
}

struct cands {
    uint64_t v[MAX_CAND];
    size_t n;
    bool stale;          /* the echo names a probe that fell out of the ring */
};

static void cand_add(struct cands *c, uint64_t i)
{
    for (size_t j = 0; j < c->n; j++)
        if (c->v[j] == i)
            return;
    if (c->n < MAX_CAND)
        c->v[c->n++] = i;
}

/* Indexes from a 32-bit exact inversion: i32 + m * 2^32 inside the window. */
static void from_inversion(const struct probe_gen *g, const struct probe_tab *t, uint32_t i32,
                           const struct reply_key *k, bool strict, struct cands *c)
{
    uint64_t lo = window_lo(t);
    for (uint64_t i = i32; i < t->sent; i += (1ull << 32))
        if (verify(g, i, k, strict)) {
            if (i >= lo)
                cand_add(c, i);
            else
                c->stale = true;
        }
}

/* Indexes i = r (mod p) inside the window; false when there would be too many to look at. */
static bool from_residue(const struct probe_gen *g, const struct probe_tab *t, uint64_t r,
                         uint64_t p, const struct reply_key *k, bool strict, struct cands *c)
{
    uint64_t lo = window_lo(t);
    if (t->sent <= lo)
        return true;
    if ((t->sent - lo) / p > 4 * MAX_CAND)
        return false;
    uint64_t i = lo + ((r + p - lo % p) % p);
    for (; i < t->sent; i += p)
        if (verify(g, i, k, strict))
            cand_add(c, i);
    return true;
}

static struct match_result pick(struct probe_tab *t, const struct cands *c, enum match_quality q)
{
    struct match_result m = { -1, MQ_NONE, false };
    if (c->n == 0)
        return m;
    int64_t best = -1;
    for (size_t j = 0; j < c->n; j++)          /* the oldest probe still unanswered */
        if (probe_at(t, c->v[j])->replies == 0 && (best < 0 || c->v[j] < (uint64_t)best))
            best = (int64_t)c->v[j];
    if (best < 0) {                             /* all answered: a duplicate of the newest */
        for (size_t j = 0; j < c->n; j++)
            if (best < 0 || c->v[j] > (uint64_t)best)
                best = (int64_t)c->v[j];
        m.dup = true;
    }
    m.idx = best;
    m.q = c->n > 1 && q == MQ_EXACT ? MQ_AMBIGUOUS : q;
    return m;
}

static struct match_result match_pass(const struct probe_gen *g, struct probe_tab *t,
                                      const struct reply_key *k, bool strict, bool *stale)
{
    struct cands c = { .n = 0, .stale = false };
    enum match_quality q = strict ? MQ_EXACT : MQ_TUPLE;

    /* 1. exact inversions of 32-bit numbers */
    if (g->proto == CP_TCP) {
        if (k->has_seq && g->seq_var)
            from_inversion(g, t, (k->seq - g->seq) * SEQ_INV, k, strict, &c);
        if (strict && k->has_ack && g->seq_var) {
            uint32_t synfin = (g->flags & TH_SYN ? 1u : 0u) + (g->flags & TH_FIN ? 1u : 0u);
            uint32_t offs[3] = { g->seglen, synfin, 0 };
            for (int j = 0; j < 3; j++)
                from_inversion(g, t, (k->ack - offs[j] - g->seq) * SEQ_INV, k, strict, &c);
        }
        if (strict && k->has_rseq && g->ack_var)
            from_inversion(g, t, (k->rseq - g->ack) * SEQ_INV, k, strict, &c);
        *stale = c.stale;
        if (c.n)
            return pick(t, &c, q);
        /* An echo that inverts to no probe (e.g. a challenge ACK carrying RCV.NXT) is not
         * ours in strict mode; the loose pass still matches it by its tuple. */
        if (strict && ((k->has_ack && g->seq_var) || (k->has_rseq && g->ack_var) ||
                       (k->has_seq && g->seq_var)))
            return pick(t, &c, q);
    }

    /* 2. the strongest modular field */
    uint64_t r = 0, p = 0;
    if (k->proto != CP_ICMP && g->sport_var && k->sport >= 1024) {
        r = ((uint64_t)k->sport - 1024 + SPORT_SPAN - g->sport_base % SPORT_SPAN) % SPORT_SPAN;
        p = SPORT_SPAN;
    } else if (k->proto != CP_ICMP && g->sport_var) {
        return pick(t, &c, q);                  /* below 1024: never one of ours */
    }
    if (k->has_icmp && p < 65536) {
        r = (uint16_t)(k->icmp_seq - g->icmp_seq);
        p = 65536;
    }
    if (k->has_id && g->id_var && p < 65536) {
        r = (uint16_t)(k->id - g->id);
        p = 65536;
    }
    if (!p && k->proto != CP_ICMP && g->ports_unique && g->nport_total > 1) {
        uint64_t idx = 0;
        bool found = false;
        for (size_t j = 0; j < g->nports && !found; j++) {
            if (k->dport >= g->ports[j].lo && k->dport <= g->ports[j].hi) {
                idx += (uint64_t)(k->dport - g->ports[j].lo);
                found = true;
            } else {
                idx += (uint64_t)g->ports[j].hi - g->ports[j].lo + 1;
            }
        }
        if (!found)
            return pick(t, &c, q);
        r = idx;
        p = g->nport_total;
    }
    if (p && from_residue(g, t, r, p, k, strict, &c))
        return pick(t, &c, c.n > 1 ? MQ_AMBIGUOUS : q);

    /* 3. weak identity: oldest unanswered from the cursor, else the newest */
    uint64_t lo = window_lo(t);
    if (t->oldest_unanswered < lo)
        t->oldest_unanswered = lo;
    uint64_t first = UINT64_MAX, last = UINT64_MAX;
    uint64_t end = t->sent - t->oldest_unanswered > WEAK_SCAN ? t->oldest_unanswered + WEAK_SCAN : t->sent;
    for (uint64_t i = t->oldest_unanswered; i < end; i++)
        if (probe_at(t, i)->replies == 0 && verify(g, i, k, strict)) {
            first = i;
            break;
        }
    /* only a window of one probe makes a weak identity exact */
    struct match_result m = { -1, MQ_NONE, false };
    enum match_quality weak = t->sent - lo == 1 ? q : (strict ? MQ_AMBIGUOUS : MQ_TUPLE);
    if (first != UINT64_MAX) {
        m.idx = (int64_t)first;
        m.q = weak;
        return m;
    }
    uint64_t stop = t->sent - lo > WEAK_SCAN ? t->sent - WEAK_SCAN : lo;
    for (uint64_t i = t->sent; i > stop; i--)
        if (verify(g, i - 1, k, strict)) {
            last = i - 1;
            break;
        }
    if (last != UINT64_MAX) {
        m.idx = (int64_t)last;
        m.dup = true;
        m.q = weak;
    }
    return m;
}

struct match_result probe_match(const struct probe_gen *g, struct probe_tab *t,
                                const struct reply_key *k)
{
    bool stale = false;
    struct match_result m = match_pass(g, t, k, true, &stale);
    /* a reply to a probe too old to remember is not given to a newer one */
    if (m.idx < 0 && !stale && (k->has_ack || k->has_rseq))
        m = match_pass(g, t, k, false, &stale);
    return m;
}

void probe_answered(struct probe_tab *t, uint64_t idx)
{
    probe_at(t, idx)->replies++;
    while (t->oldest_unanswered < t->sent && probe_at(t, t->oldest_unanswered)->replies)
        t->oldest_unanswered++;
}

bool icmp_is_error(bool v6, uint8_t type)
{
    if (v6)
        return type >= 1 && type <= 4;
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* Our own minimal decode so that a quote cut after 8 L4 bytes (RFC 792) still yields ports
 * and sequence. */
bool icmp_parse_quoted(const uint8_t *p, size_t len, struct quoted *q)
{
    struct rd r = { p, len };
    memset(q, 0, sizeof *q);
    size_t l4;
    RD_NEED(&r, 0, 1, bad);
    uint8_t ver = rd_u8(&r, 0) >> 4;
    if (ver == 4) {
        RD_NEED(&r, 0, 20, bad);
        size_t ihl = (size_t)(rd_u8(&r, 0) & 15) * 4;
        if (ihl < 20)
            goto bad;
        q->ttl = rd_u8(&r, 8);
        q->proto = rd_u8(&r, 9);
        q->id = rd_be16(&r, 4);
        q->s4 = rd_be32(&r, 12);
        q->d4 = rd_be32(&r, 16);
        l4 = ihl;
    } else if (ver == 6) {
        RD_NEED(&r, 0, 40, bad);
        q->v6 = true;
        q->proto = rd_u8(&r, 6);
        q->ttl = rd_u8(&r, 7);
        memcpy(q->s6, p + 8, 16);
        memcpy(q->d6, p + 24, 16);
        l4 = 40;
    } else {
        goto bad;
    }
    q->ok = true;
    if (q->proto == 6 || q->proto == 17) {
        if (rd_have(&r, l4, 4)) {
            q->sport = rd_be16(&r, l4);
            q->dport = rd_be16(&r, l4 + 2);
        }
        if (q->proto == 6 && rd_have(&r, l4 + 4, 4)) {
            q->has_seq = true;
            q->seq = rd_be32(&r, l4 + 4);
        }
    } else if ((q->proto == 1 || q->proto == 58) && rd_have(&r, l4, 8)) {
        q->icmp_type = rd_u8(&r, l4);
        q->icmp_code = rd_u8(&r, l4 + 1);
        q->icmp_id = rd_be16(&r, l4 + 4);
        q->icmp_seq = rd_be16(&r, l4 + 6);
    }
    return true;
bad:
    q->ok = false;
    return false;
}

static uint8_t proto_num(enum craft_proto p, bool v6)
{
    return p == CP_TCP ? 6 : p == CP_UDP ? 17 : (v6 ? 58 : 1);
}

bool reply_key_from_frame(const struct probe_gen *g, const struct craft_target *tg,
                          const struct frame *f, struct reply_key *k, struct quoted *q)
{
    memset(k, 0, sizeof *k);
    if (q)
        memset(q, 0, sizeof *q);
    k->proto = g->proto;
    if (tg->v6 ? f->l3 != L3_IPV6 : f->l3 != L3_IPV4)
        return false;
    if (f->err != PKT_OK && f->err != PKT_E_TRUNC_L3)
        return false;
    bool from_dst = tg->v6 ? memcmp(f->saddr6, tg->dst6, 16) == 0 : f->saddr == tg->dst4;
    bool to_src = tg->v6 ? memcmp(f->daddr6, tg->src6, 16) == 0 : f->daddr == tg->src4;
    bool icmp = tg->v6 ? f->l4 == L4_ICMP6 : f->l4 == L4_ICMP;

    if (icmp && icmp_is_error(tg->v6, f->icmp_type)) {
        if (!to_src || f->l4_len < 8 || f->l4_off + 8 > f->len)
            return false;
        struct quoted tmp;
        memset(&tmp, 0, sizeof tmp);
        struct quoted *qq = q ? q : &tmp;
        size_t qlen = f->l4_len - 8;
        if (f->l4_off + 8 + qlen > f->len)
            qlen = f->len - f->l4_off - 8;
        if (!icmp_parse_quoted(f->data + f->l4_off + 8, qlen, qq))
            return false;
        if (qq->v6 != tg->v6 || qq->proto != proto_num(g->proto, g->v6))
            return false;
        if (tg->v6 ? (memcmp(qq->s6, tg->src6, 16) || memcmp(qq->d6, tg->dst6, 16))
                   : (qq->s4 != tg->src4 || qq->d4 != tg->dst4))
            return false;
        k->quoted = true;
        if (!tg->v6) {
            k->has_id = true;
            k->id = qq->id;
        }
        if (g->proto == CP_ICMP) {
            if (qq->icmp_id != g->icmp_id)
                return false;
            k->has_icmp = true;
            k->icmp_id = qq->icmp_id;
            k->icmp_seq = qq->icmp_seq;
        } else {
            k->sport = qq->sport;
            k->dport = qq->dport;
            if (qq->has_seq) {
                k->has_seq = true;
                k->seq = qq->seq;
            }
        }
        return true;
    }
    if (!from_dst || !to_src)
        return false;
    switch (g->proto) {
    case CP_TCP:
        if (f->l4 != L4_TCP)
            return false;
        k->sport = f->dport;
        k->dport = f->sport;
        if (f->flags & TH_ACK) {
            k->has_ack = true;
            k->ack = f->ack;
        } else if (f->flags & TH_RST) {
            k->has_rseq = true;
            k->rseq = f->seq;
        }
        return true;
    case CP_UDP:
        if (f->l4 != L4_UDP)
            return false;
        k->sport = f->dport;
        k->dport = f->sport;
        return true;
    case CP_ICMP:
        if (!icmp)
            return false;
        /* replies carrying identifier and sequence: echo, timestamp, info, mask */
        if (tg->v6 ? f->icmp_type != 129
                   : !(f->icmp_type == 0 || f->icmp_type == 14 || f->icmp_type == 16 || f->icmp_type == 18))
            return false;
        if (f->icmp_id != g->icmp_id)
            return false;
        k->has_icmp = true;
        k->icmp_id = f->icmp_id;
        k->icmp_seq = f->icmp_seq;
        return true;
    }
    return false;
}
