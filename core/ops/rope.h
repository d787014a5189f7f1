/* core/ops/rope: rotary position embedding, GPT-NeoX "rotate-half" layout over the whole head dim
 * (Qwen: rotary_pct 1.0, base 10000).
 *
 *   qa_rope(ctx, &qr, &q, 10000.0, 0);   // q (B, T, H, Dh), Dh even -> qr (B, T, H, Dh)
 *
 * Token t gets position pos0 + t (pos0 > 0 for a KV-cache decode step). With half = Dh/2,
 * inv_freq_j = 1 / base^(2j/Dh) and angle = pos * inv_freq_j, both in f32 as the reference model
 * computes them; y[j] = x[j] cos - x[j+half] sin, y[j+half] = x[j+half] cos + x[j] sin.
 * Hand-written (oneDNN has no rotary op); x may be a strided view with a dense last dim (a slice of
 * a fused qkv projection); f32 or bf16, maths in f32. The backward is the rotation by -angle. */
#ifndef QA_CORE_OPS_ROPE_H
#define QA_CORE_OPS_ROPE_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/tensor.h"

qa_status qa_rope(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, double base, int64_t pos0);

#endif
