/* eval/datasets/eval_data: converts each benchmark of the Qwen-Audio evaluation table, read from
 * its official on-disk layout, into eval jsonl lines of the reference harness's form
 *     {"audio": "/abs/path.wav", "gt": "..." | ["...", ...], "source": "librispeech_test_clean",
 *      "question": "..."}          (question only for AQA)
 * One adapter per benchmark (eval/datasets/<name>.c); this file owns the registry, the line
 * writer (per-source counts, missing-audio policy) and the whole run (atomic output file).
 * Layouts, split and source names, gt formats and the choices made: docs/eval-data.md.
 *
 * Usage:
 *   qa_evaldata_opts o = {.root = "/data/LibriSpeech", .split = "test-clean,test-other"};
 *   qa_evaldata_stats st;
 *   qa_status s = qa_evaldata_run("librispeech", &o, "ls.jsonl", stderr, &st);
 * Audio paths are written absolute (the root is made absolute with realpath). */
#ifndef QA_EVAL_DATASETS_EVAL_DATA_H
#define QA_EVAL_DATASETS_EVAL_DATA_H

#include <stdio.h>

#include "core/status.h"

typedef struct cJSON cJSON;
struct qa_ed_map;

typedef struct {
    const char *root;      /* dataset root folder (qwen-jsonl: the .jsonl file) */
    const char *split;     /* comma-separated split names; NULL = the adapter's default */
    const char *audio_dir; /* NULL, or the folder holding the audio (MELD wavs, CoVoST clips, ...) */
    const char *direction; /* CoVoST 2: comma-separated "src-tgt" list; NULL = the 7 paper directions */
    int skip_missing;      /* 1: drop (and count) entries whose audio file is missing; 0: fail */
    const char *label_map; /* NULL, or a file of "FROM<TAB>TO" lines rewriting string gt values */
} qa_evaldata_opts;

/* Per-run output: the open file, line counts per source. Adapters only call the emit functions. */
#define QA_EVALDATA_MAX_SOURCES 64
typedef struct {
    FILE *f;
    FILE *progress;        /* NULL = quiet */
    const qa_evaldata_opts *opts;
    long long lines;       /* lines written */
    long long skipped;     /* entries dropped because their audio is missing (skip_missing) */
    int nsources;
    char *source[QA_EVALDATA_MAX_SOURCES];
    long long count[QA_EVALDATA_MAX_SOURCES];
    long long split_lines; /* lines written by the current adapter call */
    struct qa_ed_map *labels; /* loaded --label-map, or NULL */
    long long relabelled;  /* string gts rewritten by the label map */
} qa_evaldata_out;

/* One adapter converts one split (o->split holds a single name when it is called). */
typedef qa_status (*qa_evaldata_fn)(qa_evaldata_out *out, const qa_evaldata_opts *o);

typedef struct {
    const char *name;          /* --dataset value */
    const char *default_split; /* comma-separated */
    const char *layout;        /* one line for --help: what ROOT must contain */
    qa_evaldata_fn convert;
} qa_evaldata_adapter;

/* The adapter table, terminated by an entry with name NULL. */
const qa_evaldata_adapter *qa_evaldata_adapters(void);
const qa_evaldata_adapter *qa_evaldata_find(const char *name);

typedef struct {
    long long lines, skipped;
    int nsources;
} qa_evaldata_stats;

/* Converts dataset `name` (each split of o->split in turn) into `out_path`, written atomically.
 * Prints progress and per-source line counts to `progress` (may be NULL). Producing no line at
 * all is an error (wrong root or split). `stats` may be NULL. */
qa_status qa_evaldata_run(const char *name, const qa_evaldata_opts *o, const char *out_path, FILE *progress,
                          qa_evaldata_stats *stats);

/* Checks that `audio` exists. Returns QA_OK with *keep = 1 when it does; when it does not:
 * skip_missing -> QA_OK, *keep = 0 (counted); else QA_ERR_IO naming `where` (file:line). */
qa_status qa_evaldata_check_audio(qa_evaldata_out *out, const char *audio, const char *where, int *keep);

/* The usual last step of an adapter's row: qa_evaldata_check_audio (with where = "file:line"),
 * then qa_evaldata_emit when the audio is kept. audio NULL (a failed allocation) is QA_ERR_NOMEM. */
qa_status qa_evaldata_emit_row(qa_evaldata_out *out, const char *audio, const char *file, size_t line, const char *gt,
                               const char *source, const char *question);

/* Writes one line. `gt` is copied (string or array of strings); question may be NULL. */
qa_status qa_evaldata_emit_json(qa_evaldata_out *out, const char *audio, const cJSON *gt, const char *source,
                                const char *question);
qa_status qa_evaldata_emit(qa_evaldata_out *out, const char *audio, const char *gt, const char *source,
                           const char *question);
qa_status qa_evaldata_emit_list(qa_evaldata_out *out, const char *audio, const char *const *gts, int ngt,
                                const char *source);

/* The adapters (one file each). */
qa_status qa_evaldata_librispeech(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_aishell1(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_aishell2(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_covost2(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_clotho(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_clothoaqa(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_cochlscene(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_tut2017(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_meld(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_vocalsound(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_nsynth(qa_evaldata_out *out, const qa_evaldata_opts *o);
qa_status qa_evaldata_qwen_jsonl(qa_evaldata_out *out, const qa_evaldata_opts *o);

/* Source-name helper: "prefix_" + split with '-' and '.' turned into '_' and lower-cased
 * ("librispeech", "test-clean" -> "librispeech_test_clean"). malloc'd; NULL on OOM. */
char *qa_evaldata_source_name(const char *prefix, const char *split);

#endif
