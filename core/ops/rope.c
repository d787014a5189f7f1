/* core/ops/rope: rotary position embedding (GPT-NeoX rotate-half over the whole head dim,
 * configurable base, positions pos0..pos0+T-1), forward and backward hand-written in fp32, and its
 * double reference. See core/ops/rope.h for the op, core/ops/ref_nn.h for the reference. */
#include <math.h>

#include "core/ops/ref_nn.h"

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). The backward of a rotation by +angle is the rotation
 * by -angle. */

static void ref_rope(double *y, const double *x, int64_t B, int64_t T, int64_t H, int64_t Dh,
                     double base, int64_t pos0, double sign, int accumulate)
{
    int64_t half = Dh / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t h = 0; h < H; h++) {
                const double *xr = x + ((b * T + t) * H + h) * Dh;
                double *yr = y + ((b * T + t) * H + h) * Dh;
                for (int64_t j = 0; j < half; j++) {
                    double ang = (double)(pos0 + t) * pow(base, -2.0 * (double)j / (double)Dh);
                    double c = cos(ang), s = sign * sin(ang);
                    double a = xr[j] * c - xr[j + half] * s, bb = xr[j + half] * c + xr[j] * s;
                    if (accumulate) {
                        yr[j] += a;
                        yr[j + half] += bb;
                    } else {
                        yr[j] = a;
                        yr[j + half] = bb;
                    }
                }
            }
}

void qa_ref_rope_fwd(double *y, const double *x, int64_t B, int64_t T, int64_t H, int64_t Dh,
                     double base, int64_t pos0)
{
    ref_rope(y, x, B, T, H, Dh, base, pos0, 1.0, 0);
}

void qa_ref_rope_bwd(double *dx, const double *dy, int64_t B, int64_t T, int64_t H, int64_t Dh,
                     double base, int64_t pos0)
{
    ref_rope(dx, dy, B, T, H, Dh, base, pos0, -1.0, 1);
}
