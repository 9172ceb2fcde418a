/* The capture ring's recovery of a lost head (rxring_recover), on a ring of slots built in
 * memory with the status words set by hand, as the kernel would have left them; the
 * socket is one end of a socketpair, so the drain of its queue finds nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <cmocka.h>
#include "rxring.h"

#define SLOTS 8
#define SLOT 256

static struct rxring ring(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    struct rxring r = { .fd = sv[0], .block_size = SLOT * SLOTS, .frame_size = SLOT,
                        .frames_per_block = SLOTS, .frame_nr = SLOTS, .cur = 2 };
    r.map = calloc(1, SLOT * SLOTS);
    assert_non_null(r.map);
    return r;
}

static void set(struct rxring *r, uint32_t i, uint32_t status)
{
    ((struct tpacket2_hdr *)(void *)(r->map + (size_t)i * SLOT))->tp_status = status;
}

static void done(struct rxring *r, int sv[2])
{
    free(r->map);
    close(sv[0]);
    close(sv[1]);
}

/* The kernel passed the head without filling it: the reader catches up with the first
 * filled slot after it. */
static void lost_head_is_caught_up(void **state)
{
    (void)state;
    int sv[2];
    struct rxring r = ring(sv);
    set(&r, 4, TP_STATUS_USER);
    set(&r, 5, TP_STATUS_USER);
    assert_true(rxring_recover(&r));
    assert_int_equal(r.cur, 4);
    done(&r, sv);
}

/* The head was filled after the reader found it empty and before it looked further: a
 * frame on time, not a lost head. The reader must stay, or that slot stays the reader's
 * for ever and the kernel drops every frame once it comes round to it. */
static void head_filled_meanwhile_is_kept(void **state)
{
    (void)state;
    int sv[2];
    struct rxring r = ring(sv);
    set(&r, 2, TP_STATUS_USER);
    set(&r, 3, TP_STATUS_USER);
    assert_false(rxring_recover(&r));
    assert_int_equal(r.cur, 2);
    done(&r, sv);
}

/* Nothing filled anywhere: nothing to do. */
static void empty_ring_stays(void **state)
{
    (void)state;
    int sv[2];
    struct rxring r = ring(sv);
    assert_false(rxring_recover(&r));
    assert_int_equal(r.cur, 2);
    done(&r, sv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lost_head_is_caught_up),
        cmocka_unit_test(head_filled_meanwhile_is_kept),
        cmocka_unit_test(empty_ring_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
