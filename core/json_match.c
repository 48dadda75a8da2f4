/*
 * json_match.c — the byte-level pushdown recognizer for documents of a compiled JSON Schema
 * (json_schema.h states the accepted subset). A state is a stack of frames, one per open value;
 * each byte goes to the top frame, which consumes it, rejects it, or (a number or literal that
 * is already complete) pops itself and hands the byte to its parent.
 *
 * anyOf / oneOf: when several alternatives can start with a value's first byte, the value's
 * frame becomes undecided (K_ALT): it keeps the bytes read (up to MW_JM_ALT_BYTES) and the
 * alternatives still alive, each checked by replaying those bytes on a scratch copy of the
 * state, until one is left, the value ends, or the byte store is full (then the alternative with
 * the shortest completion wins). So alternatives told apart by a later member, such as
 * {"name":"a",...} versus {"name":"b",...}, both stay reachable. Inside a replay the choice is
 * made at the first byte (state.eager), so only one value is undecided at a time.
 *
 * Termination: mw_jstate_rest() is the exact fewest bytes that complete the document (each
 * frame's own remainder, summed), and a step is refused when used + rest would exceed the
 * budget. Every rest is reachable one byte at a time (each step of the shortest completion
 * lowers it by one), so a state the recognizer accepted can always be finished in budget.
 */
#include "json_schema.h"

enum { K_VALUE, K_LIT, K_NUM, K_STR, K_ARR, K_OBJ, K_ALT };
enum { R_OK, R_REJECT, R_AGAIN };                  /* AGAIN: the byte goes to the new top */
enum { WS_MAX = 1 };                               /* whitespace bytes per gap */
enum { MAX_EXP_DIGITS = 2 };                       /* 1e99 at most: no number overflows a double */
/* phases: numbers */
enum { N_SIGN, N_ZERO, N_INT, N_DOT, N_FRAC, N_EXP, N_EXP_SIGN, N_EXP_DIGIT };
/* strings */
enum { S_NORMAL, S_ESC, S_HEX, S_UTF8 };
/* arrays and objects: after the opener, after a member, after ',', inside a listed key, and
 * (free-form objects) after a member name */
enum { C_OPEN, C_AFTER, C_NEED, C_KEY, C_COLON };

static char *bool_text[] = { "true", "false" }, *null_text[] = { "null" };
static uint32_t bool_len[] = { 4, 5 }, null_len[] = { 4 };
static const mw_jnode bool_node = { .n_lits = 2, .lit = bool_text, .lit_len = bool_len,
                                    .min_bytes = 4 };
static const mw_jnode null_node = { .n_lits = 1, .lit = null_text, .lit_len = null_len,
                                    .min_bytes = 4 };
static const mw_jnode key_node = { .types = MW_JT_STR, .max_len = MW_JM_MAX_KEY, .min_bytes = 2 };

static int is_ws(uint8_t c) { return c == ' ' || c == '\n'; }
static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

void mw_jstate_init(mw_jstate *st, const mw_jnode *root)
{
    memset(st, 0, sizeof *st);
    st->depth = 1;
    st->f[0].kind = K_VALUE;
    st->f[0].node = root;
}

/* ---- literals (enum, const, true / false / null): a = bytes matched, b = candidate ---- */

/* literal j agrees with the candidate on the pos bytes matched so far */
static int lit_compatible(const mw_jnode *n, int32_t j, int32_t cand, int32_t pos)
{
    return n->lit_len[j] >= (uint32_t)pos && memcmp(n->lit[j], n->lit[cand], (size_t)pos) == 0;
}

static uint32_t lit_rest(const mw_jframe *f)
{
    const mw_jnode *n = f->node;
    uint32_t best = 1u << 30;
    for (int32_t j = f->b; j < n->n_lits; j++)
        if (lit_compatible(n, j, f->b, f->a))
            best = MW_MIN(best, n->lit_len[j] - (uint32_t)f->a);
    return best;
}

/* some compatible literal ends here (the candidate itself may be a longer one) */
static int lit_complete(const mw_jframe *f)
{
    for (int32_t j = f->b; j < f->node->n_lits; j++)
        if (lit_compatible(f->node, j, f->b, f->a) && f->node->lit_len[j] == (uint32_t)f->a)
            return 1;
    return 0;
}

/* the first compatible literal whose next byte is c, or -1 */
static int32_t lit_next(const mw_jframe *f, uint8_t c)
{
    const mw_jnode *n = f->node;
    for (int32_t j = f->b; j < n->n_lits; j++)
        if (lit_compatible(n, j, f->b, f->a) && n->lit_len[j] > (uint32_t)f->a &&
            (uint8_t)n->lit[j][f->a] == c)
            return j;
    return -1;
}

/* ---- objects with listed properties ---- */

/* the last listed key allowed next: keys before the first remaining required one */
static int32_t key_limit(const mw_jnode *n, int32_t next)
{
    for (int32_t j = next; j < n->n_props; j++)
        if (n->required[j])
            return j;
    return n->n_props - 1;
}

static int key_compatible(const mw_jnode *n, int32_t j, const mw_jframe *f)
{
    return n->key_len[j] > (uint32_t)f->b && memcmp(n->key[j], n->key[f->c], (size_t)f->b) == 0;
}

static uint32_t obj_rest(const mw_jframe *f)
{
    const mw_jnode *n = f->node;
    uint32_t extra = n->extra ? n->extra->min_bytes : 0;
    if (n->n_props == 0) {
        switch (f->phase) {
        case C_COLON: return mw_jsat_add(extra, 2);             /* ':' value '}' */
        case C_NEED: return mw_jsat_add(extra, 4);              /* "" : value } */
        default: return 1;                                      /* '}' */
        }
    }
    switch (f->phase) {
    case C_OPEN: return mw_jnode_close_cost(n, 0, 1);
    case C_AFTER: return mw_jnode_close_cost(n, f->a, 0);
    case C_NEED:
        return n->req_count[f->a] > 0 ? mw_jnode_close_cost(n, f->a, 1)
                                      : mw_jsat_add(n->opt_min[f->a], 1);
    default: {   /* C_KEY */
        uint32_t best = 1u << 30;
        for (int32_t j = f->c, limit = key_limit(n, f->a); j <= limit; j++)
            if (key_compatible(n, j, f)) {
                uint32_t r = mw_jsat_add(n->key_len[j] - (uint32_t)f->b, n->prop[j]->min_bytes);
                best = MW_MIN(best, mw_jsat_add(r, mw_jnode_close_cost(n, j + 1, 0)));
            }
        return best;
    }
    }
}

/* ---- the remainder of one frame (its open children count separately) ---- */

static uint32_t frame_rest(const mw_jframe *f)
{
    const mw_jnode *n = f->node;
    switch (f->kind) {
    case K_VALUE: return n->min_bytes;
    case K_LIT: return lit_rest(f);
    case K_NUM:
        if (f->a < n->num_min_digits)
            return (uint32_t)(n->num_min_digits - f->a);   /* digits still owed (no sign) */
        return f->phase == N_ZERO || f->phase == N_INT || f->phase == N_FRAC ||
               f->phase == N_EXP_DIGIT ? 0 : 1;
    case K_STR: {
        uint32_t chars = f->a < n->min_len ? (uint32_t)(n->min_len - f->a) : 0;
        uint32_t open = f->phase == S_ESC ? 1 : f->phase == S_NORMAL ? 0 : (uint32_t)f->b;
        return chars + open + 1;
    }
    case K_ALT: return (uint32_t)f->c;   /* kept up to date by step_alt */
    case K_ARR: {
        uint64_t mb = n->items->min_bytes, mi = (uint64_t)n->min_items, a = (uint64_t)f->a, k;
        uint64_t r;
        if (f->phase == C_AFTER) {
            k = mi > a ? mi - a : 0;
            r = k * (mb + 1) + 1;
        } else {   /* C_OPEN (a = 0, may close at once) or C_NEED (a value must follow) */
            k = mi > a ? mi - a : (f->phase == C_NEED ? 1 : 0);
            r = k ? k * mb + (k - 1) + 1 : 1;
        }
        return r > (1u << 30) ? 1u << 30 : (uint32_t)r;
    }
    default: return obj_rest(f);
    }
}

int32_t mw_jstate_rest(const mw_jstate *st)
{
    uint32_t r = 0;
    for (int32_t i = 0; i < st->depth; i++)
        r = mw_jsat_add(r, frame_rest(&st->f[i]));
    return (int32_t)r;
}

/* ---- starting a value: the frame its first byte opens ---- */

static int start_frame(const mw_jnode *n, uint8_t c, int32_t depth, mw_jframe *out)
{
    mw_jframe f = { 0 };
    f.node = n;
    if (n->n_lits) {
        f.kind = K_LIT;
        f.b = 0;
        int32_t j = lit_next(&f, c);
        if (j < 0)
            return 0;
        f.a = 1;
        f.b = j;
        *out = f;
        return 1;
    }
    if (n->n_alts) {   /* the alternative this byte can start that leaves the fewest bytes */
        int found = 0;
        uint32_t best = 0;
        for (int32_t i = 0; i < n->n_alts; i++) {
            mw_jframe g;
            if (start_frame(n->alt[i], c, depth, &g) && (!found || frame_rest(&g) < best)) {
                found = 1;
                best = frame_rest(&g);
                *out = g;
            }
        }
        return found;
    }
    uint32_t t = n->types;
    int room = depth < MW_JM_FREE_DEPTH;
    if (c == '{' && (t & MW_JT_OBJ) && room) {
        f.kind = K_OBJ;
    } else if (c == '[' && (t & MW_JT_ARR) && room) {
        f.kind = K_ARR;
    } else if (c == '"' && (t & MW_JT_STR)) {
        f.kind = K_STR;
    } else if ((c == '-' || is_digit(c)) && (t & (MW_JT_INT | MW_JT_NUM))) {
        if (n->num_nonneg && (c == '-' || (c == '0' && n->num_min_digits > 0)))
            return 0;
        f.kind = K_NUM;
        f.phase = c == '-' ? N_SIGN : c == '0' ? N_ZERO : N_INT;
        f.a = 1;
        f.lo = !(t & MW_JT_NUM);   /* integer syntax only */
    } else if ((c == 't' || c == 'f') && (t & MW_JT_BOOL)) {
        return start_frame(&bool_node, c, depth, out);
    } else if (c == 'n' && (t & MW_JT_NULL)) {
        return start_frame(&null_node, c, depth, out);
    } else {
        return 0;
    }
    *out = f;
    return 1;
}

static int push(mw_jstate *st, const mw_jnode *n, int kind)
{
    if (st->depth >= MW_JM_MAX_STACK)
        return 0;
    mw_jframe *f = &st->f[st->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    f->kind = (uint8_t)kind;
    return 1;
}

/* a literal that is matched in full and that no other candidate extends is done */
static void lit_maybe_close(mw_jstate *st)
{
    mw_jframe *f = &st->f[st->depth - 1];
    if (f->kind == K_LIT && lit_complete(f)) {
        for (int32_t j = f->b; j < f->node->n_lits; j++)
            if (lit_compatible(f->node, j, f->b, f->a) && f->node->lit_len[j] > (uint32_t)f->a)
                return;
        st->depth--;
    }
}

/* ---- undecided alternatives ---- */

/* *out = st with its top frame (undecided, alternatives of node) replaced by alternative i, then
 * the bytes read so far and c stepped through it eagerly; 0 if they do not fit */
static int alt_replay(const mw_jstate *st, const mw_jnode *node, int32_t i, uint8_t c,
                      mw_jstate *out)
{
    mw_jstate_copy(out, st);
    out->eager = 1;
    out->alt_len = 0;
    mw_jframe *t = &out->f[out->depth - 1];
    memset(t, 0, sizeof *t);
    t->kind = K_VALUE;
    t->node = node->alt[i];
    t->ws = WS_MAX;   /* the value's whitespace was read before it became undecided */
    for (int32_t k = 0; k < st->alt_len; k++)
        if (!mw_jstate_step(out, st->alt_bytes[k], INT32_MAX))
            return 0;
    return mw_jstate_step(out, c, INT32_MAX);
}

/* f (the top frame) is undecided: a = the alternatives alive, c = their fewest bytes to finish */
static int step_alt(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    mw_jstate scratch, best;
    uint32_t alive = 0, below = 0, best_rest = UINT32_MAX;
    int32_t n_alive = 0, ended = 0, used = st->used;
    for (int32_t i = 0; i < st->depth - 1; i++)
        below = mw_jsat_add(below, frame_rest(&st->f[i]));
    for (int32_t i = 0; i < f->node->n_alts; i++) {
        if (!((uint32_t)f->a >> i & 1) || !alt_replay(st, f->node, i, c, &scratch))
            continue;
        alive |= 1u << i;
        n_alive++;
        ended |= scratch.depth < st->depth;   /* a value ended (its parent may have moved on) */
        uint32_t rest = (uint32_t)mw_jstate_rest(&scratch);
        if (rest < best_rest) {   /* the shortest completion wins a forced choice */
            best_rest = rest;
            mw_jstate_copy(&best, &scratch);
        }
    }
    if (n_alive == 0)
        return R_REJECT;
    if (n_alive == 1 || ended || st->alt_len == MW_JM_ALT_BYTES) {   /* commit */
        mw_jstate_copy(st, &best);
        st->eager = 0;
        st->used = used;   /* the caller counts c */
        return R_OK;
    }
    f->a = (int32_t)alive;
    f->c = (int32_t)(best_rest - below);
    st->alt_bytes[st->alt_len++] = c;
    return R_OK;
}

/* ---- per-kind byte handlers (f is the top frame) ---- */

static int step_value(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    if (is_ws(c))
        return f->ws < WS_MAX ? (f->ws++, R_OK) : R_REJECT;
    const mw_jnode *n = f->node;
    if (!st->eager && n->n_alts > 1 && n->n_alts <= MW_JM_MAX_ALTS) {
        uint32_t starts = 0;
        int32_t n_starts = 0;
        for (int32_t i = 0; i < n->n_alts; i++) {
            mw_jframe g;
            if (start_frame(n->alt[i], c, st->depth, &g)) {
                starts |= 1u << i;
                n_starts++;
            }
        }
        if (n_starts > 1) {   /* undecided until a later byte tells them apart */
            f->kind = K_ALT;
            f->a = (int32_t)starts;
            st->alt_len = 0;
            return step_alt(st, f, c);
        }
    }
    if (!start_frame(f->node, c, st->depth, f))
        return R_REJECT;
    lit_maybe_close(st);
    return R_OK;
}

static int step_lit(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    int32_t j = lit_next(f, c);
    if (j >= 0) {
        f->b = j;
        f->a++;
        lit_maybe_close(st);
        return R_OK;
    }
    if (lit_complete(f)) {   /* complete: the byte is the parent's */
        st->depth--;
        return R_AGAIN;
    }
    return R_REJECT;
}

static int step_num(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    int cap = f->node->num_nonneg ? f->node->num_max_digits : MW_JM_MAX_NUMBER;
    int room1 = f->a + 1 <= cap, room2 = f->a + 2 <= cap;
    int frac_ok = !f->lo && room2, d = is_digit(c), e = c == 'e' || c == 'E';
    int next = -1;
    switch (f->phase) {
    case N_SIGN: if (d) next = c == '0' ? N_ZERO : N_INT; break;
    case N_ZERO:
    case N_INT:
        if (d && f->phase == N_INT && room1) next = N_INT;
        else if (c == '.' && frac_ok) next = N_DOT;
        else if (e && frac_ok) next = N_EXP;
        break;
    case N_DOT: if (d) next = N_FRAC; break;
    case N_FRAC:
        if (d && room1) next = N_FRAC;
        else if (e && room2) next = N_EXP;
        break;
    case N_EXP:
        if ((c == '+' || c == '-') && room2) next = N_EXP_SIGN;
        else if (d) next = N_EXP_DIGIT;
        break;
    case N_EXP_SIGN: if (d) next = N_EXP_DIGIT; break;
    default:   /* N_EXP_DIGIT: two exponent digits at most, so every number is a finite double */
        if (d && room1 && f->c < MAX_EXP_DIGITS) next = N_EXP_DIGIT;
        break;
    }
    if (next >= 0) {
        f->c = next == N_EXP_DIGIT ? f->c + 1 : 0;   /* exponent digits */
        f->phase = (uint8_t)next;
        f->a++;
        return R_OK;
    }
    if (frame_rest(f) == 0) {   /* a complete number: the byte is the parent's */
        st->depth--;
        return R_AGAIN;
    }
    return R_REJECT;
}

static int hex_value(uint8_t c)
{
    return is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* a = characters so far, b = bytes still owed (hex digits or UTF-8 continuations) */
static int step_str(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    const mw_jnode *n = f->node;
    switch (f->phase) {
    case S_ESC:
        if (c == 'u') {
            f->phase = S_HEX;
            f->b = 4;
            f->lo = 0;
            return R_OK;
        }
        if (!strchr("\"\\/bfnrt", c) || c == 0)
            return R_REJECT;
        f->phase = S_NORMAL;
        return R_OK;
    case S_HEX: {
        int v = hex_value(c);
        if (v < 0)
            return R_REJECT;
        if (f->b == 4)
            f->lo = v == 0xD;              /* \uD...: the next digit must keep it off surrogates */
        else if (f->b == 3 && f->lo && v >= 8)
            return R_REJECT;
        if (--f->b == 0)
            f->phase = S_NORMAL;
        return R_OK;
    }
    case S_UTF8:
        if (c < f->lo || c > f->hi)
            return R_REJECT;
        f->lo = 0x80;
        f->hi = 0xBF;
        if (--f->b == 0)
            f->phase = S_NORMAL;
        return R_OK;
    default:
        break;
    }
    if (c == '"') {
        if (f->a < n->min_len)
            return R_REJECT;
        st->depth--;
        return R_OK;
    }
    if (c < 0x20 || f->a >= n->max_len)
        return R_REJECT;
    uint8_t lo = 0x80, hi = 0xBF;
    int owed;
    if (c < 0x80) owed = 0;
    else if (c >= 0xC2 && c <= 0xDF) owed = 1;
    else if (c == 0xE0) { owed = 2; lo = 0xA0; }
    else if (c == 0xED) { owed = 2; hi = 0x9F; }          /* no UTF-16 surrogates */
    else if (c >= 0xE1 && c <= 0xEF) owed = 2;
    else if (c == 0xF0) { owed = 3; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) owed = 3;
    else if (c == 0xF4) { owed = 3; hi = 0x8F; }          /* up to U+10FFFF */
    else return R_REJECT;
    f->a++;
    if (c == '\\') {
        f->phase = S_ESC;
    } else if (owed) {
        f->phase = S_UTF8;
        f->b = owed;
        f->lo = lo;
        f->hi = hi;
    }
    return R_OK;
}

static int gap_ws(mw_jframe *f, uint8_t c)
{
    if (f->ws >= WS_MAX)
        return R_REJECT;
    f->ws++;
    (void)c;
    return R_OK;
}

static int step_arr(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    const mw_jnode *n = f->node;
    if (f->phase == C_AFTER) {
        if (is_ws(c))
            return gap_ws(f, c);
        if (c == ',' && f->a < n->max_items) {
            f->phase = C_NEED;
            f->ws = 0;
            return R_OK;
        }
        if (c == ']' && f->a >= n->min_items) {
            st->depth--;
            return R_OK;
        }
        return R_REJECT;
    }
    if (f->phase == C_OPEN && c == ']' && n->min_items == 0) {
        st->depth--;
        return R_OK;
    }
    if (f->a >= n->max_items)
        return R_REJECT;
    f->phase = C_AFTER;
    f->a++;
    f->ws = 0;
    return push(st, n->items, K_VALUE) ? R_AGAIN : R_REJECT;   /* the value takes the byte */
}

static int step_obj(mw_jstate *st, mw_jframe *f, uint8_t c)
{
    const mw_jnode *n = f->node;
    if (f->phase == C_KEY) {   /* listed properties: the key text, up to and with its ':' */
        for (int32_t j = f->c, limit = key_limit(n, f->a); j <= limit; j++) {
            if (!key_compatible(n, j, f) || (uint8_t)n->key[j][f->b] != c)
                continue;
            f->c = j;
            if ((uint32_t)++f->b == n->key_len[j]) {
                f->phase = C_AFTER;
                f->a = j + 1;
                f->ws = 0;
                return push(st, n->prop[j], K_VALUE) ? R_OK : R_REJECT;
            }
            return R_OK;
        }
        return R_REJECT;
    }
    if (f->phase == C_COLON) {   /* free-form: after the member name */
        if (c != ':')
            return R_REJECT;
        f->phase = C_AFTER;
        f->ws = 0;
        return push(st, n->extra, K_VALUE) ? R_OK : R_REJECT;
    }
    if (is_ws(c))
        return gap_ws(f, c);
    int listed = n->n_props > 0;
    if (c == '}' && f->phase != C_NEED &&
        (listed ? n->req_count[f->phase == C_OPEN ? 0 : f->a] == 0 : 1)) {
        st->depth--;
        return R_OK;
    }
    if (f->phase == C_AFTER) {
        if (c != ',' || (listed ? f->a >= n->n_props : f->a >= n->max_members))
            return R_REJECT;
        f->phase = C_NEED;
        f->ws = 0;
        return R_OK;
    }
    /* C_OPEN or C_NEED: a member name */
    if (c != '"')
        return R_REJECT;
    f->ws = 0;
    if (listed) {
        f->phase = C_KEY;
        f->b = 1;
        f->c = f->a;
        return R_OK;
    }
    if (f->a >= n->max_members)
        return R_REJECT;
    f->phase = C_COLON;
    f->a++;
    if (!push(st, &key_node, K_STR))
        return R_REJECT;
    return R_OK;
}

int mw_jstate_step(mw_jstate *st, uint8_t c, int32_t budget)
{
    for (int hops = 0; hops <= MW_JM_MAX_STACK; hops++) {
        if (st->depth == 0)
            return 0;   /* the document is closed: nothing may follow */
        mw_jframe *f = &st->f[st->depth - 1];
        int r;
        switch (f->kind) {
        case K_VALUE: r = step_value(st, f, c); break;
        case K_LIT: r = step_lit(st, f, c); break;
        case K_NUM: r = step_num(st, f, c); break;
        case K_STR: r = step_str(st, f, c); break;
        case K_ARR: r = step_arr(st, f, c); break;
        case K_ALT: r = step_alt(st, f, c); break;
        default: r = step_obj(st, f, c); break;
        }
        if (r == R_REJECT)
            return 0;
        if (r == R_OK) {
            st->used++;
            return (int64_t)st->used + mw_jstate_rest(st) <= (int64_t)budget;
        }
    }
    return 0;
}
