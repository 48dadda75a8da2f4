/*
 * detokenize.c — token ids back to text: mw_detokenize (whole sequences, exact bytes) and the
 * streaming mw_detok_* (one id at a time, only complete UTF-8 characters out).
 *
 * The rule is llama.cpp's llama_detokenize(remove_special = false, unparse_special = false),
 * which the reference data (tests/data/reference: "detok", greedy "text_alone") shows:
 *   - each id renders as its piece: "▁" -> " ", <0xNN> -> that raw byte, user-defined pieces
 *     verbatim, control / unknown / unused tokens as nothing;
 *   - the first id of the sequence loses one leading space (SentencePiece's dummy prefix),
 *     even when that first id is BOS, which renders nothing: so [<s>, ▁The] -> " The" (as the
 *     reference "detok" strings), while [▁The] -> "The".
 * mw_detokenize returns the bytes exactly (byte tokens may form ill-formed UTF-8); the streaming
 * decoder holds an incomplete character until it completes and replaces ill-formed bytes by
 * U+FFFD (one per maximal ill-formed subpart) as soon as they are proven ill-formed, or at
 * flush. So concatenated push outputs + flush equal mw_detokenize's bytes whenever those are
 * well-formed UTF-8.
 */
#include "model.h"
#include "tokenizer_impl.h"
#include "utf8.h"

/* The piece of id as it renders at position `first` (1 = first of the sequence). */
static const char *piece_of(const mw_tokenizer *t, int32_t id, int first, size_t *len)
{
    const char *p = t->piece[id];
    size_t n = t->piece_len[id];
    if (first && t->add_space_prefix && n > 0 && p[0] == ' ') {
        p++;
        n--;
    }
    *len = n;
    return p;
}

static mw_status check_id(const mw_tokenizer *t, int32_t id)
{
    if (id < 0 || id >= t->n_vocab)
        return mw_fail(MW_ERR_INVALID_ARG, "token id %d out of range [0, %d)", (int)id,
                       (int)t->n_vocab);
    return MW_OK;
}

mw_status mw_detokenize(const mw_model *model, const int32_t *ids, int32_t n, char *out,
                        size_t cap, size_t *n_out)
{
    const mw_tokenizer *t = mw_model_tokenizer(model);
    if (!t)
        return model ? MW_ERR_UNSUPPORTED : MW_ERR_INVALID_ARG;
    if (n < 0 || (!ids && n > 0) || (!out && cap > 0) || !n_out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_detokenize: bad arguments");
    *n_out = 0;
    size_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        mw_status st = check_id(t, ids[i]);
        if (st != MW_OK)
            return st;
        size_t len;
        const char *p = piece_of(t, ids[i], i == 0, &len);
        if (len > 0 && total + len <= cap)
            memcpy(out + total, p, len);
        total += len;
    }
    *n_out = total;
    if (total > cap)
        return mw_fail(MW_ERR_BUFFER_TOO_SMALL, "mw_detokenize: %zu bytes, buffer holds %zu",
                       total, cap);
    if (total < cap)
        out[total] = 0;   /* a courtesy terminator when there is room; *n_out is the length */
    return MW_OK;
}

/* ---- streaming ------------------------------------------------------------------------ */

struct mw_detok {
    const mw_tokenizer *t;
    int first;             /* the next id is the first of the sequence */
    uint8_t pend[4];       /* an incomplete character carried to the next push (<= 3 bytes) */
    int n_pend;
};

typedef struct text_out {
    char *buf;
    size_t cap, n;         /* n counts every byte, also those that did not fit */
} text_out;

static void put(text_out *o, const void *src, size_t len)
{
    if (len > 0 && o->n + len <= o->cap)
        memcpy(o->buf + o->n, src, len);
    o->n += len;
}

static const char replacement[3] = { (char)0xEF, (char)0xBF, (char)0xBD };   /* U+FFFD */

/* Emit the complete characters of pend ++ piece; the trailing incomplete character (a proper
 * prefix of a well-formed sequence) goes to new_pend, unless at_end, when it becomes U+FFFD. */
static void run(const uint8_t *pend, int n_pend, const char *piece, size_t len, int at_end,
                text_out *o, uint8_t new_pend[4], int *n_new)
{
    size_t total = (size_t)n_pend + len, pos = 0;
    *n_new = 0;
    while (pos < total) {
        uint8_t win[4];
        size_t m = 0;
        for (; m < 4 && pos + m < total; m++) {
            size_t q = pos + m;
            win[m] = q < (size_t)n_pend ? pend[q] : (uint8_t)piece[q - (size_t)n_pend];
        }
        uint32_t cp;
        int k = mw_utf8_decode(win, m, &cp);
        if (k > 0) {
            put(o, win, (size_t)k);
            pos += (size_t)k;
        } else if (k == 0) {
            /* fewer than 4 bytes left, all a valid start: wait for the rest */
            if (at_end) {
                put(o, replacement, 3);
            } else {
                memcpy(new_pend, win, m);
                *n_new = (int)m;
            }
            return;
        } else {
            put(o, replacement, 3);
            pos += (size_t)-k;
        }
    }
}

mw_status mw_detok_create(const mw_model *model, mw_detok **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_detok_create: out is NULL");
    *out = NULL;
    const mw_tokenizer *t = mw_model_tokenizer(model);
    if (!t)
        return model ? MW_ERR_UNSUPPORTED : MW_ERR_INVALID_ARG;
    mw_detok *d = mw_calloc(1, sizeof *d);
    if (!d)
        return mw_fail(MW_ERR_NO_MEMORY, "mw_detok_create: out of memory");
    d->t = t;
    d->first = 1;
    *out = d;
    return MW_OK;
}

/* Shared by push and flush: nothing changes unless the output fits. */
static mw_status step(mw_detok *d, const char *piece, size_t len, int at_end, int consumes_first,
                      char *out, size_t cap, size_t *n_out)
{
    text_out o = { out, cap, 0 };
    uint8_t pend[4];
    int n_pend;
    run(d->pend, d->n_pend, piece, len, at_end, &o, pend, &n_pend);
    *n_out = o.n;
    if (o.n > cap)
        return mw_fail(MW_ERR_BUFFER_TOO_SMALL, "detokenizer: %zu bytes, buffer holds %zu", o.n,
                       cap);
    memcpy(d->pend, pend, (size_t)n_pend);
    d->n_pend = n_pend;
    if (consumes_first)
        d->first = 0;
    return MW_OK;
}

mw_status mw_detok_push(mw_detok *d, int32_t id, char *out, size_t cap, size_t *n_out)
{
    if (!d || (!out && cap > 0) || !n_out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_detok_push: bad arguments");
    *n_out = 0;
    mw_status st = check_id(d->t, id);
    if (st != MW_OK)
        return st;
    size_t len;
    const char *p = piece_of(d->t, id, d->first, &len);
    return step(d, p, len, 0, 1, out, cap, n_out);
}

mw_status mw_detok_flush(mw_detok *d, char *out, size_t cap, size_t *n_out)
{
    if (!d || (!out && cap > 0) || !n_out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_detok_flush: bad arguments");
    *n_out = 0;
    return step(d, "", 0, 1, 0, out, cap, n_out);
}

void mw_detok_reset(mw_detok *d)
{
    if (!d)
        return;
    d->first = 1;
    d->n_pend = 0;
}

void mw_detok_free(mw_detok *d)
{
    mw_free(d);
}
