/* libFuzzer target: the `rstcraft craft` option parsers (flags, intervals, hex, ports, SACK,
 * timestamps, MAC) and the whole command line, on arbitrary bytes. Invariants: errors are
 * one line; accepted options encode to at most 40 bytes, padded to 4. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "craft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *err)
{
    if (strchr(err, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct craft_opts o;
    char err[CRAFT_ERRLEN];
    if (size == 0 || size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    craft_allow_names = false;
    err[0] = 0;
    switch (data[0] % 9) {
    case 0: {
        uint8_t f;
        if (craft_parse_flags(s, &f, err, sizeof err) < 0) one_line(err);
        break;
    }
    case 1: {
        uint64_t ns;
        if (craft_parse_interval(s, &ns, err, sizeof err) < 0) one_line(err);
        else if (ns > 3600ull * 1000000000ull) abort();
        break;
    }
    case 2: {
        uint8_t b[64];
        size_t n;
        if (craft_parse_hex(s, b, sizeof b, &n, err, sizeof err) < 0) one_line(err);
        else if (n == 0 || n > sizeof b) abort();
        break;
    }
    case 3: {
        struct portrange r[8];
        size_t n;
        uint32_t total;
        if (craft_parse_ports(s, r, 8, &n, &total, err, sizeof err) < 0) one_line(err);
        else for (size_t i = 0; i < n; i++) if (r[i].lo > r[i].hi) abort();
        break;
    }
    case 4: {
        struct optitem it;
        if (craft_parse_sack(s, &it, err, sizeof err) < 0) one_line(err);
        else if (it.nsack < 1 || it.nsack > 4) abort();
        break;
    }
    case 5: {
        struct optitem it;
        if (craft_parse_ts(s, &it, err, sizeof err) < 0) one_line(err);
        break;
    }
    case 6: {
        uint8_t mac[6];
        if (craft_parse_mac(s, mac, err, sizeof err) < 0) one_line(err);
        break;
    }
    case 7: {
        uint64_t v;
        if (craft_parse_uint(s, 65535, &v, "--mss", err, sizeof err) < 0) one_line(err);
        else if (v > 65535) abort();
        break;
    }
    default: {
        /* a command line: NUL / newline separated words; no file reads, no -h output */
        if (strstr(s, "data-file") || strstr(s, "-h"))
            break;
        char *argv[64];
        int argc = 0;
        argv[argc++] = (char *)"craft";
        for (char *t = strtok(s, "\n"); t && argc < 63; t = strtok(NULL, "\n"))
            argv[argc++] = t;
        argv[argc] = NULL;
        int rc = craft_parse_args(&o, argc, argv, err, sizeof err);
        if (rc < 0)
            one_line(err);
        else if (rc == 0 && (o.optlen > 40 || o.optlen % 4 || o.dlen > CRAFT_MAXDATA || o.nports == 0))
            abort();
        break;
    }
    }
    free(s);
    return 0;
}
