/* Flow table and timer heap. See include/flow.h for why it is shaped this way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "flow.h"
#include "mode.h"

_Static_assert(sizeof(struct flow) <= 256, "a flow must stay within 256 bytes");

static const char *const state_names[] = {
    "FREE", "SYN_PENDING", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK",
    "FIN_WAIT1", "FIN_WAIT2", "CLOSING", "TIME_WAIT", "FORGOTTEN",
};
const char *tcp_state_name(enum tcp_state s)
{
    return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "?";
}

static uint64_t mix64(uint64_t x)
{
    /* splitmix64 finaliser: cheap, and keyed by the table seed so that crafted tuples
     * cannot be aimed at one bucket */
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint32_t bucket_of(const struct flowtab *t, uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp)
{
    uint64_t k = ((uint64_t)ca << 32 | sa) ^ t->seed;
    k = mix64(k ^ ((uint64_t)cp << 16 | sp) * 0x9e3779b97f4a7c15ULL);
    return (uint32_t)k & t->nbucket_mask;
}

int flowtab_init(struct flowtab *t, uint32_t max)
{
    memset(t, 0, sizeof *t);
    uint32_t nb = 1024;
    while (nb < max && nb < (1u << 30))
        nb <<= 1;
    /* calloc of this size is mmap-backed: pages become resident only when used */
    t->v = calloc(max, sizeof *t->v);
    t->bucket = calloc(nb, sizeof *t->bucket);
    t->heap = calloc(max, sizeof *t->heap);
    if (!t->v || !t->bucket || !t->heap) {
        flowtab_free(t);
        errno = ENOMEM;
        return -1;
    }
    t->max = max;
    t->nbucket_mask = nb - 1;
    t->seed = mix64((uint64_t)(uintptr_t)t ^ (uint64_t)rand() << 20);
    return 0;
}

void flowtab_free(struct flowtab *t)
{
    free(t->v);
    free(t->bucket);
    free(t->heap);
    memset(t, 0, sizeof *t);
}

/* c6 and s6 NULL: an IPv4 key, which no IPv6 flow matches; else an IPv6 one. */
static bool same_family(const struct flow *f, const uint8_t *c6, const uint8_t *s6)
{
    if (!c6 || !s6)
        return !f->v6;
    return f->v6 && memcmp(f->caddr6, c6, 16) == 0 && memcmp(f->saddr6, s6, 16) == 0;
}

/* ca and sa: the IPv4 addresses, or the folds of c6 and s6 */
static struct flow *lookup(struct flowtab *t, uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp,
                           const uint8_t *c6, const uint8_t *s6)
{
    for (uint32_t i = t->bucket[bucket_of(t, ca, cp, sa, sp)]; i; i = t->v[i - 1].next) {
        struct flow *f = &t->v[i - 1];
        if (f->caddr == ca && f->cport == cp && f->saddr == sa && f->sport == sp &&
            same_family(f, c6, s6))
            return f;
    }
    return NULL;
}

struct flow *flow_lookup(struct flowtab *t, uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp)
{
    return lookup(t, ca, cp, sa, sp, NULL, NULL);
}

struct flow *flow_lookup6(struct flowtab *t, const uint8_t ca[16], uint16_t cp,
                          const uint8_t sa[16], uint16_t sp)
{
    return lookup(t, addr6_fold(ca), cp, addr6_fold(sa), sp, ca, sa);
}

struct flow *flow_new(struct flowtab *t, uint32_t ca, uint16_t cp, uint32_t sa, uint16_t sp)
{
    uint32_t idx;
    if (t->free_head) {
        idx = t->free_head - 1;
        t->free_head = t->v[idx].next;
    } else if (t->hwm < t->max) {
        idx = t->hwm++;
    } else {
        return NULL;
    }
    struct flow *f = &t->v[idx];
    memset(f, 0, sizeof *f);
    f->caddr = ca; f->cport = cp; f->saddr = sa; f->sport = sp;
    uint32_t b = bucket_of(t, ca, cp, sa, sp);
    f->next = t->bucket[b];
    t->bucket[b] = idx + 1;
    t->used++;
    return f;
}

struct flow *flow_new6(struct flowtab *t, const uint8_t ca[16], uint16_t cp,
                       const uint8_t sa[16], uint16_t sp)
{
    struct flow *f = flow_new(t, addr6_fold(ca), cp, addr6_fold(sa), sp);
    if (f) {
        f->v6 = true;
        memcpy(f->caddr6, ca, 16);
        memcpy(f->saddr6, sa, 16);
    }
    return f;
}

void flow_del(struct flowtab *t, struct flow *f)
{
    uint32_t idx = flow_index(t, f);
    timer_cancel(t, f);
    uint32_t *pp = &t->bucket[bucket_of(t, f->caddr, f->cport, f->saddr, f->sport)];
    while (*pp && *pp != idx + 1)
        pp = &t->v[*pp - 1].next;
    if (*pp)
        *pp = f->next;
    f->state = ST_FREE;
    f->next = t->free_head;
    t->free_head = idx + 1;
    t->used--;
}

/* --- binary min-heap on deadline_us --- */
static void heap_set(struct flowtab *t, uint32_t pos, uint32_t idx)
{
    t->heap[pos] = idx;
    t->v[idx].hpos = pos + 1;
}

static void heap_up(struct flowtab *t, uint32_t pos)
{
    uint32_t idx = t->heap[pos];
    uint64_t d = t->v[idx].deadline_us;
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (t->v[t->heap[parent]].deadline_us <= d)
            break;
        heap_set(t, pos, t->heap[parent]);
        pos = parent;
    }
    heap_set(t, pos, idx);
}

static void heap_down(struct flowtab *t, uint32_t pos)
{
    uint32_t idx = t->heap[pos];
    uint64_t d = t->v[idx].deadline_us;
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= t->nheap)
            break;
        if (c + 1 < t->nheap && t->v[t->heap[c + 1]].deadline_us < t->v[t->heap[c]].deadline_us)
            c++;
        if (t->v[t->heap[c]].deadline_us >= d)
            break;
        heap_set(t, pos, t->heap[c]);
        pos = c;
    }
    heap_set(t, pos, idx);
}

void timer_cancel(struct flowtab *t, struct flow *f)
{
    if (!f->hpos)
        return;
    uint32_t pos = f->hpos - 1;
    f->hpos = 0;
    f->timer = TM_NONE;
    t->nheap--;
    if (pos == t->nheap)
        return;
    uint32_t moved = t->heap[t->nheap];
    heap_set(t, pos, moved);
    heap_up(t, pos);
    heap_down(t, t->v[moved].hpos - 1);
}

void timer_arm(struct flowtab *t, struct flow *f, enum timer_kind k, uint64_t deadline_us)
{
    uint32_t idx = flow_index(t, f);
    f->timer = (uint8_t)k;
    if (f->hpos) {
        uint64_t old = f->deadline_us;
        f->deadline_us = deadline_us;
        if (deadline_us < old)
            heap_up(t, f->hpos - 1);
        else
            heap_down(t, f->hpos - 1);
        return;
    }
    f->deadline_us = deadline_us;
    heap_set(t, t->nheap++, idx);
    heap_up(t, t->nheap - 1);
}

void flow_release(struct engine *e, struct flow *fl)
{
    const struct mode_ops *m = fl->rule->mode;
    if (m->on_release)
        m->on_release(e, fl->rule, fl);
    flow_del(&e->ft, fl);
}
