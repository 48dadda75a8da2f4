/*
 * tokenizer.c — SentencePiece BPE from a GGUF vocabulary (tokenizer.ggml.*): building the
 * vocabulary (hash map, byte-fallback table, special-token trie, detokenized pieces) and
 * encoding text to ids. Detokenizing lives in detokenize.c, chat formats in chat.c.
 *
 * Encoding follows SentencePiece (the truth for ids) as llama.cpp's llm_tokenizer_spm does:
 *   1. split the text into fragments at special tokens: user-defined tokens always, control /
 *      unknown tokens only with MW_TOKENIZE_PARSE_SPECIAL; longest token text first, each one
 *      cut out of every remaining text fragment (llama.cpp's tokenizer_st_partition), computed
 *      in one scan of the text (see "special-token partition" below);
 *   2. each text fragment: " " -> "▁", plus a leading "▁" (add_dummy_prefix) when it starts the
 *      text or follows a special token; split into UTF-8 characters;
 *   3. repeatedly merge the adjacent pair whose concatenation is a vocabulary piece with the
 *      highest score (ties: leftmost), with a binary heap over a linked list of symbols —
 *      O(n log n), stale heap entries are skipped when popped. Speed: the characters are first
 *      cut into independent runs wherever two neighbours form a character pair that occurs in
 *      no mergeable piece (a merge there would create a piece containing that pair), so the
 *      heap stays small and in cache; the result is identical to one BPE over the whole text;
 *   4. each final symbol is its piece id; a symbol that is no piece (a character outside the
 *      vocabulary) becomes its bytes as <0xNN> tokens (byte fallback), else <unk>.
 * Only normal, user-defined and unused pieces take part in merges (SentencePiece keeps control,
 * unknown and byte pieces out of its piece map), so "</s>" or "[INST]" in plain text can never
 * merge into a control token. Unused pieces are split back into their two halves (SentencePiece's
 * resegmentation). Ill-formed UTF-8 is split byte by byte, so it round-trips through byte tokens.
 */
#include <stdlib.h>

#include "model.h"
#include "tokenizer_impl.h"
#include "utf8.h"

/* Longest input we accept: keeps every symbol index and id count inside int32. */
#define MAX_TEXT_BYTES ((size_t)128 << 20)

/* Sizes are checked (base.h mw_mul_size): with a 32-bit size_t (wasm32) the arrays of a large
 * text can pass 4 GiB, and a wrapped size would allocate a small array and write past it. */

/* v (cap elements of elem bytes) grown to about twice cap; NULL (v untouched) when out of memory
 * or past size_t. */
static void *grow_array(void *v, size_t *cap, size_t elem)
{
    uint64_t count;
    size_t bytes;
    if (!mw_mul_limit(*cap, 2, (uint64_t)SIZE_MAX - 16, &count) ||
        !mw_mul_size(count + 16, elem, &bytes))
        return NULL;
    void *grown = mw_realloc(v, bytes);
    if (grown)
        *cap = (size_t)count + 16;
    return grown;
}

/* ---- the vocabulary hash map ---------------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

int32_t mw_tokenizer_find(const mw_tokenizer *t, const char *s, size_t len)
{
    if (len > t->max_len)
        return -1;
    uint32_t h = hash_bytes(s, len);
    for (uint32_t i = h & t->map_mask;; i = (i + 1) & t->map_mask) {
        int32_t id = t->map[i].id;
        if (id < 0)
            return -1;
        if (t->map[i].hash == h && t->text_len[id] == len && memcmp(t->text[id], s, len) == 0)
            return id;
    }
}

static void map_insert(mw_tokenizer *t, int32_t id)
{
    uint32_t h = hash_bytes(t->text[id], t->text_len[id]);
    for (uint32_t i = h & t->map_mask;; i = (i + 1) & t->map_mask) {
        int32_t other = t->map[i].id;
        if (other < 0) {
            t->map[i].hash = h;
            t->map[i].id = id;
            return;
        }
        /* duplicate string: the first id keeps it (SentencePiece rejects duplicates) */
        if (t->text_len[other] == t->text_len[id] &&
            memcmp(t->text[other], t->text[id], t->text_len[id]) == 0)
            return;
    }
}

/* ---- character pairs inside pieces ---------------------------------------------------- */

/* a character: its code point, or 0x110000 + byte for a byte of ill-formed UTF-8 */
static uint32_t next_char(const char *s, size_t n, int *len)
{
    uint32_t cp;
    int k = mw_utf8_decode((const uint8_t *)s, n, &cp);
    if (k <= 0) {
        *len = 1;
        return 0x110000u + (uint8_t)s[0];
    }
    *len = k;
    return cp;
}

static uint64_t pair_key(uint32_t a, uint32_t b)
{
    return (((uint64_t)a << 21) | b) + 1;
}

static uint32_t pair_slot(uint64_t key, uint32_t mask)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int pair_has(const mw_tokenizer *t, uint32_t a, uint32_t b)
{
    uint64_t key = pair_key(a, b);
    for (uint32_t i = pair_slot(key, t->pair_mask);; i = (i + 1) & t->pair_mask) {
        if (t->pairs[i] == key)
            return 1;
        if (t->pairs[i] == 0)
            return 0;
    }
}

static void pair_add(mw_tokenizer *t, uint32_t a, uint32_t b)
{
    uint64_t key = pair_key(a, b);
    uint32_t i = pair_slot(key, t->pair_mask);
    while (t->pairs[i] != 0 && t->pairs[i] != key)
        i = (i + 1) & t->pair_mask;
    t->pairs[i] = key;
}

static int mergeable(int type)
{
    return type == MW_TOKEN_NORMAL || type == MW_TOKEN_USER_DEFINED || type == MW_TOKEN_UNUSED;
}

static mw_status build_pairs(mw_tokenizer *t)
{
    uint64_t n_pairs = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        if (mergeable(t->type[id]))
            n_pairs += t->text_len[id];   /* an upper bound: at most one pair per byte */
    uint64_t size = 16;
    while (size < 2 * n_pairs)
        size <<= 1;
    if (size > (1u << 30))
        return mw_fail(MW_ERR_TOO_LARGE, "tokenizer: vocabulary text too large");
    t->pairs = mw_calloc((size_t)size, sizeof *t->pairs);
    if (!t->pairs)
        return mw_fail(MW_ERR_NO_MEMORY, "tokenizer: out of memory");
    t->pair_mask = (uint32_t)size - 1;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (!mergeable(t->type[id]))
            continue;
        const char *s = t->text[id];
        size_t n = t->text_len[id];
        int k;
        uint32_t prev = n ? next_char(s, n, &k) : 0;
        for (size_t i = n ? (size_t)k : 0; i < n; i += (size_t)k) {
            uint32_t c = next_char(s + i, n - i, &k);
            pair_add(t, prev, c);
            prev = c;
        }
    }
    return MW_OK;
}

/* ---- the special-token trie ----------------------------------------------------------- */

/* Tokens cut out of the text before BPE: control and unknown ones with parse_special,
 * user-defined ones always. */
static int special_type(int type)
{
    return type == MW_TOKEN_CONTROL || type == MW_TOKEN_UNKNOWN || type == MW_TOKEN_USER_DEFINED;
}

static uint32_t trie_slot(uint32_t node, uint8_t byte, uint32_t mask)
{
    return (uint32_t)((((uint64_t)node << 8 | byte) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static uint32_t trie_child(const mw_tokenizer *t, uint32_t node, uint8_t byte)
{
    if (node == 0)
        return t->trie_root[byte];
    for (uint32_t i = trie_slot(node, byte, t->trie_mask);; i = (i + 1) & t->trie_mask) {
        const struct mw_trie_edge *e = &t->trie_edges[i];
        if (e->child == 0)
            return 0;
        if (e->parent == node && e->byte == byte)
            return e->child;
    }
}

static mw_status build_special_trie(mw_tokenizer *t)
{
    uint64_t n_bytes = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        if (special_type(t->type[id]))
            n_bytes += t->text_len[id];
    if (n_bytes >= (1u << 29))
        return mw_fail(MW_ERR_TOO_LARGE, "tokenizer: %llu bytes of special token text",
                       (unsigned long long)n_bytes);
    uint32_t size = 16;
    while (size < 2 * n_bytes)
        size <<= 1;
    t->trie_edges = mw_calloc(size, sizeof *t->trie_edges);
    size_t id_bytes;
    if (mw_mul_size((uint64_t)n_bytes + 1, sizeof *t->trie_id, &id_bytes))
        t->trie_id = mw_alloc(id_bytes);
    if (!t->trie_edges || !t->trie_id)
        return mw_fail(MW_ERR_NO_MEMORY, "tokenizer: out of memory");
    t->trie_mask = size - 1;
    t->trie_id[0][0] = t->trie_id[0][1] = -1;
    uint32_t n_nodes = 1;
    /* ascending ids: of two specials with the same text, the lower id keeps it, as it is cut
     * out first (and a user-defined one stays reachable without parse_special) */
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (!special_type(t->type[id]) || t->text_len[id] == 0)
            continue;
        uint32_t node = 0;
        for (uint32_t k = 0; k < t->text_len[id]; k++) {
            uint8_t byte = (uint8_t)t->text[id][k];
            uint32_t child = trie_child(t, node, byte);
            if (child == 0) {
                child = n_nodes++;
                t->trie_id[child][0] = t->trie_id[child][1] = -1;
                if (node == 0) {
                    t->trie_root[byte] = child;
                } else {
                    uint32_t i = trie_slot(node, byte, t->trie_mask);
                    while (t->trie_edges[i].child != 0)
                        i = (i + 1) & t->trie_mask;
                    struct mw_trie_edge e = { node, child, byte };
                    t->trie_edges[i] = e;
                }
            }
            node = child;
        }
        if (t->trie_id[node][1] < 0)
            t->trie_id[node][1] = id;
        if (t->type[id] == MW_TOKEN_USER_DEFINED && t->trie_id[node][0] < 0)
            t->trie_id[node][0] = id;
    }
    return MW_OK;
}

/* ---- building ------------------------------------------------------------------------- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* "<0xNN>" -> NN, else -1 */
static int parse_byte_token(const char *s, uint32_t len)
{
    if (len != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
        return -1;
    int hi = hex_digit(s[3]), lo = hex_digit(s[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* What a token renders as (llama.cpp's token_to_piece with special = false): normal pieces with
 * "▁" as a space, user-defined pieces verbatim, byte pieces as the raw byte, everything else
 * (control, unknown, unused) as nothing. Writes into dst (at most len bytes), returns the length. */
static uint32_t render_piece(const char *s, uint32_t len, int type, char *dst)
{
    switch (type) {
    case MW_TOKEN_USER_DEFINED:
        memcpy(dst, s, len);
        return len;
    case MW_TOKEN_BYTE: {
        int b = parse_byte_token(s, len);
        if (b >= 0) {
            dst[0] = (char)b;
            return 1;
        }
        break;   /* a "byte" token that is no <0xNN>: show it as text */
    }
    case MW_TOKEN_CONTROL: case MW_TOKEN_UNKNOWN: case MW_TOKEN_UNUSED:
        return 0;
    default:
        break;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (i + 2 < len && (uint8_t)s[i] == 0xE2 && (uint8_t)s[i + 1] == 0x96 &&
            (uint8_t)s[i + 2] == 0x81) {
            dst[n++] = ' ';
            i += 2;
        } else {
            dst[n++] = s[i];
        }
    }
    return n;
}

static int is_eog_text(const char *s)
{
    static const char *const names[] = { "</s>", "<|eot_id|>", "<|eom_id|>", "<|im_end|>",
                                         "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return 1;
    return 0;
}

/* An optional integer key: absent -> def; present with a wrong type -> error (negative). */
static int get_int_or(const mw_gguf *g, const char *key, int64_t def, int64_t *out)
{
    int r = mw_gguf_get_int(g, key, out);
    if (r == 0)
        *out = def;
    return r < 0 ? r : 1;
}

static int32_t id_or_none(int64_t v, int32_t n_vocab)
{
    return v >= 0 && v < n_vocab ? (int32_t)v : -1;
}

static mw_status read_arrays(const mw_gguf *g, uint64_t *n_vocab, const mw_gguf_str **tokens,
                             const float **scores, const void **types, uint32_t *types_type)
{
    const char *model = NULL;
    int r = mw_gguf_get_str(g, "tokenizer.ggml.model", &model);
    if (r < 0)
        return (mw_status)r;
    if (r == 0)
        return mw_fail(MW_ERR_UNSUPPORTED, "no vocabulary: tokenizer.ggml.model is missing");
    if (strcmp(model, "llama") != 0)
        return mw_fail(MW_ERR_UNSUPPORTED,
                       "tokenizer.ggml.model \"%s\" is not supported (only \"llama\", SentencePiece)",
                       model);

    uint32_t at;
    uint64_t n;
    const void *data;
    r = mw_gguf_get_arr(g, "tokenizer.ggml.tokens", &at, &n, &data);
    if (r < 0)
        return (mw_status)r;
    if (r == 0)
        return mw_fail(MW_ERR_UNSUPPORTED, "no vocabulary: tokenizer.ggml.tokens is missing");
    if (at != MW_GGUF_STRING)
        return mw_fail(MW_ERR_BAD_FORMAT, "tokenizer.ggml.tokens: array of type %u, expected strings",
                       at);
    if (n == 0 || n > (1u << 24))
        return mw_fail(MW_ERR_BAD_FORMAT, "tokenizer.ggml.tokens: %llu tokens",
                       (unsigned long long)n);
    *n_vocab = n;
    *tokens = data;

    *scores = NULL;
    r = mw_gguf_get_arr(g, "tokenizer.ggml.scores", &at, &n, &data);
    if (r < 0)
        return (mw_status)r;
    if (r == 1) {
        if (at != MW_GGUF_FLOAT32 || n != *n_vocab)
            return mw_fail(MW_ERR_BAD_FORMAT,
                           "tokenizer.ggml.scores: %llu values of type %u, expected %llu float32",
                           (unsigned long long)n, at, (unsigned long long)*n_vocab);
        *scores = data;
    }

    *types = NULL;
    r = mw_gguf_get_arr(g, "tokenizer.ggml.token_type", &at, &n, &data);
    if (r < 0)
        return (mw_status)r;
    if (r == 1) {
        if ((at != MW_GGUF_INT32 && at != MW_GGUF_UINT32) || n != *n_vocab)
            return mw_fail(MW_ERR_BAD_FORMAT,
                           "tokenizer.ggml.token_type: %llu values of type %u, expected %llu int32",
                           (unsigned long long)n, at, (unsigned long long)*n_vocab);
        *types = data;
        *types_type = at;
    }
    return MW_OK;
}

mw_status mw_tokenizer_create(const mw_gguf *g, mw_tokenizer **out)
{
    if (!g || !out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_tokenizer_create: NULL argument");
    *out = NULL;

    uint64_t n64 = 0;
    const mw_gguf_str *tokens = NULL;
    const float *scores = NULL;
    const void *types = NULL;
    uint32_t types_type = MW_GGUF_INT32;
    mw_status st = read_arrays(g, &n64, &tokens, &scores, &types, &types_type);
    if (st != MW_OK)
        return st;
    int32_t n = (int32_t)n64;

    int64_t bos, eos, unk, add_bos, add_eos, add_space, eot, eom;
    int r;
    if ((r = get_int_or(g, "tokenizer.ggml.bos_token_id", 1, &bos)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.eos_token_id", 2, &eos)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.unknown_token_id", 0, &unk)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.add_bos_token", 1, &add_bos)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.add_eos_token", 0, &add_eos)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.add_space_prefix", 1, &add_space)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.eot_token_id", -1, &eot)) < 0 ||
        (r = get_int_or(g, "tokenizer.ggml.eom_token_id", -1, &eom)) < 0)
        return (mw_status)r;
    const char *tmpl = NULL;
    if ((r = mw_gguf_get_str(g, "tokenizer.chat_template", &tmpl)) < 0)
        return (mw_status)r;

    uint64_t text_bytes = 0;
    for (int32_t i = 0; i < n; i++) {
        if (tokens[i].len > (1u << 20))
            return mw_fail(MW_ERR_BAD_FORMAT, "tokenizer.ggml.tokens[%d]: %llu bytes long", (int)i,
                           (unsigned long long)tokens[i].len);
        text_bytes += tokens[i].len + 1;
    }
    if (text_bytes > SIZE_MAX / 2)
        return mw_fail(MW_ERR_TOO_LARGE, "tokenizer: %llu bytes of token text",
                       (unsigned long long)text_bytes);

    uint32_t map_size = 1;
    while (map_size < 4u * (uint32_t)n)   /* load <= 1/4: short probe runs */
        map_size <<= 1;

    mw_tokenizer *t = mw_calloc(1, sizeof *t);
    if (!t)
        return mw_fail(MW_ERR_NO_MEMORY, "tokenizer: out of memory");
    t->n_vocab = n;
    t->text = mw_calloc((size_t)n, sizeof *t->text);
    t->text_len = mw_calloc((size_t)n, sizeof *t->text_len);
    t->score = mw_calloc((size_t)n, sizeof *t->score);
    t->type = mw_calloc((size_t)n, 1);
    t->eog = mw_calloc((size_t)n, 1);
    t->piece = mw_calloc((size_t)n, sizeof *t->piece);
    t->piece_len = mw_calloc((size_t)n, sizeof *t->piece_len);
    t->map = mw_alloc((size_t)map_size * sizeof *t->map);
    t->arena = mw_alloc((size_t)(2 * text_bytes));   /* a rendered piece is never longer than its text */
    if (tmpl)
        t->chat_template = mw_strdup(tmpl);
    if (!t->text || !t->text_len || !t->score || !t->type || !t->eog || !t->piece ||
        !t->piece_len || !t->map || !t->arena || (tmpl && !t->chat_template)) {
        mw_tokenizer_free(t);
        return mw_fail(MW_ERR_NO_MEMORY, "tokenizer: out of memory for %d tokens", (int)n);
    }
    t->map_mask = map_size - 1;
    for (uint32_t i = 0; i < map_size; i++)
        t->map[i].id = -1;
    for (int b = 0; b < 256; b++)
        t->byte_id[b] = -1;

    char *p = t->arena;
    for (int32_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)tokens[i].len;
        int type = MW_TOKEN_NORMAL;
        if (types) {
            int64_t v = types_type == MW_GGUF_INT32 ? (int64_t)((const int32_t *)types)[i]
                                                    : (int64_t)((const uint32_t *)types)[i];
            type = v >= MW_TOKEN_NORMAL && v <= MW_TOKEN_BYTE ? (int)v : MW_TOKEN_NORMAL;
        }
        memcpy(p, tokens[i].ptr, len);
        p[len] = 0;
        t->text[i] = p;
        t->text_len[i] = len;
        p += len + 1;
        t->type[i] = (uint8_t)type;
        t->score[i] = scores ? scores[i] : 0.0f;
        t->piece_len[i] = render_piece(t->text[i], len, type, p);
        p[t->piece_len[i]] = 0;
        t->piece[i] = p;
        p += t->piece_len[i] + 1;
        if (len > t->max_len)
            t->max_len = len;
        t->n_unused += type == MW_TOKEN_UNUSED;
        map_insert(t, i);
        if (special_type(type)) {
            if (type == MW_TOKEN_USER_DEFINED)
                t->n_user_defined++;
            if (is_eog_text(t->text[i]))
                t->eog[i] = 1;
        }
    }
    /* byte fallback looks the <0xNN> strings up, as llama.cpp's byte_to_token does */
    for (int b = 0; b < 256; b++) {
        static const char hex[] = "0123456789ABCDEF";
        char s[6] = { '<', '0', 'x', hex[b >> 4], hex[b & 15], '>' };
        t->byte_id[b] = mw_tokenizer_find(t, s, 6);
    }

    t->bos_id = id_or_none(bos, n);
    t->eos_id = id_or_none(eos, n);
    t->unk_id = id_or_none(unk, n);
    t->add_bos = add_bos != 0;
    t->add_eos = add_eos != 0;
    t->add_space_prefix = add_space != 0;
    st = build_pairs(t);
    if (st == MW_OK)
        st = build_special_trie(t);
    if (st != MW_OK) {
        mw_tokenizer_free(t);
        return st;
    }
    if (t->eos_id >= 0)
        t->eog[t->eos_id] = 1;
    if (id_or_none(eot, n) >= 0)
        t->eog[eot] = 1;
    if (id_or_none(eom, n) >= 0)
        t->eog[eom] = 1;
    *out = t;
    return MW_OK;
}

void mw_tokenizer_free(mw_tokenizer *t)
{
    if (!t)
        return;
    mw_free(t->text);
    mw_free(t->text_len);
    mw_free(t->score);
    mw_free(t->type);
    mw_free(t->eog);
    mw_free(t->piece);
    mw_free(t->piece_len);
    mw_free(t->map);
    mw_free(t->trie_edges);
    mw_free(t->trie_id);
    mw_free(t->arena);
    mw_free(t->chat_template);
    mw_free(t->pairs);
    mw_free(t);
}

/* ---- BPE over one text fragment ------------------------------------------------------- */

typedef struct symbol {
    int32_t prev, next;    /* neighbours in the linked list, -1 at the ends */
    uint32_t start, n;     /* bytes in the escaped text; n == 0 once merged into its left neighbour */
} symbol;

typedef struct bigram {
    float score;           /* score of the merged piece */
    int32_t left, right;   /* symbol indices */
    uint32_t size;         /* bytes of the merged piece: detects stale entries */
} bigram;

/* Merge tree, kept only when the vocabulary has unused pieces (they are split back). */
typedef struct node {
    int32_t a, b;          /* children, -1 for a character */
    uint32_t start, n;
} node;

typedef struct spm_work {
    const mw_tokenizer *t;
    char *text;            /* escaped fragment */
    symbol *sym;
    int32_t *sym_node;     /* [n_sym] current merge-tree node of each symbol, or NULL */
    node *nodes;
    int32_t n_nodes;
    bigram *heap;
    size_t n_heap, cap_heap;
    int failed;            /* out of memory while growing the heap */
} spm_work;

/* true when a should be popped before b: higher score, then leftmost */
static int before(const bigram *a, const bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(spm_work *w, bigram g)
{
    if (w->n_heap == w->cap_heap) {
        bigram *h = grow_array(w->heap, &w->cap_heap, sizeof *h);
        if (!h) {
            w->failed = 1;
            return;
        }
        w->heap = h;
    }
    size_t i = w->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&g, &w->heap[parent]))
            break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = g;
}

static bigram heap_pop(spm_work *w)
{
    bigram top = w->heap[0];
    bigram last = w->heap[--w->n_heap];
    size_t i = 0, n = w->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&w->heap[c + 1], &w->heap[c]))
            c++;
        if (!before(&w->heap[c], &last))
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n > 0)
        w->heap[i] = last;
    return top;
}

static void try_add_bigram(spm_work *w, int32_t left, int32_t right)
{
    if (left < 0 || right < 0)
        return;
    const symbol *l = &w->sym[left], *r = &w->sym[right];
    uint32_t size = l->n + r->n;
    int32_t id = mw_tokenizer_find(w->t, w->text + l->start, size);
    if (id < 0 || !mergeable(w->t->type[id]))
        return;
    bigram g = { w->t->score[id], left, right, size };
    heap_push(w, g);
}

static void emit_bytes(const mw_tokenizer *t, const char *s, uint32_t n, mw_id_sink *sink)
{
    for (uint32_t i = 0; i < n; i++) {
        int32_t id = t->byte_id[(uint8_t)s[i]];
        if (id < 0) {
            /* no byte pieces in this vocabulary: the whole character is unknown */
            if (t->unk_id >= 0)
                mw_id_sink_push(sink, t->unk_id);
            return;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        mw_id_sink_push(sink, t->byte_id[(uint8_t)s[i]]);
}

/* Output the ids of one final symbol (or merge-tree node). */
static void resegment(spm_work *w, uint32_t start, uint32_t n, int32_t nd, mw_id_sink *sink)
{
    const mw_tokenizer *t = w->t;
    for (;;) {
        int32_t id = mw_tokenizer_find(t, w->text + start, n);
        if (id >= 0 && mergeable(t->type[id])) {
            if (t->type[id] != MW_TOKEN_UNUSED || nd < 0 || w->nodes[nd].a < 0) {
                mw_id_sink_push(sink, id);
                return;
            }
            /* an unused piece: output its two halves instead (left recursively, right by loop;
             * depth is bounded by the characters of one vocabulary piece) */
            const node *x = &w->nodes[nd];
            resegment(w, w->nodes[x->a].start, w->nodes[x->a].n, x->a, sink);
            nd = x->b;
            start = w->nodes[nd].start;
            n = w->nodes[nd].n;
            continue;
        }
        emit_bytes(t, w->text + start, n, sink);
        return;
    }
}

/* BPE-encode text[0..len) (raw bytes; " " escaped here), "▁" first when prefix. */
static mw_status spm_fragment(const mw_tokenizer *t, const char *src, size_t len, int prefix,
                              mw_id_sink *sink)
{
    size_t n_space = 0;
    for (size_t i = 0; i < len; i++)
        n_space += src[i] == ' ';
    size_t blen = (prefix ? 3 : 0) + len + 2 * n_space;
    if (blen == 0)
        return MW_OK;

    spm_work w = { 0 };
    w.t = t;
    int track = t->n_unused > 0;   /* merge tree only when some piece is unused */
    size_t sym_bytes, sym_node_bytes = 0, node_bytes = 0;
    if (!mw_mul_size(blen, sizeof *w.sym, &sym_bytes) ||
        (track && (!mw_mul_size(blen, sizeof *w.sym_node, &sym_node_bytes) ||
                   !mw_mul_size(blen, 2 * sizeof *w.nodes, &node_bytes))))
        return mw_fail(MW_ERR_TOO_LARGE,
                       "tokenize: %zu bytes of text with %zu spaces need symbol arrays larger than "
                       "the address space; split the text", len, n_space);
    w.sym = mw_alloc(sym_bytes);   /* the largest first: a refusal costs nothing else */
    w.text = mw_alloc(blen);
    if (track) {
        w.sym_node = mw_alloc(sym_node_bytes);
        w.nodes = mw_alloc(node_bytes);
    }
    w.cap_heap = 256;   /* grows as needed; runs are usually words */
    w.heap = mw_alloc(w.cap_heap * sizeof *w.heap);
    mw_status st = MW_OK;
    if (!w.text || !w.sym || !w.heap || (track && (!w.sym_node || !w.nodes))) {
        st = mw_fail(MW_ERR_NO_MEMORY, "tokenize: out of memory for %zu bytes", blen);
        goto done;
    }

    size_t k = 0;
    if (prefix) {
        memcpy(w.text, "\xE2\x96\x81", 3);
        k = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (src[i] == ' ') {
            memcpy(w.text + k, "\xE2\x96\x81", 3);
            k += 3;
        } else {
            w.text[k++] = src[i];
        }
    }

    /* one symbol per UTF-8 character (a byte of ill-formed input is a symbol of its own); the
     * list is cut where no merge can cross (see the top of the file) */
    int32_t n_sym = 0;
    uint32_t prev_c = 0;
    for (size_t i = 0; i < blen;) {
        int c;
        uint32_t ch = next_char(w.text + i, blen - i, &c);
        symbol *s = &w.sym[n_sym];
        s->prev = n_sym - 1;
        s->next = n_sym + 1;
        s->start = (uint32_t)i;
        s->n = (uint32_t)c;
        if (n_sym > 0 && !pair_has(t, prev_c, ch)) {
            s->prev = -1;
            w.sym[n_sym - 1].next = -1;
        }
        if (track) {
            node x = { -1, -1, s->start, s->n };
            w.nodes[w.n_nodes] = x;
            w.sym_node[n_sym] = w.n_nodes++;
        }
        prev_c = ch;
        n_sym++;
        i += (size_t)c;
    }
    w.sym[n_sym - 1].next = -1;

    /* BPE on each independent run [a, b) */
    for (int32_t a = 0, b; a < n_sym; a = b) {
        for (b = a + 1; b < n_sym && w.sym[b].prev >= 0; b++)
            ;
        w.n_heap = 0;
        for (int32_t i = a + 1; i < b; i++)
            try_add_bigram(&w, i - 1, i);
        while (w.n_heap > 0 && !w.failed) {
            bigram g = heap_pop(&w);
            symbol *l = &w.sym[g.left], *r = &w.sym[g.right];
            if (l->n == 0 || r->n == 0 || l->n + r->n != g.size)
                continue;   /* one side was merged elsewhere since this pair was queued */
            if (track) {
                node x = { w.sym_node[g.left], w.sym_node[g.right], l->start, g.size };
                w.nodes[w.n_nodes] = x;
                w.sym_node[g.left] = w.n_nodes++;
            }
            l->n += r->n;
            r->n = 0;
            l->next = r->next;
            if (r->next >= 0)
                w.sym[r->next].prev = g.left;
            try_add_bigram(&w, l->prev, g.left);
            try_add_bigram(&w, g.left, l->next);
        }
        if (w.failed) {
            st = mw_fail(MW_ERR_NO_MEMORY, "tokenize: out of memory for the merge queue");
            goto done;
        }
        for (int32_t i = a; i != -1; i = w.sym[i].next)
            resegment(&w, w.sym[i].start, w.sym[i].n, track ? w.sym_node[i] : -1, sink);
    }

done:
    mw_free(w.text);
    mw_free(w.sym);
    mw_free(w.sym_node);
    mw_free(w.nodes);
    mw_free(w.heap);
    return st;
}

/* ---- special-token partition ---------------------------------------------------------- */

/* The result is llama.cpp's tokenizer_st_partition: special tokens in priority order (longest
 * text first, then lowest id), each one cut out of every remaining text fragment, leftmost
 * occurrence first. Done pattern by pattern that costs (specials x text); here the text is
 * scanned once through a trie of the special texts, and the candidate matches are replayed in
 * that priority order from a heap:
 *   - a candidate is (special, start), first the longest special starting at each position;
 *   - popped, it is cut out if its bytes are all still free; else, if its start is still free,
 *     the next candidate at that start is the longest special that fits the free bytes there.
 * Pops come in non-increasing priority (a re-queued candidate is shorter than the one it
 * replaces), and at a pattern's turn every free occurrence of it is queued, leftmost first:
 * the same cuts as the pattern-by-pattern loop. Work: one trie walk per text position, as deep
 * as the text matches some special's prefix, plus the bytes of each candidate. */

typedef struct candidate {
    uint32_t len;          /* bytes of the special token */
    int32_t id;
    size_t start;          /* where it starts in the text */
} candidate;

/* true when a is cut out before b: longer first, then lower id, then leftmost */
static int cand_before(const candidate *a, const candidate *b)
{
    if (a->len != b->len)
        return a->len > b->len;
    if (a->id != b->id)
        return a->id < b->id;
    return a->start < b->start;
}

typedef struct cand_heap {
    candidate *v;
    size_t n, cap;
} cand_heap;

static int cand_push(cand_heap *h, candidate c)
{
    if (h->n == h->cap) {
        candidate *v = grow_array(h->v, &h->cap, sizeof *v);
        if (!v)
            return 0;
        h->v = v;
    }
    size_t i = h->n++;
    while (i > 0 && cand_before(&c, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = c;
    return 1;
}

static candidate cand_pop(cand_heap *h)
{
    candidate top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && cand_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!cand_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}

/* The longest special (user-defined only unless parse_special) at text[start..start + max):
 * len 0 if none. */
static candidate longest_special(const mw_tokenizer *t, const char *text, size_t start,
                                 size_t max, int parse_special, uint64_t *steps)
{
    candidate c = { 0, -1, start };
    uint32_t node = 0;
    for (size_t k = 0; k < max; k++) {
        (*steps)++;
        node = trie_child(t, node, (uint8_t)text[start + k]);
        if (node == 0)
            break;
        int32_t id = t->trie_id[node][parse_special != 0];
        if (id >= 0) {
            c.len = (uint32_t)(k + 1);
            c.id = id;
        }
    }
    return c;
}

static int frag_push(mw_fragments *l, int32_t id, size_t off, size_t len)
{
    if (l->n == l->cap) {
        mw_fragment *v = grow_array(l->v, &l->cap, sizeof *v);
        if (!v)
            return 0;
        l->v = v;
    }
    mw_fragment f = { id, off, len };
    l->v[l->n++] = f;
    return 1;
}

static int cmp_start(const void *a, const void *b)
{
    size_t x = ((const candidate *)a)->start, y = ((const candidate *)b)->start;
    return x < y ? -1 : x > y;
}

mw_status mw_tokenizer_split(const mw_tokenizer *t, const char *text, size_t len,
                             int parse_special, mw_fragments *out)
{
    mw_fragments f = { 0 };
    *out = f;
    if (len == 0)
        return MW_OK;
    cand_heap heap = { 0 }, cut = { 0 };   /* cut: accepted candidates, a plain array */
    uint8_t *taken = NULL;
    int ok = 1;
    /* user-defined tokens are always cut out; control and unknown ones only on request */
    if (parse_special || t->n_user_defined > 0) {
        for (size_t s = 0; s < len && ok; s++) {
            f.steps++;
            if (t->trie_root[(uint8_t)text[s]] == 0)
                continue;
            candidate c = longest_special(t, text, s, len - s, parse_special, &f.steps);
            if (c.len > 0)
                ok = cand_push(&heap, c);
        }
    }
    if (ok && heap.n > 0) {
        taken = mw_calloc(len, 1);
        ok = taken != NULL;
    }
    while (ok && heap.n > 0) {
        candidate c = cand_pop(&heap);
        uint32_t free_len = 0;
        while (free_len < c.len && !taken[c.start + free_len])
            free_len++;
        f.steps += free_len + 1;
        if (free_len == c.len) {
            memset(taken + c.start, 1, c.len);
            ok = cand_push(&cut, c);   /* only appended: cut is never popped */
        } else if (free_len > 0) {
            candidate next = longest_special(t, text, c.start, free_len, parse_special, &f.steps);
            if (next.len > 0)
                ok = cand_push(&heap, next);
        }
    }
    if (ok && cut.n > 1)
        qsort(cut.v, cut.n, sizeof *cut.v, cmp_start);
    size_t pos = 0;
    for (size_t i = 0; ok && i < cut.n; i++) {
        if (cut.v[i].start > pos)
            ok = frag_push(&f, -1, pos, cut.v[i].start - pos);
        ok = ok && frag_push(&f, cut.v[i].id, 0, 0);
        pos = cut.v[i].start + cut.v[i].len;
    }
    if (ok && pos < len)
        ok = frag_push(&f, -1, pos, len - pos);
    mw_free(heap.v);
    mw_free(cut.v);
    mw_free(taken);
    if (!ok) {
        mw_free(f.v);
        return mw_fail(MW_ERR_NO_MEMORY, "tokenize: out of memory splitting special tokens");
    }
    *out = f;
    return MW_OK;
}

mw_status mw_tokenizer_encode(const mw_tokenizer *t, const char *text, size_t len, int32_t flags,
                              mw_id_sink *sink)
{
    if (len > MAX_TEXT_BYTES)
        return mw_fail(MW_ERR_TOO_LARGE, "tokenize: %zu bytes of text (limit %zu)", len,
                       MAX_TEXT_BYTES);
    if ((flags & MW_TOKENIZE_ADD_BOS) && t->bos_id >= 0)
        mw_id_sink_push(sink, t->bos_id);

    mw_fragments frags;
    mw_status st = mw_tokenizer_split(t, text, len, (flags & MW_TOKENIZE_PARSE_SPECIAL) != 0,
                                      &frags);
    if (st != MW_OK)
        return st;
    /* the dummy prefix goes before text that starts the input or follows a special token */
    int prev_special = 1;
    for (size_t i = 0; i < frags.n; i++) {
        const mw_fragment *f = &frags.v[i];
        if (f->id >= 0) {
            mw_id_sink_push(sink, f->id);
            prev_special = 1;
            continue;
        }
        st = spm_fragment(t, text + f->off, f->len, t->add_space_prefix && prev_special, sink);
        if (st != MW_OK)
            goto done;
        prev_special = 0;
    }
    if ((flags & MW_TOKENIZE_ADD_EOS) && t->eos_id >= 0)
        mw_id_sink_push(sink, t->eos_id);
done:
    mw_free(frags.v);
    return st;
}

/* ---- public calls --------------------------------------------------------------------- */

const mw_tokenizer *mw_model_tokenizer(const mw_model *model)
{
    if (!model) {
        mw_fail(MW_ERR_INVALID_ARG, "model is NULL");
        return NULL;
    }
    if (!model->tokenizer)
        mw_fail(MW_ERR_UNSUPPORTED, "model has no vocabulary");
    return model->tokenizer;
}

mw_status mw_tokenize(const mw_model *model, const char *text, size_t len, int32_t flags,
                      int32_t *out, int32_t cap, int32_t *n_out)
{
    const mw_tokenizer *t = mw_model_tokenizer(model);
    if (!t)
        return model ? MW_ERR_UNSUPPORTED : MW_ERR_INVALID_ARG;
    if ((!text && len > 0) || cap < 0 || (!out && cap > 0) || !n_out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_tokenize: bad arguments");
    *n_out = 0;
    mw_id_sink sink = { out, cap, 0 };
    mw_status st = mw_tokenizer_encode(t, text ? text : "", len, flags, &sink);
    if (st != MW_OK)
        return st;
    *n_out = sink.n;
    if (sink.n > cap)
        return mw_fail(MW_ERR_BUFFER_TOO_SMALL, "mw_tokenize: %d ids, buffer holds %d",
                       (int)sink.n, (int)cap);
    return MW_OK;
}

const char *mw_token_text(const mw_model *model, int32_t id)
{
    const mw_tokenizer *t = model ? model->tokenizer : NULL;
    if (!t || id < 0 || id >= t->n_vocab)
        return NULL;
    return t->text[id];
}

int32_t mw_token_bos(const mw_model *model)
{
    return model && model->tokenizer ? model->tokenizer->bos_id : -1;
}

int32_t mw_token_eos(const mw_model *model)
{
    return model && model->tokenizer ? model->tokenizer->eos_id : -1;
}

int32_t mw_token_is_eog(const mw_model *model, int32_t id)
{
    const mw_tokenizer *t = model ? model->tokenizer : NULL;
    if (!t || id < 0 || id >= t->n_vocab)
        return 0;
    return t->eog[id];
}
