/* Link changes from rtnetlink (rtnetlink(7)): RTM_NEWLINK carries the link's flags, name,
 * MTU and address; RTM_DELLINK says it is gone. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "linkwatch.h"

static bool flags_up(unsigned flags)
{
    return (flags & IFF_UP) && (flags & IFF_RUNNING);
}

/* Compare the state seen now with the one before; returns the LW_* bits. */
static unsigned apply(struct linkwatch *w, unsigned flags, uint32_t mtu, const uint8_t *mac,
                      const char *name)
{
    unsigned ch = 0;
    bool up = flags_up(flags);
    w->flags = flags;
    if (up != w->up)
        ch |= up ? LW_UP : LW_DOWN;
    w->up = up;
    if (mtu && mtu != w->mtu) {
        ch |= LW_MTU;
        w->mtu = mtu;
    }
    if (mac && memcmp(mac, w->mac, 6) != 0) {
        ch |= LW_MAC;
        memcpy(w->mac, mac, 6);
    }
    if (name && strcmp(name, w->ifname) != 0 && !w->renamed) {
        w->renamed = true;
        snprintf(w->newname, sizeof w->newname, "%s", name);
        ch |= LW_RENAMED;
    }
    return ch;
}

unsigned linkwatch_refresh(struct linkwatch *w)
{
    char name[IF_NAMESIZE];
    if (!if_indextoname((unsigned)w->ifindex, name)) {
        if (w->gone)
            return 0;
        w->gone = true;
        w->up = false;
        return LW_GONE;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 0;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    unsigned flags = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 ? (unsigned)ifr.ifr_flags & 0xffffu : 0;
    uint32_t mtu = ioctl(s, SIOCGIFMTU, &ifr) == 0 ? (uint32_t)ifr.ifr_mtu : 0;
    uint8_t mac[6];
    bool have_mac = ioctl(s, SIOCGIFHWADDR, &ifr) == 0;
    if (have_mac)
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    close(s);
    return apply(w, flags, mtu, have_mac ? mac : NULL, name);
}

int linkwatch_open(struct linkwatch *w, int ifindex, const char *ifname, char *err)
{
    memset(w, 0, sizeof *w);
    w->ifindex = ifindex;
    snprintf(w->ifname, sizeof w->ifname, "%s", ifname);
    w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
    if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, LINKWATCH_ERRLEN, "watching %s for link changes (rtnetlink): %s", ifname,
                 strerror(errno));
        linkwatch_close(w);
        return -1;
    }
    w->up = true;   /* the first refresh reports only a difference from "up" */
    (void)linkwatch_refresh(w);
    return 0;
}

static unsigned one_link(struct linkwatch *w, const struct nlmsghdr *h)
{
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof *ifi) || ifi->ifi_index != w->ifindex)
        return 0;
    if (h->nlmsg_type == RTM_DELLINK) {
        if (w->gone)
            return 0;
        w->gone = true;
        w->up = false;
        return LW_GONE;
    }
    const char *name = NULL;
    const uint8_t *mac = NULL;
    uint32_t mtu = 0;
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi));
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        size_t n = RTA_PAYLOAD(a);
        if (a->rta_type == IFLA_IFNAME && n > 0 && n <= IF_NAMESIZE &&
            ((const char *)RTA_DATA(a))[n - 1] == '\0')
            name = RTA_DATA(a);
        else if (a->rta_type == IFLA_MTU && n == sizeof mtu)
            memcpy(&mtu, RTA_DATA(a), sizeof mtu);
        else if (a->rta_type == IFLA_ADDRESS && n == 6)
            mac = RTA_DATA(a);
    }
    return apply(w, ifi->ifi_flags, mtu, mac, name);
}

unsigned linkwatch_read(struct linkwatch *w)
{
    unsigned ch = 0;
    /* aligned for nlmsghdr; RTM_NEWLINK with every attribute fits easily */
    static __thread uint32_t buf[8192 / sizeof(uint32_t)];
    for (;;) {
        ssize_t n = w->fd >= 0 ? recv(w->fd, buf, sizeof buf, MSG_DONTWAIT) : -1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == ENOBUFS) {   /* messages were lost: ask the kernel instead */
            ch |= linkwatch_refresh(w);
            continue;
        }
        if (n <= 0)
            break;
        /* unsigned, as NLMSG_OK compares it with nlmsg_len */
        unsigned int len = (unsigned int)n;
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len))
            if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK)
                ch |= one_link(w, h);
    }
    return ch;
}

void linkwatch_gone_msg(const struct linkwatch *w, char *buf, size_t len)
{
    if (w->renamed && !w->gone)
        snprintf(buf, len, "interface %s was renamed to %s", w->ifname, w->newname);
    else
        snprintf(buf, len, "interface %s was deleted (or moved to another namespace)", w->ifname);
}

void linkwatch_close(struct linkwatch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

static uint64_t mono_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void say_changes(struct linkwatch *w, const char *who, unsigned ch, uint64_t seen_us)
{
    if ((ch & LW_DOWN) && !w->down_since_us) {
        w->down_since_us = seen_us;
        fprintf(stderr, "%s: %s: link down\n", who, w->ifname);
    }
    /* only after a "link down" said: a link still coming up when we opened it (a veth
     * whose carrier follows a moment later) was never down for the user */
    if ((ch & LW_UP) && w->down_since_us) {
        double s = (double)(mono_now_us() - w->down_since_us) / 1e6;
        w->down_since_us = 0;
        fprintf(stderr, "%s: %s: link up again after %.1f s\n", who, w->ifname, s);
    }
    if (ch & LW_MTU)
        fprintf(stderr, "%s: %s: MTU now %u\n", who, w->ifname, w->mtu);
    if (ch & LW_MAC)
        fprintf(stderr, "%s: %s: MAC now %02x:%02x:%02x:%02x:%02x:%02x\n", who, w->ifname,
                w->mac[0], w->mac[1], w->mac[2], w->mac[3], w->mac[4], w->mac[5]);
}

int linkwatch_check(struct linkwatch *w, const char *who, bool refresh, char *err,
                    size_t errlen)
{
    uint64_t seen = mono_now_us();
    unsigned ch = linkwatch_read(w);
    if (refresh || w->fd < 0)
        ch |= linkwatch_refresh(w);
    /* a deletion starts by taking the link down: give its RTM_DELLINK a moment, so that a
     * deleted interface is reported as that alone. 250 ms, because the process deleting it
     * may be descheduled in between on a loaded machine (50 ms was seen to fall short);
     * the link is down, so nothing waits meanwhile */
    if ((ch & LW_DOWN) && w->fd >= 0) {
        /* a deletion sends several messages (the peer down, the carrier lost, then
         * RTM_DELLINK): keep reading until it is gone, up again, or the window ends */
        uint64_t end = seen + 250000;
        for (uint64_t now = mono_now_us(); now < end && !w->gone && !w->renamed && !w->up;
             now = mono_now_us()) {
            struct pollfd p = { .fd = w->fd, .events = POLLIN };
            if (poll(&p, 1, (int)((end - now + 999) / 1000)) > 0)
                ch |= linkwatch_read(w);
        }
    }
    if (w->gone || w->renamed) {
        linkwatch_gone_msg(w, err, errlen);
        return -1;
    }
    if (!w->quiet)
        say_changes(w, who, ch, seen);
    return (int)ch;
}
