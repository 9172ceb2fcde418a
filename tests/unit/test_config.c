/* The responder's command line: every option, its defaults and its messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "mode_values.h"
#include "config.h"
#include "mode.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define MAXARGS 32
#define END ((const char *)NULL)   /* a typed end of the argument list */

static struct resp_config cfg;
static char err[1024];
static char out[16384];     /* what config_parse printed to stdout */

/* parse("-i", "r0", ..., END): argv[0] is "rstcraft"; stdout is caught into out */
static int parse_v(const char *first, va_list ap)
{
    char *argv[MAXARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"rstcraft";
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc < MAXARGS);
        argv[argc++] = (char *)a;
    }
    argv[argc] = NULL;

    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    err[0] = '\0';
    int rc = config_parse(&cfg, argc, argv, err, sizeof err);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    if (rc == 2) {
        assert_int_equal(strncmp(err, "rstcraft: ", 10), 0);
        assert_null(strchr(err, '\n'));
        assert_int_equal(n, 0);           /* errors are never printed */
    }
    return rc;
}

static int parse(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = parse_v(first, ap);
    va_end(ap);
    return rc;
}

/* a usage error with exactly this message */
static void usage_err(const char *msg, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = parse_v(first, ap);
    va_end(ap);
    if (rc != 2 || strcmp(err, msg) != 0)
        fail_msg("rc %d, err '%s', wanted '%s'", rc, err, msg);
    config_free(&cfg);
}

static const char *rules_path(const char *name)
{
    static char buf[512];
    const char *f = __FILE__, *cut = strstr(f, "unit/test_config.c");
    snprintf(buf, sizeof buf, "%.*srules/%s", (int)(cut ? cut - f : 0), f, name);
    return buf;
}

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_config.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", END), 0);
    assert_string_equal(cfg.iface, "r0");
    assert_int_equal(cfg.addrs.n, 1);
    assert_true(addrset_has(&cfg.addrs, IP(198, 18, 0, 10)));
    assert_string_equal(cfg.profile, "linux");
    assert_string_equal(cfg.rules.profile, "linux");
    assert_int_equal(cfg.probe_ms, 200);
    assert_int_equal(cfg.max_flows, 1000000);
    assert_int_equal(cfg.count, 0);
    assert_true(cfg.duration_s == 0.0);
    assert_false(cfg.have_mac || cfg.force || cfg.kernel_guard || cfg.no_probe || cfg.json ||
                 cfg.quiet || cfg.busy_poll || cfg.list_profiles);
    assert_null(cfg.pcap_out);
    assert_null(cfg.user);
    assert_int_equal(cfg.rules.n, 0);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("rst"));
    assert_int_equal(pv(&cfg.rules.dflt.p, "delay"), 110);
    assert_int_equal(pv(&cfg.rules.dflt.p, "read"), 4096);
    assert_int_equal(pv(&cfg.rules.dflt.p, "read-wait"), 20);
    assert_int_equal(pv(&cfg.rules.dflt.p, "backlog"), 128);
    assert_false(pv(&cfg.rules.dflt.p, "echo"));
    assert_false(pv(&cfg.rules.dflt.p, "abort-on-overflow"));
    assert_string_equal(out, "");
    config_free(&cfg);
    config_free(&cfg);
}

static void test_every_option(void **state)
{
    (void)state;
    assert_int_equal(parse("-i", "veth0", "-a", "198.18.0.10,198.18.0.11", "-a", "198.18.0.16/30",
                           "--mac", "02:00:5E:10:00:01", "--force", "--no-probe",
                           "--probe-ms", "50", "--kernel-guard", "--json", "-q", "-w", "o.pcap",
                           "--count", "18446744073709551615", "--duration", "2.5", "-Z", "nobody",
                           "--max-flows", "50000000", "--busy-poll", "--profile", "linux", END), 0);
    assert_string_equal(cfg.iface, "veth0");
    assert_int_equal(cfg.addrs.n, 6);
    assert_true(addrset_has(&cfg.addrs, IP(198, 18, 0, 19)));
    assert_true(cfg.have_mac);
    static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
    assert_memory_equal(cfg.mac, mac, 6);
    assert_true(cfg.force && cfg.no_probe && cfg.kernel_guard && cfg.json && cfg.quiet &&
                cfg.busy_poll);
    assert_int_equal(cfg.probe_ms, 50);
    assert_string_equal(cfg.pcap_out, "o.pcap");
    assert_true(cfg.count == UINT64_MAX);
    assert_true(cfg.duration_s == 2.5);
    assert_string_equal(cfg.user, "nobody");
    assert_int_equal(cfg.max_flows, 50000000);
    config_free(&cfg);

    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.1", "--quiet", "--max-flows", "1000",
                           "--duration", ".5", "--count", "0", "--probe-ms", "60000",
                           "--stats", "2.5", END), 0);
    assert_true(cfg.quiet);
    assert_int_equal(cfg.max_flows, 1000);
    assert_true(cfg.duration_s == 0.5);
    assert_true(cfg.stats_s == 2.5);
    assert_int_equal(cfg.probe_ms, 60000);
    config_free(&cfg);

    /* "respond" as the command name, and unambiguous abbreviations (getopt_long) */
    char *argv[] = { (char *)"respond", (char *)"-i", (char *)"r0", (char *)"-a",
                     (char *)"198.18.0.1", (char *)"--kern", NULL };
    assert_int_equal(config_parse(&cfg, 6, argv, err, sizeof err), 0);
    assert_true(cfg.kernel_guard);
    config_free(&cfg);
}

static void test_ports_and_mode(void **state)
{
    (void)state;
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "-p", "80,443", "--mode", "unread",
                           "--read", "4096", "--read-wait", "50", END), 0);
    assert_int_equal(cfg.rules.n, 1);
    const struct rule *r = &cfg.rules.v[0];
    assert_ptr_equal(r->mode, mode_find("unread"));
    assert_int_equal(r->mask, 0);
    assert_string_equal(r->where, "cli");
    assert_int_equal(pv(&r->p, "read"), 4096);
    assert_int_equal(pv(&r->p, "read-wait"), 50);
    assert_int_equal(pv(&r->p, "delay"), 110);
    assert_ptr_equal(ruleset_match(&cfg.rules, IP(198, 18, 0, 10), 443), r);
    assert_ptr_equal(ruleset_match(&cfg.rules, IP(198, 18, 0, 10), 22), &cfg.rules.dflt);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("rst"));
    assert_int_equal(pv(&cfg.rules.dflt.p, "read-wait"), 50);   /* options reach the default too */
    config_free(&cfg);

    /* -p twice: both */
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "-p", "80", "-p", "90-91",
                           "--mode", "silent", "--default", "open", "--echo", END), 0);
    assert_int_equal(cfg.rules.n, 1);
    assert_ptr_equal(ruleset_match(&cfg.rules, 1, 80)->mode, mode_find("silent"));
    assert_ptr_equal(ruleset_match(&cfg.rules, 1, 91)->mode, mode_find("silent"));
    assert_ptr_equal(ruleset_match(&cfg.rules, 1, 92)->mode, mode_find("open"));
    assert_true(pv(&cfg.rules.dflt.p, "echo"));
    assert_true(pv(&cfg.rules.v[0].p, "echo"));
    config_free(&cfg);

    /* --mode without -p: every port */
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--mode", "delay", "--delay", "250",
                           END), 0);
    assert_int_equal(cfg.rules.n, 0);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("delay"));
    assert_int_equal(pv(&cfg.rules.dflt.p, "delay"), 250);
    config_free(&cfg);

    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--default", "backlog",
                           "--backlog", "1", "--abort-on-overflow", END), 0);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("backlog"));
    assert_int_equal(pv(&cfg.rules.dflt.p, "backlog"), 1);
    assert_true(pv(&cfg.rules.dflt.p, "abort-on-overflow"));
    config_free(&cfg);

    /* the last --mode wins */
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--mode", "open", "--mode", "silent",
                           END), 0);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("silent"));
    config_free(&cfg);
}

static void test_rules_file(void **state)
{
    (void)state;
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "-p", "80", "--mode", "silent",
                           "--rules", rules_path("good.rules"), END), 0);
    assert_int_equal(cfg.rules.n, 10);
    assert_string_equal(cfg.rules.v[0].where, "cli");
    /* the CLI rule shadows the file's port 80 */
    assert_ptr_equal(ruleset_match(&cfg.rules, IP(198, 18, 0, 10), 80)->mode, mode_find("silent"));
    assert_ptr_equal(ruleset_match(&cfg.rules, IP(198, 18, 0, 10), 84)->mode, mode_find("unread"));
    assert_string_equal(cfg.profile, "linux");
    config_free(&cfg);

    /* the command line wins over a file's default line, key by key */
    const char *p = write_tmp("profile linux\ndefault delay delay=500 read=7\n");
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--rules", p, "--read", "9", END), 0);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("delay"));
    assert_int_equal(pv(&cfg.rules.dflt.p, "delay"), 500);
    assert_int_equal(pv(&cfg.rules.dflt.p, "read"), 9);
    assert_string_equal(cfg.profile, "linux");
    config_free(&cfg);
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--rules", p, "--default", "rst",
                           "--profile", "linux", END), 0);
    assert_ptr_equal(cfg.rules.dflt.mode, mode_find("rst"));
    assert_string_equal(cfg.rules.dflt.where, "cli");
    config_free(&cfg);
    unlink(p);

    char msg[700];
    snprintf(msg, sizeof msg, "rstcraft: %s:3: unknown mode 'foo' (expected one of open, rst, "
             "silent, delay, unread, after-close, backlog)", rules_path("bad-mode.rules"));
    usage_err(msg, "-i", "r0", "-a", "198.18.0.10", "--rules", rules_path("bad-mode.rules"), END);
    usage_err("rstcraft: /nonexistent/x.rules: No such file or directory",
              "-i", "r0", "-a", "198.18.0.10", "--rules", "/nonexistent/x.rules", END);
    usage_err("rstcraft: --rules: given twice (one rules file per run)",
              "-i", "r0", "-a", "198.18.0.10", "--rules", "a", "--rules", "b", END);
}

static void test_required_and_combinations(void **state)
{
    (void)state;
    usage_err("rstcraft: -i IFACE is required", "-a", "198.18.0.10", END);
    usage_err("rstcraft: -i IFACE is required", END);
    usage_err("rstcraft: -a ADDRS is required", "-i", "r0", END);
    usage_err("rstcraft: -p needs --mode MODE (which behaviour for those ports?)",
              "-i", "r0", "-a", "198.18.0.10", "-p", "80", END);
    usage_err("rstcraft: -p needs --mode MODE (which behaviour for those ports?)",
              "-i", "r0", "-a", "198.18.0.10", "-p", "80", "--default", "open", END);
    usage_err("rstcraft: --mode without -p already sets every port; use -p PORTS --mode MODE "
              "with --default", "-i", "r0", "-a", "198.18.0.10", "--mode", "open",
              "--default", "rst", END);
    usage_err("rstcraft: unexpected argument 'extra' (see rstcraft --help)",
              "-i", "r0", "-a", "198.18.0.10", "extra", END);
    usage_err("rstcraft: unexpected argument '-a' (see rstcraft --help)",
              "-i", "r0", "--", "-a", "198.18.0.10", END);
}

static void test_bad_values(void **state)
{
    (void)state;
#define A "-i", "r0", "-a", "198.18.0.10"
    usage_err("rstcraft: --delay: expected milliseconds (0..600000), got 'x'", A, "--delay", "x", END);
    usage_err("rstcraft: --delay: expected milliseconds (0..600000), got '600001'", A, "--delay", "600001", END);
    usage_err("rstcraft: --delay: expected milliseconds (0..600000), got '-1'", A, "--delay", "-1", END);
    usage_err("rstcraft: --delay: expected milliseconds (0..600000), got ''", A, "--delay", "", END);
    usage_err("rstcraft: --delay: expected milliseconds (0..600000), got '99999999999999999999999'",
              A, "--delay", "99999999999999999999999", END);
    usage_err("rstcraft: --delay: expected milliseconds (0..600000), got ' 5'", A, "--delay= 5", END);
    usage_err("rstcraft: --read: expected bytes (1..1073741824), got '0'", A, "--read", "0", END);
    usage_err("rstcraft: --read: expected bytes (1..1073741824), got '4k'", A, "--read", "4k", END);
    usage_err("rstcraft: --read-wait: expected milliseconds (0..600000), got '1e3'", A, "--read-wait", "1e3", END);
    usage_err("rstcraft: --backlog: expected a queue length (1..65535), got '65536'", A, "--backlog", "65536", END);
    usage_err("rstcraft: --backlog: expected a queue length (1..65535), got '0'", A, "--backlog", "0", END);
    usage_err("rstcraft: --probe-ms: expected milliseconds (1..60000), got '0'", A, "--probe-ms", "0", END);
    usage_err("rstcraft: --max-flows: expected a number of flows (1000..50000000), got '999'", A, "--max-flows", "999", END);
    usage_err("rstcraft: --max-flows: expected a number of flows (1000..50000000), got '50000001'", A, "--max-flows", "50000001", END);
    usage_err("rstcraft: --count: expected a number of events (0..18446744073709551615), got '-1'", A, "--count", "-1", END);
    usage_err("rstcraft: --count: expected a number of events (0..18446744073709551615), got '18446744073709551616'",
              A, "--count", "18446744073709551616", END);
    static const char *const durations[] = { "x", "", ".", "-1", "1e3", "inf", "nan", "0x10",
                                             " 5", "5s", "1.2.3", "31536000.5", "9999999999" };
    for (size_t i = 0; i < 2 * (sizeof durations / sizeof durations[0]); i++) {
        const char *opt = i % 2 ? "--stats" : "--duration", *v = durations[i / 2];
        char msg[200];
        snprintf(msg, sizeof msg, "rstcraft: %s: expected seconds (0..31536000, e.g. 2.5), "
                 "got '%s'", opt, v);
        usage_err(msg, A, opt, v, END);
    }
    usage_err("rstcraft: --mode: unknown mode 'foo' (expected one of open, rst, silent, delay, "
              "unread, after-close, backlog)", A, "--mode", "foo", END);
    usage_err("rstcraft: --default: unknown mode 'RST' (expected one of open, rst, silent, delay, "
              "unread, after-close, backlog)", A, "--default", "RST", END);
    usage_err("rstcraft: --profile: unknown profile 'beos' (see rstcraft --list-profiles)",
              A, "--profile", "beos", END);
    usage_err("rstcraft: -p: bad port range '9-3'", A, "-p", "9-3", "--mode", "rst", END);
    usage_err("rstcraft: -p: bad port '65536'", A, "-p", "65536", "--mode", "rst", END);
    usage_err("rstcraft: -a: bad address '198.18.0.300'", "-i", "r0", "-a", "198.18.0.300", END);
    usage_err("rstcraft: -a: bad address '1.2.3'", "-i", "r0", "-a", "1.2.3", END);
    usage_err("rstcraft: -a: empty address in '198.18.0.1,'", "-i", "r0", "-a", "198.18.0.1,", END);
    usage_err("rstcraft: -a: bad prefix length in '198.18.0.0/40' (expected /0../32)",
              "-i", "r0", "-a", "198.18.0.0/40", END);
    usage_err("rstcraft: -a: too many addresses (more than 1048576)", "-i", "r0", "-a", "10.0.0.0/8", END);
    usage_err("rstcraft: -i: bad interface name 'a-very-long-name0'", "-i", "a-very-long-name0", "-a", "198.18.0.1", END);
    usage_err("rstcraft: -i: bad interface name ''", "-i", "", "-a", "198.18.0.1", END);
    usage_err("rstcraft: -i: bad interface name 'a/b'", "-i", "a/b", "-a", "198.18.0.1", END);
    usage_err("rstcraft: -w: expected a file name", A, "-w", "", END);
    usage_err("rstcraft: -Z: expected a user name", A, "-Z", "", END);
    usage_err("rstcraft: --mac: expected aa:bb:cc:dd:ee:ff, got '02:00:00:00:00'", A, "--mac", "02:00:00:00:00", END);
    usage_err("rstcraft: --mac: expected aa:bb:cc:dd:ee:ff, got '02:00:00:00:00:01:02'", A, "--mac", "02:00:00:00:00:01:02", END);
    usage_err("rstcraft: --mac: expected aa:bb:cc:dd:ee:ff, got '2:0:0:0:0:1'", A, "--mac", "2:0:0:0:0:1", END);
    usage_err("rstcraft: --mac: expected aa:bb:cc:dd:ee:ff, got '02-00-00-00-00-01'", A, "--mac", "02-00-00-00-00-01", END);
    usage_err("rstcraft: --mac: expected aa:bb:cc:dd:ee:ff, got 'g2:00:00:00:00:01'", A, "--mac", "g2:00:00:00:00:01", END);
    usage_err("rstcraft: --mac: expected aa:bb:cc:dd:ee:ff, got ''", A, "--mac", "", END);
    usage_err("rstcraft: --mac: 01:00:5e:00:00:01 is a multicast address", A, "--mac", "01:00:5e:00:00:01", END);
    usage_err("rstcraft: --mac: 00:00:00:00:00:00 is not a usable address", A, "--mac", "00:00:00:00:00:00", END);
#undef A
}

static void test_bad_options(void **state)
{
    (void)state;
    usage_err("rstcraft: unknown option '--dely' (see rstcraft --help)", "-i", "r0", "--dely", "5", END);
    usage_err("rstcraft: unknown option '--dely' (see rstcraft --help)", "--dely=5", END);
    usage_err("rstcraft: unknown option '-x' (see rstcraft --help)", "-i", "r0", "-x", END);
    usage_err("rstcraft: unknown option '-x' (see rstcraft --help)", "-qx", END);
    usage_err("rstcraft: ambiguous option '--rea' (--read, --read-wait)", "--rea", "x", END);
    usage_err("rstcraft: ambiguous option '--reply-' (--reply-size, --reply-delay, --reply-rate, "
              "--reply-segments)", "--reply-", "x", END);
    usage_err("rstcraft: ambiguous option '--de' (--default, --delay)", "--de=5", END);
    usage_err("rstcraft: --json takes no argument", "--json=1", END);
    usage_err("rstcraft: --help takes no argument", "--help=1", END);
    usage_err("rstcraft: -i needs an argument (see rstcraft --help)", "-a", "198.18.0.1", "-i", END);
    usage_err("rstcraft: -i needs an argument (see rstcraft --help)", "-qi", END);
    usage_err("rstcraft: --delay needs an argument (see rstcraft --help)", "-i", "r0", "--delay", END);
    usage_err("rstcraft: --rules needs an argument (see rstcraft --help)", "--rules", END);
}

static void test_help_version_lists(void **state)
{
    (void)state;
    assert_int_equal(parse("--version", END), 1);
    assert_string_equal(out, "rstcraft 0.1.0\n");
    config_free(&cfg);
    assert_int_equal(parse("-V", "--bogus", END), 1);   /* read in order: -V first */
    assert_string_equal(out, "rstcraft 0.1.0\n");
    config_free(&cfg);

    assert_int_equal(parse("-h", END), 1);
    assert_non_null(strstr(out, "usage: rstcraft [respond] -i IFACE -a ADDRS [options]"));
    const char *const want[] = {
        "Addresses:", "Behaviour:", "Mode options", "Output:", "Safety and kernel:", "Limits:",
        "--mac MAC", "--force", "--no-probe", "--probe-ms MS", "--rules FILE", "--default MODE",
        "--delay MS", "--read BYTES", "--read-wait MS", "--backlog N", "--abort-on-overflow",
        "--echo", "--profile NAME", "--list-profiles", "--list-modes", "--kernel-guard",
        "--json", "--quiet", "-w FILE", "--count N", "--duration S", "--stats S", "-Z USER",
        "--max-flows N", "--busy-poll", "--version", "Modes:",
        "rstcraft -i r0 -a 198.18.0.10 --mode silent",
        "rstcraft -i r0 -a 198.18.0.8/29 -p 80 --mode unread --read 4096",
        "rstcraft -i r0 -a 198.18.0.10 --rules lab.rules --json -w out.pcap",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i]))
            fail_msg("--help lacks '%s'", want[i]);
    for (const struct mode_ops *const *m = mode_all(); *m; m++) {
        char line[64];
        snprintf(line, sizeof line, "\n  %s", (*m)->name);
        if (!strstr(out, line))
            fail_msg("--help lacks mode '%s'", (*m)->name);
    }
    char *copy = strdup(out);
    config_free(&cfg);
    assert_int_equal(parse("--help", END), 1);
    assert_string_equal(out, copy);
    free(copy);
    config_free(&cfg);

    assert_int_equal(parse("--list-modes", END), 1);
    for (const struct mode_ops *const *m = mode_all(); *m; m++)
        assert_non_null(strstr(out, (*m)->name));
    /* under each mode, the options it declares, then those it uses */
    assert_non_null(strstr(out, "\nbacklog      accept queue"));
    assert_non_null(strstr(out, "\n             options: --backlog --abort-on-overflow\n"));
    assert_non_null(strstr(out, "\n             options: --delay --echo --read-wait --reply "));
    config_free(&cfg);

    /* --list-profiles: the caller prints them; -i and -a are not needed */
    assert_int_equal(parse("--list-profiles", END), 0);
    assert_true(cfg.list_profiles);
    assert_string_equal(out, "");
    config_free(&cfg);
}

static void test_repeat_calls(void **state)
{
    (void)state;
    /* getopt state is reset on every call: an error in the middle of a cluster must not
     * leak into the next parse */
    usage_err("rstcraft: unknown option '-x' (see rstcraft --help)", "-qxq", END);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(parse("-q", "-i", "r0", "-a", "198.18.0.1", END), 0);
        assert_true(cfg.quiet);
        config_free(&cfg);
        usage_err("rstcraft: -i IFACE is required", "-a", "198.18.0.1", END);
    }
}

/* Every parameter a mode declares is an option of its own name: a number is range-checked
 * with the rules file's message, a flag sets 1 (a name a fixed option took would fail here). */
static void test_every_param_option(void **state)
{
    (void)state;
    for (const struct mode_param *const *d = mode_param_all(); *d; d++) {
        char opt[80], msg[256];
        snprintf(opt, sizeof opt, "--%s", (*d)->name);
        if ((*d)->set) {
            continue;                     /* reply: its own messages, tested in test_rules */
        } else if ((*d)->metavar) {
            snprintf(msg, sizeof msg, "rstcraft: %s: expected %s (%u..%u), got 'x'", opt,
                     (*d)->unit, (unsigned)(*d)->lo, (unsigned)(*d)->hi);
            usage_err(msg, "-i", "r0", "-a", "198.18.0.10", opt, "x", END);
        } else {
            assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", opt, END), 0);
            assert_int_equal(mode_value(&cfg.rules.dflt.p, *d), 1);
            config_free(&cfg);
        }
    }
}

/* roff as the man page writes it: "\-" for "-", "\fR|\fP" for "|" */
static void roff(char *buf, size_t len, const char *s)
{
    size_t n = 0;
    for (; *s && n + 8 < len; s++) {
        if (*s == '-')
            n += (size_t)snprintf(buf + n, len - n, "\\-");
        else if (*s == '|')
            n += (size_t)snprintf(buf + n, len - n, "\\fR|\\fP");
        else
            buf[n++] = *s;
    }
    buf[n] = '\0';
}

/* man/rstcraft.1 documents every mode parameter as the registry shows it in --help: the
 * option with its metavar, the modes that read it (mode options), and the rules key. */
static void test_man_page_params(void **state)
{
    (void)state;
    static char man[200000];
    char path[512], line[256], name[64], meta[96], users[160];
    const char *f = __FILE__, *cut = strstr(f, "tests/unit/test_config.c");
    snprintf(path, sizeof path, "%.*sman/rstcraft.1", (int)(cut ? cut - f : 0), f);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    man[fread(man, 1, sizeof man - 1, fp)] = '\0';
    fclose(fp);
    for (const struct mode_param *const *d = mode_param_all(); *d; d++) {
        roff(name, sizeof name, (*d)->name);
        roff(meta, sizeof meta, (*d)->metavar ? (*d)->metavar : "");
        if ((*d)->metavar)
            snprintf(line, sizeof line, "\n.BI \\-\\-%s \" %s\"\n", name, meta);
        else
            snprintf(line, sizeof line, "\n.B \\-\\-%s\n", name);
        const char *at = strstr(man, line);
        if (!at)
            fail_msg("man/rstcraft.1 lacks the option line '%s'", line + 1);
        if (!(*d)->section) {
            /* ".BR open ,\n.BR delay :\n" right after it */
            char want[512] = "", *u = users;
            size_t n = 0;
            mode_param_users(*d, users, sizeof users);
            for (char *tok = strtok_r(users, ", ", &u); tok; tok = strtok_r(NULL, ", ", &u)) {
                char mode[64];
                roff(mode, sizeof mode, tok);
                n += (size_t)snprintf(want + n, sizeof want - n, ".BR %s %s\n", mode, *u ? "," : ":");
            }
            if (strncmp(at + strlen(line), want, strlen(want)) != 0)
                fail_msg("man/rstcraft.1: --%s should name the modes that read it:\n%s", (*d)->name, want);
        }
        char alt[128];   /* a flag may close a list: ".BR abort\-on\-overflow ," */
        if ((*d)->metavar)
            snprintf(line, sizeof line, "\n.BI %s= %s", name, meta);
        else
            snprintf(line, sizeof line, "\n.B %s\n", name);
        snprintf(alt, sizeof alt, "\n.BR %s ", name);
        if (!strstr(man, line) && ((*d)->metavar || !strstr(man, alt)))
            fail_msg("man/rstcraft.1 lacks the rules key '%s'", line + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_ports_and_mode),
        cmocka_unit_test(test_rules_file),
        cmocka_unit_test(test_required_and_combinations),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_help_version_lists),
        cmocka_unit_test(test_repeat_calls),
        cmocka_unit_test(test_every_param_option),
        cmocka_unit_test(test_man_page_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
