/* core/ops/norm: normalisations over the last axis.
 *
 *   qa_layer_norm(ctx, &y, &x, &w, &b, 1e-5f);  // x (.., D), w (D), b (D) -> y (.., D); Whisper LN
 *   qa_rms_norm(ctx, &y, &x, &w, 1e-6f);        // x (.., D), w (D) -> y (.., D); Qwen RMSNorm
 *
 * x is f32 or bf16 (y has its dtype); statistics are always computed in f32. Weights may be f32 or
 * bf16 (converted to f32 for the maths; their gradients accumulate in their own dtype). The layer
 * norm runs on oneDNN layer_normalization (forward and backward); the RMS norm is hand-written
 * (oneDNN 2.6 has none). Both record one tape entry and save per-row statistics (f32, N values) for
 * the backward. */
#ifndef QA_CORE_OPS_NORM_H
#define QA_CORE_OPS_NORM_H

#include "core/ctx.h"
#include "core/tensor.h"

qa_status qa_layer_norm(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b,
                        float eps);
qa_status qa_rms_norm(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, float eps);

#endif
