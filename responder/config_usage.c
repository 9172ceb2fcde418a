/* `rstcraft --help`: the whole command line on one screen; the modes and their parameters
 * from the registry. */
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "mode.h"

static const char head[] =
"usage: rstcraft [respond] -i IFACE -a ADDRS [options]\n"
"       rstcraft local [options]     (on this machine: rstcraft local --help)\n"
"       rstcraft try -- CLIENT ...   (your client, every case: try --help)\n"
"       rstcraft craft [options]     (see rstcraft craft --help)\n"
"       rstcraft kill [options]      (see rstcraft kill --help)\n"
"\n"
"Own the IPv4 addresses ADDRS on IFACE from userspace and answer TCP the way a real\n"
"host does, including every way a connection ends in a reset. Events go to stdout.\n"
"\n"
"Addresses:\n"
"  -i IFACE               interface to capture and send on (required)\n"
"  -a ADDRS               addresses to own: 198.18.0.10, lists, CIDRs (198.18.0.8/29),\n"
"                         IPv6 too (2001:2::10, 2001:2::/120), mixed; repeatable (required)\n"
"  --mac MAC              source MAC of our frames, aa:bb:cc:dd:ee:ff (default: IFACE's)\n"
"  --force                claim the addresses even when another host answers for them\n"
"  --no-probe             no ARP probe (RFC 5227) nor DAD (RFC 4862) before claiming them\n"
"  --probe-ms MS          interval between the 3 probes (1..60000, default 200)\n"
"\n"
"Behaviour:\n"
"  -p PORTS --mode MODE   PORTS (80 | 80,443 | 8000-8100 | *) of every address get MODE;\n"
"                         tried before the rules file\n"
"  --mode MODE            without -p: every port gets MODE\n"
"  --default MODE         ports no rule matches (default: rst)\n"
"  --rules FILE           rules file: ADDR PORTS MODE [key=value...] lines (rstcraft(1))\n"
"  --profile NAME         OS profile the answers imitate (default: linux)\n"
"  --list-profiles        list the OS profiles and exit\n"
"  --personality NAME     answer as the nmap-os-db fingerprint NAME (exact name, a\n"
"                         case-insensitive part of it, or @LINE); overrides --profile\n"
"  --os-db FILE           nmap-os-db to read (default /usr/share/nmap/nmap-os-db);\n"
"                         with --list-profiles: report what it loaded\n"
"  --list-modes           list the modes and the options each reads, and exit\n"
"\n"
"";

/* The parameters' sections come between head and rest. */
static const char rest[] =
"Output:\n"
"  --json                 events as JSON Lines\n"
"  -q, --quiet            no events, only the counts at exit\n"
"  -w FILE                save the frames received and sent to FILE (pcap)\n"
"\n"
"Safety and kernel:\n"
"  --kernel-guard         when the kernel also owns one of ADDRS: an nft table\n"
"                         rstcraft_PID drops its RSTs from it; removed on exit\n"
"  -Z USER                drop root to USER once capture, send and -w file are open\n"
"\n"
"Limits:\n"
"  --count N              stop after N events\n"
"  --duration S           stop after S seconds (2.5 is fine)\n"
"  --stats S              figures on stderr every S seconds and at the end: frames,\n"
"                         flows, events, what was dropped (JSON with --json)\n"
"  --max-flows N          flow table size (1000..50000000, default 1000000)\n"
"  --busy-poll            spin instead of sleeping: lowest latency, one core busy\n"
"  --cpu-latency US       while running, ask the kernel to keep every CPU within US\n"
"                         microseconds of waking (PM QoS); 0: idle CPUs poll rather than\n"
"                         halt, so a sleeping responder wakes fast (idle CPUs spin)\n"
"\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"\n"
"Modes:\n";

static const char tail[] =
"\n"
"Examples:\n"
"  rstcraft -i r0 -a 198.18.0.10 --mode silent\n"
"      every port drops SYNs: clients time out\n"
"  rstcraft -i r0 -a 198.18.0.8/29 -p 80 --mode unread --read 4096\n"
"      port 80 reads 4096 bytes and closes: a client that sent more gets a reset\n"
"  rstcraft -i r0 -a 198.18.0.10 --rules lab.rules --json -w out.pcap\n"
"      rules from lab.rules, events as JSON Lines, frames into out.pcap\n"
"\n"
"Exit status: 0 done, 2 usage error, 3 runtime error. See rstcraft(1).\n";

#define WIDTH  79
#define INDENT 15        /* a mode's summary */
#define OPT_INDENT 25    /* an option's text */

/* s after what is printed up to col, wrapped at WIDTH under column indent. */
static void wrap(FILE *f, int col, int indent, const char *s)
{
    while (*s) {
        size_t word = strcspn(s, " ");
        if (col > indent && col + 1 + (int)word > WIDTH)
            col = fprintf(f, "\n%*s", indent - 1, "") - 1;
        col += fprintf(f, " %.*s", (int)word, s);
        s += word;
        s += strspn(s, " ");
    }
    fputc('\n', f);
}

/* One mode: its name, then its summary wrapped under itself. */
static void print_mode(FILE *f, const struct mode_ops *m)
{
    const char *s = m->summary ? m->summary : "";
    wrap(f, fprintf(f, *s ? "  %-12s" : "  %s", m->name), INDENT, s);
}

/* "  --delay MS             delay: SYN-ACK after MS milliseconds (0..600000, default 110)":
 * in a section of its own the heading names the modes, else the line does. */
static void print_param(FILE *f, const struct mode_param *d)
{
    char users[160] = "", range[64] = "", text[512];
    int col = fprintf(f, "  --%s%s%s", d->name, d->metavar ? " " : "", d->metavar ? d->metavar : "");
    if (col > OPT_INDENT - 2)
        col = fprintf(f, "\n%*s", OPT_INDENT - 1, "") - 1;
    else
        col += fprintf(f, "%*s", OPT_INDENT - 1 - col, "");
    if (!d->section)
        mode_param_users(d, users, sizeof users);
    if (d->metavar && !d->set)
        snprintf(range, sizeof range, d->dflt >= d->lo && d->dflt <= d->hi ? " (%u..%u, default %u)"
                 : " (%u..%u)", (unsigned)d->lo, (unsigned)d->hi, (unsigned)d->dflt);
    snprintf(text, sizeof text, "%s%s%s%s", users, *users ? ": " : "", d->help ? d->help : "", range);
    wrap(f, col, OPT_INDENT, text);
}

static bool same_section(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void print_section(FILE *f, const char *sec)
{
    const struct mode_param *const *d = mode_param_all();
    fprintf(f, "%s:\n", sec ? sec : "Mode options (for the -p rule, the --mode rule and the default rule)");
    for (size_t i = 0; d[i]; i++)
        if (same_section(d[i]->section, sec))
            print_param(f, d[i]);
    fputc('\n', f);
}

/* Mode options first, then each section in the order of its first parameter. */
static void print_params(FILE *f)
{
    const struct mode_param *const *d = mode_param_all();
    print_section(f, NULL);
    for (size_t i = 0; d[i]; i++) {
        bool first = d[i]->section != NULL;
        for (size_t j = 0; j < i && first; j++)
            first = !same_section(d[j]->section, d[i]->section);
        if (first)
            print_section(f, d[i]->section);
    }
}

void config_usage(void *stream)
{
    FILE *f = stream;
    const struct mode_ops *const *m = mode_all();
    fputs(head, f);
    print_params(f);
    fputs(rest, f);
    for (size_t i = 0; m[i]; i++)
        print_mode(f, m[i]);
    fputs(tail, f);
}
