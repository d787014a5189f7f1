/* data/format_pretrain: renders a pre-training manifest record as the hierarchical tag sequence of
 * spec section 6:
 *   <audio>P</audio> <|startof...|> <|audio-lang|> <|task|> <|text-lang|> <|(no)timestamps|>
 *   <|instruction|>... TARGET <|endoftext|>
 * The prompts of the evaluation tasks are exactly the eval scripts' prompts (token for token), so
 * that training and evaluation agree. Each part carries the loss flag given by qa_pretrain_mask.
 * Field reference: docs/data-format.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "data/format.h"
#include "data/special_tokens.h"

static const char *const languages[] = {"en", "zh", "de", "es", "ko", "fr", "ja", "it", "zh_tr", "unknown"};

static int valid_lang(const char *s)
{
    for (size_t i = 0; i < sizeof languages / sizeof *languages; i++)
        if (!strcmp(s, languages[i])) return 1;
    return 0;
}

/* String field: required (err if missing) or optional (returns dflt). */
static qa_status get_str(const cJSON *rec, const char *key, const char *dflt, const char *task, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if (!v || cJSON_IsNull(v)) {
        if (!dflt) return qa_error(QA_ERR_FORMAT, "missing field \"%s\" (task %s)", key, task);
        *out = dflt;
        return QA_OK;
    }
    if (!cJSON_IsString(v)) return qa_error(QA_ERR_FORMAT, "field \"%s\" must be a string (task %s)", key, task);
    *out = v->valuestring;
    return QA_OK;
}

static qa_status get_lang(const cJSON *rec, const char *key, const char *dflt, const char *task, const char **out)
{
    qa_status s = get_str(rec, key, dflt, task, out);
    if (s) return s;
    if (!valid_lang(*out))
        return qa_error(QA_ERR_FORMAT,
                        "field \"%s\" = \"%s\" is not a language (en zh de es ko fr ja it zh_tr unknown)", key, *out);
    return QA_OK;
}

static qa_status get_bool(const cJSON *rec, const char *key, int dflt, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return QA_OK;
    }
    if (!cJSON_IsBool(v)) return qa_error(QA_ERR_FORMAT, "field \"%s\" must be true or false", key);
    *out = cJSON_IsTrue(v);
    return QA_OK;
}

static qa_status get_int(const cJSON *rec, const char *key, int lo, int hi, const char *task, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if (!v) return qa_error(QA_ERR_FORMAT, "missing field \"%s\" (task %s)", key, task);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return qa_error(QA_ERR_FORMAT, "field \"%s\" must be an integer in %d..%d (task %s)", key, lo, hi, task);
    *out = (int)v->valuedouble;
    return QA_OK;
}

static qa_status add_tag(qa_rendered *r, const char *name, int loss)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "<|%s|>", name);
    return qa_rendered_add_text(r, buf, (size_t)n, loss);
}

static qa_status add_str(qa_rendered *r, const char *s, int loss)
{
    return qa_rendered_add_text(r, s, strlen(s), loss);
}

static qa_status add_timestamp(qa_rendered *r, long cs, int loss)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "<|%ld.%02ld|>", cs / 100, cs % 100);
    return qa_rendered_add_text(r, buf, (size_t)n, loss);
}

/* Seconds -> centiseconds, half away from zero on the decimal value as written: t * 100 is first
 * rounded to 1e-6 cs, because binary doubles put 1.005 just below the half (1.005 * 100 ==
 * 100.49999999999999) and lround alone would give 100 instead of 101. t >= 0 here. */
static long seconds_to_cs(double t)
{
    return lround(round(t * 100.0 * 1e6) / 1e6);
}

/* Seconds -> centiseconds (see seconds_to_cs), checked against the 0..30 s token range. */
static qa_status to_cs(double t, size_t word, long *out)
{
    if (!isfinite(t) || t < 0 || t > 30.0 + 1e-9)
        return qa_error(QA_ERR_FORMAT, "srwt word %zu: time %g outside 0..30 s", word, t);
    *out = seconds_to_cs(t);
    return QA_OK;
}

/* words: [[word, start, end], ...] -> <|t0|>(<|sil|><|s1|>)?w1<|e1|>... (spec section 6). */
static qa_status render_srwt_target(qa_rendered *r, const cJSON *words, double audio_seconds, double min_sil,
                                    int loss)
{
    if (!cJSON_IsArray(words) || cJSON_GetArraySize(words) == 0)
        return qa_error(QA_ERR_FORMAT, "field \"words\" must be a non-empty array of [word, start, end] (task srwt)");
    long min_gap = lround(min_sil * 100.0);
    if (min_gap < 1) min_gap = 1;
    long cur = 0;
    /* end of the audio the model sees (30 s at most); unknown when audio_seconds < 0 */
    long end = audio_seconds >= 0 ? seconds_to_cs(fmin(audio_seconds, 30.0)) : 3000;
    qa_status s = add_timestamp(r, 0, loss);
    size_t i = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, words)
    {
        const cJSON *ws = cJSON_GetArrayItem(w, 0), *a = cJSON_GetArrayItem(w, 1), *b = cJSON_GetArrayItem(w, 2);
        if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != 3 || !cJSON_IsString(ws) || !cJSON_IsNumber(a) ||
            !cJSON_IsNumber(b))
            return qa_error(QA_ERR_FORMAT, "srwt word %zu must be [\"word\", start_s, end_s]", i);
        long cs_a = 0, cs_b = 0;
        if ((s = to_cs(a->valuedouble, i, &cs_a)) || (s = to_cs(b->valuedouble, i, &cs_b))) return s;
        if (cs_a < cur || cs_b < cs_a)
            return qa_error(QA_ERR_FORMAT, "srwt word %zu (\"%s\"): times %g..%g overlap the previous word or run "
                            "backwards", i, ws->valuestring, a->valuedouble, b->valuedouble);
        if (cs_b > end)
            return qa_error(QA_ERR_FORMAT, "srwt word %zu (\"%s\"): ends at %g s, after the end of the audio (%.2f s)",
                            i, ws->valuestring, b->valuedouble, (double)end / 100.0);
        if (cs_a - cur >= min_gap) {
            if ((s = add_tag(r, "sil", loss)) || (s = add_timestamp(r, cs_a, loss))) return s;
        }
        /* a gap shorter than min_gap is absorbed: the word starts at the previous boundary */
        if ((s = add_str(r, ws->valuestring, loss)) || (s = add_timestamp(r, cs_b, loss))) return s;
        cur = cs_b;
        i++;
    }
    if (audio_seconds >= 0) {
        if (end - cur >= min_gap)
            if ((s = add_tag(r, "sil", loss)) || (s = add_timestamp(r, end, loss))) return s;
    }
    return QA_OK;
}

/* MNA target (order chosen, see docs/data-format.md):
 * <|pitch|><|midi_pitch_N|><|velocity|><|midi_velocity_N|><|instrument|>NAME<|sonic|>q1, q2 */
static qa_status render_mna_target(qa_rendered *r, const cJSON *rec, int loss)
{
    int pitch, vel;
    const char *inst;
    qa_status s;
    if ((s = get_int(rec, "pitch", 0, 127, "mna", &pitch)) || (s = get_int(rec, "velocity", 0, 127, "mna", &vel)) ||
        (s = get_str(rec, "instrument", NULL, "mna", &inst)))
        return s;
    char buf[96];
    int n = snprintf(buf, sizeof buf, "<|pitch|><|midi_pitch_%d|><|velocity|><|midi_velocity_%d|><|instrument|>",
                     pitch, vel);
    if ((s = qa_rendered_add_text(r, buf, (size_t)n, loss)) || (s = add_str(r, inst, loss))) return s;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(rec, "qualities");
    if (!q || cJSON_IsNull(q)) return QA_OK;
    if (!cJSON_IsArray(q)) return qa_error(QA_ERR_FORMAT, "field \"qualities\" must be an array of strings (task mna)");
    int first = 1;
    const cJSON *e;
    cJSON_ArrayForEach(e, q)
    {
        if (!cJSON_IsString(e))
            return qa_error(QA_ERR_FORMAT, "field \"qualities\" must be an array of strings (task mna)");
        /* with merge_text the pieces are encoded as one string "q1, q2" */
        if ((s = first ? add_tag(r, "sonic", loss) : add_str(r, ", ", loss)) || (s = add_str(r, e->valuestring, loss)))
            return s;
        first = 0;
    }
    return QA_OK;
}

/* Raw records: the prompt is conditioning, except that an audio-language tag right after a leading
 * <|startof...|> tag gets the audio_lang flag (and the start tag the start_tag flag). */
static qa_status render_raw_prompt(qa_rendered *r, const char *p, const qa_pretrain_mask *m)
{
    static const char *const starts[] = {"<|startoftranscript|>", "<|startofanalysis|>"};
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(starts[k]);
        if (strncmp(p, starts[k], n)) continue;
        qa_status s = qa_rendered_add_text(r, p, n, m->start_tag);
        if (s) return s;
        p += n;
        if (!strncmp(p, "<|", 2)) {
            const char *e = strstr(p + 2, "|>");
            if (e && (size_t)(e - p - 2) < 16) {
                char lang[16];
                memcpy(lang, p + 2, (size_t)(e - p - 2));
                lang[e - p - 2] = 0;
                if (valid_lang(lang)) {
                    if ((s = qa_rendered_add_text(r, p, (size_t)(e + 2 - p), m->audio_lang))) return s;
                    p = e + 2;
                }
            }
        }
        break;
    }
    return add_str(r, p, 0);
}

qa_status qa_format_render_pretrain(qa_rendered *r, const cJSON *rec, const char *manifest_path,
                                    const qa_pretrain_mask *m, const qa_pretrain_opts *opts, double audio_seconds)
{
    if (!m) m = &qa_pretrain_mask_default;
    double min_sil = opts ? opts->srwt_min_silence : 0.01;
    if (!cJSON_IsObject(rec)) return qa_error(QA_ERR_FORMAT, "record is not a JSON object");
    const char *audio, *taskname, *text;
    qa_status s;
    if ((s = get_str(rec, "audio", NULL, "any", &audio))) return s;
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(rec, "prompt");
    if (pr && !cJSON_GetObjectItemCaseSensitive(rec, "task")) {
        taskname = "raw";
    } else if ((s = get_str(rec, "task", NULL, "any", &taskname))) {
        return qa_error_wrap(s, "a pre-training record needs \"task\" (or \"prompt\" for a raw record)");
    }
    qa_task task = qa_task_from_name(taskname);
    if (task == QA_TASK_COUNT || task == QA_TASK_CHAT)
        return qa_error(QA_ERR_FORMAT, "unknown task \"%s\" (asr s2tt srwt aac aqa asc ser vsc mna raw)", taskname);
    r->task = task;
    r->merge_text = 1;

    char *resolved = manifest_path ? qa_path_relative_to(manifest_path, audio) : strdup(audio);
    if (!resolved) return qa_error(QA_ERR_NOMEM, "out of memory");
    s = qa_rendered_add_audio(r, resolved, audio);
    free(resolved);
    if (s) return s;

    if (task == QA_TASK_RAW) {
        const char *prompt;
        if ((s = get_str(rec, "prompt", NULL, "raw", &prompt)) || (s = get_str(rec, "text", NULL, "raw", &text)) ||
            (s = render_raw_prompt(r, prompt, m)) || (s = add_str(r, text, m->target)))
            return s;
        return qa_rendered_add_id(r, QA_TOK_ENDOFTEXT, m->eos);
    }

    int transcribe = task == QA_TASK_ASR || task == QA_TASK_S2TT || task == QA_TASK_SRWT;
    const char *lang_dflt = (task == QA_TASK_AAC || task == QA_TASK_ASC || task == QA_TASK_MNA) ? "unknown" : "en";
    if (transcribe) lang_dflt = NULL; /* speech tasks must say which language is spoken */
    const char *lang;
    if ((s = get_lang(rec, "lang", lang_dflt, taskname, &lang))) return s;
    if ((s = add_tag(r, transcribe ? "startoftranscript" : "startofanalysis", m->start_tag)) ||
        (s = add_tag(r, lang, m->audio_lang)))
        return s;

    const char *text_lang = "en";
    if (task == QA_TASK_ASR || task == QA_TASK_SRWT) text_lang = lang;
    if (task == QA_TASK_S2TT) {
        if ((s = get_lang(rec, "target_lang", NULL, taskname, &text_lang))) return s;
    } else if (task != QA_TASK_ASR && task != QA_TASK_SRWT) {
        if ((s = get_lang(rec, "text_lang", "en", taskname, &text_lang))) return s;
    }

    switch (task) {
    case QA_TASK_ASR:
    case QA_TASK_S2TT: {
        int itn = 0;
        if ((s = get_bool(rec, "itn", task == QA_TASK_S2TT, &itn))) return s;
        if ((s = add_tag(r, task == QA_TASK_ASR ? "transcribe" : "translate", m->task_tag)) ||
            (s = add_tag(r, text_lang, m->text_lang)) || (s = add_tag(r, "notimestamps", m->timestamps_tag)) ||
            (s = add_tag(r, itn ? "itn" : "wo_itn", m->instruction)))
            return s;
        break;
    }
    case QA_TASK_SRWT:
        if ((s = add_tag(r, "transcribe", m->task_tag)) || (s = add_tag(r, text_lang, m->text_lang)) ||
            (s = add_tag(r, "timestamps", m->timestamps_tag)))
            return s;
        break;
    case QA_TASK_AAC: {
        const char *style;
        if ((s = get_str(rec, "style", "clotho", "aac", &style))) return s;
        const char *instr = !strcmp(style, "clotho")      ? "caption_clotho"
                            : !strcmp(style, "audiocaps") ? "caption_audiocaps"
                            : !strcmp(style, "plain")     ? "caption_plain"
                                                          : NULL;
        if (!instr) return qa_error(QA_ERR_FORMAT, "field \"style\" = \"%s\": use clotho, audiocaps or plain", style);
        if ((s = add_tag(r, "caption", m->task_tag)) || (s = add_tag(r, text_lang, m->text_lang)) ||
            (s = add_tag(r, "notimestamps", m->timestamps_tag)) || (s = add_tag(r, instr, m->instruction)))
            return s;
        break;
    }
    case QA_TASK_AQA: {
        const char *q;
        if ((s = get_str(rec, "question", NULL, "aqa", &q)) || (s = add_tag(r, "question", m->task_tag)) ||
            (s = add_str(r, q, m->question)) || (s = add_tag(r, "answer", m->question)))
            return s;
        break;
    }
    default: {
        const char *instr = task == QA_TASK_ASC   ? "scene"
                            : task == QA_TASK_SER ? "emotion_recognition"
                            : task == QA_TASK_VSC ? "vocal_classification"
                                                  : "note_analysis";
        if ((s = add_tag(r, "keyword", m->task_tag)) || (s = add_tag(r, text_lang, m->text_lang)) ||
            (s = add_tag(r, "notimestamps", m->timestamps_tag)) || (s = add_tag(r, instr, m->instruction)))
            return s;
        break;
    }
    }

    if (task == QA_TASK_SRWT) {
        s = render_srwt_target(r, cJSON_GetObjectItemCaseSensitive(rec, "words"), audio_seconds, min_sil, m->target);
    } else if (task == QA_TASK_MNA && !cJSON_GetObjectItemCaseSensitive(rec, "text")) {
        s = render_mna_target(r, rec, m->target);
    } else {
        if (!(s = get_str(rec, "text", NULL, taskname, &text))) s = add_str(r, text, m->target);
    }
    if (s) return s;
    return qa_rendered_add_id(r, QA_TOK_ENDOFTEXT, m->eos);
}
