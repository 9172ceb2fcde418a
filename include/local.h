/* `rstcraft local` and `rstcraft try`: the responder on the caller's own machine. A veth
 * pair joins the caller's network namespace to one of our own (unnamed: it dies with the
 * process that holds it); the far end, with no address, is the responder's interface; the
 * near end gets 198.18.N.1/32 and a route for the emulated addresses. */
#ifndef RSTCRAFT_LOCAL_H
#define RSTCRAFT_LOCAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "addrset.h"
#include "janitor.h"

int local_main(int argc, char **argv);
int try_main(int argc, char **argv);

#define LOCAL_NET_BASE 0xc6120000u   /* 198.18.0.0/15 (RFC 2544 benchmarking) */
#define LOCAL_NET_MASK 0xfffe0000u

struct local_net {
    unsigned seq;            /* the caller's count of instances: part of the link names */
    char     near[16];       /* rc<pid>l<seq>, in the caller's namespace */
    char     far[16];        /* rc<pid>r<seq>, in the responder's namespace */
    uint32_t near_addr;      /* 198.18.N.1 */
    uint32_t dflt_addr;      /* 198.18.N.10: the address to emulate when none was given */
    pid_t    child;          /* the responder, alone in its own namespace */
    int      child_out, child_err;   /* its stdout/stderr (-1: ours) */
    struct janitor jan;      /* removes the near end once we are gone */
    struct addrset routed;   /* routed through the near end: put back when its link comes
                                up again (the kernel drops a link's routes when it goes down) */
};

/* The responder side, run in the child once its interface is up. Returns an exit status. */
typedef int (*local_run_fn)(const struct local_net *ln, void *arg);

/* One line and false when this process lacks CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN. */
bool local_privileged(const char *cmd);
/* Check the addresses the user asked for (NULL or empty: take the default). Only
 * 198.18.0.0/15 unless any; none may be an address or route of this namespace. */
int  local_check_addrs(const struct addrset *a, bool any, char *err, size_t errlen);
/* Make the place: janitor first, then the namespace, the veth pair, the near address and
 * the routes for addrs (NULL: ln->dflt_addr), then start run(ln, arg) in the child.
 * ln->seq, child_out and child_err are read; the rest is filled. 0, or -1 with err. */
int  local_net_up(struct local_net *ln, const struct addrset *addrs, local_run_fn run,
                  void *arg, char *err, size_t errlen);
/* Stop the child (SIGTERM, then SIGKILL after wait_ms), remove everything, and return
 * the child's exit status (128+signal when a signal ended it). */
int  local_net_down(struct local_net *ln, int wait_ms);
/* Wait for the child; signals to us (SIGINT, SIGTERM, SIGHUP) are passed on, and the
 * routes are put back each time the near end comes up again. Returns its exit status as
 * local_net_down does. */
int  local_net_wait(struct local_net *ln);
/* "80,443,8000-8100" or "*" */
void local_ports_str(const void *portset, char *buf, size_t len);
#endif
