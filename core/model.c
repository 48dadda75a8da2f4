/*
 * model.c — hyperparameters and tensor binding for Mistral / Mixtral GGUFs
 * (general.architecture "llama" or "mistral", as llama.cpp writes them).
 *
 * Every tensor the forward pass touches is looked up by name, its type checked against the
 * formats we can multiply, and its shape checked against the hyperparameters, so that
 * forward.c can trust the model completely. A file with a vocabulary but no tensors loads as a
 * vocabulary-only model (tokenize / detokenize work, sessions refuse).
 */
#include "model.h"
#include "expert_cache.h"
#include "kernels/kernels.h"
#include "quant/quant.h"
#include "tokenizer.h"

static bool arch_supported(const char *arch)
{
    return strcmp(arch, "llama") == 0 || strcmp(arch, "mistral") == 0;
}

/* An integer key in [lo, hi]: a value outside is refused, never truncated to fit. A missing
 * key leaves *out unchanged (MW_OK) unless required; a key of another type is refused. */
static mw_status int_key(const mw_gguf *g, const char *key, bool required, int64_t lo, int64_t hi,
                         int32_t *out)
{
    int64_t v = 0;
    int r = mw_gguf_get_int(g, key, &v);
    if (r < 0)
        return (mw_status)r;
    if (r == 0)
        return required ? mw_fail(MW_ERR_BAD_FORMAT, "missing metadata key %s", key) : MW_OK;
    if (v < lo || v > hi)
        return mw_fail(MW_ERR_BAD_FORMAT, "%s = %lld is out of range [%lld, %lld]", key,
                       (long long)v, (long long)lo, (long long)hi);
    *out = (int32_t)v;
    return MW_OK;
}

static mw_status arch_int(const mw_gguf *g, const char *arch, const char *suffix, bool required,
                          int64_t lo, int64_t hi, int32_t *out)
{
    char key[128];
    mw_format(key, sizeof key, "%s.%s", arch, suffix);
    return int_key(g, key, required, lo, hi, out);
}

static mw_status require_int(const mw_gguf *g, const char *arch, const char *suffix,
                             int64_t lo, int64_t hi, int32_t *out)
{
    return arch_int(g, arch, suffix, true, lo, hi, out);
}

/* A float key that must be finite and positive (a NaN, zero or negative RoPE base or norm
 * epsilon turns every logit into NaN). Missing: *out unchanged. */
static mw_status positive_float(const mw_gguf *g, const char *arch, const char *suffix, float *out)
{
    char key[128];
    mw_format(key, sizeof key, "%s.%s", arch, suffix);
    double f = 0;
    int r = mw_gguf_get_float(g, key, &f);
    if (r < 0)
        return (mw_status)r;
    if (r == 0)
        return MW_OK;
    /* written so that NaN fails too; the float it becomes must be positive and finite */
    if (!(f > 0 && f <= 3.4e38) || !((float)f > 0)) {
        const char *what = f != f ? "NaN" : f == 0 ? "zero" : f < 0 ? "negative" :
                           f > 3.4e38 ? "infinite or too large" : "too small for a float";
        return mw_fail(MW_ERR_BAD_FORMAT, "%s is %s: it must be a positive finite number", key, what);
    }
    *out = (float)f;
    return MW_OK;
}

/* A token id key: absent = -1; present, it must name a token of the vocabulary. */
static mw_status token_id(const mw_gguf *g, const char *key, int32_t n_vocab, int32_t *out)
{
    *out = -1;
    mw_status st = int_key(g, key, false, 0, INT32_MAX, out);
    if (!st && *out >= n_vocab && n_vocab > 0)
        return mw_fail(MW_ERR_BAD_FORMAT, "%s = %d is not a token of the vocabulary (%d tokens)",
                       key, *out, n_vocab);
    return st;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int32_t vocab_size(const mw_gguf *g)
{
    uint32_t type;
    uint64_t n;
    const void *data;
    if (mw_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &n, &data) == 1 && n <= INT32_MAX)
        return (int32_t)n;
    return 0;
}

static mw_status token_ids(const mw_gguf *g, mw_model_info *info)
{
    mw_status st;
    if ((st = token_id(g, "tokenizer.ggml.bos_token_id", info->n_vocab, &info->bos_id)) ||
        (st = token_id(g, "tokenizer.ggml.eos_token_id", info->n_vocab, &info->eos_id)) ||
        (st = token_id(g, "tokenizer.ggml.unknown_token_id", info->n_vocab, &info->unk_id)))
        return st;
    return MW_OK;
}

mw_status mw_model_info_from_gguf(const mw_gguf *g, mw_model_info *info)
{
    memset(info, 0, sizeof *info);
    const char *arch = NULL;
    if (mw_gguf_get_str(g, "general.architecture", &arch) != 1)
        return mw_fail(MW_ERR_BAD_FORMAT, "missing metadata key general.architecture");
    copy_str(info->arch, sizeof info->arch, arch);
    const char *name = NULL;
    int r = mw_gguf_get_str(g, "general.name", &name);
    if (r < 0)
        return (mw_status)r;
    if (r == 1)
        copy_str(info->name, sizeof info->name, name);
    info->n_vocab = vocab_size(g);
    mw_status st;
    if (g->n_tensors == 0)   /* vocabulary-only file: no hyperparameters needed */
        return token_ids(g, info);
    if (!arch_supported(arch))
        return mw_fail(MW_ERR_UNSUPPORTED, "unsupported architecture '%s' (supported: llama, mistral)", arch);

    if ((st = require_int(g, arch, "embedding_length", 1, 1 << 20, &info->n_embd)) ||
        (st = require_int(g, arch, "block_count", 1, 4096, &info->n_layer)) ||
        (st = require_int(g, arch, "feed_forward_length", 1, 1 << 24, &info->n_ff)) ||
        (st = require_int(g, arch, "attention.head_count", 1, 4096, &info->n_head)))
        return st;
    info->n_head_kv = info->n_head;
    if ((st = arch_int(g, arch, "attention.head_count_kv", false, 1, info->n_head, &info->n_head_kv)))
        return st;
    if (info->n_head % info->n_head_kv)
        return mw_fail(MW_ERR_BAD_FORMAT, "head_count_kv %d does not divide head_count %d",
                       info->n_head_kv, info->n_head);
    if (info->n_embd % info->n_head)
        return mw_fail(MW_ERR_BAD_FORMAT, "embedding_length %d is not a multiple of head_count %d",
                       info->n_embd, info->n_head);
    info->head_dim = info->n_embd / info->n_head;
    int32_t v = info->head_dim;
    if ((st = arch_int(g, arch, "attention.key_length", false, 0, INT32_MAX, &v)))
        return st;
    if (v != info->head_dim)
        return mw_fail(MW_ERR_UNSUPPORTED, "attention.key_length %d != n_embd/n_head %d", v,
                       info->head_dim);
    if (info->head_dim % 2)
        return mw_fail(MW_ERR_UNSUPPORTED, "odd head dimension %d", info->head_dim);
    if ((st = arch_int(g, arch, "rope.dimension_count", false, 0, INT32_MAX, &v)))
        return st;
    if (v != info->head_dim)
        return mw_fail(MW_ERR_UNSUPPORTED, "partial RoPE (rope.dimension_count %d, head dim %d)",
                       v, info->head_dim);
    info->n_ctx_train = 4096;
    if ((st = arch_int(g, arch, "context_length", false, 1, INT32_MAX, &info->n_ctx_train)) ||
        (st = arch_int(g, arch, "attention.sliding_window", false, 0, INT32_MAX, &info->sliding_window)))
        return st;
    if ((st = arch_int(g, arch, "expert_count", false, 0, 256, &info->n_expert)))
        return st;
    if (info->n_expert &&
        (st = require_int(g, arch, "expert_used_count", 1, info->n_expert, &info->n_expert_used)))
        return st;
    info->rope_theta = 10000.0f;
    info->norm_eps = 1e-5f;
    if ((st = positive_float(g, arch, "rope.freq_base", &info->rope_theta)) ||
        (st = positive_float(g, arch, "attention.layer_norm_rms_epsilon", &info->norm_eps)))
        return st;

    /* totals over the tensor table */
    uint64_t bytes_by_type[MW_TYPE_COUNT] = { 0 };
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const mw_gguf_tensor *t = &g->tensors[i];
        info->n_params += (uint64_t)(t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]);
        info->weight_bytes += t->nbytes;
        if (t->n_dims >= 2 && t->type >= 0 && t->type < MW_TYPE_COUNT)
            bytes_by_type[t->type] += t->nbytes;
    }
    for (int32_t t = 0; t < MW_TYPE_COUNT; t++)
        if (bytes_by_type[t] > bytes_by_type[info->weight_type])
            info->weight_type = t;
    if (info->n_expert)
        mw_expert_sizes(g, info->n_layer, &info->expert_bytes, &info->expert_max_bytes);
    const mw_gguf_tensor *embd = mw_gguf_find_tensor(g, "token_embd.weight");
    if (embd && info->n_vocab == 0 && embd->ne[1] <= INT32_MAX)
        info->n_vocab = (int32_t)embd->ne[1];
    return token_ids(g, info);
}

/* ---- tensor binding ---- */

typedef struct binder {
    const mw_gguf *g;
    const mw_data *data;
    bool stream_experts;   /* expert tensors have no data: the expert cache reads them */
} binder;

static mw_status bind_view(const binder *b, const mw_gguf_tensor *t, mw_tensor *out)
{
    const bool streamed = b->stream_experts && mw_expert_tensor_name(t->name);
    out->name = t->name;
    out->type = t->type;
    memcpy(out->ne, t->ne, sizeof out->ne);
    out->data = streamed ? NULL : mw_data_at(b->data, t->offset, t->nbytes);
    out->offset = t->offset;
    out->nbytes = t->nbytes;
    out->repacked = false;   /* until repack_weights */
    if (!out->data && !streamed)
        return mw_fail(MW_ERR_TRUNCATED, "tensor %s lies past the end of the data", t->name);
    return MW_OK;
}

/* Bind tensor `name` of shape [ne0, ne1, ne2] (ne2 = 1 for matrices). needs_dot: the type
 * must have a dot-product kernel (it is a matmul weight); otherwise it must be F32. */
static mw_status bind(const binder *b, const char *name, int64_t ne0, int64_t ne1, int64_t ne2,
                      bool needs_dot, bool optional, mw_tensor *out)
{
    const mw_gguf_tensor *t = mw_gguf_find_tensor(b->g, name);
    if (!t) {
        if (optional)
            return MW_OK;
        return mw_fail(MW_ERR_BAD_FORMAT, "missing tensor %s", name);
    }
    if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != ne2 || t->ne[3] != 1)
        return mw_fail(MW_ERR_BAD_FORMAT,
                       "tensor %s has shape [%lld, %lld, %lld, %lld], expected [%lld, %lld, %lld]",
                       name, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                       (long long)t->ne[3], (long long)ne0, (long long)ne1, (long long)ne2);
    const mw_type_traits *tr = mw_type_traits_get(t->type);
    if (needs_dot ? (!tr || !tr->vec_dot || !tr->dequantize_row) : t->type != MW_TYPE_F32)
        return mw_fail(MW_ERR_UNSUPPORTED, "tensor %s has type %s, which we cannot use there",
                       name, tr ? tr->name : "unknown");
    return bind_view(b, t, out);
}

/* Slice expert e out of a merged [ne0, ne1, n_expert] tensor. */
static mw_tensor expert_slice(const mw_tensor *merged, int32_t e)
{
    mw_tensor s = *merged;
    uint64_t per_expert = merged->nbytes / (uint64_t)merged->ne[2];
    s.ne[2] = 1;
    s.data = merged->data ? (const uint8_t *)merged->data + per_expert * (uint64_t)e : NULL;
    s.offset = merged->offset + per_expert * (uint64_t)e;
    s.nbytes = per_expert;
    return s;
}

static mw_status bind_experts(const binder *b, mw_model *m, int32_t il, const char *kind,
                              int64_t ne0, int64_t ne1, mw_tensor **out)
{
    const mw_model_info *hp = &m->info;
    mw_tensor *slices = mw_calloc((size_t)hp->n_expert, sizeof *slices);
    if (!slices)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory binding experts");
    *out = slices;
    char name[96];
    mw_format(name, sizeof name, "blk.%d.ffn_%s_exps.weight", il, kind);
    if (mw_gguf_find_tensor(b->g, name)) {
        mw_tensor merged;
        mw_status st = bind(b, name, ne0, ne1, hp->n_expert, true, false, &merged);
        if (st)
            return st;
        for (int32_t e = 0; e < hp->n_expert; e++)
            slices[e] = expert_slice(&merged, e);
        return MW_OK;
    }
    /* older files: one tensor per expert, blk.N.ffn_gate.E.weight */
    for (int32_t e = 0; e < hp->n_expert; e++) {
        mw_format(name, sizeof name, "blk.%d.ffn_%s.%d.weight", il, kind, e);
        mw_status st = bind(b, name, ne0, ne1, 1, true, false, &slices[e]);
        if (st)
            return st;
    }
    return MW_OK;
}

/* Bind "blk.<il>.<suffix>.weight" of shape [ne0, ne1]. */
static mw_status bind_blk(const binder *b, int32_t il, const char *suffix, int64_t ne0,
                          int64_t ne1, bool needs_dot, mw_tensor *out)
{
    char name[96];
    mw_format(name, sizeof name, "blk.%d.%s.weight", il, suffix);
    return bind(b, name, ne0, ne1, 1, needs_dot, false, out);
}

static mw_status bind_layer(const binder *b, mw_model *m, int32_t il)
{
    const mw_model_info *hp = &m->info;
    mw_layer *l = &m->layers[il];
    const int64_t n_embd = hp->n_embd, n_ff = hp->n_ff;
    const int64_t n_q = (int64_t)hp->n_head * hp->head_dim, n_kv = (int64_t)hp->n_head_kv * hp->head_dim;
    mw_status st;
    if ((st = bind_blk(b, il, "attn_norm", n_embd, 1, false, &l->attn_norm)) ||
        (st = bind_blk(b, il, "attn_q", n_embd, n_q, true, &l->wq)) ||
        (st = bind_blk(b, il, "attn_k", n_embd, n_kv, true, &l->wk)) ||
        (st = bind_blk(b, il, "attn_v", n_embd, n_kv, true, &l->wv)) ||
        (st = bind_blk(b, il, "attn_output", n_q, n_embd, true, &l->wo)) ||
        (st = bind_blk(b, il, "ffn_norm", n_embd, 1, false, &l->ffn_norm)))
        return st;
    if (hp->n_expert == 0) {
        if ((st = bind_blk(b, il, "ffn_gate", n_embd, n_ff, true, &l->ffn_gate)) ||
            (st = bind_blk(b, il, "ffn_up", n_embd, n_ff, true, &l->ffn_up)) ||
            (st = bind_blk(b, il, "ffn_down", n_ff, n_embd, true, &l->ffn_down)))
            return st;
        return MW_OK;
    }
    if ((st = bind_blk(b, il, "ffn_gate_inp", n_embd, hp->n_expert, false, &l->ffn_gate_inp)) ||
        (st = bind_experts(b, m, il, "gate", n_embd, n_ff, &l->gate_exps)) ||
        (st = bind_experts(b, m, il, "up", n_embd, n_ff, &l->up_exps)) ||
        (st = bind_experts(b, m, il, "down", n_ff, n_embd, &l->down_exps)))
        return st;
    return MW_OK;
}

static mw_status bind_model(mw_model *m)
{
    const mw_model_info *hp = &m->info;
    binder b = { m->gguf, &m->data, m->experts != NULL };
    if (hp->n_vocab <= 0)
        return mw_fail(MW_ERR_BAD_FORMAT, "model has no vocabulary size");
    mw_status st;
    if ((st = bind(&b, "token_embd.weight", hp->n_embd, hp->n_vocab, 1, true, false, &m->tok_embd)) ||
        (st = bind(&b, "output_norm.weight", hp->n_embd, 1, 1, false, false, &m->output_norm)) ||
        (st = bind(&b, "output.weight", hp->n_embd, hp->n_vocab, 1, true, true, &m->output)))
        return st;
    if (!m->output.data)
        m->output = m->tok_embd; /* tied embeddings */
    m->layers = mw_calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory allocating %d layers", hp->n_layer);
    for (int32_t il = 0; il < hp->n_layer; il++)
        if ((st = bind_layer(&b, m, il)))
            return st;
    return MW_OK;
}

/* ---- weights repacked for the kernel set (see kernels.h: repack, vec_dot_rows8) ---- */

/* Whether t is a weight the kernel set repacks: its type has a repacked layout of the same
 * size, its rows come in whole groups. */
static bool repackable(const mw_tensor *t)
{
    const int64_t n = t->ne[0], n_rows = t->ne[1] * t->ne[2];
    return mw_kern->repack[t->type] && n % 32 == 0 && n <= INT32_MAX && n_rows % MW_REPACK_ROWS == 0 &&
           mw_kern->repack_group_bytes[t->type] * (uint64_t)(n / 32) ==
               MW_REPACK_ROWS * (uint64_t)mw_row_size(t->type, n);
}

/* Repack t's rows in place, group by group: at t->data, or at t's offset in data (laid out as
 * the file's data section) when data is not NULL. A repacked group is the size of the rows it
 * replaces, so one group's copy is all it needs. */
static mw_status repack_tensor(const mw_tensor *t, uint8_t *data)
{
    if (!data && !t->data)   /* a streamed expert: repacked by the expert cache when read */
        return MW_OK;
    const int64_t n = t->ne[0], n_rows = t->ne[1] * t->ne[2];
    const size_t group_bytes = MW_REPACK_ROWS * mw_row_size(t->type, n);
    uint8_t *tmp = mw_alloc(group_bytes);
    if (!tmp)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory repacking %s", t->name);
    uint8_t *p = data ? data + t->offset : (uint8_t *)(uintptr_t)t->data;
    for (int64_t g = 0; g < n_rows / MW_REPACK_ROWS; g++, p += group_bytes) {
        memcpy(tmp, p, group_bytes);
        mw_kern->repack[t->type](MW_REPACK_ROWS, (int)n, tmp, p);
    }
    mw_free(tmp);
    return MW_OK;
}

mw_status mw_model_repack_tensor(const mw_tensor *t)
{
    return repack_tensor(t, NULL);
}

typedef struct repack_pass {
    uint8_t *data;     /* where to repack: NULL = the model's own blocks */
    bool mark;         /* choose and mark the tensors (load) or repack the marked ones */
    mw_status st;      /* first failure */
} repack_pass;

static void repack_one(mw_tensor *t, repack_pass *pass)
{
    if (pass->st || !(pass->mark ? repackable(t) : t->repacked))
        return;
    pass->st = repack_tensor(t, pass->data);
    if (pass->mark && !pass->st)
        t->repacked = true;
}

/* Every matmul weight (not tok_embd, whose rows are looked up, nor output when tied to it) */
static mw_status repack_weights(mw_model *m, repack_pass pass)
{
    if (!m->layers)   /* vocabulary only */
        return MW_OK;
    if (m->output.data != m->tok_embd.data)
        repack_one(&m->output, &pass);
    for (int32_t il = 0; il < m->info.n_layer; il++) {
        mw_layer *l = &m->layers[il];
        mw_tensor *dense[] = { &l->wq, &l->wk, &l->wv, &l->wo, &l->ffn_gate, &l->ffn_up, &l->ffn_down };
        for (size_t i = 0; i < sizeof dense / sizeof dense[0]; i++)
            if (dense[i]->data)
                repack_one(dense[i], &pass);
        for (int32_t e = 0; l->gate_exps && e < m->info.n_expert; e++) {
            repack_one(&l->gate_exps[e], &pass);
            repack_one(&l->up_exps[e], &pass);
            repack_one(&l->down_exps[e], &pass);
        }
    }
    return pass.st;
}

void mw_model_repack_like(const mw_model *m, uint8_t *data)
{
    repack_pass pass = { data, false, MW_OK };
    (void)repack_weights((mw_model *)m, pass);
}

mw_status mw_model_create(mw_gguf *g, mw_data *data, bool owns_data,
                          struct mw_expert_cache *experts, mw_model **out)
{
    *out = NULL;
    mw_model *m = mw_calloc(1, sizeof *m);
    if (!m) {
        mw_gguf_free(g);
        mw_data_free(data);
        mw_expert_cache_free(experts);
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory creating the model");
    }
    m->experts = experts;
    m->gguf = g;
    m->data = *data;
    memset(data, 0, sizeof *data);
    m->owns_data = owns_data;
    mw_status st = mw_model_info_from_gguf(g, &m->info);
    if (!st)
        st = mw_tokenizer_create(g, &m->tokenizer);
    if (!st && g->n_tensors == 0)
        m->vocab_only = true;
    else if (!st)
        st = bind_model(m);
    /* Weights we own are repacked in place for the kernels, once, here: a model is read-only
     * afterwards. Borrowed memory is never written: those weights stay as they are. */
    mw_kernels_init();
    if (!st && m->owns_data && !m->vocab_only) {
        repack_pass pass = { NULL, true, MW_OK };
        st = repack_weights(m, pass);
    }
    if (st) {
        mw_model_free(m);
        return st;
    }
    *out = m;
    return MW_OK;
}

void mw_model_free(mw_model *m)
{
    if (!m)
        return;
    if (m->layers) {
        for (int32_t il = 0; il < m->info.n_layer; il++) {
            mw_free(m->layers[il].gate_exps);
            mw_free(m->layers[il].up_exps);
            mw_free(m->layers[il].down_exps);
        }
        mw_free(m->layers);
    }
    if (m->tokenizer)
        mw_tokenizer_free(m->tokenizer);
    mw_expert_cache_free(m->experts);
    mw_data_free(&m->data);
    mw_gguf_free(m->gguf);
    mw_free(m);
}

mw_status mw_model_get_info(const mw_model *m, mw_model_info *info)
{
    if (!m || !info)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_get_info: NULL argument");
    *info = m->info;
    return MW_OK;
}

mw_status mw_model_expert_stats(const mw_model *m, mw_expert_stats *stats)
{
    if (!m || !stats)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_expert_stats: NULL argument");
    memset(stats, 0, sizeof *stats);
    if (m->experts)
        mw_expert_cache_stats(m->experts, stats);
    return MW_OK;
}

int32_t mw_model_tensor_count(const mw_model *m)
{
    return m ? (int32_t)m->gguf->n_tensors : 0;
}

mw_status mw_model_tensor_info(const mw_model *m, int32_t index, const char **name,
                               int32_t *type, int64_t ne[4], uint64_t *bytes)
{
    if (!m || index < 0 || (uint64_t)index >= m->gguf->n_tensors)
        return mw_fail(MW_ERR_INVALID_ARG, "tensor index %d out of range", index);
    const mw_gguf_tensor *t = &m->gguf->tensors[index];
    if (name) *name = t->name;
    if (type) *type = t->type;
    if (ne) memcpy(ne, t->ne, 4 * sizeof ne[0]);
    if (bytes) *bytes = t->nbytes;
    return MW_OK;
}
