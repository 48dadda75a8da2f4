/*
 * test_tensor_data.c — the tensor data section as aligned blocks (core/tensor_data.c) and what
 * the loader does with it:
 *  - the block plan: size cap, gaps, misaligned tensors, overlaps;
 *  - sizes are checked before allocating: a 1 MiB file whose header claims a tensor at 2^40 or
 *    at 2.5 GiB is refused having allocated about its own size, from every byte source;
 *  - a file with general.alignment 1 and odd tensor offsets loads with every tensor aligned
 *    and gives the same logits as the aligned original (run under UBSan: no misaligned load).
 */
#include <unistd.h>

#include "harness.h"
#include "gguf_build.h"
#include "model.h"
#include "tensor_data.h"
#include "count_alloc.h"

/* ---- the block plan ---- */

/* A header of F32 tensors t0, t1, ... of n_floats[i] values at offsets[i], alignment `align`. */
static gb header_with(int n, const uint64_t *n_floats, const uint64_t *offsets, uint32_t align)
{
    gb b = { 0 };
    gb_header(&b, 3, (uint64_t)n, 2);
    gb_kv_str(&b, "general.architecture", "llama");
    gb_kv_u32(&b, "general.alignment", align);
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        gb_tensor(&b, name, 1, &n_floats[i], MW_TYPE_F32, offsets[i]);
    }
    gb_pad(&b, align);
    return b;
}

static mw_status plan(int n, const uint64_t *n_floats, const uint64_t *offsets, uint32_t align,
                      mw_data *d)
{
    gb b = header_with(n, n_floats, offsets, align);
    mw_gguf *g = NULL;
    mw_status st = mw_gguf_parse(b.p, b.len, &g);
    CHECK_MSG(st == MW_OK, "parse: %s", mw_last_error());
    if (!st)
        st = mw_data_plan(g, d);
    mw_gguf_free(g);
    free(b.p);
    return st;
}

static void test_plan(void)
{
    mw_data d;
    /* contiguous and aligned: one block */
    const uint64_t n1[] = { 8, 8, 8 }, o1[] = { 0, 32, 64 };
    CHECK(plan(3, n1, o1, 32, &d) == MW_OK && d.n_blocks == 1 && d.blocks[0].size == 96);
    mw_data_free(&d);
    /* alignment 1: t1 at 33 is misaligned in t0's block and starts its own; t2 right after
     * t1 (65 = 33 + 32) is aligned within t1's block; t3 past a 2 MiB gap starts a block */
    const uint64_t n2[] = { 8, 8, 8, 8 }, o2[] = { 0, 33, 65, (uint64_t)2 << 20 };
    CHECK(plan(4, n2, o2, 1, &d) == MW_OK && d.n_blocks == 3);
    if (d.n_blocks == 3) {
        CHECK(d.blocks[0].start == 0 && d.blocks[0].size == 32);
        CHECK(d.blocks[1].start == 33 && d.blocks[1].size == 64);
        CHECK(d.blocks[2].start == (uint64_t)2 << 20 && d.blocks[2].size == 32);
        CHECK(d.stored == 128);
        CHECK(mw_data_find(&d, 0) == 0 && mw_data_find(&d, 32) == 1 && mw_data_find(&d, 97) == 2);
        CHECK(mw_data_at(&d, 33, 8) == NULL);   /* not allocated yet */
        CHECK(mw_data_alloc_block(&d, 1) == MW_OK);
        uint8_t *p = mw_data_at(&d, 33, 64);
        CHECK(p && (uintptr_t)p % MW_TENSOR_ALIGN == 0 && mw_data_at(&d, 65, 32) == p + 32);
        CHECK(mw_data_at(&d, 90, 8) == NULL);   /* straddles the end of block 1 */
        CHECK(mw_data_at(&d, 32, 1) == NULL);   /* a gap */
    }
    mw_data_free(&d);
    /* two 200 MiB tensors: past MW_DATA_BLOCK_MAX together, so two blocks (nothing allocated) */
    const uint64_t n3[] = { 50 << 20, 50 << 20 }, o3[] = { 0, 200 << 20 };
    CHECK(plan(2, n3, o3, 32, &d) == MW_OK && d.n_blocks == 2 && d.stored == (uint64_t)400 << 20);
    mw_data_free(&d);
    /* overlapping tensors that cannot both be aligned */
    const uint64_t n4[] = { 16, 8 }, o4[] = { 0, 33 };
    CHECK(plan(2, n4, o4, 1, &d) == MW_ERR_BAD_FORMAT);
    CHECK_MSG(strstr(mw_last_error(), "'t1'") && strstr(mw_last_error(), "aligned"), "%s",
              mw_last_error());
    /* overlapping and aligned: shared */
    const uint64_t n5[] = { 16, 8 }, o5[] = { 0, 32 };
    CHECK(plan(2, n5, o5, 32, &d) == MW_OK && d.n_blocks == 1 && d.blocks[0].size == 64);
    mw_data_free(&d);
}

/* ---- sizes checked before allocating ---- */

typedef struct mem_reader { const uint8_t *p; size_t size, pos; } mem_reader;

static int64_t mem_read(void *user, void *dst, size_t cap)
{
    mem_reader *r = user;
    size_t n = MW_MIN(cap, r->size - r->pos);
    memcpy(dst, r->p + r->pos, n);
    r->pos += n;
    return (int64_t)n;
}

/* A ~1 MiB file whose header puts tensor t1 at `far`: every source refuses it (want_st) after
 * allocating little more than the file itself. */
static void expect_refused_small(const char *what, uint64_t far, mw_status want_st)
{
    const uint64_t n_floats[] = { 8, 8 }, offsets[] = { 0, far };
    gb b = header_with(2, n_floats, offsets, 32);
    static uint8_t junk[1 << 20];
    gb_bytes(&b, junk, sizeof junk);
    const size_t budget = 2 * b.len + ((size_t)1 << 20);
    mw_model *m = NULL;

    const char *tmp = "mw_test_tensor_data.gguf";
    FILE *f = fopen(tmp, "wb");
    CHECK(f && fwrite(b.p, 1, b.len, f) == b.len);
    if (f)
        fclose(f);
    count_start();
    mw_status st = mw_model_open_file(tmp, NULL, &m);
    size_t peak = count_stop();
    CHECK_MSG(st == want_st && !m, "%s, file: %s (%s)", what, mw_status_name(st), mw_last_error());
    CHECK_MSG(peak < budget, "%s, file: %zu bytes allocated at peak", what, peak);
    unlink(tmp);

    count_start();
    st = mw_model_open_memory(b.p, b.len, NULL, &m);
    peak = count_stop();
    CHECK_MSG(st == want_st && !m, "%s, memory: %s (%s)", what, mw_status_name(st), mw_last_error());
    CHECK_MSG(peak < budget, "%s, memory: %zu bytes allocated at peak", what, peak);

    /* streams of unknown size: refused at their end, blocks past it never allocated */
    mem_reader r = { b.p, b.len, 0 };
    count_start();
    st = mw_model_open_reader(mem_read, &r, NULL, &m);
    peak = count_stop();
    CHECK_MSG(st == want_st && !m, "%s, reader: %s (%s)", what, mw_status_name(st), mw_last_error());
    CHECK_MSG(peak < budget, "%s, reader: %zu bytes allocated at peak", what, peak);

    count_start();
    mw_loader *l = NULL;
    st = mw_loader_create(NULL, &l);
    for (size_t off = 0; off < b.len && !st; off += 65536)
        st = mw_loader_feed(l, b.p + off, MW_MIN(65536, b.len - off));
    mw_status st2 = mw_loader_finish(l, &m);
    peak = count_stop();
    CHECK_MSG((st ? st : st2) == want_st && st2 == want_st && !m, "%s, push: %s (%s)", what,
              mw_status_name(st2), mw_last_error());
    CHECK_MSG(peak < budget, "%s, push: %zu bytes allocated at peak", what, peak);
    free(b.p);
}

/* A 1 MiB push whose header claims one 1.5 GiB tensor: with the size announced it is refused
 * as soon as the header parses, before the block is allocated. */
static void test_push_with_size(void)
{
    const uint64_t n_floats[] = { (uint64_t)3 << 27 }, offsets[] = { 0 };
    gb b = header_with(1, n_floats, offsets, 32);
    static uint8_t junk[1 << 20];
    gb_bytes(&b, junk, sizeof junk);
    mw_model *m = NULL;
    mw_loader *l = NULL;
    count_start();
    mw_status st = mw_loader_create(NULL, &l);
    if (!st)
        st = mw_loader_set_size(l, b.len);
    for (size_t off = 0; off < b.len && !st; off += 65536)
        st = mw_loader_feed(l, b.p + off, MW_MIN(65536, b.len - off));
    CHECK_MSG(st == MW_ERR_TRUNCATED, "push with size: %s (%s)", mw_status_name(st), mw_last_error());
    CHECK(mw_loader_finish(l, &m) == MW_ERR_TRUNCATED && !m);
    size_t peak = count_stop();
    CHECK_MSG(peak < ((size_t)1 << 20), "push with size: %zu bytes allocated at peak", peak);
    /* too late once the header is in */
    gb small = gb_minimal();
    gb_bytes(&small, junk, 32768);   /* ignored trailing bytes: enough for the header to parse */
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_feed(l, small.p, small.len) == MW_OK && mw_loader_header_ready(l, NULL));
    CHECK(mw_loader_set_size(l, small.len) == MW_ERR_STATE);
    mw_loader_free(l);
    free(small.p);
    CHECK(mw_loader_set_size(NULL, 1) == MW_ERR_INVALID_ARG);
    free(b.p);
}

static void test_size_before_alloc(void)
{
    /* 1 TiB: past what wasm32 can address, so refused as too large there */
    expect_refused_small("tensor at 2^40", (uint64_t)1 << 40,
                         sizeof(size_t) < 8 ? MW_ERR_TOO_LARGE : MW_ERR_TRUNCATED);
    /* 2.5 GiB: addressable everywhere; refused as truncated without growing memory */
    expect_refused_small("tensor at 2.5 GiB", (uint64_t)5 << 29, MW_ERR_TRUNCATED);
}

/* ---- general.alignment 1 with odd tensor offsets ---- */

/* Rewrite a GGUF (without a general.alignment key) with general.alignment = 1 and its tensors'
 * data at odd offsets, one to three bytes apart. */
static gb realign_odd(const uint8_t *src, const mw_gguf *g)
{
    gb b = { 0 };
    long ti = gb_find_str(src, (size_t)g->data_offset, g->tensors[0].name);
    CHECK(ti > 0 && !mw_gguf_find(g, "general.alignment"));
    gb_bytes(&b, src, (size_t)ti);
    gb_put_le(b.p + 16, g->n_kv + 1, 8);
    gb_kv_u32(&b, "general.alignment", 1);
    uint64_t pos = 1;
    size_t at = (size_t)ti;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const mw_gguf_tensor *t = &g->tensors[i];
        size_t info = 8 + strlen(t->name) + 4 + 8 * t->n_dims + 4 + 8;
        gb_bytes(&b, src + at, info);
        at += info;
        gb_put_le(b.p + b.len - 8, pos, 8);
        pos += t->nbytes + 1 + 2 * (i % 2);
    }
    uint8_t gap[3] = { 0xEE, 0xEE, 0xEE };
    gb_bytes(&b, gap, 1);
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const mw_gguf_tensor *t = &g->tensors[i];
        gb_bytes(&b, src + g->data_offset + t->offset, (size_t)t->nbytes);
        gb_bytes(&b, gap, 1 + 2 * (i % 2));
    }
    return b;
}

static int eval_logits(const mw_model *m, float *out, int32_t n_vocab)
{
    mw_session_params sp = mw_session_params_default();
    sp.n_ctx = 32;
    mw_session *s = NULL;
    const int32_t ids[] = { 1, 403, 5, 6, 300 };
    if (mw_session_create(m, &sp, &s) || mw_session_eval(s, ids, 5, NULL)) {
        mw_session_free(s);
        return 0;
    }
    memcpy(out, mw_session_logits(s), (size_t)n_vocab * sizeof(float));
    mw_session_free(s);
    return 1;
}

/* Every tensor at an address the kernels can load from: 16 bytes (a literal, not
 * MW_TENSOR_ALIGN, so that loosening the loader's rule fails here). */
static int all_aligned(const mw_model *m)
{
    for (uint64_t i = 0; i < m->gguf->n_tensors; i++) {
        const mw_gguf_tensor *t = &m->gguf->tensors[i];
        const uint8_t *p = mw_data_at(&m->data, t->offset, t->nbytes);
        if (!p || (uintptr_t)p % 16)
            return 0;
    }
    return 1;
}

static void test_alignment_one(const char *path)
{
    size_t size = 0;
    uint8_t *src = test_read_file(path, &size);
    mw_gguf *g = NULL;
    CHECK_MSG(src && mw_gguf_parse(src, size, &g) == MW_OK, "%s", path);
    if (!g) {
        free(src);
        return;
    }
    gb b = realign_odd(src, g);
    mw_model *ref = NULL, *m = NULL;
    CHECK(mw_model_open_memory(src, size, NULL, &ref) == MW_OK);
    const int32_t n_vocab = ref ? ref->info.n_vocab : 0;
    float *want = calloc((size_t)n_vocab + 1, sizeof(float));
    float *got = calloc((size_t)n_vocab + 1, sizeof(float));
    CHECK(ref && eval_logits(ref, want, n_vocab));

    mw_model_params p = mw_model_params_default();
    for (int source = 0; source < 3; source++) {
        p.borrow_memory = source == 2;   /* borrowing odd offsets falls back to a copy */
        mw_status st;
        if (source == 1) {
            mem_reader r = { b.p, b.len, 0 };
            st = mw_model_open_reader(mem_read, &r, &p, &m);
        } else {
            st = mw_model_open_memory(b.p, b.len, &p, &m);
        }
        CHECK_MSG(st == MW_OK, "%s alignment 1, source %d: %s", path, source, mw_last_error());
        if (!m)
            continue;
        CHECK(m->gguf->alignment == 1 && m->gguf->tensors[0].offset == 1);
        CHECK_MSG(all_aligned(m), "%s source %d: a tensor is not 16-byte aligned", path, source);
        CHECK(m->owns_data);
        CHECK(m->data.n_blocks > 1);   /* odd distances between tensors: blocks of their own */
        memset(got, 0, (size_t)n_vocab * sizeof(float));
        CHECK(eval_logits(m, got, n_vocab));
        CHECK_MSG(memcmp(got, want, (size_t)n_vocab * sizeof(float)) == 0,
                  "%s source %d: logits differ from the aligned file", path, source);
        mw_model_free(m);
        m = NULL;
    }
    free(want);
    free(got);
    mw_model_free(ref);
    mw_gguf_free(g);
    free(b.p);
    free(src);
}

int main(void)
{
    test_plan();
    test_size_before_alloc();
    test_push_with_size();
    test_alignment_one(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf");
    test_alignment_one(MW_TEST_DATA "/reference/mistral-s.Q4_K_M.gguf");
    test_alignment_one(MW_TEST_DATA "/reference/mixtral-s.Q4_0.gguf");
    return TEST_REPORT();
}
