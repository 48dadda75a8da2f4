/*
 * utf8.c — strict UTF-8 decoding (no overlongs, no surrogates, nothing above U+10FFFF) with
 * the maximal-subpart rule of Unicode §3.9 / WHATWG, and encoding. Used by the tokenizer to
 * split text into characters and by the streaming detokenizer to hold partial characters.
 */
#include "utf8.h"

int mw_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    uint8_t b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    int len;
    uint32_t c;
    uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (b0 >= 0xC2 && b0 <= 0xDF) { len = 2; c = b0 & 0x1F; }
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3; c = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;          /* no overlongs */
        if (b0 == 0xED) hi = 0x9F;          /* no surrogates */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4; c = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;          /* no overlongs */
        if (b0 == 0xF4) hi = 0x8F;          /* nothing above U+10FFFF */
    } else {
        return -1;                          /* 80..C1, F5..FF never start a character */
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0;                       /* valid so far, needs more bytes */
        uint8_t b = s[i];
        uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h)
            return -i;                      /* the i bytes before b are the maximal subpart */
        c = (c << 6) | (b & 0x3F);
    }
    *cp = c;
    return len;
}

int mw_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}
