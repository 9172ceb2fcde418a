/* rstcraft craft: probe frames byte for byte (IPv4/IPv6, TCP/UDP/ICMP), checksums, and
 * the flood path's incremental patching against full builds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "craft.h"
#include "csum.h"

static const uint8_t SMAC[6] = { 2, 0, 0, 0, 0, 1 }, DMAC[6] = { 2, 0, 0, 0, 0, 2 };
static char err[CRAFT_ERRLEN];
static struct craft_opts o;
static struct craft_ctx c;
static uint8_t buf[FRAME_MAX], buf2[FRAME_MAX];

static void setup(const char *line)
{
    static char b[1024];
    char *argv[64];
    int argc = 0;
    snprintf(b, sizeof b, "craft %s", line);
    for (char *t = strtok(b, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    if (craft_parse_args(&o, argc, argv, err, sizeof err) != 0)
        fail_msg("parse '%s': %s", line, err);
    if (!o.has_src) {
        if (o.v6) {
            memcpy(o.src6, "\x20\x01\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
        } else {
            o.src4 = 0xc6120001u;
        }
    }
    assert_int_equal(craft_ctx_init(&c, &o, SMAC, DMAC, 42, err), 0);
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* a correct Internet checksum sums to zero when verified */
static bool l4_ok(const struct frame *f)
{
    uint32_t sum;
    uint16_t l4len = (uint16_t)f->l4_len;
    if (f->l3 == L3_IPV6)
        sum = csum_pseudo6(f->saddr6, f->daddr6, f->proto, l4len);
    else if (f->proto == 1)
        sum = 0;
    else
        sum = csum_pseudo4(f->saddr, f->daddr, f->proto, l4len);
    return csum_fold(csum_partial(f->data + f->l4_off, l4len, sum)) == 0;
}

static bool ip4_ok(const struct frame *f)
{
    return csum_fold(csum_partial(f->data + f->l3_off, 20, 0)) == 0;
}

static void test_tcp4_fields(void **state)
{
    (void)state;
    setup("198.18.0.2 -p 8080 -s 40000 --flags SEC --seq 1000 --ack 7 --win 1234 --urg 9 --ttl 33 "
          "--id 4660 --tos 0x28 --df --mss 1400 --nop --wscale 7 --sackok --ts 5:6 --data-string hello");
    size_t len = craft_build(&c, 0, buf, sizeof buf);
    assert_true(len > 0);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, len), PKT_OK);
    assert_memory_equal(f.eth_dst, DMAC, 6);
    assert_memory_equal(f.eth_src, SMAC, 6);
    assert_int_equal(f.saddr, 0xc6120001u);
    assert_int_equal(f.daddr, 0xc6120002u);
    assert_int_equal(f.ttl, 33);
    assert_int_equal(f.ip_id, 4660);
    assert_int_equal(f.tos, 0x28);
    assert_true(f.df);
    assert_false(f.mf);
    assert_int_equal(f.sport, 40000);
    assert_int_equal(f.dport, 8080);
    assert_int_equal(f.seq, 1000);
    assert_int_equal(f.ack, 7);
    assert_int_equal(f.flags, TH_SYN | TH_ECE | TH_CWR);
    assert_int_equal(f.win, 1234);
    assert_int_equal(f.urp, 9);
    /* mss(4) nop(1) ws(3) sackok(2) ts(10) = 20 bytes, no padding */
    assert_int_equal(f.doff, 40);
    uint8_t want[] = { TCPOPT_MSS, TCPOPT_NOP, TCPOPT_WS, TCPOPT_SACKOK, TCPOPT_TS };
    assert_int_equal(f.opt.nkinds, 5);
    assert_memory_equal(f.opt.kinds, want, 5);
    assert_int_equal(f.opt.mss, 1400);
    assert_int_equal(f.opt.wscale, 7);
    assert_int_equal(f.opt.tsval, 5);
    assert_int_equal(f.opt.tsecr, 6);
    assert_int_equal(f.payload_len, 5);
    assert_memory_equal(f.payload, "hello", 5);
    assert_true(ip4_ok(&f));
    assert_true(l4_ok(&f));
}

static void test_tcp4_badsum_doff(void **state)
{
    (void)state;
    setup("198.18.0.2 --badsum");
    size_t len = craft_build(&c, 0, buf, sizeof buf);
    struct frame f;
    pkt_parse(&f, buf, len);
    assert_true(ip4_ok(&f));
    assert_false(l4_ok(&f));
    /* a data offset of 0 lies about the header; the checksum still covers it */
    setup("198.18.0.2 --doff 0");
    len = craft_build(&c, 0, buf, sizeof buf);
    assert_int_equal(len, 54);
    assert_int_equal(buf[34 + 12] >> 4, 0);
    assert_int_equal(csum_fold(csum_partial(buf + 34, 20, csum_pseudo4(0xc6120001u, 0xc6120002u, 6, 20))), 0);
    setup("198.18.0.2 --doff 15 --res 5");
    len = craft_build(&c, 0, buf, sizeof buf);
    assert_int_equal(len, 54);
    assert_int_equal(buf[34 + 12], 0xf5);
}

static void test_tcp6(void **state)
{
    (void)state;
    setup("2001:2::2 -p 443 --hop-limit 17 --tclass 0xb8 --flow-label 0xabcde --mss 1220 --data 0102030405");
    size_t len = craft_build(&c, 3, buf, sizeof buf);
    assert_int_equal(len, 14 + 40 + 24 + 5);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, len), PKT_OK);
    assert_int_equal(f.l3, L3_IPV6);
    assert_int_equal(f.ttl, 17);
    assert_int_equal(f.tos, 0xb8);
    assert_int_equal(f.flowlabel, 0xabcde);
    assert_int_equal(f.dport, 443);
    assert_int_equal(f.opt.mss, 1220);
    assert_int_equal(f.payload_len, 5);
    assert_true(l4_ok(&f));
    struct probe_fields pf;
    probe_fields(&c.gen, 3, &pf);
    assert_int_equal(f.sport, pf.sport);
    assert_int_equal(f.seq, pf.seq);
}

static void test_udp_icmp(void **state)
{
    (void)state;
    struct frame f;
    setup("198.18.0.2 --udp -p 53 -s 5353 --data-len 12 --ttl 3");
    size_t len = craft_build(&c, 0, buf, sizeof buf);
    assert_int_equal(len, 14 + 20 + 8 + 12);
    pkt_parse(&f, buf, len);
    assert_int_equal(f.l4, L4_UDP);
    assert_int_equal(f.sport, 5353);
    assert_int_equal(f.dport, 53);
    assert_int_equal(be16(buf + 34 + 4), 20);
    assert_true(ip4_ok(&f));
    assert_true(l4_ok(&f));

    setup("198.18.0.2 --icmp --icmp-id 77 --icmp-seq 100 --data-string ping");
    len = craft_build(&c, 5, buf, sizeof buf);
    pkt_parse(&f, buf, len);
    assert_int_equal(f.l4, L4_ICMP);
    assert_int_equal(f.icmp_type, 8);
    assert_int_equal(f.icmp_id, 77);
    assert_int_equal(f.icmp_seq, 105);
    assert_true(l4_ok(&f));

    setup("198.18.0.2 --icmp --icmp-type 13 --icmp-code 0 --badsum");
    len = craft_build(&c, 0, buf, sizeof buf);
    pkt_parse(&f, buf, len);
    assert_int_equal(f.icmp_type, 13);
    assert_false(l4_ok(&f));

    setup("2001:2::2 --icmp");
    len = craft_build(&c, 0, buf, sizeof buf);
    pkt_parse(&f, buf, len);
    assert_int_equal(f.l4, L4_ICMP6);
    assert_int_equal(f.icmp_type, 128);
    assert_true(l4_ok(&f));

    setup("2001:2::2 --udp -p 7");
    len = craft_build(&c, 0, buf, sizeof buf);
    pkt_parse(&f, buf, len);
    assert_int_equal(f.l4, L4_UDP);
    assert_true(l4_ok(&f));
}

static void test_ipv4_fragment_fields(void **state)
{
    (void)state;
    setup("198.18.0.2 --udp --mf --frag-off 5 --id 9");
    size_t len = craft_build(&c, 0, buf, sizeof buf);
    assert_int_equal(be16(buf + 14 + 6), 0x2000 | 5);
    assert_int_equal(be16(buf + 14 + 4), 9);
    assert_int_equal(csum_fold(csum_partial(buf + 14, 20, 0)), 0);
    (void)len;
}

/* the flood path derives frame i from frame 0: it must equal a full build of frame i */
static void check_patch(const char *line)
{
    setup(line);
    size_t len0 = craft_build(&c, 0, buf, sizeof buf);
    struct craft_patch p;
    craft_patch_init(&c, buf, len0, &p);
    static uint8_t base[FRAME_MAX];
    memcpy(base, buf, len0);
    uint64_t idx[] = { 1, 2, 3, 77, 1000, 64511, 64512, 65535, 65536, 70000, 1000003 };
    for (size_t j = 0; j < sizeof idx / sizeof idx[0]; j++) {
        memcpy(buf2, base, len0);
        craft_patch(&c, &p, buf2, idx[j]);
        size_t len = craft_build(&c, idx[j], buf, sizeof buf);
        assert_int_equal(len, len0);
        if (memcmp(buf, buf2, len) != 0)
            fail_msg("'%s': probe %llu differs when patched", line, (unsigned long long)idx[j]);
    }
}

static void test_patch_equals_build(void **state)
{
    (void)state;
    check_patch("198.18.0.2");
    check_patch("198.18.0.2 -p 1-1000 --mss 1460 --data-string x");
    check_patch("198.18.0.2 --flags A");
    check_patch("198.18.0.2 -s 1234 --seq 5 --id 1");
    check_patch("198.18.0.2 --udp -p 53,80-90");
    check_patch("198.18.0.2 --icmp");
    check_patch("2001:2::2");
    check_patch("2001:2::2 --udp");
    check_patch("2001:2::2 --icmp --data-len 100");
}

static void test_patch_keeps_badsum_bad(void **state)
{
    (void)state;
    setup("198.18.0.2 --badsum");
    size_t len0 = craft_build(&c, 0, buf, sizeof buf);
    struct craft_patch p;
    craft_patch_init(&c, buf, len0, &p);
    for (uint64_t i = 1; i < 200; i++) {
        memcpy(buf2, buf, len0);
        craft_patch(&c, &p, buf2, i);
        struct frame f;
        pkt_parse(&f, buf2, len0);
        assert_false(l4_ok(&f));
        assert_true(ip4_ok(&f));
    }
}

static void test_nd(void **state)
{
    (void)state;
    uint8_t src[16] = { 0x20, 0x01, 0, 2, [15] = 1 }, tgt[16] = { 0x20, 0x01, 0, 2, [13] = 0xab, 0xcd, 0xef };
    size_t len = build_ns6(buf, sizeof buf, SMAC, src, tgt);
    assert_int_equal(len, 14 + 40 + 32);
    static const uint8_t mc[6] = { 0x33, 0x33, 0xff, 0xab, 0xcd, 0xef };
    assert_memory_equal(buf, mc, 6);
    struct frame f;
    assert_int_equal(pkt_parse(&f, buf, len), PKT_OK);
    assert_int_equal(f.icmp_type, 135);
    assert_int_equal(f.ttl, 255);
    assert_int_equal(f.daddr6[0], 0xff);
    assert_int_equal(f.daddr6[13], 0xab);
    assert_true(l4_ok(&f));
    len = build_na6(buf, sizeof buf, SMAC, DMAC, tgt, src, ND_NA_SOLICITED | ND_NA_OVERRIDE, true);
    pkt_parse(&f, buf, len);
    assert_int_equal(f.icmp_type, 136);
    assert_memory_equal(f.saddr6, tgt, 16);
    assert_int_equal(buf[54 + 4], 0x60);
    assert_true(l4_ok(&f));
}

static void test_too_big(void **state)
{
    (void)state;
    setup("198.18.0.2 --data-len 9000");
    assert_int_equal(craft_build(&c, 0, buf, 100), 0);
    assert_true(craft_build(&c, 0, buf, sizeof buf) > 9000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp4_fields),        cmocka_unit_test(test_tcp4_badsum_doff),
        cmocka_unit_test(test_tcp6),               cmocka_unit_test(test_udp_icmp),
        cmocka_unit_test(test_ipv4_fragment_fields), cmocka_unit_test(test_patch_equals_build),
        cmocka_unit_test(test_patch_keeps_badsum_bad), cmocka_unit_test(test_nd),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
