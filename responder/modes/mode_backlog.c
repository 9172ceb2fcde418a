/* backlog: an accept queue of --backlog N that the application never drains (case 6).
 * SYNs beyond it are dropped silently; with --abort-on-overflow the SYN-ACK goes out and
 * the final ACK is answered with RST, as tcp_abort_on_overflow=1 does (tcp_check_req).
 * Note: Linux itself already drops a SYN when the queue is full at SYN time; answering it
 * here is what makes the abort path reachable with one client at a time.
 * The mode owns its state: the accept-queue counters of each listener (per engine) and,
 * per connection, whether it holds a place in one and whether its final ACK is doomed. */
#include <stdlib.h>
#include "engine.h"
#include "mode.h"

extern const struct mode_ops mode_backlog;

static const struct mode_param backlog_param = {
    .name = "backlog", .metavar = "N", .unit = "a queue length", .lo = 1, .hi = 65535,
    .dflt = 128, .help = "accept queue size",
};
static const struct mode_param abort_param = {
    .name = "abort-on-overflow", .help = "reset the final ACK instead of dropping the SYN",
};
static const struct mode_param *const backlog_params[] = { &backlog_param, &abort_param, NULL };

#define LISTENQ_SLOTS 4096   /* listeners counted at once: (address, port) pairs */

struct listenq {
    uint32_t addr;
    uint16_t port;
    uint16_t used;            /* 0: empty slot */
    uint32_t count;
};

struct backlog_flow {
    bool holds_slot;          /* counted in its listener's queue */
    bool doomed;              /* overflow with abort-on-overflow: the final ACK gets RST */
};
_Static_assert(sizeof(struct backlog_flow) <= MODE_FLOW_BYTES, "backlog's flow state must fit");

static void *backlog_init(void)
{
    return calloc(LISTENQ_SLOTS, sizeof(struct listenq));
}

static void backlog_close(void *state)
{
    free(state);
}

/* The queue length of the listener (addr, port), made on first use; NULL when full. */
static uint32_t *listenq(struct engine *e, uint32_t addr, uint16_t port)
{
    struct listenq *lq = engine_mode_state(e, &mode_backlog);
    uint32_t h = (addr * 2654435761u ^ port * 40503u) & (LISTENQ_SLOTS - 1);
    for (uint32_t i = 0; lq && i < LISTENQ_SLOTS; i++) {
        struct listenq *q = &lq[(h + i) & (LISTENQ_SLOTS - 1)];
        if (!q->used) {
            q->used = 1;
            q->addr = addr;
            q->port = port;
            return &q->count;
        }
        if (q->addr == addr && q->port == port)
            return &q->count;
    }
    return NULL;
}

static struct syn_decision backlog_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                          const struct frame *f)
{
    uint32_t *q = listenq(e, fl->saddr, fl->sport);
    if (q && *q < mode_value(&r->p, &backlog_param))
        return (struct syn_decision){ SYN_ACCEPT, 0 };
    if (mode_value(&r->p, &abort_param)) {
        MODE_FLOW(fl, struct backlog_flow)->doomed = true;
        return (struct syn_decision){ SYN_ACCEPT, 0 };
    }
    tcp_event(e, fl, EV_SYN_DROPPED_BACKLOG, f->flags, 0, -1);
    return (struct syn_decision){ SYN_DROP, 0 };
}

static bool backlog_on_established(struct engine *e, const struct rule *r, struct flow *fl)
{
    struct backlog_flow *b = MODE_FLOW(fl, struct backlog_flow);
    uint32_t *q = listenq(e, fl->saddr, fl->sport);
    if (b->doomed || !q || *q >= mode_value(&r->p, &backlog_param))
        return false;
    (*q)++;
    b->holds_slot = true;
    return true;
}

static void backlog_on_release(struct engine *e, const struct rule *r, struct flow *fl)
{
    (void)r;
    uint32_t *q = MODE_FLOW(fl, struct backlog_flow)->holds_slot ? listenq(e, fl->saddr, fl->sport) : NULL;
    if (q && *q)
        (*q)--;
}

const struct mode_ops mode_backlog = {
    .name = "backlog",
    .summary = "accept queue of --backlog N never drained: further SYNs dropped (or reset with --abort-on-overflow)",
    .kind = PORT_LISTEN,
    .params = backlog_params,
    .init = backlog_init,
    .close = backlog_close,
    .on_syn = backlog_on_syn,
    .on_established = backlog_on_established,
    .on_release = backlog_on_release,
};
