/* cpu_latency_hold: the interface the kernel gives for a wake-up budget
 * (Documentation/power/pm_qos_interface.rst): open /dev/cpu_dma_latency, write the
 * bound as a 32-bit integer, keep the file open. cyclictest and tuned's latency profiles
 * hold it the same way.
 *
 * Why a sleeping censor wants it: it is woken by the CPU that received the trigger, and
 * an idle CPU that halted comes back slowly. On this project's 2-core VM a halted vCPU
 * took a median 29-31 us to run the woken thread; held at 0, idle CPUs poll, the waker
 * sets a flag instead of sending an interrupt, and the same wake-up took 4.2 us (a pipe
 * ping-pong between two pinned threads, and scripts/bench censor). The price is that idle
 * CPUs spin, on every CPU, for as long as it is held. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cpu_latency.h"

#define QOS_DEV "/dev/cpu_dma_latency"

int cpu_latency_hold(int32_t us, char *err, size_t errlen)
{
    if (us < 0 || us > CPU_LATENCY_MAX_US) {
        snprintf(err, errlen, "CPU latency must be 0 to %d us", CPU_LATENCY_MAX_US);
        return -1;
    }
    int fd = open(QOS_DEV, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot hold a CPU latency request: %s: %s%s", QOS_DEV, strerror(errno),
                 errno == EACCES || errno == EPERM ? " (needs root)" : "");
        return -1;
    }
    if (write(fd, &us, sizeof us) != (ssize_t)sizeof us) {
        snprintf(err, errlen, "cannot hold a CPU latency request: writing %s: %s", QOS_DEV, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
