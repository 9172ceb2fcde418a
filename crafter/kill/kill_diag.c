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

static int dump(int states, void (*each)(void *u, const struct inet_diag_msg *m), void *u)
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
    req.r.sdiag_family = AF_INET;
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

static void add_est(void *u, const struct inet_diag_msg *m)
{
    struct est_ctx *c = u;
    uint16_t lport = ntohs(m->id.idiag_sport);
    bool listens = false;
    for (size_t i = 0; i < c->l->n; i++)
        if (c->l->port[i] == lport)
            listens = true;
    c->fn(c->user, ntohl(m->id.idiag_src[0]), lport, ntohl(m->id.idiag_dst[0]), ntohs(m->id.idiag_dport),
          listens);
}

int kdiag_established(kdiag_fn fn, void *user)
{
    static struct listeners l;
    l.n = 0;
    if (dump(1 << TCP_LISTEN, add_listener, &l) < 0)
        return -1;
    struct est_ctx c = { &l, fn, user };
    return dump(1 << TCP_ESTABLISHED | 1 << TCP_CLOSE_WAIT | 1 << TCP_FIN_WAIT1 | 1 << TCP_FIN_WAIT2,
                add_est, &c);
}
