/* A mode defined here only, with a parameter of its own: registered, it gets its command
 * line option, its rules file key, its --help line and its range check, and reads its value
 * through its own accessor, with no line of the responder changed (README, "Adding a mode"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"
#include "mode.h"
#include "rules.h"

/* --- the mode: what a mode_hold.c would hold --- */

static const struct mode_param hold_param = {
    .name = "hold", .metavar = "MS", .unit = "milliseconds", .lo = 5, .hi = 5000, .dflt = 50,
    .help = "SYN-ACK after MS",
};
static const struct mode_param *const hold_params[] = { &hold_param, NULL };

static uint32_t hold_ms(const struct rule *r) { return mode_value(&r->p, &hold_param); }

static struct syn_decision hold_on_syn(struct engine *e, const struct rule *r, struct flow *fl,
                                       const struct frame *f)
{
    (void)e; (void)fl; (void)f;
    return (struct syn_decision){ SYN_ACCEPT, hold_ms(r) * 1000u };
}

static const struct mode_ops mode_hold = {
    .name = "hold",
    .summary = "an example: the SYN-ACK after --hold MS",
    .kind = PORT_LISTEN,
    .params = hold_params,
    .on_syn = hold_on_syn,
};

/* --- the tests --- */

#define END ((const char *)NULL)
static struct resp_config cfg;
static char err[1024];

static int parse(const char *first, ...)
{
    char *argv[32] = { (char *)"rstcraft" };
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    err[0] = '\0';
    return config_parse(&cfg, argc, argv, err, sizeof err);
}

static int setup(void **state)
{
    (void)state;
    return mode_register(&mode_hold, err, sizeof err);
}

static void test_option(void **state)
{
    (void)state;
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--mode", "hold", "--hold", "70", END), 0);
    assert_ptr_equal(cfg.rules.dflt.mode, &mode_hold);
    assert_int_equal(hold_ms(&cfg.rules.dflt), 70);
    struct syn_decision d = mode_hold.on_syn(NULL, &cfg.rules.dflt, NULL, NULL);
    assert_int_equal(d.verdict, SYN_ACCEPT);
    assert_int_equal(d.synack_delay_us, 70000);
    config_free(&cfg);

    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "-p", "80", "--mode", "hold", END), 0);
    assert_int_equal(hold_ms(&cfg.rules.v[0]), 50);          /* its default */
    assert_int_equal(mode_value(&cfg.rules.v[0].p, mode_param_find("delay")), 110);   /* the others' too */
    config_free(&cfg);
}

static void test_range(void **state)
{
    (void)state;
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--hold", "4", END), 2);
    assert_string_equal(err, "rstcraft: --hold: expected milliseconds (5..5000), got '4'");
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--hold", "5001", END), 2);
    assert_string_equal(err, "rstcraft: --hold: expected milliseconds (5..5000), got '5001'");
    assert_int_equal(parse("-i", "r0", "-a", "198.18.0.10", "--hold", END), 2);
    assert_string_equal(err, "rstcraft: --hold needs an argument (see rstcraft --help)");
}

static void test_rules_key(void **state)
{
    (void)state;
    struct ruleset rs;
    const char good[] = "* 80 hold hold=5000\n* 81 hold\ndefault hold hold=5\n";
    ruleset_init(&rs);
    assert_int_equal(ruleset_load_buf(&rs, "t.rules", good, strlen(good), err, sizeof err), 0);
    assert_int_equal(rs.n, 2);
    assert_ptr_equal(rs.v[0].mode, &mode_hold);
    assert_int_equal(hold_ms(&rs.v[0]), 5000);
    assert_int_equal(hold_ms(&rs.v[1]), 50);
    assert_int_equal(hold_ms(&rs.dflt), 5);
    ruleset_free(&rs);

    static const struct { const char *text, *msg; } bad[] = {
        { "* 80 hold hold=5001\n", "t.rules:1: hold: expected milliseconds (5..5000), got '5001'" },
        { "* 80 hold hold\n",      "t.rules:1: hold needs a value (hold=N, milliseconds 5..5000)" },
        { "* 80 hold hodl=9\n",    "t.rules:1: unknown key 'hodl' (expected delay=, read=, read-wait=, "
          "backlog=, reply=, reply-size=, reset-after=, reply-delay=, reply-rate=, reply-segments=, "
          "idle-close=, hold=, echo, abort-on-overflow)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ruleset_init(&rs);
        assert_int_equal(ruleset_load_buf(&rs, "t.rules", bad[i].text, strlen(bad[i].text), err,
                                          sizeof err), -1);
        assert_string_equal(err, bad[i].msg);
        ruleset_free(&rs);
    }
}

static void test_usage(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    config_usage(f);
    fclose(f);
    /* in the mode options, naming the mode that reads it; and the mode in the list */
    const char *opts = strstr(text, "Mode options"), *reply = strstr(text, "Reply options");
    const char *line = strstr(text, "\n  --hold MS              hold: SYN-ACK after MS "
                                    "(5..5000, default 50)\n");
    assert_non_null(line);
    assert_true(opts < line && line < reply);
    assert_non_null(strstr(text, "\n  hold         an example: the SYN-ACK after --hold MS\n"));
    free(text);
}

static void test_register_refused(void **state)
{
    (void)state;
    static const struct mode_param other_delay = { .name = "delay", .metavar = "MS", .unit = "ms" };
    static const struct mode_param *const clash[] = { &other_delay, NULL };
    static const struct mode_ops clash_mode = { .name = "clash", .params = clash };
    assert_int_equal(mode_register(&mode_hold, err, sizeof err), -1);
    assert_string_equal(err, "mode 'hold' is registered twice");
    assert_int_equal(mode_register(&clash_mode, err, sizeof err), -1);
    assert_string_equal(err, "parameter 'delay' is declared twice");
    assert_null(mode_find("clash"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_rules_key),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_register_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
