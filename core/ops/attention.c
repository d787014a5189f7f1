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

/* The masks of one call. */
typedef struct {
    int causal;
    const int32_t *kv_len, *kv_start; /* (B) or NULL */
} attn_masks;

/* Visible keys of query i of batch row b: [*lo, *hi) (empty when *lo >= *hi). */
static void visible(const attn_masks *m, int64_t b, int64_t i, int64_t Tq, int64_t Tk, int64_t *lo, int64_t *hi)
{
    *lo = m->kv_start ? m->kv_start[b] : 0;
    *hi = m->kv_len ? m->kv_len[b] : Tk;
    if (m->causal && i + (Tk - Tq) + 1 < *hi) *hi = i + (Tk - Tq) + 1;
}

/* Sets masked scores of S (1, H, n, Tk) — the rows i0 .. i0+n-1 of batch row b, f32 with a dense
 * last dim — to -inf. Touches only masked entries. A row with no visible key (a left-padding query
 * under a causal mask) is set to 0 instead, so the softmax stays finite; zero_empty_rows clears
 * its probabilities afterwards. */
static void apply_mask(const qa_tensor *S, int64_t b, int64_t i0, int64_t Tq, const attn_masks *m)
{
    int64_t H = S->shape[1], n = S->shape[2], Tk = S->shape[3];
    for (int64_t h = 0; h < H; h++)
        for (int64_t r = 0; r < n; r++) {
            float *row = (float *)S->data + h * S->stride[1] + r * S->stride[2];
            int64_t lo, hi;
            visible(m, b, i0 + r, Tq, Tk, &lo, &hi);
            if (lo >= hi) {
                for (int64_t j = 0; j < Tk; j++)
                    row[j] = 0.f;
                continue;
            }
            for (int64_t j = 0; j < lo; j++)
                row[j] = -INFINITY;
            for (int64_t j = hi; j < Tk; j++)
                row[j] = -INFINITY;
        }
}

/* Zeroes the probabilities of rows that see no key (P dense rows, f32 or bf16: all-zero bits). */
static void zero_empty_rows(const qa_tensor *P, int64_t b, int64_t i0, int64_t Tq, const attn_masks *m)
{
    int64_t H = P->shape[1], n = P->shape[2], Tk = P->shape[3];
    size_t es = qa_dtype_size(P->dtype);
    for (int64_t r = 0; r < n; r++) {
        int64_t lo, hi;
        visible(m, b, i0 + r, Tq, Tk, &lo, &hi);
        if (lo < hi) continue;
        for (int64_t h = 0; h < H; h++)
            memset((char *)P->data + (size_t)(h * P->stride[1] + r * P->stride[2]) * es, 0, (size_t)Tk * es);
    }
}

/* The work runs per batch row and, optionally, per block of query rows (opts.block_rows), so the
 * (H, n, Tk) scores of a block are the only T^2-sized temporary. By default a block is the whole
 * row: measured on the development machine (bench/bench_engine --attn-rows), smaller blocks made
 * the oneDNN products slower than the memory traffic they save (D=1280, T=1500, one thread:
 * 1.11 s per block forward+backward unblocked, 1.85 s in blocks of 544 rows). */
static int64_t block_rows(int64_t H, int64_t Tq, int64_t Tk, int64_t forced)
{
    (void)H, (void)Tk;
    if (forced > 0) return forced < Tq ? forced : Tq;
    return Tq;
}

static qa_tensor rows_heads(const qa_tensor *t, int64_t b, int64_t i0, int64_t n)
{
    qa_tensor s1, s2;
    qa_tensor_view_slice(&s1, t, 0, b, 1);
    qa_tensor_view_slice(&s2, &s1, 1, i0, n);
    return heads(&s2);
}

/* P (1, H, n, Tk) = softmax(mask(scale * Q_blk K_b^T)) for the block (b, i0, n); P of the inputs'
 * dtype, any strides with a dense last dim; S is a f32 temporary (P itself when f32). */
static qa_status probs_block(qa_ctx *ctx, const qa_tensor *P, const qa_tensor *q, const qa_tensor *k, int64_t b,
                             int64_t i0, double scale, const attn_masks *m)
{
    int64_t n = P->shape[2], Tq = q->shape[1], Tk = k->shape[1];
    qa_tensor qh = rows_heads(q, b, i0, n), kh = rows_heads(k, b, 0, Tk), kt = tr(&kh), S = *P;
    size_t mark = qa_arena_mark(&ctx->step);
    qa_status s = QA_OK;
    if (P->dtype != QA_F32) s = qa_nn_temp(ctx, &S, QA_F32, 4, P->shape);
    if (!s) s = attn_mm(ctx, &S, &qh, &kt, (float)scale, 0);
    bool masked = m->causal || m->kv_len || m->kv_start;
    if (!s && masked) apply_mask(&S, b, i0, Tq, m);
    if (!s) s = qa_softmax_exec(ctx, P, &S);
    if (!s && masked && (m->kv_start || Tq > Tk)) zero_empty_rows(P, b, i0, Tq, m);
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* The saved P of block (b, i0, n), as a dense (1, H, n, Tk): blocks are stored one after the other
 * (row-block-major, B * H * Tq * Tk elements in all), because oneDNN's fast matmul and softmax
 * kernels want dense batches, which a (B, H, Tq, Tk) row slice is not. */
static qa_tensor p_rows(const qa_tensor *P, int64_t b, int64_t i0, int64_t n)
{
    int64_t H = P->shape[1], Tq = P->shape[2], Tk = P->shape[3];
    qa_tensor t;
    qa_tensor_init(&t, P->dtype, 4, (int64_t[]){1, H, n, Tk},
                   (char *)P->data + (size_t)((b * Tq + i0) * H * Tk) * qa_dtype_size(P->dtype));
    return t;
}

static qa_status attn_check(const qa_tensor *q, const qa_tensor *k, const qa_tensor *v, const qa_attention_opts *o)
{
    qa_status s = qa_tensor_check(q, "attention", "q", 4, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(k, "attention", "k", 4, 4, QA_DT_FLOAT);
    if (!s) s = qa_tensor_check(v, "attention", "v", 4, 4, QA_DT_FLOAT);
    if (s) return s;
    if (!o) return qa_error(QA_ERR_ARG, "attention: options are required (at least the scale)");
    if (q->dtype != k->dtype || q->dtype != v->dtype)
        return qa_error(QA_ERR_DTYPE, "attention: q, k, v must share one dtype (got %s, %s, %s)",
                        qa_dtype_name(q->dtype), qa_dtype_name(k->dtype), qa_dtype_name(v->dtype));
    if (!qa_tensor_same_shape(k, v)) return qa_op_shape_error("attention", "k and v differ (B, Tk, H, Dh):", k, v);
    if (q->shape[0] != k->shape[0] || q->shape[2] != k->shape[2] || q->shape[3] != k->shape[3])
        return qa_op_shape_error("attention", "q (B, Tq, H, Dh) and k (B, Tk, H, Dh) disagree:", q, k);
    if (o->causal && q->shape[1] > k->shape[1])
        return qa_op_shape_error("attention", "causal attention needs Tq <= Tk:", q, k);
    if (o->block_rows < 0)
        return qa_error(QA_ERR_ARG, "attention: block_rows %lld must be >= 0", (long long)o->block_rows);
    if (!(o->scale > 0) || !isfinite(o->scale))
        return qa_error(QA_ERR_ARG, "attention: scale %g must be > 0", o->scale);
    for (int64_t b = 0; b < q->shape[0]; b++) {
        int64_t len = o->kv_len ? o->kv_len[b] : k->shape[1], start = o->kv_start ? o->kv_start[b] : 0;
        if (len < 1 || len > k->shape[1])
            return qa_error(QA_ERR_ARG,
                            "attention: kv_len[%lld] = %lld is outside 1..%lld (every batch row needs a key)",
                            (long long)b, (long long)len, (long long)k->shape[1]);
        if (start < 0 || start >= len)
            return qa_error(QA_ERR_ARG, "attention: kv_start[%lld] = %lld is outside 0..%lld (kv_len - 1)",
                            (long long)b, (long long)start, (long long)(len - 1));
    }
    return QA_OK;
}

/* Tape entry: in = {q, k, v}; aux[0] = P when saved (B * H * Tq * Tk values stored by blocks, see
 * p_rows); saved[0], saved[1] = kv_len, kv_start copies
 * (int32, B) or NULL; farg[0] = scale; iarg[0] = causal, iarg[1] = P saved, iarg[2] = block rows. */
static qa_status attention_impl(qa_ctx *ctx, qa_tensor *out, const qa_tensor *q, const qa_tensor *k, const qa_tensor *v,
                                const qa_attention_opts *o)
{
    qa_status s = attn_check(q, k, v, o);
    if (s) return s;
    int64_t B = q->shape[0], Tq = q->shape[1], H = q->shape[2], Tk = k->shape[1];
    bool grad = qa_needs_grad(ctx, q, k, v), record = grad && qa_grad_enabled(ctx);
    if ((s = qa_op_output(ctx, out, q->dtype, 4, q->shape, grad))) return s;
    int32_t *kvl = NULL, *kvs = NULL; /* copies kept for the backward */
    if (o->kv_len && record) {
        if ((s = qa_arena_alloc(&ctx->step, (void **)&kvl, sizeof(int32_t) * (size_t)B))) return s;
        memcpy(kvl, o->kv_len, sizeof(int32_t) * (size_t)B);
    }
    if (o->kv_start && record) {
        if ((s = qa_arena_alloc(&ctx->step, (void **)&kvs, sizeof(int32_t) * (size_t)B))) return s;
        memcpy(kvs, o->kv_start, sizeof(int32_t) * (size_t)B);
    }
    attn_masks m = {o->causal, o->kv_len, o->kv_start};
    bool keep = record && !o->recompute_probs;
    int64_t nb = block_rows(H, Tq, Tk, o->block_rows);
    qa_tensor Pall, Pblk;
    if (keep && (s = qa_nn_temp(ctx, &Pall, q->dtype, 4, (int64_t[]){B, H, Tq, Tk}))) return s;
    size_t mark = qa_arena_mark(&ctx->step);
    if (!keep && (s = qa_nn_temp(ctx, &Pblk, q->dtype, 4, (int64_t[]){1, H, nb, Tk}))) return s;
    for (int64_t b = 0; b < B && !s; b++)
        for (int64_t i0 = 0; i0 < Tq && !s; i0 += nb) {
            int64_t n = Tq - i0 < nb ? Tq - i0 : nb;
            qa_tensor P = keep ? p_rows(&Pall, b, i0, n) : Pblk;
            if (!keep) P.shape[2] = n;
            qa_tensor oh = rows_heads(out, b, i0, n), vh = rows_heads(v, b, 0, Tk);
            s = probs_block(ctx, &P, q, k, b, i0, o->scale, &m);
            if (!s) s = attn_mm(ctx, &oh, &P, &vh, 1.f, 0); /* O_blk = P_blk V_b */
        }
    qa_arena_rewind(&ctx->step, mark);
    if (s || !record) return s;
    qa_tape_entry *e;
    if ((s = qa_tape_record(ctx, &e, QA_OP_attention, out))) return s;
    if (e) {
        e->nin = 3;
        e->in[0] = *q;
        e->in[1] = *k;
        e->in[2] = *v;
        if (keep) e->aux[0] = Pall;
        e->saved[0] = kvl;
        e->saved[1] = kvs;
        e->farg[0] = o->scale;
        e->iarg[0] = o->causal;
        e->iarg[1] = keep;
        e->iarg[2] = o->block_rows;
    }
    return QA_OK;
}

qa_status qa_attention(qa_ctx *ctx, qa_tensor *out, const qa_tensor *q, const qa_tensor *k, const qa_tensor *v,
                       const qa_attention_opts *o)
{
    qa_tensor res; /* built aside, stored last: out may alias an input */
    qa_status s = qa_op_dst_begin(&res, out, "attention");
    if (!s) s = attention_impl(ctx, &res, q, k, v, o);
    return qa_op_dst_store(out, &res, s);
}

/* Per block (b, rows i0..i0+n): dV_b += P^T dO; dP = dO V_b^T; dS = softmax_backward(dP, P);
 * dQ_blk += scale dS K_b; dK_b += scale dS^T Q_blk. */
qa_status qa_attention_backward(qa_ctx *ctx, const qa_tape_entry *e)
{
    const qa_tensor *q = &e->in[0], *k = &e->in[1], *v = &e->in[2];
    int64_t B = q->shape[0], Tq = q->shape[1], H = q->shape[2], Tk = k->shape[1];
    float scale = (float)e->farg[0];
    bool keep = e->iarg[1] != 0, wq = qa_wants_grad(q), wk = qa_wants_grad(k), wv = qa_wants_grad(v);
    int64_t nb = block_rows(H, Tq, Tk, e->iarg[2]);
    attn_masks m = {(int)e->iarg[0], e->saved[0], e->saved[1]};
    size_t mark = qa_arena_mark(&ctx->step);
    qa_tensor Pblk, dPblk, gout = qa_grad_view(&e->out), gq = qa_grad_view(q), gk = qa_grad_view(k),
                           gv = qa_grad_view(v);
    qa_status s = QA_OK;
    if (!keep) s = qa_nn_temp(ctx, &Pblk, q->dtype, 4, (int64_t[]){1, H, nb, Tk});
    if (!s && (wq || wk)) s = qa_nn_temp(ctx, &dPblk, q->dtype, 4, (int64_t[]){1, H, nb, Tk});
    /* dV and dK are produced transposed, (1, H, Dh, Tk) = (small transposed operand) x (dense
     * P or dS), then added into the token-major gradients by one reorder: oneDNN's matmul is
     * markedly slower with the big (n, Tk) operand transposed (P^T, dS^T: 12.3 ms against 8.8 ms
     * per product at H=6, T=1500, one thread). */
    qa_tensor dTt;
    if (!s && (wv || wk)) s = qa_nn_temp(ctx, &dTt, q->dtype, 4, (int64_t[]){1, H, q->shape[3], Tk});
    for (int64_t b = 0; b < B && !s; b++)
        for (int64_t i0 = 0; i0 < Tq && !s; i0 += nb) {
            int64_t n = Tq - i0 < nb ? Tq - i0 : nb;
            qa_tensor P = keep ? p_rows(&e->aux[0], b, i0, n) : Pblk;
            if (!keep) {
                P.shape[2] = n;
                s = probs_block(ctx, &P, q, k, b, i0, e->farg[0], &m);
            }
            qa_tensor dOh = rows_heads(&gout, b, i0, n), dOt = tr(&dOh);
            if (!s && wv) { /* dV_b += P^T dO, computed as dV^T = dO^T P (see below) */
                qa_tensor dVh = rows_heads(&gv, b, 0, Tk), dVt = tr(&dVh);
                s = attn_mm(ctx, &dTt, &dOt, &P, 1.f, 0);
                if (!s) s = qa_op_accumulate(ctx, &dVt, &dTt, 1.f);
            }
            if (s || !(wq || wk)) continue;
            qa_tensor dP = dPblk, vh = rows_heads(v, b, 0, Tk), vt = tr(&vh);
            dP.shape[2] = n;
            s = attn_mm(ctx, &dP, &dOh, &vt, 1.f, 0);           /* dP = dO V^T */
            if (!s) s = qa_softmax_bwd_exec(ctx, &dP, &dP, &P); /* dS, in place */
            if (!s && wq) {                                     /* dQ_blk += scale dS K */
                qa_tensor dQh = rows_heads(&gq, b, i0, n), kh = rows_heads(k, b, 0, Tk);
                s = attn_mm(ctx, &dQh, &dP, &kh, scale, 1);
            }
            if (!s && wk) { /* dK_b += scale dS^T Q_blk, computed as dK^T = scale Q^T dS */
                qa_tensor dKh = rows_heads(&gk, b, 0, Tk), dKt = tr(&dKh), qh = rows_heads(q, b, i0, n), qt = tr(&qh);
                s = attn_mm(ctx, &dTt, &qt, &dP, scale, 0);
                if (!s) s = qa_op_accumulate(ctx, &dKt, &dTt, 1.f);
            }
        }
    qa_arena_rewind(&ctx->step, mark);
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Double-precision reference (tests only). */

static int ref_visible(int64_t i, int64_t j, int64_t Tq, int64_t Tk, int causal, int32_t kvl, int32_t kvs)
{
    if (causal && j > i + (Tk - Tq)) return 0;
    return j < kvl && j >= kvs;
}

/* Scaled score of query (b,h,i) against key j, or -inf when masked. */
static double ref_score(const double *q, const double *k, int64_t b, int64_t h, int64_t i, int64_t j, int64_t H,
                        int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal, const int32_t *kv_len,
                        const int32_t *kv_start)
{
    int32_t kvl = kv_len ? kv_len[b] : (int32_t)Tk, kvs = kv_start ? kv_start[b] : 0;
    if (!ref_visible(i, j, Tq, Tk, causal, kvl, kvs)) return -INFINITY;
    const double *qr = q + ((b * Tq + i) * H + h) * Dh, *kr = k + ((b * Tk + j) * H + h) * Dh;
    double s = 0;
    for (int64_t d = 0; d < Dh; d++)
        s += qr[d] * kr[d];
    return s * scale;
}

/* Row statistics of query (b,h,i): max score and sum of exp(score - max); no allocation, so the
 * probabilities are recomputed on demand as exp(score - mx) / sum. */
static void ref_row_stats(double *mx, double *sum, const double *q, const double *k, int64_t b, int64_t h, int64_t i,
                          int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal,
                          const int32_t *kv_len, const int32_t *kv_start)
{
    *mx = -INFINITY;
    *sum = 0;
    for (int64_t j = 0; j < Tk; j++) {
        double s = ref_score(q, k, b, h, i, j, H, Tq, Tk, Dh, scale, causal, kv_len, kv_start);
        if (s > *mx) *mx = s;
    }
    if (*mx == -INFINITY) return;
    for (int64_t j = 0; j < Tk; j++)
        *sum += exp(ref_score(q, k, b, h, i, j, H, Tq, Tk, Dh, scale, causal, kv_len, kv_start) - *mx);
}

#define REF_P(j)                                                                                                       \
    (sum > 0 ? exp(ref_score(q, k, b, h, i, (j), H, Tq, Tk, Dh, scale, causal, kv_len, kv_start) - mx) / sum : 0.0)

void qa_ref_attention_fwd(double *o, const double *q, const double *k, const double *v, int64_t B, int64_t H,
                          int64_t Tq, int64_t Tk, int64_t Dh, double scale, int causal, const int32_t *kv_len,
                          const int32_t *kv_start)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double mx, sum;
                ref_row_stats(&mx, &sum, q, k, b, h, i, H, Tq, Tk, Dh, scale, causal, kv_len, kv_start);
                double *orow = o + ((b * Tq + i) * H + h) * Dh;
                for (int64_t d = 0; d < Dh; d++)
                    orow[d] = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    for (int64_t d = 0; d < Dh; d++)
                        orow[d] += p * vr[d];
                }
            }
}

void qa_ref_attention_bwd(double *dq, double *dk, double *dv, const double *dout, const double *q, const double *k,
                          const double *v, int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t Dh, double scale,
                          int causal, const int32_t *kv_len, const int32_t *kv_start)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double mx, sum;
                ref_row_stats(&mx, &sum, q, k, b, h, i, H, Tq, Tk, Dh, scale, causal, kv_len, kv_start);
                const double *g = dout + ((b * Tq + i) * H + h) * Dh;
                const double *qr = q + ((b * Tq + i) * H + h) * Dh;
                /* dp_j = dout . v_j; dot = sum_j p_j dp_j; ds_j = p_j (dp_j - dot) */
                double dot = 0;
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    double dp = 0;
                    for (int64_t d = 0; d < Dh; d++)
                        dp += g[d] * vr[d];
                    dot += p * dp;
                    if (dv) {
                        double *dvr = dv + ((b * Tk + j) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++)
                            dvr[d] += p * g[d];
                    }
                }
                for (int64_t j = 0; j < Tk; j++) {
                    double p = REF_P(j);
                    if (p == 0) continue;
                    const double *vr = v + ((b * Tk + j) * H + h) * Dh;
                    double dp = 0;
                    for (int64_t d = 0; d < Dh; d++)
                        dp += g[d] * vr[d];
                    double ds = p * (dp - dot) * scale; /* d loss / d (q.k) */
                    const double *kr = k + ((b * Tk + j) * H + h) * Dh;
                    if (dq) {
                        double *dqr = dq + ((b * Tq + i) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++)
                            dqr[d] += ds * kr[d];
                    }
                    if (dk) {
                        double *dkr = dk + ((b * Tk + j) * H + h) * Dh;
                        for (int64_t d = 0; d < Dh; d++)
                            dkr[d] += ds * qr[d];
                    }
                }
            }
}
