/* `rstcraft craft`: command-line model, probe identity and reply matching, frame building
 * beyond the shared IPv4/TCP template (IPv6, UDP, ICMP), next-hop resolution, pacing. */
#ifndef RSTCRAFT_CRAFT_H
#define RSTCRAFT_CRAFT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "pkt.h"
#include "build.h"
#include "netio.h"
#include "addrset.h"

#define CRAFT_ERRLEN    256
#define CRAFT_MAXOPTS   40          /* option items; the encoded total is checked too */
#define CRAFT_MAXPORTS  64          /* port ranges in one -p list */
#define CRAFT_MAXDATA   (FRAME_MAX - 14 - 40 - 60)

enum craft_proto { CP_TCP = 0, CP_UDP, CP_ICMP };

struct portrange { uint16_t lo, hi; };

struct craft_opts {
    /* target and path */
    char     dst_str[256];
    bool     v6;                    /* -6, or DST is an IPv6 literal */
    uint32_t dst4;                  /* host order */
    uint8_t  dst6[16];
    bool     has_src;
    uint32_t src4;
    uint8_t  src6[16];
    char     ifname[64];            /* -i, empty: the route's interface */
    bool     has_dst_mac, has_src_mac;
    uint8_t  dst_mac[6], src_mac[6];

    enum craft_proto proto;
    uint8_t  icmp_type, icmp_code;  /* defaults: echo request (8 / 128) */
    bool     has_icmp_type;
    uint16_t icmp_id;               /* default: pid */
    bool     has_icmp_id;
    uint16_t icmp_seq;              /* first echo sequence number */

    /* ports: -p list of ranges, probe i goes to the (i mod total)-th port */
    struct portrange ports[CRAFT_MAXPORTS];
    size_t   nports;
    uint32_t nport_total;
    bool     has_sport;
    uint16_t sport;

    /* TCP */
    uint8_t  flags;
    bool     has_seq, has_ack;
    uint32_t seq, ack;
    uint16_t win, urp;
    int      doff;                  /* -1: computed; else forced (words) */
    uint8_t  res;                   /* reserved bits */
    bool     badsum;
    struct optitem opts[CRAFT_MAXOPTS];
    size_t   nopts;
    uint8_t  rawopt[TCPOPT_MAXLEN * 2];  /* storage behind OI_RAW items */
    size_t   rawused;
    uint8_t  optbuf[TCPOPT_MAXLEN]; /* encoded, padded */
    size_t   optlen;

    /* IP */
    uint8_t  ttl;                   /* IPv4 TTL / IPv6 hop limit */
    bool     has_id;
    uint16_t id;
    uint8_t  tos;                   /* IPv4 TOS / IPv6 traffic class */
    bool     df, mf;
    uint16_t frag_off;              /* 8-byte units */
    uint32_t flowlabel;

    /* payload */
    uint8_t  data[CRAFT_MAXDATA];
    size_t   dlen;
    bool     has_dlen_forced;

    /* pace and output */
    uint64_t count;                 /* 0: until interrupted */
    uint64_t interval_ns;
    double   rate;                  /* packets per second, 0: use interval */
    bool     flood;
    uint32_t wait_ms;
    bool     json, quiet;
    char     pcap_path[4096];
};

/* ---- parsers (crafter/craft/craft_parsers.c); each returns 0, or -1 with one line in err ---- */
int craft_parse_flags(const char *s, uint8_t *flags, char *err, size_t errlen);
/* "500us", "2ms", "1s", "250ns", "0.5" (bare number: seconds, as ping -i) */
int craft_parse_interval(const char *s, uint64_t *ns, char *err, size_t errlen);
/* hex bytes, optional separators ':' ' ' '-', optional 0x prefix: "0204 05b4", "de:ad" */
int craft_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *outlen, char *err, size_t errlen);
/* unsigned decimal or 0x hex, at most max */
int craft_parse_uint(const char *s, uint64_t max, uint64_t *out, const char *what, char *err, size_t errlen);
int craft_parse_ports(const char *s, struct portrange *r, size_t cap, size_t *n, uint32_t *total,
                      char *err, size_t errlen);
int craft_parse_sack(const char *s, struct optitem *it, char *err, size_t errlen);
int craft_parse_ts(const char *s, struct optitem *it, char *err, size_t errlen);
int craft_parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen);
/* Append the option layout of a common stack ("linux", "windows", "macos", "freebsd",
 * "openbsd", "nmap"). Returns 0 or -1. */
int craft_opts_preset(const char *name, struct optitem *items, size_t cap, size_t *n,
                      char *err, size_t errlen);
const char *craft_presets(void);

/* ---- the command line (crafter/craft/craft_cli.c) ----
 * Returns 0 ready, 1 help was printed (exit 0), -1 usage error (one line in err). */
int  craft_parse_args(struct craft_opts *o, int argc, char **argv, char *err, size_t errlen);
/* false: DST must be a numeric address (the fuzzer must not wait on DNS) */
extern bool craft_allow_names;
void craft_usage(FILE *out);

/* ---- probe identity (crafter/craft/craft_match.c) ----
 * Probe i varies in every field the user left free: source port (base + i, mod 64512),
 * TCP seq (base + i * 65537, a bijection of 32-bit i), TCP ack when ACK is set (same),
 * IPv4 ID (base + i), ICMP echo sequence (base + i). A reply is inverted to the probe
 * index from the fields it echoes. */
struct probe_gen {
    bool     sport_var;  uint16_t sport;  uint16_t sport_base;   /* sport(i) in 1024..65535 */
    bool     seq_var;    uint32_t seq;
    bool     ack_var;    uint32_t ack;
    bool     id_var;     uint16_t id;
    uint16_t icmp_id, icmp_seq;
    const struct portrange *ports; size_t nports; uint32_t nport_total;
    bool     ports_unique;        /* no port twice in the list: dport identifies i mod total */
    uint8_t  flags;               /* TCP flags of every probe */
    uint32_t seglen;              /* payload + SYN + FIN */
    uint32_t plen;
    enum craft_proto proto;
    bool     v6;
};
struct probe_fields {
    uint16_t sport, dport, id, icmp_seq;
    uint32_t seq, ack;
};
#define SEQ_STRIDE 65537u
void probe_fields(const struct probe_gen *g, uint64_t i, struct probe_fields *out);
uint16_t probe_dport(const struct probe_gen *g, uint64_t i);

/* What the reply (or the packet quoted by an ICMP error) tells about its probe. */
struct reply_key {
    enum craft_proto proto;
    bool     quoted;              /* from an ICMP error: fields are the probe's own */
    uint16_t sport, dport;        /* the probe's source / destination port */
    bool     has_seq;   uint32_t seq;    /* quoted: probe seq */
    bool     has_ack;   uint32_t ack;    /* reply's ACK number (echo of seq + len) */
    bool     has_rseq;  uint32_t rseq;   /* RST without ACK: echo of the probe's ack */
    bool     has_id;    uint16_t id;     /* quoted IPv4 ID */
    bool     has_icmp;  uint16_t icmp_id, icmp_seq;
};
/* Per-probe record kept in a ring of the last `cap` probes. */
struct probe_rec {
    uint64_t sent_ns;             /* CLOCK_REALTIME */
    uint32_t replies;
};
struct probe_tab {
    struct probe_rec *r;
    uint64_t cap;                 /* ring size */
    uint64_t sent;                /* probes sent so far; indexes < sent are valid */
    uint64_t oldest_unanswered;   /* cursor for weak identities */
};
enum match_quality { MQ_NONE = 0, MQ_EXACT, MQ_AMBIGUOUS, MQ_TUPLE };
struct match_result {
    int64_t  idx;                 /* -1: no probe */
    enum match_quality q;
    bool     dup;                 /* that probe already had a reply */
};
int  probe_tab_init(struct probe_tab *t, uint64_t count);
void probe_tab_free(struct probe_tab *t);
static inline struct probe_rec *probe_at(struct probe_tab *t, uint64_t i) { return &t->r[i % t->cap]; }
/* Find the probe a reply belongs to; marks nothing (the caller records the reply). */
struct match_result probe_match(const struct probe_gen *g, struct probe_tab *t,
                                const struct reply_key *k);
/* Record a reply to probe idx (counts it, advances the cursor). */
void probe_answered(struct probe_tab *t, uint64_t idx);
const char *match_quality_str(enum match_quality q);
/* The probe quoted inside an ICMP error (RFC 792: IP header + at least 8 bytes). */
struct quoted {
    bool     ok, v6;
    uint8_t  proto, ttl;
    uint16_t id;
    uint32_t s4, d4;
    uint8_t  s6[16], d6[16];
    uint16_t sport, dport;        /* TCP / UDP */
    bool     has_seq;  uint32_t seq;
    uint8_t  icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
};
struct craft_target {
    bool v6; uint32_t src4, dst4; uint8_t src6[16], dst6[16];
};
/* Fill k (and q for ICMP errors) from a parsed frame. Returns false when the frame is not
 * a reply to this run's probes (wrong protocol, addresses or ICMP id). */
bool reply_key_from_frame(const struct probe_gen *g, const struct craft_target *tg,
                          const struct frame *f, struct reply_key *k, struct quoted *q);
/* Is this an ICMP/ICMPv6 error type (destination unreachable, time exceeded, ...)? */
bool icmp_is_error(bool v6, uint8_t type);
/* The packet quoted by an ICMP/ICMPv6 error (the bytes after its 8-byte header) into q;
 * ports and seq as far as the quote goes. False when not even its IP header is there. */
bool icmp_parse_quoted(const uint8_t *p, size_t len, struct quoted *q);

/* ---- frames beyond the shared template (crafter/wire/build6.c) ---- */
struct ip6_spec {
    uint8_t  saddr[16], daddr[16];
    uint8_t  hlim, tclass;
    uint32_t flowlabel;
};
struct l3_spec {
    bool v6;
    struct ip4_spec ip4;
    struct ip6_spec ip6;
};
/* TCP header + options into out (>= 60 bytes) with checksum 0. Returns header length. */
size_t build_tcp_hdr(uint8_t *out, const struct tcp_spec *t);
/* Ethernet + IPv4/IPv6 + the given L4 bytes (header with checksum field zero) + payload.
 * Fills the checksum at csum_off inside l4 (ICMPv4: no pseudo-header); badsum makes it
 * wrong on purpose (correct value XOR 0x5a5a). Returns frame length or 0 (no room). */
size_t build_l3_frame(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                      const struct l3_spec *l3, uint8_t proto, const uint8_t *l4, size_t l4len,
                      const uint8_t *payload, size_t plen, size_t csum_off, bool badsum);
/* IPv6 neighbour solicitation for target, from (smac, saddr); saddr :: makes a DAD probe. */
size_t build_ns6(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t saddr[16],
                 const uint8_t target[16]);
/* IPv6 neighbour advertisement for target to (dmac, daddr): flags (ND_NA_*) and, with tlla,
 * the target link-layer address option (smac). */
#define ND_NA_ROUTER    0x80000000u
#define ND_NA_SOLICITED 0x40000000u
#define ND_NA_OVERRIDE  0x20000000u
size_t build_na6(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                 const uint8_t target[16], const uint8_t daddr[16], uint32_t flags, bool tlla);

/* ---- probes of one run (crafter/craft/craft_build.c) ---- */
struct craft_ctx {
    const struct craft_opts *o;
    struct probe_gen gen;
    struct craft_target tg;
    uint8_t  smac[6], dmac[6];
    struct tmpl_tcp4 tmpl;
};
int    craft_ctx_init(struct craft_ctx *c, const struct craft_opts *o, const uint8_t smac[6],
                      const uint8_t dmac[6], uint32_t seed, char *err);
/* The whole frame of probe i (slow path: every field written). */
size_t craft_build(const struct craft_ctx *c, uint64_t i, uint8_t *buf, size_t cap);
/* Fast path: frame i derived from base (= craft_build(c, 0)) by patching the varying
 * fields and updating checksums incrementally. buf holds a copy of base already. */
struct craft_patch {
    size_t   len;
    size_t   off_id, off_ipsum, off_sport, off_dport, off_seq, off_ack, off_l4sum, off_icseq;
    struct probe_fields f0;
    bool     v4;
};
void   craft_patch_init(const struct craft_ctx *c, const uint8_t *base, size_t len, struct craft_patch *p);
void   craft_patch(const struct craft_ctx *c, const struct craft_patch *p, uint8_t *frame, uint64_t i);
/* The ring's start: frame 0 into buf and the plan to patch it into frame i. Returns its
 * length, or 0 (said on stderr) when the probe does not fit in cap. */
size_t craft_ring_base(const struct craft_ctx *c, uint8_t *buf, size_t cap, struct craft_patch *p);

/* ---- next hop (crafter/netio/neigh.c) ---- */
struct route_info {
    int      oif;
    char     ifname[64];
    bool     has_gw, has_prefsrc;
    uint8_t  gw[16], prefsrc[16];   /* IPv4 in the first 4 bytes, network order */
    bool     local;                 /* the destination is this host */
};
int  nl_route_get(bool v6, const uint8_t *dst, int oif, struct route_info *ri, char *err, size_t errlen);
/* 1 found a usable entry, 0 none, -1 error */
int  nl_neigh_get(bool v6, int ifindex, const uint8_t *addr, uint8_t mac[6]);
/* Ask on the wire (ARP request / neighbour solicitation), wait up to ms. 1 found, 0 not. */
int  resolve_on_wire(struct netio *n, bool v6, const uint8_t *src, const uint8_t *target,
                     unsigned ms, uint8_t mac[6]);
/* An address of ifname of the given family (network order bytes). 0 or -1. */
int  if_first_addr(const char *ifname, bool v6, uint8_t *out);
/* Does the kernel of this namespace own the address? (bind() test) */
bool kernel_owns(bool v6, const uint8_t *addr);

/* ---- time (crafter/craft/craft_pace.c) ---- */
uint64_t now_mono_ns(void);
uint64_t now_real_ns(void);
/* Sleep until the CLOCK_MONOTONIC deadline (absolute), or until fd is readable when fd >= 0.
 * Returns 1 when fd became readable, 0 at the deadline, -1 interrupted. */
int  wait_until(uint64_t deadline_ns, int fd);

/* ---- TX ring (crafter/craft/craft_ring.c): PACKET_MMAP batches for --flood and --rate ---- */
struct txring {
    int      fd;
    uint8_t *map;
    size_t   maplen;
    unsigned frame_size, frame_nr, cur;
    unsigned pending;               /* frames queued since the last kick */
    bool     vnet;                  /* frames carry a virtio_net_hdr (PACKET_VNET_HDR) */
    uint64_t sent, failed;
    uint64_t busy;                  /* kicks the kernel had no room for (EAGAIN, ENOBUFS) */
};
int  txring_open(struct txring *r, int ifindex, unsigned frame_len, char *err, size_t errlen);
/* Pointer to the next free frame's data area, or NULL when the ring is full (kick and retry). */
uint8_t *txring_slot(struct txring *r);
/* Commit the slot returned by txring_slot with len bytes. */
void txring_commit(struct txring *r, size_t len);
/* Hand queued frames to the kernel. wait: block until they left. Returns 0, 1 when the
 * kernel had no room (EAGAIN, ENOBUFS: counted in busy, not an error), or -1 with errno
 * (ENETDOWN: the link is down, ENXIO: the interface is gone; the frames stay queued). */
int  txring_kick(struct txring *r, bool wait);
void txring_close(struct txring *r);

/* ---- output (crafter/craft/craft_print.c) ---- */
struct craft_stats {
    uint64_t sent, answered, replies, dups;
    double   rtt_min, rtt_max, rtt_sum;     /* ms */
};
void craft_print_reply(const struct craft_opts *o, const struct frame *f, const struct quoted *q,
                       const struct match_result *m, double rtt_ms);
void craft_print_summary(const struct craft_opts *o, const struct craft_stats *s, double secs);
void craft_print_banner(const struct craft_opts *o, const char *ifname, size_t hdrlen);

/* ---- one run (crafter/craft/craft_run.c; set up by craft_main in crafter/craft/craft_main.c) ---- */
struct craft_run {
    const struct craft_opts *o;
    struct craft_ctx ctx;
    struct netio net;
    struct probe_tab tab;
    struct craft_stats st;
    bool     answer_arp;            /* --src is not the kernel's: answer ARP / ND for it */
    struct addrset owned;           /* that source, for arp_answer */
    uint64_t arp_answered;
    bool     gone;                  /* the interface went away: stop, exit 3 */
    uint8_t  frame[FRAME_MAX];
};
/* The probe loops. Return the exit status (0 a reply, 1 none, 3 runtime error). */
int craft_run_probes(struct craft_run *r);
int craft_run_ring(struct craft_run *r);
/* --flood without -w: one TX ring and thread per CPU (crafter/craft/craft_flood.c) */
int craft_run_flood(struct craft_run *r);
/* Set by SIGINT / SIGTERM: stop sending, print the summary. */
extern volatile int craft_stop;
#endif
