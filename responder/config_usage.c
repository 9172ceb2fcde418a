/* `rstcraft --help`: the whole command line on one screen, modes from the registry. */
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
"  -a ADDRS               addresses to own: 198.18.0.10, lists, CIDRs (198.18.0.8/29);\n"
"                         repeatable (required)\n"
"  --mac MAC              source MAC of our frames, aa:bb:cc:dd:ee:ff (default: IFACE's)\n"
"  --force                claim the addresses even when another host answers ARP for them\n"
"  --no-probe             do not ARP-probe the addresses before claiming them (RFC 5227)\n"
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
"  --list-modes           list the modes and exit\n"
"\n"
"Mode options (for the -p rule, the --mode rule and the default rule):\n"
"  --delay MS             delay: SYN-ACK after MS milliseconds (0..600000, default 110)\n"
"  --read BYTES           unread, after-close: the application reads BYTES once\n"
"                         (1..1073741824, default 4096)\n"
"  --read-wait MS         unread, after-close: read once data has been quiet for MS\n"
"                         without PSH (0..600000, default 20)\n"
"  --backlog N            backlog: accept queue size (1..65535, default 128)\n"
"  --abort-on-overflow    backlog: reset the final ACK instead of dropping the SYN\n"
"  --echo                 open, delay: echo received data back\n"
"\n"
"Reply options (open, delay: each request; unread, after-close: before the close):\n"
"  --reply STRING|@FILE|http\n"
"                         write these bytes after the application's read (escapes\n"
"                         \\r \\n \\t \\s \\\\ \\xHH); http: a 200 with Content-Length\n"
"  --reply-size N         http: body bytes (0..67108864, default 0)\n"
"  --reset-after BYTES    RST|ACK after BYTES of the reply (a crash mid-transfer)\n"
"  --reply-delay MS       wait MS before the reply (0..600000)\n"
"  --reply-rate BYTES/S   pace the reply: segments of BYTES/10, 10 a second\n"
"  --reply-segments N     split the reply into N segments\n"
"  --idle-close S         keep the connection after a reply; after S quiet seconds\n"
"                         forget it silently: its next segment draws RST\n"
"\n"
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
#define INDENT 15

/* One mode: its name, then its summary wrapped under itself. */
static void print_mode(FILE *f, const struct mode_ops *m)
{
    const char *s = m->summary ? m->summary : "";
    int col = fprintf(f, *s ? "  %-12s" : "  %s", m->name);
    while (*s) {
        size_t word = strcspn(s, " ");
        if (col > INDENT && col + 1 + (int)word > WIDTH)
            col = fprintf(f, "\n%*s", INDENT - 1, "") - 1;
        col += fprintf(f, " %.*s", (int)word, s);
        s += word;
        s += strspn(s, " ");
    }
    fputc('\n', f);
}

void config_usage(void *stream)
{
    FILE *f = stream;
    const struct mode_ops *const *m = mode_all();
    fputs(head, f);
    for (size_t i = 0; m[i]; i++)
        print_mode(f, m[i]);
    fputs(tail, f);
}
