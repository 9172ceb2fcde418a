/* Running nft(8) (include/nft.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "janitor.h"
#include "nft.h"

static char path_[256];

const char *nft_path(void)
{
    return path_;
}

bool nft_find(void)
{
    if (path_[0])
        return true;
    static const char *const fixed[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/local/sbin/nft" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (access(fixed[i], X_OK) == 0) {
            snprintf(path_, sizeof path_, "%s", fixed[i]);
            return true;
        }
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && len + 5 < sizeof path_) {
            snprintf(path_, sizeof path_, "%.*s/nft", (int)len, path);
            if (access(path_, X_OK) == 0)
                return true;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    path_[0] = '\0';
    return false;
}

/* In the child: stdin from in_fd, stdout and stderr to out_fd and err_fd, nothing else
 * held open (a janitor's pipe must not be kept alive by nft), then nft with args. */
static void exec_nft(int in_fd, int out_fd, int err_fd, const char *const *args)
    __attribute__((noreturn));
static void exec_nft(int in_fd, int out_fd, int err_fd, const char *const *args)
{
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(127);
    close_from(3);
    char *argv[8];
    size_t k = 0;
    argv[k++] = path_;
    for (size_t i = 0; args[i] && k < 7; i++)
        argv[k++] = (char *)(uintptr_t)args[i];
    argv[k] = NULL;
    execv(path_, argv);
    _exit(127);
}

/* Write all of buf; false when the reader has gone (EPIPE is returned, not raised). */
static bool write_all(int fd, const char *buf, size_t len)
{
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;
    sigaction(SIGPIPE, &ign, &old);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    sigaction(SIGPIPE, &old, NULL);
    return off == len;
}

int nft_run(const char *const *args, const char *script, size_t len, int out_fd)
{
    if (!nft_find())
        return -1;
    int in[2] = { -1, -1 };
    if (script && pipe2(in, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        if (script) {
            close(in[0]);
            close(in[1]);
        }
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        int sink = out_fd >= 0 ? out_fd : devnull;
        exec_nft(script ? in[0] : devnull, sink, sink, args);
    }
    if (script) {
        close(in[0]);
        /* nft may exit before reading everything (a syntax error): no SIGPIPE for that */
        write_all(in[1], script, len);
        close(in[1]);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void nft_complaint(int fd, char *out, size_t outlen)
{
    char buf[512];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    buf[r > 0 ? r : 0] = '\0';
    /* nft -f - prints "/dev/stdin:N:M-K: Error: ..." then the offending line */
    const char *e = strstr(buf, "Error:");
    const char *line = e ? e : buf;
    size_t n = strcspn(line, "\r\n");
    if (n == 0) {
        line = "(no message)";
        n = strlen(line);
    }
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, line, n);
    out[n] = '\0';
}

int nft_shell_open(struct nft_shell *sh, char *err, size_t errlen)
{
    sh->pid = -1;
    sh->fd = -1;
    if (!nft_find()) {
        snprintf(err, errlen, "nft not found: install nftables");
        return -1;
    }
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        /* its own process group: a Ctrl-C meant for us must not end it before we have
         * told it what to remove */
        setpgid(0, 0);
        static const char *const args[] = { "-i", NULL };
        exec_nft(in[0], devnull, 2, args);
    }
    close(in[0]);
    sh->pid = pid;
    sh->fd = in[1];
    return 0;
}

int nft_shell_cmd(struct nft_shell *sh, const char *cmd)
{
    if (sh->fd < 0)
        return -1;
    char line[1024];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    if (n < 0 || (size_t)n >= sizeof line || !write_all(sh->fd, line, (size_t)n))
        return -1;
    return 0;
}

void nft_shell_close(struct nft_shell *sh)
{
    if (sh->fd >= 0) {
        close(sh->fd);
        sh->fd = -1;
    }
    if (sh->pid > 0) {
        while (waitpid(sh->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        sh->pid = -1;
    }
}
