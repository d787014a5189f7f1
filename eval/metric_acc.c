/* eval/metric_acc: exact-match accuracy (sklearn accuracy_score on the strings, as the ASC, SER,
 * VSC and AQA scorers of Qwen-Audio use it) and the ClothoAQA "binary" accuracy: the same over
 * the lines whose reference, lower-cased, is "yes" or "no" (the hypothesis is NOT lower-cased,
 * so "Yes" against "yes" is a miss). Values are fractions. */
#include <string.h>
#include <strings.h>

#include "eval/metrics.h"

static int is_yesno(const char *s) { return !strcasecmp(s, "yes") || !strcasecmp(s, "no"); }

qa_status qa_metric_acc(qa_metric_result *r, int yesno, const char *const *hyp, const qa_refset *ref, size_t n) {
    qa_metric_result_init(r, yesno ? "acc-yesno" : "acc", n);
    size_t hit = 0, nb = 0, hit_b = 0;
    for (size_t i = 0; i < n; i++) {
        int ok = strcmp(hyp[i], ref[i].ref[0]) == 0;
        hit += (size_t)ok;
        if (is_yesno(ref[i].ref[0])) {
            nb++;
            hit_b += (size_t)ok;
        }
    }
    double all = n ? (double)hit / (double)n : 0.0;
    double bin = nb ? (double)hit_b / (double)nb : 0.0;
    if (yesno) {
        r->value = bin;
        r->is_null = nb == 0;
        if (n) qa_metric_result_part(r, "acc_all", all);
        else qa_metric_result_part_null(r, "acc_all");
    } else {
        r->value = all;
        r->is_null = n == 0;
        if (nb) qa_metric_result_part(r, "acc_binary", bin);
        else qa_metric_result_part_null(r, "acc_binary");
    }
    qa_metric_result_part(r, "n_binary", (double)nb);
    qa_metric_result_part(r, "correct", (double)(yesno ? hit_b : hit));
    return QA_OK;
}
