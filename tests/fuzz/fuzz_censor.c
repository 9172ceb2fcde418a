/* libFuzzer target: the censor's input path. The input is a byte for the tracking model and
 * injector, then frames as [2-byte length][bytes], fed through pkt_parse into the real
 * engine (censor_input) with time advancing, the trigger set fixed (a keyword, a host, a
 * server name, a port). The stream parsers also get the raw input whole.
 * Invariants, on every frame the engine forges: it parses without error as IPv4/TCP or
 * IPv6/TCP, of the family of the flow, with a valid IPv4 header checksum and TCP checksum, RST or SYN-ACK set, between the two ends of
 * a flow the engine tracked (never an address it did not see).
 * Seeds: the files in tests/fuzz/seeds/fuzz_censor. */
#include <stdlib.h>
#include <string.h>
#include "censor.h"
#include "csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct censor C;
static bool ready;
static struct caddr seen[64];
static size_t nseen;

static void remember(const struct caddr *ip)
{
    for (size_t i = 0; i < nseen; i++)
        if (!memcmp(&seen[i], ip, sizeof *ip))
            return;
    if (nseen < 64)
        seen[nseen++] = *ip;
}

static bool was_seen(const struct caddr *ip)
{
    for (size_t i = 0; i < nseen; i++)
        if (!memcmp(&seen[i], ip, sizeof *ip))
            return true;
    return false;
}

static void check_forged(void *user, const uint8_t *frame, size_t len)
{
    (void)user;
    struct frame f;
    if (pkt_parse(&f, frame, len) != PKT_OK || (f.l3 != L3_IPV4 && f.l3 != L3_IPV6) || f.l4 != L4_TCP)
        abort();
    bool v6 = f.l3 == L3_IPV6;
    if (!v6 && csum_fold(csum_partial(frame + f.l3_off, f.ip_hlen, 0)) != 0)
        abort();
    size_t l4 = (size_t)f.ip_totlen - f.ip_hlen;
    uint32_t ph = v6 ? csum_pseudo6(f.saddr6, f.daddr6, 6, (uint32_t)l4) : csum_pseudo4(f.saddr, f.daddr, 6, (uint16_t)l4);
    if (csum_fold(csum_partial(frame + f.l4_off, l4, ph)) != 0)
        abort();
    if (!(f.flags & TH_RST) && (f.flags & (TH_SYN | TH_ACK)) != (TH_SYN | TH_ACK))
        abort();
    struct caddr src, dst;
    caddr_of(&f, &src, &dst);
    if (!was_seen(&src) || !was_seen(&dst) || caddr_is4(&src) != caddr_is4(&dst))
        abort();
}

static void setup(void)
{
    static const char *kw = "forbidden", *host = "blocked.test";
    memset(&C, 0, sizeof C);
    C.o.keyword[C.o.nkeyword++] = kw;
    C.o.host[C.o.nhost++] = host;
    C.o.sni[C.o.nsni++] = host;
    C.o.port[C.o.nport++] = 443;
    C.o.max_flows = 64;
    C.o.residual_s = 5;
    C.o.seed = 1;
    C.send = check_forged;
    char err[256];
    if (censor_init(&C, err, sizeof err) != 0)
        abort();
    ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    char name[SNIFF_NAME_MAX];
    tls_sni(data, size, name);
    http_host(data, size, name);
    if (size < 1)
        return 0;
    /* a fresh engine state for each input, same triggers */
    censor_free(&C);
    memset(&C.res, 0, sizeof C.res);
    C.o.tcb = (enum tcb_model)(data[0] % 4);
    C.o.inj = &injectors[(data[0] >> 2) % n_injectors];
    C.o.residual_mode = (data[0] >> 5) & 1 ? RES_SYNACK : RES_RST;
    C.o.to = (enum censor_to)((data[0] >> 6) % 3);
    if (C.o.to == TO_SERVER && C.o.inj->client_only)
        C.o.to = TO_BOTH;
    char err[256];
    if (censor_init(&C, err, sizeof err) != 0)
        abort();
    nseen = 0;
    uint64_t now = 1000000000ull;
    for (size_t off = 1; off + 2 <= size;) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        uint8_t *copy = malloc(len ? len : 1);   /* exact size: ASan sees any overread */
        if (!copy)
            return 0;
        memcpy(copy, data + off, len);
        struct frame f;
        pkt_parse(&f, copy, len);
        if (f.l3 == L3_IPV4 || f.l3 == L3_IPV6) {
            struct caddr src, dst;
            caddr_of(&f, &src, &dst);
            remember(&src);
            remember(&dst);
        }
        censor_input(&C, &f, now);
        now += 1000000ull * (len % 7 + 1);
        if (len % 5 == 0)
            censor_tick(&C, now += 200ull * 1000000000ull);
        free(copy);
        off += len;
    }
    return 0;
}
