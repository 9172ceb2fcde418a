/* The `rstcraft craft` command line: every option into struct craft_opts, TCP options kept
 * in the order given. Errors are one line; the caller exits 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "craft.h"
#include "cli.h"

void craft_usage(FILE *out)
{
    fputs(
"usage: rstcraft craft DST [options]\n"
"  DST is an IPv4 or IPv6 address (or a name, resolved once).\n"
"protocol:  (TCP by default)\n"
"  --udp | --icmp [--icmp-type N] [--icmp-code N] [--icmp-id N] [--icmp-seq N]\n"
"  -6                     IPv6 (implied by an IPv6 DST); --hop-limit N --flow-label N --tclass N\n"
"TCP:\n"
"  -p, --port PORTS       destination ports: 80, 1-1024, 22,80,443-445 (default 80; UDP 53);\n"
"                         probe i goes to the (i mod n)-th port\n"
"  -s, --sport PORT       fixed source port (default: a random base, +1 per probe)\n"
"  --flags F              tcpdump letters F S R P U E C and A or '.' (SA, S., FPU),\n"
"                         or names (syn,ack), or none, or a number; default S\n"
"  --seq N --ack N        fixed numbers (default: random base, varied per probe)\n"
"  --win N (default 64240) --urg N --doff WORDS --res BITS --badsum\n"
"TCP options, emitted in the order given and padded with EOL to 4 bytes (40 bytes max):\n"
"  --mss N --wscale N --sackok --sack L:R[,L:R] --ts VAL[:ECR] --nop --eol --opt HEX\n"
"  --opts-preset NAME     linux, windows, macos, freebsd, openbsd\n"
"IP:\n"
"  --src ADDR             source address; if this host does not own it, craft answers ARP\n"
"                         (IPv6: neighbour solicitations) for it while it runs\n"
"  --ttl N (default 64) --id N --tos N --df --mf --frag-off N (8-byte units)\n"
"payload (concatenated in the order given):\n"
"  --data HEX --data-string STR --data-file FILE --data-len N (pad with zeros / cut to N)\n"
"pace:\n"
"  -c, --count N          probes to send (default: until interrupted)\n"
"  --interval T           between probes: 500us, 2ms, 1s, 250ns; a bare number is seconds\n"
"                         (default 1s)\n"
"  --rate PPS             probes per second (absolute schedule, batched sends)\n"
"  --flood                as fast as possible, replies are not shown\n"
"  --wait MS              listen after the last probe (default 1000)\n"
"link:\n"
"  -i, --iface IFACE      (default: the route's interface)\n"
"  --dst-mac MAC --src-mac MAC  (default: the neighbour table, then ARP / ND)\n"
"output:\n"
"  -q, --quiet            summary only; --json one JSON object per line; -w FILE.pcap\n"
"Each probe differs from the others in the fields left free (source port, seq, ack,\n"
"IP ID, ICMP sequence); a reply is matched to its probe through the fields it echoes.\n"
"With every such field fixed, TCP replies are matched to the oldest unanswered probe and\n"
"marked ambiguous. A link going down pauses the probes (said once each way on stderr);\n"
"the interface deleted stops them (3). Exit: 0 a reply came (--flood: sent), 1 none,\n"
"2 usage error, 3 runtime error.\n",
        out);
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    char msg[CRAFT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s", msg);
    return -1;
}

enum {
    O_UDP = 256, O_ICMP, O_ICMP_TYPE, O_ICMP_CODE, O_ICMP_ID, O_ICMP_SEQ, O_HLIM, O_FLOWLABEL,
    O_TCLASS, O_FLAGS, O_SEQ, O_ACK, O_WIN, O_URG, O_DOFF, O_RES, O_BADSUM, O_MSS, O_WSCALE,
    O_SACKOK, O_SACK, O_TS, O_NOP, O_EOL, O_OPT, O_PRESET, O_SRC, O_TTL, O_ID, O_TOS, O_DF,
    O_MF, O_FRAGOFF, O_DATA, O_DATASTR, O_DATAFILE, O_DATALEN, O_INTERVAL, O_RATE, O_FLOOD,
    O_WAIT, O_JSON, O_DSTMAC, O_SRCMAC,
};

static const struct option longopts[] = {
    { "udp", no_argument, 0, O_UDP },          { "icmp", no_argument, 0, O_ICMP },
    { "icmp-type", required_argument, 0, O_ICMP_TYPE },
    { "icmp-code", required_argument, 0, O_ICMP_CODE },
    { "icmp-id", required_argument, 0, O_ICMP_ID },
    { "icmp-seq", required_argument, 0, O_ICMP_SEQ },
    { "ipv6", no_argument, 0, '6' },
    { "hop-limit", required_argument, 0, O_HLIM },
    { "flow-label", required_argument, 0, O_FLOWLABEL },
    { "tclass", required_argument, 0, O_TCLASS },
    { "port", required_argument, 0, 'p' },     { "sport", required_argument, 0, 's' },
    { "flags", required_argument, 0, O_FLAGS },
    { "seq", required_argument, 0, O_SEQ },    { "ack", required_argument, 0, O_ACK },
    { "win", required_argument, 0, O_WIN },    { "urg", required_argument, 0, O_URG },
    { "doff", required_argument, 0, O_DOFF },  { "res", required_argument, 0, O_RES },
    { "badsum", no_argument, 0, O_BADSUM },
    { "mss", required_argument, 0, O_MSS },    { "wscale", required_argument, 0, O_WSCALE },
    { "sackok", no_argument, 0, O_SACKOK },    { "sack", required_argument, 0, O_SACK },
    { "ts", required_argument, 0, O_TS },      { "nop", no_argument, 0, O_NOP },
    { "eol", no_argument, 0, O_EOL },          { "opt", required_argument, 0, O_OPT },
    { "opts-preset", required_argument, 0, O_PRESET },
    { "src", required_argument, 0, O_SRC },    { "ttl", required_argument, 0, O_TTL },
    { "id", required_argument, 0, O_ID },      { "tos", required_argument, 0, O_TOS },
    { "df", no_argument, 0, O_DF },            { "mf", no_argument, 0, O_MF },
    { "frag-off", required_argument, 0, O_FRAGOFF },
    { "data", required_argument, 0, O_DATA },
    { "data-string", required_argument, 0, O_DATASTR },
    { "data-file", required_argument, 0, O_DATAFILE },
    { "data-len", required_argument, 0, O_DATALEN },
    { "count", required_argument, 0, 'c' },
    { "interval", required_argument, 0, O_INTERVAL },
    { "rate", required_argument, 0, O_RATE },  { "flood", no_argument, 0, O_FLOOD },
    { "wait", required_argument, 0, O_WAIT },  { "json", no_argument, 0, O_JSON },
    { "quiet", no_argument, 0, 'q' },          { "write", required_argument, 0, 'w' },
    { "iface", required_argument, 0, 'i' },    { "interface", required_argument, 0, 'i' },
    { "dst-mac", required_argument, 0, O_DSTMAC },
    { "src-mac", required_argument, 0, O_SRCMAC },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
};

static size_t item_len(const struct optitem *it)
{
    switch (it->kind) {
    case OI_NOP: case OI_EOL: return 1;
    case OI_MSS: return 4;
    case OI_WS: return 3;
    case OI_SACKOK: return 2;
    case OI_SACK: return 2 + 8u * it->nsack;
    case OI_TS: return 10;
    case OI_RAW: return it->rawlen;
    default: return 0;
    }
}

static int add_item(struct craft_opts *o, const struct optitem *it, char *err, size_t errlen)
{
    if (o->nopts >= CRAFT_MAXOPTS)
        return fail(err, errlen, "too many TCP options (at most %d items)", CRAFT_MAXOPTS);
    o->opts[o->nopts++] = *it;
    return 0;
}

static int append_data(struct craft_opts *o, const uint8_t *p, size_t n, char *err, size_t errlen)
{
    if (n > sizeof o->data - o->dlen)
        return fail(err, errlen, "payload too long (at most %zu bytes)", sizeof o->data);
    memcpy(o->data + o->dlen, p, n);
    o->dlen += n;
    return 0;
}

static int read_file_data(struct craft_opts *o, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "--data-file %s: %s", path, strerror(errno));
    for (;;) {
        if (o->dlen == sizeof o->data) {
            char c;
            ssize_t r = read(fd, &c, 1);
            close(fd);
            if (r > 0)
                return fail(err, errlen, "--data-file %s: payload too long (at most %zu bytes)",
                            path, sizeof o->data);
            return 0;
        }
        ssize_t r = read(fd, o->data + o->dlen, sizeof o->data - o->dlen);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return fail(err, errlen, "--data-file %s: %s", path, strerror(errno));
        }
        if (r == 0)
            break;
        o->dlen += (size_t)r;
    }
    close(fd);
    return 0;
}

bool craft_allow_names = true;

static int parse_addr(const char *s, bool *v6, uint32_t *a4, uint8_t a6[16], bool allow_name,
                      const char *what, char *err, size_t errlen)
{
    struct in_addr in4;
    struct in6_addr in6;
    if (inet_pton(AF_INET, s, &in4) == 1) {
        *v6 = false;
        *a4 = ntohl(in4.s_addr);
        return 0;
    }
    if (inet_pton(AF_INET6, s, &in6) == 1) {
        *v6 = true;
        memcpy(a6, &in6, 16);
        return 0;
    }
    if (!allow_name || !craft_allow_names || !*s || strlen(s) > 253)
        return fail(err, errlen, "bad %s address \"%.64s\"", what, s);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_RAW;
    int rc = getaddrinfo(s, NULL, &hints, &res);
    if (rc != 0 || !res)
        return fail(err, errlen, "cannot resolve %s \"%.64s\": %s", what, s, gai_strerror(rc));
    struct addrinfo *pick = res;
    for (struct addrinfo *r = res; r; r = r->ai_next)
        if (r->ai_family == AF_INET) {
            pick = r;
            break;
        }
    if (pick->ai_family == AF_INET) {
        *v6 = false;
        *a4 = ntohl(((struct sockaddr_in *)pick->ai_addr)->sin_addr.s_addr);
    } else {
        *v6 = true;
        memcpy(a6, &((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, 16);
    }
    freeaddrinfo(res);
    return 0;
}

static void defaults(struct craft_opts *o)
{
    memset(o, 0, sizeof *o);
    o->flags = TH_SYN;
    o->win = 64240;
    o->doff = -1;
    o->ttl = 64;
    o->interval_ns = 1000000000ull;
    o->wait_ms = 1000;
    o->icmp_id = (uint16_t)getpid();
}

#define NUM(max, what, dst) do {                                                  \
        uint64_t v_;                                                             \
        if (craft_parse_uint(optarg, (max), &v_, (what), err, errlen) < 0)       \
            return -1;                                                           \
        (dst) = v_;                                                              \
    } while (0)

int craft_parse_args(struct craft_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    defaults(o);
    bool want6 = false, has_port = false, has_src = false, has_interval = false;
    bool v4only = false, v6only = false;
    const char *src_s = NULL;
    uint64_t dlen_forced = 0;
    struct optitem it;

    optind = 0;                 /* full re-initialisation: the parser may run more than once */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":6p:s:c:i:w:qh", longopts, NULL)) != -1) {
        memset(&it, 0, sizeof it);
        switch (c) {
        case 'h':
            craft_usage(stdout);
            return 1;
        case '6': want6 = true; break;
        case O_UDP: o->proto = CP_UDP; break;
        case O_ICMP: o->proto = CP_ICMP; break;
        case O_ICMP_TYPE: NUM(255, "--icmp-type", o->icmp_type); o->has_icmp_type = true; break;
        case O_ICMP_CODE: NUM(255, "--icmp-code", o->icmp_code); break;
        case O_ICMP_ID: NUM(65535, "--icmp-id", o->icmp_id); o->has_icmp_id = true; break;
        case O_ICMP_SEQ: NUM(65535, "--icmp-seq", o->icmp_seq); break;
        case O_HLIM: NUM(255, "--hop-limit", o->ttl); break;
        case O_FLOWLABEL: NUM(0xfffff, "--flow-label", o->flowlabel); v6only = true; break;
        case O_TCLASS: NUM(255, "--tclass", o->tos); break;
        case 'p':
            if (craft_parse_ports(optarg, o->ports, CRAFT_MAXPORTS, &o->nports, &o->nport_total,
                                  err, errlen) < 0)
                return -1;
            has_port = true;
            break;
        case 's': NUM(65535, "--sport", o->sport); o->has_sport = true; break;
        case O_FLAGS:
            if (craft_parse_flags(optarg, &o->flags, err, errlen) < 0)
                return -1;
            break;
        case O_SEQ: NUM(UINT32_MAX, "--seq", o->seq); o->has_seq = true; break;
        case O_ACK: NUM(UINT32_MAX, "--ack", o->ack); o->has_ack = true; break;
        case O_WIN: NUM(65535, "--win", o->win); break;
        case O_URG: NUM(65535, "--urg", o->urp); break;
        case O_DOFF: NUM(15, "--doff", o->doff); break;
        case O_RES: NUM(15, "--res", o->res); break;
        case O_BADSUM: o->badsum = true; break;
        case O_MSS:
            it.kind = OI_MSS;
            NUM(65535, "--mss", it.mss);
            if (add_item(o, &it, err, errlen) < 0) return -1;
            break;
        case O_WSCALE:
            it.kind = OI_WS;
            NUM(255, "--wscale", it.ws);
            if (add_item(o, &it, err, errlen) < 0) return -1;
            break;
        case O_SACKOK:
            it.kind = OI_SACKOK;
            if (add_item(o, &it, err, errlen) < 0) return -1;
            break;
        case O_SACK:
            if (craft_parse_sack(optarg, &it, err, errlen) < 0 || add_item(o, &it, err, errlen) < 0)
                return -1;
            break;
        case O_TS:
            if (craft_parse_ts(optarg, &it, err, errlen) < 0 || add_item(o, &it, err, errlen) < 0)
                return -1;
            break;
        case O_NOP:
            it.kind = OI_NOP;
            if (add_item(o, &it, err, errlen) < 0) return -1;
            break;
        case O_EOL:
            it.kind = OI_EOL;
            if (add_item(o, &it, err, errlen) < 0) return -1;
            break;
        case O_OPT: {
            size_t n;
            uint8_t *dst = o->rawopt + o->rawused;
            size_t room = sizeof o->rawopt - o->rawused;
            if (craft_parse_hex(optarg, dst, room > TCPOPT_MAXLEN ? TCPOPT_MAXLEN + 1 : room, &n,
                                err, errlen) < 0) {
                if (strstr(err, "too long"))
                    return fail(err, errlen, "--opt %.48s: option too long for the TCP header (at most 40 bytes)", optarg);
                return -1;
            }
            if (n > TCPOPT_MAXLEN)
                return fail(err, errlen, "--opt %.48s: option too long for the TCP header (at most 40 bytes)", optarg);
            o->rawused += n;
            it.kind = OI_RAW;
            it.raw = dst;
            it.rawlen = (uint8_t)n;
            if (add_item(o, &it, err, errlen) < 0) return -1;
            break;
        }
        case O_PRESET:
            if (craft_opts_preset(optarg, o->opts, CRAFT_MAXOPTS, &o->nopts, err, errlen) < 0)
                return -1;
            break;
        case O_SRC: src_s = optarg; has_src = true; break;
        case O_TTL: NUM(255, "--ttl", o->ttl); break;
        case O_ID: NUM(65535, "--id", o->id); o->has_id = true; v4only = true; break;
        case O_TOS: NUM(255, "--tos", o->tos); break;
        case O_DF: o->df = true; v4only = true; break;
        case O_MF: o->mf = true; v4only = true; break;
        case O_FRAGOFF: NUM(8191, "--frag-off", o->frag_off); v4only = true; break;
        case O_DATA: {
            uint8_t tmp[CRAFT_MAXDATA];
            size_t n;
            if (craft_parse_hex(optarg, tmp, sizeof tmp, &n, err, errlen) < 0 ||
                append_data(o, tmp, n, err, errlen) < 0)
                return -1;
            break;
        }
        case O_DATASTR:
            if (append_data(o, (const uint8_t *)optarg, strlen(optarg), err, errlen) < 0)
                return -1;
            break;
        case O_DATAFILE:
            if (read_file_data(o, optarg, err, errlen) < 0)
                return -1;
            break;
        case O_DATALEN:
            NUM(CRAFT_MAXDATA, "--data-len", dlen_forced);
            o->has_dlen_forced = true;
            break;
        case 'c':
            NUM(UINT64_MAX / 2, "--count", o->count);
            if (o->count == 0)
                return fail(err, errlen, "--count must be at least 1");
            break;
        case O_INTERVAL:
            if (craft_parse_interval(optarg, &o->interval_ns, err, errlen) < 0)
                return -1;
            has_interval = true;
            break;
        case O_RATE: {
            char *end;
            errno = 0;
            double r = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(r >= 1.0 && r <= 100e6))
                return fail(err, errlen, "bad --rate \"%.48s\" (packets per second, 1..100000000)", optarg);
            o->rate = r;
            break;
        }
        case O_FLOOD: o->flood = true; break;
        case O_WAIT: NUM(3600000, "--wait", o->wait_ms); break;
        case O_JSON: o->json = true; break;
        case 'q': o->quiet = true; break;
        case 'w':
            if (strlen(optarg) >= sizeof o->pcap_path || !*optarg)
                return fail(err, errlen, "bad -w file name");
            snprintf(o->pcap_path, sizeof o->pcap_path, "%s", optarg);
            break;
        case 'i':
            if (cli_ifname(optarg, err, errlen) != 0)
                return -1;
            snprintf(o->ifname, sizeof o->ifname, "%s", optarg);
            break;
        case O_DSTMAC:
            if (craft_parse_mac(optarg, o->dst_mac, err, errlen) < 0) return -1;
            o->has_dst_mac = true;
            break;
        case O_SRCMAC:
            if (craft_parse_mac(optarg, o->src_mac, err, errlen) < 0) return -1;
            o->has_src_mac = true;
            break;
        default:
            return cli_getopt_error(c, argv, longopts, "rstcraft craft", err, errlen);
        }
    }
    if (optind >= argc)
        return fail(err, errlen, "missing destination (usage: rstcraft craft DST [options])");
    if (optind + 1 < argc)
        return fail(err, errlen, "unexpected argument \"%.64s\" (one destination only)", argv[optind + 1]);
    const char *dst = argv[optind];
    if (strlen(dst) >= sizeof o->dst_str)
        return fail(err, errlen, "destination name too long");
    snprintf(o->dst_str, sizeof o->dst_str, "%s", dst);

    bool d6 = false;
    if (want6) {
        struct in6_addr in6;
        if (inet_pton(AF_INET6, dst, &in6) == 1) {
            d6 = true;
            memcpy(o->dst6, &in6, 16);
        } else {
            struct addrinfo hints, *res = NULL;
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_INET6;
            hints.ai_socktype = SOCK_RAW;
            if (!craft_allow_names || strlen(dst) > 253 || getaddrinfo(dst, NULL, &hints, &res) != 0 || !res)
                return fail(err, errlen, "-6: \"%.64s\" is not an IPv6 address", dst);
            memcpy(o->dst6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
            freeaddrinfo(res);
            d6 = true;
        }
    } else if (parse_addr(dst, &d6, &o->dst4, o->dst6, true, "destination", err, errlen) < 0) {
        return -1;
    }
    o->v6 = d6;
    if (has_src) {
        bool s6 = false;
        if (parse_addr(src_s, &s6, &o->src4, o->src6, false, "--src", err, errlen) < 0)
            return -1;
        if (s6 != o->v6)
            return fail(err, errlen, "--src %.64s is not of the destination's family", src_s);
        o->has_src = true;
    }
    if (o->v6 && v4only)
        return fail(err, errlen, "--id, --df, --mf and --frag-off are IPv4 only");
    if (!o->v6 && v6only)
        return fail(err, errlen, "--flow-label is IPv6 only");
    if (o->proto == CP_ICMP && !o->has_icmp_type)
        o->icmp_type = o->v6 ? 128 : 8;
    if (o->proto != CP_TCP && (o->nopts || o->doff >= 0))
        return fail(err, errlen, "TCP options and --doff need TCP (not --udp / --icmp)");
    if (o->proto == CP_ICMP && (has_port || o->has_sport))
        return fail(err, errlen, "-p and -s do not apply to --icmp");
    if (!has_port) {
        o->ports[0].lo = o->ports[0].hi = o->proto == CP_UDP ? 53 : 80;
        o->nports = 1;
        o->nport_total = 1;
    }
    if (o->rate > 0 && has_interval)
        return fail(err, errlen, "--rate and --interval exclude each other");
    if (o->flood && (o->rate > 0 || has_interval))
        return fail(err, errlen, "--flood excludes --rate and --interval");

    /* options: length check first so the error can say how long they were */
    size_t total = 0;
    for (size_t i = 0; i < o->nopts; i++)
        total += item_len(&o->opts[i]);
    if (total > TCPOPT_MAXLEN)
        return fail(err, errlen, "TCP options take %zu bytes: too long for the header (at most 40)", total);
    if (o->nopts) {
        int n = tcpopt_encode(o->optbuf, o->opts, o->nopts);
        if (n < 0)
            return fail(err, errlen, "TCP options too long for the header (at most 40 bytes)");
        o->optlen = (size_t)n;
    }
    if (o->has_dlen_forced) {
        if (dlen_forced > o->dlen)
            memset(o->data + o->dlen, 0, dlen_forced - o->dlen);
        o->dlen = dlen_forced;
    }
    size_t l4max = FRAME_MAX - 14 - (o->v6 ? 40 : 20) - (o->proto == CP_TCP ? 20 + o->optlen : 8);
    if (o->dlen > l4max)
        return fail(err, errlen, "payload of %zu bytes does not fit a %d-byte frame", o->dlen, FRAME_MAX);
    return 0;
}
