/* model/config: the shape and hyper-parameters of a Qwen-Audio model (audio encoder + Qwen LM),
 * read from configs/model/NAME.yaml or from a Hugging Face config.json, and written back as a
 * config.json with the official Qwen-Audio key set (and its `audio` block).
 *
 * The YAML files use exactly the config.json key names (top level = LLM keys, `audio:` = encoder
 * keys, plus `name`), so one table drives both readers:
 *   qa_model_config cfg;
 *   s = qa_model_config_load_yaml(&cfg, "configs/model/tiny.yaml", sets, nsets);  // unknown keys: error
 *   s = qa_model_config_load_json(&cfg, "ckpt/config.json");                      // unknown keys: ignored
 *   s = qa_model_config_write_json(&cfg, "out/config.json");
 * Required keys missing -> QA_ERR_CONFIG naming the key and the file. */
#ifndef QA_MODEL_CONFIG_H
#define QA_MODEL_CONFIG_H

#include "core/config.h"
#include "core/status.h"

typedef struct {
    char name[64];             /* "tiny", "qwen-audio-7b", ... (not in config.json) */

    /* audio encoder (config.json "audio" block) */
    int n_mels;                /* M: mel bins (80) */
    int n_ctx;                 /* positions after the conv stem (1500) */
    int n_state;               /* encoder width (1280) */
    int n_head;                /* encoder heads (20) */
    int n_layer;               /* encoder blocks (32) */
    int output_dim;            /* proj output = LLM hidden size (4096) */
    int avg_pool;              /* AvgPool1d(2, 2) after the blocks */
    int add_audio_bos_eos_token;
    int audio_start_id;        /* <audio> token id (155163); </audio> is +1 */

    /* Qwen LM */
    int vocab_size;            /* V: rows of wte and lm_head (155947) */
    int hidden_size;           /* D (4096) */
    int num_attention_heads;   /* H (32) */
    int kv_channels;           /* Dh (128) */
    int num_hidden_layers;     /* L (32) */
    int intermediate_size;     /* 22016: the MLP width is intermediate_size / 2 */
    double layer_norm_epsilon; /* RMSNorm eps (1e-6) */
    double rotary_emb_base;    /* 10000 */
    double rotary_pct;         /* 1.0 */
    int seq_length;            /* 2048: dynamic NTK threshold */
    int max_position_embeddings;
    int no_bias;               /* true: bias only on c_attn */
    int tie_word_embeddings;   /* false for Qwen-Audio */
    int use_dynamic_ntk;
    int use_logn_attn;
    int scale_attn_weights;
    double initializer_range;  /* std of normal init (0.02) */
    double emb_dropout_prob;
    double attn_dropout_prob;
    char torch_dtype[16];      /* "bfloat16", "float32" */
} qa_model_config;

/* Derived sizes. */
static inline int qa_model_config_mlp_width(const qa_model_config *c) { return c->intermediate_size / 2; }
static inline int qa_model_config_proj_size(const qa_model_config *c) { return c->num_attention_heads * c->kv_channels; }
static inline int qa_model_config_encoder_ffn(const qa_model_config *c) { return 4 * c->n_state; }

/* Loads configs/model/NAME.yaml; `sets` are "key=value" overrides (e.g. "audio.n_layer=1"). */
qa_status qa_model_config_load_yaml(qa_model_config *cfg, const char *path, const char *const *sets, int nsets);
/* Reads the model keys from a loaded tree (marks them used; does not check unknown keys). */
qa_status qa_model_config_from_tree(qa_model_config *cfg, qa_config *tree, const char *what);
/* Loads a Hugging Face config.json (Qwen-Audio keys; others are ignored). */
qa_status qa_model_config_load_json(qa_model_config *cfg, const char *path);
/* Writes config.json atomically, official key set and order. */
qa_status qa_model_config_write_json(const qa_model_config *cfg, const char *path);
/* Checks that sizes are positive and consistent (heads divide widths, output_dim == hidden_size). */
qa_status qa_model_config_validate(const qa_model_config *cfg, const char *what);

#endif
