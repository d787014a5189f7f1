/* tests/unit/eval_datasets_fixture: helpers shared by the eval-data adapter tests: write fixture
 * files (parents created), run one conversion, compare the output file with an expected text
 * (FX_CHECK_OUTPUT, where '@' in the expected text stands for the fixture root).
 * Audio files in the fixtures are EMPTY placeholders: the adapters only check that they exist
 * (decoding is the evaluator's job), so no real audio is needed. Header-only (static functions). */
#ifndef QA_TESTS_EVAL_DATASETS_FIXTURE_H
#define QA_TESTS_EVAL_DATASETS_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "eval/datasets/eval_data.h"
#include "tests/support/test.h"

/* Fixture paths are short temp paths; gcc cannot know that and warns on every snprintf. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* mkdir -p of the parent folders of `path`. */
static inline void fx_mkparents(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
}

/* Writes `content` to ROOT/REL (creating folders). */
static inline void fx_put(const char *root, const char *rel, const char *content)
{
    char path[2 * PATH_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    fx_mkparents(path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "fixture: cannot create %s\n", path);
        return;
    }
    fputs(content, f);
    fclose(f);
}

/* A fresh, canonical (realpath) fixture root for one test case: <tmp>/<name>. */
static const char *fx_root(char *buf, size_t n, const char *name)
{
    char raw[PATH_MAX];
    snprintf(raw, sizeof raw, "%s/%s", qa_test_tmpdir(), name);
    mkdir(raw, 0755);
    char real[PATH_MAX];
    if (!realpath(raw, real)) snprintf(real, sizeof real, "%s", raw);
    snprintf(buf, n, "%s", real);
    return buf;
}

/* Runs a conversion into ROOT/out.jsonl (quiet). Returns the status; *text = file content or NULL. */
static inline qa_status fx_run(const char *dataset, const qa_evaldata_opts *o, const char *out_dir, char **text,
                        qa_evaldata_stats *st)
{
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/out.jsonl", out_dir);
    unlink(out);
    *text = NULL;
    qa_status s = qa_evaldata_run(dataset, o, out, NULL, st);
    if (!s) {
        qa_status r = qa_file_read_all(out, text, NULL);
        if (r) return r;
    }
    return s;
}

static inline int fx_exists(const char *dir, const char *rel)
{
    char path[2 * PATH_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return access(path, F_OK) == 0;
}

/* malloc'd copy of fmt with every '@' replaced by root (expected texts name the fixture root). */
static inline char *fx_expand(const char *fmt, const char *root)
{
    size_t n = strlen(fmt) + 1, rn = strlen(root);
    for (const char *p = fmt; *p; p++)
        if (*p == '@') n += rn;
    char *out = malloc(n), *o = out;
    if (!out) return NULL;
    for (const char *p = fmt; *p; p++) {
        if (*p == '@') {
            memcpy(o, root, rn);
            o += rn;
        } else *o++ = *p;
    }
    *o = '\0';
    return out;
}

/* Converts `dataset` (fx_run into ROOT/out.jsonl, stats into *st) and checks that the output is
 * want_fmt with every '@' replaced by root. A macro, so failures name the caller's line. */
#define FX_CHECK_OUTPUT(t, dataset, o, root, st, want_fmt)                                        \
    do {                                                                                          \
        char *fx_text_ = NULL, *fx_want_ = fx_expand((want_fmt), (root));                         \
        CHECK_OK(t, fx_run((dataset), (o), (root), &fx_text_, (st)));                             \
        CHECK_TEXT(t, fx_text_, fx_want_ ? fx_want_ : "(out of memory)");                         \
        free(fx_text_);                                                                           \
        free(fx_want_);                                                                           \
    } while (0)

#define CHECK_TEXT(t, got, want)                                                                  \
    CHECK_MSG(t, (got) && !strcmp((got), (want)), "output differs:\n--- got\n%s--- want\n%s", (got) ? (got) : "(null)\n", (want))

#define CHECK_MSG_HAS(t, needle)                                                                  \
    CHECK_MSG(t, strstr(qa_error_message(), (needle)) != NULL, "error message '%s' lacks '%s'", qa_error_message(), (needle))

#endif
