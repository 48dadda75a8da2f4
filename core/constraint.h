/*
 * constraint.h — what the sampler needs from a constrained-decoding state (constraint.c):
 * the mask of tokens allowed next.
 */
#ifndef MW_CONSTRAINT_H
#define MW_CONSTRAINT_H

#include "base.h"

/* *mask receives [n_vocab] bytes, 1 = the token may come next (valid until the next accept).
 * MW_ERR_STATE when no token can (the document is finished and the model has no EOS, or the
 * vocabulary lacks a byte the document needs). */
mw_status mw_constraint_mask(mw_constraint *c, const uint8_t **mask);
int32_t mw_constraint_n_vocab(const mw_constraint *c);

#endif
