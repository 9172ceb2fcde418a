/* The censor on a router's interface. Two things differ from a bridge or a mirror port:
 * half of the connection is frames this host forwards out of the interface (outgoing,
 * which netio's capture leaves out), and a reset forged toward the far end carries the
 * interface's own MAC as destination (the MAC the near end's frames were sent to), so sent
 * back out of the interface no kernel would take it. Such a frame leaves instead through
 * the route's egress with that interface's MAC and the next hop's, through a packet socket
 * of its own: every byte after the Ethernet header stays as forged (a raw IP socket would
 * let the kernel rewrite the IP ID 0 that is gfw1's fingerprint). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "censor.h"
#include "craft.h"
#include "netio.h"

#define HOP_OK_NS  (5ull * 1000000000ull)    /* a next hop's MAC is asked again after 5 s */
#define HOP_BAD_NS (1ull * 1000000000ull)    /* an unroutable end after 1 s */

bool censor_frame_to_self(const uint8_t *frame, size_t len, const uint8_t ifmac[6], struct caddr *dst)
{
    if (len < 14 || memcmp(frame, ifmac, 6) != 0)
        return false;
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    if (type == ETHERTYPE_IP && len >= 14 + 20) {
        caddr_v4set(dst, (uint32_t)frame[30] << 24 | (uint32_t)frame[31] << 16 | (uint32_t)frame[32] << 8 |
                             frame[33]);
        return true;
    }
    if (type == ETHERTYPE_IPV6 && len >= 14 + 40) {
        memcpy(dst->a, frame + 14 + 24, 16);
        return true;
    }
    return false;
}

static int if_mac(const char *ifname, uint8_t mac[6])
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (strlen(ifname) >= sizeof ifr.ifr_name) {
        close(s);
        return -1;
    }
    memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
    int rc = ioctl(s, SIOCGIFHWADDR, &ifr);
    close(s);
    if (rc != 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

/* The kernel's route to dst, and its neighbour table for the next hop (filled when the
 * connection's own packets were forwarded that way). */
static int nl_resolve(const struct caddr *dst, struct censor_hop *h, char *why, size_t cap)
{
    bool v6 = !caddr_is4(dst);
    const uint8_t *a = v6 ? dst->a : dst->a + 12;
    struct route_info ri;
    char e[256];
    if (nl_route_get(v6, a, 0, &ri, e, sizeof e) != 0) {
        snprintf(why, cap, "%s", e);
        return 0;
    }
    if (ri.local) {
        snprintf(why, cap, "it is this host");
        return 0;
    }
    const uint8_t *nh = ri.has_gw ? ri.gw : a;
    if (nl_neigh_get(v6, ri.oif, nh, h->nh) != 1) {
        char s[CADDR_STRLEN];
        struct caddr n;
        if (v6)
            memcpy(n.a, nh, 16);
        else
            caddr_v4set(&n, (uint32_t)nh[0] << 24 | (uint32_t)nh[1] << 16 | (uint32_t)nh[2] << 8 | nh[3]);
        snprintf(why, cap, "no neighbour entry for the next hop %s on %s", caddr_str(&n, s), ri.ifname);
        return 0;
    }
    if (if_mac(ri.ifname, h->src) != 0) {
        snprintf(why, cap, "no MAC for %s: %s", ri.ifname, strerror(errno));
        return 0;
    }
    h->ifindex = ri.oif;
    return 1;
}

const struct censor_hop *censor_route_hop(struct censor_route *r, const struct caddr *dst, uint64_t now)
{
    struct censor_hop *h = NULL;
    for (unsigned i = 0; i < CENSOR_HOPS && !h; i++)
        if (r->hop[i].until && memcmp(&r->hop[i].dst, dst, sizeof *dst) == 0)
            h = &r->hop[i];
    if (!h || now >= h->until) {
        if (!h) {
            h = &r->hop[r->next];
            r->next = (r->next + 1) % CENSOR_HOPS;
        }
        memset(h, 0, sizeof *h);
        h->dst = *dst;
        char why[300] = "";
        int (*resolve)(const struct caddr *, struct censor_hop *, char *, size_t) =
            r->resolve ? r->resolve : nl_resolve;
        if (resolve(dst, h, why, sizeof why) == 1 && h->ifindex > 0) {
            h->until = now + HOP_OK_NS;
        } else {
            h->ifindex = 0;
            h->until = now + HOP_BAD_NS;
            if (!r->said) {
                char s[CADDR_STRLEN];
                fprintf(stderr, "rstcraft censor: no way from here to %s (%s): resets to it are not sent, "
                        "counted as unroutable\n", caddr_str(dst, s), why);
                r->said = true;
            }
        }
    }
    if (!h->ifindex) {
        r->unroutable++;
        return NULL;
    }
    return h;
}

/* Accept inbound frames, and outgoing ones unless they carry our mark: the capture then
 * holds both directions of what this host forwards, and not the resets we forge. */
static int watch_both(int fd)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_AD_OFF + SKF_AD_PKTTYPE),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_AD_OFF + SKF_AD_MARK),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CENSOR_MARK, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, 262144),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

static int mark(int fd)
{
    uint32_t m = CENSOR_MARK;
    return setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m);
}

int censor_route_open(struct censor_route *r, struct netio *n, char *err, size_t errlen)
{
    memcpy(r->ifmac, n->mac, 6);
    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    /* marked first: the capture must never take a frame of ours for one it forwarded */
    if (r->fd < 0 || mark(r->fd) != 0 || n->send_fd < 0 || mark(n->send_fd) != 0) {
        snprintf(err, errlen, "marking our own frames on %s: %s", n->ifname,
                 n->send_fd < 0 ? "no send socket of our own" : strerror(errno));
        censor_route_close(r);
        return -1;
    }
    if (watch_both(n->fd) != 0) {
        snprintf(err, errlen, "capture filter on %s: %s", n->ifname, strerror(errno));
        censor_route_close(r);
        return -1;
    }
    return 0;
}

bool censor_route_send(struct censor_route *r, const uint8_t *frame, size_t len)
{
    struct caddr dst;
    if (r->fd < 0 || !censor_frame_to_self(frame, len, r->ifmac, &dst))
        return false;
    /* the clock only for a frame that is ours to route: every forged frame passes here */
    const struct censor_hop *h = censor_route_hop(r, &dst, now_mono_ns());
    if (!h)
        return true;
    uint8_t out[FRAME_MAX];
    if (len > sizeof out) {
        r->tx_err++;
        return true;
    }
    memcpy(out, frame, len);
    memcpy(out, h->nh, 6);
    memcpy(out + 6, h->src, 6);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = h->ifindex, .sll_halen = 6 };
    memcpy(&sll.sll_protocol, frame + 12, 2);
    memcpy(sll.sll_addr, h->nh, 6);
    if (sendto(r->fd, out, len, 0, (struct sockaddr *)&sll, sizeof sll) == (ssize_t)len)
        r->routed++;
    else
        r->tx_err++;
    return true;
}

void censor_route_close(struct censor_route *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}
