/* Port sets: "80", "80,443", "8000-8100", "*". */
#include <stdio.h>
#include <string.h>
#include "rules.h"
#include "params.h"

static bool parse_port(const char *s, size_t len, uint16_t *out)
{
    char buf[8];
    uint64_t v;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!parse_u64(buf, &v) || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

int portset_parse(struct portset *s, const char *spec, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (strcmp(spec, "*") == 0) {
        memset(s->bits, 0xff, sizeof s->bits);
        return 0;
    }
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *dash = memchr(p, '-', len);
        uint16_t lo, hi;
        if (len == 0) {
            snprintf(err, errlen, "empty port in '%.64s'", spec);
            return -1;
        }
        if (dash) {
            size_t l1 = (size_t)(dash - p);
            if (!parse_port(p, l1, &lo) || !parse_port(dash + 1, len - l1 - 1, &hi) || lo > hi) {
                snprintf(err, errlen, "bad port range '%.*s'", (int)(len > 64 ? 64 : len), p);
                return -1;
            }
        } else if (parse_port(p, len, &lo)) {
            hi = lo;
        } else {
            snprintf(err, errlen, "bad port '%.*s'", (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        for (uint32_t q = lo; q <= hi; q++)
            portset_add(s, (uint16_t)q);
        if (!comma)
            return 0;
        p = comma + 1;
    }
}
