/* Neighbour Discovery for the responder's IPv6 addresses (include/nd.h). The kernel of
 * the responder's namespace does not own them, so nobody else answers for them; and before
 * claiming them we run DAD (RFC 4862 §5.4) to learn whether another host already does. */
#include <stdio.h>
#include <string.h>
#include "craft.h"
#include "nd.h"
#include "rd.h"

#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2

static const uint8_t unspec6[16];
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

/* Options after the NS/NA body: each a whole number of 8-byte units, none of length 0
 * (RFC 4861 §4.6). *lla gets a link-layer address option of kind want, if any. */
static bool nd_options_ok(const struct rd *o, uint8_t want, bool *has, uint8_t lla[6])
{
    *has = false;
    for (size_t off = 0; off < o->len;) {
        RD_NEED(o, off, 2, bad);
        size_t len = (size_t)rd_u8(o, off + 1) * 8;
        if (len == 0)
            return false;
        RD_NEED(o, off, len, bad);
        if (rd_u8(o, off) == want && len >= 8) {
            *has = true;
            for (int i = 0; i < 6; i++)
                lla[i] = rd_u8(o, off + 2 + (size_t)i);
        }
        off += len;
    }
    return true;
bad:
    return false;
}

/* A well-formed ND message of type: hop limit 255 (it came from the link itself), code 0,
 * a 16-byte target that is no multicast address, sane options. */
static const uint8_t *nd_target(const struct frame *f, uint8_t type, uint8_t want_opt,
                                bool *has_lla, uint8_t lla[6])
{
    if (f->err != PKT_OK || f->l3 != L3_IPV6 || f->l4 != L4_ICMP6 || f->icmp_type != type ||
        f->icmp_code != 0 || f->ttl != 255 || f->payload_len < 16 || f->payload[0] == 0xff)
        return NULL;
    struct rd o = { f->payload + 16, f->payload_len - 16 };
    if (!nd_options_ok(&o, want_opt, has_lla, lla))
        return NULL;
    return f->payload;
}

const uint8_t *nd_ns_target(const struct frame *f)
{
    bool slla;
    uint8_t mac[6];
    const uint8_t *t = nd_target(f, ND_NS, ND_OPT_SLLA, &slla, mac);
    if (!t || f->saddr6[0] == 0xff)
        return NULL;
    if (memcmp(f->saddr6, unspec6, 16) == 0) {
        uint8_t snm[16];
        nd_snm_addr(t, snm);
        if (slla || memcmp(f->daddr6, snm, 16) != 0)
            return NULL;
    }
    return t;
}

size_t nd_answer(const struct frame *f, const struct addrset *owned, const uint8_t mac[6],
                 uint8_t *out, size_t cap)
{
    const uint8_t *t = nd_ns_target(f);
    if (!t || !addrset_has6(owned, t) || memcmp(f->eth_src, mac, 6) == 0 || (f->eth_src[0] & 1))
        return 0;
    /* a frame unicast to another host's MAC is not for us, whatever it asks */
    if (!(f->eth_dst[0] & 1) && memcmp(f->eth_dst, mac, 6) != 0)
        return 0;
    uint8_t snm[16];
    nd_snm_addr(t, snm);
    bool multicast = memcmp(f->daddr6, snm, 16) == 0;
    if (!multicast && memcmp(f->daddr6, t, 16) != 0)
        return 0;
    if (memcmp(f->saddr6, unspec6, 16) == 0) {
        /* another host runs DAD for our address: it learns from this that it is taken */
        uint8_t dmac[6];
        nd_mcast_mac(all_nodes, dmac);
        return build_na6(out, cap, mac, dmac, t, all_nodes, ND_NA_OVERRIDE, true);
    }
    return build_na6(out, cap, mac, f->eth_src, t, f->saddr6,
                     ND_NA_SOLICITED | (multicast ? ND_NA_OVERRIDE : 0), multicast);
}

/* ---- DAD ---- */

struct dad_ctx {
    const struct addrset *owned;
    const uint8_t *mac;
    bool found;
    uint8_t addr[16];
    uint8_t who[6];
};

static void dad_rx(void *user, const struct timeval *ts, const uint8_t *data, size_t caplen,
                   size_t wirelen)
{
    (void)ts; (void)wirelen;
    struct dad_ctx *c = user;
    struct frame f;
    if (c->found || pkt_parse(&f, data, caplen) != PKT_OK || memcmp(f.eth_src, c->mac, 6) == 0)
        return;
    bool tlla;
    uint8_t lla[6];
    const uint8_t *t = nd_target(&f, ND_NA, ND_OPT_TLLA, &tlla, lla);
    if (t && addrset_has6(c->owned, t)) {
        /* RFC 4862 §5.4.4: an advertisement for the tentative address: it is taken */
        memcpy(c->who, tlla ? lla : f.eth_src, 6);
    } else if ((t = nd_ns_target(&f)) && addrset_has6(c->owned, t) &&
               memcmp(f.saddr6, unspec6, 16) == 0) {
        /* §5.4.3: someone else is running DAD for it right now */
        memcpy(c->who, f.eth_src, 6);
    } else {
        return;
    }
    c->found = true;
    memcpy(c->addr, t, 16);
}

/* One DAD probe per address, all in the same round. */
static int dad_round(struct netio *n, const struct addrset *owned, char *err)
{
    uint8_t fr[128];
    int failed = 0;
    for (size_t i = 0; i < owned->n6; i++) {
        size_t len = build_ns6(fr, sizeof fr, n->mac, unspec6, owned->v6[i].b);
        if (len == 0 || netio_send(n, fr, len) != 0)
            failed++;
    }
    if (failed)
        snprintf(err, NETIO_ERRLEN, "could not send %d DAD probe%s on %s", failed,
                 failed == 1 ? "" : "s", n->ifname);
    return failed ? -1 : 0;
}

int nd_dad(struct netio *n, const struct addrset *owned, const struct arp_probe_cfg *cfg,
           uint8_t conflict_addr[16], uint8_t conflict_mac[6], char *err)
{
    if (owned->n6 == 0)
        return 0;
    if (n->fd < 0) {
        snprintf(err, NETIO_ERRLEN, "DAD: capture is not open");
        return -1;
    }
    struct dad_ctx c = { .owned = owned, .mac = n->mac };
    unsigned rounds = cfg->probes ? cfg->probes : 1;
    for (unsigned round = 0; round < rounds && !c.found; round++) {
        if (cfg->probes && dad_round(n, owned, err) != 0)
            return -1;
        unsigned gap = round + 1 < rounds ? cfg->interval_ms : cfg->wait_ms;
        if (link_listen(n, dad_rx, &c, &c.found, link_now_ms() + gap, err) != 0)
            return -1;
    }
    if (!c.found)
        return 0;
    memcpy(conflict_addr, c.addr, 16);
    memcpy(conflict_mac, c.who, 6);
    return 1;
}

int nd_announce(struct netio *n, const struct addrset *owned, const uint8_t mac[6])
{
    uint8_t fr[128], dmac[6];
    nd_mcast_mac(all_nodes, dmac);
    int rc = 0;
    for (size_t i = 0; i < owned->n6; i++) {
        size_t len = build_na6(fr, sizeof fr, mac, dmac, owned->v6[i].b, all_nodes, ND_NA_OVERRIDE, true);
        if (len == 0 || netio_send(n, fr, len) != 0)
            rc = -1;
    }
    return rc;
}
