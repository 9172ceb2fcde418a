/* IPv4 and IPv6 addresses and blocks as users write them: "ADDR" or "ADDR/N" (-a, the rules file,
 * censor --dst). */
#ifndef RSTCRAFT_CIDR_H
#define RSTCRAFT_CIDR_H
#include <stdbool.h>
#include <stdint.h>

enum { CIDR_OK = 0, CIDR_BAD_ADDR = -1, CIDR_BAD_PREFIX = -2 };
/* *addr gets the block's first address (host bits cleared), *mask its netmask (host order). */
int cidr_parse(const char *s, uint32_t *addr, uint32_t *mask);
/* IPv6 "ADDR" or "ADDR/N" (inet_pton's forms): *addr gets the block's first address (host
 * bits cleared), *plen its prefix length (128 for a bare address). */
int cidr6_parse(const char *s, uint8_t addr[16], unsigned *plen);
/* Parse a dotted quad (no leading zeros); false if malformed. */
bool ip4_parse(const char *s, uint32_t *out);
#endif
