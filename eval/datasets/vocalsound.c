/* eval/datasets/vocalsound: VocalSound vocal sound classification -> eval jsonl.
 * Layout (vs_release_16k.zip): ROOT/audio_16k/SPEAKER_N_LABEL.wav (e.g. f0003_0_cough.wav) and
 * ROOT/datafiles/{tr,val,te}.json ({"data": [{"wav": ".../f0003_0_cough.wav", ...}]}, the
 * speaker-disjoint official split). --split test|val|train reads te|val|tr.json and takes the
 * file name of each "wav" from audio_16k/; --split all lists every wav of audio_16k/.
 * gt = the label in the file name mapped to the class names of the VocalSound paper:
 * laughter->Laughter, sigh->Sigh, cough->Cough, throatclearing->"Throat clearing",
 * sneeze->Sneeze, sniff->Sniff (unconfirmed: the reference jsonl is not public; these are the
 * names later Qwen-Audio evaluations compare with). source = vocalsound_<split>. */
#include "cJSON.h"
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static const char *const label_map[6][2] = {
    {"laughter", "Laughter"}, {"sigh", "Sigh"},     {"cough", "Cough"},
    {"throatclearing", "Throat clearing"}, {"sneeze", "Sneeze"}, {"sniff", "Sniff"},
};

/* "f0003_0_cough.wav" -> "Cough"; NULL when the name does not end in a known label. */
static const char *label_of(const char *name)
{
    const char *us = strrchr(name, '_');
    const char *dot = strrchr(name, '.');
    if (!us || !dot || dot < us) return NULL;
    size_t n = (size_t)(dot - us - 1);
    for (int i = 0; i < 6; i++)
        if (strlen(label_map[i][0]) == n && !strncmp(us + 1, label_map[i][0], n)) return label_map[i][1];
    return NULL;
}

static qa_status one_file(qa_evaldata_out *out, const char *adir, const char *name, const char *where,
                          const char *source)
{
    const char *label = label_of(name);
    if (!label)
        return qa_error(QA_ERR_FORMAT, "%s: file name '%s' does not end in _LABEL.wav with LABEL one of laughter, "
                        "sigh, cough, throatclearing, sneeze, sniff", where, name);
    char *audio = qa_ed_join(adir, name);
    if (!audio) return qa_error(QA_ERR_NOMEM, "out of memory");
    int keep = 0;
    qa_status s = qa_evaldata_check_audio(out, audio, where, &keep);
    if (!s && keep) s = qa_evaldata_emit(out, audio, label, source, NULL);
    free(audio);
    return s;
}

qa_status qa_evaldata_vocalsound(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    const char *jname = !strcmp(o->split, "test") ? "te.json" : !strcmp(o->split, "val") ? "val.json"
                        : !strcmp(o->split, "train") ? "tr.json" : NULL;
    if (!jname && strcmp(o->split, "all"))
        return qa_error(QA_ERR_ARG, "VocalSound: unknown split '%s' (test, val, train, all)", o->split);
    char *adir = o->audio_dir ? qa_ed_fmt("%s", o->audio_dir) : qa_ed_join(o->root, "audio_16k");
    char *json_path = jname ? qa_ed_join3(o->root, "datafiles", jname) : NULL;
    char *source = qa_evaldata_source_name("vocalsound", o->split);
    char *text = NULL, **names = NULL;
    int nnames = 0;
    cJSON *root = NULL;
    if (!adir || !source || (jname && !json_path)) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_dir(adir)) {
        s = qa_error(QA_ERR_IO, "VocalSound: audio folder %s not found (or give --audio-dir)", adir);
        goto done;
    }
    if (!jname) {
        if ((s = qa_ed_list_dir(adir, 0, ".wav", &names, &nnames))) goto done;
        for (int i = 0; i < nnames && !s; i++) s = one_file(out, adir, names[i], adir, source);
        goto done;
    }
    if (!qa_ed_is_file(json_path)) {
        s = qa_error(QA_ERR_IO, "VocalSound: split list %s not found (or use --split all)", json_path);
        goto done;
    }
    if ((s = qa_file_read_all(json_path, &text, NULL))) goto done;
    root = cJSON_Parse(text);
    const cJSON *data = root ? cJSON_GetObjectItemCaseSensitive(root, "data") : NULL;
    if (!cJSON_IsArray(data)) {
        s = qa_error(QA_ERR_FORMAT, "%s: expected a JSON object {\"data\": [{\"wav\": ...}, ...]}", json_path);
        goto done;
    }
    int idx = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, data) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "wav");
        char where[64 + 4096];
        snprintf(where, sizeof where, "%s: data[%d]", json_path, idx);
        if (!cJSON_IsString(w) || !w->valuestring[0]) {
            s = qa_error(QA_ERR_FORMAT, "%s has no \"wav\" string", where);
            break;
        }
        if ((s = one_file(out, adir, qa_ed_basename(w->valuestring), where, source))) break;
        idx++;
    }
done:
    cJSON_Delete(root);
    free(text);
    qa_ed_names_free(names, nnames);
    free(adir);
    free(json_path);
    free(source);
    return s;
}
