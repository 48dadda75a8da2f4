/*
 * test_loader.c — the byte sources and the push loader: file, memory (copied and borrowed,
 * aligned and not), read callback and chunked pushes (1, 7, 4096, ... bytes) all give the
 * same tensor bytes; header readiness and info before the weights arrive; memory limits;
 * truncation, trailing bytes, sticky errors, I/O failures and argument checks.
 */
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "gguf.h"
#include "model.h"

typedef struct file { uint8_t *buf; size_t size; mw_gguf *g; } file;

static file load(const char *path)
{
    file f = { 0 };
    f.buf = test_read_file(path, &f.size);
    CHECK_MSG(f.buf != NULL, "read %s", path);
    if (f.buf)
        CHECK_MSG(mw_gguf_parse(f.buf, f.size, &f.g) == MW_OK, "%s: %s", path, mw_last_error());
    return f;
}

static void unload(file *f)
{
    mw_gguf_free(f->g);
    free(f->buf);
}

/* The model's tensor bytes are exactly the file's data section, with the weights the model
 * repacked for the kernels (SIMD builds, owned data only) repacked the same way. */
static int same_data(const mw_model *m, const file *f)
{
    if (!m || !f->g)
        return 0;
    if (m->gguf->data_size != f->g->data_size || m->gguf->data_offset != f->g->data_offset)
        return 0;
    const size_t n = (size_t)f->g->data_size;
    uint8_t *want = malloc(n + 1), *got = malloc(n + 1);
    int same = 0;
    if (want && got) {
        memcpy(want, f->buf + f->g->data_offset, n);
        memcpy(got, want, n);   /* bytes between blocks, if any, are not stored */
        mw_model_repack_like(m, want);
        mw_data_copy_out(&m->data, got);
        same = memcmp(got, want, n) == 0;
    }
    free(want);
    free(got);
    return same;
}

/* Where the model holds the first byte of the data section (every test file has a tensor at
 * offset 0). */
static const uint8_t *first_block(const mw_model *m)
{
    return m && m->data.n_blocks ? m->data.blocks[0].ptr : NULL;
}

static mw_status push(const file *f, size_t chunk, size_t total, const mw_model_params *p,
                      mw_model **out)
{
    mw_loader *l;
    mw_status st = mw_loader_create(p, &l);
    if (st)
        return st;
    for (size_t off = 0; off < total; off += chunk) {
        size_t n = MW_MIN(chunk, total - off);
        st = mw_loader_feed(l, f->buf + off, n);
        if (st) {
            mw_status st2 = mw_loader_finish(l, out);   /* frees; reports the same error */
            CHECK(st2 == st);
            return st;
        }
    }
    return mw_loader_finish(l, out);
}

typedef struct reader { const uint8_t *buf; size_t size, pos; uint32_t rng; int64_t fail_at; } reader;

/* Gives random-sized short reads; fails once pos reaches fail_at (if >= 0). */
static int64_t read_cb(void *user, void *dst, size_t size)
{
    reader *r = user;
    if (r->fail_at >= 0 && r->pos >= (size_t)r->fail_at)
        return -1;
    r->rng = r->rng * 1103515245u + 12345u;
    size_t n = MW_MIN(size, (size_t)(r->rng >> 8) % 70000 + 1);
    n = MW_MIN(n, r->size - r->pos);
    memcpy(dst, r->buf + r->pos, n);
    r->pos += n;
    return (int64_t)n;
}

static int64_t read_too_much(void *user, void *dst, size_t size)
{
    (void)user; (void)dst;
    return (int64_t)size + 1;
}

static void test_sources(const char *path)
{
    file f = load(path);
    if (!f.g)
        return;
    mw_model *m = NULL;

    CHECK_MSG(mw_model_open_file(path, NULL, &m) == MW_OK, "open_file %s: %s", path, mw_last_error());
    CHECK_MSG(same_data(m, &f), "open_file %s", path);
    CHECK(m && m->owns_data);
    mw_model_free(m);

    CHECK(mw_model_open_memory(f.buf, f.size, NULL, &m) == MW_OK);
    CHECK_MSG(same_data(m, &f), "open_memory copy %s", path);
    CHECK(m && m->owns_data && first_block(m) != f.buf + f.g->data_offset);
    mw_model_free(m);

    /* borrowed from a 64-aligned buffer: the data section is used in place */
    void *al = NULL;
    CHECK(posix_memalign(&al, 64, f.size + 64) == 0);
    memcpy(al, f.buf, f.size);
    mw_model_params p = mw_model_params_default();
    p.borrow_memory = 1;
    CHECK(mw_model_open_memory(al, f.size, &p, &m) == MW_OK);
    CHECK_MSG(same_data(m, &f), "open_memory borrow %s", path);
    CHECK(m && !m->owns_data && first_block(m) == (uint8_t *)al + f.g->data_offset);
    mw_model_free(m);
    /* borrowed from an odd address: data would be misaligned, so it is copied */
    memmove((uint8_t *)al + 1, f.buf, f.size);
    CHECK(mw_model_open_memory((uint8_t *)al + 1, f.size, &p, &m) == MW_OK);
    CHECK_MSG(same_data(m, &f), "open_memory misaligned borrow %s", path);
    /* (a copy is MW_TENSOR_ALIGN-aligned whatever the allocator's alignment) */
    CHECK(m && m->owns_data && first_block(m) != (uint8_t *)al + 1 + f.g->data_offset &&
          ((uintptr_t)first_block(m) % MW_TENSOR_ALIGN) == 0);
    mw_model_free(m);
    free(al);

    reader r = { f.buf, f.size, 0, 7, -1 };
    CHECK(mw_model_open_reader(read_cb, &r, NULL, &m) == MW_OK);
    CHECK_MSG(same_data(m, &f), "open_reader %s", path);
    mw_model_free(m);

    static const size_t chunks[] = { 1, 7, 4096, 65536 + 3, (size_t)1 << 30 };
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        m = NULL;
        CHECK_MSG(push(&f, chunks[i], f.size, NULL, &m) == MW_OK, "push %zu: %s", chunks[i],
                  mw_last_error());
        CHECK_MSG(same_data(m, &f), "push chunk %zu %s", chunks[i], path);
        mw_model_free(m);
    }
    unload(&f);
}

static void test_header_ready(void)
{
    file f = load(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf");
    if (!f.g)
        return;
    mw_loader *l;
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    uint64_t fs = 0;
    mw_model_info info;
    CHECK(mw_loader_header_ready(l, &fs) == 0);
    CHECK(mw_loader_get_info(l, &info) == MW_ERR_STATE);
    CHECK(strstr(mw_last_error(), "header") != NULL);
    /* feed the file in 1000-byte chunks; the header must be ready well before the data ends,
     * at most when twice the header length has arrived */
    size_t ready_at = 0;
    for (size_t off = 0; off < f.size; off += 1000) {
        CHECK(mw_loader_feed(l, f.buf + off, MW_MIN(1000, f.size - off)) == MW_OK);
        if (!ready_at && mw_loader_header_ready(l, &fs))
            ready_at = off + 1000;
    }
    CHECK_MSG(ready_at > 0 && ready_at <= 2 * f.g->data_offset + 1000, "header ready at %zu", ready_at);
    CHECK(fs == f.g->data_offset + f.g->data_size && fs == f.size);
    CHECK(mw_loader_get_info(l, &info) == MW_OK);
    CHECK(info.n_embd == 256 && info.n_layer == 2 && info.n_vocab == 512);
    mw_model *m = NULL;
    CHECK(mw_loader_finish(l, &m) == MW_OK);
    CHECK(same_data(m, &f));
    mw_model_free(m);

    /* freeing a loader mid-stream leaks nothing (checked by ASan builds) */
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_feed(l, f.buf, f.size / 2) == MW_OK);
    CHECK(mw_loader_header_ready(l, NULL) == 1);
    mw_loader_free(l);
    mw_loader_free(NULL);
    unload(&f);
}

static void test_limits_and_truncation(void)
{
    const char *path = MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf";
    file f = load(path);
    if (!f.g)
        return;
    /* the budget: the weights + the smallest session + the reserve (mw_memory_check) */
    mw_model_info info;
    mw_memory_need nd;
    CHECK(mw_model_info_from_gguf(f.g, &info) == MW_OK);
    CHECK(mw_memory_check(&info, NULL, 0, &nd) == MW_OK);
    uint64_t need = nd.total_bytes;
    CHECK(need > f.g->data_size + MW_MEMORY_RESERVE);
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)need);
    mw_model_params p = mw_model_params_default();
    CHECK(p.memory_limit == 0 && p.borrow_memory == 0);
    p.memory_limit = need - 1;
    mw_model *m = (mw_model *)&p;   /* must be reset to NULL on failure */
    CHECK(mw_model_open_memory(f.buf, f.size, &p, &m) == MW_ERR_TOO_LARGE && m == NULL);
    CHECK_MSG(strstr(mw_last_error(), num) && strstr(mw_last_error(), "memory_limit"), "%s", mw_last_error());
    p.borrow_memory = 1;   /* the budget applies to borrowed weights too */
    CHECK(mw_model_open_memory(f.buf, f.size, &p, &m) == MW_ERR_TOO_LARGE);
    p.borrow_memory = 0;
    CHECK(mw_model_open_file(path, &p, &m) == MW_ERR_TOO_LARGE);
    CHECK_MSG(strstr(mw_last_error(), num) && strstr(mw_last_error(), path), "%s", mw_last_error());
    /* the push loader refuses as soon as the header is in, before the weights arrive */
    mw_loader *l;
    CHECK(mw_loader_create(&p, &l) == MW_OK);
    mw_status st = MW_OK;
    size_t off = 0;
    for (; off < f.size && st == MW_OK; off += 4096)
        st = mw_loader_feed(l, f.buf + off, MW_MIN(4096, f.size - off));
    CHECK(st == MW_ERR_TOO_LARGE && off < f.size / 2);
    CHECK(mw_loader_feed(l, f.buf, 10) == MW_ERR_TOO_LARGE);   /* sticky */
    CHECK(strstr(mw_last_error(), num) != NULL);
    CHECK(mw_loader_finish(l, &m) == MW_ERR_TOO_LARGE && m == NULL);
    p.memory_limit = need;
    CHECK(mw_model_open_memory(f.buf, f.size, &p, &m) == MW_OK);
    mw_model_free(m);

    /* truncated in the data: exact byte counts in the message */
    char msg[160];
    snprintf(msg, sizeof msg, "file ends at byte %zu, tensor data needs %zu", f.size - 1, f.size);
    CHECK(push(&f, 4096, f.size - 1, NULL, &m) == MW_ERR_TRUNCATED && m == NULL);
    CHECK_MSG(strstr(mw_last_error(), msg), "%s", mw_last_error());
    CHECK(mw_model_open_memory(f.buf, f.size - 1, NULL, &m) == MW_ERR_TRUNCATED);
    CHECK_MSG(strstr(mw_last_error(), msg), "%s", mw_last_error());
    reader r = { f.buf, f.size - 1, 0, 1, -1 };
    CHECK(mw_model_open_reader(read_cb, &r, NULL, &m) == MW_ERR_TRUNCATED);
    CHECK_MSG(strstr(mw_last_error(), msg), "%s", mw_last_error());
    /* a truncated file is refused from its size, before the data is read */
    /* in the working directory: WASI runtimes see it, not necessarily /tmp */
    const char *tmp = "mw_test_loader_truncated.gguf";
    FILE *tf = fopen(tmp, "wb");
    CHECK(tf != NULL);
    if (tf) {
        CHECK(fwrite(f.buf, 1, f.size / 2, tf) == f.size / 2);
        fclose(tf);
        CHECK(mw_model_open_file(tmp, NULL, &m) == MW_ERR_TRUNCATED);
        snprintf(msg, sizeof msg, "file ends at byte %zu, tensor data needs %zu", f.size / 2, f.size);
        CHECK_MSG(strstr(mw_last_error(), msg) && strstr(mw_last_error(), tmp), "%s", mw_last_error());
        unlink(tmp);
    }

    /* bytes after the data section are ignored */
    uint8_t *longer = malloc(f.size + 5000);
    memcpy(longer, f.buf, f.size);
    memset(longer + f.size, 0xAB, 5000);
    file f2 = { longer, f.size + 5000, f.g };
    CHECK(push(&f2, 777, f2.size, NULL, &m) == MW_OK);
    CHECK(same_data(m, &f));
    mw_model_free(m);
    CHECK(mw_model_open_memory(longer, f2.size, NULL, &m) == MW_OK);
    CHECK(same_data(m, &f));
    mw_model_free(m);
    free(longer);
    unload(&f);
}

static void test_errors(void)
{
    mw_model *m = NULL;
    mw_loader *l = NULL;
    /* not a GGUF: reported at finish for short input, at feed once the first parse runs */
    static const char junk[] = "this is not a gguf file";
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_feed(l, junk, sizeof junk) == MW_OK);
    CHECK(mw_loader_finish(l, &m) == MW_ERR_BAD_FORMAT && m == NULL);
    CHECK(strstr(mw_last_error(), "magic") != NULL);
    uint8_t big[40000];
    memset(big, 'x', sizeof big);
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_feed(l, big, sizeof big) == MW_ERR_BAD_FORMAT);
    CHECK(mw_loader_feed(l, big, 1) == MW_ERR_BAD_FORMAT);
    CHECK(strstr(mw_last_error(), "magic") != NULL);
    CHECK(mw_loader_finish(l, &m) == MW_ERR_BAD_FORMAT);
    /* empty input */
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_finish(l, &m) == MW_ERR_TRUNCATED);
    CHECK(strstr(mw_last_error(), "empty") != NULL);
    CHECK(mw_model_open_memory(big, 0, NULL, &m) == MW_ERR_TRUNCATED);
    /* files */
    CHECK(mw_model_open_file("/nonexistent/model.gguf", NULL, &m) == MW_ERR_IO && m == NULL);
    CHECK(strstr(mw_last_error(), "/nonexistent/model.gguf") != NULL);
    CHECK(mw_model_open_file(MW_TEST_DATA, NULL, &m) == MW_ERR_IO);
    CHECK(strstr(mw_last_error(), "directory") != NULL);
    /* readers that fail */
    file f = load(MW_SOURCE_DIR "/models/stories260K.Q8_0.gguf");
    if (f.g) {
        reader r = { f.buf, f.size, 0, 3, 100000 };
        CHECK(mw_model_open_reader(read_cb, &r, NULL, &m) == MW_ERR_IO && m == NULL);
        CHECK(strstr(mw_last_error(), "read failed at byte") != NULL);
        r = (reader){ f.buf, f.size, 0, 3, 5 };   /* fails inside the header */
        CHECK(mw_model_open_reader(read_cb, &r, NULL, &m) == MW_ERR_IO);
    }
    unload(&f);
    CHECK(mw_model_open_reader(read_too_much, NULL, NULL, &m) == MW_ERR_IO);
    CHECK(strstr(mw_last_error(), "returned") != NULL);
    /* arguments */
    CHECK(mw_model_open_reader(NULL, NULL, NULL, &m) == MW_ERR_INVALID_ARG);
    CHECK(mw_model_open_memory(NULL, 10, NULL, &m) == MW_ERR_INVALID_ARG);
    CHECK(mw_model_open_memory(big, 10, NULL, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_model_open_file(NULL, NULL, &m) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_create(NULL, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_feed(NULL, big, 1) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_get_info(NULL, NULL) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_header_ready(NULL, NULL) == 0);
    CHECK(mw_loader_finish(NULL, &m) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_create(NULL, &l) == MW_OK);
    CHECK(mw_loader_feed(l, NULL, 1) == MW_ERR_INVALID_ARG);
    CHECK(mw_loader_finish(l, NULL) == MW_ERR_INVALID_ARG);   /* frees l */
}

/* A vocabulary-only GGUF ends right after its header (no padding): it must load. */
static void test_vocab_only(void)
{
    const char *path = MW_TEST_DATA "/tokenizers/ggml-vocab-mistral-v1.gguf";
    if (access(path, R_OK) != 0) {
        printf("note: %s not present, skipping the vocab-only load\n", path);
        return;
    }
    file f = load(path);
    if (!f.g)
        return;
    CHECK(f.g->data_offset > f.size);
    mw_model *m = NULL;
    CHECK_MSG(mw_model_open_memory(f.buf, f.size, NULL, &m) == MW_OK, "%s", mw_last_error());
    CHECK(m && m->vocab_only);
    mw_model_free(m);
    CHECK_MSG(push(&f, 4096, f.size, NULL, &m) == MW_OK, "%s", mw_last_error());
    mw_model_free(m);
    CHECK_MSG(mw_model_open_file(path, NULL, &m) == MW_OK, "%s", mw_last_error());
    mw_model_free(m);
    unload(&f);
}

int main(void)
{
    test_sources(MW_TEST_DATA "/reference/mistral-s.Q4_0.gguf");
    test_sources(MW_SOURCE_DIR "/models/stories260K.Q8_0.gguf");
    test_sources(MW_TEST_DATA "/reference/mixtral-s.Q4_K_M.gguf");
    test_header_ready();
    test_limits_and_truncation();
    test_errors();
    test_vocab_only();
    return TEST_REPORT();
}
