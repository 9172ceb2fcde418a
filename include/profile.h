/* An OS profile: one table of parameters the engine reads. No OS branches elsewhere:
 * what differs between stacks on the wire is a field here. */
#ifndef RSTCRAFT_PROFILE_H
#define RSTCRAFT_PROFILE_H
#include <stdint.h>
#include <stdbool.h>

enum ipid_kind {
    IPID_ZERO,        /* always 0 (Linux: DF packets not from a full socket) */
    IPID_GLOBAL,      /* one counter shared by every packet (Windows) */
    IPID_PER_FLOW,    /* random start per connection, +1 per packet (Linux sockets) */
    IPID_RANDOM,      /* random per packet (OpenBSD) */
};
enum isn_kind {
    ISN_HASH_CLOCK,   /* keyed hash of the 4-tuple + a 64 ns clock (Linux secure_tcp_seq) */
    ISN_RANDOM,       /* random per connection */
};

/* How an IPv6 stack picks flow labels (RFC 6437). */
enum fl6_policy {
    FL6_RANDOM = 0,   /* a random label per connection (Linux sk_txhash) */
    FL6_HASH,         /* a keyed hash of the addresses and ports: one label per 4-tuple (Linux
                         for answers from no socket: ip6_make_flowlabel of the flow's hash) */
    FL6_ZERO,         /* no label */
};

struct profile {
    const char *name;
    const char *os;              /* what OS detection should call it */
    const char *summary;
    /* IP */
    uint8_t  ttl;
    bool     df;
    uint8_t  tos;
    enum ipid_kind ipid_synack;  /* SYN-ACK */
    enum ipid_kind ipid_flow;    /* segments of an established connection, active resets */
    enum ipid_kind ipid_reset;   /* RSTs for segments that match no connection */
    /* TCP handshake */
    uint16_t synack_win;         /* window in the SYN-ACK (never scaled) */
    uint16_t mss;                /* our MSS, clamped to the peer's */
    int8_t   wscale;             /* our window scale; -1: never offer one */
    bool     sack;               /* answer SACK-permitted */
    bool     ts;                 /* answer timestamps */
    uint32_t ts_hz;              /* timestamp clock rate */
    bool     ts_off_4tuple;      /* the timestamp offset is a keyed hash of the 4-tuple (Linux
                                    6.18 measured: nmap TS=21; a reconnect from the same
                                    ports continues the clock), else of the host pair */
    /* SYN-ACK option layouts, indexed by (ts << 1 | sack) as negotiated: letters
     * M mss, N nop, W wscale, S sack-permitted, T timestamps, E eol. When window scaling
     * is not negotiated, W and the N right before it are left out. */
    const char *synack_layout[4];
    enum isn_kind isn;
    uint32_t rcv_wnd;            /* receive window after the handshake, bytes */
    /* closed ports and resets */
    bool     closed_silent;      /* closed ports drop SYNs instead of RST (firewalled) */
    uint16_t reset_win;          /* window of an RST for a segment matching no connection */
    /* IPv6: hop limit (0: the TTL); flow labels of a connection's segments and of answers
     * from no connection (resets, ICMPv6); the traffic class is tos, as for IPv4 */
    uint8_t  hlim;
    enum fl6_policy fl6_flow, fl6_stateless;
    bool     reset_tos_reflect;  /* that RST carries the segment's DSCP (TOS/traffic class,
                                    ECN bits cleared), not tos: Linux tcp_v4_send_reset and
                                    tcp_v6_send_reset, measured on 6.18 */
    /* SYN-ACK retransmission: first timeout, doubling, this many times, then give up
     * after one more timeout (Linux: 1 s, tcp_synack_retries 5 -> 1,2,4,8,16, drop at 63 s) */
    uint16_t synack_rto_ms;
    uint8_t  synack_retries;
    uint32_t fin_timeout_ms;     /* FIN_WAIT2 orphan timeout (Linux tcp_fin_timeout 60 s) */
    uint32_t time_wait_ms;       /* TIME_WAIT (Linux 60 s) */
};

const struct profile *profile_find(const char *name);
const struct profile *const *profile_all(void);   /* NULL-terminated */
#endif
