/* The packet model: one parsed view of a link-layer frame, shared by the responder,
 * craft and kill. All integers are in host byte order; addresses too
 * (IPv4 as a host-order uint32, IPv6 as 16 bytes). */
#ifndef RSTCRAFT_PKT_H
#define RSTCRAFT_PKT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>

#define ETH_HLEN_    14
#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP  0x0806
#define ETHTYPE_IPV6 0x86dd
#define ETHTYPE_VLAN 0x8100

/* TCP flag bits as on the wire (byte 13), plus tcpdump's letters. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* TCP option kinds */
#define TCPOPT_EOL    0
#define TCPOPT_NOP    1
#define TCPOPT_MSS    2
#define TCPOPT_WS     3
#define TCPOPT_SACKOK 4
#define TCPOPT_SACK   5
#define TCPOPT_TS     8
#define TCPOPT_MAXLEN 40

struct tcp_opts {
    bool     has_mss, has_ws, sack_ok, has_ts;
    bool     malformed;        /* an option ran past the header or had a bad length */
    uint16_t mss;
    uint8_t  wscale;
    uint32_t tsval, tsecr;
    uint8_t  nsack;
    struct { uint32_t l, r; } sack[4];
    uint8_t  nkinds;           /* option kinds in wire order (NOP and EOL included) */
    uint8_t  kinds[TCPOPT_MAXLEN];
};

enum l3_kind { L3_NONE = 0, L3_ARP, L3_IPV4, L3_IPV6, L3_OTHER };
enum l4_kind { L4_NONE = 0, L4_TCP, L4_UDP, L4_ICMP, L4_ICMP6, L4_OTHER };

/* Why a frame could not be fully decoded. The frame may still be partly valid
 * (e.g. an IPv4 header with a TCP header cut short): fields decoded before the
 * problem are filled in. */
enum pkt_err {
    PKT_OK = 0,
    PKT_E_TRUNC_L2,      /* shorter than an Ethernet header */
    PKT_E_TRUNC_L3,      /* IP/ARP header cut short, or total length past the capture */
    PKT_E_BAD_IHL,       /* IPv4 IHL < 5 or past total length */
    PKT_E_BAD_VERSION,   /* IP version field disagrees with the ethertype */
    PKT_E_BAD_IPLEN,     /* IPv4 total length < IHL*4 */
    PKT_E_FRAGMENT,      /* a fragment (MF or offset != 0): L4 not decoded; an IPv6
                            atomic fragment (offset 0, no MF) is decoded whole */
    PKT_E_TRUNC_L4,      /* TCP/UDP/ICMP header cut short */
    PKT_E_BAD_DOFF,      /* TCP data offset < 5 or past the IP payload */
    PKT_E_BAD_ARP,       /* ARP not Ethernet/IPv4 or lengths wrong */
};

struct frame {
    const uint8_t *data;       /* the whole frame as captured */
    size_t   len;
    enum pkt_err err;

    /* L2 */
    uint8_t  eth_dst[6], eth_src[6];
    uint16_t ethertype;        /* after at most one VLAN tag */
    uint16_t vlan;             /* 0 when untagged */
    size_t   l3_off;

    enum l3_kind l3;
    /* ARP (Ethernet/IPv4 only) */
    uint16_t arp_op;           /* 1 request, 2 reply */
    uint8_t  arp_sha[6], arp_tha[6];
    uint32_t arp_spa, arp_tpa;

    /* IPv4 / IPv6 */
    uint8_t  ip_ver;
    uint32_t saddr, daddr;     /* IPv4 */
    uint8_t  saddr6[16], daddr6[16];
    uint8_t  ttl, tos, proto;  /* proto: IPv4 protocol or IPv6 final next header */
    uint16_t ip_id;
    bool     df, mf;
    uint16_t frag_off;         /* in 8-byte units */
    uint16_t ip_hlen;          /* IPv4 IHL*4; IPv6 40 + extension headers */
    uint16_t ip_totlen;        /* IPv4 total length / IPv6 40 + payload length */
    uint32_t flowlabel;
    size_t   l4_off;           /* offset of the L4 header in data */
    size_t   l4_len;           /* L4 bytes per the IP header, clipped to the capture */

    enum l4_kind l4;
    /* TCP / UDP */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t  flags;
    uint8_t  th_res;           /* the 4 reserved bits (incl. AE/NS) */
    uint16_t win, urp, th_sum;
    uint8_t  doff;             /* header length in bytes */
    struct tcp_opts opt;
    /* ICMP */
    uint8_t  icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    /* payload of TCP/UDP/ICMP */
    const uint8_t *payload;
    size_t   payload_len;
};

/* Decode an Ethernet frame. Never reads outside [data, data+len). Returns f->err. */
enum pkt_err pkt_parse(struct frame *f, const uint8_t *data, size_t len);
/* Decode a bare IPv4/IPv6 packet (no L2), e.g. the packet quoted inside an ICMP error. */
enum pkt_err pkt_parse_ip(struct frame *f, const uint8_t *data, size_t len);
/* Decode TCP options from `len` bytes at p into o. Returns false if malformed. */
bool tcpopt_parse(struct tcp_opts *o, const uint8_t *p, size_t len);
const char *pkt_strerror(enum pkt_err e);
/* A frame's source and destination as 16 network-order bytes each (IPv4 in the first 4,
 * the rest zero): one key for both families, as kill and explain keep their flows. */
static inline void pkt_addrs(const struct frame *f, uint8_t src[16], uint8_t dst[16])
{
    if (f->l3 == L3_IPV6) {
        memcpy(src, f->saddr6, 16);
        memcpy(dst, f->daddr6, 16);
        return;
    }
    /* whole-word stores: the 8-byte loads that compare keys then forward from them */
    uint64_t w[2] = { 0, 0 };
    uint32_t a = htonl(f->saddr), b = htonl(f->daddr);
    memcpy(w, &a, 4);
    memcpy(src, w, 16);
    memcpy(w, &b, 4);
    memcpy(dst, w, 16);
}

/* tcpdump-style flag letters ("S", "S.", "R.", "FP."; "none") into buf (>= 12 bytes). */
const char *tcp_flags_str(uint8_t flags, char *buf);
/* hping3's and nmap's letters ("SA", "RA", "FPU"; "0") into buf (>= 12 bytes). */
const char *tcp_flags_letters(uint8_t flags, char *buf);
/* The flag bit of one letter in either style (A or ., C or W), or -1. Case matters. */
int tcp_flag_of_letter(char c);
/* Sequence space arithmetic (RFC 1982 style) */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
#endif
