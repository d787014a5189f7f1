/* core/ops/elementwise: add, mul and scale (oneDNN binary, eltwise and reorder primitives), forward
 * and backward, with double references.
 *
 *   qa_add(ctx, &y, &a, &b);     // y = a + b; b (or a) may broadcast: trailing-aligned dims equal or 1
 *                                //   bias add: (T, D) + (D); residual: (B, T, D) + (B, T, D)
 *   qa_mul(ctx, &y, &a, &b);     // y = a * b, same broadcasting
 *   qa_scale(ctx, &y, &x, 0.125f);  // y = alpha * x
 * The output has the larger operand's shape and is contiguous; operands may be strided views and
 * must share one float dtype. Backward of a broadcast operand sums dy over the broadcast dims
 * (oneDNN reduction into an f32 temporary, then accumulated). */
#ifndef QA_CORE_OPS_ELEMENTWISE_H
#define QA_CORE_OPS_ELEMENTWISE_H

#include <stdint.h>

#include "core/ctx.h"

qa_status qa_add(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b);
qa_status qa_mul(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b);
qa_status qa_scale(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, float alpha);

/* Double references. a (n elements of the full shape), b broadcast: b_index(i) gives b's element for
 * full flat index i, computed from the shapes (full rank nd, b shape expanded to nd). */
int64_t qa_ref_bcast_index(int64_t i, int nd, const int64_t *full, const int64_t *small);
void qa_ref_add(double *y, const double *a, const double *b, int nd, const int64_t *full, const int64_t *bshape);
void qa_ref_add_backward(double *da, double *db, const double *dy, int nd, const int64_t *full, const int64_t *bshape);
void qa_ref_mul(double *y, const double *a, const double *b, int nd, const int64_t *full, const int64_t *bshape);
void qa_ref_mul_backward(double *da, double *db, const double *dy, const double *a, const double *b, int nd,
                         const int64_t *full, const int64_t *bshape);

#endif
