/*
 * constraint.c — constrained decoding over a model's vocabulary: which tokens may come next so
 * that the generated text stays a prefix of a document the JSON recognizer (json_match.c)
 * accepts, and can still be completed within the byte budget.
 *
 * Each token's bytes are its detokenized piece ("▁" -> ' ', <0xNN> -> the byte); tokens that
 * render nothing (control, unknown, unused) are never allowed, except EOS once the document is
 * complete. At create the non-empty pieces are sorted, with each one's common prefix length with
 * its predecessor; a mask walks them in that order keeping one recognizer state per prefix
 * length, so a shared prefix is stepped once (a trie walk without the trie), and once a prefix
 * fails every following piece that starts with it is skipped without stepping.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>   /* qsort only */

#include "constraint.h"
#include "json_schema.h"
#include "tokenizer_impl.h"

struct mw_constraint {
    const mw_tokenizer *t;
    mw_jschema *schema;
    int32_t n_vocab, eos_id;
    int32_t budget;           /* bytes the document may take in all */
    mw_jstate state;          /* after the accepted tokens */
    int32_t finished;         /* EOS accepted */
    int32_t *order;           /* [n_order] ids with non-empty pieces, sorted by piece bytes */
    uint32_t *lcp;            /* [n_order] common prefix length with the previous piece */
    int32_t n_order;
    mw_jstate *path;          /* [max_piece + 1] states after each prefix length */
    uint8_t *mask;            /* [n_vocab] */
};

enum { DEFAULT_BUDGET = 4096 };

typedef struct piece_ref {
    const uint8_t *p;
    uint32_t len;
    int32_t id;
} piece_ref;

static int piece_cmp(const void *pa, const void *pb)
{
    const piece_ref *a = pa, *b = pb;
    int c = memcmp(a->p, b->p, MW_MIN(a->len, b->len));
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static mw_status build_index(mw_constraint *c)
{
    const mw_tokenizer *t = c->t;
    int32_t n = 0;
    uint32_t max_len = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        n += t->piece_len[id] > 0;
    piece_ref *refs = mw_calloc((size_t)MW_MAX(n, 1), sizeof *refs);
    c->order = mw_calloc((size_t)MW_MAX(n, 1), sizeof *c->order);
    c->lcp = mw_calloc((size_t)MW_MAX(n, 1), sizeof *c->lcp);
    c->mask = mw_calloc((size_t)t->n_vocab, 1);
    if (!refs || !c->order || !c->lcp || !c->mask) {
        mw_free(refs);
        return mw_fail(MW_ERR_NO_MEMORY, "constraint: out of memory for the token index");
    }
    n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (t->piece_len[id] == 0)
            continue;
        refs[n].p = (const uint8_t *)t->piece[id];
        refs[n].len = t->piece_len[id];
        refs[n].id = id;
        max_len = MW_MAX(max_len, refs[n].len);
        n++;
    }
    qsort(refs, (size_t)n, sizeof *refs, piece_cmp);
    for (int32_t i = 0; i < n; i++) {
        uint32_t l = 0;
        if (i > 0)
            while (l < refs[i].len && l < refs[i - 1].len && refs[i].p[l] == refs[i - 1].p[l])
                l++;
        c->order[i] = refs[i].id;
        c->lcp[i] = l;
    }
    mw_free(refs);
    c->n_order = n;
    c->path = mw_calloc((size_t)max_len + 1, sizeof *c->path);
    if (!c->path)
        return mw_fail(MW_ERR_NO_MEMORY, "constraint: out of memory for %u-byte pieces",
                       (unsigned)max_len);
    return MW_OK;
}

mw_status mw_constraint_create_json(const mw_model *model, const char *schema, size_t len,
                                    int32_t max_bytes, mw_constraint **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_create_json: out is NULL");
    *out = NULL;
    if (!schema && len > 0)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_create_json: schema is NULL");
    if (max_bytes < 0)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_create_json: max_bytes %d is negative",
                       (int)max_bytes);
    const mw_tokenizer *t = mw_model_tokenizer(model);
    if (!t)
        return model ? MW_ERR_UNSUPPORTED : MW_ERR_INVALID_ARG;
    mw_constraint *c = mw_calloc(1, sizeof *c);
    if (!c)
        return mw_fail(MW_ERR_NO_MEMORY, "mw_constraint_create_json: out of memory");
    c->t = t;
    c->n_vocab = t->n_vocab;
    c->eos_id = t->eos_id;
    c->budget = max_bytes ? max_bytes : DEFAULT_BUDGET;
    mw_status st = mw_jschema_compile(schema, len, &c->schema);
    if (st == MW_OK && mw_jschema_root(c->schema)->min_bytes > (uint32_t)c->budget)
        st = mw_fail(MW_ERR_INVALID_ARG,
                     "JSON schema: the shortest valid document takes %u bytes, over the budget "
                     "of %d", (unsigned)mw_jschema_root(c->schema)->min_bytes, (int)c->budget);
    if (st == MW_OK)
        st = build_index(c);
    if (st != MW_OK) {
        mw_constraint_free(c);
        return st;
    }
    mw_constraint_reset(c);
    *out = c;
    return MW_OK;
}

void mw_constraint_reset(mw_constraint *c)
{
    if (!c)
        return;
    mw_jstate_init(&c->state, mw_jschema_root(c->schema));
    c->finished = 0;
}

void mw_constraint_free(mw_constraint *c)
{
    if (!c)
        return;
    mw_jschema_free(c->schema);
    mw_free(c->order);
    mw_free(c->lcp);
    mw_free(c->path);
    mw_free(c->mask);
    mw_free(c);
}

int32_t mw_constraint_n_vocab(const mw_constraint *c) { return c ? c->n_vocab : 0; }

int32_t mw_constraint_done(const mw_constraint *c)
{
    return c && (c->finished || c->state.depth == 0);
}

mw_status mw_constraint_mask(mw_constraint *c, const uint8_t **mask)
{
    if (!c || !mask)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_mask: bad arguments");
    *mask = c->mask;
    memset(c->mask, 0, (size_t)c->n_vocab);
    int32_t allowed = 0;
    if (!c->finished) {
        const mw_tokenizer *t = c->t;
        mw_jstate *path = c->path;
        mw_jstate_copy(&path[0], &c->state);
        uint32_t valid = 0;            /* path[0..valid] hold the previous piece's prefixes */
        uint32_t failed = UINT32_MAX;  /* the previous walk broke at this byte index */
        for (int32_t i = 0; i < c->n_order; i++) {
            int32_t id = c->order[i];
            const uint8_t *p = (const uint8_t *)t->piece[id];
            uint32_t len = t->piece_len[id], l = c->lcp[i];
            if (failed != UINT32_MAX && l > failed)
                continue;              /* shares the byte that failed */
            uint32_t d = MW_MIN(l, valid);
            failed = UINT32_MAX;
            for (; d < len; d++) {
                mw_jstate_copy(&path[d + 1], &path[d]);
                if (!mw_jstate_step(&path[d + 1], p[d], c->budget)) {
                    failed = d;
                    break;
                }
            }
            valid = d;
            if (d == len) {
                c->mask[id] = 1;
                allowed++;
            }
        }
        if (c->eos_id >= 0 && mw_jstate_rest(&c->state) == 0) {
            c->mask[c->eos_id] = 1;
            allowed++;
        }
    }
    if (!allowed)
        return mw_fail(MW_ERR_STATE, c->finished ? "constraint: the document is finished"
                       : "constraint: no token can continue the document");
    return MW_OK;
}

mw_status mw_constraint_apply(mw_constraint *c, float *logits, int32_t n_vocab)
{
    if (!c || !logits || n_vocab != c->n_vocab)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_apply: bad arguments (n_vocab %d, "
                       "the model has %d)", (int)n_vocab, c ? (int)c->n_vocab : 0);
    const uint8_t *mask;
    mw_status st = mw_constraint_mask(c, &mask);
    if (st != MW_OK)
        return st;
    for (int32_t i = 0; i < n_vocab; i++) {
        if (!mask[i])
            logits[i] = -INFINITY;
        else if (!(logits[i] >= -FLT_MAX))
            logits[i] = -FLT_MAX;   /* an allowed token must beat every masked one */
    }
    return MW_OK;
}

mw_status mw_constraint_accept(mw_constraint *c, int32_t id)
{
    if (!c || id < 0 || id >= c->n_vocab)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_accept: bad token id %d", (int)id);
    if (c->finished)
        return mw_fail(MW_ERR_STATE, "mw_constraint_accept: the document is finished");
    if (id == c->eos_id) {
        if (mw_jstate_rest(&c->state) != 0)
            return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_accept: EOS before the document "
                           "is complete");
        c->finished = 1;
        return MW_OK;
    }
    const uint8_t *p = (const uint8_t *)c->t->piece[id];
    uint32_t len = c->t->piece_len[id];
    mw_jstate *next = &c->path[0];
    mw_jstate_copy(next, &c->state);
    uint32_t i = 0;
    while (i < len && mw_jstate_step(next, p[i], c->budget))
        i++;
    if (len == 0 || i < len)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_constraint_accept: token %d cannot continue "
                       "the document", (int)id);
    mw_jstate_copy(&c->state, next);
    return MW_OK;
}
