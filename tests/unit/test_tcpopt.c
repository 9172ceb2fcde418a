/* TCP options: decoding real layouts and every malformation, encoding and padding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "build.h"
#include "pkt.h"

/* Linux 6.18 SYN-ACK over veth: mss 1460,sackOK,TS,nop,wscale 10 */
static const uint8_t LINUX_SYNACK[20] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
                                          0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                          0x01, 0x03, 0x03, 0x0a };

static void kinds_are(const struct tcp_opts *o, const uint8_t *k, size_t n)
{
    assert_int_equal(o->nkinds, n);
    assert_memory_equal(o->kinds, k, n);
}

static void linux_synack(void **st)
{
    (void)st;
    struct tcp_opts o;
    assert_true(tcpopt_parse(&o, LINUX_SYNACK, sizeof LINUX_SYNACK));
    assert_false(o.malformed);
    assert_true(o.has_mss && o.has_ws && o.sack_ok && o.has_ts);
    assert_int_equal(o.mss, 1460);
    assert_int_equal(o.wscale, 10);
    assert_int_equal(o.tsval, 0x11223344);
    assert_int_equal(o.tsecr, 0x55667788);
    const uint8_t k[] = { 2, 4, 8, 1, 3 };
    kinds_are(&o, k, sizeof k);
}

static void nop_nop_ts(void **st)
{
    (void)st;
    const uint8_t b[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff };
    struct tcp_opts o;
    assert_true(tcpopt_parse(&o, b, sizeof b));
    assert_true(o.has_ts);
    assert_false(o.has_mss);
    assert_int_equal(o.tsval, 1);
    assert_int_equal(o.tsecr, 0xffffffffu);
    const uint8_t k[] = { 1, 1, 8 };
    kinds_are(&o, k, sizeof k);
}

static void eol_stops(void **st)
{
    (void)st;
    const uint8_t b[] = { 1, 0, 2, 4, 5, 0xb4, 0, 0 };
    struct tcp_opts o;
    assert_true(tcpopt_parse(&o, b, sizeof b));
    assert_false(o.has_mss);
    const uint8_t k[] = { 1, 0 };
    kinds_are(&o, k, sizeof k);
}

static void empty(void **st)
{
    (void)st;
    struct tcp_opts o;
    memset(&o, 0xa5, sizeof o);
    assert_true(tcpopt_parse(&o, NULL, 0));
    assert_int_equal(o.nkinds, 0);
    assert_false(o.malformed || o.has_mss);
}

static void length_below_two(void **st)
{
    (void)st;
    const uint8_t b[] = { 3, 1, 2, 4, 5, 0xb4, 1, 1 };
    struct tcp_opts o;
    assert_false(tcpopt_parse(&o, b, sizeof b));
    assert_true(o.malformed);
    assert_false(o.has_mss);               /* parsing stopped: nothing after is trusted */
    const uint8_t k[] = { 3 };
    kinds_are(&o, k, sizeof k);
    const uint8_t z[] = { 30, 0, 1, 1 };
    assert_false(tcpopt_parse(&o, z, sizeof z));
}

static void length_past_end(void **st)
{
    (void)st;
    const uint8_t b[] = { 1, 2, 8, 5, 0xb4, 1 };   /* MSS claiming 8 bytes in a 5-byte tail */
    struct tcp_opts o;
    assert_false(tcpopt_parse(&o, b, sizeof b));
    assert_false(o.has_mss);
    const uint8_t k[] = { 1, 2 };
    kinds_are(&o, k, sizeof k);
    const uint8_t c[] = { 1, 1, 1, 8 };            /* no room for the length byte */
    assert_false(tcpopt_parse(&o, c, sizeof c));
    const uint8_t k2[] = { 1, 1, 1, 8 };
    kinds_are(&o, k2, sizeof k2);
}

static void wrong_length_known_kind(void **st)
{
    (void)st;
    /* MSS with length 3, TS with length 6, then a good window scale: skip, flag, go on */
    const uint8_t b[] = { 2, 3, 5, 8, 6, 0, 0, 0, 0, 3, 3, 7 };
    struct tcp_opts o;
    assert_false(tcpopt_parse(&o, b, sizeof b));
    assert_true(o.malformed);
    assert_false(o.has_mss);
    assert_false(o.has_ts);
    assert_true(o.has_ws);
    assert_int_equal(o.wscale, 7);
    const uint8_t k[] = { 2, 8, 3 };
    kinds_are(&o, k, sizeof k);
    const uint8_t s[] = { 4, 3, 0, 4, 2 };         /* SACK-permitted, length 3 */
    assert_false(tcpopt_parse(&o, s, sizeof s));
    assert_true(o.sack_ok);                        /* the second, well-formed one */
}

static void sack_blocks(void **st)
{
    (void)st;
    struct tcp_opts o;
    uint8_t b[40];
    for (int n = 1; n <= 4; n++) {
        memset(b, 0, sizeof b);
        b[0] = 1;
        b[1] = 1;
        b[2] = 5;
        b[3] = (uint8_t)(2 + 8 * n);
        for (int i = 0; i < n; i++) {
            b[4 + 8 * i + 3] = (uint8_t)(10 * i + 1);
            b[8 + 8 * i + 3] = (uint8_t)(10 * i + 2);
        }
        assert_true(tcpopt_parse(&o, b, (size_t)(4 + 8 * n)));
        assert_int_equal(o.nsack, n);
        for (int i = 0; i < n; i++) {
            assert_int_equal(o.sack[i].l, 10 * i + 1);
            assert_int_equal(o.sack[i].r, 10 * i + 2);
        }
    }
    const uint8_t bad[] = { 5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };   /* 2 + 9 */
    assert_false(tcpopt_parse(&o, bad, sizeof bad));
    assert_int_equal(o.nsack, 0);
    assert_int_equal(o.nkinds, 2);                 /* skipped to the trailing NOP */
    uint8_t five[42] = { 5, 42 };                  /* 5 blocks do not exist */
    assert_false(tcpopt_parse(&o, five, sizeof five));
    assert_int_equal(o.nsack, 0);
    const uint8_t empty_sack[] = { 5, 2, 1, 1 };
    assert_false(tcpopt_parse(&o, empty_sack, sizeof empty_sack));
}

static void unknown_kinds_recorded(void **st)
{
    (void)st;
    const uint8_t b[] = { 30, 4, 0xde, 0xad, 34, 2, 2, 4, 0x05, 0xb4, 253, 3, 0 };
    struct tcp_opts o;
    assert_true(tcpopt_parse(&o, b, sizeof b));
    assert_true(o.has_mss);
    const uint8_t k[] = { 30, 34, 2, 253 };
    kinds_are(&o, k, sizeof k);
}

static void forty_nops(void **st)
{
    (void)st;
    uint8_t b[40];
    memset(b, 1, sizeof b);
    struct tcp_opts o;
    assert_true(tcpopt_parse(&o, b, sizeof b));
    assert_int_equal(o.nkinds, 40);
    uint8_t big[100];                              /* longer than a header can be: capped */
    memset(big, 1, sizeof big);
    assert_true(tcpopt_parse(&o, big, sizeof big));
    assert_int_equal(o.nkinds, TCPOPT_MAXLEN);
}

static void encode_linux_synack(void **st)
{
    (void)st;
    struct optitem it[5];
    memset(it, 0, sizeof it);
    it[0].kind = OI_MSS; it[0].mss = 1460;
    it[1].kind = OI_SACKOK;
    it[2].kind = OI_TS; it[2].tsval = 0x11223344; it[2].tsecr = 0x55667788;
    it[3].kind = OI_NOP;
    it[4].kind = OI_WS; it[4].ws = 10;
    uint8_t out[TCPOPT_MAXLEN];
    assert_int_equal(tcpopt_encode(out, it, 5), 20);
    assert_memory_equal(out, LINUX_SYNACK, 20);
}

static void encode_pads_with_eol(void **st)
{
    (void)st;
    struct optitem it[2];
    memset(it, 0, sizeof it);
    it[0].kind = OI_MSS; it[0].mss = 536;
    it[1].kind = OI_WS; it[1].ws = 2;
    uint8_t out[TCPOPT_MAXLEN];
    memset(out, 0xee, sizeof out);
    assert_int_equal(tcpopt_encode(out, it, 2), 8);
    const uint8_t want[] = { 2, 4, 0x02, 0x18, 3, 3, 2, 0 };
    assert_memory_equal(out, want, 8);
    assert_int_equal(tcpopt_encode(out, it, 0), 0);
    it[0].kind = OI_NOP;
    assert_int_equal(tcpopt_encode(out, it, 1), 4);
    const uint8_t w1[] = { 1, 0, 0, 0 };
    assert_memory_equal(out, w1, 4);
}

static void encode_limits(void **st)
{
    (void)st;
    struct optitem it[41];
    memset(it, 0, sizeof it);
    uint8_t out[TCPOPT_MAXLEN];
    for (int i = 0; i < 41; i++)
        it[i].kind = OI_NOP;
    assert_int_equal(tcpopt_encode(out, it, 40), 40);
    assert_int_equal(tcpopt_encode(out, it, 41), -1);
    /* 4 SACK blocks (34) + TS (10) = 44 */
    it[0].kind = OI_SACK; it[0].nsack = 4;
    it[1].kind = OI_TS;
    assert_int_equal(tcpopt_encode(out, it, 2), -1);
    /* 3 blocks (26) + NOP NOP TS (12) = 38 -> padded 40 */
    it[0].nsack = 3;
    it[0].sack[2].l = 7; it[0].sack[2].r = 9;
    it[1].kind = OI_NOP;
    it[2].kind = OI_NOP;
    it[3].kind = OI_TS; it[3].tsval = 5;
    assert_int_equal(tcpopt_encode(out, it, 4), 40);
    struct tcp_opts o;
    assert_true(tcpopt_parse(&o, out, 40));
    assert_int_equal(o.nsack, 3);
    assert_int_equal(o.sack[2].l, 7);
    assert_int_equal(o.sack[2].r, 9);
    assert_true(o.has_ts);
    assert_int_equal(o.tsval, 5);
    it[0].nsack = 0;
    assert_int_equal(tcpopt_encode(out, it, 1), -1);
    it[0].nsack = 5;
    assert_int_equal(tcpopt_encode(out, it, 1), -1);
    it[0].kind = 0;                                /* not an item kind */
    assert_int_equal(tcpopt_encode(out, it, 1), -1);
}

static void encode_raw(void **st)
{
    (void)st;
    const uint8_t raw[] = { 30, 6, 1, 2, 3, 4 };
    struct optitem it[2];
    memset(it, 0, sizeof it);
    it[0].kind = OI_RAW; it[0].raw = raw; it[0].rawlen = sizeof raw;
    it[1].kind = OI_EOL;
    uint8_t out[TCPOPT_MAXLEN];
    assert_int_equal(tcpopt_encode(out, it, 2), 8);
    const uint8_t want[] = { 30, 6, 1, 2, 3, 4, 0, 0 };
    assert_memory_equal(out, want, 8);
    it[0].raw = NULL;
    assert_int_equal(tcpopt_encode(out, it, 1), -1);
    it[0].rawlen = 0;
    assert_int_equal(tcpopt_encode(out, it, 1), 0);
    uint8_t big[41] = {0};
    it[0].raw = big; it[0].rawlen = 41;
    assert_int_equal(tcpopt_encode(out, it, 1), -1);
}

/* Random items: encode, parse back, same values and kinds. */
static void encode_parse_round_trip(void **st)
{
    (void)st;
    uint32_t x = 99;
#define R() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
    for (int iter = 0; iter < 20000; iter++) {
        struct optitem it[8];
        memset(it, 0, sizeof it);
        size_t n = R() % 8;
        for (size_t i = 0; i < n; i++) {
            it[i].kind = (uint8_t)(OI_NOP + R() % 7);   /* NOP..TS */
            if (it[i].kind == OI_EOL)
                it[i].kind = OI_NOP;
            it[i].mss = (uint16_t)R();
            it[i].ws = (uint8_t)R();
            it[i].tsval = R();
            it[i].tsecr = R();
            it[i].nsack = (uint8_t)(1 + R() % 4);
            for (int b = 0; b < 4; b++) {
                it[i].sack[b].l = R();
                it[i].sack[b].r = R();
            }
        }
        uint8_t out[TCPOPT_MAXLEN];
        int len = tcpopt_encode(out, it, n);
        if (len < 0)
            continue;
        assert_int_equal(len % 4, 0);
        struct tcp_opts o;
        assert_true(tcpopt_parse(&o, out, (size_t)len));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            static const uint8_t wire[] = { [OI_NOP] = 1, [OI_MSS] = 2, [OI_WS] = 3,
                                            [OI_SACKOK] = 4, [OI_SACK] = 5, [OI_TS] = 8 };
            assert_int_equal(o.kinds[k++], wire[it[i].kind]);
            if (it[i].kind == OI_MSS) assert_true(o.has_mss);
            if (it[i].kind == OI_WS) assert_true(o.has_ws);
            if (it[i].kind == OI_SACKOK) assert_true(o.sack_ok);
            if (it[i].kind == OI_TS) assert_true(o.has_ts);
            if (it[i].kind == OI_SACK) assert_true(o.nsack > 0);
        }
        /* a repeated kind: the last one wins */
        bool seen_mss = false, seen_ws = false, seen_ts = false, seen_sack = false;
        for (size_t i = n; i-- > 0;) {
            if (it[i].kind == OI_MSS && !seen_mss) {
                seen_mss = true;
                assert_int_equal(o.mss, it[i].mss);
            } else if (it[i].kind == OI_WS && !seen_ws) {
                seen_ws = true;
                assert_int_equal(o.wscale, it[i].ws);
            } else if (it[i].kind == OI_TS && !seen_ts) {
                seen_ts = true;
                assert_int_equal(o.tsval, it[i].tsval);
                assert_int_equal(o.tsecr, it[i].tsecr);
            } else if (it[i].kind == OI_SACK && !seen_sack) {
                seen_sack = true;
                assert_int_equal(o.nsack, it[i].nsack);
                assert_int_equal(o.sack[o.nsack - 1].r, it[i].sack[it[i].nsack - 1].r);
            }
        }
    }
#undef R
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linux_synack),
        cmocka_unit_test(nop_nop_ts),
        cmocka_unit_test(eol_stops),
        cmocka_unit_test(empty),
        cmocka_unit_test(length_below_two),
        cmocka_unit_test(length_past_end),
        cmocka_unit_test(wrong_length_known_kind),
        cmocka_unit_test(sack_blocks),
        cmocka_unit_test(unknown_kinds_recorded),
        cmocka_unit_test(forty_nops),
        cmocka_unit_test(encode_linux_synack),
        cmocka_unit_test(encode_pads_with_eol),
        cmocka_unit_test(encode_limits),
        cmocka_unit_test(encode_raw),
        cmocka_unit_test(encode_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
