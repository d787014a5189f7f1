/* eval/metrics: the evaluation metrics of the Qwen-Audio table, each a pure function over
 * hypothesis lines and reference sets, with the result as a value plus named parts.
 * Exact definitions, scales and the differences from the reference tools: docs/metrics.md.
 *
 *   qa_metric_opts o = qa_metric_opts_default();      // lang en, tokenize 13a, no normaliser
 *   qa_metric_result r;
 *   qa_status s = qa_metric_compute(&r, "bleu", &o, hyps, refs, n);
 *   printf("%s = %g over %zu lines\n", r.metric, r.value, r.n);
 *
 * hyps[i] is one hypothesis line; refs[i] holds its references (most metrics use refs[i].ref[0];
 * BLEU, CIDEr, ROUGE-L use them all). Scales follow the paper: WER/CER percent, BLEU 0-100,
 * CIDEr/ROUGE/ACC/MAP fractions, AAS milliseconds. */
#ifndef QA_EVAL_METRICS_H
#define QA_EVAL_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include "core/status.h"
#include "eval/text_util.h"

typedef struct {
    const char *const *ref; /* [nref] reference strings */
    int nref;
} qa_refset;

typedef enum { QA_LANG_EN = 0, QA_LANG_ZH } qa_lang;
typedef enum { QA_BLEU_TOK_13A = 0, QA_BLEU_TOK_ZH, QA_BLEU_TOK_NONE } qa_bleu_tok;
typedef enum { QA_NORM_NONE = 0, QA_NORM_WHISPER_EN, QA_NORM_WHISPER_BASIC } qa_norm;

typedef struct {
    qa_lang lang;         /* wer/cer/aas: zh = per character, whitespace removed */
    qa_bleu_tok tokenize; /* bleu */
    qa_norm normalizer;   /* wer/cer: applied after remove_sp, before lower-casing/splitting */
} qa_metric_opts;

#define QA_METRIC_MAX_PARTS 16
typedef struct {
    const char *name; /* static string */
    double value;
    int is_null;      /* JSON null (e.g. no yes/no line) */
} qa_metric_part;

typedef struct {
    const char *metric; /* static string: "wer", "bleu", ... */
    double value;       /* on the paper's scale */
    int is_null;        /* value undefined (no line to score): printed as null */
    size_t n;           /* lines scored */
    int nparts;
    qa_metric_part parts[QA_METRIC_MAX_PARTS];
} qa_metric_result;

qa_metric_opts qa_metric_opts_default(void);
void qa_metric_result_init(qa_metric_result *r, const char *metric, size_t n);
void qa_metric_result_part(qa_metric_result *r, const char *name, double value);
void qa_metric_result_part_null(qa_metric_result *r, const char *name);

/* Dispatch by name: wer cer bleu cider rouge coco-bleu acc acc-yesno map nsynth-instrument aas. "spice"/"spider"
 * are handled by the CLI (external jar). Unknown name -> QA_ERR_ARG. */
qa_status qa_metric_compute(qa_metric_result *r, const char *metric, const qa_metric_opts *o,
                            const char *const *hyp, const qa_refset *ref, size_t n);

/* Word (cer = 0) or character (cer = 1) error rate, percent; parts: errors, ref_len, fraction. */
qa_status qa_metric_wer(qa_metric_result *r, const qa_metric_opts *o, int cer, const char *const *hyp,
                        const qa_refset *ref, size_t n);
/* sacrebleu corpus_bleu; parts: precision_1..4, bp, sys_len, ref_len, ratio. */
qa_status qa_metric_bleu(qa_metric_result *r, const qa_metric_opts *o, const char *const *hyp,
                         const qa_refset *ref, size_t n);
/* COCO caption metrics after PTB-style tokenisation (value CIDEr-D, ROUGE-L or Bleu_4; every
 * call reports all of CIDEr, ROUGE_L, Bleu_1..4 as parts). which: "cider", "rouge", "coco-bleu". */
qa_status qa_metric_caption(qa_metric_result *r, const char *which, const char *const *hyp,
                            const qa_refset *ref, size_t n);
/* Exact match accuracy (yesno = 1: only lines whose reference lower-cased is yes/no). */
qa_status qa_metric_acc(qa_metric_result *r, int yesno, const char *const *hyp, const qa_refset *ref, size_t n);
/* NSynth qualities mAP; parts: instrument_acc, velocity_acc, pitch_top1, pitch_chroma, labels. */
qa_status qa_metric_map(qa_metric_result *r, const char *const *hyp, const qa_refset *ref, size_t n);
/* SRWT average alignment shift in ms; parts: seconds, matched, dropped, wer_fraction. */
qa_status qa_metric_aas(qa_metric_result *r, const qa_metric_opts *o, const char *const *hyp,
                        const qa_refset *ref, size_t n);

/* ---- building blocks, exposed for tests and the normaliser ---- */
/* Qwen-Audio remove_sp: <|...|> -> " ", whitespace runs -> " ", drop the space before !,.?;:,
 * left-strip spaces; zh: delete all whitespace. Appends to dst. */
qa_status qa_text_remove_sp(qa_strbuf *dst, const char *s, qa_lang lang);
/* sacrebleu tokenizers (13a, zh, none) of one line (rstrip'd first, as sacrebleu does). */
qa_status qa_bleu_tokenize(qa_strbuf *dst, const char *s, qa_bleu_tok tok);
/* COCO PTB-style tokenisation, lower-cased, punctuation tokens dropped, tokens joined by " ". */
qa_status qa_ptb_tokenize(qa_strbuf *dst, const char *s);
/* Levenshtein distance over int sequences (unit costs). */
size_t qa_edit_distance(const int32_t *a, size_t na, const int32_t *b, size_t nb);
/* edit_distance.SequenceMatcher "equal" matches of ref a vs hyp b: writes pairs (i, j) into
 * ia/jb (capacity min(na, nb)) and returns their count, or (size_t)-1 when out of memory. */
size_t qa_edit_align_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb, size_t *ia, size_t *jb);

#endif
