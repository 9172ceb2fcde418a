/* Private to the responder's option parsing (config.c, rules.c): the mode parameters the
 * registry collected, set from text by slot, so the rules file and the command line accept
 * the same values and say the same things about bad ones. */
#ifndef RSTCRAFT_PARAMS_H
#define RSTCRAFT_PARAMS_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "cli.h"
#include "rules.h"

/* Set the parameter in slot from text (NULL for a flag); what names the option in the
 * message ("--delay", "delay"): "WHAT: expected milliseconds (0..600000), got 'x'". */
int param_set(struct mode_params *p, int slot, const char *val, const char *what,
              char *err, size_t errlen);
/* Copy the slots whose bit (1u << slot) is in mask from src to dst. */
void param_copy(struct mode_params *dst, const struct mode_params *src, uint32_t mask);

/* Every key of a rule is read: check them together and build what depends on several
   (the http reply). */
int mode_params_finish(struct mode_params *p, char *err, size_t errlen);

/* "open, rst, silent, ..." from the registry. */
void mode_names(char *buf, size_t len);
#endif
