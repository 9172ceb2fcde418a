/* The capture path's one use of the rules: the first that matches an address and port.
 * Apart from rules.c, which parses them through the registry of modes (above the modes and
 * the TCP core), so that the core looks rules up without reaching up. */
#include "rules.h"

/* v6: rules name IPv4 blocks or every address; only the latter take an IPv6 address */
static const struct rule *match(const struct ruleset *rs, bool v6, uint32_t addr, uint16_t port)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *r = &rs->v[i];
        if ((v6 ? r->mask == 0 : (addr & r->mask) == r->addr) && portset_has(&r->ports, port))
            return r;
    }
    return &rs->dflt;
}

const struct rule *ruleset_match(const struct ruleset *rs, uint32_t addr, uint16_t port)
{
    return match(rs, false, addr, port);
}

const struct rule *ruleset_match6(const struct ruleset *rs, uint16_t port)
{
    return match(rs, true, 0, port);
}
