/* open: a listener whose application reads everything (or echoes it), answers each request
 * with --reply when given, and closes when the peer closes. The callbacks are shared with
 * delay, which is open with a late SYN-ACK. */
#include <stdio.h>
#include "engine.h"
#include "mode.h"
#include "mode_open.h"
#include "reply.h"

static int echo_finish(struct mode_params *p, char *err, size_t errlen)
{
    if (mode_value(p, &open_param_echo) && p->reply.kind != REPLY_NONE) {
        /* both are what the application writes: one stream, one source */
        snprintf(err, errlen, "echo and reply both write to the client: give one");
        return -1;
    }
    return 0;
}

const struct mode_param open_param_echo = {
    .name = "echo", .help = "echo received data back", .finish = echo_finish,
};

/* unread's (its table declares it); defined here, below unread, as open reads it too */
const struct mode_param unread_param_read_wait = {
    .name = "read-wait", .metavar = "MS", .unit = "milliseconds", .lo = 0, .hi = 600000,
    .dflt = 20, .help = "read once data has been quiet for MS without PSH",
};
static const struct mode_param *const open_params[] = { &open_param_echo, NULL };
static const struct mode_param *const open_uses[] = { &unread_param_read_wait, REPLY_PARAMS, NULL };

struct syn_decision open_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                const struct frame *f)
{
    (void)e; (void)r; (void)fl; (void)f;
    return (struct syn_decision){ SYN_ACCEPT, 0 };
}

void open_on_data(struct engine *e, const struct rule *r, struct flow *fl,
                  const uint8_t *data, size_t n, bool psh)
{
    app_read(e, fl, (uint32_t)n);
    if (open_reads_payload(r) && data)
        app_send(e, fl, data, n);
    if (!reply_wanted(&r->p.reply))
        return;
    /* a request ends with PSH (the client's write); without it, after --read-wait of quiet.
     * A request read while a reply is under way is answered after it. */
    if (psh || reply_busy(fl))
        reply_start(e, fl, false);
    else
        app_timer(e, fl, mode_value(&r->p, &unread_param_read_wait));
}

bool open_reads_payload(const struct rule *r)
{
    return mode_value(&r->p, &open_param_echo) != 0;
}

void open_on_app_timer(struct engine *e, const struct rule *r, struct flow *fl)
{
    (void)r;
    reply_start(e, fl, false);
}

void open_on_peer_fin(struct engine *e, const struct rule *r, struct flow *fl)
{
    (void)r;
    reply_close(e, fl);   /* read() returned 0: the application closes too, its reply written */
}

const struct mode_ops mode_open = {
    .name = "open",
    .summary = "full handshake, data ACKed (discarded, or echoed with --echo), --reply to each request, FIN when the peer closes",
    .kind = PORT_LISTEN,
    .params = open_params,
    .uses = open_uses,
    .on_syn = open_on_syn,
    .on_data = open_on_data,
    .on_peer_fin = open_on_peer_fin,
    .on_app_timer = open_on_app_timer,
    .reads_payload = open_reads_payload,
};
