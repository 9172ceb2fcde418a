/* What an OS profile needs beyond struct profile to pass for that OS under nmap -O and
 * p0f: the IP ID, ISN and timestamp generators as nmap's SEQ test classifies them, the
 * answers to unusual segments (nmap's T2..T7), the SYN-ACKs to nmap's six sequence probes
 * and its ECN probe, and the ICMP answers (echo reply, port unreachable). A profile and
 * its answers travel together in struct personality.
 *
 * Engine hooks (the engine owns the state; these functions only compute):
 *   engine_init        gen_state_init(&e->gen, seed); answers = personality's, or
 *                      profile_answers_default(prof, &own) for a bare struct profile
 *   tcp_in negotiate   fl->iss = isngen_next(&a->isn, &e->gen, now) unless ISG_PROFILE;
 *                      fl->ts_off = tsgen_offset(&a->ts, &e->gen, p->ts_hz, now, per_host_hash);
 *                      sa = synack_answer(a, f): remember it in the flow; when
 *                      !sa->respond, drop the SYN; an ECN-setup SYN (ECE|CWR) without
 *                      sa: add a->ecn_flags to the SYN-ACK
 *   tcp_send_synack    window synack_window(p, a, layout index); with sa: win, options
 *                      (seg_opts_encode), DF, TTL, flags, quirks from sa (seg_answer_apply)
 *   next_ipid          ipidgen_next(&a->ipid_synack / ipid_flow / ipid_reset, &e->gen, &fl->ip_id, now)
 *   tcp_tsval          tsgen_val(&a->ts, p->ts_hz, now, fl->ts_off)
 *   no_flow            k = stray_kind_of(listening, f->flags); k != STRAY_N:
 *                      stray_answer_fill(&a->stray[k], ...) and send, or stay silent
 *   engine_rx          ICMP echo request / UDP to one of our addresses: icmp_answer.h */
#ifndef RSTCRAFT_PROFILE_EXT_H
#define RSTCRAFT_PROFILE_EXT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "build.h"
#include "pkt.h"
#include "profile.h"

/* ---- IP ID generators: nmap's TI (SYN-ACKs), CI (closed-port RSTs), II (ICMP) ---- */
enum ipidg_kind {
    IPG_ZERO,          /* Z: always 0 */
    IPG_CONST,         /* a fixed value (nmap prints it in hex) */
    IPG_INCR,          /* I: +1 per packet on a shared counter */
    IPG_BROKEN_INCR,   /* BI: +1 stored in host order on a little-endian box: +256 */
    IPG_RANDOM_INCR,   /* RI: random positive steps, 1001..1300, never a multiple of 256 */
    IPG_RANDOM,        /* RD: random per packet, never within nmap's reach of the last three (gen.c) */
    IPG_PER_FLOW,      /* random start per connection, +1 per packet (Linux sockets) */
};
/* Counters: packets drawing from the same counter share one sequence (nmap's SS=S). */
enum { IPC_SHARED, IPC_RESET, IPC_ICMP, IPC_N };
struct ipidgen {
    uint8_t  kind;     /* enum ipidg_kind */
    uint8_t  counter;  /* IPC_* */
    uint16_t value;    /* IPG_CONST */
};

/* ---- ISN generator: nmap's GCD, ISR (8*log2 of the rate), SP (8*log2 of its spread) ---- */
enum isng_kind {
    ISG_PROFILE,       /* struct profile's isn (hash + clock or random) */
    ISG_RANDOM,        /* random per connection, a multiple of gcd (ISR ~0x10A, SP ~0x104) */
    ISG_CONST,         /* the same ISN every time (GCD=0, ISR=0) */
    ISG_CLOCK,         /* one global counter: +rate/s in steps of gcd, the per-interval
                          rate spread by sd (nmap's SP) in a fixed pattern so that any six
                          consecutive ISNs give the same GCD, ISR and SP */
};
struct isngen {
    uint8_t  kind;
    uint32_t value;    /* ISG_CONST */
    uint32_t gcd;      /* ISG_CLOCK: every increment a multiple of this (>= 1) */
    uint64_t rate;     /* ISG_CLOCK: mean increase per second */
    uint64_t sd;       /* ISG_CLOCK: standard deviation of the per-second rate */
};

/* ---- TCP timestamp clock: nmap's TS ---- */
enum tsg_kind {
    TSG_PROFILE,       /* struct profile's ts_hz, offset per host pair */
    TSG_CLOCK,         /* hz below, offset per host pair */
    TSG_ZERO,          /* TSval 0 (TS=0) */
    TSG_RANDOM,        /* an offset per connection (TS=20..22 under nmap): each new
                          connection starts where a 2^fast_log2 Hz clock is */
};
struct tsgen {
    uint8_t  kind;
    uint8_t  fast_log2;  /* TSG_RANDOM */
    uint32_t hz;         /* TSG_CLOCK / TSG_RANDOM: the rate within a connection */
};

/* What the engine keeps for the generators. */
#define IPID_RD_HIST 3
struct gen_state {
    uint16_t ipid[IPC_N];
    uint64_t ipid_us[IPC_N];               /* when each counter last gave an ID, + 1 */
    uint16_t rd_hist[IPC_N][IPID_RD_HIST]; /* RD: the counter's last IDs, newest first */
    uint32_t isn_last;
    uint64_t isn_us;
    bool     isn_init;
    uint8_t  isn_phase;
    uint32_t ts_fast;
    uint64_t ts_us;
    bool     ts_init;
    uint64_t rng;
};
void     gen_state_init(struct gen_state *g, uint64_t seed);
/* flow_ctr: the connection's own counter (IPG_PER_FLOW), may be NULL (then 0). now_us:
 * the monotonic clock, which tells when a counter sat idle (gen.c: when it may rewind). */
uint16_t ipidgen_next(const struct ipidgen *g, struct gen_state *st, uint16_t *flow_ctr,
                      uint64_t now_us);
uint32_t isngen_next(const struct isngen *g, struct gen_state *st, uint64_t now_us);
/* The offset to store in a new connection: per_host, or for TSG_RANDOM the one that
 * starts the connection on the fast clock. */
uint32_t tsgen_offset(const struct tsgen *g, struct gen_state *st, uint32_t hz_default,
                      uint64_t now_us, uint32_t per_host);
uint32_t tsgen_val(const struct tsgen *g, uint32_t hz_default, uint64_t now_us, uint32_t off);

/* ---- one answer segment, as nmap's T1..T7 and ECN tests describe it ---- */
enum seq_rule { SEQR_ZERO, SEQR_ACK, SEQR_ACK1, SEQR_OTHER };          /* S: Z A A+ O */
/* A: Z (0), S (SEG.SEQ + data), S+ (SEG.SEQ + 1 + data: SYN or FIN counted once, as the
 * stacks nmap recorded do for SYN|FIN), O (anything else); RFC: SEG.SEQ + SEG.LEN with
 * SYN and FIN each counted (RFC 793 §3.4, Linux) */
enum ack_rule { ACKR_ZERO, ACKR_SEQ, ACKR_SEQ1, ACKR_OTHER, ACKR_RFC };
#define SQ_RES 0x01    /* Q=R: reserved bits set */
#define SQ_URP 0x02    /* Q=U: urgent pointer without URG */
struct seg_answer {
    bool     respond;  /* R */
    bool     df;
    uint8_t  ttl;
    uint16_t win;
    uint8_t  flags;    /* TH_* */
    uint8_t  seq;      /* enum seq_rule */
    uint8_t  ack;      /* enum ack_rule */
    uint8_t  quirks;   /* SQ_* */
    uint32_t rd;       /* RST carrying data whose CRC-32 is this; 0: no data */
    char     opts[56]; /* nmap option string ("M5B4NW8ST11"), "" for none */
};

/* Segments that match no connection, by nmap's names for them. */
enum stray_kind {
    STRAY_OPEN_NOFLAGS,  /* T2: no SYN/ACK/RST to a listening port */
    STRAY_OPEN_SYNFIN,   /* T3: SYN with FIN to a listening port */
    STRAY_OPEN_ACK,      /* T4: ACK to a listening port */
    STRAY_CLOSED_SYN,    /* T5: SYN to a closed port */
    STRAY_CLOSED_ACK,    /* T6: ACK to a closed port */
    STRAY_CLOSED_OTHER,  /* T7: neither SYN nor ACK to a closed port (FIN|PSH|URG) */
    STRAY_N
};
/* Which case a segment with these flags is (STRAY_N: not one, e.g. an RST, or a SYN to a
 * listening port, which opens a connection). */
enum stray_kind stray_kind_of(bool listening, uint8_t flags);

/* nmap's SYN probes have fixed shapes (osscan2.cc prbOpts/prbWindowSz); recognising them
 * lets a personality give the exact window and options nmap recorded for each. */
enum nmap_probe { NP_SEQ1, NP_SEQ2, NP_SEQ3, NP_SEQ4, NP_SEQ5, NP_SEQ6, NP_ECN, NP_COUNT };
/* NP_COUNT when the SYN is not one of them. */
enum nmap_probe nmap_probe_of(const struct frame *syn);
/* All thirteen of nmap's TCP probes as it sends them (osscan2.cc prbOpts, prbWindowSz):
 * SEQ1..SEQ6 and ECN indexed by enum nmap_probe, then T2..T7 from NMAP_T2 (T1 is SEQ1). */
struct nmap_probe_shape { uint16_t win; uint8_t flags; bool df; uint8_t len; uint8_t opt[20]; };
#define NMAP_T2 NP_COUNT
#define NMAP_SHAPES (NP_COUNT + 6)
extern const struct nmap_probe_shape nmap_probe_shapes[NMAP_SHAPES];

/* ---- ICMP answers: nmap's U1 (port unreachable) and IE (echo reply) ---- */
enum { QR_GOOD, QR_CONST, QR_DELTA, QR_SWAP, QR_SWAP_DELTA };  /* a quoted field */
enum { QCK_GOOD, QCK_ZERO, QCK_BAD };                          /* quoted IP checksum */
struct u1_answer {
    bool     respond;
    bool     df;
    uint8_t  ttl;
    uint8_t  tos;        /* TOS of the answer ... */
    bool     tos_copy;   /* ... OR'd with the probe's TOS bits (0x1e), as Linux does */
    uint16_t quote_max;  /* bytes of the probe's IP datagram quoted at most */
    uint16_t pad_to;     /* zero-pad the answer to this IP total length (0: no) */
    bool     ipl_swap;   /* our own IP total length written byte-swapped (old BSDs) */
    uint32_t un;         /* the 4 "unused" bytes after the checksum */
    uint8_t  ripl;       /* QR_*: the quoted total length */
    int32_t  ripl_arg;   /* value (CONST) or difference (DELTA, SWAP_DELTA) */
    uint8_t  rid;        /* QR_GOOD / QR_CONST / QR_SWAP: the quoted IP ID */
    uint16_t rid_arg;
    uint8_t  ripck;      /* QCK_* */
    uint8_t  ruck;       /* QR_GOOD / QR_CONST: the quoted UDP checksum */
    uint16_t ruck_arg;
    bool     rud_bad;    /* the quoted UDP data comes back changed */
    uint8_t  hops;       /* the quoted TTL lowered by this: nmap then counts that many more
                            hops and adds them to every TTL it reports (T above 0xFF) */
};
enum { DFI_N, DFI_S, DFI_Y, DFI_O };          /* DF: never, as the request, always, inverted */
enum { CD_ZERO, CD_SAME, CD_VALUE, CD_OTHER };
struct ie_answer {
    bool     respond;
    uint8_t  dfi;
    uint8_t  ttl;
    uint8_t  cd;
    uint8_t  code;       /* CD_VALUE */
};

struct profile_answers {
    struct ipidgen ipid_synack;   /* TI */
    struct ipidgen ipid_flow;     /* segments of a connection (nmap does not see them) */
    struct ipidgen ipid_reset;    /* CI: RSTs for segments matching no connection */
    struct ipidgen ipid_icmp;     /* II */
    struct isngen  isn;
    struct tsgen   ts;
    uint8_t  ecn_flags;           /* added to a SYN-ACK answering an ECN-setup SYN (CC) */
    uint16_t synack_win[4];       /* SYN-ACK window by layout index (ts << 1 | sack);
                                     0: struct profile's synack_win */
    uint8_t  probe_mask;          /* bit n: probe[n] holds the answer to nmap probe n */
    struct seg_answer probe[NP_COUNT];  /* SEQ1..6: T1 with WIN Wn / OPS On; ECN */
    struct seg_answer stray[STRAY_N];   /* T2..T7 */
    struct u1_answer u1;
    struct ie_answer ie;
};

/* A profile, its answers, and room for the strings they point to. Do not copy one that
 * nmapdb_to_profile filled: its pointers refer to its own arrays. */
struct personality {
    struct profile prof;
    struct profile_answers ans;
    const char *src_nmap;         /* the nmap-os-db fingerprint it plays ... */
    unsigned src_line;            /* ... at this line of Debian's nmap-os-db (0: unknown) */
    const char *src_p0f;          /* the p0f SYN-ACK signature it matches, or NULL */
    char name[96];
    char os[160];
    char summary[200];
    char layout[4][24];
};

/* Answers for a bare struct profile: Linux's (tcp_v4_send_reset, icmp_reply,
 * icmp_send), with the profile's TTL, DF and reset window. */
void profile_answers_default(const struct profile *p, struct profile_answers *a);
/* SYN-ACK window for a negotiated layout index. */
uint16_t synack_window(const struct profile *p, const struct profile_answers *a, unsigned layout_ix);
/* The per-probe answer for this SYN, or NULL (not an nmap probe, or no probe answers). */
const struct seg_answer *synack_answer(const struct profile_answers *a, const struct frame *syn);
/* Encode an nmap option string (M<hex> N W<hex> S T<0|1><0|1> L) into TCP option bytes,
 * padded with EOL to 4 bytes. T's digits say whether TSval / TSecr are non-zero: a '1'
 * uses tsval / tsecr (1 when that is 0), a '0' writes 0. Returns the length, -1 when the
 * string is not one nmap writes or does not fit 40 bytes. */
int  seg_opts_encode(const char *nmapopts, uint32_t tsval, uint32_t tsecr, uint8_t out[TCPOPT_MAXLEN]);
/* DF, TTL, window, flags and quirks of sa onto a segment answering `in`. */
void seg_answer_apply(const struct seg_answer *sa, const struct frame *in,
                      struct ip4_spec *ip, struct tcp_spec *t);
/* The seq and ack of an answer to segment in by its rules (nmap's S and A): isn is our
 * value where the rule says "other". One implementation for the SYN-ACKs to nmap's probes,
 * the stray answers and the offline simulator. */
void seg_answer_seqack(const struct seg_answer *sa, const struct frame *in, uint32_t isn,
                       uint32_t *seq, uint32_t *ack);
/* The whole answer to a stray segment `in`: addresses and ports swapped, seq/ack by the
 * rules, options, RST data. isn: our value for SEQR_OTHER; tsval for a T option. Fills
 * everything but ip->id. Returns false when sa says no answer (or `in` is an RST). */
bool stray_answer_fill(const struct seg_answer *sa, const struct frame *in, uint32_t isn,
                       uint32_t tsval, struct ip4_spec *ip, struct tcp_spec *t,
                       uint8_t opts[TCPOPT_MAXLEN], uint8_t data[4], size_t *dlen);

/* CRC-32 (IEEE, as nmap's RD test computes it) and four bytes whose CRC-32 is target. */
uint32_t crc32_ieee(const uint8_t *p, size_t n);
void     crc32_forge4(uint32_t target, uint8_t out[4]);

/* Built-in personalities (profiles_builtin.c): windows7, windows7-firewall, windows10,
 * freebsd, macos, openbsd. NULL-terminated. */
const struct personality *const *personality_builtin_all(void);
const struct personality *personality_builtin_find(const char *name);
#endif
