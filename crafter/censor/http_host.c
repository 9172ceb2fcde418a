/* The Host header of an HTTP/1.x request (RFC 9112 §3.2), from a stream that may end
 * anywhere. Only the request's header block is read; a header name is matched without
 * regard to case, the value is trimmed of spaces and tabs, lower-cased, and its port cut. */
#include <ctype.h>
#include <string.h>
#include "censor_parse.h"
#include "rd.h"

#define HEADER_MAX 8192     /* a request whose header block is longer is not inspected */

static bool is_tchar(uint8_t c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The request line: METHOD SP target SP HTTP/1.x. Returns the offset after its CRLF, 0 when
 * it has not ended yet, -1 when this is not one. */
static long request_line(const struct rd *r)
{
    size_t i = 0;
    while (i < r->len && is_tchar(rd_u8(r, i)))
        i++;
    if (i == r->len)
        return i > 16 ? -1 : 0;
    if (i == 0 || rd_u8(r, i) != ' ')
        return -1;
    for (; i < r->len; i++) {
        uint8_t c = rd_u8(r, i);
        if (c == '\n') {
            size_t stop = i > 0 && rd_u8(r, i - 1) == '\r' ? i - 1 : i;   /* "... HTTP/1.x" */
            return (stop >= 9 && memcmp(r->p + stop - 9, " HTTP/1.", 8) == 0) ? (long)i + 1 : -1;
        }
        if (c < 0x20 && c != '\r')
            return -1;
    }
    return 0;
}

enum sniff_result http_host(const uint8_t *stream, size_t len, char out[SNIFF_NAME_MAX])
{
    out[0] = 0;
    struct rd r = { stream, len < HEADER_MAX ? len : HEADER_MAX };
    long start = request_line(&r);
    if (start < 0)
        return SNIFF_NOT;
    if (start == 0)
        return len >= HEADER_MAX ? SNIFF_NOT : SNIFF_MORE;
    for (size_t line = (size_t)start; line < r.len;) {
        const uint8_t *nl = memchr(r.p + line, '\n', r.len - line);
        if (!nl)
            break;
        size_t end = (size_t)(nl - r.p);          /* the '\n' */
        size_t stop = end > line && rd_u8(&r, end - 1) == '\r' ? end - 1 : end;
        if (stop == line)
            return SNIFF_NONE;                     /* blank line: headers over, no Host */
        if (stop - line > 5 && strncasecmp((const char *)r.p + line, "host:", 5) == 0) {
            size_t v = line + 5, ve = stop;
            while (v < ve && (rd_u8(&r, v) == ' ' || rd_u8(&r, v) == '\t'))
                v++;
            while (ve > v && (rd_u8(&r, ve - 1) == ' ' || rd_u8(&r, ve - 1) == '\t'))
                ve--;
            size_t n = 0;
            bool bracket = v < ve && rd_u8(&r, v) == '[';
            for (size_t i = v; i < ve; i++) {
                uint8_t c = rd_u8(&r, i);
                if (c == ']' && bracket) {
                    out[n++] = ']';
                    break;
                }
                if (c == ':' && !bracket)
                    break;                         /* the port */
                if (c < 0x21 || c > 0x7e || n + 2 >= SNIFF_NAME_MAX)
                    return SNIFF_NOT;
                out[n++] = (char)tolower(c);
            }
            out[n] = 0;
            return n ? SNIFF_FOUND : SNIFF_NOT;
        }
        line = end + 1;
    }
    return len >= HEADER_MAX ? SNIFF_NOT : SNIFF_MORE;
}
