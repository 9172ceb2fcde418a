/* Builders: the libnet template, frames built from it parsed back field by field with
 * checksums verified by an independent computation, deliberate lies (bad checksum,
 * forced data offset), capacity limits, and ARP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "build.h"
#include "pkt.h"

static const uint8_t MAC_S[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define IP_S 0xc612000au   /* 198.18.0.10 */
#define IP_C 0xc6120001u   /* 198.18.0.1 */

/* Linux 6.18 SYN-ACK options, from the lab: mss 1460,sackOK,TS,nop,wscale 10 */
static const uint8_t LINUX_SYNACK_OPTS[20] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
                                               0x9a, 0xbc, 0xde, 0xf0, 0x00, 0x01, 0x02, 0x03,
                                               0x01, 0x03, 0x03, 0x0a };

static struct tmpl_tcp4 T;

static int setup(void **st)
{
    (void)st;
    char err[256] = "";
    int rc = tmpl_tcp4_init(&T, MAC_S, MAC_C, err);
    if (rc != 0)
        fprintf(stderr, "tmpl_tcp4_init: %s\n", err);
    return rc;
}

/* One's-complement sum of bytes, written from scratch here; 0xffff means "verifies". */
static uint16_t ones_sum(const uint8_t *p, size_t len, uint32_t s)
{
    for (size_t i = 0; i < len; i++)
        s += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
    while (s > 0xffff)
        s = (s >> 16) + (s & 0xffff);
    return (uint16_t)s;
}

static bool ip4_sum_ok(const uint8_t *ip)
{
    return ones_sum(ip, (size_t)(ip[0] & 0x0f) * 4, 0) == 0xffff;
}

static bool tcp4_sum_ok(const uint8_t *ip, size_t l4len)
{
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    ph[10] = (uint8_t)(l4len >> 8);
    ph[11] = (uint8_t)l4len;
    uint32_t s = ones_sum(ph, 12, 0);
    return ones_sum(ip + (ip[0] & 0x0f) * 4, l4len, s) == 0xffff;
}

static void ip_default(struct ip4_spec *ip)
{
    memset(ip, 0, sizeof *ip);
    ip->saddr = IP_S;
    ip->daddr = IP_C;
    ip->ttl = 64;
    ip->df = true;
}

static void template_layout(void **st)
{
    (void)st;
    /* what libnet laid out: our MACs, IPv4, 0x45, TTL 64, TCP, a 5-word TCP header */
    assert_memory_equal(T.bytes, MAC_C, 6);
    assert_memory_equal(T.bytes + 6, MAC_S, 6);
    assert_int_equal(T.bytes[12], 0x08);
    assert_int_equal(T.bytes[13], 0x00);
    assert_int_equal(T.bytes[14], 0x45);
    assert_int_equal(T.bytes[14 + 8], 64);
    assert_int_equal(T.bytes[14 + 9], 6);
    assert_int_equal(T.bytes[34 + 12] >> 4, 5);
}

static void syn(void **st)
{
    (void)st;
    struct optitem it[5];
    memset(it, 0, sizeof it);
    it[0].kind = OI_MSS; it[0].mss = 1460;
    it[1].kind = OI_SACKOK;
    it[2].kind = OI_TS; it[2].tsval = 12345;
    it[3].kind = OI_NOP;
    it[4].kind = OI_WS; it[4].ws = 7;
    uint8_t opts[TCPOPT_MAXLEN];
    int olen = tcpopt_encode(opts, it, 5);
    assert_int_equal(olen, 20);
    struct ip4_spec ip;
    ip_default(&ip);
    ip.id = 0x4242;
    struct tcp_spec t = { .sport = 43210, .dport = 80, .seq = 0xfffffff0u, .flags = TH_SYN,
                          .win = 64240, .opts = opts, .optlen = (size_t)olen };
    uint8_t buf[FRAME_MAX];
    size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_C, MAC_S, &ip, &t, NULL, 0);
    assert_int_equal(n, 74);
    assert_true(ip4_sum_ok(buf + 14));
    assert_true(tcp4_sum_ok(buf + 14, 40));
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_memory_equal(f.eth_src, MAC_C, 6);      /* MACs patched, not the template's */
    assert_memory_equal(f.eth_dst, MAC_S, 6);
    assert_int_equal(f.saddr, IP_S);
    assert_int_equal(f.daddr, IP_C);
    assert_int_equal(f.ip_id, 0x4242);
    assert_true(f.df);
    assert_int_equal(f.ttl, 64);
    assert_int_equal(f.ip_totlen, 60);
    assert_int_equal(f.sport, 43210);
    assert_int_equal(f.dport, 80);
    assert_int_equal(f.seq, 0xfffffff0u);
    assert_int_equal(f.ack, 0);
    assert_int_equal(f.flags, TH_SYN);
    assert_int_equal(f.win, 64240);
    assert_int_equal(f.doff, 40);
    assert_true(f.opt.has_mss && f.opt.sack_ok && f.opt.has_ts && f.opt.has_ws);
    assert_int_equal(f.opt.mss, 1460);
    assert_int_equal(f.opt.wscale, 7);
    assert_int_equal(f.opt.tsval, 12345);
    const uint8_t kinds[] = { 2, 4, 8, 1, 3 };
    assert_int_equal(f.opt.nkinds, 5);
    assert_memory_equal(f.opt.kinds, kinds, 5);
}

static void synack_linux_layout(void **st)
{
    (void)st;
    struct ip4_spec ip;
    ip_default(&ip);                        /* IP ID 0, DF, TTL 64 */
    struct tcp_spec t = { .sport = 80, .dport = 43210, .seq = 0x11111111, .ack = 0xfffffff1u,
                          .flags = TH_SYN | TH_ACK, .win = 65160,
                          .opts = LINUX_SYNACK_OPTS, .optlen = 20 };
    uint8_t buf[128];
    size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, NULL, 0);
    assert_int_equal(n, 74);
    assert_memory_equal(buf + 54, LINUX_SYNACK_OPTS, 20);
    assert_int_equal(buf[14 + 6], 0x40);   /* DF, offset 0 */
    assert_int_equal(buf[14 + 7], 0x00);
    assert_int_equal(buf[14 + 4] | buf[14 + 5], 0);
    assert_int_equal(buf[34 + 12], 0xa0);
    assert_true(ip4_sum_ok(buf + 14));
    assert_true(tcp4_sum_ok(buf + 14, 40));
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_int_equal(f.flags, TH_SYN | TH_ACK);
    assert_int_equal(f.win, 65160);
    assert_int_equal(f.ack, 0xfffffff1u);
    assert_int_equal(f.opt.mss, 1460);
    assert_int_equal(f.opt.wscale, 10);
    assert_int_equal(f.opt.tsval, 0x9abcdef0u);
    assert_int_equal(f.opt.tsecr, 0x00010203u);
    char fl[12];
    assert_string_equal(tcp_flags_str(f.flags, fl), "S.");
}

static void rst_closed_port(void **st)
{
    (void)st;
    struct ip4_spec ip;
    ip_default(&ip);
    struct tcp_spec t = { .sport = 81, .dport = 43210, .seq = 0, .ack = 0x22222223,
                          .flags = TH_RST | TH_ACK, .win = 0 };
    uint8_t buf[54];
    size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, NULL, 0);
    assert_int_equal(n, 54);                /* exactly fits */
    assert_int_equal(buf[34 + 12], 0x50);
    assert_true(ip4_sum_ok(buf + 14));
    assert_true(tcp4_sum_ok(buf + 14, 20));
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_int_equal(f.flags, TH_RST | TH_ACK);
    assert_int_equal(f.seq, 0);
    assert_int_equal(f.ack, 0x22222223);
    assert_int_equal(f.win, 0);
    assert_int_equal(f.doff, 20);
    assert_int_equal(f.opt.nkinds, 0);
    assert_int_equal(f.ip_totlen, 40);
    assert_int_equal(tmpl_tcp4_build(&T, buf, 53, MAC_S, MAC_C, &ip, &t, NULL, 0), 0);
}

static void data_with_payload(void **st)
{
    (void)st;
    const uint8_t nnts[12] = { 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9 };
    uint8_t data[1001];                     /* odd length: the checksum pads the last byte */
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    struct ip4_spec ip;
    ip_default(&ip);
    ip.id = 7;
    ip.tos = 0x10;
    struct tcp_spec t = { .sport = 80, .dport = 43210, .seq = 1000, .ack = 2000,
                          .flags = TH_PSH | TH_ACK, .win = 502, .opts = nnts, .optlen = 12 };
    static uint8_t buf[FRAME_MAX];
    size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, data, sizeof data);
    assert_int_equal(n, 14 + 20 + 32 + 1001);
    assert_true(ip4_sum_ok(buf + 14));
    assert_true(tcp4_sum_ok(buf + 14, 32 + 1001));
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_int_equal(f.tos, 0x10);
    assert_int_equal(f.payload_len, sizeof data);
    assert_memory_equal(f.payload, data, sizeof data);
    assert_true(f.opt.has_ts);
    assert_int_equal(f.opt.tsval, 7);
    assert_int_equal(f.opt.tsecr, 9);
    char fl[12];
    assert_string_equal(tcp_flags_str(f.flags, fl), "P.");
    /* a jumbo frame fits FRAME_MAX; one byte more does not */
    static uint8_t big[FRAME_MAX];
    size_t plen = FRAME_MAX - 14 - 20 - 32;
    n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, big, plen);
    assert_int_equal(n, FRAME_MAX);
    assert_true(tcp4_sum_ok(buf + 14, 32 + plen));
    assert_int_equal(tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, big, plen + 1), 0);
}

static void badsum(void **st)
{
    (void)st;
    struct ip4_spec ip;
    ip_default(&ip);
    uint8_t good[128], bad[128];
    for (uint32_t s = 0; s < 2000; s++) {
        struct tcp_spec t = { .sport = (uint16_t)s, .dport = 80, .seq = s * 2654435761u,
                              .flags = TH_SYN, .win = (uint16_t)(s * 31) };
        size_t n1 = tmpl_tcp4_build(&T, good, sizeof good, MAC_S, MAC_C, &ip, &t, NULL, 0);
        t.badsum = true;
        size_t n2 = tmpl_tcp4_build(&T, bad, sizeof bad, MAC_S, MAC_C, &ip, &t, NULL, 0);
        assert_int_equal(n1, n2);
        assert_true(tcp4_sum_ok(good + 14, 20));
        assert_false(tcp4_sum_ok(bad + 14, 20));
        assert_true(ip4_sum_ok(bad + 14));  /* only the TCP checksum lies */
        assert_memory_equal(good, bad, 34 + 16);
        assert_int_not_equal(good[50] << 8 | good[51], bad[50] << 8 | bad[51]);
    }
}

static void forced_doff_and_reserved(void **st)
{
    (void)st;
    struct ip4_spec ip;
    ip_default(&ip);
    uint8_t buf[128];
    struct frame f;
    struct tcp_spec t = { .sport = 1, .dport = 2, .flags = TH_SYN, .doff = 15, .res = 0x9 };
    size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, NULL, 0);
    assert_int_equal(n, 54);
    assert_int_equal(buf[34 + 12], 0xf9);
    assert_true(tcp4_sum_ok(buf + 14, 20));
    assert_int_equal(pkt_parse(&f, buf, n), PKT_E_BAD_DOFF);
    assert_int_equal(f.th_res, 0x9);
    t.doff = 4;
    n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, NULL, 0);
    assert_int_equal(pkt_parse(&f, buf, n), PKT_E_BAD_DOFF);
    assert_int_equal(f.doff, 16);
    /* options shorter than the data offset: the receiver reads payload as options */
    const uint8_t pl[8] = { 1, 1, 1, 1, 'a', 'b', 'c', 'd' };
    t.doff = 6;
    t.res = 0;
    n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, pl, sizeof pl);
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_int_equal(f.doff, 24);
    assert_int_equal(f.opt.nkinds, 4);
    assert_int_equal(f.payload_len, 4);
    assert_true(tcp4_sum_ok(buf + 14, 28));
    /* options longer than TCP allows cannot be expressed */
    uint8_t opts[44] = {0};
    t.doff = 0;
    t.opts = opts;
    t.optlen = 44;
    assert_int_equal(tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, NULL, 0), 0);
}

static void fragment_fields(void **st)
{
    (void)st;
    struct ip4_spec ip;
    ip_default(&ip);
    ip.df = false;
    ip.mf = true;
    ip.frag_off = 0x1abc;
    ip.ttl = 1;
    struct tcp_spec t = { .sport = 1, .dport = 2, .flags = TH_ACK };
    uint8_t buf[128];
    size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, MAC_S, MAC_C, &ip, &t, NULL, 0);
    assert_true(ip4_sum_ok(buf + 14));
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_E_FRAGMENT);
    assert_true(f.mf);
    assert_false(f.df);
    assert_int_equal(f.frag_off, 0x1abc);
    assert_int_equal(f.ttl, 1);
}

static uint32_t rng = 2024;
static uint32_t R(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Random specs: every field survives build -> parse, and both checksums verify. */
static void random_round_trips(void **st)
{
    (void)st;
    static uint8_t buf[2048];
    uint8_t payload[600], opts[TCPOPT_MAXLEN];
    for (int iter = 0; iter < 5000; iter++) {
        struct ip4_spec ip = { .saddr = R(), .daddr = R(), .ttl = (uint8_t)R(), .tos = (uint8_t)R(),
                               .id = (uint16_t)R(), .df = R() & 1 };
        size_t optlen = 4 * (R() % 11);
        for (size_t i = 0; i < optlen; i++)
            opts[i] = TCPOPT_NOP;
        size_t plen = R() % sizeof payload;
        for (size_t i = 0; i < plen; i++)
            payload[i] = (uint8_t)R();
        struct tcp_spec t = { .sport = (uint16_t)R(), .dport = (uint16_t)R(), .seq = R(), .ack = R(),
                              .flags = (uint8_t)R(), .res = (uint8_t)R(), .win = (uint16_t)R(),
                              .urp = (uint16_t)R(), .opts = opts, .optlen = optlen };
        uint8_t mac1[6], mac2[6];
        for (int i = 0; i < 6; i++) {
            mac1[i] = (uint8_t)R();
            mac2[i] = (uint8_t)R();
        }
        size_t n = tmpl_tcp4_build(&T, buf, sizeof buf, mac1, mac2, &ip, &t, payload, plen);
        assert_int_equal(n, 54 + optlen + plen);
        assert_true(ip4_sum_ok(buf + 14));
        assert_true(tcp4_sum_ok(buf + 14, 20 + optlen + plen));
        struct frame f;
        assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
        assert_memory_equal(f.eth_src, mac1, 6);
        assert_memory_equal(f.eth_dst, mac2, 6);
        assert_int_equal(f.saddr, ip.saddr);
        assert_int_equal(f.daddr, ip.daddr);
        assert_int_equal(f.ttl, ip.ttl);
        assert_int_equal(f.tos, ip.tos);
        assert_int_equal(f.ip_id, ip.id);
        assert_int_equal(f.df, ip.df);
        assert_int_equal(f.sport, t.sport);
        assert_int_equal(f.dport, t.dport);
        assert_int_equal(f.seq, t.seq);
        assert_int_equal(f.ack, t.ack);
        assert_int_equal(f.flags, t.flags);
        assert_int_equal(f.th_res, t.res & 0x0f);
        assert_int_equal(f.win, t.win);
        assert_int_equal(f.urp, t.urp);
        assert_int_equal(f.doff, 20 + optlen);
        assert_int_equal(f.opt.nkinds, optlen);
        assert_int_equal(f.payload_len, plen);
        if (plen)
            assert_memory_equal(f.payload, payload, plen);
    }
}

static void arp_frames(void **st)
{
    (void)st;
    uint8_t buf[64];
    const uint8_t zero[6] = {0};
    size_t n = build_arp(buf, sizeof buf, BCAST, 1, MAC_S, IP_S, zero, IP_C);
    assert_int_equal(n, 42);
    const uint8_t hdr[8] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };
    assert_memory_equal(buf + 14, hdr, 8);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_int_equal(f.l3, L3_ARP);
    assert_int_equal(f.ethertype, ETHTYPE_ARP);
    assert_memory_equal(f.eth_dst, BCAST, 6);
    assert_memory_equal(f.eth_src, MAC_S, 6);
    assert_int_equal(f.arp_op, 1);
    assert_memory_equal(f.arp_sha, MAC_S, 6);
    assert_int_equal(f.arp_spa, IP_S);
    assert_memory_equal(f.arp_tha, zero, 6);
    assert_int_equal(f.arp_tpa, IP_C);
    n = build_arp(buf, 42, MAC_C, 2, MAC_S, IP_S, MAC_C, IP_C);
    assert_int_equal(n, 42);
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    assert_int_equal(f.arp_op, 2);
    assert_memory_equal(f.eth_dst, MAC_C, 6);
    assert_memory_equal(f.arp_tha, MAC_C, 6);
    assert_int_equal(build_arp(buf, 41, MAC_C, 2, MAC_S, IP_S, MAC_C, IP_C), 0);
}

static void template_other_macs(void **st)
{
    (void)st;
    /* a second template with other MACs: the frames it builds are the same bytes */
    struct tmpl_tcp4 t2;
    char err[256];
    assert_int_equal(tmpl_tcp4_init(&t2, MAC_C, BCAST, err), 0);
    struct ip4_spec ip;
    ip_default(&ip);
    struct tcp_spec t = { .sport = 5, .dport = 6, .flags = TH_FIN | TH_ACK, .seq = 9 };
    uint8_t a[64], b[64];
    size_t na = tmpl_tcp4_build(&T, a, sizeof a, MAC_S, MAC_C, &ip, &t, NULL, 0);
    size_t nb = tmpl_tcp4_build(&t2, b, sizeof b, MAC_S, MAC_C, &ip, &t, NULL, 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_layout),
        cmocka_unit_test(syn),
        cmocka_unit_test(synack_linux_layout),
        cmocka_unit_test(rst_closed_port),
        cmocka_unit_test(data_with_payload),
        cmocka_unit_test(badsum),
        cmocka_unit_test(forced_doff_and_reserved),
        cmocka_unit_test(fragment_fields),
        cmocka_unit_test(random_round_trips),
        cmocka_unit_test(arp_frames),
        cmocka_unit_test(template_other_macs),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
