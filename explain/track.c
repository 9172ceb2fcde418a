/* The flow tracker of explain: a fixed pool of flows (no allocation per packet), a hash
 * on the 4-tuple, and two LRU lists (open flows; flows that ended and wait out a short
 * hold so that what follows a reset can still be seen). Each RST becomes a record that
 * copies the flow as it stood and then watches the flow for `hold` seconds: a duplicate
 * ACK (RFC 5961 challenge), data from the RST's claimed sender (an injection race),
 * further resets (bursts). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "craft.h"
#include "explain.h"

/* A flow that ended (an RST, or FINs both ways) waits out the hold on L_CLOSED while its
 * records watch what follows; then its records go out and it is remembered on L_GONE, so
 * that a late segment seconds later, and the RST it draws, still meet the connection they
 * belong to instead of a capture that seems to start mid-stream (a lost RST leaves the peer
 * sending; its retransmissions and FIN draw more RSTs for up to a minute). */
enum { L_OPEN = 0, L_CLOSED = 1, L_GONE = 2, L_N };

_Static_assert(sizeof(struct xflow) <= 256, "a tracked flow must fit in 256 bytes");

int xtrack_init(struct xtrack *t, uint32_t max_flows, xemit_fn emit, void *ctx)
{
    memset(t, 0, sizeof *t);
    uint32_t hs = 1;
    while (hs < max_flows && hs < (1u << 30))
        hs <<= 1;
    t->pool = calloc((size_t)max_flows + 1, sizeof *t->pool);
    t->hash = calloc(hs, sizeof *t->hash);
    t->rcap = 256;
    t->recs = calloc(t->rcap, sizeof *t->recs);
    if (!t->pool || !t->hash || !t->recs || xhosts_init(&t->hosts, 65536) != 0) {
        xtrack_free(t);
        return -1;
    }
    t->cap = max_flows;
    t->hmask = hs - 1;
    for (uint32_t i = t->rcap - 1; i >= 1; i--) {
        t->recs[i].next = t->rfree;
        t->rfree = i;
    }
    t->hold = 2.0;
    t->idle = 300.0;
    t->keep = 60.0;
    t->emit = emit;
    t->ctx = ctx;
    return 0;
}

void xtrack_free(struct xtrack *t)
{
    free(t->pool);
    free(t->hash);
    free(t->recs);
    xhosts_free(&t->hosts);
    t->pool = NULL;
    t->hash = NULL;
    t->recs = NULL;
}

/* ---- keys ---- */

static inline uint32_t end_hash(const uint8_t *a, uint16_t port, bool v6)
{
    uint64_t w[2];
    memcpy(w, a, 16);
    uint64_t x = (w[0] ^ (v6 ? w[1] * 0x9e3779b97f4a7c15ull : 0) ^ port) * 0xff51afd7ed558ccdull;
    return (uint32_t)(x ^ (x >> 29));
}

/* Symmetric: both directions of a flow land in the same bucket. */
static inline uint32_t flow_hash(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb, bool v6)
{
    uint32_t x = end_hash(a, pa, v6), y = end_hash(b, pb, v6);
    uint32_t h = (x ^ y) + (x < y ? x : y) * 0x9e3779b1u;
    return h ^ (h >> 15);
}

/* Addresses are kept zero-padded to 16 bytes, so two 8-byte loads compare any of them. */
static bool addr_eq(const uint8_t *x, const uint8_t *y)
{
    uint64_t a[2], b[2];
    memcpy(a, x, 16);
    memcpy(b, y, 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

static bool end_is(const struct xkey *k, int side, const uint8_t *a, uint16_t p)
{
    return k->port[side] == p && addr_eq(k->addr[side], a);
}

/* ---- lists ---- */

static void list_unlink(struct xtrack *t, uint32_t i)
{
    struct xflow *f = &t->pool[i];
    if (f->prev)
        t->pool[f->prev].next = f->next;
    else
        t->head[f->list] = f->next;
    if (f->next)
        t->pool[f->next].prev = f->prev;
    else
        t->tail[f->list] = f->prev;
    f->prev = f->next = 0;
}

static void list_append(struct xtrack *t, uint32_t i, uint8_t list)
{
    struct xflow *f = &t->pool[i];
    f->list = list;
    f->prev = t->tail[list];
    f->next = 0;
    if (t->tail[list])
        t->pool[t->tail[list]].next = i;
    else
        t->head[list] = i;
    t->tail[list] = i;
}

static void hash_unlink(struct xtrack *t, uint32_t i)
{
    const struct xflow *f = &t->pool[i];
    uint32_t *pp = &t->hash[flow_hash(f->key.addr[0], f->key.port[0], f->key.addr[1],
                                      f->key.port[1], f->key.v6) & t->hmask];
    while (*pp && *pp != i)
        pp = &t->pool[*pp].hnext;
    if (*pp)
        *pp = f->hnext;
}

/* ---- records ---- */

static uint32_t rec_alloc(struct xtrack *t)
{
    if (!t->rfree) {
        uint32_t ncap = t->rcap * 2;
        struct xrst *n = realloc(t->recs, (size_t)ncap * sizeof *n);
        if (!n)
            return 0;
        memset(n + t->rcap, 0, (size_t)(ncap - t->rcap) * sizeof *n);
        for (uint32_t i = ncap - 1; i >= t->rcap; i--) {
            n[i].next = t->rfree;
            t->rfree = i;
        }
        t->recs = n;
        t->rcap = ncap;
    }
    uint32_t r = t->rfree;
    t->rfree = t->recs[r].next;
    memset(&t->recs[r], 0, sizeof t->recs[r]);
    return r;
}

static void rec_emit(struct xtrack *t, uint32_t r)
{
    t->emit(t->ctx, &t->recs[r]);
    t->recs[r].next = t->rfree;
    t->rfree = r;
}

static void hist_copy(const struct xflow *f, struct xpkt *out, uint8_t *n)
{
    for (uint8_t i = 0; i < f->hist_n; i++)
        out[i] = f->hist[(f->hist_head + i) % XHIST];
    *n = f->hist_n;
}

/* Still only an attempt: the client's SYNs, nothing from the server, no RST either way. */
static bool attempt_only(const struct xflow *f)
{
    const struct xside *c = &f->s[0], *s = &f->s[1];
    return (c->flags & XSIDE_SYN) && !(f->fflags & XF_MIDSTREAM) && !(s->flags & (XSIDE_SEEN | XSIDE_RST)) &&
           !(c->flags & (XSIDE_RST | XSIDE_ACKED));
}

/* A record of an attempt (no RST: rst.flags 0) at time ts; 0 when none is free. */
static uint32_t attempt_record(struct xtrack *t, const struct xflow *f, double ts)
{
    uint32_t r = rec_alloc(t);
    if (!r)
        return 0;
    struct xrst *x = &t->recs[r];
    x->ts = ts;
    x->t0 = f->t0;
    x->key = f->key;
    x->fflags = f->fflags;
    memcpy(x->s, f->s, sizeof x->s);
    x->t_syn_us = f->t_syn_us;
    hist_copy(f, x->hist, &x->hist_n);
    return r;
}

/* A connection attempt that never drew an answer: SYNs only, nothing back. */
static void maybe_no_answer(struct xtrack *t, const struct xflow *f)
{
    if (!attempt_only(f) || (f->fflags & XF_ICMP))
        return;
    if (f->s[0].nsyn < 2 && t->now - (f->t0 + f->t_syn_us / 1e6) < 1.0)
        return;                             /* the capture ended too soon to tell */
    uint32_t r = attempt_record(t, f, f->t0);
    if (r)
        rec_emit(t, r);
}

static void emit_pending(struct xtrack *t, struct xflow *f)
{
    uint32_t r = f->pend;
    while (r) {
        uint32_t nx = t->recs[r].next;
        rec_emit(t, r);
        r = nx;
    }
    f->pend = 0;
}

/* End a flow: its records are complete, its slot goes back to the pool. */
static void flow_finish(struct xtrack *t, uint32_t i)
{
    struct xflow *f = &t->pool[i];
    emit_pending(t, f);
    maybe_no_answer(t, f);
    hash_unlink(t, i);
    list_unlink(t, i);
    f->next = t->free_head;
    t->free_head = i;
}

/* The lists are kept lazily (a packet moves its flow only when it changes list): a flow
 * found at the head but active since is sent to the tail, a bounded number per call, so
 * the expired ones behind it come forward. */
static void expire_list(struct xtrack *t, uint8_t l, double limit)
{
    for (int requeued = 0; t->head[l] && requeued < 256;) {
        uint32_t i = t->head[l];
        const struct xflow *f = &t->pool[i];
        /* An attempt with no answer is known when a SYN retransmission is overdue (Linux
         * backs off to 32 s between SYNs); other open flows wait the idle time. */
        bool syn_only = l == L_OPEN && !(f->s[1].flags & (XSIDE_SEEN | XSIDE_RST));
        if (t->now - f->tlast > (syn_only && limit > 35.0 ? 35.0 : limit)) {
            if (l == L_CLOSED) {            /* the hold is over: findings out, flow kept */
                emit_pending(t, &t->pool[i]);
                list_unlink(t, i);
                list_append(t, i, L_GONE);
            } else {
                flow_finish(t, i);
            }
            continue;
        }
        if (t->head[l] == t->tail[l])
            break;
        list_unlink(t, i);
        list_append(t, i, l);
        requeued++;
    }
}

static void expire(struct xtrack *t)
{
    expire_list(t, L_CLOSED, t->hold);
    expire_list(t, L_GONE, t->keep);
    expire_list(t, L_OPEN, t->idle);
}

static uint32_t flow_new(struct xtrack *t, const struct xkey *k, uint32_t h, double ts)
{
    uint32_t i;
    if (t->free_head) {
        i = t->free_head;
        t->free_head = t->pool[i].next;
    } else if (t->fresh < t->cap) {
        i = ++t->fresh;                     /* slots are first touched when first used */
    } else {
        uint8_t l = t->head[L_GONE] ? L_GONE : t->head[L_CLOSED] ? L_CLOSED : L_OPEN;
        flow_finish(t, t->head[l]);
        t->evicted++;
        i = t->free_head;
        t->free_head = t->pool[i].next;
    }
    struct xflow *f = &t->pool[i];
    /* The next free slot has not been touched since its flow ended, often long ago: fetch
     * its lines now, while the packets before the next new flow are being read. */
    if (t->free_head)
        for (size_t off = 0; off < sizeof *f; off += 64)
            __builtin_prefetch((const char *)&t->pool[t->free_head] + off, 1);
    memset(f, 0, sizeof *f);
    f->key = *k;
    f->t0 = f->tlast = ts;
    f->hnext = t->hash[h];
    t->hash[h] = i;
    list_append(t, i, L_OPEN);
    return i;
}

/* ---- per packet ---- */

struct seg {
    const struct frame *f;
    uint32_t len;              /* payload length per the IP header */
    uint8_t  dir;
    uint32_t t_us;
};

static uint32_t us_since(double t0, double ts)
{
    double d = (ts - t0) * 1e6;
    if (d <= 0)
        return 0;
    return d >= 4294967295.0 ? UINT32_MAX : (uint32_t)d;
}

static struct xpkt pkt_of(const struct seg *g)
{
    struct xpkt p = {
        .t_us = g->t_us, .seq = g->f->seq, .ack = g->f->ack,
        .len = g->len > 0xffff ? 0xffff : (uint16_t)g->len, .win = g->f->win,
        .ipid = g->f->ip_id, .flags = g->f->flags, .dir = g->dir, .ttl = g->f->ttl,
        .df = g->f->df,
    };
    return p;
}

static void hist_push(struct xflow *f, const struct xpkt *p)
{
    if (f->hist_n < XHIST) {
        f->hist[(f->hist_head + f->hist_n) % XHIST] = *p;
        f->hist_n++;
    } else {
        f->hist[f->hist_head] = *p;
        f->hist_head = (uint8_t)((f->hist_head + 1) % XHIST);
    }
}

static uint8_t sat8(unsigned v)
{
    return v > 255 ? 255 : (uint8_t)v;
}

/* Was the flow's last packet the earlier RST o (nothing in between)? */
static bool back_to_back(const struct xflow *f, const struct xrst *o)
{
    if (!f->hist_n)
        return false;
    const struct xpkt *p = &f->hist[(f->hist_head + f->hist_n - 1) % XHIST];
    return (p->flags & TH_RST) && p->dir == o->dir && p->t_us == o->rst.t_us && p->seq == o->rst.seq;
}

/* Does a bare RST from `dir` with this seq answer a segment the other end sent (seq = its
 * ack)? That segment may be a recent one, or an older one arriving late: any ack the other
 * end has sent lies between the sender's ISN and the highest ack seen. */
static bool answers(const struct xflow *f, uint8_t dir, uint32_t seq)
{
    for (uint8_t i = 0; i < f->hist_n; i++) {
        const struct xpkt *p = &f->hist[(f->hist_head + i) % XHIST];
        if (p->dir != dir && !(p->flags & TH_RST) && (p->flags & TH_ACK) && p->ack == seq)
            return true;
    }
    const struct xside *s = &f->s[dir], *peer = &f->s[1 - dir];
    return (s->flags & XSIDE_SYN) && (peer->flags & XSIDE_ACKED) && seq_gt(seq, s->isn) &&
           seq_le(seq, peer->ack);
}

enum rst_pair { PAIR_NONE, PAIR_BURST, PAIR_BOTH_ENDS };

/* An earlier RST o and a new one g, back to back: a burst of one end with another seq, or
 * both ends at once, when the new one answers no segment (an injector's signature; a stack
 * sends a second RST only to answer something). */
static enum rst_pair pair_of(const struct xflow *f, const struct xrst *o, const struct seg *g, double ts)
{
    if (!back_to_back(f, o) || ts - o->ts >= 0.1 || answers(f, g->dir, g->f->seq))
        return PAIR_NONE;
    if (o->dir == g->dir)                  /* a burst repeats one kind of RST */
        return g->f->seq != o->rst.seq && (g->f->flags & TH_ACK) == (o->rst.flags & TH_ACK) ?
               PAIR_BURST : PAIR_NONE;
    return ts - o->ts < 0.01 ? PAIR_BOTH_ENDS : PAIR_NONE;
}

/* A segment of the RST's sender that ends exactly at the RST's seq: the RST was exact for the
 * sender's stream as someone on the path saw it, even if the receiver had not got that far. */
static void note_boundary(struct xrst *x, const struct xpkt *p)
{
    if (p->dir == x->dir && !(p->flags & TH_RST) && p->len > 0 && p->seq + p->len == x->rst.seq)
        x->boundary = 1;
}

/* A bare RST that answers the other end's data or FIN arriving just before it (seq = its
 * ack, within 1 ms): the kernel of the capture's host reacting, e.g. data reaching a socket
 * that had closed. */
static bool reacts(const struct xrst *x)
{
    if (x->rst.flags & TH_ACK)
        return false;
    for (int i = x->hist_n - 1; i >= 0; i--) {
        const struct xpkt *p = &x->hist[i];
        if (p->dir == x->dir)
            return false;
        if (!(p->flags & TH_RST))
            return (p->len || (p->flags & TH_FIN)) && p->ack == x->rst.seq &&
                   x->rst.t_us - p->t_us < 1000u;
    }
    return false;
}

/* What a packet tells the records that still watch this flow. */
static void watchers_see(struct xtrack *t, struct xflow *f, const struct seg *g, double ts)
{
    const struct frame *fr = g->f;
    uint32_t *pp = &f->pend;
    while (*pp) {
        uint32_t r = *pp;
        struct xrst *x = &t->recs[r];
        if (ts - x->ts > t->hold && !(fr->flags & TH_RST)) {
            *pp = x->next;                  /* done watching: out it goes */
            rec_emit(t, r);
            continue;
        }
        if (x->after_n < XAFTER)
            x->after[x->after_n++] = pkt_of(g);
        bool from_s = g->dir == x->dir;
        if (fr->flags & TH_RST) {
            enum rst_pair pr = pair_of(f, x, g, ts);
            /* a kernel's bare RST answering data, then forged RSTs to that end, is not the
             * pair: the forger's shots come together, neither answering the other's data */
            if (pr == PAIR_BURST)
                x->burst = sat8(x->burst + 1u);
            else if (pr == PAIR_BOTH_ENDS && !reacts(x))
                x->both_ends = 1;
            if (from_s) {
                x->later_rst_s = sat8(x->later_rst_s + 1u);
                if ((fr->flags & TH_ACK) && fr->win)
                    x->later_abort = 1;
            }
        } else if (from_s) {
            struct xpkt p = pkt_of(g);
            note_boundary(x, &p);
            /* new data at or past the RST's seq: the sender did not reset (a segment sent
             * before the RST and reordered behind it ends at or before the RST's seq) */
            if (g->len > 0 && seq_ge(fr->seq, x->rst.seq))
                x->s_data_after = 1;
            /* a FIN at or below the RST's seq was sent before it and came late */
            if ((fr->flags & TH_FIN) && !g->len && seq_le(fr->seq, x->rst.seq))
                x->s_fin_late = 1;
        } else {
            const struct xside *rv = &x->s[1 - x->dir];
            if (g->len == 0 && !(fr->flags & (TH_SYN | TH_FIN)) && (fr->flags & TH_ACK) &&
                (rv->flags & XSIDE_ACKED) && fr->ack == rv->ack)
                x->r_dupack = 1;
            if (g->len > 0 || (fr->flags & TH_FIN))
                x->r_goes_on = 1;
        }
        pp = &x->next;
    }
}

static void on_rst(struct xtrack *t, struct xflow *f, const struct seg *g, double ts)
{
    t->resets++;
    uint32_t r = rec_alloc(t);
    if (!r)
        return;
    struct xrst *x = &t->recs[r];
    x->ts = ts;
    x->t0 = f->t0;
    x->key = f->key;
    x->dir = g->dir;
    x->fflags = f->fflags;
    x->rst = pkt_of(g);
    memcpy(x->s, f->s, sizeof x->s);
    x->t_syn_us = f->t_syn_us;
    x->t_synack_us = f->t_synack_us;
    x->t_hsack_us = f->t_hsack_us;
    hist_copy(f, x->hist, &x->hist_n);
    for (uint8_t i = 0; i < x->hist_n; i++)
        note_boundary(x, &x->hist[i]);
    /* counted on the flow, so RSTs whose records went out long ago still count */
    struct xside *s = &f->s[g->dir];
    uint8_t abort_bit = g->dir ? XF_ABORT1 : XF_ABORT0;
    x->prev_rst_s = s->nrst;
    x->prev_abort = (f->fflags & abort_bit) != 0;   /* its socket aborted: later bare RSTs find none */
    if (!f->s[0].nrst && !f->s[1].nrst) {
        f->t_rst1_us = g->t_us;
        f->rst1_dir = g->dir;
    }
    x->t_first_us = s->nrst && f->rst1_dir == g->dir ? f->t_rst1_us : g->t_us;
    s->nrst = sat8(s->nrst + 1u);
    if ((g->f->flags & TH_ACK) && g->f->win)
        f->fflags |= abort_bit;
    for (uint32_t q = f->pend; q; q = t->recs[q].next) {
        const struct xrst *o = &t->recs[q];
        enum rst_pair pr = pair_of(f, o, g, ts);
        if (pr == PAIR_BURST)
            x->burst = sat8(x->burst + 1u);
        else if (pr == PAIR_BOTH_ENDS)
            x->both_ends = 1;
    }
    /* append: records stay in RST order */
    uint32_t *pp = &f->pend;
    while (*pp)
        pp = &t->recs[*pp].next;
    *pp = r;
    x->next = 0;
}

static void side_update(struct xtrack *t, struct xflow *f, const struct seg *g)
{
    const struct frame *fr = g->f;
    struct xside *s = &f->s[g->dir], *peer = &f->s[1 - g->dir];
    uint8_t dfbit = g->dir ? XF_DF1 : XF_DF0;
    /* The host table hears of a side's TTL and DF once, and again only when they change. */
    if (!(s->flags & XSIDE_SEEN) || fr->ttl != s->ttl || (!fr->df && (f->fflags & dfbit)))
        xhosts_note(&t->hosts, f->key.addr[g->dir], f->key.v6, fr->ttl, fr->df);
    if (!(s->flags & XSIDE_SEEN)) {
        s->ttl = fr->ttl;
        if (fr->df)
            f->fflags |= dfbit;
    } else if (fr->ttl != s->ttl) {
        s->flags |= XSIDE_TTLVAR;
    }
    if (!fr->df)
        f->fflags &= (uint8_t)~dfbit;
    bool syn = fr->flags & TH_SYN, fin = fr->flags & TH_FIN;
    if (syn) {
        if (!(s->flags & XSIDE_SYN)) {
            s->isn = fr->seq;
            s->flags |= XSIDE_SYN;
            if (fr->opt.has_ws)
                s->wscale = fr->opt.wscale > 14 ? 14 : fr->opt.wscale;
            if (g->dir == 0)
                f->t_syn_us = g->t_us;
            else
                f->t_synack_us = g->t_us;
        }
        s->nsyn = sat8(s->nsyn + 1u);
    }
    uint32_t end = fr->seq + g->len + (syn ? 1u : 0u) + (fin ? 1u : 0u);
    bool probe = (s->flags & XSIDE_SEEN) && !syn && !fin && g->len <= 1 &&
                 fr->seq == s->nxt - 1u;
    if (probe)
        s->nka = sat8(s->nka + 1u);
    else if (g->len > 0 || syn || fin)
        s->nka = 0;
    peer->nka = 0;
    if (!(s->flags & XSIDE_SEEN) || seq_gt(end, s->nxt))
        s->nxt = end;
    if (fr->flags & TH_ACK) {
        if (!(s->flags & XSIDE_ACKED) || seq_gt(fr->ack, s->ack))
            s->ack = fr->ack;
        s->flags |= XSIDE_ACKED;
        if (g->dir == 0 && !syn && (f->s[1].flags & XSIDE_SYN) && !(f->fflags & XF_HSACK) &&
            fr->ack == f->s[1].isn + 1u) {
            f->fflags |= XF_HSACK;
            f->t_hsack_us = g->t_us;
        }
    }
    if (fin && !(s->flags & XSIDE_FIN)) {
        s->fin_seq = fr->seq + g->len;
        s->flags |= XSIDE_FIN;
    }
    if (g->len > 0) {
        s->flags |= XSIDE_DATA;
        if ((peer->flags & XSIDE_FIN) && !s->data_after_fin_us)
            s->data_after_fin_us = g->t_us ? g->t_us : 1;
    }
    if (fr->opt.has_ts)
        s->flags |= XSIDE_TS;
    s->win = fr->win;
    s->ipid = fr->ip_id;
    s->flags |= XSIDE_SEEN;
}

/* The flow of (src:sport -> dst:dport) in bucket h, with the sender's side in *dir; 0: none. */
static uint32_t flow_find(const struct xtrack *t, uint32_t h, bool v6, const uint8_t *src, uint16_t sport,
                          const uint8_t *dst, uint16_t dport, uint8_t *dir)
{
    for (uint32_t i = t->hash[h]; i; i = t->pool[i].hnext) {
        const struct xflow *f = &t->pool[i];
        if (f->key.v6 != v6)
            continue;
        if (end_is(&f->key, 0, src, sport) && end_is(&f->key, 1, dst, dport)) {
            *dir = 0;
            return i;
        }
        if (end_is(&f->key, 1, src, sport) && end_is(&f->key, 0, dst, dport)) {
            *dir = 1;
            return i;
        }
    }
    return 0;
}

/* Find the flow of a segment, or start one. Side 0 is the end that sent the first SYN;
 * for a capture that starts mid-connection, the end with the higher (ephemeral) port. */
static uint32_t lookup(struct xtrack *t, const struct frame *fr, double ts, uint8_t *dir)
{
    uint8_t src[16], dst[16];
    pkt_addrs(fr, src, dst);
    bool v6 = fr->l3 == L3_IPV6;
    uint32_t h = flow_hash(src, fr->sport, dst, fr->dport, v6) & t->hmask;
    uint32_t i = flow_find(t, h, v6, src, fr->sport, dst, fr->dport, dir);
    if (i) {
        const struct xflow *f = &t->pool[i];
        /* The 4-tuple used again: a new SYN with another ISN after the old flow ended. */
        bool fresh_syn = (fr->flags & (TH_SYN | TH_ACK)) == TH_SYN;
        if (!(fresh_syn && (f->fflags & XF_CLOSED) &&
              !((f->s[*dir].flags & XSIDE_SYN) && f->s[*dir].isn == fr->seq)))
            return i;
        flow_finish(t, i);
    }
    struct xkey k;
    memset(&k, 0, sizeof k);
    k.v6 = v6;
    bool synack = (fr->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
    bool syn = (fr->flags & (TH_SYN | TH_ACK)) == TH_SYN;
    bool sender_is_client = syn || (!synack && fr->sport > fr->dport);
    const uint8_t *c = sender_is_client ? src : dst, *s = sender_is_client ? dst : src;
    memcpy(k.addr[0], c, 16);
    memcpy(k.addr[1], s, 16);
    k.port[0] = sender_is_client ? fr->sport : fr->dport;
    k.port[1] = sender_is_client ? fr->dport : fr->sport;
    i = flow_new(t, &k, h, ts);
    if (!syn)
        t->pool[i].fflags |= XF_MIDSTREAM;
    *dir = sender_is_client ? 0 : 1;
    return i;
}

static void move_to(struct xtrack *t, uint32_t i, uint8_t list)
{
    if (t->pool[i].list != list) {
        list_unlink(t, i);
        list_append(t, i, list);
    }
}

/* An ICMP or ICMPv6 destination unreachable quoting a client's SYN that had no answer yet
 * (a firewall's reject, a router without a way to the host): the attempt's record, now,
 * instead of a no-answer later. Returns whether it was one. */
static bool icmp_refusal(struct xtrack *t, const struct frame *fr, double ts)
{
    bool v6 = fr->l4 == L4_ICMP6;
    struct quoted q;
    if (fr->icmp_type != (v6 ? 1 : 3) || !icmp_parse_quoted(fr->payload, fr->payload_len, &q) ||
        q.v6 != v6 || q.proto != 6 || !q.sport)
        return false;
    uint8_t src[16] = { 0 }, dst[16] = { 0 };
    if (v6) {
        memcpy(src, q.s6, 16);
        memcpy(dst, q.d6, 16);
    } else {
        uint32_t a = htonl(q.s4), b = htonl(q.d4);
        memcpy(src, &a, 4);
        memcpy(dst, &b, 4);
    }
    uint8_t dir;
    uint32_t i = flow_find(t, flow_hash(src, q.sport, dst, q.dport, v6) & t->hmask, v6, src, q.sport, dst,
                           q.dport, &dir);
    struct xflow *f = &t->pool[i];
    if (!i || dir != 0 || !attempt_only(f) || (f->fflags & XF_ICMP) || (q.has_seq && q.seq != f->s[0].isn))
        return false;
    uint32_t r = attempt_record(t, f, ts);
    if (!r)
        return false;
    struct xrst *x = &t->recs[r];
    uint8_t to[16];
    x->dir = 1;
    x->rst.t_us = us_since(f->t0, ts);
    x->rst.dir = 1;
    x->rst.ttl = fr->ttl;
    x->icmp_type = fr->icmp_type;
    x->icmp_code = fr->icmp_code;
    pkt_addrs(fr, x->icmp_from, to);
    rec_emit(t, r);
    f->fflags |= XF_ICMP | XF_CLOSED;
    move_to(t, i, L_CLOSED);
    return true;
}

void xtrack_frame(struct xtrack *t, const struct frame *fr, double ts)
{
    t->packets++;
    if (ts > t->now)
        t->now = ts;
    if (t->now >= t->next_expire) {          /* a few times per captured second is enough */
        expire(t);
        t->next_expire = t->now + 0.5;
    }
    if ((fr->l4 == L4_ICMP || fr->l4 == L4_ICMP6) && fr->err == PKT_OK && icmp_refusal(t, fr, ts))
        return;
    if (fr->l4 != L4_TCP || (fr->err != PKT_OK && fr->err != PKT_E_TRUNC_L3) || fr->doff < 20) {
        t->skipped++;
        return;
    }
    t->tcp++;
    size_t hdr = (size_t)fr->ip_hlen + fr->doff;
    uint32_t len = fr->ip_totlen >= hdr ? (uint32_t)(fr->ip_totlen - hdr) : (uint32_t)fr->payload_len;
    struct seg g = { .f = fr, .len = len };
    uint32_t i = lookup(t, fr, ts, &g.dir);
    struct xflow *f = &t->pool[i];
    g.t_us = us_since(f->t0, ts);
    f->tlast = ts;
    if (f->pend)
        watchers_see(t, f, &g, ts);
    if (fr->flags & TH_RST) {
        on_rst(t, f, &g, ts);
        f->s[g.dir].flags |= XSIDE_RST;
        f->fflags |= XF_CLOSED;
    } else {
        side_update(t, f, &g);
        bool fins = (f->s[0].flags & XSIDE_FIN) && (f->s[1].flags & XSIDE_FIN);
        if (fins)
            f->fflags |= XF_CLOSED;
        else
            f->fflags &= (uint8_t)~XF_CLOSED;
    }
    struct xpkt p = pkt_of(&g);
    hist_push(f, &p);
    move_to(t, i, (f->fflags & XF_CLOSED) ? L_CLOSED : L_OPEN);
}

void xtrack_tick(struct xtrack *t, double now)
{
    if (now > t->now)
        t->now = now;
    expire(t);
}

void xtrack_flush(struct xtrack *t)
{
    for (int l = 0; l < L_N; l++)
        while (t->head[l])
            flow_finish(t, t->head[l]);
}
