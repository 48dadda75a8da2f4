/*
 * libc.c — the C library pieces the core and web/api.c use, for the freestanding wasm64
 * module (no libc exists for wasm64 with shared memory): memory and string functions,
 * a stable qsort (glibc's is a merge sort too, so ties keep the native order), and
 * snprintf/vsnprintf. memcpy/memmove/memset compile to the bulk-memory instructions
 * memory.copy / memory.fill. Built with -fno-builtin so the loops below are not turned back
 * into calls to themselves.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    __builtin_memcpy(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    __builtin_memmove(dst, src, n);
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    __builtin_memset(dst, c, n);
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *strstr(const char *hay, const char *needle)
{
    const size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncmp(hay, needle, n))
            return (char *)hay;
    return n ? NULL : (char *)hay;
}

int abs(int x) { return x < 0 ? -x : x; }

/* ---- qsort: stable merge sort (insertion sort when no scratch memory is available) ------ */

static void insertion_sort(char *b, size_t n, size_t size, int (*cmp)(const void *, const void *), char *tmp1)
{
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        if (cmp(b + (j - 1) * size, b + j * size) <= 0)
            continue;
        memcpy(tmp1, b + i * size, size);
        while (j > 0 && cmp(b + (j - 1) * size, tmp1) > 0) {
            memcpy(b + j * size, b + (j - 1) * size, size);
            j--;
        }
        memcpy(b + j * size, tmp1, size);
    }
}

static void merge_sort(char *b, size_t n, size_t size, int (*cmp)(const void *, const void *), char *tmp)
{
    if (n <= 12) {
        insertion_sort(b, n, size, cmp, tmp);
        return;
    }
    const size_t h = n / 2;
    merge_sort(b, h, size, cmp, tmp);
    merge_sort(b + h * size, n - h, size, cmp, tmp);
    if (cmp(b + (h - 1) * size, b + h * size) <= 0)
        return; /* already in order */
    memcpy(tmp, b, h * size);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (cmp(b + j * size, tmp + i * size) < 0) /* strict: equal keys keep the left one first */
            memcpy(b + k++ * size, b + j++ * size, size);
        else
            memcpy(b + k++ * size, tmp + i++ * size, size);
    }
    memcpy(b + k * size, tmp + i * size, (h - i) * size);
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n < 2 || !size)
        return;
    char *tmp = malloc((n / 2 + 1) * size);
    if (tmp) {
        merge_sort(base, n, size, cmp, tmp);
        free(tmp);
        return;
    }
    char one[256];
    char *t1 = size <= sizeof one ? one : malloc(size);
    if (t1) /* (a record larger than 256 bytes with no memory at all: left unsorted) */
        insertion_sort(base, n, size, cmp, t1);
    if (t1 && t1 != one)
        free(t1);
}

/* ---- vsnprintf ---------------------------------------------------------------------------
 * %d %i %u %x %X %o %c %s %p %% with flags - 0 + space, width, .precision, h/l/ll/z/j/t
 * sizes; %e %g (and %E %G) for doubles. Floating point: integral values below 2^64 print
 * exactly (sizes, counts); others are scaled in long double (113 bits on wasm), which rounds
 * like printf except in ties closer than ~1e-30 (the core prints floats with %.9g; the
 * native test compares 200k of them). %f is not supported: it prints "%f" literally, to be
 * noticed. */

typedef struct out { char *buf; size_t cap, len; } out;

static void put(out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void puts_n(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
}

static void pad(out *o, char c, int n)
{
    for (; n > 0; n--)
        put(o, c);
}

/* prefix (sign / 0x), digits (with zero-extension to min_digits), padded to width */
static void emit(out *o, const char *prefix, const char *digits, int nd, int min_digits, int width,
                 int left, int zero)
{
    int np = (int)strlen(prefix), zeros = min_digits > nd ? min_digits - nd : 0;
    int total = np + zeros + nd;
    if (!left && !zero)
        pad(o, ' ', width - total);
    puts_n(o, prefix, (size_t)np);
    if (!left && zero)
        pad(o, '0', width - total);
    pad(o, '0', zeros);
    puts_n(o, digits, (size_t)nd);
    if (left)
        pad(o, ' ', width - total);
}

static int utoa(char *end, uint64_t v, unsigned base, int upper)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        *--end = dig[v % base];
        v /= base;
        n++;
    } while (v);
    return n;
}

/* v > 0 finite: nsig (1..17) significant decimal digits into d, returns the decimal exponent */
static int decimal_digits(double v, int nsig, char *d)
{
    uint64_t pow10[20];
    pow10[0] = 1;
    for (int i = 1; i < 20; i++)
        pow10[i] = pow10[i - 1] * 10;
    int e10 = 0;
    uint64_t digits;
    if (v < 18446744073709551616.0 && v == (double)(uint64_t)v) { /* exact integer */
        digits = (uint64_t)v;
        int nd = 1;
        while (nd < 20 && digits >= pow10[nd])
            nd++;
        e10 = nd - 1;
        if (nd > nsig) { /* round half to even at nsig digits, exactly */
            const uint64_t div = pow10[nd - nsig], q = digits / div, r = digits % div;
            digits = q + (r > div / 2 || (r == div / 2 && (q & 1)));
        } else {
            digits *= pow10[nsig - nd];
        }
    } else {
        /* the decimal exponent, estimated in double (off by one at most: fixed below) */
        static const double p10d[] = { 1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256 };
        double m = v;
        if (m >= 10.0) {
            for (int i = 8; i >= 0; i--)
                if (m >= p10d[i]) {
                    m /= p10d[i];
                    e10 += 1 << i;
                }
        } else if (m < 1.0) {
            for (int i = 8; i >= 0; i--)
                if (m * p10d[i] < 10.0) {
                    m *= p10d[i];
                    e10 -= 1 << i;
                }
            while (m < 1.0) { /* subnormals */
                m *= 10.0;
                e10--;
            }
        }
        /* then v times 10^(nsig-1-e10) in one correctly rounded long double operation
         * (binary128 in software on wasm, 80-bit x87 natively; powers of ten exact up to 10^27),
         * so values with few fraction bits keep their exact ties. No long double comparisons:
         * compiler-rt's wasm64 comparison helpers do not link (signature mismatch). */
        static const long double p10[] = { 1e1L, 1e2L, 1e4L, 1e8L, 1e16L, 1e32L, 1e64L, 1e128L, 1e256L };
        for (int pass = 0; pass < 3; pass++) {
            const int k = nsig - 1 - e10;
            long double p = 1.0L;
            for (int i = 0, a = k < 0 ? -k : k; a; i++, a >>= 1)
                if (a & 1)
                    p *= p10[i];
            const long double scaled = k >= 0 ? (long double)v * p : (long double)v / p;
            digits = (uint64_t)(int64_t)scaled; /* truncated (< 10^18: the signed conversion, whose helper links) */
            if (digits >= pow10[nsig] && pass < 2) {
                e10++;
                continue;
            }
            if (digits < pow10[nsig - 1] && pass < 2) {
                e10--;
                continue;
            }
            /* [0, 1), in double: volatile, or clang folds the comparison back into long double */
            volatile double rest_v = (double)(scaled - (long double)digits);
            const double rest = rest_v;
            digits += rest > 0.5 || (rest == 0.5 && (digits & 1)); /* ties to even, as printf */
            break;
        }
    }
    if (digits >= pow10[nsig]) { /* rounding carried into a new digit (999.. + 1) */
        digits /= 10;
        e10++;
    }
    for (int i = nsig - 1; i >= 0; i--) {
        d[i] = (char)('0' + digits % 10);
        digits /= 10;
    }
    return e10;
}

static void format_float(out *o, double v, char conv, int prec, int width, int left, int zero,
                         int plus, int space, int alt)
{
    const int upper = conv == 'E' || conv == 'G';
    char prefix[2] = { 0, 0 };
    if (v < 0 || (v == 0 && __builtin_signbit(v))) {
        prefix[0] = '-';
        v = -v;
    } else if (plus) {
        prefix[0] = '+';
    } else if (space) {
        prefix[0] = ' ';
    }
    if (v != v || v == __builtin_inf()) {
        emit(o, prefix, v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3, 0, width, left, 0);
        return;
    }
    if (prec < 0)
        prec = 6;
    const int g = conv == 'g' || conv == 'G';
    if (g && prec == 0)
        prec = 1;
    int nsig = g ? prec : prec + 1;
    char d[40];
    int e10 = 0;
    const int have = nsig > 17 ? 17 : nsig;
    if (v == 0)
        memset(d, '0', (size_t)have);
    else
        e10 = decimal_digits(v, have, d);
    for (int i = have; i < nsig && i < (int)sizeof d; i++)
        d[i] = '0';
    if (nsig > (int)sizeof d)
        nsig = (int)sizeof d;
    char body[96];
    int n = 0;
    if (g && e10 >= -4 && e10 < prec) { /* fixed notation with prec - 1 - e10 decimals */
        int nd = nsig;
        if (!alt)
            while (nd > 1 && nd > e10 + 1 && d[nd - 1] == '0')
                nd--;
        if (e10 < 0) {
            body[n++] = '0';
            body[n++] = '.';
            for (int i = -1; i > e10; i--)
                body[n++] = '0';
            for (int i = 0; i < nd; i++)
                body[n++] = d[i];
        } else {
            for (int i = 0; i <= e10; i++)
                body[n++] = d[i];
            if (nd > e10 + 1 || alt) {
                body[n++] = '.';
                for (int i = e10 + 1; i < nd; i++)
                    body[n++] = d[i];
            }
        }
    } else { /* d.ddde+XX */
        int nd = nsig;
        if (g && !alt)
            while (nd > 1 && d[nd - 1] == '0')
                nd--;
        body[n++] = d[0];
        if (nd > 1 || alt)
            body[n++] = '.';
        for (int i = 1; i < nd; i++)
            body[n++] = d[i];
        body[n++] = upper ? 'E' : 'e';
        body[n++] = e10 < 0 ? '-' : '+';
        int ae = e10 < 0 ? -e10 : e10;
        if (ae >= 100)
            body[n++] = (char)('0' + ae / 100);
        body[n++] = (char)('0' + ae / 10 % 10);
        body[n++] = (char)('0' + ae % 10);
    }
    emit(o, prefix, body, n, 0, width, left, zero);
}

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap)
{
    out o = { buf, cap, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        const char *spec = p++;
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0;
        for (;; p++) {
            if (*p == '-') left = 1;
            else if (*p == '0') zero = 1;
            else if (*p == '+') plus = 1;
            else if (*p == ' ') space = 1;
            else if (*p == '#') alt = 1;
            else break;
        }
        int width = 0, prec = -1;
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        int size = 0; /* 0 int, 1 long, 2 long long / size_t / intmax_t / ptrdiff_t */
        for (;; p++) {
            if (*p == 'h') continue;
            if (*p == 'l') size++;
            else if (*p == 'z' || *p == 'j' || *p == 't') size = 2;
            else break;
        }
        char tmp[24], *end = tmp + sizeof tmp;
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = size == 0 ? va_arg(ap, int) : size == 1 ? va_arg(ap, long) : va_arg(ap, long long);
            uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            int nd = prec == 0 && v == 0 ? 0 : utoa(end, u, 10, 0);
            emit(&o, v < 0 ? "-" : plus ? "+" : space ? " " : "", end - nd, nd, prec, width, left,
                 zero && prec < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t u = size == 0 ? va_arg(ap, unsigned) : size == 1 ? va_arg(ap, unsigned long)
                                                                      : va_arg(ap, unsigned long long);
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            int nd = prec == 0 && u == 0 ? 0 : utoa(end, u, base, *p == 'X');
            const char *pre = alt && u && base == 16 ? (*p == 'X' ? "0X" : "0x") : alt && base == 8 ? "0" : "";
            emit(&o, pre, end - nd, nd, prec, width, left, zero && prec < 0);
            break;
        }
        case 'p': {
            uint64_t u = (uint64_t)(uintptr_t)va_arg(ap, void *);
            int nd = utoa(end, u, 16, 0);
            emit(&o, "0x", end - nd, nd, 0, width, left, 0);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            emit(&o, "", tmp, 1, 0, width, left, 0);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            emit(&o, "", s, (int)n, 0, width, left, 0);
            break;
        }
        case 'e':
        case 'E':
        case 'g':
        case 'G':
            format_float(&o, va_arg(ap, double), *p, prec, width, left, zero, plus, space, alt);
            break;
        case '%':
            put(&o, '%');
            break;
        default: /* unsupported (or %f, %n): copied as written */
            if (*p == 'f' || *p == 'F' || *p == 'a' || *p == 'A')
                (void)va_arg(ap, double);
            puts_n(&o, spec, (size_t)(p - spec) + (*p != 0));
            if (!*p)
                p--;
            break;
        }
    }
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = 0;
    return (int)o.len;
}

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
