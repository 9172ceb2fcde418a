/* censor --drop: the in-path censor also drops. A table of our own in each family that
 * forwards (bridge, for a censor on a bridge in the path; inet, for a router whose
 * traffic the censor sees on a mirror port), named rstcraft_censor_<pid>, holds a set of
 * 4-tuples and drops what matches in the forward hook. Each censored connection goes in,
 * both directions, through a long-lived `nft -i` (a line down a pipe, not a fork and exec
 * of nft per trigger). Our forged segments leave from the censor's own interface (the
 * bridge's local output, or the host's), never through the forward hook, so they pass.
 *
 * Removed on every exit path: by us when we stop, by a janitor process when we are killed
 * (it holds a pipe whose other end dies with us), and at start for tables whose process
 * is gone (a crash of the janitor too, or a reboot of a persistent namespace). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "censor.h"

#define DROP_PREFIX "rstcraft_censor_"
static const char *const families[] = { "bridge", "inet" };

static void delete_tables(const char *name)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        const char *args[] = { "delete", "table", families[i], name, NULL };
        nft_run(args, NULL, 0, -1);
    }
}

static void janitor_cleanup(void *arg)
{
    delete_tables(arg);
}

/* Tables of censors that are gone. Returns how many were removed. */
static unsigned sweep_stale(void)
{
    int out = memfd_create("nft-list", MFD_CLOEXEC);
    if (out < 0)
        return 0;
    const char *args[] = { "list", "tables", NULL };
    unsigned n = 0;
    if (nft_run(args, NULL, 0, out) == 0) {
        FILE *f = fdopen(dup(out), "r");
        char line[256], fam[32], name[128];
        if (f) {
            rewind(f);
            while (fgets(line, sizeof line, f)) {
                if (sscanf(line, "table %31s %127s", fam, name) != 2 ||
                    strncmp(name, DROP_PREFIX, strlen(DROP_PREFIX)) != 0)
                    continue;
                char *end;
                long pid = strtol(name + strlen(DROP_PREFIX), &end, 10);
                if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                    continue;   /* its censor still runs (or not ours to judge) */
                const char *del[] = { "delete", "table", fam, name, NULL };
                if (nft_run(del, NULL, 0, -1) == 0)
                    n++;
            }
            fclose(f);
        }
    }
    close(out);
    return n;
}

int censor_drop_open(struct censor_drop *d, char *err, size_t errlen)
{
    d->jan = (struct janitor)JANITOR_NONE;
    d->sh = (struct nft_shell)NFT_SHELL_NONE;
    d->cmds_failed = 0;
    if (!nft_find()) {
        snprintf(err, errlen, "--drop: nft not found: install nftables");
        return -1;
    }
    d->stale_removed = sweep_stale();
    snprintf(d->table, sizeof d->table, DROP_PREFIX "%ld", (long)getpid());
    char script[2048];
    size_t len = 0;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        /* add + delete + add: one transaction that also replaces a table left behind by
         * an earlier process with our pid */
        const char *fam = families[i], *t = d->table;
        int w = snprintf(script + len, sizeof script - len,
                         "table %s %s\ndelete table %s %s\ntable %s %s {\n"
                         "  set flows { type ipv4_addr . inet_service . ipv4_addr . inet_service; "
                         "flags timeout; timeout %us; }\n"
                         "  set flows6 { type ipv6_addr . inet_service . ipv6_addr . inet_service; "
                         "flags timeout; timeout %us; }\n"
                         "  chain forward { type filter hook forward priority -10; policy accept;\n"
                         "    ip saddr . tcp sport . ip daddr . tcp dport @flows counter drop\n"
                         "    ip6 saddr . tcp sport . ip6 daddr . tcp dport @flows6 counter drop\n"
                         "  }\n}\n",
                         fam, t, fam, t, fam, t, (unsigned)CENSOR_DROP_S, (unsigned)CENSOR_DROP_S);
        if (w < 0 || (size_t)w >= sizeof script - len) {
            snprintf(err, errlen, "--drop: table script too long");
            return -1;
        }
        len += (size_t)w;
    }
    char e2[256];
    if (janitor_start(&d->jan, janitor_cleanup, d->table, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "--drop: %s", e2);
        return -1;
    }
    int out = memfd_create("nft-out", MFD_CLOEXEC);
    const char *args[] = { "-f", "-", NULL };
    int rc = nft_run(args, script, len, out);
    if (rc != 0) {
        char why[300] = "could not run nft";
        if (rc > 0 && out >= 0)
            nft_complaint(out, why, sizeof why);
        snprintf(err, errlen, "--drop: nft refused the table %s: %s", d->table, why);
        if (out >= 0)
            close(out);
        janitor_finish(&d->jan, 3000);
        return -1;
    }
    if (out >= 0)
        close(out);
    if (nft_shell_open(&d->sh, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "--drop: %s", e2);
        censor_drop_close(d);
        return -1;
    }
    return 0;
}

void censor_drop_flow(struct censor_drop *d, const struct cflow *f)
{
    char c[CADDR_STRLEN], s[CADDR_STRLEN], cmd[512];
    caddr_str(&f->c.ip, c);
    caddr_str(&f->s.ip, s);
    const char *set = caddr_is4(&f->c.ip) ? "flows" : "flows6";
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        snprintf(cmd, sizeof cmd, "add element %s %s %s { %s . %u . %s . %u, %s . %u . %s . %u }",
                 families[i], d->table, set, c, f->c.port, s, f->s.port, s, f->s.port, c, f->c.port);
        if (nft_shell_cmd(&d->sh, cmd) != 0)
            d->cmds_failed++;
    }
}

void censor_drop_close(struct censor_drop *d)
{
    nft_shell_close(&d->sh);
    if (d->jan.pid < 0)
        return;
    delete_tables(d->table);
    janitor_finish(&d->jan, 3000);
}
