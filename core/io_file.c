/*
 * io_file.c — the file byte source: mw_model_open_file reads a GGUF with POSIX open/read in
 * chunks and drives the push loader (loader.c). The only core file that touches the OS; no
 * stdio. Sizes come from fstat (off_t), never ftell: on wasm32 `long` is 32 bits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

typedef struct file_src {
    int fd;
    int err;   /* errno of a failed read, 0 otherwise */
} file_src;

static int64_t read_fd(void *user, void *dst, size_t size)
{
    file_src *f = user;
    /* some platforms cap a single read near 2 GiB */
    size_t want = MW_MIN(size, (size_t)1 << 30);
    for (;;) {
        ssize_t n = read(f->fd, dst, want);
        if (n >= 0)
            return (int64_t)n;
        if (errno != EINTR) {
            f->err = errno;
            return -1;
        }
    }
}

mw_status mw_model_open_file(const char *path, const mw_model_params *params, mw_model **out)
{
    if (!out)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_file: out is NULL");
    *out = NULL;
    if (!path)
        return mw_fail(MW_ERR_INVALID_ARG, "mw_model_open_file: path is NULL");
    file_src f = { -1, 0 };
    do
        f.fd = open(path, O_RDONLY);
    while (f.fd < 0 && errno == EINTR);
    if (f.fd < 0)
        return mw_fail(MW_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(f.fd, &sb) != 0) {
        int e = errno;
        close(f.fd);
        return mw_fail(MW_ERR_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(f.fd);
        return mw_fail(MW_ERR_IO, "'%s' is a directory, not a GGUF file", path);
    }
    uint64_t known = S_ISREG(sb.st_mode) && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
    mw_status st = mw_loader_pull(params, read_fd, &f, known, out);
    close(f.fd);
    if (st == MW_ERR_IO && f.err)
        return mw_fail(MW_ERR_IO, "reading '%s' failed: %s", path, strerror(f.err));
    if (st == MW_ERR_TRUNCATED || st == MW_ERR_BAD_FORMAT || st == MW_ERR_UNSUPPORTED ||
        st == MW_ERR_TOO_LARGE) {
        /* name the file: "model.gguf: GGUF header truncated ..." */
        char msg[512];
        mw_format(msg, sizeof msg, "%s", mw_last_error());
        return mw_fail(st, "%s: %s", path, msg);
    }
    return st;
}
