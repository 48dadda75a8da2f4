/*
 * memory_budget.c — the one memory rule (mw_memory_check): the weights + one session + a fixed
 * reserve must fit under the caller's limit and the address space. The loaders, session
 * creation and the JS package (through web/boundary.c) all ask it; none adds a margin of its own.
 */
#include "base.h"

/* Bytes as "3.9 GiB", "1.1 MiB" or "512 bytes": one decimal, rounded down, so a size shown
 * never exceeds the true one (the exact counts are in the message too). */
static const char *size_text(char *buf, size_t cap, uint64_t bytes)
{
    const uint64_t gib = (uint64_t)1 << 30, mib = (uint64_t)1 << 20;
    if (bytes >= gib)
        mw_format(buf, cap, "%llu.%llu GiB", (unsigned long long)(bytes / gib),
                  (unsigned long long)(bytes % gib * 10 / gib));
    else if (bytes >= mib)
        mw_format(buf, cap, "%llu.%llu MiB", (unsigned long long)(bytes / mib),
                  (unsigned long long)(bytes % mib * 10 / mib));
    else
        mw_format(buf, cap, "%llu bytes", (unsigned long long)bytes);
    return buf;
}

static uint64_t add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* The smallest session a model can run: what the loaders leave room for when they do not know
 * the session yet. */
static mw_session_params smallest_session(void)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = 1;
    p.n_batch = 1;
    p.n_threads = 1;
    p.kv_type = MW_KV_F16;
    return p;
}

mw_status mw_memory_check(const mw_model_info *info, const mw_session_params *session,
                          uint64_t memory_limit, mw_memory_need *need)
{
    return mw_memory_check_experts(info, session, memory_limit, 0, need);
}

/* wasm32: 4 GiB, the memory a 32-bit module can grow to (0: no such bound) */
static uint64_t address_space(void)
{
    return sizeof(size_t) < 8 ? (uint64_t)SIZE_MAX + 1 : 0;
}

static bool limited_by_space(uint64_t memory_limit)
{
    const uint64_t space = address_space();
    return space && (!memory_limit || memory_limit >= space);
}

/* A dense model has no experts to stream: the budget is then ignored. */
static bool streams_experts(const mw_model_info *info, uint64_t expert_cache_bytes)
{
    return expert_cache_bytes && info->n_expert > 0 && info->expert_bytes > 0;
}

/* The rule's sizes for one session (session_bytes 0 when a model with layers gets invalid
 * session params). A streaming budget counts as given, at most all the experts. */
static mw_memory_need measure(const mw_model_info *info, const mw_session_params *p,
                              uint64_t memory_limit, uint64_t expert_cache_bytes)
{
    mw_memory_need n;
    memset(&n, 0, sizeof n);
    if (info->n_layer > 0)   /* a vocabulary-only model runs no session */
        n.session_bytes = mw_session_memory_needed_params(info, p);
    /* streamed experts: the resident weights + the cache, which never holds more than all of them */
    n.weight_bytes = info->weight_bytes;
    if (streams_experts(info, expert_cache_bytes)) {
        n.weight_bytes -= MW_MIN(info->expert_bytes, info->weight_bytes);
        n.expert_cache_bytes = MW_MIN(expert_cache_bytes, info->expert_bytes);
    }
    n.reserve_bytes = (uint64_t)MW_MEMORY_RESERVE;
    n.total_bytes = add(add(add(n.weight_bytes, n.expert_cache_bytes), n.session_bytes),
                        n.reserve_bytes);
    n.limit_bytes = limited_by_space(memory_limit) ? address_space() : memory_limit;
    n.n_ctx = p->n_ctx;
    return n;
}

static bool fits(const mw_memory_need *n)
{
    return !n->limit_bytes || n->total_bytes <= n->limit_bytes;
}

int32_t mw_session_n_ctx_fit(const mw_model_info *info, const mw_session_params *session,
                             uint64_t memory_limit, uint64_t expert_cache_bytes)
{
    if (!info)
        return 0;
    const int32_t n_default = mw_session_n_ctx_default(info);
    const int32_t n_min = MW_MIN(n_default, MW_N_CTX_FIT_MIN);
    mw_session_params p = session ? *session : mw_session_params_default();
    for (p.n_ctx = n_default; p.n_ctx >= n_min; p.n_ctx /= 2) {
        const mw_memory_need n = measure(info, &p, memory_limit, expert_cache_bytes);
        if (info->n_layer > 0 && !n.session_bytes)
            break;   /* invalid params: the check says so */
        if (fits(&n))
            return p.n_ctx;
    }
    return n_default;   /* nothing fits: the check refuses the default with the sizes */
}

mw_status mw_memory_check_experts(const mw_model_info *info, const mw_session_params *session,
                                  uint64_t memory_limit, uint64_t expert_cache_bytes,
                                  mw_memory_need *need)
{
    if (need)
        memset(need, 0, sizeof *need);
    if (!info)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_memory_check: info is NULL");
    const mw_session_params smallest = smallest_session();
    mw_session_params resolved = session ? *session : smallest;
    if (session && session->n_ctx == 0)   /* what mw_session_create gives for n_ctx 0 */
        resolved.n_ctx = mw_session_n_ctx_fit(info, session, memory_limit, expert_cache_bytes);
    const mw_session_params *p = &resolved;
    if (streams_experts(info, expert_cache_bytes) && expert_cache_bytes < info->expert_max_bytes) {
        char b[32], e[32];
        return mw_fail(MW_ERR_INVALID_ARG, "an expert cache of %s (%llu bytes) cannot hold one "
                       "expert: the largest layer's gate + up + down slices take %s (%llu bytes)",
                       size_text(b, sizeof b, expert_cache_bytes),
                       (unsigned long long)expert_cache_bytes,
                       size_text(e, sizeof e, info->expert_max_bytes),
                       (unsigned long long)info->expert_max_bytes);
    }
    const mw_memory_need n = measure(info, p, memory_limit, expert_cache_bytes);
    if (info->n_layer > 0 && !n.session_bytes)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_memory_check: invalid session params "
                       "(negative n_ctx, n_batch or n_threads, or kv_type %d)", (int)p->kv_type);
    const bool by_space = limited_by_space(memory_limit);
    if (need)
        *need = n;
    if (fits(&n))
        return MW_OK;
    char w[32], s[32], r[32], t[32], l[32], ctx[48], c[32], cache[80], hint[160];
    const int32_t n_ctx = p->n_ctx;
    if (session)
        mw_format(ctx, sizeof ctx, "a session of %d tokens", (int)n_ctx);
    else
        mw_format(ctx, sizeof ctx, "the smallest session");
    cache[0] = hint[0] = 0;
    if (streams_experts(info, expert_cache_bytes))
        mw_format(cache, sizeof cache, " + %s of expert cache",
                  size_text(c, sizeof c, n.expert_cache_bytes));
    else if (info->n_expert > 0 && info->expert_bytes > 0)
        mw_format(hint, sizeof hint, "; stream the experts from storage to fit: "
                  "--expert-cache MB (CLI), expertCache (JS), expert_cache_bytes (C)");
    return mw_fail(MW_ERR_TOO_LARGE,
                   "the model needs %s of %sweights%s + %s for %s + %s of reserve = %s (%llu bytes), "
                   "more than %s allows: %s (%llu bytes)%s",
                   size_text(w, sizeof w, n.weight_bytes), n.expert_cache_bytes ? "resident " : "", cache,
                   size_text(s, sizeof s, n.session_bytes),
                   ctx, size_text(r, sizeof r, n.reserve_bytes), size_text(t, sizeof t, n.total_bytes),
                   (unsigned long long)n.total_bytes,
                   by_space ? "the 32-bit address space" : "memory_limit",
                   size_text(l, sizeof l, n.limit_bytes), (unsigned long long)n.limit_bytes, hint);
}
