/* The responder engine: TCP input and output for the addresses we own, the timers, and
 * the services modes call. */
#ifndef RSTCRAFT_ENGINE_H
#define RSTCRAFT_ENGINE_H
#include <stdint.h>
#include <stdbool.h>
#include <sys/time.h>
#include "addrset.h"
#include "build.h"
#include "event.h"
#include "flow.h"
#include "netio.h"
#include "pkt.h"
#include "profile.h"
#include "profile_ext.h"
#include "rules.h"
#include "mode.h"


struct engine {
    const struct ruleset *rules;
    const struct profile *prof;
    const struct profile_answers *ans;   /* what the profile answers (own, or a personality's) */
    struct profile_answers own;
    struct gen_state gen;                /* IP ID, ISN and timestamp generators */
    const struct addrset *addrs;
    struct netio *nio;
    /* where frames go: netio_send on the wire; unit tests put a recorder here */
    int     (*send)(void *ctx, const uint8_t *frame, size_t len);
    void     *send_ctx;
    uint8_t   mac[6];
    struct flowtab ft;
    bool      syn_flood;    /* more than half the table was taken and not yet back under a
                               quarter: SYN-ACKs are not retransmitted (engine.c) */
    struct tmpl_tcp4 tmpl;
    struct tmpl_tcp6 tmpl6;
    struct evout ev;
    uint64_t  now_us;         /* monotonic, updated per batch */
    uint64_t  isn_key[2];     /* SipHash key for ISNs and timestamp offsets */
    uint64_t  rng;
    void     *mode_state[MODE_MAX];   /* each mode's own (mode_ops.init), by mode_index */
    uint64_t  rx_frames, rx_malformed, rx_ignored, tx_frames;
    uint8_t   txbuf[FRAME_MAX];
};

uint64_t mono_us(void);
/* A frame's addresses where 32 bits are kept (flow keys, ISN and timestamp hashes):
 * IPv4 as it is, IPv6 folded (addr6_fold). */
static inline uint32_t frame_src32(const struct frame *f)
{
    return f->l3 == L3_IPV6 ? addr6_fold(f->saddr6) : f->saddr;
}
static inline uint32_t frame_dst32(const struct frame *f)
{
    return f->l3 == L3_IPV6 ? addr6_fold(f->daddr6) : f->daddr;
}
/* A random number from the engine's generator (xorshift). */
uint32_t engine_rand(struct engine *e);
/* The IPv6 hop limit the profile sends with. */
uint8_t engine_hlim(const struct engine *e);
/* An IPv6 flow label under policy p; f's addresses and ports key FL6_HASH. */
uint32_t engine_label(struct engine *e, enum fl6_policy p, const struct frame *f);
/* The rule for f's destination address and port. */
const struct rule *engine_rule_for(const struct engine *e, const struct frame *f);
/* Send one frame through e->send (counted in tx_frames). */
void engine_send(struct engine *e, const uint8_t *frame, size_t len);
/* ans NULL: the answers a bare profile implies (profile_answers_default). */
int  engine_init(struct engine *e, const struct ruleset *rules, const struct profile *prof,
                 const struct profile_answers *ans, const struct addrset *addrs, struct netio *nio, const uint8_t mac[6],
                 uint32_t max_flows, char *err);
void engine_free(struct engine *e);
/* One received frame (already parsed). */
void engine_rx(struct engine *e, const struct frame *f);
/* Run every timer due by now; returns the next deadline (0: none). */
uint64_t engine_timers(struct engine *e);

/* --- services for modes --- */
void engine_app_timer(struct engine *e, struct flow *fl, uint32_t ms);
/* The application reads up to n bytes of what is queued. */
void engine_app_read(struct engine *e, struct flow *fl, uint32_t n);
/* The application closes: RST|ACK when data is unread (Linux __tcp_close, RFC 2525 §2.17),
 * FIN otherwise. The flow may be freed: do not touch fl afterwards. */
void engine_app_close(struct engine *e, struct flow *fl);
/* The application aborts (SO_LINGER 0, a crash): RST|ACK, the event why, fl freed. */
void engine_app_abort(struct engine *e, struct flow *fl, enum ev_kind why);
/* The application writes n bytes (echo). */
void engine_app_send(struct engine *e, struct flow *fl, const uint8_t *data, size_t n);
/* The accept-queue counter of (addr, port); NULL when the table is full. */
/* The state mode m made for this engine (mode_ops.init), NULL when it has none. */
void *engine_mode_state(struct engine *e, const struct mode_ops *m);
/* An event about the frame f (its addresses, ports and flags) under rule r. */
struct ev frame_ev(const struct frame *f, const struct rule *r, enum ev_kind k);
/* An event about fl, addresses and mode filled in. */
struct ev flow_ev(const struct flow *fl, enum ev_kind k);
/* Report an event about fl. */
void engine_event(struct engine *e, struct flow *fl, enum ev_kind k, int in_flags,
                  uint32_t in_len, int out_flags);
#endif
