/* Per-connection state and the flow table: a fixed pool (bounded by --max-flows), an
 * intrusive hash, and a binary heap of timer deadlines. Nothing is allocated per packet:
 * the pool and the buckets are reserved once and only touched pages become resident. */
#ifndef RSTCRAFT_FLOW_H
#define RSTCRAFT_FLOW_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct engine;
struct rule;
struct seg_answer;

enum tcp_state {
    ST_FREE = 0,
    ST_SYN_PENDING,   /* SYN received, SYN-ACK held back (delay mode) */
    ST_SYN_RCVD,
    ST_ESTABLISHED,
    ST_CLOSE_WAIT,    /* peer sent FIN, the application has not closed */
    ST_LAST_ACK,
    ST_FIN_WAIT1,
    ST_FIN_WAIT2,
    ST_CLOSING,
    ST_TIME_WAIT,
    ST_FORGOTTEN,     /* --idle-close: the server dropped it silently; kept only to name the
                         reset its next segment draws (stale-connection) */
};
const char *tcp_state_name(enum tcp_state s);

/* TM_REPLY: the sending half's one timer (reply.c): delay, pacing, retransmission, idle */
enum timer_kind { TM_NONE = 0, TM_SYNACK, TM_APP, TM_LINGER, TM_REPLY };

struct flow {
    uint32_t next;            /* hash chain / free list: index + 1, 0 = end */
    uint32_t hpos;            /* position in the timer heap + 1, 0 = not armed */
    uint64_t deadline_us;     /* monotonic microseconds */
    uint64_t syn_us;          /* when the SYN arrived */
    uint64_t synack_us;       /* when the first SYN-ACK left */
    const struct rule *rule;
    const struct seg_answer *sa;  /* the profile's answer to this SYN's shape (nmap probes), or NULL */
    uint32_t caddr, saddr;    /* peer (client) and our address, host order; IPv6: their
                                 addr6_fold, which hashes and keys what takes 32 bits */
    uint8_t  caddr6[16], saddr6[16];  /* IPv6 only */
    uint32_t flowlabel;       /* IPv6: the label every segment of this flow carries */
    bool     v6;
    uint16_t cport, sport;
    uint8_t  cmac[6];
    uint8_t  state;           /* enum tcp_state */
    uint8_t  timer;           /* enum timer_kind */
    uint8_t  rtx;             /* retransmissions so far */
    uint8_t  snd_wscale, rcv_wscale;
    bool     ws_ok, sack_ok, ts_ok;
    bool     app_closed;
    bool     peer_fin;
    bool     ecn_syn;         /* the SYN asked for ECN (ECE|CWR) */
    uint8_t  syn_res;         /* the SYN's reserved bits and urgent pointer, for stacks that */
    uint16_t syn_urp;         /* echo them (nmap's Q quirks) */
    uint16_t peer_mss;
    uint16_t ip_id;
    _Alignas(8) unsigned char mode_flow[8];   /* the mode's own (MODE_FLOW in mode.h); never read here */
    uint32_t iss, snd_una, snd_nxt, snd_wnd;
    uint32_t probe_ack;       /* the SYN-ACK's ack when sa's rules set it (nmap's A test) */
    uint32_t irs, rcv_nxt;
    uint32_t ts_recent, ts_off;
    uint32_t unread;          /* in-order bytes the application has not read */
    uint8_t  nofo;            /* out-of-order ranges held (sequence only, data discarded) */
    struct { uint32_t l, r; } ofo[4];
    /* the reply (reply.c): where this flow is in its rule's shared reply bytes */
    uint8_t  reply_phase;     /* enum reply_phase */
    uint8_t  reply_queued;    /* requests read while a reply was under way */
    bool     close_after_reply;
    bool     recovering;      /* an RTO fired: each partial ACK resends the next segment */
    uint32_t reply_seq;       /* sequence number of the reply's first byte */
    uint32_t rto_base_us;     /* first retransmission timeout (handshake RTT + 200 ms, or 1 s) */
    uint64_t reply_at_us;     /* next reply segment not before (delay, pacing); idle deadline */
    uint64_t rto_us;          /* the oldest unacknowledged byte goes again then; 0: none */
};

struct flowtab {
    struct flow *v;           /* pool, max entries */
    uint32_t max, used, hwm;  /* capacity, live flows, high-water mark of the pool */
    uint32_t free_head;       /* index + 1 */
    uint32_t *bucket;         /* index + 1, 0 = empty */
    uint32_t nbucket_mask;
    uint64_t seed;
    uint32_t *heap;           /* flow indices ordered by deadline */
    uint32_t nheap;
};

int  flowtab_init(struct flowtab *t, uint32_t max);   /* 0 or -1 (ENOMEM) */
void flowtab_free(struct flowtab *t);
struct flow *flow_lookup(struct flowtab *t, uint32_t caddr, uint16_t cport, uint32_t saddr, uint16_t sport);
struct flow *flow_lookup6(struct flowtab *t, const uint8_t caddr[16], uint16_t cport,
                          const uint8_t saddr[16], uint16_t sport);
/* A new zeroed flow keyed so, or NULL when the table is full. */
struct flow *flow_new(struct flowtab *t, uint32_t caddr, uint16_t cport, uint32_t saddr, uint16_t sport);
struct flow *flow_new6(struct flowtab *t, const uint8_t caddr[16], uint16_t cport,
                       const uint8_t saddr[16], uint16_t sport);
/* The 32 bits an IPv6 address stands for where 32 bits are kept (caddr, saddr). */
static inline uint32_t addr6_fold(const uint8_t a[16])
{
    uint32_t x = 0;
    for (int i = 0; i < 16; i += 4)
        x ^= (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 | (uint32_t)a[i + 2] << 8 | a[i + 3];
    return x;
}
void flow_del(struct flowtab *t, struct flow *f);
/* Tear a flow down: its mode releases what it holds (on_release), the slot returns to the
 * pool. */
void flow_release(struct engine *e, struct flow *fl);
static inline uint32_t flow_index(const struct flowtab *t, const struct flow *f) { return (uint32_t)(f - t->v); }

/* Timers: one per flow; arming again moves it. */
void timer_arm(struct flowtab *t, struct flow *f, enum timer_kind k, uint64_t deadline_us);
void timer_cancel(struct flowtab *t, struct flow *f);
/* The flow whose deadline is earliest, or NULL. */
static inline struct flow *timer_peek(struct flowtab *t) { return t->nheap ? &t->v[t->heap[0]] : NULL; }
#endif
