/* eval/metric_bleu: sacrebleu corpus_bleu with its defaults (max n-gram order 4, "exp"
 * smoothing, brevity penalty against the closest reference length -- ties go to the shorter --,
 * case-sensitive, no effective order). Statistics are summed over the corpus:
 *   correct[k] = sum over lines of sum over hyp k-grams of min(hyp count, max count in any ref)
 *   total[k]   = sum over lines of max(0, hyp_len - k + 1)
 *   p_k = 100 * correct/total; a zero correct[k] becomes 100 / (2^z * total[k]) for the z-th
 *   zero order ("exp"); an order with total 0 stops the loop and leaves p_k = 0 (score 0).
 *   BLEU = bp * exp(mean_k log p_k), bp = exp(1 - ref_len/sys_len) when sys_len < ref_len
 *   (0 when sys_len is 0), else 1. */
#include <math.h>
#include <stdlib.h>

#include "eval/metrics.h"
#include "eval/ngram.h"

static qa_status tokens(qa_word_ids *ids, qa_interner *in, qa_strbuf *buf, const char *s, qa_bleu_tok tok) {
    qa_strbuf_clear(buf);
    ids->n = 0;
    qa_status st = qa_bleu_tokenize(buf, s, tok);
    if (st) return st;
    return qa_text_split_ids(ids, in, buf->s ? buf->s : "", buf->len);
}

qa_status qa_metric_bleu(qa_metric_result *r, const qa_metric_opts *o, const char *const *hyp,
                         const qa_refset *ref, size_t n) {
    qa_metric_result_init(r, "bleu", n);
    qa_interner *in = qa_interner_new();
    qa_ngram_table *tab = qa_ngram_table_new();
    qa_word_ids ids = {0};
    qa_strbuf buf = {0};
    qa_ngram_bag hb = {0};
    int nbags = 0;
    qa_ngram_bag *rb = NULL;
    qa_status st = QA_OK;
    if (!in || !tab) st = qa_error(QA_ERR_NOMEM, "out of memory");
    double correct[4] = {0}, total[4] = {0}, sys_len = 0, ref_len = 0;
    for (size_t i = 0; i < n && !st; i++) {
        if (ref[i].nref > nbags) {
            qa_ngram_bag *p = realloc(rb, (size_t)ref[i].nref * sizeof *p);
            if (!p) { st = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
            for (int k = nbags; k < ref[i].nref; k++) p[k] = (qa_ngram_bag){0};
            rb = p;
            nbags = ref[i].nref;
        }
        if ((st = tokens(&ids, in, &buf, hyp[i], o->tokenize))) break;
        if ((st = qa_ngram_bag_build(&hb, tab, ids.v, ids.n, 4))) break;
        long hl = (long)ids.n, best = -1;
        /* sacrebleu 2.x drops empty ("") references of a line (ragged multi-reference files);
         * when all are empty we keep one empty reference as 1.5.1 does (2.x raises instead) */
        int nonempty = 0;
        for (int k = 0; k < ref[i].nref; k++) nonempty += ref[i].ref[k][0] != 0;
        for (int k = 0; k < ref[i].nref && !st; k++) {
            if (nonempty && ref[i].ref[k][0] == 0) {
                rb[k].n = 0; /* an empty bag: matches nothing, and no length */
                continue;
            }
            if ((st = tokens(&ids, in, &buf, ref[i].ref[k], o->tokenize))) break;
            st = qa_ngram_bag_build(&rb[k], tab, ids.v, ids.n, 4);
            long rl = (long)ids.n;
            if (best < 0 || labs(rl - hl) < labs(best - hl) || (labs(rl - hl) == labs(best - hl) && rl < best))
                best = rl;
        }
        if (st) break;
        sys_len += (double)hl;
        ref_len += (double)(best < 0 ? 0 : best);
        for (int k = 1; k <= 4; k++) total[k - 1] += hl >= k ? (double)(hl - k + 1) : 0.0;
        for (size_t e = 0; e < hb.n; e++) {
            int32_t mx = 0;
            for (int k = 0; k < ref[i].nref; k++) {
                int32_t c = qa_ngram_bag_count(&rb[k], hb.e[e].id);
                if (c > mx) mx = c;
            }
            correct[hb.e[e].order - 1] += (double)(hb.e[e].count < mx ? hb.e[e].count : mx);
        }
    }
    for (int k = 0; k < nbags; k++) qa_ngram_bag_free(&rb[k]);
    free(rb);
    qa_ngram_bag_free(&hb);
    qa_word_ids_free(&ids);
    qa_strbuf_free(&buf);
    qa_ngram_table_free(tab);
    qa_interner_free(in);
    if (st) return st;

    double prec[4] = {0}, smooth = 1.0;
    for (int k = 0; k < 4; k++) {
        if (total[k] == 0) break;
        if (correct[k] == 0) {
            smooth *= 2;
            prec[k] = 100.0 / (smooth * total[k]);
        } else {
            prec[k] = 100.0 * correct[k] / total[k];
        }
    }
    double bp = 1.0;
    if (sys_len < ref_len) bp = sys_len > 0 ? exp(1.0 - ref_len / sys_len) : 0.0;
    double logsum = 0;
    for (int k = 0; k < 4; k++) logsum += prec[k] == 0 ? -9999999999.0 : log(prec[k]);
    r->value = bp * exp(logsum / 4.0);
    static const char *const pn[4] = {"precision_1", "precision_2", "precision_3", "precision_4"};
    for (int k = 0; k < 4; k++) qa_metric_result_part(r, pn[k], prec[k]);
    qa_metric_result_part(r, "bp", bp);
    qa_metric_result_part(r, "sys_len", sys_len);
    qa_metric_result_part(r, "ref_len", ref_len);
    if (ref_len > 0) qa_metric_result_part(r, "ratio", sys_len / ref_len);
    else qa_metric_result_part_null(r, "ratio");
    for (int k = 0; k < 4; k++) {
        static const char *const cn[4] = {"correct_1", "correct_2", "correct_3", "correct_4"};
        qa_metric_result_part(r, cn[k], correct[k]);
    }
    return QA_OK;
}
