/* eval/normalize: the Whisper text normalisers (openai/whisper whisper/normalizers: basic.py,
 * english.py, english.json), applied to ASR text before WER/CER when `--normalizer
 * whisper-en|whisper-basic` is given. Rules and known differences: docs/metrics.md.
 *
 *   qa_normalizer *nz;
 *   if ((s = qa_normalizer_new(&nz, QA_NORM_WHISPER_EN))) return s;   // compiles the regexes once
 *   qa_strbuf out = {0};
 *   s = qa_normalizer_apply(nz, &out, "Mr. Smith's colour, twenty one");
 *   // out.s == "mister smith's color 21"
 *   qa_strbuf_free(&out); qa_normalizer_free(nz);
 *
 * QA_NORM_WHISPER_BASIC = BasicTextNormalizer() (remove_diacritics=False, split_letters=False);
 * QA_NORM_WHISPER_EN = EnglishTextNormalizer() including EnglishNumberNormalizer and the
 * British->American spelling map. */
#ifndef QA_EVAL_NORMALIZE_H
#define QA_EVAL_NORMALIZE_H
#include "core/status.h"
#include "eval/metrics.h"
#include "eval/pyre.h"
#include "eval/text_util.h"

typedef struct qa_normalizer qa_normalizer;
qa_status qa_normalizer_new(qa_normalizer **out, qa_norm which);
/* Appends the normalised form of s (UTF-8) to dst. QA_NORM_NONE copies s. */
qa_status qa_normalizer_apply(qa_normalizer *nz, qa_strbuf *dst, const char *s);
void qa_normalizer_free(qa_normalizer *nz);

/* One-shot convenience (compiles the normaliser each call). */
qa_status qa_normalize_whisper(qa_strbuf *dst, const char *s, qa_norm which);
/* British -> American spelling of one word (whisper english.json), or NULL when unmapped. */
const char *qa_normalize_spelling(const char *word, size_t n);
/* Number of entries of the spelling map (for tests). */
size_t qa_normalize_spelling_count(void);

/* EnglishNumberNormalizer (eval/normalize_numbers.c): compiled regexes + the word state machine
 * with its vocabulary (number words, prefixes, suffixes) sorted for binary search. */
typedef struct {
    char w[24];   /* the word */
    int kind;     /* zero, ones, ones+suffix, tens, ... (normalize_numbers.c) */
    int value;    /* number value; for multipliers the power of ten */
    char sym[8];  /* suffix ("th", "s") or symbol ("$", "-") */
} qa_num_word;
typedef struct {
    qa_re half_split, half_mult, let_dig, dig_let, suffix, cents, cents2, one;
    qa_num_word words[192];
    int nwords;
} qa_num_norm;
qa_status qa_num_norm_init(qa_num_norm *nn);
void qa_num_norm_deinit(qa_num_norm *nn);
/* Appends the number-normalised s[0..n) to dst. */
qa_status qa_num_norm_apply(qa_num_norm *nn, qa_strbuf *dst, const char *s, size_t n);

#endif
