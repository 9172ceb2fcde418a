/* A CPU latency request to the kernel's power management (PM QoS). */
#ifndef RSTCRAFT_CPU_LATENCY_H
#define RSTCRAFT_CPU_LATENCY_H
#include <stddef.h>
#include <stdint.h>

#define CPU_LATENCY_MAX_US 1000000
/* Ask that no CPU take longer than us microseconds to leave its idle state (0: idle CPUs
 * poll instead of halting). The request lasts while the returned descriptor is open; the
 * kernel drops it when it closes, also when the process is killed. Returns the descriptor,
 * or -1 with one line in err. */
int cpu_latency_hold(int32_t us, char *err, size_t errlen);

#endif
