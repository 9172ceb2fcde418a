/* The injectors' fingerprints and the frames they forge.
 *
 * Wu, Zohaib, Durumeric, Houmansadr, Wustrow, "A Wall Behind A Wall: Emerging Regional
 * Censorship in China", IEEE S&P 2025, Table 4 (TTLs there are as observed at the client,
 * which is what the lab's client sees of a censor on its own link): GFW type I, one bare
 * RST, IP ID 0, DF clear, TTL 55-118; type II, three identical RST|ACK, IP ID 163-65119,
 * DF set, TTL 39-238; type III, one RST|ACK, IP ID 0x9916-0x9933, DF clear, TTL 248; the
 * Henan Firewall, one RST|ACK to the client only, IP ID 1, DF clear, TTL 58, the 10-byte
 * payload 01 02 .. 09 00. GFW residual block 180 s, Henan none.
 * Clayton, Murdoch, Watson, "Ignoring the Great Firewall of China", PET 2006: resets to
 * both ends, three with seq base, base+1460, base+4380.
 * Geneva (Bock et al., CCS 2019), censors/censor2.py and censor3.py: five scapy-default
 * RSTs (TTL 64, IP ID 1, window 8192, DF clear), flag R with the ack field still filled. */
#include <string.h>
#include "censor.h"
#include "craft.h"

static const uint8_t henan_payload[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 };

const struct injector injectors[] = {
    { .name = "gfw1", .source = "Wu et al., A Wall Behind A Wall, IEEE S&P 2025, Table 4 (GFW type I)",
      .flags = TH_RST, .count = 1, .df = false, .ttl_lo = 55, .ttl_hi = 118, .id_lo = 0, .id_hi = 0,
      .residual_s = 180 },
    { .name = "gfw2", .source = "Wu et al., A Wall Behind A Wall, IEEE S&P 2025, Table 4 (GFW type II)",
      .flags = TH_RST | TH_ACK, .count = 3, .df = true, .ttl_lo = 39, .ttl_hi = 238, .id_lo = 163,
      .id_hi = 65119, .identical = true, .residual_s = 180 },
    { .name = "gfw3", .source = "Wu et al., A Wall Behind A Wall, IEEE S&P 2025, Table 4 (GFW type III)",
      .flags = TH_RST | TH_ACK, .count = 1, .df = false, .ttl_lo = 248, .ttl_hi = 248, .id_lo = 0x9916,
      .id_hi = 0x9933, .residual_s = 180 },
    { .name = "henan", .source = "Wu et al., A Wall Behind A Wall, IEEE S&P 2025, Table 4 (Henan Firewall)",
      .flags = TH_RST | TH_ACK, .count = 1, .df = false, .ttl_lo = 58, .ttl_hi = 58, .id_lo = 1, .id_hi = 1,
      .client_only = true, .payload = henan_payload, .plen = sizeof henan_payload, .residual_s = 0 },
    { .name = "clayton", .source = "Clayton, Murdoch, Watson, Ignoring the Great Firewall of China, PET 2006",
      .flags = TH_RST | TH_ACK, .count = 3, .df = false, .ttl_lo = 64, .ttl_hi = 64, .id_lo = 0, .id_hi = 65535,
      .seq_step = { 0, 1460, 4380 }, .residual_s = 90 },
    { .name = "geneva", .source = "Geneva censors/censor3.py (Bock et al., CCS 2019): scapy defaults",
      .flags = TH_RST, .count = 5, .df = false, .ttl_lo = 64, .ttl_hi = 64, .id_lo = 1, .id_hi = 1,
      .identical = true, .win = 8192, .ack_without_flag = true, .residual_s = 90 },
};
const size_t n_injectors = sizeof injectors / sizeof injectors[0];

const struct injector *injector_find(const char *name)
{
    for (size_t i = 0; i < n_injectors; i++)
        if (strcmp(injectors[i].name, name) == 0)
            return &injectors[i];
    return NULL;
}

const char *injector_names(void)
{
    return "gfw1, gfw2, gfw3, henan, clayton, geneva";
}

uint32_t forge_rand(struct forge_rng *g)
{
    /* xorshift64*: enough to scatter TTLs and IDs, and reproducible under --seed */
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return (uint32_t)((g->s * 0x2545F4914F6CDD1Dull) >> 32);
}

/* One forged segment from side `from` to side `to`: IPv4 from the template; IPv6 through
 * build6.c, where the fingerprint's TTL is the hop limit and there is no IP ID or DF (the
 * traffic class and flow label are 0, as the measured injectors' IPv4 TOS was). */
static size_t forge(const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap, const struct cside *from,
                    const struct cside *to, uint8_t ttl, uint16_t id, bool df, const struct tcp_spec *tcp,
                    const uint8_t *payload, size_t plen)
{
    if (caddr_is4(&from->ip)) {
        struct ip4_spec ip = { .saddr = caddr_v4(&from->ip), .daddr = caddr_v4(&to->ip), .ttl = ttl,
                               .id = id, .df = df };
        return tmpl_tcp4_build(t, buf, cap, from->mac, to->mac, &ip, tcp, payload, plen);
    }
    struct l3_spec l3 = { .v6 = true, .ip6 = { .hlim = ttl } };
    memcpy(l3.ip6.saddr, from->ip.a, 16);
    memcpy(l3.ip6.daddr, to->ip.a, 16);
    uint8_t hdr[60];
    size_t hl = build_tcp_hdr(hdr, tcp);
    return build_l3_frame(buf, cap, from->mac, to->mac, &l3, 6, hdr, hl, payload, plen, 16, false);
}

size_t forge_reset(const struct injector *inj, const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap,
                   const struct cflow *f, bool to_client, unsigned k, uint32_t seq, uint32_t ack,
                   uint8_t ttl, uint16_t id)
{
    const struct cside *from = to_client ? &f->s : &f->c, *to = to_client ? &f->c : &f->s;
    struct tcp_spec tcp = {
        .sport = from->port, .dport = to->port,
        .seq = seq + inj->seq_step[k % 3],
        .ack = (inj->flags & TH_ACK) || inj->ack_without_flag ? ack : 0,
        .flags = inj->flags,
        .win = inj->win ? inj->win : from->win,
    };
    return forge(t, buf, cap, from, to, ttl, id, inj->df, &tcp, inj->payload, inj->plen);
}

size_t forge_synack(const struct injector *inj, const struct tmpl_tcp4 *t, uint8_t *buf, size_t cap,
                    const struct cflow *f, uint32_t seq, uint8_t ttl, uint16_t id)
{
    struct tcp_spec tcp = {
        .sport = f->s.port, .dport = f->c.port, .seq = seq, .ack = f->isn + 1,
        .flags = TH_SYN | TH_ACK, .win = 1024,
    };
    return forge(t, buf, cap, &f->s, &f->c, ttl, id, inj->df, &tcp, NULL, 0);
}
