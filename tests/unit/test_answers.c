/* Profile answers: which case a stray segment is, the answer's fields, nmap's probe
 * shapes, option strings, CRC forging for RST data, the generators' classes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "profile_ext.h"

static const struct profile linuxish = {
    .name = "t", .ttl = 64, .df = true, .ipid_synack = IPID_ZERO, .ipid_flow = IPID_PER_FLOW,
    .ipid_reset = IPID_ZERO, .synack_win = 65160, .mss = 1460, .wscale = 10, .sack = true,
    .ts = true, .ts_hz = 1000, .reset_win = 0,
};

static void test_stray_kind(void **state)
{
    (void)state;
    assert_int_equal(stray_kind_of(true, 0), STRAY_OPEN_NOFLAGS);
    assert_int_equal(stray_kind_of(true, TH_FIN | TH_PSH | TH_URG), STRAY_OPEN_NOFLAGS);
    assert_int_equal(stray_kind_of(true, TH_SYN | TH_FIN | TH_URG | TH_PSH), STRAY_OPEN_SYNFIN);
    assert_int_equal(stray_kind_of(true, TH_ACK), STRAY_OPEN_ACK);
    assert_int_equal(stray_kind_of(true, TH_SYN | TH_ACK), STRAY_OPEN_ACK);
    assert_int_equal(stray_kind_of(true, TH_SYN), STRAY_N);
    assert_int_equal(stray_kind_of(true, TH_RST | TH_ACK), STRAY_N);
    assert_int_equal(stray_kind_of(false, TH_SYN), STRAY_CLOSED_SYN);
    assert_int_equal(stray_kind_of(false, TH_ACK), STRAY_CLOSED_ACK);
    assert_int_equal(stray_kind_of(false, TH_FIN | TH_PSH | TH_URG), STRAY_CLOSED_OTHER);
    assert_int_equal(stray_kind_of(false, TH_RST), STRAY_N);
}

static struct frame seg(uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
    struct frame f;
    memset(&f, 0, sizeof f);
    f.l3 = L3_IPV4; f.l4 = L4_TCP; f.saddr = 0xc6120002u; f.daddr = 0xc6120001u;
    f.sport = 40000; f.dport = 81; f.seq = seq; f.ack = ack; f.flags = flags; f.payload_len = len;
    return f;
}

static void test_linux_default_answers(void **state)
{
    (void)state;
    struct profile_answers a;
    profile_answers_default(&linuxish, &a);
    assert_int_equal(a.synack_win[3], 65160);
    assert_int_equal(a.synack_win[0], 64240);
    assert_int_equal(synack_window(&linuxish, &a, 1), 64240);
    struct ip4_spec ip;
    struct tcp_spec t;
    uint8_t opts[TCPOPT_MAXLEN], data[4];
    size_t dl;
    /* SCENARIOS.md: SYN to a closed port -> RST|ACK seq 0 ack ISN+1 win 0 DF ttl 64 */
    struct frame f = seg(TH_SYN, 1000, 0, 0);
    assert_true(stray_answer_fill(&a.stray[STRAY_CLOSED_SYN], &f, 77, 5, &ip, &t, opts, data, &dl));
    assert_int_equal(t.flags, TH_RST | TH_ACK);
    assert_int_equal(t.seq, 0);
    assert_int_equal(t.ack, 1001);
    assert_int_equal(t.win, 0);
    assert_int_equal(t.sport, 81);
    assert_int_equal(t.dport, 40000);
    assert_int_equal(ip.saddr, 0xc6120001u);
    assert_true(ip.df);
    assert_int_equal(ip.ttl, 64);
    assert_int_equal(t.optlen, 0);
    assert_int_equal(dl, 0);
    /* data and FIN to a closed port: ack = SEQ + LEN, FIN counted */
    f = seg(TH_FIN | TH_PSH, 1000, 0, 10);
    assert_true(stray_answer_fill(&a.stray[STRAY_CLOSED_OTHER], &f, 77, 5, &ip, &t, opts, data, &dl));
    assert_int_equal(t.ack, 1011);
    /* ACK anywhere: RST seq = SEG.ACK */
    f = seg(TH_ACK, 1000, 5555, 0);
    assert_true(stray_answer_fill(&a.stray[STRAY_OPEN_ACK], &f, 77, 5, &ip, &t, opts, data, &dl));
    assert_int_equal(t.flags, TH_RST);
    assert_int_equal(t.seq, 5555);
    assert_int_equal(t.ack, 0);
    /* Linux ignores SYN|FIN and flagless segments to a listener; never answers an RST */
    f = seg(TH_SYN | TH_FIN, 1000, 0, 0);
    assert_false(stray_answer_fill(&a.stray[STRAY_OPEN_SYNFIN], &f, 77, 5, &ip, &t, opts, data, &dl));
    f = seg(TH_RST, 1000, 0, 0);
    assert_false(stray_answer_fill(&a.stray[STRAY_CLOSED_SYN], &f, 77, 5, &ip, &t, opts, data, &dl));

    struct profile silent = linuxish;
    silent.closed_silent = true;
    profile_answers_default(&silent, &a);
    assert_false(a.stray[STRAY_CLOSED_SYN].respond);
    assert_false(a.u1.respond);
    assert_true(a.stray[STRAY_OPEN_ACK].respond);
}

static void test_nmap_rules(void **state)
{
    (void)state;
    struct ip4_spec ip;
    struct tcp_spec t;
    uint8_t opts[TCPOPT_MAXLEN], data[4];
    size_t dl;
    /* Windows T3: SYN|FIN|URG|PSH to an open port -> AR, seq 0, ack "other" (SEQ+2) */
    struct seg_answer w = { .respond = true, .df = true, .ttl = 128, .flags = TH_RST | TH_ACK,
                            .seq = SEQR_ZERO, .ack = ACKR_OTHER };
    struct frame f = seg(TH_SYN | TH_FIN | TH_URG | TH_PSH, 1000, 7000, 0);
    assert_true(stray_answer_fill(&w, &f, 1, 1, &ip, &t, opts, data, &dl));
    assert_int_equal(t.ack, 1002);
    /* ... and a "S+" stack counts SYN|FIN once */
    w.ack = ACKR_SEQ1;
    assert_true(stray_answer_fill(&w, &f, 1, 1, &ip, &t, opts, data, &dl));
    assert_int_equal(t.ack, 1001);
    /* FreeBSD T3: a SYN-ACK with options, T11 echoing the probe's TSval */
    struct seg_answer b = { .respond = true, .df = true, .ttl = 64, .win = 65535, .flags = TH_SYN | TH_ACK,
                            .seq = SEQR_OTHER, .ack = ACKR_SEQ1, .opts = "M5B4NW6ST11" };
    f.opt.has_ts = true;
    f.opt.tsval = 0xffffffff;
    assert_true(stray_answer_fill(&b, &f, 0xabcdef, 0x1234, &ip, &t, opts, data, &dl));
    assert_int_equal(t.seq, 0xabcdef);
    assert_int_equal(t.optlen, 20);
    static const uint8_t want[20] = { 2, 4, 5, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, 0, 0, 0x12, 0x34,
                                      0xff, 0xff, 0xff, 0xff };
    assert_memory_equal(t.opts, want, 20);
    /* RST with data whose CRC-32 is what nmap's RD recorded; quirks R and U */
    struct seg_answer r = { .respond = true, .flags = TH_RST, .seq = SEQR_ACK1, .ack = ACKR_SEQ,
                            .rd = 0xEA6C967D, .quirks = SQ_RES | SQ_URP };
    f = seg(TH_ACK, 1000, 7000, 0);
    assert_true(stray_answer_fill(&r, &f, 1, 1, &ip, &t, opts, data, &dl));
    assert_int_equal(t.seq, 7001);
    assert_int_equal(t.ack, 1000);
    assert_int_equal(dl, 4);
    assert_int_equal(crc32_ieee(data, 4), 0xEA6C967D);
    assert_int_not_equal(t.res, 0);
    assert_int_not_equal(t.urp, 0);
}

static void test_crc(void **state)
{
    (void)state;
    assert_int_equal(crc32_ieee((const uint8_t *)"123456789", 9), 0xCBF43926);
    static const uint32_t targets[] = { 0, 1, 0xffffffff, 0xE44A4E43, 0xBD1AB510, 0x12345678 };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        uint8_t b[4];
        crc32_forge4(targets[i], b);
        assert_int_equal(crc32_ieee(b, 4), targets[i]);
    }
}

static void test_opts_encode(void **state)
{
    (void)state;
    uint8_t o[TCPOPT_MAXLEN];
    assert_int_equal(seg_opts_encode("M5B4NW8NNS", 0, 0, o), 12);
    static const uint8_t w[12] = { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };
    assert_memory_equal(o, w, 12);
    assert_int_equal(seg_opts_encode("M5B4NW6SLL", 0, 0, o), 12);
    assert_int_equal(o[10], 0);
    assert_int_equal(o[11], 0);
    assert_int_equal(seg_opts_encode("T10", 7, 9, o), 12);   /* padded with EOL */
    assert_int_equal(o[5], 7);
    assert_int_equal(o[9], 0);
    assert_int_equal(seg_opts_encode("T01", 0, 0, o), 12);
    assert_int_equal(o[5], 0);
    assert_int_equal(o[9], 1);                                /* non-zero as asked */
    assert_int_equal(seg_opts_encode("", 0, 0, o), 0);
    assert_int_equal(seg_opts_encode("X", 0, 0, o), -1);
    assert_int_equal(seg_opts_encode("M", 0, 0, o), -1);
    assert_int_equal(seg_opts_encode("M123456", 0, 0, o), -1);
    assert_int_equal(seg_opts_encode("T1", 0, 0, o), -1);
    assert_int_equal(seg_opts_encode("T11T11T11T11T11", 0, 0, o), -1);   /* 50 bytes */
}

static void test_probe_shapes(void **state)
{
    (void)state;
    static const uint8_t p1[20] = { 3, 3, 10, 1, 2, 4, 5, 0xb4, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 };
    uint8_t buf[14 + 20 + 40];
    memset(buf, 0, sizeof buf);
    memcpy(buf + 54, p1, 20);
    struct frame f = seg(TH_SYN, 1, 0, 0);
    f.data = buf; f.len = sizeof buf; f.l4_off = 34; f.doff = 40; f.win = 1;
    assert_int_equal(nmap_probe_of(&f), NP_SEQ1);
    f.win = 2;
    assert_int_equal(nmap_probe_of(&f), NP_COUNT);
    f.win = 1;
    buf[56] = 7;                                               /* WS 7: someone else */
    assert_int_equal(nmap_probe_of(&f), NP_COUNT);
    f.len = 60;                                                /* options past the capture */
    assert_int_equal(nmap_probe_of(&f), NP_COUNT);

    struct profile_answers a;
    profile_answers_default(&linuxish, &a);
    buf[56] = 10;
    f.len = sizeof buf;
    assert_null(synack_answer(&a, &f));                        /* no per-probe answers */
    a.probe_mask = 1u << NP_SEQ1;
    a.probe[NP_SEQ1].win = 8192;
    assert_ptr_equal(synack_answer(&a, &f), &a.probe[NP_SEQ1]);
}

static void test_ipid_generators(void **state)
{
    (void)state;
    struct gen_state g;
    gen_state_init(&g, 42);
    struct ipidgen incr = { IPG_INCR, IPC_SHARED, 0 }, bi = { IPG_BROKEN_INCR, IPC_RESET, 0 };
    struct ipidgen ri = { IPG_RANDOM_INCR, IPC_SHARED, 0 }, k = { IPG_CONST, 0, 0x1234 };
    uint16_t a = ipidgen_next(&incr, &g, NULL, 0), b = ipidgen_next(&incr, &g, NULL, 0);
    assert_int_equal((uint16_t)(b - a), 1);
    a = ipidgen_next(&bi, &g, NULL, 0);
    b = ipidgen_next(&bi, &g, NULL, 0);
    assert_int_equal((uint16_t)(b - a) % 256, 0);
    for (int i = 0; i < 50; i++) {
        a = ipidgen_next(&ri, &g, NULL, 0);
        b = ipidgen_next(&ri, &g, NULL, 0);
        uint16_t d = (uint16_t)(b - a);
        assert_true(d > 1000 && d < 1400 && d % 256 != 0);
    }
    assert_int_equal(ipidgen_next(&k, &g, NULL, 0), 0x1234);
    uint16_t flow = 7;
    struct ipidgen pf = { IPG_PER_FLOW, 0, 0 };
    assert_int_equal(ipidgen_next(&pf, &g, &flow, 0), 7);
    assert_int_equal(ipidgen_next(&pf, &g, &flow, 0), 8);
    assert_int_equal(ipidgen_next(&pf, &g, NULL, 0), 0);
    /* the ICMP counter starts apart from the TCP ones */
    assert_true(g.ipid[IPC_ICMP] >= 0x8000);
}

static void test_isn_clock(void **state)
{
    (void)state;
    /* a random-looking ISN as nmap measures it: ISR 0x10B, SP 0x104 */
    struct isngen ig = { .kind = ISG_CLOCK, .gcd = 1, .rate = 11627000000ull, .sd = 6074000000ull };
    struct gen_state g;
    gen_state_init(&g, 9);
    uint32_t v[6];
    for (int i = 0; i < 6; i++)
        v[i] = isngen_next(&ig, &g, 1000000 + (uint64_t)i * 100000);
    double sum = 0;
    for (int i = 1; i < 6; i++) {
        uint32_t d = v[i] - v[i - 1];
        assert_true(d < 0x80000000u);
        sum += d / 0.1;
    }
    double avg = sum / 5;
    assert_true(avg > 1.1e10 && avg < 1.22e10);
    /* a 64000-step BSD counter */
    struct isngen bsd = { .kind = ISG_CLOCK, .gcd = 64000, .rate = 690000, .sd = 0 };
    gen_state_init(&g, 9);
    uint32_t prev = isngen_next(&bsd, &g, 0);
    for (int i = 1; i < 6; i++) {
        uint32_t x = isngen_next(&bsd, &g, (uint64_t)i * 100000);
        assert_int_equal((x - prev) % 64000, 0);
        assert_true(x != prev);
        prev = x;
    }
    struct isngen c = { .kind = ISG_CONST, .value = 5 };
    assert_int_equal(isngen_next(&c, &g, 0), 5);
}

static void test_ts_generators(void **state)
{
    (void)state;
    struct gen_state g;
    gen_state_init(&g, 1);
    struct tsgen z = { .kind = TSG_ZERO }, c = { .kind = TSG_CLOCK, .hz = 100 };
    assert_int_equal(tsgen_val(&z, 1000, 5000000, 99), 0);
    assert_int_equal(tsgen_val(&c, 1000, 5000000, 1), 501);
    assert_int_equal(tsgen_offset(&c, &g, 1000, 5000000, 77), 77);
    /* per connection: each new connection starts on a 2^33 Hz clock */
    struct tsgen r = { .kind = TSG_RANDOM, .fast_log2 = 33, .hz = 1000 };
    uint32_t o1 = tsgen_offset(&r, &g, 1000, 1000000, 0);
    uint32_t t1 = tsgen_val(&r, 1000, 1000000, o1);
    uint32_t o2 = tsgen_offset(&r, &g, 1000, 1100000, 0);
    uint32_t t2 = tsgen_val(&r, 1000, 1100000, o2);
    uint32_t d = t2 - t1;
    assert_true(d > 850000000u && d < 870000000u);            /* 2^33 * 0.1 */
    assert_int_equal(tsgen_val(&r, 1000, 1200000, o2) - t2, 100);   /* then 1000 Hz */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stray_kind),
        cmocka_unit_test(test_linux_default_answers),
        cmocka_unit_test(test_nmap_rules),
        cmocka_unit_test(test_crc),
        cmocka_unit_test(test_opts_encode),
        cmocka_unit_test(test_probe_shapes),
        cmocka_unit_test(test_ipid_generators),
        cmocka_unit_test(test_isn_clock),
        cmocka_unit_test(test_ts_generators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
