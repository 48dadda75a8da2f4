/* test_base.c — the error formatter and the allocation hook. */
#include "base.h"
#include "harness.h"

static int n_allocs;
static void *count_alloc(void *u, size_t n) { (void)u; n_allocs++; return malloc(n); }
static void *count_realloc(void *u, void *p, size_t n) { (void)u; return realloc(p, n); }
static void count_free(void *u, void *p) { (void)u; free(p); }

int main(void)
{
    char buf[64];
    mw_format(buf, sizeof buf, "a%db%sc%uz%zux%x%%%lld", -12, "S", 7u, (size_t)99, 255u, -5LL);
    CHECK(strcmp(buf, "a-12bSc7z99xff%-5") == 0);
    mw_format(buf, 4, "%s", "truncate");
    CHECK(strcmp(buf, "tru") == 0);
    CHECK(mw_fail(MW_ERR_BAD_FORMAT, "bad %s", "magic") == MW_ERR_BAD_FORMAT);
    CHECK(strcmp(mw_last_error(), "bad magic") == 0);
    CHECK(strcmp(mw_status_name(MW_ERR_IO), "MW_ERR_IO") == 0);

    mw_allocator a = { count_alloc, count_realloc, count_free, NULL };
    mw_set_allocator(&a);
    char *s = mw_strdup("hello");
    CHECK(n_allocs == 1 && strcmp(s, "hello") == 0);
    mw_free(s);
    mw_set_allocator(NULL);
    CHECK(mw_calloc(SIZE_MAX / 2, 4) == NULL);
    return TEST_REPORT();
}
