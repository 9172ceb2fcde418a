/* ARP for the responder's addresses. The kernel of the responder's namespace does not own
 * them, so nobody else will answer for them; and before claiming them we check (RFC 5227)
 * that no other host on the link already does. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "arp.h"
#include "build.h"

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2
#define ARP_FRAME_MIN  42   /* 14 Ethernet + 28 ARP, before padding */

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

size_t arp_answer(const struct frame *f, const struct addrset *owned, const uint8_t mac[6],
                  uint8_t *out, size_t cap)
{
    if (f->err != PKT_OK || f->l3 != L3_ARP || f->arp_op != ARP_OP_REQUEST)
        return 0;
    if (!addrset_has(owned, f->arp_tpa))
        return 0;
    /* a gratuitous request (announcement) asks nothing; answering it would only look like
     * a conflict to its sender */
    if (f->arp_spa == f->arp_tpa)
        return 0;
    /* our own request seen again, or a nonsense sender we could not unicast to */
    if (memcmp(f->arp_sha, mac, 6) == 0 || (f->arp_sha[0] & 1) ||
        memcmp(f->arp_sha, zero_mac, 6) == 0)
        return 0;
    /* A probe (spa 0.0.0.0) for an address we own is answered too: RFC 5227 §2.1.1 has the
     * prober learn of the conflict exactly from the owner's reply. Like Linux, the reply
     * then goes back with tpa 0.0.0.0, unicast to the prober's MAC. */
    return build_arp(out, cap, f->arp_sha, ARP_OP_REPLY, mac, f->arp_tpa, f->arp_sha,
                     f->arp_spa);
}

uint64_t link_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void link_sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

struct probe_ctx {
    const struct addrset *owned;
    const uint8_t *mac;
    bool found;
    uint32_t addr;
    uint8_t who[6];
};

static void probe_rx(void *user, const struct timeval *ts, const uint8_t *data, size_t caplen,
                     size_t wirelen)
{
    (void)ts; (void)wirelen;
    struct probe_ctx *c = user;
    if (c->found)
        return;
    struct frame f;
    if (pkt_parse(&f, data, caplen) != PKT_OK || f.l3 != L3_ARP)
        return;
    if (f.arp_op != ARP_OP_REQUEST && f.arp_op != ARP_OP_REPLY)
        return;
    if (memcmp(f.arp_sha, c->mac, 6) == 0)
        return;
    uint32_t hit;
    if (f.arp_spa != 0 && addrset_has(c->owned, f.arp_spa))
        hit = f.arp_spa;                       /* someone uses (or announces) it */
    else if (f.arp_spa == 0 && f.arp_op == ARP_OP_REQUEST && addrset_has(c->owned, f.arp_tpa))
        hit = f.arp_tpa;                       /* someone else is probing for it right now */
    else
        return;
    c->found = true;
    c->addr = hit;
    memcpy(c->who, f.arp_sha, 6);
}

int link_listen(struct netio *n, netio_rx_fn rx, void *ctx, const bool *done,
                uint64_t deadline, char *err)
{
    struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
    for (;;) {
        if (netio_dispatch(n, rx, ctx) < 0) {
            snprintf(err, NETIO_ERRLEN, "capture on %s failed while probing", n->ifname);
            return -1;
        }
        if (*done)
            return 0;
        uint64_t t = link_now_ms();
        if (t >= deadline)
            return 0;
        int r = poll(&pfd, 1, (int)(deadline - t));
        if (r < 0 && errno != EINTR) {
            snprintf(err, NETIO_ERRLEN, "poll on %s: %s", n->ifname, strerror(errno));
            return -1;
        }
    }
}

static int listen_until(struct netio *n, struct probe_ctx *c, uint64_t deadline, char *err)
{
    return link_listen(n, probe_rx, c, &c->found, deadline, err);
}

/* One ARP request per address. Every address goes out in the same round, so a /22 takes as
 * long to probe as a single address. */
static int send_round(struct netio *n, const struct addrset *owned, const uint8_t mac[6],
                      bool announce, char *err)
{
    uint8_t fr[64];
    int failed = 0;
    for (size_t i = 0; i < owned->n; i++) {
        uint32_t a = owned->v[i];
        size_t len = build_arp(fr, sizeof fr, bcast, ARP_OP_REQUEST, mac, announce ? a : 0,
                               zero_mac, a);
        if (len == 0 || netio_send(n, fr, len) != 0)
            failed++;
    }
    if (failed && err)
        snprintf(err, NETIO_ERRLEN, "could not send %d ARP frame%s on %s", failed,
                 failed == 1 ? "" : "s", n->ifname);
    return failed ? -1 : 0;
}

int arp_probe(struct netio *n, const struct addrset *owned, const struct arp_probe_cfg *cfg,
              uint32_t *conflict_addr, uint8_t conflict_mac[6], char *err)
{
    if (n->fd < 0) {
        snprintf(err, NETIO_ERRLEN, "ARP probe: capture is not open");
        return -1;
    }
    struct probe_ctx c = { .owned = owned, .mac = n->mac };
    for (unsigned round = 0; round < cfg->probes; round++) {
        if (send_round(n, owned, n->mac, false, err) != 0)
            return -1;
        unsigned gap = round + 1 < cfg->probes ? cfg->interval_ms : cfg->wait_ms;
        if (listen_until(n, &c, link_now_ms() + gap, err) != 0)
            return -1;
        if (c.found)
            break;
    }
    if (cfg->probes == 0 && listen_until(n, &c, link_now_ms() + cfg->wait_ms, err) != 0)
        return -1;
    if (!c.found)
        return 0;
    if (conflict_addr)
        *conflict_addr = c.addr;
    if (conflict_mac)
        memcpy(conflict_mac, c.who, 6);
    return 1;
}

/* RFC 5227 §2.3 sends ANNOUNCE_NUM (2) announcements ANNOUNCE_INTERVAL (2 s) apart. The
 * second copy only covers the loss of the first; holding the responder back 2 s for it
 * would delay every test run, and on a lab link 100 ms covers a lost frame as well. */
#define ANNOUNCE_NUM    2
#define ANNOUNCE_GAP_MS 100

int arp_announce(struct netio *n, const struct addrset *owned, const uint8_t mac[6])
{
    int rc = 0;
    for (int i = 0; i < ANNOUNCE_NUM; i++) {
        if (i)
            link_sleep_ms(ANNOUNCE_GAP_MS);
        if (send_round(n, owned, mac, true, NULL) != 0)
            rc = -1;
    }
    return rc;
}
