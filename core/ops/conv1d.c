/* core/ops/conv1d: 1-d convolution over time (the Whisper stem: 80->D k3 s1 p1, D->D k3 s2 p1),
 * forward, backward-data and backward-weights on oneDNN, and its plain-C double reference.
 * See core/ops/conv1d.h for the op, core/ops/ref_nn.h for the reference. */
#include "core/ops/conv1d.h"

#include <string.h>

#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"

enum { CONV_FWD = 0, CONV_BWD_DATA = 1, CONV_BWD_W = 2 };

/* One cached primitive per (variant, x, w, b, y, stride, pad). For the backward variants x is
 * the diff_src (or src), w the (diff_)weights and y the diff_dst; b may be NULL. */
static qa_status conv_prim(qa_ctx *ctx, qa_prim **out, int variant, const qa_tensor *x, const qa_tensor *w,
                           const qa_tensor *b, const qa_tensor *y, int stride, int pad)
{
    qa_prim_key k;
    qa_key_init(&k, QA_OP_conv1d, variant);
    qa_key_add_tensor(&k, x);
    qa_key_add_tensor(&k, w);
    qa_key_add(&k, b != NULL);
    if (b) qa_key_add_tensor(&k, b);
    qa_key_add_tensor(&k, y);
    qa_key_add(&k, stride);
    qa_key_add(&k, pad);
    if ((*out = qa_prim_find(ctx, &k))) return QA_OK;
    dnnl_memory_desc_t xmd, wmd, bmd, ymd;
    qa_status s = qa_md_from_tensor(&xmd, x);
    if (!s) s = qa_md_from_tensor(&wmd, w);
    if (!s && b) s = qa_md_from_tensor(&bmd, b);
    if (!s) s = qa_md_from_tensor(&ymd, y);
    if (s) return s;
    dnnl_dims_t st = {stride}, pl = {pad}, pr = {pad};
    /* the right padding oneDNN needs so that its output length formula gives To exactly */
    pr[0] = (y->shape[2] - 1) * stride + w->shape[2] - x->shape[2] - pad;
    dnnl_convolution_desc_t d;
    if (variant == CONV_FWD) {
        s = qa_dnnl_check(dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &xmd,
                                                             &wmd, b ? &bmd : NULL, &ymd, st, pl, pr),
                          "convolution desc");
        static const int args_b[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
        static const int args_nb[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, out, &k, &d, NULL, b ? args_b : args_nb, b ? 4 : 3);
        return s ? qa_error_wrap(s, "conv1d") : s;
    }
    /* backward: the hint is a forward primitive over the same descriptors (in the forward's
     * dtypes: bf16 data with f32 weight gradients still hints with bf16 weights) */
    qa_tensor wf = *w, bf;
    wf.dtype = x->dtype;
    if (b) {
        bf = *b;
        bf.dtype = x->dtype;
    }
    qa_prim *fwd;
    if ((s = conv_prim(ctx, &fwd, CONV_FWD, x, &wf, b ? &bf : NULL, y, stride, pad))) return s;
    if (variant == CONV_BWD_DATA) {
        s = qa_dnnl_check(dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &xmd, &wmd, &ymd, st, pl, pr),
                          "convolution backward-data desc");
        static const int args[] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
        if (!s) s = qa_nn_prim_create_hint(ctx, out, &k, &d, fwd->pd, args, 3);
        return s ? qa_error_wrap(s, "conv1d backward data") : s;
    }
    s = qa_dnnl_check(dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &xmd, &wmd,
                                                                  b ? &bmd : NULL, &ymd, st, pl, pr),
                      "convolution backward-weights desc");
    static const int args_b[] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS};
    if (!s) s = qa_nn_prim_create_hint(ctx, out, &k, &d, fwd->pd, args_b, b ? 4 : 3);
    return s ? qa_error_wrap(s, "conv1d backward weights") : s;
}

/* A (B, C, T) view over fresh time-major memory (B, T, C) in the step arena. */
static qa_status time_major(qa_ctx *ctx, qa_tensor *v, qa_dtype dt, int64_t B, int64_t C, int64_t T, bool grad)
{
    qa_tensor m;
    qa_status s = grad ? qa_op_output(ctx, &m, dt, 3, (int64_t[]){B, T, C}, true)
                       : qa_nn_temp(ctx, &m, dt, 3, (int64_t[]){B, T, C});
    if (!s) s = qa_tensor_view_transpose(v, &m, 1, 2);
    return s;
}

/* Tape entry: in = {x, w, b?}; iarg[0] = stride, iarg[1] = pad. */
qa_status qa_conv1d(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b, int stride,
                    int pad)
{
    qa_status s = qa_tensor_check(x, "conv1d", "input x (B, Cin, T)", 3, 3, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(w, "conv1d", "weight (Cout, Cin, K)", 3, 3, QA_DT_FLOAT);
    if (!s && b) s = qa_tensor_check(b, "conv1d", "bias (Cout)", 1, 1, QA_DT_FLOAT);
    if (s) return s;
    if (w->shape[1] != x->shape[1]) return qa_op_shape_error("conv1d", "input channels differ:", x, w);
    if (b && b->shape[0] != w->shape[0]) return qa_op_shape_error("conv1d", "bias length differs from Cout:", b, w);
    if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
        return qa_error(QA_ERR_DTYPE, "conv1d: input, weight and bias must share one dtype");
    if (stride < 1 || pad < 0) return qa_error(QA_ERR_ARG, "conv1d: stride %d must be >= 1 and padding %d >= 0", stride, pad);
    int64_t B = x->shape[0], T = x->shape[2], Cout = w->shape[0], K = w->shape[2];
    if (T + 2 * pad < K)
        return qa_error(QA_ERR_SHAPE, "conv1d: %lld frames with padding %d are fewer than the kernel (%lld): the input "
                                      "is too short", (long long)T, pad, (long long)K);
    int64_t To = qa_ref_conv1d_out_len(T, K, stride, pad);
    bool grad = qa_needs_grad(ctx, x, w, b);
    if ((s = time_major(ctx, y, x->dtype, B, Cout, To, grad))) return s;
    qa_prim *p;
    if ((s = conv_prim(ctx, &p, CONV_FWD, x, w, b, y, stride, pad))) return s;
    if (b) s = qa_prim_run(ctx, p, (void *[]){x->data, w->data, b->data, y->data});
    else s = qa_prim_run(ctx, p, (void *[]){x->data, w->data, y->data});
    if (s) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_conv1d, y))) return s;
    if (e) {
        e->nin = b ? 3 : 2;
        e->in[0] = *x;
        e->in[1] = *w;
        if (b) e->in[2] = *b;
        e->iarg[0] = stride;
        e->iarg[1] = pad;
    }
    return QA_OK;
}

qa_status qa_conv1d_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0], *w = &e->in[1], *b = e->nin > 2 ? &e->in[2] : NULL;
    int stride = (int)e->iarg[0], pad = (int)e->iarg[1];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor gy = qa_grad_view(&e->out);
    qa_status s = QA_OK;
    qa_prim *p;
    if (qa_wants_grad(x)) {
        qa_tensor dx, gx = qa_grad_view(x);
        s = time_major(ctx, &dx, x->dtype, x->shape[0], x->shape[1], x->shape[2], false);
        if (!s) s = conv_prim(ctx, &p, CONV_BWD_DATA, &dx, w, NULL, &gy, stride, pad);
        if (!s) s = qa_prim_run(ctx, p, (void *[]){gy.data, w->data, dx.data});
        if (!s) s = qa_op_accumulate(ctx, &gx, &dx, 1.f);
    }
    bool want_w = qa_wants_grad(w), want_b = b && qa_wants_grad(b);
    if (!s && (want_w || want_b)) {
        qa_tensor dw, db;
        s = qa_nn_temp(ctx, &dw, QA_F32, 3, w->shape);
        if (!s && b) s = qa_nn_temp(ctx, &db, QA_F32, 1, b->shape);
        if (!s) s = conv_prim(ctx, &p, CONV_BWD_W, x, &dw, b ? &db : NULL, &gy, stride, pad);
        if (!s) s = qa_prim_run(ctx, p, (void *[]){x->data, gy.data, dw.data, b ? db.data : NULL});
        if (!s && want_w) {
            qa_tensor gw = qa_grad_view(w);
            s = qa_op_accumulate(ctx, &gw, &dw, 1.f);
        }
        if (!s && want_b) {
            qa_tensor gb = qa_grad_view(b);
            s = qa_op_accumulate(ctx, &gb, &db, 1.f);
        }
    }
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

int64_t qa_ref_conv1d_out_len(int64_t T, int64_t K, int64_t stride, int64_t pad)
{
    return (T + 2 * pad - K) / stride + 1;
}

void qa_ref_conv1d_fwd(double *y, const double *x, const double *w, const double *b, int64_t B,
                       int64_t Cin, int64_t Cout, int64_t T, int64_t K, int64_t stride, int64_t pad)
{
    int64_t To = qa_ref_conv1d_out_len(T, K, stride, pad);
    for (int64_t n = 0; n < B; n++)
        for (int64_t o = 0; o < Cout; o++)
            for (int64_t t = 0; t < To; t++) {
                double acc = b ? b[o] : 0.0;
                for (int64_t c = 0; c < Cin; c++)
                    for (int64_t kk = 0; kk < K; kk++) {
                        int64_t ti = t * stride - pad + kk;
                        if (ti < 0 || ti >= T) continue;
                        acc += w[(o * Cin + c) * K + kk] * x[(n * Cin + c) * T + ti];
                    }
                y[(n * Cout + o) * To + t] = acc;
            }
}

void qa_ref_conv1d_bwd(double *dx, double *dw, double *db, const double *dy, const double *x,
                       const double *w, int64_t B, int64_t Cin, int64_t Cout, int64_t T, int64_t K,
                       int64_t stride, int64_t pad)
{
    int64_t To = qa_ref_conv1d_out_len(T, K, stride, pad);
    for (int64_t n = 0; n < B; n++)
        for (int64_t o = 0; o < Cout; o++)
            for (int64_t t = 0; t < To; t++) {
                double g = dy[(n * Cout + o) * To + t];
                if (db) db[o] += g;
                for (int64_t c = 0; c < Cin; c++)
                    for (int64_t kk = 0; kk < K; kk++) {
                        int64_t ti = t * stride - pad + kk;
                        if (ti < 0 || ti >= T) continue;
                        if (dw) dw[(o * Cin + c) * K + kk] += g * x[(n * Cin + c) * T + ti];
                        if (dx) dx[(n * Cin + c) * T + ti] += g * w[(o * Cin + c) * K + kk];
                    }
            }
}
