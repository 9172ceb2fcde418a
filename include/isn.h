/* Keyed hashes for initial sequence numbers and timestamp offsets (Linux uses SipHash
 * for both: secure_tcp_seq, secure_tcp_ts_off). */
#ifndef RSTCRAFT_ISN_H
#define RSTCRAFT_ISN_H
#include <stdint.h>
uint64_t siphash24_4tuple(const uint64_t key[2], uint32_t saddr, uint32_t daddr,
                          uint16_t sport, uint16_t dport, uint32_t extra);
#endif
