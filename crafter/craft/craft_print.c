/* What `rstcraft craft` prints: one line per reply in hping3's spirit (or one JSON object
 * per line with --json), ICMP errors with the probe they quote, and the summary. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "craft.h"

static const char *addr_str(bool v6, uint32_t a4, const uint8_t *a6, char *buf, size_t cap)
{
    if (v6) {
        inet_ntop(AF_INET6, a6, buf, (socklen_t)cap);
    } else {
        uint32_t n = htonl(a4);
        inet_ntop(AF_INET, &n, buf, (socklen_t)cap);
    }
    return buf;
}


static const char *icmp_name(bool v6, uint8_t t, uint8_t c)
{
    if (!v6) {
        switch (t) {
        case 0: return "echo-reply";
        case 3:
            switch (c) {
            case 0: return "net-unreachable";
            case 1: return "host-unreachable";
            case 2: return "protocol-unreachable";
            case 3: return "port-unreachable";
            case 4: return "fragmentation-needed";
            case 9: case 10: case 13: return "administratively-prohibited";
            default: return "unreachable";
            }
        case 4: return "source-quench";
        case 5: return "redirect";
        case 11: return c ? "reassembly-time-exceeded" : "ttl-exceeded";
        case 12: return "parameter-problem";
        case 14: return "timestamp-reply";
        case 16: return "info-reply";
        case 18: return "mask-reply";
        default: return "icmp";
        }
    }
    switch (t) {
    case 1:
        switch (c) {
        case 0: return "no-route";
        case 1: return "administratively-prohibited";
        case 3: return "address-unreachable";
        case 4: return "port-unreachable";
        default: return "unreachable";
        }
    case 2: return "packet-too-big";
    case 3: return c ? "reassembly-time-exceeded" : "hop-limit-exceeded";
    case 4: return "parameter-problem";
    case 129: return "echo-reply";
    default: return "icmp6";
    }
}

/* TCP options as tcpdump shows them, in wire order */
static void opts_str(const struct frame *f, char *out, size_t cap, bool json)
{
    const struct tcp_opts *o = &f->opt;
    size_t n = 0;
    unsigned sack_i = 0;
    out[0] = 0;
    for (unsigned i = 0; i < o->nkinds && n + 48 < cap; i++) {
        const char *sep = i ? "," : "";
        const char *q = json ? "\"" : "";
        int w = 0;
        switch (o->kinds[i]) {
        case TCPOPT_NOP: w = snprintf(out + n, cap - n, "%s%snop%s", sep, q, q); break;
        case TCPOPT_EOL: w = snprintf(out + n, cap - n, "%s%seol%s", sep, q, q); break;
        case TCPOPT_MSS: w = snprintf(out + n, cap - n, "%s%smss %u%s", sep, q, o->mss, q); break;
        case TCPOPT_WS: w = snprintf(out + n, cap - n, "%s%swscale %u%s", sep, q, o->wscale, q); break;
        case TCPOPT_SACKOK: w = snprintf(out + n, cap - n, "%s%ssackOK%s", sep, q, q); break;
        case TCPOPT_TS:
            w = snprintf(out + n, cap - n, "%s%sTS val %u ecr %u%s", sep, q, o->tsval, o->tsecr, q);
            break;
        case TCPOPT_SACK:
            w = snprintf(out + n, cap - n, "%s%ssack %u", sep, q, o->nsack);
            for (; sack_i < o->nsack && n + (size_t)w + 24 < cap; sack_i++)
                w += snprintf(out + n + (size_t)w, cap - n - (size_t)w, " {%u:%u}", o->sack[sack_i].l,
                              o->sack[sack_i].r);
            w += snprintf(out + n + (size_t)w, cap - n - (size_t)w, "%s", q);
            break;
        default: w = snprintf(out + n, cap - n, "%s%sopt-%u%s", sep, q, o->kinds[i], q); break;
        }
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static void quoted_str(const struct quoted *q, char *out, size_t cap, bool json)
{
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    addr_str(q->v6, q->s4, q->s6, s, sizeof s);
    addr_str(q->v6, q->d4, q->d6, d, sizeof d);
    const char *p = q->proto == 6 ? "tcp" : q->proto == 17 ? "udp" : (q->proto == 1 || q->proto == 58) ? "icmp" : "ip";
    if (json) {
        int n = snprintf(out, cap, "{\"proto\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"ttl\":%u", p, s, d, q->ttl);
        if (n < 0 || (size_t)n >= cap)
            return;
        size_t k = (size_t)n;
        if (!q->v6)
            k += (size_t)snprintf(out + k, cap - k, ",\"id\":%u", q->id);
        if (q->proto == 6 || q->proto == 17)
            k += (size_t)snprintf(out + k, cap - k, ",\"sport\":%u,\"dport\":%u", q->sport, q->dport);
        if (q->has_seq)
            k += (size_t)snprintf(out + k, cap - k, ",\"seq\":%u", q->seq);
        if (q->proto == 1 || q->proto == 58)
            k += (size_t)snprintf(out + k, cap - k, ",\"icmp_id\":%u,\"icmp_seq\":%u", q->icmp_id, q->icmp_seq);
        if (k < cap)
            snprintf(out + k, cap - k, "}");
        return;
    }
    if (q->proto == 6 || q->proto == 17) {
        int n = snprintf(out, cap, "%s %s.%u > %s.%u", p, s, q->sport, d, q->dport);
        if (n > 0 && (size_t)n < cap && q->has_seq)
            n += snprintf(out + n, cap - (size_t)n, " seq=%u", q->seq);
        if (n > 0 && (size_t)n < cap && !q->v6)
            snprintf(out + n, cap - (size_t)n, " id=%u ttl=%u", q->id, q->ttl);
    } else if (q->proto == 1 || q->proto == 58) {
        snprintf(out, cap, "icmp %s > %s id=%u seq=%u", s, d, q->icmp_id, q->icmp_seq);
    } else {
        snprintf(out, cap, "proto %u %s > %s", q->proto, s, d);
    }
}

void craft_print_reply(const struct craft_opts *o, const struct frame *f, const struct quoted *q,
                       const struct match_result *m, double rtt_ms)
{
    if (o->quiet)
        return;
    char src[INET6_ADDRSTRLEN], fl[12], opts[512], qs[512];
    bool v6 = f->l3 == L3_IPV6;
    addr_str(v6, f->saddr, f->saddr6, src, sizeof src);
    bool icmp = f->l4 == L4_ICMP || f->l4 == L4_ICMP6;
    bool is_err = icmp && icmp_is_error(v6, f->icmp_type) && q && q->ok;
    unsigned len = f->ip_totlen;
    if (o->json) {
        printf("{\"type\":\"reply\",\"probe\":%lld,\"len\":%u,\"ip\":\"%s\",\"ttl\":%u",
               (long long)m->idx, len, src, f->ttl);
        if (!v6)
            printf(",\"id\":%u,\"df\":%s", f->ip_id, f->df ? "true" : "false");
        if (f->l4 == L4_TCP) {
            opts_str(f, opts, sizeof opts, true);
            printf(",\"proto\":\"tcp\",\"sport\":%u,\"dport\":%u,\"flags\":\"%s\",\"seq\":%u,\"ack\":%u,"
                   "\"win\":%u,\"opts\":[%s]",
                   f->sport, f->dport, tcp_flags_letters(f->flags, fl), f->seq, f->ack, f->win, opts);
        } else if (f->l4 == L4_UDP) {
            printf(",\"proto\":\"udp\",\"sport\":%u,\"dport\":%u,\"data_len\":%zu", f->sport, f->dport,
                   f->payload_len);
        } else if (icmp) {
            printf(",\"proto\":\"%s\",\"icmp_type\":%u,\"icmp_code\":%u,\"icmp_name\":\"%s\"",
                   v6 ? "icmp6" : "icmp", f->icmp_type, f->icmp_code, icmp_name(v6, f->icmp_type, f->icmp_code));
            if (is_err) {
                quoted_str(q, qs, sizeof qs, true);
                printf(",\"quoted\":%s", qs);
            } else {
                printf(",\"icmp_id\":%u,\"icmp_seq\":%u", f->icmp_id, f->icmp_seq);
            }
        }
        printf(",\"rtt_ms\":%.3f,\"match\":\"%s\",\"dup\":%s}\n", rtt_ms, match_quality_str(m->q),
               m->dup ? "true" : "false");
        return;
    }
    printf("len=%u ip=%s ", len, src);
    if (f->l4 == L4_TCP) {
        opts_str(f, opts, sizeof opts, false);
        printf("flags=%s seq=%u ack=%u win=%u ttl=%u", tcp_flags_letters(f->flags, fl), f->seq, f->ack,
               f->win, f->ttl);
        if (!v6)
            printf(" id=%u%s", f->ip_id, f->df ? " DF" : "");
        printf(" sport=%u dport=%u", f->sport, f->dport);
        if (opts[0])
            printf(" opts=[%s]", opts);
    } else if (f->l4 == L4_UDP) {
        printf("udp sport=%u dport=%u data=%zu ttl=%u", f->sport, f->dport, f->payload_len, f->ttl);
        if (!v6)
            printf(" id=%u%s", f->ip_id, f->df ? " DF" : "");
    } else {
        printf("icmp=%u/%u %s ttl=%u", f->icmp_type, f->icmp_code, icmp_name(v6, f->icmp_type, f->icmp_code),
               f->ttl);
        if (!v6)
            printf(" id=%u%s", f->ip_id, f->df ? " DF" : "");
        if (is_err) {
            quoted_str(q, qs, sizeof qs, false);
            printf(" quoted=[%s]", qs);
        } else {
            printf(" icmp_id=%u icmp_seq=%u", f->icmp_id, f->icmp_seq);
        }
    }
    printf(" probe=%lld rtt=%.3f ms", (long long)m->idx, rtt_ms);
    if (m->dup)
        printf(" DUP!");
    if (m->q == MQ_AMBIGUOUS)
        printf(" (ambiguous match)");
    else if (m->q == MQ_TUPLE)
        printf(" (matched by ports only)");
    printf("\n");
}

void craft_print_banner(const struct craft_opts *o, const char *ifname, size_t hdrlen)
{
    if (o->quiet || o->json)
        return;
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], fl[12];
    addr_str(o->v6, o->src4, o->src6, src, sizeof src);
    addr_str(o->v6, o->dst4, o->dst6, dst, sizeof dst);
    const char *p = o->proto == CP_TCP ? "tcp" : o->proto == CP_UDP ? "udp" : "icmp";
    printf("CRAFT %s (%s %s): %s", dst, ifname, src, p);
    if (o->proto == CP_TCP)
        printf(" %s set", tcp_flags_letters(o->flags, fl));
    printf(", %zu headers + %zu data bytes\n", hdrlen, o->dlen);
    fflush(stdout);
}

void craft_print_summary(const struct craft_opts *o, const struct craft_stats *s, double secs)
{
    char dst[INET6_ADDRSTRLEN];
    addr_str(o->v6, o->dst4, o->dst6, dst, sizeof dst);
    double loss = s->sent ? 100.0 * (double)(s->sent - s->answered) / (double)s->sent : 0.0;
    double avg = s->answered ? s->rtt_sum / (double)s->answered : 0.0;
    /* paced: n probes span n - 1 intervals */
    double pps = secs > 0 ? (double)(o->rate > 0 && s->sent > 1 ? s->sent - 1 : s->sent) / secs : 0.0;
    if (o->json) {
        printf("{\"type\":\"summary\",\"dst\":\"%s\",\"sent\":%llu,\"received\":%llu,\"replies\":%llu,"
               "\"dups\":%llu,\"loss_pct\":%.1f,\"seconds\":%.6f,\"pps\":%.1f",
               dst, (unsigned long long)s->sent, (unsigned long long)s->answered,
               (unsigned long long)s->replies, (unsigned long long)s->dups, loss, secs, pps);
        if (s->answered)
            printf(",\"rtt_min_ms\":%.3f,\"rtt_avg_ms\":%.3f,\"rtt_max_ms\":%.3f", s->rtt_min, avg, s->rtt_max);
        printf("}\n");
        fflush(stdout);
        return;
    }
    printf("\n--- %s craft statistics ---\n", dst);
    if (o->flood) {
        printf("%llu packets transmitted in %.3f s (%.0f pps), replies not read in --flood\n",
               (unsigned long long)s->sent, secs, pps);
    } else {
        printf("%llu packets transmitted, %llu packets received, %.0f%% packet loss",
               (unsigned long long)s->sent, (unsigned long long)s->answered, loss);
        if (s->dups)
            printf(", %llu duplicates", (unsigned long long)s->dups);
        printf("\n");
        if (s->answered)
            printf("round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", s->rtt_min, avg, s->rtt_max);
        if (o->rate > 0)
            printf("sent in %.3f s: %.1f pps\n", secs, pps);
    }
    fflush(stdout);
}
