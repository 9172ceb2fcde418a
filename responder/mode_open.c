/* open: a listener whose application reads everything (or echoes it), answers each request
 * with --reply when given, and closes when the peer closes. The callbacks are shared with
 * delay, which is open with a late SYN-ACK. */
#include "engine.h"
#include "mode.h"
#include "mode_open.h"
#include "reply.h"

struct syn_decision open_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                const struct frame *f)
{
    (void)e; (void)r; (void)fl; (void)f;
    return (struct syn_decision){ SYN_ACCEPT, 0 };
}

void open_on_data(struct engine *e, const struct rule *r, struct flow *fl,
                  const uint8_t *data, size_t n, bool psh)
{
    engine_app_read(e, fl, (uint32_t)n);
    if (r->p.echo && data)
        engine_app_send(e, fl, data, n);
    if (!reply_wanted(&r->p.reply))
        return;
    /* a request ends with PSH (the client's write); without it, after --read-wait of quiet.
     * A request read while a reply is under way is answered after it. */
    if (psh || reply_busy(fl))
        reply_start(e, fl, false);
    else
        engine_app_timer(e, fl, r->p.read_wait_ms);
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
    .on_syn = open_on_syn,
    .on_data = open_on_data,
    .on_peer_fin = open_on_peer_fin,
    .on_app_timer = open_on_app_timer,
};
