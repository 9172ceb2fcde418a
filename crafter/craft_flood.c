/* --flood: one sender thread per CPU, each with its own TX ring, pinned to its CPU (as
 * trafgen does). On a veth path the receiving side runs in the sender's softirq, so the
 * kernel work, not ours, is the limit and spreading it over the CPUs is what scales.
 * Thread t sends the probes i = t, t + T, t + 2T, ... so -c and probe identities hold. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "craft.h"

#define MAX_THREADS 64

struct worker {
    const struct craft_run *r;
    const struct craft_patch *patch;
    struct txring ring;
    size_t len;
    unsigned t, nt;
    uint64_t count;
    int cpu;
    int err;
};

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
    while (!__atomic_load_n(&craft_stop, __ATOMIC_RELAXED) && i < w->count) {
        uint8_t *slot;
        while (i < w->count && (slot = txring_slot(&w->ring)) != NULL) {
            memcpy(slot, r->frame, w->len);
            if (i)
                craft_patch(&r->ctx, w->patch, slot, i);
            txring_commit(&w->ring, w->len);
            i += w->nt;
        }
        /* full or done: hand the batch over and ask again at once (sleeping loses) */
        if (txring_kick(&w->ring, false) < 0) {
            w->err = 1;
            break;
        }
    }
    txring_kick(&w->ring, true);
    return NULL;
}

int craft_run_flood(struct craft_run *r)
{
    const struct craft_opts *o = r->o;
    char err[CRAFT_ERRLEN];
    size_t len = craft_build(&r->ctx, 0, r->frame, sizeof r->frame);
    if (!len) {
        fprintf(stderr, "rstcraft craft: probe does not fit in a frame\n");
        return 3;
    }
    struct craft_patch patch;
    craft_patch_init(&r->ctx, r->frame, len, &patch);
    /* nothing is read while flooding: an open capture only makes the kernel timestamp and
     * filter every frame on the interface */
    netio_close(&r->net);
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
            return 3;
        }
    }
    uint64_t t0 = now_mono_ns();
    pthread_t th[MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 1; t < nt; t++) {
        if (pthread_create(&th[t], NULL, work, &w[t]) != 0)
            break;
        started = t;
    }
    if (started + 1 < nt) {
        /* fewer threads than planned: the missing ones' probes are simply not sent */
        fprintf(stderr, "rstcraft craft: could start only %u sender threads\n", started + 1);
    }
    work(&w[0]);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    double secs = (double)(now_mono_ns() - t0) / 1e9;
    int failed = 0;
    for (unsigned t = 0; t < nt; t++) {
        r->st.sent += w[t].ring.sent - w[t].ring.failed;
        failed |= w[t].err;
        txring_close(&w[t].ring);
    }
    if (failed)
        fprintf(stderr, "rstcraft craft: TX ring send failed\n");
    craft_print_summary(o, &r->st, secs);
    return r->st.sent ? 0 : 3;
}
