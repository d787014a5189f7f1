/* core/ops/nn_common: see nn_common.h. */
#include "core/ops/nn_common.h"

#include <string.h>

qa_status qa_nn_rows(qa_tensor *out, const qa_tensor *t, const char *op)
{
    char d[96];
    int nd = t->ndim;
    if (nd < 1) return qa_error(QA_ERR_SHAPE, "%s: expected at least 1 dim, got a scalar", op);
    if (t->stride[nd - 1] != 1 && t->shape[nd - 1] > 1)
        return qa_error(QA_ERR_UNSUPPORTED, "%s: last dim of %s is not dense: copy the view first", op,
                        qa_tensor_describe(t, d, sizeof d));
    int64_t rows = 1;
    for (int i = 0; i < nd - 1; i++) {
        rows *= t->shape[i];
        if (i < nd - 2 && t->shape[i] > 1 && t->stride[i] != t->stride[i + 1] * t->shape[i + 1])
            return qa_error(QA_ERR_UNSUPPORTED, "%s: cannot merge the leading dims of the view %s: copy it first", op,
                            qa_tensor_describe(t, d, sizeof d));
    }
    qa_tensor m = *t;
    m.ndim = 2;
    m.shape[0] = rows;
    m.shape[1] = t->shape[nd - 1];
    m.stride[0] = nd >= 2 ? t->stride[nd - 2] : t->shape[0];
    m.stride[1] = 1;
    if (rows == 1 || m.stride[0] < m.shape[1]) m.stride[0] = m.shape[1] > 0 ? m.shape[1] : 1;
    *out = m;
    return QA_OK;
}

qa_status qa_nn_temp(qa_ctx *ctx, qa_tensor *t, qa_dtype dt, int ndim, const int64_t *shape)
{
    qa_status s = qa_tensor_alloc(t, &ctx->step, dt, ndim, shape, false);
    return s ? qa_error_wrap(s, "allocating a temporary") : QA_OK;
}

qa_status qa_nn_contiguous(qa_ctx *ctx, qa_tensor *out, const qa_tensor *t)
{
    if (qa_tensor_is_contiguous(t)) {
        *out = *t;
        return QA_OK;
    }
    qa_status s = qa_nn_temp(ctx, out, t->dtype, t->ndim, t->shape);
    if (!s) s = qa_op_copy_into(ctx, out, t);
    return s;
}

qa_status qa_nn_f32(qa_ctx *ctx, qa_tensor *out, const qa_tensor *t)
{
    if (t->dtype == QA_F32 && qa_tensor_is_contiguous(t)) {
        *out = *t;
        out->grad = NULL;
        out->requires_grad = false;
        return QA_OK;
    }
    qa_status s = qa_nn_temp(ctx, out, QA_F32, t->ndim, t->shape);
    if (!s) s = qa_op_copy_into(ctx, out, t);
    return s;
}

qa_status qa_nn_prim_create_hint(qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, const void *op_desc,
                                 const_dnnl_primitive_desc_t hint, const int *args, int nargs)
{
    dnnl_primitive_attr_t attr = NULL;
    qa_status s = qa_attr_new(&attr, 0.f);
    if (s) return s;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, op_desc, attr, ctx->engine, hint);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success)
        return qa_dnnl_check(st, "creating a oneDNN backward primitive descriptor (unsupported shapes or dtypes?)");
    return qa_prim_create_from_pd(ctx, out, k, pd, args, nargs);
}

void qa_nn_load_row(float *dst, const void *src, qa_dtype dt, int64_t n)
{
    if (dt == QA_F32) {
        memcpy(dst, src, sizeof(float) * (size_t)n);
        return;
    }
    const uint16_t *b = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = qa_f32_from_bf16(b[i]);
}

void qa_nn_store_row(void *dst, const float *src, qa_dtype dt, int64_t n, int accumulate)
{
    if (dt == QA_F32) {
        float *f = dst;
        if (accumulate)
            for (int64_t i = 0; i < n; i++)
                f[i] += src[i];
        else
            memcpy(f, src, sizeof(float) * (size_t)n);
        return;
    }
    uint16_t *b = dst;
    for (int64_t i = 0; i < n; i++)
        b[i] = qa_bf16_from_f32(accumulate ? qa_f32_from_bf16(b[i]) + src[i] : src[i]);
}

qa_status qa_nn_md(dnnl_memory_desc_t *md, const qa_tensor *t)
{
    if (t->ndim < 1) return qa_md_from_tensor(md, t);
    dnnl_data_type_t dt = qa_dnnl_dtype(t->dtype);
    if (dt == dnnl_data_type_undef)
        return qa_error(QA_ERR_DTYPE, "dtype %s cannot be used in a oneDNN primitive", qa_dtype_name(t->dtype));
    dnnl_dims_t dims, strides;
    int64_t span = 1;
    for (int i = 0; i < t->ndim; i++) {
        dims[i] = t->shape[i];
        strides[i] = t->stride[i];
        if (t->shape[i] > 1 && t->stride[i] * t->shape[i] > span) span = t->stride[i] * t->shape[i];
    }
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] == 1) strides[i] = span;
    return qa_dnnl_check(dnnl_memory_desc_init_by_strides(md, t->ndim, dims, dt, strides),
                         "describing a tensor to oneDNN");
}
