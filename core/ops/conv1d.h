/* core/ops/conv1d: 1-d convolution over time with bias, PyTorch Conv1d semantics (the Whisper
 * stem: conv1 80->D k3 s1 p1, conv2 D->D k3 s2 p1).
 *
 *   qa_conv1d(ctx, &y, &x, &w, &b, 2, 1);   // x (B, Cin, T), w (Cout, Cin, K), b (Cout) or NULL
 *                                           // -> y (B, Cout, To), To = (T + 2 pad - K) / stride + 1
 *   qa_tensor_view_transpose(&h, &y, 1, 2); // (B, To, Cout), contiguous: the transformer layout
 *
 * y is returned as a (B, Cout, To) view of time-major memory (B, To, Cout), so the transpose into
 * the (B, T, D) layout every later op uses is free. x may be any strided (B, Cin, T) view: a
 * contiguous mel (B, M, F) or the transposed view of a (B, T, C) activation. Forward, backward-data
 * and backward-weights run on oneDNN convolution; f32 or bf16 (weight gradients are computed in
 * f32 and accumulated into the weights' own dtype). */
#ifndef QA_CORE_OPS_CONV1D_H
#define QA_CORE_OPS_CONV1D_H

#include "core/ctx.h"
#include "core/tensor.h"

qa_status qa_conv1d(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b, int stride,
                    int pad);

#endif
