/* eval/datasets/librispeech: LibriSpeech (openslr 12) -> eval jsonl.
 * Layout: ROOT/SPLIT/SPEAKER/CHAPTER/SPEAKER-CHAPTER-NNNN.flac plus SPEAKER-CHAPTER.trans.txt
 * ("ID TRANSCRIPT" per line); ROOT is the LibriSpeech/ folder (ROOT/LibriSpeech/SPLIT also works).
 * gt = the transcript as written (upper case), source = librispeech_<split with '_'>, e.g.
 * librispeech_test_clean, as in the reference harness's jsonl. */
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static qa_status chapter(qa_evaldata_out *out, const char *dir, const char *spk, const char *chap, const char *source)
{
    char *name = qa_ed_fmt("%s-%s.trans.txt", spk, chap);
    char *trans = name ? qa_ed_join(dir, name) : NULL;
    char *prefix = qa_ed_fmt("%s-%s-", spk, chap);
    qa_status s = QA_OK;
    qa_ed_lines r = {0};
    if (!name || !trans || !prefix) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(trans)) {
        s = qa_error(QA_ERR_IO, "LibriSpeech: transcript %s is missing (expected SPEAKER-CHAPTER.trans.txt in every "
                     "chapter folder)", trans);
        goto done;
    }
    if ((s = qa_ed_lines_open(&r, trans))) goto done;
    char *line;
    while (!s && qa_ed_lines_next(&r, &line)) {
        char *id, *text;
        if (!qa_ed_split_key(line, &id, &text)) continue;
        if (strncmp(id, prefix, strlen(prefix)) || !*text) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: expected '%sNNNN TRANSCRIPT', got '%s'", trans, r.line, prefix, id);
            break;
        }
        char *flac_name = qa_ed_fmt("%s.flac", id);
        char *audio = flac_name ? qa_ed_join(dir, flac_name) : NULL;
        s = qa_evaldata_emit_row(out, audio, trans, r.line, text, source, NULL);
        free(flac_name);
        free(audio);
    }
done:
    qa_ed_lines_close(&r);
    free(name);
    free(trans);
    free(prefix);
    return s;
}

qa_status qa_evaldata_librispeech(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    char *split_dir = qa_ed_join(o->root, o->split);
    if (split_dir && !qa_ed_is_dir(split_dir)) {
        free(split_dir);
        split_dir = qa_ed_join3(o->root, "LibriSpeech", o->split);
    }
    char *source = qa_evaldata_source_name("librispeech", o->split);
    if (!split_dir || !source) {
        free(split_dir);
        free(source);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    qa_status s = QA_OK;
    char **spk = NULL;
    int nspk = 0;
    if (!qa_ed_is_dir(split_dir)) {
        s = qa_error(QA_ERR_IO, "LibriSpeech: split folder '%s' not found under %s (nor under %s/LibriSpeech); "
                     "splits are dev-clean, dev-other, test-clean, test-other, train-*", o->split, o->root, o->root);
        goto done;
    }
    if ((s = qa_ed_list_dir(split_dir, 1, NULL, &spk, &nspk))) goto done;
    for (int i = 0; i < nspk && !s; i++) {
        char *spk_dir = qa_ed_join(split_dir, spk[i]);
        char **ch = NULL;
        int nch = 0;
        if (!spk_dir) s = qa_error(QA_ERR_NOMEM, "out of memory");
        if (!s) s = qa_ed_list_dir(spk_dir, 1, NULL, &ch, &nch);
        for (int j = 0; j < nch && !s; j++) {
            char *ch_dir = qa_ed_join(spk_dir, ch[j]);
            s = ch_dir ? chapter(out, ch_dir, spk[i], ch[j], source) : qa_error(QA_ERR_NOMEM, "out of memory");
            free(ch_dir);
        }
        qa_ed_names_free(ch, nch);
        free(spk_dir);
    }
done:
    qa_ed_names_free(spk, nspk);
    free(split_dir);
    free(source);
    return s;
}
