/* unread and after-close: the seed's server. The application reads once, --read bytes,
 * writes --reply if given, then closes. Whether that close is a FIN or an RST is the kernel's rule, applied by
 * app_close: RST when bytes remain unread (case 4). After a FIN, data from the peer
 * meets a closed socket and is reset (case 5). The read happens when the sender pushes
 * (PSH ends a write) or after --read-wait ms of quiet, as a blocked read() would return
 * with what arrived. */
#include "engine.h"
#include "flow.h"
#include "mode.h"
#include "mode_open.h"
#include "reply.h"

static const struct mode_param read_param = {
    .name = "read", .metavar = "BYTES", .unit = "bytes", .lo = 1, .hi = 1u << 30,
    .dflt = 4096, .help = "the application reads BYTES once",
};
static const struct mode_param *const unread_params[] = { &read_param, &unread_param_read_wait, NULL };
static const struct mode_param *const unread_uses[] = { REPLY_PARAMS, NULL };

/* The emulated application's one read, per connection. */
struct unread_flow { bool read_done; };
_Static_assert(sizeof(struct unread_flow) <= MODE_FLOW_BYTES, "unread's flow state must fit");

static void app_read_and_close(struct engine *e, const struct rule *r, struct flow *fl)
{
    struct unread_flow *u = MODE_FLOW(fl, struct unread_flow);
    if (u->read_done)
        return;
    u->read_done = true;
    app_read(e, fl, mode_value(&r->p, &read_param));
    reply_start(e, fl, true);   /* the reply, if any, then the close */
}

static void unread_on_data(struct engine *e, const struct rule *r, struct flow *fl,
                           const uint8_t *data, size_t n, bool psh)
{
    (void)data; (void)n;
    if (MODE_FLOW(fl, struct unread_flow)->read_done)
        return;
    /* a write ends with PSH (tcp_push); until then more of it is on the way, and the
     * emulated read() should see it all, as the kernel's wake-up latency lets it. The
     * quiet timer is armed once, so a sender that never pushes is read within it. */
    if (psh)
        app_read_and_close(e, r, fl);
    else if (fl->timer != TM_APP)
        app_timer(e, fl, mode_value(&r->p, &unread_param_read_wait));
}

static void unread_on_timer(struct engine *e, const struct rule *r, struct flow *fl)
{
    app_read_and_close(e, r, fl);
}

static void unread_on_peer_fin(struct engine *e, const struct rule *r, struct flow *fl)
{
    /* read() would return what is queued, then the application closes */
    app_read_and_close(e, r, fl);
}

const struct mode_ops mode_unread = {
    .name = "unread",
    .summary = "accept, read --read BYTES once, --reply, close: RST|ACK when data remains unread, FIN otherwise",
    .kind = PORT_LISTEN,
    .params = unread_params,
    .uses = unread_uses,
    .on_syn = open_on_syn,
    .on_data = unread_on_data,
    .on_peer_fin = unread_on_peer_fin,
    .on_app_timer = unread_on_timer,
};

const struct mode_ops mode_after_close = {
    .name = "after-close",
    .summary = "accept, read --read BYTES, --reply, close with FIN; data arriving afterwards gets RST",
    .kind = PORT_LISTEN,
    .params = unread_params,
    .uses = unread_uses,
    .on_syn = open_on_syn,
    .on_data = unread_on_data,
    .on_peer_fin = unread_on_peer_fin,
    .on_app_timer = unread_on_timer,
};
