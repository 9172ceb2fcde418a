/* Keeping the kernel out of the way: the kernel of the responder's namespace must not
 * answer for the responder's addresses with RSTs of its own. */
#ifndef RSTCRAFT_KGUARD_H
#define RSTCRAFT_KGUARD_H
#include <stddef.h>
#include <stdint.h>
#include "addrset.h"
#include "rules.h"

/* Addresses of s (either family) that the kernel of this namespace has configured on any
 * interface: added to owned; returns how many owned holds, or -1 (message in err). */
int kguard_kernel_owned(const struct addrset *s, struct addrset *owned, char *err);
/* Install a scoped nftables table (inet rstcraft_<pid>) that drops the kernel's own
 * outgoing TCP RSTs from exactly these addresses and ports (ports NULL: every port), and
 * for IPv6 addresses its ICMPv6 destination unreachables and echo replies too.
 * A privileged janitor process, forked here, deletes the table when this process exits by
 * any means (normal exit, signal, SIGKILL), so -Z can drop root afterwards.
 * Returns 0, or -1 with a one-line message in err. */
int kguard_nft_install(const struct addrset *s, const struct portset *ports, char *err, size_t errlen);
/* Remove the table now (also done by the janitor when we are gone). */
void kguard_nft_remove(void);

/* Drop root to user (after capture/send handles and the pcap file are open), as
 * tcpdump -Z does: setgroups, setgid, setuid. Returns 0 or -1 with err. */
int privdrop(const char *user, char *err, size_t errlen);
#endif
