/* data/manifest: reads jsonl manifests line by line (one JSON record per line; blank lines are
 * skipped) and tells chat records from pre-training records. Line numbers start at 1 and are what
 * error messages and rejected.jsonl report.
 *
 * Usage:
 *   qa_manifest *m; qa_manifest_open(&m, "train.jsonl");
 *   const char *line; size_t len; long lineno;
 *   while (!(s = qa_manifest_next(m, &line, &len, &lineno)) && line) { ... }
 *   qa_manifest_close(m);
 * `line` is valid until the next call. */
#ifndef QA_DATA_MANIFEST_H
#define QA_DATA_MANIFEST_H

#include <stddef.h>

#include "core/status.h"

typedef struct qa_manifest qa_manifest;

qa_status qa_manifest_open(qa_manifest **out, const char *path);
/* Next non-blank line (without its newline) or *line = NULL at the end. */
qa_status qa_manifest_next(qa_manifest *m, const char **line, size_t *len, long *lineno);
void qa_manifest_close(qa_manifest *m);

/* 1 when the parsed record is a chat record ("messages" or "conversations"), else 0. */
struct cJSON;
int qa_manifest_is_chat(const struct cJSON *rec);

#endif
