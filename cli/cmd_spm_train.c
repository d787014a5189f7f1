/* cli/cmd_spm_train: `qaudio spm-train` — trains a sentencepiece tokenizer for from-scratch recipes,
 * with the Qwen-Audio special strings as user-defined symbols (data/tokenizer_spm.c). */
#include <string.h>

#include "cli/cli.h"
#include "data/tokenizer.h"

static int run(int argc, char **argv)
{
    const char *input = NULL, *prefix = NULL, *type = "unigram";
    int vocab = 0, no_specials = 0;
    double coverage = 0;
    qa_cli_opt opts[] = {
        {"-i", "--input", QA_OPT_STR, &input, "FILE", "training text, one sentence per line"},
        {NULL, "--vocab-size", QA_OPT_INT, &vocab, "N", "vocabulary size (includes the 3522 special symbols)"},
        {"-o", "--output", QA_OPT_STR, &prefix, "PREFIX", "writes PREFIX.model and PREFIX.vocab"},
        {NULL, "--model-type", QA_OPT_STR, &type, "TYPE", "unigram (default), bpe, char or word"},
        {NULL, "--character-coverage", QA_OPT_DOUBLE, &coverage, "X", "share of characters covered (default 0.9995)"},
        {NULL, "--no-qwen-specials", QA_OPT_FLAG, &no_specials, NULL, "do not add the Qwen-Audio special strings"},
        {0}};
    const char *pos[1];
    int npos;
    int rc = qa_cli_parse(argc, argv, opts, "", pos, 0, &npos);
    if (rc >= 0) return rc;
    if (!input) return qa_cli_usage_error(argv[0], "--input FILE is required");
    if (!prefix) return qa_cli_usage_error(argv[0], "-o PREFIX is required");
    if (vocab <= 0) return qa_cli_usage_error(argv[0], "--vocab-size N (N > 0) is required");
    if (coverage < 0 || coverage > 1) return qa_cli_usage_error(argv[0], "--character-coverage must be in (0, 1]");
    qa_spm_train_opts o = {input, prefix, vocab, type, coverage, !no_specials};
    qa_status s = qa_tokenizer_spm_train(&o);
    if (s) return qa_cli_fail(argv[0], s);
    return 0;
}

const qa_cli_cmd qa_cmd_spm_train = {"spm-train", "train a sentencepiece tokenizer with the Qwen-Audio special symbols", run};
