/*
 * boundary.c — the adapters of web/boundary.h, shared by every browser module (Emscripten
 * wasm32 mw-mt / mw-st, and a freestanding clang wasm64 module). No stdio and no Emscripten
 * runtime here (only MW_EXPORT and the abort import differ): JSON is written by hand and memory
 * comes from the core's allocation hook.
 */
#include "boundary.h"

#include <string.h>

/* ---- memory for JS ---- */

MW_EXPORT void *mwb_alloc(size_t size) { return mw_alloc(size ? size : 1); }
MW_EXPORT void mwb_free(void *ptr) { mw_free(ptr); }

/* ---- a JSON writer that counts what it could not store, so the caller learns the size ---- */

typedef struct json {
    char *buf;
    int32_t cap, len;
    int comma;   /* a member was written since the last '{': the next one needs a ',' */
} json;

static void put(json *j, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, j->len++)
        if (j->len < j->cap)
            j->buf[j->len] = s[i];
}

static void put_str(json *j, const char *s) { put(j, s, strlen(s)); }

static void put_u64(json *j, uint64_t v)
{
    char d[24];
    int n = 0;
    do
        d[sizeof d - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < (int)sizeof d);
    put(j, d + sizeof d - n, (size_t)n);
}

static void put_i64(json *j, int64_t v)
{
    if (v < 0)
        put(j, "-", 1);
    put_u64(j, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* A float as a JSON number of 9 significant digits ("100000000e-2"): enough for JSON.parse and
 * Math.fround to give back the same float32 (the scaling's double rounding error is ~1e-14). */
static void put_float(json *j, float f)
{
    double v = f;
    if (v != v || v - v != 0) {   /* NaN, infinity: not JSON numbers */
        put_str(j, "null");
        return;
    }
    if (v == 0) {
        put_str(j, "0");
        return;
    }
    if (v < 0) {
        put(j, "-", 1);
        v = -v;
    }
    int e = 0;
    while (v >= 1e9) { v /= 10; e++; }
    while (v < 1e8) { v *= 10; e--; }
    uint64_t m = (uint64_t)(v + 0.5);
    if (m >= 1000000000u) { m /= 10; e++; }
    put_u64(j, m);
    put(j, "e", 1);
    put_i64(j, e);
}

static void put_string(json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(j, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            put(j, esc, 2);
        } else if (*p < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            put(j, esc, 6);
        } else {
            put(j, (const char *)p, 1);
        }
    }
    put(j, "\"", 1);
}

/* ,"key": */
static void key(json *j, const char *k)
{
    if (j->comma)
        put(j, ",", 1);
    put(j, "\"", 1);
    put_str(j, k);
    put(j, "\":", 2);
    j->comma = 1;
}

static void open_obj(json *j)
{
    put(j, "{", 1);
    j->comma = 0;
}

/* NUL-terminate; the length, or MW_ERR_BUFFER_TOO_SMALL when it did not fit */
static int32_t finish(json *j)
{
    if (j->len < j->cap) {
        j->buf[j->len] = '\0';
        return j->len;
    }
    return MW_ERR_BUFFER_TOO_SMALL;
}

static int32_t info_json(const mw_model_info *in, char *buf, int32_t cap)
{
    json j = {buf, cap, 0, 0};
    const char *tn = mw_type_name(in->weight_type);
    open_obj(&j);
    key(&j, "arch"), put_string(&j, in->arch);
    key(&j, "name"), put_string(&j, in->name);
    const struct { const char *k; int32_t v; } ints[] = {
        {"n_vocab", in->n_vocab}, {"n_embd", in->n_embd}, {"n_layer", in->n_layer},
        {"n_head", in->n_head}, {"n_head_kv", in->n_head_kv}, {"head_dim", in->head_dim},
        {"n_ff", in->n_ff}, {"n_expert", in->n_expert}, {"n_expert_used", in->n_expert_used},
        {"n_ctx_train", in->n_ctx_train}, {"sliding_window", in->sliding_window},
        {"bos_id", in->bos_id}, {"eos_id", in->eos_id}, {"unk_id", in->unk_id},
        {"weight_type", in->weight_type}, {"n_ctx_default", mw_session_n_ctx_default(in)},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        key(&j, ints[i].k), put_i64(&j, ints[i].v);
    key(&j, "rope_theta"), put_float(&j, in->rope_theta);
    key(&j, "norm_eps"), put_float(&j, in->norm_eps);
    key(&j, "weight_type_name"), put_string(&j, tn ? tn : "?");
    key(&j, "n_params"), put_u64(&j, in->n_params);
    key(&j, "weight_bytes"), put_u64(&j, in->weight_bytes);
    key(&j, "expert_bytes"), put_u64(&j, in->expert_bytes);
    key(&j, "expert_max_bytes"), put_u64(&j, in->expert_max_bytes);
    put(&j, "}", 1);
    return finish(&j);
}

MW_EXPORT int32_t mwb_model_info_json(const mw_model *model, char *buf, int32_t cap)
{
    mw_model_info info;
    mw_status st = mw_model_get_info(model, &info);
    return st ? st : info_json(&info, buf, cap);
}

MW_EXPORT int32_t mwb_loader_info_json(const mw_loader *loader, char *buf, int32_t cap)
{
    mw_model_info info;
    mw_status st = mw_loader_get_info(loader, &info);
    return st ? st : info_json(&info, buf, cap);
}

MW_EXPORT int32_t mwb_expert_stats_json(const mw_model *model, char *buf, int32_t cap)
{
    mw_expert_stats es;
    mw_status st = mw_model_expert_stats(model, &es);
    if (st)
        return st;
    json j = {buf, cap, 0, 0};
    open_obj(&j);
    key(&j, "hits"), put_u64(&j, es.hits);
    key(&j, "misses"), put_u64(&j, es.misses);
    key(&j, "bytes_read"), put_u64(&j, es.bytes_read);
    key(&j, "cache_bytes"), put_u64(&j, es.cache_bytes);
    key(&j, "budget_bytes"), put_u64(&j, es.budget_bytes);
    key(&j, "predicted"), put_u64(&j, es.predicted);
    key(&j, "predicted_used"), put_u64(&j, es.predicted_used);
    key(&j, "hinted"), put_u64(&j, es.hinted);
    put(&j, "}", 1);
    return finish(&j);
}

MW_EXPORT int32_t mwb_tensor_info_json(const mw_model *model, int32_t index, char *buf, int32_t cap)
{
    const char *name;
    int32_t type;
    int64_t ne[4];
    uint64_t bytes;
    mw_status st = mw_model_tensor_info(model, index, &name, &type, ne, &bytes);
    if (st)
        return st;
    json j = {buf, cap, 0, 0};
    const char *tn = mw_type_name(type);
    open_obj(&j);
    key(&j, "name"), put_string(&j, name);
    key(&j, "type"), put_i64(&j, type);
    key(&j, "type_name"), put_string(&j, tn ? tn : "?");
    key(&j, "ne");
    for (int d = 0; d < 4; d++)
        put(&j, d ? "," : "[", 1), put_i64(&j, ne[d]);
    put(&j, "]", 1);
    key(&j, "bytes"), put_u64(&j, bytes);
    put(&j, "}", 1);
    return finish(&j);
}

MW_EXPORT int32_t mwb_defaults_json(char *buf, int32_t cap)
{
    const mw_sampler_params sp = mw_sampler_params_default();
    const mw_session_params se = mw_session_params_default();
    json j = {buf, cap, 0, 0};
    open_obj(&j);
    key(&j, "sampler"), open_obj(&j);
    key(&j, "temperature"), put_float(&j, sp.temperature);
    key(&j, "top_k"), put_i64(&j, sp.top_k);
    key(&j, "top_p"), put_float(&j, sp.top_p);
    key(&j, "min_p"), put_float(&j, sp.min_p);
    key(&j, "repeat_penalty"), put_float(&j, sp.repeat_penalty);
    key(&j, "frequency_penalty"), put_float(&j, sp.frequency_penalty);
    key(&j, "presence_penalty"), put_float(&j, sp.presence_penalty);
    key(&j, "penalty_last_n"), put_i64(&j, sp.penalty_last_n);
    key(&j, "seed"), put_u64(&j, sp.seed);
    put(&j, "}", 1);
    key(&j, "session"), open_obj(&j);
    key(&j, "n_ctx"), put_i64(&j, se.n_ctx);
    key(&j, "n_threads"), put_i64(&j, se.n_threads);
    key(&j, "sliding_window"), put_i64(&j, se.sliding_window);
    key(&j, "n_batch"), put_i64(&j, se.n_batch);
    key(&j, "kv_type"), put_i64(&j, se.kv_type);
    put_str(&j, "}}");
    return finish(&j);
}

/* ---- packed chat messages ---- */

MW_EXPORT mw_status mwb_chat_tokenize(const mw_model *model, int32_t format, const char *packed,
                                      int32_t n_messages, const char *tools, int32_t *out,
                                      int32_t cap, int32_t *n_out)
{
    if (n_messages < 0 || (n_messages && !packed))
        return mw_fail(MW_ERR_INVALID_ARG, "mwb_chat_tokenize: negative count or NULL messages");
    mw_chat_message *msgs = mw_alloc(sizeof *msgs * (size_t)(n_messages > 0 ? n_messages : 1));
    if (!msgs)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory for %d chat messages", (int)n_messages);
    const char *p = packed;
    for (int32_t i = 0; i < n_messages; i++) {
        const char *field[4];
        for (int f = 0; f < 4; f++) {
            field[f] = p;
            p += strlen(p) + 1;
        }
        msgs[i].role = field[0];
        msgs[i].content = field[1];
        msgs[i].tool_calls = *field[2] ? field[2] : NULL;   /* "" = none */
        msgs[i].tool_call_id = *field[3] ? field[3] : NULL;
    }
    mw_status st = mw_chat_tokenize_tools(model, (mw_chat_format)format, msgs, n_messages,
                                          tools && *tools ? tools : NULL, out, cap, n_out);
    mw_free(msgs);
    return st;
}

/* ---- the abort hook ---- */

#if defined(__EMSCRIPTEN__)
/* Module.mwAbortPoll is installed by web/core.mjs on the thread that drives the session; pool
 * threads have none and say no. */
EM_JS(int32_t, mwb_abort_poll, (void), {
    return (typeof Module !== 'undefined' && Module['mwAbortPoll'] && Module['mwAbortPoll']()) ? 1 : 0;
});
#elif defined(__wasm__)
/* A freestanding module imports it from its JS glue ("env"."mwb_abort_poll"). */
__attribute__((import_module("env"), import_name("mwb_abort_poll"))) int32_t mwb_abort_poll(void);
#else
static int32_t mwb_abort_poll(void) { return 0; }   /* native builds (compile checks) */
#endif

static int32_t abort_hook(void *user)
{
    (void)user;
    return mwb_abort_poll();
}

MW_EXPORT mw_status mwb_session_create(const mw_model *model, int32_t n_ctx, int32_t n_threads,
                                       int32_t sliding_window, int32_t n_batch, int32_t kv_type,
                                       mw_session **out)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx;
    p.n_threads = n_threads;
    p.sliding_window = sliding_window;
    p.n_batch = n_batch;
    p.kv_type = kv_type;
    p.abort_fn = abort_hook;
    return mw_session_create(model, &p, out);
}

/* ---- 64-bit values as doubles ---- */

static uint64_t to_u64(double v) { return v > 0 ? (uint64_t)v : 0; }

MW_EXPORT mw_status mwb_loader_create(double memory_limit, mw_loader **out)
{
    mw_model_params p = mw_model_params_default();
    p.memory_limit = to_u64(memory_limit);
    return mw_loader_create(&p, out);
}

MW_EXPORT mw_status mwb_loader_set_size(mw_loader *loader, double total_size)
{
    return mw_loader_set_size(loader, to_u64(total_size));
}

MW_EXPORT double mwb_loader_file_size(const mw_loader *loader)
{
    uint64_t size = 0;
    return mw_loader_header_ready(loader, &size) ? (double)size : -1;
}

static mw_session_params session_params(int32_t n_ctx, int32_t n_threads, int32_t n_batch,
                                         int32_t kv_type)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx;
    p.n_threads = n_threads;
    p.n_batch = n_batch;
    p.kv_type = kv_type;
    return p;
}

MW_EXPORT mw_status mwb_loader_set_session(mw_loader *loader, int32_t n_ctx, int32_t n_threads,
                                           int32_t n_batch, int32_t kv_type)
{
    const mw_session_params p = session_params(n_ctx, n_threads, n_batch, kv_type);
    return mw_loader_set_session(loader, &p);
}

MW_EXPORT mw_status mwb_loader_memory_check(const mw_loader *loader, int32_t n_ctx,
                                            int32_t n_threads, int32_t n_batch, int32_t kv_type,
                                            double memory_limit, double *sizes)
{
    mw_model_info info;
    mw_memory_need need;
    memset(&need, 0, sizeof need);
    mw_status st = mw_loader_get_info(loader, &info);
    if (!st) {
        const mw_session_params p = session_params(n_ctx, n_threads, n_batch, kv_type);
        st = mw_memory_check(&info, &p, to_u64(memory_limit), &need);
    }
    if (sizes) {   /* need.n_ctx: the context counted (n_ctx 0 resolved by the core's fit) */
        const uint64_t v[6] = {need.weight_bytes, need.session_bytes, need.reserve_bytes,
                               need.total_bytes, need.limit_bytes, (uint64_t)need.n_ctx};
        for (int i = 0; i < 6; i++)
            sizes[i] = (double)v[i];
    }
    return st;
}

/* ---- a model read through the host ---- */

#if defined(__EMSCRIPTEN__)
/* Module.mwSourceRead is installed by web/core.mjs on the thread that drives the model (the
 * experts are read on the thread that evaluates, never on pool threads). */
EM_JS(int32_t, mwb_source_read, (double handle, double offset, void *dst, double size), {
    return Module['mwSourceRead'] ? Module['mwSourceRead'](handle, offset, dst, size) : -1;
});
#elif defined(__wasm__)
__attribute__((import_module("env"), import_name("mwb_source_read")))
int32_t mwb_source_read(double handle, double offset, void *dst, double size);
#else
static int32_t mwb_source_read(double handle, double offset, void *dst, double size)
{
    (void)handle, (void)offset, (void)dst, (void)size;
    return -1;   /* native builds (compile checks) */
}
#endif

typedef struct host_source { double handle; } host_source;

/* reads of at most 64 MiB (the core's chunk): the count fits the import's int32 */
static int64_t host_read_at(void *user, uint64_t offset, void *dst, size_t size)
{
    return mwb_source_read(((host_source *)user)->handle, (double)offset, dst, (double)size);
}

static void host_close(void *user) { mw_free(user); }

MW_EXPORT mw_status mwb_model_open_source(double handle, double size, double memory_limit,
                                          double expert_cache_bytes, mw_model **out)
{
    host_source *h = mw_alloc(sizeof *h);
    if (!h)
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory for a model source");
    h->handle = handle;
    const mw_source src = {host_read_at, h, to_u64(size), host_close, NULL};   /* no read-ahead hint */
    mw_model_params p = mw_model_params_default();
    p.memory_limit = to_u64(memory_limit);
    p.expert_cache_bytes = to_u64(expert_cache_bytes);
    return mw_model_open_source(&src, &p, out);
}

MW_EXPORT double mwb_session_kv_bytes(const mw_session *session)
{
    return (double)mw_session_kv_bytes(session);
}

MW_EXPORT mw_status mwb_sampler_create(float temperature, int32_t top_k, float top_p, float min_p,
                                       float repeat_penalty, float frequency_penalty,
                                       float presence_penalty, int32_t penalty_last_n,
                                       double seed, int32_t n_vocab, mw_sampler **out)
{
    mw_sampler_params p = mw_sampler_params_default();
    p.temperature = temperature;
    p.top_k = top_k;
    p.top_p = top_p;
    p.min_p = min_p;
    p.repeat_penalty = repeat_penalty;
    p.frequency_penalty = frequency_penalty;
    p.presence_penalty = presence_penalty;
    p.penalty_last_n = penalty_last_n;
    p.seed = to_u64(seed);
    return mw_sampler_create(&p, n_vocab, out);
}
