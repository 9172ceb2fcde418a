/* The reply's bytes, read once from the command line or the rules file: a string with C
 * escapes, a file, or a minimal HTTP/1.1 response. Every flow of the rule shares them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mode.h"
#include "reply.h"

static struct reply_body *body_new(size_t len)
{
    struct reply_body *b = malloc(sizeof *b + (len ? len : 1));
    if (b) {
        b->next = NULL;
        b->len = (uint32_t)len;
    }
    return b;
}

void reply_body_free(struct reply_body *b)
{
    free(b);
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \r \n \t \s (space: a rules line splits at spaces) \\ \xHH; -1 at a bad escape */
static long unescape(const char *s, uint8_t *out)
{
    long n = 0;
    while (*s) {
        char c = *s++;
        if (c != '\\') {
            out[n++] = (uint8_t)c;
            continue;
        }
        switch (*s++) {
        case 'r': out[n++] = '\r'; break;
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 's': out[n++] = ' '; break;
        case '\\': out[n++] = '\\'; break;
        case 'x': {
            int hi = hexdigit(s[0]), lo = hi < 0 ? -1 : hexdigit(s[1]);
            if (lo < 0)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | lo);
            s += 2;
            break;
        }
        default:
            return -1;
        }
    }
    return n;
}

static struct reply_body *from_file(const char *path, const char *what, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    struct reply_body *b = NULL;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %.200s: %s", what, path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)REPLY_MAX_BYTES) {
        snprintf(err, errlen, "%s: %.200s: expected a regular file of at most %u bytes", what,
                 path, REPLY_MAX_BYTES);
        goto out;
    }
    if (!(b = body_new((size_t)st.st_size))) {
        snprintf(err, errlen, "%s: %.200s: out of memory", what, path);
        goto out;
    }
    size_t got = 0;
    while (got < b->len) {
        ssize_t r = read(fd, b->data + got, b->len - got);
        if (r <= 0) {
            snprintf(err, errlen, "%s: %.200s: %s", what, path, r ? strerror(errno) : "shorter than its size");
            free(b);
            b = NULL;
            goto out;
        }
        got += (size_t)r;
    }
out:
    if (fd >= 0)
        close(fd);
    return b;
}

int reply_set(struct reply_params *p, const char *spec, const char *what, char *err, size_t errlen)
{
    if (p->kind != REPLY_NONE) {
        snprintf(err, errlen, "%s: given twice (one reply per rule)", what);
        return -1;
    }
    if (strcmp(spec, "http") == 0) {
        p->kind = REPLY_HTTP;
        return 0;
    }
    struct reply_body *b;
    if (spec[0] == '@') {
        if (!(b = from_file(spec + 1, what, err, errlen)))
            return -1;
    } else {
        size_t n = strlen(spec);
        long len;
        if (n == 0 || n > REPLY_MAX_BYTES || !(b = body_new(n))) {
            snprintf(err, errlen, "%s: expected STRING, @FILE or http, got '%.64s'", what, spec);
            return -1;
        }
        if ((len = unescape(spec, b->data)) < 0) {
            snprintf(err, errlen, "%s: bad escape in '%.64s' (\\r \\n \\t \\s \\\\ \\xHH)", what, spec);
            free(b);
            return -1;
        }
        b->len = (uint32_t)len;
    }
    p->kind = REPLY_BYTES;
    p->body = b;
    return 0;
}

int reply_resolve(struct reply_params *p, char *err, size_t errlen)
{
    if (p->kind != REPLY_HTTP && p->size) {
        snprintf(err, errlen, "reply-size is the body of --reply http (reply=http) only");
        return -1;
    }
    if (p->kind == REPLY_NONE && (p->reset_after || p->delay_ms || p->rate || p->segments)) {
        snprintf(err, errlen, "reset-after, reply-delay, reply-rate and reply-segments "
                 "shape a reply: give --reply (reply=) too");
        return -1;
    }
    if (p->kind != REPLY_HTTP || p->body)
        return 0;
    /* a keep-alive connection when the server keeps it (--idle-close): the client may reuse
     * it; otherwise the server closes after the response and says so */
    char head[160];
    int h = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %u\r\nConnection: %s\r\n\r\n", (unsigned)p->size,
                     p->idle_close_s ? "keep-alive" : "close");
    struct reply_body *b = h > 0 ? body_new((size_t)h + p->size) : NULL;
    if (!b) {
        snprintf(err, errlen, "reply http: out of memory for %u bytes", (unsigned)p->size);
        return -1;
    }
    memcpy(b->data, head, (size_t)h);
    /* a body that shows where a cut fell: 64-byte lines, a..z in turn, each ending in \n */
    for (uint32_t i = 0; i < p->size; i += 64) {
        uint32_t n = p->size - i < 64 ? p->size - i : 64;
        memset(b->data + h + i, 'a' + (int)((i / 64) % 26), n);
        if (n == 64)
            b->data[h + i + 63] = '\n';
    }
    p->body = b;
    return 0;
}

/* --- the reply's parameters, declared once for every mode that replies --- */

static int text_set(struct mode_params *p, const char *val, const char *what, char *err,
                    size_t errlen)
{
    return reply_set(&p->reply, val, what, err, errlen);
}

static void text_copy(struct mode_params *dst, const struct mode_params *src)
{
    dst->reply.body = src->reply.body;
    dst->reply.kind = src->reply.kind;
}

/* The numbers given, into the reply; then the http body. */
static int text_finish(struct mode_params *p, char *err, size_t errlen)
{
    p->reply.size = mode_value(p, &reply_param_size);
    p->reply.reset_after = mode_value(p, &reply_param_reset_after);
    p->reply.delay_ms = mode_value(p, &reply_param_delay);
    p->reply.rate = mode_value(p, &reply_param_rate);
    p->reply.segments = mode_value(p, &reply_param_segments);
    p->reply.idle_close_s = mode_value(p, &reply_param_idle_close);
    return reply_resolve(&p->reply, err, errlen);
}

#define REPLY_SECTION "Reply options (open, delay: each request; unread, after-close: before the close)"

const struct mode_param reply_param_text = {
    .name = "reply", .metavar = "STRING|@FILE|http",
    .unit = "reply=STRING, reply=@FILE or reply=http",
    .help = "write these bytes after the application's read (escapes \\r \\n \\t \\s \\\\ "
            "\\xHH); http: a 200 with Content-Length",
    .section = REPLY_SECTION, .set = text_set, .copy = text_copy, .finish = text_finish,
};
const struct mode_param reply_param_size = {
    .name = "reply-size", .metavar = "N", .unit = "bytes", .lo = 0, .hi = REPLY_MAX_BYTES,
    .help = "http: body bytes", .section = REPLY_SECTION,
};
const struct mode_param reply_param_reset_after = {
    .name = "reset-after", .metavar = "BYTES", .unit = "bytes", .lo = 1, .hi = REPLY_MAX_BYTES,
    .help = "RST|ACK after BYTES of the reply: a crash mid-transfer", .section = REPLY_SECTION,
};
const struct mode_param reply_param_delay = {
    .name = "reply-delay", .metavar = "MS", .unit = "milliseconds", .lo = 0, .hi = 600000,
    .help = "wait MS before the reply", .section = REPLY_SECTION,
};
const struct mode_param reply_param_rate = {
    .name = "reply-rate", .metavar = "BYTES/S", .unit = "bytes a second", .lo = 1, .hi = 1000000000,
    .help = "pace the reply: segments of BYTES/10, 10 a second", .section = REPLY_SECTION,
};
const struct mode_param reply_param_segments = {
    .name = "reply-segments", .metavar = "N", .unit = "a segment count", .lo = 1, .hi = 65535,
    .help = "split the reply into N segments", .section = REPLY_SECTION,
};
const struct mode_param reply_param_idle_close = {
    .name = "idle-close", .metavar = "S", .unit = "seconds", .lo = 1, .hi = 86400,
    .help = "keep the connection after a reply; after S quiet seconds forget it silently: "
            "its next segment draws RST", .section = REPLY_SECTION,
};
