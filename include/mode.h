/* Behaviours. Each mode is a struct of named callbacks registered in one table
 * (zmap's probe modules are the model); the engine calls them at fixed points of the TCP
 * state machine and never branches on a mode's name. */
#ifndef RSTCRAFT_MODE_H
#define RSTCRAFT_MODE_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "reply.h"

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

/* A parameter a mode declares. From this one table the registry makes the command line's
 * --NAME, the rules file's NAME=VALUE (NAME alone for a flag), the --help line and the
 * range check with its message; the value of each rule is kept in the parameter's slot.
 * Modes that share a parameter point to the same struct: one option, one value. */
struct mode_params;
struct mode_param {
    const char *name;      /* --NAME and the rules key NAME */
    const char *metavar;   /* --help: "--delay MS"; NULL: a flag (value 0 or 1) */
    const char *unit;      /* errors: "--delay: expected milliseconds (0..600000), got 'x'" */
    uint32_t lo, hi, dflt;
    const char *help;      /* --help, after the names of the modes that read it */
    const char *section;   /* --help heading when not "Mode options" (the reply's options) */
    /* A value that is not a number (reply=STRING) is parsed and kept by its owner: set,
     * copy from one rule's values to another's (the command line over a file's default). */
    int  (*set)(struct mode_params *p, const char *val, const char *what, char *err, size_t errlen);
    void (*copy)(struct mode_params *dst, const struct mode_params *src);
    /* Every key of a rule is read: check what depends on several, build what they make. */
    int  (*finish)(struct mode_params *p, char *err, size_t errlen);
};

/* One rule's parameter values: every registered parameter's slot (a rule may set a key its
 * mode does not read, as the command line's options reach the default rule too). */
#define MODE_PARAM_MAX 32
struct mode_params {
    uint32_t v[MODE_PARAM_MAX];    /* by slot (mode_param_slot) */
    struct reply_params reply;     /* --reply and its options, made by their finish */
};
void mode_params_default(struct mode_params *p);
/* The value of d in p: how a mode reads its own parameters (0 if d is not registered). */
uint32_t mode_value(const struct mode_params *p, const struct mode_param *d);

struct mode_ops {
    const char *name;
    const char *summary;      /* one line for --help and the man page */
    enum port_kind kind;
    /* NULL-terminated: the parameters this mode declares, then those declared by another
     * mode or module (the reply's) that it reads too. Either may be NULL. */
    const struct mode_param *const *params;
    const struct mode_param *const *uses;
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
    /* The application timer set with app_timer() fired. */
    void (*on_app_timer)(struct engine *e, const struct rule *r, struct flow *fl);
    /* The flow is being freed (reset, closed, timed out): release what the mode holds. */
    void (*on_release)(struct engine *e, const struct rule *r, struct flow *fl);
    /* Whether the application of rule r reads the bytes it receives (echo): the capture
     * then keeps whole frames. NULL: it never does. */
    bool (*reads_payload)(const struct rule *r);
};

/* The registry. */
const struct mode_ops *mode_find(const char *name);
/* NULL-terminated list of every registered mode, in --help order. */
const struct mode_ops *const *mode_all(void);
/* A mode's place in that list (for per-mode tables), or -1. */
int mode_index(const struct mode_ops *m);
#define MODE_MAX 16
/* A mode that is not in the built-in table (a test's, a plugin's), added after them with
 * its parameters: 0, or -1 with why in err (name taken, a parameter's name taken by
 * another parameter, table full). Register before parsing options or rules. */
int mode_register(const struct mode_ops *m, char *err, size_t errlen);
/* Every registered parameter, each once, NULL-terminated, in slot order: those the modes
 * declare in registry order, then those they only use. */
const struct mode_param *const *mode_param_all(void);
const struct mode_param *mode_param_find(const char *name);
/* d's slot in struct mode_params, or -1 when no registered mode declares or uses it. */
int mode_param_slot(const struct mode_param *d);
/* The modes that declare or use d, "open, delay", for --help. */
void mode_param_users(const struct mode_param *d, char *buf, size_t len);
#endif
