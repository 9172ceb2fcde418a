/* nmap-os-db: parsing real entries, reporting malformed ones with their line, value
 * expressions (matching as nmap does, picking one value), look-up, and playing an entry
 * as a personality (checked by what nmap would record from it, nmapdb_simulate). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "nmapdb.h"
#include "profile_ext.h"

/* Entries copied from Debian nmap 7.93's nmap-os-db (lines 77240, 68103, 26726) and its
 * MatchPoints. */
static const char *const matchpoints =
    "MatchPoints\n"
    "SEQ(SP=25%GCD=75%ISR=25%TI=100%CI=50%II=100%SS=80%TS=100)\n"
    "OPS(O1=20%O2=20%O3=20%O4=20%O5=20%O6=20)\n"
    "WIN(W1=15%W2=15%W3=15%W4=15%W5=15%W6=15)\n"
    "ECN(R=100%DF=20%T=15%TG=15%W=15%O=15%CC=100%Q=20)\n"
    "T1(R=100%DF=20%T=15%TG=15%S=20%A=20%F=30%RD=20%Q=20)\n"
    "T2(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T3(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T4(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T5(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T6(R=100%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "T7(R=80%DF=20%T=15%TG=15%W=25%S=20%A=20%F=30%O=10%RD=20%Q=20)\n"
    "U1(R=50%DF=20%T=15%TG=15%IPL=100%UN=100%RIPL=100%RID=100%RIPCK=100%RUCK=100%RUD=100)\n"
    "IE(R=50%DFI=40%T=15%TG=15%CD=100)\n"
    "\n";

static const char *const win7 =
    "# Windows 7 SP1\n"
    "Fingerprint Microsoft Windows 7 SP1\n"
    "Class Microsoft | Windows | 7 | general purpose\n"
    "CPE cpe:/o:microsoft:windows_7::sp1 auto\n"
    "SEQ(SP=FB-109%GCD=1-6%ISR=106-110%TI=I%CI=I%II=I%SS=S%TS=7)\n"
    "OPS(O1=M5B4NW8ST11%O2=M5B4NW8ST11%O3=M5B4NW8NNT11%O4=M5B4NW8ST11%O5=M5B4NW8ST11%O6=M5B4ST11)\n"
    "WIN(W1=2000%W2=2000%W3=2000%W4=2000%W5=2000%W6=2000)\n"
    "ECN(R=Y%DF=Y%T=7B-85%TG=80%W=2000%O=M5B4NW8NNS%CC=N%Q=)\n"
    "T1(R=Y%DF=Y%T=7B-85%TG=80%S=O%A=S+%F=AS%RD=0%Q=)\n"
    "T2(R=N)\n"
    "T3(R=N)\n"
    "T4(R=Y%DF=Y%T=7B-85%TG=80%W=0%S=A%A=O%F=R%O=%RD=0%Q=)\n"
    "T5(R=Y%DF=Y%T=7B-85%TG=80%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
    "T6(R=Y%DF=Y%T=7B-85%TG=80%W=0%S=A%A=O%F=R%O=%RD=0%Q=)\n"
    "T7(R=Y%DF=Y%T=7B-85%TG=80%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
    "U1(DF=N%T=7B-85%TG=80%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)\n"
    "IE(DFI=N%T=7B-85%TG=80%CD=Z)\n"
    "\n";

static const char *const linux5 =
    "Fingerprint Linux 5.0 - 5.4\n"
    "Class Linux | Linux | 5.X | general purpose\n"
    "CPE cpe:/o:linux:linux_kernel:5 auto\n"
    "SEQ(SP=101-10D%GCD=1-6%ISR=107-111%TI=Z%CI=Z%TS=A)\n"
    "OPS(O1=M5B4ST11NW7%O2=M5B4ST11NW7%O3=M5B4NNT11NW7%O4=M5B4ST11NW7%O5=M5B4ST11NW7%O6=M5B4ST11)\n"
    "WIN(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%W6=FE88)\n"
    "ECN(R=Y%DF=Y%T=3B-45%TG=40%W=FAF0%O=M5B4NNSNW7%CC=Y%Q=)\n"
    "T1(R=Y%DF=Y%T=3B-45%TG=40%S=O%A=S+%F=AS%RD=0%Q=)\n"
    "T2(R=N)\n"
    "T3(R=N)\n"
    "T4(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)\n"
    "T5(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
    "T6(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)\n"
    "T7(R=N)\n"
    "U1(DF=N%T=3B-45%TG=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)\n"
    "IE(DFI=N%T=3B-45%TG=40%CD=S)\n"
    "\n";

static const char *const freebsd =
    "Fingerprint FreeBSD 12.0-RELEASE - 13.0-CURRENT\n"
    "Class FreeBSD | FreeBSD | 12.X | general purpose\n"
    "CPE cpe:/o:freebsd:freebsd:12 auto\n"
    "Class FreeBSD | FreeBSD | 13.X | general purpose\n"
    "CPE cpe:/o:freebsd:freebsd:13 auto\n"
    "SEQ(SP=F6-108%GCD=1-6%ISR=100-112%TI=Z%CI=Z%II=RI%TS=20-22)\n"
    "OPS(O1=M5B4NW6ST11%O2=M5B4NW6ST11%O3=M5B4NW6NNT11%O4=M5B4NW6ST11%O5=M5B4NW6ST11%O6=M5B4ST11)\n"
    "WIN(W1=FFFF%W2=FFFF%W3=FFFF%W4=FFFF%W5=FFFF%W6=FFFF)\n"
    "ECN(R=Y%DF=Y%T=3B-45%TG=40%W=FFFF%O=M5B4NW6SLL%CC=Y%Q=)\n"
    "T1(R=Y%DF=Y%T=3B-45%TG=40%S=O%A=S+%F=AS%RD=0%Q=)\n"
    "T2(R=N)\n"
    "T3(R=Y%DF=Y%T=3B-45%TG=40%W=FFFF%S=O%A=S+%F=AS%O=M5B4NW6ST11%RD=0%Q=)\n"
    "T4(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)\n"
    "T5(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
    "T6(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=)\n"
    "T7(R=Y%DF=Y%T=3B-45%TG=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)\n"
    "U1(DF=N%T=3B-45%TG=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)\n"
    "IE(DFI=S%T=3B-45%TG=40%CD=S)\n";

static char text[16384];

static void load3(struct nmapdb *db)
{
    snprintf(text, sizeof text, "%s%s%s%s", matchpoints, win7, linux5, freebsd);
    assert_int_equal(nmapdb_load_buf(db, text, strlen(text), "t.db"), 0);
}

static void test_real_entries(void **state)
{
    (void)state;
    struct nmapdb db;
    load3(&db);
    assert_int_equal(db.n, 3);
    assert_int_equal(db.fail_total, 0);
    assert_true(db.have_points);
    assert_int_equal(db.points[NT_SEQ][3], 100);           /* TI */
    const struct nmapdb_entry *e = &db.e[0];
    assert_string_equal(e->name, "Microsoft Windows 7 SP1");
    assert_int_equal(e->line, 17);
    assert_int_equal(e->nclass, 1);
    assert_string_equal(e->cls[0], "Microsoft | Windows | 7 | general purpose");
    assert_string_equal(e->cpe, "cpe:/o:microsoft:windows_7::sp1");
    assert_string_equal(nmapdb_get(e, NT_OPS, "O3"), "M5B4NW8NNT11");
    assert_string_equal(nmapdb_get(e, NT_T1, "A"), "S+");
    assert_string_equal(nmapdb_get(e, NT_T4, "O"), "");
    assert_string_equal(nmapdb_get(e, NT_U1, "R"), "Y");   /* implied */
    assert_true(nmapdb_no_response(e, NT_T2));
    assert_false(nmapdb_no_response(e, NT_T4));
    assert_null(nmapdb_get(e, NT_T1, "W"));
    assert_int_equal(db.e[2].nclass, 2);
    nmapdb_free(&db);
}

static void test_malformed_reported_with_line(void **state)
{
    (void)state;
    /* line 3: truncated test line; line 9: unknown attribute; line 12: bad range;
     * line 15: R=N with attributes; line 17: a stray line; line 20: no tests */
    const char *bad =
        "Fingerprint Truncated\n"                              /* 1 */
        "Class A | B | 1 | x\n"                                /* 2 */
        "SEQ(SP=1%GCD=1-6\n"                                   /* 3 */
        "T1(R=Y)\n"                                            /* 4 */
        "\n"                                                   /* 5 */
        "Fingerprint Good one\n"                               /* 6 */
        "T1(R=Y%DF=Y%T=40)\n"                                  /* 7 */
        "Fingerprint Bad attr\n"                               /* 8 */
        "T1(R=Y%XX=1)\n"                                       /* 9 */
        "\n"                                                   /* 10 */
        "Fingerprint Bad range\n"                              /* 11 */
        "T5(W=9-1)\n"                                          /* 12 */
        "\n"                                                   /* 13 */
        "Fingerprint R clash\n"                                /* 14 */
        "T5(R=N%W=0)\n"                                        /* 15 */
        "\n"                                                   /* 16 */
        "garbage here\n"                                       /* 17 */
        "\n"                                                   /* 18 */
        "Fingerprint Empty\n"                                  /* 19 */
        "Class A | B | 1 | x\n"                                /* 20 */
        "\n"                                                   /* 21 */
        "Fingerprint Last\n"                                   /* 22 */
        "IE(DFI=N%CD=Z)";                                      /* 23: no newline at EOF */
    struct nmapdb db;
    assert_int_equal(nmapdb_load_buf(&db, bad, strlen(bad), "bad.db"), 0);
    assert_int_equal(db.n, 2);
    assert_string_equal(db.e[0].name, "Good one");
    assert_string_equal(db.e[1].name, "Last");
    assert_int_equal(db.fail_total, 6);
    assert_int_equal(db.fail[0].line, 3);
    assert_int_equal(db.fail[0].why, NDW_UNTERMINATED);
    assert_int_equal(db.fail[0].entry_line, 1);
    assert_int_equal(db.fail[1].line, 9);
    assert_int_equal(db.fail[1].why, NDW_ATTR);
    assert_int_equal(db.fail[2].line, 12);
    assert_int_equal(db.fail[2].why, NDW_VALUE);
    assert_int_equal(db.fail[3].line, 15);
    assert_int_equal(db.fail[3].why, NDW_RESPONSE);
    assert_int_equal(db.fail[4].line, 17);
    assert_int_equal(db.fail[4].why, NDW_OUTSIDE);
    assert_int_equal(db.fail[5].why, NDW_NOTESTS);
    assert_int_equal(db.fail[5].entry_line, 19);

    char buf[4096] = { 0 };
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(f);
    nmapdb_report(&db, f);
    fclose(f);
    assert_non_null(strstr(buf, "2 fingerprints loaded, 6 skipped"));
    assert_non_null(strstr(buf, "bad.db:3: test line without ')' (truncated): SEQ line has no ')' (fingerprint at line 1 skipped)"));
    assert_non_null(strstr(buf, "bad.db:12: bad value expression: T5.W=\"9-1\": range low end above its high end"));
    nmapdb_free(&db);
}

static void test_nul_and_control_bytes(void **state)
{
    (void)state;
    const char in[] = "Fingerprint X\nT1(R=Y%D\0F=Y)\n\nFingerprint Y\nT1(R=Y)\n";
    struct nmapdb db;
    assert_int_equal(nmapdb_load_buf(&db, in, sizeof in - 1, "nul"), 0);
    assert_int_equal(db.n, 1);
    assert_string_equal(db.e[0].name, "Y");
    assert_int_equal(db.fail[0].line, 2);
    assert_int_equal(db.fail[0].why, NDW_BYTES);
    nmapdb_free(&db);
}

static void test_expr_match(void **state)
{
    (void)state;
    /* cases from nmap's tests/expr_match_test.cc */
    assert_true(nmap_expr_match("M123", "M123", false));
    assert_false(nmap_expr_match("M123", "M1234", false));
    assert_true(nmap_expr_match(">A", "B", false));
    assert_false(nmap_expr_match(">C0", "C0", false));
    assert_true(nmap_expr_match(">B0", "100", false));
    assert_true(nmap_expr_match("<10", "9", false));
    assert_true(nmap_expr_match("5-B", "A", false));
    assert_false(nmap_expr_match("5-B", "C", false));
    assert_false(nmap_expr_match("5-B", "51", false));
    assert_true(nmap_expr_match("123|1BC|ABC", "1BC", false));
    assert_false(nmap_expr_match("", "1", false));
    assert_true(nmap_expr_match("", "", false));
    assert_true(nmap_expr_match("|5", "5", false));
    assert_true(nmap_expr_match("|U", "", false));
    assert_true(nmap_expr_match("0-FFFF", "4210", false));
    assert_true(nmap_expr_match("1-6", "0001", false));     /* leading zeros ignored */
    assert_true(nmap_expr_match("S+", "S+", false));
    assert_false(nmap_expr_match("S+", "S", false));
    assert_true(nmap_expr_match("M[>500]ST11W[1-5]", "M5B4ST11W2", true));
    assert_false(nmap_expr_match("M[>500]ST11W[1-5]", "M400ST11W2", true));
    assert_false(nmap_expr_match("M[>500]ST11W[1-5]", "M5B4ST11W7", true));
}

static void test_expr_valid(void **state)
{
    (void)state;
    char why[64];
    assert_true(nmap_expr_valid("FB-109", false, why));
    assert_true(nmap_expr_valid("I|RD", false, why));
    assert_true(nmap_expr_valid("", false, why));
    assert_true(nmap_expr_valid("|NNT11|M5B4NW0NNT11", true, why));
    assert_true(nmap_expr_valid("M[>500]ST11W[1-5]", true, why));
    assert_false(nmap_expr_valid("M[>500]ST11", false, why));
    assert_false(nmap_expr_valid("M[>500", true, why));
    assert_false(nmap_expr_valid("9-1", false, why));
    assert_false(nmap_expr_valid(">", false, why));
    assert_false(nmap_expr_valid("A B", false, why));
    assert_false(nmap_expr_valid("123456789-A", false, why));
}

static void pick_is(const char *expr, bool nonempty, const char *want)
{
    char out[64];
    assert_true(nmap_expr_pick(expr, nonempty, out, sizeof out));
    assert_string_equal(out, want);
    assert_true(nmap_expr_match(expr, out, true));
}

static void test_expr_pick(void **state)
{
    (void)state;
    pick_is("1-6", true, "1");
    pick_is("FB-109", true, "FB");
    pick_is("I|RD", true, "I");
    pick_is(">0", true, "1");
    pick_is("<10", true, "F");
    pick_is("|NNT11|M5B4", true, "NNT11");
    pick_is("|NNT11|M5B4", false, "");
    pick_is("|U", false, "");
    pick_is("M[>500]ST11W[1-5]", true, "M501ST11W1");
    pick_is("<0|7", true, "7");
    char out[4];
    assert_false(nmap_expr_pick("M5B4NW8ST11", true, out, sizeof out));   /* too small */
    uint32_t v;
    assert_true(nmap_expr_pick_near("3B-45", 0x40, &v));
    assert_int_equal(v, 0x40);
    assert_true(nmap_expr_pick_near("FA-104", 255, &v));
    assert_int_equal(v, 255);
    assert_true(nmap_expr_pick_near("7B-85", 0x40, &v));
    assert_int_equal(v, 0x7B);
    assert_true(nmap_expr_pick_near("20|80", 0x7F, &v));
    assert_int_equal(v, 0x80);
    assert_false(nmap_expr_pick_near("Y|N", 1, &v));
}

static void test_find(void **state)
{
    (void)state;
    struct nmapdb db;
    load3(&db);
    size_t n;
    const struct nmapdb_entry *e = nmapdb_find(&db, "Linux 5.0 - 5.4", &n);
    assert_non_null(e);
    assert_int_equal(n, 1);
    assert_string_equal(e->name, "Linux 5.0 - 5.4");
    e = nmapdb_find(&db, "windows 7", &n);
    assert_non_null(e);
    assert_string_equal(e->name, "Microsoft Windows 7 SP1");
    e = nmapdb_find(&db, " ", &n);
    assert_int_equal(n, 3);
    e = nmapdb_find(&db, "@17", &n);
    assert_non_null(e);
    assert_string_equal(e->name, "Microsoft Windows 7 SP1");
    assert_null(nmapdb_find(&db, "@18", NULL));
    assert_null(nmapdb_find(&db, "Plan 9", NULL));
    nmapdb_free(&db);
}

static void test_to_profile_windows7(void **state)
{
    (void)state;
    struct nmapdb db;
    load3(&db);
    static struct personality p;
    char why[256];
    assert_int_equal(nmapdb_to_profile(&db.e[0], &p, why), 0);
    assert_string_equal(p.prof.name, "Microsoft Windows 7 SP1");
    assert_int_equal(p.prof.ttl, 128);
    assert_true(p.prof.df);
    assert_int_equal(p.prof.synack_win, 8192);
    assert_int_equal(p.prof.mss, 1460);
    assert_int_equal(p.prof.wscale, 8);
    assert_true(p.prof.sack && p.prof.ts);
    assert_int_equal(p.prof.ts_hz, 100);
    assert_string_equal(p.prof.synack_layout[3], "MNWST");
    assert_string_equal(p.prof.synack_layout[2], "MNWNNT");
    assert_string_equal(p.prof.synack_layout[1], "MNWNNS");
    assert_string_equal(p.prof.synack_layout[0], "MNW");
    assert_false(p.prof.closed_silent);
    assert_int_equal(p.ans.ipid_synack.kind, IPG_INCR);
    assert_int_equal(p.ans.ipid_icmp.counter, IPC_SHARED);         /* SS=S */
    assert_int_equal(p.ans.isn.kind, ISG_CLOCK);
    assert_int_equal(p.ans.probe_mask, 0x7f);
    assert_string_equal(p.ans.probe[NP_SEQ6].opts, "M5B4ST11");
    assert_false(p.ans.stray[STRAY_OPEN_NOFLAGS].respond);
    assert_int_equal(p.ans.stray[STRAY_OPEN_ACK].flags, TH_RST);
    assert_int_equal(p.ans.stray[STRAY_OPEN_ACK].seq, SEQR_ACK);
    assert_int_equal(p.ans.stray[STRAY_OPEN_ACK].ack, ACKR_OTHER);
    assert_int_equal(p.ans.stray[STRAY_CLOSED_SYN].flags, TH_RST | TH_ACK);
    assert_int_equal(p.ans.u1.quote_max, 548);
    assert_false(p.ans.u1.df);
    assert_int_equal(p.ans.ie.cd, CD_ZERO);
    assert_int_equal(p.ans.ie.dfi, DFI_N);

    /* what nmap would record from it matches the entry in every attribute */
    static char buf[8192];
    struct nmapdb_entry obs;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        assert_true(nmapdb_simulate(&p, seed, &obs, buf, sizeof buf));
        assert_true(nmapdb_score(&db, &db.e[0], &obs) > 0.999999);
        assert_true(nmapdb_score(&db, &db.e[1], &obs) < 0.8);
    }
    nmapdb_free(&db);
}

static void test_to_profile_linux_freebsd(void **state)
{
    (void)state;
    struct nmapdb db;
    load3(&db);
    static struct personality p;
    static char buf[8192];
    char why[256];
    struct nmapdb_entry obs;
    assert_int_equal(nmapdb_to_profile(&db.e[1], &p, why), 0);
    assert_int_equal(p.prof.ttl, 64);
    assert_string_equal(p.prof.synack_layout[3], "MSTNW");
    assert_string_equal(p.prof.synack_layout[1], "MNNSNW");
    assert_int_equal(p.ans.synack_win[3], 0xFE88);
    assert_int_equal(p.ans.synack_win[1], 0xFAF0);
    assert_int_equal(p.ans.ecn_flags, TH_ECE);
    assert_false(p.ans.stray[STRAY_CLOSED_OTHER].respond);
    assert_true(nmapdb_simulate(&p, 3, &obs, buf, sizeof buf));
    assert_true(nmapdb_score(&db, &db.e[1], &obs) > 0.999999);

    assert_int_equal(nmapdb_to_profile(&db.e[2], &p, why), 0);
    assert_string_equal(p.prof.synack_layout[1], "MNWSEE");
    assert_string_equal(p.prof.synack_layout[0], "MNW");
    assert_int_equal(p.ans.ts.kind, TSG_RANDOM);                   /* TS=20-22 */
    assert_int_equal(p.ans.ts.fast_log2, 0x21);
    assert_string_equal(p.ans.stray[STRAY_OPEN_SYNFIN].opts, "M5B4NW6ST11");
    for (uint64_t seed = 1; seed <= 20; seed++) {
        assert_true(nmapdb_simulate(&p, seed, &obs, buf, sizeof buf));
        assert_true(nmapdb_score(&db, &db.e[2], &obs) > 0.999999);
    }
    nmapdb_free(&db);
}

static void test_refuses_silent_open_port(void **state)
{
    (void)state;
    const char *in = "Fingerprint Deaf\nT1(R=N)\nT5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR)\n";
    struct nmapdb db;
    static struct personality p;
    char why[256];
    assert_int_equal(nmapdb_load_buf(&db, in, strlen(in), "d"), 0);
    assert_int_equal(db.n, 1);
    assert_int_equal(nmapdb_to_profile(&db.e[0], &p, why), -1);
    assert_non_null(strstr(why, "T1(R=N)"));
    nmapdb_free(&db);
}

static void test_builtins_against_installed_db(void **state)
{
    (void)state;
    if (access(NMAPDB_DEFAULT, R_OK) != 0)
        skip();
    struct nmapdb db;
    char err[256];
    assert_int_equal(nmapdb_load(&db, NMAPDB_DEFAULT, err), 0);
    assert_int_equal(db.fail_total, 0);
    static char buf[8192];
    const struct personality *const *all = personality_builtin_all();
    int n = 0;
    for (; all[n]; n++) {
        struct nmapdb_entry obs;
        assert_true(nmapdb_simulate(all[n], 11, &obs, buf, sizeof buf));
        const struct nmapdb_entry *best[3];
        double acc[3];
        assert_true(nmapdb_rank(&db, &obs, best, acc, 3) > 0);
        /* nmap's top guess is the fingerprint the profile plays, at 95% or more */
        char at[16];
        snprintf(at, sizeof at, "@%u", all[n]->src_line);
        const struct nmapdb_entry *src = nmapdb_find(&db, at, NULL);
        assert_non_null(src);
        assert_string_equal(src->name, all[n]->src_nmap);
        double self = nmapdb_score(&db, src, &obs);
        assert_true(self >= 0.95);
        assert_true(self >= acc[0] - 1e-9);
    }
    assert_int_equal(n, 6);
    assert_non_null(personality_builtin_find("windows7-firewall"));
    assert_true(personality_builtin_find("windows7-firewall")->prof.closed_silent);
    assert_null(personality_builtin_find("linux"));
    nmapdb_free(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_entries),
        cmocka_unit_test(test_malformed_reported_with_line),
        cmocka_unit_test(test_nul_and_control_bytes),
        cmocka_unit_test(test_expr_match),
        cmocka_unit_test(test_expr_valid),
        cmocka_unit_test(test_expr_pick),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_to_profile_windows7),
        cmocka_unit_test(test_to_profile_linux_freebsd),
        cmocka_unit_test(test_refuses_silent_open_port),
        cmocka_unit_test(test_builtins_against_installed_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
