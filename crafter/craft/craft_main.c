/* `rstcraft craft DST [options]`: parse, find the path (route, interface, source, next-hop
 * MAC) once over netlink, open the wire, then hand over to the probe loops. */
#include <arpa/inet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include "craft.h"
#include "linesink.h"
#include "cmds.h"

static void on_signal(int sig)
{
    (void)sig;
    craft_stop = 1;
}

static void addr_bytes(const struct craft_opts *o, bool src, uint8_t out[16])
{
    if (o->v6) {
        memcpy(out, src ? o->src6 : o->dst6, 16);
    } else {
        uint32_t n = htonl(src ? o->src4 : o->dst4);
        memcpy(out, &n, 4);
    }
}

static const char *ntop(bool v6, const uint8_t *a, char *buf)
{
    inet_ntop(v6 ? AF_INET6 : AF_INET, a, buf, INET6_ADDRSTRLEN);
    return buf;
}

/* Interface, source address and next hop. Returns 0 or -1 (message printed). */
static int find_path(struct craft_opts *o, uint8_t nexthop[16])
{
    char err[CRAFT_ERRLEN], b[INET6_ADDRSTRLEN];
    uint8_t dst[16];
    addr_bytes(o, false, dst);
    memcpy(nexthop, dst, 16);
    struct route_info ri;
    int oif = 0;
    if (o->ifname[0]) {
        oif = (int)if_nametoindex(o->ifname);
        if (!oif) {
            fprintf(stderr, "rstcraft craft: no such interface: %s\n", o->ifname);
            return -1;
        }
    }
    if (nl_route_get(o->v6, dst, oif, &ri, err, sizeof err) == 0) {
        if (ri.local) {
            fprintf(stderr, "rstcraft craft: %s is an address of this host: craft sends on the wire, "
                            "aim at another host or namespace\n", ntop(o->v6, dst, b));
            return -1;
        }
        if (!o->ifname[0]) {
            if (!ri.ifname[0]) {
                fprintf(stderr, "rstcraft craft: the route to %s has no interface; use -i\n", ntop(o->v6, dst, b));
                return -1;
            }
            snprintf(o->ifname, sizeof o->ifname, "%s", ri.ifname);
        }
        if (ri.has_gw)
            memcpy(nexthop, ri.gw, o->v6 ? 16 : 4);
        if (!o->has_src && ri.has_prefsrc) {
            if (o->v6) {
                memcpy(o->src6, ri.prefsrc, 16);
            } else {
                uint32_t n;
                memcpy(&n, ri.prefsrc, 4);
                o->src4 = ntohl(n);
            }
            o->has_src = true;
        }
    } else if (!o->ifname[0]) {
        fprintf(stderr, "rstcraft craft: %s; use -i IFACE (and --dst-mac)\n", err);
        return -1;
    }
    if (!o->has_src) {
        uint8_t a[16];
        if (if_first_addr(o->ifname, o->v6, a) < 0) {
            fprintf(stderr, "rstcraft craft: %s has no %s address; give one with --src\n", o->ifname,
                    o->v6 ? "IPv6" : "IPv4");
            return -1;
        }
        if (o->v6) {
            memcpy(o->src6, a, 16);
        } else {
            uint32_t n;
            memcpy(&n, a, 4);
            o->src4 = ntohl(n);
        }
        o->has_src = true;
    }
    return 0;
}

static const char *bpf_for(const struct craft_opts *o, const uint8_t mac[6], char *buf, size_t cap)
{
    char d[INET6_ADDRSTRLEN];
    uint8_t a[16];
    addr_bytes(o, false, a);
    ntop(o->v6, a, d);
    /* replies from DST, ICMP errors from anyone, and ARP / ND for the spoofed source; not
     * our own frames (by source MAC: unlike "inbound", libpcap can run that in user space) */
    int n = snprintf(buf, cap, "not ether src %02x:%02x:%02x:%02x:%02x:%02x and ",
                     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    if (n < 0 || (size_t)n >= cap)
        return buf;
    if (o->v6)
        snprintf(buf + n, cap - (size_t)n, "ip6 and (icmp6 or src host %s)", d);
    else
        snprintf(buf + n, cap - (size_t)n, "arp or (ip and (icmp or src host %s))", d);
    return buf;
}

/* netio wraps the filter in "inbound", which the kernel evaluates but libpcap cannot: right
 * after a filter is set on a ring, libpcap filters the next frame in user space and drops
 * it (the reply to the first probe). Setting our own user-space-safe filter again makes
 * that first frame pass the same test the kernel applies. */
static int refilter(struct netio *n, const char *expr, char *err)
{
    pcap_t *p = n->pcap;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, NETIO_ERRLEN, "capture filter: %s", pcap_geterr(p));
        return -1;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, NETIO_ERRLEN, "capture filter: %s", pcap_geterr(p));
        return -1;
    }
    return 0;
}

int craft_main(int argc, char **argv)
{
    static struct craft_opts o;
    static struct craft_run r;
    char err[NETIO_ERRLEN], b[INET6_ADDRSTRLEN], filt[256];
    int rc = craft_parse_args(&o, argc, argv, err, CRAFT_ERRLEN);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "rstcraft craft: %s\n", err);
        return 2;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);      /* sub-millisecond intervals need it */
    uint8_t nexthop[16];
    if (find_path(&o, nexthop) < 0)
        return 3;
    memset(&r, 0, sizeof r);
    r.o = &o;
    if (netio_open(&r.net, o.ifname, NULL, err) < 0) {
        fprintf(stderr, "rstcraft craft: %s\n", err);
        return 3;
    }
    int status = 3;
    if (refilter(&r.net, bpf_for(&o, o.has_src_mac ? o.src_mac : r.net.mac, filt, sizeof filt), err) < 0) {
        fprintf(stderr, "rstcraft craft: %s\n", err);
        goto out;
    }
    if (o.pcap_path[0] && netio_dump_open(&r.net, o.pcap_path, err) < 0) {
        fprintf(stderr, "rstcraft craft: -w %s\n", err);
        goto out;
    }
    uint8_t src[16];
    addr_bytes(&o, true, src);
    r.answer_arp = !kernel_owns(o.v6, src);
    uint8_t smac[6], dmac[6];
    memcpy(smac, o.has_src_mac ? o.src_mac : r.net.mac, 6);
    if (o.has_dst_mac) {
        memcpy(dmac, o.dst_mac, 6);
    } else if (nl_neigh_get(o.v6, r.net.ifindex, nexthop, dmac) != 1 &&
               resolve_on_wire(&r.net, o.v6, src, nexthop, 1000, dmac) != 1) {
        fprintf(stderr, "rstcraft craft: no %s reply from %s on %s: cannot find its MAC address "
                        "(use --dst-mac)\n", o.v6 ? "neighbour" : "ARP", ntop(o.v6, nexthop, b), o.ifname);
        goto out;
    }
    uint32_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint32_t)now_real_ns();
    if (craft_ctx_init(&r.ctx, &o, smac, dmac, seed, err) < 0) {
        fprintf(stderr, "rstcraft craft: %s\n", err);
        goto out;
    }
    if (probe_tab_init(&r.tab, o.flood ? 1 : o.count) < 0) {
        fprintf(stderr, "rstcraft craft: out of memory\n");
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a reader that does not keep up loses reply lines, never the probes' schedule */
    static struct linesink out;
    FILE *orig_stdout = linesink_take_stdout(&out, 256 * 1024);
    size_t hdr = (o.v6 ? 40u : 20u) + (o.proto == CP_TCP ? 20u + o.optlen : 8u);
    craft_print_banner(&o, o.ifname, hdr);
    if (o.flood && !o.pcap_path[0])
        status = craft_run_flood(&r);
    else if (o.flood || o.rate > 0)
        status = craft_run_ring(&r);
    else
        status = craft_run_probes(&r);
    probe_tab_free(&r.tab);
    linesink_give_stdout(&out, orig_stdout, "rstcraft craft");
out:
    netio_close(&r.net);
    return status;
}
