/*
 * json_schema.h — JSON Schemas compiled for constrained decoding (json_schema.c) and the
 * byte-level pushdown recognizer that walks them (json_match.c). Internal to the core;
 * constraint.c puts token pieces through the recognizer.
 *
 * The recognizer accepts a subset of each schema's valid documents, chosen so that a document is
 * always finishable: object members in schema order (every required one, optional ones may be
 * skipped), no whitespace except at most one ' ' or '\n' in each gap between tokens (none inside
 * an empty array, none before ':'), strings of at most maxLength characters (256 when the schema
 * sets none), numbers of at most 24 characters (exponents of at most 2 digits), arrays of at
 * most maxItems items (64 when unset), free-form objects (no "properties") of at most 16
 * members, free-form values nested at most MW_JM_FREE_DEPTH deep, and bounded numbers (minimum /
 * maximum ...) as integers: every integer of a range up to 1024 wide, else a subset
 * (json_bounds.c). On top of that every step keeps used bytes + the fewest bytes that still
 * complete the document within a byte budget, so generation always ends within it.
 */
#ifndef MW_JSON_SCHEMA_H
#define MW_JSON_SCHEMA_H

#include "base.h"

enum {   /* mw_jnode.types */
    MW_JT_NULL = 1, MW_JT_BOOL = 2, MW_JT_INT = 4, MW_JT_NUM = 8, MW_JT_STR = 16,
    MW_JT_ARR = 32, MW_JT_OBJ = 64, MW_JT_ANY = 127
};

enum {
    MW_JM_MAX_STACK = 40,         /* recognizer frames */
    MW_JM_FREE_DEPTH = 24,        /* free-form containers open only below this stack depth */
    MW_JM_SCHEMA_DEPTH = 16,      /* schema nesting accepted by the compiler */
    MW_JM_MAX_STRING = 256,       /* default maxLength (characters) */
    MW_JM_MAX_KEY = 64,           /* free-form member names (characters) */
    MW_JM_MAX_NUMBER = 24,        /* characters of a number */
    MW_JM_MAX_ITEMS = 64,         /* default maxItems */
    MW_JM_MAX_MEMBERS = 16,       /* free-form object members */
    MW_JM_ALT_BYTES = 96,         /* anyOf / oneOf: bytes read before committing to one */
    MW_JM_MAX_ALTS = 31           /* ... when it has at most this many alternatives */
};

typedef struct mw_jnode mw_jnode;
struct mw_jnode {
    uint32_t types;               /* MW_JT_* the value may take (ignored when lits / alts are set) */
    int32_t n_lits;               /* enum / const: the value is one of these exact byte strings */
    char **lit;
    uint32_t *lit_len;
    int32_t n_alts;               /* anyOf / oneOf: the value matches one alternative */
    const mw_jnode **alt;
    /* objects: listed properties in schema order (keys pre-serialized as "name":) ... */
    int32_t n_props;
    char **key;
    uint32_t *key_len;
    const mw_jnode **prop;
    uint8_t *required;
    uint32_t *req_bytes;          /* [n_props + 1] bytes of the required members from j on */
    int32_t *req_count;           /* [n_props + 1] how many required members from j on */
    uint32_t *opt_min;            /* [n_props + 1] fewest bytes of any one member from j on */
    /* ... or, without properties, free-form members whose values match `extra` */
    const mw_jnode *extra;
    int32_t max_members;          /* free-form: 0 when additionalProperties is false */
    /* arrays */
    const mw_jnode *items;
    int32_t min_items, max_items;
    /* strings (characters) */
    int32_t min_len, max_len;
    /* bounded numbers, lower bound >= 0, range too wide to enumerate: non-negative integers (no
     * '-') of at most num_max_digits digits and, when num_min_digits > 0, at least that many,
     * the first one 1-9 */
    uint8_t num_nonneg;
    int32_t num_min_digits, num_max_digits;
    uint32_t min_bytes;           /* fewest bytes of any accepted value */
};

/* Saturating sum for byte counts (schemas can ask for absurd minimums). */
static inline uint32_t mw_jsat_add(uint32_t a, uint32_t b)
{
    uint64_t s = (uint64_t)a + b;
    return s > (1u << 30) ? (1u << 30) : (uint32_t)s;
}

/* Fewest bytes that close an object with listed properties once members before j are done:
 * the required members from j on, their commas (none before the first member when first), '}'. */
static inline uint32_t mw_jnode_close_cost(const mw_jnode *n, int32_t j, int first)
{
    uint32_t commas = (uint32_t)n->req_count[j] - (first && n->req_count[j] > 0 ? 1u : 0u);
    return mw_jsat_add(mw_jsat_add(n->req_bytes[j], commas), 1);
}

typedef struct mw_jschema mw_jschema;

/* Compile schema text. NULL / len 0 gives json_object mode (any JSON object). A root schema
 * that does not restrict the type also means an object (as response_format and tool
 * arguments require). Errors: MW_ERR_INVALID_ARG (not JSON, not a valid schema) or
 * MW_ERR_UNSUPPORTED (a keyword we cannot enforce, e.g. "pattern"), message naming the spot. */
mw_status mw_jschema_compile(const char *text, size_t len, mw_jschema **out);
void mw_jschema_free(mw_jschema *s);
const mw_jnode *mw_jschema_root(const mw_jschema *s);

/* Compiler internals shared with json_bounds.c: a zeroed block owned by the schema; the fewest
 * bytes of a typed node (no enum / anyOf); numeric bounds applied to node n of schema v. */
struct mw_json;
void *mw_jschema_take(mw_jschema *s, size_t size);
uint32_t mw_jnode_typed_min_bytes(const mw_jnode *n);
mw_status mw_jschema_compile_bounds(mw_jschema *s, const struct mw_json *v, mw_jnode *n);

/* ---- recognizer ---- */

typedef struct mw_jframe {
    const mw_jnode *node;
    uint8_t kind, phase, ws, lo, hi;
    int32_t a, b, c;
} mw_jframe;

typedef struct mw_jstate {
    int32_t depth;                /* frames in use; 0 = the document is closed */
    int32_t used;                 /* bytes consumed */
    int32_t eager;                /* 1: choose anyOf alternatives at their first byte */
    int32_t alt_len;              /* bytes of the undecided anyOf value (the top frame) */
    uint8_t alt_bytes[MW_JM_ALT_BYTES];
    mw_jframe f[MW_JM_MAX_STACK];
} mw_jstate;

/* The state before the first byte of a document matching root. */
void mw_jstate_init(mw_jstate *st, const mw_jnode *root);
/* Copy only the frames in use. */
static inline void mw_jstate_copy(mw_jstate *dst, const mw_jstate *src)
{
    dst->depth = src->depth;
    dst->used = src->used;
    dst->eager = src->eager;
    dst->alt_len = src->alt_len;
    memcpy(dst->alt_bytes, src->alt_bytes, (size_t)src->alt_len);
    memcpy(dst->f, src->f, (size_t)src->depth * sizeof(mw_jframe));
}
/* Consume one byte: 1 if it continues a document that can still be completed within budget
 * bytes in total, 0 if not (st is then unspecified: step a copy). */
int mw_jstate_step(mw_jstate *st, uint8_t byte, int32_t budget);
/* The fewest bytes that complete the document from here; 0 = complete now. */
int32_t mw_jstate_rest(const mw_jstate *st);

#endif
