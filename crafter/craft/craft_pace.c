/* Clocks and waiting for `rstcraft craft`. Deadlines are absolute CLOCK_MONOTONIC times so
 * that a late wake-up never shifts the schedule of the probes after it. */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include "craft.h"

/* Set by SIGINT / SIGTERM (craft_main.c): every wait here and every loop stops on it. */
volatile int craft_stop;

uint64_t now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* pcap timestamps are wall-clock: send times must be on the same clock for RTTs */
uint64_t now_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int wait_until(uint64_t deadline_ns, int fd)
{
    uint64_t now = now_mono_ns();
    if (now >= deadline_ns)
        return 0;
    if (fd < 0) {
        struct timespec ts = { (time_t)(deadline_ns / 1000000000ull), (long)(deadline_ns % 1000000000ull) };
        int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        return rc == EINTR ? -1 : 0;
    }
    uint64_t rel = deadline_ns - now;
    struct timespec ts = { (time_t)(rel / 1000000000ull), (long)(rel % 1000000000ull) };
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int rc = ppoll(&p, 1, &ts, NULL);
    if (rc < 0)
        return errno == EINTR ? -1 : 0;
    return rc > 0 ? 1 : 0;
}
