/* Internet checksum: RFC 1071 vectors, pseudo-headers, chaining, and the RFC 1624
 * incremental update against full recomputation on random cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "csum.h"

static uint32_t rng = 0x12345678u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Reference: the textbook loop, kept apart from csum.c on purpose. */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t init)
{
    uint64_t s = init;
    for (size_t i = 0; i < len; i++)
        s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void rfc1071_example(void **st)
{
    (void)st;
    /* RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to 0xddf2 */
    const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    assert_int_equal(csum_fold(csum_partial(b, sizeof b, 0)), (uint16_t)~0xddf2);
}

static void ipv4_header_vector(void **st)
{
    (void)st;
    /* a well-known header: 192.168.0.1 -> 192.168.0.199, UDP, checksum 0xb861 */
    uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0);   /* verifies to zero */
}

static void odd_length(void **st)
{
    (void)st;
    const uint8_t b[] = { 0xab };
    assert_int_equal(csum_fold(csum_partial(b, 1, 0)), (uint16_t)~0xab00);
    const uint8_t c[] = { 0x12, 0x34, 0x56 };
    assert_int_equal(csum_fold(csum_partial(c, 3, 0)), (uint16_t)~(0x1234 + 0x5600));
    assert_int_equal(csum_fold(csum_partial(NULL, 0, 0)), 0xffff);
}

static void chaining_and_random(void **st)
{
    (void)st;
    static uint8_t buf[70000];
    for (int iter = 0; iter < 200; iter++) {
        size_t len = rnd() % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rnd();
        if (iter == 0) {
            len = sizeof buf;               /* the worst case for the accumulator */
            memset(buf, 0xff, len);
        }
        uint16_t want = ref_csum(buf, len, 0);
        assert_int_equal(csum_fold(csum_partial(buf, len, 0)), want);
        size_t cut = (rnd() % (len + 1)) & ~(size_t)1;
        uint32_t s = csum_partial(buf, cut, 0);
        s = csum_partial(buf + cut, len - cut, s);
        assert_int_equal(csum_fold(s), want);
    }
}

static void pseudo4(void **st)
{
    (void)st;
    for (int iter = 0; iter < 1000; iter++) {
        uint32_t sa = rnd(), da = rnd();
        uint8_t proto = (uint8_t)rnd();
        uint16_t l = (uint16_t)rnd();
        uint8_t ph[12] = { (uint8_t)(sa >> 24), (uint8_t)(sa >> 16), (uint8_t)(sa >> 8), (uint8_t)sa,
                           (uint8_t)(da >> 24), (uint8_t)(da >> 16), (uint8_t)(da >> 8), (uint8_t)da,
                           0, proto, (uint8_t)(l >> 8), (uint8_t)l };
        assert_int_equal(csum_fold(csum_pseudo4(sa, da, proto, l)), ref_csum(ph, 12, 0));
    }
}

static void pseudo6(void **st)
{
    (void)st;
    for (int iter = 0; iter < 1000; iter++) {
        uint8_t ph[40] = {0};
        for (int i = 0; i < 32; i++)
            ph[i] = (uint8_t)rnd();
        uint32_t l = rnd();
        uint8_t nh = (uint8_t)rnd();
        ph[32] = (uint8_t)(l >> 24); ph[33] = (uint8_t)(l >> 16); ph[34] = (uint8_t)(l >> 8); ph[35] = (uint8_t)l;
        ph[39] = nh;
        assert_int_equal(csum_fold(csum_pseudo6(ph, ph + 16, nh, l)), ref_csum(ph, 40, 0));
    }
}

static void rfc1624_example(void **st)
{
    (void)st;
    /* RFC 1624 section 4: other words sum to 0xcd7a, m = 0x5555 becomes 0x3285.
     * HC = ~(0xcd7a + 0x5555) = 0xdd2f; the full recomputation gives 0x0000. */
    assert_int_equal(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
    uint8_t b[4] = { 0xcd, 0x7a, 0x32, 0x85 };
    assert_int_equal(csum_fold(csum_partial(b, 4, 0)), 0x0000);
}

/* Incremental update == full recomputation, for 16- and 32-bit fields at random spots. */
static void incremental_random(void **st)
{
    (void)st;
    uint8_t buf[64];
    for (int iter = 0; iter < 100000; iter++) {
        size_t len = 8 + 2 * (rnd() % 28);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rnd();
        if (iter % 7 == 0)
            memset(buf, iter % 14 ? 0xff : 0x00, len);   /* the 0x0000 / 0xffff edges */
        uint32_t pseudo = iter % 3 ? csum_pseudo4(rnd(), rnd(), 6, (uint16_t)len) : 0;
        uint16_t c = csum_fold(csum_partial(buf, len, pseudo));
        size_t at = 2 * (rnd() % (len / 2 - 1));
        if (iter & 1) {
            uint16_t o = (uint16_t)(buf[at] << 8 | buf[at + 1]);
            uint16_t v = (iter % 5 == 0) ? (uint16_t)~o : (uint16_t)rnd();
            buf[at] = (uint8_t)(v >> 8);
            buf[at + 1] = (uint8_t)v;
            uint16_t full = csum_fold(csum_partial(buf, len, pseudo));
            uint16_t inc = csum_update16(c, o, v);
            if (full != inc)
                fail_msg("update16 iter %d: full %04x incremental %04x", iter, full, inc);
        } else {
            uint32_t o = (uint32_t)buf[at] << 24 | (uint32_t)buf[at + 1] << 16 |
                         (uint32_t)buf[at + 2] << 8 | buf[at + 3];
            uint32_t v = rnd();
            buf[at] = (uint8_t)(v >> 24); buf[at + 1] = (uint8_t)(v >> 16);
            buf[at + 2] = (uint8_t)(v >> 8); buf[at + 3] = (uint8_t)v;
            uint16_t full = csum_fold(csum_partial(buf, len, pseudo));
            uint16_t inc = csum_update32(c, o, v);
            if (full != inc)
                fail_msg("update32 iter %d: full %04x incremental %04x", iter, full, inc);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc1071_example),
        cmocka_unit_test(ipv4_header_vector),
        cmocka_unit_test(odd_length),
        cmocka_unit_test(chaining_and_random),
        cmocka_unit_test(pseudo4),
        cmocka_unit_test(pseudo6),
        cmocka_unit_test(rfc1624_example),
        cmocka_unit_test(incremental_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
