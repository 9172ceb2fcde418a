/* The censor's decisions, one captured segment at a time. It keeps what each end has
 * sent (the tracking model chosen by --tcb), inspects the client's first bytes, and when a
 * trigger matches forges the injector's resets at the sequence numbers each end accepts:
 * to the client, seq = the ack of the trigger segment (its RCV.NXT); to the server,
 * seq = the end of the trigger segment (the server's RCV.NXT once it arrived, which it has:
 * the censor sees a copy of a segment that was already passed on). Frames leave through
 * c->send and what happened through c->event: the live command and the unit tests are two
 * drivers of this one engine. */
#include <string.h>
#include "censor.h"
#include "addrset.h"
#include "csum.h"

#define IDLE_NS (120ull * 1000000000ull)   /* a flow silent this long is forgotten */

int censor_init(struct censor *c, char *err, size_t errlen)
{
    uint16_t bufs = c->o.max_flows < 4096 ? (uint16_t)c->o.max_flows : 4096;
    if (ctable_init(&c->t, c->o.max_flows, bufs ? bufs : 1) != 0) {
        snprintf(err, errlen, "out of memory for %u flows", c->o.max_flows);
        return -1;
    }
    static const uint8_t z[6];
    char e2[256];
    if (tmpl_tcp4_init(&c->tmpl, z, z, e2) != 0) {
        snprintf(err, errlen, "%s", e2);
        ctable_free(&c->t);
        return -1;
    }
    c->rng.s = c->o.seed ? c->o.seed : 0x5eed5eed1234abcdull;
    return 0;
}

void censor_free(struct censor *c)
{
    ctable_free(&c->t);
    residual_free(&c->res);
}

void censor_tick(struct censor *c, uint64_t now_ns)
{
    ctable_expire(&c->t, now_ns, IDLE_NS);
}

/* The sequence number after segment seg (a FIN takes one). */
static uint32_t seg_end(const struct frame *seg)
{
    return seg->seq + (uint32_t)seg->payload_len + ((seg->flags & TH_FIN) ? 1u : 0u);
}

static unsigned draw(struct censor *c, unsigned lo, unsigned hi)
{
    return lo + (hi > lo ? forge_rand(&c->rng) % (hi - lo + 1) : 0);
}

/* One burst of the injector's resets to one end. Returns frames sent. */
static unsigned burst(struct censor *c, const struct cflow *f, bool to_client, uint32_t seq, uint32_t ack,
                      bool force_ack)
{
    struct injector inj = *c->o.inj;
    if (force_ack)
        inj.flags |= TH_ACK;     /* an RST answering a SYN must ACK it to be believed */
    unsigned n = c->o.count ? c->o.count : inj.count;
    uint8_t ttl = (uint8_t)draw(c, inj.ttl_lo, inj.ttl_hi);
    uint16_t id = (uint16_t)draw(c, inj.id_lo, inj.id_hi);
    uint8_t frame[FRAME_MAX];
    for (unsigned k = 0; k < n; k++) {
        if (k && !inj.identical) {
            ttl = (uint8_t)draw(c, inj.ttl_lo, inj.ttl_hi);
            id = (uint16_t)draw(c, inj.id_lo, inj.id_hi);
        }
        size_t len = forge_reset(&inj, &c->tmpl, frame, sizeof frame, f, to_client, k, seq, ack, ttl, id);
        if (len) {
            c->send(c->user, frame, len);
            c->st.forged++;
        }
    }
    return n;
}

static bool wants_client(const struct censor *c)
{
    return c->o.to != TO_SERVER;
}

static bool wants_server(const struct censor *c)
{
    return c->o.to != TO_CLIENT && !c->o.inj->client_only;
}

static uint64_t residual_s(const struct censor *c)
{
    return c->o.residual_s >= 0 ? (uint64_t)c->o.residual_s : c->o.inj->residual_s;
}

static void emit(struct censor *c, enum censor_ev_kind kind, uint64_t now, const struct cflow *f,
                 const char *trigger, const char *match, unsigned tc, unsigned ts, uint64_t until)
{
    struct censor_event ev = { kind, now, f, trigger, match, tc, ts, until };
    if (c->event)
        c->event(c->user, &ev);
}

/* A trigger matched on client segment seg of flow f. */
static void fire(struct censor *c, struct cflow *f, const struct frame *seg, const char *trigger,
                 const char *match, uint64_t now)
{
    uint32_t end = seg_end(seg);
    unsigned tc = 0, ts = 0;
    if (wants_client(c))
        tc = burst(c, f, true, seg->ack, end, false);
    if (wants_server(c))
        ts = burst(c, f, false, end, seg->ack, false);
    uint64_t until = 0;
    if (residual_s(c)) {
        until = now + residual_s(c) * 1000000000ull;
        residual_add(&c->res, &f->c.ip, &f->s.ip, f->s.port, until);
    }
    c->st.triggers++;
    f->verdict = true;
    f->state = CF_DONE;
    cflow_buf_release(&c->t, f);
    emit(c, CEV_TRIGGER, now, f, trigger, match, tc, ts, until);
}

/* At the client's SYN: a port or destination rule, or (until != 0) a residual block. The
 * client gets RST|ACK acking its SYN (connect() fails with ECONNREFUSED); the server, still
 * owed nothing, gets its reset when its SYN-ACK passes. */
static void block_at_syn(struct censor *c, struct cflow *f, const char *trigger, const char *match,
                         uint64_t now, uint64_t until)
{
    unsigned tc = 0;
    bool residual = until != 0, synack_mode = residual && c->o.residual_mode == RES_SYNACK;
    if (synack_mode) {
        uint8_t frame[FRAME_MAX];
        size_t len = forge_synack(c->o.inj, &c->tmpl, frame, sizeof frame, f, forge_rand(&c->rng),
                                  (uint8_t)draw(c, c->o.inj->ttl_lo, c->o.inj->ttl_hi),
                                  (uint16_t)draw(c, c->o.inj->id_lo, c->o.inj->id_hi));
        if (len) {
            c->send(c->user, frame, len);
            c->st.forged++;
            tc = 1;
        }
    } else if (wants_client(c)) {
        tc = burst(c, f, true, 0, f->isn + 1, true);
    }
    f->syn_blocked = !synack_mode;
    f->verdict = true;
    f->state = CF_DONE;
    if (residual)
        c->st.residual_hits++;
    else
        c->st.triggers++;
    emit(c, residual ? CEV_RESIDUAL : CEV_TRIGGER, now, f, trigger, match, tc, 0, until);
}

static bool host_matches(const char *name, const char *rule)
{
    size_t n = strlen(name), r = strlen(rule);
    if (n == r)
        return strcasecmp(name, rule) == 0;
    /* a subdomain of the rule: x.blocked.test for blocked.test */
    return n > r && name[n - r - 1] == '.' && strcasecmp(name + n - r, rule) == 0;
}

/* A name the stream parser returned (r) against the rules of one trigger: fires on a
 * match; *pending when the parser needs more bytes. Returns true when it fired. */
static bool name_trigger(struct censor *c, struct cflow *f, const struct frame *seg, uint64_t now,
                         enum sniff_result r, const char *name, const char *const *rules, size_t nrules,
                         const char *trigger, bool final, bool *pending)
{
    if (r == SNIFF_MORE && !final)
        *pending = true;
    if (r != SNIFF_FOUND)
        return false;
    for (size_t i = 0; i < nrules; i++)
        if (host_matches(name, rules[i])) {
            fire(c, f, seg, trigger, name, now);
            return true;
        }
    return false;
}

/* Inspect the client's bytes so far (buf, len). Returns true when done (fired or cleared). */
static bool inspect(struct censor *c, struct cflow *f, const uint8_t *buf, size_t len, bool final,
                    const struct frame *seg, uint64_t now)
{
    for (size_t i = 0; i < c->o.nkeyword; i++)
        if (memmem(buf, len, c->o.keyword[i], strlen(c->o.keyword[i]))) {
            fire(c, f, seg, "keyword", c->o.keyword[i], now);
            return true;
        }
    bool pending = c->o.nkeyword && !final;
    char name[SNIFF_NAME_MAX];
    if (c->o.nhost && name_trigger(c, f, seg, now, http_host(buf, len, name), name, c->o.host,
                                   c->o.nhost, "host", final, &pending))
        return true;
    if (c->o.nsni) {
        enum sniff_result r = tls_sni(buf, len, name);
        if (name_trigger(c, f, seg, now, r, name, c->o.sni, c->o.nsni, "sni", final, &pending))
            return true;
        if (r == SNIFF_NOT && len && buf[0] == 22) {
            /* it starts like TLS but cannot be read: no injection, counted */
            c->st.unparsed++;
            emit(c, CEV_UNPARSED, now, f, "sni", "unparseable ClientHello", 0, 0, 0);
        }
    }
    return !pending;
}

/* Bits [from, from + n) of map set. */
static void map_set(uint8_t *map, size_t from, size_t n)
{
    size_t end = from + n;
    for (; from < end && from % 8; from++)
        map[from / 8] |= (uint8_t)(1u << (from % 8));
    if (end - from >= 8) {
        memset(map + from / 8, 0xff, (end - from) / 8);
        from += (end - from) / 8 * 8;
    }
    for (; from < end; from++)
        map[from / 8] |= (uint8_t)(1u << (from % 8));
}

/* Client data into the reassembly buffer at its stream offset (below CENSOR_BUF); returns
 * the contiguous prefix length. */
static size_t reassemble(struct cflow *f, uint8_t *buf, const struct frame *seg)
{
    uint8_t *map = buf + CENSOR_BUF;
    uint32_t off = seg->seq - (f->isn + 1);
    size_t n = seg->payload_len < CENSOR_BUF - off ? seg->payload_len : CENSOR_BUF - off;
    memcpy(buf + off, seg->payload, n);
    map_set(map, off, n);
    size_t have = f->have;
    while (have < CENSOR_BUF) {
        if (have % 8 == 0 && map[have / 8] == 0xff)
            have += 8;
        else if (map[have / 8] & (1u << (have % 8)))
            have++;
        else
            break;
    }
    return have;
}

/* What an end has sent: SND.NXT moves with in-order or overlapping segments. */
static void advance(struct cside *s, const struct frame *seg)
{
    uint32_t end = seg_end(seg);
    if (seq_le(seg->seq, s->nxt) && seq_gt(end, s->nxt))
        s->nxt = end;
}

static void client_data(struct censor *c, struct cflow *f, const struct frame *seg, uint64_t now)
{
    if (f->verdict || !seg->payload_len)
        return;
    uint32_t off = seg->seq - (f->isn + 1);
    switch (c->o.tcb) {
    case TCB_SYN_ONLY:
        /* Geneva censors 1-3: only a segment at the expected seq is read, and alone */
        if (seg->seq != f->c.nxt)
            return;
        advance(&f->c, seg);
        inspect(c, f, seg->payload, seg->payload_len, true, seg, now);
        return;
    case TCB_STRICT:
    case TCB_TEARDOWN:
    case TCB_REASSEMBLE:
        break;
    }
    if (off >= CENSOR_BUF) {
        /* past what we inspect: the first bytes decided nothing */
        f->verdict = true;
        cflow_buf_release(&c->t, f);
        return;
    }
    if (off == 0 && !f->buf) {
        /* The usual case: the stream's first segment, in order. Read in place: a request
         * decided by its first segment (most are) needs no buffer, no copy, and the reset
         * leaves that much sooner. Undecided, it is kept as any other segment is. */
        size_t n = seg->payload_len < CENSOR_BUF ? seg->payload_len : CENSOR_BUF;
        if (inspect(c, f, seg->payload, n, n >= CENSOR_BUF, seg, now)) {
            f->verdict = true;
            return;
        }
    }
    uint8_t *buf = cflow_buf(&c->t, f);
    if (!buf)
        return;   /* no buffer free: counted in the table's no_buffer */
    size_t have = reassemble(f, buf, seg);
    if (have == f->have)
        return;   /* a hole before it: wait for the missing bytes */
    f->have = (uint16_t)have;
    if (inspect(c, f, buf, have, have >= CENSOR_BUF, seg, now) && !f->verdict) {
        f->verdict = true;
        cflow_buf_release(&c->t, f);
    }
}

static bool tcp_csum_ok(const struct frame *f)
{
    if (f->l4_len < f->doff || f->ip_totlen < f->ip_hlen)
        return false;
    size_t l4 = (size_t)f->ip_totlen - f->ip_hlen;
    if (f->l4_off + l4 > f->len)
        return false;
    uint32_t sum = f->l3 == L3_IPV6 ? csum_pseudo6(f->saddr6, f->daddr6, 6, (uint32_t)l4)
                                    : csum_pseudo4(f->saddr, f->daddr, 6, (uint16_t)l4);
    sum = csum_partial(f->data + f->l4_off, l4, sum);
    return csum_fold(sum) == 0;
}

static void side_learn(struct cside *s, const struct frame *seg)
{
    memcpy(s->mac, seg->eth_src, 6);
    s->win = seg->win;
    s->ttl = seg->ttl;
    s->seen = true;
}

static const char *syn_rule(const struct censor *c, const struct frame *seg, const struct caddr *dst,
                            char *buf, size_t cap)
{
    for (size_t i = 0; i < c->o.nport; i++)
        if (c->o.port[i] == seg->dport) {
            snprintf(buf, cap, "%u", seg->dport);
            return "port";
        }
    for (size_t i = 0; i < c->o.ndst; i++)
        if (caddr_in(dst, &c->o.dst[i].addr, c->o.dst[i].plen)) {
            caddr_str(dst, buf);   /* cap >= CADDR_STRLEN */
            return "dst";
        }
    return NULL;
}

static void client_syn(struct censor *c, struct cflow *f, const struct frame *seg, const struct caddr *src,
                       const struct caddr *dst, uint64_t now)
{
    /* A careful observer keeps the handshake it saw while that connection lives (the
     * server would answer a SYN with a challenge ACK); once it is over (reset, or closed
     * both ways), a SYN on the same 4-tuple is a new connection: ports get reused. */
    if (f && c->o.tcb == TCB_STRICT && f->synack_seen && f->state != CF_DONE && f->fins != 3)
        return;
    if (!f) {
        f = ctable_add(&c->t, src, seg->sport, dst, seg->dport, now);
        if (!f)
            return;
        c->st.flows++;
    } else {
        /* a SYN with another ISN: resynchronise (what desynchronisation attacks exploit) */
        cflow_buf_release(&c->t, f);
        f->have = 0;
        f->verdict = false;
        f->syn_blocked = false;
        f->synack_seen = false;
        f->fins = 0;
        f->state = CF_SYN;
    }
    side_learn(&f->c, seg);
    f->isn = seg->seq;
    f->c.nxt = seg->seq + 1;
    ctable_touch(&c->t, f, now);
    uint64_t until = residual_until(&c->res, src, dst, seg->dport, now);
    char what[CADDR_STRLEN];
    const char *rule;
    if (until)
        block_at_syn(c, f, "residual", "block", now, until);
    else if ((rule = syn_rule(c, seg, dst, what, sizeof what)))
        block_at_syn(c, f, rule, what, now, 0);
}

static void server_synack(struct censor *c, struct cflow *f, const struct frame *seg, uint64_t now)
{
    side_learn(&f->s, seg);
    f->s.nxt = seg->seq + 1;
    f->synack_seen = true;
    ctable_touch(&c->t, f, now);
    if (f->state == CF_SYN)
        f->state = CF_OPEN;
    if (f->syn_blocked) {
        /* A near server's SYN-ACK can beat the reset sent at the SYN: the client may be
         * connected by now, so it gets a reset at its new RCV.NXT (the server's ISN + 1),
         * and the server one at its RCV.NXT (the client's ISN + 1). */
        if (wants_client(c))
            burst(c, f, true, f->s.nxt, f->isn + 1, false);
        if (wants_server(c))
            burst(c, f, false, f->isn + 1, f->s.nxt, false);
        f->syn_blocked = false;
    }
}

/* RST or FIN on a tracked flow, by the model. Returns true when the flow was removed. */
static bool teardown(struct censor *c, struct cflow *f, const struct frame *seg, bool from_client)
{
    const struct cside *snd = from_client ? &f->c : &f->s;
    switch (c->o.tcb) {
    case TCB_TEARDOWN:
        ctable_del(&c->t, f);          /* Wang et al.: any RST or FIN, unchecked */
        return true;
    case TCB_SYN_ONLY:
        return false;                  /* Geneva 1-3 ignore them */
    case TCB_STRICT:
    case TCB_REASSEMBLE:
        if (!(seg->flags & TH_RST))
            return false;
        /* believe a reset only at the exact seq and from the sender's usual distance */
        if (!snd->seen || seg->ttl != snd->ttl || seg->seq != snd->nxt) {
            c->st.ignored_rst++;
            return false;
        }
        ctable_del(&c->t, f);
        return true;
    }
    return false;
}

void censor_input(struct censor *c, const struct frame *seg, uint64_t now)
{
    c->st.frames++;
    if ((seg->l3 != L3_IPV4 && seg->l3 != L3_IPV6) || seg->l4 != L4_TCP) {
        if (seg->err != PKT_OK)
            c->st.malformed++;
        else
            c->st.other++;
        return;
    }
    if (seg->err != PKT_OK) {
        c->st.malformed++;
        return;
    }
    c->st.tcp++;
    if (c->o.check_csum && !tcp_csum_ok(seg)) {
        c->st.bad_csum++;              /* the receiver drops it: so does a careful observer */
        return;
    }
    bool from_client = false;
    struct caddr src, dst;
    caddr_of(seg, &src, &dst);
    if (seg->l3 == L3_IPV6 && (caddr_is4(&src) || caddr_is4(&dst))) {
        /* IPv4-mapped addresses never travel in IPv6 packets (RFC 4291 2.5.5.2); they
         * would also pass for an IPv4 flow of the table here */
        c->st.malformed++;
        return;
    }
    struct cflow *f = ctable_find(&c->t, &src, seg->sport, &dst, seg->dport, &from_client);
    uint8_t fl = seg->flags;
    if ((fl & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
        if (!f || from_client)
            client_syn(c, f, seg, &src, &dst, now);
        return;
    }
    if (!f)
        return;
    if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
        if (!from_client && c->o.tcb != TCB_SYN_ONLY)
            server_synack(c, f, seg, now);
        else if (!from_client)
            side_learn(&f->s, seg);
        return;
    }
    ctable_touch(&c->t, f, now);
    if (fl & (TH_RST | TH_FIN)) {
        if (teardown(c, f, seg, from_client))
            return;
        if (fl & TH_FIN)
            f->fins |= from_client ? 1 : 2;
    }
    if (fl & TH_RST)
        return;
    if (from_client) {
        f->c.win = seg->win;
        if (c->o.tcb != TCB_SYN_ONLY)
            advance(&f->c, seg);
        client_data(c, f, seg, now);
    } else {
        if (!f->s.seen)
            side_learn(&f->s, seg);
        f->s.win = seg->win;
        advance(&f->s, seg);
    }
}
