/* The capture path's one use of the rules: the first that matches an address and port.
 * Apart from rules.c, which parses them through the registry of modes (above the modes and
 * the TCP core), so that the core looks rules up without reaching up. */
#include <string.h>
#include "rules.h"

static bool in_block6(const struct rule *r, const uint8_t a[16])
{
    unsigned full = r->plen6 / 8, rest = r->plen6 % 8;
    if (memcmp(a, r->addr6, full) != 0)
        return false;
    return !rest || ((a[full] ^ r->addr6[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* a6 NULL: an IPv4 address. A '*' rule (an IPv4 block with mask 0) takes both families. */
static bool takes(const struct rule *r, uint32_t addr, const uint8_t *a6)
{
    if (r->v6)
        return a6 && in_block6(r, a6);
    return r->mask == 0 || (!a6 && (addr & r->mask) == r->addr);
}

static const struct rule *match(const struct ruleset *rs, uint32_t addr, const uint8_t *a6, uint16_t port)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *r = &rs->v[i];
        if (takes(r, addr, a6) && portset_has(&r->ports, port))
            return r;
    }
    return &rs->dflt;
}

const struct rule *ruleset_match(const struct ruleset *rs, uint32_t addr, uint16_t port)
{
    return match(rs, addr, NULL, port);
}

const struct rule *ruleset_match6(const struct ruleset *rs, const uint8_t addr[16], uint16_t port)
{
    return match(rs, 0, addr, port);
}
