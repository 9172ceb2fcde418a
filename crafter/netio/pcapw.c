/* pcap file format: pcap-savefile(5) (global header, then a 16-byte header per record,
 * host byte order, the magic number telling readers which that is). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pcapw.h"

/* Written once 32 KiB wait (about what stdio did for pcap_dump), and at each netio_flush;
 * room for the largest record on top of that */
#define PCAPW_FLUSH_AT (32u * 1024)
#define PCAPW_BUF (PCAPW_FLUSH_AT + 262144u + 16u)

struct rec_hdr {
    uint32_t sec, usec, caplen, len;
};

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
    w->buf = malloc(w->cap);
    struct { uint32_t magic; uint16_t major, minor; int32_t zone; uint32_t sigfigs, snap, link; }
        h = { 0xa1b2c3d4u, 2, 4, 0, 0, snaplen, 1 /* LINKTYPE_ETHERNET */ };
    if (!w->buf || write(w->fd, &h, sizeof h) != (ssize_t)sizeof h) {
        snprintf(err, PCAPW_ERRLEN, "%s: %s", path, w->buf ? strerror(errno) : "out of memory");
        pcapw_close(w);
        return -1;
    }
    w->good = sizeof h;
    return 0;
}

int pcapw_flush(struct pcapw *w)
{
    if (w->fd < 0 || w->len == 0)
        return 0;
    size_t done = 0;
    while (done < w->len) {
        ssize_t k = write(w->fd, w->buf + done, w->len - done);
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
            memcpy(&h, w->buf + keep, sizeof h);
            if (keep + sizeof h + h.caplen > done)
                break;
            keep += sizeof h + h.caplen;
            kept++;
        }
        w->good += keep;
        w->frames += kept;
        if (ftruncate(w->fd, (off_t)w->good) != 0 || lseek(w->fd, (off_t)w->good, SEEK_SET) < 0)
            e = errno;
        if (e != w->last_errno)
            fprintf(stderr, "rstcraft: -w %s: %s: frames that do not fit are dropped and "
                    "counted\n", w->path, strerror(e));
        w->last_errno = e;
        w->dropped += w->nbuf - kept;
        w->len = 0;
        w->nbuf = 0;
        return -1;
    }
    w->good += w->len;
    w->frames += w->nbuf;
    w->len = 0;
    w->nbuf = 0;
    return 0;
}

void pcapw_frame(struct pcapw *w, const struct timeval *ts, const uint8_t *data,
                 uint32_t caplen, uint32_t len)
{
    if (w->fd < 0)
        return;
    if (caplen > w->snaplen)
        caplen = w->snaplen;
    size_t need = sizeof(struct rec_hdr) + caplen;
    if (w->len + need > w->cap)
        (void)pcapw_flush(w);
    if (w->len + need > w->cap) {
        w->dropped++;
        return;
    }
    struct rec_hdr h = { (uint32_t)ts->tv_sec, (uint32_t)ts->tv_usec, caplen, len };
    memcpy(w->buf + w->len, &h, sizeof h);
    memcpy(w->buf + w->len + sizeof h, data, caplen);
    w->len += need;
    w->nbuf++;
    if (w->len >= PCAPW_FLUSH_AT)
        (void)pcapw_flush(w);
}

void pcapw_close(struct pcapw *w)
{
    (void)pcapw_flush(w);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
}
