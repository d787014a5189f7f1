/* core/ops/matmul: matmul and linear, forward and backward on the oneDNN matmul primitive, and the
 * double references used by the gradient checks. See matmul.h. */
#include "core/ops/matmul.h"

#include <string.h>

#include "core/ops/common.h"

/* Row-major c is required by the fast kernels; a column-major destination (a transposed view, as in
 * the gradient of a QA_TRANS_A operand) is handled as c^T = b^T a^T. */
qa_status qa_mm_exec(qa_ctx *ctx, const qa_tensor *c, const qa_tensor *a, const qa_tensor *b, const qa_tensor *bias,
                     int accumulate)
{
    int nd = c->ndim;
    if (nd < 2 || a->ndim != nd || b->ndim != nd) return qa_op_shape_error("matmul", "operand ranks differ:", a, b);
    if (c->stride[nd - 1] != 1 && c->shape[nd - 1] > 1 && c->stride[nd - 2] == 1 && !bias) {
        qa_tensor ct, at, bt;
        qa_tensor_view_transpose(&ct, c, nd - 2, nd - 1);
        qa_tensor_view_transpose(&at, b, nd - 2, nd - 1);
        qa_tensor_view_transpose(&bt, a, nd - 2, nd - 1);
        return qa_mm_exec(ctx, &ct, &at, &bt, NULL, accumulate);
    }
    qa_prim_key k;
    qa_key_init(&k, QA_OP_matmul, 0);
    qa_key_add_tensor(&k, a);
    qa_key_add_tensor(&k, b);
    qa_key_add_tensor(&k, c);
    if (bias) qa_key_add_tensor(&k, bias);
    qa_key_add(&k, accumulate);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t amd, bmd, cmd, biasmd;
        qa_status s = qa_md_from_tensor(&amd, a);
        if (!s) s = qa_md_from_tensor(&bmd, b);
        if (!s) s = qa_md_from_tensor(&cmd, c);
        if (!s && bias) s = qa_md_from_tensor(&biasmd, bias);
        dnnl_matmul_desc_t d;
        if (!s) s = qa_dnnl_check(dnnl_matmul_desc_init(&d, &amd, &bmd, bias ? &biasmd : NULL, &cmd), "matmul desc");
        dnnl_primitive_attr_t attr = NULL;
        if (!s) s = qa_attr_new(&attr, accumulate ? 1.f : 0.f);
        static const int args_b[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
        static const int args_nb[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, attr, bias ? args_b : args_nb, bias ? 4 : 3);
        if (s) return qa_error_wrap(s, "matmul");
    }
    if (bias) return qa_prim_run(ctx, p, (void *[]){a->data, b->data, bias->data, c->data});
    return qa_prim_run(ctx, p, (void *[]){a->data, b->data, c->data});
}

/* Merges dims [0, nd-2] of t into one row dim: (d0, .., M, K) -> (R, K). Fails when the strides do
 * not allow it without a copy. */
static qa_status merge_rows(qa_tensor *out, const qa_tensor *t, const char *op)
{
    int nd = t->ndim;
    qa_tensor m = *t;
    int64_t rows = 1;
    for (int i = 0; i < nd - 1; i++) {
        rows *= t->shape[i];
        if (i < nd - 2 && t->shape[i] > 1 && t->stride[i] != t->stride[i + 1] * t->shape[i + 1]) {
            char d[96];
            return qa_error(QA_ERR_UNSUPPORTED, "%s: cannot merge the leading dims of the strided view %s: copy it "
                                                "first (qa_copy)", op, qa_tensor_describe(t, d, sizeof d));
        }
    }
    m.ndim = 2;
    m.shape[0] = rows;
    m.shape[1] = t->shape[nd - 1];
    m.stride[0] = t->stride[nd - 2];
    m.stride[1] = t->stride[nd - 1];
    *out = m;
    return QA_OK;
}

/* The views one product works on: A (.., M, K), B (.., K, N), Y (.., M, N), same ndim. `use_grad`
 * builds them over the gradient buffers instead (the transforms are the same). */
typedef struct {
    qa_tensor A, B, Y;
} mm_views;

static qa_status matmul_views(mm_views *v, const qa_tensor *a, const qa_tensor *b, const qa_tensor *y, int flags)
{
    qa_tensor av = *a, bv = *b;
    if (flags & QA_TRANS_A) qa_tensor_view_transpose(&av, a, -2, -1);
    if (flags & QA_TRANS_B) qa_tensor_view_transpose(&bv, b, -2, -1);
    if (b->ndim == a->ndim) {
        v->A = av;
        v->B = bv;
        v->Y = *y;
        return QA_OK;
    }
    qa_status s = merge_rows(&v->A, &av, "matmul");
    if (!s) s = merge_rows(&v->Y, y, "matmul");
    v->B = bv;
    return s;
}

static qa_status matmul_check(const qa_tensor *a, const qa_tensor *b, int flags, int64_t *yshape)
{
    qa_status s = qa_tensor_check(a, "matmul", "a", 2, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(b, "matmul", "b", 2, 4, QA_DT_FLOAT);
    if (s) return s;
    if (a->dtype != b->dtype) return qa_error(QA_ERR_DTYPE, "matmul: a is %s but b is %s; use one dtype",
                                              qa_dtype_name(a->dtype), qa_dtype_name(b->dtype));
    int na = a->ndim, nb = b->ndim;
    int64_t M = a->shape[na - 2], K = a->shape[na - 1], Kb = b->shape[nb - 2], N = b->shape[nb - 1];
    if (flags & QA_TRANS_A) M = a->shape[na - 1], K = a->shape[na - 2];
    if (flags & QA_TRANS_B) Kb = b->shape[nb - 1], N = b->shape[nb - 2];
    if (K != Kb) return qa_op_shape_error("matmul", "inner dims differ:", a, b);
    if (nb != na && nb != 2) return qa_op_shape_error("matmul", "b must have a's rank or be 2-d:", a, b);
    if (nb == na)
        for (int i = 0; i < na - 2; i++)
            if (a->shape[i] != b->shape[i]) return qa_op_shape_error("matmul", "batch dims differ:", a, b);
    for (int i = 0; i < na - 2; i++) yshape[i] = a->shape[i];
    yshape[na - 2] = M;
    yshape[na - 1] = N;
    return QA_OK;
}

static qa_status matmul_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b, int flags)
{
    int64_t ys[QA_MAX_DIMS];
    qa_status s = matmul_check(a, b, flags, ys);
    if (s) return s;
    if ((s = qa_op_output(ctx, y, a->dtype, a->ndim, ys, qa_needs_grad(ctx, a, b, NULL)))) return s;
    mm_views v;
    if ((s = matmul_views(&v, a, b, y, flags))) return s;
    if ((s = qa_mm_exec(ctx, &v.Y, &v.A, &v.B, NULL, 0))) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_matmul, y))) return s;
    if (e) {
        e->nin = 2;
        e->in[0] = *a;
        e->in[1] = *b;
        e->iarg[0] = flags;
    }
    return QA_OK;
}

qa_status qa_matmul(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b, int flags)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "matmul");
    if (!s) s = matmul_impl(ctx, &out, a, b, flags);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_matmul_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *a = &e->in[0], *b = &e->in[1];
    int flags = (int)e->iarg[0];
    qa_tensor ga = qa_grad_view(a), gb = qa_grad_view(b), gy = qa_grad_view(&e->out);
    mm_views v, g;
    qa_status s = matmul_views(&v, a, b, &e->out, flags);
    if (!s) s = matmul_views(&g, &ga, &gb, &gy, flags);
    if (s) return s;
    int nd = v.A.ndim;
    if (qa_wants_grad(a)) { /* dA += dY B^T */
        qa_tensor bt;
        qa_tensor_view_transpose(&bt, &v.B, nd - 2, nd - 1);
        if ((s = qa_mm_exec(ctx, &g.A, &g.Y, &bt, NULL, 1))) return s;
    }
    if (qa_wants_grad(b)) { /* dB += A^T dY */
        qa_tensor at;
        qa_tensor_view_transpose(&at, &v.A, nd - 2, nd - 1);
        if ((s = qa_mm_exec(ctx, &g.B, &at, &g.Y, NULL, 1))) return s;
    }
    return QA_OK;
}

static qa_status linear_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *bias)
{
    qa_status s = qa_tensor_check(x, "linear", "input x", 1, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(w, "linear", "weight w", 2, 2, QA_DT_FLOAT);
    if (!s && bias) s = qa_tensor_check(bias, "linear", "bias", 1, 1, QA_DT_FLOAT);
    if (s) return s;
    if (x->dtype != w->dtype) return qa_error(QA_ERR_DTYPE, "linear: input is %s but weight %s is %s",
                                              qa_dtype_name(x->dtype), w->name ? w->name : "w", qa_dtype_name(w->dtype));
    int nd = x->ndim;
    int64_t In = x->shape[nd - 1], Out = w->shape[0];
    if (w->shape[1] != In) return qa_op_shape_error("linear", "input width differs from weight (Out, In):", x, w);
    if (bias && bias->shape[0] != Out) return qa_op_shape_error("linear", "bias length differs from weight rows:", bias, w);
    int64_t ys[QA_MAX_DIMS];
    memcpy(ys, x->shape, sizeof ys);
    ys[nd - 1] = Out;
    if ((s = qa_op_output(ctx, y, x->dtype, nd, ys, qa_needs_grad(ctx, x, w, bias)))) return s;
    qa_tensor x2 = *x, y2 = *y, wt, b2;
    if (nd == 1) {
        qa_tensor_view_reshape(&x2, x, 2, (int64_t[]){1, In});
        qa_tensor_view_reshape(&y2, y, 2, (int64_t[]){1, Out});
    } else if ((s = merge_rows(&x2, x, "linear")) || (s = merge_rows(&y2, y, "linear"))) {
        return s;
    }
    qa_tensor_view_transpose(&wt, w, 0, 1);
    if (bias) {
        b2 = *bias;
        b2.ndim = 2;
        b2.shape[0] = 1;
        b2.shape[1] = Out;
        b2.stride[0] = Out * bias->stride[0];
        b2.stride[1] = bias->stride[0];
    }
    if ((s = qa_mm_exec(ctx, &y2, &x2, &wt, bias ? &b2 : NULL, 0))) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_linear, y))) return s;
    if (e) {
        e->nin = bias ? 3 : 2;
        e->in[0] = *x;
        e->in[1] = *w;
        if (bias) e->in[2] = *bias;
    }
    return QA_OK;
}

qa_status qa_linear(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *bias)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "linear");
    if (!s) s = linear_impl(ctx, &out, x, w, bias);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_linear_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0], *w = &e->in[1], *bias = e->nin > 2 ? &e->in[2] : NULL;
    int nd = x->ndim;
    int64_t In = x->shape[nd - 1], Out = w->shape[0];
    qa_tensor x2, dy2, gx = qa_grad_view(x), gy = qa_grad_view(&e->out), gx2;
    qa_status s;
    if (nd == 1) {
        qa_tensor_view_reshape(&x2, x, 2, (int64_t[]){1, In});
        qa_tensor_view_reshape(&gx2, &gx, 2, (int64_t[]){1, In});
        qa_tensor_view_reshape(&dy2, &gy, 2, (int64_t[]){1, Out});
    } else if ((s = merge_rows(&x2, x, "linear")) || (s = merge_rows(&gx2, &gx, "linear")) ||
               (s = merge_rows(&dy2, &gy, "linear"))) {
        return s;
    }
    if (qa_wants_grad(x)) { /* dx += dy w */
        if ((s = qa_mm_exec(ctx, &gx2, &dy2, w, NULL, 1))) return s;
    }
    if (qa_wants_grad(w)) { /* dw += dy^T x */
        qa_tensor gw = qa_grad_view(w), dyt;
        qa_tensor_view_transpose(&dyt, &dy2, 0, 1);
        if ((s = qa_mm_exec(ctx, &gw, &dyt, &x2, NULL, 1))) return s;
    }
    if (bias && qa_wants_grad(bias)) { /* dbias += column sums of dy */
        qa_tensor gb = qa_grad_view(bias), gb2 = gb;
        gb2.ndim = 2;
        gb2.shape[0] = 1;
        gb2.shape[1] = Out;
        gb2.stride[0] = Out * gb.stride[0];
        gb2.stride[1] = gb.stride[0];
        if ((s = qa_op_colsum_acc(ctx, &gb2, &dy2))) return s;
    }
    return QA_OK;
}

/* ---- double references ---- */

static double at_a(const double *a, int64_t i, int64_t k, int64_t M, int64_t K, int trans)
{
    return trans ? a[k * M + i] : a[i * K + k];
}

void qa_ref_matmul(double *y, const double *a, const double *b, int64_t batch, int64_t M, int64_t K, int64_t N,
                   int flags, int b_shared)
{
    for (int64_t bi = 0; bi < batch; bi++) {
        const double *ab = a + bi * M * K, *bb = b + (b_shared ? 0 : bi * K * N);
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                    acc += at_a(ab, i, k, M, K, flags & QA_TRANS_A) *
                           ((flags & QA_TRANS_B) ? bb[j * K + k] : bb[k * N + j]);
                y[bi * M * N + i * N + j] = acc;
            }
    }
}

void qa_ref_matmul_backward(double *da, double *db, const double *dy, const double *a, const double *b, int64_t batch,
                            int64_t M, int64_t K, int64_t N, int flags, int b_shared)
{
    for (int64_t bi = 0; bi < batch; bi++) {
        const double *ab = a + bi * M * K, *bb = b + (b_shared ? 0 : bi * K * N), *g = dy + bi * M * N;
        double *dab = da ? da + bi * M * K : NULL, *dbb = db ? db + (b_shared ? 0 : bi * K * N) : NULL;
        for (int64_t i = 0; i < M; i++)
            for (int64_t k = 0; k < K; k++)
                for (int64_t j = 0; j < N; j++) {
                    int64_t bidx = (flags & QA_TRANS_B) ? j * K + k : k * N + j;
                    int64_t aidx = (flags & QA_TRANS_A) ? k * M + i : i * K + k;
                    if (dab) dab[aidx] += g[i * N + j] * bb[bidx];
                    if (dbb) dbb[bidx] += g[i * N + j] * ab[aidx];
                }
    }
}

void qa_ref_linear(double *y, const double *x, const double *w, const double *bias, int64_t R, int64_t In, int64_t Out)
{
    for (int64_t r = 0; r < R; r++)
        for (int64_t o = 0; o < Out; o++) {
            double acc = bias ? bias[o] : 0;
            for (int64_t i = 0; i < In; i++) acc += x[r * In + i] * w[o * In + i];
            y[r * Out + o] = acc;
        }
}

void qa_ref_linear_backward(double *dx, double *dw, double *dbias, const double *dy, const double *x, const double *w,
                            int64_t R, int64_t In, int64_t Out)
{
    for (int64_t r = 0; r < R; r++)
        for (int64_t o = 0; o < Out; o++) {
            double g = dy[r * Out + o];
            if (dbias) dbias[o] += g;
            for (int64_t i = 0; i < In; i++) {
                if (dx) dx[r * In + i] += g * w[o * In + i];
                if (dw) dw[o * In + i] += g * x[r * In + i];
            }
        }
}
