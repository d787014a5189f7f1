/* core/ops/embedding: see embedding.h. */
#include "core/ops/embedding.h"

#include <string.h>

#include "core/ops/common.h"

static int64_t id_at(const qa_tensor *ids, int64_t i)
{
    return (int64_t)qa_tensor_get(ids, i, false);
}

static qa_status embedding_impl(qa_ctx *ctx, qa_tensor *y, const qa_tensor *table, const qa_tensor *ids)
{
    qa_status s = qa_tensor_check(table, "embedding", "table", 2, 2, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(ids, "embedding", "ids", 0, 3, QA_DT_INT);
    if (s) return s;
    int64_t V = table->shape[0], D = table->shape[1], n = qa_tensor_numel(ids);
    if (table->stride[1] != 1) return qa_error(QA_ERR_UNSUPPORTED, "embedding: table rows must be contiguous");
    for (int64_t i = 0; i < n; i++) {
        int64_t id = id_at(ids, i);
        if (id < 0 || id >= V)
            return qa_error(QA_ERR_ARG, "embedding: id %lld at position %lld is outside the vocabulary [0, %lld)",
                            (long long)id, (long long)i, (long long)V);
    }
    int64_t shape[QA_MAX_DIMS];
    memcpy(shape, ids->shape, sizeof(int64_t) * (size_t)ids->ndim);
    shape[ids->ndim] = D;
    if ((s = qa_op_output(ctx, y, table->dtype, ids->ndim + 1, shape, qa_needs_grad(ctx, table, NULL, NULL)))) return s;
    size_t row = (size_t)D * qa_dtype_size(table->dtype);
    for (int64_t i = 0; i < n; i++)
        memcpy((uint8_t *)y->data + (size_t)i * row,
               (const uint8_t *)table->data + (size_t)(id_at(ids, i) * table->stride[0]) * qa_dtype_size(table->dtype), row);
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_embedding, y))) return s;
    if (e) {
        e->nin = 2;
        e->in[0] = *table;
        e->in[1] = *ids;
    }
    return QA_OK;
}

qa_status qa_embedding(qa_ctx *ctx, qa_tensor *y, const qa_tensor *table, const qa_tensor *ids)
{
    qa_tensor out; /* built aside, stored last: y may alias an input */
    qa_status s = qa_op_dst_begin(&out, y, "embedding");
    if (!s) s = embedding_impl(ctx, &out, table, ids);
    return qa_op_dst_store(y, &out, s);
}

qa_status qa_embedding_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *table = &e->in[0], *ids = &e->in[1];
    if (!qa_wants_grad(table)) return QA_OK;
    int64_t D = table->shape[1], n = qa_tensor_numel(ids);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = id_at(ids, i) * table->stride[0];
        if (table->dtype == QA_F32) {
            float *g = (float *)table->grad + off;
            const float *dy = (const float *)e->out.grad + i * D;
            for (int64_t d = 0; d < D; d++) g[d] += dy[d];
        } else {
            uint16_t *g = (uint16_t *)table->grad + off;
            const uint16_t *dy = (const uint16_t *)e->out.grad + i * D;
            for (int64_t d = 0; d < D; d++) g[d] = qa_bf16_from_f32(qa_f32_from_bf16(g[d]) + qa_f32_from_bf16(dy[d]));
        }
    }
    return QA_OK;
}

void qa_ref_embedding(double *y, const double *table, const double *ids, int64_t n, int64_t D)
{
    for (int64_t i = 0; i < n; i++) memcpy(y + i * D, table + (int64_t)ids[i] * D, (size_t)D * sizeof(double));
}

void qa_ref_embedding_backward(double *dtable, const double *dy, const double *ids, int64_t n, int64_t D)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t d = 0; d < D; d++) dtable[(int64_t)ids[i] * D + d] += dy[i * D + d];
}
