/*
 * forward.h — one chunk of tokens through the whole model (forward.c): embeddings, every
 * layer's attention and FFN blocks, the final norm and the logits.
 */
#ifndef MW_FORWARD_H
#define MW_FORWARD_H

#include "session.h"

/* Evaluate a chunk of n <= n_batch tokens at positions n_past... .
 * logits_rows / embd_rows: NULL or [n][n_vocab] / [n][n_embd]; the last row's logits always
 * land in s->logits. Does not advance n_past. */
mw_status mw_forward_chunk(mw_session *s, const int32_t *tokens, int32_t n, float *logits_rows,
                           float *embd_rows);

#endif
