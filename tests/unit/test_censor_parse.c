/* The censor's stream parsers: TLS ClientHello server name (whole, split over records,
 * cut anywhere, malformed) and the HTTP Host header (case, spaces, port, IPv6 literal,
 * incomplete, not HTTP). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "censor_parse.h"

/* A ClientHello body with extensions: a dummy one (type 0x000a), then server_name. */
static size_t hello_body(uint8_t *b, const char *name)
{
    size_t n = 0, nl = strlen(name);
    b[n++] = 3; b[n++] = 3;                          /* legacy_version */
    memset(b + n, 0xab, 32); n += 32;                /* random */
    b[n++] = 32; memset(b + n, 0xcd, 32); n += 32;   /* session id */
    b[n++] = 0; b[n++] = 4; b[n++] = 0x13; b[n++] = 1; b[n++] = 0x13; b[n++] = 2;
    b[n++] = 1; b[n++] = 0;                          /* compression: null */
    size_t ext_len_at = n; n += 2;
    b[n++] = 0; b[n++] = 0x0a; b[n++] = 0; b[n++] = 4; b[n++] = 0; b[n++] = 2; b[n++] = 0; b[n++] = 0x1d;
    b[n++] = 0; b[n++] = 0;                          /* server_name */
    b[n++] = (uint8_t)((nl + 5) >> 8); b[n++] = (uint8_t)(nl + 5);
    b[n++] = (uint8_t)((nl + 3) >> 8); b[n++] = (uint8_t)(nl + 3);
    b[n++] = 0;                                      /* host_name */
    b[n++] = (uint8_t)(nl >> 8); b[n++] = (uint8_t)nl;
    memcpy(b + n, name, nl); n += nl;
    size_t el = n - ext_len_at - 2;
    b[ext_len_at] = (uint8_t)(el >> 8); b[ext_len_at + 1] = (uint8_t)el;
    return n;
}

/* The handshake message in `records` TLS records (split evenly). */
static size_t client_hello(uint8_t *out, const char *name, unsigned records)
{
    uint8_t msg[1024], body[900];
    size_t bl = hello_body(body, name);
    msg[0] = 1; msg[1] = 0; msg[2] = (uint8_t)(bl >> 8); msg[3] = (uint8_t)bl;
    memcpy(msg + 4, body, bl);
    size_t ml = bl + 4, n = 0, per = (ml + records - 1) / records;
    for (size_t off = 0; off < ml; off += per) {
        size_t l = ml - off < per ? ml - off : per;
        out[n++] = 22; out[n++] = 3; out[n++] = 1; out[n++] = (uint8_t)(l >> 8); out[n++] = (uint8_t)l;
        memcpy(out + n, msg + off, l);
        n += l;
    }
    return n;
}

static void sni_whole(void **state)
{
    (void)state;
    uint8_t s[1200];
    char name[SNIFF_NAME_MAX];
    size_t n = client_hello(s, "Blocked.Test", 1);
    assert_int_equal(tls_sni(s, n, name), SNIFF_FOUND);
    assert_string_equal(name, "blocked.test");
}

static void sni_split_records(void **state)
{
    (void)state;
    uint8_t s[1200];
    char name[SNIFF_NAME_MAX];
    for (unsigned r = 2; r <= 5; r++) {
        size_t n = client_hello(s, "blocked.test", r);
        assert_int_equal(tls_sni(s, n, name), SNIFF_FOUND);
        assert_string_equal(name, "blocked.test");
    }
}

static void sni_every_prefix_waits(void **state)
{
    (void)state;
    uint8_t s[1200];
    char name[SNIFF_NAME_MAX];
    size_t n = client_hello(s, "blocked.test", 3);
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(tls_sni(s, cut, name), SNIFF_MORE);
}

static void sni_not_tls_and_malformed(void **state)
{
    (void)state;
    uint8_t s[1200];
    char name[SNIFF_NAME_MAX];
    const char *http = "GET / HTTP/1.1\r\n";
    assert_int_equal(tls_sni((const uint8_t *)http, strlen(http), name), SNIFF_NOT);
    size_t n = client_hello(s, "blocked.test", 1);
    s[5] = 2;                                         /* a ServerHello, not a ClientHello */
    assert_int_equal(tls_sni(s, n, name), SNIFF_NOT);
    n = client_hello(s, "blocked.test", 1);
    s[5 + 4 + 34] = 200;                              /* session id longer than the message */
    assert_int_equal(tls_sni(s, n, name), SNIFF_NOT);
    n = client_hello(s, "bad name", 1);               /* a space: not a host name */
    assert_int_equal(tls_sni(s, n, name), SNIFF_NOT);
}

static void host_found(void **state)
{
    (void)state;
    char name[SNIFF_NAME_MAX];
    const char *a = "GET /x HTTP/1.1\r\nUser-Agent: curl\r\nhOsT: \t Blocked.Test:8080 \r\n\r\n";
    assert_int_equal(http_host((const uint8_t *)a, strlen(a), name), SNIFF_FOUND);
    assert_string_equal(name, "blocked.test");
    const char *b = "POST / HTTP/1.0\nHost: [2001:2::1]:80\n\n";
    assert_int_equal(http_host((const uint8_t *)b, strlen(b), name), SNIFF_FOUND);
    assert_string_equal(name, "[2001:2::1]");
}

static void host_incomplete_absent_not_http(void **state)
{
    (void)state;
    char name[SNIFF_NAME_MAX];
    const char *a = "GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n";
    size_t hl = strstr(a, "\r\n\r\n") - a;
    for (size_t cut = 0; cut < strlen("GET / HTTP/1.1\r\nHost: blocked.test\r"); cut++)
        assert_int_equal(http_host((const uint8_t *)a, cut, name), SNIFF_MORE);
    assert_int_equal(http_host((const uint8_t *)a, hl + 2, name), SNIFF_FOUND);
    const char *none = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n";
    assert_int_equal(http_host((const uint8_t *)none, strlen(none), name), SNIFF_NONE);
    const char *ssh = "SSH-2.0-OpenSSH_9.2\r\n";
    assert_int_equal(http_host((const uint8_t *)ssh, strlen(ssh), name), SNIFF_NOT);
    const uint8_t tls[] = { 22, 3, 1, 0, 5 };
    assert_int_equal(http_host(tls, sizeof tls, name), SNIFF_NOT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sni_whole),
        cmocka_unit_test(sni_split_records),
        cmocka_unit_test(sni_every_prefix_waits),
        cmocka_unit_test(sni_not_tls_and_malformed),
        cmocka_unit_test(host_found),
        cmocka_unit_test(host_incomplete_absent_not_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
