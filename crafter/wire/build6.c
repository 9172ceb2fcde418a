/* Frames the shared IPv4/TCP template does not cover: IPv6, UDP, ICMP/ICMPv6 (and IPv4
 * TCP with a lying data offset of 0), plus IPv6 neighbour discovery for next-hop lookup.
 * Plain byte writes: these run once per probe, not on the flood path. */
#include <string.h>
#include "be.h"
#include "craft.h"
#include "csum.h"
#include "nd.h"

/* The addressing of Neighbour Discovery (nd.h), here below nd.c, which builds with
 * build_ns6/build_na6 and answers to these. */
void nd_snm_addr(const uint8_t a[16], uint8_t out[16])
{
    static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
    memcpy(out, pfx, 13);
    memcpy(out + 13, a + 13, 3);
}

void nd_mcast_mac(const uint8_t a[16], uint8_t out[6])
{
    out[0] = 0x33;
    out[1] = 0x33;
    memcpy(out + 2, a + 12, 4);
}

size_t build_tcp_hdr(uint8_t *out, const struct tcp_spec *t)
{
    size_t optlen = t->optlen > TCPOPT_MAXLEN ? TCPOPT_MAXLEN : t->optlen;
    size_t hl = 20 + optlen;
    uint8_t doff = t->doff ? t->doff : (uint8_t)(hl / 4);
    put16(out, t->sport);
    put16(out + 2, t->dport);
    put32(out + 4, t->seq);
    put32(out + 8, t->ack);
    out[12] = (uint8_t)(doff << 4 | (t->res & 15));
    out[13] = t->flags;
    put16(out + 14, t->win);
    put16(out + 16, 0);
    put16(out + 18, t->urp);
    if (optlen)
        memcpy(out + 20, t->opts, optlen);
    return hl;
}

size_t build_l3_frame(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                      const struct l3_spec *l3, uint8_t proto, const uint8_t *l4, size_t l4len,
                      const uint8_t *payload, size_t plen, size_t csum_off, bool badsum)
{
    size_t iph = l3->v6 ? 40 : 20;
    size_t total = 14 + iph + l4len + plen;
    if (total > cap || csum_off + 2 > l4len || iph + l4len + plen > 65535 + (l3->v6 ? 40u : 0u))
        return 0;
    memcpy(buf, dmac, 6);
    memcpy(buf + 6, smac, 6);
    put16(buf + 12, l3->v6 ? ETHTYPE_IPV6 : ETHTYPE_IPV4);
    uint8_t *ip = buf + 14, *l4p = ip + iph;
    uint32_t l4total = (uint32_t)(l4len + plen);
    if (l3->v6) {
        const struct ip6_spec *s = &l3->ip6;
        put32(ip, 6u << 28 | (uint32_t)s->tclass << 20 | (s->flowlabel & 0xfffff));
        put16(ip + 4, (uint16_t)l4total);
        ip[6] = proto;
        ip[7] = s->hlim;
        memcpy(ip + 8, s->saddr, 16);
        memcpy(ip + 24, s->daddr, 16);
    } else {
        const struct ip4_spec *s = &l3->ip4;
        ip[0] = 0x45;
        ip[1] = s->tos;
        put16(ip + 2, (uint16_t)(20 + l4total));
        put16(ip + 4, s->id);
        put16(ip + 6, (uint16_t)((s->df ? 0x4000 : 0) | (s->mf ? 0x2000 : 0) | (s->frag_off & 0x1fff)));
        ip[8] = s->ttl;
        ip[9] = proto;
        put16(ip + 10, 0);
        put32(ip + 12, s->saddr);
        put32(ip + 16, s->daddr);
        put16(ip + 10, csum_fold(csum_partial(ip, 20, 0)));
    }
    memcpy(l4p, l4, l4len);
    if (plen)
        memcpy(l4p + l4len, payload, plen);
    put16(l4p + csum_off, 0);
    uint32_t sum = 0;
    if (l3->v6)
        sum = csum_pseudo6(l3->ip6.saddr, l3->ip6.daddr, proto, l4total);
    else if (proto != 1)
        sum = csum_pseudo4(l3->ip4.saddr, l3->ip4.daddr, proto, (uint16_t)l4total);
    uint16_t c = csum_fold(csum_partial(l4p, l4total, sum));
    if (proto == 17 && c == 0)
        c = 0xffff;                          /* UDP: 0 means "no checksum" */
    if (badsum)
        c ^= 0x5a5a;
    put16(l4p + csum_off, c);
    return total;
}

size_t build_ns6(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t saddr[16],
                 const uint8_t target[16])
{
    static const uint8_t unspec[16];
    uint8_t icmp[32] = { 135, 0 };
    memcpy(icmp + 8, target, 16);
    /* a DAD probe (from ::) carries no source link-layer address (RFC 4861 §7.2.2) */
    bool dad = memcmp(saddr, unspec, 16) == 0;
    icmp[24] = 1;                            /* source link-layer address */
    icmp[25] = 1;
    memcpy(icmp + 26, smac, 6);
    struct l3_spec l3;
    memset(&l3, 0, sizeof l3);
    l3.v6 = true;
    memcpy(l3.ip6.saddr, saddr, 16);
    nd_snm_addr(target, l3.ip6.daddr);
    l3.ip6.hlim = 255;
    uint8_t dmac[6];
    nd_mcast_mac(l3.ip6.daddr, dmac);
    return build_l3_frame(buf, cap, smac, dmac, &l3, 58, icmp, dad ? 24 : sizeof icmp, NULL, 0, 2, false);
}

size_t build_na6(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                 const uint8_t target[16], const uint8_t daddr[16], uint32_t flags, bool tlla)
{
    uint8_t icmp[32] = { 136, 0 };
    put32(icmp + 4, flags);
    memcpy(icmp + 8, target, 16);
    icmp[24] = 2;                            /* target link-layer address */
    icmp[25] = 1;
    memcpy(icmp + 26, smac, 6);
    struct l3_spec l3;
    memset(&l3, 0, sizeof l3);
    l3.v6 = true;
    memcpy(l3.ip6.saddr, target, 16);
    memcpy(l3.ip6.daddr, daddr, 16);
    l3.ip6.hlim = 255;
    return build_l3_frame(buf, cap, smac, dmac, &l3, 58, icmp, tlla ? sizeof icmp : 24, NULL, 0, 2, false);
}
