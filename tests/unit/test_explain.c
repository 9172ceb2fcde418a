/* explain's tracker and classifier on frames built with the project's own templates
 * (crafter/wire/template.c; IPv6: crafter/wire/build6.c): one small conversation per cause,
 * each checked for its verdict, plus a normal connection (no finding), the flow size bound
 * and eviction. Every test runs over IPv4 and again over IPv6 (no IP ID, no DF there). The
 * ground truth of real kernels is the lab corpus (tests/explain); these pin the rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "build.h"
#include "craft.h"
#include "explain.h"

#define CLI 0xc6120102u    /* 198.18.1.2 */
#define SRV 0xc6120202u    /* 198.18.2.2 */
static const uint8_t CLI6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 1, [15] = 2 };   /* 2001:2:0:1::2 */
static const uint8_t SRV6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 2, [15] = 2 };   /* 2001:2:0:2::2 */
static bool fam6;          /* the group being run: IPv4 or IPv6 */
static const uint8_t MAC_C[6] = { 2, 0, 0, 0, 0, 1 }, MAC_S[6] = { 2, 0, 0, 0, 0, 2 };

struct got {
    int n;
    enum xcause cause[16];
    enum xby by[16];
};

struct ctx {
    struct xtrack t;
    struct tmpl_tcp4 tm;
    struct got got;
    uint16_t cport;
    uint32_t cisn, sisn;
    uint16_t cid, sid;
    uint8_t  last[2048];   /* the last frame seg() built (what an ICMP error quotes) */
    size_t   last_n;
};

static void on_rec(void *p, const struct xrst *r)
{
    struct ctx *c = p;
    struct verdict v;
    xclassify(r, &c->t.hosts, &v);
    if (c->got.n < 16) {
        c->got.cause[c->got.n] = v.cause;
        c->got.by[c->got.n] = v.by;
        c->got.n++;
    }
}

static void setup(struct ctx *c, uint32_t max_flows)
{
    char err[256];
    memset(c, 0, sizeof *c);
    assert_int_equal(xtrack_init(&c->t, max_flows, on_rec, c), 0);
    assert_int_equal(tmpl_tcp4_init(&c->tm, MAC_C, MAC_S, err), 0);
    c->cport = 40000;
    c->cisn = 1000;
    c->sisn = 5000;
    c->cid = 100;
    c->sid = 900;
}

/* One segment. seq/ack are relative to the sender's and the receiver's ISN unless abs. */
static void seg(struct ctx *c, double ts, bool from_srv, uint8_t flags, uint32_t seq, uint32_t ack,
                uint16_t len, uint8_t ttl, bool df, uint16_t win)
{
    uint8_t buf[2048], pay[1500];
    memset(pay, 'x', sizeof pay);
    struct ip4_spec ip = { .saddr = from_srv ? SRV : CLI, .daddr = from_srv ? CLI : SRV, .ttl = ttl,
                           .df = df, .id = from_srv ? c->sid++ : c->cid++ };
    if ((flags & TH_RST) && !(flags & TH_ACK))
        ip.id = 0;
    struct tcp_spec tc = { .sport = from_srv ? 80 : c->cport, .dport = from_srv ? c->cport : 80,
                           .seq = seq, .ack = ack, .flags = flags, .win = win };
    size_t n;
    if (fam6) {
        struct l3_spec l3 = { .v6 = true, .ip6 = { .hlim = ttl } };
        uint8_t hdr[60];
        memcpy(l3.ip6.saddr, from_srv ? SRV6 : CLI6, 16);
        memcpy(l3.ip6.daddr, from_srv ? CLI6 : SRV6, 16);
        size_t hl = build_tcp_hdr(hdr, &tc);
        n = build_l3_frame(buf, sizeof buf, from_srv ? MAC_S : MAC_C, from_srv ? MAC_C : MAC_S, &l3, 6, hdr, hl,
                           pay, len, 16, false);
    } else {
        n = tmpl_tcp4_build(&c->tm, buf, sizeof buf, from_srv ? MAC_S : MAC_C, from_srv ? MAC_C : MAC_S, &ip,
                            &tc, pay, len);
    }
    assert_true(n > 0);
    memcpy(c->last, buf, n);
    c->last_n = n;
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    xtrack_frame(&c->t, &f, ts);
}

/* An ICMP (ICMPv6) destination unreachable from the server's address or a router's (last
 * byte 1), quoting the IP header and 8 bytes of the last frame built. */
static void unreach(struct ctx *c, double ts, bool from_host, uint8_t code)
{
    uint8_t buf[256], icmp[8] = { fam6 ? 1 : 3, code };
    struct l3_spec l3 = { .v6 = fam6, .ip4 = { .saddr = from_host ? SRV : CLI - 1, .daddr = CLI, .ttl = 64 },
                          .ip6 = { .hlim = 64 } };
    memcpy(l3.ip6.saddr, from_host ? SRV6 : CLI6, 16);
    if (!from_host)
        l3.ip6.saddr[15] = 1;                    /* 2001:2:0:1::1, the router */
    memcpy(l3.ip6.daddr, CLI6, 16);
    size_t q = (fam6 ? 40 : 20) + 8;
    size_t n = build_l3_frame(buf, sizeof buf, MAC_S, MAC_C, &l3, fam6 ? 58 : 1, icmp, sizeof icmp,
                              c->last + 14, q, 2, false);
    assert_true(n > 0);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, n), PKT_OK);
    xtrack_frame(&c->t, &f, ts);
}

/* relative helpers: C = from the client, S = from the server */
#define C(c, ts, fl, s, a, l) seg(c, ts, false, fl, (c)->cisn + (s), (a) ? (c)->sisn + (a) : 0, l, 64, true, 502)
#define S(c, ts, fl, s, a, l) seg(c, ts, true, fl, (c)->sisn + (s), (a) ? (c)->cisn + (a) : 0, l, 63, true, 509)

static void handshake(struct ctx *c, double t)
{
    seg(c, t, false, TH_SYN, c->cisn, 0, 0, 64, true, 64240);
    seg(c, t + 0.001, true, TH_SYN | TH_ACK, c->sisn, c->cisn + 1, 0, 63, true, 65160);
    C(c, t + 0.002, TH_ACK, 1, 1, 0);
}

static void expect_one(struct ctx *c, enum xcause cause, enum xby by)
{
    xtrack_flush(&c->t);
    assert_int_equal(c->got.n, 1);
    assert_string_equal(xcause_name(c->got.cause[0]), xcause_name(cause));
    assert_int_equal(c->got.by[0], by);
    xtrack_free(&c->t);
}

static void flow_fits(void **st)
{
    (void)st;
    assert_true(sizeof(struct xflow) <= 256);
}

static void normal_connection(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 100);
    S(&c, 1.004, TH_PSH | TH_ACK, 1, 101, 500);
    C(&c, 1.005, TH_FIN | TH_ACK, 101, 501, 0);
    S(&c, 1.006, TH_FIN | TH_ACK, 501, 102, 0);
    C(&c, 1.007, TH_ACK, 102, 502, 0);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 0);
    xtrack_free(&c.t);
}

static void closed_port(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    seg(&c, 1.0, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    seg(&c, 1.0001, true, TH_RST | TH_ACK, 0, c.cisn + 1, 0, 63, true, 0);
    expect_one(&c, XC_CLOSED_PORT, XBY_SERVER);
}

static void firewall_reject(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);                     /* the host's own packets: TTL 63 */
    C(&c, 1.003, TH_FIN | TH_ACK, 1, 1, 0);
    S(&c, 1.004, TH_FIN | TH_ACK, 1, 2, 0);
    C(&c, 1.005, TH_ACK, 2, 2, 0);
    c.cport = 40001;
    seg(&c, 2.0, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    seg(&c, 2.0001, true, TH_RST | TH_ACK, 0, c.cisn + 1, 0, 64, true, 0);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 1);
    assert_int_equal(c.got.cause[0], XC_FIREWALL_REJECT);
    assert_int_equal(c.got.by[0], XBY_ONPATH);
    xtrack_free(&c.t);
}

static void no_answer(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    for (int i = 0; i < 3; i++)
        seg(&c, 1.0 + i * 1.5, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    expect_one(&c, XC_NO_ANSWER, XBY_SERVER);
}

static void client_abort(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    seg(&c, 1.0, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    seg(&c, 1.3, true, TH_SYN | TH_ACK, c.sisn, c.cisn + 1, 0, 63, true, 65160);
    seg(&c, 1.3001, false, TH_RST, c.cisn + 1, 0, 0, 64, true, 0);
    expect_one(&c, XC_CLIENT_ABORT, XBY_CLIENT);
}

static void abortive_close(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 1000);
    S(&c, 1.004, TH_ACK, 1, 1001, 0);
    S(&c, 1.2, TH_RST | TH_ACK, 1, 1001, 0);
    expect_one(&c, XC_ABORTIVE_CLOSE, XBY_SERVER);
}

static void data_after_close(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 100);
    S(&c, 1.004, TH_FIN | TH_ACK, 1, 101, 0);
    C(&c, 1.005, TH_ACK, 101, 2, 0);
    C(&c, 1.3, TH_PSH | TH_ACK, 101, 2, 100);
    seg(&c, 1.3001, true, TH_RST, c.sisn + 2, 0, 0, 63, true, 0);
    expect_one(&c, XC_DATA_AFTER_CLOSE, XBY_SERVER);
}

static void backlog_overflow(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    seg(&c, 1.0021, true, TH_RST, c.sisn + 1, 0, 0, 63, true, 0);
    expect_one(&c, XC_BACKLOG_OVERFLOW, XBY_SERVER);
}

/* The first RST was lost on its way: the client retransmits 2.7 s later, after the hold,
 * and draws the same RST again. Still the backlog, not a connection that starts mid-stream. */
static void backlog_overflow_repeated(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    seg(&c, 1.0021, true, TH_RST, c.sisn + 1, 0, 0, 63, true, 0);
    C(&c, 3.7, TH_PSH | TH_ACK, 1, 1, 100);
    seg(&c, 3.7001, true, TH_RST, c.sisn + 1, 0, 0, 63, true, 0);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 2);
    assert_string_equal(xcause_name(c.got.cause[0]), "backlog-overflow");
    assert_string_equal(xcause_name(c.got.cause[1]), "backlog-overflow");
    xtrack_free(&c.t);
}

/* A killed socket: its data and its RST|ACK (seq ISN+7) reordered behind the bare RST that
 * answered the client's next segment. That server had a socket: not the backlog. */
static void abort_reordered_behind_stale(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 1.3, TH_PSH | TH_ACK, 1, 1, 5);
    seg(&c, 1.304, true, TH_RST, c.sisn + 1, 0, 0, 63, true, 0);
    S(&c, 1.31, TH_RST | TH_ACK, 7, 1, 0);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 2);
    assert_string_equal(xcause_name(c.got.cause[0]), "stale-connection");
    assert_string_equal(xcause_name(c.got.cause[1]), "abortive-close");
    xtrack_free(&c.t);
}

/* The server acked the first segment, then a bare RST for the next one 50 us later: its FIN
 * (data after close) or its RST|ACK (abortive close) was lost, and the wire cannot say which
 * (the lab corpus has both): stale, with both named in the note. */
static void recent_ack_then_bare_rst(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 1.003, TH_ACK, 1, 1, 1448);
    C(&c, 1.0031, TH_PSH | TH_ACK, 1449, 1, 1200);
    S(&c, 1.0035, TH_ACK, 1, 1449, 0);
    seg(&c, 1.00355, true, TH_RST, c.sisn + 1, 0, 0, 63, true, 0);
    expect_one(&c, XC_STALE, XBY_SERVER);
}

/* The client closed (FIN) and the server's data reached it: the client's kernel answers
 * with a bare RST 15 us later, and a forger's burst to the client follows at once. The
 * client's own RST is not half of a both-ends pair. */
static void data_after_close_then_forged_burst(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 4.0, TH_FIN | TH_ACK, 1, 1, 0);
    S(&c, 4.0175, TH_PSH | TH_ACK, 1, 2, 1000);
    seg(&c, 4.017515, false, TH_RST, c.cisn + 2, 0, 0, 64, true, 0);
    seg(&c, 4.01756, true, TH_RST, c.sisn + 1001, 0, 0, 63, true, 16384);
    seg(&c, 4.01763, true, TH_RST, c.sisn + 2461, 0, 0, 63, true, 16384);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 3);
    assert_string_equal(xcause_name(c.got.cause[0]), "data-after-close");
    assert_int_equal(c.got.by[0], XBY_CLIENT);
    assert_string_equal(xcause_name(c.got.cause[1]), "injected");
    assert_string_equal(xcause_name(c.got.cause[2]), "injected");
    xtrack_free(&c.t);
}

static void stale_connection(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    S(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 10);
    C(&c, 1.004, TH_ACK, 1, 11, 0);
    C(&c, 5.0, TH_PSH | TH_ACK, 1, 11, 20);
    seg(&c, 5.0001, true, TH_RST, c.sisn + 11, 0, 0, 63, true, 0);
    expect_one(&c, XC_STALE, XBY_SERVER);
}

static void keepalive_timeout(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 2.0, TH_ACK, 0, 1, 0);
    C(&c, 3.0, TH_ACK, 0, 1, 0);
    C(&c, 4.0, TH_RST | TH_ACK, 1, 1, 0);
    expect_one(&c, XC_KEEPALIVE, XBY_CLIENT);
}

static void injected_race(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    S(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 1000);
    seg(&c, 1.0031, true, TH_RST | TH_ACK, c.sisn + 1001, c.cisn + 1, 0, 50, false, 8192);
    S(&c, 1.1, TH_PSH | TH_ACK, 1001, 1, 1000);
    xtrack_flush(&c.t);
    assert_true(c.got.n >= 1);
    assert_int_equal(c.got.cause[0], XC_INJECTED);
    assert_int_equal(c.got.by[0], XBY_ONPATH);
    xtrack_free(&c.t);
}

static void challenge_ack(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    S(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 1000);
    C(&c, 1.004, TH_ACK, 1, 1001, 0);
    seg(&c, 1.1, true, TH_RST, c.sisn + 1777, 0, 0, 64, true, 0);
    C(&c, 1.1001, TH_ACK, 1, 1001, 0);
    S(&c, 1.5, TH_PSH | TH_ACK, 1001, 1, 1000);
    C(&c, 1.501, TH_ACK, 1, 2001, 0);
    expect_one(&c, XC_CHALLENGE_ACK, XBY_ONPATH);
}

/* Mid-connection, a bare RST with window 0 answering the client's segment, one hop nearer
 * than the server (TTL 64, the server's 63): a firewall's reject in the server's name. */
static void firewall_reject_midconnection(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    C(&c, 1.003, TH_PSH | TH_ACK, 1, 1, 500);
    seg(&c, 1.0031, true, TH_RST, c.sisn + 1, 0, 0, 64, true, 0);
    expect_one(&c, XC_FIREWALL_REJECT, XBY_ONPATH);
}

/* The server's data is lost, then its socket aborts (RST|ACK past the client's RCV.NXT);
 * the client's challenge ACK meets no socket: a bare RST seq ISN+1 right after a handshake
 * that is not a full accept queue. */
static void abort_then_challenge_ack(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    handshake(&c, 1.0);
    S(&c, 1.3, TH_RST | TH_ACK, 7, 1, 0);
    C(&c, 1.3001, TH_ACK, 1, 1, 0);
    seg(&c, 1.3002, true, TH_RST, c.sisn + 1, 0, 0, 63, true, 0);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 2);
    assert_string_equal(xcause_name(c.got.cause[0]), "abortive-close");
    assert_string_equal(xcause_name(c.got.cause[1]), "stale-connection");
    xtrack_free(&c.t);
}

/* A SYN refused with an ICMP error: the server's own port unreachable (its firewall), a
 * router's administratively prohibited; an error quoting another ISN is not about it. */
static void icmp_refusals(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 64);
    seg(&c, 1.0, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    unreach(&c, 1.0002, true, fam6 ? 4 : 3);
    c.cport = 40001;
    seg(&c, 2.0, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    unreach(&c, 2.0002, false, fam6 ? 1 : 13);
    c.cport = 40002;
    seg(&c, 3.0, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    c.last[14 + (fam6 ? 40 : 20) + 4] ^= 1;       /* the quote's seq: not this SYN's */
    unreach(&c, 3.0002, true, fam6 ? 4 : 3);
    xtrack_flush(&c.t);
    assert_int_equal(c.got.n, 2);
    assert_string_equal(xcause_name(c.got.cause[0]), "icmp-reject");
    assert_int_equal(c.got.by[0], XBY_SERVER);
    assert_string_equal(xcause_name(c.got.cause[1]), "icmp-reject");
    assert_int_equal(c.got.by[1], XBY_ONPATH);
    xtrack_free(&c.t);
}

static void eviction(void **st)
{
    (void)st;
    struct ctx c;
    setup(&c, 2);
    for (int i = 0; i < 5; i++) {
        c.cport = (uint16_t)(41000 + i);
        seg(&c, 1.0 + i * 0.001, false, TH_SYN, c.cisn, 0, 0, 64, true, 64240);
    }
    assert_int_equal(c.t.evicted, 3);
    xtrack_flush(&c.t);
    xtrack_free(&c.t);
}

static int use_v4(void **st)
{
    (void)st;
    fam6 = false;
    return 0;
}

static int use_v6(void **st)
{
    (void)st;
    fam6 = true;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flow_fits),
        cmocka_unit_test(normal_connection),
        cmocka_unit_test(closed_port),
        cmocka_unit_test(firewall_reject),
        cmocka_unit_test(no_answer),
        cmocka_unit_test(client_abort),
        cmocka_unit_test(abortive_close),
        cmocka_unit_test(data_after_close),
        cmocka_unit_test(backlog_overflow),
        cmocka_unit_test(backlog_overflow_repeated),
        cmocka_unit_test(data_after_close_then_forged_burst),
        cmocka_unit_test(recent_ack_then_bare_rst),
        cmocka_unit_test(abort_reordered_behind_stale),
        cmocka_unit_test(stale_connection),
        cmocka_unit_test(keepalive_timeout),
        cmocka_unit_test(injected_race),
        cmocka_unit_test(challenge_ack),
        cmocka_unit_test(firewall_reject_midconnection),
        cmocka_unit_test(abort_then_challenge_ack),
        cmocka_unit_test(icmp_refusals),
        cmocka_unit_test(eviction),
    };
    int failed = cmocka_run_group_tests_name("explain over IPv4", tests, use_v4, NULL);
    return failed + cmocka_run_group_tests_name("explain over IPv6", tests, use_v6, NULL);
}
