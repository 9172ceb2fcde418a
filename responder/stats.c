/* One line of figures, text or JSON, for a reader following a long run (a soak, a flood):
 * what was answered, what is live, and what was lost on the way (a slow stdout reader, a
 * slow -w disk, a full capture ring, a send queue full). */
#include "resp_stats.h"

void resp_stats_print(FILE *to, const struct engine *e, const struct netio *nio, bool json,
                      const char *kind, double secs)
{
    unsigned long long w_dropped = nio->dumper ? pcapw_dropped(nio->dumper) : nio->dump_dropped;
    unsigned long long ev_dropped = e->ev.sink.dropped;
    if (json) {
        fprintf(to, "{\"type\":\"%s\",\"seconds\":%.3f,\"received\":%llu,\"sent\":%llu,"
                "\"malformed\":%llu,\"kernel_dropped\":%llu,\"not_sent\":%llu,\"flows\":%u,\"events\":%llu,"
                "\"events_dropped\":%llu,\"pcap_dropped\":%llu,\"counts\":{", kind, secs,
                (unsigned long long)e->rx_frames, (unsigned long long)e->tx_frames,
                (unsigned long long)e->rx_malformed, (unsigned long long)nio->rx_drop_kernel,
                (unsigned long long)nio->tx_err, e->ft.used, (unsigned long long)e->ev.total, ev_dropped, w_dropped);
        const char *sep = "";
        for (int k = 0; k < EV__N; k++)
            if (e->ev.counts[k]) {
                fprintf(to, "%s\"%s\":%llu", sep, ev_name((enum ev_kind)k),
                        (unsigned long long)e->ev.counts[k]);
                sep = ",";
            }
        fputs("}}\n", to);
        return;
    }
    fprintf(to, "rstcraft: %s: %.1f s: %llu frames received, %llu sent, %llu malformed, "
            "%llu dropped by the kernel, %llu not sent; %u flows live; %llu events, %llu dropped (slow reader); "
            "%llu frames dropped from -w\n", kind, secs, (unsigned long long)e->rx_frames,
            (unsigned long long)e->tx_frames, (unsigned long long)e->rx_malformed,
            (unsigned long long)nio->rx_drop_kernel, (unsigned long long)nio->tx_err, e->ft.used, (unsigned long long)e->ev.total,
            ev_dropped, w_dropped);
}
