/* model/config: see config.h. One key table drives the YAML reader, the config.json reader and
 * the config.json writer. config.json is first turned into a qa_config tree (cJSON -> nodes) so
 * both readers share the typed getters and their messages. */
#include "model/config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "core/fileio.h"

typedef enum { K_INT, K_DOUBLE, K_BOOL, K_STR } ktype;

typedef struct {
    const char *key;  /* dotted path in the tree ("audio.n_mels") */
    ktype type;
    size_t off;
    int required;
    double def;       /* default for non-required numbers/bools */
} key_spec;

#define F(field) offsetof(qa_model_config, field)
/* Defaults: configuration_qwen.py / the Qwen-Audio config.json values (spec section 3). */
static const key_spec keys[] = {
    {"vocab_size", K_INT, F(vocab_size), 1, 0},
    {"hidden_size", K_INT, F(hidden_size), 1, 0},
    {"num_attention_heads", K_INT, F(num_attention_heads), 1, 0},
    {"kv_channels", K_INT, F(kv_channels), 1, 0},
    {"num_hidden_layers", K_INT, F(num_hidden_layers), 1, 0},
    {"intermediate_size", K_INT, F(intermediate_size), 1, 0},
    {"layer_norm_epsilon", K_DOUBLE, F(layer_norm_epsilon), 0, 1e-6},
    {"rotary_emb_base", K_DOUBLE, F(rotary_emb_base), 0, 10000},
    {"rotary_pct", K_DOUBLE, F(rotary_pct), 0, 1.0},
    {"seq_length", K_INT, F(seq_length), 0, 2048},
    {"max_position_embeddings", K_INT, F(max_position_embeddings), 0, 2048},
    {"no_bias", K_BOOL, F(no_bias), 0, 1},
    {"tie_word_embeddings", K_BOOL, F(tie_word_embeddings), 0, 0},
    {"use_dynamic_ntk", K_BOOL, F(use_dynamic_ntk), 0, 1},
    {"use_logn_attn", K_BOOL, F(use_logn_attn), 0, 1},
    {"scale_attn_weights", K_BOOL, F(scale_attn_weights), 0, 1},
    {"initializer_range", K_DOUBLE, F(initializer_range), 0, 0.02},
    {"emb_dropout_prob", K_DOUBLE, F(emb_dropout_prob), 0, 0},
    {"attn_dropout_prob", K_DOUBLE, F(attn_dropout_prob), 0, 0},
    {"torch_dtype", K_STR, F(torch_dtype), 0, 0},
    {"audio.n_mels", K_INT, F(n_mels), 1, 0},
    {"audio.n_ctx", K_INT, F(n_ctx), 1, 0},
    {"audio.n_state", K_INT, F(n_state), 1, 0},
    {"audio.n_head", K_INT, F(n_head), 1, 0},
    {"audio.n_layer", K_INT, F(n_layer), 1, 0},
    {"audio.output_dim", K_INT, F(output_dim), 1, 0},
    {"audio.avg_pool", K_BOOL, F(avg_pool), 0, 1},
    {"audio.add_audio_bos_eos_token", K_BOOL, F(add_audio_bos_eos_token), 0, 1},
    {"audio.audio_start_id", K_INT, F(audio_start_id), 0, 155163},
};
#define NKEYS ((int)(sizeof keys / sizeof keys[0]))

qa_status qa_model_config_from_tree(qa_model_config *cfg, qa_config *tree, const char *what)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->torch_dtype, sizeof cfg->torch_dtype, "float32");
    char *base = (char *)cfg;
    qa_status s = QA_OK;
    for (int i = 0; i < NKEYS && !s; i++) {
        const key_spec *k = &keys[i];
        qa_config_node *n = qa_config_get(tree, k->key);
        if (!n) {
            if (k->required)
                return qa_error(QA_ERR_CONFIG, "%s: required key %s is missing (a Qwen-Audio model config needs it)",
                                what, k->key);
            if (k->type == K_INT) *(int *)(base + k->off) = (int)k->def;
            else if (k->type == K_BOOL) *(int *)(base + k->off) = k->def != 0;
            else if (k->type == K_DOUBLE) *(double *)(base + k->off) = k->def;
            continue;
        }
        long long v;
        switch (k->type) {
        case K_INT:
            s = qa_config_node_int(n, k->key, &v);
            if (!s && (v < -2147483647LL || v > 2147483647LL)) {
                char where[512];
                s = qa_error(QA_ERR_CONFIG, "%s: key %s: %lld is out of range", qa_config_where(n, where, sizeof where), k->key, v);
            }
            if (!s) *(int *)(base + k->off) = (int)v;
            break;
        case K_DOUBLE: s = qa_config_node_double(n, k->key, (double *)(base + k->off)); break;
        case K_BOOL: s = qa_config_node_bool(n, k->key, (int *)(base + k->off)); break;
        case K_STR:
            if (n->kind != QA_CONFIG_SCALAR) {
                char where[512];
                s = qa_error(QA_ERR_CONFIG, "%s: key %s: expected a string", qa_config_where(n, where, sizeof where), k->key);
            } else {
                snprintf(base + k->off, sizeof cfg->torch_dtype, "%s", n->value);
            }
            break;
        }
    }
    if (s) return s;
    const char *name = NULL;
    if ((s = qa_config_str(tree, "name", NULL, &name))) return s;
    if (name) snprintf(cfg->name, sizeof cfg->name, "%s", name);
    return qa_model_config_validate(cfg, what);
}

qa_status qa_model_config_validate(const qa_model_config *c, const char *what)
{
    struct { const char *k; int v; } pos[] = {
        {"vocab_size", c->vocab_size}, {"hidden_size", c->hidden_size}, {"num_attention_heads", c->num_attention_heads},
        {"kv_channels", c->kv_channels}, {"num_hidden_layers", c->num_hidden_layers},
        {"intermediate_size", c->intermediate_size}, {"audio.n_mels", c->n_mels}, {"audio.n_ctx", c->n_ctx},
        {"audio.n_state", c->n_state}, {"audio.n_head", c->n_head}, {"audio.n_layer", c->n_layer},
        {"audio.output_dim", c->output_dim},
    };
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (pos[i].v <= 0) return qa_error(QA_ERR_CONFIG, "%s: %s must be positive (is %d)", what, pos[i].k, pos[i].v);
    if (c->intermediate_size % 2)
        return qa_error(QA_ERR_CONFIG, "%s: intermediate_size %d must be even (the MLP width is intermediate_size/2)",
                        what, c->intermediate_size);
    if (c->n_state % c->n_head)
        return qa_error(QA_ERR_CONFIG, "%s: audio.n_state %d is not a multiple of audio.n_head %d", what, c->n_state, c->n_head);
    if (c->n_state % 2)
        return qa_error(QA_ERR_CONFIG, "%s: audio.n_state %d must be even (sinusoidal positions)", what, c->n_state);
    if (c->kv_channels % 2)
        return qa_error(QA_ERR_CONFIG, "%s: kv_channels %d must be even (rotary embedding)", what, c->kv_channels);
    if (c->output_dim != c->hidden_size)
        return qa_error(QA_ERR_CONFIG, "%s: audio.output_dim %d must equal hidden_size %d (audio frames are spliced "
                        "into the token embeddings)", what, c->output_dim, c->hidden_size);
    if (c->add_audio_bos_eos_token && (c->audio_start_id < 0 || c->audio_start_id + 1 >= c->vocab_size))
        return qa_error(QA_ERR_CONFIG, "%s: audio.audio_start_id %d (and +1) must be below vocab_size %d", what,
                        c->audio_start_id, c->vocab_size);
    if (!(c->layer_norm_epsilon > 0) || !(c->rotary_emb_base > 0) || !(c->rotary_pct > 0 && c->rotary_pct <= 1))
        return qa_error(QA_ERR_CONFIG, "%s: layer_norm_epsilon and rotary_emb_base must be > 0, rotary_pct in (0, 1]", what);
    if (c->rotary_pct != 1.0)
        return qa_error(QA_ERR_UNSUPPORTED, "%s: rotary_pct %g: only 1.0 (rotary over the whole head) is supported", what,
                        c->rotary_pct);
    if (!c->no_bias)
        return qa_error(QA_ERR_UNSUPPORTED, "%s: no_bias false is not supported (Qwen has bias only on c_attn)", what);
    if (c->tie_word_embeddings)
        return qa_error(QA_ERR_UNSUPPORTED, "%s: tie_word_embeddings true is not supported (Qwen-Audio unties lm_head)", what);
    if (!c->avg_pool || !c->add_audio_bos_eos_token)
        return qa_error(QA_ERR_UNSUPPORTED, "%s: audio.avg_pool and audio.add_audio_bos_eos_token must be true", what);
    if (!(c->initializer_range >= 0))
        return qa_error(QA_ERR_CONFIG, "%s: initializer_range must be >= 0", what);
    return QA_OK;
}

qa_status qa_model_config_load_yaml(qa_model_config *cfg, const char *path, const char *const *sets, int nsets)
{
    qa_config *tree;
    qa_status s = qa_config_load(&tree, path);
    if (s) return s;
    for (int i = 0; i < nsets && !s; i++) s = qa_config_set(tree, sets[i]);
    if (!s) s = qa_model_config_from_tree(cfg, tree, path);
    if (!s) s = qa_config_check_unused(tree, NULL);
    qa_config_free(tree);
    return s;
}

/* ---- config.json ---- */

static qa_status json_to_node(const cJSON *j, qa_config_node *parent, const char *file)
{
    for (const cJSON *e = j->child; e; e = e->next) {
        qa_config_node *n = calloc(1, sizeof *n);
        if (!n) return qa_error(QA_ERR_NOMEM, "out of memory");
        n->file = file;
        if (parent->kind == QA_CONFIG_MAP && !(n->key = strdup(e->string ? e->string : ""))) { free(n); return qa_error(QA_ERR_NOMEM, "out of memory"); }
        char num[64];
        if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
            n->kind = cJSON_IsObject(e) ? QA_CONFIG_MAP : QA_CONFIG_SEQ;
        } else {
            n->kind = QA_CONFIG_SCALAR;
            const char *v = "";
            if (cJSON_IsString(e)) { v = e->valuestring; n->quoted = 1; }
            else if (cJSON_IsBool(e)) v = cJSON_IsTrue(e) ? "true" : "false";
            else if (cJSON_IsNumber(e)) { snprintf(num, sizeof num, "%.17g", e->valuedouble); v = num; }
            n->value = strdup(v);
            if (!n->value) { free(n->key); free(n); return qa_error(QA_ERR_NOMEM, "out of memory"); }
        }
        if (parent->n == parent->cap) {
            int cap = parent->cap ? parent->cap * 2 : 16;
            qa_config_node **ni = realloc(parent->items, (size_t)cap * sizeof *ni);
            if (!ni) { free(n->key); free(n->value); free(n); return qa_error(QA_ERR_NOMEM, "out of memory"); }
            parent->items = ni;
            parent->cap = cap;
        }
        parent->items[parent->n++] = n;
        if (n->kind != QA_CONFIG_SCALAR) {
            qa_status s = json_to_node(e, n, file);
            if (s) return s;
        }
    }
    return QA_OK;
}

qa_status qa_model_config_load_json(qa_model_config *cfg, const char *path)
{
    char *text;
    size_t len;
    qa_status s = qa_file_read_all(path, &text, &len);
    if (s) return s;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j || !cJSON_IsObject(j)) {
        s = qa_error(QA_ERR_FORMAT, "%s: not a JSON object (malformed near byte %ld)", path,
                     end ? (long)(end - text) : 0L);
        cJSON_Delete(j);
        free(text);
        return s;
    }
    free(text);
    qa_config *tree;
    if ((s = qa_config_new(&tree))) { cJSON_Delete(j); return s; }
    /* keep the file name alive in the tree */
    char **nf = realloc(tree->files, (size_t)(tree->nfiles + 1) * sizeof *nf);
    if (!nf) s = qa_error(QA_ERR_NOMEM, "out of memory");
    else {
        tree->files = nf;
        if (!(nf[tree->nfiles] = strdup(path))) s = qa_error(QA_ERR_NOMEM, "out of memory");
        else tree->root->file = nf[tree->nfiles++];
    }
    if (!s) s = json_to_node(j, tree->root, tree->root->file);
    cJSON_Delete(j);
    if (!s) {
        qa_config_node *a = qa_config_get(tree, "audio");
        if (!a || a->kind != QA_CONFIG_MAP)
            s = qa_error(QA_ERR_CONFIG, "%s: no \"audio\" block: this is not a Qwen-Audio config.json (a plain Qwen LLM "
                         "config? assemble a model with `qaudio init --whisper DIR --qwen DIR`)", path);
    }
    if (!s) s = qa_model_config_from_tree(cfg, tree, path);
    qa_config_free(tree);
    return s;
}

/* Python-like float text: shortest round-trip form, "1.0" for integral values, "1e-06" style. */
static void fmt_double(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e16) { snprintf(buf, n, "%.1f", v); return; }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

qa_status qa_model_config_write_json(const qa_model_config *c, const char *path)
{
    qa_status s = qa_model_config_validate(c, path);
    if (s) return s;
    char eps[32], base[32], pct[32], init[32], edrop[32], adrop[32];
    fmt_double(eps, sizeof eps, c->layer_norm_epsilon);
    fmt_double(base, sizeof base, c->rotary_emb_base);
    if (c->rotary_emb_base == floor(c->rotary_emb_base)) snprintf(base, sizeof base, "%.0f", c->rotary_emb_base);
    fmt_double(pct, sizeof pct, c->rotary_pct);
    fmt_double(init, sizeof init, c->initializer_range);
    fmt_double(edrop, sizeof edrop, c->emb_dropout_prob);
    fmt_double(adrop, sizeof adrop, c->attn_dropout_prob);
#define B(x) ((x) ? "true" : "false")
    qa_atomic_file af;
    if ((s = qa_atomic_file_open(&af, path))) return s;
    fprintf(af.f,
            "{\n"
            "  \"architectures\": [\n    \"QWenLMHeadModel\"\n  ],\n"
            "  \"auto_map\": {\n"
            "    \"AutoConfig\": \"configuration_qwen.QWenConfig\",\n"
            "    \"AutoModelForCausalLM\": \"modeling_qwen.QWenLMHeadModel\"\n  },\n"
            "  \"attn_dropout_prob\": %s,\n  \"bf16\": %s,\n  \"fp16\": false,\n  \"fp32\": %s,\n"
            "  \"emb_dropout_prob\": %s,\n  \"intermediate_size\": %d,\n  \"initializer_range\": %s,\n"
            "  \"kv_channels\": %d,\n  \"layer_norm_epsilon\": %s,\n  \"model_type\": \"qwen\",\n"
            "  \"hidden_size\": %d,\n  \"num_attention_heads\": %d,\n  \"num_hidden_layers\": %d,\n"
            "  \"max_position_embeddings\": %d,\n  \"no_bias\": %s,\n  \"onnx_safe\": null,\n"
            "  \"rotary_emb_base\": %s,\n  \"rotary_pct\": %s,\n  \"scale_attn_weights\": %s,\n"
            "  \"seq_length\": %d,\n  \"tie_word_embeddings\": %s,\n  \"tokenizer_type\": \"QWenTokenizer\",\n"
            "  \"transformers_version\": \"4.31.0\",\n  \"use_cache\": true,\n  \"vocab_size\": %d,\n"
            "  \"use_dynamic_ntk\": %s,\n  \"use_logn_attn\": %s,\n"
            "  \"audio\": {\n    \"n_mels\": %d,\n    \"n_ctx\": %d,\n    \"n_state\": %d,\n    \"n_head\": %d,\n"
            "    \"n_layer\": %d,\n    \"output_dim\": %d,\n    \"avg_pool\": %s,\n"
            "    \"add_audio_bos_eos_token\": %s,\n    \"audio_start_id\": %d\n  },\n"
            "  \"torch_dtype\": \"%s\"\n}\n",
            adrop, B(0), B(0), edrop, c->intermediate_size, init, c->kv_channels,
            eps, c->hidden_size, c->num_attention_heads, c->num_hidden_layers, c->max_position_embeddings,
            B(c->no_bias), base, pct, B(c->scale_attn_weights), c->seq_length, B(c->tie_word_embeddings),
            c->vocab_size, B(c->use_dynamic_ntk), B(c->use_logn_attn), c->n_mels, c->n_ctx, c->n_state, c->n_head,
            c->n_layer, c->output_dim, B(c->avg_pool), B(c->add_audio_bos_eos_token), c->audio_start_id,
            c->torch_dtype[0] ? c->torch_dtype : "float32");
#undef B
    return qa_atomic_file_commit(&af);
}
