/*
 * expert_cache.h — Mixtral experts streamed from the model's byte source into a bounded
 * least-recently-used cache (mw_model_params.expert_cache_bytes > 0).
 *
 * The model keeps its expert tensors bound without data (mw_tensor.data NULL, offset and
 * nbytes set, repacked marked as a resident copy would be); moe.c asks the cache for an
 * expert's three slices, which are read (mw_source.read_at), repacked exactly as resident
 * weights are (mw_model_repack_tensor) and kept while the budget allows. An entry holds one
 * expert of one layer: gate, up and down slices, each at a 16-byte aligned offset.
 */
#ifndef MW_EXPERT_CACHE_H
#define MW_EXPERT_CACHE_H

#include "model.h"

typedef struct mw_expert_cache mw_expert_cache;

/* Whether a tensor name is one of a layer's expert tensors: blk.N.ffn_{gate,up,down}_exps.weight
 * (merged, ne[2] = n_expert) or blk.N.ffn_{gate,up,down}.E.weight (older per-expert files). */
bool mw_expert_tensor_name(const char *name);

/* From the header: the bytes of all expert tensors, and of the largest single expert's three
 * slices (each rounded up to MW_TENSOR_ALIGN as the cache stores them). 0, 0 for dense models. */
void mw_expert_sizes(const mw_gguf *g, int32_t n_layer, uint64_t *total, uint64_t *max_one);

/* A cache of at most budget bytes over src (taken over: closed by mw_expert_cache_free, also
 * on failure). data_offset: the file offset of the tensor data section. slot_bytes: the
 * largest expert's three slices (mw_expert_sizes' max_one): every entry is allocated at this
 * size, so any evicted entry's memory holds the next miss. predict: expert_prefetch. */
mw_status mw_expert_cache_create(const mw_source *src, uint64_t data_offset, uint64_t budget,
                                 uint64_t slot_bytes, int32_t n_layer, int32_t n_expert,
                                 bool predict, mw_expert_cache **out);

/* Whether moe.c should pick the next layer's experts ahead (expert_prefetch). */
bool mw_expert_cache_predicts(const mw_expert_cache *c);

/* Expert e of layer il (l) picked ahead by that layer's router: counted once per layer visit
 * and, when not cached, its three slices named to the source (mw_source.will_read). */
void mw_expert_cache_predict(mw_expert_cache *c, const mw_layer *l, int32_t il, int32_t e);

/* Layer il has routed: used[e] != 0 for the experts it uses. Counts the picks made ahead for it
 * that it used, and clears them for its next visit. */
void mw_expert_cache_routed(mw_expert_cache *c, int32_t il, const uint8_t *used);

/* Expert e of layer l (index il): out[0..2] = its gate, up and down slices, their data in the
 * cache (read from the source on a miss). Valid until the next call. MW_ERR_IO (or
 * MW_ERR_TRUNCATED) when the source fails; MW_ERR_NO_MEMORY. Not thread-safe (mw.h). */
mw_status mw_expert_cache_get(mw_expert_cache *c, const mw_layer *l, int32_t il, int32_t e,
                              mw_tensor out[3]);

/* From now on mw_expert_cache_free calls close(the source's user) (create was given none, so a
 * model that fails to build leaves the source to its caller). */
void mw_expert_cache_set_close(mw_expert_cache *c, void (*close)(void *user));

void mw_expert_cache_stats(const mw_expert_cache *c, mw_expert_stats *stats);
void mw_expert_cache_free(mw_expert_cache *c);

#endif
