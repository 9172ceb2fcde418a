/* Every IP ID generator class against nmap's own classification (nmap_ipid_class, after
 * osscan2.cc get_ipid_sequence_16), over 1,000 simulated OS scans each: the class must come
 * out every time, not most of the time (a random generator used to read CI=RI about one
 * scan in ten, and "Cisco IOS 15.5" tied with "Cisco 2811").
 *
 * A scan is drawn as nmap's probes reach the generators: a pause (the previous nmap run),
 * the port scan's closed-port RSTs, then two tries of SEQ (six SYN-ACKs 100 ms apart: TI),
 * two echo replies (II), ECN, T2..T4 (a SYN-ACK or a RST each) and T5..T7 (three RSTs:
 * CI), with the gaps between tries and scans drawn at random. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "nmapdb.h"
#include "profile_ext.h"

#define SCANS 1000
#define MS 1000ull

struct rig {
    struct gen_state st;
    struct ipidgen ti, ci, ii;
    uint64_t now, rng;
    const char *want_ti, *want_ci, *want_ii;
    unsigned bad_ti, bad_ci, bad_ii;
    char last_bad[128];
};

static uint64_t draw(struct rig *r, uint64_t n)
{
    r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (r->rng >> 33) % n;
}

static uint16_t next(struct rig *r, const struct ipidgen *g, uint64_t after_ms)
{
    r->now += after_ms * MS;
    return ipidgen_next(g, &r->st, NULL, r->now);
}

static void check(struct rig *r, const char *what, const uint16_t *ids, int n, const char *want,
                  unsigned *bad)
{
    char buf[16];
    const char *got = nmap_ipid_class(ids, n, buf, sizeof buf);
    if (got && !strcmp(got, want))
        return;
    (*bad)++;
    snprintf(r->last_bad, sizeof r->last_bad, "%s=%s (want %s): %04x %04x %04x %04x %04x %04x",
             what, got ? got : "(none)", want, ids[0], ids[1], n > 2 ? ids[2] : 0,
             n > 3 ? ids[3] : 0, n > 4 ? ids[4] : 0, n > 5 ? ids[5] : 0);
}

static void one_try(struct rig *r)
{
    uint16_t ti[6], ii[2], ci[3];
    for (int i = 0; i < 6; i++)
        ti[i] = next(r, &r->ti, i ? 100 : 0);
    for (int i = 0; i < 2; i++)
        ii[i] = next(r, &r->ii, 10 + draw(r, 20));
    (void)next(r, &r->ti, 5);                 /* ECN: a SYN-ACK */
    (void)next(r, &r->ci, 5);                 /* T2: a RST from the open port */
    (void)next(r, &r->ti, 5);                 /* T3: SYN|FIN|URG|PSH, a SYN-ACK */
    (void)next(r, &r->ci, 5);                 /* T4 */
    for (int i = 0; i < 3; i++)
        ci[i] = next(r, &r->ci, 1 + draw(r, 25));
    check(r, "TI", ti, 6, r->want_ti, &r->bad_ti);
    check(r, "CI", ci, 3, r->want_ci, &r->bad_ci);
    check(r, "II", ii, 2, r->want_ii, &r->bad_ii);
}

static void run_class(enum ipidg_kind kind, bool ii_shared, const char *ti, const char *ci,
                      const char *ii, uint64_t seed)
{
    struct rig r;
    memset(&r, 0, sizeof r);
    gen_state_init(&r.st, seed);
    r.rng = seed;
    r.ti = (struct ipidgen){ .kind = kind, .counter = IPC_SHARED, .value = 0x1234 };
    r.ci = (struct ipidgen){ .kind = kind, .counter = IPC_RESET, .value = 0x1234 };
    r.ii = (struct ipidgen){ .kind = kind, .counter = ii_shared ? IPC_SHARED : IPC_ICMP,
                             .value = 0x1234 };
    r.want_ti = ti;
    r.want_ci = ci;
    r.want_ii = ii;
    r.now = 5000 * MS;
    for (int s = 0; s < SCANS; s++) {
        r.now += (1100 + draw(&r, 4000)) * MS;                 /* between nmap runs */
        for (uint64_t k = draw(&r, 5); k; k--)                   /* its port scan */
            (void)next(&r, &r.ci, 1);
        r.now += (50 + draw(&r, 800)) * MS;
        one_try(&r);
        r.now += (100 + draw(&r, 700)) * MS;
        one_try(&r);
    }
    if (r.bad_ti || r.bad_ci || r.bad_ii)
        fail_msg("kind %d%s: %u TI, %u CI, %u II of %d scans misread; last: %s", kind,
                 ii_shared ? " (II shared)" : "", r.bad_ti, r.bad_ci, r.bad_ii, 2 * SCANS,
                 r.last_bad);
}

/* Each class as a profile draws it: TI, CI and II on their own counters, or II sharing
 * TI's (nmap's SS=S). Two samples are never RD for nmap: a random II reads RI. */
static const struct {
    enum ipidg_kind kind;
    bool ii_shared;
    const char *ti, *ci, *ii;
} classes[] = {
    { IPG_ZERO, false, "Z", "Z", "Z" },
    { IPG_CONST, false, "1234", "1234", "1234" },
    { IPG_INCR, false, "I", "I", "I" },
    { IPG_INCR, true, "I", "I", "I" },
    { IPG_BROKEN_INCR, false, "BI", "BI", "BI" },
    { IPG_BROKEN_INCR, true, "BI", "BI", "BI" },
    { IPG_RANDOM_INCR, false, "RI", "RI", "RI" },
    { IPG_RANDOM_INCR, true, "RI", "RI", "RI" },
    { IPG_RANDOM, false, "RD", "RD", "RI" },
    { IPG_RANDOM, true, "RD", "RD", "RI" },
};

static void test_every_class_every_time(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        run_class(classes[i].kind, classes[i].ii_shared, classes[i].ti, classes[i].ci,
                  classes[i].ii, 1000 + i);
}

/* The classifier itself, on sequences whose class nmap's rules fix. */
static void test_classifier(void **state)
{
    (void)state;
    char b[16];
    const uint16_t rd_by_decrease[3] = { 5000, 4000, 6000 }, ri[3] = { 100, 1200, 2400 };
    const uint16_t bi[3] = { 0x0100, 0x0200, 0x0300 }, i1[3] = { 7, 8, 9 }, z[3] = { 0, 0, 0 };
    const uint16_t wrap_i[3] = { 65534, 65535, 0 };
    assert_string_equal(nmap_ipid_class(rd_by_decrease, 3, b, sizeof b), "RD");
    assert_string_equal(nmap_ipid_class(ri, 3, b, sizeof b), "RI");
    assert_string_equal(nmap_ipid_class(bi, 3, b, sizeof b), "BI");
    assert_string_equal(nmap_ipid_class(i1, 3, b, sizeof b), "I");
    assert_string_equal(nmap_ipid_class(z, 3, b, sizeof b), "Z");
    /* the wrap that used to turn I into RD: nmap compares 32-bit differences */
    assert_string_equal(nmap_ipid_class(wrap_i, 3, b, sizeof b), "RD");
    /* two samples: never RD */
    assert_string_equal(nmap_ipid_class(rd_by_decrease, 2, b, sizeof b), "RI");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classifier),
        cmocka_unit_test(test_every_class_every_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
