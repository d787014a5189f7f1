/* eval/datasets/clotho: Clotho (v1/v2) audio captioning -> eval jsonl.
 * Layout: ROOT/clotho_captions_SPLIT.csv (file_name, caption_1 .. caption_5; captions are quoted
 * when they hold commas or quotes) and the audio in ROOT/SPLIT/ (*.wav) (or --audio-dir). Splits:
 * development, validation, evaluation (the paper's "test").
 * gt = the five captions as a list, in column order; source = clotho_<split>
 * (clotho_evaluation, as in the reference harness's jsonl). */
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

qa_status qa_evaldata_clotho(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    qa_ed_csv c = {0};
    char *csv = qa_ed_fmt("%s/clotho_captions_%s.csv", o->root, o->split);
    char *adir = o->audio_dir ? qa_ed_fmt("%s", o->audio_dir) : qa_ed_join(o->root, o->split);
    char *source = qa_evaldata_source_name("clotho", o->split);
    if (!csv || !adir || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(csv)) {
        s = qa_error(QA_ERR_IO, "Clotho: captions file %s not found (splits: development, validation, evaluation)",
                     csv);
        goto done;
    }
    if (!qa_ed_is_dir(adir)) {
        s = qa_error(QA_ERR_IO, "Clotho: audio folder %s not found (extract clotho_audio_%s.7z there or give "
                     "--audio-dir)", adir, o->split);
        goto done;
    }
    if ((s = qa_ed_csv_open(&c, csv, ',', 1))) goto done;
    int got, col[6];
    static const char *const names[6] = {"file_name", "caption_1", "caption_2", "caption_3", "caption_4", "caption_5"};
    if ((s = qa_ed_csv_header(&c, names, 6, col, "file_name, caption_1..caption_5"))) goto done;
    while (!(s = qa_ed_csv_row(&c, &got)) && got) {
        const char *caps[5];
        for (int i = 0; i < 5; i++) caps[i] = c.fields[col[i + 1]];
        char *audio = qa_ed_join(adir, c.fields[col[0]]);
        char *where = qa_ed_fmt("%s:%zu", csv, c.row_line);
        int keep = 0;
        if (!audio || !where) s = qa_error(QA_ERR_NOMEM, "out of memory");
        if (!s && !c.fields[col[0]][0]) s = qa_error(QA_ERR_FORMAT, "%s: empty file_name", where);
        if (!s) s = qa_evaldata_check_audio(out, audio, where, &keep);
        if (!s && keep) s = qa_evaldata_emit_list(out, audio, caps, 5, source);
        free(audio);
        free(where);
        if (s) break;
    }
done:
    qa_ed_csv_close(&c);
    free(csv);
    free(adir);
    free(source);
    return s;
}
