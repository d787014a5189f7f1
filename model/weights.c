/* model/weights: binds the parameter table to in-memory tensors loaded once from a checkpoint.
 * See model/weights.h. */
#include "model/weights.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops/matmul.h"
#include "core/ops/shape.h"

static bool part_trained(int train, qa_part p)
{
    return (p == QA_PART_ENCODER && (train & QA_TRAIN_ENCODER)) || (p == QA_PART_LLM && (train & QA_TRAIN_LLM));
}

/* A frozen 2-d matrix (not a norm, bias or the positional buffer) kept in bf16 when asked. */
static bool keep_bf16(const qa_weights_opts *o, const qa_param_info *p)
{
    return o->frozen_bf16 && !part_trained(o->train, p->part) && p->ndim == 2 && p->trainable &&
           !strstr(p->name, "positional_embedding") && !strstr(p->name, "audio_bos_eos_token");
}

/* A bf16-kept tensor stored as BF16 is used in place, in the checkpoint's read-only mapping. */
static bool maps_direct(const qa_checkpoint *ck, int i)
{
    const qa_st_tensor *st = ck->tensors[i];
    return st->dtype == QA_ST_BF16 && ((uintptr_t)st->data % sizeof(uint16_t)) == 0;
}

int qa_weights_find(const qa_weights *w, const char *name)
{
    return qa_params_find(&w->table, name);
}

static qa_status bind(const qa_weights *w, const qa_tensor **dst, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static qa_status bind(const qa_weights *w, const qa_tensor **dst, const char *fmt, ...)
{
    char name[QA_PARAM_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    int i = qa_weights_find(w, name);
    if (i < 0) return qa_error(QA_ERR_FORMAT, "model weights: no tensor %s in the parameter table", name);
    *dst = &w->t[i];
    return QA_OK;
}

static qa_status bind_all(qa_weights *w)
{
    const qa_model_config *c = &w->cfg;
    const char *A = "transformer.audio";
    qa_enc_w *e = &w->enc;
    qa_lm_w *m = &w->lm;
    qa_status s = QA_OK;
#define B(dst, ...) \
    if ((s = bind(w, &(dst), __VA_ARGS__))) return s
    B(e->conv1_w, "%s.conv1.weight", A);
    B(e->conv1_b, "%s.conv1.bias", A);
    B(e->conv2_w, "%s.conv2.weight", A);
    B(e->conv2_b, "%s.conv2.bias", A);
    B(e->pos, "%s.positional_embedding", A);
    for (int l = 0; l < c->n_layer; l++) {
        qa_enc_block_w *b = &e->blocks[l];
        B(b->attn_ln_w, "%s.blocks.%d.attn_ln.weight", A, l);
        B(b->attn_ln_b, "%s.blocks.%d.attn_ln.bias", A, l);
        B(b->q_w, "%s.blocks.%d.attn.query.weight", A, l);
        B(b->q_b, "%s.blocks.%d.attn.query.bias", A, l);
        B(b->k_w, "%s.blocks.%d.attn.key.weight", A, l);
        B(b->v_w, "%s.blocks.%d.attn.value.weight", A, l);
        B(b->v_b, "%s.blocks.%d.attn.value.bias", A, l);
        B(b->o_w, "%s.blocks.%d.attn.out.weight", A, l);
        B(b->o_b, "%s.blocks.%d.attn.out.bias", A, l);
        B(b->mlp_ln_w, "%s.blocks.%d.mlp_ln.weight", A, l);
        B(b->mlp_ln_b, "%s.blocks.%d.mlp_ln.bias", A, l);
        B(b->fc1_w, "%s.blocks.%d.mlp.0.weight", A, l);
        B(b->fc1_b, "%s.blocks.%d.mlp.0.bias", A, l);
        B(b->fc2_w, "%s.blocks.%d.mlp.2.weight", A, l);
        B(b->fc2_b, "%s.blocks.%d.mlp.2.bias", A, l);
    }
    B(e->ln_post_w, "%s.ln_post.weight", A);
    B(e->ln_post_b, "%s.ln_post.bias", A);
    B(e->proj_w, "%s.proj.weight", A);
    B(e->proj_b, "%s.proj.bias", A);
    B(e->bos_eos, "%s.audio_bos_eos_token.weight", A);
    B(m->wte, "transformer.wte.weight");
    for (int l = 0; l < c->num_hidden_layers; l++) {
        qa_lm_block_w *b = &m->blocks[l];
        B(b->ln_1, "transformer.h.%d.ln_1.weight", l);
        B(b->c_attn_w, "transformer.h.%d.attn.c_attn.weight", l);
        B(b->c_attn_b, "transformer.h.%d.attn.c_attn.bias", l);
        B(b->c_proj, "transformer.h.%d.attn.c_proj.weight", l);
        B(b->ln_2, "transformer.h.%d.ln_2.weight", l);
        B(b->w1, "transformer.h.%d.mlp.w1.weight", l);
        B(b->w2, "transformer.h.%d.mlp.w2.weight", l);
        B(b->mlp_proj, "transformer.h.%d.mlp.c_proj.weight", l);
    }
    B(m->ln_f, "transformer.ln_f.weight");
    B(m->lm_head, "lm_head.weight");
#undef B
    return QA_OK;
}

qa_status qa_weights_load(qa_weights **out, const qa_checkpoint *ck, const qa_weights_opts *opts)
{
    *out = NULL;
    qa_weights_opts o = opts ? *opts : (qa_weights_opts){0};
    qa_weights *w = calloc(1, sizeof *w);
    if (!w) return qa_error(QA_ERR_NOMEM, "model weights: out of memory");
    w->cfg = ck->cfg;
    o.train &= ~o.skip;
    w->train = o.train;
    qa_status s = qa_params_build(&w->table, &w->cfg);
    if (s) goto fail;
    int n = w->table.n;
    w->t = calloc((size_t)n, sizeof *w->t);
    w->enc.blocks = calloc((size_t)(w->cfg.n_layer > 0 ? w->cfg.n_layer : 1), sizeof *w->enc.blocks);
    w->lm.blocks = calloc((size_t)(w->cfg.num_hidden_layers > 0 ? w->cfg.num_hidden_layers : 1), sizeof *w->lm.blocks);
    if (!w->t || !w->enc.blocks || !w->lm.blocks) {
        s = qa_error(QA_ERR_NOMEM, "model weights: out of memory");
        goto fail;
    }
    /* f32 tensors of "flat" parts (loaded, and not frozen in bf16) live at their table offsets in one
     * range [values_base, values_base + n_values) of the flat layout (model/params.h); the few f32
     * tensors of a bf16 part (norms, biases, conv stem, buffers) go in a compact extra buffer */
    bool flat_part[QA_PART_COUNT];
    int64_t vb = -1, ve = 0, gb = -1, ge = 0;
    for (int q = 0; q < QA_PART_COUNT; q++) {
        flat_part[q] = !part_trained(o.skip, (qa_part)q) && !(o.frozen_bf16 && !part_trained(o.train, (qa_part)q));
        if (flat_part[q]) {
            if (vb < 0) vb = w->table.part_begin[q];
            ve = w->table.part_end[q];
        }
        if (part_trained(o.train, (qa_part)q)) {
            if (gb < 0) gb = w->table.part_begin[q];
            ge = w->table.part_end[q];
        }
    }
    w->values_base = vb < 0 ? 0 : vb;
    w->n_values = vb < 0 ? 0 : (size_t)(ve - vb);
    w->grads_base = gb < 0 ? 0 : gb;
    w->n_grads = gb < 0 ? 0 : (size_t)(ge - gb);
    size_t n_extra = 0;
    for (int i = 0; i < n; i++) {
        const qa_param_info *p = &w->table.p[i];
        if (part_trained(o.skip, p->part) || flat_part[p->part]) continue;
        if (keep_bf16(&o, p)) w->n_values_bf16 += maps_direct(ck, i) ? 0 : (size_t)p->numel;
        else n_extra += (size_t)p->numel;
    }
    /* calloc: alignment gaps read as zero; untouched pages cost no memory */
    w->values = calloc(w->n_values ? w->n_values : 1, sizeof(float));
    w->values_extra = n_extra ? malloc(sizeof(float) * n_extra) : NULL;
    w->values_bf16 = w->n_values_bf16 ? malloc(sizeof(uint16_t) * w->n_values_bf16) : NULL;
    w->grads = w->n_grads ? calloc(w->n_grads, sizeof(float)) : NULL;
    if (!w->values || (n_extra && !w->values_extra) || (w->n_values_bf16 && !w->values_bf16) ||
        (w->n_grads && !w->grads)) {
        s = qa_error(QA_ERR_NOMEM,
                     "model weights: cannot allocate %zu f32 + %zu bf16 values and %zu gradients (%.1f GiB): keep "
                     "frozen parts in bf16 (opts.frozen_bf16, qaudio forward --bf16) or freeze a part",
                     w->n_values + n_extra, w->n_values_bf16, w->n_grads,
                     (double)(4 * (w->n_values + n_extra + w->n_grads) + 2 * w->n_values_bf16) / 1073741824.0);
        goto fail;
    }
    w->n_values_extra = n_extra;
    size_t off16 = 0, offx = 0;
    for (int i = 0; i < n; i++) {
        const qa_param_info *p = &w->table.p[i];
        qa_tensor *t = &w->t[i];
        if (part_trained(o.skip, p->part)) {
            if ((s = qa_tensor_init(t, QA_F32, p->ndim, p->shape, NULL))) goto fail;
            t->name = p->name;
            continue;
        }
        if (!flat_part[p->part] && keep_bf16(&o, p)) {
            const qa_st_tensor *st = ck->tensors[i];
            if (maps_direct(ck, i)) {
                if ((s = qa_tensor_init(t, QA_BF16, p->ndim, p->shape, (void *)st->data))) goto fail;
                t->name = p->name;
                continue;
            }
            uint16_t *dst = w->values_bf16 + off16;
            /* convert through f32 in chunks to avoid a full f32 copy */
            float buf[4096];
            for (int64_t j = 0; j < p->numel; j += 4096) {
                int64_t k = p->numel - j < 4096 ? p->numel - j : 4096;
                if ((s = qa_st_to_f32(buf, st, j, k))) goto fail;
                for (int64_t q = 0; q < k; q++) dst[j + q] = qa_bf16_from_f32(buf[q]);
            }
            if ((s = qa_tensor_init(t, QA_BF16, p->ndim, p->shape, dst))) goto fail;
            off16 += (size_t)p->numel;
        } else {
            float *dst = flat_part[p->part] ? w->values + (p->offset - w->values_base) : w->values_extra + offx;
            if (!flat_part[p->part]) offx += (size_t)p->numel;
            if ((s = qa_checkpoint_read_f32(ck, i, dst))) goto fail;
            if ((s = qa_tensor_init(t, QA_F32, p->ndim, p->shape, dst))) goto fail;
        }
        t->name = p->name;
        if (p->trainable && part_trained(o.train, p->part)) {
            t->grad = w->grads + (p->offset - w->grads_base);
            t->requires_grad = true;
        }
    }
    if ((s = bind_all(w))) goto fail;
    *out = w;
    return QA_OK;
fail:
    qa_weights_free(w);
    return s;
}

void qa_weights_free(qa_weights *w)
{
    if (!w) return;
    free(w->t);
    free(w->values);
    free(w->values_extra);
    free(w->values_bf16);
    free(w->grads);
    free(w->enc.blocks);
    free(w->lm.blocks);
    qa_params_free(&w->table);
    free(w);
}

void qa_weights_zero_grad(qa_weights *w)
{
    if (w && w->grads) memset(w->grads, 0, sizeof(float) * w->n_grads);
}

size_t qa_weights_value_bytes(const qa_weights *w)
{
    return sizeof(float) * (w->n_values + w->n_values_extra) + sizeof(uint16_t) * w->n_values_bf16;
}

size_t qa_weights_grad_bytes(const qa_weights *w)
{
    return sizeof(float) * w->n_grads;
}

float *qa_weights_part_values(const qa_weights *w, qa_part part, int64_t *n)
{
    int64_t b = w->table.part_begin[part], e = w->table.part_end[part];
    if (b < w->values_base || e > w->values_base + (int64_t)w->n_values || !w->n_values) return NULL;
    *n = e - b;
    return w->values + (b - w->values_base);
}

float *qa_weights_part_grads(const qa_weights *w, qa_part part, int64_t *n)
{
    int64_t b = w->table.part_begin[part], e = w->table.part_end[part];
    if (!w->grads || b < w->grads_base || e > w->grads_base + (int64_t)w->n_grads) return NULL;
    *n = e - b;
    return w->grads + (b - w->grads_base);
}

qa_status qa_model_linear(qa_ctx *ctx, qa_tensor *y, const qa_tensor *x, const qa_tensor *w, const qa_tensor *b)
{
    if (w->dtype == x->dtype) return qa_linear(ctx, y, x, w, b);
    /* bf16 weight, f32 activation: run the product in bf16 (the frozen-bf16 memory mode). */
    qa_tensor xb, yb, bb;
    qa_status s;
    if ((s = qa_copy(ctx, &xb, x, w->dtype))) return s;
    const qa_tensor *bias = b;
    if (b && b->dtype != w->dtype) {
        if ((s = qa_copy(ctx, &bb, b, w->dtype))) return s;
        bias = &bb;
    }
    if ((s = qa_linear(ctx, &yb, &xb, w, bias))) return s;
    return qa_copy(ctx, y, &yb, x->dtype);
}

qa_status qa_model_layer_holder(qa_ctx *ctx, qa_tensor *hold, const qa_tensor *like)
{
    return qa_tensor_alloc(hold, &ctx->step, like->dtype, like->ndim, like->shape, false);
}

qa_layer_scope qa_model_layer_begin(const qa_ctx *ctx)
{
    return (qa_layer_scope){.tape_n = ctx->tape.n, .mark = qa_arena_mark(&ctx->step)};
}

void qa_model_layer_end(qa_ctx *ctx, const qa_layer_scope *sc, qa_tensor *x, const qa_tensor *y, const qa_tensor *hold)
{
    if (ctx->tape.n != sc->tape_n || y->requires_grad || !qa_tensor_is_contiguous(y) ||
        qa_tensor_numel(y) != qa_tensor_numel(hold) || y->dtype != hold->dtype) {
        *x = *y;
        return;
    }
    memcpy(hold->data, y->data, qa_tensor_span_bytes(y));
    qa_arena_rewind(&ctx->step, sc->mark);
    *x = *hold;
}
