/* eval/datasets/covost2: CoVoST 2 speech translation -> eval jsonl, one source per direction.
 * Layout: ROOT/covost_v2.SRC_TGT.tsv as released (columns path, translation, split, ...; zh is
 * written zh-CN in file names), or the per-split files ROOT/covost_v2.SRC_TGT.SPLIT.tsv made by
 * get_covost_splits.py; audio: the Common Voice clips of the source language in
 * ROOT/SRC/clips/ (SRC as in the file name: en, de, zh-CN, ...), else ROOT/clips/, or --audio-dir.
 * TSVs are read as the CoVoST scripts write them (pandas, QUOTE_NONE, escapechar '\\'): quotes
 * are text and a backslash makes the next character literal.
 * Directions: --direction "en-zh,de-en" (each must exist), default = the seven of the paper
 * (en-de, de-en, en-zh, zh-en, es-en, fr-en, it-en), those whose tsv is absent being skipped.
 * gt = translation; source = covost_v2_SRC_TGT_SPLIT with two-letter codes (covost_v2_en_zh_test):
 * the harness reads the audio and text language tags from fields -3 and -2 of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static const char *const paper_directions = "en-de,de-en,en-zh,zh-en,es-en,fr-en,it-en";

/* Common Voice / CoVoST file-name code of a language tag. */
static const char *cv_code(const char *lang) { return !strcmp(lang, "zh") ? "zh-CN" : lang; }

static qa_status one_direction(qa_evaldata_out *out, const qa_evaldata_opts *o, const char *src, const char *tgt,
                               int required, int *found)
{
    qa_status s = QA_OK;
    qa_ed_csv c = {0};
    int per_split = 0;
    *found = 0;
    char *tsv = qa_ed_fmt("%s/covost_v2.%s_%s.tsv", o->root, cv_code(src), cv_code(tgt));
    char *tsv_split = qa_ed_fmt("%s/covost_v2.%s_%s.%s.tsv", o->root, cv_code(src), cv_code(tgt), o->split);
    char *clips = NULL, *source = qa_ed_fmt("covost_v2_%s_%s_%s", src, tgt, o->split);
    if (!tsv || !tsv_split || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    const char *path = tsv;
    if (!qa_ed_is_file(tsv)) {
        if (qa_ed_is_file(tsv_split)) {
            path = tsv_split;
            per_split = 1;
        } else {
            if (required)
                s = qa_error(QA_ERR_IO, "CoVoST 2 %s-%s: neither %s nor %s exists", src, tgt, tsv, tsv_split);
            else if (out->progress)
                fprintf(out->progress, "eval-data: covost2: no tsv for %s-%s, direction skipped\n", src, tgt);
            goto done;
        }
    }
    *found = 1;
    if (o->audio_dir) clips = qa_ed_fmt("%s", o->audio_dir);
    else {
        clips = qa_ed_fmt("%s/%s/clips", o->root, cv_code(src));
        if (clips && !qa_ed_is_dir(clips)) {
            free(clips);
            clips = qa_ed_fmt("%s/clips", o->root);
        }
    }
    if (!clips) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_dir(clips)) {
        s = qa_error(QA_ERR_IO, "CoVoST 2 %s-%s: Common Voice clips folder not found (tried %s/%s/clips and %s; "
                     "or give --audio-dir)", src, tgt, o->root, cv_code(src), clips);
        goto done;
    }
    if ((s = qa_ed_csv_open(&c, path, '\t', 0))) goto done;
    c.escape = '\\';
    int got, col[3];
    static const char *const names[3] = {"path", "translation", "split"}; /* split: in the joint tsv only */
    if ((s = qa_ed_csv_header(&c, names, per_split ? 2 : 3, col, per_split ? "path, translation"
                                                                         : "path, translation and split")))
        goto done;
    const int cp = col[0], ct = col[1], cs = per_split ? -1 : col[2];
    while (!(s = qa_ed_csv_row(&c, &got)) && got) {
        /* CoVoST 2 train also holds the rows marked "train_covost" (get_covost_splits.py) */
        if (!per_split && strcmp(c.fields[cs], o->split) &&
            !(!strcmp(o->split, "train") && !strcmp(c.fields[cs], "train_covost")))
            continue;
        if (!c.fields[cp][0]) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: empty path", path, c.row_line);
            break;
        }
        char *audio = qa_ed_join(clips, c.fields[cp]);
        s = qa_evaldata_emit_row(out, audio, path, c.row_line, c.fields[ct], source, NULL);
        free(audio);
        if (s) break;
    }
done:
    qa_ed_csv_close(&c);
    free(tsv);
    free(tsv_split);
    free(clips);
    free(source);
    return s;
}

qa_status qa_evaldata_covost2(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    int required = o->direction != NULL;
    char *list = qa_ed_fmt("%s", required ? o->direction : paper_directions);
    if (!list) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_status s = QA_OK;
    int nfound = 0;
    char *save = NULL;
    for (char *d = strtok_r(list, ",", &save); d && !s; d = strtok_r(NULL, ",", &save)) {
        d = qa_ed_trim(d);
        char *dash = strchr(d, '-');
        if (!dash || dash == d || !dash[1] || strchr(dash + 1, '-') || strchr(d, '_')) {
            s = qa_error(QA_ERR_ARG, "CoVoST 2: direction '%s' must look like en-de (two language codes)", d);
            break;
        }
        *dash = '\0';
        int found = 0;
        s = one_direction(out, o, d, dash + 1, required, &found);
        nfound += found;
    }
    if (!s && !nfound)
        s = qa_error(QA_ERR_IO, "CoVoST 2: no covost_v2.SRC_TGT.tsv file of the paper's directions in %s", o->root);
    free(list);
    return s;
}
