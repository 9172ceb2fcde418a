/* Decoding a captured frame into struct frame. Every wire byte is read through rd.h
 * and every length field is checked against what was captured, so a lying header can
 * only produce an error code. Each layer works on a region clipped to what the layer
 * below claims (IP total length, IPv6 payload length): Ethernet padding is never taken
 * for payload. Received checksums are recorded, never verified: GRO/TSO frames carry
 * partial checksums and are still real traffic. */
#include <string.h>
#include "pkt.h"
#include "rd.h"

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ICMP_    1
#define IPPROTO_TCP_     6
#define IPPROTO_UDP_     17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAG_    44
#define IPPROTO_ICMPV6_  58
#define IPPROTO_DSTOPTS_ 60

/* Caller checked rd_have(r, off, n). */
static void rd_copy(const struct rd *r, size_t off, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rd_u8(r, off + i);
}

static uint16_t sat16(size_t v)
{
    return v > 0xffff ? 0xffff : (uint16_t)v;
}

/* l4 is the L4 region clipped to the capture; claim is its length per the IP header. */
static void parse_tcp(struct frame *f, const struct rd *l4, size_t claim)
{
    RD_NEED(l4, 0, 20, trunc);
    f->sport = rd_be16(l4, 0);
    f->dport = rd_be16(l4, 2);
    f->seq = rd_be32(l4, 4);
    f->ack = rd_be32(l4, 8);
    f->doff = (uint8_t)((rd_u8(l4, 12) >> 4) * 4);
    f->th_res = rd_u8(l4, 12) & 0x0f;
    f->flags = rd_u8(l4, 13);
    f->win = rd_be16(l4, 14);
    f->th_sum = rd_be16(l4, 16);
    f->urp = rd_be16(l4, 18);
    f->l4 = L4_TCP;
    if (f->doff < 20 || f->doff > claim) {
        f->err = PKT_E_BAD_DOFF;
        return;
    }
    RD_NEED(l4, 0, f->doff, trunc);
    struct rd o = rd_sub(l4, 20, (size_t)f->doff - 20);
    tcpopt_parse(&f->opt, o.p, o.len);      /* bad options mark opt.malformed, not the frame */
    struct rd pl = rd_sub(l4, f->doff, l4->len - f->doff);
    f->payload = pl.p;
    f->payload_len = pl.len;
    return;
trunc:
    f->err = PKT_E_TRUNC_L4;
}

static void parse_udp(struct frame *f, const struct rd *l4)
{
    RD_NEED(l4, 0, 8, trunc);
    f->sport = rd_be16(l4, 0);
    f->dport = rd_be16(l4, 2);
    f->l4 = L4_UDP;
    struct rd pl = rd_sub(l4, 8, l4->len - 8);
    f->payload = pl.p;
    f->payload_len = pl.len;
    return;
trunc:
    f->err = PKT_E_TRUNC_L4;
}

/* Messages that carry an identifier and a sequence number after the checksum. */
static bool icmp_has_id(bool v6, uint8_t type)
{
    if (v6)
        return type == 128 || type == 129;
    return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static void parse_icmp(struct frame *f, const struct rd *l4, bool v6)
{
    RD_NEED(l4, 0, 8, trunc);               /* every ICMP/ICMPv6 message has 8 header bytes */
    f->icmp_type = rd_u8(l4, 0);
    f->icmp_code = rd_u8(l4, 1);
    if (icmp_has_id(v6, f->icmp_type)) {
        f->icmp_id = rd_be16(l4, 4);
        f->icmp_seq = rd_be16(l4, 6);
    }
    f->l4 = v6 ? L4_ICMP6 : L4_ICMP;
    struct rd pl = rd_sub(l4, 8, l4->len - 8);
    f->payload = pl.p;
    f->payload_len = pl.len;
    return;
trunc:
    f->err = PKT_E_TRUNC_L4;
}

static void parse_l4(struct frame *f, const struct rd *r, size_t claim)
{
    struct rd l4 = rd_sub(r, f->l4_off, f->l4_len);
    bool v6 = f->l3 == L3_IPV6;
    if (f->proto == IPPROTO_TCP_)
        parse_tcp(f, &l4, claim);
    else if (f->proto == IPPROTO_UDP_)
        parse_udp(f, &l4);
    else if (f->proto == (v6 ? IPPROTO_ICMPV6_ : IPPROTO_ICMP_))
        parse_icmp(f, &l4, v6);
    else
        f->l4 = L4_OTHER;
}

/* The version nibble, which must be what the EtherType promised. */
static bool ip_version_is(struct frame *f, const struct rd *r, size_t off, uint8_t want)
{
    if (!rd_have(r, off, 1)) {
        f->err = PKT_E_TRUNC_L3;
        return false;
    }
    f->ip_ver = rd_u8(r, off) >> 4;
    if (f->ip_ver != want) {
        f->err = PKT_E_BAD_VERSION;
        return false;
    }
    return true;
}

/* The bytes of an IP packet of totlen at off that the capture holds: all of them, or what
 * is there, decoded but marked truncated. */
static size_t captured(struct frame *f, const struct rd *r, size_t off, size_t totlen)
{
    if (rd_have(r, off, totlen))
        return totlen;
    f->err = PKT_E_TRUNC_L3;
    return r->len - off;
}

static void parse_ip4(struct frame *f, const struct rd *r, size_t off)
{
    f->l3 = L3_IPV4;
    if (!ip_version_is(f, r, off, 4))
        return;
    RD_NEED(r, off, 20, trunc);
    size_t ihl = (size_t)(rd_u8(r, off) & 0x0f) * 4;
    size_t totlen = rd_be16(r, off + 2);
    uint16_t fo = rd_be16(r, off + 6);
    f->tos = rd_u8(r, off + 1);
    f->ip_totlen = (uint16_t)totlen;
    f->ip_id = rd_be16(r, off + 4);
    f->df = fo & 0x4000;
    f->mf = fo & 0x2000;
    f->frag_off = fo & 0x1fff;
    f->ttl = rd_u8(r, off + 8);
    f->proto = rd_u8(r, off + 9);
    f->saddr = rd_be32(r, off + 12);
    f->daddr = rd_be32(r, off + 16);
    f->ip_hlen = (uint16_t)ihl;
    if (ihl < 20) {
        f->err = PKT_E_BAD_IHL;
        return;
    }
    if (totlen < 20) {
        f->err = PKT_E_BAD_IPLEN;
        return;
    }
    if (ihl > totlen) {
        f->err = PKT_E_BAD_IHL;
        return;
    }
    size_t iplen = captured(f, r, off, totlen);
    if (ihl > iplen)
        goto trunc;                         /* IP options cut by the capture */
    f->l4_off = off + ihl;
    f->l4_len = iplen - ihl;
    if (f->mf || f->frag_off) {
        f->err = PKT_E_FRAGMENT;
        return;
    }
    parse_l4(f, r, totlen - ihl);
    return;
trunc:
    f->err = PKT_E_TRUNC_L3;
}

static bool ip6_ext(uint8_t nh)
{
    return nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_ROUTING_ || nh == IPPROTO_DSTOPTS_;
}

static void parse_ip6(struct frame *f, const struct rd *r, size_t off)
{
    f->l3 = L3_IPV6;
    if (!ip_version_is(f, r, off, 6))
        return;
    RD_NEED(r, off, 40, trunc);
    uint32_t w0 = rd_be32(r, off);
    size_t totlen = 40 + (size_t)rd_be16(r, off + 4);
    uint8_t nh = rd_u8(r, off + 6);
    f->tos = (uint8_t)(w0 >> 20);
    f->flowlabel = w0 & 0xfffff;
    f->ttl = rd_u8(r, off + 7);
    rd_copy(r, off + 8, f->saddr6, 16);
    rd_copy(r, off + 24, f->daddr6, 16);
    f->ip_totlen = sat16(totlen);
    f->proto = nh;
    f->ip_hlen = 40;
    size_t iplen = captured(f, r, off, totlen);
    struct rd ip = rd_sub(r, off, iplen);
    size_t h = 40;
    /* Each extension header is at least 8 bytes, so this ends within iplen / 8 steps. */
    while (ip6_ext(nh)) {
        RD_NEED(&ip, h, 2, trunc);
        size_t elen = ((size_t)rd_u8(&ip, h + 1) + 1) * 8;
        RD_NEED(&ip, h, elen, trunc);
        nh = rd_u8(&ip, h);
        h += elen;
        f->proto = nh;
        f->ip_hlen = sat16(h);
    }
    f->l4_off = off + h;
    f->l4_len = iplen - h;
    if (nh == IPPROTO_FRAG_) {
        RD_NEED(&ip, h, 8, trunc);
        uint16_t fo = rd_be16(&ip, h + 2);
        f->proto = rd_u8(&ip, h);           /* what the fragments carry */
        f->frag_off = fo >> 3;
        f->mf = fo & 1;
        f->ip_id = (uint16_t)rd_be32(&ip, h + 4);
        h += 8;
        f->ip_hlen = sat16(h);
        f->l4_off = off + h;
        f->l4_len = iplen - h;
        if (f->frag_off || f->mf) {
            f->err = PKT_E_FRAGMENT;
            return;
        }
        /* an atomic fragment (offset 0, no more) is a whole packet: RFC 6946 §4, and
         * Linux's ipv6_frag_rcv takes it so */
    }
    parse_l4(f, r, totlen - h);
    return;
trunc:
    f->err = PKT_E_TRUNC_L3;
}

static void parse_arp(struct frame *f, const struct rd *r, size_t off)
{
    f->l3 = L3_ARP;
    RD_NEED(r, off, 8, trunc);
    if (rd_be16(r, off) != 1 || rd_be16(r, off + 2) != ETHTYPE_IPV4 ||
        rd_u8(r, off + 4) != 6 || rd_u8(r, off + 5) != 4) {
        f->err = PKT_E_BAD_ARP;
        return;
    }
    f->arp_op = rd_be16(r, off + 6);
    RD_NEED(r, off, 28, trunc);
    rd_copy(r, off + 8, f->arp_sha, 6);
    f->arp_spa = rd_be32(r, off + 14);
    rd_copy(r, off + 18, f->arp_tha, 6);
    f->arp_tpa = rd_be32(r, off + 24);
    return;
trunc:
    f->err = PKT_E_TRUNC_L3;
}

static void frame_reset(struct frame *f, const uint8_t *data, size_t len)
{
    memset(f, 0, sizeof *f);
    f->data = data;
    f->len = data ? len : 0;
}

enum pkt_err pkt_parse(struct frame *f, const uint8_t *data, size_t len)
{
    frame_reset(f, data, len);
    struct rd r = { data, f->len };
    RD_NEED(&r, 0, ETH_HLEN_, trunc);
    rd_copy(&r, 0, f->eth_dst, 6);
    rd_copy(&r, 6, f->eth_src, 6);
    size_t off = ETH_HLEN_;
    uint16_t type = rd_be16(&r, 12);
    if (type == ETHTYPE_VLAN) {
        RD_NEED(&r, off, 4, trunc);
        f->vlan = rd_be16(&r, off) & 0x0fff;
        type = rd_be16(&r, off + 2);
        off += 4;
    }
    f->ethertype = type;
    f->l3_off = off;
    if (type == ETHTYPE_IPV4)
        parse_ip4(f, &r, off);
    else if (type == ETHTYPE_IPV6)
        parse_ip6(f, &r, off);
    else if (type == ETHTYPE_ARP)
        parse_arp(f, &r, off);
    else
        f->l3 = L3_OTHER;
    return f->err;
trunc:
    f->err = PKT_E_TRUNC_L2;
    return f->err;
}

enum pkt_err pkt_parse_ip(struct frame *f, const uint8_t *data, size_t len)
{
    frame_reset(f, data, len);
    struct rd r = { data, f->len };
    if (!rd_have(&r, 0, 1)) {
        f->err = PKT_E_TRUNC_L3;
        return f->err;
    }
    uint8_t ver = rd_u8(&r, 0) >> 4;
    if (ver == 4) {
        f->ethertype = ETHTYPE_IPV4;
        parse_ip4(f, &r, 0);
    } else if (ver == 6) {
        f->ethertype = ETHTYPE_IPV6;
        parse_ip6(f, &r, 0);
    } else {
        f->l3 = L3_OTHER;
        f->ip_ver = ver;
        f->err = PKT_E_BAD_VERSION;
    }
    return f->err;
}

const char *pkt_strerror(enum pkt_err e)
{
    switch (e) {
    case PKT_OK:            return "ok";
    case PKT_E_TRUNC_L2:    return "truncated Ethernet header";
    case PKT_E_TRUNC_L3:    return "truncated IP/ARP packet";
    case PKT_E_BAD_IHL:     return "bad IPv4 header length";
    case PKT_E_BAD_VERSION: return "IP version does not match the ethertype";
    case PKT_E_BAD_IPLEN:   return "IPv4 total length shorter than its header";
    case PKT_E_FRAGMENT:    return "IP fragment";
    case PKT_E_TRUNC_L4:    return "truncated TCP/UDP/ICMP header";
    case PKT_E_BAD_DOFF:    return "bad TCP data offset";
    case PKT_E_BAD_ARP:     return "ARP not Ethernet/IPv4";
    }
    return "unknown error";
}

/* tcpdump's letters in tcpdump's order (print-tcp.c tcp_flag_values): F S R P . U E W */
/* Every flag's letters: hping3's and nmap's (A for ACK, C for CWR) and tcpdump's (. and
 * W), in the order both print them. */
static const struct { uint8_t bit; char letter, tcpdump; } flag_tab[] = {
    { TH_FIN, 'F', 'F' }, { TH_SYN, 'S', 'S' }, { TH_RST, 'R', 'R' }, { TH_PSH, 'P', 'P' },
    { TH_ACK, 'A', '.' }, { TH_URG, 'U', 'U' }, { TH_ECE, 'E', 'E' }, { TH_CWR, 'C', 'W' },
};

static const char *flags_in(uint8_t flags, char *buf, bool tcpdump, const char *none)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof flag_tab / sizeof flag_tab[0]; i++)
        if (flags & flag_tab[i].bit)
            buf[n++] = tcpdump ? flag_tab[i].tcpdump : flag_tab[i].letter;
    if (n == 0)
        memcpy(buf, none, strlen(none) + 1);
    else
        buf[n] = '\0';
    return buf;
}

const char *tcp_flags_str(uint8_t flags, char *buf)
{
    return flags_in(flags, buf, true, "none");
}

const char *tcp_flags_letters(uint8_t flags, char *buf)
{
    return flags_in(flags, buf, false, "0");
}

int tcp_flag_of_letter(char c)
{
    for (size_t i = 0; i < sizeof flag_tab / sizeof flag_tab[0]; i++)
        if (c == flag_tab[i].letter || c == flag_tab[i].tcpdump)
            return flag_tab[i].bit;
    return -1;
}
