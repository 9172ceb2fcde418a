/* A PACKET_MMAP TX ring (TPACKET_V2) for --flood and --rate: frames are written straight
 * into shared memory and one send() hands a whole batch to the kernel, which is what lets
 * a single core outrun one-syscall-per-frame senders (libnet, hping3's raw socket).
 * The qdisc is bypassed as trafgen does by default. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "craft.h"

#define RING_FRAMES 4096u
#define DATA_OFF    (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define VNET_LEN    sizeof(struct virtio_net_hdr)

int txring_open(struct txring *r, int ifindex, unsigned frame_len, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    /* the smallest power-of-two slot: a ring of 54-byte frames stays in cache */
    unsigned fs = 128;
    while (fs < DATA_OFF + VNET_LEN + frame_len)
        fs <<= 1;
    r->frame_size = fs;
    r->frame_nr = RING_FRAMES;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);   /* protocol 0: send only */
    if (fd < 0) {
        snprintf(err, errlen, "packet socket: %s", strerror(errno));
        return -1;
    }
    int v = TPACKET_V2;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
        goto fail;
    v = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof v);   /* best effort */
    /* Without a virtio header the kernel copies only the Ethernet header into the skb and
     * attaches the rest as pages of the ring; crossing into another namespace then makes it
     * allocate and copy pages for every frame (skb_copy_ubufs). With one whose hdr_len is
     * the whole frame, the frame is copied once into the skb and nothing else is needed. */
    v = 1;
    r->vnet = setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &v, sizeof v) == 0;
    v = 16 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v);
    struct tpacket_req req;
    unsigned block = fs > 65536 ? fs : 65536;
    req.tp_block_size = block;
    req.tp_frame_size = fs;
    req.tp_block_nr = (RING_FRAMES * fs) / block;
    req.tp_frame_nr = req.tp_block_nr * (block / fs);
    r->frame_nr = req.tp_frame_nr;
    if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0)
        goto fail;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = 0;
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        goto fail;
    r->maplen = (size_t)req.tp_block_size * req.tp_block_nr;
    r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        goto fail;
    }
    r->fd = fd;
    return 0;
fail:
    snprintf(err, errlen, "TX ring: %s", strerror(errno));
    close(fd);
    return -1;
}

uint8_t *txring_slot(struct txring *r)
{
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(r->map + (size_t)r->cur * r->frame_size);
    unsigned st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (st == TP_STATUS_WRONG_FORMAT) {
        r->failed++;
        st = TP_STATUS_AVAILABLE;
    }
    if (st != TP_STATUS_AVAILABLE)
        return NULL;
    return (uint8_t *)h + DATA_OFF + (r->vnet ? VNET_LEN : 0);
}

void txring_commit(struct txring *r, size_t len)
{
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(r->map + (size_t)r->cur * r->frame_size);
    if (r->vnet) {
        struct virtio_net_hdr *v = (struct virtio_net_hdr *)((uint8_t *)h + DATA_OFF);
        memset(v, 0, sizeof *v);
        v->gso_type = VIRTIO_NET_HDR_GSO_NONE;
        v->hdr_len = (uint16_t)len;          /* little endian, as the kernel reads it on x86 */
        len += VNET_LEN;
    }
    h->tp_len = (unsigned)len;
    __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    r->cur = r->cur + 1 == r->frame_nr ? 0 : r->cur + 1;
    r->pending++;
}

int txring_kick(struct txring *r, bool wait)
{
    if (!r->pending && !wait)
        return 0;
    int busy = 0;
    for (;;) {
        ssize_t rc = send(r->fd, NULL, 0, wait ? 0 : MSG_DONTWAIT);
        if (rc >= 0)
            break;
        /* no room below (the socket's buffer, a full queue or backlog, a carrier lost on
         * a veth): the frame the kernel was at is dropped (ENOBUFS) or waits (EAGAIN), the
         * rest stay in the ring for the next kick */
        if (errno == EAGAIN || errno == ENOBUFS) {
            r->busy++;
            busy = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        return -1;   /* ENETDOWN, ENXIO...: nothing was taken, the frames wait in the ring */
    }
    r->sent += r->pending;
    r->pending = 0;
    return busy;
}

void txring_close(struct txring *r)
{
    if (r->map)
        munmap(r->map, r->maplen);
    if (r->fd >= 0)
        close(r->fd);
    r->map = NULL;
    r->fd = -1;
}
