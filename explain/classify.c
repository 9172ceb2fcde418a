/* The verdict on one reset. The record holds the RST, both ends as they stood just before
 * it, the last packets before it and what followed; the host table says what the claimed
 * sender's own segments look like elsewhere in the capture. Rules in the order a careful
 * reader of the trace would apply them: was it accepted at all (RFC 5961), did the claimed
 * sender really send it (TTL, DF, its own data after the RST, bursts), then which phase of
 * the connection it ends and which sequence number it carries (RFC 793 §3.4, Linux
 * tcp_v4_send_reset vs tcp_send_active_reset; SCENARIOS.md). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "explain.h"

static const char *const cause_names[XC_N] = {
    "closed-port", "no-answer", "client-abort", "abortive-close", "data-after-close",
    "backlog-overflow", "stale-connection", "keepalive-timeout", "injected",
    "firewall-reject", "challenge-ack", "icmp-reject", "unknown",
};

const char *xcause_name(enum xcause c)
{
    return (unsigned)c < XC_N ? cause_names[c] : "unknown";
}

const char *xby_name(enum xby b)
{
    return b == XBY_CLIENT ? "client" : b == XBY_SERVER ? "server" : "on-path";
}

struct ctx {
    const struct xrst *r;
    const struct xside *S, *R;     /* the RST's sender and receiver as they stood */
    const char *sname, *rname;
    bool ack;                      /* RST carries ACK */
    double rtt_ms;                 /* SYN to SYN-ACK, or -1 */
    char onpath[96];               /* why it does not look like its claimed sender ("" if it does) */
};

static double ms(uint32_t us)
{
    return us / 1000.0;
}

/* Does the RST look like the rest of its claimed sender's traffic? */
static void check_sender(struct ctx *c, const struct xhosts *h)
{
    const struct xrst *r = c->r;
    uint8_t dfbit = r->dir ? XF_DF1 : XF_DF0;
    c->onpath[0] = '\0';
    if ((c->S->flags & XSIDE_SEEN) && !(c->S->flags & XSIDE_TTLVAR) && r->rst.ttl != c->S->ttl) {
        snprintf(c->onpath, sizeof c->onpath, "TTL %u, its other packets %u", r->rst.ttl, c->S->ttl);
        return;
    }
    if ((c->S->flags & XSIDE_SEEN) && (r->fflags & dfbit) && !r->rst.df) {
        snprintf(c->onpath, sizeof c->onpath, "DF clear, its other packets DF");
        return;
    }
    const struct xhost *e = xhosts_get(h, r->key.addr[r->dir], r->key.v6);
    if (!e || !e->n || (r->rst.ttl >= e->ttl_min && r->rst.ttl <= e->ttl_max))
        return;
    if (e->ttl_min == e->ttl_max)
        snprintf(c->onpath, sizeof c->onpath, "TTL %u, that host's other packets (%u flows) %u",
                 r->rst.ttl, e->n, e->ttl_min);
    else
        snprintf(c->onpath, sizeof c->onpath, "TTL %u, that host's other packets (%u flows) %u-%u",
                 r->rst.ttl, e->n, e->ttl_min, e->ttl_max);
}

static enum xby side_by(const struct xrst *r)
{
    return r->dir == 0 ? XBY_CLIENT : XBY_SERVER;
}

static void set(struct verdict *v, enum xcause cause, enum xby by)
{
    v->cause = cause;
    v->by = by;
}

static uint32_t window_of(const struct xside *s)
{
    uint32_t w = (uint32_t)s->win << s->wscale;
    return w < 65535 ? 65535 : w;
}

/* The RST is inexact (RFC 5961 §3.2) when neither the receiver's RCV.NXT (its highest ack)
 * nor the sender's own SND.NXT matches: a Linux receiver ignores it and sends a challenge ACK. */
static bool inexact_in_window(const struct ctx *c)
{
    const struct xrst *r = c->r;
    if (!(c->R->flags & XSIDE_ACKED) || !(c->S->flags & XSIDE_SEEN))
        return false;
    if (r->rst.seq == c->R->ack || r->rst.seq == c->S->nxt)
        return false;
    return seq_gt(r->rst.seq, c->R->ack) && seq_lt(r->rst.seq, c->R->ack + window_of(c->R));
}

/* The last segment the receiver sent before the RST, if any. */
static const struct xpkt *last_from_receiver(const struct xrst *r)
{
    for (int i = r->hist_n - 1; i >= 0; i--)
        if (r->hist[i].dir != r->dir && !(r->hist[i].flags & TH_RST))
            return &r->hist[i];
    return NULL;
}

/* A bare RST answers a segment of the receiver: seq = that segment's ack. The segment may
 * be the last one, an earlier one in the history, or a late duplicate (seq within what the
 * receiver has acknowledged). */
static bool answers_receiver(const struct xrst *r, const struct xside *R)
{
    for (int i = 0; i < r->hist_n; i++)
        if (r->hist[i].dir != r->dir && (r->hist[i].flags & TH_ACK) && r->hist[i].ack == r->rst.seq)
            return true;
    const struct xside *S = &r->s[r->dir];
    return (R->flags & XSIDE_ACKED) && (S->flags & XSIDE_SYN) && seq_gt(r->rst.seq, S->isn) &&
           seq_le(r->rst.seq, R->ack);
}

static void no_answer(const struct xrst *r, struct verdict *v)
{
    const struct xside *cl = &r->s[0];
    set(v, XC_NO_ANSWER, XBY_SERVER);
    double span = 0;
    for (int i = 0; i < r->hist_n; i++)
        span = ms(r->hist[i].t_us - r->t_syn_us);
    snprintf(v->evidence, sizeof v->evidence, "%u SYN%s over %.0f ms (ISN %u), nothing came back",
             cl->nsyn, cl->nsyn == 1 ? "" : "s", span, cl->isn);
    snprintf(v->saw, sizeof v->saw, "client: ETIMEDOUT after its SYN retries (EINPROGRESS at its own timeout); server: nothing");
    snprintf(v->note, sizeof v->note, "a firewall drop, a blackhole, a dead host and a full backlog without abort look the same on the wire");
}

/* What an ICMP/ICMPv6 destination unreachable says, and the errno Linux's connect() gets
 * from it in SYN_SENT (icmp_err_convert, icmpv6_err_convert: every code aborts the attempt). */
struct unreach { const char *what, *err; char kind; };   /* kind: p port, a admin, r route */

static struct unreach unreach_of(bool v6, uint8_t code)
{
    static const struct unreach v4[16] = {
        { "net unreachable", "ENETUNREACH", 'r' }, { "host unreachable", "EHOSTUNREACH", 'r' },
        { "protocol unreachable", "ENOPROTOOPT", 'p' }, { "port unreachable", "ECONNREFUSED", 'p' },
        { "fragmentation needed", "EMSGSIZE", 'r' }, { "source route failed", "EOPNOTSUPP", 'r' },
        { "net unknown", "ENETUNREACH", 'r' }, { "host unknown", "EHOSTDOWN", 'r' },
        { "source host isolated", "ENONET", 'r' }, { "net administratively prohibited", "ENETUNREACH", 'a' },
        { "host administratively prohibited", "EHOSTUNREACH", 'a' }, { "net unreachable for TOS", "ENETUNREACH", 'r' },
        { "host unreachable for TOS", "EHOSTUNREACH", 'r' },
        { "communication administratively prohibited", "EHOSTUNREACH", 'a' },
        { "host precedence violation", "EHOSTUNREACH", 'a' }, { "precedence cutoff", "EHOSTUNREACH", 'a' },
    };
    static const struct unreach v6t[7] = {
        { "no route to destination", "ENETUNREACH", 'r' }, { "administratively prohibited", "EACCES", 'a' },
        { "beyond scope of source address", "EHOSTUNREACH", 'r' }, { "address unreachable", "EHOSTUNREACH", 'r' },
        { "port unreachable", "ECONNREFUSED", 'p' }, { "source address failed policy", "EACCES", 'a' },
        { "reject route", "EACCES", 'a' },
    };
    if (v6 ? code < 7 : code < 16)
        return v6 ? v6t[code] : v4[code];
    return (struct unreach){ "unreachable (unknown code)", "an error", 'r' };
}

static void icmp_reject(const struct xrst *r, struct verdict *v)
{
    bool v6 = r->key.v6, host = memcmp(r->icmp_from, r->key.addr[1], 16) == 0;
    struct unreach u = unreach_of(v6, r->icmp_code);
    char from[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, r->icmp_from, from, sizeof from);
    set(v, XC_ICMP_REJECT, host ? XBY_SERVER : XBY_ONPATH);
    snprintf(v->evidence, sizeof v->evidence, "SYN%s, then ICMP%s %s (%u/%u) from %s%s %.2f ms later: %s",
             r->s[0].nsyn > 1 ? " (retransmitted)" : "", v6 ? "v6" : "", u.what, r->icmp_type, r->icmp_code,
             from, host ? ", the host itself," : ", not the host,", ms(r->rst.t_us - r->t_syn_us),
             u.kind == 'p' ? "a firewall's reject (TCP answers a closed port with an RST)"
             : u.kind == 'a' ? "a filter's reject"
                             : "no way to the host");
    snprintf(v->saw, sizeof v->saw, "client: %s on connect() at once, no retry; server: %s", u.err,
             host ? "its firewall refused the SYN, the application never saw it" : "never saw the SYN");
    if (u.kind == 'r')
        snprintf(v->note, sizeof v->note, "a router's reject with this code and a host it really cannot reach look the same");
}

/* The claimed sender answered the same SYN with a SYN-ACK, before or after the RST. */
static bool sender_synacked(const struct xrst *r)
{
    if (r->s[r->dir].flags & XSIDE_SYN)
        return true;
    for (int i = 0; i < r->after_n; i++)
        if (r->after[i].dir == r->dir && (r->after[i].flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
            return true;
    return false;
}

static void syn_phase(struct ctx *c, struct verdict *v)
{
    const struct xrst *r = c->r;
    const struct xside *cl = &r->s[0];
    double dt = ms(r->rst.t_us - r->t_syn_us);
    if (r->dir == 1 && c->ack && r->rst.ack == cl->isn + 1u) {
        if (c->onpath[0] && sender_synacked(r)) {
            /* the host answered the SYN itself: the RST was not its own, and a firewall
             * that rejected the SYN would not have let it reach the host */
            set(v, XC_INJECTED, XBY_ONPATH);
            snprintf(v->evidence, sizeof v->evidence,
                     "SYN, then RST|ACK ack ISN+1 %.2f ms later that is not from the host (%s), "
                     "and the host answered the same SYN with a SYN-ACK", dt, c->onpath);
            snprintf(v->saw, sizeof v->saw,
                     "client: ECONNREFUSED on connect() if the RST came first, else a reset "
                     "connection; server: its SYN-ACK met a closed socket (RST)");
            return;
        }
        if (c->onpath[0]) {
            set(v, XC_FIREWALL_REJECT, XBY_ONPATH);
            snprintf(v->evidence, sizeof v->evidence,
                     "SYN, then RST|ACK ack ISN+1 %.2f ms later that is not from the host: %s",
                     dt, c->onpath);
            snprintf(v->saw, sizeof v->saw, "client: ECONNREFUSED on connect(); server: never saw the SYN");
            snprintf(v->note, sizeof v->note, "a forged reset to the SYN (a censor) looks the same");
            return;
        }
        set(v, XC_CLOSED_PORT, XBY_SERVER);
        snprintf(v->evidence, sizeof v->evidence,
                 "SYN%s, no listener: RST|ACK seq %u ack ISN+1 %.2f ms later",
                 cl->nsyn > 1 ? " (retransmitted)" : "", r->rst.seq, dt);
        snprintf(v->saw, sizeof v->saw, "client: ECONNREFUSED on connect(); server: nothing (no socket)");
        return;
    }
    set(v, XC_UNKNOWN, c->onpath[0] ? XBY_ONPATH : side_by(r));
    snprintf(v->evidence, sizeof v->evidence, "RST%s from the %s before any SYN-ACK, ack %u vs ISN+1 %u",
             c->ack ? "|ACK" : "", c->sname, r->rst.ack, cl->isn + 1u);
    snprintf(v->saw, sizeof v->saw, "client: ECONNREFUSED if it was accepted");
}

static void synack_phase(struct ctx *c, struct verdict *v)
{
    const struct xrst *r = c->r;
    const struct xside *cl = &r->s[0];
    if (r->dir == 0 && r->rst.seq == cl->isn + 1u) {
        set(v, XC_CLIENT_ABORT, XBY_CLIENT);
        snprintf(v->evidence, sizeof v->evidence,
                 "SYN%s, SYN-ACK %.1f ms later, no handshake ACK: client's %s seq ISN+1 %.2f ms after the SYN-ACK",
                 cl->nsyn > 1 ? " (retransmitted)" : "", ms(r->t_synack_us - r->t_syn_us),
                 c->ack ? "RST|ACK" : "bare RST", ms(r->rst.t_us - r->t_synack_us));
        snprintf(v->saw, sizeof v->saw, "client: gave up at its own timeout (EINPROGRESS/ETIMEDOUT); server: nothing (never accepted)");
        return;
    }
    set(v, XC_UNKNOWN, c->onpath[0] ? XBY_ONPATH : side_by(r));
    snprintf(v->evidence, sizeof v->evidence, "RST from the %s during the handshake, seq %u (client ISN+1 %u)",
             c->sname, r->rst.seq, cl->isn + 1u);
    snprintf(v->saw, sizeof v->saw, "client: ECONNREFUSED or ECONNRESET if it was accepted");
}

static void saw_reset(const struct ctx *c, struct verdict *v, const char *sender_saw)
{
    bool close_wait = c->S->flags & XSIDE_FIN;   /* receiver got a FIN first: EPIPE */
    snprintf(v->saw, sizeof v->saw, "%s: %s; %s: %s", c->rname,
             close_wait ? "EPIPE on send() (recv() had returned 0)" : "ECONNRESET on recv()/send(), then EPIPE",
             c->sname, sender_saw);
}

/* The server reset a connection right after its handshake and never had a socket for it:
 * no data, no FIN, and no RST|ACK with a window before or after (that is a live socket
 * aborting, whose own segments were lost or reordered behind this RST). A repeat of the
 * same RST for the peer's retransmissions, seconds later when the first was lost, is
 * timed from the first. */
static bool backlog_like(const struct ctx *c)
{
    const struct xrst *r = c->r;
    const struct xside *sv = &r->s[1], *cl = &r->s[0];
    if (r->dir != 1 || c->ack || !(r->fflags & XF_HSACK) || (r->fflags & XF_MIDSTREAM))
        return false;
    if (sv->flags & (XSIDE_DATA | XSIDE_FIN) || sv->ack != cl->isn + 1u || r->rst.seq != sv->isn + 1u)
        return false;
    if (r->prev_abort || r->later_abort)
        return false;
    double since = ms(r->t_first_us - r->t_hsack_us);
    double bound = 1000.0 + (c->rtt_ms > 0 ? 4 * c->rtt_ms : 0);
    return since <= bound;
}

/* The server was alive an instant ago: it acknowledged the client's data and, within 200 ms
 * (before a lost FIN could be retransmitted), answered the client's next data with a bare
 * RST seq = its ack. Its FIN (data after close) or its RST|ACK (an abortive close) may have
 * been lost on the way; nothing in the capture tells which, so the verdict stays stale and
 * the note names both. */
static bool just_alive(const struct ctx *c, uint32_t *gap_us)
{
    const struct xrst *r = c->r;
    const struct xpkt *seg = last_from_receiver(r);
    if (r->dir != 1 || c->ack || !(r->fflags & XF_HSACK) || (r->fflags & XF_MIDSTREAM) ||
        r->prev_rst_s || r->prev_abort || r->later_abort || c->R->nrst ||
        !seg || !seg->len || r->rst.seq != seg->ack || !seq_gt(c->S->ack, c->R->isn + 1u))
        return false;
    for (int i = r->hist_n - 1; i >= 0; i--) {
        const struct xpkt *p = &r->hist[i];
        if (p->dir == r->dir && !(p->flags & (TH_RST | TH_SYN))) {
            *gap_us = r->rst.t_us - p->t_us;
            return *gap_us < 200000u;
        }
    }
    return false;
}

static void established(struct ctx *c, struct verdict *v)
{
    const struct xrst *r = c->r;
    const struct xpkt *seg = last_from_receiver(r);
    bool mid = r->fflags & XF_MIDSTREAM;
    const char *midtxt = mid ? " (capture began mid-connection)" : "";
    if (!(c->S->flags & XSIDE_SEEN) && c->ack && r->rst.seq == 0) {
        /* The capture holds nothing from the sender but this RST|ACK seq 0: the answer to a
         * SYN (or a segment without ACK) it never had a socket for. */
        set(v, XC_CLOSED_PORT, side_by(r));
        snprintf(v->evidence, sizeof v->evidence,
                 "RST|ACK seq 0 ack %u from a %s that sent nothing else: no socket there%s",
                 r->rst.ack, c->sname, mid ? " (the segment it answers is not in the capture)" : "");
        snprintf(v->saw, sizeof v->saw, "%s: ECONNREFUSED on connect(); %s: nothing (no socket)",
                 c->rname, c->sname);
        return;
    }
    if (c->S->nka >= 1 && c->ack && r->rst.seq == c->S->nxt) {
        set(v, XC_KEEPALIVE, side_by(r));
        snprintf(v->evidence, sizeof v->evidence,
                 "%u keepalive probe%s at SND.NXT-1 unanswered, then RST|ACK seq SND.NXT",
                 c->S->nka, c->S->nka == 1 ? "" : "s");
        snprintf(v->saw, sizeof v->saw, "%s: ETIMEDOUT on its next call; %s: nothing (unreachable)",
                 c->sname, c->rname);
        return;
    }
    if (((c->S->flags & XSIDE_FIN) || r->s_fin_late) && !(c->R->flags & XSIDE_FIN) && !c->ack &&
        !r->prev_abort &&
        (c->R->data_after_fin_us || (c->R->flags & XSIDE_DATA))) {
        /* Data sent before the FIN was seen here may still reach the closed socket after it
         * (a capture near the data's sender sees the FIN last; loss and reordering delay
         * a segment past it). */
        set(v, XC_DATA_AFTER_CLOSE, side_by(r));
        snprintf(v->evidence, sizeof v->evidence,
                 "%s sent FIN, %s's data reached it %s: bare RST seq %s",
                 c->sname, c->rname, c->R->data_after_fin_us ? "after" : "in flight across it",
                 seg && r->rst.seq == seg->ack ? "= the data's ack" : "not the data's ack");
        snprintf(v->saw, sizeof v->saw, "%s: the write succeeded, then EPIPE on the next send() (ECONNRESET on recv()); %s: nothing (had closed)",
                 c->rname, c->sname);
        return;
    }
    if (backlog_like(c)) {
        set(v, XC_BACKLOG_OVERFLOW, XBY_SERVER);
        if (r->t_first_us != r->rst.t_us)
            snprintf(v->evidence, sizeof v->evidence,
                     "full handshake, server sent nothing after its SYN-ACK: bare RST seq ISN+1 %.2f ms after the final ACK, "
                     "again %.0f ms later for the client's next segment",
                     ms(r->t_first_us - r->t_hsack_us), ms(r->rst.t_us - r->t_first_us));
        else
            snprintf(v->evidence, sizeof v->evidence,
                     "full handshake, server sent nothing after its SYN-ACK: bare RST seq ISN+1 %.2f ms after the final ACK",
                     ms(r->rst.t_us - r->t_hsack_us));
        snprintf(v->saw, sizeof v->saw, "client: connect() succeeded, then ECONNRESET on recv()/send(); server: nothing (never accepted)");
        snprintf(v->note, sizeof v->note, "a server that lost the connection right after the handshake looks the same");
        return;
    }
    if (c->ack && (c->S->flags & XSIDE_SEEN) &&
        seq_ge(r->rst.seq, c->S->nxt) && seq_lt(r->rst.seq, c->S->nxt + (1u << 24))) {
        set(v, XC_ABORTIVE_CLOSE, side_by(r));
        snprintf(v->evidence, sizeof v->evidence,
                 "%s's RST|ACK at SND.NXT%s, window %u (the socket's own), %s%s",
                 c->sname, r->rst.seq == c->S->nxt ? "" : " (beyond what was captured)", r->rst.win,
                 (c->S->flags & XSIDE_FIN) ? "after its FIN" : "no FIN before it", midtxt);
        saw_reset(c, v, "its own close()/abort");
        snprintf(v->note, sizeof v->note,
                 "close() with unread data (RFC 2525 2.17), SO_LINGER 0 and a killed socket (ss -K) look the same on the wire");
        return;
    }
    if (!c->ack && answers_receiver(r, c->R)) {
        bool clean = (c->S->flags & XSIDE_FIN) && (c->R->flags & XSIDE_FIN);
        set(v, XC_STALE, side_by(r));
        if (seg && r->rst.seq == seg->ack)
            snprintf(v->evidence, sizeof v->evidence,
                     "%s had this connection, then answered a %u-byte segment with a bare RST seq = its ack%s%s",
                     c->sname, seg->len, r->prev_rst_s ? " (after its own earlier RST)" : "",
                     clean ? " after FINs both ways: a late segment" : midtxt);
        else
            snprintf(v->evidence, sizeof v->evidence,
                     "%s had this connection, then answered an earlier (reordered or duplicate) segment with a bare RST seq = its ack%s%s",
                     c->sname, r->prev_rst_s ? " (after its own earlier RST)" : "",
                     clean ? " after FINs both ways: harmless" : midtxt);
        saw_reset(c, v, "nothing (no such connection any more)");
        uint32_t gap_us = 0;
        if (just_alive(c, &gap_us))
            snprintf(v->note, sizeof v->note, "it had acknowledged data %.2f ms before: its FIN (data after close) or RST|ACK (abortive close) may have been lost, which looks the same",
                     ms(gap_us));
        else if (!clean && !r->prev_rst_s)
            snprintf(v->note, sizeof v->note, "a reboot, a lost socket (killed without its RST reaching the peer) and a NAT that forgot look the same");
        return;
    }
    set(v, XC_UNKNOWN, side_by(r));
    snprintf(v->evidence, sizeof v->evidence, "%s from the %s, seq %u: its SND.NXT %u, peer's RCV.NXT %u%s",
             c->ack ? "RST|ACK" : "bare RST", c->sname, r->rst.seq, c->S->nxt, c->R->ack, midtxt);
    saw_reset(c, v, "unknown");
}

void xclassify(const struct xrst *r, const struct xhosts *h, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    if (r->icmp_type) {
        icmp_reject(r, v);
        return;
    }
    if (!r->rst.flags) {
        no_answer(r, v);
        return;
    }
    struct ctx c = {
        .r = r, .S = &r->s[r->dir], .R = &r->s[1 - r->dir],
        .sname = r->dir ? "server" : "client", .rname = r->dir ? "client" : "server",
        .ack = r->rst.flags & TH_ACK, .rtt_ms = -1,
    };
    if ((r->s[0].flags & XSIDE_SYN) && (r->s[1].flags & XSIDE_SYN))
        c.rtt_ms = ms(r->t_synack_us - r->t_syn_us);
    check_sender(&c, h);
    bool syn_phase_now = (r->s[0].flags & XSIDE_SYN) && !(r->s[1].flags & (XSIDE_SYN | XSIDE_SEEN)) &&
                         !(r->fflags & XF_MIDSTREAM);
    if (syn_phase_now) {
        syn_phase(&c, v);
        return;
    }
    /* Ignored, and the connection went on: not when the RST was exact for a segment of its
     * sender that the receiver had not got (loss), nor when the sender itself followed up
     * with another RST (its socket really was gone: the challenge ACK drew a bare RST). */
    if (inexact_in_window(&c) && !r->boundary && !r->later_rst_s && !r->burst && !r->both_ends &&
        (r->r_dupack || r->r_goes_on || r->s_data_after)) {
        set(v, XC_CHALLENGE_ACK, c.onpath[0] ? XBY_ONPATH : side_by(r));
        snprintf(v->evidence, sizeof v->evidence,
                 "RST in window but %d bytes past RCV.NXT: %s, the connection went on%s%s",
                 (int)(r->rst.seq - c.R->ack),
                 r->r_dupack ? "the receiver answered with a duplicate ACK" : "no challenge ACK seen (rate-limited)",
                 c.onpath[0] ? "; not from the host: " : "", c.onpath);
        snprintf(v->saw, sizeof v->saw, "neither: the RST was ignored (RFC 5961)");
        return;
    }
    bool forged_signs = r->s_data_after || r->burst || r->both_ends;
    /* IPv6 has neither IP ID nor DF: there the window is all of the shape */
    bool kernel_shape = !r->rst.win && (r->key.v6 || (r->rst.ipid == 0 && r->rst.df));
    if (c.onpath[0] && !forged_signs && !c.ack && kernel_shape && answers_receiver(r, c.R)) {
        /* A kernel's reset (ID 0, DF, window 0, seq = the segment's ack) from another hop:
         * a firewall's REJECT with tcp-reset answering for the host mid-connection. */
        set(v, XC_FIREWALL_REJECT, XBY_ONPATH);
        snprintf(v->evidence, sizeof v->evidence,
                 "bare RST seq = the %s's ack, shaped like a kernel's (%s), not from the %s: %s",
                 c.rname, r->key.v6 ? "window 0" : "ID 0, DF, window 0", c.sname, c.onpath);
        snprintf(v->saw, sizeof v->saw, "%s: ECONNRESET on recv()/send(); %s: never saw the segment",
                 c.rname, c.sname);
        snprintf(v->note, sizeof v->note, "a careful forger copying a kernel's reset looks the same");
        return;
    }
    if (c.onpath[0] || forged_signs) {
        char why[200];
        size_t n = 0;
        const char *sign[] = {
            c.onpath[0] ? c.onpath : NULL,
            r->s_data_after ? "the real sender sent data after it" : NULL,
            r->burst ? "back-to-back RSTs with other seq numbers" : NULL,
            r->both_ends ? "RSTs to both ends at once" : NULL,
        };
        why[0] = '\0';
        for (size_t i = 0; i < sizeof sign / sizeof sign[0]; i++)
            if (sign[i] && n < sizeof why)
                n += (size_t)snprintf(why + n, sizeof why - n, "%s%s", n ? "; " : "", sign[i]);
        set(v, XC_INJECTED, XBY_ONPATH);
        snprintf(v->evidence, sizeof v->evidence, "RST%s claiming the %s: %s",
                 c.ack ? "|ACK" : "", c.sname, why);
        snprintf(v->saw, sizeof v->saw, "%s: ECONNRESET if the seq was exact; %s: nothing until its next segment draws an RST",
                 c.rname, c.sname);
        return;
    }
    if ((r->s[1].flags & XSIDE_SYN) && !(r->fflags & XF_HSACK) && !(r->fflags & XF_MIDSTREAM)) {
        synack_phase(&c, v);
        return;
    }
    established(&c, v);
}
