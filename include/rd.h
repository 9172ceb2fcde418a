/* Bounds-checked reads of packet bytes, in the spirit of tcpdump's GET_* macros:
 * every access to wire data goes through these, so a lying length can only make a
 * parser say "truncated", never read past the capture. */
#ifndef RSTCRAFT_RD_H
#define RSTCRAFT_RD_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct rd {
    const uint8_t *p;   /* start of the region */
    size_t len;         /* bytes available from p */
};

static inline bool rd_have(const struct rd *r, size_t off, size_t n)
{
    return off <= r->len && n <= r->len - off;
}
static inline uint8_t rd_u8(const struct rd *r, size_t off)
{
    return r->p[off];
}
static inline uint16_t rd_be16(const struct rd *r, size_t off)
{
    return (uint16_t)((uint16_t)r->p[off] << 8 | r->p[off + 1]);
}
static inline uint32_t rd_be32(const struct rd *r, size_t off)
{
    return (uint32_t)r->p[off] << 24 | (uint32_t)r->p[off + 1] << 16 |
           (uint32_t)r->p[off + 2] << 8 | (uint32_t)r->p[off + 3];
}
/* A sub-region [off, off+n) of r; caller checked rd_have first. */
static inline struct rd rd_sub(const struct rd *r, size_t off, size_t n)
{
    struct rd s = { r->p + off, n };
    return s;
}

/* Checked form: jump to `bad` when the bytes are not there; then rd_* reads are safe. */
#define RD_NEED(r, off, n, bad)   do { if (!rd_have((r), (off), (n))) goto bad; } while (0)
#endif
