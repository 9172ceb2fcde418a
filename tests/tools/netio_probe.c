/* A small driver for the wire and safety pieces (netio, arp, kguard, privdrop), used by
 * tests/netio_selftest.sh. Build by hand:
 *   cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -o build/tools/netio_probe \
 *      tests/tools/netio_probe.c build/libresponder.a build/libcrafter.a -lpcap -lnet
 *
 *   netio_probe open IFACE                      open and close; print the error if any
 *   netio_probe answer IFACE ADDRS [-w PCAP] [-Z USER] [-t SECONDS]
 *                                               answer ARP for ADDRS until -t or a signal
 *   netio_probe probe IFACE ADDRS [PROBES INTERVAL_MS WAIT_MS [BPF]]
 *                                               RFC 5227 probe: "none" (0) / "conflict" (1)
 *   netio_probe announce IFACE ADDRS            send the announcements
 *   netio_probe kguard ADDRS [PORTS] [-Z USER] [-remove]
 *                                               kernel-owned addresses, then the nft table;
 *                                               waits to be killed (or removes at once)
 * Exit 2 on any error, with one line on stderr. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "arp.h"
#include "kguard.h"
#include "netio.h"
#include "pkt.h"
#include "rules.h"

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static int die(const char *what, const char *msg)
{
    fprintf(stderr, "netio_probe: %s: %s\n", what, msg);
    return 2;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int load_addrs(struct addrset *a, const char *spec)
{
    char err[256];
    if (addrset_parse(a, spec, err, sizeof err) != 0) {
        fprintf(stderr, "netio_probe: %s\n", err);
        return -1;
    }
    return 0;
}

struct ans {
    struct netio *n;
    struct addrset *owned;
    unsigned long answered, arp_seen;
};

static void on_frame(void *user, const struct timeval *ts, const uint8_t *d, size_t caplen,
                     size_t wirelen)
{
    (void)ts; (void)wirelen;
    struct ans *a = user;
    struct frame f;
    pkt_parse(&f, d, caplen);
    if (f.l3 != L3_ARP)
        return;
    a->arp_seen++;
    uint8_t out[64];
    size_t len = arp_answer(&f, a->owned, a->n->mac, out, sizeof out);
    if (len && netio_send(a->n, out, len) == 0)
        a->answered++;
}

static int cmd_open(int argc, char **argv)
{
    if (argc < 1)
        return die("open", "IFACE missing");
    struct netio n;
    char err[NETIO_ERRLEN];
    if (netio_open(&n, argv[0], argc > 1 ? argv[1] : NULL, err) != 0)
        return die("open", err);
    printf("opened %s ifindex %d mac %02x:%02x:%02x:%02x:%02x:%02x fd %d\n", n.ifname,
           n.ifindex, n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5], n.fd);
    netio_close(&n);
    netio_close(&n);   /* idempotent */
    return 0;
}

static int cmd_answer(int argc, char **argv)
{
    if (argc < 2)
        return die("answer", "IFACE ADDRS missing");
    const char *pcap = NULL, *user = NULL;
    double secs = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-w") && i + 1 < argc)
            pcap = argv[++i];
        else if (!strcmp(argv[i], "-Z") && i + 1 < argc)
            user = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            secs = atof(argv[++i]);
        else
            return die("answer", "usage: answer IFACE ADDRS [-w PCAP] [-Z USER] [-t SECONDS]");
    }
    struct addrset owned = {0};
    if (load_addrs(&owned, argv[1]) != 0)
        return 2;
    static struct netio n;
    char err[NETIO_ERRLEN];
    if (netio_open(&n, argv[0], NULL, err) != 0)
        return die("answer", err);
    if (pcap && netio_dump_open(&n, pcap, err) != 0)
        return die("answer", err);
    if (user && privdrop(user, err, sizeof err) != 0)
        return die("answer", err);
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    printf("ready uid=%u euid=%u\n", (unsigned)getuid(), (unsigned)geteuid());
    fflush(stdout);
    struct ans a = { .n = &n, .owned = &owned };
    uint64_t end = secs > 0 ? now_ms() + (uint64_t)(secs * 1000) : 0;
    struct pollfd pfd = { .fd = n.fd, .events = POLLIN };
    while (!stop) {
        int to = 200;
        if (end) {
            uint64_t t = now_ms();
            if (t >= end)
                break;
            if (end - t < 200)
                to = (int)(end - t);
        }
        int r = poll(&pfd, 1, to);
        if (r < 0 && errno != EINTR)
            break;
        if (netio_dispatch(&n, on_frame, &a) < 0)
            return die("answer", "dispatch failed");
        netio_flush(&n);
    }
    netio_close(&n);
    printf("rx=%llu tx=%llu tx_err=%llu arp=%lu answered=%lu drop=%llu\n",
           (unsigned long long)n.rx, (unsigned long long)n.tx, (unsigned long long)n.tx_err,
           a.arp_seen, a.answered, (unsigned long long)n.rx_drop_kernel);
    addrset_free(&owned);
    return 0;
}

static int cmd_probe(int argc, char **argv)
{
    if (argc < 2)
        return die("probe", "IFACE ADDRS missing");
    struct arp_probe_cfg cfg = { 3, 200, 200 };
    if (argc >= 5) {
        cfg.probes = (unsigned)atoi(argv[2]);
        cfg.interval_ms = (unsigned)atoi(argv[3]);
        cfg.wait_ms = (unsigned)atoi(argv[4]);
    }
    struct addrset owned = {0};
    if (load_addrs(&owned, argv[1]) != 0)
        return 2;
    static struct netio n;
    char err[NETIO_ERRLEN];
    if (netio_open(&n, argv[0], argc >= 6 ? argv[5] : NULL, err) != 0)
        return die("probe", err);
    uint32_t who = 0;
    uint8_t mac[6] = {0};
    uint64_t t0 = now_ms();
    int rc = arp_probe(&n, &owned, &cfg, &who, mac, err);
    uint64_t ms = now_ms() - t0;
    unsigned long long tx = (unsigned long long)n.tx;
    netio_close(&n);
    fprintf(stderr, "probe: rx=%llu tx=%llu drop=%llu\n", (unsigned long long)n.rx, tx,
            (unsigned long long)n.rx_drop_kernel);
    addrset_free(&owned);
    if (rc < 0)
        return die("probe", err);
    if (rc == 0) {
        printf("none %llums sent=%llu\n", (unsigned long long)ms, tx);
        return 0;
    }
    char a[16];
    printf("conflict %s %02x:%02x:%02x:%02x:%02x:%02x %llums sent=%llu\n", ip4_str(who, a),
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], (unsigned long long)ms, tx);
    return 1;
}

static int cmd_announce(int argc, char **argv)
{
    if (argc < 2)
        return die("announce", "IFACE ADDRS missing");
    struct addrset owned = {0};
    if (load_addrs(&owned, argv[1]) != 0)
        return 2;
    static struct netio n;
    char err[NETIO_ERRLEN];
    if (netio_open(&n, argv[0], NULL, err) != 0)
        return die("announce", err);
    int rc = arp_announce(&n, &owned, n.mac);
    printf("announced sent=%llu rc=%d\n", (unsigned long long)n.tx, rc);
    netio_close(&n);
    addrset_free(&owned);
    return rc ? 2 : 0;
}

static int cmd_kguard(int argc, char **argv)
{
    if (argc < 1)
        return die("kguard", "ADDRS missing");
    bool remove_now = false;
    const char *ports_spec = NULL, *user = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-remove"))
            remove_now = true;
        else if (!strcmp(argv[i], "-Z") && i + 1 < argc)
            user = argv[++i];
        else
            ports_spec = argv[i];
    }
    struct addrset s = {0};
    if (load_addrs(&s, argv[0]) != 0)
        return 2;
    char err[512];
    struct addrset owned = {0};
    if (kguard_kernel_owned(&s, &owned, err) < 0)
        return die("kguard", err);
    printf("kernel-owned:");
    char a[ADDR_STRLEN];
    for (size_t i = 0; i < owned.n; i++)
        printf(" %s", ip4_str(owned.v[i], a));
    for (size_t i = 0; i < owned.n6; i++)
        printf(" %s", ip6_str(owned.v6[i].b, a));
    printf("\n");
    addrset_free(&owned);
    static struct portset ps;
    if (ports_spec && portset_parse(&ps, ports_spec, err, sizeof err) != 0)
        return die("kguard", err);
    if (kguard_nft_install(&s, ports_spec ? &ps : NULL, err, sizeof err) != 0)
        return die("kguard", err);
    printf("installed rstcraft_%ld\n", (long)getpid());
    if (user && privdrop(user, err, sizeof err) != 0)
        return die("kguard", err);
    if (user)
        printf("dropped to uid %u\n", (unsigned)geteuid());
    fflush(stdout);
    if (remove_now) {
        kguard_nft_remove();
        printf("removed\n");
        return 0;
    }
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return die("usage", "open|answer|probe|announce|kguard ...");
    const char *c = argv[1];
    if (!strcmp(c, "open"))
        return cmd_open(argc - 2, argv + 2);
    if (!strcmp(c, "answer"))
        return cmd_answer(argc - 2, argv + 2);
    if (!strcmp(c, "probe"))
        return cmd_probe(argc - 2, argv + 2);
    if (!strcmp(c, "announce"))
        return cmd_announce(argc - 2, argv + 2);
    if (!strcmp(c, "kguard"))
        return cmd_kguard(argc - 2, argv + 2);
    return die("usage", "open|answer|probe|announce|kguard ...");
}
