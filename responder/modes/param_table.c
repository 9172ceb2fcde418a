/* The registered mode parameters, each with its slot in struct mode_params, and how a mode
 * reads its value. Below the modes and below the registry (mode_registry.c), which fills
 * it from the modes' tables: a mode reads its parameters here and never calls the
 * registry. */
#include <stdio.h>
#include <string.h>
#include "mode.h"
#include "param_table.h"

/* Slot i of struct mode_params holds params[i]. */
static const struct mode_param *params[MODE_PARAM_MAX + 1];
static size_t nparams;

const struct mode_param *param_table_find(const char *name)
{
    for (size_t i = 0; i < nparams; i++)
        if (strcmp(params[i]->name, name) == 0)
            return params[i];
    return NULL;
}

/* What adding list would do: -1 with why when a name is taken by another parameter or
 * the slots would not hold them; else how many new slots. */
int param_table_check(const struct mode_param *const *list, size_t extra, char *err,
                      size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; list && list[i]; i++) {
        const struct mode_param *same = param_table_find(list[i]->name);
        if (same && same != list[i]) {
            snprintf(err, errlen, "parameter '%s' is declared twice", list[i]->name);
            return -1;
        }
        n += !same;
    }
    if (nparams + extra + n > MODE_PARAM_MAX) {
        snprintf(err, errlen, "more than %d mode parameters (raise MODE_PARAM_MAX)", MODE_PARAM_MAX);
        return -1;
    }
    return (int)n;
}

void param_table_add(const struct mode_param *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!param_table_find(list[i]->name))
            params[nparams++] = list[i];
}

const struct mode_param *const *param_table_all(void) { return params; }

int param_table_slot(const struct mode_param *d)
{
    for (size_t i = 0; i < nparams; i++)
        if (params[i] == d)
            return (int)i;
    return -1;
}

/* No slot: d is not registered, or no rule was made yet (a rule's values are made through
 * the registry, which fills this table first). */
uint32_t mode_value(const struct mode_params *p, const struct mode_param *d)
{
    int slot = param_table_slot(d);
    return slot < 0 ? 0 : p->v[slot];
}
