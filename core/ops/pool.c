/* core/ops/pool: average pooling over time (kernel 2, stride 2, floor) on oneDNN pooling, forward
 * and backward, and its double reference. See core/ops/pool.h for the op, core/ops/ref_nn.h for
 * the reference. */
#include "core/ops/ref_nn.h"

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

void qa_ref_avgpool_time_fwd(double *y, const double *x, int64_t B, int64_t T, int64_t D)
{
    int64_t To = T / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < To; t++)
            for (int64_t d = 0; d < D; d++)
                y[(b * To + t) * D + d] = 0.5 * (x[(b * T + 2 * t) * D + d] + x[(b * T + 2 * t + 1) * D + d]);
}

void qa_ref_avgpool_time_bwd(double *dx, const double *dy, int64_t B, int64_t T, int64_t D)
{
    int64_t To = T / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < To; t++)
            for (int64_t d = 0; d < D; d++) {
                double g = 0.5 * dy[(b * To + t) * D + d];
                dx[(b * T + 2 * t) * D + d] += g;
                dx[(b * T + 2 * t + 1) * D + d] += g;
            }
}
