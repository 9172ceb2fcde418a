/* A janitor: a process forked to clean up after us once we are gone, however we go
 * (exit, signal, SIGKILL). It sits in a session of its own with its signals ignored,
 * holding nothing but the read end of a pipe; when the last write end closes, it runs
 * its cleanup and exits. Used by the kernel guard (an nft table) and by `local` (a veth). */
#ifndef RSTCRAFT_JANITOR_H
#define RSTCRAFT_JANITOR_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct janitor {
    int   fd;     /* write end of the pipe (close-on-exec); -1 when none */
    pid_t pid;
};
#define JANITOR_NONE { -1, -1 }

/* Fork the janitor; cleanup(arg) runs in it (stdio on /dev/null) when the pipe closes.
 * 0, or -1 with a message in err. A child forked later inherits the write end and keeps
 * the janitor waiting: close j->fd in it. */
int  janitor_start(struct janitor *j, void (*cleanup)(void *), void *arg, char *err,
                   size_t errlen);
/* Close our end and wait up to wait_ms for the cleanup to finish. */
void janitor_finish(struct janitor *j, int wait_ms);
/* Close descriptors from lo up (the janitor's, and children that must hold nothing). */
void close_from(int lo);
#endif
