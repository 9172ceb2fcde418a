/* nmap-os-db value expressions: matching and picking. Matching follows nmap's
 * expr_match (osscan.cc): alternatives split at '|'; a value starting with a hex digit is
 * compared as a number (leading zeros ignored) against 'A-B', '>N', '<N' or a number;
 * anything else must be equal; inside option strings, '[expr]' matches a run of hex
 * digits. Picking goes the other way: one concrete value an expression accepts. Scoring
 * a fingerprint against the names of its tests is nmapdb.c's. */
#include <ctype.h>
#include <string.h>
#include "nmapdb.h"

static bool is_hex(int c) { return isxdigit((unsigned char)c) != 0; }

/* End of the alternative starting at p ('|' outside brackets when nested, or end). */
static const char *alt_end(const char *p, const char *end, bool nested)
{
    int depth = 0;
    for (; p < end; p++) {
        if (nested && *p == '[')
            depth++;
        else if (nested && *p == ']' && depth > 0)
            depth--;
        else if (*p == '|' && depth == 0)
            return p;
    }
    return end;
}

static bool hex_span(const char *p, size_t n, uint32_t *out)
{
    if (n == 0 || n > 8)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_hex(p[i]))
            return false;
        int c = toupper((unsigned char)p[i]);
        v = v << 4 | (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);
    }
    *out = v;
    return true;
}

bool nmap_hex(const char *s, uint32_t *out)
{
    return hex_span(s, strlen(s), out);
}

/* ---- matching (nmap semantics, including its length-then-lexical number compare) ---- */

static void strip_zeros(const char **p, size_t *n)
{
    while (*n > 1 && **p == '0') {
        (*p)++;
        (*n)--;
    }
}

/* Numeric compare of two hex strings without leading zeros: <0, 0, >0. */
static int numcmp(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return an < bn ? -1 : 1;
    return strncmp(a, b, an);
}

static bool match_plain(const char *p, size_t n, const char *v, size_t vn)
{
    if (vn == 0)
        return n == 0;
    if (is_hex(*v)) {
        strip_zeros(&v, &vn);
        if (n && (*p == '>' || *p == '<')) {
            bool gt = *p == '>';
            p++, n--;
            strip_zeros(&p, &n);
            int c = numcmp(v, vn, p, n);
            return gt ? c > 0 : c < 0;
        }
        if (n == 0 || !is_hex(*p))
            return false;
        const char *dash = memchr(p, '-', n);
        if (dash) {
            const char *lo = p, *hi = dash + 1;
            size_t lon = (size_t)(dash - p), hin = n - lon - 1;
            strip_zeros(&lo, &lon);
            strip_zeros(&hi, &hin);
            return numcmp(v, vn, lo, lon) >= 0 && numcmp(v, vn, hi, hin) <= 0;
        }
        strip_zeros(&p, &n);
    }
    return n == vn && strncmp(p, v, n) == 0;
}

/* An alternative with '[..]' groups: literal text must be equal, each group matches the
 * run of hex digits at that point of the value. */
static bool match_nested(const char *p, const char *end, const char *v, const char *vend)
{
    while (p < end) {
        const char *open = memchr(p, '[', (size_t)(end - p));
        if (!open)
            break;
        size_t lit = (size_t)(open - p);
        if ((size_t)(vend - v) < lit || strncmp(p, v, lit) != 0)
            return false;
        v += lit;
        const char *close = memchr(open, ']', (size_t)(end - open));
        if (!close)
            return false;
        size_t hn = 0;
        while (v + hn < vend && is_hex(v[hn]))
            hn++;
        if (hn == 0)
            return false;
        bool ok = false;
        for (const char *a = open + 1; a <= close && !ok;) {
            const char *ae = alt_end(a, close, false);
            ok = match_plain(a, (size_t)(ae - a), v, hn);
            a = ae + 1;
        }
        if (!ok)
            return false;
        v += hn;
        p = close + 1;
    }
    return (size_t)(end - p) == (size_t)(vend - v) && strncmp(p, v, (size_t)(end - p)) == 0;
}

bool nmap_expr_match(const char *expr, const char *val, bool nested)
{
    const char *end = expr + strlen(expr), *vend = val + strlen(val);
    if (expr == end)
        return val == vend;
    for (const char *p = expr;;) {
        const char *q = alt_end(p, end, nested);
        bool ok = nested && memchr(p, '[', (size_t)(q - p))
                  ? val != vend && match_nested(p, q, val, vend)
                  : match_plain(p, (size_t)(q - p), val, (size_t)(vend - val));
        if (ok)
            return true;
        if (q == end)
            return false;
        p = q + 1;
    }
}

/* ---- validity ---- */

static bool set_why(char *why, const char *msg)
{
    if (why)
        snprintf(why, 64, "%s", msg);
    return false;
}

static bool upper_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'a' && p[i] <= 'f')
            return false;
    return true;
}

static bool valid_numeric(const char *p, size_t n, char *why)
{
    uint32_t lo, hi;
    /* nmap compares numbers as upper-case text: a lower-case bound never matches */
    if (!upper_hex(p, n))
        return set_why(why, "hex digits must be upper case");
    if (n && (*p == '>' || *p == '<'))
        return hex_span(p + 1, n - 1, &lo) || set_why(why, "'>' or '<' needs 1 to 8 hex digits");
    const char *dash = memchr(p, '-', n);
    if (dash) {
        if (!hex_span(p, (size_t)(dash - p), &lo) || !hex_span(dash + 1, n - (size_t)(dash - p) - 1, &hi))
            return set_why(why, "a range needs hex numbers on both sides of '-'");
        return lo <= hi || set_why(why, "range low end above its high end");
    }
    return true;
}

static bool valid_token(const char *p, size_t n, char *why)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '+')
            return set_why(why, "unexpected character");
    return true;
}

bool nmap_expr_valid(const char *expr, bool nested, char *why)
{
    const char *end = expr + strlen(expr);
    for (const char *p = expr; p <= end;) {
        const char *q = alt_end(p, end, nested);
        size_t n = (size_t)(q - p);
        if (nested && memchr(p, '[', n)) {
            const char *s = p;
            while (s < q) {
                const char *open = memchr(s, '[', (size_t)(q - s));
                const char *lit_end = open ? open : q;
                if (memchr(s, ']', (size_t)(lit_end - s)))
                    return set_why(why, "']' without '['");
                if (!valid_token(s, (size_t)(lit_end - s), why))
                    return false;
                if (!open)
                    break;
                const char *close = memchr(open, ']', (size_t)(q - open));
                if (!close)
                    return set_why(why, "'[' without ']'");
                if (close == open + 1 || memchr(open + 1, '[', (size_t)(close - open - 1)))
                    return set_why(why, "empty or nested '[..]' group");
                if (close + 1 < q && is_hex(close[1]))
                    return set_why(why, "a hex digit right after ']' (nmap's match is greedy)");
                for (const char *a = open + 1; a <= close;) {
                    const char *ae = alt_end(a, close, false);
                    if (ae == a || !is_hex(*a == '>' || *a == '<' ? a[1] : *a))
                        return set_why(why, "a '[..]' group holds hex numbers only");
                    if (!valid_numeric(a, (size_t)(ae - a), why))
                        return false;
                    for (const char *c = a; c < ae; c++)
                        if (!is_hex(*c) && *c != '-' && c != a)
                            return set_why(why, "a '[..]' group holds hex numbers only");
                    a = ae + 1;
                }
                s = close + 1;
            }
        } else if (n) {
            if (memchr(p, '[', n) || memchr(p, ']', n))
                return set_why(why, "'[..]' is only allowed in option strings");
            if (*p == '>' || *p == '<' || memchr(p, '-', n)) {
                if (!valid_numeric(p, n, why))
                    return false;
            } else if (!valid_token(p, n, why)) {
                return false;
            }
        }
        p = q + 1;
    }
    return true;
}

/* ---- picking ---- */

static bool put(char **o, char *oend, const char *s, size_t n)
{
    if ((size_t)(oend - *o) <= n)
        return false;
    memcpy(*o, s, n);
    *o += n;
    **o = '\0';
    return true;
}

static bool put_hex(char **o, char *oend, uint32_t v)
{
    char tmp[12];
    int n = snprintf(tmp, sizeof tmp, "%X", v);
    return put(o, oend, tmp, (size_t)n);
}

/* The values one plain alternative allows, as an interval; false for a non-number. */
static bool alt_interval(const char *p, size_t n, uint32_t *lo, uint32_t *hi)
{
    if (n && *p == '>') {
        if (!hex_span(p + 1, n - 1, lo) || *lo == UINT32_MAX)
            return false;
        (*lo)++;
        *hi = UINT32_MAX;
        return true;
    }
    if (n && *p == '<') {
        if (!hex_span(p + 1, n - 1, hi) || *hi == 0)
            return false;
        (*hi)--;
        *lo = 0;
        return true;
    }
    const char *dash = memchr(p, '-', n);
    if (dash)
        return hex_span(p, (size_t)(dash - p), lo) && hex_span(dash + 1, n - (size_t)(dash - p) - 1, hi) && *lo <= *hi;
    if (!hex_span(p, n, lo))
        return false;
    *hi = *lo;
    return true;
}

static bool pick_alt(const char *p, const char *q, char **o, char *oend)
{
    size_t n = (size_t)(q - p);
    uint32_t lo, hi;
    if (n && (*p == '>' || *p == '<' || memchr(p, '-', n)) && !memchr(p, '[', n))
        return alt_interval(p, n, &lo, &hi) && put_hex(o, oend, *p == '<' ? hi : lo);
    while (p < q) {
        const char *open = memchr(p, '[', (size_t)(q - p));
        if (!put(o, oend, p, (size_t)((open ? open : q) - p)))
            return false;
        if (!open)
            break;
        const char *close = memchr(open, ']', (size_t)(q - open));
        if (!close)
            return false;
        const char *ae = alt_end(open + 1, close, false);
        if (!alt_interval(open + 1, (size_t)(ae - open - 1), &lo, &hi) || !put_hex(o, oend, lo))
            return false;
        p = close + 1;
    }
    return true;
}

bool nmap_expr_pick(const char *expr, bool prefer_nonempty, char *out, size_t cap)
{
    if (cap == 0)
        return false;
    const char *end = expr + strlen(expr);
    bool any_empty = false;
    for (const char *p = expr; p <= end;) {
        const char *q = alt_end(p, end, true);
        if (q == p) {
            if (!prefer_nonempty) {
                out[0] = '\0';
                return true;
            }
            any_empty = true;
        } else {
            char *o = out;
            out[0] = '\0';
            if (pick_alt(p, q, &o, out + cap))
                return true;
        }
        p = q + 1;
    }
    out[0] = '\0';
    return any_empty;
}

bool nmap_expr_pick_near(const char *expr, uint32_t want, uint32_t *out)
{
    const char *end = expr + strlen(expr);
    bool found = false;
    uint32_t best = 0, bestd = 0;
    for (const char *p = expr; p <= end;) {
        const char *q = alt_end(p, end, false);
        uint32_t lo, hi;
        if (alt_interval(p, (size_t)(q - p), &lo, &hi)) {
            uint32_t v = want < lo ? lo : want > hi ? hi : want;
            uint32_t d = v > want ? v - want : want - v;
            if (!found || d < bestd) {
                found = true;
                best = v;
                bestd = d;
            }
        }
        p = q + 1;
    }
    if (found)
        *out = best;
    return found;
}

/* ---- concrete values ---- */

bool nmapdb_concrete(const struct nmapdb_entry *e, struct nmapdb_entry *obs, char *buf, size_t cap)
{
    *obs = *e;
    char *o = buf, *oend = buf + cap;
    for (int t = 0; t < NT_COUNT; t++) {
        for (unsigned i = 0; i < NMAP_MAXATTR; i++) {
            const char *x = e->t[t].val[i];
            if (!x)
                continue;
            if (o >= oend)
                return false;
            if (!nmap_expr_pick(x, t == NT_OPS, o, (size_t)(oend - o)))
                return false;
            obs->t[t].val[i] = o;
            o += strlen(o) + 1;
        }
    }
    return true;
}
