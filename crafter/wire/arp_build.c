/* An Ethernet/IPv4 ARP frame. 42 bytes, unpadded: Linux sends ARP on veth that way
 * (padding to 60 is the NIC's business on real Ethernet). */
#include <string.h>
#include "be.h"
#include "build.h"

#define ARP_FRAME_LEN 42


size_t build_arp(uint8_t *buf, size_t cap, const uint8_t eth_dst[6], uint16_t op,
                 const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    if (cap < ARP_FRAME_LEN)
        return 0;
    memcpy(buf, eth_dst, 6);
    memcpy(buf + 6, sha, 6);
    put16(buf + 12, ETHTYPE_ARP);
    uint8_t *a = buf + ETH_HLEN_;
    put16(a, 1);                            /* hardware type: Ethernet */
    put16(a + 2, ETHTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, sha, 6);
    put32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    return ARP_FRAME_LEN;
}
