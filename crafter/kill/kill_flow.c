/* Sequence tracking for `rstcraft kill`. An RFC 5961 stack (Linux) accepts an RST only
 * when its seq is exactly RCV.NXT, so each end's RCV.NXT is taken from the segments seen:
 * the peer's SND.NXT (highest seq + len it sent) or the end's own latest ACK, whichever is
 * further. tcpkill's seq = ACK + k * window guesses are what such stacks turn into
 * challenge ACKs. */
#include <stdlib.h>
#include <string.h>
#include "kill.h"

#define KT_MAX   65536
#define KT_HASH  16384u
#define KT_NIL   UINT32_MAX

/* one end folded to 64 bits: address words and port */
static uint64_t kend(const uint8_t *a, uint16_t port)
{
    uint64_t w[2];
    memcpy(w, a, 16);
    return (w[0] ^ w[1] * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull ^ port;
}

/* the same value for both directions of a connection */
static uint32_t khash(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
    uint64_t x = kend(a, ap), y = kend(b, bp);
    uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
    uint64_t h = lo * 0x9e3779b97f4a7c15ull ^ (hi + 0x7f4a7c159e3779b9ull) * 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(h >> 40) % KT_HASH;
}

static bool end_is(const struct kside *s, const uint8_t *ip, uint16_t port)
{
    return s->port == port && memcmp(s->ip, ip, 16) == 0;
}

struct kflow *ktable_find(struct ktable *t, bool v6, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                          uint16_t dport, int *from, bool create, uint64_t now)
{
    if (!t->head) {
        t->head = malloc(KT_HASH * sizeof *t->head);
        if (!t->head)
            return NULL;
        for (uint32_t i = 0; i < KT_HASH; i++)
            t->head[i] = KT_NIL;
    }
    uint32_t h = khash(sip, sport, dip, dport);
    for (uint32_t i = t->head[h]; i != KT_NIL; i = t->next[i]) {
        struct kflow *k = &t->v[i];
        for (int s = 0; s < 2 && k->v6 == v6; s++)
            if (end_is(&k->s[s], sip, sport) && end_is(&k->s[!s], dip, dport)) {
                *from = s;
                return k;
            }
    }
    if (!create || t->n >= KT_MAX)
        return NULL;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        struct kflow *nv = realloc(t->v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        t->v = nv;
        uint32_t *nn = realloc(t->next, nc * sizeof *nn);
        if (!nn)
            return NULL;
        t->next = nn;
        t->cap = nc;
    }
    uint32_t idx = (uint32_t)t->n++;
    struct kflow *k = &t->v[idx];
    memset(k, 0, sizeof *k);
    k->v6 = v6;
    memcpy(k->s[0].ip, sip, 16);
    k->s[0].port = sport;
    memcpy(k->s[1].ip, dip, 16);
    k->s[1].port = dport;
    k->client = -1;
    k->created_ns = now;
    t->next[idx] = t->head[h];
    t->head[h] = idx;
    *from = 0;
    return k;
}

void ktable_free(struct ktable *t)
{
    free(t->v);
    free(t->head);
    free(t->next);
    memset(t, 0, sizeof *t);
}

void kflow_segment(struct kflow *k, int from, const struct frame *f, uint64_t now)
{
    struct kside *s = &k->s[from];
    if (f->flags & TH_RST) {
        s->got_rst = true;
        return;
    }
    uint32_t end = f->seq + (uint32_t)f->payload_len + (f->flags & TH_SYN ? 1u : 0u) +
                   (f->flags & TH_FIN ? 1u : 0u);
    if (!s->has_nxt || seq_gt(end, s->snd_nxt)) {
        s->snd_nxt = end;
        s->has_nxt = true;
    }
    if (f->flags & TH_ACK) {
        if (!s->has_ack || seq_ge(f->ack, s->ack))
            s->ack = f->ack;
        s->has_ack = true;
    }
    s->win = f->win;
    if ((f->flags & (TH_SYN | TH_ACK)) == TH_SYN)
        k->client = from;
    else if ((f->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
        k->client = !from;
    memcpy(s->mac, f->eth_src, 6);
    memcpy(s->to_mac, f->eth_dst, 6);
    s->has_mac = true;
    s->seen = true;
    s->last_ns = now;
    if (s->rsts && now > s->rst_ns)
        s->alive_after_rst = true;
}

bool kflow_rcv_nxt(const struct kflow *k, int side, uint32_t *seq)
{
    const struct kside *me = &k->s[side], *peer = &k->s[!side];
    if (peer->has_nxt && me->has_ack) {
        *seq = seq_ge(peer->snd_nxt, me->ack) ? peer->snd_nxt : me->ack;
        return true;
    }
    if (peer->has_nxt) {
        *seq = peer->snd_nxt;
        return true;
    }
    if (me->has_ack) {
        *seq = me->ack;
        return true;
    }
    return false;
}

int kflow_server(const struct kflow *k)
{
    if (k->client >= 0)
        return !k->client;
    uint16_t p0 = k->s[0].port, p1 = k->s[1].port;
    bool e0 = p0 >= 32768, e1 = p1 >= 32768;      /* Linux's ephemeral range starts there */
    if (e0 != e1)
        return e0 ? 1 : 0;
    return p0 <= p1 ? 0 : 1;
}
