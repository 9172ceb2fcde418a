/* The TCP engine frame-in, frame-out: each mode and the RFC 5961 / RFC 793 rules, with
 * every field that a peer would check. Frames are built with the packet model and the
 * engine's output is recorded instead of sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "craft.h"
#include "csum.h"
#include "engine.h"
#include "mode.h"
#include "reply.h"
#include "nmapdb.h"
#include "profile_ext.h"
#include "mode_values.h"

#define CLI  0xc6120001u   /* 198.18.0.1 */
#define SRV  0xc612000au   /* 198.18.0.10 */
static const uint8_t cmac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 10 };

struct rec { uint8_t buf[32][2048]; size_t len[32]; int n; };
static struct rec rec;
static int record(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    if (rec.n < 32 && len <= sizeof rec.buf[0]) {
        memcpy(rec.buf[rec.n], frame, len);
        rec.len[rec.n++] = len;
    }
    return 0;
}

struct fx {
    struct engine e;
    struct ruleset rs;
    struct addrset as;
    struct tmpl_tcp4 t;
    uint8_t frame[FRAME_MAX];
    struct frame f;
    uint32_t cseq;   /* client's next sequence number */
};

static struct fx *fx_new(const char *mode, void (*tweak)(struct mode_params *))
{
    static struct fx x;
    memset(&x, 0, sizeof x);
    char err[512];
    ruleset_init(&x.rs);
    x.rs.dflt.mode = mode_find(mode);
    assert_non_null(x.rs.dflt.mode);
    if (tweak)
        tweak(&x.rs.dflt.p);
    assert_int_equal(reply_resolve(&x.rs.dflt.p.reply, err, sizeof err), 0);
    ruleset_own(&x.rs, x.rs.dflt.p.reply.body);
    assert_int_equal(addrset_add(&x.as, SRV), 0);
    assert_int_equal(engine_init(&x.e, &x.rs, profile_find("linux"), NULL, &x.as, NULL, smac, 1000, err), 0);
    x.e.send = record;
    x.e.ev.quiet = true;
    assert_int_equal(tmpl_tcp4_init(&x.t, cmac, smac, err), 0);
    rec.n = 0;
    x.cseq = 1000;
    return &x;
}

static void fx_free(struct fx *x)
{
    engine_free(&x->e);
    ruleset_free(&x->rs);
    addrset_free(&x->as);
}

/* Client -> responder segment with Linux-like SYN options when syn_opts. */
static uint16_t client_port = 40000;
static uint16_t client_win = 502;   /* unscaled; the SYN's wscale is 10 */

static void send_seg(struct fx *x, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                     size_t len, bool syn_opts)
{
    static const uint8_t linux_syn[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 10 };
    struct ip4_spec ip = { .saddr = CLI, .daddr = SRV, .ttl = 64, .df = true, .id = 1 };
    struct tcp_spec tcp = { .sport = client_port, .dport = 80, .seq = seq, .ack = ack, .flags = flags,
                            .win = client_win, .opts = syn_opts ? linux_syn : NULL,
                            .optlen = syn_opts ? sizeof linux_syn : 0 };
    size_t n = tmpl_tcp4_build(&x->t, x->frame, sizeof x->frame, cmac, smac, &ip, &tcp, data, len);
    assert_true(n > 0);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    x->e.now_us = mono_us();
    engine_rx(&x->e, &x->f);
}

static struct frame out(int i)
{
    struct frame f;
    assert_true(i < rec.n);
    assert_int_equal(pkt_parse(&f, rec.buf[i], rec.len[i]), PKT_OK);
    assert_int_equal(f.l4, L4_TCP);
    assert_int_equal(f.saddr, SRV);
    assert_int_equal(f.daddr, CLI);
    assert_memory_equal(f.eth_dst, cmac, 6);
    return f;
}

/* SYN, SYN-ACK, ACK; returns our ISS. */
static uint32_t handshake(struct fx *x)
{
    send_seg(x, TH_SYN, x->cseq, 0, NULL, 0, true);
    assert_int_equal(rec.n, 1);
    struct frame sa = out(0);
    assert_int_equal(sa.flags, TH_SYN | TH_ACK);
    x->cseq++;
    send_seg(x, TH_ACK, x->cseq, sa.seq + 1, NULL, 0, false);
    rec.n = 0;
    return sa.seq;
}

static void test_rst_mode(void **st)
{
    (void)st;
    struct fx *x = fx_new("rst", NULL);
    send_seg(x, TH_SYN, 1000, 0, NULL, 0, true);
    assert_int_equal(rec.n, 1);
    struct frame r = out(0);
    assert_int_equal(r.flags, TH_RST | TH_ACK);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.ack, 1001);
    assert_int_equal(r.win, 0);
    assert_int_equal(r.ttl, 64);
    assert_true(r.df);
    assert_int_equal(r.ip_id, 0);
    assert_int_equal(r.doff, 20);
    /* an ACK gets a bare RST at SEG.ACK; an RST gets nothing */
    send_seg(x, TH_ACK, 5, 777, NULL, 0, false);
    r = out(1);
    assert_int_equal(r.flags, TH_RST);
    assert_int_equal(r.seq, 777);
    send_seg(x, TH_RST, 5, 0, NULL, 0, false);
    assert_int_equal(rec.n, 2);
    assert_int_equal(x->e.ev.counts[EV_CLOSED_PORT], 1);
    assert_int_equal(x->e.ev.counts[EV_UNKNOWN_FLOW], 1);
    fx_free(x);
}

/* The TCP core reaches the world only through e->hook: with the hooks replaced, every frame
 * and event of a connection (the application's close included) arrives there, and nothing
 * reaches the engine's own stream or wire counter. */
static enum ev_kind hook_kinds[16];
static int hook_events;
static void hook_frame(struct engine *e, const uint8_t *frame, size_t len)
{
    (void)e;
    record(NULL, frame, len);
}
static void hook_event(struct engine *e, const struct ev *ev)
{
    (void)e;
    if (hook_events < 16)
        hook_kinds[hook_events++] = ev->kind;
}

static void test_core_hooks(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    x->e.hook.frame = hook_frame;
    x->e.hook.event = hook_event;
    hook_events = 0;
    uint32_t iss = handshake(x);
    send_seg(x, TH_FIN | TH_ACK, x->cseq, iss + 1, NULL, 0, false);   /* the peer closes */
    assert_int_equal(rec.n, 2);                       /* our ACK of its FIN, then our FIN */
    assert_int_equal(out(1).flags, TH_FIN | TH_ACK);
    send_seg(x, TH_ACK, x->cseq + 1, iss + 2, NULL, 0, false);
    static const enum ev_kind want[] = { EV_SYNACK, EV_HANDSHAKE, EV_FIN_CLOSE, EV_PEER_CLOSE };
    assert_int_equal(hook_events, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(hook_kinds[i], want[i]);
    assert_int_equal(x->e.ev.total, 0);
    assert_int_equal(x->e.tx_frames, 0);
    assert_int_equal(x->e.ft.used, 0);
    fx_free(x);
}

static void test_silent_mode(void **st)
{
    (void)st;
    struct fx *x = fx_new("silent", NULL);
    send_seg(x, TH_SYN, 1000, 0, NULL, 0, true);
    send_seg(x, TH_ACK, 1000, 5, NULL, 0, false);
    assert_int_equal(rec.n, 0);
    assert_int_equal(x->e.ev.counts[EV_SILENT_DROP], 1);
    fx_free(x);
}

static void test_synack_fields(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    send_seg(x, TH_SYN, 1000, 0, NULL, 0, true);
    struct frame sa = out(0);
    assert_int_equal(sa.ack, 1001);
    assert_int_equal(sa.win, 65160);
    assert_int_equal(sa.ip_id, 0);
    assert_true(sa.df);
    assert_int_equal(sa.doff, 40);
    /* Linux: mss 1460, sackOK, TS, nop, wscale 10 */
    const uint8_t *o = rec.buf[0] + 14 + 20 + 20;
    static const uint8_t head[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10 };
    assert_memory_equal(o, head, sizeof head);
    assert_int_equal(o[16], 1);
    assert_int_equal(o[17], 3);
    assert_int_equal(o[18], 3);
    assert_int_equal(o[19], 10);
    assert_int_equal(sa.opt.tsecr, 1);   /* echoes the SYN's TSval */
    fx_free(x);
}

static void test_open_data_and_close(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    uint32_t iss = handshake(x);
    assert_int_equal(x->e.ev.counts[EV_HANDSHAKE], 1);
    char data[100];
    memset(data, 'a', sizeof data);
    send_seg(x, TH_ACK | TH_PSH, x->cseq, iss + 1, data, sizeof data, false);
    struct frame a = out(0);
    assert_int_equal(a.flags, TH_ACK);
    assert_int_equal(a.ack, x->cseq + 100);
    assert_int_equal(a.seq, iss + 1);
    x->cseq += 100;
    rec.n = 0;
    send_seg(x, TH_FIN | TH_ACK, x->cseq, iss + 1, NULL, 0, false);
    /* ACK of the FIN, then the application's FIN */
    assert_int_equal(rec.n, 2);
    struct frame fin = out(1);
    assert_int_equal(fin.flags, TH_FIN | TH_ACK);
    assert_int_equal(fin.ack, x->cseq + 1);
    send_seg(x, TH_ACK, x->cseq + 1, iss + 2, NULL, 0, false);
    assert_int_equal(x->e.ft.used, 0);
    assert_int_equal(x->e.ev.counts[EV_PEER_CLOSE], 1);
    fx_free(x);
}

static void test_rfc5961(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    uint32_t iss = handshake(x);
    /* in-window but inexact RST: challenge ACK, the flow lives */
    send_seg(x, TH_RST, x->cseq + 10, 0, NULL, 0, false);
    assert_int_equal(rec.n, 1);
    struct frame c = out(0);
    assert_int_equal(c.flags, TH_ACK);
    assert_int_equal(c.ack, x->cseq);
    assert_int_equal(x->e.ft.used, 1);
    /* SYN on an established flow: challenge ACK */
    send_seg(x, TH_SYN, x->cseq + 5000, 0, NULL, 0, false);
    assert_int_equal(rec.n, 2);
    assert_int_equal(x->e.ev.counts[EV_CHALLENGE_ACK], 2);
    /* out-of-window RST: ignored */
    send_seg(x, TH_RST, x->cseq + 10000000, 0, NULL, 0, false);
    assert_int_equal(rec.n, 2);
    /* exact RST: the flow is gone, nothing sent */
    send_seg(x, TH_RST, x->cseq, 0, NULL, 0, false);
    assert_int_equal(rec.n, 2);
    assert_int_equal(x->e.ft.used, 0);
    (void)iss;
    fx_free(x);
}

static void test_out_of_order_sack(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    uint32_t iss = handshake(x);
    char d[100] = {0};
    send_seg(x, TH_ACK, x->cseq + 100, iss + 1, d, 100, false);   /* hole at [0,100) */
    struct frame a = out(0);
    assert_int_equal(a.ack, x->cseq);
    assert_int_equal(a.opt.nsack, 1);
    assert_int_equal(a.opt.sack[0].l, x->cseq + 100);
    assert_int_equal(a.opt.sack[0].r, x->cseq + 200);
    send_seg(x, TH_ACK, x->cseq, iss + 1, d, 100, false);         /* fills the hole */
    a = out(1);
    assert_int_equal(a.ack, x->cseq + 200);
    assert_int_equal(a.opt.nsack, 0);
    /* a retransmission of old data: duplicate ACK */
    send_seg(x, TH_ACK, x->cseq, iss + 1, d, 100, false);
    a = out(2);
    assert_int_equal(a.ack, x->cseq + 200);
    fx_free(x);
}

static void test_unread_resets(void **st)
{
    (void)st;
    struct fx *x = fx_new("unread", NULL);
    uint32_t iss = handshake(x);
    static char d[5000];
    send_seg(x, TH_ACK | TH_PSH, x->cseq, iss + 1, d, 5000, false);
    assert_int_equal(rec.n, 2);
    struct frame a = out(0), r = out(1);
    assert_int_equal(a.flags, TH_ACK);
    assert_int_equal(r.flags, TH_RST | TH_ACK);
    assert_int_equal(r.seq, iss + 1);
    assert_int_equal(r.ack, x->cseq + 5000);
    assert_true(r.win > 0);
    assert_true(r.opt.has_ts);
    assert_int_equal(r.ip_id, (uint16_t)(a.ip_id + 1));
    assert_int_equal(x->e.ev.counts[EV_UNREAD_RESET], 1);
    assert_int_equal(x->e.ft.used, 0);
    fx_free(x);
}

static void test_unread_all_read_fin(void **st)
{
    (void)st;
    struct fx *x = fx_new("unread", NULL);
    uint32_t iss = handshake(x);
    static char d[4000];
    send_seg(x, TH_ACK | TH_PSH, x->cseq, iss + 1, d, 4000, false);
    assert_int_equal(rec.n, 2);
    assert_int_equal(out(1).flags, TH_FIN | TH_ACK);
    assert_int_equal(x->e.ev.counts[EV_FIN_CLOSE], 1);
    fx_free(x);
}

static void test_after_close_data_resets(void **st)
{
    (void)st;
    struct fx *x = fx_new("after-close", NULL);
    uint32_t iss = handshake(x);
    static char d[4096];
    send_seg(x, TH_ACK | TH_PSH, x->cseq, iss + 1, d, 4096, false);
    assert_int_equal(out(1).flags, TH_FIN | TH_ACK);
    x->cseq += 4096;
    send_seg(x, TH_ACK, x->cseq, iss + 2, NULL, 0, false);   /* our FIN ACKed */
    rec.n = 0;
    send_seg(x, TH_ACK | TH_PSH, x->cseq, iss + 2, d, 4096, false);
    assert_int_equal(rec.n, 1);
    struct frame r = out(0);
    assert_int_equal(r.flags, TH_RST);
    assert_int_equal(r.seq, iss + 2);
    assert_int_equal(r.win, 0);
    assert_int_equal(r.doff, 20);
    assert_int_equal(x->e.ev.counts[EV_DATA_AFTER_CLOSE], 1);
    fx_free(x);
}

static void backlog1(struct mode_params *p) { pset(p, "backlog", 1); }
static void backlog1_abort(struct mode_params *p) { pset(p, "backlog", 1); pset(p, "abort-on-overflow", 1); }

static void test_backlog(void **st)
{
    (void)st;
    struct fx *x = fx_new("backlog", backlog1);
    handshake(x);
    /* a second client port: the queue is full, its SYN is dropped */
    struct ip4_spec ip = { .saddr = CLI, .daddr = SRV, .ttl = 64 };
    struct tcp_spec tcp = { .sport = 40001, .dport = 80, .seq = 9, .flags = TH_SYN, .win = 100 };
    size_t n = tmpl_tcp4_build(&x->t, x->frame, sizeof x->frame, cmac, smac, &ip, &tcp, NULL, 0);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 0);
    assert_int_equal(x->e.ev.counts[EV_SYN_DROPPED_BACKLOG], 1);
    fx_free(x);

    x = fx_new("backlog", backlog1_abort);
    handshake(x);
    tcp.seq = 9;
    n = tmpl_tcp4_build(&x->t, x->frame, sizeof x->frame, cmac, smac, &ip, &tcp, NULL, 0);
    pkt_parse(&x->f, x->frame, n);
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 1);
    struct frame sa = out(0);
    assert_int_equal(sa.flags, TH_SYN | TH_ACK);
    tcp.flags = TH_ACK;
    tcp.seq = 10;
    tcp.ack = sa.seq + 1;
    n = tmpl_tcp4_build(&x->t, x->frame, sizeof x->frame, cmac, smac, &ip, &tcp, NULL, 0);
    pkt_parse(&x->f, x->frame, n);
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 2);
    struct frame r = out(1);
    assert_int_equal(r.flags, TH_RST);
    assert_int_equal(r.seq, sa.seq + 1);
    assert_int_equal(x->e.ev.counts[EV_BACKLOG_RESET], 1);
    fx_free(x);
}

/* Under a SYN flood a SYN-ACK is sent once (syncookie-like) from the moment more than half
 * the table (1000 flows here) is taken until it is back under a quarter: 600 half-open flows
 * time out together; those seen with 250 or more live are dropped, the last 249 retransmit.
 * Without the way back at a quarter, 500 would retransmit. */
static void test_syn_flood_hysteresis(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    for (int i = 0; i < 600; i++) {
        client_port = (uint16_t)(20000 + i);
        send_seg(x, TH_SYN, 1000u + (uint32_t)i, 0, NULL, 0, true);
    }
    client_port = 40000;
    assert_int_equal(x->e.ft.used, 600);
    assert_int_equal(x->e.ev.counts[EV_SYNACK], 600);
    rec.n = 0;
    struct timespec ts = { 1, 50000000 };   /* past Linux's first SYN-ACK timeout, 1 s */
    nanosleep(&ts, NULL);
    engine_timers(&x->e);
    assert_int_equal(x->e.ev.counts[EV_SYNACK_TIMEOUT], 351);
    assert_int_equal(x->e.ft.used, 249);
    assert_false(x->e.syn_flood);
    fx_free(x);
}

static void delay5(struct mode_params *p) { pset(p, "delay", 5); }

static void test_delay(void **st)
{
    (void)st;
    struct fx *x = fx_new("delay", delay5);
    send_seg(x, TH_SYN, 1000, 0, NULL, 0, true);
    assert_int_equal(rec.n, 0);
    uint64_t t0 = mono_us();
    while (rec.n == 0 && mono_us() - t0 < 1000000) {
        struct timespec ts = { 0, 200000 };
        nanosleep(&ts, NULL);
        engine_timers(&x->e);
    }
    assert_int_equal(rec.n, 1);
    assert_true(mono_us() - x->e.ft.v[0].syn_us >= 5000);
    struct frame sa = out(0);
    assert_int_equal(sa.flags, TH_SYN | TH_ACK);
    /* the client gave up: its kernel resets the late SYN-ACK */
    send_seg(x, TH_RST, 1001, 0, NULL, 0, false);
    assert_int_equal(x->e.ev.counts[EV_CLIENT_ABORT], 1);
    assert_int_equal(x->e.ft.used, 0);
    fx_free(x);
}

static void test_zero_window(void **st)
{
    (void)st;
    /* a backlog connection is never read: its window closes and data past it is refused */
    struct fx *x = fx_new("backlog", NULL);
    uint32_t iss = handshake(x);
    static char d[1400];
    uint32_t taken = 0;
    for (int i = 0; i < 60; i++) {
        rec.n = 0;
        send_seg(x, TH_ACK, x->cseq + taken, iss + 1, d, sizeof d, false);
        struct frame a = out(0);
        taken = a.ack - x->cseq;
    }
    assert_int_equal(taken, 65160);          /* exactly the window offered, no more */
    rec.n = 0;
    send_seg(x, TH_ACK, x->cseq + taken, iss + 1, d, sizeof d, false);
    struct frame a = out(0);
    assert_int_equal(a.ack, x->cseq + 65160);
    assert_int_equal(a.win, 0);
    fx_free(x);
}

static void test_listen_stray_ack(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    send_seg(x, TH_ACK, 5, 4242, NULL, 0, false);
    assert_int_equal(rec.n, 1);
    struct frame r = out(0);
    assert_int_equal(r.flags, TH_RST);
    assert_int_equal(r.seq, 4242);
    /* SYN|FIN to a listener is discarded (tcp_rcv_state_process) */
    send_seg(x, TH_SYN | TH_FIN, 5, 0, NULL, 0, false);
    assert_int_equal(rec.n, 1);
    fx_free(x);
}

/* --- the reply: segments, window, reset part-way, pacing, retransmission, idle close --- */

static void reply_5000(struct mode_params *p)
{
    static char big[5001];
    memset(big, 'x', 5000);
    big[0] = 'A';
    big[4999] = 'Z';
    char err[128];
    assert_int_equal(reply_set(&p->reply, big, "reply", err, sizeof err), 0);
}

static struct flow *the_flow(struct fx *x)
{
    struct flow *fl = flow_lookup(&x->e.ft, CLI, client_port, SRV, 80);
    assert_non_null(fl);
    return fl;
}

/* The client's request with PSH; returns our ISS + 1 (the reply's first sequence number). */
static uint32_t request(struct fx *x)
{
    uint32_t iss = handshake(x);
    send_seg(x, TH_ACK | TH_PSH, x->cseq, iss + 1, "GET /\r\n", 7, false);
    x->cseq += 7;
    return iss + 1;
}

/* Frame i carries reply bytes [off, off + len) at seq0 + off. */
static struct frame data_seg(int i, uint32_t seq0, uint32_t off, uint32_t len, bool psh)
{
    struct frame d = out(i);
    assert_int_equal(d.seq, seq0 + off);
    assert_int_equal(d.payload_len, len);
    assert_int_equal(d.flags, TH_ACK | (psh ? TH_PSH : 0));
    return d;
}

static void test_reply_by_mss(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", reply_5000);
    uint32_t s0 = request(x);
    /* the request's ACK, then 1448 x 3 + 656 (MSS 1460 less the timestamps), PSH at the end */
    assert_int_equal(rec.n, 5);
    assert_int_equal(out(0).payload_len, 0);
    struct frame d = data_seg(1, s0, 0, 1448, false);
    assert_int_equal(d.payload[0], 'A');
    assert_int_equal(d.ack, x->cseq);
    data_seg(2, s0, 1448, 1448, false);
    data_seg(3, s0, 2896, 1448, false);
    d = data_seg(4, s0, 4344, 656, true);
    assert_int_equal(d.payload[655], 'Z');
    assert_int_equal(x->e.ev.counts[EV_REPLY], 1);
    /* open: no FIN until the peer closes; the peer's FIN is answered by ACK and FIN */
    rec.n = 0;
    send_seg(x, TH_ACK | TH_FIN, x->cseq, s0 + 5000, NULL, 0, false);
    assert_int_equal(rec.n, 2);
    struct frame fin = out(1);
    assert_int_equal(fin.flags, TH_FIN | TH_ACK);
    assert_int_equal(fin.seq, s0 + 5000);
    fx_free(x);
}

static void test_reply_respects_window(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", reply_5000);
    client_win = 3;   /* 3 << 10 = 3072 bytes */
    uint32_t s0 = request(x);
    /* two full segments fit; the 176 bytes left are not sent while data is in flight */
    assert_int_equal(rec.n, 3);
    data_seg(1, s0, 0, 1448, false);
    data_seg(2, s0, 1448, 1448, false);
    rec.n = 0;
    send_seg(x, TH_ACK, x->cseq, s0 + 1448, NULL, 0, false);   /* window slides by 1448 */
    assert_int_equal(rec.n, 1);
    data_seg(0, s0, 2896, 1448, false);
    client_win = 502;
    rec.n = 0;
    send_seg(x, TH_ACK, x->cseq, s0 + 4344, NULL, 0, false);
    assert_int_equal(rec.n, 1);
    data_seg(0, s0, 4344, 656, true);
    fx_free(x);
}

static void test_reply_zero_window_probe(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", reply_5000);
    client_win = 0;
    uint32_t s0 = request(x);
    struct flow *fl = the_flow(x);
    assert_int_equal(rec.n, 1);   /* the request's ACK; no data into a zero window */
    assert_int_equal(fl->timer, TM_REPLY);
    rec.n = 0;
    x->e.now_us = fl->deadline_us;
    reply_timer(&x->e, fl);
    /* the persist probe: an old sequence number that draws the peer's ACK and window */
    assert_int_equal(rec.n, 1);
    struct frame pr = out(0);
    assert_int_equal(pr.seq, s0 - 1);
    assert_int_equal(pr.payload_len, 0);
    client_win = 502;
    rec.n = 0;
    send_seg(x, TH_ACK, x->cseq, s0, NULL, 0, false);   /* the window opens */
    assert_int_equal(rec.n, 4);
    data_seg(0, s0, 0, 1448, false);
    fx_free(x);
}

static void reset_after_2000(struct mode_params *p) { reply_5000(p); p->reply.reset_after = 2000; }

static void test_reply_reset_after(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", reset_after_2000);
    uint32_t s0 = request(x);
    assert_int_equal(rec.n, 4);
    data_seg(1, s0, 0, 1448, false);
    data_seg(2, s0, 1448, 552, true);
    struct frame r = out(3);
    assert_int_equal(r.flags, TH_RST | TH_ACK);
    assert_int_equal(r.seq, s0 + 2000);
    assert_int_equal(r.ack, x->cseq);
    assert_int_equal(x->e.ev.counts[EV_REPLY_RESET], 1);
    assert_int_equal(x->e.ft.used, 0);
    fx_free(x);
}

static void test_reply_retransmission(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", reply_5000);
    uint32_t s0 = request(x);
    struct flow *fl = the_flow(x);
    /* RTO: the handshake's RTT sample + 200 ms (tcp_rto_min), doubling */
    assert_int_equal(fl->timer, TM_REPLY);
    uint64_t rto = fl->deadline_us - x->e.now_us;
    assert_true(rto >= 200000 && rto < 300000);
    rec.n = 0;
    x->e.now_us = fl->deadline_us;
    reply_timer(&x->e, fl);
    assert_int_equal(rec.n, 1);   /* the head segment only */
    data_seg(0, s0, 0, 1448, false);
    assert_int_equal(fl->deadline_us - x->e.now_us, 2 * rto);
    /* a partial ACK in recovery sends the next segment at once (RFC 6582) */
    rec.n = 0;
    send_seg(x, TH_ACK, x->cseq, s0 + 1448, NULL, 0, false);
    assert_int_equal(rec.n, 1);
    data_seg(0, s0, 1448, 1448, false);
    /* everything acknowledged: no timer left */
    rec.n = 0;
    send_seg(x, TH_ACK, x->cseq, s0 + 5000, NULL, 0, false);
    assert_int_equal(rec.n, 0);
    assert_int_equal(fl->timer, TM_NONE);
    /* the retries are bounded: the flow goes, with no word to the peer */
    send_seg(x, TH_ACK | TH_PSH, x->cseq, s0 + 5000, "GET /\r\n", 7, false);
    x->cseq += 7;
    rec.n = 0;
    for (int i = 0; i < 9 && x->e.ft.used; i++) {
        x->e.now_us = fl->deadline_us;
        reply_timer(&x->e, fl);
    }
    assert_int_equal(rec.n, 8);
    assert_int_equal(x->e.ft.used, 0);
    assert_int_equal(x->e.ev.counts[EV_RTX_TIMEOUT], 1);
    fx_free(x);
}

static void paced(struct mode_params *p)
{
    char err[128];
    assert_int_equal(reply_set(&p->reply, "0123456789", "reply", err, sizeof err), 0);
    p->reply.rate = 40;           /* segments of 4 bytes, every 100 ms */
    p->reply.delay_ms = 50;
}

static void test_reply_delay_and_rate(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", paced);
    uint32_t s0 = request(x);
    struct flow *fl = the_flow(x);
    assert_int_equal(rec.n, 1);   /* the ACK; the reply waits 50 ms */
    assert_int_equal(fl->deadline_us - x->e.now_us, 50000);
    static const uint32_t lens[] = { 4, 4, 2 };
    for (int i = 0; i < 3; i++) {
        rec.n = 0;
        x->e.now_us = fl->deadline_us;
        reply_timer(&x->e, fl);
        assert_int_equal(rec.n, 1);
        struct frame d = data_seg(0, s0, 4u * (uint32_t)i, lens[i], true);
        static const char digits[] = "0123456789";
        assert_memory_equal(d.payload, &digits[4 * i], lens[i]);
        if (i < 2)   /* the next one 4 bytes at 40 B/s later (the RTO is further) */
            assert_int_equal(fl->deadline_us - x->e.now_us, 100000);
        uint64_t next = fl->deadline_us;
        send_seg(x, TH_ACK, x->cseq, s0 + 4u * (uint32_t)i + lens[i], NULL, 0, false);
        if (i < 2)   /* the ACK leaves the pacing as it was */
            assert_int_equal(fl->deadline_us, next);
    }
    fx_free(x);
}

static void four_segments(struct mode_params *p) { reply_5000(p); p->reply.segments = 4; }

static void test_reply_segments(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", four_segments);
    uint32_t s0 = request(x);
    assert_int_equal(rec.n, 5);
    for (int i = 0; i < 4; i++)
        data_seg(1 + i, s0, 1250u * (uint32_t)i, 1250, true);
    fx_free(x);
}

static void unread_reply(struct mode_params *p)
{
    char err[128];
    assert_int_equal(reply_set(&p->reply, "hello\\r\\n", "reply", err, sizeof err), 0);
    pset(p, "read", 3);
}

static void test_unread_reply_then_reset(void **st)
{
    (void)st;
    struct fx *x = fx_new("unread", unread_reply);
    uint32_t s0 = request(x);
    /* ACK, the reply, then RST|ACK at SND.NXT: 4 of the 7 request bytes were never read */
    assert_int_equal(rec.n, 3);
    struct frame d = data_seg(1, s0, 0, 7, true);
    assert_memory_equal(d.payload, "hello\r\n", 7);
    struct frame r = out(2);
    assert_int_equal(r.flags, TH_RST | TH_ACK);
    assert_int_equal(r.seq, s0 + 7);
    assert_int_equal(x->e.ev.counts[EV_UNREAD_RESET], 1);
    fx_free(x);
}

static void idle_close(struct mode_params *p)
{
    char err[128];
    assert_int_equal(reply_set(&p->reply, "http", "reply", err, sizeof err), 0);
    p->reply.size = 10;
    p->reply.idle_close_s = 2;
}

static void test_idle_close_stale(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", idle_close);
    uint32_t s0 = request(x);
    struct frame d = out(1);
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
                               "Connection: keep-alive\r\n\r\n";
    assert_int_equal(d.payload_len, sizeof head - 1 + 10);
    assert_memory_equal(d.payload, head, sizeof head - 1);
    uint32_t end = s0 + (uint32_t)d.payload_len;
    send_seg(x, TH_ACK, x->cseq, end, NULL, 0, false);
    struct flow *fl = the_flow(x);
    assert_int_equal(fl->timer, TM_REPLY);
    assert_int_equal(fl->deadline_us - x->e.now_us, 2000000);
    /* quiet for 2 s: forgotten without a word */
    rec.n = 0;
    x->e.now_us = fl->deadline_us;
    reply_timer(&x->e, fl);
    assert_int_equal(rec.n, 0);
    assert_int_equal(x->e.ev.counts[EV_IDLE_FORGET], 1);
    /* the next request on the connection draws the reset of a host that knows nothing */
    send_seg(x, TH_ACK | TH_PSH, x->cseq, end, "GET /\r\n", 7, false);
    assert_int_equal(rec.n, 1);
    struct frame r = out(0);
    assert_int_equal(r.flags, TH_RST);
    assert_int_equal(r.seq, end);
    assert_int_equal(x->e.ev.counts[EV_STALE_CONNECTION], 1);
    assert_int_equal(x->e.ft.used, 0);
    fx_free(x);
}

/* A personality whose answer to nmap's first probe sets its own seq and ack (S=Z, A=Z):
 * the engine's SYN-ACK on the wire and the offline simulation (nmap_sim.c) must agree,
 * since both go through seg_answer_seqack. */
static void test_probe_answer_seq_ack_rules(void **st)
{
    (void)st;
    static struct personality pers;
    pers = *personality_builtin_find("windows7");
    struct seg_answer *sa = &pers.ans.probe[NP_SEQ1];
    assert_true(pers.ans.probe_mask & (1u << NP_SEQ1));
    sa->seq = SEQR_ZERO;
    sa->ack = ACKR_ZERO;
    struct fx *x = fx_new("open", NULL);
    engine_free(&x->e);
    char err[512];
    assert_int_equal(engine_init(&x->e, &x->rs, &pers.prof, &pers.ans, &x->as, NULL, smac, 1000, err), 0);
    x->e.send = record;
    x->e.ev.quiet = true;
    /* nmap's SEQ1 probe: window 1, its option bytes (answers.c's table) */
    static const uint8_t seq1[] = { 3, 3, 10, 1, 2, 4, 5, 0xb4, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2 };
    struct ip4_spec ip = { .saddr = CLI, .daddr = SRV, .ttl = 64, .id = 1 };
    struct tcp_spec tcp = { .sport = 45000, .dport = 80, .seq = 777, .ack = 4242, .flags = TH_SYN, .win = 1,
                            .opts = seq1, .optlen = sizeof seq1 };
    size_t n = tmpl_tcp4_build(&x->t, x->frame, sizeof x->frame, cmac, smac, &ip, &tcp, NULL, 0);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    assert_int_equal(nmap_probe_of(&x->f), NP_SEQ1);
    x->e.now_us = mono_us();
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 1);
    struct frame r = out(0);
    assert_int_equal(r.flags & (TH_SYN | TH_ACK), TH_SYN | TH_ACK);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.ack, 0);
    static char buf[8192];
    struct nmapdb_entry obs;
    assert_true(nmapdb_simulate(&pers, 1, &obs, buf, sizeof buf));
    assert_string_equal(nmapdb_get(&obs, NT_T1, "S"), "Z");
    assert_string_equal(nmapdb_get(&obs, NT_T1, "A"), "Z");
    fx_free(x);
}

/* ---- IPv6: the same engine, the same events, IPv6 segments out ---- */
static const uint8_t CLI6[16] = { 0x20, 0x01, 0, 2, [15] = 0x01 };
static const uint8_t SRV6[16] = { 0x20, 0x01, 0, 2, [15] = 0x10 };

static void send_seg6(struct fx *x, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
                      const void *data, size_t len)
{
    static const uint8_t syn_opts[] = { 2, 4, 5, 0xa0, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 10 };
    struct tmpl_tcp6 t6;
    char err[256];
    assert_int_equal(tmpl_tcp6_init(&t6, cmac, smac, err), 0);
    struct ip6_hdr_spec ip = { .saddr = CLI6, .daddr = SRV6, .hlim = 64, .flowlabel = 0x12345 };
    bool syn = flags & TH_SYN;
    struct tcp_spec tcp = { .sport = sport, .dport = 80, .seq = seq, .ack = ack, .flags = flags,
                            .win = client_win, .opts = syn ? syn_opts : NULL,
                            .optlen = syn ? sizeof syn_opts : 0 };
    size_t n = tmpl_tcp6_build(&t6, x->frame, sizeof x->frame, cmac, smac, &ip, &tcp, data, len);
    assert_true(n > 0);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    x->e.now_us = mono_us();
    engine_rx(&x->e, &x->f);
}

static struct frame out6(int i)
{
    struct frame f;
    assert_true(i < rec.n);
    assert_int_equal(pkt_parse(&f, rec.buf[i], rec.len[i]), PKT_OK);
    assert_int_equal(f.l3, L3_IPV6);
    assert_int_equal(f.l4, L4_TCP);
    assert_memory_equal(f.saddr6, SRV6, 16);
    assert_memory_equal(f.daddr6, CLI6, 16);
    assert_memory_equal(f.eth_dst, cmac, 6);
    assert_int_equal(f.ttl, 64);             /* hop limit */
    assert_int_equal(f.tos, 0);              /* traffic class */
    assert_int_equal(f.ip_hlen, 40);
    /* the TCP checksum over the IPv6 pseudo-header sums to zero */
    uint32_t s = csum_pseudo6(f.saddr6, f.daddr6, 6, (uint32_t)f.l4_len);
    assert_int_equal(csum_fold(csum_partial(f.data + f.l4_off, f.l4_len, s)), 0);
    return f;
}

static void test_ipv6_flow(void **st)
{
    (void)st;
    struct fx *x = fx_new("open", NULL);
    assert_int_equal(addrset_add6(&x->as, SRV6), 0);
    send_seg6(x, 41000, TH_SYN, 5000, 0, NULL, 0);
    assert_int_equal(rec.n, 1);
    struct frame sa = out6(0);
    assert_int_equal(sa.flags, TH_SYN | TH_ACK);
    assert_int_equal(sa.ack, 5001);
    assert_true(sa.opt.has_mss);
    assert_int_equal(sa.opt.mss, 1440);      /* 1460 less the longer IPv6 header */
    uint32_t label = sa.flowlabel;
    /* the IPv4 flow of the same ports is another flow */
    assert_null(flow_lookup(&x->e.ft, CLI, 41000, SRV, 80));
    struct flow *fl = flow_lookup6(&x->e.ft, CLI6, 41000, SRV6, 80);
    assert_non_null(fl);
    assert_true(fl->v6);
    send_seg6(x, 41000, TH_ACK, 5001, sa.seq + 1, NULL, 0);
    assert_int_equal(fl->state, ST_ESTABLISHED);
    send_seg6(x, 41000, TH_ACK | TH_FIN, 5001, sa.seq + 1, NULL, 0);
    assert_true(rec.n >= 2);
    struct frame a = out6(rec.n - 1);
    assert_int_equal(a.ack, 5002);
    assert_int_equal(a.flowlabel, label);    /* one label for the whole connection */
    fx_free(x);
}

static void test_ipv6_closed_port(void **st)
{
    (void)st;
    struct fx *x = fx_new("rst", NULL);
    assert_int_equal(addrset_add6(&x->as, SRV6), 0);
    send_seg6(x, 41001, TH_SYN, 7000, 0, NULL, 0);
    send_seg6(x, 41001, TH_SYN, 7000, 0, NULL, 0);
    send_seg6(x, 41002, TH_ACK, 7000, 99, NULL, 0);
    assert_int_equal(rec.n, 3);
    struct frame r1 = out6(0), r2 = out6(1), r3 = out6(2);
    assert_int_equal(r1.flags, TH_RST | TH_ACK);
    assert_int_equal(r1.seq, 0);
    assert_int_equal(r1.ack, 7001);
    assert_int_equal(r1.win, 0);
    assert_int_equal(r1.payload_len, 0);
    /* no socket: the label is a hash of the addresses and ports, the same each time */
    assert_int_equal(r1.flowlabel, r2.flowlabel);
    assert_int_equal(r3.flags, TH_RST);
    assert_int_equal(r3.seq, 99);
    assert_int_equal(x->e.ft.used, 0);      /* no flow stays behind */
    fx_free(x);
}

static void test_ipv6_nd_and_icmp(void **st)
{
    (void)st;
    struct fx *x = fx_new("rst", NULL);
    assert_int_equal(addrset_add6(&x->as, SRV6), 0);
    /* a solicitation for our address: the advertisement */
    size_t n = build_ns6(x->frame, sizeof x->frame, cmac, CLI6, SRV6);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 1);
    struct frame na;
    assert_int_equal(pkt_parse(&na, rec.buf[0], rec.len[0]), PKT_OK);
    assert_int_equal(na.icmp_type, 136);
    assert_memory_equal(na.saddr6, SRV6, 16);
    /* an echo request: the reply copies id, sequence, data and the traffic class */
    static const uint8_t echo[12] = { 128, 0, 0, 0, 0x12, 0x34, 0, 7, 'p', 'i', 'n', 'g' };
    struct l3_spec l3 = { .v6 = true, .ip6 = { .hlim = 64, .tclass = 0x2a } };
    memcpy(l3.ip6.saddr, CLI6, 16);
    memcpy(l3.ip6.daddr, SRV6, 16);
    n = build_l3_frame(x->frame, sizeof x->frame, cmac, smac, &l3, 58, echo, 8, echo + 8, 4, 2, false);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    rec.n = 0;
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 1);
    struct frame r;
    assert_int_equal(pkt_parse(&r, rec.buf[0], rec.len[0]), PKT_OK);
    assert_int_equal(r.icmp_type, 129);
    assert_int_equal(r.icmp_id, 0x1234);
    assert_int_equal(r.icmp_seq, 7);
    assert_int_equal(r.tos, 0x2a);
    assert_int_equal(r.ttl, 64);
    assert_int_equal(r.payload_len, 4);
    assert_memory_equal(r.payload, "ping", 4);
    uint32_t sum = csum_pseudo6(r.saddr6, r.daddr6, 58, (uint32_t)r.l4_len);
    assert_int_equal(csum_fold(csum_partial(r.data + r.l4_off, r.l4_len, sum)), 0);
    /* UDP to a closed port: port unreachable quoting the datagram from its IPv6 header */
    static const uint8_t udp[8] = { 0x13, 0x88, 0x03, 0xe7, 0, 12, 0, 0 };
    n = build_l3_frame(x->frame, sizeof x->frame, cmac, smac, &l3, 17, udp, 8, (const uint8_t *)"data", 4, 6, false);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    rec.n = 0;
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 1);
    assert_int_equal(pkt_parse(&r, rec.buf[0], rec.len[0]), PKT_OK);
    assert_int_equal(r.icmp_type, 1);
    assert_int_equal(r.icmp_code, 4);
    assert_int_equal(r.tos, 0);
    assert_int_equal(r.payload_len, 40 + 8 + 4);
    assert_memory_equal(r.payload, x->frame + 14, 40 + 8 + 4);
    /* a SYN from a multicast source, or to an address not ours: nothing */
    static const uint8_t mcast[16] = { 0xff, 0x02, [15] = 1 };
    struct tcp_spec t = { .sport = 1, .dport = 80, .flags = TH_SYN };
    struct tmpl_tcp6 t6;
    char err[256];
    assert_int_equal(tmpl_tcp6_init(&t6, cmac, smac, err), 0);
    struct ip6_hdr_spec ip = { .saddr = mcast, .daddr = SRV6, .hlim = 64 };
    n = tmpl_tcp6_build(&t6, x->frame, sizeof x->frame, cmac, smac, &ip, &t, NULL, 0);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    rec.n = 0;
    engine_rx(&x->e, &x->f);
    ip.saddr = CLI6;
    static const uint8_t other[16] = { 0x20, 0x01, 0, 2, [15] = 0x99 };
    ip.daddr = other;
    n = tmpl_tcp6_build(&t6, x->frame, sizeof x->frame, cmac, smac, &ip, &t, NULL, 0);
    assert_int_equal(pkt_parse(&x->f, x->frame, n), PKT_OK);
    engine_rx(&x->e, &x->f);
    assert_int_equal(rec.n, 0);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rst_mode),
        cmocka_unit_test(test_core_hooks),
        cmocka_unit_test(test_probe_answer_seq_ack_rules),
        cmocka_unit_test(test_silent_mode),
        cmocka_unit_test(test_synack_fields),
        cmocka_unit_test(test_open_data_and_close),
        cmocka_unit_test(test_rfc5961),
        cmocka_unit_test(test_out_of_order_sack),
        cmocka_unit_test(test_unread_resets),
        cmocka_unit_test(test_unread_all_read_fin),
        cmocka_unit_test(test_after_close_data_resets),
        cmocka_unit_test(test_backlog),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_syn_flood_hysteresis),
        cmocka_unit_test(test_zero_window),
        cmocka_unit_test(test_listen_stray_ack),
        cmocka_unit_test(test_reply_by_mss),
        cmocka_unit_test(test_reply_respects_window),
        cmocka_unit_test(test_reply_zero_window_probe),
        cmocka_unit_test(test_reply_reset_after),
        cmocka_unit_test(test_reply_retransmission),
        cmocka_unit_test(test_reply_delay_and_rate),
        cmocka_unit_test(test_reply_segments),
        cmocka_unit_test(test_unread_reply_then_reset),
        cmocka_unit_test(test_idle_close_stale),
        cmocka_unit_test(test_ipv6_flow),
        cmocka_unit_test(test_ipv6_closed_port),
        cmocka_unit_test(test_ipv6_nd_and_icmp),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
