#ifndef RSTCRAFT_TCP_IN_H
#define RSTCRAFT_TCP_IN_H
#include "engine.h"
/* A TCP segment addressed to one of our addresses. */
void tcp_input(struct engine *e, const struct frame *f);
/* The first SYN-ACK of fl (now, or when a delay ran out), with its event and the
 * retransmission timer. */
void tcp_synack_first(struct engine *e, struct flow *fl);
/* The SYN-ACK again (a retransmission, or an answer to a retransmitted SYN). */
void tcp_synack_again(struct engine *e, struct flow *fl, int in_flags);
#endif
