/* model/memory: estimates of the memory a model needs to run and to train, from its parameter
 * table (what `qaudio info` prints). The formulas are written out in docs/checkpoint-format.md;
 * they are estimates for planning, the trainer measures the real figure.
 *
 *   qa_model_memory m;
 *   qa_model_memory_estimate(&m, &cfg, &table);
 *   printf("%.1f GiB", m.run_total / 1073741824.0);
 */
#ifndef QA_MODEL_MEMORY_H
#define QA_MODEL_MEMORY_H

#include <stdint.h>

#include "model/config.h"
#include "model/params.h"

typedef enum { QA_TRAIN_STAGE1 = 0, QA_TRAIN_STAGE2, QA_TRAIN_FULL, QA_TRAIN_MODES } qa_train_mode;

typedef struct {
    uint64_t weights_bf16;       /* every stored tensor in bf16 */
    uint64_t run_activations;    /* f32 inference activations: 30 s audio + seq_length tokens with KV cache */
    uint64_t run_total;          /* weights_bf16 + run_activations */
    uint64_t train[QA_TRAIN_MODES]; /* trained part: f32 master + grad + AdamW m and v (16 B/param);
                                       frozen part: bf16 (2 B/param); activations excluded */
} qa_model_memory;

void qa_model_memory_estimate(qa_model_memory *m, const qa_model_config *cfg, const qa_param_table *t);
const char *qa_train_mode_name(qa_train_mode m); /* "stage1", "stage2", "full" */

#endif
