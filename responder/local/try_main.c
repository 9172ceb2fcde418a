/* `rstcraft try [options] -- CLIENT ARGS...`: for each case, a fresh `local` playing it
 * (local_net.c), the user's client run once against it with {host} and {port} filled in,
 * and a row saying what the server did on the wire and what the client did. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cmds.h"
#include "local.h"
#include "try.h"

#define MAX_EXPECT 32

static const char usage_text[] =
"usage: rstcraft try [options] -- CLIENT [ARGS...]\n"
"\n"
"Run CLIENT once per case against `rstcraft local` playing it, and report what the\n"
"server side did on the wire and what the client did (exit status, time, the last line\n"
"of its stderr). {host} and {port} in ARGS, and RSTCRAFT_HOST, RSTCRAFT_PORT (and\n"
"RSTCRAFT_CASE) in its environment, are the case's address and port.\n"
"\n"
"  --cases LIST       comma-separated cases to run (default: all; see --list-cases)\n"
"  --timeout S        a client still running after S seconds is killed and reported as\n"
"                     hanging (default 15)\n"
"  --port N           the port the cases answer on (default 8080)\n"
"  --expect SPEC      'CASE: COND, ...' with COND exit==N, exit!=N, time<S, time>S,\n"
"                     hang or no-hang; CASE may be '*'. Repeatable. Exit 1 if one fails\n"
"  --json             one JSON object per case instead of the table\n"
"  --junit FILE       also write the results as JUnit XML\n"
"  --list-cases       list the cases and exit\n"
"\n"
"Example:\n"
"  sudo rstcraft try --expect 'silent: exit==28, time<4s' -- \\\n"
"       curl -sS --max-time 3 http://{host}:{port}/\n"
"\n"
"Exit status: 0 done (every expectation met), 1 an expectation failed, 2 usage error,\n"
"3 runtime error. Needs root, as `rstcraft local` does. See rstcraft(1).\n";

struct try_opts {
    const struct try_case *run[32];
    size_t   nrun;
    double   timeout;
    unsigned port;
    bool     json;
    const char *junit;
    struct try_expect ex[MAX_EXPECT];
    size_t   nex;
    char   **client;
};

static volatile sig_atomic_t interrupted;
static void on_int(int sig) { interrupted = sig; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void list_cases(void)
{
    size_t n;
    const struct try_case *c = try_cases(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-18s %s\n", c[i].name, c[i].what);
}

static int usage_err(const char *fmt, const char *arg)
{
    char shown[200];
    fprintf(stderr, "rstcraft try: ");
    fprintf(stderr, fmt, try_shown(arg, shown, sizeof shown));
    fprintf(stderr, " (see rstcraft try --help)\n");
    return 2;
}

static int pick_cases(struct try_opts *o, const char *list)
{
    size_t n;
    const struct try_case *all = try_cases(&n);
    o->nrun = 0;
    if (!list) {
        for (size_t i = 0; i < n; i++)
            o->run[o->nrun++] = &all[i];
        return 0;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        const struct try_case *c = try_case_find(w);
        if (!c)
            return usage_err("--cases: no case '%s'", w);
        if (o->nrun < sizeof o->run / sizeof o->run[0])
            o->run[o->nrun++] = c;
    }
    return o->nrun ? 0 : usage_err("--cases: %s", "empty list");
}

static int parse(struct try_opts *o, int argc, char **argv)
{
    enum { O_CASES = 256, O_TIMEOUT, O_PORT, O_EXPECT, O_JSON, O_JUNIT, O_LIST };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },       { "cases", required_argument, NULL, O_CASES },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "port", required_argument, NULL, O_PORT },
        { "expect", required_argument, NULL, O_EXPECT }, { "json", no_argument, NULL, O_JSON },
        { "junit", required_argument, NULL, O_JUNIT },
        { "list-cases", no_argument, NULL, O_LIST }, { NULL, 0, NULL, 0 },
    };
    const char *cases = NULL;
    char *end;
    int opt;
    o->timeout = 15;
    o->port = 8080;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        char err[300];
        switch (opt) {
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        case O_LIST:
            list_cases();
            return 1;
        case O_CASES:
            cases = optarg;
            break;
        case O_TIMEOUT:
            o->timeout = strtod(optarg, &end);
            if (*end || end == optarg || !(o->timeout >= 0.1 && o->timeout <= 86400))
                return usage_err("--timeout: expected seconds (0.1..86400), got '%s'", optarg);
            break;
        case O_PORT: {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 65535)
                return usage_err("--port: expected 1..65535, got '%s'", optarg);
            o->port = (unsigned)v;
            break;
        }
        case O_EXPECT:
            if (o->nex == MAX_EXPECT)
                return usage_err("--expect: more than %s", "32");
            if (try_expect_parse(&o->ex[o->nex++], optarg, err, sizeof err) != 0)
                return usage_err("%s", err);
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_JUNIT:
            o->junit = optarg;
            break;
        case ':':
            return usage_err("%s needs an argument", argv[optind - 1]);
        default:
            return usage_err("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_err("%s", "no client: put it after --, e.g. -- curl http://{host}:{port}/");
    o->client = argv + optind;
    return pick_cases(o, cases);
}

/* ---- one case ---- */

struct lastline {           /* the last non-empty line of a stream */
    char cur[512], last[512];
    size_t n;
};

static void ll_feed(struct lastline *l, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || p[i] == '\r') {
            if (l->n) {
                l->cur[l->n] = '\0';
                memcpy(l->last, l->cur, l->n + 1);
            }
            l->n = 0;
        } else if (l->n < sizeof l->cur - 1) {
            l->cur[l->n++] = p[i];
        }
    }
}

static void ll_done(struct lastline *l, char *out, size_t len)
{
    ll_feed(l, "\n", 1);
    snprintf(out, len, "%s", l->last);
}

struct evlist {
    char     name[16][32];
    unsigned count[16];
    size_t   n;
    unsigned skip_sport;    /* the filler connection's: not the client's doing */
    char     line[1024];
    size_t   len;
};

static void ev_line(struct evlist *e, const char *line)
{
    const char *p = strstr(line, "\"event\":\"");
    if (!p)
        return;
    p += 9;
    size_t n = strcspn(p, "\"");
    const char *sp = strstr(line, "\"sport\":");
    if (e->skip_sport && sp && strtoul(sp + 8, NULL, 10) == e->skip_sport)
        return;
    for (size_t i = 0; i < e->n; i++)
        if (strlen(e->name[i]) == n && strncmp(e->name[i], p, n) == 0) {
            e->count[i]++;
            return;
        }
    if (e->n == 16 || n >= sizeof e->name[0])
        return;
    memcpy(e->name[e->n], p, n);
    e->name[e->n][n] = '\0';
    e->count[e->n++] = 1;
}

static void ev_feed(struct evlist *e, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            e->line[e->len] = '\0';
            ev_line(e, e->line);
            e->len = 0;
        } else if (e->len < sizeof e->line - 1) {
            e->line[e->len++] = p[i];
        }
    }
}

static void ev_str(const struct evlist *e, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < e->n && used < len; i++) {
        int w = e->count[i] > 1
            ? snprintf(out + used, len - used, "%s%s x%u", i ? ", " : "", e->name[i], e->count[i])
            : snprintf(out + used, len - used, "%s%s", i ? ", " : "", e->name[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

struct ctx {
    const struct try_opts *o;
    const struct try_case *tc;
};

static int responder(const struct local_net *ln, void *arg)
{
    const struct ctx *cx = arg;
    char a[16], port[8];
    snprintf(port, sizeof port, "%u", cx->o->port);
    char *v[24];
    int n = 0;
    const char *fixed[] = { "rstcraft", "-i", ln->far, "-a", ip4_str(ln->dflt_addr, a),
                            "--no-probe", "--json", "-p", port };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        v[n++] = (char *)(uintptr_t)fixed[i];
    for (size_t i = 0; cx->tc->args[i]; i++)
        v[n++] = (char *)(uintptr_t)cx->tc->args[i];
    v[n] = NULL;
    return respond_main(n, v);
}

/* Read what is there; false at end of file. */
static bool drain(int fd, void (*feed)(void *, const char *, size_t), void *user)
{
    char buf[4096];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
        feed(user, buf, (size_t)r);
        return true;
    }
    return r < 0 && (errno == EINTR || errno == EAGAIN);
}

static void feed_ll(void *u, const char *p, size_t n) { ll_feed(u, p, n); }
static void feed_ev(void *u, const char *p, size_t n) { ev_feed(u, p, n); }

/* The responder's stderr until "rstcraft: ready"; false (with its last line) if it ends. */
static bool wait_ready(int fd, struct lastline *l, double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 50) <= 0)
            continue;
        if (!drain(fd, feed_ll, l))
            return false;
        if (strncmp(l->last, "rstcraft: ready", 15) == 0)
            return true;
    }
    return false;
}

/* A connection of ours that fills the accept queue (backlog 1). Returns the socket. */
static int filler(const char *host, unsigned port, unsigned *sport)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 3, 0 };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    socklen_t len = sizeof sa;
    getsockname(s, (struct sockaddr *)&sa, &len);
    *sport = ntohs(sa.sin_port);
    return s;
}

/* rstcraft kill on the near end: resets the client at its first data segment. */
static pid_t start_killer(const struct local_net *ln, const struct try_opts *o)
{
    char filter[200], secs[32];
    snprintf(filter, sizeof filter, "tcp dst port %u and (ip[2:2] - ((ip[0] & 0xf) << 2) - "
             "((tcp[12] & 0xf0) >> 2)) > 0", o->port);
    snprintf(secs, sizeof secs, "%.1f", o->timeout + 1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
            _exit(3);
        char *v[] = { "kill", "-i", (char *)(uintptr_t)ln->near, "--client", "--once",
                      "--count", "1", "--timeout", secs, filter, NULL };
        _exit(kill_main(10, v));
    }
    struct timespec ts = { 0, 300 * 1000000L };   /* its capture opens */
    nanosleep(&ts, NULL);
    return pid;
}

/* "{host}" and "{port}" replaced. */
static char *subst(const char *arg, const char *host, const char *port)
{
    size_t len = strlen(arg) * 4 + 64;
    char *out = malloc(len), *w = out;
    if (!out)
        return NULL;
    for (const char *p = arg; *p && (size_t)(w - out) < len - 24;) {
        if (strncmp(p, "{host}", 6) == 0) {
            w += sprintf(w, "%s", host);
            p += 6;
        } else if (strncmp(p, "{port}", 6) == 0) {
            w += sprintf(w, "%s", port);
            p += 6;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return out;
}

static pid_t start_client(const struct try_opts *o, const struct try_result *r, int out, int err)
{
    char port[8];
    snprintf(port, sizeof port, "%u", r->port);
    size_t n = 0;
    while (o->client[n])
        n++;
    if (n == 0)
        return -1;
    char **v = calloc(n + 1, sizeof *v);
    bool ok = v != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] = subst(o->client[i], r->host, port)) != NULL;
    fflush(NULL);
    pid_t pid = ok ? fork() : -1;
    if (pid == 0) {
        setpgid(0, 0);   /* its own group: at the timeout, it and its children go */
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGINT, &dfl, NULL);
        setenv("RSTCRAFT_HOST", r->host, 1);
        setenv("RSTCRAFT_PORT", port, 1);
        setenv("RSTCRAFT_CASE", r->tc->name, 1);
        execvp(v[0], v);
        fprintf(stderr, "rstcraft try: cannot run %s: %s\n", v[0], strerror(errno));
        _exit(127);
    }
    if (pid > 0)
        setpgid(pid, pid);
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
    return pid;
}

struct streams {
    int fd[4];                  /* client out, client err, responder out, responder err */
    struct lastline cout, cerr, rerr;
    struct evlist ev;
};

/* Poll every open stream once for up to ms. */
static void pump(struct streams *s, int ms)
{
    struct pollfd p[4];
    for (int i = 0; i < 4; i++)
        p[i] = (struct pollfd){ .fd = s->fd[i], .events = POLLIN };
    if (poll(p, 4, ms) <= 0)
        return;
    void (*feed[4])(void *, const char *, size_t) = { feed_ll, feed_ll, feed_ev, feed_ll };
    void *user[4] = { &s->cout, &s->cerr, &s->ev, &s->rerr };
    for (int i = 0; i < 4; i++)
        if (s->fd[i] >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
            !drain(s->fd[i], feed[i], user[i])) {
            close(s->fd[i]);
            s->fd[i] = -1;
        }
}

static void run_client(const struct try_opts *o, struct try_result *r, struct streams *s)
{
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        snprintf(r->setup_err, sizeof r->setup_err, "pipe: %s", strerror(errno));
        return;
    }
    double t0 = now_s();
    pid_t pid = start_client(o, r, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    s->fd[0] = out[0];
    s->fd[1] = err[0];
    if (pid < 0) {
        snprintf(r->setup_err, sizeof r->setup_err, "fork: %s", strerror(errno));
        return;
    }
    r->ran = true;
    int st = 0;
    for (;;) {
        pump(s, 20);
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (now_s() - t0 >= o->timeout || interrupted) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            r->hang = !interrupted;
            break;
        }
    }
    r->secs = now_s() - t0;
    if (WIFEXITED(st))
        r->exit_code = WEXITSTATUS(st);
    else if (WIFSIGNALED(st) && !r->hang) {
        r->exit_code = -1;
        r->signal = WTERMSIG(st);
    }
    /* what it wrote last; a child it left behind may hold the pipes: not for long */
    for (double end = now_s() + 0.2; (s->fd[0] >= 0 || s->fd[1] >= 0) && now_s() < end;)
        pump(s, 20);
    kill(-pid, SIGKILL);
}

static void run_case(const struct try_opts *o, unsigned seq, struct try_result *r)
{
    struct streams s = { .fd = { -1, -1, -1, -1 } };
    int rout[2], rerr[2];
    if (pipe2(rout, O_CLOEXEC) != 0 || pipe2(rerr, O_CLOEXEC) != 0) {
        snprintf(r->setup_err, sizeof r->setup_err, "pipe: %s", strerror(errno));
        return;
    }
    struct local_net ln = { .seq = seq, .child_out = rout[1], .child_err = rerr[1] };
    struct ctx cx = { .o = o, .tc = r->tc };
    char err[512];
    r->port = o->port;
    int up = local_net_up(&ln, NULL, responder, &cx, err, sizeof err);
    close(rout[1]);
    close(rerr[1]);
    s.fd[2] = rout[0];
    s.fd[3] = rerr[0];
    ip4_str(ln.dflt_addr, r->host);
    if (up != 0) {
        snprintf(r->setup_err, sizeof r->setup_err, "%s", err);
        goto out;
    }
    if (!wait_ready(s.fd[3], &s.rerr, 5)) {
        snprintf(r->setup_err, sizeof r->setup_err, "the responder did not start: %.400s",
                 s.rerr.last);
        goto down;
    }
    int fill = -1;
    pid_t killer = -1;
    if (r->tc->filler && (fill = filler(r->host, r->port, &s.ev.skip_sport)) < 0) {
        snprintf(r->setup_err, sizeof r->setup_err, "could not fill the accept queue: %s",
                 strerror(errno));
        goto down;
    }
    if (r->tc->kill_client)
        killer = start_killer(&ln, o);
    run_client(o, r, &s);
    /* the last segments: the client's FIN or RST as it went */
    for (double end = now_s() + 0.3; now_s() < end;)
        pump(&s, 20);
    if (killer > 0) {
        kill(killer, SIGTERM);
        waitpid(killer, NULL, 0);
    }
    if (fill >= 0)
        close(fill);
down:
    kill(ln.child, SIGTERM);
    for (double end = now_s() + 3; (s.fd[2] >= 0 || s.fd[3] >= 0) && now_s() < end;)
        pump(&s, 50);
    local_net_down(&ln, 1000);
out:
    for (int i = 0; i < 4; i++)
        if (s.fd[i] >= 0)
            close(s.fd[i]);
    ev_str(&s.ev, r->events, sizeof r->events);
    ll_done(&s.cout, r->out_last, sizeof r->out_last);
    ll_done(&s.cerr, r->err_last, sizeof r->err_last);
}

int try_main(int argc, char **argv)
{
    static struct try_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!local_privileged("try"))
        return 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = { .sa_handler = on_int }, ign = { .sa_handler = SIG_IGN };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &ign, NULL);
    static struct try_result res[32];
    size_t done = 0, failed = 0, hung = 0, judged = 0;
    double t0 = now_s();
    if (!o.json)
        try_table_head(stdout);
    for (size_t i = 0; i < o.nrun && !interrupted; i++) {
        struct try_result *r = &res[done++];
        memset(r, 0, sizeof *r);
        r->tc = o.run[i];
        run_case(&o, (unsigned)i, r);
        if (interrupted)
            break;
        try_judge(r, o.ex, o.nex);
        failed += r->verdict == 0;
        judged += r->verdict >= 0;
        hung += r->hang;
        if (o.json)
            try_json_row(stdout, r);
        else
            try_table_row(stdout, r);
    }
    if (interrupted) {
        fprintf(stderr, "rstcraft try: interrupted; everything it made is removed\n");
        return 128 + interrupted;
    }
    fprintf(stderr, "rstcraft try: %zu case%s in %.1fs; %zu hanging; expectations: %zu met, "
            "%zu failed\n", done, done == 1 ? "" : "s", now_s() - t0, hung, judged - failed,
            failed);
    char err[400];
    if (o.junit && try_junit(o.junit, res, done, now_s() - t0, err, sizeof err) != 0) {
        fprintf(stderr, "rstcraft try: %s\n", err);
        return 3;
    }
    return failed ? 1 : 0;
}
