/* arp_answer: which ARP frames get a reply, and the reply's exact bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "arp.h"

static const uint8_t OUR_MAC[6]  = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t PEER_MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t BCAST[6]    = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* An Ethernet/IPv4 ARP frame written out by hand, 42 bytes. */
static size_t arp_frame(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint16_t op,
                        const uint8_t sha[6], const uint8_t spa[4], const uint8_t tha[6],
                        const uint8_t tpa[4])
{
    memcpy(b, dst, 6);
    memcpy(b + 6, src, 6);
    b[12] = 0x08; b[13] = 0x06;
    b[14] = 0x00; b[15] = 0x01;          /* htype Ethernet */
    b[16] = 0x08; b[17] = 0x00;          /* ptype IPv4 */
    b[18] = 6; b[19] = 4;
    b[20] = (uint8_t)(op >> 8); b[21] = (uint8_t)op;
    memcpy(b + 22, sha, 6);
    memcpy(b + 28, spa, 4);
    memcpy(b + 32, tha, 6);
    memcpy(b + 38, tpa, 4);
    return 42;
}

static const uint8_t IP_PEER[4] = { 198, 18, 0, 1 };
static const uint8_t IP_OURS[4] = { 198, 18, 0, 10 };
static const uint8_t IP_OTHER[4] = { 198, 18, 0, 99 };
static const uint8_t IP_ZERO[4];
static const uint8_t MAC_ZERO[6];

static struct addrset owned;

static int setup(void **st)
{
    (void)st;
    char err[256];
    memset(&owned, 0, sizeof owned);
    return addrset_parse(&owned, "198.18.0.10,198.18.0.12/31", err, sizeof err);
}

static int teardown(void **st)
{
    (void)st;
    addrset_free(&owned);
    return 0;
}

static size_t answer(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    struct frame f;
    pkt_parse(&f, in, len);
    return arp_answer(&f, &owned, OUR_MAC, out, cap);
}

/* The reply must be these 42 bytes; a builder may pad to the 60-byte minimum with zeros. */
static void assert_reply(const uint8_t *out, size_t n, const uint8_t *want)
{
    assert_true(n == 42 || n == 60);
    assert_memory_equal(out, want, 42);
    for (size_t i = 42; i < n; i++)
        assert_int_equal(out[i], 0);
}

static void test_request_answered(void **st)
{
    (void)st;
    uint8_t in[60] = {0}, out[128], want[42];
    size_t len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_PEER, MAC_ZERO, IP_OURS);
    size_t n = answer(in, len, out, sizeof out);
    arp_frame(want, PEER_MAC, OUR_MAC, 2, OUR_MAC, IP_OURS, PEER_MAC, IP_PEER);
    assert_reply(out, n, want);
    static const uint8_t literal[42] = {
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x06,
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 198, 18, 0, 10,
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 198, 18, 0, 1,
    };
    assert_memory_equal(out, literal, 42);

    /* padded to 60 bytes as on a real wire, and addressed to a CIDR member: same answer */
    static const uint8_t IP_13[4] = { 198, 18, 0, 13 };
    arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_PEER, MAC_ZERO, IP_13);
    n = answer(in, 60, out, sizeof out);
    arp_frame(want, PEER_MAC, OUR_MAC, 2, OUR_MAC, IP_13, PEER_MAC, IP_PEER);
    assert_reply(out, n, want);
}

static void test_unicast_request_answered(void **st)
{
    (void)st;
    /* a cache refresh is unicast to us, with our MAC as tha */
    uint8_t in[42], out[128], want[42];
    size_t len = arp_frame(in, OUR_MAC, PEER_MAC, 1, PEER_MAC, IP_PEER, OUR_MAC, IP_OURS);
    size_t n = answer(in, len, out, sizeof out);
    arp_frame(want, PEER_MAC, OUR_MAC, 2, OUR_MAC, IP_OURS, PEER_MAC, IP_PEER);
    assert_reply(out, n, want);
}

static void test_probe_answered(void **st)
{
    (void)st;
    /* RFC 5227 probe: spa 0.0.0.0. The owner answers, so the prober sees the conflict;
     * the reply's tpa is the probe's spa, 0.0.0.0 (as Linux does) */
    uint8_t in[42], out[128], want[42];
    size_t len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_ZERO, MAC_ZERO, IP_OURS);
    size_t n = answer(in, len, out, sizeof out);
    arp_frame(want, PEER_MAC, OUR_MAC, 2, OUR_MAC, IP_OURS, PEER_MAC, IP_ZERO);
    assert_reply(out, n, want);
}

static void test_not_answered(void **st)
{
    (void)st;
    uint8_t in[42], out[128];
    size_t len;

    /* not one of ours */
    len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_PEER, MAC_ZERO, IP_OTHER);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* 198.18.0.11 sits between owned addresses but is not one */
    static const uint8_t IP_11[4] = { 198, 18, 0, 11 };
    len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_PEER, MAC_ZERO, IP_11);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* gratuitous request (announcement) for our address: spa == tpa */
    len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_OURS, MAC_ZERO, IP_OURS);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* a reply, even one naming our address */
    len = arp_frame(in, OUR_MAC, PEER_MAC, 2, PEER_MAC, IP_PEER, OUR_MAC, IP_OURS);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    len = arp_frame(in, BCAST, PEER_MAC, 2, PEER_MAC, IP_OURS, BCAST, IP_OURS);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* an unknown opcode */
    len = arp_frame(in, BCAST, PEER_MAC, 3, PEER_MAC, IP_PEER, MAC_ZERO, IP_OURS);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* our own request coming back */
    len = arp_frame(in, BCAST, OUR_MAC, 1, OUR_MAC, IP_PEER, MAC_ZERO, IP_OURS);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* a sender hardware address we could not unicast to */
    len = arp_frame(in, BCAST, PEER_MAC, 1, BCAST, IP_PEER, MAC_ZERO, IP_OURS);
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    /* the reply does not fit the caller's buffer */
    len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_PEER, MAC_ZERO, IP_OURS);
    assert_int_equal(answer(in, len, out, 20), 0);
}

static void test_malformed_ignored(void **st)
{
    (void)st;
    uint8_t in[42], out[128];
    size_t len = arp_frame(in, BCAST, PEER_MAC, 1, PEER_MAC, IP_PEER, MAC_ZERO, IP_OURS);
    /* cut short inside the ARP body */
    assert_int_equal(answer(in, 30, out, sizeof out), 0);
    assert_int_equal(answer(in, 13, out, sizeof out), 0);
    /* hardware length 8: not Ethernet/IPv4 ARP */
    in[18] = 8;
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    in[18] = 6;
    /* protocol type IPv6 */
    in[16] = 0x86; in[17] = 0xdd;
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    in[16] = 0x08; in[17] = 0x00;
    /* hardware type not Ethernet */
    in[15] = 6;
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    in[15] = 1;
    /* not ARP at all: the same bytes under the IPv4 ethertype */
    in[13] = 0x00;
    assert_int_equal(answer(in, len, out, sizeof out), 0);
    in[13] = 0x06;
    /* a hand-made view that says "malformed" is not trusted either */
    struct frame f;
    pkt_parse(&f, in, len);
    f.err = PKT_E_BAD_ARP;
    assert_int_equal(arp_answer(&f, &owned, OUR_MAC, out, sizeof out), 0);
    /* and the untouched frame still gets its answer */
    assert_int_not_equal(answer(in, len, out, sizeof out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_answered),
        cmocka_unit_test(test_unicast_request_answered),
        cmocka_unit_test(test_probe_answered),
        cmocka_unit_test(test_not_answered),
        cmocka_unit_test(test_malformed_ignored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
