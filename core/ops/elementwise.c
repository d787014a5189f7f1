/* core/ops/elementwise: add, mul, scale; see elementwise.h. */
#include "core/ops/elementwise.h"

#include <string.h>

#include "core/ops/common.h"

/* Which operand is the full shape and which broadcasts. small is returned expanded to full's rank. */
static qa_status bcast_roles(const char *op, const qa_tensor *a, const qa_tensor *b, const qa_tensor **full,
                             const qa_tensor **small, qa_tensor *small_x)
{
    qa_status s = qa_tensor_check(a, op, "a", 0, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(b, op, "b", 0, 4, QA_DT_FLOAT);
    if (s) return s;
    if (a->dtype != b->dtype)
        return qa_error(QA_ERR_DTYPE, "%s: a is %s but b is %s; use one dtype", op, qa_dtype_name(a->dtype),
                        qa_dtype_name(b->dtype));
    for (int pass = 0; pass < 2; pass++) {
        const qa_tensor *f = pass ? b : a, *m = pass ? a : b;
        if (m->ndim > f->ndim) continue;
        qa_tensor mx = qa_op_expand(m, f->ndim);
        bool ok = true;
        for (int i = 0; i < f->ndim; i++)
            if (mx.shape[i] != f->shape[i] && mx.shape[i] != 1) ok = false;
        if (ok) {
            *full = f;
            *small = m;
            *small_x = mx;
            return QA_OK;
        }
    }
    return qa_op_shape_error(op, "shapes do not broadcast (one operand's dims must each be equal or 1):", a, b);
}

static qa_status binary_forward_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b, int op,
                                     dnnl_alg_kind_t alg)
{
    const qa_tensor *full, *small;
    qa_tensor sx;
    const char *name = qa_op_table[op].name;
    qa_status s = bcast_roles(name, a, b, &full, &small, &sx);
    if (s) return s;
    if ((s = qa_op_output(ctx, y, full->dtype, full->ndim, full->shape, qa_needs_grad(ctx, a, b, NULL)))) return s;
    qa_tensor f = *full;
    if (f.ndim == 0) { /* oneDNN wants rank >= 1 */
        qa_tensor_view_reshape(&f, full, 1, (int64_t[]){1});
        sx = qa_op_expand(small, 1);
    }
    qa_tensor yv = *y;
    if (yv.ndim == 0) qa_tensor_view_reshape(&yv, y, 1, (int64_t[]){1});
    if ((s = qa_op_binary(ctx, &yv, &f, &sx, alg, 0))) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, op, y))) return s;
    if (e) {
        e->nin = 2;
        e->in[0] = *a;
        e->in[1] = *b;
    }
    return QA_OK;
}

/* the output is built aside and stored last, so y may alias an input (x = x + b) */
static qa_status binary_forward(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b, int op,
                                dnnl_alg_kind_t alg)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, qa_op_table[op].name);
    if (!s) s = binary_forward_impl(ctx, &out, a, b, op, alg);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_add(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b)
{
    return binary_forward(ctx, y, a, b, QA_OP_add, dnnl_binary_add);
}

qa_status qa_mul(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b)
{
    return binary_forward(ctx, y, a, b, QA_OP_mul, dnnl_binary_mul);
}

/* Rank >= 1 views of the entry's operands and gradients. */
typedef struct {
    const qa_tensor *full, *small;
    qa_tensor f, sx, gf, gsx, gy;
} bin_views;

static qa_status bin_views_of(bin_views *v, const qa_tape_entry *e)
{
    qa_status s = bcast_roles(qa_op_table[e->op].name, &e->in[0], &e->in[1], &v->full, &v->small, &v->sx);
    if (s) return s;
    int nd = v->full->ndim ? v->full->ndim : 1;
    v->f = qa_op_expand(v->full, nd);
    v->sx = qa_op_expand(v->small, nd);
    v->gf = qa_grad_view(&v->f);
    v->gsx = qa_grad_view(&v->sx);
    qa_tensor out = qa_op_expand(&e->out, nd);
    v->gy = qa_grad_view(&out);
    return QA_OK;
}

static bool is_broadcast(const bin_views *v)
{
    for (int i = 0; i < v->f.ndim; i++)
        if (v->sx.shape[i] != v->f.shape[i]) return true;
    return false;
}

/* When small is (1, .., 1, trailing dims of full) and full_term and small's gradient can be seen
 * as (rows, cols) and (1, cols): the bias-add pattern, summed by one matmul. */
static bool colsum_views(const bin_views *v, const qa_tensor *full_term, qa_tensor *src2, qa_tensor *dst2)
{
    int nd = v->f.ndim, k = 0;
    while (k < nd && v->sx.shape[k] == 1) k++;
    if (k == 0) return false;
    int64_t rows = 1, cols = 1;
    for (int i = 0; i < k; i++) rows *= v->f.shape[i];
    for (int i = k; i < nd; i++) {
        if (v->sx.shape[i] != v->f.shape[i]) return false;
        cols *= v->f.shape[i];
    }
    if (!qa_tensor_is_contiguous(full_term)) return false;
    /* small's trailing dims must merge into one run of stride s (its last stride) */
    int64_t s = v->gsx.stride[nd - 1], expect = s;
    for (int i = nd - 1; i >= k; i--) {
        if (v->sx.shape[i] > 1 && v->gsx.stride[i] != expect) return false;
        expect *= v->sx.shape[i];
    }
    *src2 = *full_term;
    src2->ndim = 2;
    src2->shape[0] = rows;
    src2->shape[1] = cols;
    src2->stride[0] = cols;
    src2->stride[1] = 1;
    *dst2 = v->gsx;
    dst2->ndim = 2;
    dst2->shape[0] = 1;
    dst2->shape[1] = cols;
    dst2->stride[0] = cols * s;
    dst2->stride[1] = s;
    return true;
}

/* d(small) += sum over broadcast dims of `full_term` (a full-shape tensor). */
static qa_status reduce_into_small(qa_ctx *ctx, const bin_views *v, const qa_tensor *full_term)
{
    qa_tensor src2, dst2;
    if (colsum_views(v, full_term, &src2, &dst2)) {
        if (!(src2.dtype == QA_F32 && dst2.dtype == QA_BF16)) return qa_op_colsum_acc(ctx, &dst2, &src2);
        /* oneDNN 2.6 matmul has no f32 -> bf16 destination: sum into f32, then accumulate */
        qa_tensor r2;
        qa_status s = qa_op_temp(ctx, &r2, QA_F32, 2, dst2.shape);
        if (s) return s;
        memset(r2.data, 0, (size_t)dst2.shape[1] * sizeof(float));
        if (!s) s = qa_op_colsum_acc(ctx, &r2, &src2);
        if (!s) s = qa_op_accumulate(ctx, &dst2, &r2, 1.f);
        return s;
    }
    qa_tensor r;
    qa_status s = qa_op_temp(ctx, &r, QA_F32, v->sx.ndim, v->sx.shape);
    if (!s) s = qa_op_reduce_sum(ctx, &r, full_term);
    if (!s) s = qa_op_accumulate(ctx, &v->gsx, &r, 1.f);
    return s;
}

qa_status qa_add_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    bin_views v;
    qa_status s = bin_views_of(&v, e);
    if (s) return s;
    if (qa_wants_grad(v.full) && (s = qa_op_accumulate(ctx, &v.gf, &v.gy, 1.f))) return s;
    if (qa_wants_grad(v.small)) {
        size_t mark = qa_arena_mark(&ctx->step);
        s = is_broadcast(&v) ? reduce_into_small(ctx, &v, &v.gy) : qa_op_accumulate(ctx, &v.gsx, &v.gy, 1.f);
        qa_arena_rewind(&ctx->step, mark);
    }
    return s;
}

qa_status qa_mul_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    bin_views v;
    qa_status s = bin_views_of(&v, e);
    if (s) return s;
    /* d(small) first: when a and b are the same tensor both terms land in one buffer, either order is right */
    if (qa_wants_grad(v.small)) {
        if (!is_broadcast(&v)) {
            s = qa_op_binary(ctx, &v.gsx, &v.gy, &v.f, dnnl_binary_mul, 1);
        } else {
            size_t mark = qa_arena_mark(&ctx->step);
            qa_tensor t;
            /* f32 products: rounding them to bf16 before the sum would add one rounding per term
             * (oneDNN 2.6 runs bf16 x bf16 -> f32 binary on a reference kernel: exact, slower) */
            s = qa_op_temp(ctx, &t, QA_F32, v.f.ndim, v.f.shape);
            if (!s) s = qa_op_binary(ctx, &t, &v.gy, &v.f, dnnl_binary_mul, 0);
            if (!s) s = reduce_into_small(ctx, &v, &t);
            qa_arena_rewind(&ctx->step, mark);
        }
        if (s) return s;
    }
    if (qa_wants_grad(v.full)) s = qa_op_binary(ctx, &v.gf, &v.gy, &v.sx, dnnl_binary_mul, 1);
    return s;
}

static qa_status scale_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, float alpha)
{
    qa_status s = qa_tensor_check(x, "scale", "x", 0, 4, QA_DT_FLOAT);
    if (s) return s;
    if ((s = qa_op_output(ctx, y, x->dtype, x->ndim, x->shape, qa_needs_grad(ctx, x, NULL, NULL)))) return s;
    /* a reorder with an output scale handles any input strides in one pass */
    if ((s = qa_op_reorder(ctx, y, x, alpha, 0))) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record_unary(ctx, &e, QA_OP_scale, y, x))) return s;
    if (e) e->farg[0] = alpha;
    return QA_OK;
}

qa_status qa_scale(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, float alpha)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "scale");
    if (!s) s = scale_impl(ctx, &out, x, alpha);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_scale_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    if (!qa_wants_grad(&e->in[0])) return QA_OK;
    qa_tensor gx = qa_grad_view(&e->in[0]), gy = qa_grad_view(&e->out);
    return qa_op_accumulate(ctx, &gx, &gy, (float)e->farg[0]);
}

/* ---- double references ---- */

int64_t qa_ref_bcast_index(int64_t i, int nd, const int64_t *full, const int64_t *small)
{
    int64_t idx = 0, mul = 1;
    for (int d = nd - 1; d >= 0; d--) {
        int64_t c = i % full[d];
        i /= full[d];
        if (small[d] != 1) idx += c * mul;
        mul *= small[d];
    }
    return idx;
}

static int64_t prod(int nd, const int64_t *s)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= s[i];
    return n;
}

void qa_ref_add(double *y, const double *a, const double *b, int nd, const int64_t *full, const int64_t *bshape)
{
    for (int64_t i = 0, n = prod(nd, full); i < n; i++) y[i] = a[i] + b[qa_ref_bcast_index(i, nd, full, bshape)];
}

void qa_ref_add_backward(double *da, double *db, const double *dy, int nd, const int64_t *full, const int64_t *bshape)
{
    for (int64_t i = 0, n = prod(nd, full); i < n; i++) {
        if (da) da[i] += dy[i];
        if (db) db[qa_ref_bcast_index(i, nd, full, bshape)] += dy[i];
    }
}

void qa_ref_mul(double *y, const double *a, const double *b, int nd, const int64_t *full, const int64_t *bshape)
{
    for (int64_t i = 0, n = prod(nd, full); i < n; i++) y[i] = a[i] * b[qa_ref_bcast_index(i, nd, full, bshape)];
}

void qa_ref_mul_backward(double *da, double *db, const double *dy, const double *a, const double *b, int nd,
                         const int64_t *full, const int64_t *bshape)
{
    for (int64_t i = 0, n = prod(nd, full); i < n; i++) {
        int64_t j = qa_ref_bcast_index(i, nd, full, bshape);
        if (da) da[i] += dy[i] * b[j];
        if (db) db[j] += dy[i] * a[i];
    }
}
