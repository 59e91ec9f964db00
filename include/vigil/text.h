/* text.h - character encodings: UTF-8 validation and Latin-1 conversion. */
#ifndef VIGIL_TEXT_H
#define VIGIL_TEXT_H

#include "vigil/mem.h"

#include <stddef.h>

/* 1 when the n bytes hold only 7-bit ASCII. */
int vg_text_is_ascii(const char *s, size_t n);
/* 1 when the n bytes are well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
int vg_text_is_utf8(const char *s, size_t n);
/* Appends the ISO-8859-1 text s, converted to UTF-8, to b. */
int vg_text_latin1_to_utf8(struct vg_buf *b, const char *s, size_t n);

#endif
