/* eval/metric_aas: SRWT average alignment shift (Qwen-Audio evaluate_srwt.py
 * AverageShiftCalculator), in milliseconds.
 *
 * A line such as "<|0.00|>打<|0.30|>开<|0.62|>" is parsed after removing <|startoftranscript|>,
 * <|transcribe|>, <|en|> and <|zh|>: the timestamps are the <|d.dd|> tokens, word i is the text
 * between timestamps i and i+1 (as written, not stripped; "<|sil|>" is a word) and spans
 * (t_i, t_i+1). Reference and hypothesis words are aligned as edit_distance.SequenceMatcher
 * aligns them; over the "equal" pairs, shift = |start_ref - start_hyp| + |end_ref - end_hyp|;
 * value = 1000 * sum of shifts / number of matched words.
 *
 * Where the reference harness is defective (qwen-audio-spec 9.5) we compute the correct value:
 *   - text before the first timestamp (the hypothesis of the reference harness lacks the
 *     <|0.00|> its prompt forced) is a word starting at 0.00 instead of being discarded;
 *   - a line without any timestamp drops that line on BOTH sides, so lines stay paired by index
 *     (the reference drops ref and hyp lines independently and then pairs by position).
 * Otherwise as the reference: words are not stripped, an empty gap between two timestamps is an
 * empty word, text after the last timestamp is ignored, <|123.45|> is text. */
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"

typedef struct {
    qa_word_ids words;  /* word ids */
    double *start; /* [words.n] seconds */
    double *end;
    size_t cap;
} srwt_line;

static void line_free(srwt_line *l) {
    qa_word_ids_free(&l->words);
    free(l->start);
    free(l->end);
}

static int is_dropped_tag(const char *p) {
    static const char *const tags[] = {"<|startoftranscript|>", "<|transcribe|>", "<|en|>", "<|zh|>"};
    for (size_t k = 0; k < 4; k++)
        if (!strncmp(p, tags[k], strlen(tags[k]))) return (int)strlen(tags[k]);
    return 0;
}

/* <|d.d+|> or <|dd.d+|> at p (the reference's <\|\d{1,2}\.\d+\|>): returns its length and the
 * value, or 0 */
static size_t timestamp_at(const char *p, double *t) {
    if (p[0] != '<' || p[1] != '|') return 0;
    size_t i = 2, d1 = 0, d2 = 0;
    while (p[i] >= '0' && p[i] <= '9') { i++; d1++; }
    if (!d1 || d1 > 2 || p[i] != '.') return 0;
    i++;
    while (p[i] >= '0' && p[i] <= '9') { i++; d2++; }
    if (!d2 || p[i] != '|' || p[i + 1] != '>') return 0;
    *t = strtod(p + 2, NULL);
    return i + 2;
}

static qa_status push_word(srwt_line *l, qa_interner *in, const char *w, size_t n, double s, double e) {
    /* the word as written: the reference compares the raw text between timestamps (" b" != "b") */
    size_t b = 0, en = n;
    if (l->words.n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        double *a = realloc(l->start, cap * sizeof *a);
        if (!a) return qa_error(QA_ERR_NOMEM, "out of memory");
        l->start = a;
        double *z = realloc(l->end, cap * sizeof *z);
        if (!z) return qa_error(QA_ERR_NOMEM, "out of memory");
        l->end = z;
        l->cap = cap;
    }
    int32_t id = qa_interner_id(in, w + b, en - b);
    if (id < 0) return qa_error(QA_ERR_NOMEM, "out of memory");
    l->start[l->words.n] = s;
    l->end[l->words.n] = e;
    return qa_word_ids_push(&l->words, id);
}

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) return 0;
    return 1;
}

/* parses one line; *ok = 0 when it has no timestamp; *implicit = 1 when a leading word got
 * t = 0.00. As re.split(ts)[1:-1]: an empty gap is an empty word, text after the last
 * timestamp is no word. */
static qa_status parse_line(srwt_line *l, qa_interner *in, const char *s, int *ok, int *implicit) {
    qa_strbuf clean = {0};
    qa_status st = QA_OK;
    for (size_t i = 0; s[i] && !st;) {
        int k = s[i] == '<' ? is_dropped_tag(s + i) : 0;
        if (k) { i += (size_t)k; continue; }
        st = qa_strbuf_putc(&clean, s[i++]);
    }
    l->words.n = 0;
    *ok = 1;
    *implicit = 0;
    const char *p = clean.s ? clean.s : "";
    size_t nts = 0, seg = 0;
    double prev = 0;
    for (size_t i = 0; p[i] && !st;) {
        double t;
        size_t k = p[i] == '<' ? timestamp_at(p + i, &t) : 0;
        if (!k) { i++; continue; }
        if (nts == 0) {
            if (!blank(p, i)) { /* the hypothesis' missing <|0.00|>: the word starts at 0 */
                st = push_word(l, in, p, i, 0.0, t);
                *implicit = 1;
            }
        } else {
            st = push_word(l, in, p + seg, i - seg, prev, t);
        }
        nts++;
        prev = t;
        i += k;
        seg = i;
    }
    if (nts == 0) *ok = 0;
    qa_strbuf_free(&clean);
    return st;
}

qa_status qa_metric_aas(qa_metric_result *r, const qa_metric_opts *o, const char *const *hyp,
                        const qa_refset *ref, size_t n) {
    qa_metric_result_init(r, "aas", n);
    qa_interner *in = qa_interner_new();
    if (!in) return qa_error(QA_ERR_NOMEM, "out of memory");
    srwt_line lr = {0}, lh = {0};
    size_t *ia = NULL, *jb = NULL, cap = 0, matched = 0, dropped = 0, implicit_starts = 0;
    double shift = 0;
    qa_status st = QA_OK;
    for (size_t i = 0; i < n && !st; i++) {
        int okr, okh, imr, imh;
        if ((st = parse_line(&lr, in, ref[i].ref[0], &okr, &imr))) break;
        if ((st = parse_line(&lh, in, hyp[i], &okh, &imh))) break;
        if (!okr || !okh) { dropped++; continue; }
        implicit_starts += (size_t)imh;
        size_t m = lr.words.n < lh.words.n ? lr.words.n : lh.words.n;
        if (m > cap) {
            free(ia);
            free(jb);
            ia = malloc(m * sizeof *ia);
            jb = malloc(m * sizeof *jb);
            cap = m;
            if (!ia || !jb) { st = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
        }
        if (m == 0) continue;
        size_t k = qa_edit_align_equal(lr.words.v, lr.words.n, lh.words.v, lh.words.n, ia, jb);
        if (k == (size_t)-1) { st = qa_error(QA_ERR_NOMEM, "out of memory in the alignment"); break; }
        for (size_t x = 0; x < k; x++) {
            double ds = lr.start[ia[x]] - lh.start[jb[x]], de = lr.end[ia[x]] - lh.end[jb[x]];
            shift += (ds < 0 ? -ds : ds) + (de < 0 ? -de : de);
        }
        matched += k;
    }
    free(ia);
    free(jb);
    line_free(&lr);
    line_free(&lh);
    qa_interner_free(in);
    if (st) return st;
    if (matched) {
        r->value = shift / (double)matched * 1000.0;
        qa_metric_result_part(r, "seconds", shift / (double)matched);
    } else {
        r->is_null = 1;
        qa_metric_result_part_null(r, "seconds");
    }
    qa_metric_result_part(r, "matched", (double)matched);
    qa_metric_result_part(r, "dropped", (double)dropped);
    qa_metric_result_part(r, "implicit_start", (double)implicit_starts);
    qa_metric_result wr;
    qa_metric_opts wo = *o;
    wo.normalizer = QA_NORM_NONE;
    if ((st = qa_metric_wer(&wr, &wo, 0, hyp, ref, n))) return st;
    if (wr.is_null) qa_metric_result_part_null(r, "wer_fraction");
    else qa_metric_result_part(r, "wer_fraction", wr.value / 100.0);
    return QA_OK;
}
