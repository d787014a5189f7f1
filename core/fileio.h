/* core/fileio: whole-file reads and atomic writes.
 *
 * Every output qaudio writes goes through qa_atomic_file: data is written to "PATH.tmp.PID",
 * flushed, fsync'd and renamed to PATH only when whole, so an interrupted run never leaves a
 * file that looks complete. Usage:
 *   qa_atomic_file af;
 *   if ((s = qa_atomic_file_open(&af, path))) return s;
 *   fwrite(..., af.f);  ...  on error: qa_atomic_file_abort(&af);
 *   return qa_atomic_file_commit(&af);          // checks write errors (disk full) too
 */
#ifndef QA_CORE_FILEIO_H
#define QA_CORE_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"

typedef struct {
    FILE *f;     /* write here */
    char *path;  /* final name */
    char *tmp;   /* temporary name, removed on abort */
} qa_atomic_file;

qa_status qa_atomic_file_open(qa_atomic_file *af, const char *path);
qa_status qa_atomic_file_commit(qa_atomic_file *af);
void qa_atomic_file_abort(qa_atomic_file *af);

/* QA_OK when a file can be created at `path` (its directory exists and is writable), else
 * QA_ERR_IO naming the directory: lets long jobs fail before the work, not after it. */
qa_status qa_check_writable(const char *path);

/* Reads a whole file into a malloc'd buffer with a terminating NUL (not counted in *len). */
qa_status qa_file_read_all(const char *path, char **data, size_t *len);

/* Joins a directory and a relative path ("a/b.json" + "c.wav" -> "a/c.wav"); absolute `rel` is
 * returned as is. Result is malloc'd; NULL on allocation failure. */
char *qa_path_relative_to(const char *base_file, const char *rel);

#endif
