/* What the emulated application writes back: the reply bytes (shared, read-only, one copy per
 * rule), how they leave (delay, pacing, segments, a reset part-way) and the sending half of
 * the per-flow TCP (SND.UNA/SND.NXT, the peer's window, retransmission on Linux's RTO
 * schedule). Nothing is allocated per flow or per packet: a flow keeps only where it is in
 * its rule's reply. */
#ifndef RSTCRAFT_REPLY_H
#define RSTCRAFT_REPLY_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "event.h"

struct engine;
struct flow;

struct reply_body {
    struct reply_body *next;   /* the ruleset's list of bodies it frees */
    uint32_t len;
    uint8_t  data[];
};

enum reply_kind { REPLY_NONE = 0, REPLY_BYTES, REPLY_HTTP };

struct reply_params {
    struct reply_body *body;   /* NULL: the application writes nothing */
    uint8_t  kind;             /* enum reply_kind; REPLY_HTTP: body built by reply_resolve */
    uint32_t size;             /* http: body bytes (--reply-size, default 0) */
    uint32_t reset_after;      /* RST|ACK after this many reply bytes; 0: never */
    uint32_t delay_ms;         /* before the reply's first byte */
    uint32_t rate;             /* bytes per second; 0: as fast as the peer's window allows */
    uint32_t segments;         /* split into this many segments; 0: by the peer's MSS */
    uint32_t idle_close_s;     /* forget a quiet connection after this; 0: never */
};

/* The reply is built once per rule and held in memory: 64 MiB is a long download, and a
 * bound no rules file can push a responder past. */
#define REPLY_MAX_BYTES (64u << 20)

/* --reply / reply=: "http", "@FILE" (a regular file, at most 64 MiB) or bytes with C escapes
 * (\r \n \t \s for a space, \\ and \xHH). Returns 0, or -1 with one line in err. */
int  reply_set(struct reply_params *p, const char *spec, const char *what, char *err, size_t errlen);
/* Every key is known: build the http body (--reply-size may come after --reply). */
int  reply_resolve(struct reply_params *p, char *err, size_t errlen);
/* Whether a rule's application does anything after its read (a reply or an idle timer). */
static inline bool reply_wanted(const struct reply_params *p) { return p->body || p->idle_close_s; }
void reply_body_free(struct reply_body *b);

/* The reply's parameters (struct mode_param, mode.h), for the table of every mode that
 * replies: reply=, reply-size=, reset-after=, reply-delay=, reply-rate=, reply-segments=,
 * idle-close=. Their values reach struct reply_params when the rule is finished. */
extern const struct mode_param reply_param_text, reply_param_size, reply_param_reset_after,
    reply_param_delay, reply_param_rate, reply_param_segments, reply_param_idle_close;
#define REPLY_PARAMS &reply_param_text, &reply_param_size, &reply_param_reset_after, \
    &reply_param_delay, &reply_param_rate, &reply_param_segments, &reply_param_idle_close

/* --- the engine side (responder/modes/reply.c) --- */
/* The application read a request: answer it (now, after the delay, or after the reply under
 * way), then close when close_after (FIN, or RST|ACK with data unread). May free fl. */
void reply_start(struct engine *e, struct flow *fl, bool close_after);
/* The application closes (the peer closed): now, or once the reply under way is written. */
void reply_close(struct engine *e, struct flow *fl);
/* A reply is waiting, leaving, or not yet acknowledged. */
bool reply_busy(const struct flow *fl);
/* The handshake completed: the first retransmission timeout from its RTT sample. */
void reply_established(struct engine *e, struct flow *fl);
/* An acceptable ACK was processed (snd_una, snd_wnd updated): more may go, or the exchange
 * is complete. May free fl. */
void reply_on_ack(struct engine *e, struct flow *fl, bool advanced);
/* Our FIN left: retransmit it (and any reply bytes before it) until acknowledged. */
void reply_fin_sent(struct engine *e, struct flow *fl);
/* TM_REPLY fired. May free fl. */
void reply_timer(struct engine *e, struct flow *fl);
/* The largest segment payload for fl: the peer's MSS within ours, less the options. */
uint32_t tcp_send_mss(const struct engine *e, const struct flow *fl);

/* --- the application's calls, for the modes (responder/reply.c) --- */
/* Its timer: the mode's on_app_timer after ms. */
void app_timer(struct engine *e, struct flow *fl, uint32_t ms);
/* The application reads up to n bytes of what is queued. */
void app_read(struct engine *e, struct flow *fl, uint32_t n);
/* The application closes: RST|ACK when data is unread (Linux __tcp_close, RFC 2525 §2.17),
 * FIN otherwise. The flow may be freed: do not touch fl afterwards. */
void app_close(struct engine *e, struct flow *fl);
/* The application aborts (SO_LINGER 0, a crash): RST|ACK, the event why, fl freed. */
void app_abort(struct engine *e, struct flow *fl, enum ev_kind why);
/* The application writes n bytes (echo). */
void app_send(struct engine *e, struct flow *fl, const uint8_t *data, size_t n);
#endif
