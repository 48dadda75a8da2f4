/*
 * loader.h — internal glue between the push loader (loader.c) and the byte sources that pull
 * from somewhere (io_file.c reads a POSIX file descriptor). The public loading API is in mw.h.
 */
#ifndef MW_LOADER_H
#define MW_LOADER_H

#include "base.h"

/* Drive a push loader from a read callback until the model is complete, then build it.
 * known_size is the total size of the source when known (a file), 0 otherwise: it lets a
 * truncated file fail as soon as the header says how long the file must be. */
mw_status mw_loader_pull(const mw_model_params *params, mw_read_fn read, void *user,
                         uint64_t known_size, mw_model **out);

#endif
