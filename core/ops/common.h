/* core/ops/common: helpers shared by the op family files (not a public API for models):
 * output allocation in the step arena, gradient views, and oneDNN-backed copy/accumulate.
 *
 *   qa_tensor y; qa_op_output(ctx, &y, QA_F32, 2, (int64_t[]){T, D}, qa_needs_grad(ctx, a, b, NULL));
 *   qa_tensor dx = qa_grad_view(&e->in[0]);        // data = x.grad, same shape and strides
 *   qa_op_accumulate(ctx, &dx, &dy_view, 0.5f);    // dx += 0.5 * dy   (oneDNN reorder + sum post-op)
 */
#ifndef QA_CORE_OPS_COMMON_H
#define QA_CORE_OPS_COMMON_H

#include "core/ctx.h"
#include "core/ops/ops.h"
#include "core/tensor.h"

/* Public op wrappers build the output aside and store it last, so the destination may alias an
 * input (h = gelu(h)) and is left untouched on error:
 *   qa_tensor out;
 *   qa_status s = qa_op_dst_begin(&out, y, "scale");      // QA_ERR_ARG when y is NULL
 *   if (!s) s = scale_impl(ctx, &out, x, alpha);
 *   return qa_op_dst_store(y, &out, s);                   // *y = out when s is QA_OK */
/* y is only tested for NULL; not const, or GCC takes the call for a read of uninitialised memory */
qa_status qa_op_dst_begin(qa_tensor *out, qa_tensor *y, const char *op);
qa_status qa_op_dst_store(qa_tensor *y, const qa_tensor *out, qa_status s);
/* Contiguous output in the step arena; with a zeroed gradient and requires_grad when needs_grad. */
qa_status qa_op_output(qa_ctx *ctx, qa_tensor *y, qa_dtype dt, int ndim, const int64_t *shape, bool needs_grad);
/* The gradient buffer of t seen as a tensor (data = t->grad, no grad of its own). */
qa_tensor qa_grad_view(const qa_tensor *t);
/* True when the backward must produce a gradient for t. */
static inline bool qa_wants_grad(const qa_tensor *t) { return t->requires_grad && t->grad; }
/* dst = alpha * src (accumulate = 0) or dst += alpha * src (accumulate = 1), any strides and
 * float dtypes, same shape. One cached oneDNN reorder. */
qa_status qa_op_reorder(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src, float alpha, int accumulate);
static inline qa_status qa_op_accumulate(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src, float alpha)
{
    return qa_op_reorder(ctx, dst, src, alpha, 1);
}
static inline qa_status qa_op_copy_into(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src)
{
    return qa_op_reorder(ctx, dst, src, 1.f, 0);
}
/* dst (= or +=) src0 <alg> src1 (dnnl_binary_add, _mul, ...). src1 has src0's rank with dims equal
 * or 1 (broadcast); dst has src0's shape. One cached oneDNN binary (sum post-op to accumulate). */
qa_status qa_op_binary(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src0, const qa_tensor *src1,
                       dnnl_alg_kind_t alg, int accumulate);
/* The same with post-ops on the result before the (accumulate) sum: dst (+)= scale * post(src0 <alg> src1),
 * post an eltwise (dnnl_eltwise_exp, ...; dnnl_alg_kind_undef for none) and scale 1 or -1 (a negation). */
qa_status qa_op_binary_post(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src0, const qa_tensor *src1,
                            dnnl_alg_kind_t alg, dnnl_alg_kind_t post, float scale, int accumulate);
/* dst = sum of src over the dims where dst has size 1 (same rank). oneDNN reduction. */
qa_status qa_op_reduce_sum(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src);
/* dst = eltwise(src) (forward_training). src and dst must be contiguous with the same shape. */
qa_status qa_op_eltwise_fwd(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src, dnnl_alg_kind_t alg, float alpha,
                            float beta);
/* diff_src = eltwise'(src) * diff_dst (written, not accumulated); all contiguous, same shape. */
qa_status qa_op_eltwise_bwd(qa_ctx *ctx, const qa_tensor *diff_src, const qa_tensor *diff_dst, const qa_tensor *src,
                            dnnl_alg_kind_t alg, float alpha, float beta);
/* A contiguous version of x: x itself, or a copy in the step arena (no gradient). */
qa_status qa_op_contiguous(qa_ctx *ctx, qa_tensor *out, const qa_tensor *x);
/* A contiguous scratch tensor in the step arena (release with qa_arena_mark/rewind). */
qa_status qa_op_temp(qa_ctx *ctx, qa_tensor *out, qa_dtype dt, int ndim, const int64_t *shape);
/* dst (1, C) += column sums of src (R, C): one oneDNN matmul ones(1, R) . src with a sum post-op
 * (brgemm; oneDNN 2.6's reduction over a leading dim is a slow reference kernel). dst may be f32
 * while src is bf16. */
qa_status qa_op_colsum_acc(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src);
/* View of t with leading size-1 dims added up to ndim (no copy). */
qa_tensor qa_op_expand(const qa_tensor *t, int ndim);
/* Shape mismatch message helper: QA_ERR_SHAPE "op: what a (..) and b (..) ...". */
qa_status qa_op_shape_error(const char *op, const char *what, const qa_tensor *a, const qa_tensor *b);

#endif
