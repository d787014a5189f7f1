/* eval/pyre: Python `re.sub`/`re.split`-style helpers over PCRE2 (UTF + UCP, so \b \w \s \d
 * are Unicode-aware as in Python 3 str patterns). Used by the Whisper normalisers, whose rules
 * are regular expressions.
 *
 *   qa_re re;
 *   if ((s = qa_re_compile(&re, "\\bmr\\b"))) return s;
 *   s = qa_re_sub(&re, &out, text, strlen(text), "mister ", NULL, NULL);   // template: \1 = group 1
 *   qa_re_free(&re);
 *
 * Matching scans left to right over non-overlapping matches like re.sub; an unmatched group
 * expands to "" (Python 3.5+). The subject MUST be valid UTF-8 (PCRE2's per-call check is
 * skipped for speed): callers validate once (qa_normalizer_apply does). */
#ifndef QA_EVAL_PYRE_H
#define QA_EVAL_PYRE_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "core/status.h"
#include "eval/text_util.h"

typedef struct {
    pcre2_code *code;
    pcre2_match_data *md;
} qa_re;

qa_status qa_re_compile(qa_re *re, const char *pattern);
void qa_re_free(qa_re *re);

/* Replacement callback: append the replacement of the match to dst. ov = PCRE2 ovector
 * (ov[2k], ov[2k+1] = group k bounds in subject; PCRE2_UNSET when unmatched). */
typedef qa_status (*qa_re_repl_fn)(qa_strbuf *dst, const char *subject, const PCRE2_SIZE *ov, int ngroups, void *ud);

/* dst = re.sub(re, template or fn(match), s[0..n)). dst is cleared first. */
qa_status qa_re_sub(qa_re *re, qa_strbuf *dst, const char *s, size_t n, const char *tmpl, qa_re_repl_fn fn, void *ud);
/* Finds the first match at or after byte `start`; returns 1 and its bounds, 0 when none. */
int qa_re_search(qa_re *re, const char *s, size_t n, size_t start, size_t *ms, size_t *me);

#endif
