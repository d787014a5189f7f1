/* cli/cmd_score: `qaudio score` -- scores hypotheses against references with one metric and
 * prints one JSON object {"metric", "value", "n", <parts>}; with --results, one entry per
 * "source" under "per_source". Definitions: docs/metrics.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "cli/cli.h"
#include "core/fileio.h"
#include "eval/metric_spice.h"
#include "eval/metrics.h"
#include "eval/score_input.h"

static const char *const kMetrics[] = {"wer", "cer", "bleu", "cider", "rouge", "coco-bleu", "acc",
                                       "acc-yesno", "map", "nsynth-instrument", "aas", "spice", "spider", NULL};

static cJSON *result_json(const qa_metric_result *r, int with_metric) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (with_metric) cJSON_AddStringToObject(o, "metric", r->metric);
    if (r->is_null) cJSON_AddNullToObject(o, "value");
    else cJSON_AddNumberToObject(o, "value", r->value);
    cJSON_AddNumberToObject(o, "n", (double)r->n);
    for (int k = 0; k < r->nparts; k++) {
        if (r->parts[k].is_null) cJSON_AddNullToObject(o, r->parts[k].name);
        else cJSON_AddNumberToObject(o, r->parts[k].name, r->parts[k].value);
    }
    return o;
}

/* the reference harness picks the BLEU tokenizer from the target language of a CoVoST-style
 * source "covost_v2_en_zh_test": split('_')[-2] == "zh" -> zh, else 13a */
static qa_bleu_tok tok_from_source(const char *src) {
    const char *parts[64];
    int np = 0;
    const char *p = src;
    parts[np++] = p;
    for (; *p && np < 64; p++)
        if (*p == '_') parts[np++] = p + 1;
    if (np >= 2 && !strncmp(parts[np - 2], "zh_", 3)) return QA_BLEU_TOK_ZH;
    return QA_BLEU_TOK_13A;
}

static qa_status score_group(qa_metric_result *r, const char *metric, const qa_metric_opts *o, const qa_score_group *g) {
    if (!strcmp(metric, "spice") || !strcmp(metric, "spider"))
        return qa_metric_spice(r, !strcmp(metric, "spider"), g->hyp, g->ref, g->n, getenv("QAUDIO_SPICE_JAR"));
    return qa_metric_compute(r, metric, o, g->hyp, g->ref, g->n);
}

static int run(int argc, char **argv) {
    const char *metric = NULL, *lang = NULL, *tokenize = NULL, *norm = NULL, *hyp = NULL, *ref = NULL,
               *results = NULL, *out = NULL;
    qa_cli_opt opts[] = {
        {"-m", "--metric", QA_OPT_STR, &metric, "NAME",
         "wer|cer|bleu|cider|rouge|coco-bleu|acc|acc-yesno|map|nsynth-instrument|aas|spice|spider"},
        {NULL, "--lang", QA_OPT_STR, &lang, "en|zh", "wer/cer/aas: zh scores characters (default en)"},
        {NULL, "--tokenize", QA_OPT_STR, &tokenize, "13a|zh|none",
         "bleu tokenizer (default 13a; with --results, zh for *_zh_* target sources)"},
        {NULL, "--normalizer", QA_OPT_STR, &norm, "NAME", "wer/cer: none|whisper-en|whisper-basic (default none)"},
        {NULL, "--hyp", QA_OPT_STR, &hyp, "FILE", "hypotheses, one per line"},
        {NULL, "--ref", QA_OPT_STR, &ref, "FILE", "references, one line each (several: TAB-separated)"},
        {NULL, "--results", QA_OPT_STR, &results, "FILE", "results jsonl {\"gt\",\"response\",\"source\"}; scores per source"},
        {"-o", "--output", QA_OPT_STR, &out, "FILE", "write the JSON here instead of stdout"},
        {0}};
    int npos;
    int rc = qa_cli_parse(argc, argv, opts, "", NULL, 0, &npos);
    if (rc >= 0) return rc;
    if (!metric) return qa_cli_usage_error(argv[0], "--metric is required");
    int known = 0;
    for (int k = 0; kMetrics[k]; k++) known |= !strcmp(kMetrics[k], metric);
    if (!known)
        return qa_cli_usage_error(argv[0], "unknown metric '%s' (wer, cer, bleu, cider, rouge, coco-bleu, acc, acc-yesno, map, nsynth-instrument, aas, spice, spider)", metric);
    /* an option that the metric does not use is a mistake worth reporting, not ignoring */
    int is_asr = !strcmp(metric, "wer") || !strcmp(metric, "cer");
    if (norm && !is_asr) return qa_cli_usage_error(argv[0], "--normalizer applies to wer and cer only");
    if (tokenize && strcmp(metric, "bleu")) return qa_cli_usage_error(argv[0], "--tokenize applies to bleu only");
    if (lang && !is_asr && strcmp(metric, "aas")) return qa_cli_usage_error(argv[0], "--lang applies to wer, cer and aas only");
    if (!lang) lang = "en";
    if (!norm) norm = "none";
    qa_metric_opts o = qa_metric_opts_default();
    if (!strcmp(lang, "en")) o.lang = QA_LANG_EN;
    else if (!strcmp(lang, "zh")) o.lang = QA_LANG_ZH;
    else return qa_cli_usage_error(argv[0], "--lang must be en or zh, got '%s'", lang);
    if (tokenize) {
        if (!strcmp(tokenize, "13a")) o.tokenize = QA_BLEU_TOK_13A;
        else if (!strcmp(tokenize, "zh")) o.tokenize = QA_BLEU_TOK_ZH;
        else if (!strcmp(tokenize, "none")) o.tokenize = QA_BLEU_TOK_NONE;
        else return qa_cli_usage_error(argv[0], "--tokenize must be 13a, zh or none, got '%s'", tokenize);
    }
    if (!strcmp(norm, "none")) o.normalizer = QA_NORM_NONE;
    else if (!strcmp(norm, "whisper-en")) o.normalizer = QA_NORM_WHISPER_EN;
    else if (!strcmp(norm, "whisper-basic")) o.normalizer = QA_NORM_WHISPER_BASIC;
    else return qa_cli_usage_error(argv[0], "--normalizer must be none, whisper-en or whisper-basic, got '%s'", norm);
    if (results && (hyp || ref)) return qa_cli_usage_error(argv[0], "give either --results or --hyp and --ref, not both");
    if (!results && (!hyp || !ref)) return qa_cli_usage_error(argv[0], "--hyp and --ref (or --results) are required");

    qa_score_input in;
    qa_status st = results ? qa_score_input_read_results(&in, results) : qa_score_input_read_pair(&in, hyp, ref);
    if (st) return qa_cli_fail(argv[0], st);
    cJSON *root = NULL;
    if (!results) {
        qa_metric_result r;
        st = score_group(&r, metric, &o, &in.groups[0]);
        if (st == QA_ERR_FORMAT && strcmp(metric, "spice") && strcmp(metric, "spider")) st = qa_error_wrap(st, "%s", ref); /* "line N" of the reference file */
        if (!st && !(root = result_json(&r, 1))) st = qa_error(QA_ERR_NOMEM, "out of memory");
    } else {
        root = cJSON_CreateObject();
        cJSON *per = cJSON_CreateObject();
        if (!root || !per) { cJSON_Delete(per); st = qa_error(QA_ERR_NOMEM, "out of memory"); }
        else {
            cJSON_AddStringToObject(root, "metric", metric);
            size_t total = 0;
            for (size_t g = 0; g < in.ngroups; g++) total += in.groups[g].n;
            cJSON_AddNumberToObject(root, "n", (double)total);
            cJSON_AddItemToObject(root, "per_source", per);
        }
        for (size_t g = 0; g < in.ngroups && !st; g++) {
            qa_metric_opts og = o;
            if (!tokenize) og.tokenize = tok_from_source(in.groups[g].source);
            qa_metric_result r;
            if ((st = score_group(&r, metric, &og, &in.groups[g]))) {
                st = qa_error_wrap(st, "scoring source '%s'", in.groups[g].source);
                break;
            }
            cJSON *gj = result_json(&r, 0);
            if (!gj) { st = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
            cJSON_AddItemToObject(per, in.groups[g].source, gj);
        }
    }
    qa_score_input_free(&in);
    char *txt = st ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!st && !txt) st = qa_error(QA_ERR_NOMEM, "out of memory");
    if (!st) {
        if (out) {
            qa_atomic_file af;
            if (!(st = qa_atomic_file_open(&af, out))) {
                fprintf(af.f, "%s\n", txt);
                st = qa_atomic_file_commit(&af);
            }
        } else {
            printf("%s\n", txt);
            if (fflush(stdout) != 0) st = qa_error(QA_ERR_IO, "cannot write to stdout");
        }
    }
    free(txt);
    if (st) return qa_cli_fail(argv[0], st);
    return 0;
}

const qa_cli_cmd qa_cmd_score = {"score", "score hypotheses against references (WER, BLEU, CIDEr, ACC, mAP, AAS...)", run};
