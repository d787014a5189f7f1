/* cli/cmd_info: `qaudio info DIR` (or `--config FILE`) prints a model's config, parameter counts
 * per part, stored dtypes, and the memory needed to run and to train it, as text or --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "cli/cli.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/memory.h"
#include "model/params.h"

typedef struct {
    uint64_t bytes[QA_PART_COUNT][QA_ST_DTYPE_COUNT];
    int tensors[QA_PART_COUNT][QA_ST_DTYPE_COUNT];
} dtype_stats;

static double gib(uint64_t b) { return (double)b / 1073741824.0; }

static void print_text(const qa_model_config *c, const qa_param_table *t, const dtype_stats *ds, const char *what)
{
    qa_param_counts n = qa_params_count(t);
    qa_model_memory m;
    qa_model_memory_estimate(&m, c, t);
    printf("model: %s%s%s\n", what, c->name[0] ? "  name: " : "", c->name);
    printf("audio encoder: n_mels %d, n_ctx %d, width %d, heads %d, layers %d, ffn %d, output_dim %d, audio_start_id %d\n",
           c->n_mels, c->n_ctx, c->n_state, c->n_head, c->n_layer, 4 * c->n_state, c->output_dim, c->audio_start_id);
    printf("LLM: vocab %d, hidden %d, heads %d x %d, layers %d, mlp %d (intermediate_size %d), eps %g, rope base %g, "
           "seq_length %d\n", c->vocab_size, c->hidden_size, c->num_attention_heads, c->kv_channels,
           c->num_hidden_layers, c->intermediate_size / 2, c->intermediate_size, c->layer_norm_epsilon,
           c->rotary_emb_base, c->seq_length);
    printf("parameters:\n");
    for (int p = 0; p < QA_PART_COUNT; p++)
        printf("  %-8s %15lld trainable + %lld buffer elements, %d tensors\n", qa_part_name((qa_part)p),
               (long long)n.trainable[p], (long long)n.buffers[p], n.tensors[p]);
    printf("  %-8s %15lld\n", "total", (long long)(n.trainable[0] + n.trainable[1]));
    if (ds) {
        printf("stored dtypes:\n");
        for (int p = 0; p < QA_PART_COUNT; p++)
            for (int d = 0; d < QA_ST_DTYPE_COUNT; d++)
                if (ds->tensors[p][d])
                    printf("  %-8s %-5s %4d tensors, %.3f GiB\n", qa_part_name((qa_part)p), qa_st_dtype_name((qa_st_dtype)d),
                           ds->tensors[p][d], gib(ds->bytes[p][d]));
    }
    printf("memory to run (bf16 weights + f32 activations of 30 s audio and %d tokens): %.2f GiB "
           "(weights %.2f + activations %.2f)\n", c->seq_length, gib(m.run_total), gib(m.weights_bf16), gib(m.run_activations));
    printf("memory to train, excluding activations (trained: f32 master + grad + AdamW m, v; frozen: bf16):\n");
    const char *desc[QA_TRAIN_MODES] = {"encoder trained, LLM frozen", "LLM trained, encoder frozen", "everything trained"};
    for (int i = 0; i < QA_TRAIN_MODES; i++)
        printf("  %-7s %.2f GiB  (%s)\n", qa_train_mode_name((qa_train_mode)i), gib(m.train[i]), desc[i]);
}

static int print_json(const qa_model_config *c, const qa_param_table *t, const dtype_stats *ds, const char *what)
{
    qa_param_counts n = qa_params_count(t);
    qa_model_memory m;
    qa_model_memory_estimate(&m, c, t);
    cJSON *j = cJSON_CreateObject(), *x;
    if (!j) return 1;
    cJSON_AddStringToObject(j, "source", what);
    cJSON_AddStringToObject(j, "name", c->name);
    x = cJSON_AddObjectToObject(j, "audio");
    cJSON_AddNumberToObject(x, "n_mels", c->n_mels);
    cJSON_AddNumberToObject(x, "n_ctx", c->n_ctx);
    cJSON_AddNumberToObject(x, "n_state", c->n_state);
    cJSON_AddNumberToObject(x, "n_head", c->n_head);
    cJSON_AddNumberToObject(x, "n_layer", c->n_layer);
    cJSON_AddNumberToObject(x, "output_dim", c->output_dim);
    x = cJSON_AddObjectToObject(j, "llm");
    cJSON_AddNumberToObject(x, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(x, "hidden_size", c->hidden_size);
    cJSON_AddNumberToObject(x, "num_attention_heads", c->num_attention_heads);
    cJSON_AddNumberToObject(x, "kv_channels", c->kv_channels);
    cJSON_AddNumberToObject(x, "num_hidden_layers", c->num_hidden_layers);
    cJSON_AddNumberToObject(x, "intermediate_size", c->intermediate_size);
    x = cJSON_AddObjectToObject(j, "parameters");
    for (int p = 0; p < QA_PART_COUNT; p++) {
        cJSON *y = cJSON_AddObjectToObject(x, qa_part_name((qa_part)p));
        cJSON_AddNumberToObject(y, "trainable", (double)n.trainable[p]);
        cJSON_AddNumberToObject(y, "buffers", (double)n.buffers[p]);
        cJSON_AddNumberToObject(y, "tensors", n.tensors[p]);
    }
    cJSON_AddNumberToObject(x, "total", (double)(n.trainable[0] + n.trainable[1]));
    if (ds) {
        x = cJSON_AddObjectToObject(j, "dtypes");
        for (int p = 0; p < QA_PART_COUNT; p++) {
            cJSON *y = cJSON_AddObjectToObject(x, qa_part_name((qa_part)p));
            for (int d = 0; d < QA_ST_DTYPE_COUNT; d++)
                if (ds->tensors[p][d]) cJSON_AddNumberToObject(y, qa_st_dtype_name((qa_st_dtype)d), (double)ds->bytes[p][d]);
        }
    }
    x = cJSON_AddObjectToObject(j, "memory_bytes");
    cJSON_AddNumberToObject(x, "weights_bf16", (double)m.weights_bf16);
    cJSON_AddNumberToObject(x, "run_activations", (double)m.run_activations);
    cJSON_AddNumberToObject(x, "run", (double)m.run_total);
    for (int i = 0; i < QA_TRAIN_MODES; i++) {
        char key[32];
        snprintf(key, sizeof key, "train_%s", qa_train_mode_name((qa_train_mode)i));
        cJSON_AddNumberToObject(x, key, (double)m.train[i]);
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) return 1;
    printf("%s\n", text);
    free(text);
    return 0;
}

static int run(int argc, char **argv)
{
    const char *config = NULL;
    int json = 0;
    qa_cli_list sets = {0};
    qa_cli_opt opts[] = {
        {NULL, "--config", QA_OPT_STR, &config, "FILE", "describe a model config instead of a checkpoint"},
        {NULL, "--set", QA_OPT_LIST, &sets, "KEY=VALUE", "override a config key (with --config)"},
        {NULL, "--json", QA_OPT_FLAG, &json, NULL, "print one JSON object"},
        {0}};
    const char *pos[1];
    int npos = 0;
    int rc = qa_cli_parse(argc, argv, opts, "[CHECKPOINT_DIR]", pos, 1, &npos);
    if (rc >= 0) return rc;
    if (!config == !npos) return qa_cli_usage_error(argv[0], "give a checkpoint directory or --config FILE (one of them)");
    if (npos && sets.n) return qa_cli_usage_error(argv[0], "--set goes with --config");
    qa_status s;
    if (config) {
        qa_model_config cfg;
        qa_param_table t;
        if ((s = qa_model_config_load_yaml(&cfg, config, sets.items, sets.n))) return qa_cli_fail(argv[0], s);
        if ((s = qa_params_build(&t, &cfg))) return qa_cli_fail(argv[0], s);
        if (json) rc = print_json(&cfg, &t, NULL, config);
        else print_text(&cfg, &t, NULL, config), rc = 0;
        qa_params_free(&t);
        return rc;
    }
    qa_checkpoint *ck;
    if ((s = qa_checkpoint_open(&ck, pos[0]))) return qa_cli_fail(argv[0], s);
    dtype_stats ds;
    memset(&ds, 0, sizeof ds);
    for (int i = 0; i < ck->table.n; i++) {
        const qa_st_tensor *t = ck->tensors[i];
        ds.bytes[ck->table.p[i].part][t->dtype] += t->nbytes;
        ds.tensors[ck->table.p[i].part][t->dtype]++;
    }
    if (json) rc = print_json(&ck->cfg, &ck->table, &ds, pos[0]);
    else {
        print_text(&ck->cfg, &ck->table, &ds, pos[0]);
        printf("weights: %s (%d file%s)%s%s\n", ck->weights.sharded ? "sharded" : "model.safetensors", ck->weights.nfiles,
               ck->weights.nfiles == 1 ? "" : "s", ck->tokenizer_path ? "; tokenizer: " : "; no tokenizer file",
               ck->tokenizer_path ? ck->tokenizer_path : "");
        rc = 0;
    }
    qa_checkpoint_close(ck);
    return rc;
}

const qa_cli_cmd qa_cmd_info = {"info", "print a model's config, parameter counts, dtypes and memory needs", run};
