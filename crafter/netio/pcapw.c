/* pcap file format: pcap-savefile(5) (global header, then a 16-byte header per record,
 * host byte order, the magic number telling readers which that is). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pcapw.h"

/* Handed to the writer once 32 KiB wait (about what stdio did for pcap_dump), and at each
 * pcapw_flush; while the writer is busy the caller's buffer takes up to 256 KiB more
 * (a third of a second of SYNs and their answers at 5,000 a second) */
#define PCAPW_FLUSH_AT (32u * 1024)
#define PCAPW_BUF (PCAPW_FLUSH_AT + 262144u + 16u)

struct rec_hdr {
    uint32_t sec, usec, caplen, len;
};

/* Write n bytes of whole records at the end of the file. On a failed write, cut the file
 * back to its last whole record and count the frames lost. (The writer thread's, or the
 * caller's when there is no thread.) */
static void write_records(struct pcapw *w, const uint8_t *buf, size_t n, uint32_t nrec)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(w->fd, buf + done, n - done);
        if (k > 0) {
            done += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        int e = k < 0 ? errno : ENOSPC;
        /* keep the records written whole; cut the file back to the last of them, so that
         * it stays readable */
        size_t keep = 0;
        uint32_t kept = 0;
        for (;;) {
            struct rec_hdr h;
            if (keep + sizeof h > done)
                break;
            memcpy(&h, buf + keep, sizeof h);
            if (keep + sizeof h + h.caplen > done)
                break;
            keep += sizeof h + h.caplen;
            kept++;
        }
        w->good += keep;
        __atomic_add_fetch(&w->frames, kept, __ATOMIC_RELAXED);
        if (ftruncate(w->fd, (off_t)w->good) != 0 || lseek(w->fd, (off_t)w->good, SEEK_SET) < 0)
            e = errno;
        if (e != w->last_errno)
            fprintf(stderr, "rstcraft: -w %s: %s: frames that do not fit are dropped and "
                    "counted\n", w->path, strerror(e));
        w->last_errno = e;
        __atomic_add_fetch(&w->dropped, nrec - kept, __ATOMIC_RELAXED);
        return;
    }
    w->good += n;
    __atomic_add_fetch(&w->frames, nrec, __ATOMIC_RELAXED);
}

static void *writer(void *arg)
{
    struct pcapw *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->busy)
            break;
        const uint8_t *buf = w->buf[!w->fill];
        size_t n = w->wlen;
        uint32_t nrec = w->wn;
        pthread_mutex_unlock(&w->mu);
        write_records(w, buf, n, nrec);   /* the disk's time, not the caller's */
        pthread_mutex_lock(&w->mu);
        w->busy = false;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* The caller's buffer to the writer, when the writer is free: true when handed over. */
static bool hand_over(struct pcapw *w)
{
    if (w->len == 0)
        return true;
    if (!w->threaded) {
        write_records(w, w->buf[w->fill], w->len, w->nbuf);
        w->len = 0;
        w->nbuf = 0;
        return true;
    }
    bool done = false;
    pthread_mutex_lock(&w->mu);
    if (!w->busy) {
        w->wlen = w->len;
        w->wn = w->nbuf;
        w->fill = !w->fill;
        w->busy = true;
        w->len = 0;
        w->nbuf = 0;
        pthread_cond_signal(&w->cv);
        done = true;
    }
    pthread_mutex_unlock(&w->mu);
    return done;
}

int pcapw_open(struct pcapw *w, const char *path, uint32_t snaplen, char *err)
{
    memset(w, 0, sizeof *w);
    /* "-": standard output, as libpcap's pcap_dump_open takes it */
    w->fd = strcmp(path, "-") == 0 ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
                                   : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, PCAPW_ERRLEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    w->snaplen = snaplen;
    w->cap = PCAPW_BUF;
    w->buf[0] = malloc(w->cap);
    w->buf[1] = malloc(w->cap);
    struct { uint32_t magic; uint16_t major, minor; int32_t zone; uint32_t sigfigs, snap, link; }
        h = { 0xa1b2c3d4u, 2, 4, 0, 0, snaplen, 1 /* LINKTYPE_ETHERNET */ };
    bool mem = w->buf[0] && w->buf[1];
    if (!mem || write(w->fd, &h, sizeof h) != (ssize_t)sizeof h) {
        snprintf(err, PCAPW_ERRLEN, "%s: %s", path, mem ? strerror(errno) : "out of memory");
        pcapw_close(w);
        return -1;
    }
    w->good = sizeof h;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    /* without a thread the caller writes, as before: slower, never wrong */
    w->threaded = pthread_create(&w->th, NULL, writer, w) == 0;
    return 0;
}

void pcapw_flush(struct pcapw *w)
{
    if (w->fd >= 0)
        (void)hand_over(w);
}

void pcapw_frame(struct pcapw *w, const struct timeval *ts, const uint8_t *data,
                 uint32_t caplen, uint32_t len)
{
    if (w->fd < 0)
        return;
    if (caplen > w->snaplen)
        caplen = w->snaplen;
    size_t need = sizeof(struct rec_hdr) + caplen;
    if (w->len + need > w->cap && !hand_over(w)) {
        __atomic_add_fetch(&w->dropped_slow, 1, __ATOMIC_RELAXED);
        return;
    }
    uint8_t *b = w->buf[w->fill] + w->len;
    struct rec_hdr h = { (uint32_t)ts->tv_sec, (uint32_t)ts->tv_usec, caplen, len };
    memcpy(b, &h, sizeof h);
    memcpy(b + sizeof h, data, caplen);
    w->len += need;
    w->nbuf++;
    if (w->len >= PCAPW_FLUSH_AT)
        (void)hand_over(w);
}

uint64_t pcapw_dropped(struct pcapw *w)
{
    return __atomic_load_n(&w->dropped, __ATOMIC_RELAXED) +
           __atomic_load_n(&w->dropped_slow, __ATOMIC_RELAXED);
}

void pcapw_close(struct pcapw *w)
{
    if (w->threaded) {
        /* what the caller still holds goes after the buffer being written; then stop */
        pthread_mutex_lock(&w->mu);
        while (w->busy)
            pthread_cond_wait(&w->cv, &w->mu);
        pthread_mutex_unlock(&w->mu);
        (void)hand_over(w);
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        w->threaded = false;
    } else if (w->fd >= 0 && w->len) {
        (void)hand_over(w);
    }
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    free(w->buf[0]);
    free(w->buf[1]);
    w->buf[0] = w->buf[1] = NULL;
}
