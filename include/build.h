/* Building frames. A packet shape (Ethernet + IPv4/IPv6 + TCP/UDP/ICMP) is laid out once by
 * libnet (LIBNET_NONE context, no privilege needed) into a template; each send copies the
 * template into a caller buffer and patches fields and checksums, with no allocation and no
 * libnet call on the hot path (masscan's templ-pkt.c is the model). */
#ifndef RSTCRAFT_BUILD_H
#define RSTCRAFT_BUILD_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "pkt.h"

#define FRAME_MAX 9216   /* largest frame we ever build (jumbo) */

/* ---- TCP options: an ordered list of items, encoded and padded to 4 bytes with EOL ---- */
enum optitem_kind { OI_NOP = 1, OI_EOL, OI_MSS, OI_WS, OI_SACKOK, OI_SACK, OI_TS, OI_RAW };
struct optitem {
    uint8_t  kind;            /* enum optitem_kind */
    uint8_t  nsack;           /* OI_SACK: number of blocks (1..4) */
    uint16_t mss;             /* OI_MSS */
    uint8_t  ws;              /* OI_WS */
    uint32_t tsval, tsecr;    /* OI_TS */
    struct { uint32_t l, r; } sack[4];
    const uint8_t *raw;       /* OI_RAW: bytes copied as they are */
    uint8_t  rawlen;
};
/* Encode items in order into out (40 bytes max), padding with EOL to a multiple of 4.
 * Returns the encoded length, or -1 when they do not fit in 40 bytes. */
int tcpopt_encode(uint8_t out[TCPOPT_MAXLEN], const struct optitem *items, size_t n);

/* ---- IPv4 + TCP segment ---- */
struct ip4_spec {
    uint32_t saddr, daddr;    /* host order */
    uint8_t  ttl, tos;
    uint16_t id;
    bool     df, mf;
    uint16_t frag_off;        /* 8-byte units */
};
struct tcp_spec {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t  flags;           /* TH_* */
    uint8_t  res;             /* reserved nibble (low 4 bits) */
    uint16_t win, urp;
    const uint8_t *opts;      /* already encoded, length a multiple of 4 (or see doff) */
    size_t   optlen;
    uint8_t  doff;            /* 0: computed from optlen; else forced (words), may lie */
    bool     badsum;          /* write a checksum that is deliberately wrong */
};

/* A ready Ethernet+IPv4+TCP header template for one (src MAC, dst MAC) pair. */
struct tmpl_tcp4 {
    uint8_t  bytes[14 + 20 + 20];
};
/* Lay out the template with libnet. Returns 0, or -1 with a message in err (>= 256 bytes). */
int tmpl_tcp4_init(struct tmpl_tcp4 *t, const uint8_t src_mac[6], const uint8_t dst_mac[6], char *err);
/* Write one frame into buf from the template: patch MACs (may differ from the template's),
 * IP and TCP fields, options, payload, lengths and both checksums.
 * Returns the frame length, or 0 when it does not fit cap. */
size_t tmpl_tcp4_build(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap,
                       const uint8_t src_mac[6], const uint8_t dst_mac[6],
                       const struct ip4_spec *ip, const struct tcp_spec *tcp,
                       const uint8_t *payload, size_t plen);

/* ---- IPv6 + TCP segment: the same, 74 bytes, no extension headers ---- */
struct ip6_hdr_spec {
    const uint8_t *saddr, *daddr;   /* 16 bytes each */
    uint8_t  hlim, tclass;
    uint32_t flowlabel;             /* low 20 bits */
};
struct tmpl_tcp6 {
    uint8_t  bytes[14 + 40 + 20];
};
int tmpl_tcp6_init(struct tmpl_tcp6 *t, const uint8_t src_mac[6], const uint8_t dst_mac[6], char *err);
/* As tmpl_tcp4_build; the TCP checksum covers the IPv6 pseudo-header (RFC 8200 §8.1). */
size_t tmpl_tcp6_build(const struct tmpl_tcp6 *t, uint8_t *buf, size_t cap,
                       const uint8_t src_mac[6], const uint8_t dst_mac[6],
                       const struct ip6_hdr_spec *ip, const struct tcp_spec *tcp,
                       const uint8_t *payload, size_t plen);

/* ---- ARP (Ethernet/IPv4) ---- */
/* op 1 request / 2 reply. eth_dst is the frame destination (broadcast for requests). */
size_t build_arp(uint8_t *buf, size_t cap, const uint8_t eth_dst[6], uint16_t op,
                 const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);
#endif
