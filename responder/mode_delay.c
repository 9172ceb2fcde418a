/* delay: the SYN-ACK leaves --delay ms after the SYN (case 3: a client that bounded its
 * connect() below that gives up, and its kernel resets our late SYN-ACK). */
#include "engine.h"
#include "mode.h"
#include "mode_open.h"

static struct syn_decision delay_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                        const struct frame *f)
{
    (void)e; (void)f; (void)fl;
    return (struct syn_decision){ SYN_ACCEPT, r->p.delay_ms * 1000u };
}

const struct mode_ops mode_delay = {
    .name = "delay",
    .summary = "SYN-ACK after --delay MS (default 110), then as open; a client RST to it is client-abort",
    .kind = PORT_LISTEN,
    .on_syn = delay_on_syn,
    .on_data = open_on_data,
    .on_peer_fin = open_on_peer_fin,
    .on_app_timer = open_on_app_timer,
};
