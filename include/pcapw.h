/* The -w file: a classic pcap (Ethernet, microseconds) written by a thread of its own
 * through two bounded buffers: the caller fills one while the thread writes the other, so
 * the caller (the answer path) never waits for the disk. libpcap's pcap_dump writes
 * through stdio in the caller and says nothing when a write fails, so a full disk left a
 * record cut in half and every later frame unreadable, and a slow disk held up the
 * answers. Here a frame that finds both buffers taken (the disk fell behind) is dropped
 * and counted; a failed write is undone (the file is cut back to its last whole record),
 * its frames counted as dropped, and the next write tries again: the file stays a valid
 * pcap. */
#ifndef RSTCRAFT_PCAPW_H
#define RSTCRAFT_PCAPW_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct pcapw {
    int      fd;
    char     path[256];
    uint8_t *buf[2];
    size_t   cap;
    int      fill;          /* the caller's buffer: buf[fill], len bytes, nbuf frames */
    size_t   len;
    uint32_t nbuf;
    uint32_t snaplen;
    /* the writer thread's: the other buffer, while busy */
    pthread_t       th;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    bool     threaded;      /* the thread runs (else the caller writes, as a fallback) */
    bool     busy, quit;
    size_t   wlen;
    uint32_t wn;
    uint64_t good;          /* file size up to the last whole record written */
    int      last_errno;    /* the write error last reported (reported once per errno) */
    /* read with __atomic_load_n while the thread runs */
    uint64_t frames;        /* written */
    uint64_t dropped;       /* lost to a failed write (a full disk) */
    uint64_t dropped_slow;  /* no room in either buffer: the disk did not keep up */
};

#define PCAPW_ERRLEN 512
/* Create path (truncated; "-": standard output) with its header. Returns 0, or -1 with one line in err. */
int  pcapw_open(struct pcapw *w, const char *path, uint32_t snaplen, char *err);
/* One frame, into the caller's buffer; handed to the writer once 32 KiB wait (or at
 * pcapw_flush). When it finds no room, the frame is dropped and counted. */
void pcapw_frame(struct pcapw *w, const struct timeval *ts, const uint8_t *data,
                 uint32_t caplen, uint32_t len);
/* Hand what is buffered to the writer, if it is free (never waits). */
void pcapw_flush(struct pcapw *w);
/* Frames dropped so far, for any reason (safe while the writer runs). */
uint64_t pcapw_dropped(struct pcapw *w);
/* Write everything still buffered (this waits for the disk), then close. */
void pcapw_close(struct pcapw *w);
#endif
