/* nmap's OS fingerprint database (nmap-os-db): loading, look-up, value expressions, and
 * scoring the way nmap compares a fingerprint with a reference (osscan.cc expr_match,
 * AVal_match). The format: https://nmap.org/book/osdetect-fingerprint-format.html.
 * A malformed or truncated entry is reported with its line and skipped; loading never
 * stops on bad input. Turning one entry into a personality: nmapdb_to_profile(). */
#ifndef RSTCRAFT_NMAPDB_H
#define RSTCRAFT_NMAPDB_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

/* The tests of a fingerprint, in nmap's order (FingerPrintDef). */
enum nmap_test { NT_SEQ, NT_OPS, NT_WIN, NT_ECN, NT_T1, NT_T2, NT_T3, NT_T4, NT_T5, NT_T6,
                 NT_T7, NT_U1, NT_IE, NT_COUNT };
#define NMAP_MAXATTR 11

const char *nmap_test_name(enum nmap_test t);
unsigned    nmap_attr_count(enum nmap_test t);
const char *nmap_attr_name(enum nmap_test t, unsigned i);
/* Index of attribute `name` (len bytes) in test t, or -1. */
int         nmap_attr_index(enum nmap_test t, const char *name, size_t len);

struct nmapdb_test {
    bool present;                       /* the test line was in the entry */
    const char *val[NMAP_MAXATTR];      /* expression per attribute; NULL: not given */
};

#define NMAPDB_MAXCLASS 6
struct nmapdb_entry {
    const char *name;                   /* the Fingerprint line */
    unsigned    line;                   /* its line number */
    unsigned    nclass;                 /* Class lines seen (the first few are kept) */
    const char *cls[NMAPDB_MAXCLASS];   /* "Microsoft | Windows | 7 | general purpose" */
    const char *cpe;                    /* first CPE, or NULL */
    struct nmapdb_test t[NT_COUNT];
};

/* Why an entry (or a line outside any entry) was skipped. */
enum nmapdb_why {
    NDW_OUTSIDE,        /* a line that belongs to no entry */
    NDW_NONAME,         /* Fingerprint line without a name */
    NDW_CLASS,          /* Class line without its four |-separated fields */
    NDW_CPE,            /* CPE line before any Class line, or empty */
    NDW_UNTERMINATED,   /* test line without its closing ')' (truncated) */
    NDW_TRAILING,       /* text after the closing ')' */
    NDW_TEST,           /* unknown test name */
    NDW_DUPTEST,        /* the same test twice in one entry */
    NDW_ATTR,           /* unknown attribute, or one without '=' */
    NDW_DUPATTR,        /* the same attribute twice in one test */
    NDW_VALUE,          /* a value expression nmap cannot match against */
    NDW_RESPONSE,       /* R=N together with other attributes */
    NDW_NOTESTS,        /* an entry with no test line (truncated) */
    NDW_LINE,           /* a line that is none of the above */
    NDW_BYTES,          /* a NUL byte or other control character */
    NDW_POINTS,         /* a bad MatchPoints line */
    NDW_COUNT
};

struct nmapdb_fail {
    unsigned line;                      /* the offending line */
    unsigned entry_line;                /* the entry's Fingerprint line (0: none) */
    enum nmapdb_why why;
    char     detail[120];
};

struct nmapdb {
    char    *text;                      /* a private copy; every string points into it */
    size_t   textlen;
    struct nmapdb_entry *e;
    size_t   n, cap;
    struct nmapdb_fail *fail;           /* the first NMAPDB_MAXFAIL failures */
    size_t   nfail, failcap, fail_total;
    size_t   why_count[NDW_COUNT];
    size_t   incomplete;                /* loaded entries missing one or more tests */
    unsigned lines;
    bool     have_points;
    uint16_t points[NT_COUNT][NMAP_MAXATTR];   /* MatchPoints (1 each when absent) */
    char     src[256];                  /* file name, for messages */
};
#define NMAPDB_MAXFAIL 1000
#define NMAPDB_MAXFILE (64u << 20)      /* refuse files larger than this */
#define NMAPDB_DEFAULT "/usr/share/nmap/nmap-os-db"

/* Load a file. Returns 0 (entries that could not be parsed are recorded, see
 * nmapdb_report), or -1 with one line in err (>= 256 bytes) when the file cannot be read. */
int  nmapdb_load(struct nmapdb *db, const char *path, char *err);
/* Load from memory (the bytes are copied). label names it in messages. Returns 0, or -1
 * when memory runs out. */
int  nmapdb_load_buf(struct nmapdb *db, const char *buf, size_t len, const char *label);
void nmapdb_free(struct nmapdb *db);
/* "nmap-os-db: FILE: N fingerprints loaded, M skipped", one line per failure
 * ("FILE:LINE: why"), then a count per reason. */
void nmapdb_report(const struct nmapdb *db, FILE *out);
const char *nmapdb_why_str(enum nmapdb_why w);

/* Look up: "@LINE" (the entry whose Fingerprint line is LINE), else an exact name (the
 * first entry of that name), else the first name containing `name` case-insensitively.
 * *nmatch (may be NULL) is how many entries matched that way. NULL when none. */
const struct nmapdb_entry *nmapdb_find(const struct nmapdb *db, const char *name, size_t *nmatch);
/* The expression of attribute `attr` of test t, or NULL (test or attribute absent). */
const char *nmapdb_get(const struct nmapdb_entry *e, enum nmap_test t, const char *attr);
/* Does the test say "no response" (R=N)? False when the test is absent. */
bool nmapdb_no_response(const struct nmapdb_entry *e, enum nmap_test t);

/* ---- value expressions: alternatives '|', ranges 'A-B', '>N', '<N' (hex), nested '[..]'
 * groups inside option strings ---- */
/* Is expr well formed? nested: '[..]' groups allowed (option strings). why (>= 64 bytes,
 * may be NULL) says what is wrong. */
bool nmap_expr_valid(const char *expr, bool nested, char *why);
/* nmap's expr_match: does the concrete value val satisfy expr? */
bool nmap_expr_match(const char *expr, const char *val, bool nested);
/* One concrete value satisfying expr: the first alternative (the first non-empty one
 * when prefer_nonempty), the low end of a range, N+1 for '>N', N-1 for '<N'. Hex is
 * written as nmap writes it (upper case, no leading zeros). False when nothing fits. */
bool nmap_expr_pick(const char *expr, bool prefer_nonempty, char *out, size_t cap);
/* The number in expr closest to want (want itself when expr allows it). */
bool nmap_expr_pick_near(const char *expr, uint32_t want, uint32_t *out);
/* Parse up to 8 hex digits (the whole string). */
bool nmap_hex(const char *s, uint32_t *out);

/* nmap's accuracy of obs (concrete values, e.g. from nmapdb_concrete) against ref:
 * the points of the attributes that match over the points of those both give. */
double nmapdb_score(const struct nmapdb *db, const struct nmapdb_entry *ref,
                    const struct nmapdb_entry *obs);
/* Fill obs with one concrete value per attribute of e (nmap_expr_pick, non-empty preferred
 * for option strings); the strings are written into buf (cap bytes). False when buf is
 * too small. */
bool nmapdb_concrete(const struct nmapdb_entry *e, struct nmapdb_entry *obs, char *buf, size_t cap);

struct personality;
/* The class nmap gives n (2..8) IP IDs in the order it sampled them (osscan2.cc
 * get_ipid_sequence_16): "Z", "RD", "RI", "BI", "I", a constant in hex (in buf), or NULL
 * when nmap would leave the class out. */
const char *nmap_ipid_class(const uint16_t *ids, int n, char *buf, size_t len);
/* What nmap -O would record from pers (nmap_sim.c): its probes answered through the
 * engine's answer functions and reduced as nmap reduces them. seed fixes the random
 * generators. Strings go into buf (cap bytes; 4096 is plenty). False when buf is short. */
bool nmapdb_simulate(const struct personality *pers, uint64_t seed, struct nmapdb_entry *obs,
                     char *buf, size_t cap);
/* The max best-scoring entries for obs, best first, with their accuracy; returns how many. */
size_t nmapdb_rank(const struct nmapdb *db, const struct nmapdb_entry *obs,
                   const struct nmapdb_entry **best, double *acc, size_t max);

/* Play entry e: one consistent value where the fingerprint gives ranges or alternatives
 * (see nmapdb_profile.c for each choice). out's pointers refer to out itself and to e's
 * strings: do not copy out, and keep the database loaded. Returns 0, or -1 with a reason
 * in why (>= 256 bytes) when the entry cannot be played (e.g. the open port never answers). */
int nmapdb_to_profile(const struct nmapdb_entry *e, struct personality *out, char *why);
#endif
