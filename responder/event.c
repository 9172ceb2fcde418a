/* Event lines: text for people, JSON Lines for scripts; the same fields in both. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
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

static void emit_json(struct line *out, const struct ev *e, const struct timeval *tv)
{
    char a[16], b[16], fi[16], fo[16];
    put(out, "{\"ts\":%lld.%06ld,\"event\":\"%s\",\"mode\":\"%s\",\"src\":\"%s\",\"sport\":%u,"
            "\"dst\":\"%s\",\"dport\":%u",
            (long long)tv->tv_sec, (long)tv->tv_usec, names[e->kind], e->mode,
            ip4_str(e->src, a), e->sport, ip4_str(e->dst, b), e->dport);
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
    char a[16], b[16], fi[16], fo[16];
    struct tm tm;
    localtime_r(&tv->tv_sec, &tm);
    put(out, "%02d:%02d:%02d.%06ld %-22s %-11s %s:%u > %s:%u", tm.tm_hour, tm.tm_min,
            tm.tm_sec, (long)tv->tv_usec, names[e->kind], e->mode, ip4_str(e->src, a), e->sport,
            ip4_str(e->dst, b), e->dport);
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
    if (!o->sink) {
        fwrite(l.s, 1, l.n, o->out);
        fflush(o->out);
        return;
    }
    if (o->broken || o->len + l.n > o->cap) {
        o->dropped++;
        return;
    }
    if (o->off + o->len + l.n > o->cap) {
        memmove(o->buf, o->buf + o->off, o->len);
        o->off = 0;
    }
    memcpy(o->buf + o->off + o->len, l.s, l.n);
    o->len += l.n;
}

int ev_sink_open(struct evout *o, int fd, size_t cap)
{
    struct stat st;
    char *buf = malloc(cap);
    if (!buf || fstat(fd, &st) != 0) {
        free(buf);
        return -1;
    }
    o->fd_flags = -2;
    o->is_sock = S_ISSOCK(st.st_mode);
    o->fd = fd;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        int nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (nfd >= 0) {
            o->fd = nfd;
            o->own_fd = true;
        } else {
            /* no /proc: the shared description goes non-blocking, and back at the end */
            o->fd_flags = fcntl(fd, F_GETFL);
            if (o->fd_flags < 0 || fcntl(fd, F_SETFL, o->fd_flags | O_NONBLOCK) != 0) {
                o->fd_flags = -2;
                free(buf);
                return -1;
            }
        }
    }
    o->buf = buf;
    o->cap = cap;
    o->off = o->len = 0;
    o->sink = true;
    return 0;
}

static uint64_t lines_in(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
        k++;
    return k;
}

size_t ev_flush(struct evout *o)
{
    while (o->sink && o->len > 0 && !o->broken) {
        ssize_t w = o->is_sock ? send(o->fd, o->buf + o->off, o->len, MSG_DONTWAIT | MSG_NOSIGNAL)
                               : write(o->fd, o->buf + o->off, o->len);
        if (w > 0) {
            o->off += (size_t)w;
            o->len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EPIPE: the reader is gone; ENOSPC, EIO...: nothing more will be written */
        if (w < 0 && errno == EPIPE)
            o->broken = true;
        o->dropped += lines_in(o->buf + o->off, o->len);
        o->off = o->len = 0;
        break;
    }
    if (o->len == 0)
        o->off = 0;
    return o->len;
}

void ev_sink_close(struct evout *o)
{
    if (!o->sink)
        return;
    ev_flush(o);
    /* what is left was never read: a line begun is a line lost too */
    o->dropped += lines_in(o->buf + o->off, o->len);
    if (o->fd_flags != -2)
        (void)fcntl(o->fd, F_SETFL, o->fd_flags);
    if (o->own_fd)
        close(o->fd);
    o->own_fd = false;
    o->sink = false;
    free(o->buf);
    o->buf = NULL;
    o->len = o->off = 0;
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
