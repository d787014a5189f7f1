/* core/ops/softmax: softmax over the last axis on oneDNN.
 *
 *   qa_softmax(ctx, &y, &x);          // x (.., D) f32 or bf16 -> y (.., D), same dtype
 *
 * -inf entries get probability 0 (a row must hold at least one finite value). The tape entry
 * keeps y (the backward needs only the output). The two exec functions are the raw kernels the
 * attention family reuses on its own buffers: dense (.., D) tensors, any float dtypes. */
#ifndef QA_CORE_OPS_SOFTMAX_H
#define QA_CORE_OPS_SOFTMAX_H

#include "core/ctx.h"
#include "core/tensor.h"

qa_status qa_softmax(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x);

/* dst = softmax(src) over the last axis; dst may alias src when dtypes match. */
qa_status qa_softmax_exec(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src);
/* diff_src = y * (diff_dst - sum(diff_dst * y)) (overwrites); diff_src may alias diff_dst. */
qa_status qa_softmax_bwd_exec(qa_ctx *ctx, const qa_tensor *diff_src, const qa_tensor *diff_dst, const qa_tensor *y);

#endif
