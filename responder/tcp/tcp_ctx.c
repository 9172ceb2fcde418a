/* The context the TCP core (tcp_in.c, tcp_out.c, reply.c, flow.c) is handed with struct
 * engine, below it: the way out (events through e->hook, which engine_init or a test or
 * the simulator sets), the random numbers, the profile's IPv6 choices, the rule for a
 * segment and each mode's own state. Nothing here calls up into engine.c or a mode. */
#include <string.h>
#include "engine.h"
#include "isn.h"

void *engine_mode_state(struct engine *e, const struct mode_ops *m)
{
    for (int i = 0; i < MODE_MAX; i++)
        if (e->mode_owner[i] == m)
            return e->mode_state[i];
    return NULL;
}

struct ev flow_ev(const struct flow *fl, enum ev_kind k)
{
    struct ev ev = ev_make(k);
    ev.mode = fl->rule ? fl->rule->mode->name : "-";
    ev.src = fl->caddr; ev.sport = fl->cport; ev.dst = fl->saddr; ev.dport = fl->sport;
    ev.v6 = fl->v6;
    if (fl->v6) {
        memcpy(ev.src6, fl->caddr6, 16);
        memcpy(ev.dst6, fl->saddr6, 16);
    }
    return ev;
}

struct ev frame_ev(const struct frame *f, const struct rule *r, enum ev_kind k)
{
    struct ev ev = ev_make(k);
    ev.mode = r->mode->name;
    ev.src = f->saddr; ev.sport = f->sport; ev.dst = f->daddr; ev.dport = f->dport;
    ev.v6 = f->l3 == L3_IPV6;
    if (ev.v6) {
        memcpy(ev.src6, f->saddr6, 16);
        memcpy(ev.dst6, f->daddr6, 16);
    }
    ev.in_flags = f->flags; ev.in_len = (uint32_t)f->payload_len;
    return ev;
}

uint32_t engine_rand(struct engine *e)
{
    e->rng ^= e->rng << 13; e->rng ^= e->rng >> 7; e->rng ^= e->rng << 17;
    return (uint32_t)(e->rng >> 16);
}

uint8_t engine_hlim(const struct engine *e)
{
    return e->prof->hlim ? e->prof->hlim : e->prof->ttl;
}

uint32_t engine_label(struct engine *e, enum fl6_policy p, const struct frame *f)
{
    switch (p) {
    case FL6_ZERO:
        return 0;
    case FL6_HASH:
        /* the answer's direction: our address and port first, as for the ISN */
        return (uint32_t)siphash24_4tuple(e->isn_key, frame_dst32(f), frame_src32(f), f->dport,
                                          f->sport, 0x666c) & 0xfffff;
    case FL6_RANDOM:
        break;
    }
    return engine_rand(e) & 0xfffff;
}

const struct rule *engine_rule_for(const struct engine *e, const struct frame *f)
{
    return f->l3 == L3_IPV6 ? ruleset_match6(e->rules, f->daddr6, f->dport)
                            : ruleset_match(e->rules, f->daddr, f->dport);
}

void tcp_event(struct engine *e, struct flow *fl, enum ev_kind k, int in_flags,
               uint32_t in_len, int out_flags)
{
    struct ev ev = flow_ev(fl, k);
    ev.in_flags = in_flags; ev.in_len = in_len; ev.out_flags = out_flags;
    e->hook.event(e, &ev);
}
