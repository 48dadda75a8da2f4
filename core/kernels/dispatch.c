/*
 * dispatch.c — the one kernel table: filled once by mw_kernels_init() with the scalar set,
 * then overridden by whatever the SIMD file of this build implements. mw_kern points at it.
 */
#include "kernels/kernels.h"

static mw_kernels table;
const mw_kernels *mw_kern = &table;
static int initialized;

/* Idempotent. Racing first calls from two threads write the same values, but call it once
 * from the thread that loads the model before any worker runs. */
void mw_kernels_init(void)
{
    if (initialized) return;
    mw_kernels k;
    mw_kernels_fill_scalar(&k);
    mw_kernels_fill_simd(&k);
    table = k;
    initialized = 1;
}

const char *mw_kernels_name(void)
{
    mw_kernels_init();
    return mw_kern->name;
}
