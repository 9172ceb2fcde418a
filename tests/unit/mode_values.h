/* Tests read and set a rule's mode parameters by name, as a user names them. */
#ifndef RSTCRAFT_TEST_MODE_VALUES_H
#define RSTCRAFT_TEST_MODE_VALUES_H
#include "mode.h"

static inline uint32_t pv(const struct mode_params *p, const char *name)
{
    return mode_value(p, mode_param_find(name));
}

static inline void pset(struct mode_params *p, const char *name, uint32_t v)
{
    p->v[mode_param_slot(mode_param_find(name))] = v;
}
#endif
