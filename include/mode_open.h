/* The open mode's callbacks, reused by modes that behave as open once connected, and the
 * parameters the listener modes share: open's echo, unread's read-wait. */
#ifndef RSTCRAFT_MODE_OPEN_H
#define RSTCRAFT_MODE_OPEN_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "mode.h"
struct syn_decision open_on_syn(struct engine *e, const struct rule *r, struct flow *fl, const struct frame *f);
void open_on_data(struct engine *e, const struct rule *r, struct flow *fl, const uint8_t *data, size_t n, bool psh);
void open_on_app_timer(struct engine *e, const struct rule *r, struct flow *fl);
void open_on_peer_fin(struct engine *e, const struct rule *r, struct flow *fl);
bool open_reads_payload(const struct rule *r);
extern const struct mode_param open_param_echo, unread_param_read_wait;
#endif
