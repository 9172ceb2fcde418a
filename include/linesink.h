/* Lines for a reader that may not keep up (stdout into a pipe, a FIFO, a paused terminal):
 * a bounded buffer written without blocking whenever the descriptor takes it. When the
 * reader falls behind, whole writes that do not fit are dropped and their lines counted;
 * the program that writes never waits for the reader. */
#ifndef RSTCRAFT_LINESINK_H
#define RSTCRAFT_LINESINK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct linesink {
    bool     on;              /* opened */
    int      fd;              /* written to, non-blocking */
    int      fd_flags;        /* the caller's descriptor's flags before, -2: not changed */
    bool     own_fd;          /* fd was opened again for us: closed at the end */
    bool     is_sock;
    char    *buf;
    size_t   cap, off, len;   /* buf[off, off+len) is waiting */
    uint64_t dropped;         /* lines not written: the reader was too slow or gone */
    bool     broken;          /* the reader went away (EPIPE) */
};

/* Lines from here on go to fd through a buffer of cap bytes: a pipe, FIFO or terminal is
 * opened again (its own open file description, non-blocking, so that the shell's stays as
 * it was), a socket is sent to with MSG_DONTWAIT, a regular file written as it is.
 * Returns 0 or -1 (then nothing changed). */
int    linesink_open(struct linesink *s, int fd, size_t cap);
/* Queue n bytes (whole lines; written at the next linesink_flush); when they do not fit
 * they are dropped and counted. */
void   linesink_put(struct linesink *s, const char *p, size_t n);
/* Write what the descriptor takes now. Returns the bytes still waiting. */
size_t linesink_flush(struct linesink *s);
/* A line-buffered stdio stream that writes through s, each line queued and flushed (for
 * printf-style callers). */
FILE  *linesink_stdio(struct linesink *s);
/* For commands that print with printf: stdout goes through s (cap bytes) until
 * linesink_give_stdout, which puts the original back and says on stderr how many lines
 * were dropped ("WHO: lines dropped (slow reader): N"). Returns the original stream, or
 * NULL when stdout stays as it was. */
FILE  *linesink_take_stdout(struct linesink *s, size_t cap);
void   linesink_give_stdout(struct linesink *s, FILE *orig, const char *who);
/* Last write, then what is still waiting counts as dropped; the descriptor is put back. */
void   linesink_close(struct linesink *s);
#endif
