/* Segment output: what the engine puts on the wire, field by field as the profile says. */
#ifndef RSTCRAFT_TCP_OUT_H
#define RSTCRAFT_TCP_OUT_H
#include <stddef.h>
#include <stdint.h>
#include "engine.h"

/* SYN-ACK for fl, options negotiated from the SYN per the profile's layout. */
void tcp_send_synack(struct engine *e, struct flow *fl);
/* A segment of an established flow: seq = snd_nxt (advanced by data and FIN), ack =
 * rcv_nxt, the flow's window and timestamps. flags without ACK only for RST. */
void tcp_send_flow(struct engine *e, struct flow *fl, uint8_t flags, const uint8_t *data, size_t len);
/* The same at seq: a retransmission (SND.NXT stays) or, at SND.NXT, new data. */
void tcp_send_at(struct engine *e, struct flow *fl, uint32_t seq, uint8_t flags,
                 const uint8_t *data, size_t len);
/* ACK carrying SACK blocks for out-of-order data when SACK was negotiated. */
void tcp_send_ack(struct engine *e, struct flow *fl);
/* RST for a segment that matches no connection (RFC 793 §3.4, Linux tcp_v4_send_reset).
 * Returns the flags sent, or -1 when nothing may be sent (the segment was an RST). */
int  tcp_send_reset_for(struct engine *e, const struct frame *f);
/* The profile's answer sa to a segment that matches no connection (nmap's T2..T7 shapes;
 * for Linux the RFC 793 reset). Returns the flags sent, or -1 when sa says silence. */
int  tcp_send_stray_answer(struct engine *e, const struct frame *f, const struct seg_answer *sa);
/* The MSS we advertise on fl (the profile's, less 20 bytes over IPv6). */
uint16_t tcp_our_mss(const struct engine *e, const struct flow *fl);
/* Receive window we advertise now (unscaled bytes). */
uint32_t tcp_rcv_window(const struct engine *e, const struct flow *fl);
uint32_t tcp_tsval(const struct engine *e, const struct flow *fl);
#endif
