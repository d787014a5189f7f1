/* core/tensor: the tensor value type. A qa_tensor is a small struct (copied by value) that points
 * at memory it does not own: data and gradient live in an arena (model or step) or in a caller's
 * buffer. Owns only the view arithmetic (reshape, transpose, slice without copy), dtype helpers and
 * bf16 conversion.
 *
 * Conventions
 *   - dtype: QA_F32 and QA_BF16 for values, QA_I32 / QA_I64 for ids and labels.
 *   - ndim <= 4; shape[i] elements along dim i; stride[i] in ELEMENTS (not bytes); row-major
 *     contiguous means stride[ndim-1] == 1 and stride[i] == stride[i+1] * shape[i+1].
 *   - `data` points at element (0,...,0). `grad`, when not NULL, has the same dtype and the same
 *     strides as `data`: element i of the gradient is at ((T *)grad)[offset(i)]. A view shares its
 *     base's gradient memory at the same offset, so gradients flow through views by aliasing and
 *     views need no tape entry.
 *   - requires_grad: set on parameters the optimizer updates and on every op output computed from
 *     a requires_grad input while a tape records. Parameters have grad pointing into the model's
 *     gradient buffer (zeroed only by qa_tensor_zero_grad / the optimizer); op outputs get a zeroed
 *     gradient in the step arena.
 *   - name: checkpoint key of a weight ("transformer.h.0.attn.c_attn.weight"), NULL otherwise.
 *   - Shape comments use the letters of design.md: B batch, T tokens, F frames, M mel bins, D width,
 *     H heads, Dh head dim, Dff MLP width, V vocab, L layers:  qa_tensor x; // (B, T, D)
 *
 *   qa_tensor x; qa_tensor_init(&x, QA_F32, 2, (int64_t[]){T, D}, buf);       // wrap memory
 *   qa_tensor_alloc(&x, &ctx->step, QA_F32, 2, (int64_t[]){T, D}, true);      // arena + zeroed grad
 *   qa_tensor_view_transpose(&xt, &x, 0, 1);                                   // (D, T), no copy
 */
#ifndef QA_CORE_TENSOR_H
#define QA_CORE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"

#define QA_MAX_DIMS 4

typedef enum { QA_F32 = 0, QA_BF16 = 1, QA_I32 = 2, QA_I64 = 3, QA_DTYPE_COUNT } qa_dtype;

typedef struct qa_tensor {
    qa_dtype dtype;
    int ndim;                     /* 0..QA_MAX_DIMS (0 = scalar, one element) */
    int64_t shape[QA_MAX_DIMS];   /* elements per dim */
    int64_t stride[QA_MAX_DIMS];  /* elements between neighbours along each dim */
    void *data;                   /* element (0,..,0) */
    void *grad;                   /* same dtype/strides as data, or NULL */
    bool requires_grad;
    const char *name;             /* checkpoint key or NULL; not owned */
} qa_tensor;

size_t qa_dtype_size(qa_dtype t);
const char *qa_dtype_name(qa_dtype t);
static inline bool qa_dtype_is_float(qa_dtype t) { return t == QA_F32 || t == QA_BF16; }

/* bf16 <-> f32 (round to nearest even; NaN stays NaN). */
static inline uint16_t qa_bf16_from_f32(float f)
{
    union { float f; uint32_t u; } v = {f};
    if ((v.u & 0x7f800000u) == 0x7f800000u && (v.u & 0x007fffffu)) return (uint16_t)((v.u >> 16) | 0x40);
    uint32_t r = 0x7fffu + ((v.u >> 16) & 1u);
    return (uint16_t)((v.u + r) >> 16);
}
static inline float qa_f32_from_bf16(uint16_t b)
{
    union { uint32_t u; float f; } v = {(uint32_t)b << 16};
    return v.f;
}

/* Fills t as a contiguous tensor over `data` (not owned), no gradient. Checks ndim and shape. */
qa_status qa_tensor_init(qa_tensor *t, qa_dtype dtype, int ndim, const int64_t *shape, void *data);
/* Contiguous tensor whose data (and, when with_grad, a zeroed gradient) come from arena `a`. */
qa_status qa_tensor_alloc(qa_tensor *t, qa_arena *a, qa_dtype dtype, int ndim, const int64_t *shape,
                          bool with_grad);

int64_t qa_tensor_numel(const qa_tensor *t);
bool qa_tensor_is_contiguous(const qa_tensor *t);
/* Bytes spanned from data to one past the last element (for contiguous tensors numel * size). */
size_t qa_tensor_span_bytes(const qa_tensor *t);
/* Pointer to element at index idx[ndim] in data (or grad when `grad`). */
void *qa_tensor_ptr(const qa_tensor *t, const int64_t *idx, bool grad);
bool qa_tensor_same_shape(const qa_tensor *a, const qa_tensor *b);
/* "(3, 5, 7) f32" into buf; returns buf. */
const char *qa_tensor_describe(const qa_tensor *t, char *buf, size_t n);

/* Views: no copy; dst shares data and grad with src. Errors are QA_ERR_SHAPE with a message. */
qa_status qa_tensor_view_reshape(qa_tensor *dst, const qa_tensor *src, int ndim, const int64_t *shape);
qa_status qa_tensor_view_transpose(qa_tensor *dst, const qa_tensor *src, int d0, int d1);
qa_status qa_tensor_view_slice(qa_tensor *dst, const qa_tensor *src, int dim, int64_t start, int64_t len);

/* Element access as double by flat row-major index (any strides); for tests, references and
 * hand-written loops off the hot path. */
double qa_tensor_get(const qa_tensor *t, int64_t flat, bool grad);
void qa_tensor_set(const qa_tensor *t, int64_t flat, double v, bool grad);

/* Zeroes the gradient (only when asked: backward accumulates). */
void qa_tensor_zero_grad(qa_tensor *t);

/* Requires dtype (QA_ERR_DTYPE) / ndim range (QA_ERR_SHAPE); `what` names the operand. */
qa_status qa_tensor_check(const qa_tensor *t, const char *op, const char *what, int min_ndim, int max_ndim,
                          unsigned dtype_mask);
#define QA_DT(x) (1u << (x))
#define QA_DT_FLOAT (QA_DT(QA_F32) | QA_DT(QA_BF16))
#define QA_DT_INT (QA_DT(QA_I32) | QA_DT(QA_I64))

#endif
