/* `try`'s expectations (parsed and judged), its cases, its JUnit file, and `local`'s
 * port lists. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "local.h"
#include "rules.h"
#include "try.h"

static char err[400];

static void test_expect_parse(void **state)
{
    (void)state;
    struct try_expect e;
    assert_int_equal(try_expect_parse(&e, "silent: exit!=0, time<6s", err, sizeof err), 0);
    assert_string_equal(e.cases, "silent");
    assert_int_equal(e.n, 2);
    assert_int_equal(e.c[0].what, COND_EXIT);
    assert_int_equal(e.c[0].cmp, CMP_NE);
    assert_true(e.c[0].value == 0);
    assert_int_equal(e.c[1].what, COND_TIME);
    assert_int_equal(e.c[1].cmp, CMP_LT);
    assert_true(e.c[1].value == 6);
    assert_int_equal(try_expect_parse(&e, " * :time>=500ms,hang", err, sizeof err), 0);
    assert_string_equal(e.cases, "*");
    assert_int_equal(e.c[0].cmp, CMP_GE);
    assert_true(e.c[0].value == 0.5);
    assert_int_equal(e.c[1].what, COND_HANG);
    assert_int_equal(try_expect_parse(&e, "closed: exit=7", err, sizeof err), 0);
    assert_int_equal(e.c[0].cmp, CMP_EQ);
    assert_true(e.c[0].value == 7);

    static const char *const bad[] = { "silent exit==1", "nope: exit==1", ": exit==1",
                                       "silent: exit~1", "silent: exit==", "silent: time<6h",
                                       "silent: exit==1x", "silent: speed>1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(try_expect_parse(&e, bad[i], err, sizeof err), -1);
        assert_non_null(strstr(err, "--expect"));
    }
}

static struct try_result result(const char *name, int code, double secs, bool hang)
{
    struct try_result r;
    memset(&r, 0, sizeof r);
    r.tc = try_case_find(name);
    assert_non_null(r.tc);
    r.ran = true;
    r.exit_code = code;
    r.secs = secs;
    r.hang = hang;
    return r;
}

static void test_judge(void **state)
{
    (void)state;
    struct try_expect ex[3];
    assert_int_equal(try_expect_parse(&ex[0], "silent: exit!=0, time<6s", err, sizeof err), 0);
    assert_int_equal(try_expect_parse(&ex[1], "*: no-hang", err, sizeof err), 0);
    assert_int_equal(try_expect_parse(&ex[2], "closed: exit==7", err, sizeof err), 0);

    struct try_result r = result("silent", 28, 3.0, false);
    try_judge(&r, ex, 3);
    assert_int_equal(r.verdict, 1);
    r = result("silent", 28, 7.0, false);
    try_judge(&r, ex, 3);
    assert_int_equal(r.verdict, 0);
    assert_string_equal(r.why, "time<6s");
    /* a hanging client has no exit status: exit!=0 is not met */
    r = result("silent", 0, 15.0, true);
    try_judge(&r, ex, 3);
    assert_int_equal(r.verdict, 0);
    assert_string_equal(r.why, "exit!=0, time<6s, no-hang");
    r = result("closed", 7, 0.1, false);
    try_judge(&r, ex, 3);
    assert_int_equal(r.verdict, 1);
    /* no expectation names it */
    r = result("open", 28, 3.0, false);
    try_judge(&r, ex, 1);
    assert_int_equal(r.verdict, -1);
    /* it could not run: every expectation on it fails */
    r = result("closed", 0, 0, false);
    r.ran = false;
    try_judge(&r, &ex[2], 1);
    assert_int_equal(r.verdict, 0);
}

static void test_cases(void **state)
{
    (void)state;
    size_t n;
    const struct try_case *c = try_cases(&n);
    assert_true(n >= 12);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(try_case_find(c[i].name), &c[i]);
        assert_non_null(c[i].args[0]);
        assert_non_null(c[i].what);
    }
    assert_null(try_case_find("nope"));
}

static void test_junit_escapes(void **state)
{
    (void)state;
    char path[] = "/tmp/rstcraft-test-junit-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct try_result r[2];
    r[0] = result("closed", 7, 0.01, false);
    snprintf(r[0].err_last, sizeof r[0].err_last, "curl: <can't> & \"x\"\x01");
    r[0].verdict = -1;
    r[1] = result("silent", 0, 1.0, true);
    r[1].verdict = -1;
    assert_int_equal(try_junit(path, r, 2, 1.5, err, sizeof err), 0);
    char buf[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    unlink(path);
    assert_non_null(strstr(buf, "tests=\"2\" failures=\"0\" errors=\"1\""));
    assert_non_null(strstr(buf, "curl: &lt;can&apos;t&gt; &amp; &quot;x&quot;?</system-err>"));
    assert_non_null(strstr(buf, "<error message=\"the client hung"));
    assert_int_equal(try_junit("/nonexistent/x.xml", r, 2, 1.5, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.xml"));
}

static void test_ports_str(void **state)
{
    (void)state;
    static struct portset ps;
    char buf[64];
    assert_int_equal(portset_parse(&ps, "80,443,8000-8100,65535", err, sizeof err), 0);
    local_ports_str(&ps, buf, sizeof buf);
    assert_string_equal(buf, "80,443,8000-8100,65535");
    assert_int_equal(portset_parse(&ps, "*", err, sizeof err), 0);
    local_ports_str(&ps, buf, sizeof buf);
    assert_string_equal(buf, "*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_parse),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_junit_escapes),
        cmocka_unit_test(test_ports_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
