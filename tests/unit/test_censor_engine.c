/* The censor engine driven through its send hook with frames built here: what it forges
 * (ends, seq/ack, fingerprint), and how each tracking model answers the evasion moves
 * Geneva and INTANG describe: a teardown RST that never reaches the server (low TTL), the
 * request split over two segments, and a second SYN with another ISN. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "censor.h"
#include "craft.h"
#include "csum.h"

#define CIP 0xc6120001u   /* 198.18.0.1 */
#define SIP 0xc6120002u   /* 198.18.0.2 */
#define CPORT 40000
#define SPORT 80
#define ISN 1000u
#define SISN 500000u

static const uint8_t cmac[6] = { 2, 0, 0, 0, 0, 1 }, smac[6] = { 2, 0, 0, 0, 0, 2 };
static struct tmpl_tcp4 T;
static struct frame sent[64];
static uint8_t sentbuf[64][256];
static size_t nsent, ntrig;

static void on_send(void *user, const uint8_t *frame, size_t len)
{
    (void)user;
    assert_true(nsent < 64 && len <= 256);
    memcpy(sentbuf[nsent], frame, len);
    assert_int_equal(pkt_parse(&sent[nsent], sentbuf[nsent], len), PKT_OK);
    nsent++;
}

static void on_event(void *user, const struct censor_event *ev)
{
    (void)user;
    if (ev->kind == CEV_TRIGGER)
        ntrig++;
}

static void start(struct censor *c, const char *inj, enum tcb_model m)
{
    memset(c, 0, sizeof *c);
    static const char *host = "blocked.test";
    c->o.host[c->o.nhost++] = host;
    c->o.inj = injector_find(inj);
    c->o.tcb = m;
    c->o.residual_s = 0;
    c->o.max_flows = 64;
    c->o.seed = 7;
    c->send = on_send;
    c->event = on_event;
    char err[256];
    assert_int_equal(censor_init(c, err, sizeof err), 0);
    nsent = ntrig = 0;
}

/* One segment into the engine: from the client (to_server) or from the server. */
static void seg(struct censor *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                const char *data, uint8_t ttl)
{
    static uint8_t buf[2048];
    static uint64_t now = 1;
    struct ip4_spec ip = { .saddr = from_client ? CIP : SIP, .daddr = from_client ? SIP : CIP,
                           .ttl = ttl, .df = true };
    struct tcp_spec t = { .sport = from_client ? CPORT : SPORT, .dport = from_client ? SPORT : CPORT,
                          .seq = seq, .ack = ack, .flags = flags, .win = 502 };
    size_t dl = data ? strlen(data) : 0;
    size_t len = tmpl_tcp4_build(&T, buf, sizeof buf, from_client ? cmac : smac, from_client ? smac : cmac,
                                 &ip, &t, (const uint8_t *)data, dl);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, len), PKT_OK);
    censor_input(c, &f, now += 1000000);
}

static void handshake(struct censor *c)
{
    seg(c, true, TH_SYN, ISN, 0, NULL, 64);
    seg(c, false, TH_SYN | TH_ACK, SISN, ISN + 1, NULL, 64);
    seg(c, true, TH_ACK, ISN + 1, SISN + 1, NULL, 64);
}

static const char *REQ = "GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n";

static void gfw2_resets_both_ends_exactly(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw2", TCB_STRICT);
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    uint32_t end = ISN + 1 + (uint32_t)strlen(REQ);
    assert_int_equal(ntrig, 1);
    assert_int_equal(nsent, 6);
    for (size_t i = 0; i < 3; i++) {   /* to the client: seq = its RCV.NXT */
        assert_int_equal(sent[i].daddr, CIP);
        assert_int_equal(sent[i].saddr, SIP);
        assert_memory_equal(sent[i].eth_dst, cmac, 6);
        assert_memory_equal(sent[i].eth_src, smac, 6);
        assert_int_equal(sent[i].flags, TH_RST | TH_ACK);
        assert_int_equal(sent[i].seq, SISN + 1);
        assert_int_equal(sent[i].ack, end);
        assert_true(sent[i].df);
        assert_int_equal(sent[i].ttl, sent[0].ttl);    /* identical copies */
        assert_int_equal(sent[i].ip_id, sent[0].ip_id);
        assert_true(sent[i].ttl >= 39 && sent[i].ttl <= 238);
        assert_true(sent[i].ip_id >= 163 && sent[i].ip_id <= 65119);
    }
    for (size_t i = 3; i < 6; i++) {   /* to the server: seq = the end of the request */
        assert_int_equal(sent[i].daddr, SIP);
        assert_int_equal(sent[i].seq, end);
        assert_int_equal(sent[i].ack, SISN + 1);
    }
    censor_free(&c);
}

static void henan_clayton_geneva(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "henan", TCB_STRICT);
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent[0].daddr, CIP);
    assert_int_equal(sent[0].payload_len, 10);
    assert_memory_equal(sent[0].payload, "\1\2\3\4\5\6\7\10\11\0", 10);
    assert_int_equal(sent[0].ttl, 58);
    assert_int_equal(sent[0].ip_id, 1);
    assert_false(sent[0].df);
    censor_free(&c);

    start(&c, "clayton", TCB_STRICT);
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    assert_int_equal(nsent, 6);
    assert_int_equal(sent[0].seq, SISN + 1);
    assert_int_equal(sent[1].seq, SISN + 1 + 1460);
    assert_int_equal(sent[2].seq, SISN + 1 + 4380);
    censor_free(&c);

    start(&c, "geneva", TCB_STRICT);
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    assert_int_equal(nsent, 10);
    assert_int_equal(sent[0].flags, TH_RST);
    assert_int_equal(sent[0].ack, ISN + 1 + strlen(REQ));   /* scapy fills it anyway */
    assert_int_equal(sent[0].win, 8192);
    assert_int_equal(sent[0].ttl, 64);
    assert_int_equal(sent[0].ip_id, 1);
    censor_free(&c);
}

/* Each move, then the request; returns whether the censor fired. */
enum move { MOVE_NONE, MOVE_LOW_TTL_RST, MOVE_SPLIT, MOVE_SECOND_SYN };

static bool fired_after(enum tcb_model m, enum move mv)
{
    struct censor c;
    start(&c, "gfw1", m);
    handshake(&c);
    switch (mv) {
    case MOVE_NONE:
        seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
        break;
    case MOVE_LOW_TTL_RST:
        /* exact seq, a TTL that expires before the server */
        seg(&c, true, TH_RST, ISN + 1, 0, NULL, 3);
        seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
        break;
    case MOVE_SPLIT: {
        const char *a = "GET / HTTP/1.1\r\nHo", *b = "st: blocked.test\r\n\r\n";
        seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, a, 64);
        seg(&c, true, TH_PSH | TH_ACK, ISN + 1 + (uint32_t)strlen(a), SISN + 1, b, 64);
        break;
    }
    case MOVE_SECOND_SYN:
        seg(&c, true, TH_SYN, ISN + 777777, 0, NULL, 64);
        seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
        break;
    }
    bool fired = ntrig > 0;
    censor_free(&c);
    return fired;
}

static void models_against_moves(void **state)
{
    (void)state;
    /*                         none  low-TTL RST  split  second SYN */
    static const bool expect[4][4] = {
        [TCB_STRICT]     = { true, true,  true,  true },
        [TCB_SYN_ONLY]   = { true, true,  false, false },
        [TCB_TEARDOWN]   = { true, false, true,  false },
        [TCB_REASSEMBLE] = { true, true,  true,  false },
    };
    for (int m = 0; m < 4; m++)
        for (int mv = 0; mv < 4; mv++) {
            bool got = fired_after((enum tcb_model)m, (enum move)mv);
            if (got != expect[m][mv])
                fail_msg("--tcb %s, move %d: fired %d, expected %d", tcb_name((enum tcb_model)m), mv, got,
                         expect[m][mv]);
        }
}

static void out_of_order_request_reassembled(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw1", TCB_STRICT);
    handshake(&c);
    const char *a = "GET / HTTP/1.1\r\nHo", *b = "st: blocked.test\r\n\r\n";
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1 + (uint32_t)strlen(a), SISN + 1, b, 64);
    assert_int_equal(ntrig, 0);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, a, 64);
    assert_int_equal(ntrig, 1);
    censor_free(&c);
}

/* A request decided by its first segment is read in place: it is censored even when every
 * inspection buffer is lent out (idle connections that sent a few bytes hold them); one
 * that needs a second segment does need a buffer, and without one it is counted. */
static void first_segment_needs_no_buffer(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw1", TCB_STRICT);
    uint16_t free_n = c.t.buf_free_n;
    c.t.buf_free_n = 0;                       /* every buffer lent */
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    assert_int_equal(ntrig, 1);
    assert_int_equal(c.t.no_buffer, 0);
    assert_int_equal(nsent, 2);               /* gfw1: one to each end */
    c.t.buf_free_n = free_n;
    censor_free(&c);

    start(&c, "gfw1", TCB_STRICT);
    c.t.buf_free_n = 0;
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, "GET / HTTP/1.1\r\nHo", 64);
    assert_int_equal(ntrig, 0);
    assert_int_equal(c.t.no_buffer, 1);
    c.t.buf_free_n = free_n;
    censor_free(&c);
}

/* The spinner's rehearsal (censor_warm.c) goes the whole way from handshake to forged
 * resets on its own scratch engine, every time it runs, and touches nothing of the live
 * engine: no frame reaches the live send hook, no event, no flow, no counter. */
static void rehearsal_is_whole_and_apart(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw2", TCB_STRICT);
    struct censor_warm w;
    assert_int_equal(censor_warm_init(&w, &c.o), 0);
    for (uint64_t i = 1; i <= 3; i++)
        censor_warm_run(&w, i * 20000);
    assert_int_equal(w.c.st.triggers, 3);      /* every rehearsal reached fire() */
    assert_int_equal(w.c.st.forged, 18);       /* and forged gfw2's six */
    assert_int_equal(nsent, 0);
    assert_int_equal(ntrig, 0);
    assert_int_equal(c.st.frames, 0);
    assert_int_equal(c.t.used, 0);
    censor_warm_free(&w);

    c.o.nhost = 0;                             /* a keyword rule is rehearsed too */
    static const char *kw = "forbidden";
    c.o.keyword[c.o.nkeyword++] = kw;
    assert_int_equal(censor_warm_init(&w, &c.o), 0);
    censor_warm_run(&w, 20000);
    assert_int_equal(w.c.st.triggers, 1);
    censor_warm_free(&w);
    censor_free(&c);
}

static void residual_blocks_then_expires(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw3", TCB_STRICT);
    c.o.residual_s = 90;
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    size_t before = nsent;
    seg(&c, true, TH_SYN, ISN + 5, 0, NULL, 64);   /* the same 4-tuple again: a new connection */
    assert_int_equal(c.st.residual_hits, 1);
    assert_int_equal(nsent, before + 1);
    censor_free(&c);

    start(&c, "gfw3", TCB_STRICT);
    c.o.residual_s = 90;
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    before = nsent;
    /* another source port: a new connection on the blocked (client, server, port) */
    struct frame f;
    uint8_t buf[128];
    struct ip4_spec ip = { .saddr = CIP, .daddr = SIP, .ttl = 64 };
    struct tcp_spec t = { .sport = CPORT + 1, .dport = SPORT, .seq = 42, .flags = TH_SYN, .win = 502 };
    size_t len = tmpl_tcp4_build(&T, buf, sizeof buf, cmac, smac, &ip, &t, NULL, 0);
    pkt_parse(&f, buf, len);
    censor_input(&c, &f, 2000000000ull);
    assert_int_equal(c.st.residual_hits, 1);
    assert_int_equal(nsent, before + 1);
    assert_int_equal(sent[before].flags, TH_RST | TH_ACK);   /* ACKs the SYN: believed in SYN_SENT */
    assert_int_equal(sent[before].ack, 43);
    /* 90 s later the block is gone */
    t.sport = CPORT + 2;
    len = tmpl_tcp4_build(&T, buf, sizeof buf, cmac, smac, &ip, &t, NULL, 0);
    pkt_parse(&f, buf, len);
    censor_input(&c, &f, 2000000000ull + 91000000000ull);
    assert_int_equal(c.st.residual_hits, 1);
    censor_free(&c);
}

static void reused_port_is_a_new_connection(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw1", TCB_STRICT);
    c.o.residual_s = 0;
    handshake(&c);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    assert_int_equal(ntrig, 1);
    /* the same source port again, after the first connection was reset */
    seg(&c, true, TH_SYN, ISN + 99999, 0, NULL, 64);
    seg(&c, false, TH_SYN | TH_ACK, SISN + 7, ISN + 100000, NULL, 64);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 100000, SISN + 8, REQ, 64);
    assert_int_equal(ntrig, 2);
    /* and after one closed both ways */
    censor_free(&c);
    start(&c, "gfw1", TCB_STRICT);
    c.o.residual_s = 0;
    handshake(&c);
    seg(&c, true, TH_FIN | TH_ACK, ISN + 1, SISN + 1, NULL, 64);
    seg(&c, false, TH_FIN | TH_ACK, SISN + 1, ISN + 2, NULL, 64);
    seg(&c, true, TH_SYN, ISN + 99999, 0, NULL, 64);
    seg(&c, false, TH_SYN | TH_ACK, SISN + 7, ISN + 100000, NULL, 64);
    seg(&c, true, TH_PSH | TH_ACK, ISN + 100000, SISN + 8, REQ, 64);
    assert_int_equal(ntrig, 1);
    censor_free(&c);
}

/* ---- IPv6: the same engine, addresses from 2001:2::/48 ---- */
static const uint8_t C6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t S6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

/* An Ethernet + IPv6 + TCP frame from src to dst into buf; returns its length. */
static size_t frame6(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16], bool from_client,
                     const struct tcp_spec *t, const char *data, uint8_t hlim)
{
    struct l3_spec l3 = { .v6 = true, .ip6 = { .hlim = hlim } };
    memcpy(l3.ip6.saddr, src, 16);
    memcpy(l3.ip6.daddr, dst, 16);
    uint8_t hdr[60];
    size_t hl = build_tcp_hdr(hdr, t);
    size_t dl = data ? strlen(data) : 0;
    return build_l3_frame(buf, cap, from_client ? cmac : smac, from_client ? smac : cmac, &l3, 6, hdr, hl,
                          (const uint8_t *)data, dl, 16, false);
}

static void seg6(struct censor *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                 const char *data, uint8_t hlim)
{
    static uint8_t buf[2048];
    static uint64_t now = 1;
    struct tcp_spec t = { .sport = from_client ? CPORT : SPORT, .dport = from_client ? SPORT : CPORT,
                          .seq = seq, .ack = ack, .flags = flags, .win = 502 };
    size_t len = frame6(buf, sizeof buf, from_client ? C6 : S6, from_client ? S6 : C6, from_client, &t, data,
                        hlim);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, len), PKT_OK);
    censor_input(c, &f, now += 1000000);
}

static void ipv6_resets_at_exact_seq_hop_limit_for_ttl(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw2", TCB_STRICT);
    seg6(&c, true, TH_SYN, ISN, 0, NULL, 64);
    seg6(&c, false, TH_SYN | TH_ACK, SISN, ISN + 1, NULL, 64);
    seg6(&c, true, TH_ACK, ISN + 1, SISN + 1, NULL, 64);
    seg6(&c, true, TH_PSH | TH_ACK, ISN + 1, SISN + 1, REQ, 64);
    uint32_t end = ISN + 1 + (uint32_t)strlen(REQ);
    assert_int_equal(ntrig, 1);
    assert_int_equal(nsent, 6);
    for (size_t i = 0; i < 6; i++) {
        bool to_client = i < 3;
        assert_int_equal(sent[i].l3, L3_IPV6);
        assert_memory_equal(sent[i].daddr6, to_client ? C6 : S6, 16);
        assert_memory_equal(sent[i].saddr6, to_client ? S6 : C6, 16);
        assert_int_equal(sent[i].flags, TH_RST | TH_ACK);
        assert_int_equal(sent[i].seq, to_client ? SISN + 1 : end);
        assert_int_equal(sent[i].ack, to_client ? end : SISN + 1);
        /* the TTL draw is the hop limit; the copies of a burst identical */
        assert_true(sent[i].ttl >= 39 && sent[i].ttl <= 238);
        assert_int_equal(sent[i].ttl, sent[to_client ? 0 : 3].ttl);
        assert_int_equal(sent[i].flowlabel, 0);
        assert_int_equal(sent[i].tos, 0);
        /* the checksum the receiver checks */
        size_t l4 = (size_t)sent[i].ip_totlen - sent[i].ip_hlen;
        assert_int_equal(csum_fold(csum_partial(sentbuf[i] + sent[i].l4_off, l4,
                                                csum_pseudo6(sent[i].saddr6, sent[i].daddr6, 6, (uint32_t)l4))), 0);
    }
    censor_free(&c);
}

static void ipv6_dst_prefix_blocks_at_syn(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw1", TCB_STRICT);
    c.o.nhost = 0;
    memcpy(c.o.dst[0].addr.a, S6, 16);
    c.o.dst[0].addr.a[15] = 0;
    c.o.dst[0].plen = 112;           /* 2001:2::/112 */
    c.o.ndst = 1;
    seg6(&c, true, TH_SYN, ISN, 0, NULL, 64);
    assert_int_equal(ntrig, 1);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent[0].l3, L3_IPV6);
    assert_int_equal(sent[0].flags, TH_RST | TH_ACK);   /* an RST answering a SYN acks it */
    assert_int_equal(sent[0].ack, ISN + 1);
    /* an IPv4 destination is not in an IPv6 block */
    c.o.dst[0].plen = 16;
    seg(&c, true, TH_SYN, ISN, 0, NULL, 64);
    assert_int_equal(ntrig, 1);
    censor_free(&c);
}

static void ipv6_with_mapped_addresses_is_malformed(void **state)
{
    (void)state;
    struct censor c;
    start(&c, "gfw2", TCB_STRICT);
    c.o.port[c.o.nport++] = SPORT;
    /* an IPv6 SYN from ::ffff:198.18.0.1 would pass for the IPv4 client's flow */
    static uint8_t buf[256];
    static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1 };
    struct tcp_spec t = { .sport = CPORT, .dport = SPORT, .seq = ISN, .flags = TH_SYN, .win = 502 };
    size_t len = frame6(buf, sizeof buf, mapped, S6, true, &t, NULL, 64);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, len), PKT_OK);
    censor_input(&c, &f, 1);
    assert_int_equal(c.st.malformed, 1);
    assert_int_equal(c.st.flows, 0);
    assert_int_equal(nsent, 0);
    censor_free(&c);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    static const uint8_t z[6];
    return tmpl_tcp4_init(&T, z, z, err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gfw2_resets_both_ends_exactly),
        cmocka_unit_test(henan_clayton_geneva),
        cmocka_unit_test(models_against_moves),
        cmocka_unit_test(out_of_order_request_reassembled),
        cmocka_unit_test(first_segment_needs_no_buffer),
        cmocka_unit_test(rehearsal_is_whole_and_apart),
        cmocka_unit_test(residual_blocks_then_expires),
        cmocka_unit_test(reused_port_is_a_new_connection),
        cmocka_unit_test(ipv6_resets_at_exact_seq_hop_limit_for_ttl),
        cmocka_unit_test(ipv6_dst_prefix_blocks_at_syn),
        cmocka_unit_test(ipv6_with_mapped_addresses_is_malformed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
