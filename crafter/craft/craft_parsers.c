/* The small value parsers behind `rstcraft craft` options. Each one accepts exactly its
 * documented syntax and says in one line what was wrong; they never exit (the fuzzer and
 * the unit tests call them directly). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "craft.h"

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A short, printable rendition of user input for error lines. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 4 < cap; i++)
        buf[j++] = isprint((unsigned char)s[i]) ? s[i] : '?';
    if (s[0] && strlen(s) > cap - 4 && j + 4 >= cap) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = 0;
    return buf;
}

int craft_parse_uint(const char *s, uint64_t max, uint64_t *out, const char *what,
                     char *err, size_t errlen)
{
    char sb[48];
    if (!s || !*s)
        return fail(err, errlen, "missing value for %s", what);
    const char *p = s;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return fail(err, errlen, "bad %s \"%s\": not a number", what, shown(s, sb, sizeof sb));
    uint64_t v = 0;
    for (; *p; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f') d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F') d = (unsigned)(*p - 'A' + 10);
        else
            return fail(err, errlen, "bad %s \"%s\": not a number", what, shown(s, sb, sizeof sb));
        if (v > (UINT64_MAX - d) / (unsigned)base)
            return fail(err, errlen, "%s \"%s\" out of range (0..%llu)", what,
                        shown(s, sb, sizeof sb), (unsigned long long)max);
        v = v * (unsigned)base + d;
    }
    if (v > max)
        return fail(err, errlen, "%s %s out of range (0..%llu)", what, shown(s, sb, sizeof sb),
                    (unsigned long long)max);
    *out = v;
    return 0;
}

static const struct { const char *name; uint8_t bit; } flag_names[] = {
    { "fin", TH_FIN }, { "syn", TH_SYN }, { "rst", TH_RST }, { "psh", TH_PSH },
    { "push", TH_PSH }, { "ack", TH_ACK }, { "urg", TH_URG }, { "ece", TH_ECE },
    { "cwr", TH_CWR }, { "reset", TH_RST },
};

static int flag_letter(char c)
{
    return tcp_flag_of_letter((char)toupper((unsigned char)c));
}

/* Letters as tcpdump prints them ("SA", "S.", "FPU"), or names ("syn,ack"), or "none",
 * or a number ("0x12"). A word of three or more lowercase letters is a name. */
int craft_parse_flags(const char *s, uint8_t *flags, char *err, size_t errlen)
{
    char sb[48];
    if (!s || !*s)
        return fail(err, errlen, "empty --flags (use letters F S R P U E C A . or names syn,ack)");
    if (strcasecmp(s, "none") == 0) {
        *flags = 0;
        return 0;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        uint64_t v;
        if (craft_parse_uint(s, 255, &v, "--flags", err, errlen) < 0)
            return -1;
        *flags = (uint8_t)v;
        return 0;
    }
    size_t lower = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if (islower((unsigned char)s[i]))
            lower++;
    bool names = strchr(s, ',') != NULL || (lower >= 3 && lower == len);
    uint8_t f = 0;
    if (!names) {
        for (size_t i = 0; i < len; i++) {
            int b = flag_letter(s[i]);
            if (b < 0) {
                if (isprint((unsigned char)s[i]))
                    return fail(err, errlen, "unknown TCP flag letter '%c' in \"%s\" (use F S R P U E C A or .)",
                                s[i], shown(s, sb, sizeof sb));
                return fail(err, errlen, "unknown TCP flag character 0x%02x in --flags",
                            (unsigned char)s[i]);
            }
            f |= (uint8_t)b;
        }
        *flags = f;
        return 0;
    }
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool ok = false;
        for (size_t k = 0; k < sizeof flag_names / sizeof flag_names[0]; k++) {
            if (strlen(flag_names[k].name) == n && strncasecmp(p, flag_names[k].name, n) == 0) {
                f |= flag_names[k].bit;
                ok = true;
                break;
            }
        }
        if (!ok) {
            char word[32];
            snprintf(word, sizeof word, "%.*s", (int)(n < 24 ? n : 24), p);
            return fail(err, errlen, "unknown TCP flag name \"%s\" (use fin syn rst psh ack urg ece cwr)",
                        shown(word, sb, sizeof sb));
        }
        if (!e)
            break;
        p = e + 1;
        if (!*p)
            return fail(err, errlen, "empty TCP flag name at the end of \"%s\"", shown(s, sb, sizeof sb));
    }
    *flags = f;
    return 0;
}

/* Intervals: a decimal number with a unit (ns, us, ms, s); a bare number is seconds as in
 * ping -i; hping3's "u500" (microseconds) is accepted too. At most one hour. */
int craft_parse_interval(const char *s, uint64_t *ns, char *err, size_t errlen)
{
    char sb[48];
    if (!s || !*s)
        return fail(err, errlen, "empty --interval (use e.g. 500us, 2ms, 1s)");
    const char *p = s;
    uint64_t unit = 1000000000ull;
    bool hping_u = false;
    if (*p == 'u') {
        hping_u = true;
        unit = 1000;
        p++;
    }
    uint64_t ip = 0, frac = 0, fscale = 1;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (ip > 4000000000000ull)
            goto bad;
        ip = ip * 10 + (uint64_t)(*p - '0');
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (fscale < 1000000000000ull) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                fscale *= 10;
            }
            p++;
            digits++;
        }
    }
    if (!digits)
        goto bad;
    if (!hping_u) {
        if (*p == 0 || strcmp(p, "s") == 0 || strcmp(p, "sec") == 0) unit = 1000000000ull;
        else if (strcmp(p, "ms") == 0) unit = 1000000ull;
        else if (strcmp(p, "us") == 0 || strcmp(p, "\xc2\xb5s") == 0) unit = 1000ull;
        else if (strcmp(p, "ns") == 0) unit = 1ull;
        else goto bad;
    } else if (*p) {
        goto bad;
    }
    /* one hour at most keeps every product below 2^64 */
    if (ip > 3600ull * 1000000000ull / unit)
        return fail(err, errlen, "--interval %s too long (at most 1 hour)", shown(s, sb, sizeof sb));
    uint64_t v = ip * unit + (frac * unit) / fscale;
    if (v > 3600ull * 1000000000ull)
        return fail(err, errlen, "--interval %s too long (at most 1 hour)", shown(s, sb, sizeof sb));
    *ns = v;
    return 0;
bad:
    return fail(err, errlen, "bad --interval \"%s\" (use e.g. 500us, 2ms, 1s; a bare number is seconds)",
                shown(s, sb, sizeof sb));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int craft_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *outlen, char *err, size_t errlen)
{
    if (!s)
        return fail(err, errlen, "missing hex value");
    size_t n = 0;
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    while (*p) {
        if (*p == ' ' || *p == ':' || *p == '-' || *p == '\t' || *p == ',') {
            p++;
            continue;
        }
        if (p[0] == '\\' && p[1] == 'x') {
            p += 2;
            continue;
        }
        int hi = hexval(p[0]);
        if (hi < 0) {
            if (isprint((unsigned char)p[0]))
                return fail(err, errlen, "bad hex: '%c' at offset %zu", p[0], (size_t)(p - s));
            return fail(err, errlen, "bad hex: byte 0x%02x at offset %zu", (unsigned char)p[0], (size_t)(p - s));
        }
        int lo = hexval(p[1]);
        if (lo < 0)
            return fail(err, errlen, "bad hex: odd number of digits at offset %zu", (size_t)(p - s));
        if (n >= cap)
            return fail(err, errlen, "hex value too long (at most %zu bytes)", cap);
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    if (n == 0)
        return fail(err, errlen, "bad hex: no bytes given");
    *outlen = n;
    return 0;
}

int craft_parse_ports(const char *s, struct portrange *r, size_t cap, size_t *n, uint32_t *total,
                      char *err, size_t errlen)
{
    char sb[48], tok[32];
    if (!s || !*s)
        return fail(err, errlen, "empty port list");
    size_t k = 0;
    uint32_t sum = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= sizeof tok)
            return fail(err, errlen, "bad port list \"%s\"", shown(s, sb, sizeof sb));
        memcpy(tok, p, len);
        tok[len] = 0;
        if (k >= cap)
            return fail(err, errlen, "too many port ranges (at most %zu)", cap);
        char *dash = strchr(tok, '-');
        uint64_t lo, hi;
        if (dash) {
            *dash = 0;
            if (craft_parse_uint(tok, 65535, &lo, "port", err, errlen) < 0 ||
                craft_parse_uint(dash + 1, 65535, &hi, "port", err, errlen) < 0)
                return -1;
            if (hi < lo)
                return fail(err, errlen, "bad port range %s-%s: end before start", tok, dash + 1);
        } else {
            if (craft_parse_uint(tok, 65535, &lo, "port", err, errlen) < 0)
                return -1;
            hi = lo;
        }
        r[k].lo = (uint16_t)lo;
        r[k].hi = (uint16_t)hi;
        sum += (uint32_t)(hi - lo + 1);
        k++;
        if (!e)
            break;
        p = e + 1;
    }
    *n = k;
    *total = sum;
    return 0;
}

static int parse_u32_pair(const char *s, uint32_t *a, uint32_t *b, bool *has_b, const char *what,
                          char *err, size_t errlen)
{
    char tok[64];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof tok)
        return fail(err, errlen, "bad %s value", what);
    memcpy(tok, s, len + 1);
    char *colon = strchr(tok, ':');
    uint64_t v = 0;
    if (colon)
        *colon = 0;
    if (craft_parse_uint(tok, UINT32_MAX, &v, what, err, errlen) < 0)
        return -1;
    *a = (uint32_t)v;
    *has_b = colon != NULL;
    if (colon) {
        if (craft_parse_uint(colon + 1, UINT32_MAX, &v, what, err, errlen) < 0)
            return -1;
        *b = (uint32_t)v;
    }
    return 0;
}

int craft_parse_sack(const char *s, struct optitem *it, char *err, size_t errlen)
{
    memset(it, 0, sizeof *it);
    it->kind = OI_SACK;
    if (!s || !*s)
        return fail(err, errlen, "empty --sack (use L:R[,L:R])");
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char blk[64];
        if (len == 0 || len >= sizeof blk)
            return fail(err, errlen, "bad --sack block (use L:R[,L:R])");
        memcpy(blk, p, len);
        blk[len] = 0;
        if (it->nsack >= 4)
            return fail(err, errlen, "--sack takes at most 4 blocks");
        bool has_r = false;
        uint32_t l = 0, r = 0;
        if (parse_u32_pair(blk, &l, &r, &has_r, "--sack", err, errlen) < 0)
            return -1;
        if (!has_r)
            return fail(err, errlen, "bad --sack block \"%s\" (use L:R)", blk);
        it->sack[it->nsack].l = l;
        it->sack[it->nsack].r = r;
        it->nsack++;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

int craft_parse_ts(const char *s, struct optitem *it, char *err, size_t errlen)
{
    memset(it, 0, sizeof *it);
    it->kind = OI_TS;
    if (!s || !*s)
        return fail(err, errlen, "empty --ts (use VAL[:ECR])");
    bool has_ecr = false;
    uint32_t ecr = 0;
    if (parse_u32_pair(s, &it->tsval, &ecr, &has_ecr, "--ts", err, errlen) < 0)
        return -1;
    it->tsecr = ecr;
    return 0;
}

int craft_parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen)
{
    char sb[48];
    unsigned v[6];
    char tail;
    if (!s || (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 &&
               sscanf(s, "%2x-%2x-%2x-%2x-%2x-%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6))
        return fail(err, errlen, "bad MAC address \"%s\" (use aa:bb:cc:dd:ee:ff)", s ? shown(s, sb, sizeof sb) : "");
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

/* SYN option layouts as the stacks send them (p0f signatures, observed captures). */
struct preset { const char *name; const char *layout; };
static const struct preset presets[] = {
    { "linux",   "mss,sackok,ts,nop,ws7" },
    { "windows", "mss,nop,ws8,nop,nop,sackok" },
    { "macos",   "mss,nop,ws6,nop,nop,ts,sackok,eol" },
    { "freebsd", "mss,nop,ws6,sackok,ts" },
    { "openbsd", "mss,nop,nop,sackok,nop,ws6,nop,nop,ts" },
};

const char *craft_presets(void)
{
    return "linux windows macos freebsd openbsd";
}

int craft_opts_preset(const char *name, struct optitem *items, size_t cap, size_t *n,
                      char *err, size_t errlen)
{
    char sb[48];
    const struct preset *pr = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (name && strcasecmp(name, presets[i].name) == 0)
            pr = &presets[i];
    if (!pr)
        return fail(err, errlen, "unknown --opts-preset \"%s\" (one of: %s)",
                    name ? shown(name, sb, sizeof sb) : "", craft_presets());
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint32_t tsval = (uint32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
    const char *p = pr->layout;
    while (*p) {
        if (*n >= cap)
            return fail(err, errlen, "too many TCP options");
        struct optitem *it = &items[*n];
        memset(it, 0, sizeof *it);
        if (strncmp(p, "mss", 3) == 0) { it->kind = OI_MSS; it->mss = 1460; p += 3; }
        else if (strncmp(p, "sackok", 6) == 0) { it->kind = OI_SACKOK; p += 6; }
        else if (strncmp(p, "ts", 2) == 0) { it->kind = OI_TS; it->tsval = tsval; p += 2; }
        else if (strncmp(p, "nop", 3) == 0) { it->kind = OI_NOP; p += 3; }
        else if (strncmp(p, "eol", 3) == 0) { it->kind = OI_EOL; p += 3; }
        else if (strncmp(p, "ws", 2) == 0) { it->kind = OI_WS; it->ws = (uint8_t)(p[2] - '0'); p += 3; }
        else return fail(err, errlen, "internal: bad preset layout");
        (*n)++;
        if (*p == ',')
            p++;
    }
    return 0;
}
