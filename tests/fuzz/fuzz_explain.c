/* libFuzzer target: explain's input path. The input is read as a classic pcap file in
 * memory when it has a pcap header, otherwise as a run of frames (2-byte length, then the
 * bytes, each given its own exact-size allocation so ASan sees a read past it), alternately
 * Ethernet and raw IP. Every frame goes through pkt_parse into the flow tracker (a small
 * table, so eviction runs too) and every record through the classifier and both printers.
 * Invariants: no crash, no read outside the input, every verdict names a known cause. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;
static struct xtrack *cur;

static void on_rec(void *ctx, const struct xrst *r)
{
    struct xreport *rp = ctx;
    struct verdict v;
    xclassify(r, &cur->hosts, &v);
    if ((unsigned)v.cause >= XC_N || !xcause_name(v.cause) || !v.evidence[0] || !v.saw[0])
        abort();
    rp->json = !rp->json;
    rp->verbose = true;
    xreport_finding(rp, r, &v);
}

static void feed(struct xtrack *t, const uint8_t *p, size_t n, bool ip, double ts)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    if (n)
        memcpy(copy, p, n);
    struct frame f;
    if (ip)
        pkt_parse_ip(&f, copy, n);
    else
        pkt_parse(&f, copy, n);
    xtrack_frame(t, &f, ts);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct xreport rp;
    memset(&rp, 0, sizeof rp);
    rp.out = sink;
    struct xtrack t;
    if (xtrack_init(&t, 8, on_rec, &rp) != 0)
        return 0;
    cur = &t;
    t.hold = 0.5;
    struct xmap m;
    memset(&m, 0, sizeof m);
    if (xmap_buffer(&m, data, size)) {
        struct pcap_pkthdr h;
        const uint8_t *p;
        char err[256];
        while (xmap_next(&m, &h, &p, err, sizeof err) == 1)
            feed(&t, p, h.caplen, m.dlt != DLT_EN10MB,
                 (double)h.ts.tv_sec + (double)h.ts.tv_usec / 1e6);
    } else {
        size_t off = 0;
        double ts = 1.0;
        for (unsigned i = 0; off + 2 <= size; i++) {
            size_t n = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            if (n > size - off)
                n = size - off;
            ts += (data[off - 1] & 0x0f) * 0.05;
            feed(&t, data + off, n, i & 1, ts);
            off += n;
        }
    }
    xtrack_flush(&t);
    xtrack_free(&t);
    return 0;
}
