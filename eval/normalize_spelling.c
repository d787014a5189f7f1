/* eval/normalize_spelling: Whisper's EnglishSpellingNormalizer map (whisper/normalizers/
 * english.json, British -> American, from tysto.com's list), as a table sorted by key and
 * looked up by binary search. The table (eval/whisper_spelling.inc) is generated from the public
 * english.json by tools/gen_whisper_spelling.py (run by hand); see docs/metrics.md. */
#include <string.h>

#include "eval/normalize.h"

static const char *const kSpelling[][2] = {
#include "eval/whisper_spelling.inc"
};

size_t qa_normalize_spelling_count(void) { return sizeof kSpelling / sizeof kSpelling[0]; }

const char *qa_normalize_spelling(const char *word, size_t n) {
    size_t lo = 0, hi = qa_normalize_spelling_count();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = kSpelling[mid][0];
        int c = strncmp(k, word, n);
        if (c == 0) c = k[n] ? 1 : 0; /* k longer than word: k > word */
        if (c == 0) return kSpelling[mid][1];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}
