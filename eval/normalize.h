/* eval/normalize: the Whisper text normalisers (openai/whisper whisper/normalizers), applied to
 * ASR text before WER/CER when `--normalizer whisper-en|whisper-basic` is given.
 *
 *   qa_strbuf out = {0};
 *   qa_status s = qa_normalize_whisper(&out, "Mr. Smith's colour", QA_NORM_WHISPER_EN);
 *   // out.s == "mister smith's color" ... (see docs/metrics.md for the rules and what is missing)
 *
 * QA_NORM_WHISPER_BASIC is BasicTextNormalizer() (remove_diacritics=False, split_letters=False);
 * QA_NORM_WHISPER_EN is EnglishTextNormalizer() WITHOUT its EnglishNumberNormalizer step
 * (spelled-out numbers are left as words): documented in docs/metrics.md. */
#ifndef QA_EVAL_NORMALIZE_H
#define QA_EVAL_NORMALIZE_H
#include "core/status.h"
#include "eval/metrics.h"
#include "eval/text_util.h"

/* Appends the normalised form of s to dst. QA_NORM_NONE copies s. */
qa_status qa_normalize_whisper(qa_strbuf *dst, const char *s, qa_norm which);
/* British -> American spelling of one lower-case word (whisper english.json), or NULL. */
const char *qa_normalize_spelling(const char *word, size_t n);

#endif
