/* eval/metrics: result helpers and the by-name dispatcher of the metrics (see metrics.h). */
#include "eval/metrics.h"

#include <string.h>

qa_metric_opts qa_metric_opts_default(void) {
    qa_metric_opts o = {QA_LANG_EN, QA_BLEU_TOK_13A, QA_NORM_NONE};
    return o;
}

void qa_metric_result_init(qa_metric_result *r, const char *metric, size_t n) {
    memset(r, 0, sizeof *r);
    r->metric = metric;
    r->n = n;
}

void qa_metric_result_part(qa_metric_result *r, const char *name, double value) {
    if (r->nparts >= QA_METRIC_MAX_PARTS) return;
    r->parts[r->nparts++] = (qa_metric_part){name, value, 0};
}

void qa_metric_result_part_null(qa_metric_result *r, const char *name) {
    if (r->nparts >= QA_METRIC_MAX_PARTS) return;
    r->parts[r->nparts++] = (qa_metric_part){name, 0.0, 1};
}

qa_status qa_metric_compute(qa_metric_result *r, const char *metric, const qa_metric_opts *o,
                            const char *const *hyp, const qa_refset *ref, size_t n) {
    qa_metric_opts def = qa_metric_opts_default();
    if (!o) o = &def;
    /* the metrics that take several references per item; the others would silently use the first */
    int multi = !strcmp(metric, "bleu") || !strcmp(metric, "cider") || !strcmp(metric, "rouge") ||
                !strcmp(metric, "coco-bleu");
    for (size_t i = 0; i < n; i++) {
        if (!hyp[i] || ref[i].nref < 1 || !ref[i].ref)
            return qa_error(QA_ERR_ARG, "line %zu: a hypothesis and at least one reference are required", i + 1);
        if (!multi && ref[i].nref > 1)
            return qa_error(QA_ERR_FORMAT,
                            "line %zu: %d references (TAB-separated, or a gt list) but %s scores against one "
                            "reference per item: keep one",
                            i + 1, ref[i].nref, metric);
    }
    if (!strcmp(metric, "wer")) return qa_metric_wer(r, o, 0, hyp, ref, n);
    if (!strcmp(metric, "cer")) return qa_metric_wer(r, o, 1, hyp, ref, n);
    if (!strcmp(metric, "bleu")) return qa_metric_bleu(r, o, hyp, ref, n);
    if (!strcmp(metric, "cider") || !strcmp(metric, "rouge") || !strcmp(metric, "coco-bleu"))
        return qa_metric_caption(r, metric, hyp, ref, n);
    if (!strcmp(metric, "acc")) return qa_metric_acc(r, 0, hyp, ref, n);
    if (!strcmp(metric, "acc-yesno")) return qa_metric_acc(r, 1, hyp, ref, n);
    if (!strcmp(metric, "map")) return qa_metric_map(r, hyp, ref, n);
    if (!strcmp(metric, "nsynth-instrument")) { /* the same parse; the instrument accuracy as the value */
        qa_status st = qa_metric_map(r, hyp, ref, n);
        if (st) return st;
        r->metric = "nsynth-instrument";
        r->value = r->parts[0].value; /* instrument_acc */
        r->is_null = n == 0;
        return QA_OK;
    }
    if (!strcmp(metric, "aas")) return qa_metric_aas(r, o, hyp, ref, n);
    return qa_error(QA_ERR_ARG,
                    "unknown metric '%s' (wer, cer, bleu, cider, rouge, coco-bleu, acc, acc-yesno, map, nsynth-instrument, aas, spice, spider)",
                    metric);
}
