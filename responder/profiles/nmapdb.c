/* Loading nmap-os-db. The file is copied once and cut in place: every string of every
 * entry points into that copy. Entries are blocks of lines (Fingerprint, Class, CPE,
 * then one line per test) ended by a blank line or the next Fingerprint line; '#' lines
 * are comments. nmap itself (osscan.cc parse_fingerprint_file) keeps a half-parsed entry
 * after an error; here the whole entry is skipped and reported, so a personality is never
 * built from a fingerprint that lost tests to a typo. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "nmapdb.h"

static const char *const test_names[NT_COUNT] = {
    "SEQ", "OPS", "WIN", "ECN", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "U1", "IE",
};
#define TX_ATTRS { "R", "DF", "T", "TG", "W", "S", "A", "F", "O", "RD", "Q" }
static const char *const attr_names[NT_COUNT][NMAP_MAXATTR] = {
    [NT_SEQ] = { "SP", "GCD", "ISR", "TI", "CI", "II", "SS", "TS" },
    [NT_OPS] = { "O1", "O2", "O3", "O4", "O5", "O6" },
    [NT_WIN] = { "W1", "W2", "W3", "W4", "W5", "W6" },
    [NT_ECN] = { "R", "DF", "T", "TG", "W", "O", "CC", "Q" },
    [NT_T1]  = { "R", "DF", "T", "TG", "S", "A", "F", "RD", "Q" },
    [NT_T2] = TX_ATTRS, [NT_T3] = TX_ATTRS, [NT_T4] = TX_ATTRS,
    [NT_T5] = TX_ATTRS, [NT_T6] = TX_ATTRS, [NT_T7] = TX_ATTRS,
    [NT_U1]  = { "R", "DF", "T", "TG", "IPL", "UN", "RIPL", "RID", "RIPCK", "RUCK", "RUD" },
    [NT_IE]  = { "R", "DFI", "T", "TG", "CD" },
};

static const char *const why_names[NDW_COUNT] = {
    [NDW_OUTSIDE] = "line outside any fingerprint",
    [NDW_NONAME] = "Fingerprint line without a name",
    [NDW_CLASS] = "bad Class line",
    [NDW_CPE] = "bad CPE line",
    [NDW_UNTERMINATED] = "test line without ')' (truncated)",
    [NDW_TRAILING] = "text after ')'",
    [NDW_TEST] = "unknown test",
    [NDW_DUPTEST] = "test given twice",
    [NDW_ATTR] = "unknown or malformed attribute",
    [NDW_DUPATTR] = "attribute given twice",
    [NDW_VALUE] = "bad value expression",
    [NDW_RESPONSE] = "R=N with other attributes",
    [NDW_NOTESTS] = "fingerprint without tests (truncated)",
    [NDW_LINE] = "unrecognised line",
    [NDW_BYTES] = "control character or NUL byte",
    [NDW_POINTS] = "bad MatchPoints line",
};

const char *nmap_test_name(enum nmap_test t) { return t < NT_COUNT ? test_names[t] : "?"; }
const char *nmapdb_why_str(enum nmapdb_why w) { return w < NDW_COUNT ? why_names[w] : "?"; }

unsigned nmap_attr_count(enum nmap_test t)
{
    unsigned n = 0;
    while (n < NMAP_MAXATTR && attr_names[t][n])
        n++;
    return n;
}

const char *nmap_attr_name(enum nmap_test t, unsigned i)
{
    return t < NT_COUNT && i < NMAP_MAXATTR && attr_names[t][i] ? attr_names[t][i] : "?";
}

int nmap_attr_index(enum nmap_test t, const char *name, size_t len)
{
    for (unsigned i = 0; i < NMAP_MAXATTR && attr_names[t][i]; i++)
        if (strlen(attr_names[t][i]) == len && memcmp(attr_names[t][i], name, len) == 0)
            return (int)i;
    return -1;
}

/* Attributes whose values are option strings, matched with nested [expr] runs. */
static bool nested_attr(enum nmap_test t, const char *attr)
{
    return t == NT_OPS || strcmp(attr, "O") == 0;
}

static int test_index(const char *name, size_t len)
{
    for (int t = 0; t < NT_COUNT; t++)
        if (strlen(test_names[t]) == len && memcmp(test_names[t], name, len) == 0)
            return t;
    return -1;
}

/* ---- the parse state ---- */

struct ps {
    struct nmapdb *db;
    unsigned lineno;
    bool in_entry, skipping, in_points;
};

static bool fail(struct ps *s, enum nmapdb_why why, const char *pre, const char *arg,
                 size_t arglen, const char *post)
{
    struct nmapdb *db = s->db;
    db->fail_total++;
    db->why_count[why]++;
    unsigned entry_line = s->in_entry && !s->in_points ? db->e[db->n - 1].line : 0;
    if (s->in_entry && !s->in_points) {
        db->n--;                       /* drop the entry being parsed */
        s->in_entry = false;
        s->skipping = true;
    }
    if (db->nfail == db->failcap && db->failcap < NMAPDB_MAXFAIL) {
        size_t nc = db->failcap ? db->failcap * 2 : 16;
        if (nc > NMAPDB_MAXFAIL)
            nc = NMAPDB_MAXFAIL;
        struct nmapdb_fail *nf = realloc(db->fail, nc * sizeof *nf);
        if (nf) {
            db->fail = nf;
            db->failcap = nc;
        }
    }
    if (db->nfail < db->failcap) {
        struct nmapdb_fail *f = &db->fail[db->nfail++];
        f->line = s->lineno;
        f->entry_line = entry_line;
        f->why = why;
        /* the argument comes from the file: keep it printable and short */
        char clean[64];
        size_t n = arglen < sizeof clean - 1 ? arglen : sizeof clean - 1;
        for (size_t i = 0; i < n; i++)
            clean[i] = isprint((unsigned char)arg[i]) ? arg[i] : '?';
        clean[n] = '\0';
        snprintf(f->detail, sizeof f->detail, "%s%s%s%s", pre, clean,
                 arglen > n ? "..." : "", post);
    }
    return false;
}

static void trim(char **p, char **end)
{
    while (*p < *end && isspace((unsigned char)**p))
        (*p)++;
    while (*end > *p && isspace((unsigned char)(*end)[-1]))
        (*end)--;
}

static bool starts(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 &&
           ((size_t)(end - p) == n || isspace((unsigned char)p[n]));
}

static void end_entry(struct ps *s)
{
    if (s->in_entry && !s->in_points) {
        struct nmapdb_entry *e = &s->db->e[s->db->n - 1];
        bool any = false, all = true;
        for (int t = 0; t < NT_COUNT; t++) {
            any |= e->t[t].present;
            all &= e->t[t].present;
        }
        if (!any) {
            fail(s, NDW_NOTESTS, "fingerprint \"", e->name, strlen(e->name), "\" has no test lines");
            s->skipping = false;
        } else if (!all) {
            s->db->incomplete++;
        }
    }
    s->in_entry = s->skipping = s->in_points = false;
}

static bool start_entry(struct ps *s, char *p, char *end)
{
    end_entry(s);
    p += strlen("Fingerprint");
    char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash)
        end = hash;
    trim(&p, &end);
    if (p == end) {
        s->skipping = true;
        return fail(s, NDW_NONAME, "", "", 0, "");
    }
    struct nmapdb *db = s->db;
    if (db->n == db->cap) {
        size_t nc = db->cap ? db->cap * 2 : 1024;
        struct nmapdb_entry *ne = realloc(db->e, nc * sizeof *ne);
        if (!ne)
            return false;
        db->e = ne;
        db->cap = nc;
    }
    struct nmapdb_entry *e = &db->e[db->n++];
    memset(e, 0, sizeof *e);
    *end = '\0';
    e->name = p;
    e->line = s->lineno;
    s->in_entry = true;
    return true;
}

static bool class_line(struct ps *s, char *p, char *end)
{
    struct nmapdb_entry *e = &s->db->e[s->db->n - 1];
    char *body = p + strlen("Class");
    trim(&body, &end);
    size_t bars = 0;
    for (char *c = body; c < end; c++)
        bars += *c == '|';
    bool empty = true;
    for (char *c = body; c < end; c++)
        empty &= *c == '|' || isspace((unsigned char)*c);
    if (empty)
        return true;                   /* nmap ignores an empty Class line */
    if (bars != 3)
        return fail(s, NDW_CLASS, "Class needs 4 fields separated by '|': \"", body, (size_t)(end - body), "\"");
    *end = '\0';
    if (e->nclass < NMAPDB_MAXCLASS)
        e->cls[e->nclass] = body;
    e->nclass++;
    return true;
}

static bool cpe_line(struct ps *s, char *p, char *end)
{
    struct nmapdb_entry *e = &s->db->e[s->db->n - 1];
    char *body = p + strlen("CPE");
    trim(&body, &end);
    if (e->nclass == 0)
        return fail(s, NDW_CPE, "CPE line before any Class line", "", 0, "");
    if (body == end)
        return fail(s, NDW_CPE, "empty CPE line", "", 0, "");
    char *sp = body;
    while (sp < end && !isspace((unsigned char)*sp))
        sp++;
    *sp = '\0';                        /* flags such as "auto" follow the CPE */
    if (!e->cpe)
        e->cpe = body;
    return true;
}

/* "NAME(attr=value%...)": points into the entry's test, or into the MatchPoints table. */
static bool test_line(struct ps *s, char *p, char *end)
{
    struct nmapdb *db = s->db;
    char *open = memchr(p, '(', (size_t)(end - p));
    if (!open)
        return fail(s, s->in_points ? NDW_POINTS : NDW_LINE, "\"", p, (size_t)(end - p), "\"");
    int t = test_index(p, (size_t)(open - p));
    if (t < 0)
        return fail(s, s->in_points ? NDW_POINTS : NDW_TEST, "\"", p, (size_t)(open - p), "\"");
    char *close = memchr(open, ')', (size_t)(end - open));
    if (!close)
        return fail(s, s->in_points ? NDW_POINTS : NDW_UNTERMINATED, "", p, (size_t)(open - p), " line has no ')'");
    if (close + 1 != end)
        return fail(s, s->in_points ? NDW_POINTS : NDW_TRAILING, "\"", close + 1, (size_t)(end - close - 1), "\"");
    struct nmapdb_test *tt = s->in_points ? NULL : &db->e[db->n - 1].t[t];
    if (tt && tt->present)
        return fail(s, NDW_DUPTEST, "", p, (size_t)(open - p), "");
    struct nmapdb_test tmp;
    memset(&tmp, 0, sizeof tmp);
    char *a = open + 1;
    *close = '\0';
    bool r_only_n = false;
    unsigned given = 0;
    while (a < close) {
        char *pct = memchr(a, '%', (size_t)(close - a));
        char *aend = pct ? pct : close;
        char *eq = memchr(a, '=', (size_t)(aend - a));
        if (!eq)
            return fail(s, s->in_points ? NDW_POINTS : NDW_ATTR, "no '=' in \"", a, (size_t)(aend - a), "\"");
        int i = nmap_attr_index((enum nmap_test)t, a, (size_t)(eq - a));
        bool r_n = eq - a == 1 && *a == 'R' && aend - eq == 2 && eq[1] == 'N';
        if (i < 0 && !(r_n && t <= NT_WIN && !s->in_points))
            return fail(s, s->in_points ? NDW_POINTS : NDW_ATTR, "\"", a, (size_t)(eq - a), "\"");
        *aend = '\0';
        char *val = eq + 1;
        if (s->in_points) {
            char *num_end;
            long pts = strtol(val, &num_end, 10);
            if (num_end == val || *num_end || pts <= 0 || pts > 10000)
                return fail(s, NDW_POINTS, "bad points value \"", val, strlen(val), "\"");
            db->points[t][i] = (uint16_t)pts;
        } else if (i < 0) {
            r_only_n = true;           /* SEQ/OPS/WIN(R=N): no data, as nmap reads it */
        } else {
            if (tmp.val[i])
                return fail(s, NDW_DUPATTR, "", a, (size_t)(eq - a), "");
            char why[64], pre[96];
            bool nested = nested_attr((enum nmap_test)t, attr_names[t][i]);
            if (!nmap_expr_valid(val, nested, why)) {
                snprintf(pre, sizeof pre, "%s.%s=\"", test_names[t], attr_names[t][i]);
                char post[80];
                snprintf(post, sizeof post, "\": %s", why);
                return fail(s, NDW_VALUE, pre, val, strlen(val), post);
            }
            tmp.val[i] = val;
            given++;
        }
        a = aend + 1;
    }
    if (s->in_points || !tt) {
        db->have_points = true;
        return true;
    }
    if (r_only_n && given)
        return fail(s, NDW_RESPONSE, "", test_names[t], strlen(test_names[t]), "");
    if (t > NT_WIN) {
        /* tests with a response flag: R is Y when other attributes are given */
        bool others = false;
        for (unsigned i = 1; i < NMAP_MAXATTR; i++)
            others |= tmp.val[i] != NULL;
        if (others && !tmp.val[0])
            tmp.val[0] = "Y";
        else if (others && !strchr(tmp.val[0], 'Y'))
            return fail(s, NDW_RESPONSE, "", test_names[t], strlen(test_names[t]), "");
        else if (!tmp.val[0])
            tmp.val[0] = "N";          /* "T2()" reads as no response, as in nmap */
    }
    tmp.present = true;
    *tt = tmp;
    return true;
}

static void parse_line(struct ps *s, char *p, char *end)
{
    for (char *c = p; c < end; c++)
        if (*c == '\0' || (iscntrl((unsigned char)*c) && *c != '\t' && *c != '\r')) {
            if (!s->skipping)
                fail(s, NDW_BYTES, "", "", 0, "");
            return;
        }
    trim(&p, &end);
    if (p == end) {
        end_entry(s);
        return;
    }
    if (*p == '#')
        return;
    if (starts(p, end, "Fingerprint")) {
        start_entry(s, p, end);
        return;
    }
    if (starts(p, end, "MatchPoints")) {
        end_entry(s);
        s->in_points = true;
        s->in_entry = true;
        return;
    }
    if (s->skipping)
        return;
    if (!s->in_entry) {
        fail(s, NDW_OUTSIDE, "\"", p, (size_t)(end - p), "\"");
        s->skipping = true;            /* one report per stray block */
        return;
    }
    if (!s->in_points && starts(p, end, "Class"))
        class_line(s, p, end);
    else if (!s->in_points && starts(p, end, "CPE"))
        cpe_line(s, p, end);
    else
        test_line(s, p, end);
}

static void defaults(struct nmapdb *db)
{
    for (int t = 0; t < NT_COUNT; t++)
        for (int i = 0; i < NMAP_MAXATTR; i++)
            db->points[t][i] = 1;
}

int nmapdb_load_buf(struct nmapdb *db, const char *buf, size_t len, const char *label)
{
    memset(db, 0, sizeof *db);
    defaults(db);
    snprintf(db->src, sizeof db->src, "%s", label ? label : "nmap-os-db");
    db->text = malloc(len + 1);
    if (!db->text)
        return -1;
    if (len)
        memcpy(db->text, buf, len);
    db->text[len] = '\0';
    db->textlen = len;
    struct ps s = { .db = db };
    char *p = db->text, *end = db->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        s.lineno++;
        if (nl)
            *nl = '\0';
        parse_line(&s, p, le);
        p = le + 1;
    }
    end_entry(&s);
    db->lines = s.lineno;
    return 0;
}

int nmapdb_load(struct nmapdb *db, const char *path, char *err)
{
    memset(db, 0, sizeof *db);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, 256, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 1u << 20;
            if (nc > NMAPDB_MAXFILE + 1)
                nc = NMAPDB_MAXFILE + 1;
            if (nc == cap) {
                snprintf(err, 256, "%s: larger than %u MiB, not an nmap-os-db", path, NMAPDB_MAXFILE >> 20);
                free(buf);
                fclose(f);
                return -1;
            }
            char *nb = realloc(buf, nc);
            if (!nb) {
                snprintf(err, 256, "%s: out of memory", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        snprintf(err, 256, "cannot read %s", path);
        free(buf);
        return -1;
    }
    int rc = nmapdb_load_buf(db, buf, len, path);
    free(buf);
    if (rc != 0)
        snprintf(err, 256, "%s: out of memory", path);
    return rc;
}

void nmapdb_free(struct nmapdb *db)
{
    free(db->text);
    free(db->e);
    free(db->fail);
    memset(db, 0, sizeof *db);
}

void nmapdb_report(const struct nmapdb *db, FILE *out)
{
    fprintf(out, "nmap-os-db: %s: %zu fingerprints loaded, %zu skipped (%u lines", db->src, db->n,
            db->fail_total, db->lines);
    if (db->incomplete)
        fprintf(out, "; %zu loaded without every test", db->incomplete);
    fprintf(out, ")\n");
    for (size_t i = 0; i < db->nfail; i++) {
        const struct nmapdb_fail *f = &db->fail[i];
        fprintf(out, "%s:%u: %s", db->src, f->line, why_names[f->why]);
        if (f->detail[0])
            fprintf(out, ": %s", f->detail);
        if (f->entry_line && f->entry_line != f->line)
            fprintf(out, " (fingerprint at line %u skipped)", f->entry_line);
        fputc('\n', out);
    }
    if (db->fail_total > db->nfail)
        fprintf(out, "... %zu more not listed\n", db->fail_total - db->nfail);
    for (int w = 0; w < NDW_COUNT; w++)
        if (db->why_count[w])
            fprintf(out, "  %6zu  %s\n", db->why_count[w], why_names[w]);
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

const struct nmapdb_entry *nmapdb_find(const struct nmapdb *db, const char *name, size_t *nmatch)
{
    size_t dummy;
    if (!nmatch)
        nmatch = &dummy;
    *nmatch = 0;
    if (name[0] == '@' && name[1]) {
        char *endp;
        unsigned long line = strtoul(name + 1, &endp, 10);
        if (*endp == '\0') {
            for (size_t i = 0; i < db->n; i++)
                if (db->e[i].line == line) {
                    *nmatch = 1;
                    return &db->e[i];
                }
            return NULL;
        }
    }
    const struct nmapdb_entry *first = NULL;
    for (size_t i = 0; i < db->n; i++)
        if (strcmp(db->e[i].name, name) == 0) {
            if (!first)
                first = &db->e[i];
            (*nmatch)++;
        }
    if (first)
        return first;
    for (size_t i = 0; i < db->n; i++)
        if (contains_ci(db->e[i].name, name)) {
            if (!first)
                first = &db->e[i];
            (*nmatch)++;
        }
    return first;
}

const char *nmapdb_get(const struct nmapdb_entry *e, enum nmap_test t, const char *attr)
{
    if (t >= NT_COUNT || !e->t[t].present)
        return NULL;
    int i = nmap_attr_index(t, attr, strlen(attr));
    return i < 0 ? NULL : e->t[t].val[i];
}

bool nmapdb_no_response(const struct nmapdb_entry *e, enum nmap_test t)
{
    if (t >= NT_COUNT || !e->t[t].present)
        return false;
    if (t <= NT_WIN) {
        for (int i = 0; i < NMAP_MAXATTR; i++)
            if (e->t[t].val[i])
                return false;
        return true;
    }
    return e->t[t].val[0] && strcmp(e->t[t].val[0], "N") == 0;
}

double nmapdb_score(const struct nmapdb *db, const struct nmapdb_entry *ref,
                    const struct nmapdb_entry *obs)
{
    unsigned long total = 0, good = 0;
    for (int t = 0; t < NT_COUNT; t++) {
        if (!ref->t[t].present || !obs->t[t].present)
            continue;
        for (unsigned i = 0; i < nmap_attr_count((enum nmap_test)t); i++) {
            const char *r = ref->t[t].val[i], *v = obs->t[t].val[i];
            if (!r || !v)
                continue;
            unsigned pts = db && db->have_points ? db->points[t][i] : 1;
            total += pts;
            if (nmap_expr_match(r, v, nested_attr((enum nmap_test)t, nmap_attr_name((enum nmap_test)t, i))))
                good += pts;
        }
    }
    return total ? (double)good / (double)total : 0.0;
}
