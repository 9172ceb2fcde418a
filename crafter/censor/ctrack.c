/* The censor's connection table: a fixed pool of flows hashed on the 4-tuple (either
 * direction finds the same flow), least-recently-used eviction when full (the flows are
 * threaded on a list in order of last touch, so eviction and expiry never scan the pool),
 * and a smaller pool of inspection buffers lent to flows whose first client bytes are
 * still awaited. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addrset.h"
#include "censor.h"

/* What one tracked connection costs (plus a 4-byte bucket); inspection buffers are a
 * separate pool, lent only while a connection's first bytes are awaited. */
_Static_assert(sizeof(struct cflow) <= 128, "a tracked connection must stay small");

void caddr_v4set(struct caddr *x, uint32_t v4)
{
    memset(x->a, 0, 10);
    x->a[10] = x->a[11] = 0xff;
    x->a[12] = (uint8_t)(v4 >> 24);
    x->a[13] = (uint8_t)(v4 >> 16);
    x->a[14] = (uint8_t)(v4 >> 8);
    x->a[15] = (uint8_t)v4;
}

bool caddr_is4(const struct caddr *x)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    return memcmp(x->a, mapped, 12) == 0;
}

uint32_t caddr_v4(const struct caddr *x)
{
    return (uint32_t)x->a[12] << 24 | (uint32_t)x->a[13] << 16 | (uint32_t)x->a[14] << 8 | x->a[15];
}

void caddr_of(const struct frame *seg, struct caddr *src, struct caddr *dst)
{
    if (seg->l3 == L3_IPV6) {
        memcpy(src->a, seg->saddr6, 16);
        memcpy(dst->a, seg->daddr6, 16);
    } else {
        caddr_v4set(src, seg->saddr);
        caddr_v4set(dst, seg->daddr);
    }
}

bool caddr_in(const struct caddr *a, const struct caddr *prefix, unsigned plen)
{
    unsigned whole = plen / 8, rest = plen % 8;
    if (memcmp(a->a, prefix->a, whole) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t m = (uint8_t)(0xff00u >> rest);
    return (a->a[whole] & m) == (prefix->a[whole] & m);
}

const char *caddr_str(const struct caddr *x, char buf[CADDR_STRLEN])
{
    if (caddr_is4(x))
        return ip4_str(caddr_v4(x), buf);
    if (!inet_ntop(AF_INET6, x->a, buf, CADDR_STRLEN))
        snprintf(buf, CADDR_STRLEN, "?");
    return buf;
}

static uint64_t half(const struct caddr *x, size_t off)
{
    uint64_t v;
    memcpy(&v, x->a + off, 8);
    return v;
}

static uint32_t hash4(const struct caddr *a, uint16_t ap, const struct caddr *b, uint16_t bp)
{
    /* symmetric: the same bucket for both directions */
    uint64_t lo = half(a, 8) ^ half(b, 8), hi = half(a, 0) ^ half(b, 0);
    uint64_t x = lo ^ (hi * 0xff51afd7ed558ccdull) ^ ((half(a, 8) + half(b, 8)) << 24) ^
                 ((uint64_t)(ap ^ bp) << 48) ^ (uint64_t)(ap + bp);
    x *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}

static bool same(const struct caddr *a, const struct caddr *b)
{
    return memcmp(a->a, b->a, 16) == 0;
}

int ctable_init(struct ctable *t, uint32_t max_flows, uint16_t max_bufs)
{
    memset(t, 0, sizeof *t);
    t->cap = max_flows;
    t->nbuckets = 1;
    while (t->nbuckets < max_flows)
        t->nbuckets <<= 1;
    t->v = calloc(max_flows, sizeof *t->v);
    t->head = calloc(t->nbuckets, sizeof *t->head);
    t->nbufs = max_bufs;
    t->bufs = malloc((size_t)max_bufs * sizeof *t->bufs);
    t->buf_free = malloc((size_t)max_bufs * sizeof *t->buf_free);
    if (!t->v || !t->head || !t->bufs || !t->buf_free) {
        ctable_free(t);
        return -1;
    }
    /* free list threaded through `next` */
    for (uint32_t i = 0; i < max_flows; i++)
        t->v[i].next = i + 2 <= max_flows ? i + 2 : 0;
    t->free_head = max_flows ? 1 : 0;
    for (uint16_t i = 0; i < max_bufs; i++)
        t->buf_free[i] = (uint16_t)(max_bufs - i);
    t->buf_free_n = max_bufs;
    return 0;
}

void ctable_free(struct ctable *t)
{
    free(t->v);
    free(t->head);
    free(t->bufs);
    free(t->buf_free);
    memset(t, 0, sizeof *t);
}

static uint32_t *bucket_of(struct ctable *t, const struct cflow *f)
{
    return &t->head[hash4(&f->c.ip, f->c.port, &f->s.ip, f->s.port) & (t->nbuckets - 1)];
}

struct cflow *ctable_find(struct ctable *t, const struct caddr *sip, uint16_t sport, const struct caddr *dip,
                          uint16_t dport, bool *from_client)
{
    uint32_t i = t->head[hash4(sip, sport, dip, dport) & (t->nbuckets - 1)];
    while (i) {
        struct cflow *f = &t->v[i - 1];
        if (f->c.port == sport && f->s.port == dport && same(&f->c.ip, sip) && same(&f->s.ip, dip)) {
            *from_client = true;
            return f;
        }
        if (f->s.port == sport && f->c.port == dport && same(&f->s.ip, sip) && same(&f->c.ip, dip)) {
            *from_client = false;
            return f;
        }
        i = f->next;
    }
    return NULL;
}

static struct cflow *at(struct ctable *t, uint32_t i)
{
    return i ? &t->v[i - 1] : NULL;
}

static uint32_t index_of(const struct ctable *t, const struct cflow *f)
{
    return (uint32_t)(f - t->v) + 1;
}

static void lru_unlink(struct ctable *t, struct cflow *f)
{
    struct cflow *n = at(t, f->newer), *o = at(t, f->older);
    if (n)
        n->older = f->older;
    else
        t->newest = f->older;
    if (o)
        o->newer = f->newer;
    else
        t->oldest = f->newer;
    f->newer = f->older = 0;
}

static void lru_push_newest(struct ctable *t, struct cflow *f)
{
    uint32_t idx = index_of(t, f);
    f->newer = 0;
    f->older = t->newest;
    if (t->newest)
        t->v[t->newest - 1].newer = idx;
    else
        t->oldest = idx;
    t->newest = idx;
}

void ctable_touch(struct ctable *t, struct cflow *f, uint64_t now)
{
    f->last_ns = now;
    if (t->newest != index_of(t, f)) {
        lru_unlink(t, f);
        lru_push_newest(t, f);
    }
}

void ctable_del(struct ctable *t, struct cflow *f)
{
    uint32_t idx = index_of(t, f);
    uint32_t *pp = bucket_of(t, f);
    while (*pp && *pp != idx)
        pp = &t->v[*pp - 1].next;
    if (*pp)
        *pp = f->next;
    lru_unlink(t, f);
    cflow_buf_release(t, f);
    memset(f, 0, sizeof *f);
    f->next = t->free_head;
    t->free_head = idx;
    t->used--;
}

struct cflow *ctable_add(struct ctable *t, const struct caddr *sip, uint16_t sport, const struct caddr *dip,
                         uint16_t dport, uint64_t now)
{
    if (!t->free_head) {
        if (!t->oldest)
            return NULL;
        ctable_del(t, &t->v[t->oldest - 1]);
        t->evicted++;
    }
    uint32_t idx = t->free_head;
    struct cflow *f = &t->v[idx - 1];
    t->free_head = f->next;
    memset(f, 0, sizeof *f);
    f->c.ip = *sip;
    f->c.port = sport;
    f->s.ip = *dip;
    f->s.port = dport;
    f->state = CF_SYN;
    f->last_ns = now;
    uint32_t *b = bucket_of(t, f);
    f->next = *b;
    *b = idx;
    lru_push_newest(t, f);
    t->used++;
    return f;
}

void ctable_expire(struct ctable *t, uint64_t now, uint64_t idle_ns)
{
    /* the list is in order of last touch: the idle ones are all at its old end */
    while (t->oldest && now - t->v[t->oldest - 1].last_ns > idle_ns)
        ctable_del(t, &t->v[t->oldest - 1]);
}

uint8_t *cflow_buf(struct ctable *t, struct cflow *f)
{
    if (!f->buf) {
        if (!t->buf_free_n) {
            t->no_buffer++;
            return NULL;
        }
        f->buf = t->buf_free[--t->buf_free_n];
        memset(t->bufs[f->buf - 1] + CENSOR_BUF, 0, CENSOR_BUF_MAP);
    }
    return t->bufs[f->buf - 1];
}

void cflow_buf_release(struct ctable *t, struct cflow *f)
{
    if (f->buf) {
        t->buf_free[t->buf_free_n++] = f->buf;
        f->buf = 0;
    }
}

/* ---- residual blocks: few at a time, a flat array scanned on each new connection ---- */
void residual_add(struct residual *r, const struct caddr *cip, const struct caddr *sip, uint16_t port,
                  uint64_t until)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].port == port && same(&r->v[i].cip, cip) && same(&r->v[i].sip, sip)) {
            r->v[i].until = until;
            return;
        }
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        void *nv = realloc(r->v, nc * sizeof *r->v);
        if (!nv)
            return;     /* out of memory: this block is not kept (counted by the caller's triggers) */
        r->v = nv;
        r->cap = nc;
    }
    r->v[r->n].cip = *cip;
    r->v[r->n].sip = *sip;
    r->v[r->n].port = port;
    r->v[r->n].until = until;
    r->n++;
}

uint64_t residual_until(struct residual *r, const struct caddr *cip, const struct caddr *sip, uint16_t port,
                        uint64_t now)
{
    for (size_t i = 0; i < r->n;) {
        if (r->v[i].until <= now) {
            r->v[i] = r->v[--r->n];
            continue;
        }
        if (r->v[i].port == port && same(&r->v[i].cip, cip) && same(&r->v[i].sip, sip))
            return r->v[i].until;
        i++;
    }
    return 0;
}

void residual_free(struct residual *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

static const char *const tcb_names[] = {
    [TCB_STRICT] = "strict", [TCB_SYN_ONLY] = "syn-only", [TCB_TEARDOWN] = "teardown",
    [TCB_REASSEMBLE] = "reassemble",
};

const char *tcb_name(enum tcb_model m)
{
    return tcb_names[m];
}

int tcb_parse(const char *s, enum tcb_model *m)
{
    for (size_t i = 0; i < sizeof tcb_names / sizeof tcb_names[0]; i++)
        if (strcmp(s, tcb_names[i]) == 0) {
            *m = (enum tcb_model)i;
            return 0;
        }
    return -1;
}
