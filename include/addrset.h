/* The set of addresses the responder owns (from -a ADDR,ADDR or CIDRs, IPv4 and IPv6). */
#ifndef RSTCRAFT_ADDRSET_H
#define RSTCRAFT_ADDRSET_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "cidr.h"

#define ADDR_STRLEN 46   /* the longest address text, NUL included (INET6_ADDRSTRLEN) */
struct addr6 { uint8_t b[16]; };
struct addrset {
    uint32_t *v;     /* IPv4: sorted, unique, host order */
    size_t    n, cap;
    struct addr6 *v6; /* IPv6: sorted (memcmp), unique */
    size_t    n6, cap6;
};
/* Parse "198.18.0.10", "198.18.0.10,198.18.0.11", "198.18.0.8/29", "2001:2::10",
 * "2001:2::/120" (any mix, comma separated) and add them. A /N CIDR adds every address of
 * the block (at most 2^20 of each family in total).
 * Returns 0, or -1 with a one-line message in err. */
int  addrset_parse(struct addrset *s, const char *spec, char *err, size_t errlen);
int  addrset_add(struct addrset *s, uint32_t a);
bool addrset_has(const struct addrset *s, uint32_t a);
int  addrset_add6(struct addrset *s, const uint8_t a[16]);
bool addrset_has6(const struct addrset *s, const uint8_t a[16]);
/* Addresses of both families. */
static inline size_t addrset_count(const struct addrset *s) { return s->n + s->n6; }
void addrset_free(struct addrset *s);
/* Dotted quad of a host-order address into buf (>= 16 bytes). */
const char *ip4_str(uint32_t a, char *buf);
/* RFC 5952 text of an IPv6 address into buf (>= 46 bytes, INET6_ADDRSTRLEN). */
const char *ip6_str(const uint8_t a[16], char *buf);
/* The first address of s as text (IPv4 first), "none" when empty; buf >= 46 bytes. */
const char *addrset_first_str(const struct addrset *s, char *buf);
#endif
