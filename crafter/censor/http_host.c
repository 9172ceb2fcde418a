/* The Host header of an HTTP/1.x request (RFC 9112 §3.2), from a stream that may end
 * anywhere. Only the request's header block is read; a header name is matched without
 * regard to case, the value is trimmed of spaces and tabs, lower-cased, and its port cut. */
#include <string.h>
#include "censor_parse.h"
#include "rd.h"

#define HEADER_MAX 8192     /* a request whose header block is longer is not inspected */

/* RFC 9110 tchar, by table: the request line is read on the censor's path from trigger to
 * reset, and isalnum/strchr per byte were library calls there */
static const bool tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static bool is_tchar(uint8_t c)
{
    return tchar[c];
}

static char ascii_lower(uint8_t c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
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
        const uint8_t *h = r.p + line;
        if (stop - line > 5 && (h[0] | 0x20) == 'h' && (h[1] | 0x20) == 'o' && (h[2] | 0x20) == 's' &&
            (h[3] | 0x20) == 't' && h[4] == ':') {
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
                out[n++] = ascii_lower(c);
            }
            out[n] = 0;
            return n ? SNIFF_FOUND : SNIFF_NOT;
        }
        line = end + 1;
    }
    return len >= HEADER_MAX ? SNIFF_NOT : SNIFF_MORE;
}
