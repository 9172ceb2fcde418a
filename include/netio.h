/* The wire: libpcap captures (inbound only, immediate mode, non-blocking) or, for the
 * responder, the same kind of capture ring read in place (rxring.h); libnet sends
 * whole frames at the link layer (LIBNET_LINK_ADV, libnet_adv_write_link), and an optional
 * pcap file records every frame received and sent. */
#ifndef RSTCRAFT_NETIO_H
#define RSTCRAFT_NETIO_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/time.h>
#include "linkwatch.h"
#include "pcapw.h"
#include "rxring.h"

struct netio {
    void    *pcap;          /* pcap_t */
    void    *libnet;        /* libnet_t */
    struct pcapw *dumper;   /* the -w file, NULL without -w */
    int      fd;            /* selectable capture fd */
    int      send_fd;       /* the send socket under libnet's descriptor, bound, never a tap (-1: libnet's own) */
    bool     batch;         /* may queue sends under load: while frames arrive in batches,
                               netio_flush_tx sends the queue with one sendmmsg (the
                               responder's loop flushes after each batch of frames in and
                               after its timers); one frame at a time, each answer leaves at
                               once, so batching never adds latency when it saves nothing */
    bool     batching;
    void    *txq;
    unsigned txn;
    int      ifindex;
    uint8_t  mac[6];        /* the interface's MAC */
    char     ifname[64];
    bool     direct;        /* set before netio_open: capture through a ring read in place
                               (rxring.h) rather than libpcap, with no capture filter;
                               the responder's choice */
    struct rxring ring;     /* when direct */
    uint32_t snaplen;       /* bytes captured per frame; 0 before netio_open: the default
                               (262144). Ring slots are sized by it, so a small one holds
                               many more frames: the responder takes 2048 unless it echoes */
    uint64_t rx, tx, tx_err, rx_drop_kernel;
    uint64_t dump_dropped;  /* frames the -w file could not take (set by netio_close) */
    struct linkwatch lw;    /* link changes of ifname (lw.fd -1: none, errors only) */
    unsigned empty_wakes;   /* readable, yet no frame: in a row (netio_dispatch) */
    bool     spinning;      /* the caller is spinning on the ring, not woken by poll: an
                               empty turn is normal there, not a wakeup for nothing, so it
                               must not send netio_dispatch searching the whole ring for a
                               lost head (rxring_recover reads every slot's status word:
                               hundreds of microseconds that a trigger arriving meanwhile
                               waits); such a caller calls netio_spin_look every few ms */
    uint64_t warm_next_ns;  /* netio_spin_idle: when the send path is next kept warm */
};

#define NETIO_ERRLEN 512
/* Open capture and send handles on ifname. bpf may be NULL (everything).
 * Errors are one line in err: "no such interface: veth9", "permission denied: capture
 * on eth0 needs root or CAP_NET_RAW". Returns 0 or -1. */
int  netio_open(struct netio *n, const char *ifname, const char *bpf, char *err);
/* Record every frame received and sent into path (pcap, Ethernet). Returns 0 or -1. */
int  netio_dump_open(struct netio *n, const char *path, char *err);
/* Record one frame sent by other means (craft's transmit ring) into the -w file, if any. */
void netio_record(struct netio *n, const struct timeval *ts, const uint8_t *frame, size_t len);
/* Send one complete Ethernet frame. Returns 0 or -1 (counted in tx_err). */
int  netio_send(struct netio *n, const uint8_t *frame, size_t len);
typedef void (*netio_rx_fn)(void *user, const struct timeval *ts, const uint8_t *frame,
                            size_t caplen, size_t wirelen);
/* Hand every frame waiting now to fn (non-blocking). Returns frames handled, or -1. */
int  netio_dispatch(struct netio *n, netio_rx_fn fn, void *user);
/* A spinner's look every few ms, after a netio_dispatch that returned got: an empty turn is
 * normal there, but the socket readable with nothing at the ring's head means the head was
 * lost (frames wait behind it), so the ring is searched once. */
void netio_spin_look(struct netio *n, int got);
/* A spinner's empty turn at now_ns (monotonic): keeps the kernel's send path warm for the
 * next answer (see netio.c). Costs one refused system call every NETIO_WARM_NS; returns
 * true on those turns, for a caller that keeps its own path warm at the same pace. */
#define NETIO_WARM_NS 20000ull
bool netio_spin_idle(struct netio *n, uint64_t now_ns);
/* Add the frames the kernel dropped for a full capture ring since the last call (it resets
 * its count when read) to rx_drop_kernel. */
void netio_take_drops(struct netio *n);
/* After a poll that watched n->fd (its revents here, 0 if not polled) and n->lw.fd: take
 * the link changes and the capture socket's pending error, so that neither leaves poll
 * ready for ever, and say on stderr what changed, once: "rstcraft: r0: link down",
 * "rstcraft: r0: link up again after 1.0 s", the MTU, the MAC (followed: n->mac).
 * Returns the LW_* bits seen, or -1 with one line in err when the interface was deleted,
 * renamed or the capture socket died: the caller ends (exit 1). */
int  netio_link_check(struct netio *n, short revents, char *err);
/* Send what netio_send queued (batch mode). */
void netio_flush_tx(struct netio *n);
/* Hand the pcap file's frames so far to its writer (never waits; netio_close writes all). */
void netio_flush(struct netio *n);
void netio_close(struct netio *n);
#endif
