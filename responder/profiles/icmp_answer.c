/* ICMP echo replies and port-unreachable messages, laid out byte by byte: the quoted
 * datagram has to come back exactly as the emulated OS returns it (nmap's U1 test checks
 * its length, ID, checksums and data), which a generic builder would "fix". */
#include <string.h>
#include "be.h"
#include "csum.h"
#include "icmp_answer.h"

static uint16_t cksum(const uint8_t *p, size_t n)
{
    return csum_fold(csum_partial(p, n, 0));
}

static uint16_t swap16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }

static bool one_host(uint32_t a)
{
    return a != 0 && a != 0xffffffffu && (a >> 28) != 0xe && (a >> 24) != 127;
}

bool icmp_may_answer(const struct frame *f)
{
    if (f->l3 != L3_IPV4 || f->err != PKT_OK || f->mf || f->frag_off)
        return false;
    if ((f->eth_dst[0] & 1) || (f->eth_src[0] & 1))
        return false;
    if (!one_host(f->saddr) || !one_host(f->daddr))
        return false;
    if (f->l4 == L4_ICMP && f->icmp_type != ICMP_ECHO_REQUEST && f->icmp_type != 13 &&
        f->icmp_type != 15 && f->icmp_type != 17)
        return false;              /* an error or a reply: never answered */
    return f->l3_off + f->ip_hlen <= f->len;
}

/* Ethernet + a 20-byte IPv4 header (checksum filled in); returns the IP header. */
static uint8_t *ip_header(uint8_t *buf, const uint8_t src_mac[6], const struct frame *f,
                          uint16_t totlen, uint16_t id, bool df, uint8_t ttl, uint8_t tos,
                          bool len_swapped)
{
    memcpy(buf, f->eth_src, 6);
    memcpy(buf + 6, src_mac, 6);
    put16(buf + 12, ETHTYPE_IPV4);
    uint8_t *ip = buf + ETH_HLEN_;
    ip[0] = 0x45;
    ip[1] = tos;
    put16(ip + 2, len_swapped ? swap16(totlen) : totlen);
    put16(ip + 4, id);
    put16(ip + 6, df ? 0x4000 : 0);
    ip[8] = ttl;
    ip[9] = 1;
    put16(ip + 10, 0);
    put16(ip + 12, (uint16_t)(f->daddr >> 16));
    put16(ip + 14, (uint16_t)f->daddr);
    put16(ip + 16, (uint16_t)(f->saddr >> 16));
    put16(ip + 18, (uint16_t)f->saddr);
    put16(ip + 10, cksum(ip, 20));
    return ip;
}

size_t icmp_echo_reply(uint8_t *buf, size_t cap, const uint8_t src_mac[6],
                       const struct frame *req, const struct ie_answer *ie, uint16_t ipid)
{
    if (!ie->respond || req->l4 != L4_ICMP || req->icmp_type != ICMP_ECHO_REQUEST ||
        !icmp_may_answer(req) || req->l4_len < 8)
        return 0;
    size_t ilen = req->l4_len;
    if (req->l4_off + ilen > req->len || 20 + ilen > 65535)
        return 0;
    size_t total = ETH_HLEN_ + 20 + ilen;
    if (total > cap)
        return 0;
    bool df = ie->dfi == DFI_Y || (ie->dfi == DFI_S && req->df) || (ie->dfi == DFI_O && !req->df);
    uint8_t code = req->icmp_code;
    switch (ie->cd) {
    case CD_ZERO:  code = 0; break;
    case CD_SAME:  break;
    case CD_VALUE: code = ie->code; break;
    case CD_OTHER: code = (uint8_t)(code + 1) ? (uint8_t)(code + 1) : 1; break;
    }
    uint8_t *ip = ip_header(buf, src_mac, req, (uint16_t)(20 + ilen), ipid, df, ie->ttl, req->tos, false);
    uint8_t *icmp = ip + 20;
    memcpy(icmp, req->data + req->l4_off, ilen);
    icmp[0] = ICMP_ECHO_REPLY;
    icmp[1] = code;
    put16(icmp + 2, 0);
    put16(icmp + 2, cksum(icmp, ilen));
    return total;
}

static uint16_t field(uint8_t kind, int32_t arg, uint16_t orig)
{
    switch (kind) {
    case QR_CONST:      return (uint16_t)arg;
    case QR_DELTA:      return (uint16_t)(orig + arg);
    case QR_SWAP:       return swap16(orig);
    case QR_SWAP_DELTA: return swap16((uint16_t)(orig + arg));
    default:            return orig;
    }
}

size_t icmp_port_unreach(uint8_t *buf, size_t cap, const uint8_t src_mac[6],
                         const struct frame *f, const struct u1_answer *u1, uint16_t ipid)
{
    if (!u1->respond || f->l4 != L4_UDP || !icmp_may_answer(f))
        return 0;
    /* the datagram as it arrived, as far as it was captured */
    size_t avail = f->len - f->l3_off;
    if (f->ip_totlen && f->ip_totlen < avail)
        avail = f->ip_totlen;
    size_t q = avail < u1->quote_max ? avail : u1->quote_max;
    size_t body = 28 + q;
    size_t iplen = u1->pad_to > body ? u1->pad_to : body;
    if (iplen > 65535 || ETH_HLEN_ + iplen > cap)
        return 0;
    uint8_t tos = (uint8_t)(u1->tos | (u1->tos_copy ? f->tos & 0x1e : 0));
    uint8_t *ip = ip_header(buf, src_mac, f, (uint16_t)iplen, ipid, u1->df, u1->ttl, tos, u1->ipl_swap);
    uint8_t *icmp = ip + 20, *qd = icmp + 8;
    memcpy(qd, f->data + f->l3_off, q);
    memset(qd + q, 0, iplen - body);
    size_t hl = f->ip_hlen;
    if (q >= 20) {
        qd[8] = qd[8] > u1->hops ? (uint8_t)(qd[8] - u1->hops) : 1;
        put16(qd + 2, field(u1->ripl, u1->ripl_arg, get16(qd + 2)));
        put16(qd + 4, field(u1->rid, u1->rid_arg, get16(qd + 4)));
    }
    if (q >= hl + 8 && u1->ruck == QR_CONST)
        put16(qd + hl + 6, u1->ruck_arg);
    if (q > hl + 8 && u1->rud_bad)
        qd[hl + 8] ^= 0xff;
    if (q >= hl && hl >= 20) {
        put16(qd + 10, 0);
        uint16_t c = cksum(qd, hl);
        switch (u1->ripck) {
        case QCK_GOOD: put16(qd + 10, c); break;
        case QCK_ZERO: break;
        case QCK_BAD:  put16(qd + 10, (uint16_t)(c ^ 0x5a5a) ? (uint16_t)(c ^ 0x5a5a) : 1); break;
        }
    }
    icmp[0] = ICMP_UNREACH;
    icmp[1] = ICMP_UNREACH_PORT;
    put16(icmp + 2, 0);
    put16(icmp + 4, (uint16_t)(u1->un >> 16));
    put16(icmp + 6, (uint16_t)u1->un);
    put16(icmp + 2, cksum(icmp, iplen - 20));
    return ETH_HLEN_ + iplen;
}
