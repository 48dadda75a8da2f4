/*
 * error.c — status names, the thread-local last-error message, the log hook, and a tiny
 * printf-style formatter (the core has no stdio so it can build freestanding).
 */
#include "base.h"

/* one message per thread; in single-threaded wasm builds this is a plain global */
#define MW_THREAD_LOCAL _Thread_local

static MW_THREAD_LOCAL char last_error[512];
static mw_log_fn log_fn;
static void *log_user;

const char *mw_last_error(void) { return last_error; }

const char *mw_status_name(mw_status status)
{
    switch (status) {
    case MW_OK: return "MW_OK";
    case MW_ERR_INVALID_ARG: return "MW_ERR_INVALID_ARG";
    case MW_ERR_NO_MEMORY: return "MW_ERR_NO_MEMORY";
    case MW_ERR_IO: return "MW_ERR_IO";
    case MW_ERR_BAD_FORMAT: return "MW_ERR_BAD_FORMAT";
    case MW_ERR_UNSUPPORTED: return "MW_ERR_UNSUPPORTED";
    case MW_ERR_TOO_LARGE: return "MW_ERR_TOO_LARGE";
    case MW_ERR_ABORTED: return "MW_ERR_ABORTED";
    case MW_ERR_CONTEXT_FULL: return "MW_ERR_CONTEXT_FULL";
    case MW_ERR_TRUNCATED: return "MW_ERR_TRUNCATED";
    case MW_ERR_BUFFER_TOO_SMALL: return "MW_ERR_BUFFER_TOO_SMALL";
    case MW_ERR_STATE: return "MW_ERR_STATE";
    case MW_ERR_INTERNAL: return "MW_ERR_INTERNAL";
    }
    return "MW_ERR_UNKNOWN";
}

typedef struct out_buf { char *buf; size_t cap, len; } out_buf;

static void put_char(out_buf *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void put_str(out_buf *o, const char *s)
{
    while (*s)
        put_char(o, *s++);
}

static void put_uint(out_buf *o, unsigned long long v, unsigned base)
{
    char digits[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n)
        put_char(o, digits[--n]);
}

size_t mw_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    out_buf o = { buf, cap, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put_char(&o, *p);
            continue;
        }
        p++;
        int size = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
        if (*p == 'l') { size = 1; p++; if (*p == 'l') { size = 2; p++; } }
        else if (*p == 'z') { size = 3; p++; }
        switch (*p) {
        case 's': { const char *s = va_arg(ap, const char *); put_str(&o, s ? s : "(null)"); break; }
        case 'c': put_char(&o, (char)va_arg(ap, int)); break;
        case 'd': case 'i': {
            long long v = size == 0 ? va_arg(ap, int) : size == 1 ? va_arg(ap, long)
                        : size == 2 ? va_arg(ap, long long) : (long long)va_arg(ap, size_t);
            if (v < 0) { put_char(&o, '-'); put_uint(&o, 0ULL - (unsigned long long)v, 10); }
            else put_uint(&o, (unsigned long long)v, 10);
            break;
        }
        case 'u': case 'x': {
            unsigned long long v = size == 0 ? va_arg(ap, unsigned) : size == 1 ? va_arg(ap, unsigned long)
                                 : size == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, size_t);
            put_uint(&o, v, *p == 'x' ? 16 : 10);
            break;
        }
        case '%': put_char(&o, '%'); break;
        case '\0': p--; break;
        default: put_char(&o, '%'); put_char(&o, *p); break;
        }
    }
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len < cap ? o.len : (cap ? cap - 1 : 0);
}

size_t mw_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = mw_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

mw_status mw_fail(mw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mw_vformat(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

void mw_set_log(mw_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void mw_log(int level, const char *fmt, ...)
{
    if (!log_fn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    mw_vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(log_user, level, msg);
}
