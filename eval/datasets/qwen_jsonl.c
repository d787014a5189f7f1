/* eval/datasets/qwen_jsonl: the reference harness's own eval jsonl (the *_eval.jsonl files that
 * QwenLM/Qwen-Audio eval_audio/EVALUATION.md downloads), taken as it is and validated.
 * --root is the .jsonl file. Each non-blank line must be a JSON object with "audio" (non-empty
 * string), "gt" (string, or list of strings for Clotho), "source" (non-empty string) and
 * optionally "question" (string); other keys are dropped. Relative audio paths are resolved
 * against --audio-dir, else against the folder of the jsonl file, and written absolute; each
 * audio file must exist (or --skip-missing). --split is not used. */
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static int gt_ok(const cJSON *gt)
{
    if (cJSON_IsString(gt)) return 1;
    if (!cJSON_IsArray(gt) || !cJSON_GetArraySize(gt)) return 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, gt) {
        if (!cJSON_IsString(e)) return 0;
    }
    return 1;
}

static qa_status one_line(qa_evaldata_out *out, const qa_evaldata_opts *o, const char *base, const char *where,
                          const char *line)
{
    cJSON *j = cJSON_Parse(line);
    qa_status s = QA_OK;
    if (!cJSON_IsObject(j)) {
        s = qa_error(QA_ERR_FORMAT, "%s: not a JSON object", where);
        goto done;
    }
    const cJSON *audio = cJSON_GetObjectItemCaseSensitive(j, "audio");
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(j, "gt");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "source");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(j, "question");
    if (!cJSON_IsString(audio) || !audio->valuestring[0]) {
        s = qa_error(QA_ERR_FORMAT, "%s: \"audio\" must be a non-empty string", where);
        goto done;
    }
    if (!gt_ok(gt)) {
        s = qa_error(QA_ERR_FORMAT, "%s: \"gt\" must be a string or a non-empty list of strings", where);
        goto done;
    }
    if (!cJSON_IsString(src) || !src->valuestring[0]) {
        s = qa_error(QA_ERR_FORMAT, "%s: \"source\" must be a non-empty string", where);
        goto done;
    }
    if (q && !cJSON_IsString(q)) {
        s = qa_error(QA_ERR_FORMAT, "%s: \"question\" must be a string", where);
        goto done;
    }
    char *path = qa_ed_join(o->audio_dir ? o->audio_dir : base, audio->valuestring);
    if (!path) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    int keep = 0;
    s = qa_evaldata_check_audio(out, path, where, &keep);
    if (!s && keep) s = qa_evaldata_emit_json(out, path, gt, src->valuestring, q ? q->valuestring : NULL);
    free(path);
done:
    cJSON_Delete(j);
    return s;
}

qa_status qa_evaldata_qwen_jsonl(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    if (!qa_ed_is_file(o->root))
        return qa_error(QA_ERR_IO, "qwen-jsonl: --root must be the .jsonl file, %s is not a file", o->root);
    char *base = qa_ed_fmt("%s", o->root);
    if (!base) return qa_error(QA_ERR_NOMEM, "out of memory");
    char *slash = strrchr(base, '/');
    if (slash) *(slash == base ? slash + 1 : slash) = '\0';
    qa_ed_lines r;
    qa_status s = qa_ed_lines_open(&r, o->root);
    if (s) {
        free(base);
        return s;
    }
    char *line;
    while (!s && qa_ed_lines_next(&r, &line)) {
        line = qa_ed_trim(line);
        if (!*line) continue;
        char *where = qa_ed_fmt("%s:%zu", o->root, r.line);
        s = where ? one_line(out, o, base, where, line) : qa_error(QA_ERR_NOMEM, "out of memory");
        free(where);
    }
    qa_ed_lines_close(&r);
    free(base);
    return s;
}
