/* model/audio_encoder: the Qwen-Audio audio encoder forward (spec section 2). See
 * model/audio_encoder.h. Every step is one engine op, so the tape records the backward. */
#include "model/audio_encoder.h"

#include <math.h>

#include "core/ops/activation.h"
#include "core/ops/attention.h"
#include "core/ops/conv1d.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/norm.h"
#include "core/ops/pool.h"
#include "core/ops/shape.h"

#define ENC_LN_EPS 1e-5f

qa_status qa_audio_batch_check(const qa_audio_batch *a, const qa_model_config *cfg)
{
    if (a->n < 1) return qa_error(QA_ERR_ARG, "audio encoder: empty audio batch");
    if (!a->mel || !a->t_cnn || !a->n_audio) return qa_error(QA_ERR_ARG, "audio encoder: missing mel or lengths");
    for (int i = 0; i < a->n; i++) {
        int tc = a->t_cnn[i], na = a->n_audio[i];
        if (tc < 2 || tc > cfg->n_ctx)
            return qa_error(QA_ERR_ARG,
                            "audio %d: %d frames after the conv stem; 2..%d supported (clips of 30 ms to %d s)", i,
                            tc, cfg->n_ctx, cfg->n_ctx / 50);
        if (na != (tc - 2) / 2 + 1)
            return qa_error(QA_ERR_ARG, "audio %d: n_audio %d does not match T_cnn %d (expected %d)", i, na, tc,
                            (tc - 2) / 2 + 1);
        if (2 * (int64_t)tc > a->mel_frames)
            return qa_error(QA_ERR_ARG, "audio %d: the encoder needs %d mel frames, the mel has %lld", i, 2 * tc,
                            (long long)a->mel_frames);
    }
    return QA_OK;
}

/* One pre-LN residual block: x += Attn(LN(x)); x += MLP(LN(x)). x (B, T, E). */
static qa_status enc_block(qa_ctx *ctx, qa_tensor *out, const qa_tensor *x, const qa_enc_block_w *b, int H,
                           const int32_t *kv_len)
{
    qa_status s;
    qa_tensor h, q, k, v, q4, k4, v4, a4, a, o, x1, h2, f1, g1, f2;
    int64_t B = x->shape[0], T = x->shape[1], E = x->shape[2];
    int64_t s4[4] = {B, T, H, E / H};
    if ((s = qa_layer_norm(ctx, &h, x, b->attn_ln_w, b->attn_ln_b, ENC_LN_EPS))) return s;
    if ((s = qa_model_linear(ctx, &q, &h, b->q_w, b->q_b))) return s;
    if ((s = qa_model_linear(ctx, &k, &h, b->k_w, NULL))) return s;
    if ((s = qa_model_linear(ctx, &v, &h, b->v_w, b->v_b))) return s;
    if ((s = qa_reshape(ctx, &q4, &q, 4, s4)) || (s = qa_reshape(ctx, &k4, &k, 4, s4)) ||
        (s = qa_reshape(ctx, &v4, &v, 4, s4)))
        return s;
    /* Dh^-0.25 on q and on k = Dh^-0.5 on the product */
    qa_attention_opts ao = {.scale = 1.0 / sqrt((double)(E / H)), .causal = false, .kv_len = kv_len};
    if ((s = qa_attention(ctx, &a4, &q4, &k4, &v4, &ao))) return s;
    if ((s = qa_reshape(ctx, &a, &a4, 3, (int64_t[]){B, T, E}))) return s;
    if ((s = qa_model_linear(ctx, &o, &a, b->o_w, b->o_b))) return s;
    if ((s = qa_add(ctx, &x1, x, &o))) return s;
    if ((s = qa_layer_norm(ctx, &h2, &x1, b->mlp_ln_w, b->mlp_ln_b, ENC_LN_EPS))) return s;
    if ((s = qa_model_linear(ctx, &f1, &h2, b->fc1_w, b->fc1_b))) return s;
    if ((s = qa_gelu(ctx, &g1, &f1))) return s;
    if ((s = qa_model_linear(ctx, &f2, &g1, b->fc2_w, b->fc2_b))) return s;
    return qa_add(ctx, out, &x1, &f2);
}

qa_status qa_audio_encoder_forward(qa_ctx *ctx, const qa_weights *w, const qa_audio_batch *a, qa_tensor *spans)
{
    const qa_model_config *c = &w->cfg;
    const qa_enc_w *e = &w->enc;
    qa_status s;
    if ((s = qa_audio_batch_check(a, c))) return s;
    if (!e->conv1_w->data) return qa_error(QA_ERR_ARG, "audio encoder: its weights were not loaded (opts.skip)");
    int64_t B = a->n, M = c->n_mels, D = c->output_dim;
    int64_t T = 0;
    bool padded = false;
    for (int i = 0; i < a->n; i++) T = a->t_cnn[i] > T ? a->t_cnn[i] : T;
    for (int i = 0; i < a->n; i++) padded |= a->t_cnn[i] != T;

    /* mel (B, M, mel_frames) cut to the first 2T frames: a strided view, no copy */
    qa_tensor mel, melv;
    if ((s = qa_tensor_init(&mel, QA_F32, 3, (int64_t[]){B, M, a->mel_frames}, (void *)a->mel))) return s;
    if ((s = qa_slice(ctx, &melv, &mel, 2, 0, 2 * T))) return s;

    /* conv stem; qa_conv1d returns (B, C, T) views of time-major memory, so the transposes into the
     * (B, T, E) layout of the blocks are free */
    qa_tensor c1, c1t, g1, g1v, c2, c2t, g2, pos, x;
    if ((s = qa_conv1d(ctx, &c1, &melv, e->conv1_w, e->conv1_b, 1, 1))) return s;
    if ((s = qa_transpose(ctx, &c1t, &c1, 1, 2))) return s; /* (B, 2T, E) */
    if ((s = qa_gelu(ctx, &g1, &c1t))) return s;
    if ((s = qa_transpose(ctx, &g1v, &g1, 1, 2))) return s; /* (B, E, 2T) view */
    if ((s = qa_conv1d(ctx, &c2, &g1v, e->conv2_w, e->conv2_b, 2, 1))) return s;
    if ((s = qa_transpose(ctx, &c2t, &c2, 1, 2))) return s; /* (B, T, E) */
    if ((s = qa_gelu(ctx, &g2, &c2t))) return s;
    if ((s = qa_slice(ctx, &pos, e->pos, 0, 0, T))) return s; /* (T, E) */
    if ((s = qa_add(ctx, &x, &g2, &pos))) return s;

    /* key padding: zero positions >= T_cnn_i (after the positional embedding), mask them as keys */
    const int32_t *kv_len = NULL;
    if (padded) {
        qa_tensor mask, xm;
        if ((s = qa_tensor_alloc(&mask, &ctx->step, QA_F32, 3, (int64_t[]){B, T, 1}, false))) return s;
        float *m = mask.data;
        for (int64_t i = 0; i < B; i++)
            for (int64_t t = 0; t < T; t++) m[i * T + t] = t < a->t_cnn[i] ? 1.0f : 0.0f;
        if ((s = qa_mul(ctx, &xm, &x, &mask))) return s;
        x = xm;
        kv_len = a->t_cnn;
    }

    qa_tensor hold;
    if ((s = qa_model_layer_holder(ctx, &hold, &x))) return s;
    for (int l = 0; l < c->n_layer; l++) {
        qa_tensor y;
        qa_layer_scope sc = qa_model_layer_begin(ctx);
        if ((s = enc_block(ctx, &y, &x, &e->blocks[l], c->n_head, kv_len))) return s;
        qa_model_layer_end(ctx, &sc, &x, &y, &hold);
    }

    qa_tensor pooled, ln, proj, flat;
    if ((s = qa_avg_pool(ctx, &pooled, &x))) return s; /* (B, P, E), P = T / 2 */
    if ((s = qa_layer_norm(ctx, &ln, &pooled, e->ln_post_w, e->ln_post_b, ENC_LN_EPS))) return s;
    if ((s = qa_model_linear(ctx, &proj, &ln, e->proj_w, e->proj_b))) return s; /* (B, P, D) */
    int64_t P = proj.shape[1];
    if ((s = qa_reshape(ctx, &flat, &proj, 2, (int64_t[]){B * P, D}))) return s;

    qa_tensor bos, eos;
    if ((s = qa_slice(ctx, &bos, e->bos_eos, 0, 0, 1)) || (s = qa_slice(ctx, &eos, e->bos_eos, 0, 1, 1))) return s;
    for (int i = 0; i < a->n; i++) {
        qa_tensor parts[3];
        parts[0] = bos;
        parts[2] = eos;
        if ((s = qa_slice(ctx, &parts[1], &flat, 0, i * P, a->n_audio[i]))) return s;
        if ((s = qa_concat(ctx, &spans[i], 3, parts, 0))) return s; /* (n_audio_i + 2, D) */
    }
    return QA_OK;
}
