/* `rstcraft kill`: per-connection sequence tracking and the RST decisions (IPv4, IPv6). */
#ifndef RSTCRAFT_KILL_H
#define RSTCRAFT_KILL_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "pkt.h"
#include "build.h"

/* One end of a connection, as seen from the segments it sends. */
struct kside {
    uint8_t  ip[16];            /* network order; IPv4 in the first 4 bytes (pkt_addrs) */
    uint16_t port;
    bool     seen;              /* any segment from it */
    bool     has_nxt;           /* snd_nxt valid */
    uint32_t snd_nxt;           /* highest seq + len (+SYN/FIN) it sent: the peer's RCV.NXT to be */
    bool     has_ack;
    uint32_t ack;               /* its last ACK: its own RCV.NXT when sent */
    uint16_t win;
    bool     has_mac;
    uint8_t  mac[6];            /* its MAC (source of its frames) */
    uint8_t  to_mac[6];         /* where its frames go (next hop towards the peer) */
    bool     local;             /* this namespace's kernel owns ip: reach it via a raw socket */
    uint64_t last_ns;           /* its last (non-RST) segment */
    /* our RSTs to this end */
    unsigned rsts;
    uint64_t rst_ns;
    uint32_t rst_seq;
    bool     alive_after_rst;   /* it spoke after our last RST */
    bool     got_rst;           /* it sent an RST (it is gone) */
};

enum kflow_state { KF_TRACK = 0, KF_DONE };

struct kflow {
    struct kside s[2];
    int      client;            /* index of the client end, -1 unknown */
    bool     v6;
    enum kflow_state state;
    bool     wanted;            /* matches the filter */
    unsigned probes;
    uint64_t probe_ns;
    uint64_t first_rst_ns, done_ns, created_ns;
};

struct ktable {
    struct kflow *v;
    size_t n, cap;
    uint32_t *head, *next;      /* hash chains over v (flows are never removed) */
};

/* The flow of (sip:sport -> dip:dport), addresses as kside.ip; *from is the index of the
 * sender's side. NULL when absent and !create, or when the table is full. */
struct kflow *ktable_find(struct ktable *t, bool v6, const uint8_t *sip, uint16_t sport, const uint8_t *dip,
                          uint16_t dport, int *from, bool create, uint64_t now);
void ktable_free(struct ktable *t);

/* Account one captured segment (not one of ours) from side `from`. */
void kflow_segment(struct kflow *k, int from, const struct frame *f, uint64_t now);
/* The best estimate of side's RCV.NXT: the peer's SND.NXT, or the side's own last ACK if
 * that is further, or its last ACK alone. False when nothing is known yet (probe it). */
bool kflow_rcv_nxt(const struct kflow *k, int side, uint32_t *seq);
/* Which end is the server (0/1), from the handshake or, failing that, the port numbers. */
int  kflow_server(const struct kflow *k);

/* RST and probe frames (Ethernet + IPv4 or IPv6 + TCP, checksums valid), addresses as
 * kside.ip; id is the IPv4 ID (IPv6 has none). Returns the length, 0 when cap is short. */
size_t kill_build(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                  bool v6, const uint8_t *saddr, uint16_t sport, const uint8_t *daddr, uint16_t dport,
                  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t id);

/* Established TCP connections of this namespace (sock_diag), IPv4 and IPv6 (an IPv4
 * connection of an IPv6 socket comes as IPv4). fn is called with local and remote
 * endpoints (addresses as kside.ip) and whether the local port has a listener. 0/-1. */
typedef void (*kdiag_fn)(void *user, bool v6, const uint8_t *lip, uint16_t lport, const uint8_t *rip,
                         uint16_t rport, bool local_listens);
int  kdiag_established(kdiag_fn fn, void *user);
#endif
