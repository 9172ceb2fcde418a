/* Private: "ADDR" or "ADDR/N", shared by -a (addrset.c) and the rules file (rules.c). */
#ifndef RSTCRAFT_CIDR_H
#define RSTCRAFT_CIDR_H
#include <stdint.h>

enum { CIDR_OK = 0, CIDR_BAD_ADDR = -1, CIDR_BAD_PREFIX = -2 };
/* *addr gets the block's first address (host bits cleared), *mask its netmask (host order). */
int cidr_parse(const char *s, uint32_t *addr, uint32_t *mask);
#endif
