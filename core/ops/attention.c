/* core/ops/attention: scaled-dot-product attention with causal and key-padding masks, forward and
 * backward on oneDNN matmul + softmax, and its double reference.
 * See core/ops/attention.h for the op, core/ops/ref_nn.h for the reference. */
#include "core/ops/attention.h"

#include <math.h>
#include <string.h>

#include "core/ops/nn_common.h"
#include "core/ops/ref_nn.h"
#include "core/ops/softmax.h"

/* c = alpha * a @ b (+ c when accumulate), batched over the leading dims; any strides with a dense
 * last dim or a dense second-to-last dim (oneDNN reads transposed operands through strides). */
static qa_status attn_mm(qa_ctx *ctx, const qa_tensor *c, const qa_tensor *a, const qa_tensor *b, float alpha,
                         int accumulate)
{
    qa_prim_key k;
    qa_key_init(&k, QA_OP_attention, 10);
    qa_key_add_tensor(&k, a);
    qa_key_add_tensor(&k, b);
    qa_key_add_tensor(&k, c);
    qa_key_add_f(&k, alpha);
    qa_key_add(&k, accumulate);
    qa_prim *p = qa_prim_find(ctx, &k);
    if (!p) {
        dnnl_memory_desc_t amd, bmd, cmd;
        qa_status s = qa_md_from_tensor(&amd, a);
        if (!s) s = qa_md_from_tensor(&bmd, b);
        if (!s) s = qa_md_from_tensor(&cmd, c);
        dnnl_matmul_desc_t d;
        if (!s) s = qa_dnnl_check(dnnl_matmul_desc_init(&d, &amd, &bmd, NULL, &cmd), "attention matmul desc");
        dnnl_primitive_attr_t attr = NULL;
        if (!s) s = qa_attr_new(&attr, accumulate ? 1.f : 0.f);
        if (!s && alpha != 1.f) {
            s = qa_dnnl_check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha), "attention output scale");
            if (s) dnnl_primitive_attr_destroy(attr);
        }
        static const int args[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        if (!s) s = qa_prim_create(ctx, &p, &k, &d, attr, args, 3);
        if (s) return qa_error_wrap(s, "attention matmul");
    }
    return qa_prim_run(ctx, p, (void *[]){a->data, b->data, c->data});
}

/* (B, T, H, Dh) token-major -> (B, H, T, Dh) head-major view, no copy. */
static qa_tensor heads(const qa_tensor *t)
{
    qa_tensor h;
    qa_tensor_view_transpose(&h, t, 1, 2);
    return h;
}
static qa_tensor tr(const qa_tensor *t)
{
    qa_tensor h;
    qa_tensor_view_transpose(&h, t, 2, 3);
    return h;
}

/* Sets masked scores of S (B, H, Tq, Tk), f32 dense, to -inf. Touches only masked entries. */
static void apply_mask(const qa_tensor *S, int causal, const int32_t *kv_len)
{
    int64_t B = S->shape[0], H = S->shape[1], Tq = S->shape[2], Tk = S->shape[3];
    float *s = S->data;
    for (int64_t b = 0; b < B; b++) {
        int64_t kvl = kv_len ? kv_len[b] : Tk;
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                float *row = s + ((b * H + h) * Tq + i) * Tk;
                int64_t lim = kvl;
                if (causal && i + (Tk - Tq) + 1 < lim) lim = i + (Tk - Tq) + 1;
                for (int64_t j = lim; j < Tk; j++) row[j] = -INFINITY;
            }
    }
}

/* P (B, H, Tq, Tk) = softmax(mask(scale * Q K^T)); P of the inputs' dtype. S is a f32 temporary
 * (P itself when f32). */
static qa_status probs(qa_ctx *ctx, const qa_tensor *P, const qa_tensor *q, const qa_tensor *k, double scale,
                       int causal, const int32_t *kv_len)
{
    qa_tensor qh = heads(q), kh = heads(k), kt = tr(&kh), S = *P;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_status s = QA_OK;
    if (P->dtype != QA_F32) s = qa_nn_temp(ctx, &S, QA_F32, 4, P->shape);
    if (!s) s = attn_mm(ctx, &S, &qh, &kt, (float)scale, 0);
    if (!s && (causal || kv_len)) apply_mask(&S, causal, kv_len);
    if (!s) s = qa_softmax_exec(ctx, P, &S);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

static qa_status attn_check(const qa_tensor *q, const qa_tensor *k, const qa_tensor *v, const qa_attention_opts *o)
{
    qa_status s = qa_tensor_check(q, "attention", "q", 4, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(k, "attention", "k", 4, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(v, "attention", "v", 4, 4, QA_DT_FLOAT);
    if (s) return s;
    if (!o) return qa_error(QA_ERR_ARG, "attention: options are required (at least the scale)");
    if (q->dtype != k->dtype || q->dtype != v->dtype)
        return qa_error(QA_ERR_DTYPE, "attention: q, k, v must share one dtype (got %s, %s, %s)", qa_dtype_name(q->dtype),
                        qa_dtype_name(k->dtype), qa_dtype_name(v->dtype));
    if (!qa_tensor_same_shape(k, v)) return qa_op_shape_error("attention", "k and v differ (B, Tk, H, Dh):", k, v);
    if (q->shape[0] != k->shape[0] || q->shape[2] != k->shape[2] || q->shape[3] != k->shape[3])
        return qa_op_shape_error("attention", "q (B, Tq, H, Dh) and k (B, Tk, H, Dh) disagree:", q, k);
    if (o->causal && q->shape[1] > k->shape[1])
        return qa_op_shape_error("attention", "causal attention needs Tq <= Tk:", q, k);
    if (!(o->scale > 0) || !isfinite(o->scale)) return qa_error(QA_ERR_ARG, "attention: scale %g must be > 0", o->scale);
    if (o->kv_len)
        for (int64_t b = 0; b < q->shape[0]; b++)
            if (o->kv_len[b] < 1 || o->kv_len[b] > k->shape[1])
                return qa_error(QA_ERR_ARG, "attention: kv_len[%lld] = %d is outside 1..%lld (every row needs a key)",
                                (long long)b, o->kv_len[b], (long long)k->shape[1]);
    return QA_OK;
}

/* Tape entry: in = {q, k, v}; aux[0] = P when saved; saved[0] = kv_len copy (int32, B) or NULL;
 * farg[0] = scale; iarg[0] = causal, iarg[1] = P saved. */
qa_status qa_attention(qa_ctx *ctx, qa_tensor *out, const qa_tensor *q, const qa_tensor *k, const qa_tensor *v,
                       const qa_attention_opts *o)
{
    qa_status s = attn_check(q, k, v, o);
    if (s) return s;
    int64_t B = q->shape[0], Tq = q->shape[1], H = q->shape[2], Tk = k->shape[1];
    bool grad = qa_needs_grad(ctx, q, k, v), record = grad && qa_grad_enabled(ctx);
    if ((s = qa_op_output(ctx, out, q->dtype, 4, q->shape, grad))) return s;
    int32_t *kvl = NULL;
    if (o->kv_len && record) {
        if ((s = qa_arena_alloc(&ctx->step, (void **)&kvl, sizeof(int32_t) * (size_t)B))) return s;
        memcpy(kvl, o->kv_len, sizeof(int32_t) * (size_t)B);
    }
    bool keep = record && !o->recompute_probs;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor P, oh = heads(out), vh = heads(v);
    if ((s = qa_nn_temp(ctx, &P, q->dtype, 4, (int64_t[]){B, H, Tq, Tk}))) return s;
    if (keep) mark = qa_arena_mark(&ctx->step);
    s = probs(ctx, &P, q, k, o->scale, o->causal, o->kv_len);
    if (!s) s = attn_mm(ctx, &oh, &P, &vh, 1.f, 0);
    qa_arena_rewind(&ctx->step, mark);
    if (s || !record) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_attention, out))) return s;
    if (e) {
        e->nin = 3;
        e->in[0] = *q;
        e->in[1] = *k;
        e->in[2] = *v;
        if (keep) e->aux[0] = P;
        e->saved[0] = kvl;
        e->farg[0] = o->scale;
        e->iarg[0] = o->causal;
        e->iarg[1] = keep;
    }
    return QA_OK;
}

qa_status qa_attention_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *q = &e->in[0], *k = &e->in[1], *v = &e->in[2];
    int64_t B = q->shape[0], Tq = q->shape[1], H = q->shape[2], Tk = k->shape[1];
    float scale = (float)e->farg[0];
    size_t mark = qa_arena_mark(&ctx->step);
    qa_status s = QA_OK;
    qa_tensor P = e->aux[0], dP;
    if (!e->iarg[1]) {
        s = qa_nn_temp(ctx, &P, q->dtype, 4, (int64_t[]){B, H, Tq, Tk});
        if (!s) s = probs(ctx, &P, q, k, e->farg[0], (int)e->iarg[0], e->saved[0]);
    }
    qa_tensor gout = qa_grad_view(&e->out), dOh = heads(&gout), gq = qa_grad_view(q), gk = qa_grad_view(k),
              gv = qa_grad_view(v), qh = heads(q), kh = heads(k), vh = heads(v);
    if (!s && qa_wants_grad(v)) { /* dV += P^T dO */
        qa_tensor Pt = tr(&P), dVh = heads(&gv);
        s = attn_mm(ctx, &dVh, &Pt, &dOh, 1.f, 1);
    }
    if (!s && (qa_wants_grad(q) || qa_wants_grad(k))) {
        qa_tensor vt = tr(&vh);
        s = qa_nn_temp(ctx, &dP, q->dtype, 4, (int64_t[]){B, H, Tq, Tk});
        if (!s) s = attn_mm(ctx, &dP, &dOh, &vt, 1.f, 0);    /* dP = dO V^T */
        if (!s) s = qa_softmax_bwd_exec(ctx, &dP, &dP, &P); /* dS, in place */
        if (!s && qa_wants_grad(q)) {                      /* dQ += scale dS K */
            qa_tensor dQh = heads(&gq);
            s = attn_mm(ctx, &dQh, &dP, &kh, scale, 1);
        }
        if (!s && qa_wants_grad(k)) { /* dK += scale dS^T Q */
            qa_tensor dKh = heads(&gk), dSt = tr(&dP);
            s = attn_mm(ctx, &dKh, &dSt, &qh, scale, 1);
        }
    }
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

static int ref_visible(int64_t i, int64_t j, int64_t Tq, int64_t Tk, int causal, int32_t kvl)
{
    if (causal && j > i + (Tk - Tq)) return 0;
    return j < kvl;
}

/* Scaled score of query (b,h,i) against key j, or -inf when masked. */
static double ref_score(const double *q, const double *k, int64_t b, int64_t h, int64_t i, int64_t j,
                        int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal,
                        const int32_t *kv_len)
{
    int32_t kvl = kv_len ? kv_len[b] : (int32_t)Tk;
    if (!ref_visible(i, j, Tq, Tk, causal, kvl)) return -INFINITY;
    const double *qr = q + ((b * Tq + i) * H + h) * Dh, *kr = k + ((b * Tk + j) * H + h) * Dh;
    double s = 0;
    for (int64_t d = 0; d < Dh; d++) s += qr[d] * kr[d];
    return s * scale;
}

/* Row statistics of query (b,h,i): max score and sum of exp(score - max); no allocation, so the
 * probabilities are recomputed on demand as exp(score - mx) / sum. */
static void ref_row_stats(double *mx, double *sum, const double *q, const double *k, int64_t b,
                          int64_t h, int64_t i, int64_t H, int64_t Tq, int64_t Tk, int64_t Dh,
                          double scale, int causal, const int32_t *kv_len)
{
    *mx = -INFINITY;
    *sum = 0;
    for (int64_t j = 0; j < Tk; j++) {
        double s = ref_score(q, k, b, h, i, j, H, Tq, Tk, Dh, scale, causal, kv_len);
        if (s > *mx) *mx = s;
    }
    if (*mx == -INFINITY) return;
    for (int64_t j = 0; j < Tk; j++)
        *sum += exp(ref_score(q, k, b, h, i, j, H, Tq, Tk, Dh, scale, causal, kv_len) - *mx);
}

#define REF_P(j)                                                                                  \
    (sum > 0 ? exp(ref_score(q, k, b, h, i, (j), H, Tq, Tk, Dh, scale, causal, kv_len) - mx) / sum \
             : 0.0)

void qa_ref_attention_fwd(double *o, const double *q, const double *k, const double *v, int64_t B,
                          int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal,
                          const int32_t *kv_len)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double mx, sum;
                ref_row_stats(&mx, &sum, q, k, b, h, i, H, Tq, Tk, Dh, scale, causal, kv_len);
                double *orow = o + ((b * Tq + i) * H + h) * Dh;
                for (int64_t d = 0; d < Dh; d++) orow[d] = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    for (int64_t d = 0; d < Dh; d++) orow[d] += p * vr[d];
                }
            }
}

void qa_ref_attention_bwd(double *dq, double *dk, double *dv, const double *dout, const double *q,
                          const double *k, const double *v, int64_t B, int64_t H, int64_t Tq,
                          int64_t Tk, int64_t Dh, double scale, int causal, const int32_t *kv_len)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double mx, sum;
                ref_row_stats(&mx, &sum, q, k, b, h, i, H, Tq, Tk, Dh, scale, causal, kv_len);
                const double *g = dout + ((b * Tq + i) * H + h) * Dh;
                const double *qr = q + ((b * Tq + i) * H + h) * Dh;
                /* dp_j = dout . v_j; dot = sum_j p_j dp_j; ds_j = p_j (dp_j - dot) */
                double dot = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    double dp = 0;
                    for (int64_t d = 0; d < Dh; d++) dp += g[d] * vr[d];
                    dot += p * dp;
                    if (dv) {
                        double *dvr = dv + ((b * Tk + j) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++) dvr[d] += p * g[d];
                    }
                }
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    if (p == 0) continue;
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    double dp = 0;
                    for (int64_t d = 0; d < Dh; d++) dp += g[d] * vr[d];
                    double ds = p * (dp - dot) * scale; /* d loss / d (q.k) */
                    const double *kr = k + ((b * Tk + j) * H + h) * Dh;
                    if (dq) {
                        double *dqr = dq + ((b * Tq + i) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++) dqr[d] += ds * kr[d];
                    }
                    if (dk) {
                        double *dkr = dk + ((b * Tk + j) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++) dkr[d] += ds * qr[d];
                    }
                }
            }
}
