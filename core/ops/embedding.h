/* core/ops/embedding: embedding lookup (row gather), forward and backward (scatter-add into the
 * table's gradient rows), with double references.
 *
 *   qa_embedding(ctx, &y, &table, &ids);   // table (V, D) f32/bf16, ids (...) i32/i64 -> y (..., D)
 * An id outside [0, V) is an error naming the position and value, never a crash.
 * Hand-written loops: oneDNN 2.6 has no gather or scatter primitive (a reorder per row would cost
 * one primitive call per token). Rows of the table must be contiguous (stride 1 along D). */
#ifndef QA_CORE_OPS_EMBEDDING_H
#define QA_CORE_OPS_EMBEDDING_H

#include <stdint.h>

#include "core/ctx.h"

qa_status qa_embedding(qa_ctx *ctx, qa_tensor *y, const qa_tensor *table, const qa_tensor *ids);

/* ids as doubles (integral values); table (V, D); y (n, D). */
void qa_ref_embedding(double *y, const double *table, const double *ids, int64_t n, int64_t D);
void qa_ref_embedding_backward(double *dtable, const double *dy, const double *ids, int64_t n, int64_t D);

#endif
