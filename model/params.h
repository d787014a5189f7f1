/* model/params: the parameter table of a Qwen-Audio model, generated from its config: every
 * checkpoint key (Hugging Face / official names, spec sections 2-3) with its shape, the part it
 * belongs to (audio encoder or LLM), whether it is trained or a stored buffer, and how a fresh
 * model initialises it. Checkpoint I/O, the model code, freezing and optimizer groups all walk
 * this one table, so names and shapes are written down once.
 *
 *   qa_param_table t;
 *   if ((s = qa_params_build(&t, &cfg))) return s;
 *   int i = qa_params_find(&t, "transformer.h.0.attn.c_attn.weight");   // -1 when absent
 *   qa_param_counts c = qa_params_count(&t);                           // per part
 *   qa_params_free(&t);
 *
 * Table order: encoder (conv1, conv2, positional_embedding, blocks 0.., ln_post, proj,
 * audio_bos_eos_token), then LLM (wte, h.0.., ln_f, lm_head). The table also lays the tensors out
 * in one flat buffer (p[i].offset, flat_numel): every part is one contiguous range, so freezing a
 * part, its gradients, AdamW moments and all-reduce are single passes over [part_begin, part_end). */
#ifndef QA_MODEL_PARAMS_H
#define QA_MODEL_PARAMS_H

#include <stdint.h>

#include "core/status.h"
#include "model/config.h"

typedef enum { QA_PART_ENCODER = 0, QA_PART_LLM = 1, QA_PART_COUNT } qa_part;

typedef enum {
    QA_INIT_NORMAL,   /* normal(0, std) */
    QA_INIT_ZEROS,    /* biases */
    QA_INIT_ONES,     /* norm weights */
    QA_INIT_SINUSOID, /* Whisper sinusoids (positional_embedding buffer) */
} qa_init_kind;

#define QA_PARAM_NAME_MAX 96

typedef struct {
    char name[QA_PARAM_NAME_MAX];
    int ndim;
    int64_t shape[3];
    int64_t numel;
    qa_part part;
    int trainable;      /* 0 for the positional_embedding buffer */
    qa_init_kind init;
    float init_std;     /* for QA_INIT_NORMAL */
    int new_in_qwen_audio; /* proj, audio_bos_eos_token: absent from Whisper (assembly initialises them) */
    int64_t offset;     /* element offset in a flat buffer laid out in table order (QA_PARAM_ALIGN-aligned) */
} qa_param_info;

/* Flat-buffer alignment of every tensor, in elements (64 bytes of f32). */
#define QA_PARAM_ALIGN 16

typedef struct {
    qa_param_info *p; /* [n] */
    int n;
    int64_t flat_numel;                 /* elements of a flat buffer holding every tensor */
    int64_t part_begin[QA_PART_COUNT];  /* each part is one contiguous range of the flat buffer: */
    int64_t part_end[QA_PART_COUNT];    /* [begin, end) elements (encoder first, then LLM) */
} qa_param_table;

typedef struct {
    int64_t trainable[QA_PART_COUNT]; /* parameters per part */
    int64_t buffers[QA_PART_COUNT];   /* stored non-trainable elements per part */
    int tensors[QA_PART_COUNT];       /* tensors per part (buffers included) */
} qa_param_counts;

qa_status qa_params_build(qa_param_table *t, const qa_model_config *cfg);
void qa_params_free(qa_param_table *t);
int qa_params_find(const qa_param_table *t, const char *name);
qa_param_counts qa_params_count(const qa_param_table *t);
const char *qa_part_name(qa_part p); /* "encoder", "llm" */

/* Whisper sinusoids(length, channels) row-major [length, channels] (spec section 2 step 3):
 * inv_k = exp(-k ln(10000) / (channels/2 - 1)); row t = [sin(t inv), cos(t inv)]. */
void qa_params_sinusoids(float *dst, int length, int channels);

#endif
