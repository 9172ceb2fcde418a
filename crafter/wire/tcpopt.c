/* TCP options: decoding what arrived (every kind is recorded, even ones we do not
 * understand, because the option layout is a stack's fingerprint) and encoding an
 * ordered item list the way a stack writes it. */
#include <string.h>
#include "be.h"
#include "build.h"
#include "pkt.h"
#include "rd.h"

/* The one length a fixed-size kind may carry; 0 for SACK and unknown kinds. */
static uint8_t known_len(uint8_t kind)
{
    switch (kind) {
    case TCPOPT_MSS:    return 4;
    case TCPOPT_WS:     return 3;
    case TCPOPT_SACKOK: return 2;
    case TCPOPT_TS:     return 10;
    default:            return 0;
    }
}

static bool len_ok(uint8_t kind, uint8_t olen)
{
    if (kind == TCPOPT_SACK)
        return olen >= 10 && olen <= 34 && (olen - 2) % 8 == 0;
    uint8_t want = known_len(kind);
    return want == 0 || olen == want;
}

/* Caller checked that the olen bytes at `at` are there and that olen suits the kind. */
static void decode_one(struct tcp_opts *o, const struct rd *r, size_t at, uint8_t kind, uint8_t olen)
{
    switch (kind) {
    case TCPOPT_MSS:
        o->has_mss = true;
        o->mss = rd_be16(r, at + 2);
        break;
    case TCPOPT_WS:
        o->has_ws = true;
        o->wscale = rd_u8(r, at + 2);
        break;
    case TCPOPT_SACKOK:
        o->sack_ok = true;
        break;
    case TCPOPT_TS:
        o->has_ts = true;
        o->tsval = rd_be32(r, at + 2);
        o->tsecr = rd_be32(r, at + 6);
        break;
    case TCPOPT_SACK:
        o->nsack = (uint8_t)((olen - 2) / 8);
        for (size_t i = 0; i < o->nsack; i++) {
            o->sack[i].l = rd_be32(r, at + 2 + 8 * i);
            o->sack[i].r = rd_be32(r, at + 6 + 8 * i);
        }
        break;
    default:
        break;
    }
}

bool tcpopt_parse(struct tcp_opts *o, const uint8_t *p, size_t len)
{
    memset(o, 0, sizeof *o);
    struct rd r = { p, p ? len : 0 };
    size_t i = 0;
    while (rd_have(&r, i, 1)) {
        uint8_t kind = rd_u8(&r, i);
        if (o->nkinds < TCPOPT_MAXLEN)
            o->kinds[o->nkinds++] = kind;
        if (kind == TCPOPT_EOL)
            break;
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        if (!rd_have(&r, i, 2)) {
            o->malformed = true;            /* the length byte itself is missing */
            break;
        }
        uint8_t olen = rd_u8(&r, i + 1);
        if (olen < 2 || !rd_have(&r, i, olen)) {
            o->malformed = true;            /* no telling where the next option starts */
            break;
        }
        if (len_ok(kind, olen))
            decode_one(o, &r, i, kind, olen);
        else
            o->malformed = true;            /* a bad length for a known kind: skippable */
        i += olen;
    }
    return !o->malformed;
}


/* Encoded size of one item; -1 when it cannot be encoded. */
static int item_len(const struct optitem *it)
{
    switch (it->kind) {
    case OI_NOP:
    case OI_EOL:    return 1;
    case OI_MSS:    return 4;
    case OI_WS:     return 3;
    case OI_SACKOK: return 2;
    case OI_SACK:   return it->nsack >= 1 && it->nsack <= 4 ? 2 + 8 * it->nsack : -1;
    case OI_TS:     return 10;
    case OI_RAW:    return it->raw || it->rawlen == 0 ? it->rawlen : -1;
    default:        return -1;
    }
}

int tcpopt_encode(uint8_t out[TCPOPT_MAXLEN], const struct optitem *items, size_t n)
{
    size_t pos = 0;
    for (size_t k = 0; k < n; k++) {
        const struct optitem *it = &items[k];
        int l = item_len(it);
        if (l < 0 || pos + (size_t)l > TCPOPT_MAXLEN)
            return -1;
        uint8_t *p = out + pos;
        switch (it->kind) {
        case OI_NOP:
            p[0] = TCPOPT_NOP;
            break;
        case OI_EOL:
            p[0] = TCPOPT_EOL;
            break;
        case OI_MSS:
            p[0] = TCPOPT_MSS; p[1] = 4;
            p[2] = (uint8_t)(it->mss >> 8); p[3] = (uint8_t)it->mss;
            break;
        case OI_WS:
            p[0] = TCPOPT_WS; p[1] = 3; p[2] = it->ws;
            break;
        case OI_SACKOK:
            p[0] = TCPOPT_SACKOK; p[1] = 2;
            break;
        case OI_SACK:
            p[0] = TCPOPT_SACK; p[1] = (uint8_t)l;
            for (size_t b = 0; b < it->nsack; b++) {
                put32(p + 2 + 8 * b, it->sack[b].l);
                put32(p + 6 + 8 * b, it->sack[b].r);
            }
            break;
        case OI_TS:
            p[0] = TCPOPT_TS; p[1] = 10;
            put32(p + 2, it->tsval);
            put32(p + 6, it->tsecr);
            break;
        default:                            /* OI_RAW */
            if (l > 0)
                memcpy(p, it->raw, (size_t)l);
            break;
        }
        pos += (size_t)l;
    }
    while (pos % 4)
        out[pos++] = TCPOPT_EOL;
    return (int)pos;
}
