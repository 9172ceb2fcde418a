/* The one table of modes. A new mode is a mode_*.c file defining a struct mode_ops and a
 * line here; nothing else in the engine changes. */
#include <string.h>
#include "mode.h"

extern const struct mode_ops mode_open, mode_rst, mode_silent, mode_delay, mode_unread,
    mode_after_close, mode_backlog;

static const struct mode_ops *const modes[] = {
    &mode_open, &mode_rst, &mode_silent, &mode_delay, &mode_unread, &mode_after_close,
    &mode_backlog, NULL,
};

const struct mode_ops *const *mode_all(void) { return modes; }

_Static_assert(sizeof modes / sizeof modes[0] - 1 <= MODE_MAX, "raise MODE_MAX");

int mode_index(const struct mode_ops *m)
{
    for (int i = 0; modes[i]; i++)
        if (modes[i] == m)
            return i;
    return -1;
}

const struct mode_ops *mode_find(const char *name)
{
    for (size_t i = 0; modes[i]; i++)
        if (strcmp(modes[i]->name, name) == 0)
            return modes[i];
    return NULL;
}
