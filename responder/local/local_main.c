/* `rstcraft local [responder options]`: the responder on this machine. Makes its own
 * link (local_net.c), says which addresses answer and what each port does, then runs the
 * responder there with the options it was given, until a signal; removes everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "config.h"
#include "local.h"
#include "mode.h"

/* A loopback address no user hands to local: tells "no -a" from "-a". */
#define SENTINEL "127.255.255.254"

static const char usage_text[] =
"usage: rstcraft local [--any-address] [responder options]\n"
"\n"
"Answer from this machine: a veth pair whose far end lives in a network namespace of\n"
"its own, an address on the near end and a route for the emulated addresses. Any program\n"
"here can then connect to them. Everything made is removed on exit, however it exits.\n"
"\n"
"  -a ADDRS         addresses to emulate (default: one free address of 198.18.0.0/15,\n"
"                   198.18.0.10 when nothing else uses 198.18.0.0/24)\n"
"  --any-address    allow -a outside 198.18.0.0/15 (routed here, to the responder)\n"
"  every other responder option: -p, --mode, --rules, --profile, --json, -w, ...\n"
"  (see rstcraft --help; -i is not one: local makes its own interface)\n"
"\n"
"Examples:\n"
"  sudo rstcraft local -p 8080 --mode rst         then: curl http://198.18.0.10:8080/\n"
"  sudo rstcraft local --mode silent --json\n"
"  sudo rstcraft local --rules my.rules -w out.pcap\n"
"\n"
"Needs root (or CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN). See rstcraft(1).\n";

void local_ports_str(const void *portset, char *buf, size_t len)
{
    const struct portset *ps = portset;
    size_t used = 0;
    buf[0] = '\0';
    unsigned count = 0;
    for (unsigned p = 0; p < 65536 && used < len;) {
        if (!portset_has(ps, (uint16_t)p)) {
            p++;
            continue;
        }
        unsigned q = p;
        while (q < 65535 && portset_has(ps, (uint16_t)(q + 1)))
            q++;
        int w = q > p ? snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", p, q)
                      : snprintf(buf + used, len - used, "%s%u", used ? "," : "", p);
        if (w < 0)
            break;
        used += (size_t)w;
        count += q - p + 1;
        p = q + 1;
    }
    if (count == 65536)
        snprintf(buf, len, "*");
}

/* The mode options that differ from their defaults: " delay=200 echo". */
static void params_str(const struct mode_params *p, char *buf, size_t len)
{
    const struct mode_param *const *d = mode_param_all();
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; d[i] && used < len; i++) {
        int w = 0;
        if (d[i]->set || p->v[i] == d[i]->dflt)
            continue;               /* the reply's bytes are not shown */
        if (d[i]->metavar)
            w = snprintf(buf + used, len - used, " %s=%u", d[i]->name, (unsigned)p->v[i]);
        else
            w = snprintf(buf + used, len - used, " %s", d[i]->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void print_rule(const struct rule *r, const char *ports)
{
    char where[40] = "", params[128], a[16];
    if (r->mask)
        snprintf(where, sizeof where, "%s/%d ", ip4_str(r->addr, a), __builtin_popcount(r->mask));
    params_str(&r->p, params, sizeof params);
    fprintf(stderr, "  %s%-14s %s%s: %s\n", where, ports, r->mode->name, params,
            r->mode->summary ? r->mode->summary : "");
}

static void banner(const struct local_net *ln, const struct resp_config *c,
                   const struct addrset *addrs)
{
    char a[16], b[16];
    fprintf(stderr, "rstcraft local: answering for ");
    for (size_t i = 0; i < addrs->n && i < 4; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", ip4_str(addrs->v[i], a));
    if (addrs->n > 4)
        fprintf(stderr, " ... (%zu addresses)", addrs->n);
    fprintf(stderr, ", routed through %s (this machine's end: %s), profile %s\n", ln->near,
            ip4_str(ln->near_addr, b), c->profile);
    char ports[256];
    for (size_t i = 0; i < c->rules.n; i++) {
        local_ports_str(&c->rules.v[i].ports, ports, sizeof ports);
        char label[270];
        snprintf(label, sizeof label, "port %s", ports);
        print_rule(&c->rules.v[i], label);
    }
    print_rule(&c->rules.dflt, c->rules.n ? "other ports" : "every port");
    unsigned port = 80;   /* an example: the first port a rule names */
    for (unsigned p = 1; c->rules.n && p < 65536; p++)
        if (portset_has(&c->rules.v[0].ports, (uint16_t)p)) {
            port = p;
            break;
        }
    fprintf(stderr, "  try: curl http://%s:%u/    watch: tcpdump -ni %s    stop: Ctrl-C "
            "(removes what it made)\n", ip4_str(addrs->v[0], a), port, ln->near);
}

struct run_args {
    int    argc;
    char **argv;
    bool   add_default;   /* no -a given: the link's default address */
};

static int run_responder(const struct local_net *ln, void *arg)
{
    const struct run_args *ra = arg;
    char a[16];
    char **v = calloc((size_t)ra->argc + 8, sizeof *v);
    if (!v)
        return 3;
    int n = 0;
    v[n++] = "rstcraft";
    v[n++] = "-i";
    v[n++] = (char *)(uintptr_t)ln->far;
    v[n++] = "--no-probe";          /* the link is ours alone: nobody to ask */
    if (ra->add_default) {
        v[n++] = "-a";
        v[n++] = (char *)(uintptr_t)ip4_str(ln->dflt_addr, a);
    }
    for (int i = 0; i < ra->argc; i++)
        v[n++] = ra->argv[i];
    v[n] = NULL;
    int rc = respond_main(n, v);
    free(v);
    return rc;
}

/* Check the responder options the way the responder will read them; user_addrs gets the
 * -a addresses given (none: empty). 0, or an exit status. */
static int check_options(int argc, char **argv, struct resp_config *c, struct addrset *user_addrs)
{
    char **v = calloc((size_t)argc + 6, sizeof *v);
    if (!v)
        return 3;
    int n = 0;
    static char placeholder[] = "rc0";
    v[n++] = "rstcraft local";
    v[n++] = "-i";
    v[n++] = placeholder;
    v[n++] = "-a";
    v[n++] = SENTINEL;
    for (int i = 0; i < argc; i++)
        v[n++] = argv[i];
    char err[1024] = "";
    int rc = config_parse(c, n, v, err, sizeof err);
    free(v);
    if (rc == 1)
        return 1;
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (c->iface != placeholder) {
        fprintf(stderr, "rstcraft local: -i: local makes its own interface; leave -i out\n");
        return 2;
    }
    uint32_t sentinel;
    ip4_parse(SENTINEL, &sentinel);
    for (size_t i = 0; i < c->addrs.n; i++)
        if (c->addrs.v[i] != sentinel)
            addrset_add(user_addrs, c->addrs.v[i]);
    return 0;
}

int local_main(int argc, char **argv)
{
    /* local's own options come out; the rest is the responder's */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return 3;
    int nrest = 0;
    bool any = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            free(rest);
            return 0;
        }
        if (strcmp(argv[i], "--any-address") == 0)
            any = true;
        else
            rest[nrest++] = argv[i];
    }
    static struct resp_config c;
    struct addrset addrs = {0};
    int code = check_options(nrest, rest, &c, &addrs);
    if (code != 0) {
        free(rest);
        addrset_free(&addrs);
        return code == 1 ? 0 : code;
    }
    char err[1024] = "";
    if (local_check_addrs(&addrs, any, err, sizeof err) != 0) {
        fprintf(stderr, "rstcraft local: %s\n", err);
        code = 2;
        goto out;
    }
    if (c.list_profiles) {
        memmove(rest + 1, rest, (size_t)nrest * sizeof *rest);
        rest[0] = "rstcraft";
        code = respond_main(nrest + 1, rest);
        goto out;
    }
    if (!local_privileged("local")) {
        code = 3;
        goto out;
    }
    struct local_net ln = { .seq = 0, .child_out = -1, .child_err = -1 };
    struct run_args ra = { .argc = nrest, .argv = rest, .add_default = addrs.n == 0 };
    if (local_net_up(&ln, addrs.n ? &addrs : NULL, run_responder, &ra, err, sizeof err) != 0) {
        fprintf(stderr, "rstcraft local: %s\n", err);
        code = 3;
        goto out;
    }
    if (addrs.n == 0)
        addrset_add(&addrs, ln.dflt_addr);
    banner(&ln, &c, &addrs);
    code = local_net_wait(&ln);
out:
    config_free(&c);
    addrset_free(&addrs);
    free(rest);
    return code;
}
