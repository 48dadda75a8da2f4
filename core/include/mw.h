/*
 * mw.h — the one public header of mistral-wasm.
 *
 * A portable C11 engine for quantized Mistral / Mixtral GGUF models. Everything is reached
 * through opaque handles (mw_model, mw_session, mw_sampler, mw_loader, mw_detok). Every call
 * that can fail returns an mw_status (0 = MW_OK, negative = error) and leaves a human-readable
 * reason in mw_last_error(). The library never aborts or exits on bad input.
 *
 * Typical use:
 *   mw_model *m;   mw_model_open_file("model.gguf", NULL, &m);
 *   mw_session *s; mw_session_create(m, NULL, &s);
 *   mw_tokenize(m, text, len, MW_TOKENIZE_ADD_BOS, ids, cap, &n);
 *   mw_session_eval(s, ids, n, NULL);          then mw_session_logits(s) / a sampler
 *
 * Threads: a model is read-only after loading and may be shared by sessions on different
 * threads; a session, sampler or detokenizer must be used by one thread at a time. Exception:
 * a model that streams its experts (mw_model_params.expert_cache_bytes > 0) updates its cache
 * as sessions evaluate, so no two of its sessions may evaluate at the same time.
 */
#ifndef MW_H
#define MW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ---------------------------------------------------------------- */

typedef enum mw_status {
    MW_OK = 0,
    MW_ERR_INVALID_ARG = -1,   /* a NULL handle, a negative count, an out-of-range id */
    MW_ERR_NO_MEMORY = -2,     /* the allocator returned NULL */
    MW_ERR_IO = -3,            /* a byte source failed (open, read) */
    MW_ERR_BAD_FORMAT = -4,    /* the bytes are not a well-formed GGUF file */
    MW_ERR_UNSUPPORTED = -5,   /* well-formed, but an architecture / type / version we do not run */
    MW_ERR_TOO_LARGE = -6,     /* model + context would exceed the memory budget */
    MW_ERR_ABORTED = -7,       /* the abort hook asked to stop */
    MW_ERR_CONTEXT_FULL = -8,  /* no room left in the KV cache (and no sliding window) */
    MW_ERR_TRUNCATED = -9,     /* the byte source ended before the file did */
    MW_ERR_BUFFER_TOO_SMALL = -10, /* output buffer too small; the needed size is reported */
    MW_ERR_STATE = -11,        /* call made in the wrong state (e.g. info before the header) */
    MW_ERR_INTERNAL = -12
} mw_status;

/* The reason for the last failure on the calling thread ("" if none). Valid until the next
 * failing call on this thread. */
const char *mw_last_error(void);

/* A constant name for a status code, e.g. "MW_ERR_BAD_FORMAT". */
const char *mw_status_name(mw_status status);

/* Allocation hook: every byte the library allocates goes through it. Pass NULL to restore the
 * C library's malloc/realloc/free. Set it before any other call; not thread-safe. realloc and
 * free receive only pointers obtained from the same hook. */
typedef struct mw_allocator {
    void *(*alloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} mw_allocator;
void mw_set_allocator(const mw_allocator *allocator);
/* Memory from the hook, for bindings that hand buffers to mw_* calls (web/boundary.c). */
void *mw_alloc(size_t size);
void mw_free(void *ptr);
/* Record a formatted message for mw_last_error() and return status, for bindings that reject
 * their own input. The formatter is the library's own (no stdio): %s %d %i %u %x %c %% with
 * the l/ll/z size prefixes. */
mw_status mw_fail(mw_status status, const char *fmt, ...);

/* Log callback for warnings and progress notes (default: silent). level 0 = info, 1 = warn. */
typedef void (*mw_log_fn)(void *user, int level, const char *message);
void mw_set_log(mw_log_fn fn, void *user);

/* ---- models --------------------------------------------------------------------------- */

typedef struct mw_model mw_model;

typedef struct mw_model_params {
    /* The memory the model and its sessions may use (0 = no limit beyond what the platform
     * can address: 4 GiB on wasm32). Refused (MW_ERR_TOO_LARGE) as soon as the header is in
     * when the weights + the smallest session + MW_MEMORY_RESERVE exceed it, and by
     * mw_session_create when the weights + that session + the reserve do (mw_memory_check). */
    uint64_t memory_limit;
    /* Only with mw_model_open_memory: 1 = use the caller's buffer in place (it must outlive
     * the model and stay unchanged); 0 = copy the bytes (default). */
    int32_t borrow_memory;
    /* Mixtral: 0 (default) = every expert resident, loaded with the rest of the weights.
     * > 0 = stream the experts: the expert tensors (ffn_gate_exps / ffn_up_exps /
     * ffn_down_exps) are not loaded; an expert's three slices are read from the model's byte
     * source when a token is routed to it, into a least-recently-used cache of at most this
     * many bytes. Attention, norms, routers, embeddings and the output stay resident. Needs a
     * positional source (mw_model_open_file on a regular file, or mw_model_open_source); the
     * source must stay readable until mw_model_free. At least one expert's three slices
     * (mw_model_info.expert_max_bytes) or MW_ERR_INVALID_ARG; each cached expert takes that
     * largest expert's bytes (one slot size, so an evicted expert's memory is reused as it is:
     * no fresh pages per read). The memory rule then counts the
     * resident weights + this budget instead of all the weights. Logits are bit-identical to
     * a fully resident model's. No effect on a dense model. Threads: a streamed model's
     * sessions may live on different threads but must not evaluate at the same time (the cache
     * is shared and not locked). */
    uint64_t expert_cache_bytes;
    /* Streamed experts: 1 (mw_model_params_default) = while a layer runs, apply the next
     * layer's router to the current hidden state (its ffn_norm, then its router) and name the
     * experts it picks that are not cached to the source (mw_source.will_read), which may start
     * fetching them while this layer computes (Eliseev & Mazur 2023). The picks are counted
     * against the next layer's routing (mw_expert_stats.predicted, predicted_used) with or
     * without will_read. 0 = off. Logits are the same either way. */
    int32_t expert_prefetch;
} mw_model_params;

mw_model_params mw_model_params_default(void);

/* Open a GGUF model from a file path. params may be NULL (defaults). */
mw_status mw_model_open_file(const char *path, const mw_model_params *params, mw_model **out);

/* Open a GGUF model held in memory. */
mw_status mw_model_open_memory(const void *data, size_t size, const mw_model_params *params,
                               mw_model **out);

/* Open a GGUF model from a sequential read callback. The callback fills up to `size` bytes at
 * `dst` and returns the number written, 0 at end of stream, or a negative value on error. */
typedef int64_t (*mw_read_fn)(void *user, void *dst, size_t size);
mw_status mw_model_open_reader(mw_read_fn read, void *user, const mw_model_params *params,
                               mw_model **out);

/* A positional byte source: read_at fills up to size bytes at dst from byte offset of the
 * source and returns the number written (> 0), 0 past the end, or a negative value on error.
 * It may return fewer bytes than asked (it is called again for the rest). size: the source's
 * total bytes. close (may be NULL) is called once when the source is no longer needed: after
 * loading, or at mw_model_free for a model that streams its experts from it. */
typedef int64_t (*mw_read_at_fn)(void *user, uint64_t offset, void *dst, size_t size);
typedef struct mw_source {
    mw_read_at_fn read_at;
    void *user;
    uint64_t size;
    void (*close)(void *user);
    /* Optional (may be NULL): bytes [offset, offset + size) will probably be read soon; the
     * source may start fetching them and return at once (the file source: posix_fadvise
     * WILLNEED, so the kernel reads ahead while the engine computes). Never required to act. */
    void (*will_read)(void *user, uint64_t offset, uint64_t size);
} mw_source;
/* Open a GGUF model from a positional source: the header, then only the tensor data that
 * stays resident (everything, unless params->expert_cache_bytes > 0 streams the experts).
 * The source is closed (src->close) whatever the outcome, unless the model streams from it. */
mw_status mw_model_open_source(const mw_source *src, const mw_model_params *params,
                               mw_model **out);

/* Push-style loader, for bytes that arrive in chunks (a browser download): create, feed every
 * chunk in order, then finish. The header is parsed as soon as enough bytes have arrived, so
 * mw_loader_get_info() can reject a model before the download completes. Chunks are copied
 * straight into the final weight buffer: no second full copy is ever held. */
typedef struct mw_loader mw_loader;
mw_status mw_loader_create(const mw_model_params *params, mw_loader **out);
mw_status mw_loader_feed(mw_loader *loader, const void *data, size_t size);
/* Optional, before the header has parsed: the total number of bytes that will be fed (e.g. an
 * HTTP Content-Length). A header whose tensor data needs more is then refused
 * (MW_ERR_TRUNCATED) as soon as it parses, before any tensor data is allocated; without it a
 * short stream is refused at finish, having allocated the blocks its bytes reached. */
mw_status mw_loader_set_size(mw_loader *loader, uint64_t total_size);
/* Optional, before the header has parsed: the session that will be created (mw_session_create
 * params), so the budget check made as soon as the header parses (mw_memory_check with
 * memory_limit) counts it instead of the smallest session: a model + context that cannot fit
 * is refused before any tensor data is allocated. */
struct mw_session_params;   /* defined with the sessions below */
mw_status mw_loader_set_session(mw_loader *loader, const struct mw_session_params *session);
/* 1 once the header is parsed and validated, 0 before; total file size via *file_size. */
int32_t mw_loader_header_ready(const mw_loader *loader, uint64_t *file_size);
/* Builds the model; the loader is freed whatever the outcome. */
mw_status mw_loader_finish(mw_loader *loader, mw_model **out);
void mw_loader_free(mw_loader *loader);

void mw_model_free(mw_model *model);

typedef struct mw_model_info {
    char arch[32];             /* general.architecture, e.g. "llama" */
    char name[64];             /* general.name, or "" */
    int32_t n_vocab;
    int32_t n_embd;
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t head_dim;
    int32_t n_ff;
    int32_t n_expert;          /* 0 for dense models */
    int32_t n_expert_used;
    int32_t n_ctx_train;
    int32_t sliding_window;    /* from the file, 0 when absent */
    float rope_theta;
    float norm_eps;
    int32_t bos_id, eos_id, unk_id;
    int32_t weight_type;       /* most common weight tensor type (MW_TYPE_*) */
    uint64_t n_params;
    uint64_t weight_bytes;     /* bytes of tensor data */
    uint64_t expert_bytes;     /* of which the expert tensors (0 for dense models) */
    uint64_t expert_max_bytes; /* the largest expert's three slices (gate + up + down), each
                                  rounded up to 16 bytes: the smallest expert_cache_bytes */
} mw_model_info;

mw_status mw_model_get_info(const mw_model *model, mw_model_info *info);
/* Same, from a loader whose header is ready (before the weights arrive). */
mw_status mw_loader_get_info(const mw_loader *loader, mw_model_info *info);

/* The context a session gets when mw_session_params.n_ctx is 0 and memory is no object:
 * min(n_ctx_train, 4096), or 4096 when the model gives no training context. The one place this
 * default is decided. */
int32_t mw_session_n_ctx_default(const mw_model_info *info);

/* Bytes a session of n_ctx tokens would allocate (KV cache + scratch + logits), sliding
 * window applied (window 0 = the model's, <0 = none; n_ctx 0 = mw_session_n_ctx_default),
 * with the default n_batch and one thread: mw_session_memory_needed_params of those params. */
uint64_t mw_session_memory_needed(const mw_model_info *info, int32_t n_ctx, int32_t window);
/* Same for a KV cache of kv_type (MW_KV_F32 / MW_KV_F16); 0 for an unknown kv_type. */
uint64_t mw_session_memory_needed_kv(const mw_model_info *info, int32_t n_ctx, int32_t window,
                                     int32_t kv_type);

/* GGML tensor type ids (same numbers as ggml, as stored in GGUF). */
enum {
    MW_TYPE_F32 = 0, MW_TYPE_F16 = 1, MW_TYPE_Q4_0 = 2, MW_TYPE_Q4_1 = 3,
    MW_TYPE_Q5_0 = 6, MW_TYPE_Q5_1 = 7, MW_TYPE_Q8_0 = 8, MW_TYPE_Q8_1 = 9,
    MW_TYPE_Q2_K = 10, MW_TYPE_Q3_K = 11, MW_TYPE_Q4_K = 12, MW_TYPE_Q5_K = 13,
    MW_TYPE_Q6_K = 14, MW_TYPE_Q8_K = 15, MW_TYPE_BF16 = 30
};
/* "Q4_K", "F32", ... or NULL for an unknown id. */
const char *mw_type_name(int32_t type);

/* Per-tensor listing, for `mw info`. index in [0, mw_model_tensor_count). */
int32_t mw_model_tensor_count(const mw_model *model);
mw_status mw_model_tensor_info(const mw_model *model, int32_t index, const char **name,
                               int32_t *type, int64_t ne[4], uint64_t *bytes);

/* ---- tokenizer ------------------------------------------------------------------------ */

enum {
    MW_TOKENIZE_ADD_BOS = 1,        /* prepend BOS (when the vocabulary has one) */
    MW_TOKENIZE_ADD_EOS = 2,
    MW_TOKENIZE_PARSE_SPECIAL = 4   /* turn control-token text such as "[INST]" into the control
                                       token; off by default: user text never becomes control */
};

/* Tokenize len bytes of UTF-8 text. Writes up to cap ids; *n_out receives the number of ids
 * (also when cap was too small: then MW_ERR_BUFFER_TOO_SMALL is returned). */
mw_status mw_tokenize(const mw_model *model, const char *text, size_t len, int32_t flags,
                      int32_t *out, int32_t cap, int32_t *n_out);

/* Detokenize ids into UTF-8 as llama.cpp does: "▁" becomes a space, <0xNN> a raw byte,
 * control tokens render nothing, and the first id's piece loses one leading space — a leading
 * BOS is that first id, so the piece after it keeps its space ([<s>, ▁The] gives " The",
 * [▁The] gives "The"). Invalid UTF-8 bytes are returned as they are. */
mw_status mw_detokenize(const mw_model *model, const int32_t *ids, int32_t n, char *out,
                        size_t cap, size_t *n_out);

/* The raw vocabulary string of a token id (e.g. "▁Once", "<0x0A>"), or NULL if out of range. */
const char *mw_token_text(const mw_model *model, int32_t id);
int32_t mw_token_bos(const mw_model *model);
int32_t mw_token_eos(const mw_model *model);
/* 1 if id ends generation (EOS or another end-of-generation control token). */
int32_t mw_token_is_eog(const mw_model *model, int32_t id);

/* Streaming detokenizer: feed ids one at a time and get back only complete UTF-8 characters;
 * partial multi-byte sequences are held until they complete (or flushed as U+FFFD). */
typedef struct mw_detok mw_detok;
mw_status mw_detok_create(const mw_model *model, mw_detok **out);
/* Appends the text the id completes to out (cap bytes), *n_out = bytes written. */
mw_status mw_detok_push(mw_detok *d, int32_t id, char *out, size_t cap, size_t *n_out);
mw_status mw_detok_flush(mw_detok *d, char *out, size_t cap, size_t *n_out);
void mw_detok_reset(mw_detok *d);
void mw_detok_free(mw_detok *d);

/* ---- chat formatting ------------------------------------------------------------------ */

typedef enum mw_chat_format {
    MW_CHAT_AUTO = 0,       /* pick from tokenizer.chat_template and the vocabulary */
    MW_CHAT_MISTRAL_V1 = 1, /* "<s>[INST] ... [/INST]" with [INST] as text (Mistral 7B v0.1/v0.2, Mixtral 8x7B) */
    MW_CHAT_MISTRAL_V3 = 2, /* [INST] / [/INST] as control tokens (v3 vocabulary) */
    MW_CHAT_RAW = 3         /* no template: contents concatenated (base models) */
} mw_chat_format;

typedef struct mw_chat_message {
    const char *role;         /* "system", "user", "assistant" or "tool" */
    const char *content;      /* UTF-8, NUL-terminated (NULL = empty) */
    const char *tool_calls;   /* assistant: OpenAI's JSON [{"id", "type", "function": {"name",
                                 "arguments"}}], or NULL */
    const char *tool_call_id; /* tool: the id of the call it answers, or NULL */
} mw_chat_message;

/* Token ids of a conversation, ready for generation of the next assistant reply. */
mw_status mw_chat_tokenize(const mw_model *model, mw_chat_format format,
                           const mw_chat_message *messages, int32_t n_messages,
                           int32_t *out, int32_t cap, int32_t *n_out);
/* The same with the functions the model may call: tools = OpenAI's JSON [{"type": "function",
 * "function": {"name", "description", "parameters"}}] (NULL = none), shown in Mistral's v3 tool
 * format ([AVAILABLE_TOOLS] before the last user message; calls after [TOOL_CALLS], results in
 * [TOOL_RESULTS], as mistral-common tokenizes them). Tools, "tool" messages and tool_calls need
 * MW_CHAT_MISTRAL_V3 and a vocabulary with those control tokens: otherwise MW_ERR_UNSUPPORTED
 * (render them as text). */
mw_status mw_chat_tokenize_tools(const mw_model *model, mw_chat_format format,
                                 const mw_chat_message *messages, int32_t n_messages,
                                 const char *tools, int32_t *out, int32_t cap, int32_t *n_out);
/* The [TOOL_CALLS] control id that starts a reply's tool calls when format (MW_CHAT_AUTO: the
 * model's) renders tools natively (mw_chat_tokenize_tools accepts them), else -1. */
int32_t mw_chat_tool_calls_token(const mw_model *model, mw_chat_format format);
/* The format MW_CHAT_AUTO resolves to for this model. */
mw_chat_format mw_chat_format_detect(const mw_model *model);

/* ---- sessions (KV cache + forward pass) ----------------------------------------------- */

typedef struct mw_session mw_session;

/* Polled between layers and tokens; return non-zero to stop with MW_ERR_ABORTED. */
typedef int32_t (*mw_abort_fn)(void *user);

/* KV cache element types (mw_session_params.kv_type). */
enum { MW_KV_F32 = 0, MW_KV_F16 = 1 };

typedef struct mw_session_params {
    int32_t n_ctx;          /* tokens of context; 0 = mw_session_n_ctx_fit(): min(training,
                               4096), halved to fit the model's memory_limit; more than the
                               training context: MW_ERR_INVALID_ARG */
    int32_t n_threads;      /* worker threads incl. the caller; 0 = 1 */
    int32_t sliding_window; /* 0 = the model's (none if absent); >0 = this window; <0 = off */
    int32_t n_batch;        /* max tokens evaluated per forward chunk; 0 = 64 */
    mw_abort_fn abort_fn;
    void *abort_user;
    /* Refuse (MW_ERR_TOO_LARGE) when the session's buffers alone (KV cache + scratch, as
     * mw_session_memory_needed reports) would exceed this many bytes; 0 = no such cap. The
     * model's budget applies in any case: mw_memory_check with its memory_limit. */
    uint64_t memory_limit;
    /* Element type of the KV cache: MW_KV_F32 (0, the default) or MW_KV_F16 (half the bytes:
     * K and V rounded to fp16 when stored, as llama.cpp's default cache; logits move by about
     * 1e-2). Any other value: MW_ERR_INVALID_ARG. */
    int32_t kv_type;
} mw_session_params;

mw_session_params mw_session_params_default(void);
/* Exactly what mw_session_create(model, params) allocates for its buffers (the number its
 * memory_limit is compared with): params' n_ctx, sliding_window, n_batch, n_threads and kv_type
 * with their defaults applied. 0 for invalid params. */
uint64_t mw_session_memory_needed_params(const mw_model_info *info,
                                         const mw_session_params *params);
mw_status mw_session_create(const mw_model *model, const mw_session_params *params,
                            mw_session **out);

/* ---- the memory budget: one rule for the loaders, mw_session_create and the JS package ---- */

/* Bytes kept free beside the weights and a session's buffers, for everything else that shares
 * the memory: the tokenizer's tables, stacks and static data, the allocator's bookkeeping, the
 * chunk being fed, a sampler. (64 MiB.) */
#define MW_MEMORY_RESERVE 67108864

typedef struct mw_memory_need {
    uint64_t weight_bytes;   /* the model's resident tensor data (mw_model_info.weight_bytes;
                                with streamed experts, that less expert_bytes) */
    uint64_t session_bytes;  /* mw_session_memory_needed_params of the session */
    uint64_t reserve_bytes;  /* MW_MEMORY_RESERVE */
    uint64_t total_bytes;    /* their sum */
    uint64_t limit_bytes;    /* the limit applied: memory_limit, at most the address space
                                (4 GiB on wasm32); 0 = none */
    uint64_t expert_cache_bytes; /* the streamed experts' cache budget (at most expert_bytes;
                                    0 when the experts are resident), part of total_bytes */
    int32_t n_ctx;           /* the session's context counted: its n_ctx, or what n_ctx 0
                                resolves to (mw_session_n_ctx_fit); 1 for the smallest session */
} mw_memory_need;

/* Whether a model (its header is enough: mw_loader_get_info) and one session fit in
 * memory_limit bytes (0 = no limit beyond the address space, 4 GiB on wasm32):
 *     weight_bytes + session bytes + MW_MEMORY_RESERVE <= limit.
 * session NULL = the smallest session the model can run (1 token of context, n_batch 1, one
 * thread, F16 cache; none for a model without layers). MW_OK when it fits; MW_ERR_TOO_LARGE
 * when not (mw_last_error() gives the sizes and the limit); MW_ERR_INVALID_ARG for invalid
 * session params. need (may be NULL) receives the sizes in every case.
 * The one place the budget is decided: the loaders apply it with mw_model_params.memory_limit
 * and the smallest session as soon as the header has arrived; mw_session_create with the same
 * memory_limit (kept by the model) and its own params; the JS package before the weights
 * download, with the session it will create. */
mw_status mw_memory_check(const mw_model_info *info, const mw_session_params *session,
                          uint64_t memory_limit, mw_memory_need *need);
/* The same rule for a model whose experts stream through a cache of expert_cache_bytes
 * (mw_model_params.expert_cache_bytes; 0 = resident, then it is mw_memory_check): counts
 * weight_bytes - expert_bytes + min(expert_cache_bytes, expert_bytes). MW_ERR_INVALID_ARG for
 * a budget below expert_max_bytes. A Mixtral refused with resident experts is told about
 * streaming (`--expert-cache MB` in the CLI, `expertCache` in JS). */
mw_status mw_memory_check_experts(const mw_model_info *info, const mw_session_params *session,
                                  uint64_t memory_limit, uint64_t expert_cache_bytes,
                                  mw_memory_need *need);
/* The context a session with n_ctx 0 gets (mw_session_create, mw_memory_check): the default
 * (mw_session_n_ctx_default), halved while the weights + that session (the other fields of
 * session, NULL = defaults) + the reserve exceed memory_limit or the address space, but not
 * below MW_N_CTX_FIT_MIN tokens (nor the default, when that is smaller). When even that does not
 * fit, the default: the memory check then refuses it with the sizes. So a 3.3 GiB model on
 * wasm32 gets 2048 tokens instead of a refusal; asking for n_ctx explicitly is never shrunk. */
int32_t mw_session_n_ctx_fit(const mw_model_info *info, const mw_session_params *session,
                             uint64_t memory_limit, uint64_t expert_cache_bytes);
#define MW_N_CTX_FIT_MIN 512
void mw_session_free(mw_session *session);

/* Evaluate n tokens at the next positions. logits_all may be NULL; otherwise it receives
 * [n][n_vocab] floats, one row per input token. The last row is always available afterwards
 * from mw_session_logits(). On MW_ERR_ABORTED the session keeps the tokens fully evaluated
 * before the abort (mw_session_n_past tells how many). */
mw_status mw_session_eval(mw_session *session, const int32_t *tokens, int32_t n,
                          float *logits_all);
/* Same evaluation, returning instead the final normed hidden state of every input token,
 * [n][n_embd] floats, for embeddings (mean or last-token pooling is the caller's choice). The
 * output head is skipped: mw_session_logits() is NULL until the next mw_session_eval. */
mw_status mw_session_eval_embd(mw_session *session, const int32_t *tokens, int32_t n,
                               float *embd_all);
const float *mw_session_logits(const mw_session *session);
int32_t mw_session_n_past(const mw_session *session);
/* Tokens of context (the n_ctx asked for, or the default it resolved to). */
int32_t mw_session_n_ctx(const mw_session *session);
/* The sliding window in effect: 0 when the KV cache holds the whole context (it fills, then
 * mw_session_eval returns MW_ERR_CONTEXT_FULL), else the window (the cache rolls: never full). */
int32_t mw_session_window(const mw_session *session);
/* The ids evaluated so far (n_past of them; with a rolling window, position p's id). */
const int32_t *mw_session_tokens(const mw_session *session);
/* Forget everything after the first n_keep tokens (KV reuse for a shared prefix). */
mw_status mw_session_truncate(mw_session *session, int32_t n_keep);
void mw_session_reset(mw_session *session);
void mw_session_set_abort(mw_session *session, mw_abort_fn fn, void *user);

/* Mixtral: how often each expert of each layer was selected, counted per token.
 * counts receives [n_layer][n_expert]. */
mw_status mw_session_expert_counts(const mw_session *session, uint64_t *counts, size_t cap);

/* Streamed experts (mw_model_params.expert_cache_bytes > 0): counted since the model was
 * opened, over all its sessions. A hit or a miss is one use of an expert's slices by one
 * forward chunk (a chunk of several tokens routed to one expert uses it once). All zero when
 * the experts are resident. */
typedef struct mw_expert_stats {
    uint64_t hits;          /* the expert was in the cache */
    uint64_t misses;        /* it was read from the source */
    uint64_t bytes_read;    /* bytes read from the source for experts */
    uint64_t cache_bytes;   /* bytes the cache holds now (<= budget_bytes) */
    uint64_t budget_bytes;  /* expert_cache_bytes the model was opened with */
    /* expert_prefetch: (layer, expert) picks of the next layer's router applied ahead, how
     * many of them that layer then used, and how many were not cached and so named to the
     * source (mw_source.will_read; 0 without it) */
    uint64_t predicted, predicted_used, hinted;
} mw_expert_stats;
mw_status mw_model_expert_stats(const mw_model *model, mw_expert_stats *stats);

/* Bytes of the session's KV cache (K and V, all layers; 0 for NULL). */
uint64_t mw_session_kv_bytes(const mw_session *session);

/* ---- sampling ------------------------------------------------------------------------- */

typedef struct mw_sampler_params {
    float temperature;        /* <= 0: greedy (argmax, lowest id on ties) */
    int32_t top_k;            /* 0 = off */
    float top_p;              /* 1 = off */
    float min_p;              /* 0 = off */
    float repeat_penalty;     /* 1 = off (llama.cpp semantics: divide positive, multiply negative) */
    float frequency_penalty;  /* 0 = off */
    float presence_penalty;   /* 0 = off */
    int32_t penalty_last_n;   /* window of recent tokens the penalties look at; 0 = off */
    uint64_t seed;
} mw_sampler_params;

typedef struct mw_sampler mw_sampler;
mw_sampler_params mw_sampler_params_default(void);
mw_status mw_sampler_create(const mw_sampler_params *params, int32_t n_vocab, mw_sampler **out);
/* Pick the next id from logits [n_vocab] (not modified). */
int32_t mw_sampler_sample(mw_sampler *sampler, const float *logits);
/* Record an id in the penalty window (generated and prompt tokens). */
void mw_sampler_accept(mw_sampler *sampler, int32_t id);
void mw_sampler_reset(mw_sampler *sampler);
void mw_sampler_free(mw_sampler *sampler);

/* ---- constrained decoding (JSON) ----------------------------------------------------- */

/* A constraint keeps generation inside the documents of a JSON Schema, so the output always
 * parses and validates, whatever the model's weights. Use: create it for the request, attach it
 * to the sampler (or mask logits yourself with mw_constraint_apply), and after each sampled id
 * call mw_constraint_accept; stop when mw_constraint_done returns 1 or the model emits EOS
 * (allowed only once the document is complete; once nothing else can follow, the only token
 * allowed).
 *
 * Supported schema keywords: type (a name or a list), properties, required,
 * additionalProperties, items, minItems, maxItems, minLength, maxLength, enum, const,
 * anyOf / oneOf, allOf of one schema, $ref into the same document (not recursive), minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, boolean schemas; annotations (title,
 * description, default, format, ...) are ignored. Keywords that cannot be enforced ("pattern",
 * "multipleOf", "uniqueItems", "prefixItems", ...) give MW_ERR_UNSUPPORTED; text that is not a
 * valid schema gives MW_ERR_INVALID_ARG; mw_last_error() says which.
 *
 * The generated document is a deliberately plain subset of the valid ones: object members in
 * the schema's order (every required one; optional ones may be left out), no properties beyond
 * the listed ones, at most one space or newline between tokens, strings of at most maxLength
 * characters (256 when unset), numbers of at most 24 characters (exponent at most 2 digits, so
 * every number is a finite double), arrays of at most maxItems
 * items (64 when unset), free-form objects (no "properties") of at most 16 members,
 * free-form values nested at most 24 deep, and bounded numbers as integers (every integer of a
 * range up to 1024 wide; of wider ones a subset, e.g. minimum 18 gives 100 and up). anyOf /
 * oneOf alternatives that begin alike stay open until a byte tells them apart (up to 96 bytes),
 * so a choice between objects told apart by a "name" member works; oneOf alternatives should
 * exclude each other, as only one is followed. Generation always ends: a token is allowed only if
 * the document can still be completed within max_bytes bytes in total. Every token is at least
 * one byte, so max_bytes = (tokens the caller can still afford) - 1 guarantees the document
 * and its EOS fit. */
typedef struct mw_constraint mw_constraint;

/* Constraint for documents matching schema (len bytes of JSON Schema text). schema NULL / len 0
 * means json_object mode: any JSON object. A root schema that does not restrict the type
 * ("{}") also means an object, since response formats and tool arguments are objects.
 * max_bytes bounds the document's length in bytes (0 = 4096); MW_ERR_INVALID_ARG if even the
 * shortest valid document is longer. The vocabulary is indexed here (its token pieces sorted:
 * about 10 ms for 32000 tokens); mw_constraint_reset starts another document with the same
 * schema without redoing that. A mask then costs about 2 ms per token for 32000 tokens. */
mw_status mw_constraint_create_json(const mw_model *model, const char *schema, size_t len,
                                    int32_t max_bytes, mw_constraint **out);
/* Set logits[i] to -INFINITY for every token that cannot come next (n_vocab must be the
 * model's); allowed tokens whose logit is -INFINITY or NaN are raised to -FLT_MAX so one of them
 * always wins. MW_ERR_STATE if no token is allowed (the document was finished by EOS). */
mw_status mw_constraint_apply(mw_constraint *c, float *logits, int32_t n_vocab);
/* Advance past a generated id. MW_ERR_INVALID_ARG (state unchanged) if the id was not
 * allowed. */
mw_status mw_constraint_accept(mw_constraint *c, int32_t id);
/* 1 when the document is complete and nothing can follow (its closing byte, or EOS, was
 * accepted): stop generating. */
int32_t mw_constraint_done(const mw_constraint *c);
/* Back to the start of a new document. */
void mw_constraint_reset(mw_constraint *c);
void mw_constraint_free(mw_constraint *c);

/* Attach c (or NULL to detach) to a sampler: mw_sampler_sample then only draws tokens the
 * constraint allows (masking after the penalties, before top-k / top-p / min-p), and returns -1
 * if none is. The sampler does not advance or own c: call mw_constraint_accept with each id,
 * and free c after detaching it. MW_ERR_INVALID_ARG if the vocabulary sizes differ. */
mw_status mw_sampler_set_constraint(mw_sampler *sampler, mw_constraint *c);

/* ---- misc ----------------------------------------------------------------------------- */

/* Which kernel set runs ("scalar", "simd128", ...). */
const char *mw_kernels_name(void);
const char *mw_version(void);

#ifdef __cplusplus
}
#endif
#endif /* MW_H */
