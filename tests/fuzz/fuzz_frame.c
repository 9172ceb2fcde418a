/* libFuzzer target: pkt_parse and pkt_parse_ip on arbitrary bytes, each given an
 * allocation of exactly the input's size so ASan sees a read one byte past it.
 * Invariants: every pointer and offset the parser hands out stays inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct frame *f, const uint8_t *p, size_t len)
{
    char fl[12];
    if (f->err > PKT_E_BAD_ARP || f->data != p || f->len != len)
        abort();
    if (f->payload && (f->payload < p || f->payload_len > len ||
                       (size_t)(f->payload - p) > len - f->payload_len))
        abort();
    if (!f->payload && f->payload_len)
        abort();
    if (f->l4_off > len || f->l4_len > len - f->l4_off)
        abort();
    if (f->l4 == L4_TCP && f->err == PKT_OK && (f->doff < 20 || f->l4_off + f->doff > len))
        abort();
    if (f->opt.nkinds > TCPOPT_MAXLEN || f->opt.nsack > 4)
        abort();
    if (strlen(tcp_flags_str(f->flags, fl)) > 8 || !pkt_strerror(f->err))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    if (size)
        memcpy(p, data, size);
    struct frame f;
    pkt_parse(&f, p, size);
    check(&f, p, size);
    pkt_parse_ip(&f, p, size);
    check(&f, p, size);
    free(p);
    return 0;
}
