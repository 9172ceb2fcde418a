/* floor_injector: the least a user-space injector can do, as the floor that `scripts/bench
 * censor` measures beside the censor. It spins on a TPACKET_V2 ring on IFACE (idle, it
 * keeps the send path warm as the censor does), with no parsing, tracking or matching
 * beyond a search for MARKER in each frame. For a frame that holds the marker it sends one
 * RST|ACK back to the frame's sender: MACs, addresses and ports swapped, seq = the frame's
 * ack, TTL 111, checksums right. The send goes through a protocol-0 packet socket bound to
 * IFACE, as the censor's does. Checksums by crafter/wire/csum.c, compiled in beside it.
 *
 *     floor_injector IFACE MARKER      (prints "ready"; runs until killed)
 *
 * It answers every frame that holds MARKER, so run it only in a lab. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "csum.h"

#define BLOCK (1u << 20)
#define SLOT 2048u
#define BLOCKS 16u

/* The RST|ACK answering IPv4/TCP frame f (its IP header length ihl, payload plen). */
static size_t answer(uint8_t *o, const uint8_t *f, size_t ihl, size_t plen)
{
    const uint8_t *ip = f + 14, *tcp = ip + ihl;
    memcpy(o, f + 6, 6);
    memcpy(o + 6, f, 6);
    o[12] = 0x08;
    o[13] = 0x00;
    uint8_t *oi = o + 14, *ot = oi + 20;
    memset(oi, 0, 40);
    oi[0] = 0x45;
    oi[3] = 40;
    oi[8] = 111;
    oi[9] = 6;
    memcpy(oi + 12, ip + 16, 4);
    memcpy(oi + 16, ip + 12, 4);
    uint16_t c = csum_fold(csum_partial(oi, 20, 0));
    oi[10] = (uint8_t)(c >> 8);
    oi[11] = (uint8_t)c;
    memcpy(ot, tcp + 2, 2);
    memcpy(ot + 2, tcp, 2);
    memcpy(ot + 4, tcp + 8, 4);                    /* seq = the frame's ack */
    uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    uint32_t ack = seq + (uint32_t)plen;
    ot[8] = (uint8_t)(ack >> 24);
    ot[9] = (uint8_t)(ack >> 16);
    ot[10] = (uint8_t)(ack >> 8);
    ot[11] = (uint8_t)ack;
    ot[12] = 0x50;
    ot[13] = 0x14;                                 /* RST|ACK */
    c = csum_fold(csum_partial(ot, 20, csum_partial(oi + 12, 8, 0) + 6 + 20));
    ot[16] = (uint8_t)(c >> 8);
    ot[17] = (uint8_t)c;
    return 54;
}

int main(int argc, char **argv)
{
    uint64_t warm_next = 0;
    if (argc != 3) {
        fprintf(stderr, "usage: floor_injector IFACE MARKER\n");
        return 2;
    }
    int ifi = (int)if_nametoindex(argv[1]);
    const char *mark = argv[2];
    size_t ml = strlen(mark);
    int rx = socket(AF_PACKET, SOCK_RAW, 0), tx = socket(AF_PACKET, SOCK_RAW, 0);
    int v = TPACKET_V2;
    struct tpacket_req req = { BLOCK, BLOCKS, SLOT, BLOCKS * (BLOCK / SLOT) };
    if (!ifi || rx < 0 || tx < 0 || setsockopt(rx, SOL_PACKET, PACKET_VERSION, &v, sizeof v) ||
        setsockopt(rx, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)) {
        perror("floor_injector");
        return 1;
    }
    uint8_t *map = mmap(NULL, (size_t)BLOCK * BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, rx, 0);
    struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifi };
    struct sockaddr_ll b = { .sll_family = AF_PACKET, .sll_ifindex = ifi };
    if (map == MAP_FAILED || bind(rx, (struct sockaddr *)&a, sizeof a) || bind(tx, (struct sockaddr *)&b, sizeof b)) {
        perror("floor_injector");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    uint8_t out[64];
    for (uint32_t cur = 0;; cur = (cur + 1) % req.tp_frame_nr) {
        struct tpacket2_hdr *h = (struct tpacket2_hdr *)(void *)(map + (size_t)cur * SLOT);
        /* idle, the send path is kept warm as the censor keeps it (netio_spin_idle): a
         * frame shorter than an Ethernet header, which the kernel refuses, every 20 us */
        for (unsigned spin = 0; !(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER); spin++) {
            if ((spin & 63) != 63)
                continue;
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            uint64_t now = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
            if (now >= warm_next) {
                warm_next = now + 20000;
                (void)!send(tx, out, 10, MSG_DONTWAIT);
            }
        }
        const uint8_t *f = (const uint8_t *)h + h->tp_mac;
        size_t n = h->tp_snaplen;
        const struct sockaddr_ll *sll =
            (const struct sockaddr_ll *)(const void *)((const uint8_t *)h + TPACKET_ALIGN(sizeof *h));
        if (sll->sll_pkttype != PACKET_OUTGOING && n > 54 && f[12] == 0x08 && f[13] == 0x00 &&
            f[23] == 6 && memmem(f, n, mark, ml)) {
            size_t ihl = (size_t)(f[14] & 0x0f) * 4, thl = (size_t)(f[14 + ihl + 12] >> 4) * 4;
            size_t tot = (size_t)(f[16] << 8 | f[17]);
            if (14 + ihl + thl <= n && tot >= ihl + thl)
                (void)!send(tx, out, answer(out, f, ihl, tot - ihl - thl), MSG_DONTWAIT);
        }
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    }
}
