/* ICMP answers byte by byte: port unreachable quoting the probe as each OS does (nmap's
 * U1 test fields), echo replies (IE), checksums, and the datagrams never answered. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "icmp_answer.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
#define OUR 0xc6120001u    /* 198.18.0.1 */
#define PEER 0xc6120002u   /* 198.18.0.2 */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* an independent RFC 1071 sum: 0 over a region whose checksum is right */
static uint16_t sum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

struct probe {
    uint8_t b[1600];
    struct frame f;
};

static void ip_hdr(uint8_t *ip, uint16_t len, uint16_t id, uint8_t ttl, uint8_t proto, uint8_t tos, bool df)
{
    ip[0] = 0x45; ip[1] = tos; ip[2] = (uint8_t)(len >> 8); ip[3] = (uint8_t)len;
    ip[4] = (uint8_t)(id >> 8); ip[5] = (uint8_t)id; ip[6] = df ? 0x40 : 0; ip[8] = ttl; ip[9] = proto;
    const uint32_t s = PEER, d = OUR;
    ip[12] = s >> 24; ip[13] = s >> 16 & 0xff; ip[14] = s >> 8 & 0xff; ip[15] = s & 0xff;
    ip[16] = d >> 24; ip[17] = d >> 16 & 0xff; ip[18] = d >> 8 & 0xff; ip[19] = d & 0xff;
    uint16_t c = sum(ip, 20);
    ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
}

static void frame_common(struct probe *p, size_t len, uint8_t proto, uint8_t ttl, uint8_t tos, bool df)
{
    memcpy(p->b, our_mac, 6);
    memcpy(p->b + 6, peer_mac, 6);
    p->b[12] = 0x08;
    struct frame *f = &p->f;
    memset(f, 0, sizeof *f);
    f->data = p->b; f->len = len; f->l3 = L3_IPV4; f->l3_off = 14; f->ip_ver = 4;
    memcpy(f->eth_dst, our_mac, 6); memcpy(f->eth_src, peer_mac, 6);
    f->ethertype = ETHTYPE_IPV4; f->saddr = PEER; f->daddr = OUR; f->ttl = ttl; f->tos = tos;
    f->proto = proto; f->df = df; f->ip_hlen = 20; f->ip_totlen = (uint16_t)(len - 14);
    f->l4_off = 34; f->l4_len = len - 34;
}

/* nmap's U1 probe: 300 bytes of 'C' to a closed port, IP ID 0x1042 */
static void udp_probe(struct probe *p)
{
    memset(p, 0, sizeof *p);
    uint8_t *ip = p->b + 14, *udp = ip + 20;
    ip_hdr(ip, 328, 0x1042, 51, 17, 0x04, false);
    udp[0] = 0xa4; udp[1] = 0x10; udp[2] = 0; udp[3] = 81; udp[4] = 308 >> 8; udp[5] = 308 & 0xff;
    udp[6] = 0xbe; udp[7] = 0xef;
    memset(udp + 8, 'C', 300);
    frame_common(p, 14 + 328, 17, 51, 0x04, false);
    p->f.l4 = L4_UDP; p->f.sport = 0xa410; p->f.dport = 81; p->f.ip_id = 0x1042;
    p->f.payload = udp + 8; p->f.payload_len = 300;
}

static void echo_probe(struct probe *p, uint8_t code, bool df, uint8_t tos, size_t dlen)
{
    memset(p, 0, sizeof *p);
    uint8_t *ip = p->b + 14, *ic = ip + 20;
    ip_hdr(ip, (uint16_t)(28 + dlen), 0x3333, 60, 1, tos, df);
    ic[0] = 8; ic[1] = code; ic[4] = 0x12; ic[5] = 0x34; ic[6] = 0x01; ic[7] = 0x27;
    for (size_t i = 0; i < dlen; i++)
        ic[8 + i] = (uint8_t)i;
    uint16_t c = sum(ic, 8 + dlen);
    ic[2] = (uint8_t)(c >> 8); ic[3] = (uint8_t)c;
    frame_common(p, 14 + 28 + dlen, 1, 60, tos, df);
    p->f.l4 = L4_ICMP; p->f.icmp_type = 8; p->f.icmp_code = code; p->f.icmp_id = 0x1234; p->f.icmp_seq = 0x127;
    p->f.payload = ic + 8; p->f.payload_len = dlen;
}

static struct u1_answer linux_u1(void)
{
    struct profile pr = { .ttl = 64, .df = true, .mss = 1460, .synack_win = 65160 };
    struct profile_answers a;
    profile_answers_default(&pr, &a);
    return a.u1;
}

static uint8_t out[FRAME_MAX];

static void check_outer(size_t n, uint16_t iplen, uint16_t id, uint8_t ttl, bool df)
{
    assert_int_equal(n, 14 + (size_t)iplen);
    assert_memory_equal(out, peer_mac, 6);
    assert_memory_equal(out + 6, our_mac, 6);
    assert_int_equal(be16(out + 12), 0x0800);
    const uint8_t *ip = out + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(be16(ip + 2), iplen);
    assert_int_equal(be16(ip + 4), id);
    assert_int_equal(be16(ip + 6), df ? 0x4000 : 0);
    assert_int_equal(ip[8], ttl);
    assert_int_equal(ip[9], 1);
    assert_int_equal(be16(ip + 12), OUR >> 16);
    assert_int_equal(be16(ip + 16), PEER >> 16);
    assert_int_equal(sum(ip, 20), 0);                       /* IP checksum right */
    assert_int_equal(sum(ip + 20, iplen - 20), 0);          /* ICMP checksum right */
}

static void test_unreach_linux(void **state)
{
    (void)state;
    static struct probe p;
    udp_probe(&p);
    struct u1_answer u = linux_u1();
    size_t n = icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 0x0777);
    check_outer(n, 20 + 8 + 328, 0x0777, 64, false);
    const uint8_t *ip = out + 14, *ic = ip + 20;
    assert_int_equal(ip[1], 0xc0 | 0x04);                   /* precedence 6 + probe TOS bits */
    assert_int_equal(ic[0], 3);
    assert_int_equal(ic[1], 3);
    assert_int_equal(be16(ic + 4), 0);
    assert_int_equal(be16(ic + 6), 0);
    assert_memory_equal(ic + 8, p.b + 14, 328);             /* the probe, untouched */
}

static void test_unreach_quirks(void **state)
{
    (void)state;
    static struct probe p;
    udp_probe(&p);
    /* an old BSD: 8 bytes past the header, ID and length byte-swapped, length + 20,
     * checksum zeroed, UDP checksum 0, and our own length written byte-swapped */
    struct u1_answer u = { .respond = true, .df = true, .ttl = 255, .quote_max = 28,
                           .ripl = QR_SWAP_DELTA, .ripl_arg = 20, .rid = QR_SWAP,
                           .ripck = QCK_ZERO, .ruck = QR_CONST, .ruck_arg = 0, .un = 0x128,
                           .ipl_swap = true };
    size_t n = icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 7);
    assert_int_equal(n, 14 + 56);
    const uint8_t *ip = out + 14, *ic = ip + 20, *q = ic + 8;
    assert_int_equal(be16(ip + 2), 0x3800);                 /* 56, swapped */
    assert_int_equal(sum(ip, 20), 0);
    assert_int_equal(sum(ic, 36), 0);
    assert_int_equal(be16(ic + 4), 0);
    assert_int_equal(be16(ic + 6), 0x128);
    assert_int_equal(be16(q + 2), 0x5c01);                  /* 348 swapped */
    assert_int_equal(be16(q + 4), 0x4210);
    assert_int_equal(be16(q + 10), 0);
    assert_int_equal(be16(q + 26), 0);
    assert_int_equal(q[8], 51);

    /* a full quote with a broken checksum, changed data, padding to 576, 2 hops */
    struct u1_answer v = { .respond = true, .ttl = 128, .quote_max = 548, .pad_to = 576,
                           .ripck = QCK_BAD, .rud_bad = true, .rid = QR_CONST, .rid_arg = 0xd8d0,
                           .hops = 1 };
    n = icmp_port_unreach(out, sizeof out, our_mac, &p.f, &v, 8);
    check_outer(n, 576, 8, 128, false);
    q = out + 14 + 28;
    assert_int_equal(be16(q + 2), 328);
    assert_int_equal(be16(q + 4), 0xd8d0);
    assert_int_equal(q[8], 50);                             /* TTL one hop further */
    assert_int_not_equal(sum(q, 20), 0);                    /* quoted checksum wrong */
    assert_int_not_equal(be16(q + 10), 0);
    assert_int_equal(q[28], 'C' ^ 0xff);
    assert_int_equal(q[29], 'C');
    for (size_t i = 328; i < 576 - 28; i++)
        assert_int_equal(q[i], 0);

    /* the checksum recomputed after a change (RIPCK=G with RID changed) */
    struct u1_answer w = { .respond = true, .ttl = 64, .quote_max = 548, .rid = QR_CONST, .rid_arg = 1 };
    n = icmp_port_unreach(out, sizeof out, our_mac, &p.f, &w, 9);
    assert_int_equal(sum(out + 14 + 28, 20), 0);
}

static void test_unreach_refused(void **state)
{
    (void)state;
    static struct probe p;
    struct u1_answer u = linux_u1();
    udp_probe(&p);
    u.respond = false;
    assert_int_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
    u = linux_u1();
    assert_int_equal(icmp_port_unreach(out, 100, our_mac, &p.f, &u, 1), 0);   /* cap */
    p.f.saddr = 0xffffffffu;
    assert_int_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
    udp_probe(&p);
    p.f.saddr = 0xe0000001u;                                /* multicast source */
    assert_int_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
    udp_probe(&p);
    p.f.eth_dst[0] = 0xff;                                  /* link-layer broadcast */
    assert_int_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
    udp_probe(&p);
    p.f.frag_off = 10;                                      /* a later fragment */
    p.f.err = PKT_E_FRAGMENT;
    assert_int_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
    udp_probe(&p);
    p.f.daddr = 0xc61200ffu;
    p.f.daddr = 0xffffffffu;                                /* IP broadcast */
    assert_int_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
    udp_probe(&p);
    assert_int_not_equal(icmp_port_unreach(out, sizeof out, our_mac, &p.f, &u, 1), 0);
}

static void test_echo_reply(void **state)
{
    (void)state;
    static struct probe p;
    echo_probe(&p, 9, true, 0, 120);
    struct ie_answer linux_ie = { .respond = true, .dfi = DFI_N, .ttl = 64, .cd = CD_SAME };
    size_t n = icmp_echo_reply(out, sizeof out, our_mac, &p.f, &linux_ie, 0x4242);
    check_outer(n, 20 + 8 + 120, 0x4242, 64, false);
    const uint8_t *ic = out + 14 + 20;
    assert_int_equal(ic[0], 0);
    assert_int_equal(ic[1], 9);
    assert_memory_equal(ic + 4, p.b + 14 + 20 + 4, 4 + 120);   /* id, seq, data */

    /* Windows: code 0, no DF; FreeBSD: DF as asked (S) */
    struct ie_answer win = { .respond = true, .dfi = DFI_N, .ttl = 128, .cd = CD_ZERO };
    n = icmp_echo_reply(out, sizeof out, our_mac, &p.f, &win, 1);
    check_outer(n, 148, 1, 128, false);
    assert_int_equal(out[14 + 21], 0);
    struct ie_answer bsd = { .respond = true, .dfi = DFI_S, .ttl = 64, .cd = CD_SAME };
    n = icmp_echo_reply(out, sizeof out, our_mac, &p.f, &bsd, 2);
    check_outer(n, 148, 2, 64, true);
    echo_probe(&p, 0, false, 4, 150);
    n = icmp_echo_reply(out, sizeof out, our_mac, &p.f, &bsd, 3);
    check_outer(n, 178, 3, 64, false);
    assert_int_equal(out[14 + 1], 4);                        /* TOS copied */
    struct ie_answer odd = { .respond = true, .dfi = DFI_O, .ttl = 64, .cd = CD_VALUE, .code = 0x42 };
    n = icmp_echo_reply(out, sizeof out, our_mac, &p.f, &odd, 4);
    check_outer(n, 178, 4, 64, true);
    assert_int_equal(out[14 + 21], 0x42);
    struct ie_answer other = { .respond = true, .dfi = DFI_Y, .ttl = 64, .cd = CD_OTHER };
    n = icmp_echo_reply(out, sizeof out, our_mac, &p.f, &other, 5);
    check_outer(n, 178, 5, 64, true);
    assert_int_equal(out[14 + 21], 1);

    /* never: a reply, an error, a silent profile */
    struct ie_answer off = { .respond = false };
    assert_int_equal(icmp_echo_reply(out, sizeof out, our_mac, &p.f, &off, 1), 0);
    p.f.icmp_type = 0;
    assert_int_equal(icmp_echo_reply(out, sizeof out, our_mac, &p.f, &bsd, 1), 0);
    p.f.icmp_type = 3;
    assert_int_equal(icmp_echo_reply(out, sizeof out, our_mac, &p.f, &bsd, 1), 0);
    assert_false(icmp_may_answer(&p.f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreach_linux),
        cmocka_unit_test(test_unreach_quirks),
        cmocka_unit_test(test_unreach_refused),
        cmocka_unit_test(test_echo_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
