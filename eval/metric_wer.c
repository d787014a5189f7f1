/* eval/metric_wer: WER and CER exactly as Qwen-Audio's evaluate_asr.py scores ASR: remove_sp on
 * both sides, (optionally a Whisper normaliser), lower-case, split on whitespace (zh or CER: into
 * characters, whitespace dropped), corpus value = sum of Levenshtein distances / sum of reference
 * lengths, in percent. */
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "eval/normalize.h"

static int is_punc(uint32_t c) {
    return c == '!' || c == ',' || c == '.' || c == '?' || c == ';' || c == ':';
}

qa_status qa_text_remove_sp(qa_strbuf *dst, const char *s, qa_lang lang) {
    size_t n = strlen(s);
    /* step 1: re.sub(r"<\|.*?\|>", " ") -- '.' does not cross a newline */
    qa_strbuf a = {0};
    qa_status st = QA_OK;
    for (size_t i = 0; i < n && !st;) {
        if (s[i] == '<' && i + 1 < n && s[i + 1] == '|') {
            size_t k = i + 2, end = 0;
            for (; k + 1 < n && s[k] != '\n'; k++)
                if (s[k] == '|' && s[k + 1] == '>') { end = k + 2; break; }
            if (end) {
                st = qa_strbuf_putc(&a, ' ');
                i = end;
                continue;
            }
        }
        st = qa_strbuf_putc(&a, s[i++]);
    }
    if (st) { qa_strbuf_free(&a); return st; }
    /* steps 2-5 in one pass over code points: collapse \s+ to one space (zh: drop it), drop a
     * space that precedes !,.?;: and drop leading spaces */
    const char *t = a.s ? a.s : "";
    size_t tn = a.len, i = 0;
    int pending_space = 0, at_start = 1;
    while (i < tn && !st) {
        size_t start = i;
        uint32_t cp = qa_utf8_next(t, tn, &i);
        if (qa_text_is_space(cp)) {
            pending_space = 1;
            continue;
        }
        if (pending_space && !at_start && !is_punc(cp) && lang != QA_LANG_ZH) st = qa_strbuf_putc(dst, ' ');
        pending_space = 0;
        at_start = 0;
        if (!st) st = qa_strbuf_putn(dst, t + start, i - start);
    }
    /* a trailing whitespace run stays as one space in the reference (only lstrip); it does not
     * change the token split, and zh drops it */
    if (!st && pending_space && !at_start && lang != QA_LANG_ZH) st = qa_strbuf_putc(dst, ' ');
    qa_strbuf_free(&a);
    return st;
}

/* remove_sp -> normaliser -> lower -> token ids (words or characters) */
static qa_status asr_tokens(qa_word_ids *ids, qa_interner *in, qa_strbuf *b1, qa_strbuf *b2, qa_strbuf *b3,
                            const char *s, const qa_metric_opts *o, qa_normalizer *nz, int chars) {
    qa_strbuf_clear(b1);
    qa_strbuf_clear(b2);
    qa_strbuf_clear(b3);
    ids->n = 0;
    qa_status st = qa_text_remove_sp(b1, s, o->lang);
    if (st) return st;
    const char *t = b1->s ? b1->s : "";
    size_t tn = b1->len;
    if (o->normalizer != QA_NORM_NONE) {
        if ((st = qa_normalizer_apply(nz, b2, t))) return st;
        t = b2->s ? b2->s : "";
        tn = b2->len;
    }
    if ((st = qa_text_lower(b3, t, tn))) return st;
    t = b3->s ? b3->s : "";
    return chars ? qa_text_char_ids(ids, in, t, b3->len) : qa_text_split_ids(ids, in, t, b3->len);
}

qa_status qa_metric_wer(qa_metric_result *r, const qa_metric_opts *o, int cer, const char *const *hyp,
                        const qa_refset *ref, size_t n) {
    qa_metric_result_init(r, cer ? "cer" : "wer", n);
    qa_interner *in = qa_interner_new();
    if (!in) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_word_ids hi = {0}, ri = {0};
    qa_strbuf b1 = {0}, b2 = {0}, b3 = {0};
    qa_normalizer *nz = NULL;
    qa_status st = qa_normalizer_new(&nz, o->normalizer);
    int chars = cer || o->lang == QA_LANG_ZH;
    double errors = 0, ref_len = 0;
    for (size_t i = 0; i < n && !st; i++) {
        if ((st = asr_tokens(&ri, in, &b1, &b2, &b3, ref[i].ref[0], o, nz, chars))) break;
        if ((st = asr_tokens(&hi, in, &b1, &b2, &b3, hyp[i], o, nz, chars))) break;
        size_t d = qa_edit_distance(ri.v, ri.n, hi.v, hi.n);
        if (d == (size_t)-1) { st = qa_error(QA_ERR_NOMEM, "out of memory in the edit distance"); break; }
        errors += (double)d;
        ref_len += (double)ri.n;
    }
    qa_word_ids_free(&hi);
    qa_word_ids_free(&ri);
    qa_strbuf_free(&b1);
    qa_strbuf_free(&b2);
    qa_strbuf_free(&b3);
    qa_interner_free(in);
    qa_normalizer_free(nz);
    if (st) return st;
    /* the reference divides by zero on an all-empty reference; we report null instead */
    if (ref_len > 0) {
        r->value = 100.0 * errors / ref_len;
        qa_metric_result_part(r, "fraction", errors / ref_len);
    } else {
        r->is_null = 1;
        qa_metric_result_part_null(r, "fraction");
    }
    qa_metric_result_part(r, "errors", errors);
    qa_metric_result_part(r, "ref_len", ref_len);
    return QA_OK;
}
