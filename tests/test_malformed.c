/*
 * test_malformed.c — corrupted GGUFs: a real small model (mistral-s.Q4_0) truncated at every
 * header offset and at many data offsets, and patched field by field (magic, version, counts,
 * lengths, types, dims, offsets), plus synthetic headers for what the real file cannot show
 * (alignment, duplicates, nested arrays). Each case must give the right status and a message
 * naming the problem; none may crash (run this under ASan/UBSan too).
 */
#include "harness.h"
#include "gguf.h"
#include "gguf_build.h"

static uint8_t *orig;
static int print_table;   /* MW_PRINT_TABLE=1: print "| case | status | message |" rows for docs */

static void table_row(const char *what, mw_status st)
{
    if (print_table)
        printf("| %s | `%s` | %s |\n", what, mw_status_name(st), st ? mw_last_error() : "");
}
static size_t orig_size;
static mw_gguf *orig_g;

/* Parse a patched copy of the real file; expect status and a message containing want. */
static void expect_patched(const char *what, size_t off, uint64_t value, int width,
                           mw_status want_st, const char *want_msg)
{
    uint8_t *b = malloc(orig_size);
    memcpy(b, orig, orig_size);
    gb_put_le(b + off, value, width);
    mw_model *m = NULL;
    mw_status st = mw_model_open_memory(b, orig_size, NULL, &m);
    table_row(what, st);
    CHECK_MSG(st == want_st && m == NULL, "%s: status %s, expected %s (%s)", what,
              mw_status_name(st), mw_status_name(want_st), mw_last_error());
    CHECK_MSG(strstr(mw_last_error(), want_msg) != NULL, "%s: message '%s' lacks '%s'", what,
              mw_last_error(), want_msg);
    mw_model_free(m);
    free(b);
}

static void expect_buf(const char *what, const gb *b, mw_status want_st, const char *want_msg)
{
    mw_gguf *g = NULL;
    mw_status st = mw_gguf_parse(b->p, b->len, &g);
    table_row(what, st);
    CHECK_MSG(st == want_st && (st != MW_OK) == (g == NULL), "%s: status %s, expected %s (%s)",
              what, mw_status_name(st), mw_status_name(want_st), mw_last_error());
    if (st != MW_OK)
        CHECK_MSG(strstr(mw_last_error(), want_msg) != NULL, "%s: message '%s' lacks '%s'", what,
                  mw_last_error(), want_msg);
    mw_gguf_free(g);
}

/* Offset of the field right after tensor `name`'s name string. */
static size_t after_tensor_name(const char *name)
{
    long at = gb_find_str(orig, (size_t)orig_g->data_offset, name);
    CHECK_MSG(at > 0, "tensor %s not found", name);
    return (size_t)at + 8 + strlen(name);
}

/* Offset of the value type field of key `key`. */
static size_t after_key(const char *key)
{
    long at = gb_find_str(orig, (size_t)orig_g->data_offset, key);
    CHECK_MSG(at > 0, "key %s not found", key);
    return (size_t)at + 8 + strlen(key);
}

/* File offset where the header ends (after the last tensor info). */
static size_t header_end_of(const mw_gguf *g)
{
    const mw_gguf_tensor *t = &g->tensors[g->n_tensors - 1];
    long at = gb_find_str(orig, (size_t)g->data_offset, t->name);
    CHECK(at > 0);
    return (size_t)at + 8 + strlen(t->name) + 4 + 8 * t->n_dims + 4 + 8;
}

/* Load a copy of the real file whose key `key` holds a value of another type / width (the
 * value bytes `val`, type id `type`), its data section moved to stay aligned; expect want_st
 * and a message containing want_msg. */
static void expect_kv(const char *what, const char *key, uint32_t type, const void *val,
                      size_t val_len, mw_status want_st, const char *want_msg)
{
    const size_t at = after_key(key);   /* the value type field */
    const uint32_t old_type = (uint32_t)gb_get_le(orig + at, 4);
    size_t old_len = mw_gguf_scalar_size(old_type);
    if (old_type == MW_GGUF_STRING)
        old_len = 8 + (size_t)gb_get_le(orig + at + 4, 8);
    const size_t hdr_end = header_end_of(orig_g);
    gb b = { 0 };
    gb_bytes(&b, orig, at);
    gb_u32(&b, type);
    gb_bytes(&b, val, val_len);
    gb_bytes(&b, orig + at + 4 + old_len, hdr_end - (at + 4 + old_len));
    gb_pad(&b, 32);
    gb_bytes(&b, orig + orig_g->data_offset, orig_size - (size_t)orig_g->data_offset);
    mw_model *m = NULL;
    mw_status st = mw_model_open_memory(b.p, b.len, NULL, &m);
    table_row(what, st);
    CHECK_MSG(st == want_st && (st != MW_OK) == (m == NULL), "%s: status %s, expected %s (%s)",
              what, mw_status_name(st), mw_status_name(want_st), mw_last_error());
    if (want_st)
        CHECK_MSG(strstr(mw_last_error(), want_msg) != NULL, "%s: message '%s' lacks '%s'", what,
                  mw_last_error(), want_msg);
    mw_model_free(m);
    free(b.p);
}

static void expect_kv_u64(const char *what, const char *key, uint64_t v, mw_status want_st,
                          const char *want_msg)
{
    uint8_t le[8];
    gb_put_le(le, v, 8);
    expect_kv(what, key, MW_GGUF_UINT64, le, 8, want_st, want_msg);
}

static void expect_kv_f32(const char *what, const char *key, float f, mw_status want_st,
                          const char *want_msg)
{
    expect_kv(what, key, MW_GGUF_FLOAT32, &f, 4, want_st, want_msg);
}

static void expect_kv_str(const char *what, const char *key, const char *v, mw_status want_st,
                          const char *want_msg)
{
    uint8_t buf[256];
    size_t n = strlen(v);
    gb_put_le(buf, n, 8);
    memcpy(buf + 8, v, n);
    expect_kv(what, key, MW_GGUF_STRING, buf, 8 + n, want_st, want_msg);
}

/* Metadata values that do not fit their field, or make no sense, are refused by name. */
static void test_bad_metadata(void)
{
    /* the rewriting itself keeps the file loadable */
    expect_kv_u64("head_count_kv as uint64 2", "llama.attention.head_count_kv", 2, MW_OK, "");
    expect_kv_u64("head_count_kv 2^32+2", "llama.attention.head_count_kv", ((uint64_t)1 << 32) + 2,
                  MW_ERR_BAD_FORMAT, "llama.attention.head_count_kv = 4294967298 is out of range");
    expect_kv_u64("context_length 2^31", "llama.context_length", (uint64_t)1 << 31,
                  MW_ERR_BAD_FORMAT, "llama.context_length = 2147483648 is out of range");
    expect_kv_u64("block_count 2^32+2", "llama.block_count", ((uint64_t)1 << 32) + 2,
                  MW_ERR_BAD_FORMAT, "llama.block_count = 4294967298 is out of range");
    const float nan = (float)NAN;
    expect_kv_f32("rope.freq_base NaN", "llama.rope.freq_base", nan, MW_ERR_BAD_FORMAT,
                  "llama.rope.freq_base is NaN: it must be a positive finite number");
    expect_kv_f32("rope.freq_base 0", "llama.rope.freq_base", 0.0f, MW_ERR_BAD_FORMAT,
                  "llama.rope.freq_base is zero");
    expect_kv_f32("rope.freq_base -10000", "llama.rope.freq_base", -10000.0f, MW_ERR_BAD_FORMAT,
                  "llama.rope.freq_base is negative");
    expect_kv_f32("rope.freq_base inf", "llama.rope.freq_base", (float)INFINITY, MW_ERR_BAD_FORMAT,
                  "llama.rope.freq_base is infinite");
    expect_kv_f32("rms_epsilon 0", "llama.attention.layer_norm_rms_epsilon", 0.0f,
                  MW_ERR_BAD_FORMAT, "llama.attention.layer_norm_rms_epsilon is zero");
    expect_kv_f32("rms_epsilon NaN", "llama.attention.layer_norm_rms_epsilon", nan,
                  MW_ERR_BAD_FORMAT, "llama.attention.layer_norm_rms_epsilon is NaN");
    expect_kv_f32("rms_epsilon -1e-5", "llama.attention.layer_norm_rms_epsilon", -1e-5f,
                  MW_ERR_BAD_FORMAT, "layer_norm_rms_epsilon is negative");
    /* optional keys of the wrong type */
    expect_kv_str("context_length as a string", "llama.context_length", "512", MW_ERR_BAD_FORMAT,
                  "GGUF key 'llama.context_length' has type string, expected an integer");
    expect_kv_str("rope.freq_base as a string", "llama.rope.freq_base", "1e4", MW_ERR_BAD_FORMAT,
                  "GGUF key 'llama.rope.freq_base' has type string, expected a number");
    expect_kv_str("eos_token_id as a string", "tokenizer.ggml.eos_token_id", "2",
                  MW_ERR_BAD_FORMAT, "'tokenizer.ggml.eos_token_id' has type string, expected an integer");
    expect_kv_u64("general.name as uint64", "general.name", 7, MW_ERR_BAD_FORMAT,
                  "GGUF key 'general.name' has type uint64, expected string");
    /* token ids outside the vocabulary (512 tokens) */
    expect_patched("eos_token_id 512", after_key("tokenizer.ggml.eos_token_id") + 4, 512, 4,
                   MW_ERR_BAD_FORMAT, "tokenizer.ggml.eos_token_id = 512 is not a token of the "
                   "vocabulary (512 tokens)");
    expect_patched("bos_token_id 2^32-1", after_key("tokenizer.ggml.bos_token_id") + 4,
                   UINT32_MAX, 4, MW_ERR_BAD_FORMAT, "tokenizer.ggml.bos_token_id = 4294967295 is "
                   "out of range");
}

static void test_truncation(void)
{
    /* every prefix inside the header, through both the parser and the memory source */
    int bad_parse = 0, bad_open = 0, no_msg = 0;
    size_t header_end = 0;
    for (size_t k = 0; k < (size_t)orig_g->data_offset; k++) {
        mw_gguf *g = NULL;
        mw_status st = mw_gguf_parse(orig, k, &g);
        if (st == MW_OK) {
            header_end = k;
            mw_gguf_free(g);
            break;
        }
        if (st != MW_ERR_TRUNCATED)
            bad_parse++;
        if (k && !strstr(mw_last_error(), "truncated"))
            no_msg++;
        mw_model *m = NULL;
        if (mw_model_open_memory(orig, k, NULL, &m) != MW_ERR_TRUNCATED || m)
            bad_open++;
    }
    CHECK_MSG(header_end > 1000, "header end %zu", header_end);
    CHECK_MSG(bad_parse == 0 && bad_open == 0 && no_msg == 0, "header prefixes: %d parse, %d open, "
              "%d without message", bad_parse, bad_open, no_msg);
    /* prefixes between the header end and the data section parse but do not load */
    int bad = 0;
    for (size_t k = header_end; k <= (size_t)orig_g->data_offset; k++) {
        mw_model *m = NULL;
        if (mw_model_open_memory(orig, k, NULL, &m) != MW_ERR_TRUNCATED || m)
            bad++;
    }
    CHECK(bad == 0);
    /* inside the data section: the message gives both byte counts */
    size_t step = orig_size / 97 + 1;
    bad = 0;
    for (size_t k = (size_t)orig_g->data_offset; k < orig_size; k += step) {
        mw_model *m = NULL;
        char want[128];
        snprintf(want, sizeof want, "file ends at byte %zu, tensor data needs %zu", k, orig_size);
        if (mw_model_open_memory(orig, k, NULL, &m) != MW_ERR_TRUNCATED || m ||
            !strstr(mw_last_error(), want))
            bad++;
        /* the push loader, fed in odd chunks, agrees */
        mw_loader *l;
        CHECK(mw_loader_create(NULL, &l) == MW_OK);
        for (size_t off = 0; off < k; off += 3001)
            mw_loader_feed(l, orig + off, MW_MIN(3001, k - off));
        if (mw_loader_finish(l, &m) != MW_ERR_TRUNCATED || m || !strstr(mw_last_error(), want))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d data truncations misreported", bad);
    mw_model *m = NULL;
    CHECK(mw_model_open_memory(orig, orig_size - 1, NULL, &m) == MW_ERR_TRUNCATED);
}

static void test_patched_fields(void)
{
    expect_patched("bad magic", 0, 0x58554747 /* "GGUX" */, 4, MW_ERR_BAD_FORMAT, "magic");
    expect_patched("version 1", 4, 1, 4, MW_ERR_UNSUPPORTED, "version 1");
    expect_patched("version 99", 4, 99, 4, MW_ERR_UNSUPPORTED, "version 99");
    expect_patched("n_tensors 2^62", 8, (uint64_t)1 << 62, 8, MW_ERR_BAD_FORMAT, "n_tensors");
    expect_patched("n_kv 2^40", 16, (uint64_t)1 << 40, 8, MW_ERR_BAD_FORMAT, "n_kv");
    expect_patched("n_kv 2^64-1", 16, UINT64_MAX, 8, MW_ERR_BAD_FORMAT, "n_kv");
    /* the first key's length (at byte 24) */
    expect_patched("key length 2^60", 24, (uint64_t)1 << 60, 8, MW_ERR_BAD_FORMAT, "key");
    expect_patched("key length 0", 24, 0, 8, MW_ERR_BAD_FORMAT, "invalid length 0");
    /* general.architecture: type then string length */
    size_t arch = after_key("general.architecture");
    expect_patched("value type 13", arch, 13, 4, MW_ERR_BAD_FORMAT, "unknown value type 13");
    expect_patched("value type 2^31", arch, 0x80000000u, 4, MW_ERR_BAD_FORMAT, "unknown value type");
    expect_patched("string length huge", arch + 4, (uint64_t)1 << 50, 8, MW_ERR_BAD_FORMAT,
                   "string value");
    /* tokenizer.ggml.tokens: type ARRAY, element type, count */
    size_t toks = after_key("tokenizer.ggml.tokens");
    expect_patched("array count huge", toks + 8, (uint64_t)1 << 58, 8, MW_ERR_BAD_FORMAT,
                   "array count");
    expect_patched("array element type 13", toks + 4, 13, 4, MW_ERR_BAD_FORMAT,
                   "unknown array element type 13");
    expect_patched("array of arrays", toks + 4, MW_GGUF_ARRAY, 4, MW_ERR_UNSUPPORTED,
                   "arrays of arrays");
    size_t scores = after_key("tokenizer.ggml.scores");
    expect_patched("float array count huge", scores + 8, (uint64_t)1 << 40, 8,
                   MW_ERR_BAD_FORMAT, "tokenizer.ggml.scores");
    /* a tensor info: n_dims u32, ne[2] u64, type u32, offset u64 */
    size_t q = after_tensor_name("blk.0.attn_q.weight");
    expect_patched("n_dims 5", q, 5, 4, MW_ERR_BAD_FORMAT, "n_dims 5");
    expect_patched("n_dims 0", q, 0, 4, MW_ERR_BAD_FORMAT, "n_dims 0");
    expect_patched("dim 0", q + 4 + 8, 0, 8, MW_ERR_BAD_FORMAT, "blk.0.attn_q.weight': dimension 1 is 0");
    expect_patched("dim negative", q + 4, (uint64_t)-256, 8, MW_ERR_BAD_FORMAT, "dimension 0");
    expect_patched("dims overflow", q + 4 + 8, (uint64_t)1 << 60, 8, MW_ERR_BAD_FORMAT, "overflow");
    expect_patched("row not a block multiple", q + 4, 250, 8, MW_ERR_BAD_FORMAT,
                   "row length 250 is not a multiple");
    expect_patched("tensor type 99", q + 4 + 16, 99, 4, MW_ERR_UNSUPPORTED,
                   "blk.0.attn_q.weight': tensor type 99");
    expect_patched("tensor type 4 (removed Q4_2)", q + 4 + 16, 4, 4, MW_ERR_UNSUPPORTED, "type 4");
    expect_patched("misaligned offset", q + 4 + 16 + 4,
                   gb_get_le(orig + q + 24, 8) + 1, 8, MW_ERR_BAD_FORMAT,
                   "not a multiple of the alignment 32");
    expect_patched("offset overflow", q + 4 + 16 + 4, UINT64_MAX - 31, 8, MW_ERR_BAD_FORMAT,
                   "overflows");
    /* a tensor past the end of the file: well-formed header, truncated data */
    char want[96];
    snprintf(want, sizeof want, "file ends at byte %zu, tensor data needs", orig_size);
    expect_patched("offset past end", q + 4 + 16 + 4, (uint64_t)orig_g->data_size, 8,
                   MW_ERR_TRUNCATED, want);
    /* a tensor at 1 TiB: the budget counts the tensors' bytes (the gap before it is never
     * allocated), so on wasm32 too the file is refused as truncated */
    expect_patched("offset far past end", q + 4 + 16 + 4, (uint64_t)1 << 40, 8,
                   MW_ERR_TRUNCATED, want);
    /* duplicate tensor name: rename blk.1.attn_q to blk.0.attn_q */
    long at = gb_find_str(orig, (size_t)orig_g->data_offset, "blk.1.attn_q.weight");
    CHECK(at > 0);
    expect_patched("duplicate tensor", (size_t)at + 8 + 4, '0', 1, MW_ERR_BAD_FORMAT,
                   "tensor 'blk.0.attn_q.weight' appears twice");
    /* duplicate key: rename general.name to general.architecture's... use eos -> bos */
    at = gb_find_str(orig, (size_t)orig_g->data_offset, "tokenizer.ggml.eos_token_id");
    CHECK(at > 0);
    expect_patched("duplicate key", (size_t)at + 8 + 15, 'b', 1, MW_ERR_BAD_FORMAT,
                   "appears twice");
}

static void test_synthetic(void)
{
    gb b = gb_minimal();
    expect_buf("minimal", &b, MW_OK, "");
    mw_gguf *g = NULL;
    CHECK(mw_gguf_parse(b.p, b.len, &g) == MW_OK);
    if (g) {
        CHECK(g->data_offset == 160 && g->data_size == 32 && g->alignment == 32);
        int64_t v;
        CHECK(mw_gguf_get_int(g, "general.alignment", &v) == 1 && v == 32);
    }
    mw_gguf_free(g);
    free(b.p);

    static const struct { uint32_t align; mw_status st; const char *msg; } aligns[] = {
        { 3, MW_ERR_BAD_FORMAT, "general.alignment 3 is not a power of two" },
        { 0, MW_ERR_BAD_FORMAT, "general.alignment 0" },
        { 48, MW_ERR_BAD_FORMAT, "not a power of two" },
        { 0x80000000u, MW_ERR_BAD_FORMAT, "general.alignment 2147483648 is larger than 2^30" },
        { 1, MW_OK, "" }, { 64, MW_OK, "" },
    };
    for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
        b = (gb){ 0 };
        gb_header(&b, 3, 1, 1);
        gb_kv_u32(&b, "general.alignment", aligns[i].align);
        gb_tensor(&b, "t", 1, (uint64_t[]){ 8 }, 0, 0);
        expect_buf("alignment", &b, aligns[i].st, aligns[i].msg);
        free(b.p);
    }
    /* alignment as a float */
    b = (gb){ 0 };
    gb_header(&b, 2, 0, 1);
    gb_kv_f32(&b, "general.alignment", 32.0f);
    expect_buf("float alignment", &b, MW_ERR_BAD_FORMAT, "expected an integer");
    free(b.p);
    /* names are looked up as C strings: a NUL inside a key or tensor name is refused */
    b = (gb){ 0 };
    gb_header(&b, 3, 0, 1);
    gb_u64(&b, 3); gb_bytes(&b, "\0ab", 3); gb_u32(&b, MW_GGUF_UINT8); gb_le(&b, 1, 1);
    expect_buf("NUL in key", &b, MW_ERR_BAD_FORMAT, "contains a NUL byte");
    free(b.p);
    b = (gb){ 0 };
    gb_header(&b, 3, 1, 0);
    gb_u64(&b, 3); gb_bytes(&b, "a\0b", 3);
    gb_u32(&b, 1); gb_u64(&b, 8); gb_u32(&b, 0); gb_u64(&b, 0);
    expect_buf("NUL in tensor name", &b, MW_ERR_BAD_FORMAT, "NUL byte in its name");
    free(b.p);
    /* a 70000-byte tensor name */
    b = (gb){ 0 };
    gb_header(&b, 3, 1, 0);
    char *long_name = malloc(70001);
    memset(long_name, 'n', 70000);
    long_name[70000] = '\0';
    gb_tensor(&b, long_name, 1, (uint64_t[]){ 8 }, 0, 0);
    expect_buf("tensor name 70000 bytes", &b, MW_ERR_BAD_FORMAT, "name length 70000 too long");
    free(long_name);
    free(b.p);
    /* version 2 parses like 3 */
    b = (gb){ 0 };
    gb_header(&b, 2, 0, 1);
    gb_kv_str(&b, "general.architecture", "llama");
    expect_buf("v2", &b, MW_OK, "");
    free(b.p);
    /* duplicate key */
    b = (gb){ 0 };
    gb_header(&b, 3, 0, 2);
    gb_kv_u32(&b, "a.b", 1);
    gb_kv_u32(&b, "a.b", 2);
    expect_buf("dup key", &b, MW_ERR_BAD_FORMAT, "key 'a.b' appears twice");
    free(b.p);
    /* offset aligned to a custom alignment */
    b = (gb){ 0 };
    gb_header(&b, 3, 2, 1);
    gb_kv_u32(&b, "general.alignment", 64);
    gb_tensor(&b, "a", 1, (uint64_t[]){ 32 }, 2 /* Q4_0 */, 0);
    gb_tensor(&b, "b", 1, (uint64_t[]){ 8 }, 0, 32);
    expect_buf("offset vs alignment 64", &b, MW_ERR_BAD_FORMAT, "'b': offset 32 is not a multiple "
               "of the alignment 64");
    free(b.p);
    /* overlapping and out-of-order tensors are allowed; data_size is the furthest end */
    b = (gb){ 0 };
    gb_header(&b, 3, 3, 0);
    gb_tensor(&b, "a", 2, (uint64_t[]){ 8, 4 }, 0, 64);
    gb_tensor(&b, "b", 1, (uint64_t[]){ 8 }, 0, 0);
    gb_tensor(&b, "c", 1, (uint64_t[]){ 8 }, 0, 64);
    g = NULL;
    CHECK(mw_gguf_parse(b.p, b.len, &g) == MW_OK);
    CHECK(g && g->data_size == 64 + 128);
    mw_gguf_free(g);
    free(b.p);
    /* a key with bytes that are not UTF-8 is kept as is */
    b = (gb){ 0 };
    gb_header(&b, 3, 0, 1);
    gb_kv_str(&b, "k\xff", "v\xfe\x00w");
    g = NULL;
    CHECK(mw_gguf_parse(b.p, b.len, &g) == MW_OK);
    const char *s;
    CHECK(g && mw_gguf_get_str(g, "k\xff", &s) == 1 && strcmp(s, "v\xfe") == 0);
    mw_gguf_free(g);
    free(b.p);
    /* 4-D tensor with a Q8_0 row of 64 */
    b = (gb){ 0 };
    gb_header(&b, 3, 1, 0);
    gb_tensor(&b, "q", 4, (uint64_t[]){ 64, 2, 3, 4 }, 8, 0);
    g = NULL;
    CHECK(mw_gguf_parse(b.p, b.len, &g) == MW_OK);
    CHECK(g && g->tensors[0].nbytes == 2 * 34 * 24 && g->tensors[0].ne[3] == 4);
    mw_gguf_free(g);
    free(b.p);
    /* bool and every scalar type round-trip through the getters */
    b = (gb){ 0 };
    gb_header(&b, 3, 0, 4);
    gb_str(&b, "i8"); gb_u32(&b, MW_GGUF_INT8); gb_le(&b, 0xFE, 1);
    gb_str(&b, "i64"); gb_u32(&b, MW_GGUF_INT64); gb_u64(&b, (uint64_t)-5);
    gb_str(&b, "u64"); gb_u32(&b, MW_GGUF_UINT64); gb_u64(&b, UINT64_MAX);
    gb_str(&b, "f64"); gb_u32(&b, MW_GGUF_FLOAT64); gb_u64(&b, 0x3FF8000000000000ULL);  /* 1.5 */
    g = NULL;
    CHECK(mw_gguf_parse(b.p, b.len, &g) == MW_OK);
    int64_t v = 0;
    double f = 0;
    CHECK(g && mw_gguf_get_int(g, "i8", &v) == 1 && v == -2);
    CHECK(g && mw_gguf_get_int(g, "i64", &v) == 1 && v == -5);
    CHECK(g && mw_gguf_get_int(g, "u64", &v) < 0 && strstr(mw_last_error(), "out of range"));
    CHECK(g && mw_gguf_get_float(g, "f64", &f) == 1 && f == 1.5);
    CHECK(g && mw_gguf_get_int(g, "f64", &v) < 0);
    mw_gguf_free(g);
    free(b.p);
    /* NULL arguments */
    CHECK(mw_gguf_parse(NULL, 10, &g) == MW_ERR_INVALID_ARG);
    CHECK(mw_gguf_parse((const uint8_t *)"GGUF", 4, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_gguf_find(NULL, "x") == NULL && mw_gguf_find_tensor(NULL, "x") == NULL);
    mw_gguf_free(NULL);
}

int main(void)
{
    print_table = getenv("MW_PRINT_TABLE") != NULL;
    orig = test_read_file(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf", &orig_size);
    CHECK(orig != NULL);
    if (!orig)
        return TEST_REPORT();
    CHECK(mw_gguf_parse(orig, orig_size, &orig_g) == MW_OK);
    if (orig_g) {
        test_truncation();
        test_patched_fields();
        test_bad_metadata();
    }
    test_synthetic();
    mw_gguf_free(orig_g);
    free(orig);
    return TEST_REPORT();
}
