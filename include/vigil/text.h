/* text.h - character encodings: UTF-8 validation and Latin-1 conversion. */
#ifndef VIGIL_TEXT_H
#define VIGIL_TEXT_H

#include "vigil/mem.h"

#include <stddef.h>

/* 1 when the n bytes hold only 7-bit ASCII. */
int vg_text_is_ascii(const char *s, size_t n);
/* 1 when the n bytes are well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
int vg_text_is_utf8(const char *s, size_t n);
/* The length of the longest prefix of the n bytes of s that has at most max bytes and does not
 * end inside a UTF-8 character: to shorten UTF-8 text and keep it well-formed. */
size_t vg_text_utf8_prefix(const char *s, size_t n, size_t max);
/* 1 when the NUL-terminated s is a plain decimal number: a '-' (only when sign_ok), digits with at
 * most one point and at least one digit, and an optional exponent (e or E, a sign, digits).
 * Spaces, '+', hexadecimal, "inf" and "nan" are not numbers here: strtod takes them all. */
int vg_text_is_decimal(const char *s, int sign_ok);
/* Appends the ISO-8859-1 text s, converted to UTF-8, to b. */
int vg_text_latin1_to_utf8(struct vg_buf *b, const char *s, size_t n);

#endif
