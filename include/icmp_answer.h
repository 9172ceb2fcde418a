/* ICMP answers as an OS forms them: echo replies (nmap's IE test) and port unreachable
 * for UDP to a closed port (nmap's U1 test), per a profile's u1_answer / ie_answer.
 * Each writes one Ethernet frame into a caller buffer; no allocation.
 *
 * Engine hook (engine_rx, for an IPv4 frame to one of our addresses):
 *   ICMP echo request:  n = icmp_echo_reply(e->txbuf, sizeof e->txbuf, e->mac, f, &a->ie,
 *                                           ipidgen_next(&a->ipid_icmp, &e->gen, NULL));
 *   UDP:                n = icmp_port_unreach(..., f, &a->u1, ipidgen_next(&a->ipid_icmp, ...));
 *   if (n) engine_send(e, e->txbuf, n);
 * (draw the IP ID only when icmp_may_answer() says an answer will go out, so that
 * silent drops do not advance the counter.) */
#ifndef RSTCRAFT_ICMP_ANSWER_H
#define RSTCRAFT_ICMP_ANSWER_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "pkt.h"
#include "profile_ext.h"

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY   0
#define ICMP_UNREACH      3
#define ICMP_UNREACH_PORT 3

/* May f (parsed, IPv4, addressed to us) be answered at all? RFC 1122 §3.2.2: never for
 * a non-initial fragment, an ICMP error, a link-layer or IP broadcast/multicast, or a
 * source that is not one host. Echo requests must be whole, unfragmented datagrams. */
bool icmp_may_answer(const struct frame *f);

/* Echo reply to the echo request f: id, sequence and data copied; DF, TTL and code per
 * ie; TOS copied. Returns the frame length, 0 when nothing is to be sent (not an echo
 * request, ie says no answer, or cap too small). */
size_t icmp_echo_reply(uint8_t *buf, size_t cap, const uint8_t src_mac[6],
                       const struct frame *req, const struct ie_answer *ie, uint16_t ipid);

/* Port unreachable for the UDP datagram f, quoting its IP datagram as u1 says (length,
 * fields changed, checksum kept, zeroed or broken, padding). Returns the frame length,
 * 0 when nothing is to be sent. */
size_t icmp_port_unreach(uint8_t *buf, size_t cap, const uint8_t src_mac[6],
                         const struct frame *f, const struct u1_answer *u1, uint16_t ipid);
#endif
