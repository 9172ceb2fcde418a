/* Private to the responder's option parsing (config.c, rules.c): the mode parameter keys
 * in one table, so the rules file and the command line accept the same values and say the
 * same things about bad ones. */
#ifndef RSTCRAFT_PARAMS_H
#define RSTCRAFT_PARAMS_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "rules.h"

enum param_key {
    PK_DELAY, PK_READ, PK_READ_WAIT, PK_BACKLOG, PK_ECHO, PK_ABORT,
    PK_REPLY, PK_REPLY_SIZE, PK_RESET_AFTER, PK_REPLY_DELAY, PK_REPLY_RATE, PK_REPLY_SEGMENTS,
    PK_IDLE_CLOSE, PK__N
};

/* Decimal digits only, no sign, no space, no overflow. */
bool parse_u64(const char *s, uint64_t *out);

/* Set one key from text (numbers, or the reply's bytes); what names the option in the message ("--delay",
 * "delay"): "WHAT: expected milliseconds (0..600000), got 'x'". */
int param_set(struct mode_params *p, enum param_key k, const char *val, const char *what,
              char *err, size_t errlen);
/* Copy the keys whose bit (1u << key) is in mask from src to dst. */
void param_copy(struct mode_params *dst, const struct mode_params *src, unsigned mask);

/* Every key of a rule is read: check them together and build what depends on several
   (the http reply). */
int mode_params_finish(struct mode_params *p, char *err, size_t errlen);

/* "open, rst, silent, ..." from the registry. */
void mode_names(char *buf, size_t len);
#endif
