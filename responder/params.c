/* Mode parameters: defaults, the key=value words of a rules line, and the numeric checks
 * shared with the command line. */
#include <stdio.h>
#include <string.h>
#include "params.h"
#include "mode.h"

struct key_desc {
    const char *name;
    const char *unit;
    uint32_t lo, hi;
};

static const struct key_desc keys[PK__N] = {
    [PK_DELAY]     = { "delay",     "milliseconds", 0, 600000 },
    [PK_READ]      = { "read",      "bytes",        1, 1u << 30 },
    [PK_READ_WAIT] = { "read-wait", "milliseconds", 0, 600000 },
    [PK_BACKLOG]   = { "backlog",   "a queue length", 1, 65535 },
    [PK_ECHO]      = { "echo",      NULL, 0, 0 },
    [PK_ABORT]     = { "abort-on-overflow", NULL, 0, 0 },
    [PK_REPLY]     = { "reply",     "STRING, @FILE or http", 0, 0 },
    [PK_REPLY_SIZE]     = { "reply-size",     "bytes",          0, REPLY_MAX_BYTES },
    [PK_RESET_AFTER]    = { "reset-after",    "bytes",          1, REPLY_MAX_BYTES },
    [PK_REPLY_DELAY]    = { "reply-delay",    "milliseconds",   0, 600000 },
    [PK_REPLY_RATE]     = { "reply-rate",     "bytes a second", 1, 1000000000 },
    [PK_REPLY_SEGMENTS] = { "reply-segments", "a segment count", 1, 65535 },
    [PK_IDLE_CLOSE]     = { "idle-close",     "seconds",        1, 86400 },
};

void mode_params_default(struct mode_params *p)
{
    /* the seed's numbers: a 110 ms SYN-ACK against a 100 ms client, a 4096-byte read */
    *p = (struct mode_params){ .delay_ms = 110, .read_bytes = 4096, .read_wait_ms = 20,
                               .backlog = 128, .echo = false, .abort_on_overflow = false };
}

bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static uint32_t *field(struct mode_params *p, enum param_key k)
{
    switch (k) {
    case PK_DELAY:     return &p->delay_ms;
    case PK_READ:      return &p->read_bytes;
    case PK_READ_WAIT: return &p->read_wait_ms;
    case PK_BACKLOG:   return &p->backlog;
    case PK_REPLY_SIZE:     return &p->reply.size;
    case PK_RESET_AFTER:    return &p->reply.reset_after;
    case PK_REPLY_DELAY:    return &p->reply.delay_ms;
    case PK_REPLY_RATE:     return &p->reply.rate;
    case PK_REPLY_SEGMENTS: return &p->reply.segments;
    case PK_IDLE_CLOSE:     return &p->reply.idle_close_s;
    default:           return NULL;
    }
}

int param_set(struct mode_params *p, enum param_key k, const char *val, const char *what,
              char *err, size_t errlen)
{
    const struct key_desc *d = &keys[k];
    uint32_t *f = field(p, k);
    uint64_t v;
    if (k == PK_REPLY)
        return reply_set(&p->reply, val, what, err, errlen);
    if (!f)
        return -1;
    if (!parse_u64(val, &v) || v < d->lo || v > d->hi) {
        snprintf(err, errlen, "%s: expected %s (%u..%u), got '%s'", what, d->unit,
                 (unsigned)d->lo, (unsigned)d->hi, val);
        return -1;
    }
    *f = (uint32_t)v;
    return 0;
}

void param_copy(struct mode_params *dst, const struct mode_params *src, unsigned mask)
{
    if (mask & (1u << PK_DELAY))
        dst->delay_ms = src->delay_ms;
    if (mask & (1u << PK_READ))
        dst->read_bytes = src->read_bytes;
    if (mask & (1u << PK_READ_WAIT))
        dst->read_wait_ms = src->read_wait_ms;
    if (mask & (1u << PK_BACKLOG))
        dst->backlog = src->backlog;
    if (mask & (1u << PK_ECHO))
        dst->echo = src->echo;
    if (mask & (1u << PK_ABORT))
        dst->abort_on_overflow = src->abort_on_overflow;
    if (mask & (1u << PK_REPLY)) {
        dst->reply.body = src->reply.body;
        dst->reply.kind = src->reply.kind;
    }
    struct mode_params from = *src;
    for (int k = PK_REPLY_SIZE; k < PK__N; k++)
        if (mask & (1u << k))
            *field(dst, (enum param_key)k) = *field(&from, (enum param_key)k);
}

int mode_params_parse_kv(struct mode_params *p, const char *word, char *err, size_t errlen)
{
    const char *eq = strchr(word, '=');
    size_t klen = eq ? (size_t)(eq - word) : strlen(word);
    for (int k = 0; k < PK__N; k++) {
        if (strlen(keys[k].name) != klen || strncmp(keys[k].name, word, klen) != 0)
            continue;
        if (!keys[k].unit) {            /* a flag */
            if (eq) {
                snprintf(err, errlen, "%s takes no value, got '%s'", keys[k].name, word);
                return -1;
            }
            if (k == PK_ECHO)
                p->echo = true;
            else
                p->abort_on_overflow = true;
            return 0;
        }
        if (!eq && k == PK_REPLY) {
            snprintf(err, errlen, "reply needs a value (reply=STRING, reply=@FILE or reply=http)");
            return -1;
        }
        if (!eq) {
            snprintf(err, errlen, "%s needs a value (%s=N, %s %u..%u)", keys[k].name,
                     keys[k].name, keys[k].unit, (unsigned)keys[k].lo, (unsigned)keys[k].hi);
            return -1;
        }
        return param_set(p, (enum param_key)k, eq + 1, keys[k].name, err, errlen);
    }
    /* the keys that take a value, then the flags, from the one table */
    char list[256];
    size_t used = 0;
    list[0] = '\0';
    for (int flags = 0; flags < 2; flags++)
        for (int k = 0; k < PK__N && used < sizeof list; k++)
            if ((keys[k].unit == NULL) == (flags == 1))
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s%s",
                                         used ? ", " : "", keys[k].name, flags ? "" : "=");
    snprintf(err, errlen, "unknown key '%.*s' (expected %s)", (int)(klen > 64 ? 64 : klen), word, list);
    return -1;
}

int mode_params_finish(struct mode_params *p, char *err, size_t errlen)
{
    if (p->echo && p->reply.kind != REPLY_NONE) {
        /* both are what the application writes: one stream, one source */
        snprintf(err, errlen, "echo and reply both write to the client: give one");
        return -1;
    }
    return reply_resolve(&p->reply, err, errlen);
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
