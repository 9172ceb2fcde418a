/* backlog: an accept queue of --backlog N that the application never drains (case 6).
 * SYNs beyond it are dropped silently; with --abort-on-overflow the SYN-ACK goes out and
 * the final ACK is answered with RST, as tcp_abort_on_overflow=1 does (tcp_check_req).
 * Note: Linux itself already drops a SYN when the queue is full at SYN time; answering it
 * here is what makes the abort path reachable with one client at a time. */
#include "engine.h"
#include "mode.h"

static enum syn_verdict backlog_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                       const struct frame *f)
{
    (void)f;
    uint32_t *q = engine_listenq(e, fl->saddr, fl->sport);
    if (q && *q < r->p.backlog)
        return SYN_ACCEPT;
    if (r->p.abort_on_overflow) {
        fl->doomed = true;
        return SYN_ACCEPT;
    }
    engine_event(e, fl, EV_SYN_DROPPED_BACKLOG, f->flags, 0, -1);
    return SYN_DROP;
}

static bool backlog_on_established(struct engine *e, const struct rule *r, struct flow *fl)
{
    uint32_t *q = engine_listenq(e, fl->saddr, fl->sport);
    if (!q || *q >= r->p.backlog)
        return false;
    (*q)++;
    fl->holds_slot = true;
    return true;
}

static void backlog_on_release(struct engine *e, const struct rule *r, struct flow *fl)
{
    (void)r;
    uint32_t *q = fl->holds_slot ? engine_listenq(e, fl->saddr, fl->sport) : NULL;
    if (q && *q)
        (*q)--;
}

const struct mode_ops mode_backlog = {
    .name = "backlog",
    .summary = "accept queue of --backlog N never drained: further SYNs dropped (or reset with --abort-on-overflow)",
    .kind = PORT_LISTEN,
    .on_syn = backlog_on_syn,
    .on_established = backlog_on_established,
    .on_release = backlog_on_release,
};
