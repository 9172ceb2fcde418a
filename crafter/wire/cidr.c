/* IPv4 address and block parsing (include/cidr.h). */
#include <string.h>
#include "cidr.h"

bool ip4_parse(const char *s, uint32_t *out)
{
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        if (part && *s++ != '.')
            return false;
        /* no leading zeros: inet_aton would read "010" as octal 8, inet_pton refuses it */
        if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
            return false;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        a = a << 8 | v;
    }
    if (*s)
        return false;
    *out = a;
    return true;
}

/* Host bits under the mask are ignored (198.18.0.10/29 is .8-.15), as nmap and ip(8) read it. */
int cidr_parse(const char *s, uint32_t *addr, uint32_t *mask)
{
    char buf[16];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    uint32_t a;
    if (alen >= sizeof buf)
        return CIDR_BAD_ADDR;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (!ip4_parse(buf, &a))
        return CIDR_BAD_ADDR;
    unsigned len = 32;
    if (slash) {
        const char *p = slash + 1;
        unsigned v = 0, digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (digits == 0 || *p || v > 32 || (digits > 1 && slash[1] == '0'))
            return CIDR_BAD_PREFIX;
        len = v;
    }
    *mask = len ? ~0u << (32 - len) : 0;
    *addr = a & *mask;
    return CIDR_OK;
}
