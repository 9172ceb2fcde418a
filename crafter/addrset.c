/* The responder's addresses: a sorted vector, so lookups on the capture path are a binary
 * search and CIDR blocks merge in one move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "addrset.h"
#include "cidr.h"

#define ADDRSET_MAX (1u << 20)   /* a /12; more is surely a typo and would cost 4 MiB+ */


const char *ip4_str(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return buf;
}

const char *ip6_str(const uint8_t a[16], char *buf)
{
    if (!inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN))
        snprintf(buf, INET6_ADDRSTRLEN, "?");
    return buf;
}

const char *addrset_first_str(const struct addrset *s, char *buf)
{
    if (s->n)
        return ip4_str(s->v[0], buf);
    if (s->n6)
        return ip6_str(s->v6[0].b, buf);
    snprintf(buf, INET6_ADDRSTRLEN, "none");
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
    free(s->v6);
    memset(s, 0, sizeof *s);
}

/* ---- IPv6: the same sorted vector, of 16-byte addresses ---- */

static size_t lower_bound6(const struct addrset *s, const uint8_t a[16])
{
    size_t lo = 0, hi = s->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(s->v6[mid].b, a, 16) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool addrset_has6(const struct addrset *s, const uint8_t a[16])
{
    size_t i = lower_bound6(s, a);
    return i < s->n6 && memcmp(s->v6[i].b, a, 16) == 0;
}

/* The block's addresses differ in their last 20 bits at most (span <= 2^20): its k-th
 * address is the first plus k in those bits. */
static void addr6_plus(const uint8_t first[16], uint32_t k, uint8_t out[16])
{
    memcpy(out, first, 16);
    uint32_t carry = k;
    for (int i = 15; i >= 0 && carry; i--) {
        uint32_t v = out[i] + (carry & 0xff);
        out[i] = (uint8_t)v;
        carry = (carry >> 8) + (v >> 8);
    }
}

/* Add the span addresses from first (a block, so its addresses are consecutive): those
 * already there are inside it, so the result is head + block + tail, as for IPv4. */
static int add_range6(struct addrset *s, const uint8_t first[16], uint32_t span, char *err,
                      size_t errlen)
{
    uint8_t last[16];
    addr6_plus(first, span - 1, last);
    size_t i = lower_bound6(s, first), j = lower_bound6(s, last);
    if (j < s->n6 && memcmp(s->v6[j].b, last, 16) == 0)
        j++;
    uint64_t n = (uint64_t)i + span + (s->n6 - j);
    if (n > ADDRSET_MAX) {
        if (err)
            snprintf(err, errlen, "too many IPv6 addresses (more than %u)", ADDRSET_MAX);
        return -1;
    }
    if (n > s->cap6) {
        size_t cap = s->cap6 ? s->cap6 : 16;
        while (cap < n)
            cap *= 2;
        struct addr6 *v = realloc(s->v6, cap * sizeof *v);
        if (!v) {
            if (err)
                snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->v6 = v;
        s->cap6 = cap;
    }
    memmove(s->v6 + i + span, s->v6 + j, (s->n6 - j) * sizeof *s->v6);
    for (uint32_t k = 0; k < span; k++)
        addr6_plus(first, k, s->v6[i + k].b);
    s->n6 = (size_t)n;
    return 0;
}

int addrset_add6(struct addrset *s, const uint8_t a[16])
{
    return add_range6(s, a, 1, NULL, 0);
}


/* One item: an IPv4 block [first, last], or (v6 true) an IPv6 block of span addresses
 * from first6. */
struct item {
    bool     v6;
    uint32_t first, last;
    uint8_t  first6[16];
    uint32_t span6;
};

static int parse_item(const char *s, struct item *it, char *err, size_t errlen)
{
    uint32_t mask = 0;
    unsigned plen = 0;
    it->v6 = strchr(s, ':') != NULL;
    int rc = it->v6 ? cidr6_parse(s, it->first6, &plen) : cidr_parse(s, &it->first, &mask);
    if (rc == CIDR_BAD_PREFIX) {
        snprintf(err, errlen, "bad prefix length in '%.64s' (expected /0../%u)", s, it->v6 ? 128u : 32u);
        return -1;
    }
    if (rc != CIDR_OK) {
        snprintf(err, errlen, "bad address '%.64s'", s);
        return -1;
    }
    if (!it->v6) {
        it->last = it->first | ~mask;
        return 0;
    }
    if (128 - plen > 20) {
        snprintf(err, errlen, "'%.64s' is too large a block (at most /108, 2^20 addresses)", s);
        return -1;
    }
    it->span6 = 1u << (128 - plen);
    return 0;
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
            struct item it;
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
            if (parse_item(item, &it, err, errlen) < 0)
                return -1;
            if (pass == 1 && (it.v6 ? add_range6(s, it.first6, it.span6, err, errlen)
                                    : add_range(s, it.first, it.last, err, errlen)) < 0)
                return -1;
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    return 0;
}
