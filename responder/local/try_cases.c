/* The cases `try` plays, and the expectations a user can put on them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "try.h"

static const struct try_case cases[] = {
    { "closed", "closed port: RST|ACK to the SYN", { "--mode", "rst" }, false, false },
    { "silent", "drops every SYN", { "--mode", "silent" }, false, false },
    { "late-synack", "SYN-ACK after 10 s, past common connect timeouts, then never answers",
      { "--mode", "delay", "--delay", "10000" }, false, false },
    { "slow-synack", "SYN-ACK after 500 ms, under common connect timeouts, then never answers",
      { "--mode", "delay", "--delay", "500" }, false, false },
    { "unread", "reads 1 byte and closes with the rest unread: RST|ACK",
      { "--mode", "unread", "--read", "1" }, false, false },
    { "after-close", "reads once and closes (FIN); data after it is answered with RST",
      { "--mode", "after-close" }, false, false },
    { "backlog-drop", "accept queue full: SYNs dropped",
      { "--mode", "backlog", "--backlog", "1" }, true, false },
    { "backlog-abort", "accept queue full: the handshake's final ACK is reset",
      { "--mode", "backlog", "--backlog", "1", "--abort-on-overflow" }, true, false },
    { "open", "accepts and reads, never answers", { "--mode", "open" }, false, false },
    { "echo", "accepts and echoes what it reads", { "--mode", "open", "--echo" }, false, false },
    { "reply-fin", "answers an HTTP 200 (1000-byte body), then closes with FIN",
      { "--mode", "open", "--reply", "http", "--reply-size", "1000" }, false, false },
    { "reply-unread", "answers, then closes with the request partly unread: RST|ACK after the reply",
      { "--mode", "unread", "--read", "10", "--reply", "http", "--reply-size", "1000" }, false, false },
    { "reset-midreply", "a 100000-byte reply reset after 50000 bytes (a crash mid-transfer)",
      { "--mode", "open", "--reply", "http", "--reply-size", "100000", "--reset-after", "50000" },
      false, false },
    { "slow-reply", "a 5000-byte reply at 1000 bytes/s, slower than common read timeouts",
      { "--mode", "open", "--reply", "http", "--reply-size", "5000", "--reply-rate", "1000" },
      false, false },
    { "stale-pooled", "answers, then forgets a connection quiet for 1 s: a pooled connection's "
      "next request meets RST", { "--mode", "open", "--reply", "http", "--idle-close", "1" }, false, false },
    { "reset-midstream", "accepts; the client's first data is answered with RST (rstcraft kill)",
      { "--mode", "open" }, false, true },
    { "windows7-firewall", "Windows 7 behind its firewall: the closed port is silent",
      { "--mode", "rst", "--profile", "windows7-firewall" }, false, false },
};

const struct try_case *try_cases(size_t *n)
{
    *n = sizeof cases / sizeof cases[0];
    return cases;
}

const struct try_case *try_case_find(const char *name)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

const char *try_shown(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; i < len - 1 && s[i]; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int parse_cmp(const char **s, enum try_cmp *c)
{
    static const struct { const char *op; enum try_cmp c; } ops[] = {
        { "==", CMP_EQ }, { "!=", CMP_NE }, { "<=", CMP_LE }, { ">=", CMP_GE },
        { "=", CMP_EQ }, { "<", CMP_LT }, { ">", CMP_GT },
    };
    *s = skip_ws(*s);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].op);
        if (strncmp(*s, ops[i].op, n) == 0) {
            *s += n;
            *c = ops[i].c;
            return 0;
        }
    }
    return -1;
}

/* "exit!=0", "time<6s", "time>=500ms", "hang", "no-hang" */
static int parse_cond(struct try_cond *c, const char *s, char *err, size_t errlen)
{
    s = skip_ws(s);
    char *end;
    if (strcmp(s, "hang") == 0 || strcmp(s, "no-hang") == 0 || strcmp(s, "nohang") == 0) {
        c->what = s[0] == 'h' ? COND_HANG : COND_NOHANG;
        return 0;
    }
    bool is_exit = strncmp(s, "exit", 4) == 0, is_time = strncmp(s, "time", 4) == 0;
    const char *p = s + 4;
    if ((!is_exit && !is_time) || parse_cmp(&p, &c->cmp) != 0)
        goto bad;
    p = skip_ws(p);
    c->value = strtod(p, &end);
    if (end == p)
        goto bad;
    if (is_exit) {
        c->what = COND_EXIT;
        if (*skip_ws(end))
            goto bad;
        return 0;
    }
    c->what = COND_TIME;
    const char *unit = skip_ws(end);
    if (strcmp(unit, "ms") == 0)
        c->value /= 1000;
    else if (*unit && strcmp(unit, "s") != 0)
        goto bad;
    return 0;
bad:;
    char b[65];
    snprintf(err, errlen, "--expect: cannot read '%s' (expected exit==N, exit!=N, time<S, "
             "time>S, hang or no-hang)", try_shown(s, b, sizeof b));
    return -1;
}

int try_expect_parse(struct try_expect *e, const char *spec, char *err, size_t errlen)
{
    char b[65];
    memset(e, 0, sizeof *e);
    e->text = spec;
    const char *colon = strchr(spec, ':');
    if (!colon) {
        snprintf(err, errlen, "--expect '%s': expected 'CASE: CONDITION, ...'",
                 try_shown(spec, b, sizeof b));
        return -1;
    }
    const char *name = skip_ws(spec);
    size_t len = (size_t)(colon - name);
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof e->cases) {
        snprintf(err, errlen, "--expect '%s': no case name before ':'", try_shown(spec, b, sizeof b));
        return -1;
    }
    memcpy(e->cases, name, len);
    if (strcmp(e->cases, "*") != 0 && !try_case_find(e->cases)) {
        snprintf(err, errlen, "--expect: no case '%s' (see rstcraft try --list-cases)",
                 try_shown(e->cases, b, sizeof b));
        return -1;
    }
    const char *p = colon + 1;
    for (;;) {
        size_t n = strcspn(p, ",");
        char cond[64];
        if (n >= sizeof cond || e->n == sizeof e->c / sizeof e->c[0]) {
            snprintf(err, errlen, "--expect '%s': too long", try_shown(spec, b, sizeof b));
            return -1;
        }
        memcpy(cond, p, n);
        cond[n] = '\0';
        size_t t = strlen(cond);
        while (t && (cond[t - 1] == ' ' || cond[t - 1] == '\t'))
            cond[--t] = '\0';
        if (parse_cond(&e->c[e->n++], cond, err, errlen) != 0)
            return -1;
        if (!p[n])
            break;
        p += n + 1;
    }
    return 0;
}

static bool compare(double a, enum try_cmp c, double b)
{
    switch (c) {
    case CMP_EQ: return a == b;
    case CMP_NE: return a != b;
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    default:     return a >= b;
    }
}

static bool cond_met(const struct try_cond *c, const struct try_result *r)
{
    switch (c->what) {
    case COND_HANG:   return r->hang;
    case COND_NOHANG: return !r->hang;
    case COND_EXIT:   return !r->hang && r->signal == 0 && compare(r->exit_code, c->cmp, c->value);
    default:          return compare(r->secs, c->cmp, c->value);
    }
}

static void cond_str(const struct try_cond *c, char *buf, size_t len)
{
    static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
    if (c->what == COND_HANG || c->what == COND_NOHANG)
        snprintf(buf, len, "%s", c->what == COND_HANG ? "hang" : "no-hang");
    else if (c->what == COND_EXIT)
        snprintf(buf, len, "exit%s%g", ops[c->cmp], c->value);
    else
        snprintf(buf, len, "time%s%gs", ops[c->cmp], c->value);
}

void try_judge(struct try_result *r, const struct try_expect *ex, size_t nex)
{
    r->verdict = -1;
    r->why[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < nex; i++) {
        if (strcmp(ex[i].cases, "*") != 0 && strcmp(ex[i].cases, r->tc->name) != 0)
            continue;
        if (r->verdict < 0)
            r->verdict = 1;
        for (size_t k = 0; k < ex[i].n; k++) {
            if (r->ran && cond_met(&ex[i].c[k], r))
                continue;
            r->verdict = 0;
            char c[48];
            cond_str(&ex[i].c[k], c, sizeof c);
            int w = snprintf(r->why + used, sizeof r->why - used, "%s%s", used ? ", " : "", c);
            if (w > 0 && (size_t)w < sizeof r->why - used)
                used += (size_t)w;
        }
    }
}
