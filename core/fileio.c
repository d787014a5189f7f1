/* core/fileio: see fileio.h. */
#include "core/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

qa_status qa_atomic_file_open(qa_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->path = dup_str(path);
    af->tmp = malloc(n);
    if (!af->path || !af->tmp) {
        free(af->path);
        free(af->tmp);
        return qa_error(QA_ERR_NOMEM, "out of memory opening %s", path);
    }
    snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        qa_status s = qa_error(QA_ERR_IO, "cannot create %s: %s (check the directory exists and is writable)",
                               af->tmp, strerror(errno));
        free(af->path);
        free(af->tmp);
        memset(af, 0, sizeof *af);
        return s;
    }
    return QA_OK;
}

void qa_atomic_file_abort(qa_atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp) unlink(af->tmp);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
}

qa_status qa_atomic_file_commit(qa_atomic_file *af)
{
    int bad = ferror(af->f) || fflush(af->f) != 0 || fsync(fileno(af->f)) != 0;
    int err = errno;
    if (fclose(af->f) != 0 && !bad) { bad = 1; err = errno; }
    af->f = NULL;
    if (bad) {
        qa_status s = qa_error(QA_ERR_IO, "writing %s failed: %s (disk full?); nothing was written",
                               af->path, strerror(err));
        qa_atomic_file_abort(af);
        return s;
    }
    if (rename(af->tmp, af->path) != 0) {
        qa_status s = qa_error(QA_ERR_IO, "cannot rename %s to %s: %s", af->tmp, af->path, strerror(errno));
        qa_atomic_file_abort(af);
        return s;
    }
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
    return QA_OK;
}

qa_status qa_check_writable(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        snprintf(dir, sizeof dir, ".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1; /* "/file" -> "/" */
        if (n >= sizeof dir) return qa_error(QA_ERR_IO, "output path too long: %s", path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    if (access(dir, W_OK) != 0)
        return qa_error(QA_ERR_IO, "cannot write %s: directory %s: %s (create it or choose another path)", path, dir,
                        strerror(errno));
    return QA_OK;
}

qa_status qa_file_read_all(const char *path, char **data, size_t *len)
{
    *data = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return qa_error(QA_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) { fclose(f); return qa_error(QA_ERR_NOMEM, "out of memory reading %s", path); }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); fclose(f); return qa_error(QA_ERR_NOMEM, "out of memory reading %s", path); }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return qa_error(QA_ERR_IO, "error reading %s", path); }
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return QA_OK;
}

char *qa_path_relative_to(const char *base_file, const char *rel)
{
    if (rel[0] == '/') return dup_str(rel);
    const char *slash = strrchr(base_file, '/');
    size_t dlen = slash ? (size_t)(slash - base_file + 1) : 0;
    size_t rlen = strlen(rel);
    char *out = malloc(dlen + rlen + 1);
    if (!out) return NULL;
    memcpy(out, base_file, dlen);
    memcpy(out + dlen, rel, rlen + 1);
    return out;
}
