/*
 * tensor_data.h — the tensor data section of a model in memory, as blocks.
 *
 * The file's data section is not held as one allocation but as blocks, each a contiguous range
 * of file offsets [start, start + size) at an MW_TENSOR_ALIGN-aligned address:
 *  - no block is larger than MW_DATA_BLOCK_MAX unless one tensor is (tensors never straddle
 *    two blocks): wasm32's malloc (dlmalloc over a signed sbrk) cannot grow the heap by
 *    2 GiB or more at once, so a 3 GiB model in one allocation fails however much memory is
 *    free;
 *  - a tensor whose offset is not MW_TENSOR_ALIGN-aligned within its block (a file with
 *    general.alignment 1 and odd offsets) starts a block of its own, so every tensor the
 *    kernels read is aligned (misaligned loads are undefined behaviour in C);
 *  - gaps of more than MW_DATA_GAP_MAX bytes between tensors are not stored, so a header
 *    claiming a tensor at offset 2^40 costs nothing until bytes actually arrive there.
 * Blocks are planned from the header alone (nothing allocated) and allocated one by one as the
 * bytes that fill them arrive (the push loader), or all at once.
 */
#ifndef MW_TENSOR_DATA_H
#define MW_TENSOR_DATA_H

#include "gguf.h"

#define MW_DATA_BLOCK_MAX ((uint64_t)256 << 20)
#define MW_DATA_GAP_MAX ((uint64_t)1 << 20)
#define MW_TENSOR_ALIGN 16

typedef struct mw_data_block {
    uint64_t start, size;   /* range of the data section (offsets from its first byte) */
    uint8_t *ptr;           /* MW_TENSOR_ALIGN-aligned bytes; NULL until allocated */
    void *raw;              /* what mw_alloc returned (NULL: not allocated, or borrowed) */
} mw_data_block;

typedef struct mw_data {
    mw_data_block *blocks;  /* sorted by start, disjoint */
    size_t n_blocks;
    uint64_t stored;        /* bytes the blocks hold in all */
} mw_data;

/* Plan the blocks of g's tensors; allocates only the block table. Fails (MW_ERR_BAD_FORMAT) when
 * overlapping tensors cannot all be aligned. */
mw_status mw_data_plan(const mw_gguf *g, mw_data *d);
/* The same without the tensors skip(name) is true for (streamed experts): they get no block. */
mw_status mw_data_plan_except(const mw_gguf *g, bool (*skip)(const char *name), mw_data *d);
/* Allocate block i (no-op when it already has memory). */
mw_status mw_data_alloc_block(mw_data *d, size_t i);
/* Point every block into a caller's copy of the data section (src = its first byte); false,
 * with nothing changed, when a block would not be aligned there. */
bool mw_data_borrow(mw_data *d, const uint8_t *src);
void mw_data_free(mw_data *d);
/* Index of the first block that ends after offset off (n_blocks when none). */
size_t mw_data_find(const mw_data *d, uint64_t off);
/* Address of data-section bytes [off, off + len), NULL unless they lie in one allocated block. */
uint8_t *mw_data_at(const mw_data *d, uint64_t off, uint64_t len);
/* Copy n bytes found at data-section offset off into the blocks that store them (bytes in gaps
 * are dropped), allocating blocks as they are first reached. */
mw_status mw_data_write(mw_data *d, uint64_t off, const uint8_t *src, size_t n);
/* Copy every allocated block into dst, laid out as the data section (gaps left as they are). */
void mw_data_copy_out(const mw_data *d, uint8_t *dst);

#endif
