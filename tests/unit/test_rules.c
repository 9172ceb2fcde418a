/* Rules: the file format, every message it can give (with its line), match order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "mode_values.h"
#include "rules.h"
#include "mode.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define MODES "(expected one of open, rst, silent, delay, unread, after-close, backlog)"
#define KEYS "(expected delay=, read=, read-wait=, backlog=, reply=, reply-size=, reset-after=, " \
             "reply-delay=, reply-rate=, reply-segments=, idle-close=, echo, abort-on-overflow)"

/* tests/rules/NAME, found from this file's path so the test runs from the repository root */
static const char *rules_path(const char *name)
{
    static char buf[512];
    const char *f = __FILE__, *cut = strstr(f, "unit/test_rules.c");
    snprintf(buf, sizeof buf, "%.*srules/%s", (int)(cut ? cut - f : 0), f, name);
    return buf;
}

static int load(struct ruleset *rs, const char *text, char *err, size_t errlen)
{
    return ruleset_load_buf(rs, "t.rules", text, strlen(text), err, errlen);
}

static void test_defaults(void **state)
{
    (void)state;
    struct mode_params p;
    memset(&p, 0xa5, sizeof p);
    mode_params_default(&p);
    assert_int_equal(pv(&p, "delay"), 110);
    assert_int_equal(pv(&p, "read"), 4096);
    assert_int_equal(pv(&p, "read-wait"), 20);
    assert_int_equal(pv(&p, "backlog"), 128);
    assert_false(pv(&p, "echo"));
    assert_false(pv(&p, "abort-on-overflow"));

    struct ruleset rs;
    ruleset_init(&rs);
    assert_int_equal(rs.n, 0);
    assert_ptr_equal(rs.dflt.mode, mode_find("rst"));
    assert_int_equal(pv(&rs.dflt.p, "delay"), 110);
    assert_string_equal(rs.profile, "");
    const struct rule *r = ruleset_match(&rs, IP(198, 18, 0, 1), 80);
    assert_ptr_equal(r, &rs.dflt);
    assert_ptr_equal(ruleset_match(&rs, 0, 0), &rs.dflt);
    ruleset_free(&rs);
    ruleset_free(&rs);
}

static void test_portset(void **state)
{
    (void)state;
    struct portset s;
    char err[128];
    assert_int_equal(portset_parse(&s, "80", err, sizeof err), 0);
    assert_true(portset_has(&s, 80));
    assert_false(portset_has(&s, 81));
    assert_false(portset_has(&s, 79));
    assert_int_equal(portset_parse(&s, "80,443,8000-8100,65535,0", err, sizeof err), 0);
    assert_true(portset_has(&s, 443));
    assert_true(portset_has(&s, 8000));
    assert_true(portset_has(&s, 8050));
    assert_true(portset_has(&s, 8100));
    assert_false(portset_has(&s, 8101));
    assert_true(portset_has(&s, 65535));
    assert_true(portset_has(&s, 0));
    assert_false(portset_has(&s, 81));    /* cleared from the previous parse */
    assert_int_equal(portset_parse(&s, "*", err, sizeof err), 0);
    for (uint32_t p = 0; p < 65536; p++)
        assert_true(portset_has(&s, (uint16_t)p));
    assert_int_equal(portset_parse(&s, "7-7", err, sizeof err), 0);
    assert_true(portset_has(&s, 7));

    static const struct { const char *spec, *msg; } bad[] = {
        { "9-3",        "bad port range '9-3'" },
        { "9-",         "bad port range '9-'" },
        { "-3",         "bad port range '-3'" },
        { "1-2-3",      "bad port range '1-2-3'" },
        { "1-65536",    "bad port range '1-65536'" },
        { "65536",      "bad port '65536'" },
        { "99999999999999999999", "bad port '99999999999999999999'" },
        { "http",       "bad port 'http'" },
        { "+80",        "bad port '+80'" },
        { " 80",        "bad port ' 80'" },
        { "80,*",       "bad port '*'" },
        { "",           "empty port in ''" },
        { "80,",        "empty port in '80,'" },
        { "80,,81",     "empty port in '80,,81'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(portset_parse(&s, bad[i].spec, err, sizeof err), -1);
        assert_string_equal(err, bad[i].msg);
    }
}

static void test_kv(void **state)
{
    (void)state;
    struct mode_params p;
    char err[256];
    mode_params_default(&p);
    assert_int_equal(mode_params_parse_kv(&p, "delay=0", err, sizeof err), 0);
    assert_int_equal(pv(&p, "delay"), 0);
    assert_int_equal(mode_params_parse_kv(&p, "delay=600000", err, sizeof err), 0);
    assert_int_equal(pv(&p, "delay"), 600000);
    assert_int_equal(mode_params_parse_kv(&p, "read=1", err, sizeof err), 0);
    assert_int_equal(pv(&p, "read"), 1);
    assert_int_equal(mode_params_parse_kv(&p, "read=1073741824", err, sizeof err), 0);
    assert_int_equal(pv(&p, "read"), 1u << 30);
    assert_int_equal(mode_params_parse_kv(&p, "read-wait=0", err, sizeof err), 0);
    assert_int_equal(pv(&p, "read-wait"), 0);
    assert_int_equal(mode_params_parse_kv(&p, "backlog=65535", err, sizeof err), 0);
    assert_int_equal(pv(&p, "backlog"), 65535);
    assert_int_equal(mode_params_parse_kv(&p, "echo", err, sizeof err), 0);
    assert_true(pv(&p, "echo"));
    assert_int_equal(mode_params_parse_kv(&p, "abort-on-overflow", err, sizeof err), 0);
    assert_true(pv(&p, "abort-on-overflow"));

    static const struct { const char *word, *msg; } bad[] = {
        { "dely=110",        "unknown key 'dely' " KEYS },
        { "delays=1",        "unknown key 'delays' " KEYS },
        { "del=1",           "unknown key 'del' " KEYS },
        { "=5",              "unknown key '' " KEYS },
        { "echoo",           "unknown key 'echoo' " KEYS },
        { "delay=600001",    "delay: expected milliseconds (0..600000), got '600001'" },
        { "delay=",          "delay: expected milliseconds (0..600000), got ''" },
        { "delay=x",         "delay: expected milliseconds (0..600000), got 'x'" },
        { "delay=-1",        "delay: expected milliseconds (0..600000), got '-1'" },
        { "delay=+1",        "delay: expected milliseconds (0..600000), got '+1'" },
        { "delay=1.5",       "delay: expected milliseconds (0..600000), got '1.5'" },
        { "delay=0x10",      "delay: expected milliseconds (0..600000), got '0x10'" },
        { "delay=18446744073709551616",
          "delay: expected milliseconds (0..600000), got '18446744073709551616'" },
        { "delay=4294967406", "delay: expected milliseconds (0..600000), got '4294967406'" },
        { "read=0",          "read: expected bytes (1..1073741824), got '0'" },
        { "read=1073741825", "read: expected bytes (1..1073741824), got '1073741825'" },
        { "read-wait=600001", "read-wait: expected milliseconds (0..600000), got '600001'" },
        { "backlog=0",       "backlog: expected a queue length (1..65535), got '0'" },
        { "backlog=65536",   "backlog: expected a queue length (1..65535), got '65536'" },
        { "delay",           "delay needs a value (delay=N, milliseconds 0..600000)" },
        { "echo=1",          "echo takes no value, got 'echo=1'" },
        { "abort-on-overflow=yes", "abort-on-overflow takes no value, got 'abort-on-overflow=yes'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        mode_params_default(&p);
        assert_int_equal(mode_params_parse_kv(&p, bad[i].word, err, sizeof err), -1);
        assert_string_equal(err, bad[i].msg);
        assert_int_equal(pv(&p, "delay"), 110);
    }
}

static void test_load_good(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512] = "";
    ruleset_init(&rs);
    int rc = ruleset_load(&rs, rules_path("good.rules"), err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(rs.n, 9);
    assert_string_equal(rs.profile, "linux");
    assert_ptr_equal(rs.dflt.mode, mode_find("rst"));

    const struct rule *r = ruleset_match(&rs, IP(198, 18, 0, 10), 80);
    assert_ptr_equal(r->mode, mode_find("open"));
    assert_true(pv(&r->p, "echo"));
    assert_non_null(strstr(r->where, "good.rules:5"));
    r = ruleset_match(&rs, IP(198, 18, 0, 10), 83);
    assert_ptr_equal(r->mode, mode_find("delay"));
    assert_int_equal(pv(&r->p, "delay"), 110);
    r = ruleset_match(&rs, IP(198, 18, 0, 10), 84);
    assert_ptr_equal(r->mode, mode_find("unread"));
    assert_int_equal(pv(&r->p, "read"), 4096);
    assert_int_equal(pv(&r->p, "read-wait"), 20);
    r = ruleset_match(&rs, IP(198, 18, 0, 10), 86);
    assert_ptr_equal(r->mode, mode_find("backlog"));
    assert_int_equal(pv(&r->p, "backlog"), 1);
    assert_true(pv(&r->p, "abort-on-overflow"));
    assert_false(pv(&r->p, "echo"));
    /* the CIDR rule: .8-.15 */
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 15), 8100)->mode, mode_find("open"));
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 16), 8100), &rs.dflt);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 7), 8000), &rs.dflt);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 9), 8101), &rs.dflt);
    /* '*' address */
    r = ruleset_match(&rs, IP(203, 0, 113, 1), 8443);
    assert_ptr_equal(r->mode, mode_find("delay"));
    assert_int_equal(pv(&r->p, "delay"), 2000);
    assert_true(pv(&r->p, "echo"));
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 10), 87), &rs.dflt);
    ruleset_free(&rs);
}

static void test_load_crlf(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512] = "";
    ruleset_init(&rs);
    assert_int_equal(ruleset_load(&rs, rules_path("crlf.rules"), err, sizeof err), 0);
    assert_int_equal(rs.n, 1);
    assert_ptr_equal(rs.dflt.mode, mode_find("silent"));
    assert_ptr_equal(ruleset_match(&rs, 1, 80)->mode, mode_find("open"));
    ruleset_free(&rs);
}

static void test_load_bad_files(void **state)
{
    (void)state;
    static const struct { const char *file, *msg; } bad[] = {
        { "bad-mode.rules",        "3: unknown mode 'foo' " MODES },
        { "bad-ports.rules",       "1: bad port range '9-3'" },
        { "bad-key.rules",         "3: unknown key 'dely' " KEYS },
        { "bad-syntax.rules",      "1: expected 'ADDR PORTS MODE [key=value...]'" },
        { "bad-dup-profile.rules", "3: duplicate profile line (first at line 1)" },
        { "bad-number.rules",      "1: delay: expected milliseconds (0..600000), got '600001'" },
        { "bad-long-line.rules",   "2: line longer than 1024 characters" },
        { "no-such.rules",         " No such file or directory" },
        { "",                      " Is a directory" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ruleset rs;
        char err[512] = "", want[600];
        const char *path = rules_path(bad[i].file);
        ruleset_init(&rs);
        assert_int_equal(ruleset_load(&rs, path, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s:%s", path, bad[i].msg);
        assert_string_equal(err, want);
        assert_int_equal(rs.n, 0);
        assert_string_equal(rs.profile, "");
        ruleset_free(&rs);
    }
}

struct bad_text { const char *text, *msg; };

static void test_reply_keys(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512] = "";
    ruleset_init(&rs);
    assert_int_equal(load(&rs, "* 80 open reply=http reply-size=10 idle-close=3\n"
                               "* 81 unread reply=hi\\r\\n\\x00 reset-after=2 reply-rate=9 "
                               "reply-segments=2 reply-delay=7\n", err, sizeof err), 0);
    const struct reply_params *a = &rs.v[0].p.reply, *b = &rs.v[1].p.reply;
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
                               "Connection: keep-alive\r\n\r\naaaaaaaaaa";
    assert_int_equal(a->body->len, sizeof head - 1);
    assert_memory_equal(a->body->data, head, sizeof head - 1);
    assert_int_equal(a->idle_close_s, 3);
    assert_int_equal(b->body->len, 5);
    assert_memory_equal(b->body->data, "hi\r\n\0", 5);
    assert_int_equal(b->reset_after, 2);
    assert_int_equal(b->rate, 9);
    assert_int_equal(b->segments, 2);
    assert_int_equal(b->delay_ms, 7);
    ruleset_free(&rs);   /* frees the bodies (make asan checks) */
}

static void test_load_buf_errors(void **state)
{
    (void)state;
    static const struct bad_text bad[] = {
        { "* 80 foo\n",                       "t.rules:1: unknown mode 'foo' " MODES },
        { "\n\n# c\n  * 80 Open\n",           "t.rules:4: unknown mode 'Open' " MODES },
        { "default foo\n",                    "t.rules:1: unknown mode 'foo' " MODES },
        { "* 9-3 rst\n",                      "t.rules:1: bad port range '9-3'" },
        { "* 80, rst\n",                      "t.rules:1: empty port in '80,'" },
        { "* 70000 rst\n",                    "t.rules:1: bad port '70000'" },
        { "* 83 delay dely=5\n",              "t.rules:1: unknown key 'dely' " KEYS },
        { "default delay dely=5\n",           "t.rules:1: unknown key 'dely' " KEYS },
        { "198.18.0.10 80\n",                 "t.rules:1: expected 'ADDR PORTS MODE [key=value...]'" },
        { "198.18.0.10\n",                    "t.rules:1: expected 'ADDR PORTS MODE [key=value...]'" },
        { "default\n",                        "t.rules:1: expected 'default MODE [key=value...]'" },
        { "default rst\ndefault open\n",      "t.rules:2: duplicate default line (first at line 1)" },
        { "profile\n",                        "t.rules:1: expected 'profile NAME'" },
        { "profile linux extra\n",            "t.rules:1: expected 'profile NAME'" },
        { "profile linux\n\nprofile linux\n", "t.rules:3: duplicate profile line (first at line 1)" },
        { "198.18.0.300 80 rst\n",            "t.rules:1: bad address '198.18.0.300'" },
        { "1.2.3 80 rst\n",                   "t.rules:1: bad address '1.2.3'" },
        { "198.18.0.0/33 80 rst\n",           "t.rules:1: bad prefix length in '198.18.0.0/33' (expected /0../32)" },
        { "* 83 delay delay=600001\n",        "t.rules:1: delay: expected milliseconds (0..600000), got '600001'" },
        { "* 83 delay delay=\n",              "t.rules:1: delay: expected milliseconds (0..600000), got ''" },
        { "* 83 delay delay=abc\n",           "t.rules:1: delay: expected milliseconds (0..600000), got 'abc'" },
        { "* 83 delay delay=99999999999999999999\n",
          "t.rules:1: delay: expected milliseconds (0..600000), got '99999999999999999999'" },
        { "* 83 delay delay\n",               "t.rules:1: delay needs a value (delay=N, milliseconds 0..600000)" },
        { "* 84 unread read=0\n",             "t.rules:1: read: expected bytes (1..1073741824), got '0'" },
        { "* 84 unread read=1073741825\n",    "t.rules:1: read: expected bytes (1..1073741824), got '1073741825'" },
        { "* 84 unread read-wait=600001\n",   "t.rules:1: read-wait: expected milliseconds (0..600000), got '600001'" },
        { "* 86 backlog backlog=0\n",         "t.rules:1: backlog: expected a queue length (1..65535), got '0'" },
        { "* 86 backlog backlog=65536\n",     "t.rules:1: backlog: expected a queue length (1..65535), got '65536'" },
        { "* 80 open echo=1\n",               "t.rules:1: echo takes no value, got 'echo=1'" },
        { "* 80 rst\n* 81 rst\n* 82 nope",    "t.rules:3: unknown mode 'nope' " MODES },
        { "* 80 open reply\n",               "t.rules:1: reply needs a value (reply=STRING, reply=@FILE or reply=http)" },
        { "* 80 open reply=a\\q\n",          "t.rules:1: reply: bad escape in 'a\\q' (\\r \\n \\t \\s \\\\ \\xHH)" },
        { "* 80 open reply=a reply=b\n",     "t.rules:1: reply: given twice (one reply per rule)" },
        { "* 80 open reply=@/dev/null/x\n",  "t.rules:1: reply: /dev/null/x: Not a directory" },
        { "* 80 open echo reply=x\n",        "t.rules:1: echo and reply both write to the client: give one" },
        { "* 80 open reply-size=5\n",        "t.rules:1: reply-size is the body of --reply http (reply=http) only" },
        { "* 80 open reply-rate=0 reply=x\n", "t.rules:1: reply-rate: expected bytes a second (1..1000000000), got '0'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ruleset rs;
        char err[512] = "";
        ruleset_init(&rs);
        assert_int_equal(load(&rs, bad[i].text, err, sizeof err), -1);
        assert_string_equal(err, bad[i].msg);
        ruleset_free(&rs);
    }
}

static void test_unknown_profile(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512] = "";
    const char *want = "t.rules:2: unknown profile 'beos' (expected one of linux";
    ruleset_init(&rs);
    assert_int_equal(load(&rs, "\nprofile beos\n", err, sizeof err), -1);
    /* the list grows with the profile table */
    assert_int_equal(strncmp(err, want, strlen(want)), 0);
    assert_int_equal(err[strlen(err) - 1], ')');
    ruleset_free(&rs);
}

static void test_line_limits(void **state)
{
    (void)state;
    static char buf[4096];
    struct ruleset rs;
    char err[512];

    /* exactly 1024 characters: fine (padding in a comment) */
    size_t n = (size_t)snprintf(buf, sizeof buf, "* 80 open #");
    memset(buf + n, 'x', 1024 - n);
    buf[1024] = '\n';
    ruleset_init(&rs);
    assert_int_equal(ruleset_load_buf(&rs, "t", buf, 1025, err, sizeof err), 0);
    assert_int_equal(rs.n, 1);
    /* 1025: not fine, and the trailing CR of a CRLF line does not count */
    buf[1024] = '\r';
    buf[1025] = '\n';
    assert_int_equal(ruleset_load_buf(&rs, "t", buf, 1026, err, sizeof err), 0);
    buf[1024] = 'x';
    buf[1025] = '\n';
    assert_int_equal(ruleset_load_buf(&rs, "t", buf, 1026, err, sizeof err), -1);
    assert_string_equal(err, "t:1: line longer than 1024 characters");
    /* without a final newline */
    assert_int_equal(ruleset_load_buf(&rs, "t", buf, 1025, err, sizeof err), -1);
    assert_string_equal(err, "t:1: line longer than 1024 characters");
    ruleset_free(&rs);

    /* a NUL byte */
    ruleset_init(&rs);
    assert_int_equal(ruleset_load_buf(&rs, "t", "* 80 rst\n* 8\0 rst\n", 18, err, sizeof err), -1);
    assert_string_equal(err, "t:2: NUL byte in line");
    assert_int_equal(rs.n, 0);
    ruleset_free(&rs);
}

static void test_blank_and_comments(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512];
    ruleset_init(&rs);
    assert_int_equal(load(&rs, "", err, sizeof err), 0);
    assert_int_equal(load(&rs, "\n\n   \n\t\n# only a comment\n   # indented\n", err, sizeof err), 0);
    assert_int_equal(rs.n, 0);
    assert_int_equal(load(&rs, "\t*\t80\topen\techo   # trailing comment\n"
                               "198.18.0.1 81 rst#no space before it", err, sizeof err), 0);
    assert_int_equal(rs.n, 2);
    assert_true(pv(&rs.v[0].p, "echo"));
    assert_ptr_equal(rs.v[1].mode, mode_find("rst"));
    assert_string_equal(rs.v[1].where, "t.rules:2");
    ruleset_free(&rs);
}

static void test_match_order(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512];
    ruleset_init(&rs);
    /* a CLI rule comes first; then the file's */
    struct rule cli;
    memset(&cli, 0, sizeof cli);
    portset_add(&cli.ports, 80);
    cli.mode = mode_find("silent");
    mode_params_default(&cli.p);
    snprintf(cli.where, sizeof cli.where, "cli");
    assert_int_equal(ruleset_add(&rs, &cli), 0);
    assert_int_equal(load(&rs,
        "default unread read=10\n"
        "198.18.0.10 80,81 open\n"        /* 80 shadowed by the CLI rule */
        "198.18.0.8/30 81-90 delay\n"     /* .10:81 shadowed by the line above */
        "* 81 after-close\n"
        "198.18.0.0/16 * backlog\n", err, sizeof err), 0);
    assert_int_equal(rs.n, 5);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 10), 80), &rs.v[0]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 10), 81), &rs.v[1]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 9), 81), &rs.v[2]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 11), 90), &rs.v[2]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 12), 81), &rs.v[3]);
    assert_ptr_equal(ruleset_match(&rs, IP(10, 0, 0, 1), 81), &rs.v[3]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 200, 1), 5), &rs.v[4]);
    assert_string_equal(rs.v[4].where, "t.rules:5");
    const struct rule *d = ruleset_match(&rs, IP(10, 0, 0, 1), 82);
    assert_ptr_equal(d, &rs.dflt);
    assert_ptr_equal(d->mode, mode_find("unread"));
    assert_int_equal(pv(&d->p, "read"), 10);
    assert_string_equal(d->where, "t.rules:1");
    ruleset_free(&rs);
}

static void test_match_ipv6(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512];
    ruleset_init(&rs);
    assert_int_equal(load(&rs,
        "2001:2::10 80 open\n"
        "2001:2::/121 80,81 silent\n"     /* ::0-::7f */
        "198.18.0.0/15 80 delay\n"        /* IPv4 only */
        "* 82 unread\n", err, sizeof err), 0);
    static const uint8_t a10[16] = { 0x20, 0x01, 0, 2, [15] = 0x10 };
    static const uint8_t a7f[16] = { 0x20, 0x01, 0, 2, [15] = 0x7f };
    static const uint8_t a80[16] = { 0x20, 0x01, 0, 2, [15] = 0x80 };
    assert_ptr_equal(ruleset_match6(&rs, a10, 80), &rs.v[0]);
    assert_ptr_equal(ruleset_match6(&rs, a10, 81), &rs.v[1]);
    assert_ptr_equal(ruleset_match6(&rs, a7f, 80), &rs.v[1]);
    assert_ptr_equal(ruleset_match6(&rs, a80, 80), &rs.dflt);   /* past the /121 */
    assert_ptr_equal(ruleset_match6(&rs, a80, 82), &rs.v[3]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 10), 80), &rs.v[2]);
    assert_ptr_equal(ruleset_match(&rs, IP(198, 18, 0, 10), 82), &rs.v[3]);
    /* an IPv6 rule never takes an IPv4 address whose bits happen to fit */
    assert_ptr_equal(ruleset_match(&rs, 0x20010002u, 81), &rs.dflt);
    assert_int_equal(load(&rs, "2001:2::/129 80 rst\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "t.rules:1: bad prefix length in '2001:2::/129' (expected /0../128)"));
    assert_int_equal(load(&rs, "2001:2:::1 80 rst\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "bad address"));
    ruleset_free(&rs);
}

static void test_error_rolls_back(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512];
    ruleset_init(&rs);
    assert_int_equal(load(&rs, "* 80 open\n", err, sizeof err), 0);
    assert_int_equal(load(&rs, "profile linux\ndefault silent\n* 81 open\n* 82 open\n* 83 bad\n",
                          err, sizeof err), -1);
    assert_int_equal(rs.n, 1);
    assert_ptr_equal(rs.dflt.mode, mode_find("rst"));
    assert_string_equal(rs.profile, "");
    ruleset_free(&rs);
}

static void test_many_rules(void **state)
{
    (void)state;
    struct ruleset rs;
    char err[512], line[64];
    static char buf[1 << 16];
    size_t len = 0;
    for (unsigned i = 1; i <= 1000; i++) {
        int n = snprintf(line, sizeof line, "* %u %s\n", i, i % 2 ? "open" : "silent");
        memcpy(buf + len, line, (size_t)n);
        len += (size_t)n;
    }
    ruleset_init(&rs);
    assert_int_equal(ruleset_load_buf(&rs, "many", buf, len, err, sizeof err), 0);
    assert_int_equal(rs.n, 1000);
    assert_ptr_equal(ruleset_match(&rs, 1, 999)->mode, mode_find("open"));
    assert_ptr_equal(ruleset_match(&rs, 1, 1000)->mode, mode_find("silent"));
    assert_ptr_equal(ruleset_match(&rs, 1, 1001), &rs.dflt);
    ruleset_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_portset),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_load_crlf),
        cmocka_unit_test(test_load_bad_files),
        cmocka_unit_test(test_load_buf_errors),
        cmocka_unit_test(test_reply_keys),
        cmocka_unit_test(test_unknown_profile),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_blank_and_comments),
        cmocka_unit_test(test_match_order),
        cmocka_unit_test(test_match_ipv6),
        cmocka_unit_test(test_error_rolls_back),
        cmocka_unit_test(test_many_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
