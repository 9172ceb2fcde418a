/* Engine glue: set-up, frame dispatch and timers, above the TCP core (tcp_in.c, tcp_out.c,
 * reply.c, flow.c, tcp_ctx.c), which it calls and which reaches it only through e->hook. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "arp.h"
#include "icmp_answer.h"
#include "icmp6_answer.h"
#include "isn.h"
#include "engine.h"
#include "mode.h"
#include "nd.h"
#include "reply.h"
#include "tcp_in.h"

uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int send_wire(void *ctx, const uint8_t *frame, size_t len)
{
    return netio_send(ctx, frame, len);
}

void engine_send(struct engine *e, const uint8_t *frame, size_t len)
{
    if (e->send(e->send_ctx, frame, len) == 0)
        e->tx_frames++;
}

/* The TCP core's events: to the event stream. */
static void emit_event(struct engine *e, const struct ev *ev)
{
    ev_emit(&e->ev, ev);
}

int engine_init(struct engine *e, const struct ruleset *rules, const struct profile *prof,
                const struct profile_answers *ans, const struct addrset *addrs, struct netio *nio, const uint8_t mac[6],
                uint32_t max_flows, char *err)
{
    memset(e, 0, sizeof *e);
    e->rules = rules;
    e->prof = prof;
    e->addrs = addrs;
    e->nio = nio;
    e->send = send_wire;
    e->send_ctx = nio;
    e->hook.frame = engine_send;
    e->hook.event = emit_event;
    memcpy(e->mac, mac, 6);
    if (getrandom(e->isn_key, sizeof e->isn_key, 0) != (ssize_t)sizeof e->isn_key ||
        getrandom(&e->rng, sizeof e->rng, 0) != (ssize_t)sizeof e->rng) {
        e->isn_key[0] = mono_us() * 0x9e3779b97f4a7c15ULL;
        e->rng = e->isn_key[0] ^ 0x5851f42d4c957f2dULL;
    }
    e->rng |= 1;
    gen_state_init(&e->gen, e->rng ^ e->isn_key[1]);
    if (!ans) {
        profile_answers_default(prof, &e->own);
        ans = &e->own;
    }
    e->ans = ans;
    if (tmpl_tcp4_init(&e->tmpl, mac, mac, err) != 0 || tmpl_tcp6_init(&e->tmpl6, mac, mac, err) != 0)
        return -1;
    if (flowtab_init(&e->ft, max_flows) != 0) {
        snprintf(err, NETIO_ERRLEN, "%s", "cannot reserve the flow table (--max-flows too large for this machine)");
        return -1;
    }
    const struct mode_ops *const *m = mode_all();
    for (int i = 0; m[i]; i++) {
        e->mode_owner[i] = m[i];
        if (m[i]->init && !(e->mode_state[i] = m[i]->init())) {
            snprintf(err, NETIO_ERRLEN, "out of memory for the %s mode's state", m[i]->name);
            engine_free(e);
            return -1;
        }
    }
    e->now_us = mono_us();
    return 0;
}

void engine_free(struct engine *e)
{
    const struct mode_ops *const *m = mode_all();
    for (int i = 0; m[i]; i++)
        if (m[i]->close && e->mode_state[i]) {
            m[i]->close(e->mode_state[i]);
            e->mode_state[i] = NULL;
        }
    flowtab_free(&e->ft);
}

static bool answerable_source(const struct frame *f)
{
    /* RFC 1122 4.2.3.10: never answer a segment from a broadcast or multicast address;
     * IPv6 (RFC 4443 §2.4 e, RFC 9293 §3.10.7.1): nor from :: or a multicast one */
    static const uint8_t unspec6[16];
    if (f->l3 == L3_IPV6) {
        if (f->saddr6[0] == 0xff || memcmp(f->saddr6, unspec6, 16) == 0)
            return false;
    } else {
        uint32_t s = f->saddr;
        if (s == 0 || s == 0xffffffffu || (s >> 28) == 0xe)
            return false;
    }
    return !(f->eth_src[0] & 1);
}

static bool ours(const struct engine *e, const struct frame *f)
{
    if (f->l3 == L3_IPV6)
        return addrset_has6(e->addrs, f->daddr6);
    return f->l3 == L3_IPV4 && addrset_has(e->addrs, f->daddr);
}

/* A Neighbor Solicitation for one of our addresses: the advertisement. Others are not
 * ours to answer (and unicast ones for us arrive at our MAC, multicast ones at the
 * solicited-node group's). */
static bool nd_input(struct engine *e, const struct frame *f)
{
    if (f->err != PKT_OK || f->l3 != L3_IPV6 || f->l4 != L4_ICMP6 || f->icmp_type != ND_NS)
        return false;
    uint8_t out[128];
    size_t n = nd_answer(f, e->addrs, e->mac, out, sizeof out);
    if (n)
        engine_send(e, out, n);
    else
        e->rx_ignored++;
    return true;
}

static void icmp_input(struct engine *e, const struct frame *f);

void engine_rx(struct engine *e, const struct frame *f)
{
    e->rx_frames++;
    if (f->vlan != 0) {
        /* tagged for a VLAN: the kernel hands such a frame only to a VLAN device of that
         * ID (vlan_do_receive) and drops it on the bare interface; so does this host. A
         * priority tag (ID 0) is taken as untagged, as there. */
        e->rx_ignored++;
        return;
    }
    if (f->l3 == L3_ARP && f->err == PKT_OK) {
        uint8_t out[64];
        size_t n = arp_answer(f, e->addrs, e->mac, out, sizeof out);
        if (n)
            engine_send(e, out, n);
        return;
    }
    if (nd_input(e, f))
        return;
    struct frame cut;
    if (f->err == PKT_E_TRUNC_L3 && f->l4 == L4_TCP &&
        f->ip_totlen >= (size_t)f->ip_hlen + f->doff) {
        /* captured short of its IP length (a GRO frame beyond the snaplen): the headers
         * are whole, so the sequence space is the IP header's; the data itself is not
         * here and no mode may read it */
        cut = *f;
        cut.err = PKT_OK;
        cut.payload_len = (size_t)f->ip_totlen - f->ip_hlen - f->doff;
        cut.payload = NULL;
        f = &cut;
    }
    if (f->err != PKT_OK) {
        e->rx_malformed++;
        return;
    }
    if (memcmp(f->eth_dst, e->mac, 6) != 0 || !ours(e, f) || !answerable_source(f)) {
        e->rx_ignored++;
        return;
    }
    switch (f->l4) {
    case L4_TCP:
        tcp_input(e, f);
        return;
    case L4_ICMP:
    case L4_ICMP6:
    case L4_UDP:
        icmp_input(e, f);
        return;
    default:
        e->rx_ignored++;
        return;
    }
}

/* A host that is up answers ping, and a UDP datagram to a port nobody listens on draws
 * port unreachable (the profile says how each is formed, or that it is not). A UDP port
 * whose rule is firewalled stays silent like its TCP twin. */
static void icmp_input(struct engine *e, const struct frame *f)
{
    const struct profile_answers *a = e->ans;
    bool v6 = f->l3 == L3_IPV6;
    if (v6 ? !icmp6_may_answer(f) : !icmp_may_answer(f))
        return;
    bool udp = f->l4 == L4_UDP;
    if (udp ? !a->u1.respond : !a->ie.respond)
        return;
    if (udp && engine_rule_for(e, f)->mode->kind == PORT_FILTERED)
        return;
    if (v6) {
        /* the personality's answers are IPv4's (nmap-os-db); over IPv6 the profile's */
        uint32_t label = engine_label(e, e->prof->fl6_stateless, f);
        size_t n = udp ? icmp6_port_unreach(e->txbuf, sizeof e->txbuf, e->mac, f, engine_hlim(e), label)
                       : icmp6_echo_reply(e->txbuf, sizeof e->txbuf, e->mac, f, engine_hlim(e), label);
        if (n)
            engine_send(e, e->txbuf, n);
        return;
    }
    /* draw the IP ID only for an answer that goes out */
    struct gen_state saved = e->gen;
    uint16_t id = ipidgen_next(&a->ipid_icmp, &e->gen, NULL, e->now_us);
    size_t n = udp ? icmp_port_unreach(e->txbuf, sizeof e->txbuf, e->mac, f, &a->u1, id)
                   : icmp_echo_reply(e->txbuf, sizeof e->txbuf, e->mac, f, &a->ie, id);
    if (n)
        engine_send(e, e->txbuf, n);
    else
        e->gen = saved;
}

static void synack_timer(struct engine *e, struct flow *fl)
{
    const struct profile *p = e->prof;
    if (fl->state == ST_SYN_PENDING) {
        /* the delayed SYN-ACK: its timer was the SYN's arrival plus the delay */
        tcp_synack_first(e, fl);
        return;
    }
    if (fl->state != ST_SYN_RCVD)
        return;
    /* Under a SYN flood Linux answers with syncookies, and a cookie SYN-ACK is never sent
     * again (tcp_syncookies; reqsk_timer_handler prunes what state remains). With more than
     * half the table taken, do the same: one SYN-ACK per SYN, so that the answering keeps
     * pace with the flood and a real client's SYN still gets through. The way back is at a
     * quarter: without one, the table hovers at half full with every flow below the line
     * retransmitting (measured at 400k SYN/s: 13% more frames sent than SYNs taken). */
    if ((uint64_t)e->ft.used * 2 > e->ft.max)
        e->syn_flood = true;
    else if ((uint64_t)e->ft.used * 4 < e->ft.max)
        e->syn_flood = false;
    unsigned max_rtx = e->syn_flood ? 0 : p->synack_retries;
    if (fl->rtx >= max_rtx) {
        tcp_event(e, fl, EV_SYNACK_TIMEOUT, -1, 0, -1);
        flow_release(e, fl);
        return;
    }
    fl->rtx++;
    tcp_synack_again(e, fl, -1);
    /* Linux reqsk_timer_handler: the timeout doubles with each retransmission */
    timer_arm(&e->ft, fl, TM_SYNACK, e->now_us + ((uint64_t)p->synack_rto_ms * 1000 << fl->rtx));
}

uint64_t engine_timers(struct engine *e)
{
    e->now_us = mono_us();
    struct flow *fl;
    while ((fl = timer_peek(&e->ft)) && fl->deadline_us <= e->now_us) {
        enum timer_kind k = (enum timer_kind)fl->timer;
        timer_cancel(&e->ft, fl);
        switch (k) {
        case TM_SYNACK: synack_timer(e, fl); break;
        case TM_APP:
            if (fl->rule->mode->on_app_timer)
                fl->rule->mode->on_app_timer(e, fl->rule, fl);
            break;
        case TM_REPLY: reply_timer(e, fl); break;
        case TM_LINGER: flow_release(e, fl); break;
        case TM_NONE: break;
        }
    }
    fl = timer_peek(&e->ft);
    return fl ? fl->deadline_us : 0;
}

_Static_assert(sizeof(((struct flow *)0)->mode_flow) == MODE_FLOW_BYTES, "mode.h and flow.h disagree");

