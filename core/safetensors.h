/* core/safetensors: reading and writing the safetensors format (Hugging Face), the file format
 * of every qaudio checkpoint.
 *
 * Layout of a file: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 *   {"__metadata__":{"format":"pt"},"NAME":{"dtype":"F32","shape":[2,3],"data_offsets":[b,e]},...}
 * (padded with spaces to a multiple of 8), then the raw little-endian tensor bytes; offsets are
 * relative to the start of the data area.
 *
 * Reading maps the file (mmap, read-only): tensor data pointers point INTO the mapping, so a 7B
 * checkpoint is never copied; convert on demand with qa_st_to_f32 into caller memory.
 * Every header entry is validated against the file size the way the reference `safetensors`
 * library does (contiguous, non-overlapping offsets covering the data area exactly, size ==
 * numel * element size); errors name the file, the tensor and the byte offset.
 *
 *   qa_safetensors *st;
 *   if ((s = qa_safetensors_open(&st, path))) return s;
 *   const qa_st_tensor *w = qa_safetensors_find(st, "lm_head.weight");
 *   qa_st_to_f32(dst, w, 0, w->numel);  ...  qa_safetensors_close(st);
 *
 * Writing streams tensors one at a time, converting from the source dtype (or from a fill
 * callback that produces f32) into the file dtype; the order is the one the reference writer
 * uses: by element size (largest first), then by name. The file is written atomically. */
#ifndef QA_CORE_SAFETENSORS_H
#define QA_CORE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum {
    QA_ST_F32 = 0,
    QA_ST_F16,
    QA_ST_BF16,
    QA_ST_F64,
    QA_ST_I64,
    QA_ST_I32,
    QA_ST_I16,
    QA_ST_I8,
    QA_ST_U8,
    QA_ST_BOOL,
    QA_ST_DTYPE_COUNT
} qa_st_dtype;

#define QA_ST_MAX_DIMS 8

/* "F32", "BF16", ... as in the file. */
const char *qa_st_dtype_name(qa_st_dtype d);
/* Parses a dtype name; returns -1 when unknown. */
int qa_st_dtype_parse(const char *name);
/* Bytes per element. */
size_t qa_st_dtype_size(qa_st_dtype d);

typedef struct {
    char *name;
    qa_st_dtype dtype;
    int ndim;
    int64_t shape[QA_ST_MAX_DIMS];
    int64_t numel;
    uint64_t offset;   /* byte offset of the data in the FILE (header included) */
    uint64_t nbytes;
    const void *data;  /* points into the mapping; little-endian; may be unaligned for >1-byte types */
} qa_st_tensor;

typedef struct {
    char *key;
    char *value;
} qa_st_meta;

typedef struct {
    char *path;
    void *map;           /* the mapped file (NULL when parsed from caller memory) */
    size_t size;         /* file size */
    const unsigned char *bytes;
    uint64_t data_start; /* 8 + header length */
    qa_st_tensor *t;     /* [n] in header order */
    int n;
    qa_st_meta *meta;    /* [nmeta] the __metadata__ string map */
    int nmeta;
} qa_safetensors;

/* Maps and validates a file. */
qa_status qa_safetensors_open(qa_safetensors **out, const char *path);
/* Validates a file held in caller memory (kept, not copied: `bytes` must outlive the result).
 * `what` names the input in error messages. Used by the fuzz target. */
qa_status qa_safetensors_parse(qa_safetensors **out, const void *bytes, size_t len, const char *what);
void qa_safetensors_close(qa_safetensors *st);
const qa_st_tensor *qa_safetensors_find(const qa_safetensors *st, const char *name);
/* The __metadata__ value for `key`, or NULL. */
const char *qa_safetensors_meta(const qa_safetensors *st, const char *key);

/* Converts elements [start, start+count) of a float tensor (F32, F16, BF16, F64) to f32. */
qa_status qa_st_to_f32(float *dst, const qa_st_tensor *t, int64_t start, int64_t count);

/* f16 element conversions (round to nearest even; NaN stays NaN). bf16 conversions are
 * qa_f32_from_bf16 / qa_bf16_from_f32 in core/tensor.h, shared with the engine. */
float qa_f16_to_f32(uint16_t h);
uint16_t qa_f32_to_f16(float f);

/* ---- writing ---- */

/* Produces the f32 values of tensor `index` (numel elements) into dst. */
typedef qa_status (*qa_st_fill_fn)(void *ctx, int index, float *dst, int64_t numel);

typedef struct {
    const char *name;
    qa_st_dtype dtype;       /* dtype in the file */
    int ndim;
    int64_t shape[QA_ST_MAX_DIMS];
    const void *src;         /* source data (src_dtype, contiguous); NULL: use the fill callback */
    qa_st_dtype src_dtype;   /* F32, F16, BF16 convert to float dtypes; equal dtypes are copied */
} qa_st_entry;

typedef struct {
    const qa_st_meta *meta;  /* __metadata__ pairs written in this order ({"format":"pt"} when NULL) */
    int nmeta;
    qa_st_fill_fn fill;      /* for entries with src == NULL */
    void *fill_ctx;
} qa_st_write_opts;

/* Writes `entries` (their order does not matter: the file is ordered by element size, then name)
 * to `path` atomically. Duplicate names and non-float conversions are errors. */
qa_status qa_safetensors_write(const char *path, const qa_st_entry *entries, int n,
                               const qa_st_write_opts *opts);

/* Bytes the file for `entries` would have (header included), without writing it. */
uint64_t qa_safetensors_file_size(const qa_st_entry *entries, int n, const qa_st_write_opts *opts);

/* Elements of a shape (0 for any zero dimension; 1 for ndim 0). */
int64_t qa_st_numel(int ndim, const int64_t *shape);

#endif
