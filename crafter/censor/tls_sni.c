/* The server name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), from a stream that
 * may end anywhere. The handshake message is first gathered from the records that carry it
 * (a ClientHello split over several records is legal, and an evasion move), then walked. */
#include <ctype.h>
#include <string.h>
#include "censor_parse.h"
#include "rd.h"

#define TLS_HANDSHAKE      22
#define TLS_CLIENT_HELLO   1
#define EXT_SERVER_NAME    0
#define HELLO_MAX          16384   /* a ClientHello larger than one record's worth: give up */

/* Copy the handshake bytes of the leading handshake records into msg. Returns bytes
 * gathered; *complete when the stream held whole records up to there; -1 on a record that
 * is not a handshake record of TLS 1.x. */
static long gather(const uint8_t *s, size_t len, uint8_t *msg, size_t cap, size_t want)
{
    struct rd r = { s, len };
    size_t off = 0, got = 0;
    while (got < want) {
        if (!rd_have(&r, off, 5))
            break;
        if (rd_u8(&r, off) != TLS_HANDSHAKE || rd_u8(&r, off + 1) != 3)
            return -1;
        size_t rlen = rd_be16(&r, off + 3);
        if (rlen == 0 || rlen > 16384 + 2048)
            return -1;
        size_t avail = len - off - 5 < rlen ? len - off - 5 : rlen;
        size_t take = avail < cap - got ? avail : cap - got;
        memcpy(msg + got, s + off + 5, take);
        got += take;
        if (avail < rlen || take < avail)
            break;
        off += 5 + rlen;
    }
    return (long)got;
}

static enum sniff_result copy_name(struct rd *n, char out[SNIFF_NAME_MAX])
{
    if (n->len == 0 || n->len >= SNIFF_NAME_MAX)
        return SNIFF_NOT;
    for (size_t i = 0; i < n->len; i++) {
        uint8_t c = rd_u8(n, i);
        if (c < 0x21 || c > 0x7e)
            return SNIFF_NOT;
        out[i] = (char)tolower(c);
    }
    out[n->len] = 0;
    return SNIFF_FOUND;
}

/* Walk a complete ClientHello body (after the 4-byte handshake header). */
static enum sniff_result walk_hello(const struct rd *h, char out[SNIFF_NAME_MAX])
{
    size_t off = 2 + 32;                           /* legacy_version, random */
    RD_NEED(h, off, 1, bad);
    off += 1 + rd_u8(h, off);                      /* session id */
    RD_NEED(h, off, 2, bad);
    off += 2 + rd_be16(h, off);                    /* cipher suites */
    RD_NEED(h, off, 1, bad);
    off += 1 + rd_u8(h, off);                      /* compression methods */
    if (off == h->len)
        return SNIFF_NONE;                         /* no extensions at all */
    RD_NEED(h, off, 2, bad);
    size_t elen = rd_be16(h, off);
    off += 2;
    RD_NEED(h, off, elen, bad);
    struct rd ext = rd_sub(h, off, elen);
    for (size_t e = 0; e < ext.len;) {
        RD_NEED(&ext, e, 4, bad);
        uint16_t type = rd_be16(&ext, e);
        size_t l = rd_be16(&ext, e + 2);
        RD_NEED(&ext, e + 4, l, bad);
        if (type == EXT_SERVER_NAME) {
            struct rd sn = rd_sub(&ext, e + 4, l);
            RD_NEED(&sn, 0, 2, bad);
            size_t list = rd_be16(&sn, 0);
            RD_NEED(&sn, 2, list, bad);
            for (size_t i = 2; i < 2 + list;) {
                RD_NEED(&sn, i, 3, bad);
                uint8_t kind = rd_u8(&sn, i);
                size_t nl = rd_be16(&sn, i + 1);
                RD_NEED(&sn, i + 3, nl, bad);
                if (kind == 0) {                   /* host_name */
                    struct rd name = rd_sub(&sn, i + 3, nl);
                    return copy_name(&name, out);
                }
                i += 3 + nl;
            }
            return SNIFF_NONE;
        }
        e += 4 + l;
    }
    return SNIFF_NONE;
bad:
    return SNIFF_NOT;
}

enum sniff_result tls_sni(const uint8_t *stream, size_t len, char out[SNIFF_NAME_MAX])
{
    static _Thread_local uint8_t msg[HELLO_MAX + 4];
    out[0] = 0;
    long got = gather(stream, len, msg, sizeof msg, 4);
    if (got < 0)
        return SNIFF_NOT;
    if (got < 4)
        return SNIFF_MORE;
    if (msg[0] != TLS_CLIENT_HELLO)
        return SNIFF_NOT;
    size_t body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
    if (body > HELLO_MAX)
        return SNIFF_NOT;
    got = gather(stream, len, msg, sizeof msg, body + 4);
    if (got < 0)
        return SNIFF_NOT;
    if ((size_t)got < body + 4)
        return SNIFF_MORE;
    struct rd h = { msg + 4, body };
    return walk_hello(&h, out);
}
