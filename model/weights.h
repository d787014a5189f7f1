/* model/weights: the model's parameters in memory, bound to the checkpoint's tensors by name.
 * Owns one flat f32 value buffer (every tensor of the parameter table at its flat offset
 * (model/params.h), converted ONCE at load from the mapped checkpoint, whatever its stored dtype:
 * f32, bf16 or f16), and one flat f32 gradient buffer that covers ONLY the trained parts' ranges (a
 * frozen part costs no gradient memory). Frozen
 * 2-d matrices may instead be kept in bf16 (opts.frozen_bf16, for the 7B forward on a 24 GiB machine):
 * their linears then run in bf16 (see qa_model_linear) and gradients still flow through them; those
 * stored as BF16 are used in place in the checkpoint's read-only mapping (no second copy of a 7B
 * model), so the checkpoint must stay open while the weights live.
 *
 *   qa_weights *w;
 *   qa_weights_opts o = {.train = QA_TRAIN_ENCODER};           // stage 1: LLM frozen
 *   if ((s = qa_weights_load(&w, ck, &o))) return s;
 *   w->enc.blocks[0].q_w          // transformer.audio.blocks.0.attn.query.weight (E, E)
 *   w->lm.blocks[1].c_attn_w      // transformer.h.1.attn.c_attn.weight (3P, D)
 *   qa_weights_zero_grad(w);  ... forward + qa_tape_backward ...  w->t[i].grad
 *   qa_weights_free(w);
 *
 * Layouts are the checkpoint's own (Linear [out, in], Conv1d [out, in, k]) which are exactly what
 * qa_linear and qa_conv1d take, so no reorder is needed. */
#ifndef QA_MODEL_WEIGHTS_H
#define QA_MODEL_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ctx.h"
#include "core/status.h"
#include "core/tensor.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/params.h"

/* Which parts are trained (get requires_grad and gradient memory). */
enum { QA_TRAIN_NONE = 0, QA_TRAIN_ENCODER = 1, QA_TRAIN_LLM = 2, QA_TRAIN_ALL = 3 };

typedef struct {
    const qa_tensor *attn_ln_w, *attn_ln_b; /* blocks.%d.attn_ln.{weight,bias} (E) */
    const qa_tensor *q_w, *q_b;             /* blocks.%d.attn.query.{weight (E, E), bias (E)} */
    const qa_tensor *k_w;                   /* blocks.%d.attn.key.weight (E, E), no bias */
    const qa_tensor *v_w, *v_b;             /* blocks.%d.attn.value.{weight, bias} */
    const qa_tensor *o_w, *o_b;             /* blocks.%d.attn.out.{weight, bias} */
    const qa_tensor *mlp_ln_w, *mlp_ln_b;   /* blocks.%d.mlp_ln.{weight,bias} (E) */
    const qa_tensor *fc1_w, *fc1_b;         /* blocks.%d.mlp.0.{weight (4E, E), bias (4E)} */
    const qa_tensor *fc2_w, *fc2_b;         /* blocks.%d.mlp.2.{weight (E, 4E), bias (E)} */
} qa_enc_block_w;

typedef struct {
    const qa_tensor *conv1_w, *conv1_b; /* transformer.audio.conv1.{weight (E, M, 3), bias (E)} */
    const qa_tensor *conv2_w, *conv2_b; /* transformer.audio.conv2.{weight (E, E, 3), bias (E)} */
    const qa_tensor *pos;               /* transformer.audio.positional_embedding (n_ctx, E), buffer */
    qa_enc_block_w *blocks;             /* [n_layer] */
    const qa_tensor *ln_post_w, *ln_post_b; /* transformer.audio.ln_post.{weight,bias} (E) */
    const qa_tensor *proj_w, *proj_b;   /* transformer.audio.proj.{weight (D, E), bias (D)} */
    const qa_tensor *bos_eos;           /* transformer.audio.audio_bos_eos_token.weight (2, D) */
} qa_enc_w;

typedef struct {
    const qa_tensor *ln_1;               /* transformer.h.%d.ln_1.weight (D) */
    const qa_tensor *c_attn_w, *c_attn_b; /* attn.c_attn.{weight (3P, D), bias (3P)} */
    const qa_tensor *c_proj;             /* attn.c_proj.weight (D, P) */
    const qa_tensor *ln_2;               /* ln_2.weight (D) */
    const qa_tensor *w1, *w2;            /* mlp.w1.weight, mlp.w2.weight (F, D); SiLU on w2 */
    const qa_tensor *mlp_proj;           /* mlp.c_proj.weight (D, F) */
} qa_lm_block_w;

typedef struct {
    const qa_tensor *wte;     /* transformer.wte.weight (V, D) */
    qa_lm_block_w *blocks;    /* [num_hidden_layers] */
    const qa_tensor *ln_f;    /* transformer.ln_f.weight (D) */
    const qa_tensor *lm_head; /* lm_head.weight (V, D), untied */
} qa_lm_w;

typedef struct {
    int train;        /* QA_TRAIN_* mask */
    bool frozen_bf16; /* keep frozen 2-d matrices in bf16 (memory feature; their linears run in bf16) */
    int skip;         /* parts NOT loaded (QA_TRAIN_* bits as part bits): their tensors have data NULL
                         and that part must not be run (an encoder-only benchmark, a text-only LLM) */
} qa_weights_opts;

typedef struct {
    qa_model_config cfg;
    qa_param_table table;
    qa_tensor *t;          /* [table.n], t[i].name = table.p[i].name */
    /* Flat layout of model/params.h: tensor i of an f32 part is at values[table.p[i].offset -
     * values_base], its gradient at grads[offset - grads_base]; every part is one contiguous range
     * (qa_weights_part_values/_grads), so optimizer steps, clipping and all-reduce are single passes. */
    float *values;         /* (n_values) the f32 parts' range of the flat layout */
    int64_t values_base;   /* flat offset of values[0] */
    float *values_extra;   /* (n_values_extra) f32 tensors of parts kept in bf16 (norms, biases, stem) */
    uint16_t *values_bf16; /* bf16 matrices converted at load (those stored BF16 point into the mapping) */
    float *grads;          /* (n_grads) the trained parts' range of the flat layout, or NULL */
    int64_t grads_base;    /* flat offset of grads[0] */
    size_t n_values, n_values_extra, n_values_bf16, n_grads; /* elements */
    int train;
    qa_enc_w enc;
    qa_lm_w lm;
} qa_weights;

qa_status qa_weights_load(qa_weights **out, const qa_checkpoint *ck, const qa_weights_opts *opts);
void qa_weights_free(qa_weights *w);
/* Index of `name` in w->t, or -1. */
int qa_weights_find(const qa_weights *w, const char *name);
/* Zeroes every gradient (one pass over the flat buffer). */
void qa_weights_zero_grad(qa_weights *w);
/* The contiguous values / gradients of one part (n elements, alignment gaps and the stored buffer
 * included), or NULL when that part is not in the flat f32 buffer (skipped, bf16) / not trained. */
float *qa_weights_part_values(const qa_weights *w, qa_part part, int64_t *n);
float *qa_weights_part_grads(const qa_weights *w, qa_part part, int64_t *n);
/* Bytes of values (f32 + bf16) and of gradients. */
size_t qa_weights_value_bytes(const qa_weights *w);
size_t qa_weights_grad_bytes(const qa_weights *w);

/* y = x w^T + b for an f32 activation x and a weight w in f32 or bf16 (then x is cast to bf16,
 * the product runs in bf16 and y is cast back to f32; gradients flow through the casts). */
qa_status qa_model_linear(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b);

/* Forward memory of frozen / no-grad stacks: a layer whose ops recorded nothing on the tape left
 * nothing the backward needs, so its temporaries are released (arena rewound) once its output is
 * copied into a holder allocated before the stack. A stack then needs one layer of activations,
 * not all of them (the 7B forward, stage-2 encoder).
 *   qa_tensor hold; qa_model_layer_holder(ctx, &hold, &x);
 *   for each layer: sc = qa_model_layer_begin(ctx); block(&y, &x); qa_model_layer_end(ctx, &sc, &x, &y, &hold); */
typedef struct {
    size_t tape_n, mark;
} qa_layer_scope;
qa_status qa_model_layer_holder(qa_ctx *ctx, qa_tensor *hold, const qa_tensor *like);
qa_layer_scope qa_model_layer_begin(const qa_ctx *ctx);
/* Sets *x to the layer output: y itself when the layer recorded, else its copy in hold. */
void qa_model_layer_end(qa_ctx *ctx, const qa_layer_scope *sc, qa_tensor *x, const qa_tensor *y, const qa_tensor *hold);

#endif
