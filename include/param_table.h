/* The registry's: the table of mode parameters (param_table.c), filled by
 * mode_registry.c, read by the modes through mode_value (mode.h). */
#ifndef RSTCRAFT_PARAM_TABLE_H
#define RSTCRAFT_PARAM_TABLE_H
#include <stddef.h>
#include "mode.h"

/* The parameter named name, or NULL. */
const struct mode_param *param_table_find(const char *name);
/* What adding list would do: -1 with why in err when a name is taken by another parameter
 * or the slots would not hold them (extra more are coming); else how many new slots. */
int param_table_check(const struct mode_param *const *list, size_t extra, char *err,
                      size_t errlen);
/* Add those of list not yet in the table (check first). */
void param_table_add(const struct mode_param *const *list);
/* Every parameter in slot order, NULL-terminated. */
const struct mode_param *const *param_table_all(void);
/* d's slot, or -1. */
int param_table_slot(const struct mode_param *d);
#endif
