/* Behaviours. Each mode is a struct of named callbacks registered in one table
 * (zmap's probe modules are the model); the engine calls them at fixed points of the TCP
 * state machine and never branches on a mode's name. */
#ifndef RSTCRAFT_MODE_H
#define RSTCRAFT_MODE_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct engine;
struct flow;
struct frame;
struct rule;

enum syn_verdict {
    SYN_ACCEPT,     /* create the flow, SYN-ACK now or after flow->synack_at */
    SYN_RESET,      /* RST|ACK as for a closed port */
    SYN_DROP,       /* no answer; the mode has reported why */
};

/* What a port of this mode is, for segments that belong to no connection. */
enum port_kind {
    PORT_LISTEN,    /* a listener: SYNs go to on_syn, stray ACKs get RST (Linux LISTEN) */
    PORT_CLOSED,    /* no socket: RST for everything but RST (RFC 793 §3.4) */
    PORT_FILTERED,  /* firewalled: nothing is ever sent */
};

struct mode_ops {
    const char *name;
    const char *summary;      /* one line for --help and the man page */
    enum port_kind kind;
    /* PORT_LISTEN only: a SYN with no flow yet. fl is a fresh flow with the SYN's options
     * negotiated; the mode may set fl->synack_delay_us. On SYN_DROP the mode reports why;
     * on SYN_RESET/SYN_DROP the engine discards fl. */
    enum syn_verdict (*on_syn)(struct engine *e, const struct rule *r, struct flow *fl,
                               const struct frame *f);
    /* The handshake's final ACK arrived. Return false to answer it with RST instead
     * (accept queue overflow with abort-on-overflow). */
    bool (*on_established)(struct engine *e, const struct rule *r, struct flow *fl);
    /* In-order data was queued for the emulated application (fl->unread grew). */
    void (*on_data)(struct engine *e, const struct rule *r, struct flow *fl,
                    const uint8_t *data, size_t n, bool psh);
    /* The peer's FIN arrived (after all its data). */
    void (*on_peer_fin)(struct engine *e, const struct rule *r, struct flow *fl);
    /* The application timer set with engine_app_timer() fired. */
    void (*on_app_timer)(struct engine *e, const struct rule *r, struct flow *fl);
    /* The flow is being freed (reset, closed, timed out): release what the mode holds. */
    void (*on_release)(struct engine *e, const struct rule *r, struct flow *fl);
};

/* The registry. */
const struct mode_ops *mode_find(const char *name);
/* NULL-terminated list of every registered mode, in --help order. */
const struct mode_ops *const *mode_all(void);
#endif
