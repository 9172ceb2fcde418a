/* The connections of this namespace from the kernel's socket table (NETLINK_SOCK_DIAG):
 * how `rstcraft kill --probe` finds connections that carry no traffic to sniff. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kill.h"

#define MAX_LISTEN 1024

static int dump(int family, int states, void (*each)(void *u, const struct inet_diag_msg *m), void *u)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -1;
    struct timeval tv = { 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct { struct nlmsghdr h; struct inet_diag_req_v2 r; } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = (uint32_t)states;
    if (send(fd, &req, sizeof req, 0) < 0) {
        close(fd);
        return -1;
    }
    static char buf[32768];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                close(fd);
                return 0;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                close(fd);
                return -1;
            }
            if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                each(u, NLMSG_DATA(h));
        }
    }
}

struct listeners {
    uint16_t port[MAX_LISTEN];
    size_t n;
};

static void add_listener(void *u, const struct inet_diag_msg *m)
{
    struct listeners *l = u;
    if (l->n < MAX_LISTEN)
        l->port[l->n++] = ntohs(m->id.idiag_sport);
}

struct est_ctx {
    const struct listeners *l;
    kdiag_fn fn;
    void *user;
};

/* An address of the dump as kside.ip; an IPv4-mapped one (an IPv4 connection of an IPv6
 * socket) as the IPv4 address it is on the wire. Returns whether it is IPv6. */
static bool diag_addr(const struct inet_diag_msg *m, const uint32_t a[4], uint8_t out[16])
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    memset(out, 0, 16);
    if (m->idiag_family == AF_INET6 && memcmp(a, mapped, 12) != 0) {
        memcpy(out, a, 16);
        return true;
    }
    memcpy(out, m->idiag_family == AF_INET6 ? &a[3] : &a[0], 4);
    return false;
}

static void add_est(void *u, const struct inet_diag_msg *m)
{
    struct est_ctx *c = u;
    uint16_t lport = ntohs(m->id.idiag_sport);
    bool listens = false;
    for (size_t i = 0; i < c->l->n; i++)
        if (c->l->port[i] == lport)
            listens = true;
    uint8_t l[16], r[16];
    bool v6 = diag_addr(m, m->id.idiag_src, l);
    diag_addr(m, m->id.idiag_dst, r);
    c->fn(c->user, v6, l, lport, r, ntohs(m->id.idiag_dport), listens);
}

int kdiag_established(kdiag_fn fn, void *user)
{
    static struct listeners l;
    l.n = 0;
    /* a kernel without IPv6 (ipv6.disable=1) refuses the second dump: IPv4 alone then */
    const int est = 1 << TCP_ESTABLISHED | 1 << TCP_CLOSE_WAIT | 1 << TCP_FIN_WAIT1 | 1 << TCP_FIN_WAIT2;
    if (dump(AF_INET, 1 << TCP_LISTEN, add_listener, &l) < 0)
        return -1;
    bool v6 = dump(AF_INET6, 1 << TCP_LISTEN, add_listener, &l) == 0;
    struct est_ctx c = { &l, fn, user };
    if (dump(AF_INET, est, add_est, &c) < 0)
        return -1;
    if (v6)
        dump(AF_INET6, est, add_est, &c);
    return 0;
}
