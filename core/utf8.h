/*
 * utf8.h — the UTF-8 rules the tokenizer and detokenizer share: decode one character with
 * Unicode's "maximal subpart" treatment of ill-formed input (so a streaming decoder can tell
 * "incomplete, wait for more bytes" from "invalid, emit U+FFFD now"), and encode a code point.
 */
#ifndef MW_UTF8_H
#define MW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the character at s[0..n). Returns its length (1-4) and sets *cp when it is a
 * well-formed UTF-8 sequence; 0 when s is a proper prefix of a well-formed sequence (n too
 * short: more bytes might complete it; also returned for n == 0); -k when the first k bytes
 * are a maximal ill-formed subpart (k >= 1), which a decoder replaces with one U+FFFD. */
int mw_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encode cp (<= 0x10FFFF, not a surrogate) into out; returns the length, 0 if cp is invalid. */
int mw_utf8_encode(uint32_t cp, char out[4]);

#endif
