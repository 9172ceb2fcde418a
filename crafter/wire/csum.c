/* Internet checksum (RFC 1071) over big-endian 16-bit words, and the RFC 1624
 * incremental update. Partial sums are kept folded to 16 bits so callers may chain
 * any number of csum_partial calls without overflowing the 32-bit accumulator.
 * Chain only even-length pieces except the last: an odd piece ends with a half word. */
#include <string.h>
#include "csum.h"

static uint32_t fold16(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

/* Words are added as the host loads them, 8 bytes at a time: the ones' complement sum
 * commutes with byte order (RFC 1071 section 2(B)), so on a little-endian host the sum
 * of byte-swapped words is the byte-swapped sum. Carries gather in the upper 32 bits. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_SWAP16(x) ((uint16_t)((x) << 8 | (x) >> 8))
#define HIGH_BYTE(b) ((uint64_t)(b))
#else
#define HOST_SWAP16(x) ((uint16_t)(x))
#define HIGH_BYTE(b) ((uint64_t)(b) << 8)
#endif

uint32_t csum_partial(const void *p, size_t len, uint32_t sum)
{
    const uint8_t *b = p;
    uint64_t s = HOST_SWAP16((uint16_t)sum);
    for (; len >= 8; b += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        s += (w & 0xffffffffu) + (w >> 32);
    }
    if (len >= 4) {
        uint32_t w;
        memcpy(&w, b, 4);
        s += w;
        b += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t w;
        memcpy(&w, b, 2);
        s += w;
        b += 2;
        len -= 2;
    }
    if (len)   /* odd trailing byte: the high half of a big-endian word padded with zero */
        s += HIGH_BYTE(*b);
    uint32_t f = fold16(s);
    return HOST_SWAP16((uint16_t)f);
}

uint16_t csum_fold(uint32_t sum)
{
    return (uint16_t)~fold16(sum);
}

uint32_t csum_pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t l4len)
{
    uint64_t s = (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff);
    s += proto;
    s += l4len;
    return fold16(s);
}

uint32_t csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16], uint8_t nexthdr, uint32_t l4len)
{
    uint32_t s = csum_partial(saddr, 16, 0);
    s = csum_partial(daddr, 16, s);
    return fold16((uint64_t)s + (l4len >> 16) + (l4len & 0xffff) + nexthdr);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). RFC 1141's HC + m + ~m' can give 0xffff
 * where a full recomputation gives 0x0000; this form agrees with csum_fold. */
uint16_t csum_update16(uint16_t csum, uint16_t old_v, uint16_t new_v)
{
    uint64_t s = (uint16_t)~csum;
    s += (uint16_t)~old_v;
    s += new_v;
    return (uint16_t)~fold16(s);
}

uint16_t csum_update32(uint16_t csum, uint32_t old_v, uint32_t new_v)
{
    csum = csum_update16(csum, (uint16_t)(old_v >> 16), (uint16_t)(new_v >> 16));
    return csum_update16(csum, (uint16_t)old_v, (uint16_t)new_v);
}
