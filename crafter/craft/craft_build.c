/* The probes of one craft run: probe i as a whole frame (IPv4/TCP through the shared
 * template, the rest through build6.c), and the flood path that derives frame i from
 * frame 0 by rewriting the varying fields and updating checksums incrementally (RFC 1624). */
#include <string.h>
#include "be.h"
#include "craft.h"
#include "csum.h"


static bool ports_unique(const struct craft_opts *o)
{
    for (size_t a = 0; a < o->nports; a++)
        for (size_t b = a + 1; b < o->nports; b++)
            if (o->ports[a].lo <= o->ports[b].hi && o->ports[b].lo <= o->ports[a].hi)
                return false;
    return true;
}

int craft_ctx_init(struct craft_ctx *c, const struct craft_opts *o, const uint8_t smac[6],
                   const uint8_t dmac[6], uint32_t seed, char *err)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    memcpy(c->smac, smac, 6);
    memcpy(c->dmac, dmac, 6);
    struct probe_gen *g = &c->gen;
    /* xorshift from the seed: independent bases for each varying field */
    uint32_t x = seed ? seed : 0x9e3779b9u;
#define NEXT() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
    g->proto = o->proto;
    g->v6 = o->v6;
    g->sport_var = !o->has_sport && o->proto != CP_ICMP;
    g->sport = o->sport;
    g->sport_base = (uint16_t)(NEXT() % 64512u);
    g->seq_var = !o->has_seq && o->proto == CP_TCP;
    g->seq = o->has_seq ? o->seq : NEXT();
    g->ack_var = !o->has_ack && o->proto == CP_TCP && (o->flags & TH_ACK);
    g->ack = o->has_ack ? o->ack : (g->ack_var ? NEXT() : 0);
    g->id_var = !o->has_id && !o->v6;
    g->id = o->has_id ? o->id : (uint16_t)NEXT();
    g->icmp_id = o->icmp_id;
    g->icmp_seq = o->icmp_seq;
    g->ports = o->ports;
    g->nports = o->nports;
    g->nport_total = o->nport_total;
    g->ports_unique = ports_unique(o);
    g->flags = o->flags;
    g->plen = (uint32_t)o->dlen;
    g->seglen = (uint32_t)o->dlen + (o->flags & TH_SYN ? 1u : 0u) + (o->flags & TH_FIN ? 1u : 0u);
#undef NEXT
    c->tg.v6 = o->v6;
    c->tg.src4 = o->src4;
    c->tg.dst4 = o->dst4;
    memcpy(c->tg.src6, o->src6, 16);
    memcpy(c->tg.dst6, o->dst6, 16);
    if (!o->v6 && o->proto == CP_TCP)
        return tmpl_tcp4_init(&c->tmpl, smac, dmac, err);
    return 0;
}

static void fill_tcp(const struct craft_opts *o, const struct probe_fields *f, struct tcp_spec *t)
{
    memset(t, 0, sizeof *t);
    t->sport = f->sport;
    t->dport = f->dport;
    t->seq = f->seq;
    t->ack = f->ack;
    t->flags = o->flags;
    t->res = o->res;
    t->win = o->win;
    t->urp = o->urp;
    t->opts = o->optlen ? o->optbuf : NULL;
    t->optlen = o->optlen;
    t->doff = o->doff > 0 ? (uint8_t)o->doff : 0;
    t->badsum = o->badsum;
}

size_t craft_build(const struct craft_ctx *c, uint64_t i, uint8_t *buf, size_t cap)
{
    const struct craft_opts *o = c->o;
    struct probe_fields f;
    probe_fields(&c->gen, i, &f);
    struct l3_spec l3;
    memset(&l3, 0, sizeof l3);
    l3.v6 = o->v6;
    if (o->v6) {
        memcpy(l3.ip6.saddr, o->src6, 16);
        memcpy(l3.ip6.daddr, o->dst6, 16);
        l3.ip6.hlim = o->ttl;
        l3.ip6.tclass = o->tos;
        l3.ip6.flowlabel = o->flowlabel;
    } else {
        l3.ip4.saddr = o->src4;
        l3.ip4.daddr = o->dst4;
        l3.ip4.ttl = o->ttl;
        l3.ip4.tos = o->tos;
        l3.ip4.id = f.id;
        l3.ip4.df = o->df;
        l3.ip4.mf = o->mf;
        l3.ip4.frag_off = o->frag_off;
    }
    size_t len = 0, l4off = 14 + (o->v6 ? 40u : 20u);
    if (o->proto == CP_TCP) {
        struct tcp_spec t;
        fill_tcp(o, &f, &t);
        if (!o->v6) {
            len = tmpl_tcp4_build(&c->tmpl, buf, cap, c->smac, c->dmac, &l3.ip4, &t, o->data, o->dlen);
        } else {
            uint8_t hdr[60];
            size_t hl = build_tcp_hdr(hdr, &t);
            len = build_l3_frame(buf, cap, c->smac, c->dmac, &l3, 6, hdr, hl, o->data, o->dlen, 16, o->badsum);
        }
        if (len && o->doff == 0) {
            /* a data offset of 0 cannot be asked of the builders (0 = computed): patch it */
            uint16_t oldw = get16(buf + l4off + 12);
            uint16_t neww = (uint16_t)(oldw & 0x0fff);
            put16(buf + l4off + 12, neww);
            put16(buf + l4off + 16, csum_update16(get16(buf + l4off + 16), oldw, neww));
        }
    } else if (o->proto == CP_UDP) {
        uint8_t hdr[8];
        put16(hdr, f.sport);
        put16(hdr + 2, f.dport);
        put16(hdr + 4, (uint16_t)(8 + o->dlen));
        put16(hdr + 6, 0);
        len = build_l3_frame(buf, cap, c->smac, c->dmac, &l3, 17, hdr, 8, o->data, o->dlen, 6, o->badsum);
    } else {
        uint8_t hdr[8] = { o->icmp_type, o->icmp_code, 0, 0 };
        put16(hdr + 4, c->gen.icmp_id);
        put16(hdr + 6, f.icmp_seq);
        len = build_l3_frame(buf, cap, c->smac, c->dmac, &l3, o->v6 ? 58 : 1, hdr, 8, o->data,
                             o->dlen, 2, o->badsum);
    }
    return len;
}

void craft_patch_init(const struct craft_ctx *c, const uint8_t *base, size_t len, struct craft_patch *p)
{
    (void)base;
    memset(p, 0, sizeof *p);
    const struct craft_opts *o = c->o;
    size_t l4 = 14 + (o->v6 ? 40u : 20u);
    p->len = len;
    p->v4 = !o->v6;
    p->off_id = p->v4 ? 14 + 4 : 0;
    p->off_ipsum = p->v4 ? 14 + 10 : 0;
    p->off_sport = l4;
    p->off_dport = l4 + 2;
    if (o->proto == CP_TCP) {
        p->off_seq = l4 + 4;
        p->off_ack = l4 + 8;
        p->off_l4sum = l4 + 16;
    } else if (o->proto == CP_UDP) {
        p->off_l4sum = l4 + 6;
    } else {
        p->off_l4sum = l4 + 2;
        p->off_icseq = l4 + 6;
    }
    probe_fields(&c->gen, 0, &p->f0);
}

/* frame holds frame 0's bytes; rewrite it into frame i */
void craft_patch(const struct craft_ctx *c, const struct craft_patch *p, uint8_t *frame, uint64_t i)
{
    struct probe_fields f;
    probe_fields(&c->gen, i, &f);
    const struct probe_fields *z = &p->f0;
    uint16_t sum = get16(frame + p->off_l4sum);
    if (p->v4 && f.id != z->id) {
        put16(frame + p->off_id, f.id);
        put16(frame + p->off_ipsum, csum_update16(get16(frame + p->off_ipsum), z->id, f.id));
    }
    if (c->gen.proto == CP_ICMP) {
        if (f.icmp_seq != z->icmp_seq) {
            put16(frame + p->off_icseq, f.icmp_seq);
            sum = csum_update16(sum, z->icmp_seq, f.icmp_seq);
        }
    } else {
        if (f.sport != z->sport) {
            put16(frame + p->off_sport, f.sport);
            sum = csum_update16(sum, z->sport, f.sport);
        }
        if (f.dport != z->dport) {
            put16(frame + p->off_dport, f.dport);
            sum = csum_update16(sum, z->dport, f.dport);
        }
        if (c->gen.proto == CP_TCP) {
            if (f.seq != z->seq) {
                put32(frame + p->off_seq, f.seq);
                sum = csum_update32(sum, z->seq, f.seq);
            }
            if (f.ack != z->ack) {
                put32(frame + p->off_ack, f.ack);
                sum = csum_update32(sum, z->ack, f.ack);
            }
        } else if (sum == 0) {
            sum = 0xffff;
        }
    }
    put16(frame + p->off_l4sum, sum);
}

size_t craft_ring_base(const struct craft_ctx *c, uint8_t *buf, size_t cap, struct craft_patch *p)
{
    size_t len = craft_build(c, 0, buf, cap);
    if (!len) {
        fprintf(stderr, "rstcraft craft: probe does not fit in a frame\n");
        return 0;
    }
    craft_patch_init(c, buf, len, p);
    return len;
}
