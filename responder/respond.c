/* `rstcraft [respond]`: set-up in the order safety needs (capture and send handles, kernel
 * check, ARP probe, privilege drop), then one loop: frames in, timers due, until a signal,
 * --count or --duration. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <time.h>
#include "arp.h"
#include "nd.h"
#include "cmds.h"
#include "config.h"
#include "cpu_latency.h"
#include "engine.h"
#include "kguard.h"
#include "mode.h"
#include "nmapdb.h"
#include "profile_ext.h"
#include "resp_stats.h"

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

struct loop {
    struct engine *e;
    struct frame f;
};

static void rx_frame(void *user, const struct timeval *ts, const uint8_t *data, size_t caplen,
                     size_t wirelen)
{
    (void)ts; (void)wirelen;
    struct loop *l = user;
    /* Each frame's own time: a batch is read for as long as frames keep arriving, so the
     * time read before it would make a timer armed by a later frame (a --delay SYN-ACK)
     * fire early by up to the batch's length. */
    l->e->now_us = mono_us();
    pkt_parse(&l->f, data, caplen);
    engine_rx(l->e, &l->f);
}

static void list_profiles(const struct resp_config *c)
{
    for (const struct profile *const *p = profile_all(); *p; p++)
        printf("%-18s %s\n", (*p)->name, (*p)->summary);
    for (const struct personality *const *p = personality_builtin_all(); *p; p++)
        printf("%-18s %s (nmap: %s)\n", (*p)->prof.name, (*p)->prof.os, (*p)->src_nmap);
    if (c->os_db) {
        static struct nmapdb db;
        char err[512] = "";
        if (nmapdb_load(&db, c->os_db, err) != 0)
            fprintf(stderr, "rstcraft: %s\n", err);
        else
            nmapdb_report(&db, stdout);
        nmapdb_free(&db);
    }
}

#define OS_DB_DEFAULT "/usr/share/nmap/nmap-os-db"

/* --personality: one fingerprint of nmap-os-db played as a profile. The database stays
 * loaded: the personality points into it. */
static const struct personality *load_personality(const struct resp_config *c, char *err, size_t errlen)
{
    static struct nmapdb db;
    static struct personality pers;
    const char *path = c->os_db ? c->os_db : OS_DB_DEFAULT;
    char e2[512] = "";
    if (nmapdb_load(&db, path, e2) != 0) {
        snprintf(err, errlen, "--personality: %s", e2);
        return NULL;
    }
    size_t nmatch = 0;
    const struct nmapdb_entry *ent = nmapdb_find(&db, c->personality, &nmatch);
    if (!ent) {
        snprintf(err, errlen, "--personality: no fingerprint in %s matches '%s'", path, c->personality);
        return NULL;
    }
    if (nmapdb_to_profile(ent, &pers, e2) != 0) {
        snprintf(err, errlen, "--personality: cannot play '%s': %s", c->personality, e2);
        return NULL;
    }
    if (nmatch > 1)
        fprintf(stderr, "rstcraft: --personality '%s' matches %zu fingerprints; playing '%s'\n",
                c->personality, nmatch, pers.prof.os);
    return &pers;
}

static bool reads_payload(const struct rule *r)
{
    return r->mode && r->mode->reads_payload && r->mode->reads_payload(r);
}

/* Whether some rule's application reads the bytes it receives (echo). */
static bool rules_read_payload(const struct ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (reads_payload(&rs->v[i]))
            return true;
    return reads_payload(&rs->dflt);
}

static int fail(const char *msg, int code)
{
    fprintf(stderr, "%s%s\n", strncmp(msg, "rstcraft:", 9) == 0 ? "" : "rstcraft: ", msg);
    return code;
}

/* The kernel must not answer for our addresses: refuse, or guard with nftables. */
static int keep_kernel_out(const struct resp_config *c, char *err, size_t errlen)
{
    /* every address of ours the kernel has must be found, or the guard would leave some
     * answered twice */
    struct addrset owned = {0};
    int n = kguard_kernel_owned(&c->addrs, &owned, err);
    if (n <= 0) {
        addrset_free(&owned);
        return n;
    }
    if (!c->kernel_guard) {
        char a[ADDR_STRLEN];
        snprintf(err, errlen,
                 "%s is an address of this namespace's kernel, which would answer for it too "
                 "(RSTs of its own); use an address the kernel does not own, delete it "
                 "(ip addr del), or pass --kernel-guard to drop the kernel's RSTs for it "
                 "with a scoped nftables rule", addrset_first_str(&owned, a));
        addrset_free(&owned);
        return -1;
    }
    int rc = kguard_nft_install(&owned, NULL, err, errlen);
    addrset_free(&owned);
    return rc;
}

/* ARP probes for the IPv4 addresses, DAD for the IPv6 ones: 1 when one is taken (a
 * warning under --force), -1 on error or when one is taken. */
static int probe_addresses(struct netio *nio, const struct resp_config *c, char *err, size_t errlen)
{
    struct arp_probe_cfg pc = { .probes = 3, .interval_ms = c->probe_ms, .wait_ms = c->probe_ms };
    uint32_t who = 0;
    uint8_t who6[16], mac[6];
    char e2[NETIO_ERRLEN] = "", a[ADDR_STRLEN];
    int rc = c->addrs.n ? arp_probe(nio, &c->addrs, &pc, &who, mac, e2) : 0;
    bool v6 = false;
    if (rc == 0 && c->addrs.n6) {
        /* RFC 4862 §5.1: DupAddrDetectTransmits is 1 by default, RetransTimer 1 s; the
         * same rounds as the ARP probe cover a lost frame and end sooner on a lab link */
        rc = nd_dad(nio, &c->addrs, &pc, who6, mac, e2);
        v6 = true;
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s failed: %s", v6 ? "DAD" : "ARP probe", e2);
        return -1;
    }
    if (rc == 1) {
        snprintf(err, errlen, "%s is already in use by %02x:%02x:%02x:%02x:%02x:%02x "
                 "(%s); pick another address or pass --force",
                 v6 ? ip6_str(who6, a) : ip4_str(who, a), mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                 v6 ? "duplicate address detection, RFC 4862" : "RFC 5227 probe answered");
        return c->force ? 1 : -1;
    }
    return 0;
}

/* Tell the link the addresses are ours now: gratuitous ARP, unsolicited NA. */
static void announce(struct netio *nio, const struct addrset *s, const uint8_t mac[6])
{
    if (s->n)
        arp_announce(nio, s, mac);
    if (s->n6)
        nd_announce(nio, s, mac);
}

/* SIGINT, SIGTERM and SIGHUP stay blocked from here on: set-up is never cut short half-way
 * (an nft guard installed and not removed), and the loop takes them from a signalfd in its
 * poll set, so a stop is seen even while frames keep the capture readable (ppoll with a
 * signal mask takes a signal only when no descriptor is ready). Returns the signalfd. */
static int install_signals(sigset_t *unblocked)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, unblocked);
    return signalfd(-1, &block, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Events waiting for a slow reader: at most this much (~1,000 lines), then they are dropped
 * and counted; a reader that keeps up never has more than a line or two here. */
#define EV_SINK_BYTES (256 * 1024)

/* Write the events the reader takes now; false when it went away (stop, as SIGPIPE would,
 * but through the ordinary end: counts printed, guard removed, -w closed). */
static bool events_out(struct linesink *o)
{
    if (o->len)
        linesink_flush(o);
    if (o->broken && !stop_signal) {
        fprintf(stderr, "rstcraft: stdout was closed by its reader; stopping\n");
        stop_signal = SIGPIPE;
    }
    return !o->broken;
}

static void take_signal(int sfd)
{
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        stop_signal = (int)si.ssi_signo;
}

/* A link change seen: follow the MAC unless --mac fixed it, announce again when the link
 * comes back (the peers' caches may have been flushed with it). false: the interface is
 * gone, err says so. */
static bool link_changed(struct engine *e, struct netio *nio, const struct resp_config *c,
                         short revents, char *err)
{
    int ch = netio_link_check(nio, revents, err);
    if (ch < 0)
        return false;
    if ((ch & LW_MAC) && !c->have_mac)
        memcpy(e->mac, nio->mac, 6);
    if ((ch & (LW_UP | LW_MAC)) && nio->lw.up && !c->no_probe)
        announce(nio, &c->addrs, e->mac);
    return true;
}

/* --stats: the figures when due; returns the next time they are due (0: never). */
static uint64_t stats_due(struct engine *e, struct netio *nio, const struct resp_config *c,
                          uint64_t start, uint64_t next)
{
    if (!next || e->now_us < next)
        return next;
    netio_take_drops(nio);
    resp_stats_print(stderr, e, nio, c->json, "stats", (double)(e->now_us - start) / 1e6);
    uint64_t every = (uint64_t)(c->stats_s * 1e6);
    next += every;
    return next > e->now_us ? next : e->now_us + every;
}

/* Returns 0 at a stop (signal, --count, --duration), 1 with err set when the interface
 * went away. */
static int run(struct engine *e, struct netio *nio, const struct resp_config *c,
               const sigset_t *unblocked_set, int sfd, char *err)
{
    struct loop l = { .e = e };
    sigset_t unblocked = *unblocked_set;
    uint64_t start = mono_us();
    uint64_t end = c->duration_s > 0 ? start + (uint64_t)(c->duration_s * 1e6) : 0;
    uint64_t next_stats = c->stats_s > 0 ? start + (uint64_t)(c->stats_s * 1e6) : 0;
    nio->batch = true;
    if (c->busy_poll) {
        /* spinning never sleeps: take signals anywhere, and read the ring without a
         * system call per turn; link changes are looked at every 10 ms */
        sigprocmask(SIG_SETMASK, &unblocked, NULL);
        uint64_t next_link = 0;
        nio->spinning = true;
        while (!stop_signal) {
            engine_timers(e);
            netio_flush_tx(nio);
            if ((c->count && e->ev.total >= c->count) || (end && e->now_us >= end))
                break;
            int got = netio_dispatch(nio, rx_frame, &l);
            if (got == 0)
                netio_spin_idle(nio, e->now_us * 1000u);
            events_out(&e->ev.sink);
            next_stats = stats_due(e, nio, c, start, next_stats);
            if (e->now_us >= next_link) {
                next_link = e->now_us + 10000;
                netio_spin_look(nio, got);
                if (!link_changed(e, nio, c, POLLERR, err))
                    return 1;
            }
        }
        return 0;
    }
    enum { P_CAP, P_LINK, P_SIG, P_OUT, P_N };
    struct pollfd pfd[P_N] = {
        [P_CAP] = { .fd = nio->fd, .events = POLLIN },
        [P_LINK] = { .fd = nio->lw.fd, .events = POLLIN },
        [P_SIG] = { .fd = sfd, .events = POLLIN },
        [P_OUT] = { .fd = -1, .events = POLLOUT },
    };
    while (!stop_signal) {
        uint64_t next = engine_timers(e);
        netio_flush_tx(nio);
        if (!events_out(&e->ev.sink))
            break;
        pfd[P_OUT].fd = e->ev.sink.len ? e->ev.sink.fd : -1;
        if (c->count && e->ev.total >= c->count)
            break;
        uint64_t now = mono_us();
        if (end && now >= end)
            break;
        e->now_us = now;
        next_stats = stats_due(e, nio, c, start, next_stats);
        uint64_t wake = next;
        if (end && (!wake || end < wake))
            wake = end;
        if (next_stats && (!wake || next_stats < wake))
            wake = next_stats;
        struct timespec ts, *tsp = NULL;
        if (wake) {
            uint64_t d = wake > now ? wake - now : 0;
            ts.tv_sec = (time_t)(d / 1000000u);
            ts.tv_nsec = (long)(d % 1000000u) * 1000;
            tsp = &ts;
        }
        /* without a signalfd (it failed), signals are taken inside ppoll as before */
        int r = ppoll(pfd, P_N, tsp, sfd < 0 ? &unblocked : NULL);
        if (r < 0 && errno != EINTR) {
            snprintf(err, NETIO_ERRLEN, "poll: %s", strerror(errno));
            return 1;
        }
        e->now_us = mono_us();
        if (r <= 0)
            continue;
        if (pfd[P_SIG].revents)
            take_signal(sfd);
        short cap = pfd[P_CAP].revents;
        if ((pfd[P_LINK].revents || (cap & ~POLLIN)) && !link_changed(e, nio, c, cap, err))
            return 1;
        if (cap & POLLIN)
            netio_dispatch(nio, rx_frame, &l);
    }
    return 0;
}

int respond_main(int argc, char **argv)
{
    static struct resp_config c;
    static struct netio nio;
    static struct engine e;
    char err[1024] = "";
    int rc = config_parse(&c, argc, argv, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return fail(err, 2);
    if (c.list_profiles) {
        list_profiles(&c);
        config_free(&c);
        return 0;
    }
    const char *pname = c.profile[0] ? c.profile : "linux";
    const struct personality *pers = c.personality ? load_personality(&c, err, sizeof err)
                                                   : personality_builtin_find(pname);
    const struct profile *prof = pers ? &pers->prof : c.personality ? NULL : profile_find(pname);
    if (!prof) {
        if (!c.personality)
            snprintf(err, sizeof err, "unknown profile '%s' (see --list-profiles)", pname);
        config_free(&c);
        return fail(err, 2);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* from here on a stop request is held until the loop's first ppoll, so that set-up is
     * never cut short half-way (an nft guard installed and not removed) */
    sigset_t unblocked;
    int sfd = install_signals(&unblocked);
    int code = 3, qos_fd = -1;
    bool ran = false;
    uint64_t t_start = 0;
    /* small ring slots hold many frames; only echo needs whole GRO frames */
    nio.snaplen = rules_read_payload(&c.rules) ? 0 : 2048;
    nio.direct = true;
    prctl(PR_SET_TIMERSLACK, 1UL);   /* timers to the microsecond: --delay precision */
    if (netio_open(&nio, c.iface, NULL, err) != 0)
        goto out_cfg;
    uint8_t mac[6];
    memcpy(mac, c.have_mac ? c.mac : nio.mac, 6);
    if (keep_kernel_out(&c, err, sizeof err) != 0)
        goto out_nio;
    if (c.pcap_out && netio_dump_open(&nio, c.pcap_out, err) != 0)
        goto out_nio;
    if (!c.no_probe) {
        int p = probe_addresses(&nio, &c, err, sizeof err);
        if (p < 0)
            goto out_nio;
        if (p > 0)
            fprintf(stderr, "rstcraft: warning: %s (--force: claiming it anyway)\n", err);
    }
    /* before privdrop: the request needs root, and stays held by the open descriptor */
    if (c.cpu_latency_us >= 0 && (qos_fd = cpu_latency_hold(c.cpu_latency_us, err, sizeof err)) < 0)
        goto out_nio;
    if (c.user && privdrop(c.user, err, sizeof err) != 0)
        goto out_nio;
    if (engine_init(&e, &c.rules, prof, pers ? &pers->ans : NULL, &c.addrs, &nio, mac,
                    c.max_flows, err) != 0)
        goto out_nio;
    e.ev.out = stdout;
    e.ev.json = c.json;
    e.ev.quiet = c.quiet;
    if (!c.quiet && linesink_open(&e.ev.sink, STDOUT_FILENO, EV_SINK_BYTES) != 0)
        fprintf(stderr, "rstcraft: warning: events written as they come (no buffer for stdout): "
                "a slow reader will slow the answers\n");
    if (!c.no_probe)
        announce(&nio, &c.addrs, mac);
    char a[ADDR_STRLEN];
    fprintf(stderr, "rstcraft: ready: %s %02x:%02x:%02x:%02x:%02x:%02x, %zu address%s from %s, "
            "profile %s (%s), default %s\n", c.iface, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
            addrset_count(&c.addrs), addrset_count(&c.addrs) == 1 ? "" : "es",
            addrset_first_str(&c.addrs, a), prof->name, prof->os,
            c.rules.dflt.mode->name);
    ran = true;
    t_start = mono_us();
    code = run(&e, &nio, &c, &unblocked, sfd, err);
    netio_flush(&nio);
    linesink_close(&e.ev.sink);
    if (code == 0)
        ev_print_counts(&e.ev, stderr);
    if (code == 0 && e.ev.sink.dropped)
        fprintf(stderr, "rstcraft: events dropped (slow reader): %llu\n",
                (unsigned long long)e.ev.sink.dropped);
out_nio:
    if (qos_fd >= 0)
        close(qos_fd);
    kguard_nft_remove();
    netio_close(&nio);
    if (code == 0)
        fprintf(stderr, "rstcraft: frames: %llu received, %llu sent, %llu malformed, "
                "%llu dropped by the kernel (capture ring full), %u flows live, "
                "%llu not sent (link down or send queue full)\n",
                (unsigned long long)e.rx_frames, (unsigned long long)e.tx_frames,
                (unsigned long long)e.rx_malformed, (unsigned long long)nio.rx_drop_kernel,
                e.ft.used, (unsigned long long)nio.tx_err);
    if (code == 0 && c.stats_s > 0)   /* the same figures as the periodic ones, final */
        resp_stats_print(stderr, &e, &nio, c.json, "summary",
                         (double)(mono_us() - t_start) / 1e6);
    if (ran)
        engine_free(&e);
out_cfg:
    if (code)
        fail(err, code);
    config_free(&c);
    if (sfd >= 0)
        close(sfd);
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    return code;
}
