/* IPv4 addresses and blocks as users write them: "ADDR" or "ADDR/N" (-a, the rules file,
 * censor --dst). */
#ifndef RSTCRAFT_CIDR_H
#define RSTCRAFT_CIDR_H
#include <stdbool.h>
#include <stdint.h>

enum { CIDR_OK = 0, CIDR_BAD_ADDR = -1, CIDR_BAD_PREFIX = -2 };
/* *addr gets the block's first address (host bits cleared), *mask its netmask (host order). */
int cidr_parse(const char *s, uint32_t *addr, uint32_t *mask);
/* Parse a dotted quad (no leading zeros); false if malformed. */
bool ip4_parse(const char *s, uint32_t *out);
#endif
