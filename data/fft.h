/* data/fft: a small mixed-radix complex FFT in double precision (Stockham autosort, radices
 * 4, 2, 3, 5 and a generic odd-prime butterfly), and the real-input DFT built on it. It exists for
 * the log-mel front end (a 400-point real DFT per 10-ms frame); double precision keeps the power
 * spectrum accurate far below the log-mel tolerance.
 *
 * Usage:
 *   qa_fft_plan *p; qa_fft_plan_new(&p, 400);                 // real transform of length 400
 *   double spec[2 * 201];                                     // (201, re/im) interleaved
 *   qa_fft_real_forward(p, x, spec);                           // x: (400,) double
 *   qa_fft_plan_free(p);
 * A plan holds scratch space: use one per thread. */
#ifndef QA_DATA_FFT_H
#define QA_DATA_FFT_H

#include <stddef.h>

#include "core/status.h"

typedef struct qa_fft_plan qa_fft_plan;

/* Plan for a real-input DFT of even length n (its complex half-length n/2 must factor into
 * primes <= 97). */
qa_status qa_fft_plan_new(qa_fft_plan **out, int n);
void qa_fft_plan_free(qa_fft_plan *p);
int qa_fft_plan_size(const qa_fft_plan *p);

/* out[2k], out[2k+1] = Re, Im of X[k] = sum_t x[t] exp(-2 pi i k t / n), k = 0 .. n/2.
 * x: (n,) double; out: (n/2 + 1, 2) double. */
void qa_fft_real_forward(qa_fft_plan *p, const double *x, double *out);

/* Complex forward DFT of length n/2 in place: z (n/2, 2) interleaved re/im. Exposed for tests. */
void qa_fft_complex_forward(qa_fft_plan *p, double *z);

#endif
