/* model/memory: see memory.h. */
#include "model/memory.h"

#include <string.h>

const char *qa_train_mode_name(qa_train_mode m)
{
    static const char *const names[QA_TRAIN_MODES] = {"stage1", "stage2", "full"};
    return (int)m >= 0 && m < QA_TRAIN_MODES ? names[m] : "?";
}

void qa_model_memory_estimate(qa_model_memory *m, const qa_model_config *c, const qa_param_table *t)
{
    memset(m, 0, sizeof *m);
    qa_param_counts n = qa_params_count(t);
    uint64_t enc = (uint64_t)n.trainable[QA_PART_ENCODER], llm = (uint64_t)n.trainable[QA_PART_LLM];
    uint64_t buf = (uint64_t)(n.buffers[QA_PART_ENCODER] + n.buffers[QA_PART_LLM]);
    m->weights_bf16 = 2 * (enc + llm + buf);
    /* encoder at 30 s (n_ctx positions), one layer live at a time: x, LN out, q, k, v, attention
     * output (6 T E), MLP hidden (T 4E) and one head's-worth of scores for every head (H T T) */
    uint64_t T = (uint64_t)c->n_ctx, E = (uint64_t)c->n_state, H = (uint64_t)c->n_head;
    uint64_t enc_act = 4 * (6 * T * E + T * 4 * E + H * T * T);
    /* LLM prefill of seq_length tokens: KV cache of every layer + one layer's work (x, q, k, v,
     * attention out: 5 S P; MLP: 3 S F; scores H S S) + the logits of the last row */
    uint64_t S = (uint64_t)c->seq_length, L = (uint64_t)c->num_hidden_layers;
    uint64_t P = (uint64_t)qa_model_config_proj_size(c), F = (uint64_t)qa_model_config_mlp_width(c);
    uint64_t Hq = (uint64_t)c->num_attention_heads, V = (uint64_t)c->vocab_size;
    uint64_t kv = 4 * 2 * L * S * P;
    uint64_t llm_act = 4 * (5 * S * P + 3 * S * F + Hq * S * S + V);
    m->run_activations = enc_act > llm_act ? enc_act + kv : llm_act + kv;
    m->run_total = m->weights_bf16 + m->run_activations;
    m->train[QA_TRAIN_STAGE1] = 16 * enc + 2 * llm + 4 * buf;
    m->train[QA_TRAIN_STAGE2] = 2 * enc + 16 * llm + 4 * buf;
    m->train[QA_TRAIN_FULL] = 16 * (enc + llm) + 4 * buf;
}
