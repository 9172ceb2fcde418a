/* The -w file: a classic pcap (Ethernet, microseconds) written through a bounded buffer.
 * libpcap's pcap_dump writes through stdio and says nothing when a write fails, so a full
 * disk left a record cut in half and every later frame unreadable. Here a failed write is
 * undone (the file is cut back to its last whole record), the frames it carried are
 * counted as dropped, and the next flush tries again: the file stays a valid pcap. */
#ifndef RSTCRAFT_PCAPW_H
#define RSTCRAFT_PCAPW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct pcapw {
    int      fd;
    char     path[256];
    uint8_t *buf;
    size_t   cap, len;
    uint32_t nbuf;          /* frames in buf */
    uint32_t snaplen;
    uint64_t good;          /* file size up to the last whole record written */
    uint64_t frames, dropped;
    int      last_errno;    /* the write error last reported (reported once per errno) */
};

#define PCAPW_ERRLEN 512
/* Create path (truncated; "-": standard output) with its header. Returns 0, or -1 with one line in err. */
int  pcapw_open(struct pcapw *w, const char *path, uint32_t snaplen, char *err);
/* One frame; written when the buffer fills (or at pcapw_flush). When it does not fit even
 * after a flush, the frame is dropped and counted. */
void pcapw_frame(struct pcapw *w, const struct timeval *ts, const uint8_t *data,
                 uint32_t caplen, uint32_t len);
/* Write what is buffered. Returns 0, or -1 when the write failed (frames dropped). */
int  pcapw_flush(struct pcapw *w);
void pcapw_close(struct pcapw *w);
#endif
