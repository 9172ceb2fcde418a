/* delay: the SYN-ACK leaves --delay ms after the SYN (case 3: a client that bounded its
 * connect() below that gives up, and its kernel resets our late SYN-ACK). */
#include "engine.h"
#include "mode.h"
#include "mode_open.h"

static const struct mode_param delay_param = {
    .name = "delay", .metavar = "MS", .unit = "milliseconds", .lo = 0, .hi = 600000,
    /* the seed's number: a 110 ms SYN-ACK against a client that waits 100 ms */
    .dflt = 110, .help = "SYN-ACK after MS milliseconds",
};
static const struct mode_param *const delay_params[] = { &delay_param, NULL };
static const struct mode_param *const delay_uses[] = {
    &open_param_echo, &unread_param_read_wait, REPLY_PARAMS, NULL,
};

static uint32_t delay_ms(const struct rule *r) { return mode_value(&r->p, &delay_param); }

static struct syn_decision delay_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                        const struct frame *f)
{
    (void)e; (void)f; (void)fl;
    return (struct syn_decision){ SYN_ACCEPT, delay_ms(r) * 1000u };
}

const struct mode_ops mode_delay = {
    .name = "delay",
    .summary = "SYN-ACK after --delay MS (default 110), then as open; a client RST to it is client-abort",
    .kind = PORT_LISTEN,
    .params = delay_params,
    .uses = delay_uses,
    .on_syn = delay_on_syn,
    .on_data = open_on_data,
    .on_peer_fin = open_on_peer_fin,
    .on_app_timer = open_on_app_timer,
    .reads_payload = open_reads_payload,
};
