/* core/ops/loss: cross-entropy with ignore index; see loss.h. */
#include "core/ops/loss.h"

#include <math.h>
#include <string.h>

#include "core/ops/common.h"

/* log-softmax over the last dim of x2 (T, V) into dst (T, V) f32: oneDNN softmax v2 (alg log),
 * which also converts bf16 input to f32 output in the same pass. */
static qa_status log_softmax(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *x2)
{
    qa_prim_key k;
    qa_key_init(&k, QA_OP_cross_entropy, 0);
    qa_key_add_tensor(&k, x2);
    qa_key_add_tensor(&k, dst);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t smd, dmd;
        qa_status s = qa_md_from_tensor(&smd, x2);
        if (!s) s = qa_md_from_tensor(&dmd, dst);
        dnnl_softmax_v2_desc_t d;
        if (!s) s = qa_dnnl_check(dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_training, dnnl_softmax_log, &smd,
                                                                    &dmd, 1), "log-softmax desc");
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, NULL, args, 2);
        if (s) return qa_error_wrap(s, "cross_entropy log-softmax");
    }
    return qa_prim_run(ctx, p, (void *[]){x2->data, dst->data});
}

/* (..., V) -> (T, V) view; fails when the leading dims cannot merge. */
static qa_status rows_view(qa_tensor *out, const qa_tensor *x, int64_t T, int64_t V)
{
    int nd = x->ndim;
    for (int i = 0; i < nd - 2; i++)
        if (x->shape[i] > 1 && x->stride[i] != x->stride[i + 1] * x->shape[i + 1])
            return qa_error(QA_ERR_UNSUPPORTED, "cross_entropy: logits are a strided view whose rows cannot merge: copy first");
    qa_tensor v = *x;
    v.ndim = 2;
    v.shape[0] = T;
    v.shape[1] = V;
    v.stride[1] = x->stride[nd - 1];
    v.stride[0] = nd >= 2 ? x->stride[nd - 2] : V * x->stride[0];
    *out = v;
    return QA_OK;
}

static qa_status cross_entropy_impl(qa_ctx *ctx, qa_tensor *loss, const qa_tensor *logits, const qa_tensor *labels,
                           int64_t ignore_index)
{
    qa_status s = qa_tensor_check(logits, "cross_entropy", "logits", 1, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(labels, "cross_entropy", "labels", logits->ndim - 1, logits->ndim - 1, QA_DT_INT);
    if (s) return s;
    int nd = logits->ndim;
    for (int i = 0; i < nd - 1; i++)
        if (labels->shape[i] != logits->shape[i])
            return qa_op_shape_error("cross_entropy", "logits (..., V) and labels (...) differ:", logits, labels);
    int64_t V = logits->shape[nd - 1], T = qa_tensor_numel(labels), kept = 0;
    for (int64_t t = 0; t < T; t++) {
        int64_t y = (int64_t)qa_tensor_get(labels, t, false);
        if (y == ignore_index) continue;
        if (y < 0 || y >= V)
            return qa_error(QA_ERR_ARG, "cross_entropy: label %lld at position %lld is outside [0, %lld) and is not the "
                                        "ignore index %lld", (long long)y, (long long)t, (long long)V, (long long)ignore_index);
        kept++;
    }
    qa_tensor x2, lsm;
    if ((s = rows_view(&x2, logits, T, V))) return s;
    if ((s = qa_op_output(ctx, loss, QA_F32, 0, NULL, qa_needs_grad(ctx, logits, NULL, NULL)))) return s;
    if ((s = qa_op_temp(ctx, &lsm, QA_F32, 2, (int64_t[]){T, V}))) return s;
    if ((s = log_softmax(ctx, &lsm, &x2))) return s;
    double sum = 0;
    const float *l = lsm.data;
    for (int64_t t = 0; t < T; t++) {
        int64_t y = (int64_t)qa_tensor_get(labels, t, false);
        if (y != ignore_index) sum -= l[t * V + y];
    }
    *(float *)loss->data = kept ? (float)(sum / (double)kept) : 0.f;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_cross_entropy, loss))) return s;
    if (e) {
        e->nin = 2;
        e->in[0] = *logits;
        e->in[1] = *labels;
        e->aux[0] = lsm;
        e->iarg[0] = ignore_index;
        e->iarg[1] = kept;
    }
    return QA_OK;
}

qa_status qa_cross_entropy(qa_ctx *ctx, qa_tensor *loss, const qa_tensor *logits, const qa_tensor *labels,
                           int64_t ignore_index)
{
    qa_tensor out; /* built aside, stored last: loss may alias an input */
    qa_status s = qa_op_dst_begin(&out, loss, "cross_entropy");
    if (!s) s = cross_entropy_impl(ctx, &out, logits, labels, ignore_index);
    return qa_op_dst_store(loss, &out, s);
}

/* dst (+)= sign * exp(src0 + src1): binary add with exp, optional negation and (accumulate) sum
 * post-ops. */
static qa_status exp_add(qa_ctx *ctx, const qa_tensor *dst, const qa_tensor *src0, const qa_tensor *src1, float sign,
                         int accumulate)
{
    qa_status s = qa_op_binary_post(ctx, dst, src0, src1, dnnl_binary_add, dnnl_eltwise_exp, sign < 0 ? -1.f : 1.f,
                                    accumulate);
    return s ? qa_error_wrap(s, "cross_entropy backward") : QA_OK;
}

qa_status qa_cross_entropy_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *logits = &e->in[0], *labels = &e->in[1], *lsm = &e->aux[0];
    int64_t ignore = e->iarg[0], kept = e->iarg[1];
    double g = qa_tensor_get(&e->out, 0, true);
    if (!qa_wants_grad(logits) || kept == 0 || g == 0) return QA_OK;
    int64_t T = lsm->shape[0], V = lsm->shape[1];
    double w = fabs(g) / (double)kept;
    float sign = g < 0 ? -1.f : 1.f;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor logw, gl = qa_grad_view(logits), gl2;
    qa_status s = qa_op_temp(ctx, &logw, QA_F32, 2, (int64_t[]){T, 1});
    if (!s) s = rows_view(&gl2, &gl, T, V);
    if (s) return s;
    float *lw = logw.data;
    for (int64_t t = 0; t < T; t++)
        lw[t] = (int64_t)qa_tensor_get(labels, t, false) == ignore ? -1e4f : (float)log(w);
    if (gl2.dtype == QA_F32) {
        s = exp_add(ctx, &gl2, lsm, &logw, sign, 1);
    } else {
        /* oneDNN 2.6 runs f32 -> bf16 binary with post-ops on a reference kernel: compute row chunks
         * in f32 (jit) and accumulate them into the bf16 gradient with a (jit) reorder */
        int64_t chunk = ((int64_t)1 << 22) / V;
        if (chunk < 1) chunk = 1;
        if (chunk > T) chunk = T;
        qa_tensor tmp;
        s = qa_op_temp(ctx, &tmp, QA_F32, 2, (int64_t[]){chunk, V});
        for (int64_t r0 = 0; !s && r0 < T; r0 += chunk) {
            int64_t n = T - r0 < chunk ? T - r0 : chunk;
            qa_tensor ls_r, lw_r, g_r, t_r;
            qa_tensor_view_slice(&ls_r, lsm, 0, r0, n);
            qa_tensor_view_slice(&lw_r, &logw, 0, r0, n);
            qa_tensor_view_slice(&g_r, &gl2, 0, r0, n);
            qa_tensor_view_slice(&t_r, &tmp, 0, 0, n);
            s = exp_add(ctx, &t_r, &ls_r, &lw_r, sign, 0);
            if (!s) s = qa_op_accumulate(ctx, &g_r, &t_r, 1.f);
        }
    }
    qa_arena_rewind(&ctx->step, mark);
    if (s) return s;
    for (int64_t t = 0; t < T; t++) {
        int64_t y = (int64_t)qa_tensor_get(labels, t, false);
        if (y == ignore) continue;
        int64_t idx[2] = {t, y};
        void *p = qa_tensor_ptr(&gl2, idx, false);
        if (gl2.dtype == QA_F32) *(float *)p -= sign * (float)w;
        else *(uint16_t *)p = qa_bf16_from_f32(qa_f32_from_bf16(*(uint16_t *)p) - sign * (float)w);
    }
    return QA_OK;
}

/* Row maximum (*m) and sum of exp(x - m) (returned) of one row of V logits. */
static double ref_row_max_expsum(const double *x, int64_t V, double *m)
{
    double mx = x[0], z = 0;
    for (int64_t v = 1; v < V; v++) mx = x[v] > mx ? x[v] : mx;
    for (int64_t v = 0; v < V; v++) z += exp(x[v] - mx);
    *m = mx;
    return z;
}

double qa_ref_cross_entropy(const double *logits, const double *labels, int64_t T, int64_t V, int64_t ignore_index)
{
    double sum = 0;
    int64_t kept = 0;
    for (int64_t t = 0; t < T; t++) {
        int64_t y = (int64_t)labels[t];
        if (y == ignore_index) continue;
        const double *x = logits + t * V;
        double m, z = ref_row_max_expsum(x, V, &m);
        sum += -(x[y] - m - log(z));
        kept++;
    }
    return kept ? sum / (double)kept : 0.0;
}

void qa_ref_cross_entropy_backward(double *dlogits, double dloss, const double *logits, const double *labels, int64_t T,
                                   int64_t V, int64_t ignore_index)
{
    int64_t kept = 0;
    for (int64_t t = 0; t < T; t++) kept += (int64_t)labels[t] != ignore_index;
    if (!kept) return;
    for (int64_t t = 0; t < T; t++) {
        int64_t y = (int64_t)labels[t];
        if (y == ignore_index) continue;
        const double *x = logits + t * V;
        double m, z = ref_row_max_expsum(x, V, &m);
        for (int64_t v = 0; v < V; v++)
            dlogits[t * V + v] += dloss / (double)kept * (exp(x[v] - m) / z - (v == y ? 1.0 : 0.0));
    }
}
