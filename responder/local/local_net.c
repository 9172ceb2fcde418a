/* The place `local` and `try` answer from. The responder runs in a child alone in a new,
 * unnamed network namespace: when the child dies, however it dies, the kernel destroys
 * that namespace, and with it the veth pair, the near end's address and the routes
 * through it. A janitor (the kernel guard's pattern: its own session, signals ignored,
 * waiting for a pipe to close) deletes the near end as soon as we are gone, so nothing
 * outlives us even for the moment the child takes to stop.
 *
 * Interfaces, addresses and routes are made by ip(8), run with a fixed argv (no shell). */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "janitor.h"
#include "linkwatch.h"
#include "local.h"

#define LOCK_NAME "rstcraft-local-lock"   /* abstract socket: one per network namespace */
#define NEED_CAPS ((1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW) | (1u << CAP_SYS_ADMIN))

/* ---- privileges ---- */

static bool caps_get(struct __user_cap_data_struct d[2])
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    return syscall(SYS_capget, &h, d) == 0;
}

/* Given the capabilities by setcap rather than by root, pass them on to ip(8): exec drops
 * file capabilities unless they are ambient. */
static void caps_to_children(void)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2];
    if (geteuid() == 0 || !caps_get(d))
        return;
    d[0].inheritable |= NEED_CAPS;
    if (syscall(SYS_capset, &h, d) != 0)
        return;
    static const int caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)caps[i], 0UL, 0UL);
}

bool local_privileged(const char *cmd)
{
    struct __user_cap_data_struct d[2];
    if (caps_get(d) && (d[0].effective & NEED_CAPS) == NEED_CAPS) {
        caps_to_children();
        return true;
    }
    fprintf(stderr, "rstcraft %s: needs root (it makes a network namespace, a veth pair and "
            "routes): run it with sudo, or give the binary the capabilities: sudo setcap "
            "cap_net_admin,cap_net_raw,cap_sys_admin+ep \"$(command -v rstcraft)\"\n", cmd);
    return false;
}

/* ---- running ip(8) ---- */

static char ip_path[64];

static bool find_ip(void)
{
    static const char *const fixed[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (access(fixed[i], X_OK) == 0) {
            snprintf(ip_path, sizeof ip_path, "%s", fixed[i]);
            return true;
        }
    return false;
}

/* ip ARGS... (NULL-terminated). 0, or -1 with "ip ARGS: its complaint" in err (if err). */
static int ip_run(char *err, size_t errlen, const char *const *args)
{
    char *argv[16];
    size_t n = 0;
    argv[n++] = ip_path;
    for (size_t i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
        argv[n++] = (char *)(uintptr_t)args[i];
    argv[n] = NULL;
    int out = memfd_create("ip-err", MFD_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
            dup2(out >= 0 ? out : devnull, 2) < 0)
            _exit(127);
        execv(ip_path, argv);
        _exit(127);
    }
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    int rc = pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
    if (rc != 0 && err) {
        char why[256] = "";
        if (out >= 0) {
            ssize_t r = pread(out, why, sizeof why - 1, 0);
            why[r > 0 ? r : 0] = '\0';
            why[strcspn(why, "\n")] = '\0';
        }
        char cmd[160] = "";
        size_t used = 0;
        for (size_t i = 1; i < n && used < sizeof cmd; i++) {
            int w = snprintf(cmd + used, sizeof cmd - used, " %s", argv[i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        snprintf(err, errlen, "ip%s: %s", cmd, why[0] ? why : pid < 0 ? "cannot fork" : "failed");
    }
    if (out >= 0)
        close(out);
    return rc;
}

#define IP(err, errlen, ...) ip_run(err, errlen, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- the janitor ---- */

/* deleting one end of a veth deletes both, the address and the routes */
static void delete_near(void *near)
{
    IP(NULL, 0, "link", "del", (const char *)near);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Wait up to ms for pid; true when it was reaped (status in *st). */
static bool reap(pid_t pid, int *st, int ms)
{
    for (int i = 0; i <= ms / 10; i++) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
        sleep_ms(10);
    }
    return false;
}

/* ---- what is already here ---- */

/* A link of ours (rc<pid>l<seq>) whose rstcraft is gone: a crash while its janitor was
 * also killed. Remove it and say so. */
static void remove_stale(void)
{
    struct if_nameindex *ifs = if_nameindex();
    if (!ifs)
        return;
    for (const struct if_nameindex *i = ifs; i->if_name; i++) {
        long pid;
        unsigned seq;
        char tail;
        if (sscanf(i->if_name, "rc%ldl%u%c", &pid, &seq, &tail) != 2 || pid <= 0)
            continue;
        /* alive: an instance still running (or a process that took the pid of a dead
         * one: leave it rather than risk a live instance's link) */
        if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
            continue;
        char err[300];
        if (IP(err, sizeof err, "link", "del", i->if_name) == 0)
            fprintf(stderr, "rstcraft: removed %s, left behind by rstcraft (pid %ld) which "
                    "is gone\n", i->if_name, pid);
        else
            fprintf(stderr, "rstcraft: could not remove the stale %s: %s\n", i->if_name, err);
    }
    if_freenameindex(ifs);
}

struct taken {
    uint32_t net[1024], mask[1024];
    size_t   n;
};

/* Every address (as a /32) and every non-default route of this namespace's main table. */
static void list_taken(struct taken *t)
{
    t->n = 0;
    struct ifaddrs *ifa0;
    if (getifaddrs(&ifa0) == 0) {
        for (const struct ifaddrs *i = ifa0; i && t->n < 1024; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
                continue;
            t->net[t->n] = ntohl(((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr);
            t->mask[t->n++] = ~0u;
        }
        freeifaddrs(ifa0);
    }
    FILE *f = fopen("/proc/net/route", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f) && t->n < 1024) {
        char ifn[32];
        unsigned long dst, gw, mask;
        unsigned flags, ref, use, metric;
        if (sscanf(line, "%31s %lx %lx %x %u %u %u %lx", ifn, &dst, &gw, &flags, &ref, &use,
                   &metric, &mask) != 8 || mask == 0)
            continue;
        t->net[t->n] = ntohl((uint32_t)dst);
        t->mask[t->n++] = ntohl((uint32_t)mask);
    }
    fclose(f);
}

static bool overlaps(uint32_t a, uint32_t am, uint32_t b, uint32_t bm)
{
    uint32_t m = am & bm;
    return (a & m) == (b & m);
}

static bool taken_overlap(const struct taken *t, uint32_t net, uint32_t mask, size_t *which)
{
    for (size_t i = 0; i < t->n; i++)
        if (overlaps(net, mask, t->net[i], t->mask[i])) {
            if (which)
                *which = i;
            return true;
        }
    return false;
}

int local_check_addrs(const struct addrset *a, bool any, char *err, size_t errlen)
{
    static struct taken t;
    list_taken(&t);
    char s[16], n[16];
    for (size_t i = 0; a && i < a->n; i++) {
        uint32_t v = a->v[i];
        if (!any && (v & LOCAL_NET_MASK) != LOCAL_NET_BASE) {
            snprintf(err, errlen, "-a %s: not in 198.18.0.0/15, the addresses set aside for "
                     "benchmarking; pass --any-address to route another address to the "
                     "responder", ip4_str(v, s));
            return -1;
        }
        if ((v >> 24) == 127 || (v >> 24) == 0 || v >= 0xe0000000u) {
            snprintf(err, errlen, "-a %s: not a unicast address that can be routed",
                     ip4_str(v, s));
            return -1;
        }
        size_t w;
        if (taken_overlap(&t, v, ~0u, &w)) {
            snprintf(err, errlen, "-a %s: already an address or route of this machine "
                     "(%s/%d); pick another", ip4_str(v, s), ip4_str(t.net[w], n),
                     __builtin_popcount(t.mask[w]));
            return -1;
        }
    }
    return 0;
}

/* The first /24 of 198.18.0.0/15 that nothing here uses and that holds none of addrs. */
static int pick_slot(struct local_net *ln, const struct addrset *addrs, char *err, size_t errlen)
{
    static struct taken t;
    list_taken(&t);
    for (uint32_t k = 0; k < 512; k++) {
        uint32_t net = LOCAL_NET_BASE + (k << 8);
        if (taken_overlap(&t, net, 0xffffff00u, NULL))
            continue;
        bool mine = false;
        for (size_t i = 0; addrs && i < addrs->n && !mine; i++)
            mine = (addrs->v[i] & 0xffffff00u) == net;
        if (mine)
            continue;
        ln->near_addr = net + 1;
        ln->dflt_addr = net + 10;
        return 0;
    }
    snprintf(err, errlen, "every /24 of 198.18.0.0/15 is in use here: no room for a link");
    return -1;
}

/* ---- the child: alone in its own namespace ---- */

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, text, strlen(text)) < 0) {
        /* IPv6 may be off already: nothing to quiet */
    }
    close(fd);
}

static void child(struct local_net *ln, pid_t parent, int ready_w, int go_r, local_run_fn run,
                  void *arg) __attribute__((noreturn));
static void child(struct local_net *ln, pid_t parent, int ready_w, int go_r, local_run_fn run,
                  void *arg)
{
    /* rstcraft killed: the responder goes too, and its namespace with it. SIGKILL, not
     * SIGTERM: the janitor is deleting the link meanwhile, and a responder whose interface
     * vanished sees POLLERR at once from every ppoll, which then never takes the signal */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(3);
    if (ln->child_out >= 0 && dup2(ln->child_out, 1) < 0)
        _exit(3);
    if (ln->child_err >= 0 && dup2(ln->child_err, 2) < 0)
        _exit(3);
    close(ln->jan.fd);   /* only our parent's exit may wake the janitor */
    if (unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "rstcraft: cannot make a network namespace: %s\n", strerror(errno));
        _exit(3);
    }
    /* the veth end arrives with IPv6 off: no router solicitations in the capture */
    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    char c = 1;
    if (write(ready_w, &c, 1) != 1)
        _exit(3);
    close(ready_w);
    if (read(go_r, &c, 1) != 1)
        _exit(3);   /* the parent gave up */
    close(go_r);
    char err[400];
    if (IP(err, sizeof err, "link", "set", "lo", "up") != 0 ||
        IP(err, sizeof err, "link", "set", ln->far, "up") != 0) {
        fprintf(stderr, "rstcraft: %s\n", err);
        _exit(3);
    }
    fflush(NULL);
    _exit(run(ln, arg));
}

/* ---- up and down ---- */

/* One instance at a time picks its /24 and claims it with its address. The lock is an
 * abstract socket name: per network namespace, the scope of what it guards, and gone with
 * the process, so nothing is left on disk. Best effort: after 5 s, go on without. */
static int lock_namespace(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path + 1, LOCK_NAME, sizeof LOCK_NAME - 1);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof LOCK_NAME);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    for (int i = 0; fd >= 0 && i < 500; i++) {
        if (bind(fd, (struct sockaddr *)&sa, len) == 0)
            return fd;
        if (errno != EADDRINUSE)
            break;
        sleep_ms(10);
    }
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Routes for addrs: the largest aligned blocks, so a /24 is one route. */
static int add_routes(const struct local_net *ln, const struct addrset *addrs, const char *verb,
                      char *err, size_t errlen)
{
    char src[16], dst[24], a[16];
    ip4_str(ln->near_addr, src);
    for (size_t i = 0; i < addrs->n;) {
        uint32_t first = addrs->v[i];
        unsigned len = 32;
        while (len > 8) {
            uint32_t size = 1u << (33 - len);
            if ((first & (size - 1)) || i + size > addrs->n || addrs->v[i + size - 1] != first + size - 1)
                break;
            len--;
        }
        snprintf(dst, sizeof dst, "%s/%u", ip4_str(first, a), len);
        if (IP(err, errlen, "route", verb, dst, "dev", ln->near, "src", src) != 0)
            return -1;
        i += (size_t)1 << (32 - len);
    }
    return 0;
}

static int make_link(struct local_net *ln, const struct addrset *addrs, char *err, size_t errlen)
{
    char pid[24], near[24], a[16], path[96];
    snprintf(pid, sizeof pid, "%ld", (long)ln->child);
    snprintf(near, sizeof near, "%s/32", ip4_str(ln->near_addr, a));
    if (IP(err, errlen, "link", "add", ln->near, "type", "veth", "peer", "name", ln->far,
           "netns", pid) != 0)
        return -1;
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ln->near);
    write_file(path, "1");
    if (IP(err, errlen, "addr", "add", near, "dev", ln->near) != 0 ||
        IP(err, errlen, "link", "set", ln->near, "up") != 0)
        return -1;
    for (size_t i = 0; addrs && i < addrs->n; i++)
        addrset_add(&ln->routed, addrs->v[i]);
    if (!ln->routed.n)
        addrset_add(&ln->routed, ln->dflt_addr);
    return add_routes(ln, &ln->routed, "add", err, errlen);
}

int local_net_up(struct local_net *ln, const struct addrset *addrs, local_run_fn run,
                 void *arg, char *err, size_t errlen)
{
    ln->child = -1;
    ln->jan = (struct janitor)JANITOR_NONE;
    ln->routed = (struct addrset){0};
    if (!ip_path[0] && !find_ip()) {
        snprintf(err, errlen, "ip not found: install iproute2");
        return -1;
    }
    snprintf(ln->near, sizeof ln->near, "rc%ldl%u", (long)getpid(), ln->seq);
    snprintf(ln->far, sizeof ln->far, "rc%ldr%u", (long)getpid(), ln->seq);
    int lock = lock_namespace();
    int rc = -1, ready[2] = { -1, -1 }, go[2] = { -1, -1 };
    remove_stale();
    if (pick_slot(ln, addrs, err, errlen) != 0 ||
        janitor_start(&ln->jan, delete_near, ln->near, err, errlen) != 0)
        goto out;
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto out;
    }
    pid_t parent = getpid();
    fflush(NULL);
    ln->child = fork();
    if (ln->child < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto out;
    }
    if (ln->child == 0) {
        close(ready[0]);
        close(go[1]);
        if (lock >= 0)
            close(lock);
        child(ln, parent, ready[1], go[0], run, arg);
    }
    close(ready[1]);
    ready[1] = -1;
    close(go[0]);
    go[0] = -1;
    char c;
    if (read(ready[0], &c, 1) != 1) {
        snprintf(err, errlen, "the responder's namespace could not be made");
        goto out;
    }
    if (make_link(ln, addrs, err, errlen) != 0)
        goto out;
    if (write(go[1], &c, 1) != 1) {
        snprintf(err, errlen, "the responder stopped before it began");
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < 2; i++) {
        if (ready[i] >= 0)
            close(ready[i]);
        if (go[i] >= 0)
            close(go[i]);
    }
    if (lock >= 0)
        close(lock);
    if (rc != 0)
        local_net_down(ln, 0);
    return rc;
}

static int exit_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 3;
}

int local_net_down(struct local_net *ln, int wait_ms)
{
    int st = 0, code = 0;
    if (ln->child > 0) {
        if (!reap(ln->child, &st, 0)) {
            kill(ln->child, SIGTERM);
            if (!reap(ln->child, &st, wait_ms)) {
                kill(ln->child, SIGKILL);
                reap(ln->child, &st, 2000);
            }
        }
        code = exit_status(st);
        ln->child = -1;
    }
    /* the janitor deletes the near end; on return everything is gone */
    janitor_finish(&ln->jan, 3000);
    addrset_free(&ln->routed);
    return code;
}

static volatile sig_atomic_t pass_on;
static void on_signal(int sig) { pass_on = sig; }

/* The near end was taken down: the kernel dropped its routes with it. Put them back as
 * soon as it is administratively up again (its carrier follows in a moment, and is said
 * late, up to a second, by the kernel). */
static void follow_near(struct local_net *ln, struct linkwatch *lw, bool *dropped)
{
    char err[LINKWATCH_ERRLEN + 160];
    int ch = linkwatch_check(lw, "rstcraft local", false, err, sizeof err);
    if (ch < 0)
        return;
    if ((ch & LW_DOWN) || !(lw->flags & IFF_UP))
        *dropped = true;
    if (!*dropped || !(lw->flags & IFF_UP))
        return;
    *dropped = false;
    if (add_routes(ln, &ln->routed, "replace", err, sizeof err) != 0)
        fprintf(stderr, "rstcraft local: %s is up again, but its routes could not be put "
                "back: %s\n", ln->near, err);
}

int local_net_wait(struct local_net *ln)
{
    struct sigaction sa = { .sa_handler = on_signal }, old[3];
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);
    /* the child's end is told by a pidfd, the near end's link by rtnetlink; without a
     * pidfd (before Linux 5.3), a look every 200 ms */
    int pidfd = (int)syscall(SYS_pidfd_open, ln->child, 0);
    struct linkwatch lw;
    char err[LINKWATCH_ERRLEN];
    if (linkwatch_open(&lw, (int)if_nametoindex(ln->near), ln->near, err) != 0)
        lw.fd = -1;
    /* the child says when its end goes down and up (veth carrier follows); this end only
     * puts the routes back */
    lw.quiet = true;
    /* the signals are taken in ppoll only, so that one never waits for the next wake */
    sigset_t block, unblocked;
    sigemptyset(&block);
    for (int i = 0; i < 3; i++)
        sigaddset(&block, sigs[i]);
    sigprocmask(SIG_BLOCK, &block, &unblocked);
    int st = 0;
    bool dropped = false;
    for (;;) {
        pid_t r = waitpid(ln->child, &st, WNOHANG);
        if (r == ln->child)
            break;
        if (r < 0 && errno != EINTR)
            break;
        if (pass_on) {
            kill(ln->child, pass_on);
            pass_on = 0;
        }
        struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = lw.fd, .events = POLLIN } };
        struct timespec ts = { 0, pidfd >= 0 ? 0 : 200000000L };
        if (ppoll(p, 2, pidfd >= 0 ? NULL : &ts, &unblocked) > 0 && p[1].revents)
            follow_near(ln, &lw, &dropped);
    }
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    linkwatch_close(&lw);
    if (pidfd >= 0)
        close(pidfd);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    ln->child = -1;
    janitor_finish(&ln->jan, 3000);
    addrset_free(&ln->routed);
    return exit_status(st);
}
