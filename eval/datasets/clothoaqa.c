/* eval/datasets/clothoaqa: Clotho-AQA audio question answering -> eval jsonl.
 * Layout: ROOT/clotho_aqa_SPLIT.csv (file_name, QuestionText, answer, confidence; one row per
 * annotator answer, usually three per question) and ROOT/audio_files/ (wav files) (or --audio-dir).
 * Splits: train, val, test.
 * One line per csv row, in file order, as the reference harness's jsonl has it:
 * gt = answer (as written), question = QuestionText, source = clothoaqa_<split> (clothoaqa_test).
 * The confidence column is not used (the harness scores every answer line). */
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

qa_status qa_evaldata_clothoaqa(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    qa_ed_csv c = {0};
    char *csv = qa_ed_fmt("%s/clotho_aqa_%s.csv", o->root, o->split);
    char *adir = o->audio_dir ? qa_ed_fmt("%s", o->audio_dir) : qa_ed_join(o->root, "audio_files");
    char *source = qa_evaldata_source_name("clothoaqa", o->split);
    if (!csv || !adir || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(csv)) {
        s = qa_error(QA_ERR_IO, "Clotho-AQA: %s not found (splits: train, val, test)", csv);
        goto done;
    }
    if (!qa_ed_is_dir(adir)) {
        s = qa_error(QA_ERR_IO, "Clotho-AQA: audio folder %s not found (or give --audio-dir)", adir);
        goto done;
    }
    if ((s = qa_ed_csv_open(&c, csv, ',', 1))) goto done;
    int got, col[3];
    static const char *const names[3] = {"file_name", "QuestionText", "answer"};
    if ((s = qa_ed_csv_header(&c, names, 3, col, "file_name, QuestionText and answer"))) goto done;
    const int cf = col[0], cq = col[1], ca = col[2];
    while (!(s = qa_ed_csv_row(&c, &got)) && got) {
        if (!c.fields[cf][0] || !c.fields[cq][0]) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: empty file_name or QuestionText", csv, c.row_line);
            break;
        }
        char *audio = qa_ed_join(adir, c.fields[cf]);
        s = qa_evaldata_emit_row(out, audio, csv, c.row_line, c.fields[ca], source, c.fields[cq]);
        free(audio);
        if (s) break;
    }
done:
    qa_ed_csv_close(&c);
    free(csv);
    free(adir);
    free(source);
    return s;
}
