/* The buffer is linear: lines are appended at off+len and written from off; it is moved
 * back to the start only when an append would run past the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "linesink.h"

int linesink_open(struct linesink *s, int fd, size_t cap)
{
    struct stat st;
    char *buf = malloc(cap);
    if (!buf || fstat(fd, &st) != 0) {
        free(buf);
        return -1;
    }
    memset(s, 0, sizeof *s);
    s->fd_flags = -2;
    s->is_sock = S_ISSOCK(st.st_mode);
    s->fd = fd;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        int nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (nfd >= 0) {
            s->fd = nfd;
            s->own_fd = true;
        } else {
            /* no /proc: the shared description goes non-blocking, and back at the end */
            s->fd_flags = fcntl(fd, F_GETFL);
            if (s->fd_flags < 0 || fcntl(fd, F_SETFL, s->fd_flags | O_NONBLOCK) != 0) {
                free(buf);
                return -1;
            }
        }
    }
    s->buf = buf;
    s->cap = cap;
    s->on = true;
    return 0;
}

static uint64_t lines_in(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
        k++;
    return k;
}

size_t linesink_flush(struct linesink *s)
{
    while (s->on && s->len > 0 && !s->broken) {
        ssize_t w = s->is_sock ? send(s->fd, s->buf + s->off, s->len, MSG_DONTWAIT | MSG_NOSIGNAL)
                               : write(s->fd, s->buf + s->off, s->len);
        if (w > 0) {
            s->off += (size_t)w;
            s->len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EPIPE: the reader is gone; ENOSPC, EIO...: nothing more will be written */
        if (w < 0 && errno == EPIPE)
            s->broken = true;
        s->dropped += lines_in(s->buf + s->off, s->len);
        s->off = s->len = 0;
        break;
    }
    if (s->len == 0)
        s->off = 0;
    return s->len;
}

void linesink_put(struct linesink *s, const char *p, size_t n)
{
    if (!s->on || s->broken || s->len + n > s->cap) {
        s->dropped += lines_in(p, n) ? lines_in(p, n) : 1;
        return;
    }
    if (s->off + s->len + n > s->cap) {
        memmove(s->buf, s->buf + s->off, s->len);
        s->off = 0;
    }
    memcpy(s->buf + s->off + s->len, p, n);
    s->len += n;
}

static ssize_t cookie_write(void *c, const char *p, size_t n)
{
    linesink_put(c, p, n);
    linesink_flush(c);
    return (ssize_t)n;   /* taken, or dropped and counted: never an error for stdio */
}

FILE *linesink_stdio(struct linesink *s)
{
    cookie_io_functions_t io = { .write = cookie_write };
    FILE *f = fopencookie(s, "w", io);
    if (f)
        setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

void linesink_close(struct linesink *s)
{
    if (!s->on)
        return;
    linesink_flush(s);
    /* what is left was never read: a line begun is a line lost too */
    s->dropped += lines_in(s->buf + s->off, s->len);
    if (s->fd_flags != -2)
        (void)fcntl(s->fd, F_SETFL, s->fd_flags);
    if (s->own_fd)
        close(s->fd);
    s->own_fd = false;
    s->on = false;
    free(s->buf);
    s->buf = NULL;
    s->len = s->off = 0;
}

FILE *linesink_take_stdout(struct linesink *s, size_t cap)
{
    fflush(stdout);
    if (linesink_open(s, STDOUT_FILENO, cap) != 0)
        return NULL;
    FILE *f = linesink_stdio(s);
    if (!f) {
        linesink_close(s);
        return NULL;
    }
    FILE *orig = stdout;
    stdout = f;   /* glibc's stdout is a plain variable: printf goes through s from here */
    return orig;
}

void linesink_give_stdout(struct linesink *s, FILE *orig, const char *who)
{
    if (!orig)
        return;
    fflush(stdout);
    fclose(stdout);
    stdout = orig;
    linesink_close(s);
    if (s->dropped)
        fprintf(stderr, "%s: lines dropped (slow reader): %llu\n", who,
                (unsigned long long)s->dropped);
}
