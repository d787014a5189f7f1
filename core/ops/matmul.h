/* core/ops/matmul: matrix products (oneDNN matmul primitive), forward and backward, and their
 * plain-C double references.
 *
 *   qa_matmul(ctx, &y, &a, &b, 0);            // a (..., M, K) b (..., K, N) -> y (..., M, N)
 *   qa_matmul(ctx, &y, &a, &b, QA_TRANS_B);   // b given as (..., N, K)
 *   qa_linear(ctx, &y, &x, &w, &bias);        // x (..., In), w (Out, In), bias (Out) or NULL -> y (..., Out)
 *
 * Batch dims (up to 2) must be equal in a and b, or b is 2-d and shared by every batch item (then
 * a's batch and row dims must merge into one, as for a contiguous a). Operands may be strided views
 * (transposed, sliced); no copy is made. a and b share one float dtype (f32 or bf16); y has it too.
 * Backward: da += dy b^T, db += a^T dy, dbias += column sums of dy, each one oneDNN matmul with a
 * sum post-op (accumulation happens inside the primitive, no temporary). */
#ifndef QA_CORE_OPS_MATMUL_H
#define QA_CORE_OPS_MATMUL_H

#include <stdint.h>

#include "core/ctx.h"

#define QA_TRANS_A 1
#define QA_TRANS_B 2

qa_status qa_matmul(qa_ctx *ctx, qa_tensor *y, const qa_tensor *a, const qa_tensor *b, int flags);
qa_status qa_linear(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *bias);

/* Raw product c (+)= a b for same-ndim (2..4) operands whose batch dims are equal (or 1 in b):
 * the building block of both ops, exposed for other families (attention). bias (1, N) or NULL. */
qa_status qa_mm_exec(qa_ctx *ctx, const qa_tensor *c, const qa_tensor *a, const qa_tensor *b, const qa_tensor *bias,
                     int accumulate);

/* Double references on contiguous row-major arrays. batch items: a (batch, M, K) (or (batch, K, M)
 * with QA_TRANS_A), b (batch or 1, K, N) (or (., N, K) with QA_TRANS_B), y (batch, M, N).
 * Backwards ADD into da/db (either may be NULL). */
void qa_ref_matmul(double *y, const double *a, const double *b, int64_t batch, int64_t M, int64_t K, int64_t N,
                   int flags, int b_shared);
void qa_ref_matmul_backward(double *da, double *db, const double *dy, const double *a, const double *b, int64_t batch,
                            int64_t M, int64_t K, int64_t N, int flags, int b_shared);
/* x (R, In), w (Out, In), bias (Out) or NULL, y (R, Out). */
void qa_ref_linear(double *y, const double *x, const double *w, const double *bias, int64_t R, int64_t In, int64_t Out);
void qa_ref_linear_backward(double *dx, double *dw, double *dbias, const double *dy, const double *x, const double *w,
                            int64_t R, int64_t In, int64_t Out);

#endif
