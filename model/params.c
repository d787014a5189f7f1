/* model/params: see params.h. Names and shapes follow spec sections 2-3 exactly (PyTorch Linear
 * layout [out, in], Conv1d [out, in, k]). */
#include "model/params.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *qa_part_name(qa_part p) { return p == QA_PART_ENCODER ? "encoder" : p == QA_PART_LLM ? "llm" : "?"; }

typedef struct {
    qa_param_table *t;
    int cap;
    qa_part part;
    int oom;
} builder;

static qa_param_info *add(builder *b, qa_init_kind init, float std, int ndim, int64_t d0, int64_t d1, int64_t d2,
                          const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static qa_param_info *add(builder *b, qa_init_kind init, float std, int ndim, int64_t d0, int64_t d1, int64_t d2,
                          const char *fmt, ...)
{
    if (b->oom) return NULL;
    if (b->t->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 64;
        qa_param_info *np = realloc(b->t->p, (size_t)cap * sizeof *np);
        if (!np) { b->oom = 1; return NULL; }
        b->t->p = np;
        b->cap = cap;
    }
    qa_param_info *p = &b->t->p[b->t->n++];
    memset(p, 0, sizeof *p);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->name, sizeof p->name, fmt, ap);
    va_end(ap);
    p->ndim = ndim;
    p->shape[0] = d0;
    p->shape[1] = d1;
    p->shape[2] = d2;
    p->numel = d0 * (ndim > 1 ? d1 : 1) * (ndim > 2 ? d2 : 1);
    p->part = b->part;
    p->trainable = init != QA_INIT_SINUSOID;
    p->init = init;
    p->init_std = init == QA_INIT_NORMAL ? std : 0.f;
    return p;
}

qa_status qa_params_build(qa_param_table *t, const qa_model_config *c)
{
    memset(t, 0, sizeof *t);
    qa_status s = qa_model_config_validate(c, "model config");
    if (s) return s;
    builder b = {.t = t, .part = QA_PART_ENCODER};
    const float std = (float)c->initializer_range;
    /* Qwen's _init_weights: c_proj weights get std / sqrt(2 * num_hidden_layers) */
    const float std_cproj = (float)(c->initializer_range / sqrt(2.0 * c->num_hidden_layers));
    const int64_t E = c->n_state, Ef = qa_model_config_encoder_ffn(c), M = c->n_mels;
    const int64_t D = c->hidden_size, P = qa_model_config_proj_size(c), F = qa_model_config_mlp_width(c);
    const int64_t V = c->vocab_size;
    const char *A = "transformer.audio";

    /* audio encoder */
    add(&b, QA_INIT_NORMAL, std, 3, E, M, 3, "%s.conv1.weight", A);   /* [E, M, 3] */
    add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.conv1.bias", A);
    add(&b, QA_INIT_NORMAL, std, 3, E, E, 3, "%s.conv2.weight", A);   /* [E, E, 3] stride 2 */
    add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.conv2.bias", A);
    add(&b, QA_INIT_SINUSOID, 0, 2, c->n_ctx, E, 0, "%s.positional_embedding", A); /* [n_ctx, E] buffer */
    for (int l = 0; l < c->n_layer; l++) {
        add(&b, QA_INIT_NORMAL, std, 2, E, E, 0, "%s.blocks.%d.attn.query.weight", A, l);
        add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.blocks.%d.attn.query.bias", A, l);
        add(&b, QA_INIT_NORMAL, std, 2, E, E, 0, "%s.blocks.%d.attn.key.weight", A, l); /* no bias */
        add(&b, QA_INIT_NORMAL, std, 2, E, E, 0, "%s.blocks.%d.attn.value.weight", A, l);
        add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.blocks.%d.attn.value.bias", A, l);
        add(&b, QA_INIT_NORMAL, std, 2, E, E, 0, "%s.blocks.%d.attn.out.weight", A, l);
        add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.blocks.%d.attn.out.bias", A, l);
        add(&b, QA_INIT_ONES, 0, 1, E, 0, 0, "%s.blocks.%d.attn_ln.weight", A, l);
        add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.blocks.%d.attn_ln.bias", A, l);
        add(&b, QA_INIT_NORMAL, std, 2, Ef, E, 0, "%s.blocks.%d.mlp.0.weight", A, l); /* [4E, E] */
        add(&b, QA_INIT_ZEROS, 0, 1, Ef, 0, 0, "%s.blocks.%d.mlp.0.bias", A, l);
        add(&b, QA_INIT_NORMAL, std, 2, E, Ef, 0, "%s.blocks.%d.mlp.2.weight", A, l); /* [E, 4E] */
        add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.blocks.%d.mlp.2.bias", A, l);
        add(&b, QA_INIT_ONES, 0, 1, E, 0, 0, "%s.blocks.%d.mlp_ln.weight", A, l);
        add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.blocks.%d.mlp_ln.bias", A, l);
    }
    add(&b, QA_INIT_ONES, 0, 1, E, 0, 0, "%s.ln_post.weight", A);
    add(&b, QA_INIT_ZEROS, 0, 1, E, 0, 0, "%s.ln_post.bias", A);
    qa_param_info *p;
    if ((p = add(&b, QA_INIT_NORMAL, std, 2, c->output_dim, E, 0, "%s.proj.weight", A))) p->new_in_qwen_audio = 1;
    if ((p = add(&b, QA_INIT_ZEROS, 0, 1, c->output_dim, 0, 0, "%s.proj.bias", A))) p->new_in_qwen_audio = 1;
    if ((p = add(&b, QA_INIT_NORMAL, std, 2, 2, c->output_dim, 0, "%s.audio_bos_eos_token.weight", A)))
        p->new_in_qwen_audio = 1;

    /* Qwen LM */
    b.part = QA_PART_LLM;
    add(&b, QA_INIT_NORMAL, std, 2, V, D, 0, "transformer.wte.weight"); /* [V, D] */
    for (int l = 0; l < c->num_hidden_layers; l++) {
        add(&b, QA_INIT_ONES, 0, 1, D, 0, 0, "transformer.h.%d.ln_1.weight", l);
        add(&b, QA_INIT_NORMAL, std, 2, 3 * P, D, 0, "transformer.h.%d.attn.c_attn.weight", l); /* [3P, D]: q,k,v rows */
        add(&b, QA_INIT_ZEROS, 0, 1, 3 * P, 0, 0, "transformer.h.%d.attn.c_attn.bias", l);
        add(&b, QA_INIT_NORMAL, std_cproj, 2, D, P, 0, "transformer.h.%d.attn.c_proj.weight", l);
        add(&b, QA_INIT_ONES, 0, 1, D, 0, 0, "transformer.h.%d.ln_2.weight", l);
        add(&b, QA_INIT_NORMAL, std, 2, F, D, 0, "transformer.h.%d.mlp.w1.weight", l);  /* [F, D] */
        add(&b, QA_INIT_NORMAL, std, 2, F, D, 0, "transformer.h.%d.mlp.w2.weight", l);  /* [F, D] SiLU branch */
        add(&b, QA_INIT_NORMAL, std_cproj, 2, D, F, 0, "transformer.h.%d.mlp.c_proj.weight", l); /* [D, F] */
    }
    add(&b, QA_INIT_ONES, 0, 1, D, 0, 0, "transformer.ln_f.weight");
    add(&b, QA_INIT_NORMAL, std, 2, V, D, 0, "lm_head.weight"); /* [V, D] untied */
    if (b.oom) {
        qa_params_free(t);
        return qa_error(QA_ERR_NOMEM, "out of memory building the parameter table");
    }
    int64_t off = 0;
    for (int part = 0; part < QA_PART_COUNT; part++) {
        t->part_begin[part] = off;
        for (int i = 0; i < t->n; i++) {
            if ((int)t->p[i].part != part) continue;
            t->p[i].offset = off;
            off += (t->p[i].numel + QA_PARAM_ALIGN - 1) / QA_PARAM_ALIGN * QA_PARAM_ALIGN;
        }
        t->part_end[part] = off;
    }
    t->flat_numel = off;
    return QA_OK;
}

void qa_params_free(qa_param_table *t)
{
    if (!t) return;
    free(t->p);
    memset(t, 0, sizeof *t);
}

int qa_params_find(const qa_param_table *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->p[i].name, name)) return i;
    return -1;
}

qa_param_counts qa_params_count(const qa_param_table *t)
{
    qa_param_counts c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < t->n; i++) {
        const qa_param_info *p = &t->p[i];
        if (p->trainable) c.trainable[p->part] += p->numel;
        else c.buffers[p->part] += p->numel;
        c.tensors[p->part]++;
    }
    return c;
}

void qa_params_sinusoids(float *dst, int length, int channels)
{
    /* float32 steps as Whisper's PyTorch code: inv_k = exp(f32(-inc) * k) in f32, angle = f32(t) * inv_k
     * in f32; sin/cos of that f32 angle rounded once (PyTorch's vectorised sinf may differ by 1 ulp,
     * which is why a checkpoint's stored buffer is loaded rather than recomputed) */
    int half = channels / 2;
    float ninc = (float)(-(log(10000.0) / (half - 1 > 0 ? half - 1 : 1)));
    for (int k = 0; k < half; k++) {
        float inv = (float)exp((double)(ninc * (float)k));
        for (int t = 0; t < length; t++) {
            float a = (float)t * inv;
            dst[(size_t)t * channels + k] = (float)sin((double)a);
            dst[(size_t)t * channels + half + k] = (float)cos((double)a);
        }
    }
}
