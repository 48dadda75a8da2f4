/*
 * dispatch.c — the one kernel table: filled once by mw_kernels_init() with the scalar set,
 * then overridden by whatever the SIMD file of this build implements. mw_kern points at it.
 */
#include <stdatomic.h>

#include "kernels/kernels.h"

static mw_kernels table;
const mw_kernels *mw_kern = &table;

/* A once-flag of our own: C11 call_once (<threads.h>) is missing from some of our targets
 * (WASI, Emscripten without pthreads). 0 = not filled, 1 = a thread is filling, 2 = ready. */
enum { TABLE_EMPTY, TABLE_FILLING, TABLE_READY };
static atomic_int table_state;

/* Idempotent and safe from any number of threads at once: the first caller fills the table
 * (and the SIMD files' copies of the scalar entries), the others wait the few microseconds
 * that takes; the release/acquire pair makes the filled table visible to every caller. */
void mw_kernels_init(void)
{
    if (atomic_load_explicit(&table_state, memory_order_acquire) == TABLE_READY)
        return;
    int expected = TABLE_EMPTY;
    if (atomic_compare_exchange_strong_explicit(&table_state, &expected, TABLE_FILLING,
                                                memory_order_acquire, memory_order_acquire)) {
        mw_kernels k;
        mw_kernels_fill_scalar(&k);
        mw_kernels_fill_simd(&k);
        table = k;
        atomic_store_explicit(&table_state, TABLE_READY, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&table_state, memory_order_acquire) != TABLE_READY)
        ;
}

const char *mw_kernels_name(void)
{
    mw_kernels_init();
    return mw_kern->name;
}
