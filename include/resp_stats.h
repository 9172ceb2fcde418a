/* The responder's running figures, one line: every --stats S seconds while it runs, and
 * once more at the end, on standard error (a JSON object with --json). */
#ifndef RSTCRAFT_RESP_STATS_H
#define RSTCRAFT_RESP_STATS_H
#include <stdbool.h>
#include <stdio.h>
#include "engine.h"
#include "netio.h"

/* kind: "stats" while running, "summary" at the end; secs: since the start. */
void resp_stats_print(FILE *to, const struct engine *e, const struct netio *nio, bool json,
                      const char *kind, double secs);
#endif
