/* The segments `rstcraft kill` sends: RSTs (window 0, no options, like a Linux socket-less
 * reset: IPv4 with DF and TTL 64, IPv6 with hop limit 64 and flow label 0) and the spoofed
 * SYN probes. IPv4 goes through the shared IPv4/TCP template, IPv6 through craft's frame
 * builder (build6.c). */
#include <string.h>
#include "craft.h"
#include "kill.h"

size_t kill_build(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap, const uint8_t smac[6],
                  const uint8_t dmac[6], bool v6, const uint8_t *saddr, uint16_t sport, const uint8_t *daddr,
                  uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t id)
{
    struct l3_spec l3;
    struct tcp_spec tcp;
    memset(&l3, 0, sizeof l3);
    memset(&tcp, 0, sizeof tcp);
    tcp.sport = sport;
    tcp.dport = dport;
    tcp.seq = seq;
    tcp.ack = ack;
    tcp.flags = flags;
    if (v6) {
        uint8_t hdr[60];
        l3.v6 = true;
        memcpy(l3.ip6.saddr, saddr, 16);
        memcpy(l3.ip6.daddr, daddr, 16);
        l3.ip6.hlim = 64;
        size_t hl = build_tcp_hdr(hdr, &tcp);
        return build_l3_frame(buf, cap, smac, dmac, &l3, 6, hdr, hl, NULL, 0, 16, false);
    }
    uint32_t s4, d4;
    memcpy(&s4, saddr, 4);
    memcpy(&d4, daddr, 4);
    l3.ip4.saddr = ntohl(s4);
    l3.ip4.daddr = ntohl(d4);
    l3.ip4.ttl = 64;
    l3.ip4.id = id;
    l3.ip4.df = true;
    return tmpl_tcp4_build(t, buf, cap, smac, dmac, &l3.ip4, &tcp, NULL, 0);
}
