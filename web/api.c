/*
 * api.c — the C export layer of the Emscripten modules (build-web/mw-mt.mjs, mw-st.mjs).
 *
 * Thin EMSCRIPTEN_KEEPALIVE wrappers over core/include/mw.h, shaped for calls from JS: handles
 * are plain pointers, every fallible call returns an mw_status (0 = ok, negative = error, the
 * reason in mwj_last_error()), outputs go through pointers the JS side allocated, and 64-bit
 * quantities travel as doubles (exact below 2^53; 3.1.6 without WASM_BIGINT splits i64).
 * Model bytes arrive through the push loader: JS copies each downloaded chunk into one malloc'd
 * chunk buffer and calls mwj_loader_feed(), so no file system and no second copy is involved.
 * The generation loop itself lives in JS (web/core.mjs), one token per call, so the worker can
 * stream tokens and notice aborts; long prefills are cut short through the abort hook below.
 */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mw.h"

#define API EMSCRIPTEN_KEEPALIVE

/* ---- errors and version --------------------------------------------------------------- */

API const char *mwj_last_error(void) { return mw_last_error(); }
API const char *mwj_status_name(int status) { return mw_status_name((mw_status)status); }
API const char *mwj_version(void) { return mw_version(); }
API const char *mwj_kernels_name(void) { return mw_kernels_name(); }
API const char *mwj_type_name(int type) { return mw_type_name(type); }

/* ---- model info as JSON (one call instead of twenty field getters) --------------------- */

/* Append s to buf as a JSON string literal; returns the new length (may exceed cap: the
 * caller checks and reports MW_ERR_BUFFER_TOO_SMALL). */
static int json_str(char *buf, int len, int cap, const char *s)
{
    len += snprintf(buf + (len < cap ? len : cap), len < cap ? (size_t)(cap - len) : 0, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\')
            snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p < 0x20)
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        else
            snprintf(esc, sizeof esc, "%c", *p);
        len += snprintf(buf + (len < cap ? len : cap), len < cap ? (size_t)(cap - len) : 0, "%s", esc);
    }
    len += snprintf(buf + (len < cap ? len : cap), len < cap ? (size_t)(cap - len) : 0, "\"");
    return len;
}

static int info_json(const mw_model_info *in, char *buf, int cap)
{
    int len = snprintf(buf, (size_t)cap, "{\"arch\":");
    len = json_str(buf, len, cap, in->arch);
    len += snprintf(buf + (len < cap ? len : cap), len < cap ? (size_t)(cap - len) : 0, ",\"name\":");
    len = json_str(buf, len, cap, in->name);
    const char *tn = mw_type_name(in->weight_type);
    len += snprintf(buf + (len < cap ? len : cap), len < cap ? (size_t)(cap - len) : 0,
        ",\"n_vocab\":%d,\"n_embd\":%d,\"n_layer\":%d,\"n_head\":%d,\"n_head_kv\":%d,"
        "\"head_dim\":%d,\"n_ff\":%d,\"n_expert\":%d,\"n_expert_used\":%d,\"n_ctx_train\":%d,"
        "\"sliding_window\":%d,\"rope_theta\":%.9g,\"norm_eps\":%.9g,\"bos_id\":%d,\"eos_id\":%d,"
        "\"unk_id\":%d,\"weight_type\":%d,\"weight_type_name\":\"%s\",\"n_params\":%.17g,"
        "\"weight_bytes\":%.17g}",
        in->n_vocab, in->n_embd, in->n_layer, in->n_head, in->n_head_kv, in->head_dim, in->n_ff,
        in->n_expert, in->n_expert_used, in->n_ctx_train, in->sliding_window, in->rope_theta,
        in->norm_eps, in->bos_id, in->eos_id, in->unk_id, in->weight_type, tn ? tn : "?",
        (double)in->n_params, (double)in->weight_bytes);
    return len < cap ? len : MW_ERR_BUFFER_TOO_SMALL;
}

/* ---- push loader ------------------------------------------------------------------------ */

/* memory_limit: refuse weights above this many bytes (0 = the 4 GiB address space). */
API int mwj_loader_create(double memory_limit, mw_loader **out)
{
    mw_model_params p = mw_model_params_default();
    p.memory_limit = memory_limit > 0 ? (uint64_t)memory_limit : 0;
    return mw_loader_create(&p, out);
}

API int mwj_loader_feed(mw_loader *l, const void *data, size_t size)
{
    return mw_loader_feed(l, data, size);
}

/* 1 once the header is parsed (then *file_size = total file bytes), else 0. */
API int mwj_loader_header_ready(const mw_loader *l, double *file_size)
{
    uint64_t fs = 0;
    int ready = mw_loader_header_ready(l, &fs);
    if (file_size)
        *file_size = (double)fs;
    return ready;
}

/* Length of the JSON written to buf, or a negative mw_status. */
API int mwj_loader_info_json(const mw_loader *l, char *buf, int cap)
{
    mw_model_info info;
    mw_status st = mw_loader_get_info(l, &info);
    return st ? st : info_json(&info, buf, cap);
}

/* Bytes a session of n_ctx tokens with a kv_type (MW_KV_F32 / MW_KV_F16) cache would allocate
 * (the model's sliding window), or -1 when the info could not be read (st != 0) or kv_type is
 * unknown. */
static double session_bytes(mw_status st, const mw_model_info *info, int n_ctx, int kv_type)
{
    const uint64_t need = st ? 0 : mw_session_memory_needed_kv(info, n_ctx, 0, kv_type);
    return need ? (double)need : -1;
}

API double mwj_loader_session_bytes(const mw_loader *l, int n_ctx, int kv_type)
{
    mw_model_info info;
    return session_bytes(mw_loader_get_info(l, &info), &info, n_ctx, kv_type);
}

API int mwj_loader_finish(mw_loader *l, mw_model **out) { return mw_loader_finish(l, out); }
API void mwj_loader_free(mw_loader *l) { mw_loader_free(l); }

/* ---- model ------------------------------------------------------------------------------ */

API int mwj_model_info_json(const mw_model *m, char *buf, int cap)
{
    mw_model_info info;
    mw_status st = mw_model_get_info(m, &info);
    return st ? st : info_json(&info, buf, cap);
}

API double mwj_model_session_bytes(const mw_model *m, int n_ctx, int kv_type)
{
    mw_model_info info;
    return session_bytes(mw_model_get_info(m, &info), &info, n_ctx, kv_type);
}

API int mwj_model_tensor_count(const mw_model *m) { return mw_model_tensor_count(m); }

/* One tensor as {"name":..,"type":..,"type_name":..,"ne":[..4],"bytes":..}; length or status. */
API int mwj_model_tensor_json(const mw_model *m, int index, char *buf, int cap)
{
    const char *name;
    int32_t type;
    int64_t ne[4];
    uint64_t bytes;
    mw_status st = mw_model_tensor_info(m, index, &name, &type, ne, &bytes);
    if (st)
        return st;
    int len = snprintf(buf, (size_t)cap, "{\"name\":");
    len = json_str(buf, len, cap, name ? name : "");
    const char *tn = mw_type_name(type);
    len += snprintf(buf + (len < cap ? len : cap), len < cap ? (size_t)(cap - len) : 0,
                    ",\"type\":%d,\"type_name\":\"%s\",\"ne\":[%.17g,%.17g,%.17g,%.17g],\"bytes\":%.17g}",
                    type, tn ? tn : "?", (double)ne[0], (double)ne[1], (double)ne[2], (double)ne[3],
                    (double)bytes);
    return len < cap ? len : MW_ERR_BUFFER_TOO_SMALL;
}

API void mwj_model_free(mw_model *m) { mw_model_free(m); }

/* ---- tokenizer and chat ----------------------------------------------------------------- */

API int mwj_tokenize(const mw_model *m, const char *text, size_t len, int flags, int32_t *out,
                     int cap, int32_t *n_out)
{
    return mw_tokenize(m, text, len, flags, out, cap, n_out);
}

API int mwj_detokenize(const mw_model *m, const int32_t *ids, int n, char *out, size_t cap,
                       size_t *n_out)
{
    return mw_detokenize(m, ids, n, out, cap, n_out);
}

API const char *mwj_token_text(const mw_model *m, int id) { return mw_token_text(m, id); }
API int mwj_token_bos(const mw_model *m) { return mw_token_bos(m); }
API int mwj_token_eos(const mw_model *m) { return mw_token_eos(m); }
API int mwj_token_is_eog(const mw_model *m, int id) { return mw_token_is_eog(m, id); }
API int mwj_chat_format_detect(const mw_model *m) { return mw_chat_format_detect(m); }

/* Messages packed by JS as "role\0content\0role\0content\0..." (n_messages pairs), which
 * spares JS from building a C struct array. */
API int mwj_chat_tokenize(const mw_model *m, int format, const char *packed, int n_messages,
                          int32_t *out, int cap, int32_t *n_out)
{
    if (n_messages < 0 || (n_messages && !packed))
        return MW_ERR_INVALID_ARG;
    mw_chat_message *msgs = malloc(sizeof *msgs * (size_t)(n_messages > 0 ? n_messages : 1));
    if (!msgs)
        return MW_ERR_NO_MEMORY;
    const char *p = packed;
    for (int i = 0; i < n_messages; i++) {
        msgs[i].role = p;
        p += strlen(p) + 1;
        msgs[i].content = p;
        p += strlen(p) + 1;
    }
    int st = mw_chat_tokenize(m, (mw_chat_format)format, msgs, n_messages, out, cap, n_out);
    free(msgs);
    return st;
}

/* ---- streaming detokenizer -------------------------------------------------------------- */

API int mwj_detok_create(const mw_model *m, mw_detok **out) { return mw_detok_create(m, out); }
API int mwj_detok_push(mw_detok *d, int id, char *out, size_t cap, size_t *n_out)
{
    return mw_detok_push(d, id, out, cap, n_out);
}
API int mwj_detok_flush(mw_detok *d, char *out, size_t cap, size_t *n_out)
{
    return mw_detok_flush(d, out, cap, n_out);
}
API void mwj_detok_reset(mw_detok *d) { mw_detok_reset(d); }
API void mwj_detok_free(mw_detok *d) { mw_detok_free(d); }

/* ---- sessions --------------------------------------------------------------------------- */

/* Asks the JS side whether the current request was aborted. Module.mwAbortPoll is installed by
 * web/core.mjs on the thread that drives the session; pool threads have none and say no. */
EM_JS(int, js_abort_poll, (void), {
    return (typeof Module !== 'undefined' && Module['mwAbortPoll'] && Module['mwAbortPoll']()) ? 1 : 0;
});

static int32_t abort_hook(void *user)
{
    (void)user;
    return js_abort_poll();
}

/* kv_type: MW_KV_F32 (0) or MW_KV_F16 (1) */
API int mwj_session_create(const mw_model *m, int n_ctx, int n_threads, int sliding_window,
                           int n_batch, int kv_type, mw_session **out)
{
    mw_session_params p = mw_session_params_default();
    p.n_ctx = n_ctx;
    p.kv_type = kv_type;
    p.n_threads = n_threads;
    p.sliding_window = sliding_window;
    p.n_batch = n_batch;
    p.abort_fn = abort_hook;
    p.abort_user = NULL;
    return mw_session_create(m, &p, out);
}

/* logits_all may be 0 (only the last row is kept, read it with mwj_session_logits). */
API int mwj_session_eval(mw_session *s, const int32_t *tokens, int n, float *logits_all)
{
    return mw_session_eval(s, tokens, n, logits_all);
}

/* Evaluates like mwj_session_eval but returns the final normed hidden state, [n][n_embd]. */
API int mwj_session_eval_embd(mw_session *s, const int32_t *tokens, int n, float *embd_all)
{
    return mw_session_eval_embd(s, tokens, n, embd_all);
}

API const float *mwj_session_logits(const mw_session *s) { return mw_session_logits(s); }
API int mwj_session_n_past(const mw_session *s) { return mw_session_n_past(s); }
API double mwj_session_kv_bytes(const mw_session *s) { return (double)mw_session_kv_bytes(s); }
API const int32_t *mwj_session_tokens(const mw_session *s) { return mw_session_tokens(s); }
API int mwj_session_truncate(mw_session *s, int n_keep) { return mw_session_truncate(s, n_keep); }
API void mwj_session_reset(mw_session *s) { mw_session_reset(s); }
API void mwj_session_free(mw_session *s) { mw_session_free(s); }

/* ---- sampling --------------------------------------------------------------------------- */

API int mwj_sampler_create(float temperature, int top_k, float top_p, float min_p,
                           float repeat_penalty, float frequency_penalty, float presence_penalty,
                           int penalty_last_n, double seed, int n_vocab, mw_sampler **out)
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
    p.seed = seed > 0 ? (uint64_t)seed : 0;
    return mw_sampler_create(&p, n_vocab, out);
}

/* Samples from the session's last logits row. */
API int mwj_sampler_sample(mw_sampler *smp, const mw_session *s)
{
    return mw_sampler_sample(smp, mw_session_logits(s));
}
API void mwj_sampler_accept(mw_sampler *smp, int id) { mw_sampler_accept(smp, id); }
API void mwj_sampler_reset(mw_sampler *smp) { mw_sampler_reset(smp); }
API void mwj_sampler_free(mw_sampler *smp) { mw_sampler_free(smp); }
