/* core/ops/ref_nn: plain-C double-precision references for the conv1d, layer-norm, RMS-norm,
 * softmax, attention, rotary-embedding and average-pooling op families.
 *
 * These are the ground truth the tests check the oneDNN forward and backward against; they are
 * written for clarity, not speed, and work on contiguous row-major double arrays. Every backward
 * ACCUMULATES (+=) into its gradient outputs, like the real ops, and any gradient pointer may be
 * NULL when that gradient is not wanted. Each op's real (oneDNN / hand-written) version lives in
 * the family file named in its comment and follows the same maths. */
#ifndef QA_CORE_OPS_REF_NN_H
#define QA_CORE_OPS_REF_NN_H

#include <stdint.h>

/* conv1d (family core/ops/conv1d.c), PyTorch Conv1d semantics, channels-first:
 * x (B, Cin, T), w (Cout, Cin, K), b (Cout) or NULL, y (B, Cout, To),
 * To = (T + 2*pad - K) / stride + 1. */
int64_t qa_ref_conv1d_out_len(int64_t T, int64_t K, int64_t stride, int64_t pad);
void qa_ref_conv1d_fwd(double *y, const double *x, const double *w, const double *b, int64_t B,
                       int64_t Cin, int64_t Cout, int64_t T, int64_t K, int64_t stride, int64_t pad);
void qa_ref_conv1d_bwd(double *dx, double *dw, double *db, const double *dy, const double *x,
                       const double *w, int64_t B, int64_t Cin, int64_t Cout, int64_t T, int64_t K,
                       int64_t stride, int64_t pad);

/* layer norm over the last axis (family core/ops/norm.c): x (N, D), w (D), b (D) -> y (N, D);
 * y = (x - mean) / sqrt(var + eps) * w + b, biased variance. */
void qa_ref_layer_norm_fwd(double *y, const double *x, const double *w, const double *b, int64_t N,
                           int64_t D, double eps);
void qa_ref_layer_norm_bwd(double *dx, double *dw, double *db, const double *dy, const double *x,
                           const double *w, int64_t N, int64_t D, double eps);

/* RMS norm over the last axis (family core/ops/norm.c): y = x / sqrt(mean(x^2) + eps) * w. */
void qa_ref_rms_norm_fwd(double *y, const double *x, const double *w, int64_t N, int64_t D, double eps);
void qa_ref_rms_norm_bwd(double *dx, double *dw, const double *dy, const double *x, const double *w,
                         int64_t N, int64_t D, double eps);

/* softmax over the last axis (family core/ops/softmax.c): x (N, D) -> y (N, D). The backward
 * takes the forward output y. Entries equal to -inf get probability 0; a row that is entirely
 * -inf gives zeros. */
void qa_ref_softmax_fwd(double *y, const double *x, int64_t N, int64_t D);
void qa_ref_softmax_bwd(double *dx, const double *dy, const double *y, int64_t N, int64_t D);

/* scaled-dot-product attention (family core/ops/attention.c), token-major layout as produced by
 * a linear layer: q (B, Tq, H, Dh), k and v (B, Tk, H, Dh), o (B, Tq, H, Dh).
 * s[b,h,i,j] = scale * q[b,i,h,:].k[b,j,h,:], masked to -inf where
 *   causal && j > i + (Tk - Tq)            (a query sees the keys up to its own position)
 *   kv_len && j >= kv_len[b]               (key padding on the right; queries are not masked)
 *   kv_start && j < kv_start[b]            (key padding on the left, as in left-padded batches)
 * p = softmax_j(s); o[b,i,h,:] = sum_j p[b,h,i,j] v[b,j,h,:]. A query row with no visible key
 * outputs zeros and passes no gradient. kv_len and kv_start may be NULL (no padding). */
void qa_ref_attention_fwd(double *o, const double *q, const double *k, const double *v, int64_t B,
                          int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal,
                          const int32_t *kv_len, const int32_t *kv_start);
void qa_ref_attention_bwd(double *dq, double *dk, double *dv, const double *dout, const double *q,
                          const double *k, const double *v, int64_t B, int64_t H, int64_t Tq,
                          int64_t Tk, int64_t Dh, double scale, int causal, const int32_t *kv_len,
                          const int32_t *kv_start);

/* rotary position embedding, GPT-NeoX rotate-half layout over the whole head dim
 * (family core/ops/rope.c): x (B, T, H, Dh), Dh even, position of token t = pos0 + t.
 * inv_freq_j = base^(-2j/Dh), j < Dh/2; angle = pos * inv_freq_j (used for j and j + Dh/2);
 * y[:j] = x1 cos - x2 sin, y[j+Dh/2] = x2 cos + x1 sin (x1 = x[j], x2 = x[j+Dh/2]). */
void qa_ref_rope_fwd(double *y, const double *x, int64_t B, int64_t T, int64_t H, int64_t Dh,
                     double base, int64_t pos0);
void qa_ref_rope_bwd(double *dx, const double *dy, int64_t B, int64_t T, int64_t H, int64_t Dh,
                     double base, int64_t pos0);

/* average pooling over time, kernel 2, stride 2, floor (family core/ops/pool.c):
 * x (B, T, D) -> y (B, T/2, D), y[b,t] = (x[b,2t] + x[b,2t+1]) / 2; an odd last frame is dropped. */
void qa_ref_avgpool_time_fwd(double *y, const double *x, int64_t B, int64_t T, int64_t D);
void qa_ref_avgpool_time_bwd(double *dx, const double *dy, int64_t B, int64_t T, int64_t D);

#endif
