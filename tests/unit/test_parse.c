/* pkt_parse: every error code from a crafted frame, the layouts that must decode
 * (VLAN, IPv6 extension headers, Ethernet padding, GRO-sized frames), and 100k random
 * mutations of valid frames, each in an exact-size allocation so that ASan sees any
 * read past the capture. Frames here are written out by hand, not by the builders. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pkt.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
#define IP_A 0xc6120001u   /* 198.18.0.1 */
#define IP_B 0xc612000au   /* 198.18.0.10 */

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static size_t eth(uint8_t *b, uint16_t type)
{
    memcpy(b, MAC_B, 6);
    memcpy(b + 6, MAC_A, 6);
    w16(b + 12, type);
    return 14;
}

/* A TCP header with options; doff from the option length. */
static size_t tcp(uint8_t *t, uint8_t flags, const uint8_t *opt, size_t optlen)
{
    memset(t, 0, 20);
    w16(t, 40000);
    w16(t + 2, 80);
    w32(t + 4, 0x01020304);
    w32(t + 8, 0x05060708);
    t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    t[13] = flags;
    w16(t + 14, 64240);
    w16(t + 16, 0xbeef);                    /* deliberately wrong: never checked */
    if (optlen)
        memcpy(t + 20, opt, optlen);
    return 20 + optlen;
}

/* Ethernet + IPv4 (IHL 5, right total length) + an L4 blob. */
static size_t ip4(uint8_t *b, uint8_t proto, const uint8_t *l4, size_t l4len)
{
    size_t o = eth(b, ETHTYPE_IPV4);
    uint8_t *h = b + o;
    memset(h, 0, 20);
    h[0] = 0x45;
    h[1] = 0x10;
    w16(h + 2, (uint16_t)(20 + l4len));
    w16(h + 4, 0x1234);
    w16(h + 6, 0x4000);
    h[8] = 64;
    h[9] = proto;
    w32(h + 12, IP_A);
    w32(h + 16, IP_B);
    memcpy(h + 20, l4, l4len);
    return o + 20 + l4len;
}

/* Ethernet + IPv6 + extension bytes (already chained by the caller) + L4 */
static size_t ip6(uint8_t *b, uint8_t nh, const uint8_t *ext, size_t extlen, const uint8_t *l4, size_t l4len)
{
    size_t o = eth(b, ETHTYPE_IPV6);
    uint8_t *h = b + o;
    w32(h, 6u << 28 | 0xb8u << 20 | 0x12345);
    w16(h + 4, (uint16_t)(extlen + l4len));
    h[6] = nh;
    h[7] = 64;
    memset(h + 8, 0, 32);
    h[8] = 0x20; h[9] = 0x01; h[23] = 1;
    h[24] = 0x20; h[25] = 0x01; h[39] = 2;
    if (extlen)
        memcpy(h + 40, ext, extlen);
    if (l4len)
        memcpy(h + 40 + extlen, l4, l4len);
    return o + 40 + extlen + l4len;
}

static const uint8_t SYN_OPTS[20] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0, 0, 0, 1,
                                      0, 0, 0, 0, 0x01, 0x03, 0x03, 0x07 };

static size_t syn4(uint8_t *b)
{
    uint8_t t[60];
    size_t tl = tcp(t, TH_SYN, SYN_OPTS, sizeof SYN_OPTS);
    return ip4(b, 6, t, tl);
}

/* Parse a copy in an allocation of exactly len bytes. */
static enum pkt_err parse_exact(struct frame *f, const uint8_t *b, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    assert_non_null(c);
    memcpy(c, b, len);
    enum pkt_err e = pkt_parse(f, c, len);
    free(c);
    f->data = NULL;                         /* the copy is gone; pointers must not be used */
    f->payload = NULL;
    return e;
}

static void good_syn(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    assert_int_equal(pkt_parse(&f, b, n), PKT_OK);
    assert_memory_equal(f.eth_dst, MAC_B, 6);
    assert_memory_equal(f.eth_src, MAC_A, 6);
    assert_int_equal(f.ethertype, ETHTYPE_IPV4);
    assert_int_equal(f.vlan, 0);
    assert_int_equal(f.l3, L3_IPV4);
    assert_int_equal(f.l3_off, 14);
    assert_int_equal(f.ip_ver, 4);
    assert_int_equal(f.saddr, IP_A);
    assert_int_equal(f.daddr, IP_B);
    assert_int_equal(f.ttl, 64);
    assert_int_equal(f.tos, 0x10);
    assert_int_equal(f.proto, 6);
    assert_int_equal(f.ip_id, 0x1234);
    assert_true(f.df);
    assert_false(f.mf);
    assert_int_equal(f.ip_hlen, 20);
    assert_int_equal(f.ip_totlen, 60);
    assert_int_equal(f.l4, L4_TCP);
    assert_int_equal(f.l4_off, 34);
    assert_int_equal(f.l4_len, 40);
    assert_int_equal(f.sport, 40000);
    assert_int_equal(f.dport, 80);
    assert_int_equal(f.seq, 0x01020304);
    assert_int_equal(f.ack, 0x05060708);
    assert_int_equal(f.flags, TH_SYN);
    assert_int_equal(f.win, 64240);
    assert_int_equal(f.th_sum, 0xbeef);
    assert_int_equal(f.doff, 40);
    assert_true(f.opt.has_mss && f.opt.sack_ok && f.opt.has_ts && f.opt.has_ws);
    assert_int_equal(f.opt.mss, 1460);
    assert_int_equal(f.opt.wscale, 7);
    assert_int_equal(f.opt.tsval, 1);
    assert_int_equal(f.payload_len, 0);
    assert_ptr_equal(f.payload, b + n);
}

static void ethernet_padding_ignored(void **st)
{
    (void)st;
    uint8_t b[200], t[20];
    size_t n = ip4(b, 6, t, tcp(t, TH_RST | TH_ACK, NULL, 0));
    assert_int_equal(n, 54);
    memset(b + n, 0, 6);                    /* padded to the 60-byte minimum */
    struct frame f;
    assert_int_equal(parse_exact(&f, b, 60), PKT_OK);
    assert_int_equal(f.payload_len, 0);
    assert_int_equal(f.l4_len, 20);
    assert_int_equal(f.flags, TH_RST | TH_ACK);
    /* total length shorter than the capture, TCP carrying data: the tail is padding */
    uint8_t d[300];
    uint8_t seg[120];
    tcp(seg, TH_PSH | TH_ACK, NULL, 0);
    memset(seg + 20, 'x', 100);
    n = ip4(d, 6, seg, 120);
    w16(d + 14 + 2, 20 + 20 + 30);
    assert_int_equal(parse_exact(&f, d, n), PKT_OK);
    assert_int_equal(f.payload_len, 30);
}

static void trunc_l2(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    for (size_t len = 0; len < 14; len++)
        assert_int_equal(parse_exact(&f, b, len), PKT_E_TRUNC_L2);
    assert_int_equal(pkt_parse(&f, NULL, 100), PKT_E_TRUNC_L2);
    /* a VLAN tag cut short */
    uint8_t v[18];
    eth(v, ETHTYPE_VLAN);
    w16(v + 14, 100);
    w16(v + 16, ETHTYPE_IPV4);
    assert_int_equal(parse_exact(&f, v, 16), PKT_E_TRUNC_L2);
    assert_int_equal(parse_exact(&f, v, 18), PKT_E_TRUNC_L3);
    (void)n;
}

static void truncated_at_every_byte(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    for (size_t len = 14; len < n; len++) {
        enum pkt_err e = parse_exact(&f, b, len);
        if (len < 34)
            assert_int_equal(e, PKT_E_TRUNC_L3);     /* IPv4 header cut */
        else if (len < 34 + 40)
            assert_int_equal(e, PKT_E_TRUNC_L4);     /* TCP header or its options cut */
        if (len >= 34 + 20) {
            assert_int_equal(f.l4, L4_TCP);           /* the fixed header was there */
            assert_int_equal(f.seq, 0x01020304);
        } else {
            assert_int_equal(f.l4, L4_NONE);
        }
    }
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
}

static void total_length_larger(void **st)
{
    (void)st;
    /* the capture was cut (snaplen): say so, but decode the TCP header anyway */
    uint8_t b[300], seg[220];
    tcp(seg, TH_ACK, NULL, 0);
    memset(seg + 20, 'y', 200);
    ip4(b, 6, seg, 220);
    struct frame f;
    assert_int_equal(parse_exact(&f, b, 14 + 20 + 20 + 50), PKT_E_TRUNC_L3);
    assert_int_equal(f.l4, L4_TCP);
    assert_int_equal(f.ip_totlen, 240);
    assert_int_equal(f.l4_len, 70);
    assert_int_equal(f.payload_len, 50);
    assert_int_equal(f.ack, 0x05060708);
    /* a total length lying far past the frame */
    uint8_t c[100], t[20];
    size_t n = ip4(c, 6, t, tcp(t, TH_SYN, NULL, 0));
    w16(c + 16, 0xffff);
    assert_int_equal(parse_exact(&f, c, n), PKT_E_TRUNC_L3);
    assert_int_equal(f.payload_len, 0);
    /* ... and one that leaves the TCP header short of the capture */
    w16(c + 16, 20 + 30);
    assert_int_equal(parse_exact(&f, c, n - 10), PKT_E_TRUNC_L4);
}

static void total_length_smaller(void **st)
{
    (void)st;
    uint8_t b[100], t[20];
    size_t n = ip4(b, 6, t, tcp(t, TH_SYN, NULL, 0));
    struct frame f;
    w16(b + 16, 20 + 10);                   /* claims half a TCP header */
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L4);
    assert_int_equal(f.l4_len, 10);
    w16(b + 16, 19);                        /* shorter than the IPv4 header */
    assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_IPLEN);
    w16(b + 16, 0);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_IPLEN);
    w16(b + 16, 20);                        /* exactly the header: no L4 at all */
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L4);
    assert_int_equal(f.l4_len, 0);
}

static void bad_ihl(void **st)
{
    (void)st;
    uint8_t b[100], t[20];
    size_t n = ip4(b, 6, t, tcp(t, TH_SYN, NULL, 0));
    struct frame f;
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        b[14] = (uint8_t)(0x40 | ihl);
        assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_IHL);
        assert_int_equal(f.ip_hlen, ihl * 4);
        assert_int_equal(f.saddr, IP_A);     /* fields before the problem are kept */
    }
    b[14] = 0x4f;                           /* 60 bytes of header in a 40-byte packet */
    assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_IHL);
    /* IHL 15 within the total length but past the capture */
    w16(b + 16, 100);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L3);
    assert_int_equal(f.l4, L4_NONE);
    /* IHL 6: four bytes of IP options are skipped */
    uint8_t c[100];
    uint8_t l4[24] = { 1, 1, 1, 0 };       /* NOP NOP NOP EOL as IP options, then TCP */
    tcp(l4 + 4, TH_SYN, NULL, 0);
    n = ip4(c, 6, l4, 24);
    c[14] = 0x46;
    assert_int_equal(parse_exact(&f, c, n), PKT_OK);
    assert_int_equal(f.ip_hlen, 24);
    assert_int_equal(f.l4_off, 38);
    assert_int_equal(f.sport, 40000);
}

static void bad_version(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    b[14] = 0x65;
    assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_VERSION);
    assert_int_equal(f.l3, L3_IPV4);
    assert_int_equal(f.ip_ver, 6);
    uint8_t c[200], t[20];
    n = ip6(c, 6, NULL, 0, t, tcp(t, TH_SYN, NULL, 0));
    c[14] = 0x45;
    assert_int_equal(parse_exact(&f, c, n), PKT_E_BAD_VERSION);
    assert_int_equal(f.l3, L3_IPV6);
    /* pkt_parse_ip: a version that is neither */
    c[14] = 0x55;
    assert_int_equal(pkt_parse_ip(&f, c + 14, n - 14), PKT_E_BAD_VERSION);
    assert_int_equal(pkt_parse_ip(&f, c + 14, 0), PKT_E_TRUNC_L3);
}

static void fragments(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    w16(b + 20, 0x2000);                    /* MF */
    assert_int_equal(parse_exact(&f, b, n), PKT_E_FRAGMENT);
    assert_true(f.mf);
    assert_false(f.df);
    assert_int_equal(f.frag_off, 0);
    assert_int_equal(f.l4, L4_NONE);
    assert_int_equal(f.l4_off, 34);
    assert_int_equal(f.l4_len, 40);
    assert_int_equal(f.saddr, IP_A);
    assert_int_equal(f.proto, 6);
    w16(b + 20, 0x0000 | 185);              /* last fragment, offset 1480 */
    assert_int_equal(parse_exact(&f, b, n), PKT_E_FRAGMENT);
    assert_false(f.mf);
    assert_int_equal(f.frag_off, 185);
    w16(b + 20, 0x8000 | 0x4000);           /* the reserved bit is not a fragment */
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    /* IPv6 fragment header */
    uint8_t c[200], t[20];
    uint8_t fh[8] = { 6, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe };
    w16(fh + 2, (uint16_t)(100 << 3 | 1));
    n = ip6(c, 44, fh, 8, t, tcp(t, TH_SYN, NULL, 0));
    assert_int_equal(parse_exact(&f, c, n), PKT_E_FRAGMENT);
    assert_int_equal(f.l3, L3_IPV6);
    assert_int_equal(f.proto, 6);
    assert_int_equal(f.frag_off, 100);
    assert_true(f.mf);
    assert_int_equal(f.ip_id, 0xbabe);
    assert_int_equal(f.ip_hlen, 48);
    assert_int_equal(f.l4_off, 14 + 48);
    assert_int_equal(f.l4, L4_NONE);
    assert_int_equal(parse_exact(&f, c, 14 + 44), PKT_E_TRUNC_L3);
    /* an atomic fragment: offset 0, no MF, decoded as the whole packet it is (RFC 6946) */
    w16(fh + 2, 0);
    n = ip6(c, 44, fh, 8, t, tcp(t, TH_SYN, NULL, 0));
    assert_int_equal(parse_exact(&f, c, n), PKT_OK);
    assert_int_equal(f.l4, L4_TCP);
    assert_int_equal(f.flags, TH_SYN);
    assert_int_equal(f.ip_hlen, 48);
    assert_int_equal(f.ip_id, 0xbabe);
    assert_false(f.mf);
}

static void trunc_l4_udp_icmp(void **st)
{
    (void)st;
    uint8_t b[100];
    const uint8_t udp[12] = { 0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 'a', 'b', 'c', 'd' };
    size_t n = ip4(b, 17, udp, sizeof udp);
    struct frame f;
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l4, L4_UDP);
    assert_int_equal(f.sport, 12345);
    assert_int_equal(f.dport, 53);
    assert_int_equal(f.payload_len, 4);
    /* total length says 32, capture has 41: the L4 error is the one reported */
    assert_int_equal(parse_exact(&f, b, 34 + 7), PKT_E_TRUNC_L4);
    w16(b + 16, 20 + 7);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L4);
    assert_int_equal(f.l4, L4_NONE);

    const uint8_t echo[10] = { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 'p', 'q' };
    n = ip4(b, 1, echo, sizeof echo);
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l4, L4_ICMP);
    assert_int_equal(f.icmp_type, 8);
    assert_int_equal(f.icmp_id, 0x1234);
    assert_int_equal(f.icmp_seq, 7);
    assert_int_equal(f.payload_len, 2);
    w16(b + 16, 20 + 7);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L4);

    /* port unreachable: no identifier; the quoted packet is the payload */
    uint8_t unr[8 + 28] = { 3, 3 };
    n = ip4(b, 1, unr, sizeof unr);
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.icmp_type, 3);
    assert_int_equal(f.icmp_code, 3);
    assert_int_equal(f.icmp_id, 0);
    assert_int_equal(f.payload_len, 28);

    const uint8_t e6[8] = { 129, 0, 0, 0, 0, 9, 0, 1 };
    n = ip6(b, 58, NULL, 0, e6, 8);
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l4, L4_ICMP6);
    assert_int_equal(f.icmp_type, 129);
    assert_int_equal(f.icmp_id, 9);
    assert_int_equal(f.icmp_seq, 1);
    /* ICMP (v4) numbered 1 inside IPv6 is just another protocol */
    n = ip6(b, 1, NULL, 0, e6, 8);
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l4, L4_OTHER);
    n = ip4(b, 47, e6, 8);                  /* GRE */
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l4, L4_OTHER);
    assert_int_equal(f.l4_len, 8);
}

static void bad_doff(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    for (uint8_t d = 0; d < 5; d++) {
        b[34 + 12] = (uint8_t)(d << 4);
        assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_DOFF);
        assert_int_equal(f.l4, L4_TCP);
        assert_int_equal(f.doff, d * 4);
    }
    uint8_t c[100], t[20];
    n = ip4(c, 6, t, tcp(t, TH_SYN, NULL, 0));
    c[34 + 12] = 0xf0;                      /* 60 bytes in a 20-byte segment */
    assert_int_equal(parse_exact(&f, c, n), PKT_E_BAD_DOFF);
    assert_int_equal(f.doff, 60);
    /* within the IP payload per the header, but past the capture */
    w16(c + 16, 20 + 60);
    assert_int_equal(parse_exact(&f, c, n), PKT_E_TRUNC_L4);
    /* the reserved nibble is reported, not rejected */
    n = ip4(c, 6, t, tcp(t, TH_SYN, NULL, 0));
    c[34 + 12] = 0x5f;
    assert_int_equal(parse_exact(&f, c, n), PKT_OK);
    assert_int_equal(f.th_res, 0xf);
}

static void options_past_header(void **st)
{
    (void)st;
    uint8_t b[100], t[40];
    const uint8_t opt[4] = { 0x02, 0x08, 0x05, 0xb4 };   /* MSS claiming 8 bytes in 4 */
    size_t n = ip4(b, 6, t, tcp(t, TH_SYN, opt, sizeof opt));
    struct frame f;
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);     /* the frame is still a SYN */
    assert_true(f.opt.malformed);
    assert_false(f.opt.has_mss);
    assert_int_equal(f.flags, TH_SYN);
    const uint8_t opt2[8] = { 0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 0 };  /* TS running into data */
    uint8_t seg[40];
    tcp(seg, TH_ACK, opt2, 8);
    memset(seg + 28, 0x0a, 12);
    n = ip4(b, 6, seg, 40);
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_true(f.opt.malformed);
    assert_false(f.opt.has_ts);
    assert_int_equal(f.payload_len, 12);
}

static void arp(void **st)
{
    (void)st;
    uint8_t b[60];
    size_t o = eth(b, ETHTYPE_ARP);
    uint8_t *a = b + o;
    w16(a, 1);
    w16(a + 2, ETHTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    w16(a + 6, 1);
    memcpy(a + 8, MAC_A, 6);
    w32(a + 14, IP_A);
    memset(a + 18, 0, 6);
    w32(a + 24, IP_B);
    struct frame f;
    assert_int_equal(parse_exact(&f, b, 42), PKT_OK);
    assert_int_equal(f.l3, L3_ARP);
    assert_int_equal(f.arp_op, 1);
    assert_memory_equal(f.arp_sha, MAC_A, 6);
    assert_int_equal(f.arp_spa, IP_A);
    assert_int_equal(f.arp_tpa, IP_B);
    memset(b + 42, 0, 18);
    assert_int_equal(parse_exact(&f, b, 60), PKT_OK);    /* padded */
    for (size_t len = 14; len < 42; len++) {
        enum pkt_err e = parse_exact(&f, b, len);
        assert_int_equal(e, PKT_E_TRUNC_L3);
    }
    a[4] = 8;                               /* wrong hardware address length */
    assert_int_equal(parse_exact(&f, b, 42), PKT_E_BAD_ARP);
    assert_int_equal(f.l3, L3_ARP);
    a[4] = 6;
    a[5] = 16;
    assert_int_equal(parse_exact(&f, b, 42), PKT_E_BAD_ARP);
    a[5] = 4;
    w16(a + 2, ETHTYPE_IPV6);
    assert_int_equal(parse_exact(&f, b, 42), PKT_E_BAD_ARP);
    w16(a + 2, ETHTYPE_IPV4);
    w16(a, 6);                              /* IEEE 802 hardware */
    assert_int_equal(parse_exact(&f, b, 42), PKT_E_BAD_ARP);
}

static void vlan(void **st)
{
    (void)st;
    uint8_t plain[200], b[204];
    size_t n = syn4(plain);
    memcpy(b, plain, 12);
    w16(b + 12, ETHTYPE_VLAN);
    w16(b + 14, 0xe000 | 100);              /* priority 7, VID 100 */
    memcpy(b + 16, plain + 12, n - 12);
    struct frame f;
    assert_int_equal(parse_exact(&f, b, n + 4), PKT_OK);
    assert_int_equal(f.vlan, 100);
    assert_int_equal(f.ethertype, ETHTYPE_IPV4);
    assert_int_equal(f.l3_off, 18);
    assert_int_equal(f.l4_off, 38);
    assert_int_equal(f.l4, L4_TCP);
    assert_int_equal(f.opt.mss, 1460);
    /* a second tag is not followed */
    w16(b + 16, ETHTYPE_VLAN);
    assert_int_equal(parse_exact(&f, b, n + 4), PKT_OK);
    assert_int_equal(f.l3, L3_OTHER);
    assert_int_equal(f.ethertype, ETHTYPE_VLAN);
    w16(b + 16, 0x88cc);                    /* LLDP */
    assert_int_equal(parse_exact(&f, b, n + 4), PKT_OK);
    assert_int_equal(f.l3, L3_OTHER);
}

static void ipv6_ext_headers(void **st)
{
    (void)st;
    uint8_t b[300], t[60];
    size_t tl = tcp(t, TH_SYN, SYN_OPTS, sizeof SYN_OPTS);
    /* hop-by-hop (8) -> routing (24) -> destination options (16) -> TCP */
    uint8_t ext[48] = {0};
    ext[0] = 43; ext[1] = 0;
    ext[8] = 60; ext[9] = 2;
    ext[32] = 6; ext[33] = 1;
    size_t n = ip6(b, 0, ext, sizeof ext, t, tl);
    struct frame f;
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l3, L3_IPV6);
    assert_int_equal(f.ip_ver, 6);
    assert_int_equal(f.tos, 0xb8);
    assert_int_equal(f.flowlabel, 0x12345);
    assert_int_equal(f.ttl, 64);
    assert_int_equal(f.saddr6[0], 0x20);
    assert_int_equal(f.saddr6[15], 1);
    assert_int_equal(f.daddr6[15], 2);
    assert_int_equal(f.proto, 6);
    assert_int_equal(f.ip_hlen, 40 + 48);
    assert_int_equal(f.ip_totlen, 40 + 48 + 40);
    assert_int_equal(f.l4_off, 14 + 88);
    assert_int_equal(f.l4, L4_TCP);
    assert_int_equal(f.opt.mss, 1460);
    /* cut inside each extension header */
    for (size_t len = 14 + 40; len < 14 + 88; len++)
        assert_int_equal(parse_exact(&f, b, len), PKT_E_TRUNC_L3);
    /* an extension header claiming more than the payload length */
    ext[33] = 200;
    n = ip6(b, 0, ext, sizeof ext, t, tl);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L3);
    /* payload length larger than the capture: flagged, TCP still decoded */
    ext[33] = 1;
    n = ip6(b, 0, ext, sizeof ext, t, tl);
    w16(b + 18, 1000);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_TRUNC_L3);
    assert_int_equal(f.l4, L4_TCP);
    /* payload length shorter: what follows is padding */
    w16(b + 18, 48 + 20);
    assert_int_equal(parse_exact(&f, b, n), PKT_E_BAD_DOFF);
    /* no next header */
    n = ip6(b, 59, NULL, 0, NULL, 0);
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.l4, L4_OTHER);
    assert_int_equal(parse_exact(&f, b, n - 1), PKT_E_TRUNC_L3);
}

static void gro_frame(void **st)
{
    (void)st;
    /* a 5052-byte frame (TSO/GRO) with a partial checksum is ordinary traffic */
    size_t plen = 5000;
    uint8_t *seg = malloc(20 + 12 + plen), *b = malloc(14 + 20 + 32 + plen);
    assert_non_null(seg);
    assert_non_null(b);
    const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6 };
    tcp(seg, TH_PSH | TH_ACK, ts, 12);
    memset(seg + 32, 'z', plen);
    size_t n = ip4(b, 6, seg, 32 + plen);
    assert_int_equal(n, 5066);
    struct frame f;
    assert_int_equal(parse_exact(&f, b, n), PKT_OK);
    assert_int_equal(f.payload_len, 5000);
    assert_int_equal(f.opt.tsval, 5);
    free(seg);
    free(b);
}

static void parse_ip_bare(void **st)
{
    (void)st;
    uint8_t b[200];
    size_t n = syn4(b);
    struct frame f;
    uint8_t *c = malloc(n - 14);
    assert_non_null(c);
    memcpy(c, b + 14, n - 14);
    assert_int_equal(pkt_parse_ip(&f, c, n - 14), PKT_OK);
    assert_int_equal(f.l3, L3_IPV4);
    assert_int_equal(f.l3_off, 0);
    assert_int_equal(f.l4_off, 20);
    assert_int_equal(f.sport, 40000);
    /* an ICMP error quotes the IP header and 8 bytes of TCP: L3 is all there */
    assert_int_equal(pkt_parse_ip(&f, c, 28), PKT_E_TRUNC_L4);
    assert_int_equal(f.l4, L4_NONE);
    assert_int_equal(f.saddr, IP_A);
    assert_int_equal(f.l4_len, 8);
    free(c);
}

static void flags_str(void **st)
{
    (void)st;
    char buf[12];
    assert_string_equal(tcp_flags_str(TH_SYN, buf), "S");
    assert_string_equal(tcp_flags_str(TH_SYN | TH_ACK, buf), "S.");
    assert_string_equal(tcp_flags_str(TH_RST | TH_ACK, buf), "R.");
    assert_string_equal(tcp_flags_str(TH_RST, buf), "R");
    assert_string_equal(tcp_flags_str(TH_PSH | TH_ACK, buf), "P.");
    assert_string_equal(tcp_flags_str(TH_FIN | TH_PSH | TH_ACK, buf), "FP.");
    assert_string_equal(tcp_flags_str(TH_ACK, buf), ".");
    assert_string_equal(tcp_flags_str(0, buf), "none");
    /* tcpdump (print-tcp.c tcp_flag_values) puts '.' right after P, before U E W */
    assert_string_equal(tcp_flags_str(TH_SYN | TH_ACK | TH_ECE, buf), "S.E");
    assert_string_equal(tcp_flags_str(TH_SYN | TH_ECE | TH_CWR, buf), "SEW");
    assert_string_equal(tcp_flags_str(TH_URG | TH_ACK, buf), ".U");
    assert_string_equal(tcp_flags_str(0xff, buf), "FSRP.UEW");
}

static void strerror_all(void **st)
{
    (void)st;
    for (int e = PKT_OK; e <= PKT_E_BAD_ARP; e++) {
        const char *s = pkt_strerror((enum pkt_err)e);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_null(strchr(s, '\n'));
    }
}

/* ---- random mutations ---- */

static uint32_t rng = 0xdecafbadu;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void check_invariants(const struct frame *f, const uint8_t *data, size_t len)
{
    assert_true(f->err >= PKT_OK && f->err <= PKT_E_BAD_ARP);
    assert_ptr_equal(f->data, data);
    if (f->payload) {
        assert_true(f->payload >= data);
        assert_true(f->payload_len <= len);
        assert_true((size_t)(f->payload - data) <= len - f->payload_len);
    } else {
        assert_int_equal(f->payload_len, 0);
    }
    if (f->l4_off || f->l4_len) {
        assert_true(f->l4_off <= len);
        assert_true(f->l4_len <= len - f->l4_off);
    }
    if (f->l4 == L4_TCP && f->err == PKT_OK) {
        assert_true(f->doff >= 20);
        assert_true(f->l4_off + f->doff <= len);
    }
    assert_true(f->opt.nkinds <= TCPOPT_MAXLEN);
    assert_true(f->opt.nsack <= 4);
    char fl[12];
    assert_true(strlen(tcp_flags_str(f->flags, fl)) <= 8);
    assert_non_null(pkt_strerror(f->err));
}

static size_t seeds(uint8_t s[][300], size_t *lens)
{
    size_t k = 0;
    uint8_t t[80];
    lens[k] = syn4(s[k]); k++;
    const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6 };
    uint8_t seg[80];
    tcp(seg, TH_PSH | TH_ACK, ts, 12);
    memset(seg + 32, 'd', 40);
    lens[k] = ip4(s[k], 6, seg, 72); k++;
    const uint8_t sack[16] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 4, 2, 0, 0 };
    lens[k] = ip4(s[k], 6, t, tcp(t, TH_ACK, sack, 16)); k++;
    const uint8_t udp[12] = { 0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 'a', 'b', 'c', 'd' };
    lens[k] = ip4(s[k], 17, udp, 12); k++;
    const uint8_t echo[12] = { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 'p', 'q', 'r', 's' };
    lens[k] = ip4(s[k], 1, echo, 12); k++;
    uint8_t ext[48] = {0};
    ext[0] = 43; ext[8] = 60; ext[9] = 2; ext[32] = 6; ext[33] = 1;
    lens[k] = ip6(s[k], 0, ext, 48, t, tcp(t, TH_SYN, SYN_OPTS, 20)); k++;
    uint8_t fh[8] = { 6, 0, 0, 1, 0, 0, 0, 9 };
    lens[k] = ip6(s[k], 44, fh, 8, t, tcp(t, TH_SYN, NULL, 0)); k++;
    lens[k] = ip6(s[k], 58, NULL, 0, echo, 12); k++;
    size_t n = syn4(t);                     /* VLAN-tagged SYN */
    memcpy(s[k], t, 12);
    w16(s[k] + 12, ETHTYPE_VLAN);
    w16(s[k] + 14, 7);
    memcpy(s[k] + 16, t + 12, n - 12);
    lens[k] = n + 4; k++;
    uint8_t *a = s[k] + eth(s[k], ETHTYPE_ARP);
    w16(a, 1); w16(a + 2, ETHTYPE_IPV4); a[4] = 6; a[5] = 4; w16(a + 6, 2);
    memset(a + 8, 0x11, 20);
    lens[k] = 42; k++;
    return k;
}

static void random_mutations(void **st)
{
    (void)st;
    static uint8_t s[10][300];
    size_t lens[10];
    size_t ns = seeds(s, lens);
    static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x05, 0x06, 0x08, 0x0a, 0x0f,
                                           0x11, 0x2c, 0x3a, 0x40, 0x45, 0x4f, 0x60, 0x7f,
                                           0x80, 0xf0, 0xfe, 0xff };
    uint8_t buf[400];
    struct frame f;
    for (int iter = 0; iter < 100000; iter++) {
        size_t k = rnd() % ns, len = lens[k];
        memcpy(buf, s[k], len);
        int muts = 1 + (int)(rnd() % 6);
        for (int m = 0; m < muts; m++) {
            size_t at = len ? rnd() % len : 0;
            switch (rnd() % 6) {
            case 0: if (len) buf[at] = (uint8_t)rnd(); break;
            case 1: if (len) buf[at] = interesting[rnd() % sizeof interesting]; break;
            case 2: if (len) buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 3: len = rnd() % (len + 1); break;
            case 4: {
                size_t add = rnd() % 64;
                for (size_t i = 0; i < add && len < sizeof buf; i++)
                    buf[len++] = (uint8_t)rnd();
                break;
            }
            default:                        /* a length field (IPv4 total, IPv6 payload) */
                if (len >= 20) {
                    size_t fld = (buf[12] == 0x86) ? 18 : 16;
                    uint16_t v = (uint16_t)rnd();
                    buf[fld] = (uint8_t)(v >> 8);
                    buf[fld + 1] = (uint8_t)v;
                }
                break;
            }
        }
        uint8_t *c = malloc(len ? len : 1);
        assert_non_null(c);
        memcpy(c, buf, len);
        pkt_parse(&f, c, len);
        check_invariants(&f, c, len);
        if (len > 14) {
            pkt_parse_ip(&f, c + 14, len - 14);
            check_invariants(&f, c + 14, len - 14);
        }
        free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_syn),
        cmocka_unit_test(ethernet_padding_ignored),
        cmocka_unit_test(trunc_l2),
        cmocka_unit_test(truncated_at_every_byte),
        cmocka_unit_test(total_length_larger),
        cmocka_unit_test(total_length_smaller),
        cmocka_unit_test(bad_ihl),
        cmocka_unit_test(bad_version),
        cmocka_unit_test(fragments),
        cmocka_unit_test(trunc_l4_udp_icmp),
        cmocka_unit_test(bad_doff),
        cmocka_unit_test(options_past_header),
        cmocka_unit_test(arp),
        cmocka_unit_test(vlan),
        cmocka_unit_test(ipv6_ext_headers),
        cmocka_unit_test(gro_frame),
        cmocka_unit_test(parse_ip_bare),
        cmocka_unit_test(flags_str),
        cmocka_unit_test(strerror_all),
        cmocka_unit_test(random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
