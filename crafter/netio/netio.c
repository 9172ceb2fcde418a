/* The wire: one pcap handle for what comes in, one libnet link-layer handle for what goes
 * out, and an optional pcap file that sees both. */
#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <libnet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include "netio.h"

#define NETIO_SNAPLEN 262144
/* Immediate mode makes libpcap use TPACKET_V2, whose ring has fixed slots sized for the
 * largest frame: with GRO on veth that is ~64 KiB, so 4 MiB held only 63 frames and a
 * burst of 256 ARP requests lost half of them (measured). 32 MiB holds ~510: a burst of
 * 1024 back-to-back frames arrived with no drop. */
#define NETIO_BUFSIZE (32 * 1024 * 1024)
#define NETIO_GRO_FRAME (65535 + 14 + 4)
#define NETIO_TXQ 64            /* frames a sendmmsg carries */
#define NETIO_TXQ_FRAME 2048    /* larger frames are sent at once, after the queue */

struct txq {
    uint8_t buf[NETIO_TXQ][NETIO_TXQ_FRAME];
    struct iovec iov[NETIO_TXQ];
    struct mmsghdr msg[NETIO_TXQ];
};

/* pcap and libnet messages end in newlines or carry their own prefixes; one line only. */
static void one_line(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
}

static int activate_error(pcap_t *p, int rc, const char *ifname, char *err)
{
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, NETIO_ERRLEN, "no such interface: %s", ifname);
        break;
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, NETIO_ERRLEN,
                 "permission denied: capturing on %s needs root or CAP_NET_RAW", ifname);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, NETIO_ERRLEN, "interface %s is down", ifname);
        break;
    default:
        snprintf(err, NETIO_ERRLEN, "capture on %s: %s", ifname, pcap_geterr(p));
        one_line(err);
        break;
    }
    return -1;
}

/* pcap_setdirection alone filters in user space: the kernel still copies every frame we
 * send into the capture ring, and a burst of our own frames (a round of ARP probes for a
 * /22) fills the ring and drops the one reply that matters (measured: 2883 of 3072 lost).
 * So the kernel filter starts with a packet-type check that drops outgoing frames.
 *
 * It is attached here rather than compiled in as "inbound and (...)": after pcap_setfilter
 * libpcap re-checks the first ring slot in user space with the new program, and its user
 * space interpreter cannot read the packet type, so it would drop the first frame that
 * arrives (measured: the first ARP request after start went unanswered). libpcap keeps the
 * user's program, which it can evaluate; the kernel gets direction + user's program. */
/* Direction first, then the user's program (NULL: everything), into code; its length in len. */
static int inbound_prog(const struct bpf_program *user, struct sock_filter code[BPF_MAXINSNS],
                        size_t *len, const char *ifname, char *err)
{
    static const struct sock_filter prefix[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_AD_OFF + SKF_AD_PKTTYPE),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    enum { NPRE = sizeof prefix / sizeof prefix[0] };
    size_t n = NPRE;
    memcpy(code, prefix, sizeof prefix);
    if (user) {
        if (user->bf_len > BPF_MAXINSNS - NPRE) {
            snprintf(err, NETIO_ERRLEN, "capture filter on %s: program too long (%u instructions)",
                     ifname, user->bf_len);
            return -1;
        }
        for (unsigned i = 0; i < user->bf_len; i++, n++) {
            code[n].code = user->bf_insns[i].code;
            code[n].jt = user->bf_insns[i].jt;
            code[n].jf = user->bf_insns[i].jf;
            code[n].k = user->bf_insns[i].k;
        }
    } else {
        struct sock_filter all = BPF_STMT(BPF_RET | BPF_K, NETIO_SNAPLEN);
        code[n++] = all;
    }
    *len = n;
    return 0;
}

static int attach_inbound(pcap_t *p, const struct bpf_program *user, const char *ifname,
                          char *err)
{
    struct sock_filter code[BPF_MAXINSNS];
    size_t n;
    if (inbound_prog(user, code, &n, ifname, err) != 0)
        return -1;
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = code };
    if (setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
        snprintf(err, NETIO_ERRLEN, "capture filter on %s: %s", ifname, strerror(errno));
        return -1;
    }
    return 0;
}

static int set_filter(pcap_t *p, const char *ifname, const char *bpf, char *err)
{
    if (!bpf || !*bpf)
        return attach_inbound(p, NULL, ifname, err);
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, NETIO_ERRLEN, "bad capture filter '%s': %s", bpf, pcap_geterr(p));
        one_line(err);
        return -1;
    }
    int rc = pcap_setfilter(p, &prog);
    if (rc != 0) {
        snprintf(err, NETIO_ERRLEN, "capture filter on %s: %s", ifname, pcap_geterr(p));
        one_line(err);
    } else {
        rc = attach_inbound(p, &prog, ifname, err);
    }
    pcap_freecode(&prog);
    return rc;
}

static int open_capture(struct netio *n, const char *ifname, const char *bpf, char *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(ifname, ebuf);
    if (!p) {
        snprintf(err, NETIO_ERRLEN, "capture on %s: %s", ifname, ebuf);
        one_line(err);
        return -1;
    }
    n->pcap = p;
    pcap_set_snaplen(p, (int)n->snaplen);
    pcap_set_promisc(p, 1);
    /* every frame is handed over at once: the responder answers SYNs, it must not wait for
     * a block of the ring to fill */
    pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, NETIO_BUFSIZE);
    int rc = pcap_activate(p);
    if (rc < 0)
        return activate_error(p, rc, ifname, err);
    if (pcap_datalink(p) != DLT_EN10MB) {
        snprintf(err, NETIO_ERRLEN, "%s is not an Ethernet interface (link type %s)", ifname,
                 pcap_datalink_val_to_name(pcap_datalink(p)));
        return -1;
    }
    /* our own frames, sent on the libnet socket, would otherwise come back as outgoing
     * copies and look like a second host using our addresses */
    if (pcap_setdirection(p, PCAP_D_IN) != 0) {
        snprintf(err, NETIO_ERRLEN, "capture on %s: cannot capture inbound only: %s", ifname,
                 pcap_geterr(p));
        one_line(err);
        return -1;
    }
    if (pcap_setnonblock(p, 1, ebuf) != 0) {
        snprintf(err, NETIO_ERRLEN, "capture on %s: %s", ifname, ebuf);
        one_line(err);
        return -1;
    }
    if (set_filter(p, ifname, bpf, err) != 0)
        return -1;
    n->fd = pcap_get_selectable_fd(p);
    if (n->fd < 0) {
        snprintf(err, NETIO_ERRLEN, "capture on %s: no selectable descriptor", ifname);
        return -1;
    }
    return 0;
}

/* The responder's capture: the ring read in place, behind the same direction filter as
 * libpcap's path. It takes no capture filter of its own: only the responder reads it, and
 * it wants every inbound frame (ARP, and whatever it must answer or count as malformed). */
static int open_ring(struct netio *n, const char *ifname, const char *bpf, char *err)
{
    if (bpf && *bpf) {
        snprintf(err, NETIO_ERRLEN, "capture filter on %s: not with the direct ring", ifname);
        return -1;
    }
    struct sock_filter code[BPF_MAXINSNS];
    size_t len;
    if (inbound_prog(NULL, code, &len, ifname, err) != 0)
        return -1;
    struct sock_fprog prog = { .len = (unsigned short)len, .filter = code };
    /* Slots are fixed-size: none needs more than the largest frame GRO builds (an IPv4
     * packet of 64 KiB plus Ethernet and a VLAN tag), and smaller slots are more slots */
    uint32_t snap = n->snaplen < NETIO_GRO_FRAME ? n->snaplen : NETIO_GRO_FRAME;
    if (rxring_open(&n->ring, ifname, n->ifindex, snap, NETIO_BUFSIZE, &prog, true, err) != 0)
        return -1;
    n->fd = n->ring.fd;
    return 0;
}

/* libnet's packet socket is opened for ETH_P_ALL, which makes it a tap on every interface:
 * each frame received is handed to it (and dropped there) before the capture sees it, since
 * the newest tap runs first. A socket of protocol 0 only sends, and is never a tap
 * (packet_create, packet_do_bind in net/packet/af_packet.c): put one, bound to the
 * interface, under libnet's descriptor number. Returns the descriptor, or -1 when libnet's
 * own socket has to stay (then muted, so it queues nothing). */
static int quiet_send_socket(libnet_t *l, int ifindex)
{
    int fd = libnet_getfd(l);
    if (fd < 0)
        return -1;
    int q = socket(AF_PACKET, SOCK_RAW, 0);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };
    if (q >= 0 && bind(q, (struct sockaddr *)&sll, sizeof sll) == 0 && dup2(q, fd) == fd) {
        close(q);
        return fd;
    }
    if (q >= 0)
        close(q);
    struct sock_filter none[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
    struct sock_fprog prog = { .len = 1, .filter = none };
    (void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
    return -1;
}

static int open_send(struct netio *n, const char *ifname, char *err)
{
    char ebuf[LIBNET_ERRBUF_SIZE] = "";
    libnet_t *l = libnet_init(LIBNET_LINK_ADV, ifname, ebuf);
    if (!l) {
        one_line(ebuf);
        if (strstr(ebuf, "ermission") || strstr(ebuf, "not permitted"))
            snprintf(err, NETIO_ERRLEN,
                     "permission denied: sending on %s needs root or CAP_NET_RAW", ifname);
        else
            snprintf(err, NETIO_ERRLEN, "send handle on %s: %s", ifname, ebuf);
        return -1;
    }
    n->libnet = l;
    struct libnet_ether_addr *hw = libnet_get_hwaddr(l);
    if (!hw) {
        snprintf(err, NETIO_ERRLEN, "cannot read the MAC address of %s: %s", ifname,
                 libnet_geterror(l));
        one_line(err);
        return -1;
    }
    memcpy(n->mac, hw->ether_addr_octet, 6);
    return 0;
}

int netio_open(struct netio *n, const char *ifname, const char *bpf, char *err)
{
    uint32_t snap = n->snaplen ? n->snaplen : NETIO_SNAPLEN;
    bool direct = n->direct;
    memset(n, 0, sizeof *n);
    n->direct = direct;
    n->ring.fd = -1;
    n->fd = -1;
    n->send_fd = -1;
    n->lw.fd = -1;
    n->snaplen = snap < 128 ? 128 : snap;
    if (!ifname || !*ifname || strlen(ifname) >= sizeof n->ifname || strlen(ifname) >= IFNAMSIZ) {
        snprintf(err, NETIO_ERRLEN, "no such interface: %s", ifname ? ifname : "(none)");
        return -1;
    }
    snprintf(n->ifname, sizeof n->ifname, "%s", ifname);
    unsigned idx = if_nametoindex(ifname);
    if (idx == 0) {
        snprintf(err, NETIO_ERRLEN, "no such interface: %s", ifname);
        return -1;
    }
    n->ifindex = (int)idx;
    int rc = n->direct ? open_ring(n, ifname, bpf, err) : open_capture(n, ifname, bpf, err);
    if (rc != 0 || open_send(n, ifname, err) != 0) {
        netio_close(n);
        return -1;
    }
    /* libnet_adv_write_link looks the interface up (an ioctl) before every sendto; bound
     * once to the interface, the socket takes a plain send() per frame instead */
    n->send_fd = quiet_send_socket(n->libnet, n->ifindex);
    if (n->send_fd >= 0)
        n->txq = calloc(1, sizeof(struct txq));
    char e2[LINKWATCH_ERRLEN];
    if (linkwatch_open(&n->lw, n->ifindex, ifname, e2) != 0)
        fprintf(stderr, "rstcraft: warning: %s; link changes are seen only as errors\n", e2);
    return 0;
}

void netio_flush_tx(struct netio *n)
{
    struct txq *q = n->txq;
    unsigned done = 0;
    if (q && n->txn == 1) {
        /* a lone answer (the common case at low rates): send() is the cheaper call */
        if (send(n->send_fd, q->buf[0], q->iov[0].iov_len, MSG_DONTWAIT) < 0) {
            n->tx_err++;
            n->tx--;
        }
        n->txn = 0;
        return;
    }
    while (q && done < n->txn) {
        int r = sendmmsg(n->send_fd, q->msg + done, n->txn - done, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            n->tx_err += n->txn - done;
            n->tx -= n->txn - done;
            break;
        }
        done += (unsigned)r;
    }
    n->txn = 0;
}

void netio_record(struct netio *n, const struct timeval *ts, const uint8_t *frame, size_t len)
{
    if (n->dumper)
        pcapw_frame(n->dumper, ts, frame, (uint32_t)len, (uint32_t)len);
}

static void dump_sent(struct netio *n, const uint8_t *frame, size_t len)
{
    if (n->dumper) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        netio_record(n, &tv, frame, len);
    }
}

static void dump_close(struct netio *n)
{
    if (n->dumper) {
        struct pcapw *w = n->dumper;
        pcapw_close(w);
        n->dump_dropped += w->dropped + w->dropped_slow;
        unsigned long long all = w->frames + w->dropped + w->dropped_slow;
        if (w->dropped)
            fprintf(stderr, "rstcraft: -w %s: frames dropped (write failed): %llu of %llu\n",
                    w->path, (unsigned long long)w->dropped, all);
        if (w->dropped_slow)
            fprintf(stderr, "rstcraft: -w %s: frames dropped (disk too slow): %llu of %llu\n",
                    w->path, (unsigned long long)w->dropped_slow, all);
        free(n->dumper);
        n->dumper = NULL;
    }
}

int netio_dump_open(struct netio *n, const char *path, char *err)
{
    struct pcapw *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, NETIO_ERRLEN, "%s: out of memory", path);
        return -1;
    }
    if (pcapw_open(w, path, NETIO_SNAPLEN, err) != 0) {
        free(w);
        return -1;
    }
    dump_close(n);
    n->dumper = w;
    return 0;
}

int netio_send(struct netio *n, const uint8_t *frame, size_t len)
{
    if (!n->libnet || len == 0 || len > UINT32_MAX) {
        n->tx_err++;
        return -1;
    }
    if (n->batching && n->txq && len <= NETIO_TXQ_FRAME) {
        struct txq *q = n->txq;
        memcpy(q->buf[n->txn], frame, len);
        q->iov[n->txn] = (struct iovec){ .iov_base = q->buf[n->txn], .iov_len = len };
        memset(&q->msg[n->txn], 0, sizeof q->msg[n->txn]);
        q->msg[n->txn].msg_hdr.msg_iov = &q->iov[n->txn];
        q->msg[n->txn].msg_hdr.msg_iovlen = 1;
        n->txn++;
        n->tx++;
        dump_sent(n, frame, len);
        if (n->txn == NETIO_TXQ)
            netio_flush_tx(n);
        return 0;
    }
    netio_flush_tx(n);   /* keep the order: what is queued leaves first */
    ssize_t w = n->send_fd >= 0 ? send(n->send_fd, frame, len, MSG_DONTWAIT)
                                : libnet_adv_write_link(n->libnet, frame, (uint32_t)len);
    if (w < 0) {
        n->tx_err++;
        return -1;
    }
    n->tx++;
    dump_sent(n, frame, len);
    return 0;
}

struct rx_ctx {
    struct netio *n;
    netio_rx_fn fn;
    void *user;
};

static void rx_wrap(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct rx_ctx *c = (struct rx_ctx *)(void *)user;
    c->n->rx++;
    if (c->n->dumper)
        pcapw_frame(c->n->dumper, &h->ts, bytes, h->caplen, h->len);
    c->fn(c->user, &h->ts, bytes, h->caplen, h->len);
}

/* At most this many frames a call, so that timers and queued answers get their turn
 * during a flood. */
#define NETIO_DISPATCH_MAX 1024

/* The ring's frames go through rx_wrap as libpcap's do: counted, recorded, handed on. */
static int ring_dispatch(struct rxring *ring, struct rx_ctx *c)
{
    struct rxring_frame f;
    int k = 0;
    while (k < NETIO_DISPATCH_MAX && rxring_next(ring, &f)) {
        struct pcap_pkthdr h = { .ts = f.ts, .caplen = f.caplen, .len = f.wirelen };
        rx_wrap((u_char *)c, &h, f.data);
        rxring_release(ring);
        k++;
    }
    return k;
}

int netio_dispatch(struct netio *n, netio_rx_fn fn, void *user)
{
    if (n->direct ? !n->ring.map : !n->pcap)
        return -1;
    struct rx_ctx c = { .n = n, .fn = fn, .user = user };
    int r = n->direct ? ring_dispatch(&n->ring, &c)
                      : pcap_dispatch(n->pcap, -1, rx_wrap, (u_char *)&c);
    netio_flush_tx(n);   /* the answers to this batch of frames leave together */
    /* woken for nothing, twice in a row: something other than the ring keeps the socket
     * readable; take it away rather than be woken for it for ever */
    if (r == 0 && n->direct && !n->spinning && ++n->empty_wakes >= 2) {
        rxring_recover(&n->ring);
        n->empty_wakes = 0;
    } else if (r > 0) {
        n->empty_wakes = 0;
    }
    n->batching = n->batch && r > 1;
    if (r == PCAP_ERROR_BREAK)
        return 0;
    return r < 0 ? -1 : r;
}

void netio_spin_look(struct netio *n, int got)
{
    if (!n->direct || got != 0)
        return;
    struct pollfd p = { .fd = n->fd, .events = POLLIN };
    if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
        rxring_recover(&n->ring);
}

/* A core that spins in user space for milliseconds lets the kernel's send path go cold:
 * measured on the censor's bridge (scripts/bench censor, busy-poll on its own core), its
 * first send() after a quiet spell took 0.4-0.5 us longer to reach the interface's tap,
 * and the spinner saw a new frame 0.35 us later, than when the core had made a system call
 * in the last 20 us. So an idle spinner sends, every NETIO_WARM_NS, a frame shorter than
 * an Ethernet header: packet_snd allocates and copies it, then dev_validate_header
 * refuses it (EINVAL, below the device's min_header_len even for CAP_SYS_RAWIO), so
 * nothing leaves and nothing is counted. */
bool netio_spin_idle(struct netio *n, uint64_t now_ns)
{
    if (now_ns < n->warm_next_ns)
        return false;
    n->warm_next_ns = now_ns + NETIO_WARM_NS;
    static const uint8_t runt[ETH_HLEN - 4];
    if (n->send_fd >= 0)
        (void)!send(n->send_fd, runt, sizeof runt, MSG_DONTWAIT);
    return true;
}

void netio_take_drops(struct netio *n)
{
    if (n->direct && n->ring.fd >= 0)
        n->rx_drop_kernel += rxring_drops(&n->ring);
}

static int sock_error(struct netio *n)
{
    if (n->direct)
        return rxring_error(&n->ring);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (n->fd < 0 || getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return 0;
    return soerr;
}

int netio_link_check(struct netio *n, short revents, char *err)
{
    bool refresh = false;
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
        int e = sock_error(n);
        /* the error says the link changed: when netlink did not say so (yet), ask */
        refresh = e == ENETDOWN || e == ENXIO || e == ENODEV;
        if (e && !refresh)
            fprintf(stderr, "rstcraft: %s: capture: %s\n", n->ifname, strerror(e));
    }
    int ch = linkwatch_check(&n->lw, "rstcraft", refresh, err, NETIO_ERRLEN);
    if (ch < 0)
        return -1;
    if ((revents & (POLLHUP | POLLNVAL)) && !n->lw.gone) {
        snprintf(err, NETIO_ERRLEN, "capture on %s: the socket was closed under us", n->ifname);
        return -1;
    }
    if (ch & LW_MAC)
        memcpy(n->mac, n->lw.mac, 6);
    return ch;
}

void netio_flush(struct netio *n)
{
    if (n->dumper)
        pcapw_flush(n->dumper);
}

void netio_close(struct netio *n)
{
    netio_flush_tx(n);
    linkwatch_close(&n->lw);
    free(n->txq);
    n->txq = NULL;
    netio_take_drops(n);
    if (n->direct && n->ring.fd >= 0)
        rxring_close(&n->ring);
    if (n->pcap) {
        struct pcap_stat st;
        if (pcap_stats(n->pcap, &st) == 0)
            n->rx_drop_kernel = st.ps_drop;
        pcap_close(n->pcap);
        n->pcap = NULL;
    }
    n->fd = -1;
    dump_close(n);
    if (n->libnet) {
        libnet_destroy(n->libnet);
        n->libnet = NULL;
    }
}
