/* explain's output: one line per finding (or one JSON object), -v adds the packets the
 * verdict rests on, and a table per cause at the end. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "explain.h"

/* Sequence numbers relative to the sender's ISN, acks to the receiver's, as tcpdump -S does not. */
static void print_pkt(FILE *o, const struct xrst *r, const struct xpkt *p, const char *tag)
{
    char fl[12], seq[24], ack[24];
    const struct xside *s = &r->s[p->dir], *peer = &r->s[1 - p->dir];
    if ((s->flags & XSIDE_SYN) && !((p->flags & TH_RST) && p->seq == 0))
        snprintf(seq, sizeof seq, "ISN+%u", p->seq - s->isn);
    else
        snprintf(seq, sizeof seq, "%u", p->seq);
    if (!(p->flags & TH_ACK))
        snprintf(ack, sizeof ack, "-");
    else if (peer->flags & XSIDE_SYN)
        snprintf(ack, sizeof ack, "ISN+%u", p->ack - peer->isn);
    else
        snprintf(ack, sizeof ack, "%u", p->ack);
    fprintf(o, "    %s %+10.6f %s > %s %-4s seq %s ack %s len %u win %u ttl %u id %u%s\n", tag,
            (double)p->t_us / 1e6 - (r->ts - r->t0), p->dir ? "server" : "client",
            p->dir ? "client" : "server", tcp_flags_str(p->flags, fl), seq, ack, p->len, p->win,
            p->ttl, p->ipid, p->df ? " DF" : "");
}

void xreport_finding(struct xreport *rp, const struct xrst *r, const struct verdict *v)
{
    FILE *o = rp->out;
    char src[CLI_EPLEN], dst[CLI_EPLEN];
    rp->count[v->cause]++;
    bool na = !r->rst.flags && !r->icmp_type;   /* no answer: no time, the SYN's direction */
    int s = na ? 0 : r->dir;
    cli_endpoint(src, r->key.v6, r->key.addr[s], r->key.port[s]);
    cli_endpoint(dst, r->key.v6, r->key.addr[1 - s], r->key.port[1 - s]);
    if (rp->json) {
        fputs("{\"ts\":", o);
        if (na)
            fputs("null", o);
        else
            fprintf(o, "%.6f", r->ts);
        fputs(",\"src\":", o);
        cli_json_str(o, src);
        fputs(",\"dst\":", o);
        cli_json_str(o, dst);
        fputs(",\"cause\":", o);
        cli_json_str(o, xcause_name(v->cause));
        fputs(",\"by\":", o);
        cli_json_str(o, xby_name(v->by));
        fputs(",\"evidence\":", o);
        cli_json_str(o, v->evidence);
        fputs(",\"saw\":", o);
        cli_json_str(o, v->saw);
        if (v->note[0]) {
            fputs(",\"cannot_tell\":", o);
            cli_json_str(o, v->note);
        }
        if (na)
            fprintf(o, ",\"first_syn\":%.6f", r->t0 + r->t_syn_us / 1e6);
        fputs("}\n", o);
    } else {
        if (na)
            fprintf(o, "%-17s", "-");
        else
            fprintf(o, "%-17.6f", r->ts);
        fprintf(o, " %s > %s  %s by %s: %s. saw: %s.%s%s\n", src, dst, xcause_name(v->cause),
                xby_name(v->by), v->evidence, v->saw, v->note[0] ? " cannot tell: " : "", v->note);
    }
    if (rp->verbose && !rp->json) {
        for (int i = 0; i < r->hist_n; i++)
            print_pkt(o, r, &r->hist[i], " ");
        if (r->icmp_type)
            fprintf(o, "    > %+10.6f ICMP%s type %u code %u, ttl %u\n", 0.0, r->key.v6 ? "v6" : "",
                    r->icmp_type, r->icmp_code, r->rst.ttl);
        else if (!na)
            print_pkt(o, r, &r->rst, ">");
        for (int i = 0; i < r->after_n; i++)
            print_pkt(o, r, &r->after[i], " ");
    }
}

void xreport_summary(const struct xreport *rp, FILE *out)
{
    uint64_t total = 0;
    for (int c = 0; c < XC_N; c++)
        total += rp->count[c];
    fprintf(out, "\n%-18s %10s\n", "cause", "findings");
    for (int c = 0; c < XC_N; c++)
        if (rp->count[c])
            fprintf(out, "%-18s %10llu\n", xcause_name((enum xcause)c), (unsigned long long)rp->count[c]);
    fprintf(out, "%-18s %10llu\n", "total", (unsigned long long)total);
}
