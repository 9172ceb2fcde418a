/* `rstcraft censor` options. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "censor.h"
#include "cli.h"
#include "cidr.h"
#include "cpu_latency.h"
#include "craft.h"

void censor_usage(FILE *out)
{
    fputs(
"usage: rstcraft censor -i IFACE TRIGGER... [options]\n"
"  Watches IFACE, which must see both directions of the connections (a bridge in the\n"
"  path, in promiscuous mode, or a mirror port), and forges resets for those that match a\n"
"  trigger, the way a published censor does. Real packets pass untouched (unless --drop):\n"
"  the forged resets race them, as on the Internet. IPv4 and IPv6 (the fingerprint's TTL\n"
"  is the hop limit there; IPv6 has no IP ID or DF).\n"
"Triggers (any number, each up to 16 times):\n"
"  --keyword WORD       WORD in the client's first 2048 bytes\n"
"  --host NAME          HTTP Host header NAME or a subdomain of it\n"
"  --sni NAME           TLS ClientHello server name NAME or a subdomain of it\n"
"  --port PORT          every connection to PORT, reset at its SYN\n"
"  --dst ADDR[/LEN]     every connection to that address or block (IPv4 or IPv6), reset at\n"
"                       its SYN\n"
"Options:\n"
"  --injector NAME      the forged resets' fingerprint (default gfw2):\n"
"      gfw1     1 RST, IP ID 0, no DF, TTL 55-118              Wu et al., \"A Wall Behind A\n"
"      gfw2     3 identical RST|ACK, IP ID 163-65119, DF,        Wall\", IEEE S&P 2025, Table 4\n"
"               TTL 39-238\n"
"      gfw3     1 RST|ACK, IP ID 39190-39219, no DF, TTL 248\n"
"      henan    1 RST|ACK to the client only, 10-byte payload 01 02 .. 09 00, IP ID 1, TTL 58\n"
"      clayton  3 RST|ACK per end at seq, seq+1460, seq+4380    Clayton, Murdoch, Watson,\n"
"                                                               PET 2006\n"
"      geneva   5 RSTs, window 8192, TTL 64, IP ID 1 (scapy)    Geneva censors/, CCS 2019\n"
"  --to both|client|server   which ends get resets (default both)\n"
"  --count N            resets per end (default: the injector's)\n"
"  --residual S         block the (client, server, port) for S seconds after a trigger\n"
"                       (default: 180 for gfw*, 0 for henan, 90 for the others)\n"
"  --residual-mode rst|synack  during the block, reset new connections at the SYN (default)\n"
"                       or answer them with a forged SYN-ACK carrying a wrong seq\n"
"  --tcb MODEL          connection tracking: strict (default: a careful observer; the\n"
"                       handshake it saw is kept, resets believed only at the exact seq and\n"
"                       the sender's TTL, out-of-order data reassembled), syn-only (Geneva 1-3: state\n"
"                       from the client's SYNs, each in-order segment inspected alone),\n"
"                       teardown (any RST or FIN removes the state, unchecked), reassemble\n"
"                       (strict, but a new SYN always resynchronises)\n"
"  --check-checksums    ignore segments whose TCP checksum is wrong, as their receiver\n"
"                       does (off by default: on veth and other links with checksum offload\n"
"                       a capture sees checksums that were never filled in)\n"
"  --max-flows N        connections tracked at once (default 65536; the oldest leave)\n"
"  --seed N             reproducible TTL and IP ID draws\n"
"  --drop               in the path: also drop a censored connection's further packets as\n"
"                       they are forwarded (nftables tables rstcraft_censor_<pid>, bridge and\n"
"                       inet families, removed at exit, by a janitor if killed, or at the next\n"
"                       start if left behind)\n"
"  --busy-poll          spin on the capture instead of sleeping (a whole core; faster reaction\n"
"                       on a core of its own: taskset -c 1 rstcraft censor ..., other work\n"
"                       kept off that core; not SCHED_FIFO, which starves the core's softirq\n"
"                       thread until the kernel stops the spinner for up to 50 ms a second)\n"
"  --cpu-latency US     while running, ask the kernel to keep every CPU within US\n"
"                       microseconds of waking (PM QoS, /dev/cpu_dma_latency); 0 makes\n"
"                       idle CPUs poll instead of halting, so a sleeping censor is woken\n"
"                       without the slow return of a halted CPU (idle CPUs spin meanwhile)\n"
"  --duration S         stop after S seconds\n"
"  -w FILE              write every frame seen and forged to a pcap file\n"
"  --json               one JSON object per event;  -q  only the final counts\n"
"Exit: 0 ran (and stopped on a signal or --duration), 1 the interface was deleted or\n"
"renamed, 2 usage error, 3 runtime error.\n", out);
}

static int add_str(const char **v, size_t *n, const char *s, const char *what, char *err, size_t errlen)
{
    if (!*s || strlen(s) >= SNIFF_NAME_MAX) {
        snprintf(err, errlen, "%s must be 1 to %d characters", what, SNIFF_NAME_MAX - 1);
        return -1;
    }
    if (*n == CENSOR_MAX_LIST) {
        snprintf(err, errlen, "at most %d %s", CENSOR_MAX_LIST, what);
        return -1;
    }
    v[(*n)++] = s;
    return 0;
}

/* ADDR or ADDR/LEN, IPv4 (as IPv4-mapped, LEN + 96) or IPv6; host bits must be clear. */
static int parse_dst(const char *s, struct caddr *addr, uint8_t *plen)
{
    if (!strchr(s, ':')) {
        uint32_t a, mask;
        if (cidr_parse(s, &a, &mask) != CIDR_OK)
            return -1;
        caddr_v4set(addr, a);
        *plen = (uint8_t)(96 + __builtin_popcount(mask));
        return 0;
    }
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(s) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", s);
    unsigned len = 128;
    char *slash = strchr(buf, '/');
    if (slash) {
        char *end;
        *slash = '\0';
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (!slash[1] || *end || v > 128 || (slash[1] == '0' && slash[2]))
            return -1;
        len = (unsigned)v;
    }
    if (inet_pton(AF_INET6, buf, addr->a) != 1)
        return -1;
    struct caddr net = *addr;
    for (unsigned i = len; i < 128; i++)
        net.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    if (memcmp(net.a, addr->a, 16) != 0)
        return -1;      /* host bits set: say so rather than guess which block was meant */
    *plen = (uint8_t)len;
    return 0;
}

int censor_parse_args(struct censor_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    enum { O_KEYWORD = 256, O_HOST, O_SNI, O_PORT, O_DST, O_INJ, O_TO, O_COUNT, O_RES, O_RESMODE,
           O_TCB, O_MAXF, O_SEED, O_DUR, O_JSON, O_CSUM, O_BUSY, O_DROP, O_CPULAT };
    static const struct option lo[] = {
        { "iface", required_argument, 0, 'i' },  { "keyword", required_argument, 0, O_KEYWORD },
        { "host", required_argument, 0, O_HOST }, { "sni", required_argument, 0, O_SNI },
        { "port", required_argument, 0, O_PORT }, { "dst", required_argument, 0, O_DST },
        { "injector", required_argument, 0, O_INJ }, { "to", required_argument, 0, O_TO },
        { "count", required_argument, 0, O_COUNT }, { "residual", required_argument, 0, O_RES },
        { "residual-mode", required_argument, 0, O_RESMODE }, { "tcb", required_argument, 0, O_TCB },
        { "max-flows", required_argument, 0, O_MAXF }, { "seed", required_argument, 0, O_SEED },
        { "duration", required_argument, 0, O_DUR }, { "json", no_argument, 0, O_JSON },
        { "check-checksums", no_argument, 0, O_CSUM }, { "busy-poll", no_argument, 0, O_BUSY },
        { "drop", no_argument, 0, O_DROP }, { "cpu-latency", required_argument, 0, O_CPULAT },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    memset(o, 0, sizeof *o);
    o->inj = injector_find("gfw2");
    o->residual_s = -1;
    o->max_flows = 65536;
    o->cpu_latency_us = -1;
    optind = 0;
    opterr = 0;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "+:i:w:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'h': censor_usage(stdout); return 1;
        case 'i':
            if (cli_ifname(optarg, err, errlen) != 0)
                return -1;
            snprintf(o->ifname, sizeof o->ifname, "%s", optarg);
            break;
        case 'w': o->wfile = optarg; break;
        case 'q': o->quiet = true; break;
        case O_JSON: o->json = true; break;
        case O_CSUM: o->check_csum = true; break;
        case O_BUSY: o->busy_poll = true; break;
        case O_DROP: o->drop = true; break;
        case O_CPULAT:
            if (craft_parse_uint(optarg, CPU_LATENCY_MAX_US, &v, "--cpu-latency", err, errlen) < 0)
                return -1;
            o->cpu_latency_us = (int32_t)v;
            break;
        case O_KEYWORD:
            if (add_str(o->keyword, &o->nkeyword, optarg, "--keyword", err, errlen) < 0)
                return -1;
            break;
        case O_HOST:
            if (add_str(o->host, &o->nhost, optarg, "--host", err, errlen) < 0)
                return -1;
            break;
        case O_SNI:
            if (add_str(o->sni, &o->nsni, optarg, "--sni", err, errlen) < 0)
                return -1;
            break;
        case O_PORT:
            if (craft_parse_uint(optarg, 65535, &v, "--port", err, errlen) < 0)
                return -1;
            if (!v || o->nport == CENSOR_MAX_LIST) {
                snprintf(err, errlen, v ? "at most %d --port" : "--port must be 1 to 65535",
                         CENSOR_MAX_LIST);
                return -1;
            }
            o->port[o->nport++] = (uint16_t)v;
            break;
        case O_DST:
            if (o->ndst == CENSOR_MAX_LIST) {
                snprintf(err, errlen, "at most %d --dst", CENSOR_MAX_LIST);
                return -1;
            }
            if (parse_dst(optarg, &o->dst[o->ndst].addr, &o->dst[o->ndst].plen) != 0) {
                snprintf(err, errlen, "bad --dst \"%.64s\" (ADDR or ADDR/LEN, IPv4 or IPv6)", optarg);
                return -1;
            }
            o->ndst++;
            break;
        case O_INJ:
            if (!(o->inj = injector_find(optarg))) {
                snprintf(err, errlen, "unknown --injector \"%.48s\" (one of: %s)", optarg, injector_names());
                return -1;
            }
            break;
        case O_TO:
            if (!strcmp(optarg, "both"))
                o->to = TO_BOTH;
            else if (!strcmp(optarg, "client"))
                o->to = TO_CLIENT;
            else if (!strcmp(optarg, "server"))
                o->to = TO_SERVER;
            else {
                snprintf(err, errlen, "bad --to \"%.48s\" (both, client or server)", optarg);
                return -1;
            }
            break;
        case O_COUNT:
            if (craft_parse_uint(optarg, 100, &v, "--count", err, errlen) < 0)
                return -1;
            if (!v) {
                snprintf(err, errlen, "--count must be 1 to 100");
                return -1;
            }
            o->count = (unsigned)v;
            break;
        case O_RES:
            if (craft_parse_uint(optarg, 86400, &v, "--residual", err, errlen) < 0)
                return -1;
            o->residual_s = (long)v;
            break;
        case O_RESMODE:
            if (!strcmp(optarg, "rst"))
                o->residual_mode = RES_RST;
            else if (!strcmp(optarg, "synack"))
                o->residual_mode = RES_SYNACK;
            else {
                snprintf(err, errlen, "bad --residual-mode \"%.48s\" (rst or synack)", optarg);
                return -1;
            }
            break;
        case O_TCB:
            if (tcb_parse(optarg, &o->tcb) < 0) {
                snprintf(err, errlen, "bad --tcb \"%.48s\" (strict, syn-only, teardown or reassemble)",
                         optarg);
                return -1;
            }
            break;
        case O_MAXF:
            if (craft_parse_uint(optarg, 16u << 20, &v, "--max-flows", err, errlen) < 0)
                return -1;
            if (v < 16) {
                snprintf(err, errlen, "--max-flows must be at least 16");
                return -1;
            }
            o->max_flows = (uint32_t)v;
            break;
        case O_SEED:
            if (craft_parse_uint(optarg, UINT64_MAX, &v, "--seed", err, errlen) < 0)
                return -1;
            o->seed = v;
            break;
        case O_DUR: {
            uint64_t ns;
            if (craft_parse_interval(optarg, &ns, err, errlen) < 0) {
                snprintf(err, errlen, "bad --duration \"%.48s\" (seconds, or 500ms, 2s)", optarg);
                return -1;
            }
            o->duration_ns = ns;
            break;
        }
        default:
            return cli_getopt_error(c, argv, lo, "rstcraft censor", err, errlen);
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument \"%.64s\" (see rstcraft censor --help)", argv[optind]);
        return -1;
    }
    if (!o->ifname[0]) {
        snprintf(err, errlen, "missing -i IFACE");
        return -1;
    }
    if (!o->nkeyword && !o->nhost && !o->nsni && !o->nport && !o->ndst) {
        snprintf(err, errlen, "no trigger: give --keyword, --host, --sni, --port or --dst");
        return -1;
    }
    if (o->to == TO_SERVER && o->inj->client_only) {
        snprintf(err, errlen, "--injector %s resets only the client; --to server sends nothing", o->inj->name);
        return -1;
    }
    return 0;
}
