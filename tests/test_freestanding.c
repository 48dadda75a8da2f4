/*
 * test_freestanding.c — the wasm64 module's libc pieces (web/freestanding/), built natively:
 *   - malloc.c over a simulated wasm memory (a region that "memory.grow" extends page by
 *     page): random malloc/calloc/realloc/free with every block's bytes checked, 16-byte
 *     alignment, full coalescing (everything freed serves one big block without growing),
 *     memory grown by someone else, size overflows, and (64-bit Linux) a block of 5 GiB ending
 *     above 4 GiB, and two threads allocating at once (the lock);
 *   - libc.c's snprintf against the C library's on the formats the core and web/api.c use
 *     (%.9g of 200k random floats, %.17g of integers, widths, flags, truncation), qsort's
 *     stability and the string functions.
 * The files are included with their symbols renamed (fs_*), so the host libc stays in charge.
 */
#include "harness.h"

#include <limits.h>
#if defined(__linux__) && !defined(__EMSCRIPTEN__) && UINTPTR_MAX > 0xffffffffu
#define BIG_MEMORY 1 /* reserve 8 GiB of address space (untouched pages cost nothing) */
#include <pthread.h>
#include <sys/mman.h>
#endif

/* ---- the simulated wasm memory -------------------------------------------------------- */
static char *mem_base;
static size_t mem_pages, mem_max_pages;
static int mem_grow(size_t n)
{
    if (n > mem_max_pages - mem_pages)
        return 0;
    mem_pages += n;
    return 1;
}
#define HEAP_START ((size_t)mem_base + 1000) /* data and stack before the heap, unaligned */
#define MEMORY_END() ((size_t)mem_base + mem_pages * 65536)
#define MEMORY_GROW(n) mem_grow(n)

#define malloc fs_malloc
#define calloc fs_calloc
#define realloc fs_realloc
#define free fs_free
#define qsort fs_qsort
#define snprintf fs_snprintf
#define vsnprintf fs_vsnprintf
#define memcpy fs_memcpy
#define memmove fs_memmove
#define memset fs_memset
#define memcmp fs_memcmp
#define memchr fs_memchr
#define strlen fs_strlen
#define strnlen fs_strnlen
#define strcmp fs_strcmp
#define strncmp fs_strncmp
#define strchr fs_strchr
#define strrchr fs_strrchr
#define strstr fs_strstr
#define abs fs_abs
void *fs_malloc(size_t n);
void fs_free(void *p);
#include "../web/freestanding/libc.c"
#include "../web/freestanding/malloc.c"
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef qsort
#undef snprintf
#undef vsnprintf
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strstr
#undef abs

/* ---- allocator ------------------------------------------------------------------------ */

typedef struct slot { unsigned char *p; size_t n; uint8_t tag; } slot;

static void fill(slot *s) { for (size_t i = 0; i < s->n; i++) s->p[i] = (uint8_t)(s->tag + i * 7); }
static int intact(const slot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != (uint8_t)(s->tag + i * 7))
            return 0;
    return 1;
}

static int small_only; /* the threads test: many quick operations, so the threads collide */

static size_t rnd_size(uint64_t *r)
{
    uint32_t k = test_rnd_u32(r) % 100, v = test_rnd_u32(r);
    if (small_only)
        return v % 200;
    return k < 70 ? v % 257 : k < 97 ? v % 65537 : v % (1u << 20);
}

/* n_ops random operations over n_slots; returns the number of problems seen */
static int churn(slot *slots, int n_slots, int n_ops, uint64_t seed)
{
    uint64_t r = seed;
    int bad = 0;
    for (int op = 0; op < n_ops; op++) {
        slot *s = &slots[test_rnd_u32(&r) % (uint32_t)n_slots];
        const uint32_t what = test_rnd_u32(&r) % 10;
        if (s->p && what < 4) {
            bad += !intact(s, s->n);
            fs_free(s->p);
            s->p = NULL;
        } else if (s->p && what < 7) {
            const size_t n = rnd_size(&r);
            unsigned char *q = fs_realloc(s->p, n);
            if (!q) { bad++; continue; }
            s->p = q;
            bad += !intact(s, n < s->n ? n : s->n);
            bad += ((uintptr_t)q & 15) != 0;
            s->n = n;
            fill(s);
        } else if (!s->p) {
            s->n = rnd_size(&r);
            s->tag = (uint8_t)test_rnd_u32(&r);
            s->p = what == 9 ? fs_calloc(1, s->n) : fs_malloc(s->n);
            if (!s->p) { bad++; continue; }
            bad += ((uintptr_t)s->p & 15) != 0;
            if (what == 9)
                for (size_t i = 0; i < s->n; i++)
                    bad += s->p[i] != 0;
            fill(s);
        }
    }
    return bad;
}

static int release(slot *slots, int n_slots)
{
    int bad = 0;
    for (int i = 0; i < n_slots; i++)
        if (slots[i].p) {
            bad += !intact(&slots[i], slots[i].n);
            fs_free(slots[i].p);
            slots[i].p = NULL;
        }
    return bad;
}

#ifdef BIG_MEMORY
static void *thread_churn(void *arg)
{
    static slot slots[2][300];
    static int arrived;
    const int t = (int)(intptr_t)arg;
    __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST); /* start together, so the threads collide */
    while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < 2)
        ;
    int bad = churn(slots[t], 300, 300000, 1000 + (uint64_t)t);
    bad += release(slots[t], 300);
    return (void *)(intptr_t)bad;
}
#endif

static void test_allocator(void)
{
#ifdef BIG_MEMORY
    mem_max_pages = (size_t)8 << 14; /* 8 GiB */
    mem_base = mmap(NULL, mem_max_pages * 65536, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem_base == MAP_FAILED)
        mem_base = NULL;
#endif
    if (!mem_base) {
        mem_max_pages = 4096; /* 256 MiB from the host allocator */
        mem_base = malloc(mem_max_pages * 65536 + 65536);
        mem_base = (char *)(((uintptr_t)mem_base + 65535) & ~(uintptr_t)65535);
    }
    mem_pages = 16; /* the module's initial memory */

    static slot slots[1000];
    int bad = churn(slots, 1000, 60000, 42);
    CHECK_MSG(bad == 0, "random churn: %d corrupted, misaligned or failed blocks", bad);
    bad = release(slots, 1000);
    CHECK_MSG(bad == 0, "release: %d corrupted blocks", bad);

    /* everything free again: one block of (nearly) the whole heap fits without growing */
    const size_t pages = mem_pages, heap = MEMORY_END() - HEAP_START;
    void *all = fs_malloc(heap - 4096);
    CHECK_MSG(all != NULL && mem_pages == pages, "all blocks merged back: %p, %zu -> %zu pages", all,
              pages, mem_pages);
    fs_free(all);

    /* someone else grows the memory: the heap continues after the foreign pages */
    unsigned char *before = fs_malloc(1000);
    memset(before, 0xab, 1000);
    const size_t foreign_start = MEMORY_END();
    mem_grow(3);
    const size_t foreign_end = MEMORY_END();
    unsigned char *big = fs_malloc(heap + (1 << 20)); /* more than the top has */
    CHECK(big != NULL);
    CHECK_MSG((size_t)big >= foreign_end || (size_t)big + heap + (1 << 20) <= foreign_start,
              "the new block does not overlap the foreign pages");
    unsigned char *small = fs_malloc(100); /* may reuse the old top, fenced from the gap */
    CHECK(small != NULL && ((size_t)small + 100 <= foreign_start || (size_t)small >= foreign_end));
    int ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= before[i] == 0xab;
    CHECK_MSG(ok, "earlier block intact");
    fs_free(big);
    fs_free(small);
    fs_free(before);

    CHECK(fs_malloc(SIZE_MAX) == NULL);
    CHECK(fs_malloc(SIZE_MAX / 2 + 1) == NULL);
    CHECK(fs_calloc(SIZE_MAX / 8, 16) == NULL);
    CHECK(fs_malloc(mem_max_pages * 65536) == NULL); /* beyond the maximum memory */
    void *z = fs_malloc(0);
    CHECK(z != NULL);
    fs_free(z);
    fs_free(NULL);
    CHECK(fs_realloc(NULL, 10) != NULL);

#ifdef BIG_MEMORY
    /* 5 GiB in one block, ending above 4 GiB of "wasm" addresses; first and last bytes usable */
    const size_t five = (size_t)5 << 30;
    unsigned char *huge = fs_malloc(five);
    CHECK_MSG(huge != NULL && (size_t)(huge - (unsigned char *)mem_base) + five > ((size_t)4 << 30),
              "5 GiB block above 4 GiB");
    if (huge) {
        huge[0] = 1;
        huge[five - 1] = 2;
        unsigned char *grown = fs_realloc(huge, five + 12345); /* extends in place into the top */
        CHECK(grown == huge && grown[0] == 1 && grown[five - 1] == 2);
        fs_free(grown);
    }
    pthread_t th[2];
    small_only = 1;
    for (int t = 0; t < 2; t++)
        pthread_create(&th[t], NULL, thread_churn, (void *)(intptr_t)t);
    intptr_t tbad = 0;
    for (int t = 0; t < 2; t++) {
        void *r;
        pthread_join(th[t], &r);
        tbad += (intptr_t)r;
    }
    CHECK_MSG(tbad == 0, "two threads: %d corrupted or failed blocks", (int)tbad);
    printf("ok allocator: churn, merging, foreign growth, a 5 GiB block, two threads\n");
#else
    printf("ok allocator: churn, merging, foreign growth (no 5 GiB / thread checks on this platform)\n");
#endif
}

/* ---- snprintf ------------------------------------------------------------------------- */

static int fmt_bad;
#define SAME(...) do { \
    char a_[256], b_[256]; \
    int na_ = fs_snprintf(a_, sizeof a_, __VA_ARGS__), nb_ = snprintf(b_, sizeof b_, __VA_ARGS__); \
    if (na_ != nb_ || strcmp(a_, b_)) { \
        if (fmt_bad++ < 10) fprintf(stderr, "snprintf(%s): \"%s\" (%d) vs libc \"%s\" (%d)\n", \
                                    #__VA_ARGS__, a_, na_, b_, nb_); \
    } \
} while (0)

static void test_snprintf(void)
{
    SAME("%d|%5d|%-5d|%05d|%+d|% d|%.3d|%i", 42, -42, 42, -42, 42, 42, 7, INT_MIN);
    SAME("%u %x %X %#x %o %lu %llu %zu %lld %ld", 3000000000u, 0xbeefu, 0xbeefu, 255u, 8u,
         ULONG_MAX, ULLONG_MAX, (size_t)123456789, LLONG_MIN, -5L);
    SAME("%c%c|%s|%10s|%-10s|%.3s|%%|%*d|%-*d|", 'o', 'k', "text", "right", "left", "truncate", 6, 1, 4, 2);
    SAME("\\u%04x %02x %8.3x", 0x1f, 5, 0xa);
    SAME("%g %g %g %g %g %g %g", 0.0, -0.0, 1.0, 0.5, 1e-5, 123456.0, 1234567.0);
    SAME("%g %g %g %g %g %g", 1e100, 1e-300, 5e-324, 1.5e308, 0.0001, 0.00001234);
    SAME("%g %g %g %G %G", (double)INFINITY, -(double)INFINITY, (double)NAN, (double)INFINITY, 1e-10);
    SAME("%e %.3e %E %.0e %#.0e %10.4g|%-12g|%+g|% g", 123.456, 0.000123456, 1e22, 5.5, 5.0, 3.14159, 2.5, 1.0, 1.0);
    SAME("%.9g %.9g %.9g", 10000.0, (double)1e-5f, (double)1e6f);
    SAME("%.17g %.17g %.17g %.17g", 0.0, 262144.0, 9007199254740992.0, 18446744073709549568.0);
    SAME("%.1g %.2g %.3g %#g %#.3g", 0.95, 99.5, 1e-4, 1.0, 100.0);
    uint64_t r = 7;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = test_rnd_u32(&r);
        if ((u & 0x7f800000) == 0x7f800000)
            continue;
        float f;
        memcpy(&f, &u, 4);
        const double big = test_rnd_u32(&r) * 2097152.0 + (test_rnd_u32(&r) >> 11); /* < 2^53 */
        SAME("%.9g %.17g %g %.3e", (double)f, big, (double)f, (double)f);
    }
    CHECK_MSG(fmt_bad == 0, "%d snprintf results differ from the C library's", fmt_bad);
    char small[5];
    CHECK(fs_snprintf(small, sizeof small, "hello %s", "world") == 11 && !strcmp(small, "hell"));
    CHECK(fs_snprintf(NULL, 0, "%d", 12345) == 5);
    printf("%s snprintf: %d differences from the C library\n", fmt_bad ? "FAIL" : "ok", fmt_bad);
}

/* ---- qsort and strings ---------------------------------------------------------------- */

typedef struct kv { int key, order; } kv;
static int kv_cmp(const void *a, const void *b) { return ((const kv *)a)->key - ((const kv *)b)->key; }

static void test_qsort_strings(void)
{
    enum { N = 5000 };
    static kv v[N];
    uint64_t r = 9;
    for (int i = 0; i < N; i++)
        v[i] = (kv){ (int)(test_rnd_u32(&r) % 50), i };
    fs_qsort(v, N, sizeof *v, kv_cmp);
    int ok = 1;
    for (int i = 1; i < N; i++)
        ok &= v[i - 1].key < v[i].key || (v[i - 1].key == v[i].key && v[i - 1].order < v[i].order);
    CHECK_MSG(ok, "qsort sorts and keeps equal keys in order");
    CHECK(fs_strlen("") == 0 && fs_strlen("abc") == 3 && fs_strnlen("abcdef", 4) == 4);
    CHECK(fs_strcmp("abc", "abd") < 0 && fs_strcmp("b", "a") > 0 && fs_strcmp("x", "x") == 0);
    CHECK(fs_strcmp("\xff", "a") > 0 && fs_strncmp("abcx", "abcy", 3) == 0);
    CHECK(fs_strchr("hello", 'l') - (const char *)"hello" >= 0 && fs_strchr("hello", 'z') == NULL);
    const char *h = "a/b/c";
    CHECK(fs_strrchr(h, '/') == h + 3 && fs_strstr(h, "b/") == h + 2 && fs_strstr(h, "") == h);
    CHECK(fs_memcmp("ab", "ac", 2) < 0 && fs_memchr("abc", 'c', 3) != NULL);
    char buf[16] = "0123456789";
    fs_memmove(buf + 2, buf, 8);
    CHECK(!memcmp(buf, "0101234567", 10));
}

int main(void)
{
    test_allocator();
    test_snprintf();
    test_qsort_strings();
    return TEST_REPORT();
}
