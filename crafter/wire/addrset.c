/* The responder's addresses: a sorted vector, so lookups on the capture path are a binary
 * search and CIDR blocks merge in one move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addrset.h"
#include "cidr.h"

#define ADDRSET_MAX (1u << 20)   /* a /12; more is surely a typo and would cost 4 MiB+ */


const char *ip4_str(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return buf;
}

/* First index whose value is >= a. */
static size_t lower_bound(const struct addrset *s, uint32_t a)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Add every address of [first, last]; the ones already there are inside the range, so the
 * result is head + range + tail. */
static int add_range(struct addrset *s, uint32_t first, uint32_t last, char *err, size_t errlen)
{
    size_t i = lower_bound(s, first);
    size_t j = last == UINT32_MAX ? s->n : lower_bound(s, last + 1);
    uint64_t span = (uint64_t)last - first + 1;
    uint64_t n = (uint64_t)i + span + (s->n - j);
    if (n > ADDRSET_MAX) {
        if (err)
            snprintf(err, errlen, "too many addresses (more than %u)", ADDRSET_MAX);
        return -1;
    }
    if (n > s->cap) {
        size_t cap = s->cap ? s->cap : 16;
        while (cap < n)
            cap *= 2;
        uint32_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            if (err)
                snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    memmove(s->v + i + span, s->v + j, (s->n - j) * sizeof *s->v);
    for (uint64_t k = 0; k < span; k++)
        s->v[i + k] = first + (uint32_t)k;
    s->n = (size_t)n;
    return 0;
}

int addrset_add(struct addrset *s, uint32_t a)
{
    return add_range(s, a, a, NULL, 0);
}

bool addrset_has(const struct addrset *s, uint32_t a)
{
    size_t i = lower_bound(s, a);
    return i < s->n && s->v[i] == a;
}

void addrset_free(struct addrset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}


static int parse_item(const char *item, uint32_t *first, uint32_t *last, char *err, size_t errlen)
{
    uint32_t mask;
    switch (cidr_parse(item, first, &mask)) {
    case CIDR_OK:
        *last = *first | ~mask;
        return 0;
    case CIDR_BAD_PREFIX:
        snprintf(err, errlen, "bad prefix length in '%.64s' (expected /0../32)", item);
        return -1;
    default:
        snprintf(err, errlen, "bad address '%.64s'", item);
        return -1;
    }
}

int addrset_parse(struct addrset *s, const char *spec, char *err, size_t errlen)
{
    /* check every item before adding any, so a typo late in the list changes nothing */
    for (int pass = 0; pass < 2; pass++) {
        const char *p = spec;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char item[64];
            uint32_t first, last;
            if (len == 0) {
                snprintf(err, errlen, "empty address in '%.64s'", spec);
                return -1;
            }
            if (len >= sizeof item) {
                snprintf(err, errlen, "bad address '%.*s...'", 32, p);
                return -1;
            }
            memcpy(item, p, len);
            item[len] = '\0';
            if (parse_item(item, &first, &last, err, errlen) < 0)
                return -1;
            if (pass == 1 && add_range(s, first, last, err, errlen) < 0)
                return -1;
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    return 0;
}
