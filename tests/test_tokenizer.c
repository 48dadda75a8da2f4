/*
 * test_tokenizer.c — SentencePiece exactness of mw_tokenize / mw_detokenize / mw_detok_*:
 *   - the .inp/.out vectors of the three vocabulary GGUFs in tests/data/tokenizers (ids made by
 *     SentencePiece itself; llama.cpp agrees on all of them), plus detokenize(tokenize(x)) == x;
 *   - the reference prompts (tests/data/reference/NAME.prompt.json: text -> ids with BOS, ids ->
 *     "detok") and greedy continuations (ids -> "text_alone", and "text_hex" = the bytes the ids
 *     add after the prompt);
 *   - every token id -> its text -> tokenize gives the id back (exceptions listed below);
 *   - every Unicode scalar value round-trips text -> ids -> text;
 *   - control-token text stays text unless MW_TOKENIZE_PARSE_SPECIAL;
 *   - streaming detokenization equals whole-sequence detokenization, split characters held;
 *   - argument and buffer errors, a non-SentencePiece vocabulary rejected;
 *   - the special-token split: same fragments as llama.cpp's tokenizer_st_partition (a direct
 *     transcription, split_reference.h) on random vocabularies, and work linear in the text with thousands
 *     of user-defined pieces (a count of the bytes looked at, not a time);
 *   - a text whose symbol array would not fit the address space fails cleanly (wasm32).
 */
#include "gguf_build.h"
#include "harness.h"
#include "json_lite.h"
#include "split_reference.h"

#include "gguf.h"
#include "model.h"
#include "tokenizer_impl.h"
#include "mw.h"

#define TOKDIR MW_TEST_DATA "/tokenizers/"
#define REFDIR MW_TEST_DATA "/reference/"

static mw_model *open_model(const char *path)
{
    mw_model *m = NULL;
    mw_status st = mw_model_open_file(path, NULL, &m);
    CHECK_MSG(st == MW_OK, "open %s: %s", path, mw_last_error());
    return st == MW_OK ? m : NULL;
}

/* tokenize into a malloc'd array */
static int32_t *tok(const mw_model *m, const char *s, size_t len, int32_t flags, int32_t *n)
{
    int32_t cap = (int32_t)(len + 8) * 2;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    mw_status st = mw_tokenize(m, s, len, flags, ids, cap, n);
    if (st != MW_OK) {
        fprintf(stderr, "tokenize failed: %s\n", mw_last_error());
        *n = 0;
    }
    return ids;
}

/* detokenize into a malloc'd NUL-terminated string */
static char *detok(const mw_model *m, const int32_t *ids, int32_t n, size_t *len)
{
    size_t need = 0;
    mw_status st = mw_detokenize(m, ids, n, NULL, 0, &need);
    if (st != MW_OK && st != MW_ERR_BUFFER_TOO_SMALL) {
        *len = 0;
        return calloc(1, 1);
    }
    char *s = malloc(need + 1);
    mw_detokenize(m, ids, n, s, need + 1, len);
    s[*len] = 0;
    return s;
}

/* streaming: push every id, then flush; malloc'd result */
static char *stream(const mw_model *m, const int32_t *ids, int32_t n, size_t *len)
{
    mw_detok *d = NULL;
    mw_detok_create(m, &d);
    size_t cap = 64 + (size_t)n * 64, pos = 0, w;
    char *s = malloc(cap + 1);
    for (int32_t i = 0; i < n; i++) {
        if (mw_detok_push(d, ids[i], s + pos, cap - pos, &w) != MW_OK) break;
        pos += w;
    }
    mw_detok_flush(d, s + pos, cap - pos, &w);
    pos += w;
    s[pos] = 0;
    *len = pos;
    mw_detok_free(d);
    return s;
}

static void print_ids(const char *what, const int32_t *ids, int n)
{
    fprintf(stderr, "  %s:", what);
    for (int i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
    fputc('\n', stderr);
}

/* ---- golden vectors ------------------------------------------------------------------- */

static void test_vectors(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, TOKDIR "%s", name);
    mw_model *m = open_model(path);
    if (!m) return;
    snprintf(path, sizeof path, TOKDIR "%s.inp", name);
    char *inp = test_read_file(path, NULL);
    snprintf(path, sizeof path, TOKDIR "%s.out", name);
    char *outp = test_read_file(path, NULL);
    CHECK(inp && outp);
    if (!inp || !outp) return;
    /* test_read_file does not NUL-terminate: re-read with sizes */
    size_t ni, no;
    free(inp); free(outp);
    snprintf(path, sizeof path, TOKDIR "%s.inp", name);
    inp = test_read_file(path, &ni);
    snprintf(path, sizeof path, TOKDIR "%s.out", name);
    outp = test_read_file(path, &no);
    inp = realloc(inp, ni + 1); inp[ni] = 0;
    outp = realloc(outp, no + 1); outp[no] = 0;

    const char *sep = "\n__ggml_vocab_test__\n";
    int total = 0, passed = 0;
    char *ip = inp, *op = outp;
    for (;;) {
        char *end = strstr(ip, sep);
        if (!end) break;
        char *eol = strchr(op, '\n');
        if (!eol) break;
        *eol = 0;
        int expect[4096], ne = 0;
        for (char *q = op; *q;) {
            char *e;
            long v = strtol(q, &e, 10);
            if (e == q) break;
            expect[ne++] = (int)v;
            q = e;
        }
        size_t len = (size_t)(end - ip);
        int32_t n;
        int32_t *ids = tok(m, ip, len, 0, &n);
        int ok = n == ne;
        for (int i = 0; ok && i < n; i++) ok = ids[i] == expect[i];
        total++;
        passed += ok;
        CHECK_MSG(ok, "%s vector %d: \"%.*s\"", name, total, (int)len, ip);
        if (!ok) {
            print_ids("expected", (const int32_t *)expect, ne);
            print_ids("got     ", ids, n);
        }
        /* lossless: the text comes back exactly, whole and streamed */
        size_t dl, sl;
        char *back = detok(m, ids, n, &dl);
        char *st = stream(m, ids, n, &sl);
        CHECK_MSG(dl == len && memcmp(back, ip, len) == 0, "%s vector %d detokenizes to \"%s\"",
                  name, total, back);
        CHECK_MSG(sl == dl && memcmp(st, back, dl) == 0, "%s vector %d: streamed \"%s\"", name,
                  total, st);
        free(back); free(st); free(ids);
        ip = end + strlen(sep);
        op = eol + 1;
    }
    printf("%s: %d/%d vectors pass\n", name, passed, total);
    CHECK(total >= 46);
    free(inp); free(outp);
    mw_model_free(m);
}

/* ---- reference prompts and continuations ---------------------------------------------- */

static int ref_total, ref_ids_ok, ref_detok_ok, ref_gen_ok;

static void test_reference(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, REFDIR "%s.prompt.json", name);
    char *pj = test_read_text(path);
    snprintf(path, sizeof path, REFDIR "%s.greedy.json", name);
    char *gj = test_read_text(path);
    CHECK_MSG(pj && gj, "%s: reference json missing", name);
    if (!pj || !gj) return;
    char *file = json_string(pj, "model", NULL);
    snprintf(path, sizeof path, REFDIR "%s", file);
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    else snprintf(path, sizeof path, MW_SOURCE_DIR "/models/%s", file);
    mw_model *m = open_model(path);
    if (!m) return;

    size_t tlen;
    char *text = json_string(pj, "text", &tlen);
    int want[64];
    int nw = json_ints(pj, "ids", want, 64);
    if (text) {
        int32_t n;
        int32_t *ids = tok(m, text, tlen, MW_TOKENIZE_ADD_BOS, &n);
        int ok = n == nw;
        for (int i = 0; ok && i < n; i++) ok = ids[i] == want[i];
        CHECK_MSG(ok, "%s: prompt ids differ", name);
        ref_ids_ok += ok;
        if (!ok) { print_ids("expected", (const int32_t *)want, nw); print_ids("got     ", ids, n); }
        free(ids);
    }
    /* ids -> "detok" (BOS renders nothing; the next piece keeps its space) */
    size_t dl, wl;
    char *want_detok = json_string(pj, "detok", &wl);
    char *d = detok(m, (const int32_t *)want, nw, &dl);
    int dok = want_detok && dl == wl && memcmp(d, want_detok, dl) == 0;
    CHECK_MSG(dok, "%s: detok \"%s\"", name, d);
    ref_total++;
    ref_detok_ok += dok;

    /* greedy continuation: alone, and as the bytes it adds after the prompt */
    int gen[64];
    int ng = json_ints(gj, "ids", gen, 64);
    CHECK(ng == 32);
    size_t al;
    char *alone_want = json_string(gj, "text_alone", &al);
    size_t sl;
    char *alone = stream(m, (const int32_t *)gen, ng, &sl);   /* U+FFFD for bad bytes, like the file */
    CHECK_MSG(alone_want && sl == al && memcmp(alone, alone_want, al) == 0,
              "%s: text_alone \"%s\"", name, alone);
    int32_t all[128];
    for (int i = 0; i < nw; i++) all[i] = want[i];
    for (int i = 0; i < ng; i++) all[nw + i] = gen[i];
    size_t fl;
    char *full = detok(m, all, nw + ng, &fl);
    char *hex = json_string(gj, "text_hex", NULL);
    int ok = hex && fl >= dl && strlen(hex) == 2 * (fl - dl);
    for (size_t i = 0; ok && i < fl - dl; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        ok = (unsigned char)full[dl + i] == v;
    }
    CHECK_MSG(ok, "%s: bytes after the prompt differ from text_hex", name);
    ref_gen_ok += ok && alone_want && sl == al && memcmp(alone, alone_want, al) == 0;
    free(full); free(hex); free(alone); free(alone_want); free(d); free(want_detok);
    free(text); free(file); free(pj); free(gj);
    mw_model_free(m);
}

/* ---- round trips ---------------------------------------------------------------------- */

/* Every id: its text (with "▁" as space) after a "\n" — a character no piece contains, so BPE
 * on either side of it is independent — must tokenize to [▁, <0x0A>, id]. Every normal piece of
 * both vocabularies comes back, except in v3 the 20 "[REFERENCE_DOC_0..19]" pieces: they are
 * USER_DEFINED in Mistral's .model (SentencePiece matches them in the text before BPE) but the
 * GGUF records them as normal pieces (type 1), and no BPE merge path reaches a score-0 piece of
 * 18 characters; llama.cpp, reading the same GGUF, tokenizes them as text too. Byte tokens come
 * back for the 131 bytes whose character is no piece of its own (0x80..0xFF, most controls);
 * control/unknown tokens render nothing and are checked in test_control. The text itself
 * always round-trips (llama.cpp's test-tokenizer-1-spm). */
static void test_id_round_trip(const char *name, int expect_refdoc)
{
    char path[512];
    snprintf(path, sizeof path, TOKDIR "%s", name);
    mw_model *m = open_model(path);
    if (!m) return;
    mw_model_info info;
    mw_model_get_info(m, &info);
    int n_vocab = info.n_vocab, normal = 0, normal_ok = 0, bytes_ok = 0, bytes_piece = 0;
    int text_ok = 0, checked = 0, refdoc = 0;
    int32_t nl[4];
    int32_t nnl;
    mw_tokenize(m, "\n", 1, 0, nl, 4, &nnl);
    CHECK(nnl == 2);   /* [▁, <0x0A>] */
    for (int id = 0; id < n_vocab; id++) {
        const char *t = mw_token_text(m, id);
        size_t pl;
        int32_t one = id;
        char buf[512];
        /* the rendered piece, after "\n" */
        char *piece = detok(m, (int32_t[]){ nl[1], one }, 2, &pl);
        if (pl <= 1 || pl >= sizeof buf) { free(piece); continue; }   /* control: renders nothing */
        memcpy(buf, piece, pl);
        free(piece);
        int32_t ids[600], n;
        mw_status st = mw_tokenize(m, buf, pl, 0, ids, 600, &n);
        if (st != MW_OK) continue;
        checked++;
        /* the text always survives (llama.cpp's test-tokenizer-1-spm) */
        size_t bl;
        char *back = detok(m, ids, n, &bl);
        text_ok += bl == pl && memcmp(back, buf, pl) == 0;
        free(back);
        int same = n == 3 && ids[0] == nl[0] && ids[1] == nl[1] && ids[2] == id;
        int is_byte = strncmp(t, "<0x", 3) == 0 && strlen(t) == 6;
        if (is_byte) {
            if (same) bytes_ok++;
            else bytes_piece++;
        } else {
            normal++;
            normal_ok += same;
            if (!same && strncmp(t, "[REFERENCE_DOC_", 15) == 0) { refdoc++; continue; }
            if (!same)
                fprintf(stderr, "  %s: id %d \"%s\" -> %d ids (first %d): BPE does not reach it\n",
                        name, id, t, n - 2, n > 2 ? ids[2] : -1);
        }
    }
    printf("%s: id round trip: %d/%d normal pieces, %d/256 bytes (%d bytes are pieces), "
           "text %d/%d\n", name, normal_ok, normal, bytes_ok, bytes_piece, text_ok, checked);
    CHECK(text_ok == checked);
    CHECK(normal_ok + refdoc == normal);
    CHECK(refdoc == expect_refdoc);
    CHECK(bytes_ok + bytes_piece == 256);
    /* byte tokens of bytes that are never a character alone (0x80..0xFF) must come back */
    CHECK(bytes_ok >= 128);
    mw_model_free(m);
}

/* Every Unicode scalar value 1..0x10FFFF except U+2581 ("▁", which SentencePiece reads as a
 * space), in batches: tokenize -> detokenize returns the text. */
static void test_codepoints(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, TOKDIR "%s", name);
    mw_model *m = open_model(path);
    if (!m) return;
    enum { BATCH = 4096 };
    char *buf = malloc(BATCH * 4 + 8);
    int bad_batches = 0, batches = 0;
    for (unsigned cp = 1; cp <= 0x10FFFF;) {
        size_t len = 0;
        for (int k = 0; k < BATCH && cp <= 0x10FFFF; cp++) {
            if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x2581) continue;
            len += json_put_utf8(buf + len, cp);
            k++;
        }
        int32_t n;
        int32_t *ids = tok(m, buf, len, 0, &n);
        size_t bl;
        char *back = detok(m, ids, n, &bl);
        int ok = bl == len && memcmp(back, buf, len) == 0;
        batches++;
        if (!ok && bad_batches++ < 3)
            fprintf(stderr, "  %s: batch ending at U+%X does not round-trip\n", name, cp - 1);
        free(back); free(ids);
    }
    printf("%s: code points: %d/%d batches round-trip\n", name, batches - bad_batches, batches);
    CHECK(bad_batches == 0);
    /* U+2581 itself becomes a space, as in SentencePiece */
    int32_t ids[8], n;
    mw_tokenize(m, "a\xE2\x96\x81" "b", 5, 0, ids, 8, &n);
    size_t bl;
    char *back = detok(m, ids, n, &bl);
    CHECK(bl == 3 && memcmp(back, "a b", 3) == 0);
    free(back);
    free(buf);
    mw_model_free(m);
}

/* ---- control tokens ------------------------------------------------------------------- */

static int has_control(const mw_model *m, const int32_t *ids, int n)
{
    for (int i = 0; i < n; i++) {
        int type = m->tokenizer->type[ids[i]];
        if (type == MW_TOKEN_CONTROL || type == MW_TOKEN_UNKNOWN) return 1;
    }
    return 0;
}

static int ids_equal(const int32_t *a, int na, const int *b, int nb)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++) if (a[i] != b[i]) return 0;
    return 1;
}

static void test_control(void)
{
    mw_model *v1 = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    mw_model *v3 = open_model(TOKDIR "ggml-vocab-mistral-v3.gguf");
    if (!v1 || !v3) return;
    const char *s = "<s>[INST] hi [/INST]</s>[TOOL_CALLS]<unk>";
    int32_t ids[64], n;
    CHECK(mw_tokenize(v1, s, strlen(s), 0, ids, 64, &n) == MW_OK && !has_control(v1, ids, n));
    CHECK(mw_tokenize(v3, s, strlen(s), 0, ids, 64, &n) == MW_OK && !has_control(v3, ids, n));

    /* v3, parsing special tokens: [INST] = 3, [/INST] = 4; the text between them gets the dummy
     * prefix because it follows a special token, as llama.cpp does: " hi " -> "▁▁hi▁". */
    const char *t_sp = "[INST] hi [/INST]";
    CHECK(mw_tokenize(v3, t_sp, strlen(t_sp), MW_TOKENIZE_PARSE_SPECIAL, ids, 64, &n) == MW_OK);
    CHECK(n >= 3 && ids[0] == 3 && ids[n - 1] == 4);
    CHECK(!has_control(v3, ids + 1, n - 2));
    /* "</s>" alone with parse_special is EOS; "<s>" is BOS; longest match wins: "[/INST]" is not
     * "[" + ... */
    CHECK(mw_tokenize(v3, "</s>", 4, MW_TOKENIZE_PARSE_SPECIAL, ids, 64, &n) == MW_OK && n == 1 &&
          ids[0] == 2);
    CHECK(mw_tokenize(v1, "<s></s>", 7, MW_TOKENIZE_PARSE_SPECIAL, ids, 64, &n) == MW_OK &&
          n == 2 && ids[0] == 1 && ids[1] == 2);
    CHECK(mw_tokenize(v3, "[/INST][INST]", 13, MW_TOKENIZE_PARSE_SPECIAL, ids, 64, &n) == MW_OK &&
          n == 2 && ids[0] == 4 && ids[1] == 3);
    /* v1 has no [INST] control: parse_special leaves it text, same ids as without */
    int32_t a[64], na, b[64], nb;
    mw_tokenize(v1, t_sp, strlen(t_sp), 0, a, 64, &na);
    mw_tokenize(v1, t_sp, strlen(t_sp), MW_TOKENIZE_PARSE_SPECIAL, b, 64, &nb);
    CHECK(na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0);
    /* expected by hand from the vocabulary (same as the v1 .out vector for "[INST] What ..."):
     * "▁[" 733, "INST" 16289, "]" 28793, "▁hi" 12014, "▁[" 733, "/" 28748, ... */
    {
        int want[] = { 733, 16289, 28793, 12014, 733, 28748, 16289, 28793 };
        CHECK_MSG(ids_equal(a, na, want, 8), "v1 \"[INST] hi [/INST]\"");
        if (!ids_equal(a, na, want, 8)) print_ids("got", a, na);
    }
    /* a control token inside text with parse_special: dummy prefix again after it */
    CHECK(mw_tokenize(v3, "a</s>b", 6, MW_TOKENIZE_PARSE_SPECIAL, ids, 64, &n) == MW_OK);
    CHECK(n == 3 && ids[1] == 2 && strcmp(mw_token_text(v3, ids[0]), "\xE2\x96\x81" "a") == 0 &&
          strcmp(mw_token_text(v3, ids[2]), "\xE2\x96\x81" "b") == 0);

    /* end of generation */
    CHECK(mw_token_is_eog(v1, 2) == 1 && mw_token_is_eog(v1, 1) == 0 && mw_token_is_eog(v1, 28705) == 0);
    CHECK(mw_token_is_eog(v3, 2) == 1 && mw_token_is_eog(v3, 4) == 0 && mw_token_is_eog(v3, -1) == 0);
    CHECK(mw_token_bos(v3) == 1 && mw_token_eos(v3) == 2);
    CHECK(strcmp(mw_token_text(v3, 3), "[INST]") == 0 && mw_token_text(v3, 32768) == NULL);

    /* BOS / EOS flags, empty text */
    CHECK(mw_tokenize(v1, "", 0, MW_TOKENIZE_ADD_BOS, ids, 64, &n) == MW_OK && n == 1 && ids[0] == 1);
    CHECK(mw_tokenize(v1, "", 0, 0, ids, 64, &n) == MW_OK && n == 0);
    CHECK(mw_tokenize(v1, "Hello", 5, MW_TOKENIZE_ADD_BOS | MW_TOKENIZE_ADD_EOS, ids, 64, &n) ==
          MW_OK && n == 3 && ids[0] == 1 && ids[1] == 22557 && ids[2] == 2);
    mw_model_free(v1);
    mw_model_free(v3);
}

/* ---- streaming ------------------------------------------------------------------------ */

static void test_streaming(void)
{
    mw_model *m = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    if (!m) return;
    /* 鑫 = E9 91 AB as byte tokens: nothing until the third byte */
    int32_t b_e9 = 3 + 0xE9, b_91 = 3 + 0x91, b_ab = 3 + 0xAB;
    CHECK(strcmp(mw_token_text(m, b_e9), "<0xE9>") == 0);
    mw_detok *d;
    CHECK(mw_detok_create(m, &d) == MW_OK);
    char out[64];
    size_t n;
    CHECK(mw_detok_push(d, 1, out, sizeof out, &n) == MW_OK && n == 0);           /* <s> */
    CHECK(mw_detok_push(d, 28705, out, sizeof out, &n) == MW_OK && n == 1 && out[0] == ' ');
    CHECK(mw_detok_push(d, b_e9, out, sizeof out, &n) == MW_OK && n == 0);
    CHECK(mw_detok_push(d, b_91, out, sizeof out, &n) == MW_OK && n == 0);
    CHECK(mw_detok_push(d, b_ab, out, sizeof out, &n) == MW_OK && n == 3 &&
          memcmp(out, "\xE9\x91\xAB", 3) == 0);
    /* a too-small buffer changes nothing: the bytes come on the retry */
    CHECK(mw_detok_push(d, 22557, out, 2, &n) == MW_ERR_BUFFER_TOO_SMALL && n == 6);
    CHECK(mw_detok_push(d, 22557, out, sizeof out, &n) == MW_OK && n == 6 &&
          memcmp(out, " Hello", 6) == 0);
    /* a lead byte followed by a normal piece: proven invalid at once */
    CHECK(mw_detok_push(d, b_e9, out, sizeof out, &n) == MW_OK && n == 0);
    CHECK(mw_detok_push(d, 22557, out, sizeof out, &n) == MW_OK && n == 9 &&
          memcmp(out, "\xEF\xBF\xBD Hello", 9) == 0);
    /* an incomplete sequence at the end: U+FFFD at flush */
    CHECK(mw_detok_push(d, b_e9, out, sizeof out, &n) == MW_OK && n == 0);
    CHECK(mw_detok_push(d, b_91, out, sizeof out, &n) == MW_OK && n == 0);
    CHECK(mw_detok_flush(d, out, sizeof out, &n) == MW_OK && n == 3 &&
          memcmp(out, "\xEF\xBF\xBD", 3) == 0);
    CHECK(mw_detok_flush(d, out, sizeof out, &n) == MW_OK && n == 0);
    /* a lone continuation byte is invalid immediately */
    CHECK(mw_detok_push(d, b_91, out, sizeof out, &n) == MW_OK && n == 3);
    /* reset: the first piece loses its space again */
    mw_detok_reset(d);
    CHECK(mw_detok_push(d, 22557, out, sizeof out, &n) == MW_OK && n == 5 &&
          memcmp(out, "Hello", 5) == 0);
    CHECK(mw_detok_push(d, 999999, out, sizeof out, &n) == MW_ERR_INVALID_ARG);
    mw_detok_free(d);

    /* equivalence on a text full of multi-byte characters split over byte tokens */
    const char *s = "Ça coûte 12,50 € — 鑫鑫 🦙🦙 emoji 🤖 and ZWJ 👩‍💻 日本語 Привет\n\tend";
    int32_t ids[256], k;
    CHECK(mw_tokenize(m, s, strlen(s), MW_TOKENIZE_ADD_BOS, ids, 256, &k) == MW_OK);
    size_t dl, sl;
    char *whole = detok(m, ids, k, &dl);
    char *streamed = stream(m, ids, k, &sl);
    CHECK(dl == sl && memcmp(whole, streamed, dl) == 0);
    CHECK(dl == strlen(s) + 1 && whole[0] == ' ' && memcmp(whole + 1, s, strlen(s)) == 0);
    free(whole); free(streamed);
    /* and on every prefix of it (the cut can fall inside a character) */
    int prefix_ok = 1;
    for (int32_t j = 0; j <= k; j++) {
        char *a = detok(m, ids, j, &dl);
        char *b = stream(m, ids, j, &sl);
        /* whole-sequence bytes may end in half a character; the stream then ends in U+FFFD */
        size_t lead = dl;
        while (lead > 0 && ((unsigned char)a[lead - 1] & 0xC0) == 0x80) lead--;
        size_t cut = dl;
        if (lead > 0) {
            unsigned char c = (unsigned char)a[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (dl - (lead - 1) < want) cut = lead - 1;
        }
        if (cut == dl) prefix_ok &= sl == dl && memcmp(a, b, dl) == 0;
        else prefix_ok &= sl == cut + 3 && memcmp(a, b, cut) == 0 && memcmp(b + cut, "\xEF\xBF\xBD", 3) == 0;
        free(a); free(b);
    }
    CHECK(prefix_ok);
    mw_model_free(m);
}

/* ---- errors --------------------------------------------------------------------------- */

/* a little GGUF v3 with the given tokenizer.ggml.model and two tokens */
static size_t make_gguf(uint8_t *buf, const char *model)
{
    size_t p = 0;
#define U32(v) do { uint32_t x_ = (v); memcpy(buf + p, &x_, 4); p += 4; } while (0)
#define U64(v) do { uint64_t x_ = (v); memcpy(buf + p, &x_, 8); p += 8; } while (0)
#define STR(s) do { U64(strlen(s)); memcpy(buf + p, s, strlen(s)); p += strlen(s); } while (0)
    memcpy(buf, "GGUF", 4); p = 4;
    U32(3); U64(0); U64(2);
    STR("tokenizer.ggml.model"); U32(8); STR(model);
    STR("tokenizer.ggml.tokens"); U32(9); U32(8); U64(2); STR("a"); STR("b");
    while (p % 32) buf[p++] = 0;
    return p;
#undef U32
#undef U64
#undef STR
}

static void test_errors(void)
{
    uint8_t buf[512];
    size_t len = make_gguf(buf, "gpt2");
    mw_gguf *g = NULL;
    CHECK(mw_gguf_parse(buf, len, &g) == MW_OK);
    if (g) {
        mw_tokenizer *t = NULL;
        CHECK(mw_tokenizer_create(g, &t) == MW_ERR_UNSUPPORTED && t == NULL);
        CHECK(strstr(mw_last_error(), "gpt2") != NULL);
        mw_gguf_free(g);
    }
    len = make_gguf(buf, "llama");
    CHECK(mw_gguf_parse(buf, len, &g) == MW_OK);
    if (g) {
        mw_tokenizer *t = NULL;
        CHECK(mw_tokenizer_create(g, &t) == MW_OK && t != NULL);
        mw_tokenizer_free(t);
        mw_gguf_free(g);
    }

    mw_model *m = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    if (!m) return;
    int32_t ids[4], n = -1;
    const char *s = "Hello world, this is a test";
    CHECK(mw_tokenize(m, s, strlen(s), 0, ids, 2, &n) == MW_ERR_BUFFER_TOO_SMALL && n == 7);
    CHECK(mw_tokenize(m, s, strlen(s), 0, NULL, 0, &n) == MW_ERR_BUFFER_TOO_SMALL && n == 7);
    CHECK(mw_tokenize(NULL, s, 1, 0, ids, 4, &n) == MW_ERR_INVALID_ARG);
    CHECK(mw_tokenize(m, NULL, 3, 0, ids, 4, &n) == MW_ERR_INVALID_ARG);
    char out[8];
    size_t w = 0;
    int32_t hw[2] = { 22557, 1526 };   /* "▁Hello" "▁world" */
    CHECK(mw_detokenize(m, hw, 2, out, 4, &w) == MW_ERR_BUFFER_TOO_SMALL && w == 11);
    int32_t bad[1] = { 32000 };
    CHECK(mw_detokenize(m, bad, 1, out, 8, &w) == MW_ERR_INVALID_ARG);
    CHECK(mw_detokenize(NULL, hw, 2, out, 8, &w) == MW_ERR_INVALID_ARG);
    mw_detok *d = NULL;
    CHECK(mw_detok_create(NULL, &d) == MW_ERR_INVALID_ARG && d == NULL);
    CHECK(mw_token_text(NULL, 0) == NULL && mw_token_bos(NULL) == -1 && mw_token_is_eog(NULL, 2) == 0);
    mw_model_free(m);
}

/* ---- the special-token split ---------------------------------------------------------- */

/* A vocabulary GGUF (tokenizer.ggml.model "llama", tokens + token_type), kept in *b. */
static mw_tokenizer *make_tokenizer(gb *b, const char *const *tokens, const int32_t *types,
                                    uint32_t n)
{
    *b = (gb){ 0 };
    gb_header(b, 3, 0, 3);
    gb_kv_str(b, "tokenizer.ggml.model", "llama");
    gb_str(b, "tokenizer.ggml.tokens"); gb_u32(b, 9); gb_u32(b, 8); gb_u64(b, n);
    for (uint32_t i = 0; i < n; i++) gb_str(b, tokens[i]);
    gb_str(b, "tokenizer.ggml.token_type"); gb_u32(b, 9); gb_u32(b, 5); gb_u64(b, n);
    for (uint32_t i = 0; i < n; i++) gb_u32(b, (uint32_t)types[i]);
    gb_pad(b, 32);
    mw_gguf *g = NULL;
    mw_tokenizer *t = NULL;
    mw_status st = mw_gguf_parse(b->p, b->len, &g);
    if (st == MW_OK) st = mw_tokenizer_create(g, &t);
    CHECK_MSG(st == MW_OK, "vocabulary of %u tokens: %s", n, mw_last_error());
    mw_gguf_free(g);
    return t;
}

/* Random vocabularies over a 4-letter alphabet (overlapping specials, duplicates, all types) and
 * random texts: mw_tokenizer_split gives exactly the reference fragments. */
static void test_split_reference(void)
{
    uint64_t rng = 0x5EEDF00Dull;
    int cases = 0, same = 0;
    for (int v = 0; v < 150; v++) {
        char texts[24][8];
        const char *tokens[24];
        int32_t types[24];
        uint32_t n = 4 + test_rnd_u32(&rng) % 20;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = 1 + test_rnd_u32(&rng) % 4;
            for (uint32_t k = 0; k < len; k++) texts[i][k] = "ab<>"[test_rnd_u32(&rng) % 4];
            texts[i][len] = 0;
            if (i > 0 && test_rnd_u32(&rng) % 8 == 0) strcpy(texts[i], texts[test_rnd_u32(&rng) % i]);
            tokens[i] = texts[i];
            static const int32_t kinds[] = { MW_TOKEN_NORMAL, MW_TOKEN_CONTROL, MW_TOKEN_UNKNOWN,
                                             MW_TOKEN_USER_DEFINED, MW_TOKEN_USER_DEFINED };
            types[i] = kinds[test_rnd_u32(&rng) % 5];
        }
        gb b;
        mw_tokenizer *t = make_tokenizer(&b, tokens, types, n);
        if (!t) { free(b.p); return; }
        for (int k = 0; k < 40; k++) {
            char text[48];
            size_t len = test_rnd_u32(&rng) % sizeof text;
            for (size_t i = 0; i < len; i++) text[i] = "ab<>"[test_rnd_u32(&rng) % 4];
            int parse_special = k & 1;
            mw_fragment want[256], scratch[256];
            size_t n_want = reference_split(t, text, len, parse_special, want, scratch, 256);
            mw_fragments got;
            int ok = mw_tokenizer_split(t, text, len, parse_special, &got) == MW_OK &&
                     same_fragments(got.v, got.n, want, n_want);
            if (!ok && cases - same < 3)
                fprintf(stderr, "  split differs: vocabulary %d, text \"%.*s\", parse_special %d\n",
                        v, (int)len, text, parse_special);
            cases++;
            same += ok;
            mw_free(got.v);
        }
        mw_tokenizer_free(t);
        free(b.p);
    }
    CHECK_MSG(same == cases, "%d/%d random splits equal to the reference", same, cases);
}

/* Issue 15 item 5: the split looked at (specials x text) bytes, 30 s for 1 MB with a vocabulary
 * of many user-defined pieces. 4000 "<extra_id_N>" pieces and 1 MiB of text with 10000 of them
 * (and near misses) inside: the split must look at no more than 4 bytes per text byte. */
static void test_split_work(void)
{
    enum { N_EXTRA = 4000, TEXT = 1 << 20 };
    static char names[N_EXTRA][20];
    const char **tokens = malloc((N_EXTRA + 64) * sizeof *tokens);
    int32_t *types = malloc((N_EXTRA + 64) * sizeof *types);
    uint32_t n = 0;
    tokens[n] = "<unk>"; types[n++] = MW_TOKEN_UNKNOWN;
    tokens[n] = "<s>"; types[n++] = MW_TOKEN_CONTROL;
    tokens[n] = "</s>"; types[n++] = MW_TOKEN_CONTROL;
    static const char *const normal[] = { "\xE2\x96\x81", "a", "e", "i", "o", "s", "t", "<", ">",
                                          "_", "x", "d", "0", "1", "2", "3", "4", "5", "6", "7",
                                          "8", "9", "\xE2\x96\x81t", "es", "st" };
    for (size_t i = 0; i < sizeof normal / sizeof normal[0]; i++) {
        tokens[n] = normal[i]; types[n++] = MW_TOKEN_NORMAL;
    }
    for (int i = 0; i < N_EXTRA; i++) {
        snprintf(names[i], sizeof names[i], "<extra_id_%d>", i);
        tokens[n] = names[i]; types[n++] = MW_TOKEN_USER_DEFINED;
    }
    gb b;
    mw_tokenizer *t = make_tokenizer(&b, tokens, types, n);
    char *text = malloc(TEXT + 32);
    uint64_t rng = 42;
    size_t len = 0;
    int inserted = 0;
    while (len < TEXT) {
        uint32_t r = test_rnd_u32(&rng) % 100;
        if (r == 0) {           /* a piece, 1 in 100 */
            len += (size_t)sprintf(text + len, "<extra_id_%u>", test_rnd_u32(&rng) % N_EXTRA);
            inserted++;
        } else if (r == 1) {    /* a near miss: no closing '>' / an id past the vocabulary */
            len += (size_t)sprintf(text + len, test_rnd_u32(&rng) & 1 ? "<extra_id_%u " : "<extra_id_%u0000>",
                                   test_rnd_u32(&rng) % N_EXTRA);
        } else {
            text[len++] = " aeiost"[test_rnd_u32(&rng) % 7];
        }
    }
    if (t) {
        mw_fragments f;
        CHECK(mw_tokenizer_split(t, text, len, 0, &f) == MW_OK);
        int specials = 0;
        for (size_t i = 0; i < f.n; i++) specials += f.v[i].id >= 0;
        CHECK_MSG(specials == inserted, "%d pieces cut out, %d in the text", specials, inserted);
        CHECK_MSG(f.steps <= 4 * (uint64_t)len, "split looked at %llu bytes for %zu bytes of text "
                  "(%d user-defined pieces)", (unsigned long long)f.steps, len, N_EXTRA);
        printf("split work: %llu bytes looked at for %zu bytes of text, %d pieces\n",
               (unsigned long long)f.steps, len, specials);
        mw_free(f.v);
        /* and the encoding around them: every piece is its own id */
        int32_t cap = (int32_t)len + 8, n_ids = 0;
        int32_t *ids = malloc((size_t)cap * sizeof *ids);
        mw_id_sink sink = { ids, cap, 0 };
        CHECK(mw_tokenizer_encode(t, text, len, 0, &sink) == MW_OK);
        for (int32_t i = 0; i < sink.n && i < cap; i++)
            n_ids += t->type[ids[i]] == MW_TOKEN_USER_DEFINED;
        CHECK(n_ids == inserted);
        free(ids);
    }
    mw_tokenizer_free(t);
    free(text);
    free(b.p);
    free(tokens);
    free(types);
}

/* ---- allocation failures -------------------------------------------------------------- */

static long alloc_count, fail_at = -1;

static void *fail_alloc(void *user, size_t size)
{
    (void)user;
    if (alloc_count++ == fail_at) return NULL;
    return malloc(size ? size : 1);
}

static void *fail_realloc(void *user, void *p, size_t size)
{
    (void)user;
    if (alloc_count++ == fail_at) return NULL;
    return realloc(p, size ? size : 1);
}

static void fail_free(void *user, void *p) { (void)user; free(p); }

/* Fail every allocation in turn: each call must return MW_OK or MW_ERR_NO_MEMORY, never crash
 * or leak (the ASan build checks leaks), and succeed once nothing fails. */
static void test_alloc_failures(void)
{
    mw_allocator a = { fail_alloc, fail_realloc, fail_free, NULL };
    mw_set_allocator(&a);
    fail_at = -1;
    size_t size;
    void *bytes = test_read_file(TOKDIR "ggml-vocab-mistral-v3.gguf", &size);
    mw_model *m = open_model(TOKDIR "ggml-vocab-mistral-v3.gguf");
    mw_gguf *g = NULL;
    CHECK(bytes && mw_gguf_parse(bytes, size, &g) == MW_OK);
    if (!m || !g) { mw_set_allocator(NULL); return; }

    char text[3000];
    int k = snprintf(text, sizeof text, "[INST] hello </s> world [/INST] ");
    for (int i = 0; k < 2900; i++) text[k++] = "abcdefghijklmnopqrstuvwxyz"[i * 7 % 26];
    text[k] = 0;
    static const mw_chat_message chat[] = { { "system", "S", NULL, NULL }, { "user", "Hi", NULL, NULL },
                                            { "assistant", "Yo", NULL, NULL }, { "user", "Why", NULL, NULL } };
    int bad = 0, oom = 0, ok_all = 0;
    for (long f = 0; f < 400 && !ok_all; f++) {
        int32_t ids[4096], n;
        mw_tokenizer *t = NULL;
        alloc_count = 0;
        fail_at = f;
        mw_status s1 = mw_tokenize(m, text, (size_t)k, MW_TOKENIZE_PARSE_SPECIAL, ids, 4096, &n);
        alloc_count = 0;
        mw_status s2 = mw_chat_tokenize(m, MW_CHAT_MISTRAL_V3, chat, 4, ids, 4096, &n);
        alloc_count = 0;
        mw_status s3 = mw_tokenizer_create(g, &t);
        fail_at = -1;
        mw_tokenizer_free(t);
        bad += (s1 != MW_OK && s1 != MW_ERR_NO_MEMORY) || (s2 != MW_OK && s2 != MW_ERR_NO_MEMORY) ||
               (s3 != MW_OK && s3 != MW_ERR_NO_MEMORY) || (s3 != MW_OK && t != NULL);
        oom += s1 == MW_ERR_NO_MEMORY;
        ok_all = s1 == MW_OK && s2 == MW_OK && s3 == MW_OK;
    }
    CHECK(bad == 0);
    CHECK(oom > 0);       /* the failures were really hit */
    CHECK(ok_all);
    mw_gguf_free(g);
    free(bytes);
    mw_model_free(m);
    mw_set_allocator(NULL);
}

/* ---- a fragment too large for the address space ---------------------------------------- */

static void *capped_alloc(void *user, size_t size)
{
    (void)user;
    return size > ((size_t)1 << 30) ? NULL : malloc(size);
}

static void *capped_realloc(void *user, void *p, size_t size)
{
    (void)user;
    return size > ((size_t)1 << 30) ? NULL : realloc(p, size);
}

/* Issue 15 item 2: 9e7 spaces escape to 2.7e8 bytes ("▁" each), whose symbol array (16 bytes a
 * symbol) is past 4 GiB: with a 32-bit size_t (wasm32) the size wrapped, a small array was
 * allocated and the symbols were written out of bounds. Now MW_ERR_TOO_LARGE before any
 * allocation there. A 64-bit size_t holds the sizes: an allocator refusing more than 1 GiB at once
 * makes it MW_ERR_NO_MEMORY instead of a multi-gigabyte test. */
static void test_huge_fragment(void)
{
    mw_model *m = open_model(TOKDIR "ggml-vocab-mistral-v1.gguf");
    size_t len = 90000000;
    char *text = malloc(len);
    if (!m || !text) { mw_model_free(m); free(text); return; }
    memset(text, ' ', len);
    mw_allocator a = { capped_alloc, capped_realloc, fail_free, NULL };
    mw_set_allocator(&a);
    int32_t n = -1;
    mw_status st = mw_tokenize(m, text, len, 0, NULL, 0, &n);
    mw_set_allocator(NULL);
    mw_status want = sizeof(size_t) < 8 ? MW_ERR_TOO_LARGE : MW_ERR_NO_MEMORY;
    CHECK_MSG(st == want, "9e7 spaces: status %d (want %d): %s", (int)st, (int)want, mw_last_error());
    printf("9e7 spaces, %zu-bit size_t: %s\n", sizeof(size_t) * 8, mw_last_error());
    /* and the same model still works */
    int32_t ids[8];
    CHECK(mw_tokenize(m, "  Hello", 7, 0, ids, 8, &n) == MW_OK && n >= 2);
    free(text);
    mw_model_free(m);
}

int main(void)
{
    test_vectors("ggml-vocab-llama-spm.gguf");
    test_vectors("ggml-vocab-mistral-v1.gguf");
    test_vectors("ggml-vocab-mistral-v3.gguf");
    static const char *refs[] = {
        "mistral-s.F32", "mistral-s.F16", "mistral-s.BF16", "mistral-s.Q8_0", "mistral-s.Q4_0",
        "mistral-s.Q4_1", "mistral-s.Q5_0", "mistral-s.Q5_1", "mistral-s.Q2_K", "mistral-s.Q3_K_M",
        "mistral-s.Q4_K_M", "mistral-s.Q5_K_M", "mistral-s.Q6_K", "mixtral-s.F32", "mixtral-s.Q8_0",
        "mixtral-s.Q4_0", "mixtral-s.Q4_K_M", "mistral-v32k.Q4_K_M", "stories260K.F32",
        "stories260K.Q8_0",
    };
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        test_reference(refs[i]);
    printf("reference prompts: %d/%d ids, %d/%d detok, %d/%d greedy text_alone + text_hex\n",
           ref_ids_ok, ref_total, ref_detok_ok, ref_total, ref_gen_ok, ref_total);
    CHECK(ref_total == 20 && ref_ids_ok == 20);
    test_control();
    test_streaming();
    test_errors();
    test_alloc_failures();
    test_split_reference();
    test_split_work();
    test_huge_fragment();
    test_id_round_trip("ggml-vocab-mistral-v1.gguf", 0);
    test_id_round_trip("ggml-vocab-mistral-v3.gguf", 20);
    test_codepoints("ggml-vocab-mistral-v1.gguf");
    test_codepoints("ggml-vocab-mistral-v3.gguf");
    return TEST_REPORT();
}
