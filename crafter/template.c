/* The Ethernet+IPv4+TCP and Ethernet+IPv6+TCP templates: libnet lays the headers out once,
 * then every frame is a copy of those 54 (74) bytes with its fields patched and both checksums computed here
 * (masscan's templ-pkt.c approach: no allocation, no libnet call per packet).
 * libnet_adv_cull_packet() insists on an advanced injection context, which needs
 * privileges; libnet_pblock_coalesce() is what it calls, and works on LIBNET_NONE. */
#include <stdio.h>
#include <string.h>
#include "be.h"
#include "build.h"
#include "csum.h"
#include <libnet.h>   /* after pkt.h: netinet/ip_icmp.h makes icmp_id a macro */

#define T_ETH  0
#define T_IP   14
#define T_TCP  34


/* libnet lays out Ethernet + IP (v6 or not) + a bare TCP header into out (len bytes). */
static int layout(bool v6, uint8_t *out, size_t len, const uint8_t src_mac[6],
                  const uint8_t dst_mac[6], char *err)
{
    char ebuf[LIBNET_ERRBUF_SIZE] = "";
    libnet_t *l = libnet_init(LIBNET_NONE, NULL, ebuf);
    if (!l) {
        snprintf(err, 256, "libnet_init: %s", ebuf);
        return -1;
    }
    int rc = -1;
    uint8_t *pkt = NULL;
    uint32_t n = 0;
    struct libnet_in6_addr any6;
    memset(&any6, 0, sizeof any6);
    /* libnet builds from the innermost header out */
    if (libnet_build_tcp(0, 0, 0, 0, 0, 0, 0, 0, LIBNET_TCP_H, NULL, 0, l, 0) == -1 ||
        (v6 ? libnet_build_ipv6(0, 0, LIBNET_TCP_H, IPPROTO_TCP, 64, any6, any6, NULL, 0, l, 0)
            : libnet_build_ipv4(LIBNET_IPV4_H + LIBNET_TCP_H, 0, 0, 0, 64, IPPROTO_TCP, 0, 0, 0,
                                NULL, 0, l, 0)) == -1 ||
        libnet_build_ethernet(dst_mac, src_mac, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP, NULL, 0, l, 0) == -1) {
        snprintf(err, 256, "libnet: %s", libnet_geterror(l));
        goto out;
    }
    if (libnet_pblock_coalesce(l, &pkt, &n) == -1) {
        snprintf(err, 256, "libnet_pblock_coalesce: %s", libnet_geterror(l));
        goto out;
    }
    if (n != len) {
        snprintf(err, 256, "libnet laid out a %u-byte template, expected %zu", n, len);
        goto out;
    }
    memcpy(out, pkt, len);
    rc = 0;
out:
    if (pkt)
        libnet_adv_free_packet(l, pkt);
    libnet_destroy(l);
    return rc;
}

int tmpl_tcp4_init(struct tmpl_tcp4 *t, const uint8_t src_mac[6], const uint8_t dst_mac[6], char *err)
{
    return layout(false, t->bytes, sizeof t->bytes, src_mac, dst_mac, err);
}

int tmpl_tcp6_init(struct tmpl_tcp6 *t, const uint8_t src_mac[6], const uint8_t dst_mac[6], char *err)
{
    return layout(true, t->bytes, sizeof t->bytes, src_mac, dst_mac, err);
}

/* The TCP header, options and payload at th (l4len bytes in all), and its checksum from
 * the pseudo-header's sum. */
static void put_tcp(uint8_t *th, const struct tcp_spec *tcp, const uint8_t *payload, size_t plen,
                    size_t l4len, uint32_t pseudo)
{
    size_t optlen = tcp->opts ? tcp->optlen : 0;
    size_t thl = 20 + optlen;
    /* a forced data offset may lie about the header; the bytes written stay 20 + optlen */
    uint8_t doff = tcp->doff ? (uint8_t)(tcp->doff & 0x0f) : (uint8_t)((thl + 3) / 4);
    put16(th, tcp->sport);
    put16(th + 2, tcp->dport);
    put32(th + 4, tcp->seq);
    put32(th + 8, tcp->ack);
    th[12] = (uint8_t)(doff << 4 | (tcp->res & 0x0f));
    th[13] = tcp->flags;
    put16(th + 14, tcp->win);
    put16(th + 16, 0);
    put16(th + 18, tcp->urp);
    if (optlen)
        memcpy(th + 20, tcp->opts, optlen);
    if (plen)
        memcpy(th + thl, payload, plen);
    uint16_t c = csum_fold(csum_partial(th, l4len, pseudo));
    if (tcp->badsum)
        c ^= 0x5555;                        /* never equal to the right value */
    put16(th + 16, c);
}

/* The template's bytes into buf with the frame's MACs and EtherType; returns the TCP
 * segment's length, or 0 when it cannot be framed in cap bytes after the hdr header bytes. */
static size_t start(const uint8_t *tmpl, size_t hdr, uint8_t *buf, size_t cap,
                    const uint8_t src_mac[6], const uint8_t dst_mac[6], uint16_t type,
                    const struct tcp_spec *tcp, const uint8_t *payload, size_t plen)
{
    size_t optlen = tcp->opts ? tcp->optlen : 0;
    if (optlen > TCPOPT_MAXLEN || (plen && !payload) || plen > cap)
        return 0;
    size_t l4len = 20 + optlen + plen;
    if (hdr + l4len > cap || l4len + 40 > 0xffff)
        return 0;
    memcpy(buf, tmpl, hdr + 20);
    memcpy(buf + T_ETH, dst_mac, 6);
    memcpy(buf + T_ETH + 6, src_mac, 6);
    put16(buf + T_ETH + 12, type);
    return l4len;
}

size_t tmpl_tcp4_build(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap,
                       const uint8_t src_mac[6], const uint8_t dst_mac[6],
                       const struct ip4_spec *ip, const struct tcp_spec *tcp,
                       const uint8_t *payload, size_t plen)
{
    size_t l4len = start(t->bytes, T_TCP, buf, cap, src_mac, dst_mac, ETHERTYPE_IP, tcp, payload, plen);
    if (!l4len)
        return 0;
    uint8_t *h = buf + T_IP;
    h[0] = 0x45;
    h[1] = ip->tos;
    put16(h + 2, (uint16_t)(20 + l4len));
    put16(h + 4, ip->id);
    put16(h + 6, (uint16_t)((ip->df ? 0x4000 : 0) | (ip->mf ? 0x2000 : 0) | (ip->frag_off & 0x1fff)));
    h[8] = ip->ttl;
    h[9] = IPPROTO_TCP;
    put16(h + 10, 0);
    put32(h + 12, ip->saddr);
    put32(h + 16, ip->daddr);
    put16(h + 10, csum_fold(csum_partial(h, 20, 0)));
    put_tcp(buf + T_TCP, tcp, payload, plen, l4len,
            csum_pseudo4(ip->saddr, ip->daddr, IPPROTO_TCP, (uint16_t)l4len));
    return T_TCP + l4len;
}

#define T6_TCP 54

size_t tmpl_tcp6_build(const struct tmpl_tcp6 *t, uint8_t *buf, size_t cap,
                       const uint8_t src_mac[6], const uint8_t dst_mac[6],
                       const struct ip6_hdr_spec *ip, const struct tcp_spec *tcp,
                       const uint8_t *payload, size_t plen)
{
    size_t l4len = start(t->bytes, T6_TCP, buf, cap, src_mac, dst_mac, ETHERTYPE_IPV6, tcp, payload, plen);
    if (!l4len)
        return 0;
    uint8_t *h = buf + T_IP;
    put32(h, 6u << 28 | (uint32_t)ip->tclass << 20 | (ip->flowlabel & 0xfffff));
    put16(h + 4, (uint16_t)l4len);
    h[6] = IPPROTO_TCP;
    h[7] = ip->hlim;
    memcpy(h + 8, ip->saddr, 16);
    memcpy(h + 24, ip->daddr, 16);
    put_tcp(buf + T6_TCP, tcp, payload, plen, l4len,
            csum_pseudo6(ip->saddr, ip->daddr, IPPROTO_TCP, (uint32_t)l4len));
    return T6_TCP + l4len;
}
