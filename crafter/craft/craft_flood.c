/* --flood: one sender thread per CPU, each with its own TX ring, pinned to its CPU (as
 * trafgen does). On a veth path the receiving side runs in the sender's softirq, so the
 * kernel work, not ours, is the limit and spreading it over the CPUs is what scales.
 * Thread t sends the probes i = t, t + T, t + 2T, ... so -c and probe identities hold.
 * The main thread follows the link meanwhile (linkwatch): down pauses the senders, up
 * resumes them, a deleted interface stops the run. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "craft.h"
#include "linkwatch.h"

#define MAX_THREADS 64

struct worker {
    const struct craft_run *r;
    const struct craft_patch *patch;
    struct txring ring;
    size_t len;
    unsigned t, nt;
    uint64_t count;
    int cpu;
    int err;                    /* errno of a send that failed for good, 0: none */
    int done_fd;                /* eventfd: told when this sender ends */
};

/* Set by the main thread: the link is down, send nothing. Set by a sender: a send said the
 * link is down or gone (ENETDOWN, ENXIO), which the main thread then looks at. */
static int paused, link_error;

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    const struct craft_run *r = w->r;
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    uint64_t i = w->t;
    long backoff = 0;           /* us; grows while the kernel takes nothing */
    while (!__atomic_load_n(&craft_stop, __ATOMIC_RELAXED) && i < w->count) {
        /* the link is down: look again in 10 ms (the main thread says when it is back) */
        if (__atomic_load_n(&paused, __ATOMIC_RELAXED)) {
            sleep_us(10000);
            continue;
        }
        uint64_t before = i;
        uint8_t *slot;
        while (i < w->count && (slot = txring_slot(&w->ring)) != NULL) {
            memcpy(slot, r->frame, w->len);
            if (i)
                craft_patch(&r->ctx, w->patch, slot, i);
            txring_commit(&w->ring, w->len);
            i += w->nt;
        }
        /* full or done: hand the batch over and ask again at once (sleeping loses) */
        int k = txring_kick(&w->ring, false);
        if (k < 0 && (errno == ENETDOWN || errno == ENXIO || errno == ENODEV)) {
            __atomic_store_n(&link_error, 1, __ATOMIC_RELAXED);
            sleep_us(10000);
            continue;
        }
        if (k < 0) {
            w->err = errno;
            break;
        }
        /* no room below and nothing moved: wait a little longer each time (20 us to
         * 5 ms) rather than spin; any progress asks again at once */
        if (k > 0 && i == before) {
            backoff = backoff ? (backoff < 2500 ? backoff * 2 : 5000) : 20;
            sleep_us(backoff);
        } else {
            backoff = 0;
        }
    }
    txring_kick(&w->ring, true);
    uint64_t one = 1;
    if (write(w->done_fd, &one, sizeof one) < 0) {
        /* the main thread then notices at its next look */
    }
    return NULL;
}

/* The main thread until every sender ended: link changes pause and resume them, a deleted
 * interface stops them (r->gone). */
static void follow_link(struct craft_run *r, struct linkwatch *lw, int done_fd, unsigned nt)
{
    char err[LINKWATCH_ERRLEN];
    unsigned done = 0;
    while (done < nt) {
        struct pollfd p[2] = { { .fd = done_fd, .events = POLLIN }, { .fd = lw->fd, .events = POLLIN } };
        int n = poll(p, 2, 100);
        uint64_t v;
        if (n > 0 && (p[0].revents & POLLIN) && read(done_fd, &v, sizeof v) == (ssize_t)sizeof v)
            done += (unsigned)v;
        bool refresh = __atomic_exchange_n(&link_error, 0, __ATOMIC_RELAXED);
        if (r->gone || (!refresh && !(n > 0 && p[1].revents)))
            continue;
        if (linkwatch_check(lw, "rstcraft", refresh, err, sizeof err) < 0) {
            fprintf(stderr, "rstcraft craft: %s\n", err);
            r->gone = true;
            craft_stop = 1;
        }
        __atomic_store_n(&paused, !lw->up && !r->gone, __ATOMIC_RELAXED);
    }
}

int craft_run_flood(struct craft_run *r)
{
    const struct craft_opts *o = r->o;
    char err[CRAFT_ERRLEN];
    struct craft_patch patch;
    size_t len = craft_ring_base(&r->ctx, r->frame, sizeof r->frame, &patch);
    if (!len)
        return 3;
    /* nothing is read while flooding: an open capture only makes the kernel timestamp and
     * filter every frame on the interface; the link is followed on its own */
    struct linkwatch lw = r->net.lw;
    r->net.lw.fd = -1;
    netio_close(&r->net);
    int done_fd = eventfd(0, EFD_CLOEXEC);
    if (done_fd < 0) {
        fprintf(stderr, "rstcraft craft: eventfd: %s\n", strerror(errno));
        linkwatch_close(&lw);
        return 3;
    }
    cpu_set_t allowed;
    int cpus[MAX_THREADS], ncpu = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
        for (int c = 0; c < CPU_SETSIZE && ncpu < MAX_THREADS; c++)
            if (CPU_ISSET(c, &allowed))
                cpus[ncpu++] = c;
    }
    unsigned nt = ncpu > 0 ? (unsigned)ncpu : 1;
    uint64_t count = o->count ? o->count : UINT64_MAX;
    if (count < nt)
        nt = (unsigned)count;
    static struct worker w[MAX_THREADS];
    for (unsigned t = 0; t < nt; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].r = r;
        w[t].patch = &patch;
        w[t].len = len;
        w[t].t = t;
        w[t].nt = nt;
        w[t].count = count;
        w[t].cpu = ncpu > 0 ? cpus[t] : -1;
        if (txring_open(&w[t].ring, r->net.ifindex, (unsigned)len, err, sizeof err) < 0) {
            fprintf(stderr, "rstcraft craft: %s\n", err);
            for (unsigned u = 0; u < t; u++)
                txring_close(&w[u].ring);
            linkwatch_close(&lw);
            close(done_fd);
            return 3;
        }
    }
    uint64_t t0 = now_mono_ns();
    pthread_t th[MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 0; t < nt; t++) {
        w[t].done_fd = done_fd;
        if (pthread_create(&th[t], NULL, work, &w[t]) != 0)
            break;
        started = t + 1;
    }
    if (started < nt) {
        /* fewer threads than planned: the missing ones' probes are simply not sent */
        fprintf(stderr, "rstcraft craft: could start only %u sender threads\n", started);
    }
    follow_link(r, &lw, done_fd, started);
    for (unsigned t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    double secs = (double)(now_mono_ns() - t0) / 1e9;
    int failed = 0;
    uint64_t busy = 0;
    for (unsigned t = 0; t < nt; t++) {
        r->st.sent += w[t].ring.sent - w[t].ring.failed;
        busy += w[t].ring.busy;
        if (w[t].err)
            failed = w[t].err;
        txring_close(&w[t].ring);
    }
    linkwatch_close(&lw);
    close(done_fd);
    if (failed)
        fprintf(stderr, "rstcraft craft: TX ring send failed: %s\n", strerror(failed));
    if (busy && !r->gone)
        fprintf(stderr, "rstcraft craft: the kernel had no room %llu times (ENOBUFS, EAGAIN: "
                "paced)\n", (unsigned long long)busy);
    if (r->gone) {
        craft_print_summary(o, &r->st, secs);
        return 3;
    }
    craft_print_summary(o, &r->st, secs);
    return r->st.sent ? 0 : 3;
}
