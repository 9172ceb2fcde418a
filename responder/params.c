/* Mode parameters, as the registry collected them from the modes' tables: defaults, the
 * key=value words of a rules line, and the checks shared with the command line. */
#include <stdio.h>
#include <string.h>
#include "params.h"
#include "mode.h"

_Static_assert(MODE_PARAM_MAX <= 32, "param_copy's mask holds a bit per slot");

void mode_params_default(struct mode_params *p)
{
    const struct mode_param *const *d = mode_param_all();
    memset(p, 0, sizeof *p);
    for (size_t i = 0; d[i]; i++)
        p->v[i] = d[i]->dflt;
}

int param_set(struct mode_params *p, int slot, const char *val, const char *what,
              char *err, size_t errlen)
{
    const struct mode_param *d = mode_param_all()[slot];
    uint64_t v;
    if (d->set)
        return d->set(p, val, what, err, errlen);
    if (!d->metavar) {
        p->v[slot] = 1;
        return 0;
    }
    if (!parse_u64(val, &v) || v < d->lo || v > d->hi) {
        snprintf(err, errlen, "%s: expected %s (%u..%u), got '%s'", what, d->unit,
                 (unsigned)d->lo, (unsigned)d->hi, val);
        return -1;
    }
    p->v[slot] = (uint32_t)v;
    return 0;
}

void param_copy(struct mode_params *dst, const struct mode_params *src, uint32_t mask)
{
    const struct mode_param *const *d = mode_param_all();
    for (int i = 0; d[i]; i++) {
        if (!(mask & (1u << i)))
            continue;
        dst->v[i] = src->v[i];
        if (d[i]->copy)
            d[i]->copy(dst, src);
    }
}

/* "delay=, read=, ..., echo, abort-on-overflow": the keys that take a value, then the flags. */
static void key_list(char *list, size_t len)
{
    const struct mode_param *const *d = mode_param_all();
    size_t used = 0;
    list[0] = '\0';
    for (int flags = 0; flags < 2; flags++)
        for (size_t i = 0; d[i] && used < len; i++)
            if ((d[i]->metavar == NULL) == (flags == 1))
                used += (size_t)snprintf(list + used, len - used, "%s%s%s",
                                         used ? ", " : "", d[i]->name, flags ? "" : "=");
}

int mode_params_parse_kv(struct mode_params *p, const char *word, char *err, size_t errlen)
{
    const struct mode_param *const *d = mode_param_all();
    const char *eq = strchr(word, '=');
    size_t klen = eq ? (size_t)(eq - word) : strlen(word);
    for (int k = 0; d[k]; k++) {
        if (strlen(d[k]->name) != klen || strncmp(d[k]->name, word, klen) != 0)
            continue;
        if (!d[k]->metavar && eq) {
            snprintf(err, errlen, "%s takes no value, got '%s'", d[k]->name, word);
            return -1;
        }
        if (d[k]->metavar && !eq) {
            if (d[k]->set)
                snprintf(err, errlen, "%s needs a value (%s)", d[k]->name, d[k]->unit);
            else
                snprintf(err, errlen, "%s needs a value (%s=N, %s %u..%u)", d[k]->name,
                         d[k]->name, d[k]->unit, (unsigned)d[k]->lo, (unsigned)d[k]->hi);
            return -1;
        }
        return param_set(p, k, eq ? eq + 1 : NULL, d[k]->name, err, errlen);
    }
    char list[512];
    key_list(list, sizeof list);
    snprintf(err, errlen, "unknown key '%.*s' (expected %s)", (int)(klen > 64 ? 64 : klen), word, list);
    return -1;
}

int mode_params_finish(struct mode_params *p, char *err, size_t errlen)
{
    const struct mode_param *const *d = mode_param_all();
    for (size_t i = 0; d[i]; i++)
        if (d[i]->finish && d[i]->finish(p, err, errlen) < 0)
            return -1;
    return 0;
}

void mode_names(char *buf, size_t len)
{
    const struct mode_ops *const *m = mode_all();
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; m[i] && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", m[i]->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
