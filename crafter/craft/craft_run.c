/* The probe loops of `rstcraft craft`. Probes follow an absolute schedule (t0 + i * period)
 * so that waking late never slows the rate down; replies are read between probes and
 * matched to the probe that caused them (craft_match.c). */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "craft.h"
#include "arp.h"
#include "nd.h"

/* --src not owned by the kernel: be that address on the link while we run */
static void answer_for_src(struct craft_run *r, const struct frame *f)
{
    uint8_t out[128];
    size_t len = 0;
    if (f->l3 == L3_ARP && !r->o->v6)
        len = arp_answer(f, &r->owned, r->ctx.smac, out, sizeof out);
    else if (f->l3 == L3_IPV6 && r->o->v6)
        len = nd_answer(f, &r->owned, r->ctx.smac, out, sizeof out);
    if (len && netio_send(&r->net, out, len) == 0)
        r->arp_answered++;
}

static void on_rx(void *user, const struct timeval *ts, const uint8_t *data, size_t caplen, size_t wirelen)
{
    (void)wirelen;
    struct craft_run *r = user;
    struct frame f;
    pkt_parse(&f, data, caplen);
    if (r->answer_arp)
        answer_for_src(r, &f);
    struct reply_key k;
    struct quoted q;
    if (!r->tab.sent || !reply_key_from_frame(&r->ctx.gen, &r->ctx.tg, &f, &k, &q))
        return;
    struct match_result m = probe_match(&r->ctx.gen, &r->tab, &k);
    if (m.idx < 0)
        return;
    const struct probe_rec *rec = probe_at(&r->tab, (uint64_t)m.idx);
    uint64_t rx_ns = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_usec * 1000ull;
    double rtt = rx_ns > rec->sent_ns ? (double)(rx_ns - rec->sent_ns) / 1e6 : 0.0;
    r->st.replies++;
    if (m.dup) {
        r->st.dups++;
    } else {
        if (r->st.answered == 0 || rtt < r->st.rtt_min)
            r->st.rtt_min = rtt;
        if (rtt > r->st.rtt_max)
            r->st.rtt_max = rtt;
        r->st.rtt_sum += rtt;
        r->st.answered++;
    }
    probe_answered(&r->tab, (uint64_t)m.idx);
    craft_print_reply(r->o, &f, &q, &m, rtt);
}

/* Replies, and what happened to the link: a flap is said once and waited out (the probes
 * sent meanwhile fail and are not counted), a deleted or renamed interface stops the run. */
static void rx_now(struct craft_run *r)
{
    char err[NETIO_ERRLEN];
    netio_dispatch(&r->net, on_rx, r);
    if (!r->gone && netio_link_check(&r->net, 0, err) < 0) {
        fprintf(stderr, "rstcraft craft: %s\n", err);
        r->gone = true;
        craft_stop = 1;
    }
}

/* After the last probe: listen --wait ms, less when every probe has its reply already. */
static void linger(struct craft_run *r)
{
    uint64_t end = now_mono_ns() + (uint64_t)r->o->wait_ms * 1000000ull;
    while (!craft_stop && r->st.answered < r->st.sent && now_mono_ns() < end) {
        wait_until(end, r->net.fd);
        rx_now(r);
    }
    rx_now(r);
}

static void setup_owned(struct craft_run *r)
{
    if (r->answer_arp && !r->o->v6)
        addrset_add(&r->owned, r->o->src4);
    if (r->answer_arp && r->o->v6)
        addrset_add6(&r->owned, r->o->src6);
}

int craft_run_probes(struct craft_run *r)
{
    const struct craft_opts *o = r->o;
    setup_owned(r);
    uint64_t t0 = now_mono_ns();
    bool warned = false;
    for (uint64_t i = 0; !craft_stop && (!o->count || i < o->count); i++) {
        uint64_t due = t0 + i * o->interval_ns;
        while (!craft_stop && now_mono_ns() < due) {
            wait_until(due, r->net.fd);
            rx_now(r);
        }
        if (craft_stop)
            break;
        size_t len = craft_build(&r->ctx, i, r->frame, sizeof r->frame);
        if (!len) {
            fprintf(stderr, "rstcraft craft: probe does not fit in a frame\n");
            return 3;
        }
        struct probe_rec *rec = probe_at(&r->tab, i);
        rec->replies = 0;
        r->tab.sent = i + 1;
        rec->sent_ns = now_real_ns();
        if (netio_send(&r->net, r->frame, len) < 0) {
            if (!warned)
                fprintf(stderr, "rstcraft craft: send on %s failed\n", o->ifname);
            warned = true;
        } else {
            r->st.sent++;
        }
        rx_now(r);
    }
    double secs = (double)(now_mono_ns() - t0) / 1e9;
    if (!craft_stop)
        linger(r);
    craft_print_summary(o, &r->st, secs);
    addrset_free(&r->owned);
    if ((r->st.sent == 0 && warned) || r->gone)
        return 3;
    return r->st.answered ? 0 : 1;
}

/* --flood and --rate: frames go through a TX ring, frame i patched from frame 0. */
int craft_run_ring(struct craft_run *r)
{
    const struct craft_opts *o = r->o;
    char err[CRAFT_ERRLEN];
    setup_owned(r);
    struct craft_patch patch;
    size_t len = craft_ring_base(&r->ctx, r->frame, sizeof r->frame, &patch);
    if (!len)
        return 3;
    struct txring ring;
    if (txring_open(&ring, r->net.ifindex, (unsigned)len, err, sizeof err) < 0) {
        fprintf(stderr, "rstcraft craft: %s\n", err);
        return 3;
    }
    bool track = !o->flood;
    bool dump = r->net.dumper != NULL;
    uint64_t count = o->count ? o->count : UINT64_MAX;
    uint64_t i = 0, t0 = now_mono_ns();
    double ns_per = o->rate > 0 ? 1e9 / o->rate : 0;
    while (!craft_stop && i < count) {
        uint64_t target = count;
        if (!o->flood) {
            double due = (double)(now_mono_ns() - t0) / ns_per + 1.0;
            target = due < (double)count ? (uint64_t)due : count;
        }
        if (i >= target) {
            txring_kick(&ring, false);
            uint64_t next = t0 + (uint64_t)((double)i * ns_per);
            if (track)
                rx_now(r);
            wait_until(next, track ? r->net.fd : -1);
            continue;
        }
        uint64_t stamp = track || dump ? now_real_ns() : 0;
        bool full = false;
        while (i < target) {
            uint8_t *slot = txring_slot(&ring);
            if (!slot) {
                full = true;
                break;
            }
            memcpy(slot, r->frame, len);
            if (i)
                craft_patch(&r->ctx, &patch, slot, i);
            if (track) {
                struct probe_rec *rec = probe_at(&r->tab, i);
                rec->replies = 0;
                rec->sent_ns = stamp;
                r->tab.sent = i + 1;
            }
            if (dump) {
                struct timeval tv = { .tv_sec = (time_t)(stamp / 1000000000ull),
                                      .tv_usec = (suseconds_t)(stamp % 1000000000ull / 1000) };
                netio_record(&r->net, &tv, slot, len);
            }
            txring_commit(&ring, len);
            i++;
        }
        if (txring_kick(&ring, false) < 0) {
            fprintf(stderr, "rstcraft craft: TX ring send failed\n");
            break;
        }
        if (track)
            rx_now(r);
        /* ring full: frames free up as the kernel finishes them; asking again at once (as
         * trafgen does) beats sleeping in poll() */
        (void)full;
    }
    txring_kick(&ring, true);
    double secs = (double)(now_mono_ns() - t0) / 1e9;
    r->st.sent = ring.sent - ring.failed;
    txring_close(&ring);
    if (track && !craft_stop)
        linger(r);
    craft_print_summary(o, &r->st, secs);
    addrset_free(&r->owned);
    if (r->gone)
        return 3;
    if (o->flood)
        return r->st.sent ? 0 : 3;
    return r->st.answered ? 0 : 1;
}
