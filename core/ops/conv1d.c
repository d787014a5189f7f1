/* core/ops/conv1d: 1-d convolution over time (the Whisper stem: 80->D k3 s1 p1, D->D k3 s2 p1),
 * forward, backward-data and backward-weights on oneDNN, and its plain-C double reference.
 * See core/ops/conv1d.h for the op, core/ops/ref_nn.h for the reference. */
#include <string.h>

#include "core/ops/ref_nn.h"

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

int64_t qa_ref_conv1d_out_len(int64_t T, int64_t K, int64_t stride, int64_t pad)
{
    return (T + 2 * pad - K) / stride + 1;
}

void qa_ref_conv1d_fwd(double *y, const double *x, const double *w, const double *b, int64_t B,
                       int64_t Cin, int64_t Cout, int64_t T, int64_t K, int64_t stride, int64_t pad)
{
    int64_t To = qa_ref_conv1d_out_len(T, K, stride, pad);
    for (int64_t n = 0; n < B; n++)
        for (int64_t o = 0; o < Cout; o++)
            for (int64_t t = 0; t < To; t++) {
                double acc = b ? b[o] : 0.0;
                for (int64_t c = 0; c < Cin; c++)
                    for (int64_t kk = 0; kk < K; kk++) {
                        int64_t ti = t * stride - pad + kk;
                        if (ti < 0 || ti >= T) continue;
                        acc += w[(o * Cin + c) * K + kk] * x[(n * Cin + c) * T + ti];
                    }
                y[(n * Cout + o) * To + t] = acc;
            }
}

void qa_ref_conv1d_bwd(double *dx, double *dw, double *db, const double *dy, const double *x,
                       const double *w, int64_t B, int64_t Cin, int64_t Cout, int64_t T, int64_t K,
                       int64_t stride, int64_t pad)
{
    int64_t To = qa_ref_conv1d_out_len(T, K, stride, pad);
    for (int64_t n = 0; n < B; n++)
        for (int64_t o = 0; o < Cout; o++)
            for (int64_t t = 0; t < To; t++) {
                double g = dy[(n * Cout + o) * To + t];
                if (db) db[o] += g;
                for (int64_t c = 0; c < Cin; c++)
                    for (int64_t kk = 0; kk < K; kk++) {
                        int64_t ti = t * stride - pad + kk;
                        if (ti < 0 || ti >= T) continue;
                        if (dw) dw[(o * Cin + c) * K + kk] += g * x[(n * Cin + c) * T + ti];
                        if (dx) dx[(n * Cin + c) * T + ti] += g * w[(o * Cin + c) * K + kk];
                    }
            }
}
