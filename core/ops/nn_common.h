/* core/ops/nn_common: small helpers shared by the conv1d, norm, softmax, attention, rope and pool
 * op families (not a public API for models): row views, temporaries in the step arena, primitives
 * that need a forward hint, and f32/bf16 row loads for the hand-written loops.
 *
 *   qa_tensor x2; if ((s = qa_nn_rows(&x2, x, "layer_norm"))) return s;   // (N, D) view, no copy
 *   qa_tensor tmp; qa_nn_temp(ctx, &tmp, QA_F32, 2, (int64_t[]){N, D});   // step arena, no grad
 */
#ifndef QA_CORE_OPS_NN_COMMON_H
#define QA_CORE_OPS_NN_COMMON_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/ops/common.h"
#include "core/tensor.h"

/* t (.., D) seen as (N, D) without a copy; QA_ERR_UNSUPPORTED when the last dim is not dense or the
 * leading dims cannot be merged (copy the view first). */
qa_status qa_nn_rows(qa_tensor *out, const qa_tensor *t, const char *op);
/* t itself when contiguous, else a contiguous copy in the step arena (same shape, dtype; the copy has
 * no gradient: callers keep the original for the gradient). */
qa_status qa_nn_contiguous(qa_ctx *ctx, qa_tensor *out, const qa_tensor *t);
/* A contiguous temporary in the step arena, without gradient (rewind with qa_arena_mark/rewind). */
qa_status qa_nn_temp(qa_ctx *ctx, qa_tensor *t, qa_dtype dt, int ndim, const int64_t *shape);
/* Creates (and caches under k) a primitive from op_desc with a user scratchpad and the forward
 * primitive descriptor `hint` (backward primitives need it). */
qa_status qa_nn_prim_create_hint(qa_ctx *ctx, qa_prim **out, const qa_prim_key *k, const void *op_desc,
                                 const_dnnl_primitive_desc_t hint, const int *args, int nargs);
/* A weight-like 1-d tensor as f32 contiguous: t itself when already so, else a converted copy. */
qa_status qa_nn_f32(qa_ctx *ctx, qa_tensor *out, const qa_tensor *t);

/* Loads n elements of a dense f32 or bf16 row into dst (f32); stores src into an f32/bf16 row,
 * either overwriting or adding (accumulate) with one rounding. */
void qa_nn_load_row(float *dst, const void *src, qa_dtype dt, int64_t n);
void qa_nn_store_row(void *dst, const float *src, qa_dtype dt, int64_t n, int accumulate);

#endif
