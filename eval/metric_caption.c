/* eval/metric_caption: the COCO caption metrics of pycocoevalcap on PTB-tokenised text
 * (eval/tok_ptb.c): CIDEr-D, ROUGE-L and BLEU-1..4, computed together.
 *
 * CIDEr-D (pycocoevalcap cider_scorer): per sentence, counts of all 1..4-grams; document
 *   frequency df(g) = number of clips whose references (any of them) contain g; weights
 *   w(g) = count * (log(N_clips) - log(max(1, df(g)))); per order n, a clip's score against one
 *   reference is sum_g min(w_hyp, w_ref) * w_ref / (|w_hyp| |w_ref|) (no division when a norm is
 *   0) times exp(-(len_hyp - len_ref)^2 / (2 * 6^2)) where len = the number of BIGRAMS (the
 *   reference code's `if n == 1` on a 0-based order); clip score = 10 * mean over orders of the
 *   sum over references / #references; corpus value = mean over clips.
 * ROUGE-L (pycocoevalcap rouge): tokens = caption.split(" ") (an empty caption is one empty
 *   token); LCS with each reference; P = max LCS/len_hyp, R = max LCS/len_ref (maxima taken
 *   separately); F = (1 + 1.2^2) P R / (R + 1.2^2 P), 0 when P or R is 0; mean over clips.
 * BLEU (pycocoevalcap bleu_scorer, option "closest"): corpus sums of clipped matches and
 *   guesses, closest reference length (ties: shorter), Bleu_k = (prod_{i<=k} (c_i + 1e-15) /
 *   (g_i + 1e-9))^(1/k), times exp(1 - 1/ratio) when ratio = (sys + 1e-15)/(ref + 1e-9) < 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "eval/ngram.h"

typedef struct {
    qa_ngram_bag bag;
    qa_word_ids rouge; /* split(" ") ids */
    double *w;    /* [bag.n] tf-idf weights */
    double norm[4];
    int32_t bigrams;
} cap_sent;

static void sent_free(cap_sent *s) {
    qa_ngram_bag_free(&s->bag);
    qa_word_ids_free(&s->rouge);
    free(s->w);
}

static qa_status sent_build(cap_sent *s, qa_interner *in, qa_ngram_table *tab, qa_strbuf *buf, qa_word_ids *ids,
                            int32_t empty_id, const char *text) {
    qa_strbuf_clear(buf);
    ids->n = 0;
    qa_status st = qa_ptb_tokenize(buf, text);
    if (!st) st = qa_text_split_ids(ids, in, buf->s ? buf->s : "", buf->len);
    if (!st) st = qa_ngram_bag_build(&s->bag, tab, ids->v, ids->n, 4);
    for (size_t k = 0; k < ids->n && !st; k++) st = qa_word_ids_push(&s->rouge, ids->v[k]);
    if (!st && ids->n == 0) st = qa_word_ids_push(&s->rouge, empty_id); /* "".split(" ") == [""] */
    return st;
}

static void sent_vec(cap_sent *s, const int32_t *df, double log_n) {
    memset(s->norm, 0, sizeof s->norm);
    s->bigrams = 0;
    for (size_t e = 0; e < s->bag.n; e++) {
        const qa_ngram_entry *g = &s->bag.e[e];
        double d = log(df[g->id] > 1 ? (double)df[g->id] : 1.0);
        s->w[e] = (double)g->count * (log_n - d);
        s->norm[g->order - 1] += s->w[e] * s->w[e];
        if (g->order == 2) s->bigrams += g->count;
    }
    for (int k = 0; k < 4; k++) s->norm[k] = sqrt(s->norm[k]);
}

/* one reference's contribution, summed over the 4 orders */
static double cider_sim(const cap_sent *h, const cap_sent *r) {
    double val[4] = {0};
    size_t a = 0, b = 0;
    while (a < h->bag.n && b < r->bag.n) { /* both sorted by id: merge */
        int32_t x = h->bag.e[a].id, y = r->bag.e[b].id;
        if (x < y) a++;
        else if (y < x) b++;
        else {
            double vh = h->w[a], vr = r->w[b];
            val[h->bag.e[a].order - 1] += (vh < vr ? vh : vr) * vr;
            a++;
            b++;
        }
    }
    double delta = (double)(h->bigrams - r->bigrams), sum = 0;
    for (int k = 0; k < 4; k++) {
        if (h->norm[k] != 0 && r->norm[k] != 0) val[k] /= h->norm[k] * r->norm[k];
        val[k] *= exp(-(delta * delta) / (2.0 * 6.0 * 6.0));
        sum += val[k];
    }
    return sum;
}

static size_t lcs(const int32_t *a, size_t na, const int32_t *b, size_t nb, size_t *row) {
    memset(row, 0, (nb + 1) * sizeof *row);
    for (size_t i = 1; i <= na; i++) {
        size_t diag = 0;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            row[j] = a[i - 1] == b[j - 1] ? diag + 1 : (up > row[j - 1] ? up : row[j - 1]);
            diag = up;
        }
    }
    return row[nb];
}

qa_status qa_metric_caption(qa_metric_result *r, const char *which, const char *const *hyp,
                            const qa_refset *ref, size_t n) {
    qa_metric_result_init(r, !strcmp(which, "cider") ? "cider" : !strcmp(which, "rouge") ? "rouge" : "coco-bleu", n);
    qa_interner *in = qa_interner_new();
    qa_ngram_table *tab = qa_ngram_table_new();
    qa_strbuf buf = {0};
    qa_word_ids ids = {0};
    size_t nref_total = 0;
    for (size_t i = 0; i < n; i++) nref_total += (size_t)ref[i].nref;
    cap_sent *hs = calloc(n ? n : 1, sizeof *hs);
    cap_sent *rs = calloc(nref_total ? nref_total : 1, sizeof *rs);
    int32_t *df = NULL, *last = NULL;
    size_t *row = NULL;
    qa_status st = QA_OK;
    if (!in || !tab || !hs || !rs) st = qa_error(QA_ERR_NOMEM, "out of memory");
    int32_t empty_id = in ? qa_interner_id(in, "", 0) : -1;
    size_t maxlen = 1;
    for (size_t i = 0, o = 0; i < n && !st; o += (size_t)ref[i].nref, i++) {
        st = sent_build(&hs[i], in, tab, &buf, &ids, empty_id, hyp[i]);
        if (hs[i].rouge.n > maxlen) maxlen = hs[i].rouge.n;
        for (int k = 0; k < ref[i].nref && !st; k++) {
            st = sent_build(&rs[o + (size_t)k], in, tab, &buf, &ids, empty_id, ref[i].ref[k]);
            if (rs[o + (size_t)k].rouge.n > maxlen) maxlen = rs[o + (size_t)k].rouge.n;
        }
    }
    size_t ng = tab ? qa_ngram_table_size(tab) : 0;
    if (!st) {
        df = calloc(ng ? ng : 1, sizeof *df);
        last = malloc((ng ? ng : 1) * sizeof *last);
        row = malloc((maxlen + 1) * sizeof *row);
        if (!df || !last || !row) st = qa_error(QA_ERR_NOMEM, "out of memory");
        else for (size_t g = 0; g < ng; g++) last[g] = -1;
    }
    /* document frequency over the references of each clip (a clip counts once per n-gram) */
    for (size_t i = 0, o = 0; i < n && !st; o += (size_t)ref[i].nref, i++)
        for (int k = 0; k < ref[i].nref; k++) {
            const qa_ngram_bag *b = &rs[o + (size_t)k].bag;
            for (size_t e = 0; e < b->n; e++)
                if (last[b->e[e].id] != (int32_t)i) { last[b->e[e].id] = (int32_t)i; df[b->e[e].id]++; }
        }
    double log_n = log((double)n);
    for (size_t i = 0; i < n && !st; i++) {
        hs[i].w = malloc((hs[i].bag.n ? hs[i].bag.n : 1) * sizeof(double));
        if (!hs[i].w) st = qa_error(QA_ERR_NOMEM, "out of memory");
        else sent_vec(&hs[i], df, log_n);
    }
    for (size_t j = 0; j < nref_total && !st; j++) {
        rs[j].w = malloc((rs[j].bag.n ? rs[j].bag.n : 1) * sizeof(double));
        if (!rs[j].w) st = qa_error(QA_ERR_NOMEM, "out of memory");
        else sent_vec(&rs[j], df, log_n);
    }
    double cider = 0, rouge = 0, correct[4] = {0}, guess[4] = {0}, sys_len = 0, ref_len = 0;
    for (size_t i = 0, o = 0; i < n && !st; o += (size_t)ref[i].nref, i++) {
        const cap_sent *h = &hs[i];
        double s = 0, pmax = 0, rmax = 0;
        long hl = (long)h->bag.len, best = -1;
        for (int k = 0; k < ref[i].nref; k++) {
            const cap_sent *rr = &rs[o + (size_t)k];
            s += cider_sim(h, rr);
            size_t l = lcs(rr->rouge.v, rr->rouge.n, h->rouge.v, h->rouge.n, row);
            double p = (double)l / (double)h->rouge.n, rc = (double)l / (double)rr->rouge.n;
            if (p > pmax) pmax = p;
            if (rc > rmax) rmax = rc;
            long rl = (long)rr->bag.len;
            if (best < 0 || labs(rl - hl) < labs(best - hl) || (labs(rl - hl) == labs(best - hl) && rl < best)) best = rl;
        }
        cider += s / 4.0 / (double)ref[i].nref * 10.0;
        if (pmax != 0 && rmax != 0) rouge += ((1 + 1.2 * 1.2) * pmax * rmax) / (rmax + 1.2 * 1.2 * pmax);
        sys_len += (double)hl;
        ref_len += (double)best;
        for (int k = 1; k <= 4; k++) guess[k - 1] += hl >= k ? (double)(hl - k + 1) : 0.0;
        for (size_t e = 0; e < h->bag.n; e++) {
            int32_t mx = 0;
            for (int k = 0; k < ref[i].nref; k++) {
                int32_t c = qa_ngram_bag_count(&rs[o + (size_t)k].bag, h->bag.e[e].id);
                if (c > mx) mx = c;
            }
            correct[h->bag.e[e].order - 1] += (double)(h->bag.e[e].count < mx ? h->bag.e[e].count : mx);
        }
    }
    for (size_t i = 0; hs && i < n; i++) sent_free(&hs[i]);
    for (size_t j = 0; rs && j < nref_total; j++) sent_free(&rs[j]);
    free(hs);
    free(rs);
    free(df);
    free(last);
    free(row);
    qa_word_ids_free(&ids);
    qa_strbuf_free(&buf);
    qa_ngram_table_free(tab);
    qa_interner_free(in);
    if (st) return st;
    if (n == 0) {
        r->is_null = 1;
        return QA_OK;
    }
    cider /= (double)n;
    rouge /= (double)n;
    double bleus[4], b = 1.0;
    for (int k = 0; k < 4; k++) {
        b *= (correct[k] + 1e-15) / (guess[k] + 1e-9);
        bleus[k] = pow(b, 1.0 / (k + 1));
    }
    double ratio = (sys_len + 1e-15) / (ref_len + 1e-9);
    if (ratio < 1)
        for (int k = 0; k < 4; k++) bleus[k] *= exp(1.0 - 1.0 / ratio);
    r->value = !strcmp(which, "cider") ? cider : !strcmp(which, "rouge") ? rouge : bleus[3];
    qa_metric_result_part(r, "CIDEr", cider);
    qa_metric_result_part(r, "ROUGE_L", rouge);
    static const char *const bn[4] = {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"};
    for (int k = 0; k < 4; k++) qa_metric_result_part(r, bn[k], bleus[k]);
    return QA_OK;
}
