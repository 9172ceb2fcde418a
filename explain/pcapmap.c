/* Classic pcap files read in place: the file is mapped and each record handed over where it
 * lies, with no copy (libpcap reads every record twice through stdio, which costs explain
 * a third of its time on a large file). Only the file format is read here; frames still go
 * through crafter/wire/parse.c. Anything else (pcapng, stdin, a pipe) goes to libpcap. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "explain.h"
#include "rd.h"

#define MAXREC (256u * 1024u)      /* libpcap's largest snapshot length */

static uint32_t u32(const struct xmap *m, size_t off)
{
    uint32_t v;
    memcpy(&v, m->base + off, 4);
    return m->swap ? __builtin_bswap32(v) : v;
}

/* LINKTYPE_ values in files to the DLT_ values of this libpcap, for the types explain reads. */
static int dlt_of(uint32_t lt)
{
    switch (lt & 0x03ffffff) {
    case 1:   return DLT_EN10MB;
    case 101: return DLT_RAW;
    case 113: return DLT_LINUX_SLL;
    case 0:   return DLT_NULL;
    case 108: return DLT_LOOP;
    default:  return (int)(lt & 0x03ffffff);   /* 228, 229, 276 ... are the same numbers */
    }
}

int xmap_open(struct xmap *m, const char *path, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    if (strcmp(path, "-") == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 24) {
        close(fd);
        return 0;                   /* libpcap says what is wrong with it */
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return 0;
    }
    m->fd = fd;
    if (!xmap_buffer(m, p, (size_t)st.st_size)) {
        munmap(p, (size_t)st.st_size);
        close(fd);
        m->fd = -1;
        return 0;                   /* pcapng or not a capture: libpcap decides */
    }
    madvise(p, m->size, MADV_SEQUENTIAL);
    return 1;
}

bool xmap_buffer(struct xmap *m, const uint8_t *base, size_t size)
{
    uint32_t magic;
    if (size < 24)
        return false;
    m->base = base;
    m->size = size;
    memcpy(&magic, m->base, 4);
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        m->swap = false;
    } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        m->swap = true;
    } else {
        m->base = NULL;
        return false;
    }
    m->nsec = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    m->snaplen = u32(m, 16);
    m->dlt = dlt_of(u32(m, 20));
    m->off = 24;
    return true;
}

int xmap_next(struct xmap *m, struct pcap_pkthdr *h, const uint8_t **data, char *err, size_t errlen)
{
    struct rd r = { m->base, m->size };
    if (m->off == m->size)
        return 0;
    if (!rd_have(&r, m->off, 16)) {
        snprintf(err, errlen, "truncated dump file; a record header is cut after %zu bytes",
                 m->size - m->off);
        return -1;
    }
    uint32_t caplen = u32(m, m->off + 8);
    if (caplen > MAXREC) {
        snprintf(err, errlen, "bogus record at byte %zu: captured length %u is larger than %u",
                 m->off, caplen, MAXREC);
        return -1;
    }
    if (!rd_have(&r, m->off + 16, caplen)) {
        snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %zu",
                 caplen, m->size - m->off - 16);
        return -1;
    }
    uint32_t frac = u32(m, m->off + 4);
    h->ts.tv_sec = (time_t)u32(m, m->off);
    h->ts.tv_usec = (suseconds_t)(m->nsec ? frac / 1000 : frac);
    h->caplen = caplen;
    h->len = u32(m, m->off + 12);
    *data = m->base + m->off + 16;
    m->off += 16 + (size_t)caplen;
    /* Pages already read leave our resident set (the page cache keeps them): memory stays
     * the flow table's, not the file's. The record just handed out stays mapped. */
    if (m->fd >= 0 && m->off - m->released > (8u << 20)) {
        size_t upto = (m->off - 16 - caplen) & ~(size_t)4095;
        if (upto > m->released) {
            madvise((void *)(m->base + m->released), upto - m->released, MADV_DONTNEED);
            m->released = upto;
        }
    }
    return 1;
}

void xmap_close(struct xmap *m)
{
    if (m->base)
        munmap((void *)m->base, m->size);
    if (m->fd >= 0)
        close(m->fd);
    m->base = NULL;
    m->fd = -1;
}
