/* The set of IPv4 addresses the responder owns (from -a ADDR,ADDR or CIDRs). */
#ifndef RSTCRAFT_ADDRSET_H
#define RSTCRAFT_ADDRSET_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "cidr.h"

struct addrset {
    uint32_t *v;     /* sorted, unique, host order */
    size_t    n, cap;
};
/* Parse "198.18.0.10", "198.18.0.10,198.18.0.11", "198.18.0.8/29" (any mix, comma separated)
 * and add them. A /N CIDR adds every address of the block (at most 2^20 in total).
 * Returns 0, or -1 with a one-line message in err. */
int  addrset_parse(struct addrset *s, const char *spec, char *err, size_t errlen);
int  addrset_add(struct addrset *s, uint32_t a);
bool addrset_has(const struct addrset *s, uint32_t a);
void addrset_free(struct addrset *s);
/* Dotted quad of a host-order address into buf (>= 16 bytes). */
const char *ip4_str(uint32_t a, char *buf);
#endif
