/* Flow table and timer heap: lookups, reuse of freed slots, the bound, deadline order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "flow.h"

static void test_insert_lookup_delete(void **st)
{
    (void)st;
    struct flowtab t;
    assert_int_equal(flowtab_init(&t, 1000), 0);
    struct flow *a = flow_new(&t, 0xc6120001, 40000, 0xc612000a, 80);
    struct flow *b = flow_new(&t, 0xc6120001, 40001, 0xc612000a, 80);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_equal(flow_lookup(&t, 0xc6120001, 40000, 0xc612000a, 80), a);
    assert_ptr_equal(flow_lookup(&t, 0xc6120001, 40001, 0xc612000a, 80), b);
    assert_null(flow_lookup(&t, 0xc6120001, 40002, 0xc612000a, 80));
    /* the 4-tuple is directional: swapping ends is another flow */
    assert_null(flow_lookup(&t, 0xc612000a, 80, 0xc6120001, 40000));
    flow_del(&t, a);
    assert_null(flow_lookup(&t, 0xc6120001, 40000, 0xc612000a, 80));
    assert_ptr_equal(flow_lookup(&t, 0xc6120001, 40001, 0xc612000a, 80), b);
    assert_int_equal(t.used, 1);
    flowtab_free(&t);
}

static void test_bound_and_reuse(void **st)
{
    (void)st;
    struct flowtab t;
    assert_int_equal(flowtab_init(&t, 1000), 0);
    for (uint32_t i = 0; i < 1000; i++)
        assert_non_null(flow_new(&t, i, (uint16_t)i, 7, 80));
    assert_null(flow_new(&t, 5000, 1, 7, 80));   /* the bound holds */
    struct flow *f = flow_lookup(&t, 500, 500, 7, 80);
    assert_non_null(f);
    flow_del(&t, f);
    struct flow *g = flow_new(&t, 6000, 2, 7, 80);
    assert_ptr_equal(g, f);                       /* the freed slot is reused */
    assert_int_equal(t.hwm, 1000);
    for (uint32_t i = 0; i < 1000; i++)
        if (i != 500)
            assert_non_null(flow_lookup(&t, i, (uint16_t)i, 7, 80));
    flowtab_free(&t);
}

static void test_timer_order(void **st)
{
    (void)st;
    struct flowtab t;
    enum { N = 5000 };
    assert_int_equal(flowtab_init(&t, N), 0);
    srand(7);
    for (uint32_t i = 0; i < N; i++) {
        struct flow *f = flow_new(&t, i, 1, 2, 3);
        timer_arm(&t, f, TM_APP, (uint64_t)(rand() % 100000));
    }
    /* re-arm a third, cancel a fifth: the heap must stay ordered */
    for (uint32_t i = 0; i < N; i += 3)
        timer_arm(&t, &t.v[i], TM_APP, (uint64_t)(rand() % 100000));
    uint32_t cancelled = 0;
    for (uint32_t i = 0; i < N; i += 5) {
        if (t.v[i].hpos) {
            timer_cancel(&t, &t.v[i]);
            cancelled++;
        }
    }
    assert_int_equal(t.nheap, N - cancelled);
    uint64_t last = 0;
    uint32_t n = 0;
    struct flow *f;
    while ((f = timer_peek(&t))) {
        assert_true(f->deadline_us >= last);
        last = f->deadline_us;
        assert_int_equal(f->timer, TM_APP);
        timer_cancel(&t, f);
        assert_int_equal(f->hpos, 0);
        n++;
    }
    assert_int_equal(n, N - cancelled);
    flowtab_free(&t);
}

static void test_delete_cancels_timer(void **st)
{
    (void)st;
    struct flowtab t;
    assert_int_equal(flowtab_init(&t, 10), 0);
    struct flow *a = flow_new(&t, 1, 1, 2, 2);
    struct flow *b = flow_new(&t, 1, 2, 2, 2);
    timer_arm(&t, a, TM_SYNACK, 10);
    timer_arm(&t, b, TM_SYNACK, 20);
    flow_del(&t, a);
    assert_ptr_equal(timer_peek(&t), b);
    assert_int_equal(t.nheap, 1);
    flowtab_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_lookup_delete),
        cmocka_unit_test(test_bound_and_reuse),
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_delete_cancels_timer),
    };
    return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
