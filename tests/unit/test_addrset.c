/* -a ADDRS: dotted quads, lists, CIDRs, and the messages for bad ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "addrset.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void test_ip4_parse(void **state)
{
    (void)state;
    uint32_t a;
    assert_true(ip4_parse("198.18.0.10", &a));
    assert_int_equal(a, IP(198, 18, 0, 10));
    assert_true(ip4_parse("0.0.0.0", &a));
    assert_int_equal(a, 0);
    assert_true(ip4_parse("255.255.255.255", &a));
    assert_int_equal(a, 0xffffffffu);
    const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "198.18.0.300", "1.2.3.", ".1.2.3",
                          "1..2.3", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4", "1.2.3.0x1",
                          "a.b.c.d", "1.2.3.-4", "1.2.3.+4", "1.2.3.1234", "1.2.3.4/24",
                          "99999999999.1.1.1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = 42;
        assert_false(ip4_parse(bad[i], &a));
        assert_int_equal(a, 42);
    }
}

static void test_ip4_str(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(ip4_str(IP(198, 18, 0, 10), buf), "198.18.0.10");
    assert_string_equal(ip4_str(0xffffffffu, buf), "255.255.255.255");
    assert_string_equal(ip4_str(0, buf), "0.0.0.0");
}

static void test_single_and_list(void **state)
{
    (void)state;
    struct addrset s = { 0 };
    char err[128];
    assert_int_equal(addrset_parse(&s, "198.18.0.10", err, sizeof err), 0);
    assert_int_equal(s.n, 1);
    assert_true(addrset_has(&s, IP(198, 18, 0, 10)));
    assert_false(addrset_has(&s, IP(198, 18, 0, 11)));
    /* out of order and duplicated: stored sorted and unique */
    assert_int_equal(addrset_parse(&s, "198.18.0.12,198.18.0.1,198.18.0.10", err, sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.v[0], IP(198, 18, 0, 1));
    assert_int_equal(s.v[1], IP(198, 18, 0, 10));
    assert_int_equal(s.v[2], IP(198, 18, 0, 12));
    addrset_free(&s);
    assert_null(s.v);
    assert_int_equal(s.n, 0);
    addrset_free(&s);
}

static void test_cidr(void **state)
{
    (void)state;
    struct addrset s = { 0 };
    char err[128];
    assert_int_equal(addrset_parse(&s, "198.18.0.8/29", err, sizeof err), 0);
    assert_int_equal(s.n, 8);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(s.v[i], IP(198, 18, 0, 8 + i));
    assert_false(addrset_has(&s, IP(198, 18, 0, 7)));
    assert_false(addrset_has(&s, IP(198, 18, 0, 16)));
    /* host bits are ignored; an overlapping block merges */
    assert_int_equal(addrset_parse(&s, "198.18.0.13/30,198.18.0.0/28", err, sizeof err), 0);
    assert_int_equal(s.n, 16);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(s.v[i], IP(198, 18, 0, i));
    assert_int_equal(addrset_parse(&s, "198.18.1.1/32", err, sizeof err), 0);
    assert_int_equal(s.n, 17);
    addrset_free(&s);

    /* the top of the address space: no wrap */
    assert_int_equal(addrset_parse(&s, "255.255.255.252/30,0.0.0.0/31", err, sizeof err), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.v[0], 0);
    assert_int_equal(s.v[5], 0xffffffffu);
    addrset_free(&s);
}

static void test_cap(void **state)
{
    (void)state;
    struct addrset s = { 0 };
    char err[128];
    assert_int_equal(addrset_parse(&s, "198.16.0.0/12", err, sizeof err), 0);
    assert_int_equal(s.n, 1u << 20);
    assert_true(addrset_has(&s, IP(198, 31, 255, 255)));
    assert_false(addrset_has(&s, IP(198, 32, 0, 0)));
    /* already inside: still fine */
    assert_int_equal(addrset_parse(&s, "198.18.0.10", err, sizeof err), 0);
    assert_int_equal(addrset_parse(&s, "198.32.0.0", err, sizeof err), -1);
    assert_string_equal(err, "too many addresses (more than 1048576)");
    addrset_free(&s);
    assert_int_equal(addrset_parse(&s, "10.0.0.0/11", err, sizeof err), -1);
    assert_string_equal(err, "too many addresses (more than 1048576)");
    assert_int_equal(addrset_parse(&s, "0.0.0.0/0", err, sizeof err), -1);
    assert_string_equal(err, "too many addresses (more than 1048576)");
    assert_int_equal(s.n, 0);
    addrset_free(&s);
}

struct bad { const char *spec, *msg; };

static void test_bad(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        { "198.18.0.300",    "bad address '198.18.0.300'" },
        { "1.2.3",           "bad address '1.2.3'" },
        { "",                "empty address in ''" },
        { "198.18.0.1,",     "empty address in '198.18.0.1,'" },
        { ",198.18.0.1",     "empty address in ',198.18.0.1'" },
        { "1.2.3.4,,1.2.3.5", "empty address in '1.2.3.4,,1.2.3.5'" },
        { "198.18.0.0/33",   "bad prefix length in '198.18.0.0/33' (expected /0../32)" },
        { "198.18.0.0/",     "bad prefix length in '198.18.0.0/' (expected /0../32)" },
        { "198.18.0.0/-1",   "bad prefix length in '198.18.0.0/-1' (expected /0../32)" },
        { "198.18.0.0/024",  "bad prefix length in '198.18.0.0/024' (expected /0../32)" },
        { "198.18.0.0/24x",  "bad prefix length in '198.18.0.0/24x' (expected /0../32)" },
        { "198.18.0.0/1000", "bad prefix length in '198.18.0.0/1000' (expected /0../32)" },
        { "/24",             "bad address '/24'" },
        { "host.example",    "bad address 'host.example'" },
        { "198.18.0.1 ",     "bad address '198.18.0.1 '" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct addrset s = { 0 };
        char err[128] = "";
        assert_int_equal(addrset_parse(&s, bad[i].spec, err, sizeof err), -1);
        assert_string_equal(err, bad[i].msg);
        addrset_free(&s);
    }
}

static void test_bad_leaves_set_alone(void **state)
{
    (void)state;
    struct addrset s = { 0 };
    char err[128];
    assert_int_equal(addrset_parse(&s, "198.18.0.1,198.18.0.8/29,bad", err, sizeof err), -1);
    assert_int_equal(s.n, 0);
    addrset_free(&s);
}

static void test_long_item(void **state)
{
    (void)state;
    struct addrset s = { 0 };
    char spec[300], err[256];
    memset(spec, '1', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    assert_int_equal(addrset_parse(&s, spec, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad address '1111"));
    assert_null(strchr(err, '\n'));
    addrset_free(&s);
}

static void test_add_has(void **state)
{
    (void)state;
    struct addrset s = { 0 };
    uint32_t vals[] = { 50, 10, 30, 10, 0xffffffffu, 0, 30, 20 };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        assert_int_equal(addrset_add(&s, vals[i]), 0);
    assert_int_equal(s.n, 6);
    for (size_t i = 1; i < s.n; i++)
        assert_true(s.v[i - 1] < s.v[i]);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        assert_true(addrset_has(&s, vals[i]));
    assert_false(addrset_has(&s, 40));
    assert_false(addrset_has(&s, 1));
    addrset_free(&s);
    assert_false(addrset_has(&s, 1));
}

static void test_ipv6(void **state)
{
    (void)state;
    struct addrset s = {0};
    char err[128], buf[ADDR_STRLEN];
    static const uint8_t a10[16] = { 0x20, 0x01, 0, 2, [15] = 0x10 };
    static const uint8_t a1ff[16] = { 0x20, 0x01, 0, 2, [14] = 1, [15] = 0xff };
    assert_int_equal(addrset_parse(&s, "198.18.0.10,2001:2::10,2001:2::100/120", err, sizeof err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.n6, 257);
    assert_int_equal(addrset_count(&s), 258);
    assert_true(addrset_has6(&s, a10));
    assert_true(addrset_has6(&s, a1ff));
    uint8_t a200[16];
    memcpy(a200, a1ff, 16);
    a200[14] = 2; a200[15] = 0;
    assert_false(addrset_has6(&s, a200));
    assert_true(addrset_has(&s, IP(198, 18, 0, 10)));
    /* host bits under the prefix are cleared, an overlap adds nothing twice, a carry
     * crosses a byte */
    assert_int_equal(addrset_parse(&s, "2001:2::1ff/127", err, sizeof err), 0);
    assert_int_equal(s.n6, 257);
    assert_int_equal(addrset_parse(&s, "2001:2::ff/128", err, sizeof err), 0);
    assert_int_equal(s.n6, 258);
    assert_string_equal(ip6_str(s.v6[0].b, buf), "2001:2::10");
    assert_string_equal(ip6_str(s.v6[1].b, buf), "2001:2::ff");
    assert_string_equal(addrset_first_str(&s, buf), "198.18.0.10");
    addrset_free(&s);
    assert_int_equal(addrset_parse(&s, "2001:2::10", err, sizeof err), 0);
    assert_string_equal(addrset_first_str(&s, buf), "2001:2::10");
    /* a block past 2^20 addresses, bad prefixes and addresses: one message, nothing added */
    assert_int_equal(addrset_parse(&s, "2001:2::/64", err, sizeof err), -1);
    assert_non_null(strstr(err, "/108"));
    assert_int_equal(addrset_parse(&s, "2001:2::/129", err, sizeof err), -1);
    assert_non_null(strstr(err, "/0../128"));
    assert_int_equal(addrset_parse(&s, "2001:2::/012", err, sizeof err), -1);
    assert_int_equal(addrset_parse(&s, "2001:2:::1", err, sizeof err), -1);
    assert_non_null(strstr(err, "bad address"));
    assert_int_equal(addrset_parse(&s, "2001:2::20,2001:zz::1", err, sizeof err), -1);
    assert_int_equal(s.n6, 1);
    assert_int_equal(addrset_parse(&s, "2001:2::/108", err, sizeof err), 0);
    assert_int_equal(s.n6, 1u << 20);
    addrset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip4_parse),
        cmocka_unit_test(test_ip4_str),
        cmocka_unit_test(test_single_and_list),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_bad_leaves_set_alone),
        cmocka_unit_test(test_long_item),
        cmocka_unit_test(test_add_has),
        cmocka_unit_test(test_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
