/* The responder engine: set-up, dispatch and timers (engine.c) over the TCP core it hands
 * this struct to, with the core's context (tcp_ctx.c). */
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


struct engine;
/* The TCP core's way out (tcp_in.c, tcp_out.c, reply.c): it decides, and hands each frame
 * and event to these. engine_init points them at the wire (through send below) and the
 * event stream; a test or a simulator may point them at its own. */
struct tcp_hooks {
    void (*frame)(struct engine *e, const uint8_t *frame, size_t len);
    void (*event)(struct engine *e, const struct ev *ev);
};

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
    struct tcp_hooks hook;
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
    void     *mode_state[MODE_MAX];   /* each mode's own (mode_ops.init), beside its mode */
    const struct mode_ops *mode_owner[MODE_MAX];
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
/* --- the context the TCP core is handed (tcp_ctx.c) --- */
/* A random number from the engine's generator (xorshift). */
uint32_t engine_rand(struct engine *e);
/* The IPv6 hop limit the profile sends with. */
uint8_t engine_hlim(const struct engine *e);
/* An IPv6 flow label under policy p; f's addresses and ports key FL6_HASH. */
uint32_t engine_label(struct engine *e, enum fl6_policy p, const struct frame *f);
/* The rule for f's destination address and port. */
const struct rule *engine_rule_for(const struct engine *e, const struct frame *f);
/* ans NULL: the answers a bare profile implies (profile_answers_default). */
int  engine_init(struct engine *e, const struct ruleset *rules, const struct profile *prof,
                 const struct profile_answers *ans, const struct addrset *addrs, struct netio *nio, const uint8_t mac[6],
                 uint32_t max_flows, char *err);
void engine_free(struct engine *e);
/* Send one frame through e->send (counted in tx_frames): engine_init's e->hook.frame. */
void engine_send(struct engine *e, const uint8_t *frame, size_t len);
/* One received frame (already parsed). */
void engine_rx(struct engine *e, const struct frame *f);
/* Run every timer due by now; returns the next deadline (0: none). */
uint64_t engine_timers(struct engine *e);

/* The state mode m made for this engine (mode_ops.init), NULL when it has none. */
void *engine_mode_state(struct engine *e, const struct mode_ops *m);
/* An event about the frame f (its addresses, ports and flags) under rule r. */
struct ev frame_ev(const struct frame *f, const struct rule *r, enum ev_kind k);
/* An event about fl, addresses and mode filled in. */
struct ev flow_ev(const struct flow *fl, enum ev_kind k);
/* Report an event about fl, through e->hook.event. */
void tcp_event(struct engine *e, struct flow *fl, enum ev_kind k, int in_flags,
               uint32_t in_len, int out_flags);
#endif
