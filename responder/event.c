/* Event lines: text for people, JSON Lines for scripts; the same fields in both. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "addrset.h"
#include "event.h"
#include "pkt.h"

#define EV_NAME(id, name, sc, desc) name,
#define EV_SC(id, name, sc, desc) sc,
#define EV_DESC(id, name, sc, desc) desc,
static const char *const names[] = { EVENT_LIST(EV_NAME) };
static const int scenarios[] = { EVENT_LIST(EV_SC) };
static const char *const descs[] = { EVENT_LIST(EV_DESC) };

const char *ev_name(enum ev_kind k) { return (unsigned)k < EV__N ? names[k] : "?"; }
int ev_scenario(enum ev_kind k) { return (unsigned)k < EV__N ? scenarios[k] : 0; }

/* One event's line, built in place: never longer than this (the fields are bounded). */
struct line {
    char   s[512];
    size_t n;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->s)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n = l->n + (size_t)k < sizeof l->s ? l->n + (size_t)k : sizeof l->s - 1;
}

static const char *src_str(const struct ev *e, char *buf)
{
    return e->v6 ? ip6_str(e->src6, buf) : ip4_str(e->src, buf);
}

static const char *dst_str(const struct ev *e, char *buf)
{
    return e->v6 ? ip6_str(e->dst6, buf) : ip4_str(e->dst, buf);
}

static void emit_json(struct line *out, const struct ev *e, const struct timeval *tv)
{
    char a[48], b[48], fi[16], fo[16];
    put(out, "{\"ts\":%lld.%06ld,\"event\":\"%s\",\"mode\":\"%s\",\"src\":\"%s\",\"sport\":%u,"
            "\"dst\":\"%s\",\"dport\":%u",
            (long long)tv->tv_sec, (long)tv->tv_usec, names[e->kind], e->mode,
            src_str(e, a), e->sport, dst_str(e, b), e->dport);
    if (e->in_flags >= 0)
        put(out, ",\"in\":\"%s\",\"in_len\":%u", tcp_flags_str((uint8_t)e->in_flags, fi), e->in_len);
    if (e->out_flags >= 0)
        put(out, ",\"out\":\"%s\"", tcp_flags_str((uint8_t)e->out_flags, fo));
    if (e->delay_ms >= 0)
        put(out, ",\"delay_ms\":%.3f", e->delay_ms);
    if (e->unread >= 0)
        put(out, ",\"unread\":%lld", (long long)e->unread);
    if (e->rtx >= 0)
        put(out, ",\"rtx\":%d", e->rtx);
    if (scenarios[e->kind])
        put(out, ",\"scenario\":%d", scenarios[e->kind]);
    put(out, "}\n");
}

static void emit_text(struct line *out, const struct ev *e, const struct timeval *tv)
{
    char a[48], b[48], fi[16], fo[16];
    struct tm tm;
    localtime_r(&tv->tv_sec, &tm);
    /* IPv6 as tcpdump writes it: ADDR.PORT, where a colon would be ambiguous */
    char sep = e->v6 ? '.' : ':';
    put(out, "%02d:%02d:%02d.%06ld %-22s %-11s %s%c%u > %s%c%u", tm.tm_hour, tm.tm_min,
            tm.tm_sec, (long)tv->tv_usec, names[e->kind], e->mode, src_str(e, a), sep, e->sport,
            dst_str(e, b), sep, e->dport);
    put(out, " in=%s", e->in_flags >= 0 ? tcp_flags_str((uint8_t)e->in_flags, fi) : "-");
    if (e->in_len)
        put(out, "+%u", e->in_len);
    put(out, " out=%s", e->out_flags >= 0 ? tcp_flags_str((uint8_t)e->out_flags, fo) : "-");
    if (e->delay_ms >= 0)
        put(out, " delay=%.3fms", e->delay_ms);
    if (e->unread >= 0)
        put(out, " unread=%lld", (long long)e->unread);
    if (e->rtx >= 0)
        put(out, " rtx=%d", e->rtx);
    if (scenarios[e->kind])
        put(out, "  [case %d: %s]", scenarios[e->kind], descs[e->kind]);
    put(out, "\n");
}

void ev_emit(struct evout *o, const struct ev *e)
{
    o->counts[e->kind]++;
    o->total++;
    if (o->quiet || !o->out)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct line l = { .n = 0 };
    if (o->json)
        emit_json(&l, e, &tv);
    else
        emit_text(&l, e, &tv);
    if (o->sink.on) {
        linesink_put(&o->sink, l.s, l.n);
        return;
    }
    fwrite(l.s, 1, l.n, o->out);
    fflush(o->out);
}

void ev_print_counts(const struct evout *o, FILE *to)
{
    fputs("rstcraft: counts:", to);
    int any = 0;
    for (int k = 0; k < EV__N; k++)
        if (o->counts[k]) {
            fprintf(to, " %s=%llu", names[k], (unsigned long long)o->counts[k]);
            any = 1;
        }
    fputs(any ? "\n" : " none\n", to);
}
