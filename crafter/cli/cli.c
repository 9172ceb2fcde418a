/* Shared option-parsing messages and stop signals (include/cli.h). */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* The option's name as typed, for messages about it. */
static void opt_name(char *buf, size_t len, char **argv, int idx, int opt)
{
    const char *a = idx > 0 ? argv[idx - 1] : NULL;
    if (a && strncmp(a, "--", 2) == 0)
        snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
    else if (opt > 0 && opt < 256)
        snprintf(buf, len, "-%c", opt);
    else
        snprintf(buf, len, "%.64s", a ? a : "?");
}

/* getopt_long takes any unique prefix of a long option; say so when one was not unique.
 * Rewrites buf to "'--re' (--rules, --read, --read-wait)". */
static int ambiguous(const struct option *longopts, const char *prefix, char *buf, size_t len)
{
    char list[256] = "";
    size_t plen = strlen(prefix), used = 0;
    int n = 0;
    for (const struct option *o = longopts; o->name && used < sizeof list; o++) {
        if (plen == 0 || strncmp(o->name, prefix, plen) != 0)
            continue;
        int w = snprintf(list + used, sizeof list - used, "%s--%s", n ? ", " : "", o->name);
        if (w < 0)
            break;
        used += (size_t)w;
        n++;
    }
    if (n < 2)
        return 0;
    char opt[80];
    snprintf(opt, sizeof opt, "%.64s", buf);
    snprintf(buf, len, "'%s' (%.200s)", opt, list);
    return 1;
}

int cli_getopt_error(int c, char **argv, const struct option *longopts, const char *cmd,
                     char *err, size_t errlen)
{
    char name[300];
    opt_name(name, sizeof name, argv, optind, optopt);
    if (c == ':')
        snprintf(err, errlen, "%s needs an argument (see %s --help)", name, cmd);
    else if (optopt >= 256 || (optopt && strncmp(name, "--", 2) == 0))
        snprintf(err, errlen, "%s takes no argument", name);
    else if (strncmp(name, "--", 2) == 0 && ambiguous(longopts, name + 2, name, sizeof name))
        snprintf(err, errlen, "ambiguous option %s", name);
    else
        snprintf(err, errlen, "unknown option '%s' (see %s --help)", name, cmd);
    return -1;
}

int cli_ifname(const char *s, char *err, size_t errlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strpbrk(s, "/: \t\n\r\v\f")) {
        snprintf(err, errlen, "-i: bad interface name '%.64s'", s);
        return -1;
    }
    return 0;
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

const char *cli_endpoint(char *buf, bool v6, const uint8_t *addr, uint16_t port)
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, addr, a, sizeof a);
    snprintf(buf, CLI_EPLEN, v6 ? "[%s]:%u" : "%s:%u", a, port);
    return buf;
}

void cli_on_stop(void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}
