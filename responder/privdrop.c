/* -Z USER: once the capture and send sockets and the pcap file are open, root is no longer
 * needed; give it up for good, the way tcpdump -Z does. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kguard.h"

int privdrop(const char *user, char *err, size_t errlen)
{
    if (!user || !*user) {
        snprintf(err, errlen, "-Z: no user given");
        return -1;
    }
    errno = 0;
    const struct passwd *pw = getpwnam(user);
    if (!pw) {
        if (errno && errno != ENOENT && errno != ESRCH)
            snprintf(err, errlen, "-Z: cannot look up user '%s': %s", user, strerror(errno));
        else
            snprintf(err, errlen, "-Z: no such user '%s'", user);
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    /* groups first: once the uid is gone, so is the right to change them */
    if (initgroups(user, gid) != 0 && setgroups(1, &gid) != 0) {
        snprintf(err, errlen, "-Z: cannot set the groups of '%s': %s", user, strerror(errno));
        return -1;
    }
    if (setgid(gid) != 0) {
        snprintf(err, errlen, "-Z: cannot switch to group %u: %s", (unsigned)gid, strerror(errno));
        return -1;
    }
    if (setuid(uid) != 0) {
        snprintf(err, errlen, "-Z: cannot switch to user '%s': %s", user, strerror(errno));
        return -1;
    }
    /* a drop that can be undone is no drop at all */
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid || geteuid() != uid)) {
        snprintf(err, errlen, "-Z: root could be regained after switching to '%s'; refusing to go on",
                 user);
        return -1;
    }
    return 0;
}
