/* ARP for the addresses the responder owns: answering requests, and the RFC 5227 probe
 * that runs before an address is claimed. */
#ifndef RSTCRAFT_ARP_H
#define RSTCRAFT_ARP_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "pkt.h"
#include "netio.h"
#include "addrset.h"

/* If f is an ARP request for an address in owned, write the reply (from mac) into out and
 * return its length; else 0. Probes (sender 0.0.0.0) for our addresses are answered, as
 * RFC 5227 §2.1.1 has the prober learn of the conflict from the owner's reply; gratuitous
 * requests (sender == target) are not. */
size_t arp_answer(const struct frame *f, const struct addrset *owned, const uint8_t mac[6],
                  uint8_t *out, size_t cap);

struct arp_probe_cfg {
    unsigned probes;        /* RFC 5227 PROBE_NUM (3) */
    unsigned interval_ms;   /* between probes */
    unsigned wait_ms;       /* listening after the last probe */
};
/* Probe every address of owned (sender IP 0.0.0.0, RFC 5227 §2.1.1) and listen for any
 * other host that answers for, or probes, one of them. Returns 0 when none did; 1 with the
 * first conflicting address and its owner's MAC; -1 on error (message in err). */
int arp_probe(struct netio *n, const struct addrset *owned, const struct arp_probe_cfg *cfg,
              uint32_t *conflict_addr, uint8_t conflict_mac[6], char *err);
/* Take frames with rx until *done or the deadline (link_now_ms clock); -1 on a capture
 * error (message in err). ARP probing and IPv6 DAD listen so. */
int link_listen(struct netio *n, netio_rx_fn rx, void *ctx, const bool *done,
                uint64_t deadline, char *err);
uint64_t link_now_ms(void);          /* CLOCK_MONOTONIC milliseconds */
void link_sleep_ms(unsigned ms);     /* sleeps so long, EINTR or not */
/* Announce each address (RFC 5227 §2.3, ANNOUNCE_NUM gratuitous ARP requests). */
int arp_announce(struct netio *n, const struct addrset *owned, const uint8_t mac[6]);
#endif
