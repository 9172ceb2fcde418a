/* IPv4 address and block parsing (include/cidr.h). */
#include <string.h>
#include <arpa/inet.h>
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

/* The prefix length after the '/' at slash: digits only, no leading zero, at most max. */
static bool prefix_parse(const char *slash, unsigned max, unsigned *out)
{
    const char *p = slash + 1;
    unsigned v = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3) {
        v = v * 10 + (unsigned)(*p++ - '0');
        digits++;
    }
    if (digits == 0 || *p || v > max || (digits > 1 && slash[1] == '0'))
        return false;
    *out = v;
    return true;
}

/* The address part of "ADDR[/N]" into buf; false when it cannot be an address. */
static bool addr_part(const char *s, const char *slash, char *buf, size_t cap)
{
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen >= cap)
        return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    return true;
}

/* Host bits under the mask are ignored (198.18.0.10/29 is .8-.15), as nmap and ip(8) read it. */
int cidr_parse(const char *s, uint32_t *addr, uint32_t *mask)
{
    char buf[16];
    const char *slash = strchr(s, '/');
    uint32_t a;
    if (!addr_part(s, slash, buf, sizeof buf) || !ip4_parse(buf, &a))
        return CIDR_BAD_ADDR;
    unsigned len = 32;
    if (slash && !prefix_parse(slash, 32, &len))
        return CIDR_BAD_PREFIX;
    *mask = len ? ~0u << (32 - len) : 0;
    *addr = a & *mask;
    return CIDR_OK;
}

int cidr6_parse(const char *s, uint8_t addr[16], unsigned *plen)
{
    char buf[INET6_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    if (!addr_part(s, slash, buf, sizeof buf) || !strchr(buf, ':') ||
        inet_pton(AF_INET6, buf, addr) != 1)
        return CIDR_BAD_ADDR;
    unsigned len = 128;
    if (slash && !prefix_parse(slash, 128, &len))
        return CIDR_BAD_PREFIX;
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        addr[i] &= (uint8_t)(0xff00u >> keep);
    }
    *plen = len;
    return CIDR_OK;
}
