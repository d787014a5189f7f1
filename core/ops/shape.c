/* core/ops/shape: views, copy, concat, row scatter, argmax; see shape.h. */
#include "core/ops/shape.h"

#include <string.h>

#include "core/ops/common.h"

qa_status qa_reshape(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int ndim, const int64_t *shape)
{
    qa_status s = qa_tensor_check(x, "reshape", "x", 0, 4, ~0u);
    return s ? s : qa_tensor_view_reshape(y, x, ndim, shape);
}

qa_status qa_transpose(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int d0, int d1)
{
    qa_status s = qa_tensor_check(x, "transpose", "x", 1, 4, ~0u);
    return s ? s : qa_tensor_view_transpose(y, x, d0, d1);
}

qa_status qa_slice(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int dim, int64_t start, int64_t len)
{
    qa_status s = qa_tensor_check(x, "slice", "x", 1, 4, ~0u);
    return s ? s : qa_tensor_view_slice(y, x, dim, start, len);
}

static qa_status copy_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, qa_dtype dtype)
{
    qa_status s = qa_tensor_check(x, "copy", "x", 0, 4, QA_DT_FLOAT);
    if (s) return s;
    if (!qa_dtype_is_float(dtype)) return qa_error(QA_ERR_DTYPE, "copy: target dtype %s is not f32 or bf16", qa_dtype_name(dtype));
    if ((s = qa_op_output(ctx, y, dtype, x->ndim, x->shape, qa_needs_grad(ctx, x, NULL, NULL)))) return s;
    if ((s = qa_op_copy_into(ctx, y, x))) return s;
    return qa_tape_record_unary(ctx, NULL, QA_OP_copy, y, x);
}

qa_status qa_copy(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, qa_dtype dtype)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "copy");
    if (!s) s = copy_impl(ctx, &out, x, dtype);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_copy_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    if (!qa_wants_grad(&e->in[0])) return QA_OK;
    qa_tensor gx = qa_grad_view(&e->in[0]), gy = qa_grad_view(&e->out);
    return qa_op_accumulate(ctx, &gx, &gy, 1.f);
}

static qa_status concat_impl(qa_ctx *ctx, qa_tensor *y, int n, const qa_tensor *xs, int dim)
{
    if (n < 1 || !xs) return qa_error(QA_ERR_ARG, "concat: %d inputs%s; at least 1 needed", n, xs ? "" : " (NULL list)");
    if (n > QA_CONCAT_MAX) {
        /* a tape entry holds QA_CONCAT_MAX inputs: join the first ones, then the rest after it */
        qa_tensor head[QA_CONCAT_MAX];
        qa_status s = qa_concat(ctx, &head[0], QA_CONCAT_MAX, xs, dim);
        if (s) return s;
        int rest = n - QA_CONCAT_MAX;
        while (rest > 0) {
            int take = rest < QA_CONCAT_MAX - 1 ? rest : QA_CONCAT_MAX - 1;
            for (int i = 0; i < take; i++) head[1 + i] = xs[n - rest + i];
            qa_tensor joined; /* not head[0]: the output is written before the inputs are read */
            if ((s = qa_concat(ctx, &joined, 1 + take, head, dim))) return s;
            head[0] = joined;
            rest -= take;
        }
        *y = head[0];
        return QA_OK;
    }
    qa_status s = qa_tensor_check(&xs[0], "concat", "input 0", 1, 4, QA_DT_FLOAT);
    if (s) return s;
    int nd = xs[0].ndim;
    if (dim < 0) dim += nd;
    if (dim < 0 || dim >= nd) return qa_error(QA_ERR_SHAPE, "concat: dim %d out of range for rank %d", dim, nd);
    int64_t shape[QA_MAX_DIMS];
    memcpy(shape, xs[0].shape, sizeof shape);
    bool grad = false;
    for (int i = 0; i < n; i++) {
        if ((s = qa_tensor_check(&xs[i], "concat", "an input", nd, nd, QA_DT(xs[0].dtype)))) return s;
        for (int d = 0; d < nd; d++)
            if (d != dim && xs[i].shape[d] != xs[0].shape[d])
                return qa_op_shape_error("concat", "inputs differ outside the concat dim:", &xs[0], &xs[i]);
        if (i) shape[dim] += xs[i].shape[dim];
        grad = grad || qa_needs_grad(ctx, &xs[i], NULL, NULL);
    }
    if ((s = qa_op_output(ctx, y, xs[0].dtype, nd, shape, grad))) return s;
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        qa_tensor part;
        qa_tensor_view_slice(&part, y, dim, off, xs[i].shape[dim]);
        if ((s = qa_op_copy_into(ctx, &part, &xs[i]))) return s;
        off += xs[i].shape[dim];
    }
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_concat, y))) return s;
    if (e) {
        e->nin = n;
        for (int i = 0; i < n; i++) e->in[i] = xs[i];
        e->iarg[0] = dim;
    }
    return QA_OK;
}

qa_status qa_concat(qa_ctx *ctx, qa_tensor *y, int n, const qa_tensor *xs, int dim)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "concat");
    if (!s) s = concat_impl(ctx, &out, n, xs, dim);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_concat_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    int dim = (int)e->iarg[0];
    int64_t off = 0;
    for (int i = 0; i < e->nin; i++) {
        const qa_tensor *x = &e->in[i];
        if (qa_wants_grad(x)) {
            qa_tensor part, gy = qa_grad_view(&e->out), gx = qa_grad_view(x);
            qa_tensor_view_slice(&part, &gy, dim, off, x->shape[dim]);
            qa_status s = qa_op_accumulate(ctx, &gx, &part, 1.f);
            if (s) return s;
        }
        off += x->shape[dim];
    }
    return QA_OK;
}

/* Item b (flat index over the leading dims) of t: a 2-d (rows, cols) view; data and grad follow. */
static qa_tensor item2d(const qa_tensor *t, int64_t b)
{
    qa_tensor v = *t;
    int nd = t->ndim;
    int64_t off = 0;
    for (int d = nd - 3; d >= 0; d--) {
        off += (b % t->shape[d]) * t->stride[d];
        b /= t->shape[d];
    }
    size_t bytes = (size_t)off * qa_dtype_size(t->dtype);
    v.ndim = 2;
    v.shape[0] = t->shape[nd - 2];
    v.shape[1] = t->shape[nd - 1];
    v.stride[0] = t->stride[nd - 2];
    v.stride[1] = t->stride[nd - 1];
    v.data = (uint8_t *)t->data + bytes;
    if (t->grad) v.grad = (uint8_t *)t->grad + bytes;
    return v;
}

static qa_status row_scatter_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *src, const int64_t *r0)
{
    qa_status s = qa_tensor_check(x, "row_scatter", "x", 2, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(src, "row_scatter", "src", x->ndim, x->ndim, QA_DT(x->dtype));
    if (s) return s;
    if (!r0) return qa_error(QA_ERR_ARG, "row_scatter: no start rows given");
    int nd = x->ndim;
    int64_t B = 1, R = x->shape[nd - 2], n = src->shape[nd - 2];
    for (int d = 0; d < nd; d++)
        if (d != nd - 2 && x->shape[d] != src->shape[d])
            return qa_op_shape_error("row_scatter", "x (..., R, D) and src (..., n, D) differ outside the row dim:", x, src);
    for (int d = 0; d < nd - 2; d++) B *= x->shape[d];
    if (n > R) return qa_op_shape_error("row_scatter", "src has more rows than x:", x, src);
    for (int64_t b = 0; b < B; b++)
        if (r0[b] < 0 || r0[b] > R - n)
            return qa_error(QA_ERR_SHAPE, "row_scatter: item %lld starts at row %lld; %lld rows must fit in %lld (0..%lld)",
                            (long long)b, (long long)r0[b], (long long)n, (long long)R, (long long)(R - n));
    if ((s = qa_op_output(ctx, y, x->dtype, nd, x->shape, qa_needs_grad(ctx, x, src, NULL)))) return s;
    if ((s = qa_op_copy_into(ctx, y, x))) return s;
    for (int64_t b = 0; b < B; b++) {
        qa_tensor yb = item2d(y, b), sb = item2d(src, b), rows;
        qa_tensor_view_slice(&rows, &yb, 0, r0[b], n);
        if ((s = qa_op_copy_into(ctx, &rows, &sb))) return s;
    }
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_row_scatter, y))) return s;
    if (e) {
        /* saved: the start rows and the (..., R, 1) keep-mask (1 outside the replaced rows) */
        int64_t *rs;
        int64_t mshape[QA_MAX_DIMS];
        memcpy(mshape, x->shape, sizeof mshape);
        mshape[nd - 1] = 1;
        if ((s = qa_arena_alloc(&ctx->step, (void **)&rs, (size_t)B * sizeof *rs))) return s;
        memcpy(rs, r0, (size_t)B * sizeof *rs);
        qa_tensor mask;
        if ((s = qa_op_temp(ctx, &mask, x->dtype, nd, mshape))) return s;
        for (int64_t b = 0; b < B; b++)
            for (int64_t r = 0; r < R; r++) qa_tensor_set(&mask, b * R + r, (r >= r0[b] && r < r0[b] + n) ? 0.0 : 1.0, false);
        e->nin = 2;
        e->in[0] = *x;
        e->in[1] = *src;
        e->saved[0] = rs;
        e->aux[0] = mask;
        e->iarg[0] = B;
    }
    return QA_OK;
}

qa_status qa_row_scatter(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *src, const int64_t *r0)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "row_scatter");
    if (!s) s = row_scatter_impl(ctx, &out, x, src, r0);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_row_scatter_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *x = &e->in[0], *src = &e->in[1];
    const int64_t *r0 = e->saved[0];
    int64_t B = e->iarg[0], n = src->shape[src->ndim - 2];
    qa_tensor gy = qa_grad_view(&e->out);
    qa_status s = QA_OK;
    if (qa_wants_grad(x)) {
        qa_tensor gx = qa_grad_view(x);
        if ((s = qa_op_binary(ctx, &gx, &gy, &e->aux[0], dnnl_binary_mul, 1))) return s;
    }
    if (qa_wants_grad(src)) {
        qa_tensor gs = qa_grad_view(src);
        for (int64_t b = 0; b < B && !s; b++) {
            qa_tensor gyb = item2d(&gy, b), gsb = item2d(&gs, b), rows;
            qa_tensor_view_slice(&rows, &gyb, 0, r0[b], n);
            s = qa_op_accumulate(ctx, &gsb, &rows, 1.f);
        }
    }
    return s;
}

/* argmax over the last dim: a hand loop (oneDNN 2.6 has no arg-reduction); the first maximum wins. */
static qa_status argmax_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    qa_status s = qa_tensor_check(x, "argmax", "x", 1, 4, QA_DT_FLOAT);
    if (s) return s;
    int nd = x->ndim;
    int64_t V = x->shape[nd - 1], rows = qa_tensor_numel(x) / V;
    if ((s = qa_op_output(ctx, y, QA_I32, nd - 1, x->shape, false))) return s;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor xc;
    if ((s = qa_op_contiguous(ctx, &xc, x))) return s;
    int32_t *out = y->data;
    for (int64_t r = 0; r < rows; r++) {
        int64_t best = 0;
        if (xc.dtype == QA_F32) {
            const float *p = (const float *)xc.data + r * V;
            for (int64_t v = 1; v < V; v++)
                if (p[v] > p[best]) best = v;
        } else {
            const uint16_t *p = (const uint16_t *)xc.data + r * V;
            float bv = qa_f32_from_bf16(p[0]);
            for (int64_t v = 1; v < V; v++) {
                float f = qa_f32_from_bf16(p[v]);
                if (f > bv) bv = f, best = v;
            }
        }
        out[r] = (int32_t)best;
    }
    if (xc.data != x->data) qa_arena_rewind(&ctx->step, mark);
    return QA_OK;
}

qa_status qa_argmax(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "argmax");
    if (!s) s = argmax_impl(ctx, &out, x);
    return qa_op_dst_store(y, &out, s);
}

/* ---- double references ---- */

void qa_ref_concat(double *y, const double *const *xs, int n, int64_t outer, const int64_t *inner)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += inner[i];
    for (int64_t o = 0; o < outer; o++) {
        int64_t off = 0;
        for (int i = 0; i < n; i++) {
            memcpy(y + o * total + off, xs[i] + o * inner[i], (size_t)inner[i] * sizeof(double));
            off += inner[i];
        }
    }
}

void qa_ref_concat_backward(double *const *dxs, const double *dy, int n, int64_t outer, const int64_t *inner)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += inner[i];
    for (int64_t o = 0; o < outer; o++) {
        int64_t off = 0;
        for (int i = 0; i < n; i++) {
            if (dxs[i])
                for (int64_t j = 0; j < inner[i]; j++) dxs[i][o * inner[i] + j] += dy[o * total + off + j];
            off += inner[i];
        }
    }
}

void qa_ref_row_scatter(double *y, const double *x, const double *src, int64_t B, int64_t R, int64_t D, int64_t n,
                        const int64_t *r0)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t r = 0; r < R; r++)
            for (int64_t d = 0; d < D; d++) {
                bool in = r >= r0[b] && r < r0[b] + n;
                y[(b * R + r) * D + d] = in ? src[(b * n + r - r0[b]) * D + d] : x[(b * R + r) * D + d];
            }
}

void qa_ref_row_scatter_backward(double *dx, double *dsrc, const double *dy, int64_t B, int64_t R, int64_t D,
                                 int64_t n, const int64_t *r0)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t r = 0; r < R; r++)
            for (int64_t d = 0; d < D; d++) {
                bool in = r >= r0[b] && r < r0[b] + n;
                double g = dy[(b * R + r) * D + d];
                if (in && dsrc) dsrc[(b * n + r - r0[b]) * D + d] += g;
                if (!in && dx) dx[(b * R + r) * D + d] += g;
            }
}
