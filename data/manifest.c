/* data/manifest: see manifest.h. */
#include "data/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"

struct qa_manifest {
    FILE *f;
    char *path;
    char *buf;
    size_t cap;
    long lineno;
};

qa_status qa_manifest_open(qa_manifest **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return qa_error(QA_ERR_IO, "cannot open manifest %s: %s", path, strerror(errno));
    qa_manifest *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        fclose(f);
        return qa_error(QA_ERR_NOMEM, "out of memory");
    }
    m->f = f;
    *out = m;
    return QA_OK;
}

qa_status qa_manifest_next(qa_manifest *m, const char **line, size_t *len, long *lineno)
{
    *line = NULL;
    *len = 0;
    for (;;) {
        ssize_t n = getline(&m->buf, &m->cap, m->f);
        if (n < 0) {
            if (ferror(m->f)) return qa_error(QA_ERR_IO, "cannot read manifest %s after line %ld", m->path, m->lineno);
            return QA_OK;
        }
        m->lineno++;
        while (n > 0 && (m->buf[n - 1] == '\n' || m->buf[n - 1] == '\r')) m->buf[--n] = 0;
        size_t i = 0;
        while (i < (size_t)n && (m->buf[i] == ' ' || m->buf[i] == '\t')) i++;
        if (i == (size_t)n) continue;
        *line = m->buf;
        *len = (size_t)n;
        *lineno = m->lineno;
        return QA_OK;
    }
}

void qa_manifest_close(qa_manifest *m)
{
    if (!m) return;
    if (m->f) fclose(m->f);
    free(m->buf);
    free(m->path);
    free(m);
}

int qa_manifest_is_chat(const cJSON *rec)
{
    return cJSON_GetObjectItemCaseSensitive(rec, "messages") != NULL ||
           cJSON_GetObjectItemCaseSensitive(rec, "conversations") != NULL;
}
