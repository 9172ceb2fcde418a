/* The sending half of a connection: the application's reply leaves in segments sized by the
 * peer's MSS and window (and by --reply-segments, --reply-rate), after --reply-delay; what is
 * not acknowledged is sent again on Linux's RTO schedule; at its end the connection closes,
 * resets, or stays open until --idle-close forgets it. One timer per flow (TM_REPLY) serves
 * the delay, the pacing, the retransmission and the idle deadline: arm() picks the earliest. */
#include "engine.h"
#include "reply.h"
#include "tcp_in.h"
#include "tcp_out.h"

enum reply_phase {
    RP_IDLE = 0,
    RP_WAIT,        /* --reply-delay runs */
    RP_SENDING,     /* bytes remain to be sent */
    RP_SENT,        /* all sent, not all acknowledged */
    RP_KEEPALIVE,   /* exchange complete; --idle-close deadline in reply_at_us */
};

#define RTO_MIN_US     200000u          /* tcp_rto_min */
#define RTO_INIT_US    1000000u         /* TCP_TIMEOUT_INIT: no RTT sample */
#define RTO_MAX_US     120000000ull     /* TCP_RTO_MAX */
#define RTX_MAX        8                /* tcp_orphan_retries' default: bounded, not 15 minutes */
#define FORGOTTEN_US   60000000ull      /* how long a forgotten flow is remembered, to name it */
#define PACE_TICKS     10               /* --reply-rate: segments of rate/10 bytes, 10 a second */

static const struct reply_params *rp_of(const struct flow *fl) { return &fl->rule->p.reply; }

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static uint64_t earliest(uint64_t a, uint64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

uint32_t tcp_send_mss(const struct engine *e, const struct flow *fl)
{
    /* tcp_current_mss: the peer's MSS within ours, less the timestamp option */
    uint32_t mss = fl->peer_mss ? fl->peer_mss : 536;
    uint32_t ours = tcp_our_mss(e, fl);
    if (ours && mss > ours)
        mss = ours;
    mss = min32(mss, FRAME_MAX - 14 - 20 - 60);
    if (fl->ts_ok && mss > 12)
        mss -= 12;
    return mss;
}

/* The bytes to send: the reply, or its first --reset-after bytes. */
static uint32_t reply_len(const struct reply_params *rp)
{
    uint32_t n = rp->body ? rp->body->len : 0;
    return rp->reset_after && rp->reset_after < n ? rp->reset_after : n;
}

static uint32_t seg_size(const struct engine *e, const struct flow *fl)
{
    const struct reply_params *rp = rp_of(fl);
    uint32_t seg = tcp_send_mss(e, fl), len = reply_len(rp);
    if (rp->segments && len)
        seg = min32(seg, (uint32_t)(((uint64_t)len + rp->segments - 1) / rp->segments));
    if (rp->rate)
        seg = min32(seg, rp->rate / PACE_TICKS ? rp->rate / PACE_TICKS : 1);
    return seg ? seg : 1;
}

static uint64_t rto_after(const struct flow *fl)
{
    uint64_t base = fl->rto_base_us ? fl->rto_base_us : RTO_INIT_US;
    uint64_t t = base << (fl->rtx < 16 ? fl->rtx : 16);
    return t < RTO_MAX_US ? t : RTO_MAX_US;
}

/* Room the peer's window leaves past SND.NXT. */
static uint32_t room(const struct flow *fl)
{
    uint32_t limit = fl->snd_una + fl->snd_wnd;
    return seq_lt(fl->snd_nxt, limit) ? limit - fl->snd_nxt : 0;
}

static bool fin_out(const struct flow *fl)
{
    return fl->app_closed &&
           (fl->state == ST_FIN_WAIT1 || fl->state == ST_CLOSING || fl->state == ST_LAST_ACK);
}

bool reply_busy(const struct flow *fl)
{
    return fl->reply_phase == RP_WAIT || fl->reply_phase == RP_SENDING || fl->reply_phase == RP_SENT;
}

void reply_established(struct engine *e, struct flow *fl)
{
    /* tcp_synack_rtt_meas: a SYN-ACK sent once is an RTT sample, and RTO = SRTT + RTTVAR
     * with RTTVAR at least tcp_rto_min; after a retransmitted SYN-ACK (Karn) there is no
     * sample and the first RTO is TCP_TIMEOUT_INIT */
    uint64_t rtt = e->now_us - fl->synack_us;
    fl->rto_base_us = fl->rtx ? RTO_INIT_US : RTO_MIN_US + (uint32_t)(rtt < RTO_INIT_US ? rtt : RTO_INIT_US);
    fl->rtx = 0;
}

static void send_data(struct engine *e, struct flow *fl, uint32_t seq, uint32_t n, bool psh)
{
    const struct reply_body *b = rp_of(fl)->body;
    tcp_send_at(e, fl, seq, (uint8_t)(TH_ACK | (psh ? TH_PSH : 0)), b->data + (seq - fl->reply_seq), n);
}

/* The reply is all out: reset (--reset-after), or close when the mode closes after it.
 * Returns false when fl was freed. */
static bool sent_all(struct engine *e, struct flow *fl)
{
    const struct reply_params *rp = rp_of(fl);
    if (rp->reset_after) {
        /* the abortive close of a server that crashes mid-transfer (or SO_LINGER 0),
         * whatever the peer has or has not acknowledged */
        app_abort(e, fl, EV_REPLY_RESET);
        return false;
    }
    fl->reply_phase = RP_SENT;
    tcp_event(e, fl, EV_REPLY, -1, 0, -1);
    if (fl->close_after_reply && !fl->reply_queued) {
        app_close(e, fl);
        return fl->state != ST_FREE;
    }
    return true;
}

/* Send what the window and the pacing allow. Returns false when fl was freed. */
static bool push(struct engine *e, struct flow *fl)
{
    const struct reply_params *rp = rp_of(fl);
    if (fl->reply_phase != RP_SENDING || e->now_us < fl->reply_at_us)
        return true;
    uint32_t end = fl->reply_seq + reply_len(rp), seg = seg_size(e, fl);
    while (seq_lt(fl->snd_nxt, end)) {
        uint32_t left = end - fl->snd_nxt, k = min32(seg, left), r = room(fl);
        if (r < k) {
            /* sender's silly window avoidance (RFC 9293 3.8.6.2.1): a short segment only
             * when nothing is in flight; a zero window waits for the persist timer */
            if (r == 0 || fl->snd_una != fl->snd_nxt)
                break;
            k = r;
        }
        send_data(e, fl, fl->snd_nxt, k, k == left || rp->rate || rp->segments);
        if (!fl->rto_us)
            fl->rto_us = e->now_us + rto_after(fl);
        if (rp->rate) {
            fl->reply_at_us = e->now_us + (uint64_t)k * 1000000u / rp->rate;
            break;
        }
    }
    return seq_lt(fl->snd_nxt, end) || sent_all(e, fl);
}

static void arm(struct engine *e, struct flow *fl)
{
    uint64_t t = fl->rto_us;
    switch (fl->reply_phase) {
    case RP_WAIT:
        t = earliest(t, fl->reply_at_us);
        break;
    case RP_KEEPALIVE:
        if (fl->state == ST_ESTABLISHED)
            t = earliest(t, fl->reply_at_us);
        break;
    case RP_SENDING: {
        uint32_t left = fl->reply_seq + reply_len(rp_of(fl)) - fl->snd_nxt;
        uint32_t r = room(fl);
        bool idle = fl->snd_una == fl->snd_nxt;
        if (r >= min32(seg_size(e, fl), left) || (r && idle))
            t = earliest(t, fl->reply_at_us > e->now_us ? fl->reply_at_us : e->now_us);
        else if (idle && !t)
            t = fl->rto_us = e->now_us + rto_after(fl);   /* zero window: persist */
        break;
    }
    default:
        break;
    }
    if (t)
        timer_arm(&e->ft, fl, TM_REPLY, t);
    else if (fl->timer == TM_REPLY)
        timer_cancel(&e->ft, fl);
}

/* The oldest unacknowledged segment again: reply bytes, or our FIN; with nothing in flight
 * (a zero window) a probe below SND.UNA that draws the peer's ACK (tcp_xmit_probe_skb). */
static void resend_head(struct engine *e, struct flow *fl)
{
    const struct reply_params *rp = rp_of(fl);
    uint32_t una = fl->snd_una, end = fl->reply_seq + reply_len(rp);
    if (una == fl->snd_nxt) {
        tcp_send_at(e, fl, una - 1, TH_ACK, NULL, 0);
    } else if (rp->body && (fl->reply_phase == RP_SENDING || fl->reply_phase == RP_SENT) &&
               !seq_lt(una, fl->reply_seq) && seq_lt(una, end)) {
        uint32_t k = min32(min32(seg_size(e, fl), end - una), fl->snd_nxt - una);
        send_data(e, fl, una, k, una + k == end);
    } else if (fin_out(fl) && una == fl->snd_nxt - 1) {
        tcp_send_at(e, fl, una, TH_FIN | TH_ACK, NULL, 0);
    }
}

/* Returns false when fl was freed. */
static bool rto_fire(struct engine *e, struct flow *fl)
{
    if (fl->rtx >= RTX_MAX) {
        /* tcp_write_timeout: give up without a word to the peer */
        struct ev ev = flow_ev(fl, EV_RTX_TIMEOUT);
        ev.rtx = fl->rtx;
        e->hook.event(e, &ev);
        flow_release(e, fl);
        return false;
    }
    fl->rtx++;
    fl->recovering = fl->snd_una != fl->snd_nxt;
    resend_head(e, fl);
    fl->rto_us = e->now_us + rto_after(fl);   /* the timeout doubles (tcp_retransmit_timer) */
    return true;
}

static bool begin_sending(struct engine *e, struct flow *fl)
{
    fl->reply_phase = RP_SENDING;
    fl->reply_seq = fl->snd_nxt;
    fl->reply_at_us = e->now_us;
    return push(e, fl);
}

/* The exchange is complete: the next request queued, or the idle deadline. */
static bool complete(struct engine *e, struct flow *fl)
{
    const struct reply_params *rp = rp_of(fl);
    fl->reply_phase = RP_IDLE;
    if (fl->app_closed)
        return true;
    if (fl->reply_queued) {
        fl->reply_queued--;
        reply_start(e, fl, false);
        return fl->state != ST_FREE;
    }
    if (rp->idle_close_s) {
        fl->reply_phase = RP_KEEPALIVE;
        fl->reply_at_us = e->now_us + (uint64_t)rp->idle_close_s * 1000000u;
    }
    return true;
}

void reply_start(struct engine *e, struct flow *fl, bool close_after)
{
    const struct reply_params *rp = rp_of(fl);
    if (close_after)
        fl->close_after_reply = true;
    if (fl->app_closed || (fl->state != ST_ESTABLISHED && fl->state != ST_CLOSE_WAIT))
        return;
    if (reply_busy(fl)) {
        if (fl->reply_queued < UINT8_MAX)
            fl->reply_queued++;
        return;
    }
    if (!rp->body) {
        if (fl->close_after_reply) {
            app_close(e, fl);
            return;
        }
        if (complete(e, fl))
            arm(e, fl);
        return;
    }
    fl->reply_phase = RP_WAIT;
    fl->reply_at_us = e->now_us + (uint64_t)rp->delay_ms * 1000u;
    if (!rp->delay_ms && !begin_sending(e, fl))
        return;
    arm(e, fl);
}

void reply_close(struct engine *e, struct flow *fl)
{
    if (fl->reply_phase == RP_WAIT || fl->reply_phase == RP_SENDING || fl->reply_queued) {
        fl->close_after_reply = true;
        return;
    }
    app_close(e, fl);
}

void reply_fin_sent(struct engine *e, struct flow *fl)
{
    if (fl->reply_phase == RP_KEEPALIVE)
        fl->reply_phase = RP_IDLE;
    if (!fl->rto_us)
        fl->rto_us = e->now_us + rto_after(fl);
    arm(e, fl);
}

void reply_on_ack(struct engine *e, struct flow *fl, bool advanced)
{
    if (fl->snd_una == fl->snd_nxt) {
        fl->rto_us = 0;
        fl->rtx = 0;
        fl->recovering = false;
    } else if (advanced && fl->rto_us) {
        /* new data acknowledged: the backoff resets (tcp_ack), and in recovery a partial
         * ACK sends the next lost segment at once (RFC 6582) */
        fl->rtx = 0;
        if (fl->recovering)
            resend_head(e, fl);
        fl->rto_us = e->now_us + rto_after(fl);
    }
    if (fl->reply_phase == RP_SENT && fl->snd_una == fl->snd_nxt) {
        if (!complete(e, fl))
            return;
    } else if (!push(e, fl)) {
        return;
    }
    arm(e, fl);
}

static void forget(struct engine *e, struct flow *fl)
{
    /* the server drops the connection without a word (a restart, a pool's or a NAT's idle
     * timeout): no FIN, no RST; its next segment meets a host that knows nothing of it */
    tcp_event(e, fl, EV_IDLE_FORGET, -1, 0, -1);
    fl->state = ST_FORGOTTEN;
    fl->reply_phase = RP_IDLE;
    fl->rto_us = 0;
    timer_arm(&e->ft, fl, TM_LINGER, e->now_us + FORGOTTEN_US);
}

void reply_timer(struct engine *e, struct flow *fl)
{
    if (fl->rto_us && e->now_us >= fl->rto_us && !rto_fire(e, fl))
        return;
    switch (fl->reply_phase) {
    case RP_WAIT:
        if (e->now_us >= fl->reply_at_us && !begin_sending(e, fl))
            return;
        break;
    case RP_SENDING:
        if (!push(e, fl))
            return;
        break;
    case RP_KEEPALIVE:
        if (e->now_us >= fl->reply_at_us && fl->state == ST_ESTABLISHED) {
            forget(e, fl);
            return;
        }
        break;
    default:
        break;
    }
    arm(e, fl);
}

/* ---- the application's calls (the modes'): below the modes, which call down only ---- */

void app_timer(struct engine *e, struct flow *fl, uint32_t ms)
{
    timer_arm(&e->ft, fl, TM_APP, e->now_us + (uint64_t)ms * 1000);
}

void app_read(struct engine *e, struct flow *fl, uint32_t n)
{
    (void)e;
    fl->unread -= n < fl->unread ? n : fl->unread;
}

void app_close(struct engine *e, struct flow *fl)
{
    if (fl->app_closed)
        return;
    fl->app_closed = true;
    if (fl->state != ST_ESTABLISHED && fl->state != ST_CLOSE_WAIT)
        return;
    timer_cancel(&e->ft, fl);
    if (fl->unread) {
        /* __tcp_close: data the application never read -> abortive close, RFC 2525 §2.17 */
        app_abort(e, fl, EV_UNREAD_RESET);
        return;
    }
    fl->state = fl->state == ST_ESTABLISHED ? ST_FIN_WAIT1 : ST_LAST_ACK;
    tcp_send_flow(e, fl, TH_FIN | TH_ACK, NULL, 0);
    tcp_event(e, fl, EV_FIN_CLOSE, -1, 0, TH_FIN | TH_ACK);
    reply_fin_sent(e, fl);
}

void app_abort(struct engine *e, struct flow *fl, enum ev_kind why)
{
    /* tcp_send_active_reset: RST|ACK at SND.NXT / RCV.NXT */
    tcp_send_flow(e, fl, TH_RST | TH_ACK, NULL, 0);
    struct ev ev = flow_ev(fl, why);
    ev.out_flags = TH_RST | TH_ACK;
    ev.unread = fl->unread;
    e->hook.event(e, &ev);
    flow_release(e, fl);
}

void app_send(struct engine *e, struct flow *fl, const uint8_t *data, size_t n)
{
    if (fl->state != ST_ESTABLISHED && fl->state != ST_CLOSE_WAIT)
        return;
    size_t mss = tcp_send_mss(e, fl);
    while (n) {
        size_t k = n < mss ? n : mss;
        tcp_send_flow(e, fl, TH_ACK | (k == n ? TH_PSH : 0), data, k);
        data += k;
        n -= k;
    }
}
