/* Internet checksum (RFC 1071) and incremental update (RFC 1624). */
#ifndef RSTCRAFT_CSUM_H
#define RSTCRAFT_CSUM_H
#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of len bytes (big-endian 16-bit words) added to sum. */
uint32_t csum_partial(const void *p, size_t len, uint32_t sum);
/* Fold a 32-bit partial sum and complement it: the value to put on the wire (host order). */
uint16_t csum_fold(uint32_t sum);
/* Pseudo-header partial sums. Addresses in host order. */
uint32_t csum_pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t l4len);
uint32_t csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16], uint8_t nexthdr, uint32_t l4len);
/* RFC 1624 eqn. 3: new checksum after a 16-bit field changed from old_v to new_v
 * (all host order). */
uint16_t csum_update16(uint16_t csum, uint16_t old_v, uint16_t new_v);
uint16_t csum_update32(uint16_t csum, uint32_t old_v, uint32_t new_v);
#endif
