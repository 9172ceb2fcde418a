/* Running nft(8): one-shot commands and scripts, and a long-lived `nft -i` that takes one
 * command a line, for callers that change a table while they run (a fork and exec of nft
 * per change costs milliseconds; a line down a pipe, microseconds). The kernel guard
 * (responder/kguard.c) and censor --drop use it. */
#ifndef RSTCRAFT_NFT_H
#define RSTCRAFT_NFT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Find nft (the sbin directories, then PATH); its path stays for nft_run. */
bool nft_find(void);
const char *nft_path(void);
/* Run nft with args (NULL-terminated, at most 6); script (if any) goes to its stdin.
 * stdout and stderr go to out_fd (or /dev/null when -1). Returns the exit status, or -1
 * when it could not run. */
int  nft_run(const char *const *args, const char *script, size_t len, int out_fd);
/* nft's own complaint, first line, from the file (a memfd) that caught its output. */
void nft_complaint(int fd, char *out, size_t outlen);

/* `nft -i` reading commands from a pipe; its error messages go to our standard error. */
struct nft_shell {
    pid_t pid;
    int   fd;      /* write end of its stdin; -1 when none */
};
#define NFT_SHELL_NONE { -1, -1 }
int  nft_shell_open(struct nft_shell *sh, char *err, size_t errlen);
/* One command (without newline). Returns 0, or -1 when nft has gone. Never SIGPIPE. */
int  nft_shell_cmd(struct nft_shell *sh, const char *cmd);
/* Close its stdin and wait for it (it applies what it read, then exits). */
void nft_shell_close(struct nft_shell *sh);
#endif
