/* ICMPv6 echo replies and port unreachables (include/icmp6_answer.h), through the one
 * IPv6 frame builder (crafter/build6.c). */
#include <string.h>
#include "be.h"
#include "craft.h"
#include "icmp6_answer.h"

bool icmp6_may_answer(const struct frame *f)
{
    static const uint8_t unspec[16];
    if (f->l3 != L3_IPV6 || f->err != PKT_OK || (f->eth_dst[0] & 1) || (f->eth_src[0] & 1))
        return false;
    if (f->saddr6[0] == 0xff || f->daddr6[0] == 0xff || memcmp(f->saddr6, unspec, 16) == 0)
        return false;
    if (f->l4 == L4_ICMP6)
        return f->icmp_type == ICMP6_ECHO_REQUEST && f->icmp_code == 0;
    return f->l4 == L4_UDP;
}

static size_t answer(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const struct frame *f,
                     uint8_t tclass, uint8_t hlim, uint32_t label, const uint8_t hdr[8],
                     const uint8_t *data, size_t dlen)
{
    struct l3_spec l3;
    memset(&l3, 0, sizeof l3);
    l3.v6 = true;
    memcpy(l3.ip6.saddr, f->daddr6, 16);
    memcpy(l3.ip6.daddr, f->saddr6, 16);
    l3.ip6.hlim = hlim;
    l3.ip6.tclass = tclass;
    l3.ip6.flowlabel = label;
    return build_l3_frame(buf, cap, src_mac, f->eth_src, &l3, 58, hdr, 8, data, dlen, 2, false);
}

size_t icmp6_echo_reply(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const struct frame *f,
                        uint8_t hlim, uint32_t label)
{
    uint8_t hdr[8] = { ICMP6_ECHO_REPLY, 0 };
    put16(hdr + 4, f->icmp_id);
    put16(hdr + 6, f->icmp_seq);
    return answer(buf, cap, src_mac, f, f->tos, hlim, label, hdr, f->payload, f->payload_len);
}

size_t icmp6_port_unreach(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const struct frame *f,
                          uint8_t hlim, uint32_t label)
{
    uint8_t hdr[8] = { ICMP6_UNREACH, ICMP6_UNREACH_PORT };
    /* the offending packet from its IPv6 header on, as much as was captured and as the
     * minimum MTU leaves room for */
    size_t have = f->len - f->l3_off, n = f->ip_totlen < have ? f->ip_totlen : have;
    if (n > ICMP6_QUOTE_MAX)
        n = ICMP6_QUOTE_MAX;
    return answer(buf, cap, src_mac, f, 0, hlim, label, hdr, f->data + f->l3_off, n);
}
