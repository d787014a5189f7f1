/* data/fft: mixed-radix Stockham FFT in double precision and the real-input DFT on top of it
 * (see fft.h). Why our own: the log-mel front end needs one fixed small size (a 400-point real
 * DFT, i.e. a 200-point complex FFT = 4 x 2 x 5 x 5), and a short, exact, well-tested transform
 * is cheaper to own than a dependency. Complex numbers are plain (re, im) double pairs: C's
 * `double complex` multiply calls __muldc3 for inf/nan handling and is several times slower. */
#include "data/fft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QA_FFT_MAX_STAGES 32
#define QA_FFT_MAX_RADIX 97

typedef struct {
    double re, im;
} cpx;

typedef struct {
    int p;        /* radix of this stage */
    int n;        /* sub-transform length entering this stage */
    int s;        /* stride (number of interleaved sub-transforms) */
    cpx *tw;      /* (n/p, p-1): exp(-2 pi i * i * k / n) for i < n/p, k = 1..p-1 */
    cpx *roots;   /* (p,): exp(-2 pi i * j / p) for the generic odd butterfly */
} fft_stage;

struct qa_fft_plan {
    int n;                 /* real length */
    int h;                 /* complex length n/2 */
    int nstages;
    fft_stage st[QA_FFT_MAX_STAGES];
    cpx *wr;               /* (h+1,): exp(-2 pi i k / n), real-DFT post-processing */
    cpx *a, *b;            /* (h,) ping-pong work buffers */
};

static cpx cexp_neg(double num, double den) {
    /* exp(-2 pi i num/den), angle reduced first so large products keep full precision */
    double ang = 2.0 * M_PI * fmod(num, den) / den;
    cpx w = {cos(ang), -sin(ang)};
    return w;
}

void qa_fft_plan_free(qa_fft_plan *p) {
    if (!p) return;
    for (int i = 0; i < p->nstages; i++) {
        free(p->st[i].tw);
        free(p->st[i].roots);
    }
    free(p->wr);
    free(p->a);
    free(p->b);
    free(p);
}

int qa_fft_plan_size(const qa_fft_plan *p) { return p ? p->n : 0; }

qa_status qa_fft_plan_new(qa_fft_plan **out, int n) {
    *out = NULL;
    if (n < 2 || n % 2 || n > (1 << 24))
        return qa_error(QA_ERR_ARG, "FFT length %d: must be even, between 2 and 2^24", n);
    qa_fft_plan *p = calloc(1, sizeof *p);
    if (!p) return qa_error(QA_ERR_NOMEM, "FFT plan of length %d: out of memory", n);
    p->n = n;
    p->h = n / 2;
    /* factor h: 4s first (cheapest butterfly), then 2, then odd primes */
    int rem = p->h, len = p->h, stride = 1;
    while (rem > 1) {
        int r;
        if (rem % 4 == 0) r = 4;
        else if (rem % 2 == 0) r = 2;
        else {
            r = 3;
            while (rem % r) r += 2;
        }
        if (r > QA_FFT_MAX_RADIX || p->nstages == QA_FFT_MAX_STAGES) {
            qa_fft_plan_free(p);
            return qa_error(QA_ERR_UNSUPPORTED, "FFT length %d: factor %d larger than %d is not supported", n, r,
                            QA_FFT_MAX_RADIX);
        }
        fft_stage *s = &p->st[p->nstages++];
        s->p = r;
        s->n = len;
        s->s = stride;
        int m = len / r;
        s->tw = malloc(sizeof(cpx) * (size_t)m * (size_t)(r - 1));
        s->roots = malloc(sizeof(cpx) * (size_t)r);
        if (!s->tw || !s->roots) {
            qa_fft_plan_free(p);
            return qa_error(QA_ERR_NOMEM, "FFT plan of length %d: out of memory", n);
        }
        for (int i = 0; i < m; i++)
            for (int k = 1; k < r; k++) s->tw[i * (r - 1) + k - 1] = cexp_neg((double)i * k, len);
        for (int j = 0; j < r; j++) s->roots[j] = cexp_neg(j, r);
        rem /= r;
        len /= r;
        stride *= r;
    }
    p->wr = malloc(sizeof(cpx) * (size_t)(p->h + 1));
    p->a = malloc(sizeof(cpx) * (size_t)p->h);
    p->b = malloc(sizeof(cpx) * (size_t)p->h);
    if (!p->wr || !p->a || !p->b) {
        qa_fft_plan_free(p);
        return qa_error(QA_ERR_NOMEM, "FFT plan of length %d: out of memory", n);
    }
    for (int k = 0; k <= p->h; k++) p->wr[k] = cexp_neg(k, n);
    *out = p;
    return QA_OK;
}

/* One Stockham decimation-in-frequency stage: x (n*s interleaved) -> y, with
 * y[q + s*(p*i + k)] = w^(i*k) * sum_r x[q + s*(i + r*m)] * exp(-2 pi i r k / p). */
static void stage_run(const fft_stage *st, const cpx *x, cpx *y) {
    const int p = st->p, s = st->s, m = st->n / p;
    if (p == 4) {
        for (int i = 0; i < m; i++) {
            const cpx *w = st->tw + (size_t)i * 3;
            for (int q = 0; q < s; q++) {
                cpx a0 = x[q + s * i], a1 = x[q + s * (i + m)], a2 = x[q + s * (i + 2 * m)], a3 = x[q + s * (i + 3 * m)];
                cpx t0 = {a0.re + a2.re, a0.im + a2.im}, t1 = {a0.re - a2.re, a0.im - a2.im};
                cpx t2 = {a1.re + a3.re, a1.im + a3.im};
                cpx t3 = {a1.im - a3.im, a3.re - a1.re}; /* -i * (a1 - a3) */
                cpx b0 = {t0.re + t2.re, t0.im + t2.im}, b2 = {t0.re - t2.re, t0.im - t2.im};
                cpx b1 = {t1.re + t3.re, t1.im + t3.im}, b3 = {t1.re - t3.re, t1.im - t3.im};
                cpx *o = y + q + (size_t)s * 4 * i;
                o[0] = b0;
                o[s].re = b1.re * w[0].re - b1.im * w[0].im;
                o[s].im = b1.re * w[0].im + b1.im * w[0].re;
                o[2 * s].re = b2.re * w[1].re - b2.im * w[1].im;
                o[2 * s].im = b2.re * w[1].im + b2.im * w[1].re;
                o[3 * s].re = b3.re * w[2].re - b3.im * w[2].im;
                o[3 * s].im = b3.re * w[2].im + b3.im * w[2].re;
            }
        }
    } else if (p == 2) {
        for (int i = 0; i < m; i++) {
            cpx w = st->tw[i];
            for (int q = 0; q < s; q++) {
                cpx a0 = x[q + s * i], a1 = x[q + s * (i + m)];
                cpx d = {a0.re - a1.re, a0.im - a1.im};
                cpx *o = y + q + (size_t)s * 2 * i;
                o[0].re = a0.re + a1.re;
                o[0].im = a0.im + a1.im;
                o[s].re = d.re * w.re - d.im * w.im;
                o[s].im = d.re * w.im + d.im * w.re;
            }
        }
    } else {
        /* odd prime p: pair r with p-r, S_r = a_r + a_{p-r}, D_r = a_r - a_{p-r};
         * b_k = a0 + sum S_r cos(2 pi r k/p) -/+ i sum D_r sin(2 pi r k/p) for k and p-k */
        const int half = (p - 1) / 2;
        cpx a[QA_FFT_MAX_RADIX], S[QA_FFT_MAX_RADIX / 2 + 1], D[QA_FFT_MAX_RADIX / 2 + 1], b[QA_FFT_MAX_RADIX];
        for (int i = 0; i < m; i++) {
            const cpx *w = st->tw + (size_t)i * (p - 1);
            for (int q = 0; q < s; q++) {
                for (int r = 0; r < p; r++) a[r] = x[q + s * (i + r * m)];
                cpx b0 = a[0];
                for (int r = 1; r <= half; r++) {
                    S[r].re = a[r].re + a[p - r].re;
                    S[r].im = a[r].im + a[p - r].im;
                    D[r].re = a[r].re - a[p - r].re;
                    D[r].im = a[r].im - a[p - r].im;
                    b0.re += S[r].re;
                    b0.im += S[r].im;
                }
                b[0] = b0;
                for (int k = 1; k <= half; k++) {
                    cpx A = a[0], B = {0, 0};
                    for (int r = 1; r <= half; r++) {
                        const cpx rt = st->roots[(r * k) % p]; /* (cos, -sin) */
                        A.re += S[r].re * rt.re;
                        A.im += S[r].im * rt.re;
                        B.re -= D[r].re * rt.im;
                        B.im -= D[r].im * rt.im;
                    }
                    b[k].re = A.re + B.im;
                    b[k].im = A.im - B.re;
                    b[p - k].re = A.re - B.im;
                    b[p - k].im = A.im + B.re;
                }
                cpx *o = y + q + (size_t)s * p * i;
                o[0] = b[0];
                for (int k = 1; k < p; k++) {
                    const cpx t = w[k - 1];
                    o[(size_t)s * k].re = b[k].re * t.re - b[k].im * t.im;
                    o[(size_t)s * k].im = b[k].re * t.im + b[k].im * t.re;
                }
            }
        }
    }
}

/* Runs all stages starting from p->a; returns the buffer holding the result. */
static cpx *fft_run(qa_fft_plan *p) {
    cpx *x = p->a, *y = p->b;
    for (int i = 0; i < p->nstages; i++) {
        stage_run(&p->st[i], x, y);
        cpx *t = x;
        x = y;
        y = t;
    }
    return x;
}

void qa_fft_complex_forward(qa_fft_plan *p, double *z) {
    memcpy(p->a, z, sizeof(cpx) * (size_t)p->h);
    cpx *r = fft_run(p);
    memcpy(z, r, sizeof(cpx) * (size_t)p->h);
}

void qa_fft_real_forward(qa_fft_plan *p, const double *x, double *out) {
    const int h = p->h;
    /* pack even/odd samples as one complex sequence of half length */
    memcpy(p->a, x, sizeof(double) * (size_t)p->n);
    const cpx *Z = fft_run(p);
    for (int k = 0; k <= h; k++) {
        cpx zk = Z[k == h ? 0 : k], zc = Z[k == 0 ? 0 : h - k];
        zc.im = -zc.im; /* conj(Z[h-k]) */
        /* E = (zk + zc)/2 (even samples' DFT), O = -i (zk - zc)/2 (odd samples' DFT) */
        double er = 0.5 * (zk.re + zc.re), ei = 0.5 * (zk.im + zc.im);
        double orr = 0.5 * (zk.im - zc.im), oi = -0.5 * (zk.re - zc.re);
        const cpx w = p->wr[k];
        out[2 * k] = er + (orr * w.re - oi * w.im);
        out[2 * k + 1] = ei + (orr * w.im + oi * w.re);
    }
}
