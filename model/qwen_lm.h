/* model/qwen_lm: the Qwen (Qwen-7B architecture) decoder LM of Qwen-Audio (spec section 3), forward on
 * the engine so that the tape gives its backward.
 *
 *   per block: h = x + c_proj(Attn(RMSNorm_ln_1(x))); x = h + mlp.c_proj(w1(y) * SiLU(w2(y))), y = RMSNorm_ln_2(h)
 *   RMSNorm eps = layer_norm_epsilon; c_attn (D -> 3P) with bias, q/k/v = rows [0,P), [P,2P), [2P,3P);
 *   rotate-half RoPE over the whole head (base rotary_emb_base, positions 0..T-1); causal attention
 *   scaled by Dh^-0.5 (+ key padding); c_proj without bias; final ln_f; untied lm_head (D -> V).
 * Dynamic NTK and logn attention act only in the reference's eval mode beyond seq_length (2048)
 * tokens: such inputs are rejected in no-grad (evaluation) mode; training uses plain RoPE at any
 * length, as the reference's train mode does (docs/model.md).
 *
 *   qa_tensor x;       // (B, T, D) input embeddings (qa_qwen_lm_embed, then the audio splice)
 *   qa_tensor logits;  // (B, T, V)
 *   s = qa_qwen_lm_embed(ctx, w, &x, &ids);              // ids (B, T) i32
 *   s = qa_qwen_lm_forward(ctx, w, &logits, &x, kv_len);  // kv_len (B) or NULL
 */
#ifndef QA_MODEL_QWEN_LM_H
#define QA_MODEL_QWEN_LM_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/status.h"
#include "core/tensor.h"
#include "model/weights.h"

/* x (B, T, D) = wte[ids]; ids (B, T) i32. An id outside [0, V) is an error naming its position. */
qa_status qa_qwen_lm_embed(qa_ctx *ctx, const qa_weights *w, qa_tensor *x, const qa_tensor *ids);
/* logits (B, T, V) from x (B, T, D); kv_len (B) hides keys >= kv_len[b] (right padding) or NULL. */
qa_status qa_qwen_lm_forward(qa_ctx *ctx, const qa_weights *w, qa_tensor *logits, const qa_tensor *x,
                             const int32_t *kv_len);

#endif
