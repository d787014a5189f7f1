/* core/tensor: see tensor.h. */
#include "core/tensor.h"

#include <stdio.h>
#include <string.h>

size_t qa_dtype_size(qa_dtype t)
{
    switch (t) {
    case QA_F32: return 4;
    case QA_BF16: return 2;
    case QA_I32: return 4;
    case QA_I64: return 8;
    default: return 0;
    }
}

const char *qa_dtype_name(qa_dtype t)
{
    static const char *const names[] = {"f32", "bf16", "i32", "i64"};
    return (unsigned)t < QA_DTYPE_COUNT ? names[t] : "?";
}

static void set_contiguous_strides(qa_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        t->stride[i] = s;
        s *= t->shape[i];
    }
}

qa_status qa_tensor_init(qa_tensor *t, qa_dtype dtype, int ndim, const int64_t *shape, void *data)
{
    memset(t, 0, sizeof *t);
    if ((unsigned)dtype >= QA_DTYPE_COUNT) return qa_error(QA_ERR_DTYPE, "tensor: unknown dtype %d", (int)dtype);
    if (ndim < 0 || ndim > QA_MAX_DIMS)
        return qa_error(QA_ERR_SHAPE, "tensor: %d dimensions requested, at most %d supported", ndim, QA_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0)
            return qa_error(QA_ERR_SHAPE, "tensor: dimension %d has size %lld, must be positive", i,
                            (long long)shape[i]);
        if (shape[i] > ((int64_t)1 << 48) / n)
            return qa_error(QA_ERR_SHAPE, "tensor: shape with %lld elements along dim %d is too large (over 2^48 elements)",
                            (long long)shape[i], i);
        n *= shape[i];
        t->shape[i] = shape[i];
    }
    t->dtype = dtype;
    t->ndim = ndim;
    t->data = data;
    set_contiguous_strides(t);
    return QA_OK;
}

qa_status qa_tensor_alloc(qa_tensor *t, qa_arena *a, qa_dtype dtype, int ndim, const int64_t *shape,
                          bool with_grad)
{
    qa_status s = qa_tensor_init(t, dtype, ndim, shape, NULL);
    if (s) return s;
    size_t bytes = (size_t)qa_tensor_numel(t) * qa_dtype_size(dtype);
    if ((s = qa_arena_alloc(a, &t->data, bytes))) return s;
    if (with_grad) {
        if ((s = qa_arena_calloc(a, &t->grad, bytes))) return s;
        t->requires_grad = true;
    }
    return QA_OK;
}

int64_t qa_tensor_numel(const qa_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

bool qa_tensor_is_contiguous(const qa_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s) return false;
        s *= t->shape[i];
    }
    return true;
}

size_t qa_tensor_span_bytes(const qa_tensor *t)
{
    int64_t last = 0;
    for (int i = 0; i < t->ndim; i++) last += (t->shape[i] - 1) * t->stride[i];
    return (size_t)(last + 1) * qa_dtype_size(t->dtype);
}

void *qa_tensor_ptr(const qa_tensor *t, const int64_t *idx, bool grad)
{
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++) off += idx[i] * t->stride[i];
    uint8_t *base = grad ? t->grad : t->data;
    return base ? base + off * (int64_t)qa_dtype_size(t->dtype) : NULL;
}

bool qa_tensor_same_shape(const qa_tensor *a, const qa_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

const char *qa_tensor_describe(const qa_tensor *t, char *buf, size_t n)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < t->ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, ") %s", qa_dtype_name(t->dtype));
    return buf;
}

qa_status qa_tensor_view_reshape(qa_tensor *dst, const qa_tensor *src, int ndim, const int64_t *shape)
{
    char d[96];
    if (!qa_tensor_is_contiguous(src))
        return qa_error(QA_ERR_SHAPE, "reshape: input %s is a non-contiguous view: copy it first (qa_copy)",
                        qa_tensor_describe(src, d, sizeof d));
    qa_tensor t = *src;
    qa_status s = qa_tensor_init(&t, src->dtype, ndim, shape, src->data);
    if (s) return s;
    if (qa_tensor_numel(&t) != qa_tensor_numel(src))
        return qa_error(QA_ERR_SHAPE, "reshape: %s has %lld elements, the new shape %lld",
                        qa_tensor_describe(src, d, sizeof d), (long long)qa_tensor_numel(src),
                        (long long)qa_tensor_numel(&t));
    t.grad = src->grad;
    t.requires_grad = src->requires_grad;
    t.name = src->name;
    *dst = t;
    return QA_OK;
}

qa_status qa_tensor_view_transpose(qa_tensor *dst, const qa_tensor *src, int d0, int d1)
{
    if (d0 < 0) d0 += src->ndim;
    if (d1 < 0) d1 += src->ndim;
    if (d0 < 0 || d1 < 0 || d0 >= src->ndim || d1 >= src->ndim)
        return qa_error(QA_ERR_SHAPE, "transpose: dims %d and %d out of range for a %d-d tensor", d0, d1, src->ndim);
    qa_tensor t = *src;
    t.shape[d0] = src->shape[d1];
    t.shape[d1] = src->shape[d0];
    t.stride[d0] = src->stride[d1];
    t.stride[d1] = src->stride[d0];
    *dst = t;
    return QA_OK;
}

qa_status qa_tensor_view_slice(qa_tensor *dst, const qa_tensor *src, int dim, int64_t start, int64_t len)
{
    char d[96];
    if (dim < 0) dim += src->ndim;
    if (dim < 0 || dim >= src->ndim)
        return qa_error(QA_ERR_SHAPE, "slice: dim %d out of range for %s", dim, qa_tensor_describe(src, d, sizeof d));
    if (start < 0 || len <= 0 || start + len > src->shape[dim])
        return qa_error(QA_ERR_SHAPE, "slice: [%lld, %lld) out of range 0..%lld along dim %d of %s", (long long)start,
                        (long long)(start + len), (long long)src->shape[dim], dim, qa_tensor_describe(src, d, sizeof d));
    qa_tensor t = *src;
    size_t off = (size_t)(start * src->stride[dim]) * qa_dtype_size(src->dtype);
    t.shape[dim] = len;
    t.data = (uint8_t *)src->data + off;
    if (src->grad) t.grad = (uint8_t *)src->grad + off;
    *dst = t;
    return QA_OK;
}

static int64_t flat_offset(const qa_tensor *t, int64_t flat)
{
    int64_t off = 0;
    for (int i = t->ndim - 1; i >= 0; i--) {
        off += (flat % t->shape[i]) * t->stride[i];
        flat /= t->shape[i];
    }
    return off;
}

double qa_tensor_get(const qa_tensor *t, int64_t flat, bool grad)
{
    const void *base = grad ? t->grad : t->data;
    int64_t o = flat_offset(t, flat);
    switch (t->dtype) {
    case QA_F32: return ((const float *)base)[o];
    case QA_BF16: return qa_f32_from_bf16(((const uint16_t *)base)[o]);
    case QA_I32: return ((const int32_t *)base)[o];
    case QA_I64: return (double)((const int64_t *)base)[o];
    default: return 0;
    }
}

void qa_tensor_set(const qa_tensor *t, int64_t flat, double v, bool grad)
{
    void *base = grad ? t->grad : t->data;
    int64_t o = flat_offset(t, flat);
    switch (t->dtype) {
    case QA_F32: ((float *)base)[o] = (float)v; break;
    case QA_BF16: ((uint16_t *)base)[o] = qa_bf16_from_f32((float)v); break;
    case QA_I32: ((int32_t *)base)[o] = (int32_t)v; break;
    case QA_I64: ((int64_t *)base)[o] = (int64_t)v; break;
    default: break;
    }
}

void qa_tensor_zero_grad(qa_tensor *t)
{
    if (!t || !t->grad) return;
    if (qa_tensor_is_contiguous(t)) {
        memset(t->grad, 0, (size_t)qa_tensor_numel(t) * qa_dtype_size(t->dtype));
        return;
    }
    int64_t n = qa_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) qa_tensor_set(t, i, 0.0, true);
}

qa_status qa_tensor_check(const qa_tensor *t, const char *op, const char *what, int min_ndim, int max_ndim,
                          unsigned dtype_mask)
{
    char d[96];
    if (!t || !t->data) return qa_error(QA_ERR_ARG, "%s: %s is missing (NULL tensor or data)", op, what);
    if ((unsigned)t->dtype >= QA_DTYPE_COUNT || !(dtype_mask & QA_DT(t->dtype)))
        return qa_error(QA_ERR_DTYPE, "%s: %s has dtype %s, which this op does not support", op, what,
                        qa_dtype_name(t->dtype));
    if (t->ndim < min_ndim || t->ndim > max_ndim)
        return qa_error(QA_ERR_SHAPE, "%s: %s is %s; expected %d to %d dimensions", op, what,
                        qa_tensor_describe(t, d, sizeof d), min_ndim, max_ndim);
    return QA_OK;
}
