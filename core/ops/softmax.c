/* core/ops/softmax: softmax over the last axis on oneDNN (softmax v2: separate src and dst
 * descriptors, so dtypes may differ), forward and backward, and its double reference.
 * See core/ops/softmax.h for the op, core/ops/ref_nn.h for the reference. */
#include "core/ops/softmax.h"

#include <math.h>

#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"

enum { SM_FWD = 0, SM_BWD = 1 };

static qa_status sm_key_md(qa_prim_key *k, dnnl_memory_desc_t *md, const qa_tensor *t)
{
    qa_key_add_tensor(k, t);
    return qa_md_from_tensor(md, t);
}

qa_status qa_softmax_exec(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src)
{
    if (!qa_tensor_same_shape(dst, src)) return qa_op_shape_error("softmax", "shapes differ:", dst, src);
    qa_prim_key k;
    qa_key_init(&k, QA_OP_softmax, SM_FWD);
    dnnl_memory_desc_t smd, dmd;
    qa_status s = sm_key_md(&k, &smd, src);
    if (!s) s = sm_key_md(&k, &dmd, dst);
    if (s) return s;
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_softmax_v2_desc_t d;
        s = qa_dnnl_check(dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_training, dnnl_softmax_accurate, &smd,
                                                            &dmd, src->ndim - 1),
                          "softmax desc");
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, NULL, args, 2);
        if (s) return qa_error_wrap(s, "softmax");
    }
    return qa_prim_run(ctx, p, (void *[]){src->data, dst->data});
}

qa_status qa_softmax_bwd_exec(qa_ctx *ctx, const qa_tensor *diff_src, const qa_tensor *diff_dst, const qa_tensor *y)
{
    if (!qa_tensor_same_shape(diff_src, y) || !qa_tensor_same_shape(diff_dst, y))
        return qa_op_shape_error("softmax backward", "shapes differ:", diff_dst, y);
    qa_prim_key k;
    qa_key_init(&k, QA_OP_softmax, SM_BWD);
    dnnl_memory_desc_t dsmd, ddmd, ymd;
    qa_status s = sm_key_md(&k, &dsmd, diff_src);
    if (!s) s = sm_key_md(&k, &ddmd, diff_dst);
    if (!s) s = sm_key_md(&k, &ymd, y);
    if (s) return s;
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        /* the forward hint: same shape, src and dst as y */
        qa_prim_key fk;
        qa_key_init(&fk, QA_OP_softmax, SM_FWD + 100);
        qa_key_add_tensor(&fk, y);
        qa_prim *fwd = qa_prim_find(ctx, &fk);
        dnnl_softmax_v2_desc_t fd, d;
        if (!fwd) {
            s = qa_dnnl_check(dnnl_softmax_v2_forward_desc_init(&fd, dnnl_forward_training, dnnl_softmax_accurate, &ymd,
                                                                &ymd, y->ndim - 1),
                              "softmax desc");
            static const int fargs[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
            if (!s) s = qa_prim_create(ctx, &fwd, &fk, &fd, NULL, fargs, 2);
            if (s) return qa_error_wrap(s, "softmax backward hint");
        }
        s = qa_dnnl_check(
            dnnl_softmax_v2_backward_desc_init(&d, dnnl_softmax_accurate, &dsmd, &ddmd, &ymd, y->ndim - 1),
            "softmax backward desc");
        static const int args[] = {DNNL_ARG_DST, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC};
        if (!s) s = qa_nn_prim_create_hint(ctx, &p, &k, &d, fwd->pd, args, 3);
        if (s) return qa_error_wrap(s, "softmax backward");
    }
    return qa_prim_run(ctx, p, (void *[]){y->data, diff_dst->data, diff_src->data});
}

/* Tape entry: in = {x}; out = y (its data is what the backward needs). */
static qa_status softmax_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    qa_status s = qa_tensor_check(x, "softmax", "input x", 1, 4, QA_DT_FLOAT);
    if (s) return s;
    if ((s = qa_op_output(ctx, y, x->dtype, x->ndim, x->shape, qa_needs_grad(ctx, x, NULL, NULL)))) return s;
    if ((s = qa_softmax_exec(ctx, y, x))) return s;
    return qa_tape_record_unary(ctx, NULL, QA_OP_softmax, y, x);
}

qa_status qa_softmax(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "softmax");
    if (!s) s = softmax_impl(ctx, &out, x);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_softmax_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0];
    if (!qa_wants_grad(x)) return QA_OK;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor dx, gy = qa_grad_view(&e->out), gx = qa_grad_view(x);
    qa_status s = qa_nn_temp(ctx, &dx, x->dtype, x->ndim, x->shape);
    if (!s) s = qa_softmax_bwd_exec(ctx, &dx, &gy, &e->out);
    if (!s) s = qa_op_accumulate(ctx, &gx, &dx, 1.f);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

void qa_ref_softmax_fwd(double *y, const double *x, int64_t N, int64_t D)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D;
        double mx = -INFINITY, sum = 0;
        for (int64_t i = 0; i < D; i++)
            if (xr[i] > mx) mx = xr[i];
        if (mx == -INFINITY) {
            for (int64_t i = 0; i < D; i++)
                y[n * D + i] = 0;
            continue;
        }
        for (int64_t i = 0; i < D; i++)
            sum += (y[n * D + i] = exp(xr[i] - mx));
        for (int64_t i = 0; i < D; i++)
            y[n * D + i] /= sum;
    }
}

void qa_ref_softmax_bwd(double *dx, const double *dy, const double *y, int64_t N, int64_t D)
{
    for (int64_t n = 0; n < N; n++) {
        double dot = 0;
        for (int64_t i = 0; i < D; i++)
            dot += dy[n * D + i] * y[n * D + i];
        for (int64_t i = 0; i < D; i++)
            dx[n * D + i] += y[n * D + i] * (dy[n * D + i] - dot);
    }
}
