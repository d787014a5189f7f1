/* cli/cmd_init: `qaudio init` writes a starting checkpoint: random weights from a model config,
 * or (with --whisper and --qwen) the stage-1 assembly of a Hugging Face Whisper encoder and a
 * Hugging Face Qwen LLM with the new parts initialised. See docs/checkpoint-format.md. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/save_opts.h"
#include "core/safetensors.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/init.h"

static int run(int argc, char **argv)
{
    const char *config = NULL, *out = NULL, *tokenizer = NULL, *whisper = NULL, *qwen = NULL;
    long long seed = 1234;
    qa_cli_save_args sa = {0};
    qa_cli_list sets = {0};
    qa_cli_opt opts[] = {
        {NULL, "--config", QA_OPT_STR, &config, "FILE", "model config (configs/model/NAME.yaml)"},
        {"-o", "--output", QA_OPT_STR, &out, "DIR", "checkpoint directory to write"},
        {NULL, "--set", QA_OPT_LIST, &sets, "KEY=VALUE", "override a config key (repeatable), e.g. audio.n_layer=1"},
        {NULL, "--seed", QA_OPT_I64, &seed, "N", "random seed (default 1234)"},
        QA_CLI_SAVE_OPTS(sa, "f32, bf16, f16 or keep (default: f32; keep with --whisper/--qwen)"),
        {NULL, "--tokenizer", QA_OPT_STR, &tokenizer, "FILE", "tokenizer file copied into the checkpoint (qwen.tiktoken)"},
        {NULL, "--whisper", QA_OPT_STR, &whisper, "DIR", "Hugging Face Whisper checkpoint for the encoder"},
        {NULL, "--qwen", QA_OPT_STR, &qwen, "DIR", "Hugging Face Qwen checkpoint for the LLM"},
        {0}};
    const char *pos[1];
    int npos;
    int rc = qa_cli_parse(argc, argv, opts, "", pos, 0, &npos);
    if (rc >= 0) return rc;
    if (!config) return qa_cli_usage_error(argv[0], "--config FILE is required");
    if (!out) return qa_cli_usage_error(argv[0], "-o DIR is required");
    if (!whisper != !qwen) return qa_cli_usage_error(argv[0], "--whisper and --qwen go together");
    int assemble = whisper != NULL;
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    if ((rc = qa_cli_save_args_apply(&o, &sa, assemble ? QA_DTYPE_KEEP : QA_ST_F32, argv[0]))) return rc;
    o.tokenizer = tokenizer;
    qa_model_config cfg;
    qa_status s = qa_model_config_load_yaml(&cfg, config, sets.items, sets.n);
    if (!s) s = assemble ? qa_model_init_assemble(out, &cfg, whisper, qwen, (uint64_t)seed, &o)
                         : qa_model_init_random(out, &cfg, (uint64_t)seed, &o);
    if (s) return qa_cli_fail(argv[0], s);
    printf("wrote %s (%s)\n", out, assemble ? "assembled from Whisper + Qwen" : "random init");
    return 0;
}

const qa_cli_cmd qa_cmd_init = {"init", "write a random or Whisper+Qwen-assembled starting checkpoint", run};
