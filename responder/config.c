/* The responder's command line. Options fill a struct resp_config; the mode options and
 * -p/--mode/--default become rules, merged with --rules FILE so the engine sees one
 * ruleset. Nothing is printed here but what the user asked to see (--help, --version,
 * --list-modes); errors are one line in err. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "cli.h"
#include "cpu_latency.h"
#include "mode.h"
#include "profile.h"
#include "params.h"

#define VERSION "0.1.0"

enum {
    OPT_MODE = 256, OPT_DEFAULT, OPT_RULES, OPT_PROFILE, OPT_LIST_PROFILES, OPT_LIST_MODES,
    OPT_MAC, OPT_FORCE, OPT_NO_PROBE, OPT_PROBE_MS, OPT_KGUARD, OPT_JSON, OPT_COUNT,
    OPT_DURATION, OPT_MAX_FLOWS, OPT_BUSY_POLL, OPT_PERSONALITY, OPT_OS_DB, OPT_STATS,
    OPT_CPU_LATENCY,
    OPT_PARAM = 512,   /* + the slot of a mode parameter (mode_param_all) */
};

/* The responder's own options; the modes' parameters follow them (longopts()). */
static const struct option fixed_opts[] = {
    { "help",              no_argument,       NULL, 'h' },
    { "version",           no_argument,       NULL, 'V' },
    { "quiet",             no_argument,       NULL, 'q' },
    { "mode",              required_argument, NULL, OPT_MODE },
    { "default",           required_argument, NULL, OPT_DEFAULT },
    { "rules",             required_argument, NULL, OPT_RULES },
    { "profile",           required_argument, NULL, OPT_PROFILE },
    { "list-profiles",     no_argument,       NULL, OPT_LIST_PROFILES },
    { "list-modes",        no_argument,       NULL, OPT_LIST_MODES },
    { "mac",               required_argument, NULL, OPT_MAC },
    { "force",             no_argument,       NULL, OPT_FORCE },
    { "no-probe",          no_argument,       NULL, OPT_NO_PROBE },
    { "probe-ms",          required_argument, NULL, OPT_PROBE_MS },
    { "kernel-guard",      no_argument,       NULL, OPT_KGUARD },
    { "json",              no_argument,       NULL, OPT_JSON },
    { "count",             required_argument, NULL, OPT_COUNT },
    { "duration",          required_argument, NULL, OPT_DURATION },
    { "stats",             required_argument, NULL, OPT_STATS },
    { "max-flows",         required_argument, NULL, OPT_MAX_FLOWS },
    { "busy-poll",         no_argument,       NULL, OPT_BUSY_POLL },
    { "cpu-latency",       required_argument, NULL, OPT_CPU_LATENCY },
    { "personality",       required_argument, NULL, OPT_PERSONALITY },
    { "os-db",             required_argument, NULL, OPT_OS_DB },
};
#define NFIXED (sizeof fixed_opts / sizeof fixed_opts[0])

/* fixed_opts, then --NAME for every mode parameter, then the end. */
static void longopts(struct option out[NFIXED + MODE_PARAM_MAX + 1])
{
    const struct mode_param *const *d = mode_param_all();
    size_t n = NFIXED;
    memcpy(out, fixed_opts, sizeof fixed_opts);
    for (int i = 0; d[i]; i++)
        out[n++] = (struct option){ d[i]->name, d[i]->metavar ? required_argument : no_argument,
                                    NULL, OPT_PARAM + i };
    out[n] = (struct option){ NULL, 0, NULL, 0 };
}
/* '+': stop at the first non-option and leave argv in order; ':': report a missing argument
 * apart from an unknown option */
static const char shortopts[] = "+:hVqi:a:p:w:Z:";

/* What the command line said about rules, applied once every option is read. */
struct cli {
    bool have_p;
    struct portset ports;
    const struct mode_ops *mode, *dflt;
    const char *rules;
    struct mode_params p;
    uint32_t pmask;          /* which mode options were given (1u << slot) */
    bool profile_given;
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "rstcraft: %s", msg);
    return 2;
}

static int mode_arg(const struct mode_ops **out, const char *opt, const char *name,
                    char *err, size_t errlen)
{
    char names[160];
    if ((*out = mode_find(name)))
        return 0;
    mode_names(names, sizeof names);
    return fail(err, errlen, "%s: unknown mode '%.64s' (expected one of %s)", opt, name, names);
}

static int num_arg(uint64_t *out, const char *val, uint64_t lo, uint64_t hi, const char *opt,
                   const char *what, char *err, size_t errlen)
{
    if (parse_u64(val, out) && *out >= lo && *out <= hi)
        return 0;
    return fail(err, errlen, "%s: expected %s (%llu..%llu), got '%.64s'", opt, what,
                (unsigned long long)lo, (unsigned long long)hi, val);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int mac_arg(uint8_t mac[6], const char *s, char *err, size_t errlen)
{
    const char *p = s;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
        if (lo < 0 || p[2] != (i == 5 ? '\0' : ':'))
            return fail(err, errlen, "--mac: expected aa:bb:cc:dd:ee:ff, got '%.64s'", s);
        mac[i] = (uint8_t)(hi << 4 | lo);
        p += 3;
    }
    if (mac[0] & 1)
        return fail(err, errlen, "--mac: %s is a multicast address", s);
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
        return fail(err, errlen, "--mac: %s is not a usable address", s);
    return 0;
}

/* Plain decimal seconds: strtod alone would also take "inf", "nan", "0x10" and " 5". */
static int duration_arg(double *out, const char *s, const char *opt, char *err, size_t errlen)
{
    const char *p = s;
    size_t int_digits = strspn(p, "0123456789"), frac_digits = 0;
    p += int_digits;
    if (*p == '.') {
        frac_digits = strspn(p + 1, "0123456789");
        p += 1 + frac_digits;
    }
    if (*p || int_digits + frac_digits == 0 || int_digits > 9 ||
        (*out = strtod(s, NULL)) > 31536000.0)
        return fail(err, errlen, "%s: expected seconds (0..31536000, e.g. 2.5), "
                    "got '%.64s'", opt, s);
    return 0;
}

static int iface_arg(const char **out, const char *s, char *err, size_t errlen)
{
    char msg[128];
    if (cli_ifname(s, msg, sizeof msg) != 0)
        return fail(err, errlen, "%s", msg);
    *out = s;
    return 0;
}

static void print_options(const struct mode_param *const *d)
{
    for (size_t i = 0; d && d[i]; i++)
        printf(" --%s", d[i]->name);
}

/* Each mode's line, and the options it reads under it. */
static void list_modes(void)
{
    const struct mode_ops *const *m = mode_all();
    for (size_t i = 0; m[i]; i++) {
        printf("%-12s %s\n", m[i]->name, m[i]->summary ? m[i]->summary : "");
        if (!m[i]->params && !m[i]->uses)
            continue;
        printf("%-12s options:", "");
        print_options(m[i]->params);
        print_options(m[i]->uses);
        putchar('\n');
    }
}

static int option(struct resp_config *c, struct cli *st, int opt, const char *arg,
                  char *err, size_t errlen)
{
    char msg[256];
    uint64_t v;
    int rc;

    if (opt >= OPT_PARAM) {
        char what[80];
        snprintf(what, sizeof what, "--%s", mode_param_all()[opt - OPT_PARAM]->name);
        rc = param_set(&st->p, opt - OPT_PARAM, arg, what, msg, sizeof msg);
        ruleset_own(&c->rules, st->p.reply.body);
        if (rc < 0)
            return fail(err, errlen, "%s", msg);
        st->pmask |= 1u << (opt - OPT_PARAM);
        return 0;
    }
    switch (opt) {
    case 'h':
        config_usage(stdout);
        return 1;
    case 'V':
        printf("rstcraft " VERSION "\n");
        return 1;
    case OPT_LIST_MODES:
        list_modes();
        return 1;
    case OPT_LIST_PROFILES: c->list_profiles = true; return 0;
    case 'q':            c->quiet = true; return 0;
    case OPT_FORCE:      c->force = true; return 0;
    case OPT_NO_PROBE:   c->no_probe = true; return 0;
    case OPT_KGUARD:     c->kernel_guard = true; return 0;
    case OPT_JSON:       c->json = true; return 0;
    case OPT_BUSY_POLL:  c->busy_poll = true; return 0;
    case 'i':
        return iface_arg(&c->iface, arg, err, errlen);
    case 'a':
        if (addrset_parse(&c->addrs, arg, msg, sizeof msg) < 0)
            return fail(err, errlen, "-a: %s", msg);
        return 0;
    case 'p': {
        struct portset ps;
        if (portset_parse(&ps, arg, msg, sizeof msg) < 0)
            return fail(err, errlen, "-p: %s", msg);
        for (size_t i = 0; i < sizeof ps.bits; i++)    /* -p 80 -p 443: both */
            st->ports.bits[i] |= ps.bits[i];
        st->have_p = true;
        return 0;
    }
    case 'w':
        if (!*arg)
            return fail(err, errlen, "-w: expected a file name");
        c->pcap_out = arg;
        return 0;
    case 'Z':
        if (!*arg)
            return fail(err, errlen, "-Z: expected a user name");
        c->user = arg;
        return 0;
    case OPT_MODE:
        return mode_arg(&st->mode, "--mode", arg, err, errlen);
    case OPT_DEFAULT:
        return mode_arg(&st->dflt, "--default", arg, err, errlen);
    case OPT_RULES:
        if (st->rules)
            return fail(err, errlen, "--rules: given twice (one rules file per run)");
        st->rules = arg;
        return 0;
    case OPT_PROFILE:
        if (!profile_find(arg) || strlen(arg) >= sizeof c->profile)
            return fail(err, errlen, "--profile: unknown profile '%.64s' (see rstcraft "
                        "--list-profiles)", arg);
        snprintf(c->profile, sizeof c->profile, "%s", arg);
        st->profile_given = true;
        return 0;
    case OPT_PERSONALITY:
        if (!*arg)
            return fail(err, errlen, "--personality: expected an nmap-os-db fingerprint name");
        c->personality = arg;
        return 0;
    case OPT_OS_DB:
        c->os_db = arg;
        return 0;
    case OPT_MAC:
        if ((rc = mac_arg(c->mac, arg, err, errlen)) == 0)
            c->have_mac = true;
        return rc;
    case OPT_PROBE_MS:
        if ((rc = num_arg(&v, arg, 1, 60000, "--probe-ms", "milliseconds", err, errlen)) == 0)
            c->probe_ms = (unsigned)v;
        return rc;
    case OPT_COUNT:
        if ((rc = num_arg(&v, arg, 0, UINT64_MAX, "--count", "a number of events", err,
                          errlen)) == 0)
            c->count = v;
        return rc;
    case OPT_DURATION:
        return duration_arg(&c->duration_s, arg, "--duration", err, errlen);
    case OPT_STATS:
        return duration_arg(&c->stats_s, arg, "--stats", err, errlen);
    case OPT_CPU_LATENCY:
        if ((rc = num_arg(&v, arg, 0, CPU_LATENCY_MAX_US, "--cpu-latency", "microseconds", err,
                          errlen)) == 0)
            c->cpu_latency_us = (int32_t)v;
        return rc;
    case OPT_MAX_FLOWS:
        if ((rc = num_arg(&v, arg, 1000, 50000000, "--max-flows", "a number of flows", err,
                          errlen)) == 0)
            c->max_flows = (uint32_t)v;
        return rc;
    default:
        return fail(err, errlen, "internal error: option %d not handled", opt);
    }
}

/* Every option is read: build the rules in their order of precedence. */
static int finish(struct resp_config *c, struct cli *st, char *err, size_t errlen)
{
    if (!c->iface)
        return fail(err, errlen, "-i IFACE is required");
    if (addrset_count(&c->addrs) == 0)
        return fail(err, errlen, "-a ADDRS is required");
    if (st->have_p && !st->mode)
        return fail(err, errlen, "-p needs --mode MODE (which behaviour for those ports?)");
    if (!st->have_p && st->mode && st->dflt)
        return fail(err, errlen, "--mode without -p already sets every port; "
                    "use -p PORTS --mode MODE with --default");
    char msg[512];
    int rc = mode_params_finish(&st->p, msg, sizeof msg);
    ruleset_own(&c->rules, st->p.reply.body);
    if (rc < 0)
        return fail(err, errlen, "%s", msg);
    if (st->have_p) {
        struct rule r;
        memset(&r, 0, sizeof r);
        r.ports = st->ports;
        r.mode = st->mode;
        r.p = st->p;
        snprintf(r.where, sizeof r.where, "cli");
        if (ruleset_add(&c->rules, &r) < 0)
            return fail(err, errlen, "out of memory");
    }
    if (st->rules) {
        if (ruleset_load(&c->rules, st->rules, msg, sizeof msg) < 0)
            return fail(err, errlen, "%s", msg);
    }
    const struct mode_ops *dm = st->dflt ? st->dflt : st->have_p ? NULL : st->mode;
    if (dm) {
        c->rules.dflt.mode = dm;
        snprintf(c->rules.dflt.where, sizeof c->rules.dflt.where, "cli");
    }
    /* the command line wins key by key over a file's default line */
    param_copy(&c->rules.dflt.p, &st->p, st->pmask);
    rc = mode_params_finish(&c->rules.dflt.p, msg, sizeof msg);
    ruleset_own(&c->rules, c->rules.dflt.p.reply.body);
    if (rc < 0)
        return fail(err, errlen, "%s", msg);
    if (st->profile_given || !c->rules.profile[0])
        snprintf(c->rules.profile, sizeof c->rules.profile, "%s", c->profile);
    else
        snprintf(c->profile, sizeof c->profile, "%s", c->rules.profile);
    return 0;
}

static int parse(struct resp_config *c, struct cli *st, int argc, char **argv,
                 char *err, size_t errlen)
{
    int opt, rc;
    struct option opts[NFIXED + MODE_PARAM_MAX + 1];
    longopts(opts);
    optind = 0;     /* glibc: 0 restarts the scan from scratch, so tests may call us again */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (opt == ':' || opt == '?') {
            char msg[512];
            cli_getopt_error(opt, argv, opts, "rstcraft", msg, sizeof msg);
            return fail(err, errlen, "%s", msg);
        }
        if ((rc = option(c, st, opt, optarg, err, errlen)) != 0)
            return rc;
    }
    if (optind < argc)
        return fail(err, errlen, "unexpected argument '%.64s' (see rstcraft --help)",
                    argv[optind]);
    return 0;
}

int config_parse(struct resp_config *c, int argc, char **argv, char *err, size_t errlen)
{
    struct cli st;
    memset(c, 0, sizeof *c);
    ruleset_init(&c->rules);
    snprintf(c->profile, sizeof c->profile, "linux");
    c->probe_ms = 200;
    c->max_flows = 1000000;
    c->cpu_latency_us = -1;
    memset(&st, 0, sizeof st);
    mode_params_default(&st.p);
    if (errlen)
        err[0] = '\0';

    int rc = parse(c, &st, argc, argv, err, errlen);
    if (rc == 0 && !c->list_profiles)
        rc = finish(c, &st, err, errlen);
    if (rc != 0)
        config_free(c);
    return rc;
}

void config_free(struct resp_config *c)
{
    addrset_free(&c->addrs);
    ruleset_free(&c->rules);
}
