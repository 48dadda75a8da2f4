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

/* Read exactly n bytes at offset from a positional source (in calls of at most 64 MiB).
 * MW_ERR_IO when read_at fails, MW_ERR_TRUNCATED when the source ends first. */
mw_status mw_source_read(const mw_source *src, uint64_t offset, uint8_t *dst, uint64_t n);

/* mw_model_open_source without closing the source: *kept = true when the model streams its
 * experts from it (the model closes it at mw_model_free); otherwise it is the caller's to close
 * (io_file.c reports errno before closing). */
mw_status mw_loader_open_source(const mw_source *src, const mw_model_params *params,
                                mw_model **out, bool *kept);

#endif
