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

/* the input/output pairs of openai/whisper tests/test_normalizer.py (test_number_normalizer runs
 * them through both EnglishNumberNormalizer and EnglishTextNormalizer) */
static const char *const kWhisperNumbers[][2] = {
    {"two", "2"}, {"thirty one", "31"}, {"five twenty four", "524"}, {"nineteen ninety nine", "1999"},
    {"twenty nineteen", "2019"}, {"two point five million", "2500000"}, {"four point two billions", "4200000000s"},
    {"200 thousand", "200000"}, {"200 thousand dollars", "$200000"}, {"$20 million", "$20000000"},
    {"€52.4 million", "€52400000"}, {"£77 thousands", "£77000s"}, {"two double o eight", "2008"},
    {"three thousand twenty nine", "3029"}, {"forty three thousand two hundred sixty", "43260"},
    {"forty three thousand two hundred and sixty", "43260"}, {"nineteen fifties", "1950s"}, {"thirty first", "31st"},
    {"thirty three thousand and three hundred and thirty third", "33333rd"}, {"three billion", "3000000000"},
    {"millions", "1000000s"}, {"july third twenty twenty", "july 3rd 2020"},
    {"august twenty sixth twenty twenty one", "august 26th 2021"}, {"3 14", "3 14"}, {"3.14", "3.14"},
    {"3 point 2", "3.2"}, {"3 point 14", "3.14"}, {"fourteen point 4", "14.4"}, {"two point two five dollars", "$2.25"},
    {"two hundred million dollars", "$200000000"}, {"$20.1 million", "$20100000"}, {"ninety percent", "90%"},
    {"seventy six per cent", "76%"}, {"double oh seven", "007"}, {"double zero seven", "007"}, {"nine one one", "911"},
    {"nine double one", "911"}, {"one triple oh one", "10001"}, {"two thousandth", "2000th"},
    {"thirty two thousandth", "32000th"}, {"minus 500", "-500"}, {"positive twenty thousand", "+20000"},
    {"two dollars and seventy cents", "$2.70"}, {"3 cents", "¢3"}, {"$0.36", "¢36"},
    {"three euros and sixty five cents", "€3.65"}, {"three and a half million", "3500000"},
    {"forty eight and a half dollars", "$48.5"}, {"b747", "b 747"}, {"10 th", "10th"}, {"10th", "10th"},
};

static void test_whisper_suite(qa_t *t) {
    qa_num_norm nn;
    CHECK_OK(t, qa_num_norm_init(&nn));
    qa_normalizer *nz = NULL;
    CHECK_OK(t, qa_normalizer_new(&nz, QA_NORM_WHISPER_EN));
    if (!nz) return;
    for (size_t k = 0; k < sizeof kWhisperNumbers / sizeof kWhisperNumbers[0]; k++) {
        qa_strbuf o = {0};
        const char *in = kWhisperNumbers[k][0];
        CHECK_OK(t, qa_num_norm_apply(&nn, &o, in, strlen(in)));
        CHECK_MSG(t, o.s && !strcmp(o.s, kWhisperNumbers[k][1]), "numbers: '%s' -> '%s', expected '%s'", in,
                  o.s ? o.s : "", kWhisperNumbers[k][1]);
        qa_strbuf_free(&o);
        expect(t, nz, in, kWhisperNumbers[k][1]);
    }
    /* test_text_normalizer */
    expect(t, nz, "Let's", "let us");
    expect(t, nz, "he's like", "he is like");
    expect(t, nz, "she's been like", "she has been like");
    expect(t, nz, "10km", "10 km");
    expect(t, nz, "10mm", "10 mm");
    expect(t, nz, "RC232", "rc 232");
    expect(t, nz, "Mr. Park visited Assoc. Prof. Kim Jr.", "mister park visited associate professor kim junior");
    /* test_spelling_normalizer */
    expect(t, nz, "mobilisation", "mobilization");
    expect(t, nz, "cancelation", "cancellation");
    qa_normalizer_free(nz);
    qa_num_norm_deinit(&nn);
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
    static const qa_test_case cases[] = {{"basic", test_basic}, {"english", test_english}, {"whisper_suite", test_whisper_suite},
                                         {"wer_with_normalizer", test_wer_with_normalizer}, {0}};
    return qa_test_main(argc, argv, cases);
}
