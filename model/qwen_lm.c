/* model/qwen_lm: the Qwen decoder forward (spec section 3). See model/qwen_lm.h. */
#include "model/qwen_lm.h"

#include <math.h>

#include "core/ops/activation.h"
#include "core/ops/attention.h"
#include "core/ops/elementwise.h"
#include "core/ops/embedding.h"
#include "core/ops/matmul.h"
#include "core/ops/norm.h"
#include "core/ops/rope.h"
#include "core/ops/shape.h"

qa_status qa_qwen_lm_embed(qa_ctx *ctx, const qa_weights *w, qa_tensor *x, const qa_tensor *ids)
{
    qa_status s;
    if (!w->lm.wte->data) return qa_error(QA_ERR_ARG, "qwen lm: its weights were not loaded (opts.skip)");
    if (w->lm.wte->dtype == QA_F32) return qa_embedding(ctx, x, w->lm.wte, ids);
    qa_tensor xb;
    if ((s = qa_embedding(ctx, &xb, w->lm.wte, ids))) return s;
    return qa_copy(ctx, x, &xb, QA_F32);
}

static qa_status lm_block(qa_ctx *ctx, qa_tensor *out, const qa_tensor *x, const qa_lm_block_w *b,
                          const qa_model_config *c, const int32_t *kv_len)
{
    qa_status s;
    int64_t B = x->shape[0], T = x->shape[1];
    int64_t H = c->num_attention_heads, Dh = c->kv_channels, P = H * Dh;
    float eps = (float)c->layer_norm_epsilon;
    qa_tensor h, qkv, qkv4, q, k, v, qr, kr, a4, a, o, x1, h2, a1, a2, sa2, m, f;
    if ((s = qa_rms_norm(ctx, &h, x, b->ln_1, eps))) return s;
    if ((s = qa_model_linear(ctx, &qkv, &h, b->c_attn_w, b->c_attn_b))) return s; /* (B, T, 3P) */
    if ((s = qa_reshape(ctx, &qkv4, &qkv, 4, (int64_t[]){B, T, 3 * H, Dh}))) return s;
    if ((s = qa_slice(ctx, &q, &qkv4, 2, 0, H)) || (s = qa_slice(ctx, &k, &qkv4, 2, H, H)) ||
        (s = qa_slice(ctx, &v, &qkv4, 2, 2 * H, H)))
        return s;
    if ((s = qa_rope(ctx, &qr, &q, c->rotary_emb_base, 0)) || (s = qa_rope(ctx, &kr, &k, c->rotary_emb_base, 0)))
        return s;
    qa_attention_opts ao = {.scale = 1.0 / sqrt((double)Dh), .causal = true, .kv_len = kv_len};
    if ((s = qa_attention(ctx, &a4, &qr, &kr, &v, &ao))) return s;
    if ((s = qa_reshape(ctx, &a, &a4, 3, (int64_t[]){B, T, P}))) return s;
    if ((s = qa_model_linear(ctx, &o, &a, b->c_proj, NULL))) return s;
    if ((s = qa_add(ctx, &x1, x, &o))) return s;
    if ((s = qa_rms_norm(ctx, &h2, &x1, b->ln_2, eps))) return s;
    if ((s = qa_model_linear(ctx, &a1, &h2, b->w1, NULL))) return s;
    if ((s = qa_model_linear(ctx, &a2, &h2, b->w2, NULL))) return s;
    if ((s = qa_silu(ctx, &sa2, &a2))) return s; /* SiLU on the w2 branch */
    if ((s = qa_mul(ctx, &m, &a1, &sa2))) return s;
    if ((s = qa_model_linear(ctx, &f, &m, b->mlp_proj, NULL))) return s;
    return qa_add(ctx, out, &x1, &f);
}

qa_status qa_qwen_lm_forward(qa_ctx *ctx, const qa_weights *w, qa_tensor *logits, const qa_tensor *x,
                             const int32_t *kv_len)
{
    const qa_model_config *c = &w->cfg;
    qa_status s;
    if (!w->lm.lm_head->data) return qa_error(QA_ERR_ARG, "qwen lm: its weights were not loaded (opts.skip)");
    if (x->ndim != 3 || x->shape[2] != c->hidden_size)
        return qa_error(QA_ERR_SHAPE, "qwen lm: input must be (B, T, %d)", c->hidden_size);
    /* The reference scales RoPE (dynamic NTK) and queries (logn) beyond seq_length only in eval mode;
     * training (a recording tape here) uses plain RoPE at any length. Eval beyond it is refused. */
    if (x->shape[1] > c->seq_length && !qa_grad_enabled(ctx) && (c->use_dynamic_ntk || c->use_logn_attn))
        return qa_error(QA_ERR_UNSUPPORTED,
                        "qwen lm: %lld tokens exceed seq_length %d in evaluation; the reference's dynamic NTK / logn "
                        "attention there are not implemented: shorten the input",
                        (long long)x->shape[1], c->seq_length);
    qa_tensor h = *x, hold;
    if ((s = qa_model_layer_holder(ctx, &hold, x))) return s;
    for (int l = 0; l < c->num_hidden_layers; l++) {
        qa_tensor y;
        qa_layer_scope sc = qa_model_layer_begin(ctx);
        if ((s = lm_block(ctx, &y, &h, &w->lm.blocks[l], c, kv_len))) return s;
        qa_model_layer_end(ctx, &sc, &h, &y, &hold);
    }
    qa_tensor hf;
    if ((s = qa_rms_norm(ctx, &hf, &h, w->lm.ln_f, (float)c->layer_norm_epsilon))) return s;
    return qa_model_linear(ctx, logits, &hf, w->lm.lm_head, NULL);
}
