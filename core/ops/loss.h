/* core/ops/loss: cross-entropy with an ignore index, forward and backward, with a double reference.
 *
 *   qa_cross_entropy(ctx, &loss, &logits, &labels, -100);
 *       logits (..., V) f32/bf16, labels (...) i32/i64 -> loss: 0-d f32 tensor
 *       loss = mean over positions whose label != ignore_index of -log softmax(logits)[label]
 * When every position is ignored the loss is 0 and so is its gradient (PyTorch gives NaN; a batch
 * of prompts only should not poison a run). A label outside [0, V) other than ignore_index is an
 * error naming the position.
 * Numerics: oneDNN logsoftmax (max-subtracted, f32; bf16 logits are first converted to f32) is
 * saved for backward. Backward computes dlogits += (g / N) (softmax - onehot) in one oneDNN binary
 * pass: exp(logsoftmax + log(g / N)) with the per-row weight folded into a broadcast add (ignored
 * rows get -1e4, whose exp is 0), eltwise post-ops and a sum post-op; then the N target entries are
 * fixed by hand. No (T, V) temporary beyond the saved log-softmax (bf16 logits: an f32 temporary
 * of at most 4M elements, in row chunks). */
#ifndef QA_CORE_OPS_LOSS_H
#define QA_CORE_OPS_LOSS_H

#include <stdint.h>

#include "core/ctx.h"

#define QA_IGNORE_INDEX (-100)

qa_status qa_cross_entropy(qa_ctx *ctx, qa_tensor *loss, const qa_tensor *logits, const qa_tensor *labels,
                           int64_t ignore_index);

/* logits (T, V), labels (T) as doubles. Returns the loss; backward ADDS dloss * dL/dlogits. */
double qa_ref_cross_entropy(const double *logits, const double *labels, int64_t T, int64_t V, int64_t ignore_index);
void qa_ref_cross_entropy_backward(double *dlogits, double dloss, const double *logits, const double *labels, int64_t T,
                                   int64_t V, int64_t ignore_index);

#endif
