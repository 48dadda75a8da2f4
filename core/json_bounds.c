/*
 * json_bounds.c — minimum / maximum / exclusiveMinimum / exclusiveMaximum on numeric schema
 * nodes, for the schema compiler (json_schema.c). The recognizer has no arithmetic, so a bounded
 * number is generated as an integer from a set it can check byte by byte: a range up to
 * MAX_ENUMERATED wide is enumerated exactly (as an enum); a wide range with a lower bound >= 0
 * becomes the non-negative integers with a digit count that keeps them inside it; other wide
 * ranges give their first (or, open below, last) MAX_ENUMERATED integers. All valid, some
 * valid values unreachable — the documented price of "always parses and validates".
 */
#include "json_schema.h"
#include "json_value.h"

enum { MAX_ENUMERATED = 1024 };
#define BOUND_LIMIT 1e15   /* bounds are clamped to +-1e15 (16 digits fit in 24 characters) */

/* the value of a JSON number's text (plain double arithmetic: bounds only need integers) */
static double number_value(const char *s)
{
    double sign = 1, v = 0, scale = 1;
    int exp = 0, exp_sign = 1;
    if (*s == '-') { sign = -1; s++; }
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++) { scale /= 10; v += (*s - '0') * scale; }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') exp_sign = *s++ == '-' ? -1 : 1;
        while (*s >= '0' && *s <= '9' && exp < 400) exp = exp * 10 + (*s++ - '0');
    }
    for (; exp > 0; exp--) v = exp_sign > 0 ? v * 10 : v / 10;
    return sign * v;
}

static double floor_of(double x) { double t = (double)(int64_t)x; return t > x ? t - 1 : t; }
static double ceil_of(double x) { double t = (double)(int64_t)x; return t < x ? t + 1 : t; }

/* The integer range [*lo, *hi] a node's bounds allow (+-BOUND_LIMIT * 2 when open). 0 if the
 * node has no bound; MW_ERR_INVALID_ARG if one is not a number or the range is empty. */
static mw_status integer_range(const mw_json *v, int64_t *lo, int64_t *hi, int *bounded)
{
    double l = -2 * BOUND_LIMIT, h = 2 * BOUND_LIMIT;
    static const char *const keys[] = { "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum" };
    int excl_min = 0, excl_max = 0;
    *bounded = 0;
    for (int i = 0; i < 4; i++) {
        const mw_json *b = mw_json_get(v, keys[i]);
        if (!b)
            continue;
        if (b->kind == MW_JSON_BOOL && (i == 1 || i == 3)) {   /* draft 4: a flag on the other */
            if (i == 1) excl_min = b->boolean; else excl_max = b->boolean;
            continue;
        }
        if (b->kind != MW_JSON_NUMBER)
            return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: \"%s\" must be a number", keys[i]);
        double x = number_value(b->text);
        x = x < -BOUND_LIMIT ? -BOUND_LIMIT : x > BOUND_LIMIT ? BOUND_LIMIT : x;
        *bounded = 1;
        if (i == 0) l = MW_MAX(l, ceil_of(x));
        if (i == 1) l = MW_MAX(l, floor_of(x) + 1);
        if (i == 2) h = MW_MIN(h, floor_of(x));
        if (i == 3) h = MW_MIN(h, ceil_of(x) - 1);
    }
    const mw_json *mn = mw_json_get(v, "minimum"), *mx = mw_json_get(v, "maximum");
    if (excl_min && mn && mn->kind == MW_JSON_NUMBER && ceil_of(number_value(mn->text)) ==
                                                        number_value(mn->text))
        l += 1;
    if (excl_max && mx && mx->kind == MW_JSON_NUMBER && floor_of(number_value(mx->text)) ==
                                                        number_value(mx->text))
        h -= 1;
    if (*bounded && l > h)
        return mw_fail(MW_ERR_INVALID_ARG, "JSON schema: no integer lies within the bounds");
    *lo = (int64_t)l;
    *hi = (int64_t)h;
    return MW_OK;
}

/* digits of n >= 0 */
static int32_t n_digits(int64_t n)
{
    int32_t d = 1;
    while (n >= 10) { n /= 10; d++; }
    return d;
}

/* The integers [lo, hi] as an enum. */
static mw_status enumerate(mw_jschema *s, int64_t lo, int64_t hi, mw_jnode *num)
{
    int32_t count = (int32_t)(hi - lo + 1);
    num->lit = mw_jschema_take(s, (size_t)count * sizeof *num->lit);
    num->lit_len = mw_jschema_take(s, (size_t)count * sizeof *num->lit_len);
    if (!num->lit || !num->lit_len)
        return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
    num->min_bytes = 1u << 30;
    for (int32_t i = 0; i < count; i++) {
        char text[24];
        size_t len = mw_format(text, sizeof text, "%lld", (long long)(lo + i));
        if (!(num->lit[i] = mw_jschema_take(s, len + 1)))
            return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
        memcpy(num->lit[i], text, len + 1);
        num->lit_len[i] = (uint32_t)len;
        num->min_bytes = MW_MIN(num->min_bytes, (uint32_t)len);
    }
    num->n_lits = count;
    return MW_OK;
}

/* The numbers of node n become integers within the bounds of schema v (as the file comment
 * says); the node's other types stay, as an alternative. */
mw_status mw_jschema_compile_bounds(mw_jschema *s, const mw_json *v, mw_jnode *n)
{
    int64_t lo = 0, hi = 0;
    int bounded;
    mw_status st = integer_range(v, &lo, &hi, &bounded);
    if (st != MW_OK || !bounded)
        return st;
    n->types = (n->types & ~(uint32_t)MW_JT_NUM) | MW_JT_INT;
    int64_t open = (int64_t)BOUND_LIMIT;
    if (lo >= 0 && (hi > open || hi - lo >= MAX_ENUMERATED)) {
        /* D digits or more (first digit 1-9) are >= 10^(D-1) >= lo; E digits or fewer are
         * <= 10^E - 1 <= hi */
        int32_t d = lo == 0 ? 0 : lo == 1 ? 1 : n_digits(lo - 1) + 1;
        int32_t e = hi > open ? MW_JM_MAX_NUMBER : n_digits(hi + 1) - 1;
        if (MW_MAX(d, 1) <= e) {
            n->num_nonneg = 1;
            n->num_min_digits = d;
            n->num_max_digits = e;
            n->min_bytes = mw_jnode_typed_min_bytes(n);
            return MW_OK;
        }
    }
    if (hi - lo >= MAX_ENUMERATED) {
        if (lo >= -open)
            hi = lo + MAX_ENUMERATED - 1;
        else
            lo = hi - MAX_ENUMERATED + 1;
    }
    mw_jnode *num = mw_jschema_take(s, sizeof *num);
    if (!num)
        return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
    if ((st = enumerate(s, lo, hi, num)) != MW_OK)
        return st;
    n->types &= ~(uint32_t)MW_JT_INT;
    if (!n->types) {   /* only numbers: the node is the enum */
        *n = *num;
        return MW_OK;
    }
    mw_jnode *rest = mw_jschema_take(s, sizeof *rest);
    const mw_jnode **alt = mw_jschema_take(s, 2 * sizeof *alt);
    if (!rest || !alt)
        return mw_fail(MW_ERR_NO_MEMORY, "JSON schema: out of memory");
    *rest = *n;
    rest->min_bytes = mw_jnode_typed_min_bytes(rest);
    memset(n, 0, sizeof *n);
    alt[0] = num;
    alt[1] = rest;
    n->alt = alt;
    n->n_alts = 2;
    n->min_bytes = MW_MIN(num->min_bytes, rest->min_bytes);
    return MW_OK;
}
