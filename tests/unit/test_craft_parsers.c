/* rstcraft craft: the value parsers and the command line (flags, intervals, hex, ports,
 * SACK, timestamps, presets, option order and the one-line errors for bad input). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "craft.h"

static char err[CRAFT_ERRLEN];

static void test_flags_letters(void **state)
{
    (void)state;
    uint8_t f;
    assert_int_equal(craft_parse_flags("S", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_SYN);
    assert_int_equal(craft_parse_flags("SA", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_SYN | TH_ACK);
    assert_int_equal(craft_parse_flags("S.", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_SYN | TH_ACK);
    assert_int_equal(craft_parse_flags("FPU", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_FIN | TH_PSH | TH_URG);
    assert_int_equal(craft_parse_flags("EC", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_ECE | TH_CWR);
    assert_int_equal(craft_parse_flags("R.", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_RST | TH_ACK);
    assert_int_equal(craft_parse_flags("FSRPAUEC", &f, err, sizeof err), 0);
    assert_int_equal(f, 0xff);
    assert_int_equal(craft_parse_flags("sa", &f, err, sizeof err), 0);   /* short: letters */
    assert_int_equal(f, TH_SYN | TH_ACK);
    assert_int_equal(craft_parse_flags("none", &f, err, sizeof err), 0);
    assert_int_equal(f, 0);
    assert_int_equal(craft_parse_flags("0x12", &f, err, sizeof err), 0);
    assert_int_equal(f, 0x12);
}

static void test_flags_names(void **state)
{
    (void)state;
    uint8_t f;
    assert_int_equal(craft_parse_flags("syn,ack", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_SYN | TH_ACK);
    assert_int_equal(craft_parse_flags("syn", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_SYN);
    assert_int_equal(craft_parse_flags("fin,psh,urg,ece,cwr,rst", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_FIN | TH_PSH | TH_URG | TH_ECE | TH_CWR | TH_RST);
    assert_int_equal(craft_parse_flags("SYN,ACK", &f, err, sizeof err), 0);
    assert_int_equal(f, TH_SYN | TH_ACK);
}

static void test_flags_bad(void **state)
{
    (void)state;
    uint8_t f = 0x42;
    assert_int_equal(craft_parse_flags("SX", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown TCP flag letter 'X'"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(f, 0x42);
    assert_int_equal(craft_parse_flags("syn,foo", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"foo\""));
    assert_int_equal(craft_parse_flags("", &f, err, sizeof err), -1);
    assert_int_equal(craft_parse_flags("syn,", &f, err, sizeof err), -1);
    assert_int_equal(craft_parse_flags("0x100", &f, err, sizeof err), -1);
    assert_int_equal(craft_parse_flags("S\x01", &f, err, sizeof err), -1);
    assert_int_equal(craft_parse_flags("abc", &f, err, sizeof err), -1);
}

static void test_interval(void **state)
{
    (void)state;
    uint64_t ns;
    assert_int_equal(craft_parse_interval("500us", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 500000);
    assert_int_equal(craft_parse_interval("2ms", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 2000000);
    assert_int_equal(craft_parse_interval("1s", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 1000000000);
    assert_int_equal(craft_parse_interval("1", &ns, err, sizeof err), 0);   /* bare: seconds */
    assert_int_equal(ns, 1000000000);
    assert_int_equal(craft_parse_interval("0.5", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 500000000);
    assert_int_equal(craft_parse_interval("1.5ms", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 1500000);
    assert_int_equal(craft_parse_interval("250ns", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 250);
    assert_int_equal(craft_parse_interval("u300", &ns, err, sizeof err), 0);   /* hping3 */
    assert_int_equal(ns, 300000);
    assert_int_equal(craft_parse_interval("0", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 0);
    assert_int_equal(craft_parse_interval("3600s", &ns, err, sizeof err), 0);
    assert_int_equal(ns, 3600000000000ull);
}

static void test_interval_bad(void **state)
{
    (void)state;
    uint64_t ns = 7;
    const char *bad[] = { "", "ms", "1x", "1 ms", "-1ms", "1..2", ".", "1msx", "3601s",
                          "99999999999999999999", "1e3", "u", "u1ms", "0x10" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(craft_parse_interval(bad[i], &ns, err, sizeof err), -1);
        assert_non_null(strstr(err, "interval"));
        assert_int_equal(ns, 7);
    }
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t b[8];
    size_t n;
    assert_int_equal(craft_parse_hex("0204 05b4", b, sizeof b, &n, err, sizeof err), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "\x02\x04\x05\xb4", 4);
    assert_int_equal(craft_parse_hex("de:AD-be:EF", b, sizeof b, &n, err, sizeof err), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "\xde\xad\xbe\xef", 4);
    assert_int_equal(craft_parse_hex("0x0102", b, sizeof b, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(craft_parse_hex("\\x01\\x02", b, sizeof b, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(craft_parse_hex("abc", b, sizeof b, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "odd number"));
    assert_int_equal(craft_parse_hex("zz", b, sizeof b, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad hex"));
    assert_int_equal(craft_parse_hex("", b, sizeof b, &n, err, sizeof err), -1);
    assert_int_equal(craft_parse_hex("010203040506070809", b, sizeof b, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(craft_parse_hex("0g", b, sizeof b, &n, err, sizeof err), -1);
}

static void test_uint(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(craft_parse_uint("65535", 65535, &v, "--mss", err, sizeof err), 0);
    assert_int_equal(v, 65535);
    assert_int_equal(craft_parse_uint("0x10", 65535, &v, "--mss", err, sizeof err), 0);
    assert_int_equal(v, 16);
    assert_int_equal(craft_parse_uint("65536", 65535, &v, "--mss", err, sizeof err), -1);
    assert_non_null(strstr(err, "--mss 65536 out of range (0..65535)"));
    assert_int_equal(craft_parse_uint("-1", 65535, &v, "--mss", err, sizeof err), -1);
    assert_int_equal(craft_parse_uint("12a", 65535, &v, "--mss", err, sizeof err), -1);
    assert_int_equal(craft_parse_uint("", 65535, &v, "--mss", err, sizeof err), -1);
    assert_int_equal(craft_parse_uint("0x", 65535, &v, "--mss", err, sizeof err), -1);
    assert_int_equal(craft_parse_uint("99999999999999999999999", UINT64_MAX, &v, "--x", err, sizeof err), -1);
    assert_int_equal(craft_parse_uint("18446744073709551615", UINT64_MAX, &v, "--x", err, sizeof err), 0);
    assert_true(v == UINT64_MAX);
}

static void test_ports(void **state)
{
    (void)state;
    struct portrange r[4];
    size_t n;
    uint32_t total;
    assert_int_equal(craft_parse_ports("80", r, 4, &n, &total, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_int_equal(craft_parse_ports("22,80,443-445", r, 4, &n, &total, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(total, 5);
    assert_int_equal(r[2].lo, 443);
    assert_int_equal(r[2].hi, 445);
    assert_int_equal(craft_parse_ports("0-65535", r, 4, &n, &total, err, sizeof err), 0);
    assert_int_equal(total, 65536);
    assert_int_equal(craft_parse_ports("90-80", r, 4, &n, &total, err, sizeof err), -1);
    assert_int_equal(craft_parse_ports("65536", r, 4, &n, &total, err, sizeof err), -1);
    assert_int_equal(craft_parse_ports("1,,2", r, 4, &n, &total, err, sizeof err), -1);
    assert_int_equal(craft_parse_ports("1,2,3,4,5", r, 4, &n, &total, err, sizeof err), -1);
    assert_int_equal(craft_parse_ports("a-b", r, 4, &n, &total, err, sizeof err), -1);
}

static void test_sack_ts_mac(void **state)
{
    (void)state;
    struct optitem it;
    assert_int_equal(craft_parse_sack("1:2,3:4", &it, err, sizeof err), 0);
    assert_int_equal(it.kind, OI_SACK);
    assert_int_equal(it.nsack, 2);
    assert_int_equal(it.sack[1].l, 3);
    assert_int_equal(it.sack[1].r, 4);
    assert_int_equal(craft_parse_sack("1:2,3:4,5:6,7:8,9:10", &it, err, sizeof err), -1);
    assert_int_equal(craft_parse_sack("1", &it, err, sizeof err), -1);
    assert_int_equal(craft_parse_sack("1:x", &it, err, sizeof err), -1);
    assert_int_equal(craft_parse_ts("100", &it, err, sizeof err), 0);
    assert_int_equal(it.tsval, 100);
    assert_int_equal(it.tsecr, 0);
    assert_int_equal(craft_parse_ts("100:4294967295", &it, err, sizeof err), 0);
    assert_int_equal(it.tsecr, 4294967295u);
    assert_int_equal(craft_parse_ts("4294967296", &it, err, sizeof err), -1);
    uint8_t mac[6];
    assert_int_equal(craft_parse_mac("02:00:00:aa:bb:cc", mac, err, sizeof err), 0);
    assert_memory_equal(mac, "\x02\x00\x00\xaa\xbb\xcc", 6);
    assert_int_equal(craft_parse_mac("02:00:00:aa:bb", mac, err, sizeof err), -1);
    assert_int_equal(craft_parse_mac("02:00:00:aa:bb:cc:dd", mac, err, sizeof err), -1);
}

static void test_presets(void **state)
{
    (void)state;
    struct optitem it[CRAFT_MAXOPTS];
    size_t n = 0;
    assert_int_equal(craft_opts_preset("windows", it, CRAFT_MAXOPTS, &n, err, sizeof err), 0);
    assert_int_equal(n, 6);
    assert_int_equal(it[0].kind, OI_MSS);
    assert_int_equal(it[2].kind, OI_WS);
    assert_int_equal(it[2].ws, 8);
    assert_int_equal(it[5].kind, OI_SACKOK);
    assert_int_equal(craft_opts_preset("bogus", it, CRAFT_MAXOPTS, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "linux"));
}

/* ---- the whole command line ---- */

static int parse(struct craft_opts *o, const char *line)
{
    static char buf[1024];
    char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "craft %s", line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    return craft_parse_args(o, argc, argv, err, sizeof err);
}

static struct craft_opts o;

static void test_args_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(&o, "198.18.0.2"), 0);
    assert_false(o.v6);
    assert_int_equal(o.dst4, 0xc6120002u);
    assert_int_equal(o.proto, CP_TCP);
    assert_int_equal(o.flags, TH_SYN);
    assert_int_equal(o.ttl, 64);
    assert_int_equal(o.ports[0].lo, 80);
    assert_int_equal(o.count, 0);
    assert_int_equal(o.wait_ms, 1000);
    assert_int_equal(o.interval_ns, 1000000000ull);
    assert_int_equal(o.optlen, 0);
}

static void test_args_options_in_order(void **state)
{
    (void)state;
    assert_int_equal(parse(&o, "198.18.0.2 --nop --mss 1400 --wscale 7 --sackok --ts 5:6 --eol"), 0);
    /* nop, mss, ws, sackok, ts, eol = 1+4+3+2+10+1 = 21 -> padded to 24 with EOL */
    assert_int_equal(o.optlen, 24);
    static const uint8_t want[24] = { 1, 2, 4, 0x05, 0x78, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 0 };
    assert_memory_equal(o.optbuf, want, 24);
    assert_int_equal(parse(&o, "198.18.0.2 --opt 1e0401020304 --mss 536"), 0);
    assert_int_equal(o.optlen, 12);
    static const uint8_t want2[12] = { 0x1e, 4, 1, 2, 3, 4, 2, 4, 0x02, 0x18, 0, 0 };
    assert_memory_equal(o.optbuf, want2, 12);
    assert_int_equal(parse(&o, "198.18.0.2 --opts-preset linux"), 0);
    assert_int_equal(o.optlen, 20);
    assert_int_equal(o.optbuf[0], 2);
    assert_int_equal(o.optbuf[4], 4);
    assert_int_equal(o.optbuf[6], 8);
    assert_int_equal(o.optbuf[16], 1);
    assert_int_equal(o.optbuf[17], 3);
}

static void test_args_everything(void **state)
{
    (void)state;
    assert_int_equal(parse(&o, "-c 3 -p 22,80-81 -s 40000 --flags FPU --seq 7 --ack 9 --win 100 --urg 5 "
                               "--doff 9 --res 3 --badsum --src 198.18.0.50 --ttl 9 --id 77 --tos 0x10 "
                               "--df --mf --frag-off 3 --data 4142 --data-string CD --data-len 6 "
                               "--interval 500us --wait 20 --json -q -w /tmp/x.pcap -i c0 "
                               "--dst-mac 02:00:00:00:00:01 198.18.0.2"), 0);
    assert_int_equal(o.count, 3);
    assert_int_equal(o.nport_total, 3);
    assert_true(o.has_sport);
    assert_int_equal(o.sport, 40000);
    assert_int_equal(o.flags, TH_FIN | TH_PSH | TH_URG);
    assert_int_equal(o.seq, 7);
    assert_int_equal(o.ack, 9);
    assert_int_equal(o.win, 100);
    assert_int_equal(o.urp, 5);
    assert_int_equal(o.doff, 9);
    assert_int_equal(o.res, 3);
    assert_true(o.badsum);
    assert_int_equal(o.src4, 0xc6120032u);
    assert_int_equal(o.ttl, 9);
    assert_int_equal(o.id, 77);
    assert_int_equal(o.tos, 0x10);
    assert_true(o.df && o.mf);
    assert_int_equal(o.frag_off, 3);
    assert_int_equal(o.dlen, 6);
    assert_memory_equal(o.data, "ABCD\0\0", 6);
    assert_int_equal(o.interval_ns, 500000);
    assert_int_equal(o.wait_ms, 20);
    assert_true(o.json && o.quiet);
    assert_string_equal(o.pcap_path, "/tmp/x.pcap");
    assert_string_equal(o.ifname, "c0");
    assert_true(o.has_dst_mac);
}

static void test_args_v6_udp_icmp(void **state)
{
    (void)state;
    assert_int_equal(parse(&o, "2001:2::2 --hop-limit 7 --flow-label 0x12345 --tclass 4"), 0);
    assert_true(o.v6);
    assert_int_equal(o.dst6[0], 0x20);
    assert_int_equal(o.dst6[15], 2);
    assert_int_equal(o.ttl, 7);
    assert_int_equal(o.flowlabel, 0x12345);
    assert_int_equal(parse(&o, "-6 2001:2::2 --icmp"), 0);
    assert_int_equal(o.icmp_type, 128);
    assert_int_equal(parse(&o, "198.18.0.2 --icmp --icmp-type 13 --icmp-code 1"), 0);
    assert_int_equal(o.icmp_type, 13);
    assert_int_equal(o.icmp_code, 1);
    assert_int_equal(parse(&o, "198.18.0.2 --udp"), 0);
    assert_int_equal(o.ports[0].lo, 53);
}

static void expect_usage(const char *line, const char *needle)
{
    int rc = parse(&o, line);
    if (rc != -1 || !strstr(err, needle))
        fail_msg("'%s': rc %d, err '%s', wanted '%s'", line, rc, err, needle);
    assert_null(strchr(err, '\n'));
}

static void test_args_errors(void **state)
{
    (void)state;
    expect_usage("198.18.0.2 --flags SZ", "unknown TCP flag letter 'Z'");
    expect_usage("198.18.0.2 --mss 70000", "--mss 70000 out of range (0..65535)");
    expect_usage("198.18.0.2 --mss x", "bad --mss");
    expect_usage("198.18.0.2 --data 0g", "bad hex");
    expect_usage("198.18.0.2 --opt 123", "odd number");
    expect_usage("198.18.0.2 --interval 5xs", "bad --interval");
    expect_usage("198.18.0.2 --ts 1:2 --ts 1:2 --ts 1:2 --ts 1:2 --mss 1", "too long for the header");
    expect_usage("198.18.0.2 --sack 1:2,3:4,5:6,7:8 --ts 1", "take 44 bytes: too long for the header");
    expect_usage("198.18.0.2 --opt 0102030405060708091011121314151617181920212223242526272829303132333435363738394041",
                 "too long for the TCP header");
    expect_usage("198.18.0.2 --bogus", "unknown option '--bogus' (see rstcraft craft --help)");
    expect_usage("198.18.0.2 -Z", "unknown option '-Z'");
    expect_usage("198.18.0.2 --mss", "--mss needs an argument");
    expect_usage("", "missing destination");
    expect_usage("198.18.0.2 198.18.0.3", "unexpected argument");
    expect_usage("198.18.0.2 --wscale 256", "--wscale 256 out of range");
    expect_usage("198.18.0.2 --doff 16", "--doff 16 out of range");
    expect_usage("2001:2::2 --df", "IPv4 only");
    expect_usage("198.18.0.2 --flow-label 1", "IPv6 only");
    expect_usage("198.18.0.2 --src 2001:2::1", "family");
    expect_usage("198.18.0.2 --udp --mss 1400", "need TCP");
    expect_usage("198.18.0.2 --rate 0", "bad --rate");
    expect_usage("198.18.0.2 --rate 10 --interval 1ms", "exclude");
    expect_usage("198.18.0.2 --flood --rate 10", "excludes");
    expect_usage("198.18.0.2 -c 0", "at least 1");
    expect_usage("198.18.0.2 -p 80-70", "end before start");
    expect_usage("198.18.0.2 --opts-preset solaris", "unknown --opts-preset");
    expect_usage("198.18.0.2 --data-file /nonexistent/x", "--data-file /nonexistent/x");
    expect_usage("198.18.0.2 --data-len 99999", "--data-len");
    expect_usage("198.18.0.2 --icmp -p 80", "do not apply");
    expect_usage("198.18.0.2 --dst-mac 1:2:3", "bad MAC");
}

static void test_args_reentrant(void **state)
{
    (void)state;
    /* getopt state is reset each time: a second parse sees all its options */
    assert_int_equal(parse(&o, "198.18.0.2 --mss 1"), 0);
    assert_int_equal(parse(&o, "198.18.0.2 --mss 2"), 0);
    assert_int_equal(o.optbuf[3], 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_letters),   cmocka_unit_test(test_flags_names),
        cmocka_unit_test(test_flags_bad),       cmocka_unit_test(test_interval),
        cmocka_unit_test(test_interval_bad),    cmocka_unit_test(test_hex),
        cmocka_unit_test(test_uint),            cmocka_unit_test(test_ports),
        cmocka_unit_test(test_sack_ts_mac),     cmocka_unit_test(test_presets),
        cmocka_unit_test(test_args_defaults),   cmocka_unit_test(test_args_options_in_order),
        cmocka_unit_test(test_args_everything), cmocka_unit_test(test_args_v6_udp_icmp),
        cmocka_unit_test(test_args_errors),     cmocka_unit_test(test_args_reentrant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
