/* rstcraft explain: a passive analyser that reads a capture and says, for every TCP reset,
 * why it was sent. explain/track.c keeps a fixed pool of flows and turns each RST into a
 * record (the RST, the flow as it stood, and what followed); explain/classify.c gives a
 * record its verdict; explain/hosts.c remembers what each host's packets look like across
 * all its flows; explain/report.c prints; explain/main.c drives them from libpcap. */
#ifndef RSTCRAFT_EXPLAIN_H
#define RSTCRAFT_EXPLAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pkt.h"

/* One packet as explain remembers it (for evidence and -v): 24 bytes. */
struct xpkt {
    uint32_t t_us;             /* capture time, microseconds after the flow's first packet */
    uint32_t seq, ack;
    uint16_t len, win, ipid;
    uint8_t  flags, dir, ttl;
    uint8_t  df;
};

#define XSIDE_SYN    0x01      /* sent a SYN (side 1: a SYN-ACK) */
#define XSIDE_FIN    0x02      /* sent a FIN */
#define XSIDE_RST    0x04      /* sent an RST */
#define XSIDE_TS     0x08      /* its segments carry timestamps */
#define XSIDE_DATA   0x10      /* sent payload */
#define XSIDE_SEEN   0x20      /* sent any non-RST segment */
#define XSIDE_ACKED  0x40      /* has sent an ACK (ack field valid) */
#define XSIDE_TTLVAR 0x80      /* its non-RST segments came with more than one TTL */

/* What one end of a flow has sent (non-RST segments unless said otherwise): 32 bytes. */
struct xside {
    uint32_t isn;              /* SYN's sequence number */
    uint32_t nxt;              /* highest seq + len sent: SND.NXT as far as the wire shows */
    uint32_t ack;              /* highest ack sent: its RCV.NXT */
    uint32_t fin_seq;          /* sequence number of its FIN */
    uint32_t data_after_fin_us;/* first payload it sent after the peer's FIN (0: none) */
    uint16_t win;              /* last window, unscaled */
    uint16_t ipid;             /* last IP ID */
    uint8_t  ttl, flags;
    uint8_t  nsyn;             /* SYNs (or SYN-ACKs) sent: > 1 means retransmissions */
    uint8_t  nka;              /* keepalive-like probes since the peer last sent anything */
    uint8_t  wscale;           /* window scale from its SYN (0: none) */
    uint8_t  nrst;             /* RSTs it sent in this flow */
};

#define XHIST 4                /* packets a flow keeps for evidence */

/* The flow's 5-tuple: side 0 is the end that sent the first SYN (or the first packet). */
struct xkey {
    uint8_t  addr[2][16];      /* IPv4 in the first 4 bytes, network order */
    uint16_t port[2];
    uint8_t  v6;
};

#define XF_MIDSTREAM 0x01      /* the capture saw no SYN from side 0 */
#define XF_HSACK     0x02      /* side 0 acknowledged side 1's SYN-ACK */
#define XF_CLOSED    0x04      /* an RST, or FINs both ways: waiting out the hold time */
#define XF_DF0       0x08      /* side 0 sets DF on all its segments */
#define XF_DF1       0x10      /* side 1 sets DF on all its segments */
#define XF_ABORT0    0x20      /* side 0 sent an RST|ACK with a window: a live socket aborted */
#define XF_ABORT1    0x40      /* the same for side 1 */
#define XF_ICMP      0x80      /* an ICMP error refused the attempt (its record is made) */

struct xflow {
    struct xkey key;
    uint8_t  fflags;
    uint8_t  hist_n;           /* packets in hist (ring, oldest first from hist_head) */
    uint8_t  hist_head;
    uint8_t  list;             /* which LRU list it is on */
    uint8_t  rst1_dir;         /* which side sent the flow's first RST */
    uint32_t hnext;            /* hash chain */
    uint32_t prev, next;       /* LRU list */
    uint32_t pend;             /* first RST record still watching this flow (0: none) */
    double   t0, tlast;        /* first and last packet */
    uint32_t t_syn_us, t_synack_us, t_hsack_us;
    uint32_t t_rst1_us;        /* the flow's first RST (valid when a side's nrst > 0) */
    struct xside s[2];
    struct xpkt hist[XHIST];
};

/* One RST and all explain knows around it. */
#define XAFTER 3
struct xrst {
    double   ts;
    double   t0;               /* the flow's first packet (for xpkt times) */
    struct xkey key;           /* the flow's key; dir says which side sent the RST */
    uint8_t  dir;
    uint8_t  fflags;           /* flow flags at the RST */
    uint8_t  hist_n, after_n;
    struct xpkt rst;
    struct xside s[2];         /* both sides as they stood just before the RST */
    uint32_t t_syn_us, t_synack_us, t_hsack_us;
    struct xpkt hist[XHIST];   /* the flow's last packets before the RST, oldest first */
    struct xpkt after[XAFTER]; /* the first packets after it */
    /* what happened after it */
    uint8_t  s_data_after;     /* the sender sent payload or FIN after its own RST */
    uint8_t  r_dupack;         /* the receiver answered with a pure ACK, same ack as before */
    uint8_t  r_goes_on;        /* the receiver sent payload or FIN after it */
    uint8_t  prev_rst_s;       /* RSTs the same end sent earlier in this flow */
    uint8_t  burst;            /* back-to-back RSTs from that end, another seq, answering nothing */
    uint8_t  both_ends;        /* the other end's RST right after it (10 ms), answering nothing */
    uint8_t  later_rst_s;      /* RSTs the same end sent after it */
    uint8_t  boundary;         /* a segment of the sender ends at the RST's seq */
    uint8_t  s_fin_late;       /* the sender's FIN, sent before the RST, arrived after it */
    uint8_t  prev_abort;       /* the same end sent an RST|ACK with a window before it */
    uint8_t  later_abort;      /* ... or after it (reordered ahead of it, or a second socket) */
    uint32_t t_first_us;       /* the same end's first RST in this flow (this one's if first) */
    /* an ICMP/ICMPv6 destination unreachable that refused the attempt (type 0: none); then
     * rst.flags is 0, ts and rst.t_us are the ICMP's, dir is 1 (it speaks for the server) */
    uint8_t  icmp_type, icmp_code;
    uint8_t  icmp_from[16];    /* its source address (the server's own, or a router's) */
    uint32_t next;             /* next record watching the same flow */
};

enum xcause {
    XC_CLOSED_PORT, XC_NO_ANSWER, XC_CLIENT_ABORT, XC_ABORTIVE_CLOSE, XC_DATA_AFTER_CLOSE,
    XC_BACKLOG_OVERFLOW, XC_STALE, XC_KEEPALIVE, XC_INJECTED, XC_FIREWALL_REJECT,
    XC_CHALLENGE_ACK, XC_ICMP_REJECT, XC_UNKNOWN, XC_N
};
enum xby { XBY_CLIENT, XBY_SERVER, XBY_ONPATH };

struct verdict {
    enum xcause cause;
    enum xby by;
    char saw[160];              /* what each side's application got */
    char evidence[256];
    char note[160];            /* what the wire cannot tell apart ("" when nothing) */
};

/* Hosts: what each address's own segments look like across every flow of the capture. */
struct xhost {
    uint8_t  addr[16];
    uint8_t  used, v6;
    uint8_t  ttl_min, ttl_max; /* non-RST segments */
    uint8_t  df_all, df_seen;
    uint32_t n;
};
struct xhosts {
    struct xhost *tab;
    size_t   cap, used;
};
int  xhosts_init(struct xhosts *h, size_t cap);
void xhosts_free(struct xhosts *h);
void xhosts_note(struct xhosts *h, const uint8_t *addr, bool v6, uint8_t ttl, bool df);
const struct xhost *xhosts_get(const struct xhosts *h, const uint8_t *addr, bool v6);

/* The tracker. Records go to `emit` when they are complete (hold time after the RST passed,
 * or the flow ended); no-answer attempts come as records with rst.flags == 0. */
typedef void (*xemit_fn)(void *ctx, const struct xrst *r);
struct xtrack {
    struct xflow *pool;        /* [0] unused: index 0 means none */
    uint32_t *hash;
    uint32_t cap, hmask, fresh, free_head; /* fresh: slots handed out at least once */
    uint32_t head[3], tail[3]; /* LRU lists: open, closed (waiting out the hold), gone (remembered) */
    struct xrst *recs;         /* records watching flows, [0] unused */
    uint32_t rcap, rfree;
    struct xhosts hosts;
    double   now;
    double   next_expire;      /* when expire() runs next (capture time) */
    double   hold;             /* seconds a record watches its flow after the RST */
    double   idle;             /* seconds an open flow may be silent */
    double   keep;             /* seconds an ended flow is remembered after its hold */
    xemit_fn emit;
    void    *ctx;
    uint64_t packets, tcp, resets, evicted, skipped;
};
int  xtrack_init(struct xtrack *t, uint32_t max_flows, xemit_fn emit, void *ctx);
void xtrack_free(struct xtrack *t);
/* One parsed frame with its capture time. Frames that are not complete TCP are counted. */
void xtrack_frame(struct xtrack *t, const struct frame *f, double ts);
/* Finish every flow (end of the capture). */
void xtrack_flush(struct xtrack *t);
/* Let time pass without a packet (live capture): ends flows whose hold or idle ran out. */
void xtrack_tick(struct xtrack *t, double now);

/* The verdict on one record, given the hosts of the whole capture. */
void xclassify(const struct xrst *r, const struct xhosts *h, struct verdict *v);
const char *xcause_name(enum xcause c);
const char *xby_name(enum xby b);

/* A classic pcap file read in place (explain/pcapmap.c). */
struct pcap_pkthdr;
struct xmap {
    const uint8_t *base;
    size_t   size, off;
    size_t   released;         /* bytes before this were dropped from the resident set */
    bool     swap, nsec;
    int      dlt, fd;
    uint32_t snaplen;
};
/* 1: mapped; 0: not a classic pcap file (or stdin): use libpcap; -1: cannot open (err). */
int  xmap_open(struct xmap *m, const char *path, char *err, size_t errlen);
/* The same over bytes in memory (the fuzz target): false when they are no classic pcap. */
bool xmap_buffer(struct xmap *m, const uint8_t *base, size_t size);
/* 1: a record; 0: the end; -1: the file is cut or corrupt (err). */
int  xmap_next(struct xmap *m, struct pcap_pkthdr *h, const uint8_t **data, char *err, size_t errlen);
void xmap_close(struct xmap *m);

/* Output */
struct xreport {
    FILE    *out;
    bool     json, verbose;
    uint64_t count[XC_N];
};
void xreport_finding(struct xreport *rp, const struct xrst *r, const struct verdict *v);
void xreport_summary(const struct xreport *rp, FILE *out);
#endif
