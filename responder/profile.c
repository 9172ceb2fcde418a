/* Built-in OS profiles. Values for `linux` were read off the wire of the test machine's
 * kernel (6.18) in a two-namespace lab: see tests/integration/test_linux_reference.py. */
#include <string.h>
#include "profile.h"
#include "profile_ext.h"

/* Linux tcp_options_write(): MSS, then SACK-permitted folded in front of the timestamp
 * when both are on, NOP-padded otherwise, NOP before window scale. */
#define LINUX_LAYOUTS { "MNW", "MNNSNW", "MNNTNW", "MSTNW" }

static const struct profile prof_linux = {
    .name = "linux", .os = "Linux", .summary = "Linux 6.x defaults (net/ipv4/tcp_*.c)",
    .ttl = 64, .df = true, .tos = 0,
    /* ip_build_and_send_pkt: DF SYN-ACK gets id 0; sockets count from a random start;
     * tcp_v4_send_reset replies have id 0 */
    .ipid_synack = IPID_ZERO, .ipid_flow = IPID_PER_FLOW, .ipid_reset = IPID_ZERO,
    .synack_win = 65160, .mss = 1460, .wscale = 10, .sack = true, .ts = true, .ts_hz = 1000,
    .ts_off_4tuple = true,
    .synack_layout = LINUX_LAYOUTS,
    .isn = ISN_HASH_CLOCK,
    .rcv_wnd = 65160,
    .closed_silent = false, .reset_win = 0, .reset_tos_reflect = true,
    /* measured on 6.18: hop limit 64, a random label per connection, hashed otherwise */
    .hlim = 64, .fl6_flow = FL6_RANDOM, .fl6_stateless = FL6_HASH,
    .synack_rto_ms = 1000, .synack_retries = 5,
    .fin_timeout_ms = 60000, .time_wait_ms = 60000,
};

/* Linux is the one profile whose answers all follow from its parameters
 * (profile_answers_default); the others are personalities with answers of their own. */
static const struct profile *const profiles[] = { &prof_linux, NULL };

const struct profile *const *profile_all(void) { return profiles; }

const struct profile *profile_find(const char *name)
{
    for (size_t i = 0; profiles[i]; i++)
        if (strcmp(profiles[i]->name, name) == 0)
            return profiles[i];
    /* the other built-ins come with answers of their own (profiles_builtin.c) */
    const struct personality *p = personality_builtin_find(name);
    return p ? &p->prof : NULL;
}
