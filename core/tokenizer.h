/*
 * tokenizer.h — internal interface of the SentencePiece-BPE tokenizer built from a GGUF
 * vocabulary (tokenizer.ggml.*). The public calls (mw_tokenize, mw_detokenize, mw_detok_*,
 * mw_chat_*) take the model and reach its tokenizer through model->tokenizer.
 */
#ifndef MW_TOKENIZER_H
#define MW_TOKENIZER_H

#include "base.h"
#include "gguf.h"

typedef struct mw_tokenizer mw_tokenizer;

/* Build from the GGUF's tokenizer.ggml.* keys. MW_ERR_UNSUPPORTED if the file has no
 * vocabulary or a tokenizer model other than "llama" (SentencePiece). */
mw_status mw_tokenizer_create(const mw_gguf *g, mw_tokenizer **out);
void mw_tokenizer_free(mw_tokenizer *t);

#endif
