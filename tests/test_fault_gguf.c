/*
 * test_fault_gguf.c — fault injection for loading (and using) a model: an allocator that fails
 * the Nth allocation, for every N, during each byte source (memory copy / borrow, file, read
 * callback, push loader), session creation, evaluation and sampling; and a read callback that
 * fails or ends at every offset of a small model. Every case must end in a clean error (the
 * right status, a message, *out NULL) with every allocation freed: the test allocator counts
 * live blocks, and ASan builds check for leaks too.
 */
#include "harness.h"
#include "gguf.h"
#include "model.h"

static long live;          /* blocks allocated and not yet freed */
static long n_allocs;      /* allocations since reset */
static long fail_at = -1;  /* fail the allocation with this index (0-based), -1 = never */
static long failed;        /* how many were refused */

static void *t_alloc(void *user, size_t size)
{
    (void)user;
    if (n_allocs++ == fail_at) {
        failed++;
        return NULL;
    }
    void *p = malloc(size);
    if (p)
        live++;
    return p;
}

static void *t_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    if (n_allocs++ == fail_at) {
        failed++;
        return NULL;
    }
    return realloc(ptr, size);
}

static void t_free(void *user, void *ptr)
{
    (void)user;
    if (ptr)
        live--;
    free(ptr);
}

static const mw_allocator test_allocator = { t_alloc, t_realloc, t_free, NULL };

static void arm(long n)
{
    n_allocs = 0;
    failed = 0;
    fail_at = n;
}

typedef mw_status (*load_fn)(mw_model **out);

static const uint8_t *file_buf;
static size_t file_size;
static const char *file_path;

static mw_status load_memory(mw_model **out) { return mw_model_open_memory(file_buf, file_size, NULL, out); }

static mw_status load_borrow(mw_model **out)
{
    mw_model_params p = mw_model_params_default();
    p.borrow_memory = 1;
    return mw_model_open_memory(file_buf, file_size, &p, out);
}

static mw_status load_file(mw_model **out) { return mw_model_open_file(file_path, NULL, out); }

typedef struct reader { size_t pos, end; long fail_pos; } reader;

static int64_t read_cb(void *user, void *dst, size_t size)
{
    reader *r = user;
    if (r->fail_pos >= 0 && r->pos >= (size_t)r->fail_pos)
        return -1;
    size_t lim = r->fail_pos >= 0 ? (size_t)r->fail_pos : r->end;
    size_t n = MW_MIN(MW_MIN(size, (size_t)3000), lim - r->pos);
    if (n == 0 && r->fail_pos >= 0)
        return -1;
    memcpy(dst, file_buf + r->pos, n);
    r->pos += n;
    return (int64_t)n;
}

static mw_status load_reader(mw_model **out)
{
    reader r = { 0, file_size, -1 };
    return mw_model_open_reader(read_cb, &r, NULL, out);
}

static mw_status load_push(mw_model **out)
{
    mw_loader *l;
    *out = NULL;
    mw_status st = mw_loader_create(NULL, &l);
    if (st)
        return st;
    for (size_t off = 0; off < file_size; off += 5000)
        if ((st = mw_loader_feed(l, file_buf + off, MW_MIN(5000, file_size - off))))
            break;
    mw_status st2 = mw_loader_finish(l, out);
    return st ? st : st2;
}

/* Fail allocation 0, 1, 2, ... until the load succeeds without a failure. */
static void fault_every_alloc(const char *what, load_fn load)
{
    int bad = 0;
    long n;
    for (n = 0; n < 100000; n++) {
        mw_model *m = (mw_model *)&bad;
        arm(n);
        mw_status st = load(&m);
        fail_at = -1;
        if (failed == 0) {
            /* nothing refused: this is the complete allocation count */
            if (st != MW_OK || !m)
                bad++;
            mw_model_free(m);
            break;
        }
        if (st != MW_ERR_NO_MEMORY || m != NULL || !mw_last_error()[0]) {
            if (bad++ < 5)
                fprintf(stderr, "%s: allocation %ld refused -> %s (%s)\n", what, n,
                        mw_status_name(st), mw_last_error());
        }
        if (m)
            mw_model_free(m);
        if (live != 0) {
            if (bad++ < 5)
                fprintf(stderr, "%s: allocation %ld refused -> %ld blocks leaked\n", what, n, live);
            live = 0;
        }
    }
    printf("%s: %ld allocation sites each failed once\n", what, n);
    CHECK_MSG(bad == 0, "%s: %d bad outcomes", what, bad);
    CHECK(n > 3);
    CHECK(live == 0);
}

/* Sessions: creation, evaluation and sampling with allocation N refused. */
static void fault_session(void)
{
    mw_model *m = NULL;
    CHECK(mw_model_open_memory(file_buf, file_size, NULL, &m) == MW_OK);
    if (!m)
        return;
    long base = live;
    int bad = 0;
    long n;
    static const int32_t prompt[] = { 1, 403, 407, 261, 378 };
    for (n = 0; n < 100000; n++) {
        arm(n);
        mw_session_params sp = mw_session_params_default();
        sp.n_ctx = 64;
        mw_session *s = NULL;
        mw_sampler *smp = NULL;
        mw_status st = mw_session_create(m, &sp, &s);
        if (!st)
            st = mw_session_eval(s, prompt, 5, NULL);
        if (!st) {
            mw_sampler_params pp = mw_sampler_params_default();
            pp.temperature = 0.8f;
            pp.top_k = 10;
            st = mw_sampler_create(&pp, 512, &smp);
        }
        int32_t id = -1;
        if (!st) {
            id = mw_sampler_sample(smp, mw_session_logits(s));
            st = mw_session_eval(s, &id, 1, NULL);
        }
        long refused = failed;
        fail_at = -1;
        if (refused && st != MW_ERR_NO_MEMORY)
            if (bad++ < 5)
                fprintf(stderr, "session: allocation %ld refused -> %s\n", n, mw_status_name(st));
        mw_sampler_free(smp);
        mw_session_free(s);
        if (live != base) {
            if (bad++ < 5)
                fprintf(stderr, "session: allocation %ld refused -> %ld blocks leaked\n", n,
                        live - base);
            live = base;
        }
        if (!refused) {
            CHECK(st == MW_OK && id >= 0 && id < 512);
            break;
        }
    }
    printf("session: %ld allocation sites each failed once\n", n);
    CHECK_MSG(bad == 0, "session: %d bad outcomes", bad);
    mw_model_free(m);
    CHECK(live == 0);
}

/* A reader that fails, or ends, at offset k, for the given offsets. */
static void reader_faults(const char *what, size_t header_step, size_t step_after_header)
{
    mw_gguf *g = NULL;
    CHECK(mw_gguf_parse(file_buf, file_size, &g) == MW_OK);
    if (!g)
        return;
    size_t data_start = (size_t)g->data_offset;
    size_t needed = (size_t)(g->data_offset + g->data_size);   /* bytes past this are not read */
    mw_gguf_free(g);
    int bad = 0, cases = 0;
    for (size_t k = 0; k < file_size; k += k < data_start ? header_step : step_after_header) {
        cases++;
        mw_model *m = NULL;
        reader r = { 0, file_size, (long)k };
        mw_status st = mw_model_open_reader(read_cb, &r, NULL, &m);
        if (k < needed ? st != MW_ERR_IO || m || !strstr(mw_last_error(), "read failed") : st != MW_OK)
            bad++;
        mw_model_free(m);
        m = NULL;
        r = (reader){ 0, k, -1 };
        st = mw_model_open_reader(read_cb, &r, NULL, &m);
        if (k < needed ? st != MW_ERR_TRUNCATED || m : st != MW_OK)
            bad++;
        mw_model_free(m);
        if (live) {
            bad++;
            live = 0;
        }
    }
    printf("%s: reader failed / ended at %d offsets\n", what, cases);
    CHECK_MSG(bad == 0, "%s: %d bad reader outcomes", what, bad);
}

static uint8_t *buf;

static int use_file(const char *path)
{
    free(buf);
    buf = test_read_file(path, &file_size);
    CHECK_MSG(buf != NULL, "read %s", path);
    file_buf = buf;
    file_path = path;
    return buf != NULL;
}

int main(void)
{
    mw_set_allocator(&test_allocator);
    if (use_file(MW_SOURCE_DIR "/fuzz/corpus/gguf/seed-tiny-moe-q4_0")) {
        fault_every_alloc("tiny-moe memory", load_memory);
        reader_faults("tiny-moe", 1, 1);   /* every offset of the whole file */
    }
    if (use_file(MW_SOURCE_DIR "/models/stories260K.Q8_0.gguf")) {
        fault_every_alloc("stories260K.Q8_0 memory", load_memory);
        fault_every_alloc("stories260K.Q8_0 borrow", load_borrow);
        fault_every_alloc("stories260K.Q8_0 file", load_file);
        fault_every_alloc("stories260K.Q8_0 reader", load_reader);
        fault_every_alloc("stories260K.Q8_0 push", load_push);
        fault_session();
        /* a real header (every 7th offset: tiny-moe above covers every one), then every 1009 */
        reader_faults("stories260K.Q8_0", 7, 1009);
    }
    free(buf);
    mw_set_allocator(NULL);
    return TEST_REPORT();
}
