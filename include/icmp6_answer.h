/* ICMPv6 answers as Linux forms them (icmpv6_echo_reply, icmp6_send), measured against
 * the 6.18 kernel in the lab: an echo reply copies identifier, sequence, data and the
 * request's whole traffic class; a port unreachable quotes the datagram up to the IPv6
 * minimum MTU (1232 bytes of it) with traffic class 0. Both carry hop limit hlim and the
 * flow label the caller gives (Linux: a hash of the flow). One Ethernet frame into a
 * caller buffer; no allocation. */
#ifndef RSTCRAFT_ICMP6_ANSWER_H
#define RSTCRAFT_ICMP6_ANSWER_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "pkt.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129
#define ICMP6_UNREACH      1
#define ICMP6_UNREACH_PORT 4
#define ICMP6_QUOTE_MAX    (1280 - 40 - 8)   /* RFC 4443 §2.4 (c) */

/* May f (parsed, IPv6, addressed to us) be answered? RFC 4443 §2.4 (e): never a packet
 * from :: or a multicast address, nor to a link-layer multicast; no ICMPv6 error, no
 * fragment; of ICMPv6, only echo requests. */
bool icmp6_may_answer(const struct frame *f);
/* Echo reply to the request f. Returns the frame length, 0 when cap is too small. */
size_t icmp6_echo_reply(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const struct frame *f,
                        uint8_t hlim, uint32_t label);
/* Port unreachable for the UDP datagram f. Returns the frame length, or 0. */
size_t icmp6_port_unreach(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const struct frame *f,
                          uint8_t hlim, uint32_t label);
#endif
