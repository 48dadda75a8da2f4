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

mw_status mw_memory_check_experts(const mw_model_info *info, const mw_session_params *session,
                                  uint64_t memory_limit, uint64_t expert_cache_bytes,
                                  mw_memory_need *need)
{
    mw_memory_need n;
    memset(&n, 0, sizeof n);
    if (need)
        *need = n;
    if (!info)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_memory_check: info is NULL");
    const mw_session_params smallest = smallest_session();
    const mw_session_params *p = session ? session : &smallest;
    if (info->n_layer > 0) {   /* a vocabulary-only model runs no session */
        n.session_bytes = mw_session_memory_needed_params(info, p);
        if (!n.session_bytes)
            return mw_fail(MW_ERR_INVALID_ARG, "mw_memory_check: invalid session params "
                           "(negative n_ctx, n_batch or n_threads, or kv_type %d)", (int)p->kv_type);
    }
    /* streamed experts: the resident weights + the cache, which never holds more than all of
     * them (a dense model has no experts to stream: the budget is ignored) */
    const bool streams = expert_cache_bytes && info->n_expert > 0 && info->expert_bytes > 0;
    if (streams && expert_cache_bytes < info->expert_max_bytes) {
        char b[32], e[32];
        return mw_fail(MW_ERR_INVALID_ARG, "an expert cache of %s (%llu bytes) cannot hold one "
                       "expert: the largest layer's gate + up + down slices take %s (%llu bytes)",
                       size_text(b, sizeof b, expert_cache_bytes),
                       (unsigned long long)expert_cache_bytes,
                       size_text(e, sizeof e, info->expert_max_bytes),
                       (unsigned long long)info->expert_max_bytes);
    }
    n.weight_bytes = info->weight_bytes;
    if (streams) {
        n.weight_bytes -= MW_MIN(info->expert_bytes, info->weight_bytes);
        n.expert_cache_bytes = MW_MIN(expert_cache_bytes, info->expert_bytes);
    }
    n.reserve_bytes = (uint64_t)MW_MEMORY_RESERVE;
    n.total_bytes = add(add(add(n.weight_bytes, n.expert_cache_bytes), n.session_bytes),
                        n.reserve_bytes);
    /* wasm32: 4 GiB, the memory a 32-bit module can grow to */
    const uint64_t space = sizeof(size_t) < 8 ? (uint64_t)SIZE_MAX + 1 : 0;
    const bool by_space = space && (!memory_limit || memory_limit >= space);
    n.limit_bytes = by_space ? space : memory_limit;
    if (need)
        *need = n;
    if (!n.limit_bytes || n.total_bytes <= n.limit_bytes)
        return MW_OK;
    char w[32], s[32], r[32], t[32], l[32], ctx[48], c[32], cache[80], hint[160];
    const int32_t n_ctx = p->n_ctx ? p->n_ctx : mw_session_n_ctx_default(info);
    if (session)
        mw_format(ctx, sizeof ctx, "a session of %d tokens", (int)n_ctx);
    else
        mw_format(ctx, sizeof ctx, "the smallest session");
    cache[0] = hint[0] = 0;
    if (streams)
        mw_format(cache, sizeof cache, " + %s of expert cache",
                  size_text(c, sizeof c, n.expert_cache_bytes));
    else if (info->n_expert > 0 && info->expert_bytes > 0)
        mw_format(hint, sizeof hint, "; stream the experts from storage to fit: "
                  "--expert-cache MB (CLI), expertCache (JS), expert_cache_bytes (C)");
    return mw_fail(MW_ERR_TOO_LARGE,
                   "the model needs %s of %sweights%s + %s for %s + %s of reserve = %s (%llu bytes), "
                   "more than %s allows: %s (%llu bytes)%s",
                   size_text(w, sizeof w, n.weight_bytes), streams ? "resident " : "", cache,
                   size_text(s, sizeof s, n.session_bytes),
                   ctx, size_text(r, sizeof r, n.reserve_bytes), size_text(t, sizeof t, n.total_bytes),
                   (unsigned long long)n.total_bytes,
                   by_space ? "the 32-bit address space" : "memory_limit",
                   size_text(l, sizeof l, n.limit_bytes), (unsigned long long)n.limit_bytes, hint);
}
