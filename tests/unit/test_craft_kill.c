/* rstcraft kill: sequence tracking. Each end's RCV.NXT must come out exact, since an
 * RFC 5961 stack takes an RST only at exactly that number. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "kill.h"

#define C_IP 0xc6120001u
#define S_IP 0xc6120002u
/* the same ends as kside.ip keeps them, and over IPv6 */
static const uint8_t C4[16] = { 198, 18, 0, 1 }, S4[16] = { 198, 18, 0, 2 };
static const uint8_t C6[16] = { 0x20, 0x01, 0, 2, [15] = 1 }, S6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

static struct frame seg(uint32_t sip, uint16_t sp, uint32_t dip, uint16_t dp, uint8_t flags,
                        uint32_t seq, uint32_t ack, size_t len)
{
    struct frame f;
    memset(&f, 0, sizeof f);
    f.l3 = L3_IPV4;
    f.l4 = L4_TCP;
    f.saddr = sip;
    f.daddr = dip;
    f.sport = sp;
    f.dport = dp;
    f.flags = flags;
    f.seq = seq;
    f.ack = ack;
    f.payload_len = len;
    f.eth_src[5] = (uint8_t)sip;
    f.eth_dst[5] = (uint8_t)dip;
    return f;
}

/* the same segment over IPv6 (C_IP -> C6, S_IP -> S6) */
static struct frame v6(struct frame f)
{
    f.l3 = L3_IPV6;
    memcpy(f.saddr6, f.saddr == C_IP ? C6 : S6, 16);
    memcpy(f.daddr6, f.daddr == C_IP ? C6 : S6, 16);
    f.saddr = f.daddr = 0;
    return f;
}

static void feed(struct ktable *t, struct frame f, uint64_t now)
{
    int from;
    uint8_t src[16], dst[16];
    pkt_addrs(&f, src, dst);
    struct kflow *k = ktable_find(t, f.l3 == L3_IPV6, src, f.sport, dst, f.dport, &from, true, now);
    assert_non_null(k);
    kflow_segment(k, from, &f, now);
}

static struct kflow *flow(struct ktable *t, int *client_side)
{
    int from;
    struct kflow *k = ktable_find(t, false, C4, 40000, S4, 80, &from, false, 0);
    assert_non_null(k);
    *client_side = from;
    return k;
}

static void test_handshake_and_data(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_SYN, 1000, 0, 0), 1);
    feed(&t, seg(S_IP, 80, C_IP, 40000, TH_SYN | TH_ACK, 5000, 1001, 0), 2);
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK, 1001, 5001, 0), 3);
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK | TH_PSH, 1001, 5001, 100), 4);
    feed(&t, seg(S_IP, 80, C_IP, 40000, TH_ACK, 5001, 1101, 1448), 5);
    int cs;
    struct kflow *k = flow(&t, &cs);
    assert_int_equal(k->client, cs);
    assert_int_equal(kflow_server(k), !cs);
    uint32_t v;
    /* the client has received everything the server sent (seen at the capture point) */
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 5001 + 1448);
    assert_true(kflow_rcv_nxt(k, !cs, &v));
    assert_int_equal(v, 1101);
    /* a delayed ACK does not move the estimate backwards */
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK, 1101, 5001, 0), 6);
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 6449);
    /* a retransmission of old data neither */
    feed(&t, seg(S_IP, 80, C_IP, 40000, TH_ACK, 5001, 1101, 100), 7);
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 6449);
    /* a FIN counts one */
    feed(&t, seg(S_IP, 80, C_IP, 40000, TH_ACK | TH_FIN, 6449, 1101, 0), 8);
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 6450);
    ktable_free(&t);
}

static void test_wraparound(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    feed(&t, seg(S_IP, 80, C_IP, 40000, TH_ACK, 0xfffffff0u, 1, 0x20), 1);
    feed(&t, seg(S_IP, 80, C_IP, 40000, TH_ACK, 0xfffffff0u, 1, 0x10), 2);
    int cs;
    struct kflow *k = flow(&t, &cs);
    uint32_t v;
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 0x10);
    ktable_free(&t);
}

static void test_only_one_direction_or_challenge_ack(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    /* only the client's pure ACK seen (e.g. a challenge ACK after a probe): its ack is its
     * RCV.NXT and its seq its SND.NXT, which is the server's RCV.NXT */
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK, 777, 999, 0), 1);
    int cs;
    struct kflow *k = flow(&t, &cs);
    uint32_t v;
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 999);
    assert_true(kflow_rcv_nxt(k, !cs, &v));
    assert_int_equal(v, 777);
    /* nothing known about an end of a fresh flow */
    struct ktable t2 = { 0 };
    int from;
    struct kflow *k2 = ktable_find(&t2, false, C4, 1, S4, 2, &from, true, 0);
    assert_false(kflow_rcv_nxt(k2, 0, &v));
    assert_false(kflow_rcv_nxt(k2, 1, &v));
    ktable_free(&t2);
    ktable_free(&t);
}

static void test_rst_and_liveness(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK, 1, 1, 0), 1);
    int cs;
    struct kflow *k = flow(&t, &cs);
    k->s[cs].rsts = 1;
    k->s[cs].rst_ns = 10;
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK, 1, 1, 0), 5);     /* before our RST */
    assert_false(k->s[cs].alive_after_rst);
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_ACK, 1, 1, 10), 20);   /* after: still alive */
    assert_true(k->s[cs].alive_after_rst);
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_RST, 11, 0, 0), 30);
    assert_true(k->s[cs].got_rst);
    ktable_free(&t);
}

static void test_server_guess(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    int from;
    struct kflow *k = ktable_find(&t, false, C4, 51000, S4, 5001, &from, true, 0);
    assert_int_equal(kflow_server(k), 1);               /* 51000 is ephemeral */
    k = ktable_find(&t, false, S4, 22, C4, 1022, &from, true, 0);
    assert_int_equal(kflow_server(k), 0);               /* both low: the lower port */
    ktable_free(&t);
}

static void test_many_flows(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    int from;
    for (uint16_t p = 1; p <= 3000; p++)
        assert_non_null(ktable_find(&t, false, C4, (uint16_t)(30000 + p), S4, 80, &from, true, 0));
    assert_int_equal(t.n, 3000);
    for (uint16_t p = 1; p <= 3000; p++) {
        struct kflow *a = ktable_find(&t, false, C4, (uint16_t)(30000 + p), S4, 80, &from, false, 0);
        assert_non_null(a);
        assert_int_equal(from, 0);
        struct kflow *b = ktable_find(&t, false, S4, 80, C4, (uint16_t)(30000 + p), &from, false, 0);
        assert_ptr_equal(a, b);
        assert_int_equal(from, 1);
        assert_int_equal(a->s[0].port, 30000 + p);
    }
    assert_null(ktable_find(&t, false, C4, 1, S4, 80, &from, false, 0));
    ktable_free(&t);
}

static void test_ipv6_flow_apart_from_ipv4(void **state)
{
    (void)state;
    struct ktable t = { 0 };
    /* the same ports over both families: two connections */
    feed(&t, seg(C_IP, 40000, S_IP, 80, TH_SYN, 1000, 0, 0), 1);
    feed(&t, v6(seg(C_IP, 40000, S_IP, 80, TH_SYN, 7000, 0, 0)), 2);
    feed(&t, v6(seg(S_IP, 80, C_IP, 40000, TH_SYN | TH_ACK, 9000, 7001, 0)), 3);
    feed(&t, v6(seg(C_IP, 40000, S_IP, 80, TH_ACK | TH_PSH, 7001, 9001, 50)), 4);
    assert_int_equal(t.n, 2);
    int cs;
    struct kflow *k = ktable_find(&t, true, C6, 40000, S6, 80, &cs, false, 0);
    assert_non_null(k);
    assert_true(k->v6);
    assert_memory_equal(k->s[cs].ip, C6, 16);
    assert_int_equal(k->client, cs);
    uint32_t v;
    assert_true(kflow_rcv_nxt(k, cs, &v));
    assert_int_equal(v, 9001);
    assert_true(kflow_rcv_nxt(k, !cs, &v));
    assert_int_equal(v, 7051);
    /* the IPv4 one learnt nothing from the IPv6 segments */
    struct kflow *k4 = flow(&t, &cs);
    assert_false(k4->v6);
    assert_false(kflow_rcv_nxt(k4, cs, &v));
    /* an IPv4 address is not the IPv6 address that starts with the same bytes */
    static const uint8_t c6as4[16] = { 0x20, 0x01, 0, 2 };
    assert_null(ktable_find(&t, false, c6as4, 40000, S4, 80, &cs, false, 0));
    ktable_free(&t);
}

/* Frames as sent: checked field by field, checksums recomputed. */
static void test_build_ipv6_rst(void **state)
{
    (void)state;
    uint8_t fr[128];
    static const uint8_t sm[6] = { 2, 0, 0, 0, 0, 1 }, dm[6] = { 2, 0, 0, 0, 0, 2 };
    size_t n = kill_build(NULL, fr, sizeof fr, sm, dm, true, S6, 80, C6, 40000, 0x01020304u, 0x05060708u,
                          TH_RST | TH_ACK, 0x1234);
    assert_int_equal(n, 14 + 40 + 20);
    struct frame f;
    assert_int_equal(pkt_parse(&f, fr, n), PKT_OK);
    assert_int_equal(f.l3, L3_IPV6);
    assert_int_equal(f.l4, L4_TCP);
    assert_memory_equal(f.saddr6, S6, 16);
    assert_memory_equal(f.daddr6, C6, 16);
    assert_memory_equal(f.eth_src, sm, 6);
    assert_memory_equal(f.eth_dst, dm, 6);
    assert_int_equal(f.ttl, 64);
    assert_int_equal(f.flowlabel, 0);
    assert_int_equal(f.tos, 0);
    assert_int_equal(f.seq, 0x01020304u);
    assert_int_equal(f.ack, 0x05060708u);
    assert_int_equal(f.flags, TH_RST | TH_ACK);
    assert_int_equal(f.win, 0);
    assert_int_equal(f.doff, 20);
    assert_int_equal(f.payload_len, 0);
    /* the TCP checksum over the IPv6 pseudo-header folds to zero */
    uint32_t sum = 0;
    for (int i = 0; i < 16; i += 2)
        sum += (uint32_t)(S6[i] << 8 | S6[i + 1]) + (uint32_t)(C6[i] << 8 | C6[i + 1]);
    sum += 6 + 20;
    for (size_t i = 54; i < n; i += 2)
        sum += (uint32_t)(fr[i] << 8 | fr[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_data), cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_only_one_direction_or_challenge_ack),
        cmocka_unit_test(test_rst_and_liveness),   cmocka_unit_test(test_server_guess),
        cmocka_unit_test(test_many_flows),         cmocka_unit_test(test_ipv6_flow_apart_from_ipv4),
        cmocka_unit_test(test_build_ipv6_rst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
