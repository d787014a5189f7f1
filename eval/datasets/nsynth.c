/* eval/datasets/nsynth: NSynth musical note analysis -> eval jsonl.
 * Layout: ROOT/nsynth-SPLIT/{examples.json, audio/NOTE.wav} (ROOT may also be the nsynth-SPLIT
 * folder itself). examples.json maps each note name to {pitch, velocity, instrument_family_str,
 * qualities_str, ...}. Splits: train, valid, test. Lines follow the order of examples.json.
 * gt = "<|pitch|><|midi_pitch_P|><|velocity|><|midi_velocity_V|><|instrument|>FAMILY<|sonic|>Q1, Q2"
 * (qualities joined by ", ", nothing after <|sonic|> when there is none). The harness's parser
 * (evaluate_note_analysis.py) reads each field by its tag, so field order does not change scores;
 * the order and the use of instrument_family_str (bass, brass, ..., vocal) are our choice, not
 * confirmed against the unpublished reference jsonl. source = nsynth_<split> (nsynth_test). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static int midi_value(const cJSON *v, int *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 127 || v->valuedouble != (double)(int)v->valuedouble)
        return 0;
    *out = (int)v->valuedouble;
    return 1;
}

static qa_status note(qa_evaldata_out *out, const char *json_path, const char *adir, const cJSON *e,
                      const char *source)
{
    const char *key = e->string;
    int pitch, vel;
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(e, "instrument_family_str");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(e, "qualities_str");
    if (!cJSON_IsObject(e) || !midi_value(cJSON_GetObjectItemCaseSensitive(e, "pitch"), &pitch) ||
        !midi_value(cJSON_GetObjectItemCaseSensitive(e, "velocity"), &vel) || !cJSON_IsString(fam) ||
        !fam->valuestring[0] || !cJSON_IsArray(q))
        return qa_error(QA_ERR_FORMAT, "%s: entry \"%s\" needs pitch and velocity (0..127), instrument_family_str and "
                        "qualities_str (a list)", json_path, key);
    size_t cap = 64;
    const cJSON *qi;
    cJSON_ArrayForEach(qi, q) {
        if (!cJSON_IsString(qi))
            return qa_error(QA_ERR_FORMAT, "%s: entry \"%s\": qualities_str must hold strings", json_path, key);
        cap += strlen(qi->valuestring) + 2;
    }
    char *quals = malloc(cap);
    if (!quals) return qa_error(QA_ERR_NOMEM, "out of memory");
    quals[0] = '\0';
    cJSON_ArrayForEach(qi, q) {
        if (quals[0]) strcat(quals, ", ");
        strcat(quals, qi->valuestring);
    }
    char *gt = qa_ed_fmt("<|pitch|><|midi_pitch_%d|><|velocity|><|midi_velocity_%d|><|instrument|>%s<|sonic|>%s",
                         pitch, vel, fam->valuestring, quals);
    char *audio = qa_ed_fmt("%s/%s.wav", adir, key);
    char *where = qa_ed_fmt("%s: entry \"%s\"", json_path, key);
    qa_status s = QA_OK;
    int keep = 0;
    if (!gt || !audio || !where) s = qa_error(QA_ERR_NOMEM, "out of memory");
    if (!s) s = qa_evaldata_check_audio(out, audio, where, &keep);
    if (!s && keep) s = qa_evaldata_emit(out, audio, gt, source, NULL);
    free(quals);
    free(gt);
    free(audio);
    free(where);
    return s;
}

qa_status qa_evaldata_nsynth(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    char *text = NULL, *adir = NULL;
    cJSON *root = NULL;
    char *dir = qa_ed_fmt("%s/nsynth-%s", o->root, o->split);
    char *source = qa_evaldata_source_name("nsynth", o->split);
    char *json_path = NULL;
    if (!dir || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_dir(dir)) { /* ROOT is the nsynth-SPLIT folder itself */
        free(dir);
        dir = qa_ed_fmt("%s", o->root);
    }
    json_path = dir ? qa_ed_join(dir, "examples.json") : NULL;
    adir = o->audio_dir ? qa_ed_fmt("%s", o->audio_dir) : (dir ? qa_ed_join(dir, "audio") : NULL);
    if (!json_path || !adir) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(json_path)) {
        s = qa_error(QA_ERR_IO, "NSynth: %s not found (expected ROOT/nsynth-%s/examples.json)", json_path, o->split);
        goto done;
    }
    if ((s = qa_file_read_all(json_path, &text, NULL))) goto done;
    root = cJSON_Parse(text);
    if (!cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text ? (long)(at - text) : -1;
        s = qa_error(QA_ERR_FORMAT, "%s: not a JSON object of notes (parse error near byte %ld)", json_path, off);
        goto done;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if ((s = note(out, json_path, adir, e, source))) break;
    }
done:
    cJSON_Delete(root);
    free(text);
    free(dir);
    free(adir);
    free(json_path);
    free(source);
    return s;
}
