/*
 * logits.c — `mw logits`: evaluate --tokens and write every position's logits to --out as raw
 * little-endian float32, [n_tokens][n_vocab], row i = the logits after ids[0..i] (the same layout
 * as llama.cpp's reference dumps). Default: one mw_session_eval of all tokens (batched path);
 * --stepwise evaluates one token at a time (the KV-cache path) and writes the same layout.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* float32 rows as little-endian bytes whatever the host order */
static int write_le_f32(FILE *f, const float *x, size_t n)
{
    const uint32_t probe = 1;
    if (*(const unsigned char *)&probe == 1)
        return fwrite(x, sizeof(float), n, f) == n ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8),
                              (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
        if (fwrite(b, 1, 4, f) != 4)
            return -1;
    }
    return 0;
}

int mw_cmd_logits(const mw_cli_opts *o)
{
    int rc = 1;
    mw_model *model = NULL;
    mw_session *s = NULL;
    int32_t *ids = NULL, n = 0;
    float *logits = NULL;
    FILE *f = NULL;
    mw_model_info info;
    mw_status st;

    if (!(model = cli_open_model(o, &info)))
        goto done;
    if (cli_parse_ids(o->tokens, "--tokens", info.n_vocab, &ids, &n) != 0)
        goto done;
    if (!(s = cli_open_session(o, model, n)))
        goto done;
    size_t n_vocab = (size_t)info.n_vocab;
    logits = malloc((size_t)n * n_vocab * sizeof(float));
    if (!logits) {
        cli_error("out of memory for %d x %d logits", (int)n, (int)info.n_vocab);
        goto done;
    }

    double t0 = cli_now();
    if (!o->stepwise) {
        st = mw_session_eval(s, ids, n, logits);
    } else {
        st = MW_OK;
        for (int32_t i = 0; i < n && st == MW_OK; i++) {
            st = mw_session_eval(s, &ids[i], 1, NULL);
            if (st == MW_OK)
                memcpy(logits + (size_t)i * n_vocab, mw_session_logits(s),
                       n_vocab * sizeof(float));
        }
    }
    if (st != MW_OK) {
        cli_engine_error(st, "evaluation failed");
        goto done;
    }
    double seconds = cli_now() - t0;

    if (!(f = fopen(o->out, "wb"))) {
        cli_error("cannot create '%s'", o->out);
        goto done;
    }
    int bad = write_le_f32(f, logits, (size_t)n * n_vocab) != 0;
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
        cli_error("cannot write '%s'", o->out);
        goto done;
    }
    fprintf(stderr, "mw: %d tokens x %d logits -> %s (%s, %.3f s)\n", (int)n, (int)info.n_vocab,
            o->out, o->stepwise ? "stepwise" : "one batch", seconds);
    rc = 0;
done:
    if (f)
        fclose(f);
    free(logits);
    free(ids);
    mw_session_free(s);
    mw_model_free(model);
    return rc;
}
