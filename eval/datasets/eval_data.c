/* eval/datasets/eval_data: adapter registry, eval-jsonl line writer and the conversion run
 * (see eval_data.h). */
#include "eval/datasets/eval_data.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "eval/datasets/ed_util.h"

static const qa_evaldata_adapter adapters[] = {
    {"librispeech", "dev-clean,dev-other,test-clean,test-other",
     "ROOT/SPLIT/SPEAKER/CHAPTER/{*.flac, SPEAKER-CHAPTER.trans.txt} (ROOT = LibriSpeech/)", qa_evaldata_librispeech},
    {"aishell1", "dev,test", "ROOT/{wav/SPLIT/SPEAKER/*.wav, transcript/aishell_transcript_v0.8.txt} (ROOT = data_aishell/)",
     qa_evaldata_aishell1},
    {"aishell2", "test", "ROOT/{Android,iOS,Mic}/SPLIT/{wav.scp, trans.txt, wav/...}; split test-ios etc. for one device",
     qa_evaldata_aishell2},
    {"covost2", "test", "ROOT/covost_v2.SRC_TGT.tsv (+ split column) and ROOT/SRC/clips/*.mp3 (Common Voice); --direction",
     qa_evaldata_covost2},
    {"clotho", "evaluation", "ROOT/{clotho_captions_SPLIT.csv, SPLIT/*.wav}", qa_evaldata_clotho},
    {"clothoaqa", "test", "ROOT/{clotho_aqa_SPLIT.csv, audio_files/*.wav}", qa_evaldata_clothoaqa},
    {"cochlscene", "test", "ROOT/Test/CLASS/*.wav (split test|val|train -> Test|Val|Train)", qa_evaldata_cochlscene},
    {"tut2017", "evaluation", "ROOT/{meta.txt, evaluation_setup/*.txt, audio/*.wav} (TUT-acoustic-scenes-2017-evaluation)",
     qa_evaldata_tut2017},
    {"meld", "test", "ROOT/SPLIT_sent_emo.csv + pre-extracted diaD_uttU.wav (mp4 needs ffmpeg first)", qa_evaldata_meld},
    {"vocalsound", "test", "ROOT/{audio_16k/*.wav, datafiles/te.json}; label from the file name", qa_evaldata_vocalsound},
    {"nsynth", "test", "ROOT/nsynth-SPLIT/{examples.json, audio/*.wav}", qa_evaldata_nsynth},
    {"qwen-jsonl", "-", "ROOT = a reference-harness *_eval.jsonl; relative audio resolved against --audio-dir or its folder",
     qa_evaldata_qwen_jsonl},
    {NULL, NULL, NULL, NULL},
};

const qa_evaldata_adapter *qa_evaldata_adapters(void) { return adapters; }

const qa_evaldata_adapter *qa_evaldata_find(const char *name)
{
    for (const qa_evaldata_adapter *a = adapters; a->name; a++)
        if (!strcmp(a->name, name)) return a;
    return NULL;
}

char *qa_evaldata_source_name(const char *prefix, const char *split)
{
    char *s = qa_ed_fmt("%s_%s", prefix, split);
    if (!s) return NULL;
    for (char *p = s + strlen(prefix) + 1; *p; p++) {
        if (*p == '-' || *p == '.' || *p == ' ') *p = '_';
        else *p = (char)tolower((unsigned char)*p);
    }
    return s;
}

qa_status qa_evaldata_check_audio(qa_evaldata_out *out, const char *audio, const char *where, int *keep)
{
    *keep = 1;
    if (qa_ed_is_file(audio)) return QA_OK;
    *keep = 0;
    if (out->opts && out->opts->skip_missing) {
        out->skipped++;
        return QA_OK;
    }
    return qa_error(QA_ERR_IO, "%s: audio file %s not found (fix the layout, see docs/eval-data.md, or pass "
                    "--skip-missing to drop such entries)", where, audio);
}

qa_status qa_evaldata_emit_row(qa_evaldata_out *out, const char *audio, const char *file, size_t line, const char *gt,
                               const char *source, const char *question)
{
    char *where = audio ? qa_ed_fmt("%s:%zu", file, line) : NULL;
    int keep = 0;
    qa_status s = where ? qa_evaldata_check_audio(out, audio, where, &keep) : qa_error(QA_ERR_NOMEM, "out of memory");
    if (!s && keep) s = qa_evaldata_emit(out, audio, gt, source, question);
    free(where);
    return s;
}

static qa_status count_source(qa_evaldata_out *out, const char *source)
{
    for (int i = 0; i < out->nsources; i++)
        if (!strcmp(out->source[i], source)) {
            out->count[i]++;
            return QA_OK;
        }
    if (out->nsources == QA_EVALDATA_MAX_SOURCES)
        return qa_error(QA_ERR_UNSUPPORTED, "more than %d distinct sources in one output file", QA_EVALDATA_MAX_SOURCES);
    char *copy = qa_ed_fmt("%s", source);
    if (!copy) return qa_error(QA_ERR_NOMEM, "out of memory");
    out->source[out->nsources] = copy;
    out->count[out->nsources++] = 1;
    return QA_OK;
}

qa_status qa_evaldata_emit_json(qa_evaldata_out *out, const char *audio, const cJSON *gt, const char *source,
                                const char *question)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *g = NULL;
    const char *to = out->labels && cJSON_IsString(gt) ? qa_ed_map_get(out->labels, gt->valuestring) : NULL;
    if (to) {
        g = cJSON_CreateString(to);
        out->relabelled++;
    } else if (gt) g = cJSON_Duplicate(gt, 1);
    if (!o || !g || !cJSON_AddStringToObject(o, "audio", audio)) goto oom;
    cJSON_AddItemToObject(o, "gt", g);
    g = NULL;
    if (!cJSON_AddStringToObject(o, "source", source)) goto oom;
    if (question && !cJSON_AddStringToObject(o, "question", question)) goto oom;
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) return qa_error(QA_ERR_NOMEM, "out of memory writing a jsonl line");
    /* cJSON escapes '"', '\\' and control characters; UTF-8 is written as is (ensure_ascii=False). */
    fputs(text, out->f);
    fputc('\n', out->f);
    free(text);
    if (ferror(out->f)) return qa_error(QA_ERR_IO, "write error on the output file (disk full?)");
    qa_status s = count_source(out, source);
    if (s) return s;
    out->lines++;
    out->split_lines++;
    if (out->progress && out->lines % 10000 == 0) fprintf(out->progress, "eval-data: %lld lines\n", out->lines);
    return QA_OK;
oom:
    cJSON_Delete(o);
    cJSON_Delete(g);
    return qa_error(QA_ERR_NOMEM, "out of memory writing a jsonl line");
}

qa_status qa_evaldata_emit(qa_evaldata_out *out, const char *audio, const char *gt, const char *source,
                           const char *question)
{
    cJSON *g = cJSON_CreateString(gt);
    if (!g) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_status s = qa_evaldata_emit_json(out, audio, g, source, question);
    cJSON_Delete(g);
    return s;
}

qa_status qa_evaldata_emit_list(qa_evaldata_out *out, const char *audio, const char *const *gts, int ngt,
                                const char *source)
{
    cJSON *g = cJSON_CreateStringArray(gts, ngt);
    if (!g) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_status s = qa_evaldata_emit_json(out, audio, g, source, NULL);
    cJSON_Delete(g);
    return s;
}

static void out_free(qa_evaldata_out *out)
{
    for (int i = 0; i < out->nsources; i++) free(out->source[i]);
    out->nsources = 0;
    if (out->labels) qa_ed_map_free(out->labels);
}

/* --label-map FILE: "FROM<TAB>TO" per line; blank lines and lines starting with '#' ignored. */
static qa_status load_label_map(qa_ed_map *m, const char *path)
{
    qa_ed_lines r;
    qa_status s = qa_ed_lines_open(&r, path);
    if (s) return qa_error_wrap(s, "label map");
    char *line;
    while (!s && qa_ed_lines_next(&r, &line)) {
        if (!line[0] || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        if (!tab || tab == line) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: expected 'FROM<TAB>TO'", path, r.line);
            break;
        }
        *tab = '\0';
        s = qa_ed_map_put(m, line, tab + 1);
    }
    qa_ed_lines_close(&r);
    return s;
}

/* Runs the adapter once per comma-separated split. */
static qa_status run_splits(const qa_evaldata_adapter *a, qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    const char *list = o->split ? o->split : a->default_split;
    char *copy = qa_ed_fmt("%s", list);
    if (!copy) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_status s = QA_OK;
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !s; tok = strtok_r(NULL, ",", &save)) {
        tok = qa_ed_trim(tok);
        if (!*tok) continue;
        qa_evaldata_opts one = *o;
        one.split = tok;
        out->split_lines = 0;
        if (out->progress) fprintf(out->progress, "eval-data: %s split %s from %s\n", a->name, tok, o->root);
        s = a->convert(out, &one);
        if (!s && out->split_lines == 0)
            s = qa_error(QA_ERR_FORMAT, "%s: split '%s' under %s produced no line: check --root, --split and the "
                         "layout (%s; see docs/eval-data.md)", a->name, tok, o->root, a->layout);
        n++;
    }
    free(copy);
    if (!s && n == 0) s = qa_error(QA_ERR_ARG, "--split '%s' names no split", list);
    return s;
}

qa_status qa_evaldata_run(const char *name, const qa_evaldata_opts *o, const char *out_path, FILE *progress,
                          qa_evaldata_stats *stats)
{
    if (stats) memset(stats, 0, sizeof *stats);
    const qa_evaldata_adapter *a = qa_evaldata_find(name);
    if (!a) {
        char known[512] = "";
        for (const qa_evaldata_adapter *x = adapters; x->name; x++) {
            strncat(known, x->name, sizeof known - strlen(known) - 1);
            if (x[1].name) strncat(known, ", ", sizeof known - strlen(known) - 1);
        }
        return qa_error(QA_ERR_ARG, "unknown dataset '%s' (known: %s)", name, known);
    }
    if (!o->root || !o->root[0]) return qa_error(QA_ERR_ARG, "no dataset root given (--root)");
    if (o->split && !strcmp(a->default_split, "-"))
        return qa_error(QA_ERR_ARG, "--dataset %s takes no --split (the file is converted as a whole)", name);
    /* Absolute paths: the jsonl is then usable from any working directory. */
    char root_abs[PATH_MAX], audio_abs[PATH_MAX];
    if (!realpath(o->root, root_abs))
        return qa_error(QA_ERR_IO, "dataset root %s: %s", o->root, strerror(errno));
    qa_evaldata_opts ro = *o;
    ro.root = root_abs;
    if (o->audio_dir) {
        if (!realpath(o->audio_dir, audio_abs) || !qa_ed_is_dir(audio_abs))
            return qa_error(QA_ERR_IO, "--audio-dir %s is not a folder", o->audio_dir);
        ro.audio_dir = audio_abs;
    }
    qa_ed_map labels = {0};
    qa_status s = QA_OK;
    if (o->label_map && (s = load_label_map(&labels, o->label_map))) {
        qa_ed_map_free(&labels);
        return s;
    }
    qa_atomic_file af;
    if ((s = qa_atomic_file_open(&af, out_path))) {
        qa_ed_map_free(&labels);
        return s;
    }
    qa_evaldata_out out = {.f = af.f, .progress = progress, .opts = &ro, .labels = o->label_map ? &labels : NULL};
    s = run_splits(a, &out, &ro);
    if (s) {
        qa_atomic_file_abort(&af);
        out_free(&out);
        return s;
    }
    s = qa_atomic_file_commit(&af);
    if (!s && progress) {
        for (int i = 0; i < out.nsources; i++)
            fprintf(progress, "eval-data: %-32s %lld lines\n", out.source[i], out.count[i]);
        if (out.skipped) fprintf(progress, "eval-data: skipped %lld entries whose audio is missing\n", out.skipped);
        if (out.labels)
            fprintf(progress, "eval-data: label map %s rewrote %lld gt values\n", o->label_map, out.relabelled);
        fprintf(progress, "eval-data: wrote %lld lines to %s\n", out.lines, out_path);
    }
    if (stats) {
        stats->lines = out.lines;
        stats->skipped = out.skipped;
        stats->nsources = out.nsources;
    }
    out_free(&out);
    return s;
}
