/* eval/score_input: reads what `qaudio score` scores: a hypothesis file and a reference file
 * (one item per line, several references TAB-separated), or the results of the reference
 * harness ({"gt": str | [str...], "response": str, "source": str}: one object per line, or the
 * single JSON list that the Qwen-Audio eval scripts json.dump), grouped by source.
 *
 *   qa_score_input in;
 *   if ((s = qa_score_input_read_pair(&in, "hyp.txt", "ref.txt"))) ...   // one group ""
 *   if ((s = qa_score_input_read_results(&in, "results.jsonl"))) ...     // groups by source
 *   for (size_t g = 0; g < in.ngroups; g++) qa_metric_compute(&r, m, &o, in.groups[g].hyp, in.groups[g].ref, in.groups[g].n);
 *   qa_score_input_free(&in);
 *
 * Lines end with "\n" (a "\r" before it is removed); a final newline does not start a new
 * line. Errors name the file and line: mismatched line counts, unreadable files, invalid UTF-8,
 * bad JSON, missing or mistyped keys. */
#ifndef QA_EVAL_SCORE_INPUT_H
#define QA_EVAL_SCORE_INPUT_H
#include <stddef.h>
#include "core/status.h"
#include "eval/metrics.h"

typedef struct {
    char *source;          /* "" for --hyp/--ref input */
    const char **hyp;      /* [n] */
    qa_refset *ref;        /* [n] */
    size_t n, cap;
} qa_score_group;

typedef struct {
    qa_score_group *groups; /* in first-seen order */
    size_t ngroups;
    void **owned;           /* every block this input allocated (texts, reference arrays) */
    size_t nowned, capowned;
} qa_score_input;

qa_status qa_score_input_read_pair(qa_score_input *in, const char *hyp_path, const char *ref_path);
qa_status qa_score_input_read_results(qa_score_input *in, const char *path);
void qa_score_input_free(qa_score_input *in);

#endif
