/* eval/datasets/meld: MELD speech emotion recognition -> eval jsonl.
 * Layout: ROOT/SPLIT_sent_emo.csv (Sr No., Utterance, Speaker, Emotion, Sentiment, Dialogue_ID,
 * Utterance_ID, ...; utterances are quoted and hold commas, quotes and newlines) and the audio of
 * each utterance as diaD_uttU.wav. MELD ships video clips (diaD_uttU.mp4), which libsndfile cannot
 * read: extract the audio first with an external tool, e.g.
 *     for f in *.mp4; do ffmpeg -i "$f" -vn -ac 1 -ar 16000 "${f%.mp4}.wav"; done
 * The wavs are looked for in --audio-dir, else in the official clip folder of the split
 * (test: output_repeated_splits_test, dev: dev_splits_complete, train: train_splits).
 * gt = Emotion as written (neutral, joy, sadness, anger, surprise, fear, disgust);
 * source = meld_<split> (meld_test). */
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static const char *clip_folder(const char *split)
{
    if (!strcmp(split, "test")) return "output_repeated_splits_test";
    if (!strcmp(split, "dev")) return "dev_splits_complete";
    if (!strcmp(split, "train")) return "train_splits";
    return NULL;
}

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

qa_status qa_evaldata_meld(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    qa_ed_csv c = {0};
    const char *folder = clip_folder(o->split);
    if (!folder) return qa_error(QA_ERR_ARG, "MELD: unknown split '%s' (train, dev, test)", o->split);
    char *csv = qa_ed_fmt("%s/%s_sent_emo.csv", o->root, o->split);
    char *adir = o->audio_dir ? qa_ed_fmt("%s", o->audio_dir) : qa_ed_join(o->root, folder);
    char *source = qa_evaldata_source_name("meld", o->split);
    if (!csv || !adir || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(csv)) {
        s = qa_error(QA_ERR_IO, "MELD: %s not found", csv);
        goto done;
    }
    if (!qa_ed_is_dir(adir)) {
        s = qa_error(QA_ERR_IO, "MELD: audio folder %s not found: put the extracted diaD_uttU.wav files there or "
                     "give --audio-dir (MELD's mp4 clips need an external converter such as ffmpeg)", adir);
        goto done;
    }
    if ((s = qa_ed_csv_open(&c, csv, ',', 1))) goto done;
    int got, col[3];
    static const char *const names[3] = {"Emotion", "Dialogue_ID", "Utterance_ID"};
    if ((s = qa_ed_csv_header(&c, names, 3, col, "Emotion, Dialogue_ID and Utterance_ID"))) goto done;
    const int ce = col[0], cd = col[1], cu = col[2];
    while (!(s = qa_ed_csv_row(&c, &got)) && got) {
        const char *d = c.fields[cd], *u = c.fields[cu], *emo = c.fields[ce];
        if (!all_digits(d) || !all_digits(u) || !*emo) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: Dialogue_ID '%s' / Utterance_ID '%s' must be numbers and Emotion "
                         "non-empty", csv, c.row_line, d, u);
            break;
        }
        char *audio = qa_ed_fmt("%s/dia%s_utt%s.wav", adir, d, u);
        char *mp4 = qa_ed_fmt("%s/dia%s_utt%s.mp4", adir, d, u);
        if (!audio || !mp4) s = qa_error(QA_ERR_NOMEM, "out of memory");
        else if (!qa_ed_is_file(audio) && qa_ed_is_file(mp4) && !o->skip_missing)
            s = qa_error(QA_ERR_UNSUPPORTED, "%s:%zu: %s exists but its audio was not extracted: convert it first, "
                         "e.g. ffmpeg -i %s -vn -ac 1 -ar 16000 %s", csv, c.row_line, mp4, mp4, audio);
        if (!s) s = qa_evaldata_emit_row(out, audio, csv, c.row_line, emo, source, NULL);
        free(audio);
        free(mp4);
        if (s) break;
    }
done:
    qa_ed_csv_close(&c);
    free(csv);
    free(adir);
    free(source);
    return s;
}
