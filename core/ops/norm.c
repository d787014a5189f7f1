/* core/ops/norm: layer norm (weight and bias, oneDNN layer_normalization) and RMS norm (weight
 * only, hand-written: oneDNN 2.6 has none), forward and backward, and their double references.
 * See core/ops/norm.h for the ops, core/ops/ref_nn.h for the references. */
#include "core/ops/norm.h"

#include <math.h>
#include <string.h>

#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"

static qa_status norm_check(const qa_tensor *x, const qa_tensor *w, const qa_tensor *b, const char *op)
{
    qa_status s = qa_tensor_check(x, op, "input x", 1, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(w, op, "weight", 1, 1, QA_DT_FLOAT);
    if (!s && b) s = qa_tensor_check(b, op, "bias", 1, 1, QA_DT_FLOAT);
    if (s) return s;
    int64_t D = x->shape[x->ndim - 1];
    if (w->shape[0] != D) return qa_op_shape_error(op, "weight length differs from the last dim of x:", w, x);
    if (b && b->shape[0] != D) return qa_op_shape_error(op, "bias length differs from the last dim of x:", b, x);
    if (D < 1) return qa_error(QA_ERR_SHAPE, "%s: empty last dim", op);
    return QA_OK;
}

/* ---- layer norm (oneDNN) ----
 * Tape entry: in = {x, w, b}; aux[0] = x as (N, D) dense rows (a copy when x was a strided view);
 * saved[0], saved[1] = mean, variance (f32, N); farg[0] = eps. */

enum { LN_FWD_TRAIN = 0, LN_FWD_INFER = 1, LN_BWD = 2 };

static qa_status ln_prim(qa_ctx *ctx, qa_prim **out, int variant, qa_dtype dt, int64_t N, int64_t D, float eps)
{
    qa_prim_key k;
    qa_key_init(&k, QA_OP_layer_norm, variant);
    qa_key_add(&k, dt);
    qa_key_add(&k, N);
    qa_key_add(&k, D);
    qa_key_add_f(&k, eps);
    if ((*out = qa_prim_find(ctx, &k))) return QA_OK;
    dnnl_memory_desc_t dmd, smd;
    qa_status s = qa_dnnl_check(dnnl_memory_desc_init_by_tag(&dmd, 2, (dnnl_dims_t){N, D}, qa_dnnl_dtype(dt), dnnl_ab),
                                "layer norm data desc");
    if (!s) s = qa_dnnl_check(dnnl_memory_desc_init_by_tag(&smd, 1, (dnnl_dims_t){N}, dnnl_f32, dnnl_a), "stats desc");
    if (s) return s;
    unsigned flags = dnnl_use_scale | dnnl_use_shift;
    dnnl_layer_normalization_desc_t d;
    if (variant == LN_BWD) {
        qa_prim *fwd;
        if ((s = ln_prim(ctx, &fwd, LN_FWD_TRAIN, dt, N, D, eps))) return s;
        s = qa_dnnl_check(dnnl_layer_normalization_backward_desc_init(&d, dnnl_backward, &dmd, &dmd, &smd, eps, flags),
                          "layer norm backward desc");
        /* oneDNN 2.6 refuses to execute the backward without the SHIFT argument, unused as it is */
        static const int args[] = {DNNL_ARG_SRC,      DNNL_ARG_MEAN,       DNNL_ARG_VARIANCE,
                                   DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,      DNNL_ARG_SHIFT,
                                   DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT};
        if (!s) s = qa_nn_prim_create_hint(ctx, out, &k, &d, fwd->pd, args, 9);
        return s ? qa_error_wrap(s, "layer norm backward (%lld x %lld %s)", (long long)N, (long long)D,
                                 qa_dtype_name(dt))
                 : s;
    }
    dnnl_prop_kind_t prop = variant == LN_FWD_TRAIN ? dnnl_forward_training : dnnl_forward_inference;
    s = qa_dnnl_check(dnnl_layer_normalization_forward_desc_init(&d, prop, &dmd, &smd, eps, flags), "layer norm desc");
    static const int args_t[] = {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT,
                                 DNNL_ARG_DST, DNNL_ARG_MEAN,  DNNL_ARG_VARIANCE};
    if (!s) s = qa_prim_create(ctx, out, &k, &d, NULL, args_t, variant == LN_FWD_TRAIN ? 6 : 4);
    return s ? qa_error_wrap(s, "layer norm (%lld x %lld %s)", (long long)N, (long long)D, qa_dtype_name(dt)) : s;
}

static qa_status layer_norm_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b,
                                 float eps)
{
    qa_status s = norm_check(x, w, b, "layer_norm");
    if (s) return s;
    if (!b) return qa_error(QA_ERR_ARG, "layer_norm: a bias is required (use rms_norm for weight-only norms)");
    bool grad = qa_needs_grad(ctx, x, w, b);
    if ((s = qa_op_output(ctx, y, x->dtype, x->ndim, x->shape, grad))) return s;
    qa_tensor xc, x2, y2, w32, b32;
    if ((s = qa_nn_contiguous(ctx, &xc, x)) || (s = qa_nn_rows(&x2, &xc, "layer_norm")) ||
        (s = qa_nn_rows(&y2, y, "layer_norm")))
        return s;
    int64_t N = x2.shape[0], D = x2.shape[1];
    size_t mark = qa_arena_mark(&ctx->step);
    void *stats[2] = {NULL, NULL};
    if (grad && qa_grad_enabled(ctx)) {
        if ((s = qa_arena_alloc(&ctx->step, &stats[0], sizeof(float) * (size_t)N)) ||
            (s = qa_arena_alloc(&ctx->step, &stats[1], sizeof(float) * (size_t)N)))
            return s;
        mark = qa_arena_mark(&ctx->step);
    }
    if ((s = qa_nn_f32(ctx, &w32, w)) || (s = qa_nn_f32(ctx, &b32, b))) return s;
    qa_prim *p;
    if ((s = ln_prim(ctx, &p, stats[0] ? LN_FWD_TRAIN : LN_FWD_INFER, x->dtype, N, D, eps))) return s;
    s = qa_prim_run(ctx, p, (void *[]){x2.data, w32.data, b32.data, y2.data, stats[0], stats[1]});
    qa_arena_rewind(&ctx->step, mark);
    if (s || !stats[0]) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_layer_norm, y))) return s;
    if (e) {
        e->nin = 3;
        e->in[0] = *x;
        e->in[1] = *w;
        e->in[2] = *b;
        e->aux[0] = x2;
        e->saved[0] = stats[0];
        e->saved[1] = stats[1];
        e->farg[0] = eps;
    }
    return QA_OK;
}

qa_status qa_layer_norm(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b,
                        float eps)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "layer_norm");
    if (!s) s = layer_norm_impl(ctx, &out, x, w, b, eps);
    return qa_op_dst_store(y, &out, s);
}

/* dst (any strides, shape of `like`) += src (dense, same element count). */
static qa_status acc_into_grad(qa_ctx *ctx, const qa_tensor *like, const qa_tensor *src)
{
    qa_tensor g = qa_grad_view(like), sv;
    qa_status s = qa_tensor_init(&sv, src->dtype, like->ndim, like->shape, src->data);
    return s ? s : qa_op_accumulate(ctx, &g, &sv, 1.f);
}

qa_status qa_layer_norm_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0], *w = &e->in[1], *b = &e->in[2], *x2 = &e->aux[0];
    int64_t N = x2->shape[0], D = x2->shape[1];
    float eps = (float)e->farg[0];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor dx, dw, db, w32, b32, dy2, gy = qa_grad_view(&e->out);
    qa_status s = qa_nn_rows(&dy2, &gy, "layer_norm backward");
    if (!s) s = qa_nn_temp(ctx, &dx, x->dtype, 2, (int64_t[]){N, D});
    if (!s) s = qa_nn_temp(ctx, &dw, QA_F32, 1, (int64_t[]){D});
    if (!s) s = qa_nn_temp(ctx, &db, QA_F32, 1, (int64_t[]){D});
    if (!s) s = qa_nn_f32(ctx, &w32, w);
    if (!s) s = qa_nn_f32(ctx, &b32, &e->in[2]);
    qa_prim *p = NULL;
    if (!s) s = ln_prim(ctx, &p, LN_BWD, x->dtype, N, D, eps);
    if (!s)
        s = qa_prim_run(
            ctx, p,
            (void *[]){x2->data, e->saved[0], e->saved[1], dy2.data, w32.data, b32.data, dx.data, dw.data, db.data});
    if (!s && qa_wants_grad(x)) s = acc_into_grad(ctx, x, &dx);
    if (!s && qa_wants_grad(w)) s = acc_into_grad(ctx, w, &dw);
    if (!s && qa_wants_grad(b)) s = acc_into_grad(ctx, b, &db);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---- RMS norm (hand-written, f32 accumulation) ----
 * Tape entry: in = {x, w}; aux[0] = x as (N, D) rows (dense copy if x was a strided view);
 * saved[0] = rs = 1/sqrt(mean(x^2) + eps) per row (f32, N); farg[0] = eps. */

/* Dot product with 16 independent f32 partial sums, so the compiler can vectorise without
 * reassociating (no -ffast-math); dot16(x, x, n) is the sum of squares. */
static float dot16(const float *a, const float *b, int64_t n)
{
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++)
            acc[l] += a[i + l] * b[i + l];
    float s = 0;
    for (; i < n; i++)
        s += a[i] * b[i];
    for (int l = 0; l < 16; l++)
        s += acc[l];
    return s;
}

static qa_status rms_norm_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, float eps)
{
    qa_status s = norm_check(x, w, NULL, "rms_norm");
    if (s) return s;
    bool grad = qa_needs_grad(ctx, x, w, NULL);
    if ((s = qa_op_output(ctx, y, x->dtype, x->ndim, x->shape, grad))) return s;
    qa_tensor xc, x2, y2, w32;
    if ((s = qa_nn_contiguous(ctx, &xc, x)) || (s = qa_nn_rows(&x2, &xc, "rms_norm")) ||
        (s = qa_nn_rows(&y2, y, "rms_norm")))
        return s;
    int64_t N = x2.shape[0], D = x2.shape[1];
    float *rs = NULL;
    bool record = grad && qa_grad_enabled(ctx);
    if (record && (s = qa_arena_alloc(&ctx->step, (void **)&rs, sizeof(float) * (size_t)N))) return s;
    size_t mark = qa_arena_mark(&ctx->step);
    float *row;
    if ((s = qa_nn_f32(ctx, &w32, w)) || (s = qa_arena_alloc(&ctx->step, (void **)&row, sizeof(float) * (size_t)D)))
        return s;
    const float *wf = w32.data;
    size_t es = qa_dtype_size(x->dtype);
    for (int64_t n = 0; n < N; n++) {
        qa_nn_load_row(row, (const char *)x2.data + (size_t)(n * x2.stride[0]) * es, x->dtype, D);
        float r = 1.0f / sqrtf(dot16(row, row, D) / (float)D + eps);
        if (rs) rs[n] = r;
        for (int64_t i = 0; i < D; i++)
            row[i] = row[i] * r * wf[i];
        qa_nn_store_row((char *)y2.data + (size_t)(n * y2.stride[0]) * es, row, x->dtype, D, 0);
    }
    qa_arena_rewind(&ctx->step, mark);
    if (!record) return QA_OK;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_rms_norm, y))) return s;
    if (e) {
        e->nin = 2;
        e->in[0] = *x;
        e->in[1] = *w;
        e->aux[0] = x2;
        e->saved[0] = rs;
        e->farg[0] = eps;
    }
    return QA_OK;
}

qa_status qa_rms_norm(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, float eps)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "rms_norm");
    if (!s) s = rms_norm_impl(ctx, &out, x, w, eps);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_rms_norm_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0], *w = &e->in[1], *x2 = &e->aux[0];
    const float *rs = e->saved[0];
    int64_t N = x2->shape[0], D = x2->shape[1];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor w32, gy = qa_grad_view(&e->out), dy2, gx = qa_grad_view(x), gx2;
    float *xr, *gr, *dw;
    qa_status s = qa_nn_rows(&dy2, &gy, "rms_norm backward");
    if (!s) s = qa_nn_f32(ctx, &w32, w);
    if (!s) s = qa_arena_alloc(&ctx->step, (void **)&xr, sizeof(float) * (size_t)D * 2);
    if (!s) s = qa_arena_calloc(&ctx->step, (void **)&dw, sizeof(float) * (size_t)D);
    bool want_x = qa_wants_grad(x), direct = false;
    qa_tensor dxtmp;
    if (!s && want_x) {
        /* write straight into x.grad when it is a dense row view, else through a temporary */
        direct = qa_nn_rows(&gx2, &gx, "rms_norm backward") == QA_OK;
        if (!direct) s = qa_nn_temp(ctx, &dxtmp, x->dtype, 2, (int64_t[]){N, D});
        if (!s && !direct) {
            gx2 = dxtmp;
            memset(dxtmp.data, 0, qa_tensor_span_bytes(&dxtmp));
        }
    }
    if (s) {
        qa_arena_rewind(&ctx->step, mark);
        return s;
    }
    qa_error_clear();
    gr = xr + D;
    const float *wf = w32.data;
    size_t es = qa_dtype_size(x->dtype);
    for (int64_t n = 0; n < N; n++) {
        qa_nn_load_row(xr, (const char *)x2->data + (size_t)(n * x2->stride[0]) * es, x->dtype, D);
        qa_nn_load_row(gr, (const char *)dy2.data + (size_t)(n * dy2.stride[0]) * es, x->dtype, D);
        float r = rs[n];
        for (int64_t i = 0; i < D; i++)
            dw[i] += gr[i] * xr[i] * r;
        if (!want_x) continue;
        for (int64_t i = 0; i < D; i++)
            gr[i] *= wf[i];
        /* dx = r (dy w) - x r^3 mean(dy w x) */
        float m = dot16(gr, xr, D) / (float)D * r * r * r;
        for (int64_t i = 0; i < D; i++)
            gr[i] = r * gr[i] - xr[i] * m;
        qa_nn_store_row((char *)gx2.data + (size_t)(n * gx2.stride[0]) * es, gr, x->dtype, D, 1);
    }
    if (want_x && !direct) s = acc_into_grad(ctx, x, &dxtmp);
    if (!s && qa_wants_grad(w)) {
        qa_tensor dwt;
        if (!(s = qa_tensor_init(&dwt, QA_F32, 1, (int64_t[]){D}, dw))) s = acc_into_grad(ctx, w, &dwt);
    }
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision references (tests only). */

/* Mean (*mu) and 1/sqrt(var + eps) (returned) of one row of D values. */
static double ref_ln_row_stats(const double *xr, int64_t D, double eps, double *mu)
{
    double m = 0, var = 0;
    for (int64_t i = 0; i < D; i++)
        m += xr[i];
    m /= (double)D;
    for (int64_t i = 0; i < D; i++)
        var += (xr[i] - m) * (xr[i] - m);
    var /= (double)D;
    *mu = m;
    return 1.0 / sqrt(var + eps);
}

void qa_ref_layer_norm_fwd(double *y, const double *x, const double *w, const double *b, int64_t N, int64_t D,
                           double eps)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D;
        double mu, rs = ref_ln_row_stats(xr, D, eps, &mu);
        for (int64_t i = 0; i < D; i++)
            y[n * D + i] = (xr[i] - mu) * rs * w[i] + b[i];
    }
}

void qa_ref_layer_norm_bwd(double *dx, double *dw, double *db, const double *dy, const double *x, const double *w,
                           int64_t N, int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D, *g = dy + n * D;
        double mu, rs = ref_ln_row_stats(xr, D, eps, &mu);
        /* xhat = (x - mu) rs; dxhat = dy w; dx = rs (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) */
        double m1 = 0, m2 = 0;
        for (int64_t i = 0; i < D; i++) {
            double xh = (xr[i] - mu) * rs, dxh = g[i] * w[i];
            m1 += dxh;
            m2 += dxh * xh;
            if (dw) dw[i] += g[i] * xh;
            if (db) db[i] += g[i];
        }
        m1 /= (double)D;
        m2 /= (double)D;
        if (dx)
            for (int64_t i = 0; i < D; i++) {
                double xh = (xr[i] - mu) * rs;
                dx[n * D + i] += rs * (g[i] * w[i] - m1 - xh * m2);
            }
    }
}

void qa_ref_rms_norm_fwd(double *y, const double *x, const double *w, int64_t N, int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        double ss = 0;
        for (int64_t i = 0; i < D; i++)
            ss += x[n * D + i] * x[n * D + i];
        double rs = 1.0 / sqrt(ss / (double)D + eps);
        for (int64_t i = 0; i < D; i++)
            y[n * D + i] = x[n * D + i] * rs * w[i];
    }
}

void qa_ref_rms_norm_bwd(double *dx, double *dw, const double *dy, const double *x, const double *w, int64_t N,
                         int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D, *g = dy + n * D;
        double ss = 0;
        for (int64_t i = 0; i < D; i++)
            ss += xr[i] * xr[i];
        double rs = 1.0 / sqrt(ss / (double)D + eps);
        /* y = x rs w; dx = rs (dy w) - x rs^3 mean(dy w x) */
        double m = 0;
        for (int64_t i = 0; i < D; i++) {
            m += g[i] * w[i] * xr[i];
            if (dw) dw[i] += g[i] * xr[i] * rs;
        }
        m /= (double)D;
        if (dx)
            for (int64_t i = 0; i < D; i++)
                dx[n * D + i] += rs * g[i] * w[i] - xr[i] * rs * rs * rs * m;
    }
}
