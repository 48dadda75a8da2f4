/*
 * boundary.h — the few adapters the browser modules export next to the mw_* API of mw.h.
 *
 * JS calls mw.h directly wherever a function's arguments and result are wasm scalars
 * (int32, float, pointers, size_t). These adapters exist only where that is not so:
 *   - JSON info: mw_model_info and the tensor table are C structs (one call, not twenty getters);
 *   - packed chat messages: "role\0content\0tool_calls\0tool_call_id\0..." instead of an
 *     mw_chat_message array;
 *   - the abort hook: a C callback that asks the JS host (mwb_session_create installs it);
 *   - 64-bit values: uint64_t parameters and results travel as doubles (exact below 2^53);
 *   - memory for JS: mwb_alloc / mwb_free go through the core's allocation hook.
 * tools/gen_boundary.mjs reads this header and mw.h and writes web/exports.txt (what both
 * modules export) and web/boundary.generated.mjs (constants and call signatures for JS).
 */
#ifndef MW_BOUNDARY_H
#define MW_BOUNDARY_H

#include "mw.h"

/* Exported under its own name by both builds: Emscripten keeps it alive; a freestanding clang
 * module (wasm64) names the export. */
#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#define MW_EXPORT EMSCRIPTEN_KEEPALIVE
#elif defined(__wasm__)
#define MW_EXPORT __attribute__((visibility("default"), used))
#else
#define MW_EXPORT
#endif

/* ---- memory for JS: buffers handed to mw_* calls ---- */
void *mwb_alloc(size_t size);
void mwb_free(void *ptr);

/* ---- JSON info: length written to buf (NUL-terminated), or a negative mw_status
 *      (MW_ERR_BUFFER_TOO_SMALL: call again with a larger cap) ---- */
/* mw_model_info as JSON, plus "weight_type_name" and "n_ctx_default" (mw_session_n_ctx_default). */
int32_t mwb_model_info_json(const mw_model *model, char *buf, int32_t cap);
/* The same from a loader whose header is ready. */
int32_t mwb_loader_info_json(const mw_loader *loader, char *buf, int32_t cap);
/* Streamed experts' counters (mw_model_expert_stats): {"hits","misses","bytes_read",
 * "cache_bytes","budget_bytes","predicted","predicted_used","hinted"}; JSON, so the struct can
 * grow without JS mirroring its layout. */
int32_t mwb_expert_stats_json(const mw_model *model, char *buf, int32_t cap);
/* One tensor: {"name","type","type_name","ne":[4],"bytes"}. */
int32_t mwb_tensor_info_json(const mw_model *model, int32_t index, char *buf, int32_t cap);
/* The engine's defaults: {"sampler":{mw_sampler_params_default()},"session":{...}}, so JS never
 * writes a default of its own. */
int32_t mwb_defaults_json(char *buf, int32_t cap);

/* ---- packed chat messages: n_messages of "role\0content\0tool_calls\0tool_call_id\0" ("" =
 *      none); tools: the JSON array of mw_chat_tokenize_tools, or NULL / "" ---- */
mw_status mwb_chat_tokenize(const mw_model *model, int32_t format, const char *packed,
                            int32_t n_messages, const char *tools, int32_t *out, int32_t cap,
                            int32_t *n_out);

/* ---- sessions with the abort hook: the session polls the host's mwb_abort_poll import
 *      (Emscripten: Module.mwAbortPoll) between layers and tokens ---- */
mw_status mwb_session_create(const mw_model *model, int32_t n_ctx, int32_t n_threads,
                             int32_t sliding_window, int32_t n_batch, int32_t kv_type,
                             mw_session **out);

/* ---- 64-bit values as doubles ---- */
/* memory_limit: mw_model_params.memory_limit, the engine's budget (0 = the address space). */
mw_status mwb_loader_create(double memory_limit, mw_loader **out);
/* mw_loader_set_size: the source's total size (a Content-Length, a File's size), announced
 * before the header so a header needing more is refused before any tensor data is allocated. */
mw_status mwb_loader_set_size(mw_loader *loader, double total_size);
/* Total file size once the header is parsed, else -1. */
double mwb_loader_file_size(const mw_loader *loader);
/* mw_loader_set_session: the session JS will create (arguments as for mwb_session_create), so
 * the core's budget check as the header parses counts it. */
mw_status mwb_loader_set_session(mw_loader *loader, int32_t n_ctx, int32_t n_threads,
                                 int32_t n_batch, int32_t kv_type);
/* mw_memory_check for the model whose header the loader has read and the session JS will
 * create (n_ctx 0 = the default shrunk to fit, mw_session_n_ctx_fit; n_threads, n_batch, kv_type
 * as for mwb_session_create), within memory_limit bytes (0 = the address space). sizes (may be
 * NULL) receives 6 doubles: the mw_memory_need fields in order (weight, session, reserve, total,
 * limit bytes), then the context counted (n_ctx, or the fitted one for 0). */
mw_status mwb_loader_memory_check(const mw_loader *loader, int32_t n_ctx, int32_t n_threads,
                                  int32_t n_batch, int32_t kv_type, double memory_limit,
                                  double *sizes);
double mwb_session_kv_bytes(const mw_session *session);
/* ---- a model read through the host: mw_model_open_source over the import
 *      mwb_source_read(handle, offset, dst, size) -> bytes written (< 0: error, 0: end)
 *      (Emscripten: Module.mwSourceRead; wasm64: "env"."mwb_source_read"), e.g. fs.readSync of
 *      a file in Node. handle names the host's file; size: its bytes. expert_cache_bytes:
 *      mw_model_params' (0 = experts resident; > 0 = streamed through the source, which the
 *      host keeps readable until mw_model_free). ---- */
mw_status mwb_model_open_source(double handle, double size, double memory_limit,
                                double expert_cache_bytes, mw_model **out);
/* A sampler: mw_sampler_params field by field, the 64-bit seed as a double. */
mw_status mwb_sampler_create(float temperature, int32_t top_k, float top_p, float min_p,
                             float repeat_penalty, float frequency_penalty,
                             float presence_penalty, int32_t penalty_last_n, double seed,
                             int32_t n_vocab, mw_sampler **out);

#endif
