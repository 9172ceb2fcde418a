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
    SYN_ACCEPT,     /* create the flow, SYN-ACK now or after synack_delay_us */
    SYN_RESET,      /* RST|ACK as for a closed port */
    SYN_DROP,       /* no answer; the mode has reported why */
};
/* What a mode decides about a SYN; the core acts on it. */
struct syn_decision {
    enum syn_verdict verdict;
    uint32_t synack_delay_us;   /* SYN_ACCEPT: hold the SYN-ACK this long */
};

/* A mode's own bytes in each flow, zeroed when the flow is made: the core never reads
 * them. A mode declares its struct and checks it fits:
 *     struct unread_flow { bool read_done; };
 *     _Static_assert(sizeof(struct unread_flow) <= MODE_FLOW_BYTES, "...");
 *     MODE_FLOW(fl, struct unread_flow)->read_done = true; */
#define MODE_FLOW_BYTES 8
#define MODE_FLOW(fl, T) ((T *)(void *)(fl)->mode_flow)

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
    /* State of the mode's own for one engine (the backlog mode's accept queues): made
     * by engine_init, freed by engine_free, found with engine_mode_state. NULL init: none.
     * init returns NULL only when out of memory. */
    void *(*init)(void);
    void (*close)(void *state);
    /* PORT_LISTEN only: a SYN with no flow yet. fl is a fresh flow with the SYN's options
     * negotiated. On SYN_DROP the mode reports why; on SYN_RESET/SYN_DROP the engine
     * discards fl. */
    struct syn_decision (*on_syn)(struct engine *e, const struct rule *r, struct flow *fl,
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
/* A mode's place in that list (for per-mode tables), or -1. */
int mode_index(const struct mode_ops *m);
#define MODE_MAX 16
#endif
