/* core/ops/attention: scaled-dot-product attention with causal and key-padding masks, forward and
 * backward on oneDNN matmul + softmax, and its double reference.
 * See core/ops/attention.h for the op, core/ops/ref_nn.h for the reference. */
#include <math.h>

#include "core/ops/ref_nn.h"

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

static int ref_visible(int64_t i, int64_t j, int64_t Tq, int64_t Tk, int causal, int32_t kvl)
{
    if (causal && j > i + (Tk - Tq)) return 0;
    return j < kvl;
}

/* Scaled score of query (b,h,i) against key j, or -inf when masked. */
static double ref_score(const double *q, const double *k, int64_t b, int64_t h, int64_t i, int64_t j,
                        int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal,
                        const int32_t *kv_len)
{
    int32_t kvl = kv_len ? kv_len[b] : (int32_t)Tk;
    if (!ref_visible(i, j, Tq, Tk, causal, kvl)) return -INFINITY;
    const double *qr = q + ((b * Tq + i) * H + h) * Dh, *kr = k + ((b * Tk + j) * H + h) * Dh;
    double s = 0;
    for (int64_t d = 0; d < Dh; d++) s += qr[d] * kr[d];
    return s * scale;
}

/* Row statistics of query (b,h,i): max score and sum of exp(score - max); no allocation, so the
 * probabilities are recomputed on demand as exp(score - mx) / sum. */
static void ref_row_stats(double *mx, double *sum, const double *q, const double *k, int64_t b,
                          int64_t h, int64_t i, int64_t H, int64_t Tq, int64_t Tk, int64_t Dh,
                          double scale, int causal, const int32_t *kv_len)
{
    *mx = -INFINITY;
    *sum = 0;
    for (int64_t j = 0; j < Tk; j++) {
        double s = ref_score(q, k, b, h, i, j, H, Tq, Tk, Dh, scale, causal, kv_len);
        if (s > *mx) *mx = s;
    }
    if (*mx == -INFINITY) return;
    for (int64_t j = 0; j < Tk; j++)
        *sum += exp(ref_score(q, k, b, h, i, j, H, Tq, Tk, Dh, scale, causal, kv_len) - *mx);
}

#define REF_P(j)                                                                                  \
    (sum > 0 ? exp(ref_score(q, k, b, h, i, (j), H, Tq, Tk, Dh, scale, causal, kv_len) - mx) / sum \
             : 0.0)

void qa_ref_attention_fwd(double *o, const double *q, const double *k, const double *v, int64_t B,
                          int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal,
                          const int32_t *kv_len)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double mx, sum;
                ref_row_stats(&mx, &sum, q, k, b, h, i, H, Tq, Tk, Dh, scale, causal, kv_len);
                double *orow = o + ((b * Tq + i) * H + h) * Dh;
                for (int64_t d = 0; d < Dh; d++) orow[d] = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    for (int64_t d = 0; d < Dh; d++) orow[d] += p * vr[d];
                }
            }
}

void qa_ref_attention_bwd(double *dq, double *dk, double *dv, const double *dout, const double *q,
                          const double *k, const double *v, int64_t B, int64_t H, int64_t Tq,
                          int64_t Tk, int64_t Dh, double scale, int causal, const int32_t *kv_len)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double mx, sum;
                ref_row_stats(&mx, &sum, q, k, b, h, i, H, Tq, Tk, Dh, scale, causal, kv_len);
                const double *g = dout + ((b * Tq + i) * H + h) * Dh;
                const double *qr = q + ((b * Tq + i) * H + h) * Dh;
                /* dp_j = dout . v_j; dot = sum_j p_j dp_j; ds_j = p_j (dp_j - dot) */
                double dot = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    double dp = 0;
                    for (int64_t d = 0; d < Dh; d++) dp += g[d] * vr[d];
                    dot += p * dp;
                    if (dv) {
                        double *dvr = dv + ((b * Tk + j) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++) dvr[d] += p * g[d];
                    }
                }
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    if (p == 0) continue;
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    double dp = 0;
                    for (int64_t d = 0; d < Dh; d++) dp += g[d] * vr[d];
                    double ds = p * (dp - dot) * scale; /* d loss / d (q.k) */
                    const double *kr = k + ((b * Tk + j) * H + h) * Dh;
                    if (dq) {
                        double *dqr = dq + ((b * Tq + i) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++) dqr[d] += ds * kr[d];
                    }
                    if (dk) {
                        double *dkr = dk + ((b * Tk + j) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++) dkr[d] += ds * qr[d];
                    }
                }
            }
}
