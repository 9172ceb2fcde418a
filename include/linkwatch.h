/* The interface under a capture, watched: an rtnetlink socket subscribed to link changes
 * (RTMGRP_LINK), so that a link going down or up, an MTU or MAC change, a rename or the
 * interface's deletion is noticed when it happens, without polling, by whoever puts
 * linkwatch.fd in its poll set. */
#ifndef RSTCRAFT_LINKWATCH_H
#define RSTCRAFT_LINKWATCH_H
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

struct linkwatch {
    int      fd;                  /* rtnetlink, non-blocking; -1: closed */
    int      ifindex;
    char     ifname[IF_NAMESIZE]; /* the name we were given */
    bool     up;                  /* administratively up and with carrier */
    unsigned flags;               /* the IFF_* flags last seen */
    bool     gone;                /* deleted (or moved to another namespace) */
    bool     renamed;             /* now called newname */
    char     newname[IF_NAMESIZE];
    uint32_t mtu;
    uint8_t  mac[6];
    uint64_t down_since_us;       /* "link down" said at (CLOCK_MONOTONIC), 0: not said */
    bool     quiet;               /* linkwatch_check follows, says nothing */
};

/* What linkwatch_read saw change. */
enum {
    LW_DOWN = 1, LW_UP = 2, LW_MTU = 4, LW_MAC = 8, LW_GONE = 16, LW_RENAMED = 32,
};

#define LINKWATCH_ERRLEN 256
/* Subscribe and read the link's state now. Returns 0, or -1 with one line in err. */
int  linkwatch_open(struct linkwatch *w, int ifindex, const char *ifname, char *err);
/* Take every message waiting (non-blocking) and return the LW_* bits of what changed.
 * When the kernel dropped messages (ENOBUFS) the state is read afresh instead. */
unsigned linkwatch_read(struct linkwatch *w);
/* Read the state afresh (ioctls): used at open, after ENOBUFS, and by callers that got an
 * error from the interface's sockets. Returns the LW_* bits of what changed. */
unsigned linkwatch_refresh(struct linkwatch *w);
/* "interface r0 was deleted" / "interface r0 was renamed to x": the one line to exit with. */
void linkwatch_gone_msg(const struct linkwatch *w, char *buf, size_t len);
/* After a poll that watched w->fd (and the capture socket, whose pending error made the
 * caller pass refresh): take the link changes and say on stderr what changed, once each
 * way: "WHO: IF: link down", "WHO: IF: link up again after 1.0 s", the MTU, the MAC.
 * Returns the LW_* bits seen, or -1 with one line in err when the interface was deleted
 * or renamed: the caller ends (exit 1). */
int  linkwatch_check(struct linkwatch *w, const char *who, bool refresh, char *err,
                     size_t errlen);
void linkwatch_close(struct linkwatch *w);
#endif
