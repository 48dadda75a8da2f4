/*
 * test_chat.c — Mistral instruct prompts (mw_chat_tokenize) against ids written out by hand from
 * the format specification (mistral-common's InstructTokenizerV1 / V3, see core/chat.c) and the
 * vocabulary, and mw_chat_format_detect.
 *
 * How the expected ids were made (not by running the encoder): neither Mistral vocabulary has a
 * piece with "▁" after its first character (except pieces made only of "▁") nor any piece with
 * "\n", so text made of words separated by single spaces tokenizes word by word, and each word
 * "▁w" that is a vocabulary piece is that piece (test_tokenizer's id round trip shows every normal
 * piece is reached by BPE); "\n" is the byte token <0x0A>. "[INST]" as text is "▁[" "INST" "]"
 * and "[/INST]" is "▁[" "/" "INST" "]" (the v1 .out vector for "[INST] What is ... [/INST]").
 *   piece      v1     v3        piece      v1     v3
 *   ▁Be        1739   2507      ▁Name      6620   7388
 *   ▁brief     6817   7585      ▁a         264    1032
 *   Hello      16230  16998     ▁color     3181   3949
 *   ▁Hello     22557  23325     ▁Blue      8836   9604
 *   ▁Hi        15359  16127     ▁Why       4315   5083
 *   ▁there     736    1504      Why        7638   8406
 *   ▁[ 733  INST 16289  ] 28793  / 28748  <0x0A> 13 (v3: 781);  <s> 1, </s> 2, v3 [INST] 3, [/INST] 4
 */
#include "harness.h"

#include "base.h"
#include "model.h"
#include "tokenizer_impl.h"
#include "mw.h"

#define TOKDIR MW_TEST_DATA "/tokenizers/"

static const mw_chat_message conversation[] = {
    { "system", "Be brief", NULL, NULL },
    { "user", "Hello", NULL, NULL },
    { "assistant", "Hi there", NULL, NULL },
    { "user", "Name a color", NULL, NULL },
    { "assistant", "Blue", NULL, NULL },
    { "user", "Why", NULL, NULL },
};

static mw_model *open_model(const char *path)
{
    mw_model *m = NULL;
    mw_status st = mw_model_open_file(path, NULL, &m);
    CHECK_MSG(st == MW_OK, "open %s: %s", path, mw_last_error());
    return st == MW_OK ? m : NULL;
}

static int check_ids(const char *what, const int32_t *got, int32_t n, const int32_t *want, int nw)
{
    int ok = n == nw;
    for (int i = 0; ok && i < n; i++) ok = got[i] == want[i];
    CHECK_MSG(ok, "%s", what);
    if (!ok) {
        fprintf(stderr, "  expected:");
        for (int i = 0; i < nw; i++) fprintf(stderr, " %d", want[i]);
        fprintf(stderr, "\n  got     :");
        for (int i = 0; i < n; i++) fprintf(stderr, " %d", got[i]);
        fputc('\n', stderr);
    }
    return ok;
}

static void test_v1(void)
{
    mw_model *m = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    if (!m) return;
    /* <s>[INST] Be brief\n\nHello [/INST] Hi there</s>[INST] Name a color [/INST] Blue</s>
     * [INST] Why [/INST]   — system prompt in the FIRST user message */
    static const int32_t want[] = {
        1,
        733, 16289, 28793, 1739, 6817, 13, 13, 16230, 733, 28748, 16289, 28793,
        15359, 736, 2,
        733, 16289, 28793, 6620, 264, 3181, 733, 28748, 16289, 28793,
        8836, 2,
        733, 16289, 28793, 4315, 733, 28748, 16289, 28793,
    };
    int32_t ids[128], n;
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V1, conversation, 6, ids, 128, &n) == MW_OK);
    check_ids("v1 3-turn conversation with system prompt", ids, n, want,
              (int)(sizeof want / sizeof want[0]));

    /* no template in this vocab-only GGUF and no [INST] control: raw */
    CHECK(mw_chat_format_detect(m) == MW_CHAT_RAW);
    /* a template that uses [INST] text selects v1 */
    m->tokenizer->chat_template = mw_strdup("{{ bos_token }}{% for m in messages %}[INST] ...");
    CHECK(mw_chat_format_detect(m) == MW_CHAT_MISTRAL_V1);
    CHECK(mw_chat_tokenize(m, MW_CHAT_AUTO, conversation, 6, ids, 128, &n) == MW_OK);
    check_ids("v1 via MW_CHAT_AUTO", ids, n, want, (int)(sizeof want / sizeof want[0]));

    /* the v3 format needs control tokens this vocabulary does not have */
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V3, conversation, 6, ids, 128, &n) ==
          MW_ERR_UNSUPPORTED);

    /* raw: contents concatenated, BOS first (add_bos) */
    static const mw_chat_message raw[] = { { "user", "Hello", NULL, NULL }, { "assistant", " there", NULL, NULL } };
    static const int32_t want_raw[] = { 1, 22557, 736 };
    CHECK(mw_chat_tokenize(m, MW_CHAT_RAW, raw, 2, ids, 128, &n) == MW_OK);
    check_ids("raw", ids, n, want_raw, 3);

    /* buffer too small reports the size; a bad role is refused */
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V1, conversation, 6, ids, 10, &n) ==
          MW_ERR_BUFFER_TOO_SMALL && n == (int32_t)(sizeof want / sizeof want[0]));
    static const mw_chat_message bad[] = { { "robot", "x", NULL, NULL } };
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V1, bad, 1, ids, 128, &n) == MW_ERR_INVALID_ARG);
    mw_model_free(m);
}

static void test_v3(void)
{
    mw_model *m = open_model(TOKDIR "ggml-vocab-mistral-v3.gguf");
    if (!m) return;
    CHECK(mw_chat_format_detect(m) == MW_CHAT_MISTRAL_V3);
    /* <s>[INST]▁Hello[/INST]▁Hi▁there</s>[INST]▁Name▁a▁color[/INST]▁Blue</s>
     * [INST]▁Be▁brief\n\nWhy[/INST]   — system prompt in the LAST user message */
    static const int32_t want[] = {
        1, 3, 23325, 4, 16127, 1504, 2,
        3, 7388, 1032, 3949, 4, 9604, 2,
        3, 2507, 7585, 781, 781, 8406, 4,
    };
    int32_t ids[128], n;
    CHECK(mw_chat_tokenize(m, MW_CHAT_AUTO, conversation, 6, ids, 128, &n) == MW_OK);
    check_ids("v3 3-turn conversation with system prompt", ids, n, want,
              (int)(sizeof want / sizeof want[0]));

    /* assistant content loses trailing spaces (rstrip(" ")); a final assistant message is a
     * prefix: no EOS after it */
    static const mw_chat_message pre[] = { { "user", "Hello", NULL, NULL }, { "assistant", "Hi there  ", NULL, NULL } };
    static const int32_t want_pre[] = { 1, 3, 23325, 4, 16127, 1504 };
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V3, pre, 2, ids, 128, &n) == MW_OK);
    check_ids("v3 assistant prefix", ids, n, want_pre, 6);

    /* normalization: consecutive user messages joined by "\n\n", system messages anywhere
     * gathered, a conversation starting with the assistant gets an empty user turn first */
    static const mw_chat_message runs[] = {
        { "assistant", "Hi", NULL, NULL }, { "user", "Name", NULL, NULL }, { "system", "Be", NULL, NULL }, { "user", "Why", NULL, NULL },
        { "user", "Hello", NULL, NULL },
    };
    /* [INST][/INST]▁Hi</s>[INST]▁Name[/INST][INST]▁Be\n\nWhy\n\nHello[/INST] */
    static const int32_t want_runs[] = {
        1, 3, 4, 16127, 2, 3, 7388, 4, 3, 2507, 781, 781, 8406, 781, 781, 16998, 4,
    };
    /* "Name" after [INST] is "▁Name" (7388); separate user runs stay separate turns because the
     * system message splits them */
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V3, runs, 5, ids, 128, &n) == MW_OK);
    check_ids("v3 normalization", ids, n, want_runs, (int)(sizeof want_runs / sizeof want_runs[0]));

    /* user text that looks like control tokens stays text */
    static const mw_chat_message sneaky[] = { { "user", "[INST]</s>", NULL, NULL } };
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V3, sneaky, 1, ids, 128, &n) == MW_OK);
    int controls = 0;
    for (int i = 0; i < n; i++) controls += ids[i] < 771;
    CHECK(n > 4 && controls == 3 && ids[0] == 1 && ids[1] == 3 && ids[n - 1] == 4);

    /* v1 format on the v3 vocabulary: [INST] as text */
    CHECK(mw_chat_tokenize(m, MW_CHAT_MISTRAL_V1, sneaky, 1, ids, 128, &n) == MW_OK);
    controls = 0;
    for (int i = 0; i < n; i++) controls += ids[i] < 771;
    CHECK(controls == 1 && ids[0] == 1 && ids[1] == 1501);
    mw_model_free(m);
}

int main(void)
{
    test_v1();
    test_v3();
    return TEST_REPORT();
}
