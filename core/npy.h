/* core/npy: NumPy .npy read and write (format versions 1.0-3.0 read, 1.0 written).
 *
 * Arrays users inspect (log-mel, logits, encoder outputs) are .npy files. Reading:
 *   qa_npy a; if ((s = qa_npy_read(path, &a))) ...; use a.dtype, a.ndim, a.shape, a.data; qa_npy_free(&a);
 * Writing is atomic (temporary name, then rename):
 *   int64_t shape[2] = {80, frames}; qa_npy_write(path, QA_NPY_F32, 2, shape, data);
 * Only C-order little-endian arrays are supported; Fortran order or big-endian data is reported
 * as an error naming the file. */
#ifndef QA_CORE_NPY_H
#define QA_CORE_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define QA_NPY_MAX_DIMS 8

typedef enum { QA_NPY_F32, QA_NPY_F64, QA_NPY_F16, QA_NPY_I8, QA_NPY_U8, QA_NPY_I16, QA_NPY_I32, QA_NPY_I64, QA_NPY_BOOL } qa_npy_dtype;

typedef struct {
    qa_npy_dtype dtype;
    int ndim;
    int64_t shape[QA_NPY_MAX_DIMS];
    size_t count;  /* product of shape */
    void *data;    /* count elements of dtype, malloc'd */
} qa_npy;

size_t qa_npy_dtype_size(qa_npy_dtype t);
qa_status qa_npy_read(const char *path, qa_npy *out);
/* Reads from memory (fuzzing, embedded data); `name` is used in messages. */
qa_status qa_npy_parse(const void *buf, size_t len, const char *name, qa_npy *out);
qa_status qa_npy_write(const char *path, qa_npy_dtype dtype, int ndim, const int64_t *shape, const void *data);
void qa_npy_free(qa_npy *a);

#endif
