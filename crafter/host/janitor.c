/* The janitor (include/janitor.h): the one way rstcraft cleans up after a SIGKILL. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "janitor.h"

void close_from(int lo)
{
    if (close_range((unsigned)lo, ~0u, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = lo; fd < (max > 0 ? max : 65536); fd++)
        close((int)fd);
}

static void janitor(int rfd, void (*cleanup)(void *), void *arg) __attribute__((noreturn));
static void janitor(int rfd, void (*cleanup)(void *), void *arg)
{
    /* its own session: a signal to our process group (Ctrl-C, kill -9 -PGID) must not take
     * the janitor down before the process it cleans up after */
    setsid();
    prctl(PR_SET_NAME, "rstcraft-janitor", 0, 0, 0);
    struct sigaction ign = { .sa_handler = SIG_IGN }, dfl = { .sa_handler = SIG_DFL };
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGTERM, &ign, NULL);
    sigaction(SIGHUP, &ign, NULL);
    sigaction(SIGQUIT, &ign, NULL);
    sigaction(SIGPIPE, &ign, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* nothing but the pipe: no capture sockets, no pcap file, no caller's stdout */
    if (rfd != 3 && dup2(rfd, 3) < 0)
        _exit(1);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
    }
    close_from(4);
    if (chdir("/") != 0) {
        /* harmless: only keeps a directory busy */
    }
    char c;
    for (;;) {
        ssize_t r = read(3, &c, 1);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
    }
    cleanup(arg);
    _exit(0);
}

int janitor_start(struct janitor *j, void (*cleanup)(void *), void *arg, char *err,
                  size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);   /* buffered output must not be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0)
        janitor(p[0], cleanup, arg);
    close(p[0]);
    j->fd = p[1];   /* CLOEXEC: programs we exec must not hold it */
    j->pid = pid;
    return 0;
}

void janitor_finish(struct janitor *j, int wait_ms)
{
    if (j->fd >= 0) {
        close(j->fd);
        j->fd = -1;
    }
    if (j->pid > 0) {
        /* waiting makes "cleaned up" true on return, but a stuck cleanup must not hang
         * our exit */
        for (int i = 0; i <= wait_ms / 10; i++) {
            pid_t r = waitpid(j->pid, NULL, WNOHANG);
            if (r == j->pid || (r < 0 && errno != EINTR))
                break;
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
        j->pid = -1;
    }
}
