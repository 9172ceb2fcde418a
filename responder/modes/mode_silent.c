/* silent: a firewalled port; nothing is ever sent (case 2). */
#include "mode.h"
const struct mode_ops mode_silent = {
    .name = "silent",
    .summary = "no answer at all (Windows 7 firewall, FreeBSD blackhole)",
    .kind = PORT_FILTERED,
};
