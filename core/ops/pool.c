/* core/ops/pool: average pooling over time (kernel 2, stride 2, floor) on oneDNN pooling, forward
 * and backward, and its double reference. See core/ops/pool.h for the op, core/ops/ref_nn.h for
 * the reference. */
#include "core/ops/pool.h"

#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"

enum { POOL_FWD = 0, POOL_BWD = 1 };

/* oneDNN sees (B, T, D) as the 1-d spatial tensor (B, C = D, W = T) through strides. */
static qa_status pool_md(dnnl_memory_desc_t *md, const qa_tensor *t)
{
    qa_tensor v;
    qa_tensor_view_transpose(&v, t, 1, 2);
    return qa_md_from_tensor(md, &v);
}

static qa_status pool_prim(qa_ctx *ctx, qa_prim **out, int variant, const qa_tensor *x, const qa_tensor *y)
{
    qa_prim_key k;
    qa_key_init(&k, QA_OP_avg_pool, variant);
    qa_key_add_tensor(&k, x);
    qa_key_add_tensor(&k, y);
    if ((*out = qa_prim_find(ctx, &k))) return QA_OK;
    dnnl_memory_desc_t xmd, ymd;
    qa_status s = pool_md(&xmd, x);
    if (!s) s = pool_md(&ymd, y);
    if (s) return s;
    dnnl_dims_t strides = {2}, kernel = {2}, dil = {0}, pad = {0};
    dnnl_pooling_v2_desc_t d;
    if (variant == POOL_FWD) {
        s = qa_dnnl_check(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_training, dnnl_pooling_avg_exclude_padding,
                                                            &xmd, &ymd, strides, kernel, dil, pad, pad),
                          "pooling desc");
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, out, &k, &d, NULL, args, 2);
        return s ? qa_error_wrap(s, "avg_pool") : s;
    }
    /* backward: x is the dense diff_src temporary, y the output gradient; the hint is a forward
     * primitive of the same descs */
    qa_prim *fwd;
    if ((s = pool_prim(ctx, &fwd, POOL_FWD, x, y))) return s;
    s = qa_dnnl_check(dnnl_pooling_v2_backward_desc_init(&d, dnnl_pooling_avg_exclude_padding, &xmd, &ymd, strides,
                                                         kernel, dil, pad, pad),
                      "pooling backward desc");
    static const int args[] = {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC};
    if (!s) s = qa_nn_prim_create_hint(ctx, out, &k, &d, fwd->pd, args, 2);
    return s ? qa_error_wrap(s, "avg_pool backward") : s;
}

/* Tape entry: in = {x}. */
static qa_status avg_pool_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    qa_status s = qa_tensor_check(x, "avg_pool", "x", 3, 3, QA_DT_FLOAT);
    if (s) return s;
    char d[96];
    if (x->shape[1] < 2)
        return qa_error(QA_ERR_SHAPE, "avg_pool: %s has fewer than 2 frames (B, T, D): the audio is too short to pool",
                        qa_tensor_describe(x, d, sizeof d));
    bool grad = qa_needs_grad(ctx, x, NULL, NULL);
    if ((s = qa_op_output(ctx, y, x->dtype, 3, (int64_t[]){x->shape[0], x->shape[1] / 2, x->shape[2]}, grad))) return s;
    qa_prim *p;
    if ((s = pool_prim(ctx, &p, POOL_FWD, x, y)) || (s = qa_prim_run(ctx, p, (void *[]){x->data, y->data}))) return s;
    return qa_tape_record_unary(ctx, NULL, QA_OP_avg_pool, y, x);
}

qa_status qa_avg_pool(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "avg_pool");
    if (!s) s = avg_pool_impl(ctx, &out, x);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_avg_pool_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0];
    if (!qa_wants_grad(x)) return QA_OK;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor dx, gy = qa_grad_view(&e->out), gx = qa_grad_view(x);
    qa_prim *p = NULL;
    qa_status s = qa_nn_temp(ctx, &dx, x->dtype, 3, x->shape);
    if (!s) s = pool_prim(ctx, &p, POOL_BWD, &dx, &gy);
    if (!s) s = qa_prim_run(ctx, p, (void *[]){gy.data, dx.data});
    if (!s) s = qa_op_accumulate(ctx, &gx, &dx, 1.f);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

void qa_ref_avgpool_time_fwd(double *y, const double *x, int64_t B, int64_t T, int64_t D)
{
    int64_t To = T / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < To; t++)
            for (int64_t d = 0; d < D; d++)
                y[(b * To + t) * D + d] = 0.5 * (x[(b * T + 2 * t) * D + d] + x[(b * T + 2 * t + 1) * D + d]);
}

void qa_ref_avgpool_time_bwd(double *dx, const double *dy, int64_t B, int64_t T, int64_t D)
{
    int64_t To = T / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < To; t++)
            for (int64_t d = 0; d < D; d++) {
                double g = 0.5 * dy[(b * To + t) * D + d];
                dx[(b * T + 2 * t) * D + d] += g;
                dx[(b * T + 2 * t + 1) * D + d] += g;
            }
}
