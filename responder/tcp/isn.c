/* SipHash-2-4 (Aumasson & Bernstein) over the 16-byte block (saddr, daddr, ports, extra). */
#include "isn.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
    } while (0)

uint64_t siphash24_4tuple(const uint64_t key[2], uint32_t saddr, uint32_t daddr,
                          uint16_t sport, uint16_t dport, uint32_t extra)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ key[0], v1 = 0x646f72616e646f6dULL ^ key[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ key[0], v3 = 0x7465646279746573ULL ^ key[1];
    uint64_t m[2] = { (uint64_t)saddr << 32 | daddr,
                      (uint64_t)sport << 48 | (uint64_t)dport << 32 | extra };
    for (int i = 0; i < 2; i++) {
        v3 ^= m[i];
        SIPROUND; SIPROUND;
        v0 ^= m[i];
    }
    uint64_t b = (uint64_t)16 << 56;
    v3 ^= b; SIPROUND; SIPROUND; v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}
