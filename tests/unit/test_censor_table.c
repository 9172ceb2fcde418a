/* The censor's connection table: least-recently-used eviction when full and idle expiry,
 * both taken from the old end of the recency list (no scan of the pool), and the list
 * kept consistent through adds, touches, deletes and evictions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "censor.h"

#define CIP 0xc6120001u   /* 198.18.0.1 */
#define SIP 0xc6120002u   /* 198.18.0.2 */

static struct caddr A(uint32_t v4)
{
    struct caddr x;
    caddr_v4set(&x, v4);
    return x;
}

static struct cflow *add(struct ctable *t, uint32_t cip, uint16_t cport, uint16_t sport, uint64_t now)
{
    struct caddr c = A(cip), s = A(SIP);
    return ctable_add(t, &c, cport, &s, sport, now);
}

static struct cflow *find_at(struct ctable *t, uint32_t cip, uint16_t cport, uint16_t sport)
{
    bool fc;
    struct caddr c = A(cip), s = A(SIP);
    return ctable_find(t, &c, cport, &s, sport, &fc);
}

static struct cflow *find(struct ctable *t, uint16_t cport)
{
    return find_at(t, CIP, cport, 80);
}

/* Walk the list from its newest end: every live flow once, last touches never increasing,
 * the back links matching. */
static void check_list(const struct ctable *t)
{
    uint32_t n = 0, prev = 0;
    uint64_t last = UINT64_MAX;
    for (uint32_t i = t->newest; i; i = t->v[i - 1].older) {
        const struct cflow *f = &t->v[i - 1];
        assert_int_not_equal(f->state, CF_FREE);
        assert_int_equal(f->newer, prev);
        assert_true(f->last_ns <= last);
        last = f->last_ns;
        prev = i;
        assert_true(++n <= t->cap);
    }
    assert_int_equal(prev, t->oldest);
    assert_int_equal(n, t->used);
}

static void evicts_least_recently_used(void **state)
{
    (void)state;
    struct ctable t;
    assert_int_equal(ctable_init(&t, 16, 4), 0);
    for (uint16_t p = 1; p <= 16; p++)
        assert_non_null(add(&t, CIP, p, 80, p));
    check_list(&t);
    /* flows 1 and 2 see traffic again: 3 is now the least recently used */
    ctable_touch(&t, find(&t, 1), 100);
    ctable_touch(&t, find(&t, 2), 101);
    check_list(&t);
    assert_non_null(add(&t, CIP, 17, 80, 102));
    assert_null(find(&t, 3));
    assert_non_null(find(&t, 1));
    assert_non_null(find(&t, 2));
    assert_non_null(find(&t, 17));
    assert_int_equal(t.evicted, 1);
    /* then 4, 5, ... in order of their last touch */
    for (uint16_t p = 18; p < 18 + 13; p++)
        assert_non_null(add(&t, CIP, p, 80, 100 + p));
    for (uint16_t p = 3; p <= 16; p++)
        assert_null(find(&t, p));
    assert_non_null(find(&t, 1));
    assert_non_null(find(&t, 2));
    assert_int_equal(t.used, 16);
    assert_int_equal(t.evicted, 14);
    check_list(&t);
    ctable_free(&t);
}

static void delete_anywhere_keeps_the_list(void **state)
{
    (void)state;
    struct ctable t;
    assert_int_equal(ctable_init(&t, 16, 4), 0);
    for (uint16_t p = 1; p <= 8; p++)
        add(&t, CIP, p, 80, p);
    ctable_del(&t, find(&t, 8));   /* the newest */
    ctable_del(&t, find(&t, 1));   /* the oldest */
    ctable_del(&t, find(&t, 4));   /* the middle */
    check_list(&t);
    ctable_touch(&t, find(&t, 2), 50);
    ctable_touch(&t, find(&t, 2), 51);   /* already the newest */
    check_list(&t);
    assert_int_equal(t.used, 5);
    ctable_del(&t, find(&t, 2));
    ctable_del(&t, find(&t, 3));
    ctable_del(&t, find(&t, 5));
    ctable_del(&t, find(&t, 6));
    ctable_del(&t, find(&t, 7));
    assert_int_equal(t.newest, 0);
    assert_int_equal(t.oldest, 0);
    check_list(&t);
    ctable_free(&t);
}

static void expiry_takes_only_the_idle(void **state)
{
    (void)state;
    struct ctable t;
    assert_int_equal(ctable_init(&t, 64, 4), 0);
    for (uint16_t p = 1; p <= 10; p++)
        add(&t, CIP, p, 80, 1000 + p);
    ctable_touch(&t, find(&t, 1), 2000);
    /* idle for more than 995 at 2000: 2 .. 4 (last touched 1002 .. 1004) */
    ctable_expire(&t, 2000, 995);
    for (uint16_t p = 2; p <= 4; p++)
        assert_null(find(&t, p));
    for (uint16_t p = 5; p <= 10; p++)
        assert_non_null(find(&t, p));
    assert_non_null(find(&t, 1));
    assert_int_equal(t.used, 7);
    check_list(&t);
    ctable_expire(&t, 1u << 30, 10);
    assert_int_equal(t.used, 0);
    check_list(&t);
    ctable_free(&t);
}

/* A full default-sized table turned over twice: each eviction takes the oldest in O(1)
 * (a scan of the pool per eviction made this 2^33 steps), and the table stays whole. */
static void full_table_turnover(void **state)
{
    (void)state;
    struct ctable t;
    const uint32_t cap = 65536;
    assert_int_equal(ctable_init(&t, cap, 16), 0);
    for (uint32_t i = 0; i < 3 * cap; i++) {
        struct cflow *f = add(&t, CIP + (i >> 16), (uint16_t)i, 443, i);
        assert_non_null(f);
    }
    assert_int_equal(t.used, cap);
    assert_int_equal(t.evicted, 2 * cap);
    assert_null(find_at(&t, CIP + 1, 65535, 443));   /* of the second round */
    assert_non_null(find_at(&t, CIP + 2, 0, 443));   /* of the third */
    check_list(&t);
    ctable_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evicts_least_recently_used),
        cmocka_unit_test(delete_anywhere_keeps_the_list),
        cmocka_unit_test(expiry_takes_only_the_idle),
        cmocka_unit_test(full_table_turnover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
