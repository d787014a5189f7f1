/* core/ops/conv1d: 1-d convolution over time (the Whisper stem: 80->D k3 s1 p1, D->D k3 s2 p1),
 * forward and backward-data on oneDNN convolution, weight gradients as oneDNN matmuls over an
 * im2col copy, and its plain-C double reference.
 * See core/ops/conv1d.h for the op, core/ops/ref_nn.h for the reference. */
#include "core/ops/conv1d.h"

#include <string.h>

#include "core/ops/matmul.h"
#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"

enum { CONV_FWD = 0, CONV_BWD_DATA = 1 };

/* A cached convolution (forward or backward-data): the primitive and the weights layout oneDNN
 * chose for it. Data tensors are time-major (B, T, C) memory seen as (B, C, T) ("nwc"), the layout
 * the fast avx512 kernels take without reorders; the weights are described as "any" so oneDNN
 * picks its blocked layout, and they are reordered from the user's (Cout, Cin, K) at each call
 * (cheap next to the convolution itself). Weight gradients are GEMMs (conv_weight_grads). */
typedef struct {
    qa_prim *p;
    qa_prim_key key;
    const dnnl_memory_desc_t *wmd; /* chosen (diff_)weights layout */
} conv_entry;

/* One cached primitive per (variant, x, w, b, y, stride, pad). For the backward-data variant x is
 * the diff_src and y the diff_dst; b may be NULL. */
static qa_status conv_prim(qa_ctx *ctx, conv_entry *out, int variant, const qa_tensor *x, const qa_tensor *w,
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
    out->key = k;
    if ((out->p = qa_prim_find(ctx, &k))) {
        out->wmd = dnnl_primitive_desc_query_md(out->p->pd, dnnl_query_weights_md, 0);
        return QA_OK;
    }
    dnnl_memory_desc_t xmd, wmd, bmd, ymd;
    qa_status s = qa_md_from_tensor(&xmd, x);
    if (!s)
        s = qa_dnnl_check(dnnl_memory_desc_init_by_tag(&wmd, 3, (dnnl_dims_t){w->shape[0], w->shape[1], w->shape[2]},
                                                       qa_dnnl_dtype(w->dtype), dnnl_format_tag_any),
                          "conv weights desc");
    if (!s && b) s = qa_md_from_tensor(&bmd, b);
    if (!s) s = qa_md_from_tensor(&ymd, y);
    if (s) return s;
    dnnl_dims_t st = {stride}, pl = {pad}, pr = {pad};
    /* the right padding oneDNN needs so that its output length formula gives To exactly */
    pr[0] = (y->shape[2] - 1) * stride + w->shape[2] - x->shape[2] - pad;
    dnnl_convolution_desc_t d;
    qa_prim *p = NULL;
    if (variant == CONV_FWD) {
        s = qa_dnnl_check(dnnl_convolution_forward_desc_init(&d, dnnl_forward_training, dnnl_convolution_direct, &xmd,
                                                             &wmd, b ? &bmd : NULL, &ymd, st, pl, pr),
                          "convolution desc");
        static const int args_b[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
        static const int args_nb[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, NULL, b ? args_b : args_nb, b ? 4 : 3);
        if (s) return qa_error_wrap(s, "conv1d");
    } else { /* backward data; the hint is a forward primitive over the same descriptors */
        conv_entry fwd;
        if ((s = conv_prim(ctx, &fwd, CONV_FWD, x, w, NULL, y, stride, pad))) return s;
        s = qa_dnnl_check(
            dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &xmd, &wmd, &ymd, st, pl, pr),
            "convolution backward-data desc");
        static const int args[] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
        if (!s) s = qa_nn_prim_create_hint(ctx, &p, &k, &d, fwd.p->pd, args, 3);
        if (s) return qa_error_wrap(s, "conv1d backward data");
    }
    out->p = p;
    out->wmd = dnnl_primitive_desc_query_md(p->pd, dnnl_query_weights_md, 0);
    return QA_OK;
}

/* The weights in the conv's chosen layout: *ptr = user->data when the layouts agree, else a
 * reordered copy in the step arena. */
static qa_status conv_weights(qa_ctx *ctx, const conv_entry *c, const qa_tensor *user, void **ptr)
{
    dnnl_memory_desc_t umd;
    qa_status s = qa_md_from_tensor(&umd, user);
    if (s) return s;
    if (dnnl_memory_desc_equal(&umd, c->wmd)) {
        *ptr = user->data;
        return QA_OK;
    }
    if ((s = qa_arena_alloc(&ctx->step, ptr, dnnl_memory_desc_get_size(c->wmd)))) return s;
    qa_prim_key k = c->key;
    k.variant = 100 + c->key.variant;
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_primitive_attr_t attr = NULL;
        if ((s = qa_attr_new(&attr, 0.f))) return s;
        dnnl_primitive_desc_t pd = NULL;
        s = qa_dnnl_check(dnnl_reorder_primitive_desc_create(&pd, &umd, ctx->engine, c->wmd, ctx->engine, attr),
                          "conv1d weights reorder");
        dnnl_primitive_attr_destroy(attr);
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create_from_pd(ctx, &p, &k, pd, args, 2);
        if (s) return s;
    }
    return qa_prim_run(ctx, p, (void *[]){user->data, *ptr});
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

static bool is_time_major(const qa_tensor *x)
{
    int64_t B = x->shape[0], C = x->shape[1], T = x->shape[2];
    return (C == 1 || x->stride[1] == 1) && (T == 1 || x->stride[2] == C) && (B == 1 || x->stride[0] == T * C);
}

/* Tape entry: in = {x, w, b?}; aux[0] = x as time-major memory (x itself or a copy);
 * iarg[0] = stride, iarg[1] = pad. */
static qa_status conv1d_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b,
                             int stride, int pad)
{
    qa_status s = qa_tensor_check(x, "conv1d", "input x (B, Cin, T)", 3, 3, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(w, "conv1d", "weight (Cout, Cin, K)", 3, 3, QA_DT_FLOAT);
    if (!s && b) s = qa_tensor_check(b, "conv1d", "bias (Cout)", 1, 1, QA_DT_FLOAT);
    if (s) return s;
    if (w->shape[1] != x->shape[1]) return qa_op_shape_error("conv1d", "input channels differ:", x, w);
    if (b && b->shape[0] != w->shape[0]) return qa_op_shape_error("conv1d", "bias length differs from Cout:", b, w);
    if (w->dtype != x->dtype || (b && b->dtype != x->dtype))
        return qa_error(QA_ERR_DTYPE, "conv1d: input, weight and bias must share one dtype");
    if (stride < 1 || pad < 0)
        return qa_error(QA_ERR_ARG, "conv1d: stride %d must be >= 1 and padding %d >= 0", stride, pad);
    int64_t B = x->shape[0], Cin = x->shape[1], T = x->shape[2], Cout = w->shape[0], K = w->shape[2];
    if (T + 2 * pad < K)
        return qa_error(QA_ERR_SHAPE,
                        "conv1d: %lld frames with padding %d are fewer than the kernel (%lld): the input "
                        "is too short",
                        (long long)T, pad, (long long)K);
    int64_t To = qa_ref_conv1d_out_len(T, K, stride, pad);
    bool grad = qa_needs_grad(ctx, x, w, b), record = grad && qa_grad_enabled(ctx);
    if ((s = time_major(ctx, y, x->dtype, B, Cout, To, grad))) return s;
    qa_tensor xt = *x;
    if (!is_time_major(x)) { /* e.g. a channels-first mel: one reorder into time-major memory */
        if ((s = time_major(ctx, &xt, x->dtype, B, Cin, T, false)) || (s = qa_op_copy_into(ctx, &xt, x))) return s;
    }
    size_t mark = qa_arena_mark(&ctx->step);
    conv_entry c;
    void *wp = NULL;
    if ((s = conv_prim(ctx, &c, CONV_FWD, &xt, w, b, y, stride, pad)) || (s = conv_weights(ctx, &c, w, &wp)))
        return s;
    if (b)
        s = qa_prim_run(ctx, c.p, (void *[]){xt.data, wp, b->data, y->data});
    else
        s = qa_prim_run(ctx, c.p, (void *[]){xt.data, wp, y->data});
    qa_arena_rewind(&ctx->step, mark);
    if (s || !record) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_conv1d, y))) return s;
    if (e) {
        e->nin = b ? 3 : 2;
        e->in[0] = *x;
        e->in[1] = *w;
        if (b) e->in[2] = *b;
        e->aux[0] = xt;
        e->iarg[0] = stride;
        e->iarg[1] = pad;
    }
    return QA_OK;
}

qa_status qa_conv1d(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b, int stride,
                    int pad)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "conv1d");
    if (!s) s = conv1d_impl(ctx, &out, x, w, b, stride, pad);
    return qa_op_dst_store(y, &out, s);
}

/* Weight and bias gradients as two GEMMs over an im2col copy of the time-major input:
 *   dW' (Cout, K*Cin) = dY^T (Cout, B*To) . X (B*To, K*Cin),  X[(b,t), kk*Cin + c] = x[b, c, t*s - p + kk]
 *   db (1, Cout) = ones (1, B*To) . dY (B*To, Cout)
 * then added into the (Cout, Cin, K) gradient through a permuted view. oneDNN 2.6's convolution
 * weight-gradient kernel took about 3x the time of the forward for the stride-2 conv2 of the
 * Whisper stem (bench/bench_engine --stem); the GEMM runs on brgemm at bare-matmul speed. The copy
 * is B*To*K*Cin values (Whisper-large conv2: 23 MB, released at once). */
static qa_status conv_weight_grads(qa_ctx *ctx, const qa_tensor *xt, const qa_tensor *gy, const qa_tensor *w,
                                   bool want_w, const qa_tensor *b, int stride, int pad)
{
    int64_t B = xt->shape[0], Cin = xt->shape[1], T = xt->shape[2], Cout = w->shape[0], K = w->shape[2];
    int64_t To = gy->shape[2], R = B * To;
    size_t es = qa_dtype_size(xt->dtype);
    qa_tensor X, gy2, gyt, dw;
    qa_status s = qa_nn_temp(ctx, &X, xt->dtype, 2, (int64_t[]){R, K * Cin});
    if (s) return s;
    for (int64_t bb = 0; bb < B; bb++)
        for (int64_t t = 0; t < To; t++)
            for (int64_t kk = 0; kk < K; kk++) {
                char *dst = (char *)X.data + (size_t)(((bb * To + t) * K + kk) * Cin) * es;
                int64_t ti = t * stride - pad + kk;
                if (ti < 0 || ti >= T)
                    memset(dst, 0, (size_t)Cin * es);
                else
                    memcpy(dst, (const char *)xt->data + (size_t)(bb * xt->stride[0] + ti * xt->stride[2]) * es,
                           (size_t)Cin * es);
            }
    /* dY: (B, Cout, To) view of time-major memory = a dense (B*To, Cout) matrix */
    if ((s = qa_tensor_init(&gy2, gy->dtype, 2, (int64_t[]){R, Cout}, gy->data))) return s;
    qa_tensor_view_transpose(&gyt, &gy2, 0, 1);
    if (want_w) {
        qa_tensor dwv;
        s = qa_nn_temp(ctx, &dw, QA_F32, 2, (int64_t[]){Cout, K * Cin});
        if (!s) s = qa_mm_exec(ctx, &dw, &gyt, &X, NULL, 0);
        if (s) return s;
        /* dw[o, kk*Cin + c] is the gradient of w[o, c, kk] */
        dwv = dw;
        dwv.ndim = 3;
        dwv.shape[0] = Cout, dwv.shape[1] = Cin, dwv.shape[2] = K;
        dwv.stride[0] = K * Cin, dwv.stride[1] = 1, dwv.stride[2] = Cin;
        qa_tensor gw = qa_grad_view(w);
        if ((s = qa_op_accumulate(ctx, &gw, &dwv, 1.f))) return s;
    }
    if (b) {
        qa_tensor ones, db, dbv, gb = qa_grad_view(b);
        s = qa_nn_temp(ctx, &ones, gy->dtype, 2, (int64_t[]){1, R});
        for (int64_t i = 0; !s && i < R; i++) qa_tensor_set(&ones, i, 1.0, false);
        if (!s) s = qa_nn_temp(ctx, &db, QA_F32, 2, (int64_t[]){1, Cout});
        if (!s) s = qa_mm_exec(ctx, &db, &ones, &gy2, NULL, 0);
        if (!s) s = qa_tensor_init(&dbv, QA_F32, 1, (int64_t[]){Cout}, db.data);
        if (!s) s = qa_op_accumulate(ctx, &gb, &dbv, 1.f);
    }
    return s;
}

qa_status qa_conv1d_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0], *w = &e->in[1], *b = e->nin > 2 ? &e->in[2] : NULL, *xt = &e->aux[0];
    int stride = (int)e->iarg[0], pad = (int)e->iarg[1];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor gy = qa_grad_view(&e->out);
    qa_status s = QA_OK;
    conv_entry c;
    if (qa_wants_grad(x)) {
        qa_tensor dx, gx = qa_grad_view(x);
        void *wp = NULL;
        s = time_major(ctx, &dx, x->dtype, x->shape[0], x->shape[1], x->shape[2], false);
        if (!s) s = conv_prim(ctx, &c, CONV_BWD_DATA, &dx, w, NULL, &gy, stride, pad);
        if (!s) s = conv_weights(ctx, &c, w, &wp);
        if (!s) s = qa_prim_run(ctx, c.p, (void *[]){gy.data, wp, dx.data});
        if (!s) s = qa_op_accumulate(ctx, &gx, &dx, 1.f);
    }
    bool want_w = qa_wants_grad(w), want_b = b && qa_wants_grad(b);
    if (!s && (want_w || want_b)) s = conv_weight_grads(ctx, xt, &gy, w, want_w, want_b ? b : NULL, stride, pad);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

int64_t qa_ref_conv1d_out_len(int64_t T, int64_t K, int64_t stride, int64_t pad)
{
    return (T + 2 * pad - K) / stride + 1;
}

void qa_ref_conv1d_fwd(double *y, const double *x, const double *w, const double *b, int64_t B, int64_t Cin,
                       int64_t Cout, int64_t T, int64_t K, int64_t stride, int64_t pad)
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

void qa_ref_conv1d_bwd(double *dx, double *dw, double *db, const double *dy, const double *x, const double *w,
                       int64_t B, int64_t Cin, int64_t Cout, int64_t T, int64_t K, int64_t stride, int64_t pad)
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
