/* `rstcraft try -- CLIENT ARGS...`: the user's client once per case against `local`, and a
 * report of what the server side did on the wire and what the client did. */
#ifndef RSTCRAFT_TRY_H
#define RSTCRAFT_TRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One case: the responder options that play it. */
struct try_case {
    const char *name;
    const char *what;          /* what the server does, for the report */
    const char *args[10];      /* responder options after -p PORT (NULL-terminated) */
    bool        filler;        /* a connection of ours fills the accept queue first */
    bool        kill_client;   /* rstcraft kill resets the client at its first data */
};
const struct try_case *try_cases(size_t *n);
const struct try_case *try_case_find(const char *name);

/* An expectation: "silent: exit!=0, time<6s". */
enum try_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };
struct try_cond {
    enum { COND_EXIT, COND_TIME, COND_HANG, COND_NOHANG } what;
    enum try_cmp cmp;
    double       value;        /* exit status, or seconds */
};
struct try_expect {
    char            cases[64]; /* a case name or "*" */
    struct try_cond c[8];
    size_t          n;
    const char     *text;      /* as given */
};
/* A piece of the user's text for a one-line message: control characters become '?'. */
const char *try_shown(const char *s, char *buf, size_t len);
/* Parse one --expect; 0, or -1 with a message in err. */
int try_expect_parse(struct try_expect *e, const char *spec, char *err, size_t errlen);

/* What happened in one case. */
struct try_result {
    const struct try_case *tc;
    char     host[16];
    unsigned port;
    char     events[512];      /* "handshake, unread-reset": the responder's events in order */
    bool     ran;              /* the client was started */
    bool     hang;             /* still running at --timeout: killed */
    int      exit_code;        /* -1 when a signal ended it */
    int      signal;
    double   secs;
    char     err_last[512];    /* last non-empty line of its stderr */
    char     out_last[512];    /* ... of its stdout */
    char     setup_err[512];   /* the case could not be set up */
    int      verdict;          /* -1 no expectation, 0 failed, 1 met */
    char     why[256];         /* the conditions that failed */
};
/* Judge r against every expectation naming its case (or "*"). */
void try_judge(struct try_result *r, const struct try_expect *ex, size_t nex);

/* Reports. */
void try_table_head(FILE *f);
void try_table_row(FILE *f, const struct try_result *r);
void try_json_row(FILE *f, const struct try_result *r);
int  try_junit(const char *path, const struct try_result *r, size_t n, double total_secs,
               char *err, size_t errlen);
#endif
