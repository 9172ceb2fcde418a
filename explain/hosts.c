/* Hosts seen in a capture: the TTLs and DF bit of each address's own (non-RST) segments
 * over all its flows, so a reset can be compared with what its claimed sender really
 * looks like on this wire. Open addressing in a fixed table: when it is full, new hosts
 * are not remembered (a verdict then rests on the flow's own packets). */
#include <stdlib.h>
#include <string.h>
#include "explain.h"

int xhosts_init(struct xhosts *h, size_t cap)
{
    size_t c = 1;
    while (c < cap)
        c <<= 1;
    h->tab = calloc(c, sizeof *h->tab);
    h->cap = h->tab ? c : 0;
    h->used = 0;
    return h->tab ? 0 : -1;
}

void xhosts_free(struct xhosts *h)
{
    free(h->tab);
    h->tab = NULL;
    h->cap = h->used = 0;
}

static size_t addr_hash(const uint8_t *a, bool v6)
{
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < (v6 ? 16u : 4u); i++)
        x = (x ^ a[i]) * 16777619u;
    return x;
}

static struct xhost *slot(const struct xhosts *h, const uint8_t *a, bool v6, bool *found)
{
    size_t n = v6 ? 16 : 4;
    size_t i = addr_hash(a, v6) & (h->cap - 1);
    for (size_t probes = 0; probes < h->cap; probes++, i = (i + 1) & (h->cap - 1)) {
        struct xhost *e = &h->tab[i];
        if (!e->used) {
            *found = false;
            return e;
        }
        if (e->v6 == v6 && memcmp(e->addr, a, n) == 0) {   /* rare: once per flow side */
            *found = true;
            return e;
        }
    }
    *found = false;
    return NULL;
}

void xhosts_note(struct xhosts *h, const uint8_t *addr, bool v6, uint8_t ttl, bool df)
{
    if (!h->cap)
        return;
    bool found;
    struct xhost *e = slot(h, addr, v6, &found);
    if (!e)
        return;
    if (!found) {
        if (h->used * 4 >= h->cap * 3)      /* keep probes short: stop at 75% */
            return;
        memset(e, 0, sizeof *e);
        memcpy(e->addr, addr, v6 ? 16 : 4);
        e->used = 1;
        e->v6 = v6;
        e->ttl_min = e->ttl_max = ttl;
        e->df_all = df;
        h->used++;
    }
    if (ttl < e->ttl_min)
        e->ttl_min = ttl;
    if (ttl > e->ttl_max)
        e->ttl_max = ttl;
    e->df_all = e->df_all && df;
    e->df_seen = e->df_seen || df;
    e->n++;
}

const struct xhost *xhosts_get(const struct xhosts *h, const uint8_t *addr, bool v6)
{
    if (!h->cap)
        return NULL;
    bool found;
    const struct xhost *e = slot(h, addr, v6, &found);
    return found ? e : NULL;
}
