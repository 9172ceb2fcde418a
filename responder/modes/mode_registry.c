/* The one table of modes, and of the parameters they declare. A new mode is a mode_*.c
 * file defining a struct mode_ops (with its struct mode_param table) and a line here;
 * nothing else changes: options, rules keys, --help and range checks come from its table. */
#include <stdio.h>
#include <string.h>
#include "mode.h"
#include "param_table.h"

extern const struct mode_ops mode_open, mode_rst, mode_silent, mode_delay, mode_unread,
    mode_after_close, mode_backlog;

static const struct mode_ops *modes[MODE_MAX + 1] = {
    &mode_open, &mode_rst, &mode_silent, &mode_delay, &mode_unread, &mode_after_close,
    &mode_backlog, NULL,
};

static bool built;   /* the table of parameters (param_table.c) holds the built-ins' */

/* Declared parameters first, in mode order, then the used ones: the order of the rules
 * file's "expected ..." list and of --help. */
static void build(void)
{
    char err[128];
    if (built)
        return;
    built = true;
    for (size_t i = 0; modes[i]; i++)
        if (param_table_check(modes[i]->params, 0, err, sizeof err) >= 0)
            param_table_add(modes[i]->params);
    for (size_t i = 0; modes[i]; i++)
        if (param_table_check(modes[i]->uses, 0, err, sizeof err) >= 0)
            param_table_add(modes[i]->uses);
}

const struct mode_ops *const *mode_all(void) { return modes; }

const struct mode_param *const *mode_param_all(void)
{
    build();
    return param_table_all();
}

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

int mode_register(const struct mode_ops *m, char *err, size_t errlen)
{
    size_t n = 0;
    int own;
    build();
    while (modes[n])
        n++;
    if (mode_find(m->name)) {
        snprintf(err, errlen, "mode '%s' is registered twice", m->name);
        return -1;
    }
    if (n >= MODE_MAX) {
        snprintf(err, errlen, "more than %d modes (raise MODE_MAX)", MODE_MAX);
        return -1;
    }
    if ((own = param_table_check(m->params, 0, err, errlen)) < 0 ||
        param_table_check(m->uses, (size_t)own, err, errlen) < 0)
        return -1;
    param_table_add(m->params);
    param_table_add(m->uses);
    modes[n] = m;
    return 0;
}

const struct mode_param *mode_param_find(const char *name)
{
    build();
    return param_table_find(name);
}

int mode_param_slot(const struct mode_param *d)
{
    build();
    return param_table_slot(d);
}

static bool in(const struct mode_param *const *list, const struct mode_param *d)
{
    for (size_t i = 0; list && list[i]; i++)
        if (list[i] == d)
            return true;
    return false;
}

void mode_param_users(const struct mode_param *d, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; modes[i] && used < len; i++) {
        if (!in(modes[i]->params, d) && !in(modes[i]->uses, d))
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", modes[i]->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
