/*
 * io_file.c — the file byte source: mw_model_open_file opens a GGUF with POSIX open. A regular
 * file is a positional source (pread; fd_pread in WASI through wasi-libc) for
 * mw_loader_open_source, which can keep it to stream Mixtral experts (and take read-ahead
 * hints for them: posix_fadvise); anything else (a pipe)
 * is read in order with read() into the push loader. The only core file that touches the OS;
 * no stdio. Sizes come from fstat (off_t), never ftell: on wasm32 `long` is 32 bits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* Reads of at most 4 MiB: streamed experts (slices of ~35 MB) read from a file larger than
 * RAM went 0.12 -> 0.15 tok/s on the Mixtral-8x7B shape against one pread per slice, as the
 * browsers' OPFS reads are fastest in 4 MiB pieces (TOOLCHAIN.md 13.2); also below the ~2 GiB
 * some platforms cap a single read at. */
#define READ_MAX ((size_t)4 << 20)

typedef struct file_src {
    int fd;
    int err;   /* errno of a failed read, 0 otherwise */
} file_src;

static int64_t read_fd(void *user, void *dst, size_t size)
{
    file_src *f = user;
    size_t want = MW_MIN(size, READ_MAX);
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

static int64_t pread_fd(void *user, uint64_t offset, void *dst, size_t size)
{
    file_src *f = user;
    if (offset > (uint64_t)INT64_MAX) {
        f->err = EINVAL;
        return -1;
    }
    for (;;) {
        ssize_t n = pread(f->fd, dst, MW_MIN(size, READ_MAX), (off_t)offset);
        if (n >= 0)
            return (int64_t)n;
        if (errno != EINTR) {
            f->err = errno;
            return -1;
        }
    }
}

/* The source's read-ahead hint (streamed experts picked ahead): the kernel starts reading
 * those pages while the engine computes. Advisory: a failure changes nothing. */
static void will_read_fd(void *user, uint64_t offset, uint64_t size)
{
#ifdef POSIX_FADV_WILLNEED
    file_src *f = user;
    if (offset <= (uint64_t)INT64_MAX && size <= (uint64_t)INT64_MAX)
        (void)posix_fadvise(f->fd, (off_t)offset, (off_t)size, POSIX_FADV_WILLNEED);
#else
    (void)user, (void)offset, (void)size;
#endif
}

/* The source's close: the model that streamed its experts is freed. */
static void close_fd(void *user)
{
    file_src *f = user;
    close(f->fd);
    mw_free(f);
}

/* A regular file through pread. */
static mw_status open_positional(const char *path, int fd, uint64_t size,
                                 const mw_model_params *params, mw_model **out)
{
    file_src *f = mw_calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return mw_fail(MW_ERR_NO_MEMORY, "out of memory opening '%s'", path);
    }
    f->fd = fd;
    const mw_source src = { pread_fd, f, size, close_fd, will_read_fd };
    bool kept;
    mw_status st = mw_loader_open_source(&src, params, out, &kept);
    const int err = f->err;
    if (!kept)
        close_fd(f);
    if (st == MW_ERR_IO && err)
        return mw_fail(MW_ERR_IO, "reading '%s' failed: %s", path, strerror(err));
    return st;
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
    mw_status st;
    if (known) {
        st = open_positional(path, f.fd, known, params, out);
    } else {
        st = mw_loader_pull(params, read_fd, &f, known, out);
        close(f.fd);
    }
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
