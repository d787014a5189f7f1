/* core/ops/pool: average pooling over time, kernel 2, stride 2, floor (Whisper/Qwen-Audio
 * AvgPool1d(2, 2) after the encoder blocks).
 *
 *   qa_avg_pool(ctx, &y, &x);     // x (B, T, D), T >= 2 -> y (B, T/2, D); an odd last frame is dropped
 *
 * Runs on oneDNN pooling (avg, exclude padding; no padding is used), forward and backward, with x
 * read time-major through its strides; f32 or bf16. */
#ifndef QA_CORE_OPS_POOL_H
#define QA_CORE_OPS_POOL_H

#include "core/ctx.h"
#include "core/tensor.h"

qa_status qa_avg_pool(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x);

#endif
