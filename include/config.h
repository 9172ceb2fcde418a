/* Command line of the responder (`rstcraft [respond] ...`). */
#ifndef RSTCRAFT_CONFIG_H
#define RSTCRAFT_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "addrset.h"
#include "rules.h"

struct resp_config {
    const char    *iface;           /* -i */
    struct addrset addrs;           /* -a */
    uint8_t        mac[6];          /* --mac */
    bool           have_mac;
    bool           force;           /* --force: claim even when another host answers ARP */
    bool           kernel_guard;    /* --kernel-guard: nft rule for kernel-owned addresses */
    bool           no_probe;        /* --no-probe: skip the RFC 5227 probe */
    unsigned       probe_ms;        /* --probe-ms: interval between the 3 probes (default 200) */
    struct ruleset rules;           /* -p/--mode/--default/--rules and mode options */
    char           profile[64];     /* --profile (default "linux") */
    bool           json;            /* --json */
    bool           quiet;           /* -q: counts only */
    const char    *pcap_out;        /* -w */
    uint64_t       count;           /* --count N: stop after N events (0: no limit) */
    double         duration_s;      /* --duration S (0: no limit) */
    double         stats_s;         /* --stats S: figures every S seconds (0: never) */
    const char    *user;            /* -Z */
    uint32_t       max_flows;       /* --max-flows (default 1000000) */
    bool           busy_poll;       /* --busy-poll: spin instead of sleeping (lowest latency) */
    int32_t        cpu_latency_us;  /* --cpu-latency: -1 none, else a PM QoS request held */
    bool           list_profiles;   /* --list-profiles */
    const char    *personality;     /* --personality NAME: a fingerprint of nmap-os-db */
    const char    *os_db;           /* --os-db FILE (default /usr/share/nmap/nmap-os-db) */
};

/* Parse argv (argv[0] is the command name, "rstcraft" or "respond").
 * Returns 0 to run; 1 when --help/--version/--list-modes was printed (exit 0);
 * 2 on a usage error, with one line in err ("rstcraft: --delay: expected milliseconds, got 'x'"). */
int  config_parse(struct resp_config *c, int argc, char **argv, char *err, size_t errlen);
void config_free(struct resp_config *c);
void config_usage(void *stream);  /* a FILE *: stdout for --help */
#endif
