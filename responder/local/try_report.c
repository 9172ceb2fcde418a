/* `try`'s reports: a table for people, JSON Lines for scripts, JUnit XML for CI. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "try.h"

#define ROW "%-18s %-34s %5s %7s  %-8s %s\n"

void try_table_head(FILE *f)
{
    fprintf(f, ROW, "CASE", "SERVER (on the wire)", "EXIT", "TIME", "VERDICT",
            "CLIENT (last line of its stderr)");
}

static const char *exit_str(const struct try_result *r, char *buf, size_t len)
{
    if (!r->ran)
        snprintf(buf, len, "-");
    else if (r->hang)
        snprintf(buf, len, "hang");
    else if (r->signal)
        snprintf(buf, len, "sig%d", r->signal);
    else
        snprintf(buf, len, "%d", r->exit_code);
    return buf;
}

static const char *verdict_str(const struct try_result *r, char *buf, size_t len)
{
    if (r->verdict < 0)
        snprintf(buf, len, "-");
    else if (r->verdict)
        snprintf(buf, len, "ok");
    else
        snprintf(buf, len, "FAILED (%s)", r->why);
    return buf;
}

/* What the client said: its stderr's last line, else its stdout's, else why it did not run. */
static const char *client_said(const struct try_result *r)
{
    if (!r->ran)
        return r->setup_err;
    if (r->hang)
        return r->err_last[0] ? r->err_last : "(hanging: killed at --timeout)";
    return r->err_last[0] ? r->err_last : r->out_last;
}

/* cut to the column, marked, so the table stays a table */
static void cut(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n < len) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, len - 4);
    memcpy(dst + len - 4, "...", 4);
}

void try_table_row(FILE *f, const struct try_result *r)
{
    char ex[16], t[16], v[300], ev[35];
    snprintf(t, sizeof t, "%.2fs", r->secs);
    cut(ev, sizeof ev, r->events[0] ? r->events : "(no event)");
    fprintf(f, ROW, r->tc->name, ev, exit_str(r, ex, sizeof ex), r->ran ? t : "-",
            verdict_str(r, v, sizeof v), client_said(r));
}

void try_json_row(FILE *f, const struct try_result *r)
{
    fputs("{\"case\":", f);
    cli_json_str(f, r->tc->name);
    fputs(",\"server_does\":", f);
    cli_json_str(f, r->tc->what);
    fprintf(f, ",\"host\":\"%s\",\"port\":%u,\"server_events\":", r->host, r->port);
    cli_json_str(f, r->events);
    fprintf(f, ",\"ran\":%s,\"hang\":%s", r->ran ? "true" : "false", r->hang ? "true" : "false");
    if (r->ran && !r->hang && !r->signal)
        fprintf(f, ",\"exit\":%d", r->exit_code);
    else
        fputs(",\"exit\":null", f);
    fprintf(f, ",\"signal\":%d,\"time_s\":%.3f,\"stderr_last\":", r->signal, r->secs);
    cli_json_str(f, r->err_last);
    fputs(",\"stdout_last\":", f);
    cli_json_str(f, r->out_last);
    if (!r->ran) {
        fputs(",\"error\":", f);
        cli_json_str(f, r->setup_err);
    }
    fprintf(f, ",\"verdict\":%s", r->verdict < 0 ? "null" : r->verdict ? "\"ok\"" : "\"failed\"");
    if (r->verdict == 0) {
        fputs(",\"failed\":", f);
        cli_json_str(f, r->why);
    }
    fputs("}\n", f);
}

static void xml_str(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<':  fputs("&lt;", f); break;
        case '>':  fputs("&gt;", f); break;
        case '&':  fputs("&amp;", f); break;
        case '"':  fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* XML 1.0 allows no other control character, even escaped */
            fputc(*p < 0x20 && *p != '\t' && *p != '\n' ? '?' : *p, f);
        }
    }
}

/* One testsuite; a case fails when an expectation failed, and is an error when it could
 * not be run or its client hung without an expectation that it would. */
int try_junit(const char *path, const struct try_result *r, size_t n, double total_secs,
              char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "--junit %s: %s", path, strerror(errno));
        return -1;
    }
    size_t failures = 0, errors = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].verdict == 0)
            failures++;
        else if (!r[i].ran || (r[i].hang && r[i].verdict < 0))
            errors++;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuite name=\"rstcraft try\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
            "time=\"%.3f\">\n", n, failures, errors, total_secs);
    for (size_t i = 0; i < n; i++) {
        char ex[16];
        fprintf(f, "  <testcase classname=\"rstcraft.try\" name=\"");
        xml_str(f, r[i].tc->name);
        fprintf(f, "\" time=\"%.3f\">\n", r[i].secs);
        if (r[i].verdict == 0) {
            fputs("    <failure message=\"expected ", f);
            xml_str(f, r[i].why);
            fprintf(f, "; exit %s after %.2fs\"/>\n", exit_str(&r[i], ex, sizeof ex), r[i].secs);
        } else if (!r[i].ran) {
            fputs("    <error message=\"", f);
            xml_str(f, r[i].setup_err);
            fputs("\"/>\n", f);
        } else if (r[i].hang && r[i].verdict < 0) {
            fprintf(f, "    <error message=\"the client hung: killed after %.2fs\"/>\n", r[i].secs);
        }
        fputs("    <system-out>server: ", f);
        xml_str(f, r[i].tc->what);
        fputs("\nwire: ", f);
        xml_str(f, r[i].events);
        fprintf(f, "\nclient: exit %s, %.3fs\n", exit_str(&r[i], ex, sizeof ex), r[i].secs);
        fputs("</system-out>\n    <system-err>", f);
        xml_str(f, r[i].err_last);
        fputs("</system-err>\n  </testcase>\n", f);
    }
    fputs("</testsuite>\n", f);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "--junit %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
