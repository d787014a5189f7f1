/* tests/fuzz/fuzz_score: every metric (and both Whisper normalisers) on arbitrary bytes. The
 * input is split at its first newline into a hypothesis and a reference line (the reference
 * further split at TABs, as the files are); nothing may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "eval/normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *nl = strchr(buf, '\n');
    char *ref = nl ? nl + 1 : buf;
    if (nl) *nl = 0;
    const char *refs[8];
    int nref = 0;
    refs[nref++] = ref;
    for (char *p = ref; *p && nref < 8; p++)
        if (*p == '\t') { *p = 0; refs[nref++] = p + 1; }
    const char *hyp[1] = {buf};
    qa_refset rs[1] = {{refs, nref}};
    static const char *const metrics[] = {"wer", "cer", "bleu", "cider", "rouge", "coco-bleu", "acc", "acc-yesno", "map", "aas"};
    for (int lang = 0; lang < 2; lang++)
        for (int tok = 0; tok < 3; tok++)
            for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
                qa_metric_opts o = {(qa_lang)lang, (qa_bleu_tok)tok, QA_NORM_NONE};
                qa_metric_result r;
                (void)qa_metric_compute(&r, metrics[m], &o, hyp, rs, 1);
            }
    for (int norm = 1; norm <= 2; norm++) {
        qa_metric_opts o = {QA_LANG_EN, QA_BLEU_TOK_13A, (qa_norm)norm};
        qa_metric_result r;
        (void)qa_metric_compute(&r, "wer", &o, hyp, rs, 1);
    }
    free(buf);
    return 0;
}
