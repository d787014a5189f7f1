/* eval/text_util: the small text toolkit every metric shares: UTF-8 decoding, Python-compatible
 * whitespace and lower-casing, a growable string buffer, whitespace token splitting, and a string
 * interner that maps tokens to dense integer ids (so n-gram and edit-distance code compares ints).
 *
 * Usage:
 *   qa_strbuf b = {0}; qa_strbuf_puts(&b, "x"); ... qa_strbuf_free(&b);
 *   qa_interner *in = qa_interner_new();
 *   qa_word_ids ids = {0}; qa_text_split_ids(&ids, in, "a b  a");     // ids = {0, 1, 0}
 *   qa_word_ids_free(&ids); qa_interner_free(in);
 *
 * Invalid UTF-8 bytes decode to U+FFFD one byte at a time (never a crash). */
#ifndef QA_EVAL_TEXT_UTIL_H
#define QA_EVAL_TEXT_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

/* Decodes the code point at s[*i] (n = length of s) and advances *i; invalid -> 0xFFFD. */
uint32_t qa_utf8_next(const char *s, size_t n, size_t *i);
/* Encodes cp into out (4 bytes max); returns the byte count. */
int qa_utf8_put(char *out, uint32_t cp);
/* Python str.isspace() (Unicode White_Space plus the \x1c-\x1f separators). */
int qa_text_is_space(uint32_t cp);

typedef struct {
    char *s;    /* NUL-terminated once anything was written */
    size_t len; /* bytes, excluding the NUL */
    size_t cap;
} qa_strbuf;
qa_status qa_strbuf_putn(qa_strbuf *b, const char *s, size_t n);
qa_status qa_strbuf_puts(qa_strbuf *b, const char *s);
qa_status qa_strbuf_putc(qa_strbuf *b, char c);
qa_status qa_strbuf_put_cp(qa_strbuf *b, uint32_t cp);
void qa_strbuf_clear(qa_strbuf *b); /* keeps the memory, sets "" */
void qa_strbuf_free(qa_strbuf *b);

/* Lower-cases with utf8proc's simple case mapping (Python str.lower() differs only for U+0130
 * and a word-final capital sigma; see docs/metrics.md). Appends to dst. */
qa_status qa_text_lower(qa_strbuf *dst, const char *s, size_t n);

/* A growable int array (token ids, n-gram ids). */
typedef struct {
    int32_t *v;
    size_t n, cap;
} qa_word_ids;
qa_status qa_word_ids_push(qa_word_ids *a, int32_t x);
void qa_word_ids_free(qa_word_ids *a);

/* String -> dense id (0, 1, 2, ... in first-seen order). */
typedef struct qa_interner qa_interner;
qa_interner *qa_interner_new(void);
void qa_interner_free(qa_interner *in);
/* Returns the id of s[0..n) (adding it when new), or -1 when out of memory. */
int32_t qa_interner_id(qa_interner *in, const char *s, size_t n);
size_t qa_interner_size(const qa_interner *in);

/* Python str.split() as an iterator: finds the next word of s[*i..n), sets [*start, *end) to it
 * and moves *i to *end. Returns 0 (and *i = n) when only whitespace is left.
 *   size_t i = 0, a, b; while (qa_text_next_word(s, n, &i, &a, &b)) use(s + a, b - a); */
int qa_text_next_word(const char *s, size_t n, size_t *i, size_t *start, size_t *end);
/* Splits on Python whitespace (str.split() with no argument) and appends the token ids. */
qa_status qa_text_split_ids(qa_word_ids *dst, qa_interner *in, const char *s, size_t n);
/* Appends one id per code point of s, skipping whitespace ("".join(s.split()) as characters). */
qa_status qa_text_char_ids(qa_word_ids *dst, qa_interner *in, const char *s, size_t n);

/* 64-bit FNV-1a style mixing used by the hash tables. */
uint64_t qa_text_hash(const void *p, size_t n);

#endif
