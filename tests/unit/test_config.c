/* Unit tests for core/config (YAML tree, includes, --set, typed getters, unknown keys) and
 * model/config (YAML and config.json readers, config.json writer, validation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/fileio.h"
#include "model/config.h"
#include "model/params.h"
#include "tests/support/test.h"

static const char *write_file(char *buf, size_t n, const char *name, const char *text)
{
    snprintf(buf, n, "%s/%s", qa_test_tmpdir(), name);
    FILE *f = fopen(buf, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return buf;
}

static void test_getters(qa_t *t)
{
    qa_config *c = NULL;
    CHECK_OK(t, qa_config_load_string(&c,
                                      "train:\n"
                                      "  steps: 100\n"
                                      "  lr: 1.5e-4\n"
                                      "  name: \"42\"\n"
                                      "  fused: yes\n"
                                      "  bad: fast\n"
                                      "datasets:\n"
                                      "  - path: a.h5\n"
                                      "  - path: b.h5\n"
                                      "empty:\n",
                                      "recipe.yaml"));
    if (!c) return;
    long long steps, missing;
    double lr;
    int fused;
    const char *name, *p1;
    CHECK_OK(t, qa_config_int(c, "train.steps", 0, &steps));
    CHECK(t, steps == 100);
    CHECK_OK(t, qa_config_int(c, "train.nothing", 7, &missing));
    CHECK(t, missing == 7);
    CHECK_OK(t, qa_config_int(c, "empty", 9, &missing)); /* null value -> default */
    CHECK(t, missing == 9);
    CHECK_OK(t, qa_config_double(c, "train.lr", 0, &lr));
    CHECK_NEAR(t, lr, 1.5e-4, 0);
    CHECK_OK(t, qa_config_bool(c, "train.fused", 0, &fused));
    CHECK(t, fused == 1);
    CHECK_OK(t, qa_config_str(c, "train.name", NULL, &name));
    CHECK(t, !strcmp(name, "42"));
    CHECK_STATUS(t, qa_config_int(c, "train.name", 0, &steps), QA_ERR_CONFIG); /* quoted: a string */
    CHECK_OK(t, qa_config_str(c, "datasets.1.path", NULL, &p1));
    CHECK(t, p1 && !strcmp(p1, "b.h5"));
    CHECK_STATUS(t, qa_config_int(c, "train.bad", 0, &steps), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "recipe.yaml:6: key train.bad: expected an integer, found 'fast'") != NULL,
              "%s", qa_error_message());
    CHECK_STATUS(t, qa_config_double(c, "datasets", 0, &lr), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "recipe.yaml:7") && strstr(qa_error_message(), "found a list"));
    /* unknown keys: datasets.0.path was never read */
    CHECK_STATUS(t, qa_config_check_unused(c, NULL), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "recipe.yaml:8: unknown key datasets.0") != NULL, "%s", qa_error_message());
    CHECK_OK(t, qa_config_check_unused(c, "train"));
    qa_config_free(c);
}

static void test_includes_and_set(qa_t *t)
{
    char base[512], mid[512], top[512], cyc[512];
    write_file(base, sizeof base, "base.yaml", "model:\n  width: 64\n  depth: 2\nlr: 0.1\n");
    write_file(mid, sizeof mid, "mid.yaml", "include: base.yaml\nmodel:\n  depth: 4\n");
    CHECK(t, write_file(top, sizeof top, "top.yaml", "include: [mid.yaml]\nlr: 0.5\nextra: 1\n") != NULL);
    qa_config *c = NULL;
    CHECK_OK(t, qa_config_load(&c, top));
    if (!c) return;
    long long w, d;
    double lr;
    CHECK_OK(t, qa_config_int(c, "model.width", 0, &w));
    CHECK_OK(t, qa_config_int(c, "model.depth", 0, &d));
    CHECK_OK(t, qa_config_double(c, "lr", 0, &lr));
    CHECK(t, w == 64 && d == 4 && lr == 0.5);
    /* where each value came from */
    qa_config_node *n = qa_config_get(c, "model.width");
    CHECK(t, n && strstr(n->file, "base.yaml") && n->line == 2);
    CHECK_OK(t, qa_config_set(c, "model.width=128"));
    CHECK_OK(t, qa_config_set(c, "model.new.deep=[1, 2]"));
    CHECK_OK(t, qa_config_int(c, "model.width", 0, &w));
    CHECK(t, w == 128);
    CHECK_OK(t, qa_config_int(c, "model.new.deep.1", 0, &d));
    CHECK(t, d == 2);
    CHECK_STATUS(t, qa_config_set(c, "lr.x=1"), QA_ERR_CONFIG);
    CHECK_STATUS(t, qa_config_set(c, "novalue"), QA_ERR_CONFIG);
    CHECK_STATUS(t, qa_config_set(c, "model.width=[1,"), QA_ERR_CONFIG);
    CHECK_STATUS(t, qa_config_check_unused(c, NULL), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "top.yaml:3: unknown key extra"), "%s", qa_error_message());
    qa_config_free(c);
    /* include cycle and missing include */
    write_file(cyc, sizeof cyc, "cyc.yaml", "include: cyc.yaml\na: 1\n");
    CHECK_STATUS(t, qa_config_load(&c, cyc), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "cycle") != NULL);
    write_file(cyc, sizeof cyc, "miss.yaml", "a: 1\ninclude: nothere.yaml\n");
    CHECK_STATUS(t, qa_config_load(&c, cyc), QA_ERR_IO);
    CHECK_MSG(t, strstr(qa_error_message(), "miss.yaml:2") && strstr(qa_error_message(), "nothere.yaml"), "%s",
              qa_error_message());
}

static void test_yaml_errors(qa_t *t)
{
    qa_config *c = NULL;
    CHECK_STATUS(t, qa_config_load_string(&c, "a: 1\nb: [1, 2\nc: 3\n", "broken.yaml"), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "broken.yaml:") && strstr(qa_error_message(), "YAML error"), "%s",
              qa_error_message());
    CHECK_STATUS(t, qa_config_load_string(&c, "- 1\n- 2\n", "list.yaml"), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "list.yaml:1: the top level must be a map") != NULL);
    CHECK_STATUS(t, qa_config_load_string(&c, "a: 1\na: 2\n", "dup.yaml"), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "dup.yaml:2: key 'a' appears twice") != NULL);
    CHECK_STATUS(t, qa_config_load_string(&c, "a.b: 1\n", "dot.yaml"), QA_ERR_CONFIG);
    CHECK_STATUS(t, qa_config_load(&c, "/nonexistent/x.yaml"), QA_ERR_IO);
    CHECK_OK(t, qa_config_load_string(&c, "", "empty.yaml"));
    CHECK(t, c && c->root->kind == QA_CONFIG_MAP && c->root->n == 0);
    qa_config_free(c);
}

static void test_model_yaml_vs_golden_json(qa_t *t)
{
    qa_model_config y, j, back;
    CHECK_OK(t, qa_model_config_load_yaml(&y, "configs/model/tiny.yaml", NULL, 0));
    CHECK(t, !strcmp(y.name, "tiny") && y.hidden_size == 32 && y.intermediate_size == 110 && y.n_state == 64);
    char path[1024];
    if (!qa_test_shared_path(path, sizeof path, "golden/model/tiny/checkpoint/config.json")) {
        SKIP(t, "golden/model/tiny not found (set QAUDIO_SHARED)");
        return;
    }
    CHECK_OK(t, qa_model_config_load_json(&j, path));
    /* same model: every field equal except the name (not in config.json) */
    snprintf(j.name, sizeof j.name, "%s", y.name);
    CHECK_MSG(t, !memcmp(&y, &j, sizeof y), "configs/model/tiny.yaml differs from the golden config.json");
    /* write + read back; the written text equals the golden's (same key set and order) */
    char out[512];
    snprintf(out, sizeof out, "%s/config.json", qa_test_tmpdir());
    CHECK_OK(t, qa_model_config_write_json(&j, out));
    CHECK_OK(t, qa_model_config_load_json(&back, out));
    snprintf(back.name, sizeof back.name, "%s", y.name);
    CHECK(t, !memcmp(&back, &j, sizeof j));
    char *a, *b;
    size_t la, lb;
    CHECK_OK(t, qa_file_read_all(out, &a, &la));
    CHECK_OK(t, qa_file_read_all(path, &b, &lb));
    CHECK_MSG(t, la == lb && !memcmp(a, b, lb), "written config.json differs from the golden one");
    free(a);
    free(b);
}

static void test_model_config_errors(qa_t *t)
{
    char p[512];
    qa_model_config c;
    char *cwd = realpath("configs/model/tiny.yaml", NULL);
    char text[1200];
    snprintf(text, sizeof text, "include: %s\nhiden_size: 32\n", cwd ? cwd : "configs/model/tiny.yaml");
    free(cwd);
    write_file(p, sizeof p, "typo.yaml", text);
    CHECK_STATUS(t, qa_model_config_load_yaml(&c, p, NULL, 0), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "typo.yaml:2: unknown key hiden_size"), "%s", qa_error_message());
    const char *sets[] = {"num_hidden_layers=two"};
    CHECK_STATUS(t, qa_model_config_load_yaml(&c, "configs/model/tiny.yaml", sets, 1), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "--set: key num_hidden_layers: expected an integer, found 'two'"), "%s",
              qa_error_message());
    const char *sets2[] = {"audio.n_head=5"};
    CHECK_STATUS(t, qa_model_config_load_yaml(&c, "configs/model/tiny.yaml", sets2, 1), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "not a multiple of audio.n_head") != NULL);
    const char *sets3[] = {"audio.n_layer=3", "vocab_size=155948"};
    CHECK_OK(t, qa_model_config_load_yaml(&c, "configs/model/tiny.yaml", sets3, 2));
    CHECK(t, c.n_layer == 3 && c.vocab_size == 155948);
    /* config.json: unknown keys tolerated, required ones not */
    write_file(p, sizeof p, "cfg.json",
               "{\"vocab_size\": 100, \"hidden_size\": 8, \"num_attention_heads\": 2, \"kv_channels\": 4,"
               " \"num_hidden_layers\": 1, \"intermediate_size\": 16, \"whatever_hf_adds\": [1, {\"x\": null}],"
               " \"audio\": {\"n_mels\": 80, \"n_ctx\": 10, \"n_state\": 8, \"n_head\": 2, \"n_layer\": 1,"
               " \"output_dim\": 8, \"audio_start_id\": 90}}");
    CHECK_OK(t, qa_model_config_load_json(&c, p));
    CHECK(t, c.vocab_size == 100 && c.layer_norm_epsilon == 1e-6 && c.seq_length == 2048 && c.avg_pool == 1);
    write_file(p, sizeof p, "cfg.json",
               "{\"vocab_size\": 100, \"hidden_size\": 8, \"num_attention_heads\": 2, \"kv_channels\": 4,"
               " \"intermediate_size\": 16, \"audio\": {\"n_mels\": 80, \"n_ctx\": 10, \"n_state\": 8, \"n_head\": 2,"
               " \"n_layer\": 1, \"output_dim\": 8}}");
    CHECK_STATUS(t, qa_model_config_load_json(&c, p), QA_ERR_CONFIG);
    CHECK_MSG(t, strstr(qa_error_message(), "cfg.json: required key num_hidden_layers is missing"), "%s", qa_error_message());
    write_file(p, sizeof p, "cfg.json", "{\"vocab_size\": 100, \"hidden_size\": 8}");
    CHECK_STATUS(t, qa_model_config_load_json(&c, p), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "no \"audio\" block") != NULL);
    write_file(p, sizeof p, "cfg.json", "{\"vocab_size\": 100,");
    CHECK_STATUS(t, qa_model_config_load_json(&c, p), QA_ERR_FORMAT);
    write_file(p, sizeof p, "cfg.json",
               "{\"vocab_size\": \"100\", \"hidden_size\": 8, \"num_attention_heads\": 2, \"kv_channels\": 4,"
               " \"num_hidden_layers\": 1, \"intermediate_size\": 16, \"audio\": {\"n_mels\": 80, \"n_ctx\": 10,"
               " \"n_state\": 8, \"n_head\": 2, \"n_layer\": 1, \"output_dim\": 8}}");
    CHECK_STATUS(t, qa_model_config_load_json(&c, p), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "key vocab_size: expected an integer") != NULL);
}

static void test_param_counts(qa_t *t)
{
    const char *names[] = {"tiny", "small", "bench-encoder", "bench-decoder", "qwen-audio-7b"};
    for (int i = 0; i < 5; i++) {
        char p[256];
        snprintf(p, sizeof p, "configs/model/%s.yaml", names[i]);
        qa_model_config c;
        CHECK_OK(t, qa_model_config_load_yaml(&c, p, NULL, 0));
        CHECK(t, !strcmp(c.name, names[i]));
    }
    qa_model_config c;
    qa_param_table tb;
    CHECK_OK(t, qa_model_config_load_yaml(&c, "configs/model/qwen-audio-7b.yaml", NULL, 0));
    CHECK_OK(t, qa_params_build(&tb, &c));
    qa_param_counts n = qa_params_count(&tb);
    /* spec sections 2-3 [DERIVED]: 640,119,808 + 1,920,000 buffer; 7,754,182,656; 2 bytes each
     * = the HF index total_size 16,792,444,928 */
    CHECK(t, n.trainable[QA_PART_ENCODER] == 640119808LL);
    CHECK(t, n.buffers[QA_PART_ENCODER] == 1920000LL);
    CHECK(t, n.trainable[QA_PART_LLM] == 7754182656LL);
    CHECK(t, n.buffers[QA_PART_LLM] == 0);
    CHECK(t, 2 * (n.trainable[0] + n.trainable[1] + n.buffers[0]) == 16792444928LL);
    int i = qa_params_find(&tb, "transformer.h.31.mlp.c_proj.weight");
    CHECK(t, i >= 0 && tb.p[i].shape[0] == 4096 && tb.p[i].shape[1] == 11008 && tb.p[i].part == QA_PART_LLM);
    i = qa_params_find(&tb, "transformer.audio.conv1.weight");
    CHECK(t, i >= 0 && tb.p[i].ndim == 3 && tb.p[i].shape[0] == 1280 && tb.p[i].shape[1] == 80 && tb.p[i].shape[2] == 3);
    CHECK(t, qa_params_find(&tb, "transformer.audio.blocks.0.attn.key.bias") < 0);
    i = qa_params_find(&tb, "transformer.h.0.attn.c_attn.weight");
    CHECK(t, i >= 0 && tb.p[i].shape[0] == 12288 && tb.p[i].shape[1] == 4096);
    CHECK(t, tb.n == 490 + 259);
    qa_params_free(&tb);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"getters", test_getters},
        {"includes_and_set", test_includes_and_set},
        {"yaml_errors", test_yaml_errors},
        {"model_yaml_vs_golden_json", test_model_yaml_vs_golden_json},
        {"model_config_errors", test_model_config_errors},
        {"param_counts", test_param_counts},
        {0},
    };
    return qa_test_main(argc, argv, cases);
}
