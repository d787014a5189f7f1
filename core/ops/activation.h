/* core/ops/activation: GELU (exact, erf form) and SiLU (x * sigmoid(x)) on the oneDNN eltwise
 * primitive (gelu_erf, swish with alpha 1), forward and backward, with double references.
 *
 *   qa_gelu(ctx, &y, &x);   // y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); same shape, contiguous
 *   qa_silu(ctx, &y, &x);   // y = x / (1 + exp(-x))
 * A strided x is first copied to a contiguous temporary (oneDNN 2.6 eltwise wants src and dst alike);
 * backward uses that copy, writes dx to a temporary and accumulates it (eltwise backward has no
 * sum post-op). */
#ifndef QA_CORE_OPS_ACTIVATION_H
#define QA_CORE_OPS_ACTIVATION_H

#include <stdint.h>

#include "core/ctx.h"

qa_status qa_gelu(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x);
qa_status qa_silu(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x);

void qa_ref_gelu(double *y, const double *x, int64_t n);
void qa_ref_gelu_backward(double *dx, const double *dy, const double *x, int64_t n);
void qa_ref_silu(double *y, const double *x, int64_t n);
void qa_ref_silu_backward(double *dx, const double *dy, const double *x, int64_t n);

#endif
