/* core/ops/softmax: softmax over the last axis on oneDNN, forward and backward, and its double
 * reference. See core/ops/softmax.h for the op, core/ops/ref_nn.h for the reference. */
#include <math.h>

#include "core/ops/ref_nn.h"

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

void qa_ref_softmax_fwd(double *y, const double *x, int64_t N, int64_t D)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D;
        double mx = -INFINITY, sum = 0;
        for (int64_t i = 0; i < D; i++)
            if (xr[i] > mx) mx = xr[i];
        if (mx == -INFINITY) {
            for (int64_t i = 0; i < D; i++) y[n * D + i] = 0;
            continue;
        }
        for (int64_t i = 0; i < D; i++) sum += (y[n * D + i] = exp(xr[i] - mx));
        for (int64_t i = 0; i < D; i++) y[n * D + i] /= sum;
    }
}

void qa_ref_softmax_bwd(double *dx, const double *dy, const double *y, int64_t N, int64_t D)
{
    for (int64_t n = 0; n < N; n++) {
        double dot = 0;
        for (int64_t i = 0; i < D; i++) dot += dy[n * D + i] * y[n * D + i];
        for (int64_t i = 0; i < D; i++) dx[n * D + i] += y[n * D + i] * (dy[n * D + i] - dot);
    }
}
