/* model/audio_encoder: the Qwen-Audio audio encoder forward (spec section 2). See
 * model/audio_encoder.h. Every step is one engine op, so the tape records the backward. */
#include "model/audio_encoder.h"

#include <math.h>
#include <string.h>

#include "core/ops/activation.h"
#include "core/ops/attention.h"
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

/* Conv1d with kernel 3 and padding 1 (stride 1 or 2) over a time-major x (B, F, Cin), giving a
 * time-major y (B, Fo, Cout): the three taps of each output frame are gathered into one row
 * (B, Fo, 3 Cin) by views and one concat, then multiplied by the weight reordered to (Cout, 3 Cin)
 * (tap-major). One large matmul instead of oneDNN's convolution, whose plain-layout (ncw/nwc mixed)
 * form falls back to the slow reference kernel in oneDNN 2.6. Stride 2 needs an even F. */
static qa_status conv_k3(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b,
                         int stride)
{
    qa_status s;
    int64_t B = x->shape[0], F = x->shape[1], Cin = x->shape[2], Cout = w->shape[0];
    if (w->shape[1] != Cin || w->shape[2] != 3 || (stride == 2 && F % 2))
        return qa_error(QA_ERR_SHAPE, "conv stem: weight (%lld, %lld, %lld) for %lld input channels, %lld frames",
                        (long long)w->shape[0], (long long)w->shape[1], (long long)w->shape[2], (long long)Cin,
                        (long long)F);
    qa_tensor z, xp, cols, wt, wc, w2;
    if ((s = qa_tensor_alloc(&z, &ctx->step, x->dtype, 3, (int64_t[]){B, 1, Cin}, false))) return s;
    memset(z.data, 0, qa_tensor_span_bytes(&z));
    if ((s = qa_concat(ctx, &xp, 3, (qa_tensor[]){z, *x, z}, 1))) return s; /* (B, F + 2, Cin) zero-padded */
    if (stride == 1) {
        qa_tensor t[3];
        for (int k = 0; k < 3; k++)
            if ((s = qa_slice(ctx, &t[k], &xp, 1, k, F))) return s; /* frames t - 1 + k */
        if ((s = qa_concat(ctx, &cols, 3, t, 2))) return s;         /* (B, F, 3 Cin) */
    } else {
        /* pairs of padded frames: row j = [xp_2j, xp_2j+1]; output t takes row t and xp_2t+2 */
        qa_tensor pairs, a, nx, nx1;
        int64_t Fo = F / 2;
        if ((s = qa_reshape(ctx, &pairs, &xp, 3, (int64_t[]){B, Fo + 1, 2 * Cin}))) return s;
        if ((s = qa_slice(ctx, &a, &pairs, 1, 0, Fo)) || (s = qa_slice(ctx, &nx, &pairs, 1, 1, Fo)) ||
            (s = qa_slice(ctx, &nx1, &nx, 2, 0, Cin)))
            return s;
        if ((s = qa_concat(ctx, &cols, 2, (qa_tensor[]){a, nx1}, 2))) return s; /* (B, Fo, 3 Cin) */
    }
    /* w (Cout, Cin, 3) -> (Cout, 3, Cin) contiguous -> (Cout, 3 Cin), tap-major like cols */
    if ((s = qa_transpose(ctx, &wt, w, 1, 2)) || (s = qa_copy(ctx, &wc, &wt, w->dtype)) ||
        (s = qa_reshape(ctx, &w2, &wc, 2, (int64_t[]){Cout, 3 * Cin})))
        return s;
    return qa_model_linear(ctx, y, &cols, &w2, b);
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

    /* conv stem as products over time-major "im2col" rows (see conv_k3) */
    qa_tensor melt, c1, g1, c2, g2, pos, x;
    if ((s = qa_transpose(ctx, &melt, &melv, 1, 2))) return s; /* (B, 2T, M) view */
    if ((s = conv_k3(ctx, &c1, &melt, e->conv1_w, e->conv1_b, 1))) return s; /* (B, 2T, E) */
    if ((s = qa_gelu(ctx, &g1, &c1))) return s;
    if ((s = conv_k3(ctx, &c2, &g1, e->conv2_w, e->conv2_b, 2))) return s;    /* (B, T, E) */
    if ((s = qa_gelu(ctx, &g2, &c2))) return s;
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
