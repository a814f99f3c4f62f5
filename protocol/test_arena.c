/* test_arena.c: arena allocation, budget and cleanups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fl_arena.h"

static int cleanup_order[4];
static int cleanup_n;

static void record_cleanup(void *arg) {
    cleanup_order[cleanup_n++] = (int)(intptr_t)arg;
}

static void test_alloc_and_cleanup(void **state) {
    (void)state;
    fl_arena_t *arena = fl_arena_new(0);
    char *a = fl_arena_alloc(arena, 10);
    memset(a, 'a', 10);
    char *big = fl_arena_alloc(arena, 100000); /* a chunk of its own */
    memset(big, 'b', 100000);
    char *c = fl_arena_alloc(arena, 10); /* still served by the first chunk */
    assert_true(((uintptr_t)c & 15) == 0);
    assert_true(c > a && c - a < 8192);
    assert_string_equal(fl_arena_sprintf(arena, "%s-%d", "x", 42), "x-42");
    cleanup_n = 0;
    fl_arena_cleanup_add(arena, record_cleanup, (void *)1);
    fl_arena_cleanup_add(arena, record_cleanup, (void *)2);
    fl_arena_destroy(arena);
    assert_int_equal(cleanup_n, 2);
    assert_int_equal(cleanup_order[0], 2); /* newest first */
    assert_int_equal(cleanup_order[1], 1);
}

static void test_budget(void **state) {
    (void)state;
    fl_arena_t *arena = fl_arena_new(1000);
    assert_non_null(fl_arena_try_alloc(arena, 500));
    assert_null(fl_arena_try_alloc(arena, 600));
    assert_non_null(fl_arena_try_alloc(arena, 400));
    assert_null(fl_arena_try_alloc(arena, (size_t)-1));
    fl_arena_destroy(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_and_cleanup),
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests_name("protocol_arena", tests, NULL, NULL);
}
