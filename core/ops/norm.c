/* core/ops/norm: layer norm (weight and bias, oneDNN layer_normalization) and RMS norm (weight
 * only, hand-written: oneDNN 2.6 has none), forward and backward, and their double references.
 * See core/ops/norm.h for the ops, core/ops/ref_nn.h for the references. */
#include <math.h>

#include "core/ops/ref_nn.h"

/* ---------------------------------------------------------------------------------------------
 * Double-precision references (tests only). */

void qa_ref_layer_norm_fwd(double *y, const double *x, const double *w, const double *b, int64_t N,
                           int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D;
        double mu = 0, var = 0;
        for (int64_t i = 0; i < D; i++) mu += xr[i];
        mu /= (double)D;
        for (int64_t i = 0; i < D; i++) var += (xr[i] - mu) * (xr[i] - mu);
        var /= (double)D;
        double rs = 1.0 / sqrt(var + eps);
        for (int64_t i = 0; i < D; i++) y[n * D + i] = (xr[i] - mu) * rs * w[i] + b[i];
    }
}

void qa_ref_layer_norm_bwd(double *dx, double *dw, double *db, const double *dy, const double *x,
                           const double *w, int64_t N, int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D, *g = dy + n * D;
        double mu = 0, var = 0;
        for (int64_t i = 0; i < D; i++) mu += xr[i];
        mu /= (double)D;
        for (int64_t i = 0; i < D; i++) var += (xr[i] - mu) * (xr[i] - mu);
        var /= (double)D;
        double rs = 1.0 / sqrt(var + eps);
        /* xhat = (x - mu) rs; dxhat = dy w; dx = rs (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) */
        double m1 = 0, m2 = 0;
        for (int64_t i = 0; i < D; i++) {
            double xh = (xr[i] - mu) * rs, dxh = g[i] * w[i];
            m1 += dxh;
            m2 += dxh * xh;
            if (dw) dw[i] += g[i] * xh;
            if (db) db[i] += g[i];
        }
        m1 /= (double)D;
        m2 /= (double)D;
        if (dx)
            for (int64_t i = 0; i < D; i++) {
                double xh = (xr[i] - mu) * rs;
                dx[n * D + i] += rs * (g[i] * w[i] - m1 - xh * m2);
            }
    }
}

void qa_ref_rms_norm_fwd(double *y, const double *x, const double *w, int64_t N, int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        double ss = 0;
        for (int64_t i = 0; i < D; i++) ss += x[n * D + i] * x[n * D + i];
        double rs = 1.0 / sqrt(ss / (double)D + eps);
        for (int64_t i = 0; i < D; i++) y[n * D + i] = x[n * D + i] * rs * w[i];
    }
}

void qa_ref_rms_norm_bwd(double *dx, double *dw, const double *dy, const double *x, const double *w,
                         int64_t N, int64_t D, double eps)
{
    for (int64_t n = 0; n < N; n++) {
        const double *xr = x + n * D, *g = dy + n * D;
        double ss = 0;
        for (int64_t i = 0; i < D; i++) ss += xr[i] * xr[i];
        double rs = 1.0 / sqrt(ss / (double)D + eps);
        /* y = x rs w; dx = rs (dy w) - x rs^3 mean(dy w x) */
        double m = 0;
        for (int64_t i = 0; i < D; i++) {
            m += g[i] * w[i] * xr[i];
            if (dw) dw[i] += g[i] * xr[i] * rs;
        }
        m /= (double)D;
        if (dx)
            for (int64_t i = 0; i < D; i++) dx[n * D + i] += rs * g[i] * w[i] - xr[i] * rs * rs * rs * m;
    }
}
