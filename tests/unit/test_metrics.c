/* tests/unit/test_metrics: every metric against the goldens of the public reference tools
 * (tests/data/metrics, copied from shared/golden/metrics; expected.json), plus hand-computed
 * cases: empty hypothesis, empty reference, insertions only, identical strings, Unicode
 * punctuation, multiple references, tokenizer rules, the alignment tie-break, input errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "eval/metrics.h"
#include "eval/score_input.h"
#include "tests/support/test.h"

#define DATA "tests/data/metrics/"

static int near_rel(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b) + 1e-300; }

static double part(const qa_metric_result *r, const char *name) {
    for (int k = 0; k < r->nparts; k++)
        if (!strcmp(r->parts[k].name, name)) return r->parts[k].is_null ? NAN : r->parts[k].value;
    return NAN;
}

/* scores parallel arrays: refs are TAB-separated like the files */
static qa_status score(qa_metric_result *r, const char *metric, const qa_metric_opts *o, const char *const *hyp,
                       const char *const *ref, size_t n) {
    char store[64][512];
    const char *ptrs[64][8];
    qa_refset rs[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(store[i], sizeof store[i], "%s", ref[i]);
        int k = 0;
        ptrs[i][k++] = store[i];
        for (char *p = store[i]; *p; p++)
            if (*p == '\t' && k < 8) { *p = 0; ptrs[i][k++] = p + 1; }
        rs[i] = (qa_refset){ptrs[i], k};
    }
    return qa_metric_compute(r, metric, o, hyp, rs, n);
}

static void test_goldens(qa_t *t) {
    char *txt = NULL;
    size_t len;
    CHECK_OK(t, qa_file_read_all(DATA "expected.json", &txt, &len));
    if (!txt) return;
    cJSON *root = cJSON_Parse(txt);
    free(txt);
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(root, "sets");
    CHECK(t, cJSON_GetArraySize(sets) == 11);
    const cJSON *s;
    cJSON_ArrayForEach(s, sets) {
        const char *name = cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring;
        const char *metric = cJSON_GetObjectItemCaseSensitive(s, "metric")->valuestring;
        qa_metric_opts o = qa_metric_opts_default();
        const cJSON *a;
        const char *prev = "";
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(s, "args")) {
            if (!strcmp(prev, "--lang")) o.lang = !strcmp(a->valuestring, "zh") ? QA_LANG_ZH : QA_LANG_EN;
            if (!strcmp(prev, "--tokenize"))
                o.tokenize = !strcmp(a->valuestring, "zh") ? QA_BLEU_TOK_ZH : !strcmp(a->valuestring, "none") ? QA_BLEU_TOK_NONE : QA_BLEU_TOK_13A;
            prev = a->valuestring;
        }
        char hp[256], rp[256];
        snprintf(hp, sizeof hp, DATA "%s", cJSON_GetObjectItemCaseSensitive(s, "hyp")->valuestring);
        snprintf(rp, sizeof rp, DATA "%s", cJSON_GetObjectItemCaseSensitive(s, "ref")->valuestring);
        qa_score_input in;
        CHECK_OK(t, qa_score_input_read_pair(&in, hp, rp));
        if (!in.ngroups) continue;
        qa_metric_result r;
        CHECK_OK(t, qa_metric_compute(&r, metric, &o, in.groups[0].hyp, in.groups[0].ref, in.groups[0].n));
        double want = cJSON_GetObjectItemCaseSensitive(s, "value")->valuedouble;
        int n = cJSON_GetObjectItemCaseSensitive(s, "n")->valueint;
        CHECK_MSG(t, near_rel(r.value, want, 1e-6), "%s: value %.12g, expected %.12g", name, r.value, want);
        if (!strcmp(metric, "bleu")) CHECK_MSG(t, fabs(r.value - want) <= 0.01, "%s: BLEU off by more than 0.01", name);
        CHECK_MSG(t, r.n == (size_t)n, "%s: n %zu, expected %d", name, r.n, n);
        /* the details the oracle recorded */
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(s, "details")) {
            if (!cJSON_IsNumber(d)) continue;
            const char *key = d->string;
            double got = NAN;
            if (!strcmp(key, "fraction")) got = part(&r, "fraction");
            else if (!strcmp(key, "seconds") || !strcmp(key, "wer_fraction") || !strcmp(key, "instrument_acc") ||
                     !strcmp(key, "velocity_acc") || !strcmp(key, "pitch_top1") || !strcmp(key, "pitch_chroma") ||
                     !strcmp(key, "CIDEr") || !strcmp(key, "ROUGE_L") || !strncmp(key, "Bleu_", 5) ||
                     !strcmp(key, "acc_all") || !strcmp(key, "n_binary"))
                got = part(&r, key);
            else continue;
            CHECK_MSG(t, near_rel(got, d->valuedouble, 1e-6), "%s: %s = %.12g, expected %.12g", name, key, got, d->valuedouble);
        }
        qa_score_input_free(&in);
    }
    cJSON_Delete(root);
}

static void test_wer_hand(qa_t *t) {
    qa_metric_opts o = qa_metric_opts_default();
    qa_metric_result r;
    const char *same_h[] = {"Hello, world!"}, *same_r[] = {"hello , world !"};
    CHECK_OK(t, score(&r, "wer", &o, same_h, same_r, 1)); /* remove_sp drops the space before , and ! */
    CHECK_NEAR(t, r.value, 0.0, 0);
    const char *empty_h[] = {"", "a b"}, *empty_r[] = {"a b c", "a b"};
    CHECK_OK(t, score(&r, "wer", &o, empty_h, empty_r, 2)); /* empty hypothesis = 3 deletions of 5 words */
    CHECK_NEAR(t, r.value, 60.0, 1e-12);
    CHECK_NEAR(t, part(&r, "errors"), 3, 0);
    const char *ins_h[] = {"a x b y z"}, *ins_r[] = {"A B"};
    CHECK_OK(t, score(&r, "wer", &o, ins_h, ins_r, 1)); /* insertions only: 3 / 2 */
    CHECK_NEAR(t, r.value, 150.0, 1e-12);
    const char *eref_h[] = {"extra words", "a"}, *eref_r[] = {"", "a"};
    CHECK_OK(t, score(&r, "wer", &o, eref_h, eref_r, 2)); /* empty reference: its insertions count */
    CHECK_NEAR(t, r.value, 200.0, 1e-12);
    const char *all_empty_h[] = {"x"}, *all_empty_r[] = {""};
    CHECK_OK(t, score(&r, "wer", &o, all_empty_h, all_empty_r, 1));
    CHECK(t, r.is_null);
    const char *sp_h[] = {"<|en|><|transcribe|>the valley. <|endoftext|>"}, *sp_r[] = {"THE VALLEY"};
    CHECK_OK(t, score(&r, "wer", &o, sp_h, sp_r, 1)); /* punctuation kept: "valley." != "valley" */
    CHECK_NEAR(t, r.value, 50.0, 1e-12);
    const char *uc_h[] = {"ÉCOLE Straße"}, *uc_r[] = {"école straße"};
    CHECK_OK(t, score(&r, "wer", &o, uc_h, uc_r, 1));
    CHECK_NEAR(t, r.value, 0.0, 0);
    /* zh: per character, whitespace removed, full-width punctuation is a character */
    o.lang = QA_LANG_ZH;
    const char *zh_h[] = {"今天 天气好，"}, *zh_r[] = {"今天天气"};
    CHECK_OK(t, score(&r, "wer", &o, zh_h, zh_r, 1));
    CHECK_NEAR(t, r.value, 50.0, 1e-12); /* 好 and ， inserted: 2 / 4 */
    CHECK_NEAR(t, part(&r, "ref_len"), 4, 0);
    /* cer on English: characters without spaces */
    o.lang = QA_LANG_EN;
    const char *c_h[] = {"abd"}, *c_r[] = {"ab c"};
    CHECK_OK(t, score(&r, "cer", &o, c_h, c_r, 1));
    CHECK_NEAR(t, r.value, 100.0 / 3.0, 1e-12);
    qa_strbuf b = {0};
    CHECK_OK(t, qa_text_remove_sp(&b, "  <|0.00|>a <|x|> ,b  ?c", QA_LANG_EN));
    CHECK_MSG(t, b.s && !strcmp(b.s, "a,b?c"), "remove_sp gave '%s'", b.s ? b.s : "");
    qa_strbuf_free(&b);
}

static void test_bleu_hand(qa_t *t) {
    qa_metric_opts o = qa_metric_opts_default();
    qa_metric_result r;
    const char *h1[] = {"the cat sat on the mat"}, *r1[] = {"the cat sat on a mat"};
    CHECK_OK(t, score(&r, "bleu", &o, h1, r1, 1)); /* p = 5/6, 3/5, 2/4, 1/3 -> (1/12)^(1/4) */
    CHECK_NEAR(t, r.value, 100.0 * pow(1.0 / 12.0, 0.25), 1e-9);
    CHECK_NEAR(t, part(&r, "bp"), 1.0, 0);
    const char *h2[] = {"a b c d e"}, *r2[] = {"a b x d e"};
    CHECK_OK(t, score(&r, "bleu", &o, h2, r2, 1)); /* exp smoothing: 3-grams 100/(2*3), 4-grams 100/(4*2) */
    CHECK_NEAR(t, r.value, pow(80.0 * 50.0 * (100.0 / 6.0) * 12.5, 0.25), 1e-9);
    const char *h3[] = {"a b c"}, *r3[] = {"a b c d"};
    CHECK_OK(t, score(&r, "bleu", &o, h3, r3, 1)); /* no 4-gram at all: BLEU 0 */
    CHECK_NEAR(t, r.value, 0.0, 0);
    const char *h4[] = {"same words in both lines"}, *r4[] = {"same words in both lines"};
    CHECK_OK(t, score(&r, "bleu", &o, h4, r4, 1));
    CHECK_NEAR(t, r.value, 100.0, 1e-9);
    const char *h5[] = {""}, *r5[] = {"a b c d"};
    CHECK_OK(t, score(&r, "bleu", &o, h5, r5, 1));
    CHECK_NEAR(t, r.value, 0.0, 0);
    CHECK_NEAR(t, part(&r, "bp"), 0.0, 0);
    /* multiple references: closest length (tie -> shorter) and the max count over references */
    const char *h6[] = {"w x y z"}, *r6[] = {"w x y\tw x y z q"};
    CHECK_OK(t, score(&r, "bleu", &o, h6, r6, 1));
    CHECK_NEAR(t, part(&r, "ref_len"), 3, 0);
    CHECK_NEAR(t, r.value, 100.0, 1e-9);
    const char *h10[] = {"w x y z"}, *r10[] = {"\tw x y z"};
    CHECK_OK(t, score(&r, "bleu", &o, h10, r10, 1)); /* an empty field of a ragged line is not a reference */
    CHECK_NEAR(t, part(&r, "ref_len"), 4, 0);
    CHECK_NEAR(t, r.value, 100.0, 1e-9);
    const char *h8[] = {"a b c d"}, *r8[] = {""};
    CHECK_OK(t, score(&r, "bleu", &o, h8, r8, 1)); /* empty reference: no match at any order */
    CHECK_NEAR(t, r.value, pow(12.5 * (100.0 / 12.0) * 6.25 * 6.25, 0.25), 1e-9);
    const char *h9[] = {"a b c d x"}, *r9[] = {"a b c d"};
    CHECK_OK(t, score(&r, "bleu", &o, h9, r9, 1)); /* one insertion: 4/5 3/4 2/3 1/2 */
    CHECK_NEAR(t, r.value, 100.0 * pow(0.2, 0.25), 1e-9);
    const char *h7[] = {"w x y"}, *r7[] = {"a b c d e\tw x y z q"};
    CHECK_OK(t, score(&r, "bleu", &o, h7, r7, 1));
    CHECK_NEAR(t, part(&r, "ref_len"), 5, 0);
    CHECK_NEAR(t, part(&r, "bp"), exp(1.0 - 5.0 / 3.0), 1e-12);

    qa_strbuf b = {0};
    CHECK_OK(t, qa_bleu_tokenize(&b, "Hello, world! It's 3.5 km-long (really). 1-2 &amp; x  ", QA_BLEU_TOK_13A));
    CHECK_MSG(t, b.s && !strcmp(b.s, "Hello , world ! It's 3.5 km-long ( really ) . 1 - 2 & x"), "13a gave '%s'", b.s);
    qa_strbuf_clear(&b);
    CHECK_OK(t, qa_bleu_tokenize(&b, "我爱NLP，你呢?", QA_BLEU_TOK_ZH));
    CHECK_MSG(t, b.s && !strcmp(b.s, "我 爱 NLP ， 你 呢 ?"), "zh gave '%s'", b.s);
    qa_strbuf_clear(&b);
    /* sacrebleu's mistyped range makes U+2014 (em dash) "Chinese"; U+20000 (Ext. B) is not */
    CHECK_OK(t, qa_bleu_tokenize(&b, "a\xE2\x80\x94" "b\xF0\xA0\x80\x80" "c", QA_BLEU_TOK_ZH));
    CHECK_MSG(t, b.s && !strcmp(b.s, "a \xE2\x80\x94 b\xF0\xA0\x80\x80" "c"), "zh quirk gave '%s'", b.s);
    qa_strbuf_clear(&b);
    /* zh does not pad the line with spaces (13a does): a leading ".5" or ",5" stays one token */
    CHECK_OK(t, qa_bleu_tokenize(&b, " .5\xE5\x85\x83 ,5", QA_BLEU_TOK_ZH));
    CHECK_MSG(t, b.s && !strcmp(b.s, ".5 \xE5\x85\x83 , 5"), "zh leading period gave '%s'", b.s);
    qa_strbuf_clear(&b);
    CHECK_OK(t, qa_bleu_tokenize(&b, ".5 x", QA_BLEU_TOK_13A));
    CHECK_MSG(t, b.s && !strcmp(b.s, ". 5 x"), "13a leading period gave '%s'", b.s);
    qa_strbuf_clear(&b);
    CHECK_OK(t, qa_bleu_tokenize(&b, "  keep, as is.  ", QA_BLEU_TOK_NONE));
    CHECK_MSG(t, b.s && !strcmp(b.s, "  keep, as is."), "none gave '%s'", b.s);
    qa_strbuf_free(&b);
}

/* Tokenizes `in` with qa_ptb_tokenize into the reused buffer b and compares with `want`. */
#define CHECK_PTB(t, b, in, want)                                                                 \
    do {                                                                                          \
        qa_strbuf_clear(b);                                                                       \
        CHECK_OK(t, qa_ptb_tokenize((b), (in)));                                                  \
        CHECK_MSG(t, (b)->s && !strcmp((b)->s, (want)), "ptb gave '%s'", (b)->s);                 \
    } while (0)

static void test_caption_hand(qa_t *t) {
    qa_metric_result r;
    const char *h1[] = {"a", "b"}, *r1[] = {"a", "c"};
    CHECK_OK(t, score(&r, "cider", NULL, h1, r1, 2)); /* clip 1: order-1 cosine 1 -> 10 * 1/4; clip 2: 0 */
    CHECK_NEAR(t, r.value, 1.25, 1e-12);
    const char *h2[] = {"a dog barks"}, *r2[] = {"a dog barks"};
    CHECK_OK(t, score(&r, "cider", NULL, h2, r2, 1)); /* one clip: idf log(1) = 0 -> CIDEr 0 */
    CHECK_NEAR(t, r.value, 0.0, 0);
    const char *h3[] = {"a b c d"}, *r3[] = {"x y\ta c d e f"};
    CHECK_OK(t, score(&r, "rouge", NULL, h3, r3, 1)); /* LCS 3: P 3/4, R 3/5 (max over refs) */
    double p = 0.75, rc = 0.6;
    CHECK_NEAR(t, r.value, (1 + 1.44) * p * rc / (rc + 1.44 * p), 1e-12);
    const char *h6[] = {"a b", "c d"}, *r6[] = {"a b", "c d"};
    CHECK_OK(t, score(&r, "cider", NULL, h6, r6, 2)); /* identical: orders 1-2 cosine 1, 3-4 empty -> 10 * 2/4 */
    CHECK_NEAR(t, r.value, 5.0, 1e-12);
    CHECK_NEAR(t, part(&r, "ROUGE_L"), 1.0, 1e-12);
    const char *h7[] = {"", "c d"}, *r7[] = {"a b\tx", "c d"};
    CHECK_OK(t, score(&r, "cider", NULL, h7, r7, 2)); /* empty hypothesis scores 0; clip 2 as above */
    CHECK_NEAR(t, r.value, 2.5, 1e-12);
    const char *h8[] = {"A dog, barking\xE2\x80\xA6"}, *r8[] = {"a dog barking"};
    CHECK_OK(t, score(&r, "rouge", NULL, h8, r8, 1)); /* Unicode ellipsis and comma dropped */
    CHECK_NEAR(t, r.value, 1.0, 1e-12);
    const char *h4[] = {""}, *r4[] = {"a b"};
    CHECK_OK(t, score(&r, "rouge", NULL, h4, r4, 1));
    CHECK_NEAR(t, r.value, 0.0, 0);
    const char *h5[] = {"The dog, barking!"}, *r5[] = {"the dog barking"};
    CHECK_OK(t, score(&r, "coco-bleu", NULL, h5, r5, 1)); /* punctuation dropped, lower-cased */
    CHECK_NEAR(t, part(&r, "Bleu_1"), 1.0, 1e-9);
    CHECK_NEAR(t, part(&r, "ROUGE_L"), 1.0, 1e-12);
    qa_strbuf b = {0};
    CHECK_PTB(t, &b, "A dog's barking -- \"loudly\" (outside)... Don't stop.",
              "a dog 's barking loudly -lrb- outside -rrb- do n't stop");
    /* Unicode quotes/dashes/ellipsis as ptb3Escaping, PTBLexer's split words, a mid-word period */
    CHECK_PTB(t, &b, "He cannot go \xE2\x80\x94 gonna \xE2\x80\x9Cstop\xE2\x80\x9D\xE2\x80\xA6 dog\xE2\x80\x99s u.s. 3,000",
              "he can not go gon na stop dog 's u.s. 3,000");
    /* a decimal number ending a sentence is a number and a period (PTBLexer's number pattern needs
     * a digit after every '.'), unlike an acronym */
    CHECK_PTB(t, &b, "It lasts 3.5. Then 2.75, at 5 p.m.",
              "it lasts 3.5 then 2.75 at 5 p.m.");
    /* hyphens: kept only between letters/digits (PTBLexer's THING); at a word's edge or in runs
     * ("--", "---" -> "--") they are tokens of their own, then dropped */
    CHECK_PTB(t, &b, "A high- and low-pitched 5-year-old hum--then (dog)- cat ---",
              "a high and low-pitched 5-year-old hum then -lrb- dog -rrb- cat");
    qa_strbuf_free(&b);
}

static void test_acc_map_hand(qa_t *t) {
    qa_metric_result r;
    const char *h1[] = {"a", "B", ""}, *r1[] = {"a", "b", ""};
    CHECK_OK(t, score(&r, "acc", NULL, h1, r1, 3));
    CHECK_NEAR(t, r.value, 2.0 / 3.0, 1e-12);
    const char *h2[] = {"yes", "no", "maybe"}, *r2[] = {"Yes", "no", "maybe"};
    CHECK_OK(t, score(&r, "acc-yesno", NULL, h2, r2, 3)); /* "yes" vs "Yes" is a miss */
    CHECK_NEAR(t, r.value, 0.5, 1e-12);
    CHECK_NEAR(t, part(&r, "acc_all"), 2.0 / 3.0, 1e-12);
    const char *h3[] = {"x"}, *r3[] = {"x"};
    CHECK_OK(t, score(&r, "acc-yesno", NULL, h3, r3, 1));
    CHECK(t, r.is_null);
    const char *h4[] = {"<|pitch|><|midi_pitch_60|><|instrument|>bass<|sonic|>bright",
                        "<|pitch|><|midi_pitch_72|><|instrument|>organ<|sonic|>bright, reverb"};
    const char *r4[] = {"<|pitch|><|midi_pitch_60|><|instrument|>bass<|sonic|>bright, dark",
                        "<|pitch|><|midi_pitch_61|><|instrument|>keyboard<|sonic|>dark, unknown"};
    CHECK_OK(t, score(&r, "map", NULL, h4, r4, 2));
    /* bright: y (1,0) p (1,1) -> 0.5; dark: y (1,1) p (0,0) -> prevalence 1; reverb: no positive -> 0 */
    CHECK_NEAR(t, r.value, 0.5, 1e-12);
    CHECK_NEAR(t, part(&r, "labels"), 3, 0);
    CHECK_NEAR(t, part(&r, "instrument_acc"), 0.5, 1e-12);
    CHECK_NEAR(t, part(&r, "pitch_top1"), 0.5, 1e-12);
    CHECK_NEAR(t, part(&r, "velocity_acc"), 1.0, 1e-12); /* both missing -> 128 == 128 */
    CHECK_OK(t, score(&r, "nsynth-instrument", NULL, h4, r4, 2));
    CHECK_NEAR(t, r.value, 0.5, 1e-12);
    const char *h5[] = {""}, *r5[] = {"<|pitch|><|midi_pitch_60|><|instrument|>bass<|sonic|>dark"};
    CHECK_OK(t, score(&r, "map", NULL, h5, r5, 1)); /* empty hypothesis: dark never predicted -> prevalence 1 */
    CHECK_NEAR(t, r.value, 1.0, 1e-12);
    CHECK_NEAR(t, part(&r, "instrument_acc"), 0.0, 0);
    const char *h6[] = {"Caf\xC3\xA9"}, *r6[] = {"Cafe"};
    CHECK_OK(t, score(&r, "acc", NULL, h6, r6, 1));
    CHECK_NEAR(t, r.value, 0.0, 0);
}

static void test_aas_hand(qa_t *t) {
    qa_metric_opts o = qa_metric_opts_default();
    qa_metric_result r;
    const char *h1[] = {"<|0.10|>a<|0.50|>c<|1.10|>"}, *r1[] = {"<|0.00|>a<|0.50|>b<|1.00|>"};
    CHECK_OK(t, score(&r, "aas", &o, h1, r1, 1)); /* only "a" matches: |0 - .1| + 0 */
    CHECK_NEAR(t, r.value, 100.0, 1e-9);
    CHECK_NEAR(t, part(&r, "matched"), 1, 0);
    /* the reference harness' missing leading <|0.00|>: we start the first word at 0 */
    const char *h2[] = {"<|en|>a<|0.40|>b<|1.00|>"}, *r2[] = {"<|0.00|>a<|0.50|>b<|1.00|>"};
    CHECK_OK(t, score(&r, "aas", &o, h2, r2, 1));
    CHECK_NEAR(t, r.value, 100.0, 1e-9);
    CHECK_NEAR(t, part(&r, "implicit_start"), 1, 0);
    const char *h3[] = {"<|0.00|>a<|0.50|>", "<|0.00|>a<|0.50|>"}, *r3[] = {"<|0.00|>a<|0.50|><|0.70|>b<|1.00|>", "<|0.00|>a<|0.60|>"};
    /* as evaluate_srwt.py: an empty gap is an (empty) word, not a reason to drop the line:
     * line 1 matches a with shift 0, line 2 a with shift .1 -> .1 / 2 */
    CHECK_OK(t, score(&r, "aas", &o, h3, r3, 2));
    CHECK_NEAR(t, part(&r, "dropped"), 0, 0);
    CHECK_NEAR(t, part(&r, "matched"), 2, 0);
    CHECK_NEAR(t, r.value, 50.0, 1e-9);
    /* text after the last timestamp is not a word (re.split(...)[1:-1]); words are not stripped
     * (" b" != "b"); <|123.45|> is not a timestamp (\d{1,2}\.\d+) but text */
    const char *h3b[] = {"<|0.00|>a<|0.40|>b<|1.00|>tail", "<|0.00|>a<|0.50|> b<|1.00|>", "<|0.00|>a<|0.50|>b<|123.45|>c<|1.00|>"},
               *r3b[] = {"<|0.00|>a<|0.50|>b<|1.00|>", "<|0.00|>a<|0.50|>b<|1.00|>", "<|0.00|>a<|0.50|>b<|123.45|>c<|1.00|>"};
    CHECK_OK(t, score(&r, "aas", &o, h3b, r3b, 3)); /* (.1 + .1) + 0 + 0 over 2 + 1 + 2 matched words */
    CHECK_NEAR(t, part(&r, "dropped"), 0, 0);
    CHECK_NEAR(t, part(&r, "matched"), 5, 0);
    CHECK_NEAR(t, r.value, 40.0, 1e-9);
    const char *h4[] = {"<|0.00|><|sil|><|0.30|>x<|0.90|>"}, *r4[] = {"<|0.00|><|sil|><|0.20|>x<|1.00|>"};
    CHECK_OK(t, score(&r, "aas", &o, h4, r4, 1)); /* <|sil|> is a word: (.1 + .1 + .1) / 2 */
    CHECK_NEAR(t, r.value, 150.0, 1e-9);
    const char *h5[] = {"<|0.00|>a<|0.50|>b<|1.00|>"}, *r5[] = {"<|0.00|>a<|0.50|>b<|1.00|>"};
    CHECK_OK(t, score(&r, "aas", &o, h5, r5, 1)); /* identical */
    CHECK_NEAR(t, r.value, 0.0, 0);
    CHECK_NEAR(t, part(&r, "wer_fraction"), 0.0, 0);
    const char *h6[] = {""}, *r6[] = {"<|0.00|>a<|0.50|>"};
    CHECK_OK(t, score(&r, "aas", &o, h6, r6, 1)); /* empty hypothesis: malformed, nothing matched */
    CHECK(t, r.is_null);
    CHECK_NEAR(t, part(&r, "dropped"), 1, 0);
    /* edit_distance.SequenceMatcher tie-break: ref [x], hyp [x, x] matches the LAST x */
    int32_t a[] = {7}, b2[] = {7, 7};
    size_t ia[1], jb[1];
    CHECK(t, qa_edit_align_equal(a, 1, b2, 2, ia, jb) == 1);
    CHECK(t, ia[0] == 0 && jb[0] == 1);
    int32_t c[] = {1, 2, 3, 4}, d[] = {1, 9, 3, 4, 5};
    size_t ic[4], jd[4];
    CHECK(t, qa_edit_align_equal(c, 4, d, 5, ic, jd) == 3);
    CHECK(t, ic[1] == 2 && jd[1] == 2);
    CHECK(t, qa_edit_distance(c, 4, d, 5) == 2);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_input_errors(qa_t *t) {
    char h[512], r[512], j[512];
    snprintf(h, sizeof h, "%s/h.txt", qa_test_tmpdir());
    snprintf(r, sizeof r, "%s/r.txt", qa_test_tmpdir());
    snprintf(j, sizeof j, "%s/res.jsonl", qa_test_tmpdir());
    qa_score_input in;
    write_file(h, "a\nb\n");
    write_file(r, "a\n");
    CHECK_STATUS(t, qa_score_input_read_pair(&in, h, r), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "2 lines") != NULL);
    CHECK_STATUS(t, qa_score_input_read_pair(&in, h, "/nonexistent/ref.txt"), QA_ERR_IO);
    write_file(r, "a\r\nb\tc\n");
    CHECK_OK(t, qa_score_input_read_pair(&in, h, r));
    CHECK(t, in.groups[0].n == 2 && in.groups[0].ref[1].nref == 2 && !strcmp(in.groups[0].ref[0].ref[0], "a"));
    qa_score_input_free(&in);
    write_file(r, "a\n\xff\xfe\n");
    CHECK_STATUS(t, qa_score_input_read_pair(&in, h, r), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "r.txt:2") != NULL);
    write_file(j, "{\"gt\": \"a\", \"response\": \"a\", \"source\": \"s1\"}\n{\"gt\": [\"b\", \"c\"], \"response\": \"c\", "
                  "\"source\": \"s2\"}\n\n{\"gt\": \"x\", \"response\": \"y\", \"source\": \"s1\"}\n");
    CHECK_OK(t, qa_score_input_read_results(&in, j));
    CHECK(t, in.ngroups == 2 && in.groups[0].n == 2 && in.groups[1].ref[0].nref == 2);
    qa_score_input_free(&in);
    /* the JSON-list form the Qwen-Audio scripts json.dump */
    write_file(j, " [{\"gt\": \"a\", \"response\": \"a\", \"source\": \"s1\"},\n {\"gt\": [\"b\"], \"response\": \"c\"}]\n");
    CHECK_OK(t, qa_score_input_read_results(&in, j));
    CHECK(t, in.ngroups == 2 && in.groups[0].n == 1 && in.groups[1].n == 1 && !strcmp(in.groups[1].source, ""));
    qa_score_input_free(&in);
    write_file(j, "[{\"gt\": \"a\", \"response\": \"a\"},\n {\"gt\": \"a\"}]\n");
    CHECK_STATUS(t, qa_score_input_read_results(&in, j), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "item 2") != NULL);
    write_file(j, "[{\"gt\": \"a\", \"response\": \"a\"},\n {\"gt\": \"a\",\n");
    CHECK_STATUS(t, qa_score_input_read_results(&in, j), QA_ERR_FORMAT);
    write_file(j, "{\"gt\": \"a\", \"response\": \"a\"}\n{\"gt\": \"a\", \"response\": 3}\n");
    CHECK_STATUS(t, qa_score_input_read_results(&in, j), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "res.jsonl:2") != NULL);
    write_file(j, "{\"gt\": \"a\", \"response\": \"a\"}\n{not json\n");
    CHECK_STATUS(t, qa_score_input_read_results(&in, j), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "res.jsonl:2") != NULL);
    qa_metric_result res;
    CHECK_STATUS(t, qa_metric_compute(&res, "nope", NULL, NULL, NULL, 0), QA_ERR_ARG);
    /* a single-reference metric must not silently score against the first of several references */
    const char *mh[] = {"a b", "c"}, *mr0[] = {"a b"}, *mr1[] = {"c", "d"};
    qa_refset mrs[] = {{mr0, 1}, {mr1, 2}};
    const char *single[] = {"wer", "cer", "acc", "acc-yesno", "map", "nsynth-instrument", "aas"};
    for (size_t k = 0; k < sizeof single / sizeof single[0]; k++) {
        CHECK_STATUS(t, qa_metric_compute(&res, single[k], NULL, mh, mrs, 2), QA_ERR_FORMAT);
        CHECK_MSG(t, strstr(qa_error_message(), "line 2") != NULL, "%s: '%s'", single[k], qa_error_message());
    }
    CHECK_OK(t, qa_metric_compute(&res, "bleu", NULL, mh, mrs, 2));
    CHECK_OK(t, qa_metric_compute(&res, "rouge", NULL, mh, mrs, 2));
}

int main(int argc, char **argv) {
    static const qa_test_case cases[] = {
        {"goldens", test_goldens},       {"wer_hand", test_wer_hand}, {"bleu_hand", test_bleu_hand},
        {"caption_hand", test_caption_hand}, {"acc_map_hand", test_acc_map_hand}, {"aas_hand", test_aas_hand},
        {"input_errors", test_input_errors}, {0}};
    return qa_test_main(argc, argv, cases);
}
