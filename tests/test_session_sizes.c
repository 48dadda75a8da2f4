/*
 * test_session_sizes.c — session sizing cannot wrap on a 32-bit size_t, and the memory estimate
 * is what mw_session_create really allocates, with the real n_batch and thread count.
 *  - mw_mul_limit / mw_mul_size at the 32-bit bound (wasm32's overflows seen natively);
 *  - a one-layer model with n_ff = 2^20 (tiny_llama.h, 384 MiB of zero weights streamed):
 *    n_batch 4096 needs 4096 * 2^20 floats for each of gate and up, 2^32 of them, which wrapped
 *    to 0 in a 32-bit size_t (a heap overflow in the wasm builds); it must be refused before
 *    allocating on 32-bit targets, and natively the estimate must count it;
 *  - for several n_batch / n_threads / kv_type, bytes allocated by mw_session_create (counted
 *    by the allocator hook) match mw_session_memory_needed_params within the small structs;
 *  - n_ctx beyond the model's training context is refused before allocating.
 */
#include "harness.h"
#include "count_alloc.h"
#include "gguf.h"
#include "model.h"
#include "tiny_llama.h"

#define N_EMBD 32
#define N_FF ((uint32_t)1 << 20)

static void test_mul(void)
{
    uint64_t v = 0;
    size_t z = 0;
    CHECK(!mw_mul_limit(4096, (uint64_t)1 << 20, UINT32_MAX, &v));   /* 2^32: one past */
    CHECK(mw_mul_limit(4096, ((uint64_t)1 << 20) - 1, UINT32_MAX, &v) && v == 4096 * (((uint64_t)1 << 20) - 1));
    CHECK(mw_mul_limit(0, UINT64_MAX, UINT32_MAX, &v) && v == 0);
    CHECK(!mw_mul_limit(UINT64_MAX, 2, UINT64_MAX, &v));
    CHECK(mw_mul_limit((uint64_t)1 << 32, (uint64_t)1 << 31, UINT64_MAX, &v) && v == (uint64_t)1 << 63);
    /* this platform's size_t */
    CHECK(mw_mul_size((uint64_t)1 << 16, (uint64_t)1 << 15, &z) && z == (size_t)1 << 31);
    CHECK(mw_mul_size((uint64_t)1 << 20, (uint64_t)1 << 12, &z) == (sizeof(size_t) >= 8));
}

static mw_status info_of(const tiny_llama *s, mw_model_info *info)
{
    mw_gguf *g = NULL;
    mw_status st = mw_gguf_parse(s->header.p, s->header.len, &g);
    if (!st)
        st = mw_model_info_from_gguf(g, info);
    mw_gguf_free(g);
    return st;
}

static uint64_t need(const mw_model_info *info, int32_t n_batch, int32_t n_threads, int32_t kv_type)
{
    mw_session_params p = mw_session_params_default();
    p.n_batch = n_batch;
    p.n_threads = n_threads;
    p.kv_type = kv_type;
    return mw_session_memory_needed_params(info, &p);
}

static void test_estimate(const mw_model_info *info)
{
    /* per token of the batch: gate + up (2 n_ff), x/xn/proj, q/attn, k/v, rope; 3 activation
     * buffers of 2 n_ff + 64 bytes */
    const uint64_t per_tok = 4 * (2 * (uint64_t)N_FF + 3 * N_EMBD + 2 * N_EMBD + 2 * N_EMBD + N_EMBD) +
                             3 * (2 * (uint64_t)N_FF + 64);
    CHECK(need(info, 128, 1, MW_KV_F32) - need(info, 64, 1, MW_KV_F32) == 64 * per_tok);
    CHECK(need(info, 0, 1, MW_KV_F32) == need(info, 64, 1, MW_KV_F32));   /* default n_batch */
    CHECK(need(info, 4096, 1, MW_KV_F32) > ((uint64_t)1 << 35));
    CHECK(need(info, 8192, 1, MW_KV_F32) == need(info, 4096, 1, MW_KV_F32));   /* clamped */
    /* one row of attention probabilities per thread, kv_size = n_ctx = 64 */
    CHECK(need(info, 64, 8, MW_KV_F32) - need(info, 64, 1, MW_KV_F32) == 7 * 64 * 4);
    CHECK(mw_session_memory_needed_kv(info, 0, 0, MW_KV_F32) == need(info, 0, 0, MW_KV_F32));
    mw_session_params p = mw_session_params_default();
    p.n_batch = -1;
    CHECK(mw_session_memory_needed_params(info, &p) == 0);
    CHECK(mw_session_memory_needed_params(NULL, &p) == 0);
}

static void test_sessions(const mw_model *m)
{
    const mw_model_info *info = &m->info;
    mw_session_params p = mw_session_params_default();
    mw_session *s = NULL;

    /* 2^32 floats of gate: refused before allocating where size_t is 32 bits; natively the
     * estimate says 56 GiB, so a 16 GiB cap refuses it */
    p.n_batch = 4096;
    if (sizeof(size_t) < 8) {
        count_start();
        mw_status st = mw_session_create(m, &p, &s);
        size_t peak = count_stop();
        CHECK_MSG(st == MW_ERR_TOO_LARGE && !s, "n_batch 4096: %s (%s)", mw_status_name(st),
                  mw_last_error());
        CHECK(peak == 0);
        mw_session_free(s);
        s = NULL;
    }
    p.memory_limit = (uint64_t)16 << 30;
    count_start();
    mw_status st = mw_session_create(m, &p, &s);
    size_t peak = count_stop();
    CHECK_MSG(st == MW_ERR_TOO_LARGE && !s && peak == 0, "n_batch 4096, limit 16 GiB: %s (%s)",
              mw_status_name(st), mw_last_error());
    mw_session_free(s);
    s = NULL;
    p.memory_limit = 0;

    /* what is allocated is what was estimated */
    static const int32_t batches[] = { 1, 7, 64 }, threads[] = { 1, 2 }, kvs[] = { MW_KV_F32, MW_KV_F16 };
    for (int b = 0; b < 3; b++)
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < 2; k++) {
                p.n_batch = batches[b];
                p.n_threads = threads[t];
                p.kv_type = kvs[k];
                const uint64_t est = mw_session_memory_needed_params(info, &p);
                count_start();   /* the session is freed before count_stop: same allocator */
                st = mw_session_create(m, &p, &s);
                const size_t got = live_bytes;
                CHECK_MSG(st == MW_OK, "n_batch %d: %s", batches[b], mw_last_error());
                /* beyond the estimate: the session and pool structs, 1-element minimums;
                 * below it: score rows of threads a build without threads (WASI) cannot start */
                CHECK_MSG(got + 16384 > est && got < est + 16384, "n_batch %d threads %d kv %d: "
                          "allocated %zu, estimated %llu", batches[b], threads[t], kvs[k], got,
                          (unsigned long long)est);
                const int32_t ids[] = { 1, 3, 4 };
                if (s && batches[b] == 1 && k == 0) {
                    CHECK(mw_session_eval(s, ids, 3, NULL) == MW_OK);
                    const float *l = mw_session_logits(s);
                    CHECK(l && l[0] == 0.0f && l[TINY_VOCAB - 1] == 0.0f);   /* zero weights */
                }
                mw_session_free(s);
                s = NULL;
                count_stop();
            }

    /* a context beyond the training context (64): refused before allocating */
    p = mw_session_params_default();
    p.n_ctx = 1 << 24;
    count_start();
    st = mw_session_create(m, &p, &s);
    peak = count_stop();
    CHECK_MSG(st == MW_ERR_INVALID_ARG && !s && peak == 0, "n_ctx 2^24: %s", mw_last_error());
    CHECK_MSG(strstr(mw_last_error(), "n_ctx 16777216 is more than the 64 tokens"), "%s",
              mw_last_error());
    p.n_ctx = 64;
    CHECK(mw_session_create(m, &p, &s) == MW_OK);
    mw_session_free(s);
}

int main(void)
{
    test_mul();
    static tiny_llama src;
    tiny_llama_build(&src, N_EMBD, N_FF);
    mw_model_info info;
    CHECK(info_of(&src, &info) == MW_OK);
    test_estimate(&info);
    mw_model *m = NULL;
    CHECK_MSG(mw_model_open_reader(tiny_llama_read, &src, NULL, &m) == MW_OK, "%s", mw_last_error());
    if (m)
        test_sessions(m);
    mw_model_free(m);
    free(src.header.p);
    return TEST_REPORT();
}
