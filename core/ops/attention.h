/* core/ops/attention: scaled-dot-product attention with causal and key-padding masks.
 *
 *   qa_attention_opts o = {.scale = 0.125, .kv_len = lens};   // Whisper: Dh^-0.5, padded keys
 *   qa_attention(ctx, &out, &q, &k, &v, &o);                   // q (B, Tq, H, Dh), k, v (B, Tk, H, Dh)
 *                                                              // -> out (B, Tq, H, Dh)
 * The token-major layout is what a linear layer produces ((B, T, H*Dh) reshaped), so no transpose
 * is needed on either side; q, k, v may be strided views (e.g. slices of a fused qkv projection,
 * slower: see docs/ops-nn.md) as long as Dh is dense. f32 or bf16 (all three the same dtype;
 * scores and softmax in f32).
 *
 * Masks: causal hides key j from query i when j > i + (Tk - Tq) (requires Tq <= Tk); kv_len[b]
 * (B values, 1..Tk, copied at the call) hides keys j >= kv_len[b] of batch row b; queries are never
 * masked. kv_start[b] (0..kv_len[b]-1) hides keys j < kv_start[b], for left-padded batches (the
 * reference's batched evaluation): a left-padding query that then sees no key under the causal
 * mask outputs zeros and passes no gradient (its output is never used).
 * Forward: S = scale * Q K^T (oneDNN matmul, output scale), masked entries set to -inf,
 * P = softmax(S) (oneDNN), out = P V (oneDNN matmul).
 * Backward: dV += P^T dO (as dV^T = dO^T P); dP = dO V^T; dS = softmax_backward(dP, P);
 * dQ += scale dS K; dK += scale dS^T Q (as dK^T = scale Q^T dS) (oneDNN matmul with sum
 * post-ops or one accumulate, softmax backward).
 * The work runs per batch row, in blocks of block_rows queries (default: all), so the largest
 * temporary is one block's (H, n, Tk) scores; smaller blocks bound that memory but run slower.
 * Memory: by default P (B, H, Tq, Tk) is saved in the step arena for the backward; with
 * recompute_probs the backward recomputes it from q and k instead (one more Q K^T product, but
 * no (B, H, T, T) tensor kept per layer: use it for long sequences and deep stacks). */
#ifndef QA_CORE_OPS_ATTENTION_H
#define QA_CORE_OPS_ATTENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/tensor.h"

typedef struct {
    double scale;           /* multiplies q.k; Whisper 64^-0.5 (= 64^-0.25 on q and on k), Qwen 128^-0.5 */
    bool causal;            /* decoder self-attention */
    const int32_t *kv_len;  /* (B) valid keys per batch row (right padding), or NULL for none */
    const int32_t *kv_start; /* (B) first valid key per batch row (left padding), or NULL for none */
    bool recompute_probs;   /* backward recomputes P instead of saving it */
    int64_t block_rows;     /* queries per block (0 = all: one block per batch row, the fastest) */
} qa_attention_opts;

qa_status qa_attention(qa_ctx *ctx, qa_tensor *out, const qa_tensor *q, const qa_tensor *k, const qa_tensor *v,
                       const qa_attention_opts *opts);

#endif
