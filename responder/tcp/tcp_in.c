/* TCP input: the per-flow state machine of a passive opener, after RFC 9293 §3.10.7 with
 * RFC 5961 RST/SYN/ACK hardening, and Linux where it chooses (tcp_minisocks.c
 * tcp_check_req for SYN_RECV, tcp_input.c tcp_validate_incoming / tcp_rcv_state_process
 * for the synchronized states, tcp_ipv4.c tcp_v4_send_reset for segments with no socket). */
#include <string.h>
#include <time.h>
#include "isn.h"
#include "mode.h"
#include "reply.h"
#include "tcp_in.h"
#include "tcp_out.h"

static const struct mode_ops *mode_of(const struct flow *fl) { return fl->rule->mode; }

static void event_for_frame(struct engine *e, const struct frame *f, const struct rule *r,
                            enum ev_kind k, int out_flags)
{
    struct ev ev = frame_ev(f, r, k);
    ev.out_flags = out_flags;
    e->hook.event(e, &ev);
}

/* A segment that matches no connection and opens none: the profile says what such a
 * segment draws (nmap's T2..T7; Linux: RFC 793 resets, silence for odd segments to a
 * listener, silence everywhere on a firewalled host). Returns false when f is not such a
 * segment (an RST, or a SYN that a listener takes). */
static bool stray(struct engine *e, const struct frame *f, const struct rule *r, bool listening)
{
    enum stray_kind k = stray_kind_of(listening, f->flags);
    if (k == STRAY_N)
        return false;
    int out = tcp_send_stray_answer(e, f, &e->ans->stray[k]);
    if (k == STRAY_CLOSED_SYN)
        event_for_frame(e, f, r, out >= 0 ? EV_CLOSED_PORT : EV_SILENT_DROP, out);
    else if (out >= 0)
        event_for_frame(e, f, r, EV_UNKNOWN_FLOW, out);
    return true;
}

static void closed_port(struct engine *e, const struct frame *f, const struct rule *r)
{
    stray(e, f, r, false);
}


static uint32_t isn_for(struct engine *e, const struct frame *f)
{
    if (e->prof->isn == ISN_RANDOM)
        return engine_rand(e);
    /* secure_tcp_seq: keyed hash of the 4-tuple plus a clock ticking every 64 ns */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return (uint32_t)siphash24_4tuple(e->isn_key, frame_dst32(f), frame_src32(f), f->dport, f->sport, 0) +
           (uint32_t)(ns >> 6);
}

/* Evict the half-open flow whose timer is due first, as a full SYN queue drops its
 * oldest request (Linux reqsk_queue_drop under pressure). */
static bool evict_half_open(struct engine *e)
{
    struct flow *old = timer_peek(&e->ft);
    if (!old || (old->state != ST_SYN_RCVD && old->state != ST_SYN_PENDING))
        return false;
    tcp_event(e, old, EV_TABLE_FULL, -1, 0, -1);
    flow_release(e, old);
    return true;
}

static void negotiate(struct engine *e, struct flow *fl, const struct frame *f)
{
    const struct profile *p = e->prof;
    memcpy(fl->cmac, f->eth_src, 6);
    fl->irs = f->seq;
    fl->rcv_nxt = f->seq + 1;
    fl->peer_mss = f->opt.has_mss ? f->opt.mss : 536;   /* RFC 9293 default */
    fl->ws_ok = f->opt.has_ws && p->wscale >= 0;
    fl->snd_wscale = fl->ws_ok ? (f->opt.wscale > 14 ? 14 : f->opt.wscale) : 0;  /* RFC 7323 §2.3 */
    fl->rcv_wscale = fl->ws_ok ? (uint8_t)p->wscale : 0;
    fl->sack_ok = f->opt.sack_ok && p->sack;
    fl->ts_ok = f->opt.has_ts && p->ts;
    fl->ts_recent = f->opt.tsval;
    fl->snd_wnd = f->win;   /* a SYN's window is never scaled */
    const struct profile_answers *a = e->ans;
    fl->iss = a->isn.kind == ISG_PROFILE ? isn_for(e, f) : isngen_next(&a->isn, &e->gen, e->now_us);
    fl->sa = synack_answer(a, f);
    if (fl->sa)   /* a probe the profile answers its own way: its seq and ack too */
        seg_answer_seqack(fl->sa, f, fl->iss, &fl->iss, &fl->probe_ack);
    fl->ecn_syn = (f->flags & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR);
    fl->syn_res = f->th_res;
    fl->syn_urp = f->urp;
    fl->snd_una = fl->iss;
    fl->snd_nxt = fl->iss + 1;
    fl->syn_us = e->now_us;
    /* secure_tcp_ts_off: keyed by the 4-tuple (or the host pair, per the profile) */
    uint16_t sp = p->ts_off_4tuple ? f->dport : 0, cp = p->ts_off_4tuple ? f->sport : 0;
    fl->ts_off = tsgen_offset(&a->ts, &e->gen, p->ts_hz, e->now_us,
                              (uint32_t)siphash24_4tuple(e->isn_key, frame_dst32(f), frame_src32(f), sp, cp, 0x7473));
    fl->ip_id = (uint16_t)engine_rand(e);
    /* one label on every segment of the connection (Linux: from sk_txhash) */
    if (fl->v6)
        fl->flowlabel = engine_label(e, p->fl6_flow, f);
}

void tcp_synack_first(struct engine *e, struct flow *fl)
{
    fl->state = ST_SYN_RCVD;
    fl->synack_us = e->now_us;
    tcp_send_synack(e, fl);
    struct ev ev = flow_ev(fl, EV_SYNACK);
    ev.out_flags = TH_SYN | TH_ACK;
    ev.delay_ms = (double)(fl->synack_us - fl->syn_us) / 1000.0;
    e->hook.event(e, &ev);
    timer_arm(&e->ft, fl, TM_SYNACK, e->now_us + (uint64_t)e->prof->synack_rto_ms * 1000);
}

static struct flow *new_flow(struct engine *e, const struct frame *f)
{
    if (f->l3 == L3_IPV6)
        return flow_new6(&e->ft, f->saddr6, f->sport, f->daddr6, f->dport);
    return flow_new(&e->ft, f->saddr, f->sport, f->daddr, f->dport);
}

static void listen_syn(struct engine *e, const struct frame *f, const struct rule *r)
{
    struct flow *fl = new_flow(e, f);
    if (!fl && evict_half_open(e))
        fl = new_flow(e, f);
    if (!fl)
        return;
    fl->rule = r;
    negotiate(e, fl, f);
    if (fl->sa && !fl->sa->respond) {
        /* this stack leaves a SYN of that shape unanswered */
        flow_del(&e->ft, fl);
        event_for_frame(e, f, r, EV_SILENT_DROP, -1);
        return;
    }
    struct syn_decision d = r->mode->on_syn(e, r, fl, f);
    switch (d.verdict) {
    case SYN_ACCEPT:
        if (d.synack_delay_us) {
            fl->state = ST_SYN_PENDING;
            timer_arm(&e->ft, fl, TM_SYNACK, fl->syn_us + d.synack_delay_us);
        } else {
            tcp_synack_first(e, fl);
        }
        return;
    case SYN_RESET:
        flow_del(&e->ft, fl);
        closed_port(e, f, r);
        return;
    case SYN_DROP:
        flow_del(&e->ft, fl);
        return;
    }
}

/* RFC 9293 §3.10.7 SEGMENT ARRIVES with no connection: §3.10.7.1 "If the state is CLOSED"
 * (a closed or firewalled port), §3.10.7.2 "If the state is LISTEN" (a listener). */
static void no_flow(struct engine *e, const struct frame *f)
{
    const struct rule *r = engine_rule_for(e, f);
    switch (r->mode->kind) {
    case PORT_FILTERED:
        if ((f->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN)
            event_for_frame(e, f, r, EV_SILENT_DROP, -1);
        return;
    case PORT_CLOSED:
        closed_port(e, f, r);
        return;
    case PORT_LISTEN:
        break;
    }
    /* a listener: odd segments are the profile's (Linux tcp_rcv_state_process, LISTEN:
     * ACK -> reset, SYN with FIN or no SYN -> discard); a SYN opens a connection.
     * §3.10.7.2 first (an RST is ignored), second (an ACK draws a reset) and fourth
     * (other text or control: drop) checks: stray() and the RST test; third (SYN): */
    if (stray(e, f, r, true) || (f->flags & TH_RST))
        return;
    if (f->flags & TH_SYN)
        listen_syn(e, f, r);
}

static uint32_t seg_len(const struct frame *f)
{
    return (uint32_t)f->payload_len + ((f->flags & TH_SYN) ? 1u : 0u) + ((f->flags & TH_FIN) ? 1u : 0u);
}

static bool in_window(const struct engine *e, const struct flow *fl, const struct frame *f)
{
    /* tcp_sequence(): the segment must not end before RCV.NXT nor start past the window */
    uint32_t end = f->seq + seg_len(f);
    uint32_t wnd = tcp_rcv_window(e, fl);
    return !seq_lt(end, fl->rcv_nxt) && !seq_gt(f->seq, fl->rcv_nxt + wnd);
}

static void in_syn_pending(struct engine *e, struct flow *fl, const struct frame *f)
{
    /* the SYN-ACK is still held back: a retransmitted SYN changes nothing; an RST at
     * RCV.NXT withdraws the connection */
    if ((f->flags & TH_RST) && f->seq == fl->rcv_nxt) {
        tcp_event(e, fl, EV_PEER_RESET, f->flags, 0, -1);
        flow_release(e, fl);
    }
}

static void synchronized(struct engine *e, struct flow *fl, const struct frame *f);

/* RFC 9293 §3.10.7.4 "Otherwise" in SYN-RECEIVED, with Linux's tcp_check_req order. */
static void in_syn_rcvd(struct engine *e, struct flow *fl, const struct frame *f)
{
    uint8_t fl_flags = f->flags;
    if ((fl_flags & (TH_SYN | TH_RST | TH_ACK)) == TH_SYN && f->seq == fl->irs) {
        /* retransmitted SYN: our SYN-ACK was lost, send it again (inet_rtx_syn_ack) */
        tcp_synack_again(e, fl, fl_flags);
        return;
    }
    /* first: check the sequence number */
    if (!in_window(e, fl, f)) {
        if (!(fl_flags & TH_RST))
            tcp_send_ack(e, fl);
        return;
    }
    /* second (RST) and fourth (SYN) checks: both end the embryonic connection here, as
     * tcp_check_req does; the third (security) has nothing to check */
    if (fl_flags & (TH_RST | TH_SYN)) {
        /* embryonic reset: the client refused our SYN-ACK (case 3 when it gave up) */
        int out = -1;
        if (!(fl_flags & TH_RST))
            out = tcp_send_reset_for(e, f);
        struct ev ev = flow_ev(fl, EV_CLIENT_ABORT);
        ev.in_flags = fl_flags; ev.out_flags = out;
        ev.delay_ms = (double)(fl->synack_us - fl->syn_us) / 1000.0;
        e->hook.event(e, &ev);
        flow_release(e, fl);
        return;
    }
    /* fifth: check the ACK field (none: drop; SND.UNA < SEG.ACK =< SND.NXT: ESTABLISHED) */
    if (!(fl_flags & TH_ACK))
        return;
    if (f->ack != fl->iss + 1) {
        /* an ACK of something we never sent: RST with SEQ = SEG.ACK */
        int out = tcp_send_reset_for(e, f);
        tcp_event(e, fl, EV_UNKNOWN_FLOW, fl_flags, (uint32_t)f->payload_len, out);
        return;
    }
    const struct mode_ops *m = mode_of(fl);
    if (m->on_established && !m->on_established(e, fl->rule, fl)) {
        /* accept queue overflow with tcp_abort_on_overflow: the final ACK gets RST */
        int out = tcp_send_reset_for(e, f);
        tcp_event(e, fl, EV_BACKLOG_RESET, fl_flags, (uint32_t)f->payload_len, out);
        flow_release(e, fl);
        return;
    }
    timer_cancel(&e->ft, fl);
    fl->state = ST_ESTABLISHED;
    fl->snd_una = f->ack;
    fl->snd_wnd = (uint32_t)f->win << fl->snd_wscale;
    reply_established(e, fl);
    tcp_event(e, fl, EV_HANDSHAKE, fl_flags, (uint32_t)f->payload_len, -1);
    if (f->payload_len || (fl_flags & TH_FIN))
        synchronized(e, fl, f);
}

void tcp_synack_again(struct engine *e, struct flow *fl, int in_flags)
{
    tcp_send_synack(e, fl);
    struct ev ev = flow_ev(fl, EV_SYNACK);
    ev.in_flags = in_flags;
    ev.out_flags = TH_SYN | TH_ACK;
    ev.rtx = fl->rtx;
    e->hook.event(e, &ev);
}

static void ofo_add(struct flow *fl, uint32_t l, uint32_t r)
{
    for (unsigned i = 0; i < fl->nofo; i++) {
        if (!seq_gt(l, fl->ofo[i].r) && !seq_lt(r, fl->ofo[i].l)) {
            if (seq_lt(l, fl->ofo[i].l)) fl->ofo[i].l = l;
            if (seq_gt(r, fl->ofo[i].r)) fl->ofo[i].r = r;
            return;
        }
    }
    if (fl->nofo < 4) {
        /* newest first, as RFC 2018 §4 asks of the first SACK block */
        memmove(&fl->ofo[1], &fl->ofo[0], fl->nofo * sizeof fl->ofo[0]);
        fl->ofo[0].l = l;
        fl->ofo[0].r = r;
        fl->nofo++;
    }
}

/* Out-of-order ranges that now touch RCV.NXT become in-order bytes. */
static uint32_t ofo_absorb(struct flow *fl)
{
    uint32_t got = 0;
    bool again = true;
    while (again) {
        again = false;
        for (unsigned i = 0; i < fl->nofo; i++) {
            if (seq_le(fl->ofo[i].l, fl->rcv_nxt)) {
                if (seq_gt(fl->ofo[i].r, fl->rcv_nxt)) {
                    got += fl->ofo[i].r - fl->rcv_nxt;
                    fl->rcv_nxt = fl->ofo[i].r;
                }
                memmove(&fl->ofo[i], &fl->ofo[i + 1], (fl->nofo - i - 1) * sizeof fl->ofo[0]);
                fl->nofo--;
                again = true;
                break;
            }
        }
    }
    return got;
}

static void process_ack(struct engine *e, struct flow *fl, const struct frame *f)
{
    if (seq_gt(f->ack, fl->snd_una))
        fl->snd_una = f->ack;
    fl->snd_wnd = (uint32_t)f->win << fl->snd_wscale;
    bool fin_acked = fl->app_closed && f->ack == fl->snd_nxt;
    switch (fl->state) {
    case ST_FIN_WAIT1:
        if (fin_acked) {
            fl->state = ST_FIN_WAIT2;
            timer_arm(&e->ft, fl, TM_LINGER, e->now_us + (uint64_t)e->prof->fin_timeout_ms * 1000);
        }
        break;
    case ST_CLOSING:
        if (fin_acked) {
            fl->state = ST_TIME_WAIT;
            timer_arm(&e->ft, fl, TM_LINGER, e->now_us + (uint64_t)e->prof->time_wait_ms * 1000);
        }
        break;
    default:
        break;
    }
}

/* What a segment gave the application, told to its mode once the state machine is done. */
struct app_news {
    const uint8_t *data;      /* the new in-order bytes (NULL when reassembly joined more) */
    uint32_t n;               /* how many bytes were queued for the application */
    bool psh, fin;            /* the write ended; the peer's FIN arrived */
};

/* A segment on a synchronized connection: acts on it (state, ACK, reset) and fills news
 * with what the application is to hear; news stays empty when the flow was freed.
 * RFC 9293 §3.10.7.4 "Otherwise", its checks in order (the third, security, and the sixth,
 * URG, have nothing to do here). */
static void segment_arrives(struct engine *e, struct flow *fl, const struct frame *f,
                            struct app_news *news)
{
    uint8_t flags = f->flags;
    if (fl->state == ST_TIME_WAIT && (flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
        seq_gt(f->seq, fl->rcv_nxt)) {
        /* tcp_timewait_state_process: a new SYN above the old sequence space reopens */
        flow_release(e, fl);
        no_flow(e, f);
        return;
    }
    /* first: check the sequence number */
    if (!in_window(e, fl, f)) {
        if (!(flags & TH_RST))
            tcp_send_ack(e, fl);   /* RFC 9293: unacceptable segment -> ACK */
        return;
    }
    /* second: check the RST bit */
    if (flags & TH_RST) {
        /* RFC 5961 §3.2: only an exact RCV.NXT resets; in-window otherwise draws a challenge */
        if (f->seq == fl->rcv_nxt) {
            tcp_event(e, fl, EV_PEER_RESET, flags, 0, -1);
            flow_release(e, fl);
        } else {
            tcp_send_ack(e, fl);
            tcp_event(e, fl, EV_CHALLENGE_ACK, flags, 0, TH_ACK);
        }
        return;
    }
    /* fourth: check the SYN bit */
    if (flags & TH_SYN) {
        tcp_send_ack(e, fl);   /* RFC 5961 §4 */
        tcp_event(e, fl, EV_CHALLENGE_ACK, flags, (uint32_t)f->payload_len, TH_ACK);
        return;
    }
    /* fifth: check the ACK field */
    if (!(flags & TH_ACK))
        return;
    if (seq_gt(f->ack, fl->snd_nxt))
        return;                /* acks data never sent: tcp_ack drops it */
    if (fl->ts_ok && f->opt.has_ts && seq_le(f->seq, fl->rcv_nxt))
        fl->ts_recent = f->opt.tsval;
    uint32_t una = fl->snd_una;
    process_ack(e, fl, f);
    if (fl->state == ST_LAST_ACK && fl->app_closed && f->ack == fl->snd_nxt) {
        tcp_event(e, fl, EV_PEER_CLOSE, flags, 0, -1);
        flow_release(e, fl);
        return;
    }
    reply_on_ack(e, fl, fl->snd_una != una);   /* more of the reply may go */
    if (fl->state == ST_FREE)
        return;

    /* seventh: process the segment text */
    uint32_t len = (uint32_t)f->payload_len, fresh = 0, absorbed = 0;
    const uint8_t *fresh_data = NULL;
    bool need_ack = false, fin_now = false;
    if (len) {
        uint32_t end = f->seq + len;
        if ((fl->state == ST_FIN_WAIT1 || fl->state == ST_FIN_WAIT2) && seq_gt(end, fl->rcv_nxt)) {
            /* our side is closed for reading: new data resets (RFC 1122 4.2.2.13;
             * tcp_rcv_state_process TCPABORTONDATA, then tcp_v4_send_reset) */
            int out = tcp_send_reset_for(e, f);
            tcp_event(e, fl, EV_DATA_AFTER_CLOSE, flags, len, out);
            flow_release(e, fl);
            return;
        }
        if (fl->state != ST_ESTABLISHED) {
            need_ack = true;   /* data after the peer's FIN: discard */
        } else if (seq_le(f->seq, fl->rcv_nxt) && seq_gt(end, fl->rcv_nxt)) {
            /* RFC 9293 §3.10.7.4: keep only what fits the window we offered; at zero
             * window nothing is taken, the ACK repeats RCV.NXT and the window */
            uint32_t wnd = tcp_rcv_window(e, fl);
            if (seq_gt(end, fl->rcv_nxt + wnd)) {
                end = fl->rcv_nxt + wnd;
                flags &= (uint8_t)~TH_FIN;   /* a FIN past the window is not yet ours */
            }
            uint32_t skip = fl->rcv_nxt - f->seq;
            fresh = end - fl->rcv_nxt;
            fresh_data = f->payload ? f->payload + skip : NULL;
            need_ack = true;
            if (fresh) {
                fl->rcv_nxt = end;
                absorbed = ofo_absorb(fl);
                fl->unread += fresh + absorbed;
            }
        } else if (seq_gt(f->seq, fl->rcv_nxt)) {
            ofo_add(fl, f->seq, end);
            tcp_send_ack(e, fl);
            return;
        } else {
            need_ack = true;   /* wholly old: duplicate */
        }
    }
    /* eighth: check the FIN bit */
    if ((flags & TH_FIN) && f->seq + len == fl->rcv_nxt && !fl->peer_fin) {
        fl->rcv_nxt++;
        fl->peer_fin = true;
        fin_now = true;
        need_ack = true;
        switch (fl->state) {
        case ST_ESTABLISHED: fl->state = ST_CLOSE_WAIT; break;
        case ST_FIN_WAIT1:
            fl->state = f->ack == fl->snd_nxt ? ST_TIME_WAIT : ST_CLOSING;
            break;
        case ST_FIN_WAIT2: fl->state = ST_TIME_WAIT; break;
        default: break;
        }
        if (fl->state == ST_TIME_WAIT)
            timer_arm(&e->ft, fl, TM_LINGER, e->now_us + (uint64_t)e->prof->time_wait_ms * 1000);
    } else if ((flags & TH_FIN) && fl->peer_fin) {
        need_ack = true;       /* retransmitted FIN: ACK it again */
    }
    if (need_ack)
        tcp_send_ack(e, fl);
    *news = (struct app_news){ absorbed ? NULL : fresh_data, fresh + absorbed,
                               (flags & TH_PSH) != 0, fin_now };
}

/* The state machine decides and acts; then the mode hears what its application read
 * (on_data may close, and so free fl, before the FIN is told). */
static void synchronized(struct engine *e, struct flow *fl, const struct frame *f)
{
    struct app_news news = { 0 };
    segment_arrives(e, fl, f, &news);
    if (!news.n && !news.fin)
        return;                /* nothing for the application, or fl was freed */
    const struct mode_ops *m = mode_of(fl);
    if (news.n && m->on_data) {
        m->on_data(e, fl->rule, fl, news.data, news.n, news.psh);
        if (fl->state == ST_FREE)
            return;
    }
    if (news.fin && m->on_peer_fin && !fl->app_closed)
        m->on_peer_fin(e, fl->rule, fl);
}

/* --idle-close dropped this connection: the peer's next segment meets a host that knows
 * nothing of it and draws the RFC 793 reset, as from no flow; the flow was kept only to
 * name it. A new SYN on the same ports opens a new connection. */
static void forgotten(struct engine *e, struct flow *fl, const struct frame *f)
{
    flow_release(e, fl);
    if ((f->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
        no_flow(e, f);
        return;
    }
    int out = tcp_send_reset_for(e, f);
    if (out >= 0)
        event_for_frame(e, f, engine_rule_for(e, f), EV_STALE_CONNECTION, out);
}

void tcp_input(struct engine *e, const struct frame *f)
{
    struct flow *fl = f->l3 == L3_IPV6 ? flow_lookup6(&e->ft, f->saddr6, f->sport, f->daddr6, f->dport)
                                       : flow_lookup(&e->ft, f->saddr, f->sport, f->daddr, f->dport);
    if (!fl) {
        no_flow(e, f);
        return;
    }
    switch (fl->state) {
    case ST_SYN_PENDING: in_syn_pending(e, fl, f); break;
    case ST_SYN_RCVD:    in_syn_rcvd(e, fl, f); break;
    case ST_FORGOTTEN:   forgotten(e, fl, f); break;
    default:             synchronized(e, fl, f); break;
    }
}
