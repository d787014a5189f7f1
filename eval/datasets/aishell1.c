/* eval/datasets/aishell1: AISHELL-1 (openslr 33) -> eval jsonl.
 * Layout: ROOT/wav/SPLIT/SPEAKER/BAC009SxxxxWxxxx.wav and ROOT/transcript/aishell_transcript_v0.8.txt
 * ("ID word word ..."); ROOT is data_aishell/ (ROOT/data_aishell/... also works). The per-speaker
 * SPEAKER.tar.gz archives of the release must be unpacked first. Splits: train, dev, test.
 * gt = the transcript with the word-segmentation spaces removed; source = aishell1_<split>.
 * Wavs without a transcript line (a few exist in the release) are skipped and counted, as the
 * Kaldi/ESPnet recipes do. Order: speakers, then files, in natural order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

qa_status qa_evaldata_aishell1(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    qa_ed_map map = {0};
    char **spk = NULL;
    int nspk = 0;
    long long no_text = 0;
    const char *base = o->root;
    char *alt = qa_ed_join(o->root, "data_aishell");
    char *trans = NULL, *wav_dir = NULL, *source = qa_evaldata_source_name("aishell1", o->split);
    if (!alt || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    trans = qa_ed_join3(base, "transcript", "aishell_transcript_v0.8.txt");
    if (trans && !qa_ed_is_file(trans) && qa_ed_is_dir(alt)) { /* ROOT is the folder above data_aishell/ */
        free(trans);
        base = alt;
        trans = qa_ed_join3(base, "transcript", "aishell_transcript_v0.8.txt");
    }
    wav_dir = qa_ed_join3(base, "wav", o->split);
    if (!trans || !wav_dir) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(trans)) {
        s = qa_error(QA_ERR_IO, "AISHELL-1: transcript %s not found (ROOT must be the data_aishell/ folder)", trans);
        goto done;
    }
    if (!qa_ed_is_dir(wav_dir)) {
        s = qa_error(QA_ERR_IO, "AISHELL-1: audio folder %s not found (splits: train, dev, test; unpack "
                     "data_aishell/wav/*.tar.gz first)", wav_dir);
        goto done;
    }
    if ((s = qa_ed_load_transcripts(&map, trans))) goto done;
    if ((s = qa_ed_list_dir(wav_dir, 1, NULL, &spk, &nspk))) goto done;
    if (nspk == 0) {
        s = qa_error(QA_ERR_IO, "AISHELL-1: no speaker folders in %s (are the SPEAKER.tar.gz archives unpacked?)",
                     wav_dir);
        goto done;
    }
    for (int i = 0; i < nspk && !s; i++) {
        char *spk_dir = qa_ed_join(wav_dir, spk[i]);
        char **w = NULL;
        int nw = 0;
        if (!spk_dir) s = qa_error(QA_ERR_NOMEM, "out of memory");
        if (!s) s = qa_ed_list_dir(spk_dir, 0, ".wav", &w, &nw);
        for (int j = 0; j < nw && !s; j++) {
            char id[256];
            snprintf(id, sizeof id, "%.*s", (int)(strlen(w[j]) - 4), w[j]);
            const char *text = qa_ed_map_get(&map, id);
            if (!text) {
                no_text++;
                continue;
            }
            char *audio = qa_ed_join(spk_dir, w[j]);
            s = audio ? qa_evaldata_emit(out, audio, text, source, NULL) : qa_error(QA_ERR_NOMEM, "out of memory");
            free(audio);
        }
        qa_ed_names_free(w, nw);
        free(spk_dir);
    }
    if (!s && no_text && out->progress)
        fprintf(out->progress, "eval-data: aishell1 %s: skipped %lld wavs that have no line in %s\n", o->split,
                no_text, trans);
done:
    qa_ed_names_free(spk, nspk);
    qa_ed_map_free(&map);
    free(alt);
    free(trans);
    free(wav_dir);
    free(source);
    return s;
}
