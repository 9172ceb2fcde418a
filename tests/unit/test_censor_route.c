/* The censor on a router's interface: which forged frames are this host's to route (their
 * destination MAC is the watched interface's own), and the cache of egress hops, with a
 * resolver standing in for the kernel's route and neighbour tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "censor.h"

static const uint8_t ifmac[6] = { 2, 0, 0, 0, 0, 0xfe }, other[6] = { 2, 0, 0, 0, 0, 1 };

static size_t frame(uint8_t *b, const uint8_t dst[6], uint16_t type)
{
    memset(b, 0, 80);
    memcpy(b, dst, 6);
    memcpy(b + 6, other, 6);
    b[12] = (uint8_t)(type >> 8);
    b[13] = (uint8_t)type;
    if (type == 0x0800) {
        b[14] = 0x45;
        memcpy(b + 30, (const uint8_t[]){ 198, 18, 2, 2 }, 4);
        return 54;
    }
    b[14] = 0x60;
    memcpy(b + 38, (const uint8_t[]){ 0x20, 0x01, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 }, 16);
    return 74;
}

static void to_self_ipv4_and_ipv6(void **st)
{
    (void)st;
    uint8_t b[80];
    struct caddr d, want;
    size_t n = frame(b, ifmac, 0x0800);
    assert_true(censor_frame_to_self(b, n, ifmac, &d));
    caddr_v4set(&want, 0xc6120202u);
    assert_memory_equal(&d, &want, sizeof d);
    n = frame(b, ifmac, 0x86dd);
    assert_true(censor_frame_to_self(b, n, ifmac, &d));
    assert_int_equal(d.a[0], 0x20);
    assert_int_equal(d.a[15], 2);
    assert_false(caddr_is4(&d));
}

static void not_to_self(void **st)
{
    (void)st;
    uint8_t b[80];
    struct caddr d;
    size_t n = frame(b, other, 0x0800);
    assert_false(censor_frame_to_self(b, n, ifmac, &d));        /* a neighbour's MAC: out IFACE */
    n = frame(b, ifmac, 0x0806);
    assert_false(censor_frame_to_self(b, n, ifmac, &d));        /* not IP */
    frame(b, ifmac, 0x0800);
    assert_false(censor_frame_to_self(b, 33, ifmac, &d));       /* too short for the address */
    frame(b, ifmac, 0x86dd);
    assert_false(censor_frame_to_self(b, 53, ifmac, &d));
    assert_false(censor_frame_to_self(b, 5, ifmac, &d));
}

static unsigned calls;
static int good(const struct caddr *dst, struct censor_hop *h, char *why, size_t cap)
{
    (void)why; (void)cap;
    calls++;
    h->ifindex = 7;
    memcpy(h->nh, other, 6);
    h->src[5] = dst->a[15];
    return 1;
}

static int bad(const struct caddr *dst, struct censor_hop *h, char *why, size_t cap)
{
    (void)dst; (void)h;
    calls++;
    snprintf(why, cap, "no neighbour entry");
    return 0;
}

#define S 1000000000ull

static void hops_cached_then_asked_again(void **st)
{
    (void)st;
    struct censor_route r = { .fd = -1, .resolve = good };
    struct caddr a;
    caddr_v4set(&a, 0xc6120202u);
    calls = 0;
    const struct censor_hop *h = censor_route_hop(&r, &a, 10 * S);
    assert_non_null(h);
    assert_int_equal(h->ifindex, 7);
    assert_int_equal(h->src[5], 2);
    assert_memory_equal(h->nh, other, 6);
    assert_non_null(censor_route_hop(&r, &a, 14 * S));
    assert_int_equal(calls, 1);                 /* cached */
    assert_non_null(censor_route_hop(&r, &a, 15 * S));
    assert_int_equal(calls, 2);                 /* stale after 5 s: asked again, same slot */
    /* more ends than slots: the oldest slot is reused, never an overflow */
    for (uint32_t i = 0; i < 2 * CENSOR_HOPS; i++) {
        caddr_v4set(&a, 0xc6120300u + i);
        h = censor_route_hop(&r, &a, 16 * S);
        assert_non_null(h);
        assert_int_equal(h->src[5], i);
    }
    assert_int_equal(r.unroutable, 0);
}

static void unroutable_counted_said_once(void **st)
{
    (void)st;
    struct censor_route r = { .fd = -1, .resolve = bad };
    struct caddr a;
    caddr_v4set(&a, 0xc6120202u);
    calls = 0;
    assert_null(censor_route_hop(&r, &a, 10 * S));
    assert_true(r.said);
    assert_null(censor_route_hop(&r, &a, 10 * S + S / 2));
    assert_int_equal(calls, 1);                 /* not asked again within the second */
    assert_int_equal(r.unroutable, 2);
    r.resolve = good;
    assert_non_null(censor_route_hop(&r, &a, 11 * S));   /* the route appeared */
    assert_int_equal(r.unroutable, 2);
}

static void send_leaves_other_frames_alone(void **st)
{
    (void)st;
    struct censor_route r = { .fd = -1, .resolve = bad };
    memcpy(r.ifmac, ifmac, 6);
    uint8_t b[80];
    size_t n = frame(b, other, 0x0800);
    assert_false(censor_route_send(&r, b, n));    /* not opened: nothing routed */
    r.fd = 1000;                                     /* never written: the frame is not ours */
    assert_false(censor_route_send(&r, b, n));
    n = frame(b, ifmac, 0x0800);
    assert_true(censor_route_send(&r, b, n));     /* ours, unroutable: counted, not sent */
    assert_int_equal(r.unroutable, 1);
    assert_int_equal(r.routed + r.tx_err, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(to_self_ipv4_and_ipv6),
        cmocka_unit_test(not_to_self),
        cmocka_unit_test(hops_cached_then_asked_again),
        cmocka_unit_test(unroutable_counted_said_once),
        cmocka_unit_test(send_leaves_other_frames_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
