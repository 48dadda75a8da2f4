/*
 * tokenize.c — `mw tokenize` (text or --file -> ids, space-separated on one line; BOS unless
 * --no-bos, control tokens only with --special) and `mw detokenize` (--ids -> text, exactly the
 * bytes mw_detokenize gives, no newline added).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int mw_cmd_tokenize(const mw_cli_opts *o)
{
    int rc = 1;
    mw_model *model = NULL;
    char *file_text = NULL;
    int32_t *ids = NULL, n = 0;
    const char *text = o->text;
    size_t len = text ? strlen(text) : 0;

    if (o->file && !(text = file_text = cli_read_file(o->file, &len)))
        goto done;
    if (!(model = cli_open_model(o, NULL)))
        goto done;
    int32_t flags = (o->no_bos ? 0 : MW_TOKENIZE_ADD_BOS) |
                    (o->special ? MW_TOKENIZE_PARSE_SPECIAL : 0);
    if (cli_tokenize(model, text, len, flags, &ids, &n) != 0)
        goto done;
    for (int32_t i = 0; i < n; i++)
        printf(i ? " %d" : "%d", (int)ids[i]);
    putchar('\n');
    rc = fflush(stdout) == 0 ? 0 : cli_error("write failed");
done:
    free(ids);
    free(file_text);
    mw_model_free(model);
    return rc;
}

int mw_cmd_detokenize(const mw_cli_opts *o)
{
    int rc = 1;
    mw_model *model = NULL;
    int32_t *ids = NULL, n = 0;
    char *text = NULL;
    mw_model_info info;

    if (!(model = cli_open_model(o, &info)))
        goto done;
    if (cli_parse_ids(o->ids, "--ids", info.n_vocab, &ids, &n) != 0)
        goto done;
    size_t len = 0;
    if (!(text = cli_detokenize(model, ids, n, &len)))
        goto done;
    if (len && fwrite(text, 1, len, stdout) != len) {
        cli_error("write failed");
        goto done;
    }
    rc = fflush(stdout) == 0 ? 0 : cli_error("write failed");
done:
    free(text);
    free(ids);
    mw_model_free(model);
    return rc;
}
