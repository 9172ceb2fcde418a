/* The capture ring, read directly: an AF_PACKET socket with a TPACKET_V2 receive ring (the
 * ring libpcap's immediate mode sets up), whose frames user space takes by reading each
 * slot's status word, with no system call while frames wait.
 *
 * Why not through libpcap: its non-blocking read makes a poll() on every empty turn
 * (strace: 14,000 a second in a busy loop), and packet_poll takes the ring's queue lock that
 * the kernel needs to add the next frame. A busy-polling responder spent 0.8-1 us of its
 * 3.5 us SYN-to-answer median there (measured in the lab, the same run). */
#ifndef RSTCRAFT_RXRING_H
#define RSTCRAFT_RXRING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct sock_fprog;

struct rxring {
    int       fd;
    uint8_t  *map;
    size_t    maplen;
    uint32_t  block_size, frame_size, frames_per_block, frame_nr;
    uint32_t  cur;          /* the next slot to read */
    uint32_t  snaplen;      /* bytes a slot holds after its header */
};

struct rxring_frame {
    struct timeval ts;
    const uint8_t *data;
    uint32_t caplen, wirelen;
};

#define RXRING_ERRLEN 512
/* Open the ring on ifindex (name for messages): at most `bytes` of ring memory, slots of
 * `snaplen` bytes, the classic BPF `filter` attached before any frame is queued, promiscuous
 * when asked. Returns 0, or -1 with one line in err: "no such interface: x", "permission
 * denied: ...", "interface x is down", "x is not an Ethernet interface". */
int  rxring_open(struct rxring *r, const char *ifname, int ifindex, uint32_t snaplen,
                 size_t bytes, const struct sock_fprog *filter, bool promisc, char *err);
/* The frame at the head of the ring, or false when none waits (one load, no system call).
 * The frame stays valid until rxring_release. */
bool rxring_next(struct rxring *r, struct rxring_frame *f);
/* Hand the head slot back to the kernel and move on. */
void rxring_release(struct rxring *r);
/* poll said the socket is readable and no frame was at the head: drain the socket's own
 * receive queue and catch up if the head slot was skipped. Returns true if anything was. */
bool rxring_recover(struct rxring *r);
/* The error the kernel left on the socket (SO_ERROR, which clears it: ENETDOWN when the
 * link went down, ENXIO/ENODEV when the interface went away), 0 if none. While one is
 * pending poll reports POLLERR at once, every time. */
int  rxring_error(struct rxring *r);
/* Frames the kernel dropped because the ring was full, since the last call. */
uint64_t rxring_drops(struct rxring *r);
void rxring_close(struct rxring *r);
#endif
