/* eval/datasets/tut2017: TUT Acoustic Scenes 2017 (DCASE 2017 task 1) -> eval jsonl.
 * Layout: ROOT = TUT-acoustic-scenes-2017-evaluation/ (or -development/) holding meta.txt
 * ("audio/NAME.wav<TAB>LABEL[<TAB>...]"), evaluation_setup/ (txt lists) and audio/ (wav files).
 * --split evaluation (default): evaluation_setup/evaluate.txt when present, else meta.txt;
 * any other split S reads evaluation_setup/S.txt (fold1_evaluate, fold1_test, ...). Lines with
 * only a file name (the *test.txt lists) take their label from meta.txt.
 * gt = the scene label as written in the file (beach, bus, cafe/restaurant, car, city_center,
 * forest_path, grocery_store, home, library, metro_station, office, park, residential_area,
 * train, tram) -- unconfirmed against the reference jsonl, which is not public;
 * source = tut2017_<split> (tut2017_evaluation). */
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

/* Splits "FILE<sep>LABEL[<sep>...]" (tab, else blanks) in place. */
static int split_entry(char *line, char **file, char **label)
{
    char *rest;
    if (!qa_ed_split_key(line, file, &rest)) return 0;
    char *tab = strpbrk(rest, "\t ");
    if (tab) *tab = '\0';
    *label = rest;
    return 1;
}

static qa_status load_meta(qa_ed_map *m, const char *path)
{
    qa_ed_lines r;
    qa_status s = qa_ed_lines_open(&r, path);
    if (s) return s;
    char *line, *file, *label;
    while (!s && qa_ed_lines_next(&r, &line)) {
        if (!split_entry(line, &file, &label)) continue;
        if (!*label) s = qa_error(QA_ERR_FORMAT, "%s:%zu: expected 'audio/FILE.wav<TAB>LABEL'", path, r.line);
        else s = qa_ed_map_put(m, file, label);
    }
    qa_ed_lines_close(&r);
    return s;
}

qa_status qa_evaldata_tut2017(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    qa_ed_map meta = {0};
    qa_ed_lines r = {0};
    int meta_loaded = 0;
    char *meta_path = qa_ed_join(o->root, "meta.txt");
    char *list = !strcmp(o->split, "evaluation") ? qa_ed_join3(o->root, "evaluation_setup", "evaluate.txt")
                                                 : qa_ed_fmt("%s/evaluation_setup/%s.txt", o->root, o->split);
    char *source = qa_evaldata_source_name("tut2017", o->split);
    if (!meta_path || !list || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(list)) {
        if (strcmp(o->split, "evaluation")) {
            s = qa_error(QA_ERR_IO, "TUT2017: %s not found (split S reads evaluation_setup/S.txt)", list);
            goto done;
        }
        free(list);
        list = qa_ed_fmt("%s", meta_path);
        if (!list) {
            s = qa_error(QA_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (!qa_ed_is_file(list)) {
            s = qa_error(QA_ERR_IO, "TUT2017: neither %s/evaluation_setup/evaluate.txt nor %s exists (ROOT must be "
                         "TUT-acoustic-scenes-2017-evaluation/)", o->root, meta_path);
            goto done;
        }
    }
    if ((s = qa_ed_lines_open(&r, list))) goto done;
    char *line, *file, *label;
    while (!s && qa_ed_lines_next(&r, &line)) {
        if (!split_entry(line, &file, &label)) continue;
        const char *lab = label;
        if (!*lab) {
            if (!meta_loaded) {
                if (!qa_ed_is_file(meta_path)) {
                    s = qa_error(QA_ERR_IO, "%s:%zu: no label, and %s (needed for the labels) is missing", list,
                                 r.line, meta_path);
                    break;
                }
                if ((s = load_meta(&meta, meta_path))) break;
                meta_loaded = 1;
            }
            const char *l = qa_ed_map_get(&meta, file);
            if (!l) {
                s = qa_error(QA_ERR_FORMAT, "%s:%zu: %s has no label in %s", list, r.line, file, meta_path);
                break;
            }
            lab = l;
        }
        char *audio = qa_ed_join(o->root, file);
        s = qa_evaldata_emit_row(out, audio, list, r.line, lab, source, NULL);
        free(audio);
    }
done:
    qa_ed_lines_close(&r);
    qa_ed_map_free(&meta);
    free(meta_path);
    free(list);
    free(source);
    return s;
}
