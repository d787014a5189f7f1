/* core/ops/common: see common.h. */
#include "core/ops/common.h"

#include <string.h>

#include "core/ops/matmul.h"

qa_status qa_op_output(qa_ctx *ctx, qa_tensor *y, qa_dtype dt, int ndim, const int64_t *shape, bool needs_grad)
{
    qa_status s = qa_tensor_alloc(y, &ctx->step, dt, ndim, shape, needs_grad);
    if (s) return qa_error_wrap(s, "allocating an op output");
    return QA_OK;
}

qa_status qa_op_dst_begin(qa_tensor *out, qa_tensor *y, const char *op)
{
    memset(out, 0, sizeof *out);
    return y ? QA_OK : qa_error(QA_ERR_ARG, "%s: no output tensor given", op);
}

qa_status qa_op_dst_store(qa_tensor *y, const qa_tensor *out, qa_status s)
{
    if (!s) *y = *out;
    return s;
}

qa_tensor qa_grad_view(const qa_tensor *t)
{
    qa_tensor g = *t;
    g.data = t->grad;
    g.grad = NULL;
    g.requires_grad = false;
    return g;
}

qa_status qa_op_reorder(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src, float alpha, int accumulate)
{
    if (!qa_tensor_same_shape(dst, src)) return qa_op_shape_error("reorder", "shapes differ:", dst, src);
    qa_prim_key k;
    qa_key_init(&k, -1, 1);
    qa_key_add_tensor(&k, dst);
    qa_key_add_tensor(&k, src);
    qa_key_add_f(&k, alpha);
    qa_key_add(&k, accumulate);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t smd, dmd;
        qa_status s = qa_md_from_tensor(&smd, src);
        if (!s) s = qa_md_from_tensor(&dmd, dst);
        dnnl_primitive_attr_t attr = NULL;
        if (!s) s = qa_attr_new(&attr, accumulate ? 1.f : 0.f);
        if (!s && alpha != 1.f) s = qa_dnnl_check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha), "scales");
        dnnl_primitive_desc_t pd = NULL;
        if (!s) s = qa_dnnl_check(dnnl_reorder_primitive_desc_create(&pd, &smd, ctx->engine, &dmd, ctx->engine, attr),
                                  "creating a reorder");
        if (attr) dnnl_primitive_attr_destroy(attr);
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create_from_pd(ctx, &p, &k, pd, args, 2);
        if (s) return s;
    }
    return qa_prim_run(ctx, p, (void *[]){src->data, dst->data});
}

qa_status qa_op_shape_error(const char *op, const char *what, const qa_tensor *a, const qa_tensor *b)
{
    char da[96], db[96];
    return qa_error(QA_ERR_SHAPE, "%s: %s %s and %s", op, what, qa_tensor_describe(a, da, sizeof da),
                    b ? qa_tensor_describe(b, db, sizeof db) : "");
}

qa_tensor qa_op_expand(const qa_tensor *t, int ndim)
{
    qa_tensor v = *t;
    int add = ndim - t->ndim;
    if (add <= 0) return v;
    int64_t outer = t->ndim ? t->shape[0] * t->stride[0] : 1;
    for (int i = ndim - 1; i >= add; i--) {
        v.shape[i] = t->shape[i - add];
        v.stride[i] = t->stride[i - add];
    }
    for (int i = 0; i < add; i++) {
        v.shape[i] = 1;
        v.stride[i] = outer;
    }
    v.ndim = ndim;
    return v;
}

qa_status qa_op_binary(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src0, const qa_tensor *src1,
                       dnnl_alg_kind_t alg, int accumulate)
{
    return qa_op_binary_post(ctx, dst, src0, src1, alg, dnnl_alg_kind_undef, 1.f, accumulate);
}

/* Attr with the post-ops of qa_op_binary_post, in order: post eltwise, negation, sum. */
static qa_status binary_post_attr(dnnl_primitive_attr_t *attr, dnnl_alg_kind_t post, float scale, int accumulate)
{
    if (post == dnnl_alg_kind_undef && scale == 1.f) return qa_attr_new(attr, accumulate ? 1.f : 0.f);
    qa_status s = qa_attr_new(attr, 0.f);
    dnnl_post_ops_t po = NULL;
    if (!s) s = qa_dnnl_check(dnnl_post_ops_create(&po), "post-ops");
    if (!s && post != dnnl_alg_kind_undef)
        s = qa_dnnl_check(dnnl_post_ops_append_eltwise(po, 1.f, post, 0.f, 0.f), "eltwise post-op");
    if (!s && scale != 1.f)
        s = qa_dnnl_check(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_linear, scale, 0.f), "scale post-op");
    if (!s && accumulate) s = qa_dnnl_check(dnnl_post_ops_append_sum(po, 1.f), "sum post-op");
    if (!s) s = qa_dnnl_check(dnnl_primitive_attr_set_post_ops(*attr, po), "set post-ops");
    if (po) dnnl_post_ops_destroy(po);
    if (s && *attr) {
        dnnl_primitive_attr_destroy(*attr);
        *attr = NULL;
    }
    return s;
}

qa_status qa_op_binary_post(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src0, const qa_tensor *src1,
                            dnnl_alg_kind_t alg, dnnl_alg_kind_t post, float scale, int accumulate)
{
    qa_prim_key k;
    qa_key_init(&k, -2, (int)alg);
    qa_key_add_tensor(&k, dst);
    qa_key_add_tensor(&k, src0);
    qa_key_add_tensor(&k, src1);
    qa_key_add(&k, accumulate);
    qa_key_add(&k, (int)post);
    qa_key_add_f(&k, scale);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t a, b, c;
        qa_status s = qa_md_from_tensor(&a, src0);
        if (!s) s = qa_md_from_tensor(&b, src1);
        if (!s) s = qa_md_from_tensor(&c, dst);
        dnnl_binary_desc_t d;
        if (!s) s = qa_dnnl_check(dnnl_binary_desc_init(&d, alg, &a, &b, &c), "binary desc");
        dnnl_primitive_attr_t attr = NULL;
        if (!s) s = binary_post_attr(&attr, post, scale, accumulate);
        static const int args[] = {DNNL_ARG_SRC_0, DNNL_ARG_SRC_1, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, attr, args, 3);
        if (s) return qa_error_wrap(s, "elementwise binary op");
    }
    return qa_prim_run(ctx, p, (void *[]){src0->data, src1->data, dst->data});
}

qa_status qa_op_reduce_sum(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src)
{
    qa_prim_key k;
    qa_key_init(&k, -3, 0);
    qa_key_add_tensor(&k, dst);
    qa_key_add_tensor(&k, src);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t a, c;
        qa_status s = qa_md_from_tensor(&a, src);
        if (!s) s = qa_md_from_tensor(&c, dst);
        dnnl_reduction_desc_t d;
        if (!s) s = qa_dnnl_check(dnnl_reduction_desc_init(&d, dnnl_reduction_sum, &a, &c, 0.f, 0.f), "reduction desc");
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, NULL, args, 2);
        if (s) return qa_error_wrap(s, "sum reduction");
    }
    return qa_prim_run(ctx, p, (void *[]){src->data, dst->data});
}

qa_status qa_op_temp(qa_ctx *ctx, qa_tensor *out, qa_dtype dt, int ndim, const int64_t *shape)
{
    qa_status s = qa_tensor_alloc(out, &ctx->step, dt, ndim, shape, false);
    if (s) return qa_error_wrap(s, "allocating an op temporary");
    return QA_OK;
}

qa_status qa_op_contiguous(qa_ctx *ctx, qa_tensor *out, const qa_tensor *x)
{
    if (qa_tensor_is_contiguous(x)) {
        *out = *x;
        out->grad = NULL;
        out->requires_grad = false;
        return QA_OK;
    }
    qa_status s = qa_op_temp(ctx, out, x->dtype, x->ndim, x->shape);
    if (!s) s = qa_op_copy_into(ctx, out, x);
    return s;
}

qa_status qa_op_eltwise_fwd(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src, dnnl_alg_kind_t alg, float alpha,
                            float beta)
{
    qa_prim_key k;
    qa_key_init(&k, -4, (int)alg);
    qa_key_add_tensor(&k, src);
    qa_key_add_f(&k, alpha);
    qa_key_add_f(&k, beta);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t md;
        qa_status s = qa_md_from_tensor(&md, src);
        dnnl_eltwise_desc_t d;
        if (!s) s = qa_dnnl_check(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_training, alg, &md, alpha, beta),
                                  "eltwise desc");
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, NULL, args, 2);
        if (s) return qa_error_wrap(s, "elementwise function");
    }
    return qa_prim_run(ctx, p, (void *[]){src->data, dst->data});
}

qa_status qa_op_eltwise_bwd(qa_ctx *ctx, const qa_tensor *diff_src, const qa_tensor *diff_dst, const qa_tensor *src,
                            dnnl_alg_kind_t alg, float alpha, float beta)
{
    qa_prim_key k;
    qa_key_init(&k, -4, (int)alg + 0x100000);
    qa_key_add_tensor(&k, src);
    qa_key_add_tensor(&k, diff_dst);
    qa_key_add_f(&k, alpha);
    qa_key_add_f(&k, beta);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t md, dmd;
        qa_status s = qa_md_from_tensor(&md, src);
        if (!s) s = qa_md_from_tensor(&dmd, diff_dst);
        dnnl_eltwise_desc_t fd, bd;
        dnnl_primitive_desc_t hint = NULL;
        if (!s) s = qa_dnnl_check(dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, alg, &md, alpha, beta),
                                  "eltwise desc");
        if (!s) s = qa_pd_create(ctx, &hint, &fd, NULL);
        if (!s) s = qa_dnnl_check(dnnl_eltwise_backward_desc_init(&bd, alg, &dmd, &md, alpha, beta), "eltwise bwd desc");
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC};
        if (!s) s = qa_prim_create_hinted(ctx, &p, &k, &bd, NULL, args, 3, hint);
        if (hint) dnnl_primitive_desc_destroy(hint);
        if (s) return qa_error_wrap(s, "elementwise function backward");
    }
    return qa_prim_run(ctx, p, (void *[]){src->data, diff_dst->data, diff_src->data});
}

qa_status qa_op_colsum_acc(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src)
{
    int64_t R = src->shape[0];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor ones;
    qa_status s = qa_op_temp(ctx, &ones, src->dtype, 2, (int64_t[]){1, R});
    if (s) return s;
    if (ones.dtype == QA_F32)
        for (int64_t i = 0; i < R; i++) ((float *)ones.data)[i] = 1.f;
    else
        for (int64_t i = 0; i < R; i++) ((uint16_t *)ones.data)[i] = 0x3f80; /* bf16 1.0 */
    s = qa_mm_exec(ctx, dst, &ones, src, NULL, 1);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}
