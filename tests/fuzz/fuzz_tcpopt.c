/* libFuzzer target: TCP options. The input is decoded as an option block (exact-size
 * copy), and also read as a list of items to encode: whatever encodes must be a multiple
 * of 4, at most 40 bytes, and decode again without a complaint. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "build.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *d, size_t size, size_t *at)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | (*at < size ? d[(*at)++] : 0);
    return v;
}

static void encode_items(const uint8_t *d, size_t size)
{
    struct optitem it[16];
    size_t n = 0, at = 0;
    memset(it, 0, sizeof it);
    while (at < size && n < 16) {
        struct optitem *x = &it[n++];
        x->kind = (uint8_t)(d[at++] % 10);      /* includes kinds that are not valid */
        x->nsack = at < size ? d[at++] % 6 : 0;
        x->mss = (uint16_t)get32(d, size, &at);
        x->ws = (uint8_t)x->mss;
        x->tsval = get32(d, size, &at);
        x->tsecr = get32(d, size, &at);
        for (int b = 0; b < 4; b++) {
            x->sack[b].l = x->tsval + (uint32_t)b;
            x->sack[b].r = x->tsecr - (uint32_t)b;
        }
        if (x->kind == OI_RAW) {
            size_t rl = at < size ? d[at++] % 48 : 0;
            if (rl > size - at)
                rl = size - at;
            x->raw = d + at;
            x->rawlen = (uint8_t)rl;
            at += rl;
        }
    }
    uint8_t out[TCPOPT_MAXLEN];
    int len = tcpopt_encode(out, it, n);
    if (len < 0)
        return;
    if (len > TCPOPT_MAXLEN || len % 4)
        abort();
    bool raw = false;
    for (size_t i = 0; i < n; i++)
        raw |= it[i].kind == OI_RAW;
    struct tcp_opts o;
    if (!tcpopt_parse(&o, out, (size_t)len) && !raw)
        abort();                                 /* our own encoding must decode cleanly */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    if (size)
        memcpy(p, data, size);
    struct tcp_opts o;
    bool ok = tcpopt_parse(&o, p, size);
    if (ok == o.malformed || o.nkinds > TCPOPT_MAXLEN || o.nsack > 4)
        abort();
    free(p);
    encode_items(data, size);
    return 0;
}
