/* `rstcraft censor`: an on-path observer that forges resets for the connections it sees,
 * the way published censors (the Great Firewall's injectors, Geneva's lab censors) do.
 * It never forwards or drops the real packets (unless --drop): its forged segments race
 * the real ones, as on the Internet. */
#ifndef RSTCRAFT_CENSOR_H
#define RSTCRAFT_CENSOR_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "censor_parse.h"
#include "pkt.h"
#include "build.h"
#include "janitor.h"
#include "nft.h"
#include <stdio.h>

/* ---- injectors: what a censor's forged resets look like, from a measurement ---- */
struct injector {
    const char *name;
    const char *source;          /* where the fingerprint was measured */
    uint8_t  flags;              /* TH_RST or TH_RST|TH_ACK */
    uint8_t  count;              /* resets per targeted end */
    bool     df;
    uint8_t  ttl_lo, ttl_hi;     /* drawn per burst (lo == hi: fixed) */
    uint16_t id_lo, id_hi;       /* likewise */
    bool     identical;          /* every copy in a burst carries the same TTL and IP ID */
    uint16_t win;                /* 0: the window the spoofed end last advertised */
    bool     ack_without_flag;   /* the ack field is filled though ACK is not set (scapy) */
    bool     client_only;        /* never resets the server */
    uint32_t seq_step[3];        /* added to the exact seq for copy 0, 1, 2 (then 0) */
    const uint8_t *payload;
    uint8_t  plen;
    unsigned residual_s;         /* default residual block, 0: none */
};
const struct injector *injector_find(const char *name);
/* "gfw1, gfw2, ..." for usage lines */
const char *injector_names(void);
extern const struct injector injectors[];
extern const size_t n_injectors;

/* ---- connection tracking: what each end has sent, as far as the censor can tell ---- */
enum tcb_model {
    TCB_STRICT = 0,   /* a careful observer: state from the handshake it saw (a later SYN
                         does not move it), out-of-order data reassembled, an RST believed
                         only at the sender's exact next seq and usual TTL */
    TCB_SYN_ONLY,     /* Geneva censors 1-3: state from the client's first SYN only, each
                         segment inspected alone, no resync, RST/FIN ignored */
    TCB_TEARDOWN,     /* Geneva censor 6/7 (Wang et al. "TCB teardown"): any RST or FIN
                         from either end removes the state, checksums not checked */
    TCB_REASSEMBLE,   /* strict, but every new SYN resynchronises the state */
};
const char *tcb_name(enum tcb_model m);
int tcb_parse(const char *s, enum tcb_model *m);

/* An address of either family: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one table,
 * one residual list and one --dst list serve both. */
struct caddr { uint8_t a[16]; };
void caddr_v4set(struct caddr *x, uint32_t v4);
bool caddr_is4(const struct caddr *x);
uint32_t caddr_v4(const struct caddr *x);
/* A segment's source and destination. */
void caddr_of(const struct frame *seg, struct caddr *src, struct caddr *dst);
/* The first plen bits of a and b agree (plen counts in the 128-bit space). */
bool caddr_in(const struct caddr *a, const struct caddr *prefix, unsigned plen);
#define CADDR_STRLEN 46
const char *caddr_str(const struct caddr *x, char buf[CADDR_STRLEN]);

#define CENSOR_BUF 2048           /* client bytes kept for inspection, per flow */
#define CENSOR_BUF_MAP (CENSOR_BUF / 8)   /* which of them arrived (out-of-order data) */

struct cside {
    struct caddr ip;
    uint16_t port;
    uint8_t  mac[6];             /* source MAC of its frames */
    uint32_t nxt;                /* next seq it will send (SND.NXT as the censor saw it) */
    uint16_t win;
    uint8_t  ttl;
    bool     seen;
};

enum cflow_state { CF_FREE = 0, CF_SYN, CF_OPEN, CF_DONE };

struct cflow {
    struct cside c, s;           /* client, server */
    uint32_t isn;                /* client ISN: stream offset 0 is isn + 1 */
    uint64_t last_ns;
    uint32_t next;               /* hash chain (index + 1; 0 ends it) */
    uint32_t newer, older;       /* recency list (index + 1; 0 ends it) */
    uint16_t buf;                /* inspection buffer (index + 1; 0 none) */
    uint16_t have;               /* in-order client bytes buffered */
    uint8_t  state;              /* enum cflow_state */
    bool     verdict;            /* inspection finished (triggered or cleared) */
    bool     syn_blocked;        /* blocked at its SYN: reset the server at its SYN-ACK */
    bool     synack_seen;
    uint8_t  fins;               /* 1: the client's FIN seen, 2: the server's */
};

struct ctable {
    struct cflow *v;
    uint32_t cap, used, free_head;
    uint32_t newest, oldest;     /* ends of the recency list (index + 1; 0: empty) */
    uint32_t *head;              /* hash buckets (index + 1) */
    uint32_t nbuckets;
    uint8_t (*bufs)[CENSOR_BUF + CENSOR_BUF_MAP];
    uint16_t nbufs, *buf_free, buf_free_n;
    uint64_t evicted, no_buffer;
};
int  ctable_init(struct ctable *t, uint32_t max_flows, uint16_t max_bufs);
void ctable_free(struct ctable *t);
/* The flow of a segment, either direction; *from_client tells which end sent it. */
struct cflow *ctable_find(struct ctable *t, const struct caddr *sip, uint16_t sport, const struct caddr *dip,
                          uint16_t dport, bool *from_client);
/* A new flow for a client SYN (sip:sport -> dip:dport); evicts the least recently used
 * when full, in O(1): the flows are kept on a list in the order they were last touched.
 * Never NULL once initialised. */
struct cflow *ctable_add(struct ctable *t, const struct caddr *sip, uint16_t sport, const struct caddr *dip,
                         uint16_t dport, uint64_t now);
void ctable_del(struct ctable *t, struct cflow *f);
/* The flow saw a segment at now (monotonic, never earlier than the last touch): it becomes
 * the most recently used. */
void ctable_touch(struct ctable *t, struct cflow *f, uint64_t now);
/* Remove flows idle for longer than idle_ns: O(removed), from the old end of the list. */
void ctable_expire(struct ctable *t, uint64_t now, uint64_t idle_ns);
/* The flow's inspection buffer (CENSOR_BUF bytes, then its CENSOR_BUF_MAP-byte map of
 * received bytes, zeroed when lent); lends one when it has none; NULL when none is free. */
uint8_t *cflow_buf(struct ctable *t, struct cflow *f);
void cflow_buf_release(struct ctable *t, struct cflow *f);

/* ---- residual censorship: (client, server, port) blocked until a time ---- */
struct residual {
    struct { struct caddr cip, sip; uint16_t port; uint64_t until; } *v;
    size_t n, cap;
};
void residual_add(struct residual *r, const struct caddr *cip, const struct caddr *sip, uint16_t port,
                  uint64_t until);
/* The expiry of a live block (0 when none); expired entries are removed. */
uint64_t residual_until(struct residual *r, const struct caddr *cip, const struct caddr *sip, uint16_t port,
                        uint64_t now);
void residual_free(struct residual *r);

/* ---- forging ---- */
struct forge_rng { uint64_t s; };
uint32_t forge_rand(struct forge_rng *g);
/* Build copy k of a burst to one end into buf. to_client: the reset goes to the client,
 * spoofed from the server. seq/ack: the exact values the receiver accepts. ttl/id: this
 * burst's draw. Returns the frame length. */
size_t forge_reset(const struct injector *inj, const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap,
                   const struct cflow *f, bool to_client, unsigned k, uint32_t seq, uint32_t ack,
                   uint8_t ttl, uint16_t id);
/* A forged SYN-ACK to the client with a wrong seq and a small window (residual mode). */
size_t forge_synack(const struct injector *inj, const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap,
                    const struct cflow *f, uint32_t seq, uint8_t ttl, uint16_t id);

/* ---- the censor: options, and the engine that decides for each captured segment ---- */
#define CENSOR_MAX_LIST 16
enum censor_to { TO_BOTH = 0, TO_CLIENT, TO_SERVER };
enum residual_mode { RES_RST = 0, RES_SYNACK };

struct censor_opts {
    char     ifname[64];
    const char *keyword[CENSOR_MAX_LIST]; size_t nkeyword;
    const char *host[CENSOR_MAX_LIST];    size_t nhost;
    const char *sni[CENSOR_MAX_LIST];     size_t nsni;
    uint16_t port[CENSOR_MAX_LIST];       size_t nport;
    struct { struct caddr addr; uint8_t plen; } dst[CENSOR_MAX_LIST]; size_t ndst;   /* plen of 128 */
    enum censor_to to;
    const struct injector *inj;
    unsigned count;              /* 0: the injector's */
    long     residual_s;         /* -1: the injector's */
    enum residual_mode residual_mode;
    enum tcb_model tcb;
    bool     check_csum;         /* drop segments with a bad TCP checksum, as the receiver would */
    uint32_t max_flows;
    bool     json, quiet;
    bool     busy_poll;          /* spin on the capture instead of sleeping in poll() */
    int32_t  cpu_latency_us;     /* -1: none; else held as a PM QoS CPU latency request */
    bool     drop;               /* in path: also drop a censored connection's packets (nft) */
    const char *wfile;
    uint64_t duration_ns;
    uint64_t seed;
};
int  censor_parse_args(struct censor_opts *o, int argc, char **argv, char *err, size_t errlen);
void censor_usage(FILE *out);

enum censor_ev_kind { CEV_TRIGGER, CEV_RESIDUAL, CEV_UNPARSED };
struct censor_event {
    enum censor_ev_kind kind;
    uint64_t now_ns;
    const struct cflow *f;
    const char *trigger;         /* "keyword", "host", "sni", "port", "dst", "residual" */
    const char *match;           /* what matched (the word, the name, the port) */
    unsigned to_client, to_server;   /* forged segments sent to each end */
    uint64_t residual_until_ns;  /* 0: none */
};

struct censor_stats {
    uint64_t frames, tcp, other, malformed, bad_csum, flows, triggers, residual_hits,
             forged, unparsed, ignored_rst;
};

struct censor {
    struct censor_opts o;
    struct ctable t;
    struct residual res;
    struct forge_rng rng;
    struct tmpl_tcp4 tmpl;
    struct censor_stats st;
    void (*send)(void *user, const uint8_t *frame, size_t len);
    void (*event)(void *user, const struct censor_event *ev);
    void *user;
};
/* A rehearsal of the trigger path on a scratch engine, for a spinner (censor_warm.c): its
 * frames, flows and forged frames are its own and go nowhere. */
#define CENSOR_WARM_FRAME 256
struct censor_warm {
    struct censor c;
    uint8_t frame[4][CENSOR_WARM_FRAME];
    size_t  len[4];
    bool    inited, on;
};
int  censor_warm_init(struct censor_warm *w, const struct censor_opts *o);
void censor_warm_run(struct censor_warm *w, uint64_t now_ns);
void censor_warm_free(struct censor_warm *w);

/* The options must have been parsed; send and event set by the caller. 0 or -1. */
int  censor_init(struct censor *c, char *err, size_t errlen);
void censor_free(struct censor *c);
/* One captured frame at time now_ns (monotonic). */
void censor_input(struct censor *c, const struct frame *f, uint64_t now_ns);
/* Timers: idle flows leave. Call about once a second. */
void censor_tick(struct censor *c, uint64_t now_ns);

/* ---- --drop: a censored connection's further packets dropped in the forward path ---- */
#define CENSOR_DROP_S 120        /* how long a censored 4-tuple stays dropped */
struct censor_drop {
    char table[48];              /* rstcraft_censor_<pid>, in the bridge and inet families */
    struct janitor jan;          /* deletes the tables when we are gone, however we go */
    struct nft_shell sh;         /* `nft -i`, fed one line per censored connection */
    unsigned stale_removed;      /* tables of censors that were gone, removed at start */
    uint64_t cmds_failed;
};
/* Remove stale tables, install ours, start the janitor and the nft shell. 0, or -1 with
 * one line in err. */
int  censor_drop_open(struct censor_drop *d, char *err, size_t errlen);
/* Drop both directions of f's 4-tuple from now on (for CENSOR_DROP_S seconds). */
void censor_drop_flow(struct censor_drop *d, const struct cflow *f);
/* Remove the tables now and let the janitor go. */
void censor_drop_close(struct censor_drop *d);

/* ---- a router's interface: forged frames addressed to this host leave by the route ---- */
/* On a routed interface the client's frames carry this host's MAC as destination, and so
 * does a reset forged toward the server: sent back out the interface it would reach no
 * one. Such a frame (IFACE's own MAC as destination) is routed instead: it leaves through
 * the route's egress with that interface's MAC and the next hop's, every other byte as
 * forged (no kernel in between to rewrite the IP ID or TTL). */
#define CENSOR_HOPS 8
#define CENSOR_MARK 0x72737463u   /* "rstc": our own sends, told apart in the capture */
struct censor_hop {
    struct caddr dst;
    int      ifindex;            /* 0: unresolvable (until `until`) */
    uint8_t  src[6], nh[6];      /* egress MAC, next hop's MAC */
    uint64_t until;              /* monotonic ns after which it is asked again */
};
struct censor_route {
    int      fd;                 /* AF_PACKET, protocol 0 (never a tap), unbound: sendto names the egress */
    uint8_t  ifmac[6];           /* the watched interface's own MAC */
    struct censor_hop hop[CENSOR_HOPS];
    unsigned next;               /* the slot replaced next */
    uint64_t routed, unroutable, tx_err;
    bool     said;               /* the one stderr line about an unroutable end */
    /* the egress and next hop of dst (1), none (0, one line in why); netlink by default */
    int    (*resolve)(const struct caddr *dst, struct censor_hop *h, char *why, size_t cap);
};
/* Is the forged frame addressed to this host (dst MAC == ifmac), and to whom? Pure. */
bool censor_frame_to_self(const uint8_t *frame, size_t len, const uint8_t ifmac[6], struct caddr *dst);
/* The cached hop for dst at now, resolved when absent or stale; NULL when unroutable
 * (counted, said once on stderr). */
const struct censor_hop *censor_route_hop(struct censor_route *r, const struct caddr *dst, uint64_t now);
struct netio;
/* Watch both directions of n (frames this host forwards out of it too, not our own sends,
 * which carry CENSOR_MARK) and open the egress socket. 0, or -1 with one line in err. */
int  censor_route_open(struct censor_route *r, struct netio *n, char *err, size_t errlen);
/* Send a forged frame addressed to this host by its route: true when it was (or was
 * counted as unroutable); false when it is not ours to route (send it out IFACE). */
bool censor_route_send(struct censor_route *r, const uint8_t *frame, size_t len);
void censor_route_close(struct censor_route *r);
#endif
