/* core/ops/common: see common.h. */
#include "core/ops/common.h"

#include <string.h>

qa_status qa_op_output(qa_ctx *ctx, qa_tensor *y, qa_dtype dt, int ndim, const int64_t *shape, bool needs_grad)
{
    qa_status s = qa_tensor_alloc(y, &ctx->step, dt, ndim, shape, needs_grad);
    if (s) return qa_error_wrap(s, "allocating an op output");
    return QA_OK;
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
