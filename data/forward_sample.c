/* data/forward_sample: the SAMPLE.json of `qaudio forward` -> ids, labels_from, log-mels.
 * See data/forward_sample.h. */
#include "data/forward_sample.h"

#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "data/audio.h"
#include "data/special_tokens.h"

/* Loads audio `ref` (relative to the json file), appends its path, mel and lengths. */
static qa_status add_audio(qa_forward_sample *fs, qa_mel *m, const char *json_path, const char *ref, size_t reflen)
{
    qa_status s;
    char *rel = malloc(reflen + 1);
    if (!rel) return qa_error(QA_ERR_NOMEM, "%s: out of memory", json_path);
    memcpy(rel, ref, reflen);
    rel[reflen] = 0;
    char *path = qa_path_relative_to(json_path, rel);
    free(rel);
    if (!path) return qa_error(QA_ERR_NOMEM, "%s: out of memory", json_path);
    int n = fs->n_audio + 1;
    char **paths = realloc(fs->paths, sizeof(char *) * (size_t)n);
    if (paths) fs->paths = paths;
    float *mel = realloc(fs->mel, sizeof(float) * QA_MEL_BINS * QA_MEL_FRAMES * (size_t)n);
    if (mel) fs->mel = mel;
    qa_audio_lengths *len = realloc(fs->len, sizeof(qa_audio_lengths) * (size_t)n);
    if (len) fs->len = len;
    int32_t *tc = realloc(fs->t_cnn, sizeof(int32_t) * (size_t)n);
    if (tc) fs->t_cnn = tc;
    int32_t *nt = realloc(fs->n_tok, sizeof(int32_t) * (size_t)n);
    if (nt) fs->n_tok = nt;
    if (!paths || !mel || !len || !tc || !nt) {
        free(path);
        return qa_error(QA_ERR_NOMEM, "%s: out of memory", json_path);
    }
    fs->paths[fs->n_audio] = path;
    fs->n_audio = n;
    qa_audio a = {0};
    if ((s = qa_audio_load(path, &a)))
        return qa_error_wrap(s, "%s: audio %d (%s)", json_path, n, path);
    s = qa_audio_lengths_compute((int64_t)a.n, &fs->len[n - 1]);
    if (s) {
        qa_audio_free(&a);
        return qa_error_wrap(s, "%s: audio %d (%s)", json_path, n, path);
    }
    s = qa_mel_compute(m, a.pcm, a.n, fs->mel + (size_t)(n - 1) * QA_MEL_BINS * QA_MEL_FRAMES);
    qa_audio_free(&a);
    if (s) return qa_error_wrap(s, "%s: audio %d (%s)", json_path, n, path);
    fs->t_cnn[n - 1] = fs->len[n - 1].t_cnn;
    fs->n_tok[n - 1] = fs->len[n - 1].n_audio;
    return QA_OK;
}

/* Tokenizes `text`, expanding each <audio>PATH</audio> into its placeholder span. */
static qa_status encode_text(qa_forward_sample *fs, qa_mel *m, const qa_tokenizer *tok, const char *json_path,
                             const char *field, const char *text)
{
    static const char open[] = "<audio>", close[] = "</audio>";
    qa_status s;
    const char *p = text;
    for (;;) {
        const char *a = strstr(p, open);
        const char *c = strstr(p, close);
        if (c && (!a || c < a))
            return qa_error(QA_ERR_ARG, "%s: \"%s\" has </audio> at byte %td without an opening <audio>", json_path,
                            field, c - text);
        size_t n = a ? (size_t)(a - p) : strlen(p);
        if (n && (s = qa_tokenizer_encode(tok, p, n, QA_SPECIAL_ALL, &fs->ids)))
            return qa_error_wrap(s, "%s: \"%s\"", json_path, field);
        if (!a) return QA_OK;
        const char *ref = a + strlen(open);
        const char *end = strstr(ref, close);
        const char *next_open = strstr(ref, open);
        if (!end || (next_open && next_open < end))
            return qa_error(QA_ERR_ARG, "%s: \"%s\" has <audio> at byte %td without a closing </audio>", json_path,
                            field, a - text);
        if (end == ref) return qa_error(QA_ERR_ARG, "%s: \"%s\" has an empty <audio></audio> at byte %td", json_path,
                                        field, a - text);
        if ((s = add_audio(fs, m, json_path, ref, (size_t)(end - ref)))) return s;
        int span = fs->len[fs->n_audio - 1].span_tokens;
        if ((s = qa_ids_push(&fs->ids, QA_TOK_AUDIO_START))) return s;
        for (int i = 0; i < span - 2; i++)
            if ((s = qa_ids_push(&fs->ids, QA_TOK_AUDIO_PAD))) return s;
        if ((s = qa_ids_push(&fs->ids, QA_TOK_AUDIO_START + 1))) return s;
        p = end + strlen(close);
    }
}

static qa_status load_json(qa_forward_sample *fs, cJSON *j, qa_mel *m, const char *json_path,
                           const qa_tokenizer *tok)
{
    qa_status s;
    cJSON *prompt = cJSON_GetObjectItemCaseSensitive(j, "prompt");
    cJSON *ids = cJSON_GetObjectItemCaseSensitive(j, "input_ids");
    if (prompt && ids) return qa_error(QA_ERR_ARG, "%s: give either \"prompt\" or \"input_ids\", not both", json_path);
    if (prompt) {
        cJSON *target = cJSON_GetObjectItemCaseSensitive(j, "target");
        if (!cJSON_IsString(prompt) || (target && !cJSON_IsString(target)))
            return qa_error(QA_ERR_ARG, "%s: \"prompt\" and \"target\" must be strings", json_path);
        if (!tok) return qa_error(QA_ERR_ARG, "%s: the prompt form needs a tokenizer (qwen.tiktoken beside the "
                                              "checkpoint, or --tokenizer FILE)", json_path);
        if ((s = encode_text(fs, m, tok, json_path, "prompt", prompt->valuestring))) return s;
        fs->labels_from = (int64_t)fs->ids.n;
        if (target && (s = encode_text(fs, m, tok, json_path, "target", target->valuestring))) return s;
        return QA_OK;
    }
    if (!cJSON_IsArray(ids))
        return qa_error(QA_ERR_ARG, "%s: expected {\"prompt\": ..., \"target\": ...} or {\"input_ids\": [...], "
                                    "\"audios\": [...], \"labels_from\": N}", json_path);
    int n = cJSON_GetArraySize(ids);
    for (int i = 0; i < n; i++) {
        cJSON *v = cJSON_GetArrayItem(ids, i);
        /* range first: casting an out-of-range double to int32 is undefined */
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= INT32_MIN && v->valuedouble <= INT32_MAX) ||
            v->valuedouble != (double)(int32_t)v->valuedouble)
            return qa_error(QA_ERR_ARG, "%s: input_ids[%d] is not a 32-bit integer", json_path, i);
        if ((s = qa_ids_push(&fs->ids, (int32_t)v->valuedouble))) return s;
    }
    cJSON *lf = cJSON_GetObjectItemCaseSensitive(j, "labels_from");
    if (lf) {
        if (!cJSON_IsNumber(lf) || lf->valuedouble < 0 || lf->valuedouble > n ||
            lf->valuedouble != (double)(int64_t)lf->valuedouble)
            return qa_error(QA_ERR_ARG, "%s: labels_from must be an integer in 0..%d", json_path, n);
        fs->labels_from = (int64_t)lf->valuedouble;
    }
    cJSON *audios = cJSON_GetObjectItemCaseSensitive(j, "audios");
    if (audios && !cJSON_IsArray(audios)) return qa_error(QA_ERR_ARG, "%s: \"audios\" must be a list", json_path);
    for (int i = 0; audios && i < cJSON_GetArraySize(audios); i++) {
        cJSON *a = cJSON_GetArrayItem(audios, i);
        /* a path, or an object with "url" (the golden input_ids.json form) */
        if (cJSON_IsObject(a)) a = cJSON_GetObjectItemCaseSensitive(a, "url");
        if (!cJSON_IsString(a)) return qa_error(QA_ERR_ARG, "%s: audios[%d] is not a path", json_path, i);
        if ((s = add_audio(fs, m, json_path, a->valuestring, strlen(a->valuestring)))) return s;
    }
    return QA_OK;
}

qa_status qa_forward_sample_parse(qa_forward_sample *fs, const char *text, size_t len, const char *json_path,
                                  const qa_tokenizer *tok)
{
    memset(fs, 0, sizeof *fs);
    cJSON *j = cJSON_ParseWithLength(text, len);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return qa_error(QA_ERR_FORMAT, "%s: not a JSON object", json_path);
    }
    qa_mel *m = NULL;
    qa_status s = qa_mel_new(&m);
    if (!s) s = load_json(fs, j, m, json_path, tok);
    qa_mel_free(m);
    cJSON_Delete(j);
    if (!s && fs->ids.n == 0) s = qa_error(QA_ERR_ARG, "%s: no tokens", json_path);
    if (s) qa_forward_sample_deinit(fs);
    return s;
}

qa_status qa_forward_sample_load(qa_forward_sample *fs, const char *json_path, const qa_tokenizer *tok)
{
    memset(fs, 0, sizeof *fs);
    char *buf = NULL;
    size_t len = 0;
    qa_status s = qa_file_read_all(json_path, &buf, &len);
    if (s) return s;
    s = qa_forward_sample_parse(fs, buf, len, json_path, tok);
    free(buf);
    return s;
}

void qa_forward_sample_deinit(qa_forward_sample *fs)
{
    if (!fs) return;
    qa_ids_free(&fs->ids);
    for (int i = 0; i < fs->n_audio; i++) free(fs->paths[i]);
    free(fs->paths);
    free(fs->mel);
    free(fs->len);
    free(fs->t_cnn);
    free(fs->n_tok);
    memset(fs, 0, sizeof *fs);
}
