/* A TPACKET_V2 receive ring read in place (see rxring.h for why not through libpcap).
 * Kernel side of the protocol: net/packet/af_packet.c, tpacket_rcv() fills a slot and sets
 * TP_STATUS_USER last; we read the slot and write TP_STATUS_KERNEL to give it back. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "rxring.h"

#define RING_BLOCK (1u << 20)   /* 1 MiB blocks: few of them, and no slot wasted much */

static int fail(struct rxring *r, char *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct rxring *r, char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, RXRING_ERRLEN, fmt, ap);
    va_end(ap);
    rxring_close(r);
    return -1;
}

/* The checks libpcap's activate makes, with the same messages. */
static int check_link(int fd, const char *ifname, char *err)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        snprintf(err, RXRING_ERRLEN, "no such interface: %s", ifname);
        return -1;
    }
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        snprintf(err, RXRING_ERRLEN, "%s is not an Ethernet interface (ARP hardware type %u)",
                 ifname, (unsigned)ifr.ifr_hwaddr.sa_family);
        return -1;
    }
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        snprintf(err, RXRING_ERRLEN, "interface %s is down", ifname);
        return -1;
    }
    return 0;
}

/* The slot geometry tpacket_rcv uses for SOCK_RAW: the frame starts at
 * TPACKET_ALIGN(TPACKET2_HDRLEN + 16) - 14, so that the network header is aligned. */
static uint32_t slot_for(uint32_t snaplen)
{
    uint32_t hdr = TPACKET_ALIGN(TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) +
                                 sizeof(struct sockaddr_ll) + 16);
    return TPACKET_ALIGN(hdr + snaplen);
}

int rxring_open(struct rxring *r, const char *ifname, int ifindex, uint32_t snaplen,
                size_t bytes, const struct sock_fprog *filter, bool promisc, char *err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    /* protocol 0: nothing is queued before bind, so no frame escapes the filter */
    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (r->fd < 0) {
        if (errno == EPERM || errno == EACCES)
            return fail(r, err, "permission denied: capturing on %s needs root or CAP_NET_RAW",
                        ifname);
        return fail(r, err, "capture on %s: %s", ifname, strerror(errno));
    }
    if (check_link(r->fd, ifname, err) != 0) {
        rxring_close(r);
        return -1;
    }
    int v = TPACKET_V2;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0)
        return fail(r, err, "capture on %s: TPACKET_V2: %s", ifname, strerror(errno));
    if (filter && setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, filter, sizeof *filter) != 0)
        return fail(r, err, "capture filter on %s: %s", ifname, strerror(errno));

    if (snaplen > RING_BLOCK - slot_for(0))
        snaplen = RING_BLOCK - slot_for(0);
    r->frame_size = slot_for(snaplen);
    r->snaplen = snaplen;
    r->block_size = RING_BLOCK;
    r->frames_per_block = r->block_size / r->frame_size;
    uint32_t blocks = (uint32_t)(bytes / r->block_size);
    if (blocks < 2)
        blocks = 2;
    r->frame_nr = blocks * r->frames_per_block;
    struct tpacket_req req = { .tp_block_size = r->block_size, .tp_block_nr = blocks,
                               .tp_frame_size = r->frame_size, .tp_frame_nr = r->frame_nr };
    if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
        return fail(r, err, "capture on %s: receive ring: %s", ifname, strerror(errno));
    r->maplen = (size_t)blocks * r->block_size;
    void *m = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (m == MAP_FAILED) {
        r->map = NULL;
        return fail(r, err, "capture on %s: mapping the ring: %s", ifname, strerror(errno));
    }
    r->map = m;
    if (promisc) {
        struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
        if (setsockopt(r->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
            return fail(r, err, "capture on %s: promiscuous mode: %s", ifname, strerror(errno));
    }
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = ifindex };
    if (bind(r->fd, (struct sockaddr *)&sll, sizeof sll) != 0)
        return fail(r, err, "capture on %s: %s", ifname, strerror(errno));
    /* a down interface binds, with the error left on the socket (packet_do_bind) */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == ENETDOWN)
        return fail(r, err, "interface %s is down", ifname);
    rxring_drops(r);   /* count from here */
    return 0;
}

static struct tpacket2_hdr *slot(const struct rxring *r, uint32_t i)
{
    uint32_t b = i / r->frames_per_block, k = i % r->frames_per_block;
    return (struct tpacket2_hdr *)(void *)(r->map + (size_t)b * r->block_size +
                                           (size_t)k * r->frame_size);
}

bool rxring_next(struct rxring *r, struct rxring_frame *f)
{
    if (!r->map)
        return false;
    struct tpacket2_hdr *h = slot(r, r->cur);
    /* acquire: the frame's bytes are read only after the status that publishes them */
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(st & TP_STATUS_USER))
        return false;
    uint8_t *data = (uint8_t *)h + h->tp_mac;
    /* The kernel wrote these lines on another CPU: ask for the first two together rather
     * than one after the other as the parser walks the headers. */
    __builtin_prefetch(data);
    __builtin_prefetch(data + 64);
    uint32_t cap = h->tp_snaplen, len = h->tp_len;
    /* The kernel took a VLAN tag off (hardware offload) and reports it beside the frame:
     * put it back in front of the EtherType, in the gap before the frame, as libpcap does,
     * so the frame is what was on the wire. */
    if ((st & TP_STATUS_VLAN_VALID) && cap >= 12 && h->tp_mac >= TPACKET2_HDRLEN + 4) {
        uint16_t tpid = (st & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
        memmove(data - 4, data, 12);
        data -= 4;
        data[12] = (uint8_t)(tpid >> 8);
        data[13] = (uint8_t)tpid;
        data[14] = (uint8_t)(h->tp_vlan_tci >> 8);
        data[15] = (uint8_t)h->tp_vlan_tci;
        cap += 4;
        len += 4;
    }
    f->ts.tv_sec = (time_t)h->tp_sec;
    f->ts.tv_usec = (suseconds_t)(h->tp_nsec / 1000u);
    f->data = data;
    f->caplen = cap;
    f->wirelen = len;
    return true;
}

void rxring_release(struct rxring *r)
{
    struct tpacket2_hdr *h = slot(r, r->cur);
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    r->cur = r->cur + 1 == r->frame_nr ? 0 : r->cur + 1;
}

bool rxring_recover(struct rxring *r)
{
    bool fixed = false;
    if (r->fd < 0 || !r->map)
        return false;
    /* frames the kernel handed to the socket's own queue instead of a slot (a copy of a
     * truncated frame, TP_STATUS_COPY): they keep poll readable until read */
    char sink[64];
    while (recv(r->fd, sink, sizeof sink, MSG_DONTWAIT | MSG_TRUNC) >= 0)
        fixed = true;
    /* the head slot is ours but frames wait further on: catch up with the first of them.
     * The kernel fills slots in order, so the head is lost only if it is still the
     * kernel's after a later slot was seen filled: looked at again after the search. A
     * spinner that saw an empty head and then a readable socket may be looking at a frame
     * written into the head meanwhile; jumping past it left that slot ours for ever, and
     * when the kernel came round to it, it dropped every frame until we did too (the
     * censor's flood step lost 25-80 frames a run so, whatever the ring's size). */
    for (uint32_t i = 1; i < r->frame_nr; i++) {
        uint32_t k = (r->cur + i) % r->frame_nr;
        if (__atomic_load_n(&slot(r, k)->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) {
            if (__atomic_load_n(&slot(r, r->cur)->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)
                return fixed;          /* the head filled: nothing was lost */
            r->cur = k;
            return true;
        }
    }
    return fixed;
}

int rxring_error(struct rxring *r)
{
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (r->fd < 0 || getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return r->fd < 0 ? EBADF : errno;
    return soerr;
}

uint64_t rxring_drops(struct rxring *r)
{
    struct tpacket_stats st;
    socklen_t sl = sizeof st;
    if (r->fd < 0 || getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) != 0)
        return 0;
    return st.tp_drops;
}

void rxring_close(struct rxring *r)
{
    if (r->map)
        munmap(r->map, r->maplen);
    r->map = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}
