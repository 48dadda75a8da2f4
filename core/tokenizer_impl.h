/*
 * tokenizer_impl.h — the vocabulary structure shared by the three tokenizer files:
 * tokenizer.c (building it from the GGUF, encoding), detokenize.c (pieces back to text,
 * streaming) and chat.c (instruct formats). Not part of any interface outside them.
 */
#ifndef MW_TOKENIZER_IMPL_H
#define MW_TOKENIZER_IMPL_H

#include "tokenizer.h"

/* tokenizer.ggml.token_type values (SentencePiece's piece types; 0 = undefined, read as normal) */
enum {
    MW_TOKEN_NORMAL = 1, MW_TOKEN_UNKNOWN = 2, MW_TOKEN_CONTROL = 3,
    MW_TOKEN_USER_DEFINED = 4, MW_TOKEN_UNUSED = 5, MW_TOKEN_BYTE = 6
};

struct mw_tokenizer {
    int32_t n_vocab;
    const char **text;        /* [n_vocab] vocabulary strings, NUL-terminated ("▁Once", "<0x0A>") */
    uint32_t *text_len;       /* [n_vocab] bytes */
    float *score;             /* [n_vocab] merge priority (higher merges first) */
    uint8_t *type;            /* [n_vocab] MW_TOKEN_* */
    uint8_t *eog;             /* [n_vocab] 1 = ends generation */
    const char **piece;       /* [n_vocab] detokenized bytes: "▁" -> " ", <0xNN> -> byte, controls "" */
    uint32_t *piece_len;      /* [n_vocab] */
    struct mw_vocab_slot { uint32_t hash; int32_t id; } *map;   /* open addressing: vocabulary
                                 string -> id (id -1 = empty); the hash avoids touching the text */
    uint32_t map_mask;
    int32_t byte_id[256];     /* id of "<0xNN>", or -1 */
    int32_t bos_id, eos_id, unk_id;   /* -1 when absent */
    int32_t add_bos, add_eos;         /* the GGUF's tokenizer.ggml.add_*_token (defaults 1, 0) */
    int32_t add_space_prefix;         /* tokenizer.ggml.add_space_prefix (default 1) */
    uint32_t max_len;                 /* longest vocabulary string, bytes */
    /* trie of the special texts (control, unknown, user-defined): node 0 is the root, its
     * children in trie_root, every other edge in the hash trie_edges (child 0 = empty slot) */
    uint32_t trie_root[256];
    struct mw_trie_edge { uint32_t parent, child; uint8_t byte; } *trie_edges;
    uint32_t trie_mask;
    int32_t (*trie_id)[2];    /* [node] lowest id whose text ends here: [0] user-defined only,
                                 [1] any special type; -1 = none */
    int32_t n_user_defined;
    int32_t n_unused;
    uint64_t *pairs;          /* hash set of character pairs adjacent inside some mergeable piece
                                 (key = (a << 21 | b) + 1, 0 = empty): text is cut where the pair
                                 at a boundary is absent, since no merge can ever cross it */
    uint32_t pair_mask;
    char *chat_template;      /* tokenizer.chat_template, or NULL */
    char *arena;              /* backing store of text[] and piece[] strings */
};

/* Id of the vocabulary string s[0..len), any token type; -1 if none. */
int32_t mw_tokenizer_find(const mw_tokenizer *t, const char *s, size_t len);

/* Where encoded ids go: written while n < cap, counted always. */
typedef struct mw_id_sink {
    int32_t *out;
    int32_t cap;
    int32_t n;
} mw_id_sink;

static inline void mw_id_sink_push(mw_id_sink *s, int32_t id)
{
    if (s->n < s->cap)
        s->out[s->n] = id;
    s->n++;
}

/* A piece of the input once special tokens are cut out: id >= 0 is that special token, id -1
 * the text bytes [off, off + len). */
typedef struct mw_fragment {
    int32_t id;
    size_t off, len;
} mw_fragment;

typedef struct mw_fragments {
    mw_fragment *v;           /* mw_free() it */
    size_t n, cap;
    uint64_t steps;           /* text bytes the split looked at (each position once, each
                                 trie step, each byte of a candidate checked): the work count
                                 test_tokenizer bounds, since tests never assert time */
} mw_fragments;

/* Step 1 of encoding: cut text at special tokens (user-defined always, control and unknown with
 * parse_special), in SentencePiece/llama.cpp order. */
mw_status mw_tokenizer_split(const mw_tokenizer *t, const char *text, size_t len,
                             int parse_special, mw_fragments *out);

/* Encode text (MW_TOKENIZE_* flags) and append the ids to sink. */
mw_status mw_tokenizer_encode(const mw_tokenizer *t, const char *text, size_t len, int32_t flags,
                              mw_id_sink *sink);

/* The tokenizer of a model, or NULL (with mw_last_error set) when model is NULL / has none. */
const mw_tokenizer *mw_model_tokenizer(const mw_model *model);

#endif
