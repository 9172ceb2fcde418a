/* Rules: which mode answers which address and port. The file and the command line build
 * the same struct rule; the capture path only calls ruleset_match (rules_match.c, below the
 * TCP core that calls it, as this file calls the registry of modes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "mode.h"
#include "profile.h"
#include "params.h"
#include "cidr.h"

#define LINE_MAX_CHARS 1024
#define FILE_MAX_BYTES (16u << 20)

void ruleset_init(struct ruleset *rs)
{
    memset(rs, 0, sizeof *rs);
    memset(rs->dflt.ports.bits, 0xff, sizeof rs->dflt.ports.bits);
    rs->dflt.mode = mode_find("rst");   /* what a Linux host does for a closed port */
    mode_params_default(&rs->dflt.p);
    snprintf(rs->dflt.where, sizeof rs->dflt.where, "default");
}

void ruleset_own(struct ruleset *rs, struct reply_body *b)
{
    for (const struct reply_body *o = rs->bodies; o; o = o->next)
        if (o == b)
            return;
    if (b) {
        b->next = rs->bodies;
        rs->bodies = b;
    }
}

void ruleset_free(struct ruleset *rs)
{
    while (rs->bodies) {
        struct reply_body *b = rs->bodies;
        rs->bodies = b->next;
        reply_body_free(b);
    }
    free(rs->v);
    rs->v = NULL;
    rs->n = rs->cap = 0;
}

int ruleset_add(struct ruleset *rs, const struct rule *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct rule *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return -1;
        rs->v = v;
        rs->cap = cap;
    }
    rs->v[rs->n++] = *r;
    return 0;
}

/* Split a line (modified in place) into words; returns how many, at most max. */
static size_t split(char *line, char **w, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || n == max)
            return n;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

struct parse_state {
    const char *name;
    unsigned line;
    unsigned profile_line, default_line;   /* first such line, 0: none yet */
    char msg[320];
};

static const struct mode_ops *find_mode(struct parse_state *ps, const char *name)
{
    const struct mode_ops *m = mode_find(name);
    if (!m) {
        char names[160];
        mode_names(names, sizeof names);
        snprintf(ps->msg, sizeof ps->msg, "unknown mode '%.64s' (expected one of %s)", name, names);
    }
    return m;
}

/* The reply bytes a line built belong to the ruleset, even when the line fails later. */
static int parse_params(struct parse_state *ps, struct ruleset *rs, struct mode_params *p,
                        char **w, size_t n)
{
    int rc = 0;
    mode_params_default(p);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = mode_params_parse_kv(p, w[i], ps->msg, sizeof ps->msg);
    if (rc == 0)
        rc = mode_params_finish(p, ps->msg, sizeof ps->msg);
    ruleset_own(rs, p->reply.body);
    return rc;
}

static int parse_profile(struct parse_state *ps, struct ruleset *rs, char **w, size_t n)
{
    if (n != 2) {
        snprintf(ps->msg, sizeof ps->msg, "expected 'profile NAME'");
        return -1;
    }
    if (ps->profile_line) {
        snprintf(ps->msg, sizeof ps->msg, "duplicate profile line (first at line %u)",
                 ps->profile_line);
        return -1;
    }
    if (!profile_find(w[1]) || strlen(w[1]) >= sizeof rs->profile) {
        const struct profile *const *all = profile_all();
        char names[128];
        size_t used = 0;
        names[0] = '\0';
        for (size_t i = 0; all[i] && used < sizeof names; i++) {
            int k = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                             all[i]->name);
            if (k < 0)
                break;
            used += (size_t)k;
        }
        snprintf(ps->msg, sizeof ps->msg, "unknown profile '%.64s' (expected one of %s)",
                 w[1], names);
        return -1;
    }
    ps->profile_line = ps->line;
    snprintf(rs->profile, sizeof rs->profile, "%s", w[1]);
    return 0;
}

static int parse_default(struct parse_state *ps, struct ruleset *rs, char **w, size_t n)
{
    struct rule r = rs->dflt;
    if (n < 2) {
        snprintf(ps->msg, sizeof ps->msg, "expected 'default MODE [key=value...]'");
        return -1;
    }
    if (ps->default_line) {
        snprintf(ps->msg, sizeof ps->msg, "duplicate default line (first at line %u)",
                 ps->default_line);
        return -1;
    }
    if (!(r.mode = find_mode(ps, w[1])) || parse_params(ps, rs, &r.p, w + 2, n - 2) < 0)
        return -1;
    snprintf(r.where, sizeof r.where, "%.80s:%u", ps->name, ps->line);
    ps->default_line = ps->line;
    rs->dflt = r;
    return 0;
}

static int parse_rule(struct parse_state *ps, struct ruleset *rs, char **w, size_t n)
{
    struct rule r;
    memset(&r, 0, sizeof r);
    if (n < 3) {
        snprintf(ps->msg, sizeof ps->msg, "expected 'ADDR PORTS MODE [key=value...]'");
        return -1;
    }
    if (strcmp(w[0], "*") != 0) {
        unsigned plen = 0;
        r.v6 = strchr(w[0], ':') != NULL;
        int rc = r.v6 ? cidr6_parse(w[0], r.addr6, &plen) : cidr_parse(w[0], &r.addr, &r.mask);
        r.plen6 = (uint8_t)plen;
        if (rc == CIDR_BAD_PREFIX) {
            snprintf(ps->msg, sizeof ps->msg, "bad prefix length in '%.64s' (expected /0../%u)",
                     w[0], r.v6 ? 128u : 32u);
            return -1;
        }
        if (rc != CIDR_OK) {
            snprintf(ps->msg, sizeof ps->msg, "bad address '%.64s'", w[0]);
            return -1;
        }
    }
    if (portset_parse(&r.ports, w[1], ps->msg, sizeof ps->msg) < 0)
        return -1;
    if (!(r.mode = find_mode(ps, w[2])) || parse_params(ps, rs, &r.p, w + 3, n - 3) < 0)
        return -1;
    snprintf(r.where, sizeof r.where, "%.80s:%u", ps->name, ps->line);
    if (ruleset_add(rs, &r) < 0) {
        snprintf(ps->msg, sizeof ps->msg, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_line(struct parse_state *ps, struct ruleset *rs, const char *text, size_t len)
{
    char line[LINE_MAX_CHARS + 1];
    char *w[LINE_MAX_CHARS / 2 + 1];
    if (len && text[len - 1] == '\r')
        len--;
    if (len > LINE_MAX_CHARS) {
        snprintf(ps->msg, sizeof ps->msg, "line longer than %d characters", LINE_MAX_CHARS);
        return -1;
    }
    if (memchr(text, '\0', len)) {
        snprintf(ps->msg, sizeof ps->msg, "NUL byte in line");
        return -1;
    }
    memcpy(line, text, len);
    line[len] = '\0';
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    size_t n = split(line, w, sizeof w / sizeof w[0]);
    if (n == 0)
        return 0;
    if (strcmp(w[0], "profile") == 0)
        return parse_profile(ps, rs, w, n);
    if (strcmp(w[0], "default") == 0)
        return parse_default(ps, rs, w, n);
    return parse_rule(ps, rs, w, n);
}

int ruleset_load_buf(struct ruleset *rs, const char *name, const char *buf, size_t len,
                     char *err, size_t errlen)
{
    struct parse_state ps = { .name = name };
    /* a bad file leaves the ruleset as it was */
    size_t n0 = rs->n;
    struct rule dflt0 = rs->dflt;
    char profile0[sizeof rs->profile];
    memcpy(profile0, rs->profile, sizeof profile0);

    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        ps.line++;
        if (parse_line(&ps, rs, p, l) < 0) {
            snprintf(err, errlen, "%s:%u: %s", name, ps.line, ps.msg);
            rs->n = n0;
            rs->dflt = dflt0;
            memcpy(rs->profile, profile0, sizeof profile0);
            return -1;
        }
        p += l + (nl != NULL);
    }
    return 0;
}

int ruleset_load(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= FILE_MAX_BYTES) {
                snprintf(err, errlen, "%s: larger than %u MiB", path, FILE_MAX_BYTES >> 20);
                goto out;
            }
            cap = cap ? cap * 2 : 4096;
            char *nb = realloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                goto out;
            }
            break;
        }
    }
    rc = ruleset_load_buf(rs, path, buf, len, err, errlen);
out:
    free(buf);
    fclose(f);
    return rc;
}
