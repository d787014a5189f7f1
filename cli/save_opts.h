/* cli/save_opts: the checkpoint-writing options `qaudio init` and `qaudio convert` share
 * (--dtype, --encoder-dtype, --llm-dtype, --shard-size), turned into qa_checkpoint_save_opts.
 * Header-only (static inline) because the Makefile builds only cli.c, qaudio.c and cmd_*.c here.
 *
 * Usage:
 *   qa_cli_save_args sa = {0};
 *   qa_cli_opt opts[] = {..., QA_CLI_SAVE_OPTS(sa, "f32, bf16, f16 or keep (default keep)"), {0}};
 *   ... qa_cli_parse(...) ...
 *   qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
 *   if ((rc = qa_cli_save_args_apply(&o, &sa, QA_DTYPE_KEEP, argv[0]))) return rc;  // exit 2 */
#ifndef QA_CLI_SAVE_OPTS_H
#define QA_CLI_SAVE_OPTS_H

#include <string.h>

#include "cli/cli.h"
#include "model/checkpoint.h"

typedef struct {
    const char *dtype, *enc_dtype, *llm_dtype; /* NULL when not given */
    long long shard;                           /* --shard-size BYTES; 0: one file */
} qa_cli_save_args;

/* The four option-table entries, filling `a` (a qa_cli_save_args). */
#define QA_CLI_SAVE_OPTS(a, dtype_help)                                                                          \
    {NULL, "--dtype", QA_OPT_STR, &(a).dtype, "T", dtype_help},                                                  \
    {NULL, "--encoder-dtype", QA_OPT_STR, &(a).enc_dtype, "T", "dtype of the audio encoder tensors (overrides --dtype)"}, \
    {NULL, "--llm-dtype", QA_OPT_STR, &(a).llm_dtype, "T", "dtype of the LLM tensors (overrides --dtype)"},      \
    {NULL, "--shard-size", QA_OPT_I64, &(a).shard, "BYTES", "split weights into shards of at most BYTES (0: one file)"}

/* Parses a dtype name into *out (unchanged when s is NULL). Returns 0, or the usage-error exit code. */
static inline int qa_cli_save_parse_dtype(const char *cmd, const char *s, const char *flag, int *out)
{
    if (!s) return 0;
    if (!strcmp(s, "f32") || !strcmp(s, "float32")) *out = QA_ST_F32;
    else if (!strcmp(s, "bf16") || !strcmp(s, "bfloat16")) *out = QA_ST_BF16;
    else if (!strcmp(s, "f16") || !strcmp(s, "float16")) *out = QA_ST_F16;
    else if (!strcmp(s, "keep")) *out = QA_DTYPE_KEEP;
    else return qa_cli_usage_error(cmd, "%s %s: expected f32, bf16, f16 or keep", flag, s);
    return 0;
}

/* Sets o's per-part dtypes (--dtype, default_dtype when absent, then the per-part overrides) and
 * shard size. Returns 0, or the usage-error exit code (bad dtype name, negative --shard-size). */
static inline int qa_cli_save_args_apply(qa_checkpoint_save_opts *o, const qa_cli_save_args *a, int default_dtype,
                                         const char *cmd)
{
    int rc, d = default_dtype;
    if (a->shard < 0) return qa_cli_usage_error(cmd, "--shard-size must be >= 0");
    if ((rc = qa_cli_save_parse_dtype(cmd, a->dtype, "--dtype", &d))) return rc;
    o->part_dtype[QA_PART_ENCODER] = o->part_dtype[QA_PART_LLM] = d;
    if ((rc = qa_cli_save_parse_dtype(cmd, a->enc_dtype, "--encoder-dtype", &o->part_dtype[QA_PART_ENCODER])))
        return rc;
    if ((rc = qa_cli_save_parse_dtype(cmd, a->llm_dtype, "--llm-dtype", &o->part_dtype[QA_PART_LLM]))) return rc;
    o->shard_size = (uint64_t)a->shard;
    return 0;
}

#endif
