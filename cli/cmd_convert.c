/* cli/cmd_convert: `qaudio convert IN_DIR -o OUT_DIR` rewrites a checkpoint directory with other
 * dtypes (per part) and/or another sharding; tensors are streamed from the mapped input, so a 7B
 * checkpoint is never held twice in memory. The tokenizer file is copied along. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/checkpoint.h"

static int parse_dtype(const char *s, const char *flag, int *out)
{
    if (!s) return 0;
    if (!strcmp(s, "f32") || !strcmp(s, "float32")) *out = QA_ST_F32;
    else if (!strcmp(s, "bf16") || !strcmp(s, "bfloat16")) *out = QA_ST_BF16;
    else if (!strcmp(s, "f16") || !strcmp(s, "float16")) *out = QA_ST_F16;
    else if (!strcmp(s, "keep")) *out = QA_DTYPE_KEEP;
    else return qa_cli_usage_error("convert", "%s %s: expected f32, bf16, f16 or keep", flag, s);
    return 0;
}

static int run(int argc, char **argv)
{
    const char *out = NULL, *dtype = NULL, *enc_dtype = NULL, *llm_dtype = NULL;
    long long shard = 0;
    qa_cli_opt opts[] = {
        {"-o", "--output", QA_OPT_STR, &out, "DIR", "checkpoint directory to write (not the input)"},
        {NULL, "--dtype", QA_OPT_STR, &dtype, "T", "f32, bf16, f16 or keep (default keep)"},
        {NULL, "--encoder-dtype", QA_OPT_STR, &enc_dtype, "T", "dtype of the audio encoder tensors"},
        {NULL, "--llm-dtype", QA_OPT_STR, &llm_dtype, "T", "dtype of the LLM tensors"},
        {NULL, "--shard-size", QA_OPT_I64, &shard, "BYTES", "shards of at most BYTES (0: one model.safetensors)"},
        {0}};
    const char *pos[1];
    int npos = 0;
    int rc = qa_cli_parse(argc, argv, opts, "IN_DIR", pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1 || !out) return qa_cli_usage_error(argv[0], "expected IN_DIR and -o OUT_DIR");
    if (shard < 0) return qa_cli_usage_error(argv[0], "--shard-size must be >= 0");
    char *ri = realpath(pos[0], NULL), *ro = realpath(out, NULL);
    int same = ri && ro && !strcmp(ri, ro);
    free(ri);
    free(ro);
    if (same) return qa_cli_usage_error(argv[0], "the output must be another directory than the input");
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    int d = QA_DTYPE_KEEP;
    if ((rc = parse_dtype(dtype, "--dtype", &d))) return rc;
    o.part_dtype[QA_PART_ENCODER] = o.part_dtype[QA_PART_LLM] = d;
    if ((rc = parse_dtype(enc_dtype, "--encoder-dtype", &o.part_dtype[QA_PART_ENCODER]))) return rc;
    if ((rc = parse_dtype(llm_dtype, "--llm-dtype", &o.part_dtype[QA_PART_LLM]))) return rc;
    o.shard_size = (uint64_t)shard;
    qa_checkpoint *ck;
    qa_status s = qa_checkpoint_open(&ck, pos[0]);
    if (s) return qa_cli_fail(argv[0], s);
    o.tokenizer = ck->tokenizer_path;
    qa_tensor_src *src = calloc((size_t)ck->table.n + 1, sizeof *src);
    if (!src) s = qa_error(QA_ERR_NOMEM, "out of memory");
    for (int i = 0; !s && i < ck->table.n; i++) src[i] = (qa_tensor_src){ck->tensors[i]->data, ck->tensors[i]->dtype};
    if (!s) s = qa_checkpoint_save(out, &ck->cfg, &ck->table, src, NULL, NULL, &o);
    free(src);
    qa_checkpoint_close(ck);
    if (s) return qa_cli_fail(argv[0], s);
    printf("wrote %s\n", out);
    return 0;
}

const qa_cli_cmd qa_cmd_convert = {"convert", "rewrite a checkpoint with other dtypes or sharding", run};
