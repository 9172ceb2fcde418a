/* What the responder reports: one line per event (text or JSON Lines) and counts. */
#ifndef RSTCRAFT_EVENT_H
#define RSTCRAFT_EVENT_H
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include "linesink.h"

/* X(id, name, SCENARIOS.md case or 0, short description) */
#define EVENT_LIST(X) \
    X(EV_HANDSHAKE,       "handshake",              0, "handshake completed") \
    X(EV_SYNACK,          "synack",                 0, "SYN-ACK sent") \
    X(EV_CLOSED_PORT,     "closed-port",            1, "closed port: RST to the SYN") \
    X(EV_SILENT_DROP,     "silent-drop",            2, "closed port, silence: SYN dropped") \
    X(EV_CLIENT_ABORT,    "client-abort",           3, "the client gave up and reset our SYN-ACK") \
    X(EV_UNREAD_RESET,    "unread-reset",           4, "close with unread data: RST instead of FIN") \
    X(EV_FIN_CLOSE,       "fin-close",              0, "application closed: FIN") \
    X(EV_DATA_AFTER_CLOSE,"data-after-close",       5, "data after close: RST") \
    X(EV_SYN_DROPPED_BACKLOG,"syn-dropped-backlog", 6, "accept queue full: SYN dropped") \
    X(EV_BACKLOG_RESET,   "backlog-overflow-reset", 6, "accept queue full: final ACK reset") \
    X(EV_UNKNOWN_FLOW,    "unknown-flow-reset",     0, "segment for no connection: RST (RFC 793)") \
    X(EV_PEER_RESET,      "peer-reset",             0, "the peer reset the connection") \
    X(EV_CHALLENGE_ACK,   "challenge-ack",          0, "inexact RST or SYN: challenge ACK (RFC 5961)") \
    X(EV_SYNACK_TIMEOUT,  "synack-timeout",         0, "no final ACK after the SYN-ACK retries") \
    X(EV_PEER_CLOSE,      "peer-close",             0, "connection closed by FIN exchange") \
    X(EV_TABLE_FULL,      "table-full",             0, "flow table full: oldest half-open flow evicted") \
    X(EV_REPLY,           "reply",                  0, "the application's reply is all sent") \
    X(EV_REPLY_RESET,     "reply-reset",            0, "reset part-way through the reply (--reset-after)") \
    X(EV_IDLE_FORGET,     "idle-forget",            0, "a quiet connection dropped without a word (--idle-close)") \
    X(EV_STALE_CONNECTION,"stale-connection",       0, "segment on a dropped keep-alive connection: RST") \
    X(EV_RTX_TIMEOUT,     "retransmit-timeout",     0, "data or FIN unacknowledged after the retries")

#define EV_ENUM(id, name, sc, desc) id,
enum ev_kind { EVENT_LIST(EV_ENUM) EV__N };
#undef EV_ENUM

const char *ev_name(enum ev_kind k);
int ev_scenario(enum ev_kind k);

struct ev {
    enum ev_kind kind;
    const char *mode;          /* mode name, or "-" */
    uint32_t src, dst;         /* peer and our address (host order), IPv4 */
    bool     v6;               /* then src6 and dst6 instead */
    uint8_t  src6[16], dst6[16];
    uint16_t sport, dport;
    int      in_flags;         /* flags of the segment that caused it, -1: none (a timer) */
    uint32_t in_len;           /* its payload length */
    int      out_flags;        /* flags of what we sent, -1: nothing */
    double   delay_ms;         /* < 0: not set */
    int64_t  unread;           /* < 0: not set */
    int      rtx;              /* < 0: not set */
};
static inline struct ev ev_make(enum ev_kind k)
{
    struct ev e = { .kind = k, .mode = "-", .in_flags = -1, .out_flags = -1,
                    .delay_ms = -1, .unread = -1, .rtx = -1 };
    return e;
}

/* Events go to a stdio stream (out; blocking: unit tests, tools) or, once sink is open
 * (linesink_open), through its bounded buffer: a reader that falls behind loses events
 * (counted in sink.dropped), it never holds up the loop that answers. */
struct evout {
    FILE    *out;
    bool     json, quiet;
    uint64_t counts[EV__N];
    uint64_t total;
    struct linesink sink;
};
/* Write the event (stamped with the wall clock now) and count it. */
void ev_emit(struct evout *o, const struct ev *e);
/* "rstcraft: counts: closed-port=1 handshake=2" (only non-zero ones) */
void ev_print_counts(const struct evout *o, FILE *to);
#endif
