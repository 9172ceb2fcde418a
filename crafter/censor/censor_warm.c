/* A rehearsal of the censor's path from trigger to forged reset, on a scratch engine of its
 * own, for a censor that spins (--busy-poll).
 *
 * Why: between two triggers a spinner runs a few dozen instructions of its loop, and every
 * 20 us the kernel's send path (netio_spin_idle), which pushes the engine's code and data
 * out of the core's first-level caches. A trigger then pays for them on the way to its
 * reset. In scripts/bench censor the spinning censor stayed 0.9 us (median of 6 paired
 * rounds) above a bare injector that does nothing but search each frame for the trigger's
 * bytes (tests/tools/floor_injector.c), whose whole path fits in a few cache lines.
 *
 * The rehearsal feeds a handshake and a triggering request through the real
 * censor_input() of a second struct censor with the same triggers and injector. Its flows,
 * counters and random state are its own, its forged frames go nowhere (a send hook that
 * drops them), and it reports no event: nothing of it reaches the wire, the output or the
 * live engine's state. Addresses are from the lab range and never leave this file. */
#include <stdio.h>
#include <string.h>
#include "censor.h"

static void drop_frame(void *user, const uint8_t *frame, size_t len)
{
    (void)user;
    (void)frame;
    (void)len;
}

static size_t build(struct censor_warm *w, uint8_t *buf, bool from_client, uint8_t flags, uint32_t seq,
                    uint32_t ack, const char *data, uint16_t dport)
{
    static const uint8_t cmac[6] = { 2, 0, 0, 0, 0xee, 1 }, smac[6] = { 2, 0, 0, 0, 0xee, 2 };
    const uint32_t cip = 0xc612ff01u, sip = 0xc612ff02u;   /* 198.18.255.1, .2 */
    struct ip4_spec ip = { .saddr = from_client ? cip : sip, .daddr = from_client ? sip : cip, .ttl = 64,
                           .df = true };
    struct tcp_spec t = { .sport = from_client ? 40000 : dport, .dport = from_client ? dport : 40000,
                          .seq = seq, .ack = ack, .flags = flags, .win = 502 };
    size_t dl = data ? strlen(data) : 0;
    return tmpl_tcp4_build(&w->c.tmpl, buf, CENSOR_WARM_FRAME, from_client ? cmac : smac,
                           from_client ? smac : cmac, &ip, &t, (const uint8_t *)data, dl);
}

int censor_warm_init(struct censor_warm *w, const struct censor_opts *o)
{
    memset(w, 0, sizeof *w);
    w->c.o = *o;
    w->c.o.max_flows = 4;
    w->c.o.residual_s = 0;
    w->c.o.quiet = true;
    w->c.o.drop = false;
    w->c.send = drop_frame;
    char err[256];
    if (censor_init(&w->c, err, sizeof err) != 0)
        return -1;
    w->inited = true;
    char req[CENSOR_WARM_FRAME - 120];
    if (o->nhost)
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", o->host[0]);
    else if (o->nkeyword)
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nX: %s\r\n\r\n", o->keyword[0]);
    else
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\n\r\n");
    uint16_t dport = o->nport ? o->port[0] : 80;
    w->len[0] = build(w, w->frame[0], true, TH_SYN, 1000, 0, NULL, dport);
    w->len[1] = build(w, w->frame[1], false, TH_SYN | TH_ACK, 5000, 1001, NULL, dport);
    w->len[2] = build(w, w->frame[2], true, TH_ACK, 1001, 5001, NULL, dport);
    w->len[3] = build(w, w->frame[3], true, TH_PSH | TH_ACK, 1001, 5001, req, dport);
    w->on = w->len[0] && w->len[1] && w->len[2] && w->len[3];
    return w->on ? 0 : -1;
}

void censor_warm_run(struct censor_warm *w, uint64_t now)
{
    if (!w->on)
        return;
    for (size_t i = 0; i < 4; i++) {
        struct frame f;
        pkt_parse(&f, w->frame[i], w->len[i]);
        censor_input(&w->c, &f, now);
    }
}

void censor_warm_free(struct censor_warm *w)
{
    if (w->inited)
        censor_free(&w->c);
    w->inited = w->on = false;
}
