/* What `rstcraft censor` reads in a client's first bytes: the server name of a TLS
 * ClientHello and the Host header of an HTTP request. Both parse a byte stream that may
 * still be incomplete (the first segments of a connection), through checked reads only. */
#ifndef RSTCRAFT_CENSOR_PARSE_H
#define RSTCRAFT_CENSOR_PARSE_H
#include <stddef.h>
#include <stdint.h>

enum sniff_result {
    SNIFF_FOUND = 1,       /* the name is in out */
    SNIFF_MORE = 0,        /* the stream may still become one: wait for more bytes */
    SNIFF_NONE = -1,       /* complete, and it has no such name */
    SNIFF_NOT = -2,        /* not this protocol, or malformed: never will */
};

#define SNIFF_NAME_MAX 256

/* The server_name (host_name type) of the TLS ClientHello at the start of stream, which
 * may span several TLS records and arrive in pieces. out gets a NUL-terminated, lower-cased
 * name (at most SNIFF_NAME_MAX - 1 bytes). */
enum sniff_result tls_sni(const uint8_t *stream, size_t len, char out[SNIFF_NAME_MAX]);

/* The Host header of the HTTP/1.x request at the start of stream, lower-cased and without
 * its port. SNIFF_MORE until the end of the headers or the Host line has arrived. */
enum sniff_result http_host(const uint8_t *stream, size_t len, char out[SNIFF_NAME_MAX]);
#endif
