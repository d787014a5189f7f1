/* tests/unit/test_normalize: the Whisper normalisers, on cases traced by hand through the rules
 * of whisper/normalizers/basic.py and english.py (each case names the rule it exercises). */
#include <string.h>

#include "eval/metrics.h"
#include "eval/normalize.h"
#include "tests/support/test.h"

static void expect(qa_t *t, qa_normalizer *nz, const char *in, const char *want) {
    qa_strbuf o = {0};
    CHECK_OK(t, qa_normalizer_apply(nz, &o, in));
    CHECK_MSG(t, o.s && !strcmp(o.s, want), "'%s' -> '%s', expected '%s'", in, o.s ? o.s : "", want);
    qa_strbuf_free(&o);
}

static void test_basic(qa_t *t) {
    qa_normalizer *nz = NULL;
    CHECK_OK(t, qa_normalizer_new(&nz, QA_NORM_WHISPER_BASIC));
    if (!nz) return;
    /* brackets and parentheses removed, NFKC (½ -> 1⁄2, ⁄ is a symbol), M/S/P -> space, no strip */
    expect(t, nz, "Café naïve Œuvre straße — “quoted” ½ [x] (y) Hello, World!",
           "café naïve œuvre straße quoted 1 2 hello world ");
    /* "()" needs one character inside and "<" has no closer, so both survive the removals and
     * become spaces as symbols */
    expect(t, nz, "()keep <unclosed", " keep unclosed");
    expect(t, nz, "  A\t\tB  ", " a b ");
    expect(t, nz, "", "");
    qa_normalizer_free(nz);
}

static void test_english(qa_t *t) {
    qa_normalizer *nz = NULL;
    CHECK_OK(t, qa_normalizer_new(&nz, QA_NORM_WHISPER_EN));
    if (!nz) return;
    /* titles, 's -> is, period removal, numbers, spelling */
    expect(t, nz, "Mr. Smith's colour is twenty one.", "mister smith is color is 21");
    /* $ prefix x multiplier, "and" after a multiplier, currency words, $2 and ¢7 -> $2.07 */
    expect(t, nz, "I won't pay $20 million, it's one hundred and five dollars and 7 cents.",
           "i will not pay $20000000 it is $105.07");
    /* fillers, suffix re-attachment, decimals via "point", percent */
    expect(t, nz, "Um, the 1960s were two thousand and twenty one point five percent", "the 1960s were 2021.5%");
    /* perfect tense, "and a half", bracket/paren removal */
    expect(t, nz, "He's been there. It's about three and a half hours [noise] (laughs)",
           "he has been there it is about 3.5 hours");
    /* nominal digits, double, ordinals */
    expect(t, nz, "one oh one, double seven, the first, twentieth, 32nd, 3rd", "10177 the 1st 20th 32nd 3rd");
    /* NFKD + diacritics map; lone "1" is written "one" */
    expect(t, nz, "Café naïve Œuvre straße — “quoted” ½", "cafe naive oeuvre strasse quoted one 2");
    expect(t, nz, "The theatre's organisation travelled 5 kilometres", "the theater is organization traveled 5 kilometers");
    expect(t, nz, "minus five degrees, half a million, 1,000 people", "-5 degrees 500000 1000 people");
    expect(t, nz, "", "");
    qa_strbuf o = {0};
    CHECK_STATUS(t, qa_normalizer_apply(nz, &o, "bad \xff byte"), QA_ERR_FORMAT); /* invalid UTF-8: an error */
    qa_strbuf_free(&o);
    qa_normalizer_free(nz);
    /* the spelling table: whisper english.json has 1739 entries */
    CHECK(t, qa_normalize_spelling_count() == 1739);
    CHECK(t, qa_normalize_spelling("accessorise", 11) && !strcmp(qa_normalize_spelling("accessorise", 11), "accessorize"));
    CHECK(t, qa_normalize_spelling("yoghurts", 8) && !strcmp(qa_normalize_spelling("yoghurts", 8), "yogurts"));
    CHECK(t, qa_normalize_spelling("colours", 6) && !strcmp(qa_normalize_spelling("colours", 6), "color"));
    CHECK(t, qa_normalize_spelling("color", 5) == NULL);
}

static void test_wer_with_normalizer(qa_t *t) {
    qa_metric_opts o = qa_metric_opts_default();
    const char *hyp[] = {"Twenty one colours."};
    const char *r0 = "21 COLORS";
    qa_refset ref[] = {{&r0, 1}};
    qa_metric_result r;
    CHECK_OK(t, qa_metric_compute(&r, "wer", &o, hyp, ref, 1));
    CHECK_NEAR(t, r.value, 150.0, 1e-12); /* Qwen scoring: 3 hyp words vs 2 ref words, all differ */
    o.normalizer = QA_NORM_WHISPER_EN;
    CHECK_OK(t, qa_metric_compute(&r, "wer", &o, hyp, ref, 1));
    CHECK_NEAR(t, r.value, 0.0, 0);
    o.normalizer = QA_NORM_WHISPER_BASIC;
    CHECK_OK(t, qa_metric_compute(&r, "wer", &o, hyp, ref, 1));
    CHECK_NEAR(t, r.value, 150.0, 1e-12);
}

int main(int argc, char **argv) {
    static const qa_test_case cases[] = {{"basic", test_basic}, {"english", test_english},
                                         {"wer_with_normalizer", test_wer_with_normalizer}, {0}};
    return qa_test_main(argc, argv, cases);
}
