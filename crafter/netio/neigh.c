/* The next hop, asked of the kernel once at start over rtnetlink (no shelling out): the
 * route to DST (interface, gateway, preferred source), the neighbour table entry for the
 * next hop, and when the table has none an ARP request / neighbour solicitation of our own. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "craft.h"

static int nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct timeval tv = { 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void addattr(struct nlmsghdr *h, size_t cap, unsigned short type, const void *data, size_t len)
{
    size_t off = NLMSG_ALIGN(h->nlmsg_len);
    if (off + RTA_SPACE(len) > cap)
        return;
    struct rtattr *a = (struct rtattr *)((char *)h + off);
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

int nl_route_get(bool v6, const uint8_t *dst, int oif, struct route_info *ri, char *err, size_t errlen)
{
    memset(ri, 0, sizeof *ri);
    char dstr[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, dst, dstr, sizeof dstr);
    int fd = nl_open();
    if (fd < 0) {
        snprintf(err, errlen, "netlink: %s", strerror(errno));
        return -1;
    }
    union { struct nlmsghdr h; char b[512]; } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.h.nlmsg_type = RTM_GETROUTE;
    req.h.nlmsg_flags = NLM_F_REQUEST;
    req.h.nlmsg_seq = 1;
    struct rtmsg *rt = NLMSG_DATA(&req.h);
    rt->rtm_family = v6 ? AF_INET6 : AF_INET;
    rt->rtm_dst_len = v6 ? 128 : 32;
    addattr(&req.h, sizeof req, RTA_DST, dst, v6 ? 16 : 4);
    if (oif > 0) {
        uint32_t o32 = (uint32_t)oif;
        addattr(&req.h, sizeof req, RTA_OIF, &o32, 4);
    }
    if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
        snprintf(err, errlen, "netlink: %s", strerror(errno));
        close(fd);
        return -1;
    }
    union { struct nlmsghdr h; char b[8192]; } resp;
    ssize_t n = recv(fd, &resp, sizeof resp, 0);
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "netlink: %s", strerror(errno));
        return -1;
    }
    for (struct nlmsghdr *h = &resp.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            snprintf(err, errlen, "no route to %s: %s", dstr, strerror(-e->error));
            return -1;
        }
        if (h->nlmsg_type != RTM_NEWROUTE)
            continue;
        const struct rtmsg *r = NLMSG_DATA(h);
        ri->local = r->rtm_type == RTN_LOCAL;
        int alen = (int)RTM_PAYLOAD(h);
        for (const struct rtattr *a = RTM_RTA(r); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
            size_t l = RTA_PAYLOAD(a);
            if (a->rta_type == RTA_OIF && l >= 4) {
                memcpy(&ri->oif, RTA_DATA(a), 4);
            } else if (a->rta_type == RTA_GATEWAY && l == (v6 ? 16u : 4u)) {
                memcpy(ri->gw, RTA_DATA(a), l);
                ri->has_gw = true;
            } else if (a->rta_type == RTA_PREFSRC && l == (v6 ? 16u : 4u)) {
                memcpy(ri->prefsrc, RTA_DATA(a), l);
                ri->has_prefsrc = true;
            }
        }
        if (ri->oif > 0)
            if_indextoname((unsigned)ri->oif, ri->ifname);
        return 0;
    }
    snprintf(err, errlen, "no route to %s", dstr);
    return -1;
}

int nl_neigh_get(bool v6, int ifindex, const uint8_t *addr, uint8_t mac[6])
{
    int fd = nl_open();
    if (fd < 0)
        return -1;
    struct { struct nlmsghdr h; struct ndmsg nd; } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
    req.h.nlmsg_type = RTM_GETNEIGH;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = 2;
    req.nd.ndm_family = v6 ? AF_INET6 : AF_INET;
    if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
        close(fd);
        return -1;
    }
    static char buf[32768];
    int found = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            close(fd);
            return found ? 1 : -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                close(fd);
                return found;
            }
            if (h->nlmsg_type != RTM_NEWNEIGH || found)
                continue;
            const struct ndmsg *nd = NLMSG_DATA(h);
            if (nd->ndm_ifindex != ifindex ||
                (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE)) || nd->ndm_state == 0)
                continue;
            const uint8_t *dst = NULL, *ll = NULL;
            int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *nd));
            for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof *nd));
                 RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == (v6 ? 16u : 4u))
                    dst = RTA_DATA(a);
                else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
                    ll = RTA_DATA(a);
            }
            if (dst && ll && memcmp(dst, addr, v6 ? 16 : 4) == 0) {
                memcpy(mac, ll, 6);
                found = 1;
            }
        }
    }
}

struct resolve_ctx {
    bool v6, done;
    const uint8_t *target;
    uint8_t mac[6];
};

static void on_frame(void *user, const struct timeval *ts, const uint8_t *frame, size_t caplen, size_t wirelen)
{
    (void)ts; (void)wirelen;
    struct resolve_ctx *r = user;
    struct frame f;
    if (r->done)
        return;
    pkt_parse(&f, frame, caplen);
    if (!r->v6) {
        uint32_t t;
        memcpy(&t, r->target, 4);
        if (f.l3 == L3_ARP && f.err == PKT_OK && f.arp_op == 2 && f.arp_spa == ntohl(t)) {
            memcpy(r->mac, f.arp_sha, 6);
            r->done = true;
        }
        return;
    }
    if (f.l3 != L3_IPV6 || f.l4 != L4_ICMP6 || f.icmp_type != 136 || f.l4_len < 24 ||
        f.l4_off + f.l4_len > caplen)
        return;
    const uint8_t *p = frame + f.l4_off;
    if (memcmp(p + 8, r->target, 16) != 0)
        return;
    memcpy(r->mac, f.eth_src, 6);
    for (size_t o = 24; o + 8 <= f.l4_len;) {          /* target link-layer address option */
        size_t olen = (size_t)p[o + 1] * 8;
        if (olen == 0)
            break;
        if (p[o] == 2 && olen >= 8)
            memcpy(r->mac, p + o + 2, 6);
        o += olen;
    }
    r->done = true;
}

int resolve_on_wire(struct netio *n, bool v6, const uint8_t *src, const uint8_t *target,
                    unsigned ms, uint8_t mac[6])
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero[6] = { 0 };
    uint8_t buf[128];
    size_t len;
    if (v6) {
        len = build_ns6(buf, sizeof buf, n->mac, src, target);
    } else {
        uint32_t s, t;
        memcpy(&s, src, 4);
        memcpy(&t, target, 4);
        len = build_arp(buf, sizeof buf, bcast, 1, n->mac, ntohl(s), zero, ntohl(t));
    }
    if (!len)
        return -1;
    struct resolve_ctx r = { .v6 = v6, .target = target };
    uint64_t end = now_mono_ns() + (uint64_t)ms * 1000000ull, next = 0;
    while (!r.done) {
        uint64_t now = now_mono_ns();
        if (now >= end)
            break;
        if (now >= next) {
            netio_send(n, buf, len);
            next = now + 250000000ull;     /* ask again every 250 ms */
        }
        wait_until(next < end ? next : end, n->fd);
        netio_dispatch(n, on_frame, &r);
    }
    if (!r.done)
        return 0;
    memcpy(mac, r.mac, 6);
    return 1;
}

int if_first_addr(const char *ifname, bool v6, uint8_t *out)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) < 0)
        return -1;
    int rc = -1;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || strcmp(i->ifa_name, ifname) != 0)
            continue;
        if (!v6 && i->ifa_addr->sa_family == AF_INET) {
            memcpy(out, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
            rc = 0;
            break;
        }
        if (v6 && i->ifa_addr->sa_family == AF_INET6) {
            const uint8_t *a = (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
            memcpy(out, a, 16);
            rc = 0;
            if (!(a[0] == 0xfe && (a[1] & 0xc0) == 0x80))    /* prefer a global address */
                break;
        }
    }
    freeifaddrs(ifa);
    return rc;
}

/* The local routing table knows the addresses this namespace owns (bind() would be fooled
 * by net.ipv4.ip_nonlocal_bind); bind() is the fallback when netlink says nothing. */
bool kernel_owns(bool v6, const uint8_t *addr)
{
    struct route_info ri;
    char err[128];
    if (nl_route_get(v6, addr, 0, &ri, err, sizeof err) == 0)
        return ri.local;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true;                 /* cannot tell: do not claim it */
    int rc;
    if (v6) {
        struct sockaddr_in6 s;
        memset(&s, 0, sizeof s);
        s.sin6_family = AF_INET6;
        memcpy(&s.sin6_addr, addr, 16);
        rc = bind(fd, (struct sockaddr *)&s, sizeof s);
    } else {
        struct sockaddr_in s;
        memset(&s, 0, sizeof s);
        s.sin_family = AF_INET;
        memcpy(&s.sin_addr, addr, 4);
        rc = bind(fd, (struct sockaddr *)&s, sizeof s);
    }
    int e = errno;
    close(fd);
    return rc == 0 || e != EADDRNOTAVAIL;
}
