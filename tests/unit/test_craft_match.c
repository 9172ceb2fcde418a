/* rstcraft craft: probe identity and reply matching. Each reply must go to exactly the
 * probe that caused it, from whichever field it echoes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "craft.h"

static struct portrange p80 = { 80, 80 };
static struct portrange p80_84 = { 80, 84 };

static void gen_tcp(struct probe_gen *g, const struct portrange *pr, uint32_t total)
{
    memset(g, 0, sizeof *g);
    g->proto = CP_TCP;
    g->sport_var = true;
    g->sport_base = 4321;
    g->seq_var = true;
    g->seq = 0xdeadbeef;
    g->id_var = true;
    g->id = 0x1234;
    g->ports = pr;
    g->nports = 1;
    g->nport_total = total;
    g->ports_unique = true;
    g->flags = TH_SYN;
    g->seglen = 1;
}

static void sent(struct probe_tab *t, uint64_t n)
{
    for (uint64_t i = t->sent; i < n; i++) {
        probe_at(t, i)->replies = 0;
        probe_at(t, i)->sent_ns = i;
    }
    t->sent = n;
}

static void test_fields_distinct(void **state)
{
    (void)state;
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    struct probe_fields a, b;
    for (uint64_t i = 0; i < 1000; i++) {
        probe_fields(&g, i, &a);
        probe_fields(&g, i + 1, &b);
        assert_int_not_equal(a.sport, b.sport);
        assert_int_not_equal(a.seq, b.seq);
        assert_int_not_equal(a.id, b.id);
        assert_true(a.sport >= 1024);
        assert_int_equal(a.dport, 80);
    }
    g.sport_var = false;
    g.sport = 5555;
    g.seq_var = false;
    probe_fields(&g, 7, &a);
    assert_int_equal(a.sport, 5555);
    assert_int_equal(a.seq, 0xdeadbeef);
    /* port ranges: probe i goes to the (i mod n)-th port */
    gen_tcp(&g, &p80_84, 5);
    probe_fields(&g, 7, &a);
    assert_int_equal(a.dport, 82);
}

static struct reply_key rst_ack_for(const struct probe_gen *g, uint64_t i)
{
    struct probe_fields f;
    probe_fields(g, i, &f);
    struct reply_key k = { .proto = CP_TCP, .sport = f.sport, .dport = f.dport, .has_ack = true,
                           .ack = f.seq + g->seglen };
    return k;
}

static void test_match_by_ack(void **state)
{
    (void)state;
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    struct probe_tab t;
    assert_int_equal(probe_tab_init(&t, 100), 0);
    sent(&t, 100);
    /* answered out of order: each goes to its own probe */
    uint64_t order[] = { 57, 3, 99, 0, 42 };
    for (size_t j = 0; j < 5; j++) {
        struct reply_key k = rst_ack_for(&g, order[j]);
        struct match_result m = probe_match(&g, &t, &k);
        assert_int_equal(m.idx, order[j]);
        assert_int_equal(m.q, MQ_EXACT);
        assert_false(m.dup);
        probe_answered(&t, (uint64_t)m.idx);
    }
    /* a second reply to 57 is a duplicate of 57 */
    struct reply_key k = rst_ack_for(&g, 57);
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 57);
    assert_true(m.dup);
    /* a SYN-ACK acks seq + 1 even when the SYN carried data */
    g.seglen = 11;
    g.plen = 10;
    struct probe_fields f;
    probe_fields(&g, 12, &f);
    k.sport = f.sport;
    k.dport = f.dport;
    k.ack = f.seq + 1;
    m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 12);
    assert_int_equal(m.q, MQ_EXACT);
    /* a probe not sent yet is never matched */
    probe_fields(&g, 150, &f);
    k.sport = f.sport;
    k.ack = f.seq + 11;
    m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, -1);
    probe_tab_free(&t);
}

static void test_match_fixed_sport(void **state)
{
    (void)state;
    /* -s fixed: the sequence number still tells the probes apart */
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    g.sport_var = false;
    g.sport = 40000;
    struct probe_tab t;
    probe_tab_init(&t, 10);
    sent(&t, 10);
    struct reply_key k = rst_ack_for(&g, 6);
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 6);
    assert_int_equal(m.q, MQ_EXACT);
    probe_tab_free(&t);
}

static void test_match_all_fixed(void **state)
{
    (void)state;
    /* -s and --seq fixed: identical probes; FIFO and marked ambiguous */
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    g.sport_var = false;
    g.sport = 40000;
    g.seq_var = false;
    struct probe_tab t;
    probe_tab_init(&t, 5);
    sent(&t, 5);
    for (uint64_t want = 0; want < 5; want++) {
        struct reply_key k = rst_ack_for(&g, 0);
        struct match_result m = probe_match(&g, &t, &k);
        assert_int_equal(m.idx, want);
        assert_int_equal(m.q, MQ_AMBIGUOUS);
        assert_false(m.dup);
        probe_answered(&t, (uint64_t)m.idx);
    }
    struct reply_key k = rst_ack_for(&g, 0);
    struct match_result m = probe_match(&g, &t, &k);
    assert_true(m.dup);
    assert_int_equal(m.idx, 4);
    /* ...but an ICMP error quotes the IP ID, which still varies: exact */
    struct probe_fields f;
    probe_fields(&g, 3, &f);
    struct reply_key q = { .proto = CP_TCP, .quoted = true, .sport = f.sport, .dport = f.dport,
                           .has_seq = true, .seq = f.seq, .has_id = true, .id = f.id };
    m = probe_match(&g, &t, &q);
    assert_int_equal(m.idx, 3);
    assert_int_equal(m.q, MQ_EXACT);
    /* one probe only: nothing to confuse it with */
    struct probe_tab t1;
    probe_tab_init(&t1, 1);
    sent(&t1, 1);
    m = probe_match(&g, &t1, &k);
    assert_int_equal(m.idx, 0);
    assert_int_equal(m.q, MQ_EXACT);
    probe_tab_free(&t1);
    probe_tab_free(&t);
}

static void test_match_port_list(void **state)
{
    (void)state;
    /* -s and --seq fixed, -p 80-84: the reply's port gives i mod 5 */
    struct probe_gen g;
    gen_tcp(&g, &p80_84, 5);
    g.sport_var = false;
    g.sport = 40000;
    g.seq_var = false;
    struct probe_tab t;
    probe_tab_init(&t, 5);
    sent(&t, 5);
    struct reply_key k = rst_ack_for(&g, 3);
    assert_int_equal(k.dport, 83);
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 3);
    assert_int_equal(m.q, MQ_EXACT);
    probe_tab_free(&t);
}

static void test_match_rst_no_ack(void **state)
{
    (void)state;
    /* an ACK probe draws RST seq = our ack: the ack varies per probe */
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    g.flags = TH_ACK;
    g.seglen = 0;
    g.ack_var = true;
    g.ack = 0x11111111;
    g.sport_var = false;
    g.sport = 40000;
    struct probe_tab t;
    probe_tab_init(&t, 50);
    sent(&t, 50);
    struct probe_fields f;
    probe_fields(&g, 33, &f);
    struct reply_key k = { .proto = CP_TCP, .sport = 40000, .dport = 80, .has_rseq = true, .rseq = f.ack };
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 33);
    assert_int_equal(m.q, MQ_EXACT);
    probe_tab_free(&t);
}

static void test_match_loose(void **state)
{
    (void)state;
    /* an ACK that inverts to no probe (e.g. a challenge ACK) matches by tuple only */
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    struct probe_tab t;
    probe_tab_init(&t, 10);
    sent(&t, 10);
    struct reply_key k = rst_ack_for(&g, 4);
    k.ack += 1000;
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 4);
    assert_int_equal(m.q, MQ_TUPLE);
    /* wrong port: nothing */
    k.dport = 81;
    m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, -1);
    probe_tab_free(&t);
}

static void test_match_big_window(void **state)
{
    (void)state;
    /* unlimited count: a ring of the last 2^20 probes; exact well past 2^16 probes */
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    struct probe_tab t;
    probe_tab_init(&t, 0);
    t.sent = 3000000;
    for (uint64_t i = 3000000 - 100; i < 3000000; i++)
        probe_at(&t, i)->replies = 0;
    struct reply_key k = rst_ack_for(&g, 2999950);
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 2999950);
    assert_int_equal(m.q, MQ_EXACT);
    /* older than the ring: forgotten */
    k = rst_ack_for(&g, 1000);
    m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, -1);
    /* UDP-like: sport only, window of 2^20 probes: candidates checked one by one */
    g.proto = CP_UDP;
    g.seq_var = false;
    struct probe_fields f;
    probe_fields(&g, 2999990, &f);
    struct reply_key u = { .proto = CP_UDP, .sport = f.sport, .dport = f.dport };
    m = probe_match(&g, &t, &u);
    assert_int_equal(m.q, MQ_AMBIGUOUS);    /* 2^20 / 64512 probes share that port */
    assert_int_equal(m.idx % 64512, 2999990 % 64512);
    probe_tab_free(&t);
}

static void test_match_icmp(void **state)
{
    (void)state;
    struct probe_gen g;
    memset(&g, 0, sizeof g);
    g.proto = CP_ICMP;
    g.icmp_id = 777;
    g.icmp_seq = 65530;      /* wraps */
    g.id_var = true;
    struct probe_tab t;
    probe_tab_init(&t, 20);
    sent(&t, 20);
    struct probe_fields f;
    probe_fields(&g, 9, &f);
    assert_int_equal(f.icmp_seq, 3);
    struct reply_key k = { .proto = CP_ICMP, .has_icmp = true, .icmp_id = 777, .icmp_seq = 3 };
    struct match_result m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, 9);
    assert_int_equal(m.q, MQ_EXACT);
    k.icmp_id = 778;
    m = probe_match(&g, &t, &k);
    assert_int_equal(m.idx, -1);
    probe_tab_free(&t);
}

/* ---- from frames ---- */

static void test_key_from_frames(void **state)
{
    (void)state;
    struct probe_gen g;
    gen_tcp(&g, &p80, 1);
    struct craft_target tg = { .v6 = false, .src4 = 0xc6120001u, .dst4 = 0xc6120002u };
    struct frame f;
    memset(&f, 0, sizeof f);
    f.l3 = L3_IPV4;
    f.l4 = L4_TCP;
    f.saddr = tg.dst4;
    f.daddr = tg.src4;
    f.sport = 80;
    f.dport = 5000;
    f.flags = TH_RST | TH_ACK;
    f.ack = 1234;
    struct reply_key k;
    struct quoted q;
    assert_true(reply_key_from_frame(&g, &tg, &f, &k, &q));
    assert_int_equal(k.sport, 5000);
    assert_int_equal(k.dport, 80);
    assert_true(k.has_ack);
    assert_int_equal(k.ack, 1234);
    f.saddr = 0xc6120003u;                       /* not from the target */
    assert_false(reply_key_from_frame(&g, &tg, &f, &k, &q));
    f.saddr = tg.dst4;
    f.flags = TH_RST;
    f.seq = 99;
    assert_true(reply_key_from_frame(&g, &tg, &f, &k, &q));
    assert_true(k.has_rseq);
    assert_int_equal(k.rseq, 99);

    /* ICMP port unreachable from a router quoting our probe (IP header + 8 bytes) */
    uint8_t buf[14 + 20 + 8 + 28] = { 0 };
    uint8_t *quote = buf + 14 + 20 + 8;
    quote[0] = 0x45;
    quote[4] = 0x12; quote[5] = 0x35;            /* id */
    quote[8] = 3;
    quote[9] = 6;
    quote[12] = 198; quote[13] = 18; quote[14] = 0; quote[15] = 1;
    quote[16] = 198; quote[17] = 18; quote[18] = 0; quote[19] = 2;
    quote[20] = 0x13; quote[21] = 0x88;          /* sport 5000 */
    quote[22] = 0; quote[23] = 80;
    quote[24] = 1; quote[25] = 2; quote[26] = 3; quote[27] = 4;
    memset(&f, 0, sizeof f);
    f.data = buf;
    f.len = sizeof buf;
    f.l3 = L3_IPV4;
    f.l4 = L4_ICMP;
    f.saddr = 0xc6120063u;
    f.daddr = tg.src4;
    f.icmp_type = 11;
    f.l4_off = 34;
    f.l4_len = 36;
    assert_true(reply_key_from_frame(&g, &tg, &f, &k, &q));
    assert_true(k.quoted);
    assert_int_equal(k.sport, 5000);
    assert_int_equal(k.dport, 80);
    assert_true(k.has_seq);
    assert_int_equal(k.seq, 0x01020304);
    assert_true(k.has_id);
    assert_int_equal(k.id, 0x1235);
    assert_true(q.ok);
    assert_int_equal(q.ttl, 3);
    /* cut short: the quote has only 4 bytes of TCP, no seq */
    f.l4_len = 8 + 24;
    assert_true(reply_key_from_frame(&g, &tg, &f, &k, &q));
    assert_false(k.has_seq);
    /* quoting somebody else's packet */
    quote[19] = 9;
    f.l4_len = 36;
    assert_false(reply_key_from_frame(&g, &tg, &f, &k, &q));
    /* a lying length never reads past the frame */
    quote[19] = 2;
    f.l4_len = 5000;
    assert_true(reply_key_from_frame(&g, &tg, &f, &k, &q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_distinct), cmocka_unit_test(test_match_by_ack),
        cmocka_unit_test(test_match_fixed_sport), cmocka_unit_test(test_match_all_fixed),
        cmocka_unit_test(test_match_port_list), cmocka_unit_test(test_match_rst_no_ack),
        cmocka_unit_test(test_match_loose),     cmocka_unit_test(test_match_big_window),
        cmocka_unit_test(test_match_icmp),      cmocka_unit_test(test_key_from_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
