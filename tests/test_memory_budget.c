/*
 * test_memory_budget.c — one memory rule (mw_memory_check), applied alike by the push loader,
 * the memory source, mw_session_create and (web/test/memory-budget.test.mjs) the JS package:
 *  - the rule itself: weights + session + MW_MEMORY_RESERVE <= limit, exactly at the edge;
 *    the sizes and the limit in the message; the smallest session; bad params;
 *  - wasm32 (the WASI build runs this at 32 bits): no limit means the 4 GiB address space;
 *  - the loaders refuse at the header exactly when the rule does (limit = need - 1 / need),
 *    with the smallest session or the one announced by mw_loader_set_session;
 *  - mw_session_create applies the budget the model was loaded with, at the same edge: a model
 *    + session the loader accepted is never refused later, and one past it is;
 *  - n_ctx 0 is the default context halved until it fits (mw_session_n_ctx_fit), never below
 *    MW_N_CTX_FIT_MIN: the check and mw_session_create agree on it; an explicit n_ctx is kept.
 */
#include "harness.h"
#include "gguf.h"
#include "model.h"
#include "tiny_llama.h"

static uint8_t *model_buf;
static size_t model_size;
static mw_model_info model_info;

static mw_session_params session_of(int32_t n_ctx, int32_t n_threads, int32_t n_batch, int32_t kv)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx;
    p.n_threads = n_threads;
    p.n_batch = n_batch;
    p.kv_type = kv;
    return p;
}

static uint64_t need_of(const mw_session_params *p)
{
    mw_memory_need n;
    mw_status st = mw_memory_check(&model_info, p, 0, &n);
    CHECK_MSG(st == MW_OK, "no limit: %s", mw_last_error());
    return n.total_bytes;
}

/* Push the model in 4 KiB chunks with this limit (and session, if any); how far it got. */
static mw_status push(uint64_t limit, const mw_session_params *session, size_t *fed, mw_model **out)
{
    mw_model_params mp = mw_model_params_default();
    mp.memory_limit = limit;
    mw_loader *l;
    *out = NULL;
    if (mw_loader_create(&mp, &l))
        return MW_ERR_INTERNAL;
    if (session)
        CHECK(mw_loader_set_session(l, session) == MW_OK);
    mw_status st = MW_OK;
    size_t off = 0;
    for (; off < model_size && !st; off += 4096)
        st = mw_loader_feed(l, model_buf + off, MW_MIN(4096, model_size - off));
    *fed = off;
    mw_status fin = mw_loader_finish(l, out);
    return st ? st : fin;
}

static void test_rule(void)
{
    mw_memory_need n;
    const mw_session_params p = session_of(256, 2, 16, MW_KV_F32);
    CHECK(mw_memory_check(&model_info, &p, 0, &n) == MW_OK);
    CHECK(n.weight_bytes == model_info.weight_bytes);
    CHECK(n.session_bytes == mw_session_memory_needed_params(&model_info, &p));
    CHECK(n.reserve_bytes == MW_MEMORY_RESERVE && MW_MEMORY_RESERVE == 64 << 20);
    CHECK(n.total_bytes == n.weight_bytes + n.session_bytes + n.reserve_bytes);
    const uint64_t need = n.total_bytes;
    CHECK(mw_memory_check(&model_info, &p, need, &n) == MW_OK && n.limit_bytes == need);
    CHECK(mw_memory_check(&model_info, &p, need - 1, &n) == MW_ERR_TOO_LARGE);
    CHECK(n.total_bytes == need && n.limit_bytes == need - 1);
    char want[64];
    snprintf(want, sizeof want, "(%llu bytes)", (unsigned long long)need);
    const char *msg = mw_last_error();
    CHECK_MSG(strstr(msg, want) && strstr(msg, "a session of 256 tokens") && strstr(msg, "memory_limit")
              && strstr(msg, "64.0 MiB of reserve"), "%s", msg);
    /* the smallest session: 1 token, n_batch 1, one thread, F16 */
    const mw_session_params small = session_of(1, 1, 1, MW_KV_F16);
    CHECK(mw_memory_check(&model_info, NULL, 0, &n) == MW_OK);
    CHECK(n.session_bytes == mw_session_memory_needed_params(&model_info, &small));
    CHECK(n.session_bytes < mw_session_memory_needed_params(&model_info, &p));
    CHECK(mw_memory_check(&model_info, NULL, n.total_bytes - 1, NULL) == MW_ERR_TOO_LARGE);
    CHECK(strstr(mw_last_error(), "the smallest session") != NULL);
    /* bad input */
    const mw_session_params bad = session_of(256, 1, 1, 7);
    CHECK(mw_memory_check(&model_info, &bad, 0, &n) == MW_ERR_INVALID_ARG && n.total_bytes == 0);
    CHECK(mw_memory_check(NULL, &p, 0, NULL) == MW_ERR_INVALID_ARG);
    /* a model without layers (vocabulary only) runs no session */
    mw_model_info vocab = model_info;
    vocab.n_layer = 0;
    vocab.weight_bytes = 0;
    CHECK(mw_memory_check(&vocab, &p, 0, &n) == MW_OK && n.session_bytes == 0 &&
          n.total_bytes == MW_MEMORY_RESERVE);
}

/* No limit: the address space, 4 GiB on a 32-bit size_t (wasm32); none on 64 bits. */
static void test_address_space(void)
{
    const mw_session_params p = session_of(512, 1, 0, MW_KV_F16);
    mw_memory_need n;
    CHECK(mw_memory_check(&model_info, &p, 0, &n) == MW_OK);
    mw_model_info big = model_info;
    big.weight_bytes = ((uint64_t)4 << 30) - n.session_bytes - MW_MEMORY_RESERVE;   /* exactly 4 GiB */
    mw_status at = mw_memory_check(&big, &p, 0, &n);
    big.weight_bytes++;
    mw_status past = mw_memory_check(&big, &p, 0, &n);
    if (sizeof(size_t) < 8) {
        CHECK(at == MW_OK);
        CHECK(past == MW_ERR_TOO_LARGE && n.limit_bytes == (uint64_t)4 << 30);
        CHECK_MSG(strstr(mw_last_error(), "more than the 32-bit address space allows: 4.0 GiB"), "%s",
                  mw_last_error());
        /* a larger limit is capped by the address space; a smaller one stays */
        CHECK(mw_memory_check(&big, &p, (uint64_t)8 << 30, &n) == MW_ERR_TOO_LARGE &&
              n.limit_bytes == (uint64_t)4 << 30);
    } else {
        CHECK(at == MW_OK && past == MW_OK && n.limit_bytes == 0);
        CHECK(mw_memory_check(&big, &p, (uint64_t)4 << 30, &n) == MW_ERR_TOO_LARGE);
    }
    CHECK(mw_memory_check(&big, &p, (uint64_t)1 << 30, &n) == MW_ERR_TOO_LARGE &&
          n.limit_bytes == (uint64_t)1 << 30);
}

/* The loaders refuse at the header exactly where the rule does. */
static void test_loaders_agree(void)
{
    mw_model *m;
    size_t fed;
    const uint64_t smallest = need_of(NULL);
    CHECK(push(smallest - 1, NULL, &fed, &m) == MW_ERR_TOO_LARGE && !m);
    CHECK_MSG(fed < model_size / 2, "refused after %zu of %zu bytes", fed, model_size);
    CHECK(push(smallest, NULL, &fed, &m) == MW_OK && m);
    mw_model_free(m);
    mw_model_params mp = mw_model_params_default();
    mp.memory_limit = smallest - 1;
    CHECK(mw_model_open_memory(model_buf, model_size, &mp, &m) == MW_ERR_TOO_LARGE && !m);
    mp.memory_limit = smallest;
    CHECK(mw_model_open_memory(model_buf, model_size, &mp, &m) == MW_OK);
    mw_model_free(m);

    /* an announced session is counted as the header parses */
    const mw_session_params p = session_of(512, 2, 32, MW_KV_F32);
    const uint64_t need = need_of(&p);
    CHECK(need > smallest);
    CHECK(push(need - 1, &p, &fed, &m) == MW_ERR_TOO_LARGE && !m);
    CHECK_MSG(fed < model_size / 2, "refused after %zu of %zu bytes", fed, model_size);
    CHECK(strstr(mw_last_error(), "a session of 512 tokens") != NULL);
    CHECK(push(need, &p, &fed, &m) == MW_OK && m);
    mw_model_free(m);

    mw_loader *l;
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_set_session(l, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_feed(l, model_buf, model_size) == MW_OK);
    CHECK(mw_loader_set_session(l, &p) == MW_ERR_STATE);
    mw_loader_free(l);
}

/* mw_session_create applies the budget the model was loaded with, at the same edge. */
static void test_session_agrees(void)
{
    const mw_session_params p = session_of(512, 2, 32, MW_KV_F32);
    const uint64_t need = need_of(&p);
    mw_model *m;
    size_t fed;
    /* loaded under a limit the smallest session fits but this one does not */
    CHECK(push(need - 1, NULL, &fed, &m) == MW_OK && m);
    mw_session *s = NULL;
    CHECK(mw_session_create(m, &p, &s) == MW_ERR_TOO_LARGE && !s);
    char want[64];
    snprintf(want, sizeof want, "(%llu bytes)", (unsigned long long)need);
    CHECK_MSG(strstr(mw_last_error(), want), "%s", mw_last_error());
    mw_session_params smaller = p;
    smaller.kv_type = MW_KV_F16;   /* a smaller cache fits */
    CHECK(mw_session_create(m, &smaller, &s) == MW_OK && s);
    mw_session_free(s);
    mw_model_free(m);
    /* loaded under exactly the need: created */
    CHECK(push(need, &p, &fed, &m) == MW_OK && m);
    s = NULL;
    CHECK_MSG(mw_session_create(m, &p, &s) == MW_OK && s, "%s", mw_last_error());
    mw_session_free(s);
    mw_model_free(m);
}

/* n_ctx 0: the default, halved to fit the limit; the check and the session get the same.
 * A one-layer model trained for 4096 tokens (tiny_llama.h), so the default can be halved. */
static void test_fit(void)
{
    static tiny_llama src;
    tiny_llama_build_ctx(&src, 256, 512, 4096);
    mw_model_params mp = mw_model_params_default();
    mw_model *m = NULL;
    CHECK_MSG(mw_model_open_reader(tiny_llama_read, &src, &mp, &m) == MW_OK, "%s", mw_last_error());
    mw_model_info info;
    CHECK(m && mw_model_get_info(m, &info) == MW_OK);
    mw_model_free(m);
    const int32_t d = mw_session_n_ctx_default(&info);
    CHECK(d == 4096);
    mw_session_params p = session_of(0, 2, 32, MW_KV_F32);
    CHECK(mw_session_n_ctx_fit(&info, &p, 0, 0) == d);
    CHECK(mw_session_n_ctx_fit(NULL, &p, 0, 0) == 0);
    mw_memory_need n;
    uint64_t need[4];   /* the rule's total at d, d/2, d/4 and the floor */
    const int32_t ctx[4] = {d, d / 2, d / 4, MW_N_CTX_FIT_MIN};
    for (int i = 0; i < 4; i++) {
        const mw_session_params q = session_of(ctx[i], 2, 32, MW_KV_F32);
        CHECK(mw_memory_check(&info, &q, 0, &n) == MW_OK);
        need[i] = n.total_bytes;
    }
    CHECK(need[0] > need[1] && need[1] > need[2] && need[2] > need[3]);
    CHECK(mw_session_n_ctx_fit(&info, &p, need[1], 0) == d / 2);
    CHECK(mw_session_n_ctx_fit(&info, &p, need[1] - 1, 0) == d / 4);
    CHECK(mw_session_n_ctx_fit(&info, &p, need[3], 0) == MW_N_CTX_FIT_MIN);
    /* nothing down to the floor fits: the default, which the check refuses with its size */
    CHECK(mw_session_n_ctx_fit(&info, &p, need[3] - 1, 0) == d);
    CHECK(mw_memory_check(&info, &p, need[3] - 1, &n) == MW_ERR_TOO_LARGE && n.total_bytes == need[0]);
    char want[64];
    snprintf(want, sizeof want, "a session of %d tokens", (int)d);
    CHECK_MSG(strstr(mw_last_error(), want), "%s", mw_last_error());
    /* the check counts the fitted context for n_ctx 0; an explicit n_ctx is never shrunk */
    CHECK(mw_memory_check(&info, &p, need[1], &n) == MW_OK && n.total_bytes == need[1]);
    CHECK(n.n_ctx == d / 2);   /* need.n_ctx names the context counted (the JS boundary reads it) */
    CHECK(mw_memory_check(&info, &p, need[3] - 1, &n) == MW_ERR_TOO_LARGE && n.n_ctx == d);
    CHECK(mw_memory_check(&info, NULL, 0, &n) == MW_OK && n.n_ctx == 1);
    const mw_session_params full = session_of(d, 2, 32, MW_KV_F32);
    CHECK(mw_memory_check(&info, &full, need[1], NULL) == MW_ERR_TOO_LARGE);
    /* a model loaded under that budget: n_ctx 0 gets the same context, d is refused */
    src.pos = 0;
    mp.memory_limit = need[1];
    m = NULL;
    CHECK_MSG(mw_model_open_reader(tiny_llama_read, &src, &mp, &m) == MW_OK && m, "%s", mw_last_error());
    mw_session *s = NULL;
    CHECK_MSG(mw_session_create(m, &p, &s) == MW_OK && s, "%s", mw_last_error());
    CHECK(mw_session_n_ctx(s) == d / 2);
    mw_session_free(s);
    s = NULL;
    CHECK(mw_session_create(m, &full, &s) == MW_ERR_TOO_LARGE && !s);
    mw_model_free(m);
}

int main(void)
{
    model_buf = test_read_file(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf", &model_size);
    CHECK(model_buf != NULL);
    if (!model_buf)
        return TEST_REPORT();
    mw_gguf *g;
    CHECK(mw_gguf_parse(model_buf, model_size, &g) == MW_OK);
    CHECK(mw_model_info_from_gguf(g, &model_info) == MW_OK);
    mw_gguf_free(g);
    test_rule();
    test_address_space();
    test_loaders_agree();
    test_session_agrees();
    test_fit();
    free(model_buf);
    return TEST_REPORT();
}
