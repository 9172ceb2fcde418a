/* nd_answer: which Neighbor Solicitations get an advertisement, and its flags, addresses
 * and option as a Linux host sends them (ndisc_recv_ns). Frames built with build_ns6 and
 * by hand, decoded with the packet model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "craft.h"
#include "csum.h"
#include "nd.h"

static const uint8_t OUR_MAC[6]  = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t PEER_MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t OURS[16]    = { 0x20, 0x01, 0, 2, [15] = 0x10 };
static const uint8_t OTHER[16]   = { 0x20, 0x01, 0, 2, [15] = 0x11 };
static const uint8_t PEER[16]    = { 0x20, 0x01, 0, 2, [15] = 0x01 };
static const uint8_t UNSPEC[16];
static const uint8_t ALLNODES[16] = { 0xff, 0x02, [15] = 1 };

static struct addrset owned;
static uint8_t in[256], out[256];

static int setup(void **st)
{
    (void)st;
    return addrset_add6(&owned, OURS);
}

static int teardown(void **st)
{
    (void)st;
    addrset_free(&owned);
    return 0;
}

/* The ICMPv6 checksum of a built frame is right (RFC 4443 §2.3). */
static bool icmp6_sum_ok(const struct frame *f)
{
    uint32_t s = csum_pseudo6(f->saddr6, f->daddr6, 58, (uint32_t)f->l4_len);
    return csum_fold(csum_partial(f->data + f->l4_off, f->l4_len, s)) == 0;
}

static size_t answer(const uint8_t *frame, size_t len, struct frame *na)
{
    struct frame f;
    pkt_parse(&f, frame, len);
    size_t n = nd_answer(&f, &owned, OUR_MAC, out, sizeof out);
    if (n) {
        assert_int_equal(pkt_parse(na, out, n), PKT_OK);
        assert_int_equal(na->icmp_type, ND_NA);
        assert_int_equal(na->ttl, 255);
        assert_memory_equal(na->saddr6, OURS, 16);
        assert_memory_equal(na->payload, OURS, 16);
        assert_memory_equal(na->eth_src, OUR_MAC, 6);
        assert_true(icmp6_sum_ok(na));
    }
    return n;
}

static uint32_t na_flags(const struct frame *na)
{
    const uint8_t *p = na->data + na->l4_off + 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_multicast_ns(void **st)
{
    (void)st;
    size_t len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    struct frame na;
    assert_int_equal(answer(in, len, &na), 14 + 40 + 32);
    assert_int_equal(na_flags(&na), ND_NA_SOLICITED | ND_NA_OVERRIDE);
    assert_memory_equal(na.daddr6, PEER, 16);
    assert_memory_equal(na.eth_dst, PEER_MAC, 6);
    /* the target link-layer address option: our MAC */
    assert_int_equal(na.payload[16], 2);
    assert_int_equal(na.payload[17], 1);
    assert_memory_equal(na.payload + 18, OUR_MAC, 6);
}

static void test_unicast_ns(void **st)
{
    (void)st;
    /* neighbour unreachability detection: to our address itself; Solicited, no Override,
     * no option (ndisc_recv_ns: inc_opt and override only for a multicast NS) */
    size_t len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    memcpy(in + 14 + 24, OURS, 16);
    memcpy(in, OUR_MAC, 6);
    struct frame na;
    assert_int_equal(answer(in, len, &na), 14 + 40 + 24);
    assert_int_equal(na_flags(&na), ND_NA_SOLICITED);
    assert_memory_equal(na.daddr6, PEER, 16);
}

static void test_dad_probe(void **st)
{
    (void)st;
    size_t len = build_ns6(in, sizeof in, PEER_MAC, UNSPEC, OURS);
    assert_int_equal(len, 14 + 40 + 24);     /* no source link-layer option from :: */
    struct frame na;
    assert_int_equal(answer(in, len, &na), 14 + 40 + 32);
    assert_int_equal(na_flags(&na), ND_NA_OVERRIDE);
    assert_memory_equal(na.daddr6, ALLNODES, 16);
    static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
    assert_memory_equal(na.eth_dst, mc, 6);
}

static void test_not_answered(void **st)
{
    (void)st;
    struct frame na;
    /* not our address */
    size_t len = build_ns6(in, sizeof in, PEER_MAC, PEER, OTHER);
    assert_int_equal(answer(in, len, &na), 0);
    /* hop limit not 255: from off the link (RFC 4861 §7.1.1) */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    in[14 + 7] = 64;
    assert_int_equal(answer(in, len, &na), 0);
    /* code not 0 */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    in[54 + 1] = 1;
    assert_int_equal(answer(in, len, &na), 0);
    /* an option of length 0 */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    in[54 + 25] = 0;
    assert_int_equal(answer(in, len, &na), 0);
    /* an option running past the message */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    in[54 + 25] = 2;
    assert_int_equal(answer(in, len, &na), 0);
    /* a DAD probe that carries a source link-layer address */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    memset(in + 14 + 8, 0, 16);
    assert_int_equal(answer(in, len, &na), 0);
    /* sent to an address that is neither the target nor its solicited-node group */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    memcpy(in + 14 + 24, ALLNODES, 16);
    assert_int_equal(answer(in, len, &na), 0);
    /* unicast to another host's MAC */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    memcpy(in, PEER_MAC, 6);
    assert_int_equal(answer(in, len, &na), 0);
    /* our own solicitation seen again */
    len = build_ns6(in, sizeof in, OUR_MAC, PEER, OURS);
    assert_int_equal(answer(in, len, &na), 0);
    /* cut short: the target does not fit */
    len = build_ns6(in, sizeof in, PEER_MAC, PEER, OURS);
    in[14 + 5] = 20;
    assert_int_equal(answer(in, 14 + 40 + 20, &na), 0);
}

static void test_snm(void **st)
{
    (void)st;
    uint8_t snm[16], mac[6];
    nd_snm_addr(OURS, snm);
    static const uint8_t want[16] = { 0xff, 0x02, [11] = 1, 0xff, 0, 0, 0x10 };
    assert_memory_equal(snm, want, 16);
    nd_mcast_mac(snm, mac);
    static const uint8_t wmac[6] = { 0x33, 0x33, 0xff, 0, 0, 0x10 };
    assert_memory_equal(mac, wmac, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multicast_ns), cmocka_unit_test(test_unicast_ns),
        cmocka_unit_test(test_dad_probe),    cmocka_unit_test(test_not_answered),
        cmocka_unit_test(test_snm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
