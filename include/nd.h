/* IPv6 Neighbour Discovery for the addresses the responder owns (RFC 4861): answering
 * Neighbor Solicitations as a host does, and Duplicate Address Detection (RFC 4862 §5.4)
 * before an address is claimed. The IPv6 twin of arp.h. */
#ifndef RSTCRAFT_ND_H
#define RSTCRAFT_ND_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "addrset.h"
#include "arp.h"
#include "netio.h"
#include "pkt.h"

#define ND_NS 135
#define ND_NA 136

/* The solicited-node multicast address of a (ff02::1:ffXX:XXXX, RFC 4291 §2.7.1). */
void nd_snm_addr(const uint8_t a[16], uint8_t out[16]);
/* The multicast MAC of an IPv6 multicast address (33:33 + its last 4 bytes, RFC 2464 §7). */
void nd_mcast_mac(const uint8_t a[16], uint8_t out[6]);
/* The target of f when it is a Neighbor Solicitation that passes RFC 4861 §7.1.1's checks
 * (hop limit 255, code 0, target not multicast, options well formed, a DAD probe from ::
 * sent to the target's solicited-node address and carrying no source link-layer address). */
const uint8_t *nd_ns_target(const struct frame *f);
/* If f is such a solicitation for an address in owned (sent to that address or to its
 * solicited-node group), write the advertisement a Linux host sends (ndisc_recv_ns):
 * - to a multicast solicitation: unicast back, Solicited and Override, with our MAC;
 * - to a unicast one (neighbour unreachability detection): Solicited only, no option;
 * - to a DAD probe (source ::): to all nodes, Override only, with our MAC.
 * Returns its length, or 0. */
size_t nd_answer(const struct frame *f, const struct addrset *owned, const uint8_t mac[6],
                 uint8_t *out, size_t cap);
/* DAD for every IPv6 address of owned (a solicitation from :: per address per round, the
 * rounds of cfg) while listening for another host that advertises one, or probes for one
 * at the same time. 0: none; 1 with the first such address and its MAC; -1 on error. */
int nd_dad(struct netio *n, const struct addrset *owned, const struct arp_probe_cfg *cfg,
           uint8_t conflict_addr[16], uint8_t conflict_mac[6], char *err);
/* Unsolicited advertisements (RFC 4861 §7.2.6) of every IPv6 address, to all nodes. */
int nd_announce(struct netio *n, const struct addrset *owned, const uint8_t mac[6]);
#endif
