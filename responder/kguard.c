/* Keeping the kernel out of the way. When the namespace's kernel has one of our addresses
 * configured, it answers for it too: with RSTs to every segment of "our" connections. A
 * table of our own (rstcraft_<pid>) drops exactly those RSTs, and a janitor process that
 * stays root deletes it when we are gone, however we go. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include "janitor.h"
#include "kguard.h"

#define KG_ERRLEN 256   /* kguard_kernel_owned's err has no length: stay within this */

int kguard_kernel_owned(const struct addrset *s, struct addrset *owned, char *err)
{
    struct ifaddrs *ifa0;
    if (getifaddrs(&ifa0) != 0) {
        snprintf(err, KG_ERRLEN, "cannot list this namespace's addresses: %s", strerror(errno));
        return -1;
    }
    int rc = 0;
    /* the same address on two interfaces counts once: the set keeps one */
    for (const struct ifaddrs *i = ifa0; i && rc == 0; i = i->ifa_next) {
        const void *sa = i->ifa_addr;
        if (sa && i->ifa_addr->sa_family == AF_INET) {
            uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
            if (addrset_has(s, a))
                rc = addrset_add(owned, a);
        } else if (sa && i->ifa_addr->sa_family == AF_INET6) {
            const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
            if (addrset_has6(s, a))
                rc = addrset_add6(owned, a);
        }
    }
    freeifaddrs(ifa0);
    if (rc != 0) {
        snprintf(err, KG_ERRLEN, "out of memory listing this namespace's addresses");
        return -1;
    }
    return (int)addrset_count(owned);
}

/* ---- a growing string for the nft script ---- */
struct sbuf {
    char  *p;
    size_t len, cap;
    bool   oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    char *piece = NULL;
    va_list ap;
    va_start(ap, fmt);
    int w = vasprintf(&piece, fmt, ap);
    va_end(ap);
    if (w < 0) {
        b->oom = true;
        return;
    }
    if (b->len + (size_t)w + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 4096;
        while (ncap < b->len + (size_t)w + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            free(piece);
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, piece, (size_t)w + 1);
    b->len += (size_t)w;
    free(piece);
}

/* Does the IPv6 address b follow a? (Blocks span at most 2^20: the last 4 bytes.) */
static bool next6(const struct addr6 *a, const struct addr6 *b)
{
    uint32_t x = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
    uint32_t y = (uint32_t)b->b[12] << 24 | (uint32_t)b->b[13] << 16 | (uint32_t)b->b[14] << 8 | b->b[15];
    return memcmp(a->b, b->b, 12) == 0 && y == x + 1;
}

/* Addresses of one family as compact ranges: a /22 becomes one interval, not 1024
 * elements. */
static void emit_addrs(struct sbuf *b, const struct addrset *s, bool v6)
{
    char x[ADDR_STRLEN], y[ADDR_STRLEN];
    size_t n = v6 ? s->n6 : s->n;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && (v6 ? next6(&s->v6[j], &s->v6[j + 1]) : s->v[j + 1] == s->v[j] + 1))
            j++;
        if (i)
            sb_printf(b, ", ");
        sb_printf(b, "%s", v6 ? ip6_str(s->v6[i].b, x) : ip4_str(s->v[i], x));
        if (i != j)
            sb_printf(b, "-%s", v6 ? ip6_str(s->v6[j].b, y) : ip4_str(s->v[j], y));
        i = j + 1;
    }
}

/* The 65536-bit port map as ranges. Returns how many ports are set. */
static unsigned emit_ports(struct sbuf *b, const struct portset *ps)
{
    unsigned count = 0;
    bool first = true;
    for (unsigned p = 0; p < 65536;) {
        if (!portset_has(ps, (uint16_t)p)) {
            p++;
            continue;
        }
        unsigned q = p;
        while (q + 1 < 65536 && portset_has(ps, (uint16_t)(q + 1)))
            q++;
        sb_printf(b, first ? "%u" : ", %u", p);
        if (q > p)
            sb_printf(b, "-%u", q);
        first = false;
        count += q - p + 1;
        p = q + 1;
    }
    return count;
}

/* ---- running nft ---- */
static char nft_path[256];
static char table_name[64];
static struct janitor jan = JANITOR_NONE;   /* deletes the table when we are gone */

static bool find_nft(void)
{
    static const char *const fixed[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/local/sbin/nft" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (access(fixed[i], X_OK) == 0) {
            snprintf(nft_path, sizeof nft_path, "%s", fixed[i]);
            return true;
        }
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && len + 5 < sizeof nft_path) {
            snprintf(nft_path, sizeof nft_path, "%.*s/nft", (int)len, path);
            if (access(nft_path, X_OK) == 0)
                return true;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    nft_path[0] = '\0';
    return false;
}

/* Run nft with args; script (if any) goes to its stdin. stdout and stderr go to out_fd
 * (or /dev/null when -1). Returns the exit status, or -1 when it could not run. */
static int run_nft(const char *const *args, const char *script, size_t len, int out_fd)
{
    int in[2] = { -1, -1 };
    if (script && pipe2(in, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        if (script) {
            close(in[0]);
            close(in[1]);
        }
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        int sink = out_fd >= 0 ? out_fd : devnull;
        if (dup2(script ? in[0] : devnull, 0) < 0 || dup2(sink, 1) < 0 || dup2(sink, 2) < 0)
            _exit(127);
        char *argv[8];
        size_t k = 0;
        argv[k++] = nft_path;
        for (size_t i = 0; args[i] && k < 7; i++)
            argv[k++] = (char *)(uintptr_t)args[i];
        argv[k] = NULL;
        execv(nft_path, argv);
        _exit(127);
    }
    if (script) {
        close(in[0]);
        /* nft may exit before reading everything (a syntax error): no SIGPIPE for that */
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        sigaction(SIGPIPE, &ign, &old);
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(in[1], script + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(in[1]);
        sigaction(SIGPIPE, &old, NULL);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void delete_table(void)
{
    const char *args[] = { "delete", "table", "inet", table_name, NULL };
    run_nft(args, NULL, 0, -1);
}

static void delete_table_cb(void *arg)
{
    (void)arg;
    delete_table();
}

static int start_janitor(char *err, size_t errlen)
{
    char e2[200];
    if (janitor_start(&jan, delete_table_cb, NULL, e2, sizeof e2) == 0)
        return 0;
    snprintf(err, errlen, "--kernel-guard: %s", e2);
    return -1;
}

/* it runs one nft and exits */
static void stop_janitor(void) { janitor_finish(&jan, 3000); }

/* nft's own complaint, first line, from the memfd that caught its output. */
static void nft_complaint(int fd, char *out, size_t outlen)
{
    char buf[512];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    buf[r > 0 ? r : 0] = '\0';
    /* nft -f - prints "/dev/stdin:N:M-K: Error: ..." then the offending line */
    const char *e = strstr(buf, "Error:");
    const char *line = e ? e : buf;
    size_t n = strcspn(line, "\r\n");
    if (n == 0) {
        line = "(no message)";
        n = strlen(line);
    }
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, line, n);
    out[n] = '\0';
}

int kguard_nft_install(const struct addrset *s, const struct portset *ports, char *err,
                       size_t errlen)
{
    if (!s || addrset_count(s) == 0) {
        snprintf(err, errlen, "--kernel-guard: no addresses to guard");
        return -1;
    }
    if (!nft_path[0] && !find_nft()) {
        snprintf(err, errlen, "nft not found: install nftables");
        return -1;
    }
    snprintf(table_name, sizeof table_name, "rstcraft_%ld", (long)getpid());
    struct sbuf b = {0};
    /* add + delete + add: one transaction that also replaces a table left behind by an
     * earlier process with our pid */
    sb_printf(&b, "table inet %s\ndelete table inet %s\n", table_name, table_name);
    sb_printf(&b, "table inet %s {\n  chain out {\n    type filter hook output priority 0; "
              "policy accept;\n", table_name);
    struct sbuf pb = {0};
    if (ports) {
        unsigned count = emit_ports(&pb, ports);
        if (count == 0) {
            free(pb.p);
            free(b.p);
            snprintf(err, errlen, "--kernel-guard: empty port set");
            return -1;
        }
        b.oom |= pb.oom;
        if (count == 65536) {
            free(pb.p);
            pb.p = NULL;
        }
    }
    for (int v6 = 0; v6 < 2; v6++) {
        if (!(v6 ? s->n6 : s->n))
            continue;
        const char *fam = v6 ? "ip6" : "ip";
        sb_printf(&b, "    %s saddr { ", fam);
        emit_addrs(&b, s, v6);
        sb_printf(&b, " }");
        if (pb.p)
            sb_printf(&b, " tcp sport { %s }", pb.p);
        sb_printf(&b, " tcp flags & rst == rst drop\n");
        if (v6) {
            /* and its ICMPv6 port unreachables and echo replies: the responder sends those
             * itself (packet sockets do not pass this hook) */
            sb_printf(&b, "    ip6 saddr { ");
            emit_addrs(&b, s, true);
            sb_printf(&b, " } icmpv6 type { destination-unreachable, echo-reply } drop\n");
        }
    }
    free(pb.p);
    sb_printf(&b, "  }\n}\n");
    if (b.oom) {
        free(b.p);
        snprintf(err, errlen, "--kernel-guard: out of memory");
        return -1;
    }
    if (jan.pid < 0 && start_janitor(err, errlen) != 0) {
        free(b.p);
        return -1;
    }
    int out = memfd_create("nft-out", MFD_CLOEXEC);
    const char *args[] = { "-f", "-", NULL };
    int rc = run_nft(args, b.p, b.len, out);
    free(b.p);
    if (rc != 0) {
        char why[400];
        if (rc < 0)
            snprintf(why, sizeof why, "could not run %s", nft_path);
        else if (out >= 0)
            nft_complaint(out, why, sizeof why);
        else
            snprintf(why, sizeof why, "exit status %d", rc);
        snprintf(err, errlen, "--kernel-guard: nft refused the table %s: %s", table_name, why);
        if (out >= 0)
            close(out);
        stop_janitor();
        return -1;
    }
    if (out >= 0)
        close(out);
    return 0;
}

void kguard_nft_remove(void)
{
    if (jan.pid < 0)
        return;
    /* after -Z we may no longer delete it ourselves: the janitor, still root, will */
    if (geteuid() == 0)
        delete_table();
    stop_janitor();
}
