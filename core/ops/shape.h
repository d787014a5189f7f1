/* core/ops/shape: ops that move data without arithmetic: views (reshape, transpose, slice: no copy,
 * gradients flow by aliasing, no tape entry), copy (contiguous, optional dtype change), concat,
 * row scatter (the audio splice) and argmax (no gradient). Copies run on cached oneDNN reorders.
 *
 *   qa_reshape(ctx, &y, &x, 3, (int64_t[]){B, T, D});     // x must be contiguous
 *   qa_transpose(ctx, &y, &x, 1, 2);                       // (B, T, H, Dh) -> (B, H, T, Dh) view
 *   qa_slice(ctx, &y, &x, 0, t0, n);                       // rows t0..t0+n-1 along dim 0
 *   qa_copy(ctx, &y, &x, QA_BF16);                         // contiguous copy, converted
 *   qa_concat(ctx, &y, 2, (qa_tensor[]){a, b}, 0);         // any number of inputs along `dim`
 *                                                          // (more than 4 are joined in rounds)
 *   qa_row_scatter(ctx, &y, &tok, &audio, (int64_t[]){5}); // y = tok with rows 5..5+A-1 := audio
 *   qa_argmax(ctx, &ids, &logits);                          // (..., V) -> (...) i32
 *
 * row scatter: x (..., R, D), src (..., n, D) with the same leading dims and D; r0 holds one start
 * row per leading index (prod of leading dims entries), each in [0, R - n]. Backward: dx += dy
 * outside the replaced rows (a 0/1 row mask, one binary primitive), dsrc += the replaced rows of dy. */
#ifndef QA_CORE_OPS_SHAPE_H
#define QA_CORE_OPS_SHAPE_H

#include <stdint.h>

#include "core/ctx.h"

#define QA_CONCAT_MAX 4 /* inputs per tape entry; qa_concat chains rounds beyond it */

qa_status qa_reshape(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int ndim, const int64_t *shape);
qa_status qa_transpose(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int d0, int d1);
qa_status qa_slice(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, int dim, int64_t start, int64_t len);
qa_status qa_copy(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, qa_dtype dtype);
qa_status qa_concat(qa_ctx *ctx, qa_tensor *y, int n, const qa_tensor *xs, int dim);
qa_status qa_row_scatter(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *src, const int64_t *r0);
qa_status qa_argmax(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x);

/* Double references (contiguous row-major). concat of n blocks along dim: outer = prod(shape[:dim]),
 * inner[i] = shape_i[dim] * prod(shape[dim+1:]). row scatter: B items of (R, D), src (B, n, D). */
void qa_ref_concat(double *y, const double *const *xs, int n, int64_t outer, const int64_t *inner);
void qa_ref_concat_backward(double *const *dxs, const double *dy, int n, int64_t outer, const int64_t *inner);
void qa_ref_row_scatter(double *y, const double *x, const double *src, int64_t B, int64_t R, int64_t D, int64_t n,
                        const int64_t *r0);
void qa_ref_row_scatter_backward(double *dx, double *dsrc, const double *dy, int64_t B, int64_t R, int64_t D,
                                 int64_t n, const int64_t *r0);

#endif
