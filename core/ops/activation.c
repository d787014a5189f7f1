/* core/ops/activation: GELU (erf) and SiLU; see activation.h. */
#include "core/ops/activation.h"

#include <math.h>
#include <string.h>

#include "core/ops/common.h"

static qa_status act_forward_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int op, dnnl_alg_kind_t alg,
                                 float alpha)
{
    const char *name = qa_op_table[op].name;
    qa_status s = qa_tensor_check(x, name, "x", 1, 4, QA_DT_FLOAT);
    if (s) return s;
    qa_tensor xc;
    if ((s = qa_op_output(ctx, y, x->dtype, x->ndim, x->shape, qa_needs_grad(ctx, x, NULL, NULL)))) return s;
    if ((s = qa_op_contiguous(ctx, &xc, x))) return s;
    if ((s = qa_op_eltwise_fwd(ctx, y, &xc, alg, alpha, 0.f))) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record_unary(ctx, &e, op, y, x))) return s;
    if (e) {
        e->aux[0] = xc;
        e->iarg[0] = alg;
        e->farg[0] = alpha;
    }
    return QA_OK;
}

/* the output is built aside and stored last, so y may alias x (h = gelu(h)) */
static qa_status act_forward(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int op, dnnl_alg_kind_t alg, float alpha)
{
    qa_tensor out;
    qa_status s = qa_op_dst_begin(&out, y, qa_op_table[op].name);
    if (!s) s = act_forward_impl(ctx, &out, x, op, alg, alpha);
    return qa_op_dst_store(y, &out, s);
}

static qa_status act_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    if (!qa_wants_grad(&e->in[0])) return QA_OK;
    const qa_tensor *xc = &e->aux[0];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor t, gy = qa_grad_view(&e->out), gx = qa_grad_view(&e->in[0]);
    qa_status s = qa_op_temp(ctx, &t, xc->dtype, xc->ndim, xc->shape);
    if (!s) s = qa_op_eltwise_bwd(ctx, &t, &gy, xc, (dnnl_alg_kind_t)e->iarg[0], (float)e->farg[0], 0.f);
    if (!s) s = qa_op_accumulate(ctx, &gx, &t, 1.f);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

qa_status qa_gelu(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    return act_forward(ctx, y, x, QA_OP_gelu, dnnl_eltwise_gelu_erf, 0.f);
}
qa_status qa_gelu_backward(qa_ctx *ctx, const qa_tape_entry *e) { return act_backward(ctx, e); }

qa_status qa_silu(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    return act_forward(ctx, y, x, QA_OP_silu, dnnl_eltwise_swish, 1.f);
}
qa_status qa_silu_backward(qa_ctx *ctx, const qa_tape_entry *e) { return act_backward(ctx, e); }

/* ---- double references ---- */

void qa_ref_gelu(double *y, const double *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0)));
}

void qa_ref_gelu_backward(double *dx, const double *dy, const double *x, int64_t n)
{
    const double inv_sqrt_2pi = 0.39894228040143267794;
    for (int64_t i = 0; i < n; i++) {
        double cdf = 0.5 * (1.0 + erf(x[i] / sqrt(2.0)));
        double pdf = inv_sqrt_2pi * exp(-0.5 * x[i] * x[i]);
        dx[i] += dy[i] * (cdf + x[i] * pdf);
    }
}

void qa_ref_silu(double *y, const double *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0 + exp(-x[i]));
}

void qa_ref_silu_backward(double *dx, const double *dy, const double *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double sg = 1.0 / (1.0 + exp(-x[i]));
        dx[i] += dy[i] * (sg + x[i] * sg * (1.0 - sg));
    }
}
