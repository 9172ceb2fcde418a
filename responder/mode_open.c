/* open: a listener whose application reads everything (or echoes it) and closes when the
 * peer closes. The callbacks are shared with delay, which is open with a late SYN-ACK. */
#include "engine.h"
#include "mode.h"
#include "mode_open.h"

enum syn_verdict open_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                             const struct frame *f)
{
    (void)e; (void)r; (void)fl; (void)f;
    return SYN_ACCEPT;
}

void open_on_data(struct engine *e, const struct rule *r, struct flow *fl,
                  const uint8_t *data, size_t n, bool psh)
{
    (void)psh;
    engine_app_read(e, fl, (uint32_t)n);
    if (r->p.echo && data)
        engine_app_send(e, fl, data, n);
}

void open_on_peer_fin(struct engine *e, const struct rule *r, struct flow *fl)
{
    (void)r;
    engine_app_close(e, fl);   /* read() returned 0: the application closes too */
}

const struct mode_ops mode_open = {
    .name = "open",
    .summary = "full handshake, data ACKed (discarded, or echoed with --echo), FIN when the peer closes",
    .kind = PORT_LISTEN,
    .on_syn = open_on_syn,
    .on_data = open_on_data,
    .on_peer_fin = open_on_peer_fin,
};
