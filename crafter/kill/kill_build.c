/* The segments `rstcraft kill` sends: RSTs (window 0, DF, TTL 64, no options, like a Linux
 * socket-less reset) and the spoofed SYN probes, through the shared IPv4/TCP template. */
#include <string.h>
#include "kill.h"

size_t kill_build(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap, const uint8_t smac[6],
                  const uint8_t dmac[6], uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
                  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t id)
{
    struct ip4_spec ip;
    struct tcp_spec tcp;
    memset(&ip, 0, sizeof ip);
    memset(&tcp, 0, sizeof tcp);
    ip.saddr = saddr;
    ip.daddr = daddr;
    ip.ttl = 64;
    ip.id = id;
    ip.df = true;
    tcp.sport = sport;
    tcp.dport = dport;
    tcp.seq = seq;
    tcp.ack = ack;
    tcp.flags = flags;
    return tmpl_tcp4_build(t, buf, cap, smac, dmac, &ip, &tcp, NULL, 0);
}
